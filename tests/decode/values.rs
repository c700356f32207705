//! Reading queue meta, message and gen values (REQ-VAL-*) with Go's
//! `encoding/json` v1 semantics (REQ-JSON-*).
//!
//! Every expected value here was checked against Go 1.19's
//! `json.Unmarshal` into structs with the same tags as upstream's
//! `internal/backup/sqs.go` readers.

use std::collections::BTreeMap;

use sqsdump::value::{
    decode_gen, decode_message, decode_queue_meta, Message, QueueMeta, MESSAGE_MAGIC,
    QUEUE_META_MAGIC,
};

fn with_magic(magic: [u8; 4], json: &[u8]) -> Vec<u8> {
    let mut value = magic.to_vec();
    value.extend_from_slice(json);
    value
}

fn meta(json: impl AsRef<[u8]>) -> Result<QueueMeta, String> {
    decode_queue_meta(&with_magic(QUEUE_META_MAGIC, json.as_ref()))
}

fn msg(json: impl AsRef<[u8]>) -> Result<Message, String> {
    decode_message(&with_magic(MESSAGE_MAGIC, json.as_ref()))
}

#[track_caller]
fn meta_ok(json: impl AsRef<[u8]>) -> QueueMeta {
    let json = json.as_ref();
    meta(json).unwrap_or_else(|e| panic!("{:?} rejected: {e}", json.escape_ascii().to_string()))
}

#[track_caller]
fn msg_ok(json: impl AsRef<[u8]>) -> Message {
    let json = json.as_ref();
    msg(json).unwrap_or_else(|e| panic!("{:?} rejected: {e}", json.escape_ascii().to_string()))
}

#[track_caller]
fn meta_err(json: impl AsRef<[u8]>) -> String {
    let json = json.as_ref();
    match meta(json) {
        Ok(m) => panic!("{:?} accepted: {m:?}", json.escape_ascii().to_string()),
        Err(e) => e,
    }
}

#[track_caller]
fn msg_err(json: impl AsRef<[u8]>) -> String {
    let json = json.as_ref();
    match msg(json) {
        Ok(m) => panic!("{:?} accepted: {m:?}", json.escape_ascii().to_string()),
        Err(e) => e,
    }
}

fn body(json: impl AsRef<[u8]>) -> Vec<u8> {
    msg_ok(json).body
}

fn attrs(pairs: &[(&str, &[u8])]) -> BTreeMap<String, Vec<u8>> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_vec()))
        .collect()
}

