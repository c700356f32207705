//! Step 2 of `encode`: dump files → a typed model (REQ-ENC-4, REQ-ENC-7).
//!
//! `_queue.json` and `messages.jsonl` lines are read strictly, as the
//! schema that `decode` writes (REQ-OUT-4, REQ-OUT-5): exact field names,
//! no unknown or repeated fields, the required fields present, the right
//! JSON types. The names, and which fields are required (those never
//! omitted), come from [`crate::schema`]. Attribute values are kept as their raw JSON bytes
//! (REQ-ENC-7). Then the live system's rules that upstream's encoder
//! enforces are checked: the HT-FIFO settings of a queue, and the
//! partition of each message.

use std::collections::BTreeMap;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;

use super::restorable::{self, QueueRules};
pub use super::restorable::{
    MAX_PARTITIONS, PER_MESSAGE_GROUP_ID, PER_QUEUE, SCOPE_MESSAGE_GROUP, SCOPE_QUEUE,
};
use crate::schema::{self, Field, MessageField, Omit, QueueField, MESSAGE_NAMES, QUEUE_NAMES};

/// A queue's configuration as `_queue.json` holds it (REQ-OUT-4).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueConfig {
    /// `format_version`: must be 1.
    pub format_version: u32,
    /// `name`: must not be empty.
    pub name: String,
    /// The raw queue name of the keys when it is not `name`'s UTF-8: a
    /// name that came from the key with invalid UTF-8, read back from its
    /// directory (REQ-ENC-14). Its meta record is restored with an empty
    /// `name`, as it was.
    pub key_name: Option<Vec<u8>>,
    /// `fifo`.
    pub fifo: bool,
    /// `content_based_deduplication`.
    pub content_based_deduplication: bool,
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
    /// `partition_count`.
    pub partition_count: u32,
    /// `fifo_throughput_limit`.
    pub fifo_throughput_limit: String,
    /// `deduplication_scope`.
    pub deduplication_scope: String,
    /// `tags` (REQ-VAL-4).
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

/// One `messages.jsonl` line as read: a field that is absent holds its
/// zero value.
#[derive(Debug, Default)]
struct Line<'a> {
    message_id: String,
    /// `None` only while the line is read: `body` is never omitted.
    body: Option<&'a RawValue>,
    md5_of_body: String,
    md5_of_message_attributes: String,
    message_attributes: Option<BTreeMap<String, &'a RawValue>>,
    sender_id: String,
    send_timestamp_millis: i64,
    available_at_millis: i64,
    visible_at_millis: i64,
    receive_count: i64,
    first_receive_millis: i64,
    current_receipt_token: Option<String>,
    queue_generation: u64,
    message_group_id: String,
    message_deduplication_id: String,
    sequence_number: u64,
    dead_letter_source_arn: String,
    partition: Option<u32>,
}

// ---------------------------------------------------------------------------
// Reading an object of the schema

/// A dump object read field by field as [`schema`] declares it.
trait Object<'de>: Default {
    /// The field ids.
    type Id: Copy + 'static;
    /// The declared fields, in order.
    const FIELDS: &'static [Field<Self::Id>];
    /// Their names, in order.
    const NAMES: &'static [&'static str];
    /// What a value of another JSON type is called in errors.
    const EXPECTING: &'static str;
    /// Read the value of field `id` from `map` into `self`.
    fn read<A: MapAccess<'de>>(&mut self, id: Self::Id, map: &mut A) -> Result<(), A::Error>;
}

/// A JSON object of `T`'s fields: each name a declared one (else
/// `unknown field`), none twice (`duplicate field`), and every field that
/// is never omitted present (`missing field`, the first in order).
struct ObjectVisitor<T>(PhantomData<T>);

impl<'de, T: Object<'de>> Visitor<'de> for ObjectVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(T::EXPECTING)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        let mut out = T::default();
        let mut seen = vec![false; T::FIELDS.len()];
        while let Some(i) = map.next_key_seed(FieldName(T::NAMES))? {
            let (Some(f), Some(seen)) = (T::FIELDS.get(i), seen.get_mut(i)) else {
                return Err(de::Error::custom("field index out of range"));
            };
            if *seen {
                return Err(de::Error::duplicate_field(f.name));
            }
            *seen = true;
            out.read(f.id, &mut map)?;
        }
        for (f, seen) in T::FIELDS.iter().zip(&seen) {
            if f.omit == Omit::Never && !seen {
                return Err(de::Error::missing_field(f.name));
            }
        }
        Ok(out)
    }
}

