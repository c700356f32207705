//! `sqsdump encode --input dump.tar[.zst]` (REQ-ARC-10): an archive read
//! as a dump tree ([`Source`]) without unpacking it.
//!
//! The archive is read twice, each time through unpack's checked reader
//! ([`super::unpack::walk`]: safe names, regular files and directories
//! only, no duplicates, the entry, byte and stream budgets).
//!
//! 1. [`ArchiveSource::scan`] reads it whole: it records every entry,
//!    hashes every file, and copies `MANIFEST.json`, `CHECKSUMS` and each
//!    `sqs/<dir>/_queue.json` (small files, read several times and out of
//!    the archive's order) into a spill directory inside encode's staging
//!    directory, at most one byte more than encode reads of them. The
//!    entries and the files are then checked as `archive unpack` checks
//!    an extracted tree ([`super::tree::check_listed`]), every `CHECKSUMS`
//!    digest included, before anything is encoded.
//! 2. Every other file (each `messages.jsonl`) is read from the archive
//!    again when encode opens it: a reader thread walks the archive
//!    forward and streams the file asked for through a bounded channel.
//!    A file it passes on the way that has been neither streamed nor
//!    spilled yet is copied into the spill directory, where the next open
//!    finds it: encode asks for files in the order of its directory
//!    listing (`sqs/orders/` before `sqs/orders-dlq/`), which differs
//!    from the archive's bytewise order (`sqs/orders-dlq/…` first), so
//!    only such files land on disk. A file asked for again (the
//!    self-test's comparison) starts a new walk from the beginning. The
//!    bytes of every file read in this pass are hashed again and compared
//!    with the first pass's digest: an archive that changed in between
//!    fails the run.
//!
//! Memory stays within a few MiB besides the index of entries: the
//! channel holds at most [`CHANNEL_CHUNKS`] chunks of [`CHUNK`] bytes.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use sha2::{Digest, Sha256};

use super::tree::check_listed;
use super::unpack::{walk, Entry, VisitError};
use super::{Budget, ZSTD_MAGIC};
use crate::encode::error::EncodeError;
use crate::encode::tree::{Kind, Source, CHECKSUMS, MANIFEST, MAX_SMALL_FILE, QUEUE_FILE, SQS_DIR};
use crate::error::SourceFailure;
use crate::run::Control;
use crate::Error;

/// Bytes per chunk sent from the reader thread.
pub const CHUNK: usize = 256 * 1024;
/// Chunks the channel holds at most.
pub const CHANNEL_CHUNKS: usize = 4;

/// Whether the regular file `path` is an archive: it starts with the
/// zstd magic number, or its first 512 bytes are a tar header with a
/// valid checksum.
pub fn is_archive_file(path: &Path) -> io::Result<bool> {
    let mut head = Vec::with_capacity(512);
    fs::File::open(path)?.take(512).read_to_end(&mut head)?;
    if head.starts_with(&ZSTD_MAGIC) {
        return Ok(true);
    }
    Ok(<&[u8; 512]>::try_from(head.as_slice()).is_ok_and(is_tar_header))
}

/// Whether a 512-byte block is a tar header: not all zeros, and its
/// checksum field holds the checksum the `tar` crate computes for it (the
/// sum of its bytes with that field read as spaces), as its reader
/// requires.
fn is_tar_header(block: &[u8; 512]) -> bool {
    if block.iter().all(|&b| b == 0) {
        return false;
    }
    let header = tar::Header::from_byte_slice(block);
    let Ok(stored) = header.cksum() else {
        return false;
    };
    let mut computed = header.clone();
    computed.set_cksum();
    computed.cksum().is_ok_and(|sum| sum == stored)
}

/// What the reader thread sends for the file being streamed.
enum Msg {
    Data(Vec<u8>),
    End,
    Fail(Error),
}

