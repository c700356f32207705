//! `sqsdump encode`: the restore direction, an SQS dump tree → an `.fsm`
//! snapshot the live store loads (REQ-ENC-*).
//!
//! It follows upstream's Phase 0b encoder (`cmd/elastickv-snapshot-encode`)
//! and writes the same bytes on every dump where no Decision applies. Data
//! flows one way, one module per step:
//!
//! 1. [`tree`]: the dump tree → its checked layout, `MANIFEST.json`, and
//!    every `CHECKSUMS` digest verified before anything is encoded.
//! 2. [`model`]: `_queue.json` and `messages.jsonl` lines → typed queue
//!    configs and messages, with file and line in every error.
//! 3. [`rows`]: a queue's model → the live rows (meta, gen, seq, data,
//!    vis, byage, dedup) and their value bytes.
//! 4. [`sink`]: rows → the `.fsm` stream in Pebble key order within
//!    `--memory-limit`, through sorted runs in a spill directory when the
//!    rows do not fit (REQ-ENC-17); [`encode_to_file`] writes it in a
//!    staging directory beside the output and renames it into place.

#[cfg(feature = "testkit")]
pub mod check;
pub mod error;
mod ids;
pub mod model;
pub mod restorable;
pub mod rows;
pub mod sink;
pub mod tree;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::Path;

use crate::engine::spill::SpillDir;
use crate::engine::stream::{Control, DEFAULT_MEMORY_LIMIT, FIXED_OVERHEAD, MIN_MEMORY_LIMIT};
pub use error::EncodeError;
use ids::IdSet;
use model::QueueConfig;
use rows::QueueRows;
use sink::{check, from_engine, Sink};
use tree::{join, DiskSource, Source, MESSAGES_FILE, QUEUE_FILE};

/// Longest `messages.jsonl` line read: a 256 MiB body written with the
/// longest JSON escapes, plus room for the other fields.
pub const MAX_LINE_BYTES: u64 = 6 * (256 << 20) + (1 << 20);
/// Longest `_queue.json` read.
pub const MAX_QUEUE_FILE_BYTES: u64 = 16 << 20;

/// Options of an encode run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EncodeOptions {
    /// `--last-commit-ts`: stamp this instead of the manifest's
    /// `last_commit_ts`; it must not be lower.
    pub last_commit_ts: Option<u64>,
    /// `--memory-limit` (REQ-ENC-17): the memory budget in bytes, at least
    /// [`MIN_MEMORY_LIMIT`]. It applies when the run has a spill directory
    /// ([`encode_to_file`]); [`encode_to_vec`] holds everything in memory.
    pub memory_limit: u64,
    /// Tests only: spill as soon as the rows (or the message ids of a
    /// file) hold this many bytes, whatever `memory_limit` says, so small
    /// dumps exercise the runs and the merge.
    pub spill_after: Option<usize>,
}

impl Default for EncodeOptions {
    fn default() -> Self {
        EncodeOptions {
            last_commit_ts: None,
            memory_limit: DEFAULT_MEMORY_LIMIT,
            spill_after: None,
        }
    }
}

impl EncodeOptions {
    /// Bytes of buffered rows, and of buffered message ids, before they
    /// spill (REQ-ENC-17): of what the limit leaves after
    /// `FIXED_OVERHEAD` (the program, read, merge and write buffers),
    /// rows get half and ids a quarter; the last quarter is slack for the
    /// sort and the allocator.
    pub fn budgets(&self) -> (usize, usize) {
        if let Some(n) = self.spill_after {
            return (n, n);
        }
        let avail = self
            .memory_limit
            .max(MIN_MEMORY_LIMIT)
            .saturating_sub(FIXED_OVERHEAD);
        let quarter = usize::try_from(avail / 4).unwrap_or(usize::MAX);
        (quarter.saturating_mul(2), quarter)
    }
}

/// What an encode run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EncodeSummary {
    /// The commit timestamp of the header and every key.
    pub commit_ts: u64,
    /// Queues restored.
    pub queues: u64,
    /// Messages restored.
    pub messages: u64,
    /// Entries written.
    pub entries: u64,
    /// Sorted runs of rows spilled (0 when the rows fit the budget).
    pub row_runs: u64,
    /// Sorted runs of message ids spilled, over all files.
    pub id_runs: u64,
}

