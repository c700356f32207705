//! `sqsdump decode` (REQ-CLI-1..3, REQ-ENG-1..6): snapshot → dump directory.
//!
//! Steps: refuse an unsafe output path early; for a node data directory
//! (`--data-dir`, or `--input` naming one) locate its snapshot, refuse an
//! output inside it and warn about skipped snap files (REQ-NODE-5,
//! REQ-NODE-6); decode the snapshot with the chosen engine (for a data
//! directory with its footer required and checked against the token),
//! print the warnings (one JSON object per line on stderr), put the tree in
//! place atomically and print a human summary on stderr.
//!
//! - `--engine plain` ([`snapshot::decode_snapshot`]): decode in memory,
//!   add MANIFEST.json and CHECKSUMS, write with [`write::write_dump`].
//! - `--engine stream` (default, [`stream::prepare`]): decode into the
//!   staging directory within `--memory-limit`, then rename into place.
//!
//! SIGINT, SIGTERM and SIGHUP stop a run: the stream engine notices
//! between entries, removes its staging directory and exits 130, 143 or
//! 129. A progress
//! bar (bytes read, then messages merged, with an ETA) is drawn on stderr
//! only when stderr is a terminal.

use std::fs::{self, File};
use std::io::{self, IsTerminal, Read, Write};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget};

use crate::decode::Options;
use crate::engine::stream::{self, Source};
use crate::error::NodeError;
use crate::manifest::{self, ManifestInfo};
use crate::node::{self, NodeSnapshot};
use crate::run::{Control, Progress, TestKnobs, MIN_MEMORY_LIMIT};
use crate::snapshot::{self, Summary};
use crate::warning::Warning;

use super::signal;
use super::warnout::{self, MaxWarnings, Reported, WarningsFile};
use crate::{write, Error};

#[cfg(feature = "testkit")]
pub use crate::run::{ENTRY_DELAY_ENV, SPILL_AFTER_ENV};

const AFTER_HELP: &str = "\
Examples:
  sqsdump decode --input /data/fsm-snap/0000000000000064.fsm --output ./dump
  sqsdump decode --data-dir /data --output ./dump
  sqsdump decode -i snap.fsm -o ./dump --preserve-visibility
  sqsdump decode -i snap.fsm -o ./dump --include-sqs-side-records
  cat snap.fsm | SOURCE_DATE_EPOCH=1700000000 sqsdump decode --input - --output ./dump
  sqsdump decode -i snap.fsm -o ./dump --engine stream --memory-limit 128MiB
  sqsdump decode -i snap.fsm -o ./dump --engine plain
  sqsdump decode -i /data/fsm-snap/0000000000000064.fsm -o ./dump --require-footer
  sqsdump decode -i 0000000000000064.fsm -o ./dump --cluster-id prod-tokyo
  sqsdump decode -i snap.fsm -o ./dump --max-warnings 3 --warnings ./warnings.jsonl

--data-dir decodes the snapshot a stopped node (or a copy of its data
directory) would restore: the newest snap/<term>-<index>.snap file whose
token names an existing fsm-snap/<index>.fsm. Newer snap files that cannot
be used are skipped with a node_snapshot_skipped warning. The token's
CRC-32C must equal the .fsm footer, which is required and verified; the
MANIFEST records the token's index as snapshot_index. Nothing in the data
directory is changed, and an output inside it is refused. An --input that
is a directory holding snap/ or fsm-snap/ is read the same way.

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

/// `--engine`: which engine decodes ([`crate::Engine`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum EngineArg {
    /// The in-memory oracle.
    Plain,
    /// The bounded-memory streaming engine.
    #[default]
    Stream,
}

impl From<EngineArg> for crate::Engine {
    // REQ-ENG-4
    fn from(e: EngineArg) -> Self {
        match e {
            EngineArg::Plain => crate::Engine::Plain,
            EngineArg::Stream => crate::Engine::Stream,
        }
    }
}

