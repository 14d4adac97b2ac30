//! immutable-rules (being implemented).
