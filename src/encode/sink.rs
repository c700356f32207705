//! Step 4 of `encode`: rows → the `.fsm` stream in Pebble order within a
//! memory budget (REQ-ENC-10, REQ-ENC-17).
//!
//! Rows arrive queue after queue, framed as they are made (MVCC key
//! suffix, 9-byte value header, length prefixes) into one buffer
//! ([`Arena`]) shared by all queues. When the buffer would exceed its
//! budget, it is sorted by encoded key and written as one sorted run into
//! the spill directory (the stream engine's sorter, `engine::spill`); at
//! the end the runs and the sorted rest of the buffer are k-way merged
//! into the snapshot. A dump whose rows fit the budget is never spilled:
//! the buffer is sorted and written directly.
//!
//! A FIFO queue's dedup row belongs to the latest send of its dedup key
//! (REQ-ENC-8). Every send pushes a *candidate* row under that key with a
//! rank that sorts the owner first; the merge keeps the first candidate
//! of each key and drops the others, so no per-queue map of dedup keys is
//! held. Two rows with one key that are not both candidates are
//! `duplicate_key` (the key layouts rule that out).
//!
//! Keys and values over the snapshot format's limits (REQ-FSM-4) are
//! noted as they are pushed; at the end of a queue the smallest such key
//! is reported, as a sort of that queue's rows would find it first.

use std::cmp::Ordering;
use std::io::{self, Read, Write};
use std::path::PathBuf;

use super::error::EncodeError;
use crate::error::Escaped;
use crate::fsm::{encode_header, MAX_KEY_LEN, MAX_VALUE_LEN, VALUE_HEADER_LEN};
use crate::run::spill::{self, MemSource, Merge, RunItem, SpillDir};
use crate::run::Control;
use crate::Error;

/// Bytes before the key in a frame: its length prefix.
const KEY_AT: usize = 8;
/// Length of the MVCC commit-timestamp suffix of every key.
const SUFFIX_LEN: usize = 8;
/// Rows written between two interruption checks.
const CHECK_EVERY: u64 = 4096;

/// One buffered row: where its frame and rank are in [`Arena::bytes`].
#[derive(Debug, Clone, Copy)]
struct Entry {
    /// Start of the frame.
    start: usize,
    /// Length of the encoded key (user key ++ suffix).
    klen: usize,
    /// Length of the frame.
    flen: usize,
    /// Length of the rank, right after the frame; 0 unless a dedup
    /// candidate.
    rlen: usize,
    /// The queue it belongs to (index into [`RowSink::queues`]).
    queue: u32,
    /// Sort scratch: the key's bytes remaining at the current depth
    /// (at most 8).
    rem: u8,
    /// Sort scratch: the key's 8 bytes at the current depth, big-endian,
    /// zero-padded.
    digit: u64,
}

/// Key bytes sorted by 8-byte digits before the sort falls back to
/// comparisons (this bounds the recursion to 32 levels).
const DIGIT_DEPTH: usize = 256;
/// Groups smaller than this are sorted by comparison.
const DIGIT_MIN_GROUP: usize = 32;

/// What one buffered row costs besides its bytes.
const ENTRY_COST: usize = std::mem::size_of::<Entry>();

/// Buffered rows: frames (each `le64(key_len) key suffix le64(value_len)
/// flags expire_at value`, then the rank) in one byte buffer, and an
/// index.
#[derive(Debug, Default)]
struct Arena {
    bytes: Vec<u8>,
    index: Vec<Entry>,
}

impl Arena {
    fn key(&self, e: &Entry) -> &[u8] {
        self.bytes
            .get(e.start + KEY_AT..e.start + KEY_AT + e.klen)
            .unwrap_or_default()
    }

    fn frame(&self, e: &Entry) -> &[u8] {
        self.bytes
            .get(e.start..e.start + e.flen)
            .unwrap_or_default()
    }

    fn rank(&self, e: &Entry) -> &[u8] {
        let at = e.start + e.flen;
        self.bytes.get(at..at + e.rlen).unwrap_or_default()
    }

