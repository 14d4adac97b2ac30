//! End-to-end tests of the `unstuck` binary, one module per subcommand.

mod argo;
mod build;
mod check;
mod check_objects;
mod classify;
mod graph;
mod integration;
mod plan;
mod rules;
mod sarif;
mod support;
mod triage;
mod validate;
