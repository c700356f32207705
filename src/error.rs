//! Every way sqsdump can fail, as one typed enum (REQ-ERR-1), whichever
//! command fails: decode, encode, archive, or locating a snapshot in a
//! node's data directory.
//!
//! What only one command can meet is a kind inside one variant, with its
//! own classes: [`crate::EncodeError`] in [`Error::Encode`],
//! [`NodeError`] in [`Error::Node`], the archive's refusals in
//! [`Error::Archive`]. What every command can meet (an unsafe output path,
//! an interruption, an I/O failure) is a variant of [`Error`] itself.
//!
//! Each variant is documented with an input that triggers it. Messages are
//! lowercase, carry no final period, and name the offending key rendered
//! with [`Escaped`]. [`Error::class`] gives the stable machine-readable
//! class used by the CLI and by the conformance corpus.

use std::fmt;

/// Bytes rendered for humans: printable ASCII as is, everything else
/// escaped (`\xNN`, `\n`, `\\`, …). Used for keys in error messages.
#[derive(Clone, PartialEq, Eq)]
pub struct Escaped(pub Vec<u8>);

impl Escaped {
    /// Copy `bytes` for display.
    pub fn of(bytes: &[u8]) -> Self {
        Escaped(bytes.to_vec())
    }
}

impl fmt::Display for Escaped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{}\"", self.0.escape_ascii())
    }
}

