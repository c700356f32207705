//! The encode section of the corpus (REQ-CONF-10): dump trees and the
//! `.fsm` bytes (or error class) `sqsdump encode` gives them, one case per
//! observable REQ-ENC-* behaviour.
//!
//! The cases are rows of two tables (restores, then errors). Each input is
//! a dump `decode` writes (a snapshot built here, decoded in memory with
//! [`super::expected_outcome`]), then edited where the case needs a
//! damaged dump; [`resum`] rewrites `CHECKSUMS` after an edit unless the
//! case is about `CHECKSUMS`. One builder does this for every row. The
//! expected outcome is sqsdump's own encode of the input, checked against
//! the case's intent ([`EncExpect`]) when the corpus is generated:
//!
//! ```text
//! encode/<REQ-ID>-<slug>/input/…          the dump tree
//! encode/<REQ-ID>-<slug>/flags            encode flags, one per line (may be empty)
//! encode/<REQ-ID>-<slug>/description      one line: what the case shows
//! encode/<REQ-ID>-<slug>/expected.fsm     the exact snapshot, or
//! encode/<REQ-ID>-<slug>/expected-error   the error class and a newline
//! encode/<REQ-ID>-<slug>/expected-stderr  with it: sqsdump's own error line
//! ```
//!
//! The corpus is written and read as plain files, so a symlink of the
//! input (REQ-ENC-6) is listed in the case's `symlinks` file, one
//! `<path>\t<target>` per line, and made by whoever copies the input.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use super::{
    data_key, expected_outcome, meta, meta_key, msg, options_from_flags, pdata_key, Snap, PRESERVE,
    SIDE, T0,
};
use crate::encode::tree::MemSource;
use crate::encode::{encode_to_vec, EncodeOptions};
use crate::fsm::{Entry, Reader};
use crate::key::{build, KeyParts};
use crate::manifest::{CHECKSUMS_FILE, MANIFEST_FILE};
use crate::Error;

/// The directory of the encode section inside the corpus.
pub const ENCODE_DIR: &str = "encode";
/// Name of the input dump tree in an encode case directory.
pub const INPUT_DIR: &str = "input";
/// Name of the expected snapshot in an encode case directory.
pub const EXPECTED_FSM: &str = "expected.fsm";
/// Name of the list of symlinks to make in the input, when there are any.
pub const SYMLINKS_FILE: &str = "symlinks";
/// The one encode flag a case may carry, as `--last-commit-ts=N`.
pub const LAST_COMMIT_TS_FLAG: &str = "--last-commit-ts";

/// What an encode case must show; checked when the corpus is generated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EncExpect {
    /// The encode fails with this error class.
    Error(&'static str),
    /// The header's `last_commit_ts`.
    Header(u64),
    /// The snapshot holds this many entries.
    Entries(usize),
    /// A version of this user key is written.
    HasKey(Vec<u8>),
    /// No user key starts with this prefix.
    NoKeyWith(Vec<u8>),
    /// The value body of this user key contains this text.
    ValueHas(Vec<u8>, String),
}

/// One encode case.
#[derive(Debug, Clone)]
pub struct EncodeCase {
    /// `<REQ-ID>-<slug>`.
    pub name: String,
    /// One line: what the case shows.
    pub description: String,
    /// Encode flags, one per line in the case's `flags`.
    pub flags: Vec<String>,
    /// The dump tree: relative path → bytes.
    pub input: BTreeMap<String, Vec<u8>>,
    /// Symlinks of the input: relative path → target.
    pub symlinks: BTreeMap<String, String>,
    /// The intent.
    pub expect: Vec<EncExpect>,
}

/// Encode flags to options. Unknown flags are an error message.
pub fn encode_options_from_flags<S: AsRef<str>>(flags: &[S]) -> Result<EncodeOptions, String> {
    let mut opts = EncodeOptions::default();
    for f in flags {
        let f = f.as_ref();
        match f
            .strip_prefix(LAST_COMMIT_TS_FLAG)
            .and_then(|r| r.strip_prefix('='))
        {
            Some(n) => {
                opts.last_commit_ts = Some(
                    n.parse()
                        .map_err(|_| format!("bad encode flag value {f:?}"))?,
                )
            }
            None => return Err(format!("unknown encode flag {f:?}")),
        }
    }
    Ok(opts)
}

/// What `sqsdump encode --input DIR --output OUT.fsm FLAGS` writes for the
/// dump `input`: the snapshot bytes, or the error.
pub fn expected_encode(
    input: &BTreeMap<String, Vec<u8>>,
    symlinks: &BTreeMap<String, String>,
    opts: &EncodeOptions,
) -> Result<Vec<u8>, Error> {
    let src = MemSource {
        files: input.clone(),
        symlinks: symlinks.keys().cloned().collect(),
    };
    encode_to_vec(&src, opts).map(|(bytes, _)| bytes)
}

/// `CHECKSUMS` rewritten for the tree's current files, as `decode` writes
/// it (sorted `sha256sum` lines of every other file).
pub fn resum(files: &mut BTreeMap<String, Vec<u8>>) {
    let mut out = Vec::new();
    for (path, bytes) in files.iter() {
        if path != CHECKSUMS_FILE {
            out.extend_from_slice(hex::encode(Sha256::digest(bytes)).as_bytes());
            out.extend_from_slice(b"  ");
            out.extend_from_slice(path.as_bytes());
            out.push(b'\n');
        }
    }
    files.insert(CHECKSUMS_FILE.to_string(), out);
}

