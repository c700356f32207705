//! The per-queue state machine: resolved SQS records → dump model
//! (REQ-DEC-*).
//!
//! Records are buffered per *encoded* queue segment, because message
//! records (`!sqs|msg|…`) sort before their queue's meta record
//! (`!sqs|queue|meta|…`). Names are resolved, messages filtered and
//! sorted, and files rendered only in [`SqsDecoder::finish`].
//!
//! What a queue segment becomes (orphan or not, which generation is kept,
//! which files it gets, what is reported) is decided once, by
//! [`plan_queue`] over counts ([`Seen`]); the stream engine calls it too
//! and differs only in how it writes what the plan says.

use std::collections::BTreeMap;

use crate::dump::{DecodeStats, DumpModel};
use crate::encode::restorable::{self, MessageFacts, QueueRules, Tally};
use crate::error::{Escaped, KeyProblem};
use crate::jsonout;
use crate::key::{self, Family};
use crate::segment;
use crate::value::{self, Message, QueueMeta};
use crate::warning::Warning;
use crate::Error;

/// Decode flags.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "testkit", derive(arbitrary::Arbitrary))]
pub struct Options {
    /// `--preserve-visibility`: keep live visibility state (REQ-DEC-5).
    pub preserve_visibility: bool,
    /// `--include-sqs-side-records`: write side records (REQ-DEC-8).
    pub include_side_records: bool,
    /// `--require-footer`: the input must be a node file, ending with its
    /// CRC-32C footer (REQ-FSM-12). Fuzzed inputs leave it off.
    #[cfg_attr(feature = "testkit", arbitrary(default))]
    pub require_footer: bool,
}

impl Options {
    /// The footer policy these flags ask for (REQ-FSM-11, REQ-FSM-12).
    pub fn footer_policy(&self) -> crate::fsm::FooterPolicy {
        if self.require_footer {
            crate::fsm::FooterPolicy::Require
        } else {
            crate::fsm::FooterPolicy::Detect
        }
    }
}

/// A buffered message: its `messages.jsonl` line, rendered as soon as the
/// record arrives (so the parsed message is not kept), and the fields the
/// generation filter and the sort need.
#[derive(Debug)]
struct Buffered {
    send_timestamp_millis: i64,
    sequence_number: u64,
    message_id: String,
    queue_generation: u64,
    /// What the restore rules read (REQ-OUT-10).
    facts: MessageFacts,
    line: Vec<u8>,
}

/// A buffered side record, already rendered as its output line.
#[derive(Debug)]
struct Side {
    line: Vec<u8>,
}

/// Everything seen for one encoded queue segment.
#[derive(Debug, Default)]
struct QueueState {
    /// Decoded queue name from the key (never empty).
    name: Vec<u8>,
    meta: Option<QueueMeta>,
    active_gen: Option<u64>,
    messages: Vec<Buffered>,
    side: Vec<Side>,
}

/// Buffers SQS records per encoded queue segment and builds the dump at
/// [`SqsDecoder::finish`].
#[derive(Debug, Default)]
pub struct SqsDecoder {
    opts: Options,
    queues: BTreeMap<String, QueueState>,
    warnings: Vec<Warning>,
    sqs_records: u64,
    message_value_bytes: u64,
    /// Reused buffer for rendering message lines.
    scratch: Vec<u8>,
    /// Skipped keys of unknown `!sqs|` families, by prefix.
    unknown: BTreeMap<String, u64>,
}

fn malformed(key: &[u8], problem: KeyProblem) -> Error {
    Error::MalformedKey {
        key: Escaped::of(key),
        problem,
    }
}

impl SqsDecoder {
    /// A decoder with the given flags.
    pub fn new(opts: Options) -> Self {
        SqsDecoder {
            opts,
            ..SqsDecoder::default()
        }
    }