/// A member name: its index in the names given, or `unknown field`.
struct FieldName(&'static [&'static str]);

impl<'de> DeserializeSeed<'de> for FieldName {
    type Value = usize;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<usize, D::Error> {
        d.deserialize_identifier(self)
    }
}

impl Visitor<'_> for FieldName {
    type Value = usize;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("field identifier")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<usize, E> {
        self.0
            .iter()
            .position(|n| *n == v)
            .ok_or_else(|| E::unknown_field(v, self.0))
    }
}

impl<'de> Deserialize<'de> for QueueConfig {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_struct("QueueConfig", &QUEUE_NAMES, ObjectVisitor(PhantomData))
    }
}

impl<'de> Object<'de> for QueueConfig {
    type Id = QueueField;
    const FIELDS: &'static [Field<QueueField>] = &schema::QUEUE;
    const NAMES: &'static [&'static str] = &QUEUE_NAMES;
    const EXPECTING: &'static str = "struct QueueConfig";

    fn read<A: MapAccess<'de>>(&mut self, id: QueueField, map: &mut A) -> Result<(), A::Error> {
        use QueueField as F;
        match id {
            F::FormatVersion => self.format_version = map.next_value()?,
            F::Name => self.name = map.next_value()?,
            F::Fifo => self.fifo = map.next_value()?,
            F::ContentBasedDeduplication => self.content_based_deduplication = map.next_value()?,
            F::VisibilityTimeoutSeconds => self.visibility_timeout_seconds = map.next_value()?,
            F::MessageRetentionSeconds => self.message_retention_seconds = map.next_value()?,
            F::DelaySeconds => self.delay_seconds = map.next_value()?,
            F::ReceiveMessageWaitSeconds => {
                self.receive_message_wait_seconds = map.next_value()?;
            }
            F::MaximumMessageSize => self.maximum_message_size = map.next_value()?,
            F::RedrivePolicy => self.redrive_policy = map.next_value()?,
            F::RedriveAllowPolicy => self.redrive_allow_policy = map.next_value()?,
            F::PartitionCount => self.partition_count = map.next_value()?,
            F::FifoThroughputLimit => self.fifo_throughput_limit = map.next_value()?,
            F::DeduplicationScope => self.deduplication_scope = map.next_value()?,
            F::Tags => self.tags = map.next_value()?,
        }
        Ok(())
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Line<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_struct("Line", &MESSAGE_NAMES, ObjectVisitor(PhantomData))
    }
}

impl<'de: 'a, 'a> Object<'de> for Line<'a> {
    type Id = MessageField;
    const FIELDS: &'static [Field<MessageField>] = &schema::MESSAGE;
    const NAMES: &'static [&'static str] = &MESSAGE_NAMES;
    const EXPECTING: &'static str = "struct Line";

    fn read<A: MapAccess<'de>>(&mut self, id: MessageField, map: &mut A) -> Result<(), A::Error> {
        use MessageField as F;
        match id {
            F::MessageId => self.message_id = map.next_value()?,
            F::Body => self.body = Some(map.next_value()?),
            F::Md5OfBody => self.md5_of_body = map.next_value()?,
            F::Md5OfMessageAttributes => self.md5_of_message_attributes = map.next_value()?,
            F::MessageAttributes => self.message_attributes = map.next_value()?,
            F::SenderId => self.sender_id = map.next_value()?,
            F::SendTimestampMillis => self.send_timestamp_millis = map.next_value()?,
            F::AvailableAtMillis => self.available_at_millis = map.next_value()?,
            F::VisibleAtMillis => self.visible_at_millis = map.next_value()?,
            F::ReceiveCount => self.receive_count = map.next_value()?,
            F::FirstReceiveMillis => self.first_receive_millis = map.next_value()?,
            F::CurrentReceiptToken => self.current_receipt_token = map.next_value()?,
            F::QueueGeneration => self.queue_generation = map.next_value()?,
            F::MessageGroupId => self.message_group_id = map.next_value()?,
            F::MessageDeduplicationId => self.message_deduplication_id = map.next_value()?,
            F::SequenceNumber => self.sequence_number = map.next_value()?,
            F::DeadLetterSourceArn => self.dead_letter_source_arn = map.next_value()?,
            F::Partition => self.partition = map.next_value()?,
        }
        Ok(())
    }
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
    let Some(body) = l.body else {
        return Err("missing field `body`".to_string());
    };
    let body = parse_body(body.get())?;
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