/// One walk of the archive by a reader thread.
struct Walk {
    id: u64,
    requests: Option<Sender<String>>,
    data: Option<Receiver<Msg>>,
    /// Files this walk has streamed (or is streaming): asking for one
    /// again needs a new walk.
    streamed: BTreeSet<String>,
    /// Whether a file is being streamed and has not reached its end: a
    /// second file cannot be asked for until it has.
    active: bool,
    /// Set when the walk is dropped: the thread stops within a chunk.
    cancel: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for Walk {
    fn drop(&mut self) {
        // Closing both channels ends the thread at its next send or
        // receive, the flag within the chunk it is copying.
        self.cancel.store(true, Ordering::Relaxed);
        drop(self.requests.take());
        drop(self.data.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// What both passes share.
struct Shared {
    input: PathBuf,
    budget: Budget,
    spill_dir: PathBuf,
    /// Files the first pass did not copy: read from the archive again.
    streamed_files: BTreeSet<String>,
    /// Relative path → lowercase hex SHA-256, from the first pass.
    digests: BTreeMap<String, String>,
    /// Relative path → its copy in the spill directory.
    spilled: Mutex<BTreeMap<String, PathBuf>>,
    /// The number of the next spill file.
    next_spill: AtomicUsize,
}

/// An archive read as a dump tree (see the module doc).
pub struct ArchiveSource {
    shared: Arc<Shared>,
    /// Directory (`""`: the root) → its entries, sorted by name.
    children: BTreeMap<String, Vec<(String, Kind)>>,
    walk: RefCell<Option<Walk>>,
    walks: Cell<u64>,
}

impl std::fmt::Debug for ArchiveSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ArchiveSource")
            .field("input", &self.shared.input)
            .finish_non_exhaustive()
    }
}

/// How much of a file the first pass copies, if any: one byte more than
/// encode reads of `MANIFEST.json`, `CHECKSUMS` and `_queue.json`.
fn copy_limit(rel: &str) -> Option<u64> {
    if rel == MANIFEST || rel == CHECKSUMS {
        return Some(MAX_SMALL_FILE + 1);
    }
    let parts: Vec<&str> = rel.split('/').collect();
    match parts.as_slice() {
        [sqs, _, file] if *sqs == SQS_DIR && *file == QUEUE_FILE => {
            Some(crate::encode::MAX_QUEUE_FILE_BYTES + 1)
        }
        _ => None,
    }
}

/// Copy `entry`'s data: hash all of it, write the first `limit` bytes to
/// `copy` (if any) and everything to `send` (if any), asking `stop`
/// before each chunk. Returns the digest.
fn consume(
    entry: &mut dyn Read,
    size: u64,
    mut copy: Option<(&mut fs::File, u64)>,
    mut send: Option<&SyncSender<Msg>>,
    stop: &dyn Fn() -> Result<(), VisitError>,
) -> Result<String, VisitError> {
    let mut hasher = Sha256::new();
    let mut done = 0u64;
    let mut buf = vec![0u8; CHUNK];
    loop {
        stop()?;
        let n = match entry.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(VisitError::Read(e)),
        };
        let bytes = buf.get(..n).unwrap_or_default();
        hasher.update(bytes);
        if let Some((file, left)) = copy.as_mut() {
            let take = usize::try_from(*left).unwrap_or(usize::MAX).min(n);
            file.write_all(bytes.get(..take).unwrap_or_default())
                .map_err(|e| VisitError::Other(Error::io("writing a spill file", e)))?;
            *left -= take as u64;
        }
        if let Some(tx) = send.as_mut() {
            tx.send(Msg::Data(bytes.to_vec()))
                .map_err(|_| VisitError::Stop)?;
        }
        done += n as u64;
    }
    if done != size {
        return Err(VisitError::Read(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            format!("the entry ends after {done} of its {size} bytes"),
        )));
    }
    Ok(hex::encode(hasher.finalize()))
}

fn open_input(path: &Path) -> Result<fs::File, Error> {
    fs::File::open(path).map_err(|e| Error::io(format!("opening {}", path.display()), e))
}

fn spill_file(dir: &Path, n: usize) -> Result<(PathBuf, fs::File), Error> {
    let path = dir.join(format!("f{n}"));
    let file = crate::write::file_options()
        .open(&path)
        .map_err(|e| Error::io(format!("creating {}", path.display()), e))?;
    Ok((path, file))
}