    /// Feed one resolved record: a user key starting with `!sqs|` and its
    /// value body (flags and expiry already stripped).
    // REQ-DEC-5, REQ-DEC-13
    pub fn push(&mut self, user_key: &[u8], value: &[u8]) -> Result<(), Error> {
        self.sqs_records += 1;
        let Some((family, _)) = Family::split(user_key) else {
            // REQ-DEC-13: a family this decoder does not know is skipped
            // and reported, never silently.
            *self.unknown.entry(unknown_prefix(user_key)).or_default() += 1;
            return Ok(());
        };
        // REQ-DEC-8: side records are not even parsed unless asked for,
        // as upstream does. REQ-DEC-9: seq records are side records.
        if family.is_side_record() && !self.opts.include_side_records {
            return Ok(());
        }
        let r = key::route(user_key).map_err(|p| malformed(user_key, p))?;
        let opts = self.opts;
        let state = self.queues.entry(r.encoded_queue).or_default();
        state.name = r.queue;
        match family {
            Family::QueueMeta => {
                let meta =
                    value::decode_queue_meta(value).map_err(|reason| Error::InvalidQueueMeta {
                        key: Escaped::of(user_key),
                        reason,
                    })?;
                state.meta = Some(meta);
            }
            Family::QueueGen => {
                let gen = value::decode_gen(value).ok_or_else(|| Error::InvalidGenValue {
                    key: Escaped::of(user_key),
                    value: Escaped::of(value),
                })?;
                state.active_gen = Some(gen);
            }
            Family::MsgData => {
                self.message_value_bytes += value.len() as u64;
                let mut msg =
                    value::decode_message(value).map_err(|reason| Error::InvalidMessage {
                        key: Escaped::of(user_key),
                        reason,
                    })?;
                if let Some(fields) = &r.data {
                    cross_check(&mut self.warnings, user_key, fields, &msg);
                }
                if !opts.preserve_visibility {
                    // REQ-DEC-5: a restored queue starts with every
                    // message visible.
                    msg.visible_at_millis = 0;
                    msg.receive_count = 0;
                    msg.first_receive_millis = 0;
                    msg.current_receipt_token.clear();
                }
                self.scratch.clear();
                jsonout::write_message_line(&mut self.scratch, &msg, r.partition);
                let facts = MessageFacts {
                    id_empty: msg.message_id.is_empty(),
                    partition: r.partition,
                    group: restorable::group_hash(&msg.message_group_id),
                    body_len: u32::try_from(msg.body.len()).unwrap_or(u32::MAX),
                };
                state.messages.push(Buffered {
                    facts,
                    send_timestamp_millis: msg.send_timestamp_millis,
                    sequence_number: msg.sequence_number,
                    queue_generation: msg.queue_generation,
                    message_id: msg.message_id,
                    // An exact-size copy: many lines are held until finish.
                    line: self.scratch.clone(),
                });
            }
            _ => state.side.push(Side {
                line: jsonout::side_record_line(family.prefix(), user_key, value),
            }),
        }
        Ok(())
    }

    /// Resolve names, filter, sort and render every queue, in sorted order
    /// of the encoded segment (REQ-DEC-11).
    // REQ-DEC-13
    pub fn finish(self) -> Result<DumpModel, Error> {
        let mut model = DumpModel::new();
        model.warnings = self.warnings;
        model.stats.sqs_records = self.sqs_records;
        model.stats.message_value_bytes = self.message_value_bytes;
        let include_side = self.opts.include_side_records;
        let mut restore = Vec::new();
        for (encoded, state) in self.queues {
            let in_gen = |g: u64| {
                state
                    .messages
                    .iter()
                    .filter(|b| b.queue_generation == g)
                    .count()
            };
            let seen = Seen {
                encoded: &encoded,
                name: &state.name,
                meta: state.meta.as_ref(),
                active_gen: state.active_gen,
                messages: state.messages.len(),
                in_gen: &in_gen,
                side_records: state.side.len(),
            };
            let (stats, warnings) = (&mut model.stats, &mut model.warnings);
            if let Some(plan) = plan_queue(&seen, include_side, stats, warnings) {
                restore.extend(write_queue(&mut model, plan, state)?);
            }
        }
        for (prefix, count) in self.unknown {
            model
                .warnings
                .push(Warning::UnknownSqsKeys { prefix, count });
        }
        // REQ-OUT-10: last, in queue order.
        model.warnings.extend(restore);
        model.queues.sort();
        Ok(model)
    }
}

