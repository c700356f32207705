//! Putting a [`DumpModel`] on disk atomically (REQ-CLI-4..7).
//!
//! 1. Every model path is validated before anything is written: relative,
//!    `/`-separated, no empty, `.` or `..` component, no NUL, no backslash,
//!    and no path that is both a file and a directory (REQ-CLI-6).
//! 2. The output path must be absent or an empty directory, and must not be
//!    a symlink; it is inspected with `symlink_metadata`, so a symlink is
//!    never followed (REQ-CLI-4).
//! 3. The tree is built inside a hidden staging directory created beside
//!    the output (same parent, so the final rename stays on one file
//!    system). Files are created with `create_new` and mode 0644,
//!    directories with mode 0755, both subject to the umask (REQ-CLI-7).
//! 4. The finished tree is renamed onto the output path. POSIX `rename`
//!    replaces an empty directory atomically and refuses a non-empty one,
//!    so a directory that filled up meanwhile is not clobbered. On any
//!    error before this point the staging directory is removed and nothing
//!    is left at the output path (REQ-CLI-5).
//!
//! Both engines write through one [`Tree`]: [`write_dump`] adds a finished
//! model's files to it; the stream engine claims queue directories, adds
//! files as it writes them and finishes with `MANIFEST.json` and
//! `CHECKSUMS` ([`Tree::finish`]). A tree keeps the dump model's rules: a
//! second writer of a path or a second claim of a queue directory is a
//! [`Error::PathCollision`] (REQ-OUT-8), every path is validated
//! (REQ-CLI-6), and each file is synced. Each file's SHA-256 is computed
//! while it is written, so `CHECKSUMS` needs no second read.

use std::collections::BTreeMap;
use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::dump::{Claims, DumpModel};
use crate::manifest::{self, ManifestInfo, CHECKSUMS_FILE, MANIFEST_FILE};
use crate::run::{Control, Staging, StagingKind};
use crate::Error;

/// Prefix of the hidden staging directory created beside the output.
pub const STAGING_PREFIX: &str = StagingKind::Dump.prefix();

/// What was found at the output path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputState {
    /// Nothing exists there.
    Absent,
    /// An empty directory exists there; the dump replaces it.
    EmptyDir,
}

/// Write `model` to `out` atomically.
pub fn write_dump(model: &DumpModel, out: &Path) -> Result<(), Error> {
    write_dump_with(model, out, &WriteHooks::default())
}

/// What a caller can learn or slow down while [`write_dump_with`] works.
#[derive(Debug, Default)]
pub struct WriteHooks<'a> {
    /// The run's control: its staging registration names the staging
    /// directory while it exists, so that a signal handler can remove it
    /// (REQ-ENG-5).
    pub ctl: Option<&'a Control>,
    /// Tests only: sleep this long before each file, so that a run can be
    /// interrupted while it writes.
    pub pace: Option<Duration>,
}

/// [`write_dump`], reporting the staging directory to `hooks`.
pub fn write_dump_with(model: &DumpModel, out: &Path, hooks: &WriteHooks<'_>) -> Result<(), Error> {
    validate_model_paths(model.files.keys().map(String::as_str))?;
    check_output(out)?;

    let staging = Staging::beside(out, StagingKind::Dump, hooks.ctl)?;
    // The dump root is a fresh subdirectory, so it gets the ordinary 0755
    // mode (the staging directory itself is private to this user).
    let root = staging.path().join("dump");
    write_tree(model, root.clone(), hooks.pace)?;
    staging.commit(&root, out)
}

/// Write the files of `model` into `root`, a new directory inside a
/// staging directory, through a [`Tree`] (each path validated, each file
/// synced), sleeping `pace` before each file.
pub(crate) fn write_tree(
    model: &DumpModel,
    root: PathBuf,
    pace: Option<Duration>,
) -> Result<(), Error> {
    let mut tree = Tree::create(root, true)?;
    for (path, bytes) in &model.files {
        if let Some(d) = pace {
            std::thread::sleep(d);
        }
        tree.add_file(path.clone(), bytes, "model")?;
    }
    Ok(())
}

