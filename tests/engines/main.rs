//! The two decode engines behave as one, and large records at the default
//! memory limit.

#[path = "../common/mod.rs"]
mod common;

mod engines;
mod large_records;
