//! Locating the snapshot a node would restore, from its raft data
//! directory (REQ-NODE-1 to REQ-NODE-4).
//!
//! An elastickv node running the etcd raft engine keeps under its data
//! directory:
//!
//! - `snap/<term:016x>-<index:016x>.snap`, written by etcd's snapshotter.
//!   Each file is a protobuf `snappb.Snapshot { uint32 crc = 1; bytes
//!   data = 2; }` where `crc` is the CRC-32C (Castagnoli) of `data`, and
//!   `data` is a `raftpb.Snapshot { bytes data = 1; SnapshotMetadata
//!   metadata = 2; }` with `SnapshotMetadata { ConfState conf_state = 1;
//!   uint64 index = 2; uint64 term = 3; }` (REQ-NODE-1).
//! - `fsm-snap/<index:016x>.fsm`: the FSM payload (the `.fsm` stream this
//!   crate decodes) followed by a 4-byte big-endian CRC-32C of the
//!   payload.
//!
//! The `raftpb.Snapshot.data` of an offloaded snapshot is a 17-byte token
//! naming its `.fsm` file: `EKVT`, version byte 1, the index (u64
//! big-endian) and the payload's CRC-32C (u32 big-endian). Data of any
//! other length, or without the magic, is a payload embedded the way
//! nodes wrote snapshots before `fsm-snap/` existed.
//!
//! [`locate`] walks `snap/` newest first, in etcd's order (file names
//! sorted in reverse; fixed-width hex makes that term, then index), and
//! takes the first file that parses, passes its CRC, holds a token and
//! whose `.fsm` file exists (REQ-NODE-2). Files passed over on the way are
//! returned as warnings ([`passed_over`] says which problems those are).
//! A file that parses but contradicts itself or its `.fsm` stops the
//! search instead (REQ-NODE-3): its name against its metadata, an unknown
//! token version, the token's index against the metadata's, and the
//! token's CRC against the `.fsm` footer, read with one seek. The
//! payload's own CRC is not computed here: the decoder checks the footer
//! while streaming the file.
//!
//! Limits, by design:
//! - The node also reads its WAL (`wal/`) and considers only the snap
//!   files the WAL records (etcd's `LoadNewestAvailable`). The WAL is not
//!   parsed here, so a snap file saved just before a crash, before its WAL
//!   record was written, is taken here where the node would fall back to
//!   the one before it.
//! - Snapshots that embed their payload are passed over with a warning:
//!   only offloaded snapshots are located.
//!
//! Everything is opened read-only and nothing in the data directory is
//! created, renamed or deleted (REQ-NODE-4): where etcd renames an
//! unreadable snap file to `*.broken`, this module reports a warning.

use std::ffi::OsString;
use std::fs::{self, File};
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use crate::error::{Error, NodeError};

/// The snapshotter's directory under a data directory.
pub const SNAP_DIR: &str = "snap";
/// The directory of offloaded FSM payloads under a data directory.
pub const FSM_SNAP_DIR: &str = "fsm-snap";
/// Suffix of etcd's snapshot files.
pub const SNAP_SUFFIX: &str = ".snap";
/// Suffix of offloaded FSM payload files.
pub const FSM_SUFFIX: &str = ".fsm";
/// Length of a snapshot token.
pub const TOKEN_LEN: usize = 17;
/// Magic bytes opening a snapshot token.
pub const TOKEN_MAGIC: [u8; 4] = *b"EKVT";
/// The only token version there is.
pub const TOKEN_VERSION: u8 = 1;
/// Length of the CRC-32C footer of a `.fsm` file.
pub const FSM_FOOTER_LEN: u64 = 4;
/// Largest `.snap` file read. A token snapshot's file is well under a
/// kilobyte (a token and the cluster configuration); only an embedded
/// payload makes one larger, and those are passed over anyway.
pub const MAX_SNAP_FILE_LEN: u64 = 64 << 20;
/// Longest varint: ten bytes carry 64 bits.
const MAX_VARINT_LEN: usize = 10;

/// The snapshot [`locate`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeSnapshot {
    /// The chosen `snap/<term>-<index>.snap` file.
    pub snap_path: PathBuf,
    /// The `fsm-snap/<index>.fsm` file its token names.
    pub fsm_path: PathBuf,
    /// The snapshot's raft index.
    pub index: u64,
    /// The snapshot's raft term.
    pub term: u64,
    /// The payload CRC-32C from the token, equal to the `.fsm` footer.
    pub token_crc: u32,
    /// Newer snap files passed over, newest first, each with its reason.
    pub warnings: Vec<NodeError>,
}

