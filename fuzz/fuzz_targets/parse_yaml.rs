//! Feeds arbitrary bytes to the YAML reader, then prints and re-reads what it accepted.
//!
//! Run with `cargo +nightly fuzz run parse_yaml` from the repository root. Every input must
//! end in values or an error: no panic, no hang, no unbounded memory (the limits are small
//! so that alias bombs and deep nesting hit them quickly).

#![no_main]

use kustomize_build::yaml::{emit_documents, parse_documents, parse_documents_with, Limits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let limits = Limits::default()
        .with_max_bytes(1 << 20)
        .with_max_depth(128)
        .with_max_alias_nodes(100_000);
    if let Ok(docs) = parse_documents_with(text, limits) {
        let emitted = emit_documents(&docs);
        // What we print must read back (kustomize's output is valid YAML).
        let reparsed = parse_documents(&emitted);
        assert!(reparsed.is_ok(), "emitted YAML does not parse: {emitted:?}");
    }
});
