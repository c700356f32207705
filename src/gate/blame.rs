//! Blame: every difference between an expected dump tree and an
//! implementation's, each attributed to the requirement that governs what
//! differs (REQ-CONF-5), not to the case that happened to show it.
//!
//! [`GOVERNS`] is the one table from subjects (a file, a field, an
//! ordering, a spelling) to requirements; SPEC.md repeats it as the
//! `Governs:` line of each requirement, and `tests/spec_coverage.rs` keeps
//! the two equal. The comparison walks the whole tree:
//!
//! 1. Files present on one side only are first paired by identical bytes
//!    (the same file under another name: a directory-naming difference),
//!    then blamed by where they are.
//! 2. Files present on both sides are compared by kind: `_queue.json` and
//!    message lines member by member, side-record lines as sets in order,
//!    `MANIFEST.json` field by field, `CHECKSUMS` for consistency with the
//!    tree it sits in.
//! 3. A member whose parsed value is equal but whose bytes differ is a
//!    spelling difference (escaping or layout); a member whose value
//!    differs is blamed by its field.
//!
//! What no rule explains is blamed on the case's own requirement.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::conform::{Compare, Difference};
use super::verify::{scan, LoadedTree};
use crate::manifest::{is_rfc3339, CHECKSUMS_FILE, MANIFEST_FILE};

// ---------------------------------------------------------------------------
// The table

/// What a difference is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Subject {
    /// A file present on one side only, or something that is not a
    /// regular file.
    FileSet,
    /// `messages.jsonl` of a queue whose expected dump has none.
    EmptyQueueMessages,
    /// The same file under another queue directory name.
    DirName,
    /// The directory of a queue named `.` or `..`.
    DotDirName,
    /// A file of an orphan directory: side records and no `_queue.json`,
    /// under `<encoded>.orphan/` or its hash fallback.
    OrphanDir,
    /// `side_records.jsonl`: which records.
    SideRecordSet,
    /// `side_records.jsonl`: the order of the records both sides have.
    SideRecordOrder,
    /// A `!sqs|queue|seq|` side record.
    SeqSideRecord,
    /// The fields of a side-record line.
    SideRecordLine,
    /// The order of message lines.
    MessageOrder,
    /// A message line repeated for one message id.
    DuplicateVersion,
    /// A message of another `queue_generation` than the queue's.
    StaleGeneration,
    /// A message line's other fields, their order, compactness and final
    /// newline.
    MessageField,
    /// `visible_at_millis`, `receive_count`, `first_receive_millis` and
    /// the presence of `current_receipt_token`.
    Visibility,
    /// `partition`.
    Partition,
    /// The value of `body` (string or base64 envelope).
    Body,
    /// The HTML escapes of `body`.
    BodyEscaping,
    /// The escapes of other strings.
    StringEscaping,
    /// `message_attributes`.
    Attributes,
    /// Invalid UTF-8 inside a `message_attributes` value.
    AttributeUtf8,
    /// The spelling of a present `current_receipt_token`.
    ReceiptToken,
    /// `name` in `_queue.json`.
    QueueName,
    /// Other `_queue.json` fields and their order.
    QueueField,
    /// `tags` in `_queue.json`.
    Tags,
    /// `_queue.json` layout: indent, HTML escapes, final newline.
    QueueLayout,
    /// A JSON file or line that does not parse.
    InvalidJson,
    /// `MANIFEST.json` fields shared with upstream.
    ManifestField,
    /// `MANIFEST.json` fields of sqsdump's reproducible shape.
    ManifestShape,
    /// `snapshot_index` in `MANIFEST.json`.
    SnapshotIndex,
    /// `wall_time_iso`.
    WallTime,
    /// `CHECKSUMS` that does not describe its tree.
    Checksums,
    /// Output left behind by a failed run.
    Leftovers,
    /// The class named in an `error[<class>]:` line.
    ErrorClass,
    /// Encode direction: the snapshot's header, framing, and each entry's
    /// commit timestamp.
    SnapshotStream,
    /// Encode direction: a restored meta, gen or message record (its key,
    /// value header and value fields without a rule of their own).
    RestoredRecord,
    /// Encode direction: `message_attributes` in a restored message.
    RestoredAttributes,
    /// Encode direction: `tags` in a restored queue meta.
    RestoredTags,
    /// Encode direction: a vis, byage, dedup, seq or group row.
    DerivedRow,
    /// Encode direction: the order of the entries, and a key written
    /// twice.
    EntryOrder,
    /// Encode direction: anything at the output path after an error, a
    /// changed input dump, or a file written outside the output's
    /// directory.
    EncodeLeftovers,
    /// Encode direction: the class of an `error[<class>]:` line.
    EncodeErrorClass,
}

