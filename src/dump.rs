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
    /// Who produced each path, for collision messages.
    owners: BTreeMap<String, String>,
    /// Who claimed each queue directory.
    dir_owners: BTreeMap<String, String>,
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
        let owner = owner.into();
        if let Some(first) = self.owners.get(&path) {
            return Err(Error::PathCollision {
                path,
                first: first.clone(),
                second: owner,
            });
        }
        self.owners.insert(path.clone(), owner);
        self.files.insert(path, bytes);
        Ok(())
    }

    /// Claim a queue directory for one queue state. Two queue states that
    /// map to one directory would mix their files, so a second claim is a
    /// [`Error::PathCollision`] even when their file names differ
    /// (REQ-OUT-8).
    pub fn claim_dir(&mut self, dir: &str, owner: &str) -> Result<(), Error> {
        if let Some(first) = self.dir_owners.get(dir) {
            return Err(Error::PathCollision {
                path: dir.to_string(),
                first: first.clone(),
                second: owner.to_string(),
            });
        }
        self.dir_owners.insert(dir.to_string(), owner.to_string());
        Ok(())
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