impl fmt::Debug for Escaped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Which part of an SQS key was wrong (see [`Error::MalformedKey`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyProblem {
    /// The key does not start with any known `!sqs|` family prefix,
    /// e.g. `!sqs|msg|bogus|cQ`.
    #[error("unknown sqs key family")]
    UnknownFamily,
    /// The queue segment is empty, e.g. `!sqs|queue|meta|`.
    #[error("empty queue segment")]
    EmptyQueue,
    /// A legacy key has no byte after the queue segment where the binary
    /// trailer must start, e.g. `!sqs|msg|vis|cQ`.
    #[error("queue segment boundary not found")]
    NoBoundary,
    /// The binary trailer is shorter than the family needs, e.g. a
    /// partitioned key with fewer than 12 trailer bytes.
    #[error("trailer has {got} bytes, need at least {need}")]
    ShortTrailer {
        /// Bytes present.
        got: usize,
        /// Bytes required.
        need: usize,
    },
    /// A message-data key has no message-id segment after the gen.
    #[error("empty message id segment")]
    EmptyMessageId,
    /// A partitioned key has no `|` after its queue segment, e.g.
    /// `!sqs|msg|data|p|cQ`.
    #[error("partitioned queue segment has no '|' terminator")]
    NoPartitionTerminator,
    /// A segment is not canonical unpadded base64url: a byte outside
    /// `A-Za-z0-9-_`, `=` padding, a length of 1 mod 4, or nonzero
    /// trailing bits (`cR` instead of `cQ`).
    #[error("{segment} segment {text} is not canonical base64url")]
    BadBase64 {
        /// Which segment: `queue`, `message id`, `group`, `dedup id`.
        segment: &'static str,
        /// The segment as found.
        text: Escaped,
    },
    /// A meta, gen or seq key has bytes after its queue segment, e.g.
    /// `!sqs|queue|meta|cQ\x00`.
    #[error("unexpected bytes after queue segment")]
    TrailingBytes,
}

/// The error type of every fallible sqsdump operation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The stream does not start with `EKVPBBL1`, e.g. `NOTASNAP`.
    #[error("bad magic: expected \"EKVPBBL1\", found {found}")]
    BadMagic {
        /// The first bytes of the stream.
        found: Escaped,
    },
    /// The stream starts with `EKVSSTI1`, the SST-ingest transfer format.
    #[error("unsupported format: EKVSSTI1 (sst-ingest transfer) is not a pebble snapshot stream")]
    SstIngestUnsupported,
    /// The stream ends inside the header or inside an entry, e.g. a key
    /// length prefix announcing 10 bytes followed by 3.
    #[error("truncated at offset {offset}: {what}")]
    Truncated {
        /// Byte offset where the missing data should start.
        offset: u64,
        /// What was being read (`header`, `key length`, `key`, …).
        what: &'static str,
    },
    /// The stream ends 4 bytes after an entry boundary, and those 4 bytes
    /// (a node file's footer) are not the big-endian CRC-32C of everything
    /// before them, e.g. a node file with one payload bit flipped. A
    /// payload cut inside a key length after 4 bytes looks the same.
    #[error("crc mismatch at offset {offset}: footer 0x{stored:08x}, crc-32c of the {offset} bytes before it 0x{computed:08x} (the file is corrupt, or it is a payload truncated 4 bytes into a key length)")]
    CrcMismatch {
        /// Offset of the footer (the number of bytes it covers).
        offset: u64,
        /// The footer as stored (big-endian).
        stored: u32,
        /// The CRC-32C computed over the bytes before it.
        computed: u32,
    },
    /// `--require-footer` was given and the stream ends cleanly at an
    /// entry boundary with no footer, e.g. a bare payload.
    #[error("missing footer: the stream ends at offset {offset} on an entry boundary without the 4-byte crc-32c footer of a node file (--require-footer)")]
    MissingFooter {
        /// Offset of the end of the stream.
        offset: u64,
    },
    /// An entry key is shorter than its 8-byte commit-ts suffix.
    #[error("short key at offset {offset}: {len} bytes, need at least 8")]
    ShortKey {
        /// Offset of the entry.
        offset: u64,
        /// Key length found.
        len: u64,
    },
    /// An entry value is shorter than its 9-byte header (flags + expire).
    #[error("short value for key {key}: {len} bytes, need at least 9")]
    ShortValue {
        /// The user key.
        key: Escaped,
        /// Value length found.
        len: u64,
    },
    /// A key length prefix exceeds 1 MiB + 8, e.g. `ff ff ff ff ff ff ff ff`.
    #[error("key too large at offset {offset}: {len} bytes, limit {limit}")]
    KeyTooLarge {
        /// Offset of the entry.
        offset: u64,
        /// Declared length.
        len: u64,
        /// The limit.
        limit: u64,
    },
    /// A value length prefix exceeds 256 MiB + 43.
    #[error("value too large for key {key}: {len} bytes, limit {limit}")]
    ValueTooLarge {
        /// The user key.
        key: Escaped,
        /// Declared length.
        len: u64,
        /// The limit.
        limit: u64,
    },
    /// The value of an SQS version that would be kept is larger than
    /// one record may be at the memory limit (REQ-ENG-6).
    #[error(
        "value of key {key} is {len} bytes, more than the {limit} bytes one record may have at --memory-limit {}MiB; raise --memory-limit to at least {}MiB",
        memory_limit >> 20,
        crate::engine::stream::memory_limit_for_record(*len) >> 20
    )]
    RecordOverBudget {
        /// The user key.
        key: Escaped,
        /// The value's length.
        len: u64,
        /// The largest value at this memory limit.
        limit: u64,
        /// `--memory-limit`.
        memory_limit: u64,
    },
    /// A value's flags mark it as encrypted (encryption state 1).
    #[error("encrypted entry for key {key}: encrypted snapshots cannot be decoded")]
    Encrypted {
        /// The user key.
        key: Escaped,
    },
    /// A value's encryption state is 2 or 3 (reserved), or flag bits 3-7
    /// are set, e.g. flags byte `0x08`.
    #[error("reserved value flags 0x{flags:02x} for key {key}")]
    ReservedFlags {
        /// The user key.
        key: Escaped,
        /// The whole flags byte.
        flags: u8,
    },
    /// An `!sqs|` key does not have the shape of its family, e.g.
    /// `!sqs|msg|data|cQ` (no gen, no message id).
    #[error("malformed sqs key {key}: {problem}")]
    MalformedKey {
        /// The user key.
        key: Escaped,
        /// What was wrong.
        problem: KeyProblem,
    },
    /// A queue meta value lacks the `00 'S' 'Q' 01` magic or holds JSON
    /// that Go would reject, e.g. `{"name":1}`.
    #[error("invalid queue meta for key {key}: {reason}")]
    InvalidQueueMeta {
        /// The user key.
        key: Escaped,
        /// What was wrong.
        reason: String,
    },
    /// A message value lacks the `00 'S' 'M' 01` magic or holds JSON that
    /// Go would reject, e.g. `{"send_timestamp_millis":1.5}`.
    #[error("invalid message for key {key}: {reason}")]
    InvalidMessage {
        /// The user key.
        key: Escaped,
        /// What was wrong.
        reason: String,
    },
    /// A gen value is not a decimal u64, e.g. `-1` or `1_000`.
    #[error("invalid gen value for key {key}: {value}")]
    InvalidGenValue {
        /// The user key.
        key: Escaped,
        /// The value as found.
        value: Escaped,
    },
    /// Two distinct queue states map to the same output path, e.g. a queue
    /// named `x.orphan` next to an orphan whose encoded segment is `x`.
    #[error("path collision: {path} is produced by both {first} and {second}")]
    PathCollision {
        /// The relative output path.
        path: String,
        /// Who wrote it first.
        first: String,
        /// Who wrote it again.
        second: String,
    },
    /// The output path exists and is not an empty directory, or is a
    /// symlink.
    #[error("unsafe output {path}: {reason}")]
    UnsafeOutput {
        /// The output path.
        path: String,
        /// Why it is refused.
        reason: String,
    },
    /// SIGINT, SIGTERM or SIGHUP stopped the run; nothing was left behind
    /// (REQ-ENG-5). The process exits 128 + the signal number.
    #[error("interrupted by signal {signal}; nothing was written")]
    Interrupted {
        /// The signal number (2 for SIGINT, 15 for SIGTERM, 1 for SIGHUP).
        signal: i32,
    },
    /// `sqsdump encode` refused the dump; the inner error names the dump
    /// file and carries the class (REQ-ENC-5). An encode run that fails
    /// for a reason every command shares uses the shared variant
    /// ([`Error::UnsafeOutput`], [`Error::Interrupted`], [`Error::Io`]).
    #[error(transparent)]
    Encode(#[from] crate::encode::EncodeError),
    /// Locating the snapshot in a node's data directory failed; the inner
    /// error names the file (REQ-NODE-3).
    #[error(transparent)]
    Node(#[from] NodeError),
    /// Packing or unpacking an archive was refused; the inner error names
    /// the entry (REQ-ARC-*).
    #[error(transparent)]
    Archive(#[from] crate::archive::ArchiveError),
    /// Reading the input or writing the dump failed.
    #[error("i/o error: {context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// Stable machine-readable class of the error (REQ-ERR-1). The
    /// conformance corpus stores this in `expected-error`.
    pub fn class(&self) -> &'static str {
        match self {
            Error::BadMagic { .. } => "bad_magic",
            Error::SstIngestUnsupported => "unsupported_format",
            Error::Truncated { .. } => "truncated",
            Error::CrcMismatch { .. } => "crc_mismatch",
            Error::MissingFooter { .. } => "missing_footer",
            Error::ShortKey { .. } => "short_key",
            Error::ShortValue { .. } => "short_value",
            Error::KeyTooLarge { .. } => "key_too_large",
            Error::ValueTooLarge { .. } => "value_too_large",
            Error::RecordOverBudget { .. } => "entry_too_large",
            Error::Encrypted { .. } => "encrypted_entry",
            Error::ReservedFlags { .. } => "reserved_flags",
            Error::MalformedKey { .. } => "malformed_sqs_key",
            Error::InvalidQueueMeta { .. } => "invalid_queue_meta",
            Error::InvalidMessage { .. } => "invalid_message",
            Error::InvalidGenValue { .. } => "invalid_gen_value",
            Error::PathCollision { .. } => "path_collision",
            Error::UnsafeOutput { .. } => "unsafe_output",
            Error::Interrupted { .. } => "interrupted",
            Error::Encode(e) => e.class(),
            Error::Node(e) => e.class(),
            Error::Archive(e) => e.class(),
            Error::Io { .. } => "io",
        }
    }

    /// Wrap an I/O error with what was being done.
    /// An error a reader carried as a `SourceFailure` comes back as
    /// itself.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        if source.get_ref().is_some_and(|e| e.is::<SourceFailure>()) {
            if let Some(Ok(carried)) = source.into_inner().map(|e| e.downcast::<SourceFailure>()) {
                return *carried.0;
            }
            return Error::Io {
                context: context.into(),
                source: std::io::Error::other("the dump source failed"),
            };
        }
        Error::Io {
            context: context.into(),
            source,
        }
    }
}

