//! The command line: flags, help and exit codes, every documented example,
//! end-to-end trees, data directories and `sqsdump gen`.

#[path = "../common/mod.rs"]
mod common;

mod cli_drift;
mod cli_e2e;
mod cli_examples;
mod cli_usage;
mod data_dir_cli;
mod prop_gen;
