//! Corpus cases for output (REQ-OUT).

use super::*;
use Input::Fsm;

const BODIES: &str = "sqs/bodies/messages.jsonl";
const SIDE_LINES: &str = "sqs/side/_internals/side_records.jsonl";

pub(super) const CASES: &[Row] = &[
    Row {
        name: "REQ-OUT-1-layout",
        note: "the complete layout: queues with and without messages, side records, an orphan directory, MANIFEST.json and CHECKSUMS",
        flags: &[SIDE],
        input: Fsm(layout),
        expect: || {
            vec![files(&[
                "sqs/Z29uZQ.orphan/_internals/side_records.jsonl",
                "sqs/alpha/_internals/side_records.jsonl",
                "sqs/alpha/_queue.json",
                "sqs/alpha/messages.jsonl",
                "sqs/beta.fifo/_queue.json",
                "sqs/beta.fifo/messages.jsonl",
                "sqs/quiet/_queue.json",
            ])]
        },
    },
    Row {
        name: "REQ-OUT-2-percent-encoding",
        note: "bytes outside [A-Za-z0-9._-] become uppercase %HH in directory names",
        flags: &[],
        input: Fsm(|| {
            queues(&[
                b"a b/c",
                "caf\u{e9}".as_bytes(),
                b"x~y%z",
                b"Az09._-",
                b"\x00\x1f\x7f\xff",
            ])
        }),
        expect: || {
            vec![files(&[
                "sqs/%00%1F%7F%FF/_queue.json",
                "sqs/Az09._-/_queue.json",
                "sqs/a%20b%2Fc/_queue.json",
                "sqs/caf%C3%A9/_queue.json",
                "sqs/x%7Ey%25z/_queue.json",
            ])]
        },
    },
    Row {
        name: "REQ-OUT-2-hash-fallback-long-names",
        note: "a raw or encoded name over 240 bytes takes the hash fallback; exactly 240 does not",
        flags: &[],
        input: Fsm(|| queues(&[&[b'm'; 240], &[b'n'; 241], &[b'/'; 81]])),
        expect: || {
            vec![files(&[
                &fallback(&[b'/'; 81]),
                &fallback(&[b'n'; 241]),
                &format!("sqs/{}/_queue.json", "m".repeat(240)),
            ])]
        },
    },
    Row {
        name: "REQ-OUT-2-fallback-lookalikes",
        note: "a name that looks like a hash fallback, or starts with b64., takes the hash fallback",
        flags: &[],
        input: Fsm(|| queues(&[LOOKALIKE, b"b64.abc", b"b64abc"])),
        expect: || {
            vec![files(&[
                &fallback(LOOKALIKE),
                &fallback(b"b64.abc"),
                "sqs/b64abc/_queue.json",
            ])]
        },
    },
    Row {
        name: "REQ-OUT-3-dot-names",
        note: "[Decision] queues named . and .. get %2E and %2E%2E (upstream writes .. into the output root); ... passes",
        flags: &[],
        input: Fsm(|| {
            let mut s = Snap::new();
            for name in [&b"."[..], b"..", b"..."] {
                s.put(&meta_key(name), 10, &meta("", ""));
                s.put(&data_key(name, 1, b"m"), 100, &msg("m", name, T0, 1, ""));
            }
            s.bytes()
        }),
        expect: || {
            vec![files(&[
                "sqs/%2E%2E/_queue.json",
                "sqs/%2E%2E/messages.jsonl",
                "sqs/%2E/_queue.json",
                "sqs/%2E/messages.jsonl",
                "sqs/.../_queue.json",
                "sqs/.../messages.jsonl",
            ])]
        },
    },
    Row {
        name: "REQ-OUT-4-queue-json-omissions",
        note: "false, zero and empty optional fields are left out of _queue.json; the three timing fields are always written",
        flags: &[],
        input: Fsm(queue_json_omissions),
        expect: || {
            vec![
                has(
                    "sqs/zeros/_queue.json",
                    "{\n  \"format_version\": 1,\n  \"name\": \"zeros\",\n  \"visibility_timeout_seconds\": 0,\n  \"message_retention_seconds\": 0,\n  \"delay_seconds\": 0\n}",
                ),
                has(
                    "sqs/negative/_queue.json",
                    "\"receive_message_wait_seconds\": -5,\n  \"maximum_message_size\": -6\n}",
                ),
            ]
        },
    },
    Row {
        name: "REQ-OUT-5-message-line-omissions",
        note: "empty and zero optional message fields are left out; the required ones are always written",
        flags: &[PRESERVE],
        input: Fsm(|| {
            json_queue(&[
                &jmsg(
                    1,
                    r#","body":"","md5_of_body":"","md5_of_message_attributes":"","message_attributes":{},"sender_id":"","first_receive_millis":0,"current_receipt_token":"","message_group_id":"","message_deduplication_id":"","sequence_number":0,"dead_letter_source_arn":"""#,
                ),
                &jmsg(2, r#","send_timestamp_millis":-5,"available_at_millis":-6,"visible_at_millis":-7,"receive_count":-8"#),
            ])
            .bytes()
        }),
        expect: || {
            vec![
                has(
                    "sqs/j/messages.jsonl",
                    "{\"message_id\":\"j-1\",\"body\":\"\",\"send_timestamp_millis\":1700000000001,\"available_at_millis\":0,\"visible_at_millis\":0,\"receive_count\":0,\"queue_generation\":1}\n",
                ),
                has(
                    "sqs/j/messages.jsonl",
                    "{\"message_id\":\"j-2\",\"body\":\"\",\"send_timestamp_millis\":-5,\"available_at_millis\":-6,\"visible_at_millis\":-7,\"receive_count\":-8,\"queue_generation\":1}\n",
                ),
            ]
        },
    },
    Row {
        name: "REQ-OUT-6-text-and-binary-bodies",
        note: "a UTF-8 body is a JSON string; any other body is {\"base64\":\"<unpadded base64url>\"}",
        flags: &[],
        input: Fsm(|| {
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
            s.bytes()
        }),
        expect: || {
            vec![
                has(BODIES, r#""body":"plain text""#),
                has(BODIES, r#""body":{"base64":"iVBORw0KGgoA"}"#),
                has(BODIES, r#""body":{"base64":"4oI"}"#),
                has(BODIES, r#""body":"{\"json\":\"inside\"}""#),
            ]
        },
    },
    Row {
        name: "REQ-OUT-7-side-record-lines",
        note: "each side record is {\"prefix\",\"key_hex\",\"value_b64\"} with the full user key in lowercase hex and the value in unpadded base64url",
        flags: &[SIDE],
        input: Fsm(|| {
            Snap::new()
                .put(&meta_key(b"side"), 10, &meta("side", ""))
                .put(
                    &group_key(b"side", None, 1, b"<grp>"),
                    100,
                    b"\x00\x01\xfe\xff<&>",
                )
                .put(&dedup_key(b"side", None, 1, b"d"), 100, b"")
                .bytes()
        }),
        expect: || {
            vec![
                lines(SIDE_LINES, 2),
                has(
                    SIDE_LINES,
                    &format!(
                        r#"{{"prefix":"!sqs|msg|group|","key_hex":"{}","value_b64":"AAH-_zwmPg"}}"#,
                        hex::encode(group_key(b"side", None, 1, b"<grp>"))
                    ),
                ),
                has(SIDE_LINES, r#""value_b64":""}"#),
            ]
        },
    },
    Row {
        name: "REQ-OUT-8-orphan-directory-collision",
        note: "[Decision] a queue named cQ.orphan and the side records of orphan q (cQ) claim one directory: path_collision, nothing written (upstream overwrites)",
        flags: &[SIDE],
        input: Fsm(orphan_collision),
        expect: || vec![error("path_collision")],
    },
    Row {
        name: "REQ-OUT-8-no-collision-without-side-records",
        note: "the same snapshot without side records has no collision",
        flags: &[],
        input: Fsm(orphan_collision),
        expect: || vec![files(&["sqs/cQ.orphan/_queue.json"])],
    },
    Row {
        name: "REQ-OUT-9-invalid-utf8-names",
        note: "a queue name that is not UTF-8 gets a %HH directory and, as Go writes it, the escape \\ufffd in _queue.json; a string read from JSON holds a real U+FFFD; every file is valid UTF-8",
        flags: &[],
        input: Fsm(|| {
            let mut m = jmsg(1, r#","message_group_id":""#);
            m.pop();
            m.extend_from_slice(b"\xc3(\"}");
            Snap::new()
                .put(&meta_key(b"q\xff"), 10, &meta("", ""))
                .put(&data_key(b"q\xff", 1, b"j-1"), 100, &msg_raw(&m))
                .bytes()
        }),
        expect: || {
            vec![
                has("sqs/q%FF/_queue.json", r#""name": "q\ufffd""#),
                has("sqs/q%FF/messages.jsonl", "\"message_group_id\":\"\u{fffd}(\""),
            ]
        },
    },
];

/// A name shaped like a hash fallback directory.
const LOOKALIKE: &[u8] = b"0123456789abcdef0123456789ABCDEF__x";

/// Queues with these names and no messages.
fn queues(names: &[&[u8]]) -> Vec<u8> {
    let mut s = Snap::new();
    for name in names {
        s.put(&meta_key(name), 10, &meta("", ""));
    }
    s.bytes()
}

/// The `_queue.json` path of a queue whose name takes the hash fallback.
fn fallback(raw: &[u8]) -> String {
    format!("sqs/{}/_queue.json", crate::segment::encode_segment(raw))
}

fn layout() -> Vec<u8> {
    let mut s = Snap::new();
    std_queue(&mut s, "alpha", &[("a-1", b"one"), ("a-2", b"two")]);
    std_queue(&mut s, "beta.fifo", &[("b-1", b"\x00binary\xff")]);
    s.put(&vis_key(b"alpha", None, 1, 5, b"a-1"), 100, b"")
        .put(&meta_key(b"quiet"), 10, &meta("quiet", ""))
        .put(&tomb_key(b"gone", 3), 100, b"")
        .bytes()
}

fn queue_json_omissions() -> Vec<u8> {
    Snap::new()
        .put(
            &meta_key(b"zeros"),
            10,
            &meta_raw(
                br#"{"name":"zeros","is_fifo":false,"content_based_dedup":false,"visibility_timeout_seconds":0,"message_retention_seconds":0,"delay_seconds":0,"receive_message_wait_seconds":0,"maximum_message_size":0,"redrive_policy":"","redrive_allow_policy":"","partition_count":0,"fifo_throughput_limit":"","deduplication_scope":"","tags":{}}"#,
            ),
        )
        .put(
            &meta_key(b"negative"),
            10,
            &meta_raw(
                br#"{"name":"negative","visibility_timeout_seconds":-1,"message_retention_seconds":-9223372036854775808,"delay_seconds":9223372036854775807,"receive_message_wait_seconds":-5,"maximum_message_size":-6}"#,
            ),
        )
        .bytes()
}

/// b64("q") = "cQ": the orphan directory of queue q is "cQ.orphan".
fn orphan_collision() -> Vec<u8> {
    Snap::new()
        .put(&meta_key(b"cQ.orphan"), 10, &meta("cQ.orphan", ""))
        .put(&tomb_key(b"q", 1), 100, b"")
        .bytes()
}
