//! The message ids of one `messages.jsonl`, checked for duplicates
//! within a memory budget (REQ-ENC-4, REQ-ENC-17).
//!
//! Each id is recorded with its line. The duplicate to report is the one
//! a reader holding every id would meet first: the smallest line whose id
//! appeared before, together with that id's first line. It is found by
//! sorting (id, line) pairs: in the buffer while they fit the budget, and
//! through sorted runs in the spill directory and a k-way merge beyond
//! it.

use std::cmp::Ordering;
use std::io::{self, Read, Write};
use std::path::PathBuf;

use crate::run::spill::{self, MemSource, Merge, RunItem, SpillDir};
use crate::run::Control;
use crate::Error;

/// One recorded id: where it is in [`IdSet::bytes`] and its line.
#[derive(Debug, Clone, Copy)]
struct Entry {
    start: usize,
    len: usize,
    line: u64,
}

const ENTRY_COST: usize = std::mem::size_of::<Entry>();

/// An id and its line, as spilled.
#[derive(Debug, Default)]
struct IdItem {
    id: Vec<u8>,
    line: u64,
}

impl RunItem for IdItem {
    fn write(&self, w: &mut impl Write) -> io::Result<()> {
        spill::put_u64(w, self.line)?;
        spill::put_bytes(w, &self.id)
    }

    fn read(&mut self, r: &mut impl Read) -> io::Result<bool> {
        let Some(line) = spill::get_u64_or_eof(r)? else {
            return Ok(false);
        };
        self.line = line;
        spill::get_bytes(r, &mut self.id)?;
        Ok(true)
    }

    fn order(&self, other: &Self) -> Ordering {
        (&self.id, self.line).cmp(&(&other.id, other.line))
    }
}

/// A duplicate id: the line that repeats it, its first line, the id.
pub(crate) type Duplicate = (usize, usize, Vec<u8>);

/// The ids of one file.
#[derive(Debug)]
pub(crate) struct IdSet {
    bytes: Vec<u8>,
    index: Vec<Entry>,
    budget: usize,
    spill: Option<SpillDir>,
    runs: Vec<PathBuf>,
    spilled: u64,
}

impl IdSet {
    /// Hold about `budget` bytes of ids before spilling a sorted run into
    /// `spill` (never, without a spill directory).
    pub(crate) fn new(budget: usize, spill: Option<SpillDir>) -> Self {
        let budget = if spill.is_some() { budget } else { usize::MAX };
        IdSet {
            bytes: Vec::new(),
            index: Vec::new(),
            budget,
            spill,
            runs: Vec::new(),
            spilled: 0,
        }
    }

    /// Forget every id (the next file starts); its spill files are
    /// removed.
    pub(crate) fn reset(&mut self) {
        self.bytes.clear();
        self.index.clear();
        for run in self.runs.drain(..) {
            let _ = std::fs::remove_file(run);
        }
    }

    /// Sorted runs spilled so far, over all files.
    pub(crate) fn spilled(&self) -> u64 {
        self.spilled
    }

    /// Record `id` at `line`.
    pub(crate) fn insert(&mut self, id: &[u8], line: usize) -> Result<(), Error> {
        let used = self
            .bytes
            .len()
            .saturating_add(self.index.len().saturating_mul(ENTRY_COST));
        if !self.index.is_empty() && used.saturating_add(id.len() + ENTRY_COST) > self.budget {
            self.spill_buffer()?;
        }
        let start = self.bytes.len();
        self.bytes.extend_from_slice(id);
        self.index.push(Entry {
            start,
            len: id.len(),
            line: line as u64,
        });
        Ok(())
    }

    fn id(&self, e: &Entry) -> &[u8] {
        self.bytes.get(e.start..e.start + e.len).unwrap_or_default()
    }

    fn sort(&mut self) {
        let mut index = std::mem::take(&mut self.index);
        index.sort_unstable_by(|a, b| (self.id(a), a.line).cmp(&(self.id(b), b.line)));
        self.index = index;
    }

    fn spill_buffer(&mut self) -> Result<(), Error> {
        self.sort();
        let Some(dir) = self.spill.as_mut() else {
            return Ok(());
        };
        let (path, mut w) = dir.new_file("ids")?;
        for e in &self.index {
            let id = self.bytes.get(e.start..e.start + e.len).unwrap_or_default();
            spill::put_u64(&mut w, e.line)
                .and_then(|()| spill::put_bytes(&mut w, id))
                .map_err(|err| spill::spill_io(&path, err))?;
        }
        w.flush().map_err(|err| spill::spill_io(&path, err))?;
        self.runs.push(path);
        self.spilled += 1;
        self.bytes.clear();
        self.index.clear();
        Ok(())
    }

    /// The duplicate met first in file order among the ids recorded, if
    /// any.
    pub(crate) fn first_duplicate(&mut self, ctl: &Control) -> Result<Option<Duplicate>, Error> {
        self.sort();
        let mut scan = Scan::default();
        let runs = std::mem::take(&mut self.runs);
        match self.spill.as_mut() {
            Some(dir) if !runs.is_empty() => {
                let runs = spill::reduce_runs::<IdItem>(dir, "ids", runs)?;
                self.runs.clone_from(&runs);
                let (bytes, index) = (&self.bytes, &self.index);
                let mut next = 0usize;
                let mem: MemSource<'_, IdItem> = Box::new(move |item: &mut IdItem| {
                    let Some(e) = index.get(next) else {
                        return Ok(false);
                    };
                    next += 1;
                    item.line = e.line;
                    item.id.clear();
                    item.id
                        .extend_from_slice(bytes.get(e.start..e.start + e.len).unwrap_or_default());
                    Ok(true)
                });
                let mut merge = Merge::open_with(&runs, Some(mem))?;
                let mut n = 0u64;
                while let Some(item) = merge.next_item()? {
                    scan.item(&item.id, item.line);
                    n += 1;
                    if n % 4096 == 0 {
                        ctl.checkpoint()?;
                    }
                }
            }
            _ => {
                for e in &self.index {
                    let id = self.bytes.get(e.start..e.start + e.len).unwrap_or_default();
                    scan.item(id, e.line);
                }
            }
        }
        Ok(scan.best.map(|(second, first, id)| {
            (
                usize::try_from(second).unwrap_or(usize::MAX),
                usize::try_from(first).unwrap_or(usize::MAX),
                id,
            )
        }))
    }
}

/// Walks (id, line) pairs in order and keeps the duplicate with the
/// smallest second line.
#[derive(Debug, Default)]
struct Scan {
    prev: Option<Vec<u8>>,
    first: u64,
    seen_twice: bool,
    best: Option<(u64, u64, Vec<u8>)>,
}

impl Scan {
    fn item(&mut self, id: &[u8], line: u64) {
        match &mut self.prev {
            Some(prev) if prev.as_slice() == id => {
                if !self.seen_twice {
                    self.seen_twice = true;
                    if self.best.as_ref().map_or(true, |b| line < b.0) {
                        self.best = Some((line, self.first, id.to_vec()));
                    }
                }
            }
            Some(prev) => {
                prev.clear();
                prev.extend_from_slice(id);
                self.first = line;
                self.seen_twice = false;
            }
            None => {
                self.prev = Some(id.to_vec());
                self.first = line;
                self.seen_twice = false;
            }
        }
    }
}
