//! The deterministic builder of `examples/sample.fsm` (REQ-CLI-11).
//!
//! The sample holds, at `last_commit_ts` 1000:
//! - `orders`: a standard queue; one message updated (receive count) and
//!   one deleted by a newer tombstone; a message that expired;
//! - `payments.fifo`: a FIFO queue with two interleaved groups;
//! - `events.fifo`: an HT-FIFO queue with partitioned keys and tags, each
//!   message on its group's lane (the dump restores, REQ-CLI-11);
//! - `blobs`: a binary body next to an HTML-bearing one;
//! - `purged`: a gen bump that left messages of the old generation;
//! - an orphan (`deleted`) whose meta is gone but a message and a
//!   tombstone side record remain;
//! - a version after the header, operational keys and a non-SQS key.

use sqsdump::encode::model::lane;
use sqsdump::fsm::{encode_header, encode_key, encode_raw_entry, encode_value, FLAG_TOMBSTONE};
use sqsdump::key::{build, KeyParts};

use super::{data_key, gen_key, meta_key, meta_value, msg_value, std_b64};

pub const LAST_COMMIT_TS: u64 = 1000;

struct Entry {
    key: Vec<u8>,
    value: Vec<u8>,
}

fn version(
    out: &mut Vec<Entry>,
    user_key: &[u8],
    ts: u64,
    tombstone: bool,
    expire: u64,
    body: &[u8],
) {
    let flags = if tombstone { FLAG_TOMBSTONE } else { 0 };
    out.push(Entry {
        key: encode_key(user_key, ts),
        value: encode_value(flags, expire, body),
    });
}

fn msg(id: &str, body: &[u8], ts: i64, gen: u64, extra: &str) -> Vec<u8> {
    msg_value(&format!(
        r#"{{"message_id":"{id}","body":"{}","md5_of_body":"","send_timestamp_millis":{ts},"available_at_millis":{ts},"visible_at_millis":{ts},"receive_count":0,"queue_generation":{gen}{extra}}}"#,
        std_b64(body)
    ))
}

