//! The `duration` format: what kube-openapi's `strfmt.IsDuration` accepts
//! (`pkg/validation/strfmt/duration.go`).
//!
//! A string is a duration when Go's `time.ParseDuration` reads it (`1h30m`, `-1.5s`, `0`), or
//! else when it is a sequence of `<digits> <letters>` groups (spaces allowed around and between,
//! as in `2 days 3 hours`) of which at least one names a unit kube-openapi knows: `ns`/`nano…`,
//! `us`/`µs`/`micro…`, `ms`/`milli…`, `s`/`sec…`, `m`/`min…`, `h`/`hr`/`hour…`, `d`/`day…`,
//! `w`/`wk`/`week…` (any case). A group whose number does not fit a 64-bit integer makes the
//! whole string invalid.

/// Whether the API server's format check accepts `text` as a `duration`.
pub(crate) fn is_duration(text: &str) -> bool {
    go_parse_duration(text) || scala_style(text)
}

/// Go's `time.ParseDuration`: `[-+]?([0-9]*(\.[0-9]*)?[a-z]+)+` with the units `ns`, `us`,
/// `µs`, `μs`, `ms`, `s`, `m`, `h`, or `0`, within ±2^63 nanoseconds.
fn go_parse_duration(text: &str) -> bool {
    const LIMIT: u64 = 1 << 63;
    let (negative, mut rest) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if rest == "0" {
        return true;
    }
    if rest.is_empty() {
        return false;
    }
    let mut total: u64 = 0;
    while !rest.is_empty() {
        let bytes = rest.as_bytes();
        if !(bytes[0] == b'.' || bytes[0].is_ascii_digit()) {
            return false;
        }
        let whole_len = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
        let mut whole: u64 = 0;
        for &digit in &bytes[..whole_len] {
            if whole > LIMIT / 10 {
                return false;
            }
            whole = whole * 10 + u64::from(digit - b'0');
            if whole > LIMIT {
                return false;
            }
        }
        rest = &rest[whole_len..];
        let (mut fraction, mut scale, mut has_fraction) = (0_u64, 1_f64, false);
        if let Some(after_dot) = rest.strip_prefix('.') {
            let digits = after_dot.bytes().take_while(u8::is_ascii_digit).count();
            has_fraction = digits > 0;
            // Go stops adding digits once the fraction would overflow; they still count as read.
            let mut overflowed = false;
            for digit in after_dot.bytes().take(digits) {
                if overflowed || fraction > (LIMIT - 1) / 10 {
                    overflowed = true;
                    continue;
                }
                let next = fraction * 10 + u64::from(digit - b'0');
                if next > LIMIT {
                    overflowed = true;
                    continue;
                }
                fraction = next;
                scale *= 10.0;
            }
            rest = &after_dot[digits..];
        }
        if whole_len == 0 && !has_fraction {
            return false;
        }
        let unit_len = rest
            .bytes()
            .take_while(|b| *b != b'.' && !b.is_ascii_digit())
            .count();
        let unit = match &rest[..unit_len] {
            "ns" => 1,
            "us" | "\u{b5}s" | "\u{3bc}s" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000_u64,
            _ => return false,
        };
        rest = &rest[unit_len..];
        if whole > LIMIT / unit {
            return false;
        }
        let mut value = whole * unit;
        if fraction > 0 {
            // As Go: the fraction's share is computed in floating point and truncated.
            #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation)]
            #[allow(clippy::cast_sign_loss)]
            let share = (fraction as f64 * (unit as f64 / scale)) as u64;
            value = value.saturating_add(share);
            if value > LIMIT {
                return false;
            }
        }
        total = total.saturating_add(value);
        if total > LIMIT {
            return false;
        }
    }
    negative || total < LIMIT
}

/// kube-openapi's fallback: `^\s*(?:\d+\s*[A-Za-zµ]+\s*)+$`, then every `(\d+)\s*([A-Za-zµ]+)`
/// read, and at least one unit known.
fn scala_style(text: &str) -> bool {
    // Go's `\s` is ASCII space, tab, newline, form feed and carriage return.
    let is_space = |c: char| matches!(c, ' ' | '\t' | '\n' | '\x0c' | '\r');
    let is_letter = |c: char| c.is_ascii_alphabetic() || c == '\u{b5}';
    let mut rest = text.trim_start_matches(is_space);
    if rest.is_empty() {
        return false;
    }
    let mut known = false;
    while !rest.is_empty() {
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if digits == 0 {
            return false;
        }
        let number = &rest[..digits];
        rest = rest[digits..].trim_start_matches(is_space);
        let letters = rest.len() - rest.trim_start_matches(is_letter).len();
        if letters == 0 {
            return false;
        }
        let unit = rest[..letters].to_lowercase();
        rest = rest[letters..].trim_start_matches(is_space);
        // Go's strconv.Atoi: a number beyond the 64-bit range fails the whole string.
        if number.parse::<i64>().is_err() {
            return false;
        }
        known |= names_a_unit(&unit);
    }
    known
}

/// Whether a lower-cased unit is one of kube-openapi's: any spelling of a unit's list exactly,
/// or a word starting with the list's last (longest) spelling.
fn names_a_unit(unit: &str) -> bool {
    const UNITS: [&[&str]; 8] = [
        &["ns", "nano"],
        &["us", "\u{b5}s", "micro"],
        &["ms", "milli"],
        &["s", "sec"],
        &["m", "min"],
        &["h", "hr", "hour"],
        &["d", "day"],
        &["w", "wk", "week"],
    ];
    UNITS.iter().any(|spellings| {
        let longest = spellings[spellings.len() - 1];
        unit.starts_with(longest) || spellings.contains(&unit)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::assert_verdicts;

    #[test]
    fn go_durations_are_durations() {
        assert_verdicts(
            is_duration,
            true,
            "0|1s|-1s|+2h|1h30m|1.5h|.5s|1.s|300ms|2\u{b5}s|2\u{3bc}s|1ns|\
             2562047h47m16.854775807s|-2562047h47m16.854775808s",
        );
    }

    #[test]
    fn scala_style_durations_are_durations() {
        // `1e3s` is not Go's exponent: the groups `1 e` and `3 s`, one of them a known unit.
        assert_verdicts(
            is_duration,
            true,
            "3d|1w|2 days|1 hour 30 minutes| 5 Seconds |10MIN|1 wk|1 foo 2 s|4 milliseconds|\
             7 nanos|1e3s",
        );
    }

    #[test]
    fn other_strings_are_not_durations() {
        assert_verdicts(
            is_duration,
            false,
            "| |s|1|1.5|1.5d|-3d|1x|1 foo|1h 30|.s|-|9223372036854775808s|\
             99999999999999999999 days|2562047h47m16.854775808s|1 2 s|3 d,",
        );
    }
}
