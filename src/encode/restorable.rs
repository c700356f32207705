//! Which queues and messages `encode` refuses, and why (REQ-ENC-4,
//! REQ-OUT-10).
//!
//! These are the live system's rules that a dump can break while still
//! being a faithful copy of its snapshot: the HT-FIFO settings of a queue,
//! the queue name against its directory, and each message's partition and
//! id. The encoder refuses a dump that breaks one ([`super::model`] and
//! [`super::encode`] call these functions); `decode` warns about the same
//! faults (`sqs_queue_not_restorable`) and `verify` reports them under
//! REQ-OUT-10, by calling the same functions, so the three agree.
//!
//! Every function takes only what the rule needs (settings, the
//! partition, a hash of the group id), so a caller that does not keep
//! whole messages, such as the streaming decoder, can still apply it.

use crate::jsonout::utf8_per_byte_lossy;
use crate::segment::{encode_segment, percent_decode};

/// Most HT-FIFO partitions a queue may have (the live validator's limit).
pub const MAX_PARTITIONS: u32 = 32;
/// `fifo_throughput_limit` for per-group lanes.
pub const PER_MESSAGE_GROUP_ID: &str = "perMessageGroupId";
/// `fifo_throughput_limit` that puts every message on partition 0.
pub const PER_QUEUE: &str = "perQueue";
/// `deduplication_scope` per message group.
pub const SCOPE_MESSAGE_GROUP: &str = "messageGroup";
/// `deduplication_scope` per queue.
pub const SCOPE_QUEUE: &str = "queue";

/// Why `encode` refuses a queue or a message. The order is the order in
/// which warnings of one queue are reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// `fifo_throughput_limit` is not empty, `perMessageGroupId` or
    /// `perQueue`.
    FifoThroughputLimitUnknown,
    /// `deduplication_scope` is not empty, `messageGroup` or `queue`.
    DeduplicationScopeUnknown,
    /// `partition_count` is not 0 and not a power of two.
    PartitionCountNotPowerOfTwo,
    /// `partition_count` is above [`MAX_PARTITIONS`].
    PartitionCountTooLarge,
    /// A standard queue with partitions, a throughput limit or a
    /// deduplication scope.
    HtFifoOnStandardQueue,
    /// `deduplication_scope` `queue` on a queue with partitions.
    DedupScopeIncompatible,
    /// `perMessageGroupId` on a queue without partitions.
    PerGroupThroughputWithoutPartitions,
    /// The `name` of `_queue.json` does not encode to the queue directory
    /// (the live record's name differs from its key's).
    QueueNameNotDirectory,
    /// A message with an empty `message_id`.
    MessageIdEmpty,
    /// A nonzero `partition` on a queue without partitions.
    PartitionOnUnpartitionedQueue,
    /// No `partition` on a partitioned queue.
    PartitionMissing,
    /// `partition` at or above `partition_count`.
    PartitionOutOfRange,
    /// A nonzero `partition` on a `perQueue` queue.
    PartitionNotZeroOnPerQueue,
    /// `partition` is not the FNV-1a lane of the message's group.
    PartitionNotGroupLane,
    /// Two messages of the queue share a `message_id`.
    DuplicateMessageId,
}

impl Kind {
    /// Every kind, in order.
    pub const ALL: [Kind; 15] = [
        Kind::FifoThroughputLimitUnknown,
        Kind::DeduplicationScopeUnknown,
        Kind::PartitionCountNotPowerOfTwo,
        Kind::PartitionCountTooLarge,
        Kind::HtFifoOnStandardQueue,
        Kind::DedupScopeIncompatible,
        Kind::PerGroupThroughputWithoutPartitions,
        Kind::QueueNameNotDirectory,
        Kind::MessageIdEmpty,
        Kind::PartitionOnUnpartitionedQueue,
        Kind::PartitionMissing,
        Kind::PartitionOutOfRange,
        Kind::PartitionNotZeroOnPerQueue,
        Kind::PartitionNotGroupLane,
        Kind::DuplicateMessageId,
    ];

