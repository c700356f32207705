//! `sqsdump encode`: the restore direction (REQ-ENC-*). Value layouts are
//! pinned as literal bytes so a reader can check them against SPEC.md and
//! upstream's encoder.

use std::collections::BTreeMap;

use sqsdump::encode::check::{decode_sqs, round_trip, source_of};
use sqsdump::encode::tree::MemSource;
use sqsdump::encode::{encode_to_file, encode_to_vec, EncodeOptions};
use sqsdump::fsm::{Entry, Reader};
use sqsdump::key::{build, KeyParts};

const TS: u64 = 0x0006_1a2b_3c4d_5e6f;

/// A dump of queues given as (directory, `_queue.json`, lines).
fn dump(queues: &[(&str, &str, &[&str])]) -> MemSource {
    let mut files = BTreeMap::new();
    for (dir, queue, lines) in queues {
        files.insert(format!("sqs/{dir}/_queue.json"), queue.as_bytes().to_vec());
        if !lines.is_empty() {
            let body: String = lines.iter().map(|l| format!("{l}\n")).collect();
            files.insert(format!("sqs/{dir}/messages.jsonl"), body.into_bytes());
        }
    }
    source_of(&files, TS)
}

/// Every entry of a snapshot as (user key, commit ts, flags byte,
/// expire_at, value body), checking the header's timestamp.
fn entries(fsm: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut r = Reader::new(fsm).unwrap();
    assert_eq!(r.last_commit_ts(), TS);
    let mut out = Vec::new();
    while let Some(e) = r.next_entry().unwrap() {
        match e {
            Entry::Version(v) => {
                assert_eq!(v.commit_ts, TS);
                assert!(!v.tombstone);
                assert_eq!(v.expire_at, 0);
                out.push((v.user_key, v.body));
            }
            Entry::Operational { key } => panic!("operational key {key:?}"),
        }
    }
    out
}

fn key(parts: KeyParts) -> Vec<u8> {
    build(&parts)
}

fn q(s: &str) -> Vec<u8> {
    s.as_bytes().to_vec()
}

const STD_QUEUE: &str = r#"{
  "format_version": 1,
  "name": "orders",
  "visibility_timeout_seconds": 30,
  "message_retention_seconds": 345600,
  "delay_seconds": 0
}"#;

