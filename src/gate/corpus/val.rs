//! Corpus cases for values (REQ-VAL).

use super::*;
use Input::Fsm;

const HT: &str = "sqs/ht.fifo/_queue.json";

pub(super) const CASES: &[Row] = &[
    Row {
        name: "REQ-VAL-1-meta-without-magic",
        note: "a queue meta value without the 00 'S' 'Q' 01 magic is invalid_queue_meta",
        flags: &[],
        input: Fsm(|| {
            orders()
                .put(&meta_key(b"bare"), 10, br#"{"name":"bare"}"#)
                .bytes()
        }),
        expect: || vec![error("invalid_queue_meta")],
    },
    Row {
        name: "REQ-VAL-2-message-without-magic",
        note: "a message value without the 00 'S' 'M' 01 magic is invalid_message",
        flags: &[],
        input: Fsm(|| {
            let value = msg("o-9", b"x", T0, 1, "");
            orders()
                .put(
                    &data_key(b"orders", 1, b"o-9"),
                    100,
                    value.get(MESSAGE_MAGIC.len()..).unwrap_or_default(),
                )
                .bytes()
        }),
        expect: || vec![error("invalid_message")],
    },
    Row {
        name: "REQ-VAL-3-ht-fifo-attributes",
        note: "every queue meta field round-trips, HT-FIFO attributes included; internal fields stay out",
        flags: &[],
        input: Fsm(|| {
            Snap::new()
                .put(
                    &meta_key(b"ht.fifo"),
                    10,
                    &meta_raw(
                        br#"{"name":"ht.fifo","is_fifo":true,"content_based_dedup":true,"visibility_timeout_seconds":45,"message_retention_seconds":86400,"delay_seconds":2,"receive_message_wait_seconds":20,"maximum_message_size":1024,"redrive_policy":"{\"deadLetterTargetArn\":\"arn:aws:sqs:us-east-1:1:dlq.fifo\",\"maxReceiveCount\":3}","redrive_allow_policy":"{\"redrivePermission\":\"allowAll\"}","partition_count":8,"fifo_throughput_limit":"perMessageGroupId","deduplication_scope":"messageGroup","generation":4,"incarnation":"x","created_at_millis":1700000000000,"last_modified_at_millis":1,"throttle":{"rate":5}}"#,
                    ),
                )
                .bytes()
        }),
        expect: || {
            vec![
                has(HT, r#""partition_count": 8"#),
                has(HT, r#""fifo_throughput_limit": "perMessageGroupId""#),
                has(HT, r#""deduplication_scope": "messageGroup""#),
                lacks(HT, "generation"),
                lacks(HT, "throttle"),
            ]
        },
    },
    Row {
        name: "REQ-VAL-3-meta-trailing-garbage",
        note: "queue meta JSON with trailing data after the JSON is invalid_queue_meta",
        flags: &[],
        input: Fsm(|| with_meta_q(br#"{"name":"q"} x"#)),
        expect: || vec![error("invalid_queue_meta")],
    },
    Row {
        name: "REQ-VAL-3-meta-wrong-type",
        note: "queue meta JSON with a number for the string field name is invalid_queue_meta",
        flags: &[],
        input: Fsm(|| with_meta_q(br#"{"name":1}"#)),
        expect: || vec![error("invalid_queue_meta")],
    },
    Row {
        name: "REQ-VAL-4-tags",
        note: "[Decision] queue tags are written to _queue.json, keys sorted (upstream drops them)",
        flags: &[],
        input: Fsm(|| {
            Snap::new()
                .put(
                    &meta_key(b"tagged"),
                    10,
                    &meta(
                        "tagged",
                        r#","tags":{"team":"platform","env":"prod","<html>":"a&b","":"empty key"}"#,
                    ),
                )
                .bytes()
        }),
        expect: || {
            vec![has(
                "sqs/tagged/_queue.json",
                "  \"tags\": {\n    \"\": \"empty key\",\n    \"\\u003chtml\\u003e\": \"a\\u0026b\",\n    \"env\": \"prod\",\n    \"team\": \"platform\"\n  }\n}",
            )]
        },
    },
    Row {
        name: "REQ-VAL-5-all-message-fields",
        note: "every message field is read and written (with --preserve-visibility); unknown fields are ignored",
        flags: &[PRESERVE],
        input: Fsm(|| {
            Snap::new()
                .put(&meta_key(b"full"), 10, &meta("full", ""))
                .put(
                    &data_key(b"full", 3, b"f-1"),
                    100,
                    &msg_raw(
                        br#"{"message_id":"f-1","body":"aGVsbG8=","md5_of_body":"5d41402abc4b2a76b9719d911017c592","md5_of_message_attributes":"0123456789abcdef0123456789abcdef","message_attributes":{"k":{"DataType":"String","StringValue":"v"}},"sender_id":"AIDAEXAMPLE","send_timestamp_millis":1700000000000,"available_at_millis":1700000000500,"visible_at_millis":1700000030000,"receive_count":4,"first_receive_millis":1700000000600,"current_receipt_token":"AAECAw==","queue_generation":3,"message_group_id":"grp","message_deduplication_id":"dd","sequence_number":18446744073709551615,"dead_letter_source_arn":"arn:aws:sqs:us-east-1:1:src","unknown_future_field":[1,{"a":null}]}"#,
                    ),
                )
                .bytes()
        }),
        expect: || {
            vec![has(
                "sqs/full/messages.jsonl",
                r#""current_receipt_token":"AAECAw==","queue_generation":3,"message_group_id":"grp","message_deduplication_id":"dd","sequence_number":18446744073709551615,"dead_letter_source_arn":"arn:aws:sqs:us-east-1:1:src"}"#,
            )]
        },
    },
    Row {
        name: "REQ-VAL-5-message-trailing-garbage",
        note: "message JSON with trailing data after the object is invalid_message",
        flags: &[],
        input: Fsm(|| {
            orders()
                .put(
                    &data_key(b"orders", 1, b"o-9"),
                    100,
                    &msg_raw(br#"{"message_id":"o-9"}}"#),
                )
                .bytes()
        }),
        expect: || vec![error("invalid_message")],
    },
    Row {
        name: "REQ-VAL-6-gen-space-and-leading-zeros",
        note: "a gen value with surrounding Unicode white space and leading zeros reads as 2: the gen-1 message is dropped",
        flags: &[],
        input: Fsm(|| {
            Snap::new()
                .put(&meta_key(b"g"), 10, &meta("g", ""))
                .put(&gen_key(b"g"), 10, "\u{a0}\t0002\n".as_bytes())
                .put(
                    &data_key(b"g", 1, b"old"),
                    100,
                    &msg("old", b"x", T0, 1, ""),
                )
                .put(
                    &data_key(b"g", 2, b"new"),
                    100,
                    &msg("new", b"x", T0 + 1, 2, ""),
                )
                .bytes()
        }),
        expect: || vec![ids("sqs/g/messages.jsonl", &["new"])],
    },
    Row {
        name: "REQ-VAL-6-gen-sign",
        note: "a gen value with a sign is invalid_gen_value",
        flags: &[],
        input: Fsm(|| with_gen_value(b"+2")),
        expect: || vec![error("invalid_gen_value")],
    },
    Row {
        name: "REQ-VAL-6-gen-underscore",
        note: "a gen value with an underscore is invalid_gen_value",
        flags: &[],
        input: Fsm(|| with_gen_value(b"1_000")),
        expect: || vec![error("invalid_gen_value")],
    },
    Row {
        name: "REQ-VAL-6-gen-overflow",
        note: "a gen value with a value above u64 is invalid_gen_value",
        flags: &[],
        input: Fsm(|| with_gen_value(b"18446744073709551616")),
        expect: || vec![error("invalid_gen_value")],
    },
    Row {
        name: "REQ-VAL-6-gen-empty",
        note: "a gen value with an empty value is invalid_gen_value",
        flags: &[],
        input: Fsm(|| with_gen_value(b"")),
        expect: || vec![error("invalid_gen_value")],
    },
];

/// `orders` and a queue `q` whose meta holds this JSON.
fn with_meta_q(json: &[u8]) -> Vec<u8> {
    orders().put(&meta_key(b"q"), 10, &meta_raw(json)).bytes()
}

/// `orders` with a newer gen record holding this value.
fn with_gen_value(value: &[u8]) -> Vec<u8> {
    orders().put(&gen_key(b"orders"), 20, value).bytes()
}
