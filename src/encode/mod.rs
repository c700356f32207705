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
//! 5. [`selftest`]: with `--self-test`, the staged snapshot is decoded
//!    and compared with the input (REQ-ENC-19); [`info`]: the ENCODE_INFO
//!    sidecar committed beside the snapshot (REQ-ENC-18).

#[cfg(feature = "testkit")]
pub mod check;
pub mod error;
mod ids;
pub mod info;
pub mod model;
pub mod restorable;
pub mod rows;
pub mod selftest;
pub mod sink;
pub mod tree;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::archive::source::ArchiveSource;
use crate::archive::Budget;
use crate::encode::restorable::Oversize;
use crate::run::spill::SpillDir;
use crate::run::{
    Control, Staging, StagingKind, DEFAULT_MEMORY_LIMIT, FIXED_OVERHEAD, MIN_MEMORY_LIMIT,
};
use crate::warning::Warning;
use crate::Error;
pub use error::EncodeError;
use ids::IdSet;
pub use info::EncodeInfo;
use model::QueueConfig;
use rows::QueueRows;
use sink::RowSink;
use tree::{join, DiskSource, Manifest, Source, MESSAGES_FILE, QUEUE_FILE};

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

/// How many times its length one message line may take while it is
/// encoded: the line, the parsed message, its rows framed in the buffer
/// (the body base64-encoded), the merge's copy of the largest rows and
/// their buffers' growth (REQ-ENC-20).
const LINE_FACTOR: u64 = 16;

/// The smallest `--memory-limit` at which a message line of `len` bytes
/// may be read ([`EncodeOptions::max_line`]), rounded up to a MiB.
pub fn memory_limit_for_line(len: u64) -> u64 {
    len.saturating_mul(LINE_FACTOR)
        .saturating_add(FIXED_OVERHEAD)
        .max(MIN_MEMORY_LIMIT)
        .div_ceil(1 << 20)
        .saturating_mul(1 << 20)
}

