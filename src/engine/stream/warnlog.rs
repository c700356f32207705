//! Warnings in bounded memory (REQ-ENG-3): the warnings that come one per
//! entry or record (`snapshot_version_after_header`,
//! `sqs_key_value_mismatch`) are buffered up to a budget and spilled as
//! sorted runs, then merged back in the plain engine's order when they are
//! printed. A snapshot with millions of them costs disk, not memory.

use std::cmp::Ordering;
use std::io::{self, Read, Write};
use std::path::PathBuf;

use crate::run::spill::{self, Merge, RunItem, SpillDir};
use crate::warning::Warning;
use crate::Error;

/// Bytes of warnings one log keeps in memory before it spills.
pub(crate) const LOG_BUDGET: usize = 4 << 20;

/// A warning that can be spilled: converts to and from [`Warning`].
pub(crate) trait LogItem: RunItem {
    /// `None` if `w` is not of this item's kind.
    fn from_warning(w: Warning) -> Option<Self>;
    fn into_warning(self) -> Warning;
    /// Bytes it holds (for the budget).
    fn size(&self) -> usize;
}

/// `snapshot_version_after_header`, sorted by (user key, commit ts).
#[derive(Debug, Default, Clone)]
pub(crate) struct AfterHeader {
    key_hex: Vec<u8>,
    commit_ts: u64,
    last_commit_ts: u64,
}

impl RunItem for AfterHeader {
    fn write(&self, w: &mut impl Write) -> io::Result<()> {
        spill::put_bytes(w, &self.key_hex)?;
        spill::put_u64(w, self.commit_ts)?;
        spill::put_u64(w, self.last_commit_ts)
    }

    fn read(&mut self, r: &mut impl Read) -> io::Result<bool> {
        if !spill::get_bytes_or_eof(r, &mut self.key_hex)? {
            return Ok(false);
        }
        self.commit_ts = spill::get_u64(r)?;
        self.last_commit_ts = spill::get_u64(r)?;
        Ok(true)
    }

    /// Lowercase hex sorts as the key bytes do.
    fn order(&self, other: &Self) -> Ordering {
        (&self.key_hex, self.commit_ts).cmp(&(&other.key_hex, other.commit_ts))
    }
}

impl LogItem for AfterHeader {
    fn from_warning(w: Warning) -> Option<Self> {
        match w {
            Warning::VersionAfterHeader {
                key_hex,
                commit_ts,
                last_commit_ts,
            } => Some(AfterHeader {
                key_hex: key_hex.into_bytes(),
                commit_ts,
                last_commit_ts,
            }),
            _ => None,
        }
    }

    fn into_warning(self) -> Warning {
        Warning::VersionAfterHeader {
            key_hex: String::from_utf8_lossy(&self.key_hex).into_owned(),
            commit_ts: self.commit_ts,
            last_commit_ts: self.last_commit_ts,
        }
    }

    fn size(&self) -> usize {
        self.key_hex.len() + std::mem::size_of::<Self>()
    }
}

/// `sqs_key_value_mismatch`, sorted by user key; one record's warnings
/// keep their order (the sorts and the merge are stable).
#[derive(Debug, Default, Clone)]
pub(crate) struct Mismatch {
    key_hex: Vec<u8>,
    /// 0: `queue_generation`, 1: `message_id`.
    field: u8,
    key_says: Vec<u8>,
    value_says: Vec<u8>,
}

const MISMATCH_FIELDS: [&str; 2] = ["queue_generation", "message_id"];

impl RunItem for Mismatch {
    fn write(&self, w: &mut impl Write) -> io::Result<()> {
        spill::put_bytes(w, &self.key_hex)?;
        spill::put_u64(w, u64::from(self.field))?;
        spill::put_bytes(w, &self.key_says)?;
        spill::put_bytes(w, &self.value_says)
    }

    fn read(&mut self, r: &mut impl Read) -> io::Result<bool> {
        if !spill::get_bytes_or_eof(r, &mut self.key_hex)? {
            return Ok(false);
        }
        self.field = u8::try_from(spill::get_u64(r)?)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "bad warning field"))?;
        spill::get_bytes(r, &mut self.key_says)?;
        spill::get_bytes(r, &mut self.value_says)?;
        Ok(true)
    }

    fn order(&self, other: &Self) -> Ordering {
        self.key_hex.cmp(&other.key_hex)
    }
}

impl LogItem for Mismatch {
    fn from_warning(w: Warning) -> Option<Self> {
        match w {
            Warning::KeyValueMismatch {
                key_hex,
                field,
                key_says,
                value_says,
            } => Some(Mismatch {
                key_hex: key_hex.into_bytes(),
                field: u8::try_from(MISMATCH_FIELDS.iter().position(|f| *f == field)?).ok()?,
                key_says: key_says.into_bytes(),
                value_says: value_says.into_bytes(),
            }),
            _ => None,
        }
    }

