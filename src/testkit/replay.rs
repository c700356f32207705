//! The snapshot that `scripts/replay-sqs-test` replays into an
//! SQS-compatible server (SPEC.md REQ-OUT-11).
//!
//! It holds, at `last_commit_ts` [`LAST_COMMIT_TS`]:
//! - `orders`: a standard queue with every settable attribute, tags and a
//!   redrive policy naming `orders-dlq`; text bodies with trailing
//!   newlines, CR LF, non-ASCII, U+2028 and HTML characters, three bodies
//!   of about 100 KiB (so batches split by size), String, Number and
//!   Binary attributes, and one Binary attribute that is not UTF-8;
//! - `orders-dlq`: its dead-letter queue, with a redrive allow policy;
//! - `payments.fifo`: a FIFO queue without content-based deduplication,
//!   three interleaved groups, explicit deduplication ids on some
//!   messages (one repeated) and none on the others;
//! - `events.fifo`: an HT-FIFO queue with content-based deduplication,
//!   partitioned keys, throughput and scope attributes, tags, and one
//!   body repeated within a group;
//! - `blobs`: a standard queue where half the bodies are binary (not
//!   UTF-8);
//! - `limits`: a standard queue with a retention SQS does not accept and
//!   a 1024-byte size limit, holding messages SQS refuses: a longer body,
//!   an empty body, an attribute without a value;
//! - `bad name!`: a queue whose name SQS does not accept.

use base64::Engine as _;
use serde_json::{json, Map, Value};

use crate::fsm::{encode_header, encode_key, encode_raw_entry, encode_value};
use crate::key::{build, KeyParts};
use crate::value::{MESSAGE_MAGIC, QUEUE_META_MAGIC};

/// The snapshot's `last_commit_ts`.
pub const LAST_COMMIT_TS: u64 = 1000;

/// The region and account of the ARNs in the fixture's redrive policies.
pub const SOURCE_ARN_PREFIX: &str = "arn:aws:sqs:us-west-2:000000000000:";

struct Msg {
    id: String,
    body: Vec<u8>,
    attrs: Map<String, Value>,
    group: String,
    dedup: String,
    seq: u64,
    partition: Option<u32>,
}

fn std_b64(b: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(b)
}

fn string_attr(data_type: &str, v: &str) -> Value {
    json!({"DataType": data_type, "StringValue": v})
}

fn binary_attr(v: &[u8]) -> Value {
    json!({"DataType": "Binary", "BinaryValue": std_b64(v)})
}

fn msg(id: String, body: impl Into<Vec<u8>>) -> Msg {
    Msg {
        id,
        body: body.into(),
        attrs: Map::new(),
        group: String::new(),
        dedup: String::new(),
        seq: 0,
        partition: None,
    }
}

fn orders() -> Vec<Msg> {
    let mut out = Vec::new();
    for i in 0..40u32 {
        let body = match i {
            10..=12 => format!("{}{i}\n", "x".repeat(100_000)),
            _ => match i % 6 {
                0 => format!("order {i}\n"),
                1 => format!("order {i}\r\n\n"),
                2 => format!("é 😀 注文 {i}"),
                3 => format!("<b>{i}</b> & \u{2028}\u{2029} ok"),
                4 => format!("{{\"id\":{i}}}\t"),
                _ => format!("  spaces {i}  \n\n\n"),
            },
        };
        let mut m = msg(format!("ord-{i:04}"), body);
        if i % 3 == 0 {
            m.attrs
                .insert("kind".into(), string_attr("String", "order ✓\n"));
            m.attrs
                .insert("qty".into(), string_attr("Number", &i.to_string()));
            m.attrs.insert(
                "raw".into(),
                binary_attr(format!("bin {i} \u{1}é").as_bytes()),
            );
        }
        if i % 5 == 1 {
            m.attrs
                .insert("trace.id".into(), string_attr("String.trace", "t-1"));
        }
        if i == 20 {
            // Not UTF-8: AWS CLI v1 cannot send it.
            m.attrs
                .insert("blob".into(), binary_attr(&[0xff, 0x00, 0xfe]));
        }
        out.push(m);
    }
    out
}

