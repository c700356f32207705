//! MANIFEST.json and CHECKSUMS (REQ-CLI-8, REQ-CLI-9).

use std::fs;
use std::process::Command;

use sha2::{Digest, Sha256};
use sqsdump::dump::DumpModel;
use sqsdump::manifest::{
    add_manifest, checksums, is_rfc3339, manifest_json, parse_epoch, rfc3339_utc,
    snapshot_index_from_name, wall_time, wall_time_now, ManifestInfo, MAX_EPOCH_SECONDS,
};
use sqsdump::write::write_dump;

fn model() -> DumpModel {
    let mut m = DumpModel::new();
    m.add_file(
        "sqs/orders-fifo.fifo/_queue.json".into(),
        b"{}".to_vec(),
        "q1",
    )
    .unwrap();
    m.add_file(
        "sqs/orders-fifo.fifo/messages.jsonl".into(),
        b"hello\n".to_vec(),
        "q1",
    )
    .unwrap();
    m.add_file("sqs/a/_queue.json".into(), b"{}".to_vec(), "q2")
        .unwrap();
    m.queues = vec!["orders-fifo.fifo".into(), "a".into()];
    m
}

fn info() -> ManifestInfo {
    ManifestInfo {
        last_commit_ts: 4_517_352_099_840_000,
        source_name: "0000000000000064.fsm".into(),
        source_size: 1234,
        preserve_visibility: false,
        include_side_records: true,
        wall_time: "2023-11-14T22:13:20.000Z".into(),
        ..Default::default()
    }
}

const MANIFEST: &str = r#"{
  "format_version": 1,
  "phase": "phase0-snapshot-decode",
  "last_commit_ts": 4517352099840000,
  "wall_time_iso": "2023-11-14T22:13:20.000Z",
  "source": {
    "fsm_path": "0000000000000064.fsm",
    "fsm_size_bytes": 1234
  },
  "adapters": {
    "sqs": {
      "queues": [
        "a",
        "orders-fifo.fifo"
      ]
    }
  },
  "exclusions": {
    "include_incomplete_uploads": false,
    "include_orphans": false,
    "preserve_sqs_visibility": false,
    "include_sqs_side_records": true
  },
  "checksum_algorithm": "sha256",
  "checksum_format": "sha256sum",
  "encoded_filename_charset": "rfc3986-unreserved-plus-percent",
  "key_segment_max_bytes": 240,
  "s3_meta_suffix": ".elastickv-meta.json",
  "s3_collision_strategy": "leaf-data-suffix",
  "dynamodb_layout": "per-item"
}
"#;

// REQ-CLI-8, REQ-CLI-12
#[test]
fn manifest_has_every_field_in_a_fixed_order() {
    let m = model();
    let bytes = manifest_json(&m, &info());
    assert_eq!(String::from_utf8(bytes).unwrap(), MANIFEST);
}

// REQ-CLI-8, REQ-CLI-13: the optional fields sit where upstream's
// manifest type puts them, and only when known.
#[test]
fn optional_fields_sit_where_upstream_puts_them() {
    let m = model();
    let full = ManifestInfo {
        cluster_id: Some("prod-tokyo".into()),
        snapshot_index: Some(100),
        fsm_crc32c: Some(0x0e30_6928),
        ..info()
    };
    let want = MANIFEST
        .replace(
            "  \"last_commit_ts\"",
            "  \"cluster_id\": \"prod-tokyo\",\n  \"snapshot_index\": 100,\n  \"last_commit_ts\"",
        )
        .replace(
            "\"fsm_path\": \"0000000000000064.fsm\",",
            "\"fsm_path\": \"0000000000000064.fsm\",\n    \"fsm_crc32c\": \"0e306928\",",
        );
    assert_eq!(String::from_utf8(manifest_json(&m, &full)).unwrap(), want);
    // An empty cluster id and a zero index are left out, as Go's
    // omitempty leaves them out.
    let empty = ManifestInfo {
        cluster_id: Some(String::new()),
        snapshot_index: Some(0),
        ..info()
    };
    assert_eq!(
        String::from_utf8(manifest_json(&m, &empty)).unwrap(),
        MANIFEST
    );
}

