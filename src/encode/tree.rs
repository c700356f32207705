//! Step 1 of `encode`: the dump tree → a checked list of queue
//! directories (REQ-ENC-2, REQ-ENC-3, REQ-ENC-6).
//!
//! A [`Source`] lists entries without following symlinks and opens files.
//! [`DiskSource`] reads a directory; [`MemSource`] holds a tree in memory
//! (tests, fuzzing). [`check_tree`] accepts exactly the layout `decode`
//! writes without side records: `MANIFEST.json`, `CHECKSUMS`, and
//! `sqs/<dir>/_queue.json` with an optional `sqs/<dir>/messages.jsonl`.
//! It reads `MANIFEST.json`, then verifies every `CHECKSUMS` line against
//! the bytes (streamed, so memory stays flat) before anything is encoded.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::error::EncodeError;
use crate::Error;

/// `MANIFEST.json`.
pub const MANIFEST: &str = "MANIFEST.json";
/// `CHECKSUMS`.
pub const CHECKSUMS: &str = "CHECKSUMS";
/// The SQS subtree.
pub const SQS_DIR: &str = "sqs";
/// A queue's configuration file.
pub const QUEUE_FILE: &str = "_queue.json";
/// A queue's messages.
pub const MESSAGES_FILE: &str = "messages.jsonl";
/// Largest `MANIFEST.json` or `CHECKSUMS` read (they are small; a larger
/// one is refused rather than read into memory).
pub const MAX_SMALL_FILE: u64 = 64 << 20;

/// What a directory entry is, as `lstat` sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// A regular file.
    File,
    /// A directory.
    Dir,
    /// A symbolic link (never followed).
    Symlink,
    /// A device, socket or FIFO.
    Other,
}

impl Kind {
    fn describe(self) -> &'static str {
        match self {
            Kind::File => "a file",
            Kind::Dir => "a directory",
            Kind::Symlink => "a symlink, which is never followed",
            Kind::Other => "not a regular file or directory",
        }
    }
}

/// A dump tree to read.
pub trait Source {
    /// The entries of a directory (`""` is the root), by name, without
    /// following symlinks. Names that are not UTF-8 are an error.
    fn list(&self, dir: &str) -> Result<Vec<(String, Kind)>, Error>;
    /// Open a regular file for reading; a file that is no longer a regular
    /// file (swapped for a symlink) is an error.
    fn open(&self, path: &str) -> Result<Box<dyn Read + '_>, Error>;
    /// The lowercase hex SHA-256 of a file, when the source already knows
    /// it (an archive's files are hashed while the archive is checked,
    /// and their bytes checked against it again whenever they are read);
    /// `None`: [`verify_checksums`] hashes the bytes [`Source::open`]
    /// gives.
    fn digest(&self, _path: &str) -> Option<String> {
        None
    }
}

/// A dump directory on disk.
#[derive(Debug, Clone)]
pub struct DiskSource {
    root: PathBuf,
}

impl DiskSource {
    /// A dump rooted at `root`, which must be a directory (not a symlink).
    pub fn new(root: &Path) -> Result<Self, Error> {
        let meta = std::fs::symlink_metadata(root)
            .map_err(|e| Error::io(format!("reading {}", root.display()), e))?;
        if !meta.is_dir() {
            let reason = match kind_of(&meta) {
                Kind::Symlink => {
                    let target = std::fs::read_link(root)
                        .map(|t| format!(" to {}", t.display()))
                        .unwrap_or_default();
                    format!(
                        "the input is a symlink{target}, which is never followed: \
                         give the dump directory itself"
                    )
                }
                kind => format!(
                    "the input must be a dump directory, found {}",
                    kind.describe()
                ),
            };
            return Err(EncodeError::InvalidInput {
                path: root.display().to_string(),
                reason,
            }
            .into());
        }
        Ok(DiskSource {
            root: root.to_path_buf(),
        })
    }

    fn path(&self, rel: &str) -> PathBuf {
        if rel.is_empty() {
            self.root.clone()
        } else {
            self.root.join(rel)
        }
    }
}

fn kind_of(meta: &std::fs::Metadata) -> Kind {
    let t = meta.file_type();
    if t.is_symlink() {
        Kind::Symlink
    } else if t.is_dir() {
        Kind::Dir
    } else if t.is_file() {
        Kind::File
    } else {
        Kind::Other
    }
}

