//! Step 4 of `encode`: rows → the `.fsm` stream in Pebble order with
//! bounded memory (REQ-ENC-10).
//!
//! Rows arrive one queue at a time. Each queue's rows are sorted and cut
//! into *runs*, one per key family; a run is framed (MVCC key suffix,
//! 9-byte value header, length prefixes) and appended to a spill store,
//! and only its first key stays in memory. The runs of different queues
//! never interleave in key order: every key of a run starts with the
//! family prefix, the queue's base64url segment and a byte that no
//! base64url segment holds (the `0x00` of the big-endian generation, or
//! the partitioned layout's `|`), so two runs' key sets are disjoint
//! intervals. Sorting the runs by first key and copying them in that order
//! therefore writes every entry in ascending key order, as Pebble's
//! iterator (and upstream's sorted builder) writes it.
//!
//! Peak memory is one queue's rows plus one first key per run.

use std::io::{self, Read, Seek, SeekFrom, Write};

use super::error::EncodeError;
use super::rows::Row;
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

/// Collects runs and writes the snapshot.
#[derive(Debug)]
pub struct Sink {
    commit_ts: u64,
    spill: Spill,
    written: u64,
    runs: Vec<Run>,
    entries: u64,
    frame: Vec<u8>,
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
            frame: Vec::new(),
        }
    }

    /// Entries added so far.
    pub fn entries(&self) -> u64 {
        self.entries
    }

    /// Add one queue's rows (from `path`, the queue directory, for errors).
    pub fn add_queue(&mut self, path: &str, mut rows: Vec<Row>) -> Result<(), EncodeError> {
        // Order by the encoded key (user key ++ commit-ts suffix): a user
        // key that is a prefix of another sorts by the suffix's first byte.
        let suffix = (!self.commit_ts).to_be_bytes();
        rows.sort_unstable_by(|a, b| cmp_encoded(&a.0, &b.0, &suffix));
        for pair in rows.windows(2) {
            if let [a, b] = pair {
                if a.0 == b.0 {
                    return Err(EncodeError::DuplicateKey {
                        path: path.to_string(),
                        key: Escaped::of(&a.0).to_string(),
                    });
                }
            }
        }
        let mut start = 0;
        while start < rows.len() {
            let family = rows
                .get(start)
                .and_then(|r| Family::split(&r.0))
                .map(|f| f.0);
            let end = rows
                .iter()
                .skip(start)
                .position(|r| Family::split(&r.0).map(|f| f.0) != family)
                .map_or(rows.len(), |n| start + n);
            self.add_run(path, rows.get(start..end).unwrap_or_default())?;
            start = end;
        }
        Ok(())
    }

    fn add_run(&mut self, path: &str, run: &[Row]) -> Result<(), EncodeError> {
        let Some(first) = run.first() else {
            return Ok(());
        };
        let offset = self.written;
        let suffix = (!self.commit_ts).to_be_bytes();
        for (key, value) in run {
            let klen = key.len() as u64 + suffix.len() as u64;
            check_len(path, key, "key", klen, MAX_KEY_LEN)?;
            check_len(
                path,
                key,
                "value of key",
                value.len() as u64 + VALUE_HEADER_LEN as u64,
                MAX_VALUE_LEN,
            )?;
            self.frame.clear();
            self.frame.extend_from_slice(&klen.to_le_bytes());
            self.frame.extend_from_slice(key);
            self.frame.extend_from_slice(&suffix);
            let vlen = value.len() as u64 + VALUE_HEADER_LEN as u64;
            self.frame.extend_from_slice(&vlen.to_le_bytes());
            // flags 0 (live, cleartext), expire_at 0.
            self.frame.extend_from_slice(&[0u8; VALUE_HEADER_LEN]);
            match &mut self.spill {
                Spill::Mem(v) => {
                    v.extend_from_slice(&self.frame);
                    v.extend_from_slice(value);
                }
                Spill::File(f) => {
                    f.write_all(&self.frame)
                        .and_then(|()| f.write_all(value))
                        .map_err(|e| EncodeError::io("writing the spill file", e))?;
                }
            }
            self.written += self.frame.len() as u64 + value.len() as u64;
            self.entries += 1;
        }
        let mut first_key = first.0.clone();
        first_key.extend_from_slice(&suffix);
        self.runs.push(Run {
            first_key,
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

/// Compare `a ++ suffix` with `b ++ suffix` without building them.
fn cmp_encoded(a: &[u8], b: &[u8], suffix: &[u8]) -> std::cmp::Ordering {
    let n = a.len().min(b.len());
    let (ha, ta) = a.split_at(n);
    let (hb, tb) = b.split_at(n);
    ha.cmp(hb)
        .then_with(|| ta.iter().chain(suffix).cmp(tb.iter().chain(suffix)))
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