/// Subject → governing requirement → what SPEC.md's `Governs:` line says.
/// The single source of the blame map.
pub const GOVERNS: &[(Subject, &str, &str)] = &[
    (Subject::FileSet, "REQ-OUT-1", "a missing or extra file"),
    (
        Subject::EmptyQueueMessages,
        "REQ-DEC-12",
        "`messages.jsonl` of a queue without surviving messages",
    ),
    (
        Subject::DirName,
        "REQ-OUT-2",
        "the name of a queue directory whose contents are the same",
    ),
    (
        Subject::DotDirName,
        "REQ-OUT-3",
        "the directory of a queue named `.` or `..`",
    ),
    (
        Subject::OrphanDir,
        "REQ-DEC-3",
        "the files of an orphan directory (a queue directory with side records and no `_queue.json`), whatever its name",
    ),
    (
        Subject::SideRecordSet,
        "REQ-DEC-8",
        "which side records are written",
    ),
    (
        Subject::SideRecordOrder,
        "REQ-DEC-14",
        "the order of side-record lines",
    ),
    (
        Subject::SeqSideRecord,
        "REQ-DEC-9",
        "`!sqs|queue|seq|` side records",
    ),
    (
        Subject::SideRecordLine,
        "REQ-OUT-7",
        "the fields of a side-record line",
    ),
    (
        Subject::MessageOrder,
        "REQ-DEC-7",
        "the order of message lines",
    ),
    (
        Subject::DuplicateVersion,
        "REQ-FSM-7",
        "a second message line for one message id",
    ),
    (
        Subject::StaleGeneration,
        "REQ-DEC-4",
        "a message line of another `queue_generation`",
    ),
    (
        Subject::MessageField,
        "REQ-OUT-5",
        "message fields without a rule of their own, field order, compactness and final newlines",
    ),
    (
        Subject::Visibility,
        "REQ-DEC-5",
        "`visible_at_millis`, `receive_count`, `first_receive_millis`, and whether `current_receipt_token` is there",
    ),
    (Subject::Partition, "REQ-DEC-6", "`partition`"),
    (
        Subject::Body,
        "REQ-OUT-6",
        "the value of `body` (string or base64 envelope)",
    ),
    (
        Subject::BodyEscaping,
        "REQ-JSON-12",
        "the HTML escapes of `body`",
    ),
    (
        Subject::StringEscaping,
        "REQ-JSON-11",
        "other escapes in strings of equal value",
    ),
    (Subject::Attributes, "REQ-JSON-13", "`message_attributes`"),
    (
        Subject::AttributeUtf8,
        "REQ-JSON-16",
        "invalid UTF-8 inside a `message_attributes` value",
    ),
    (
        Subject::ReceiptToken,
        "REQ-JSON-14",
        "the spelling of a present `current_receipt_token`",
    ),
    (Subject::QueueName, "REQ-DEC-1", "`name` in `_queue.json`"),
    (
        Subject::QueueField,
        "REQ-OUT-4",
        "other `_queue.json` fields and their order",
    ),
    (Subject::Tags, "REQ-VAL-4", "`tags` in `_queue.json`"),
    (
        Subject::QueueLayout,
        "REQ-JSON-15",
        "`_queue.json` indent, HTML escapes and final newline",
    ),
    (
        Subject::InvalidJson,
        "REQ-OUT-9",
        "a JSON file or line that does not parse",
    ),
    (
        Subject::ManifestField,
        "REQ-CLI-8",
        "`MANIFEST.json` fields upstream writes too (`cluster_id` and `source.fsm_crc32c` among them)",
    ),
    (
        Subject::SnapshotIndex,
        "REQ-CLI-13",
        "`snapshot_index` in `MANIFEST.json`",
    ),
    (
        Subject::ManifestShape,
        "REQ-CLI-12",
        "`source`, `adapters.sqs` and any other `MANIFEST.json` field",
    ),
    (
        Subject::WallTime,
        "REQ-CLI-9",
        "whether `wall_time_iso` is there and RFC 3339 (not its value)",
    ),
    (
        Subject::Checksums,
        "REQ-CLI-8",
        "a `CHECKSUMS` that `sha256sum -c` would fail",
    ),
    (
        Subject::Leftovers,
        "REQ-CLI-5",
        "anything left at the output path after an error",
    ),
    (
        Subject::ErrorClass,
        "REQ-ERR-1",
        "the class of an `error[<class>]:` line",
    ),
    (
        Subject::SnapshotStream,
        "REQ-ENC-1",
        "a restored snapshot's header, framing and each entry's commit timestamp",
    ),
    (
        Subject::RestoredRecord,
        "REQ-ENC-1",
        "the key, value header and fields of a restored meta, gen or message record",
    ),
    (
        Subject::RestoredAttributes,
        "REQ-ENC-7",
        "`message_attributes` in a restored message",
    ),
    (
        Subject::RestoredTags,
        "REQ-ENC-9",
        "`tags` in a restored queue meta",
    ),
    (
        Subject::DerivedRow,
        "REQ-ENC-8",
        "a restored vis, byage, dedup, seq or group row",
    ),
    (
        Subject::EntryOrder,
        "REQ-ENC-10",
        "the order of a restored snapshot's entries, and a key written twice",
    ),
    (
        Subject::EncodeLeftovers,
        "REQ-ENC-11",
        "anything at the output path after a failed encode, a changed input, a file written outside the output's directory",
    ),
    (
        Subject::EncodeErrorClass,
        "REQ-ENC-5",
        "the class of an encoder's `error[<class>]:` line",
    ),
];

/// The requirement that governs `subject`.
pub fn governing(subject: Subject) -> &'static str {
    GOVERNS
        .iter()
        .find(|(s, _, _)| *s == subject)
        .map_or("REQ-CONF-5", |(_, req, _)| req)
}

/// Subjects that are only about spelling: `--compare json` ignores them.
fn bytes_only(subject: Subject) -> bool {
    matches!(
        subject,
        Subject::BodyEscaping | Subject::StringEscaping | Subject::QueueLayout
    )
}

/// One blamed difference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The requirement blamed.
    pub req: String,
    /// What differs.
    pub diff: Difference,
}

/// Collects findings for one case.
pub(super) struct Blame<'a> {
    pub(super) case_req: &'a str,
    pub(super) mode: Compare,
    pub(super) found: Vec<Finding>,
}

impl Blame<'_> {
    pub(super) fn add(&mut self, subject: Subject, diff: Difference) {
        if self.mode == Compare::Json && bytes_only(subject) {
            return;
        }
        self.found.push(Finding {
            req: governing(subject).to_string(),
            diff,
        });
    }

    /// A difference no rule explains: the case's own requirement.
    pub(super) fn unexplained(&mut self, diff: Difference) {
        self.found.push(Finding {
            req: self.case_req.to_string(),
            diff,
        });
    }
}

// ---------------------------------------------------------------------------
// Trees

/// Where a path sits in the layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    Manifest,
    Checksums,
    QueueJson,
    Messages,
    SideRecords,
    Other,
}

fn place(path: &str) -> Place {
    match path {
        MANIFEST_FILE => Place::Manifest,
        CHECKSUMS_FILE => Place::Checksums,
        _ if path.ends_with("/_queue.json") => Place::QueueJson,
        _ if path.ends_with("/messages.jsonl") => Place::Messages,
        _ if path.ends_with("/_internals/side_records.jsonl") => Place::SideRecords,
        _ => Place::Other,
    }
}

/// The queue directory of `sqs/<dir>/…`.
fn queue_dir(path: &str) -> Option<&str> {
    let rest = path.strip_prefix("sqs/")?;
    rest.split_once('/').map(|(d, _)| d)
}

/// An orphan directory, whatever its name (`<encoded>.orphan` or the hash
/// fallback of a long one): a queue directory of `tree` that holds side
/// records and no `_queue.json`.
fn is_orphan_dir(dir: &str, tree: &BTreeMap<String, Vec<u8>>) -> bool {
    !tree.contains_key(&format!("sqs/{dir}/_queue.json"))
        && tree.contains_key(&format!("sqs/{dir}/_internals/side_records.jsonl"))
}

