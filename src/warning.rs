//! Machine-readable warnings (REQ-ERR-3).
//!
//! A warning never stops a decode. Each renders as one compact JSON object
//! whose `event` field names it, so the CLI can print one per line on
//! stderr.

use serde_json::json;

use crate::encode::restorable::Kind;

/// Something noteworthy that did not stop the decode.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Warning {
    /// A queue state had buffered messages or side records but no meta
    /// record (REQ-DEC-2). The messages were dropped.
    OrphanMessages {
        /// The encoded (base64url) queue segment.
        encoded_queue: String,
        /// Messages dropped.
        buffered_messages: usize,
        /// Side records buffered (written only with side records on).
        buffered_side_records: usize,
    },
    /// Messages whose `queue_generation` differs from the active gen were
    /// dropped (REQ-DEC-4).
    StaleGenerationDropped {
        /// The queue name.
        queue: String,
        /// The queue's active generation.
        active_gen: u64,
        /// How many messages were dropped.
        dropped: usize,
    },
    /// A message-data key disagrees with its value (REQ-DEC-10).
    KeyValueMismatch {
        /// The user key, lowercase hex.
        key_hex: String,
        /// Which field disagrees: `queue_generation` or `message_id`.
        field: &'static str,
        /// What the key says.
        key_says: String,
        /// What the value says.
        value_says: String,
    },
    /// Keys under `!sqs|` that belong to no known family were skipped
    /// (REQ-DEC-13). One warning per distinct prefix.
    UnknownSqsKeys {
        /// The key up to and including its third `|` (escaped).
        prefix: String,
        /// How many keys were skipped.
        count: u64,
    },
    /// A version newer than the snapshot header was ignored (REQ-FSM-8).
    VersionAfterHeader {
        /// The user key, lowercase hex.
        key_hex: String,
        /// The version's commit timestamp.
        commit_ts: u64,
        /// The header's `last_commit_ts`.
        last_commit_ts: u64,
    },
    /// A queue of the dump that `sqsdump encode` refuses as it is
    /// (REQ-OUT-10): one warning per queue and kind of fault. The dump is
    /// still a faithful copy of the snapshot.
    NotRestorable {
        /// The queue name, as in `_queue.json`.
        queue: String,
        /// The kind, e.g. `partition_not_group_lane`.
        kind: Kind,
        /// Messages of the queue affected (every message of the queue for
        /// a queue-level kind).
        messages: u64,
    },
    /// Messages of a queue have a body longer than the queue's
    /// `maximum_message_size` (REQ-DEC-15, REQ-ENC-21): one warning per
    /// queue, naming the first such message.
    MessageExceedsMaximumSize {
        /// The queue name.
        queue: String,
        /// How many messages of the queue.
        messages: u64,
        /// The first such message in `messages.jsonl` order.
        message_id: String,
        /// Its body's length in bytes.
        body_bytes: u64,
        /// The queue's `maximum_message_size`.
        maximum_message_size: i64,
    },
    /// A newer snap file of a node's data directory was passed over while
    /// locating the snapshot to decode (REQ-NODE-2, REQ-NODE-5).
    NodeSnapshotSkipped {
        /// The file passed over.
        path: String,
        /// Why, as an error class (`fsm_not_found`, …).
        class: &'static str,
        /// Why, in words (the error message).
        reason: String,
    },
}

const ORPHAN_HINT: &str = "no !sqs|queue|meta| record matched this encoded queue; \
messages dropped (a DeleteQueue that left records behind is the usual cause)";
const RESTORE_HINT: &str = "sqsdump encode refuses this queue as it is; the dump is a faithful \
copy of the snapshot, and the queue restores once the named fault is fixed";
const SKIPPED_HINT: &str = "a newer snap file of the data directory cannot be decoded; \
an older snapshot was decoded instead";
const OVERSIZE_HINT: &str = "kept as they are: the queue's maximum_message_size was \
probably lowered after they were sent; SendMessage would refuse such a body";
const STALE_HINT: &str = "messages of an older queue generation (purged or deleted, \
not yet reaped) were dropped";

impl Warning {
    /// The warning for a snap file [`crate::node::locate`] passed over.
    pub fn node_skipped(e: &crate::error::NodeError) -> Self {
        Warning::NodeSnapshotSkipped {
            path: e.path().to_string(),
            class: e.class(),
            reason: e.to_string(),
        }
    }

