//! The string `format`s the API server checks in custom resources.
//!
//! apiextensions-apiserver keeps only the formats of its list (`pkg/apiserver/validation/
//! formats.go`, `supportedVersionedFormats`: names compared with `-` removed, so `date-time`
//! is `datetime`; `k8s-short-name` and `k8s-long-name` from 1.34) and only on string-typed
//! (or untyped, or int-or-string) schemas; every other format is dropped before validation.
//! kube-openapi then checks a string against its registry (`pkg/validation/strfmt/default.go`,
//! `time.go`, `date.go`, `bson.go`). Integer and number formats (`int32`, `int64`, `float`,
//! `double`) are kept but never checked: kube-openapi's format validator applies to strings
//! only, and its number validator is given no format.
//!
//! Every supported format is checked. The larger ones have a module each, naming the
//! upstream code it follows: `duration`, `email` (Go's `net/mail.ParseAddress`; accepts a few
//! addresses Go refuses, never the reverse), `isbn` (`isbn`, `isbn10`, `isbn13`) and
//! `credit_card` (`creditcard`).

mod credit_card;
mod duration;
mod email;
mod isbn;

use crate::pattern::Pattern;
use crate::KubeVersion;
use std::net::IpAddr;
use std::sync::OnceLock;

/// A string format the API server checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    BsonObjectId,
    Uri,
    Email,
    Hostname,
    Ipv4,
    Ipv6,
    Cidr,
    Mac,
    Uuid,
    Uuid3,
    Uuid4,
    Uuid5,
    Isbn,
    Isbn10,
    Isbn13,
    CreditCard,
    Ssn,
    HexColor,
    RgbColor,
    Byte,
    Password,
    Date,
    DateTime,
    Duration,
    K8sShortName,
    K8sLongName,
}

impl Format {
    /// The format the API server would check for `name` on a string schema at `version`, if
    /// it checks one and it is implemented here.
    pub(crate) fn named(name: &str, version: KubeVersion) -> Option<Format> {
        let normalized = name.replace('-', "");
        let since_1_34 = version >= KubeVersion::new(1, 34);
        Some(match normalized.as_str() {
            "bsonobjectid" => Format::BsonObjectId,
            "uri" => Format::Uri,
            "email" => Format::Email,
            "hostname" => Format::Hostname,
            "ipv4" => Format::Ipv4,
            "ipv6" => Format::Ipv6,
            "cidr" => Format::Cidr,
            "mac" => Format::Mac,
            "uuid" => Format::Uuid,
            "uuid3" => Format::Uuid3,
            "uuid4" => Format::Uuid4,
            "uuid5" => Format::Uuid5,
            "isbn" => Format::Isbn,
            "isbn10" => Format::Isbn10,
            "isbn13" => Format::Isbn13,
            "creditcard" => Format::CreditCard,
            "ssn" => Format::Ssn,
            "hexcolor" => Format::HexColor,
            "rgbcolor" => Format::RgbColor,
            "byte" => Format::Byte,
            "password" => Format::Password,
            "date" => Format::Date,
            "datetime" => Format::DateTime,
            "duration" => Format::Duration,
            "k8sshortname" if since_1_34 => Format::K8sShortName,
            "k8slongname" if since_1_34 => Format::K8sLongName,
            _ => return None,
        })
    }

    /// Whether `text` is valid in this format.
    pub(crate) fn accepts(self, text: &str) -> bool {
        match self {
            Format::BsonObjectId => text.len() == 24 && text.bytes().all(|b| b.is_ascii_hexdigit()),
            Format::Uri => is_request_uri(text),
            Format::Email => email::is_email(text),
            Format::Hostname => is_hostname(text),
            Format::Ipv4 => text.parse::<IpAddr>().is_ok() && text.contains('.'),
            Format::Ipv6 => text.parse::<IpAddr>().is_ok() && text.contains(':'),
            Format::Cidr => is_cidr(text),
            Format::Mac => is_mac(text),
            Format::Uuid => matches(&UUID, text),
            Format::Uuid3 => matches(&UUID3, text),
            Format::Uuid4 => matches(&UUID4, text),
            Format::Uuid5 => matches(&UUID5, text),
            Format::Isbn => isbn::is_isbn(text),
            Format::Isbn10 => isbn::is_isbn10(text),
            Format::Isbn13 => isbn::is_isbn13(text),
            Format::CreditCard => credit_card::is_credit_card(text),
            Format::Ssn => text.len() == 11 && matches(&SSN, text),
            Format::HexColor => matches(&HEX_COLOR, text),
            Format::RgbColor => matches(&RGB_COLOR, text),
            Format::Byte => matches(&BASE64, text),
            Format::Password => true,
            Format::Date => is_date(text),
            Format::DateTime => is_date_time(text),
            Format::Duration => duration::is_duration(text),
            Format::K8sShortName => text.len() <= 63 && matches(&K8S_SHORT_NAME, text),
            Format::K8sLongName => text.len() <= 253 && matches(&K8S_LONG_NAME, text),
        }
    }
}