impl Source for DiskSource {
    fn list(&self, dir: &str) -> Result<Vec<(String, Kind)>, Error> {
        let path = self.path(dir);
        let ctx = || format!("listing {}", path.display());
        let mut out = Vec::new();
        for entry in std::fs::read_dir(&path).map_err(|e| Error::io(ctx(), e))? {
            let entry = entry.map_err(|e| Error::io(ctx(), e))?;
            let name = entry.file_name();
            let Some(name) = name.to_str().map(str::to_string) else {
                return Err(EncodeError::UnexpectedEntry {
                    path: join(dir, &name.to_string_lossy()),
                    reason: "the name is not UTF-8".to_string(),
                }
                .into());
            };
            // DirEntry::file_type does not follow symlinks.
            let kind = match entry.file_type() {
                Ok(t) if t.is_symlink() => Kind::Symlink,
                Ok(t) if t.is_dir() => Kind::Dir,
                Ok(t) if t.is_file() => Kind::File,
                Ok(_) => Kind::Other,
                Err(e) => return Err(Error::io(ctx(), e)),
            };
            out.push((name, kind));
        }
        out.sort();
        Ok(out)
    }

    fn open(&self, rel: &str) -> Result<Box<dyn Read + '_>, Error> {
        let path = self.path(rel);
        let ctx = || format!("opening {}", path.display());
        let before = std::fs::symlink_metadata(&path).map_err(|e| Error::io(ctx(), e))?;
        if !before.is_file() {
            return Err(EncodeError::UnexpectedEntry {
                path: rel.to_string(),
                reason: format!(
                    "expected a regular file, found {}",
                    kind_of(&before).describe()
                ),
            }
            .into());
        }
        let file = std::fs::File::open(&path).map_err(|e| Error::io(ctx(), e))?;
        // The opened file must be the one inspected: a swap for a symlink
        // between the lstat and the open is refused.
        let after = file.metadata().map_err(|e| Error::io(ctx(), e))?;
        if !same_file(&before, &after) {
            return Err(EncodeError::UnexpectedEntry {
                path: rel.to_string(),
                reason: "the file changed while it was opened".to_string(),
            }
            .into());
        }
        Ok(Box::new(file))
    }
}

#[cfg(unix)]
fn same_file(a: &std::fs::Metadata, b: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    b.is_file() && a.dev() == b.dev() && a.ino() == b.ino()
}

#[cfg(not(unix))]
fn same_file(_: &std::fs::Metadata, b: &std::fs::Metadata) -> bool {
    b.is_file()
}

/// A dump tree in memory: relative path → file bytes; directories are
/// implied by the paths, and [`MemSource::symlinks`] lists entries that
/// are symlinks.
#[derive(Debug, Clone, Default)]
pub struct MemSource {
    /// Relative path → bytes.
    pub files: BTreeMap<String, Vec<u8>>,
    /// Relative paths of symlinks.
    pub symlinks: BTreeSet<String>,
}

impl Source for MemSource {
    fn list(&self, dir: &str) -> Result<Vec<(String, Kind)>, Error> {
        let prefix = if dir.is_empty() {
            String::new()
        } else {
            format!("{dir}/")
        };
        let mut out: BTreeMap<String, Kind> = BTreeMap::new();
        let mut add = |path: &str, leaf: Kind| {
            if let Some(rest) = path.strip_prefix(&prefix) {
                match rest.split_once('/') {
                    Some((name, _)) => {
                        out.entry(name.to_string()).or_insert(Kind::Dir);
                    }
                    None if !rest.is_empty() => {
                        out.insert(rest.to_string(), leaf);
                    }
                    None => {}
                }
            }
        };
        for path in self.files.keys() {
            add(path, Kind::File);
        }
        for path in &self.symlinks {
            add(path, Kind::Symlink);
        }
        Ok(out.into_iter().collect())
    }

    fn open(&self, path: &str) -> Result<Box<dyn Read + '_>, Error> {
        match self.files.get(path) {
            Some(bytes) if !self.symlinks.contains(path) => Ok(Box::new(bytes.as_slice())),
            _ => Err(EncodeError::UnexpectedEntry {
                path: path.to_string(),
                reason: "expected a regular file".to_string(),
            }
            .into()),
        }
    }
}

/// `a/b` from a directory and a name.
pub fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

/// What `MANIFEST.json` says (REQ-ENC-2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// `last_commit_ts`.
    pub last_commit_ts: u64,
    /// `adapters.sqs.queues`, when present.
    pub queues: Option<Vec<String>>,
    /// The top-level `cluster_id`; empty when absent or `null`
    /// (REQ-ENC-18).
    pub cluster_id: String,
}

/// One queue directory of the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueDir {
    /// `sqs/<dir>`.
    pub path: String,
    /// `<dir>`.
    pub name: String,
    /// Whether `messages.jsonl` exists.
    pub has_messages: bool,
}

/// A checked dump tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tree {
    /// The manifest.
    pub manifest: Manifest,
    /// The queue directories, sorted by name.
    pub queues: Vec<QueueDir>,
}

