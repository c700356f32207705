//! Step 3 of `encode`: a queue's typed model → the live rows it restores
//! to (REQ-ENC-1, REQ-ENC-7, REQ-ENC-8).
//!
//! Every value is written the way the live adapter's Go code writes it
//! (`json.Marshal`, so strings are HTML-escaped), with the layouts of
//! upstream's encoder (`internal/backup/encode_sqs.go`,
//! `encode_sqs_side.go`):
//!
//! - queue meta: magic `00 'S' 'Q' 01` + the catalog JSON with
//!   `generation` 1; the queue gen counter `1`;
//! - one data row per message: magic `00 'S' 'M' 01` + the message JSON
//!   with visibility zeroed and `queue_generation` 1;
//! - a vis row at `available_at_millis` and a byage row at
//!   `send_timestamp_millis` (negative times clamp to 0), each holding the
//!   message id;
//! - FIFO only: one dedup row per dedup key, owned by the latest send
//!   (first in order on ties; the sink keeps the owner of the candidate
//!   rows), expiring 5 minutes after it; the seq
//!   counter at the highest `sequence_number` when that is above 0;
//! - no group-lock rows.

use sha2::{Digest, Sha256};

use super::model::{DumpMessage, QueueConfig};
use super::sink::RowSink;
use crate::jsonout::{Html, Obj, Val};
use crate::key::{build, KeyParts};
use crate::schema::{self, MessageField, QueueField};
use crate::value::{MESSAGE_MAGIC, QUEUE_META_MAGIC};
use crate::Error;

/// The generation every restored record carries.
pub const RESTORE_GENERATION: u64 = 1;
/// The live FIFO deduplication window.
pub const DEDUP_WINDOW_MILLIS: i64 = 5 * 60 * 1000;

/// The value the live queue record stores for dump field `id` (`None`:
/// `generation`). A queue whose name came from its key is restored with
/// an empty `name`, as it was.
fn queue_field(q: &QueueConfig, id: Option<QueueField>) -> Val<'_> {
    use QueueField as F;
    let Some(id) = id else {
        return Val::Uint(RESTORE_GENERATION);
    };
    match id {
        F::FormatVersion => Val::Absent,
        F::Name if q.key_name.is_some() => Val::Str(""),
        F::Name => Val::Str(&q.name),
        F::Fifo => Val::Bool(q.fifo),
        F::ContentBasedDeduplication => Val::Bool(q.content_based_deduplication),
        F::VisibilityTimeoutSeconds => Val::Int(q.visibility_timeout_seconds),
        F::MessageRetentionSeconds => Val::Int(q.message_retention_seconds),
        F::DelaySeconds => Val::Int(q.delay_seconds),
        F::ReceiveMessageWaitSeconds => Val::Int(q.receive_message_wait_seconds),
        F::MaximumMessageSize => Val::Int(q.maximum_message_size),
        F::RedrivePolicy => Val::Str(&q.redrive_policy),
        F::RedriveAllowPolicy => Val::Str(&q.redrive_allow_policy),
        F::PartitionCount => Val::Uint(u64::from(q.partition_count)),
        F::FifoThroughputLimit => Val::Str(&q.fifo_throughput_limit),
        F::DeduplicationScope => Val::Str(&q.deduplication_scope),
        F::Tags => Val::Strs(&q.tags),
    }
}

/// The queue meta value (REQ-ENC-1; tags are REQ-ENC-9): the fields of
/// [`schema::LIVE_QUEUE`] in order, each left out as it declares.
pub fn queue_meta_value(q: &QueueConfig) -> Vec<u8> {
    let mut out = QUEUE_META_MAGIC.to_vec();
    let mut o = Obj::new(&mut out, Html::Escape);
    for f in &schema::LIVE_QUEUE {
        let v = queue_field(q, f.from);
        if !v.omitted(f.omit) {
            v.write(o.key(f.name), Html::Escape);
        }
    }
    o.end();
    out
}