impl ArchiveSource {
    /// The first pass (see the module doc): read and check the archive
    /// file `input` within `budget`, copying its small files into
    /// `spill_dir` (created here; the caller removes it), then check the
    /// tree as `archive unpack` does.
    pub fn scan(
        input: &Path,
        spill_dir: &Path,
        budget: Budget,
        ctl: &Control,
    ) -> Result<ArchiveSource, Error> {
        Self::scan_inner(input, spill_dir, budget, ctl)
    }

    fn scan_inner(
        input: &Path,
        spill_dir: &Path,
        budget: Budget,
        ctl: &Control,
    ) -> Result<ArchiveSource, Error> {
        crate::write::dir_builder(false)
            .create(spill_dir)
            .map_err(|e| Error::io(format!("creating {}", spill_dir.display()), e))?;
        let mut entries: BTreeMap<String, bool> = BTreeMap::new();
        let mut digests = BTreeMap::new();
        let mut spilled = BTreeMap::new();
        let mut streamed_files = BTreeSet::new();
        let stop = || ctl.interrupted().map_err(VisitError::Other);
        walk(open_input(input)?, budget, Some(ctl), |e: Entry<'_>| {
            let mut parent = e.rel;
            while let Some((up, _)) = parent.rsplit_once('/') {
                entries.entry(up.to_string()).or_insert(true);
                parent = up;
            }
            entries.insert(e.rel.to_string(), e.is_dir);
            if e.is_dir {
                return Ok(());
            }
            let digest = match copy_limit(e.rel) {
                Some(limit) => {
                    let (path, mut file) =
                        spill_file(spill_dir, spilled.len()).map_err(VisitError::Other)?;
                    let digest = consume(e.data, e.size, Some((&mut file, limit)), None, &stop)?;
                    spilled.insert(e.rel.to_string(), path);
                    digest
                }
                None => {
                    streamed_files.insert(e.rel.to_string());
                    consume(e.data, e.size, None, None, &stop)?
                }
            };
            digests.insert(e.rel.to_string(), digest);
            Ok(())
        })?;
        let mut children: BTreeMap<String, Vec<(String, Kind)>> = BTreeMap::new();
        children.insert(String::new(), Vec::new());
        for (rel, is_dir) in &entries {
            let (dir, name) = rel.rsplit_once('/').unwrap_or(("", rel));
            let kind = if *is_dir { Kind::Dir } else { Kind::File };
            children
                .entry(dir.to_string())
                .or_default()
                .push((name.to_string(), kind));
            if *is_dir {
                children.entry(rel.clone()).or_default();
            }
        }
        for list in children.values_mut() {
            list.sort();
        }
        let source = ArchiveSource {
            shared: Arc::new(Shared {
                input: input.to_path_buf(),
                budget,
                spill_dir: spill_dir.to_path_buf(),
                streamed_files,
                digests,
                next_spill: AtomicUsize::new(spilled.len()),
                spilled: Mutex::new(spilled),
            }),
            children,
            walk: RefCell::new(None),
            walks: Cell::new(0),
        };
        check_listed(entries.into_iter().collect(), &source)?;
        Ok(source)
    }

    /// Files the second pass has copied to disk so far, besides the small
    /// files of the first.
    pub fn spilled(&self) -> usize {
        self.shared
            .spilled
            .lock()
            .map(|s| s.keys().filter(|k| copy_limit(k).is_none()).count())
            .unwrap_or(0)
    }

    /// Walks of the archive the second pass has started.
    pub fn walks(&self) -> u64 {
        self.walks.get()
    }

    fn start_walk(&self) -> Result<Walk, Error> {
        let id = self.walks.get() + 1;
        self.walks.set(id);
        let (req_tx, req_rx) = mpsc::channel::<String>();
        let (data_tx, data_rx) = mpsc::sync_channel::<Msg>(CHANNEL_CHUNKS);
        let shared = Arc::clone(&self.shared);
        let cancel = Arc::new(AtomicBool::new(false));
        let cancelled = Arc::clone(&cancel);
        let thread = std::thread::Builder::new()
            .name("sqsdump-archive".to_string())
            .spawn(move || reader_thread(&shared, &req_rx, &data_tx, &cancelled))
            .map_err(|e| Error::io("starting the archive reader", e))?;
        Ok(Walk {
            id,
            requests: Some(req_tx),
            data: Some(data_rx),
            streamed: BTreeSet::new(),
            active: false,
            cancel,
            thread: Some(thread),
        })
    }
}

