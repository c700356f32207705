//! Locating the snapshot in a node's raft data directory (REQ-NODE-*):
//! the etcd snap file parser on byte-built files, every error, the choice
//! among several snapshots, and that nothing in the directory changes.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use proptest::prelude::*;
use sha2::{Digest, Sha256};

use sqsdump::error::NodeError;
use sqsdump::node::{self, decode_token, locate, parse_snap_file, NodeSnapshot, Token};
use sqsdump::testkit::node::{
    self as kit, conf_state, field_bytes, field_varint, fsm_file, metadata, raft_snapshot,
    raft_snapshot_with, snap_file, snap_name, snappb, token, token_with_version, varint, wrap,
    NodeDir,
};
use sqsdump::Error;

const FILE: &str = "t.snap";

fn parse(bytes: &[u8]) -> Result<node::RaftSnapshot, NodeError> {
    parse_snap_file(FILE, bytes)
}

/// The offset and reason of a `snap_file_invalid` error.
fn invalid(bytes: &[u8]) -> (u64, String) {
    match parse(bytes) {
        Err(NodeError::SnapFileInvalid {
            path,
            offset,
            reason,
        }) => {
            assert_eq!(path, FILE);
            (offset, reason)
        }
        other => panic!("expected snap_file_invalid for {bytes:02x?}, got {other:?}"),
    }
}

/// Where `needle` starts in `hay`.
fn find(hay: &[u8], needle: &[u8]) -> u64 {
    hay.windows(needle.len())
        .position(|w| w == needle)
        .expect("needle in haystack") as u64
}

fn node_err(r: Result<NodeSnapshot, Error>) -> NodeError {
    match r {
        Err(Error::Node(e)) => e,
        other => panic!("expected a node error, got {other:?}"),
    }
}

fn classes(errors: &[NodeError]) -> Vec<&'static str> {
    errors.iter().map(NodeError::class).collect()
}

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

/// A payload shaped like a real `.fsm` stream (header only).
fn payload(last_commit_ts: u64) -> Vec<u8> {
    sqsdump::testkit::frame::header(last_commit_ts)
}

// REQ-NODE-1
#[test]
fn crc32c_is_castagnoli() {
    assert_eq!(kit::crc32c(b"123456789"), 0xE306_9283);
    assert_eq!(crc32c::crc32c(b"123456789"), 0xE306_9283);
    assert_eq!(kit::crc32c(b""), 0);
}

// REQ-NODE-1
#[test]
fn a_byte_built_snap_file_parses() {
    let tok = token(0x64, 0xdead_beef);
    let bytes = snap_file(7, 0x64, &tok);
    let snap = parse(&bytes).unwrap();
    assert_eq!((snap.term, snap.index), (7, 0x64));
    assert_eq!(snap.data, tok);
    assert_eq!(
        decode_token(FILE, &snap.data).unwrap(),
        Some(Token {
            index: 0x64,
            crc32c: 0xdead_beef
        })
    );
    // The exact bytes, spelled out: snappb crc (field 1), data (field 2)
    // holding raftpb data (field 1) and metadata (field 2: conf_state,
    // index, term).
    let mut raft = vec![0x0a, 17];
    raft.extend_from_slice(&tok);
    raft.extend_from_slice(&[0x12, 14, 0x0a, 8, 0x08, 1, 0x08, 2, 0x08, 3, 0x28, 0]);
    raft.extend_from_slice(&[0x10, 0x64, 0x18, 7]);
    let crc = crc32c::crc32c(&raft);
    let mut want = vec![0x08];
    varint(&mut want, u64::from(crc));
    want.extend_from_slice(&[0x12, raft.len() as u8]);
    want.extend_from_slice(&raft);
    assert_eq!(bytes, want);
    // Large values take every varint byte.
    let snap = parse(&snap_file(u64::MAX, u64::MAX - 1, b"x")).unwrap();
    assert_eq!((snap.term, snap.index), (u64::MAX, u64::MAX - 1));
}

// REQ-NODE-1
#[test]
fn snap_file_names_are_fixed_width_lowercase_hex() {
    assert_eq!(
        node::parse_snap_name("0000000000000002-00000000000000ff.snap"),
        Some((2, 255))
    );
    assert_eq!(
        node::snap_file_name(2, 255),
        "0000000000000002-00000000000000ff.snap"
    );
    assert_eq!(node::fsm_file_name(255), "00000000000000ff.fsm");
    assert_eq!(snap_name(2, 255), node::snap_file_name(2, 255));
    for bad in [
        "latest.snap",
        "0000000000000002-00000000000000FF.snap",
        "2-ff.snap",
        "00000000000000002-00000000000000ff.snap",
        "0000000000000002_00000000000000ff.snap",
        "0000000000000002-00000000000000ff.snap.broken",
        "0000000000000002-00000000000000ff",
        "+000000000000002-00000000000000ff.snap",
        "",
    ] {
        assert_eq!(node::parse_snap_name(bad), None, "{bad}");
    }
}