/// The parts of a `raftpb.Snapshot` this module uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RaftSnapshot {
    /// `raftpb.Snapshot.data`: a token, or an embedded payload.
    pub data: Vec<u8>,
    /// `metadata.index`.
    pub index: u64,
    /// `metadata.term`.
    pub term: u64,
}

/// A decoded snapshot token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    /// The raft index, which names `fsm-snap/<index:016x>.fsm`.
    pub index: u64,
    /// CRC-32C of the `.fsm` payload.
    pub crc32c: u32,
}

/// `<term:016x>-<index:016x>.snap`, the name etcd gives a snapshot file.
pub fn snap_file_name(term: u64, index: u64) -> String {
    format!("{term:016x}-{index:016x}{SNAP_SUFFIX}")
}

/// `<index:016x>.fsm`, the name elastickv gives a payload file.
pub fn fsm_file_name(index: u64) -> String {
    format!("{index:016x}{FSM_SUFFIX}")
}

/// The term and index of a snap file name: exactly 16 lowercase hex
/// digits, `-`, 16 lowercase hex digits, `.snap`. Anything else is `None`.
pub fn parse_snap_name(name: &str) -> Option<(u64, u64)> {
    let stem = name.strip_suffix(SNAP_SUFFIX)?;
    let (term, index) = stem.split_once('-')?;
    Some((fixed_hex(term)?, fixed_hex(index)?))
}

fn fixed_hex(s: &str) -> Option<u64> {
    let lower_hex = |b: u8| b.is_ascii_digit() || (b'a'..=b'f').contains(&b);
    if s.len() != 16 || !s.bytes().all(lower_hex) {
        return None;
    }
    u64::from_str_radix(s, 16).ok()
}

/// A protobuf problem at a byte offset of the file.
struct ProtoError {
    offset: u64,
    reason: String,
}

/// A bounds-checked protobuf reader over one message. `base` is the
/// message's offset in the file, for error messages.
struct Proto<'a> {
    buf: &'a [u8],
    pos: usize,
    base: u64,
}

/// Protobuf wire types this reader accepts.
const WIRE_VARINT: u8 = 0;
const WIRE_FIXED64: u8 = 1;
const WIRE_LEN: u8 = 2;
const WIRE_FIXED32: u8 = 5;

impl<'a> Proto<'a> {
    fn new(buf: &'a [u8], base: u64) -> Self {
        Proto { buf, pos: 0, base }
    }

    fn at_end(&self) -> bool {
        self.pos >= self.buf.len()
    }

    fn offset_of(&self, pos: usize) -> u64 {
        self.base.saturating_add(pos as u64)
    }

    fn error(&self, pos: usize, reason: impl Into<String>) -> ProtoError {
        ProtoError {
            offset: self.offset_of(pos),
            reason: reason.into(),
        }
    }

    fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    fn varint(&mut self, what: &str) -> Result<u64, ProtoError> {
        let start = self.pos;
        let mut value = 0u64;
        for i in 0..MAX_VARINT_LEN {
            let Some(&b) = self.buf.get(self.pos) else {
                return Err(self.error(start, format!("{what}: varint runs past the end")));
            };
            self.pos += 1;
            if i == MAX_VARINT_LEN - 1 && b > 1 {
                let why = if b & 0x80 != 0 {
                    "is longer than 10 bytes"
                } else {
                    "overflows 64 bits"
                };
                return Err(self.error(start, format!("{what}: varint {why}")));
            }
            value |= u64::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
        // The tenth byte either ended the varint or failed above.
        Err(self.error(start, format!("{what}: varint is longer than 10 bytes")))
    }

    /// The next field's number and wire type. Groups (3, 4) and the
    /// undefined wire types (6, 7) are refused, as is field number 0.
    fn tag(&mut self) -> Result<(u64, u8), ProtoError> {
        let start = self.pos;
        let tag = self.varint("field tag")?;
        if tag > u64::from(u32::MAX) {
            return Err(self.error(start, format!("field tag {tag} does not fit 32 bits")));
        }
        let field = tag >> 3;
        let wire = (tag & 7) as u8;
        if field == 0 {
            return Err(self.error(start, "field number 0"));
        }
        match wire {
            WIRE_VARINT | WIRE_FIXED64 | WIRE_LEN | WIRE_FIXED32 => Ok((field, wire)),
            3 | 4 => Err(self.error(
                start,
                format!("field {field} uses the group wire type {wire}, which is not supported"),
            )),
            _ => Err(self.error(start, format!("field {field} has invalid wire type {wire}"))),
        }
    }

    fn fixed(&mut self, len: usize, what: &str) -> Result<&'a [u8], ProtoError> {
        let start = self.pos;
        if self.remaining() < len {
            return Err(self.error(
                start,
                format!("{what}: needs {len} bytes, {} left", self.remaining()),
            ));
        }
        let end = start + len;
        let bytes = self
            .buf
            .get(start..end)
            .ok_or_else(|| self.error(start, format!("{what}: runs past the end")))?;
        self.pos = end;
        Ok(bytes)
    }