impl EncodeOptions {
    /// The longest message line, newline included, read at this memory
    /// limit (REQ-ENC-20): what the limit leaves after the fixed overhead,
    /// divided by [`LINE_FACTOR`], and never more than [`MAX_LINE_BYTES`].
    pub fn max_line(&self) -> u64 {
        (self
            .memory_limit
            .max(MIN_MEMORY_LIMIT)
            .saturating_sub(FIXED_OVERHEAD)
            / LINE_FACTOR)
            .min(MAX_LINE_BYTES)
    }

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
pub fn resolve_commit_ts(manifest: u64, requested: Option<u64>) -> Result<u64, Error> {
    match requested {
        None => Ok(manifest),
        Some(t) if t >= manifest => Ok(t),
        Some(t) => Err(EncodeError::CommitTsRegression {
            requested: t,
            manifest,
        }
        .into()),
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
) -> Result<EncodeSummary, Error> {
    encode_full(src, opts, spill, ctl, out).map(|(summary, ..)| summary)
}

/// [`encode`], returning the dump's manifest and the warnings too.
fn encode_full(
    src: &dyn Source,
    opts: &EncodeOptions,
    spill: Option<&Path>,
    ctl: &Control,
    out: &mut dyn Write,
) -> Result<(EncodeSummary, Manifest, Vec<Warning>), Error> {
    let dirs = spill.map(|d| (d.join("spill-rows"), d.join("spill-ids")));
    let result = (|| {
        let (rows_spill, ids_spill) = match &dirs {
            Some((rows, ids)) => (
                Some(SpillDir::create(rows.clone())?),
                Some(SpillDir::create(ids.clone())?),
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

// REQ-ENC-16
fn encode_in(
    src: &dyn Source,
    opts: &EncodeOptions,
    rows_spill: Option<SpillDir>,
    ids_spill: Option<SpillDir>,
    ctl: &Control,
    out: &mut dyn Write,
) -> Result<(EncodeSummary, Manifest, Vec<Warning>), Error> {
    ctl.checkpoint()?;
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
            }.into());
        }
    }

    // Pass 2: one queue at a time.
    let (row_budget, id_budget) = opts.budgets();
    let mut sink = RowSink::new(commit_ts, row_budget, rows_spill);
    let mut ids = IdSet::new(id_budget, ids_spill);
    let mut messages = 0u64;
    let mut warnings = Vec::new();
    for (dir, q) in tree.queues.iter().zip(&configs) {
        ctl.checkpoint()?;
        let mut rows = QueueRows::new(q, &dir.path, &mut sink)?;
        if dir.has_messages {
            let path = join(&dir.path, MESSAGES_FILE);
            let (count, over) = read_messages(src, &path, q, opts, &mut rows, &mut ids, ctl)?;
            messages += count;
            ids.reset();
            // REQ-ENC-21: restored as they are, with a warning.
            if let Some(o) = over {
                warnings.push(o.warning(&q.name));
            }
        }
        rows.finish()?;
    }
    let (row_runs, id_runs) = (sink.runs() as u64, ids.spilled());
    let entries = sink.finish(out, ctl)?;
    let summary = EncodeSummary {
        commit_ts,
        queues: configs.len() as u64,
        messages,
        entries,
        row_runs,
        id_runs,
    };
    Ok((summary, tree.manifest, warnings))
}

/// Read a whole file of at most `limit` bytes.
pub(crate) fn read_limited(src: &dyn Source, path: &str, limit: u64) -> Result<Vec<u8>, Error> {
    let read = || format!("reading {path}");
    read_capped(src.open(path)?, limit, read)?.ok_or_else(|| {
        EncodeError::InvalidQueueFile {
            path: path.to_string(),
            reason: format!("larger than {limit} bytes"),
        }
        .into()
    })
}

/// Read `file` whole if it holds at most `limit` bytes (`None` if it holds
/// more), never more than one byte past the limit; `context` names the
/// file in an I/O error.
pub(crate) fn read_capped(
    file: impl Read,
    limit: u64,
    context: impl FnOnce() -> String,
) -> Result<Option<Vec<u8>>, Error> {
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(context(), e))?;
    Ok((bytes.len() as u64 <= limit).then_some(bytes))
}

/// Read and check every line of a `messages.jsonl` (REQ-ENC-4): each line
/// a message, in decode's order, ids unique, partitions that fit the
/// queue. Each message goes to `rows` as it is read; returns the count
/// and the bodies over the queue's `maximum_message_size`, if any (how
/// many, and the first; REQ-ENC-21).
///
/// A repeated id is reported as a reader holding every id would meet it:
/// at the first line that repeats one, before any error of a later line.
/// The ids are checked (in `ids`, within its budget) at the end of the
/// file and before any other error is returned.
fn read_messages(
    src: &dyn Source,
    path: &str,
    q: &QueueConfig,
    opts: &EncodeOptions,
    rows: &mut QueueRows<'_, '_>,
    ids: &mut IdSet,
    ctl: &Control,
) -> Result<(u64, Option<Oversize>), Error> {
    let result = read_lines(src, path, q, opts, rows, ids, ctl);
    if let Err(Error::Interrupted { .. }) = result {
        return result;
    }
    if let Some((line, first, id)) = ids.first_duplicate(ctl)? {
        return Err(EncodeError::DuplicateMessageId {
            path: path.to_string(),
            line,
            first,
            id: String::from_utf8_lossy(&id).into_owned(),
        }
        .into());
    }
    result
}

/// Read through the rest of a line in bounded memory; the bytes up to and
/// including its newline (or the end of the file).
fn skip_line(reader: &mut impl BufRead, path: &str) -> Result<u64, Error> {
    let mut n = 0u64;
    loop {
        let buf = match reader.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::io(format!("reading {path}"), e)),
        };
        if buf.is_empty() {
            return Ok(n);
        }
        let (used, done) = match buf.iter().position(|&b| b == b'\n') {
            Some(i) => (i + 1, true),
            None => (buf.len(), false),
        };
        reader.consume(used);
        n = n.saturating_add(used as u64);
        if done {
            return Ok(n);
        }
    }
}