// REQ-NODE-1
#[test]
fn unknown_fields_of_every_wire_type_are_skipped() {
    let unknown = || {
        let mut u = Vec::new();
        field_varint(&mut u, 9, 300);
        varint(&mut u, (10 << 3) | 1);
        u.extend_from_slice(&[1; 8]);
        field_bytes(&mut u, 11, b"skipped");
        varint(&mut u, (12 << 3) | 5);
        u.extend_from_slice(&[2; 4]);
        u
    };
    let tok = token(5, 9);
    let mut meta = unknown();
    meta.extend_from_slice(&metadata(3, 5));
    let mut raft = unknown();
    raft.extend_from_slice(&raft_snapshot_with(&tok, &meta));
    raft.extend_from_slice(&unknown());
    let mut file = unknown();
    file.extend_from_slice(&wrap(&raft));
    file.extend_from_slice(&unknown());
    let snap = parse(&file).unwrap();
    assert_eq!((snap.term, snap.index, snap.data), (3, 5, tok));
    // Fields in any order; a missing raftpb data field is empty data.
    let mut raft = Vec::new();
    field_bytes(&mut raft, 2, &metadata(3, 5));
    let mut file = Vec::new();
    field_bytes(&mut file, 2, &raft);
    field_varint(&mut file, 1, u64::from(kit::crc32c(&raft)));
    assert_eq!(parse(&file).unwrap().data, Vec::<u8>::new());
}

// REQ-NODE-1, REQ-ERR-2
#[test]
fn malformed_snap_files_are_refused_with_the_offset() {
    let valid_data = raft_snapshot(1, 1, b"x");
    let crc = u64::from(kit::crc32c(&valid_data));
    let with = |prefix: &[u8]| {
        let mut v = prefix.to_vec();
        v.extend_from_slice(&wrap(&valid_data));
        v
    };
    let mut dup_crc = Vec::new();
    field_varint(&mut dup_crc, 1, crc);
    let dup_crc = with(&dup_crc);
    let mut dup_data = wrap(&valid_data);
    field_bytes(&mut dup_data, 2, &valid_data);
    let mut big_crc = Vec::new();
    field_varint(&mut big_crc, 1, 1 << 32);
    field_bytes(&mut big_crc, 2, &valid_data);
    let mut big_tag = Vec::new();
    varint(&mut big_tag, 1 << 32);
    let mut no_crc = Vec::new();
    field_bytes(&mut no_crc, 2, &valid_data);
    let zero_crc = snappb(0, &valid_data);
    let mut no_data = Vec::new();
    field_varint(&mut no_data, 1, crc);
    let empty_data = snappb(7, b"");
    let cases: Vec<(&str, Vec<u8>, u64, &str)> = vec![
        ("empty", vec![], 0, "empty file"),
        (
            "cut varint",
            vec![0x08],
            1,
            "snappb crc: varint runs past the end",
        ),
        (
            "11-byte varint",
            [&[0x08][..], &[0xff; 10], &[0x01]].concat(),
            1,
            "snappb crc: varint is longer than 10 bytes",
        ),
        (
            "overflowing varint",
            [&[0x08][..], &[0xff; 9], &[0x02]].concat(),
            1,
            "snappb crc: varint overflows 64 bits",
        ),
        (
            "long data",
            vec![0x12, 0x05, 1, 2],
            1,
            "snappb data: length 5 runs past the end (2 bytes left)",
        ),
        (
            "group start",
            vec![0x0b],
            0,
            "field 1 uses the group wire type 3, which is not supported",
        ),
        (
            "group end",
            vec![0x24],
            0,
            "field 4 uses the group wire type 4, which is not supported",
        ),
        (
            "wire type 6",
            vec![0x1e],
            0,
            "field 3 has invalid wire type 6",
        ),
        (
            "wire type 7",
            vec![0x1f],
            0,
            "field 3 has invalid wire type 7",
        ),
        ("field 0", vec![0x00, 0x00], 0, "field number 0"),
        (
            "tag over 32 bits",
            big_tag,
            0,
            "field tag 4294967296 does not fit 32 bits",
        ),
        (
            "crc as bytes",
            vec![0x0a, 0x00],
            0,
            "snappb field 1 (crc) has wire type 2, expected 0",
        ),
        (
            "data as varint",
            vec![0x10, 0x00],
            0,
            "snappb field 2 (data) has wire type 0, expected 2",
        ),
        (
            "crc twice",
            dup_crc.clone(),
            (dup_crc.len() - wrap(&valid_data).len()) as u64,
            "snappb field 1 (crc) appears twice",
        ),
        (
            "data twice",
            dup_data.clone(),
            wrap(&valid_data).len() as u64,
            "snappb field 2 (data) appears twice",
        ),
        (
            "crc over 32 bits",
            big_crc,
            1,
            "snappb crc 4294967296 does not fit 32 bits",
        ),
        (
            "cut fixed64",
            vec![0x19, 1, 2, 3],
            1,
            "unknown field 3: needs 8 bytes, 3 left",
        ),
        (
            "cut fixed32",
            vec![0x1d, 1],
            1,
            "unknown field 3: needs 4 bytes, 1 left",
        ),
        (
            "no crc",
            no_crc.clone(),
            no_crc.len() as u64,
            "snappb crc (field 1) is missing or 0: etcd reads an empty snapshot",
        ),
        (
            "zero crc",
            zero_crc.clone(),
            zero_crc.len() as u64,
            "snappb crc (field 1) is missing or 0: etcd reads an empty snapshot",
        ),
        (
            "no data",
            no_data.clone(),
            no_data.len() as u64,
            "snappb data (field 2) is missing",
        ),
        (
            "empty data",
            empty_data.clone(),
            empty_data.len() as u64,
            "snappb data is empty: etcd reads an empty snapshot",
        ),
    ];
    for (what, bytes, offset, reason) in cases {
        assert_eq!(invalid(&bytes), (offset, reason.to_string()), "{what}");
    }
}

