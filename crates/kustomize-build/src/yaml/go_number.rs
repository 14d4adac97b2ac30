//! Number syntax and formatting exactly as Go's `strconv` and `encoding/json` do it.
//!
//! kustomize reads numbers with go-yaml (which calls `strconv.ParseInt(s, 0, 64)`, then
//! `ParseUint`, then `ParseFloat`), prints them with `encoding/json`, reads that JSON again
//! with go-yaml v2 and prints YAML with `strconv.FormatFloat(f, 'g', -1, 64)`. The helpers here
//! reproduce each step so the bytes come out the same.

/// Why Go's integer parser refused a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IntError {
    /// Not an integer at all.
    Syntax,
    /// An integer, but out of range.
    Range,
}

/// Go's `strconv.ParseUint(s, 0, 64)` without underscores (callers strip them first).
pub(crate) fn parse_uint_base0(s: &str) -> Result<u64, IntError> {
    let bytes = s.as_bytes();
    if bytes.is_empty() {
        return Err(IntError::Syntax);
    }
    let (base, digits): (u32, &[u8]) = if bytes[0] == b'0' {
        match bytes.get(1).map(u8::to_ascii_lowercase) {
            Some(b'b') if bytes.len() >= 3 => (2, &bytes[2..]),
            Some(b'o') if bytes.len() >= 3 => (8, &bytes[2..]),
            Some(b'x') if bytes.len() >= 3 => (16, &bytes[2..]),
            _ => (8, &bytes[1..]),
        }
    } else {
        (10, bytes)
    };
    let mut n: u64 = 0;
    for &b in digits {
        let d = match b {
            b'0'..=b'9' => u32::from(b - b'0'),
            b'a'..=b'z' => u32::from(b - b'a') + 10,
            b'A'..=b'Z' => u32::from(b - b'A') + 10,
            _ => return Err(IntError::Syntax),
        };
        if d >= base {
            return Err(IntError::Syntax);
        }
        n = n
            .checked_mul(u64::from(base))
            .and_then(|n| n.checked_add(u64::from(d)))
            .ok_or(IntError::Range)?;
    }
    Ok(n)
}

/// Go's `strconv.ParseInt(s, 0, 64)` without underscores.
pub(crate) fn parse_int_base0(s: &str) -> Result<i64, IntError> {
    let (negative, unsigned) = match s.as_bytes().first() {
        Some(b'+') => (false, &s[1..]),
        Some(b'-') => (true, &s[1..]),
        _ => (false, s),
    };
    let magnitude = parse_uint_base0(unsigned)?;
    if negative {
        if magnitude > 1 << 63 {
            return Err(IntError::Range);
        }
        // Two's complement wraps 1<<63 to i64::MIN, which is the value wanted.
        Ok(magnitude.cast_signed().wrapping_neg())
    } else {
        i64::try_from(magnitude).map_err(|_| IntError::Range)
    }
}

/// go-yaml's `yamlStyleFloat`: `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
pub(crate) fn is_yaml_style_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    let count_digits = |from: usize| b[from..].iter().take_while(|c| c.is_ascii_digit()).count();
    if b.get(i) == Some(&b'.') {
        let n = count_digits(i + 1);
        if n == 0 {
            return false;
        }
        i += 1 + n;
    } else {
        let n = count_digits(i);
        if n == 0 {
            return false;
        }
        i += n;
        if b.get(i) == Some(&b'.') {
            i += 1 + count_digits(i + 1);
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let n = count_digits(i);
        if n == 0 {
            return false;
        }
        i += n;
    }
    i == b.len()
}

/// Go's `strconv.ParseFloat(s, 64)` for texts that passed [`is_yaml_style_float`]: `None` when
/// the value overflows (Go reports a range error; underflow to zero is fine in Go too).
pub(crate) fn parse_decimal_float(s: &str) -> Option<f64> {
    let f: f64 = s.parse().ok()?;
    f.is_finite().then_some(f)
}

/// Appends `f` as YAML as kustomize prints it: `encoding/json` first (integral values below
/// 1e21 come out as digits and are then read back as integers), then go-yaml's
/// `FormatFloat(f, 'g', -1, 64)` for everything that stays a float.
pub(crate) fn push_json_float_as_yaml(out: &mut String, f: f64) {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e21 {
        // JSON prints the shortest digits padded with zeros, e.g. "100000000000000000000";
        // go-yaml reads that back as an integer when it fits in int64 or uint64.
        let digits = format!("{f}");
        let digits = if digits == "-0" { "0" } else { digits.as_str() };
        if digits.parse::<i64>().is_ok() || digits.parse::<u64>().is_ok() {
            out.push_str(digits);
            return;
        }
    }
    push_format_g(out, f);
}

