//! The order go-yaml v2 writes mapping keys in (its `keyList.Less`), which is kustomize's
//! output order.
//!
//! It is not byte order: at the first differing character, letters sort after everything
//! else; between two non-letters, runs of digits compare by numeric value (`a9` < `a10`),
//! and otherwise characters compare by code point. A shorter key that is a prefix sorts first.

use std::cmp::Ordering;

/// Compares two keys as go-yaml v2 sorts them.
pub(crate) fn compare_keys(a: &str, b: &str) -> Ordering {
    if a.is_ascii() && b.is_ascii() {
        compare_units(a.as_bytes(), b.as_bytes(), |c| char::from(*c))
    } else {
        let a: Vec<char> = a.chars().collect();
        let b: Vec<char> = b.chars().collect();
        compare_units(&a, &b, |c| *c)
    }
}

fn compare_units<T: PartialEq>(a: &[T], b: &[T], to_char: impl Fn(&T) -> char) -> Ordering {
    if less(a, b, &to_char) {
        Ordering::Less
    } else if less(b, a, &to_char) {
        Ordering::Greater
    } else {
        Ordering::Equal
    }
}

/// A port of the string branch of go-yaml v2's `keyList.Less`.
fn less<T: PartialEq>(a: &[T], b: &[T], to_char: &impl Fn(&T) -> char) -> bool {
    let mut i = 0;
    while i < a.len() && i < b.len() {
        if a[i] == b[i] {
            i += 1;
            continue;
        }
        let (ac, bc) = (to_char(&a[i]), to_char(&b[i]));
        let al = is_letter(ac);
        let bl = is_letter(bc);
        if al && bl {
            return ac < bc;
        }
        if al || bl {
            return bl;
        }
        let (mut an, mut bn): (i64, i64) = (0, 0);
        if ac == '0' || bc == '0' {
            // A zero continuing a number with nonzero digits before it is not a leading zero.
            let mut j = i;
            while j > 0 && is_digit(to_char(&a[j - 1])) {
                j -= 1;
                if to_char(&a[j]) != '0' {
                    an = 1;
                    bn = 1;
                    break;
                }
            }
        }
        let mut ai = i;
        while ai < a.len() && is_digit(to_char(&a[ai])) {
            an = an
                .wrapping_mul(10)
                .wrapping_add(digit_value(to_char(&a[ai])));
            ai += 1;
        }
        let mut bi = i;
        while bi < b.len() && is_digit(to_char(&b[bi])) {
            bn = bn
                .wrapping_mul(10)
                .wrapping_add(digit_value(to_char(&b[bi])));
            bi += 1;
        }
        if an != bn {
            return an < bn;
        }
        if ai != bi {
            return ai < bi;
        }
        return ac < bc;
    }
    a.len() < b.len()
}

/// Go's `unicode.IsLetter` (categories L*); `char::is_alphabetic` is the closest std predicate
/// and agrees on every letter kustomize users put in keys.
fn is_letter(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphabetic()
    } else {
        c.is_alphabetic()
    }
}

/// Go's `unicode.IsDigit` (category Nd); for non-ASCII characters `char::is_numeric` (which also
/// counts Nl and No) is the closest std predicate.
fn is_digit(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_digit()
    } else {
        c.is_numeric()
    }
}

/// Go computes `rune - '0'` even for non-ASCII digits; so do we.
fn digit_value(c: char) -> i64 {
    i64::from(u32::from(c)) - i64::from(u32::from('0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(keys: &[&str]) -> Vec<String> {
        let mut keys: Vec<String> = keys.iter().map(|k| (*k).to_owned()).collect();
        keys.sort_by(|a, b| compare_keys(a, b));
        keys
    }

    #[test]
    fn natural_order_as_kubectl_sorts() {
        // The order `kubectl kustomize` printed for these keys.
        let want = [
            "", " ", "-", "_x", "~", "0", "00", "1", "9", "10", "A", "B1", "a", "a b", "a-b",
            "a.b", "a_b", "a0", "a00", "a01", "a9", "a10", "aB", "ab", "b", "x1", "x01", "x001",
            "x2", "z", "é",
        ];
        let mut shuffled: Vec<&str> = want.iter().rev().copied().collect();
        shuffled.rotate_left(7);
        assert_eq!(sorted(&shuffled), want);
    }
}