fn read_lines(
    src: &dyn Source,
    path: &str,
    q: &QueueConfig,
    opts: &EncodeOptions,
    rows: &mut QueueRows<'_, '_>,
    ids: &mut IdSet,
    ctl: &Control,
) -> Result<(u64, Option<Oversize>), Error> {
    let max_line = opts.max_line();
    let mut reader = BufReader::with_capacity(256 * 1024, src.open(path)?);
    let mut count = 0u64;
    let mut buf = Vec::new();
    let mut line = 0usize;
    let mut last: Option<((i64, u64), String)> = None;
    let mut over = None;
    loop {
        buf.clear();
        let n = (&mut reader)
            .take(max_line)
            .read_until(b'\n', &mut buf)
            .map_err(|e| Error::io(format!("reading {path}"), e))?;
        if n == 0 {
            break;
        }
        ctl.checkpoint()?;
        ctl.add_read(n as u64);
        line += 1;
        // REQ-ENC-20: a line that fills the limit without its newline is
        // read through, not held, and refused by its length.
        if n as u64 >= max_line && !buf.ends_with(b"\n") {
            let rest = skip_line(&mut reader, path)?;
            if rest > 0 {
                return Err(EncodeError::LineTooLarge {
                    path: path.to_string(),
                    line,
                    len: (n as u64).saturating_add(rest),
                    limit: max_line,
                    memory_limit: opts.memory_limit.max(MIN_MEMORY_LIMIT),
                }
                .into());
            }
        }
        let bad = |reason: String| EncodeError::InvalidMessage {
            path: path.to_string(),
            line,
            reason,
        };
        let text = match buf.strip_suffix(b"\n") {
            Some(t) => t,
            None => return Err(bad("the last line has no newline".to_string()).into()),
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
                ).into());
            }
        }
        Oversize::note(
            &mut over,
            q.maximum_message_size,
            m.message_id.as_bytes(),
            m.body.len() as u64,
        );
        ids.insert(m.message_id.as_bytes(), line)?;
        rows.push(&m)?;
        count += 1;
        last = Some((order, m.message_id));
    }
    Ok((count, over))
}

/// Encode an in-memory or on-disk dump into a byte vector.
pub fn encode_to_vec(
    src: &dyn Source,
    opts: &EncodeOptions,
) -> Result<(Vec<u8>, EncodeSummary), Error> {
    let mut out = Vec::new();
    let summary = encode(src, opts, None, &Control::default(), &mut out)?;
    Ok((out, summary))
}

/// File-level options of an encode run into a file (REQ-ENC-18,
/// REQ-ENC-19).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileOptions {
    /// `--self-test`: decode the staged snapshot and compare it with the
    /// input before anything is committed.
    pub self_test: bool,
    /// `--scratch-root`: an existing directory in which the self-test's
    /// scratch directory is made; by default it is made in the staging
    /// directory beside the output.
    pub scratch_root: Option<PathBuf>,
    /// `--source-date-epoch` (`SOURCE_DATE_EPOCH`): the sidecar's
    /// `wall_time_iso`, the current time when absent.
    pub source_date_epoch: Option<u64>,
}

/// What [`encode_to_file_with`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restored {
    /// What the encode did.
    pub summary: EncodeSummary,
    /// The sidecar's contents.
    pub info: EncodeInfo,
    /// Where the sidecar is: `<output>.encode_info.json`.
    pub sidecar: PathBuf,
    /// What the dump holds that is restored but noteworthy: bodies over
    /// their queue's `maximum_message_size` (REQ-ENC-21).
    pub warnings: Vec<Warning>,
}

/// Encode the dump directory `input` into the file `output`
/// (REQ-ENC-11), with its ENCODE_INFO sidecar (REQ-ENC-18): neither may
/// exist; both are written beside it and renamed into place only when
/// complete, so a failed run leaves nothing. Uses [`encode_to_file_with`]
/// without signal handling or self-test.
pub fn encode_to_file(
    input: &Path,
    output: &Path,
    opts: &EncodeOptions,
) -> Result<EncodeSummary, Error> {
    encode_to_file_with(
        input,
        output,
        opts,
        &FileOptions::default(),
        &Control::default(),
    )
    .map(|r| r.summary)
}

