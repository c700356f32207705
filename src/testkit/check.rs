//! Checks of a decoded [`DumpModel`] against a model's [`Expected`]
//! output, and the structural rules every dump obeys. Properties and
//! fuzz targets share them, so a failure reads the same in both.
//!
//! Each check returns `Err(description)` on the first violation.
//!
//! Its reading of `_queue.json` and message lines (serde_json values and
//! its own [`MESSAGE_FIELDS`] order) is a deliberate independent copy of
//! [`crate::schema`], which the dump writer uses: generated dumps are
//! checked against what the model expects, not against the writer's own
//! declaration. The unit test
//! `schema::tests::the_testkit_checker_orders_message_fields_as_declared`
//! compares [`MESSAGE_FIELDS`] with the declaration.

use std::collections::{BTreeMap, BTreeSet};

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use serde_json::Value;

use super::snapshot::{Expected, ExpectedQueue, SideLine};
use crate::decode::Options;
use crate::dump::DumpModel;
use crate::warning::Warning;

type Check = Result<(), String>;

/// Top-level files the manifest step may add.
const TOP_FILES: [&str; 2] = ["MANIFEST.json", "CHECKSUMS"];

/// Field order of a `messages.jsonl` line (REQ-OUT-5).
pub const MESSAGE_FIELDS: [&str; 18] = [
    "message_id",
    "body",
    "md5_of_body",
    "md5_of_message_attributes",
    "message_attributes",
    "sender_id",
    "send_timestamp_millis",
    "available_at_millis",
    "visible_at_millis",
    "receive_count",
    "first_receive_millis",
    "current_receipt_token",
    "queue_generation",
    "message_group_id",
    "message_deduplication_id",
    "sequence_number",
    "dead_letter_source_arn",
    "partition",
];

/// Split `sqs/<dir>/<rest>` and check it is safe (REQ-OUT-3, REQ-OUT-8):
/// relative, under `sqs/`, no empty, `.` or `..` component, no
/// backslash or NUL, every component at most 255 bytes, and `<rest>` one
/// of the three file names.
pub fn split_path(path: &str) -> Result<Option<(&str, &str)>, String> {
    if TOP_FILES.contains(&path) {
        return Ok(None);
    }
    let rest = path
        .strip_prefix("sqs/")
        .ok_or_else(|| format!("path {path:?} is outside sqs/"))?;
    for comp in path.split('/') {
        if comp.is_empty() || comp == "." || comp == ".." || comp.len() > 255 {
            return Err(format!("path {path:?} has an unsafe component {comp:?}"));
        }
    }
    if path.contains('\\') || path.contains('\0') {
        return Err(format!("path {path:?} holds a backslash or NUL"));
    }
    let (dir, file) = rest
        .split_once('/')
        .ok_or_else(|| format!("path {path:?} has no queue directory"))?;
    if ![
        "_queue.json",
        "messages.jsonl",
        "_internals/side_records.jsonl",
    ]
    .contains(&file)
    {
        return Err(format!("path {path:?} names an unknown file"));
    }
    Ok(Some((dir, file)))
}

/// Every path is safe and every file is valid UTF-8 (REQ-OUT-8,
/// REQ-OUT-9).
pub fn check_paths(dump: &DumpModel) -> Check {
    for (path, bytes) in &dump.files {
        split_path(path)?;
        if std::str::from_utf8(bytes).is_err() {
            return Err(format!("{path} is not valid UTF-8"));
        }
    }
    Ok(())
}

/// Read a `body` back (REQ-OUT-6): a string is the UTF-8 body; an object
/// must have exactly the key `base64` holding unpadded base64url.
pub fn read_body(v: &Value) -> Result<Vec<u8>, String> {
    match v {
        Value::String(s) => Ok(s.clone().into_bytes()),
        Value::Object(m) if m.len() == 1 => match m.get("base64") {
            Some(Value::String(s)) => URL_SAFE_NO_PAD
                .decode(s)
                .map_err(|e| format!("body envelope does not decode: {e}")),
            _ => Err(format!("body envelope {v} is not {{\"base64\": string}}")),
        },
        _ => Err(format!("body {v} is neither a string nor an envelope")),
    }
}

