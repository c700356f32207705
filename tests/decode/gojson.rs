//! The Go-compatible JSON reader on its own: the `Target` API, nesting
//! limits on a small stack, and properties over generated documents.

use std::collections::BTreeMap;

use proptest::prelude::*;
use sqsdump::gojson::{match_field, unmarshal, GoBytes, JsonError, Slot, Target, MAX_DEPTH};
use sqsdump::value::{decode_message, decode_queue_meta, MESSAGE_MAGIC, QUEUE_META_MAGIC};

/// A small struct with one field of each kind.
#[derive(Debug, Default)]
struct Probe {
    s: String,
    n: i64,
    bytes: GoBytes,
    raw: BTreeMap<String, Vec<u8>>,
}

impl Target for Probe {
    const FIELDS: &'static [&'static str] = &["s", "n", "bytes", "raw"];

    fn slot(&mut self, index: usize) -> Option<Slot<'_>> {
        Some(match index {
            0 => Slot::Str(&mut self.s),
            1 => Slot::I64(&mut self.n),
            2 => Slot::Bytes(&mut self.bytes),
            3 => Slot::RawMap(&mut self.raw),
            _ => return None,
        })
    }
}

fn probe(json: &[u8]) -> Result<Probe, JsonError> {
    let mut p = Probe::default();
    unmarshal(json, &mut p).map(|()| p)
}

/// Run `f` on a thread with a 2 MiB stack, the size of a test thread.
fn on_small_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(f)
        .and_then(|h| h.join().map_err(|_| std::io::Error::other("panicked")))
        .unwrap_or_else(|e| panic!("thread failed: {e}"));
}

