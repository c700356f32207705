//! How `sqsdump decode` reports its warnings (REQ-ERR-3, REQ-CLI-3).
//!
//! - stderr gets at most `--max-warnings N` JSON lines per warning kind
//!   (10 by default; `all` for every one). After the last warning, one
//!   `{"event":"warnings_suppressed","kind":…,"count":…,"shown":…}` line
//!   per kind that had lines left out, kinds in the order they first
//!   appeared, so stderr stays one JSON object per line up to the summary.
//! - `--warnings FILE` gets every warning as a JSON line, in the order
//!   stderr would show them without a limit. The file is written one line
//!   at a time (memory does not grow with the number of warnings) into a
//!   hidden staging file beside it, and linked into place, never over an
//!   existing file, once the dump itself is in place; a failed run leaves
//!   neither the file nor its staging file.
//! - [`KindCounts`] counts the warnings of each kind for the summary.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Component, Path, PathBuf};

use serde_json::json;

use crate::run::staging::place_file;
use crate::warning::Warning;
use crate::Error;

/// The default of `--max-warnings`.
pub const DEFAULT_MAX_WARNINGS: u64 = 10;

/// `--max-warnings`: how many lines of each warning kind stderr shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaxWarnings {
    /// At most this many lines per kind (0: none).
    PerKind(u64),
    /// Every warning.
    All,
}

impl Default for MaxWarnings {
    fn default() -> Self {
        MaxWarnings::PerKind(DEFAULT_MAX_WARNINGS)
    }
}

/// Parse `--max-warnings`: a count, or `all`.
pub fn parse_max_warnings(text: &str) -> Result<MaxWarnings, String> {
    let t = text.trim();
    if t.eq_ignore_ascii_case("all") {
        return Ok(MaxWarnings::All);
    }
    t.parse::<u64>()
        .map(MaxWarnings::PerKind)
        .map_err(|_| format!("not a count: {text:?} (a number, 0 for none, or `all`)"))
}

/// Warnings per kind, kinds in the order they first appeared.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KindCounts {
    kinds: Vec<(&'static str, u64)>,
}

impl KindCounts {
    /// Count one warning of `kind`; returns its kind's count so far.
    pub fn add(&mut self, kind: &'static str) -> u64 {
        if let Some(entry) = self.kinds.iter_mut().find(|(k, _)| *k == kind) {
            entry.1 += 1;
            return entry.1;
        }
        self.kinds.push((kind, 1));
        1
    }

    /// Every warning.
    pub fn total(&self) -> u64 {
        self.kinds.iter().map(|(_, n)| n).sum()
    }

    /// `(kind, count)` in the order kinds first appeared.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, u64)> + '_ {
        self.kinds.iter().copied()
    }
}

/// What the summary says about the warnings: counts per kind, what stderr
/// left out, and where the warnings file is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reported {
    /// Warnings per kind.
    pub counts: KindCounts,
    /// The `--max-warnings` in force.
    pub max: MaxWarnings,
    /// Lines left out of stderr, all kinds together.
    pub suppressed: u64,
    /// The warnings file, when one was written.
    pub file: Option<PathBuf>,
}

impl Reported {
    /// The summary's warning lines (none when there were no warnings and
    /// no file), each ending in a newline.
    pub fn render(&self) -> String {
        let mut s = String::new();
        if self.counts.total() > 0 {
            let kinds: Vec<String> = self
                .counts
                .iter()
                .map(|(k, n)| format!("{k} {n}"))
                .collect();
            s.push_str(&format!("warnings by kind: {}\n", kinds.join(", ")));
        }
        if self.suppressed > 0 {
            let per_kind = match self.max {
                MaxWarnings::PerKind(n) => n,
                MaxWarnings::All => 0,
            };
            let where_all = match &self.file {
                Some(path) => format!("every warning is in {}", path.display()),
                None => "--warnings FILE writes every one, --max-warnings all prints every one"
                    .to_string(),
            };
            s.push_str(&format!(
                "warnings left out of stderr: {} (at most {per_kind} per kind shown); {where_all}\n",
                self.suppressed
            ));
        } else if let Some(path) = &self.file {
            s.push_str(&format!("every warning is in {}\n", path.display()));
        }
        s
    }
}

/// Rate-limits warnings on `err` and copies every one to an optional
/// warnings file.
pub struct Reporter<W: Write> {
    err: W,
    max: MaxWarnings,
    counts: KindCounts,
    file: Option<WarningsFile>,
}

impl<W: Write> Reporter<W> {
    /// A reporter writing to `err` (stderr) and `file`.
    pub fn new(err: W, max: MaxWarnings, file: Option<WarningsFile>) -> Self {
        Reporter {
            err,
            max,
            counts: KindCounts::default(),
            file,
        }
    }

