//! Whole snapshots: several queues with MVCC histories, stale
//! generations, orphans, side records, operational keys and foreign keys,
//! plus optional adversarial entries (REQ-FSM-*, REQ-DEC-*).
//!
//! A [`SnapshotModel`] knows its `.fsm` bytes ([`SnapshotModel::to_fsm_bytes`]),
//! its latest visible state written with no history
//! ([`SnapshotModel::flat_fsm_bytes`]) and what a correct decoder must
//! produce from it ([`SnapshotModel::expected`]).

use std::collections::{BTreeMap, BTreeSet};

use arbitrary::{Arbitrary, Result, Unstructured};

use super::frame;
use super::keys::{self, AdversarialKey};
use super::values::{
    render_with_quirks, with_magic, GenText, Invalid, LiveMessage, LiveQueueMeta, Quirk,
};
use crate::encode::model::{
    lane, MAX_PARTITIONS, PER_MESSAGE_GROUP_ID, SCOPE_MESSAGE_GROUP, SCOPE_QUEUE,
};
use crate::key::{b64, build, Family, KeyParts};
use crate::segment;
use crate::value::{Message, QueueMeta, MESSAGE_MAGIC, QUEUE_META_MAGIC};

/// How a record's history ends relative to the header's `last_commit_ts`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Arbitrary)]
pub enum Fate {
    /// The newest version at or before the header is a live put.
    Visible,
    /// The newest version at or before the header is a tombstone (an
    /// older live version exists: the upstream resurrection bug).
    Deleted,
    /// The newest version at or before the header expired
    /// (`0 < expire_at <= last_commit_ts`).
    Expired,
    /// Every version is newer than the header.
    Absent,
}

/// The versions of one user key, described relative to its live value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct History {
    /// How it ends.
    pub fate: Fate,
    /// Versions older than the deciding one (0..=2).
    pub older: u8,
    /// Versions newer than the header (0..=2).
    pub newer: u8,
    /// A visible final version carries `expire_at > last_commit_ts`.
    pub expire_later: bool,
    /// How far before the header the deciding version lies.
    pub back: u16,
}

impl History {
    /// A single live version at the header (no history).
    pub const PLAIN: History = History {
        fate: Fate::Visible,
        older: 0,
        newer: 0,
        expire_later: false,
        back: 0,
    };

    /// Whether the record is visible at `last_commit_ts`.
    pub fn visible(&self) -> bool {
        self.fate == Fate::Visible
    }

    /// Whether some version lies after the header (a warning is due).
    pub fn has_newer(&self) -> bool {
        self.newer > 0 || self.fate == Fate::Absent
    }

    /// The versions, newest first. `body` is the live value; `variant(i)`
    /// gives the body of other put versions.
    pub fn versions(
        &self,
        last: u64,
        body: &[u8],
        variant: &dyn Fn(u8) -> Vec<u8>,
    ) -> Vec<Version> {
        let mut out = Vec::new();
        let newer = if self.fate == Fate::Absent {
            self.newer.max(1)
        } else {
            self.newer
        };
        for i in (0..newer).rev() {
            out.push(Version {
                commit_ts: last + 1 + u64::from(i),
                tombstone: i % 2 == 1,
                expire_at: 0,
                body: if i % 2 == 1 {
                    Vec::new()
                } else {
                    variant(100 + i)
                },
            });
        }
        if self.fate == Fate::Absent {
            return out;
        }
        let decide = last - u64::from(self.back);
        let deciding = match self.fate {
            Fate::Visible => Version {
                commit_ts: decide,
                tombstone: false,
                expire_at: if self.expire_later {
                    last + 1 + u64::from(self.back)
                } else {
                    0
                },
                body: body.to_vec(),
            },
            Fate::Deleted => Version {
                commit_ts: decide,
                tombstone: true,
                expire_at: 0,
                body: Vec::new(),
            },
            _ => Version {
                commit_ts: decide,
                tombstone: false,
                expire_at: 1 + last / 2 + u64::from(self.back) % (last / 2),
                body: body.to_vec(),
            },
        };
        out.push(deciding);
        let older = if self.fate == Fate::Deleted {
            self.older.max(1)
        } else {
            self.older
        };
        for i in 0..older {
            // The version just below a tombstone is the live value itself.
            let put = i % 2 == 0;
            out.push(Version {
                commit_ts: decide - 1 - u64::from(i),
                tombstone: !put,
                expire_at: 0,
                body: if !put {
                    Vec::new()
                } else if i == 0 && self.fate == Fate::Deleted {
                    body.to_vec()
                } else {
                    variant(i)
                },
            });
        }
        out
    }
}

impl<'a> Arbitrary<'a> for History {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        if u.ratio(2, 3)? {
            return Ok(History::PLAIN);
        }
        Ok(History {
            fate: if u.ratio(1, 2)? {
                Fate::Visible
            } else {
                Fate::arbitrary(u)?
            },
            older: u.int_in_range(0..=2)?,
            newer: u.int_in_range(0..=2)?,
            expire_later: bool::arbitrary(u)?,
            back: u.int_in_range(0..=1000)?,
        })
    }
}

/// One version of one user key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    /// Commit timestamp.
    pub commit_ts: u64,
    /// Tombstone flag.
    pub tombstone: bool,
    /// Expiry (0 = never).
    pub expire_at: u64,
    /// Body (after flags and expiry).
    pub body: Vec<u8>,
}

/// One stored message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageModel {
    /// Partition of a partitioned data key.
    pub partition: Option<u32>,
    /// The live record (its `queue_generation` is also the key's gen).
    pub record: LiveMessage,
    /// Its versions.
    pub history: History,
    /// Go-quirk spellings of its live value (REQ-JSON-1..REQ-JSON-9):
    /// Go reads them to the same record. Empty: `json.Marshal`'s bytes.
    pub quirks: Vec<Quirk>,
}

/// Up to three quirks, half the time none.
pub fn arbitrary_quirks(u: &mut Unstructured<'_>) -> Result<Vec<Quirk>> {
    if !u.ratio(1, 2)? {
        return Ok(Vec::new());
    }
    (0..u.int_in_range(1..=3u8)?)
        .map(|_| Quirk::arbitrary(u))
        .collect()
}

