//! `sqsdump archive unpack` (REQ-ARC-4 to REQ-ARC-7): an archive → a dump
//! tree, staged beside the output and renamed into place only after the
//! whole tree passed [`check_dump`].
//!
//! Compression is detected by the zstd magic number, not by the name.
//! Every entry is checked before anything of it is written: its name must
//! be a safe relative path seen once, its type a regular file or a
//! directory, and it must fit the entry and byte budget. The bytes read
//! from the (decompressed) tar stream are bounded too, so a zstd frame
//! that expands beyond what the budget allows is stopped while it is read.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::fs;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use super::tree::check_dump;
use super::{ArchiveError, Compression, DEFAULT_MAX_BYTES, DEFAULT_MAX_ENTRIES, ZSTD_MAGIC};
use crate::run::{Control, Staging, StagingKind};
use crate::Error;

/// Bytes of tar framing allowed per entry in the stream bound: a 512-byte
/// header and at most 511 bytes of padding, rounded up.
const FRAMING_PER_ENTRY: u64 = 1024;

/// The limits of one unpack (`--max-entries`, `--max-bytes`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Most entries read, extension headers (PAX, GNU long names)
    /// included.
    pub max_entries: u64,
    /// Most bytes of entry data (files and extension headers).
    pub max_bytes: u64,
}

impl Default for Budget {
    fn default() -> Self {
        Budget {
            max_entries: DEFAULT_MAX_ENTRIES,
            max_bytes: DEFAULT_MAX_BYTES,
        }
    }
}

impl Budget {
    /// Most bytes of tar stream (after decompression) an archive within
    /// the budget can need: its data, the framing of each entry, and the
    /// end-of-archive blocks.
    pub fn stream_limit(&self) -> u64 {
        self.max_bytes.saturating_add(
            self.max_entries
                .saturating_add(2)
                .saturating_mul(FRAMING_PER_ENTRY),
        )
    }
}

/// What an unpack did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnpackReport {
    /// Whether the input was zstd-compressed.
    pub compression: Compression,
    /// Entries read.
    pub entries: u64,
    /// Files written.
    pub files: u64,
    /// File bytes written.
    pub bytes: u64,
}

/// Unpack the archive file `input` (`-`: standard input) into the new
/// dump directory `output`. An input that is a symlink is refused.
pub fn unpack(
    input: &Path,
    output: &Path,
    budget: Budget,
    ctl: Option<&Control>,
) -> Result<UnpackReport, Error> {
    if input == Path::new("-") {
        return unpack_reader(io::stdin().lock(), output, budget, ctl);
    }
    let meta = fs::symlink_metadata(input)
        .map_err(|e| Error::io(format!("opening {}", input.display()), e))?;
    if meta.file_type().is_symlink() {
        return Err(ArchiveError::NonRegular {
            entry: input.display().to_string(),
            kind: "a symlink (the input archive is never followed)".to_string(),
        }
        .into());
    }
    let file =
        fs::File::open(input).map_err(|e| Error::io(format!("opening {}", input.display()), e))?;
    unpack_reader(file, output, budget, ctl)
}

/// Unpack an archive read from `input` into the new dump directory
/// `output` (absent, or an empty directory). On any error nothing is
/// left: the staging directory beside `output` is removed.
// REQ-ARC-7
pub fn unpack_reader(
    input: impl Read,
    output: &Path,
    budget: Budget,
    ctl: Option<&Control>,
) -> Result<UnpackReport, Error> {
    crate::write::check_output(output)?;
    let staging = Staging::beside(output, StagingKind::Dump, ctl)?;
    let root = staging.path().join("dump");
    crate::write::dir_builder(false)
        .create(&root)
        .map_err(|e| Error::io(format!("creating {}", root.display()), e))?;
    let report = extract(input, &root, budget, ctl)?;
    check_dump(&root)?;
    staging.commit(&root, output)?;
    Ok(report)
}

