//! Phases 3–4 of the streaming engine: records (in user-key order) →
//! message lines spilled as sorted runs → the dump tree (REQ-ENG-2,
//! REQ-ENG-3).
//!
//! It follows [`crate::decode::SqsDecoder`] step by step and differs only
//! in where things are kept; what each queue segment becomes is the plain
//! engine's decision, [`crate::decode::plan_queue`], over this engine's
//! counts:
//!
//! - a message line is rendered when its record arrives and kept with its
//!   sort key (send timestamp, sequence number, message id, user key) and
//!   its generation in a per-queue buffer;
//! - when the buffers of all queues together exceed the budget, the
//!   largest are sorted and spilled as runs into the spill directory;
//!   side records are kept and spilled the same way, sorted by user key;
//! - the generation filter is applied at merge time (the gen record sorts
//!   after the messages); a per-generation count gives the number dropped
//!   before anything is merged, so the warnings come out in the plain
//!   engine's order;
//! - at [`StreamDecoder::finish`] each queue, in sorted order of its
//!   encoded segment, is k-way merged straight into `messages.jsonl`;
//!   each message written is checked against the queue's restore rules
//!   on the way (the meta record sorts after the messages), and the
//!   `sqs_queue_not_restorable` warnings follow every other one, as in
//!   the plain engine.
//!
//! Records may arrive in user-key order or in encoded-key (Pebble) order,
//! where a key comes after the keys it is a prefix of. Nothing here
//! depends on which: ties of (timestamp, sequence, id) are broken by the
//! user key, which is the plain engine's stable order over records sorted
//! by user key; side records and key/value warnings are sorted by user
//! key; and of several record errors the one with the least key wins.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::io::{self, Read, Write};
use std::path::PathBuf;

use super::warnlog::{Log, Mismatch, Sealed};
use crate::decode::{
    closing_warnings, cross_check, plan_queue, unknown_prefix, Options, QueuePlan, Seen,
};
use crate::dump::DecodeStats;
use crate::encode::restorable::{self, MessageFacts, OwnedRules, QueueRules, Tally};
use crate::error::{Escaped, KeyProblem};
use crate::jsonout;
use crate::key::{self, Family};
use crate::run::spill::{self, Merge, RunItem, SpillDir};
use crate::run::Control;
use crate::value::{self, QueueMeta};
use crate::warning::Warning;
use crate::write::{FileOut, Tree};
use crate::Error;

/// A message line with its sort key, as spilled.
#[derive(Debug, Default)]
pub(crate) struct MsgItem {
    ts: i64,
    seq: u64,
    gen: u64,
    facts: MessageFacts,
    id: Vec<u8>,
    key: Vec<u8>,
    line: Vec<u8>,
}

impl RunItem for MsgItem {
    fn write(&self, w: &mut impl Write) -> io::Result<()> {
        spill::put_u64(w, self.ts as u64)?;
        spill::put_u64(w, self.seq)?;
        spill::put_u64(w, self.gen)?;
        let (a, b) = pack_facts(self.facts);
        spill::put_u64(w, a)?;
        spill::put_u64(w, b)?;
        spill::put_bytes(w, &self.id)?;
        spill::put_bytes(w, &self.key)?;
        spill::put_bytes(w, &self.line)
    }

    fn read(&mut self, r: &mut impl Read) -> io::Result<bool> {
        let Some(ts) = spill::get_u64_or_eof(r)? else {
            return Ok(false);
        };
        self.ts = ts as i64;
        self.seq = spill::get_u64(r)?;
        self.gen = spill::get_u64(r)?;
        let a = spill::get_u64(r)?;
        self.facts = unpack_facts(a, spill::get_u64(r)?);
        spill::get_bytes(r, &mut self.id)?;
        spill::get_bytes(r, &mut self.key)?;
        spill::get_bytes(r, &mut self.line)?;
        Ok(true)
    }

    fn order(&self, other: &Self) -> Ordering {
        msg_order(
            (self.ts, self.seq, &self.id, &self.key),
            (other.ts, other.seq, &other.id, &other.key),
        )
    }
}

/// A message's restore facts ([`MessageFacts`]) as two words: the partition
/// and flags (id empty, partition present, group present), then the
/// group hash and the body length.
fn pack_facts(f: MessageFacts) -> (u64, u64) {
    let flags = u64::from(f.id_empty)
        | u64::from(f.partition.is_some()) << 1
        | u64::from(f.group.is_some()) << 2;
    (
        u64::from(f.partition.unwrap_or(0)) | flags << 32,
        u64::from(f.group.unwrap_or(0)) | u64::from(f.body_len) << 32,
    )
}

fn unpack_facts(a: u64, b: u64) -> MessageFacts {
    let flags = a >> 32;
    MessageFacts {
        id_empty: flags & 1 != 0,
        partition: (flags & 2 != 0).then_some(a as u32),
        group: (flags & 4 != 0).then_some(b as u32),
        body_len: (b >> 32) as u32,
    }
}

