//! The conformance corpus: case definitions and the generator of
//! `conformance/` (REQ-CONF-1, REQ-CONF-2).
//!
//! Every case is one row of a table, one table per SPEC area (`fsm.rs`,
//! `key.rs`, …): its name, a one-line note, a list of decode flags, a small
//! function that builds its input (a snapshot from components: keys with
//! [`crate::key::build`], values as literal JSON), and the *intent* of the
//! case ([`Expect`]): what the decode must show, e.g. "this input is
//! `short_value`" or "`messages.jsonl` has the ids c, b, f in this order".
//! [`cases`] turns every row into a [`Case`]; [`generate`] decodes every
//! case with sqsdump itself
//! ([`expected_outcome`]), checks the intent against the result and renders
//! the case directory:
//!
//! ```text
//! <REQ-ID>-<slug>/input.fsm        the snapshot, or
//! <REQ-ID>-<slug>/input/…          a node data directory (REQ-NODE-5)
//! <REQ-ID>-<slug>/flags            decode flags, one per line (may be empty)
//! <REQ-ID>-<slug>/description      one line: what the case shows
//! <REQ-ID>-<slug>/expected/…       the exact dump tree, or
//! <REQ-ID>-<slug>/expected-error   the error class and a newline
//! <REQ-ID>-<slug>/expected-stderr  with it: sqsdump's own error line
//! ```
//!
//! So an expected tree is sqsdump's own output, but never an unexamined
//! one: a change in the decoder that breaks a case's intent stops the
//! generator, and a change that keeps the intent shows up as a diff of the
//! committed corpus (`tests/gate/corpus.rs`).
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
    append_footer, crc32c, encode_header, encode_key, encode_raw_entry, encode_value,
    FLAG_TOMBSTONE, MAX_KEY_LEN, MAX_VALUE_LEN,
};
use crate::key::{build, KeyParts};
use crate::manifest::{self, ManifestInfo};
use crate::run::{Staging, StagingKind};
use crate::value::{MESSAGE_MAGIC, QUEUE_META_MAGIC};
use crate::{snapshot, write, Error};

mod cli;
mod dec;
pub mod enc;
mod fsm;
mod json;
mod key;
mod node;
mod out;
mod val;

/// `SOURCE_DATE_EPOCH` of every expected tree (2023-11-14T22:13:20Z);
/// `sqsdump conform` runs implementations with it set. The gate checks
/// only that `wall_time_iso` is present and well-formed.
pub const CORPUS_EPOCH: u64 = 1_700_000_000;

/// Name of the snapshot file in a case directory. MANIFEST.json records
/// the source file name, so implementations must be run on a file of this
/// name.
pub const INPUT_FILE: &str = "input.fsm";
/// Name of the node data directory that replaces [`INPUT_FILE`] in a
/// data-directory case (REQ-NODE-5).
pub const INPUT_DIR: &str = "input";
/// Name of the flags file in a case directory.
pub const FLAGS_FILE: &str = "flags";
/// Name of the one-line description in a case directory.
pub const DESCRIPTION_FILE: &str = "description";
/// Name of the expected tree in a case directory.
pub const EXPECTED_DIR: &str = "expected";
/// Name of the expected error class file in a case directory.
pub const EXPECTED_ERROR_FILE: &str = "expected-error";
/// Name of the file beside [`EXPECTED_ERROR_FILE`] holding sqsdump's own
/// `error[<class>]: <message>` line for the case: what the error is about.
pub const EXPECTED_STDERR_FILE: &str = "expected-stderr";
/// Name of the corpus README.
pub const README_FILE: &str = "README.md";

/// The version of SPEC.md this corpus goes with (SPEC.md's `Version:`
/// line and changelog; the README names it).
pub const SPEC_VERSION: &str = "1.0.0";

/// `--preserve-visibility`, in upstream's spelling, which sqsdump's
/// `decode` also accepts: the corpus then runs unchanged on both.
pub const PRESERVE: &str = "--preserve-sqs-visibility";
/// `--include-sqs-side-records`.
pub const SIDE: &str = "--include-sqs-side-records";
/// `--require-footer` (REQ-FSM-12).
pub const REQUIRE_FOOTER: &str = "--require-footer";
/// The decode flags a case may carry.
pub const KNOWN_FLAGS: [&str; 3] = [PRESERVE, SIDE, REQUIRE_FOOTER];

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
    /// The snapshot bytes (empty for a data-directory case).
    pub input: Vec<u8>,
    /// Instead of `input`: a node data directory, relative path → bytes.
    pub data_dir: Option<BTreeMap<String, Vec<u8>>>,
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
pub(crate) const T0: i64 = 1_700_000_000_000;

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