/// Extract the entries of an archive into the existing, empty directory
/// `root`, checking each first (see the module doc). The tree is not
/// checked as a dump: [`unpack_reader`] does that.
pub fn extract(
    input: impl Read,
    root: &Path,
    budget: Budget,
    ctl: Option<&Control>,
) -> Result<UnpackReport, Error> {
    walk(input, budget, ctl, |entry| {
        let target = root.join(entry.rel);
        if entry.is_dir {
            return crate::write::dir_builder(true)
                .create(&target)
                .map_err(|e| {
                    VisitError::Other(Error::io(format!("creating {}", target.display()), e))
                });
        }
        write_file(entry.data, &target, entry.size).map_err(|e| match e {
            WriteError::Read(e) => VisitError::Read(e),
            WriteError::Write(e) => {
                VisitError::Other(Error::io(format!("writing {}", target.display()), e))
            }
        })
    })
}

/// Whether the stream starts with the zstd magic number (nothing is
/// consumed).
// REQ-ARC-7
fn starts_with_zstd_magic(input: &mut impl BufRead) -> Result<bool, Error> {
    loop {
        match input.fill_buf() {
            Ok(buf) => return Ok(buf.get(..4) == Some(&ZSTD_MAGIC[..])),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::io("reading the archive", e)),
        }
    }
}

/// A reader that fails once more than `limit` bytes were read from it,
/// and says so in `exceeded`.
struct Counted<R> {
    inner: R,
    left: u64,
    exceeded: Rc<Cell<bool>>,
}

impl<R> Counted<R> {
    fn new(inner: R, limit: u64, exceeded: Rc<Cell<bool>>) -> Self {
        Counted {
            inner,
            left: limit,
            exceeded,
        }
    }
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            // One byte more tells a stream that ends exactly at the limit
            // from one that goes on.
            let mut probe = [0u8; 1];
            return match self.inner.read(&mut probe)? {
                0 => Ok(0),
                _ => {
                    self.exceeded.set(true);
                    Err(io::Error::other("the tar stream exceeds the unpack budget"))
                }
            };
        }
        let want = usize::try_from(self.left)
            .unwrap_or(usize::MAX)
            .min(buf.len());
        let n = self.inner.read(buf.get_mut(..want).unwrap_or_default())?;
        self.left = self.left.saturating_sub(n as u64);
        Ok(n)
    }
}

/// What the archive has put where so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Placed {
    Dir { explicit: bool },
    File,
}

/// One checked entry of an archive, as [`walk`] hands it to its visitor.
pub struct Entry<'a> {
    /// The entry's relative path, `/`-separated, without a leading `./`
    /// or a trailing `/`.
    pub rel: &'a str,
    /// Whether it is a directory (otherwise a regular file).
    pub is_dir: bool,
    /// The bytes of a file (0 for a directory).
    pub size: u64,
    /// The file's bytes.
    pub data: &'a mut dyn Read,
}

/// Why a visitor of [`walk`] stopped.
pub enum VisitError {
    /// Reading the entry's data failed: the archive is cut short or
    /// corrupt, or its stream went over the budget.
    Read(io::Error),
    /// Anything else, reported as it is.
    Other(Error),
    /// Nothing more is needed: the walk ends without an error.
    Stop,
}

