//! Step 2 of `encode`: dump files → a typed model (REQ-ENC-4, REQ-ENC-7).
//!
//! `_queue.json` and `messages.jsonl` lines are read strictly, as the
//! schema that `decode` writes (REQ-OUT-4, REQ-OUT-5): exact field names,
//! no unknown or repeated fields, the required fields present, the right
//! JSON types. Attribute values are kept as their raw JSON bytes
//! (REQ-ENC-7). Then the live system's rules that upstream's encoder
//! enforces are checked: the HT-FIFO settings of a queue, and the
//! partition of each message.

use std::collections::BTreeMap;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::restorable::{self, QueueRules};
pub use super::restorable::{
    MAX_PARTITIONS, PER_MESSAGE_GROUP_ID, PER_QUEUE, SCOPE_MESSAGE_GROUP, SCOPE_QUEUE,
};

/// A queue's configuration as `_queue.json` holds it (REQ-OUT-4).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueConfig {
    /// `format_version`: must be 1.
    pub format_version: u32,
    /// `name`: must not be empty.
    pub name: String,
    /// The raw queue name of the keys when it is not `name`'s UTF-8: a
    /// name that came from the key with invalid UTF-8, read back from its
    /// directory (REQ-ENC-14). Its meta record is restored with an empty
    /// `name`, as it was.
    #[serde(skip)]
    pub key_name: Option<Vec<u8>>,
    /// `fifo`.
    #[serde(default)]
    pub fifo: bool,
    /// `content_based_deduplication`.
    #[serde(default)]
    pub content_based_deduplication: bool,
    /// `visibility_timeout_seconds`.
    pub visibility_timeout_seconds: i64,
    /// `message_retention_seconds`.
    pub message_retention_seconds: i64,
    /// `delay_seconds`.
    pub delay_seconds: i64,
    /// `receive_message_wait_seconds`.
    #[serde(default)]
    pub receive_message_wait_seconds: i64,
    /// `maximum_message_size`.
    #[serde(default)]
    pub maximum_message_size: i64,
    /// `redrive_policy`.
    #[serde(default)]
    pub redrive_policy: String,
    /// `redrive_allow_policy`.
    #[serde(default)]
    pub redrive_allow_policy: String,
    /// `partition_count`.
    #[serde(default)]
    pub partition_count: u32,
    /// `fifo_throughput_limit`.
    #[serde(default)]
    pub fifo_throughput_limit: String,
    /// `deduplication_scope`.
    #[serde(default)]
    pub deduplication_scope: String,
    /// `tags` (REQ-VAL-4).
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

impl QueueConfig {
    /// The queue name in keys.
    pub fn key_bytes(&self) -> &[u8] {
        self.key_name.as_deref().unwrap_or(self.name.as_bytes())
    }
}

impl QueueConfig {
    /// Partitioned (HT-FIFO) key families are used: `partition_count > 1`.
    pub fn is_partitioned(&self) -> bool {
        self.rules().is_partitioned()
    }

    /// The settings the HT-FIFO and partition rules read.
    pub fn rules(&self) -> QueueRules<'_> {
        QueueRules {
            fifo: self.fifo,
            partition_count: self.partition_count,
            fifo_throughput_limit: &self.fifo_throughput_limit,
            deduplication_scope: &self.deduplication_scope,
        }
    }
}

/// Read and check a `_queue.json` (REQ-ENC-4). The error is the reason.
pub fn parse_queue(bytes: &[u8]) -> Result<QueueConfig, String> {
    let q: QueueConfig = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    if q.format_version != 1 {
        return Err(format!("unsupported format_version {}", q.format_version));
    }
    if q.name.is_empty() {
        return Err("empty queue name".to_string());
    }
    // The live HT-FIFO rules (REQ-OUT-10 shares them).
    restorable::check_queue(q.rules()).map_err(|f| f.reason)?;
    Ok(q)
}

/// One `messages.jsonl` line as read.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Line<'a> {
    message_id: String,
    #[serde(borrow)]
    body: &'a RawValue,
    #[serde(default)]
    md5_of_body: String,
    #[serde(default)]
    md5_of_message_attributes: String,
    #[serde(default, borrow)]
    message_attributes: Option<BTreeMap<String, &'a RawValue>>,
    #[serde(default)]
    sender_id: String,
    send_timestamp_millis: i64,
    available_at_millis: i64,
    visible_at_millis: i64,
    receive_count: i64,
    #[serde(default)]
    first_receive_millis: i64,
    #[serde(default)]
    current_receipt_token: Option<String>,
    queue_generation: u64,
    #[serde(default)]
    message_group_id: String,
    #[serde(default)]
    message_deduplication_id: String,
    #[serde(default)]
    sequence_number: u64,
    #[serde(default)]
    dead_letter_source_arn: String,
    #[serde(default)]
    partition: Option<u32>,
}

/// The `{"base64": …}` envelope of a binary body (REQ-OUT-6).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Envelope {
    base64: String,
}

