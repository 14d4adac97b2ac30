//! Tests of `unstuck rules`.