/// The subject of a file present on one side only: `side` is the tree it
/// sits in, `actual` its bytes when it is the implementation's.
fn lone_file_subject(
    path: &str,
    expected: &BTreeMap<String, Vec<u8>>,
    side: &BTreeMap<String, Vec<u8>>,
    actual: Option<&[u8]>,
) -> Subject {
    let dir = queue_dir(path);
    if dir.is_some_and(|d| is_orphan_dir(d, side)) {
        return Subject::OrphanDir;
    }
    if dir.is_some_and(|d| d == "%2E" || d == "%2E%2E") {
        return Subject::DotDirName;
    }
    match place(path) {
        Place::Manifest | Place::Checksums => Subject::ManifestField,
        Place::SideRecords => {
            let seq_only = |b: &[u8]| {
                let lines: Vec<&[u8]> = split_lines(b).0;
                !lines.is_empty() && lines.iter().all(|l| side_prefix(l).as_deref() == Some(SEQ))
            };
            match expected.get(path) {
                Some(b) if seq_only(b) => Subject::SeqSideRecord,
                _ => Subject::SideRecordSet,
            }
        }
        Place::Messages => {
            // The queue is expected (its _queue.json is) but has no
            // messages.jsonl: a queue without surviving messages.
            let queue_json = path.trim_end_matches("messages.jsonl").to_string() + "_queue.json";
            if expected.contains_key(&queue_json) && !expected.contains_key(path) {
                // Lines that are all messages of some generation: the
                // generation filter let through what it drops.
                match actual {
                    Some(bytes) if only_generation_messages(bytes) => Subject::StaleGeneration,
                    _ => Subject::EmptyQueueMessages,
                }
            } else {
                Subject::FileSet
            }
        }
        _ => Subject::FileSet,
    }
}

/// True when `bytes` has at least one line and every line is a JSON
/// object with a `message_id` and a `queue_generation`.
fn only_generation_messages(bytes: &[u8]) -> bool {
    let lines = split_lines(bytes).0;
    !lines.is_empty()
        && lines.iter().all(|l| {
            let line = Line::new(l);
            line.field("message_id").is_some() && line.field("queue_generation").is_some()
        })
}

/// Every difference between `expected` and the implementation's tree,
/// blamed. Empty when they match.
pub fn blame_trees(
    expected: &BTreeMap<String, Vec<u8>>,
    actual: &LoadedTree,
    case_req: &str,
    mode: Compare,
) -> Vec<Finding> {
    let got = &actual.model.files;
    let mut b = Blame {
        case_req,
        mode,
        found: Vec::new(),
    };
    let missing: Vec<&String> = expected.keys().filter(|p| !got.contains_key(*p)).collect();
    let mut extra: Vec<&String> = got.keys().filter(|p| !expected.contains_key(*p)).collect();
    for path in missing {
        if matches!(place(path), Place::Manifest | Place::Checksums) {
            b.add(
                Subject::ManifestField,
                Difference::in_file(path, None, "missing file"),
            );
            continue;
        }
        // The same bytes under another name: a naming difference.
        let bytes = &expected[path];
        if let Some(i) = extra.iter().position(|p| &got[*p] == bytes) {
            let other = extra.remove(i);
            let subject = match lone_file_subject(path, expected, expected, None) {
                s @ (Subject::DotDirName | Subject::OrphanDir) => s,
                _ => Subject::DirName,
            };
            b.add(
                subject,
                Difference::in_file(path, None, "written under another name")
                    .values(path.clone(), other.clone()),
            );
            continue;
        }
        b.add(
            lone_file_subject(path, expected, expected, None),
            Difference::in_file(path, None, "missing file"),
        );
    }
    for path in extra {
        if path == CHECKSUMS_FILE || path == MANIFEST_FILE {
            continue;
        }
        let subject = lone_file_subject(path, expected, got, got.get(path).map(Vec::as_slice));
        b.add(subject, Difference::in_file(path, None, "unexpected file"));
    }
    for (path, e) in expected {
        let Some(a) = got.get(path) else { continue };
        match place(path) {
            Place::Checksums => {}
            _ if e == a => {}
            Place::Manifest => compare_manifest(&mut b, e, a),
            Place::QueueJson => compare_queue_json(&mut b, path, e, a),
            Place::Messages => compare_messages(&mut b, path, e, a),
            Place::SideRecords => compare_side_records(&mut b, path, e, a),
            Place::Other => b.unexplained(Difference::in_file(path, None, "bytes differ")),
        }
    }
    // CHECKSUMS is judged against the tree it sits in, whatever its bytes.
    if let Some(sums) = got.get(CHECKSUMS_FILE) {
        if let Some(d) = checksums_consistent(sums, got) {
            b.add(Subject::Checksums, d);
        }
    }
    for p in &actual.problems {
        b.add(
            Subject::FileSet,
            Difference::in_file(&p.path, None, format!("unexpected {}", p.what)),
        );
    }
    b.found
}

// ---------------------------------------------------------------------------
// Values and spellings

/// Both raw JSON values parsed: `Some(true)` when equal, `None` when one
/// does not parse.
fn same_value(e: &[u8], a: &[u8]) -> Option<bool> {
    let e: Value = serde_json::from_slice(e).ok()?;
    let a: Value = serde_json::from_slice(a).ok()?;
    Some(e == a)
}

/// The raw text with `<`, `>` and `&` escapes spelled raw.
fn without_html_escapes(raw: &[u8]) -> Vec<u8> {
    String::from_utf8_lossy(raw)
        .replace("\\u003c", "<")
        .replace("\\u003e", ">")
        .replace("\\u0026", "&")
        .into_bytes()
}

/// The raw text with white space outside strings removed.
fn compact(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    crate::jsonout::write_compact_raw(&mut out, raw);
    out
}

pub(super) fn shown(raw: &[u8]) -> String {
    let s = show_bytes(raw);
    if s.chars().count() <= VALUE_CAP {
        s
    } else {
        elide(&s, None, VALUE_CAP)
    }
}

/// The subject of a field, from its name and both raw values (empty when
/// absent).
pub(super) type FieldRule<'a> = dyn Fn(&str, &[u8], &[u8]) -> Subject + 'a;