/// Arguments of `sqsdump decode`.
#[derive(Debug, Clone, Args)]
#[command(after_help = AFTER_HELP)]
pub struct DecodeArgs {
    /// The `.fsm` snapshot to read (EKVPBBL1 format), or `-` for stdin.
    /// A node's data directory (holding `snap/` or `fsm-snap/`) is read as
    /// with `--data-dir`. Example: `--input 0000000000000064.fsm`.
    #[arg(
        short,
        long,
        value_name = "FILE.fsm|-",
        required_unless_present = "data_dir"
    )]
    pub input: Option<PathBuf>,

    /// A node's raft data directory: decode the snapshot the node would
    /// restore (its footer required and checked against the snap file's
    /// token), without changing anything in it. Example: `--data-dir /data`.
    #[arg(long, value_name = "DIR", conflicts_with = "input")]
    pub data_dir: Option<PathBuf>,

    /// The dump directory to create. It must not exist or be an empty
    /// directory, and must not be a symlink. A name ending in `.tar` or
    /// `.tar.zst` writes the dump as an archive instead, as `sqsdump
    /// archive pack` would. Example: `--output ./dump`.
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

    /// Record TIME (UTC, whole seconds) as `wall_time_iso` in
    /// MANIFEST.json; it takes precedence over `SOURCE_DATE_EPOCH`. Given
    /// without a value it is accepted and ignored, as older scripts pass
    /// it. Example: `--wall-time 2020-01-01T00:00:00Z`.
    #[arg(long, value_name = "TIME", num_args = 0..=1, value_parser = manifest::parse_wall_time)]
    pub wall_time: Option<Option<u64>>,

    /// The decode engine. `stream` (the default) keeps memory within
    /// `--memory-limit` whatever the input size, spilling sorted runs into
    /// the staging directory; `plain` is the simple in-memory decoder that
    /// serves as the oracle. Both write identical dumps.
    #[arg(long, value_enum, default_value = "stream")]
    pub engine: EngineArg,

    /// Memory budget of the stream engine, in bytes or with a binary
    /// suffix (K, KiB, M, MiB, G, GiB). At least 128 MiB. A record whose
    /// value is over (limit - 96 MiB) / 32 is refused (`entry_too_large`,
    /// with the limit that admits it), by both engines. Example:
    /// `--memory-limit 512MiB`.
    #[arg(long, value_name = "BYTES", default_value = "256MiB", value_parser = parse_size)]
    pub memory_limit: u64,
}

/// Parse `--memory-limit`: a byte count with an optional binary suffix.
// REQ-ENG-4
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
    if bytes < MIN_MEMORY_LIMIT {
        return Err(format!(
            "memory limit {text} is below the minimum of 128MiB"
        ));
    }
    Ok(bytes)
}

/// Run `sqsdump decode`.
// REQ-CLI-1, REQ-ENG-4, REQ-ARC-9
pub fn run(args: &DecodeArgs) -> Result<(), Error> {
    if crate::archive::is_archive_name(&args.output) {
        return super::archive::decode_to_archive(args);
    }
    write::check_output(&args.output)?;
    if let Some(path) = &args.warnings {
        WarningsFile::ensure_safe(path, &args.output)?;
    }
    let input = resolve_input(args)?;
    let skipped: Vec<Warning> = match &input {
        Resolved::Node(node) => node.warnings.iter().map(Warning::node_skipped).collect(),
        _ => Vec::new(),
    };
    // REQ-CLI-14: report what killed runs left beside the output, and
    // remove again the parent directories made here if the run fails.
    let parent = write::parent_dir(&args.output);
    crate::run::staging::report_stale(&parent);
    crate::run::staging::create_parents(&parent)
        .map_err(|e| Error::io(format!("creating {}", parent.display()), e))?;
    let result = match args.engine {
        EngineArg::Plain => {
            let ctl = Arc::new(Control::default());
            signal::install(&ctl, grace(args.engine))
                .and_then(|()| run_plain(args, &input, &skipped, &ctl))
        }
        EngineArg::Stream => run_stream(args, &input, &skipped),
    };
    if result.is_err() {
        crate::run::staging::remove_created_parents();
    }
    let (summary, reported) = result?;
    let _ = write!(
        io::stderr().lock(),
        "{}",
        render_summary(&summary, &args.output, &reported)
    );
    Ok(())
}