fn lines(bytes: &[u8], path: &str) -> Result<Vec<serde_json::Map<String, Value>>, String> {
    let text = std::str::from_utf8(bytes).map_err(|_| format!("{path} is not UTF-8"))?;
    if text.is_empty() {
        return Err(format!("{path} is empty"));
    }
    if !text.ends_with('\n') {
        return Err(format!("{path} does not end with a newline"));
    }
    text.lines()
        .map(|l| match serde_json::from_str::<Value>(l) {
            Ok(Value::Object(m)) => Ok(m),
            Ok(v) => Err(format!("{path}: line {v} is not an object")),
            Err(e) => Err(format!("{path}: line {l:?} is not JSON: {e}")),
        })
        .collect()
}

fn field_order(m: &serde_json::Map<String, Value>, order: &[&str]) -> Check {
    let mut at = 0;
    for k in m.keys() {
        match order[at..].iter().position(|f| f == k) {
            Some(p) => at += p + 1,
            None => return Err(format!("field {k:?} unknown or out of order in {m:?}")),
        }
    }
    Ok(())
}

fn get_i64(m: &serde_json::Map<String, Value>, k: &str) -> Option<i64> {
    m.get(k).and_then(Value::as_i64)
}

fn get_u64(m: &serde_json::Map<String, Value>, k: &str) -> Option<u64> {
    m.get(k).and_then(Value::as_u64)
}

/// `messages.jsonl` of one queue against the expected kept messages:
/// a permutation of them, sorted by (send ts, sequence, id bytes), bodies
/// that read back, visibility zeroed unless preserved, partitions
/// (REQ-DEC-5, REQ-DEC-7, REQ-OUT-5, REQ-OUT-6).
pub fn check_messages(
    q: &ExpectedQueue,
    bytes: Option<&Vec<u8>>,
    opts: Options,
    path: &str,
) -> Check {
    let Some(bytes) = bytes else {
        return if q.kept.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "{path} missing, expected {} messages",
                q.kept.len()
            ))
        };
    };
    if q.kept.is_empty() {
        return Err(format!(
            "{path} written for a queue with no surviving messages"
        ));
    }
    let got = lines(bytes, path)?;
    let mut want: BTreeMap<&str, &(crate::value::Message, Option<u32>)> = BTreeMap::new();
    for k in &q.kept {
        want.insert(k.0.message_id.as_str(), k);
    }
    if got.len() != q.kept.len() {
        return Err(format!(
            "{path}: {} lines, expected {}",
            got.len(),
            q.kept.len()
        ));
    }
    let mut seen = BTreeSet::new();
    let mut prev: Option<(i64, u64, Vec<u8>)> = None;
    for line in &got {
        field_order(line, &MESSAGE_FIELDS)?;
        let id = line
            .get("message_id")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("{path}: line without message_id"))?;
        let (m, partition) = want
            .get(id)
            .ok_or_else(|| format!("{path}: unexpected message {id:?}"))?;
        if !seen.insert(id.to_string()) {
            return Err(format!("{path}: message {id:?} written twice"));
        }
        // Order (REQ-DEC-7).
        let key = (
            get_i64(line, "send_timestamp_millis").unwrap_or(i64::MIN),
            get_u64(line, "sequence_number").unwrap_or(0),
            id.as_bytes().to_vec(),
        );
        if let Some(p) = &prev {
            if *p > key {
                return Err(format!("{path}: {id:?} out of order after {p:?}"));
            }
        }
        prev = Some(key);
        // Body (REQ-OUT-6).
        let body_v = line
            .get("body")
            .ok_or_else(|| format!("{path}: {id:?} has no body"))?;
        let body = read_body(body_v)?;
        if body != m.body {
            return Err(format!(
                "{path}: {id:?} body reads back as {body:?}, expected {:?}",
                m.body
            ));
        }
        if body_v.is_string() != std::str::from_utf8(&m.body).is_ok() {
            return Err(format!(
                "{path}: {id:?} body form {body_v} wrong for {:?}",
                m.body
            ));
        }
        // Plain fields.
        let want_fields = [
            ("send_timestamp_millis", Some(m.send_timestamp_millis)),
            ("available_at_millis", Some(m.available_at_millis)),
        ];
        for (k, v) in want_fields {
            if get_i64(line, k) != v {
                return Err(format!(
                    "{path}: {id:?} {k} is {:?}, expected {v:?}",
                    line.get(k)
                ));
            }
        }
        if get_u64(line, "queue_generation") != Some(m.queue_generation) {
            return Err(format!("{path}: {id:?} queue_generation wrong"));
        }
        let seq = get_u64(line, "sequence_number");
        if seq != (m.sequence_number != 0).then_some(m.sequence_number) {
            return Err(format!(
                "{path}: {id:?} sequence_number {seq:?}, expected {}",
                m.sequence_number
            ));
        }
        // Visibility (REQ-DEC-5).
        let (vis, count, first, token) = if opts.preserve_visibility {
            (
                m.visible_at_millis,
                m.receive_count,
                m.first_receive_millis,
                m.current_receipt_token.clone(),
            )
        } else {
            (0, 0, 0, Vec::new())
        };
        if get_i64(line, "visible_at_millis") != Some(vis)
            || get_i64(line, "receive_count") != Some(count)
        {
            return Err(format!(
                "{path}: {id:?} visibility {:?}/{:?}, expected {vis}/{count} (preserve={})",
                line.get("visible_at_millis"),
                line.get("receive_count"),
                opts.preserve_visibility
            ));
        }
        if get_i64(line, "first_receive_millis") != (first != 0).then_some(first) {
            return Err(format!(
                "{path}: {id:?} first_receive_millis wrong (expected {first})"
            ));
        }
        let tok = line.get("current_receipt_token").and_then(Value::as_str);
        let want_tok = (!token.is_empty()).then(|| STANDARD.encode(&token));
        if tok.map(str::to_string) != want_tok {
            return Err(format!(
                "{path}: {id:?} current_receipt_token {tok:?}, expected {want_tok:?}"
            ));
        }
        // Partition (REQ-DEC-6).
        let p = get_u64(line, "partition");
        if p != partition.map(u64::from) {
            return Err(format!(
                "{path}: {id:?} partition {p:?}, expected {partition:?}"
            ));
        }
    }
    Ok(())
}