// REQ-JSON-4, REQ-JSON-6
#[test]
fn target_api_reads_every_slot_kind() {
    let p = probe(br#"{"s":"x","n":-4,"bytes":"AAE=","raw":{"k":[1, 2]},"other":{}}"#)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(p.s, "x");
    assert_eq!(p.n, -4);
    assert_eq!(p.bytes.as_slice(), [0, 1]);
    assert_eq!(p.raw["k"], b"[1, 2]");
}

// REQ-JSON-1
#[test]
fn match_field_prefers_an_exact_match() {
    let fields = ["ab", "AB"];
    assert_eq!(match_field(&fields, b"AB"), Some(1));
    assert_eq!(match_field(&fields, b"Ab"), Some(0));
    assert_eq!(match_field(&fields, b"abc"), None);
}

// REQ-JSON-6
#[test]
fn deepest_allowed_unknown_value_on_a_small_stack() {
    on_small_stack(|| {
        let levels = MAX_DEPTH - 1;
        let json = format!(
            r#"{{"x":{}{},"s":"ok"}}"#,
            "[".repeat(levels),
            "]".repeat(levels)
        );
        assert_eq!(probe(json.as_bytes()).map(|p| p.s), Ok("ok".to_string()));
    });
}

// REQ-JSON-6
#[test]
fn one_level_too_deep_on_a_small_stack() {
    on_small_stack(|| {
        let levels = MAX_DEPTH;
        let json = format!(r#"{{"x":{}{}}}"#, "[".repeat(levels), "]".repeat(levels));
        assert_eq!(
            probe(json.as_bytes()).map(|p| p.s),
            Err(JsonError::TooDeep {
                offset: 5 + levels - 1
            })
        );
    });
}

// REQ-JSON-6
#[test]
fn deepest_allowed_objects_in_a_raw_map_on_a_small_stack() {
    on_small_stack(|| {
        // Top object, the raw map, then objects up to level 10000.
        let levels = MAX_DEPTH - 2;
        let json = format!(
            r#"{{"raw":{{"k":{}1{}}}}}"#,
            r#"{"a":"#.repeat(levels),
            "}".repeat(levels)
        );
        let p = probe(json.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.raw["k"].len(), 5 * levels + 1 + levels);
    });
}

// REQ-JSON-6
#[test]
fn a_million_open_brackets_fail_fast_on_a_small_stack() {
    on_small_stack(|| {
        let mut json = b"{\"x\":".to_vec();
        json.extend_from_slice(&vec![b'['; 1_000_000]);
        assert_eq!(
            probe(&json).map(|p| p.s),
            Err(JsonError::TooDeep {
                offset: 5 + MAX_DEPTH - 1
            })
        );
        let mut value = MESSAGE_MAGIC.to_vec();
        value.extend_from_slice(b"{\"message_attributes\":{\"a\":");
        value.extend_from_slice(&vec![b'{'; 1_000_000]);
        assert!(decode_message(&value).is_err());
    });
}

fn with_magic(magic: [u8; 4], json: &[u8]) -> Vec<u8> {
    [&magic[..], json].concat()
}

// REQ-JSON-6
#[test]
fn closed_containers_give_their_level_back() {
    on_small_stack(|| {
        // After siblings of every container kind, empty or not, read into
        // a field or skipped, a value may still nest to the limit.
        let deep = format!("{}{}", "[".repeat(MAX_DEPTH - 1), "]".repeat(MAX_DEPTH - 1));
        let siblings =
            r#""raw":{},"raw":{"k":[1]},"bytes":[],"bytes":[1,2],"x":{},"x":[],"x":{"a":[{}]}"#;
        let json = format!(r#"{{{siblings},"y":{deep},"s":"ok"}}"#);
        assert_eq!(probe(json.as_bytes()).map(|p| p.s), Ok("ok".to_string()));
        // A Go map[string]string: the queue's tags.
        let meta = format!(r#"{{"tags":{{}},"tags":{{"a":"b"}},"x":{deep},"name":"q"}}"#);
        let got = decode_queue_meta(&with_magic(QUEUE_META_MAGIC, meta.as_bytes()));
        assert_eq!(
            got.map(|m| (m.name, m.tags.len())),
            Ok(("q".to_string(), 1))
        );
        // One level more after the same siblings is refused.
        let deeper = format!(r#"{{"tags":{{}},"x":[{deep}]}}"#);
        assert!(decode_queue_meta(&with_magic(QUEUE_META_MAGIC, deeper.as_bytes())).is_err());
    });
}

proptest! {
    // REQ-JSON-6, REQ-ERR-2: no input makes the reader panic.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = decode_message(&with_magic(MESSAGE_MAGIC, &bytes));
        let _ = decode_queue_meta(&with_magic(QUEUE_META_MAGIC, &bytes));
    }

    // REQ-JSON-6, REQ-ERR-2: mutating a valid record never panics, and a rejected
    // record is rejected the same way every time.
    #[test]
    fn mutated_records_never_panic(
        at in 0usize..400,
        byte in any::<u8>(),
        delete in any::<bool>(),
    ) {
        let base: &[u8] = br#"{"message_id":"m","body":"aGk=","message_attributes":{"a":{"b":[1,"\u0041"]}},"body":[1,null],"send_timestamp_millis":-5,"queue_generation":7,"x":[{},[],"s",1.5e3,true,false,null]}"#;
        let mut json = base.to_vec();
        let at = at % (json.len() + 1);
        if delete && at < json.len() {
            json.remove(at);
        } else {
            json.insert(at, byte);
        }
        let value = with_magic(MESSAGE_MAGIC, &json);
        prop_assert_eq!(decode_message(&value), decode_message(&value));
    }

    // REQ-VAL-3, REQ-JSON-7: any string and integer written by a standard
    // JSON encoder reads back unchanged.
    #[test]
    fn encoded_strings_and_numbers_read_back(name in any::<String>(), delay in any::<i64>(), count in any::<u32>(), tag in any::<String>()) {
        let json = serde_json::json!({
            "name": name,
            "delay_seconds": delay,
            "partition_count": count,
            "tags": { tag.clone(): name.clone() },
        });
        let text = serde_json::to_vec(&json).unwrap_or_default();
        let meta = decode_queue_meta(&with_magic(QUEUE_META_MAGIC, &text));
        let meta = meta.map_err(TestCaseError::fail)?;
        prop_assert_eq!(&meta.name, &name);
        prop_assert_eq!(meta.delay_seconds, delay);
        prop_assert_eq!(meta.partition_count, count);
        prop_assert_eq!(meta.tags.get(&tag), Some(&name));
    }

    // REQ-JSON-9: any bytes encoded as padded standard base64, with
    // optional escaped newlines, read back unchanged.
    #[test]
    fn base64_bodies_read_back(body in proptest::collection::vec(any::<u8>(), 0..100), wrap in 1usize..80) {
        use base64::Engine as _;
        let encoded = base64::engine::general_purpose::STANDARD.encode(&body);
        let wrapped: Vec<String> = encoded
            .as_bytes()
            .chunks(wrap)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect();
        let json = format!(r#"{{"body":"{}"}}"#, wrapped.join("\\r\\n"));
        let msg = decode_message(&with_magic(MESSAGE_MAGIC, json.as_bytes()));
        prop_assert_eq!(msg.map(|m| m.body), Ok(body));
    }
}