/// The value the live message record stores for dump field `id`:
/// visibility reset, the restore generation.
fn message_field(m: &DumpMessage, id: MessageField) -> Val<'_> {
    use MessageField as F;
    match id {
        F::MessageId => Val::Str(&m.message_id),
        F::Body => Val::Base64(&m.body),
        F::Md5OfBody => Val::Str(&m.md5_of_body),
        F::Md5OfMessageAttributes => Val::Str(&m.md5_of_message_attributes),
        F::MessageAttributes => Val::Raw(&m.message_attributes),
        F::SenderId => Val::Str(&m.sender_id),
        F::SendTimestampMillis => Val::Int(m.send_timestamp_millis),
        F::AvailableAtMillis => Val::Int(m.available_at_millis),
        F::VisibleAtMillis | F::ReceiveCount | F::FirstReceiveMillis => Val::Int(0),
        F::CurrentReceiptToken => Val::Null,
        F::QueueGeneration => Val::Uint(RESTORE_GENERATION),
        F::MessageGroupId => Val::Str(&m.message_group_id),
        F::MessageDeduplicationId => Val::Str(&m.message_deduplication_id),
        F::SequenceNumber => Val::Uint(m.sequence_number),
        F::DeadLetterSourceArn => Val::Str(&m.dead_letter_source_arn),
        F::Partition => Val::Absent,
    }
}

/// A message data value (REQ-ENC-1; raw attribute values are REQ-ENC-7):
/// the fields of [`schema::LIVE_MESSAGE`] in order, each left out as it
/// declares.
pub fn message_value(m: &DumpMessage) -> Vec<u8> {
    let mut out = Vec::with_capacity(256 + m.body.len() * 4 / 3);
    out.extend_from_slice(&MESSAGE_MAGIC);
    let mut o = Obj::new(&mut out, Html::Escape);
    for f in &schema::LIVE_MESSAGE {
        let Some(id) = f.from else { continue };
        let v = message_field(m, id);
        if !v.omitted(f.omit) {
            v.write(o.key(f.name), Html::Escape);
        }
    }
    o.end();
    out
}

/// The dedup row value: the live dedup record's JSON, no magic.
pub fn dedup_value(m: &DumpMessage) -> Vec<u8> {
    let mut out = Vec::with_capacity(96);
    let mut o = Obj::new(&mut out, Html::Escape);
    o.str("message_id", &m.message_id);
    o.num("send_timestamp_ms", m.send_timestamp_millis);
    // Go's int64 addition wraps.
    o.num(
        "expires_at_millis",
        m.send_timestamp_millis.wrapping_add(DEDUP_WINDOW_MILLIS),
    );
    if m.sequence_number != 0 {
        o.num("original_sequence", m.sequence_number);
    }
    o.end();
    out
}

/// The dedup id the live send path resolves: the explicit one, else on a
/// content-based queue the hex SHA-256 of the body, else none.
pub fn resolve_dedup_id(q: &QueueConfig, m: &DumpMessage) -> Option<String> {
    if !m.message_deduplication_id.is_empty() {
        Some(m.message_deduplication_id.clone())
    } else if q.content_based_deduplication {
        Some(hex::encode(Sha256::digest(&m.body)))
    } else {
        None
    }
}

