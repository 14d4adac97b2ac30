//! The `email` format: what kube-openapi's `strfmt.IsEmail` accepts
//! (`pkg/validation/strfmt/default.go`): Go's `net/mail.ParseAddress` reads exactly one
//! address with a non-empty `Address`. The grammar below follows `src/net/mail/message.go`
//! (`parseSingleAddress`, `parseAddress`, `consumeAddrSpec`, `consumePhrase`,
//! `consumeGroupList`, `consumeQuotedString`, `consumeAtom`, `consumeDomainLiteral`,
//! `skipCFWS`, `consumeComment`) as read at golang/go f7be4ea, which has domain literals.
//!
//! Accepted:
//!
//! - a bare address `local@domain` (`jdoe@example.com`, `ö@example.com`, `a@b`), the local
//!   part a dot-atom or a non-empty quoted string (`"john doe"@example.com`, with `\` escapes),
//!   the domain a dot-atom or a bracketed IP literal (`a@[10.0.0.1]`, `a@[IPv6:::1]`), spaces
//!   and tabs around either; optionally followed by a parenthesised comment, the display name
//!   (`jdoe@example.com (John Doe)`);
//! - a display name and an angle address (`John Doe <jdoe@example.com>`,
//!   `"Doe, John" <jdoe@example.com>`, `<jdoe@example.com>`), the name being words, quoted
//!   strings and comments, its words allowed dots and to be RFC 2047 encoded;
//! - a group of exactly one address (`team: jdoe@example.com;`);
//! - trailing spaces, tabs and comments.
//!
//! Refused: anything else — no `@`, an empty local part or domain, leading, trailing or double
//! dots in a bare address, specials (`()<>[]:;@\,"`) outside quotes, two addresses, an empty
//! group, an unclosed quote, bracket or comment, line breaks or other control characters
//! outside comments.
//!
//! Where this knowingly accepts more than Go (never less): an RFC 2047 encoded word
//! (`=?charset?q?…?=`) naming a charset other than UTF-8, ISO-8859-1 or US-ASCII makes Go
//! refuse the address when it is the display name's first word or inside the comment after a
//! bare address; here encoded words are not decoded. Older Go releases (before domain literals
//! and comments between display-name words were read, and before a group's closing comment was
//! checked) refused some addresses accepted here, or accepted a group whose closing comment is
//! unclosed; this follows the union, so no release's acceptance is refused.

use std::net::IpAddr;

/// Whether the API server's format check accepts `text` as an `email`.
pub(crate) fn is_email(text: &str) -> bool {
    let mut parser = Parser { rest: text };
    parser.single_address()
}

/// The unread rest of the input, consumed from the front as Go's `addrParser` does.
#[derive(Clone, Copy)]
struct Parser<'a> {
    rest: &'a str,
}

