//! The integration tests of api-validation, one binary.

mod constraints;
mod corpus;
mod crd_constraints;
mod differential;
mod mutations;
mod real_corpus;
mod rules;