// REQ-NODE-1, REQ-ERR-2
#[test]
fn malformed_raft_snapshots_are_refused_with_the_offset() {
    let tok = token(1, 1);
    let mut no_meta = Vec::new();
    field_bytes(&mut no_meta, 1, &tok);
    let mut meta_no_conf = Vec::new();
    field_varint(&mut meta_no_conf, 2, 1);
    field_varint(&mut meta_no_conf, 3, 1);
    let mut meta_zero_index = Vec::new();
    field_bytes(&mut meta_zero_index, 1, &conf_state(&[1]));
    field_varint(&mut meta_zero_index, 2, 0);
    field_varint(&mut meta_zero_index, 3, 5);
    let mut meta_no_term = Vec::new();
    field_bytes(&mut meta_no_term, 1, &conf_state(&[1]));
    field_varint(&mut meta_no_term, 2, 4);
    let bad_conf = [0x08, 0x01, 0x13, 0x01];
    let mut meta_bad_conf = Vec::new();
    field_bytes(&mut meta_bad_conf, 1, &bad_conf);
    let mut meta_index_as_bytes = Vec::new();
    field_bytes(&mut meta_index_as_bytes, 1, &conf_state(&[1]));
    field_bytes(&mut meta_index_as_bytes, 2, b"");
    let mut meta_two_terms = metadata(2, 3);
    field_varint(&mut meta_two_terms, 3, 2);
    let mut meta_two_confs = metadata(2, 3);
    field_bytes(&mut meta_two_confs, 1, &conf_state(&[]));
    let mut two_metas = raft_snapshot(2, 3, &tok);
    field_bytes(&mut two_metas, 2, &metadata(2, 3));
    let mut two_datas = raft_snapshot(2, 3, &tok);
    field_bytes(&mut two_datas, 1, &tok);
    let cut_meta = {
        let mut r = Vec::new();
        field_bytes(&mut r, 1, &tok);
        r.extend_from_slice(&[0x12, 0x09, 0x10]);
        r
    };
    let with_meta = |m: &[u8]| raft_snapshot_with(&tok, m);
    let end_of = |m: &[u8]| m.len() as u64;
    // (what, raftpb.Snapshot bytes, the part the error points into (found
    // in the file), the offset in that part, the reason)
    type Case<'a> = (&'a str, Vec<u8>, Vec<u8>, u64, &'a str);
    let cases: Vec<Case> = vec![
        (
            "no metadata",
            no_meta.clone(),
            no_meta.clone(),
            end_of(&no_meta),
            "raftpb.Snapshot metadata (field 2) is missing",
        ),
        (
            "no conf_state",
            with_meta(&meta_no_conf),
            meta_no_conf.clone(),
            end_of(&meta_no_conf),
            "SnapshotMetadata conf_state (field 1) is missing",
        ),
        (
            "index 0",
            with_meta(&meta_zero_index),
            meta_zero_index.clone(),
            end_of(&meta_zero_index),
            "SnapshotMetadata has index 0 term 5: an empty snapshot",
        ),
        (
            "no term",
            with_meta(&meta_no_term),
            meta_no_term.clone(),
            end_of(&meta_no_term),
            "SnapshotMetadata has index 4 term 0: an empty snapshot",
        ),
        (
            "group in conf_state",
            with_meta(&meta_bad_conf),
            bad_conf.to_vec(),
            2,
            "field 2 uses the group wire type 3, which is not supported",
        ),
        (
            "index as bytes",
            with_meta(&meta_index_as_bytes),
            meta_index_as_bytes.clone(),
            end_of(&meta_index_as_bytes) - 2,
            "SnapshotMetadata field 2 (index) has wire type 2, expected 0",
        ),
        (
            "term twice",
            with_meta(&meta_two_terms),
            meta_two_terms.clone(),
            end_of(&meta_two_terms) - 2,
            "SnapshotMetadata field 3 (term) appears twice",
        ),
        (
            "conf_state twice",
            with_meta(&meta_two_confs),
            meta_two_confs.clone(),
            end_of(&meta_two_confs) - 4,
            "SnapshotMetadata field 1 (conf_state) appears twice",
        ),
        (
            "metadata twice",
            two_metas.clone(),
            two_metas.clone(),
            raft_snapshot(2, 3, &tok).len() as u64,
            "raftpb.Snapshot field 2 (metadata) appears twice",
        ),
        (
            "data twice",
            two_datas.clone(),
            two_datas.clone(),
            raft_snapshot(2, 3, &tok).len() as u64,
            "raftpb.Snapshot field 1 (data) appears twice",
        ),
        (
            "cut metadata",
            cut_meta.clone(),
            cut_meta.clone(),
            20,
            "raftpb.Snapshot metadata: length 9 runs past the end (1 bytes left)",
        ),
    ];
    for (what, raft, part, delta, reason) in cases {
        let file = wrap(&raft);
        let at = find(&file, &part) + delta;
        assert_eq!(invalid(&file), (at, reason.to_string()), "{what}");
    }
}

// REQ-NODE-1
#[test]
fn a_crc_mismatch_is_its_own_error() {
    let raft = raft_snapshot(1, 2, &token(2, 3));
    let good = kit::crc32c(&raft);
    let bytes = snappb(good ^ 1, &raft);
    assert_eq!(
        parse(&bytes),
        Err(NodeError::SnapCrcMismatch {
            path: FILE.into(),
            stored: good ^ 1,
            computed: good,
        })
    );
    let e = parse(&bytes).unwrap_err();
    assert_eq!(e.class(), "snap_crc_mismatch");
    assert_eq!(
        e.to_string(),
        format!(
            "t.snap: snap crc mismatch: the file says {:08x}, its data has {good:08x}",
            good ^ 1
        )
    );
}

