//! `sqsdump decode` (REQ-CLI-1..3): snapshot → dump directory.
//!
//! Steps: refuse an unsafe output path early, decode the snapshot
//! ([`snapshot::decode_snapshot`]), print the warnings (one JSON object per
//! line on stderr), add MANIFEST.json and CHECKSUMS, write the tree
//! atomically ([`write::write_dump`]) and print a human summary on stderr.
//! A progress bar of bytes read is drawn on stderr only when stderr is a
//! terminal.

use std::fs::File;
use std::io::{self, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::decode::Options;
use crate::manifest::{self, ManifestInfo};
use crate::snapshot::{self, Summary};
use crate::{write, Error};

const AFTER_HELP: &str = "\
Examples:
  sqsdump decode --input /data/fsm-snap/0000000000000064.fsm --output ./dump
  sqsdump decode -i snap.fsm -o ./dump --preserve-visibility
  sqsdump decode -i snap.fsm -o ./dump --include-sqs-side-records
  cat snap.fsm | SOURCE_DATE_EPOCH=1700000000 sqsdump decode --input - --output ./dump

The output directory must not exist or must be empty; the dump is built
beside it and renamed into place only when complete. Warnings are printed
on stderr as JSON lines, followed by a summary. Verify a dump with
`cd ./dump && sha256sum -c CHECKSUMS`.";

/// Arguments of `sqsdump decode`.
#[derive(Debug, Clone, Args)]
#[command(after_help = AFTER_HELP)]
pub struct DecodeArgs {
    /// The `.fsm` snapshot to read (EKVPBBL1 format), or `-` for stdin.
    /// Example: `--input 0000000000000064.fsm`.
    #[arg(short, long, value_name = "FILE.fsm|-")]
    pub input: PathBuf,

    /// The dump directory to create. It must not exist or be an empty
    /// directory, and must not be a symlink. Example: `--output ./dump`.
    #[arg(short, long, value_name = "DIR")]
    pub output: PathBuf,

    /// Keep each message's live visibility state (`visible_at_millis`,
    /// `receive_count`, `first_receive_millis`, `current_receipt_token`)
    /// instead of resetting it so every restored message is visible.
    /// (Upstream's spelling `--preserve-sqs-visibility` is accepted too.)
    #[arg(long, alias = "preserve-sqs-visibility")]
    pub preserve_visibility: bool,

    /// Also write SQS side records (vis, byage, dedup, group, tombstone,
    /// seq) to `sqs/<queue>/_internals/side_records.jsonl`.
    #[arg(long = "include-sqs-side-records")]
    pub include_side_records: bool,

    /// The time recorded as `wall_time_iso` in MANIFEST.json, in seconds
    /// since the Unix epoch (the reproducible-builds convention): with it
    /// the dump is byte-for-byte reproducible; without it the current time
    /// is recorded. Example: `SOURCE_DATE_EPOCH=1700000000`.
    #[arg(long, env = "SOURCE_DATE_EPOCH", value_name = "SECS", value_parser = manifest::parse_epoch)]
    pub source_date_epoch: Option<u64>,

    /// Accepted and ignored: `wall_time_iso` is always written now.
    #[arg(long, hide = true)]
    pub wall_time: bool,
}

/// Run `sqsdump decode`.
pub fn run(args: &DecodeArgs) -> Result<(), Error> {
    write::check_output(&args.output)?;

    let stdin = args.input.as_os_str() == "-";
    let (input, total, source_name): (Box<dyn Read>, Option<u64>, String) = if stdin {
        (Box::new(io::stdin().lock()), None, "-".to_string())
    } else {
        let file = File::open(&args.input)
            .map_err(|e| Error::io(format!("opening {}", args.input.display()), e))?;
        let total = file.metadata().ok().map(|m| m.len());
        (Box::new(file), total, source_name(&args.input))
    };

    let opts = Options {
        preserve_visibility: args.preserve_visibility,
        include_side_records: args.include_side_records,
    };
    let bar = progress_bar(total);
    let result = snapshot::decode_snapshot(input, opts, &mut |n| {
        if let Some(bar) = &bar {
            bar.set_position(n);
        }
    });
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let (mut model, summary) = result?;

    let mut stderr = io::stderr().lock();
    for warning in &model.warnings {
        let _ = writeln!(stderr, "{}", warning.to_json_line());
    }

    let info = ManifestInfo {
        last_commit_ts: summary.last_commit_ts,
        source_name,
        source_size: summary.bytes_read,
        preserve_visibility: args.preserve_visibility,
        include_side_records: args.include_side_records,
        wall_time: manifest::wall_time(args.source_date_epoch),
    };
    manifest::add_manifest(&mut model, &info)?;
    write::write_dump(&model, &args.output)?;

    let warnings = model.warnings.len();
    let _ = write!(
        stderr,
        "{}",
        render_summary(&summary, &args.output, warnings)
    );
    Ok(())
}

/// The summary printed after a successful decode.
pub fn render_summary(summary: &Summary, output: &Path, warnings: usize) -> String {
    format!(
        "sqsdump: wrote {} (warnings: {warnings})\n{summary}",
        output.display()
    )
}

/// The input's final path component, as recorded in MANIFEST.json.
fn source_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// A bytes-read progress bar on stderr, only when stderr is a terminal.
fn progress_bar(total: Option<u64>) -> Option<ProgressBar> {
    if !io::stderr().is_terminal() {
        return None;
    }
    let bar = match total {
        Some(len) => {
            let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
            if let Ok(style) = ProgressStyle::with_template(
                "{spinner} reading {bytes}/{total_bytes} [{bar:30}] {bytes_per_sec} eta {eta}",
            ) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar
        }
        None => {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            if let Ok(style) =
                ProgressStyle::with_template("{spinner} reading {bytes} {bytes_per_sec}")
            {
                bar.set_style(style);
            }
            bar
        }
    };
    Some(bar)
}