/// The commit timestamp (REQ-ENC-1): the manifest's, or an override that
/// is not lower.
pub fn resolve_commit_ts(manifest: u64, requested: Option<u64>) -> Result<u64, EncodeError> {
    match requested {
        None => Ok(manifest),
        Some(t) if t >= manifest => Ok(t),
        Some(t) => Err(EncodeError::CommitTsRegression {
            requested: t,
            manifest,
        }),
    }
}

/// Encode the dump `src` into `out`. With `spill`, an existing directory,
/// rows and message ids beyond `opts`' budgets are spilled as sorted runs
/// into subdirectories of it, which are removed before returning, on
/// success and on error (REQ-ENC-17); without it everything is held in
/// memory. `ctl` stops the run on a signal (`interrupted`).
///
/// Every check of the dump runs before the first byte reaches `out`; only
/// a duplicate key, which the key layouts rule out, and I/O errors are
/// found while writing.
pub fn encode(
    src: &dyn Source,
    opts: &EncodeOptions,
    spill: Option<&Path>,
    ctl: &Control,
    out: &mut dyn Write,
) -> Result<EncodeSummary, EncodeError> {
    let dirs = spill.map(|d| (d.join("spill-rows"), d.join("spill-ids")));
    let result = (|| {
        let (rows_spill, ids_spill) = match &dirs {
            Some((rows, ids)) => (
                Some(SpillDir::create(rows.clone()).map_err(from_engine)?),
                Some(SpillDir::create(ids.clone()).map_err(from_engine)?),
            ),
            None => (None, None),
        };
        encode_in(src, opts, rows_spill, ids_spill, ctl, out)
    })();
    if let Some((rows, ids)) = &dirs {
        let _ = std::fs::remove_dir_all(rows);
        let _ = std::fs::remove_dir_all(ids);
    }
    result
}

fn encode_in(
    src: &dyn Source,
    opts: &EncodeOptions,
    rows_spill: Option<SpillDir>,
    ids_spill: Option<SpillDir>,
    ctl: &Control,
    out: &mut dyn Write,
) -> Result<EncodeSummary, EncodeError> {
    check(ctl)?;
    let tree = tree::check_tree(src)?;
    let commit_ts = resolve_commit_ts(tree.manifest.last_commit_ts, opts.last_commit_ts)?;

    // Pass 1: every queue file, so that the manifest's queue list is
    // checked before any message is read.
    let mut configs = Vec::with_capacity(tree.queues.len());
    for dir in &tree.queues {
        let path = join(&dir.path, QUEUE_FILE);
        let bytes = read_limited(src, &path, MAX_QUEUE_FILE_BYTES)?;
        let q = model::parse_queue(&bytes).map_err(|reason| EncodeError::InvalidQueueFile {
            path: path.clone(),
            reason,
        })?;
        let mut q = q;
        // A name that came from the key and is not UTF-8: `_queue.json`
        // holds it with U+FFFD per invalid byte (REQ-JSON-11), the
        // directory holds its raw bytes, which are restored.
        q.key_name = restorable::queue_key_name(&dir.name, &q.name).map_err(|_| {
            EncodeError::DirectoryMismatch {
                path: dir.path.clone(),
                name: q.name.clone(),
                expected: crate::segment::encode_segment(q.name.as_bytes()),
            }
        })?;
        configs.push(q);
    }
    if let Some(listed) = &tree.manifest.queues {
        let listed: BTreeSet<&str> = listed.iter().map(String::as_str).collect();
        let found: BTreeSet<&str> = configs.iter().map(|q| q.name.as_str()).collect();
        if listed != found {
            let missing: Vec<_> = found.difference(&listed).collect();
            let extra: Vec<_> = listed.difference(&found).collect();
            return Err(EncodeError::InvalidManifest {
                path: tree::MANIFEST.to_string(),
                reason: format!(
                    "adapters.sqs.queues does not match the queue directories: not listed {missing:?}, listed without a directory {extra:?}"
                ),
            });
        }
    }

    // Pass 2: one queue at a time.
    let (row_budget, id_budget) = opts.budgets();
    let mut sink = Sink::new(commit_ts, row_budget, rows_spill);
    let mut ids = IdSet::new(id_budget, ids_spill);
    let mut messages = 0u64;
    for (dir, q) in tree.queues.iter().zip(&configs) {
        check(ctl)?;
        let mut rows = QueueRows::new(q, &dir.path, &mut sink)?;
        if dir.has_messages {
            let path = join(&dir.path, MESSAGES_FILE);
            messages += read_messages(src, &path, q, &mut rows, &mut ids, ctl)?;
            ids.reset();
        }
        rows.finish()?;
    }
    let (row_runs, id_runs) = (sink.runs() as u64, ids.spilled());
    let entries = sink.finish(out, ctl)?;
    Ok(EncodeSummary {
        commit_ts,
        queues: configs.len() as u64,
        messages,
        entries,
        row_runs,
        id_runs,
    })
}