/// Members of two objects compared one by one. `subject_of` names the
/// subject of a field whose value differs; `spelling` the subject of a
/// field whose value is equal but spelt differently.
#[allow(clippy::too_many_arguments)]
pub(super) fn compare_members(
    b: &mut Blame<'_>,
    path: &str,
    line: Option<usize>,
    e: &[scan::Member<'_>],
    a: &[scan::Member<'_>],
    subject_of: &FieldRule<'_>,
    spelling: &FieldRule<'_>,
    order: Subject,
) {
    let find = |ms: &'_ [scan::Member<'_>], k: &str| ms.iter().position(|m| m.key == k);
    for m in e {
        match find(a, &m.key) {
            None => b.add(
                subject_of(&m.key, m.value, b""),
                Difference::in_file(path, line, format!("missing field {}", m.key))
                    .values(shown(m.value), "<missing>".into()),
            ),
            Some(i) => {
                let av = a[i].value;
                if m.value == av {
                    continue;
                }
                let what = format!("field {}", m.key);
                let d = Difference::in_file(path, line, what).values(shown(m.value), shown(av));
                if same_value(m.value, av) == Some(true) {
                    b.add(spelling(&m.key, m.value, av), d);
                } else {
                    b.add(subject_of(&m.key, m.value, av), d);
                }
            }
        }
    }
    for m in a {
        if find(e, &m.key).is_none() {
            b.add(
                subject_of(&m.key, b"", m.value),
                Difference::in_file(path, line, format!("unexpected field {}", m.key))
                    .values("<missing>".into(), shown(m.value)),
            );
        }
    }
    let keys = |ms: &[scan::Member<'_>]| ms.iter().map(|m| m.key.clone()).collect::<Vec<_>>();
    if b.mode == Compare::Json {
        return;
    }
    let (ek, ak) = (keys(e), keys(a));
    let common_e: Vec<&String> = ek.iter().filter(|k| ak.contains(k)).collect();
    let common_a: Vec<&String> = ak.iter().filter(|k| ek.contains(k)).collect();
    if common_e != common_a {
        b.add(
            order,
            Difference::in_file(path, line, "field order").values(ek.join(","), ak.join(",")),
        );
    }
}

/// The spelling subject of a string (or value) whose parsed value is
/// equal: HTML escapes or other escapes.
fn escape_subject(e: &[u8], a: &[u8], html: Subject) -> Subject {
    if without_html_escapes(e) == without_html_escapes(a) {
        html
    } else {
        Subject::StringEscaping
    }
}

// ---------------------------------------------------------------------------
// _queue.json

fn compare_queue_json(b: &mut Blame<'_>, path: &str, e: &[u8], a: &[u8]) {
    let Ok(em) = scan::object(e) else {
        b.unexplained(Difference::in_file(path, None, "expected file unreadable"));
        return;
    };
    let am = match scan::object(a) {
        Ok(m) => m,
        Err(err) => {
            b.add(
                Subject::InvalidJson,
                Difference::in_file(path, None, format!("not a JSON object: {err}")),
            );
            return;
        }
    };
    let before = b.found.len();
    let subject_of = |k: &str, _: &[u8], _: &[u8]| match k {
        "name" => Subject::QueueName,
        "tags" => Subject::Tags,
        _ => Subject::QueueField,
    };
    let spelling = |k: &str, e: &[u8], a: &[u8]| {
        if k == "tags" && compact(e) == compact(a) {
            Subject::QueueLayout
        } else {
            escape_subject(&compact(e), &compact(a), Subject::QueueLayout)
        }
    };
    compare_members(
        b,
        path,
        None,
        &em,
        &am,
        &subject_of,
        &spelling,
        Subject::QueueField,
    );
    if b.found.len() == before {
        // Same members, same spellings: the layout between them.
        b.add(
            Subject::QueueLayout,
            compare_bytes(path, e, a).unwrap_or_else(|| Difference::in_file(path, None, "layout")),
        );
    }
}

// ---------------------------------------------------------------------------
// messages.jsonl

/// One parsed line.
struct Line<'a> {
    raw: &'a [u8],
    members: Option<Vec<scan::Member<'a>>>,
}

impl<'a> Line<'a> {
    fn new(raw: &'a [u8]) -> Self {
        Line {
            raw,
            members: scan::object(raw).ok(),
        }
    }

    fn field(&self, k: &str) -> Option<&'a [u8]> {
        self.members
            .as_ref()?
            .iter()
            .rev()
            .find(|m| m.key == k)
            .map(|m| m.value)
    }

    /// The parsed value of `message_id` (its raw bytes when it does not
    /// parse), so that two spellings of one id pair.
    fn id(&self) -> Option<Vec<u8>> {
        self.field("message_id").map(|raw| {
            serde_json::from_slice::<Value>(raw)
                .map_or_else(|_| raw.to_vec(), |v| v.to_string().into_bytes())
        })
    }
}

fn message_subject(k: &str, e: &[u8], a: &[u8]) -> Subject {
    match k {
        "visible_at_millis" | "receive_count" | "first_receive_millis" => Subject::Visibility,
        "current_receipt_token" if e.is_empty() || a.is_empty() => Subject::Visibility,
        "current_receipt_token" => Subject::ReceiptToken,
        "partition" => Subject::Partition,
        "body" => Subject::Body,
        "message_attributes"
            if std::str::from_utf8(a).is_err()
                && crate::jsonout::utf8_per_byte_lossy(a).as_bytes() == e =>
        {
            Subject::AttributeUtf8
        }
        "message_attributes" => Subject::Attributes,
        _ => Subject::MessageField,
    }
}

fn message_spelling(k: &str, e: &[u8], a: &[u8]) -> Subject {
    match k {
        "body" => escape_subject(e, a, Subject::BodyEscaping),
        "message_attributes" => Subject::Attributes,
        _ => Subject::StringEscaping,
    }
}