    /// Report one warning. Only a failed write to the warnings file is an
    /// error; stderr write errors are ignored, as for every stderr line.
    pub fn warning(&mut self, w: &Warning) -> Result<(), Error> {
        let seen = self.counts.add(w.event());
        let show = match self.max {
            MaxWarnings::All => true,
            MaxWarnings::PerKind(n) => seen <= n,
        };
        if !show && self.file.is_none() {
            return Ok(());
        }
        let line = w.to_json_line();
        if show {
            let _ = writeln!(self.err, "{line}");
        }
        if let Some(file) = self.file.as_mut() {
            file.write_line(&line)?;
        }
        Ok(())
    }

    /// Print one `warnings_suppressed` line per kind that had lines left
    /// out, and finish the warnings file (still staged: see
    /// [`WarningsFile::publish`]).
    pub fn finish(mut self) -> Result<(Reported, Option<WarningsFile>), Error> {
        let mut suppressed = 0;
        if let MaxWarnings::PerKind(n) = self.max {
            for (kind, count) in self.counts.iter() {
                let left_out = count.saturating_sub(n);
                if left_out > 0 {
                    suppressed += left_out;
                    let line = json!({
                        "event": "warnings_suppressed",
                        "kind": kind,
                        "count": left_out,
                        "shown": count - left_out,
                    });
                    let _ = writeln!(self.err, "{line}");
                }
            }
        }
        let _ = self.err.flush();
        let file = match self.file.take() {
            Some(mut f) => {
                f.flush()?;
                Some(f)
            }
            None => None,
        };
        let reported = Reported {
            counts: self.counts,
            max: self.max,
            suppressed,
            file: file.as_ref().map(|f| f.dest.clone()),
        };
        Ok((reported, file))
    }
}

/// `--warnings FILE`: every warning as a JSON line, staged beside `FILE`
/// and linked into place by [`WarningsFile::publish`]. Dropped before
/// then, it removes its staging file.
#[derive(Debug)]
pub struct WarningsFile {
    dest: PathBuf,
    staged: PathBuf,
    out: Option<BufWriter<File>>,
}

impl WarningsFile {
    /// Refuse a warnings path that exists (a dangling symlink included),
    /// has no file name, lies inside the output directory `output` (it
    /// would become part of the dump), or whose directory does not exist.
    pub fn ensure_safe(dest: &Path, output: &Path) -> Result<(), Error> {
        let refuse = |reason: &str| Error::UnsafeOutput {
            path: dest.display().to_string(),
            reason: reason.to_string(),
        };
        if dest.file_name().is_none() {
            return Err(refuse("warnings file path has no final name component"));
        }
        match fs::symlink_metadata(dest) {
            Ok(_) => return Err(refuse("warnings file exists (it is never overwritten)")),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io(format!("inspecting {}", dest.display()), e)),
        }
        if resolved(dest)?.starts_with(resolved(output)?) {
            return Err(refuse(
                "warnings file is inside the output directory (it is not part of the dump)",
            ));
        }
        let dir = match dest.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        if !dir.is_dir() {
            return Err(refuse("the warnings file's directory does not exist"));
        }
        Ok(())
    }

    /// Create the staging file `.<name>.sqsdump-warnings-<pid>` beside
    /// `dest` (after [`WarningsFile::ensure_safe`]).
    pub fn create(dest: &Path) -> Result<Self, Error> {
        let name = dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let staged =
            dest.with_file_name(format!(".{name}.sqsdump-warnings-{}", std::process::id()));
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&staged)
            .map_err(|e| Error::io(format!("creating {}", staged.display()), e))?;
        Ok(WarningsFile {
            dest: dest.to_path_buf(),
            staged,
            out: Some(BufWriter::new(file)),
        })
    }

    /// The path the file is published at.
    pub fn dest(&self) -> &Path {
        &self.dest
    }

    /// Append one warning.
    pub fn write(&mut self, w: &Warning) -> Result<(), Error> {
        self.write_line(&w.to_json_line())
    }

    fn write_line(&mut self, line: &str) -> Result<(), Error> {
        let Some(out) = self.out.as_mut() else {
            return Ok(());
        };
        writeln!(out, "{line}")
            .map_err(|e| Error::io(format!("writing {}", self.staged.display()), e))
    }

    fn flush(&mut self) -> Result<(), Error> {
        if let Some(out) = self.out.as_mut() {
            out.flush()
                .and_then(|()| out.get_ref().sync_all())
                .map_err(|e| Error::io(format!("writing {}", self.staged.display()), e))?;
        }
        Ok(())
    }

    /// Put the file in place with [`place_file`]: a hard link, which fails
    /// rather than replace a file that appeared meanwhile. The staging file
    /// is removed either way (at the latest on drop). Called once the dump is in place, so an error
    /// says so.
    pub fn publish(mut self) -> Result<(), Error> {
        self.flush()?;
        self.out = None;
        match place_file(&self.staged, &self.dest) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(Error::UnsafeOutput {
                path: self.dest.display().to_string(),
                reason: "warnings file appeared during the run (it is never overwritten; \
                         the dump is complete)"
                    .to_string(),
            }),
            Err(e) => Err(Error::io(
                format!(
                    "moving the warnings file into place at {} (the dump is complete)",
                    self.dest.display()
                ),
                e,
            )),
        }
    }
}