/// Check that `out` may receive a dump (REQ-CLI-4): it must be absent or an
/// empty directory, and not a symlink (never followed). Also refuses a path
/// with no final name component (`/`, `..`).
pub fn check_output(out: &Path) -> Result<OutputState, Error> {
    let unsafe_output = |reason: &str| Error::UnsafeOutput {
        path: out.display().to_string(),
        reason: reason.to_string(),
    };
    if out.file_name().is_none() {
        return Err(unsafe_output("output path has no final name component"));
    }
    let meta = match fs::symlink_metadata(out) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(OutputState::Absent),
        Err(e) => return Err(Error::io(format!("inspecting {}", out.display()), e)),
    };
    let kind = meta.file_type();
    if kind.is_symlink() {
        return Err(unsafe_output("output path is a symlink"));
    }
    if !kind.is_dir() {
        return Err(unsafe_output("output path exists and is not a directory"));
    }
    let mut entries =
        fs::read_dir(out).map_err(|e| Error::io(format!("listing {}", out.display()), e))?;
    match entries.next() {
        None => Ok(OutputState::EmptyDir),
        Some(Ok(_)) => Err(unsafe_output("output directory is not empty")),
        Some(Err(e)) => Err(Error::io(format!("listing {}", out.display()), e)),
    }
}

/// Validate one model path (REQ-CLI-6): relative, `/`-separated, no empty,
/// `.` or `..` component, no NUL, no backslash.
pub fn validate_model_path(path: &str) -> Result<(), Error> {
    let bad = |reason: &str| Error::UnsafeOutput {
        path: path.escape_debug().to_string(),
        reason: format!("unsafe path in dump model: {reason}"),
    };
    if path.is_empty() {
        return Err(bad("empty path"));
    }
    if path.starts_with('/') {
        return Err(bad("absolute path"));
    }
    if path.contains('\0') {
        return Err(bad("NUL byte"));
    }
    if path.contains('\\') {
        return Err(bad("backslash"));
    }
    for component in path.split('/') {
        match component {
            "" => return Err(bad("empty component")),
            "." => return Err(bad("'.' component")),
            ".." => return Err(bad("'..' component")),
            _ => {}
        }
    }
    Ok(())
}

/// Validate every path, and refuse a path that is also the directory of
/// another (`a` and `a/b`).
pub fn validate_model_paths<'a>(paths: impl IntoIterator<Item = &'a str>) -> Result<(), Error> {
    let paths: Vec<&str> = paths.into_iter().collect();
    for path in &paths {
        validate_model_path(path)?;
    }
    let files: std::collections::BTreeSet<&str> = paths.iter().copied().collect();
    for path in &paths {
        for (i, _) in path.match_indices('/') {
            let dir = path.get(..i).unwrap_or_default();
            if files.contains(dir) {
                return Err(Error::UnsafeOutput {
                    path: dir.escape_debug().to_string(),
                    reason: format!(
                        "unsafe path in dump model: both a file and the directory of {}",
                        path.escape_debug()
                    ),
                });
            }
        }
    }
    Ok(())
}

pub(crate) use crate::run::staging::parent_dir;

/// Directories: mode 0755 before the umask (REQ-CLI-7).
pub(crate) fn dir_builder(recursive: bool) -> DirBuilder {
    let mut builder = DirBuilder::new();
    builder.recursive(recursive);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o755);
    }
    builder
}

/// Files: new only (never through an existing file or symlink), mode 0644
/// before the umask (REQ-CLI-7).
pub(crate) fn file_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o644);
    }
    options
}

/// Write buffer of one output file.
const FILE_BUFFER: usize = 1 << 20;

/// A dump tree under construction inside the staging directory, written
/// file by file.
#[derive(Debug)]
pub(crate) struct Tree {
    root: PathBuf,
    claims: Claims,
    sums: BTreeMap<String, String>,
    /// Queue names that got a `_queue.json`.
    pub(crate) queues: Vec<String>,
    /// Sync each file when it is complete (always, except in tests).
    pub(crate) sync: bool,
}

/// One output file being written.
pub(crate) struct FileOut {
    rel: String,
    sync: bool,
    w: BufWriter<File>,
    hasher: Sha256,
}

impl FileOut {
    /// Create a file claimed with [`Tree::claim`] (any thread).
    pub(crate) fn create(rel: String, full: &std::path::Path, sync: bool) -> Result<Self, Error> {
        let file = file_options()
            .open(full)
            .map_err(|e| Error::io(format!("creating {rel}"), e))?;
        Ok(FileOut {
            rel,
            sync,
            w: BufWriter::with_capacity(FILE_BUFFER, file),
            hasher: Sha256::new(),
        })
    }

