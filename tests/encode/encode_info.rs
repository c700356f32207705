//! The ENCODE_INFO sidecar (REQ-ENC-18) and `--self-test` (REQ-ENC-19):
//! what `sqsdump encode` writes passes the checks of upstream's restore
//! tool (restated in `prepare_restore`), exactly when it should.

use crate::common::files as read_tree;
use crate::common::run::names;
use crate::prepare_restore;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use prepare_restore::{Flags, Refusal};
use sqsdump::encode::check::{checksums, source_of};
use sqsdump::encode::info::{go_rfc3339_nano, EncodeInfo, SelfTest};
use sqsdump::encode::{encode_to_file, encode_to_vec, EncodeOptions};

const TS: u64 = 0x0006_1a2b_3c4d_5e6f;

const STD_QUEUE: &str = r#"{"format_version":1,"name":"orders","visibility_timeout_seconds":30,"message_retention_seconds":345600,"delay_seconds":0}"#;
const FIFO_QUEUE: &str = r#"{"format_version":1,"name":"jobs.fifo","fifo":true,"content_based_deduplication":true,"visibility_timeout_seconds":30,"message_retention_seconds":60,"delay_seconds":0}"#;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sqsdump"))
}

fn line(id: &str, body: &str, send: i64, gen: u64, fifo: Option<(&str, u64)>) -> String {
    let mut l = format!(
        r#"{{"message_id":"{id}","body":"{body}","send_timestamp_millis":{send},"available_at_millis":{send},"visible_at_millis":0,"receive_count":0,"queue_generation":{gen}"#
    );
    if let Some((group, seq)) = fifo {
        l.push_str(&format!(
            r#","message_group_id":"{group}","sequence_number":{seq}"#
        ));
    }
    l.push_str("}\n");
    l
}

/// A dump as `sqsdump decode` writes it (a standard queue with bodies
/// holding `<` and `&`, a FIFO queue, an empty queue), with `cluster_id`
/// added to its manifest when given, at `dir`.
fn canonical_dump(dir: &Path, cluster_id: Option<&str>) {
    let mut files = BTreeMap::new();
    files.insert("sqs/orders/_queue.json".to_string(), STD_QUEUE.into());
    files.insert(
        "sqs/orders/messages.jsonl".to_string(),
        (line("m1", "a<b & c", 1000, 3, None) + &line("m2", "two", 1001, 3, None)).into_bytes(),
    );
    files.insert("sqs/jobs.fifo/_queue.json".to_string(), FIFO_QUEUE.into());
    files.insert(
        "sqs/jobs.fifo/messages.jsonl".to_string(),
        line("f1", "x", 5, 1, Some(("g", 1))).into_bytes(),
    );
    files.insert(
        "sqs/empty/_queue.json".to_string(),
        STD_QUEUE.replace("orders", "empty").into_bytes(),
    );
    canonical(dir, &files, cluster_id);
}

/// The dump `sqsdump decode` writes for the snapshot of `files` (paths
/// under `sqs/`), with `cluster_id` added to its manifest when given, at
/// `dir`.
fn canonical(dir: &Path, files: &BTreeMap<String, Vec<u8>>, cluster_id: Option<&str>) {
    let tmp = tempfile::tempdir().unwrap();
    let raw = tmp.path().join("raw");
    for (path, bytes) in &source_of(files, TS).files {
        let p = raw.join(path);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, bytes).unwrap();
    }
    let fsm = tmp.path().join("raw.fsm");
    encode_to_file(&raw, &fsm, &EncodeOptions::default()).unwrap();
    let out = bin()
        .args(["decode", "--input"])
        .arg(&fsm)
        .arg("--output")
        .arg(dir)
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    if let Some(id) = cluster_id {
        let mp = dir.join("MANIFEST.json");
        let mut m: serde_json::Value = serde_json::from_slice(&fs::read(&mp).unwrap()).unwrap();
        m.as_object_mut()
            .unwrap()
            .insert("cluster_id".to_string(), id.into());
        fs::write(&mp, serde_json::to_vec_pretty(&m).unwrap()).unwrap();
        rewrite_checksums(dir);
    }
}

