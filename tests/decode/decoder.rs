//! The decoder state machine: every scenario of the upstream review
//! threads (brief §10) and every decoding Decision, one test each.

use crate::common;

use common::*;
use sqsdump::decode::Options;
use sqsdump::dump::DecodeStats;
use sqsdump::key::{build, KeyParts};
use sqsdump::warning::Warning;

const META: &str = r#"{"name":"orders","visibility_timeout_seconds":30,"message_retention_seconds":345600,"delay_seconds":0}"#;
const SIDE: Options = Options {
    preserve_visibility: false,
    include_side_records: true,
    require_footer: false,
};

fn vis_key(queue: &str) -> Vec<u8> {
    build(&KeyParts::MsgVis {
        queue: queue.as_bytes().to_vec(),
        partition: None,
        gen: 1,
        visible_at: 5,
        message_id: b"m1".to_vec(),
    })
}

// REQ-VAL-3, REQ-OUT-4, REQ-JSON-15
#[test]
fn queue_meta_round_trip_with_ht_fifo_attributes() {
    let m = decode_sorted(
        Options::default(),
        &[(
            meta_key("jobs.fifo"),
            meta_value(
                r#"{"name":"jobs.fifo","is_fifo":true,"content_based_dedup":true,"visibility_timeout_seconds":45,"message_retention_seconds":60,"delay_seconds":2,"receive_message_wait_seconds":20,"maximum_message_size":1024,"redrive_policy":"{\"maxReceiveCount\":5}","redrive_allow_policy":"allowAll","partition_count":4,"fifo_throughput_limit":"perMessageGroupId","deduplication_scope":"messageGroup","throttle":{"x":1},"generation":9}"#,
            ),
        )],
    )
    .unwrap();
    assert_eq!(
        file(&m, "sqs/jobs.fifo/_queue.json"),
        r#"{
  "format_version": 1,
  "name": "jobs.fifo",
  "fifo": true,
  "content_based_deduplication": true,
  "visibility_timeout_seconds": 45,
  "message_retention_seconds": 60,
  "delay_seconds": 2,
  "receive_message_wait_seconds": 20,
  "maximum_message_size": 1024,
  "redrive_policy": "{\"maxReceiveCount\":5}",
  "redrive_allow_policy": "allowAll",
  "partition_count": 4,
  "fifo_throughput_limit": "perMessageGroupId",
  "deduplication_scope": "messageGroup"
}"#
    );
    assert_eq!(m.queues, vec!["jobs.fifo".to_string()]);
}

