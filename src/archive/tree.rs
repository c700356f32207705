//! The checks a dump tree passes before it is packed, and after it is
//! unpacked (REQ-ARC-1, REQ-ARC-6): only directories and regular files
//! with a single link, a format-1 `MANIFEST.json`, and a `CHECKSUMS` that
//! lists every other file with a matching SHA-256 (verified by
//! [`crate::encode::tree::verify_checksums`], as `encode` does).

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use super::ArchiveError;
use crate::encode::error::EncodeError;
use crate::encode::read_capped;
use crate::encode::tree::{
    manifest_object, too_large, verify_checksums, DiskSource, Source, CHECKSUMS, MANIFEST,
    MAX_SMALL_FILE,
};
use crate::Error;

/// A dump tree that passed [`check_dump`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Checked {
    /// Every directory and file below the root, as `/`-separated relative
    /// paths sorted bytewise (upstream's order), with whether it is a
    /// directory.
    pub entries: Vec<(String, bool)>,
    /// `CHECKSUMS`: relative path → lowercase hex SHA-256.
    pub digests: BTreeMap<String, String>,
    /// The manifest's `wall_time_iso`, when it is a string.
    pub wall_time_iso: Option<String>,
}

/// Check the dump tree at `root` (see the module doc). Nothing is
/// followed: a symlink anywhere, the root included, is refused.
// REQ-ARC-1
pub fn check_dump(root: &Path) -> Result<Checked, Error> {
    let source = DiskSource::new(root)?;
    let entries = walk(root)?;
    check_listed(entries, &source)
}

/// The checks of [`check_dump`] after the walk: `entries` are every
/// directory and file of the tree, sorted, as [`Checked::entries`]; the
/// files are read from `source`.
// REQ-ARC-1
pub fn check_listed(entries: Vec<(String, bool)>, source: &dyn Source) -> Result<Checked, Error> {
    let files: Vec<String> = entries
        .iter()
        .filter(|(p, dir)| !dir && p != CHECKSUMS)
        .map(|(p, _)| p.clone())
        .collect();
    let regular = |name: &str| entries.iter().any(|(p, dir)| p == name && !dir);
    if !regular(MANIFEST) {
        return Err(EncodeError::InvalidManifest {
            path: MANIFEST.to_string(),
            reason: "the file is missing".to_string(),
        }
        .into());
    }
    if !regular(CHECKSUMS) {
        return Err(EncodeError::InvalidChecksums {
            path: CHECKSUMS.to_string(),
            line: 0,
            reason: "the file is missing".to_string(),
        }
        .into());
    }
    let wall_time_iso = check_manifest(&read_small(source, MANIFEST)?)?;
    let sums = read_small(source, CHECKSUMS)?;
    let digests = listed(&sums);
    if let Some(file) = files.iter().find(|f| !digests.contains_key(f.as_str())) {
        return Err(ArchiveError::Unlisted {
            entry: file.clone(),
        }
        .into());
    }
    verify_checksums(source, &files)?;
    Ok(Checked {
        entries,
        digests,
        wall_time_iso,
    })
}

/// Every entry below `root`, sorted; a symlink, special file, hard-linked
/// file or non-UTF-8 name is refused.
// REQ-ARC-1, REQ-ARC-2
fn walk(root: &Path) -> Result<Vec<(String, bool)>, Error> {
    let mut out = Vec::new();
    let mut stack = vec![(root.to_path_buf(), String::new())];
    while let Some((dir, rel)) = stack.pop() {
        let ctx = || format!("listing {}", dir.display());
        for entry in fs::read_dir(&dir).map_err(|e| Error::io(ctx(), e))? {
            let entry = entry.map_err(|e| Error::io(ctx(), e))?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else {
                return Err(ArchiveError::UnsafePath {
                    entry: format!("{rel}{}", name.to_string_lossy()),
                    reason: "the name is not UTF-8".to_string(),
                }
                .into());
            };
            let child = format!("{rel}{name}");
            let path = entry.path();
            let meta = fs::symlink_metadata(&path)
                .map_err(|e| Error::io(format!("inspecting {}", path.display()), e))?;
            let kind = meta.file_type();
            if kind.is_dir() {
                stack.push((path, format!("{child}/")));
                out.push((child, true));
            } else if kind.is_file() {
                let links = link_count(&meta);
                if links > 1 {
                    return Err(ArchiveError::NonRegular {
                        entry: child,
                        kind: format!("a hard link ({links} links)"),
                    }
                    .into());
                }
                out.push((child, false));
            } else {
                return Err(ArchiveError::NonRegular {
                    entry: child,
                    kind: if kind.is_symlink() {
                        "a symlink".to_string()
                    } else {
                        "a special file (device, FIFO or socket)".to_string()
                    },
                }
                .into());
            }
        }
    }
    out.sort();
    Ok(out)
}

#[cfg(unix)]
fn link_count(meta: &fs::Metadata) -> u64 {
    use std::os::unix::fs::MetadataExt;
    meta.nlink()
}

#[cfg(not(unix))]
fn link_count(_: &fs::Metadata) -> u64 {
    1
}

/// Read `MANIFEST.json` or `CHECKSUMS` whole, at most
/// [`MAX_SMALL_FILE`] bytes.
fn read_small(source: &dyn Source, name: &str) -> Result<Vec<u8>, Error> {
    let read = || format!("reading {name}");
    read_capped(source.open(name)?, MAX_SMALL_FILE, read)?.ok_or_else(|| too_large(name))
}

/// Check `MANIFEST.json` as upstream's archive tool does: one JSON object
/// whose `format_version` is 1. Returns its `wall_time_iso`.
pub fn check_manifest(bytes: &[u8]) -> Result<Option<String>, Error> {
    let obj = manifest_object(bytes)?;
    Ok(obj
        .get("wall_time_iso")
        .and_then(serde_json::Value::as_str)
        .map(str::to_string))
}

/// The paths and digests `CHECKSUMS` lists (lines that do not parse are
/// left to [`verify_checksums`], which names them).
fn listed(sums: &[u8]) -> BTreeMap<String, String> {
    String::from_utf8_lossy(sums)
        .lines()
        .filter_map(|l| l.split_once("  "))
        .map(|(d, p)| (p.to_string(), d.to_string()))
        .collect()
}
