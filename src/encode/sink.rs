//! Step 4 of `encode`: rows → the `.fsm` stream in Pebble order with
//! bounded memory (REQ-ENC-10).
//!
//! Rows arrive one queue at a time, framed as they are made (MVCC key
//! suffix, 9-byte value header, length prefixes) into one buffer per queue
//! ([`RowArena`]). Each queue's rows are sorted and cut into *runs*, one
//! per key family; a run is appended to a spill store, and only its first
//! key stays in memory. The runs of different queues
//! never interleave in key order: every key of a run starts with the
//! family prefix, the queue's base64url segment and a byte that no
//! base64url segment holds (the `0x00` of the big-endian generation, or
//! the partitioned layout's `|`), so two runs' key sets are disjoint
//! intervals. Sorting the runs by first key and copying them in that order
//! therefore writes every entry in ascending key order, as Pebble's
//! iterator (and upstream's sorted builder) writes it.
//!
//! Peak memory is one queue's framed rows (about the size of the entries
//! it adds to the snapshot) plus 24 bytes per row, and one first key per
//! run.

use std::io::{self, Read, Seek, SeekFrom, Write};

use super::error::EncodeError;
use crate::error::Escaped;
use crate::fsm::{encode_header, MAX_KEY_LEN, MAX_VALUE_LEN, VALUE_HEADER_LEN};
use crate::key::Family;

/// Where framed runs wait for the final ordered copy.
pub enum Spill {
    /// In memory (tests, fuzzing).
    Mem(Vec<u8>),
    /// An anonymous temporary file.
    File(io::BufWriter<std::fs::File>),
}

impl std::fmt::Debug for Spill {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Spill::Mem(v) => write!(f, "Spill::Mem({} bytes)", v.len()),
            Spill::File(_) => write!(f, "Spill::File"),
        }
    }
}

/// One framed run: its first encoded key, where it is and how long.
#[derive(Debug)]
struct Run {
    first_key: Vec<u8>,
    offset: u64,
    len: u64,
}

/// One queue's rows, already framed, in one buffer: each entry is
/// `le64(key_len) key suffix le64(value_len) flags expire_at value`, and
/// the index holds (start, key length with suffix, frame length). A row
/// costs its frame bytes plus 24 bytes of index.
#[derive(Debug)]
pub struct RowArena {
    suffix: [u8; 8],
    bytes: Vec<u8>,
    index: Vec<(usize, usize, usize)>,
}

/// Bytes before the key in a frame: its length prefix.
const KEY_AT: usize = 8;

impl RowArena {
    /// Frame and keep one row.
    pub fn push(&mut self, key: &[u8], value: &[u8]) {
        let start = self.bytes.len();
        let klen = key.len() + self.suffix.len();
        let vlen = value.len() + VALUE_HEADER_LEN;
        self.bytes.extend_from_slice(&(klen as u64).to_le_bytes());
        self.bytes.extend_from_slice(key);
        self.bytes.extend_from_slice(&self.suffix);
        self.bytes.extend_from_slice(&(vlen as u64).to_le_bytes());
        // flags 0 (live, cleartext), expire_at 0.
        self.bytes.extend_from_slice(&[0u8; VALUE_HEADER_LEN]);
        self.bytes.extend_from_slice(value);
        self.index
            .push((start, klen, self.bytes.len().saturating_sub(start)));
    }

    /// The encoded key (user key ++ suffix) of index entry `e`.
    fn key(&self, e: &(usize, usize, usize)) -> &[u8] {
        self.bytes
            .get(e.0 + KEY_AT..e.0 + KEY_AT + e.1)
            .unwrap_or_default()
    }

    /// The whole frame of index entry `e`.
    fn frame(&self, e: &(usize, usize, usize)) -> &[u8] {
        self.bytes.get(e.0..e.0 + e.2).unwrap_or_default()
    }

    /// Rows held.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// No rows held.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }
}

/// Collects runs and writes the snapshot.
#[derive(Debug)]
pub struct Sink {
    commit_ts: u64,
    spill: Spill,
    written: u64,
    runs: Vec<Run>,
    entries: u64,
}

impl Sink {
    /// A sink that stamps every key with `commit_ts`.
    pub fn new(commit_ts: u64, spill: Spill) -> Self {
        Sink {
            commit_ts,
            spill,
            written: 0,
            runs: Vec::new(),
            entries: 0,
        }
    }

    /// An empty arena for one queue's rows, framed for this sink.
    pub fn arena(&self) -> RowArena {
        RowArena {
            suffix: (!self.commit_ts).to_be_bytes(),
            bytes: Vec::new(),
            index: Vec::new(),
        }
    }

