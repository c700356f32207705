//! Corpus cases for output (REQ-OUT).

#[allow(unused_imports)]
use super::*;

pub(super) fn out_cases(c: &mut Cases) {
    let mut s = Snap::new();
    std_queue(&mut s, "alpha", &[("a-1", b"one"), ("a-2", b"two")]);
    std_queue(&mut s, "beta.fifo", &[("b-1", b"\x00binary\xff")]);
    s.put(&vis_key(b"alpha", None, 1, 5, b"a-1"), 100, b"");
    s.put(&meta_key(b"quiet"), 10, &meta("quiet", ""));
    s.put(&tomb_key(b"gone", 3), 100, b"");
    c.add(
        "REQ-OUT-1-layout",
        "the complete layout: queues with and without messages, side records, an orphan directory, MANIFEST.json and CHECKSUMS",
        &[SIDE],
        s.bytes(),
        vec![files(&[
            "sqs/Z29uZQ.orphan/_internals/side_records.jsonl",
            "sqs/alpha/_internals/side_records.jsonl",
            "sqs/alpha/_queue.json",
            "sqs/alpha/messages.jsonl",
            "sqs/beta.fifo/_queue.json",
            "sqs/beta.fifo/messages.jsonl",
            "sqs/quiet/_queue.json",
        ])],
    );
    let mut s = Snap::new();
    for name in [
        &b"a b/c"[..],
        "caf\u{e9}".as_bytes(),
        b"x~y%z",
        b"Az09._-",
        b"\x00\x1f\x7f\xff",
    ] {
        s.put(&meta_key(name), 10, &meta("", ""));
    }
    c.add(
        "REQ-OUT-2-percent-encoding",
        "bytes outside [A-Za-z0-9._-] become uppercase %HH in directory names",
        &[],
        s.bytes(),
        vec![files(&[
            "sqs/%00%1F%7F%FF/_queue.json",
            "sqs/Az09._-/_queue.json",
            "sqs/a%20b%2Fc/_queue.json",
            "sqs/caf%C3%A9/_queue.json",
            "sqs/x%7Ey%25z/_queue.json",
        ])],
    );
    let mut s = Snap::new();
    let n240 = vec![b'm'; 240];
    let n241 = vec![b'n'; 241];
    let slashes = vec![b'/'; 81];
    for name in [&n240, &n241, &slashes] {
        s.put(&meta_key(name), 10, &meta("", ""));
    }
    let fb = |raw: &[u8]| format!("sqs/{}/_queue.json", crate::segment::encode_segment(raw));
    c.add(
        "REQ-OUT-2-hash-fallback-long-names",
        "a raw or encoded name over 240 bytes takes the hash fallback; exactly 240 does not",
        &[],
        s.bytes(),
        vec![files(&[
            &fb(&slashes),
            &fb(&n241),
            &format!("sqs/{}/_queue.json", "m".repeat(240)),
        ])],
    );
    let lookalike = b"0123456789abcdef0123456789ABCDEF__x".to_vec();
    let mut s = Snap::new();
    for name in [&lookalike[..], b"b64.abc", b"b64abc"] {
        s.put(&meta_key(name), 10, &meta("", ""));
    }
    c.add(
        "REQ-OUT-2-fallback-lookalikes",
        "a name that looks like a hash fallback, or starts with b64., takes the hash fallback",
        &[],
        s.bytes(),
        vec![files(&[
            &fb(&lookalike),
            &fb(b"b64.abc"),
            "sqs/b64abc/_queue.json",
        ])],
    );
    let mut s = Snap::new();
    for name in [&b"."[..], b"..", b"..."] {
        s.put(&meta_key(name), 10, &meta("", ""));
        s.put(&data_key(name, 1, b"m"), 100, &msg("m", name, T0, 1, ""));
    }
    c.add(
        "REQ-OUT-3-dot-names",
        "[Decision] queues named . and .. get %2E and %2E%2E (upstream writes .. into the output root); ... passes",
        &[],
        s.bytes(),
        vec![files(&[
            "sqs/%2E%2E/_queue.json",
            "sqs/%2E%2E/messages.jsonl",
            "sqs/%2E/_queue.json",
            "sqs/%2E/messages.jsonl",
            "sqs/.../_queue.json",
            "sqs/.../messages.jsonl",
        ])],
    );
    let mut s = Snap::new();
    s.put(
        &meta_key(b"zeros"),
        10,
        &meta_raw(
            br#"{"name":"zeros","is_fifo":false,"content_based_dedup":false,"visibility_timeout_seconds":0,"message_retention_seconds":0,"delay_seconds":0,"receive_message_wait_seconds":0,"maximum_message_size":0,"redrive_policy":"","redrive_allow_policy":"","partition_count":0,"fifo_throughput_limit":"","deduplication_scope":"","tags":{}}"#,
        ),
    );
    s.put(
        &meta_key(b"negative"),
        10,
        &meta_raw(
            br#"{"name":"negative","visibility_timeout_seconds":-1,"message_retention_seconds":-9223372036854775808,"delay_seconds":9223372036854775807,"receive_message_wait_seconds":-5,"maximum_message_size":-6}"#,
        ),
    );
    c.add(
        "REQ-OUT-4-queue-json-omissions",
        "false, zero and empty optional fields are left out of _queue.json; the three timing fields are always written",
        &[],
        s.bytes(),
        vec![
            has(
                &q_path("zeros", "_queue.json"),
                "{\n  \"format_version\": 1,\n  \"name\": \"zeros\",\n  \"visibility_timeout_seconds\": 0,\n  \"message_retention_seconds\": 0,\n  \"delay_seconds\": 0\n}",
            ),
            has(
                &q_path("negative", "_queue.json"),
                "\"receive_message_wait_seconds\": -5,\n  \"maximum_message_size\": -6\n}",
            ),
        ],
    );
    c.add(
        "REQ-OUT-5-message-line-omissions",
        "empty and zero optional message fields are left out; the required ones are always written",
        &[PRESERVE],
        json_queue(&[
            &jmsg(
                1,
                r#","body":"","md5_of_body":"","md5_of_message_attributes":"","message_attributes":{},"sender_id":"","first_receive_millis":0,"current_receipt_token":"","message_group_id":"","message_deduplication_id":"","sequence_number":0,"dead_letter_source_arn":"""#,
            ),
            &jmsg(2, r#","send_timestamp_millis":-5,"available_at_millis":-6,"visible_at_millis":-7,"receive_count":-8"#),
        ])
        .bytes(),
        vec![
            has(
                &q_path("j", "messages.jsonl"),
                "{\"message_id\":\"j-1\",\"body\":\"\",\"send_timestamp_millis\":1700000000001,\"available_at_millis\":0,\"visible_at_millis\":0,\"receive_count\":0,\"queue_generation\":1}\n",
            ),
            has(
                &q_path("j", "messages.jsonl"),
                "{\"message_id\":\"j-2\",\"body\":\"\",\"send_timestamp_millis\":-5,\"available_at_millis\":-6,\"visible_at_millis\":-7,\"receive_count\":-8,\"queue_generation\":1}\n",
            ),
        ],
    );
    let mut s = Snap::new();
    std_queue(
        &mut s,
        "bodies",
        &[
            ("t-1", b"plain text"),
            ("t-2", "\u{1F600} multi-byte".as_bytes()),
            ("b-1", b"\x89PNG\r\n\x1a\n\x00"),
            ("b-2", b"\xe2\x82"),
            ("t-3", b"{\"json\":\"inside\"}"),
        ],
    );
    c.add(
        "REQ-OUT-6-text-and-binary-bodies",
        "a UTF-8 body is a JSON string; any other body is {\"base64\":\"<unpadded base64url>\"}",
        &[],
        s.bytes(),
        vec![
            has(
                &q_path("bodies", "messages.jsonl"),
                r#""body":"plain text""#,
            ),
            has(
                &q_path("bodies", "messages.jsonl"),
                r#""body":{"base64":"iVBORw0KGgoA"}"#,
            ),
            has(
                &q_path("bodies", "messages.jsonl"),
                r#""body":{"base64":"4oI"}"#,
            ),
            has(
                &q_path("bodies", "messages.jsonl"),
                r#""body":"{\"json\":\"inside\"}""#,
            ),
        ],
    );
    let mut s = Snap::new();
    s.put(&meta_key(b"side"), 10, &meta("side", ""));
    s.put(
        &group_key(b"side", None, 1, b"<grp>"),
        100,
        b"\x00\x01\xfe\xff<&>",
    );
    s.put(&dedup_key(b"side", None, 1, b"d"), 100, b"");
    c.add(
        "REQ-OUT-7-side-record-lines",
        "each side record is {\"prefix\",\"key_hex\",\"value_b64\"} with the full user key in lowercase hex and the value in unpadded base64url",
        &[SIDE],
        s.bytes(),
        vec![
            lines(&q_path("side", "_internals/side_records.jsonl"), 2),
            has(
                &q_path("side", "_internals/side_records.jsonl"),
                &format!(
                    r#"{{"prefix":"!sqs|msg|group|","key_hex":"{}","value_b64":"AAH-_zwmPg"}}"#,
                    hex::encode(group_key(b"side", None, 1, b"<grp>"))
                ),
            ),
            has(
                &q_path("side", "_internals/side_records.jsonl"),
                r#""value_b64":""}"#,
            ),
        ],
    );
    let collide = || {
        let mut s = Snap::new();
        // b64("q") = "cQ": the orphan directory of queue q is "cQ.orphan".
        s.put(&meta_key(b"cQ.orphan"), 10, &meta("cQ.orphan", ""));
        s.put(&tomb_key(b"q", 1), 100, b"");
        s.bytes()
    };
    c.add(
        "REQ-OUT-8-orphan-directory-collision",
        "[Decision] a queue named cQ.orphan and the side records of orphan q (cQ) claim one directory: path_collision, nothing written (upstream overwrites)",
        &[SIDE],
        collide(),
        vec![error("path_collision")],
    );
    c.add(
        "REQ-OUT-8-no-collision-without-side-records",
        "the same snapshot without side records has no collision",
        &[],
        collide(),
        vec![files(&["sqs/cQ.orphan/_queue.json"])],
    );
    let mut s = Snap::new();
    s.put(&meta_key(b"q\xff"), 10, &meta("", ""));
    let mut m = jmsg(1, r#","message_group_id":""#);
    m.truncate(m.len() - 1);
    m.extend_from_slice(b"\xc3(\"}");
    s.put(&data_key(b"q\xff", 1, b"j-1"), 100, &msg_raw(&m));
    c.add(
        "REQ-OUT-9-invalid-utf8-names",
        "a queue name that is not UTF-8 gets a %HH directory and, as Go writes it, the escape \\ufffd in _queue.json; a string read from JSON holds a real U+FFFD; every file is valid UTF-8",
        &[],
        s.bytes(),
        vec![
            has("sqs/q%FF/_queue.json", r#""name": "q\ufffd""#),
            has("sqs/q%FF/messages.jsonl", "\"message_group_id\":\"\u{fffd}(\""),
        ],
    );
}
