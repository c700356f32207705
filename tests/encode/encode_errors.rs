//! Bad dumps fail with one typed error naming the file and line, and
//! nothing is encoded (REQ-ENC-2..6, REQ-ENC-5). Texts are pinned.

use std::collections::BTreeMap;

use sqsdump::encode::check::{checksums, source_of};
use sqsdump::encode::tree::MemSource;
use sqsdump::encode::{encode_to_file, encode_to_vec, EncodeOptions};
use sqsdump::Error;

const QUEUE: &str = r#"{"format_version":1,"name":"q","visibility_timeout_seconds":1,"message_retention_seconds":2,"delay_seconds":0}"#;
const HT: &str = r#"{"format_version":1,"name":"h.fifo","fifo":true,"visibility_timeout_seconds":1,"message_retention_seconds":2,"delay_seconds":0,"partition_count":4,"fifo_throughput_limit":"perMessageGroupId"}"#;

fn line(id: &str, ts: i64, extra: &str) -> String {
    format!(
        r#"{{"message_id":"{id}","body":"b","send_timestamp_millis":{ts},"available_at_millis":{ts},"visible_at_millis":0,"receive_count":0,"queue_generation":1{extra}}}"#
    )
}

fn tree(files: &[(&str, &str)]) -> MemSource {
    let files: BTreeMap<String, Vec<u8>> = files
        .iter()
        .map(|(p, b)| (p.to_string(), b.as_bytes().to_vec()))
        .collect();
    source_of(&files, 100)
}

fn err(src: &MemSource) -> Error {
    encode_to_vec(src, &EncodeOptions::default()).expect_err("must fail")
}

/// Re-sum CHECKSUMS after an edit.
fn resum(src: &mut MemSource) {
    let sums = checksums(&src.files);
    src.files.insert("CHECKSUMS".into(), sums);
}

#[track_caller]
fn assert_err(src: &MemSource, class: &str, text: &str) {
    let e = err(src);
    assert_eq!((e.class(), e.to_string().as_str()), (class, text));
}