/// REQ-DEC-7: (send_timestamp_millis, sequence_number, message_id bytes),
/// then the user key (the plain engine sorts stably over records in
/// user-key order; keys are unique).
fn msg_order(a: (i64, u64, &[u8], &[u8]), b: (i64, u64, &[u8], &[u8])) -> Ordering {
    (a.0, a.1)
        .cmp(&(b.0, b.1))
        .then_with(|| a.2.cmp(b.2))
        .then_with(|| a.3.cmp(b.3))
}

/// A buffered message: its queue and offsets into the decoder's shared
/// arena.
#[derive(Debug, Clone, Copy)]
struct Slot {
    /// The queue's index in [`StreamDecoder::names`].
    queue: usize,
    ts: i64,
    seq: u64,
    /// The id's first eight bytes, big-endian, zero-padded ([`id_prefix`]).
    id_prefix: u64,
    gen: u64,
    facts: MessageFacts,
    /// Where id, user key and line are in the arena.
    at: Placed,
}

/// Where a message's id, user key and line stand in a buffer, one after
/// another.
#[derive(Debug, Clone, Copy)]
struct Placed {
    off: usize,
    id_len: usize,
    key_len: usize,
    line_len: usize,
}

impl Placed {
    /// The bytes of id, key and line together.
    fn len(&self) -> usize {
        self.id_len + self.key_len + self.line_len
    }

    fn all<'a>(&self, buf: &'a [u8]) -> &'a [u8] {
        buf.get(self.off..self.off + self.len()).unwrap_or_default()
    }

    fn id<'a>(&self, buf: &'a [u8]) -> &'a [u8] {
        buf.get(self.off..self.off + self.id_len)
            .unwrap_or_default()
    }

    fn key<'a>(&self, buf: &'a [u8]) -> &'a [u8] {
        let start = self.off + self.id_len;
        buf.get(start..start + self.key_len).unwrap_or_default()
    }

    fn line<'a>(&self, buf: &'a [u8]) -> &'a [u8] {
        let start = self.off + self.id_len + self.key_len;
        buf.get(start..start + self.line_len).unwrap_or_default()
    }
}

/// Copy a slot into a spill item.
fn slot_item(arena: &[u8], s: &Slot, item: &mut MsgItem) {
    item.ts = s.ts;
    item.seq = s.seq;
    item.gen = s.gen;
    item.facts = s.facts;
    item.id.clear();
    item.id.extend_from_slice(s.at.id(arena));
    item.key.clear();
    item.key.extend_from_slice(s.at.key(arena));
    item.line.clear();
    item.line.extend_from_slice(s.at.line(arena));
}

/// Write a slot as [`MsgItem::write`] writes the item [`slot_item`] makes
/// of it, straight from the arena.
fn write_slot(w: &mut impl Write, arena: &[u8], s: &Slot) -> io::Result<()> {
    spill::put_u64(w, s.ts as u64)?;
    spill::put_u64(w, s.seq)?;
    spill::put_u64(w, s.gen)?;
    let (a, b) = pack_facts(s.facts);
    spill::put_u64(w, a)?;
    spill::put_u64(w, b)?;
    spill::put_bytes(w, s.at.id(arena))?;
    spill::put_bytes(w, s.at.key(arena))?;
    spill::put_bytes(w, s.at.line(arena))
}

/// The first eight bytes of a message id as a big-endian number, padded
/// with zeros. Ids whose prefixes differ compare as their prefixes do (a
/// padding zero stands where the shorter id ended, before any byte of the
/// longer one it is a prefix of, or ties with a real zero byte); equal
/// prefixes need the whole comparison.
fn id_prefix(id: &[u8]) -> u64 {
    let mut word = [0u8; 8];
    for (w, b) in word.iter_mut().zip(id) {
        *w = *b;
    }
    u64::from_be_bytes(word)
}

/// Sort slots by queue, then in message order (REQ-DEC-7); the id prefix
/// settles most ties of timestamp and sequence without reading the arena.
fn sort_slots(slots: &mut [Slot], arena: &[u8]) {
    slots.sort_unstable_by(|a, b| {
        (a.queue, a.ts, a.seq, a.id_prefix)
            .cmp(&(b.queue, b.ts, b.seq, b.id_prefix))
            .then_with(|| {
                msg_order(
                    (a.ts, a.seq, a.at.id(arena), a.at.key(arena)),
                    (b.ts, b.seq, b.at.id(arena), b.at.key(arena)),
                )
            })
    });
}

/// The slots of each queue in slots sorted by [`sort_slots`]: (queue,
/// range) pairs.
fn queue_ranges(slots: &[Slot]) -> Vec<(usize, std::ops::Range<usize>)> {
    let mut out: Vec<(usize, std::ops::Range<usize>)> = Vec::new();
    for (i, s) in slots.iter().enumerate() {
        match out.last_mut() {
            Some((q, r)) if *q == s.queue => r.end = i + 1,
            _ => out.push((s.queue, i..i + 1)),
        }
    }
    out
}

/// Remove spill runs that are no longer needed (best effort: the staging
/// directory goes anyway).
fn remove_runs(runs: &[PathBuf]) {
    for run in runs {
        let _ = fs::remove_file(run);
    }
}

/// A side-record line with its user key, as spilled.
#[derive(Debug, Default)]
pub(crate) struct SideItem {
    key: Vec<u8>,
    line: Vec<u8>,
}

