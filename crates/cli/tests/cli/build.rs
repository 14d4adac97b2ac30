//! Tests of `unstuck build`.
