//! Integration tests of the recovery-pattern matcher, one module per concern.

mod api_messages;
mod docs;
mod example_config;
mod field_notes;
mod negative;
mod never_panics;
mod support;
