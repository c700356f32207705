//! Output path segments.
