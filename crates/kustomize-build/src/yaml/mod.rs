//! YAML in and out, exactly as kustomize v5.5.0 reads resource files and prints its output.
//!
//! kustomize reads resources with go-yaml v3 and prints every object after a JSON round trip
//! with go-yaml v2. The two disagree on YAML 1.1: `yes` *reads* as a string but must be
//! *written* quoted (`"yes"`), `0123` reads as the octal number 83, `~` reads as null and
//! comments vanish. This module reproduces both directions byte for byte:
//!
//! - [`parse_documents`] turns a (multi-document) YAML text into [`crate::value::Value`]s with
//!   go-yaml v3's scalar rules, anchors, aliases and merge keys, skipping empty documents;
//!   hostile input (alias bombs, deep nesting, huge texts) ends in a [`YamlError`] bounded by
//!   [`Limits`].
//! - [`emit_documents`] prints values as `kubectl kustomize` does: keys in go-yaml's natural
//!   order, block sequences not indented under their key, literal blocks for multi-line
//!   strings, quotes exactly where go-yaml v2 puts them and lines folded at 80 columns.
//!   [`try_emit_documents`] also fails where kustomize's own printing fails (control
//!   characters go-yaml's reader refuses, keys longer than 1022 escaped characters).
//!
//! Both directions are checked against `kubectl kustomize` v5.5.0: the committed fixtures under
//! `tests/fixtures/yaml/` were produced by it (`scripts/regen-yaml-goldens`), and every
//! expected output of the shared conformance corpus is reproduced byte for byte by
//! `emit_documents(parse_documents(expected))`.
//!
//! Like kyaml, a file is first cut at every line that starts with `---` and only the first
//! document of each piece is read (see `documents`), so directives are refused and text after
//! a `...` marker without its own `---` is ignored. go-yaml's tab rules are replayed where
//! yaml-rust2 differs: tabs after a key's `:` separate, tabs where a block scalar's
//! indentation is measured or right after a sequence's `-` are refused.
//!
//! Known differences from kustomize's reader (yaml-rust2 is a YAML 1.2 parser, go-yaml is
//! not): a raw U+0085, U+2028 or U+2029 in the input is an ordinary character here but a line
//! break there; a double-quoted scalar whose continuation line is not indented past its key is
//! an error here but accepted there; the `\/` escape is accepted here but refused there;
//! non-ASCII letters and digits in keys sort by Unicode's
//! alphabetic and numeric properties, which differ from Go's only in rare scripts.
//!
//! # Examples
//!
//! Reading resolves scalars as kustomize does, and writing quotes what YAML 1.1 would misread:
//!
//! ```
//! use kustomize_build::yaml::{emit_documents, parse_documents};
//!
//! let docs = parse_documents("a: yes\nb: 0123\nc: ~\nd: 1e3\n---\n# only a comment\n")?;
//! assert_eq!(docs.len(), 1); // the empty second document is skipped
//! assert_eq!(docs[0]["a"], "yes");
//! assert_eq!(docs[0]["b"], 83);
//! assert!(docs[0]["c"].is_null());
//! assert_eq!(emit_documents(&docs), "a: \"yes\"\nb: 83\nc: null\nd: 1000\n");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Output keys are sorted, sequences under a key are not indented, and anchors are expanded:
//!
//! ```
//! use kustomize_build::yaml::{emit_value, parse_documents};
//!
//! let text = "kind: ConfigMap\nbase: &b {x: 1}\nitems: [*b, {<<: *b, z: 2}]\n";
//! let doc = &parse_documents(text)?[0];
//! assert_eq!(
//!     emit_value(doc),
//!     "base:\n  x: 1\nitems:\n- x: 1\n- x: 1\n  z: 2\nkind: ConfigMap\n"
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Errors carry a line and a column; the caller adds the file name:
//!
//! ```
//! use kustomize_build::yaml::parse_documents;
//!
//! let err = parse_documents("a: 1\na: 2\n").unwrap_err();
//! assert_eq!(err.line(), 2);
//! assert_eq!(format!("deploy.yaml: {err}"), "deploy.yaml: line 2, column 1: mapping key \"a\" already defined at line 1");
//! ```

mod block_tail;
mod documents;
mod emit;
mod error;
mod folded;
mod go_number;
mod key_order;
mod output_check;
mod parse;
mod scalar;
mod timestamp;

pub(crate) use emit::{could_be_plain, emit_all};
pub use emit::{emit_documents, emit_value, try_emit_documents};
pub use error::{YamlError, YamlErrorKind};
pub(crate) use output_check::check_value as check_printable;
pub use output_check::EmitError;
pub use parse::{parse_documents, parse_documents_with, parse_json_documents, Limits};
pub(crate) use parse::{
    parse_go_yaml_v2_documents, parse_patch_documents, parse_resource_documents, short_tag,
    EMPTY_NULLS_ANNOTATION, TYPED_NAMESPACE_ANNOTATION, TYPED_NAME_ANNOTATION,
};
pub(crate) use scalar::{decode_scalar, needs_quotes_for_v2, Style as ScalarStyle};