    /// Bytes held (frames, ranks and index).
    fn used(&self) -> usize {
        self.bytes
            .len()
            .saturating_add(self.index.len().saturating_mul(ENTRY_COST))
    }

    /// Sort the index by encoded key, then rank ([`row_order`]).
    // REQ-ENC-10
    fn sort(&mut self) {
        let mut index = std::mem::take(&mut self.index);
        self.sort_from(&mut index, 0);
        self.index = index;
    }

    /// Sort `index`, whose keys share their first `depth` bytes, by
    /// [`row_order`]. Most keys share long prefixes (family, queue,
    /// generation), so comparing them means touching both keys' bytes far
    /// apart in the buffer. Instead each level reads every key once, caches
    /// its next 8 bytes in the entry and sorts by them (a most significant
    /// digit first radix sort with 8-byte digits), then sorts each group of
    /// equal digits one level deeper; small groups, and groups still equal
    /// after [`DIGIT_DEPTH`] bytes, are sorted by comparison.
    fn sort_from(&self, index: &mut [Entry], depth: usize) {
        if index.len() < 2 {
            return;
        }
        if index.len() < DIGIT_MIN_GROUP || depth >= DIGIT_DEPTH {
            index.sort_unstable_by(|a, b| {
                row_order(self.key(a), self.rank(a), self.key(b), self.rank(b))
            });
            return;
        }
        for e in index.iter_mut() {
            let tail = self.key(e).get(depth..).unwrap_or_default();
            let mut digit = [0u8; 8];
            for (d, b) in digit.iter_mut().zip(tail) {
                *d = *b;
            }
            e.digit = u64::from_be_bytes(digit);
            e.rem = tail.len().min(8) as u8;
        }
        // A key that ends inside the digit is padded with zero bytes; of
        // two keys with equal digits the one with fewer bytes left is the
        // prefix of the other, so it sorts first.
        index.sort_unstable_by_key(|e| (e.digit, e.rem));
        let mut rest = index;
        while let Some(first) = rest.first() {
            let (digit, rem) = (first.digit, first.rem);
            let n = rest
                .iter()
                .position(|e| (e.digit, e.rem) != (digit, rem))
                .unwrap_or(rest.len());
            let (group, tail) = rest.split_at_mut(n);
            if rem == 8 {
                self.sort_from(group, depth + 8);
            } else {
                // Equal keys: only dedup candidates, ordered by rank.
                group.sort_unstable_by(|a, b| self.rank(a).cmp(self.rank(b)));
            }
            rest = tail;
        }
    }

    /// Forget every row, keeping the allocations for the next ones.
    fn clear(&mut self) {
        self.bytes.clear();
        self.index.clear();
    }
}

/// The order of rows: encoded key, then (for dedup candidates of one key)
/// rank, owner first.
// REQ-ENC-10
fn row_order(ka: &[u8], ra: &[u8], kb: &[u8], rb: &[u8]) -> Ordering {
    ka.cmp(kb).then_with(|| ra.cmp(rb))
}

/// A row as spilled: queue index, rank, frame.
#[derive(Debug, Default)]
struct RowItem {
    queue: u32,
    rank: Vec<u8>,
    frame: Vec<u8>,
    klen: usize,
}

impl RowItem {
    fn key(&self) -> &[u8] {
        self.frame
            .get(KEY_AT..KEY_AT + self.klen)
            .unwrap_or_default()
    }
}

fn write_row(w: &mut impl Write, queue: u32, rank: &[u8], frame: &[u8]) -> io::Result<()> {
    spill::put_u64(w, u64::from(queue))?;
    spill::put_bytes(w, rank)?;
    spill::put_bytes(w, frame)
}

impl RunItem for RowItem {
    fn write(&self, w: &mut impl Write) -> io::Result<()> {
        write_row(w, self.queue, &self.rank, &self.frame)
    }

