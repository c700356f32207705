//! Spill files: sorted runs written inside the staging directory, and the
//! k-way merge that reads them back. The stream engine sorts message lines
//! and versions through them (REQ-ENG-3), `encode` its rows and message
//! ids (REQ-ENC-17).
//!
//! A run is a sequence of items of one [`RunItem`] type, each written with
//! explicit little-endian lengths. Runs are only ever read by the process
//! that wrote them, but every length is still checked before anything is
//! allocated, so a damaged spill file is an I/O error, never a panic.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::fs::{self, File};
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use crate::Error;

/// Buffer size of one run reader during a merge.
pub(crate) const RUN_READ_BUFFER: usize = 128 * 1024;
/// Buffer size of a run writer.
pub(crate) const RUN_WRITE_BUFFER: usize = 1 << 20;
/// Most runs merged at once; more are first merged down in passes, so the
/// merge's buffers stay within `MERGE_FAN_IN * RUN_READ_BUFFER`.
pub(crate) const MERGE_FAN_IN: usize = 64;
/// Longest field a spill file may declare (a message line of the largest
/// value, escaped, stays far below this).
const MAX_FIELD: u64 = 4 << 30;

/// The directory that holds every spill file of one attempt. It lives
/// inside the staging directory and is removed with it.
#[derive(Debug)]
pub(crate) struct SpillDir {
    dir: PathBuf,
    next: u64,
}

impl SpillDir {
    /// Create `dir` (it must not exist).
    pub(crate) fn create(dir: PathBuf) -> Result<Self, Error> {
        fs::create_dir(&dir).map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
        Ok(SpillDir { dir, next: 0 })
    }

    /// A new, empty spill file.
    pub(crate) fn new_file(&mut self, what: &str) -> Result<(PathBuf, BufWriter<File>), Error> {
        let (path, file) = self.new_unbuffered(what)?;
        Ok((path, BufWriter::with_capacity(RUN_WRITE_BUFFER, file)))
    }

    /// A new, empty spill file, for a writer that brings its own buffer.
    pub(crate) fn new_unbuffered(&mut self, what: &str) -> Result<(PathBuf, File), Error> {
        self.next += 1;
        let path = self.dir.join(format!("{what}-{:06}", self.next));
        let file = File::options()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| Error::io(format!("creating spill file {}", path.display()), e))?;
        Ok((path, file))
    }

    /// Remove the whole directory (best effort; the staging directory is
    /// removed anyway).
    pub(crate) fn remove(self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// An item of a sorted run.
pub(crate) trait RunItem: Default {
    /// Append the item to a run.
    fn write(&self, w: &mut impl Write) -> io::Result<()>;
    /// Read the next item into `self`; `false` at a clean end of the run.
    fn read(&mut self, r: &mut impl Read) -> io::Result<bool>;
    /// The run order.
    fn order(&self, other: &Self) -> Ordering;
}

pub(crate) fn spill_io(path: &Path, e: io::Error) -> Error {
    Error::io(format!("spill file {}", path.display()), e)
}

/// Write `items` (already sorted) as one run.
pub(crate) fn write_run<'a, T: RunItem + 'a>(
    spill: &mut SpillDir,
    what: &str,
    items: impl Iterator<Item = &'a T>,
) -> Result<PathBuf, Error> {
    let (path, mut w) = spill.new_file(what)?;
    for item in items {
        item.write(&mut w).map_err(|e| spill_io(&path, e))?;
    }
    w.flush().map_err(|e| spill_io(&path, e))?;
    Ok(path)
}

pub(crate) fn put_u64(w: &mut impl Write, v: u64) -> io::Result<()> {
    w.write_all(&v.to_le_bytes())
}

pub(crate) fn put_bytes(w: &mut impl Write, b: &[u8]) -> io::Result<()> {
    put_u64(w, b.len() as u64)?;
    w.write_all(b)
}

/// Read a u64; `Ok(None)` on a clean EOF before its first byte.
pub(crate) fn get_u64_or_eof(r: &mut impl Read) -> io::Result<Option<u64>> {
    let mut buf = [0u8; 8];
    let mut n = 0;
    while n < 8 {
        let rest = buf.get_mut(n..).unwrap_or_default();
        match r.read(rest) {
            Ok(0) if n == 0 => return Ok(None),
            Ok(0) => {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "short spill item",
                ))
            }
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(Some(u64::from_le_bytes(buf)))
}

pub(crate) fn get_u64(r: &mut impl Read) -> io::Result<u64> {
    let mut buf = [0u8; 8];
    r.read_exact(&mut buf)?;
    Ok(u64::from_le_bytes(buf))
}

/// Read a length-prefixed field into `out` (cleared first); `Ok(false)` on
/// a clean EOF before it.
pub(crate) fn get_bytes_or_eof(r: &mut impl Read, out: &mut Vec<u8>) -> io::Result<bool> {
    let Some(len) = get_u64_or_eof(r)? else {
        return Ok(false);
    };
    read_field(r, len, out)?;
    Ok(true)
}

/// Read a length-prefixed field into `out` (cleared first).
pub(crate) fn get_bytes(r: &mut impl Read, out: &mut Vec<u8>) -> io::Result<()> {
    let len = get_u64(r)?;
    read_field(r, len, out)
}

fn read_field(r: &mut impl Read, len: u64, out: &mut Vec<u8>) -> io::Result<()> {
    if len > MAX_FIELD {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "spill field too long",
        ));
    }
    out.clear();
    let got = r.take(len).read_to_end(out)?;
    if (got as u64) < len {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "short spill field",
        ));
    }
    Ok(())
}

