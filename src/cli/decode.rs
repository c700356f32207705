//! `sqsdump decode` (REQ-CLI-1..3, REQ-ENG-1..6): snapshot → dump directory.
//!
//! Steps: refuse an unsafe output path early, decode the snapshot with the
//! chosen engine, print the warnings (one JSON object per line on stderr),
//! put the tree in place atomically and print a human summary on stderr.
//!
//! - `--engine plain` ([`snapshot::decode_snapshot`]): decode in memory,
//!   add MANIFEST.json and CHECKSUMS, write with [`write::write_dump`].
//! - `--engine stream` (default, [`stream::prepare`]): decode into the
//!   staging directory within `--memory-limit`, then rename into place.
//!
//! SIGINT and SIGTERM stop a run: the stream engine notices between
//! entries, removes its staging directory and exits 130 or 143. A progress
//! bar (bytes read, then messages merged, with an ETA) is drawn on stderr
//! only when stderr is a terminal.

use std::fs::File;
use std::io::{self, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::decode::Options;
use crate::engine::stream::{self, Control, Progress, Source};
use crate::engine::Engine;
use crate::manifest::{self, ManifestInfo};
use crate::snapshot::{self, Summary};
use crate::{write, Error};

use super::warnout::{self, MaxWarnings, Reported, WarningsFile};

/// Test-only knob: sleep this many microseconds per entry read (stream
/// engine) or per file written (plain engine), so an end-to-end test can
/// interrupt a run reliably.
pub const ENTRY_DELAY_ENV: &str = "SQSDUMP_TEST_ENTRY_DELAY_US";
/// Test-only knob: spill buffers after this many bytes (see
/// [`stream::Config::spill_after`]).
pub const SPILL_AFTER_ENV: &str = "SQSDUMP_TEST_SPILL_AFTER";

const AFTER_HELP: &str = "\
Examples:
  sqsdump decode --input /data/fsm-snap/0000000000000064.fsm --output ./dump
  sqsdump decode -i snap.fsm -o ./dump --preserve-visibility
  sqsdump decode -i snap.fsm -o ./dump --include-sqs-side-records
  cat snap.fsm | SOURCE_DATE_EPOCH=1700000000 sqsdump decode --input - --output ./dump
  sqsdump decode -i snap.fsm -o ./dump --engine stream --memory-limit 128MiB
  sqsdump decode -i snap.fsm -o ./dump --engine plain
  sqsdump decode -i /data/fsm-snap/0000000000000064.fsm -o ./dump --require-footer
  sqsdump decode -i 0000000000000064.fsm -o ./dump --cluster-id prod-tokyo
  sqsdump decode -i snap.fsm -o ./dump --max-warnings 3 --warnings ./warnings.jsonl

A node's fsm-snap/<index>.fsm file ends with a 4-byte big-endian CRC-32C
of the snapshot; it is detected and verified whenever present (a mismatch
is error[crc_mismatch]) and recorded as source.fsm_crc32c in
MANIFEST.json. --require-footer also refuses a file without it
(error[missing_footer]). A file named <16 hex digits>.fsm records that
index (read as hexadecimal, as the node writes it) as snapshot_index.

The output directory must not exist or must be empty; the dump is built
beside it and renamed into place only when complete. Warnings are printed
on stderr as JSON lines, at most --max-warnings of each kind, then one
a warnings_suppressed JSON line per kind with lines left out,
then a summary with the count of each kind. --warnings FILE keeps every
warning. Verify a dump with `cd ./dump && sha256sum -c CHECKSUMS`.";

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

    /// Refuse an input without a node file's CRC-32C footer
    /// (`error[missing_footer]`). Without it a footer is still verified
    /// when present; a bare payload (as `sqsdump encode` writes) is
    /// accepted. Example: `--require-footer`.
    #[arg(long)]
    pub require_footer: bool,

    /// Record this cluster id as `cluster_id` in MANIFEST.json (omitted
    /// when not given or empty). Example: `--cluster-id prod-tokyo`.
    #[arg(long, value_name = "ID")]
    pub cluster_id: Option<String>,

    /// Accepted and ignored: `wall_time_iso` is always written now.
    #[arg(long, hide = true)]
    pub wall_time: bool,

    /// The decode engine. `stream` (the default) keeps memory within
    /// `--memory-limit` whatever the input size, spilling sorted runs into
    /// the staging directory; `plain` is the simple in-memory decoder that
    /// serves as the oracle. Both write identical dumps.
    #[arg(long, value_enum, default_value = "stream")]
    pub engine: Engine,

    /// Memory budget of the stream engine, in bytes or with a binary
    /// suffix (K, KiB, M, MiB, G, GiB). At least 128 MiB. Example:
    /// `--memory-limit 512MiB`.
    #[arg(long, value_name = "BYTES", default_value = "256MiB", value_parser = parse_size)]
    pub memory_limit: u64,

    /// Print at most N warning lines of each kind on stderr, then one
    /// `warnings_suppressed` JSON line per kind with the count left out;
    /// `0` prints none, `all` prints every one. Example:
    /// `--max-warnings all`.
    #[arg(long, value_name = "N|all", default_value = "10", value_parser = warnout::parse_max_warnings)]
    pub max_warnings: MaxWarnings,

    /// Also write every warning, one JSON line each in stderr's order, to
    /// FILE. FILE must not exist (it is never overwritten) and must not be
    /// inside the output directory; it is staged beside FILE and appears
    /// only when the dump does. Example: `--warnings ./warnings.jsonl`.
    #[arg(long, value_name = "FILE")]
    pub warnings: Option<PathBuf>,
}