// ---------------------------------------------------------------------------
// The cases

/// Where a case's input comes from.
#[derive(Clone, Copy)]
enum Input {
    /// The bytes of `input.fsm`.
    Fsm(fn() -> Vec<u8>),
    /// A node data directory (REQ-NODE-5), relative path → bytes.
    Dir(fn() -> BTreeMap<String, Vec<u8>>),
}

/// One row of a case table: the case's name, its one-line note, its
/// decode flags, how its input is made, and what the decode must show.
struct Row {
    name: &'static str,
    note: &'static str,
    flags: &'static [&'static str],
    input: Input,
    expect: fn() -> Vec<Expect>,
}

impl Row {
    /// Build the case this row describes.
    fn case(&self) -> Case {
        let (input, data_dir) = match self.input {
            Input::Fsm(bytes) => (bytes(), None),
            Input::Dir(files) => (Vec::new(), Some(files())),
        };
        Case {
            name: self.name.to_string(),
            description: self.note.to_string(),
            flags: self.flags.to_vec(),
            input,
            data_dir,
            expect: (self.expect)(),
        }
    }
}

/// The case tables, one per SPEC area, in corpus order.
const TABLES: [&[Row]; 8] = [
    fsm::CASES,
    key::CASES,
    val::CASES,
    json::CASES,
    dec::CASES,
    out::CASES,
    cli::CASES,
    node::CASES,
];

/// Every case of the corpus, in a fixed order.
pub fn cases() -> Vec<Case> {
    TABLES
        .iter()
        .flat_map(|table| table.iter())
        .map(Row::case)
        .collect()
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

/// A snapshot holding one ordinary queue `orders` with two messages.
fn orders() -> Snap {
    let mut s = Snap::new();
    std_queue(&mut s, "orders", &[("o-1", b"first"), ("o-2", b"second")]);
    s
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
            REQUIRE_FOOTER => opts.require_footer = true,
            other => return Err(format!("unknown decode flag {other:?}")),
        }
    }
    Ok(opts)
}

/// What `sqsdump decode --input input.fsm --output DIR FLAGS` produces,
/// computed in memory: the full tree (MANIFEST.json and CHECKSUMS
/// included), or the error. The source file name is [`INPUT_FILE`].
pub fn expected_outcome(input: &[u8], opts: Options) -> Result<DumpModel, Error> {
    decode_with_manifest(input, opts, INPUT_FILE.to_string(), None)
}

fn decode_with_manifest(
    input: &[u8],
    opts: Options,
    source_name: String,
    snapshot_index: Option<u64>,
) -> Result<DumpModel, Error> {
    let (mut model, summary) = snapshot::decode_snapshot(input, opts, &mut |_| {})?;
    let info = ManifestInfo {
        last_commit_ts: summary.last_commit_ts,
        source_name,
        source_size: summary.bytes_read,
        preserve_visibility: opts.preserve_visibility,
        include_side_records: opts.include_side_records,
        wall_time: manifest::wall_time(Some(CORPUS_EPOCH)),
        fsm_crc32c: summary.fsm_crc32c,
        snapshot_index,
        ..ManifestInfo::default()
    };
    manifest::add_manifest(&mut model, &info)?;
    write::validate_model_paths(model.files.keys().map(String::as_str))?;
    Ok(model)
}

