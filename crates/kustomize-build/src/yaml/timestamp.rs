//! YAML timestamps as go-yaml recognises them, and their JSON form.
//!
//! go-yaml accepts exactly four Go `time.Parse` layouts for an untagged scalar:
//! `2006-1-2T15:4:5.999999999Z07:00` (also with a lower-case `t`), `2006-1-2 15:4:5.999999999`
//! and `2006-1-2`. kustomize decodes such a scalar to a `time.Time` and JSON prints it in
//! RFC 3339 with nanoseconds (`2001-12-14` becomes `2001-12-14T00:00:00Z`). On output, a string
//! that would parse as a timestamp must be quoted.

use std::fmt::Write as _;

/// A parsed timestamp: the wall clock as written and its UTC offset in minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Timestamp {
    year: u32,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    nanos: u32,
    offset_minutes: i32,
}

impl Timestamp {
    /// Parses `text` with go-yaml's timestamp layouts; `None` when none of them matches.
    pub(crate) fn parse(text: &str) -> Option<Self> {
        let s = text.as_bytes();
        // Quick check as go-yaml does: four digits, then '-'.
        if s.len() < 5 || !s[..4].iter().all(u8::is_ascii_digit) || s[4] != b'-' {
            return None;
        }
        let year = digits(&s[..4]);
        let mut rest = &s[5..];
        let month = take_num(&mut rest)?;
        if !(1..=12).contains(&month) {
            return None;
        }
        expect(&mut rest, b'-')?;
        let day = take_num(&mut rest)?;
        if day < 1 || day > days_in_month(month, year) {
            return None;
        }
        let mut ts = Self {
            year,
            month,
            day,
            hour: 0,
            minute: 0,
            second: 0,
            nanos: 0,
            offset_minutes: 0,
        };
        if rest.is_empty() {
            return Some(ts);
        }
        let separator = rest[0];
        if !matches!(separator, b'T' | b't' | b' ') {
            return None;
        }
        rest = &rest[1..];
        ts.hour = take_num(&mut rest)?;
        expect(&mut rest, b':')?;
        ts.minute = take_num(&mut rest)?;
        expect(&mut rest, b':')?;
        ts.second = take_num(&mut rest)?;
        if ts.hour >= 24 || ts.minute >= 60 || ts.second >= 60 {
            return None;
        }
        if rest.len() >= 2 && matches!(rest[0], b'.' | b',') && rest[1].is_ascii_digit() {
            let n = 1 + rest[1..].iter().take_while(|b| b.is_ascii_digit()).count();
            // Go reads at most nine digits of the fraction and ignores the rest.
            let frac = &rest[1..n.min(10)];
            let mut nanos = digits(frac);
            for _ in frac.len()..9 {
                nanos *= 10;
            }
            ts.nanos = nanos;
            rest = &rest[n..];
        }
        if separator == b' ' {
            // The space-separated layout has no zone.
            return rest.is_empty().then_some(ts);
        }
        match rest {
            [b'Z'] => Some(ts),
            [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
                if ![h1, h2, m1, m2].iter().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                let hours = digits(&[*h1, *h2]);
                let minutes = digits(&[*m1, *m2]);
                if hours > 24 || minutes > 60 {
                    return None;
                }
                let magnitude = i32::try_from(hours * 60 + minutes).ok()?;
                ts.offset_minutes = if *sign == b'-' { -magnitude } else { magnitude };
                Some(ts)
            }
            _ => None,
        }
    }

    /// The timestamp as Go's `time.Time` JSON form (RFC 3339 with trimmed nanoseconds).
    pub(crate) fn to_rfc3339_nano(self) -> String {
        let mut out = String::with_capacity(35);
        let _ = write!(
            out,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        );
        if self.nanos != 0 {
            let frac = format!("{:09}", self.nanos);
            out.push('.');
            out.push_str(frac.trim_end_matches('0'));
        }
        if self.offset_minutes == 0 {
            out.push('Z');
        } else {
            let sign = if self.offset_minutes < 0 { '-' } else { '+' };
            let magnitude = self.offset_minutes.unsigned_abs();
            let _ = write!(out, "{sign}{:02}:{:02}", magnitude / 60, magnitude % 60);
        }
        out
    }
}

/// Whether go-yaml would read `text` as a timestamp.
pub(crate) fn is_timestamp(text: &str) -> bool {
    Timestamp::parse(text).is_some()
}

fn digits(bytes: &[u8]) -> u32 {
    bytes
        .iter()
        .fold(0, |acc, b| acc * 10 + u32::from(b - b'0'))
}

/// Go's `getnum(s, false)`: one or two digits.
fn take_num(rest: &mut &[u8]) -> Option<u32> {
    let s = *rest;
    if s.first().is_none_or(|b| !b.is_ascii_digit()) {
        return None;
    }
    let len = if s.get(1).is_some_and(u8::is_ascii_digit) {
        2
    } else {
        1
    };
    *rest = &s[len..];
    Some(digits(&s[..len]))
}

fn expect(rest: &mut &[u8], byte: u8) -> Option<()> {
    let (first, tail) = rest.split_first()?;
    (*first == byte).then(|| *rest = tail)
}

fn days_in_month(month: u32, year: u32) -> u32 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(text: &str) -> Option<String> {
        Timestamp::parse(text).map(Timestamp::to_rfc3339_nano)
    }

    #[test]
    fn layouts_as_kubectl_prints_them() {
        assert_eq!(json("2001-12-14").as_deref(), Some("2001-12-14T00:00:00Z"));
        assert_eq!(json("2001-1-2").as_deref(), Some("2001-01-02T00:00:00Z"));
        assert_eq!(
            json("2001-12-14T21:59:43.10-05:00").as_deref(),
            Some("2001-12-14T21:59:43.1-05:00")
        );
        assert_eq!(
            json("2001-12-14 21:59:43.10").as_deref(),
            Some("2001-12-14T21:59:43.1Z")
        );
        assert_eq!(
            json("2001-12-14t01:02:03Z").as_deref(),
            Some("2001-12-14T01:02:03Z")
        );
        assert_eq!(
            json("2001-12-14T01:02:03+00:00").as_deref(),
            Some("2001-12-14T01:02:03Z")
        );
        assert_eq!(
            json("2001-12-14T01:02:03.1234567891234Z").as_deref(),
            Some("2001-12-14T01:02:03.123456789Z")
        );
    }

    #[test]
    fn rejects_what_go_rejects() {
        for text in [
            "2001-13-01",
            "2001-02-30",
            "2001-12-14T21:59:43",
            "2001-12-14 21:59:43Z",
            "2001-12-14T24:00:00Z",
            "201-12-14",
            "2001-12",
            "2001-12-14x",
            "2001-123-1",
        ] {
            assert_eq!(json(text), None, "{text}");
        }
        assert!(is_timestamp("2000-02-29"));
        assert!(!is_timestamp("1900-02-29"));
    }
}