    /// A length-delimited field's bytes and their offset in the file.
    fn len_delimited(&mut self, what: &str) -> Result<(&'a [u8], u64), ProtoError> {
        let start = self.pos;
        let len = self.varint(what)?;
        let left = self.remaining();
        if len > left as u64 {
            return Err(self.error(
                start,
                format!("{what}: length {len} runs past the end ({left} bytes left)"),
            ));
        }
        let content = self.offset_of(self.pos);
        let bytes = self.fixed(len as usize, what)?;
        Ok((bytes, content))
    }

    /// Skip one field of an unknown number.
    fn skip(&mut self, field: u64, wire: u8) -> Result<(), ProtoError> {
        let what = format!("unknown field {field}");
        match wire {
            WIRE_VARINT => self.varint(&what).map(drop),
            WIRE_FIXED64 => self.fixed(8, &what).map(drop),
            WIRE_LEN => self.len_delimited(&what).map(drop),
            _ => self.fixed(4, &what).map(drop),
        }
    }

    /// Refuse a known field with the wrong wire type or seen twice.
    fn expect(
        &self,
        start: usize,
        name: &str,
        wire: u8,
        want: u8,
        seen: bool,
    ) -> Result<(), ProtoError> {
        if wire != want {
            return Err(self.error(
                start,
                format!("{name} has wire type {wire}, expected {want}"),
            ));
        }
        if seen {
            return Err(self.error(start, format!("{name} appears twice")));
        }
        Ok(())
    }
}

/// `snappb.Snapshot`: the stored CRC, the data and the data's offset.
fn parse_snappb(bytes: &[u8]) -> Result<(u32, &[u8], u64), ProtoError> {
    let mut p = Proto::new(bytes, 0);
    let mut crc: Option<u32> = None;
    let mut data: Option<(&[u8], u64)> = None;
    while !p.at_end() {
        let start = p.pos;
        let (field, wire) = p.tag()?;
        match field {
            1 => {
                p.expect(
                    start,
                    "snappb field 1 (crc)",
                    wire,
                    WIRE_VARINT,
                    crc.is_some(),
                )?;
                let at = p.pos;
                let v = p.varint("snappb crc")?;
                let v = u32::try_from(v)
                    .map_err(|_| p.error(at, format!("snappb crc {v} does not fit 32 bits")))?;
                crc = Some(v);
            }
            2 => {
                p.expect(
                    start,
                    "snappb field 2 (data)",
                    wire,
                    WIRE_LEN,
                    data.is_some(),
                )?;
                data = Some(p.len_delimited("snappb data")?);
            }
            _ => p.skip(field, wire)?,
        }
    }
    let end = bytes.len();
    let (data, at) = data.ok_or_else(|| p.error(end, "snappb data (field 2) is missing"))?;
    if data.is_empty() {
        return Err(p.error(end, "snappb data is empty: etcd reads an empty snapshot"));
    }
    match crc {
        None | Some(0) => Err(p.error(
            end,
            "snappb crc (field 1) is missing or 0: etcd reads an empty snapshot",
        )),
        Some(crc) => Ok((crc, data, at)),
    }
}

