//! Large records at the default `--memory-limit` (256 MiB): decode and
//! encode refuse a record or line too large for the budget before holding
//! it, naming the key or the file and line, and stay within the limit on
//! the largest records they accept. Peak RSS is measured with GNU time
//! (`/usr/bin/time -v`); inputs are written on the fly into a temporary
//! directory (sparse where the bytes do not matter).

use crate::common;

use std::fs::{self, File};
use std::io::{Seek, SeekFrom, Write};
use std::path::Path;
use std::process::Command;

use common::{data_key, meta_key, meta_value, msg_value};
use sha2::{Digest, Sha256};
use sqsdump::fsm::{
    encode_entry, encode_header, Entry, Reader, RecordBudget, MAX_VALUE_LEN, VALUE_HEADER_LEN,
};

const MIB: u64 = 1 << 20;
/// The default `--memory-limit`; every run below must peak under it.
const LIMIT_KB: u64 = 256 * 1024;
/// What the limit allows on top (none: the runs stay under the limit
/// itself).
const OVERHEAD_KB: u64 = 0;

/// Run the binary under GNU time; (exit code, stderr, peak RSS in KiB).
fn run_timed(args: &[&str]) -> (i32, String, u64) {
    assert!(
        Path::new("/usr/bin/time").exists(),
        "these tests need GNU time at /usr/bin/time (apt-get install time)"
    );
    let out = Command::new("/usr/bin/time")
        .arg("-v")
        .arg(env!("CARGO_BIN_EXE_sqsdump"))
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let kb = stderr
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("Maximum resident set size (kbytes): ")
        })
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or_else(|| panic!("no peak RSS in {stderr}"));
    (out.status.code().unwrap_or(-1), stderr, kb)
}

fn assert_within_limit(kb: u64, what: &str) {
    eprintln!("{what}: peak RSS {kb} KiB");
    assert!(
        kb < LIMIT_KB + OVERHEAD_KB,
        "{what}: peak RSS {kb} KiB, limit {LIMIT_KB} KiB + {OVERHEAD_KB} KiB"
    );
}