    /// The stable name, e.g. `partition_not_group_lane`.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::FifoThroughputLimitUnknown => "fifo_throughput_limit_unknown",
            Kind::DeduplicationScopeUnknown => "deduplication_scope_unknown",
            Kind::PartitionCountNotPowerOfTwo => "partition_count_not_power_of_two",
            Kind::PartitionCountTooLarge => "partition_count_too_large",
            Kind::HtFifoOnStandardQueue => "ht_fifo_on_standard_queue",
            Kind::DedupScopeIncompatible => "dedup_scope_incompatible",
            Kind::PerGroupThroughputWithoutPartitions => "per_group_throughput_without_partitions",
            Kind::QueueNameNotDirectory => "queue_name_not_directory",
            Kind::MessageIdEmpty => "message_id_empty",
            Kind::PartitionOnUnpartitionedQueue => "partition_on_unpartitioned_queue",
            Kind::PartitionMissing => "partition_missing",
            Kind::PartitionOutOfRange => "partition_out_of_range",
            Kind::PartitionNotZeroOnPerQueue => "partition_not_zero_on_per_queue",
            Kind::PartitionNotGroupLane => "partition_not_group_lane",
            Kind::DuplicateMessageId => "duplicate_message_id",
        }
    }

    /// The class of the error `encode` fails with (REQ-ENC-5).
    pub fn encode_class(self) -> &'static str {
        match self {
            Kind::FifoThroughputLimitUnknown
            | Kind::DeduplicationScopeUnknown
            | Kind::PartitionCountNotPowerOfTwo
            | Kind::PartitionCountTooLarge
            | Kind::HtFifoOnStandardQueue
            | Kind::DedupScopeIncompatible
            | Kind::PerGroupThroughputWithoutPartitions => "invalid_queue_file",
            Kind::QueueNameNotDirectory => "directory_mismatch",
            Kind::MessageIdEmpty => "invalid_message_line",
            Kind::PartitionOnUnpartitionedQueue
            | Kind::PartitionMissing
            | Kind::PartitionOutOfRange
            | Kind::PartitionNotZeroOnPerQueue
            | Kind::PartitionNotGroupLane => "invalid_partition",
            Kind::DuplicateMessageId => "duplicate_message_id",
        }
    }

    /// Whether the kind is about the whole queue (every message of it is
    /// affected) rather than about single messages.
    pub fn is_queue_level(self) -> bool {
        self < Kind::MessageIdEmpty
    }
}

/// A refusal: its kind and the encoder's reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// The kind.
    pub kind: Kind,
    /// What the encoder says, e.g. `partition_count 3 must be a power of
    /// two`.
    pub reason: String,
}

fn fault(kind: Kind, reason: impl Into<String>) -> Fault {
    Fault {
        kind,
        reason: reason.into(),
    }
}

/// The settings of a queue that its rules read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct QueueRules<'a> {
    /// `fifo`.
    pub fifo: bool,
    /// `partition_count`.
    pub partition_count: u32,
    /// `fifo_throughput_limit`.
    pub fifo_throughput_limit: &'a str,
    /// `deduplication_scope`.
    pub deduplication_scope: &'a str,
}

impl QueueRules<'_> {
    /// Partitioned (HT-FIFO) key families are used: `partition_count > 1`.
    pub fn is_partitioned(&self) -> bool {
        self.partition_count > 1
    }

    /// The same settings, owned (for a job that outlives the borrow).
    pub fn to_owned_rules(&self) -> OwnedRules {
        OwnedRules {
            fifo: self.fifo,
            partition_count: self.partition_count,
            fifo_throughput_limit: self.fifo_throughput_limit.to_string(),
            deduplication_scope: self.deduplication_scope.to_string(),
        }
    }
}

/// [`QueueRules`] with owned strings.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OwnedRules {
    /// `fifo`.
    pub fifo: bool,
    /// `partition_count`.
    pub partition_count: u32,
    /// `fifo_throughput_limit`.
    pub fifo_throughput_limit: String,
    /// `deduplication_scope`.
    pub deduplication_scope: String,
}