/// Check the layout, read the manifest and verify every checksum
/// (REQ-ENC-2, REQ-ENC-3, REQ-ENC-6). Nothing else is read.
pub fn check_tree(src: &dyn Source) -> Result<Tree, Error> {
    let mut files: Vec<String> = Vec::new();
    let mut has_manifest = false;
    let mut has_checksums = false;
    let mut has_sqs = false;
    for (name, kind) in src.list("")? {
        match (name.as_str(), kind) {
            (MANIFEST, Kind::File) => has_manifest = true,
            (CHECKSUMS, Kind::File) => has_checksums = true,
            (SQS_DIR, Kind::Dir) => has_sqs = true,
            _ => return Err(unexpected(&name, kind).into()),
        }
    }
    if !has_manifest {
        return Err(EncodeError::InvalidManifest {
            path: MANIFEST.to_string(),
            reason: "the file is missing".to_string(),
        }
        .into());
    }
    let manifest = read_manifest(src)?;
    files.push(MANIFEST.to_string());

    let mut queues = Vec::new();
    if has_sqs {
        for (name, kind) in src.list(SQS_DIR)? {
            let path = join(SQS_DIR, &name);
            if kind != Kind::Dir {
                return Err(unexpected(&path, kind).into());
            }
            let mut has_queue = false;
            let mut has_messages = false;
            for (file, kind) in src.list(&path)? {
                match (file.as_str(), kind) {
                    (QUEUE_FILE, Kind::File) => has_queue = true,
                    (MESSAGES_FILE, Kind::File) => has_messages = true,
                    _ => return Err(unexpected(&join(&path, &file), kind).into()),
                }
                files.push(join(&path, &file));
            }
            if !has_queue {
                return Err(EncodeError::InvalidQueueFile {
                    path: join(&path, QUEUE_FILE),
                    reason: "the file is missing".to_string(),
                }
                .into());
            }
            queues.push(QueueDir {
                path,
                name,
                has_messages,
            });
        }
    }
    if !has_checksums {
        return Err(EncodeError::InvalidChecksums {
            path: CHECKSUMS.to_string(),
            line: 0,
            reason: "the file is missing".to_string(),
        }
        .into());
    }
    verify_checksums(src, &files)?;
    Ok(Tree { manifest, queues })
}

fn unexpected(path: &str, kind: Kind) -> EncodeError {
    EncodeError::UnexpectedEntry {
        path: path.to_string(),
        reason: format!("found {}", kind.describe()),
    }
}

/// Read a small file whole, refusing more than [`MAX_SMALL_FILE`] bytes.
fn read_small(src: &dyn Source, path: &str) -> Result<Vec<u8>, Error> {
    let read = || format!("reading {path}");
    super::read_capped(src.open(path)?, MAX_SMALL_FILE, read)?.ok_or_else(|| too_large(path))
}

/// A `MANIFEST.json` or `CHECKSUMS` larger than [`MAX_SMALL_FILE`].
pub(crate) fn too_large(path: &str) -> Error {
    EncodeError::InvalidManifest {
        path: path.to_string(),
        reason: format!("larger than {MAX_SMALL_FILE} bytes"),
    }
    .into()
}

/// `MANIFEST.json` as a JSON object whose `format_version` is 1, the
/// check `encode` and `archive` share (REQ-ENC-2).
pub(crate) fn manifest_object(
    bytes: &[u8],
) -> Result<serde_json::Map<String, serde_json::Value>, Error> {
    let bad = |reason: String| {
        Error::from(EncodeError::InvalidManifest {
            path: MANIFEST.to_string(),
            reason,
        })
    };
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| bad(format!("not json: {e}")))?;
    let serde_json::Value::Object(obj) = value else {
        return Err(bad("not a json object".to_string()));
    };
    match obj
        .get("format_version")
        .and_then(serde_json::Value::as_u64)
    {
        Some(1) => Ok(obj),
        Some(v) => Err(bad(format!("unsupported format_version {v}"))),
        None => Err(bad("format_version missing or not an integer".to_string())),
    }
}

