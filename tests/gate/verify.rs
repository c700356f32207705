//! `sqsdump verify`: it passes every dump sqsdump writes, and each
//! structural rule it checks is caught, by the right requirement, when a
//! dump breaks it.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use sqsdump::decode::Options;
use sqsdump::dump::DumpModel;
use sqsdump::gate::conform::{generated_input, Profile};
use sqsdump::gate::corpus::{self, expected_outcome};
use sqsdump::gate::verify::{load_tree, verify_dir, verify_model, Violation};
use sqsdump::manifest;
use sqsdump::warning::Warning;

const SAMPLE: &[u8] = include_bytes!("../../examples/sample.fsm");

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("conformance")
}

fn sample(preserve_visibility: bool, include_side_records: bool) -> DumpModel {
    expected_outcome(
        SAMPLE,
        Options {
            preserve_visibility,
            include_side_records,
            require_footer: false,
        },
    )
    .unwrap()
}

fn lines(v: &[Violation]) -> String {
    v.iter()
        .map(|v| v.to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

/// A REQ-OUT-10 finding or a `sqs_queue_not_restorable` warning: the
/// queue's name, the kind, the number of messages.
type Finding = (String, String, u64);

/// The restorability findings of `v`, with the queue names of `files`.
fn findings(files: &BTreeMap<String, Vec<u8>>, v: &[Violation]) -> BTreeSet<Finding> {
    v.iter()
        .filter(|v| v.req == "REQ-OUT-10")
        .map(|v| {
            let dir = v.path.split('/').nth(1).unwrap();
            let queue: serde_json::Value =
                serde_json::from_slice(&files[&format!("sqs/{dir}/_queue.json")]).unwrap();
            let (kind, rest) = v.what.split_once(": ").unwrap();
            let n: String = rest
                .split_once("refuses ")
                .unwrap()
                .1
                .trim_start_matches("the queue and its ")
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            (
                queue["name"].as_str().unwrap().to_string(),
                kind.to_string(),
                n.parse().unwrap(),
            )
        })
        .collect()
}

/// The `sqs_queue_not_restorable` warnings of a decode.
fn warned(warnings: &[Warning]) -> BTreeSet<Finding> {
    warnings
        .iter()
        .filter_map(|w| match w {
            Warning::NotRestorable {
                queue,
                kind,
                messages,
            } => Some((queue.clone(), kind.as_str().to_string(), *messages)),
            _ => None,
        })
        .collect()
}

/// `model`, a decode, breaks no structural rule, and its restorability
/// findings are exactly the decode's `sqs_queue_not_restorable` warnings.
#[track_caller]
fn assert_clean(what: &str, model: &DumpModel) {
    let v = verify_model(model);
    let structural: Vec<Violation> = v
        .iter()
        .filter(|v| v.req != "REQ-OUT-10")
        .cloned()
        .collect();
    assert!(structural.is_empty(), "{what}:\n{}", lines(&structural));
    assert_eq!(
        findings(&model.files, &v),
        warned(&model.warnings),
        "{what}:\n{}",
        lines(&v)
    );
}

/// The corpus cases whose expected dumps `encode` refuses (REQ-OUT-10),
/// and why. Each input shows a decode rule with a record the live system
/// does not write: a meta record named other than its key (REQ-DEC-1 and
/// the manifest cases use one to show where each name goes; the REQ-FSM-9
/// and REQ-KEY-8 inputs name `q\0` `q-nul`), HT-FIFO settings the live
/// validator refuses (a standard queue with partitions to show the
/// `partition` field; a `U+2028` throughput limit to show escaping), or
/// partitions off their group's lane (the REQ-KEY-4 keys, and the bundled
/// sample's `events.fifo`).
const UNRESTORABLE_CASES: [(&str, &str); 8] = [
    ("REQ-CLI-12-manifest-shape", "queue_name_not_directory"),
    ("REQ-CLI-8-manifest", "queue_name_not_directory"),
    ("REQ-DEC-1-queue-names", "queue_name_not_directory"),
    ("REQ-DEC-6-partition-field", "ht_fifo_on_standard_queue"),
    (
        "REQ-FSM-9-versions-not-adjacent",
        "queue_name_not_directory",
    ),
    (
        "REQ-JSON-15-queue-file-layout",
        "fifo_throughput_limit_unknown",
    ),
    ("REQ-KEY-4-partitioned-keys", "partition_not_group_lane"),
    ("REQ-KEY-8-gen-2-56-misparse", "queue_name_not_directory"),
];

// REQ-CONF-7, REQ-OUT-1, REQ-OUT-2, REQ-OUT-3, REQ-OUT-4, REQ-OUT-5, REQ-OUT-6, REQ-OUT-7, REQ-OUT-9, REQ-OUT-10, REQ-JSON-11, REQ-JSON-12, REQ-JSON-13, REQ-JSON-14, REQ-JSON-15, REQ-DEC-7, REQ-DEC-12, REQ-CLI-8
#[test]
fn every_expected_tree_of_the_corpus_verifies() {
    let mut checked = 0;
    let mut unrestorable = BTreeSet::new();
    for entry in fs::read_dir(corpus_dir()).unwrap() {
        let case = entry.unwrap().path();
        let expected = case.join("expected");
        if !expected.is_dir() {
            continue;
        }
        let name = case.file_name().unwrap().to_str().unwrap().to_string();
        let (tree, violations) = verify_dir(&expected).unwrap();
        let structural: Vec<Violation> = violations
            .iter()
            .filter(|v| v.req != "REQ-OUT-10")
            .cloned()
            .collect();
        assert!(
            structural.is_empty(),
            "{}:\n{}",
            expected.display(),
            lines(&structural)
        );
        // The restorability findings are exactly the decode's warnings on
        // the case's input.
        let flags = fs::read_to_string(case.join("flags")).unwrap();
        let flags: Vec<&str> = flags.lines().filter(|l| !l.is_empty()).collect();
        let opts = corpus::options_from_flags(&flags).unwrap();
        let input_dir = case.join(corpus::INPUT_DIR);
        let decoded = if input_dir.is_dir() {
            corpus::expected_dir_outcome(&files_under(&input_dir), opts)
        } else {
            expected_outcome(&fs::read(case.join("input.fsm")).unwrap(), opts)
        }
        .unwrap();
        let found = findings(&tree.model.files, &violations);
        assert_eq!(found, warned(&decoded.warnings), "{name}");
        for (_, kind, _) in found {
            unrestorable.insert((name.clone(), kind));
        }
        assert!(tree.model.files.contains_key("MANIFEST.json"));
        checked += 1;
    }
    assert!(checked > 60, "only {checked} expected trees");
    let want: BTreeSet<(String, String)> = UNRESTORABLE_CASES
        .iter()
        .map(|(c, k)| (c.to_string(), k.to_string()))
        .collect();
    assert_eq!(unrestorable, want);
}

// REQ-CONF-7, REQ-DEC-5, REQ-DEC-8
#[test]
fn the_sample_decode_verifies_with_every_flag_combination() {
    for preserve in [false, true] {
        for side in [false, true] {
            assert_clean(
                &format!("sample preserve={preserve} side={side}"),
                &sample(preserve, side),
            );
        }
    }
}

/// Every file under `root` (a data-directory case's `input/`), relative
/// `/`-separated path → bytes.
fn files_under(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for sub in fs::read_dir(root).unwrap() {
        let sub = sub.unwrap().path();
        for file in fs::read_dir(&sub).unwrap() {
            let file = file.unwrap().path();
            let rel = file
                .strip_prefix(root)
                .unwrap()
                .to_str()
                .unwrap()
                .to_string();
            out.insert(rel, fs::read(&file).unwrap());
        }
    }
    out
}

// REQ-CONF-7, REQ-CONF-6
#[test]
fn generated_decodes_verify() {
    for i in 0..40 {
        let (input, flags) = generated_input(11, i, Profile::Valid);
        let model = expected_outcome(&input, corpus::options_from_flags(&flags).unwrap()).unwrap();
        assert_clean(&format!("generated {i}"), &model);
    }
}

/// The bundled sample's decode: a dump that verifies clean and restores.
fn restorable_sample(preserve_visibility: bool, include_side_records: bool) -> DumpModel {
    let m = sample(preserve_visibility, include_side_records);
    assert_eq!(verify_model(&m), Vec::new());
    m
}

/// The base model (sample, both flags, restorable) with `f` applied and
/// CHECKSUMS recomputed, so only the intended rule breaks.
fn broken(f: impl FnOnce(&mut BTreeMap<String, Vec<u8>>)) -> BTreeSet<&'static str> {
    let mut m = DumpModel::new();
    m.files = restorable_sample(true, true).files;
    f(&mut m.files);
    m.files.remove(manifest::CHECKSUMS_FILE);
    let sums = manifest::checksums(&m).unwrap();
    m.files.insert(manifest::CHECKSUMS_FILE.to_string(), sums);
    verify_model(&m).into_iter().map(|v| v.req).collect()
}

fn edit(files: &mut BTreeMap<String, Vec<u8>>, path: &str, from: &str, to: &str) {
    let text = String::from_utf8(files[path].clone()).unwrap();
    assert!(text.contains(from), "{path} lacks {from:?}");
    files.insert(path.to_string(), text.replacen(from, to, 1).into_bytes());
}

fn rename_dir(files: &mut BTreeMap<String, Vec<u8>>, from: &str, to: &str) {
    let moved: Vec<String> = files
        .keys()
        .filter(|p| p.starts_with(from))
        .cloned()
        .collect();
    for p in moved {
        let bytes = files.remove(&p).unwrap();
        files.insert(p.replacen(from, to, 1), bytes);
    }
}

const ORDERS: &str = "sqs/orders/messages.jsonl";
const ORDERS_Q: &str = "sqs/orders/_queue.json";

#[track_caller]
fn assert_reqs(got: BTreeSet<&'static str>, want: &[&str]) {
    let want: BTreeSet<&str> = want.iter().copied().collect();
    assert_eq!(got, want);
}

// REQ-CONF-7
#[test]
fn reversed_messages_break_the_sort_order() {
    assert_reqs(
        broken(|f| {
            let text = String::from_utf8(f[ORDERS].clone()).unwrap();
            let mut lines: Vec<&str> = text.lines().collect();
            lines.reverse();
            f.insert(
                ORDERS.into(),
                format!("{}\n", lines.join("\n")).into_bytes(),
            );
        }),
        &["REQ-DEC-7"],
    );
}

// REQ-CONF-7
#[test]
fn strings_not_written_as_go_writes_them_are_caught() {
    let blobs = "sqs/blobs/messages.jsonl";
    assert_reqs(
        broken(|f| edit(f, blobs, r"\u003cp\u003e", "<p>")),
        &["REQ-JSON-12"],
    );
    assert_reqs(
        broken(|f| edit(f, ORDERS, r#""o-3""#, r#""o\u002d3""#)),
        &["REQ-JSON-11"],
    );
    assert_reqs(
        broken(|f| {
            edit(
                f,
                blobs,
                r#""StringValue":"html"}"#,
                r#""StringValue":"html"},"a":1"#,
            )
        }),
        &["REQ-JSON-13"],
    );
    assert_reqs(
        broken(|f| {
            edit(
                f,
                blobs,
                r#""StringValue":"html"}"#,
                r#""StringValue": "html"}"#,
            )
        }),
        &["REQ-JSON-13"],
    );
    assert_reqs(
        broken(|f| edit(f, ORDERS, r#""AAEC""#, r#""AAE""#)),
        &["REQ-JSON-14"],
    );
}

// REQ-CONF-7
#[test]
fn bodies_must_be_text_or_a_canonical_envelope_of_binary() {
    // A text body in the envelope (base64url of {"sku":"B-7","qty":1}).
    assert_reqs(
        broken(|f| {
            edit(
                f,
                ORDERS,
                r#""body":"{\"sku\":\"B-7\",\"qty\":1}""#,
                r#""body":{"base64":"eyJza3UiOiJCLTciLCJxdHkiOjF9"}"#,
            )
        }),
        &["REQ-OUT-6"],
    );
    let blobs = "sqs/blobs/messages.jsonl";
    assert_reqs(
        broken(|f| edit(f, blobs, "iVBORw0KGgoAAA", "iVBORw0KGgoAAA==")),
        &["REQ-OUT-6"],
    );
    assert_reqs(
        broken(|f| edit(f, blobs, r#"{"base64":"#, r#"{"b64":"#)),
        &["REQ-OUT-6"],
    );
    assert_reqs(
        broken(|f| {
            edit(
                f,
                blobs,
                r#""body":{"base64":"iVBORw0KGgoAAA"}"#,
                r#""body":5"#,
            )
        }),
        &["REQ-OUT-6"],
    );
}

// REQ-CONF-7
#[test]
fn queue_files_must_have_the_schema_and_the_layout() {
    assert_reqs(
        broken(|f| {
            edit(
                f,
                ORDERS_Q,
                "  \"message_retention_seconds\": 345600,\n  \"delay_seconds\": 0,",
                "  \"delay_seconds\": 0,\n  \"message_retention_seconds\": 345600,",
            )
        }),
        &["REQ-OUT-4"],
    );
    assert_reqs(
        broken(|f| {
            edit(
                f,
                ORDERS_Q,
                "\"name\": \"orders\",",
                "\"name\": \"orders\",\n  \"fifo\": false,",
            )
        }),
        &["REQ-OUT-4"],
    );
    assert_reqs(
        broken(|f| {
            edit(
                f,
                ORDERS_Q,
                "\"delay_seconds\": 0,",
                "\"delay_seconds\": 0,\n  \"generation\": 3,",
            )
        }),
        &["REQ-OUT-4"],
    );
    assert_reqs(
        broken(|f| edit(f, ORDERS_Q, "  \"delay_seconds\": 0,\n", "")),
        &["REQ-OUT-4"],
    );
    assert_reqs(
        broken(|f| {
            let mut b = f[ORDERS_Q].clone();
            b.push(b'\n');
            f.insert(ORDERS_Q.into(), b);
        }),
        &["REQ-JSON-15"],
    );
    assert_reqs(
        broken(|f| edit(f, ORDERS_Q, "\"delay_seconds\": 0", "\"delay_seconds\":0")),
        &["REQ-JSON-15"],
    );
    assert_reqs(
        broken(|f| {
            edit(
                f,
                "sqs/events.fifo/_queue.json",
                "\"env\": \"prod\",\n    \"team\"",
                "\"team\": \"prod\",\n    \"env\"",
            )
        }),
        &["REQ-OUT-4"],
    );
}

// REQ-CONF-7
#[test]
fn message_lines_must_have_the_schema_and_be_compact() {
    assert_reqs(
        broken(|f| edit(f, ORDERS, r#""receive_count":0"#, r#""receive_count": 0"#)),
        &["REQ-OUT-5"],
    );
    assert_reqs(
        broken(|f| edit(f, ORDERS, r#","queue_generation":1}"#, "}")),
        &["REQ-OUT-5"],
    );
    assert_reqs(
        broken(|f| {
            edit(
                f,
                ORDERS,
                r#""receive_count":0,"#,
                r#""receive_count":0,"first_receive_millis":0,"#,
            )
        }),
        &["REQ-OUT-5"],
    );
    assert_reqs(
        broken(|f| {
            edit(
                f,
                ORDERS,
                r#"{"message_id":"o-3","#,
                r#"{"extra":1,"message_id":"o-3","#,
            )
        }),
        &["REQ-OUT-5"],
    );
    assert_reqs(
        broken(|f| {
            edit(
                f,
                ORDERS,
                "\"queue_generation\":1}\n{",
                "\"queue_generation\":1}\n\n{",
            )
        }),
        &["REQ-OUT-5"],
    );
    assert_reqs(
        broken(|f| edit(f, ORDERS, r#""receive_count":0"#, r#""receive_count":0.0"#)),
        &["REQ-OUT-5"],
    );
    assert_reqs(
        broken(|f| {
            f.insert("sqs/purged/messages.jsonl".into(), Vec::new());
        }),
        &["REQ-DEC-12"],
    );
}

// REQ-CONF-7
#[test]
fn layout_and_directory_names_are_checked() {
    assert_reqs(
        broken(|f| {
            f.insert("sqs/orders/notes.txt".into(), b"x".to_vec());
        }),
        &["REQ-OUT-1"],
    );
    assert_reqs(
        broken(|f| {
            f.insert("README".into(), b"x".to_vec());
        }),
        &["REQ-OUT-1"],
    );
    // messages without _queue.json: also not an orphan name, and the
    // manifest lists a queue that has no _queue.json any more.
    assert_reqs(
        broken(|f| {
            f.remove("sqs/purged/_queue.json");
        }),
        &["REQ-OUT-1", "REQ-DEC-3", "REQ-CLI-12"],
    );
    // `encode` refuses these directories too: they are not the encoding
    // of the queue's name.
    assert_reqs(
        broken(|f| rename_dir(f, "sqs/orders/", "sqs/ord%65rs/")),
        &["REQ-OUT-2", "REQ-OUT-10"],
    );
    assert_reqs(
        broken(|f| rename_dir(f, "sqs/orders/", "sqs/../")),
        &["REQ-OUT-3", "REQ-OUT-10"],
    );
    assert_reqs(
        broken(|f| rename_dir(f, "sqs/ZGVsZXRlZA.orphan/", "sqs/ZGVsZXRlZA.orphaned/")),
        &["REQ-DEC-3"],
    );
    assert_reqs(
        broken(|f| rename_dir(f, "sqs/ZGVsZXRlZA.orphan/", "sqs/b3JkZXJz.orphan/")),
        &["REQ-DEC-3"],
    );
}

// REQ-CONF-7
#[test]
fn side_records_are_checked_line_by_line_and_against_their_directory() {
    let side = "sqs/payments.fifo/_internals/side_records.jsonl";
    assert_reqs(
        broken(|f| edit(f, side, "217371737c", "217371737C")),
        &["REQ-OUT-7"],
    );
    assert_reqs(
        broken(|f| edit(f, side, r#""value_b64":"NA""#, r#""value_b64":"NA==""#)),
        &["REQ-OUT-7"],
    );
    assert_reqs(
        broken(|f| edit(f, side, "!sqs|queue|seq|", "!sqs|msg|data|")),
        &["REQ-OUT-7"],
    );
    assert_reqs(
        broken(|f| edit(f, side, r#"{"prefix""#, r#"{ "prefix""#)),
        &["REQ-OUT-7"],
    );
    assert_reqs(
        broken(|f| rename_dir(f, side, "sqs/orders/_internals/side_records.jsonl")),
        &["REQ-DEC-1"],
    );
    assert_reqs(
        broken(|f| {
            edit(
                f,
                "MANIFEST.json",
                "\"include_sqs_side_records\": true",
                "\"include_sqs_side_records\": false",
            )
        }),
        &["REQ-DEC-8"],
    );
}

// REQ-CONF-7
#[test]
fn visibility_state_must_be_reset_unless_the_manifest_says_preserved() {
    assert_reqs(
        broken(|f| {
            edit(
                f,
                "MANIFEST.json",
                "\"preserve_sqs_visibility\": true",
                "\"preserve_sqs_visibility\": false",
            )
        }),
        &["REQ-DEC-5"],
    );
}

// REQ-CONF-7
#[test]
fn utf8_manifest_and_checksums_are_checked() {
    assert_reqs(
        broken(|f| {
            let mut b = f[ORDERS].clone();
            b.insert(20, 0xff);
            f.insert(ORDERS.into(), b);
        }),
        &["REQ-OUT-9"],
    );
    assert_reqs(
        broken(|f| edit(f, "MANIFEST.json", "        \"orders\",\n", "")),
        &["REQ-CLI-12"],
    );
    assert_reqs(
        broken(|f| {
            edit(
                f,
                "MANIFEST.json",
                "\"key_segment_max_bytes\": 240",
                "\"key_segment_max_bytes\": 255",
            )
        }),
        &["REQ-CLI-8"],
    );
    // CHECKSUMS not recomputed after a change.
    let mut m = restorable_sample(true, true);
    let text = String::from_utf8(m.files[ORDERS].clone()).unwrap();
    m.files.insert(
        ORDERS.into(),
        text.replacen("\"o-3\"", "\"o-4\"", 1).into_bytes(),
    );
    let v = verify_model(&m);
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!(
        v[0].to_string().split(':').next(),
        Some("REQ-CLI-8 CHECKSUMS")
    );
    let mut m = restorable_sample(true, true);
    m.files.remove(manifest::CHECKSUMS_FILE);
    assert_reqs(
        verify_model(&m).into_iter().map(|v| v.req).collect(),
        &["REQ-OUT-1"],
    );
}

/// `verify` of `dir`: the violations, one line each.
fn verified(dir: &Path) -> Vec<String> {
    let (_, v) = verify_dir(dir).unwrap();
    v.iter().map(|v| v.to_string()).collect()
}

// REQ-CONF-7, REQ-OUT-1: an empty directory is no dump, and a dump
// without MANIFEST.json or CHECKSUMS (or both) breaks REQ-OUT-1; the
// command exits 1 on each.
#[test]
fn an_empty_directory_or_a_missing_manifest_or_checksums_is_a_violation() {
    let tmp = tempfile::tempdir().unwrap();
    let empty = tmp.path().join("empty");
    fs::create_dir(&empty).unwrap();
    assert_eq!(
        verified(&empty),
        [
            "REQ-OUT-1 .: empty dump: no MANIFEST.json, CHECKSUMS or sqs/",
            "REQ-OUT-1 CHECKSUMS: missing (every dump has CHECKSUMS at its root)",
            "REQ-OUT-1 MANIFEST.json: missing (every dump has MANIFEST.json at its root)",
        ]
    );
    assert_eq!(verify_cli(&empty).0, Some(1));
    let write = |name: &str, remove: &[&str]| {
        let dump = tmp.path().join(name);
        sqsdump::write::write_dump(&restorable_sample(false, false), &dump).unwrap();
        for f in remove {
            fs::remove_file(dump.join(f)).unwrap();
        }
        dump
    };
    let both = write("both", &["MANIFEST.json", "CHECKSUMS"]);
    assert_eq!(
        verified(&both),
        [
            "REQ-OUT-1 CHECKSUMS: missing (every dump has CHECKSUMS at its root)",
            "REQ-OUT-1 MANIFEST.json: missing (every dump has MANIFEST.json at its root)",
        ]
    );
    assert_eq!(verify_cli(&both).0, Some(1));
    let manifest = write("manifest", &["MANIFEST.json"]);
    assert_eq!(
        verified(&manifest),
        [
            "REQ-CLI-8 CHECKSUMS:1: lists MANIFEST.json, which is not a file of the dump",
            "REQ-OUT-1 MANIFEST.json: missing (every dump has MANIFEST.json at its root)",
        ]
    );
    assert_eq!(verify_cli(&manifest).0, Some(1));
    let checksums = write("checksums", &["CHECKSUMS"]);
    assert_eq!(
        verified(&checksums),
        ["REQ-OUT-1 CHECKSUMS: missing (every dump has CHECKSUMS at its root)"]
    );
    assert_eq!(verify_cli(&checksums).0, Some(1));
}

const EVENTS: &str = "sqs/events.fifo/messages.jsonl";
const EVENTS_Q: &str = "sqs/events.fifo/_queue.json";

/// The restorable sample with `f` applied and CHECKSUMS recomputed: its
/// violations, one line each.
fn broken_lines(f: impl FnOnce(&mut BTreeMap<String, Vec<u8>>)) -> Vec<String> {
    let mut m = restorable_sample(false, false);
    f(&mut m.files);
    m.files.remove(manifest::CHECKSUMS_FILE);
    let sums = manifest::checksums(&m).unwrap();
    m.files.insert(manifest::CHECKSUMS_FILE.to_string(), sums);
    verify_model(&m).iter().map(|v| v.to_string()).collect()
}

// REQ-CONF-7, REQ-OUT-10: what `encode` refuses is a violation of
// REQ-OUT-10, once per queue and kind, at the queue file or the first
// line of the kind, with the number of messages: HT-FIFO settings,
// partitions off their lane, empty and duplicate message ids.
#[test]
fn what_encode_refuses_breaks_req_out_10() {
    assert_eq!(
        broken_lines(|f| edit(f, EVENTS_Q, "\"partition_count\": 4", "\"partition_count\": 3")),
        ["REQ-OUT-10 sqs/events.fifo/_queue.json: partition_count_not_power_of_two: encode refuses the queue and its 3 message(s): partition_count 3 must be a power of two"]
    );
    assert_eq!(
        broken_lines(|f| edit(
            f,
            EVENTS_Q,
            "\"deduplication_scope\": \"messageGroup\"",
            "\"deduplication_scope\": \"queue\""
        )),
        ["REQ-OUT-10 sqs/events.fifo/_queue.json: dedup_scope_incompatible: encode refuses the queue and its 3 message(s): deduplication_scope \"queue\" is incompatible with partition_count 4"]
    );
    // Move e-2 (line 2) and e-3 (line 3) off their lanes.
    let off_lane = broken_lines(|f| {
        let text = String::from_utf8(f[EVENTS].clone()).unwrap();
        let mut out = String::new();
        for (i, line) in text.lines().enumerate() {
            let p: u64 = line
                .rsplit_once("\"partition\":")
                .unwrap()
                .1
                .trim_end_matches('}')
                .parse()
                .unwrap();
            let line = if i == 0 {
                line.to_string()
            } else {
                line.replace(
                    &format!("\"partition\":{p}}}"),
                    &format!("\"partition\":{}}}", (p + 1) % 4),
                )
            };
            out.push_str(&line);
            out.push('\n');
        }
        f.insert(EVENTS.into(), out.into_bytes());
    });
    assert_eq!(off_lane.len(), 1, "{off_lane:?}");
    assert!(
        off_lane[0].starts_with("REQ-OUT-10 sqs/events.fifo/messages.jsonl:2: partition_not_group_lane: encode refuses 2 message(s) of the queue: partition "),
        "{off_lane:?}"
    );
    assert_eq!(
        broken_lines(|f| edit(f, ORDERS, "\"o-3\"", "\"o-1\"")),
        ["REQ-OUT-10 sqs/orders/messages.jsonl:2: duplicate_message_id: encode refuses 1 message(s) of the queue: duplicate message id \"o-1\", first on line 1"]
    );
    assert_eq!(
        broken_lines(|f| edit(f, ORDERS, "\"o-1\"", "\"\"")),
        ["REQ-OUT-10 sqs/orders/messages.jsonl:1: message_id_empty: encode refuses 1 message(s) of the queue: empty message_id"]
    );
    assert_eq!(
        broken_lines(|f| {
            edit(f, ORDERS_Q, "\"name\": \"orders\"", "\"name\": \"other\"");
            edit(f, "MANIFEST.json", "\"orders\"", "\"other\"");
        }),
        ["REQ-OUT-10 sqs/orders/_queue.json: queue_name_not_directory: encode refuses the queue and its 2 message(s): directory name does not match queue name \"other\": expected directory \"other\""]
    );
}

// REQ-CONF-7, REQ-CLI-8, REQ-CLI-13
#[test]
fn optional_manifest_fields_are_accepted_and_judged_by_their_requirement() {
    let last = "  \"last_commit_ts\"";
    let with = |fields: &str| {
        let fields = fields.to_string();
        broken(move |f| {
            edit(f, "MANIFEST.json", last, &format!("{fields}\n{last}"));
        })
    };
    let crc = |v: &str| {
        let v = v.to_string();
        broken(move |f| {
            edit(
                f,
                "MANIFEST.json",
                "\"fsm_path\": \"input.fsm\",",
                &format!("\"fsm_path\": \"input.fsm\",\n    \"fsm_crc32c\": {v},"),
            )
        })
    };
    assert_reqs(
        with("  \"cluster_id\": \"prod\",\n  \"snapshot_index\": 100,"),
        &[],
    );
    assert_reqs(crc("\"954af5f9\""), &[]);
    assert_reqs(crc("\"954AF5F9\""), &["REQ-CLI-8"]);
    assert_reqs(crc("\"54af5f9\""), &["REQ-CLI-8"]);
    assert_reqs(crc("2504717817"), &["REQ-CLI-8"]);
    assert_reqs(with("  \"cluster_id\": \"\","), &["REQ-CLI-8"]);
    assert_reqs(with("  \"cluster_id\": 5,"), &["REQ-CLI-8"]);
    assert_reqs(with("  \"snapshot_index\": 0,"), &["REQ-CLI-13"]);
    assert_reqs(with("  \"snapshot_index\": \"64\","), &["REQ-CLI-13"]);
}

// REQ-CONF-7
#[test]
fn the_loader_never_follows_symlinks_and_reports_what_is_not_a_file() {
    let tmp = tempfile::tempdir().unwrap();
    let secret = tmp.path().join("secret");
    fs::write(&secret, "outside the dump").unwrap();
    let dump = tmp.path().join("dump");
    sqsdump::write::write_dump(&restorable_sample(false, false), &dump).unwrap();
    std::os::unix::fs::symlink(&secret, dump.join("sqs/orders/link")).unwrap();
    std::os::unix::fs::symlink(tmp.path(), dump.join("sqs/up")).unwrap();
    fs::create_dir(dump.join("sqs/empty")).unwrap();
    {
        use std::os::unix::ffi::OsStrExt;
        fs::write(dump.join(std::ffi::OsStr::from_bytes(b"bad\xffname")), "x").unwrap();
    }
    let tree = load_tree(&dump).unwrap();
    let problems: Vec<String> = tree.problems.iter().map(|p| p.to_string()).collect();
    assert_eq!(
        problems,
        [
            "REQ-OUT-2 bad\u{fffd}name: file name is not UTF-8",
            "REQ-OUT-1 sqs/empty: empty directory",
            "REQ-CLI-6 sqs/orders/link: symlink (not followed)",
            "REQ-CLI-6 sqs/up: symlink (not followed)",
        ]
    );
    assert!(tree.model.files.values().all(|b| b != b"outside the dump"));
    // The root itself is never followed either.
    let link = tmp.path().join("link");
    std::os::unix::fs::symlink(&dump, &link).unwrap();
    let tree = load_tree(&link).unwrap();
    assert!(tree.model.files.is_empty());
    assert_eq!(
        tree.problems[0].to_string(),
        "REQ-CLI-6 .: the dump root is a symlink (not followed)"
    );
}

fn verify_cli(dir: &Path) -> (Option<i32>, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_sqsdump"))
        .arg("verify")
        .arg(dir)
        .output()
        .unwrap();
    (o.status.code(), String::from_utf8(o.stdout).unwrap())
}

// REQ-CONF-7
#[test]
fn verify_command_lists_violations_and_exits_1() {
    let tmp = tempfile::tempdir().unwrap();
    let dump = tmp.path().join("dump");
    sqsdump::write::write_dump(&restorable_sample(false, false), &dump).unwrap();
    let (code, out) = verify_cli(&dump);
    assert_eq!(code, Some(0), "{out}");
    assert_eq!(
        out,
        format!("{}: 12 files, no violations\n", dump.display())
    );

    let path = dump.join("sqs/orders/messages.jsonl");
    let text = fs::read_to_string(&path).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines.reverse();
    fs::write(&path, format!("{}\n", lines.join("\n"))).unwrap();
    fs::write(dump.join("sqs/stray"), "x").unwrap();
    let (code, out) = verify_cli(&dump);
    assert_eq!(code, Some(1), "{out}");
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines.contains(&"REQ-DEC-7 sqs/orders/messages.jsonl:2: line sorts before the previous one (send_timestamp_millis, sequence_number, message_id)"), "{out}");
    assert!(
        lines.iter().any(|l| l.starts_with("REQ-OUT-1 sqs/stray: ")),
        "{out}"
    );
    assert!(
        lines.iter().any(|l| l.starts_with("REQ-CLI-8 CHECKSUMS")),
        "{out}"
    );
    assert_eq!(
        lines.last(),
        Some(&format!("{} violation(s)", lines.len() - 1).as_str())
    );

    let (code, _) = verify_cli(&tmp.path().join("absent"));
    assert_eq!(code, Some(1));
}

/// A structure no dump has: `n` nested objects.
fn nested(n: usize) -> String {
    format!("{}1{}", "{\"a\":".repeat(n), "}".repeat(n))
}

// REQ-CONF-7
#[test]
fn deep_nesting_anywhere_is_a_violation_not_a_crash() {
    let deep = nested(200_000);
    let mut m = restorable_sample(false, false);
    edit(
        &mut m.files,
        ORDERS_Q,
        "\"delay_seconds\": 0",
        &format!("\"delay_seconds\": 0,\n  \"tags\": {deep}"),
    );
    edit(
        &mut m.files,
        ORDERS,
        "\"queue_generation\":1}",
        &format!("\"queue_generation\":1,\"message_attributes\":{deep}}}"),
    );
    m.files
        .insert("MANIFEST.json".into(), deep.clone().into_bytes());
    let reqs: BTreeSet<&str> = verify_model(&m).into_iter().map(|v| v.req).collect();
    assert!(
        reqs.contains("REQ-OUT-4") && reqs.contains("REQ-OUT-5") && reqs.contains("REQ-CLI-8"),
        "{reqs:?}"
    );
}

mod never_panics {
    use super::*;
    use proptest::prelude::*;
    use sqsdump::gate::blame::blame_trees;
    use sqsdump::gate::conform::Compare;
    use sqsdump::gate::verify::LoadedTree;

    /// One edit of a file: cut, insert, overwrite or repeat bytes.
    #[derive(Debug, Clone)]
    enum Damage {
        Truncate(usize),
        Insert(usize, Vec<u8>),
        Overwrite(usize, u8),
        Repeat(usize, usize),
    }

    fn damage() -> impl Strategy<Value = Damage> {
        let byte = prop_oneof![
            Just(b'{'),
            Just(b'}'),
            Just(b'"'),
            Just(b'\\'),
            Just(b'\n'),
            Just(b':'),
            Just(b','),
            Just(b'['),
            any::<u8>()
        ];
        prop_oneof![
            any::<usize>().prop_map(Damage::Truncate),
            (any::<usize>(), prop::collection::vec(byte.clone(), 1..8))
                .prop_map(|(at, b)| Damage::Insert(at, b)),
            (any::<usize>(), byte).prop_map(|(at, b)| Damage::Overwrite(at, b)),
            (any::<usize>(), 1..64usize).prop_map(|(at, n)| Damage::Repeat(at, n)),
        ]
    }

    fn apply(bytes: &mut Vec<u8>, d: &Damage) {
        let at = |i: usize, len: usize| if len == 0 { 0 } else { i % (len + 1) };
        match d {
            Damage::Truncate(i) => bytes.truncate(at(*i, bytes.len())),
            Damage::Insert(i, b) => {
                let p = at(*i, bytes.len());
                bytes.splice(p..p, b.iter().copied());
            }
            Damage::Overwrite(i, b) => {
                if !bytes.is_empty() {
                    let p = i % bytes.len();
                    bytes[p] = *b;
                }
            }
            Damage::Repeat(i, n) => {
                let p = at(*i, bytes.len());
                let end = (p + n).min(bytes.len());
                let piece = bytes[p..end].to_vec();
                bytes.splice(p..p, piece);
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        // REQ-CONF-7, REQ-CONF-4
        #[test]
        fn verify_and_compare_survive_damaged_dumps(
            file in 0usize..64,
            damages in prop::collection::vec(damage(), 1..6),
        ) {
            let good = sample(true, true);
            let mut bad = good.clone();
            let path = bad.files.keys().nth(file % bad.files.len()).unwrap().clone();
            let bytes = bad.files.get_mut(&path).unwrap();
            for d in &damages {
                apply(bytes, d);
            }
            let changed = bad.files[&path] != good.files[&path];
            let _ = verify_model(&bad);
            let tree = LoadedTree { model: bad, problems: Vec::new() };
            for mode in [Compare::Bytes, Compare::Json] {
                let found = blame_trees(&good.files, &tree, "REQ-CONF-4", mode);
                // A content file changed in its bytes is always blamed.
                if mode == Compare::Bytes && changed && path.starts_with("sqs/") {
                    prop_assert!(!found.is_empty(), "{path}");
                }
            }
        }
    }
}

// REQ-ERR-2: a reader that stops early (`sqsdump verify DIR | head -1`)
// closes stdout; the lines that no longer fit are dropped, the exit status
// still says whether the tree verified, and nothing panics.
#[test]
fn a_closed_stdout_is_not_a_panic() {
    let tmp = tempfile::tempdir().unwrap();
    let dump = tmp.path().join("dump");
    fs::create_dir(&dump).unwrap();
    for i in 0..2000 {
        fs::write(dump.join(format!("stray-{i}")), "x").unwrap();
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_sqsdump"))
        .args(["verify", "--input"])
        .arg(&dump)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(1), "{stderr}");
}