impl Parser<'_> {
    /// `parseSingleAddress`: one address (a group counts its members), then only CFWS.
    fn single_address(&mut self) -> bool {
        self.address(true) == Some(1) && self.skip_cfws() && self.rest.is_empty()
    }

    /// `parseAddress`: how many addresses were read, `None` on a syntax error.
    fn address(&mut self, handle_group: bool) -> Option<usize> {
        self.skip_space();
        if self.rest.is_empty() {
            return None;
        }
        // A bare addr-spec is tried first; on failure the input is as before.
        if self.addr_spec() {
            self.skip_space();
            if self.rest.starts_with('(') {
                self.advance(1);
                self.comment()?;
            }
            return Some(1);
        }
        if !self.rest.starts_with('<') {
            self.phrase()?;
        }
        self.skip_space();
        if handle_group && self.consume(':') {
            return self.group_list();
        }
        (self.consume('<') && self.addr_spec() && self.consume('>')).then_some(1)
    }

    /// `consumeGroupList`, after the `:`: addresses separated by `,` up to `;`.
    fn group_list(&mut self) -> Option<usize> {
        self.skip_space();
        if self.consume(';') {
            self.skip_cfws_lenient();
            return Some(0);
        }
        let mut members = 0;
        loop {
            self.skip_space();
            members += self.address(false)?;
            if !self.skip_cfws() {
                return None;
            }
            if self.consume(';') {
                self.skip_cfws_lenient();
                return Some(members);
            }
            if !self.consume(',') {
                return None;
            }
        }
    }

    /// `consumeAddrSpec`: `local@domain`; leaves the input untouched when it fails.
    fn addr_spec(&mut self) -> bool {
        let saved = *self;
        let read = self.addr_spec_parts();
        if !read {
            *self = saved;
        }
        read
    }

    fn addr_spec_parts(&mut self) -> bool {
        self.skip_space();
        let local_ok = if self.rest.starts_with('"') {
            self.quoted_string() == Some(true)
        } else {
            self.atom(false)
        };
        if !local_ok || !self.consume('@') {
            return false;
        }
        self.skip_space();
        if self.rest.starts_with('[') {
            self.domain_literal()
        } else {
            self.atom(false)
        }
    }

    /// `consumePhrase`: one or more words (atoms allowing any dots, or quoted strings), with
    /// CFWS allowed between them. Reading stops at the first thing that is not a word; only a
    /// phrase without any word, or an unclosed comment between words, is an error.
    fn phrase(&mut self) -> Option<()> {
        let mut words = 0;
        loop {
            if words > 0 && !self.skip_cfws() {
                return None;
            }
            self.skip_space();
            let read = if self.rest.is_empty() {
                break;
            } else if self.rest.starts_with('"') {
                self.quoted_string().is_some()
            } else {
                self.atom(true)
            };
            if !read {
                break;
            }
            words += 1;
        }
        (words > 0).then_some(())
    }

    /// `consumeQuotedString`: `Some(whether it held anything)` when it closes; every character
    /// inside must be visible, non-ASCII, a space or a tab, `\` escaping one of those.
    fn quoted_string(&mut self) -> Option<bool> {
        let mut escaped = false;
        let mut non_empty = false;
        for (i, c) in self.rest.char_indices().skip(1) {
            if escaped {
                if !is_vchar(c) && !is_wsp(c) {
                    return None;
                }
                escaped = false;
                non_empty = true;
            } else if is_qtext(c) || is_wsp(c) {
                non_empty = true;
            } else if c == '"' {
                self.advance(i + 1);
                return Some(non_empty);
            } else if c == '\\' {
                escaped = true;
            } else {
                return None;
            }
        }
        None
    }

    /// `consumeAtom` with dots allowed: a run of atext or `.`. Unless `permissive` (display
    /// names), the run may not start or end with a dot nor hold two in a row; when it fails
    /// that way the caller restores the input.
    fn atom(&mut self, permissive: bool) -> bool {
        let length = self
            .rest
            .find(|c: char| !is_atext(c))
            .unwrap_or(self.rest.len());
        if length == 0 {
            return false;
        }
        let atom = &self.rest[..length];
        self.advance(length);
        permissive || !(atom.starts_with('.') || atom.ends_with('.') || atom.contains(".."))
    }

    /// `consumeDomainLiteral`: `[` dtext `]` holding an IPv4 address (or an IPv4-mapped IPv6
    /// one), or `IPv6:` and any IP address Go's `net.ParseIP` reads.
    fn domain_literal(&mut self) -> bool {
        let Some(end) = self.rest.find(']') else {
            return false;
        };
        let text = &self.rest[1..end];
        if !text.chars().all(is_dtext) {
            return false;
        }
        self.advance(end + 1);
        match text.strip_prefix("IPv6:") {
            Some(address) => address.parse::<IpAddr>().is_ok(),
            None => match text.parse::<IpAddr>() {
                Ok(IpAddr::V4(_)) => true,
                Ok(IpAddr::V6(v6)) => v6.to_ipv4_mapped().is_some(),
                Err(_) => false,
            },
        }
    }

    /// `consumeComment`, after the `(`: up to the matching `)`, nesting counted and `\`
    /// escaping the next character; `None` when the input ends first.
    fn comment(&mut self) -> Option<()> {
        let mut depth = 1_usize;
        let mut chars = self.rest.char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                // A `\` at the very end is an ordinary character (and leaves it unclosed).
                '\\' if i + 1 < self.rest.len() => {
                    chars.next();
                }
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        self.advance(i + 1);
                        return Some(());
                    }
                }
                _ => {}
            }
        }
        self.rest = "";
        None
    }

    /// `skipCFWS`: spaces, tabs and comments; `false` when a comment is unclosed.
    fn skip_cfws(&mut self) -> bool {
        self.skip_space();
        while self.consume('(') {
            if self.comment().is_none() {
                return false;
            }
            self.skip_space();
        }
        true
    }

    /// CFWS after a group's `;`. Newer Go refuses an unclosed comment there, older releases
    /// did not look (an unclosed comment still consumes the rest); accepting is the union.
    fn skip_cfws_lenient(&mut self) {
        let _ = self.skip_cfws();
    }

    /// `skipSpace`: spaces and tabs only.
    fn skip_space(&mut self) {
        self.rest = self.rest.trim_start_matches([' ', '\t']);
    }

    fn consume(&mut self, c: char) -> bool {
        match self.rest.strip_prefix(c) {
            Some(rest) => {
                self.rest = rest;
                true
            }
            None => false,
        }
    }

    fn advance(&mut self, bytes: usize) {
        self.rest = &self.rest[bytes..];
    }
}

/// RFC 5322 VCHAR as Go reads it: visible ASCII, or any non-ASCII character (RFC 6532).
fn is_vchar(c: char) -> bool {
    matches!(c, '!'..='~') || !c.is_ascii()
}

