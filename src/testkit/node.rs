//! Raft data directories laid out as an elastickv node lays them out, for
//! tests of [`crate::node`].
//!
//! The protobuf bytes are written here from the field definitions
//! (`snappb.Snapshot { uint32 crc = 1; bytes data = 2; }`,
//! `raftpb.Snapshot { bytes data = 1; SnapshotMetadata metadata = 2; }`,
//! `SnapshotMetadata { ConfState conf_state = 1; uint64 index = 2; uint64
//! term = 3; }`, `ConfState { repeated uint64 voters = 1; ...; bool
//! auto_leave = 5; }`), in field order as etcd's marshaller writes them,
//! independently of the crate's parser so that a symmetric bug cannot
//! hide itself. CRC-32C comes from the `crc32c` crate.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// CRC-32C (Castagnoli) of `bytes`.
pub fn crc32c(bytes: &[u8]) -> u32 {
    crc32c::crc32c(bytes)
}

/// Append `v` as a protobuf varint.
pub fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8 & 0x7f) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Append a varint field (wire type 0).
pub fn field_varint(out: &mut Vec<u8>, field: u64, v: u64) {
    varint(out, field << 3);
    varint(out, v);
}

/// Append a length-delimited field (wire type 2).
pub fn field_bytes(out: &mut Vec<u8>, field: u64, bytes: &[u8]) {
    varint(out, (field << 3) | 2);
    varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

/// A `raftpb.ConfState` with these voters and `auto_leave` false.
pub fn conf_state(voters: &[u64]) -> Vec<u8> {
    let mut out = Vec::new();
    for &v in voters {
        field_varint(&mut out, 1, v);
    }
    field_varint(&mut out, 5, 0);
    out
}

/// A `raftpb.SnapshotMetadata` of a three-voter cluster.
pub fn metadata(term: u64, index: u64) -> Vec<u8> {
    let mut out = Vec::new();
    field_bytes(&mut out, 1, &conf_state(&[1, 2, 3]));
    field_varint(&mut out, 2, index);
    field_varint(&mut out, 3, term);
    out
}

/// A `raftpb.Snapshot` holding `data`, with [`metadata`].
pub fn raft_snapshot(term: u64, index: u64, data: &[u8]) -> Vec<u8> {
    raft_snapshot_with(data, &metadata(term, index))
}

/// A `raftpb.Snapshot` from its two fields' bytes.
pub fn raft_snapshot_with(data: &[u8], metadata: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    field_bytes(&mut out, 1, data);
    field_bytes(&mut out, 2, metadata);
    out
}

/// A `snappb.Snapshot` with this `crc` and `data`.
pub fn snappb(crc: u32, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    field_varint(&mut out, 1, u64::from(crc));
    field_bytes(&mut out, 2, data);
    out
}

/// The bytes etcd's snapshotter writes for a `raftpb.Snapshot`: the
/// marshalled snapshot wrapped with its CRC-32C.
pub fn wrap(raft_snapshot: &[u8]) -> Vec<u8> {
    snappb(crc32c(raft_snapshot), raft_snapshot)
}

/// A whole `.snap` file holding `data` at this term and index.
pub fn snap_file(term: u64, index: u64, data: &[u8]) -> Vec<u8> {
    wrap(&raft_snapshot(term, index, data))
}

/// The 17-byte token: `EKVT`, version 1, index, payload CRC-32C.
pub fn token(index: u64, crc: u32) -> Vec<u8> {
    token_with_version(1, index, crc)
}

/// A token with any version byte.
pub fn token_with_version(version: u8, index: u64, crc: u32) -> Vec<u8> {
    let mut out = b"EKVT".to_vec();
    out.push(version);
    out.extend_from_slice(&index.to_be_bytes());
    out.extend_from_slice(&crc.to_be_bytes());
    out
}

/// A `.fsm` file: `payload` followed by its big-endian CRC-32C.
pub fn fsm_file(payload: &[u8]) -> Vec<u8> {
    let mut out = payload.to_vec();
    out.extend_from_slice(&crc32c(payload).to_be_bytes());
    out
}

/// `<term:016x>-<index:016x>.snap`.
pub fn snap_name(term: u64, index: u64) -> String {
    format!("{term:016x}-{index:016x}.snap")
}

/// `<index:016x>.fsm`.
pub fn fsm_name(index: u64) -> String {
    format!("{index:016x}.fsm")
}

/// The files of one offloaded snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offloaded {
    /// `snap/<term>-<index>.snap`.
    pub snap: PathBuf,
    /// `fsm-snap/<index>.fsm`.
    pub fsm: PathBuf,
    /// The payload's CRC-32C, in the token and the footer.
    pub crc: u32,
}

/// A node data directory under construction: `snap/`, `fsm-snap/` and an
/// empty `wal/`.
#[derive(Debug, Clone)]
pub struct NodeDir {
    root: PathBuf,
}

impl NodeDir {
    /// Create the layout under `root` (created if absent).
    pub fn create(root: impl Into<PathBuf>) -> io::Result<Self> {
        let root = root.into();
        for d in ["snap", "fsm-snap", "wal"] {
            fs::create_dir_all(root.join(d))?;
        }
        Ok(NodeDir { root })
    }

    /// The data directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where the snap file of (term, index) goes.
    pub fn snap_path(&self, term: u64, index: u64) -> PathBuf {
        self.root.join("snap").join(snap_name(term, index))
    }

    /// Where the `.fsm` file of `index` goes.
    pub fn fsm_path(&self, index: u64) -> PathBuf {
        self.root.join("fsm-snap").join(fsm_name(index))
    }

    /// An offloaded snapshot as a node writes it: the `.fsm` file first,
    /// then the snap file whose token names it.
    pub fn add_snapshot(&self, term: u64, index: u64, payload: &[u8]) -> io::Result<Offloaded> {
        let crc = crc32c(payload);
        let fsm = self.write_fsm(index, &fsm_file(payload))?;
        let snap = self.write_snap(
            &snap_name(term, index),
            &snap_file(term, index, &token(index, crc)),
        )?;
        Ok(Offloaded { snap, fsm, crc })
    }

    /// A snapshot from before the offload: the payload embedded in the
    /// snap file, no `.fsm` file.
    pub fn add_legacy(&self, term: u64, index: u64, payload: &[u8]) -> io::Result<PathBuf> {
        self.write_snap(&snap_name(term, index), &snap_file(term, index, payload))
    }

    /// Any bytes as `snap/<name>`.
    pub fn write_snap(&self, name: &str, bytes: &[u8]) -> io::Result<PathBuf> {
        let path = self.root.join("snap").join(name);
        fs::write(&path, bytes)?;
        Ok(path)
    }

    /// Any bytes as `fsm-snap/<index:016x>.fsm`.
    pub fn write_fsm(&self, index: u64, bytes: &[u8]) -> io::Result<PathBuf> {
        let path = self.fsm_path(index);
        fs::write(&path, bytes)?;
        Ok(path)
    }
}
