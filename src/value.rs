//! SQS values: queue meta, message and generation records (REQ-VAL-*).
//!
//! Queue meta and message values are a 4-byte magic followed by JSON that
//! the live cluster wrote with Go's `encoding/json`. They are read with
//! [`crate::gojson`], which accepts exactly what Go accepts (REQ-JSON-*).
//! Gen values are decimal ASCII.

use std::collections::BTreeMap;

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