/// What `sqsdump decode --input input --output DIR FLAGS` produces for a
/// case whose `input` is a node data directory (REQ-NODE-5): the
/// directory is laid out in a scratch directory and located, and the
/// `.fsm` file decoded with its footer required and checked against the
/// token.
pub fn expected_dir_outcome(
    files: &BTreeMap<String, Vec<u8>>,
    opts: Options,
) -> Result<DumpModel, Error> {
    let scratch = tempfile::tempdir().map_err(|e| Error::io("creating a scratch directory", e))?;
    let root = scratch.path().join(INPUT_DIR);
    for (path, bytes) in files {
        let dest = root.join(path);
        if let Some(parent) = dest.parent() {
            fs::create_dir_all(parent)
                .map_err(|e| Error::io(format!("creating {}", parent.display()), e))?;
        }
        fs::write(&dest, bytes).map_err(|e| Error::io(format!("writing {}", dest.display()), e))?;
    }
    let node = crate::node::locate(&root)?;
    let input = fs::read(&node.fsm_path)
        .map_err(|e| Error::io(format!("reading {}", node.fsm_path.display()), e))?;
    let opts = Options {
        require_footer: true,
        ..opts
    };
    let name = crate::node::fsm_file_name(node.index);
    let model = decode_with_manifest(&input, opts, name, Some(node.index))?;
    let footer = input
        .len()
        .checked_sub(crate::fsm::FOOTER_LEN)
        .and_then(|at| input.get(at..))
        .and_then(|b| <[u8; 4]>::try_from(b).ok())
        .map(u32::from_be_bytes);
    if footer != Some(node.token_crc) {
        return Err(crate::error::NodeError::TokenCrcMismatch {
            path: node.fsm_path.display().to_string(),
            snap: node.snap_path.display().to_string(),
            token: node.token_crc,
            footer: footer.unwrap_or_default(),
        }
        .into());
    }
    Ok(model)
}

/// Check a case's intent against its outcome; each failure is one message.
// REQ-CONF-2
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
// REQ-CONF-1, REQ-CONF-2
fn render_case(
    case: &Case,
    outcome: &Result<DumpModel, Error>,
    out: &mut BTreeMap<String, Vec<u8>>,
) {
    let dir = &case.name;
    match &case.data_dir {
        Some(files) => {
            for (path, bytes) in files {
                out.insert(format!("{dir}/{INPUT_DIR}/{path}"), bytes.clone());
            }
        }
        None => {
            out.insert(format!("{dir}/{INPUT_FILE}"), case.input.clone());
        }
    }
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
            out.insert(
                format!("{dir}/{EXPECTED_STDERR_FILE}"),
                format!(
                    "error[{}]: {}\n",
                    err.class(),
                    without_scratch(&err.to_string())
                )
                .into_bytes(),
            );
        }
    }
}

/// `message` with the scratch directories of [`expected_dir_outcome`]
/// (`<temp dir>/.tmpXXXXXX/`) removed, so that it names `input/…` as the
/// case directory does, the same on every run.
fn without_scratch(message: &str) -> String {
    let prefix = format!(
        "{}/.tmp",
        std::env::temp_dir()
            .display()
            .to_string()
            .trim_end_matches('/')
    );
    let mut out = String::new();
    let mut rest = message;
    while let Some(at) = rest.find(&prefix) {
        out.push_str(rest.get(..at).unwrap_or_default());
        let after = rest.get(at + prefix.len()..).unwrap_or_default();
        rest = match after.find('/') {
            Some(slash) => after.get(slash + 1..).unwrap_or_default(),
            None => after,
        };
    }
    out.push_str(rest);
    out
}

/// The whole corpus as relative path → bytes, README included. An error
/// lists every case whose intent the decoder does not meet, or a case
/// whose name is not `<REQ-ID>-<slug>`.
// REQ-CONF-2
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
        let outcome = match &case.data_dir {
            Some(files) => expected_dir_outcome(files, opts),
            None => expected_outcome(&case.input, opts),
        };
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
    let mut enc_index = Vec::new();
    for case in enc::encode_cases() {
        if split_case_name(&case.name).is_none() {
            problems.push(format!("encode/{}: not <REQ-ID>-<slug>", case.name));
        }
        if !seen.insert(format!("encode/{}", case.name)) {
            problems.push(format!("encode/{}: defined twice", case.name));
        }
        let opts = match enc::encode_options_from_flags(&case.flags) {
            Ok(o) => o,
            Err(e) => {
                problems.push(format!("encode/{}: {e}", case.name));
                continue;
            }
        };
        let outcome = enc::expected_encode(&case.input, &case.symlinks, &opts);
        problems.extend(enc::check_encode_intent(&case, &outcome));
        let result = match &outcome {
            Ok(b) => format!("{} bytes", b.len()),
            Err(e) => format!("error `{}`", e.class()),
        };
        enc_index.push((
            case.name.clone(),
            case.flags.join(" "),
            result,
            case.description.clone(),
        ));
        enc::render_encode_case(&case, &outcome, &mut out);
    }
    out.insert(
        README_FILE.to_string(),
        readme(&index, &enc_index).into_bytes(),
    );
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