/// The dump `decode` writes for `snap` with `flags`.
fn dump_of(snap: &Snap, flags: &[&str]) -> BTreeMap<String, Vec<u8>> {
    let opts = options_from_flags(flags).unwrap_or_default();
    match expected_outcome(&snap.bytes(), opts) {
        Ok(model) => model.files,
        // A broken case definition: generation reports it by intent.
        Err(_) => BTreeMap::new(),
    }
}

/// Check an encode case's intent against its outcome.
pub fn check_encode_intent(case: &EncodeCase, outcome: &Result<Vec<u8>, Error>) -> Vec<String> {
    let mut problems = Vec::new();
    let mut fail = |what: String| problems.push(format!("encode/{}: {what}", case.name));
    let parsed = outcome.as_ref().ok().map(|b| entries(b));
    for e in &case.expect {
        match (e, outcome, &parsed) {
            (EncExpect::Error(class), Err(err), _) if err.class() == *class => {}
            (EncExpect::Error(class), Err(err), _) => fail(format!(
                "expected error {class}, got {}: {err}",
                err.class()
            )),
            (EncExpect::Error(_), Ok(_), _) => {
                fail("expected an error, the encode succeeded".to_string())
            }
            (_, Err(err), _) => fail(format!("unexpected error {}: {err}", err.class())),
            (_, Ok(_), None) | (_, Ok(_), Some(Err(_))) => {
                fail("the snapshot does not read back".to_string())
            }
            (EncExpect::Header(ts), Ok(_), Some(Ok((h, _)))) => {
                if h != ts {
                    fail(format!("header last_commit_ts {h}, expected {ts}"));
                }
            }
            (EncExpect::Entries(n), Ok(_), Some(Ok((_, es)))) => {
                if es.len() != *n {
                    fail(format!("{} entries, expected {n}", es.len()));
                }
            }
            (EncExpect::HasKey(k), Ok(_), Some(Ok((_, es)))) => {
                if !es.iter().any(|(key, _)| key == k) {
                    fail(format!("no key {}", String::from_utf8_lossy(k)));
                }
            }
            (EncExpect::NoKeyWith(p), Ok(_), Some(Ok((_, es)))) => {
                if es.iter().any(|(key, _)| key.starts_with(p)) {
                    fail(format!("a key starts with {}", String::from_utf8_lossy(p)));
                }
            }
            (EncExpect::ValueHas(k, text), Ok(_), Some(Ok((_, es)))) => {
                let v = es.iter().find(|(key, _)| key == k).map(|(_, v)| v);
                if !v.is_some_and(|v| String::from_utf8_lossy(v).contains(text.as_str())) {
                    fail(format!(
                        "the value of {} lacks {text:?}",
                        String::from_utf8_lossy(k)
                    ));
                }
            }
        }
    }
    problems
}

/// Header and (user key, value body) of every version of a snapshot.
type Parsed = (u64, Vec<(Vec<u8>, Vec<u8>)>);

fn entries(fsm: &[u8]) -> Result<Parsed, crate::Error> {
    let mut r = Reader::new(fsm)?;
    let mut out = Vec::new();
    while let Some(e) = r.next_entry()? {
        if let Entry::Version(v) = e {
            out.push((v.user_key, v.body));
        }
    }
    Ok((r.last_commit_ts(), out))
}

/// The files of one encode case directory, relative to the corpus root.
pub fn render_encode_case(
    case: &EncodeCase,
    outcome: &Result<Vec<u8>, Error>,
    out: &mut BTreeMap<String, Vec<u8>>,
) {
    let dir = format!("{ENCODE_DIR}/{}", case.name);
    for (path, bytes) in &case.input {
        out.insert(format!("{dir}/{INPUT_DIR}/{path}"), bytes.clone());
    }
    let mut flags = String::new();
    for f in &case.flags {
        flags.push_str(f);
        flags.push('\n');
    }
    out.insert(format!("{dir}/{}", super::FLAGS_FILE), flags.into_bytes());
    if !case.symlinks.is_empty() {
        let mut list = String::new();
        for (path, target) in &case.symlinks {
            list.push_str(&format!("{path}\t{target}\n"));
        }
        out.insert(format!("{dir}/{SYMLINKS_FILE}"), list.into_bytes());
    }
    out.insert(
        format!("{dir}/{}", super::DESCRIPTION_FILE),
        format!("{}\n", case.description).into_bytes(),
    );
    match outcome {
        Ok(bytes) => {
            out.insert(format!("{dir}/{EXPECTED_FSM}"), bytes.clone());
        }
        Err(err) => {
            out.insert(
                format!("{dir}/{}", super::EXPECTED_ERROR_FILE),
                format!("{}\n", err.class()).into_bytes(),
            );
            out.insert(
                format!("{dir}/{}", super::EXPECTED_STDERR_FILE),
                format!("error[{}]: {err}\n", err.class()).into_bytes(),
            );
        }
    }
}

// ---------------------------------------------------------------------------
// The cases

/// A dump tree: relative path → bytes.
type Files = BTreeMap<String, Vec<u8>>;

/// How an encode case's input dump is made from a snapshot.
#[derive(Clone, Copy)]
enum Dump {
    /// The dump `decode` writes for the snapshot.
    Of(fn() -> Snap),
    /// The dump `decode` writes for the snapshot with these decode flags.
    Flagged(fn() -> Snap, &'static [&'static str]),
    /// The dump of the snapshot, edited; `CHECKSUMS` is then rewritten
    /// for the edited files, so only the edit is wrong.
    Edited(fn() -> Snap, Edit),
    /// The dump of the snapshot, edited; `CHECKSUMS` is left as it was
    /// (the case is about `CHECKSUMS`).
    Tampered(fn() -> Snap, Edit),
}