    /// Entries added so far.
    pub fn entries(&self) -> u64 {
        self.entries
    }

    /// Add one queue's rows (from `path`, the queue directory, for errors):
    /// sort them by encoded key (user key ++ commit-ts suffix, so a user
    /// key that is a prefix of another sorts by the suffix's first byte),
    /// refuse duplicates, and spill one run per key family.
    pub fn add_queue(&mut self, path: &str, mut rows: RowArena) -> Result<(), EncodeError> {
        let mut order = std::mem::take(&mut rows.index);
        order.sort_unstable_by(|a, b| rows.key(a).cmp(rows.key(b)));
        for pair in order.windows(2) {
            if let [a, b] = pair {
                if rows.key(a) == rows.key(b) {
                    let key = rows.key(a);
                    return Err(EncodeError::DuplicateKey {
                        path: path.to_string(),
                        key: Escaped::of(
                            key.get(..key.len().saturating_sub(8)).unwrap_or_default(),
                        )
                        .to_string(),
                    });
                }
            }
        }
        let mut start = 0;
        while start < order.len() {
            let family = order
                .get(start)
                .and_then(|e| Family::split(rows.key(e)))
                .map(|f| f.0);
            let end = order
                .iter()
                .skip(start)
                .position(|e| Family::split(rows.key(e)).map(|f| f.0) != family)
                .map_or(order.len(), |n| start + n);
            self.add_run(path, &rows, order.get(start..end).unwrap_or_default())?;
            start = end;
        }
        Ok(())
    }

    fn add_run(
        &mut self,
        path: &str,
        rows: &RowArena,
        run: &[(usize, usize, usize)],
    ) -> Result<(), EncodeError> {
        let Some(first) = run.first() else {
            return Ok(());
        };
        let offset = self.written;
        for e in run {
            let key = rows.key(e);
            let frame = rows.frame(e);
            check_len(path, key, "key", key.len() as u64, MAX_KEY_LEN)?;
            // The frame is both length prefixes, the key and the value.
            let vlen = frame.len().saturating_sub(KEY_AT + key.len() + 8) as u64;
            check_len(path, key, "value of key", vlen, MAX_VALUE_LEN)?;
            match &mut self.spill {
                Spill::Mem(v) => v.extend_from_slice(frame),
                Spill::File(f) => f
                    .write_all(frame)
                    .map_err(|e| EncodeError::io("writing the spill file", e))?,
            }
            self.written += frame.len() as u64;
            self.entries += 1;
        }
        self.runs.push(Run {
            first_key: rows.key(first).to_vec(),
            offset,
            len: self.written - offset,
        });
        Ok(())
    }

    /// Write the header and every run in key order to `out`.
    pub fn finish(self, out: &mut dyn Write) -> Result<(), EncodeError> {
        let Sink {
            commit_ts,
            spill,
            mut runs,
            ..
        } = self;
        runs.sort_by(|a, b| a.first_key.cmp(&b.first_key));
        let werr = |e| EncodeError::io("writing the snapshot", e);
        out.write_all(&encode_header(commit_ts)).map_err(werr)?;
        match spill {
            Spill::Mem(bytes) => {
                for r in &runs {
                    let range = usize::try_from(r.offset)
                        .ok()
                        .zip(usize::try_from(r.offset + r.len).ok())
                        .and_then(|(a, b)| bytes.get(a..b))
                        .unwrap_or_default();
                    out.write_all(range).map_err(werr)?;
                }
            }
            Spill::File(f) => {
                let mut f = f
                    .into_inner()
                    .map_err(|e| EncodeError::io("writing the spill file", e.into_error()))?;
                let rerr = |e| EncodeError::io("reading the spill file", e);
                for r in &runs {
                    f.seek(SeekFrom::Start(r.offset)).map_err(rerr)?;
                    let copied = io::copy(&mut (&mut f).take(r.len), out).map_err(rerr)?;
                    if copied != r.len {
                        return Err(rerr(io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            "spill file shorter than written",
                        )));
                    }
                }
            }
        }
        out.flush().map_err(werr)
    }
}

fn check_len(
    path: &str,
    key: &[u8],
    what: &'static str,
    len: u64,
    limit: u64,
) -> Result<(), EncodeError> {
    if len > limit {
        let shown = key.get(..64).unwrap_or(key);
        return Err(EncodeError::EntryTooLarge {
            path: path.to_string(),
            key: Escaped::of(shown).to_string(),
            what,
            len,
            limit,
        });
    }
    Ok(())
}