/// Asserts `check`'s verdict on every `|`-separated text of `texts` (the format modules'
/// tables).
#[cfg(test)]
fn assert_verdicts(check: fn(&str) -> bool, expected: bool, texts: &str) {
    for text in texts.split('|') {
        assert_eq!(check(text), expected, "{text:?}");
    }
}

/// A lazily compiled regular expression in Go syntax.
struct Lazy {
    source: &'static str,
    cell: OnceLock<Pattern>,
}

impl Lazy {
    const fn new(source: &'static str) -> Lazy {
        Lazy {
            source,
            cell: OnceLock::new(),
        }
    }
}

fn matches(lazy: &Lazy, text: &str) -> bool {
    lazy.cell
        .get_or_init(|| Pattern::new(lazy.source))
        .accepts(text)
}

// The expressions kube-openapi's registry and govalidator use (facts of the format
// definitions; see the module documentation for the files).
static UUID: Lazy =
    Lazy::new(r"(?i)^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$");
static UUID3: Lazy =
    Lazy::new(r"(?i)^[0-9a-f]{8}-?[0-9a-f]{4}-?3[0-9a-f]{3}-?[0-9a-f]{4}-?[0-9a-f]{12}$");
static UUID4: Lazy =
    Lazy::new(r"(?i)^[0-9a-f]{8}-?[0-9a-f]{4}-?4[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$");
static UUID5: Lazy =
    Lazy::new(r"(?i)^[0-9a-f]{8}-?[0-9a-f]{4}-?5[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$");
static SSN: Lazy = Lazy::new(r"^\d{3}[- ]?\d{2}[- ]?\d{4}$");
static HEX_COLOR: Lazy = Lazy::new(r"^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$");
static RGB_COLOR: Lazy = Lazy::new(
    r"^rgb\(\s*(0|[1-9]\d?|1\d\d?|2[0-4]\d|25[0-5])\s*,\s*(0|[1-9]\d?|1\d\d?|2[0-4]\d|25[0-5])\s*,\s*(0|[1-9]\d?|1\d\d?|2[0-4]\d|25[0-5])\s*\)$",
);
static BASE64: Lazy = Lazy::new(
    r"^(?:[A-Za-z0-9+\/]{4})*(?:[A-Za-z0-9+\/]{2}==|[A-Za-z0-9+\/]{3}=|[A-Za-z0-9+\/]{4})$",
);
static HOSTNAME: Lazy = Lazy::new(
    r"^([a-zA-Z0-9\p{S}\p{L}]((-?[a-zA-Z0-9\p{S}\p{L}]{0,62})?)|([a-zA-Z0-9\p{S}\p{L}](([a-zA-Z0-9-\p{S}\p{L}]{0,61}[a-zA-Z0-9\p{S}\p{L}])?)(\.)){1,}([a-zA-Z0-9\p{S}\p{L}])(-?[a-zA-Z0-9\p{S}\p{L}]){1,62})$",
);
static DATE_TIME_CLOCK: Lazy =
    Lazy::new(r"^([0-9]{2}):([0-9]{2}):([0-9]{2})(.[0-9]+)?(z|([+-][0-9]{2}:[0-9]{2}))$");