fn compare_messages(b: &mut Blame<'_>, path: &str, e: &[u8], a: &[u8]) {
    let (el, e_nl) = split_lines(e);
    let (al, a_nl) = split_lines(a);
    if e_nl != a_nl && !el.is_empty() && !al.is_empty() {
        b.add(
            Subject::MessageField,
            Difference::in_file(path, Some(el.len().max(1)), "final newline")
                .values(e_nl.to_string(), a_nl.to_string()),
        );
    }
    let mut sorted_e = el.clone();
    let mut sorted_a = al.clone();
    sorted_e.sort();
    sorted_a.sort();
    if sorted_e == sorted_a {
        if el != al {
            let i = el.iter().zip(&al).position(|(x, y)| x != y).unwrap_or(0);
            b.add(
                Subject::MessageOrder,
                Difference::in_file(path, Some(i + 1), "lines in another order")
                    .values(shown(el[i]), shown(al[i])),
            );
        }
        return;
    }
    let exp: Vec<Line<'_>> = el.iter().map(|l| Line::new(l)).collect();
    let act: Vec<Line<'_>> = al.iter().map(|l| Line::new(l)).collect();
    for (i, l) in act.iter().enumerate() {
        if l.members.is_none() {
            b.add(
                Subject::InvalidJson,
                Difference::in_file(path, Some(i + 1), "not a JSON object")
                    .values("a JSON object".into(), shown(l.raw)),
            );
        }
    }
    // The queue's generation: the one of the expected lines.
    let generations: BTreeSet<&[u8]> = exp
        .iter()
        .filter_map(|l| l.field("queue_generation"))
        .collect();
    // Pair lines by message id, in order of appearance.
    let mut by_id: BTreeMap<Vec<u8>, Vec<usize>> = BTreeMap::new();
    for (i, l) in exp.iter().enumerate() {
        if let Some(id) = l.id() {
            by_id.entry(id).or_default().push(i);
        }
    }
    let mut used = vec![false; exp.len()];
    let mut paired: Vec<(usize, usize)> = Vec::new();
    // First pass: byte-identical lines of one id pair, so that of several
    // versions of one message the right one pairs.
    let mut taken = vec![false; act.len()];
    for (j, l) in act.iter().enumerate() {
        let Some(id) = l.id() else { continue };
        let same = by_id.get(&id).and_then(|is| {
            is.iter()
                .copied()
                .find(|&i| !used[i] && exp[i].raw == l.raw)
        });
        if let Some(i) = same {
            used[i] = true;
            taken[j] = true;
            paired.push((i, j));
        }
    }
    for (j, l) in act.iter().enumerate() {
        let Some(id) = l.id().filter(|_| !taken[j]) else {
            continue;
        };
        let free = by_id
            .get(&id)
            .and_then(|is| is.iter().copied().find(|&i| !used[i]));
        match free {
            Some(i) => {
                used[i] = true;
                paired.push((i, j));
            }
            None if by_id.contains_key(&id) => b.add(
                Subject::DuplicateVersion,
                Difference::in_file(path, Some(j + 1), "another line for one message id")
                    .values("<none>".into(), shown(l.raw)),
            ),
            None => {
                let stale = l
                    .field("queue_generation")
                    .is_some_and(|g| !generations.is_empty() && !generations.contains(g));
                let d = Difference::in_file(path, Some(j + 1), "unexpected message")
                    .values("<none>".into(), shown(l.raw));
                if stale {
                    b.add(Subject::StaleGeneration, d);
                } else {
                    b.unexplained(d);
                }
            }
        }
    }
    paired.sort_unstable();
    for (i, l) in exp.iter().enumerate() {
        if !used[i] {
            b.unexplained(
                Difference::in_file(path, Some(i + 1), "missing message")
                    .values(shown(l.raw), "<none>".into()),
            );
        }
    }
    // Paired lines: member by member.
    for &(i, j) in &paired {
        let (x, y) = (&exp[i], &act[j]);
        if x.raw == y.raw {
            continue;
        }
        let (Some(xm), Some(ym)) = (&x.members, &y.members) else {
            continue;
        };
        let before = b.found.len();
        compare_members(
            b,
            path,
            Some(j + 1),
            xm,
            ym,
            &message_subject,
            &message_spelling,
            Subject::MessageField,
        );
        if b.found.len() == before && b.mode == Compare::Bytes {
            b.add(
                Subject::MessageField,
                Difference::in_file(path, Some(j + 1), "not written compactly")
                    .values(shown(x.raw), shown(y.raw)),
            );
        }
    }
    // The order of the lines both sides have.
    let mut by_actual = paired.clone();
    by_actual.sort_by_key(|&(_, j)| j);
    if by_actual.windows(2).any(|w| w[0].0 > w[1].0) {
        let at = by_actual
            .windows(2)
            .find(|w| w[0].0 > w[1].0)
            .map_or(0, |w| w[1].1);
        b.add(
            Subject::MessageOrder,
            Difference::in_file(path, Some(at + 1), "lines in another order"),
        );
    }
}

// ---------------------------------------------------------------------------
// side_records.jsonl

const SEQ: &str = "!sqs|queue|seq|";

fn side_prefix(line: &[u8]) -> Option<String> {
    let members = scan::object(line).ok()?;
    let raw = members.iter().find(|m| m.key == "prefix")?.value;
    scan::decode_string(raw).ok()
}

fn compare_side_records(b: &mut Blame<'_>, path: &str, e: &[u8], a: &[u8]) {
    let (el, e_nl) = split_lines(e);
    let (al, a_nl) = split_lines(a);
    if e_nl != a_nl && !el.is_empty() && !al.is_empty() {
        b.add(
            Subject::SideRecordLine,
            Difference::in_file(path, Some(el.len().max(1)), "final newline")
                .values(e_nl.to_string(), a_nl.to_string()),
        );
    }
    let key_of = |l: &[u8]| -> Vec<u8> {
        scan::object(l)
            .ok()
            .and_then(|ms| {
                ms.iter()
                    .find(|m| m.key == "key_hex")
                    .map(|m| m.value.to_vec())
            })
            .unwrap_or_else(|| l.to_vec())
    };
    let ek: Vec<Vec<u8>> = el.iter().map(|l| key_of(l)).collect();
    let ak: Vec<Vec<u8>> = al.iter().map(|l| key_of(l)).collect();
    let subject = |l: &[u8]| {
        if side_prefix(l).as_deref() == Some(SEQ) {
            Subject::SeqSideRecord
        } else {
            Subject::SideRecordSet
        }
    };
    let mut paired = Vec::new();
    let mut used = vec![false; el.len()];
    for (j, k) in ak.iter().enumerate() {
        match (0..el.len()).find(|&i| !used[i] && &ek[i] == k) {
            Some(i) => {
                used[i] = true;
                paired.push((i, j));
            }
            None => b.add(
                subject(al[j]),
                Difference::in_file(path, Some(j + 1), "unexpected side record")
                    .values("<none>".into(), shown(al[j])),
            ),
        }
    }
    for (i, l) in el.iter().enumerate() {
        if !used[i] {
            b.add(
                subject(l),
                Difference::in_file(path, Some(i + 1), "missing side record")
                    .values(shown(l), "<none>".into()),
            );
        }
    }
    for &(i, j) in &paired {
        if el[i] != al[j] {
            b.add(
                Subject::SideRecordLine,
                Difference::in_file(path, Some(j + 1), "side-record line differs")
                    .values(shown(el[i]), shown(al[j])),
            );
        }
    }
    if paired.windows(2).any(|w| w[0].0 > w[1].0) {
        b.add(
            Subject::SideRecordOrder,
            Difference::in_file(path, None, "side records in another order"),
        );
    }
}

