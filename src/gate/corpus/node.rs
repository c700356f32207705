//! Corpus cases whose input is a node data directory (REQ-NODE): the case
//! holds `input/` (`snap/…`, `fsm-snap/…`) instead of `input.fsm`, and
//! the decoder is run with `--input` naming that directory.
//!
//! The snap files are written here from their protobuf field definitions
//! (see [`crate::node`]): `snappb.Snapshot { uint32 crc = 1; bytes data =
//! 2; }` around `raftpb.Snapshot { bytes data = 1; SnapshotMetadata
//! metadata = 2; }`, with a three-voter `ConfState`.

#[allow(unused_imports)]
use super::*;

use crate::node::{fsm_file_name, snap_file_name, TOKEN_MAGIC, TOKEN_VERSION};

fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8 & 0x7f) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn field_varint(out: &mut Vec<u8>, field: u64, v: u64) {
    varint(out, field << 3);
    varint(out, v);
}

fn field_bytes(out: &mut Vec<u8>, field: u64, bytes: &[u8]) {
    varint(out, (field << 3) | 2);
    varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

/// A whole `.snap` file of this term and index holding `data`.
fn snap_file(term: u64, index: u64, data: &[u8]) -> Vec<u8> {
    let mut conf = Vec::new();
    for voter in 1..=3 {
        field_varint(&mut conf, 1, voter);
    }
    let mut metadata = Vec::new();
    field_bytes(&mut metadata, 1, &conf);
    field_varint(&mut metadata, 2, index);
    field_varint(&mut metadata, 3, term);
    let mut raft = Vec::new();
    field_bytes(&mut raft, 1, data);
    field_bytes(&mut raft, 2, &metadata);
    let mut out = Vec::new();
    field_varint(&mut out, 1, u64::from(crc32c(&raft)));
    field_bytes(&mut out, 2, &raft);
    out
}

/// The 17-byte token naming `fsm-snap/<index>.fsm` with this CRC-32C.
fn token(index: u64, crc: u32) -> Vec<u8> {
    let mut out = TOKEN_MAGIC.to_vec();
    out.push(TOKEN_VERSION);
    out.extend_from_slice(&index.to_be_bytes());
    out.extend_from_slice(&crc.to_be_bytes());
    out
}

/// A data directory as relative path → bytes.
#[derive(Default)]
struct Dir(BTreeMap<String, Vec<u8>>);

impl Dir {
    /// An offloaded snapshot: `fsm` as the `.fsm` file, a token carrying
    /// `token_crc`.
    fn snapshot(&mut self, term: u64, index: u64, fsm: Vec<u8>, token_crc: u32) -> &mut Self {
        self.fsm(index, fsm);
        self.snap(term, index, token_crc)
    }

    fn snap(&mut self, term: u64, index: u64, token_crc: u32) -> &mut Self {
        self.0.insert(
            format!("snap/{}", snap_file_name(term, index)),
            snap_file(term, index, &token(index, token_crc)),
        );
        self
    }

    fn fsm(&mut self, index: u64, bytes: Vec<u8>) -> &mut Self {
        self.0
            .insert(format!("fsm-snap/{}", fsm_file_name(index)), bytes);
        self
    }
}

/// A small payload with one queue of two messages.
fn payload() -> Vec<u8> {
    let mut s = Snap::new();
    std_queue(&mut s, "orders", &[("m-1", b"first"), ("m-2", b"second")]);
    s.bytes()
}

pub(super) fn node_cases(c: &mut Cases) {
    let body = payload();
    let crc = crc32c(&body);
    let mut good = body.clone();
    append_footer(&mut good);
    let index_100 = has("MANIFEST.json", r#""snapshot_index": 100,"#);
    let fsm_name = has("MANIFEST.json", r#""fsm_path": "0000000000000064.fsm","#);

    let mut d = Dir::default();
    d.snapshot(2, 100, good.clone(), crc);
    c.add_dir(
        "REQ-NODE-5-data-dir",
        "[Decision] a node data directory as the input: the snapshot its newest snap file names is decoded, snapshot_index from the token",
        &[],
        d.0,
        vec![
            files(&["sqs/orders/_queue.json", "sqs/orders/messages.jsonl"]),
            lines("sqs/orders/messages.jsonl", 2),
            index_100.clone(),
            fsm_name.clone(),
        ],
    );

    let mut d = Dir::default();
    d.snapshot(2, 100, good.clone(), crc).snap(3, 200, crc);
    c.add_dir(
        "REQ-NODE-2-newest-fsm-missing",
        "[Decision] the newest snap file names a missing .fsm file: it is skipped (a warning) and the older snapshot decoded",
        &[],
        d.0,
        vec![lines("sqs/orders/messages.jsonl", 2), index_100, fsm_name],
    );

    let mut d = Dir::default();
    d.snapshot(2, 100, good.clone(), crc ^ 1);
    c.add_dir(
        "REQ-NODE-3-token-crc-mismatch",
        "the snap file's token names a CRC-32C other than the .fsm footer's: token_crc_mismatch, no older snapshot tried",
        &[],
        d.0,
        vec![error("token_crc_mismatch")],
    );

    // Footer and token agree with each other, not with the payload.
    let mut damaged = body.clone();
    damaged.extend_from_slice(&(crc ^ 1).to_be_bytes());
    let mut d = Dir::default();
    d.snapshot(2, 100, damaged, crc ^ 1);
    c.add_dir(
        "REQ-NODE-5-payload-crc-mismatch",
        "[Decision] the .fsm footer agrees with the token but not with the payload it ends: crc_mismatch, nothing written",
        &[],
        d.0,
        vec![error("crc_mismatch")],
    );

    let mut d = Dir::default();
    d.snap(3, 200, crc).fsm(7, good);
    c.add_dir(
        "REQ-NODE-2-no-usable-snapshot",
        "[Decision] the only snap file names a missing .fsm file: no_usable_snapshot",
        &[],
        d.0,
        vec![error("no_usable_snapshot")],
    );
}
