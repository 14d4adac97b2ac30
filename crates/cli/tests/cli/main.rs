//! End-to-end tests of the `unstuck` binary, one module per subcommand.

mod accept;
mod argo;
mod build;
mod check;
mod check_crd;
mod check_objects;
mod check_schema;
mod classify;
#[cfg(feature = "cluster")]
mod fake_api;
mod graph;
mod integration;
mod plan;
#[cfg(feature = "cluster")]
mod rescue;
#[cfg(feature = "cluster")]
mod rescue_stand_in;
mod rules;
mod sarif;
mod strict_substitution;
mod support;
mod triage;
#[cfg(feature = "cluster")]
mod triage_stand_in;
mod validate;