fn rewrite_checksums(dir: &Path) {
    let files = read_tree(dir);
    fs::write(dir.join("CHECKSUMS"), checksums(&files)).unwrap();
}

/// `sqsdump encode --input dump --output out` in `cwd`, with
/// `SOURCE_DATE_EPOCH` set, and the extra arguments.
fn encode(cwd: &Path, dump: &str, out: &str, extra: &[&str]) -> Output {
    bin()
        .current_dir(cwd)
        .args(["encode", "--input", dump, "--output", out])
        .args(extra)
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .output()
        .unwrap()
}

fn sidecar(p: &Path) -> PathBuf {
    let mut s = p.as_os_str().to_os_string();
    s.push(".encode_info.json");
    PathBuf::from(s)
}

fn fresh() -> Flags {
    Flags {
        fresh_cluster: true,
        ..Flags::default()
    }
}

// REQ-ENC-18, REQ-ENC-19, REQ-ENC-12
#[test]
fn a_self_tested_encode_passes_the_restore_checks() {
    let tmp = tempfile::tempdir().unwrap();
    canonical_dump(&tmp.path().join("dump"), Some("c-1"));
    let out = encode(tmp.path(), "dump", "r.fsm", &["--self-test"]);
    assert!(out.status.success(), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("(ENCODE_INFO r.fsm.encode_info.json, self-test matched)"),
        "{stderr}"
    );
    // Nothing else is left: no staging or scratch directory.
    assert_eq!(
        names(tmp.path()),
        ["dump", "r.fsm", "r.fsm.encode_info.json"]
    );
    let fsm = tmp.path().join("r.fsm");
    let target = |id: &str| Flags {
        target_cluster_id: id.to_string(),
        ..Flags::default()
    };
    let info = prepare_restore::check(&fsm, None, &target("c-1")).unwrap();
    assert!(info.self_test_ran && info.self_test_matched);
    assert_eq!(info.manifest_cluster_id, "c-1");
    assert_eq!(info.last_commit_ts, TS);
    assert_eq!(info.wall_time_iso, "2023-11-14T22:13:20Z");
    assert_eq!(
        (info.input_root.as_str(), info.output_fsm_path.as_str()),
        ("dump", "r.fsm")
    );
    assert!(prepare_restore::check(&fsm, None, &fresh()).is_ok());
    assert_eq!(
        prepare_restore::check(&fsm, None, &target("c-2")),
        Err(Refusal::ClusterIdMismatch)
    );
    assert_eq!(
        prepare_restore::check(&fsm, None, &Flags::default()),
        Err(Refusal::ClusterIdMissing)
    );
    // The snapshot is the one an encode without the flag writes.
    let plain = encode(tmp.path(), "dump", "p.fsm", &[]);
    assert!(plain.status.success());
    assert_eq!(
        fs::read(&fsm).unwrap(),
        fs::read(tmp.path().join("p.fsm")).unwrap()
    );
}

// REQ-ENC-18
#[test]
fn without_self_test_only_the_self_test_rule_fails() {
    let tmp = tempfile::tempdir().unwrap();
    canonical_dump(&tmp.path().join("dump"), Some("c-1"));
    let out = encode(tmp.path(), "dump", "r.fsm", &[]);
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("self-test not run"));
    let fsm = tmp.path().join("r.fsm");
    assert_eq!(
        prepare_restore::check(&fsm, None, &fresh()),
        Err(Refusal::SelfTestMissing)
    );
    let allowed = Flags {
        allow_unverified_self_test: true,
        ..fresh()
    };
    let info = prepare_restore::check(&fsm, None, &allowed).unwrap();
    assert!(!info.self_test_ran && !info.self_test_matched);
}

// REQ-ENC-18
#[test]
fn a_tampered_payload_fails_on_its_sha256() {
    let tmp = tempfile::tempdir().unwrap();
    canonical_dump(&tmp.path().join("dump"), Some("c-1"));
    assert!(encode(tmp.path(), "dump", "r.fsm", &["--self-test"])
        .status
        .success());
    let fsm = tmp.path().join("r.fsm");
    let mut bytes = fs::read(&fsm).unwrap();
    // The last byte is inside the last entry's value: the stream still
    // reads, only its digest changes.
    *bytes.last_mut().unwrap() ^= 0x20;
    fs::write(&fsm, &bytes).unwrap();
    assert!(prepare_restore::read_payload(&fsm).is_ok());
    assert_eq!(
        prepare_restore::check(&fsm, None, &fresh()),
        Err(Refusal::Sha256Mismatch)
    );
}

