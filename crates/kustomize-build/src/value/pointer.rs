//! The tokens of JSON pointers (RFC 6901): `~` and `/` inside a key are written `~0` and `~1`.

use std::borrow::Cow;

/// `key` as a pointer token. Most keys hold neither character and are borrowed.
pub(crate) fn escape_token(key: &str) -> Cow<'_, str> {
    if key.contains(['~', '/']) {
        Cow::Owned(key.replace('~', "~0").replace('/', "~1"))
    } else {
        Cow::Borrowed(key)
    }
}

/// The key a pointer token names: `~1` read before `~0`, as RFC 6901 and Go's json-patch
/// do (`~01` is `~1`, not `/`). Tokens without an escape are borrowed: annotations are looked
/// up this way for every object at every step of a build.
pub(crate) fn unescape_token(token: &str) -> Cow<'_, str> {
    if token.contains('~') {
        Cow::Owned(token.replace("~1", "/").replace("~0", "~"))
    } else {
        Cow::Borrowed(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_unescape_in_the_rfc_order() {
        for key in ["plain", "a/b", "~", "~1", "example.com/key~x"] {
            assert_eq!(unescape_token(&escape_token(key)), key);
        }
        assert_eq!(escape_token("a/b~c"), "a~1b~0c");
        assert_eq!(unescape_token("~01"), "~1");
        assert!(matches!(escape_token("name"), Cow::Borrowed(_)));
        assert!(matches!(unescape_token("name"), Cow::Borrowed(_)));
    }
}