impl RunItem for SideItem {
    fn write(&self, w: &mut impl Write) -> io::Result<()> {
        spill::put_bytes(w, &self.key)?;
        spill::put_bytes(w, &self.line)
    }

    fn read(&mut self, r: &mut impl Read) -> io::Result<bool> {
        if !spill::get_bytes_or_eof(r, &mut self.key)? {
            return Ok(false);
        }
        spill::get_bytes(r, &mut self.line)?;
        Ok(true)
    }

    /// REQ-DEC-14: user-key order (keys are unique).
    fn order(&self, other: &Self) -> Ordering {
        self.key.cmp(&other.key)
    }
}

/// Side records of one queue: a buffer plus runs, each sorted by user key
/// (REQ-DEC-14).
#[derive(Debug, Default)]
struct SideLines {
    items: Vec<SideItem>,
    runs: Vec<PathBuf>,
    count: usize,
}

impl SideLines {
    /// Sort the buffer and write it as one run.
    fn spill(&mut self, dir: &mut SpillDir) -> Result<(), Error> {
        if self.items.is_empty() {
            return Ok(());
        }
        self.items.sort_unstable_by(|a, b| a.order(b));
        let path = spill::write_run(dir, "side", self.items.iter())?;
        self.runs.push(path);
        self.items = Vec::new();
        Ok(())
    }

    /// Merge every line, in user-key order, into `out`.
    fn drain_into(&mut self, out: &mut FileOut) -> Result<(), Error> {
        let mut items = std::mem::take(&mut self.items);
        items.sort_unstable_by(|a, b| a.order(b));
        let runs = std::mem::take(&mut self.runs);
        let mut merge = Merge::<SideItem>::open_with(&runs, Some(spill::vec_source(items)))?;
        while let Some(item) = merge.next_item()? {
            out.write(&item.line)?;
        }
        drop(merge);
        remove_runs(&runs);
        Ok(())
    }

    fn discard(&mut self) {
        remove_runs(&self.runs);
        self.runs.clear();
        self.items = Vec::new();
    }
}

/// Everything seen for one encoded queue segment.
#[derive(Debug, Default)]
struct QueueState {
    name: Vec<u8>,
    meta: Option<QueueMeta>,
    active_gen: Option<u64>,
    /// The queue's index in [`StreamDecoder::names`].
    index: usize,
    /// Spilled runs of the queue's messages, each sorted.
    runs: Vec<PathBuf>,
    /// Messages seen, per `queue_generation`.
    per_gen: HashMap<u64, usize>,
    msg_count: usize,
    side: SideLines,
}

/// A record after the order-independent half of decoding: key routed,
/// value parsed, message line rendered. [`parse`] makes it on the parser
/// thread; [`StreamDecoder::apply`] consumes it in key order.
#[derive(Debug)]
pub(crate) enum Parsed {
    /// A key of an unknown `!sqs|` family: its prefix (REQ-DEC-13).
    Unknown(String),
    /// A side record while side records are off.
    Skip,
    /// The error this record causes, with the record's user key.
    Failed(Vec<u8>, Error),
    /// A routed record.
    Record {
        encoded: String,
        name: Vec<u8>,
        kind: Kind,
    },
}

/// What a routed record holds.
#[derive(Debug)]
pub(crate) enum Kind {
    Meta(QueueMeta),
    Gen(u64),
    Msg(ParsedMsg),
    /// A side-record line and its user key.
    Side(Vec<u8>, Vec<u8>),
}

/// A rendered message.
#[derive(Debug)]
pub(crate) struct ParsedMsg {
    ts: i64,
    seq: u64,
    gen: u64,
    facts: MessageFacts,
    /// Where the message's id, user key and line are in its batch's
    /// buffer (the arena's layout).
    at: Placed,
    value_len: u64,
    /// REQ-DEC-10 cross-check warnings.
    warnings: Vec<Warning>,
}