// REQ-ENC-18, REQ-ENC-2
#[test]
fn the_cluster_id_is_taken_from_the_manifest_when_it_is_there() {
    let tmp = tempfile::tempdir().unwrap();
    canonical_dump(&tmp.path().join("without"), None);
    canonical_dump(&tmp.path().join("with"), Some("prod-<1>"));
    for (dump, out) in [("without", "a.fsm"), ("with", "b.fsm")] {
        assert!(encode(tmp.path(), dump, out, &["--self-test"])
            .status
            .success());
    }
    let a = tmp.path().join("a.fsm");
    let text = fs::read_to_string(sidecar(&a)).unwrap();
    assert!(!text.contains("manifest_cluster_id"), "{text}");
    assert_eq!(
        prepare_restore::check(&a, None, &fresh()),
        Err(Refusal::ClusterIdMissing)
    );
    let allow = Flags {
        allow_missing_cluster_id: true,
        ..Flags::default()
    };
    assert!(prepare_restore::check(&a, None, &allow).is_ok());
    let b = tmp.path().join("b.fsm");
    let text = fs::read_to_string(sidecar(&b)).unwrap();
    assert!(
        text.contains("  \"manifest_cluster_id\": \"prod-\\u003c1\\u003e\",\n"),
        "{text}"
    );
    let exact = Flags {
        target_cluster_id: "prod-<1>".to_string(),
        ..Flags::default()
    };
    assert!(prepare_restore::check(&b, None, &exact).is_ok());
    // A cluster_id that is not a string is a bad manifest.
    let mp = tmp.path().join("with/MANIFEST.json");
    let m = fs::read_to_string(&mp)
        .unwrap()
        .replace("\"prod-<1>\"", "7");
    fs::write(&mp, m).unwrap();
    rewrite_checksums(&tmp.path().join("with"));
    let bad = encode(tmp.path(), "with", "c.fsm", &[]);
    assert!(
        String::from_utf8_lossy(&bad.stderr).starts_with(
            "error[invalid_manifest]: MANIFEST.json: invalid manifest: cluster_id is not a string"
        ),
        "{bad:?}"
    );
}

// REQ-ENC-18
#[test]
fn the_sidecar_is_written_as_go_writes_encode_info() {
    let tmp = tempfile::tempdir().unwrap();
    canonical_dump(&tmp.path().join("d<&>"), Some("c"));
    let out = encode(
        tmp.path(),
        "d<&>",
        "o.fsm",
        &["--self-test", "--last-commit-ts", &(TS + 1).to_string()],
    );
    assert!(out.status.success(), "{out:?}");
    let fsm = fs::read(tmp.path().join("o.fsm")).unwrap();
    let sha = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(&fsm))
    };
    let want = format!(
        r#"{{
  "format_version": 1,
  "encoder_version": "sqsdump {}",
  "encoder_key_format_version": 1,
  "wall_time_iso": "2023-11-14T22:13:20Z",
  "input_root": "d\u003c\u0026\u003e",
  "output_fsm_path": "o.fsm",
  "output_fsm_sha256": "{sha}",
  "last_commit_ts": {},
  "last_commit_ts_overridden": true,
  "manifest_last_commit_ts": {TS},
  "manifest_cluster_id": "c",
  "adapters_enabled": [
    "sqs"
  ],
  "self_test": {{
    "ran": true,
    "matched": true
  }}
}}
"#,
        env!("CARGO_PKG_VERSION"),
        TS + 1
    );
    assert_eq!(
        fs::read_to_string(tmp.path().join("o.fsm.encode_info.json")).unwrap(),
        want
    );
    // The library writes the same bytes.
    let info = EncodeInfo {
        encoder_version: format!("sqsdump {}", env!("CARGO_PKG_VERSION")),
        wall_time_iso: go_rfc3339_nano(1_700_000_000, 0),
        input_root: PathBuf::from("d<&>"),
        output_fsm_path: PathBuf::from("o.fsm"),
        output_fsm_sha256: sha,
        last_commit_ts: TS + 1,
        last_commit_ts_overridden: true,
        manifest_last_commit_ts: TS,
        manifest_cluster_id: "c".to_string(),
        self_test: SelfTest {
            ran: true,
            matched: true,
        },
    };
    assert_eq!(String::from_utf8(info.to_json()).unwrap(), want);
}