// ---------------------------------------------------------------------------
// MANIFEST.json

/// The subject of a manifest field (a JSON pointer).
fn manifest_subject(pointer: &str) -> Subject {
    match pointer {
        "/wall_time_iso" => Subject::WallTime,
        "/snapshot_index" => Subject::SnapshotIndex,
        "/format_version"
        | "/phase"
        | "/last_commit_ts"
        | "/checksum_algorithm"
        | "/checksum_format"
        | "/encoded_filename_charset"
        | "/key_segment_max_bytes"
        | "/s3_meta_suffix"
        | "/s3_collision_strategy"
        | "/dynamodb_layout"
        | "/adapters"
        | "/adapters/sqs"
        | "/exclusions"
        | "/cluster_id"
        | "/source/fsm_crc32c" => Subject::ManifestField,
        p if p.starts_with("/exclusions/") => Subject::ManifestField,
        _ => Subject::ManifestShape,
    }
}

/// Leaves of a manifest, by JSON pointer; objects are walked, other values
/// (arrays included) are leaves. An object's presence is a leaf too.
fn leaves(v: &Value, at: &str, out: &mut BTreeMap<String, Value>) {
    match v {
        Value::Object(m) => {
            if !at.is_empty() {
                out.insert(at.to_string(), Value::Object(Default::default()));
            }
            for (k, x) in m {
                leaves(
                    x,
                    &format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
                    out,
                );
            }
        }
        _ => {
            out.insert(at.to_string(), v.clone());
        }
    }
}

fn compare_manifest(b: &mut Blame<'_>, e: &[u8], a: &[u8]) {
    let path = MANIFEST_FILE;
    let Ok(ev) = serde_json::from_slice::<Value>(e) else {
        b.unexplained(Difference::in_file(path, None, "expected file unreadable"));
        return;
    };
    let av = match serde_json::from_slice::<Value>(a) {
        Ok(v) if v.is_object() => v,
        _ => {
            b.add(
                Subject::ManifestField,
                Difference::in_file(path, None, "not a JSON object"),
            );
            return;
        }
    };
    let (mut el, mut al) = (BTreeMap::new(), BTreeMap::new());
    leaves(&ev, "", &mut el);
    leaves(&av, "", &mut al);
    // wall_time_iso: present and well-formed, whatever its value.
    let wall = al.get("/wall_time_iso").and_then(Value::as_str);
    if !wall.is_some_and(is_rfc3339) {
        b.add(
            Subject::WallTime,
            Difference::in_file(path, None, "wall_time_iso must be an RFC 3339 time").values(
                "an RFC 3339 time".into(),
                wall.unwrap_or("<missing>").into(),
            ),
        );
    }
    el.remove("/wall_time_iso");
    al.remove("/wall_time_iso");
    let pointers: BTreeSet<&String> = el.keys().chain(al.keys()).collect();
    for p in pointers {
        let (x, y) = (el.get(p), al.get(p));
        if x == y {
            continue;
        }
        let show =
            |v: Option<&Value>| v.map_or("<missing>".to_string(), |v| shorten(&v.to_string(), 0));
        let field = p.trim_start_matches('/').replace('/', ".");
        b.add(
            manifest_subject(p),
            Difference::in_file(path, None, format!("field {field}")).values(show(x), show(y)),
        );
    }
}

// ---------------------------------------------------------------------------
// CHECKSUMS

/// A CHECKSUMS that does not describe the tree it sits in: a bad line, a
/// listed file that is not there or has another SHA-256, or a file that
/// is not listed.
pub fn checksums_consistent(actual: &[u8], tree: &BTreeMap<String, Vec<u8>>) -> Option<Difference> {
    let mut listed = BTreeSet::new();
    for (i, line) in String::from_utf8_lossy(actual).lines().enumerate() {
        let bad = || {
            Some(Difference::in_file(
                CHECKSUMS_FILE,
                Some(i + 1),
                format!("bad line {}", shorten(line, 0)),
            ))
        };
        let Some((hash, path)) = line.split_once("  ").or_else(|| line.split_once(" *")) else {
            return bad();
        };
        let Some(content) = tree.get(path).filter(|_| path != CHECKSUMS_FILE) else {
            return Some(Difference::in_file(
                CHECKSUMS_FILE,
                Some(i + 1),
                format!("lists {path}, which the dump does not hold"),
            ));
        };
        let want = hex::encode(Sha256::digest(content));
        if hash != want {
            return Some(
                Difference::in_file(CHECKSUMS_FILE, Some(i + 1), format!("sha256 of {path}"))
                    .values(want, shorten(hash, 0)),
            );
        }
        listed.insert(path.to_string());
    }
    tree.keys()
        .find(|p| *p != CHECKSUMS_FILE && !listed.contains(*p))
        .map(|p| Difference::in_file(CHECKSUMS_FILE, None, format!("does not list {p}")))
}

// ---------------------------------------------------------------------------
// Lines and display

/// Lines of a file, and whether it ends in `\n` (the empty piece after a
/// final `\n` is not a line).
pub fn split_lines(b: &[u8]) -> (Vec<&[u8]>, bool) {
    match b.strip_suffix(b"\n") {
        Some(body) => (body.split(|&c| c == b'\n').collect(), true),
        None if b.is_empty() => (Vec::new(), false),
        None => (b.split(|&c| c == b'\n').collect(), false),
    }
}

/// The first differing line of two files, or `None` when equal.
pub fn compare_bytes(path: &str, expected: &[u8], actual: &[u8]) -> Option<Difference> {
    if expected == actual {
        return None;
    }
    let (e, e_nl) = split_lines(expected);
    let (a, a_nl) = split_lines(actual);
    for (i, (x, y)) in e.iter().zip(a.iter()).enumerate() {
        if x != y {
            return Some(
                Difference::in_file(path, Some(i + 1), "line differs").values(shown(x), shown(y)),
            );
        }
    }
    let show = |l: Option<&&[u8]>| l.map_or("<end of file>".to_string(), |l| shown(l));
    if e.len() != a.len() {
        let i = e.len().min(a.len());
        let (es, as_) = (show(e.get(i)), show(a.get(i)));
        let what = if e.len() > a.len() {
            "file ends early"
        } else {
            "extra content"
        };
        return Some(Difference::in_file(path, Some(i + 1), what).values(es, as_));
    }
    let what = if e_nl && !a_nl {
        "missing final newline"
    } else if a_nl && !e_nl {
        "unexpected final newline"
    } else {
        "bytes differ"
    };
    Some(Difference::in_file(path, Some(e.len().max(1)), what))
}