/// The order-independent half of [`crate::decode::SqsDecoder::push`].
///
/// `reader` is the parser thread's message reader, reused from one record
/// to the next.
// REQ-DEC-5, REQ-DEC-13
pub(crate) fn parse(
    opts: Options,
    user_key: &[u8],
    value: &[u8],
    buf: &mut Vec<u8>,
    reader: &mut value::MessageReader,
) -> Parsed {
    let Some((family, _)) = Family::split(user_key) else {
        return Parsed::Unknown(unknown_prefix(user_key));
    };
    if family.is_side_record() && !opts.include_side_records {
        return Parsed::Skip;
    }
    let r = match key::route(user_key) {
        Ok(r) => r,
        Err(p) => return Parsed::Failed(user_key.to_vec(), malformed(user_key, p)),
    };
    let kind = match family {
        Family::QueueMeta => match value::decode_queue_meta(value) {
            Ok(meta) => Kind::Meta(meta),
            Err(reason) => {
                return Parsed::Failed(
                    user_key.to_vec(),
                    Error::InvalidQueueMeta {
                        key: Escaped::of(user_key),
                        reason,
                    },
                )
            }
        },
        Family::QueueGen => match value::decode_gen(value) {
            Some(gen) => Kind::Gen(gen),
            None => {
                return Parsed::Failed(
                    user_key.to_vec(),
                    Error::InvalidGenValue {
                        key: Escaped::of(user_key),
                        value: Escaped::of(value),
                    },
                )
            }
        },
        Family::MsgData => {
            let msg = match reader.read(value) {
                Ok(m) => m,
                Err(reason) => {
                    return Parsed::Failed(
                        user_key.to_vec(),
                        Error::InvalidMessage {
                            key: Escaped::of(user_key),
                            reason,
                        },
                    )
                }
            };
            let mut warnings = Vec::new();
            if let Some(fields) = &r.data {
                cross_check(&mut warnings, user_key, fields, msg);
            }
            if !opts.preserve_visibility {
                // REQ-DEC-5.
                msg.visible_at_millis = 0;
                msg.receive_count = 0;
                msg.first_receive_millis = 0;
                msg.current_receipt_token.clear();
            }
            let off = buf.len();
            buf.extend_from_slice(msg.message_id.as_bytes());
            buf.extend_from_slice(user_key);
            let line_start = buf.len();
            jsonout::write_message_line(buf, msg, r.partition);
            Kind::Msg(ParsedMsg {
                ts: msg.send_timestamp_millis,
                seq: msg.sequence_number,
                gen: msg.queue_generation,
                facts: MessageFacts {
                    id_empty: msg.message_id.is_empty(),
                    partition: r.partition,
                    group: restorable::group_hash(&msg.message_group_id),
                    body_len: u32::try_from(msg.body.len()).unwrap_or(u32::MAX),
                },
                at: Placed {
                    off,
                    id_len: msg.message_id.len(),
                    key_len: user_key.len(),
                    line_len: buf.len() - line_start,
                },
                value_len: value.len() as u64,
                warnings,
            })
        }
        // The key goes with a side record (it orders them).
        _ => Kind::Side(
            user_key.to_vec(),
            jsonout::side_record_line(family.prefix(), user_key, value),
        ),
    };
    Parsed::Record {
        encoded: r.encoded_queue,
        name: r.queue,
        kind,
    }
}

/// The streaming counterpart of [`crate::decode::SqsDecoder`].
pub(crate) struct StreamDecoder {
    opts: Options,
    queues: BTreeMap<String, QueueState>,
    /// Key/value mismatch warnings (REQ-DEC-10), sorted by key at the end.
    record_warnings: Log<Mismatch>,
    warnings: Vec<Warning>,
    stats: DecodeStats,
    unknown: BTreeMap<String, u64>,
    /// Id and line bytes of every buffered message, all queues. Cleared
    /// (not freed) when spilled, so its pages are reused.
    arena: Vec<u8>,
    /// Every buffered message, all queues; cleared (not freed) when
    /// spilled, as the arena.
    slots: Vec<Slot>,
    /// The encoded segment of each queue, by index.
    names: Vec<String>,
    /// The write buffer of message runs.
    run_buf: Vec<u8>,
    /// Bytes held: arena, slots and side-record buffers.
    used: usize,
    budget: usize,
    /// The largest message (id, key and line) buffered so far: the final
    /// merge of a queue's runs holds one per run (REQ-ENG-6).
    largest: usize,
    spill: SpillDir,
}

fn malformed(key: &[u8], problem: KeyProblem) -> Error {
    Error::MalformedKey {
        key: Escaped::of(key),
        problem,
    }
}

impl StreamDecoder {
    pub(crate) fn new(
        opts: Options,
        budget: usize,
        spill: SpillDir,
        record_warnings: Log<Mismatch>,
    ) -> Self {
        StreamDecoder {
            opts,
            queues: BTreeMap::new(),
            record_warnings,
            warnings: Vec::new(),
            stats: DecodeStats::default(),
            unknown: BTreeMap::new(),
            // Reserved once (pages are touched only as lines arrive), so
            // the arena never reallocates and copies itself.
            arena: Vec::with_capacity(budget.min(1 << 30)),
            slots: Vec::new(),
            names: Vec::new(),
            run_buf: Vec::new(),
            used: 0,
            budget,
            largest: 0,
            spill,
        }
    }

    /// Throw everything away (a pass that met disorder): its spill files
    /// go at once rather than with the staging directory.
    pub(crate) fn discard(self) {
        self.record_warnings.discard();
        self.spill.remove();
    }