fn orders_dlq() -> Vec<Msg> {
    (0..2u32)
        .map(|i| msg(format!("dlq-{i:04}"), format!("dead letter {i}\n")))
        .collect()
}

fn payments() -> Vec<Msg> {
    let groups = ["g-a", "g-b", "g-c"];
    let mut out = Vec::new();
    for i in 0..30u32 {
        let group = groups.get(i as usize % 3).copied().unwrap_or("g-a");
        let mut m = msg(
            format!("pay-{i:04}"),
            format!("payment {i} in {group}\nΣ €{i}\n"),
        );
        m.group = group.into();
        m.seq = 100 + u64::from(i);
        if i == 15 || i == 18 {
            m.dedup = "pay-dup".into();
        } else if i % 3 == 0 {
            m.dedup = format!("dedup-{i}");
        }
        if i % 4 == 0 {
            m.attrs
                .insert("amount".into(), string_attr("Number", &format!("{i}.50")));
        }
        out.push(m);
    }
    out
}

fn events() -> Vec<Msg> {
    let mut out = Vec::new();
    for i in 0..20u32 {
        let group = if i % 2 == 0 { "user-1" } else { "user-2" };
        // Messages 6 and 8 share a body and a group.
        let body = if i == 8 {
            "event 6\n".to_string()
        } else {
            format!("event {i}\n")
        };
        let mut m = msg(format!("evt-{i:04}"), body);
        m.group = group.into();
        m.seq = 500 + u64::from(i);
        m.partition = Some(i % 2);
        if i % 3 == 0 {
            m.attrs
                .insert("type".into(), string_attr("String", "click"));
        }
        out.push(m);
    }
    out
}

fn blobs() -> Vec<Msg> {
    (0..6u32)
        .map(|i| {
            let body = if i % 2 == 0 {
                vec![0xff, 0xfe, 0x00, 0x80, u8::try_from(i).unwrap_or(0)]
            } else {
                format!("text {i}\n").into_bytes()
            };
            msg(format!("blob-{i:04}"), body)
        })
        .collect()
}

fn limits() -> Vec<Msg> {
    let mut out = vec![
        msg("lim-0000".into(), "fits\n"),
        msg("lim-0001".into(), "y".repeat(2000)),
        msg("lim-0002".into(), ""),
        msg("lim-0003".into(), "no value"),
        msg("lim-0004".into(), "fits too\n"),
    ];
    if let Some(m) = out.get_mut(3) {
        m.attrs
            .insert("empty".into(), json!({"DataType": "String"}));
    }
    out
}

struct Queue {
    name: &'static str,
    meta: Value,
    msgs: Vec<Msg>,
}