/// Longest value a difference carries, in characters: longer values keep
/// both ends and elide the middle.
pub const VALUE_CAP: usize = 64 * 1024;

/// Longest value shown on the console, in characters.
pub const CONSOLE: usize = 100;

/// Bytes as text, the gate's one escaping convention: valid UTF-8 as is,
/// control characters as JSON escapes (`\n`, `\t`, `\u0000`, `\u007f`),
/// each byte that is not UTF-8 as `\xHH`.
pub fn show_bytes(raw: &[u8]) -> String {
    let mut out = String::with_capacity(raw.len());
    for chunk in raw.utf8_chunks() {
        for c in chunk.valid().chars() {
            push_char(&mut out, c);
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02X}"));
        }
    }
    out
}

/// Multi-line text (an implementation's stderr) as [`show_bytes`] shows
/// it, except that line feeds and tabs stay as they are.
pub fn show_lines(raw: &[u8]) -> String {
    let mut out = String::with_capacity(raw.len());
    for chunk in raw.utf8_chunks() {
        for c in chunk.valid().chars() {
            if c == '\n' || c == '\t' {
                out.push(c);
            } else {
                push_char(&mut out, c);
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02X}"));
        }
    }
    out
}

fn push_char(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\u{8}' => out.push_str("\\b"),
        '\u{c}' => out.push_str("\\f"),
        c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
        c => out.push(c),
    }
}

/// `s` as a difference carries it: escaped by [`show_bytes`], and past
/// [`VALUE_CAP`] characters cut in the middle (both ends kept). `_from`
/// is kept for callers that know where the values start to differ; the
/// console window is chosen at display time ([`elide`]).
pub fn shorten(s: &str, _from: usize) -> String {
    let shown = show_bytes(s.as_bytes());
    if shown.chars().count() <= VALUE_CAP {
        return shown;
    }
    elide(&shown, None, VALUE_CAP)
}

/// `s` in at most about `width` characters: whole when it fits, else
/// both ends with the middle elided (`…`), and when `at` (the character
/// where two values start to differ) would fall in the elided part, a
/// window around it between the ends.
pub fn elide(s: &str, at: Option<usize>, width: usize) -> String {
    let chars: Vec<char> = s.chars().collect();
    let n = chars.len();
    if n <= width {
        return s.to_string();
    }
    let piece = |a: usize, b: usize| -> String {
        chars
            .get(a.min(n)..b.min(n).max(a.min(n)))
            .unwrap_or_default()
            .iter()
            .collect()
    };
    let head = width * 3 / 5;
    let tail = width - head;
    match at {
        Some(at) if at + 10 > head && at < n.saturating_sub(tail) => {
            let (head, tail) = (width / 4, width / 4);
            let start = at.saturating_sub(width / 8).max(head);
            let end = (start + width / 2).min(n - tail);
            let mut out = piece(0, head);
            if start > head {
                out.push('…');
            }
            out.push_str(&piece(start, end));
            if end < n - tail {
                out.push('…');
            }
            out.push_str(&piece(n - tail, n));
            out
        }
        _ => format!("{}…{}", piece(0, head), piece(n - tail, n)),
    }
}

/// The character where two shown values start to differ.
pub fn first_difference(e: &str, a: &str) -> usize {
    e.chars().zip(a.chars()).take_while(|(p, q)| p == q).count()
}