impl MessageModel {
    /// A message numbered `index` (ids are unique per queue) in `gen`.
    pub fn arbitrary_for(
        u: &mut Unstructured<'_>,
        index: u64,
        gen: u64,
        meta: Option<&LiveQueueMeta>,
    ) -> Result<Self> {
        let id = match u.int_in_range(0..=7u8)? {
            0 => format!("<&>\u{2028}-{index}"),
            1 => format!("{index}-{}", super::values::text(u)?),
            _ => format!("{index:08x}{}", hex::encode(super::values::fill(u, 12)?)),
        };
        let fifo = meta.is_some_and(|m| m.is_fifo);
        let parts = meta.map_or(0, |m| m.partition_count);
        let partition = if parts > 1 {
            Some(u.int_in_range(0..=parts - 1)?)
        } else if u.ratio(1, 10)? {
            Some(u32::arbitrary(u)?)
        } else {
            None
        };
        Ok(MessageModel {
            partition,
            record: LiveMessage::arbitrary_with(u, id, gen, fifo)?,
            history: History::arbitrary(u)?,
            quirks: Vec::new(),
        })
    }

    /// A message of the `shared` profile: one plain version, and its live
    /// value sometimes spelled with Go quirks.
    pub fn shared_for(
        u: &mut Unstructured<'_>,
        index: u64,
        gen: u64,
        meta: &LiveQueueMeta,
    ) -> Result<Self> {
        let mut m = MessageModel::arbitrary_for(u, index, gen, Some(meta))?;
        m.history = History::PLAIN;
        m.quirks = arbitrary_quirks(u)?;
        Ok(m)
    }

    /// The live value as stored: `json.Marshal`'s bytes, or their quirky
    /// spelling.
    pub fn value(&self) -> Vec<u8> {
        if self.quirks.is_empty() {
            self.record.value()
        } else {
            with_magic(
                &MESSAGE_MAGIC,
                &render_with_quirks(&self.record.fields(), &self.quirks),
            )
        }
    }

    /// Its user key under queue `name`.
    pub fn key(&self, name: &[u8]) -> Vec<u8> {
        build(&KeyParts::MsgData {
            queue: name.to_vec(),
            partition: self.partition,
            gen: self.record.queue_generation,
            message_id: self.record.message_id.as_bytes().to_vec(),
        })
    }

    /// Its versions.
    pub fn versions(&self, last: u64) -> Vec<Version> {
        let rec = &self.record;
        let variant = |i: u8| {
            let mut r = rec.clone();
            r.receive_count = 1000 + i64::from(i);
            r.body = Some(format!("old version {i}").into_bytes());
            r.value()
        };
        self.history.versions(last, &self.value(), &variant)
    }
}

/// One side record (vis, byage, dedup, group, tombstone or seq).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SideModel {
    /// Its key components (queue included).
    pub parts: KeyParts,
    /// Its opaque value.
    pub value: Vec<u8>,
    /// Its versions.
    pub history: History,
}

impl SideModel {
    /// A side record of queue `name`.
    pub fn arbitrary_for(u: &mut Unstructured<'_>, name: &[u8]) -> Result<Self> {
        let family = *u.choose(&[
            Family::MsgVis,
            Family::MsgByAge,
            Family::MsgDedup,
            Family::MsgGroup,
            Family::QueueTombstone,
            Family::QueueSeq,
        ])?;
        Ok(SideModel {
            parts: keys::valid_parts(u, family, name.to_vec())?,
            value: Vec::arbitrary(u)?,
            history: History::arbitrary(u)?,
        })
    }

    /// A side record of the `shared` profile: vis, byage, dedup, group or
    /// tombstone (never seq), one plain version.
    pub fn shared_for(u: &mut Unstructured<'_>, name: &[u8]) -> Result<Self> {
        let family = *u.choose(&[
            Family::MsgVis,
            Family::MsgByAge,
            Family::MsgDedup,
            Family::MsgGroup,
            Family::QueueTombstone,
        ])?;
        Ok(SideModel {
            parts: keys::valid_parts(u, family, name.to_vec())?,
            value: Vec::arbitrary(u)?,
            history: History::PLAIN,
        })
    }

    /// Its versions.
    pub fn versions(&self, last: u64) -> Vec<Version> {
        self.history.versions(last, &self.value, &|i| vec![b'v', i])
    }
}

/// Add `s` unless a side record with the same user key is there already
/// (one seq record per queue, one tombstone per generation, …).
pub fn push_side(side: &mut Vec<SideModel>, s: SideModel) {
    let key = build(&s.parts);
    if side.iter().all(|o| build(&o.parts) != key) {
        side.push(s);
    }
}

/// A `!sqs|queue|gen|` record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenRecord {
    /// Its stored spelling.
    pub text: GenText,
    /// Its versions.
    pub history: History,
}

/// A queue with a meta record (which may still be deleted by its history).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueModel {
    /// The queue name (the key's bytes; any bytes, UTF-8 or not).
    pub name: Vec<u8>,
    /// The live meta; its `name` equals [`Self::name`] or is empty (always
    /// empty when the name is not UTF-8).
    pub meta: LiveQueueMeta,
    /// Go-quirk spellings of the meta's live value.
    pub meta_quirks: Vec<Quirk>,
    /// The meta record's versions.
    pub meta_history: History,
    /// The gen record, if any.
    pub gen: Option<GenRecord>,
    /// Messages.
    pub messages: Vec<MessageModel>,
    /// Side records.
    pub side: Vec<SideModel>,
}

/// Make a queue's HT-FIFO settings ones the live validator accepts, as
/// both encoders check them (REQ-ENC-4): a `partition_count` of 0 or a
/// power of two up to 32, above 1 only on a FIFO queue; no
/// `fifo_throughput_limit` or `deduplication_scope` on a standard queue;
/// `perMessageGroupId` only with partitions; no `queue` dedup scope with
/// partitions. Settings that are already valid are kept.
pub fn restorable_meta(m: &mut LiveQueueMeta) {
    let pc = m.partition_count;
    if pc != 0 && (!pc.is_power_of_two() || pc > MAX_PARTITIONS || (pc > 1 && !m.is_fifo)) {
        m.partition_count = 0;
    }
    if !m.is_fifo {
        m.fifo_throughput_limit.clear();
        m.deduplication_scope.clear();
    }
    if m.partition_count > 1 && m.deduplication_scope == SCOPE_QUEUE {
        m.deduplication_scope = SCOPE_MESSAGE_GROUP.to_string();
    }
    if m.fifo_throughput_limit == PER_MESSAGE_GROUP_ID && m.partition_count <= 1 {
        m.fifo_throughput_limit.clear();
    }
}