/// An [`Error`] carried through a reader's [`std::io::Error`], so that a
/// source which finds a problem while a file is read (an archive that
/// changed since it was checked) reports it with its own class:
/// [`Error::io`] unwraps it.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub(crate) struct SourceFailure(pub(crate) Box<Error>);

/// Every way locating a snapshot in a node's raft data directory can go
/// wrong (REQ-NODE-1 to REQ-NODE-3, see [`crate::node`]).
///
/// Each message starts with the file or directory at fault. The problems
/// of one snap file that etcd's snapshotter would also pass over are
/// reported as warnings while an older file is tried (REQ-NODE-2); the
/// others stop the search.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NodeError {
    /// The data directory, its `snap/` or its `fsm-snap/` is missing or
    /// is not a directory, e.g. a data directory without `fsm-snap/`.
    #[error("{path}: {reason}")]
    DataDirInvalid {
        /// The directory.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// A file in `snap/` ends in `.snap` but is not named
    /// `<term:016x>-<index:016x>.snap` (lowercase hex), e.g. `latest.snap`.
    #[error("{path}: not a snap file name: expected <term:016x>-<index:016x>.snap")]
    SnapNameInvalid {
        /// The file.
        path: String,
    },
    /// A `.snap` file is empty, too large, not a regular file, or not a
    /// well-formed `snappb.Snapshot` holding a `raftpb.Snapshot` with
    /// metadata, e.g. a length prefix running past the end of the file.
    #[error("{path}: invalid snap file at offset {offset}: {reason}")]
    SnapFileInvalid {
        /// The file.
        path: String,
        /// Byte offset in the file where the problem was found.
        offset: u64,
        /// What is wrong.
        reason: String,
    },
    /// The CRC-32C stored in a `.snap` file differs from that of its data
    /// (a corrupt file).
    #[error("{path}: snap crc mismatch: the file says {stored:08x}, its data has {computed:08x}")]
    SnapCrcMismatch {
        /// The file.
        path: String,
        /// The `crc` field.
        stored: u32,
        /// CRC-32C of the `data` field.
        computed: u32,
    },
    /// A `.snap` file's name and the snapshot metadata inside disagree,
    /// e.g. a file renamed by hand.
    #[error(
        "{path}: the file name says term {name_term} index {name_index}, \
         the snapshot metadata says term {term} index {index}"
    )]
    SnapNameMismatch {
        /// The file.
        path: String,
        /// Term in the file name.
        name_term: u64,
        /// Index in the file name.
        name_index: u64,
        /// Term in the metadata.
        term: u64,
        /// Index in the metadata.
        index: u64,
    },
    /// A snapshot's data is not an elastickv token: it embeds the FSM
    /// payload itself, as nodes did before `fsm-snap/` existed.
    #[error(
        "{path}: the snapshot embeds its {len}-byte payload instead of naming a \
         fsm-snap/ file (the format before snapshot offload); only offloaded \
         snapshots are read from a data directory"
    )]
    SnapLegacyPayload {
        /// The file.
        path: String,
        /// Length of the embedded data.
        len: u64,
    },
    /// A snapshot's data has the token's length and `EKVT` magic but an
    /// unknown version byte, e.g. 2.
    #[error("{path}: invalid snapshot token: {reason}")]
    TokenInvalid {
        /// The snap file.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// The token names another index than the snapshot metadata.
    #[error("{path}: the token names index {token_index}, the snapshot metadata index {index}")]
    TokenIndexMismatch {
        /// The snap file.
        path: String,
        /// Index in the token.
        token_index: u64,
        /// Index in the metadata.
        index: u64,
    },
    /// The `.fsm` file a token names does not exist or is not a regular
    /// file.
    #[error("{path}: not found or not a regular file (named by the token of {snap})")]
    FsmNotFound {
        /// The `.fsm` path.
        path: String,
        /// The snap file holding the token.
        snap: String,
    },
    /// The `.fsm` file is shorter than its 4-byte CRC-32C footer.
    #[error("{path}: {len} bytes, too small for the 4-byte crc32c footer")]
    FsmTooSmall {
        /// The `.fsm` file.
        path: String,
        /// Its length.
        len: u64,
    },
    /// The `.fsm` file's footer differs from the CRC-32C in the token.
    #[error("{path}: the footer says crc32c {footer:08x}, the token of {snap} says {token:08x}")]
    TokenCrcMismatch {
        /// The `.fsm` file.
        path: String,
        /// The snap file holding the token.
        snap: String,
        /// CRC-32C in the token.
        token: u32,
        /// CRC-32C in the footer.
        footer: u32,
    },
    /// No `.snap` file leads to a usable snapshot; every file tried is
    /// listed with what was wrong with it.
    #[error("{dir}: no usable snapshot: {}", tried_summary(.tried))]
    NoUsableSnapshot {
        /// The `snap/` directory.
        dir: String,
        /// Why each `.snap` file was passed over, newest first.
        tried: Vec<NodeError>,
    },
}