    fn into_warning(self) -> Warning {
        let text = |b: Vec<u8>| {
            String::from_utf8(b)
                .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
        };
        Warning::KeyValueMismatch {
            key_hex: text(self.key_hex),
            field: MISMATCH_FIELDS
                .get(usize::from(self.field))
                .copied()
                .unwrap_or("message_id"),
            key_says: text(self.key_says),
            value_says: text(self.value_says),
        }
    }

    fn size(&self) -> usize {
        self.key_hex.len()
            + self.key_says.len()
            + self.value_says.len()
            + std::mem::size_of::<Self>()
    }
}

/// Warnings of one kind: a buffer plus sorted runs in their own spill
/// directory, which is created on the first spill.
#[derive(Debug)]
pub(crate) struct Log<T> {
    dir: PathBuf,
    spill: Option<SpillDir>,
    items: Vec<T>,
    bytes: usize,
    budget: usize,
    runs: Vec<PathBuf>,
    count: u64,
}

impl<T: LogItem> Log<T> {
    pub(crate) fn new(dir: PathBuf, budget: usize) -> Self {
        Log {
            dir,
            spill: None,
            items: Vec::new(),
            bytes: 0,
            budget,
            runs: Vec::new(),
            count: 0,
        }
    }

    /// Add a warning of this log's kind (others are ignored).
    // REQ-ENG-3
    pub(crate) fn push(&mut self, w: Warning) -> Result<(), Error> {
        let Some(item) = T::from_warning(w) else {
            return Ok(());
        };
        self.bytes = self.bytes.saturating_add(item.size());
        self.items.push(item);
        self.count += 1;
        if self.bytes > self.budget {
            self.spill_items()?;
        }
        Ok(())
    }

    fn spill_items(&mut self) -> Result<(), Error> {
        if self.items.is_empty() {
            return Ok(());
        }
        let spill = match self.spill.as_mut() {
            Some(s) => s,
            None => self.spill.insert(SpillDir::create(self.dir.clone())?),
        };
        self.items.sort_by(|a, b| a.order(b));
        let path = spill::write_run(spill, "warnings", self.items.iter())?;
        self.runs.push(path);
        self.items = Vec::new();
        self.bytes = 0;
        Ok(())
    }

    /// Sort what is left; merge down to at most [`spill::MERGE_FAN_IN`]
    /// runs.
    pub(crate) fn seal(mut self) -> Result<Sealed<T>, Error> {
        self.items.sort_by(|a, b| a.order(b));
        let runs = match self.spill.as_mut() {
            Some(s) => spill::reduce_runs::<T>(s, "warnings", std::mem::take(&mut self.runs))?,
            None => Vec::new(),
        };
        Ok(Sealed {
            spill: self.spill,
            items: self.items,
            runs,
            count: self.count,
        })
    }

    /// Drop everything, spill files included.
    pub(crate) fn discard(self) {
        if let Some(s) = self.spill {
            s.remove();
        }
    }
}

/// A sealed log: sorted runs plus the sorted in-memory tail.
#[derive(Debug)]
pub(crate) struct Sealed<T> {
    spill: Option<SpillDir>,
    items: Vec<T>,
    runs: Vec<PathBuf>,
    count: u64,
}

impl<T> Default for Sealed<T> {
    fn default() -> Self {
        Sealed {
            spill: None,
            items: Vec::new(),
            runs: Vec::new(),
            count: 0,
        }
    }
}

impl<T: LogItem + Clone> Sealed<T> {
    /// Hand every warning, in order, to `f`; then remove the spill files.
    fn drain(self, f: &mut dyn FnMut(Warning)) -> Result<(), Error> {
        let Sealed {
            spill,
            items,
            runs,
            count: _,
        } = self;
        let mut merge = Merge::<T>::open_with(&runs, Some(spill::vec_source(items)))?;
        while let Some(item) = merge.next_item()? {
            f(item.clone().into_warning());
        }
        drop(merge);
        if let Some(s) = spill {
            s.remove();
        }
        Ok(())
    }
}

/// Every warning of a stream-engine run, in the plain engine's order:
/// after-header warnings, key/value mismatches, then the rest (orphans,
/// stale generations, unknown families), which are few.
#[derive(Debug, Default)]
pub struct Warnings {
    after_header: Sealed<AfterHeader>,
    mismatches: Sealed<Mismatch>,
    rest: Vec<Warning>,
}

impl Warnings {
    pub(crate) fn new(
        after_header: Sealed<AfterHeader>,
        mismatches: Sealed<Mismatch>,
        rest: Vec<Warning>,
    ) -> Self {
        Warnings {
            after_header,
            mismatches,
            rest,
        }
    }

