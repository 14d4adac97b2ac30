//! Integration tests of the recovery-pattern matcher, one module per concern.

mod api_messages;
mod audit;
mod docs;
mod example_config;
mod field_notes;
mod negative;
mod never_panics;
mod precedence;
mod real_messages;
mod samples;
mod support;