/// The snapshot to decode, once `--input` and `--data-dir` are resolved.
#[derive(Debug)]
enum Resolved {
    /// `--input -`.
    Stdin,
    /// `--input FILE`.
    File(PathBuf),
    /// `--data-dir DIR`, or `--input DIR` of a data directory: the located
    /// snapshot (REQ-NODE-5).
    Node(NodeSnapshot),
}

/// Resolve the input (REQ-NODE-5, REQ-NODE-6): a data directory is
/// located, and an output inside it refused.
fn resolve_input(args: &DecodeArgs) -> Result<Resolved, Error> {
    let dir = match (&args.data_dir, &args.input) {
        (Some(dir), _) => dir.clone(),
        (None, Some(input)) if input.as_os_str() == "-" => return Ok(Resolved::Stdin),
        (None, Some(input)) => {
            if !fs::metadata(input).is_ok_and(|m| m.is_dir()) {
                return Ok(Resolved::File(input.clone()));
            }
            let has = |d: &str| fs::symlink_metadata(input.join(d)).is_ok();
            if !has(node::SNAP_DIR) && !has(node::FSM_SNAP_DIR) {
                return Err(NodeError::DataDirInvalid {
                    path: input.display().to_string(),
                    reason: "the input is a directory but not a node data directory \
                             (it holds neither snap/ nor fsm-snap/): give a .fsm file, \
                             `-` or a node's data directory"
                        .to_string(),
                }
                .into());
            }
            input.clone()
        }
        (None, None) => {
            return Err(Error::io(
                "reading the input",
                io::Error::new(io::ErrorKind::InvalidInput, "give --input or --data-dir"),
            ))
        }
    };
    let located = node::locate(&dir)?;
    refuse_output_inside(&dir, &args.output)?;
    Ok(Resolved::Node(located))
}

/// Refuse an output path inside the data directory `dir` (REQ-NODE-6),
/// comparing real paths: the nearest existing ancestor of the output is
/// canonicalized and the rest, not yet created, appended.
fn refuse_output_inside(dir: &Path, out: &Path) -> Result<(), Error> {
    let inspecting = |p: &Path, e| Error::io(format!("inspecting {}", p.display()), e);
    let data = fs::canonicalize(dir).map_err(|e| inspecting(dir, e))?;
    let abs = std::path::absolute(out).map_err(|e| inspecting(out, e))?;
    let mut rest = Vec::new();
    let mut real = None;
    for base in abs.ancestors() {
        if let Ok(c) = fs::canonicalize(base) {
            real = Some(c);
            break;
        }
        if let Some(name) = base.file_name() {
            rest.push(name.to_os_string());
        }
    }
    let Some(mut real) = real else {
        return Ok(());
    };
    for name in rest.iter().rev() {
        real.push(name);
    }
    let mut resolved = PathBuf::new();
    for c in real.components() {
        match c {
            Component::ParentDir => {
                resolved.pop();
            }
            Component::CurDir => {}
            other => resolved.push(other),
        }
    }
    if resolved.starts_with(&data) {
        return Err(Error::UnsafeOutput {
            path: out.display().to_string(),
            reason: format!(
                "inside the node data directory {}: write the backup elsewhere",
                dir.display()
            ),
        });
    }
    Ok(())
}

