//! SQS values: queue meta, message and generation records (REQ-VAL-*).
//!
//! Queue meta and message values are a 4-byte magic followed by the JSON
//! of the live record. They are read with [`crate::gojson`], which accepts
//! exactly what upstream's reader, Go's `encoding/json`, accepts
//! (REQ-JSON-*). Gen values are decimal ASCII.
//!
//! These are upstream's internal records, not the dump: their field lists
//! ([`QueueMeta`]'s and `MessageTarget`'s `FIELDS`) are the live names
//! that [`crate::schema::LIVE_QUEUE`] and [`crate::schema::LIVE_MESSAGE`]
//! declare, matched as Go matches them (case-insensitively, REQ-JSON-1),
//! in any order. Each maps to the dump field of the same name in
//! [`crate::schema::QUEUE`] and [`crate::schema::MESSAGE`], except
//! `is_fifo` → `fifo` and `content_based_dedup` →
//! `content_based_deduplication`; `generation` is not read, and a
//! message's `partition` comes from its key, not its value. The unit test
//! `schema::tests::the_live_tables_match_the_testkit_go_writer_and_the_value_reader`
//! checks the names.

use std::collections::BTreeMap;

use crate::gojson::{self, GoBytes, Slot};

/// Magic prefix of a queue meta value: `00 'S' 'Q' 01`.
pub const QUEUE_META_MAGIC: [u8; 4] = [0x00, b'S', b'Q', 0x01];
/// Magic prefix of a message value: `00 'S' 'M' 01`.
pub const MESSAGE_MAGIC: [u8; 4] = [0x00, b'S', b'M', 0x01];

/// The fields of the live queue catalog record that sqsdump reads
/// (REQ-VAL-3). Zero values mean "absent or null in the JSON".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueMeta {
    /// `name`.
    pub name: String,
    /// `is_fifo`.
    pub is_fifo: bool,
    /// `content_based_dedup`.
    pub content_based_dedup: bool,
    /// `visibility_timeout_seconds`.
    pub visibility_timeout_seconds: i64,
    /// `message_retention_seconds`.
    pub message_retention_seconds: i64,
    /// `delay_seconds`.
    pub delay_seconds: i64,
    /// `receive_message_wait_seconds`.
    pub receive_message_wait_seconds: i64,
    /// `maximum_message_size`.
    pub maximum_message_size: i64,
    /// `redrive_policy`.
    pub redrive_policy: String,
    /// `redrive_allow_policy`.
    pub redrive_allow_policy: String,
    /// `partition_count` (uint32).
    pub partition_count: u32,
    /// `fifo_throughput_limit`.
    pub fifo_throughput_limit: String,
    /// `deduplication_scope`.
    pub deduplication_scope: String,
    /// `tags` (map of string to string; REQ-VAL-4, an extension).
    pub tags: BTreeMap<String, String>,
}

/// The fields of the live message record (REQ-VAL-5).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Message {
    /// `message_id`.
    pub message_id: String,
    /// `body`: Go `[]byte`, standard padded base64 in JSON.
    pub body: Vec<u8>,
    /// `md5_of_body`.
    pub md5_of_body: String,
    /// `md5_of_message_attributes`.
    pub md5_of_message_attributes: String,
    /// `message_attributes`: unescaped key → the value's raw JSON bytes,
    /// exactly as in the input with only outer white space trimmed.
    pub message_attributes: BTreeMap<String, Vec<u8>>,
    /// `sender_id`.
    pub sender_id: String,
    /// `send_timestamp_millis`.
    pub send_timestamp_millis: i64,
    /// `available_at_millis`.
    pub available_at_millis: i64,
    /// `visible_at_millis`.
    pub visible_at_millis: i64,
    /// `receive_count`.
    pub receive_count: i64,
    /// `first_receive_millis`.
    pub first_receive_millis: i64,
    /// `current_receipt_token`: Go `[]byte`.
    pub current_receipt_token: Vec<u8>,
    /// `queue_generation` (uint64).
    pub queue_generation: u64,
    /// `message_group_id`.
    pub message_group_id: String,
    /// `message_deduplication_id`.
    pub message_deduplication_id: String,
    /// `sequence_number` (uint64).
    pub sequence_number: u64,
    /// `dead_letter_source_arn`.
    pub dead_letter_source_arn: String,
}