fn tags(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

// ---------------------------------------------------------------- magic

// REQ-VAL-1
#[test]
fn queue_meta_without_magic_is_rejected() {
    assert_eq!(
        decode_queue_meta(br#"{"name":"q"}"#),
        Err("missing magic prefix 00 53 51 01".to_string())
    );
}

// REQ-VAL-1
#[test]
fn queue_meta_with_message_magic_is_rejected() {
    let value = with_magic(MESSAGE_MAGIC, br#"{"name":"q"}"#);
    assert_eq!(
        decode_queue_meta(&value),
        Err("missing magic prefix 00 53 51 01".to_string())
    );
}

// REQ-VAL-1
#[test]
fn queue_meta_shorter_than_magic_is_rejected() {
    assert_eq!(
        decode_queue_meta(&[0x00, b'S', b'Q']),
        Err("missing magic prefix 00 53 51 01".to_string())
    );
    assert_eq!(
        decode_queue_meta(b""),
        Err("missing magic prefix 00 53 51 01".to_string())
    );
}

// REQ-VAL-1
#[test]
fn queue_meta_magic_alone_is_invalid_json() {
    assert_eq!(
        decode_queue_meta(&QUEUE_META_MAGIC),
        Err("json: unexpected end of input at offset 0".to_string())
    );
}

// REQ-VAL-2
#[test]
fn message_without_magic_is_rejected() {
    assert_eq!(
        decode_message(br#"{"message_id":"m"}"#),
        Err("missing magic prefix 00 53 4d 01".to_string())
    );
}

// REQ-VAL-2
#[test]
fn message_with_queue_meta_magic_is_rejected() {
    let value = with_magic(QUEUE_META_MAGIC, br#"{"message_id":"m"}"#);
    assert_eq!(
        decode_message(&value),
        Err("missing magic prefix 00 53 4d 01".to_string())
    );
}

// REQ-VAL-2
#[test]
fn message_with_wrong_version_byte_is_rejected() {
    assert_eq!(
        decode_message(b"\x00SM\x02{}"),
        Err("missing magic prefix 00 53 4d 01".to_string())
    );
}

// ---------------------------------------------------------------- queue meta

// REQ-VAL-3
#[test]
fn queue_meta_fields_are_read() {
    let got = meta_ok(
        r#"{"name":"orders.fifo","generation":3,"created_at_hlc":77,"is_fifo":true,
            "content_based_dedup":true,"visibility_timeout_seconds":30,
            "message_retention_seconds":345600,"delay_seconds":5,
            "receive_message_wait_seconds":20,"maximum_message_size":262144,
            "redrive_policy":"{\"maxReceiveCount\":5}","redrive_allow_policy":"allowAll",
            "partition_count":8,"fifo_throughput_limit":"perMessageGroupId",
            "deduplication_scope":"messageGroup"}"#,
    );
    assert_eq!(
        got,
        QueueMeta {
            name: "orders.fifo".into(),
            is_fifo: true,
            content_based_dedup: true,
            visibility_timeout_seconds: 30,
            message_retention_seconds: 345600,
            delay_seconds: 5,
            receive_message_wait_seconds: 20,
            maximum_message_size: 262144,
            redrive_policy: r#"{"maxReceiveCount":5}"#.into(),
            redrive_allow_policy: "allowAll".into(),
            partition_count: 8,
            fifo_throughput_limit: "perMessageGroupId".into(),
            deduplication_scope: "messageGroup".into(),
            tags: BTreeMap::new(),
        }
    );
}

// REQ-VAL-3
#[test]
fn queue_meta_missing_fields_are_zero() {
    assert_eq!(meta_ok("{}"), QueueMeta::default());
}

// REQ-VAL-3
#[test]
fn queue_meta_unknown_fields_are_ignored() {
    let got = meta_ok(
        r#"{"throttle":{"send_capacity":1.5},"generation":9,"last_purged_at_millis":1,
            "created_at_millis":2,"last_modified_at_millis":3,"name":"q","future":[null,true]}"#,
    );
    assert_eq!(got.name, "q");
    assert_eq!(
        got,
        QueueMeta {
            name: "q".into(),
            ..QueueMeta::default()
        }
    );
}

// REQ-VAL-3
#[test]
fn queue_meta_partition_count_is_uint32() {
    assert_eq!(
        meta_ok(r#"{"partition_count":4294967295}"#).partition_count,
        u32::MAX
    );
    assert_eq!(
        meta_err(r#"{"partition_count":4294967296}"#),
        "json: cannot read number 4294967296 into uint32 field partition_count"
    );
}

// REQ-VAL-3
#[test]
fn queue_meta_bad_json_is_an_error() {
    assert_eq!(
        meta_err(r#"{"name":"q""#),
        "json: unexpected end of input at offset 11"
    );
}

// REQ-VAL-4
#[test]
fn queue_meta_tags_are_read() {
    let got = meta_ok(r#"{"name":"q","tags":{"team":"payments","env":"prod","":"empty key"}}"#);
    assert_eq!(
        got.tags,
        tags(&[("team", "payments"), ("env", "prod"), ("", "empty key")])
    );
}

// REQ-VAL-4
#[test]
fn queue_meta_tag_values_must_be_strings() {
    assert_eq!(
        meta_err(r#"{"tags":{"n":1}}"#),
        "json: cannot read number 1 into string value of map field tags"
    );
    assert_eq!(
        meta_err(r#"{"tags":["a"]}"#),
        "json: cannot read array into map[string]string field tags"
    );
}

// ---------------------------------------------------------------- message

// REQ-VAL-5
#[test]
fn message_fields_are_read() {
    let got = msg_ok(
        r#"{"message_id":"m-1","body":"aGVsbG8=","md5_of_body":"5d41402abc4b2a76b9719d911017c592",
            "md5_of_message_attributes":"abc","message_attributes":{"color":{"DataType":"String","StringValue":"red"}},
            "sender_id":"AIDA","send_timestamp_millis":1700000000000,"available_at_millis":1700000000005,
            "visible_at_millis":1700000000300,"receive_count":2,"first_receive_millis":1700000000100,
            "current_receipt_token":"AAEC","queue_generation":3,"message_group_id":"g",
            "message_deduplication_id":"d","sequence_number":18446744073709551615,
            "dead_letter_source_arn":"arn:aws:sqs:us-east-1:1:src"}"#,
    );
    assert_eq!(
        got,
        Message {
            message_id: "m-1".into(),
            body: b"hello".to_vec(),
            md5_of_body: "5d41402abc4b2a76b9719d911017c592".into(),
            md5_of_message_attributes: "abc".into(),
            message_attributes: attrs(&[(
                "color",
                br#"{"DataType":"String","StringValue":"red"}"#
            )]),
            sender_id: "AIDA".into(),
            send_timestamp_millis: 1_700_000_000_000,
            available_at_millis: 1_700_000_000_005,
            visible_at_millis: 1_700_000_000_300,
            receive_count: 2,
            first_receive_millis: 1_700_000_000_100,
            current_receipt_token: vec![0, 1, 2],
            queue_generation: 3,
            message_group_id: "g".into(),
            message_deduplication_id: "d".into(),
            sequence_number: u64::MAX,
            dead_letter_source_arn: "arn:aws:sqs:us-east-1:1:src".into(),
        }
    );
}

// REQ-VAL-5
#[test]
fn message_missing_fields_are_zero() {
    assert_eq!(msg_ok("{}"), Message::default());
}

// REQ-VAL-5
#[test]
fn message_unknown_fields_are_ignored() {
    let got = msg_ok(r#"{"partition":3,"message_id":"m","extra":{"a":[1,2,{"b":null}]}}"#);
    assert_eq!(
        got,
        Message {
            message_id: "m".into(),
            ..Message::default()
        }
    );
}

// REQ-VAL-5
#[test]
fn message_bad_json_is_an_error() {
    assert_eq!(
        msg_err(r#"{"message_id":"m",}"#),
        "json: invalid character '}' looking for beginning of object key string at offset 18"
    );
}

// ---------------------------------------------------------------- gen

// REQ-VAL-6
#[test]
fn gen_plain_decimal() {
    assert_eq!(decode_gen(b"0"), Some(0));
    assert_eq!(decode_gen(b"42"), Some(42));
    assert_eq!(decode_gen(b"18446744073709551615"), Some(u64::MAX));
}

// REQ-VAL-6
#[test]
fn gen_surrounding_unicode_space_is_trimmed() {
    assert_eq!(decode_gen(b" \t\n\x0b\x0c\r7\r\n"), Some(7));
    assert_eq!(
        decode_gen("\u{85}\u{a0}7\u{3000}\u{1680}".as_bytes()),
        Some(7)
    );
    assert_eq!(
        decode_gen("\u{2028}7\u{2029}\u{202f}\u{205f}".as_bytes()),
        Some(7)
    );
}

// REQ-VAL-6
#[test]
fn gen_non_space_format_characters_are_not_trimmed() {
    // U+180E, U+200B and U+FEFF are not White_Space for Go or Rust.
    assert_eq!(decode_gen("\u{180e}7".as_bytes()), None);
    assert_eq!(decode_gen("\u{200b}7".as_bytes()), None);
    assert_eq!(decode_gen("\u{feff}7".as_bytes()), None);
}

// REQ-VAL-6
#[test]
fn gen_leading_zeros_are_allowed() {
    assert_eq!(decode_gen(b"0007"), Some(7));
    assert_eq!(
        decode_gen(b"00000000000000000000018446744073709551615"),
        Some(u64::MAX)
    );
}

// REQ-VAL-6
#[test]
fn gen_sign_is_rejected() {
    assert_eq!(decode_gen(b"+7"), None);
    assert_eq!(decode_gen(b"-7"), None);
    assert_eq!(decode_gen(b"-0"), None);
}

// REQ-VAL-6
#[test]
fn gen_underscore_and_other_bytes_are_rejected() {
    assert_eq!(decode_gen(b"1_000"), None);
    assert_eq!(decode_gen(b"0x10"), None);
    assert_eq!(decode_gen(b"1 2"), None);
    assert_eq!(decode_gen(b"1.0"), None);
}

// REQ-VAL-6
#[test]
fn gen_out_of_range_is_rejected() {
    assert_eq!(decode_gen(b"18446744073709551616"), None);
}

// REQ-VAL-6
#[test]
fn gen_empty_or_blank_is_rejected() {
    assert_eq!(decode_gen(b""), None);
    assert_eq!(decode_gen(b" \n"), None);
}

// REQ-VAL-6
#[test]
fn gen_invalid_utf8_is_rejected() {
    assert_eq!(decode_gen(b"\xff7"), None);
    assert_eq!(decode_gen(b"7\xff"), None);
    assert_eq!(decode_gen(b"7\xc2"), None);
}

// ---------------------------------------------------------------- field matching

// REQ-JSON-1
#[test]
fn keys_match_fields_case_insensitively() {
    let got = meta_ok(r#"{"NAME":"a","Is_Fifo":true,"DELAY_seconds":4}"#);
    assert_eq!(
        (got.name.as_str(), got.is_fifo, got.delay_seconds),
        ("a", true, 4)
    );
}

// REQ-JSON-1
#[test]
fn long_s_folds_to_s_in_keys() {
    assert!(meta_ok("{\"i\u{17f}_fifo\":true}").is_fifo);
    assert!(meta_ok(r#"{"i\u017f_FIFO":true}"#).is_fifo);
    assert_eq!(msg_ok("{\"me\u{17f}\u{17f}age_id\":\"x\"}").message_id, "x");
}

// REQ-JSON-1
#[test]
fn kelvin_sign_folds_to_k_in_keys() {
    let got = msg_ok("{\"current_receipt_to\u{212a}en\":\"aGk=\"}");
    assert_eq!(got.current_receipt_token, b"hi");
}

// REQ-JSON-1
#[test]
fn other_non_ascii_never_matches() {
    // Dotless i (U+0131), fullwidth letters and the long s in a position
    // where the field has no `s` do not match.
    assert!(!meta_ok("{\"\u{131}s_fifo\":true}").is_fifo);
    assert_eq!(meta_ok("{\"\u{ff4e}ame\":\"x\"}").name, "");
    assert_eq!(meta_ok("{\"na\u{17f}e\":\"x\"}").name, "");
}

// REQ-JSON-1
#[test]
fn escaped_keys_are_unescaped_before_matching() {
    assert_eq!(meta_ok(r#"{"\u006eame":"b"}"#).name, "b");
    assert_eq!(msg_ok(r#"{"message\u005fid":"z"}"#).message_id, "z");
    assert_eq!(msg_ok(r#"{"MESSAGE\u005FID":"z"}"#).message_id, "z");
}

// REQ-JSON-1
#[test]
fn messageid_does_not_match_message_id() {
    assert_eq!(
        msg_ok(r#"{"messageid":"x","MessageId":"y"}"#).message_id,
        ""
    );
}

// REQ-JSON-1
#[test]
fn keys_with_invalid_utf8_do_not_match() {
    assert_eq!(meta_ok(b"{\"name\xff\":\"a\",\"n\xffme\":\"b\"}").name, "");
}

// ---------------------------------------------------------------- duplicates

// REQ-JSON-2
#[test]
fn last_duplicate_key_wins() {
    assert_eq!(
        msg_ok(r#"{"message_id":"x","MESSAGE_ID":"y"}"#).message_id,
        "y"
    );
    assert_eq!(
        msg_ok(r#"{"Message_Id":"x","message_id":"y"}"#).message_id,
        "y"
    );
    assert_eq!(
        meta_ok(r#"{"delay_seconds":1,"delay_seconds":2}"#).delay_seconds,
        2
    );
    assert_eq!(body(r#"{"body":"aGk=","body":"aGVsbG8="}"#), b"hello");
}

// REQ-JSON-2
#[test]
fn map_field_given_twice_is_merged() {
    let got = meta_ok(r#"{"tags":{"a":"b","x":"y"},"TAGS":{"c":"d","a":"e"}}"#);
    assert_eq!(got.tags, tags(&[("a", "e"), ("c", "d"), ("x", "y")]));
    let got = msg_ok(r#"{"message_attributes":{"a":1},"message_attributes":{"b":2}}"#);
    assert_eq!(got.message_attributes, attrs(&[("a", b"1"), ("b", b"2")]));
}

// REQ-JSON-2
#[test]
fn empty_map_does_not_clear_an_earlier_one() {
    assert_eq!(
        meta_ok(r#"{"tags":{"a":"x"},"tags":{}}"#).tags,
        tags(&[("a", "x")])
    );
}

// REQ-JSON-2
#[test]
fn last_duplicate_key_in_a_map_wins() {
    assert_eq!(
        meta_ok(r#"{"tags":{"a":"1","a":"2"}}"#).tags,
        tags(&[("a", "2")])
    );
    assert_eq!(
        msg_ok(r#"{"message_attributes":{"a":1,"a":[2]}}"#).message_attributes,
        attrs(&[("a", b"[2]")])
    );
}

// ---------------------------------------------------------------- null

// REQ-JSON-3
#[test]
fn null_keeps_an_earlier_scalar() {
    let got = meta_ok(
        r#"{"name":"a","name":null,"is_fifo":true,"is_fifo":null,
            "delay_seconds":5,"delay_seconds":null,"partition_count":2,"partition_count":null}"#,
    );
    assert_eq!(
        (
            got.name.as_str(),
            got.is_fifo,
            got.delay_seconds,
            got.partition_count
        ),
        ("a", true, 5, 2)
    );
    assert_eq!(
        msg_ok(r#"{"queue_generation":7,"queue_generation":null}"#).queue_generation,
        7
    );
}

// REQ-JSON-3
#[test]
fn null_on_a_scalar_without_earlier_value_is_zero() {
    assert_eq!(
        meta_ok(r#"{"name":null,"is_fifo":null,"delay_seconds":null}"#),
        QueueMeta::default()
    );
}

// REQ-JSON-3
#[test]
fn null_resets_bytes() {
    assert_eq!(body(r#"{"body":"aGk=","body":null}"#), b"");
    let got = msg_ok(r#"{"current_receipt_token":"aGk=","current_receipt_token":null}"#);
    assert_eq!(got.current_receipt_token, b"");
}

// REQ-JSON-3
#[test]
fn null_resets_maps() {
    assert!(meta_ok(r#"{"tags":{"a":"b"},"tags":null}"#).tags.is_empty());
    assert_eq!(
        meta_ok(r#"{"tags":{"a":"b"},"tags":null,"tags":{"c":"d"}}"#).tags,
        tags(&[("c", "d")])
    );
    assert!(
        msg_ok(r#"{"message_attributes":{"a":1},"message_attributes":null}"#)
            .message_attributes
            .is_empty()
    );
}

// REQ-JSON-3
#[test]
fn null_map_value_is_the_zero_value_or_raw_null() {
    // Go stores the zero value for map[string]string and the RawMessage
    // `null` for map[string]json.RawMessage.
    assert_eq!(
        meta_ok(r#"{"tags":{"a":"x","a":null}}"#).tags,
        tags(&[("a", "")])
    );
    assert_eq!(
        msg_ok(r#"{"message_attributes":{"a":null}}"#).message_attributes,
        attrs(&[("a", b"null")])
    );
}

// REQ-JSON-3
#[test]
fn top_level_null_is_accepted() {
    assert_eq!(meta_ok("null"), QueueMeta::default());
    assert_eq!(msg_ok(" \n null \t"), Message::default());
}

// ---------------------------------------------------------------- unknown fields

// REQ-JSON-4
#[test]
fn unknown_fields_of_every_type_are_ignored() {
    let got = meta_ok(
        r#"{"s":"x","n":-1.5e3,"t":true,"f":false,"z":null,"a":[1,"2",[{}]],
            "o":{"name":"inner","k":{"x":[]}},"name":"outer"}"#,
    );
    assert_eq!(
        got,
        QueueMeta {
            name: "outer".into(),
            ..QueueMeta::default()
        }
    );
}

// REQ-JSON-4
#[test]
fn syntax_inside_unknown_fields_is_still_checked() {
    assert_eq!(
        meta_err(r#"{"x":[1,]}"#),
        "json: invalid character ']' looking for beginning of value at offset 8"
    );
    assert_eq!(
        meta_err(r#"{"x":{"a" 1}}"#),
        "json: invalid character '1' after object key at offset 10"
    );
    assert_eq!(
        meta_err(r#"{"x":"\x"}"#),
        "json: invalid character 'x' in string escape code at offset 7"
    );
    assert_eq!(
        meta_err(r#"{"x":01}"#),
        "json: invalid character '1' after object key:value pair at offset 6"
    );
}

// REQ-JSON-4
#[test]
fn unknown_field_values_may_hold_anything_valid() {
    let got = msg_ok(b"{\"x\":\"\xff\\ud800\x7f\",\"y\":1e400,\"message_id\":\"m\"}");
    assert_eq!(got.message_id, "m");
}

// ---------------------------------------------------------------- numbers and types

// REQ-JSON-5
#[test]
fn fraction_for_an_integer_field_is_an_error() {
    assert_eq!(
        meta_err(r#"{"visibility_timeout_seconds":30.0}"#),
        "json: cannot read number 30.0 into int64 field visibility_timeout_seconds"
    );
    assert_eq!(
        msg_err(r#"{"send_timestamp_millis":1.5}"#),
        "json: cannot read number 1.5 into int64 field send_timestamp_millis"
    );
}

// REQ-JSON-5
#[test]
fn exponent_for_an_integer_field_is_an_error() {
    assert_eq!(
        meta_err(r#"{"delay_seconds":3e1}"#),
        "json: cannot read number 3e1 into int64 field delay_seconds"
    );
    assert_eq!(
        msg_err(r#"{"queue_generation":1E0}"#),
        "json: cannot read number 1E0 into uint64 field queue_generation"
    );
}

// REQ-JSON-5
#[test]
fn int64_range_is_enforced() {
    assert_eq!(
        msg_ok(r#"{"receive_count":9223372036854775807}"#).receive_count,
        i64::MAX
    );
    assert_eq!(
        msg_ok(r#"{"receive_count":-9223372036854775808}"#).receive_count,
        i64::MIN
    );
    assert_eq!(
        msg_err(r#"{"receive_count":9223372036854775808}"#),
        "json: cannot read number 9223372036854775808 into int64 field receive_count"
    );
    assert_eq!(
        msg_err(r#"{"receive_count":-9223372036854775809}"#),
        "json: cannot read number -9223372036854775809 into int64 field receive_count"
    );
}

// REQ-JSON-5
#[test]
fn uint64_range_is_enforced() {
    assert_eq!(
        msg_ok(r#"{"sequence_number":18446744073709551615}"#).sequence_number,
        u64::MAX
    );
    assert_eq!(
        msg_err(r#"{"sequence_number":18446744073709551616}"#),
        "json: cannot read number 18446744073709551616 into uint64 field sequence_number"
    );
}

// REQ-JSON-5
#[test]
fn negative_value_for_an_unsigned_field_is_an_error() {
    assert_eq!(
        msg_err(r#"{"queue_generation":-1}"#),
        "json: cannot read number -1 into uint64 field queue_generation"
    );
    assert_eq!(
        meta_err(r#"{"partition_count":-1}"#),
        "json: cannot read number -1 into uint32 field partition_count"
    );
}

// REQ-JSON-5
#[test]
fn minus_zero_is_an_error_for_unsigned_and_zero_for_signed() {
    assert_eq!(
        msg_err(r#"{"queue_generation":-0}"#),
        "json: cannot read number -0 into uint64 field queue_generation"
    );
    assert_eq!(
        meta_err(r#"{"partition_count":-0}"#),
        "json: cannot read number -0 into uint32 field partition_count"
    );
    assert_eq!(
        msg_ok(r#"{"receive_count":1,"receive_count":-0}"#).receive_count,
        0
    );
}

// REQ-JSON-5
#[test]
fn string_for_a_number_field_is_an_error() {
    assert_eq!(
        meta_err(r#"{"delay_seconds":"5"}"#),
        "json: cannot read string into int64 field delay_seconds"
    );
    assert_eq!(
        msg_err(r#"{"sequence_number":"1"}"#),
        "json: cannot read string into uint64 field sequence_number"
    );
}

// REQ-JSON-5
#[test]
fn number_for_a_bool_field_is_an_error() {
    assert_eq!(
        meta_err(r#"{"is_fifo":1}"#),
        "json: cannot read number 1 into bool field is_fifo"
    );
}

// REQ-JSON-5
#[test]
fn string_for_a_bool_field_is_an_error() {
    assert_eq!(
        meta_err(r#"{"content_based_dedup":"true"}"#),
        "json: cannot read string into bool field content_based_dedup"
    );
}

// REQ-JSON-5
#[test]
fn non_string_for_a_string_field_is_an_error() {
    assert_eq!(
        msg_err(r#"{"message_id":5}"#),
        "json: cannot read number 5 into string field message_id"
    );
    assert_eq!(
        msg_err(r#"{"message_id":true}"#),
        "json: cannot read bool into string field message_id"
    );
    assert_eq!(
        msg_err(r#"{"message_id":["m"]}"#),
        "json: cannot read array into string field message_id"
    );
    assert_eq!(
        msg_err(r#"{"message_id":{}}"#),
        "json: cannot read object into string field message_id"
    );
}

// REQ-JSON-5
#[test]
fn wrong_container_for_a_scalar_field_is_an_error() {
    assert_eq!(
        meta_err(r#"{"delay_seconds":[5]}"#),
        "json: cannot read array into int64 field delay_seconds"
    );
    assert_eq!(
        meta_err(r#"{"is_fifo":{"v":true}}"#),
        "json: cannot read object into bool field is_fifo"
    );
}

// REQ-JSON-5
#[test]
fn leading_zeros_are_an_error() {
    assert_eq!(
        msg_err(r#"{"send_timestamp_millis":01}"#),
        "json: invalid character '1' after object key:value pair at offset 26"
    );
    assert_eq!(
        msg_err(r#"{"send_timestamp_millis":-00}"#),
        "json: invalid character '0' after object key:value pair at offset 27"
    );
}

// REQ-JSON-5
#[test]
fn top_level_non_object_is_an_error() {
    assert_eq!(
        meta_err("[]"),
        "json: cannot read array into top-level object"
    );
    assert_eq!(
        meta_err(r#""q""#),
        "json: cannot read string into top-level object"
    );
    assert_eq!(
        meta_err("1"),
        "json: cannot read number 1 into top-level object"
    );
    assert_eq!(
        msg_err("true"),
        "json: cannot read bool into top-level object"
    );
}

// REQ-JSON-5
#[test]
fn the_first_type_error_is_reported() {
    assert_eq!(
        meta_err(r#"{"delay_seconds":"1","is_fifo":2}"#),
        "json: cannot read string into int64 field delay_seconds"
    );
}

// ---------------------------------------------------------------- document syntax

// REQ-JSON-6
#[test]
fn trailing_data_is_an_error() {
    assert_eq!(
        meta_err(r#"{"name":"q"}x"#),
        "json: trailing data at offset 12"
    );
    assert_eq!(meta_err(r#"{} {}"#), "json: trailing data at offset 3");
    assert_eq!(meta_err("{}}"), "json: trailing data at offset 2");
    assert_eq!(meta_err("null null"), "json: trailing data at offset 5");
}

// REQ-JSON-6
#[test]
fn byte_order_mark_is_an_error() {
    assert_eq!(
        meta_err(b"\xef\xbb\xbf{}"),
        "json: byte-order mark at offset 0"
    );
    assert_eq!(
        msg_err(b" \xef\xbb\xbf{}"),
        "json: byte-order mark at offset 1"
    );
}

// REQ-JSON-6
#[test]
fn surrounding_white_space_is_fine() {
    assert_eq!(meta_ok(" \t\r\n{\"name\" : \"q\" }\n\r\t ").name, "q");
}

// REQ-JSON-6
#[test]
fn other_white_space_is_an_error() {
    assert_eq!(
        meta_err(b"\x0b{}"),
        "json: invalid byte 0x0b looking for beginning of value at offset 0"
    );
    assert_eq!(meta_err(b"{}\x0c"), "json: trailing data at offset 2");
    assert_eq!(
        meta_err("\u{a0}{}"),
        "json: invalid byte 0xc2 looking for beginning of value at offset 0"
    );
}

// REQ-JSON-6
#[test]
fn empty_input_is_an_error() {
    assert_eq!(meta_err(""), "json: unexpected end of input at offset 0");
    assert_eq!(
        meta_err("  \n"),
        "json: unexpected end of input at offset 3"
    );
}

// REQ-JSON-6
#[test]
fn malformed_documents_are_errors() {
    let cases: &[(&str, &str)] = &[
        (r#"{"a":1"#, "json: unexpected end of input at offset 6"),
        (
            r#"{"a" 1}"#,
            "json: invalid character '1' after object key at offset 5",
        ),
        (
            r#"{,}"#,
            "json: invalid character ',' looking for beginning of object key string at offset 1",
        ),
        (
            r#"{"a":1,}"#,
            "json: invalid character '}' looking for beginning of object key string at offset 7",
        ),
        (
            r#"{'a':1}"#,
            "json: invalid character ''' looking for beginning of object key string at offset 1",
        ),
        (
            r#"{"a":-}"#,
            "json: invalid character '}' in numeric literal at offset 6",
        ),
        (
            r#"{"a":1.}"#,
            "json: invalid character '}' after decimal point in numeric literal at offset 7",
        ),
        (
            r#"{"a":.5}"#,
            "json: invalid character '.' looking for beginning of value at offset 5",
        ),
        (
            r#"{"a":1e}"#,
            "json: invalid character '}' in exponent of numeric literal at offset 7",
        ),
        (
            r#"{"a":+1}"#,
            "json: invalid character '+' looking for beginning of value at offset 5",
        ),
        (
            r#"{"a":tru}"#,
            "json: invalid character '}' in literal true at offset 8",
        ),
        (
            r#"{"a":falze}"#,
            "json: invalid character 'z' in literal false at offset 8",
        ),
        (
            r#"{"a":nul}"#,
            "json: invalid character '}' in literal null at offset 8",
        ),
        (
            r#"{"a":NaN}"#,
            "json: invalid character 'N' looking for beginning of value at offset 5",
        ),
        (
            r#"{"a":"\u12"}"#,
            "json: invalid character '\"' in \\u hexadecimal character escape at offset 10",
        ),
        (
            r#"{"a":"\'"}"#,
            "json: invalid character ''' in string escape code at offset 7",
        ),
        (
            r#"{"a":[1 2]}"#,
            "json: invalid character '2' after array element at offset 8",
        ),
        (r#"{"a":"x}"#, "json: unexpected end of input at offset 8"),
    ];
    for (json, want) in cases {
        assert_eq!(&meta_err(json), want, "for {json}");
    }
}

// REQ-JSON-6
#[test]
fn a_syntax_error_wins_over_an_earlier_type_error() {
    assert_eq!(
        meta_err(r#"{"delay_seconds":"x","y":[}"#),
        "json: invalid character '}' looking for beginning of value at offset 26"
    );
}

fn nested_arrays(levels: usize) -> String {
    "[".repeat(levels) + &"]".repeat(levels)
}

// REQ-JSON-6
#[test]
fn nesting_up_to_10000_levels_is_accepted() {
    // The top-level object is level 1, so 9999 arrays reach level 10000.
    let json = format!(r#"{{"x":{},"name":"deep"}}"#, nested_arrays(9_999));
    assert_eq!(meta_ok(json).name, "deep");
}

// REQ-JSON-6
#[test]
fn nesting_beyond_10000_levels_is_an_error() {
    let json = format!(r#"{{"x":{}}}"#, nested_arrays(10_000));
    assert_eq!(
        meta_err(json),
        "json: nesting deeper than 10000 levels at offset 10004"
    );
}

// REQ-JSON-6
#[test]
fn the_depth_limit_is_checked_before_the_end_of_input() {
    let json = format!(r#"{{"x":{}"#, "{\"a\":".repeat(10_000));
    assert_eq!(
        meta_err(json),
        "json: nesting deeper than 10000 levels at offset 50000"
    );
}

// REQ-JSON-6
#[test]
fn nesting_limit_counts_message_attribute_values() {
    let ok = format!(
        r#"{{"message_attributes":{{"a":{}}}}}"#,
        nested_arrays(9_998)
    );
    assert_eq!(msg_ok(&ok).message_attributes["a"].len(), 2 * 9_998);
    let too_deep = format!(
        r#"{{"message_attributes":{{"a":{}}}}}"#,
        nested_arrays(9_999)
    );
    assert!(msg_err(too_deep).starts_with("json: nesting deeper than 10000 levels"));
}

// ---------------------------------------------------------------- invalid UTF-8 and surrogates

// REQ-JSON-7
#[test]
fn invalid_utf8_becomes_one_replacement_per_byte() {
    // Not String::from_utf8_lossy, which gives one U+FFFD for `e2 82`.
    assert_eq!(
        meta_ok(b"{\"name\":\"\xe2\x82A\"}").name,
        "\u{fffd}\u{fffd}A"
    );
    assert_eq!(
        meta_ok(b"{\"name\":\"\xed\xa0\x80\"}").name,
        "\u{fffd}".repeat(3)
    );
    assert_eq!(
        meta_ok(b"{\"name\":\"\xc0\x80\"}").name,
        "\u{fffd}".repeat(2)
    );
    assert_eq!(
        meta_ok(b"{\"name\":\"\xf4\x90\x80\x80\"}").name,
        "\u{fffd}".repeat(4)
    );
    assert_eq!(
        meta_ok(b"{\"name\":\"\xf0\x9f\x98\"}").name,
        "\u{fffd}".repeat(3)
    );
    assert_eq!(meta_ok(b"{\"name\":\"a\xffb\"}").name, "a\u{fffd}b");
}

// REQ-JSON-7
#[test]
fn valid_utf8_and_a_real_replacement_character_are_kept() {
    assert_eq!(
        meta_ok("{\"name\":\"\u{e9}\u{4e2d}\u{1f600}\u{fffd}\"}").name,
        "\u{e9}\u{4e2d}\u{1f600}\u{fffd}"
    );
}

// REQ-JSON-7
#[test]
fn invalid_utf8_with_escapes_is_replaced_per_byte() {
    assert_eq!(
        meta_ok(b"{\"name\":\"\\n\xe2\x82\\t\"}").name,
        "\n\u{fffd}\u{fffd}\t"
    );
}

// REQ-JSON-7
#[test]
fn lone_surrogate_escape_becomes_one_replacement() {
    assert_eq!(meta_ok(r#"{"name":"\ud800"}"#).name, "\u{fffd}");
    assert_eq!(meta_ok(r#"{"name":"\udc00"}"#).name, "\u{fffd}");
    assert_eq!(meta_ok(r#"{"name":"\ud800x"}"#).name, "\u{fffd}x");
    assert_eq!(meta_ok(r#"{"name":"\ud800\u0041"}"#).name, "\u{fffd}A");
}

// REQ-JSON-7
#[test]
fn reversed_surrogate_pair_becomes_two_replacements() {
    assert_eq!(
        meta_ok(r#"{"name":"\udc00\ud800"}"#).name,
        "\u{fffd}\u{fffd}"
    );
}

// REQ-JSON-7
#[test]
fn surrogate_pairs_are_joined() {
    assert_eq!(meta_ok(r#"{"name":"\ud83d\ude00"}"#).name, "\u{1f600}");
    assert_eq!(
        meta_ok(r#"{"name":"\ud800\ud800\udc00"}"#).name,
        "\u{fffd}\u{10000}"
    );
}

// REQ-JSON-7
#[test]
fn map_keys_get_the_same_replacement() {
    let got = meta_ok(b"{\"tags\":{\"\xff\":\"\\udc00\"}}");
    assert_eq!(got.tags, tags(&[("\u{fffd}", "\u{fffd}")]));
    let got = msg_ok(b"{\"message_attributes\":{\"a\xe2\x82\\ud800\":1}}");
    assert_eq!(
        got.message_attributes,
        attrs(&[("a\u{fffd}\u{fffd}\u{fffd}", b"1")])
    );
}

// ---------------------------------------------------------------- control bytes

// REQ-JSON-8
#[test]
fn raw_control_bytes_in_strings_are_errors() {
    for byte in 0u8..0x20 {
        let json = [b"{\"name\":\"a".as_slice(), &[byte], b"\"}"].concat();
        assert_eq!(
            meta_err(&json),
            format!("json: control byte 0x{byte:02x} in string literal at offset 10")
        );
    }
}

// REQ-JSON-8
#[test]
fn raw_control_bytes_in_keys_and_unknown_fields_are_errors() {
    assert_eq!(
        meta_err(b"{\"x\n\":1}"),
        "json: control byte 0x0a in string literal at offset 3"
    );
    assert_eq!(
        meta_err(b"{\"x\":[\"\t\"]}"),
        "json: control byte 0x09 in string literal at offset 7"
    );
}

// REQ-JSON-8
#[test]
fn delete_byte_is_accepted() {
    assert_eq!(meta_ok(b"{\"name\":\"a\x7fb\"}").name, "a\x7fb");
}

// REQ-JSON-8
#[test]
fn escaped_control_characters_are_accepted() {
    assert_eq!(
        meta_ok(r#"{"name":"\u0000\u001f\b\f\n\r\t\"\\\/"}"#).name,
        "\0\u{1f}\u{8}\u{c}\n\r\t\"\\/"
    );
}

// ---------------------------------------------------------------- []byte

// REQ-JSON-9
#[test]
fn bytes_are_padded_standard_base64() {
    assert_eq!(body(r#"{"body":"aGk="}"#), b"hi");
    assert_eq!(body(r#"{"body":"aA=="}"#), b"h");
    assert_eq!(body(r#"{"body":"+/+/"}"#), [0xfb, 0xff, 0xbf]);
}

// REQ-JSON-9
#[test]
fn missing_padding_is_an_error() {
    assert_eq!(
        msg_err(r#"{"body":"aGk"}"#),
        "json: illegal base64 data at byte 0 of []byte field body"
    );
    assert_eq!(
        msg_err(r#"{"body":"aG="}"#),
        "json: illegal base64 data at byte 3 of []byte field body"
    );
}

// REQ-JSON-9
#[test]
fn url_safe_alphabet_is_an_error() {
    assert_eq!(
        msg_err(r#"{"body":"-_-_"}"#),
        "json: illegal base64 data at byte 0 of []byte field body"
    );
}

// REQ-JSON-9
#[test]
fn bad_padding_is_an_error() {
    assert_eq!(
        msg_err(r#"{"body":"a==="}"#),
        "json: illegal base64 data at byte 1 of []byte field body"
    );
    assert_eq!(
        msg_err(r#"{"body":"===="}"#),
        "json: illegal base64 data at byte 0 of []byte field body"
    );
    assert_eq!(
        msg_err(r#"{"body":"aGk=="}"#),
        "json: illegal base64 data at byte 4 of []byte field body"
    );
}

// REQ-JSON-9
#[test]
fn data_after_padding_is_an_error() {
    assert_eq!(
        msg_err(r#"{"body":"aGk=aGk="}"#),
        "json: illegal base64 data at byte 4 of []byte field body"
    );
}

// REQ-JSON-9
#[test]
fn escaped_cr_and_lf_are_skipped() {
    assert_eq!(body(r#"{"body":"a\nGk=\r\n"}"#), b"hi");
    assert_eq!(body(r#"{"body":"aG=\r\n="}"#), b"h");
    assert_eq!(body(r#"{"body":"\n"}"#), b"");
}

// REQ-JSON-9
#[test]
fn other_stray_bytes_are_errors() {
    assert_eq!(
        msg_err(r#"{"body":"aG k="}"#),
        "json: illegal base64 data at byte 2 of []byte field body"
    );
    assert_eq!(
        msg_err(r#"{"body":"aGk=\t"}"#),
        "json: illegal base64 data at byte 4 of []byte field body"
    );
}

// REQ-JSON-9
#[test]
fn escapes_are_decoded_before_base64() {
    assert_eq!(body(r#"{"body":"aGk\u003d"}"#), b"hi");
    assert_eq!(body(r#"{"body":"\/\/\/\/"}"#), [0xff, 0xff, 0xff]);
}

// REQ-JSON-9
#[test]
fn nonzero_trailing_bits_are_accepted() {
    assert_eq!(body(r#"{"body":"aGj="}"#), b"hh");
    assert_eq!(body(r#"{"body":"aB=="}"#), b"h");
}

// REQ-JSON-9
#[test]
fn empty_string_and_null_give_empty_bytes() {
    assert_eq!(body(r#"{"body":""}"#), b"");
    assert_eq!(body(r#"{"body":null}"#), b"");
}

// REQ-JSON-9
#[test]
fn array_of_small_integers_is_accepted() {
    assert_eq!(body(r#"{"body":[104,105]}"#), b"hi");
    assert_eq!(body(r#"{"body":[ 0 , 255 ]}"#), [0, 255]);
    assert_eq!(body(r#"{"body":[]}"#), b"");
}

// REQ-JSON-9
#[test]
fn null_array_element_is_zero_or_keeps_the_old_byte() {
    assert_eq!(body(r#"{"body":[104,null]}"#), [104, 0]);
    // Go decodes into the existing slice in place: a null element keeps
    // what the backing array held, up to its capacity.
    assert_eq!(
        body(r#"{"body":"aGk=","body":[null,null,null]}"#),
        [b'h', b'i', 0]
    );
    assert_eq!(
        body(r#"{"body":[1,2,3],"body":[9],"body":[null,null]}"#),
        [9, 2]
    );
    assert_eq!(body(r#"{"body":"aGVsbG8=","body":[null]}"#), b"h");
}

// REQ-JSON-9
#[test]
fn a_long_byte_array_keeps_every_element() {
    // Past the first backing array of 4 and each growth after it.
    let all: Vec<u8> = (0..=255).collect();
    let list = all.iter().map(u8::to_string).collect::<Vec<_>>().join(",");
    assert_eq!(body(format!(r#"{{"body":[{list}]}}"#)), all);
    // Nulls past the longest earlier array read zeros, before it the old bytes.
    assert_eq!(
        body(
            r#"{"body":[1,2,3,4,5,6,7],"body":[9],"body":[null,null,null,null,null,null,null,null,null,null]}"#
        ),
        [9, 2, 3, 4, 5, 6, 7, 0, 0, 0]
    );
}

// REQ-JSON-9
#[test]
fn bad_array_elements_are_errors() {
    let cases: &[(&str, &str)] = &[
        ("256", "number 256"),
        ("-1", "number -1"),
        ("-0", "number -0"),
        ("1.0", "number 1.0"),
        ("1e0", "number 1e0"),
        (r#""a""#, "string"),
        ("true", "bool"),
        ("[]", "array"),
        ("{}", "object"),
    ];
    for (element, found) in cases {
        assert_eq!(
            msg_err(format!(r#"{{"body":[1,{element}]}}"#)),
            format!("json: cannot read {found} into byte element of []byte field body")
        );
    }
}

// REQ-JSON-9
#[test]
fn number_bool_or_object_for_bytes_is_an_error() {
    assert_eq!(
        msg_err(r#"{"body":5}"#),
        "json: cannot read number 5 into []byte field body"
    );
    assert_eq!(
        msg_err(r#"{"body":{}}"#),
        "json: cannot read object into []byte field body"
    );
    assert_eq!(
        msg_err(r#"{"current_receipt_token":false}"#),
        "json: cannot read bool into []byte field current_receipt_token"
    );
}

// REQ-JSON-9
#[test]
fn receipt_token_follows_the_same_rules() {
    assert_eq!(
        msg_ok(r#"{"current_receipt_token":"AAEC\n"}"#).current_receipt_token,
        [0, 1, 2]
    );
    assert_eq!(
        msg_ok(r#"{"current_receipt_token":[7]}"#).current_receipt_token,
        [7]
    );
    assert_eq!(
        msg_err(r#"{"current_receipt_token":"AAE"}"#),
        "json: illegal base64 data at byte 0 of []byte field current_receipt_token"
    );
}

// REQ-JSON-9
#[test]
fn invalid_utf8_in_a_base64_string_is_an_error() {
    assert_eq!(
        msg_err(b"{\"body\":\"aGk\xff\"}"),
        "json: illegal base64 data at byte 3 of []byte field body"
    );
}

// ---------------------------------------------------------------- message_attributes

// REQ-JSON-10
#[test]
fn attribute_values_are_kept_as_raw_bytes() {
    let got = msg_ok(
        r#"{"message_attributes":{"a":{ "DataType" : "String",  "StringValue":"\u0041\/" },"n":1.50,"s":"\u00e9","t":true,"l":[ 1 ,2 ]}}"#,
    );
    assert_eq!(
        got.message_attributes,
        attrs(&[
            (
                "a",
                br#"{ "DataType" : "String",  "StringValue":"\u0041\/" }"#
            ),
            ("n", b"1.50"),
            ("s", br#""\u00e9""#),
            ("t", b"true"),
            ("l", b"[ 1 ,2 ]"),
        ])
    );
}

// REQ-JSON-10
#[test]
fn attribute_values_lose_only_outer_white_space() {
    let got = msg_ok("{\"message_attributes\":{\"a\": \n\t{ \"x\" :\n1 } \r\n,\"b\":\t-0.0e+1 }}");
    assert_eq!(
        got.message_attributes,
        attrs(&[("a", b"{ \"x\" :\n1 }"), ("b", b"-0.0e+1")])
    );
}

// REQ-JSON-10
#[test]
fn attribute_values_keep_raw_invalid_utf8() {
    let got = msg_ok(b"{\"message_attributes\":{\"a\":\"\xe2\x82A\\ud800\"}}");
    assert_eq!(
        got.message_attributes,
        attrs(&[("a", b"\"\xe2\x82A\\ud800\"")])
    );
}

// REQ-JSON-10
#[test]
fn attribute_keys_are_unescaped() {
    let got = msg_ok(r#"{"message_attributes":{"\u0041\/b\n":1}}"#);
    assert_eq!(got.message_attributes, attrs(&[("A/b\n", b"1")]));
}

// REQ-JSON-10
#[test]
fn non_object_attributes_are_an_error() {
    assert_eq!(
        msg_err(r#"{"message_attributes":"x"}"#),
        "json: cannot read string into map[string]json.RawMessage field message_attributes"
    );
    assert_eq!(
        msg_err(r#"{"message_attributes":[]}"#),
        "json: cannot read array into map[string]json.RawMessage field message_attributes"
    );
    assert_eq!(
        msg_err(r#"{"message_attributes":1}"#),
        "json: cannot read number 1 into map[string]json.RawMessage field message_attributes"
    );
    assert_eq!(
        msg_err(r#"{"message_attributes":false}"#),
        "json: cannot read bool into map[string]json.RawMessage field message_attributes"
    );
}

// REQ-JSON-10
#[test]
fn null_attributes_give_an_empty_map() {
    assert!(msg_ok(r#"{"message_attributes":null}"#)
        .message_attributes
        .is_empty());
    assert!(msg_ok(r#"{"message_attributes":{}}"#)
        .message_attributes
        .is_empty());
}

// REQ-JSON-10
#[test]
fn attribute_value_syntax_is_checked() {
    assert_eq!(
        msg_err(r#"{"message_attributes":{"a":{"x":}}}"#),
        "json: invalid character '}' looking for beginning of value at offset 32"
    );
}
