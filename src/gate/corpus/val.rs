//! Corpus cases for values (REQ-VAL).

#[allow(unused_imports)]
use super::*;

pub(super) fn val_cases(c: &mut Cases) {
    c.add(
        "REQ-VAL-1-meta-without-magic",
        "a queue meta value without the 00 'S' 'Q' 01 magic is invalid_queue_meta",
        &[],
        orders()
            .put(&meta_key(b"bare"), 10, br#"{"name":"bare"}"#)
            .bytes(),
        vec![error("invalid_queue_meta")],
    );
    c.add(
        "REQ-VAL-2-message-without-magic",
        "a message value without the 00 'S' 'M' 01 magic is invalid_message",
        &[],
        orders()
            .put(
                &data_key(b"orders", 1, b"o-9"),
                100,
                &msg("o-9", b"x", T0, 1, "")[4..],
            )
            .bytes(),
        vec![error("invalid_message")],
    );
    let mut s = Snap::new();
    s.put(
        &meta_key(b"ht.fifo"),
        10,
        &meta_raw(
            br#"{"name":"ht.fifo","is_fifo":true,"content_based_dedup":true,"visibility_timeout_seconds":45,"message_retention_seconds":86400,"delay_seconds":2,"receive_message_wait_seconds":20,"maximum_message_size":1024,"redrive_policy":"{\"deadLetterTargetArn\":\"arn:aws:sqs:us-east-1:1:dlq.fifo\",\"maxReceiveCount\":3}","redrive_allow_policy":"{\"redrivePermission\":\"allowAll\"}","partition_count":8,"fifo_throughput_limit":"perMessageGroupId","deduplication_scope":"messageGroup","generation":4,"incarnation":"x","created_at_millis":1700000000000,"last_modified_at_millis":1,"throttle":{"rate":5}}"#,
        ),
    );
    c.add(
        "REQ-VAL-3-ht-fifo-attributes",
        "every queue meta field round-trips, HT-FIFO attributes included; internal fields stay out",
        &[],
        s.bytes(),
        vec![
            has(&q_path("ht.fifo", "_queue.json"), r#""partition_count": 8"#),
            has(
                &q_path("ht.fifo", "_queue.json"),
                r#""fifo_throughput_limit": "perMessageGroupId""#,
            ),
            has(
                &q_path("ht.fifo", "_queue.json"),
                r#""deduplication_scope": "messageGroup""#,
            ),
            lacks(&q_path("ht.fifo", "_queue.json"), "generation"),
            lacks(&q_path("ht.fifo", "_queue.json"), "throttle"),
        ],
    );
    for (slug, json, what) in [
        (
            "meta-trailing-garbage",
            &br#"{"name":"q"} x"#[..],
            "trailing data after the JSON",
        ),
        (
            "meta-wrong-type",
            br#"{"name":1}"#,
            "a number for the string field name",
        ),
    ] {
        c.add(
            &format!("REQ-VAL-3-{slug}"),
            &format!("queue meta JSON with {what} is invalid_queue_meta"),
            &[],
            orders().put(&meta_key(b"q"), 10, &meta_raw(json)).bytes(),
            vec![error("invalid_queue_meta")],
        );
    }
    let mut s = Snap::new();
    s.put(
        &meta_key(b"tagged"),
        10,
        &meta(
            "tagged",
            r#","tags":{"team":"platform","env":"prod","<html>":"a&b","":"empty key"}"#,
        ),
    );
    c.add(
        "REQ-VAL-4-tags",
        "[Decision] queue tags are written to _queue.json, keys sorted (upstream drops them)",
        &[],
        s.bytes(),
        vec![has(
            &q_path("tagged", "_queue.json"),
            "  \"tags\": {\n    \"\": \"empty key\",\n    \"\\u003chtml\\u003e\": \"a\\u0026b\",\n    \"env\": \"prod\",\n    \"team\": \"platform\"\n  }\n}",
        )],
    );
    let mut s = Snap::new();
    s.put(&meta_key(b"full"), 10, &meta("full", ""));
    s.put(
        &data_key(b"full", 3, b"f-1"),
        100,
        &msg_raw(
            br#"{"message_id":"f-1","body":"aGVsbG8=","md5_of_body":"5d41402abc4b2a76b9719d911017c592","md5_of_message_attributes":"0123456789abcdef0123456789abcdef","message_attributes":{"k":{"DataType":"String","StringValue":"v"}},"sender_id":"AIDAEXAMPLE","send_timestamp_millis":1700000000000,"available_at_millis":1700000000500,"visible_at_millis":1700000030000,"receive_count":4,"first_receive_millis":1700000000600,"current_receipt_token":"AAECAw==","queue_generation":3,"message_group_id":"grp","message_deduplication_id":"dd","sequence_number":18446744073709551615,"dead_letter_source_arn":"arn:aws:sqs:us-east-1:1:src","unknown_future_field":[1,{"a":null}]}"#,
        ),
    );
    c.add(
        "REQ-VAL-5-all-message-fields",
        "every message field is read and written (with --preserve-visibility); unknown fields are ignored",
        &[PRESERVE],
        s.bytes(),
        vec![has(
            &q_path("full", "messages.jsonl"),
            r#""current_receipt_token":"AAECAw==","queue_generation":3,"message_group_id":"grp","message_deduplication_id":"dd","sequence_number":18446744073709551615,"dead_letter_source_arn":"arn:aws:sqs:us-east-1:1:src"}"#,
        )],
    );
    c.add(
        "REQ-VAL-5-message-trailing-garbage",
        "message JSON with trailing data after the object is invalid_message",
        &[],
        orders()
            .put(
                &data_key(b"orders", 1, b"o-9"),
                100,
                &msg_raw(br#"{"message_id":"o-9"}}"#),
            )
            .bytes(),
        vec![error("invalid_message")],
    );
    let mut s = Snap::new();
    s.put(&meta_key(b"g"), 10, &meta("g", ""));
    s.put(&gen_key(b"g"), 10, "\u{a0}\t0002\n".as_bytes());
    s.put(
        &data_key(b"g", 1, b"old"),
        100,
        &msg("old", b"x", T0, 1, ""),
    );
    s.put(
        &data_key(b"g", 2, b"new"),
        100,
        &msg("new", b"x", T0 + 1, 2, ""),
    );
    c.add(
        "REQ-VAL-6-gen-space-and-leading-zeros",
        "a gen value with surrounding Unicode white space and leading zeros reads as 2: the gen-1 message is dropped",
        &[],
        s.bytes(),
        vec![ids(&q_path("g", "messages.jsonl"), &["new"])],
    );
    for (slug, value, what) in [
        ("gen-sign", &b"+2"[..], "a sign"),
        ("gen-underscore", b"1_000", "an underscore"),
        ("gen-overflow", b"18446744073709551616", "a value above u64"),
        ("gen-empty", b"", "an empty value"),
    ] {
        c.add(
            &format!("REQ-VAL-6-{slug}"),
            &format!("a gen value with {what} is invalid_gen_value"),
            &[],
            orders().put(&gen_key(b"orders"), 20, value).bytes(),
            vec![error("invalid_gen_value")],
        );
    }
}