impl OwnedRules {
    /// Borrow as [`QueueRules`].
    pub fn rules(&self) -> QueueRules<'_> {
        QueueRules {
            fifo: self.fifo,
            partition_count: self.partition_count,
            fifo_throughput_limit: &self.fifo_throughput_limit,
            deduplication_scope: &self.deduplication_scope,
        }
    }
}

// REQ-OUT-10, REQ-ENC-4
/// The HT-FIFO settings the live validator accepts: the first rule a
/// queue breaks.
pub fn check_queue(q: QueueRules<'_>) -> Result<(), Fault> {
    if !matches!(
        q.fifo_throughput_limit,
        "" | PER_MESSAGE_GROUP_ID | PER_QUEUE
    ) {
        return Err(fault(
            Kind::FifoThroughputLimitUnknown,
            format!(
                "unsupported fifo_throughput_limit {:?}",
                q.fifo_throughput_limit
            ),
        ));
    }
    if !matches!(
        q.deduplication_scope,
        "" | SCOPE_MESSAGE_GROUP | SCOPE_QUEUE
    ) {
        return Err(fault(
            Kind::DeduplicationScopeUnknown,
            format!(
                "unsupported deduplication_scope {:?}",
                q.deduplication_scope
            ),
        ));
    }
    let pc = q.partition_count;
    if pc != 0 && !pc.is_power_of_two() {
        return Err(fault(
            Kind::PartitionCountNotPowerOfTwo,
            format!("partition_count {pc} must be a power of two"),
        ));
    }
    if pc > MAX_PARTITIONS {
        return Err(fault(
            Kind::PartitionCountTooLarge,
            format!("partition_count {pc} exceeds max {MAX_PARTITIONS}"),
        ));
    }
    if !q.fifo {
        let on_standard = |what: String| Err(fault(Kind::HtFifoOnStandardQueue, what));
        if pc > 1 {
            return on_standard(format!("partition_count {pc} is only valid on FIFO queues"));
        }
        if !q.fifo_throughput_limit.is_empty() {
            return on_standard("fifo_throughput_limit is only valid on FIFO queues".to_string());
        }
        if !q.deduplication_scope.is_empty() {
            return on_standard("deduplication_scope is only valid on FIFO queues".to_string());
        }
    } else {
        if pc > 1 && q.deduplication_scope == SCOPE_QUEUE {
            return Err(fault(
                Kind::DedupScopeIncompatible,
                format!("deduplication_scope \"queue\" is incompatible with partition_count {pc}"),
            ));
        }
        if q.fifo_throughput_limit == PER_MESSAGE_GROUP_ID && pc <= 1 {
            return Err(fault(
                Kind::PerGroupThroughputWithoutPartitions,
                "fifo_throughput_limit \"perMessageGroupId\" requires partition_count > 1",
            ));
        }
    }
    Ok(())
}

// REQ-OUT-10, REQ-ENC-4, REQ-ENC-14
/// The raw queue name the keys are restored under, from the queue
/// directory `dir` and the `name` of its `_queue.json`: `None` when it is
/// `name` itself; the directory's raw bytes when `name` is those bytes
/// with U+FFFD per invalid byte (a name taken from a key that is not
/// UTF-8, REQ-ENC-14). Any other pair is refused.
pub fn queue_key_name(dir: &str, name: &str) -> Result<Option<Vec<u8>>, Fault> {
    let expected = encode_segment(name.as_bytes());
    if expected == dir {
        return Ok(None);
    }
    percent_decode(dir)
        .ok()
        .filter(|raw| encode_segment(raw) == dir && utf8_per_byte_lossy(raw) == name)
        .map(Some)
        .ok_or_else(|| {
            fault(
                Kind::QueueNameNotDirectory,
                format!(
                    "directory name does not match queue name {name:?}: expected directory {expected:?}"
                ),
            )
        })
}

/// A message's `message_id` must not be empty.
pub fn check_message_id(id: &str) -> Result<(), Fault> {
    if id.is_empty() {
        return Err(fault(Kind::MessageIdEmpty, "empty message_id"));
    }
    Ok(())
}

