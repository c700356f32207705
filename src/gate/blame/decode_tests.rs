//! Unit tests of the blame rules, one subject at a time, on in-memory
//! trees (the mutation runs of `scripts/mutants --quick` select them).

use super::*;
use crate::dump::DumpModel;

fn tree_bytes(files: &[(&str, &[u8])]) -> BTreeMap<String, Vec<u8>> {
    files
        .iter()
        .map(|(p, b)| (p.to_string(), b.to_vec()))
        .collect()
}

fn tree(files: &[(&str, &str)]) -> BTreeMap<String, Vec<u8>> {
    files
        .iter()
        .map(|(p, b)| (p.to_string(), b.as_bytes().to_vec()))
        .collect()
}

fn blamed_bytes(e: &[(&str, &[u8])], a: &[(&str, &[u8])], mode: Compare) -> Vec<String> {
    let mut model = DumpModel::new();
    model.files = tree_bytes(a);
    let actual = LoadedTree {
        model,
        problems: Vec::new(),
    };
    blame_trees(&tree_bytes(e), &actual, "REQ-CONF-1", mode)
        .into_iter()
        .map(|f| format!("{} {}", f.req, f.diff))
        .collect()
}

fn as_bytes<'a>(files: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a [u8])> {
    files.iter().map(|(p, b)| (*p, b.as_bytes())).collect()
}

fn blamed(e: &[(&str, &str)], a: &[(&str, &str)], mode: Compare) -> Vec<String> {
    blamed_bytes(&as_bytes(e), &as_bytes(a), mode)
}

/// One messages.jsonl on each side (with the queue's `_queue.json`).
fn messages(e: &str, a: &str, mode: Compare) -> Vec<String> {
    let q = (Q, "{}");
    blamed(&[q, (M, e)], &[q, (M, a)], mode)
}

/// One side_records.jsonl on each side.
fn side(e: &str, a: &str) -> Vec<String> {
    blamed(&[(S, e)], &[(S, a)], Compare::Bytes)
}

const M: &str = "sqs/q/messages.jsonl";
const Q: &str = "sqs/q/_queue.json";
const S: &str = "sqs/q/_internals/side_records.jsonl";

