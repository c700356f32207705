//! Staging directories and their owners (REQ-CLI-5, REQ-CLI-14).
//!
//! [`Staging`] is the one staging type: every run that writes an output
//! builds it in a hidden directory beside it (same parent, so the final
//! rename stays on one file system), registers that directory with its
//! [`Control`] so that a signal thread can remove it (REQ-ENG-5), commits
//! by rename while holding the registration lock, and removes the
//! directory on drop, that is on every error.
//!
//! Every directory a run creates for its temporary files — a dump's
//! `.sqsdump-staging-*` (decode, `corpus`, `gen`'s scratch), encode's
//! `.sqsdump-encode-*`, the self-test's `.sqsdump-selftest-*` (see
//! [`StagingKind`]) — carries its owner in its name:
//! `<prefix><pid>-<start>-<random>`, where `start` is the process start
//! time (field 22 of `/proc/<pid>/stat`, clock ticks since boot; 0 where
//! `/proc` is unavailable). The name is set when the directory is
//! created, so there is no moment at which it exists without an owner.
//!
//! A directory is *stale* when its owner is dead: no process has that pid,
//! or the process that has it started at another time (the pid was
//! reused). Where `/proc` cannot be read, every owner counts as alive, so
//! nothing is ever reported or removed on a guess; so does the owner of a
//! directory that belongs to another user. A directory whose name
//! carries no owner is not ours to judge and is left alone.
//!
//! Two kinds of temporary files are not staged this way:
//!
//! - `decode --warnings FILE` stages one file beside FILE, named
//!   `.<name>.sqsdump-warnings-<pid>` as SPEC.md says (REQ-ERR-3), and
//!   puts it in place with [`place_file`], as `archive pack` places its
//!   archive out of its staging directory: a single file is linked,
//!   never renamed over what appeared meanwhile. The staging file is
//!   removed on drop; it is not registered with the run's [`Control`],
//!   which holds the dump's staging directory.
//! - Work areas that are never committed live in the system's temporary
//!   directory and go on drop: `conform`'s per-case scratch directories
//!   (`--keep` moves a failing case's directory out for inspection; a
//!   partial copy there is acceptable), the built-in corpus `conform`
//!   generates, and the node data directory the corpus lays out to
//!   compute an expected outcome.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use tempfile::TempDir;

use super::Control;
use crate::Error;

/// What a staging directory holds, which names its prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StagingKind {
    /// A dump tree being built (decode, `corpus`), or scratch files
    /// (`gen`): `.sqsdump-staging-`.
    Dump,
    /// An encoded snapshot and its sidecar: `.sqsdump-encode-`.
    Encode,
    /// The self-test's decode of a staged snapshot: `.sqsdump-selftest-`.
    SelfTest,
}

impl StagingKind {
    /// Every kind, in the order of [`PREFIXES`].
    pub const ALL: [StagingKind; 3] = [
        StagingKind::Dump,
        StagingKind::Encode,
        StagingKind::SelfTest,
    ];

    /// The name prefix of its directories.
    pub const fn prefix(self) -> &'static str {
        match self {
            StagingKind::Dump => ".sqsdump-staging-",
            StagingKind::Encode => ".sqsdump-encode-",
            StagingKind::SelfTest => ".sqsdump-selftest-",
        }
    }
}

/// The prefixes of the directories a run creates beside its output (or in
/// `--scratch-root`).
pub const PREFIXES: &[&str] = &[
    StagingKind::Dump.prefix(),
    StagingKind::Encode.prefix(),
    StagingKind::SelfTest.prefix(),
];

/// A staging directory owned by this run (see the module doc). Dropping it
/// forgets its registration and removes it with everything in it.
#[derive(Debug)]
pub struct Staging<'c> {
    dir: Option<TempDir>,
    ctl: Option<&'c Control>,
}