    /// Apply one parsed record, in user-key order: the sequential half of
    /// [`crate::decode::SqsDecoder::push`]. What it keeps it takes out of
    /// `parsed`; the rest goes back to the parser thread with its batch, to
    /// be freed on the thread that allocated it.
    pub(crate) fn apply(&mut self, parsed: &mut Parsed, buf: &[u8]) -> Result<(), Error> {
        let (encoded, name, kind) = match parsed {
            Parsed::Unknown(prefix) => {
                *self.unknown.entry(std::mem::take(prefix)).or_default() += 1;
                return Ok(());
            }
            Parsed::Skip => return Ok(()),
            Parsed::Failed(..) => {
                return match std::mem::replace(parsed, Parsed::Skip) {
                    Parsed::Failed(_, e) => Err(e),
                    _ => Ok(()),
                }
            }
            Parsed::Record {
                encoded,
                name,
                kind,
            } => (encoded, name, kind),
        };
        // A large record spills what is buffered before it is added, so
        // the arena never grows past its reserved share (REQ-ENG-6).
        let incoming = match &*kind {
            Kind::Msg(m) => m.at.len() + std::mem::size_of::<Slot>(),
            Kind::Side(key, line) => key.len() + line.len() + std::mem::size_of::<SideItem>(),
            _ => 0,
        };
        if self.used > 0 && self.used.saturating_add(incoming) > self.budget {
            self.relieve()?;
        }
        let state = match self.queues.get_mut(encoded.as_str()) {
            Some(s) => s,
            None => {
                let index = self.names.len();
                self.names.push(encoded.clone());
                self.queues.entry(encoded.clone()).or_insert(QueueState {
                    index,
                    ..QueueState::default()
                })
            }
        };
        // The last record's name wins; it is the same for almost every one.
        if state.name != *name {
            state.name = std::mem::take(name);
        }
        match kind {
            Kind::Meta(meta) => state.meta = Some(std::mem::take(meta)),
            Kind::Gen(gen) => state.active_gen = Some(*gen),
            Kind::Msg(m) => {
                self.stats.message_value_bytes += m.value_len;
                for w in m.warnings.drain(..) {
                    self.record_warnings.push(w)?;
                }
                let len = m.at.len();
                self.largest = self.largest.max(len);
                let off = self.arena.len();
                self.arena.extend_from_slice(m.at.all(buf));
                self.slots.push(Slot {
                    queue: state.index,
                    ts: m.ts,
                    seq: m.seq,
                    id_prefix: id_prefix(m.at.id(buf)),
                    gen: m.gen,
                    facts: m.facts,
                    at: Placed { off, ..m.at },
                });
                self.used = self.used.saturating_add(len + std::mem::size_of::<Slot>());
                *state.per_gen.entry(m.gen).or_default() += 1;
                state.msg_count += 1;
            }
            Kind::Side(key, line) => {
                let (key, line) = (std::mem::take(key), std::mem::take(line));
                self.used = self
                    .used
                    .saturating_add(key.len() + line.len() + std::mem::size_of::<SideItem>());
                state.side.items.push(SideItem { key, line });
                state.side.count += 1;
            }
        }
        if self.used > self.budget {
            self.relieve()?;
        }
        Ok(())
    }

    /// Spill every queue's buffered messages as one sorted run each and
    /// every side-record buffer, then reuse the arena.
    // REQ-ENG-3
    fn relieve(&mut self) -> Result<(), Error> {
        sort_slots(&mut self.slots, &self.arena);
        for (q, range) in queue_ranges(&self.slots) {
            let (Some(name), Some(slots)) = (self.names.get(q), self.slots.get(range)) else {
                continue;
            };
            // One write buffer for every run (a new one per run costs
            // fresh pages each time).
            let (path, mut file) = self.spill.new_unbuffered("messages")?;
            let buf = &mut self.run_buf;
            buf.clear();
            for s in slots {
                write_slot(buf, &self.arena, s).map_err(|e| spill::spill_io(&path, e))?;
                if buf.len() >= spill::RUN_WRITE_BUFFER {
                    file.write_all(buf).map_err(|e| spill::spill_io(&path, e))?;
                    buf.clear();
                }
            }
            file.write_all(buf).map_err(|e| spill::spill_io(&path, e))?;
            if let Some(state) = self.queues.get_mut(name) {
                state.runs.push(path);
            }
        }
        for q in self.queues.values_mut() {
            q.side.spill(&mut self.spill)?;
        }
        self.slots.clear();
        self.arena.clear();
        self.used = 0;
        Ok(())
    }

    /// Resolve names, filter, merge and write every queue in sorted order
    /// of the encoded segment (REQ-DEC-11), as the plain engine does.
    ///
    /// A sequential pass takes the plain engine's decision for each queue
    /// ([`plan_queue`]: warnings, counts, files), makes the claims in its
    /// order (so the same collision is reported) and writes the small
    /// `_queue.json` files; the merges into `messages.jsonl` and the
    /// side-record copies are then run as jobs on two threads.
    // REQ-DEC-13
    pub(crate) fn finish(
        mut self,
        tree: &mut Tree,
        ctl: &Control,
    ) -> Result<(Sealed<Mismatch>, Vec<Warning>, DecodeStats), Error> {
        let include_side = self.opts.include_side_records;
        let queues = std::mem::take(&mut self.queues);
        let total = queues.values().map(|q| q.msg_count as u64).sum::<u64>();
        ctl.merge_progress(0, total);
        let mut slots = std::mem::take(&mut self.slots);
        sort_slots(&mut slots, &self.arena);
        let mut ranges = vec![0..0; self.names.len()];
        for (q, range) in queue_ranges(&slots) {
            if let Some(r) = ranges.get_mut(q) {
                *r = range;
            }
        }
        let mut jobs: Vec<Job> = Vec::new();
        let mut pending: Vec<Pending> = Vec::new();
        for (encoded, mut state) in queues {
            ctl.checkpoint()?;
            let per_gen = &state.per_gen;
            let in_gen = |gen: u64| per_gen.get(&gen).copied().unwrap_or(0);
            let seen = Seen {
                encoded: &encoded,
                name: &state.name,
                meta: state.meta.as_ref(),
                active_gen: state.active_gen,
                messages: state.msg_count,
                in_gen: &in_gen,
                side_records: state.side.count,
            };
            match plan_queue(&seen, include_side, &mut self.stats, &mut self.warnings) {
                Some(plan) => {
                    let range = ranges.get(state.index).cloned().unwrap_or(0..0);
                    pending.extend(self.place_queue(tree, plan, state, range, &mut jobs)?);
                }
                None => {
                    remove_runs(&state.runs);
                    state.side.discard();
                }
            }
        }
        for (prefix, count) in std::mem::take(&mut self.unknown) {
            self.warnings
                .push(Warning::UnknownSqsKeys { prefix, count });
        }
        tree.queues.sort();
        let done = run_jobs(jobs, &self.arena, &slots, ctl, total, tree.sync)?;
        let mut tallies: Vec<Option<Tally>> = Vec::with_capacity(done.len());
        for (rel, sum, tally) in done {
            tree.record_sum(rel, sum);
            tallies.push(Some(tally));
        }
        // REQ-OUT-10: last, in queue order, as the plain engine.
        for p in pending {
            let tally = p
                .job
                .and_then(|i| tallies.get_mut(i).and_then(Option::take))
                .unwrap_or_default();
            self.warnings.extend(closing_warnings(
                p.rules.rules(),
                &p.key_name,
                &p.queue,
                p.kept,
                tally,
            ));
        }
        let spill = self.spill;
        spill.remove();
        Ok((self.record_warnings.seal()?, self.warnings, self.stats))
    }

