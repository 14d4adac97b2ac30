//! Tests of `unstuck check-objects`.