/// Split `<REQ-ID>-<slug>` into the ID and the slug. The ID is
/// `REQ-<AREA>-<N>` with an uppercase area and a decimal number; the slug
/// is non-empty.
// REQ-CONF-1
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
definitions in `src/gate/corpus/`; do not edit it by hand (a test checks that
it matches the generator byte for byte). It goes with
SPEC.md version {SPEC_VERSION}: a change of any expected tree, expected error or
judging rule comes with a new SPEC.md version and a changelog entry.

SPEC.md sorts its requirements into four conformance classes: the
**decoder** (snapshot to dump tree), the **encoder** (dump tree to
snapshot), the `sqsdump` **tool** (its command line, engines, memory
limits, warnings and housekeeping) and the **gate** (`sqsdump conform`
and `sqsdump verify` themselves). The gate judges only the requirements of the **decoder** and **encoder** classes: every
case is named after one, and every difference is blamed on one. A
requirement of the tool or gate class never makes a case fail.

## Layout

Each case is one directory named `<REQ-ID>-<slug>`, where `<REQ-ID>` is the
SPEC.md requirement the case demonstrates (`REQ-DEC-4-stale-generation`
shows REQ-DEC-4). A case directory holds:

| file | content |
|---|---|
| `input.fsm` | the snapshot to decode |
| `input/` | instead of `input.fsm`, in the `REQ-NODE-*` cases: a node's raft data directory (`snap/<term>-<index>.snap`, `fsm-snap/<index>.fsm`) to decode the snapshot of (SPEC.md REQ-NODE-5) |
| `flags` | decode flags, one per line; empty for none. Only `--preserve-sqs-visibility` and `--include-sqs-side-records` occur, spelled as upstream's decoder spells them (sqsdump accepts both spellings) |
| `description` | one line saying what the case shows; `[Decision]` marks a deliberate difference from upstream |
| `expected/` | the exact dump tree a conforming decoder writes, `MANIFEST.json` and `CHECKSUMS` included |
| `expected-error` | instead of `expected/`: the error class (one line, e.g. `malformed_sqs_key`) |
| `expected-stderr` | with `expected-error`: sqsdump's own error line for the input, `error[<class>]: <message>`, which says what the error is about (the message is not judged) |

## Running an implementation on a case

1. Copy `input.fsm` into an empty scratch directory, keeping the name
   `input.fsm`: `MANIFEST.json` records the source file name (and size),
   so a differently named input gives a different manifest. A case
   holding `input/` instead is a node data directory: copy the whole
   directory and pass its path as the input
   (`mydecoder --input input --output out`); sqsdump decodes the snapshot
   the node would restore, as with `--data-dir`.
2. Run the decoder with the case's flags and an output path that does not
   exist yet, e.g.
   `mydecoder --input input.fsm --output out $(cat flags)`.
3. Set `SOURCE_DATE_EPOCH=1700000000` in its environment: the expected
   manifests record that time as `wall_time_iso`. (Only its presence and
   RFC 3339 form are judged, so a decoder that ignores the variable is
   not wrong.)
4. If the case has `expected/`: the decoder must exit 0, and `out` must hold
   exactly the files of `expected/` (same relative paths, no other files,
   directories or symlinks), each byte for byte equal, except that
   `MANIFEST.json` is compared field by field (`wall_time_iso` by form) and
   `CHECKSUMS` must describe the tree it sits in (`sha256sum -c` passes).