/// One run being read during a merge.
struct Head<T> {
    item: T,
    src: usize,
}

impl<T: RunItem> PartialEq for Head<T> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl<T: RunItem> Eq for Head<T> {}
impl<T: RunItem> PartialOrd for Head<T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<T: RunItem> Ord for Head<T> {
    /// Reversed, so that [`BinaryHeap`] pops the smallest item; equal
    /// items come from the earlier run first.
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .item
            .order(&self.item)
            .then_with(|| other.src.cmp(&self.src))
    }
}

/// An in-memory source of a merge: fills the item, `false` when done.
pub(crate) type MemSource<'a, T> = Box<dyn FnMut(&mut T) -> Result<bool, Error> + 'a>;

/// The in-memory source that yields `items` in order, moving each out.
pub(crate) fn vec_source<'a, T: 'a>(items: Vec<T>) -> MemSource<'a, T> {
    let mut items = items.into_iter();
    Box::new(move |item: &mut T| Ok(items.next().map(|next| *item = next).is_some()))
}

/// A k-way merge over run files (and at most one in-memory source, which
/// comes last), yielding items in run order.
pub(crate) struct Merge<'a, T> {
    readers: Vec<(PathBuf, BufReader<File>)>,
    mem: Option<MemSource<'a, T>>,
    heap: BinaryHeap<Head<T>>,
    /// The source whose next item must be read before the next pop.
    pending: Option<usize>,
    spare: Option<T>,
}

impl<'a, T: RunItem> Merge<'a, T> {
    /// Open every run (at most [`MERGE_FAN_IN`] of them).
    pub(crate) fn open(runs: &[PathBuf]) -> Result<Self, Error> {
        Self::open_with(runs, None)
    }

    /// Open every run, plus an in-memory source.
    pub(crate) fn open_with(
        runs: &[PathBuf],
        mem: Option<MemSource<'a, T>>,
    ) -> Result<Self, Error> {
        let mut merge = Merge {
            readers: Vec::with_capacity(runs.len()),
            mem,
            heap: BinaryHeap::with_capacity(runs.len() + 1),
            pending: None,
            spare: None,
        };
        for path in runs {
            let file = File::open(path).map_err(|e| spill_io(path, e))?;
            merge.readers.push((
                path.clone(),
                BufReader::with_capacity(RUN_READ_BUFFER, file),
            ));
        }
        let sources = merge.readers.len() + usize::from(merge.mem.is_some());
        for src in 0..sources {
            let mut item = T::default();
            if merge.fill(src, &mut item)? {
                merge.heap.push(Head { item, src });
            }
        }
        Ok(merge)
    }

    fn fill(&mut self, src: usize, item: &mut T) -> Result<bool, Error> {
        match self.readers.get_mut(src) {
            Some((path, r)) => item.read(r).map_err(|e| spill_io(path, e)),
            None => match self.mem.as_mut() {
                Some(f) => f(item),
                None => Ok(false),
            },
        }
    }

    /// The next item in order, or `None` when every source is exhausted.
    /// The reference is valid until the next call.
    pub(crate) fn next_item(&mut self) -> Result<Option<&T>, Error> {
        if let Some(src) = self.pending.take() {
            let mut item = self.spare.take().unwrap_or_default();
            if self.fill(src, &mut item)? {
                self.heap.push(Head { item, src });
            }
        }
        match self.heap.pop() {
            None => Ok(None),
            Some(head) => {
                self.pending = Some(head.src);
                self.spare = Some(head.item);
                Ok(self.spare.as_ref())
            }
        }
    }
}

/// Merge runs down until at most [`MERGE_FAN_IN`] remain, so the final
/// merge never holds more than that many files and buffers open.
// REQ-ENG-3
pub(crate) fn reduce_runs<T: RunItem>(
    spill: &mut SpillDir,
    what: &str,
    runs: Vec<PathBuf>,
) -> Result<Vec<PathBuf>, Error> {
    reduce_runs_to::<T>(spill, what, runs, MERGE_FAN_IN)
}