/// Read the archive `input` (zstd-compressed or a plain tar, told by the
/// magic number), check every entry (see the module doc) and hand each
/// directory and regular file to `visit`, in the archive's order. The
/// root (`.`) is not handed on; entries after a [`VisitError::Stop`] are
/// not read.
pub fn walk(
    input: impl Read,
    budget: Budget,
    ctl: Option<&Control>,
    visit: impl FnMut(Entry<'_>) -> Result<(), VisitError>,
) -> Result<UnpackReport, Error> {
    let mut input = BufReader::new(input);
    let compression = if starts_with_zstd_magic(&mut input)? {
        Compression::Zstd
    } else {
        Compression::None
    };
    let exceeded = Rc::new(Cell::new(false));
    let limit = budget.stream_limit();
    match compression {
        Compression::None => {
            let counted = Counted::new(input, limit, Rc::clone(&exceeded));
            walk_tar(counted, budget, ctl, &exceeded, compression, visit)
        }
        Compression::Zstd => {
            let decoder = zstd::stream::read::Decoder::with_buffer(input).map_err(|e| {
                ArchiveError::Invalid {
                    reason: format!("zstd: {e}"),
                }
            })?;
            let counted = Counted::new(decoder, limit, Rc::clone(&exceeded));
            walk_tar(counted, budget, ctl, &exceeded, compression, visit)
        }
    }
}

fn walk_tar(
    stream: impl Read,
    budget: Budget,
    ctl: Option<&Control>,
    exceeded: &Rc<Cell<bool>>,
    compression: Compression,
    mut visit: impl FnMut(Entry<'_>) -> Result<(), VisitError>,
) -> Result<UnpackReport, Error> {
    let mut archive = tar::Archive::new(stream);
    let mut report = UnpackReport {
        compression,
        entries: 0,
        files: 0,
        bytes: 0,
    };
    let mut bytes_left = budget.max_bytes;
    let mut placed: BTreeMap<String, Placed> = BTreeMap::new();
    let mut last = String::from("(start of archive)");
    let fail = |e: io::Error, last: &str| -> Error {
        if exceeded.get() {
            ArchiveError::BudgetExceeded {
                entry: last.to_string(),
                reason: format!(
                    "the tar stream is longer than the budget allows ({} bytes)",
                    budget.stream_limit()
                ),
            }
            .into()
        } else {
            ArchiveError::Invalid {
                reason: format!("after {last:?}: {e}"),
            }
            .into()
        }
    };
    let entries = archive.entries().map_err(|e| fail(e, &last))?;
    for entry in entries {
        if let Some(ctl) = ctl {
            ctl.interrupted()?;
        }
        let mut entry = entry.map_err(|e| fail(e, &last))?;
        let raw_name = entry.path_bytes().into_owned();
        let shown = String::from_utf8_lossy(&raw_name).into_owned();
        report.entries += 1;
        if report.entries > budget.max_entries {
            return Err(ArchiveError::BudgetExceeded {
                entry: shown,
                reason: format!("more than {} entries", budget.max_entries),
            }
            .into());
        }
        let kind = entry.header().entry_type();
        let rel = safe_name(&raw_name, kind.is_dir())?;
        last.clone_from(&shown);
        let Some(rel) = rel else {
            // `.` or `./`: the root itself, as GNU tar writes it.
            if kind.is_dir() {
                continue;
            }
            return Err(ArchiveError::NonRegular {
                entry: shown,
                kind: "the archive root, which must be a directory".to_string(),
            }
            .into());
        };
        if !(kind.is_file() || kind.is_dir()) {
            return Err(ArchiveError::NonRegular {
                entry: shown,
                kind: describe(kind),
            }
            .into());
        }
        place(&mut placed, &rel, kind.is_dir())?;
        let rel = rel.to_string_lossy().into_owned();
        let size = if kind.is_dir() { 0 } else { entry.size() };
        if size > bytes_left {
            return Err(ArchiveError::BudgetExceeded {
                entry: shown,
                reason: format!(
                    "{size} bytes, {bytes_left} left of the {} byte budget",
                    budget.max_bytes
                ),
            }
            .into());
        }
        bytes_left -= size;
        let visited = visit(Entry {
            rel: &rel,
            is_dir: kind.is_dir(),
            size,
            data: &mut entry,
        });
        match visited {
            Ok(()) => {}
            Err(VisitError::Stop) => return Ok(report),
            Err(VisitError::Read(e)) => return Err(fail(e, &shown)),
            Err(VisitError::Other(e)) => return Err(e),
        }
        if !kind.is_dir() {
            report.files += 1;
            report.bytes += size;
        }
    }
    Ok(report)
}

/// Why writing a file failed: reading the archive, or writing the file.
enum WriteError {
    Read(io::Error),
    Write(io::Error),
}

fn write_file(entry: &mut dyn Read, target: &Path, size: u64) -> Result<(), WriteError> {
    if let Some(parent) = target.parent() {
        crate::write::dir_builder(true)
            .create(parent)
            .map_err(WriteError::Write)?;
    }
    let file = crate::write::file_options()
        .open(target)
        .map_err(WriteError::Write)?;
    let mut out = io::BufWriter::with_capacity(256 * 1024, file);
    let mut buf = vec![0u8; 256 * 1024];
    let mut done = 0u64;
    loop {
        let n = match entry.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(WriteError::Read(e)),
        };
        out.write_all(buf.get(..n).unwrap_or_default())
            .map_err(WriteError::Write)?;
        done += n as u64;
    }
    if done != size {
        return Err(WriteError::Read(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            format!("the entry ends after {done} of its {size} bytes"),
        )));
    }
    let file = out
        .into_inner()
        .map_err(|e| WriteError::Write(e.into_error()))?;
    file.sync_all().map_err(WriteError::Write)
}