// REQ-NODE-1
#[test]
fn tokens_decode_and_other_data_is_an_embedded_payload() {
    let tok = token(0x0102_0304_0506_0708, 0x0a0b_0c0d);
    assert_eq!(
        tok,
        b"EKVT\x01\x01\x02\x03\x04\x05\x06\x07\x08\x0a\x0b\x0c\x0d".to_vec()
    );
    assert_eq!(
        decode_token(FILE, &tok),
        Ok(Some(Token {
            index: 0x0102_0304_0506_0708,
            crc32c: 0x0a0b_0c0d
        }))
    );
    // Not 17 bytes, or no magic: an embedded payload, whatever it holds.
    for data in [
        &tok[..16],
        &[&tok[..], b"x"].concat()[..],
        b"EKVPBBL1\0\0\0\0\0\0\0\0\0",
        b"",
        b"ekvt\x01\x01\x02\x03\x04\x05\x06\x07\x08\x0a\x0b\x0c\x0d",
    ] {
        assert_eq!(decode_token(FILE, data), Ok(None), "{data:?}");
    }
    let e = decode_token(FILE, &token_with_version(2, 1, 1)).unwrap_err();
    assert_eq!(e.class(), "token_invalid");
    assert_eq!(
        e.to_string(),
        "t.snap: invalid snapshot token: unknown version 2, expected 1"
    );
    assert!(decode_token(FILE, &token_with_version(0, 1, 1)).is_err());
}

// REQ-NODE-2
#[test]
fn the_only_snapshot_is_found() {
    let t = tempdir();
    let dir = NodeDir::create(t.path()).unwrap();
    let p = payload(42);
    let off = dir.add_snapshot(3, 0x64, &p).unwrap();
    let got = locate(dir.root()).unwrap();
    assert_eq!(
        got,
        NodeSnapshot {
            snap_path: t.path().join("snap/0000000000000003-0000000000000064.snap"),
            fsm_path: t.path().join("fsm-snap/0000000000000064.fsm"),
            index: 0x64,
            term: 3,
            token_crc: kit::crc32c(&p),
            warnings: vec![],
        }
    );
    assert_eq!((got.snap_path, got.fsm_path), (off.snap, off.fsm));
    assert_eq!(fs::read(dir.fsm_path(0x64)).unwrap(), fsm_file(&p));
}

// REQ-NODE-2
#[test]
fn the_newest_by_term_then_index_is_chosen() {
    let t = tempdir();
    let dir = NodeDir::create(t.path()).unwrap();
    dir.add_snapshot(2, 100, b"a").unwrap();
    dir.add_snapshot(2, 300, b"b").unwrap();
    dir.add_snapshot(3, 200, b"c").unwrap();
    dir.add_snapshot(1, 0x1000, b"d").unwrap();
    let got = locate(dir.root()).unwrap();
    assert_eq!((got.term, got.index), (3, 200));
    assert_eq!(got.token_crc, kit::crc32c(b"c"));
    assert!(got.warnings.is_empty());
    // Index order within a term is hex order, not decimal digit order.
    let t = tempdir();
    let dir = NodeDir::create(t.path()).unwrap();
    dir.add_snapshot(1, 9, b"a").unwrap();
    dir.add_snapshot(1, 0x10, b"b").unwrap();
    assert_eq!(locate(dir.root()).unwrap().index, 0x10);
}

// REQ-NODE-2
#[test]
fn a_zero_length_payload_is_a_valid_fsm_file() {
    let t = tempdir();
    let dir = NodeDir::create(t.path()).unwrap();
    dir.add_snapshot(1, 1, b"").unwrap();
    assert_eq!(fs::read(dir.fsm_path(1)).unwrap(), vec![0, 0, 0, 0]);
    let got = locate(dir.root()).unwrap();
    assert_eq!((got.index, got.token_crc), (1, 0));
}

// REQ-NODE-2
#[test]
fn newer_unusable_snap_files_are_passed_over_with_warnings() {
    let t = tempdir();
    let dir = NodeDir::create(t.path()).unwrap();
    dir.add_snapshot(1, 0x10, b"oldest").unwrap();
    dir.add_snapshot(1, 0x20, b"chosen").unwrap();
    // Newer, each unusable in its own way.
    let fsm_less = dir.add_snapshot(1, 0x30, b"its fsm is gone").unwrap();
    fs::remove_file(&fsm_less.fsm).unwrap();
    let legacy = dir.add_legacy(1, 0x40, &payload(9)).unwrap();
    let mut cut = snap_file(1, 0x50, &token(0x50, 1));
    // The data field's length (one byte) now runs past the end.
    let cut_at = cut.len() - raft_snapshot(1, 0x50, &token(0x50, 1)).len() - 1;
    cut.truncate(cut.len() - 3);
    let cut = dir.write_snap(&snap_name(1, 0x50), &cut).unwrap();
    let mut flipped = snap_file(1, 0x60, &token(0x60, 1));
    let last = flipped.len() - 1;
    flipped[last] ^= 0x40;
    let flipped = dir.write_snap(&snap_name(1, 0x60), &flipped).unwrap();
    let not_a_file = dir.root().join("snap").join(snap_name(1, 0x70));
    fs::create_dir(&not_a_file).unwrap();
    let odd_name = dir.write_snap("latest.snap", b"whatever").unwrap();
    // Not snap files at all: ignored, as etcd ignores them.
    dir.write_snap("db", b"bolt").unwrap();
    dir.write_snap(&format!("{}.broken", snap_name(9, 9)), b"")
        .unwrap();
    dir.write_snap(&format!("{}.tmp", snap_name(9, 9)), b"")
        .unwrap();
    fs::create_dir(dir.root().join("snap/sub")).unwrap();

    let got = locate(dir.root()).unwrap();
    assert_eq!((got.term, got.index), (1, 0x20));
    assert_eq!(got.token_crc, kit::crc32c(b"chosen"));
    assert_eq!(
        classes(&got.warnings),
        [
            "snap_name_invalid",
            "snap_file_invalid",
            "snap_crc_mismatch",
            "snap_file_invalid",
            "snap_legacy_payload",
            "fsm_not_found",
        ]
    );
    let shown = |p: &Path| p.display().to_string();
    let w: Vec<String> = got.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(
        w[0],
        format!(
            "{}: not a snap file name: expected <term:016x>-<index:016x>.snap",
            shown(&odd_name)
        )
    );
    assert_eq!(
        w[1],
        format!(
            "{}: invalid snap file at offset 0: not a regular file",
            shown(&not_a_file)
        )
    );
    assert!(w[2].starts_with(&format!("{}: snap crc mismatch", shown(&flipped))));
    assert_eq!(
        w[3],
        format!(
            "{}: invalid snap file at offset {cut_at}: snappb data: length 35 runs past the \
             end (32 bytes left)",
            shown(&cut)
        )
    );
    let legacy_len = payload(9).len();
    assert_eq!(
        w[4],
        format!(
            "{}: the snapshot embeds its {legacy_len}-byte payload instead of naming a \
             fsm-snap/ file (the format before snapshot offload); only offloaded snapshots \
             are read from a data directory",
            shown(&legacy)
        )
    );
    assert_eq!(
        w[5],
        format!(
            "{}: not found or not a regular file (named by the token of {})",
            shown(&fsm_less.fsm),
            shown(&fsm_less.snap)
        )
    );
}

