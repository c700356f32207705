//! `sqsdump encode` (REQ-ENC-12): dump directory → `.fsm` snapshot, the
//! inverse of `decode` ([`crate::encode::encode_to_file`]).

use std::io::Write;
use std::path::PathBuf;

use clap::Args;

use crate::encode::{encode_to_file, EncodeOptions};
use crate::Error;

const AFTER_HELP: &str = "\
Examples:
  sqsdump encode --input ./dump --output restored.fsm
  sqsdump encode -i ./dump -o restored.fsm --last-commit-ts 0x1a2b3c4d

The dump must be one that `sqsdump decode` writes without
--preserve-visibility and --include-sqs-side-records. MANIFEST.json and
every CHECKSUMS digest are verified before anything is encoded. Every
record is stamped with one commit timestamp and generation 1; messages are
restored visible, with their vis, byage and (FIFO) dedup rows and the FIFO
sequence counter. The output must not exist; the snapshot is written
beside it and renamed into place only when complete.";

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
    };
    let s = encode_to_file(&args.input, &args.output, &opts)?;
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