// REQ-ENC-18, REQ-ENC-11
#[test]
fn an_existing_sidecar_path_is_refused_like_an_existing_output() {
    let tmp = tempfile::tempdir().unwrap();
    canonical_dump(&tmp.path().join("dump"), None);
    // A sidecar already there: refused, kept, no snapshot written.
    fs::write(tmp.path().join("a.fsm.encode_info.json"), b"keep").unwrap();
    let out = encode(tmp.path(), "dump", "a.fsm", &[]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error[unsafe_output]: unsafe output a.fsm: its ENCODE_INFO sidecar a.fsm.encode_info.json already exists\n"
    );
    assert_eq!(
        fs::read(tmp.path().join("a.fsm.encode_info.json")).unwrap(),
        b"keep"
    );
    // A dangling symlink there is refused too, and not followed.
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink("nowhere", tmp.path().join("b.fsm.encode_info.json")).unwrap();
        let out = encode(tmp.path(), "dump", "b.fsm", &[]);
        assert!(String::from_utf8_lossy(&out.stderr).starts_with("error[unsafe_output]"));
        assert!(!tmp.path().join("nowhere").exists());
    }
    // An existing output: refused; no sidecar is written for it.
    fs::write(tmp.path().join("c.fsm"), b"old").unwrap();
    let out = encode(tmp.path(), "dump", "c.fsm", &[]);
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("error[unsafe_output]"));
    assert_eq!(fs::read(tmp.path().join("c.fsm")).unwrap(), b"old");
    let mut want = vec!["a.fsm.encode_info.json", "c.fsm", "dump"];
    if cfg!(unix) {
        want.insert(1, "b.fsm.encode_info.json");
    }
    assert_eq!(names(tmp.path()), want);
    // The library refuses the same way.
    let e = encode_to_file(
        &tmp.path().join("dump"),
        &tmp.path().join("a.fsm"),
        &EncodeOptions::default(),
    )
    .unwrap_err();
    assert_eq!(e.class(), "unsafe_output");
    assert!(!tmp.path().join("a.fsm").exists());
}

// REQ-ENC-19, REQ-ENC-12, REQ-ENC-5
#[test]
fn a_self_test_mismatch_names_the_first_differing_file_and_leaves_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dump = tmp.path().join("dump");
    canonical_dump(&dump, Some("c-1"));
    // `<` spelled raw: the same message to encode, not the bytes decode
    // writes back (`\u003c`).
    let mp = dump.join("sqs/orders/messages.jsonl");
    let text = fs::read_to_string(&mp).unwrap();
    assert!(text.contains("a\\u003cb"), "{text}");
    fs::write(&mp, text.replace("a\\u003cb", "a<b")).unwrap();
    rewrite_checksums(&dump);
    // Without the self-test the dump encodes, to the canonical bytes.
    assert!(encode(tmp.path(), "dump", "plain.fsm", &[])
        .status
        .success());
    let scratch = tmp.path().join("scratch");
    fs::create_dir(&scratch).unwrap();
    let out = encode(
        tmp.path(),
        "dump",
        "r.fsm",
        &["--self-test", "--scratch-root", "scratch"],
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("error[self_test_mismatch]: sqs/orders/messages.jsonl: self-test mismatch: line 1 differs: the input has {\"message_id\":\"m1\",\"body\":\"a<b"),
        "{stderr}"
    );
    assert!(stderr.ends_with("; nothing was written\n"), "{stderr}");
    assert_eq!(
        names(tmp.path()),
        ["dump", "plain.fsm", "plain.fsm.encode_info.json", "scratch"]
    );
    assert!(names(&scratch).is_empty());
    // Without --scratch-root the scratch directory is in the staging
    // directory, which is gone too.
    let out = encode(tmp.path(), "dump", "r.fsm", &["--self-test"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        names(tmp.path()),
        ["dump", "plain.fsm", "plain.fsm.encode_info.json", "scratch"]
    );
    // --scratch-root must be an existing directory, and needs --self-test.
    let out = encode(
        tmp.path(),
        "dump",
        "r.fsm",
        &["--self-test", "--scratch-root", "missing"],
    );
    assert!(String::from_utf8_lossy(&out.stderr)
        .starts_with("error[io]: i/o error: using --scratch-root missing"));
    let out = encode(tmp.path(), "dump", "r.fsm", &["--scratch-root", "scratch"]);
    assert_eq!(out.status.code(), Some(2));
}

