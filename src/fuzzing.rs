//! Fuzz target bodies (see `fuzz/`).
