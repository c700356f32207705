//! The ways a dump can be refused by `sqsdump encode` (REQ-ENC-5): the
//! encode-specific kind of [`crate::Error::Encode`].
//!
//! What every command shares (an unsafe output path, an interruption, an
//! I/O failure) is not repeated here: the encoder returns
//! [`crate::Error`] and uses its variants for those. Each variant here
//! names the dump file (a path relative to the dump root,
//! such as `sqs/orders/messages.jsonl`) and, for line-based files, the
//! 1-based line. Messages are lowercase with no final period; the texts
//! are pinned by `tests/encode/encode_errors.rs`.

/// Why the encoder refused a dump: the kind inside
/// [`crate::Error::Encode`], with its own class.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// `MANIFEST.json` is missing, is not JSON, or breaks its schema, e.g.
    /// `{"format_version":2}`.
    #[error("{path}: invalid manifest: {reason}")]
    InvalidManifest {
        /// The manifest's path in the dump.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// The dump was taken with a flag whose records cannot be restored,
    /// e.g. `"include_sqs_side_records": true`.
    #[error("{path}: unsupported dump: {reason}")]
    Unsupported {
        /// The manifest's path in the dump.
        path: String,
        /// Which flag.
        reason: String,
    },
    /// `CHECKSUMS` is missing or malformed, lists a file twice or a file
    /// that is not there, or leaves a file out.
    #[error("{path}{}: invalid checksums: {reason}", line_suffix(*line))]
    InvalidChecksums {
        /// `CHECKSUMS`, or the unlisted file (line 0).
        path: String,
        /// The 1-based line of `CHECKSUMS`, 0 when no line is at fault.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// A file's SHA-256 differs from its `CHECKSUMS` line (a tampered or
    /// truncated dump).
    #[error("{path}: checksum mismatch: CHECKSUMS says {expected}, file has {actual}")]
    ChecksumMismatch {
        /// The file.
        path: String,
        /// The listed digest.
        expected: String,
        /// The digest of the bytes found.
        actual: String,
    },
    /// An entry that is not part of the dump layout: a symlink (never
    /// followed), a device, an unexpected file or directory, e.g.
    /// `sqs/orders/notes.txt`.
    #[error("{path}: not part of the dump layout: {reason}")]
    UnexpectedEntry {
        /// The entry.
        path: String,
        /// What it is.
        reason: String,
    },
    /// `--input` is not a directory: a file, or a symlink (never
    /// followed, even to a directory). Same class as
    /// [`EncodeError::UnexpectedEntry`].
    #[error("{path}: {reason}")]
    InvalidInput {
        /// The input path as given.
        path: String,
        /// What it is instead.
        reason: String,
    },
    /// A `_queue.json` that does not parse or breaks its field rules, e.g.
    /// `"partition_count": 3`.
    #[error("{path}: invalid queue file: {reason}")]
    InvalidQueueFile {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// A queue directory whose name is not the encoding of the queue name
    /// in its `_queue.json`.
    #[error("{path}: directory name does not match queue name {name:?}: expected directory {expected:?}")]
    DirectoryMismatch {
        /// The queue directory.
        path: String,
        /// The name in `_queue.json`.
        name: String,
        /// The directory name that name encodes to.
        expected: String,
    },
    /// A `messages.jsonl` line that does not parse or breaks its field
    /// rules, e.g. `{"message_id":""}`.
    #[error("{path}:{line}: invalid message: {reason}")]
    InvalidMessage {
        /// The file.
        path: String,
        /// The 1-based line.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// A message whose `partition` does not fit its queue: at or above
    /// `partition_count`, missing on a partitioned queue, nonzero on a
    /// classic or `perQueue` one, or not the lane of its group.
    #[error("{path}:{line}: invalid partition: {reason}")]
    InvalidPartition {
        /// The file.
        path: String,
        /// The 1-based line.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// Two lines of one queue carry the same `message_id`.
    #[error("{path}:{line}: duplicate message id {id:?}, first on line {first}")]
    DuplicateMessageId {
        /// The file.
        path: String,
        /// The line of the second occurrence.
        line: usize,
        /// The line of the first occurrence.
        first: usize,
        /// The message id.
        id: String,
    },
    /// A record whose key or value exceeds the snapshot format's limits
    /// (REQ-FSM-4), e.g. a message id of 2 MiB.
    #[error("{path}: entry too large: {what} {key} has {len} bytes, limit {limit}")]
    EntryTooLarge {
        /// The queue directory the record comes from.
        path: String,
        /// The user key, escaped and shortened.
        key: String,
        /// `key` or `value of key`.
        what: &'static str,
        /// The encoded length.
        len: u64,
        /// The limit.
        limit: u64,
    },
    /// A message line longer than one line may be at the memory limit
    /// (REQ-ENC-20); the line is read through, never held.
    #[error(
        "{path}:{line}: message line of {len} bytes is longer than the {limit} bytes one line may have at --memory-limit {}MiB; raise --memory-limit to at least {}MiB",
        memory_limit >> 20,
        super::memory_limit_for_line(*len) >> 20
    )]
    LineTooLarge {
        /// The `messages.jsonl` file.
        path: String,
        /// The 1-based line.
        line: usize,
        /// The line's length, its newline included.
        len: u64,
        /// The longest line at this memory limit.
        limit: u64,
        /// `--memory-limit`.
        memory_limit: u64,
    },
    /// Two records encode to the same key.
    #[error("{path}: duplicate key {key}")]
    DuplicateKey {
        /// The queue directory.
        path: String,
        /// The user key, escaped.
        key: String,
    },
    /// `--last-commit-ts` is below the manifest's `last_commit_ts`, which
    /// would lower the restored clock's ceiling.
    #[error("--last-commit-ts {requested} is below the manifest's last_commit_ts {manifest}")]
    CommitTsRegression {
        /// The override.
        requested: u64,
        /// The manifest value.
        manifest: u64,
    },
    /// `--self-test` (REQ-ENC-19): the decode of the new snapshot differs
    /// from the input dump, or the snapshot does not decode; nothing was
    /// written.
    #[error("{path}: self-test mismatch: {reason}; nothing was written")]
    SelfTestMismatch {
        /// The first differing file, relative to the dump root, or `the
        /// snapshot`.
        path: String,
        /// What differs.
        reason: String,
    },
}

impl EncodeError {
    /// Stable machine-readable class (REQ-ENC-5).
    pub fn class(&self) -> &'static str {
        match self {
            EncodeError::InvalidManifest { .. } => "invalid_manifest",
            EncodeError::Unsupported { .. } => "unsupported_dump",
            EncodeError::InvalidChecksums { .. } => "invalid_checksums",
            EncodeError::ChecksumMismatch { .. } => "checksum_mismatch",
            EncodeError::UnexpectedEntry { .. } | EncodeError::InvalidInput { .. } => {
                "unexpected_entry"
            }
            EncodeError::InvalidQueueFile { .. } => "invalid_queue_file",
            EncodeError::DirectoryMismatch { .. } => "directory_mismatch",
            EncodeError::InvalidMessage { .. } => "invalid_message_line",
            EncodeError::InvalidPartition { .. } => "invalid_partition",
            EncodeError::DuplicateMessageId { .. } => "duplicate_message_id",
            EncodeError::EntryTooLarge { .. } | EncodeError::LineTooLarge { .. } => {
                "entry_too_large"
            }
            EncodeError::DuplicateKey { .. } => "duplicate_key",
            EncodeError::CommitTsRegression { .. } => "commit_ts_regression",
            EncodeError::SelfTestMismatch { .. } => "self_test_mismatch",
        }
    }
}

/// `:N` for a 1-based line, nothing for 0 (no line at fault).
fn line_suffix(line: usize) -> String {
    if line == 0 {
        String::new()
    } else {
        format!(":{line}")
    }
}
