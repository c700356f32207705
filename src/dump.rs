//! The dump model: an in-memory tree of relative paths and file bytes,
//! plus the warnings a decode produced (REQ-OUT-1).
//!
//! The model is what every consumer sees: the on-disk writer, the golden
//! tests, `verify` and `conform`. Paths use `/` and are relative to the
//! dump root (e.g. `sqs/orders/_queue.json`).

use std::collections::BTreeMap;

use crate::warning::Warning;
use crate::Error;

/// A finished dump, not yet on disk.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DumpModel {
    /// Relative path → file bytes, in path order.
    pub files: BTreeMap<String, Vec<u8>>,
    /// Who produced each path and claimed each queue directory.
    pub(crate) claims: Claims,
    /// Warnings in the order they were emitted.
    pub warnings: Vec<Warning>,
    /// Queue names (decoded, lossy UTF-8) that got a `_queue.json`, sorted.
    pub queues: Vec<String>,
    /// Counts for the CLI summary.
    pub stats: DecodeStats,
}

/// What the decoder did, for the CLI summary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DecodeStats {
    /// SQS records fed to the decoder.
    pub sqs_records: u64,
    /// Total bytes of the message-data values fed to the decoder (the
    /// denominator of the benchmark's memory ratio).
    pub message_value_bytes: u64,
    /// Message lines written to `messages.jsonl` files.
    pub messages_written: u64,
    /// Messages dropped by the generation filter.
    pub stale_dropped: u64,
    /// Orphan queue states (no meta) that held messages or side records.
    pub orphans: u64,
    /// Messages of orphan queue states, dropped.
    pub orphan_messages: u64,
    /// Side-record lines written.
    pub side_records_written: u64,
}

impl DumpModel {
    /// An empty model.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add a file. A second writer of the same path is a
    /// [`Error::PathCollision`] (REQ-OUT-8): nothing is overwritten.
    pub fn add_file(
        &mut self,
        path: String,
        bytes: Vec<u8>,
        owner: impl Into<String>,
    ) -> Result<(), Error> {
        self.claims.claim_file(&path, owner.into())?;
        self.files.insert(path, bytes);
        Ok(())
    }

    /// Claim a queue directory for one queue state. Two queue states that
    /// map to one directory would mix their files, so a second claim is a
    /// [`Error::PathCollision`] even when their file names differ
    /// (REQ-OUT-8).
    pub fn claim_dir(&mut self, dir: &str, owner: &str) -> Result<(), Error> {
        self.claims.claim_dir(dir, owner)
    }

    /// Render the whole tree as text, for golden files: each file as a
    /// `=== path` header followed by its bytes (lossy only if not UTF-8,
    /// which REQ-OUT-9 forbids), then the warnings as JSON lines.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for (path, bytes) in &self.files {
            out.push_str("=== ");
            out.push_str(path);
            out.push('\n');
            out.push_str(&String::from_utf8_lossy(bytes));
            if !bytes.ends_with(b"\n") {
                out.push_str("\n[no trailing newline]\n");
            }
        }
        out.push_str("=== warnings\n");
        for w in &self.warnings {
            out.push_str(&w.to_json_line());
            out.push('\n');
        }
        out
    }
}

/// Who wrote each path of a dump and who claimed each queue directory:
/// the collision rules (REQ-OUT-8) of every dump writer, the in-memory
/// [`DumpModel`] and the stream engine's tree on disk alike.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Claims {
    files: BTreeMap<String, String>,
    dirs: BTreeMap<String, String>,
}

impl Claims {
    /// Claim the file `path` for `owner`; a second claim is a
    /// [`Error::PathCollision`] naming the first owner.
    pub(crate) fn claim_file(&mut self, path: &str, owner: String) -> Result<(), Error> {
        self.check_free(path, &owner)?;
        self.files.insert(path.to_string(), owner);
        Ok(())
    }

    /// The [`Error::PathCollision`] that claiming the file `path` for
    /// `owner` would be, without claiming it.
    pub(crate) fn check_free(&self, path: &str, owner: &str) -> Result<(), Error> {
        collision(&self.files, path, owner)
    }

    /// Claim the queue directory `dir` for `owner`, by the same rule.
    pub(crate) fn claim_dir(&mut self, dir: &str, owner: &str) -> Result<(), Error> {
        collision(&self.dirs, dir, owner)?;
        self.dirs.insert(dir.to_string(), owner.to_string());
        Ok(())
    }

    /// Every claimed file, in path order.
    pub(crate) fn files(&self) -> impl Iterator<Item = &str> {
        self.files.keys().map(String::as_str)
    }
}

fn collision(owners: &BTreeMap<String, String>, path: &str, owner: &str) -> Result<(), Error> {
    match owners.get(path) {
        Some(first) => Err(Error::PathCollision {
            path: path.to_string(),
            first: first.clone(),
            second: owner.to_string(),
        }),
        None => Ok(()),
    }
}
