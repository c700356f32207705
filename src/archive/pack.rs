//! `sqsdump archive pack` (REQ-ARC-1 to REQ-ARC-3): a checked dump tree →
//! a tar stream, optionally in one zstd frame, staged beside the output
//! and moved into place without replacing anything.
//!
//! Entries come in upstream's order: every directory and file below the
//! root, sorted bytewise by relative path, directories without a
//! trailing `/`. Headers are USTAR (a GNU long-name entry before a path
//! too long for it) and carry nothing of the packing host: uid and gid 0,
//! no user or group name, mode 0755 for directories and 0644 for files,
//! and one mtime for every entry ([`super::entry_mtime`]). The same tree
//! therefore packs to the same bytes anywhere.

use std::fs;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::tree::{check_dump, Checked};
use super::{entry_mtime, ArchiveError, Compression, DIR_MODE, FILE_MODE};
use crate::encode::error::EncodeError;
use crate::run::staging::place_file;
use crate::run::{Control, Staging, StagingKind};
use crate::Error;

/// zstd level of a packed archive (zstd's default).
pub const ZSTD_LEVEL: i32 = 3;

/// How to pack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PackOptions {
    /// The wrapping of the tar stream.
    pub compression: Compression,
    /// `SOURCE_DATE_EPOCH`: the mtime of every entry, instead of the
    /// manifest's `wall_time_iso`.
    pub source_date_epoch: Option<u64>,
}

/// What a pack wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PackReport {
    /// Directories and files archived.
    pub entries: usize,
    /// Bytes of the archive.
    pub archive_bytes: u64,
    /// The mtime given to every entry.
    pub mtime: u64,
}

/// Pack the dump tree `input` into the archive file `output`, which must
/// not exist and must not be inside `input`. The tree is checked whole
/// before anything is written; a file that changes while it is packed
/// fails the run and leaves nothing.
pub fn pack(
    input: &Path,
    output: &Path,
    opts: &PackOptions,
    ctl: Option<&Control>,
) -> Result<PackReport, Error> {
    check_archive_output(input, output)?;
    let checked = check_dump(input)?;
    let staging = Staging::beside(output, StagingKind::Dump, ctl)?;
    pack_checked(input, output, opts, ctl, &checked, staging)
}

/// [`pack`] writing its archive in `staging`, an existing staging
/// directory beside `output` registered with `ctl` (decode straight into
/// an archive packs in the directory it decoded into), which is removed
/// on success and on error.
pub fn pack_in(
    input: &Path,
    output: &Path,
    opts: &PackOptions,
    ctl: Option<&Control>,
    staging: Staging<'_>,
) -> Result<PackReport, Error> {
    check_archive_output(input, output)?;
    let checked = check_dump(input)?;
    pack_checked(input, output, opts, ctl, &checked, staging)
}

// REQ-ARC-1
fn pack_checked(
    input: &Path,
    output: &Path,
    opts: &PackOptions,
    ctl: Option<&Control>,
    checked: &Checked,
    staging: Staging<'_>,
) -> Result<PackReport, Error> {
    let mtime = entry_mtime(opts.source_date_epoch, checked.wall_time_iso.as_deref());
    let staged = staging.path().join("archive");
    let file = crate::write::file_options()
        .open(&staged)
        .map_err(|e| Error::io(format!("creating {}", staged.display()), e))?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    let io_err = |e: io::Error| Error::io(format!("writing {}", staged.display()), e);
    match opts.compression {
        Compression::None => write_tar(&mut out, input, checked, mtime, ctl)?,
        Compression::Zstd => {
            let mut enc =
                zstd::stream::write::Encoder::new(&mut out, ZSTD_LEVEL).map_err(io_err)?;
            write_tar(&mut enc, input, checked, mtime, ctl)?;
            enc.finish().map_err(io_err)?;
        }
    }
    let file = out.into_inner().map_err(|e| io_err(e.into_error()))?;
    file.sync_all().map_err(io_err)?;
    let archive_bytes = file.metadata().map_err(io_err)?.len();
    drop(file);
    staging.commit_with(|| {
        if let Some(ctl) = ctl {
            ctl.interrupted()?;
        }
        place_no_clobber(&staged, output)
    })?;
    if let Ok(dir) = fs::File::open(crate::run::staging::parent_dir(output)) {
        let _ = dir.sync_all();
    }
    Ok(PackReport {
        entries: checked.entries.len(),
        archive_bytes,
        mtime,
    })
}

/// Move the finished archive to `output` unless something is there by
/// now ([`place_file`]).
fn place_no_clobber(staged: &Path, output: &Path) -> Result<(), Error> {
    place_file(staged, output).map_err(|e| match e.kind() {
        io::ErrorKind::AlreadyExists => Error::UnsafeOutput {
            path: output.display().to_string(),
            reason: "the output exists (an archive is never overwritten)".to_string(),
        },
        _ => Error::io(
            format!(
                "moving the finished archive into place at {}",
                output.display()
            ),
            e,
        ),
    })
}

