//! Unit tests of the encode direction's blame rules on in-memory
//! snapshots (the mutation runs of `scripts/mutants --quick` select them).

use super::*;
use crate::fsm::{encode_header, encode_raw_entry, encode_value};

/// `super::tests::snap` for rows that own their values.
fn snap(header: u64, rows: &[(KeyParts, Vec<u8>)]) -> Vec<u8> {
    let rows: Vec<(KeyParts, &[u8])> = rows
        .iter()
        .map(|(k, v)| (k.clone(), v.as_slice()))
        .collect();
    super::tests::snap(header, &rows)
}

fn with_magic(magic: &[u8], json: &str) -> Vec<u8> {
    let mut v = magic.to_vec();
    v.extend_from_slice(json.as_bytes());
    v
}

fn meta_key(q: &str) -> KeyParts {
    KeyParts::QueueMeta {
        queue: q.as_bytes().to_vec(),
    }
}

fn msg_key(gen: u64, id: &str) -> KeyParts {
    KeyParts::MsgData {
        queue: b"q".to_vec(),
        partition: None,
        gen,
        message_id: id.as_bytes().to_vec(),
    }
}

fn blamed(e: &[u8], a: &[u8]) -> Vec<String> {
    blame_snapshots(e, a, "REQ-ENC-12")
        .into_iter()
        .map(|f| format!("{} {}", f.req, f.diff))
        .collect()
}

fn reqs(e: &[u8], a: &[u8]) -> Vec<String> {
    blame_snapshots(e, a, "REQ-ENC-12")
        .into_iter()
        .map(|f| f.req)
        .collect()
}