fn busy(what: &str) -> Error {
    Error::io(
        what.to_string(),
        io::Error::other("the archive is already being read"),
    )
}

/// The body of a reader thread: walk the archive, stream each file asked
/// for, copy the files passed on the way that are neither streamed nor
/// copied yet.
fn reader_thread(
    shared: &Shared,
    requests: &Receiver<String>,
    data: &SyncSender<Msg>,
    cancel: &AtomicBool,
) {
    let mut current: Option<String> = None;
    let mut streamed: BTreeSet<String> = BTreeSet::new();
    let stop = || {
        if cancel.load(Ordering::Relaxed) {
            Err(VisitError::Stop)
        } else {
            Ok(())
        }
    };
    let file = match open_input(&shared.input) {
        Ok(f) => f,
        Err(e) => {
            let _ = data.send(Msg::Fail(e));
            return;
        }
    };
    let result = walk(file, shared.budget, None, |e: Entry<'_>| {
        if e.is_dir || !shared.streamed_files.contains(e.rel) || streamed.contains(e.rel) {
            return Ok(());
        }
        let already = shared
            .spilled
            .lock()
            .map(|s| s.contains_key(e.rel))
            .unwrap_or(false);
        if already {
            return Ok(());
        }
        if current.is_none() {
            match requests.recv() {
                Ok(path) => current = Some(path),
                Err(_) => return Err(VisitError::Stop),
            }
        }
        let expected = shared.digests.get(e.rel).cloned().unwrap_or_default();
        let changed = |actual: &str| {
            VisitError::Other(
                EncodeError::ChecksumMismatch {
                    path: e.rel.to_string(),
                    expected: expected.clone(),
                    actual: format!("{actual} (the archive changed since it was checked)"),
                }
                .into(),
            )
        };
        if current.as_deref() == Some(e.rel) {
            let digest = consume(e.data, e.size, None, Some(data), &stop)?;
            if digest != expected {
                return Err(changed(&digest));
            }
            data.send(Msg::End).map_err(|_| VisitError::Stop)?;
            streamed.insert(e.rel.to_string());
            current = None;
            return Ok(());
        }
        let n = shared.next_spill.fetch_add(1, Ordering::Relaxed);
        let (path, mut file) = spill_file(&shared.spill_dir, n).map_err(VisitError::Other)?;
        let digest = consume(e.data, e.size, Some((&mut file, u64::MAX)), None, &stop)?;
        file.sync_all()
            .map_err(|err| VisitError::Other(Error::io("writing a spill file", err)))?;
        if digest != expected {
            return Err(changed(&digest));
        }
        if let Ok(mut s) = shared.spilled.lock() {
            s.insert(e.rel.to_string(), path);
        }
        Ok(())
    });
    match result {
        Err(e) => {
            let _ = data.send(Msg::Fail(e));
        }
        Ok(_) => {
            if let Some(path) = current.or_else(|| requests.try_recv().ok()) {
                let _ = data.send(Msg::Fail(
                    EncodeError::ChecksumMismatch {
                        path,
                        expected: "the file checked".to_string(),
                        actual: "no such file (the archive changed since it was checked)"
                            .to_string(),
                    }
                    .into(),
                ));
            }
        }
    }
}

/// A file being streamed by the current walk.
struct Streamed<'a> {
    src: &'a ArchiveSource,
    walk: u64,
    buf: Vec<u8>,
    pos: usize,
    done: bool,
}

impl Read for Streamed<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.pos >= self.buf.len() {
            if self.done {
                return Ok(0);
            }
            let walk = self
                .src
                .walk
                .try_borrow()
                .map_err(|_| io::Error::other("the archive is already being read"))?;
            let rx = match walk.as_ref() {
                Some(w) if w.id == self.walk => w.data.as_ref(),
                _ => None,
            }
            .ok_or_else(|| io::Error::other("the archive reader was stopped"))?;
            match rx.recv() {
                Ok(Msg::Data(bytes)) => {
                    self.buf = bytes;
                    self.pos = 0;
                }
                Ok(Msg::End) => {
                    self.done = true;
                    drop(walk);
                    if let Ok(mut walk) = self.src.walk.try_borrow_mut() {
                        if let Some(w) = walk.as_mut().filter(|w| w.id == self.walk) {
                            w.active = false;
                        }
                    }
                    return Ok(0);
                }
                Ok(Msg::Fail(e)) => return Err(io::Error::other(SourceFailure(Box::new(e)))),
                Err(_) => return Err(io::Error::other("the archive reader stopped")),
            }
        }
        let rest = self.buf.get(self.pos..).unwrap_or_default();
        let n = rest.len().min(out.len());
        if let (Some(dst), Some(src)) = (out.get_mut(..n), rest.get(..n)) {
            dst.copy_from_slice(src);
        }
        self.pos += n;
        Ok(n)
    }
}