// REQ-NODE-2
#[test]
fn older_files_are_not_examined() {
    let t = tempdir();
    let dir = NodeDir::create(t.path()).unwrap();
    dir.write_snap(&snap_name(1, 1), b"garbage").unwrap();
    dir.add_legacy(1, 2, b"legacy").unwrap();
    dir.add_snapshot(1, 3, b"chosen").unwrap();
    let got = locate(dir.root()).unwrap();
    assert_eq!(got.index, 3);
    assert!(got.warnings.is_empty());
}

// REQ-NODE-2
#[test]
fn no_usable_snapshot_lists_every_file_tried() {
    let t = tempdir();
    let dir = NodeDir::create(t.path()).unwrap();
    let snap_dir = t.path().join("snap").display().to_string();
    let e = node_err(locate(dir.root()));
    assert_eq!(
        e,
        NodeError::NoUsableSnapshot {
            dir: snap_dir.clone(),
            tried: vec![]
        }
    );
    assert_eq!(
        e.to_string(),
        format!("{snap_dir}: no usable snapshot: no .snap file")
    );

    let legacy = dir.add_legacy(1, 1, b"abcde").unwrap();
    let odd = dir.write_snap("x.snap", b"").unwrap();
    let e = node_err(locate(dir.root()));
    assert_eq!(e.class(), "no_usable_snapshot");
    let NodeError::NoUsableSnapshot { tried, .. } = &e else {
        panic!("{e:?}")
    };
    assert_eq!(classes(tried), ["snap_name_invalid", "snap_legacy_payload"]);
    assert_eq!(
        e.to_string(),
        format!(
            "{snap_dir}: no usable snapshot: tried 2: [snap_name_invalid] {}: not a snap file \
             name: expected <term:016x>-<index:016x>.snap; [snap_legacy_payload] {}: the \
             snapshot embeds its 5-byte payload instead of naming a fsm-snap/ file (the format \
             before snapshot offload); only offloaded snapshots are read from a data directory",
            odd.display(),
            legacy.display()
        )
    );
    // Through the crate's error type, with the same class and message.
    let err = locate(dir.root()).unwrap_err();
    assert_eq!(err.class(), "no_usable_snapshot");
    assert_eq!(err.to_string(), e.to_string());
}

// REQ-NODE-2
#[test]
fn missing_directories_are_refused() {
    let t = tempdir();
    let root = t.path().join("node");
    let e = node_err(locate(&root));
    assert_eq!(e.class(), "data_dir_invalid");
    assert_eq!(
        e.to_string(),
        format!("{}: no such data directory", root.display())
    );

    fs::write(&root, b"").unwrap();
    let e = node_err(locate(&root));
    assert_eq!(
        e.to_string(),
        format!("{}: not a directory", root.display())
    );
    fs::remove_file(&root).unwrap();

    fs::create_dir(&root).unwrap();
    fs::create_dir(root.join("fsm-snap")).unwrap();
    let e = node_err(locate(&root));
    assert_eq!(
        e.to_string(),
        format!(
            "{}: missing: a node's data directory holds etcd's snap/ directory",
            root.join("snap").display()
        )
    );
    fs::remove_dir(root.join("fsm-snap")).unwrap();
    fs::create_dir(root.join("snap")).unwrap();
    let e = node_err(locate(&root));
    assert_eq!(
        e.to_string(),
        format!(
            "{}: missing: a node's data directory holds fsm-snap/ (offloaded snapshots)",
            root.join("fsm-snap").display()
        )
    );
    assert_eq!(e.class(), "data_dir_invalid");
    fs::write(root.join("fsm-snap"), b"").unwrap();
    let e = node_err(locate(&root));
    assert_eq!(
        e.to_string(),
        format!("{}: not a directory", root.join("fsm-snap").display())
    );
}

/// A data directory with a valid older snapshot (1, 0x10) and, newer, a
/// snapshot (1, 0x20) damaged by `damage`; what `locate` says.
fn with_damaged_newest(damage: impl FnOnce(&NodeDir)) -> (NodeError, tempfile::TempDir) {
    let t = tempdir();
    let dir = NodeDir::create(t.path()).unwrap();
    dir.add_snapshot(1, 0x10, b"older, valid").unwrap();
    damage(&dir);
    (node_err(locate(dir.root())), t)
}