    fn read(&mut self, r: &mut impl Read) -> io::Result<bool> {
        let bad = |what: &str| io::Error::new(io::ErrorKind::InvalidData, what.to_string());
        let Some(queue) = spill::get_u64_or_eof(r)? else {
            return Ok(false);
        };
        self.queue = u32::try_from(queue).map_err(|_| bad("spilled queue index out of range"))?;
        spill::get_bytes(r, &mut self.rank)?;
        spill::get_bytes(r, &mut self.frame)?;
        let klen = self
            .frame
            .get(..KEY_AT)
            .and_then(|b| <[u8; 8]>::try_from(b).ok())
            .map(u64::from_le_bytes)
            .and_then(|n| usize::try_from(n).ok())
            .filter(|&n| {
                n.checked_add(KEY_AT)
                    .is_some_and(|end| end <= self.frame.len())
            })
            .ok_or_else(|| bad("spilled row has a bad key length"))?;
        self.klen = klen;
        Ok(true)
    }

    fn order(&self, other: &Self) -> Ordering {
        row_order(self.key(), &self.rank, other.key(), &other.rank)
    }
}

/// The row over the format's limits with the smallest key in the current
/// queue.
#[derive(Debug)]
struct TooLarge {
    /// The encoded key (user key ++ suffix).
    key: Vec<u8>,
    what: &'static str,
    len: u64,
    limit: u64,
}

/// Collects the rows of every queue and writes the snapshot.
#[derive(Debug)]
pub struct RowSink {
    commit_ts: u64,
    suffix: [u8; SUFFIX_LEN],
    arena: Arena,
    budget: usize,
    spill: Option<SpillDir>,
    runs: Vec<PathBuf>,
    /// The directory of each queue, for errors.
    queues: Vec<String>,
    too_large: Option<TooLarge>,
    /// The largest row so far: the final merge holds one per run
    /// (REQ-ENC-20).
    largest: usize,
}

impl RowSink {
    /// A sink that stamps every key with `commit_ts` and holds at most
    /// about `budget` bytes of rows before it spills a sorted run into
    /// `spill` (never, without a spill directory).
    pub(crate) fn new(commit_ts: u64, budget: usize, spill: Option<SpillDir>) -> Self {
        let budget = if spill.is_some() { budget } else { usize::MAX };
        let mut arena = Arena::default();
        if spill.is_some() {
            // Reserved up front (pages are only touched as rows arrive),
            // so that the buffer never doubles past the budget.
            arena.bytes.reserve(budget.min(1 << 30));
        }
        RowSink {
            commit_ts,
            suffix: (!commit_ts).to_be_bytes(),
            arena,
            budget,
            spill,
            runs: Vec::new(),
            queues: Vec::new(),
            too_large: None,
            largest: 0,
        }
    }

    /// Start the rows of the queue in directory `path`.
    pub fn begin_queue(&mut self, path: &str) {
        self.queues.push(path.to_string());
        self.too_large = None;
    }

    /// Sorted runs spilled so far.
    pub fn runs(&self) -> usize {
        self.runs.len()
    }

    fn queue_path(&self, queue: u32) -> String {
        usize::try_from(queue)
            .ok()
            .and_then(|q| self.queues.get(q))
            .cloned()
            .unwrap_or_default()
    }

    /// Add one row of the current queue. `rank` marks a dedup candidate:
    /// of the candidates of one key only the one with the smallest rank
    /// is written.
    pub fn push(&mut self, key: &[u8], value: &[u8], rank: Option<&[u8]>) -> Result<(), Error> {
        let rank = rank.unwrap_or_default();
        let klen = key.len() + SUFFIX_LEN;
        let vlen = value.len() + VALUE_HEADER_LEN;
        let cost = (2 * 8 + klen + vlen + rank.len()).saturating_add(ENTRY_COST);
        self.largest = self.largest.max(cost);
        if !self.arena.index.is_empty() && self.arena.used().saturating_add(cost) > self.budget {
            self.spill_arena()?;
        }
        let queue = u32::try_from(self.queues.len().saturating_sub(1)).unwrap_or(u32::MAX);
        let b = &mut self.arena.bytes;
        let start = b.len();
        b.extend_from_slice(&(klen as u64).to_le_bytes());
        b.extend_from_slice(key);
        b.extend_from_slice(&self.suffix);
        b.extend_from_slice(&(vlen as u64).to_le_bytes());
        // flags 0 (live, cleartext), expire_at 0.
        b.extend_from_slice(&[0u8; VALUE_HEADER_LEN]);
        b.extend_from_slice(value);
        let flen = b.len() - start;
        b.extend_from_slice(rank);
        let e = Entry {
            start,
            klen,
            flen,
            rlen: rank.len(),
            queue,
            rem: 0,
            digit: 0,
        };
        self.arena.index.push(e);
        let over = if klen as u64 > MAX_KEY_LEN {
            Some(("key", klen as u64, MAX_KEY_LEN))
        } else if vlen as u64 > MAX_VALUE_LEN {
            Some(("value of key", vlen as u64, MAX_VALUE_LEN))
        } else {
            None
        };
        if let Some((what, len, limit)) = over {
            let key = self.arena.key(&e);
            if self
                .too_large
                .as_ref()
                .map_or(true, |t| key < t.key.as_slice())
            {
                self.too_large = Some(TooLarge {
                    key: key.to_vec(),
                    what,
                    len,
                    limit,
                });
            }
        }
        Ok(())
    }

