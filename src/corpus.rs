//! The conformance corpus: case definitions and the generator of
//! `conformance/` (REQ-CONF-1, REQ-CONF-2).
//!
//! Every case is a snapshot built here from components (keys with
//! [`key::build`], values as literal JSON), a list of decode flags, and the
//! *intent* of the case ([`Expect`]): what the decode must show, e.g. "this
//! input is `short_value`" or "`messages.jsonl` has the ids c, b, f in this
//! order". [`generate`] decodes every case with sqsdump itself
//! ([`expected_outcome`]), checks the intent against the result and renders
//! the case directory:
//!
//! ```text
//! <REQ-ID>-<slug>/input.fsm        the snapshot
//! <REQ-ID>-<slug>/flags            decode flags, one per line (may be empty)
//! <REQ-ID>-<slug>/description      one line: what the case shows
//! <REQ-ID>-<slug>/expected/…       the exact dump tree, or
//! <REQ-ID>-<slug>/expected-error   the error class and a newline
//! ```
//!
//! So an expected tree is sqsdump's own output, but never an unexamined
//! one: a change in the decoder that breaks a case's intent stops the
//! generator, and a change that keeps the intent shows up as a diff of the
//! committed corpus (`tests/corpus.rs`).
//!
//! The README of the corpus is generated here too, with an index of the
//! cases, so it cannot drift from them.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use clap::Args;

use crate::decode::Options;
use crate::dump::DumpModel;
use crate::fsm::{
    encode_header, encode_key, encode_raw_entry, encode_value, FLAG_TOMBSTONE, MAX_KEY_LEN,
    MAX_VALUE_LEN,
};
use crate::key::{self, build, KeyParts};
use crate::manifest::{self, ManifestInfo};
use crate::value::{MESSAGE_MAGIC, QUEUE_META_MAGIC};
use crate::{snapshot, write, Error};

/// Name of the snapshot file in a case directory. MANIFEST.json records
/// the source file name, so implementations must be run on a file of this
/// name.
pub const INPUT_FILE: &str = "input.fsm";
/// Name of the flags file in a case directory.
pub const FLAGS_FILE: &str = "flags";
/// Name of the one-line description in a case directory.
pub const DESCRIPTION_FILE: &str = "description";
/// Name of the expected tree in a case directory.
pub const EXPECTED_DIR: &str = "expected";
/// Name of the expected error class file in a case directory.
pub const EXPECTED_ERROR_FILE: &str = "expected-error";
/// Name of the corpus README.
pub const README_FILE: &str = "README.md";

/// `--preserve-visibility`, in upstream's spelling, which sqsdump's
/// `decode` also accepts: the corpus then runs unchanged on both.
pub const PRESERVE: &str = "--preserve-sqs-visibility";
/// `--include-sqs-side-records`.
pub const SIDE: &str = "--include-sqs-side-records";
/// The decode flags a case may carry.
pub const KNOWN_FLAGS: [&str; 2] = [PRESERVE, SIDE];

/// The header's `last_commit_ts` in every case unless stated otherwise.
const LAST: u64 = 1000;

// ---------------------------------------------------------------------------
// Case model

/// What a case must show; checked when the corpus is generated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expect {
    /// The decode fails with this error class.
    Error(&'static str),
    /// The decode fails with some error (the class is whatever sqsdump
    /// reports).
    AnyError,
    /// Exactly these files besides MANIFEST.json and CHECKSUMS.
    Files(Vec<String>),
    /// The file has this many lines.
    Lines(String, usize),
    /// The file contains this text.
    Has(String, String),
    /// The file does not contain this text.
    Lacks(String, String),
    /// The `message_id`s of the JSON lines, in order.
    Ids(String, Vec<String>),
}

/// One conformance case.
#[derive(Debug, Clone)]
pub struct Case {
    /// `<REQ-ID>-<slug>`.
    pub name: String,
    /// One line: what the case shows.
    pub description: String,
    /// Decode flags.
    pub flags: Vec<&'static str>,
    /// The snapshot bytes.
    pub input: Vec<u8>,
    /// The intent, checked at generation time.
    pub expect: Vec<Expect>,
}

fn error(class: &'static str) -> Expect {
    Expect::Error(class)
}
fn files(paths: &[&str]) -> Expect {
    Expect::Files(paths.iter().map(|p| p.to_string()).collect())
}
fn lines(path: &str, n: usize) -> Expect {
    Expect::Lines(path.to_string(), n)
}
fn has(path: &str, text: &str) -> Expect {
    Expect::Has(path.to_string(), text.to_string())
}
fn lacks(path: &str, text: &str) -> Expect {
    Expect::Lacks(path.to_string(), text.to_string())
}
fn ids(path: &str, ids: &[&str]) -> Expect {
    Expect::Ids(
        path.to_string(),
        ids.iter().map(|s| s.to_string()).collect(),
    )
}

// ---------------------------------------------------------------------------
// Snapshot builder

/// Builds a `.fsm` stream. Entries are written in Pebble order (sorted by
/// encoded key, stable for equal keys) unless [`Snap::keep_order`] is set.
#[derive(Debug, Clone)]
pub(crate) struct Snap {
    last: u64,
    entries: Vec<(Vec<u8>, Vec<u8>)>,
    keep_order: bool,
    tail: Vec<u8>,
}

impl Snap {
    pub(crate) fn new() -> Self {
        Snap::at(LAST)
    }

    pub(crate) fn at(last: u64) -> Self {
        Snap {
            last,
            entries: Vec::new(),
            keep_order: false,
            tail: Vec::new(),
        }
    }

    /// A live version.
    pub(crate) fn put(&mut self, user_key: &[u8], ts: u64, body: &[u8]) -> &mut Self {
        self.flagged(user_key, ts, 0, 0, body)
    }

    /// A live version with an expiry.
    pub(crate) fn expiring(
        &mut self,
        user_key: &[u8],
        ts: u64,
        expire_at: u64,
        body: &[u8],
    ) -> &mut Self {
        self.flagged(user_key, ts, 0, expire_at, body)
    }

    /// A tombstone.
    pub(crate) fn del(&mut self, user_key: &[u8], ts: u64) -> &mut Self {
        self.flagged(user_key, ts, FLAG_TOMBSTONE, 0, b"")
    }

    /// A version with an arbitrary flags byte.
    pub(crate) fn flagged(
        &mut self,
        user_key: &[u8],
        ts: u64,
        flags: u8,
        expire_at: u64,
        body: &[u8],
    ) -> &mut Self {
        self.entries.push((
            encode_key(user_key, ts),
            encode_value(flags, expire_at, body),
        ));
        self
    }

    /// An entry with raw key and value bytes (no MVCC framing).
    pub(crate) fn raw(&mut self, key: &[u8], value: &[u8]) -> &mut Self {
        self.entries.push((key.to_vec(), value.to_vec()));
        self
    }

    /// Write the entries in the order they were added.
    pub(crate) fn keep_order(&mut self) -> &mut Self {
        self.keep_order = true;
        self
    }

    /// Bytes appended after the last entry (for truncated and garbage
    /// streams).
    pub(crate) fn tail(&mut self, bytes: &[u8]) -> &mut Self {
        self.tail.extend_from_slice(bytes);
        self
    }

    pub(crate) fn bytes(&self) -> Vec<u8> {
        let mut entries = self.entries.clone();
        if !self.keep_order {
            entries.sort_by(|a, b| a.0.cmp(&b.0));
        }
        let mut out = encode_header(self.last);
        for (k, v) in &entries {
            encode_raw_entry(&mut out, k, v);
        }
        out.extend_from_slice(&self.tail);
        out
    }
}

// ---------------------------------------------------------------------------
// Keys and values

pub(crate) fn meta_key(q: &[u8]) -> Vec<u8> {
    build(&KeyParts::QueueMeta { queue: q.to_vec() })
}
pub(crate) fn gen_key(q: &[u8]) -> Vec<u8> {
    build(&KeyParts::QueueGen { queue: q.to_vec() })
}
pub(crate) fn seq_key(q: &[u8]) -> Vec<u8> {
    build(&KeyParts::QueueSeq { queue: q.to_vec() })
}
pub(crate) fn tomb_key(q: &[u8], gen: u64) -> Vec<u8> {
    build(&KeyParts::QueueTombstone {
        queue: q.to_vec(),
        gen,
    })
}
pub(crate) fn data_key(q: &[u8], gen: u64, id: &[u8]) -> Vec<u8> {
    build(&KeyParts::MsgData {
        queue: q.to_vec(),
        partition: None,
        gen,
        message_id: id.to_vec(),
    })
}
pub(crate) fn pdata_key(q: &[u8], part: u32, gen: u64, id: &[u8]) -> Vec<u8> {
    build(&KeyParts::MsgData {
        queue: q.to_vec(),
        partition: Some(part),
        gen,
        message_id: id.to_vec(),
    })
}
pub(crate) fn vis_key(q: &[u8], part: Option<u32>, gen: u64, at: u64, id: &[u8]) -> Vec<u8> {
    build(&KeyParts::MsgVis {
        queue: q.to_vec(),
        partition: part,
        gen,
        visible_at: at,
        message_id: id.to_vec(),
    })
}
pub(crate) fn byage_key(q: &[u8], part: Option<u32>, gen: u64, ts: u64, id: &[u8]) -> Vec<u8> {
    build(&KeyParts::MsgByAge {
        queue: q.to_vec(),
        partition: part,
        gen,
        send_ts: ts,
        message_id: id.to_vec(),
    })
}
pub(crate) fn dedup_key(q: &[u8], part: Option<(u32, &[u8])>, gen: u64, dedup: &[u8]) -> Vec<u8> {
    build(&KeyParts::MsgDedup {
        queue: q.to_vec(),
        partition: part.map(|(p, g)| (p, g.to_vec())),
        gen,
        dedup_id: dedup.to_vec(),
    })
}
pub(crate) fn group_key(q: &[u8], part: Option<u32>, gen: u64, group: &[u8]) -> Vec<u8> {
    build(&KeyParts::MsgGroup {
        queue: q.to_vec(),
        partition: part,
        gen,
        group: group.to_vec(),
    })
}

