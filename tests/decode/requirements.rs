//! Checks of requirements whose other checks verify a neighbouring layer:
//! the side-record order in the written file (not in the resolver), the
//! allocation bound of a length prefix (not only the absence of a panic),
//! and the binary multiples of `--memory-limit`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use sqsdump::cli::decode::parse_size;
use sqsdump::decode::{Options, SqsDecoder};
use sqsdump::fsm::{encode_header, encode_key, encode_raw_entry, encode_value, Entry, Reader};

fn corpus_case(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("conformance")
        .join(name)
}

fn decode(engine: &str, input: &Path, output: &Path, flags: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sqsdump"))
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .args(["decode", "--engine", engine, "--input"])
        .arg(input)
        .arg("--output")
        .arg(output)
        .args(flags)
        .output()
        .unwrap()
}

/// The entries of a snapshot, re-framed in reverse stream order.
fn reversed(fsm: &[u8]) -> Vec<u8> {
    let mut reader = Reader::new(fsm).unwrap();
    let mut entries = Vec::new();
    while let Some(e) = reader.next_entry().unwrap() {
        let Entry::Version(v) = e else {
            panic!("the case holds only MVCC versions");
        };
        let flags = u8::from(v.tombstone);
        entries.push((
            encode_key(&v.user_key, v.commit_ts),
            encode_value(flags, v.expire_at, &v.body),
        ));
    }
    assert!(
        entries.len() > 2,
        "the case holds {} entries",
        entries.len()
    );
    let mut out = encode_header(reader.last_commit_ts());
    for (k, v) in entries.iter().rev() {
        encode_raw_entry(&mut out, k, v);
    }
    out
}

// REQ-DEC-14: the lines of `side_records.jsonl` itself are in user-key
// order when the stream is not, with both engines; a dedup record with an
// empty id comes before the record whose key extends it.
#[test]
fn side_records_jsonl_is_in_user_key_order_from_a_reversed_stream() {
    let case = corpus_case("REQ-DEC-14-side-record-order");
    let fsm = reversed(&fs::read(case.join("input.fsm")).unwrap());
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("input.fsm");
    fs::write(&input, &fsm).unwrap();
    let rel = "sqs/ord.fifo/_internals/side_records.jsonl";
    let expected = fs::read_to_string(case.join("expected").join(rel)).unwrap();
    for engine in ["plain", "stream"] {
        let out = tmp.path().join(engine);
        let o = decode(engine, &input, &out, &["--include-sqs-side-records"]);
        assert!(
            o.status.success(),
            "{engine}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let written = fs::read_to_string(out.join(rel)).unwrap();
        assert_eq!(written, expected, "{engine}");
        let keys: Vec<Vec<u8>> = written
            .lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                hex::decode(v["key_hex"].as_str().unwrap()).unwrap()
            })
            .collect();
        assert!(keys.len() >= 2, "{engine}: {keys:?}");
        assert!(
            keys.windows(2).all(|w| w[0] < w[1]),
            "{engine}: side records not in user-key order"
        );
        assert!(
            keys[1].starts_with(&keys[0]),
            "{engine}: the case's point is a key that extends another"
        );
    }
}

// REQ-ERR-2, REQ-FSM-4: a value length prefix at the limit (256 MiB + 43)
// followed by 20 bytes is `truncated`, with both engines, in an address
// space of 234 MiB, less than the prefix announces: the buffer is not
// allocated before its bytes arrive, so no length prefix can make the
// decoder allocate what the input does not hold. (At 100 MB the stream
// engine's threads sometimes failed to get mimalloc's 64 MiB segments,
// about 19 runs in 30, whatever the input.)
#[test]
fn a_length_prefix_at_the_limit_allocates_nothing_before_its_bytes_arrive() {
    let key = encode_key(b"k", 1);
    let mut fsm = encode_header(1);
    fsm.extend_from_slice(&(key.len() as u64).to_le_bytes());
    fsm.extend_from_slice(&key);
    fsm.extend_from_slice(&268_435_499u64.to_le_bytes());
    fsm.extend_from_slice(&[0u8; 20]);
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("input.fsm");
    fs::write(&input, &fsm).unwrap();
    for engine in ["plain", "stream"] {
        let out = tmp.path().join(engine);
        let script = format!(
            "ulimit -v 240000 && exec \"$0\" decode --engine {engine} --input \"$1\" --output \"$2\""
        );
        let o = Command::new("sh")
            .args(["-c", &script, env!("CARGO_BIN_EXE_sqsdump")])
            .arg(&input)
            .arg(&out)
            .env("SOURCE_DATE_EPOCH", "1700000000")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{engine}: {stderr}");
        assert!(stderr.contains("error[truncated]: "), "{engine}: {stderr}");
        assert!(!out.exists(), "{engine}: output left behind");
    }
}

// REQ-ENG-4: K, M and G are 1024, 1024² and 1024³, with or without `iB`;
// other units, values below 128 MiB and overflows are refused.
#[test]
fn memory_limit_suffixes_are_binary_multiples() {
    let mib128 = 128 * 1024 * 1024;
    for text in [
        "134217728",
        "134217728B",
        "131072K",
        "131072k",
        "131072KiB",
        "128M",
        "128MiB",
    ] {
        assert_eq!(parse_size(text), Ok(mib128), "{text}");
    }
    assert_eq!(parse_size("1G"), Ok(1 << 30));
    assert_eq!(parse_size("2GiB"), Ok(2 << 30));
    assert_eq!(parse_size("200000K"), Ok(200_000 * 1024));
    for text in [
        "127M",
        "134217727",
        "128MB",
        "128m",
        "128 X",
        "-1G",
        "99999999999999G",
    ] {
        assert!(parse_size(text).is_err(), "{text} was accepted");
    }
}

// REQ-KEY-9: an empty queue segment is malformed_sqs_key in every family,
// the meta and gen keys (where upstream accepts it) included; side-record
// families are parsed with side records on.
#[test]
fn an_empty_queue_segment_is_malformed_in_every_family() {
    let trailer = [0u8, 0, 0, 0, 0, 0, 0, 1];
    let partitioned = [0u8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    let mut keys: Vec<Vec<u8>> = vec![
        b"!sqs|queue|meta|".to_vec(),
        b"!sqs|queue|gen|".to_vec(),
        b"!sqs|queue|seq|".to_vec(),
    ];
    for family in [
        "queue|tombstone",
        "msg|vis",
        "msg|byage",
        "msg|dedup",
        "msg|group",
    ] {
        let mut legacy = format!("!sqs|{family}|").into_bytes();
        legacy.extend_from_slice(&trailer);
        keys.push(legacy);
        if family != "queue|tombstone" {
            let mut p = format!("!sqs|{family}|p||").into_bytes();
            p.extend_from_slice(&partitioned);
            keys.push(p);
        }
    }
    let mut data = b"!sqs|msg|data|".to_vec();
    data.extend_from_slice(&trailer);
    data.extend_from_slice(b"bTE");
    keys.push(data);
    let mut data = b"!sqs|msg|data|p||".to_vec();
    data.extend_from_slice(&partitioned);
    data.extend_from_slice(b"bTE");
    keys.push(data);
    let opts = Options {
        include_side_records: true,
        ..Options::default()
    };
    for key in keys {
        let mut d = SqsDecoder::new(opts);
        let err = d
            .push(&key, b"1")
            .and_then(|()| d.finish().map(|_| ()))
            .unwrap_err();
        assert_eq!(
            err.class(),
            "malformed_sqs_key",
            "{}: {err}",
            key.escape_ascii()
        );
    }
}