// REQ-ENC-19
#[test]
fn the_self_test_compares_under_the_round_trip_normalisation() {
    // Generations other than 1 and a partition of 0 on an unpartitioned
    // queue restore to 1 and to no partition: the self-test matches.
    let tmp = tempfile::tempdir().unwrap();
    let dump = tmp.path().join("dump");
    canonical_dump(&dump, None);
    let mp = dump.join("sqs/orders/messages.jsonl");
    let text = fs::read_to_string(&mp).unwrap().replace(
        "\"queue_generation\":1}",
        "\"queue_generation\":9,\"partition\":0}",
    );
    assert_eq!(text.matches("\"queue_generation\":9").count(), 2, "{text}");
    fs::write(&mp, text).unwrap();
    rewrite_checksums(&dump);
    let out = encode(tmp.path(), "dump", "r.fsm", &["--self-test"]);
    assert!(out.status.success(), "{out:?}");
    // The library's in-memory encode gives the same snapshot.
    let files = read_tree(&dump);
    let src = sqsdump::encode::tree::MemSource {
        files,
        symlinks: Default::default(),
    };
    assert_eq!(
        encode_to_vec(&src, &EncodeOptions::default()).unwrap().0,
        fs::read(tmp.path().join("r.fsm")).unwrap()
    );
}

// REQ-ENC-18
#[test]
fn the_restore_checks_refuse_what_upstream_refuses() {
    let tmp = tempfile::tempdir().unwrap();
    canonical_dump(&tmp.path().join("dump"), Some("c"));
    assert!(encode(tmp.path(), "dump", "r.fsm", &["--self-test"])
        .status
        .success());
    let fsm = tmp.path().join("r.fsm");
    let good = fs::read_to_string(sidecar(&fsm)).unwrap();
    let alt = tmp.path().join("alt.json");
    let with = |text: &str| {
        fs::write(&alt, text).unwrap();
        prepare_restore::check(&fsm, Some(&alt), &fresh())
    };
    assert!(with(&good).is_ok());
    // Go's field matching is case-insensitive; unknown fields are ignored.
    assert!(with(
        &good
            .replace("\"self_test\"", "\"Self_Test\"")
            .replace("{\n  \"format", "{\n  \"extra\": [1],\n  \"format")
    )
    .is_ok());
    assert_eq!(
        with(&good.replace("\"format_version\": 1", "\"format_version\": 2")),
        Err(Refusal::UnsupportedFormatVersion(2))
    );
    assert!(matches!(
        with(&good.replace("\"format_version\": 1", "\"format_version\": \"1\"")),
        Err(Refusal::Malformed(_))
    ));
    assert!(matches!(with("{"), Err(Refusal::Malformed(_))));
    assert!(matches!(
        with(&good.replace("\"ran\": true", "\"ran\": 1")),
        Err(Refusal::Malformed(_))
    ));
    assert_eq!(
        with(&good.replace(
            "\"encoder_key_format_version\": 1",
            "\"encoder_key_format_version\": 2"
        )),
        Err(Refusal::KeyFormatMismatch(2))
    );
    let sha_line = good
        .lines()
        .find(|l| l.contains("output_fsm_sha256"))
        .unwrap()
        .to_string();
    assert_eq!(
        with(&good.replace(&sha_line, "  \"output_fsm_sha256\": \"\",")),
        Err(Refusal::Sha256Missing)
    );
    // The digest is compared case-insensitively.
    assert!(with(
        &good.replace(
            &sha_line,
            &sha_line
                .to_uppercase()
                .replace("OUTPUT_FSM_SHA256", "output_fsm_sha256")
        )
    )
    .is_ok());
    assert_eq!(
        with(&good.replace("\"matched\": true", "\"matched\": false")),
        Err(Refusal::SelfTestMissing)
    );
    let mut big = good.clone();
    big.insert_str(1, &" ".repeat(1 << 20));
    assert_eq!(with(&big), Err(Refusal::SidecarTooLarge));
    assert!(matches!(
        prepare_restore::check(&fsm, Some(&tmp.path().join("none.json")), &fresh()),
        Err(Refusal::Unreadable(_))
    ));
    // A payload with an entry above its header's timestamp.
    let low = tmp.path().join("low.fsm");
    let mut bytes = fs::read(&fsm).unwrap();
    bytes[8..16].copy_from_slice(&(TS - 1).to_le_bytes());
    fs::write(&low, &bytes).unwrap();
    fs::write(sidecar(&low), &good).unwrap();
    assert_eq!(
        prepare_restore::check(&low, None, &fresh()),
        Err(Refusal::TimestampCeiling {
            max_entry: TS,
            header: TS - 1
        })
    );
}

