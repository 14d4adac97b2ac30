//! The `creditcard` format: what kube-openapi's registry accepts (`pkg/validation/strfmt/
//! default.go` registers govalidator's `IsCreditCard`; kube-openapi's copy of it is
//! `pkg/internal/third_party/govalidator/validator.go`, its expression `patterns.go`
//! `CreditCard`).
//!
//! Every character but the ASCII digits is dropped first (`[^0-9]+`), so letters, spaces and
//! punctuation anywhere are ignored (`card: 4111 1111 1111 1111` passes). The digits left must
//! have a known issuer's prefix and length — Visa `4` (13 or 16 digits), Mastercard `51`–`55`
//! (16), Discover `6011` or `65` (16), American Express `34`/`37` (15), Diners Club `300`–`305`,
//! `36`, `38` (14), JCB `2131`, `1800` (15) or `35` (16) — and pass the Luhn checksum.

use super::{matches, Lazy};

/// govalidator's issuer expression, applied to the digits only.
static ISSUER: Lazy = Lazy::new(
    r"^(?:4[0-9]{12}(?:[0-9]{3})?|5[1-5][0-9]{14}|6(?:011|5[0-9][0-9])[0-9]{12}|3[47][0-9]{13}|3(?:0[0-5]|[68][0-9])[0-9]{11}|(?:2131|1800|35\d{3})\d{11})$",
);

/// Whether the API server's format check accepts `text` as a `creditcard`.
pub(crate) fn is_credit_card(text: &str) -> bool {
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    matches(&ISSUER, &digits) && passes_luhn(&digits)
}

/// The Luhn checksum: from the right, every second digit doubled (less 9 when above 9), the
/// sum a multiple of 10.
fn passes_luhn(digits: &str) -> bool {
    let sum: u32 = digits
        .bytes()
        .rev()
        .map(|b| u32::from(b - b'0'))
        .enumerate()
        .map(|(position, digit)| match (position % 2 == 1, digit * 2) {
            (true, doubled) if doubled >= 10 => doubled - 9,
            (true, doubled) => doubled,
            (false, _) => digit,
        })
        .sum();
    sum.is_multiple_of(10)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::assert_verdicts;

    #[test]
    fn issuers_numbers_with_valid_checksums_are_accepted() {
        // Visa 16 and 13, Mastercard, Discover (6011 and 65), Amex, Diners, JCB 35 and 2131.
        assert_verdicts(
            is_credit_card,
            true,
            "4111111111111111|4222222222222|5500000000000004|6011000000000004|\
             6500000000000002|378282246310005|30569309025904|3530111333300000|\
             213100000000001",
        );
    }

    #[test]
    fn everything_but_digits_is_ignored() {
        assert_verdicts(
            is_credit_card,
            true,
            "4111-1111-1111-1111|4111 1111 1111 1111|card: 4111.1111.1111.1111!|\
             4111\u{a0}1111\u{a0}1111\u{a0}1111",
        );
    }

    #[test]
    fn other_numbers_are_refused() {
        // Bad checksum, unknown prefix (Mastercard 56, Visa of 15 digits, 2-series), too
        // short, no digits, non-ASCII digits that are dropped.
        assert_verdicts(
            is_credit_card,
            false,
            "|4111111111111112|5600000000000003|411111111111116|2221000000000009|\
             41111|card|\u{664}111111111111111",
        );
    }

    #[test]
    fn luhn_doubles_every_second_digit_from_the_right() {
        assert!(passes_luhn("79927398713"));
        assert!(!passes_luhn("79927398710"));
        assert!(passes_luhn("0"));
    }
}