/// The output must be a new file name (not `/` or `..`), not a symlink,
/// and not inside the tree being packed.
fn check_archive_output(input: &Path, output: &Path) -> Result<(), Error> {
    let refuse = |reason: &str| Error::UnsafeOutput {
        path: output.display().to_string(),
        reason: reason.to_string(),
    };
    if output.file_name().is_none() {
        return Err(refuse("output path has no final name component"));
    }
    if fs::symlink_metadata(output).is_ok() {
        return Err(refuse(
            "the output exists (an archive is never overwritten)",
        ));
    }
    let parent = crate::run::staging::parent_dir(output);
    if let (Ok(tree), Some(dir)) = (fs::canonicalize(input), existing_ancestor(&parent)) {
        if dir.starts_with(&tree) {
            return Err(refuse("the output is inside the dump tree being packed"));
        }
    }
    Ok(())
}

/// The nearest ancestor of `dir` (itself included) that exists,
/// canonicalized.
fn existing_ancestor(dir: &Path) -> Option<PathBuf> {
    let mut cur = Some(dir);
    while let Some(d) = cur {
        if let Ok(c) = fs::canonicalize(d) {
            return Some(c);
        }
        cur = d.parent();
    }
    None
}

/// Write the tar stream of a checked tree.
// REQ-ARC-2
pub fn write_tar(
    out: &mut impl Write,
    root: &Path,
    checked: &Checked,
    mtime: u64,
    ctl: Option<&Control>,
) -> Result<(), Error> {
    let mut builder = tar::Builder::new(out);
    let werr = |e: io::Error| Error::io("writing the archive", e);
    for (rel, is_dir) in &checked.entries {
        if let Some(ctl) = ctl {
            ctl.checkpoint()?;
        }
        let mut header = tar::Header::new_ustar();
        header.set_mtime(mtime);
        header.set_uid(0);
        header.set_gid(0);
        if *is_dir {
            header.set_entry_type(tar::EntryType::Directory);
            header.set_mode(DIR_MODE);
            header.set_size(0);
            builder
                .append_data(&mut header, rel, io::empty())
                .map_err(werr)?;
            continue;
        }
        let path = root.join(rel);
        let (file, size) = open_checked(&path, rel)?;
        header.set_entry_type(tar::EntryType::Regular);
        header.set_mode(FILE_MODE);
        header.set_size(size);
        let mut hashing = Hashing {
            inner: file.take(size),
            hasher: Sha256::new(),
            read: 0,
            error: None,
        };
        builder
            .append_data(&mut header, rel, &mut hashing)
            .map_err(|e| match hashing.error.take() {
                Some(read) => Error::io(format!("reading {}", path.display()), read),
                None => werr(e),
            })?;
        let digest = hex::encode(hashing.hasher.finalize());
        let expected = checked.digests.get(rel).map(String::as_str);
        if hashing.read != size || (rel != "CHECKSUMS" && expected != Some(digest.as_str())) {
            return Err(EncodeError::ChecksumMismatch {
                path: rel.clone(),
                expected: expected.unwrap_or_default().to_string(),
                actual: format!("{digest} (the file changed while it was packed)"),
            }
            .into());
        }
    }
    builder.into_inner().map_err(werr)?;
    Ok(())
}

/// Open a file the check saw as regular, refusing one that has since
/// become something else.
fn open_checked(path: &Path, rel: &str) -> Result<(fs::File, u64), Error> {
    let ctx = || format!("opening {}", path.display());
    let before = fs::symlink_metadata(path).map_err(|e| Error::io(ctx(), e))?;
    let file = fs::File::open(path).map_err(|e| Error::io(ctx(), e))?;
    let after = file.metadata().map_err(|e| Error::io(ctx(), e))?;
    #[cfg(unix)]
    let same = {
        use std::os::unix::fs::MetadataExt;
        before.is_file() && after.dev() == before.dev() && after.ino() == before.ino()
    };
    #[cfg(not(unix))]
    let same = before.is_file();
    if !same || !after.is_file() {
        return Err(ArchiveError::NonRegular {
            entry: rel.to_string(),
            kind: "no longer the regular file that was checked".to_string(),
        }
        .into());
    }
    Ok((file, after.len()))
}

/// A reader that hashes what it reads and keeps its own I/O error.
struct Hashing<R> {
    inner: R,
    hasher: Sha256,
    read: u64,
    error: Option<io::Error>,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.inner.read(buf) {
            Ok(n) => {
                self.hasher.update(buf.get(..n).unwrap_or_default());
                self.read += n as u64;
                Ok(n)
            }
            Err(e) => {
                let kind = e.kind();
                self.error = Some(e);
                Err(io::Error::new(kind, "reading a file of the dump"))
            }
        }
    }
}