/// A `.fsm` with one queue `big` and one message version whose value is
/// `value_len` bytes of zeros (a sparse hole): the reader must refuse or
/// skip it by its length alone.
fn sparse_fsm(path: &Path, value_len: u64) {
    let mut head = encode_header(100);
    encode_entry(
        &mut head,
        &meta_key("big"),
        1,
        false,
        0,
        &meta_value(r#"{"name":"big","maximum_message_size":262144}"#),
    );
    let key = data_key("big", None, 1, "m1");
    let mut ekey = key.clone();
    ekey.extend_from_slice(&(!5u64).to_be_bytes());
    head.extend_from_slice(&(ekey.len() as u64).to_le_bytes());
    head.extend_from_slice(&ekey);
    head.extend_from_slice(&value_len.to_le_bytes());
    head.extend_from_slice(&[0u8; VALUE_HEADER_LEN]);
    let mut f = File::create(path).unwrap();
    f.write_all(&head).unwrap();
    let end = head.len() as u64 + value_len - VALUE_HEADER_LEN as u64;
    f.set_len(end).unwrap();
}

const MANIFEST: &str = r#"{
  "format_version": 1,
  "phase": "phase0-snapshot-decode",
  "last_commit_ts": 100,
  "wall_time_iso": "2026-01-01T00:00:00.000Z",
  "source": {"fsm_path": "in.fsm", "fsm_size_bytes": 0},
  "adapters": {"sqs": {"queues": ["big"]}},
  "exclusions": {
    "include_incomplete_uploads": false,
    "include_orphans": false,
    "preserve_sqs_visibility": false,
    "include_sqs_side_records": false
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

fn sha256_file(path: &Path) -> String {
    let mut h = Sha256::new();
    let mut f = File::open(path).unwrap();
    std::io::copy(&mut f, &mut h).unwrap();
    hex::encode(h.finalize())
}

/// A dump with queue `big` (`maximum_message_size` 262144) whose
/// `messages.jsonl` is written by `lines`.
fn dump(dir: &Path, lines: impl FnOnce(&mut File)) {
    let q = dir.join("sqs/big");
    fs::create_dir_all(&q).unwrap();
    fs::write(
        q.join("_queue.json"),
        "{\n  \"format_version\": 1,\n  \"name\": \"big\",\n  \"visibility_timeout_seconds\": 30,\n  \"message_retention_seconds\": 345600,\n  \"delay_seconds\": 0,\n  \"maximum_message_size\": 262144\n}",
    )
    .unwrap();
    let mut f = File::create(q.join("messages.jsonl")).unwrap();
    lines(&mut f);
    drop(f);
    fs::write(dir.join("MANIFEST.json"), MANIFEST).unwrap();
    let mut sums = String::new();
    for rel in [
        "MANIFEST.json",
        "sqs/big/_queue.json",
        "sqs/big/messages.jsonl",
    ] {
        sums.push_str(&format!("{}  {rel}\n", sha256_file(&dir.join(rel))));
    }
    fs::write(dir.join("CHECKSUMS"), sums).unwrap();
}

/// One message line whose body is `n` copies of `unit` (a JSON string
/// fragment), streamed in 1 MiB pieces.
fn write_line(f: &mut File, id: &str, unit: &str, n: usize) {
    write!(f, r#"{{"message_id":"{id}","body":""#).unwrap();
    let piece = unit.repeat((MIB as usize) / unit.len());
    let per = piece.len() / unit.len();
    let mut left = n;
    while left > 0 {
        let k = left.min(per);
        f.write_all(&piece.as_bytes()[..k * unit.len()]).unwrap();
        left -= k;
    }
    f.write_all(
        br#"","md5_of_body":"","send_timestamp_millis":1,"available_at_millis":1,"visible_at_millis":0,"receive_count":0,"queue_generation":1}
"#,
    )
    .unwrap();
}

// REQ-ENG-6: a record of the largest size the format allows is refused by
// both engines at the default limit, naming its key, the limit and how to
// raise it, before its value is held.
#[test]
fn decode_refuses_a_record_over_its_budget_within_the_limit() {
    let tmp = tempfile::tempdir().unwrap();
    let fsm = tmp.path().join("big.fsm");
    sparse_fsm(&fsm, MAX_VALUE_LEN);
    for engine in ["stream", "plain"] {
        let out = tmp.path().join(format!("out-{engine}"));
        let (code, stderr, kb) = run_timed(&[
            "decode",
            "--engine",
            engine,
            "--input",
            fsm.to_str().unwrap(),
            "--output",
            out.to_str().unwrap(),
        ]);
        assert_eq!(code, 1, "{stderr}");
        assert!(
            stderr.contains(&format!(
                "error[entry_too_large]: value of key \"!sqs|msg|data|Ymln\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x01bTE\" is {MAX_VALUE_LEN} bytes, more than the 5242880 bytes one record may have at --memory-limit 256MiB; raise --memory-limit to at least 8289MiB"
            )),
            "{engine}: {stderr}"
        );
        assert!(!out.exists());
        assert_within_limit(kb, engine);
    }
}

// REQ-ENG-6: a 1 GiB garbage record (a value length over the format's
// limit, then 1 GiB of zeros) is refused before anything is allocated.
#[test]
fn decode_refuses_a_1_gib_garbage_record_within_the_limit() {
    let tmp = tempfile::tempdir().unwrap();
    let fsm = tmp.path().join("garbage.fsm");
    sparse_fsm(&fsm, 1 << 30);
    for engine in ["stream", "plain"] {
        let out = tmp.path().join(format!("out-{engine}"));
        let (code, stderr, kb) = run_timed(&[
            "decode",
            "--engine",
            engine,
            "--input",
            fsm.to_str().unwrap(),
            "--output",
            out.to_str().unwrap(),
        ]);
        assert_eq!(code, 1, "{stderr}");
        assert!(stderr.contains("error[value_too_large]"), "{stderr}");
        assert_within_limit(kb, engine);
    }
}

// REQ-ENG-6: the largest records the default budget admits, with bodies
// of control bytes (six output bytes per body byte, the worst case), decode
// within the limit: records that fill the line buffers, the channels and
// the merge one at a time.
#[test]
fn records_within_the_budget_decode_within_the_limit() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    // 3.7 MB of body: a 4.93 MB value, under the 5 MiB budget.
    let n = 3_700_000;
    dump(&src, |f| {
        for i in 0..5 {
            write_line(f, &format!("m{i:02}"), "\\u0001", n);
        }
    });
    let fsm = tmp.path().join("big.fsm");
    // Encoding such lines needs a larger limit (REQ-ENC-20).
    let (code, stderr, _) = run_timed(&[
        "encode",
        "--memory-limit",
        "1GiB",
        "--input",
        src.to_str().unwrap(),
        "--output",
        fsm.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let out = tmp.path().join("out");
    let (code, stderr, kb) = run_timed(&[
        "decode",
        "--input",
        fsm.to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let lines = fs::read(out.join("sqs/big/messages.jsonl")).unwrap();
    assert_eq!(lines.iter().filter(|&&b| b == b'\n').count(), 5);
    assert!(lines.len() > 5 * 6 * n, "{}", lines.len());
    assert_within_limit(kb, "decode");
}

// REQ-ENC-20: a 300 MB message line is refused at its file and line,
// naming the limit and how to raise it, without being held.
#[test]
fn encode_refuses_a_300_mb_line_by_file_and_line_within_the_limit() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    dump(&src, |f| {
        write_line(f, "small", "a", 10);
        write_line(f, "huge", "a", 300_000_000);
    });
    let fsm = tmp.path().join("out.fsm");
    let (code, stderr, kb) = run_timed(&[
        "encode",
        "--input",
        src.to_str().unwrap(),
        "--output",
        fsm.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains(
            "error[entry_too_large]: sqs/big/messages.jsonl:2: message line of 300000160 bytes is longer than the 11534336 bytes one line may have at --memory-limit 256MiB; raise --memory-limit to at least 4658MiB"
        ),
        "{stderr}"
    );
    assert!(!fsm.exists());
    assert_within_limit(kb, "encode");
}

// REQ-ENC-20: a 1 GiB line of garbage (zero bytes, no newline until its
// end) is refused at line 1 within the limit.
#[test]
fn encode_refuses_a_1_gib_garbage_line_within_the_limit() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    dump(&src, |f| {
        f.set_len(1 << 30).unwrap();
        f.seek(SeekFrom::End(0)).unwrap();
        f.write_all(b"\n").unwrap();
    });
    let fsm = tmp.path().join("out.fsm");
    let (code, stderr, kb) = run_timed(&[
        "encode",
        "--input",
        src.to_str().unwrap(),
        "--output",
        fsm.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains(
            "error[entry_too_large]: sqs/big/messages.jsonl:1: message line of 1073741825 bytes is longer than the 11534336 bytes one line may have"
        ),
        "{stderr}"
    );
    assert_within_limit(kb, "encode");
}

// REQ-ENC-20: lines just under the default line limit encode within the
// limit, spilled and merged a few runs at a time; REQ-ENC-21: their
// bodies, over the queue's maximum_message_size, are restored with one
// warning for the queue.
#[test]
fn lines_within_the_budget_encode_within_the_limit() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    let n = 11_000_000;
    dump(&src, |f| {
        for i in 0..12 {
            write_line(f, &format!("m{i:02}"), "a", n);
        }
    });
    let fsm = tmp.path().join("out.fsm");
    let (code, stderr, kb) = run_timed(&[
        "encode",
        "--input",
        src.to_str().unwrap(),
        "--output",
        fsm.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains(r#"{"event":"sqs_message_exceeds_maximum_size","queue":"big","messages":12,"message_id":"m00","body_bytes":11000000,"maximum_message_size":262144,"#),
        "{stderr}"
    );
    assert!(fs::metadata(&fsm).unwrap().len() > 12 * n as u64);
    assert_within_limit(kb, "encode");
}

// REQ-DEC-15: both engines warn once per queue about bodies over its
// maximum_message_size, naming the first such message; the warning is
// counted by kind, capped by --max-warnings and written by --warnings.
#[test]
fn bodies_over_the_maximum_message_size_are_warned_by_both_engines() {
    let tmp = tempfile::tempdir().unwrap();
    let mut fsm = encode_header(100);
    let body = |n: usize| common::std_b64(&vec![b'x'; n]);
    let msg = |id: &str, n: usize, ts: i64| {
        msg_value(&format!(
            r#"{{"message_id":"{id}","body":"{}","send_timestamp_millis":{ts},"queue_generation":1}}"#,
            body(n)
        ))
    };
    let mut records = vec![
        (
            meta_key("q"),
            meta_value(r#"{"name":"q","maximum_message_size":1024}"#),
        ),
        (data_key("q", None, 1, "a-over"), msg("a-over", 2000, 3)),
        (data_key("q", None, 1, "b-fits"), msg("b-fits", 1024, 1)),
        (data_key("q", None, 1, "c-over"), msg("c-over", 1025, 2)),
        (meta_key("r"), meta_value(r#"{"name":"r"}"#)),
        (data_key("r", None, 1, "d"), msg("d", 5000, 1)),
    ];
    records.sort();
    for (k, v) in &records {
        encode_entry(&mut fsm, k, 1, false, 0, v);
    }
    let input = tmp.path().join("in.fsm");
    fs::write(&input, &fsm).unwrap();
    let want = r#"{"event":"sqs_message_exceeds_maximum_size","queue":"q","messages":2,"message_id":"c-over","body_bytes":1025,"maximum_message_size":1024,"hint":"kept as they are: the queue's maximum_message_size was probably lowered after they were sent; SendMessage would refuse such a body"}"#;
    let mut files = Vec::new();
    for engine in ["stream", "plain"] {
        let out = tmp.path().join(format!("out-{engine}"));
        let warn = tmp.path().join(format!("w-{engine}.jsonl"));
        let o = Command::new(env!("CARGO_BIN_EXE_sqsdump"))
            .args(["decode", "--engine", engine, "--max-warnings", "0"])
            .arg("--input")
            .arg(&input)
            .arg("--output")
            .arg(&out)
            .arg("--warnings")
            .arg(&warn)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(o.status.success(), "{stderr}");
        assert!(
            !stderr.contains("\"event\":\"sqs_message_exceeds"),
            "{stderr}"
        );
        assert!(
            stderr.contains("sqs_message_exceeds_maximum_size 1"),
            "{stderr}"
        );
        let written = fs::read_to_string(&warn).unwrap();
        assert_eq!(written, format!("{want}\n"), "{engine}");
        files.push(fs::read(out.join("sqs/q/messages.jsonl")).unwrap());
    }
    assert_eq!(files[0], files[1]);
}

// REQ-ENC-21: encode restores a body over its queue's
// maximum_message_size unchanged and says so on stderr, once per queue.
#[test]
fn encode_restores_oversize_bodies_with_one_warning_per_queue() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    dump(&src, |f| {
        write_line(f, "fits", "a", 262_144);
        write_line(f, "over", "a", 262_145);
    });
    let fsm = tmp.path().join("out.fsm");
    let o = Command::new(env!("CARGO_BIN_EXE_sqsdump"))
        .arg("encode")
        .arg("--input")
        .arg(&src)
        .arg("--output")
        .arg(&fsm)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{stderr}");
    let warnings: Vec<&str> = stderr.lines().filter(|l| l.starts_with('{')).collect();
    assert_eq!(
        warnings,
        [
            r#"{"event":"sqs_message_exceeds_maximum_size","queue":"big","messages":1,"message_id":"over","body_bytes":262145,"maximum_message_size":262144,"hint":"kept as they are: the queue's maximum_message_size was probably lowered after they were sent; SendMessage would refuse such a body"}"#
        ],
        "{stderr}"
    );
    let out = tmp.path().join("back");
    let o = Command::new(env!("CARGO_BIN_EXE_sqsdump"))
        .arg("decode")
        .arg("--input")
        .arg(&fsm)
        .arg("--output")
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success());
    let back = fs::read_to_string(out.join("sqs/big/messages.jsonl")).unwrap();
    assert!(back.contains(&"a".repeat(262_145)));
}

// REQ-ENG-6: with a record budget the reader refuses a value over it only
// for a version that could be kept (an SQS key, live, not expired, not
// newer than the header), after reading it through; other long values
// come through with an empty body; a truncated one is still a truncation.
#[test]
fn the_reader_refuses_only_versions_that_could_be_kept() {
    let budget = RecordBudget {
        max_value: 100,
        memory_limit: 128 << 20,
    };
    let big = vec![b'v'; 200];
    let read = |key: &[u8], ts: u64, tombstone: bool, expire: u64| {
        let mut fsm = encode_header(50);
        encode_entry(&mut fsm, key, ts, tombstone, expire, &big);
        let mut r = Reader::new(fsm.as_slice())
            .unwrap()
            .with_record_budget(budget);
        r.next_entry().map(|e| match e {
            Some(Entry::Version(v)) => v.body.len(),
            other => panic!("{other:?}"),
        })
    };
    let sqs = data_key("q", None, 1, "m");
    let err = read(&sqs, 10, false, 0).unwrap_err();
    assert_eq!(err.class(), "entry_too_large");
    assert!(
        err.to_string().starts_with(&format!(
            "value of key \"!sqs|msg|data|cQ\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x01bQ\" is {} bytes, more than the 100 bytes one record may have at --memory-limit 128MiB; raise --memory-limit to at least 128MiB",
            200 + VALUE_HEADER_LEN
        )),
        "{err}"
    );
    // Not kept: a tombstone, an expired version, one after the header,
    // another keyspace.
    assert_eq!(read(&sqs, 10, true, 0).unwrap(), 0);
    assert_eq!(read(&sqs, 10, false, 40).unwrap(), 0);
    assert_eq!(read(&sqs, 60, false, 0).unwrap(), 0);
    assert_eq!(read(b"other|key", 10, false, 0).unwrap(), 0);
    // Within the budget it is read whole.
    let mut fsm = encode_header(50);
    encode_entry(&mut fsm, &sqs, 10, false, 0, &big[..90]);
    let mut r = Reader::new(fsm.as_slice())
        .unwrap()
        .with_record_budget(budget);
    match r.next_entry().unwrap() {
        Some(Entry::Version(v)) => assert_eq!(v.body, &big[..90]),
        other => panic!("{other:?}"),
    }
    // Truncated over the budget: a truncation, as without one.
    let mut fsm = encode_header(50);
    encode_entry(&mut fsm, &sqs, 10, false, 0, &big);
    fsm.truncate(fsm.len() - 1);
    let mut r = Reader::new(fsm.as_slice())
        .unwrap()
        .with_record_budget(budget);
    assert_eq!(r.next_entry().unwrap_err().class(), "truncated");
}

// REQ-ENC-20: `--self-test` decodes at the same limit, so a restored value
// over decode's budget (REQ-ENG-6) fails it, naming the flag; nothing is
// left at the output.
#[test]
fn a_self_test_at_the_same_limit_refuses_a_value_decode_would_refuse() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    dump(&src, |f| write_line(f, "m", "a", 6_000_000));
    let fsm = tmp.path().join("out.fsm");
    let o = Command::new(env!("CARGO_BIN_EXE_sqsdump"))
        .args(["encode", "--self-test", "--input"])
        .arg(&src)
        .arg("--output")
        .arg(&fsm)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("error[self_test_mismatch]")
            && stderr.contains("error[entry_too_large]: value of key")
            && stderr.contains("raise --memory-limit to at least"),
        "{stderr}"
    );
    assert!(!fsm.exists());
}
