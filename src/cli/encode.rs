//! `sqsdump encode` (REQ-ENC-12): dump directory, or a tar or tar.zst
//! archive of one (REQ-ARC-10), → `.fsm` snapshot, the inverse of
//! `decode` ([`crate::encode::encode_to_file_with`]).
//!
//! `--memory-limit` is parsed as `decode` parses it, and SIGINT, SIGTERM
//! and SIGHUP are handled as `decode` handles them (REQ-ENC-17): the run
//! stops, its staging directory (spill files and partial snapshot) is
//! removed, and the process exits 130, 143 or 129.
//!
//! Every run writes the ENCODE_INFO sidecar `<output>.encode_info.json`
//! beside the snapshot (REQ-ENC-18); `--self-test` decodes the staged
//! snapshot and compares it with the input before anything is committed
//! (REQ-ENC-19).

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget};

use super::decode::parse_size;
use super::signal;
use crate::encode::{encode_to_file_with, EncodeOptions, FileOptions};
use crate::run::{Control, Progress, TestKnobs};
use crate::{manifest, Error};

const AFTER_HELP: &str = "\
Examples:
  sqsdump encode --input ./dump --output restored.fsm --self-test
  sqsdump encode -i ./dump -o restored.fsm --last-commit-ts 0x0700000000000000
  sqsdump encode -i ./dump -o restored.fsm --memory-limit 128MiB
  sqsdump archive pack -i ./dump -o d.tar.zst && sqsdump encode -i d.tar.zst -o restored.fsm
  SOURCE_DATE_EPOCH=1700000000 sqsdump encode -i ./dump -o restored.fsm \\
      --self-test --scratch-root /var/tmp

The dump must be one that `sqsdump decode` writes without
--preserve-visibility and --include-sqs-side-records. MANIFEST.json and
every CHECKSUMS digest are verified before anything is encoded. Every
record is stamped with one commit timestamp and generation 1; messages are
restored visible, with their vis, byage and (FIFO) dedup rows and the FIFO
sequence counter. The output must not exist; the snapshot is written in a
staging directory beside it and renamed into place only when complete.

The input may also be a tar or tar.zst archive of a dump (told by its
content, as `archive unpack` tells it): it is read without being unpacked,
its entries are checked as `archive unpack` checks them and every CHECKSUMS
digest is verified in a first pass, and the messages are read from it in a
second. Standard input (`-`) is not accepted, since the archive is read
twice.
Rows beyond --memory-limit are sorted through spill files in that staging
directory, which is removed on success, on error and on SIGINT/SIGTERM/SIGHUP.

Every run also writes FILE.fsm.encode_info.json (which must not exist
either), the ENCODE_INFO sidecar upstream's restore tool
(elastickv-snapshot-prepare-restore) requires: the snapshot's SHA-256,
its commit timestamp, the manifest's cluster_id and the self-test result.
The snapshot is renamed into place first, then the sidecar; if the sidecar
cannot be placed, the snapshot is removed again. The restore tool refuses
a sidecar whose self-test did not run and match: pass --self-test.";

/// Arguments of `sqsdump encode`.
#[derive(Debug, Clone, Args)]
#[command(after_help = AFTER_HELP)]
pub struct EncodeArgs {
    /// The dump directory to read (symlinks in it are never followed), or
    /// a tar or tar.zst archive of one (not `-`: an archive is read
    /// twice). Example: `--input ./dump`.
    #[arg(short, long, value_name = "DIR|FILE", value_parser = parse_input)]
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
    /// into the staging directory beside the output and merged. A message
    /// line over (limit - 80 MiB) / 16 bytes is refused (`entry_too_large`,
    /// with its file, line and the limit that admits it). Example:
    /// `--memory-limit 512MiB`.
    #[arg(long, value_name = "BYTES", default_value = "256MiB", value_parser = parse_size)]
    pub memory_limit: u64,

    /// Before committing anything, decode the new snapshot into a scratch
    /// directory and compare it with the input dump (queue generations
    /// read as 1, a partition of 0 on an unpartitioned queue dropped);
    /// on a difference fail with `self_test_mismatch` naming the first
    /// differing file and write nothing. Recorded in the sidecar's
    /// `self_test`. Example: `--self-test`.
    #[arg(long)]
    pub self_test: bool,

    /// An existing directory for the self-test's scratch directory
    /// (always removed); by default the staging directory beside the
    /// output. Example: `--scratch-root /var/tmp`.
    #[arg(long, value_name = "DIR", requires = "self_test")]
    pub scratch_root: Option<PathBuf>,

