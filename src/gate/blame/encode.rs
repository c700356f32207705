//! Blame for the encode direction (REQ-CONF-10): every difference between
//! an expected `.fsm` snapshot and an implementation's, each attributed to
//! the requirement that governs the differing record.
//!
//! Both snapshots are read with the decoder's stream reader
//! ([`crate::fsm::Reader`]) into entries and compared by user key, not by
//! position, so that one missing row is one difference:
//!
//! 1. The header and the framing ([`Subject::SnapshotStream`]), then the
//!    order of the implementation's entries ([`Subject::EntryOrder`]).
//! 2. A key present on one side only is blamed by its family: a derived
//!    row ([`Subject::DerivedRow`]); a meta, gen or data record whose queue
//!    (and message) the other side writes under another key
//!    ([`Subject::RestoredRecord`]); anything else (a missing queue or
//!    message) falls to the case's own requirement.
//! 3. A key on both sides: commit timestamp, value header, then the value
//!    body. Meta and message values are compared member by member (their
//!    JSON after the magic), so a difference in `tags` or
//!    `message_attributes` is blamed on its own requirement.

use std::collections::{BTreeMap, BTreeSet};

use super::{compare_members, shorten, shown, Blame, FieldRule, Finding, Subject};
use crate::fsm::{encode_key, Entry, Reader};
use crate::gate::conform::{Compare, Difference};
use crate::gate::span;
use crate::key::{self, Family, KeyParts};
use crate::value::{MESSAGE_MAGIC, QUEUE_META_MAGIC};

/// One entry of a snapshot.
struct Rec {
    key: Vec<u8>,
    ts: u64,
    tombstone: bool,
    expire_at: u64,
    body: Vec<u8>,
}

/// A snapshot read as far as it goes.
struct Read {
    header: u64,
    entries: Vec<Rec>,
    /// The error that stopped the reader, if any.
    error: Option<String>,
    /// Raw keys of operational entries (REQ-FSM-6).
    operational: Vec<Vec<u8>>,
}

fn read(fsm: &[u8]) -> Result<Read, String> {
    let mut r = Reader::new(fsm).map_err(|e| e.to_string())?;
    let mut out = Read {
        header: r.last_commit_ts(),
        entries: Vec::new(),
        error: None,
        operational: Vec::new(),
    };
    loop {
        match r.next_entry() {
            Ok(None) => break,
            Ok(Some(Entry::Version(v))) => out.entries.push(Rec {
                key: v.user_key,
                ts: v.commit_ts,
                tombstone: v.tombstone,
                expire_at: v.expire_at,
                body: v.body,
            }),
            Ok(Some(Entry::Operational { key })) => out.operational.push(key),
            Err(e) => {
                out.error = Some(e.to_string());
                break;
            }
        }
    }
    Ok(out)
}

/// A user key for display: printable ASCII as is, other bytes as `\xNN`.
pub fn show_key(k: &[u8]) -> String {
    let mut s = String::new();
    for &b in k {
        if (0x20..0x7f).contains(&b) && b != b'\\' {
            s.push(b as char);
        } else {
            s.push_str(&format!("\\x{b:02x}"));
        }
    }
    shorten(&s, 0)
}

/// What a key restores: the queue (and message) it belongs to, whatever
/// its generation or partition; `None` for keys that are not meta, gen or
/// data records.
fn identity(parts: &KeyParts) -> Option<(Family, Vec<u8>, Vec<u8>)> {
    match parts {
        KeyParts::QueueMeta { queue } => Some((Family::QueueMeta, queue.clone(), Vec::new())),
        KeyParts::QueueGen { queue } => Some((Family::QueueGen, queue.clone(), Vec::new())),
        KeyParts::MsgData {
            queue, message_id, ..
        } => Some((Family::MsgData, queue.clone(), message_id.clone())),
        _ => None,
    }
}

fn is_derived(f: Family) -> bool {
    matches!(
        f,
        Family::MsgVis
            | Family::MsgByAge
            | Family::MsgDedup
            | Family::MsgGroup
            | Family::QueueSeq
            | Family::QueueTombstone
    )
}