/// FNV-1a 32 of a message group id, or `None` for an empty group (which
/// the router puts on partition 0).
pub fn group_hash(group: &str) -> Option<u32> {
    if group.is_empty() {
        return None;
    }
    let mut h: u32 = 0x811c_9dc5;
    for &b in group.as_bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    Some(h)
}

/// The partition the live router gives a group with hash `group`
/// ([`group_hash`]): the hash masked by `partition_count - 1`; 0 for
/// classic and `perQueue` queues and for an empty group.
pub fn lane(q: QueueRules<'_>, group: Option<u32>) -> u32 {
    match group {
        Some(h) if q.is_partitioned() && q.fifo_throughput_limit != PER_QUEUE => {
            h & (q.partition_count - 1)
        }
        _ => 0,
    }
}

/// How a message's partition does not fit its queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LaneFault {
    /// A nonzero partition on a queue without partitions.
    OnUnpartitioned(u32),
    /// No partition on a partitioned queue.
    Missing,
    /// A partition at or above `partition_count`.
    OutOfRange(u32),
    /// A nonzero partition on a `perQueue` queue.
    NotZeroOnPerQueue(u32),
    /// Not the lane of the group: (partition, the group's lane).
    NotGroupLane(u32, u32),
}

impl LaneFault {
    /// The kind.
    pub fn kind(self) -> Kind {
        match self {
            LaneFault::OnUnpartitioned(_) => Kind::PartitionOnUnpartitionedQueue,
            LaneFault::Missing => Kind::PartitionMissing,
            LaneFault::OutOfRange(_) => Kind::PartitionOutOfRange,
            LaneFault::NotZeroOnPerQueue(_) => Kind::PartitionNotZeroOnPerQueue,
            LaneFault::NotGroupLane(..) => Kind::PartitionNotGroupLane,
        }
    }

    /// The encoder's reason, for a message of group `group` on a queue
    /// with `partition_count` `pc`.
    pub fn reason(self, pc: u32, group: &str) -> String {
        match self {
            LaneFault::OnUnpartitioned(p) => {
                format!("partition {p} on a queue without partitions (partition_count {pc})")
            }
            LaneFault::Missing => {
                format!("partition missing on a partitioned queue (partition_count {pc})")
            }
            LaneFault::OutOfRange(p) => format!("partition {p} is not below partition_count {pc}"),
            LaneFault::NotZeroOnPerQueue(p) => {
                format!("partition {p} on a perQueue queue, whose messages are all on partition 0")
            }
            LaneFault::NotGroupLane(p, want) => {
                format!("partition {p}, but message_group_id {group:?} belongs on partition {want}")
            }
        }
    }
}

// REQ-OUT-10, REQ-ENC-4
/// Check a message's `partition` against its queue: present exactly on
/// partitioned queues (0 or absent otherwise), below `partition_count`, 0
/// on `perQueue` queues, and the lane of its group (hash `group`,
/// [`group_hash`]) otherwise.
pub fn check_lane(
    q: QueueRules<'_>,
    partition: Option<u32>,
    group: Option<u32>,
) -> Result<(), LaneFault> {
    if !q.is_partitioned() {
        return match partition {
            Some(p) if p != 0 => Err(LaneFault::OnUnpartitioned(p)),
            _ => Ok(()),
        };
    }
    let Some(p) = partition else {
        return Err(LaneFault::Missing);
    };
    if p >= q.partition_count {
        return Err(LaneFault::OutOfRange(p));
    }
    if q.fifo_throughput_limit == PER_QUEUE {
        return if p != 0 {
            Err(LaneFault::NotZeroOnPerQueue(p))
        } else {
            Ok(())
        };
    }
    let want = lane(q, group);
    if p != want {
        return Err(LaneFault::NotGroupLane(p, want));
    }
    Ok(())
}

/// What the per-message rules need of one message, as the decoders keep
/// it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MessageFacts {
    /// The message id is empty.
    pub id_empty: bool,
    /// `partition`.
    pub partition: Option<u32>,
    /// [`group_hash`] of `message_group_id`.
    pub group: Option<u32>,
    /// Bytes of the body, at most `u32::MAX` (REQ-DEC-15).
    pub body_len: u32,
}