/// The queue `q` with one message and a `seq` row, with `msg` as the
/// message's JSON and `seq` as the seq row's value.
fn queue(gen: u64, msg: &str, seq: &[u8]) -> Vec<u8> {
    snap(
        7,
        &[
            (
                meta_key("q"),
                with_magic(&QUEUE_META_MAGIC, r#"{"name":"q"}"#),
            ),
            (
                KeyParts::QueueGen {
                    queue: b"q".to_vec(),
                },
                b"1".to_vec(),
            ),
            (
                KeyParts::QueueSeq {
                    queue: b"q".to_vec(),
                },
                seq.to_vec(),
            ),
            (msg_key(gen, "m"), with_magic(&MESSAGE_MAGIC, msg)),
        ],
    )
}

const MSG: &str = r#"{"body":"b","message_attributes":{"k":"v"}}"#;

// REQ-CONF-10
#[test]
fn restored_values_are_blamed_by_family_and_field() {
    let base = queue(1, MSG, b"3");
    assert!(blamed(&base, &base).is_empty());
    assert_eq!(
        reqs(
            &base,
            &queue(1, r#"{"body":"b","message_attributes":{"k":"w"}}"#, b"3")
        ),
        ["REQ-ENC-7"]
    );
    assert_eq!(
        reqs(
            &base,
            &queue(1, r#"{"body":"c","message_attributes":{"k":"v"}}"#, b"3")
        ),
        ["REQ-ENC-1"]
    );
    // The seq row's value: a derived row.
    assert_eq!(reqs(&base, &queue(1, MSG, b"4")), ["REQ-ENC-8"]);
    // Same members, other white space: the whole value.
    let spaced = queue(1, r#"{"body": "b","message_attributes":{"k":"v"}}"#, b"3");
    assert_eq!(blamed(&base, &spaced).len(), 1);
    assert!(blamed(&base, &spaced)[0].starts_with("REQ-ENC-1 !sqs|msg|data|"));
    // A value without its magic.
    let bare = snap(7, &[(meta_key("q"), br#"{"name":"q"}"#.to_vec())]);
    let good = snap(
        7,
        &[(
            meta_key("q"),
            with_magic(&QUEUE_META_MAGIC, r#"{"name":"q"}"#),
        )],
    );
    assert_eq!(reqs(&good, &bare), ["REQ-ENC-1"]);
    // A gen record's value.
    let gen = |v: &[u8]| {
        snap(
            7,
            &[(
                KeyParts::QueueGen {
                    queue: b"q".to_vec(),
                },
                v.to_vec(),
            )],
        )
    };
    assert_eq!(reqs(&gen(b"1"), &gen(b"2")), ["REQ-ENC-1"]);
}

// REQ-CONF-10
#[test]
fn keys_on_one_side_are_blamed_by_what_they_restore() {
    let base = queue(1, MSG, b"3");
    // The message under another generation: the restored record, both keys.
    assert_eq!(
        blamed(&base, &queue(2, MSG, b"3")),
        [
            format!(
                "REQ-ENC-1 restored snapshot: missing key {k1}: expected {k1} got <missing>",
                k1 = show_key(&key::build(&msg_key(1, "m")))
            ),
            format!(
                "REQ-ENC-1 restored snapshot: unexpected key {k2}: expected <missing> got {k2}",
                k2 = show_key(&key::build(&msg_key(2, "m")))
            ),
        ]
    );
    // A message the expected snapshot does not have: the case's own
    // requirement, though its queue is there.
    let mut rows = vec![(msg_key(1, "n"), with_magic(&MESSAGE_MAGIC, MSG))];
    rows.extend([
        (
            meta_key("q"),
            with_magic(&QUEUE_META_MAGIC, r#"{"name":"q"}"#),
        ),
        (
            KeyParts::QueueGen {
                queue: b"q".to_vec(),
            },
            b"1".to_vec(),
        ),
        (
            KeyParts::QueueSeq {
                queue: b"q".to_vec(),
            },
            b"3".to_vec(),
        ),
        (msg_key(1, "m"), with_magic(&MESSAGE_MAGIC, MSG)),
    ]);
    assert_eq!(reqs(&base, &snap(7, &rows)), ["REQ-ENC-12"]);
    // A derived row of a queue the other side does not restore.
    let seq_only = snap(
        7,
        &[(
            KeyParts::QueueSeq {
                queue: b"z".to_vec(),
            },
            b"3".to_vec(),
        )],
    );
    assert_eq!(reqs(&base, &seq_only), ["REQ-ENC-12"; 5]);
    // Identical unreadable input is no difference.
    assert!(blamed(b"junk", b"junk").is_empty());
    assert_eq!(
        blamed(b"junk", &base)
            .iter()
            .map(|l| l.split(' ').next().unwrap_or_default())
            .collect::<Vec<_>>(),
        ["REQ-ENC-12"]
    );
}

// REQ-CONF-10
#[test]
fn entry_order_and_value_headers() {
    let q = meta_key("q");
    let v = with_magic(&QUEUE_META_MAGIC, r#"{"name":"q"}"#);
    let seq = KeyParts::QueueSeq {
        queue: b"q".to_vec(),
    };
    let base = snap(7, &[(q.clone(), v.clone()), (seq.clone(), b"3".to_vec())]);
    let raw = |rows: &[(Vec<u8>, Vec<u8>)]| {
        let mut out = encode_header(7);
        for (k, v) in rows {
            encode_raw_entry(&mut out, &encode_key(k, 7), &encode_value(0, 0, v));
        }
        out
    };
    let (kq, ks) = (key::build(&q), key::build(&seq));
    let swapped = raw(&[(ks.clone(), b"3".to_vec()), (kq.clone(), v.clone())]);
    assert_eq!(
        blamed(&base, &swapped),
        [format!(
            "REQ-ENC-10 restored snapshot: entry 2 out of key order: expected {} got {}",
            show_key(&ks),
            show_key(&kq)
        )]
    );
    let twice = raw(&[
        (kq.clone(), v.clone()),
        (kq.clone(), v.clone()),
        (ks.clone(), b"3".to_vec()),
    ]);
    assert_eq!(
        blamed(&base, &twice),
        [format!(
            "REQ-ENC-10 restored snapshot: key written twice: {k}: expected {k} got {k}",
            k = show_key(&kq)
        )]
    );
    // A tombstone where a value was expected.
    let mut dead = encode_header(7);
    encode_raw_entry(&mut dead, &encode_key(&kq, 7), &encode_value(0, 0, &v));
    encode_raw_entry(&mut dead, &encode_key(&ks, 7), &encode_value(1, 0, b"3"));
    let got = blamed(&base, &dead);
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(
        got[0].starts_with("REQ-ENC-1 restored snapshot: value header of "),
        "{got:?}"
    );
    assert_eq!(show_key(b"a b~"), "a b~");
}