/// `raftpb.Snapshot` at file offset `base`.
fn parse_raft_snapshot(bytes: &[u8], base: u64) -> Result<RaftSnapshot, ProtoError> {
    let mut p = Proto::new(bytes, base);
    let mut data: Option<&[u8]> = None;
    let mut meta: Option<(u64, u64)> = None;
    while !p.at_end() {
        let start = p.pos;
        let (field, wire) = p.tag()?;
        match field {
            1 => {
                p.expect(
                    start,
                    "raftpb.Snapshot field 1 (data)",
                    wire,
                    WIRE_LEN,
                    data.is_some(),
                )?;
                data = Some(p.len_delimited("raftpb.Snapshot data")?.0);
            }
            2 => {
                let name = "raftpb.Snapshot field 2 (metadata)";
                p.expect(start, name, wire, WIRE_LEN, meta.is_some())?;
                let (m, at) = p.len_delimited("raftpb.Snapshot metadata")?;
                meta = Some(parse_metadata(m, at)?);
            }
            _ => p.skip(field, wire)?,
        }
    }
    let end = bytes.len();
    let (index, term) =
        meta.ok_or_else(|| p.error(end, "raftpb.Snapshot metadata (field 2) is missing"))?;
    Ok(RaftSnapshot {
        data: data.unwrap_or_default().to_vec(),
        index,
        term,
    })
}

/// `SnapshotMetadata` at file offset `base`: (index, term). The
/// `conf_state` must be present and well-formed protobuf; its contents
/// are not interpreted. An index or term of 0 is an empty snapshot.
fn parse_metadata(bytes: &[u8], base: u64) -> Result<(u64, u64), ProtoError> {
    let mut p = Proto::new(bytes, base);
    let mut conf_state = false;
    let mut index: Option<u64> = None;
    let mut term: Option<u64> = None;
    while !p.at_end() {
        let start = p.pos;
        let (field, wire) = p.tag()?;
        match field {
            1 => {
                let name = "SnapshotMetadata field 1 (conf_state)";
                p.expect(start, name, wire, WIRE_LEN, conf_state)?;
                let (c, at) = p.len_delimited("SnapshotMetadata conf_state")?;
                check_message(c, at)?;
                conf_state = true;
            }
            2 => {
                let name = "SnapshotMetadata field 2 (index)";
                p.expect(start, name, wire, WIRE_VARINT, index.is_some())?;
                index = Some(p.varint("SnapshotMetadata index")?);
            }
            3 => {
                let name = "SnapshotMetadata field 3 (term)";
                p.expect(start, name, wire, WIRE_VARINT, term.is_some())?;
                term = Some(p.varint("SnapshotMetadata term")?);
            }
            _ => p.skip(field, wire)?,
        }
    }
    let end = bytes.len();
    if !conf_state {
        return Err(p.error(end, "SnapshotMetadata conf_state (field 1) is missing"));
    }
    let index = index.unwrap_or(0);
    let term = term.unwrap_or(0);
    if index == 0 || term == 0 {
        return Err(p.error(
            end,
            format!("SnapshotMetadata has index {index} term {term}: an empty snapshot"),
        ));
    }
    Ok((index, term))
}

/// Walk a message whose fields are not interpreted: every tag valid,
/// every field inside the message.
fn check_message(bytes: &[u8], base: u64) -> Result<(), ProtoError> {
    let mut p = Proto::new(bytes, base);
    while !p.at_end() {
        let (field, wire) = p.tag()?;
        p.skip(field, wire)?;
    }
    Ok(())
}

/// Parse the bytes of a `.snap` file and check its CRC (REQ-NODE-1).
/// `path` names the file in errors.
pub fn parse_snap_file(path: &str, bytes: &[u8]) -> Result<RaftSnapshot, NodeError> {
    let invalid = |e: ProtoError| NodeError::SnapFileInvalid {
        path: path.to_string(),
        offset: e.offset,
        reason: e.reason,
    };
    if bytes.is_empty() {
        return Err(invalid(ProtoError {
            offset: 0,
            reason: "empty file".into(),
        }));
    }
    let (stored, data, at) = parse_snappb(bytes).map_err(invalid)?;
    let computed = crc32c::crc32c(data);
    if computed != stored {
        return Err(NodeError::SnapCrcMismatch {
            path: path.to_string(),
            stored,
            computed,
        });
    }
    parse_raft_snapshot(data, at).map_err(invalid)
}