/// The first rule a message breaks, as `encode` checks them: its id, then
/// its partition.
pub fn message_fault(q: QueueRules<'_>, m: MessageFacts) -> Option<Kind> {
    if m.id_empty {
        return Some(Kind::MessageIdEmpty);
    }
    check_lane(q, m.partition, m.group)
        .err()
        .map(LaneFault::kind)
}

/// Counts of refused messages of one queue, by kind, as decode reports
/// them (`sqs_queue_not_restorable`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    counts: std::collections::BTreeMap<Kind, u64>,
    /// Messages whose body is longer than the queue's
    /// `maximum_message_size`, and the first of them (REQ-DEC-15).
    oversize: Option<Oversize>,
}

/// The messages of one queue whose body is longer than its
/// `maximum_message_size` (REQ-DEC-15, REQ-ENC-21).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Oversize {
    /// How many.
    pub messages: u64,
    /// The first one in `messages.jsonl` order: its id and body bytes.
    pub first_id: String,
    /// Body bytes of the first one.
    pub first_bytes: u64,
    /// The queue's `maximum_message_size`.
    pub limit: i64,
}

impl Oversize {
    /// Count a message of `body_len` bytes against `limit` (the queue's
    /// `maximum_message_size`; 0 or less checks nothing); messages come in
    /// `messages.jsonl` order.
    // REQ-ENC-21
    pub fn note(this: &mut Option<Oversize>, limit: i64, id: &[u8], body_len: u64) {
        if limit <= 0 || body_len <= limit as u64 {
            return;
        }
        match this {
            Some(o) => o.messages += 1,
            None => {
                *this = Some(Oversize {
                    messages: 1,
                    first_id: String::from_utf8_lossy(id).into_owned(),
                    first_bytes: body_len,
                    limit,
                })
            }
        }
    }

    /// The `sqs_message_exceeds_maximum_size` warning of queue `queue`.
    // REQ-ENC-21
    pub fn warning(self, queue: &str) -> crate::warning::Warning {
        crate::warning::Warning::MessageExceedsMaximumSize {
            queue: queue.to_string(),
            messages: self.messages,
            message_id: self.first_id,
            body_bytes: self.first_bytes,
            maximum_message_size: self.limit,
        }
    }
}

impl Tally {
    /// Count one message of a queue with settings `q` ([`warnings`]
    /// drops the counts when the queue itself is refused).
    pub fn add(&mut self, q: QueueRules<'_>, m: MessageFacts) {
        if let Some(kind) = message_fault(q, m) {
            *self.counts.entry(kind).or_default() += 1;
        }
    }

    /// Note a message's body size against the queue's
    /// `maximum_message_size` ([`Oversize::note`]).
    pub fn add_size(&mut self, limit: i64, id: &[u8], body_len: u64) {
        Oversize::note(&mut self.oversize, limit, id, body_len);
    }

    /// Take the queue's oversize messages out (REQ-DEC-15).
    pub fn take_oversize(&mut self) -> Option<Oversize> {
        self.oversize.take()
    }

    /// Merge another tally into this one.
    pub fn merge(&mut self, other: Tally) {
        for (k, n) in other.counts {
            *self.counts.entry(k).or_default() += n;
        }
    }

    /// (kind, messages) pairs in kind order.
    pub fn into_counts(self) -> Vec<(Kind, u64)> {
        self.counts.into_iter().collect()
    }
}

/// The queue-level refusal of a queue decoded from the key name `key_name`
/// whose `_queue.json` says `name`, with settings `q`: the first of the
/// HT-FIFO rules, then the name against the directory, as `encode`
/// checks them.
pub fn queue_fault(q: QueueRules<'_>, key_name: &[u8], name: &str) -> Option<Kind> {
    if let Err(f) = check_queue(q) {
        return Some(f.kind);
    }
    queue_key_name(&encode_segment(key_name), name)
        .err()
        .map(|f| f.kind)
}

