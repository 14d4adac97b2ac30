//! Tests of `unstuck classify`.
