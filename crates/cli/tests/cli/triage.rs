//! Tests of `unstuck triage`.