/// The key up to and including its third `|`, escaped for display.
// REQ-DEC-13
pub(crate) fn unknown_prefix(user_key: &[u8]) -> String {
    let end = user_key
        .iter()
        .enumerate()
        .filter(|(_, &c)| c == b'|')
        .nth(2)
        .map_or(user_key.len(), |(i, _)| i + 1);
    user_key[..end].escape_ascii().to_string()
}

/// REQ-DEC-10: the gen bytes and message id in a data key must agree with
/// the value; a mismatch is reported, not fatal.
pub(crate) fn cross_check(
    warnings: &mut Vec<Warning>,
    user_key: &[u8],
    fields: &key::DataKeyFields,
    msg: &Message,
) {
    if fields.gen != msg.queue_generation {
        warnings.push(Warning::KeyValueMismatch {
            key_hex: hex::encode(user_key),
            field: "queue_generation",
            key_says: fields.gen.to_string(),
            value_says: msg.queue_generation.to_string(),
        });
    }
    if fields.message_id != msg.message_id.as_bytes() {
        warnings.push(Warning::KeyValueMismatch {
            key_hex: hex::encode(user_key),
            field: "message_id",
            key_says: jsonout::utf8_per_byte_lossy(&fields.message_id),
            value_says: msg.message_id.clone(),
        });
    }
}

/// What the per-queue decision ([`plan_queue`]) reads of one encoded queue
/// segment, however an engine buffered its records.
pub(crate) struct Seen<'a> {
    /// The encoded queue segment of the keys.
    pub encoded: &'a str,
    /// The queue name decoded from the keys (never empty).
    pub name: &'a [u8],
    /// The queue's meta record; `None` for an orphan segment.
    pub meta: Option<&'a QueueMeta>,
    /// The value of the queue's gen record, if any.
    pub active_gen: Option<u64>,
    /// Messages buffered.
    pub messages: usize,
    /// How many of the buffered messages carry a given `queue_generation`.
    pub in_gen: &'a dyn Fn(u64) -> usize,
    /// Side records buffered (only counted with `--include-sqs-side-records`).
    pub side_records: usize,
}

/// What one encoded queue segment becomes in the dump. Its files are
/// listed in the order they are claimed (directory, `_queue.json`,
/// `messages.jsonl`, side records), so that every engine reports the same
/// path collision first.
#[derive(Debug)]
pub(crate) struct QueuePlan {
    /// The queue directory, relative to the dump root.
    pub dir: String,
    /// Who claims the directory and its files (named in a collision).
    pub owner: String,
    /// A queue with its meta record; `None` for an orphan segment.
    pub queue: Option<Listed>,
    /// The path of `messages.jsonl`, when a message is kept.
    pub messages: Option<String>,
    /// Messages of other generations are dropped (REQ-DEC-4).
    pub active_gen: Option<u64>,
    /// Messages kept.
    pub kept: usize,
    /// The path of the side-record file, when side records are written.
    pub side: Option<String>,
}

/// A queue that gets a `_queue.json`.
#[derive(Debug)]
pub(crate) struct Listed {
    /// Its name as listed in the manifest: the meta record's, or the key's
    /// when that is empty.
    pub name: String,
    /// The bytes of its `_queue.json`.
    pub queue_json: Vec<u8>,
}

impl QueuePlan {
    /// Whether a message of generation `gen` is written.
    pub(crate) fn keeps(&self, gen: u64) -> bool {
        self.active_gen.map_or(true, |active| active == gen)
    }
}