/// Put a message of a queue with the (valid) settings `meta` where the
/// live router writes it: on a partitioned queue, the lane of its group
/// ([`crate::encode::model::lane`]); on any other queue a partitioned key
/// stays, at partition 0 (decode writes `"partition":0`, which a round
/// trip drops, REQ-ENC-13), and a legacy key stays legacy.
pub fn route(meta: &LiveQueueMeta, msg: &mut MessageModel) {
    msg.partition = if meta.partition_count > 1 {
        Some(lane(
            meta.partition_count,
            &meta.fifo_throughput_limit,
            &msg.record.message_group_id,
        ))
    } else {
        msg.partition.map(|_| 0)
    };
}

impl QueueModel {
    /// Make the queue restorable: valid HT-FIFO settings
    /// ([`restorable_meta`]) and every message on its lane ([`route`]).
    pub fn make_restorable(&mut self) {
        restorable_meta(&mut self.meta);
        for m in &mut self.messages {
            route(&self.meta, m);
        }
    }

    /// A queue named `name` with no messages yet; returns it and the
    /// generation new messages should carry.
    pub fn skeleton(u: &mut Unstructured<'_>, name: String) -> Result<(Self, u64)> {
        QueueModel::skeleton_bytes(u, name.into_bytes(), false)
    }

    /// A queue whose key holds `name`; when `key_only` (or when `name` is
    /// not UTF-8) its meta's `name` is empty, so the decoder takes the
    /// name from the key.
    pub fn skeleton_bytes(
        u: &mut Unstructured<'_>,
        name: Vec<u8>,
        key_only: bool,
    ) -> Result<(Self, u64)> {
        let utf8 = std::str::from_utf8(&name).ok();
        let mut meta = LiveQueueMeta::arbitrary_named(
            u,
            utf8.map_or_else(
                || String::from_utf8_lossy(&name).into_owned(),
                str::to_string,
            ),
        )?;
        if u.ratio(1, 16)? || key_only || utf8.is_none() {
            meta.name = String::new();
        }
        let active = u.int_in_range(1..=50u64)?;
        let gen = if u.ratio(3, 4)? {
            let n = if u.ratio(1, 16)? { 0 } else { active };
            Some(GenRecord {
                text: GenText::valid(u, n)?,
                history: History::arbitrary(u)?,
            })
        } else {
            None
        };
        meta.generation = active;
        Ok((
            QueueModel {
                name,
                meta,
                meta_quirks: Vec::new(),
                meta_history: History::arbitrary(u)?,
                gen,
                messages: Vec::new(),
                side: Vec::new(),
            },
            active,
        ))
    }

    /// A queue of the `shared` profile: no tags, one plain
    /// version of the meta and gen records, the meta sometimes spelled
    /// with Go quirks.
    pub fn shared_skeleton(
        u: &mut Unstructured<'_>,
        name: Vec<u8>,
        key_only: bool,
    ) -> Result<(Self, u64)> {
        let (mut q, active) = QueueModel::skeleton_bytes(u, name, key_only)?;
        q.meta.tags.clear();
        q.meta_history = History::PLAIN;
        if let Some(g) = &mut q.gen {
            g.history = History::PLAIN;
        }
        q.meta_quirks = arbitrary_quirks(u)?;
        Ok((q, active))
    }

    /// The meta's live value as stored.
    pub fn meta_value(&self) -> Vec<u8> {
        if self.meta_quirks.is_empty() {
            self.meta.value()
        } else {
            with_magic(
                &QUEUE_META_MAGIC,
                &render_with_quirks(&self.meta.fields(), &self.meta_quirks),
            )
        }
    }

    /// The generation of message `i`: mostly `active`, sometimes stale.
    pub fn message_gen(u: &mut Unstructured<'_>, active: u64) -> Result<u64> {
        Ok(if u.ratio(1, 5)? {
            if bool::arbitrary(u)? {
                active.saturating_sub(u.int_in_range(1..=3)?)
            } else {
                active + u.int_in_range(1..=3)?
            }
        } else {
            active
        })
    }

    /// The records other than messages: meta, gen, side records.
    pub fn queue_records(&self, last: u64) -> Vec<(Vec<u8>, Vec<Version>)> {
        let q = self.name.clone();
        let meta = &self.meta;
        let mut out = vec![(
            build(&KeyParts::QueueMeta { queue: q.clone() }),
            self.meta_history.versions(last, &self.meta_value(), &|i| {
                let mut m = meta.clone();
                m.delay_seconds = 7000 + i64::from(i);
                m.value()
            }),
        )];
        if let Some(g) = &self.gen {
            out.push((
                build(&KeyParts::QueueGen { queue: q.clone() }),
                g.history.versions(last, &g.text.bytes, &|i| {
                    (9000 + u64::from(i)).to_string().into_bytes()
                }),
            ));
        }
        for s in &self.side {
            out.push((build(&s.parts), s.versions(last)));
        }
        out
    }
}

/// Records under a queue name that has no meta record at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrphanModel {
    /// The queue name bytes (any non-empty bytes).
    pub name: Vec<u8>,
    /// Messages (dropped with a warning).
    pub messages: Vec<MessageModel>,
    /// Side records (kept under `<encoded>.orphan` with the flag).
    pub side: Vec<SideModel>,
}

/// Add `f` to the foreign records of a `shared` model with one plain
/// version, unless its key is there already (one version per key).
pub fn push_shared_foreign(foreign: &mut Vec<ForeignRecord>, mut f: ForeignRecord) {
    f.history = History::PLAIN;
    if foreign.iter().all(|o| o.key != f.key) {
        foreign.push(f);
    }
}

/// A non-SQS MVCC record the decoder must skip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignRecord {
    /// The user key (never `!sqs|…`).
    pub key: Vec<u8>,
    /// The body.
    pub body: Vec<u8>,
    /// Its versions.
    pub history: History,
}

impl<'a> Arbitrary<'a> for ForeignRecord {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let prefix: &[u8] = u.choose(&[
            &b"!redis|str|"[..],
            b"!ddb|item|",
            b"!s3|obj|",
            b"!sqs",
            b"!sqsx|queue|meta|",
            b"!sq|",
            b"",
        ])?;
        let mut key = prefix.to_vec();
        key.extend_from_slice(&Vec::<u8>::arbitrary(u)?);
        if key.starts_with(b"!sqs|")
            || key.starts_with(b"_meta")
            || key.starts_with(frame::WRITER_PREFIX)
        {
            key.insert(0, b'#');
        }
        Ok(ForeignRecord {
            key,
            body: Vec::arbitrary(u)?,
            history: History::arbitrary(u)?,
        })
    }
}

/// A raw (un-framed) operational entry: one of the four `_meta_*` keys
/// with an 8-byte LE value, or an encryption writer-registry row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRecord {
    /// The raw key.
    pub key: Vec<u8>,
    /// The raw value.
    pub value: Vec<u8>,
}