// REQ-CLI-13
#[test]
fn snapshot_index_is_read_from_a_node_file_name_as_hex() {
    assert_eq!(snapshot_index_from_name("0000000000000064.fsm"), Some(100));
    assert_eq!(snapshot_index_from_name("00000000000000ff.fsm"), Some(255));
    assert_eq!(snapshot_index_from_name("00000000000000FF.fsm"), Some(255));
    assert_eq!(
        snapshot_index_from_name("ffffffffffffffff.fsm"),
        Some(u64::MAX)
    );
    assert_eq!(snapshot_index_from_name("0000000000000000.fsm"), Some(0));
    for name in [
        "100.fsm",
        "000000000000064.fsm",
        "00000000000000064.fsm",
        "000000000000006g.fsm",
        "+000000000000064.fsm",
        "0000000000000064.fsm.tmp",
        "0000000000000064",
        "input.fsm",
        "-",
        "",
    ] {
        assert_eq!(snapshot_index_from_name(name), None, "{name:?}");
    }
}

// REQ-CLI-8
#[test]
fn manifest_reflects_the_flags_and_an_empty_queue_list() {
    let mut i = info();
    i.preserve_visibility = true;
    i.include_side_records = false;
    i.source_name = "-".into();
    let text = String::from_utf8(manifest_json(&DumpModel::new(), &i)).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["adapters"]["sqs"]["queues"], serde_json::json!([]));
    assert_eq!(v["exclusions"]["preserve_sqs_visibility"], true);
    assert_eq!(v["exclusions"]["include_sqs_side_records"], false);
    assert_eq!(v["source"]["fsm_path"], "-");
    assert!(text.contains("\"queues\": []"), "{text}");
}

// REQ-CLI-8
#[test]
fn checksums_cover_every_other_file_sorted_by_path() {
    let mut m = model();
    add_manifest(&mut m, &info()).unwrap();
    let manifest_sum = hex::encode(Sha256::digest(MANIFEST.as_bytes()));
    let want = format!(
        "{manifest_sum}  MANIFEST.json\n\
         44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a  sqs/a/_queue.json\n\
         44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a  sqs/orders-fifo.fifo/_queue.json\n\
         5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03  sqs/orders-fifo.fifo/messages.jsonl\n"
    );
    assert_eq!(
        String::from_utf8(m.files["CHECKSUMS"].clone()).unwrap(),
        want
    );
    assert_eq!(m.files["MANIFEST.json"], MANIFEST.as_bytes());
    // Recomputing gives the same bytes (CHECKSUMS excludes itself).
    assert_eq!(checksums(&m).unwrap(), m.files["CHECKSUMS"]);
}

// REQ-CLI-8
#[test]
fn sha256sum_check_passes_from_the_dump_root() {
    let mut m = model();
    add_manifest(&mut m, &info()).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("dump");
    write_dump(&m, &out).unwrap();
    let run = Command::new("sha256sum")
        .args(["--check", "--strict", "CHECKSUMS"])
        .current_dir(&out)
        .output()
        .expect("sha256sum runs");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stdout)
    );
    let stdout = String::from_utf8(run.stdout).unwrap();
    assert_eq!(
        stdout,
        "MANIFEST.json: OK\n\
         sqs/a/_queue.json: OK\n\
         sqs/orders-fifo.fifo/_queue.json: OK\n\
         sqs/orders-fifo.fifo/messages.jsonl: OK\n"
    );
    // Tampering is caught.
    fs::write(out.join("sqs/a/_queue.json"), "{\"x\":1}").unwrap();
    let run = Command::new("sha256sum")
        .args(["--check", "CHECKSUMS"])
        .current_dir(&out)
        .output()
        .unwrap();
    assert!(!run.status.success());
}

// REQ-CLI-8
#[test]
fn existing_manifest_or_checksums_is_a_collision() {
    let mut m = model();
    m.add_file(
        "MANIFEST.json".into(),
        b"{}".to_vec(),
        "sqs/MANIFEST.json writer",
    )
    .unwrap();
    let err = add_manifest(&mut m, &info()).unwrap_err();
    assert_eq!(err.class(), "path_collision");
    assert_eq!(
        err.to_string(),
        "path collision: MANIFEST.json is produced by both sqs/MANIFEST.json writer and manifest"
    );
    let mut m = model();
    m.add_file("CHECKSUMS".into(), b"".to_vec(), "other")
        .unwrap();
    let err = add_manifest(&mut m, &info()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "path collision: CHECKSUMS is produced by both other and manifest"
    );
}

// REQ-CLI-8
#[test]
fn paths_sha256sum_cannot_list_verbatim_are_refused() {
    let mut m = model();
    m.add_file("sqs/a\nb".into(), b"".to_vec(), "q").unwrap();
    let err = add_manifest(&mut m, &info()).unwrap_err();
    assert_eq!(err.class(), "unsafe_output");
    assert_eq!(
        err.to_string(),
        "unsafe output sqs/a\\nb: path cannot be listed verbatim in CHECKSUMS"
    );
}

