//! Integration tests of unstuck-controller: one test binary, one module per concern.

mod api;
mod decide;
mod metrics;
mod support;