    /// End the current queue: a row over the format's limits fails it,
    /// naming the smallest such key.
    pub fn end_queue(&mut self) -> Result<(), Error> {
        match self.too_large.take() {
            None => Ok(()),
            Some(t) => {
                let shown = t.key.get(..64).unwrap_or(&t.key);
                Err(EncodeError::EntryTooLarge {
                    path: self.queues.last().cloned().unwrap_or_default(),
                    key: Escaped::of(shown).to_string(),
                    what: t.what,
                    len: t.len,
                    limit: t.limit,
                }
                .into())
            }
        }
    }

    /// Sort the buffered rows and write them as one run.
    fn spill_arena(&mut self) -> Result<(), Error> {
        let Some(dir) = self.spill.as_mut() else {
            return Ok(());
        };
        self.arena.sort();
        let (path, mut w) = dir.new_file("rows")?;
        for e in &self.arena.index {
            write_row(&mut w, e.queue, self.arena.rank(e), self.arena.frame(e))
                .map_err(|err| spill::spill_io(&path, err))?;
        }
        w.flush().map_err(|err| spill::spill_io(&path, err))?;
        self.runs.push(path);
        self.arena.clear();
        Ok(())
    }

    /// Write the header and every row in key order to `out`; returns the
    /// number of entries written. Spill files are removed by the caller
    /// with the spill directory.
    // REQ-ENC-10
    pub(crate) fn finish(mut self, out: &mut dyn Write, ctl: &Control) -> Result<u64, Error> {
        ctl.checkpoint()?;
        self.arena.sort();
        let werr = |e| Error::io("writing the snapshot", e);
        out.write_all(&encode_header(self.commit_ts))
            .map_err(werr)?;
        let mut emit = Emit::default();
        let runs = std::mem::take(&mut self.runs);
        match self.spill.as_mut() {
            Some(dir) if !runs.is_empty() => {
                // A merge holds one row per run: runs of large rows are
                // merged fewer at a time, within half the rows' budget.
                let fan_in = self.budget / 2 / self.largest.max(1);
                let runs = spill::reduce_runs_to::<RowItem>(dir, "rows", runs, fan_in)?;
                let arena = &self.arena;
                let mut next = 0usize;
                let mem: MemSource<'_, RowItem> = Box::new(move |item: &mut RowItem| {
                    let Some(e) = arena.index.get(next) else {
                        return Ok(false);
                    };
                    next += 1;
                    item.queue = e.queue;
                    item.klen = e.klen;
                    item.rank.clear();
                    item.rank.extend_from_slice(arena.rank(e));
                    item.frame.clear();
                    item.frame.extend_from_slice(arena.frame(e));
                    Ok(true)
                });
                let mut merge = Merge::open_with(&runs, Some(mem))?;
                while let Some(item) = merge.next_item()? {
                    let (queue, candidate) = (item.queue, !item.rank.is_empty());
                    if let Some(queue) = emit.row(item.key(), &item.frame, candidate, queue, out)? {
                        return Err(self.duplicate(queue, &emit.prev).into());
                    }
                    if emit.entries % CHECK_EVERY == 0 {
                        ctl.checkpoint()?;
                    }
                }
            }
            _ => {
                for e in &self.arena.index {
                    let key = self.arena.key(e);
                    let frame = self.arena.frame(e);
                    if let Some(queue) = emit.row(key, frame, e.rlen > 0, e.queue, out)? {
                        return Err(self.duplicate(queue, key).into());
                    }
                    if emit.entries % CHECK_EVERY == 0 {
                        ctl.checkpoint()?;
                    }
                }
            }
        }
        out.flush().map_err(werr)?;
        Ok(emit.entries)
    }

    fn duplicate(&self, queue: u32, key: &[u8]) -> EncodeError {
        EncodeError::DuplicateKey {
            path: self.queue_path(queue),
            key: Escaped::of(
                key.get(..key.len().saturating_sub(SUFFIX_LEN))
                    .unwrap_or_default(),
            )
            .to_string(),
        }
    }
}