/// Read a whole file of at most `limit` bytes.
fn read_limited(src: &dyn Source, path: &str, limit: u64) -> Result<Vec<u8>, EncodeError> {
    let mut bytes = Vec::new();
    src.open(path)?
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| EncodeError::io(format!("reading {path}"), e))?;
    if bytes.len() as u64 > limit {
        return Err(EncodeError::InvalidQueueFile {
            path: path.to_string(),
            reason: format!("larger than {limit} bytes"),
        });
    }
    Ok(bytes)
}

/// Read and check every line of a `messages.jsonl` (REQ-ENC-4): each line
/// a message, in decode's order, ids unique, partitions that fit the
/// queue. Each message goes to `rows` as it is read; returns the count.
///
/// A repeated id is reported as a reader holding every id would meet it:
/// at the first line that repeats one, before any error of a later line.
/// The ids are checked (in `ids`, within its budget) at the end of the
/// file and before any other error is returned.
fn read_messages(
    src: &dyn Source,
    path: &str,
    q: &QueueConfig,
    rows: &mut QueueRows<'_, '_>,
    ids: &mut IdSet,
    ctl: &Control,
) -> Result<u64, EncodeError> {
    let result = read_lines(src, path, q, rows, ids, ctl);
    if let Err(EncodeError::Interrupted { .. }) = result {
        return result;
    }
    if let Some((line, first, id)) = ids.first_duplicate(ctl)? {
        return Err(EncodeError::DuplicateMessageId {
            path: path.to_string(),
            line,
            first,
            id: String::from_utf8_lossy(&id).into_owned(),
        });
    }
    result
}

fn read_lines(
    src: &dyn Source,
    path: &str,
    q: &QueueConfig,
    rows: &mut QueueRows<'_, '_>,
    ids: &mut IdSet,
    ctl: &Control,
) -> Result<u64, EncodeError> {
    let mut reader = BufReader::with_capacity(256 * 1024, src.open(path)?);
    let mut count = 0u64;
    let mut buf = Vec::new();
    let mut line = 0usize;
    let mut last: Option<((i64, u64), String)> = None;
    loop {
        buf.clear();
        let n = (&mut reader)
            .take(MAX_LINE_BYTES + 1)
            .read_until(b'\n', &mut buf)
            .map_err(|e| EncodeError::io(format!("reading {path}"), e))?;
        if n == 0 {
            break;
        }
        check(ctl)?;
        line += 1;
        let bad = |reason: String| EncodeError::InvalidMessage {
            path: path.to_string(),
            line,
            reason,
        };
        let text = match buf.strip_suffix(b"\n") {
            Some(t) => t,
            None if n as u64 > MAX_LINE_BYTES => {
                return Err(bad(format!("longer than {MAX_LINE_BYTES} bytes")))
            }
            None => return Err(bad("the last line has no newline".to_string())),
        };
        let m = model::parse_message(text).map_err(bad)?;
        model::check_partition(q, &m).map_err(|reason| EncodeError::InvalidPartition {
            path: path.to_string(),
            line,
            reason,
        })?;
        // REQ-DEC-7: lines are in the order decode writes them.
        let order = (m.send_timestamp_millis, m.sequence_number);
        if let Some((prev, prev_id)) = &last {
            if (order, m.message_id.as_bytes()) < (*prev, prev_id.as_bytes()) {
                return Err(bad(
                    "out of order: lines are sorted by send_timestamp_millis, sequence_number and message_id".to_string(),
                ));
            }
        }
        ids.insert(m.message_id.as_bytes(), line)?;
        rows.push(&m)?;
        count += 1;
        last = Some((order, m.message_id));
    }
    Ok(count)
}