fn side_set(bytes: &[u8], path: &str) -> Result<Vec<SideLine>, String> {
    let mut out = Vec::new();
    for l in lines(bytes, path)? {
        field_order(&l, &["prefix", "key_hex", "value_b64"])?;
        let s = |k: &str| {
            l.get(k)
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| format!("{path}: side record without {k}"))
        };
        out.push(SideLine {
            prefix: s("prefix")?,
            key_hex: s("key_hex")?,
            value_b64: s("value_b64")?,
        });
    }
    out.sort();
    Ok(out)
}

fn same_side(got: Option<&Vec<u8>>, want: &[SideLine], path: &str) -> Check {
    let mut want = want.to_vec();
    want.sort();
    match got {
        None if want.is_empty() => Ok(()),
        None => Err(format!(
            "{path} missing, expected {} side records",
            want.len()
        )),
        Some(_) if want.is_empty() => Err(format!("{path} written with no visible side records")),
        Some(b) => {
            let got = side_set(b, path)?;
            if got == want {
                Ok(())
            } else {
                Err(format!("{path}: side records {got:?}, expected {want:?}"))
            }
        }
    }
}

/// A successful decode of a clean model against its expected output
/// (REQ-DEC-2..REQ-DEC-9, REQ-OUT-*). `dump` must come from a decode
/// with `opts`, and `expected` from `model.expected(opts.include_side_records)`.
pub fn check_dump(expected: &Expected, opts: Options, dump: &DumpModel) -> Check {
    check_paths(dump)?;
    if expected.collision {
        return Err("decode succeeded although two queue states share a directory".into());
    }
    // Every file belongs to an expected queue or orphan directory.
    let mut dirs: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for path in dump.files.keys() {
        if let Some((dir, file)) = split_path(path)? {
            dirs.entry(dir).or_default().insert(file);
        }
    }
    for (dir, files) in &dirs {
        if expected.queues.contains_key(*dir) {
            continue;
        }
        if expected.orphan_dirs.contains_key(*dir)
            && files.iter().all(|f| *f == "_internals/side_records.jsonl")
        {
            continue;
        }
        return Err(format!("unexpected directory sqs/{dir} with {files:?}"));
    }
    for (dir, q) in &expected.queues {
        let base = format!("sqs/{dir}");
        let meta_path = format!("{base}/_queue.json");
        let meta = dump
            .files
            .get(&meta_path)
            .ok_or_else(|| format!("{meta_path} missing"))?;
        check_queue_json(q, meta, &meta_path)?;
        let msg_path = format!("{base}/messages.jsonl");
        check_messages(q, dump.files.get(&msg_path), opts, &msg_path)?;
        let side_path = format!("{base}/_internals/side_records.jsonl");
        let want_side: &[SideLine] = if opts.include_side_records {
            &q.side
        } else {
            &[]
        };
        same_side(dump.files.get(&side_path), want_side, &side_path)?;
        // Generation filter warning (REQ-DEC-4).
        let stale: Vec<&Warning> = dump
            .warnings
            .iter()
            .filter(
                |w| matches!(w, Warning::StaleGenerationDropped { queue, .. } if *queue == q.name),
            )
            .collect();
        match (q.dropped, stale.as_slice()) {
            (0, []) => {}
            (
                n,
                [Warning::StaleGenerationDropped {
                    active_gen,
                    dropped,
                    ..
                }],
            ) if n > 0 && Some(*active_gen) == q.active_gen && *dropped == n => {}
            (n, w) => {
                return Err(format!(
                    "queue {:?}: {n} stale messages (active gen {:?}) but warnings {w:?}",
                    q.name, q.active_gen
                ))
            }
        }
    }
    for (dir, want) in &expected.orphan_dirs {
        let path = format!("sqs/{dir}/_internals/side_records.jsonl");
        same_side(dump.files.get(&path), want, &path)?;
    }
    for (enc, n) in &expected.orphan_messages {
        let found = dump.warnings.iter().any(|w| {
            matches!(w, Warning::OrphanMessages { encoded_queue, buffered_messages, .. }
                if encoded_queue == enc && buffered_messages == n)
        });
        if !found {
            return Err(format!(
                "no sqs_orphan_messages warning for {enc} with {n} messages in {:?}",
                dump.warnings
            ));
        }
    }
    let mut names: Vec<String> = expected.queues.values().map(|q| q.name.clone()).collect();
    names.sort();
    let mut got = dump.queues.clone();
    got.sort();
    if got != names {
        return Err(format!("dump lists queues {got:?}, expected {names:?}"));
    }
    Ok(())
}