/// The relative path an entry name stands for: a leading `./` and a
/// trailing `/` (directories) are dropped, and what is left must be
/// UTF-8 `/`-separated components, none empty, `.` or `..`, with no
/// backslash or NUL. `None` for the root (`.`, `./`).
pub fn safe_name(raw: &[u8], is_dir: bool) -> Result<Option<PathBuf>, Error> {
    let shown = String::from_utf8_lossy(raw).into_owned();
    let unsafe_path = |reason: &str| -> Error {
        ArchiveError::UnsafePath {
            entry: shown.clone(),
            reason: reason.to_string(),
        }
        .into()
    };
    let name = std::str::from_utf8(raw).map_err(|_| unsafe_path("the name is not UTF-8"))?;
    if name.is_empty() {
        return Err(unsafe_path("the name is empty"));
    }
    if name.starts_with('/') {
        return Err(unsafe_path("absolute path"));
    }
    let mut rest = name.strip_prefix("./").unwrap_or(name);
    if is_dir {
        rest = rest.strip_suffix('/').unwrap_or(rest);
    }
    if rest.is_empty() || rest == "." {
        return Ok(None);
    }
    if rest.contains('\0') || rest.contains('\\') {
        return Err(unsafe_path("the name holds a NUL or a backslash"));
    }
    for part in rest.split('/') {
        match part {
            ".." => return Err(unsafe_path("a `..` component leaves the output directory")),
            "" => return Err(unsafe_path("an empty component (`//` or a trailing `/`)")),
            "." => return Err(unsafe_path("a `.` component")),
            _ => {}
        }
    }
    Ok(Some(PathBuf::from(rest)))
}

/// Record `rel` as placed, refusing a second entry for the same path, a
/// file where a directory is, or anything below a file.
fn place(placed: &mut BTreeMap<String, Placed>, rel: &Path, is_dir: bool) -> Result<(), Error> {
    let name = rel.to_string_lossy().into_owned();
    let dup = |reason: String| -> Error {
        ArchiveError::DuplicateEntry {
            entry: name.clone(),
            reason,
        }
        .into()
    };
    // Every ancestor must be (or become) a directory.
    let mut prefix = String::new();
    let parts: Vec<&str> = name.split('/').collect();
    for part in parts.iter().take(parts.len().saturating_sub(1)) {
        if !prefix.is_empty() {
            prefix.push('/');
        }
        prefix.push_str(part);
        match placed.get(&prefix) {
            Some(Placed::File) => return Err(dup(format!("{prefix:?} is a file"))),
            Some(Placed::Dir { .. }) => {}
            None => {
                placed.insert(prefix.clone(), Placed::Dir { explicit: false });
            }
        }
    }
    match placed.get(&name) {
        None => {}
        Some(Placed::Dir { explicit: false }) if is_dir => {}
        Some(Placed::File) => return Err(dup("the archive already holds this file".to_string())),
        Some(Placed::Dir { explicit: true }) => {
            return Err(dup("the archive already holds this directory".to_string()))
        }
        Some(Placed::Dir { explicit: false }) => {
            return Err(dup(
                "the archive already holds files below this path".to_string()
            ))
        }
    }
    placed.insert(
        name.clone(),
        if is_dir {
            Placed::Dir { explicit: true }
        } else {
            Placed::File
        },
    );
    Ok(())
}

fn describe(kind: tar::EntryType) -> String {
    match kind {
        tar::EntryType::Symlink => "a symlink".to_string(),
        tar::EntryType::Link => "a hard link".to_string(),
        tar::EntryType::Char => "a character device".to_string(),
        tar::EntryType::Block => "a block device".to_string(),
        tar::EntryType::Fifo => "a FIFO".to_string(),
        other => format!("an entry of type {:?}", other.as_byte() as char),
    }
}