fn is_wsp(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// atext with the dot: VCHAR but the specials `()<>[]:;@\,"`.
fn is_atext(c: char) -> bool {
    !matches!(
        c,
        '(' | ')' | '<' | '>' | '[' | ']' | ':' | ';' | '@' | '\\' | ',' | '"'
    ) && is_vchar(c)
}

fn is_qtext(c: char) -> bool {
    c != '\\' && c != '"' && is_vchar(c)
}

fn is_dtext(c: char) -> bool {
    !matches!(c, '[' | ']' | '\\') && is_vchar(c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::assert_verdicts;

    #[test]
    fn bare_addresses_are_emails() {
        assert_verdicts(
            is_email,
            true,
            "jdoe@example.com|first.last+tag@sub.example.org|a@b|ö@例え.jp|!#$%&'*+-/=?^_`{}~@x|\
             \tjdoe@example.com |a@[10.0.0.1]|a@[IPv6:::1]|a@[IPv6:10.0.0.1]|a@[::ffff:10.0.0.1]",
        );
    }

    #[test]
    fn quoted_local_parts_are_emails() {
        assert_verdicts(
            is_email,
            true,
            r#""john doe"@example.com|"a\"b"@example.com|"a@b"@example.com|"\\"@x|" "@x|"é"@x|"(),:;<>[]@"@x|"..."@x|<".a."@x>"#,
        );
    }

    #[test]
    fn display_names_and_comments_are_emails() {
        assert_verdicts(
            is_email,
            true,
            "John Doe <jdoe@example.com>|<jdoe@example.com>|\"Doe, John\" <jdoe@example.com>|\
             John Q. Public <jq@example.com>|J. <j@x>|Jöhn <j@x>|=?utf-8?q?J=C3=B6hn?= <j@x>|\
             John (the man) Doe <j@x>|jdoe@example.com (John Doe)|jdoe@example.com (a (nested) b)|\
             John<j@x>|John Doe < jdoe@example.com>|<j@x> (comment)|<j@x>\t|\
             \"\" <j@x>|John \"\" <j@x>",
        );
    }

    #[test]
    fn groups_of_one_address_are_emails() {
        assert_verdicts(
            is_email,
            true,
            "team: jdoe@example.com;|team:<j@x>;|Team A: John <j@x> ;|team: j@x; (done)",
        );
    }

    #[test]
    fn garbage_is_not_an_email() {
        assert_verdicts(
            is_email,
            false,
            "| |jdoe|@example.com|jdoe@|jdoe@@example.com|jdoe@example.com.|.jdoe@example.com|\
             jd..oe@example.com|jdoe@exa..mple.com|john doe@example.com|jdoe@example.com\n|\
             jdoe@ex ample.com|j(d)oe@example.com|jdoe@example,com|a@b, c@d|jdoe@example.com>|\
             John Doe|John Doe <jdoe@example.com|John Doe jdoe@example.com>|<>|<jdoe>|\
             \"\"@example.com|\"unclosed@example.com|\"a\nb\"@x|a@[example.com]|a@[10.0.0.1|\
             a@[IPv6:fe80::1%eth0]|a@[::1]|a@b (unclosed|John (unclosed <j@x>|team:;|a\"b\"c@x|< @x>|<a@b@x>|a@[[10.0.0.1]|\
             team: a@b, c@d;|team: a@b|a: b: c@d;;|a@b <a@b>|\u{7f}@x|a\u{1}b@x",
        );
    }

    #[test]
    fn an_escape_at_the_very_end_leaves_a_comment_open() {
        assert_verdicts(is_email, false, "a@b (x\\|<a@b> (x\\");
        assert_verdicts(is_email, true, "a@b (x\\))|a@b (\\ö)");
    }

    proptest::proptest! {
        #[test]
        fn an_accepted_text_holds_an_at_sign(
            text in "\\PC{0,30}|[a-z@<>()\"\\\\ .:;,\\[\\]1]{0,30}",
        ) {
            proptest::prop_assert!(!is_email(&text) || text.contains('@'), "{text:?}");
        }

        #[test]
        fn dot_atom_addresses_are_emails_with_or_without_a_name(
            local in "[a-z0-9!#$%&'*+/=?^_`{|}~-]{1,8}(\\.[a-z0-9_-]{1,8}){0,2}",
            domain in "[a-zé0-9-]{1,8}(\\.[a-z0-9-]{1,8}){0,2}",
            name in "[A-Za-z]{1,8}( [A-Za-z.]{1,8}){0,2}",
        ) {
            let address = format!("{local}@{domain}");
            proptest::prop_assert!(is_email(&address), "{address:?}");
            let named = format!("{name} <{address}>");
            proptest::prop_assert!(is_email(&named), "{named:?}");
            let quoted = format!("\"{name}\" <{address}> ({name})");
            proptest::prop_assert!(is_email(&quoted), "{quoted:?}");
        }
    }
}