static K8S_SHORT_NAME: Lazy = Lazy::new(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$");
static K8S_LONG_NAME: Lazy =
    Lazy::new(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$");

/// `strfmt.IsHostname`: the expression, at most 255 bytes, labels of at most 63.
fn is_hostname(text: &str) -> bool {
    matches(&HOSTNAME, text) && text.len() <= 255 && text.split('.').all(|label| label.len() <= 63)
}

/// Go's `time.Parse("2006-01-02", text)`: four-digit year, two-digit month and day, the day
/// within its month.
fn is_date(text: &str) -> bool {
    let bytes = text.as_bytes();
    if bytes.len() != 10
        || bytes[4] != b'-'
        || bytes[7] != b'-'
        || ![0, 1, 2, 3, 5, 6, 8, 9]
            .iter()
            .all(|&i| bytes[i].is_ascii_digit())
    {
        return false;
    }
    let number = |range: std::ops::Range<usize>| text[range].parse::<u32>().unwrap_or(0);
    let (year, month, day) = (number(0..4), number(5..7), number(8..10));
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day)
}

/// `strfmt.IsDateTime`: lower-cased and split at `t`, a date before and a clock after
/// (`hh:mm:ss`, optional fraction, `z` or an offset), hours to 23 and minutes and seconds
/// to 59. Only the first two pieces are read, as upstream does.
fn is_date_time(text: &str) -> bool {
    if text.len() < 4 {
        return false;
    }
    let lower = text.to_lowercase();
    let mut pieces = lower.split('t');
    let (Some(date), Some(clock)) = (pieces.next(), pieces.next()) else {
        return false;
    };
    if !is_date(date) || !matches(&DATE_TIME_CLOCK, clock) {
        return false;
    }
    clock.get(0..2) <= Some("23") && clock.get(3..5) <= Some("59") && clock.get(6..8) <= Some("59")
}

/// Go's `net.ParseCIDR`: an IP address without zone, `/`, a decimal prefix length within
/// the address's bits.
fn is_cidr(text: &str) -> bool {
    let Some((address, prefix)) = text.split_once('/') else {
        return false;
    };
    let Ok(address) = address.parse::<IpAddr>() else {
        return false;
    };
    if prefix.is_empty() || !prefix.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let bits = if address.is_ipv4() { 32 } else { 128 };
    prefix.parse::<u32>().is_ok_and(|length| length <= bits)
}

/// Go's `net.ParseMAC`: 6, 8 or 20 octets as pairs of hex digits separated by `:` or `-`,
/// or as groups of four separated by `.`.
fn is_mac(text: &str) -> bool {
    let bytes = text.as_bytes();
    if bytes.len() < 14 {
        return false;
    }
    let octets_ok = |octets: usize| matches!(octets, 6 | 8 | 20);
    if bytes[2] == b':' || bytes[2] == b'-' {
        let separator = bytes[2];
        if !(bytes.len() + 1).is_multiple_of(3) || !octets_ok((bytes.len() + 1) / 3) {
            return false;
        }
        bytes.chunks(3).all(|chunk| {
            chunk[0].is_ascii_hexdigit()
                && chunk[1].is_ascii_hexdigit()
                && chunk.get(2).is_none_or(|&b| b == separator)
        })
    } else if bytes[4] == b'.' {
        if !(bytes.len() + 1).is_multiple_of(5) || !octets_ok(2 * (bytes.len() + 1) / 5) {
            return false;
        }
        bytes.chunks(5).all(|chunk| {
            chunk[..4].iter().all(u8::is_ascii_hexdigit) && chunk.get(4).is_none_or(|&b| b == b'.')
        })
    } else {
        false
    }
}

/// Go's `url.ParseRequestURI`, in the part this checks: not empty, no control characters,
/// a scheme (`letter [letters digits + - .]* :`) or an absolute path, and well-formed `%`
/// escapes before the query. Host and port syntax is not checked, so a few URIs Go refuses
/// pass here; none that Go accepts is refused.
fn is_request_uri(text: &str) -> bool {
    if text.is_empty() || text.bytes().any(|b| b < 0x20 || b == 0x7f) {
        return false;
    }
    let mut has_scheme = false;
    for (i, c) in text.char_indices() {
        match c {
            'a'..='z' | 'A'..='Z' => {}
            '0'..='9' | '+' | '-' | '.' if i > 0 => {}
            ':' if i == 0 => return false,
            ':' => {
                has_scheme = true;
                break;
            }
            _ => break,
        }
    }
    if !has_scheme && !text.starts_with('/') {
        return false;
    }
    let before_query = text.split('?').next().unwrap_or_default();
    let bytes = before_query.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let escape_ok = bytes.len() > i + 2
                && bytes[i + 1].is_ascii_hexdigit()
                && bytes[i + 2].is_ascii_hexdigit();
            if !escape_ok {
                return false;
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(format: Format, good: &[&str], bad: &[&str]) {
        for text in good {
            assert!(format.accepts(text), "{format:?} should accept {text:?}");
        }
        for text in bad {
            assert!(!format.accepts(text), "{format:?} should refuse {text:?}");
        }
    }

    #[test]
    fn names_are_normalised_and_versioned() {
        let v133 = KubeVersion::new(1, 33);
        let v134 = KubeVersion::new(1, 34);
        assert_eq!(Format::named("date-time", v133), Some(Format::DateTime));
        assert_eq!(Format::named("datetime", v133), Some(Format::DateTime));
        assert_eq!(Format::named("int32", v133), None);
        assert_eq!(Format::named("k8s-short-name", v133), None);
        assert_eq!(
            Format::named("k8s-short-name", v134),
            Some(Format::K8sShortName)
        );
        assert_eq!(Format::named("email", v133), Some(Format::Email));
        assert_eq!(Format::named("isbn-10", v133), Some(Format::Isbn10));
        assert_eq!(Format::named("credit-card", v133), Some(Format::CreditCard));
        assert_eq!(Format::named("isbn", v133), Some(Format::Isbn));
        assert_eq!(Format::named("isbn13", v133), Some(Format::Isbn13));
    }

    #[test]
    fn date_time() {
        check(
            Format::DateTime,
            &[
                "2024-02-29T10:00:00Z",
                "2024-01-01t23:59:59.123+02:00",
                "2024-01-01T00:00:00-05:00",
            ],
            &[
                "",
                "2023-02-29T10:00:00Z",
                "2024-01-01T24:00:00Z",
                "2024-01-01 10:00:00Z",
                "2024-01-01T10:00:00",
                "yesterday",
            ],
        );
    }

    #[test]
    fn date() {
        check(
            Format::Date,
            &["2024-02-29", "1999-12-31"],
            &["2023-02-29", "2024-13-01", "24-01-01", "2024-1-01"],
        );
    }

    #[test]
    fn byte_is_padded_standard_base64() {
        check(
            Format::Byte,
            &["aGVsbG8=", "aGk=", "YWJj"],
            &["", "aGVsbG8", "a b=", "aGk"],
        );
    }

    #[test]
    fn addresses() {
        check(
            Format::Ipv4,
            &["10.0.0.1", "::ffff:10.0.0.1"],
            &["10.0.0", "::1", "010.0.0.1", "a"],
        );
        check(
            Format::Ipv6,
            &["::1", "fe80::1"],
            &["10.0.0.1", "fe80::1%eth0"],
        );
        check(
            Format::Cidr,
            &["10.0.0.0/8", "::/0", "fd00::/128"],
            &["10.0.0.0/33", "10.0.0.0", "10.0.0.0/a", "::/129"],
        );
        check(
            Format::Mac,
            &[
                "00:1a:2B:3c:4d:5e",
                "00-1a-2b-3c-4d-5e",
                "001a.2b3c.4d5e",
                "00:00:00:00:00:00:00:01",
            ],
            &["00:1a:2b:3c:4d", "00:1a-2b:3c:4d:5e", "zz:1a:2b:3c:4d:5e"],
        );
        check(
            Format::Hostname,
            &["example.com", "localhost", "my-host.example", "a1"],
            &["-bad.example.com", "under_score.com", "a..b", ""],
        );
        check(
            Format::Uri,
            &["https://example.com/a?b=%zz", "/path", "urn:x"],
            &["", "relative/path", ":x", "/a%zz", "http://a\u{7f}"],
        );
    }

    #[test]
    fn identifiers_and_colours() {
        check(
            Format::Uuid,
            &[
                "123e4567-e89b-12d3-a456-426614174000",
                "123E4567E89B12D3A456426614174000",
            ],
            &["123e4567-e89b-12d3-a456", "not-a-uuid"],
        );
        check(
            Format::Uuid4,
            &["123e4567-e89b-42d3-a456-426614174000"],
            &["123e4567-e89b-12d3-a456-426614174000"],
        );
        check(
            Format::BsonObjectId,
            &["507f1f77bcf86cd799439011"],
            &["507f1f77bcf86cd79943901", "zz7f1f77bcf86cd799439011"],
        );
        check(
            Format::Ssn,
            &["123-45-6789", "123 45 6789"],
            &["123456789", "12-345-6789"],
        );
        check(Format::HexColor, &["#fff", "A0B1C2"], &["#ffff", "#ggg"]);
        check(
            Format::RgbColor,
            &["rgb(0, 128,255)"],
            &["rgb(256,0,0)", "rgb(1,2)"],
        );
        check(
            Format::K8sShortName,
            &["web-1"],
            &["Web", "-web", &"a".repeat(64)],
        );
        check(
            Format::K8sLongName,
            &["web.example.com"],
            &["web..example", "Web.example"],
        );
        check(Format::Password, &["", "anything"], &[]);
    }
}