/// The token in a snapshot's data, or `None` when the data is an embedded
/// payload (not 17 bytes, or not starting with `EKVT`). A 17-byte `EKVT`
/// string with another version byte is `token_invalid`.
pub fn decode_token(path: &str, data: &[u8]) -> Result<Option<Token>, NodeError> {
    if data.len() != TOKEN_LEN || !data.starts_with(&TOKEN_MAGIC) {
        return Ok(None);
    }
    let invalid = |reason: String| NodeError::TokenInvalid {
        path: path.to_string(),
        reason,
    };
    let version = data.get(4).copied().unwrap_or_default();
    if version != TOKEN_VERSION {
        return Err(invalid(format!(
            "unknown version {version}, expected {TOKEN_VERSION}"
        )));
    }
    let index = data
        .get(5..13)
        .and_then(|b| b.try_into().ok())
        .map(u64::from_be_bytes);
    let crc = data
        .get(13..17)
        .and_then(|b| b.try_into().ok())
        .map(u32::from_be_bytes);
    match (index, crc) {
        (Some(index), Some(crc32c)) => Ok(Some(Token { index, crc32c })),
        _ => Err(invalid("token is not 17 bytes".into())),
    }
}

/// The CRC-32C footer of a `.fsm` file: its last 4 bytes, big-endian,
/// read with one seek. `snap` names the snap file whose token names it.
pub fn read_fsm_footer(fsm: &Path, snap: &str) -> Result<u32, Error> {
    let path = fsm.display().to_string();
    let not_found = || NodeError::FsmNotFound {
        path: path.clone(),
        snap: snap.to_string(),
    };
    match fs::metadata(fsm) {
        Ok(m) if m.is_file() => {}
        Ok(_) => return Err(not_found().into()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(not_found().into()),
        Err(e) => return Err(Error::io(format!("inspecting {path}"), e)),
    }
    let mut f = File::open(fsm).map_err(|e| Error::io(format!("opening {path}"), e))?;
    let len = f
        .metadata()
        .map_err(|e| Error::io(format!("inspecting {path}"), e))?
        .len();
    if len < FSM_FOOTER_LEN {
        return Err(NodeError::FsmTooSmall { path, len }.into());
    }
    let mut footer = [0u8; 4];
    f.seek(SeekFrom::Start(len - FSM_FOOTER_LEN))
        .and_then(|_| f.read_exact(&mut footer))
        .map_err(|e| Error::io(format!("reading the footer of {path}"), e))?;
    Ok(u32::from_be_bytes(footer))
}

/// Whether a problem with one snap file makes [`locate`] try the next
/// older file (REQ-NODE-2) rather than stop: the file cannot be read as a
/// snapshot at all (as etcd's snapshotter, which skips it too), embeds
/// its payload, or names a `.fsm` file that is not there. Files that
/// parse but contradict themselves or their `.fsm` stop the search.
pub fn passed_over(e: &NodeError) -> bool {
    matches!(
        e,
        NodeError::SnapNameInvalid { .. }
            | NodeError::SnapFileInvalid { .. }
            | NodeError::SnapCrcMismatch { .. }
            | NodeError::SnapLegacyPayload { .. }
            | NodeError::FsmNotFound { .. }
    )
}

/// Find the snapshot a node with data directory `data_dir` would restore
/// (REQ-NODE-2), cross-checked (REQ-NODE-3), without changing anything
/// (REQ-NODE-4).
pub fn locate(data_dir: &Path) -> Result<NodeSnapshot, Error> {
    check_dir(data_dir, "no such data directory")?;
    let snap_dir = data_dir.join(SNAP_DIR);
    let fsm_dir = data_dir.join(FSM_SNAP_DIR);
    check_dir(
        &snap_dir,
        "missing: a node's data directory holds etcd's snap/ directory",
    )?;
    check_dir(
        &fsm_dir,
        "missing: a node's data directory holds fsm-snap/ (offloaded snapshots)",
    )?;
    let mut warnings = Vec::new();
    for name in snap_names(&snap_dir)? {
        match examine(&snap_dir, &name, &fsm_dir) {
            Ok((snap_path, fsm_path, index, term, token_crc)) => {
                return Ok(NodeSnapshot {
                    snap_path,
                    fsm_path,
                    index,
                    term,
                    token_crc,
                    warnings,
                })
            }
            Err(Error::Node(e)) if passed_over(&e) => warnings.push(e),
            Err(e) => return Err(e),
        }
    }
    Err(NodeError::NoUsableSnapshot {
        dir: snap_dir.display().to_string(),
        tried: warnings,
    }
    .into())
}

fn check_dir(dir: &Path, missing: &str) -> Result<(), Error> {
    let invalid = |reason: &str| {
        Error::from(NodeError::DataDirInvalid {
            path: dir.display().to_string(),
            reason: reason.to_string(),
        })
    };
    match fs::metadata(dir) {
        Ok(m) if m.is_dir() => Ok(()),
        Ok(_) => Err(invalid("not a directory")),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Err(invalid(missing)),
        Err(e) => Err(Error::io(format!("inspecting {}", dir.display()), e)),
    }
}

/// Names in `dir` ending in `.snap`, newest first as etcd orders them
/// (byte-wise reverse order of the names).
fn snap_names(dir: &Path) -> Result<Vec<OsString>, Error> {
    let listing = |e| Error::io(format!("listing {}", dir.display()), e);
    let mut names = Vec::new();
    for entry in fs::read_dir(dir).map_err(listing)? {
        let name = entry.map_err(listing)?.file_name();
        if name.to_string_lossy().ends_with(SNAP_SUFFIX) {
            names.push(name);
        }
    }
    names.sort_unstable_by(|a, b| b.cmp(a));
    Ok(names)
}

/// One snap file, from its name to its `.fsm` footer: (snap path, fsm
/// path, index, term, token CRC).
fn examine(
    snap_dir: &Path,
    name: &OsString,
    fsm_dir: &Path,
) -> Result<(PathBuf, PathBuf, u64, u64, u32), Error> {
    let path = snap_dir.join(name);
    let shown = path.display().to_string();
    let Some((name_term, name_index)) = name.to_str().and_then(parse_snap_name) else {
        return Err(NodeError::SnapNameInvalid { path: shown }.into());
    };
    let bytes = read_snap(&path, &shown)?;
    let snap = parse_snap_file(&shown, &bytes)?;
    if (snap.term, snap.index) != (name_term, name_index) {
        return Err(NodeError::SnapNameMismatch {
            path: shown,
            name_term,
            name_index,
            term: snap.term,
            index: snap.index,
        }
        .into());
    }
    let Some(token) = decode_token(&shown, &snap.data)? else {
        return Err(NodeError::SnapLegacyPayload {
            path: shown,
            len: snap.data.len() as u64,
        }
        .into());
    };
    if token.index != snap.index {
        return Err(NodeError::TokenIndexMismatch {
            path: shown,
            token_index: token.index,
            index: snap.index,
        }
        .into());
    }
    let fsm_path = fsm_dir.join(fsm_file_name(token.index));
    let footer = read_fsm_footer(&fsm_path, &shown)?;
    if footer != token.crc32c {
        return Err(NodeError::TokenCrcMismatch {
            path: fsm_path.display().to_string(),
            snap: shown,
            token: token.crc32c,
            footer,
        }
        .into());
    }
    Ok((path, fsm_path, snap.index, snap.term, token.crc32c))
}

/// A snap file's bytes, refusing what is not a regular file (never
/// opened: a FIFO would block) or is larger than [`MAX_SNAP_FILE_LEN`].
fn read_snap(path: &Path, shown: &str) -> Result<Vec<u8>, Error> {
    let invalid = |reason: String| {
        Error::from(NodeError::SnapFileInvalid {
            path: shown.to_string(),
            offset: 0,
            reason,
        })
    };
    let too_large = |len: u64| {
        invalid(format!(
            "{len} bytes, more than the {MAX_SNAP_FILE_LEN} read from a snap file"
        ))
    };
    let meta = fs::metadata(path).map_err(|e| Error::io(format!("inspecting {shown}"), e))?;
    if !meta.is_file() {
        return Err(invalid("not a regular file".into()));
    }
    if meta.len() > MAX_SNAP_FILE_LEN {
        return Err(too_large(meta.len()));
    }
    let f = File::open(path).map_err(|e| Error::io(format!("opening {shown}"), e))?;
    let mut bytes = Vec::new();
    f.take(MAX_SNAP_FILE_LEN + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(format!("reading {shown}"), e))?;
    if bytes.len() as u64 > MAX_SNAP_FILE_LEN {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}
