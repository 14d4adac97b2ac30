//! Invariants of the YAML layer over generated input.

use std::fmt::Write as _;

use kustomize_build::value::{Map, Value};
use kustomize_build::yaml::{
    emit_documents, emit_value, parse_documents, parse_documents_with, Limits,
};
use proptest::prelude::*;

/// Fragments that steer random text into YAML's interesting corners.
const FRAGMENTS: &[&str] = &[
    "- ",
    ": ",
    "? ",
    "&a ",
    "&b ",
    "*a",
    "*b",
    "<<: ",
    "{",
    "}",
    "[",
    "]",
    ", ",
    "|",
    "|-",
    "|+",
    ">",
    ">-",
    "!!str ",
    "!!int ",
    "!!binary ",
    "!foo ",
    "! ",
    "'",
    "\"",
    "\\",
    "\n",
    "\n  ",
    "\n    ",
    "\n- ",
    "  ",
    "\t",
    "#",
    "---\n",
    "...\n",
    "%YAML 1.2\n",
    "%TAG ! tag:x:\n",
    "~",
    "null",
    "yes",
    "0x1F",
    "0123",
    "1e3",
    ".inf",
    "2001-12-14",
    "key",
    "a",
    "é",
    "😀",
    "\u{85}",
    "\u{2028}",
    "\u{feff}",
    "\r\n",
    "\0",
    "x",
];

fn yamlish_text() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(FRAGMENTS), 0..60).prop_map(|parts| parts.concat())
}

fn small_limits() -> Limits {
    Limits::default()
        .with_max_depth(64)
        .with_max_alias_nodes(10_000)
        .with_max_bytes(1 << 20)
}

/// Strings kustomize can print unchanged: no control characters go-yaml's reader refuses and
/// no NEL (which its JSON round trip folds). U+2028/U+2029 are left out too: go-yaml (YAML 1.1)
/// reads them as line breaks, yaml-rust2 (YAML 1.2) as ordinary characters, so the emitter's
/// faithful copy of go-yaml's output does not read back identically here.
fn printable_string() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9 .:#'\"-]{0,12}",
        prop::sample::select(
            &[
                "yes",
                "on",
                "0123",
                "1e3",
                "~",
                "",
                " lead",
                "trail ",
                "a: b",
                "- x",
                "1:20",
                "2001-12-14",
                "true",
                "null",
                "a\nb",
                "a\nb\n",
                "\n\n",
                " a\n",
                "tab\tx",
                "a \nb",
                "😀",
            ][..]
        )
        .prop_map(str::to_owned),
        "\\PC{0,20}".prop_filter("no refused characters", |s| !s.chars().any(|c| matches!(
            c,
            '\u{7f}'..='\u{9f}' | '\u{2028}' | '\u{2029}' | '\u{fffe}' | '\u{ffff}'
        ))),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        printable_string().prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
            prop::collection::vec(
                (
                    printable_string().prop_filter("not a merge key", |k| k != "<<"),
                    inner
                ),
                0..6
            )
            .prop_map(|entries| Value::Object(entries.into_iter().collect::<Map>())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Whatever the text, parsing ends in values or an error, and emitting those values works.
    #[test]
    fn parsing_never_panics(text in yamlish_text()) {
        if let Ok(docs) = parse_documents_with(&text, small_limits()) {
            let _ = emit_documents(&docs);
        }
    }

    /// Arbitrary bytes (as lossy UTF-8) never panic either.
    #[test]
    fn parsing_arbitrary_text_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let text = String::from_utf8_lossy(&bytes);
        let _ = parse_documents_with(&text, small_limits());
    }

    /// The emitter is faithful: reading its output gives back the same object.
    #[test]
    fn emit_then_parse_is_identity(entries in prop::collection::vec((printable_string().prop_filter("not a merge key", |k| k != "<<"), json_value()), 1..6)) {
        let object = Value::Object(entries.into_iter().collect());
        let text = emit_value(&object);
        let parsed = parse_documents(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(parsed, vec![object], "emitted:\n{}", text);
    }

    /// Emitting is a fixed point: emit(parse(emit(v))) == emit(v).
    #[test]
    fn emit_is_stable(value in json_value()) {
        let object = kustomize_build::json!({ "v": value });
        let once = emit_value(&object);
        let twice = emit_documents(&parse_documents(&once).unwrap());
        prop_assert_eq!(once, twice);
    }
}

#[test]
fn alias_bomb_is_refused() {
    let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..12 {
        let p = i - 1;
        let refs = vec![format!("*a{p}"); 10].join(", ");
        writeln!(text, "a{i}: &a{i} [{refs}]").unwrap();
    }
    let err = parse_documents(&text).unwrap_err();
    assert!(err.to_string().contains("excessive aliasing"), "{err}");
}

#[test]
fn deep_nesting_is_refused_without_overflow() {
    let depth = 100_000;
    for text in [
        "[".repeat(depth),
        "{a: ".repeat(depth),
        "- ".repeat(depth) + "x",
        (0..2000).map(|i| " ".repeat(i) + "k:\n").collect(),
    ] {
        let err = parse_documents(&text).unwrap_err();
        assert!(
            err.to_string().contains("deeper than") || err.to_string().contains("recursion"),
            "{err}"
        );
    }
}

#[test]
fn huge_input_is_refused() {
    let text = "a: b\n".repeat(1000);
    let err = parse_documents_with(&text, Limits::default().with_max_bytes(1000)).unwrap_err();
    assert!(err.to_string().contains("larger than the limit"), "{err}");
}