fn check_queue_json(q: &ExpectedQueue, bytes: &[u8], path: &str) -> Check {
    let v: Value = serde_json::from_slice(bytes).map_err(|e| format!("{path} is not JSON: {e}"))?;
    if bytes.ends_with(b"\n") {
        return Err(format!("{path} ends with a newline"));
    }
    let m = v
        .as_object()
        .ok_or_else(|| format!("{path} is not an object"))?;
    let meta = &q.meta;
    let checks: [(&str, Value); 5] = [
        ("format_version", Value::from(1)),
        ("name", Value::from(meta.name.clone())),
        (
            "visibility_timeout_seconds",
            Value::from(meta.visibility_timeout_seconds),
        ),
        (
            "message_retention_seconds",
            Value::from(meta.message_retention_seconds),
        ),
        ("delay_seconds", Value::from(meta.delay_seconds)),
    ];
    for (k, want) in checks {
        if m.get(k) != Some(&want) {
            return Err(format!("{path}: {k} is {:?}, expected {want}", m.get(k)));
        }
    }
    let pc = get_u64(m, "partition_count");
    if pc != (meta.partition_count != 0).then_some(u64::from(meta.partition_count)) {
        return Err(format!(
            "{path}: partition_count {pc:?}, expected {}",
            meta.partition_count
        ));
    }
    let tags: BTreeMap<String, String> = m
        .get("tags")
        .and_then(Value::as_object)
        .map(|t| {
            t.iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        v.as_str().unwrap_or("<not a string>").to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    if tags != meta.tags {
        return Err(format!("{path}: tags {tags:?}, expected {:?}", meta.tags));
    }
    Ok(())
}

/// Two dumps hold the same files and the same warnings, ignoring
/// `snapshot_version_after_header` (which only a history can produce).
pub fn same_output(a: &DumpModel, b: &DumpModel) -> Check {
    if a.files != b.files {
        let ka: BTreeSet<_> = a.files.keys().collect();
        let kb: BTreeSet<_> = b.files.keys().collect();
        let differing: Vec<_> = ka
            .union(&kb)
            .filter(|k| a.files.get(**k) != b.files.get(**k))
            .collect();
        return Err(format!("files differ: {differing:?}"));
    }
    let strip = |d: &DumpModel| -> Vec<String> {
        d.warnings
            .iter()
            .filter(|w| !matches!(w, Warning::VersionAfterHeader { .. }))
            .map(Warning::to_json_line)
            .collect()
    };
    if strip(a) != strip(b) {
        return Err(format!("warnings differ: {:?} vs {:?}", strip(a), strip(b)));
    }
    Ok(())
}