impl<'c> Staging<'c> {
    /// Create a staging directory of `kind` in `parent`, which must exist,
    /// and register it with `ctl` (if any) until it is committed or
    /// dropped.
    pub fn create_in(
        parent: &Path,
        kind: StagingKind,
        ctl: Option<&'c Control>,
    ) -> Result<Staging<'c>, Error> {
        Staging::try_create_in(parent, kind, ctl).map_err(|e| {
            Error::io(
                format!("creating a staging directory in {}", parent.display()),
                e,
            )
        })
    }

    /// [`Staging::create_in`] with the bare I/O error, for a caller that
    /// names the directory in its own words.
    pub fn try_create_in(
        parent: &Path,
        kind: StagingKind,
        ctl: Option<&'c Control>,
    ) -> std::io::Result<Staging<'c>> {
        let dir = create_in(parent, kind.prefix())?;
        if let Some(ctl) = ctl {
            ctl.set_staging(Some(dir.path().to_path_buf()));
        }
        Ok(Staging {
            dir: Some(dir),
            ctl,
        })
    }

    /// [`Staging::create_in`] the directory that holds `out`, creating that
    /// directory and its missing ancestors first (mode 0755 before the
    /// umask, REQ-CLI-7).
    pub fn beside(
        out: &Path,
        kind: StagingKind,
        ctl: Option<&'c Control>,
    ) -> Result<Staging<'c>, Error> {
        let parent = parent_dir(out);
        crate::write::dir_builder(true)
            .create(&parent)
            .map_err(|e| Error::io(format!("creating {}", parent.display()), e))?;
        Staging::create_in(&parent, kind, ctl)
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        match &self.dir {
            Some(dir) => dir.path(),
            None => Path::new(""),
        }
    }

    /// Run `place`, which moves the finished files out of the staging
    /// directory into place, while holding the registration lock, so that
    /// a signal thread cannot remove the directory halfway through. On
    /// success the registration is forgotten and the directory, emptied of
    /// what was placed, is removed (best effort: the output is complete).
    /// On error the directory is removed as on drop.
    pub fn commit_with<T, E>(mut self, place: impl FnOnce() -> Result<T, E>) -> Result<T, E> {
        let guard = self.ctl.map(|c| c.staging.lock());
        let placed = match place() {
            Ok(placed) => placed,
            Err(e) => {
                // Unlocked first: dropping `self` takes the lock again.
                drop(guard);
                return Err(e);
            }
        };
        if let Some(Ok(mut g)) = guard {
            *g = None;
        }
        self.ctl = None;
        if let Some(dir) = self.dir.take() {
            let _ = dir.close();
        }
        Ok(placed)
    }

    /// Rename `from` (inside the staging directory) onto `out` unless the
    /// run was interrupted, then sync the directory that holds `out`
    /// (REQ-CLI-5). A rename replaces only an absent path or an empty
    /// directory.
    pub fn commit(self, from: &Path, out: &Path) -> Result<(), Error> {
        let ctl = self.ctl;
        self.commit_with(|| {
            if let Some(ctl) = ctl {
                ctl.interrupted()?;
            }
            fs::rename(from, out).map_err(|e| {
                Error::io(
                    format!("moving the finished dump into place at {}", out.display()),
                    e,
                )
            })
        })?;
        // Best effort: the output is in place; failing to sync the parent
        // must not turn a complete output into an error.
        if let Ok(dir) = fs::File::open(parent_dir(out)) {
            let _ = dir.sync_all();
        }
        Ok(())
    }
}

impl Drop for Staging<'_> {
    fn drop(&mut self) {
        // Removed while the lock is held, so that a signal thread that
        // finds the registration still set waits until it is gone.
        let guard = self.ctl.map(|c| c.staging.lock());
        drop(self.dir.take());
        if let Some(Ok(mut g)) = guard {
            *g = None;
        }
    }
}

/// Put the finished file `staged` at `dest` without ever replacing what is
/// there: a hard link, which fails on an existing path, after which
/// `staged` is removed; on a file system without hard links, a rename
/// after checking that `dest` is free. Something at `dest` is an error of
/// kind [`std::io::ErrorKind::AlreadyExists`].
pub fn place_file(staged: &Path, dest: &Path) -> std::io::Result<()> {
    use std::io::ErrorKind::AlreadyExists;
    match fs::hard_link(staged, dest) {
        Ok(()) => {
            // Best effort: what was staged is in place; the staging file
            // goes with its directory, or on the owner's drop, at the latest.
            let _ = fs::remove_file(staged);
            Ok(())
        }
        Err(e) if e.kind() == AlreadyExists => Err(e),
        Err(_) if fs::symlink_metadata(dest).is_ok() => Err(AlreadyExists.into()),
        Err(_) => fs::rename(staged, dest),
    }
}