fn millis(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

/// The rank of a dedup candidate row (REQ-ENC-8): of the sends of one
/// dedup key the latest owns the row, and among sends at the same time the
/// first in upstream's staging order. Ranks compare as bytes: the send
/// time descending, then the sequence number and the message id
/// ascending.
pub fn dedup_rank(m: &DumpMessage) -> Vec<u8> {
    let mut rank = Vec::with_capacity(16 + m.message_id.len());
    // Order-preserving map of i64 to u64, inverted for descending order.
    let send = (m.send_timestamp_millis as u64) ^ (1 << 63);
    rank.extend_from_slice(&(!send).to_be_bytes());
    rank.extend_from_slice(&m.sequence_number.to_be_bytes());
    rank.extend_from_slice(m.message_id.as_bytes());
    rank
}

/// The rows of one queue, made one message at a time (REQ-ENC-1,
/// REQ-ENC-8): each message's data, vis and byage rows go to the sink
/// when it is pushed, so the parsed messages are never held.
///
/// The dedup row of a key belongs to the latest send; among sends at the
/// same time, to the first in upstream's staging order. Staging order is
/// file order on classic queues, and (partition, send time, sequence
/// number, message id) on partitioned ones; since lines are in decode's
/// order (REQ-ENC-4) and a partitioned dedup key includes the partition,
/// both come down to the smallest (sequence number, message id). Every
/// send pushes a candidate row ranked by [`dedup_rank`]; the sink keeps
/// the first of each key, so no map of dedup keys is held.
#[derive(Debug)]
pub struct QueueRows<'q, 's> {
    q: &'q QueueConfig,
    sink: &'s mut RowSink,
    max_seq: u64,
}

impl<'q, 's> QueueRows<'q, 's> {
    /// The rows of queue `q`, read from directory `path`, into `sink`,
    /// starting with its meta and gen rows.
    pub fn new(q: &'q QueueConfig, path: &str, sink: &'s mut RowSink) -> Result<Self, Error> {
        sink.begin_queue(path);
        let name = q.key_bytes().to_vec();
        sink.push(
            &build(&KeyParts::QueueMeta {
                queue: name.clone(),
            }),
            &queue_meta_value(q),
            None,
        )?;
        sink.push(
            &build(&KeyParts::QueueGen { queue: name }),
            RESTORE_GENERATION.to_string().as_bytes(),
            None,
        )?;
        Ok(QueueRows {
            q,
            sink,
            max_seq: 0,
        })
    }

    fn partition(&self, m: &DumpMessage) -> Option<u32> {
        self.q.is_partitioned().then(|| m.partition.unwrap_or(0))
    }

    /// Add one message's rows.
    pub fn push(&mut self, m: &DumpMessage) -> Result<(), Error> {
        let q = self.q;
        let name = q.key_bytes();
        let gen = RESTORE_GENERATION;
        let p = self.partition(m);
        let id = m.message_id.as_bytes();
        self.sink.push(
            &build(&KeyParts::MsgData {
                queue: name.to_vec(),
                partition: p,
                gen,
                message_id: id.to_vec(),
            }),
            &message_value(m),
            None,
        )?;
        self.sink.push(
            &build(&KeyParts::MsgVis {
                queue: name.to_vec(),
                partition: p,
                gen,
                visible_at: millis(m.available_at_millis),
                message_id: id.to_vec(),
            }),
            id,
            None,
        )?;
        self.sink.push(
            &build(&KeyParts::MsgByAge {
                queue: name.to_vec(),
                partition: p,
                gen,
                send_ts: millis(m.send_timestamp_millis),
                message_id: id.to_vec(),
            }),
            id,
            None,
        )?;
        self.max_seq = self.max_seq.max(m.sequence_number);
        if !q.fifo {
            return Ok(());
        }
        let Some(dedup_id) = resolve_dedup_id(q, m) else {
            return Ok(());
        };
        let key = build(&KeyParts::MsgDedup {
            queue: name.to_vec(),
            partition: p.map(|p| (p, m.message_group_id.as_bytes().to_vec())),
            gen,
            dedup_id: dedup_id.into_bytes(),
        });
        self.sink.push(&key, &dedup_value(m), Some(&dedup_rank(m)))
    }

    /// The FIFO seq counter when above 0; then the queue ends (a row over
    /// the format's limits fails it here).
    pub fn finish(self) -> Result<(), Error> {
        let QueueRows { q, sink, max_seq } = self;
        if q.fifo && max_seq > 0 {
            sink.push(
                &build(&KeyParts::QueueSeq {
                    queue: q.key_bytes().to_vec(),
                }),
                max_seq.to_string().as_bytes(),
                None,
            )?;
        }
        sink.end_queue()
    }
}