/// Parse `--memory-limit`: a byte count with an optional binary suffix.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("not a size: {text:?} (example: 256MiB)"))?;
    let shift = match unit.trim() {
        "" | "B" => 0,
        "K" | "KiB" | "k" => 10,
        "M" | "MiB" => 20,
        "G" | "GiB" => 30,
        other => return Err(format!("unknown size unit {other:?} (use K, M or G)")),
    };
    let bytes = n
        .checked_mul(1u64 << shift)
        .ok_or_else(|| format!("size too large: {text:?}"))?;
    if bytes < stream::MIN_MEMORY_LIMIT {
        return Err(format!(
            "memory limit {text} is below the minimum of 128MiB"
        ));
    }
    Ok(bytes)
}

/// Run `sqsdump decode`.
pub fn run(args: &DecodeArgs) -> Result<(), Error> {
    write::check_output(&args.output)?;
    if let Some(path) = &args.warnings {
        WarningsFile::check(path, &args.output)?;
    }
    match args.engine {
        Engine::Plain => {
            let ctl = Arc::new(Control::default());
            install_signal_handler(&ctl, args.engine)?;
            run_plain(args, &ctl)
        }
        Engine::Stream => run_stream(args),
    }
}

/// REQ-ENG-5: on SIGINT or SIGTERM, ask the run to stop. The stream engine
/// stops at the next entry and removes its staging directory itself; if
/// it has not exited within a few seconds (a read blocked on a pipe), the
/// staging directory is removed here and the process exits. The plain
/// engine has no stopping points: it exits at once, removing the staging
/// directory if it is writing one.
pub(crate) fn install_signal_handler(ctl: &Arc<Control>, engine: Engine) -> Result<(), Error> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM])
        .map_err(|e| Error::io("installing signal handlers", e))?;
    let ctl = Arc::clone(ctl);
    let grace = match engine {
        Engine::Stream => Duration::from_secs(5),
        Engine::Plain => Duration::ZERO,
    };
    std::thread::spawn(move || {
        if let Some(signal) = signals.forever().next() {
            ctl.interrupt.store(signal, Ordering::SeqCst);
            std::thread::sleep(grace);
            if let Ok(staging) = ctl.staging.lock() {
                if let Some(dir) = staging.as_ref() {
                    let _ = std::fs::remove_dir_all(dir);
                }
                let _ = writeln!(
                    io::stderr(),
                    "{}",
                    crate::cli::error_line(&Error::Interrupted { signal })
                );
                std::process::exit(128 + signal);
            }
        }
    });
    Ok(())
}

