//! Helpers shared by the test binaries: records built from literal JSON
//! (so a reader can check them against SPEC.md), decoding them, the
//! invariants of every dump model, and the files of a tree; `run` starts
//! and stops the binary, `gate` runs `sqsdump conform`, `sample` builds
//! the bundled sample.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::path::Path;

use arbitrary::{Arbitrary, Unstructured};
use proptest::collection::vec;
use proptest::prelude::{any, Strategy};

use sqsdump::decode::{Options, SqsDecoder};
use sqsdump::dump::DumpModel;
use sqsdump::key::{build, KeyParts};
use sqsdump::testkit::seeded::{write_snapshot, GenOptions};
use sqsdump::testkit::snapshot::Profile;
use sqsdump::value::{MESSAGE_MAGIC, QUEUE_META_MAGIC};

pub mod gate;
pub mod run;
pub mod sample;
use sqsdump::Error;

pub fn meta_value(json: &str) -> Vec<u8> {
    let mut v = QUEUE_META_MAGIC.to_vec();
    v.extend_from_slice(json.as_bytes());
    v
}

pub fn msg_value(json: &str) -> Vec<u8> {
    let mut v = MESSAGE_MAGIC.to_vec();
    v.extend_from_slice(json.as_bytes());
    v
}

pub fn meta_key(queue: &str) -> Vec<u8> {
    build(&KeyParts::QueueMeta {
        queue: queue.as_bytes().to_vec(),
    })
}

pub fn gen_key(queue: &str) -> Vec<u8> {
    build(&KeyParts::QueueGen {
        queue: queue.as_bytes().to_vec(),
    })
}

pub fn data_key(queue: &str, partition: Option<u32>, gen: u64, id: &str) -> Vec<u8> {
    build(&KeyParts::MsgData {
        queue: queue.as_bytes().to_vec(),
        partition,
        gen,
        message_id: id.as_bytes().to_vec(),
    })
}

/// A message value with the common fields; `extra` is spliced in verbatim
/// (e.g. `,"sequence_number":3`).
pub fn message(id: &str, body_b64: &str, ts: i64, gen: u64, extra: &str) -> Vec<u8> {
    msg_value(&format!(
        r#"{{"message_id":"{id}","body":"{body_b64}","send_timestamp_millis":{ts},"available_at_millis":{ts},"visible_at_millis":{vis},"receive_count":2,"first_receive_millis":{fr},"current_receipt_token":"cmVjZWlwdA==","queue_generation":{gen}{extra}}}"#,
        vis = ts + 30_000,
        fr = ts + 5,
    ))
}

/// Standard base64 of `s`, as Go writes a `[]byte`.
pub fn std_b64(s: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(s)
}

/// Decode records given as (key, value) in the order given.
pub fn decode(opts: Options, records: &[(Vec<u8>, Vec<u8>)]) -> Result<DumpModel, Error> {
    let mut d = SqsDecoder::new(opts);
    for (k, v) in records {
        d.push(k, v)?;
    }
    d.finish()
}

/// Decode records after sorting them by key, the order a snapshot
/// delivers them in.
pub fn decode_sorted(opts: Options, records: &[(Vec<u8>, Vec<u8>)]) -> Result<DumpModel, Error> {
    let mut sorted = records.to_vec();
    sorted.sort();
    decode(opts, &sorted)
}

pub fn file<'a>(model: &'a DumpModel, path: &str) -> &'a str {
    let bytes = model
        .files
        .get(path)
        .unwrap_or_else(|| panic!("no {path} in {:?}", model.files.keys().collect::<Vec<_>>()));
    std::str::from_utf8(bytes).unwrap()
}