/// Writes rows in order, dropping all but the first dedup candidate of a
/// key.
#[derive(Debug, Default)]
struct Emit {
    prev: Vec<u8>,
    prev_candidate: bool,
    entries: u64,
}

impl Emit {
    /// Write one row; `Some(queue)` when its key repeats the previous one
    /// and it is not a dropped dedup candidate (a duplicate key).
    fn row(
        &mut self,
        key: &[u8],
        frame: &[u8],
        candidate: bool,
        queue: u32,
        out: &mut dyn Write,
    ) -> Result<Option<u32>, Error> {
        if self.entries > 0 && key == self.prev.as_slice() {
            if candidate && self.prev_candidate {
                // A dedup row of an earlier send of the same dedup key.
                return Ok(None);
            }
            return Ok(Some(queue));
        }
        out.write_all(frame)
            .map_err(|e| Error::io("writing the snapshot", e))?;
        self.prev.clear();
        self.prev.extend_from_slice(key);
        self.prev_candidate = candidate;
        self.entries += 1;
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // REQ-ENC-17
    /// The digit sort orders rows exactly as comparing (key, rank) does:
    /// keys with long shared prefixes (past the digit depth), zero bytes,
    /// prefixes of other keys, and equal keys told apart by rank.
    #[test]
    fn digit_sort_matches_the_comparison_order() {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move |n: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % n
        };
        let prefixes: Vec<Vec<u8>> = vec![
            Vec::new(),
            b"!sqs|msg|data|".to_vec(),
            b"!sqs|msg|data|cXVldWU\0\0".to_vec(),
            vec![0u8; 9],
            vec![b'p'; 300],
        ];
        for round in 0..20 {
            let mut arena = Arena::default();
            let rows = 50 + next(2000) as usize;
            for _ in 0..rows {
                let mut key = prefixes[next(prefixes.len() as u64) as usize].clone();
                for _ in 0..next(20) {
                    key.push([0u8, 1, b'a', 0xff][next(4) as usize]);
                }
                let rank: Vec<u8> = (0..next(3)).map(|_| next(3) as u8).collect();
                let start = arena.bytes.len();
                let klen = key.len() + SUFFIX_LEN;
                arena.bytes.extend_from_slice(&(klen as u64).to_le_bytes());
                arena.bytes.extend_from_slice(&key);
                arena.bytes.extend_from_slice(&[7u8; SUFFIX_LEN]);
                let flen = arena.bytes.len() - start;
                arena.bytes.extend_from_slice(&rank);
                arena.index.push(Entry {
                    start,
                    klen,
                    flen,
                    rlen: rank.len(),
                    queue: 0,
                    rem: 0,
                    digit: 0,
                });
            }
            let mut want: Vec<(Vec<u8>, Vec<u8>)> = arena
                .index
                .iter()
                .map(|e| (arena.key(e).to_vec(), arena.rank(e).to_vec()))
                .collect();
            want.sort();
            arena.sort();
            let got: Vec<(Vec<u8>, Vec<u8>)> = arena
                .index
                .iter()
                .map(|e| (arena.key(e).to_vec(), arena.rank(e).to_vec()))
                .collect();
            assert_eq!(got, want, "round {round}");
        }
    }
}