impl Drop for WarningsFile {
    fn drop(&mut self) {
        self.out = None;
        let _ = fs::remove_file(&self.staged);
    }
}

/// `path` made absolute, with its longest existing ancestor resolved
/// through symlinks and the rest normalized lexically.
fn resolved(path: &Path) -> Result<PathBuf, Error> {
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map_err(|e| Error::io("reading the current directory", e))?
            .join(path)
    };
    let mut existing = abs.as_path();
    let mut rest = Vec::new();
    loop {
        if let Ok(real) = fs::canonicalize(existing) {
            let mut out = real;
            for c in rest.iter().rev() {
                push_normal(&mut out, *c);
            }
            return Ok(out);
        }
        match (existing.parent(), existing.components().next_back()) {
            (Some(parent), Some(last)) => {
                rest.push(last);
                existing = parent;
            }
            _ => {
                let mut out = PathBuf::new();
                for c in abs.components() {
                    push_normal(&mut out, c);
                }
                return Ok(out);
            }
        }
    }
}

fn push_normal(out: &mut PathBuf, c: Component<'_>) {
    match c {
        Component::CurDir => {}
        Component::ParentDir => {
            out.pop();
        }
        other => out.push(other.as_os_str()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn after(ts: u64) -> Warning {
        Warning::VersionAfterHeader {
            key_hex: "00".into(),
            commit_ts: ts,
            last_commit_ts: 1,
        }
    }

    fn stale(n: usize) -> Warning {
        Warning::StaleGenerationDropped {
            queue: "q".into(),
            active_gen: 2,
            dropped: n,
        }
    }

    fn run(max: MaxWarnings, ws: &[Warning]) -> (String, Reported) {
        let mut err = Vec::new();
        let mut r = Reporter::new(&mut err, max, None);
        for w in ws {
            r.warning(w).unwrap();
        }
        let (reported, file) = r.finish().unwrap();
        assert!(file.is_none());
        (String::from_utf8(err).unwrap(), reported)
    }

    // REQ-ERR-3
    #[test]
    fn stderr_shows_at_most_n_lines_per_kind_then_one_count_per_kind() {
        let ws = [after(2), stale(1), after(3), after(4), stale(2), after(5)];
        let (err, reported) = run(MaxWarnings::PerKind(2), &ws);
        let expected = [
            after(2).to_json_line(),
            stale(1).to_json_line(),
            after(3).to_json_line(),
            stale(2).to_json_line(),
            r#"{"event":"warnings_suppressed","kind":"snapshot_version_after_header","count":2,"shown":2}"#.to_string(),
        ];
        assert_eq!(err, expected.join("\n") + "\n");
        assert_eq!(reported.suppressed, 2);
        assert_eq!(
            reported.counts.iter().collect::<Vec<_>>(),
            [
                ("snapshot_version_after_header", 4),
                ("sqs_stale_generation_messages_dropped", 2)
            ]
        );
        assert_eq!(
            reported.render(),
            "warnings by kind: snapshot_version_after_header 4, sqs_stale_generation_messages_dropped 2\n\
             warnings left out of stderr: 2 (at most 2 per kind shown); \
             --warnings FILE writes every one, --max-warnings all prints every one\n"
        );

        let (err, reported) = run(MaxWarnings::All, &ws);
        let all: Vec<String> = ws.iter().map(Warning::to_json_line).collect();
        assert_eq!(err, all.join("\n") + "\n");
        assert_eq!(reported.suppressed, 0);

        let (err, reported) = run(MaxWarnings::PerKind(0), &ws);
        assert_eq!(
            err,
            "{\"event\":\"warnings_suppressed\",\"kind\":\"snapshot_version_after_header\",\"count\":4,\"shown\":0}\n\
             {\"event\":\"warnings_suppressed\",\"kind\":\"sqs_stale_generation_messages_dropped\",\"count\":2,\"shown\":0}\n"
        );
        assert_eq!((reported.suppressed, reported.counts.total()), (6, 6));

        let (err, reported) = run(MaxWarnings::default(), &[]);
        assert_eq!((err.as_str(), reported.render().as_str()), ("", ""));
    }

    // REQ-CLI-1
    #[test]
    fn max_warnings_takes_a_count_or_all() {
        assert_eq!(parse_max_warnings("0"), Ok(MaxWarnings::PerKind(0)));
        assert_eq!(parse_max_warnings("25"), Ok(MaxWarnings::PerKind(25)));
        assert_eq!(parse_max_warnings("all"), Ok(MaxWarnings::All));
        assert_eq!(parse_max_warnings("ALL"), Ok(MaxWarnings::All));
        assert!(parse_max_warnings("-1").is_err());
        assert!(parse_max_warnings("ten").is_err());
        assert_eq!(MaxWarnings::default(), MaxWarnings::PerKind(10));
    }

    // REQ-ERR-3
    #[test]
    fn the_warnings_file_is_staged_then_linked_never_over_a_file() {
        let tmp = tempfile::tempdir().unwrap();
        let dest = tmp.path().join("w.jsonl");
        let out = tmp.path().join("out");
        WarningsFile::ensure_safe(&dest, &out).unwrap();
        let file = WarningsFile::create(&dest).unwrap();
        let mut err = Vec::new();
        let mut r = Reporter::new(&mut err, MaxWarnings::PerKind(1), Some(file));
        for w in [after(2), after(3), stale(4)] {
            r.warning(&w).unwrap();
        }
        let (reported, file) = r.finish().unwrap();
        let file = file.unwrap();
        assert!(!dest.exists(), "staged, not yet published");
        assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 1);
        assert_eq!(reported.file.as_deref(), Some(dest.as_path()));
        assert!(reported.render().ends_with(&format!(
            "(at most 1 per kind shown); every warning is in {}\n",
            dest.display()
        )));
        file.publish().unwrap();
        let all: Vec<String> = [after(2), after(3), stale(4)]
            .iter()
            .map(Warning::to_json_line)
            .collect();
        assert_eq!(
            std::fs::read_to_string(&dest).unwrap(),
            all.join("\n") + "\n"
        );
        assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 1);
        // An existing file is refused, before and at publication.
        let e = WarningsFile::ensure_safe(&dest, &out).unwrap_err();
        assert_eq!(e.class(), "unsafe_output");
        let mut again = WarningsFile::create(&dest).unwrap();
        again.write(&stale(9)).unwrap();
        let e = again.publish().unwrap_err();
        assert_eq!(e.class(), "unsafe_output");
        assert!(e.to_string().contains("the dump is complete"), "{e}");
        assert_eq!(
            std::fs::read_to_string(&dest).unwrap(),
            all.join("\n") + "\n"
        );
        assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 1);
        std::fs::remove_file(&dest).unwrap();
        // Dropped unpublished: nothing is left.
        drop(WarningsFile::create(&dest).unwrap());
        assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
    }

    // REQ-ERR-3
    #[test]
    fn a_warnings_file_inside_the_output_or_dangling_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        for inside in [
            out.join("w.jsonl"),
            out.join("sub/w.jsonl"),
            tmp.path().join("x/../out/w.jsonl"),
        ] {
            let e = WarningsFile::ensure_safe(&inside, &out).unwrap_err();
            assert_eq!(e.class(), "unsafe_output", "{inside:?}");
            assert!(e.to_string().contains("inside the output"), "{e}");
        }
        std::fs::create_dir(&out).unwrap();
        let link = tmp.path().join("alias");
        std::os::unix::fs::symlink(&out, &link).unwrap();
        let e = WarningsFile::ensure_safe(&link.join("w.jsonl"), &out).unwrap_err();
        assert!(e.to_string().contains("inside the output"), "{e}");
        let dangling = tmp.path().join("dangling");
        std::os::unix::fs::symlink(tmp.path().join("nowhere"), &dangling).unwrap();
        let e = WarningsFile::ensure_safe(&dangling, &out).unwrap_err();
        assert!(e.to_string().contains("exists"), "{e}");
        WarningsFile::ensure_safe(&tmp.path().join("outside.jsonl"), &out).unwrap();
        let e = WarningsFile::ensure_safe(&tmp.path().join("no/w.jsonl"), &out).unwrap_err();
        assert!(e.to_string().contains("directory does not exist"), "{e}");
        WarningsFile::ensure_safe(&tmp.path().join("out2"), &out).unwrap();
        let e = WarningsFile::ensure_safe(Path::new("/"), &out).unwrap_err();
        assert_eq!(e.class(), "unsafe_output");
    }
}
