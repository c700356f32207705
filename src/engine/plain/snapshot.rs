//! The pipeline for one snapshot: [`crate::fsm`] → [`crate::mvcc`] →
//! [`crate::decode`] (phases 1–4).
//!
//! [`resolve_snapshot`] runs phases 1–2 and returns the visible SQS
//! records; [`decode_snapshot`] feeds them, in user-key order, to the
//! [`SqsDecoder`] and returns the dump model together with a [`Summary`]
//! of everything the CLI reports.

use std::fmt;
use std::io::Read;

use crate::decode::{Options, SqsDecoder};
use crate::dump::DumpModel;
use crate::fsm::{FooterPolicy, Reader};
use crate::mvcc::{MvccStats, Resolved, Resolver};
use crate::Error;

/// Every count the CLI prints after a decode.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// Bytes read from the input.
    pub bytes_read: u64,
    /// The header's `last_commit_ts`.
    pub last_commit_ts: u64,
    /// The node-file footer's CRC-32C, when the input had one (verified,
    /// REQ-FSM-11).
    pub fsm_crc32c: Option<u32>,
    /// Counts from version resolution.
    pub mvcc: MvccStats,
    /// Queues that got a `_queue.json`.
    pub queues: u64,
    /// Message lines written.
    pub messages_written: u64,
    /// Messages dropped by the generation filter.
    pub stale_dropped: u64,
    /// Orphan queue states that held messages or side records.
    pub orphans: u64,
    /// Messages of orphan queue states, dropped (REQ-DEC-2).
    pub orphan_messages: u64,
    /// Side-record lines written.
    pub side_records_written: u64,
    /// Bytes of the visible message values decoded.
    pub message_value_bytes: u64,
}

/// How a snapshot stream ended.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StreamEnd {
    /// Bytes read, a footer included.
    pub bytes_read: u64,
    /// The verified node-file footer, if there was one (REQ-FSM-11).
    pub footer: Option<u32>,
}

/// Read a whole snapshot and resolve its versions (phases 1–2), a
/// node-file footer accepted when present.
///
/// `progress` is called with the number of bytes read so far after the
/// header and after every entry. Returns the bytes read.
pub fn resolve_snapshot<R: Read>(
    input: R,
    progress: &mut dyn FnMut(u64),
) -> Result<(Resolved, u64), Error> {
    resolve_snapshot_with(input, FooterPolicy::Detect, progress).map(|(r, end)| (r, end.bytes_read))
}

/// [`resolve_snapshot`] with a footer policy (REQ-FSM-11, REQ-FSM-12).
pub fn resolve_snapshot_with<R: Read>(
    input: R,
    footer: FooterPolicy,
    progress: &mut dyn FnMut(u64),
) -> Result<(Resolved, StreamEnd), Error> {
    resolve_within(input, footer, None, progress)
}

/// [`resolve_snapshot_with`], values over `record` refused
/// ([`Reader::with_record_budget`], REQ-ENG-6).
fn resolve_within<R: Read>(
    input: R,
    footer: FooterPolicy,
    record: Option<crate::fsm::RecordBudget>,
    progress: &mut dyn FnMut(u64),
) -> Result<(Resolved, StreamEnd), Error> {
    let mut reader = Reader::with_footer(input, footer)?;
    if let Some(b) = record {
        reader = reader.with_record_budget(b);
    }
    let mut resolver = Resolver::new(reader.last_commit_ts());
    progress(reader.bytes_read());
    while let Some(entry) = reader.next_entry()? {
        resolver.push_entry(entry);
        progress(reader.bytes_read());
    }
    let end = StreamEnd {
        bytes_read: reader.bytes_read(),
        footer: reader.footer(),
    };
    Ok((resolver.finish(), end))
}

/// Decode a snapshot into a dump model (phases 1–4). A node-file footer
/// is verified when present, and required with
/// [`Options::require_footer`].
///
/// The after-header warnings come first in the model's warnings, then the
/// decoder's own.
pub fn decode_snapshot<R: Read>(
    input: R,
    opts: Options,
    progress: &mut dyn FnMut(u64),
) -> Result<(DumpModel, Summary), Error> {
    decode_snapshot_within(
        input,
        opts,
        crate::engine::stream::DEFAULT_MEMORY_LIMIT,
        progress,
    )
}

/// [`decode_snapshot`] at a `--memory-limit`: a record the stream engine
/// refuses at that limit is refused alike (REQ-ENG-6), although this
/// engine holds everything in memory.
pub fn decode_snapshot_within<R: Read>(
    input: R,
    opts: Options,
    memory_limit: u64,
    progress: &mut dyn FnMut(u64),
) -> Result<(DumpModel, Summary), Error> {
    let (
        Resolved {
            records,
            stats,
            warnings,
            last_commit_ts,
        },
        StreamEnd {
            bytes_read,
            footer: fsm_crc32c,
        },
    ) = resolve_within(
        input,
        opts.footer_policy(),
        Some(crate::engine::stream::record_budget(memory_limit)),
        progress,
    )?;
    let mut decoder = SqsDecoder::new(opts);
    for record in records {
        decoder.push(&record.user_key, &record.body)?;
    }
    let mut model = decoder.finish()?;
    if !warnings.is_empty() {
        let decoder_warnings = std::mem::replace(&mut model.warnings, warnings);
        model.warnings.extend(decoder_warnings);
    }

    let summary = Summary {
        bytes_read,
        last_commit_ts,
        fsm_crc32c,
        mvcc: stats,
        queues: model.queues.len() as u64,
        messages_written: model.stats.messages_written,
        stale_dropped: model.stats.stale_dropped,
        orphans: model.stats.orphans,
        orphan_messages: model.stats.orphan_messages,
        side_records_written: model.stats.side_records_written,
        message_value_bytes: model.stats.message_value_bytes,
    };
    Ok((model, summary))
}

impl fmt::Display for Summary {
    /// The human summary, several lines, each ending in a newline.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = &self.mvcc;
        writeln!(
            f,
            "snapshot: {} bytes, last_commit_ts {}",
            self.bytes_read, self.last_commit_ts
        )?;
        if let Some(crc) = self.fsm_crc32c {
            writeln!(f, "footer: crc-32c {crc:08x} verified")?;
        }
        writeln!(
            f,
            "entries: {} ({} operational skipped, {} of other keyspaces)",
            m.entries, m.operational_keys, m.other_keyspace_entries
        )?;
        writeln!(
            f,
            "sqs versions: {} ({} superseded, {} after header ignored)",
            m.sqs_versions, m.superseded_versions, m.versions_after_header
        )?;
        writeln!(
            f,
            "sqs keys: {} visible records, {} tombstoned, {} expired",
            m.sqs_records, m.tombstoned_keys, m.expired_keys
        )?;
        writeln!(
            f,
            "queues: {}, messages written: {}, orphan queues: {}",
            self.queues, self.messages_written, self.orphans
        )?;
        writeln!(
            f,
            "messages dropped: {} of stale generations, {} of orphan queues",
            self.stale_dropped, self.orphan_messages
        )?;
        writeln!(f, "side records written: {}", self.side_records_written)?;
        writeln!(
            f,
            "message values decoded: {} bytes",
            self.message_value_bytes
        )
    }
}