/// Go's `strconv.FormatFloat(f, 'g', -1, 64)`: the shortest digits that read back as `f`, in
/// exponent form (`1e+21`, `1.5e-07`, two exponent digits at least) when the decimal exponent is
/// below -4 or at least 6 (Go's threshold for the shortest precision), else in plain form.
fn push_format_g(out: &mut String, f: f64) {
    if f.is_nan() {
        out.push_str(".nan");
        return;
    }
    if f.is_infinite() {
        out.push_str(if f > 0.0 { ".inf" } else { "-.inf" });
        return;
    }
    // Rust's `{:e}` gives the same shortest digits as Go, as "d.dddde-x".
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (negative, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => (true, m),
        None => (false, mantissa),
    };
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    if negative {
        out.push('-');
    }
    if !(-4..6).contains(&exp) {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('e');
        out.push(if exp < 0 { '-' } else { '+' });
        let magnitude = exp.unsigned_abs();
        if magnitude < 10 {
            out.push('0');
        }
        out.push_str(&magnitude.to_string());
    } else if exp < 0 {
        out.push_str("0.");
        for _ in 0..(-exp - 1) {
            out.push('0');
        }
        out.push_str(&digits);
    } else {
        let int_len = exp.unsigned_abs() as usize + 1;
        if digits.len() > int_len {
            out.push_str(&digits[..int_len]);
            out.push('.');
            out.push_str(&digits[int_len..]);
        } else {
            out.push_str(&digits);
            for _ in digits.len()..int_len {
                out.push('0');
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml(f: f64) -> String {
        let mut out = String::new();
        push_json_float_as_yaml(&mut out, f);
        out
    }

    #[test]
    fn floats_print_as_kubectl_prints_them() {
        let cases: &[(f64, &str)] = &[
            (1000.0, "1000"),
            (1.5e-7, "1.5e-07"),
            (0.5, "0.5"),
            (-0.0, "0"),
            (1e20, "1e+20"),
            (1e21, "1e+21"),
            (1e22, "1e+22"),
            (123_456_789.123, "1.23456789123e+08"),
            (0.000_001, "1e-06"),
            (1_234_567.5, "1.2345675e+06"),
            (100_000.5, "100000.5"),
            (0.1, "0.1"),
            (1e-5, "1e-05"),
            (-0.5, "-0.5"),
            (18_446_744_073_709_551_616.0, "1.8446744073709552e+19"),
            (-9_223_372_036_854_775_809.0, "-9.223372036854776e+18"),
            (1.797_693_134_862_315_7e308, "1.7976931348623157e+308"),
            (5e-324, "5e-324"),
            (1e-4, "0.0001"),
            (12.25, "12.25"),
        ];
        for (f, want) in cases {
            assert_eq!(yaml(*f), *want, "{f:e}");
        }
    }

    #[test]
    fn integers_follow_go_base0_rules() {
        assert_eq!(parse_int_base0("0123"), Ok(83));
        assert_eq!(parse_int_base0("0x1F"), Ok(31));
        assert_eq!(parse_int_base0("-0x8000000000000000"), Ok(i64::MIN));
        assert_eq!(parse_int_base0("0x8000000000000000"), Err(IntError::Range));
        assert_eq!(parse_uint_base0("0xFFFFFFFFFFFFFFFF"), Ok(u64::MAX));
        assert_eq!(parse_int_base0("09"), Err(IntError::Syntax));
        assert_eq!(parse_int_base0("0x"), Err(IntError::Syntax));
        assert_eq!(parse_int_base0("0"), Ok(0));
        assert_eq!(parse_int_base0("+0b1"), Ok(1));
        assert_eq!(parse_int_base0("0o17"), Ok(15));
    }

    #[test]
    fn yaml_style_float_matches_the_regex() {
        for yes in ["1", "1.", ".5", "-1.5e3", "+1E+3", "5.e1"] {
            assert!(is_yaml_style_float(yes), "{yes}");
        }
        for no in ["", ".", "e3", "1e", "1.5.", "0x1", "1e+", "+", "inf", ".e1"] {
            assert!(!is_yaml_style_float(no), "{no}");
        }
    }
}