/// After decoding a located snapshot: the footer the decoder verified
/// against the payload must be the CRC-32C of the snap file's token
/// (it differs only if the `.fsm` file changed after it was located).
fn check_token_crc(input: &Resolved, summary: &Summary) -> Result<(), Error> {
    let Resolved::Node(node) = input else {
        return Ok(());
    };
    let footer = summary.fsm_crc32c;
    if footer == Some(node.token_crc) {
        return Ok(());
    }
    Err(match footer {
        Some(footer) => NodeError::TokenCrcMismatch {
            path: node.fsm_path.display().to_string(),
            snap: node.snap_path.display().to_string(),
            token: node.token_crc,
            footer,
        }
        .into(),
        None => Error::MissingFooter {
            offset: summary.bytes_read,
        },
    })
}

/// How long a signal thread waits for the run to stop by itself
/// ([`signal::install`]): the stream engine stops at its next entry; the
/// plain engine has no stopping points.
fn grace(engine: EngineArg) -> Duration {
    match engine {
        EngineArg::Stream => signal::GRACE,
        EngineArg::Plain => Duration::ZERO,
    }
}

/// The input reader, its size if known, and its name for the manifest.
type Input = (Box<dyn Read>, Option<u64>, String);

fn open_input(input: &Resolved) -> Result<Input, Error> {
    let path = match input {
        Resolved::Stdin => return Ok((Box::new(io::stdin().lock()), None, "-".to_string())),
        Resolved::File(path) => path,
        Resolved::Node(node) => &node.fsm_path,
    };
    let file = File::open(path).map_err(|e| Error::io(format!("opening {}", path.display()), e))?;
    let total = file.metadata().ok().map(|m| m.len());
    Ok((Box::new(file), total, source_name(path)))
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

fn manifest_info(args: &DecodeArgs, input: &Resolved, source_name: String) -> ManifestInfo {
    let snapshot_index = match input {
        Resolved::Node(node) => Some(node.index),
        _ => manifest::snapshot_index_from_name(&source_name),
    };
    ManifestInfo {
        last_commit_ts: 0,
        snapshot_index,
        source_name,
        source_size: 0,
        preserve_visibility: args.preserve_visibility,
        include_side_records: args.include_side_records,
        wall_time: manifest::wall_time(args.wall_time.flatten().or(args.source_date_epoch)),
        cluster_id: args.cluster_id.clone(),
        fsm_crc32c: None,
    }
}

// REQ-CLI-1
fn options(args: &DecodeArgs, input: &Resolved) -> Options {
    Options {
        preserve_visibility: args.preserve_visibility,
        include_side_records: args.include_side_records,
        require_footer: args.require_footer || matches!(input, Resolved::Node(_)),
    }
}

/// `--engine plain`: everything in memory. `skipped` are the warnings of
/// locating a node's snapshot, reported first. Returns the summary and
/// what was reported.
fn run_plain(
    args: &DecodeArgs,
    input: &Resolved,
    skipped: &[Warning],
    ctl: &Control,
) -> Result<(Summary, Reported), Error> {
    let (reader, total, source_name) = open_input(input)?;
    let bar = progress_bar(total);
    let result = snapshot::decode_snapshot_within(
        reader,
        options(args, input),
        args.memory_limit,
        &mut |n| {
            if let Some(bar) = &bar {
                bar.set_position(n);
            }
        },
    );
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let (mut model, summary) = result?;
    check_token_crc(input, &summary)?;
    // The warnings file is written after the dump, from memory: a signal
    // while the dump is written leaves no staged warnings file behind.
    let mut reporter = warnout::Reporter::new(io::stderr(), args.max_warnings, None);
    for w in skipped.iter().chain(&model.warnings) {
        reporter.warning(w)?;
    }
    let (mut reported, _) = reporter.finish()?;
    let info = ManifestInfo {
        last_commit_ts: summary.last_commit_ts,
        source_size: summary.bytes_read,
        fsm_crc32c: summary.fsm_crc32c,
        ..manifest_info(args, input, source_name)
    };
    manifest::add_manifest(&mut model, &info)?;
    let hooks = write::WriteHooks {
        ctl: Some(ctl),
        pace: TestKnobs::from_env().entry_delay,
    };
    write::write_dump_with(&model, &args.output, &hooks)?;
    if let Some(path) = &args.warnings {
        let mut file = WarningsFile::create(path)?;
        for w in skipped.iter().chain(&model.warnings) {
            file.write(w)?;
        }
        file.publish()?;
        reported.file = Some(path.clone());
    }
    Ok((summary, reported))
}

/// `--engine stream`. `skipped` are the warnings of locating a node's
/// snapshot, reported first. Returns the summary and what was reported.
fn run_stream(
    args: &DecodeArgs,
    input: &Resolved,
    skipped: &[Warning],
) -> Result<(Summary, Reported), Error> {
    let (source, total, source_name) = match input {
        Resolved::Stdin => (Source::Stdin, None, "-".to_string()),
        Resolved::File(path) | Resolved::Node(NodeSnapshot { fsm_path: path, .. }) => {
            // Opened here only to report a missing file as the plain
            // engine does, and to size the progress bar.
            let file = File::open(path)
                .map_err(|e| Error::io(format!("opening {}", path.display()), e))?;
            let total = file.metadata().ok().map(|m| m.len());
            (Source::Path(path.clone()), total, source_name(path))
        }
    };
    let bar = progress_bar(total);
    let knobs = TestKnobs::from_env();
    let progress = bar.clone().map(|bar| {
        Box::new(move |p: Progress| stream_progress(&bar, p)) as Box<dyn Fn(Progress) + Send + Sync>
    });
    let ctl = Arc::new(Control {
        entry_delay: knobs.entry_delay,
        progress,
        ..Control::default()
    });
    signal::install(&ctl, grace(args.engine))?;
    let cfg = stream::Config {
        opts: options(args, input),
        memory_limit: args.memory_limit,
        sync_files: true,
        spill_after: knobs.spill_after,
    };
    let result = stream::prepare(
        source,
        &args.output,
        &cfg,
        &manifest_info(args, input, source_name),
        &ctl,
    );
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let mut prepared = result?;
    // On error `prepared` is dropped, removing its staging directory.
    check_token_crc(input, &prepared.summary)?;
    let warnings = std::mem::take(&mut prepared.warnings);
    let mut reporter = reporter(args)?;
    for w in skipped {
        reporter.warning(w)?;
    }
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
    Ok((summary, reported))
}

/// Drive the bar: bytes read with an ETA, then messages merged with an ETA.
fn stream_progress(bar: &ProgressBar, p: Progress) {
    match p {
        Progress::Read(n) => bar.set_position(n),
        Progress::Restart => {
            bar.set_message("input not in Pebble order: second pass (sorting)");
            bar.set_position(0);
            bar.reset_eta();
            bar.reset_elapsed();
        }
        Progress::Merge(done, total) => {
            if bar.length() != Some(total) || done == 0 {
                // Style first, so no frame shows message counts as bytes.
                if let Some(style) = super::progress::style(
                    "{spinner} merging {pos}/{len} messages [{bar:30}] {rate_msgs} eta {eta_avg}",
                ) {
                    bar.set_style(style);
                }
                bar.set_message("");
                bar.set_position(0);
                bar.set_length(total);
                bar.reset_eta();
                bar.reset_elapsed();
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
// REQ-CLI-12
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
            if let Some(style) = super::progress::style(
                "{spinner} reading {bytes}/{total_bytes} [{bar:30}] {rate_bytes} eta {eta_avg} {msg}",
            ) {
                bar.set_style(style);
            }
            bar
        }
        None => {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            if let Some(style) = super::progress::style("{spinner} reading {bytes} {rate_bytes}") {
                bar.set_style(style);
            }
            bar
        }
    };
    Some(bar)
}
