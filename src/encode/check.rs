//! Round-trip checks of `encode` against `decode`, shared by the property
//! tests and the `encode` fuzz target (REQ-ENC-13). Built with the
//! `testkit` feature.
//!
//! - [`source_of`] turns the `sqs/` files of a decoded dump into a dump
//!   tree with a minimal `MANIFEST.json` and a `CHECKSUMS`.
//! - [`normalised`] applies the documented normalisation of a round trip.
//! - [`round_trip`] checks both round-trip properties on one dump.

use std::collections::BTreeMap;

use arbitrary::{Arbitrary, Unstructured};
use sha2::{Digest, Sha256};

use super::tree::{MemSource, CHECKSUMS, MANIFEST};
use super::{encode_to_vec, EncodeOptions, EncodeSummary};
use crate::decode::Options;
use crate::testkit::snapshot::ValidSnapshot;

/// A dump tree holding `sqs_files` (paths under `sqs/`), a minimal
/// `MANIFEST.json` with `last_commit_ts` and the queue names, and a
/// matching `CHECKSUMS`.
pub fn source_of(sqs_files: &BTreeMap<String, Vec<u8>>, last_commit_ts: u64) -> MemSource {
    let mut files: BTreeMap<String, Vec<u8>> = sqs_files
        .iter()
        .filter(|(p, _)| p.starts_with("sqs/"))
        .map(|(p, b)| (p.clone(), b.clone()))
        .collect();
    let mut queues: Vec<String> = Vec::new();
    for (path, bytes) in &files {
        if path.ends_with("/_queue.json") {
            if let Ok(q) = serde_json::from_slice::<serde_json::Value>(bytes) {
                if let Some(n) = q.get("name").and_then(|n| n.as_str()) {
                    queues.push(n.to_string());
                }
            }
        }
    }
    queues.sort();
    let manifest = serde_json::json!({
        "format_version": 1,
        "phase": "phase0-snapshot-decode",
        "last_commit_ts": last_commit_ts,
        "adapters": {"sqs": {"queues": queues}},
        "exclusions": {
            "preserve_sqs_visibility": false,
            "include_sqs_side_records": false,
        },
    });
    files.insert(
        MANIFEST.to_string(),
        serde_json::to_vec_pretty(&manifest).unwrap_or_default(),
    );
    files.insert(CHECKSUMS.to_string(), checksums(&files));
    MemSource {
        files,
        symlinks: Default::default(),
    }
}

/// `sha256sum` lines for every file but `CHECKSUMS`.
pub fn checksums(files: &BTreeMap<String, Vec<u8>>) -> Vec<u8> {
    let mut out = Vec::new();
    for (path, bytes) in files {
        if path != CHECKSUMS {
            out.extend_from_slice(hex::encode(Sha256::digest(bytes)).as_bytes());
            out.extend_from_slice(b"  ");
            out.extend_from_slice(path.as_bytes());
            out.push(b'\n');
        }
    }
    out
}

/// The `sqs/` files of a decode of `fsm` (without flags).
pub fn decode_sqs(fsm: &[u8]) -> Result<BTreeMap<String, Vec<u8>>, crate::Error> {
    let (model, _) = crate::snapshot::decode_snapshot(fsm, Options::default(), &mut |_| {})?;
    Ok(model
        .files
        .into_iter()
        .filter(|(p, _)| p.starts_with("sqs/"))
        .collect())
}

/// The round trip's normalisation of a dump's `sqs/` files (REQ-ENC-13):
/// every `queue_generation` becomes 1, and a `partition` of 0 on a queue
/// without partitions is dropped (its messages restore to classic keys);
/// each line as [`super::selftest::normalise_line`], which `--self-test`
/// uses too.
pub fn normalised(files: &BTreeMap<String, Vec<u8>>) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for (path, bytes) in files {
        if !path.ends_with("/messages.jsonl") {
            out.insert(path.clone(), bytes.clone());
            continue;
        }
        let partitioned = path
            .strip_suffix("messages.jsonl")
            .and_then(|dir| files.get(&format!("{dir}_queue.json")))
            .and_then(|q| serde_json::from_slice::<serde_json::Value>(q).ok())
            .and_then(|q| q.get("partition_count").and_then(|p| p.as_u64()))
            .is_some_and(|p| p > 1);
        let mut lines = Vec::new();
        for line in bytes.split_inclusive(|&b| b == b'\n') {
            lines.extend_from_slice(&super::selftest::normalise_line(line, partitioned));
        }
        out.insert(path.clone(), lines);
    }
    out
}