/// [`encode_to_file`] under `ctl` and `file` (REQ-ENC-11, REQ-ENC-17,
/// REQ-ENC-18, REQ-ENC-19): the snapshot, the sidecar, the spill files
/// and the self-test's scratch directory (unless `--scratch-root` puts it
/// elsewhere) are written in a staging directory (`.sqsdump-encode-*`)
/// beside the output, which is removed on success, on error and on
/// interruption; `ctl.staging` names it while it exists, so that a signal
/// thread can remove it too.
///
/// Commit order: the snapshot is renamed onto `output` and the directory
/// synced, then the sidecar is renamed onto `<output>.encode_info.json`
/// and the directory synced again. Neither rename replaces anything. If
/// the sidecar cannot be put in place, the snapshot is removed again. A
/// sidecar therefore never exists without the snapshot it describes; a
/// crash between the two renames leaves a snapshot without a sidecar,
/// which upstream's restore tool refuses, and which a new run refuses to
/// overwrite.
pub fn encode_to_file_with(
    input: &Path,
    output: &Path,
    opts: &EncodeOptions,
    file: &FileOptions,
    ctl: &Control,
) -> Result<Restored, Error> {
    let unsafe_out = |reason: &str| unsafe_output(output, reason);
    let sidecar = info::sidecar_path(output);
    if std::fs::symlink_metadata(output).is_ok() {
        return Err(unsafe_out("the output path already exists"));
    }
    if output.file_name().is_none() {
        return Err(unsafe_out("the output path has no file name"));
    }
    if std::fs::symlink_metadata(&sidecar).is_ok() {
        return Err(unsafe_out(&format!(
            "its ENCODE_INFO sidecar {} already exists",
            sidecar.display()
        )));
    }
    if let Some(root) = &file.scratch_root {
        match std::fs::metadata(root) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => {
                return Err(Error::io(
                    format!("using --scratch-root {}", root.display()),
                    std::io::Error::other("not a directory"),
                ))
            }
            Err(e) => {
                return Err(Error::io(
                    format!("using --scratch-root {}", root.display()),
                    e,
                ))
            }
        }
    }
    let parent = match output.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let target = Target {
        input,
        output,
        sidecar: &sidecar,
        parent,
    };
    if is_archive(input)? {
        let staging = Staging::create_in(parent, StagingKind::Encode, Some(ctl))?;
        let src = ArchiveSource::scan(
            input,
            &staging.path().join("archive"),
            Budget::default(),
            ctl,
        )?;
        return encode_staged(&src, staging, &target, opts, file, ctl);
    }
    let src = DiskSource::new(input)?;
    let staging = Staging::create_in(parent, StagingKind::Encode, Some(ctl))?;
    encode_staged(&src, staging, &target, opts, file, ctl)
}

/// Whether `input` is an archive (REQ-ARC-10): a regular file (not a
/// symlink) that starts with the zstd magic number or a valid tar header.
/// Anything else is read as a dump directory, which refuses what is not
/// one.
fn is_archive(input: &Path) -> Result<bool, Error> {
    let ctx = || format!("reading {}", input.display());
    match std::fs::symlink_metadata(input) {
        Ok(meta) if meta.is_file() => {
            crate::archive::source::is_archive_file(input).map_err(|e| Error::io(ctx(), e))
        }
        _ => Ok(false),
    }
}

/// Where a run writes.
struct Target<'a> {
    input: &'a Path,
    output: &'a Path,
    sidecar: &'a Path,
    parent: &'a Path,
}

fn unsafe_output(output: &Path, reason: &str) -> Error {
    Error::UnsafeOutput {
        path: output.display().to_string(),
        reason: reason.to_string(),
    }
}

/// A writer that hashes what it passes on.
struct Hashing<W> {
    inner: W,
    hasher: Sha256,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(buf.get(..n).unwrap_or(buf));
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// A file created new in `staging` with the dump files' mode, 0644 before
/// the umask (REQ-CLI-7), not tempfile's private 0600.
fn staged_file(staging: &Path, prefix: &str) -> Result<tempfile::NamedTempFile, Error> {
    tempfile::Builder::new()
        .prefix(prefix)
        .make_in(staging, |path| crate::write::file_options().open(path))
        .map_err(|e| {
            Error::io(
                format!("creating a temporary file in {}", staging.display()),
                e,
            )
        })
}

/// Sync the directory `dir`, so that a rename in it is durable.
fn sync_dir(dir: &Path) -> Result<(), Error> {
    let ctx = || format!("syncing the directory {}", dir.display());
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io(ctx(), e))
}