fn sha(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

// REQ-CONF-5
#[test]
fn paths_are_placed_by_their_name() {
    assert_eq!(place(MANIFEST_FILE), Place::Manifest);
    assert_eq!(place(CHECKSUMS_FILE), Place::Checksums);
    assert_eq!(place(Q), Place::QueueJson);
    assert_eq!(place(M), Place::Messages);
    assert_eq!(place(S), Place::SideRecords);
    assert_eq!(place("sqs/q/other"), Place::Other);
    assert_eq!(queue_dir(Q), Some("q"));
    assert_eq!(queue_dir("sqs/abc/x/y"), Some("abc"));
    assert_eq!(queue_dir(MANIFEST_FILE), None);
    assert_eq!(queue_dir("sqs/"), None);
}

// REQ-CONF-5
#[test]
fn lone_files_are_blamed_by_where_they_are() {
    let none = BTreeMap::new();
    let lone = |p: &str, e: &BTreeMap<String, Vec<u8>>| lone_file_subject(p, e, &none, None);
    // An orphan directory, whatever its name: side records and no
    // _queue.json in the tree the file sits in.
    let orphan = tree(&[("sqs/h-1/_internals/side_records.jsonl", "")]);
    for p in ["sqs/h-1/_internals/side_records.jsonl", "sqs/h-1/x"] {
        assert_eq!(
            lone_file_subject(p, &none, &orphan, None),
            Subject::OrphanDir
        );
    }
    let live = tree(&[
        ("sqs/h-1/_queue.json", "{}"),
        ("sqs/h-1/_internals/side_records.jsonl", ""),
    ]);
    assert_eq!(
        lone_file_subject("sqs/h-1/messages.jsonl", &live, &live, None),
        Subject::EmptyQueueMessages
    );
    assert_eq!(lone("sqs/x.orphan/messages.jsonl", &none), Subject::FileSet);
    assert_eq!(lone("sqs/q/messages.jsonl", &none), Subject::FileSet);
    assert_eq!(lone("sqs/%2E/_queue.json", &none), Subject::DotDirName);
    assert_eq!(lone("sqs/%2E%2E/_queue.json", &none), Subject::DotDirName);
    assert_eq!(lone(Q, &none), Subject::FileSet);
    assert_eq!(lone(MANIFEST_FILE, &none), Subject::ManifestField);
    assert_eq!(lone(CHECKSUMS_FILE, &none), Subject::ManifestField);
    // Side records: all `seq` ones, or any other set.
    let seq = "{\"prefix\":\"!sqs|queue|seq|\",\"key_hex\":\"01\"}\n";
    let vis = "{\"prefix\":\"!sqs|msg|vis|\",\"key_hex\":\"02\"}\n";
    assert_eq!(lone(S, &tree(&[(S, seq)])), Subject::SeqSideRecord);
    assert_eq!(
        lone(S, &tree(&[(S, &format!("{seq}{vis}"))])),
        Subject::SideRecordSet
    );
    assert_eq!(lone(S, &tree(&[(S, vis)])), Subject::SideRecordSet);
    assert_eq!(lone(S, &tree(&[(S, "")])), Subject::SideRecordSet);
    assert_eq!(lone(S, &none), Subject::SideRecordSet);
    // A messages.jsonl the expected tree has too is just missing.
    let both = tree(&[(Q, "{}"), (M, "{}\n")]);
    assert_eq!(lone(M, &both), Subject::FileSet);
}

// REQ-CONF-5
#[test]
fn files_under_another_name_are_paired_by_their_bytes() {
    let e = [("sqs/a/_queue.json", "{\"name\":\"a\"}")];
    let a = [("sqs/b/_queue.json", "{\"name\":\"a\"}")];
    assert_eq!(
        blamed(&e, &a, Compare::Bytes),
        ["REQ-OUT-2 sqs/a/_queue.json: written under another name: expected sqs/a/_queue.json got sqs/b/_queue.json"]
    );
    let e = [("sqs/%2E/_queue.json", "{\"name\":\".\"}")];
    let a = [("sqs/./_queue.json", "{\"name\":\".\"}")];
    assert_eq!(
        blamed(&e, &a, Compare::Bytes),
        ["REQ-OUT-3 sqs/%2E/_queue.json: written under another name: expected sqs/%2E/_queue.json got sqs/./_queue.json"]
    );
    // Other bytes: one missing file, one extra.
    let a = [("sqs/b/_queue.json", "{\"name\":\"b\"}")];
    assert_eq!(
        blamed(&[("sqs/a/_queue.json", "{}")], &a, Compare::Bytes),
        [
            "REQ-OUT-1 sqs/a/_queue.json: missing file",
            "REQ-OUT-1 sqs/b/_queue.json: unexpected file",
        ]
    );
    assert_eq!(
        blamed(&[(MANIFEST_FILE, "{}")], &[], Compare::Bytes),
        ["REQ-CLI-8 MANIFEST.json: missing file"]
    );
}

// REQ-CONF-5
#[test]
fn an_unexpected_manifest_or_checksums_is_not_a_file_set_difference() {
    let q = (Q, "{}");
    let m = (MANIFEST_FILE, "{}");
    let sums = format!("{}  {MANIFEST_FILE}\n{}  {Q}\n", sha(b"{}"), sha(b"{}"));
    let c = (CHECKSUMS_FILE, sums.as_str());
    assert!(blamed(&[q], &[q, m, c], Compare::Bytes).is_empty());
    assert!(blamed(&[q], &[q, m], Compare::Bytes).is_empty());
    // Another CHECKSUMS than the expected one, consistent with its tree.
    let other = (CHECKSUMS_FILE, "x");
    assert!(blamed(&[q, m, other], &[q, m, c], Compare::Bytes).is_empty());
    // An inconsistent one.
    let bad = (CHECKSUMS_FILE, "x");
    assert_eq!(
        blamed(&[q, m, c], &[q, m, bad], Compare::Bytes),
        ["REQ-CLI-8 CHECKSUMS:1: bad line x"]
    );
    // Files that differ and no rule explains.
    assert_eq!(
        blamed(&[("sqs/q/x", "1")], &[("sqs/q/x", "2")], Compare::Bytes),
        ["REQ-CONF-1 sqs/q/x: bytes differ"]
    );
}

// REQ-CONF-5
#[test]
fn queue_json_fields_are_blamed_by_name() {
    let q = |s: &str| {
        blamed(
            &[(Q, "{\"name\":\"q\",\"tags\":{\"a\":\"b\"},\"x\":1}\n")],
            &[(Q, s)],
            Compare::Bytes,
        )
    };
    assert_eq!(
        q("{\"name\":\"r\",\"tags\":{\"a\":\"b\"},\"x\":1}\n"),
        ["REQ-DEC-1 sqs/q/_queue.json: field name: expected \"q\" got \"r\""]
    );
    assert_eq!(
        q("{\"name\":\"q\",\"tags\":{\"a\":\"c\"},\"x\":1}\n"),
        ["REQ-VAL-4 sqs/q/_queue.json: field tags: expected {\"a\":\"b\"} got {\"a\":\"c\"}"]
    );
    assert_eq!(
        q("{\"name\":\"q\",\"tags\":{\"a\":\"b\"},\"x\":2}\n"),
        ["REQ-OUT-4 sqs/q/_queue.json: field x: expected 1 got 2"]
    );
    // Tags spelt with other white space: layout.
    assert_eq!(
        q("{\"name\":\"q\",\"tags\":{\"a\": \"b\"},\"x\":1}\n"),
        ["REQ-JSON-15 sqs/q/_queue.json: field tags: expected {\"a\":\"b\"} got {\"a\": \"b\"}"]
    );
    // Same members, another indent: the first differing line.
    assert_eq!(
        q("{\"name\":\"q\",\"tags\":{\"a\":\"b\"},\"x\":1}"),
        ["REQ-JSON-15 sqs/q/_queue.json:1: missing final newline"]
    );
    assert_eq!(
        q("x"),
        ["REQ-OUT-9 sqs/q/_queue.json: not a JSON object: expected '{' at byte 0, found 'x'"]
    );
    // Escapes other than HTML ones, in a name and inside tags.
    let e = [(Q, "{\"name\":\"\u{e9}\",\"tags\":{\"a\":\"\u{e9}\"}}")];
    let a = [(Q, "{\"name\":\"\\u00e9\",\"tags\":{\"a\":\"\\u00e9\"}}")];
    assert_eq!(
        blamed(&e, &a, Compare::Bytes),
        [
            "REQ-JSON-11 sqs/q/_queue.json: field name: expected \"\u{e9}\" got \"\\u00e9\"",
            "REQ-JSON-11 sqs/q/_queue.json: field tags: expected {\"a\":\"\u{e9}\"} got {\"a\":\"\\u00e9\"}",
        ]
    );
    let e = [(Q, "{\"name\":\"<\"}")];
    let a = [(Q, "{\"name\":\"\\u003c\"}")];
    assert_eq!(
        blamed(&e, &a, Compare::Bytes),
        ["REQ-JSON-15 sqs/q/_queue.json: field name: expected \"<\" got \"\\u003c\""]
    );
    assert!(blamed(&e, &a, Compare::Json).is_empty());
}

// REQ-CONF-5
#[test]
fn message_fields_are_blamed_by_name() {
    let e = "{\"message_id\":\"a\",\"body\":\"b\",\"visible_at_millis\":1,\"receive_count\":0,\"first_receive_millis\":0,\"partition\":0,\"current_receipt_token\":\"t\",\"message_attributes\":{\"k\":\"v\"},\"x\":1}\n";
    let changed = |from: &str, to: &str| {
        let a = e.replace(from, to);
        assert_ne!(a, e);
        messages(e, &a, Compare::Bytes)
            .into_iter()
            .map(|l| l.split(' ').next().unwrap_or_default().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        changed("\"visible_at_millis\":1", "\"visible_at_millis\":2"),
        ["REQ-DEC-5"]
    );
    assert_eq!(
        changed("\"receive_count\":0", "\"receive_count\":1"),
        ["REQ-DEC-5"]
    );
    assert_eq!(
        changed("\"first_receive_millis\":0", "\"first_receive_millis\":1"),
        ["REQ-DEC-5"]
    );
    assert_eq!(
        changed(",\"current_receipt_token\":\"t\"", ""),
        ["REQ-DEC-5"]
    );
    assert_eq!(
        changed(
            "\"current_receipt_token\":\"t\"",
            "\"current_receipt_token\":\"u\""
        ),
        ["REQ-JSON-14"]
    );
    assert_eq!(changed("\"partition\":0", "\"partition\":1"), ["REQ-DEC-6"]);
    assert_eq!(changed("\"body\":\"b\"", "\"body\":\"c\""), ["REQ-OUT-6"]);
    assert_eq!(changed("{\"k\":\"v\"}", "{\"k\":\"w\"}"), ["REQ-JSON-13"]);
    // The same attributes spelt otherwise are still the attributes' rule.
    assert_eq!(
        changed("{\"k\":\"v\"}", "{\"k\":\"\\u0076\"}"),
        ["REQ-JSON-13"]
    );
    assert_eq!(changed("\"x\":1", "\"x\":2"), ["REQ-OUT-5"]);
    assert_eq!(
        changed("\"message_id\":\"a\"", "\"message_id\":\"\\u0061\""),
        ["REQ-JSON-11"]
    );
    assert_eq!(
        changed("\"body\":\"b\"", "\"body\":\"\\u0062\""),
        ["REQ-JSON-11"]
    );
}

// REQ-CONF-5
#[test]
fn invalid_utf8_in_attributes_is_its_own_subject() {
    let line = |v: &[u8]| {
        let mut l = b"{\"message_id\":\"a\",\"message_attributes\":{\"k\":\"".to_vec();
        l.extend_from_slice(v);
        l.extend_from_slice(b"\"}}\n");
        l
    };
    let q: (&str, &[u8]) = (Q, b"{}");
    let (e, a) = (line("\u{fffd}".as_bytes()), line(b"\xff"));
    let got = blamed_bytes(&[q, (M, &e)], &[q, (M, &a)], Compare::Bytes);
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(
        got[0].starts_with("REQ-JSON-16 sqs/q/messages.jsonl:1: field message_attributes"),
        "{got:?}"
    );
    // Invalid UTF-8 that is not the expected value replaced.
    let other = line(b"x");
    let got = blamed_bytes(&[q, (M, &other)], &[q, (M, &a)], Compare::Bytes);
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(got[0].starts_with("REQ-JSON-13 "), "{got:?}");
}

// REQ-CONF-5
#[test]
fn message_lines_final_newline_and_order() {
    let (a, b, c) = (
        "{\"message_id\":\"a\"}",
        "{\"message_id\":\"b\"}",
        "{\"message_id\":\"c\"}",
    );
    assert_eq!(
        messages(&format!("{a}\n"), a, Compare::Bytes),
        ["REQ-OUT-5 sqs/q/messages.jsonl:1: final newline: expected true got false"]
    );
    assert_eq!(
        messages(
            &format!("{a}\n{b}\n{c}\n"),
            &format!("{a}\n{c}\n{b}\n"),
            Compare::Bytes
        ),
        [format!(
            "REQ-DEC-7 sqs/q/messages.jsonl:2: lines in another order: expected {b} got {c}"
        )]
    );
    // Lines in another order and one changed.
    let b2 = "{\"message_id\":\"b\",\"x\":1}";
    assert_eq!(
        messages(
            &format!("{a}\n{b}\n"),
            &format!("{b2}\n{a}\n"),
            Compare::Bytes
        ),
        [
            "REQ-OUT-5 sqs/q/messages.jsonl:1: unexpected field x: expected <missing> got 1",
            "REQ-DEC-7 sqs/q/messages.jsonl:2: lines in another order",
        ]
    );
    assert_eq!(
        messages(
            &format!("{a}\n{b}\n"),
            &format!("{a}\n{b2}\n"),
            Compare::Bytes
        ),
        ["REQ-OUT-5 sqs/q/messages.jsonl:2: unexpected field x: expected <missing> got 1"]
    );
    assert_eq!(
        messages(
            &format!("{a}\n{b}\n"),
            &format!("{a}\n{b2}\n"),
            Compare::Json
        ),
        ["REQ-OUT-5 sqs/q/messages.jsonl:2: unexpected field x: expected <missing> got 1"]
    );
    // No final newline on an empty side: only the lines count.
    assert_eq!(
        messages("", &format!("{a}\n"), Compare::Bytes),
        [format!(
            "REQ-CONF-1 sqs/q/messages.jsonl:1: unexpected message: expected <none> got {a}"
        )]
    );
    assert_eq!(
        messages(&format!("{a}\n"), "", Compare::Bytes),
        [format!(
            "REQ-CONF-1 sqs/q/messages.jsonl:1: missing message: expected {a} got <none>"
        )]
    );
}

// REQ-CONF-5
#[test]
fn message_lines_pair_by_id_and_report_their_line() {
    let (a, b, c) = (
        "{\"message_id\":\"a\",\"queue_generation\":2}",
        "{\"message_id\":\"b\",\"queue_generation\":2}",
        "{\"message_id\":\"c\",\"queue_generation\":2}",
    );
    // An unparsable line.
    assert_eq!(
        messages(
            &format!("{a}\n{b}\n"),
            &format!("{a}\nnope\n"),
            Compare::Bytes
        ),
        [
            "REQ-OUT-9 sqs/q/messages.jsonl:2: not a JSON object: expected a JSON object got nope",
            format!("REQ-CONF-1 sqs/q/messages.jsonl:2: missing message: expected {b} got <none>")
                .as_str(),
        ]
    );
    // A second version of one message.
    let a2 = "{\"message_id\":\"a\",\"queue_generation\":2,\"x\":1}";
    assert_eq!(
        messages(&format!("{a}\n{b}\n"), &format!("{a}\n{b}\n{a2}\n"), Compare::Bytes),
        [format!("REQ-FSM-7 sqs/q/messages.jsonl:3: another line for one message id: expected <none> got {a2}")]
    );
    // Of two versions the byte-identical one pairs, wherever it is.
    assert_eq!(
        messages(&format!("{a2}\n{b}\n"), &format!("{b}\n{a}\n{a2}\n"), Compare::Bytes),
        [
            format!("REQ-FSM-7 sqs/q/messages.jsonl:2: another line for one message id: expected <none> got {a}"),
            "REQ-DEC-7 sqs/q/messages.jsonl:3: lines in another order".to_string(),
        ]
    );
    // A message of another generation than the expected lines'.
    let old = "{\"message_id\":\"o\",\"queue_generation\":1}";
    assert_eq!(
        messages(
            &format!("{a}\n{b}\n"),
            &format!("{a}\n{b}\n{old}\n"),
            Compare::Bytes
        ),
        [format!(
            "REQ-DEC-4 sqs/q/messages.jsonl:3: unexpected message: expected <none> got {old}"
        )]
    );
    // Of the expected generation, or without generations to compare.
    assert_eq!(
        messages(
            &format!("{a}\n{b}\n"),
            &format!("{a}\n{b}\n{c}\n"),
            Compare::Bytes
        ),
        [format!(
            "REQ-CONF-1 sqs/q/messages.jsonl:3: unexpected message: expected <none> got {c}"
        )]
    );
    let plain = "{\"message_id\":\"a\"}";
    assert_eq!(
        messages(
            &format!("{plain}\n"),
            &format!("{plain}\n{old}\n"),
            Compare::Bytes
        ),
        [format!(
            "REQ-CONF-1 sqs/q/messages.jsonl:2: unexpected message: expected <none> got {old}"
        )]
    );
    // A missing message's line is its expected line.
    assert_eq!(
        messages(
            &format!("{a}\n{b}\n{c}\n"),
            &format!("{a}\n{c}\n"),
            Compare::Bytes
        ),
        [format!(
            "REQ-CONF-1 sqs/q/messages.jsonl:2: missing message: expected {b} got <none>"
        )]
    );
    // White space between members: not compact (bytes only).
    let spaced = "{\"message_id\":\"b\", \"queue_generation\":2}";
    assert_eq!(
        messages(
            &format!("{a}\n{b}\n"),
            &format!("{a}\n{spaced}\n"),
            Compare::Bytes
        ),
        [format!(
            "REQ-OUT-5 sqs/q/messages.jsonl:2: not written compactly: expected {b} got {spaced}"
        )]
    );
    assert!(messages(
        &format!("{a}\n{b}\n"),
        &format!("{a}\n{spaced}\n"),
        Compare::Json
    )
    .is_empty());
    // Members of a line found by their last occurrence.
    let line = Line::new(b"{\"k\":1,\"k\":2,\"j\":3}");
    assert_eq!(line.field("k"), Some(&b"2"[..]));
    assert_eq!(line.field("j"), Some(&b"3"[..]));
    assert_eq!(line.field("z"), None);
    assert_eq!(
        Line::new(b"{\"message_id\":\"\\u0061\"}").id(),
        Some(b"\"a\"".to_vec())
    );
    assert_eq!(Line::new(b"{\"message_id\":x}").id(), None);
    assert_eq!(Line::new(b"{}").id(), None);
}

// REQ-CONF-5
#[test]
fn side_records_are_compared_by_key() {
    let r =
        |p: &str, k: &str, v: u32| format!("{{\"prefix\":\"{p}\",\"key_hex\":\"{k}\",\"v\":{v}}}");
    let vis = |k: &str, v: u32| r("!sqs|msg|vis|", k, v);
    let seq = |k: &str, v: u32| r("!sqs|queue|seq|", k, v);
    let (x, y, z) = (vis("01", 0), vis("02", 0), seq("03", 0));
    assert!(side(&format!("{x}\n{y}\n"), &format!("{x}\n{y}\n")).is_empty());
    assert_eq!(
        side(&format!("{x}\n{y}\n"), &format!("{y}\n{x}\n")),
        ["REQ-DEC-14 sqs/q/_internals/side_records.jsonl: side records in another order"]
    );
    assert_eq!(
        side(&format!("{x}\n{y}\n"), &format!("{x}\n{y}")),
        ["REQ-OUT-7 sqs/q/_internals/side_records.jsonl:2: final newline: expected true got false"]
    );
    assert_eq!(
        side(&format!("{x}\n{y}\n"), &format!("{x}\n{z}\n{y}\n")),
        [format!("REQ-DEC-9 sqs/q/_internals/side_records.jsonl:2: unexpected side record: expected <none> got {z}")]
    );
    assert_eq!(
        side(&format!("{x}\n{z}\n{y}\n"), &format!("{x}\n{y}\n")),
        [format!("REQ-DEC-9 sqs/q/_internals/side_records.jsonl:2: missing side record: expected {z} got <none>")]
    );
    assert_eq!(
        side(&format!("{x}\n{y}\n"), &format!("{x}\n{y}\n{}\n", vis("04", 0))),
        [format!("REQ-DEC-8 sqs/q/_internals/side_records.jsonl:3: unexpected side record: expected <none> got {}", vis("04", 0))]
    );
    assert_eq!(
        side(&format!("{x}\n{y}\n"), &format!("{x}\n")),
        [format!("REQ-DEC-8 sqs/q/_internals/side_records.jsonl:2: missing side record: expected {y} got <none>")]
    );
    let y1 = vis("02", 1);
    assert_eq!(
        side(&format!("{x}\n{y}\n"), &format!("{x}\n{y1}\n")),
        [format!("REQ-OUT-7 sqs/q/_internals/side_records.jsonl:2: side-record line differs: expected {y} got {y1}")]
    );
    assert_eq!(side_prefix(z.as_bytes()).as_deref(), Some(SEQ));
    assert_eq!(
        side_prefix(b"{\"key_hex\":\"01\",\"prefix\":\"p\"}").as_deref(),
        Some("p")
    );
    assert_eq!(side_prefix(b"{\"key_hex\":\"01\"}"), None);
}

// REQ-CONF-5
#[test]
fn manifest_fields_are_blamed_by_pointer() {
    assert_eq!(manifest_subject("/wall_time_iso"), Subject::WallTime);
    assert_eq!(manifest_subject("/snapshot_index"), Subject::SnapshotIndex);
    assert_eq!(manifest_subject("/format_version"), Subject::ManifestField);
    assert_eq!(
        manifest_subject("/source/fsm_crc32c"),
        Subject::ManifestField
    );
    assert_eq!(manifest_subject("/exclusions/x"), Subject::ManifestField);
    assert_eq!(manifest_subject("/source/fsm_path"), Subject::ManifestShape);
    let wall = "\"wall_time_iso\":\"2026-01-01T00:00:00Z\"";
    let m = |rest: &str| format!("{{{wall}{rest}}}");
    let e = m(",\"format_version\":1,\"adapters\":{\"sqs\":{}}");
    let got = |a: &str| {
        blamed(
            &[(MANIFEST_FILE, &e)],
            &[(MANIFEST_FILE, a)],
            Compare::Bytes,
        )
    };
    assert_eq!(
        got(&m(",\"format_version\":2,\"adapters\":{\"sqs\":{}}")),
        ["REQ-CLI-8 MANIFEST.json: field format_version: expected 1 got 2"]
    );
    assert_eq!(
        got(&m(",\"format_version\":1")),
        [
            "REQ-CLI-8 MANIFEST.json: field adapters: expected {} got <missing>",
            "REQ-CLI-8 MANIFEST.json: field adapters.sqs: expected {} got <missing>",
        ]
    );
    // White space alone: no difference.
    assert!(got(&m(", \"format_version\":1,\"adapters\":{\"sqs\":{}}")).is_empty());
    assert_eq!(
        got("{\"format_version\":1,\"adapters\":{\"sqs\":{}}}"),
        ["REQ-CLI-9 MANIFEST.json: wall_time_iso must be an RFC 3339 time: expected an RFC 3339 time got <missing>"]
    );
    assert_eq!(got("[1]"), ["REQ-CLI-8 MANIFEST.json: not a JSON object"]);
}

// REQ-CONF-5
#[test]
fn checksums_are_judged_against_their_own_tree() {
    let files = tree(&[("a", "1"), ("b", "2"), (CHECKSUMS_FILE, "")]);
    let (ha, hb) = (sha(b"1"), sha(b"2"));
    let check = |s: &str| checksums_consistent(s.as_bytes(), &files).map(|d| d.to_string());
    assert_eq!(check(&format!("{ha}  a\n{hb}  b\n")), None);
    assert_eq!(check(&format!("{ha} *a\n{hb} *b\n")), None);
    assert_eq!(
        check(&format!("{ha}  a\nnonsense\n")).as_deref(),
        Some("CHECKSUMS:2: bad line nonsense")
    );
    assert_eq!(
        check(&format!("{ha}  a\n{hb}  c\n")).as_deref(),
        Some("CHECKSUMS:2: lists c, which the dump does not hold")
    );
    assert_eq!(
        check(&format!("{ha}  a\n{hb}  CHECKSUMS\n")).as_deref(),
        Some("CHECKSUMS:2: lists CHECKSUMS, which the dump does not hold")
    );
    assert_eq!(
        check(&format!("{ha}  a\n{ha}  b\n")),
        Some(format!("CHECKSUMS:2: sha256 of b: expected {hb} got {ha}"))
    );
    assert_eq!(
        check(&format!("{hb}  b\n")).as_deref(),
        Some("CHECKSUMS: does not list a")
    );
}