fn json_str(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

pub(crate) fn std_b64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// A queue meta value from literal JSON bytes.
pub(crate) fn meta_raw(json: &[u8]) -> Vec<u8> {
    let mut v = QUEUE_META_MAGIC.to_vec();
    v.extend_from_slice(json);
    v
}

/// A standard queue named `name`; `extra` is spliced in before the closing
/// brace (e.g. `,"is_fifo":true`).
pub(crate) fn meta(name: &str, extra: &str) -> Vec<u8> {
    meta_raw(
        format!(
            r#"{{"name":{},"visibility_timeout_seconds":30,"message_retention_seconds":345600,"delay_seconds":0{extra}}}"#,
            json_str(name)
        )
        .as_bytes(),
    )
}

/// A message value from literal JSON bytes.
pub(crate) fn msg_raw(json: &[u8]) -> Vec<u8> {
    let mut v = MESSAGE_MAGIC.to_vec();
    v.extend_from_slice(json);
    v
}

/// A message whose live visibility state is not zero (so the default
/// zeroing shows); `extra` is spliced in before the closing brace and, as
/// the last duplicate key wins, can override any field.
pub(crate) fn msg(id: &str, body: &[u8], ts: i64, gen: u64, extra: &str) -> Vec<u8> {
    msg_raw(
        format!(
            r#"{{"message_id":{},"body":"{}","md5_of_body":"","send_timestamp_millis":{ts},"available_at_millis":{ts},"visible_at_millis":{},"receive_count":1,"first_receive_millis":{},"current_receipt_token":"cmVjZWlwdA==","queue_generation":{gen}{extra}}}"#,
            json_str(id),
            std_b64(body),
            ts + 30_000,
            ts + 5,
        )
        .as_bytes(),
    )
}

/// Base time of message timestamps.
const T0: i64 = 1_700_000_000_000;

/// A queue `name` with meta, gen 1 and the given (id, body) messages, sent
/// one millisecond apart.
fn std_queue(s: &mut Snap, name: &str, messages: &[(&str, &[u8])]) {
    let q = name.as_bytes();
    s.put(&meta_key(q), 10, &meta(name, ""));
    s.put(&gen_key(q), 10, b"1");
    for (i, (id, body)) in messages.iter().enumerate() {
        let ts = T0 + i as i64;
        s.put(
            &data_key(q, 1, id.as_bytes()),
            100 + i as u64,
            &msg(id, body, ts, 1, ""),
        );
    }
}

fn q_path(dir: &str, file: &str) -> String {
    format!("sqs/{dir}/{file}")
}

// ---------------------------------------------------------------------------
// The cases

struct Cases(Vec<Case>);

impl Cases {
    fn add(
        &mut self,
        name: &str,
        description: &str,
        flags: &[&'static str],
        input: Vec<u8>,
        expect: Vec<Expect>,
    ) {
        self.0.push(Case {
            name: name.to_string(),
            description: description.to_string(),
            flags: flags.to_vec(),
            input,
            expect,
        });
    }
}

/// Every case of the corpus, in a fixed order.
pub fn cases() -> Vec<Case> {
    let mut c = Cases(Vec::new());
    fsm_cases(&mut c);
    key_cases(&mut c);
    val_cases(&mut c);
    json_cases(&mut c);
    dec_cases(&mut c);
    out_cases(&mut c);
    err_cli_cases(&mut c);
    c.0
}

/// A snapshot holding one ordinary queue `orders` with two messages.
fn orders() -> Snap {
    let mut s = Snap::new();
    std_queue(&mut s, "orders", &[("o-1", b"first"), ("o-2", b"second")]);
    s
}

fn fsm_cases(c: &mut Cases) {
    c.add(
        "REQ-FSM-1-header-only",
        "a header and no entries decode to a dump with only MANIFEST.json and CHECKSUMS",
        &[],
        Snap::new().bytes(),
        vec![files(&[])],
    );
    let mut bad = b"NOTASNAP".to_vec();
    bad.extend_from_slice(&LAST.to_le_bytes());
    c.add(
        "REQ-FSM-1-bad-magic",
        "a stream that does not start with EKVPBBL1 is bad_magic",
        &[],
        bad,
        vec![error("bad_magic")],
    );
    let mut sst = b"EKVSSTI1".to_vec();
    sst.extend_from_slice(&LAST.to_le_bytes());
    c.add(
        "REQ-FSM-1-sst-ingest-format",
        "the SST-ingest transfer format (EKVSSTI1) is unsupported_format, not bad_magic",
        &[],
        sst,
        vec![error("unsupported_format")],
    );
    c.add(
        "REQ-FSM-1-short-header",
        "a stream shorter than the 16-byte header is truncated",
        &[],
        b"EKVPBBL1\xe8\x03".to_vec(),
        vec![error("truncated")],
    );
    c.add(
        "REQ-FSM-2-truncated-length-prefix",
        "end of input inside a key length prefix is truncated, even after complete entries",
        &[],
        orders().tail(&[5, 0, 0]).bytes(),
        vec![error("truncated")],
    );
    let mut cut = orders().bytes();
    encode_raw_entry(&mut cut, &encode_key(b"!sqs|queue|gen|eg", 10), b"");
    // Declare a 40-byte value and deliver 10 of them.
    let n = cut.len();
    cut[n - 8..].copy_from_slice(&40u64.to_le_bytes());
    cut.extend_from_slice(&encode_value(0, 0, b"1"));
    c.add(
        "REQ-FSM-2-truncated-value",
        "end of input inside a value is truncated",
        &[],
        cut,
        vec![error("truncated")],
    );
    c.add(
        "REQ-FSM-3-short-key",
        "an entry key shorter than its 8-byte commit-ts suffix is short_key",
        &[],
        orders().raw(b"!sqs|ab", &encode_value(0, 0, b"")).bytes(),
        vec![error("short_key")],
    );
    c.add(
        "REQ-FSM-3-short-value",
        "a value shorter than the 9-byte flags + expire_at header is short_value",
        &[],
        orders()
            .raw(
                &encode_key(&gen_key(b"orders"), 20),
                &[0, 0, 0, 0, 0, 0, 0, 0],
            )
            .bytes(),
        vec![error("short_value")],
    );
    let mut huge_key = orders().bytes();
    huge_key.extend_from_slice(&(MAX_KEY_LEN + 1).to_le_bytes());
    c.add(
        "REQ-FSM-4-key-too-large",
        "a key length prefix over 1 MiB + 8 is key_too_large before anything is allocated",
        &[],
        huge_key,
        vec![error("key_too_large")],
    );
    let mut huge_value = orders().bytes();
    let k = encode_key(&gen_key(b"zz"), 20);
    huge_value.extend_from_slice(&(k.len() as u64).to_le_bytes());
    huge_value.extend_from_slice(&k);
    huge_value.extend_from_slice(&(MAX_VALUE_LEN + 1).to_le_bytes());
    c.add(
        "REQ-FSM-4-value-too-large",
        "a value length prefix over 256 MiB + 43 is value_too_large before anything is allocated",
        &[],
        huge_value,
        vec![error("value_too_large")],
    );
    let mut s = orders();
    s.flagged(
        &data_key(b"orders", 1, b"o-3"),
        120,
        FLAG_TOMBSTONE,
        0,
        &msg("o-3", b"tombstoned", T0 + 5, 1, ""),
    );
    c.add(
        "REQ-FSM-5-tombstone-bit",
        "flag bit 0 marks a tombstone: the key is absent even though the value carries a body",
        &[],
        s.bytes(),
        vec![ids(&q_path("orders", "messages.jsonl"), &["o-1", "o-2"])],
    );
    for (slug, flags, class, what) in [
        (
            "encrypted-entry",
            0b010u8,
            "encrypted_entry",
            "encryption state 1 is encrypted_entry",
        ),
        (
            "reserved-state-2",
            0b100,
            "reserved_flags",
            "encryption state 2 is reserved_flags",
        ),
        (
            "reserved-state-3",
            0b110,
            "reserved_flags",
            "encryption state 3 is reserved_flags",
        ),
        (
            "reserved-bits",
            0b1000_0000,
            "reserved_flags",
            "a set bit among flag bits 3-7 is reserved_flags",
        ),
    ] {
        let mut s = orders();
        s.flagged(
            &data_key(b"orders", 1, b"o-9"),
            130,
            flags,
            0,
            &msg("o-9", b"x", T0 + 9, 1, ""),
        );
        c.add(
            &format!("REQ-FSM-5-{slug}"),
            &format!("{what}: fail closed, no dump"),
            &[],
            s.bytes(),
            vec![error(class)],
        );
    }

    // Operational keys: 8-byte values that would be short_value if read as
    // MVCC entries.
    let mut s = orders();
    for k in crate::fsm::OPERATIONAL_KEYS {
        s.raw(k, &LAST.to_le_bytes());
    }
    let mut registry = b"!encryption|writers|".to_vec();
    registry.extend_from_slice(&[0, 0, 0, 7, b'|', 0, 3]);
    s.raw(&registry, b"\x01\x02");
    c.add(
        "REQ-FSM-6-operational-keys",
        "[Decision] the four raw _meta_* keys and an !encryption|writers| row are skipped (upstream fails on them)",
        &[],
        s.bytes(),
        vec![ids(&q_path("orders", "messages.jsonl"), &["o-1", "o-2"])],
    );
    c.add(
        "REQ-FSM-6-near-miss-is-an-entry",
        "a raw key that only resembles an operational key is an ordinary entry: its 8-byte value is short_value",
        &[],
        orders().raw(b"_meta_last_commit_tsX", &LAST.to_le_bytes()).bytes(),
        vec![error("short_value")],
    );

    // MVCC.
    let mut s = Snap::new();
    s.put(&meta_key(b"orders"), 10, &meta("orders", ""));
    let k = data_key(b"orders", 1, b"o-1");
    for (ts, count) in [(100, 1), (200, 2), (300, 3)] {
        s.put(
            &k,
            ts,
            &msg(
                "o-1",
                b"one message, three versions",
                T0,
                1,
                &format!(r#","receive_count":{count}"#),
            ),
        );
    }
    c.add(
        "REQ-FSM-7-newest-version-wins",
        "[Decision] three versions of one message give one line, the newest (upstream writes all three)",
        &[PRESERVE],
        s.bytes(),
        vec![
            lines(&q_path("orders", "messages.jsonl"), 1),
            has(&q_path("orders", "messages.jsonl"), r#""receive_count":3"#),
        ],
    );
    let mut s = orders();
    let k = data_key(b"orders", 1, b"o-0");
    s.put(&k, 90, &msg("o-0", b"deleted", T0 - 1, 1, ""));
    s.del(&k, 400);
    c.add(
        "REQ-FSM-7-tombstone-hides-older-version",
        "[Decision] a message deleted by a newer tombstone stays deleted (upstream resurrects the older live version)",
        &[],
        s.bytes(),
        vec![ids(&q_path("orders", "messages.jsonl"), &["o-1", "o-2"])],
    );
    let mut s = orders();
    let k = data_key(b"orders", 1, b"o-0");
    s.put(&k, 90, &msg("o-0", b"live", T0 - 1, 1, ""));
    s.expiring(&k, 95, 900, &msg("o-0", b"expired", T0 - 1, 1, ""));
    s.expiring(
        &data_key(b"orders", 1, b"o-3"),
        96,
        1001,
        &msg("o-3", b"expires after the snapshot", T0 + 3, 1, ""),
    );
    c.add(
        "REQ-FSM-7-expired-version-hides-older",
        "[Decision] a newest version that expired at or before last_commit_ts hides the key; one expiring later is visible",
        &[],
        s.bytes(),
        vec![ids(&q_path("orders", "messages.jsonl"), &["o-1", "o-2", "o-3"])],
    );
    let mut s = Snap::new();
    s.put(&meta_key(b"orders"), 10, &meta("orders", ""));
    let k = data_key(b"orders", 1, b"o-1");
    s.put(&k, 100, &msg("o-1", b"x", T0, 1, r#","receive_count":1"#));
    s.put(&k, 100, &msg("o-1", b"x", T0, 1, r#","receive_count":2"#));
    c.add(
        "REQ-FSM-7-equal-commit-ts-later-entry-wins",
        "two versions with the same commit_ts: the later one in the stream wins",
        &[PRESERVE],
        s.bytes(),
        vec![
            lines(&q_path("orders", "messages.jsonl"), 1),
            has(&q_path("orders", "messages.jsonl"), r#""receive_count":2"#),
        ],
    );
    let mut s = orders();
    s.put(
        &meta_key(b"orders"),
        1500,
        &meta("orders", r#","visibility_timeout_seconds":999"#),
    );
    let k = data_key(b"orders", 1, b"o-1");
    s.put(&k, 1200, &msg("o-1", b"CHANGED AFTER HEADER", T0, 1, ""));
    s.put(
        &data_key(b"orders", 1, b"o-3"),
        1001,
        &msg("o-3", b"sent after header", T0 + 3, 1, ""),
    );
    c.add(
        "REQ-FSM-8-version-after-header",
        "[Decision] versions with commit_ts > last_commit_ts are ignored (with a warning on stderr)",
        &[],
        s.bytes(),
        vec![
            ids(&q_path("orders", "messages.jsonl"), &["o-1", "o-2"]),
            lacks(&q_path("orders", "messages.jsonl"), "CHANGED"),
            lacks(&q_path("orders", "_queue.json"), "999"),
        ],
    );
    // b64("q") = "cQ" is a prefix of b64("q\0") = "cQA".
    let mut s = Snap::new();
    s.put(
        &meta_key(b"q"),
        20,
        &meta("q", r#","visibility_timeout_seconds":60"#),
    );
    s.put(&meta_key(b"q\0"), 15, &meta("q-nul", ""));
    s.put(
        &meta_key(b"q"),
        10,
        &meta("q", r#","visibility_timeout_seconds":10"#),
    );
    s.put(&data_key(b"q", 1, b"m"), 30, &msg("m", b"x", T0, 1, ""));
    s.keep_order();
    c.add(
        "REQ-FSM-9-versions-not-adjacent",
        "[Decision] versions of one key separated by a key it is a prefix of are still one key: the newest meta wins",
        &[],
        s.bytes(),
        vec![
            has(
                &q_path("q", "_queue.json"),
                r#""visibility_timeout_seconds": 60"#,
            ),
            files(&[
                "sqs/q/_queue.json",
                "sqs/q/messages.jsonl",
                "sqs/q%00/_queue.json",
            ]),
        ],
    );
    let mut s = orders();
    s.put(b"!redis|str|greeting", 50, b"hello");
    s.put(b"!ddb|item|t|k", 50, b"\x00\x01");
    s.put(b"zz-other", 50, b"");
    c.add(
        "REQ-FSM-10-other-keyspaces",
        "entries of other keyspaces are read and counted, not dumped",
        &[],
        s.bytes(),
        vec![files(&[
            "sqs/orders/_queue.json",
            "sqs/orders/messages.jsonl",
        ])],
    );
}

fn key_cases(c: &mut Cases) {
    let q = b"fam.fifo";
    let mut s = Snap::new();
    s.put(&meta_key(q), 10, &meta("fam.fifo", r#","is_fifo":true"#));
    s.put(&gen_key(q), 40, b"2");
    s.put(&seq_key(q), 41, b"1");
    s.put(&tomb_key(q, 1), 40, b"");
    s.put(
        &data_key(q, 2, b"m-1"),
        50,
        &msg(
            "m-1",
            b"x",
            T0,
            2,
            r#","message_group_id":"g","sequence_number":1"#,
        ),
    );
    s.put(&vis_key(q, None, 2, 1_700_000_030_000, b"m-1"), 50, b"m-1");
    s.put(&byage_key(q, None, 2, T0 as u64, b"m-1"), 50, b"m-1");
    s.put(&dedup_key(q, None, 2, b"d-1"), 50, b"m-1");
    s.put(&group_key(q, None, 2, b"g"), 50, b"m-1");
    let side = q_path("fam.fifo", "_internals/side_records.jsonl");
    c.add(
        "REQ-KEY-1-all-families",
        "one key of each of the nine families: meta, gen and data are decoded, the six others become side records",
        &[SIDE],
        s.bytes(),
        vec![
            lines(&q_path("fam.fifo", "messages.jsonl"), 1),
            lines(&side, 6),
            has(&side, "!sqs|queue|seq|"),
            has(&side, "!sqs|queue|tombstone|"),
            has(&side, "!sqs|msg|vis|"),
            has(&side, "!sqs|msg|byage|"),
            has(&side, "!sqs|msg|dedup|"),
            has(&side, "!sqs|msg|group|"),
        ],
    );
    let mut s = Snap::new();
    s.put(&meta_key(b"orders"), 10, &meta("orders", ""));
    s.put(
        &data_key(b"orders", 7, b"id/with+odd=bytes"),
        100,
        &msg("id/with+odd=bytes", b"x", T0, 7, ""),
    );
    c.add(
        "REQ-KEY-2-legacy-data-key",
        "a legacy data key: queue segment, 8 gen bytes, message-id segment",
        &[],
        s.bytes(),
        vec![has(
            &q_path("orders", "messages.jsonl"),
            r#""message_id":"id/with+odd=bytes""#,
        )],
    );
    let mut empty_id = b"!sqs|msg|data|b3JkZXJz".to_vec();
    empty_id.extend_from_slice(&1u64.to_be_bytes());
    for (slug, key, what) in [
        (
            "empty-message-id",
            empty_id,
            "a data key with nothing after the gen",
        ),
        (
            "no-gen",
            b"!sqs|msg|data|b3JkZXJz".to_vec(),
            "a data key that ends after the queue segment",
        ),
        (
            "short-gen",
            b"!sqs|msg|data|b3JkZXJz\x00\x00\x01".to_vec(),
            "a data key with 3 of the 8 gen bytes",
        ),
    ] {
        c.add(
            &format!("REQ-KEY-2-{slug}"),
            &format!("{what} is malformed_sqs_key"),
            &[],
            orders()
                .put(&key, 100, &msg("o-9", b"x", T0, 1, ""))
                .bytes(),
            vec![error("malformed_sqs_key")],
        );
    }
    c.add(
        "REQ-KEY-3-side-key-without-trailer",
        "with side records on, a vis key with no bytes after its queue segment is malformed_sqs_key",
        &[SIDE],
        orders().put(b"!sqs|msg|vis|b3JkZXJz", 100, b"").bytes(),
        vec![error("malformed_sqs_key")],
    );

    let q = b"events.fifo";
    let mut s = Snap::new();
    s.put(
        &meta_key(q),
        10,
        &meta(
            "events.fifo",
            r#","is_fifo":true,"partition_count":4,"fifo_throughput_limit":"perMessageGroupId","deduplication_scope":"messageGroup""#,
        ),
    );
    for (part, id, seq) in [(0u32, "e-1", 1), (3, "e-2", 1), (0, "e-3", 2)] {
        s.put(
            &pdata_key(q, part, 1, id.as_bytes()),
            100 + seq,
            &msg(
                id,
                b"event",
                T0 + seq as i64,
                1,
                &format!(r#","message_group_id":"g{part}","sequence_number":{seq}"#),
            ),
        );
    }
    s.put(&vis_key(q, Some(3), 1, 5, b"e-2"), 110, b"");
    s.put(&byage_key(q, Some(3), 1, 6, b"e-2"), 110, b"");
    s.put(&dedup_key(q, Some((3, b"g3")), 1, b"d"), 110, b"");
    s.put(&group_key(q, Some(3), 1, b"g3"), 110, b"");
    c.add(
        "REQ-KEY-4-partitioned-keys",
        "partitioned (HT-FIFO) data and side-record keys parse and route to their queue",
        &[SIDE],
        s.bytes(),
        vec![
            ids(
                &q_path("events.fifo", "messages.jsonl"),
                &["e-1", "e-2", "e-3"],
            ),
            has(&q_path("events.fifo", "messages.jsonl"), r#""partition":3"#),
            lines(&q_path("events.fifo", "_internals/side_records.jsonl"), 4),
        ],
    );
    let mut short = b"!sqs|msg|data|p|b3JkZXJz|".to_vec();
    short.extend_from_slice(&[0; 11]);
    let mut no_id = b"!sqs|msg|data|p|b3JkZXJz|".to_vec();
    no_id.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1]);
    for (slug, key, what) in [
        (
            "short-partitioned-trailer",
            short,
            "a partitioned trailer of 11 bytes (4 partition + 8 gen needed)",
        ),
        (
            "partitioned-without-terminator",
            b"!sqs|msg|data|p|b3JkZXJz".to_vec(),
            "a partitioned key with no '|' after its queue segment",
        ),
        (
            "partitioned-empty-message-id",
            no_id,
            "a partitioned data key with no message id after partition and gen",
        ),
    ] {
        c.add(
            &format!("REQ-KEY-4-{slug}"),
            &format!("{what} is malformed_sqs_key"),
            &[],
            orders()
                .put(&key, 100, &msg("o-9", b"x", T0, 1, ""))
                .bytes(),
            vec![error("malformed_sqs_key")],
        );
    }
    c.add(
        "REQ-KEY-5-meta-key-trailing-bytes",
        "a meta key with a byte after its queue segment is malformed_sqs_key",
        &[],
        orders()
            .put(b"!sqs|queue|meta|cQ\x00", 10, &meta("q", ""))
            .bytes(),
        vec![error("malformed_sqs_key")],
    );
    c.add(
        "REQ-KEY-5-gen-key-trailing-bytes",
        "a gen key with bytes after its queue segment is malformed_sqs_key",
        &[],
        orders().put(b"!sqs|queue|gen|b3JkZXJz|x", 10, b"1").bytes(),
        vec![error("malformed_sqs_key")],
    );
    let mut s = Snap::new();
    s.put(b"!sqs|queue|meta|cQ", 10, &meta("q", ""));
    s.put(
        b"!sqs|queue|meta|cR",
        20,
        &meta("q", r#","visibility_timeout_seconds":5"#),
    );
    c.add(
        "REQ-KEY-6-non-canonical-cR",
        "[Decision] cR (nonzero trailing bits) next to cQ is malformed_sqs_key (upstream decodes both to q and one overwrites the other)",
        &[],
        s.bytes(),
        vec![error("malformed_sqs_key")],
    );
    let mut padded = b"!sqs|msg|data|b3JkZXJz".to_vec();
    padded.extend_from_slice(&1u64.to_be_bytes());
    padded.extend_from_slice(b"bzk=");
    c.add(
        "REQ-KEY-6-padded-message-id",
        "[Decision] a message-id segment with '=' padding is malformed_sqs_key",
        &[],
        orders()
            .put(&padded, 100, &msg("o9", b"x", T0, 1, ""))
            .bytes(),
        vec![error("malformed_sqs_key")],
    );
    let mut odd = b"!sqs|msg|data|b3JkZXJz".to_vec();
    odd.extend_from_slice(&1u64.to_be_bytes());
    odd.extend_from_slice(b"bzl");
    c.add(
        "REQ-KEY-6-non-canonical-message-id",
        "[Decision] a message-id segment with nonzero trailing bits (bzl for o9) is malformed_sqs_key",
        &[],
        orders().put(&odd, 100, &msg("o9", b"x", T0, 1, "")).bytes(),
        vec![error("malformed_sqs_key")],
    );

    // gen = 0x41 << 56 | 1: its first byte 'A' is in the base64url
    // alphabet, so the queue segment is read as "cQA" (q\0). The message
    // id segment is chosen so that the misread key still parses.
    let big_gen: u64 = (0x41 << 56) | 1;
    let id_bytes = key::decode_b64_strict("message id", b"AbXNnLTE").unwrap_or_default();
    let mut s = Snap::new();
    s.put(&meta_key(b"q"), 10, &meta("q", ""));
    s.put(&meta_key(b"q\0"), 10, &meta("q-nul", ""));
    s.put(
        &data_key(b"q", big_gen, &id_bytes),
        100,
        &msg("msg-1", b"written to q with gen 2^62+", T0, big_gen, ""),
    );
    c.add(
        "REQ-KEY-8-gen-2-56-misparse",
        "[Decision] documented limit: a legacy key with gen >= 2^56 starting with an alphabet byte is read as queue q\\0 (a key/value mismatch warning goes to stderr)",
        &[],
        s.bytes(),
        vec![
            files(&[
                "sqs/q/_queue.json",
                "sqs/q%00/_queue.json",
                "sqs/q%00/messages.jsonl",
            ]),
            has(
                &q_path("q%00", "messages.jsonl"),
                &format!(r#""queue_generation":{big_gen}"#),
            ),
        ],
    );
    let mut empty_data = b"!sqs|msg|data|".to_vec();
    empty_data.extend_from_slice(&1u64.to_be_bytes());
    empty_data.extend_from_slice(b"bTE");
    let mut empty_part = b"!sqs|msg|data|p||".to_vec();
    empty_part.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    empty_part.extend_from_slice(b"bTE");
    for (slug, key, value, what) in [
        (
            "empty-queue-meta",
            b"!sqs|queue|meta|".to_vec(),
            meta("", ""),
            "a meta key with an empty queue segment",
        ),
        (
            "empty-queue-data",
            empty_data,
            msg("m1", b"x", T0, 1, ""),
            "a legacy data key with an empty queue segment",
        ),
        (
            "empty-queue-partitioned",
            empty_part,
            msg("m1", b"x", T0, 1, ""),
            "a partitioned data key with an empty queue segment",
        ),
    ] {
        c.add(
            &format!("REQ-KEY-9-{slug}"),
            &format!("[Decision] {what} is malformed_sqs_key (upstream writes into sqs/ itself)"),
            &[],
            orders().put(&key, 10, &value).bytes(),
            vec![error("malformed_sqs_key")],
        );
    }
}

fn val_cases(c: &mut Cases) {
    c.add(
        "REQ-VAL-1-meta-without-magic",
        "a queue meta value without the 00 'S' 'Q' 01 magic is invalid_queue_meta",
        &[],
        orders()
            .put(&meta_key(b"bare"), 10, br#"{"name":"bare"}"#)
            .bytes(),
        vec![error("invalid_queue_meta")],
    );
    c.add(
        "REQ-VAL-2-message-without-magic",
        "a message value without the 00 'S' 'M' 01 magic is invalid_message",
        &[],
        orders()
            .put(
                &data_key(b"orders", 1, b"o-9"),
                100,
                &msg("o-9", b"x", T0, 1, "")[4..],
            )
            .bytes(),
        vec![error("invalid_message")],
    );
    let mut s = Snap::new();
    s.put(
        &meta_key(b"ht.fifo"),
        10,
        &meta_raw(
            br#"{"name":"ht.fifo","is_fifo":true,"content_based_dedup":true,"visibility_timeout_seconds":45,"message_retention_seconds":86400,"delay_seconds":2,"receive_message_wait_seconds":20,"maximum_message_size":1024,"redrive_policy":"{\"deadLetterTargetArn\":\"arn:aws:sqs:us-east-1:1:dlq.fifo\",\"maxReceiveCount\":3}","redrive_allow_policy":"{\"redrivePermission\":\"allowAll\"}","partition_count":8,"fifo_throughput_limit":"perMessageGroupId","deduplication_scope":"messageGroup","generation":4,"incarnation":"x","created_at_millis":1700000000000,"last_modified_at_millis":1,"throttle":{"rate":5}}"#,
        ),
    );
    c.add(
        "REQ-VAL-3-ht-fifo-attributes",
        "every queue meta field round-trips, HT-FIFO attributes included; internal fields stay out",
        &[],
        s.bytes(),
        vec![
            has(&q_path("ht.fifo", "_queue.json"), r#""partition_count": 8"#),
            has(
                &q_path("ht.fifo", "_queue.json"),
                r#""fifo_throughput_limit": "perMessageGroupId""#,
            ),
            has(
                &q_path("ht.fifo", "_queue.json"),
                r#""deduplication_scope": "messageGroup""#,
            ),
            lacks(&q_path("ht.fifo", "_queue.json"), "generation"),
            lacks(&q_path("ht.fifo", "_queue.json"), "throttle"),
        ],
    );
    for (slug, json, what) in [
        (
            "meta-trailing-garbage",
            &br#"{"name":"q"} x"#[..],
            "trailing data after the JSON",
        ),
        (
            "meta-wrong-type",
            br#"{"name":1}"#,
            "a number for the string field name",
        ),
    ] {
        c.add(
            &format!("REQ-VAL-3-{slug}"),
            &format!("queue meta JSON with {what} is invalid_queue_meta"),
            &[],
            orders().put(&meta_key(b"q"), 10, &meta_raw(json)).bytes(),
            vec![error("invalid_queue_meta")],
        );
    }
    let mut s = Snap::new();
    s.put(
        &meta_key(b"tagged"),
        10,
        &meta(
            "tagged",
            r#","tags":{"team":"platform","env":"prod","<html>":"a&b","":"empty key"}"#,
        ),
    );
    c.add(
        "REQ-VAL-4-tags",
        "[Decision] queue tags are written to _queue.json, keys sorted (upstream drops them)",
        &[],
        s.bytes(),
        vec![has(
            &q_path("tagged", "_queue.json"),
            "  \"tags\": {\n    \"\": \"empty key\",\n    \"\\u003chtml\\u003e\": \"a\\u0026b\",\n    \"env\": \"prod\",\n    \"team\": \"platform\"\n  }\n}",
        )],
    );
    let mut s = Snap::new();
    s.put(&meta_key(b"full"), 10, &meta("full", ""));
    s.put(
        &data_key(b"full", 3, b"f-1"),
        100,
        &msg_raw(
            br#"{"message_id":"f-1","body":"aGVsbG8=","md5_of_body":"5d41402abc4b2a76b9719d911017c592","md5_of_message_attributes":"0123456789abcdef0123456789abcdef","message_attributes":{"k":{"DataType":"String","StringValue":"v"}},"sender_id":"AIDAEXAMPLE","send_timestamp_millis":1700000000000,"available_at_millis":1700000000500,"visible_at_millis":1700000030000,"receive_count":4,"first_receive_millis":1700000000600,"current_receipt_token":"AAECAw==","queue_generation":3,"message_group_id":"grp","message_deduplication_id":"dd","sequence_number":18446744073709551615,"dead_letter_source_arn":"arn:aws:sqs:us-east-1:1:src","unknown_future_field":[1,{"a":null}]}"#,
        ),
    );
    c.add(
        "REQ-VAL-5-all-message-fields",
        "every message field is read and written (with --preserve-visibility); unknown fields are ignored",
        &[PRESERVE],
        s.bytes(),
        vec![has(
            &q_path("full", "messages.jsonl"),
            r#""current_receipt_token":"AAECAw==","queue_generation":3,"message_group_id":"grp","message_deduplication_id":"dd","sequence_number":18446744073709551615,"dead_letter_source_arn":"arn:aws:sqs:us-east-1:1:src"}"#,
        )],
    );
    c.add(
        "REQ-VAL-5-message-trailing-garbage",
        "message JSON with trailing data after the object is invalid_message",
        &[],
        orders()
            .put(
                &data_key(b"orders", 1, b"o-9"),
                100,
                &msg_raw(br#"{"message_id":"o-9"}}"#),
            )
            .bytes(),
        vec![error("invalid_message")],
    );
    let mut s = Snap::new();
    s.put(&meta_key(b"g"), 10, &meta("g", ""));
    s.put(&gen_key(b"g"), 10, "\u{a0}\t0002\n".as_bytes());
    s.put(
        &data_key(b"g", 1, b"old"),
        100,
        &msg("old", b"x", T0, 1, ""),
    );
    s.put(
        &data_key(b"g", 2, b"new"),
        100,
        &msg("new", b"x", T0 + 1, 2, ""),
    );
    c.add(
        "REQ-VAL-6-gen-space-and-leading-zeros",
        "a gen value with surrounding Unicode white space and leading zeros reads as 2: the gen-1 message is dropped",
        &[],
        s.bytes(),
        vec![ids(&q_path("g", "messages.jsonl"), &["new"])],
    );
    for (slug, value, what) in [
        ("gen-sign", &b"+2"[..], "a sign"),
        ("gen-underscore", b"1_000", "an underscore"),
        ("gen-overflow", b"18446744073709551616", "a value above u64"),
        ("gen-empty", b"", "an empty value"),
    ] {
        c.add(
            &format!("REQ-VAL-6-{slug}"),
            &format!("a gen value with {what} is invalid_gen_value"),
            &[],
            orders().put(&gen_key(b"orders"), 20, value).bytes(),
            vec![error("invalid_gen_value")],
        );
    }
}

/// A queue `j` holding the given raw message JSON documents, one per
/// message id `j-1`, `j-2`, … (the key's id must match the JSON's).
fn json_queue(messages: &[&[u8]]) -> Snap {
    let mut s = Snap::new();
    s.put(&meta_key(b"j"), 10, &meta("j", ""));
    for (i, m) in messages.iter().enumerate() {
        let id = format!("j-{}", i + 1);
        s.put(&data_key(b"j", 1, id.as_bytes()), 100, &msg_raw(m));
    }
    s
}

/// Message JSON with id `j-N`, send time T0 + N, and `fields` spliced in.
fn jmsg(n: usize, fields: &str) -> Vec<u8> {
    format!(
        r#"{{"message_id":"j-{n}","send_timestamp_millis":{},"queue_generation":1{fields}}}"#,
        T0 + n as i64
    )
    .into_bytes()
}

fn json_cases(c: &mut Cases) {
    let j = q_path("j", "messages.jsonl");
    let m1 = format!(
        r#"{{"MESSAGE_ID":"j-1","Body":"aGk=","send_timestamp_millis":{T0},"queue_generation":1,"ſender_id":"folded-s","current_receipt_to{kelvin}en":"dG9r","\u006dessage_group_id":"escaped-key","messageid":"ignored","message-id":"ignored"}}"#,
        kelvin = '\u{212A}'
    );
    c.add(
        "REQ-JSON-1-field-matching",
        "keys match case-insensitively with ſ→s and K (Kelvin)→k folding, after unescaping; messageid does not match",
        &[PRESERVE],
        json_queue(&[m1.as_bytes()]).bytes(),
        vec![has(
            &j,
            r#"{"message_id":"j-1","body":"hi","sender_id":"folded-s","send_timestamp_millis":1700000000000,"available_at_millis":0,"visible_at_millis":0,"receive_count":0,"current_receipt_token":"dG9r","queue_generation":1,"message_group_id":"escaped-key"}"#,
        )],
    );
    c.add(
        "REQ-JSON-2-duplicates",
        "the last matching key wins (exact or folded); a map given twice is merged, last duplicate key winning",
        &[PRESERVE],
        json_queue(&[&jmsg(
            1,
            r#","receive_count":1,"RECEIVE_COUNT":5,"message_attributes":{"a":1,"b":2},"message_attributes":{"b":3,"c":4,"c":5}"#,
        )])
        .bytes(),
        vec![has(&j, r#""message_attributes":{"a":1,"b":3,"c":5}"#), has(&j, r#""receive_count":5"#)],
    );
    c.add(
        "REQ-JSON-3-null-fields",
        "null keeps an earlier string or number, and resets []byte and map fields",
        &[PRESERVE],
        json_queue(&[&jmsg(
            1,
            r#","sender_id":"kept","sender_id":null,"receive_count":3,"receive_count":null,"body":"aGk=","body":null,"message_attributes":{"a":1},"message_attributes":null"#,
        )])
        .bytes(),
        vec![has(
            &j,
            r#"{"message_id":"j-1","body":"","sender_id":"kept","send_timestamp_millis":1700000000001,"available_at_millis":0,"visible_at_millis":0,"receive_count":3,"queue_generation":1}"#,
        )],
    );
    let mut s = Snap::new();
    s.put(&meta_key(b"nul"), 10, &meta_raw(b" null "));
    c.add(
        "REQ-JSON-3-null-document",
        "a meta document that is just null gives all zero values; the name comes from the key",
        &[],
        s.bytes(),
        vec![has(
            &q_path("nul", "_queue.json"),
            "{\n  \"format_version\": 1,\n  \"name\": \"nul\",\n  \"visibility_timeout_seconds\": 0,\n  \"message_retention_seconds\": 0,\n  \"delay_seconds\": 0\n}",
        )],
    );
    c.add(
        "REQ-JSON-4-unknown-fields",
        "unknown fields of every JSON type are ignored",
        &[],
        json_queue(&[&jmsg(
            1,
            r#","x_obj":{"a":[1,2,{"b":null}]},"x_arr":[true,false],"x_num":-1.5e300,"x_str":"\u00e9","x_null":null"#,
        )])
        .bytes(),
        vec![lines(&j, 1)],
    );
    c.add(
        "REQ-JSON-4-unknown-field-bad-syntax",
        "an unknown field is still syntax-checked: a broken array is invalid_message",
        &[],
        json_queue(&[&jmsg(1, r#","x":[1,}"#)]).bytes(),
        vec![error("invalid_message")],
    );
    for (slug, doc, class, what) in [
        (
            "fraction-for-integer",
            meta_raw(br#"{"name":"q","visibility_timeout_seconds":30.0}"#),
            "invalid_queue_meta",
            "30.0 for an int64 field",
        ),
        (
            "exponent-for-integer",
            msg_raw(&jmsg(9, r#","receive_count":3e1"#)),
            "invalid_message",
            "3e1 for an int64 field",
        ),
        (
            "negative-zero-unsigned",
            msg_raw(&jmsg(9, r#","queue_generation":-0"#)),
            "invalid_message",
            "-0 for a uint64 field",
        ),
        (
            "out-of-range",
            meta_raw(br#"{"name":"q","partition_count":4294967296}"#),
            "invalid_queue_meta",
            "2^32 for the uint32 partition_count",
        ),
        (
            "string-for-number",
            meta_raw(br#"{"name":"q","delay_seconds":"0"}"#),
            "invalid_queue_meta",
            "a string for a number field",
        ),
        (
            "number-for-bool",
            meta_raw(br#"{"name":"q","is_fifo":1}"#),
            "invalid_queue_meta",
            "a number for a bool field",
        ),
        (
            "leading-zero",
            msg_raw(&jmsg(9, r#","receive_count":01"#)),
            "invalid_message",
            "a leading zero",
        ),
        (
            "array-for-string",
            msg_raw(&jmsg(9, r#","sender_id":["a"]"#)),
            "invalid_message",
            "an array for a string field",
        ),
    ] {
        let mut s = orders();
        if class == "invalid_queue_meta" {
            s.put(&meta_key(b"q"), 10, &doc);
        } else {
            s.put(&data_key(b"orders", 1, b"j-9"), 100, &doc);
        }
        c.add(
            &format!("REQ-JSON-5-{slug}"),
            &format!("{what} is {class}"),
            &[],
            s.bytes(),
            vec![error(class)],
        );
    }
    c.add(
        "REQ-JSON-6-surrounding-white-space",
        "white space around the JSON document is allowed",
        &[],
        json_queue(&[format!(" \t\r\n{} \n", String::from_utf8_lossy(&jmsg(1, ""))).as_bytes()])
            .bytes(),
        vec![lines(&j, 1)],
    );
    let mut bom = b"\xef\xbb\xbf".to_vec();
    bom.extend_from_slice(&jmsg(1, ""));
    let mut deep = b"[".repeat(10_001);
    deep.extend_from_slice(&b"]".repeat(10_001));
    let deep_doc = jmsg(1, &format!(r#","x":{}"#, String::from_utf8_lossy(&deep)));
    for (slug, doc, what) in [
        ("byte-order-mark", bom, "a leading byte-order mark"),
        (
            "too-deep",
            deep_doc,
            "nesting deeper than Go's limit of 10000",
        ),
        (
            "syntax-error",
            b"{\"message_id\":\"j-1\",}".to_vec(),
            "a trailing comma",
        ),
    ] {
        c.add(
            &format!("REQ-JSON-6-{slug}"),
            &format!("message JSON with {what} is invalid_message"),
            &[],
            json_queue(&[&doc]).bytes(),
            vec![error("invalid_message")],
        );
    }
    let mut bad_utf8 = jmsg(1, r#","sender_id":"A"#);
    bad_utf8.truncate(bad_utf8.len() - 1);
    bad_utf8.extend_from_slice(b"\xe2\x82A|\xed\xa0\x80|\xff\"");
    bad_utf8.extend_from_slice(br#","message_group_id":"\ud800x\udc00\ud800"}"#);
    c.add(
        "REQ-JSON-7-invalid-utf8",
        "each byte that starts no valid UTF-8 sequence becomes one U+FFFD (e2 82 41 gives two then A); lone or reversed surrogate escapes give one each",
        &[],
        json_queue(&[&bad_utf8]).bytes(),
        vec![
            has(&j, "\"sender_id\":\"A\u{fffd}\u{fffd}A|\u{fffd}\u{fffd}\u{fffd}|\u{fffd}\""),
            has(&j, "\"message_group_id\":\"\u{fffd}x\u{fffd}\u{fffd}\""),
        ],
    );
    c.add(
        "REQ-JSON-8-control-byte",
        "a raw byte below 0x20 inside a string is invalid_message",
        &[],
        json_queue(&[&jmsg(1, ",\"sender_id\":\"a\x01b\"")]).bytes(),
        vec![error("invalid_message")],
    );
    c.add(
        "REQ-JSON-8-delete-byte",
        "a raw 0x7f inside a string is accepted and written raw",
        &[],
        json_queue(&[&jmsg(1, ",\"sender_id\":\"a\x7fb\"")]).bytes(),
        vec![has(&j, "\"sender_id\":\"a\x7fb\"")],
    );
    c.add(
        "REQ-JSON-9-byte-slices",
        "a []byte accepts padded standard base64 with CR/LF inside, nonzero trailing bits, \"\", null and an array of 0..=255",
        &[],
        json_queue(&[
            &jmsg(1, r#","body":"aG\r\nk=""#),
            &jmsg(2, r#","body":"aGl=""#),
            &jmsg(3, r#","body":[104,105]"#),
            &jmsg(4, r#","body":"""#),
            &jmsg(5, r#","body":null"#),
            &jmsg(6, r#","body":"+/+/""#),
        ])
        .bytes(),
        vec![
            lines(&j, 6),
            has(&j, r#"{"message_id":"j-1","body":"hi","#),
            has(&j, r#"{"message_id":"j-2","body":"hi","#),
            has(&j, r#"{"message_id":"j-3","body":"hi","#),
            has(&j, r#"{"message_id":"j-4","body":"","#),
            has(&j, r#"{"message_id":"j-5","body":"","#),
            has(&j, r#"{"message_id":"j-6","body":{"base64":"-_-_"},"#),
        ],
    );
    for (slug, field, what) in [
        ("body-number", r#","body":5"#, "a number"),
        ("body-object", r#","body":{}"#, "an object"),
        ("body-unpadded", r#","body":"aGk""#, "unpadded base64"),
        ("body-url-alphabet", r#","body":"-_-_""#, "the URL alphabet"),
        (
            "body-array-out-of-range",
            r#","body":[256]"#,
            "an array element above 255",
        ),
    ] {
        c.add(
            &format!("REQ-JSON-9-{slug}"),
            &format!("a body given as {what} is invalid_message"),
            &[],
            json_queue(&[&jmsg(1, field)]).bytes(),
            vec![error("invalid_message")],
        );
    }
    c.add(
        "REQ-JSON-10-raw-attribute-values",
        "attribute values keep their exact bytes (escapes, number spellings), compacted; keys are unescaped",
        &[],
        json_queue(&[&jmsg(
            1,
            r#","message_attributes":{ "b" : { "DataType" : "Number" , "StringValue" : "1.50" } , "\u0061" : {"v":"\u0041\/"} , "n" : 1.50E+0 }"#,
        )])
        .bytes(),
        vec![has(
            &j,
            r#""message_attributes":{"a":{"v":"\u0041\/"},"b":{"DataType":"Number","StringValue":"1.50"},"n":1.50E+0}"#,
        )],
    );
    c.add(
        "REQ-JSON-10-attributes-not-object",
        "message_attributes given as an array is invalid_message",
        &[],
        json_queue(&[&jmsg(1, r#","message_attributes":[1]"#)]).bytes(),
        vec![error("invalid_message")],
    );
    c.add(
        "REQ-JSON-11-encoder-escaping",
        "strings in messages.jsonl: <>& raw, U+2028/2029 escaped, short escapes, other controls as \\u00xx, / and 0x7f raw",
        &[],
        json_queue(&[&jmsg(
            1,
            r#","sender_id":"<a href=\"x\">&amp;</a> \u2028\u2029 \b\f\n\r\t \\ \u0001\u001f / \u007f","message_group_id":"g<1>&""#,
        )])
        .bytes(),
        vec![has(
            &j,
            "\"sender_id\":\"<a href=\\\"x\\\">&amp;</a> \\u2028\\u2029 \\b\\f\\n\\r\\t \\\\ \\u0001\\u001f / \x7f\"",
        )],
    );
    c.add(
        "REQ-JSON-12-body-html-escaping",
        "a text body is HTML-escaped as json.Marshal does it (<, >, & as \\u003c, \\u003e, \\u0026); an empty body is \"\"",
        &[],
        json_queue(&[
            &jmsg(1, &format!(r#","body":"{}""#, std_b64(b"<p>Tom & Jerry</p>"))),
            &jmsg(2, r#","body":"""#),
        ])
        .bytes(),
        vec![
            has(&j, r#""body":"\u003cp\u003eTom \u0026 Jerry\u003c/p\u003e""#),
            has(&j, r#"{"message_id":"j-2","body":"","#),
        ],
    );
    c.add(
        "REQ-JSON-13-attribute-output",
        "attribute keys sorted by bytes and not HTML-escaped; values compacted with raw <>& and U+2028 kept verbatim",
        &[],
        json_queue(&[&jmsg(
            1,
            ",\"message_attributes\":{\"\u{e9}\":1,\"b<>\":2,\"B\":3,\"_\":4,\"a\":[ \"<&>\u{2028}\" , 2 ]}",
        )])
        .bytes(),
        vec![has(
            &j,
            "\"message_attributes\":{\"B\":3,\"_\":4,\"a\":[\"<&>\u{2028}\",2],\"b<>\":2,\"\u{e9}\":1}",
        )],
    );
    let mut inv = jmsg(1, r#","message_attributes":{"k":"#);
    inv.truncate(inv.len() - 1);
    inv.extend_from_slice(b"\"a\xffb\xe2\x82\"}}");
    c.add(
        "REQ-JSON-13-attribute-invalid-utf8",
        "[Decision] invalid UTF-8 inside a raw attribute value is replaced per byte with U+FFFD (upstream writes the raw bytes)",
        &[],
        json_queue(&[&inv]).bytes(),
        vec![has(
            &j,
            "\"message_attributes\":{\"k\":\"a\u{fffd}b\u{fffd}\u{fffd}\"}",
        )],
    );
    c.add(
        "REQ-JSON-14-receipt-token",
        "current_receipt_token is written as standard padded base64 (with --preserve-visibility)",
        &[PRESERVE],
        json_queue(&[&jmsg(1, r#","current_receipt_token":[0,1,2,255,254]"#)]).bytes(),
        vec![has(&j, r#""current_receipt_token":"AAEC//4=""#)],
    );
    let mut s = Snap::new();
    s.put(
        &meta_key(b"a<b>&c"),
        10,
        &meta(
            "a<b>&c",
            r#","redrive_policy":"{\"deadLetterTargetArn\":\"arn:<dlq>&\",\"maxReceiveCount\":5}","fifo_throughput_limit":"\u2028""#,
        ),
    );
    c.add(
        "REQ-JSON-15-queue-file-layout",
        "_queue.json is json.MarshalIndent output: two-space indent, \"key\": value, HTML escaping on, no final newline",
        &[],
        s.bytes(),
        vec![has(
            &q_path("a%3Cb%3E%26c", "_queue.json"),
            "{\n  \"format_version\": 1,\n  \"name\": \"a\\u003cb\\u003e\\u0026c\",\n  \"visibility_timeout_seconds\": 30,\n  \"message_retention_seconds\": 345600,\n  \"delay_seconds\": 0,\n  \"redrive_policy\": \"{\\\"deadLetterTargetArn\\\":\\\"arn:\\u003cdlq\\u003e\\u0026\\\",\\\"maxReceiveCount\\\":5}\",\n  \"fifo_throughput_limit\": \"\\u2028\"\n}",
        )],
    );
}

fn dec_cases(c: &mut Cases) {
    let mut s = Snap::new();
    s.put(&meta_key(b"keyname"), 10, &meta("", ""));
    s.put(&meta_key(b"other"), 10, &meta("Display Name", ""));
    c.add(
        "REQ-DEC-1-queue-names",
        "the directory comes from the key's name; _queue.json's name is the live name, or the key's when empty",
        &[],
        s.bytes(),
        vec![
            has(&q_path("keyname", "_queue.json"), r#""name": "keyname""#),
            has(&q_path("other", "_queue.json"), r#""name": "Display Name""#),
        ],
    );
    let mut s = orders();
    s.put(
        &data_key(b"gone", 1, b"g-1"),
        100,
        &msg("g-1", b"x", T0, 1, ""),
    );
    s.put(&gen_key(b"gone"), 10, b"1");
    c.add(
        "REQ-DEC-2-orphan-messages-dropped",
        "messages of a queue with no meta record are dropped (with a warning on stderr)",
        &[],
        s.bytes(),
        vec![files(&[
            "sqs/orders/_queue.json",
            "sqs/orders/messages.jsonl",
        ])],
    );
    let mut s = orders();
    s.put(&gen_key(b"deleted"), 10, b"3");
    s.del(&meta_key(b"deleted"), 20);
    c.add(
        "REQ-DEC-2-deleted-queue-gen-only",
        "[Decision] a deleted queue that left only its gen record is no orphan: nothing is written (and no warning)",
        &[],
        s.bytes(),
        vec![files(&[
            "sqs/orders/_queue.json",
            "sqs/orders/messages.jsonl",
        ])],
    );
    let orphan = || {
        let mut s = orders();
        s.put(
            &data_key(b"gone", 1, b"g-1"),
            100,
            &msg("g-1", b"x", T0, 1, ""),
        );
        s.put(&tomb_key(b"gone", 1), 200, b"");
        s.put(&vis_key(b"gone", None, 1, 7, b"g-1"), 100, b"\x00\xff");
        s
    };
    c.add(
        "REQ-DEC-3-orphan-side-records",
        "with side records on, an orphan's side records go to sqs/<encoded>.orphan/_internals/side_records.jsonl",
        &[SIDE],
        orphan().bytes(),
        vec![
            lines("sqs/Z29uZQ.orphan/_internals/side_records.jsonl", 2),
            files(&[
                "sqs/orders/_queue.json",
                "sqs/orders/messages.jsonl",
                "sqs/Z29uZQ.orphan/_internals/side_records.jsonl",
            ]),
        ],
    );
    c.add(
        "REQ-DEC-3-orphan-side-records-need-flag",
        "without the flag, an orphan's side records are not written",
        &[],
        orphan().bytes(),
        vec![files(&[
            "sqs/orders/_queue.json",
            "sqs/orders/messages.jsonl",
        ])],
    );
    let long = vec![b'L'; 200];
    let long_dir = crate::segment::orphan_dir(&key::b64(&long));
    let mut s = Snap::new();
    s.put(&tomb_key(&long, 1), 200, b"");
    c.add(
        "REQ-DEC-3-long-orphan-name",
        "[Decision] when <encoded>.orphan would exceed 255 bytes, its hash fallback names the directory",
        &[SIDE],
        s.bytes(),
        vec![lines(
            &format!("sqs/{long_dir}/_internals/side_records.jsonl"),
            1,
        )],
    );
    let mut s = Snap::new();
    s.put(&meta_key(b"purged"), 10, &meta("purged", ""));
    s.put(&gen_key(b"purged"), 10, b"1");
    s.put(&gen_key(b"purged"), 400, b"2");
    s.put(
        &data_key(b"purged", 1, b"p-1"),
        100,
        &msg("p-1", b"purged", T0, 1, ""),
    );
    s.put(
        &data_key(b"purged", 1, b"p-2"),
        110,
        &msg("p-2", b"purged", T0 + 1, 1, ""),
    );
    s.put(
        &data_key(b"purged", 2, b"p-3"),
        500,
        &msg("p-3", b"live", T0 + 2, 2, ""),
    );
    c.add(
        "REQ-DEC-4-stale-generation",
        "with active gen 2, messages of gen 1 (purged, not yet reaped) are dropped (with a warning on stderr)",
        &[],
        s.bytes(),
        vec![ids(&q_path("purged", "messages.jsonl"), &["p-3"])],
    );
    for (slug, gen, what) in [
        ("no-gen-record", None, "without a gen record"),
        ("gen-zero", Some(&b"0"[..]), "with a gen value of 0"),
    ] {
        let mut s = Snap::new();
        s.put(&meta_key(b"mixed"), 10, &meta("mixed", ""));
        if let Some(g) = gen {
            s.put(&gen_key(b"mixed"), 10, g);
        }
        s.put(
            &data_key(b"mixed", 1, b"m-1"),
            100,
            &msg("m-1", b"x", T0, 1, ""),
        );
        s.put(
            &data_key(b"mixed", 2, b"m-2"),
            100,
            &msg("m-2", b"x", T0 + 1, 2, ""),
        );
        c.add(
            &format!("REQ-DEC-4-{slug}"),
            &format!("{what}, messages of every generation are kept"),
            &[],
            s.bytes(),
            vec![ids(&q_path("mixed", "messages.jsonl"), &["m-1", "m-2"])],
        );
    }
    let vis = || {
        let mut s = Snap::new();
        s.put(&meta_key(b"inflight"), 10, &meta("inflight", ""));
        s.put(
            &data_key(b"inflight", 1, b"i-1"),
            100,
            &msg("i-1", b"in flight", T0, 1, r#","receive_count":3"#),
        );
        s.put(
            &data_key(b"inflight", 1, b"i-2"),
            100,
            &msg("i-2", b"received once", T0 + 1, 1, ""),
        );
        s.bytes()
    };
    c.add(
        "REQ-DEC-5-visibility-zeroed",
        "by default visible_at_millis and receive_count are 0, first_receive_millis and current_receipt_token are left out",
        &[],
        vis(),
        vec![
            has(
                &q_path("inflight", "messages.jsonl"),
                r#""visible_at_millis":0,"receive_count":0,"queue_generation":1}"#,
            ),
            lacks(&q_path("inflight", "messages.jsonl"), "receipt"),
        ],
    );
    c.add(
        "REQ-DEC-5-preserve-visibility",
        "--preserve-visibility keeps the live visibility state",
        &[PRESERVE],
        vis(),
        vec![has(
            &q_path("inflight", "messages.jsonl"),
            r#""visible_at_millis":1700000030000,"receive_count":3,"first_receive_millis":1700000000005,"current_receipt_token":"cmVjZWlwdA==""#,
        )],
    );
    let mut s = Snap::new();
    s.put(
        &meta_key(b"parts"),
        10,
        &meta("parts", r#","partition_count":4"#),
    );
    s.put(
        &pdata_key(b"parts", 0, 1, b"p0"),
        100,
        &msg("p0", b"x", T0, 1, ""),
    );
    s.put(
        &pdata_key(b"parts", 2, 1, b"p2"),
        100,
        &msg("p2", b"x", T0 + 1, 1, ""),
    );
    s.put(
        &data_key(b"parts", 1, b"legacy"),
        100,
        &msg("legacy", b"x", T0 + 2, 1, ""),
    );
    c.add(
        "REQ-DEC-6-partition-field",
        "messages from partitioned keys carry \"partition\" (even 0); a legacy message has none",
        &[],
        s.bytes(),
        vec![
            has(
                &q_path("parts", "messages.jsonl"),
                r#""queue_generation":1,"partition":0}"#,
            ),
            has(
                &q_path("parts", "messages.jsonl"),
                r#""queue_generation":1,"partition":2}"#,
            ),
            lines(&q_path("parts", "messages.jsonl"), 3),
            // Only the legacy line ends without a partition.
            has(
                &q_path("parts", "messages.jsonl"),
                r#""receive_count":0,"queue_generation":1}"#,
            ),
        ],
    );
    let mut s = Snap::new();
    s.put(
        &meta_key(b"ord.fifo"),
        10,
        &meta("ord.fifo", r#","is_fifo":true"#),
    );
    for (id, ts, seq) in [
        ("a", 300, 0u64),
        ("b", 100, 2),
        ("c", 100, 1),
        ("d", 200, 0),
        ("e", 200, 0),
        ("f", 100, 2),
        ("g", 50, 9),
    ] {
        s.put(
            &data_key(b"ord.fifo", 1, id.as_bytes()),
            100,
            &msg(
                id,
                id.as_bytes(),
                T0 + ts,
                1,
                &format!(r#","sequence_number":{seq}"#),
            ),
        );
    }
    c.add(
        "REQ-DEC-7-message-order",
        "messages are sorted by send timestamp, then sequence number, then message id",
        &[],
        s.bytes(),
        vec![ids(
            &q_path("ord.fifo", "messages.jsonl"),
            &["g", "c", "b", "f", "d", "e", "a"],
        )],
    );
    let sides = || {
        let mut s = orders();
        s.put(&meta_key(b"idle"), 10, &meta("idle", ""));
        s.put(&vis_key(b"idle", None, 1, 9, b"x"), 100, b"v");
        s.put(&tomb_key(b"orders", 0), 5, b"");
        s.bytes()
    };
    c.add(
        "REQ-DEC-8-side-records-dropped-by-default",
        "without the flag no side records are written",
        &[],
        sides(),
        vec![files(&[
            "sqs/idle/_queue.json",
            "sqs/orders/_queue.json",
            "sqs/orders/messages.jsonl",
        ])],
    );
    c.add(
        "REQ-DEC-8-side-records-without-messages",
        "with the flag side records are written, also for a queue with no messages",
        &[SIDE],
        sides(),
        vec![files(&[
            "sqs/idle/_internals/side_records.jsonl",
            "sqs/idle/_queue.json",
            "sqs/orders/_internals/side_records.jsonl",
            "sqs/orders/_queue.json",
            "sqs/orders/messages.jsonl",
        ])],
    );
    c.add(
        "REQ-DEC-8-side-keys-not-parsed-without-flag",
        "without the flag side-record keys are not even parsed: a trailerless vis key is no error",
        &[],
        orders().put(b"!sqs|msg|vis|b3JkZXJz", 100, b"").bytes(),
        vec![lines(&q_path("orders", "messages.jsonl"), 2)],
    );
    let fifo = || {
        let mut s = Snap::new();
        s.put(
            &meta_key(b"seq.fifo"),
            10,
            &meta("seq.fifo", r#","is_fifo":true"#),
        );
        s.put(&seq_key(b"seq.fifo"), 100, b"42");
        s.put(
            &data_key(b"seq.fifo", 1, b"s-1"),
            100,
            &msg(
                "s-1",
                b"x",
                T0,
                1,
                r#","message_group_id":"g","sequence_number":42"#,
            ),
        );
        s.bytes()
    };
    c.add(
        "REQ-DEC-9-seq-ignored-by-default",
        "a FIFO queue's seq record is ignored by default",
        &[],
        fifo(),
        vec![files(&[
            "sqs/seq.fifo/_queue.json",
            "sqs/seq.fifo/messages.jsonl",
        ])],
    );
    c.add(
        "REQ-DEC-9-seq-as-side-record",
        "[Decision] with the flag a seq record is a side record (upstream aborts with a malformed key on every FIFO queue)",
        &[SIDE],
        fifo(),
        vec![
            lines(&q_path("seq.fifo", "_internals/side_records.jsonl"), 1),
            has(
                &q_path("seq.fifo", "_internals/side_records.jsonl"),
                r#"{"prefix":"!sqs|queue|seq|","key_hex":"217371737c71756575657c7365717c633256784c6d5a705a6d38","value_b64":"NDI"}"#,
            ),
        ],
    );
    let mut s = Snap::new();
    s.put(&meta_key(b"mm"), 10, &meta("mm", ""));
    s.put(
        &data_key(b"mm", 1, b"key-id"),
        100,
        &msg("value-id", b"x", T0, 2, ""),
    );
    c.add(
        "REQ-DEC-10-key-value-mismatch",
        "[Decision] a data key whose gen and id disagree with its value is reported on stderr, not fatal; the value's fields are written",
        &[],
        s.bytes(),
        vec![has(
            &q_path("mm", "messages.jsonl"),
            r#""message_id":"value-id","#,
        )],
    );
    let mut s = orders();
    s.put(&meta_key(b"alpha"), 10, &meta("alpha", ""));
    s.put(
        &data_key(b"alpha", 1, b"a-1"),
        100,
        &msg("a-1", b"x", T0, 1, ""),
    );
    let mut shuffled = s.clone();
    shuffled.entries.reverse();
    shuffled.keep_order();
    c.add(
        "REQ-DEC-11-unsorted-stream",
        "[Decision] entries with distinct user keys may come in any order: a reversed stream gives the sorted stream's dump (upstream finalises queues in Go map order)",
        &[],
        shuffled.bytes(),
        vec![
            ids(&q_path("orders", "messages.jsonl"), &["o-1", "o-2"]),
            lines(&q_path("alpha", "messages.jsonl"), 1),
        ],
    );
    let mut s = Snap::new();
    s.put(&meta_key(b"empty"), 10, &meta("empty", ""));
    s.put(&gen_key(b"empty"), 10, b"2");
    s.put(
        &data_key(b"empty", 1, b"old"),
        100,
        &msg("old", b"x", T0, 1, ""),
    );
    c.add(
        "REQ-DEC-12-queue-without-messages",
        "a queue with meta and no surviving message gets _queue.json and no messages.jsonl",
        &[],
        s.bytes(),
        vec![files(&["sqs/empty/_queue.json"])],
    );
    c.add(
        "REQ-DEC-13-unknown-family",
        "keys of an unknown !sqs| family are skipped (with a warning on stderr)",
        &[SIDE],
        orders()
            .put(b"!sqs|msg|future|whatever", 100, b"?")
            .put(b"!sqs|x", 100, b"?")
            .bytes(),
        vec![files(&[
            "sqs/orders/_queue.json",
            "sqs/orders/messages.jsonl",
        ])],
    );
}

fn out_cases(c: &mut Cases) {
    let mut s = Snap::new();
    std_queue(&mut s, "alpha", &[("a-1", b"one"), ("a-2", b"two")]);
    std_queue(&mut s, "beta.fifo", &[("b-1", b"\x00binary\xff")]);
    s.put(&vis_key(b"alpha", None, 1, 5, b"a-1"), 100, b"");
    s.put(&meta_key(b"quiet"), 10, &meta("quiet", ""));
    s.put(&tomb_key(b"gone", 3), 100, b"");
    c.add(
        "REQ-OUT-1-layout",
        "the complete layout: queues with and without messages, side records, an orphan directory, MANIFEST.json and CHECKSUMS",
        &[SIDE],
        s.bytes(),
        vec![files(&[
            "sqs/Z29uZQ.orphan/_internals/side_records.jsonl",
            "sqs/alpha/_internals/side_records.jsonl",
            "sqs/alpha/_queue.json",
            "sqs/alpha/messages.jsonl",
            "sqs/beta.fifo/_queue.json",
            "sqs/beta.fifo/messages.jsonl",
            "sqs/quiet/_queue.json",
        ])],
    );
    let mut s = Snap::new();
    for name in [
        &b"a b/c"[..],
        "caf\u{e9}".as_bytes(),
        b"x~y%z",
        b"Az09._-",
        b"\x00\x1f\x7f\xff",
    ] {
        s.put(&meta_key(name), 10, &meta("", ""));
    }
    c.add(
        "REQ-OUT-2-percent-encoding",
        "bytes outside [A-Za-z0-9._-] become uppercase %HH in directory names",
        &[],
        s.bytes(),
        vec![files(&[
            "sqs/%00%1F%7F%FF/_queue.json",
            "sqs/Az09._-/_queue.json",
            "sqs/a%20b%2Fc/_queue.json",
            "sqs/caf%C3%A9/_queue.json",
            "sqs/x%7Ey%25z/_queue.json",
        ])],
    );
    let mut s = Snap::new();
    let n240 = vec![b'm'; 240];
    let n241 = vec![b'n'; 241];
    let slashes = vec![b'/'; 81];
    for name in [&n240, &n241, &slashes] {
        s.put(&meta_key(name), 10, &meta("", ""));
    }
    let fb = |raw: &[u8]| format!("sqs/{}/_queue.json", crate::segment::encode_segment(raw));
    c.add(
        "REQ-OUT-2-hash-fallback-long-names",
        "a raw or encoded name over 240 bytes takes the hash fallback; exactly 240 does not",
        &[],
        s.bytes(),
        vec![files(&[
            &fb(&slashes),
            &fb(&n241),
            &format!("sqs/{}/_queue.json", "m".repeat(240)),
        ])],
    );
    let lookalike = b"0123456789abcdef0123456789ABCDEF__x".to_vec();
    let mut s = Snap::new();
    for name in [&lookalike[..], b"b64.abc", b"b64abc"] {
        s.put(&meta_key(name), 10, &meta("", ""));
    }
    c.add(
        "REQ-OUT-2-fallback-lookalikes",
        "a name that looks like a hash fallback, or starts with b64., takes the hash fallback",
        &[],
        s.bytes(),
        vec![files(&[
            &fb(&lookalike),
            &fb(b"b64.abc"),
            "sqs/b64abc/_queue.json",
        ])],
    );
    let mut s = Snap::new();
    for name in [&b"."[..], b"..", b"..."] {
        s.put(&meta_key(name), 10, &meta("", ""));
        s.put(&data_key(name, 1, b"m"), 100, &msg("m", name, T0, 1, ""));
    }
    c.add(
        "REQ-OUT-3-dot-names",
        "[Decision] queues named . and .. get %2E and %2E%2E (upstream writes .. into the output root); ... passes",
        &[],
        s.bytes(),
        vec![files(&[
            "sqs/%2E%2E/_queue.json",
            "sqs/%2E%2E/messages.jsonl",
            "sqs/%2E/_queue.json",
            "sqs/%2E/messages.jsonl",
            "sqs/.../_queue.json",
            "sqs/.../messages.jsonl",
        ])],
    );
    let mut s = Snap::new();
    s.put(
        &meta_key(b"zeros"),
        10,
        &meta_raw(
            br#"{"name":"zeros","is_fifo":false,"content_based_dedup":false,"visibility_timeout_seconds":0,"message_retention_seconds":0,"delay_seconds":0,"receive_message_wait_seconds":0,"maximum_message_size":0,"redrive_policy":"","redrive_allow_policy":"","partition_count":0,"fifo_throughput_limit":"","deduplication_scope":"","tags":{}}"#,
        ),
    );
    s.put(
        &meta_key(b"negative"),
        10,
        &meta_raw(
            br#"{"name":"negative","visibility_timeout_seconds":-1,"message_retention_seconds":-9223372036854775808,"delay_seconds":9223372036854775807,"receive_message_wait_seconds":-5,"maximum_message_size":-6}"#,
        ),
    );
    c.add(
        "REQ-OUT-4-queue-json-omissions",
        "false, zero and empty optional fields are left out of _queue.json; the three timing fields are always written",
        &[],
        s.bytes(),
        vec![
            has(
                &q_path("zeros", "_queue.json"),
                "{\n  \"format_version\": 1,\n  \"name\": \"zeros\",\n  \"visibility_timeout_seconds\": 0,\n  \"message_retention_seconds\": 0,\n  \"delay_seconds\": 0\n}",
            ),
            has(
                &q_path("negative", "_queue.json"),
                "\"receive_message_wait_seconds\": -5,\n  \"maximum_message_size\": -6\n}",
            ),
        ],
    );
    c.add(
        "REQ-OUT-5-message-line-omissions",
        "empty and zero optional message fields are left out; the required ones are always written",
        &[PRESERVE],
        json_queue(&[
            &jmsg(
                1,
                r#","body":"","md5_of_body":"","md5_of_message_attributes":"","message_attributes":{},"sender_id":"","first_receive_millis":0,"current_receipt_token":"","message_group_id":"","message_deduplication_id":"","sequence_number":0,"dead_letter_source_arn":"""#,
            ),
            &jmsg(2, r#","send_timestamp_millis":-5,"available_at_millis":-6,"visible_at_millis":-7,"receive_count":-8"#),
        ])
        .bytes(),
        vec![
            has(
                &q_path("j", "messages.jsonl"),
                "{\"message_id\":\"j-1\",\"body\":\"\",\"send_timestamp_millis\":1700000000001,\"available_at_millis\":0,\"visible_at_millis\":0,\"receive_count\":0,\"queue_generation\":1}\n",
            ),
            has(
                &q_path("j", "messages.jsonl"),
                "{\"message_id\":\"j-2\",\"body\":\"\",\"send_timestamp_millis\":-5,\"available_at_millis\":-6,\"visible_at_millis\":-7,\"receive_count\":-8,\"queue_generation\":1}\n",
            ),
        ],
    );
    let mut s = Snap::new();
    std_queue(
        &mut s,
        "bodies",
        &[
            ("t-1", b"plain text"),
            ("t-2", "\u{1F600} multi-byte".as_bytes()),
            ("b-1", b"\x89PNG\r\n\x1a\n\x00"),
            ("b-2", b"\xe2\x82"),
            ("t-3", b"{\"json\":\"inside\"}"),
        ],
    );
    c.add(
        "REQ-OUT-6-text-and-binary-bodies",
        "a UTF-8 body is a JSON string; any other body is {\"base64\":\"<unpadded base64url>\"}",
        &[],
        s.bytes(),
        vec![
            has(
                &q_path("bodies", "messages.jsonl"),
                r#""body":"plain text""#,
            ),
            has(
                &q_path("bodies", "messages.jsonl"),
                r#""body":{"base64":"iVBORw0KGgoA"}"#,
            ),
            has(
                &q_path("bodies", "messages.jsonl"),
                r#""body":{"base64":"4oI"}"#,
            ),
            has(
                &q_path("bodies", "messages.jsonl"),
                r#""body":"{\"json\":\"inside\"}""#,
            ),
        ],
    );
    let mut s = Snap::new();
    s.put(&meta_key(b"side"), 10, &meta("side", ""));
    s.put(
        &group_key(b"side", None, 1, b"<grp>"),
        100,
        b"\x00\x01\xfe\xff<&>",
    );
    s.put(&dedup_key(b"side", None, 1, b"d"), 100, b"");
    c.add(
        "REQ-OUT-7-side-record-lines",
        "each side record is {\"prefix\",\"key_hex\",\"value_b64\"} with the full user key in lowercase hex and the value in unpadded base64url",
        &[SIDE],
        s.bytes(),
        vec![
            lines(&q_path("side", "_internals/side_records.jsonl"), 2),
            has(
                &q_path("side", "_internals/side_records.jsonl"),
                &format!(
                    r#"{{"prefix":"!sqs|msg|group|","key_hex":"{}","value_b64":"AAH-_zwmPg"}}"#,
                    hex::encode(group_key(b"side", None, 1, b"<grp>"))
                ),
            ),
            has(
                &q_path("side", "_internals/side_records.jsonl"),
                r#""value_b64":""}"#,
            ),
        ],
    );
    let collide = || {
        let mut s = Snap::new();
        // b64("q") = "cQ": the orphan directory of queue q is "cQ.orphan".
        s.put(&meta_key(b"cQ.orphan"), 10, &meta("cQ.orphan", ""));
        s.put(&tomb_key(b"q", 1), 100, b"");
        s.bytes()
    };
    c.add(
        "REQ-OUT-8-orphan-directory-collision",
        "[Decision] a queue named cQ.orphan and the side records of orphan q (cQ) claim one directory: path_collision, nothing written (upstream overwrites)",
        &[SIDE],
        collide(),
        vec![error("path_collision")],
    );
    c.add(
        "REQ-OUT-8-no-collision-without-side-records",
        "the same snapshot without side records has no collision",
        &[],
        collide(),
        vec![files(&["sqs/cQ.orphan/_queue.json"])],
    );
    let mut s = Snap::new();
    s.put(&meta_key(b"q\xff"), 10, &meta("", ""));
    let mut m = jmsg(1, r#","message_group_id":""#);
    m.truncate(m.len() - 1);
    m.extend_from_slice(b"\xc3(\"}");
    s.put(&data_key(b"q\xff", 1, b"j-1"), 100, &msg_raw(&m));
    c.add(
        "REQ-OUT-9-invalid-utf8-names",
        "a queue name that is not UTF-8 gets a %HH directory and U+FFFD in _queue.json; every file is valid UTF-8",
        &[],
        s.bytes(),
        vec![
            has("sqs/q%FF/_queue.json", "\"name\": \"q\u{fffd}\""),
            has("sqs/q%FF/messages.jsonl", "\"message_group_id\":\"\u{fffd}(\""),
        ],
    );
}

fn err_cli_cases(c: &mut Cases) {
    let mut s = Snap::new();
    for name in ["a1", "a2", "a3"] {
        std_queue(&mut s, name, &[("m", b"x")]);
    }
    s.put(&meta_key(b"zz"), 10, &meta("zz", ""));
    s.put(
        &data_key(b"zz", 1, b"bad"),
        100,
        &msg_raw(br#"{"message_id":"bad","receive_count":1.5}"#),
    );
    c.add(
        "REQ-CLI-5-late-error-leaves-nothing",
        "[Decision] an error after several good queues fails the whole decode: exit non-zero, nothing at the output path",
        &[],
        s.bytes(),
        vec![error("invalid_message")],
    );
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut garbage = Vec::new();
    for _ in 0..256 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        garbage.push((x >> 24) as u8);
    }
    c.add(
        "REQ-ERR-2-garbage-after-header",
        "random bytes after a valid header fail with a typed error, never a crash",
        &[],
        Snap::new().tail(&garbage).bytes(),
        vec![Expect::AnyError],
    );
    let mut s = Snap::new();
    std_queue(&mut s, "both", &[("m-1", b"x"), ("m-2", b"y")]);
    s.put(&vis_key(b"both", None, 1, 9, b"m-1"), 100, b"");
    c.add(
        "REQ-CLI-1-both-flags",
        "--preserve-visibility and --include-sqs-side-records together",
        &[PRESERVE, SIDE],
        s.bytes(),
        vec![
            has(&q_path("both", "messages.jsonl"), r#""receive_count":1"#),
            lines(&q_path("both", "_internals/side_records.jsonl"), 1),
        ],
    );
    let mut s = Snap::new();
    for name in [&b"../../etc"[..], b"a/../../b", b"/abs", b"back\\slash"] {
        s.put(&meta_key(name), 10, &meta("", ""));
    }
    c.add(
        "REQ-CLI-6-path-traversal-names",
        "[Decision] queue names with /, .. and \\ stay single directory names below sqs/",
        &[],
        s.bytes(),
        vec![files(&[
            "sqs/%2Fabs/_queue.json",
            "sqs/..%2F..%2Fetc/_queue.json",
            "sqs/a%2F..%2F..%2Fb/_queue.json",
            "sqs/back%5Cslash/_queue.json",
        ])],
    );
    let mut s = Snap::at(123_456);
    s.put(&meta_key(b"zeta"), 10, &meta("Zeta Display", ""));
    s.put(&meta_key(b"alpha"), 10, &meta("alpha", ""));
    s.put(&meta_key(b"mid"), 10, &meta("", ""));
    c.add(
        "REQ-CLI-8-manifest",
        "MANIFEST.json records last_commit_ts, the source name and size, the flags and the sorted queue names; CHECKSUMS covers every file",
        &[PRESERVE, SIDE],
        s.bytes(),
        vec![
            has("MANIFEST.json", r#""last_commit_ts": 123456"#),
            has("MANIFEST.json", "\"queues\": [\n        \"Zeta Display\",\n        \"alpha\",\n        \"mid\"\n      ]"),
            has("MANIFEST.json", r#""preserve_sqs_visibility": true"#),
            has("MANIFEST.json", r#""include_sqs_side_records": true"#),
            has("MANIFEST.json", r#""fsm_path": "input.fsm""#),
            lines("CHECKSUMS", 4),
        ],
    );
    c.add(
        "REQ-CLI-11-bundled-sample",
        "the bundled examples/sample.fsm with side records",
        &[SIDE],
        include_bytes!("../examples/sample.fsm").to_vec(),
        vec![lines("sqs/orders/messages.jsonl", 2)],
    );
}

// ---------------------------------------------------------------------------
// Expected outcomes

/// Map decode flags to options. Unknown flags are an error message.
pub fn options_from_flags<S: AsRef<str>>(flags: &[S]) -> Result<Options, String> {
    let mut opts = Options::default();
    for f in flags {
        match f.as_ref() {
            PRESERVE | "--preserve-visibility" => opts.preserve_visibility = true,
            SIDE => opts.include_side_records = true,
            other => return Err(format!("unknown decode flag {other:?}")),
        }
    }
    Ok(opts)
}

/// What `sqsdump decode --input input.fsm --output DIR FLAGS` produces,
/// computed in memory: the full tree (MANIFEST.json and CHECKSUMS
/// included), or the error. The source file name is [`INPUT_FILE`].
pub fn expected_outcome(input: &[u8], opts: Options) -> Result<DumpModel, Error> {
    let (mut model, summary) = snapshot::decode_snapshot(input, opts, &mut |_| {})?;
    let info = ManifestInfo {
        last_commit_ts: summary.last_commit_ts,
        source_name: INPUT_FILE.to_string(),
        source_size: summary.bytes_read,
        preserve_visibility: opts.preserve_visibility,
        include_side_records: opts.include_side_records,
        wall_time: None,
    };
    manifest::add_manifest(&mut model, &info)?;
    write::validate_model_paths(model.files.keys().map(String::as_str))?;
    Ok(model)
}

/// Check a case's intent against its outcome; each failure is one message.
fn check_intent(case: &Case, outcome: &Result<DumpModel, Error>) -> Vec<String> {
    let mut problems = Vec::new();
    let mut fail = |what: String| problems.push(format!("{}: {what}", case.name));
    let text = |model: &DumpModel, path: &str| -> Option<String> {
        model
            .files
            .get(path)
            .map(|b| String::from_utf8_lossy(b).into_owned())
    };
    for e in &case.expect {
        match (e, outcome) {
            (Expect::Error(class), Err(err)) if err.class() == *class => {}
            (Expect::AnyError, Err(_)) => {}
            (Expect::Error(class), Err(err)) => fail(format!(
                "expected error {class}, got {}: {err}",
                err.class()
            )),
            (Expect::Error(_) | Expect::AnyError, Ok(_)) => {
                fail("expected an error, the decode succeeded".to_string())
            }
            (_, Err(err)) => fail(format!("unexpected error {}: {err}", err.class())),
            (Expect::Files(want), Ok(m)) => {
                let mut want = want.clone();
                want.sort();
                let got: Vec<String> = m
                    .files
                    .keys()
                    .filter(|p| *p != manifest::MANIFEST_FILE && *p != manifest::CHECKSUMS_FILE)
                    .cloned()
                    .collect();
                if got != want {
                    fail(format!("files {got:?}, expected {want:?}"));
                }
            }
            (Expect::Lines(path, n), Ok(m)) => match text(m, path) {
                Some(t) if t.lines().count() == *n => {}
                Some(t) => fail(format!(
                    "{path} has {} lines, expected {n}",
                    t.lines().count()
                )),
                None => fail(format!("no {path}")),
            },
            (Expect::Has(path, needle), Ok(m)) => match text(m, path) {
                Some(t) if t.contains(needle.as_str()) => {}
                Some(t) => fail(format!("{path} lacks {needle:?}; it is:\n{t}")),
                None => fail(format!("no {path}")),
            },
            (Expect::Lacks(path, needle), Ok(m)) => {
                if let Some(t) = text(m, path) {
                    if t.contains(needle.as_str()) {
                        fail(format!("{path} contains {needle:?}"));
                    }
                }
            }
            (Expect::Ids(path, want), Ok(m)) => match text(m, path) {
                Some(t) => {
                    let got: Vec<String> = t
                        .lines()
                        .map(|l| {
                            serde_json::from_str::<serde_json::Value>(l)
                                .ok()
                                .and_then(|v| v["message_id"].as_str().map(str::to_string))
                                .unwrap_or_default()
                        })
                        .collect();
                    if &got != want {
                        fail(format!("{path} ids {got:?}, expected {want:?}"));
                    }
                }
                None => fail(format!("no {path}")),
            },
        }
    }
    problems
}

/// The files of one case directory, relative to the corpus root.
fn render_case(
    case: &Case,
    outcome: &Result<DumpModel, Error>,
    out: &mut BTreeMap<String, Vec<u8>>,
) {
    let dir = &case.name;
    out.insert(format!("{dir}/{INPUT_FILE}"), case.input.clone());
    let mut flags = String::new();
    for f in &case.flags {
        flags.push_str(f);
        flags.push('\n');
    }
    out.insert(format!("{dir}/{FLAGS_FILE}"), flags.into_bytes());
    out.insert(
        format!("{dir}/{DESCRIPTION_FILE}"),
        format!("{}\n", case.description).into_bytes(),
    );
    match outcome {
        Ok(model) => {
            for (path, bytes) in &model.files {
                out.insert(format!("{dir}/{EXPECTED_DIR}/{path}"), bytes.clone());
            }
        }
        Err(err) => {
            out.insert(
                format!("{dir}/{EXPECTED_ERROR_FILE}"),
                format!("{}\n", err.class()).into_bytes(),
            );
        }
    }
}

/// The whole corpus as relative path → bytes, README included. An error
/// lists every case whose intent the decoder does not meet, or a case
/// whose name is not `<REQ-ID>-<slug>`.
pub fn generate() -> Result<BTreeMap<String, Vec<u8>>, Vec<String>> {
    let cases = cases();
    let mut out = BTreeMap::new();
    let mut problems = Vec::new();
    let mut index = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for case in &cases {
        if split_case_name(&case.name).is_none() {
            problems.push(format!("{}: not <REQ-ID>-<slug>", case.name));
        }
        if !seen.insert(case.name.clone()) {
            problems.push(format!("{}: defined twice", case.name));
        }
        let opts = match options_from_flags(&case.flags) {
            Ok(o) => o,
            Err(e) => {
                problems.push(format!("{}: {e}", case.name));
                continue;
            }
        };
        let outcome = expected_outcome(&case.input, opts);
        problems.extend(check_intent(case, &outcome));
        let result = match &outcome {
            Ok(m) => format!("{} files", m.files.len()),
            Err(e) => format!("error `{}`", e.class()),
        };
        index.push((
            case.name.clone(),
            case.flags.join(" "),
            result,
            case.description.clone(),
        ));
        render_case(case, &outcome, &mut out);
    }
    out.insert(README_FILE.to_string(), readme(&index).into_bytes());
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

/// Split `<REQ-ID>-<slug>` into the ID and the slug. The ID is
/// `REQ-<AREA>-<N>` with an uppercase area and a decimal number; the slug
/// is non-empty.
pub fn split_case_name(name: &str) -> Option<(&str, &str)> {
    let rest = name.strip_prefix("REQ-")?;
    let area_len = rest.bytes().take_while(u8::is_ascii_uppercase).count();
    if area_len == 0 {
        return None;
    }
    let after_area = rest.get(area_len..)?.strip_prefix('-')?;
    let num_len = after_area.bytes().take_while(u8::is_ascii_digit).count();
    if num_len == 0 {
        return None;
    }
    let id_len = 4 + area_len + 1 + num_len;
    let slug = name.get(id_len..)?.strip_prefix('-')?;
    if slug.is_empty() {
        return None;
    }
    Some((name.get(..id_len)?, slug))
}

const README_HEAD: &str = r#"# sqsdump conformance corpus

This directory is a language-neutral test suite for any decoder of the SQS
part of elastickv's offline logical backup (`.fsm` snapshot → dump tree).
It is generated by `sqsdump corpus --output conformance` from the case
definitions in `src/corpus.rs`; do not edit it by hand (a test checks that
it matches the generator byte for byte).

## Layout

Each case is one directory named `<REQ-ID>-<slug>`, where `<REQ-ID>` is the
SPEC.md requirement the case demonstrates (`REQ-DEC-4-stale-generation`
shows REQ-DEC-4). A case directory holds:

| file | content |
|---|---|
| `input.fsm` | the snapshot to decode |
| `flags` | decode flags, one per line; empty for none. Only `--preserve-sqs-visibility` and `--include-sqs-side-records` occur, spelled as upstream's decoder spells them (sqsdump accepts both spellings) |
| `description` | one line saying what the case shows; `[Decision]` marks a deliberate difference from upstream |
| `expected/` | the exact dump tree a conforming decoder writes, `MANIFEST.json` and `CHECKSUMS` included |
| `expected-error` | instead of `expected/`: the error class (one line, e.g. `malformed_sqs_key`) |

## Running an implementation on a case

1. Copy `input.fsm` into an empty scratch directory, keeping the name
   `input.fsm`: `MANIFEST.json` records the source file name (and size),
   so a differently named input gives a different manifest.
2. Run the decoder with the case's flags and an output path that does not
   exist yet, e.g.
   `mydecoder --input input.fsm --output out $(cat flags)`.
3. If the case has `expected/`: the decoder must exit 0, and `out` must hold
   exactly the files of `expected/` (same relative paths, no other files,
   directories or symlinks), each byte for byte equal. `diff -r expected out`
   is the whole check.
4. If the case has `expected-error`: the decoder must exit non-zero and
   leave nothing at the output path (no directory, not even an empty one).
   The class names the failure (SPEC.md REQ-ERR-1); a decoder that prints
   sqsdump's `error[<class>]: <message>` line on stderr must print that
   class, others are not held to it.

Warnings (orphans, stale generations, key/value mismatches, versions after
the header) go to stderr and are not compared; the cases show their effect
on the tree instead.

`sqsdump conform --impl 'mydecoder --input {input} --output {output} {flags}'`
does all of the above for every case (and for generated snapshots), with a
timeout per case, and reports the first difference of each failing case,
attributed to the case's requirement. `--compare json` compares JSON files
and JSON lines as parsed values instead of bytes (key order and number
spelling then do not matter, and `CHECKSUMS` is checked for consistency
with the tree instead of byte equality).

`sqsdump verify DIR` checks any dump tree against SPEC.md's structural
rules without an expected tree.

## Cases
"#;

fn readme(index: &[(String, String, String, String)]) -> String {
    let mut out = README_HEAD.to_string();
    let _ = writeln!(out);
    let _ = writeln!(out, "{} cases.", index.len());
    let _ = writeln!(out);
    let _ = writeln!(out, "| case | flags | expected | shows |");
    let _ = writeln!(out, "|---|---|---|---|");
    for (name, flags, result, description) in index {
        let flags = if flags.is_empty() {
            String::new()
        } else {
            format!("`{flags}`")
        };
        let _ = writeln!(
            out,
            "| `{name}` | {flags} | {result} | {} |",
            description.replace('|', "\\|")
        );
    }
    out
}

// ---------------------------------------------------------------------------
// `sqsdump corpus`

/// Arguments of `sqsdump corpus`.
#[derive(Debug, Clone, Args)]
#[command(after_help = "Example:\n  sqsdump corpus --output conformance")]
pub struct CorpusArgs {
    /// The corpus directory to write. It must be absent, empty, or an
    /// earlier corpus (only README.md and REQ-* directories), which is
    /// replaced. Example: `--output conformance`.
    #[arg(short, long, value_name = "DIR")]
    pub output: PathBuf,
}

/// Run `sqsdump corpus`. `Ok(false)` when a case's intent is not met (the
/// problems are printed on stderr, nothing is written).
pub fn run_cli(args: &CorpusArgs) -> Result<bool, Error> {
    let files = match generate() {
        Ok(files) => files,
        Err(problems) => {
            for p in &problems {
                eprintln!("corpus: {p}");
            }
            eprintln!("corpus: {} problem(s); nothing written", problems.len());
            return Ok(false);
        }
    };
    write_corpus(&files, &args.output)?;
    let cases = files
        .keys()
        .filter_map(|p| p.split_once('/').map(|(d, _)| d))
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    println!("wrote {cases} cases to {}", args.output.display());
    Ok(true)
}

/// Write a generated corpus to `out`, replacing an earlier corpus there.
///
/// The new tree is written atomically beside `out` ([`write::write_dump`]);
/// an existing corpus is then moved aside and the new one renamed into
/// place. Anything at `out` that does not look like a corpus is refused
/// (never deleted).
pub fn write_corpus(files: &BTreeMap<String, Vec<u8>>, out: &Path) -> Result<(), Error> {
    let unsafe_output = |reason: &str| Error::UnsafeOutput {
        path: out.display().to_string(),
        reason: reason.to_string(),
    };
    let existing = match fs::symlink_metadata(out) {
        Ok(meta) if meta.file_type().is_symlink() => {
            return Err(unsafe_output("output path is a symlink"))
        }
        Ok(meta) if !meta.is_dir() => {
            return Err(unsafe_output("output path exists and is not a directory"))
        }
        Ok(_) => true,
        Err(e) if e.kind() == io::ErrorKind::NotFound => false,
        Err(e) => return Err(Error::io(format!("inspecting {}", out.display()), e)),
    };
    if existing {
        let entries =
            fs::read_dir(out).map_err(|e| Error::io(format!("listing {}", out.display()), e))?;
        for entry in entries {
            let entry = entry.map_err(|e| Error::io(format!("listing {}", out.display()), e))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let kind = entry
                .file_type()
                .map_err(|e| Error::io(format!("inspecting {name}"), e))?;
            let corpus_like = (name == README_FILE && kind.is_file())
                || (name.starts_with("REQ-") && kind.is_dir());
            if !corpus_like {
                return Err(unsafe_output(&format!(
                    "{name} does not belong to a corpus; refusing to replace the directory"
                )));
            }
        }
    }
    let mut model = DumpModel::new();
    for (path, bytes) in files {
        model.add_file(path.clone(), bytes.clone(), "corpus")?;
    }
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent)
        .map_err(|e| Error::io(format!("creating {}", parent.display()), e))?;
    let staging = tempfile::Builder::new()
        .prefix(".sqsdump-corpus-")
        .tempdir_in(&parent)
        .map_err(|e| {
            Error::io(
                format!("creating a staging directory in {}", parent.display()),
                e,
            )
        })?;
    let fresh = staging.path().join("new");
    write::write_dump(&model, &fresh)?;
    if existing {
        let old = staging.path().join("old");
        fs::rename(out, &old).map_err(|e| {
            Error::io(
                format!("moving the old corpus aside from {}", out.display()),
                e,
            )
        })?;
    }
    fs::rename(&fresh, out).map_err(|e| {
        Error::io(
            format!("moving the corpus into place at {}", out.display()),
            e,
        )
    })?;
    staging
        .close()
        .map_err(|e| Error::io("removing the staging directory".to_string(), e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    // REQ-CONF-1
    #[test]
    fn case_names_split_into_id_and_slug() {
        assert_eq!(
            split_case_name("REQ-DEC-4-stale-generation"),
            Some(("REQ-DEC-4", "stale-generation"))
        );
        assert_eq!(split_case_name("REQ-DEC-4"), None);
        assert_eq!(split_case_name("REQ-DEC-4-"), None);
        assert_eq!(split_case_name("REQ-dec-4-x"), None);
        assert_eq!(split_case_name("REQ-DEC-x"), None);
        assert_eq!(split_case_name("README.md"), None);
    }

    // REQ-CONF-1
    #[test]
    fn snap_builder_sorts_like_pebble_unless_told_not_to() {
        let mut s = Snap::new();
        s.put(b"!sqs|b", 1, b"").put(b"!sqs|a", 1, b"");
        let sorted = s.bytes();
        let a_at = sorted.windows(6).position(|w| w == b"!sqs|a");
        let b_at = sorted.windows(6).position(|w| w == b"!sqs|b");
        assert!(a_at < b_at);
        s.keep_order();
        let kept = s.bytes();
        let a_at = kept.windows(6).position(|w| w == b"!sqs|a");
        let b_at = kept.windows(6).position(|w| w == b"!sqs|b");
        assert!(a_at > b_at);
    }
}