// REQ-ENC-4, REQ-ENC-5
#[test]
fn bad_message_lines_name_the_file_and_line() {
    let ok = line("a", 1, "");
    let cases: Vec<(String, &str, &str)> = vec![
        (format!("{ok}\nnot json"), "invalid_message_line", "sqs/q/messages.jsonl:2: invalid message: expected ident at column 2"),
        (line("", 1, ""), "invalid_message_line", "sqs/q/messages.jsonl:1: invalid message: empty message_id"),
        (line("a", 1, r#","Message_Id":"x""#), "invalid_message_line", "sqs/q/messages.jsonl:1: invalid message: unknown field `Message_Id`, expected one of `message_id`, `body`, `md5_of_body`, `md5_of_message_attributes`, `message_attributes`, `sender_id`, `send_timestamp_millis`, `available_at_millis`, `visible_at_millis`, `receive_count`, `first_receive_millis`, `current_receipt_token`, `queue_generation`, `message_group_id`, `message_deduplication_id`, `sequence_number`, `dead_letter_source_arn`, `partition` at column 152"),
        (r#"{"message_id":"a","body":"b"}"#.to_string(), "invalid_message_line", "sqs/q/messages.jsonl:1: invalid message: missing field `send_timestamp_millis` at column 29"),
        (line("a", 1, "").replace(r#""body":"b""#, r#""body":{"base64":"YQ=="}"#), "invalid_message_line", "sqs/q/messages.jsonl:1: invalid message: body base64: Invalid padding"),
        (line("a", 1, "").replace(r#""body":"b""#, r#""body":{"base64":"YR"}"#), "invalid_message_line", "sqs/q/messages.jsonl:1: invalid message: body base64: Invalid last symbol 82, offset 1."),
        (line("a", 1, "").replace(r#""visible_at_millis":0"#, r#""visible_at_millis":5"#), "invalid_message_line", "sqs/q/messages.jsonl:1: invalid message: visibility state is set, but the manifest says it was not preserved"),
        (format!("{}\n{}", line("b", 2, ""), line("a", 1, "")), "invalid_message_line", "sqs/q/messages.jsonl:2: invalid message: out of order: lines are sorted by send_timestamp_millis, sequence_number and message_id"),
        (format!("{ok}\n{ok}"), "duplicate_message_id", "sqs/q/messages.jsonl:2: duplicate message id \"a\", first on line 1"),
        (line("a", 1, r#","partition":1"#), "invalid_partition", "sqs/q/messages.jsonl:1: invalid partition: partition 1 on a queue without partitions (partition_count 0)"),
    ];
    for (body, class, text) in cases {
        let mut src = tree(&[("sqs/q/_queue.json", QUEUE)]);
        src.files.insert(
            "sqs/q/messages.jsonl".into(),
            format!("{body}\n").into_bytes(),
        );
        resum(&mut src);
        assert_err(&src, class, text);
    }
    // The last line must end with a newline.
    let mut src = tree(&[("sqs/q/_queue.json", QUEUE)]);
    src.files
        .insert("sqs/q/messages.jsonl".into(), ok.into_bytes());
    resum(&mut src);
    assert_err(
        &src,
        "invalid_message_line",
        "sqs/q/messages.jsonl:1: invalid message: the last line has no newline",
    );
}

// REQ-ENC-4, REQ-ENC-5
#[test]
fn partitions_must_fit_the_queue_and_the_group_lane() {
    let cases = [
        ("", "sqs/h.fifo/messages.jsonl:1: invalid partition: partition missing on a partitioned queue (partition_count 4)"),
        (r#","partition":4"#, "sqs/h.fifo/messages.jsonl:1: invalid partition: partition 4 is not below partition_count 4"),
        (r#","message_group_id":"g","partition":1"#, "sqs/h.fifo/messages.jsonl:1: invalid partition: partition 1, but message_group_id \"g\" belongs on partition 2"),
    ];
    for (extra, text) in cases {
        let l = format!("{}\n", line("a", 1, extra));
        let src = tree(&[
            ("sqs/h.fifo/_queue.json", HT),
            ("sqs/h.fifo/messages.jsonl", &l),
        ]);
        assert_err(&src, "invalid_partition", text);
    }
    let per_queue = HT.replace("perMessageGroupId", "perQueue");
    let l = format!("{}\n", line("a", 1, r#","partition":3"#));
    let src = tree(&[
        ("sqs/h.fifo/_queue.json", &per_queue),
        ("sqs/h.fifo/messages.jsonl", &l),
    ]);
    assert_err(&src, "invalid_partition", "sqs/h.fifo/messages.jsonl:1: invalid partition: partition 3 on a perQueue queue, whose messages are all on partition 0");
}

// REQ-ENC-4, REQ-ENC-5
#[test]
fn bad_queue_files_and_directory_names_are_refused() {
    let cases = [
        (QUEUE.replace("\"format_version\":1", "\"format_version\":2"), "sqs/q/_queue.json: invalid queue file: unsupported format_version 2"),
        (QUEUE.replace("\"name\":\"q\"", "\"name\":\"\""), "sqs/q/_queue.json: invalid queue file: empty queue name"),
        (QUEUE.replace("\"delay_seconds\":0", "\"delay_seconds\":0,\"throttle\":{}"), "sqs/q/_queue.json: invalid queue file: unknown field `throttle`, expected one of `format_version`, `name`, `fifo`, `content_based_deduplication`, `visibility_timeout_seconds`, `message_retention_seconds`, `delay_seconds`, `receive_message_wait_seconds`, `maximum_message_size`, `redrive_policy`, `redrive_allow_policy`, `partition_count`, `fifo_throughput_limit`, `deduplication_scope`, `tags` at line 1 column 120"),
        (QUEUE.replace("\"delay_seconds\":0", "\"delay_seconds\":0,\"partition_count\":3"), "sqs/q/_queue.json: invalid queue file: partition_count 3 must be a power of two"),
        (QUEUE.replace("\"delay_seconds\":0", "\"delay_seconds\":0,\"partition_count\":2"), "sqs/q/_queue.json: invalid queue file: partition_count 2 is only valid on FIFO queues"),
        (HT.replace("\"partition_count\":4", "\"partition_count\":64").replace("h.fifo", "q"), "sqs/q/_queue.json: invalid queue file: partition_count 64 exceeds max 32"),
        (HT.replace("perMessageGroupId", "fast").replace("h.fifo", "q"), "sqs/q/_queue.json: invalid queue file: unsupported fifo_throughput_limit \"fast\""),
        (HT.replace("\"partition_count\":4,", "").replace("h.fifo", "q"), "sqs/q/_queue.json: invalid queue file: fifo_throughput_limit \"perMessageGroupId\" requires partition_count > 1"),
        (HT.replace("perMessageGroupId\"", "perMessageGroupId\",\"deduplication_scope\":\"queue\"").replace("h.fifo", "q"), "sqs/q/_queue.json: invalid queue file: deduplication_scope \"queue\" is incompatible with partition_count 4"),
    ];
    for (queue, text) in cases {
        let src = tree(&[("sqs/q/_queue.json", &queue)]);
        assert_err(&src, "invalid_queue_file", text);
    }
    let src = tree(&[("sqs/other/_queue.json", QUEUE)]);
    assert_err(
        &src,
        "directory_mismatch",
        "sqs/other: directory name does not match queue name \"q\": expected directory \"q\"",
    );
    let dots = QUEUE.replace("\"name\":\"q\"", "\"name\":\"..\"");
    let src = tree(&[("sqs/../_queue.json", &dots)]);
    assert_eq!(err(&src).class(), "directory_mismatch");
    let src = tree(&[("sqs/%2E%2E/_queue.json", &dots)]);
    assert!(encode_to_vec(&src, &EncodeOptions::default()).is_ok());
}

// REQ-ENC-2, REQ-ENC-5, REQ-ENC-16
#[test]
fn bad_manifests_are_refused() {
    let base = tree(&[("sqs/q/_queue.json", QUEUE)]);
    let manifest: serde_json::Value = serde_json::from_slice(&base.files["MANIFEST.json"]).unwrap();
    let edit = |f: &dyn Fn(&mut serde_json::Value)| {
        let mut m = manifest.clone();
        f(&mut m);
        let mut src = base.clone();
        src.files
            .insert("MANIFEST.json".into(), serde_json::to_vec(&m).unwrap());
        resum(&mut src);
        src
    };
    assert_err(
        &edit(&|m| m["format_version"] = 2.into()),
        "invalid_manifest",
        "MANIFEST.json: invalid manifest: unsupported format_version 2",
    );
    assert_err(
        &edit(&|m| m["last_commit_ts"] = (-1).into()),
        "invalid_manifest",
        "MANIFEST.json: invalid manifest: last_commit_ts missing or not an unsigned integer",
    );
    assert_err(
        &edit(&|m| m["adapters"] = serde_json::json!({"sqs": null})),
        "invalid_manifest",
        "MANIFEST.json: invalid manifest: adapters.sqs missing or not an object",
    );
    assert_err(
        &edit(&|m| m["wall_time_iso"] = 5.into()),
        "invalid_manifest",
        "MANIFEST.json: invalid manifest: wall_time_iso is not a string",
    );
    assert_err(&edit(&|m| m["adapters"]["sqs"]["queues"] = serde_json::json!(["q", "gone"])), "invalid_manifest", "MANIFEST.json: invalid manifest: adapters.sqs.queues does not match the queue directories: not listed [], listed without a directory [\"gone\"]");
    assert_err(&edit(&|m| m["exclusions"]["include_sqs_side_records"] = true.into()), "unsupported_dump", "MANIFEST.json: unsupported dump: the dump was taken with include_sqs_side_records, whose state cannot be restored");
    assert_err(&edit(&|m| m["exclusions"]["preserve_sqs_visibility"] = true.into()), "unsupported_dump", "MANIFEST.json: unsupported dump: the dump was taken with preserve_sqs_visibility, whose state cannot be restored");
    let mut src = base.clone();
    src.files.insert("MANIFEST.json".into(), b"{".to_vec());
    resum(&mut src);
    assert_err(
        &src,
        "invalid_manifest",
        "MANIFEST.json: invalid manifest: not json: EOF while parsing an object at line 1 column 1",
    );
    let mut src = base.clone();
    src.files.remove("MANIFEST.json");
    assert_err(
        &src,
        "invalid_manifest",
        "MANIFEST.json: invalid manifest: the file is missing",
    );
    // Upstream's manifest shape (empty adapters.sqs) is accepted.
    assert!(encode_to_vec(
        &edit(&|m| m["adapters"]["sqs"] = serde_json::json!({})),
        &EncodeOptions::default()
    )
    .is_ok());
}

// REQ-ENC-3, REQ-ENC-5
#[test]
fn checksums_are_verified_before_anything_is_encoded() {
    let l = format!("{}\n", line("a", 1, ""));
    let base = tree(&[("sqs/q/_queue.json", QUEUE), ("sqs/q/messages.jsonl", &l)]);
    assert!(encode_to_vec(&base, &EncodeOptions::default()).is_ok());
    // A truncated messages file whose lines still parse.
    let mut src = base.clone();
    src.files.insert("sqs/q/messages.jsonl".into(), Vec::new());
    let e = err(&src);
    assert_eq!(e.class(), "checksum_mismatch");
    assert!(
        e.to_string()
            .starts_with("sqs/q/messages.jsonl: checksum mismatch: CHECKSUMS says "),
        "{e}"
    );
    assert!(
        e.to_string().ends_with(
            ", file has e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        ),
        "{e}"
    );
    let sums = String::from_utf8(base.files["CHECKSUMS"].clone()).unwrap();
    let with = |text: String| {
        let mut src = base.clone();
        src.files.insert("CHECKSUMS".into(), text.into_bytes());
        src
    };
    let first = sums.lines().next().unwrap().to_string();
    assert_err(
        &with(sums.lines().skip(1).map(|l| format!("{l}\n")).collect()),
        "invalid_checksums",
        "MANIFEST.json: invalid checksums: the file is not listed in CHECKSUMS",
    );
    assert_err(
        &with(format!("{sums}{first}\n")),
        "invalid_checksums",
        "CHECKSUMS:4: invalid checksums: lists \"MANIFEST.json\" twice",
    );
    assert_err(
        &with(format!("{sums}{}  sqs/x\n", "0".repeat(64))),
        "invalid_checksums",
        "CHECKSUMS:4: invalid checksums: lists \"sqs/x\", which is not a file of the dump",
    );
    assert_err(
        &with(sums.replacen("  ", " ", 1)),
        "invalid_checksums",
        "CHECKSUMS:1: invalid checksums: expected `<sha256 hex>  <path>`",
    );
    assert_err(
        &with(sums.to_uppercase()),
        "invalid_checksums",
        "CHECKSUMS:1: invalid checksums: the digest is not 64 lowercase hex digits",
    );
    let mut src = base.clone();
    src.files.remove("CHECKSUMS");
    assert_err(
        &src,
        "invalid_checksums",
        "CHECKSUMS: invalid checksums: the file is missing",
    );
}

// REQ-ENC-6, REQ-ENC-5
#[test]
fn entries_outside_the_layout_are_refused() {
    for (path, text) in [
        (
            "notes.txt",
            "notes.txt: not part of the dump layout: found a file",
        ),
        (
            "sqs/q/_internals/side_records.jsonl",
            "sqs/q/_internals: not part of the dump layout: found a directory",
        ),
        (
            "sqs/q.orphan/_internals/side_records.jsonl",
            "sqs/q.orphan/_internals: not part of the dump layout: found a directory",
        ),
        (
            "sqs/stray",
            "sqs/stray: not part of the dump layout: found a file",
        ),
    ] {
        let mut src = tree(&[("sqs/q/_queue.json", QUEUE)]);
        src.files.insert(path.into(), b"x".to_vec());
        resum(&mut src);
        assert_err(&src, "unexpected_entry", text);
    }
    let src = tree(&[("sqs/q/messages.jsonl", "")]);
    assert_err(
        &src,
        "invalid_queue_file",
        "sqs/q/_queue.json: invalid queue file: the file is missing",
    );
}

/// Write a MemSource to disk.
fn write_tree(src: &MemSource, root: &std::path::Path) {
    for (path, bytes) in &src.files {
        let p = root.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }
}

// REQ-ENC-6, REQ-ENC-11
#[cfg(unix)]
#[test]
fn symlinks_are_never_followed() {
    let tmp = tempfile::tempdir().unwrap();
    let outside = tmp.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("_queue.json"), QUEUE).unwrap();
    type Damage<'a> = &'a dyn Fn(&std::path::Path);
    let cases: [(&str, Damage); 3] = [
        ("sqs/q/_queue.json", &|d| {
            std::fs::remove_file(d.join("sqs/q/_queue.json")).unwrap();
            std::os::unix::fs::symlink(outside.join("_queue.json"), d.join("sqs/q/_queue.json"))
                .unwrap();
        }),
        ("sqs/q", &|d| {
            std::fs::remove_dir_all(d.join("sqs/q")).unwrap();
            std::os::unix::fs::symlink(&outside, d.join("sqs/q")).unwrap();
        }),
        ("sqs", &|d| {
            std::fs::remove_dir_all(d.join("sqs")).unwrap();
            std::os::unix::fs::symlink(&outside, d.join("sqs")).unwrap();
        }),
    ];
    for (i, (path, damage)) in cases.iter().enumerate() {
        let dir = tmp.path().join(format!("d{i}"));
        write_tree(&tree(&[("sqs/q/_queue.json", QUEUE)]), &dir);
        damage(&dir);
        let out = tmp.path().join(format!("o{i}.fsm"));
        let e = encode_to_file(&dir, &out, &EncodeOptions::default()).unwrap_err();
        assert_eq!(
            (e.class(), e.to_string()),
            (
                "unexpected_entry",
                format!(
                    "{path}: not part of the dump layout: found a symlink, which is never followed"
                )
            )
        );
        assert!(!out.exists());
    }
    // A symlinked output path is refused, and its target untouched.
    let dir = tmp.path().join("good");
    write_tree(&tree(&[("sqs/q/_queue.json", QUEUE)]), &dir);
    let target = tmp.path().join("target.fsm");
    std::fs::write(&target, b"keep").unwrap();
    let link = tmp.path().join("link.fsm");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let e = encode_to_file(&dir, &link, &EncodeOptions::default()).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "unsafe output {}: the output path already exists",
            link.display()
        )
    );
    assert_eq!(std::fs::read(&target).unwrap(), b"keep");
}

// REQ-ENC-5
#[test]
fn oversized_keys_are_entry_too_large() {
    let id = "x".repeat(800_000);
    let l = format!("{}\n", line(&id, 1, ""));
    let src = tree(&[("sqs/q/_queue.json", QUEUE), ("sqs/q/messages.jsonl", &l)]);
    let e = err(&src);
    assert_eq!(e.class(), "entry_too_large");
    assert!(
        e.to_string()
            .starts_with("sqs/q: entry too large: key \"!sqs|msg|byage|cQ\\x00"),
        "{e}"
    );
    assert!(
        e.to_string().ends_with("has 1066708 bytes, limit 1048584"),
        "{e}"
    );
}