/// The input reader, its size if known, and its name for the manifest.
type Input = (Box<dyn Read>, Option<u64>, String);

fn open_input(args: &DecodeArgs) -> Result<Input, Error> {
    if args.input.as_os_str() == "-" {
        return Ok((Box::new(io::stdin().lock()), None, "-".to_string()));
    }
    let file = File::open(&args.input)
        .map_err(|e| Error::io(format!("opening {}", args.input.display()), e))?;
    let total = file.metadata().ok().map(|m| m.len());
    Ok((Box::new(file), total, source_name(&args.input)))
}

/// The reporter of `--max-warnings` and `--warnings` (the stream engine
/// writes the warnings file while it reads its warnings back once).
fn reporter(args: &DecodeArgs) -> Result<warnout::Reporter<io::Stderr>, Error> {
    let file = args
        .warnings
        .as_deref()
        .map(WarningsFile::create)
        .transpose()?;
    Ok(warnout::Reporter::new(
        io::stderr(),
        args.max_warnings,
        file,
    ))
}

fn manifest_info(args: &DecodeArgs, source_name: String) -> ManifestInfo {
    ManifestInfo {
        last_commit_ts: 0,
        snapshot_index: manifest::snapshot_index_from_name(&source_name),
        source_name,
        source_size: 0,
        preserve_visibility: args.preserve_visibility,
        include_side_records: args.include_side_records,
        wall_time: manifest::wall_time(args.source_date_epoch),
        cluster_id: args.cluster_id.clone(),
        fsm_crc32c: None,
    }
}

fn options(args: &DecodeArgs) -> Options {
    Options {
        preserve_visibility: args.preserve_visibility,
        include_side_records: args.include_side_records,
        require_footer: args.require_footer,
    }
}

/// The test-only delay of [`ENTRY_DELAY_ENV`]: per entry read (stream
/// engine), per file written (plain engine).
fn entry_delay() -> Option<Duration> {
    std::env::var(ENTRY_DELAY_ENV)
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .map(Duration::from_micros)
}

/// `--engine plain`: the original in-memory path, unchanged.
fn run_plain(args: &DecodeArgs, ctl: &Control) -> Result<(), Error> {
    let (input, total, source_name) = open_input(args)?;
    let bar = progress_bar(total);
    let result = snapshot::decode_snapshot(input, options(args), &mut |n| {
        if let Some(bar) = &bar {
            bar.set_position(n);
        }
    });
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let (mut model, summary) = result?;
    // The warnings file is written after the dump, from memory: a signal
    // while the dump is written leaves no staged warnings file behind.
    let mut reporter = warnout::Reporter::new(io::stderr(), args.max_warnings, None);
    for w in &model.warnings {
        reporter.warning(w)?;
    }
    let (mut reported, _) = reporter.finish()?;
    let info = ManifestInfo {
        last_commit_ts: summary.last_commit_ts,
        source_size: summary.bytes_read,
        fsm_crc32c: summary.fsm_crc32c,
        ..manifest_info(args, source_name)
    };
    manifest::add_manifest(&mut model, &info)?;
    let hooks = write::WriteHooks {
        staging: Some(&ctl.staging),
        pace: entry_delay(),
    };
    write::write_dump_with(&model, &args.output, &hooks)?;
    if let Some(path) = &args.warnings {
        let mut file = WarningsFile::create(path)?;
        for w in &model.warnings {
            file.write(w)?;
        }
        file.publish()?;
        reported.file = Some(path.clone());
    }
    let _ = write!(
        io::stderr().lock(),
        "{}",
        render_summary(&summary, &args.output, &reported)
    );
    Ok(())
}