// REQ-VAL-4, REQ-OUT-4
#[test]
fn tags_are_written_sorted_after_deduplication_scope() {
    let m = decode_sorted(
        Options::default(),
        &[(
            meta_key("t"),
            meta_value(r#"{"name":"t","tags":{"team":"a<b","env":"prod"}}"#),
        )],
    )
    .unwrap();
    assert_eq!(
        file(&m, "sqs/t/_queue.json"),
        "{\n  \"format_version\": 1,\n  \"name\": \"t\",\n  \"visibility_timeout_seconds\": 0,\n  \"message_retention_seconds\": 0,\n  \"delay_seconds\": 0,\n  \"tags\": {\n    \"env\": \"prod\",\n    \"team\": \"a\\u003cb\"\n  }\n}"
    );
}

// REQ-DEC-7
#[test]
fn messages_are_ordered_by_timestamp_sequence_then_id() {
    let b = std_b64(b"x");
    let m = decode_sorted(
        Options::default(),
        &[
            (meta_key("orders"), meta_value(META)),
            (
                data_key("orders", None, 1, "c"),
                message("c", &b, 20, 1, ""),
            ),
            (
                data_key("orders", None, 1, "b"),
                message("b", &b, 10, 1, ",\"sequence_number\":2"),
            ),
            (
                data_key("orders", None, 1, "a"),
                message("a", &b, 10, 1, ",\"sequence_number\":2"),
            ),
            (
                data_key("orders", None, 1, "z"),
                message("z", &b, 10, 1, ",\"sequence_number\":1"),
            ),
            (
                data_key("orders", None, 1, "y"),
                message("y", &b, 5, 1, ",\"sequence_number\":9"),
            ),
        ],
    )
    .unwrap();
    let ids: Vec<String> = file(&m, "sqs/orders/messages.jsonl")
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["message_id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(ids, ["y", "z", "a", "b", "c"]);
}

// REQ-DEC-5, REQ-OUT-5
#[test]
fn visibility_state_is_zeroed_by_default() {
    let m = decode_sorted(
        Options::default(),
        &[
            (meta_key("orders"), meta_value(META)),
            (
                data_key("orders", None, 1, "m1"),
                message("m1", &std_b64(b"hi"), 1000, 1, ""),
            ),
        ],
    )
    .unwrap();
    assert_eq!(
        file(&m, "sqs/orders/messages.jsonl"),
        "{\"message_id\":\"m1\",\"body\":\"hi\",\"send_timestamp_millis\":1000,\"available_at_millis\":1000,\"visible_at_millis\":0,\"receive_count\":0,\"queue_generation\":1}\n"
    );
}

// REQ-DEC-5, REQ-JSON-14
#[test]
fn preserve_visibility_keeps_live_values() {
    let opts = Options {
        preserve_visibility: true,
        include_side_records: false,
        require_footer: false,
    };
    let m = decode_sorted(
        opts,
        &[
            (meta_key("orders"), meta_value(META)),
            (
                data_key("orders", None, 1, "m1"),
                message("m1", &std_b64(b"hi"), 1000, 1, ""),
            ),
        ],
    )
    .unwrap();
    assert_eq!(
        file(&m, "sqs/orders/messages.jsonl"),
        "{\"message_id\":\"m1\",\"body\":\"hi\",\"send_timestamp_millis\":1000,\"available_at_millis\":1000,\"visible_at_millis\":31000,\"receive_count\":2,\"first_receive_millis\":1005,\"current_receipt_token\":\"cmVjZWlwdA==\",\"queue_generation\":1}\n"
    );
}

// REQ-DEC-2
#[test]
fn orphan_messages_are_dropped_with_a_warning() {
    let m = decode_sorted(
        Options::default(),
        &[(data_key("gone", None, 1, "m1"), message("m1", "", 1, 1, ""))],
    )
    .unwrap();
    assert!(m.files.is_empty());
    assert_eq!(
        m.warnings,
        vec![Warning::OrphanMessages {
            encoded_queue: "Z29uZQ".into(),
            buffered_messages: 1,
            buffered_side_records: 0,
        }]
    );
    assert_eq!(
        m.warnings[0].to_json_line(),
        r#"{"event":"sqs_orphan_messages","encoded_queue":"Z29uZQ","buffered_messages":1,"buffered_side_records":0,"hint":"no !sqs|queue|meta| record matched this encoded queue; messages dropped (a DeleteQueue that left records behind is the usual cause)"}"#
    );
    assert_eq!(m.stats.orphans, 1);
    assert_eq!(m.stats.sqs_records, 1);
}

// REQ-DEC-2
#[test]
fn a_deleted_queue_leaving_only_its_gen_record_is_not_reported() {
    let m = decode_sorted(Options::default(), &[(gen_key("gone"), b"3".to_vec())]).unwrap();
    assert!(m.files.is_empty());
    assert!(m.warnings.is_empty(), "{:?}", m.warnings);
}

// REQ-VAL-1, REQ-ERR-1
#[test]
fn missing_meta_magic_is_rejected() {
    let err = decode_sorted(
        Options::default(),
        &[(meta_key("q"), br#"{"name":"q"}"#.to_vec())],
    )
    .unwrap_err();
    assert_eq!(err.class(), "invalid_queue_meta");
    assert_eq!(
        err.to_string(),
        "invalid queue meta for key \"!sqs|queue|meta|cQ\": missing magic prefix 00 53 51 01"
    );
}

// REQ-VAL-2, REQ-JSON-6, REQ-ERR-1
#[test]
fn message_with_trailing_garbage_is_rejected() {
    let mut v = message("m", "", 1, 1, "");
    v.extend_from_slice(b" x");
    let err = decode_sorted(Options::default(), &[(data_key("q", None, 1, "m"), v)]).unwrap_err();
    assert_eq!(err.class(), "invalid_message");
    assert_eq!(
        err.to_string(),
        "invalid message for key \"!sqs|msg|data|cQ\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x01bQ\": json: trailing data at offset 208"
    );
    let err = decode_sorted(
        Options::default(),
        &[(data_key("q", None, 1, "m"), b"{}".to_vec())],
    )
    .unwrap_err();
    assert_eq!(err.class(), "invalid_message");
}

// REQ-KEY-1, REQ-DEC-13
#[test]
fn unknown_sqs_families_are_skipped_and_reported() {
    let m = decode_sorted(
        Options::default(),
        &[
            (b"!sqs|route|abc".to_vec(), b"x".to_vec()),
            (b"!sqs|route|def".to_vec(), b"x".to_vec()),
            (b"!sqs|queue|throttle|cQ".to_vec(), b"x".to_vec()),
        ],
    )
    .unwrap();
    assert!(m.files.is_empty());
    assert_eq!(
        m.warnings,
        vec![
            Warning::UnknownSqsKeys {
                prefix: "!sqs|queue|throttle|".into(),
                count: 1
            },
            Warning::UnknownSqsKeys {
                prefix: "!sqs|route|abc".into(),
                count: 1
            },
            Warning::UnknownSqsKeys {
                prefix: "!sqs|route|def".into(),
                count: 1
            },
        ]
    );
    // Skipped records still count as fed to the decoder.
    assert_eq!(
        m.stats,
        DecodeStats {
            sqs_records: 3,
            ..DecodeStats::default()
        }
    );
}

// REQ-KEY-2, REQ-ERR-1
#[test]
fn malformed_data_key_error_names_the_key() {
    let mut key = b"!sqs|msg|data|cQ".to_vec();
    key.extend_from_slice(&1u64.to_be_bytes());
    let err = decode(Options::default(), &[(key, message("m", "", 1, 1, ""))]).unwrap_err();
    assert_eq!(err.class(), "malformed_sqs_key");
    assert_eq!(
        err.to_string(),
        "malformed sqs key \"!sqs|msg|data|cQ\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x01\": empty message id segment"
    );
}

// REQ-DEC-8, REQ-OUT-7
#[test]
fn side_records_are_kept_with_the_flag_and_absent_without_it() {
    let records = [
        (meta_key("orders"), meta_value(META)),
        (vis_key("orders"), b"payload".to_vec()),
    ];
    let without = decode_sorted(Options::default(), &records).unwrap();
    assert_eq!(
        without.files.keys().collect::<Vec<_>>(),
        ["sqs/orders/_queue.json"]
    );
    let with = decode_sorted(SIDE, &records).unwrap();
    let key_hex = hex::encode(vis_key("orders"));
    assert_eq!(
        file(&with, "sqs/orders/_internals/side_records.jsonl"),
        format!("{{\"prefix\":\"!sqs|msg|vis|\",\"key_hex\":\"{key_hex}\",\"value_b64\":\"cGF5bG9hZA\"}}\n")
    );
    // Flushed even though the queue has no messages (REQ-DEC-12).
    assert!(!with.files.contains_key("sqs/orders/messages.jsonl"));
}

// REQ-DEC-8
#[test]
fn malformed_side_record_keys_are_not_parsed_without_the_flag() {
    let records = [(b"!sqs|msg|vis|cQ".to_vec(), b"v".to_vec())];
    assert!(decode(Options::default(), &records)
        .unwrap()
        .files
        .is_empty());
    let err = decode(SIDE, &records).unwrap_err();
    assert_eq!(
        err.to_string(),
        "malformed sqs key \"!sqs|msg|vis|cQ\": queue segment boundary not found"
    );
}

// REQ-KEY-3
#[test]
fn side_record_key_without_trailer_is_rejected_with_the_flag() {
    let err = decode(SIDE, &[(b"!sqs|queue|tombstone|cQ".to_vec(), b"".to_vec())]).unwrap_err();
    assert_eq!(err.class(), "malformed_sqs_key");
}

// REQ-DEC-3, REQ-DEC-2
#[test]
fn orphan_side_records_go_to_the_orphan_directory_only_with_the_flag() {
    let records = [
        (vis_key("gone"), b"v".to_vec()),
        (data_key("gone", None, 1, "m1"), message("m1", "", 1, 1, "")),
    ];
    let with = decode_sorted(SIDE, &records).unwrap();
    assert_eq!(
        with.files.keys().collect::<Vec<_>>(),
        ["sqs/Z29uZQ.orphan/_internals/side_records.jsonl"]
    );
    assert_eq!(
        with.warnings,
        vec![Warning::OrphanMessages {
            encoded_queue: "Z29uZQ".into(),
            buffered_messages: 1,
            buffered_side_records: 1,
        }]
    );
    let without = decode_sorted(Options::default(), &records).unwrap();
    assert!(without.files.is_empty());
}

// REQ-DEC-4
#[test]
fn stale_generation_messages_are_dropped_with_a_warning() {
    let m = decode_sorted(
        Options::default(),
        &[
            (meta_key("orders"), meta_value(META)),
            (gen_key("orders"), b"2".to_vec()),
            (
                data_key("orders", None, 1, "old"),
                message("old", "", 1, 1, ""),
            ),
            (
                data_key("orders", None, 2, "new"),
                message("new", "", 2, 2, ""),
            ),
        ],
    )
    .unwrap();
    let text = file(&m, "sqs/orders/messages.jsonl");
    assert_eq!(text.lines().count(), 1);
    assert!(text.contains("\"message_id\":\"new\""));
    assert_eq!(
        m.warnings,
        vec![Warning::StaleGenerationDropped {
            queue: "orders".into(),
            active_gen: 2,
            dropped: 1
        }]
    );
    assert_eq!(m.stats.stale_dropped, 1);
}

// REQ-DEC-4
#[test]
fn no_gen_record_or_gen_zero_filters_nothing() {
    for gen in [None, Some(b"0".to_vec())] {
        let mut records = vec![
            (meta_key("orders"), meta_value(META)),
            (data_key("orders", None, 1, "a"), message("a", "", 1, 1, "")),
            (data_key("orders", None, 7, "b"), message("b", "", 2, 7, "")),
        ];
        if let Some(g) = gen {
            records.push((gen_key("orders"), g));
        }
        let m = decode_sorted(Options::default(), &records).unwrap();
        assert_eq!(file(&m, "sqs/orders/messages.jsonl").lines().count(), 2);
        assert!(m.warnings.is_empty());
    }
}

// REQ-VAL-6, REQ-ERR-1
#[test]
fn invalid_gen_value_is_an_error() {
    let err = decode_sorted(Options::default(), &[(gen_key("q"), b"-1".to_vec())]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid gen value for key \"!sqs|queue|gen|cQ\": \"-1\""
    );
}

// REQ-OUT-6, REQ-JSON-12
#[test]
fn utf8_bodies_are_text_and_binary_bodies_use_the_envelope() {
    let m = decode_sorted(
        Options::default(),
        &[
            (meta_key("orders"), meta_value(META)),
            (
                data_key("orders", None, 1, "t"),
                message("t", &std_b64("<b>&é".as_bytes()), 1, 1, ""),
            ),
            (
                data_key("orders", None, 1, "b"),
                message("b", &std_b64(b"\xff\xfe\x00"), 2, 1, ""),
            ),
        ],
    )
    .unwrap();
    let lines: Vec<&str> = file(&m, "sqs/orders/messages.jsonl").lines().collect();
    assert!(
        lines[0].contains(r#""body":"\u003cb\u003e\u0026é""#),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].contains(r#""body":{"base64":"__4A"}"#),
        "{}",
        lines[1]
    );
}

// REQ-KEY-4, REQ-DEC-6
#[test]
fn partitioned_messages_carry_their_partition() {
    let m = decode_sorted(
        Options::default(),
        &[
            (
                meta_key("p.fifo"),
                meta_value(r#"{"name":"p.fifo","is_fifo":true,"partition_count":2}"#),
            ),
            (
                data_key("p.fifo", Some(0), 1, "a"),
                message("a", "", 1, 1, ""),
            ),
            (
                data_key("p.fifo", Some(1), 1, "b"),
                message("b", "", 2, 1, ""),
            ),
            (data_key("p.fifo", None, 1, "c"), message("c", "", 3, 1, "")),
        ],
    )
    .unwrap();
    let lines: Vec<&str> = file(&m, "sqs/p.fifo/messages.jsonl").lines().collect();
    assert!(
        lines[0].ends_with(",\"queue_generation\":1,\"partition\":0}"),
        "{}",
        lines[0]
    );
    assert!(lines[1].ends_with(",\"partition\":1}"), "{}", lines[1]);
    assert!(!lines[2].contains("partition"), "{}", lines[2]);
}

// REQ-KEY-4
#[test]
fn partitioned_side_record_keys_route_to_their_queue() {
    let keys = [
        build(&KeyParts::MsgVis {
            queue: b"p.fifo".to_vec(),
            partition: Some(3),
            gen: 1,
            visible_at: 9,
            message_id: b"m".to_vec(),
        }),
        build(&KeyParts::MsgDedup {
            queue: b"p.fifo".to_vec(),
            partition: Some((3, b"g".to_vec())),
            gen: 1,
            dedup_id: b"d".to_vec(),
        }),
        build(&KeyParts::MsgGroup {
            queue: b"p.fifo".to_vec(),
            partition: Some(3),
            gen: 1,
            group: b"g".to_vec(),
        }),
    ];
    let mut records = vec![(meta_key("p.fifo"), meta_value(r#"{"name":"p.fifo"}"#))];
    records.extend(keys.iter().map(|k| (k.clone(), b"v".to_vec())));
    let m = decode_sorted(SIDE, &records).unwrap();
    assert_eq!(
        file(&m, "sqs/p.fifo/_internals/side_records.jsonl")
            .lines()
            .count(),
        3
    );
}

// REQ-DEC-9
#[test]
fn seq_records_are_side_records_only_with_the_flag() {
    let seq = build(&KeyParts::QueueSeq {
        queue: b"f.fifo".to_vec(),
    });
    let records = [
        (
            meta_key("f.fifo"),
            meta_value(r#"{"name":"f.fifo","is_fifo":true}"#),
        ),
        (seq.clone(), b"42".to_vec()),
    ];
    let without = decode_sorted(Options::default(), &records).unwrap();
    assert_eq!(without.files.len(), 1);
    let with = decode_sorted(SIDE, &records).unwrap();
    assert_eq!(
        file(&with, "sqs/f.fifo/_internals/side_records.jsonl"),
        format!(
            "{{\"prefix\":\"!sqs|queue|seq|\",\"key_hex\":\"{}\",\"value_b64\":\"NDI\"}}\n",
            hex::encode(&seq)
        )
    );
}

// REQ-DEC-10, REQ-KEY-8
#[test]
fn key_value_mismatch_is_reported() {
    let m = decode_sorted(
        Options::default(),
        &[
            (meta_key("q"), meta_value(r#"{"name":"q"}"#)),
            (
                data_key("q", None, 1, "key-id"),
                message("value-id", "", 1, 2, ""),
            ),
        ],
    )
    .unwrap();
    assert_eq!(
        m.warnings,
        vec![
            Warning::KeyValueMismatch {
                key_hex: hex::encode(data_key("q", None, 1, "key-id")),
                field: "queue_generation",
                key_says: "1".into(),
                value_says: "2".into(),
            },
            Warning::KeyValueMismatch {
                key_hex: hex::encode(data_key("q", None, 1, "key-id")),
                field: "message_id",
                key_says: "key-id".into(),
                value_says: "value-id".into(),
            }
        ]
    );
    // The message itself is still written.
    assert_eq!(file(&m, "sqs/q/messages.jsonl").lines().count(), 1);
}

// REQ-DEC-1
#[test]
fn empty_live_name_falls_back_to_the_key_name() {
    let m = decode_sorted(
        Options::default(),
        &[(
            meta_key("from-key"),
            meta_value(r#"{"name":"","delay_seconds":1}"#),
        )],
    )
    .unwrap();
    assert!(file(&m, "sqs/from-key/_queue.json").contains("\"name\": \"from-key\""));
    // The directory always comes from the key, even when the live name
    // differs.
    let m = decode_sorted(
        Options::default(),
        &[(meta_key("dir"), meta_value(r#"{"name":"other"}"#))],
    )
    .unwrap();
    assert!(file(&m, "sqs/dir/_queue.json").contains("\"name\": \"other\""));
}

// REQ-OUT-3, REQ-OUT-2
#[test]
fn dot_names_and_slashes_never_escape_the_queue_directory() {
    let m = decode_sorted(
        Options::default(),
        &[
            (meta_key(".."), meta_value("{}")),
            (meta_key("."), meta_value("{}")),
            (meta_key("../etc"), meta_value("{}")),
        ],
    )
    .unwrap();
    assert_eq!(
        m.files.keys().collect::<Vec<_>>(),
        [
            "sqs/%2E%2E/_queue.json",
            "sqs/%2E/_queue.json",
            "sqs/..%2Fetc/_queue.json"
        ]
    );
    check_invariants(&m);
}

// REQ-KEY-9
#[test]
fn empty_queue_name_is_malformed() {
    let err = decode(
        Options::default(),
        &[(b"!sqs|queue|meta|".to_vec(), meta_value("{}"))],
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "malformed sqs key \"!sqs|queue|meta|\": empty queue segment"
    );
}

// REQ-KEY-6
#[test]
fn non_canonical_queue_segments_are_rejected() {
    // `cR` decodes to "q" with nonzero trailing bits upstream.
    let err = decode(
        Options::default(),
        &[(b"!sqs|queue|meta|cR".to_vec(), meta_value("{}"))],
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "malformed sqs key \"!sqs|queue|meta|cR\": queue segment \"cR\" is not canonical base64url"
    );
}

// REQ-OUT-8
#[test]
fn a_queue_named_like_an_orphan_directory_collides() {
    // Orphan with encoded segment `Z29uZQ` ("gone") next to a queue named
    // `Z29uZQ.orphan`.
    let err = decode_sorted(
        SIDE,
        &[
            (vis_key("gone"), b"v".to_vec()),
            (meta_key("Z29uZQ.orphan"), meta_value("{}")),
        ],
    )
    .unwrap_err();
    assert_eq!(err.class(), "path_collision");
    assert_eq!(
        err.to_string(),
        "path collision: sqs/Z29uZQ.orphan is produced by both queue segment WjI5dVpRLm9ycGhhbg and orphan queue segment Z29uZQ"
    );
}

// REQ-DEC-12
#[test]
fn queue_without_messages_gets_no_messages_file() {
    let m = decode_sorted(
        Options::default(),
        &[
            (meta_key("orders"), meta_value(META)),
            (gen_key("orders"), b"2".to_vec()),
            (
                data_key("orders", None, 1, "old"),
                message("old", "", 1, 1, ""),
            ),
        ],
    )
    .unwrap();
    assert_eq!(
        m.files.keys().collect::<Vec<_>>(),
        ["sqs/orders/_queue.json"]
    );
}

// REQ-DEC-11
#[test]
fn record_order_across_queues_does_not_change_the_output() {
    let records = vec![
        (meta_key("b"), meta_value("{}")),
        (meta_key("a"), meta_value("{}")),
        (data_key("a", None, 1, "1"), message("1", "", 1, 1, "")),
        (data_key("b", None, 1, "2"), message("2", "", 1, 1, "")),
        (data_key("zz", None, 1, "3"), message("3", "", 1, 1, "")),
        (data_key("yy", None, 1, "4"), message("4", "", 1, 1, "")),
    ];
    let forward = decode(Options::default(), &records).unwrap();
    let mut reversed = records.clone();
    reversed.reverse();
    assert_eq!(forward, decode(Options::default(), &reversed).unwrap());
    let encoded: Vec<_> = forward
        .warnings
        .iter()
        .map(|w| match w {
            Warning::OrphanMessages { encoded_queue, .. } => encoded_queue.clone(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(encoded, ["eXk", "eno"]);
}

// REQ-JSON-13
#[test]
fn message_attributes_are_sorted_and_compacted() {
    let m = decode_sorted(
        Options::default(),
        &[
            (meta_key("q"), meta_value("{}")),
            (
                data_key("q", None, 1, "m"),
                msg_value(
                    r#"{"message_id":"m","queue_generation":1,"message_attributes":{"b": { "DataType" : "Number", "StringValue":"1.50" },"a<":{"DataType":"String","StringValue":"x\u0041 <&>"}}}"#,
                ),
            ),
        ],
    )
    .unwrap();
    assert_eq!(
        file(&m, "sqs/q/messages.jsonl"),
        "{\"message_id\":\"m\",\"body\":\"\",\"message_attributes\":{\"a<\":{\"DataType\":\"String\",\"StringValue\":\"x\\u0041 <&>\"},\"b\":{\"DataType\":\"Number\",\"StringValue\":\"1.50\"}},\"send_timestamp_millis\":0,\"available_at_millis\":0,\"visible_at_millis\":0,\"receive_count\":0,\"queue_generation\":1}\n"
    );
}

// REQ-DEC-1, REQ-JSON-11, REQ-OUT-9
#[test]
fn key_names_with_invalid_utf8_are_written_as_go_writes_them() {
    // Go's encoder writes each byte that does not start a valid UTF-8
    // sequence as the six characters `\ufffd`; a real U+FFFD, control
    // characters and non-ASCII text are written as usual.
    let queue = b"a\xffb\xe2\x82A\x01\xef\xbf\xbd\xc3\xa9<".to_vec();
    let m = decode_sorted(
        Options::default(),
        &[(
            build(&KeyParts::QueueMeta { queue }),
            meta_value(r#"{"name":""}"#),
        )],
    )
    .unwrap();
    let (path, bytes) = m
        .files
        .iter()
        .find(|(p, _)| p.ends_with("/_queue.json"))
        .unwrap();
    assert_eq!(path, "sqs/a%FFb%E2%82A%01%EF%BF%BD%C3%A9%3C/_queue.json");
    let text = String::from_utf8(bytes.clone()).unwrap();
    assert!(
        text.contains(r#""name": "a\ufffdb\ufffd\ufffdA\u0001�é\u003c","#),
        "{text}"
    );
}