    /// Record this time (seconds since the Unix epoch) as the sidecar's
    /// `wall_time_iso` instead of the current time, so that the sidecar
    /// is reproducible. Example: `SOURCE_DATE_EPOCH=1700000000`.
    #[arg(long, env = "SOURCE_DATE_EPOCH", value_name = "SECS", value_parser = manifest::parse_epoch)]
    pub source_date_epoch: Option<u64>,
}

/// `--input`: any path but `-` (REQ-ARC-10).
fn parse_input(s: &str) -> Result<PathBuf, String> {
    if s == "-" {
        return Err(
            "standard input is not supported: encode reads a dump directory, \
                    or an archive file twice (checks first, then the messages); \
                    give the file, or `sqsdump archive unpack --input -` first"
                .to_string(),
        );
    }
    Ok(PathBuf::from(s))
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
// REQ-ENC-12, REQ-ENC-21
pub fn run(args: &EncodeArgs) -> Result<(), Error> {
    let knobs = TestKnobs::from_env();
    let opts = EncodeOptions {
        last_commit_ts: args.last_commit_ts,
        memory_limit: args.memory_limit,
        spill_after: knobs.spill_after,
    };
    let bar = progress_bar(&args.input);
    let progress = bar.clone().map(|bar| {
        let started = AtomicBool::new(false);
        Box::new(move |p: Progress| {
            if let Progress::Read(n) = p {
                // The checksums are verified first; the rate and ETA
                // count from the first message line.
                if !started.swap(true, Ordering::Relaxed) {
                    bar.set_message("");
                    bar.reset_eta();
                    bar.reset_elapsed();
                }
                bar.set_position(n);
            }
        }) as Box<dyn Fn(Progress) + Send + Sync>
    });
    let ctl = Arc::new(Control {
        entry_delay: knobs.entry_delay,
        progress,
        ..Control::default()
    });
    let file = FileOptions {
        self_test: args.self_test,
        scratch_root: args.scratch_root.clone(),
        source_date_epoch: args.source_date_epoch,
    };
    signal::install(&ctl, signal::GRACE)?;
    // REQ-CLI-14: report what killed runs left where this one stages.
    let parent = crate::write::parent_dir(&args.output);
    crate::run::staging::report_stale(&parent);
    if let Some(root) = args.scratch_root.as_deref().filter(|r| *r != parent) {
        crate::run::staging::report_stale(root);
    }
    let result = encode_to_file_with(&args.input, &args.output, &opts, &file, &ctl);
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    // REQ-ENC-17: exits 130, 143 or 129 like decode.
    let r = result?;
    let mut err = std::io::stderr().lock();
    // REQ-ENC-21: one JSON line per queue, as decode's warnings.
    for w in &r.warnings {
        let _ = writeln!(err, "{}", w.to_json_line());
    }
    let s = r.summary;
    let _ = writeln!(
        err,
        "encoded {} queues, {} messages, {} entries at commit ts {} into {} (ENCODE_INFO {}, self-test {})",
        s.queues,
        s.messages,
        s.entries,
        s.commit_ts,
        args.output.display(),
        r.sidecar.display(),
        if r.info.self_test.matched { "matched" } else { "not run" }
    );
    Ok(())
}

/// The bytes of the `messages.jsonl` files under `input`'s `sqs/`
/// directory (symlinks not followed): what the encode pass reads.
fn message_bytes(input: &Path) -> u64 {
    let Ok(queues) = std::fs::read_dir(input.join("sqs")) else {
        return 0;
    };
    queues
        .filter_map(Result::ok)
        .filter_map(|q| std::fs::symlink_metadata(q.path().join("messages.jsonl")).ok())
        .filter(std::fs::Metadata::is_file)
        .map(|m| m.len())
        .sum()
}

/// The progress bar, only when stderr is a terminal (REQ-CLI-3): the
/// bytes of message lines encoded, after "verifying checksums".
fn progress_bar(input: &Path) -> Option<ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar =
        ProgressBar::with_draw_target(Some(message_bytes(input)), ProgressDrawTarget::stderr());
    if let Some(style) = super::progress::style(
        "{spinner} encoding {bytes}/{total_bytes} [{bar:30}] {rate_bytes} eta {eta_avg} {msg}",
    ) {
        bar.set_style(style);
    }
    bar.set_message("(verifying checksums)");
    bar.enable_steady_tick(Duration::from_millis(200));
    Some(bar)
}