/// One message of a dump, as restored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DumpMessage {
    /// `message_id`.
    pub message_id: String,
    /// The body bytes.
    pub body: Vec<u8>,
    /// `md5_of_body`.
    pub md5_of_body: String,
    /// `md5_of_message_attributes`.
    pub md5_of_message_attributes: String,
    /// `message_attributes`: key → the raw JSON bytes of the value.
    pub message_attributes: BTreeMap<String, Vec<u8>>,
    /// `sender_id`.
    pub sender_id: String,
    /// `send_timestamp_millis`.
    pub send_timestamp_millis: i64,
    /// `available_at_millis`.
    pub available_at_millis: i64,
    /// `message_group_id`.
    pub message_group_id: String,
    /// `message_deduplication_id`.
    pub message_deduplication_id: String,
    /// `sequence_number`.
    pub sequence_number: u64,
    /// `dead_letter_source_arn`.
    pub dead_letter_source_arn: String,
    /// `partition`.
    pub partition: Option<u32>,
}

/// Read one `messages.jsonl` line (without its `\n`) of a dump taken
/// without preserved visibility (REQ-ENC-4). The error is the reason.
pub fn parse_message(line: &[u8]) -> Result<DumpMessage, String> {
    let l: Line<'_> = serde_json::from_slice(line).map_err(|e| within_line(&e))?;
    restorable::check_message_id(&l.message_id).map_err(|f| f.reason)?;
    // REQ-DEC-5: a dump without preserved visibility holds reset state.
    if l.visible_at_millis != 0
        || l.receive_count != 0
        || l.first_receive_millis != 0
        || l.current_receipt_token.is_some()
    {
        return Err(
            "visibility state is set, but the manifest says it was not preserved".to_string(),
        );
    }
    let _ = l.queue_generation; // normalised to 1 (REQ-ENC-1)
    let body = parse_body(l.body.get())?;
    let message_attributes = l
        .message_attributes
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| (k, v.get().as_bytes().to_vec()))
        .collect();
    Ok(DumpMessage {
        message_id: l.message_id,
        body,
        md5_of_body: l.md5_of_body,
        md5_of_message_attributes: l.md5_of_message_attributes,
        message_attributes,
        sender_id: l.sender_id,
        send_timestamp_millis: l.send_timestamp_millis,
        available_at_millis: l.available_at_millis,
        message_group_id: l.message_group_id,
        message_deduplication_id: l.message_deduplication_id,
        sequence_number: l.sequence_number,
        dead_letter_source_arn: l.dead_letter_source_arn,
        partition: l.partition,
    })
}

/// A body: a JSON string (UTF-8 text) or the envelope, whose value must be
/// canonical unpadded base64url (REQ-OUT-6).
fn parse_body(raw: &str) -> Result<Vec<u8>, String> {
    if raw.starts_with('"') {
        let s: String =
            serde_json::from_str(raw).map_err(|e| format!("body: {}", within_line(&e)))?;
        return Ok(s.into_bytes());
    }
    let env: Envelope = serde_json::from_str(raw).map_err(|e| {
        format!(
            "body must be a string or {{\"base64\":\"…\"}}: {}",
            within_line(&e)
        )
    })?;
    let bytes = URL_SAFE_NO_PAD
        .decode(env.base64.as_bytes())
        .map_err(|e| format!("body base64: {e}"))?;
    if URL_SAFE_NO_PAD.encode(&bytes) != env.base64 {
        return Err("body base64 is not canonical unpadded base64url".to_string());
    }
    Ok(bytes)
}

/// The partition the live router gives a message group: FNV-1a 32 of the
/// group id masked by `partition_count - 1`; 0 for classic and `perQueue`
/// queues and for an empty group.
pub fn partition_for(q: &QueueConfig, group: &str) -> u32 {
    restorable::lane(q.rules(), restorable::group_hash(group))
}

/// The live router's lane for `group` on a queue with these settings, for
/// callers that hold the settings rather than a [`QueueConfig`] (the
/// testkit generators and the sample builder). The rule itself is
/// [`restorable::lane`]: FNV-1a 32 of the group id masked by
/// `partition_count - 1` when `partition_count > 1`, else 0; 0 on a
/// `perQueue` queue and for an empty group.
pub fn lane(partition_count: u32, fifo_throughput_limit: &str, group: &str) -> u32 {
    let rules = restorable::QueueRules {
        fifo: true,
        partition_count,
        fifo_throughput_limit,
        deduplication_scope: "",
    };
    restorable::lane(rules, restorable::group_hash(group))
}

/// Check a message's `partition` against its queue (REQ-ENC-4). The error
/// is the reason.
pub fn check_partition(q: &QueueConfig, m: &DumpMessage) -> Result<(), String> {
    restorable::check_lane(
        q.rules(),
        m.partition,
        restorable::group_hash(&m.message_group_id),
    )
    .map_err(|f| f.reason(q.partition_count, &m.message_group_id))
}

/// A JSON error inside one `messages.jsonl` line, without serde's own
/// `line 1`: the error already names the file's line, so only the column
/// is added (`expected value at column 1`).
pub fn within_line(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let position = format!(" at line {} column {}", e.line(), e.column());
    match text.strip_suffix(&position) {
        Some(what) => format!("{what} at column {}", e.column()),
        None => text,
    }
}
