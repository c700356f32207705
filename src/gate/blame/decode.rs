//! Blame for the decode direction: every difference between an expected
//! dump tree and an implementation's, each attributed through the table
//! of [`super::GOVERNS`]. The comparison walks the whole tree:
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

use super::{
    compact, compare_bytes, compare_members, escape_subject, shorten, shown, split_lines, Blame,
    Finding, Subject,
};
use crate::gate::conform::{Compare, Difference};
use crate::gate::span;
use crate::gate::verify::LoadedTree;
use crate::manifest::{is_rfc3339, CHECKSUMS_FILE, MANIFEST_FILE};

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
// REQ-CONF-4, REQ-CONF-5
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
// _queue.json

fn compare_queue_json(b: &mut Blame<'_>, path: &str, e: &[u8], a: &[u8]) {
    let Ok(em) = span::object(e) else {
        b.unexplained(Difference::in_file(path, None, "expected file unreadable"));
        return;
    };
    let am = match span::object(a) {
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
    members: Option<Vec<span::Member<'a>>>,
}

impl<'a> Line<'a> {
    fn new(raw: &'a [u8]) -> Self {
        Line {
            raw,
            members: span::object(raw).ok(),
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
    let members = span::object(line).ok()?;
    let raw = members.iter().find(|m| m.key == "prefix")?.value;
    span::decode_string(raw).ok()
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
        span::object(l)
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
// REQ-CONF-4
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
}

#[cfg(test)]
#[path = "decode_tests.rs"]
mod judging_tests;