/// Every difference between the `expected` snapshot and the
/// implementation's `actual` one, blamed. Empty when they are equal.
// REQ-CONF-10
pub fn blame_snapshots(expected: &[u8], actual: &[u8], case_req: &str) -> Vec<Finding> {
    let mut b = Blame {
        case_req,
        mode: Compare::Bytes,
        found: Vec::new(),
    };
    if expected == actual {
        return b.found;
    }
    let file = "restored snapshot";
    let e = match read(expected) {
        Ok(e) => e,
        Err(err) => {
            b.unexplained(Difference::new(format!(
                "the expected snapshot is unreadable: {err}"
            )));
            return b.found;
        }
    };
    let a = match read(actual) {
        Ok(a) => a,
        Err(err) => {
            b.add(
                Subject::SnapshotStream,
                Difference::in_file(file, None, format!("not a snapshot: {err}")),
            );
            return b.found;
        }
    };
    if e.header != a.header {
        b.add(
            Subject::SnapshotStream,
            Difference::in_file(file, None, "header last_commit_ts")
                .values(e.header.to_string(), a.header.to_string()),
        );
    }
    if let Some(err) = &a.error {
        b.add(
            Subject::SnapshotStream,
            Difference::in_file(file, None, format!("stream unreadable: {err}")),
        );
    }
    for k in &a.operational {
        b.unexplained(Difference::in_file(
            file,
            None,
            format!("unexpected operational entry {}", show_key(k)),
        ));
    }
    // Order: encoded keys strictly ascending.
    let encoded: Vec<Vec<u8>> = a.entries.iter().map(|r| encode_key(&r.key, r.ts)).collect();
    if let Some(i) = encoded.windows(2).position(|w| w[0] >= w[1]) {
        let (x, y) = (&a.entries[i], &a.entries[i + 1]);
        let what = if x.key == y.key {
            format!("key written twice: {}", show_key(&x.key))
        } else {
            format!("entry {} out of key order", i + 2)
        };
        b.add(
            Subject::EntryOrder,
            Difference::in_file(file, None, what).values(show_key(&x.key), show_key(&y.key)),
        );
    }
    let by_key = |rs: &[Rec]| -> BTreeMap<Vec<u8>, usize> {
        let mut m = BTreeMap::new();
        for (i, r) in rs.iter().enumerate() {
            m.entry(r.key.clone()).or_insert(i);
        }
        m
    };
    let (em, am) = (by_key(&e.entries), by_key(&a.entries));
    let ids = |m: &BTreeMap<Vec<u8>, usize>| -> BTreeSet<(Family, Vec<u8>, Vec<u8>)> {
        m.keys()
            .filter_map(|k| key::parse(k).ok())
            .filter_map(|p| identity(&p))
            .collect()
    };
    let (e_ids, a_ids) = (ids(&em), ids(&am));
    // Queues restored on each side (by their meta record).
    let queues = |ids: &BTreeSet<(Family, Vec<u8>, Vec<u8>)>| -> BTreeSet<Vec<u8>> {
        ids.iter()
            .filter(|(f, _, _)| *f == Family::QueueMeta)
            .map(|(_, q, _)| q.clone())
            .collect()
    };
    let (e_queues, a_queues) = (queues(&e_ids), queues(&a_ids));
    for (k, side, other_ids, other_queues, what) in em
        .keys()
        .filter(|k| !am.contains_key(*k))
        .map(|k| (k, "missing", &a_ids, &a_queues, "<missing>"))
        .chain(
            am.keys()
                .filter(|k| !em.contains_key(*k))
                .map(|k| (k, "unexpected", &e_ids, &e_queues, "<missing>")),
        )
    {
        let d = Difference::in_file(file, None, format!("{side} key {}", show_key(k)));
        let d = if side == "missing" {
            d.values(show_key(k), what.to_string())
        } else {
            d.values(what.to_string(), show_key(k))
        };
        match key::parse(k) {
            // A derived row of a queue the other side restores; the rows
            // of a queue restored under another name go with the queue.
            Ok(p) if is_derived(p.family()) && other_queues.contains(p.queue()) => {
                b.add(Subject::DerivedRow, d)
            }
            Ok(p) if identity(&p).is_some_and(|id| other_ids.contains(&id)) => {
                b.add(Subject::RestoredRecord, d)
            }
            _ => b.unexplained(d),
        }
    }
    for (k, &i) in &em {
        let Some(&j) = am.get(k) else { continue };
        let (x, y) = (&e.entries[i], &a.entries[j]);
        let at = show_key(k);
        if x.ts != y.ts {
            b.add(
                Subject::SnapshotStream,
                Difference::in_file(file, None, format!("commit ts of {at}"))
                    .values(x.ts.to_string(), y.ts.to_string()),
            );
        }
        if (x.tombstone, x.expire_at) != (y.tombstone, y.expire_at) {
            b.add(
                Subject::RestoredRecord,
                Difference::in_file(file, None, format!("value header of {at}")).values(
                    format!("tombstone {} expire_at {}", x.tombstone, x.expire_at),
                    format!("tombstone {} expire_at {}", y.tombstone, y.expire_at),
                ),
            );
        }
        if x.body != y.body {
            compare_value(&mut b, k, &x.body, &y.body);
        }
    }
    b.found
}

