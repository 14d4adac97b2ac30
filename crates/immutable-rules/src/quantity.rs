//! Kubernetes resource quantities (`1Gi`, `500m`, `1e3`) compared by value, as
//! `resource.Quantity.Cmp` does: `1Gi` equals `1024Mi`, `1` equals `1000m`.

use std::cmp::Ordering;

use serde_json::Value;

/// A parsed quantity: `mantissa × 10^exp10 × 2^exp2`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Quantity {
    mantissa: i128,
    exp10: i32,
    exp2: u32,
}

impl Quantity {
    /// Parse the canonical or any accepted quantity spelling; `None` when it is not one.
    pub(crate) fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        let (sign, rest) = match text.as_bytes().first()? {
            b'-' => (-1, &text[1..]),
            b'+' => (1, &text[1..]),
            _ => (1, text),
        };
        let number_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (number, suffix) = rest.split_at(number_end);
        if number.is_empty() || number == "." || number.matches('.').count() > 1 {
            return None;
        }
        let (int_part, frac_part) = number.split_once('.').unwrap_or((number, ""));
        let digits = format!("{int_part}{frac_part}");
        // Keep the mantissa within i128 by dropping trailing digits only when they are zeros.
        let digits = digits.trim_start_matches('0');
        let mantissa: i128 = if digits.is_empty() {
            0
        } else if digits.len() > 36 {
            return None;
        } else {
            digits.parse().ok()?
        };
        let mut exp10 = -i32::try_from(frac_part.len()).ok()?;
        let mut exp2 = 0;
        match suffix {
            "" => {}
            "Ki" => exp2 = 10,
            "Mi" => exp2 = 20,
            "Gi" => exp2 = 30,
            "Ti" => exp2 = 40,
            "Pi" => exp2 = 50,
            "Ei" => exp2 = 60,
            "n" => exp10 -= 9,
            "u" => exp10 -= 6,
            "m" => exp10 -= 3,
            "k" => exp10 += 3,
            "M" => exp10 += 6,
            "G" => exp10 += 9,
            "T" => exp10 += 12,
            "P" => exp10 += 15,
            "E" => exp10 += 18,
            other => {
                let exponent = other.strip_prefix(['e', 'E'])?;
                let exponent: i32 = exponent.parse().ok()?;
                exp10 = exp10.checked_add(exponent)?;
            }
        }
        Some(Self {
            mantissa: sign * mantissa,
            exp10,
            exp2,
        })
    }

    /// Read a quantity from a JSON string or number.
    pub(crate) fn from_value(value: &Value) -> Option<Self> {
        match value {
            Value::String(s) => Self::parse(s),
            Value::Number(n) => Self::parse(&n.to_string()),
            _ => None,
        }
    }

    /// Exact comparison when the numbers fit, otherwise a floating-point one.
    pub(crate) fn cmp_value(&self, other: &Self) -> Ordering {
        self.exact_cmp(other)
            .unwrap_or_else(|| self.approx().total_cmp(&other.approx()))
    }

    fn exact_cmp(&self, other: &Self) -> Option<Ordering> {
        let a = self.mantissa.checked_mul(1i128.checked_shl(self.exp2)?)?;
        let b = other.mantissa.checked_mul(1i128.checked_shl(other.exp2)?)?;
        let shift = self.exp10 - other.exp10;
        let (a, b) = if shift >= 0 {
            (a.checked_mul(10i128.checked_pow(shift.unsigned_abs())?)?, b)
        } else {
            (a, b.checked_mul(10i128.checked_pow(shift.unsigned_abs())?)?)
        };
        Some(a.cmp(&b))
    }

    #[allow(clippy::cast_precision_loss)] // only the fallback for values beyond i128
    fn approx(&self) -> f64 {
        (self.mantissa as f64) * 10f64.powi(self.exp10) * 2f64.powi(self.exp2.cast_signed())
    }
}

/// Compare two JSON values as quantities; `None` when either is not a quantity.
pub(crate) fn compare(a: &Value, b: &Value) -> Option<Ordering> {
    Some(Quantity::from_value(a)?.cmp_value(&Quantity::from_value(b)?))
}

/// Whether two JSON values are the same quantity, falling back to plain equality when either
/// is not a quantity.
pub(crate) fn same(a: &Value, b: &Value) -> bool {
    compare(a, b).map_or_else(|| a == b, Ordering::is_eq)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn q(s: &str) -> Quantity {
        Quantity::parse(s).unwrap()
    }

    #[test]
    fn equal_in_other_units() {
        assert_eq!(q("1Gi").cmp_value(&q("1024Mi")), Ordering::Equal);
        assert_eq!(q("1").cmp_value(&q("1000m")), Ordering::Equal);
        assert_eq!(q("1k").cmp_value(&q("1e3")), Ordering::Equal);
        assert_eq!(q("0.5").cmp_value(&q("500m")), Ordering::Equal);
        assert_eq!(q("1.5Gi").cmp_value(&q("1536Mi")), Ordering::Equal);
        assert!(same(&json!(1), &json!("1000m")));
        assert!(same(&json!("2Ei"), &json!("2048Pi")));
    }

    #[test]
    fn orders_by_value() {
        assert_eq!(q("1G").cmp_value(&q("1Gi")), Ordering::Less);
        assert_eq!(q("20Gi").cmp_value(&q("10Gi")), Ordering::Greater);
        assert_eq!(q("-1").cmp_value(&q("0")), Ordering::Less);
        assert_eq!(q("100n").cmp_value(&q("1u")), Ordering::Less);
    }

    #[test]
    fn rejects_non_quantities() {
        for bad in ["", "abc", "1..2", "1Zi", "Gi", "1e", "."] {
            assert!(Quantity::parse(bad).is_none(), "{bad}");
        }
        assert!(!same(&json!("abc"), &json!("abd")));
        assert!(same(&json!("abc"), &json!("abc")));
    }

    #[test]
    fn huge_values_fall_back_to_floats() {
        assert_eq!(q("9e40").cmp_value(&q("1e40")), Ordering::Greater);
    }
}