    /// Flush and sync; the path and its checksum for [`Tree::record_sum`].
    pub(crate) fn finish(self) -> Result<(String, String), Error> {
        let FileOut {
            rel,
            sync,
            w,
            hasher,
        } = self;
        let file = w
            .into_inner()
            .map_err(|e| Error::io(format!("writing {rel}"), e.into_error()))?;
        if sync {
            file.sync_all()
                .map_err(|e| Error::io(format!("writing {rel}"), e))?;
        }
        Ok((rel, hex::encode(hasher.finalize())))
    }

    pub(crate) fn write(&mut self, bytes: &[u8]) -> Result<(), Error> {
        self.hasher.update(bytes);
        self.w
            .write_all(bytes)
            .map_err(|e| Error::io(format!("writing {}", self.rel), e))
    }
}

impl Tree {
    /// A tree rooted at `root` (created here, mode 0755).
    pub(crate) fn create(root: PathBuf, sync: bool) -> Result<Self, Error> {
        dir_builder(false)
            .create(&root)
            .map_err(|e| Error::io(format!("creating {}", root.display()), e))?;
        Ok(Tree {
            root,
            claims: Claims::default(),
            sums: BTreeMap::new(),
            queues: Vec::new(),
            sync,
        })
    }

    /// The same rule as [`DumpModel::claim_dir`].
    pub(crate) fn claim_dir(&mut self, dir: &str, owner: &str) -> Result<(), Error> {
        self.claims.claim_dir(dir, owner)
    }

    /// Claim `rel` (the rule of [`DumpModel::add_file`]), create its
    /// directories and return its full path.
    pub(crate) fn claim(&mut self, rel: &str, owner: &str) -> Result<PathBuf, Error> {
        self.claims.check_free(rel, owner)?;
        validate_model_path(rel)?;
        self.claims.claim_file(rel, owner.to_string())?;
        let mut full = self.root.clone();
        full.extend(rel.split('/'));
        if let Some(dir) = full.parent() {
            dir_builder(true)
                .create(dir)
                .map_err(|e| Error::io(format!("creating directory for {rel}"), e))?;
        }
        Ok(full)
    }

    /// Remember the checksum of a file written from a claim.
    pub(crate) fn record_sum(&mut self, rel: String, sum: String) {
        self.sums.insert(rel, sum);
    }

    /// Claim `rel` and open it.
    pub(crate) fn open(&mut self, rel: String, owner: &str) -> Result<FileOut, Error> {
        let full = self.claim(&rel, owner)?;
        FileOut::create(rel, &full, self.sync)
    }

    /// Flush and sync a file; remember its checksum.
    pub(crate) fn close(&mut self, f: FileOut) -> Result<(), Error> {
        let (rel, sum) = f.finish()?;
        self.sums.insert(rel, sum);
        Ok(())
    }

    /// Write a whole small file.
    pub(crate) fn add_file(&mut self, rel: String, bytes: &[u8], owner: &str) -> Result<(), Error> {
        let mut f = self.open(rel, owner)?;
        f.write(bytes)?;
        self.close(f)
    }

    /// Add `MANIFEST.json` and `CHECKSUMS` (REQ-CLI-8) with the collision
    /// check and the `CHECKSUMS` writer of [`manifest::add_manifest`], from
    /// the checksums taken while the files were written; then validate
    /// every path as [`write_dump`] does.
    pub(crate) fn finish(&mut self, info: &ManifestInfo) -> Result<(), Error> {
        manifest::check_free(&self.claims, "manifest")?;
        let mut model = DumpModel::new();
        model.queues = self.queues.clone();
        let manifest_bytes = manifest::manifest_json(&model, info);
        let mut sums = self.sums.clone();
        sums.insert(
            MANIFEST_FILE.to_string(),
            hex::encode(Sha256::digest(&manifest_bytes)),
        );
        let lines = manifest::sha256sum_lines(sums.iter().map(|(p, s)| (p.as_str(), s.as_str())))?;
        let mut all: Vec<&str> = self.claims.files().collect();
        all.extend([MANIFEST_FILE, CHECKSUMS_FILE]);
        validate_model_paths(all)?;
        self.add_file(MANIFEST_FILE.to_string(), &manifest_bytes, "manifest")?;
        self.add_file(CHECKSUMS_FILE.to_string(), &lines, "manifest")
    }
}
