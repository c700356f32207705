//! The per-queue state machine: resolved SQS records → dump model
//! (REQ-DEC-*).
//!
//! Records are buffered per *encoded* queue segment, because message
//! records (`!sqs|msg|…`) sort before their queue's meta record
//! (`!sqs|queue|meta|…`). Names are resolved, messages filtered and
//! sorted, and files rendered only in [`SqsDecoder::finish`].

use std::collections::BTreeMap;

use crate::dump::DumpModel;
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
    pub fn finish(self) -> Result<DumpModel, Error> {
        let mut model = DumpModel::new();
        model.warnings = self.warnings;
        model.stats.sqs_records = self.sqs_records;
        model.stats.message_value_bytes = self.message_value_bytes;
        let include_side = self.opts.include_side_records;
        let mut restore = Vec::new();
        for (encoded, mut state) in self.queues {
            match state.meta.take() {
                None => finish_orphan(&mut model, &encoded, state, include_side)?,
                Some(meta) => restore.extend(finish_queue(&mut model, &encoded, meta, state)?),
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

/// REQ-DEC-2, REQ-DEC-3: a queue state with no meta record.
fn finish_orphan(
    model: &mut DumpModel,
    encoded: &str,
    state: QueueState,
    include_side: bool,
) -> Result<(), Error> {
    if state.messages.is_empty() && state.side.is_empty() {
        // A deleted queue leaves its gen record behind; that alone is not
        // worth a warning.
        return Ok(());
    }
    model.warnings.push(Warning::OrphanMessages {
        encoded_queue: encoded.to_string(),
        buffered_messages: state.messages.len(),
        buffered_side_records: state.side.len(),
    });
    model.stats.orphans += 1;
    model.stats.orphan_messages += state.messages.len() as u64;
    if include_side && !state.side.is_empty() {
        let dir = format!("sqs/{}", segment::orphan_dir(encoded));
        let owner = format!("orphan queue segment {encoded}");
        model.claim_dir(&dir, &owner)?;
        write_side(model, &dir, &state.side, &owner)?;
    }
    Ok(())
}

fn write_side(model: &mut DumpModel, dir: &str, side: &[Side], owner: &str) -> Result<(), Error> {
    let bytes: Vec<u8> = side.iter().flat_map(|s| s.line.iter().copied()).collect();
    model.stats.side_records_written += side.len() as u64;
    model.add_file(format!("{dir}/_internals/side_records.jsonl"), bytes, owner)
}

/// A queue with its meta record: `_queue.json`, then `messages.jsonl`
/// when any message survives, then side records when asked for. Returns
/// the queue's `sqs_queue_not_restorable` warnings (REQ-OUT-10).
fn finish_queue(
    model: &mut DumpModel,
    encoded: &str,
    meta: QueueMeta,
    state: QueueState,
) -> Result<Vec<Warning>, Error> {
    let key_name = jsonout::utf8_per_byte_lossy(&state.name);
    let dir = format!("sqs/{}", segment::encode_segment(&state.name));
    let owner = format!("queue segment {encoded}");
    model.claim_dir(&dir, &owner)?;
    let display_name = if meta.name.is_empty() {
        key_name.clone()
    } else {
        meta.name.clone()
    };
    model.add_file(
        format!("{dir}/_queue.json"),
        jsonout::queue_json(&meta, &state.name),
        owner.as_str(),
    )?;
    model.queues.push(display_name.clone());

    let mut messages = state.messages;
    // REQ-DEC-4: with an active gen (live gens start at 1), older
    // generations are purged or deleted messages not reaped yet.
    if let Some(active) = state.active_gen.filter(|&g| g != 0) {
        let before = messages.len();
        messages.retain(|b| b.queue_generation == active);
        let dropped = before - messages.len();
        if dropped > 0 {
            model.stats.stale_dropped += dropped as u64;
            model.warnings.push(Warning::StaleGenerationDropped {
                queue: display_name.clone(),
                active_gen: active,
                dropped,
            });
        }
    }
    let rules = QueueRules::from(&meta);
    let mut tally = Tally::default();
    for b in &messages {
        tally.add(rules, b.facts);
    }
    let restore = restorable::warnings(
        rules,
        &state.name,
        &display_name,
        messages.len() as u64,
        tally,
    );
    let mut oversize = None;
    if !messages.is_empty() {
        // REQ-DEC-7: send order; the sort is stable.
        messages.sort_by(|a, b| {
            (a.send_timestamp_millis, a.sequence_number)
                .cmp(&(b.send_timestamp_millis, b.sequence_number))
                .then_with(|| a.message_id.as_bytes().cmp(b.message_id.as_bytes()))
        });
        model.stats.messages_written += messages.len() as u64;
        let mut bytes = Vec::with_capacity(messages.iter().map(|b| b.line.len()).sum());
        for b in messages {
            bytes.extend_from_slice(&b.line);
            restorable::Oversize::note(
                &mut oversize,
                meta.maximum_message_size,
                b.message_id.as_bytes(),
                u64::from(b.facts.body_len),
            );
        }
        model.add_file(format!("{dir}/messages.jsonl"), bytes, owner.as_str())?;
    }
    if !state.side.is_empty() {
        write_side(model, &dir, &state.side, &owner)?;
    }
    // REQ-DEC-15: before the queue's REQ-OUT-10 warnings.
    Ok(oversize
        .map(|o| o.warning(&display_name))
        .into_iter()
        .chain(restore)
        .collect())
}
