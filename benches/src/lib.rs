//! Shared corpus generators for the benchmarks under `benches/benches/`.
//!
//! The benchmarks themselves live in `benches/benches/*.rs` (one per library) and run with
//! `cargo bench -p unstuck-benches`.

pub mod platform;
pub mod synthetic;