/// Read a queue meta value: [`QUEUE_META_MAGIC`], then the JSON of the live
/// catalog record, read as Go's `json.Unmarshal` reads it (REQ-VAL-1,
/// REQ-VAL-3, REQ-VAL-4). The error is the reason, e.g.
/// `missing magic prefix 00 53 51 01`.
pub fn decode_queue_meta(value: &[u8]) -> Result<QueueMeta, String> {
    let json = value
        .strip_prefix(&QUEUE_META_MAGIC[..])
        .ok_or_else(|| "missing magic prefix 00 53 51 01".to_string())?;
    let mut meta = QueueMeta::default();
    gojson::unmarshal(json, &mut meta).map_err(|e| e.to_string())?;
    Ok(meta)
}

/// Read a message value: [`MESSAGE_MAGIC`], then the JSON of the live
/// message record, read as Go's `json.Unmarshal` reads it (REQ-VAL-2,
/// REQ-VAL-5). The error is the reason, e.g.
/// `json: cannot read number 1.5 into int64 field send_timestamp_millis`.
pub fn decode_message(value: &[u8]) -> Result<Message, String> {
    MessageReader::default().read(value).map(std::mem::take)
}

/// Reads message values one after another into one [`Message`], which
/// keeps its strings' buffers from one value to the next (the streaming
/// engine's parser threads read millions of values). Each read gives
/// exactly what [`decode_message`] gives for that value alone.
#[derive(Debug, Default)]
pub struct MessageReader {
    target: MessageTarget,
}

impl MessageReader {
    /// Read a message value as [`decode_message`] does.
    pub fn read(&mut self, value: &[u8]) -> Result<&mut Message, String> {
        let json = value
            .strip_prefix(&MESSAGE_MAGIC[..])
            .ok_or_else(|| "missing magic prefix 00 53 4d 01".to_string())?;
        // Go unmarshals into a zero struct.
        self.target.reset();
        gojson::unmarshal(json, &mut self.target).map_err(|e| e.to_string())?;
        let t = &mut self.target;
        t.message.body = std::mem::take(&mut t.body).into_vec();
        t.message.current_receipt_token = std::mem::take(&mut t.current_receipt_token).into_vec();
        Ok(&mut t.message)
    }
}

/// Read a gen value the way Go's
/// `strconv.ParseUint(strings.TrimSpace(v), 10, 64)` does (REQ-VAL-6):
/// surrounding Unicode white space is trimmed, then only ASCII digits may
/// remain (no sign, no `_`, leading zeros allowed), and the number must fit
/// in a u64. Anything else, including invalid UTF-8, gives `None`.
pub fn decode_gen(value: &[u8]) -> Option<u64> {
    let digits = std::str::from_utf8(value).ok()?.trim();
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

impl gojson::Target for QueueMeta {
    const FIELDS: &'static [&'static str] = &[
        "name",
        "is_fifo",
        "content_based_dedup",
        "visibility_timeout_seconds",
        "message_retention_seconds",
        "delay_seconds",
        "receive_message_wait_seconds",
        "maximum_message_size",
        "redrive_policy",
        "redrive_allow_policy",
        "partition_count",
        "fifo_throughput_limit",
        "deduplication_scope",
        "tags",
    ];

    fn slot(&mut self, index: usize) -> Option<Slot<'_>> {
        Some(match index {
            0 => Slot::Str(&mut self.name),
            1 => Slot::Bool(&mut self.is_fifo),
            2 => Slot::Bool(&mut self.content_based_dedup),
            3 => Slot::I64(&mut self.visibility_timeout_seconds),
            4 => Slot::I64(&mut self.message_retention_seconds),
            5 => Slot::I64(&mut self.delay_seconds),
            6 => Slot::I64(&mut self.receive_message_wait_seconds),
            7 => Slot::I64(&mut self.maximum_message_size),
            8 => Slot::Str(&mut self.redrive_policy),
            9 => Slot::Str(&mut self.redrive_allow_policy),
            10 => Slot::U32(&mut self.partition_count),
            11 => Slot::Str(&mut self.fifo_throughput_limit),
            12 => Slot::Str(&mut self.deduplication_scope),
            13 => Slot::StrMap(&mut self.tags),
            _ => return None,
        })
    }
}