/// Upstream's encoder (`/work/shared/upstream/elastickv-snapshot-encode-head`
/// beside the repository, or `SQSDUMP_UPSTREAM_ENCODER`), if it is there.
fn upstream_encoder() -> Option<PathBuf> {
    let path = std::env::var_os("SQSDUMP_UPSTREAM_ENCODER")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../shared/upstream/elastickv-snapshot-encode-head")
        });
    path.is_file().then_some(path)
}

/// The sidecar's text without the lines that differ by design: the
/// encoder's name and the wall time.
fn comparable(text: &str) -> String {
    text.lines()
        .filter(|l| {
            !l.starts_with("  \"encoder_version\": ") && !l.starts_with("  \"wall_time_iso\": ")
        })
        .map(|l| format!("{l}\n"))
        .collect()
}

// REQ-ENC-18, REQ-ENC-19
/// Differential against upstream's encoder, skipped when its binary is
/// absent: on dumps where no Decision applies, both write the same
/// snapshot bytes, and the same sidecar byte for byte apart from
/// `encoder_version` and `wall_time_iso` (the paths are given alike), with
/// and without `--self-test`, a cluster id and a timestamp override.
#[test]
fn sidecars_match_upstream_field_by_field() {
    let Some(upstream) = upstream_encoder() else {
        eprintln!("skipped: no upstream encoder");
        return;
    };
    let cases: [(Option<&str>, &[&str]); 5] = [
        (Some("c-<1>"), &["--self-test"]),
        (Some("c-1"), &[]),
        (None, &["--self-test"]),
        (None, &[]),
        (
            Some("c"),
            &["--self-test", "--last-commit-ts", "0x61a2b3c4d5e70"],
        ),
    ];
    for (i, (cluster, flags)) in cases.iter().enumerate() {
        let tmp = tempfile::tempdir().unwrap();
        let (ours, theirs) = (tmp.path().join("ours"), tmp.path().join("theirs"));
        canonical_dump(&ours.join("dump"), *cluster);
        canonical_dump(&theirs.join("dump"), *cluster);
        let out = encode(&ours, "dump", "r.fsm", flags);
        assert!(out.status.success(), "case {i}: {out:?}");
        let up = Command::new(&upstream)
            .current_dir(&theirs)
            .args(["--input", "dump", "--output", "r.fsm"])
            .args(*flags)
            .output()
            .unwrap();
        assert!(up.status.success(), "case {i}: upstream: {up:?}");
        assert_eq!(
            fs::read(ours.join("r.fsm")).unwrap(),
            fs::read(theirs.join("r.fsm")).unwrap(),
            "case {i}: snapshots differ"
        );
        let a = fs::read_to_string(ours.join("r.fsm.encode_info.json")).unwrap();
        let b = fs::read_to_string(theirs.join("r.fsm.encode_info.json")).unwrap();
        assert_eq!(comparable(&a), comparable(&b), "case {i}");
        assert_eq!(comparable(&a).lines().count() + 2, a.lines().count());
        // Both pass the restore checks alike.
        let flags = Flags {
            allow_missing_cluster_id: true,
            allow_unverified_self_test: true,
            ..fresh()
        };
        assert_eq!(
            prepare_restore::check(&ours.join("r.fsm"), None, &flags).map(|_| ()),
            prepare_restore::check(&theirs.join("r.fsm"), None, &flags).map(|_| ())
        );
    }
}