/// The directory that holds `out` (`.` for a bare name).
pub(crate) fn parent_dir(out: &Path) -> PathBuf {
    match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// The process that created a staging directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Owner {
    /// Its process id.
    pub pid: u32,
    /// Its start time, in clock ticks since boot (0: unknown).
    pub start: u64,
}

impl Owner {
    /// This process.
    pub fn current() -> Owner {
        let pid = std::process::id();
        Owner {
            pid,
            start: start_time(pid).unwrap_or(0),
        }
    }

    /// Whether the owner may still be running: the pid exists with the
    /// same start time, or `/proc` cannot tell.
    // REQ-CLI-14
    pub fn is_alive(&self) -> bool {
        if !Path::new("/proc/self/stat").exists() {
            return true;
        }
        match start_time(self.pid) {
            None => false,
            Some(now) => self.start == 0 || now == self.start,
        }
    }
}

/// Field 22 (`starttime`) of `/proc/<pid>/stat`. The command name (field
/// 2) is in parentheses and may hold spaces or parentheses, so fields are
/// counted after the last `)`.
pub fn start_time(pid: u32) -> Option<u64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_start_time(&stat)
}

/// The start time in the text of a `/proc/<pid>/stat` file.
// REQ-CLI-14
pub fn parse_start_time(stat: &str) -> Option<u64> {
    let (_, rest) = stat.rsplit_once(')')?;
    // Fields 3.. follow the name: field 22 is the 20th of them.
    rest.split_ascii_whitespace().nth(19)?.parse().ok()
}

/// Create a staging directory named `<prefix><pid>-<start>-<random>` in
/// `parent`, owned by this process.
// REQ-CLI-14
fn create_in(parent: &Path, prefix: &str) -> std::io::Result<TempDir> {
    let me = Owner::current();
    tempfile::Builder::new()
        .prefix(&format!("{prefix}{}-{}-", me.pid, me.start))
        .tempdir_in(parent)
}

/// The owner recorded in a directory name, if it is one of ours.
// REQ-CLI-14
pub fn owner_of(name: &str) -> Option<Owner> {
    let rest = PREFIXES.iter().find_map(|p| name.strip_prefix(p))?;
    let mut parts = rest.splitn(3, '-');
    let pid = parts.next()?.parse().ok()?;
    let start = parts.next()?.parse().ok()?;
    let random = parts.next()?;
    if random.is_empty() || !random.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    Some(Owner { pid, start })
}

/// A staging directory whose owner is dead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stale {
    /// Its path.
    pub path: PathBuf,
    /// The bytes of the files in it.
    pub bytes: u64,
    /// The process that created it.
    pub owner: Owner,
}

impl Stale {
    /// The warning printed by a run that writes beside it: one JSON object
    /// on one line, like the decode warnings (REQ-ERR-3).
    pub fn to_json_line(&self) -> String {
        serde_json::json!({
            "event": "stale_staging_directory",
            "path": self.path.display().to_string(),
            "bytes": self.bytes,
            "owner_pid": self.owner.pid,
            "hint": format!(
                "left by a run that no longer exists (killed or crashed); \
                 `sqsdump clean {}` removes it",
                self.path.parent().map_or_else(|| ".".to_string(), |p| p.display().to_string())
            ),
        })
        .to_string()
    }
}

/// What [`scan`] found in a directory.
#[derive(Debug, Default)]
pub struct Found {
    /// Directories of dead owners.
    pub stale: Vec<Stale>,
    /// Directories of owners that may still be running.
    pub live: Vec<PathBuf>,
}

/// The staging directories in `dir` (not below it), sorted by path. A
/// directory that cannot be read yields nothing.
// REQ-CLI-14
pub fn scan(dir: &Path) -> Found {
    let mut found = Found::default();
    let Ok(entries) = fs::read_dir(dir) else {
        return found;
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name();
        let Some(owner) = name.to_str().and_then(owner_of) else {
            continue;
        };
        // Never a symlink: only a real directory is ours.
        if !entry.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        let path = entry.path();
        if owner.is_alive() || !same_user(&entry) {
            found.live.push(path);
        } else {
            found.stale.push(Stale {
                bytes: size_of(&path),
                path,
                owner,
            });
        }
    }
    found
}