    /// Claim what `plan` says for the queue segment `state`, write its
    /// `_queue.json`, and add the jobs that write its messages (merged from
    /// its runs and the in-memory `slots`) and its side records. Returns
    /// the queue whose closing warnings wait for its messages job.
    fn place_queue(
        &mut self,
        tree: &mut Tree,
        plan: QueuePlan,
        mut state: QueueState,
        slots: std::ops::Range<usize>,
        jobs: &mut Vec<Job>,
    ) -> Result<Option<Pending>, Error> {
        let owner = plan.owner.as_str();
        tree.claim_dir(&plan.dir, owner)?;
        let mut pending = None;
        if let (Some(q), Some(meta)) = (&plan.queue, &state.meta) {
            let rel = format!("{}/_queue.json", plan.dir);
            tree.add_file(rel, &q.queue_json, owner)?;
            tree.queues.push(q.name.clone());
            pending = Some(Pending {
                queue: q.name.clone(),
                key_name: state.name.clone(),
                rules: QueueRules::from(meta).to_owned_rules(),
                kept: plan.kept as u64,
                job: None,
            });
        }
        if let (Some(rel), Some(p), Some(meta)) = (&plan.messages, &mut pending, &state.meta) {
            p.job = Some(jobs.len());
            let full = tree.claim(rel, owner)?;
            let runs = std::mem::take(&mut state.runs);
            // Two merges may run at once; each holds one item per run.
            let fan_in = self.budget / 4 / self.largest.max(1);
            let runs = spill::reduce_runs_to::<MsgItem>(&mut self.spill, "messages", runs, fan_in)?;
            jobs.push(Job::Messages {
                rel: rel.clone(),
                full,
                slots,
                runs,
                active: plan.active_gen,
                rules: p.rules.clone(),
                max_size: meta.maximum_message_size,
            });
        }
        remove_runs(&state.runs);
        match plan.side {
            Some(rel) => {
                let mut side = std::mem::take(&mut state.side);
                let runs = std::mem::take(&mut side.runs);
                side.runs = spill::reduce_runs::<SideItem>(&mut self.spill, "side", runs)?;
                let full = tree.claim(&rel, owner)?;
                jobs.push(Job::Side { rel, full, side });
            }
            None => state.side.discard(),
        }
        Ok(pending)
    }
}

/// A queue whose `sqs_queue_not_restorable` warnings (REQ-OUT-10) wait for
/// the tally of its messages job.
struct Pending {
    queue: String,
    key_name: Vec<u8>,
    rules: OwnedRules,
    kept: u64,
    /// The index of its messages job, if it has one.
    job: Option<usize>,
}

/// A file to write after the sequential pass.
enum Job {
    /// Merge a queue's runs and in-memory slots (a range of the sorted
    /// slots) into `messages.jsonl`, keeping only the active generation.
    Messages {
        rel: String,
        full: PathBuf,
        slots: std::ops::Range<usize>,
        runs: Vec<PathBuf>,
        active: Option<u64>,
        /// The queue's settings, for the tally of refused messages.
        rules: OwnedRules,
        /// The queue's `maximum_message_size` (REQ-DEC-15).
        max_size: i64,
    },
    /// Copy a queue's side-record lines.
    Side {
        rel: String,
        full: PathBuf,
        side: SideLines,
    },
}

/// A written file's path and checksum, and the faults of the messages
/// written (REQ-OUT-10; empty for side records).
type JobResult = Result<(String, String, Tally), Error>;