// REQ-ENC-19, REQ-ENC-17
/// SIGINT while the self-test decodes (its scratch directory exists in the
/// staging directory): exit 130, and nothing is left beside the dump.
#[cfg(unix)]
#[test]
fn sigint_during_the_self_test_leaves_nothing_and_exits_130() {
    use sqsdump::cli::decode::ENTRY_DELAY_ENV;
    let tmp = tempfile::tempdir().unwrap();
    let lines: String = (0..400)
        .map(|i| line(&format!("m{i:04}"), "b", 1000 + i, 1, None))
        .collect();
    let mut files = BTreeMap::new();
    files.insert("sqs/orders/_queue.json".to_string(), STD_QUEUE.into());
    files.insert("sqs/orders/messages.jsonl".to_string(), lines.into_bytes());
    canonical(&tmp.path().join("dump"), &files, None);
    let child = bin()
        .current_dir(tmp.path())
        .args(["encode", "-i", "dump", "-o", "r.fsm", "--self-test"])
        .env(ENTRY_DELAY_ENV, "3000")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let in_self_test = loop {
        let found = fs::read_dir(tmp.path()).unwrap().any(|e| {
            let p = e.unwrap().path();
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(".sqsdump-encode-")
                && fs::read_dir(&p).is_ok_and(|d| {
                    d.flatten().any(|e| {
                        e.file_name()
                            .to_string_lossy()
                            .starts_with(".sqsdump-selftest-")
                    })
                })
        });
        if found || std::time::Instant::now() > deadline {
            break found;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    };
    assert!(in_self_test, "the self-test never started");
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("error[interrupted]"), "{stderr}");
    assert_eq!(names(tmp.path()), ["dump"]);
}

// REQ-ENC-18, REQ-ENC-11
/// A sidecar that appears while the encode runs: the snapshot, already
/// renamed into place, is taken back out, the other file is kept, and the
/// run fails with `unsafe_output`.
#[test]
fn a_sidecar_that_appears_during_the_run_takes_the_snapshot_back_out() {
    use sqsdump::cli::decode::ENTRY_DELAY_ENV;
    let tmp = tempfile::tempdir().unwrap();
    let lines: String = (0..300)
        .map(|i| line(&format!("m{i:04}"), "b", 1000 + i, 1, None))
        .collect();
    let mut files = BTreeMap::new();
    files.insert("sqs/orders/_queue.json".to_string(), STD_QUEUE.into());
    files.insert("sqs/orders/messages.jsonl".to_string(), lines.into_bytes());
    canonical(&tmp.path().join("dump"), &files, None);
    let child = bin()
        .current_dir(tmp.path())
        .args(["encode", "-i", "dump", "-o", "r.fsm"])
        .env(ENTRY_DELAY_ENV, "3000")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !fs::read_dir(tmp.path()).unwrap().any(|e| {
        e.unwrap()
            .file_name()
            .to_string_lossy()
            .starts_with(".sqsdump-encode-")
    }) {
        assert!(std::time::Instant::now() < deadline, "no staging directory");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    fs::write(tmp.path().join("r.fsm.encode_info.json"), b"theirs").unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error[unsafe_output]: unsafe output r.fsm: its ENCODE_INFO sidecar r.fsm.encode_info.json already exists\n"
    );
    assert_eq!(names(tmp.path()), ["dump", "r.fsm.encode_info.json"]);
    assert_eq!(
        fs::read(tmp.path().join("r.fsm.encode_info.json")).unwrap(),
        b"theirs"
    );
}
