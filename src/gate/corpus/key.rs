//! Corpus cases for SQS keys (REQ-KEY).

use super::*;
use crate::key;
use Input::Fsm;

const EVENTS: &str = "sqs/events.fifo/messages.jsonl";

pub(super) const CASES: &[Row] = &[
    Row {
        name: "REQ-KEY-1-all-families",
        note: "one key of each family but queue|seq (a Decision, REQ-DEC-9): meta, gen and data are decoded, the five others become side records",
        flags: &[SIDE],
        input: Fsm(all_families),
        expect: || {
            let side = "sqs/fam.fifo/_internals/side_records.jsonl";
            vec![
                lines("sqs/fam.fifo/messages.jsonl", 1),
                lines(side, 5),
                has(side, "!sqs|queue|tombstone|"),
                has(side, "!sqs|msg|vis|"),
                has(side, "!sqs|msg|byage|"),
                has(side, "!sqs|msg|dedup|"),
                has(side, "!sqs|msg|group|"),
            ]
        },
    },
    Row {
        name: "REQ-KEY-2-legacy-data-key",
        note: "a legacy data key: queue segment, 8 gen bytes, message-id segment",
        flags: &[],
        input: Fsm(|| {
            Snap::new()
                .put(&meta_key(b"orders"), 10, &meta("orders", ""))
                .put(
                    &data_key(b"orders", 7, b"id/with+odd=bytes"),
                    100,
                    &msg("id/with+odd=bytes", b"x", T0, 7, ""),
                )
                .bytes()
        }),
        expect: || {
            vec![has(
                "sqs/orders/messages.jsonl",
                r#""message_id":"id/with+odd=bytes""#,
            )]
        },
    },
    Row {
        name: "REQ-KEY-2-empty-message-id",
        note: "a data key with nothing after the gen is malformed_sqs_key",
        flags: &[],
        input: Fsm(|| with_data_key(&legacy_key(b"b3JkZXJz", b""))),
        expect: || vec![error("malformed_sqs_key")],
    },
    Row {
        name: "REQ-KEY-2-no-gen",
        note: "a data key that ends after the queue segment is malformed_sqs_key",
        flags: &[],
        input: Fsm(|| with_data_key(b"!sqs|msg|data|b3JkZXJz")),
        expect: || vec![error("malformed_sqs_key")],
    },
    Row {
        name: "REQ-KEY-2-short-gen",
        note: "a data key with 3 of the 8 gen bytes is malformed_sqs_key",
        flags: &[],
        input: Fsm(|| with_data_key(b"!sqs|msg|data|b3JkZXJz\x00\x00\x01")),
        expect: || vec![error("malformed_sqs_key")],
    },
    Row {
        name: "REQ-KEY-3-side-key-without-trailer",
        note: "with side records on, a vis key with no bytes after its queue segment is malformed_sqs_key",
        flags: &[SIDE],
        input: Fsm(|| orders().put(b"!sqs|msg|vis|b3JkZXJz", 100, b"").bytes()),
        expect: || vec![error("malformed_sqs_key")],
    },
    Row {
        name: "REQ-KEY-4-partitioned-keys",
        note: "partitioned (HT-FIFO) data and side-record keys parse and route to their queue",
        flags: &[SIDE],
        input: Fsm(partitioned_keys),
        expect: || {
            vec![
                ids(EVENTS, &["e-1", "e-2", "e-3"]),
                has(EVENTS, r#""partition":3"#),
                lines("sqs/events.fifo/_internals/side_records.jsonl", 4),
            ]
        },
    },
    Row {
        name: "REQ-KEY-4-short-partitioned-trailer",
        note: "a partitioned trailer of 11 bytes (4 partition + 8 gen needed) is malformed_sqs_key",
        flags: &[],
        input: Fsm(|| with_data_key(&[&b"!sqs|msg|data|p|b3JkZXJz|"[..], &[0; 11]].concat())),
        expect: || vec![error("malformed_sqs_key")],
    },
    Row {
        name: "REQ-KEY-4-partitioned-without-terminator",
        note: "a partitioned key with no '|' after its queue segment is malformed_sqs_key",
        flags: &[],
        input: Fsm(|| with_data_key(b"!sqs|msg|data|p|b3JkZXJz")),
        expect: || vec![error("malformed_sqs_key")],
    },
    Row {
        name: "REQ-KEY-4-partitioned-empty-message-id",
        note: "a partitioned data key with no message id after partition and gen is malformed_sqs_key",
        flags: &[],
        input: Fsm(|| {
            let part1_gen1 = [0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1];
            with_data_key(&[&b"!sqs|msg|data|p|b3JkZXJz|"[..], &part1_gen1].concat())
        }),
        expect: || vec![error("malformed_sqs_key")],
    },
    Row {
        name: "REQ-KEY-5-meta-key-trailing-bytes",
        note: "a meta key with a byte after its queue segment is malformed_sqs_key",
        flags: &[],
        input: Fsm(|| {
            orders()
                .put(b"!sqs|queue|meta|cQ\x00", 10, &meta("q", ""))
                .bytes()
        }),
        expect: || vec![error("malformed_sqs_key")],
    },
    Row {
        name: "REQ-KEY-10-gen-key-trailing-bytes",
        note: "[Decision] a gen key with bytes after its queue segment is malformed_sqs_key",
        flags: &[],
        input: Fsm(|| orders().put(b"!sqs|queue|gen|b3JkZXJz|x", 10, b"1").bytes()),
        expect: || vec![error("malformed_sqs_key")],
    },
    Row {
        name: "REQ-KEY-6-non-canonical-cR",
        note: "[Decision] cR (nonzero trailing bits) next to cQ is malformed_sqs_key (upstream decodes both to q and one overwrites the other)",
        flags: &[],
        input: Fsm(|| {
            Snap::new()
                .put(b"!sqs|queue|meta|cQ", 10, &meta("q", ""))
                .put(
                    b"!sqs|queue|meta|cR",
                    20,
                    &meta("q", r#","visibility_timeout_seconds":5"#),
                )
                .bytes()
        }),
        expect: || vec![error("malformed_sqs_key")],
    },
    Row {
        name: "REQ-KEY-6-padded-message-id",
        note: "a message-id segment with '=' padding is malformed_sqs_key (upstream refuses it too)",
        flags: &[],
        input: Fsm(|| {
            orders()
                .put(
                    &legacy_key(b"b3JkZXJz", b"bzk="),
                    100,
                    &msg("o9", b"x", T0, 1, ""),
                )
                .bytes()
        }),
        expect: || vec![error("malformed_sqs_key")],
    },
    Row {
        name: "REQ-KEY-6-non-canonical-message-id",
        note: "[Decision] a message-id segment with nonzero trailing bits (bzl for o9) is malformed_sqs_key",
        flags: &[],
        input: Fsm(|| {
            orders()
                .put(
                    &legacy_key(b"b3JkZXJz", b"bzl"),
                    100,
                    &msg("o9", b"x", T0, 1, ""),
                )
                .bytes()
        }),
        expect: || vec![error("malformed_sqs_key")],
    },
    Row {
        name: "REQ-KEY-8-gen-2-56-misparse",
        note: "documented limit, as upstream: a legacy key with gen >= 2^56 starting with an alphabet byte is read as queue q\\0 (a key/value mismatch warning goes to stderr)",
        flags: &[],
        input: Fsm(big_gen_misparse),
        expect: || {
            vec![
                files(&[
                    "sqs/q/_queue.json",
                    "sqs/q%00/_queue.json",
                    "sqs/q%00/messages.jsonl",
                ]),
                has(
                    "sqs/q%00/messages.jsonl",
                    &format!(r#""queue_generation":{BIG_GEN}"#),
                ),
            ]
        },
    },
    Row {
        name: "REQ-KEY-9-empty-queue-meta",
        note: "[Decision] a meta key with an empty queue segment is malformed_sqs_key (upstream writes a queue named \"\" into sqs/ itself)",
        flags: &[],
        input: Fsm(|| orders().put(b"!sqs|queue|meta|", 10, &meta("", "")).bytes()),
        expect: || vec![error("malformed_sqs_key")],
    },
    Row {
        name: "REQ-KEY-9-empty-queue-data",
        note: "a legacy data key with an empty queue segment is malformed_sqs_key (upstream refuses it too)",
        flags: &[],
        input: Fsm(|| {
            orders()
                .put(&legacy_key(b"", b"bTE"), 10, &msg("m1", b"x", T0, 1, ""))
                .bytes()
        }),
        expect: || vec![error("malformed_sqs_key")],
    },
    Row {
        name: "REQ-KEY-9-empty-queue-partitioned",
        note: "a partitioned data key with an empty queue segment is malformed_sqs_key (upstream refuses it too)",
        flags: &[],
        input: Fsm(|| {
            let key = [&b"!sqs|msg|data|p||"[..], &PART0_GEN1, b"bTE"].concat();
            orders()
                .put(&key, 10, &msg("m1", b"x", T0, 1, ""))
                .bytes()
        }),
        expect: || vec![error("malformed_sqs_key")],
    },
];

/// Partition 0 and gen 1, as a partitioned key's trailer holds them.
const PART0_GEN1: [u8; 12] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];

/// gen = 0x41 << 56 | 1: its first byte 'A' is in the base64url
/// alphabet, so the queue segment is read as "cQA" (q\0).
const BIG_GEN: u64 = (0x41 << 56) | 1;

/// A legacy data key from raw segment bytes, with gen 1.
fn legacy_key(queue_segment: &[u8], id_segment: &[u8]) -> Vec<u8> {
    [
        &b"!sqs|msg|data|"[..],
        queue_segment,
        &1u64.to_be_bytes(),
        id_segment,
    ]
    .concat()
}

/// `orders` with a message stored under this (malformed) data key.
fn with_data_key(key: &[u8]) -> Vec<u8> {
    orders().put(key, 100, &msg("o-9", b"x", T0, 1, "")).bytes()
}

fn all_families() -> Vec<u8> {
    let q = b"fam.fifo";
    Snap::new()
        .put(&meta_key(q), 10, &meta("fam.fifo", r#","is_fifo":true"#))
        .put(&gen_key(q), 40, b"2")
        .put(&tomb_key(q, 1), 40, b"")
        .put(
            &data_key(q, 2, b"m-1"),
            50,
            &msg(
                "m-1",
                b"x",
                T0,
                2,
                r#","message_group_id":"g","sequence_number":1"#,
            ),
        )
        .put(&vis_key(q, None, 2, 1_700_000_030_000, b"m-1"), 50, b"m-1")
        .put(&byage_key(q, None, 2, T0 as u64, b"m-1"), 50, b"m-1")
        .put(&dedup_key(q, None, 2, b"d-1"), 50, b"m-1")
        .put(&group_key(q, None, 2, b"g"), 50, b"m-1")
        .bytes()
}

fn partitioned_keys() -> Vec<u8> {
    let q = b"events.fifo";
    let mut s = Snap::new();
    s.put(
        &meta_key(q),
        10,
        &meta(
            "events.fifo",
            r#","is_fifo":true,"partition_count":4,"fifo_throughput_limit":"perMessageGroupId","deduplication_scope":"messageGroup""#,
        ),
    );
    for (part, id, seq) in [(0u32, "e-1", 1), (3, "e-2", 1), (0, "e-3", 2)] {
        s.put(
            &pdata_key(q, part, 1, id.as_bytes()),
            100 + seq,
            &msg(
                id,
                b"event",
                T0 + seq as i64,
                1,
                &format!(r#","message_group_id":"g{part}","sequence_number":{seq}"#),
            ),
        );
    }
    s.put(&vis_key(q, Some(3), 1, 5, b"e-2"), 110, b"")
        .put(&byage_key(q, Some(3), 1, 6, b"e-2"), 110, b"")
        .put(&dedup_key(q, Some((3, b"g3")), 1, b"d"), 110, b"")
        .put(&group_key(q, Some(3), 1, b"g3"), 110, b"")
        .bytes()
}

/// The message id segment is chosen so that the misread key still parses.
fn big_gen_misparse() -> Vec<u8> {
    let id_bytes = key::decode_b64_strict("message id", b"AbXNnLTE").unwrap_or_default();
    Snap::new()
        .put(&meta_key(b"q"), 10, &meta("q", ""))
        .put(&meta_key(b"q\0"), 10, &meta("q-nul", ""))
        .put(
            &data_key(b"q", BIG_GEN, &id_bytes),
            100,
            &msg("msg-1", b"written to q with gen 2^62+", T0, BIG_GEN, ""),
        )
        .bytes()
}