/// Check both round-trip properties on the dump `files` (its `sqs/`
/// files, as `decode` wrote them), and that the self-test's comparison
/// (REQ-ENC-19) finds no difference. `Ok(None)` when `encode` rejects the
/// dump (with a typed error); `Err` describes a violated property.
pub fn round_trip(
    files: &BTreeMap<String, Vec<u8>>,
    last_commit_ts: u64,
) -> Result<Option<EncodeSummary>, String> {
    let src = source_of(files, last_commit_ts);
    let (fsm, summary) = match encode_to_vec(&src, &EncodeOptions::default()) {
        Ok(ok) => ok,
        Err(e) if !e.class().is_empty() => return Ok(None),
        Err(e) => return Err(format!("untyped error {e}")),
    };
    let decoded = decode_sqs(&fsm).map_err(|e| format!("decode(encode(D)) failed: {e}"))?;
    let want = normalised(files);
    if decoded != want {
        let diff = want
            .iter()
            .find(|(p, b)| decoded.get(*p) != Some(*b))
            .map(|(p, b)| {
                format!(
                    "{p}:\nwant {}\ngot  {}",
                    String::from_utf8_lossy(b),
                    String::from_utf8_lossy(decoded.get(p).map_or(&[][..], |v| v.as_slice()))
                )
            })
            .unwrap_or_else(|| format!("file sets differ: {:?}", decoded.keys()));
        return Err(format!("decode(encode(D)) != D: {diff}"));
    }
    // The self-test's comparison (REQ-ENC-19) agrees.
    let control = crate::run::Control::default();
    match super::selftest::compare(&src, &source_of(&decoded, last_commit_ts), &control) {
        Ok(None) => {}
        other => return Err(format!("the self-test comparison says {other:?}")),
    }
    let again = encode_to_vec(
        &source_of(&decoded, last_commit_ts),
        &EncodeOptions::default(),
    )
    .map_err(|e| format!("encode(decode(encode(D))) failed: {e}"))?;
    if again.0 != fsm {
        return Err("encode(decode(encode(D))) != encode(D)".to_string());
    }
    Ok(Some(summary))
}

/// The `encode` fuzz target's body: a restorable generated dump, possibly
/// damaged in one file, or an arbitrary tree; every outcome must be a
/// typed error or a round trip (REQ-ENC-13, REQ-ERR-2).
pub fn fuzz(data: &[u8]) -> bool {
    let mut u = Unstructured::new(data);
    let Ok(mode) = u8::arbitrary(&mut u) else {
        return false;
    };
    match mode % 3 {
        0 | 1 => {
            // `valid` models restore (REQ-CLI-10).
            let Ok(ValidSnapshot(model)) = ValidSnapshot::arbitrary(&mut u) else {
                return false;
            };
            let Ok(files) = decode_sqs(&model.to_fsm_bytes()) else {
                return false;
            };
            if mode % 3 == 0 {
                if let Err(e) = round_trip(&files, model.last_commit_ts) {
                    panic!("property violated: {e}\nmodel: {model:?}");
                }
                return true;
            }
            // Damage one file, keep CHECKSUMS matching or not.
            let mut src = source_of(&files, model.last_commit_ts);
            let paths: Vec<String> = src.files.keys().cloned().collect();
            if let (Ok(i), Ok(junk)) = (
                u.choose_index(paths.len().max(1)),
                Vec::<u8>::arbitrary(&mut u),
            ) {
                if let Some(file) = paths.get(i).and_then(|p| src.files.get_mut(p)) {
                    let at = junk.first().map_or(0, |&b| usize::from(b)) % (file.len() + 1);
                    file.splice(at..at, junk.iter().skip(1).copied());
                }
            }
            if bool::arbitrary(&mut u).unwrap_or(false) {
                let sums = checksums(&src.files);
                src.files.insert(CHECKSUMS.to_string(), sums);
            }
            check_any(&src)
        }
        _ => {
            const PATHS: [&str; 9] = [
                "MANIFEST.json",
                "CHECKSUMS",
                "sqs/q/_queue.json",
                "sqs/q/messages.jsonl",
                "sqs/q/_internals/side_records.jsonl",
                "sqs/r.fifo/_queue.json",
                "sqs/r.fifo/messages.jsonl",
                "sqs/q.orphan/x",
                "other",
            ];
            let mut src = MemSource::default();
            while let (Ok(i), Ok(bytes)) =
                (u.choose_index(PATHS.len()), Vec::<u8>::arbitrary(&mut u))
            {
                if let Some(p) = PATHS.get(i) {
                    src.files.insert((*p).to_string(), bytes);
                }
                if u.is_empty() {
                    break;
                }
            }
            let sums = checksums(&src.files);
            src.files.insert(CHECKSUMS.to_string(), sums);
            check_any(&src)
        }
    }
}

/// Any tree: a typed error, or an encode whose decode re-encodes to the
/// same bytes.
fn check_any(src: &MemSource) -> bool {
    match encode_to_vec(src, &EncodeOptions::default()) {
        Err(e) => {
            assert!(!e.class().is_empty());
            true
        }
        Ok((fsm, _)) => {
            let decoded = match decode_sqs(&fsm) {
                Ok(d) => d,
                Err(e) => panic!("property violated: encode output does not decode: {e}"),
            };
            let ts = crate::fsm::Reader::new(fsm.as_slice())
                .map(|r| r.last_commit_ts())
                .unwrap_or_default();
            match encode_to_vec(&source_of(&decoded, ts), &EncodeOptions::default()) {
                Ok((again, _)) if again == fsm => true,
                Ok(_) => panic!("property violated: encode(decode(encode(D))) != encode(D)"),
                Err(e) => panic!("property violated: re-encode failed: {e}"),
            }
        }
    }
}