/// Structural invariants every dump model must satisfy (REQ-OUT-1,
/// REQ-OUT-9, REQ-DEC-7), checked beside every golden file.
pub fn check_invariants(model: &DumpModel) {
    for (path, bytes) in &model.files {
        let text = std::str::from_utf8(bytes).unwrap_or_else(|e| panic!("{path}: not UTF-8: {e}"));
        let parts: Vec<&str> = path.split('/').collect();
        assert!(
            parts
                .iter()
                .all(|p| !p.is_empty() && *p != "." && *p != ".."),
            "unsafe path {path}"
        );
        match parts.as_slice() {
            ["sqs", _, "_queue.json"] => {
                assert!(!text.ends_with('\n'), "{path} ends with a newline");
                let v: serde_json::Value = serde_json::from_str(text).unwrap();
                assert_eq!(v["format_version"], 1, "{path}");
                assert!(v["name"].is_string(), "{path}");
            }
            ["sqs", _, "messages.jsonl"] => {
                assert!(text.ends_with('\n') && !text.is_empty(), "{path}");
                let mut last: Option<(i64, u64, Vec<u8>)> = None;
                for line in text.lines() {
                    let v: serde_json::Value = serde_json::from_str(line).unwrap();
                    let k = (
                        v["send_timestamp_millis"].as_i64().unwrap(),
                        v["sequence_number"].as_u64().unwrap_or(0),
                        v["message_id"].as_str().unwrap().as_bytes().to_vec(),
                    );
                    if let Some(prev) = &last {
                        assert!(prev <= &k, "{path}: lines out of order");
                    }
                    last = Some(k);
                    let body = &v["body"];
                    assert!(
                        body.is_string()
                            || (body.as_object().map(|o| o.len()) == Some(1)
                                && body["base64"].is_string()),
                        "{path}: bad body {body}"
                    );
                }
                let dir = format!("sqs/{}/_queue.json", parts[1]);
                assert!(model.files.contains_key(&dir), "{path} without {dir}");
            }
            ["sqs", _, "_internals", "side_records.jsonl"] => {
                for line in text.lines() {
                    let v: serde_json::Value = serde_json::from_str(line).unwrap();
                    let o = v.as_object().unwrap();
                    assert_eq!(o.len(), 3, "{path}");
                    assert!(v["prefix"].as_str().unwrap().starts_with("!sqs|"));
                }
            }
            ["MANIFEST.json"] | ["CHECKSUMS"] => {}
            other => panic!("unexpected path {other:?}"),
        }
    }
}

/// A model of type `T` read from up to `max` random bytes.
pub fn model<T: for<'a> Arbitrary<'a> + Debug>(max: usize) -> impl Strategy<Value = T> {
    vec(any::<u8>(), 0..max)
        .prop_filter_map("model", |b| T::arbitrary(&mut Unstructured::new(&b)).ok())
}

/// The snapshot `sqsdump gen` writes for `opts`.
pub fn gen_bytes(opts: GenOptions) -> Vec<u8> {
    let mut out = Vec::new();
    write_snapshot(opts, &mut out).expect("generate");
    out
}

/// The options of a `valid` snapshot of `queues` queues and `messages`
/// messages.
pub fn valid(seed: u64, queues: usize, messages: u64) -> GenOptions {
    GenOptions {
        seed,
        profile: Profile::Valid,
        queues,
        messages,
    }
}

/// Everything below `root`, sorted: relative path → bytes, or `None` for
/// a directory. Anything else (a symlink, a device) fails the test.
pub fn tree(root: &Path) -> Vec<(String, Option<Vec<u8>>)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            let rel = p.strip_prefix(root).unwrap().to_str().unwrap().to_string();
            let meta = std::fs::symlink_metadata(&p).unwrap();
            if meta.is_dir() {
                stack.push(p);
                out.push((rel, None));
            } else {
                assert!(meta.is_file(), "{rel}");
                out.push((rel, Some(std::fs::read(&p).unwrap())));
            }
        }
    }
    out.sort();
    out
}

/// Every file under `root`, relative path → bytes.
pub fn files(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    out
}
