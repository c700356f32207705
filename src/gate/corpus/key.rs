//! Corpus cases for SQS keys (REQ-KEY).

#[allow(unused_imports)]
use super::*;
use crate::key;

pub(super) fn key_cases(c: &mut Cases) {
    let q = b"fam.fifo";
    let mut s = Snap::new();
    s.put(&meta_key(q), 10, &meta("fam.fifo", r#","is_fifo":true"#));
    s.put(&gen_key(q), 40, b"2");
    s.put(&tomb_key(q, 1), 40, b"");
    s.put(
        &data_key(q, 2, b"m-1"),
        50,
        &msg(
            "m-1",
            b"x",
            T0,
            2,
            r#","message_group_id":"g","sequence_number":1"#,
        ),
    );
    s.put(&vis_key(q, None, 2, 1_700_000_030_000, b"m-1"), 50, b"m-1");
    s.put(&byage_key(q, None, 2, T0 as u64, b"m-1"), 50, b"m-1");
    s.put(&dedup_key(q, None, 2, b"d-1"), 50, b"m-1");
    s.put(&group_key(q, None, 2, b"g"), 50, b"m-1");
    let side = q_path("fam.fifo", "_internals/side_records.jsonl");
    c.add(
        "REQ-KEY-1-all-families",
        "one key of each family but queue|seq (a Decision, REQ-DEC-9): meta, gen and data are decoded, the five others become side records",
        &[SIDE],
        s.bytes(),
        vec![
            lines(&q_path("fam.fifo", "messages.jsonl"), 1),
            lines(&side, 5),
            has(&side, "!sqs|queue|tombstone|"),
            has(&side, "!sqs|msg|vis|"),
            has(&side, "!sqs|msg|byage|"),
            has(&side, "!sqs|msg|dedup|"),
            has(&side, "!sqs|msg|group|"),
        ],
    );
    let mut s = Snap::new();
    s.put(&meta_key(b"orders"), 10, &meta("orders", ""));
    s.put(
        &data_key(b"orders", 7, b"id/with+odd=bytes"),
        100,
        &msg("id/with+odd=bytes", b"x", T0, 7, ""),
    );
    c.add(
        "REQ-KEY-2-legacy-data-key",
        "a legacy data key: queue segment, 8 gen bytes, message-id segment",
        &[],
        s.bytes(),
        vec![has(
            &q_path("orders", "messages.jsonl"),
            r#""message_id":"id/with+odd=bytes""#,
        )],
    );
    let mut empty_id = b"!sqs|msg|data|b3JkZXJz".to_vec();
    empty_id.extend_from_slice(&1u64.to_be_bytes());
    for (slug, key, what) in [
        (
            "empty-message-id",
            empty_id,
            "a data key with nothing after the gen",
        ),
        (
            "no-gen",
            b"!sqs|msg|data|b3JkZXJz".to_vec(),
            "a data key that ends after the queue segment",
        ),
        (
            "short-gen",
            b"!sqs|msg|data|b3JkZXJz\x00\x00\x01".to_vec(),
            "a data key with 3 of the 8 gen bytes",
        ),
    ] {
        c.add(
            &format!("REQ-KEY-2-{slug}"),
            &format!("{what} is malformed_sqs_key"),
            &[],
            orders()
                .put(&key, 100, &msg("o-9", b"x", T0, 1, ""))
                .bytes(),
            vec![error("malformed_sqs_key")],
        );
    }
    c.add(
        "REQ-KEY-3-side-key-without-trailer",
        "with side records on, a vis key with no bytes after its queue segment is malformed_sqs_key",
        &[SIDE],
        orders().put(b"!sqs|msg|vis|b3JkZXJz", 100, b"").bytes(),
        vec![error("malformed_sqs_key")],
    );

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
    s.put(&vis_key(q, Some(3), 1, 5, b"e-2"), 110, b"");
    s.put(&byage_key(q, Some(3), 1, 6, b"e-2"), 110, b"");
    s.put(&dedup_key(q, Some((3, b"g3")), 1, b"d"), 110, b"");
    s.put(&group_key(q, Some(3), 1, b"g3"), 110, b"");
    c.add(
        "REQ-KEY-4-partitioned-keys",
        "partitioned (HT-FIFO) data and side-record keys parse and route to their queue",
        &[SIDE],
        s.bytes(),
        vec![
            ids(
                &q_path("events.fifo", "messages.jsonl"),
                &["e-1", "e-2", "e-3"],
            ),
            has(&q_path("events.fifo", "messages.jsonl"), r#""partition":3"#),
            lines(&q_path("events.fifo", "_internals/side_records.jsonl"), 4),
        ],
    );
    let mut short = b"!sqs|msg|data|p|b3JkZXJz|".to_vec();
    short.extend_from_slice(&[0; 11]);
    let mut no_id = b"!sqs|msg|data|p|b3JkZXJz|".to_vec();
    no_id.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1]);
    for (slug, key, what) in [
        (
            "short-partitioned-trailer",
            short,
            "a partitioned trailer of 11 bytes (4 partition + 8 gen needed)",
        ),
        (
            "partitioned-without-terminator",
            b"!sqs|msg|data|p|b3JkZXJz".to_vec(),
            "a partitioned key with no '|' after its queue segment",
        ),
        (
            "partitioned-empty-message-id",
            no_id,
            "a partitioned data key with no message id after partition and gen",
        ),
    ] {
        c.add(
            &format!("REQ-KEY-4-{slug}"),
            &format!("{what} is malformed_sqs_key"),
            &[],
            orders()
                .put(&key, 100, &msg("o-9", b"x", T0, 1, ""))
                .bytes(),
            vec![error("malformed_sqs_key")],
        );
    }
    c.add(
        "REQ-KEY-5-meta-key-trailing-bytes",
        "a meta key with a byte after its queue segment is malformed_sqs_key",
        &[],
        orders()
            .put(b"!sqs|queue|meta|cQ\x00", 10, &meta("q", ""))
            .bytes(),
        vec![error("malformed_sqs_key")],
    );
    c.add(
        "REQ-KEY-10-gen-key-trailing-bytes",
        "[Decision] a gen key with bytes after its queue segment is malformed_sqs_key",
        &[],
        orders().put(b"!sqs|queue|gen|b3JkZXJz|x", 10, b"1").bytes(),
        vec![error("malformed_sqs_key")],
    );
    let mut s = Snap::new();
    s.put(b"!sqs|queue|meta|cQ", 10, &meta("q", ""));
    s.put(
        b"!sqs|queue|meta|cR",
        20,
        &meta("q", r#","visibility_timeout_seconds":5"#),
    );
    c.add(
        "REQ-KEY-6-non-canonical-cR",
        "[Decision] cR (nonzero trailing bits) next to cQ is malformed_sqs_key (upstream decodes both to q and one overwrites the other)",
        &[],
        s.bytes(),
        vec![error("malformed_sqs_key")],
    );
    let mut padded = b"!sqs|msg|data|b3JkZXJz".to_vec();
    padded.extend_from_slice(&1u64.to_be_bytes());
    padded.extend_from_slice(b"bzk=");
    c.add(
        "REQ-KEY-6-padded-message-id",
        "a message-id segment with '=' padding is malformed_sqs_key (upstream refuses it too)",
        &[],
        orders()
            .put(&padded, 100, &msg("o9", b"x", T0, 1, ""))
            .bytes(),
        vec![error("malformed_sqs_key")],
    );
    let mut odd = b"!sqs|msg|data|b3JkZXJz".to_vec();
    odd.extend_from_slice(&1u64.to_be_bytes());
    odd.extend_from_slice(b"bzl");
    c.add(
        "REQ-KEY-6-non-canonical-message-id",
        "[Decision] a message-id segment with nonzero trailing bits (bzl for o9) is malformed_sqs_key",
        &[],
        orders().put(&odd, 100, &msg("o9", b"x", T0, 1, "")).bytes(),
        vec![error("malformed_sqs_key")],
    );

    // gen = 0x41 << 56 | 1: its first byte 'A' is in the base64url
    // alphabet, so the queue segment is read as "cQA" (q\0). The message
    // id segment is chosen so that the misread key still parses.
    let big_gen: u64 = (0x41 << 56) | 1;
    let id_bytes = key::decode_b64_strict("message id", b"AbXNnLTE").unwrap_or_default();
    let mut s = Snap::new();
    s.put(&meta_key(b"q"), 10, &meta("q", ""));
    s.put(&meta_key(b"q\0"), 10, &meta("q-nul", ""));
    s.put(
        &data_key(b"q", big_gen, &id_bytes),
        100,
        &msg("msg-1", b"written to q with gen 2^62+", T0, big_gen, ""),
    );
    c.add(
        "REQ-KEY-8-gen-2-56-misparse",
        "documented limit, as upstream: a legacy key with gen >= 2^56 starting with an alphabet byte is read as queue q\\0 (a key/value mismatch warning goes to stderr)",
        &[],
        s.bytes(),
        vec![
            files(&[
                "sqs/q/_queue.json",
                "sqs/q%00/_queue.json",
                "sqs/q%00/messages.jsonl",
            ]),
            has(
                &q_path("q%00", "messages.jsonl"),
                &format!(r#""queue_generation":{big_gen}"#),
            ),
        ],
    );
    let mut empty_data = b"!sqs|msg|data|".to_vec();
    empty_data.extend_from_slice(&1u64.to_be_bytes());
    empty_data.extend_from_slice(b"bTE");
    let mut empty_part = b"!sqs|msg|data|p||".to_vec();
    empty_part.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    empty_part.extend_from_slice(b"bTE");
    for (slug, key, value, what) in [
        (
            "empty-queue-meta",
            b"!sqs|queue|meta|".to_vec(),
            meta("", ""),
            "[Decision] a meta key with an empty queue segment is malformed_sqs_key (upstream writes a queue named \"\" into sqs/ itself)",
        ),
        (
            "empty-queue-data",
            empty_data,
            msg("m1", b"x", T0, 1, ""),
            "a legacy data key with an empty queue segment is malformed_sqs_key (upstream refuses it too)",
        ),
        (
            "empty-queue-partitioned",
            empty_part,
            msg("m1", b"x", T0, 1, ""),
            "a partitioned data key with an empty queue segment is malformed_sqs_key (upstream refuses it too)",
        ),
    ] {
        c.add(
            &format!("REQ-KEY-9-{slug}"),
            what,
            &[],
            orders().put(&key, 10, &value).bytes(),
            vec![error("malformed_sqs_key")],
        );
    }
}