    /// How many warnings there are.
    pub fn len(&self) -> u64 {
        self.after_header.count + self.mismatches.count + self.rest.len() as u64
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Hand every warning, in order, to `f`, reading spilled ones back
    /// from disk.
    pub fn for_each(self, mut f: impl FnMut(Warning)) -> Result<(), Error> {
        self.after_header.drain(&mut f)?;
        self.mismatches.drain(&mut f)?;
        for w in self.rest {
            f(w);
        }
        Ok(())
    }

    /// All warnings in a vector (tests: unbounded).
    pub fn collect(self) -> Result<Vec<Warning>, Error> {
        let mut all = Vec::new();
        self.for_each(|w| all.push(w))?;
        Ok(all)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn after(key: &str, ts: u64) -> Warning {
        Warning::VersionAfterHeader {
            key_hex: key.to_owned(),
            commit_ts: ts,
            last_commit_ts: 5,
        }
    }

    fn mismatch(key: &str, field: &'static str, says: &str) -> Warning {
        Warning::KeyValueMismatch {
            key_hex: key.to_owned(),
            field,
            key_says: says.to_owned(),
            value_says: format!("not {says}"),
        }
    }

    fn spill_files(dir: &std::path::Path) -> usize {
        std::fs::read_dir(dir).map_or(0, |d| d.count())
    }

    /// REQ-ENG-3: a warning's size is its bytes plus its fixed part.
    #[test]
    fn an_item_counts_its_bytes_and_its_fixed_part() {
        let a = AfterHeader::from_warning(after("abcd", 1)).unwrap();
        assert_eq!(a.size(), 4 + std::mem::size_of::<AfterHeader>());
        let m = Mismatch::from_warning(mismatch("ab", "message_id", "xyz")).unwrap();
        assert_eq!(m.size(), 2 + 3 + 7 + std::mem::size_of::<Mismatch>());
        // Each log takes only its own kind.
        assert!(AfterHeader::from_warning(mismatch("ab", "message_id", "x")).is_none());
        assert!(Mismatch::from_warning(after("ab", 1)).is_none());
        assert!(Mismatch::from_warning(mismatch("ab", "other", "x")).is_none());
    }

    /// REQ-ENG-3: a log keeps at most its budget in memory; it spills as
    /// soon as its bytes pass the budget and not before, and its spill
    /// files are gone once it is drained or discarded.
    #[test]
    fn a_log_spills_when_its_bytes_pass_the_budget() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("after");
        let item = AfterHeader::from_warning(after("aa", 1)).unwrap().size();
        let mut log = Log::<AfterHeader>::new(dir.clone(), 2 * item);
        log.push(after("bb", 2)).unwrap();
        log.push(after("aa", 9)).unwrap();
        // Exactly at the budget: still in memory.
        assert_eq!(
            (log.runs.len(), log.items.len(), log.bytes),
            (0, 2, 2 * item)
        );
        assert!(!dir.exists());
        log.push(after("aa", 1)).unwrap();
        assert_eq!((log.runs.len(), log.items.len(), log.bytes), (1, 0, 0));
        assert_eq!(spill_files(&dir), 1);
        // Warnings of another kind are not this log's.
        log.push(mismatch("00", "message_id", "x")).unwrap();
        log.push(after("ab", 4)).unwrap();
        assert_eq!((log.count, log.items.len()), (4, 1));

        let sealed = log.seal().unwrap();
        let warnings = Warnings::new(
            sealed,
            Sealed::default(),
            vec![mismatch("ff", "message_id", "y")],
        );
        assert_eq!(warnings.len(), 5);
        assert!(!warnings.is_empty());
        let all = warnings.collect().unwrap();
        assert_eq!(
            all,
            vec![
                after("aa", 1),
                after("aa", 9),
                after("ab", 4),
                after("bb", 2),
                mismatch("ff", "message_id", "y")
            ]
        );
        assert!(!dir.exists(), "drained: spill files removed");

        let mut log = Log::<AfterHeader>::new(dir.clone(), 0);
        log.push(after("aa", 1)).unwrap();
        assert_eq!(spill_files(&dir), 1);
        log.discard();
        assert!(!dir.exists(), "discarded: spill files removed");
    }

    /// REQ-ENG-3: mismatches come back from spill files whole and in key
    /// order, one record's warnings in their order; `len` counts every kind.
    #[test]
    fn spilled_mismatches_come_back_whole_and_in_order() {
        let tmp = tempfile::tempdir().unwrap();
        let mut log = Log::<Mismatch>::new(tmp.path().join("m"), 0);
        let ws = [
            mismatch("bb", "queue_generation", "2"),
            mismatch("bb", "message_id", "m1"),
            mismatch("aa", "message_id", "m0"),
        ];
        for w in ws.iter().cloned() {
            log.push(w).unwrap();
        }
        log.push(after("00", 1)).unwrap();
        assert_eq!((log.count, log.runs.len()), (3, 3));
        let mut after_log = Log::<AfterHeader>::new(tmp.path().join("a"), 1 << 20);
        after_log.push(after("cc", 3)).unwrap();
        let warnings = Warnings::new(after_log.seal().unwrap(), log.seal().unwrap(), Vec::new());
        assert_eq!(warnings.len(), 4);
        let all = warnings.collect().unwrap();
        assert_eq!(
            all,
            vec![after("cc", 3), ws[2].clone(), ws[0].clone(), ws[1].clone()]
        );
        assert!(Warnings::default().is_empty());
        assert_eq!(Warnings::default().len(), 0);
    }
}