impl<'a> Arbitrary<'a> for RawRecord {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        if u.ratio(3, 4)? {
            Ok(RawRecord {
                key: u.choose(&frame::OPERATIONAL_KEYS)?.as_bytes().to_vec(),
                value: u64::arbitrary(u)?.to_le_bytes().to_vec(),
            })
        } else {
            // be32 dek id, `|`, be16 node id.
            let mut key = frame::WRITER_PREFIX.to_vec();
            key.extend_from_slice(&super::values::fill(u, 4)?);
            key.push(b'|');
            key.extend_from_slice(&super::values::fill(u, 2)?);
            Ok(RawRecord {
                key,
                value: Vec::arbitrary(u)?,
            })
        }
    }
}

/// An entry that must make the decoder fail (or, for a few, warn).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BadEntry {
    /// A live put under a malformed SQS key.
    Key(AdversarialKey),
    /// An unreadable queue meta value for queue `name`.
    Meta {
        /// Queue name.
        name: String,
        /// The damage.
        invalid: Invalid,
    },
    /// An unreadable message value in queue `name`.
    Message {
        /// Queue name.
        name: String,
        /// The damage.
        invalid: Invalid,
    },
    /// An invalid gen value for queue `name`.
    Gen {
        /// Queue name.
        name: String,
        /// The spelling.
        text: Vec<u8>,
    },
    /// Value flags with encryption state 1..=3 or bits 3-7 set.
    Flags {
        /// The flags byte (never 0 or 1).
        flags: u8,
    },
    /// A value shorter than 9 bytes.
    ShortValue {
        /// Its length (0..=8).
        len: u8,
    },
    /// A key shorter than 8 bytes.
    ShortKey {
        /// Its length (0..=7).
        len: u8,
    },
    /// A data key whose gen or id disagrees with its value (a warning).
    Mismatch {
        /// Queue name.
        name: String,
        /// Disagree on the id (else on the gen).
        on_id: bool,
    },
}

impl BadEntry {
    /// Error classes this entry may cause, and whether it must cause one.
    pub fn classes(&self) -> (&'static [&'static str], bool) {
        match self {
            // The damaged key may still be a valid key of some family, and
            // then its (message) value is wrong for it.
            BadEntry::Key(_) => (
                &[
                    "malformed_sqs_key",
                    "invalid_queue_meta",
                    "invalid_gen_value",
                    "invalid_message",
                ],
                false,
            ),
            BadEntry::Meta { .. } => (&["invalid_queue_meta"], true),
            BadEntry::Message { .. } => (&["invalid_message"], false),
            BadEntry::Gen { .. } => (&["invalid_gen_value"], true),
            BadEntry::Flags { flags } => {
                if *flags & !0x07 == 0 && (*flags >> 1) & 3 == 1 {
                    (&["encrypted_entry"], true)
                } else {
                    (&["reserved_flags", "encrypted_entry"], true)
                }
            }
            BadEntry::ShortValue { .. } => (&["short_value"], true),
            BadEntry::ShortKey { .. } => (&["short_key", "truncated"], true),
            BadEntry::Mismatch { .. } => (&[], false),
        }
    }

    /// A bad entry aimed at queue `name` (or near it).
    pub fn arbitrary_near(u: &mut Unstructured<'_>, name: &str) -> Result<Self> {
        Ok(match u.int_in_range(0..=7u8)? {
            0 => BadEntry::Key(AdversarialKey::arbitrary(u)?),
            1 => BadEntry::Meta {
                name: format!("{name}-badmeta"),
                invalid: Invalid::arbitrary(u)?,
            },
            2 => BadEntry::Message {
                name: name.to_string(),
                invalid: Invalid::arbitrary(u)?,
            },
            3 => BadEntry::Gen {
                name: format!("{name}-badgen"),
                text: GenText::invalid(u)?.bytes,
            },
            4 => BadEntry::Flags {
                flags: loop {
                    let f = u8::arbitrary(u)?;
                    if f > 1 {
                        break f;
                    }
                    if u.is_empty() {
                        break 2;
                    }
                },
            },
            5 => BadEntry::ShortValue {
                len: u.int_in_range(0..=8)?,
            },
            6 => BadEntry::ShortKey {
                len: u.int_in_range(0..=7)?,
            },
            // Under a queue of its own (an orphan), so it leaves the
            // expected output of the model's queues alone.
            _ => BadEntry::Mismatch {
                name: format!("{name}-mismatch"),
                on_id: bool::arbitrary(u)?,
            },
        })
    }

    /// The raw key and value of this entry at `ts`.
    pub fn raw(&self, ts: u64) -> (Vec<u8>, Vec<u8>) {
        let put = |user_key: Vec<u8>, body: Vec<u8>| {
            (
                frame::mvcc_key(&user_key, ts),
                frame::mvcc_value(0, 0, &body),
            )
        };
        let msg = |name: &str| {
            let mut rec =
                LiveMessage::arbitrary_with(&mut Unstructured::new(&[]), "bad".into(), 1, false)
                    .unwrap_or_default();
            rec.body = Some(b"bad".to_vec());
            (name.to_string(), rec)
        };
        match self {
            BadEntry::Key(k) => put(k.bytes(), msg("x").1.value()),
            BadEntry::Meta { name, invalid } => {
                let meta =
                    LiveQueueMeta::arbitrary_named(&mut Unstructured::new(&[]), name.clone())
                        .unwrap_or_default();
                put(
                    build(&KeyParts::QueueMeta {
                        queue: name.as_bytes().to_vec(),
                    }),
                    super::values::render_invalid(&QUEUE_META_MAGIC, &meta.fields(), invalid),
                )
            }
            BadEntry::Message { name, invalid } => {
                let (name, rec) = msg(name);
                put(
                    build(&KeyParts::MsgData {
                        queue: name.into_bytes(),
                        partition: None,
                        gen: 1,
                        message_id: b"bad".to_vec(),
                    }),
                    super::values::render_invalid(&MESSAGE_MAGIC, &rec.fields(), invalid),
                )
            }
            BadEntry::Gen { name, text } => put(
                build(&KeyParts::QueueGen {
                    queue: name.as_bytes().to_vec(),
                }),
                text.clone(),
            ),
            BadEntry::Flags { flags } => (
                frame::mvcc_key(
                    &build(&KeyParts::QueueSeq {
                        queue: b"flags".to_vec(),
                    }),
                    ts,
                ),
                frame::mvcc_value(*flags, 0, b"1"),
            ),
            BadEntry::ShortValue { len } => (
                frame::mvcc_key(
                    &build(&KeyParts::QueueSeq {
                        queue: b"short".to_vec(),
                    }),
                    ts,
                ),
                vec![0u8; usize::from(*len)],
            ),
            BadEntry::ShortKey { len } => (
                b"!sqs|qu"[..usize::from(*len)].to_vec(),
                frame::mvcc_value(0, 0, b""),
            ),
            BadEntry::Mismatch { name, on_id } => {
                let (name, mut rec) = msg(name);
                rec.message_id = "mismatch".into();
                let key = build(&KeyParts::MsgData {
                    queue: name.into_bytes(),
                    partition: None,
                    gen: if *on_id { 1 } else { 2 },
                    message_id: if *on_id {
                        b"other".to_vec()
                    } else {
                        b"mismatch".to_vec()
                    },
                });
                put(key, rec.value())
            }
        }
    }
}

