//! Corpus cases for reading and writing JSON like Go (REQ-JSON).

use super::*;
use Input::Fsm;

/// The message file of [`json_queue`].
const J: &str = "sqs/j/messages.jsonl";

pub(super) const CASES: &[Row] = &[
    Row {
        name: "REQ-JSON-1-field-matching",
        note: "keys match case-insensitively with ſ→s and K (Kelvin)→k folding, after unescaping; messageid does not match",
        flags: &[PRESERVE],
        input: Fsm(|| {
            let m1 = format!(
                r#"{{"MESSAGE_ID":"j-1","Body":"aGk=","send_timestamp_millis":{T0},"queue_generation":1,"ſender_id":"folded-s","current_receipt_to{kelvin}en":"dG9r","\u006dessage_group_id":"escaped-key","messageid":"ignored","message-id":"ignored"}}"#,
                kelvin = '\u{212A}'
            );
            json_queue(&[m1.as_bytes()]).bytes()
        }),
        expect: || {
            vec![has(
                J,
                r#"{"message_id":"j-1","body":"hi","sender_id":"folded-s","send_timestamp_millis":1700000000000,"available_at_millis":0,"visible_at_millis":0,"receive_count":0,"current_receipt_token":"dG9r","queue_generation":1,"message_group_id":"escaped-key"}"#,
            )]
        },
    },
    Row {
        name: "REQ-JSON-2-duplicates",
        note: "the last matching key wins (exact or folded); a map given twice is merged, last duplicate key winning",
        flags: &[PRESERVE],
        input: Fsm(|| {
            one(r#","receive_count":1,"RECEIVE_COUNT":5,"message_attributes":{"a":1,"b":2},"message_attributes":{"b":3,"c":4,"c":5}"#)
        }),
        expect: || {
            vec![
                has(J, r#""message_attributes":{"a":1,"b":3,"c":5}"#),
                has(J, r#""receive_count":5"#),
            ]
        },
    },
    Row {
        name: "REQ-JSON-3-null-fields",
        note: "null keeps an earlier string or number, and resets []byte and map fields",
        flags: &[PRESERVE],
        input: Fsm(|| {
            one(r#","sender_id":"kept","sender_id":null,"receive_count":3,"receive_count":null,"body":"aGk=","body":null,"message_attributes":{"a":1},"message_attributes":null"#)
        }),
        expect: || {
            vec![has(
                J,
                r#"{"message_id":"j-1","body":"","sender_id":"kept","send_timestamp_millis":1700000000001,"available_at_millis":0,"visible_at_millis":0,"receive_count":3,"queue_generation":1}"#,
            )]
        },
    },
    Row {
        name: "REQ-JSON-3-null-document",
        note: "a meta document that is just null gives all zero values; the name comes from the key",
        flags: &[],
        input: Fsm(|| Snap::new().put(&meta_key(b"nul"), 10, &meta_raw(b" null ")).bytes()),
        expect: || {
            vec![has(
                "sqs/nul/_queue.json",
                "{\n  \"format_version\": 1,\n  \"name\": \"nul\",\n  \"visibility_timeout_seconds\": 0,\n  \"message_retention_seconds\": 0,\n  \"delay_seconds\": 0\n}",
            )]
        },
    },
    Row {
        name: "REQ-JSON-4-unknown-fields",
        note: "unknown fields of every JSON type are ignored",
        flags: &[],
        input: Fsm(|| {
            one(r#","x_obj":{"a":[1,2,{"b":null}]},"x_arr":[true,false],"x_num":-1.5e300,"x_str":"\u00e9","x_null":null"#)
        }),
        expect: || vec![lines(J, 1)],
    },
    Row {
        name: "REQ-JSON-4-unknown-field-bad-syntax",
        note: "an unknown field is still syntax-checked: a broken array is invalid_message",
        flags: &[],
        input: Fsm(|| one(r#","x":[1,}"#)),
        expect: || vec![error("invalid_message")],
    },
    Row {
        name: "REQ-JSON-5-fraction-for-integer",
        note: "30.0 for an int64 field is invalid_queue_meta",
        flags: &[],
        input: Fsm(|| bad_meta(br#"{"name":"q","visibility_timeout_seconds":30.0}"#)),
        expect: || vec![error("invalid_queue_meta")],
    },
    Row {
        name: "REQ-JSON-5-exponent-for-integer",
        note: "3e1 for an int64 field is invalid_message",
        flags: &[],
        input: Fsm(|| bad_message(r#","receive_count":3e1"#)),
        expect: || vec![error("invalid_message")],
    },
    Row {
        name: "REQ-JSON-5-negative-zero-unsigned",
        note: "-0 for a uint64 field is invalid_message",
        flags: &[],
        input: Fsm(|| bad_message(r#","queue_generation":-0"#)),
        expect: || vec![error("invalid_message")],
    },
    Row {
        name: "REQ-JSON-5-out-of-range",
        note: "2^32 for the uint32 partition_count is invalid_queue_meta",
        flags: &[],
        input: Fsm(|| bad_meta(br#"{"name":"q","partition_count":4294967296}"#)),
        expect: || vec![error("invalid_queue_meta")],
    },
    Row {
        name: "REQ-JSON-5-string-for-number",
        note: "a string for a number field is invalid_queue_meta",
        flags: &[],
        input: Fsm(|| bad_meta(br#"{"name":"q","delay_seconds":"0"}"#)),
        expect: || vec![error("invalid_queue_meta")],
    },
    Row {
        name: "REQ-JSON-5-number-for-bool",
        note: "a number for a bool field is invalid_queue_meta",
        flags: &[],
        input: Fsm(|| bad_meta(br#"{"name":"q","is_fifo":1}"#)),
        expect: || vec![error("invalid_queue_meta")],
    },
    Row {
        name: "REQ-JSON-5-leading-zero",
        note: "a leading zero is invalid_message",
        flags: &[],
        input: Fsm(|| bad_message(r#","receive_count":01"#)),
        expect: || vec![error("invalid_message")],
    },
    Row {
        name: "REQ-JSON-5-array-for-string",
        note: "an array for a string field is invalid_message",
        flags: &[],
        input: Fsm(|| bad_message(r#","sender_id":["a"]"#)),
        expect: || vec![error("invalid_message")],
    },
    Row {
        name: "REQ-JSON-6-surrounding-white-space",
        note: "white space around the JSON document is allowed",
        flags: &[],
        input: Fsm(|| json_queue(&[&[b" \t\r\n", &jmsg(1, "")[..], b" \n"].concat()]).bytes()),
        expect: || vec![lines(J, 1)],
    },
    Row {
        name: "REQ-JSON-6-byte-order-mark",
        note: "message JSON with a leading byte-order mark is invalid_message",
        flags: &[],
        input: Fsm(|| json_queue(&[&[&b"\xef\xbb\xbf"[..], &jmsg(1, "")].concat()]).bytes()),
        expect: || vec![error("invalid_message")],
    },
    Row {
        name: "REQ-JSON-6-too-deep",
        note: "message JSON with nesting deeper than Go's limit of 10000 is invalid_message",
        flags: &[],
        input: Fsm(|| {
            let deep = format!("{}{}", "[".repeat(10_001), "]".repeat(10_001));
            one(&format!(r#","x":{deep}"#))
        }),
        expect: || vec![error("invalid_message")],
    },
    Row {
        name: "REQ-JSON-6-syntax-error",
        note: "message JSON with a trailing comma is invalid_message",
        flags: &[],
        input: Fsm(|| json_queue(&[b"{\"message_id\":\"j-1\",}"]).bytes()),
        expect: || vec![error("invalid_message")],
    },
    Row {
        name: "REQ-JSON-7-invalid-utf8",
        note: "each byte that starts no valid UTF-8 sequence becomes one U+FFFD (e2 82 41 gives two then A); lone or reversed surrogate escapes give one each",
        flags: &[],
        input: Fsm(|| {
            let mut bad_utf8 = jmsg(1, r#","sender_id":"A"#);
            bad_utf8.pop();
            bad_utf8.extend_from_slice(b"\xe2\x82A|\xed\xa0\x80|\xff\"");
            bad_utf8.extend_from_slice(br#","message_group_id":"\ud800x\udc00\ud800"}"#);
            json_queue(&[&bad_utf8]).bytes()
        }),
        expect: || {
            vec![
                has(J, "\"sender_id\":\"A\u{fffd}\u{fffd}A|\u{fffd}\u{fffd}\u{fffd}|\u{fffd}\""),
                has(J, "\"message_group_id\":\"\u{fffd}x\u{fffd}\u{fffd}\""),
            ]
        },
    },
    Row {
        name: "REQ-JSON-8-control-byte",
        note: "a raw byte below 0x20 inside a string is invalid_message",
        flags: &[],
        input: Fsm(|| one(",\"sender_id\":\"a\x01b\"")),
        expect: || vec![error("invalid_message")],
    },
    Row {
        name: "REQ-JSON-8-delete-byte",
        note: "a raw 0x7f inside a string is accepted and written raw",
        flags: &[],
        input: Fsm(|| one(",\"sender_id\":\"a\x7fb\"")),
        expect: || vec![has(J, "\"sender_id\":\"a\x7fb\"")],
    },
    Row {
        name: "REQ-JSON-9-byte-slices",
        note: "a []byte accepts padded standard base64 with CR/LF inside, nonzero trailing bits, \"\", null and an array of 0..=255",
        flags: &[],
        input: Fsm(|| {
            json_queue(&[
                &jmsg(1, r#","body":"aG\r\nk=""#),
                &jmsg(2, r#","body":"aGl=""#),
                &jmsg(3, r#","body":[104,105]"#),
                &jmsg(4, r#","body":"""#),
                &jmsg(5, r#","body":null"#),
                &jmsg(6, r#","body":"+/+/""#),
            ])
            .bytes()
        }),
        expect: || {
            vec![
                lines(J, 6),
                has(J, r#"{"message_id":"j-1","body":"hi","#),
                has(J, r#"{"message_id":"j-2","body":"hi","#),
                has(J, r#"{"message_id":"j-3","body":"hi","#),
                has(J, r#"{"message_id":"j-4","body":"","#),
                has(J, r#"{"message_id":"j-5","body":"","#),
                has(J, r#"{"message_id":"j-6","body":{"base64":"-_-_"},"#),
            ]
        },
    },
    Row {
        name: "REQ-JSON-9-body-number",
        note: "a body given as a number is invalid_message",
        flags: &[],
        input: Fsm(|| one(r#","body":5"#)),
        expect: || vec![error("invalid_message")],
    },
    Row {
        name: "REQ-JSON-9-body-object",
        note: "a body given as an object is invalid_message",
        flags: &[],
        input: Fsm(|| one(r#","body":{}"#)),
        expect: || vec![error("invalid_message")],
    },
    Row {
        name: "REQ-JSON-9-body-unpadded",
        note: "a body given as unpadded base64 is invalid_message",
        flags: &[],
        input: Fsm(|| one(r#","body":"aGk""#)),
        expect: || vec![error("invalid_message")],
    },
    Row {
        name: "REQ-JSON-9-body-url-alphabet",
        note: "a body given as the URL alphabet is invalid_message",
        flags: &[],
        input: Fsm(|| one(r#","body":"-_-_""#)),
        expect: || vec![error("invalid_message")],
    },
    Row {
        name: "REQ-JSON-9-body-array-out-of-range",
        note: "a body given as an array element above 255 is invalid_message",
        flags: &[],
        input: Fsm(|| one(r#","body":[256]"#)),
        expect: || vec![error("invalid_message")],
    },
    Row {
        name: "REQ-JSON-10-raw-attribute-values",
        note: "attribute values keep their exact bytes (escapes, number spellings), compacted; keys are unescaped",
        flags: &[],
        input: Fsm(|| {
            one(r#","message_attributes":{ "b" : { "DataType" : "Number" , "StringValue" : "1.50" } , "\u0061" : {"v":"\u0041\/"} , "n" : 1.50E+0 }"#)
        }),
        expect: || {
            vec![has(
                J,
                r#""message_attributes":{"a":{"v":"\u0041\/"},"b":{"DataType":"Number","StringValue":"1.50"},"n":1.50E+0}"#,
            )]
        },
    },
    Row {
        name: "REQ-JSON-10-attributes-not-object",
        note: "message_attributes given as an array is invalid_message",
        flags: &[],
        input: Fsm(|| one(r#","message_attributes":[1]"#)),
        expect: || vec![error("invalid_message")],
    },
    Row {
        name: "REQ-JSON-11-encoder-escaping",
        note: "strings in messages.jsonl: <>& raw, U+2028/2029 escaped, short escapes, other controls as \\u00xx, / and 0x7f raw, non-ASCII text raw",
        flags: &[],
        input: Fsm(|| {
            one(&format!(
                r#","body":"{}","sender_id":"<a href=\"x\">&amp;</a> \u2028\u2029 \b\f\n\r\t \\ \u0001\u001f / \u007f","message_group_id":"g<1>& é€😀""#,
                std_b64("naïve € 😀 a/b \u{2028}".as_bytes())
            ))
        }),
        expect: || {
            vec![
                has(
                    J,
                    "\"sender_id\":\"<a href=\\\"x\\\">&amp;</a> \\u2028\\u2029 \\b\\f\\n\\r\\t \\\\ \\u0001\\u001f / \x7f\"",
                ),
                has(J, "\"body\":\"naïve € 😀 a/b \\u2028\""),
                has(J, "\"message_group_id\":\"g<1>& é€😀\""),
            ]
        },
    },
    Row {
        name: "REQ-JSON-12-body-html-escaping",
        note: "a text body is HTML-escaped as json.Marshal does it (<, >, & as \\u003c, \\u003e, \\u0026); an empty body is \"\"",
        flags: &[],
        input: Fsm(|| {
            json_queue(&[
                &jmsg(1, &format!(r#","body":"{}""#, std_b64(b"<p>Tom & Jerry</p>"))),
                &jmsg(2, r#","body":"""#),
            ])
            .bytes()
        }),
        expect: || {
            vec![
                has(J, r#""body":"\u003cp\u003eTom \u0026 Jerry\u003c/p\u003e""#),
                has(J, r#"{"message_id":"j-2","body":"","#),
            ]
        },
    },
    Row {
        name: "REQ-JSON-13-attribute-output",
        note: "attribute keys sorted by bytes and not HTML-escaped; values compacted with raw <>& and U+2028 kept verbatim",
        flags: &[],
        input: Fsm(|| {
            one(",\"message_attributes\":{\"\u{e9}\":1,\"b<>\":2,\"B\":3,\"_\":4,\"a\":[ \"<&>\u{2028}\" , 2 ]}")
        }),
        expect: || {
            vec![has(
                J,
                "\"message_attributes\":{\"B\":3,\"_\":4,\"a\":[\"<&>\u{2028}\",2],\"b<>\":2,\"\u{e9}\":1}",
            )]
        },
    },
    Row {
        name: "REQ-JSON-16-attribute-invalid-utf8",
        note: "[Decision] invalid UTF-8 inside a raw attribute value is replaced per byte with U+FFFD (upstream writes the raw bytes)",
        flags: &[],
        input: Fsm(|| {
            let mut inv = jmsg(1, r#","message_attributes":{"k":"#);
            inv.pop();
            inv.extend_from_slice(b"\"a\xffb\xe2\x82\"}}");
            json_queue(&[&inv]).bytes()
        }),
        expect: || vec![has(J, "\"message_attributes\":{\"k\":\"a\u{fffd}b\u{fffd}\u{fffd}\"}")],
    },
    Row {
        name: "REQ-JSON-14-receipt-token",
        note: "current_receipt_token is written as standard padded base64 (with --preserve-visibility)",
        flags: &[PRESERVE],
        input: Fsm(|| one(r#","current_receipt_token":[0,1,2,255,254]"#)),
        expect: || vec![has(J, r#""current_receipt_token":"AAEC//4=""#)],
    },
    Row {
        name: "REQ-JSON-15-queue-file-layout",
        note: "_queue.json is json.MarshalIndent output: two-space indent, \"key\": value, HTML escaping on, no final newline",
        flags: &[],
        input: Fsm(|| {
            Snap::new()
                .put(
                    &meta_key(b"a<b>&c"),
                    10,
                    &meta(
                        "a<b>&c",
                        r#","redrive_policy":"{\"deadLetterTargetArn\":\"arn:<dlq>&\",\"maxReceiveCount\":5}","fifo_throughput_limit":"\u2028""#,
                    ),
                )
                .bytes()
        }),
        expect: || {
            vec![has(
                "sqs/a%3Cb%3E%26c/_queue.json",
                "{\n  \"format_version\": 1,\n  \"name\": \"a\\u003cb\\u003e\\u0026c\",\n  \"visibility_timeout_seconds\": 30,\n  \"message_retention_seconds\": 345600,\n  \"delay_seconds\": 0,\n  \"redrive_policy\": \"{\\\"deadLetterTargetArn\\\":\\\"arn:\\u003cdlq\\u003e\\u0026\\\",\\\"maxReceiveCount\\\":5}\",\n  \"fifo_throughput_limit\": \"\\u2028\"\n}",
            )]
        },
    },
];

/// A queue `j` with one message `j-1` carrying `fields`.
fn one(fields: &str) -> Vec<u8> {
    json_queue(&[&jmsg(1, fields)]).bytes()
}

/// `orders` and a queue `q` whose meta holds this JSON.
fn bad_meta(doc: &[u8]) -> Vec<u8> {
    orders().put(&meta_key(b"q"), 10, &meta_raw(doc)).bytes()
}

/// `orders` with one more message `j-9` carrying `fields`.
fn bad_message(fields: &str) -> Vec<u8> {
    orders()
        .put(
            &data_key(b"orders", 1, b"j-9"),
            100,
            &msg_raw(&jmsg(9, fields)),
        )
        .bytes()
}
