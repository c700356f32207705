//! Corpus cases for decoding (REQ-DEC).

#[allow(unused_imports)]
use super::*;
use crate::key;

pub(super) fn dec_cases(c: &mut Cases) {
    // b64 dedup ids: "" and "NQ"-extended keys; Pebble puts the longer
    // key first, sqsdump writes user-key order.
    let mut s = Snap::new();
    s.put(
        &meta_key(b"ord.fifo"),
        10,
        &meta("ord.fifo", r#","is_fifo":true"#),
    );
    s.put(&dedup_key(b"ord.fifo", None, 0, b""), 20, b"first");
    s.put(&dedup_key(b"ord.fifo", None, 0, b"5"), 20, b"second");
    let side = q_path("ord.fifo", "_internals/side_records.jsonl");
    c.add(
        "REQ-DEC-14-side-record-order",
        "[Decision] side records are written in user-key order: the dedup record with an empty id before the one whose key extends it, which Pebble (and upstream) put first",
        &[SIDE],
        s.bytes(),
        vec![lines(&side, 2), has(&side, r#""value_b64":"Zmlyc3Q"}"#)],
    );
    let mut s = Snap::new();
    s.put(&meta_key(b"keyname"), 10, &meta("", ""));
    s.put(&meta_key(b"other"), 10, &meta("Display Name", ""));
    c.add(
        "REQ-DEC-1-queue-names",
        "the directory comes from the key's name; _queue.json's name is the live name, or the key's when empty",
        &[],
        s.bytes(),
        vec![
            has(&q_path("keyname", "_queue.json"), r#""name": "keyname""#),
            has(&q_path("other", "_queue.json"), r#""name": "Display Name""#),
        ],
    );
    let mut s = orders();
    s.put(
        &data_key(b"gone", 1, b"g-1"),
        100,
        &msg("g-1", b"x", T0, 1, ""),
    );
    s.put(&gen_key(b"gone"), 10, b"1");
    c.add(
        "REQ-DEC-2-orphan-messages-dropped",
        "messages of a queue with no meta record are dropped (with a warning on stderr)",
        &[],
        s.bytes(),
        vec![files(&[
            "sqs/orders/_queue.json",
            "sqs/orders/messages.jsonl",
        ])],
    );
    let mut s = orders();
    s.put(&gen_key(b"deleted"), 10, b"3");
    s.del(&meta_key(b"deleted"), 20);
    c.add(
        "REQ-DEC-2-deleted-queue-gen-only",
        "a deleted queue that left only its gen record is no orphan: nothing is written (and sqsdump warns of nothing)",
        &[],
        s.bytes(),
        vec![files(&[
            "sqs/orders/_queue.json",
            "sqs/orders/messages.jsonl",
        ])],
    );
    let orphan = || {
        let mut s = orders();
        s.put(
            &data_key(b"gone", 1, b"g-1"),
            100,
            &msg("g-1", b"x", T0, 1, ""),
        );
        s.put(&tomb_key(b"gone", 1), 200, b"");
        s.put(&vis_key(b"gone", None, 1, 7, b"g-1"), 100, b"\x00\xff");
        s
    };
    c.add(
        "REQ-DEC-3-orphan-side-records",
        "with side records on, an orphan's side records go to sqs/<encoded>.orphan/_internals/side_records.jsonl",
        &[SIDE],
        orphan().bytes(),
        vec![
            lines("sqs/Z29uZQ.orphan/_internals/side_records.jsonl", 2),
            files(&[
                "sqs/orders/_queue.json",
                "sqs/orders/messages.jsonl",
                "sqs/Z29uZQ.orphan/_internals/side_records.jsonl",
            ]),
        ],
    );
    c.add(
        "REQ-DEC-3-orphan-side-records-need-flag",
        "without the flag, an orphan's side records are not written",
        &[],
        orphan().bytes(),
        vec![files(&[
            "sqs/orders/_queue.json",
            "sqs/orders/messages.jsonl",
        ])],
    );
    let long = vec![b'L'; 200];
    let long_dir = crate::segment::orphan_dir(&key::b64(&long));
    let mut s = Snap::new();
    s.put(&tomb_key(&long, 1), 200, b"");
    c.add(
        "REQ-DEC-3-long-orphan-name",
        "[Decision] when <encoded>.orphan would exceed 255 bytes, its hash fallback names the directory",
        &[SIDE],
        s.bytes(),
        vec![lines(
            &format!("sqs/{long_dir}/_internals/side_records.jsonl"),
            1,
        )],
    );
    let mut s = Snap::new();
    s.put(&meta_key(b"purged"), 10, &meta("purged", ""));
    s.put(&gen_key(b"purged"), 400, b"2");
    s.put(
        &data_key(b"purged", 1, b"p-1"),
        100,
        &msg("p-1", b"purged", T0, 1, ""),
    );
    s.put(
        &data_key(b"purged", 1, b"p-2"),
        110,
        &msg("p-2", b"purged", T0 + 1, 1, ""),
    );
    s.put(
        &data_key(b"purged", 2, b"p-3"),
        500,
        &msg("p-3", b"live", T0 + 2, 2, ""),
    );
    c.add(
        "REQ-DEC-4-stale-generation",
        "with active gen 2, messages of gen 1 (purged, not yet reaped) are dropped (with a warning on stderr)",
        &[],
        s.bytes(),
        vec![ids(&q_path("purged", "messages.jsonl"), &["p-3"])],
    );
    for (slug, gen, what) in [
        ("no-gen-record", None, "without a gen record"),
        ("gen-zero", Some(&b"0"[..]), "with a gen value of 0"),
    ] {
        let mut s = Snap::new();
        s.put(&meta_key(b"mixed"), 10, &meta("mixed", ""));
        if let Some(g) = gen {
            s.put(&gen_key(b"mixed"), 10, g);
        }
        s.put(
            &data_key(b"mixed", 1, b"m-1"),
            100,
            &msg("m-1", b"x", T0, 1, ""),
        );
        s.put(
            &data_key(b"mixed", 2, b"m-2"),
            100,
            &msg("m-2", b"x", T0 + 1, 2, ""),
        );
        c.add(
            &format!("REQ-DEC-4-{slug}"),
            &format!("{what}, messages of every generation are kept"),
            &[],
            s.bytes(),
            vec![ids(&q_path("mixed", "messages.jsonl"), &["m-1", "m-2"])],
        );
    }
    let vis = || {
        let mut s = Snap::new();
        s.put(&meta_key(b"inflight"), 10, &meta("inflight", ""));
        s.put(
            &data_key(b"inflight", 1, b"i-1"),
            100,
            &msg("i-1", b"in flight", T0, 1, r#","receive_count":3"#),
        );
        s.put(
            &data_key(b"inflight", 1, b"i-2"),
            100,
            &msg("i-2", b"received once", T0 + 1, 1, ""),
        );
        s.bytes()
    };
    c.add(
        "REQ-DEC-5-visibility-zeroed",
        "by default visible_at_millis and receive_count are 0, first_receive_millis and current_receipt_token are left out",
        &[],
        vis(),
        vec![
            has(
                &q_path("inflight", "messages.jsonl"),
                r#""visible_at_millis":0,"receive_count":0,"queue_generation":1}"#,
            ),
            lacks(&q_path("inflight", "messages.jsonl"), "receipt"),
        ],
    );
    c.add(
        "REQ-DEC-5-preserve-visibility",
        "--preserve-visibility keeps the live visibility state",
        &[PRESERVE],
        vis(),
        vec![has(
            &q_path("inflight", "messages.jsonl"),
            r#""visible_at_millis":1700000030000,"receive_count":3,"first_receive_millis":1700000000005,"current_receipt_token":"cmVjZWlwdA==""#,
        )],
    );
    let mut s = Snap::new();
    s.put(
        &meta_key(b"parts"),
        10,
        &meta("parts", r#","partition_count":4"#),
    );
    s.put(
        &pdata_key(b"parts", 0, 1, b"p0"),
        100,
        &msg("p0", b"x", T0, 1, ""),
    );
    s.put(
        &pdata_key(b"parts", 2, 1, b"p2"),
        100,
        &msg("p2", b"x", T0 + 1, 1, ""),
    );
    s.put(
        &data_key(b"parts", 1, b"legacy"),
        100,
        &msg("legacy", b"x", T0 + 2, 1, ""),
    );
    c.add(
        "REQ-DEC-6-partition-field",
        "messages from partitioned keys carry \"partition\" (even 0); a legacy message has none",
        &[],
        s.bytes(),
        vec![
            has(
                &q_path("parts", "messages.jsonl"),
                r#""queue_generation":1,"partition":0}"#,
            ),
            has(
                &q_path("parts", "messages.jsonl"),
                r#""queue_generation":1,"partition":2}"#,
            ),
            lines(&q_path("parts", "messages.jsonl"), 3),
            // Only the legacy line ends without a partition.
            has(
                &q_path("parts", "messages.jsonl"),
                r#""receive_count":0,"queue_generation":1}"#,
            ),
        ],
    );
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
    c.add(
        "REQ-DEC-7-message-order",
        "messages are sorted by send timestamp, then sequence number, then message id",
        &[],
        s.bytes(),
        vec![ids(
            &q_path("ord.fifo", "messages.jsonl"),
            &["g", "c", "b", "f", "d", "e", "a"],
        )],
    );
    let sides = || {
        let mut s = orders();
        s.put(&meta_key(b"idle"), 10, &meta("idle", ""));
        s.put(&vis_key(b"idle", None, 1, 9, b"x"), 100, b"v");
        s.put(&tomb_key(b"orders", 0), 5, b"");
        s.bytes()
    };
    c.add(
        "REQ-DEC-8-side-records-dropped-by-default",
        "without the flag no side records are written",
        &[],
        sides(),
        vec![files(&[
            "sqs/idle/_queue.json",
            "sqs/orders/_queue.json",
            "sqs/orders/messages.jsonl",
        ])],
    );
    c.add(
        "REQ-DEC-8-side-records-without-messages",
        "with the flag side records are written, also for a queue with no messages",
        &[SIDE],
        sides(),
        vec![files(&[
            "sqs/idle/_internals/side_records.jsonl",
            "sqs/idle/_queue.json",
            "sqs/orders/_internals/side_records.jsonl",
            "sqs/orders/_queue.json",
            "sqs/orders/messages.jsonl",
        ])],
    );
    c.add(
        "REQ-DEC-8-side-keys-not-parsed-without-flag",
        "without the flag side-record keys are not even parsed: a trailerless vis key is no error",
        &[],
        orders().put(b"!sqs|msg|vis|b3JkZXJz", 100, b"").bytes(),
        vec![lines(&q_path("orders", "messages.jsonl"), 2)],
    );
    let fifo = || {
        let mut s = Snap::new();
        s.put(
            &meta_key(b"seq.fifo"),
            10,
            &meta("seq.fifo", r#","is_fifo":true"#),
        );
        s.put(&seq_key(b"seq.fifo"), 100, b"42");
        s.put(
            &data_key(b"seq.fifo", 1, b"s-1"),
            100,
            &msg(
                "s-1",
                b"x",
                T0,
                1,
                r#","message_group_id":"g","sequence_number":42"#,
            ),
        );
        s.bytes()
    };
    c.add(
        "REQ-DEC-9-seq-ignored-by-default",
        "a FIFO queue's seq record is ignored by default",
        &[],
        fifo(),
        vec![files(&[
            "sqs/seq.fifo/_queue.json",
            "sqs/seq.fifo/messages.jsonl",
        ])],
    );
    c.add(
        "REQ-DEC-9-seq-as-side-record",
        "[Decision] with the flag a seq record is a side record (upstream aborts with a malformed key on every FIFO queue)",
        &[SIDE],
        fifo(),
        vec![
            lines(&q_path("seq.fifo", "_internals/side_records.jsonl"), 1),
            has(
                &q_path("seq.fifo", "_internals/side_records.jsonl"),
                r#"{"prefix":"!sqs|queue|seq|","key_hex":"217371737c71756575657c7365717c633256784c6d5a705a6d38","value_b64":"NDI"}"#,
            ),
        ],
    );
    let mut s = Snap::new();
    s.put(&meta_key(b"mm"), 10, &meta("mm", ""));
    s.put(
        &data_key(b"mm", 1, b"key-id"),
        100,
        &msg("value-id", b"x", T0, 2, ""),
    );
    c.add(
        "REQ-DEC-10-key-value-mismatch",
        "a data key whose gen and id disagree with its value is not fatal: the value's fields are written (sqsdump warns on stderr)",
        &[],
        s.bytes(),
        vec![has(
            &q_path("mm", "messages.jsonl"),
            r#""message_id":"value-id","#,
        )],
    );
    let mut s = orders();
    s.put(&meta_key(b"alpha"), 10, &meta("alpha", ""));
    s.put(
        &data_key(b"alpha", 1, b"a-1"),
        100,
        &msg("a-1", b"x", T0, 1, ""),
    );
    let mut shuffled = s.clone();
    shuffled.entries.reverse();
    shuffled.keep_order();
    c.add(
        "REQ-DEC-11-unsorted-stream",
        "entries with distinct user keys may come in any order: a reversed stream gives the sorted stream's dump",
        &[],
        shuffled.bytes(),
        vec![
            ids(&q_path("orders", "messages.jsonl"), &["o-1", "o-2"]),
            lines(&q_path("alpha", "messages.jsonl"), 1),
        ],
    );
    let mut s = Snap::new();
    s.put(&meta_key(b"empty"), 10, &meta("empty", ""));
    s.put(&gen_key(b"empty"), 10, b"2");
    s.put(
        &data_key(b"empty", 1, b"old"),
        100,
        &msg("old", b"x", T0, 1, ""),
    );
    c.add(
        "REQ-DEC-12-queue-without-messages",
        "a queue with meta and no surviving message gets _queue.json and no messages.jsonl",
        &[],
        s.bytes(),
        vec![files(&["sqs/empty/_queue.json"])],
    );
    c.add(
        "REQ-DEC-13-unknown-family",
        "keys of an unknown !sqs| family are skipped (with a warning on stderr)",
        &[SIDE],
        orders()
            .put(b"!sqs|msg|future|whatever", 100, b"?")
            .put(b"!sqs|x", 100, b"?")
            .bytes(),
        vec![files(&[
            "sqs/orders/_queue.json",
            "sqs/orders/messages.jsonl",
        ])],
    );
}
