//! recovery-patterns (being implemented).