// REQ-NODE-3
#[test]
fn a_file_name_that_disagrees_with_the_metadata_stops_the_search() {
    let (e, t) = with_damaged_newest(|d| {
        d.write_fsm(0x30, &fsm_file(b"p")).unwrap();
        let bytes = snap_file(2, 0x30, &token(0x30, kit::crc32c(b"p")));
        d.write_snap(&snap_name(1, 0x20), &bytes).unwrap();
    });
    let path = t.path().join("snap").join(snap_name(1, 0x20));
    assert_eq!(
        e,
        NodeError::SnapNameMismatch {
            path: path.display().to_string(),
            name_term: 1,
            name_index: 0x20,
            term: 2,
            index: 0x30,
        }
    );
    assert_eq!(e.class(), "snap_name_mismatch");
    assert_eq!(
        e.to_string(),
        format!(
            "{}: the file name says term 1 index 32, the snapshot metadata says term 2 index 48",
            path.display()
        )
    );
}

// REQ-NODE-3
#[test]
fn an_unknown_token_version_stops_the_search() {
    let (e, t) = with_damaged_newest(|d| {
        d.write_fsm(0x20, &fsm_file(b"p")).unwrap();
        let tok = token_with_version(2, 0x20, kit::crc32c(b"p"));
        d.write_snap(&snap_name(1, 0x20), &snap_file(1, 0x20, &tok))
            .unwrap();
    });
    assert_eq!(
        e,
        NodeError::TokenInvalid {
            path: t
                .path()
                .join("snap")
                .join(snap_name(1, 0x20))
                .display()
                .to_string(),
            reason: "unknown version 2, expected 1".into(),
        }
    );
}

// REQ-NODE-3
#[test]
fn a_token_index_that_disagrees_with_the_metadata_stops_the_search() {
    let (e, t) = with_damaged_newest(|d| {
        d.write_fsm(0x21, &fsm_file(b"p")).unwrap();
        d.write_fsm(0x20, &fsm_file(b"p")).unwrap();
        let tok = token(0x21, kit::crc32c(b"p"));
        d.write_snap(&snap_name(1, 0x20), &snap_file(1, 0x20, &tok))
            .unwrap();
    });
    let path = t.path().join("snap").join(snap_name(1, 0x20));
    assert_eq!(e.class(), "token_index_mismatch");
    assert_eq!(
        e.to_string(),
        format!(
            "{}: the token names index 33, the snapshot metadata index 32",
            path.display()
        )
    );
}

// REQ-NODE-3
#[test]
fn an_fsm_file_too_small_for_its_footer_stops_the_search() {
    for len in 0..4u64 {
        let (e, t) = with_damaged_newest(|d| {
            d.write_fsm(0x20, &vec![0; len as usize]).unwrap();
            d.write_snap(&snap_name(1, 0x20), &snap_file(1, 0x20, &token(0x20, 0)))
                .unwrap();
        });
        let path = t.path().join("fsm-snap").join(node::fsm_file_name(0x20));
        assert_eq!(
            e,
            NodeError::FsmTooSmall {
                path: path.display().to_string(),
                len
            }
        );
        assert_eq!(
            e.to_string(),
            format!(
                "{}: {len} bytes, too small for the 4-byte crc32c footer",
                path.display()
            )
        );
        assert_eq!(e.class(), "fsm_too_small");
    }
}

// REQ-NODE-3
#[test]
fn a_footer_that_disagrees_with_the_token_stops_the_search() {
    let (e, t) = with_damaged_newest(|d| {
        d.write_fsm(0x20, &fsm_file(b"payload")).unwrap();
        let tok = token(0x20, kit::crc32c(b"payload") ^ 0xff);
        d.write_snap(&snap_name(1, 0x20), &snap_file(1, 0x20, &tok))
            .unwrap();
    });
    let crc = kit::crc32c(b"payload");
    let fsm = t.path().join("fsm-snap").join(node::fsm_file_name(0x20));
    let snap = t.path().join("snap").join(snap_name(1, 0x20));
    assert_eq!(
        e,
        NodeError::TokenCrcMismatch {
            path: fsm.display().to_string(),
            snap: snap.display().to_string(),
            token: crc ^ 0xff,
            footer: crc,
        }
    );
    assert_eq!(e.class(), "token_crc_mismatch");
    assert_eq!(
        e.to_string(),
        format!(
            "{}: the footer says crc32c {crc:08x}, the token of {} says {:08x}",
            fsm.display(),
            snap.display(),
            crc ^ 0xff
        )
    );
}

// REQ-NODE-3
#[test]
fn only_the_footer_is_compared_not_the_payload() {
    // The payload's own CRC is the decoder's streaming check: a payload
    // damaged behind an intact footer is still located.
    let t = tempdir();
    let dir = NodeDir::create(t.path()).unwrap();
    let p = vec![7u8; 1 << 16];
    let off = dir.add_snapshot(1, 5, &p).unwrap();
    let mut bytes = fs::read(&off.fsm).unwrap();
    bytes[100] ^= 1;
    fs::write(&off.fsm, &bytes).unwrap();
    let got = locate(dir.root()).unwrap();
    assert_eq!((got.index, got.token_crc), (5, kit::crc32c(&p)));
    assert_eq!(
        node::read_fsm_footer(&off.fsm, "s").unwrap(),
        kit::crc32c(&p)
    );
}