fn queues() -> Vec<Queue> {
    let arn = |q: &str| format!("{SOURCE_ARN_PREFIX}{q}");
    vec![
        Queue {
            name: "orders",
            meta: json!({
                "visibility_timeout_seconds": 45,
                "message_retention_seconds": 86400,
                "delay_seconds": 0,
                "receive_message_wait_seconds": 1,
                "maximum_message_size": 262144,
                "redrive_policy": json!({"deadLetterTargetArn": arn("orders-dlq"), "maxReceiveCount": 3}).to_string(),
                "tags": {"team": "billing", "env": "test ✓"},
            }),
            msgs: orders(),
        },
        Queue {
            name: "orders-dlq",
            meta: json!({
                "visibility_timeout_seconds": 30,
                "message_retention_seconds": 1209600,
                "delay_seconds": 0,
                "redrive_allow_policy": json!({"redrivePermission": "byQueue", "sourceQueueArns": [arn("orders")]}).to_string(),
            }),
            msgs: orders_dlq(),
        },
        Queue {
            name: "payments.fifo",
            meta: json!({
                "is_fifo": true,
                "visibility_timeout_seconds": 60,
                "message_retention_seconds": 345600,
                "delay_seconds": 0,
            }),
            msgs: payments(),
        },
        Queue {
            name: "events.fifo",
            meta: json!({
                "is_fifo": true,
                "content_based_dedup": true,
                "visibility_timeout_seconds": 30,
                "message_retention_seconds": 345600,
                "delay_seconds": 0,
                "partition_count": 2,
                "fifo_throughput_limit": "perMessageGroupId",
                "deduplication_scope": "messageGroup",
                "tags": {"stream": "events"},
            }),
            msgs: events(),
        },
        Queue {
            name: "blobs",
            meta: json!({
                "visibility_timeout_seconds": 30,
                "message_retention_seconds": 345600,
                "delay_seconds": 0,
            }),
            msgs: blobs(),
        },
        Queue {
            name: "limits",
            meta: json!({
                "visibility_timeout_seconds": 30,
                "message_retention_seconds": 30,
                "delay_seconds": 0,
                "maximum_message_size": 1024,
            }),
            msgs: limits(),
        },
        Queue {
            name: "bad name!",
            meta: json!({
                "visibility_timeout_seconds": 30,
                "message_retention_seconds": 345600,
                "delay_seconds": 0,
            }),
            msgs: vec![msg("bad-0000".into(), "a\n"), msg("bad-0001".into(), "b\n")],
        },
    ]
}

fn with_magic(magic: [u8; 4], v: &Value) -> Vec<u8> {
    let mut out = magic.to_vec();
    out.extend_from_slice(v.to_string().as_bytes());
    out
}

/// The fixture snapshot's bytes.
pub fn fixture_fsm() -> Vec<u8> {
    let mut entries: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    let mut push = |user_key: Vec<u8>, ts: u64, value: Vec<u8>| {
        entries.push((encode_key(&user_key, ts), encode_value(0, 0, &value)));
    };
    let mut ts_base: i64 = 1_700_000_000_000;
    for q in queues() {
        let mut meta = q.meta.clone();
        if let Some(o) = meta.as_object_mut() {
            o.insert("name".into(), json!(q.name));
        }
        let queue = q.name.as_bytes().to_vec();
        push(
            build(&KeyParts::QueueMeta {
                queue: queue.clone(),
            }),
            10,
            with_magic(QUEUE_META_MAGIC, &meta),
        );
        push(
            build(&KeyParts::QueueGen {
                queue: queue.clone(),
            }),
            10,
            b"1".to_vec(),
        );
        for (n, m) in q.msgs.iter().enumerate() {
            let ts = ts_base.saturating_add(i64::try_from(n).unwrap_or(0).saturating_mul(1000));
            let mut v = json!({
                "message_id": m.id,
                "body": std_b64(&m.body),
                "md5_of_body": "",
                "send_timestamp_millis": ts,
                "available_at_millis": ts,
                "visible_at_millis": ts,
                "receive_count": 0,
                "queue_generation": 1,
                "message_group_id": m.group,
                "message_deduplication_id": m.dedup,
                "sequence_number": m.seq,
            });
            if let Some(o) = v.as_object_mut() {
                if !m.attrs.is_empty() {
                    o.insert("message_attributes".into(), Value::Object(m.attrs.clone()));
                }
            }
            push(
                build(&KeyParts::MsgData {
                    queue: queue.clone(),
                    partition: m.partition,
                    gen: 1,
                    message_id: m.id.as_bytes().to_vec(),
                }),
                100,
                with_magic(MESSAGE_MAGIC, &v),
            );
        }
        ts_base = ts_base.saturating_add(10_000_000);
    }
    entries.sort();
    let mut out = encode_header(LAST_COMMIT_TS);
    for (k, v) in &entries {
        encode_raw_entry(&mut out, k, v);
    }
    out
}