/// Whether this process's user owns the entry. Another user's directory
/// counts as live: its process may be hidden from `/proc` (`hidepid`),
/// and it is not ours to remove.
fn same_user(entry: &fs::DirEntry) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (entry.metadata(), fs::metadata("/proc/self")) {
            (Ok(dir), Ok(me)) => dir.uid() == me.uid(),
            _ => true,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = entry;
        true
    }
}

/// Print one warning line on stderr per stale directory in `dir`.
// REQ-CLI-14
pub fn report_stale(dir: &Path) {
    use std::io::Write;
    let found = scan(dir);
    let mut err = std::io::stderr().lock();
    for s in &found.stale {
        let _ = writeln!(err, "{}", s.to_json_line());
    }
}

/// The bytes of the regular files under `path`, symlinks not followed.
pub fn size_of(path: &Path) -> u64 {
    let mut total = 0u64;
    let mut stack = vec![path.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.filter_map(Result::ok) {
            let Ok(meta) = entry.path().symlink_metadata() else {
                continue;
            };
            if meta.is_dir() {
                stack.push(entry.path());
            } else {
                total = total.saturating_add(meta.len());
            }
        }
    }
    total
}

/// The directories this run created for its output's parent, outermost
/// first, so that a failed or interrupted run removes them again.
static CREATED_PARENTS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Create `dir` and its missing ancestors with mode 0755 (before the
/// umask), remembering the ones created for [`remove_created_parents`].
pub fn create_parents(dir: &Path) -> std::io::Result<()> {
    let mut missing = Vec::new();
    let mut cur = Some(dir);
    while let Some(d) = cur {
        if d.as_os_str().is_empty() || fs::symlink_metadata(d).is_ok() {
            break;
        }
        missing.push(d.to_path_buf());
        cur = d.parent();
    }
    missing.reverse();
    for d in missing {
        match crate::write::dir_builder(false).create(&d) {
            Ok(()) => {
                if let Ok(mut created) = CREATED_PARENTS.lock() {
                    created.push(d);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => {
                remove_created_parents();
                return Err(e);
            }
        }
    }
    Ok(())
}

/// Remove the directories [`create_parents`] created, innermost first,
/// each only if it is empty.
pub fn remove_created_parents() {
    if let Ok(mut created) = CREATED_PARENTS.lock() {
        for dir in created.drain(..).rev() {
            let _ = fs::remove_dir(dir);
        }
    }
}

/// What `sqsdump clean` did with one directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cleaned {
    /// Removed (or, with `--dry-run`, would be).
    Removed(Stale),
    /// Its owner may still be running: kept.
    Live(PathBuf),
}

/// Remove the stale staging directories in `dir` (none with `dry_run`),
/// keeping those of live owners.
// REQ-CLI-14
pub fn clean(dir: &Path, dry_run: bool) -> std::io::Result<Vec<Cleaned>> {
    fs::read_dir(dir)?;
    let found = scan(dir);
    let mut done = Vec::new();
    for s in found.stale {
        if !dry_run {
            fs::remove_dir_all(&s.path)?;
        }
        done.push(Cleaned::Removed(s));
    }
    done.extend(found.live.into_iter().map(Cleaned::Live));
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    // REQ-CLI-14
    #[test]
    fn the_start_time_is_field_22_counted_after_the_name() {
        let stat = "42 (a) b) (c) S 1 42 42 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 98765 1000 10";
        assert_eq!(parse_start_time(stat), Some(98765));
        assert_eq!(parse_start_time("42 (x) S 1"), None);
        assert_eq!(parse_start_time("no parenthesis"), None);
        if Path::new("/proc/self/stat").exists() {
            assert!(Owner::current().start > 0);
        }
    }

    // REQ-CLI-14
    #[test]
    fn an_owner_is_read_back_from_the_name_only_for_our_prefixes() {
        assert_eq!(
            owner_of(".sqsdump-staging-12-345-AbC9x1"),
            Some(Owner {
                pid: 12,
                start: 345
            })
        );
        assert_eq!(
            owner_of(".sqsdump-encode-1-0-zz"),
            Some(Owner { pid: 1, start: 0 })
        );
        for name in [
            ".sqsdump-staging-AbC9x1",
            ".sqsdump-staging-12-345-",
            ".sqsdump-staging-12-345-a/b",
            ".sqsdump-corpus-12-345-abc",
            "dump",
        ] {
            assert_eq!(owner_of(name), None, "{name}");
        }
    }

    // REQ-CLI-14
    #[test]
    fn this_process_is_alive_and_another_start_time_or_a_free_pid_is_not() {
        let me = Owner::current();
        assert!(me.is_alive());
        if Path::new("/proc/self/stat").exists() {
            let reused = Owner {
                start: me.start + 1,
                ..me
            };
            assert!(!reused.is_alive());
            // Above the largest pid Linux allows (2^22).
            let gone = Owner {
                pid: 4_194_305,
                start: 1,
            };
            assert!(!gone.is_alive());
        }
    }

    // REQ-CLI-14: every kind of staging directory records its owner in its
    // name, and `scan` finds it by that name.
    #[test]
    fn every_kind_is_named_with_its_owner_and_found_by_scan() {
        let tmp = tempfile::tempdir().unwrap();
        let mut made = Vec::new();
        for kind in StagingKind::ALL {
            let s = Staging::create_in(tmp.path(), kind, None).unwrap();
            let name = s.path().file_name().unwrap().to_str().unwrap().to_string();
            assert!(name.starts_with(kind.prefix()), "{name}");
            assert_eq!(owner_of(&name), Some(Owner::current()), "{name}");
            made.push(s);
        }
        assert_eq!(scan(tmp.path()).live.len(), StagingKind::ALL.len());
        assert_eq!(PREFIXES.len(), StagingKind::ALL.len());
    }

    // REQ-ERR-3: a staged file is placed where nothing is, and never over
    // what is there, which stays as it was, as does the staged file.
    #[test]
    fn a_staged_file_is_placed_only_where_nothing_is() {
        let tmp = tempfile::tempdir().unwrap();
        let (staged, dest) = (tmp.path().join(".staged"), tmp.path().join("dest"));
        fs::write(&staged, b"new").unwrap();
        place_file(&staged, &dest).unwrap();
        assert_eq!(fs::read(&dest).unwrap(), b"new");
        assert!(!staged.exists());

        fs::write(&staged, b"newer").unwrap();
        let e = place_file(&staged, &dest).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::AlreadyExists);
        assert_eq!(fs::read(&dest).unwrap(), b"new");
        assert_eq!(fs::read(&staged).unwrap(), b"newer");
    }

    // REQ-CLI-5: a committed staging directory is renamed into place and
    // then gone, and its registration cleared; a dropped one (every error)
    // is removed with what it held, and its registration cleared too.
    #[test]
    fn a_staging_directory_is_registered_until_committed_or_dropped() {
        let tmp = tempfile::tempdir().unwrap();
        let ctl = Control::default();
        let registered = || ctl.staging.lock().unwrap().clone();

        let out = tmp.path().join("a/b/out");
        let s = Staging::beside(&out, StagingKind::Dump, Some(&ctl)).unwrap();
        let dir = s.path().to_path_buf();
        assert_eq!(dir.parent(), Some(tmp.path().join("a/b").as_path()));
        assert_eq!(registered(), Some(dir.clone()));
        fs::create_dir(dir.join("dump")).unwrap();
        fs::write(dir.join("dump/f"), b"x").unwrap();
        s.commit(&dir.join("dump"), &out).unwrap();
        assert_eq!(fs::read(out.join("f")).unwrap(), b"x");
        assert!(!dir.exists());
        assert_eq!(registered(), None);

        let s = Staging::create_in(tmp.path(), StagingKind::Encode, Some(&ctl)).unwrap();
        let dir = s.path().to_path_buf();
        fs::write(dir.join("snapshot"), b"y").unwrap();
        drop(s);
        assert!(!dir.exists());
        assert_eq!(registered(), None);

        // An interrupted run does not commit.
        let s = Staging::create_in(tmp.path(), StagingKind::Dump, Some(&ctl)).unwrap();
        let dir = s.path().to_path_buf();
        fs::create_dir(dir.join("dump")).unwrap();
        ctl.interrupt.store(2, std::sync::atomic::Ordering::Relaxed);
        let late = tmp.path().join("late");
        assert!(matches!(
            s.commit(&dir.join("dump"), &late),
            Err(Error::Interrupted { signal: 2 })
        ));
        assert!(!late.exists() && !dir.exists());
        assert_eq!(registered(), None);
    }
}