/// Both sides as a difference carries them ([`shorten`]).
pub fn show_pair(e: Option<&str>, a: Option<&str>) -> (String, String) {
    let render = |s: Option<&str>| s.map_or("<end of file>".to_string(), |s| shorten(s, 0));
    (render(e), render(a))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dump::DumpModel;

    fn tree(files: &[(&str, &str)]) -> BTreeMap<String, Vec<u8>> {
        files
            .iter()
            .map(|(p, b)| (p.to_string(), b.as_bytes().to_vec()))
            .collect()
    }

    fn loaded(files: &[(&str, &str)]) -> LoadedTree {
        let mut model = DumpModel::new();
        model.files = tree(files);
        LoadedTree {
            model,
            problems: Vec::new(),
        }
    }

    fn blamed(e: &[(&str, &str)], a: &[(&str, &str)], mode: Compare) -> Vec<String> {
        blame_trees(&tree(e), &loaded(a), "REQ-CONF-1", mode)
            .into_iter()
            .map(|f| format!("{} {}", f.req, f.diff))
            .collect()
    }

    // REQ-CONF-5
    #[test]
    fn differences_name_file_line_and_both_values() {
        let d = compare_bytes(
            "sqs/q/messages.jsonl",
            b"{\"a\":1}\n{\"b\":2}\n",
            b"{\"a\":1}\n{\"b\":3}\n",
        )
        .unwrap();
        assert_eq!(
            d.to_string(),
            r#"sqs/q/messages.jsonl:2: line differs: expected {"b":2} got {"b":3}"#
        );
        let d = compare_bytes("f", b"x\n", b"x").unwrap();
        assert_eq!(d.to_string(), "f:1: missing final newline");
        let d = compare_bytes("f", b"x\ny\n", b"x\n").unwrap();
        assert_eq!(
            d.to_string(),
            "f:2: file ends early: expected y got <end of file>"
        );
        let d = compare_bytes("f", b"x\n", b"x\nx\n").unwrap();
        assert_eq!(
            d.to_string(),
            "f:2: extra content: expected <end of file> got x"
        );
        let long_e = format!("{}E{}", "a".repeat(300), "z".repeat(300));
        let long_a = format!("{}A{}", "a".repeat(300), "z".repeat(300));
        let d = compare_bytes("f", long_e.as_bytes(), long_a.as_bytes()).unwrap();
        // The difference carries both values whole; the console shows
        // both ends and the place where they differ.
        assert_eq!(d.expected.as_deref(), Some(long_e.as_str()));
        assert_eq!(d.actual.as_deref(), Some(long_a.as_str()));
        assert!(d.full().contains(&long_e) && d.full().contains(&long_a));
        let shown = d.to_string();
        let (e, a) = shown
            .strip_prefix("f:1: line differs: expected ")
            .and_then(|r| r.split_once(" got "))
            .unwrap();
        for v in [e, a] {
            assert!(v.starts_with("aaaa") && v.ends_with("zzzz"), "{v}");
            assert!(v.chars().count() <= CONSOLE + 4, "{v}");
        }
        assert!(e.contains("aEz") && a.contains("aAz"), "{shown}");
    }

    // REQ-CONF-13
    #[test]
    fn values_use_json_escapes_for_text_and_hex_for_bytes_that_are_not_utf8() {
        assert_eq!(
            show_bytes(b"a\n\t\x00\x1f\x7f\\u0000 \xff\xfe \xc3\xa9"),
            "a\\n\\t\\u0000\\u001f\\u007f\\u0000 \\xFF\\xFE \u{e9}"
        );
        // Long values elide their middle, keeping both ends.
        let long = format!("{}{}", "h".repeat(200), "t".repeat(200));
        let e = elide(&long, None, 100);
        assert!(e.starts_with("hhh") && e.ends_with("ttt") && e.contains('…'));
        assert_eq!(e.chars().count(), 101);
        assert_eq!(elide("short", Some(2), 100), "short");
        assert_eq!(show_lines(b"a\n\tb\r\xff\x00"), "a\n\tb\\r\\xFF\\u0000");
        // Values are capped far above the console width.
        let huge = "x".repeat(VALUE_CAP + 10);
        assert_eq!(shorten(&huge, 0).chars().count(), VALUE_CAP + 1);
        assert_eq!(shorten(&"y".repeat(5000), 0), "y".repeat(5000));
    }

    const M: &str = "sqs/q/messages.jsonl";

    // REQ-CONF-4, REQ-CONF-5
    #[test]
    fn json_mode_ignores_field_order_and_spelling_but_not_values() {
        let e = [(M, "{\"message_id\":\"a\",\"body\":\"<\",\"x\":1}\n")];
        let respelt = [(M, "{\"body\":\"\\u003c\",\"message_id\":\"a\",\"x\":1}\n")];
        assert!(blamed(&e, &respelt, Compare::Json).is_empty());
        assert_eq!(
            blamed(&e, &respelt, Compare::Bytes),
            [
                "REQ-JSON-12 sqs/q/messages.jsonl:1: field body: expected \"<\" got \"\\u003c\"",
                "REQ-OUT-5 sqs/q/messages.jsonl:1: field order: expected message_id,body,x got body,message_id,x",
            ]
        );
        let revalued = [(M, "{\"message_id\":\"a\",\"body\":\"<\",\"x\":1.0}\n")];
        assert_eq!(
            blamed(&e, &revalued, Compare::Json),
            ["REQ-OUT-5 sqs/q/messages.jsonl:1: field x: expected 1 got 1.0"]
        );
    }

    // REQ-CONF-5
    #[test]
    fn unexplained_differences_fall_to_the_case_requirement() {
        let e = [(M, "{\"message_id\":\"a\"}\n")];
        let a = [(M, "{\"message_id\":\"b\"}\n")];
        assert_eq!(
            blamed(&e, &a, Compare::Bytes),
            [
                "REQ-CONF-1 sqs/q/messages.jsonl:1: unexpected message: expected <none> got {\"message_id\":\"b\"}",
                "REQ-CONF-1 sqs/q/messages.jsonl:1: missing message: expected {\"message_id\":\"a\"} got <none>",
            ]
        );
    }

    // REQ-CONF-5
    #[test]
    fn message_ids_pair_by_value_and_lone_stale_files_blame_the_generation_filter() {
        let e = [(M, "{\"message_id\":\"a/b\",\"x\":1}\n")];
        let a = [(M, "{\"message_id\":\"a\\/b\",\"x\":1}\n")];
        assert_eq!(
            blamed(&e, &a, Compare::Bytes),
            ["REQ-JSON-11 sqs/q/messages.jsonl:1: field message_id: expected \"a/b\" got \"a\\/b\""]
        );
        let bad = [(
            M,
            "{\"message_id\":\"a\\/b\",\"x\":1}\n{\"message_id\":x}\n",
        )];
        assert!(blamed(&e, &bad, Compare::Bytes)
            .iter()
            .any(|l| l.starts_with("REQ-OUT-9 ")));
        let q = ("sqs/q/_queue.json", "{}");
        let stale = "{\"message_id\":\"o\",\"queue_generation\":1}\n";
        assert_eq!(
            blamed(&[q], &[q, (M, stale)], Compare::Bytes),
            ["REQ-DEC-4 sqs/q/messages.jsonl: unexpected file"]
        );
        for other in [
            "",
            "{\"message_id\":\"o\"}\n",
            "{\"queue_generation\":1}\n",
            "x\n",
        ] {
            assert_eq!(
                blamed(&[q], &[q, (M, other)], Compare::Bytes),
                ["REQ-DEC-12 sqs/q/messages.jsonl: unexpected file"],
                "{other:?}"
            );
        }
        let mixed = format!("{stale}{{\"message_id\":\"p\"}}\n");
        assert_eq!(
            blamed(&[q], &[q, (M, &mixed)], Compare::Bytes),
            ["REQ-DEC-12 sqs/q/messages.jsonl: unexpected file"]
        );
        // Without the queue's _queue.json the file is just extra.
        assert_eq!(
            blamed(&[], &[(M, stale)], Compare::Bytes),
            ["REQ-OUT-1 sqs/q/messages.jsonl: unexpected file"]
        );
    }

    // REQ-CONF-5
    #[test]
    fn every_subject_has_one_rule() {
        use Subject::*;
        let all = [
            FileSet,
            EmptyQueueMessages,
            DirName,
            DotDirName,
            OrphanDir,
            SideRecordSet,
            SideRecordOrder,
            SeqSideRecord,
            SideRecordLine,
            MessageOrder,
            DuplicateVersion,
            StaleGeneration,
            MessageField,
            Visibility,
            Partition,
            Body,
            BodyEscaping,
            StringEscaping,
            Attributes,
            AttributeUtf8,
            ReceiptToken,
            QueueName,
            QueueField,
            Tags,
            QueueLayout,
            InvalidJson,
            ManifestField,
            ManifestShape,
            SnapshotIndex,
            WallTime,
            Checksums,
            Leftovers,
            ErrorClass,
            SnapshotStream,
            RestoredRecord,
            RestoredAttributes,
            RestoredTags,
            DerivedRow,
            EntryOrder,
            EncodeLeftovers,
            EncodeErrorClass,
        ];
        assert_eq!(all.len(), GOVERNS.len());
        for s in all {
            assert_eq!(
                GOVERNS.iter().filter(|(t, _, _)| *t == s).count(),
                1,
                "{s:?}"
            );
            assert_ne!(governing(s), "REQ-CONF-5", "{s:?}");
        }
    }
}

#[cfg(test)]
#[path = "blame_tests.rs"]
mod judging_tests;