/// One change to a dump tree.
#[derive(Clone, Copy)]
enum Edit {
    /// Replace every occurrence of a text in a file: path, from, to.
    Replace(&'static str, &'static str, &'static str),
    /// Remove a file.
    Remove(&'static str),
    /// Add a file, or replace its bytes.
    Put(&'static str, &'static [u8]),
    /// Any other change.
    With(fn(&mut Files)),
}

impl Edit {
    fn apply(self, files: &mut Files) {
        match self {
            Edit::Replace(path, from, to) => {
                if let Some(b) = files.get_mut(path) {
                    *b = String::from_utf8_lossy(b).replace(from, to).into_bytes();
                }
            }
            Edit::Remove(path) => {
                files.remove(path);
            }
            Edit::Put(path, bytes) => {
                files.insert(path.to_string(), bytes.to_vec());
            }
            Edit::With(change) => change(files),
        }
    }
}

/// One row of an encode case table: the case's name, its one-line note,
/// its encode flags, how its input dump is made, the symlinks of that
/// input, and what the encode must show.
struct EncRow {
    name: &'static str,
    note: &'static str,
    flags: &'static [&'static str],
    input: Dump,
    symlinks: &'static [(&'static str, &'static str)],
    expect: fn() -> Vec<EncExpect>,
}

impl EncRow {
    /// Build the case this row describes.
    fn case(&self) -> EncodeCase {
        let input = match self.input {
            Dump::Of(snap) => dump_of(&snap(), &[]),
            Dump::Flagged(snap, flags) => dump_of(&snap(), flags),
            Dump::Edited(snap, edit) => {
                let mut files = dump_of(&snap(), &[]);
                edit.apply(&mut files);
                resum(&mut files);
                files
            }
            Dump::Tampered(snap, edit) => {
                let mut files = dump_of(&snap(), &[]);
                edit.apply(&mut files);
                files
            }
        };
        EncodeCase {
            name: self.name.to_string(),
            description: self.note.to_string(),
            flags: self.flags.iter().map(|f| f.to_string()).collect(),
            input,
            symlinks: self
                .symlinks
                .iter()
                .map(|(p, t)| (p.to_string(), t.to_string()))
                .collect(),
            expect: (self.expect)(),
        }
    }
}

fn error(class: &'static str) -> EncExpect {
    EncExpect::Error(class)
}

fn has_key(parts: KeyParts) -> EncExpect {
    EncExpect::HasKey(build(&parts))
}

fn value_has(parts: KeyParts, text: &str) -> EncExpect {
    EncExpect::ValueHas(build(&parts), text.to_string())
}

fn data(q: &str, id: &str) -> KeyParts {
    KeyParts::MsgData {
        queue: q.as_bytes().to_vec(),
        partition: None,
        gen: 1,
        message_id: id.as_bytes().to_vec(),
    }
}

fn q_meta(q: &[u8]) -> KeyParts {
    KeyParts::QueueMeta { queue: q.to_vec() }
}

fn f_dedup(id: &[u8]) -> KeyParts {
    KeyParts::MsgDedup {
        queue: b"f.fifo".to_vec(),
        partition: None,
        gen: 1,
        dedup_id: id.to_vec(),
    }
}

/// Every encode case, in a fixed order.
pub fn encode_cases() -> Vec<EncodeCase> {
    SUCCESS.iter().chain(ERRORS).map(EncRow::case).collect()
}

use Dump::{Edited, Flagged, Of, Tampered};
use Edit::{Put, Remove, Replace, With};

/// The files of the `orders` dump that error cases damage.
const MSGS: &str = "sqs/orders/messages.jsonl";
const QFILE: &str = "sqs/orders/_queue.json";

const SUCCESS: &[EncRow] = &[
    EncRow {
        name: "REQ-ENC-1-standard-queue",
        note: "a standard queue restores to meta, gen 1, data rows with zeroed visibility, one commit ts",
        flags: &[],
        input: Of(orders),
        symlinks: &[],
        expect: || {
            vec![
                EncExpect::Header(1000),
                has_key(KeyParts::QueueGen {
                    queue: b"orders".to_vec(),
                }),
                value_has(
                    data("orders", "o-1"),
                    r#""visible_at_millis":0,"receive_count":0"#,
                ),
                value_has(data("orders", "o-2"), r#""queue_generation":1"#),
                value_has(q_meta(b"orders"), r#""generation":1"#),
            ]
        },
    },
    EncRow {
        name: "REQ-ENC-1-last-commit-ts-override",
        note: "--last-commit-ts raises the header's and every key's commit ts",
        flags: &["--last-commit-ts=5000"],
        input: Of(orders),
        symlinks: &[],
        expect: || vec![EncExpect::Header(5000)],
    },
    EncRow {
        name: "REQ-ENC-1-override-below-manifest",
        note: "--last-commit-ts below the manifest's last_commit_ts is commit_ts_regression",
        flags: &["--last-commit-ts=999"],
        input: Of(orders),
        symlinks: &[],
        expect: || vec![error("commit_ts_regression")],
    },
    EncRow {
        name: "REQ-ENC-1-empty-queue",
        note: "a queue without messages restores to its meta and gen rows only",
        flags: &[],
        input: Of(|| one_queue("idle", &[])),
        symlinks: &[],
        expect: || vec![EncExpect::Entries(2)],
    },
    EncRow {
        name: "REQ-ENC-1-partitioned-queue",
        note: "an HT-FIFO queue restores to the partitioned key families, each message on its lane",
        flags: &[],
        input: Of(ht_fifo),
        symlinks: &[],
        expect: || {
            vec![has_key(KeyParts::MsgData {
                queue: b"ht.fifo".to_vec(),
                partition: Some(crate::encode::model::partition_for(&ht_config(), "g-a")),
                gen: 1,
                message_id: b"h-0".to_vec(),
            })]
        },
    },
    EncRow {
        name: "REQ-ENC-8-fifo-explicit-dedup",
        note: "FIFO: a dedup row per explicit dedup id, the latest send owning it, and the seq counter",
        flags: &[],
        input: Of(|| {
            fifo(
                "",
                &[
                    ("m-1", "g", "same", T0, 1),
                    ("m-2", "g", "same", T0 + 10, 2),
                    ("m-3", "h", "other", T0 + 20, 3),
                ],
            )
        }),
        symlinks: &[],
        expect: || {
            vec![
                value_has(f_dedup(b"same"), r#""message_id":"m-2""#),
                value_has(
                    KeyParts::QueueSeq {
                        queue: b"f.fifo".to_vec(),
                    },
                    "3",
                ),
                EncExpect::NoKeyWith(b"!sqs|msg|group|".to_vec()),
            ]
        },
    },
    EncRow {
        name: "REQ-ENC-8-fifo-content-based-dedup",
        note: "FIFO with content-based dedup: the dedup row is keyed by the body's SHA-256",
        flags: &[],
        input: Of(|| {
            fifo(
                r#","content_based_dedup":true"#,
                &[("c-1", "g", "", T0, 1), ("c-2", "g", "", T0 + 1, 2)],
            )
        }),
        symlinks: &[],
        expect: || {
            let body_hash = hex::encode(Sha256::digest(b"body of c-1"));
            vec![has_key(f_dedup(body_hash.as_bytes()))]
        },
    },
    EncRow {
        name: "REQ-ENC-7-raw-attribute-values",
        note: "[Decision] message_attributes are restored byte for byte: <, >, & and U+2028 stay raw (upstream re-escapes them)",
        flags: &[],
        input: Of(|| {
            let attrs = format!(
                r#","message_attributes":{{"k":{{"DataType":"String","StringValue":"<&> {}"}}}}"#,
                '\u{2028}'
            );
            one_queue("a", &[("x", b"b", T0, &attrs)])
        }),
        symlinks: &[],
        expect: || vec![value_has(data("a", "x"), "\"StringValue\":\"<&> \u{2028}\"")],
    },
    EncRow {
        name: "REQ-ENC-9-tags",
        note: "[Decision] queue tags are restored into the meta record (upstream's encoder drops them)",
        flags: &[],
        input: Of(|| {
            let mut s = Snap::new();
            s.put(
                &meta_key(b"t"),
                10,
                &meta("t", r#","tags":{"team":"platform","env":"a&b"}"#),
            );
            s
        }),
        symlinks: &[],
        expect: || {
            vec![value_has(
                q_meta(b"t"),
                r#""tags":{"env":"a\u0026b","team":"platform"}"#,
            )]
        },
    },
    EncRow {
        name: "REQ-ENC-10-key-order",
        note: "entries are in encoded key order across queues whose names and ids are prefixes of one another",
        flags: &[],
        input: Of(prefix_names),
        symlinks: &[],
        expect: || vec![EncExpect::Entries(4 * (2 + 4 * 3))],
    },
    EncRow {
        name: "REQ-ENC-1-all-message-fields",
        note: "every message field a dump line can hold is restored into the message record",
        flags: &[],
        input: Of(|| {
            one_queue(
                "full",
                &[(
                    "f-1",
                    b"<hello & bye>",
                    T0,
                    r#","md5_of_body":"5d41402abc4b2a76b9719d911017c592","md5_of_message_attributes":"0123456789abcdef0123456789abcdef","message_attributes":{"n":{"DataType":"Number","StringValue":"1"},"b":{"DataType":"Binary","BinaryValue":"AAE="}},"sender_id":"AIDAEXAMPLE","dead_letter_source_arn":"arn:aws:sqs:us-east-1:1:src","available_at_millis":1700000009000"#,
                )],
            )
        }),
        symlinks: &[],
        expect: || vec![value_has(data("full", "f-1"), r#""sender_id":"AIDAEXAMPLE""#)],
    },
    EncRow {
        name: "REQ-ENC-1-all-queue-fields",
        note: "every queue field, policies and HT-FIFO strings included, is restored into the meta record",
        flags: &[],
        input: Of(|| {
            let mut s = Snap::new();
            s.put(
                &meta_key(b"all.fifo"),
                10,
                &super::meta_raw(
                    br#"{"name":"all.fifo","is_fifo":true,"content_based_dedup":true,"visibility_timeout_seconds":45,"message_retention_seconds":86400,"delay_seconds":2,"receive_message_wait_seconds":20,"maximum_message_size":1024,"redrive_policy":"{\"deadLetterTargetArn\":\"arn:aws:sqs:us-east-1:1:dlq.fifo\",\"maxReceiveCount\":3}","redrive_allow_policy":"{\"redrivePermission\":\"allowAll\"}","partition_count":2,"fifo_throughput_limit":"perQueue","deduplication_scope":"messageGroup"}"#,
                ),
            );
            s
        }),
        symlinks: &[],
        expect: || {
            vec![value_has(
                q_meta(b"all.fifo"),
                r#""fifo_throughput_limit":"perQueue""#,
            )]
        },
    },
    EncRow {
        name: "REQ-ENC-1-percent-encoded-directory",
        note: "a queue whose name needs percent-encoding restores from its encoded directory",
        flags: &[],
        input: Of(|| one_queue("café / menü?", &[("m", b"x", T0, "")])),
        symlinks: &[],
        expect: || vec![has_key(q_meta("café / menü?".as_bytes()))],
    },
    EncRow {
        name: "REQ-ENC-1-no-queues",
        note: "a dump without queues restores to a snapshot with the header only",
        flags: &[],
        input: Of(Snap::new),
        symlinks: &[],
        expect: || vec![EncExpect::Entries(0), EncExpect::Header(1000)],
    },
    EncRow {
        name: "REQ-ENC-8-negative-times",
        note: "negative send and available times clamp to 0 in the vis and byage keys",
        flags: &[],
        input: Of(|| one_queue("neg", &[("n-1", b"x", -5, "")])),
        symlinks: &[],
        expect: || {
            vec![has_key(KeyParts::MsgByAge {
                queue: b"neg".to_vec(),
                partition: None,
                gen: 1,
                send_ts: 0,
                message_id: b"n-1".to_vec(),
            })]
        },
    },
    EncRow {
        name: "REQ-ENC-8-send-time-tie",
        note: "of messages with one dedup id sent in the same millisecond, the first line owns the dedup row",
        flags: &[],
        input: Of(|| {
            fifo(
                "",
                &[
                    ("t-2", "g", "d", T0, 1),
                    ("t-0", "g", "d", T0, 2),
                    ("t-1", "g", "d", T0, 2),
                ],
            )
        }),
        symlinks: &[],
        expect: || vec![value_has(f_dedup(b"d"), r#""message_id":"t-2""#)],
    },
    EncRow {
        name: "REQ-ENC-15-manifest-without-wall-time",
        note: "[Decision] a manifest without wall_time_iso (a dump of an older sqsdump) restores (upstream refuses it)",
        flags: &[],
        input: Edited(orders, With(|d| drop_lines(d, MANIFEST_FILE, "\"wall_time_iso\""))),
        symlinks: &[],
        expect: || vec![EncExpect::Header(1000)],
    },
    EncRow {
        name: "REQ-ENC-14-non-utf8-queue-name",
        note: "[Decision] a queue name that is not UTF-8 is restored under its raw bytes from the directory (upstream restores the lossy name)",
        flags: &[],
        input: Of(|| {
            let mut s = Snap::new();
            s.put(&meta_key(b"q\xff"), 10, &meta("", ""));
            s.put(
                &data_key(b"q\xff", 1, b"m"),
                100,
                &msg("m", b"x", T0, 1, ""),
            );
            s
        }),
        symlinks: &[],
        expect: || vec![has_key(q_meta(b"q\xff"))],
    },
    EncRow {
        name: "REQ-ENC-21-body-over-maximum-size",
        note: "a body longer than its queue's maximum_message_size is restored as it is (upstream too; sqsdump also warns on stderr)",
        flags: &[],
        input: Of(|| {
            let mut s = Snap::new();
            s.put(
                &meta_key(b"small"),
                10,
                &meta("small", r#","maximum_message_size":1024"#),
            );
            s.put(
                &data_key(b"small", 1, b"big"),
                100,
                &msg("big", &[b'x'; 1025], T0, 1, ""),
            );
            s
        }),
        symlinks: &[],
        // 1025 bytes of `x`: standard base64 `eHh4` repeated, ending `eHg=`.
        expect: || {
            vec![value_has(
                data("small", "big"),
                &format!(r#""body":"{}eHg=""#, "eHh4".repeat(341)),
            )]
        },
    },
];

const ERRORS: &[EncRow] = &[
    EncRow {
        name: "REQ-ENC-2-missing-manifest",
        note: "a dump without MANIFEST.json is invalid_manifest",
        flags: &[],
        input: Edited(orders, Remove(MANIFEST_FILE)),
        symlinks: &[],
        expect: || vec![error("invalid_manifest")],
    },
    EncRow {
        name: "REQ-ENC-2-manifest-not-json",
        note: "a MANIFEST.json that does not parse is invalid_manifest",
        flags: &[],
        input: Edited(orders, Put(MANIFEST_FILE, b"{\"format_version\":1,")),
        symlinks: &[],
        expect: || vec![error("invalid_manifest")],
    },
    EncRow {
        name: "REQ-ENC-2-manifest-format-version",
        note: "a MANIFEST.json with another format_version is invalid_manifest",
        flags: &[],
        input: Edited(
            orders,
            Replace(
                MANIFEST_FILE,
                "\"format_version\": 1",
                "\"format_version\": 2",
            ),
        ),
        symlinks: &[],
        expect: || vec![error("invalid_manifest")],
    },
    EncRow {
        name: "REQ-ENC-2-side-records-refused",
        note: "a dump taken with --include-sqs-side-records is refused as unsupported_dump",
        flags: &[],
        input: Flagged(orders, &[SIDE]),
        symlinks: &[],
        expect: || vec![error("unsupported_dump")],
    },
    EncRow {
        name: "REQ-ENC-2-preserved-visibility-refused",
        note: "a dump taken with --preserve-sqs-visibility is refused as unsupported_dump",
        flags: &[],
        input: Flagged(orders, &[PRESERVE]),
        symlinks: &[],
        expect: || vec![error("unsupported_dump")],
    },
    EncRow {
        name: "REQ-ENC-3-tampered-messages",
        note: "[Decision] a message file whose SHA-256 differs from CHECKSUMS is checksum_mismatch (upstream never reads CHECKSUMS)",
        flags: &[],
        input: Tampered(orders, Replace(MSGS, "A-1", "B-2")),
        symlinks: &[],
        expect: || vec![error("checksum_mismatch")],
    },
    EncRow {
        name: "REQ-ENC-3-truncated-messages",
        note: "[Decision] a message file cut after its first line is checksum_mismatch (upstream restores the rest silently)",
        flags: &[],
        input: Tampered(
            orders,
            With(|d| {
                if let Some(b) = d.get_mut(MSGS) {
                    let keep = b.iter().position(|&c| c == b'\n').map_or(0, |i| i + 1);
                    b.truncate(keep);
                }
            }),
        ),
        symlinks: &[],
        expect: || vec![error("checksum_mismatch")],
    },
    EncRow {
        name: "REQ-ENC-3-missing-checksums",
        note: "[Decision] a dump without CHECKSUMS is invalid_checksums",
        flags: &[],
        input: Tampered(orders, Remove(CHECKSUMS_FILE)),
        symlinks: &[],
        expect: || vec![error("invalid_checksums")],
    },
    EncRow {
        name: "REQ-ENC-3-unlisted-file",
        note: "[Decision] a file CHECKSUMS does not list is invalid_checksums",
        flags: &[],
        input: Tampered(orders, With(|d| drop_lines(d, CHECKSUMS_FILE, MSGS))),
        symlinks: &[],
        expect: || vec![error("invalid_checksums")],
    },
    EncRow {
        name: "REQ-ENC-4-bad-message-line",
        note: "a messages.jsonl line that does not parse is invalid_message_line",
        flags: &[],
        input: Edited(
            orders,
            Replace(MSGS, "{\"message_id\":\"o-2\"", "{\"message_id\":\"o-2\","),
        ),
        symlinks: &[],
        expect: || vec![error("invalid_message_line")],
    },
    EncRow {
        name: "REQ-ENC-4-unknown-message-field",
        note: "[Decision] a message line with an unknown field is invalid_message_line (upstream ignores it)",
        flags: &[],
        input: Edited(
            orders,
            Replace(
                MSGS,
                "\"message_id\":\"o-2\"",
                "\"message_id\":\"o-2\",\"colour\":\"red\"",
            ),
        ),
        symlinks: &[],
        expect: || vec![error("invalid_message_line")],
    },
    EncRow {
        name: "REQ-ENC-4-field-name-case",
        note: "[Decision] field names are exact: Message_Id is invalid_message_line (upstream matches it case-insensitively)",
        flags: &[],
        input: Edited(
            orders,
            Replace(MSGS, "\"message_id\":\"o-2\"", "\"Message_Id\":\"o-2\""),
        ),
        symlinks: &[],
        expect: || vec![error("invalid_message_line")],
    },
    EncRow {
        name: "REQ-ENC-4-invalid-queue-file",
        note: "a _queue.json field of the wrong type is invalid_queue_file",
        flags: &[],
        input: Edited(
            orders,
            Replace(QFILE, "\"delay_seconds\": 0", "\"delay_seconds\": \"0\""),
        ),
        symlinks: &[],
        expect: || vec![error("invalid_queue_file")],
    },
    EncRow {
        name: "REQ-ENC-4-directory-mismatch",
        note: "[Decision] a queue directory that is not the encoding of its queue name is directory_mismatch",
        flags: &[],
        // The queue's files under another directory (the manifest still
        // lists the name in _queue.json).
        input: Edited(
            orders,
            With(|d| {
                *d = std::mem::take(d)
                    .into_iter()
                    .map(|(p, b)| (p.replace("sqs/orders/", "sqs/shipments/"), b))
                    .collect();
            }),
        ),
        symlinks: &[],
        expect: || vec![error("directory_mismatch")],
    },
    EncRow {
        name: "REQ-ENC-4-partition-out-of-range",
        note: "a partition at or above partition_count is invalid_partition",
        flags: &[],
        input: Edited(
            partitioned_for_damage,
            Replace(
                "sqs/p.fifo/messages.jsonl",
                "\"partition\":0",
                "\"partition\":4",
            ),
        ),
        symlinks: &[],
        expect: || vec![error("invalid_partition")],
    },
    EncRow {
        name: "REQ-ENC-4-duplicate-message-id",
        note: "two lines of one queue with the same message_id are duplicate_message_id",
        flags: &[],
        input: Edited(orders, With(repeat_first_line)),
        symlinks: &[],
        expect: || vec![error("duplicate_message_id")],
    },
    EncRow {
        name: "REQ-ENC-16-queue-list-mismatch",
        note: "[Decision] a manifest whose adapters.sqs.queues differs from the queue directories is invalid_manifest (upstream ignores the list)",
        flags: &[],
        input: Edited(orders, Replace(MANIFEST_FILE, "\"orders\"", "\"other\"")),
        symlinks: &[],
        expect: || vec![error("invalid_manifest")],
    },
    EncRow {
        name: "REQ-ENC-4-lines-out-of-order",
        note: "[Decision] message lines out of decode's send order are invalid_message_line",
        flags: &[],
        input: Edited(
            orders,
            With(|d| {
                if let Some(b) = d.get_mut(MSGS) {
                    let text = String::from_utf8_lossy(b).into_owned();
                    *b = text
                        .lines()
                        .rev()
                        .map(|l| format!("{l}\n"))
                        .collect::<String>()
                        .into_bytes();
                }
            }),
        ),
        symlinks: &[],
        expect: || vec![error("invalid_message_line")],
    },
    EncRow {
        name: "REQ-ENC-4-missing-final-newline",
        note: "[Decision] a messages.jsonl whose last line has no newline is invalid_message_line",
        flags: &[],
        input: Edited(
            orders,
            With(|d| {
                if let Some(b) = d.get_mut(MSGS) {
                    b.pop();
                }
            }),
        ),
        symlinks: &[],
        expect: || vec![error("invalid_message_line")],
    },
    EncRow {
        name: "REQ-ENC-4-visibility-not-reset",
        note: "[Decision] a message with visibility state in a dump without preserved visibility is invalid_message_line",
        flags: &[],
        input: Edited(
            orders,
            Replace(
                MSGS,
                "\"visible_at_millis\":0",
                "\"visible_at_millis\":1700000030000",
            ),
        ),
        symlinks: &[],
        expect: || vec![error("invalid_message_line")],
    },
    EncRow {
        name: "REQ-ENC-4-padded-body-envelope",
        note: "a base64 body envelope that is not canonical unpadded base64url is invalid_message_line",
        flags: &[],
        input: Edited(orders, Replace(MSGS, "\"_wBiaW5hcnk\"", "\"_wBiaW5hcnk=\"")),
        symlinks: &[],
        expect: || vec![error("invalid_message_line")],
    },
    EncRow {
        name: "REQ-ENC-4-partition-not-group-lane",
        note: "a message whose partition is not the lane of its message group is invalid_partition",
        flags: &[],
        input: Edited(
            ht_fifo,
            Replace(
                "sqs/ht.fifo/messages.jsonl",
                "\"sequence_number\":1,\"partition\":0}",
                "\"sequence_number\":1,\"partition\":1}",
            ),
        ),
        symlinks: &[],
        expect: || vec![error("invalid_partition")],
    },
    EncRow {
        name: "REQ-ENC-4-partition-count-not-power-of-two",
        note: "a partition_count that is not a power of two is invalid_queue_file",
        flags: &[],
        input: Edited(
            ht_fifo,
            Replace(
                "sqs/ht.fifo/_queue.json",
                "\"partition_count\": 4",
                "\"partition_count\": 3",
            ),
        ),
        symlinks: &[],
        expect: || vec![error("invalid_queue_file")],
    },
    EncRow {
        name: "REQ-ENC-6-file-outside-the-layout",
        note: "[Decision] a file that is not part of the layout is unexpected_entry (upstream skips it silently)",
        flags: &[],
        input: Edited(orders, Put("sqs/orders/notes.txt", b"hello\n")),
        symlinks: &[],
        expect: || vec![error("unexpected_entry")],
    },
    EncRow {
        name: "REQ-ENC-6-symlinked-messages",
        note: "a symlink in the dump is never followed: unexpected_entry",
        flags: &[],
        // messages.jsonl is a symlink to /dev/null: an encoder that follows
        // it and ignores CHECKSUMS restores an empty queue.
        input: Tampered(orders, Remove(MSGS)),
        symlinks: &[(MSGS, "/dev/null")],
        expect: || vec![error("unexpected_entry")],
    },
    EncRow {
        name: "REQ-ENC-6-internals-directory",
        note: "[Decision] an _internals/ directory in a dump without side records is unexpected_entry (upstream skips it)",
        flags: &[],
        input: Edited(
            orders,
            Put("sqs/orders/_internals/side_records.jsonl", b"{}\n"),
        ),
        symlinks: &[],
        expect: || vec![error("unexpected_entry")],
    },
];

/// Remove the lines of the file at `path` that contain `text`.
fn drop_lines(files: &mut Files, path: &str, text: &str) {
    if let Some(b) = files.get_mut(path) {
        *b = String::from_utf8_lossy(b)
            .lines()
            .filter(|l| !l.contains(text))
            .map(|l| format!("{l}\n"))
            .collect::<String>()
            .into_bytes();
    }
}

/// Append a copy of the first message line of `orders`, sent 100 ms
/// later.
fn repeat_first_line(files: &mut Files) {
    if let Some(b) = files.get_mut(MSGS) {
        let text = String::from_utf8_lossy(b).into_owned();
        if let Some(first) = text.lines().next() {
            let again = first.replace(
                &format!("\"send_timestamp_millis\":{T0}"),
                &format!("\"send_timestamp_millis\":{}", T0 + 100),
            );
            *b = format!("{text}{again}\n").into_bytes();
        }
    }
}

/// A standard queue `orders`: a text body, a binary body, attributes.
fn orders() -> Snap {
    let mut s = Snap::new();
    s.put(&meta_key(b"orders"), 10, &meta("orders", ""));
    s.put(&super::gen_key(b"orders"), 10, b"3");
    s.put(
        &data_key(b"orders", 3, b"o-1"),
        100,
        &msg("o-1", b"{\"sku\":\"A-1\"}", T0, 3, ""),
    );
    s.put(
        &data_key(b"orders", 3, b"o-2"),
        101,
        &msg("o-2", b"\xff\x00binary", T0 + 7, 3, ""),
    );
    s
}

/// A standard queue `name` without a gen record, holding messages
/// (id, body, send time, extra message JSON) of gen 1 at commit ts 100.
fn one_queue(name: &str, messages: &[(&str, &[u8], i64, &str)]) -> Snap {
    let mut s = Snap::new();
    let q = name.as_bytes();
    s.put(&meta_key(q), 10, &meta(name, ""));
    for (id, body, ts, extra) in messages {
        s.put(
            &data_key(q, 1, id.as_bytes()),
            100,
            &msg(id, body, *ts, 1, extra),
        );
    }
    s
}

/// Queue names and message ids that are prefixes of one another.
fn prefix_names() -> Snap {
    let mut s = Snap::new();
    for name in ["q", "q-", "q-2", "qq"] {
        s.put(&meta_key(name.as_bytes()), 10, &meta(name, ""));
        for id in ["m", "m-", "m-1", "mm"] {
            s.put(
                &data_key(name.as_bytes(), 1, id.as_bytes()),
                100,
                &msg(id, b"x", T0, 1, ""),
            );
        }
    }
    s
}

/// A FIFO queue `f.fifo` whose messages carry explicit dedup ids; `extra`
/// goes into the meta (e.g. content-based dedup).
fn fifo(extra: &str, messages: &[(&str, &str, &str, i64, u64)]) -> Snap {
    let mut s = Snap::new();
    let q = b"f.fifo";
    s.put(
        &meta_key(q),
        10,
        &meta("f.fifo", &format!(r#","is_fifo":true{extra}"#)),
    );
    s.put(&super::gen_key(q), 10, b"1");
    for (id, group, dedup, ts, seq) in messages {
        let dedup = if dedup.is_empty() {
            String::new()
        } else {
            format!(r#","message_deduplication_id":"{dedup}""#)
        };
        s.put(
            &data_key(q, 1, id.as_bytes()),
            100,
            &msg(
                id,
                format!("body of {id}").as_bytes(),
                *ts,
                1,
                &format!(r#","message_group_id":"{group}"{dedup},"sequence_number":{seq}"#),
            ),
        );
    }
    s
}

/// An HT-FIFO queue `ht.fifo`: 4 partitions, per-group lanes, three
/// messages of three groups.
fn ht_fifo() -> Snap {
    let hq = ht_config();
    let mut s = Snap::new();
    let qn = b"ht.fifo";
    s.put(
        &meta_key(qn),
        10,
        &meta(
            "ht.fifo",
            r#","is_fifo":true,"partition_count":4,"fifo_throughput_limit":"perMessageGroupId","deduplication_scope":"messageGroup""#,
        ),
    );
    s.put(&super::gen_key(qn), 10, b"1");
    for (i, group) in ["g-a", "g-b", "g-c"].iter().enumerate() {
        let id = format!("h-{i}");
        let part = crate::encode::model::partition_for(&hq, group);
        s.put(
            &pdata_key(qn, part, 1, id.as_bytes()),
            100,
            &msg(
                &id,
                b"ht",
                T0 + i as i64,
                1,
                &format!(
                    r#","message_group_id":"{group}","message_deduplication_id":"d-{i}","sequence_number":{}"#,
                    i + 1
                ),
            ),
        );
    }
    s
}

/// The queue config of [`ht_fifo`], for lane computation.
fn ht_config() -> crate::encode::model::QueueConfig {
    crate::encode::model::QueueConfig {
        partition_count: 4,
        fifo_throughput_limit: crate::encode::model::PER_MESSAGE_GROUP_ID.to_string(),
        ..Default::default()
    }
}

/// An HT-FIFO queue `p.fifo` with 4 partitions and one message on lane 0
/// (`perQueue` throughput, so every message is on partition 0).
fn partitioned_for_damage() -> Snap {
    let mut s = Snap::new();
    let q = b"p.fifo";
    s.put(
        &meta_key(q),
        10,
        &meta(
            "p.fifo",
            r#","is_fifo":true,"partition_count":4,"fifo_throughput_limit":"perQueue","deduplication_scope":"messageGroup""#,
        ),
    );
    s.put(&super::gen_key(q), 10, b"1");
    s.put(
        &pdata_key(q, 0, 1, b"p-1"),
        100,
        &msg(
            "p-1",
            b"x",
            T0,
            1,
            r#","message_group_id":"g","message_deduplication_id":"d","sequence_number":1"#,
        ),
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    // REQ-CONF-10
    #[test]
    fn edited_dumps_are_resummed_and_tampered_ones_are_not() {
        for row in SUCCESS.iter().chain(ERRORS) {
            let case = row.case();
            let mut resummed = case.input.clone();
            resum(&mut resummed);
            let consistent = resummed == case.input;
            match row.input {
                Dump::Tampered(..) => assert!(!consistent, "{}: CHECKSUMS matches", row.name),
                _ => assert!(consistent, "{}: CHECKSUMS does not match", row.name),
            }
        }
    }

    // REQ-CONF-10
    #[test]
    fn edits_change_only_what_they_name() {
        let base = dump_of(&orders(), &[]);
        let mut files = base.clone();
        Replace(QFILE, "\"orders\"", "\"renamed\"").apply(&mut files);
        Remove(MANIFEST_FILE).apply(&mut files);
        Put("sqs/orders/x", b"x").apply(&mut files);
        let text = String::from_utf8_lossy(&files[QFILE]).into_owned();
        assert!(text.contains("\"renamed\"") && !text.contains("\"orders\""));
        assert!(!files.contains_key(MANIFEST_FILE));
        assert_eq!(
            files.get("sqs/orders/x").map(Vec::as_slice),
            Some(&b"x"[..])
        );
        assert_eq!(files.get(MSGS), base.get(MSGS));
        assert_eq!(files.len(), base.len());
    }
}