/// Decide what one encoded queue segment becomes (REQ-DEC-2 to REQ-DEC-4,
/// REQ-DEC-8): report an orphan segment or the messages of stale
/// generations in `warnings`, count them in `stats`, and say which files
/// are written. `None`: nothing is written for the segment.
// REQ-DEC-12, REQ-OUT-1
pub(crate) fn plan_queue(
    seen: &Seen<'_>,
    include_side: bool,
    stats: &mut DecodeStats,
    warnings: &mut Vec<Warning>,
) -> Option<QueuePlan> {
    let Some(meta) = seen.meta else {
        return plan_orphan(seen, include_side, stats, warnings);
    };
    let key_name = jsonout::utf8_per_byte_lossy(seen.name);
    let dir = format!("sqs/{}", segment::encode_segment(seen.name));
    let display_name = if meta.name.is_empty() {
        key_name
    } else {
        meta.name.clone()
    };
    // REQ-DEC-4: with an active gen (live gens start at 1), older
    // generations are purged or deleted messages not reaped yet.
    let active_gen = seen.active_gen.filter(|&g| g != 0);
    let kept = active_gen.map_or(seen.messages, |g| (seen.in_gen)(g).min(seen.messages));
    let dropped = seen.messages - kept;
    if let Some(active_gen) = active_gen.filter(|_| dropped > 0) {
        stats.stale_dropped += dropped as u64;
        warnings.push(Warning::StaleGenerationDropped {
            queue: display_name.clone(),
            active_gen,
            dropped,
        });
    }
    stats.messages_written += kept as u64;
    let messages = (kept > 0).then(|| format!("{dir}/messages.jsonl"));
    let side = side_file(&dir, seen.side_records, stats);
    Some(QueuePlan {
        owner: format!("queue segment {}", seen.encoded),
        queue: Some(Listed {
            name: display_name,
            queue_json: jsonout::queue_json(meta, seen.name),
        }),
        messages,
        active_gen,
        kept,
        side,
        dir,
    })
}

/// REQ-DEC-2, REQ-DEC-3: a queue segment with no meta record.
// REQ-OUT-1
fn plan_orphan(
    seen: &Seen<'_>,
    include_side: bool,
    stats: &mut DecodeStats,
    warnings: &mut Vec<Warning>,
) -> Option<QueuePlan> {
    if seen.messages == 0 && seen.side_records == 0 {
        // A deleted queue leaves its gen record behind; that alone is not
        // worth a warning.
        return None;
    }
    warnings.push(Warning::OrphanMessages {
        encoded_queue: seen.encoded.to_string(),
        buffered_messages: seen.messages,
        buffered_side_records: seen.side_records,
    });
    stats.orphans += 1;
    stats.orphan_messages += seen.messages as u64;
    if !include_side || seen.side_records == 0 {
        return None;
    }
    let dir = format!("sqs/{}", segment::orphan_dir(seen.encoded));
    Some(QueuePlan {
        owner: format!("orphan queue segment {}", seen.encoded),
        queue: None,
        messages: None,
        active_gen: None,
        kept: 0,
        side: side_file(&dir, seen.side_records, stats),
        dir,
    })
}

/// REQ-DEC-8: the side-record file of a queue directory, if it has any.
// REQ-OUT-1
fn side_file(dir: &str, records: usize, stats: &mut DecodeStats) -> Option<String> {
    if records == 0 {
        return None;
    }
    stats.side_records_written += records as u64;
    Some(format!("{dir}/_internals/side_records.jsonl"))
}

/// The warnings that close a queue with `kept` messages, after every
/// other warning of the run: its oversize messages (REQ-DEC-15), then
/// what keeps it from being restored (REQ-OUT-10).
pub(crate) fn closing_warnings(
    rules: QueueRules<'_>,
    key_name: &[u8],
    queue: &str,
    kept: u64,
    mut tally: Tally,
) -> Vec<Warning> {
    let oversize = tally.take_oversize().map(|o| o.warning(queue));
    let restore = restorable::warnings(rules, key_name, queue, kept, tally);
    oversize.into_iter().chain(restore).collect()
}