// REQ-NODE-3
#[test]
fn every_node_error_has_its_class() {
    let s = String::new;
    let all = [
        (
            NodeError::DataDirInvalid {
                path: s(),
                reason: s(),
            },
            "data_dir_invalid",
        ),
        (
            NodeError::SnapNameInvalid { path: s() },
            "snap_name_invalid",
        ),
        (
            NodeError::SnapFileInvalid {
                path: s(),
                offset: 0,
                reason: s(),
            },
            "snap_file_invalid",
        ),
        (
            NodeError::SnapCrcMismatch {
                path: s(),
                stored: 0,
                computed: 0,
            },
            "snap_crc_mismatch",
        ),
        (
            NodeError::SnapNameMismatch {
                path: s(),
                name_term: 0,
                name_index: 0,
                term: 0,
                index: 0,
            },
            "snap_name_mismatch",
        ),
        (
            NodeError::SnapLegacyPayload { path: s(), len: 0 },
            "snap_legacy_payload",
        ),
        (
            NodeError::TokenInvalid {
                path: s(),
                reason: s(),
            },
            "token_invalid",
        ),
        (
            NodeError::TokenIndexMismatch {
                path: s(),
                token_index: 0,
                index: 0,
            },
            "token_index_mismatch",
        ),
        (
            NodeError::FsmNotFound {
                path: s(),
                snap: s(),
            },
            "fsm_not_found",
        ),
        (
            NodeError::FsmTooSmall { path: s(), len: 0 },
            "fsm_too_small",
        ),
        (
            NodeError::TokenCrcMismatch {
                path: s(),
                snap: s(),
                token: 0,
                footer: 0,
            },
            "token_crc_mismatch",
        ),
        (
            NodeError::NoUsableSnapshot {
                dir: s(),
                tried: vec![],
            },
            "no_usable_snapshot",
        ),
    ];
    let passed_over = [
        "snap_name_invalid",
        "snap_file_invalid",
        "snap_crc_mismatch",
        "snap_legacy_payload",
        "fsm_not_found",
    ];
    for (e, class) in all {
        assert_eq!(e.class(), class);
        assert_eq!(
            node::passed_over(&e),
            passed_over.contains(&class),
            "{class}"
        );
        assert_eq!(Error::from(e).class(), class);
    }
}

/// Every entry under `root`: relative path → (mode, length, mtime,
/// SHA-256 of the contents for files).
fn tree_state(root: &Path) -> BTreeMap<String, (u32, u64, i128, String)> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, (u32, u64, i128, String)>) {
        let mut entries: Vec<_> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for p in entries {
            let m = fs::symlink_metadata(&p).unwrap();
            let mtime = m
                .modified()
                .unwrap()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as i128;
            let digest = if m.is_file() {
                hex::encode(Sha256::digest(fs::read(&p).unwrap()))
            } else {
                String::new()
            };
            let rel = p.strip_prefix(root).unwrap().display().to_string();
            out.insert(rel, (m.permissions().mode(), m.len(), mtime, digest));
            if m.is_dir() {
                walk(root, &p, out);
            }
        }
    }
    let mut out = BTreeMap::new();
    let m = fs::metadata(root).unwrap();
    out.insert(".".into(), (m.permissions().mode(), 0, 0, String::new()));
    walk(root, root, &mut out);
    out
}

/// Set every directory under `root` (and `root`) to `dir_mode` and every
/// file to `file_mode`; directories last on the way down, first on the
/// way up, so the walk never locks itself out.
fn chmod_tree(root: &Path, dir_mode: u32, file_mode: u32) {
    fs::set_permissions(root, fs::Permissions::from_mode(0o755)).unwrap();
    for e in fs::read_dir(root).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            chmod_tree(&p, dir_mode, file_mode);
        } else {
            fs::set_permissions(&p, fs::Permissions::from_mode(file_mode)).unwrap();
        }
    }
    fs::set_permissions(root, fs::Permissions::from_mode(dir_mode)).unwrap();
}

fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let dest = to.join(p.file_name().unwrap());
        if p.is_dir() {
            copy_tree(&p, &dest);
        } else {
            fs::copy(&p, &dest).unwrap();
        }
    }
}

// REQ-NODE-4
#[test]
fn a_read_only_copy_is_located_and_left_unchanged() {
    let t = tempdir();
    let dir = NodeDir::create(t.path().join("live")).unwrap();
    dir.add_snapshot(1, 0x10, &payload(1)).unwrap();
    dir.add_snapshot(2, 0x20, &payload(2)).unwrap();
    // Files etcd would rename to *.broken, and ones the node would clean up.
    let mut bad = snap_file(2, 0x30, &token(0x30, 1));
    bad.pop();
    dir.write_snap(&snap_name(2, 0x30), &bad).unwrap();
    dir.add_legacy(2, 0x40, b"legacy").unwrap();
    dir.write_snap("db.tmp.123", b"").unwrap();
    fs::write(dir.root().join("fsm-snap/0000000000000099.fsm.tmp"), b"x").unwrap();
    fs::write(dir.root().join("fsm-snap/0000000000000077.fsm"), b"orphan").unwrap();

    let copy = t.path().join("copy");
    copy_tree(dir.root(), &copy);
    let before = tree_state(&copy);
    chmod_tree(&copy, 0o555, 0o444);
    let locked = tree_state(&copy);
    let got = locate(&copy);
    let again = locate(&copy);
    let after = tree_state(&copy);
    chmod_tree(&copy, 0o755, 0o644);
    assert_eq!(after, locked, "the read-only tree changed");
    assert_eq!(tree_state(&copy), before);
    assert!(locked.values().all(|(mode, ..)| mode & 0o222 == 0));

    let got = got.unwrap();
    assert_eq!(got, again.unwrap());
    assert_eq!((got.term, got.index), (2, 0x20));
    assert_eq!(got.fsm_path, copy.join("fsm-snap/0000000000000020.fsm"));
    assert_eq!(
        classes(&got.warnings),
        ["snap_legacy_payload", "snap_file_invalid"]
    );
    // The copy reads as the original does.
    let live = locate(dir.root()).unwrap();
    assert_eq!(
        (live.term, live.index, live.token_crc),
        (got.term, got.index, got.token_crc)
    );
}

