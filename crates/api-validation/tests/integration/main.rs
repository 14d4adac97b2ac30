//! The integration tests of api-validation, one binary.

mod corpus;
mod crd_constraints;
mod differential;
mod mutations;
mod real_corpus;
mod rules;
