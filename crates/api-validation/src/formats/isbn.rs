//! The `isbn`, `isbn10` and `isbn13` formats: what kube-openapi's registry accepts
//! (`pkg/validation/strfmt/default.go` registers govalidator's `IsISBN10`, `IsISBN13`, and
//! for `isbn` either of them; the functions and their expressions are kube-openapi's copy of
//! govalidator, `pkg/internal/third_party/govalidator/validator.go` `IsISBN` and
//! `patterns.go` `ISBN10`, `ISBN13`).
//!
//! Spaces, tabs, line breaks and `-` are dropped first (Go's `[\s-]+`), anywhere. What is left
//! must be, for ISBN-10, nine digits and a digit or an upper-case `X` (worth 10) whose weighted
//! sum (weights 1 to 10) is a multiple of 11; for ISBN-13, thirteen digits whose last equals
//! `(10 - sum % 10) % 10`, the sum weighting the first twelve alternately by 1 and 3.

/// Whether the API server's format check accepts `text` as an `isbn10`.
pub(crate) fn is_isbn10(text: &str) -> bool {
    let Some((body, check)) = body_and_check(text, 9) else {
        return false;
    };
    let check = match check {
        b'X' => 10,
        b'0'..=b'9' => u32::from(check - b'0'),
        _ => return false,
    };
    (weighted_sum(&body, 1..) + 10 * check).is_multiple_of(11)
}

/// Whether the API server's format check accepts `text` as an `isbn13`.
pub(crate) fn is_isbn13(text: &str) -> bool {
    let Some((body, check @ b'0'..=b'9')) = body_and_check(text, 12) else {
        return false;
    };
    let sum = weighted_sum(&body, [1, 3].into_iter().cycle());
    u32::from(check - b'0') == (10 - sum % 10) % 10
}

/// Whether the API server's format check accepts `text` as an `isbn` (either kind).
pub(crate) fn is_isbn(text: &str) -> bool {
    is_isbn10(text) || is_isbn13(text)
}

/// Without Go's `\s` (space, tab, newline, form feed, carriage return) and `-`, `text` as
/// `body_length` ASCII digits and a last byte, when it has that shape.
fn body_and_check(text: &str, body_length: usize) -> Option<(Vec<u8>, u8)> {
    let mut body: Vec<u8> = text
        .bytes()
        .filter(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\x0c' | b'\r' | b'-'))
        .collect();
    let check = body.pop()?;
    (body.len() == body_length && body.iter().all(u8::is_ascii_digit)).then_some((body, check))
}

/// The sum of the ASCII `digits` times their `weights`.
fn weighted_sum(digits: &[u8], weights: impl Iterator<Item = u32>) -> u32 {
    weights
        .zip(digits)
        .map(|(weight, digit)| weight * u32::from(digit - b'0'))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::assert_verdicts;

    #[test]
    fn isbn10_accepts_checked_numbers_with_any_separators() {
        assert_verdicts(
            is_isbn10,
            true,
            "3836221195|3-8362-2119-5|3 8362 2119 5|1617290858|1-61729-085-8|020161622X|\
             0-201-61622-X|0 2 0 1 6\t1622X|--3836221195--",
        );
    }

    #[test]
    fn isbn10_refuses_other_strings() {
        assert_verdicts(
            is_isbn10,
            false,
            "|3836221196|3423214121|020161622x|02016X622X|383622119|38362211955|\
             3_836221195|3.836221195|9783836221191|X836221195",
        );
    }

    #[test]
    fn isbn13_accepts_checked_numbers_with_any_separators() {
        assert_verdicts(
            is_isbn13,
            true,
            "9783836221191|978-3-8362-2119-1|978 3 8362 2119 1|9784873113685|\
             978-4-87311-368-5|9780201616224",
        );
    }

    #[test]
    fn isbn13_refuses_other_strings() {
        assert_verdicts(
            is_isbn13,
            false,
            "|9783836221190|9784873113680|978383622119|97838362211911|3836221195|\
             978383622119X|978.3836221191",
        );
    }

    #[test]
    fn isbn_is_either_kind() {
        assert_verdicts(is_isbn, true, "3836221195|978-3-8362-2119-1|020161622X");
        assert_verdicts(is_isbn, false, "|3836221196|9783836221190|isbn 3836221195");
    }
}