/// Run the jobs on up to two threads; return each file's checksum. The
/// first error (by job order) wins; the others stop at their next check.
fn run_jobs(
    jobs: Vec<Job>,
    arena: &[u8],
    slots: &[Slot],
    ctl: &Control,
    total: u64,
    sync: bool,
) -> Result<Vec<(String, String, Tally)>, Error> {
    use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering as AtOrd};
    use std::sync::Mutex;
    let n = jobs.len();
    let jobs: Vec<Mutex<Option<Job>>> = jobs.into_iter().map(|j| Mutex::new(Some(j))).collect();
    let next = AtomicUsize::new(0);
    let merged = AtomicU64::new(0);
    let results: Mutex<Vec<(usize, JobResult)>> = Mutex::new(Vec::new());
    let workers = std::thread::available_parallelism().map_or(1, |p| p.get().min(2));
    std::thread::scope(|s| {
        for _ in 0..workers.min(n.max(1)) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, AtOrd::Relaxed);
                let Some(slot) = jobs.get(i) else { break };
                let job = slot.lock().ok().and_then(|mut j| j.take());
                let Some(job) = job else { continue };
                let r = run_job(job, arena, slots, ctl, &merged, total, sync);
                let failed = r.is_err();
                if let Ok(mut res) = results.lock() {
                    res.push((i, r));
                }
                if failed {
                    // Stop the other worker too.
                    next.store(n, AtOrd::Relaxed);
                }
            });
        }
    });
    let mut res = results.into_inner().unwrap_or_default();
    res.sort_by_key(|(i, _)| *i);
    let mut sums = Vec::with_capacity(res.len());
    for (_, r) in res {
        sums.push(r?);
    }
    if sums.len() < n {
        return Err(Error::io(
            "writing the dump",
            io::Error::other("a writer thread stopped early"),
        ));
    }
    ctl.merge_progress(total, total);
    Ok(sums)
}

