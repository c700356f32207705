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
//! 4. [`sink`]: rows → the `.fsm` stream in Pebble key order, one queue in
//!    memory at a time; [`encode_to_file`] writes it beside the output and
//!    renames it into place.

#[cfg(feature = "testkit")]
pub mod check;
pub mod error;
pub mod model;
pub mod rows;
pub mod sink;
pub mod tree;

use std::collections::{BTreeSet, HashMap};
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::Path;

pub use error::EncodeError;
use model::QueueConfig;
use rows::QueueRows;
use sink::{Sink, Spill};
use tree::{join, DiskSource, Source, MESSAGES_FILE, QUEUE_FILE};

/// Longest `messages.jsonl` line read: a 256 MiB body written with the
/// longest JSON escapes, plus room for the other fields.
pub const MAX_LINE_BYTES: u64 = 6 * (256 << 20) + (1 << 20);
/// Longest `_queue.json` read.
pub const MAX_QUEUE_FILE_BYTES: u64 = 16 << 20;

/// Options of an encode run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EncodeOptions {
    /// `--last-commit-ts`: stamp this instead of the manifest's
    /// `last_commit_ts`; it must not be lower.
    pub last_commit_ts: Option<u64>,
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

/// Encode the dump `src` into `out`, spilling framed rows to `spill`.
/// Every check runs before the first byte reaches `out`.
pub fn encode(
    src: &dyn Source,
    opts: &EncodeOptions,
    spill: Spill,
    out: &mut dyn Write,
) -> Result<EncodeSummary, EncodeError> {
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
        let expected = crate::segment::encode_segment(q.name.as_bytes());
        if expected != dir.name {
            // A name that came from the key and is not UTF-8: `_queue.json`
            // holds it with U+FFFD per invalid byte (REQ-JSON-11), the
            // directory holds its raw bytes. Restore the raw bytes.
            let raw = crate::segment::percent_decode(&dir.name)
                .ok()
                .filter(|raw| {
                    crate::segment::encode_segment(raw) == dir.name
                        && crate::jsonout::utf8_per_byte_lossy(raw) == q.name
                });
            match raw {
                Some(raw) => q.key_name = Some(raw),
                None => {
                    return Err(EncodeError::DirectoryMismatch {
                        path: dir.path.clone(),
                        name: q.name,
                        expected,
                    })
                }
            }
        }
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
    let mut sink = Sink::new(commit_ts, spill);
    let mut messages = 0u64;
    for (dir, q) in tree.queues.iter().zip(&configs) {
        let mut rows = QueueRows::new(q, sink.arena());
        if dir.has_messages {
            messages += read_messages(src, &join(&dir.path, MESSAGES_FILE), q, &mut rows)?;
        }
        sink.add_queue(&dir.path, rows.finish())?;
    }
    let summary = EncodeSummary {
        commit_ts,
        queues: configs.len() as u64,
        messages,
        entries: sink.entries(),
    };
    sink.finish(out)?;
    Ok(summary)
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
fn read_messages(
    src: &dyn Source,
    path: &str,
    q: &QueueConfig,
    rows: &mut QueueRows<'_>,
) -> Result<u64, EncodeError> {
    let mut reader = BufReader::with_capacity(256 * 1024, src.open(path)?);
    let mut count = 0u64;
    let mut seen: HashMap<String, usize> = HashMap::new();
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
        if let Some(&first) = seen.get(&m.message_id) {
            return Err(EncodeError::DuplicateMessageId {
                path: path.to_string(),
                line,
                first,
                id: m.message_id,
            });
        }
        seen.insert(m.message_id.clone(), line);
        rows.push(&m);
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
    let summary = encode(src, opts, Spill::Mem(Vec::new()), &mut out)?;
    Ok((out, summary))
}

/// Encode the dump directory `input` into the file `output`
/// (REQ-ENC-11): the output must not exist; the snapshot is written to a
/// temporary file beside it and renamed into place only when complete, so
/// a failed run leaves nothing at `output`.
pub fn encode_to_file(
    input: &Path,
    output: &Path,
    opts: &EncodeOptions,
) -> Result<EncodeSummary, EncodeError> {
    let unsafe_out = |reason: &str| EncodeError::UnsafeOutput {
        path: output.display().to_string(),
        reason: reason.to_string(),
    };
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
    let spill = tempfile::tempfile_in(parent).map_err(|e| {
        EncodeError::io(format!("creating a spill file in {}", parent.display()), e)
    })?;
    // Created new with the dump files' mode, 0644 before the umask
    // (REQ-CLI-7), not tempfile's private 0600.
    let mut tmp = tempfile::Builder::new()
        .prefix(".sqsdump-encode-")
        .make_in(parent, |path| crate::write::file_options().open(path))
        .map_err(|e| {
            EncodeError::io(
                format!("creating a temporary file in {}", parent.display()),
                e,
            )
        })?;
    let summary = {
        let mut w = BufWriter::with_capacity(1 << 20, tmp.as_file_mut());
        let summary = encode(
            &src,
            opts,
            Spill::File(BufWriter::with_capacity(1 << 20, spill)),
            &mut w,
        )?;
        w.flush()
            .map_err(|e| EncodeError::io("writing the snapshot", e))?;
        summary
    };
    tmp.as_file()
        .sync_all()
        .map_err(|e| EncodeError::io("syncing the snapshot", e))?;
    tmp.persist_noclobber(output).map_err(|e| {
        if e.error.kind() == std::io::ErrorKind::AlreadyExists {
            unsafe_out("the output path already exists")
        } else {
            EncodeError::io(format!("renaming into {}", output.display()), e.error)
        }
    })?;
    Ok(summary)
}