impl Drop for Streamed<'_> {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        // Left before its end: the walk is in the middle of this file.
        if let Ok(mut walk) = self.src.walk.try_borrow_mut() {
            if walk.as_ref().is_some_and(|w| w.id == self.walk) {
                *walk = None;
            }
        }
    }
}

impl Source for ArchiveSource {
    fn list(&self, dir: &str) -> Result<Vec<(String, Kind)>, Error> {
        self.children.get(dir).cloned().ok_or_else(|| {
            EncodeError::UnexpectedEntry {
                path: dir.to_string(),
                reason: "not a directory of the archive".to_string(),
            }
            .into()
        })
    }

    fn open(&self, path: &str) -> Result<Box<dyn Read + '_>, Error> {
        let copy = self
            .shared
            .spilled
            .lock()
            .ok()
            .and_then(|s| s.get(path).cloned());
        if let Some(copy) = copy {
            let file = fs::File::open(&copy)
                .map_err(|e| Error::io(format!("opening {}", copy.display()), e))?;
            return Ok(Box::new(file));
        }
        if !self.shared.streamed_files.contains(path) {
            return Err(EncodeError::UnexpectedEntry {
                path: path.to_string(),
                reason: "expected a regular file of the archive".to_string(),
            }
            .into());
        }
        let mut slot = self
            .walk
            .try_borrow_mut()
            .map_err(|_| busy(&format!("opening {path}")))?;
        // A new walk when this one has streamed the file already, or is
        // in the middle of another.
        if slot
            .as_ref()
            .is_some_and(|w| w.active || w.streamed.contains(path))
        {
            *slot = None;
        }
        if slot.is_none() {
            *slot = Some(self.start_walk()?);
        }
        let walk = slot
            .as_mut()
            .ok_or_else(|| busy(&format!("opening {path}")))?;
        walk.streamed.insert(path.to_string());
        walk.active = true;
        let sent = walk
            .requests
            .as_ref()
            .is_some_and(|tx| tx.send(path.to_string()).is_ok());
        if !sent {
            return Err(Error::io(
                format!("reading {path}"),
                io::Error::other("the archive reader stopped"),
            ));
        }
        Ok(Box::new(Streamed {
            src: self,
            walk: walk.id,
            buf: Vec::new(),
            pos: 0,
            done: false,
        }))
    }

    fn digest(&self, path: &str) -> Option<String> {
        self.shared.digests.get(path).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // REQ-ARC-10
    #[test]
    fn a_file_is_an_archive_by_its_zstd_magic_or_a_checksummed_tar_header() {
        let mut header = tar::Header::new_ustar();
        header.set_path("MANIFEST.json").unwrap();
        header.set_size(0);
        header.set_cksum();
        let block: [u8; 512] = header.as_bytes().to_owned();
        assert!(is_tar_header(&block));
        let mut bad = block;
        bad[0] ^= 1;
        assert!(!is_tar_header(&bad));
        assert!(!is_tar_header(&[0u8; 512]));

        let dir = tempfile::tempdir().unwrap();
        let file = |name: &str, bytes: &[u8]| {
            let p = dir.path().join(name);
            fs::write(&p, bytes).unwrap();
            is_archive_file(&p).unwrap()
        };
        assert!(file("tar", &[&block[..], &[0u8; 1024][..]].concat()));
        assert!(file("zst", &[&ZSTD_MAGIC[..], &[0]].concat()));
        assert!(!file("bad", &bad));
        assert!(!file("short", &block[..511]));
        assert!(!file("empty", b""));
    }
}
