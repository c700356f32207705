//! Corpus cases for reading and writing JSON like Go (REQ-JSON).

#[allow(unused_imports)]
use super::*;

pub(super) fn json_cases(c: &mut Cases) {
    let j = q_path("j", "messages.jsonl");
    let m1 = format!(
        r#"{{"MESSAGE_ID":"j-1","Body":"aGk=","send_timestamp_millis":{T0},"queue_generation":1,"ſender_id":"folded-s","current_receipt_to{kelvin}en":"dG9r","\u006dessage_group_id":"escaped-key","messageid":"ignored","message-id":"ignored"}}"#,
        kelvin = '\u{212A}'
    );
    c.add(
        "REQ-JSON-1-field-matching",
        "keys match case-insensitively with ſ→s and K (Kelvin)→k folding, after unescaping; messageid does not match",
        &[PRESERVE],
        json_queue(&[m1.as_bytes()]).bytes(),
        vec![has(
            &j,
            r#"{"message_id":"j-1","body":"hi","sender_id":"folded-s","send_timestamp_millis":1700000000000,"available_at_millis":0,"visible_at_millis":0,"receive_count":0,"current_receipt_token":"dG9r","queue_generation":1,"message_group_id":"escaped-key"}"#,
        )],
    );
    c.add(
        "REQ-JSON-2-duplicates",
        "the last matching key wins (exact or folded); a map given twice is merged, last duplicate key winning",
        &[PRESERVE],
        json_queue(&[&jmsg(
            1,
            r#","receive_count":1,"RECEIVE_COUNT":5,"message_attributes":{"a":1,"b":2},"message_attributes":{"b":3,"c":4,"c":5}"#,
        )])
        .bytes(),
        vec![has(&j, r#""message_attributes":{"a":1,"b":3,"c":5}"#), has(&j, r#""receive_count":5"#)],
    );
    c.add(
        "REQ-JSON-3-null-fields",
        "null keeps an earlier string or number, and resets []byte and map fields",
        &[PRESERVE],
        json_queue(&[&jmsg(
            1,
            r#","sender_id":"kept","sender_id":null,"receive_count":3,"receive_count":null,"body":"aGk=","body":null,"message_attributes":{"a":1},"message_attributes":null"#,
        )])
        .bytes(),
        vec![has(
            &j,
            r#"{"message_id":"j-1","body":"","sender_id":"kept","send_timestamp_millis":1700000000001,"available_at_millis":0,"visible_at_millis":0,"receive_count":3,"queue_generation":1}"#,
        )],
    );
    let mut s = Snap::new();
    s.put(&meta_key(b"nul"), 10, &meta_raw(b" null "));
    c.add(
        "REQ-JSON-3-null-document",
        "a meta document that is just null gives all zero values; the name comes from the key",
        &[],
        s.bytes(),
        vec![has(
            &q_path("nul", "_queue.json"),
            "{\n  \"format_version\": 1,\n  \"name\": \"nul\",\n  \"visibility_timeout_seconds\": 0,\n  \"message_retention_seconds\": 0,\n  \"delay_seconds\": 0\n}",
        )],
    );
    c.add(
        "REQ-JSON-4-unknown-fields",
        "unknown fields of every JSON type are ignored",
        &[],
        json_queue(&[&jmsg(
            1,
            r#","x_obj":{"a":[1,2,{"b":null}]},"x_arr":[true,false],"x_num":-1.5e300,"x_str":"\u00e9","x_null":null"#,
        )])
        .bytes(),
        vec![lines(&j, 1)],
    );
    c.add(
        "REQ-JSON-4-unknown-field-bad-syntax",
        "an unknown field is still syntax-checked: a broken array is invalid_message",
        &[],
        json_queue(&[&jmsg(1, r#","x":[1,}"#)]).bytes(),
        vec![error("invalid_message")],
    );
    for (slug, doc, class, what) in [
        (
            "fraction-for-integer",
            meta_raw(br#"{"name":"q","visibility_timeout_seconds":30.0}"#),
            "invalid_queue_meta",
            "30.0 for an int64 field",
        ),
        (
            "exponent-for-integer",
            msg_raw(&jmsg(9, r#","receive_count":3e1"#)),
            "invalid_message",
            "3e1 for an int64 field",
        ),
        (
            "negative-zero-unsigned",
            msg_raw(&jmsg(9, r#","queue_generation":-0"#)),
            "invalid_message",
            "-0 for a uint64 field",
        ),
        (
            "out-of-range",
            meta_raw(br#"{"name":"q","partition_count":4294967296}"#),
            "invalid_queue_meta",
            "2^32 for the uint32 partition_count",
        ),
        (
            "string-for-number",
            meta_raw(br#"{"name":"q","delay_seconds":"0"}"#),
            "invalid_queue_meta",
            "a string for a number field",
        ),
        (
            "number-for-bool",
            meta_raw(br#"{"name":"q","is_fifo":1}"#),
            "invalid_queue_meta",
            "a number for a bool field",
        ),
        (
            "leading-zero",
            msg_raw(&jmsg(9, r#","receive_count":01"#)),
            "invalid_message",
            "a leading zero",
        ),
        (
            "array-for-string",
            msg_raw(&jmsg(9, r#","sender_id":["a"]"#)),
            "invalid_message",
            "an array for a string field",
        ),
    ] {
        let mut s = orders();
        if class == "invalid_queue_meta" {
            s.put(&meta_key(b"q"), 10, &doc);
        } else {
            s.put(&data_key(b"orders", 1, b"j-9"), 100, &doc);
        }
        c.add(
            &format!("REQ-JSON-5-{slug}"),
            &format!("{what} is {class}"),
            &[],
            s.bytes(),
            vec![error(class)],
        );
    }
    c.add(
        "REQ-JSON-6-surrounding-white-space",
        "white space around the JSON document is allowed",
        &[],
        json_queue(&[format!(" \t\r\n{} \n", String::from_utf8_lossy(&jmsg(1, ""))).as_bytes()])
            .bytes(),
        vec![lines(&j, 1)],
    );
    let mut bom = b"\xef\xbb\xbf".to_vec();
    bom.extend_from_slice(&jmsg(1, ""));
    let mut deep = b"[".repeat(10_001);
    deep.extend_from_slice(&b"]".repeat(10_001));
    let deep_doc = jmsg(1, &format!(r#","x":{}"#, String::from_utf8_lossy(&deep)));
    for (slug, doc, what) in [
        ("byte-order-mark", bom, "a leading byte-order mark"),
        (
            "too-deep",
            deep_doc,
            "nesting deeper than Go's limit of 10000",
        ),
        (
            "syntax-error",
            b"{\"message_id\":\"j-1\",}".to_vec(),
            "a trailing comma",
        ),
    ] {
        c.add(
            &format!("REQ-JSON-6-{slug}"),
            &format!("message JSON with {what} is invalid_message"),
            &[],
            json_queue(&[&doc]).bytes(),
            vec![error("invalid_message")],
        );
    }
    let mut bad_utf8 = jmsg(1, r#","sender_id":"A"#);
    bad_utf8.truncate(bad_utf8.len() - 1);
    bad_utf8.extend_from_slice(b"\xe2\x82A|\xed\xa0\x80|\xff\"");
    bad_utf8.extend_from_slice(br#","message_group_id":"\ud800x\udc00\ud800"}"#);
    c.add(
        "REQ-JSON-7-invalid-utf8",
        "each byte that starts no valid UTF-8 sequence becomes one U+FFFD (e2 82 41 gives two then A); lone or reversed surrogate escapes give one each",
        &[],
        json_queue(&[&bad_utf8]).bytes(),
        vec![
            has(&j, "\"sender_id\":\"A\u{fffd}\u{fffd}A|\u{fffd}\u{fffd}\u{fffd}|\u{fffd}\""),
            has(&j, "\"message_group_id\":\"\u{fffd}x\u{fffd}\u{fffd}\""),
        ],
    );
    c.add(
        "REQ-JSON-8-control-byte",
        "a raw byte below 0x20 inside a string is invalid_message",
        &[],
        json_queue(&[&jmsg(1, ",\"sender_id\":\"a\x01b\"")]).bytes(),
        vec![error("invalid_message")],
    );
    c.add(
        "REQ-JSON-8-delete-byte",
        "a raw 0x7f inside a string is accepted and written raw",
        &[],
        json_queue(&[&jmsg(1, ",\"sender_id\":\"a\x7fb\"")]).bytes(),
        vec![has(&j, "\"sender_id\":\"a\x7fb\"")],
    );
    c.add(
        "REQ-JSON-9-byte-slices",
        "a []byte accepts padded standard base64 with CR/LF inside, nonzero trailing bits, \"\", null and an array of 0..=255",
        &[],
        json_queue(&[
            &jmsg(1, r#","body":"aG\r\nk=""#),
            &jmsg(2, r#","body":"aGl=""#),
            &jmsg(3, r#","body":[104,105]"#),
            &jmsg(4, r#","body":"""#),
            &jmsg(5, r#","body":null"#),
            &jmsg(6, r#","body":"+/+/""#),
        ])
        .bytes(),
        vec![
            lines(&j, 6),
            has(&j, r#"{"message_id":"j-1","body":"hi","#),
            has(&j, r#"{"message_id":"j-2","body":"hi","#),
            has(&j, r#"{"message_id":"j-3","body":"hi","#),
            has(&j, r#"{"message_id":"j-4","body":"","#),
            has(&j, r#"{"message_id":"j-5","body":"","#),
            has(&j, r#"{"message_id":"j-6","body":{"base64":"-_-_"},"#),
        ],
    );
    for (slug, field, what) in [
        ("body-number", r#","body":5"#, "a number"),
        ("body-object", r#","body":{}"#, "an object"),
        ("body-unpadded", r#","body":"aGk""#, "unpadded base64"),
        ("body-url-alphabet", r#","body":"-_-_""#, "the URL alphabet"),
        (
            "body-array-out-of-range",
            r#","body":[256]"#,
            "an array element above 255",
        ),
    ] {
        c.add(
            &format!("REQ-JSON-9-{slug}"),
            &format!("a body given as {what} is invalid_message"),
            &[],
            json_queue(&[&jmsg(1, field)]).bytes(),
            vec![error("invalid_message")],
        );
    }
    c.add(
        "REQ-JSON-10-raw-attribute-values",
        "attribute values keep their exact bytes (escapes, number spellings), compacted; keys are unescaped",
        &[],
        json_queue(&[&jmsg(
            1,
            r#","message_attributes":{ "b" : { "DataType" : "Number" , "StringValue" : "1.50" } , "\u0061" : {"v":"\u0041\/"} , "n" : 1.50E+0 }"#,
        )])
        .bytes(),
        vec![has(
            &j,
            r#""message_attributes":{"a":{"v":"\u0041\/"},"b":{"DataType":"Number","StringValue":"1.50"},"n":1.50E+0}"#,
        )],
    );
    c.add(
        "REQ-JSON-10-attributes-not-object",
        "message_attributes given as an array is invalid_message",
        &[],
        json_queue(&[&jmsg(1, r#","message_attributes":[1]"#)]).bytes(),
        vec![error("invalid_message")],
    );
    c.add(
        "REQ-JSON-11-encoder-escaping",
        "strings in messages.jsonl: <>& raw, U+2028/2029 escaped, short escapes, other controls as \\u00xx, / and 0x7f raw, non-ASCII text raw",
        &[],
        json_queue(&[&jmsg(
            1,
            &format!(
                r#","body":"{}","sender_id":"<a href=\"x\">&amp;</a> \u2028\u2029 \b\f\n\r\t \\ \u0001\u001f / \u007f","message_group_id":"g<1>& é€😀""#,
                std_b64("naïve € 😀 a/b \u{2028}".as_bytes())
            ),
        )])
        .bytes(),
        vec![
            has(
                &j,
                "\"sender_id\":\"<a href=\\\"x\\\">&amp;</a> \\u2028\\u2029 \\b\\f\\n\\r\\t \\\\ \\u0001\\u001f / \x7f\"",
            ),
            has(&j, "\"body\":\"naïve € 😀 a/b \\u2028\""),
            has(&j, "\"message_group_id\":\"g<1>& é€😀\""),
        ],
    );
    c.add(
        "REQ-JSON-12-body-html-escaping",
        "a text body is HTML-escaped as json.Marshal does it (<, >, & as \\u003c, \\u003e, \\u0026); an empty body is \"\"",
        &[],
        json_queue(&[
            &jmsg(1, &format!(r#","body":"{}""#, std_b64(b"<p>Tom & Jerry</p>"))),
            &jmsg(2, r#","body":"""#),
        ])
        .bytes(),
        vec![
            has(&j, r#""body":"\u003cp\u003eTom \u0026 Jerry\u003c/p\u003e""#),
            has(&j, r#"{"message_id":"j-2","body":"","#),
        ],
    );
    c.add(
        "REQ-JSON-13-attribute-output",
        "attribute keys sorted by bytes and not HTML-escaped; values compacted with raw <>& and U+2028 kept verbatim",
        &[],
        json_queue(&[&jmsg(
            1,
            ",\"message_attributes\":{\"\u{e9}\":1,\"b<>\":2,\"B\":3,\"_\":4,\"a\":[ \"<&>\u{2028}\" , 2 ]}",
        )])
        .bytes(),
        vec![has(
            &j,
            "\"message_attributes\":{\"B\":3,\"_\":4,\"a\":[\"<&>\u{2028}\",2],\"b<>\":2,\"\u{e9}\":1}",
        )],
    );
    let mut inv = jmsg(1, r#","message_attributes":{"k":"#);
    inv.truncate(inv.len() - 1);
    inv.extend_from_slice(b"\"a\xffb\xe2\x82\"}}");
    c.add(
        "REQ-JSON-16-attribute-invalid-utf8",
        "[Decision] invalid UTF-8 inside a raw attribute value is replaced per byte with U+FFFD (upstream writes the raw bytes)",
        &[],
        json_queue(&[&inv]).bytes(),
        vec![has(
            &j,
            "\"message_attributes\":{\"k\":\"a\u{fffd}b\u{fffd}\u{fffd}\"}",
        )],
    );
    c.add(
        "REQ-JSON-14-receipt-token",
        "current_receipt_token is written as standard padded base64 (with --preserve-visibility)",
        &[PRESERVE],
        json_queue(&[&jmsg(1, r#","current_receipt_token":[0,1,2,255,254]"#)]).bytes(),
        vec![has(&j, r#""current_receipt_token":"AAEC//4=""#)],
    );
    let mut s = Snap::new();
    s.put(
        &meta_key(b"a<b>&c"),
        10,
        &meta(
            "a<b>&c",
            r#","redrive_policy":"{\"deadLetterTargetArn\":\"arn:<dlq>&\",\"maxReceiveCount\":5}","fifo_throughput_limit":"\u2028""#,
        ),
    );
    c.add(
        "REQ-JSON-15-queue-file-layout",
        "_queue.json is json.MarshalIndent output: two-space indent, \"key\": value, HTML escaping on, no final newline",
        &[],
        s.bytes(),
        vec![has(
            &q_path("a%3Cb%3E%26c", "_queue.json"),
            "{\n  \"format_version\": 1,\n  \"name\": \"a\\u003cb\\u003e\\u0026c\",\n  \"visibility_timeout_seconds\": 30,\n  \"message_retention_seconds\": 345600,\n  \"delay_seconds\": 0,\n  \"redrive_policy\": \"{\\\"deadLetterTargetArn\\\":\\\"arn:\\u003cdlq\\u003e\\u0026\\\",\\\"maxReceiveCount\\\":5}\",\n  \"fifo_throughput_limit\": \"\\u2028\"\n}",
        )],
    );
}