5. If the case has `expected-error`: the decoder must reject the input
   cleanly: exit status 1 or 2, leave nothing at the output path (no
   directory, not even an empty one), and print the class on stderr as
   described below. A crash is never a rejection (see "How a run is
   classed").

## Printing the error class

Print one line on stderr of the form

    error[<class>]: <message>

for example `error[truncated]: snapshot truncated at offset 16: entry
value`, where `<class>` is the word in the case's `expected-error` and the
message is free text (the case's `expected-stderr` holds sqsdump's). Other
lines (warnings, logs) may come before or after it; the first `error[…]:`
line counts, and a line that starts with `error[` in another form (say
`error[bad-magic] x`) fails the case as malformed. `sqsdump conform` requires
this line by default; `--error-classes optional` accepts a clean
rejection without it, for decoders that print none (upstream's does not),
and counts those passes apart (`N passed (M without an error class)`).
A line that names another class fails in both modes (REQ-ERR-1).

The classes the decode cases use (SPEC.md REQ-ERR-1):

| class | the input… |
|---|---|
| `bad_magic` | does not start with the snapshot header `EKVPBBL1` |
| `unsupported_format` | is another snapshot format (an SST ingest file) |
| `truncated` | ends inside the header, a length prefix, a key or a value |
| `crc_mismatch` | is a node file whose CRC-32C footer does not match |
| `missing_footer` | has no CRC-32C footer where `--require-footer` demands one |
| `short_key` | has a key shorter than its 8-byte commit timestamp suffix |
| `short_value` | has a value shorter than its header |
| `key_too_large`, `value_too_large` | has a length prefix over the limits |
| `encrypted_entry` | has an encrypted value |
| `reserved_flags` | has a value header with reserved flag bits set |
| `malformed_sqs_key` | has an `!sqs|` key that does not parse |
| `invalid_queue_meta` | has a queue meta record that does not decode |
| `invalid_message` | has a message record that does not decode |
| `invalid_gen_value` | has a queue generation record that is not a number |
| `path_collision` | would write two records to one output path |

## How a run is classed

`sqsdump conform` classes every run before it compares anything:

- **success**: exit status 0;
- **clean rejection**: exit status 1 or 2 with a message on stderr (and,
  by default, an `error[<class>]:` line);
- **crash**: a death by signal (or exit status 128 + N from the shell), a
  Rust panic (`panicked at`, exit status 101), a Go `panic:`,
  `fatal error:` or `goroutine N [` dump, a Python `Traceback`, a JVM
  `Exception in thread`, and the like. A crash fails every case, error
  cases included, blamed on REQ-ERR-2 (no panics) with its signature;
- **could not run**: exit status 126 or 127 (the shell could not find or
  execute the command). On the first case this stops the run with one
  error naming the command.

Any other failure (another exit status, or nothing on stderr) fails an
error case, blamed on the case's own requirement.

Warnings (orphans, stale generations, key/value mismatches, versions after
the header) go to stderr and are not compared; the cases show their effect
on the tree instead.

`sqsdump conform --impl 'mydecoder --input {input} --output {output} {flags}'`
does all of the above for every case (and for generated snapshots), with a
timeout per case. It reports every difference, each blamed on the
requirement that governs what differs (the `Governs:` lines of SPEC.md): a
decoder that only adds a newline to `_queue.json` is blamed on REQ-JSON-15
alone, in every case where it shows. `--compare json` compares JSON files
and JSON lines as parsed values instead of bytes.

## Reading the gate's output

Each case prints `PASS <case>`, or for a failing case one line per blamed
requirement and then what the case is about:

    FAIL REQ-CLI-8 REQ-JSON-2-duplicates: MANIFEST.json: field exclusions.preserve_sqs_visibility: expected true got false
    FAIL REQ-DEC-5 REQ-JSON-2-duplicates: sqs/j/messages.jsonl:1: field receive_count: expected 5 got 0
        case REQ-JSON-2: the last matching key wins (exact or folded); a map given twice is merged, last duplicate key winning

(here a decoder that dropped the case's `--preserve-sqs-visibility`). The
requirement after `FAIL` governs what differs; the indented line gives the
case's description, and its own requirement when that is another one.
An error case that your decoder accepted shows the error sqsdump prints
for it (`expected error[invalid_message]: invalid message for key …`).
Values use one escaping convention: JSON escapes for control characters
(`\n`, `\u0000`) and `\xHH` for bytes that are not UTF-8. The console
shows values of more than 100 characters with the middle elided, keeping
both ends; `--report FILE.json` and `--junit FILE.xml` carry them whole
(up to 64 KiB), with each failing case's stderr. `--keep DIR` keeps each
failing case's scratch directory (input, output, `stdout`, `stderr`) as
`DIR/<case>`, to rerun it by hand. `--filter` takes comma-separated whole
case names, requirement IDs (`REQ-DEC-5`) or areas (`REQ-DEC`), matched
against each case's own requirement.

`--expect FILE` gates on known failures: one `<REQ-ID> <case>` per line.
A listed failure prints `XFAIL`, a failure not listed `NEW FAIL`, and a
listed failure that is gone `FIXED <REQ-ID> <case>`. The run fails on a
`NEW FAIL`, and with `--strict-expect` on a `FIXED` too. Every report
says the same as the exit status: `--junit` has one test case per case
(named after the case, classed by its own requirement, the blamed
requirements as properties), expected failures as `<skipped
message="expected failure: …">` and `failures` counting exactly the cases
that fail the run; `--summary-md` starts `### sqsdump conform: passed` or
`failed` and counts new and expected failures apart; `--report` has
`verdict`, `exit_status`, `totals` and every case's `status`
(`pass`, `fail`, `expected_failure`, `new_failure`, `fixed`).

Mistakes in the gate's setup stop it before any case runs, with exit
status 2 and one line `conform: <message>`: an unknown placeholder such as
`{flag}` (a shell's `${VAR}` is fine; wrap commands that need a literal
`{word}` in a script), an expectations line naming a requirement or case
that does not exist, a `--corpus DIR` that does not exist, a `--filter`
item that selects nothing. A template
without `{flags}` gets a warning naming how many cases pass flags. The
gate's own errors always start with `conform:`, never `error[`.

`expectations/upstream-head.txt` lists the failures of upstream's own
decoder, each a SPEC.md Decision; `UPSTREAM.md` explains them. Neither is
generated from the case definitions, and `sqsdump corpus` keeps both.

`sqsdump verify DIR` checks any dump tree against SPEC.md's structural
rules without an expected tree.

## Cases
"#;

type IndexRow = (String, String, String, String);

const README_ENCODE: &str = r#"
## The encode direction

`encode/` holds the cases of the restore direction (dump tree → `.fsm`,
SPEC.md REQ-ENC, REQ-CONF-10), one directory per case named
`<REQ-ID>-<slug>` like the decode cases:

| file | content |
|---|---|
| `input/` | the dump tree to encode: `MANIFEST.json`, `CHECKSUMS`, `sqs/…` |
| `flags` | encode flags, one per line; empty for none. Only `--last-commit-ts=N` occurs |
| `description` | one line saying what the case shows; `[Decision]` marks a deliberate difference from upstream |
| `expected.fsm` | the exact snapshot a conforming encoder writes |
| `expected-error` | instead of `expected.fsm`: the error class (one line, e.g. `checksum_mismatch`) |
| `expected-stderr` | with `expected-error`: sqsdump's own error line for the input (the message is not judged) |

To run an encoder on a case, copy `input/` to a scratch directory and run
it with an output path that does not exist, e.g.
`myencoder --input input --output out/restored.fsm $(cat flags)`. With
`expected.fsm` it must exit 0 and write exactly those bytes; other files
it writes beside the snapshot (upstream's `OUT.fsm.encode_info.json`) are
not judged, but it must not change the input or write anywhere else.
With `expected-error` it must reject the input cleanly (exit status 1
or 2), leave nothing at the output path, and print `error[<class>]:
<message>` on stderr with the case's class, as for the decode cases. The
classes the encode cases use (SPEC.md REQ-ENC-5): `invalid_manifest` (a
missing, unparsable or inconsistent `MANIFEST.json`), `unsupported_dump`
(a dump written with options a restore cannot honour), `invalid_checksums`
(a missing or malformed `CHECKSUMS`, or one that omits a file),
`checksum_mismatch` (a file whose bytes do not match `CHECKSUMS`),
`unexpected_entry` (a file, directory or symlink outside the dump
layout), `invalid_queue_file` (a `_queue.json` that does not parse or
breaks a rule), `directory_mismatch` (a queue directory whose name is not
its queue's encoded name), `invalid_message_line` (a `messages.jsonl` line
that does not parse or breaks a rule), `invalid_partition` (a partition
out of range or not the group's lane), `duplicate_message_id` (one
message id twice in a queue) and `commit_ts_regression` (a
`--last-commit-ts` below the dump's).
A case may hold `symlinks`: one `<path>\t<target>` per line, symlinks
to make in the copy of `input/` (the corpus itself holds plain files
only).

`sqsdump conform --direction encode --impl 'myencoder --input {input} --output {output} {flags}'`
does this for every case and blames each difference of the snapshots on
the requirement that governs the differing record (entries are compared
by key, values field by field).
`expectations/upstream-encode-head.txt` lists the failures of upstream's
encoder, each a SPEC.md Decision.

### Encode cases
"#;

fn readme(index: &[IndexRow], enc_index: &[IndexRow]) -> String {
    let mut out = README_HEAD.replace("{SPEC_VERSION}", SPEC_VERSION);
    let _ = writeln!(out);
    let _ = writeln!(out, "{} cases.", index.len());
    let _ = writeln!(out);
    index_table(&mut out, index);
    out.push_str(README_ENCODE);
    let _ = writeln!(out);
    let _ = writeln!(out, "{} cases.", enc_index.len());
    let _ = writeln!(out);
    index_table(&mut out, enc_index);
    out
}

fn index_table(out: &mut String, index: &[IndexRow]) {
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
// REQ-CONF-2
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
    let count = |prefix: &str| {
        files
            .keys()
            .filter_map(|p| p.strip_prefix(prefix)?.split_once('/').map(|(d, _)| d))
            .filter(|d| d.starts_with("REQ-"))
            .collect::<std::collections::BTreeSet<_>>()
            .len()
    };
    crate::cli::out(format_args!(
        "wrote {} decode and {} encode cases to {}",
        count(""),
        count(&format!("{}/", enc::ENCODE_DIR)),
        args.output.display()
    ));
    Ok(true)
}

/// The corpus built into this binary, written to a temporary directory
/// that is removed when this value is dropped (REQ-CONF-20).
#[derive(Debug)]
pub struct BuiltinCorpus {
    dir: tempfile::TempDir,
}

impl BuiltinCorpus {
    /// Generate the corpus (the files `sqsdump corpus` writes) into a new
    /// temporary directory.
    // REQ-CONF-20
    pub fn write() -> Result<BuiltinCorpus, Error> {
        let files = generate().map_err(|problems| {
            Error::io(
                "generating the built-in corpus".to_string(),
                io::Error::other(problems.join("; ")),
            )
        })?;
        let dir = tempfile::Builder::new()
            .prefix("sqsdump-builtin-corpus-")
            .tempdir()
            .map_err(|e| {
                Error::io(
                    "creating a directory for the built-in corpus".to_string(),
                    e,
                )
            })?;
        let corpus = BuiltinCorpus { dir };
        write_corpus(&files, &corpus.path())?;
        Ok(corpus)
    }

    /// The corpus directory.
    pub fn path(&self) -> PathBuf {
        self.dir.path().join("conformance")
    }
}

/// Entries of `conformance/` that are not generated from the case
/// definitions and are kept when the corpus is rewritten: the
/// expectation baselines of other implementations and their account
/// (REQ-CONF-9).
pub const KEPT: [&str; 2] = ["expectations", "UPSTREAM.md"];

/// Write a generated corpus to `out`, replacing an earlier corpus there.
///
/// The new tree is written in a staging directory beside `out`; an
/// existing corpus is then moved aside into it and the new one renamed
/// into place. Anything at `out` that does not look like a corpus is refused
/// (never deleted).
// REQ-CONF-2
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
                || ((name.starts_with("REQ-") || name == enc::ENCODE_DIR) && kind.is_dir())
                || KEPT.contains(&name.as_str());
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
    let staging = Staging::beside(out, StagingKind::Dump, None)?;
    let fresh = staging.path().join("new");
    write::write_tree(&model, fresh.clone(), None)?;
    let old_dir = staging.path().join("old");
    staging.commit_with(|| {
        if existing {
            fs::rename(out, &old_dir).map_err(|e| {
                Error::io(
                    format!("moving the old corpus aside from {}", out.display()),
                    e,
                )
            })?;
        }
        // The files about the corpus that are not generated move along.
        for name in KEPT {
            let kept = old_dir.join(name);
            if fs::symlink_metadata(&kept).is_ok() {
                fs::rename(&kept, fresh.join(name))
                    .map_err(|e| Error::io(format!("keeping {name}"), e))?;
            }
        }
        fs::rename(&fresh, out).map_err(|e| {
            Error::io(
                format!("moving the corpus into place at {}", out.display()),
                e,
            )
        })
    })
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
    fn every_row_becomes_one_case_with_its_kind_of_input() {
        let all = cases();
        let rows: usize = TABLES.iter().map(|t| t.len()).sum();
        assert_eq!(all.len(), rows);
        for case in &all {
            let dir = case.data_dir.is_some();
            assert_eq!(dir, case.input.is_empty(), "{}", case.name);
            assert_eq!(dir, case.name.starts_with("REQ-NODE-"), "{}", case.name);
        }
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