/// Damage to the stream itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Arbitrary)]
pub enum StreamDamage {
    /// Cut the stream at this offset (modulo its length, never at an
    /// entry boundary unless the cut lands inside the header).
    Truncate(u32),
    /// A wrong magic.
    BadMagic,
    /// The SST-ingest magic.
    SstMagic,
    /// A key length over the limit.
    HugeKey,
    /// A value length over the limit.
    HugeValue,
}

impl StreamDamage {
    /// Damage a stream that so far ends at an entry boundary (the header
    /// included), in place.
    pub fn apply(self, out: &mut Vec<u8>) {
        match self {
            StreamDamage::Truncate(at) => {
                // Append one entry and cut inside it, so the stream never
                // ends at an entry boundary.
                let before = out.len();
                frame::raw_entry(
                    out,
                    &frame::mvcc_key(b"!sqs|queue|seq|dA", 1),
                    &frame::mvcc_value(0, 0, b"1"),
                );
                let entry_len = out.len() - before;
                let keep = 1 + usize::try_from(at).unwrap_or(0) % (entry_len - 1);
                out.truncate(before + keep);
            }
            StreamDamage::BadMagic => out[..8].copy_from_slice(b"EKVPBBL2"),
            StreamDamage::SstMagic => out[..8].copy_from_slice(frame::SST_MAGIC),
            StreamDamage::HugeKey => {
                out.extend_from_slice(&(frame::MAX_KEY + 1).to_le_bytes());
            }
            StreamDamage::HugeValue => {
                let key = frame::mvcc_key(b"!sqs|queue|seq|cQ", 1);
                out.extend_from_slice(&(key.len() as u64).to_le_bytes());
                out.extend_from_slice(&key);
                out.extend_from_slice(&(frame::MAX_VALUE + 1).to_le_bytes());
            }
        }
    }

    /// The error classes it causes (it always causes one).
    pub fn classes(&self) -> &'static [&'static str] {
        match self {
            // A cut 4 bytes into the appended entry's key length reads as
            // a node file's footer that does not match (REQ-FSM-11).
            StreamDamage::Truncate(_) => &["truncated", "crc_mismatch"],
            StreamDamage::BadMagic => &["bad_magic"],
            StreamDamage::SstMagic => &["unsupported_format"],
            StreamDamage::HugeKey => &["key_too_large"],
            StreamDamage::HugeValue => &["value_too_large"],
        }
    }
}

/// Which generation profile (`sqsdump gen --profile`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Arbitrary)]
pub enum Profile {
    /// Decodes without error: histories, stale gens, orphans, side
    /// records, operational and foreign keys, but nothing malformed; and
    /// its dump restores (REQ-CLI-10): every queue's HT-FIFO settings and
    /// partitions follow the live rules ([`QueueModel::make_restorable`]).
    Valid,
    /// Mostly valid with a few adversarial entries; one queue in four
    /// keeps the raw HT-FIFO draws (partition counts that are not powers
    /// of two, settings the live validator refuses, partitions off their
    /// group's lane), so its dump may not restore.
    Mixed,
    /// Every part exercises an error path; no queue's HT-FIFO draws are
    /// made restorable.
    Adversarial,
    /// Decodes without error and touches no SPEC Decision, so upstream's
    /// decoder must write the same `sqs/` tree; its dump restores, like
    /// `valid`'s. It has one live version
    /// per key, none after the header (REQ-FSM-7, REQ-FSM-8, REQ-FSM-9);
    /// no operational keys (REQ-FSM-6); no malformed, non-canonical,
    /// empty-queue or gen-trailing keys, no misparsing gens, no key/value
    /// mismatches and no stream damage (REQ-KEY-5, REQ-KEY-6, REQ-KEY-8,
    /// REQ-KEY-9, REQ-DEC-10); no orphans (REQ-DEC-2, REQ-DEC-3); no tags
    /// (REQ-VAL-4); no seq records (REQ-DEC-9); no `.`/`..` or
    /// hash-fallback names (REQ-OUT-2, REQ-OUT-3); no invalid UTF-8 in
    /// attribute values (REQ-JSON-13); no shared directories (REQ-OUT-8);
    /// no unknown SQS families (REQ-DEC-13); entries in sorted (Pebble)
    /// order (REQ-DEC-11). [`SnapshotModel::is_shared`] checks a model.
    Shared,
}

impl Profile {
    /// Whether the next queue gets restorable HT-FIFO settings and
    /// partitions ([`QueueModel::make_restorable`]): always under `valid`
    /// and `shared`, never under `adversarial`, and three times in four
    /// under `mixed` (drawn from `u` only then), so that the other queues
    /// keep the raw draws, which mostly break the live routing rules.
    pub fn restorable_queue(self, u: &mut Unstructured<'_>) -> Result<bool> {
        Ok(match self {
            Profile::Valid | Profile::Shared => true,
            Profile::Mixed => !u.ratio(1, 4)?,
            Profile::Adversarial => false,
        })
    }
}

/// Entry order in the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Arbitrary)]
pub enum Order {
    /// Sorted by encoded key bytes, as Pebble iterates.
    Sorted,
    /// Shuffled with this seed; versions of one user key keep their
    /// relative order.
    Shuffled(u64),
}

/// A framed entry: the user key it belongs to (`None` for raw and bad
/// entries), the encoded key and the encoded value.
type Framed = (Option<Vec<u8>>, Vec<u8>, Vec<u8>);

/// A whole snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotModel {
    /// The header's `last_commit_ts`.
    pub last_commit_ts: u64,
    /// Queues with meta records.
    pub queues: Vec<QueueModel>,
    /// Queue states with no meta record.
    pub orphans: Vec<OrphanModel>,
    /// Non-SQS records.
    pub foreign: Vec<ForeignRecord>,
    /// Raw operational entries.
    pub raw: Vec<RawRecord>,
    /// Adversarial entries.
    pub bad: Vec<BadEntry>,
    /// Damage to the stream.
    pub damage: Option<StreamDamage>,
    /// Entry order.
    pub order: Order,
}

