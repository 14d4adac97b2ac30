//! Integration tests of unstuck-controller: one test binary, one module per concern.
// Fixture builders take JSON by value for readable call sites; kind names are prose in docs.
#![allow(clippy::needless_pass_by_value, clippy::doc_markdown)]

mod api;
mod decide;
mod deploy;
mod lifecycle;
mod metrics;
mod runtime;
mod support;
