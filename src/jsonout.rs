//! Go-compatible JSON writing.