/// Limits on a generated model's size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size {
    /// Most queues.
    pub queues: usize,
    /// Most messages per queue.
    pub messages: usize,
    /// Most side records per queue.
    pub side: usize,
}

impl Size {
    /// Small models for properties and fuzzing.
    pub const SMALL: Size = Size {
        queues: 4,
        messages: 8,
        side: 3,
    };
}

impl SnapshotModel {
    /// A model of the given profile and size.
    pub fn arbitrary_with(u: &mut Unstructured<'_>, profile: Profile, size: Size) -> Result<Self> {
        let last_commit_ts = u.int_in_range((1u64 << 20)..=(1u64 << 50))?;
        let nq = u.int_in_range(0..=size.queues)?;
        let shared = profile == Profile::Shared;
        let mut names: BTreeSet<Vec<u8>> = BTreeSet::new();
        let mut queues: Vec<QueueModel> = Vec::new();
        for _ in 0..nq {
            let (name, key_only) = if shared {
                let earlier: Vec<Vec<u8>> = queues.iter().map(|q| q.name.clone()).collect();
                keys::shared_queue_name_after(u, &earlier)?
            } else {
                keys::meta_queue_name(u)?
            };
            if !names.insert(name.clone()) {
                continue;
            }
            let (mut q, active) = if shared {
                QueueModel::shared_skeleton(u, name, key_only)?
            } else {
                QueueModel::skeleton_bytes(u, name, key_only)?
            };
            let restorable = profile.restorable_queue(u)?;
            for i in 0..u.int_in_range(0..=size.messages)? {
                let gen = QueueModel::message_gen(u, active)?;
                let m = if shared {
                    MessageModel::shared_for(u, i as u64, gen, &q.meta)?
                } else {
                    MessageModel::arbitrary_for(u, i as u64, gen, Some(&q.meta))?
                };
                q.messages.push(m);
            }
            for _ in 0..u.int_in_range(0..=size.side)? {
                let s = if shared {
                    SideModel::shared_for(u, &q.name)?
                } else {
                    SideModel::arbitrary_for(u, &q.name)?
                };
                push_side(&mut q.side, s);
            }
            if restorable {
                q.make_restorable();
            }
            queues.push(q);
        }
        if shared {
            let mut foreign = Vec::new();
            for _ in 0..u.int_in_range(0..=3u8)? {
                push_shared_foreign(&mut foreign, ForeignRecord::arbitrary(u)?);
            }
            return Ok(SnapshotModel {
                last_commit_ts,
                queues,
                orphans: Vec::new(),
                foreign,
                raw: Vec::new(),
                bad: Vec::new(),
                damage: None,
                order: Order::Sorted,
            });
        }
        let mut orphans = Vec::new();
        let mut raw_names: BTreeSet<Vec<u8>> = names.clone();
        for _ in 0..u.int_in_range(0..=2u8)? {
            let name = keys::raw_queue_name(u)?;
            if !raw_names.insert(name.clone()) {
                continue;
            }
            let mut o = OrphanModel {
                name,
                messages: Vec::new(),
                side: Vec::new(),
            };
            for i in 0..u.int_in_range(0..=3u8)? {
                let m = MessageModel::arbitrary_for(u, u64::from(i), 1, None)?;
                o.messages.push(m);
            }
            for _ in 0..u.int_in_range(0..=2u8)? {
                let s = SideModel::arbitrary_for(u, &o.name)?;
                push_side(&mut o.side, s);
            }
            orphans.push(o);
        }
        // Sometimes a queue named like an orphan's directory: a collision
        // when that orphan's side records are written (REQ-OUT-8).
        if profile != Profile::Valid && !orphans.is_empty() && u.ratio(1, 3)? {
            let o = u.choose(&orphans)?;
            let name = format!("{}.orphan", b64(&o.name));
            if names.insert(name.clone().into_bytes()) {
                let (q, _) = QueueModel::skeleton(u, name)?;
                queues.push(q);
            }
        }
        let foreign = (0..u.int_in_range(0..=3u8)?)
            .map(|_| ForeignRecord::arbitrary(u))
            .collect::<Result<Vec<_>>>()?;
        let raw = (0..u.int_in_range(0..=4u8)?)
            .map(|_| RawRecord::arbitrary(u))
            .collect::<Result<Vec<_>>>()?;
        let mut bad = Vec::new();
        let mut damage = None;
        let anchor = queues.first().map_or_else(
            || "q".to_string(),
            |q| crate::jsonout::utf8_per_byte_lossy(&q.name),
        );
        match profile {
            Profile::Valid | Profile::Shared => {}
            Profile::Mixed => {
                if u.ratio(1, 2)? {
                    bad.push(BadEntry::arbitrary_near(u, &anchor)?);
                }
                if u.ratio(1, 10)? {
                    damage = Some(StreamDamage::arbitrary(u)?);
                }
            }
            Profile::Adversarial => {
                for _ in 0..u.int_in_range(1..=3u8)? {
                    bad.push(BadEntry::arbitrary_near(u, &anchor)?);
                }
                if u.ratio(1, 3)? {
                    damage = Some(StreamDamage::arbitrary(u)?);
                }
            }
        }
        Ok(SnapshotModel {
            last_commit_ts,
            queues,
            orphans,
            foreign,
            raw,
            bad,
            damage,
            order: Order::arbitrary(u)?,
        })
    }