// REQ-CLI-9
#[test]
fn wall_time_is_always_written_after_last_commit_ts() {
    let mut i = info();
    i.wall_time = "2026-04-29T15:42:11.094Z".into();
    let text = String::from_utf8(manifest_json(&model(), &i)).unwrap();
    assert!(
        text.contains(
            "  \"last_commit_ts\": 4517352099840000,\n  \"wall_time_iso\": \"2026-04-29T15:42:11.094Z\",\n  \"source\": {"
        ),
        "{text}"
    );
}

// REQ-CLI-9
#[test]
fn source_date_epoch_fixes_the_wall_time() {
    assert_eq!(wall_time(Some(0)), "1970-01-01T00:00:00.000Z");
    assert_eq!(wall_time(Some(1_700_000_000)), "2023-11-14T22:13:20.000Z");
    assert_eq!(
        wall_time(Some(MAX_EPOCH_SECONDS)),
        "9999-12-31T23:59:59.000Z"
    );
    assert_eq!(parse_epoch("1700000000"), Ok(1_700_000_000));
    for bad in ["", "-1", "+5", "1.5", " 1", "253402300800", "x"] {
        assert!(parse_epoch(bad).is_err(), "{bad:?}");
    }
    // Without it, the clock.
    assert_eq!(wall_time(None).len(), 24);
}

// REQ-CLI-9
#[test]
fn same_input_gives_the_same_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let mut trees = Vec::new();
    for run in 0..2 {
        let mut m = model();
        add_manifest(&mut m, &info()).unwrap();
        let out = tmp.path().join(format!("dump{run}"));
        write_dump(&m, &out).unwrap();
        let mut files = Vec::new();
        for path in m.files.keys() {
            files.push((path.clone(), fs::read(out.join(path)).unwrap()));
        }
        trees.push(files);
    }
    assert_eq!(trees[0], trees[1]);
    assert_eq!(trees[0].len(), 5);
}

// REQ-CLI-9
#[test]
fn wall_time_is_rfc3339_utc_with_milliseconds() {
    assert_eq!(rfc3339_utc(0, 0), "1970-01-01T00:00:00.000Z");
    assert_eq!(rfc3339_utc(1_777_477_331, 94), "2026-04-29T15:42:11.094Z");
    assert_eq!(rfc3339_utc(951_868_799, 999), "2000-02-29T23:59:59.999Z");
    assert_eq!(rfc3339_utc(4_107_542_400, 0), "2100-03-01T00:00:00.000Z");
    let now = wall_time_now();
    let b = now.as_bytes();
    assert_eq!(b.len(), 24, "{now}");
    assert_eq!(
        (b[4], b[7], b[10], b[13], b[16], b[19], b[23]),
        (b'-', b'-', b'T', b':', b':', b'.', b'Z')
    );
}

// REQ-CLI-8
#[test]
fn a_failed_add_manifest_leaves_the_model_unchanged() {
    let mut m = model();
    m.add_file("sqs/a\nb".into(), b"".to_vec(), "q").unwrap();
    let before = m.clone();
    assert!(add_manifest(&mut m, &info()).is_err());
    assert_eq!(m, before);
}

// REQ-CLI-9
#[test]
fn wall_time_form_is_rfc3339() {
    for good in [
        "2023-11-14T22:13:20.000Z",
        "2026-11-30T01:38:24.585128547Z",
        "2026-11-30T01:38:24Z",
        "2026-11-30T01:38:24.5+09:00",
        "2026-11-30T01:38:24-05:30",
        "2026-11-30T01:38:24+23:59",
        &wall_time(None),
    ] {
        assert!(is_rfc3339(good), "{good}");
    }
    for bad in [
        "",
        "2023-11-14",
        "2023-11-14 22:13:20Z",
        "2023-13-14T22:13:20Z",
        "2023-00-14T22:13:20Z",
        "2023-11-14T24:13:20Z",
        "2023-11-14T22:13:20.Z",
        "2023-11-14T22:13:20",
        "2023-11-14T22:13:20+0900",
        // A six-character offset with exactly one part wrong: the sign,
        // the hour, the colon, the minute.
        "2023-11-14T22:13:20*09:00",
        "2023-11-14T22:13:20+24:00",
        "2023-11-14T22:13:20+09-00",
        "2023-11-14T22:13:20+09:60",
        "2023-11-14T22:13:20Zjunk",
        "１２３４-11-14T22:13:20Z",
    ] {
        assert!(!is_rfc3339(bad), "{bad}");
    }
}
