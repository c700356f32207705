//! `sqsdump encode` (REQ-ENC-12): dump directory → `.fsm` snapshot, the
//! inverse of `decode` ([`crate::encode::encode_to_file_with`]).
//!
//! `--memory-limit` is parsed as `decode` parses it, and SIGINT and SIGTERM
//! are handled as `decode` handles them (REQ-ENC-17): the run stops, its
//! staging directory (spill files and partial snapshot) is removed, and
//! the process exits 130 or 143.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;

use super::decode::{install_signal_handler, parse_size, ENTRY_DELAY_ENV, SPILL_AFTER_ENV};
use crate::encode::{encode_to_file_with, EncodeError, EncodeOptions};
use crate::engine::stream::Control;
use crate::engine::Engine;
use crate::Error;

const AFTER_HELP: &str = "\
Examples:
  sqsdump encode --input ./dump --output restored.fsm
  sqsdump encode -i ./dump -o restored.fsm --last-commit-ts 0x1a2b3c4d
  sqsdump encode -i ./dump -o restored.fsm --memory-limit 128MiB

The dump must be one that `sqsdump decode` writes without
--preserve-visibility and --include-sqs-side-records. MANIFEST.json and
every CHECKSUMS digest are verified before anything is encoded. Every
record is stamped with one commit timestamp and generation 1; messages are
restored visible, with their vis, byage and (FIFO) dedup rows and the FIFO
sequence counter. The output must not exist; the snapshot is written in a
staging directory beside it and renamed into place only when complete.
Rows beyond --memory-limit are sorted through spill files in that staging
directory, which is removed on success, on error and on SIGINT/SIGTERM.";

/// Arguments of `sqsdump encode`.
#[derive(Debug, Clone, Args)]
#[command(after_help = AFTER_HELP)]
pub struct EncodeArgs {
    /// The dump directory to read (symlinks in it are never followed).
    /// Example: `--input ./dump`.
    #[arg(short, long, value_name = "DIR")]
    pub input: PathBuf,

    /// The `.fsm` snapshot to create; it must not exist.
    /// Example: `--output restored.fsm`.
    #[arg(short, long, value_name = "FILE.fsm")]
    pub output: PathBuf,

    /// Stamp this commit timestamp (decimal or 0x-hex) instead of the
    /// manifest's `last_commit_ts`; it must not be lower.
    /// Example: `--last-commit-ts 1700000000000`.
    #[arg(long, value_name = "N", value_parser = parse_ts)]
    pub last_commit_ts: Option<u64>,

    /// Memory budget, in bytes or with a binary suffix (K, KiB, M, MiB, G,
    /// GiB). At least 128 MiB. Rows beyond it are spilled as sorted runs
    /// into the staging directory beside the output and merged. Example:
    /// `--memory-limit 512MiB`.
    #[arg(long, value_name = "BYTES", default_value = "256MiB", value_parser = parse_size)]
    pub memory_limit: u64,
}

/// A decimal or `0x` hexadecimal u64.
fn parse_ts(s: &str) -> Result<u64, String> {
    let parsed = match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => s.parse(),
    };
    parsed.map_err(|e| format!("not a u64 (decimal or 0x-hex): {e}"))
}

/// Run `sqsdump encode`.
pub fn run(args: &EncodeArgs) -> Result<(), Error> {
    let opts = EncodeOptions {
        last_commit_ts: args.last_commit_ts,
        memory_limit: args.memory_limit,
        spill_after: std::env::var(SPILL_AFTER_ENV)
            .ok()
            .and_then(|v| v.parse().ok()),
    };
    let ctl = Arc::new(Control {
        entry_delay: std::env::var(ENTRY_DELAY_ENV)
            .ok()
            .and_then(|v| v.parse::<u64>().ok())
            .map(Duration::from_micros),
        ..Control::default()
    });
    install_signal_handler(&ctl, Engine::Stream)?;
    let s = match encode_to_file_with(&args.input, &args.output, &opts, &ctl) {
        Ok(s) => s,
        // REQ-ENC-17: exits 130 or 143 like decode.
        Err(EncodeError::Interrupted { signal }) => return Err(Error::Interrupted { signal }),
        Err(e) => return Err(e.into()),
    };
    let mut err = std::io::stderr().lock();
    let _ = writeln!(
        err,
        "encoded {} queues, {} messages, {} entries at commit ts {} into {}",
        s.queues,
        s.messages,
        s.entries,
        s.commit_ts,
        args.output.display()
    );
    Ok(())
}