    /// `Ok` when the model keeps the `shared` profile's promise (see
    /// [`Profile::Shared`] for the Decisions it stays clear of), else a
    /// description of the first feature that breaks it.
    pub fn is_shared(&self) -> std::result::Result<(), String> {
        let plain = |what: &str, h: &History| {
            if *h == History::PLAIN {
                Ok(())
            } else {
                Err(format!("{what} has history {h:?}"))
            }
        };
        if !self.raw.is_empty() {
            return Err(format!("operational keys {:?}", self.raw));
        }
        if !self.bad.is_empty() || self.damage.is_some() {
            return Err(format!(
                "bad entries {:?} / damage {:?}",
                self.bad, self.damage
            ));
        }
        if !self.orphans.is_empty() {
            return Err(format!("{} orphans", self.orphans.len()));
        }
        if self.order != Order::Sorted {
            return Err(format!("order {:?}", self.order));
        }
        let mut dirs = BTreeSet::new();
        for q in &self.queues {
            let name = q.name.escape_ascii().to_string();
            if !keys::is_shared_name(&q.name) {
                return Err(format!("queue name {name} touches a Decision"));
            }
            if !dirs.insert(segment::encode_segment(&q.name)) {
                return Err(format!("queue {name} shares a directory"));
            }
            if !q.meta.name.is_empty() && q.meta.name.as_bytes() != q.name.as_slice() {
                return Err(format!("queue {name}: meta name {:?}", q.meta.name));
            }
            if !q.meta.tags.is_empty() {
                return Err(format!("queue {name} has tags"));
            }
            plain(&format!("queue {name} meta"), &q.meta_history)?;
            let side_keys: Vec<Vec<u8>> = q.side.iter().map(|s| build(&s.parts)).collect();
            for a in &side_keys {
                if side_keys.iter().any(|b| b != a && b.starts_with(a)) {
                    return Err(format!(
                        "queue {name}: side key {} is extended by another (REQ-DEC-14)",
                        a.escape_ascii()
                    ));
                }
            }
            if let Some(g) = &q.gen {
                plain(&format!("queue {name} gen"), &g.history)?;
                if g.text.value.is_none() {
                    return Err(format!("queue {name}: invalid gen {:?}", g.text));
                }
            }
            for m in &q.messages {
                let id = &m.record.message_id;
                plain(&format!("queue {name} message {id:?}"), &m.history)?;
                let parts = KeyParts::MsgData {
                    queue: q.name.clone(),
                    partition: m.partition,
                    gen: m.record.queue_generation,
                    message_id: id.as_bytes().to_vec(),
                };
                if !keys::round_trips(&parts) || crate::key::parse(&m.key(&q.name)) != Ok(parts) {
                    return Err(format!(
                        "queue {name} message {id:?}: key does not round-trip"
                    ));
                }
                for a in m.record.message_attributes.values() {
                    if std::str::from_utf8(&a.go_json()).is_err() {
                        return Err(format!("queue {name} message {id:?}: attribute not UTF-8"));
                    }
                }
            }
            for s in &q.side {
                plain(&format!("queue {name} side record"), &s.history)?;
                if s.parts.family() == Family::QueueSeq || !s.parts.family().is_side_record() {
                    return Err(format!("queue {name}: side record {:?}", s.parts));
                }
                if !keys::round_trips(&s.parts) || s.parts.queue() != q.name.as_slice() {
                    return Err(format!("queue {name}: side key {:?}", s.parts));
                }
            }
        }
        let mut keys = BTreeSet::new();
        for (k, _) in self.records() {
            if !keys.insert(k.clone()) {
                return Err(format!("two records of key {}", k.escape_ascii()));
            }
        }
        for f in &self.foreign {
            plain("foreign record", &f.history)?;
            if crate::key::is_sqs_key(&f.key) {
                return Err(format!(
                    "foreign key {} is an SQS key",
                    f.key.escape_ascii()
                ));
            }
        }
        Ok(())
    }

    /// Every MVCC record: user key and versions (newest first).
    pub fn records(&self) -> Vec<(Vec<u8>, Vec<Version>)> {
        let last = self.last_commit_ts;
        let mut out = Vec::new();
        for q in &self.queues {
            for m in &q.messages {
                out.push((m.key(&q.name), m.versions(last)));
            }
            out.extend(q.queue_records(last));
        }
        for o in &self.orphans {
            for m in &o.messages {
                out.push((m.key(&o.name), m.versions(last)));
            }
            for s in &o.side {
                out.push((build(&s.parts), s.versions(last)));
            }
        }
        for f in &self.foreign {
            out.push((
                f.key.clone(),
                f.history.versions(last, &f.body, &|i| vec![i]),
            ));
        }
        out
    }

    /// The framed entries (key, value) in model order, with the user key
    /// each MVCC entry belongs to (`None` for raw and bad entries).
    fn entries(&self, flat: bool) -> Vec<Framed> {
        let last = self.last_commit_ts;
        let mut out = Vec::new();
        for (user_key, versions) in self.records() {
            if flat {
                // The newest version at or before the header, if visible.
                let decisive = versions.iter().find(|v| v.commit_ts <= last);
                if let Some(v) = decisive {
                    if !v.tombstone && (v.expire_at == 0 || v.expire_at > last) {
                        out.push((
                            Some(user_key.clone()),
                            frame::mvcc_key(&user_key, last),
                            frame::mvcc_value(0, 0, &v.body),
                        ));
                    }
                }
                continue;
            }
            for v in versions {
                out.push((
                    Some(user_key.clone()),
                    frame::mvcc_key(&user_key, v.commit_ts),
                    frame::mvcc_value(u8::from(v.tombstone), v.expire_at, &v.body),
                ));
            }
        }
        for r in &self.raw {
            out.push((None, r.key.clone(), r.value.clone()));
        }
        for b in &self.bad {
            let (k, v) = b.raw(last);
            out.push((None, k, v));
        }
        out
    }

    fn ordered(&self, mut entries: Vec<Framed>) -> Vec<(Vec<u8>, Vec<u8>)> {
        entries.sort_by(|a, b| a.1.cmp(&b.1));
        if let Order::Shuffled(seed) = self.order {
            let mut rng = super::seeded::SplitMix(seed);
            let n = entries.len();
            let mut perm: Vec<usize> = (0..n).collect();
            for i in (1..n).rev() {
                let j = (rng.next() % (i as u64 + 1)) as usize;
                perm.swap(i, j);
            }
            let shuffled: Vec<_> = perm.iter().map(|&i| entries[i].clone()).collect();
            // Versions of one user key keep their sorted relative order.
            let mut by_key: BTreeMap<Vec<u8>, Vec<usize>> = BTreeMap::new();
            for (pos, e) in shuffled.iter().enumerate() {
                if let Some(k) = &e.0 {
                    by_key.entry(k.clone()).or_default().push(pos);
                }
            }
            let mut fixed = shuffled.clone();
            for positions in by_key.values() {
                let mut items: Vec<_> = positions.iter().map(|&p| shuffled[p].clone()).collect();
                items.sort_by(|a, b| a.1.cmp(&b.1));
                for (&p, item) in positions.iter().zip(items) {
                    fixed[p] = item;
                }
            }
            entries = fixed;
        }
        entries.into_iter().map(|(_, k, v)| (k, v)).collect()
    }

    fn stream(&self, flat: bool) -> Vec<u8> {
        let mut out = frame::header(self.last_commit_ts);
        for (k, v) in self.ordered(self.entries(flat)) {
            frame::raw_entry(&mut out, &k, &v);
        }
        if let Some(d) = self.damage {
            d.apply(&mut out);
        }
        out
    }