/// Read and check `MANIFEST.json` (REQ-ENC-2): a JSON object with
/// `format_version` 1, an unsigned `last_commit_ts`, an `adapters.sqs`
/// object whose optional `queues` is a list of strings, optional
/// `exclusions` flags of which `preserve_sqs_visibility` and
/// `include_sqs_side_records` must not be true, and optional strings
/// `wall_time_iso` and `cluster_id` (REQ-ENC-18). Other fields are
/// ignored.
// REQ-ENC-15
pub fn read_manifest(src: &dyn Source) -> Result<Manifest, Error> {
    let obj = manifest_object(&read_small(src, MANIFEST)?)?;
    let bad = |reason: String| EncodeError::InvalidManifest {
        path: MANIFEST.to_string(),
        reason,
    };
    let last_commit_ts = obj
        .get("last_commit_ts")
        .and_then(serde_json::Value::as_u64)
        .ok_or_else(|| bad("last_commit_ts missing or not an unsigned integer".to_string()))?;
    if let Some(wall) = obj.get("wall_time_iso") {
        if !wall.is_string() {
            return Err(bad("wall_time_iso is not a string".to_string()).into());
        }
    }
    let cluster_id = match obj.get("cluster_id") {
        None | Some(serde_json::Value::Null) => String::new(),
        Some(serde_json::Value::String(id)) => id.clone(),
        Some(_) => return Err(bad("cluster_id is not a string".to_string()).into()),
    };
    let sqs = obj
        .get("adapters")
        .and_then(|a| a.get("sqs"))
        .and_then(serde_json::Value::as_object)
        .ok_or_else(|| bad("adapters.sqs missing or not an object".to_string()))?;
    let queues = match sqs.get("queues") {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::Array(items)) => Some(
            items
                .iter()
                .map(|q| q.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| bad("adapters.sqs.queues holds a non-string".to_string()))?,
        ),
        Some(_) => return Err(bad("adapters.sqs.queues is not a list".to_string()).into()),
    };
    if let Some(ex) = obj.get("exclusions") {
        let ex = ex
            .as_object()
            .ok_or_else(|| bad("exclusions is not an object".to_string()))?;
        for flag in ["preserve_sqs_visibility", "include_sqs_side_records"] {
            match ex.get(flag) {
                None | Some(serde_json::Value::Bool(false)) => {}
                Some(serde_json::Value::Bool(true)) => {
                    return Err(EncodeError::Unsupported {
                        path: MANIFEST.to_string(),
                        reason: format!(
                            "the dump was taken with {flag}, whose state cannot be restored"
                        ),
                    }
                    .into())
                }
                Some(_) => return Err(bad(format!("exclusions.{flag} is not a bool")).into()),
            }
        }
    }
    Ok(Manifest {
        last_commit_ts,
        queues,
        cluster_id,
    })
}

/// Verify `CHECKSUMS` (REQ-ENC-3, a Decision): every line is
/// `<64 lowercase hex>  <path>`, every path is listed once, every listed
/// path is one of `files`, every one of `files` is listed, and every
/// digest matches the bytes.
pub fn verify_checksums(src: &dyn Source, files: &[String]) -> Result<(), Error> {
    let text = read_small(src, CHECKSUMS).map_err(|e| match e {
        Error::Encode(EncodeError::InvalidManifest { path, reason }) => {
            EncodeError::InvalidChecksums {
                path,
                line: 0,
                reason,
            }
            .into()
        }
        other => other,
    })?;
    let bad = |line: usize, reason: &str| EncodeError::InvalidChecksums {
        path: CHECKSUMS.to_string(),
        line,
        reason: reason.to_string(),
    };
    let text = std::str::from_utf8(&text).map_err(|_| bad(0, "not UTF-8"))?;
    let wanted: BTreeSet<&str> = files.iter().map(String::as_str).collect();
    let mut listed: BTreeMap<&str, (usize, &str)> = BTreeMap::new();
    if !text.is_empty() && !text.ends_with('\n') {
        return Err(bad(text.lines().count(), "the last line has no newline").into());
    }
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let (digest, path) = line
            .split_once("  ")
            .ok_or_else(|| bad(n, "expected `<sha256 hex>  <path>`"))?;
        if digest.len() != 64
            || !digest
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        {
            return Err(bad(n, "the digest is not 64 lowercase hex digits").into());
        }
        if !wanted.contains(path) {
            return Err(EncodeError::InvalidChecksums {
                path: CHECKSUMS.to_string(),
                line: n,
                reason: format!("lists {path:?}, which is not a file of the dump"),
            }
            .into());
        }
        if listed.insert(path, (n, digest)).is_some() {
            return Err(EncodeError::InvalidChecksums {
                path: CHECKSUMS.to_string(),
                line: n,
                reason: format!("lists {path:?} twice"),
            }
            .into());
        }
    }
    for path in files {
        let Some((_, expected)) = listed.get(path.as_str()) else {
            return Err(EncodeError::InvalidChecksums {
                path: path.clone(),
                line: 0,
                reason: "the file is not listed in CHECKSUMS".to_string(),
            }
            .into());
        };
        let actual = sha256_of(src, path)?;
        if actual != *expected {
            return Err(EncodeError::ChecksumMismatch {
                path: path.clone(),
                expected: (*expected).to_string(),
                actual,
            }
            .into());
        }
    }
    Ok(())
}

/// The lowercase hex SHA-256 of a file, streamed.
fn sha256_of(src: &dyn Source, path: &str) -> Result<String, Error> {
    if let Some(digest) = src.digest(path) {
        return Ok(digest);
    }
    let mut reader = src.open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::io(format!("reading {path}"), e)),
        };
        hasher.update(buf.get(..n).unwrap_or_default());
    }
    Ok(hex::encode(hasher.finalize()))
}