fn run_job(
    job: Job,
    arena: &[u8],
    slots: &[Slot],
    ctl: &Control,
    merged: &std::sync::atomic::AtomicU64,
    total: u64,
    sync: bool,
) -> JobResult {
    use std::sync::atomic::Ordering as AtOrd;
    match job {
        Job::Side {
            rel,
            full,
            mut side,
        } => {
            let mut f = FileOut::create(rel, &full, sync)?;
            side.drain_into(&mut f)?;
            side.discard();
            let (rel, sum) = f.finish()?;
            Ok((rel, sum, Tally::default()))
        }
        Job::Messages {
            rel,
            full,
            slots: range,
            runs,
            active,
            rules,
            max_size,
        } => {
            let keep = |gen: u64| active.map_or(true, |a| a == gen);
            let rules = rules.rules();
            let mut tally = Tally::default();
            let mut f = FileOut::create(rel, &full, sync)?;
            let slots = slots.get(range).unwrap_or_default();
            if runs.is_empty() {
                for s in slots {
                    if keep(s.gen) {
                        f.write(s.at.line(arena))?;
                        tally.add(rules, s.facts);
                        tally.add_size(max_size, s.at.id(arena), u64::from(s.facts.body_len));
                    }
                }
            } else {
                // The sorted in-memory tail is one more source of the merge.
                let mut tail = slots.iter();
                let mem = move |item: &mut MsgItem| -> Result<bool, Error> {
                    let Some(s) = tail.next() else {
                        return Ok(false);
                    };
                    slot_item(arena, s, item);
                    Ok(true)
                };
                let mut merge = Merge::<MsgItem>::open_with(&runs, Some(Box::new(mem)))?;
                let mut n = 0u64;
                while let Some(item) = merge.next_item()? {
                    if keep(item.gen) {
                        f.write(&item.line)?;
                        tally.add(rules, item.facts);
                        tally.add_size(max_size, &item.id, u64::from(item.facts.body_len));
                    }
                    n += 1;
                    if n % 65_536 == 0 {
                        ctl.checkpoint()?;
                        let done = merged.fetch_add(65_536, AtOrd::Relaxed) + 65_536;
                        ctl.merge_progress(done.min(total), total);
                    }
                }
                drop(merge);
                remove_runs(&runs);
                merged.fetch_add(n % 65_536, AtOrd::Relaxed);
            }
            let (rel, sum) = f.finish()?;
            Ok((rel, sum, tally))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn side(key: &str) -> SideItem {
        SideItem {
            key: key.as_bytes().to_vec(),
            line: format!("line {key}").into_bytes(),
        }
    }

    fn run_items(path: &PathBuf) -> Vec<Vec<u8>> {
        let mut merge = Merge::<SideItem>::open(std::slice::from_ref(path)).unwrap();
        let mut keys = Vec::new();
        while let Some(item) = merge.next_item().unwrap() {
            keys.push(item.key.clone());
        }
        keys
    }

    // REQ-ENG-3, REQ-DEC-14: a queue's buffered side records leave memory
    // as one run sorted by user key; discarded (the pass met disorder or
    // failed), the runs are removed from disk at once.
    #[test]
    fn side_records_spill_as_one_sorted_run_and_discard_removes_it() {
        let tmp = tempfile::tempdir().unwrap();
        let mut dir = SpillDir::create(tmp.path().join("spill")).unwrap();
        let mut lines = SideLines::default();
        lines.spill(&mut dir).unwrap();
        assert!(lines.runs.is_empty(), "nothing buffered, no run");
        lines.items = vec![side("b"), side("c"), side("a")];
        lines.spill(&mut dir).unwrap();
        assert!(lines.items.is_empty());
        assert_eq!(lines.runs.len(), 1);
        assert_eq!(run_items(&lines.runs[0]), [b"a", b"b", b"c"]);
        lines.items = vec![side("d")];
        lines.spill(&mut dir).unwrap();
        let runs = lines.runs.clone();
        assert!(runs.iter().all(|r| r.exists()));
        lines.discard();
        assert!(lines.runs.is_empty() && lines.items.is_empty());
        assert!(runs.iter().all(|r| !r.exists()), "discarded runs removed");
    }

    /// A rendered message of queue `q` whose id, key and line (in that
    /// order) fill `buf`.
    fn msg(buf: &mut Vec<u8>, id: &[u8], line: &[u8]) -> Parsed {
        buf.clear();
        buf.extend_from_slice(id);
        buf.extend_from_slice(b"key-");
        buf.extend_from_slice(id);
        buf.extend_from_slice(line);
        Parsed::Record {
            encoded: "q".to_string(),
            name: b"q".to_vec(),
            kind: Kind::Msg(ParsedMsg {
                ts: 1,
                seq: 0,
                gen: 1,
                facts: MessageFacts::default(),
                at: Placed {
                    off: 0,
                    id_len: id.len(),
                    key_len: 4 + id.len(),
                    line_len: line.len(),
                },
                value_len: 0,
                warnings: Vec::new(),
            }),
        }
    }

    fn side_record(key: &[u8], line: &[u8]) -> Parsed {
        Parsed::Record {
            encoded: "q".to_string(),
            name: b"q".to_vec(),
            kind: Kind::Side(key.to_vec(), line.to_vec()),
        }
    }

    // REQ-ENG-3: the decoder counts a buffered message as its id, user key
    // and line bytes plus its slot, and a side record as its key and line
    // plus its item; it spills everything buffered before a record that
    // would take the count past its budget, and not before.
    #[test]
    fn the_decoder_spills_when_its_buffers_pass_the_budget() {
        let line = vec![b'l'; 100];
        let msg_cost = 2 + 6 + 100 + std::mem::size_of::<Slot>();
        let side_cost = 5 + 100 + std::mem::size_of::<SideItem>();
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("spill");
        let warnings = Log::new(tmp.path().join("w"), 1 << 20);
        let budget = 2 * msg_cost + side_cost;
        let mut d = StreamDecoder::new(
            Options::default(),
            budget,
            SpillDir::create(dir.clone()).unwrap(),
            warnings,
        );
        let mut buf = Vec::new();
        let runs = || std::fs::read_dir(&dir).unwrap().count();
        d.apply(&mut msg(&mut buf, b"m1", &line), &buf).unwrap();
        assert_eq!(d.used, msg_cost);
        d.apply(&mut side_record(b"side1", &line), &buf).unwrap();
        assert_eq!(d.used, msg_cost + side_cost);
        d.apply(&mut msg(&mut buf, b"m2", &line), &buf).unwrap();
        // Exactly at the budget: nothing spilled yet.
        assert_eq!((d.used, runs()), (budget, 0));
        d.apply(&mut msg(&mut buf, b"m3", &line), &buf).unwrap();
        // It would pass it: what was buffered goes first, the messages as
        // one run, the side records as another; the new one stays.
        assert_eq!((d.used, runs(), d.slots.len()), (msg_cost, 2, 1));
        // REQ-ENG-6: a record larger than the whole budget spills what is
        // buffered, then itself, so the arena never holds both.
        let huge = vec![b'h'; budget];
        d.apply(&mut msg(&mut buf, b"m4", &huge), &buf).unwrap();
        assert_eq!((d.used, runs(), d.slots.len()), (0, 4, 0));
    }

    /// The order [`sort_slots`] gives ids: prefix first, then all bytes.
    fn by_prefix(a: &[u8], b: &[u8]) -> Ordering {
        id_prefix(a).cmp(&id_prefix(b)).then_with(|| a.cmp(b))
    }

    // REQ-DEC-7: comparing id prefixes first never changes the order of
    // ids (shorter ids, ids that are prefixes of others, zero bytes).
    #[test]
    fn id_prefixes_keep_byte_order() {
        let ids: [&[u8]; 9] = [
            b"",
            b"\0",
            b"a",
            b"a\0",
            b"ab",
            b"abcdefgh",
            b"abcdefgh\0",
            b"abcdefgi",
            b"\xff",
        ];
        for a in ids {
            for b in ids {
                assert_eq!(by_prefix(a, b), a.cmp(b), "{a:?} {b:?}");
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn id_prefixes_keep_byte_order_on_any_ids(
            a in proptest::collection::vec(proptest::prop_oneof![Just(0u8), Just(b'a'), proptest::num::u8::ANY], 0..12),
            b in proptest::collection::vec(proptest::prop_oneof![Just(0u8), Just(b'a'), proptest::num::u8::ANY], 0..12),
        ) {
            proptest::prop_assert_eq!(by_prefix(&a, &b), a.cmp(&b));
        }
    }

    use proptest::strategy::Just;
}