    /// The `.fsm` stream with full histories.
    pub fn to_fsm_bytes(&self) -> Vec<u8> {
        self.stream(false)
    }

    /// The latest visible state written with no history: one live version
    /// per visible user key, at `last_commit_ts`, same raw entries
    /// (REQ-FSM-7).
    pub fn flat_fsm_bytes(&self) -> Vec<u8> {
        self.stream(true)
    }

    /// Whether the model must decode without error (under any flags,
    /// except the collision [`Expected::collision`] reports).
    pub fn is_clean(&self) -> bool {
        self.bad
            .iter()
            .all(|b| matches!(b, BadEntry::Mismatch { .. }))
            && self.damage.is_none()
    }

    /// Error classes the model may produce, and whether it must fail.
    pub fn error_classes(&self) -> (BTreeSet<&'static str>, bool) {
        let mut set = BTreeSet::new();
        let mut must = false;
        for b in &self.bad {
            let (c, m) = b.classes();
            set.extend(c.iter().copied());
            must |= m;
        }
        if let Some(d) = self.damage {
            set.extend(d.classes().iter().copied());
            must = true;
        }
        (set, must)
    }

    /// What a correct decoder produces from a clean model with these
    /// flags.
    pub fn expected(&self, include_side_records: bool) -> Expected {
        let mut queues = BTreeMap::new();
        let mut orphan_dirs = BTreeMap::new();
        let mut orphan_messages = BTreeMap::new();
        let side_lines = |side: &[SideModel]| -> Vec<SideLine> {
            side.iter()
                .filter(|s| s.history.visible())
                .map(|s| SideLine {
                    prefix: s.parts.family().prefix().to_string(),
                    key_hex: hex::encode(build(&s.parts)),
                    value_b64: b64(&s.value),
                })
                .collect()
        };
        for q in &self.queues {
            let messages: Vec<&MessageModel> =
                q.messages.iter().filter(|m| m.history.visible()).collect();
            let side = side_lines(&q.side);
            if !q.meta_history.visible() {
                // An orphan: its meta is deleted, expired or in the future.
                if !messages.is_empty() {
                    orphan_messages.insert(b64(&q.name), messages.len());
                }
                if include_side_records && !side.is_empty() {
                    orphan_dirs.insert(segment::orphan_dir(&b64(&q.name)), side);
                }
                continue;
            }
            let active = q
                .gen
                .as_ref()
                .filter(|g| g.history.visible())
                .and_then(|g| g.text.value)
                .filter(|&g| g != 0);
            let (kept, stale): (Vec<&MessageModel>, Vec<&MessageModel>) = messages
                .into_iter()
                .partition(|m| active.map_or(true, |g| m.record.queue_generation == g));
            let key_name = crate::jsonout::utf8_per_byte_lossy(&q.name);
            let mut meta = q.meta.expected();
            if meta.name.is_empty() {
                meta.name = key_name.clone();
            }
            queues.insert(
                segment::encode_segment(&q.name),
                ExpectedQueue {
                    name: key_name,
                    meta,
                    active_gen: active,
                    kept: kept
                        .iter()
                        .map(|m| (m.record.expected(), m.partition))
                        .collect(),
                    dropped: stale.len(),
                    side,
                },
            );
        }
        for o in &self.orphans {
            let n = o.messages.iter().filter(|m| m.history.visible()).count();
            if n > 0 {
                orphan_messages.insert(b64(&o.name), n);
            }
            let side = side_lines(&o.side);
            if include_side_records && !side.is_empty() {
                orphan_dirs.insert(segment::orphan_dir(&b64(&o.name)), side);
            }
        }
        let collision = orphan_dirs.keys().any(|d| queues.contains_key(d));
        Expected {
            queues,
            orphan_dirs,
            orphan_messages,
            collision,
        }
    }
}

impl<'a> Arbitrary<'a> for SnapshotModel {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let profile = Profile::arbitrary(u)?;
        SnapshotModel::arbitrary_with(u, profile, Size::SMALL)
    }
}

/// A model of the `valid` profile (for properties and fuzz targets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidSnapshot(pub SnapshotModel);

impl<'a> Arbitrary<'a> for ValidSnapshot {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(ValidSnapshot(SnapshotModel::arbitrary_with(
            u,
            Profile::Valid,
            Size::SMALL,
        )?))
    }
}

/// A model of the `shared` profile (for properties).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedSnapshot(pub SnapshotModel);

impl<'a> Arbitrary<'a> for SharedSnapshot {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        SnapshotModel::arbitrary_with(u, Profile::Shared, Size::SMALL).map(SharedSnapshot)
    }
}

/// A model that decodes without error but keeps the raw HT-FIFO draws
/// of the `adversarial` profile on every queue (its bad entries and
/// stream damage removed): partition counts that are not powers of two,
/// settings the live validator refuses and partitions off their group's
/// lane, so its dump is often not restorable (for encode's refusals).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawHtFifoSnapshot(pub SnapshotModel);

impl<'a> Arbitrary<'a> for RawHtFifoSnapshot {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let mut m = SnapshotModel::arbitrary_with(u, Profile::Adversarial, Size::SMALL)?;
        m.bad.clear();
        m.damage = None;
        Ok(RawHtFifoSnapshot(m))
    }
}

/// One expected `side_records.jsonl` line.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct SideLine {
    /// The family prefix.
    pub prefix: String,
    /// Lowercase hex of the user key.
    pub key_hex: String,
    /// Unpadded base64url of the value.
    pub value_b64: String,
}

/// One queue of the expected output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectedQueue {
    /// The queue name.
    pub name: String,
    /// The meta as read (name resolved).
    pub meta: QueueMeta,
    /// The active generation used for filtering, if any.
    pub active_gen: Option<u64>,
    /// Messages that survive, as read, with their key's partition.
    pub kept: Vec<(Message, Option<u32>)>,
    /// Visible messages dropped by the generation filter.
    pub dropped: usize,
    /// Visible side records.
    pub side: Vec<SideLine>,
}

/// What a correct decode of a clean model produces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected {
    /// Queue directory → queue.
    pub queues: BTreeMap<String, ExpectedQueue>,
    /// Orphan directories that get side records → lines.
    pub orphan_dirs: BTreeMap<String, Vec<SideLine>>,
    /// Encoded queue segment → visible messages, for every queue state
    /// with no visible meta that holds messages (an orphan warning each).
    pub orphan_messages: BTreeMap<String, usize>,
    /// Two queue states share a directory: the decode must fail with a
    /// path collision.
    pub collision: bool,
}
