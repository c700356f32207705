//! Corpus cases whose input is a node data directory (REQ-NODE): the case
//! holds `input/` (`snap/…`, `fsm-snap/…`) instead of `input.fsm`, and
//! the decoder is run with `--input` naming that directory.
//!
//! The snap files are written here from their protobuf field definitions
//! (see [`crate::node`]): `snappb.Snapshot { uint32 crc = 1; bytes data =
//! 2; }` around `raftpb.Snapshot { bytes data = 1; SnapshotMetadata
//! metadata = 2; }`, with a three-voter `ConfState`.

use super::*;

use crate::node::{fsm_file_name, snap_file_name, TOKEN_MAGIC, TOKEN_VERSION};
use Input::Dir;

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
struct DataDir(BTreeMap<String, Vec<u8>>);

impl DataDir {
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

    fn files(&mut self) -> BTreeMap<String, Vec<u8>> {
        std::mem::take(&mut self.0)
    }
}

/// A small payload with one queue of two messages.
fn payload() -> Vec<u8> {
    let mut s = Snap::new();
    std_queue(&mut s, "orders", &[("m-1", b"first"), ("m-2", b"second")]);
    s.bytes()
}

/// [`payload`] with its CRC-32C footer, and the CRC-32C.
fn good() -> (Vec<u8>, u32) {
    let body = payload();
    let crc = crc32c(&body);
    let mut node = body;
    append_footer(&mut node);
    (node, crc)
}

/// Where the snapshot at index 100 was found.
const INDEX_100: &str = r#""snapshot_index": 100,"#;
const FSM_100: &str = r#""fsm_path": "0000000000000064.fsm","#;

pub(super) const CASES: &[Row] = &[
    Row {
        name: "REQ-NODE-5-data-dir",
        note: "[Decision] a node data directory as the input: the snapshot its newest snap file names is decoded, snapshot_index from the token",
        flags: &[],
        input: Dir(|| {
            let (node, crc) = good();
            DataDir::default().snapshot(2, 100, node, crc).files()
        }),
        expect: || {
            vec![
                files(&["sqs/orders/_queue.json", "sqs/orders/messages.jsonl"]),
                lines("sqs/orders/messages.jsonl", 2),
                has("MANIFEST.json", INDEX_100),
                has("MANIFEST.json", FSM_100),
            ]
        },
    },
    Row {
        name: "REQ-NODE-2-newest-fsm-missing",
        note: "[Decision] the newest snap file names a missing .fsm file: it is skipped (a warning) and the older snapshot decoded",
        flags: &[],
        input: Dir(|| {
            let (node, crc) = good();
            DataDir::default()
                .snapshot(2, 100, node, crc)
                .snap(3, 200, crc)
                .files()
        }),
        expect: || {
            vec![
                lines("sqs/orders/messages.jsonl", 2),
                has("MANIFEST.json", INDEX_100),
                has("MANIFEST.json", FSM_100),
            ]
        },
    },
    Row {
        name: "REQ-NODE-3-token-crc-mismatch",
        note: "the snap file's token names a CRC-32C other than the .fsm footer's: token_crc_mismatch, no older snapshot tried",
        flags: &[],
        input: Dir(|| {
            let (node, crc) = good();
            DataDir::default().snapshot(2, 100, node, crc ^ 1).files()
        }),
        expect: || vec![error("token_crc_mismatch")],
    },
    Row {
        name: "REQ-NODE-5-payload-crc-mismatch",
        note: "[Decision] the .fsm footer agrees with the token but not with the payload it ends: crc_mismatch, nothing written",
        flags: &[],
        input: Dir(|| {
            // Footer and token agree with each other, not with the payload.
            let mut damaged = payload();
            let wrong = crc32c(&damaged) ^ 1;
            damaged.extend_from_slice(&wrong.to_be_bytes());
            DataDir::default().snapshot(2, 100, damaged, wrong).files()
        }),
        expect: || vec![error("crc_mismatch")],
    },
    Row {
        name: "REQ-NODE-2-no-usable-snapshot",
        note: "[Decision] the only snap file names a missing .fsm file: no_usable_snapshot",
        flags: &[],
        input: Dir(|| {
            let (node, crc) = good();
            DataDir::default().snap(3, 200, crc).fsm(7, node).files()
        }),
        expect: || vec![error("no_usable_snapshot")],
    },
];