/// The sample snapshot's bytes.
// REQ-CLI-11
pub fn sample_fsm() -> Vec<u8> {
    let mut e = Vec::new();
    let standard =
        r#","visibility_timeout_seconds":30,"message_retention_seconds":345600,"delay_seconds":0"#;

    // orders: standard queue with history.
    version(
        &mut e,
        &meta_key("orders"),
        10,
        false,
        0,
        &meta_value(&format!(
            r#"{{"name":"orders"{standard},"maximum_message_size":262144}}"#
        )),
    );
    version(&mut e, &gen_key("orders"), 10, false, 0, b"1");
    let o1 = data_key("orders", None, 1, "o-1");
    version(
        &mut e,
        &o1,
        100,
        false,
        0,
        &msg(
            "o-1",
            b"{\"sku\":\"A-1\",\"qty\":2}",
            1_700_000_000_000,
            1,
            "",
        ),
    );
    // Updated by a receive at ts 200: the newer version wins.
    version(
        &mut e,
        &o1,
        200,
        false,
        0,
        &msg(
            "o-1",
            b"{\"sku\":\"A-1\",\"qty\":2}",
            1_700_000_000_000,
            1,
            r#","receive_count":1,"current_receipt_token":"AAEC""#,
        ),
    );
    let o2 = data_key("orders", None, 1, "o-2");
    version(
        &mut e,
        &o2,
        110,
        false,
        0,
        &msg("o-2", b"deleted later", 1_700_000_000_500, 1, ""),
    );
    version(&mut e, &o2, 300, true, 0, b"");
    let o3 = data_key("orders", None, 1, "o-3");
    version(
        &mut e,
        &o3,
        120,
        false,
        0,
        &msg(
            "o-3",
            b"{\"sku\":\"B-7\",\"qty\":1}",
            1_700_000_001_000,
            1,
            "",
        ),
    );
    let o4 = data_key("orders", None, 1, "o-4");
    version(
        &mut e,
        &o4,
        130,
        false,
        900,
        &msg("o-4", b"expired", 1_700_000_001_500, 1, ""),
    );
    // Written after the snapshot's read timestamp: ignored with a warning.
    let o5 = data_key("orders", None, 1, "o-5");
    version(
        &mut e,
        &o5,
        1500,
        false,
        0,
        &msg("o-5", b"too new", 1_700_000_002_000, 1, ""),
    );

    // payments.fifo: two groups interleaved.
    version(
        &mut e,
        &meta_key("payments.fifo"),
        20,
        false,
        0,
        &meta_value(&format!(
            r#"{{"name":"payments.fifo","is_fifo":true,"content_based_dedup":true{standard}}}"#
        )),
    );
    version(&mut e, &gen_key("payments.fifo"), 20, false, 0, b"1");
    for (i, (id, group)) in [
        ("p-1", "alice"),
        ("p-2", "bob"),
        ("p-3", "alice"),
        ("p-4", "bob"),
    ]
    .iter()
    .enumerate()
    {
        let seq = i as u64 + 1;
        version(
            &mut e,
            &data_key("payments.fifo", None, 1, id),
            140 + seq,
            false,
            0,
            &msg(
                id,
                format!("payment {seq} for {group}").as_bytes(),
                1_700_000_000_000 + i as i64 / 2,
                1,
                &format!(
                    r#","message_group_id":"{group}","message_deduplication_id":"{id}","sequence_number":{seq}"#
                ),
            ),
        );
    }
    version(
        &mut e,
        &build(&KeyParts::QueueSeq {
            queue: b"payments.fifo".to_vec(),
        }),
        150,
        false,
        0,
        b"4",
    );

    // events.fifo: HT-FIFO with partitions and tags.
    version(
        &mut e,
        &meta_key("events.fifo"),
        30,
        false,
        0,
        &meta_value(&format!(
            r#"{{"name":"events.fifo","is_fifo":true{standard},"partition_count":4,"fifo_throughput_limit":"perMessageGroupId","deduplication_scope":"messageGroup","tags":{{"team":"platform","env":"prod"}}}}"#
        )),
    );
    version(&mut e, &gen_key("events.fifo"), 30, false, 0, b"1");
    // Each message on the lane the live router gives its group (dev-1 on
    // partition 2, dev-2 on 3), so the dump restores.
    for (id, group, seq) in [
        ("e-1", "dev-1", 1u64),
        ("e-2", "dev-2", 1),
        ("e-3", "dev-1", 2),
    ] {
        let part = lane(4, "perMessageGroupId", group);
        version(
            &mut e,
            &data_key("events.fifo", Some(part), 1, id),
            160 + seq,
            false,
            0,
            &msg(
                id,
                format!("event {id}").as_bytes(),
                1_700_000_100_000 + seq as i64,
                1,
                &format!(r#","message_group_id":"{group}","sequence_number":{seq}"#),
            ),
        );
    }

    // blobs: binary and HTML-bearing bodies.
    version(
        &mut e,
        &meta_key("blobs"),
        40,
        false,
        0,
        &meta_value(&format!(r#"{{"name":"blobs"{standard}}}"#)),
    );
    version(
        &mut e,
        &data_key("blobs", None, 1, "b-1"),
        170,
        false,
        0,
        &msg(
            "b-1",
            b"\x89PNG\r\n\x1a\n\x00\x00",
            1_700_000_200_000,
            1,
            "",
        ),
    );
    version(
        &mut e,
        &data_key("blobs", None, 1, "b-2"),
        171,
        false,
        0,
        &msg(
            "b-2",
            b"<p>Tom & Jerry</p>",
            1_700_000_200_001,
            1,
            r#","message_attributes":{"kind":{"DataType":"String","StringValue":"html"}}"#,
        ),
    );

    // purged: generation 2 is active; generation 1 messages remain.
    version(
        &mut e,
        &meta_key("purged"),
        50,
        false,
        0,
        &meta_value(&format!(r#"{{"name":"purged"{standard}}}"#)),
    );
    version(&mut e, &gen_key("purged"), 50, false, 0, b"1");
    version(&mut e, &gen_key("purged"), 400, false, 0, b"2");
    version(
        &mut e,
        &data_key("purged", None, 1, "x-1"),
        180,
        false,
        0,
        &msg("x-1", b"before purge", 1_700_000_300_000, 1, ""),
    );
    version(
        &mut e,
        &data_key("purged", None, 2, "x-2"),
        500,
        false,
        0,
        &msg("x-2", b"after purge", 1_700_000_400_000, 2, ""),
    );

    // deleted: the meta record was deleted; a message and a tombstone
    // side record remain (an orphan).
    version(
        &mut e,
        &meta_key("deleted"),
        60,
        false,
        0,
        &meta_value(&format!(r#"{{"name":"deleted"{standard}}}"#)),
    );
    version(&mut e, &meta_key("deleted"), 600, true, 0, b"");
    version(
        &mut e,
        &data_key("deleted", None, 1, "d-1"),
        190,
        false,
        0,
        &msg("d-1", b"left behind", 1_700_000_500_000, 1, ""),
    );
    version(
        &mut e,
        &build(&KeyParts::QueueTombstone {
            queue: b"deleted".to_vec(),
            gen: 1,
        }),
        600,
        false,
        0,
        b"",
    );

    // Another keyspace, counted but not decoded.
    version(&mut e, b"!redis|str|greeting", 70, false, 0, b"hello");

    e.sort_by(|a, b| a.key.cmp(&b.key));
    let mut out = encode_header(LAST_COMMIT_TS);
    for entry in &e {
        encode_raw_entry(&mut out, &entry.key, &entry.value);
    }
    // Raw Pebble bookkeeping keys, as the live store writes them.
    for k in [
        &b"_meta_applied_index"[..],
        b"_meta_last_commit_ts",
        b"_meta_min_retained_ts",
    ] {
        encode_raw_entry(&mut out, k, &LAST_COMMIT_TS.to_le_bytes());
    }
    out
}