/// Encode into a file in `staging`, self-test it if asked, write the
/// sidecar beside it, then rename both into place in the documented order
/// ([`encode_to_file_with`]).
fn encode_staged(
    src: &dyn Source,
    staged: Staging<'_>,
    target: &Target<'_>,
    opts: &EncodeOptions,
    file: &FileOptions,
    ctl: &Control,
) -> Result<Restored, Error> {
    let output = target.output;
    let unsafe_out = |reason: &str| unsafe_output(output, reason);
    let staging = staged.path();
    let mut tmp = staged_file(staging, "snapshot-")?;
    let (summary, manifest, warnings, sha256) = {
        let mut w = Hashing {
            inner: BufWriter::with_capacity(1 << 20, tmp.as_file_mut()),
            hasher: Sha256::new(),
        };
        let (summary, manifest, warnings) = encode_full(src, opts, Some(staging), ctl, &mut w)?;
        w.flush()
            .map_err(|e| Error::io("writing the snapshot", e))?;
        (
            summary,
            manifest,
            warnings,
            hex::encode(w.hasher.finalize()),
        )
    };
    tmp.as_file()
        .sync_all()
        .map_err(|e| Error::io("syncing the snapshot", e))?;
    if file.self_test {
        let base = file.scratch_root.as_deref().unwrap_or(staging);
        selftest::run(tmp.path(), src, summary.commit_ts, opts, base, ctl)?;
    }
    let info = EncodeInfo {
        encoder_version: info::encoder_version(),
        wall_time_iso: info::wall_time(file.source_date_epoch),
        input_root: target.input.to_path_buf(),
        output_fsm_path: output.to_path_buf(),
        output_fsm_sha256: sha256,
        last_commit_ts: summary.commit_ts,
        last_commit_ts_overridden: opts.last_commit_ts.is_some(),
        manifest_last_commit_ts: manifest.last_commit_ts,
        manifest_cluster_id: manifest.cluster_id,
        self_test: info::SelfTest {
            ran: file.self_test,
            matched: file.self_test,
        },
    };
    let mut side = staged_file(staging, "encode-info-")?;
    side.write_all(&info.to_json())
        .and_then(|()| side.as_file().sync_all())
        .map_err(|e| Error::io("writing the ENCODE_INFO sidecar", e))?;
    // Both renames happen under the staging lock, so that a signal thread
    // cannot remove the staging directory halfway through them.
    staged.commit_with(|| {
        ctl.checkpoint()?;
        tmp.persist_noclobber(output).map_err(|e| {
            if e.error.kind() == std::io::ErrorKind::AlreadyExists {
                unsafe_out("the output path already exists")
            } else {
                Error::io(format!("renaming into {}", output.display()), e.error)
            }
        })?;
        let mut sidecar_placed = false;
        let placed = (|| {
            sync_dir(target.parent)?;
            side.persist_noclobber(target.sidecar).map_err(|e| {
                if e.error.kind() == std::io::ErrorKind::AlreadyExists {
                    unsafe_out(&format!(
                        "its ENCODE_INFO sidecar {} already exists",
                        target.sidecar.display()
                    ))
                } else {
                    Error::io(
                        format!("renaming into {}", target.sidecar.display()),
                        e.error,
                    )
                }
            })?;
            sidecar_placed = true;
            sync_dir(target.parent)
        })();
        if let Err(e) = placed {
            // The pair is not durably in place: take back what this run put
            // there, the sidecar first.
            if sidecar_placed {
                let _ = std::fs::remove_file(target.sidecar);
            }
            let _ = std::fs::remove_file(output);
            let _ = sync_dir(target.parent);
            return Err(e);
        }
        Ok(())
    })?;
    Ok(Restored {
        summary,
        info,
        sidecar: target.sidecar.to_path_buf(),
        warnings,
    })
}