/// Two value bodies of one key.
fn compare_value(b: &mut Blame<'_>, k: &[u8], e: &[u8], a: &[u8]) {
    let at = show_key(k);
    let family = key::parse(k).ok().map(|p| p.family());
    let whole = || Difference::in_file(&at, None, "value").values(shown(e), shown(a));
    let (magic, subject_of): (&[u8], &FieldRule<'_>) = match family {
        Some(Family::QueueMeta) => (&QUEUE_META_MAGIC, &|k: &str, _: &[u8], _: &[u8]| {
            if k == "tags" {
                Subject::RestoredTags
            } else {
                Subject::RestoredRecord
            }
        }),
        Some(Family::MsgData) => (&MESSAGE_MAGIC, &|k: &str, _: &[u8], _: &[u8]| {
            if k == "message_attributes" {
                Subject::RestoredAttributes
            } else {
                Subject::RestoredRecord
            }
        }),
        Some(f) if is_derived(f) => return b.add(Subject::DerivedRow, whole()),
        Some(_) => return b.add(Subject::RestoredRecord, whole()),
        None => return b.unexplained(whole()),
    };
    let (Some(em), Some(am)) = (members(e, magic), members(a, magic)) else {
        return b.add(Subject::RestoredRecord, whole());
    };
    let before = b.found.len();
    compare_members(
        b,
        &at,
        None,
        &em,
        &am,
        subject_of,
        subject_of,
        Subject::RestoredRecord,
    );
    if b.found.len() == before {
        // Same members, same spellings: the bytes between them.
        b.add(Subject::RestoredRecord, whole());
    }
}

/// The members of a value's JSON after its magic.
fn members<'v>(v: &'v [u8], magic: &[u8]) -> Option<Vec<span::Member<'v>>> {
    span::object(v.strip_prefix(magic)?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fsm::{encode_header, encode_raw_entry, encode_value};
    use crate::gate::blame::governing;

    /// A snapshot at `header` holding `rows` in key order (shared with
    /// `judging_tests`).
    pub(super) fn snap(header: u64, rows: &[(KeyParts, &[u8])]) -> Vec<u8> {
        let mut rows: Vec<(Vec<u8>, Vec<u8>)> = rows
            .iter()
            .map(|(k, v)| (encode_key(&key::build(k), header), encode_value(0, 0, v)))
            .collect();
        rows.sort();
        let mut out = encode_header(header);
        for (k, v) in &rows {
            encode_raw_entry(&mut out, k, v);
        }
        out
    }

    fn meta(json: &str) -> Vec<u8> {
        let mut v = QUEUE_META_MAGIC.to_vec();
        v.extend_from_slice(json.as_bytes());
        v
    }

    fn blamed(e: &[u8], a: &[u8]) -> Vec<String> {
        blame_snapshots(e, a, "REQ-ENC-12")
            .into_iter()
            .map(|f| f.req)
            .collect()
    }

    // REQ-CONF-10
    #[test]
    fn snapshot_differences_are_blamed_by_record() {
        let q = || KeyParts::QueueMeta {
            queue: b"q".to_vec(),
        };
        let seq = || KeyParts::QueueSeq {
            queue: b"q".to_vec(),
        };
        let base = snap(
            7,
            &[
                (q(), &meta(r#"{"name":"q","tags":{"a":"b"}}"#)),
                (seq(), b"3"),
            ],
        );
        assert!(blamed(&base, &base).is_empty());
        let no_tags = snap(7, &[(q(), &meta(r#"{"name":"q"}"#)), (seq(), b"3")]);
        assert_eq!(blamed(&base, &no_tags), [governing(Subject::RestoredTags)]);
        let renamed = snap(
            7,
            &[
                (q(), &meta(r#"{"name":"r","tags":{"a":"b"}}"#)),
                (seq(), b"3"),
            ],
        );
        assert_eq!(blamed(&base, &renamed), ["REQ-ENC-1"]);
        let no_seq = snap(7, &[(q(), &meta(r#"{"name":"q","tags":{"a":"b"}}"#))]);
        assert_eq!(blamed(&base, &no_seq), ["REQ-ENC-8"]);
        let later = snap(
            8,
            &[
                (q(), &meta(r#"{"name":"q","tags":{"a":"b"}}"#)),
                (seq(), b"3"),
            ],
        );
        // The header and both entries' commit timestamps.
        assert_eq!(blamed(&base, &later), ["REQ-ENC-1"; 3]);
        // A queue the other side does not have: the case's requirement.
        let other = snap(
            7,
            &[
                (q(), &meta(r#"{"name":"q","tags":{"a":"b"}}"#)),
                (seq(), b"3"),
                (
                    KeyParts::QueueMeta {
                        queue: b"z".to_vec(),
                    },
                    &meta("{}"),
                ),
            ],
        );
        assert_eq!(blamed(&base, &other), ["REQ-ENC-12"]);
        assert_eq!(blamed(&base, b"EKVPBBL"), ["REQ-ENC-1"]);
        // Entries out of order.
        let mut swapped = encode_header(7);
        let rows = [
            (key::build(&seq()), b"3".to_vec()),
            (key::build(&q()), meta(r#"{"name":"q","tags":{"a":"b"}}"#)),
        ];
        for (k, v) in &rows {
            encode_raw_entry(&mut swapped, &encode_key(k, 7), &encode_value(0, 0, v));
        }
        assert_eq!(blamed(&base, &swapped), ["REQ-ENC-10"]);
        assert_eq!(show_key(b"!sqs|a\x00\\"), "!sqs|a\\x00\\x5c");
    }
}

#[cfg(test)]
#[path = "encode_tests.rs"]
mod judging_tests;
