//! What a stopped or failed run leaves: atomic output, staging
//! directories of killed runs, `sqsdump clean`, SIGXFSZ.

#[path = "../common/mod.rs"]
mod common;

mod staging;
mod write;
