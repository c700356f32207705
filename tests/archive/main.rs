//! `sqsdump archive pack|unpack` and interoperability with upstream's
//! archive tool.

#[path = "../common/mod.rs"]
mod common;

mod archive;
mod archive_upstream;