/// `--engine stream`.
fn run_stream(args: &DecodeArgs) -> Result<(), Error> {
    let (source, total, source_name) = if args.input.as_os_str() == "-" {
        (Source::Stdin, None, "-".to_string())
    } else {
        // Opened here only to report a missing file as the plain engine
        // does, and to size the progress bar.
        let file = File::open(&args.input)
            .map_err(|e| Error::io(format!("opening {}", args.input.display()), e))?;
        let total = file.metadata().ok().map(|m| m.len());
        (
            Source::Path(args.input.clone()),
            total,
            source_name(&args.input),
        )
    };
    let bar = progress_bar(total);
    let entry_delay = entry_delay();
    let progress = bar.clone().map(|bar| {
        Box::new(move |p: Progress| stream_progress(&bar, p)) as Box<dyn Fn(Progress) + Send + Sync>
    });
    let ctl = Arc::new(Control {
        entry_delay,
        progress,
        ..Control::default()
    });
    install_signal_handler(&ctl, args.engine)?;
    let cfg = stream::Config {
        opts: options(args),
        memory_limit: args.memory_limit,
        sync_files: true,
        spill_after: std::env::var(SPILL_AFTER_ENV)
            .ok()
            .and_then(|v| v.parse().ok()),
    };
    let result = stream::prepare(
        source,
        &args.output,
        &cfg,
        &manifest_info(args, source_name),
        &ctl,
    );
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let mut prepared = result?;
    let warnings = std::mem::take(&mut prepared.warnings);
    let mut reporter = reporter(args)?;
    let mut failed = None;
    // Spilled warnings are read back one at a time: memory stays bounded
    // however many there are.
    warnings.for_each(|w| {
        if failed.is_some() {
            return;
        }
        match ctl.interrupt.load(Ordering::Relaxed) {
            0 => failed = reporter.warning(&w).err(),
            signal => failed = Some(Error::Interrupted { signal }),
        }
    })?;
    if let Some(e) = failed {
        return Err(e);
    }
    let (reported, file) = reporter.finish()?;
    let summary = prepared.summary;
    prepared.commit(&args.output, &ctl)?;
    if let Some(file) = file {
        file.publish()?;
    }
    let _ = write!(
        io::stderr().lock(),
        "{}",
        render_summary(&summary, &args.output, &reported)
    );
    Ok(())
}

/// Drive the bar: bytes read with an ETA, then messages merged with an ETA.
fn stream_progress(bar: &ProgressBar, p: Progress) {
    match p {
        Progress::Read(n) => bar.set_position(n),
        Progress::Restart => {
            bar.set_message("input not in Pebble order: second pass (sorting)");
            bar.set_position(0);
            bar.reset_eta();
        }
        Progress::Merge(done, total) => {
            if bar.length() != Some(total) || done == 0 {
                // Style first, so no frame shows message counts as bytes.
                if let Ok(style) = ProgressStyle::with_template(
                    "{spinner} merging {pos}/{len} messages [{bar:30}] {per_sec} eta {eta}",
                ) {
                    bar.set_style(style.progress_chars("=> "));
                }
                bar.set_message("");
                bar.set_position(0);
                bar.set_length(total);
                bar.reset_eta();
            }
            bar.set_position(done);
        }
    }
}

/// The summary printed after a successful decode: the warnings per kind
/// (and what stderr left out), then the counts of [`Summary`].
pub fn render_summary(summary: &Summary, output: &Path, warnings: &Reported) -> String {
    format!(
        "sqsdump: wrote {} (warnings: {})\n{}{summary}",
        output.display(),
        warnings.counts.total(),
        warnings.render()
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
                "{spinner} reading {bytes}/{total_bytes} [{bar:30}] {bytes_per_sec} eta {eta} {msg}",
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