impl<'a> From<&'a crate::value::QueueMeta> for QueueRules<'a> {
    fn from(m: &'a crate::value::QueueMeta) -> Self {
        QueueRules {
            fifo: m.is_fifo,
            partition_count: m.partition_count,
            fifo_throughput_limit: &m.fifo_throughput_limit,
            deduplication_scope: &m.deduplication_scope,
        }
    }
}

// REQ-OUT-10, REQ-ERR-3
/// The `sqs_queue_not_restorable` warnings of one decoded queue
/// (REQ-OUT-10): `queue` is the name in `_queue.json`, `key_name` the raw
/// name of its keys, `kept` the messages written, `tally` their
/// per-message faults. A queue-level fault affects every message and
/// hides the per-message ones, as `encode` stops at it.
pub fn warnings(
    q: QueueRules<'_>,
    key_name: &[u8],
    queue: &str,
    kept: u64,
    tally: Tally,
) -> Vec<crate::warning::Warning> {
    use crate::warning::Warning;
    if let Some(kind) = queue_fault(q, key_name, queue) {
        return vec![Warning::NotRestorable {
            queue: queue.to_string(),
            kind,
            messages: kept,
        }];
    }
    tally
        .into_counts()
        .into_iter()
        .map(|(kind, messages)| Warning::NotRestorable {
            queue: queue.to_string(),
            kind,
            messages,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    // REQ-OUT-10: every kind has its own snake_case name; the queue-level
    // kinds are those of `_queue.json` and the directory, and each maps to
    // the class `encode` fails with.
    #[test]
    fn kinds_have_distinct_names_and_their_encode_class() {
        let names: std::collections::BTreeSet<&str> =
            Kind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(names.len(), Kind::ALL.len());
        for k in Kind::ALL {
            assert!(k
                .as_str()
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b == b'_'));
            let queue_class = matches!(
                k.encode_class(),
                "invalid_queue_file" | "directory_mismatch"
            );
            assert_eq!(k.is_queue_level(), queue_class, "{k:?}");
        }
        assert!(Kind::ALL.windows(2).all(|w| w[0] < w[1]), "ALL is in order");
    }

    // REQ-OUT-10, REQ-ENC-4: the lane rules, in the order `encode` checks
    // them.
    #[test]
    fn lanes_are_checked_in_order() {
        let q = QueueRules {
            fifo: true,
            partition_count: 4,
            fifo_throughput_limit: PER_MESSAGE_GROUP_ID,
            deduplication_scope: "",
        };
        let g = group_hash("g");
        let want = lane(q, g);
        assert_eq!(want, g.unwrap() & 3);
        assert_eq!(check_lane(q, Some(want), g), Ok(()));
        assert_eq!(check_lane(q, None, g), Err(LaneFault::Missing));
        assert_eq!(check_lane(q, Some(4), g), Err(LaneFault::OutOfRange(4)));
        assert_eq!(
            check_lane(q, Some((want + 1) % 4), g),
            Err(LaneFault::NotGroupLane((want + 1) % 4, want))
        );
        // An empty group is on partition 0.
        assert_eq!(check_lane(q, Some(0), group_hash("")), Ok(()));
        let per_queue = QueueRules {
            fifo_throughput_limit: PER_QUEUE,
            ..q
        };
        assert_eq!(check_lane(per_queue, Some(0), g), Ok(()));
        assert_eq!(
            check_lane(per_queue, Some(1), g),
            Err(LaneFault::NotZeroOnPerQueue(1))
        );
        let classic = QueueRules::default();
        assert_eq!(check_lane(classic, Some(0), g), Ok(()));
        assert_eq!(check_lane(classic, None, g), Ok(()));
        assert_eq!(
            check_lane(classic, Some(2), g),
            Err(LaneFault::OnUnpartitioned(2))
        );
        assert_eq!(
            message_fault(
                q,
                MessageFacts {
                    id_empty: true,
                    partition: None,
                    group: g,
                    body_len: 0,
                }
            ),
            Some(Kind::MessageIdEmpty),
            "the id is checked before the partition"
        );
    }
}
