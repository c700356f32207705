//! Dumps as tar or tar+zstd archives (REQ-ARC-*): `sqsdump archive pack`
//! and `sqsdump archive unpack`, interchangeable with elastickv's
//! `elastickv-snapshot-archive`.
//!
//! - [`tree`]: the checks both directions share: the tree holds only
//!   directories and regular files with one link each, `MANIFEST.json` is
//!   a format-1 manifest, and `CHECKSUMS` lists every other file with its
//!   SHA-256.
//! - `pack`: a checked dump tree → an archive whose bytes depend only on
//!   the tree (fixed owners, modes and mtime), staged beside the output.
//! - `unpack`: an archive → a dump tree, every entry checked before it is
//!   written, the whole tree checked before it is renamed into place.
//! - [`source`]: an archive read by `encode` as a dump tree without
//!   unpacking it, checked as `unpack` checks it.

pub mod pack;
pub mod source;
pub mod tree;
pub mod unpack;

pub use pack::{pack, pack_in, PackOptions, PackReport};
pub use unpack::{unpack, unpack_reader, Budget, UnpackReport};

/// The first bytes of a zstd frame (0xFD2FB528, little-endian).
pub const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// Upstream's default limit on the entries of an archive.
pub const DEFAULT_MAX_ENTRIES: u64 = 1_000_000;
/// Upstream's default limit on the file bytes of an archive (1 TiB).
pub const DEFAULT_MAX_BYTES: u64 = 1 << 40;

/// Mode of every directory in a packed archive.
pub const DIR_MODE: u32 = 0o755;
/// Mode of every file in a packed archive.
pub const FILE_MODE: u32 = 0o644;

/// How the tar stream is wrapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Compression {
    /// A plain tar stream.
    None,
    /// The tar stream in one zstd frame.
    Zstd,
}

impl Compression {
    /// The compression an output name asks for: zstd for `.zst`
    /// (`dump.tar.zst`), none otherwise.
    pub fn from_name(path: &std::path::Path) -> Compression {
        match path.extension().and_then(|e| e.to_str()) {
            Some(ext) if ext.eq_ignore_ascii_case("zst") => Compression::Zstd,
            _ => Compression::None,
        }
    }
}

/// Whether `decode --output PATH` means an archive rather than a dump
/// directory: its name ends in `.tar` or `.tar.zst`.
pub fn is_archive_name(path: &std::path::Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.ends_with(".tar") || n.ends_with(".tar.zst"))
}

/// Every way packing or unpacking an archive can be refused. Each message
/// names the entry (its path in the tree or in the archive) at fault.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// An archive entry's name is not a safe relative path: absolute
    /// (`/etc/passwd`), with a `..` component (`../evil`), empty, with an
    /// empty or `.` component inside, or not UTF-8.
    #[error("unsafe entry name {entry:?}: {reason}")]
    UnsafePath {
        /// The name as found.
        entry: String,
        /// What is wrong with it.
        reason: String,
    },
    /// An archive names the same path twice, or a path below a file.
    #[error("duplicate entry {entry:?}: {reason}")]
    DuplicateEntry {
        /// The name.
        entry: String,
        /// What it collides with.
        reason: String,
    },
    /// A symlink, hard link, device, FIFO, socket or other entry that is
    /// neither a regular file nor a directory, in a tree being packed or
    /// in an archive being unpacked.
    #[error("{entry:?} is {kind}: only regular files and directories are archived")]
    NonRegular {
        /// The path of the entry.
        entry: String,
        /// What it is (`a symlink`, `a hard link (2 links)`, …).
        kind: String,
    },
    /// A file of the tree that `CHECKSUMS` does not list.
    #[error("{entry:?} is not listed in CHECKSUMS")]
    Unlisted {
        /// The file.
        entry: String,
    },
    /// An archive holds more entries or more file bytes than the budget
    /// allows (`--max-entries`, `--max-bytes`), or its zstd stream
    /// expands beyond the budget.
    #[error("unpack budget exceeded at {entry:?}: {reason}")]
    BudgetExceeded {
        /// The entry being read when the budget ran out.
        entry: String,
        /// Which budget.
        reason: String,
    },
    /// The input is not a tar stream or a zstd-compressed one, or it is
    /// cut short or corrupt.
    #[error("invalid archive: {reason}")]
    Invalid {
        /// What the tar or zstd reader said.
        reason: String,
    },
}

impl ArchiveError {
    /// Stable machine-readable class (REQ-ERR-1).
    pub fn class(&self) -> &'static str {
        match self {
            ArchiveError::UnsafePath { .. } => "archive_unsafe_path",
            ArchiveError::DuplicateEntry { .. } => "archive_duplicate_entry",
            ArchiveError::NonRegular { .. } => "archive_non_regular",
            ArchiveError::Unlisted { .. } => "archive_unlisted_file",
            ArchiveError::BudgetExceeded { .. } => "archive_budget_exceeded",
            ArchiveError::Invalid { .. } => "archive_invalid",
        }
    }
}

/// The mtime of every entry: `epoch` (`SOURCE_DATE_EPOCH`) when given,
/// otherwise the manifest's `wall_time_iso` truncated to whole seconds,
/// otherwise 0.
// REQ-ARC-2
pub fn entry_mtime(epoch: Option<u64>, wall_time_iso: Option<&str>) -> u64 {
    if let Some(secs) = epoch {
        return secs;
    }
    wall_time_iso.and_then(wall_time_seconds).unwrap_or(0)
}

/// Seconds since the Unix epoch of an RFC 3339 time (`Z` or a `±hh:mm`
/// offset, any fraction dropped); `None` when it is not one or falls
/// before 1970.
pub fn wall_time_seconds(s: &str) -> Option<u64> {
    if !crate::manifest::is_rfc3339(s) {
        return None;
    }
    let base = s.get(..19)?;
    let mut rest = s.get(19..)?;
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        rest = frac.get(digits..)?;
    }
    let secs = crate::manifest::parse_wall_time(&format!("{base}Z")).ok()?;
    if rest.eq_ignore_ascii_case("z") {
        return Some(secs);
    }
    let sign = rest.get(..1)?;
    let hh: u64 = rest.get(1..3)?.parse().ok()?;
    let mm: u64 = rest.get(4..6)?.parse().ok()?;
    let offset = hh * 3600 + mm * 60;
    match sign {
        "+" => secs.checked_sub(offset),
        "-" => secs.checked_add(offset),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // REQ-ARC-2
    #[test]
    fn wall_times_become_whole_seconds_in_utc() {
        assert_eq!(
            wall_time_seconds("2023-11-14T22:13:20Z"),
            Some(1_700_000_000)
        );
        assert_eq!(
            wall_time_seconds("2023-11-14T22:13:20.999Z"),
            Some(1_700_000_000)
        );
        assert_eq!(
            wall_time_seconds("2023-11-15T00:13:20.5+02:00"),
            Some(1_700_000_000)
        );
        assert_eq!(
            wall_time_seconds("2023-11-14T21:13:20-01:00"),
            Some(1_700_000_000)
        );
        assert_eq!(wall_time_seconds("yesterday"), None);
        assert_eq!(entry_mtime(Some(5), Some("2023-11-14T22:13:20Z")), 5);
        assert_eq!(
            entry_mtime(None, Some("2023-11-14T22:13:20Z")),
            1_700_000_000
        );
        assert_eq!(entry_mtime(None, Some("bad")), 0);
        assert_eq!(entry_mtime(None, None), 0);
    }
}