/// Encode an in-memory or on-disk dump into a byte vector.
pub fn encode_to_vec(
    src: &dyn Source,
    opts: &EncodeOptions,
) -> Result<(Vec<u8>, EncodeSummary), EncodeError> {
    let mut out = Vec::new();
    let summary = encode(src, opts, None, &Control::default(), &mut out)?;
    Ok((out, summary))
}

/// Encode the dump directory `input` into the file `output`
/// (REQ-ENC-11): the output must not exist; the snapshot is written to a
/// temporary file beside it and renamed into place only when complete, so
/// a failed run leaves nothing at `output`. Uses [`encode_to_file_with`]
/// without signal handling.
pub fn encode_to_file(
    input: &Path,
    output: &Path,
    opts: &EncodeOptions,
) -> Result<EncodeSummary, EncodeError> {
    encode_to_file_with(input, output, opts, &Control::default())
}

/// [`encode_to_file`] under `ctl` (REQ-ENC-11, REQ-ENC-17): the snapshot
/// and the spill files are written in a staging directory
/// (`.sqsdump-encode-*`) beside the output, which is removed on success,
/// on error and on interruption; `ctl.staging` names it while it exists,
/// so that a signal thread can remove it too.
pub fn encode_to_file_with(
    input: &Path,
    output: &Path,
    opts: &EncodeOptions,
    ctl: &Control,
) -> Result<EncodeSummary, EncodeError> {
    let unsafe_out = |reason: &str| unsafe_output(output, reason);
    if std::fs::symlink_metadata(output).is_ok() {
        return Err(unsafe_out("the output path already exists"));
    }
    if output.file_name().is_none() {
        return Err(unsafe_out("the output path has no file name"));
    }
    let parent = match output.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let src = DiskSource::new(input)?;
    let staging = tempfile::Builder::new()
        .prefix(".sqsdump-encode-")
        .tempdir_in(parent)
        .map_err(|e| {
            EncodeError::io(
                format!("creating a staging directory in {}", parent.display()),
                e,
            )
        })?;
    set_staging(ctl, Some(staging.path()));
    let result = encode_staged(&src, staging.path(), output, opts, ctl);
    set_staging(ctl, None);
    let _ = staging.close();
    result
}

fn unsafe_output(output: &Path, reason: &str) -> EncodeError {
    EncodeError::UnsafeOutput {
        path: output.display().to_string(),
        reason: reason.to_string(),
    }
}

fn set_staging(ctl: &Control, dir: Option<&Path>) {
    if let Ok(mut s) = ctl.staging.lock() {
        *s = dir.map(Path::to_path_buf);
    }
}

/// Encode into a file in `staging`, then rename it onto `output`.
fn encode_staged(
    src: &DiskSource,
    staging: &Path,
    output: &Path,
    opts: &EncodeOptions,
    ctl: &Control,
) -> Result<EncodeSummary, EncodeError> {
    let unsafe_out = |reason: &str| unsafe_output(output, reason);
    // Created new with the dump files' mode, 0644 before the umask
    // (REQ-CLI-7), not tempfile's private 0600.
    let mut tmp = tempfile::Builder::new()
        .prefix("snapshot-")
        .make_in(staging, |path| crate::write::file_options().open(path))
        .map_err(|e| {
            EncodeError::io(
                format!("creating a temporary file in {}", staging.display()),
                e,
            )
        })?;
    let summary = {
        let mut w = BufWriter::with_capacity(1 << 20, tmp.as_file_mut());
        let summary = encode(src, opts, Some(staging), ctl, &mut w)?;
        w.flush()
            .map_err(|e| EncodeError::io("writing the snapshot", e))?;
        summary
    };
    tmp.as_file()
        .sync_all()
        .map_err(|e| EncodeError::io("syncing the snapshot", e))?;
    // Hold the lock so that a signal thread cannot remove the staging
    // directory halfway through the rename.
    let guard = ctl.staging.lock();
    check(ctl)?;
    tmp.persist_noclobber(output).map_err(|e| {
        if e.error.kind() == std::io::ErrorKind::AlreadyExists {
            unsafe_out("the output path already exists")
        } else {
            EncodeError::io(format!("renaming into {}", output.display()), e.error)
        }
    })?;
    if let Ok(mut g) = guard {
        *g = None;
    }
    Ok(summary)
}
