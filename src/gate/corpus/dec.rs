//! Corpus cases for decoding (REQ-DEC).

use super::*;
use crate::key;
use Input::Fsm;

/// The files of [`orders`].
const ORDERS: [&str; 2] = ["sqs/orders/_queue.json", "sqs/orders/messages.jsonl"];

pub(super) const CASES: &[Row] = &[
    Row {
        name: "REQ-DEC-14-side-record-order",
        note: "[Decision] side records are written in user-key order: the dedup record with an empty id before the one whose key extends it, which Pebble (and upstream) put first",
        flags: &[SIDE],
        input: Fsm(side_record_order),
        expect: || {
            let side = "sqs/ord.fifo/_internals/side_records.jsonl";
            vec![lines(side, 2), has(side, r#""value_b64":"Zmlyc3Q"}"#)]
        },
    },
    Row {
        name: "REQ-DEC-1-queue-names",
        note: "the directory comes from the key's name; _queue.json's name is the live name, or the key's when empty",
        flags: &[],
        input: Fsm(|| {
            Snap::new()
                .put(&meta_key(b"keyname"), 10, &meta("", ""))
                .put(&meta_key(b"other"), 10, &meta("Display Name", ""))
                .bytes()
        }),
        expect: || {
            vec![
                has("sqs/keyname/_queue.json", r#""name": "keyname""#),
                has("sqs/other/_queue.json", r#""name": "Display Name""#),
            ]
        },
    },
    Row {
        name: "REQ-DEC-2-orphan-messages-dropped",
        note: "messages of a queue with no meta record are dropped (with a warning on stderr)",
        flags: &[],
        input: Fsm(|| {
            orders()
                .put(
                    &data_key(b"gone", 1, b"g-1"),
                    100,
                    &msg("g-1", b"x", T0, 1, ""),
                )
                .put(&gen_key(b"gone"), 10, b"1")
                .bytes()
        }),
        expect: || vec![files(&ORDERS)],
    },
    Row {
        name: "REQ-DEC-2-deleted-queue-gen-only",
        note: "a deleted queue that left only its gen record is no orphan: nothing is written (and sqsdump warns of nothing)",
        flags: &[],
        input: Fsm(|| {
            orders()
                .put(&gen_key(b"deleted"), 10, b"3")
                .del(&meta_key(b"deleted"), 20)
                .bytes()
        }),
        expect: || vec![files(&ORDERS)],
    },
    Row {
        name: "REQ-DEC-3-orphan-side-records",
        note: "with side records on, an orphan's side records go to sqs/<encoded>.orphan/_internals/side_records.jsonl",
        flags: &[SIDE],
        input: Fsm(orphan),
        expect: || {
            let side = "sqs/Z29uZQ.orphan/_internals/side_records.jsonl";
            vec![lines(side, 2), files(&[ORDERS[0], ORDERS[1], side])]
        },
    },
    Row {
        name: "REQ-DEC-3-orphan-side-records-need-flag",
        note: "without the flag, an orphan's side records are not written",
        flags: &[],
        input: Fsm(orphan),
        expect: || vec![files(&ORDERS)],
    },
    Row {
        name: "REQ-DEC-3-long-orphan-name",
        note: "[Decision] when <encoded>.orphan would exceed 255 bytes, its hash fallback names the directory",
        flags: &[SIDE],
        input: Fsm(|| Snap::new().put(&tomb_key(&[b'L'; 200], 1), 200, b"").bytes()),
        expect: || {
            let long_dir = crate::segment::orphan_dir(&key::b64(&[b'L'; 200]));
            vec![lines(
                &format!("sqs/{long_dir}/_internals/side_records.jsonl"),
                1,
            )]
        },
    },
    Row {
        name: "REQ-DEC-4-stale-generation",
        note: "with active gen 2, messages of gen 1 (purged, not yet reaped) are dropped (with a warning on stderr)",
        flags: &[],
        input: Fsm(stale_generation),
        expect: || vec![ids("sqs/purged/messages.jsonl", &["p-3"])],
    },
    Row {
        name: "REQ-DEC-4-no-gen-record",
        note: "without a gen record, messages of every generation are kept",
        flags: &[],
        input: Fsm(|| mixed_generations(None)),
        expect: || vec![ids("sqs/mixed/messages.jsonl", &["m-1", "m-2"])],
    },
    Row {
        name: "REQ-DEC-4-gen-zero",
        note: "with a gen value of 0, messages of every generation are kept",
        flags: &[],
        input: Fsm(|| mixed_generations(Some(b"0"))),
        expect: || vec![ids("sqs/mixed/messages.jsonl", &["m-1", "m-2"])],
    },
    Row {
        name: "REQ-DEC-5-visibility-zeroed",
        note: "by default visible_at_millis and receive_count are 0, first_receive_millis and current_receipt_token are left out",
        flags: &[],
        input: Fsm(inflight),
        expect: || {
            vec![
                has(
                    "sqs/inflight/messages.jsonl",
                    r#""visible_at_millis":0,"receive_count":0,"queue_generation":1}"#,
                ),
                lacks("sqs/inflight/messages.jsonl", "receipt"),
            ]
        },
    },
    Row {
        name: "REQ-DEC-5-preserve-visibility",
        note: "--preserve-visibility keeps the live visibility state",
        flags: &[PRESERVE],
        input: Fsm(inflight),
        expect: || {
            vec![has(
                "sqs/inflight/messages.jsonl",
                r#""visible_at_millis":1700000030000,"receive_count":3,"first_receive_millis":1700000000005,"current_receipt_token":"cmVjZWlwdA==""#,
            )]
        },
    },
    Row {
        name: "REQ-DEC-6-partition-field",
        note: "messages from partitioned keys carry \"partition\" (even 0); a legacy message has none",
        flags: &[],
        input: Fsm(partition_field),
        expect: || {
            let m = "sqs/parts/messages.jsonl";
            vec![
                has(m, r#""queue_generation":1,"partition":0}"#),
                has(m, r#""queue_generation":1,"partition":2}"#),
                lines(m, 3),
                // Only the legacy line ends without a partition.
                has(m, r#""receive_count":0,"queue_generation":1}"#),
            ]
        },
    },
    Row {
        name: "REQ-DEC-7-message-order",
        note: "messages are sorted by send timestamp, then sequence number, then message id",
        flags: &[],
        input: Fsm(message_order),
        expect: || {
            vec![ids(
                "sqs/ord.fifo/messages.jsonl",
                &["g", "c", "b", "f", "d", "e", "a"],
            )]
        },
    },
    Row {
        name: "REQ-DEC-8-side-records-dropped-by-default",
        note: "without the flag no side records are written",
        flags: &[],
        input: Fsm(sides),
        expect: || vec![files(&["sqs/idle/_queue.json", ORDERS[0], ORDERS[1]])],
    },
    Row {
        name: "REQ-DEC-8-side-records-without-messages",
        note: "with the flag side records are written, also for a queue with no messages",
        flags: &[SIDE],
        input: Fsm(sides),
        expect: || {
            vec![files(&[
                "sqs/idle/_internals/side_records.jsonl",
                "sqs/idle/_queue.json",
                "sqs/orders/_internals/side_records.jsonl",
                ORDERS[0],
                ORDERS[1],
            ])]
        },
    },
    Row {
        name: "REQ-DEC-8-side-keys-not-parsed-without-flag",
        note: "without the flag side-record keys are not even parsed: a trailerless vis key is no error",
        flags: &[],
        input: Fsm(|| orders().put(b"!sqs|msg|vis|b3JkZXJz", 100, b"").bytes()),
        expect: || vec![lines(ORDERS[1], 2)],
    },
    Row {
        name: "REQ-DEC-9-seq-ignored-by-default",
        note: "a FIFO queue's seq record is ignored by default",
        flags: &[],
        input: Fsm(fifo_with_seq),
        expect: || {
            vec![files(&[
                "sqs/seq.fifo/_queue.json",
                "sqs/seq.fifo/messages.jsonl",
            ])]
        },
    },
    Row {
        name: "REQ-DEC-9-seq-as-side-record",
        note: "[Decision] with the flag a seq record is a side record (upstream aborts with a malformed key on every FIFO queue)",
        flags: &[SIDE],
        input: Fsm(fifo_with_seq),
        expect: || {
            let side = "sqs/seq.fifo/_internals/side_records.jsonl";
            vec![
                lines(side, 1),
                has(
                    side,
                    r#"{"prefix":"!sqs|queue|seq|","key_hex":"217371737c71756575657c7365717c633256784c6d5a705a6d38","value_b64":"NDI"}"#,
                ),
            ]
        },
    },
    Row {
        name: "REQ-DEC-10-key-value-mismatch",
        note: "a data key whose gen and id disagree with its value is not fatal: the value's fields are written (sqsdump warns on stderr)",
        flags: &[],
        input: Fsm(|| {
            Snap::new()
                .put(&meta_key(b"mm"), 10, &meta("mm", ""))
                .put(
                    &data_key(b"mm", 1, b"key-id"),
                    100,
                    &msg("value-id", b"x", T0, 2, ""),
                )
                .bytes()
        }),
        expect: || vec![has("sqs/mm/messages.jsonl", r#""message_id":"value-id","#)],
    },
    Row {
        name: "REQ-DEC-11-unsorted-stream",
        note: "entries with distinct user keys may come in any order: a reversed stream gives the sorted stream's dump",
        flags: &[],
        input: Fsm(unsorted_stream),
        expect: || {
            vec![
                ids(ORDERS[1], &["o-1", "o-2"]),
                lines("sqs/alpha/messages.jsonl", 1),
            ]
        },
    },
    Row {
        name: "REQ-DEC-12-queue-without-messages",
        note: "a queue with meta and no surviving message gets _queue.json and no messages.jsonl",
        flags: &[],
        input: Fsm(|| {
            Snap::new()
                .put(&meta_key(b"empty"), 10, &meta("empty", ""))
                .put(&gen_key(b"empty"), 10, b"2")
                .put(
                    &data_key(b"empty", 1, b"old"),
                    100,
                    &msg("old", b"x", T0, 1, ""),
                )
                .bytes()
        }),
        expect: || vec![files(&["sqs/empty/_queue.json"])],
    },
    Row {
        name: "REQ-DEC-13-unknown-family",
        note: "keys of an unknown !sqs| family are skipped (with a warning on stderr)",
        flags: &[SIDE],
        input: Fsm(|| {
            orders()
                .put(b"!sqs|msg|future|whatever", 100, b"?")
                .put(b"!sqs|x", 100, b"?")
                .bytes()
        }),
        expect: || vec![files(&ORDERS)],
    },
];

/// b64 dedup ids: "" and "NQ"-extended keys; Pebble puts the longer key
/// first, sqsdump writes user-key order.
fn side_record_order() -> Vec<u8> {
    Snap::new()
        .put(
            &meta_key(b"ord.fifo"),
            10,
            &meta("ord.fifo", r#","is_fifo":true"#),
        )
        .put(&dedup_key(b"ord.fifo", None, 0, b""), 20, b"first")
        .put(&dedup_key(b"ord.fifo", None, 0, b"5"), 20, b"second")
        .bytes()
}

/// `orders` and the message and side records of a queue `gone` with no
/// meta record.
fn orphan() -> Vec<u8> {
    orders()
        .put(
            &data_key(b"gone", 1, b"g-1"),
            100,
            &msg("g-1", b"x", T0, 1, ""),
        )
        .put(&tomb_key(b"gone", 1), 200, b"")
        .put(&vis_key(b"gone", None, 1, 7, b"g-1"), 100, b"\x00\xff")
        .bytes()
}

fn stale_generation() -> Vec<u8> {
    Snap::new()
        .put(&meta_key(b"purged"), 10, &meta("purged", ""))
        .put(&gen_key(b"purged"), 400, b"2")
        .put(
            &data_key(b"purged", 1, b"p-1"),
            100,
            &msg("p-1", b"purged", T0, 1, ""),
        )
        .put(
            &data_key(b"purged", 1, b"p-2"),
            110,
            &msg("p-2", b"purged", T0 + 1, 1, ""),
        )
        .put(
            &data_key(b"purged", 2, b"p-3"),
            500,
            &msg("p-3", b"live", T0 + 2, 2, ""),
        )
        .bytes()
}

/// A queue `mixed` with messages of gens 1 and 2 and this gen record.
fn mixed_generations(gen: Option<&[u8]>) -> Vec<u8> {
    let mut s = Snap::new();
    s.put(&meta_key(b"mixed"), 10, &meta("mixed", ""));
    if let Some(g) = gen {
        s.put(&gen_key(b"mixed"), 10, g);
    }
    s.put(
        &data_key(b"mixed", 1, b"m-1"),
        100,
        &msg("m-1", b"x", T0, 1, ""),
    )
    .put(
        &data_key(b"mixed", 2, b"m-2"),
        100,
        &msg("m-2", b"x", T0 + 1, 2, ""),
    )
    .bytes()
}

/// A queue `inflight` with two received messages.
fn inflight() -> Vec<u8> {
    Snap::new()
        .put(&meta_key(b"inflight"), 10, &meta("inflight", ""))
        .put(
            &data_key(b"inflight", 1, b"i-1"),
            100,
            &msg("i-1", b"in flight", T0, 1, r#","receive_count":3"#),
        )
        .put(
            &data_key(b"inflight", 1, b"i-2"),
            100,
            &msg("i-2", b"received once", T0 + 1, 1, ""),
        )
        .bytes()
}

fn partition_field() -> Vec<u8> {
    Snap::new()
        .put(
            &meta_key(b"parts"),
            10,
            &meta("parts", r#","partition_count":4"#),
        )
        .put(
            &pdata_key(b"parts", 0, 1, b"p0"),
            100,
            &msg("p0", b"x", T0, 1, ""),
        )
        .put(
            &pdata_key(b"parts", 2, 1, b"p2"),
            100,
            &msg("p2", b"x", T0 + 1, 1, ""),
        )
        .put(
            &data_key(b"parts", 1, b"legacy"),
            100,
            &msg("legacy", b"x", T0 + 2, 1, ""),
        )
        .bytes()
}

fn message_order() -> Vec<u8> {
    let mut s = Snap::new();
    s.put(
        &meta_key(b"ord.fifo"),
        10,
        &meta("ord.fifo", r#","is_fifo":true"#),
    );
    for (id, ts, seq) in [
        ("a", 300, 0u64),
        ("b", 100, 2),
        ("c", 100, 1),
        ("d", 200, 0),
        ("e", 200, 0),
        ("f", 100, 2),
        ("g", 50, 9),
    ] {
        s.put(
            &data_key(b"ord.fifo", 1, id.as_bytes()),
            100,
            &msg(
                id,
                id.as_bytes(),
                T0 + ts,
                1,
                &format!(r#","sequence_number":{seq}"#),
            ),
        );
    }
    s.bytes()
}

/// `orders`, a queue `idle` without messages, and a side record of each.
fn sides() -> Vec<u8> {
    orders()
        .put(&meta_key(b"idle"), 10, &meta("idle", ""))
        .put(&vis_key(b"idle", None, 1, 9, b"x"), 100, b"v")
        .put(&tomb_key(b"orders", 0), 5, b"")
        .bytes()
}

fn fifo_with_seq() -> Vec<u8> {
    Snap::new()
        .put(
            &meta_key(b"seq.fifo"),
            10,
            &meta("seq.fifo", r#","is_fifo":true"#),
        )
        .put(&seq_key(b"seq.fifo"), 100, b"42")
        .put(
            &data_key(b"seq.fifo", 1, b"s-1"),
            100,
            &msg(
                "s-1",
                b"x",
                T0,
                1,
                r#","message_group_id":"g","sequence_number":42"#,
            ),
        )
        .bytes()
}

/// `orders` and a queue `alpha`, written in reverse Pebble order.
fn unsorted_stream() -> Vec<u8> {
    let mut s = orders();
    s.put(&meta_key(b"alpha"), 10, &meta("alpha", ""));
    s.put(
        &data_key(b"alpha", 1, b"a-1"),
        100,
        &msg("a-1", b"x", T0, 1, ""),
    );
    s.entries.reverse();
    s.keep_order().bytes()
}