fn tried_summary(tried: &[NodeError]) -> String {
    if tried.is_empty() {
        return "no .snap file".to_string();
    }
    let each: Vec<String> = tried
        .iter()
        .map(|e| format!("[{}] {e}", e.class()))
        .collect();
    format!("tried {}: {}", tried.len(), each.join("; "))
}

impl NodeError {
    /// The file or directory at fault (for [`NodeError::NoUsableSnapshot`],
    /// the `snap/` directory).
    pub fn path(&self) -> &str {
        match self {
            NodeError::DataDirInvalid { path, .. }
            | NodeError::SnapNameInvalid { path }
            | NodeError::SnapFileInvalid { path, .. }
            | NodeError::SnapCrcMismatch { path, .. }
            | NodeError::SnapNameMismatch { path, .. }
            | NodeError::SnapLegacyPayload { path, .. }
            | NodeError::TokenInvalid { path, .. }
            | NodeError::TokenIndexMismatch { path, .. }
            | NodeError::FsmNotFound { path, .. }
            | NodeError::FsmTooSmall { path, .. }
            | NodeError::TokenCrcMismatch { path, .. } => path,
            NodeError::NoUsableSnapshot { dir, .. } => dir,
        }
    }

    /// Stable machine-readable class (REQ-ERR-1).
    pub fn class(&self) -> &'static str {
        match self {
            NodeError::DataDirInvalid { .. } => "data_dir_invalid",
            NodeError::SnapNameInvalid { .. } => "snap_name_invalid",
            NodeError::SnapFileInvalid { .. } => "snap_file_invalid",
            NodeError::SnapCrcMismatch { .. } => "snap_crc_mismatch",
            NodeError::SnapNameMismatch { .. } => "snap_name_mismatch",
            NodeError::SnapLegacyPayload { .. } => "snap_legacy_payload",
            NodeError::TokenInvalid { .. } => "token_invalid",
            NodeError::TokenIndexMismatch { .. } => "token_index_mismatch",
            NodeError::FsmNotFound { .. } => "fsm_not_found",
            NodeError::FsmTooSmall { .. } => "fsm_too_small",
            NodeError::TokenCrcMismatch { .. } => "token_crc_mismatch",
            NodeError::NoUsableSnapshot { .. } => "no_usable_snapshot",
        }
    }
}