/// Write what `plan` says for the queue segment `state`: its files in
/// claim order, its messages of the kept generation in send order.
/// Returns the queue's [`closing_warnings`].
fn write_queue(
    model: &mut DumpModel,
    plan: QueuePlan,
    state: QueueState,
) -> Result<Vec<Warning>, Error> {
    let owner = plan.owner.as_str();
    model.claim_dir(&plan.dir, owner)?;
    if let Some(q) = &plan.queue {
        let rel = format!("{}/_queue.json", plan.dir);
        model.add_file(rel, q.queue_json.clone(), owner)?;
        model.queues.push(q.name.clone());
    }
    let mut tally = Tally::default();
    if let (Some(rel), Some(meta)) = (&plan.messages, &state.meta) {
        let mut messages = state.messages;
        messages.retain(|b| plan.keeps(b.queue_generation));
        // REQ-DEC-7: send order; the sort is stable.
        messages.sort_by(|a, b| {
            (a.send_timestamp_millis, a.sequence_number)
                .cmp(&(b.send_timestamp_millis, b.sequence_number))
                .then_with(|| a.message_id.as_bytes().cmp(b.message_id.as_bytes()))
        });
        let rules = QueueRules::from(meta);
        let mut bytes = Vec::with_capacity(messages.iter().map(|b| b.line.len()).sum());
        for b in messages {
            bytes.extend_from_slice(&b.line);
            tally.add(rules, b.facts);
            let body_len = u64::from(b.facts.body_len);
            tally.add_size(meta.maximum_message_size, b.message_id.as_bytes(), body_len);
        }
        model.add_file(rel.clone(), bytes, owner)?;
    }
    if let Some(rel) = plan.side {
        let bytes: Vec<u8> = state
            .side
            .iter()
            .flat_map(|s| s.line.iter().copied())
            .collect();
        model.add_file(rel, bytes, owner)?;
    }
    Ok(match (&state.meta, &plan.queue) {
        (Some(meta), Some(q)) => {
            let rules = QueueRules::from(meta);
            closing_warnings(rules, &state.name, &q.name, plan.kept as u64, tally)
        }
        _ => Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen<'a>(meta: Option<&'a QueueMeta>, in_gen: &'a dyn Fn(u64) -> usize) -> Seen<'a> {
        Seen {
            encoded: "cQ",
            name: b"q",
            meta,
            active_gen: Some(2),
            messages: 3,
            in_gen,
            side_records: 0,
        }
    }

    // REQ-DEC-2, REQ-DEC-4: the decision both engines take for a queue
    // segment, from counts alone.
    #[test]
    fn a_queue_keeps_its_active_generation_and_an_orphan_gets_no_files() {
        let (mut stats, mut warnings) = (DecodeStats::default(), Vec::new());
        let meta = QueueMeta::default();
        let one_in_gen_2 = |g: u64| usize::from(g == 2);
        let plan = plan_queue(
            &seen(Some(&meta), &one_in_gen_2),
            false,
            &mut stats,
            &mut warnings,
        );
        let plan = plan.expect("a queue with its meta record is written");
        assert_eq!(
            (plan.dir.as_str(), plan.owner.as_str()),
            ("sqs/q", "queue segment cQ")
        );
        assert_eq!(plan.queue.as_ref().map(|q| q.name.as_str()), Some("q"));
        assert_eq!(plan.messages.as_deref(), Some("sqs/q/messages.jsonl"));
        assert_eq!((plan.kept, plan.keeps(2), plan.keeps(1)), (1, true, false));
        assert_eq!((stats.stale_dropped, stats.messages_written), (2, 1));
        assert!(matches!(
            warnings.as_slice(),
            [Warning::StaleGenerationDropped {
                active_gen: 2,
                dropped: 2,
                ..
            }]
        ));

        let (mut stats, mut warnings) = (DecodeStats::default(), Vec::new());
        let plan = plan_queue(&seen(None, &one_in_gen_2), true, &mut stats, &mut warnings);
        assert!(plan.is_none(), "{plan:?}");
        assert_eq!((stats.orphans, stats.orphan_messages), (1, 3));
        assert!(matches!(
            warnings.as_slice(),
            [Warning::OrphanMessages {
                buffered_messages: 3,
                ..
            }]
        ));
    }
}