/// The outcome of `locate` with the data directory's path written `<dir>`.
fn outcome(root: &Path) -> String {
    let text = match locate(root) {
        Ok(n) => format!("{n:?}"),
        Err(e) => format!("error[{}]: {e}", e.class()),
    };
    text.replace(&root.display().to_string(), "<dir>")
}

// REQ-NODE-2
#[test]
fn the_choice_is_deterministic() {
    // The same files written in two orders, located twice each.
    type Step = fn(&NodeDir);
    let steps: [Step; 5] = [
        |d| {
            d.add_snapshot(1, 1, b"one").unwrap();
        },
        |d| {
            d.add_snapshot(1, 2, b"two").unwrap();
        },
        |d| {
            d.add_legacy(1, 3, b"three").unwrap();
        },
        |d| {
            d.write_snap(&snap_name(1, 4), b"\x08").unwrap();
        },
        |d| {
            d.write_snap("zz.snap", b"").unwrap();
        },
    ];
    let t = tempdir();
    let a = NodeDir::create(t.path().join("a")).unwrap();
    let b = NodeDir::create(t.path().join("b")).unwrap();
    for s in &steps {
        s(&a);
    }
    for s in steps.iter().rev() {
        s(&b);
    }
    let first = outcome(a.root());
    assert_eq!(first, outcome(a.root()));
    assert_eq!(first, outcome(b.root()));
    let got = locate(b.root()).unwrap();
    assert_eq!(got.index, 2);
    assert_eq!(
        classes(&got.warnings),
        [
            "snap_name_invalid",
            "snap_file_invalid",
            "snap_legacy_payload"
        ]
    );
}

proptest! {
    #![proptest_config(ProptestConfig {
        failure_persistence: Some(Box::new(
            proptest::test_runner::FileFailurePersistence::Direct("proptest-regressions/node.txt"),
        )),
        ..ProptestConfig::default()
    })]

    // REQ-NODE-1, REQ-ERR-2
    #[test]
    fn arbitrary_bytes_as_a_snap_file_never_panic(
        bytes in proptest::collection::vec(any::<u8>(), 0..256),
    ) {
        match parse(&bytes) {
            Ok(s) => prop_assert!(s.index != 0 && s.term != 0),
            Err(NodeError::SnapFileInvalid { offset, .. }) => {
                prop_assert!(offset <= bytes.len() as u64)
            }
            Err(e) => prop_assert_eq!(e.class(), "snap_crc_mismatch"),
        }
    }

    // REQ-NODE-1, REQ-ERR-2
    #[test]
    fn arbitrary_bytes_after_a_valid_prefix_never_panic(
        cut in 0usize..64,
        tail in proptest::collection::vec(any::<u8>(), 0..64),
    ) {
        let file = snap_file(3, 9, &token(9, 1));
        let mut bytes = file[..cut.min(file.len())].to_vec();
        bytes.extend_from_slice(&tail);
        let _ = parse(&bytes);
        let data = raft_snapshot(3, 9, &token(9, 1));
        let mut inner = data[..cut.min(data.len())].to_vec();
        inner.extend_from_slice(&tail);
        let _ = parse(&wrap(&inner));
    }

    // REQ-NODE-1, REQ-NODE-2, REQ-ERR-2
    #[test]
    fn an_arbitrary_newest_snap_file_never_panics_locate(
        bytes in proptest::collection::vec(any::<u8>(), 0..128),
    ) {
        let t = tempdir();
        let dir = NodeDir::create(t.path()).unwrap();
        dir.add_snapshot(1, 1, b"valid").unwrap();
        dir.write_snap(&snap_name(1, 2), &bytes).unwrap();
        match locate(dir.root()) {
            Ok(got) => {
                prop_assert_eq!(got.index, 1);
                prop_assert_eq!(got.warnings.len(), 1);
                prop_assert!(node::passed_over(&got.warnings[0]));
            }
            Err(Error::Node(e)) => prop_assert!(!node::passed_over(&e), "{}", e),
            Err(e) => prop_assert!(false, "unexpected {}", e),
        }
    }

    // REQ-NODE-1
    #[test]
    fn byte_built_snap_files_read_back(
        term in 1u64..,
        index in 1u64..,
        data in proptest::collection::vec(any::<u8>(), 0..64),
    ) {
        let snap = parse(&snap_file(term, index, &data)).unwrap();
        prop_assert_eq!((snap.term, snap.index), (term, index));
        prop_assert_eq!(&snap.data, &data);
        let tok = token(index, term as u32);
        let snap = parse(&snap_file(term, index, &tok)).unwrap();
        prop_assert_eq!(
            decode_token(FILE, &snap.data).unwrap(),
            Some(Token { index, crc32c: term as u32 })
        );
    }

    // REQ-NODE-1
    #[test]
    fn a_changed_byte_in_the_checked_data_is_caught(
        at in any::<prop::sample::Index>(),
        flip in 1u8..,
    ) {
        let raft = raft_snapshot(4, 8, &token(8, 2));
        let mut file = wrap(&raft);
        let start = file.len() - raft.len();
        let i = start + at.index(raft.len());
        file[i] ^= flip;
        let e = parse(&file).unwrap_err();
        prop_assert_eq!(e.class(), "snap_crc_mismatch");
    }
}
