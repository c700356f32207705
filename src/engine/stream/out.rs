//! The dump tree of the streaming engine, written file by file into the
//! staging directory (REQ-ENG-3).
//!
//! It keeps the plain engine's rules: a second writer of a path or a
//! second claim of a queue directory is a [`Error::PathCollision`]
//! (REQ-OUT-8), every path is validated (REQ-CLI-6), files are created new
//! with mode 0644 and directories with 0755 (REQ-CLI-7), and each file is
//! synced. Each file's SHA-256 is computed while it is written, so
//! `CHECKSUMS` needs no second read.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

use sha2::{Digest, Sha256};

use crate::dump::DumpModel;
use crate::manifest::{self, ManifestInfo, CHECKSUMS_FILE, MANIFEST_FILE};
use crate::write::{self, dir_builder, file_options};
use crate::Error;

/// Write buffer of one output file.
const FILE_BUFFER: usize = 1 << 20;

/// The tree under construction inside the staging directory.
#[derive(Debug)]
pub(crate) struct Tree {
    root: PathBuf,
    owners: BTreeMap<String, String>,
    dir_owners: BTreeMap<String, String>,
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
            owners: BTreeMap::new(),
            dir_owners: BTreeMap::new(),
            sums: BTreeMap::new(),
            queues: Vec::new(),
            sync,
        })
    }

    /// The same rule as [`DumpModel::claim_dir`].
    pub(crate) fn claim_dir(&mut self, dir: &str, owner: &str) -> Result<(), Error> {
        if let Some(first) = self.dir_owners.get(dir) {
            return Err(Error::PathCollision {
                path: dir.to_string(),
                first: first.clone(),
                second: owner.to_string(),
            });
        }
        self.dir_owners.insert(dir.to_string(), owner.to_string());
        Ok(())
    }

    /// Claim `rel` (the rule of [`DumpModel::add_file`]), create its
    /// directories and return its full path.
    pub(crate) fn claim(&mut self, rel: &str, owner: &str) -> Result<PathBuf, Error> {
        if let Some(first) = self.owners.get(rel) {
            return Err(Error::PathCollision {
                path: rel.to_string(),
                first: first.clone(),
                second: owner.to_string(),
            });
        }
        write::validate_model_path(rel)?;
        self.owners.insert(rel.to_string(), owner.to_string());
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

    /// Add `MANIFEST.json` and `CHECKSUMS`, as [`manifest::add_manifest`]
    /// does for a model, then validate every path as
    /// [`write::write_dump`] does.
    pub(crate) fn finish(&mut self, info: &ManifestInfo) -> Result<(), Error> {
        for name in [MANIFEST_FILE, CHECKSUMS_FILE] {
            if let Some(first) = self.owners.get(name) {
                return Err(Error::PathCollision {
                    path: name.to_string(),
                    first: first.clone(),
                    second: "manifest".to_string(),
                });
            }
        }
        let mut model = DumpModel::new();
        model.queues = self.queues.clone();
        let manifest_bytes = manifest::manifest_json(&model, info);
        let mut sums = self.sums.clone();
        sums.insert(
            MANIFEST_FILE.to_string(),
            hex::encode(Sha256::digest(&manifest_bytes)),
        );
        let mut lines = Vec::new();
        for (path, sum) in &sums {
            if path.contains(['\n', '\r', '\\']) {
                return Err(Error::UnsafeOutput {
                    path: path.escape_debug().to_string(),
                    reason: "path cannot be listed verbatim in CHECKSUMS".to_string(),
                });
            }
            lines.extend_from_slice(sum.as_bytes());
            lines.extend_from_slice(b"  ");
            lines.extend_from_slice(path.as_bytes());
            lines.push(b'\n');
        }
        let mut all: Vec<&str> = self.owners.keys().map(String::as_str).collect();
        all.extend([MANIFEST_FILE, CHECKSUMS_FILE]);
        write::validate_model_paths(all)?;
        self.add_file(MANIFEST_FILE.to_string(), &manifest_bytes, "manifest")?;
        self.add_file(CHECKSUMS_FILE.to_string(), &lines, "manifest")
    }
}