/// [`reduce_runs`] down to `fan_in` runs (at least 2, at most
/// [`MERGE_FAN_IN`]): a merge holds one item per run, so runs of large
/// items are merged fewer at a time (REQ-ENG-6).
pub(crate) fn reduce_runs_to<T: RunItem>(
    spill: &mut SpillDir,
    what: &str,
    mut runs: Vec<PathBuf>,
    fan_in: usize,
) -> Result<Vec<PathBuf>, Error> {
    let fan_in = fan_in.clamp(2, MERGE_FAN_IN);
    while runs.len() > fan_in {
        let batch: Vec<PathBuf> = runs.drain(..fan_in).collect();
        let (path, mut w) = spill.new_file(what)?;
        {
            let mut merge = Merge::<T>::open(&batch)?;
            while let Some(item) = merge.next_item()? {
                item.write(&mut w).map_err(|e| spill_io(&path, e))?;
            }
        }
        w.flush().map_err(|e| spill_io(&path, e))?;
        for old in &batch {
            let _ = fs::remove_file(old);
        }
        // The merged run holds the earliest items of equal keys, so it
        // goes first to keep the merge stable.
        runs.insert(0, path);
    }
    Ok(runs)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A number, as a run item.
    #[derive(Debug, Default, Clone, PartialEq)]
    struct Num(u64);

    impl RunItem for Num {
        fn write(&self, w: &mut impl Write) -> io::Result<()> {
            put_u64(w, self.0)
        }

        fn read(&mut self, r: &mut impl Read) -> io::Result<bool> {
            Ok(get_u64_or_eof(r)?.map(|v| self.0 = v).is_some())
        }

        fn order(&self, other: &Self) -> Ordering {
            self.0.cmp(&other.0)
        }
    }

    // REQ-ENG-3: runs are merged down, MERGE_FAN_IN at a time, only while
    // there are more than MERGE_FAN_IN, so the final merge never holds
    // more files open and no pass is made that is not needed; every item
    // is still there, in order.
    #[test]
    fn runs_are_merged_down_to_the_fan_in_and_no_further() {
        for (n, left) in [(1, 1), (64, 64), (65, 2), (127, 64), (128, 2)] {
            let tmp = tempfile::tempdir().unwrap();
            let mut spill = SpillDir::create(tmp.path().join("spill")).unwrap();
            // Run i holds i and i + n, so every run is needed for the order.
            let runs: Vec<PathBuf> = (0..n)
                .map(|i| write_run(&mut spill, "nums", [Num(i), Num(i + n)].iter()).unwrap())
                .collect();
            let runs = reduce_runs::<Num>(&mut spill, "nums", runs).unwrap();
            assert_eq!(runs.len(), left, "{n} runs");
            let mut merge = Merge::<Num>::open(&runs).unwrap();
            let mut all = Vec::new();
            while let Some(item) = merge.next_item().unwrap() {
                all.push(item.0);
            }
            assert_eq!(all, (0..2 * n).collect::<Vec<_>>(), "{n} runs");
        }
    }

    /// Hands out its steps in order: bytes, or an error of a kind.
    struct Steps(Vec<Result<Vec<u8>, io::ErrorKind>>);

    impl Read for Steps {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.0.is_empty() {
                return Ok(0);
            }
            match self.0.remove(0) {
                Ok(bytes) => {
                    let n = bytes.len().min(buf.len());
                    buf[..n].copy_from_slice(&bytes[..n]);
                    Ok(n)
                }
                Err(kind) => Err(io::Error::new(kind, "step")),
            }
        }
    }

    #[test]
    fn a_run_ends_cleanly_only_on_an_item_boundary() {
        assert_eq!(get_u64_or_eof(&mut Steps(vec![])).unwrap(), None);
        let seven = 7u64.to_le_bytes().to_vec();
        let got = get_u64_or_eof(&mut Steps(vec![
            Ok(seven[..3].to_vec()),
            Ok(seven[3..].to_vec()),
        ]));
        assert_eq!(got.unwrap(), Some(7));
        // A run cut inside a number is an error, not the end of the run
        // (its remaining items would be lost).
        let err = get_u64_or_eof(&mut Steps(vec![Ok(seven[..3].to_vec())])).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
    }

    #[test]
    fn a_field_longer_than_the_limit_is_refused_before_reading_it() {
        let mut out = Vec::new();
        let too_long = (MAX_FIELD + 1).to_le_bytes().to_vec();
        let err = get_bytes(&mut Steps(vec![Ok(too_long)]), &mut out).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        // At the limit, the field is read (here it is cut short).
        let at_limit = MAX_FIELD.to_le_bytes().to_vec();
        let err = get_bytes(
            &mut Steps(vec![Ok(at_limit), Ok(b"abc".to_vec())]),
            &mut out,
        )
        .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
        assert_eq!(out, b"abc");
    }

    #[test]
    fn reading_a_run_retries_interruptions_and_reports_other_errors() {
        let seven = 7u64.to_le_bytes().to_vec();
        let got = get_u64_or_eof(&mut Steps(vec![
            Err(io::ErrorKind::Interrupted),
            Ok(seven.clone()),
        ]));
        assert_eq!(got.unwrap(), Some(7));
        let err =
            get_u64_or_eof(&mut Steps(vec![Err(io::ErrorKind::Other), Ok(seven)])).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::Other);
    }
}