    /// The event name (`sqs_orphan_messages`, …).
    pub fn event(&self) -> &'static str {
        match self {
            Warning::OrphanMessages { .. } => "sqs_orphan_messages",
            Warning::StaleGenerationDropped { .. } => "sqs_stale_generation_messages_dropped",
            Warning::KeyValueMismatch { .. } => "sqs_key_value_mismatch",
            Warning::UnknownSqsKeys { .. } => "sqs_unknown_key_family",
            Warning::VersionAfterHeader { .. } => "snapshot_version_after_header",
            Warning::NotRestorable { .. } => "sqs_queue_not_restorable",
            Warning::NodeSnapshotSkipped { .. } => "node_snapshot_skipped",
            Warning::MessageExceedsMaximumSize { .. } => "sqs_message_exceeds_maximum_size",
        }
    }

    /// One compact JSON object, fields in a fixed order, no newline.
    pub fn to_json_line(&self) -> String {
        let v = match self {
            Warning::OrphanMessages {
                encoded_queue,
                buffered_messages,
                buffered_side_records,
            } => json!({
                "event": self.event(),
                "encoded_queue": encoded_queue,
                "buffered_messages": buffered_messages,
                "buffered_side_records": buffered_side_records,
                "hint": ORPHAN_HINT,
            }),
            Warning::StaleGenerationDropped {
                queue,
                active_gen,
                dropped,
            } => json!({
                "event": self.event(),
                "queue": queue,
                "active_gen": active_gen,
                "dropped": dropped,
                "hint": STALE_HINT,
            }),
            Warning::KeyValueMismatch {
                key_hex,
                field,
                key_says,
                value_says,
            } => json!({
                "event": self.event(),
                "key_hex": key_hex,
                "field": field,
                "key_says": key_says,
                "value_says": value_says,
            }),
            Warning::UnknownSqsKeys { prefix, count } => json!({
                "event": self.event(),
                "prefix": prefix,
                "count": count,
            }),
            Warning::VersionAfterHeader {
                key_hex,
                commit_ts,
                last_commit_ts,
            } => json!({
                "event": self.event(),
                "key_hex": key_hex,
                "commit_ts": commit_ts,
                "last_commit_ts": last_commit_ts,
            }),
            Warning::NotRestorable {
                queue,
                kind,
                messages,
            } => json!({
                "event": self.event(),
                "queue": queue,
                "kind": kind.as_str(),
                "messages": messages,
                "encode_error": kind.encode_class(),
                "hint": RESTORE_HINT,
            }),
            Warning::MessageExceedsMaximumSize {
                queue,
                messages,
                message_id,
                body_bytes,
                maximum_message_size,
            } => json!({
                "event": self.event(),
                "queue": queue,
                "messages": messages,
                "message_id": message_id,
                "body_bytes": body_bytes,
                "maximum_message_size": maximum_message_size,
                "hint": OVERSIZE_HINT,
            }),
            Warning::NodeSnapshotSkipped {
                path,
                class,
                reason,
            } => json!({
                "event": self.event(),
                "path": path,
                "class": class,
                "reason": reason,
                "hint": SKIPPED_HINT,
            }),
        };
        v.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // REQ-ERR-3, REQ-NODE-5, REQ-DEC-15
    #[test]
    fn every_warning_renders_as_one_json_object_with_its_event() {
        let all = [
            Warning::OrphanMessages {
                encoded_queue: "cQ".into(),
                buffered_messages: 1,
                buffered_side_records: 2,
            },
            Warning::StaleGenerationDropped {
                queue: "q".into(),
                active_gen: 2,
                dropped: 3,
            },
            Warning::KeyValueMismatch {
                key_hex: "00".into(),
                field: "message_id",
                key_says: "a".into(),
                value_says: "b\n".into(),
            },
            Warning::UnknownSqsKeys {
                prefix: "!sqs|x|".into(),
                count: 4,
            },
            Warning::VersionAfterHeader {
                key_hex: "01".into(),
                commit_ts: 9,
                last_commit_ts: 8,
            },
            Warning::NotRestorable {
                queue: "q".into(),
                kind: Kind::PartitionNotGroupLane,
                messages: 2,
            },
            Warning::NodeSnapshotSkipped {
                path: "/d/snap/x.snap".into(),
                class: "fsm_not_found",
                reason: "/d/fsm-snap/x.fsm: not found".into(),
            },
            Warning::MessageExceedsMaximumSize {
                queue: "q".into(),
                messages: 2,
                message_id: "m".into(),
                body_bytes: 1025,
                maximum_message_size: 1024,
            },
        ];
        let events: Vec<&str> = all.iter().map(Warning::event).collect();
        assert_eq!(
            events,
            [
                "sqs_orphan_messages",
                "sqs_stale_generation_messages_dropped",
                "sqs_key_value_mismatch",
                "sqs_unknown_key_family",
                "snapshot_version_after_header",
                "sqs_queue_not_restorable",
                "node_snapshot_skipped",
                "sqs_message_exceeds_maximum_size"
            ]
        );
        for w in &all {
            let line = w.to_json_line();
            assert!(!line.contains('\n'), "{line}");
            let v: serde_json::Value = serde_json::from_str(&line).unwrap();
            assert_eq!(v["event"], w.event());
            assert!(
                line.starts_with(&format!("{{\"event\":\"{}\"", w.event())),
                "{line}"
            );
        }
        assert_eq!(
            all[5].to_json_line(),
            r#"{"event":"sqs_queue_not_restorable","queue":"q","kind":"partition_not_group_lane","messages":2,"encode_error":"invalid_partition","hint":"sqsdump encode refuses this queue as it is; the dump is a faithful copy of the snapshot, and the queue restores once the named fault is fixed"}"#
        );
        assert_eq!(
            all[6].to_json_line(),
            r#"{"event":"node_snapshot_skipped","path":"/d/snap/x.snap","class":"fsm_not_found","reason":"/d/fsm-snap/x.fsm: not found","hint":"a newer snap file of the data directory cannot be decoded; an older snapshot was decoded instead"}"#
        );
        assert_eq!(
            all[1].to_json_line(),
            r#"{"event":"sqs_stale_generation_messages_dropped","queue":"q","active_gen":2,"dropped":3,"hint":"messages of an older queue generation (purged or deleted, not yet reaped) were dropped"}"#
        );
    }
}