// REQ-ENC-1, REQ-ENC-7, REQ-ENC-8, REQ-ENC-10
#[test]
fn a_standard_queue_restores_to_the_live_rows() {
    let line = r#"{"message_id":"m-1","body":"<hi>","md5_of_body":"abc","message_attributes":{"a<":{"DataType":"String","StringValue":"<&>"}},"send_timestamp_millis":1700000000000,"available_at_millis":1700000005000,"visible_at_millis":0,"receive_count":0,"queue_generation":7}"#;
    let (fsm, summary) = encode_to_vec(
        &dump(&[("orders", STD_QUEUE, &[line])]),
        &EncodeOptions::default(),
    )
    .unwrap();
    assert_eq!(
        (summary.queues, summary.messages, summary.entries),
        (1, 1, 5)
    );
    let got = entries(&fsm);
    let mut meta = vec![0, b'S', b'Q', 1];
    meta.extend_from_slice(br#"{"name":"orders","generation":1,"visibility_timeout_seconds":30,"message_retention_seconds":345600,"delay_seconds":0,"receive_message_wait_seconds":0,"maximum_message_size":0}"#);
    let mut msg = vec![0, b'S', b'M', 1];
    msg.extend_from_slice(br#"{"message_id":"m-1","body":"PGhpPg==","md5_of_body":"abc","message_attributes":{"a\u003c":{"DataType":"String","StringValue":"<&>"}},"send_timestamp_millis":1700000000000,"available_at_millis":1700000005000,"visible_at_millis":0,"receive_count":0,"current_receipt_token":null,"queue_generation":1}"#);
    let want = vec![
        (
            key(KeyParts::MsgByAge {
                queue: q("orders"),
                partition: None,
                gen: 1,
                send_ts: 1_700_000_000_000,
                message_id: q("m-1"),
            }),
            q("m-1"),
        ),
        (
            key(KeyParts::MsgData {
                queue: q("orders"),
                partition: None,
                gen: 1,
                message_id: q("m-1"),
            }),
            msg,
        ),
        (
            key(KeyParts::MsgVis {
                queue: q("orders"),
                partition: None,
                gen: 1,
                visible_at: 1_700_000_005_000,
                message_id: q("m-1"),
            }),
            q("m-1"),
        ),
        (key(KeyParts::QueueGen { queue: q("orders") }), q("1")),
        (key(KeyParts::QueueMeta { queue: q("orders") }), meta),
    ];
    assert_eq!(got, want);
}

const FIFO_QUEUE: &str = r#"{"format_version":1,"name":"jobs.fifo","fifo":true,"content_based_deduplication":true,"visibility_timeout_seconds":30,"message_retention_seconds":60,"delay_seconds":0,"redrive_policy":"p","tags":{"team":"a&b","env":"prod"}}"#;

// REQ-ENC-8, REQ-ENC-9
#[test]
fn fifo_queues_get_dedup_rows_of_the_latest_send_and_the_seq_counter() {
    let lines: &[&str] = &[
        // Same explicit dedup id twice: the later send owns the row.
        r#"{"message_id":"a","body":"x","send_timestamp_millis":-5,"available_at_millis":10,"visible_at_millis":0,"receive_count":0,"queue_generation":1,"message_group_id":"g","message_deduplication_id":"d","sequence_number":3}"#,
        r#"{"message_id":"b","body":"y","send_timestamp_millis":20,"available_at_millis":20,"visible_at_millis":0,"receive_count":0,"queue_generation":1,"message_group_id":"h","message_deduplication_id":"d","sequence_number":9}"#,
        // Content-based: the id is the SHA-256 of the body.
        r#"{"message_id":"c","body":"z","send_timestamp_millis":30,"available_at_millis":30,"visible_at_millis":0,"receive_count":0,"queue_generation":1,"message_group_id":"g","sequence_number":4}"#,
    ];
    let (fsm, _) = encode_to_vec(
        &dump(&[("jobs.fifo", FIFO_QUEUE, lines)]),
        &EncodeOptions::default(),
    )
    .unwrap();
    let got: BTreeMap<Vec<u8>, Vec<u8>> = entries(&fsm).into_iter().collect();
    let dedup = |id: &str| {
        key(KeyParts::MsgDedup {
            queue: q("jobs.fifo"),
            partition: None,
            gen: 1,
            dedup_id: q(id),
        })
    };
    assert_eq!(
        got.get(&dedup("d")).map(Vec::as_slice),
        Some(&br#"{"message_id":"b","send_timestamp_ms":20,"expires_at_millis":300020,"original_sequence":9}"#[..])
    );
    let sha_z = "594e519ae499312b29433b7dd8a97ff068defcba9755b6d5d00e84c524d67b06";
    assert_eq!(
        got.get(&dedup(sha_z)).map(Vec::as_slice),
        Some(&br#"{"message_id":"c","send_timestamp_ms":30,"expires_at_millis":300030,"original_sequence":4}"#[..])
    );
    assert_eq!(
        got.keys()
            .filter(|k| k.starts_with(b"!sqs|msg|dedup|"))
            .count(),
        2
    );
    assert_eq!(
        got.get(&key(KeyParts::QueueSeq {
            queue: q("jobs.fifo")
        })),
        Some(&q("9"))
    );
    assert!(
        !got.keys().any(|k| k.starts_with(b"!sqs|msg|group|")),
        "no group locks"
    );
    // A negative send time clamps to 0 in the byage key.
    assert!(got.contains_key(&key(KeyParts::MsgByAge {
        queue: q("jobs.fifo"),
        partition: None,
        gen: 1,
        send_ts: 0,
        message_id: q("a")
    })));
    let mut meta = vec![0, b'S', b'Q', 1];
    meta.extend_from_slice(br#"{"name":"jobs.fifo","generation":1,"is_fifo":true,"content_based_dedup":true,"visibility_timeout_seconds":30,"message_retention_seconds":60,"delay_seconds":0,"receive_message_wait_seconds":0,"maximum_message_size":0,"redrive_policy":"p","tags":{"env":"prod","team":"a\u0026b"}}"#);
    assert_eq!(
        got.get(&key(KeyParts::QueueMeta {
            queue: q("jobs.fifo")
        })),
        Some(&meta)
    );
}

// REQ-ENC-8
#[test]
fn on_a_send_time_tie_the_first_line_owns_the_dedup_row() {
    let mk = |id: &str, seq: u64| {
        format!(
            r#"{{"message_id":"{id}","body":"x","send_timestamp_millis":7,"available_at_millis":7,"visible_at_millis":0,"receive_count":0,"queue_generation":1,"message_group_id":"g","message_deduplication_id":"d","sequence_number":{seq}}}"#
        )
    };
    let (a, b, c) = (mk("m2", 1), mk("m0", 2), mk("m1", 2));
    let (fsm, _) = encode_to_vec(
        &dump(&[("jobs.fifo", FIFO_QUEUE, &[&a, &b, &c])]),
        &EncodeOptions::default(),
    )
    .unwrap();
    let got: BTreeMap<Vec<u8>, Vec<u8>> = entries(&fsm).into_iter().collect();
    let dedup = key(KeyParts::MsgDedup {
        queue: q("jobs.fifo"),
        partition: None,
        gen: 1,
        dedup_id: q("d"),
    });
    assert_eq!(
        got.get(&dedup).map(Vec::as_slice),
        Some(&br#"{"message_id":"m2","send_timestamp_ms":7,"expires_at_millis":300007,"original_sequence":1}"#[..])
    );
}

const HT_QUEUE: &str = r#"{"format_version":1,"name":"ht.fifo","fifo":true,"visibility_timeout_seconds":1,"message_retention_seconds":2,"delay_seconds":0,"partition_count":4,"fifo_throughput_limit":"perMessageGroupId","deduplication_scope":"messageGroup"}"#;

// REQ-ENC-1, REQ-ENC-4, REQ-ENC-8
#[test]
fn partitioned_queues_use_the_partitioned_families() {
    // FNV-1a("g") & 3 = 2.
    let line = r#"{"message_id":"m","body":"b","send_timestamp_millis":5,"available_at_millis":6,"visible_at_millis":0,"receive_count":0,"queue_generation":3,"message_group_id":"g","message_deduplication_id":"d","sequence_number":1,"partition":2}"#;
    let (fsm, _) = encode_to_vec(
        &dump(&[("ht.fifo", HT_QUEUE, &[line])]),
        &EncodeOptions::default(),
    )
    .unwrap();
    let keys: Vec<Vec<u8>> = entries(&fsm).into_iter().map(|e| e.0).collect();
    let p = Some(2);
    assert_eq!(
        keys,
        vec![
            key(KeyParts::MsgByAge {
                queue: q("ht.fifo"),
                partition: p,
                gen: 1,
                send_ts: 5,
                message_id: q("m")
            }),
            key(KeyParts::MsgData {
                queue: q("ht.fifo"),
                partition: p,
                gen: 1,
                message_id: q("m")
            }),
            key(KeyParts::MsgDedup {
                queue: q("ht.fifo"),
                partition: Some((2, q("g"))),
                gen: 1,
                dedup_id: q("d")
            }),
            key(KeyParts::MsgVis {
                queue: q("ht.fifo"),
                partition: p,
                gen: 1,
                visible_at: 6,
                message_id: q("m")
            }),
            key(KeyParts::QueueGen {
                queue: q("ht.fifo")
            }),
            key(KeyParts::QueueMeta {
                queue: q("ht.fifo")
            }),
            key(KeyParts::QueueSeq {
                queue: q("ht.fifo")
            }),
        ]
    );
}

// REQ-ENC-10
#[test]
fn entries_are_in_encoded_key_order_across_queues_and_prefix_ids() {
    // Ids "P" and "P0": b64 "UA" is a prefix of "UDA"; the encoded keys
    // order them by the commit-ts suffix, as Pebble does.
    let mk = |id: &str, ts: i64| {
        format!(
            r#"{{"message_id":"{id}","body":"","send_timestamp_millis":{ts},"available_at_millis":{ts},"visible_at_millis":0,"receive_count":0,"queue_generation":1}}"#
        )
    };
    let (l1, l2, l3) = (mk("P", 1), mk("P0", 2), mk("x", 3));
    let qa = STD_QUEUE.replace("orders", "q");
    let qb = STD_QUEUE.replace("orders", "q\\u0001");
    let src = dump(&[("q", &qa, &[&l1, &l2]), ("q%01", &qb, &[&l3])]);
    let (fsm, _) = encode_to_vec(&src, &EncodeOptions::default()).unwrap();
    let mut r = Reader::new(fsm.as_slice()).unwrap();
    let mut raw_keys = Vec::new();
    while let Some(Entry::Version(v)) = r.next_entry().unwrap() {
        let mut k = v.user_key.clone();
        k.extend_from_slice(&(!v.commit_ts).to_be_bytes());
        raw_keys.push(k);
    }
    assert_eq!(raw_keys.len(), 3 * 3 + 2 * 2);
    assert!(raw_keys.windows(2).all(|w| w[0] < w[1]), "not sorted");
    // Deterministic.
    assert_eq!(
        encode_to_vec(&src, &EncodeOptions::default()).unwrap().0,
        fsm
    );
}

// REQ-ENC-1
#[test]
fn last_commit_ts_override_may_only_raise_the_timestamp() {
    let src = dump(&[("orders", STD_QUEUE, &[])]);
    let opts = EncodeOptions {
        last_commit_ts: Some(TS + 5),
        ..EncodeOptions::default()
    };
    let (fsm, s) = encode_to_vec(&src, &opts).unwrap();
    assert_eq!(s.commit_ts, TS + 5);
    assert_eq!(
        Reader::new(fsm.as_slice()).unwrap().last_commit_ts(),
        TS + 5
    );
    let low = EncodeOptions {
        last_commit_ts: Some(TS - 1),
        ..EncodeOptions::default()
    };
    let err = encode_to_vec(&src, &low).unwrap_err();
    assert_eq!(err.class(), "commit_ts_regression");
    assert_eq!(
        err.to_string(),
        format!(
            "--last-commit-ts {} is below the manifest's last_commit_ts {TS}",
            TS - 1
        )
    );
}

// REQ-ENC-2, REQ-ENC-15
#[test]
fn manifests_with_and_without_wall_time_are_accepted() {
    let mut src = dump(&[("orders", STD_QUEUE, &[])]);
    let plain = encode_to_vec(&src, &EncodeOptions::default()).unwrap().0;
    let mut m: serde_json::Value = serde_json::from_slice(&src.files["MANIFEST.json"]).unwrap();
    m["wall_time_iso"] = "2026-04-29T15:42:11.094Z".into();
    m["elastickv_version"] = "x".into();
    src.files
        .insert("MANIFEST.json".into(), serde_json::to_vec(&m).unwrap());
    let sums = sqsdump::encode::check::checksums(&src.files);
    src.files.insert("CHECKSUMS".into(), sums);
    assert_eq!(
        encode_to_vec(&src, &EncodeOptions::default()).unwrap().0,
        plain
    );
}

// REQ-ENC-13, REQ-CLI-11
#[test]
fn the_bundled_sample_round_trips() {
    let fsm = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/sample.fsm")).unwrap();
    let ts = Reader::new(fsm.as_slice()).unwrap().last_commit_ts();
    let files = decode_sqs(&fsm).unwrap();
    let s = round_trip(&files, ts)
        .unwrap()
        .expect("the sample's dump encodes as it is");
    assert_eq!((s.queues, s.messages), (5, 12));
}

// REQ-ENC-11, REQ-ENC-6
#[test]
fn encode_to_file_is_atomic_and_never_overwrites() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("dump");
    let src = dump(&[("orders", STD_QUEUE, &[])]);
    for (path, bytes) in &src.files {
        let p = input.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }
    let out = tmp.path().join("out.fsm");
    encode_to_file(&input, &out, &EncodeOptions::default()).unwrap();
    assert_eq!(
        std::fs::read(&out).unwrap(),
        encode_to_vec(&src, &EncodeOptions::default()).unwrap().0
    );
    // An existing output is refused and kept.
    let err = encode_to_file(&input, &out, &EncodeOptions::default()).unwrap_err();
    assert_eq!(err.class(), "unsafe_output");
    // A failing encode leaves nothing behind, not even temporary files.
    std::fs::write(input.join("sqs/orders/_queue.json"), b"{}").unwrap();
    let out2 = tmp.path().join("out2.fsm");
    let err = encode_to_file(&input, &out2, &EncodeOptions::default()).unwrap_err();
    assert_eq!(err.class(), "checksum_mismatch");
    assert!(!out2.exists());
    let mut names: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["dump", "out.fsm", "out.fsm.encode_info.json"]);
}

/// Write the dump `src` as a directory tree at `root`.
fn write_tree(root: &std::path::Path, src: &MemSource) {
    for (path, bytes) in &src.files {
        let p = root.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }
}

// REQ-ENC-11: the library's `encode` writes the bytes `sqsdump encode`
// writes, and its sidecar; an existing output is refused and left alone.
#[test]
fn the_library_encode_writes_the_command_lines_snapshot() {
    let tmp = tempfile::tempdir().unwrap();
    let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/sample.fsm");
    let dump = tmp.path().join("dump");
    sqsdump::Decoder::default().decode(sample, &dump).unwrap();
    let cli_fsm = tmp.path().join("cli.fsm");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sqsdump"))
        .args(["encode", "--input"])
        .arg(&dump)
        .arg("--output")
        .arg(&cli_fsm)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let lib_fsm = tmp.path().join("lib.fsm");
    let mut options = sqsdump::EncodeOptions::default();
    options.self_test = true;
    let summary = sqsdump::encode(&dump, &lib_fsm, &options).unwrap();
    assert_eq!((summary.queues, summary.messages), (5, 12));
    assert_eq!(
        std::fs::read(&lib_fsm).unwrap(),
        std::fs::read(&cli_fsm).unwrap()
    );
    assert!(tmp.path().join("lib.fsm.encode_info.json").is_file());
    let err = sqsdump::encode(&dump, &cli_fsm, &options).unwrap_err();
    assert_eq!(err.class(), "unsafe_output");
    assert_eq!(
        std::fs::read(&lib_fsm).unwrap(),
        std::fs::read(&cli_fsm).unwrap()
    );
}

// REQ-CLI-11, REQ-ENC-12, REQ-ENC-13
/// `decode` of the bundled sample, then `encode` of that dump, from the
/// command line: both succeed, and the restored snapshot decodes to the
/// same dump (normalised: every `queue_generation` 1).
#[test]
fn the_bundled_sample_decodes_and_restores_from_the_command_line() {
    let bin = env!("CARGO_BIN_EXE_sqsdump");
    let tmp = tempfile::tempdir().unwrap();
    let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/sample.fsm");
    let run = |args: &[&std::ffi::OsStr]| {
        let out = std::process::Command::new(bin).args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let (dump_dir, restored, again) = (
        tmp.path().join("dump"),
        tmp.path().join("restored.fsm"),
        tmp.path().join("again"),
    );
    let os = |s: &'static str| std::ffi::OsStr::new(s);
    run(&[
        os("decode"),
        os("--input"),
        os(sample),
        os("--output"),
        dump_dir.as_os_str(),
    ]);
    let summary = run(&[
        os("encode"),
        os("--input"),
        dump_dir.as_os_str(),
        os("--output"),
        restored.as_os_str(),
    ]);
    assert!(
        summary.starts_with("encoded 5 queues, 12 messages, "),
        "{summary}"
    );
    run(&[
        os("decode"),
        os("--input"),
        restored.as_os_str(),
        os("--output"),
        again.as_os_str(),
    ]);
    let sqs_files = |root: &std::path::Path| {
        let mut files = BTreeMap::new();
        for dir in std::fs::read_dir(root.join("sqs")).unwrap() {
            let dir = dir.unwrap();
            for f in std::fs::read_dir(dir.path()).unwrap() {
                let f = f.unwrap();
                let name = format!(
                    "sqs/{}/{}",
                    dir.file_name().to_string_lossy(),
                    f.file_name().to_string_lossy()
                );
                files.insert(name, std::fs::read(f.path()).unwrap());
            }
        }
        files
    };
    let want = sqsdump::encode::check::normalised(&sqs_files(&dump_dir));
    assert_eq!(want.len(), 10, "{:?}", want.keys());
    assert!(
        sqs_files(&again) == want,
        "the restored sample decodes to another dump"
    );
}

// REQ-ENC-12
#[test]
fn encode_command_restores_a_decoded_dump_and_reports_errors() {
    let bin = env!("CARGO_BIN_EXE_sqsdump");
    let tmp = tempfile::tempdir().unwrap();
    let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/sample.fsm");
    let dump_dir = tmp.path().join("dump");
    let st = std::process::Command::new(bin)
        .args(["decode", "--input", sample, "--output"])
        .arg(&dump_dir)
        .output()
        .unwrap();
    assert!(st.status.success());
    // The sample's dump with an HT-FIFO message moved off its group's
    // lane: exit 1, one error line, no output.
    let fsm = std::fs::read(sample).unwrap();
    let mut files = decode_sqs(&fsm).unwrap();
    let path = "sqs/events.fifo/messages.jsonl".to_string();
    let moved = String::from_utf8(files[&path].clone()).unwrap().replacen(
        r#""message_group_id":"dev-1","sequence_number":1,"partition":2"#,
        r#""message_group_id":"dev-1","sequence_number":1,"partition":1"#,
        1,
    );
    assert_ne!(
        moved.as_bytes(),
        files[&path].as_slice(),
        "the edit applies"
    );
    files.insert(path, moved.into_bytes());
    let off_lane = tmp.path().join("off-lane");
    write_tree(&off_lane, &source_of(&files, 1000));
    let out = tmp.path().join("r.fsm");
    let run = |input: &std::path::Path, out: &std::path::Path| {
        std::process::Command::new(bin)
            .args(["encode", "--input"])
            .arg(input)
            .arg("--output")
            .arg(out)
            .output()
            .unwrap()
    };
    let failed = run(&off_lane, &out);
    assert_eq!(failed.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert!(
        stderr.starts_with("error[invalid_partition]: sqs/events.fifo/messages.jsonl:1: "),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1);
    assert!(!out.exists());
    // The decoded sample itself restores.
    let restored = run(&dump_dir, &out);
    assert!(
        restored.status.success(),
        "{}",
        String::from_utf8_lossy(&restored.stderr)
    );
    std::fs::remove_file(&out).unwrap();
    std::fs::remove_file(format!("{}.encode_info.json", out.display())).unwrap();
    // A restorable dump: exit 0, a summary line, the snapshot.
    let good = tmp.path().join("good");
    let src = dump(&[("orders", STD_QUEUE, &[])]);
    write_tree(&good, &src);
    let ok = run(&good, &out);
    assert!(ok.status.success());
    let stderr = String::from_utf8_lossy(&ok.stderr);
    assert!(
        stderr.starts_with("encoded 1 queues, 0 messages, 2 entries at commit ts "),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read(&out).unwrap(),
        encode_to_vec(&src, &EncodeOptions::default()).unwrap().0
    );
    let help = std::process::Command::new(bin)
        .args(["encode", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    for flag in ["--input", "--output", "--last-commit-ts", "Examples:"] {
        assert!(help.contains(flag), "help lacks {flag}");
    }
    let bad = std::process::Command::new(bin)
        .args([
            "encode",
            "--input",
            "x",
            "--output",
            "y",
            "--last-commit-ts",
            "nope",
        ])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

// REQ-ENC-14
#[test]
fn a_queue_name_that_is_not_utf8_is_restored_from_its_directory() {
    // The corpus case's queue `q\xff` has an empty live name: _queue.json
    // says "q\ufffd", the directory `q%FF` holds the raw bytes.
    let fsm = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("conformance/REQ-OUT-9-invalid-utf8-names/input.fsm"),
    )
    .unwrap();
    let files = sqsdump::encode::check::decode_sqs(&fsm).unwrap();
    assert!(files.contains_key("sqs/q%FF/_queue.json"));
    let summary = sqsdump::encode::check::round_trip(&files, 1000)
        .unwrap()
        .expect("restorable");
    assert_eq!(summary.queues, 1);
}

// REQ-CLI-7, REQ-ENC-11, REQ-ENC-18
#[cfg(unix)]
#[test]
fn the_snapshot_is_created_0644_under_the_umask() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("dump");
    let src = dump(&[("orders", STD_QUEUE, &[])]);
    for (path, bytes) in &src.files {
        let p = input.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }
    let out = tmp.path().join("out.fsm");
    encode_to_file(&input, &out, &EncodeOptions::default()).unwrap();
    // The umask of this process, read without changing it.
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let mask = status
        .lines()
        .find_map(|l| l.strip_prefix("Umask:"))
        .and_then(|m| u32::from_str_radix(m.trim(), 8).ok())
        .unwrap_or(0o022);
    let mode = std::fs::metadata(&out).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o644 & !mask);
    // The ENCODE_INFO sidecar beside it too (REQ-ENC-18).
    let sidecar = tmp.path().join("out.fsm.encode_info.json");
    let mode = std::fs::metadata(sidecar).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o644 & !mask);
}