/// A [`Message`] being read: its `[]byte` fields are kept as Go slices
/// until the end (see [`GoBytes`]).
#[derive(Debug, Default)]
pub(crate) struct MessageTarget {
    message: Message,
    body: GoBytes,
    current_receipt_token: GoBytes,
}

impl MessageTarget {
    /// Back to the zero value, keeping the strings' buffers. (Destructured
    /// so that a new field does not compile until it is reset here.)
    fn reset(&mut self) {
        let MessageTarget {
            message,
            body,
            current_receipt_token,
        } = self;
        let Message {
            message_id,
            body: message_body,
            md5_of_body,
            md5_of_message_attributes,
            message_attributes,
            sender_id,
            send_timestamp_millis,
            available_at_millis,
            visible_at_millis,
            receive_count,
            first_receive_millis,
            current_receipt_token: message_token,
            queue_generation,
            message_group_id,
            message_deduplication_id,
            sequence_number,
            dead_letter_source_arn,
        } = message;
        for s in [
            message_id,
            md5_of_body,
            md5_of_message_attributes,
            sender_id,
            message_group_id,
            message_deduplication_id,
            dead_letter_source_arn,
        ] {
            s.clear();
        }
        for n in [
            send_timestamp_millis,
            available_at_millis,
            visible_at_millis,
            receive_count,
            first_receive_millis,
        ] {
            *n = 0;
        }
        *queue_generation = 0;
        *sequence_number = 0;
        message_attributes.clear();
        *message_body = Vec::new();
        *message_token = Vec::new();
        *body = GoBytes::default();
        *current_receipt_token = GoBytes::default();
    }
}

impl gojson::Target for MessageTarget {
    const FIELDS: &'static [&'static str] = &[
        "message_id",
        "body",
        "md5_of_body",
        "md5_of_message_attributes",
        "message_attributes",
        "sender_id",
        "send_timestamp_millis",
        "available_at_millis",
        "visible_at_millis",
        "receive_count",
        "first_receive_millis",
        "current_receipt_token",
        "queue_generation",
        "message_group_id",
        "message_deduplication_id",
        "sequence_number",
        "dead_letter_source_arn",
    ];

    fn slot(&mut self, index: usize) -> Option<Slot<'_>> {
        let m = &mut self.message;
        Some(match index {
            0 => Slot::Str(&mut m.message_id),
            1 => Slot::Bytes(&mut self.body),
            2 => Slot::Str(&mut m.md5_of_body),
            3 => Slot::Str(&mut m.md5_of_message_attributes),
            4 => Slot::RawMap(&mut m.message_attributes),
            5 => Slot::Str(&mut m.sender_id),
            6 => Slot::I64(&mut m.send_timestamp_millis),
            7 => Slot::I64(&mut m.available_at_millis),
            8 => Slot::I64(&mut m.visible_at_millis),
            9 => Slot::I64(&mut m.receive_count),
            10 => Slot::I64(&mut m.first_receive_millis),
            11 => Slot::Bytes(&mut self.current_receipt_token),
            12 => Slot::U64(&mut m.queue_generation),
            13 => Slot::Str(&mut m.message_group_id),
            14 => Slot::Str(&mut m.message_deduplication_id),
            15 => Slot::U64(&mut m.sequence_number),
            16 => Slot::Str(&mut m.dead_letter_source_arn),
            _ => return None,
        })
    }
}
