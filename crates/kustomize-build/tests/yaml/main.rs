//! Tests of the YAML layer against `kubectl kustomize` output.

mod conformance_roundtrip;
mod fixtures;
mod properties;
