//! The integration tests of api-validation, one binary.

mod corpus;
mod differential;
mod mutations;
mod real_corpus;
mod rules;
