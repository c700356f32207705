//! `sqsdump conform`: run another implementation over the conformance
//! corpus and generated snapshots, and compare its dumps with the expected
//! ones (REQ-CONF-3..REQ-CONF-6).
//!
//! For each case:
//!
//! 1. A scratch directory gets the case's snapshot as `input.fsm`
//!    (MANIFEST.json records the source name), or a copy of its node data
//!    directory `input/` ([`CaseInput`]), and an output path that does not
//!    exist.
//! 2. The implementation's command template runs under `sh -c` with
//!    `{input}`, `{output}` and `{flags}` replaced by shell-quoted values,
//!    in its own process group, stdout and stderr going to files. Past the
//!    timeout the whole group is killed and the case fails.
//! 3. An expected tree must come with exit 0 and the same tree (files and
//!    bytes, or parsed JSON with `--compare json`); an expected error with
//!    a clean rejection (exit status 1 or 2, see [`super::outcome`]),
//!    nothing at the output path, and sqsdump's `error[<class>]:` line
//!    with that class (optional with `--error-classes optional`). A crash
//!    fails any case, blamed on REQ-ERR-2; a command that cannot run on
//!    the first case stops the run.
//!
//! Each case prints `PASS <case>` or `FAIL <REQ-ID> <case>: <first
//! difference>` per blamed requirement and an indented `case: …` line
//! with its description ([`CaseResult::lines_judged`]; with `--expect`
//! `XFAIL`, `NEW FAIL` and `FIXED`), in case order, and a last line `N
//! passed, M failed` (`N passed (K without an error class), M failed`
//! when error cases passed without naming their class; with `--expect`
//! followed by `(X expected, Y new), Z fixed`). The console, the exit
//! status and every report share one [`Verdict`] (REQ-CONF-11); setup
//! mistakes stop the run before any case, as `conform: …` (REQ-CONF-12).
//! Content files are compared before MANIFEST.json and CHECKSUMS, so the
//! first difference reported is the one that matters.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use clap::{Args, ValueEnum};

use super::blame::{
    blame_snapshots, blame_trees, elide, first_difference, governing, show_bytes, show_lines,
    Finding, Subject, CONSOLE,
};
use super::expect::{self, Expectation, Verdict};
use super::outcome::{
    classify, crash_finding, judge_error, stderr_hint, ErrorClasses, ErrorVerdict, RunClass,
};
use super::report;
use crate::gate::corpus::{
    self, enc, split_case_name, EXPECTED_DIR, EXPECTED_ERROR_FILE, FLAGS_FILE, INPUT_DIR,
    INPUT_FILE,
};
use crate::gate::verify;
use crate::Error;

/// The requirement generated snapshots are attributed to.
pub const GENERATED_REQ: &str = "REQ-CONF-6";

// ---------------------------------------------------------------------------
// Options

/// How trees are compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Compare {
    /// Every file byte for byte.
    Bytes,
    /// `.json` files and `.jsonl` lines as parsed JSON values; CHECKSUMS
    /// for consistency with the tree; other files byte for byte.
    Json,
}

/// Which direction is judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Direction {
    /// `.fsm` snapshot → dump tree: the corpus's top-level cases.
    Decode,
    /// Dump tree → `.fsm` snapshot: the cases of `encode/` (REQ-CONF-10).
    Encode,
}

/// Which generated snapshots to add.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Profile {
    /// Snapshots that decode.
    Valid,
    /// Valid snapshots and damaged ones that must fail with sqsdump's
    /// error class.
    Mixed,
    /// Snapshots that touch no SPEC.md Decision: against upstream, any
    /// difference is a bug on one side.
    Shared,
}

impl Profile {
    /// The profile's name, as `--profile` spells it.
    pub fn name(self) -> &'static str {
        match self {
            Profile::Valid => "valid",
            Profile::Mixed => "mixed",
            Profile::Shared => "shared",
        }
    }
}

/// A shell command template with `{input}`, `{output}` and `{flags}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template(String);

impl Template {
    /// A template must name `{input}` and `{output}`; `{flags}` is
    /// optional (cases with flags then fail unless the command adds them:
    /// [`run_cli`] warns). Any other `{word}` is a mistake (`{flag}`,
    /// `{in}`) and refused; a shell's `${VAR}` is not a placeholder.
    // REQ-CONF-3
    pub fn parse(s: &str) -> Result<Template, String> {
        if let Some(unknown) = unknown_placeholder(s) {
            return Err(format!(
                "unknown placeholder {unknown} in the command template (the placeholders are {{input}}, {{output}} and {{flags}})"
            ));
        }
        for p in ["{input}", "{output}"] {
            if !s.contains(p) {
                return Err(format!("the command template must contain {p}"));
            }
        }
        Ok(Template(s.to_string()))
    }

    /// True when the template passes the case's flags.
    pub fn has_flags(&self) -> bool {
        self.0.contains("{flags}")
    }

    /// The shell command for one run: each placeholder replaced by the
    /// single-quoted value (flags: each flag quoted, space-separated).
    /// Substituted text is never scanned again.
    // REQ-CONF-3
    pub fn render(&self, input: &Path, output: &Path, flags: &[String]) -> String {
        let input = shell_quote(&input.to_string_lossy());
        let output = shell_quote(&output.to_string_lossy());
        let flags = flags
            .iter()
            .map(|f| shell_quote(f))
            .collect::<Vec<_>>()
            .join(" ");
        let mut out = String::new();
        let mut rest = self.0.as_str();
        while let Some(pos) = rest.find('{') {
            out.push_str(&rest[..pos]);
            let tail = &rest[pos..];
            let (value, len) = if tail.starts_with("{input}") {
                (input.as_str(), 7)
            } else if tail.starts_with("{output}") {
                (output.as_str(), 8)
            } else if tail.starts_with("{flags}") {
                (flags.as_str(), 7)
            } else {
                ("{", 1)
            };
            out.push_str(value);
            rest = &tail[len..];
        }
        out.push_str(rest);
        out
    }
}

impl fmt::Display for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The first `{word}` (a letter or `_`, then letters, digits or `_`) that
/// is not a placeholder and not a shell's `${word}`.
// REQ-CONF-12
fn unknown_placeholder(s: &str) -> Option<&str> {
    let bytes = s.as_bytes();
    let mut i = 0;
    while let Some(pos) = s.get(i..).and_then(|r| r.find('{')) {
        let start = i + pos;
        i = start + 1;
        if start > 0 && bytes.get(start - 1) == Some(&b'$') {
            continue;
        }
        let rest = s.get(start + 1..).unwrap_or_default();
        let Some(end) = rest.find('}') else { break };
        let word = rest.get(..end).unwrap_or_default();
        let is_word = word
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
            && word.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if is_word && !["input", "output", "flags"].contains(&word) {
            return s.get(start..start + end + 2);
        }
    }
    None
}

/// `'…'` with embedded single quotes as `'\''`.
// REQ-CONF-3
pub fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Everything a conformance run needs.
#[derive(Debug, Clone)]
pub struct ConformOptions {
    /// The implementation's command template.
    pub template: Template,
    /// The corpus directory, if any.
    pub corpus: Option<PathBuf>,
    /// Number of generated snapshots.
    pub generated: u64,
    /// Seed of the generated snapshots.
    pub seed: u64,
    /// Profile of the generated snapshots.
    pub profile: Profile,
    /// How trees are compared.
    pub compare: Compare,
    /// Per-case time limit.
    pub timeout: Duration,
    /// Cases run at once.
    pub jobs: usize,
    /// Only these cases: comma-separated whole case names, requirement
    /// IDs (`REQ-DEC-5`) or areas (`REQ-DEC`), matched against each case's
    /// own requirement.
    pub filter: Option<String>,
    /// Which direction is judged.
    pub direction: Direction,
    /// Whether an expected error must name its class.
    pub error_classes: ErrorClasses,
    /// Where to keep each failing case's scratch directory (input,
    /// output, stdout, stderr), one subdirectory per case.
    pub keep: Option<PathBuf>,
}

// ---------------------------------------------------------------------------
// Cases and results

/// Where a case's input and expectation come from.
#[derive(Debug, Clone)]
enum Source {
    Corpus(PathBuf),
    Generated { index: u64 },
}

/// One case to run.
#[derive(Debug, Clone)]
struct CaseSpec {
    name: String,
    req: String,
    slug: String,
    description: String,
    source: Source,
}

/// What a case expects.
#[derive(Debug)]
enum Expected {
    Tree(BTreeMap<String, Vec<u8>>),
    /// The class, and sqsdump's own error line when the corpus has it.
    Error(String, Option<String>),
}

/// One difference found in a failing case.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Difference {
    /// The file (relative to the dump root), if the difference is in one.
    pub file: Option<String>,
    /// 1-based line in that file.
    pub line: Option<usize>,
    /// What differs.
    pub what: String,
    /// The expected value, escaped and capped as [`super::blame::shorten`]
    /// does.
    pub expected: Option<String>,
    /// The implementation's value, likewise.
    pub actual: Option<String>,
}

impl Difference {
    pub(crate) fn new(what: impl Into<String>) -> Self {
        Difference {
            what: what.into(),
            ..Difference::default()
        }
    }

    pub(crate) fn in_file(file: &str, line: Option<usize>, what: impl Into<String>) -> Self {
        Difference {
            file: Some(file.to_string()),
            line,
            what: what.into(),
            ..Difference::default()
        }
    }

    pub(crate) fn values(mut self, expected: String, actual: String) -> Self {
        self.expected = Some(expected);
        self.actual = Some(actual);
        self
    }
}

impl Difference {
    /// The difference with both values whole (up to
    /// [`super::blame::VALUE_CAP`]), as the JSON and JUnit reports carry it.
    pub fn full(&self) -> String {
        self.render(usize::MAX)
    }

    /// The difference with each value elided to about `width` characters,
    /// keeping both ends and the place where the two values differ.
    // REQ-CONF-13
    fn render(&self, width: usize) -> String {
        let mut out = String::new();
        if let Some(file) = &self.file {
            out.push_str(file);
            if let Some(line) = self.line {
                out.push_str(&format!(":{line}"));
            }
            out.push_str(": ");
        }
        // What differs may quote an implementation's stderr line: on the
        // console it gets three values' width.
        out.push_str(&elide(&self.what, None, width.saturating_mul(3)));
        if let (Some(e), Some(a)) = (&self.expected, &self.actual) {
            let at = first_difference(e, a);
            out.push_str(&format!(
                ": expected {} got {}",
                elide(e, Some(at), width),
                elide(a, Some(at), width)
            ));
        }
        out
    }
}

/// The console form: values longer than [`CONSOLE`] characters elided in
/// the middle ([`Difference::full`] keeps them whole).
impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(CONSOLE))
    }
}

/// The result of one case.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaseResult {
    /// `<REQ-ID>-<slug>`.
    pub name: String,
    /// The requirement the case is named after.
    pub req: String,
    /// The slug.
    pub slug: String,
    /// Every difference, blamed; empty when the case passed.
    pub findings: Vec<Finding>,
    /// The error case was rejected without an `error[<class>]:` line
    /// (accepted by `--error-classes optional`).
    pub without_class: bool,
    /// The command could not run (exit status 126 or 127): why.
    pub could_not_run: Option<String>,
    /// The case's one-line description (its `description` file).
    pub description: String,
    /// The implementation's stderr, up to [`STDERR_CAP`] bytes, shown by
    /// [`super::blame::show_lines`].
    pub stderr: String,
}

/// How much of an implementation's stderr is read and reported.
pub const STDERR_CAP: usize = 64 * 1024;

impl CaseResult {
    /// True when the case passed.
    pub fn passed(&self) -> bool {
        self.findings.is_empty()
    }

    /// True when the case passed without an `error[<class>]:` line.
    pub fn passed_without_class(&self) -> bool {
        self.passed() && self.without_class
    }

    /// The requirements blamed, each once, in requirement order.
    pub fn blamed(&self) -> Vec<&str> {
        let mut reqs: Vec<&str> = self.findings.iter().map(|f| f.req.as_str()).collect();
        reqs.sort_by_key(|r| req_order(r));
        reqs.dedup();
        reqs
    }

    /// The lines printed for this case without expectations:
    /// [`CaseResult::lines_judged`] with none.
    pub fn lines(&self) -> Vec<String> {
        self.lines_judged(None)
    }

    /// The lines printed for this case: `PASS <case>`, or one
    /// `<WORD> <REQ-ID> <case>: <difference>` per blamed requirement (its
    /// first difference, and how many more it has), where WORD is `FAIL`
    /// without expectations, `XFAIL` for a listed failure and `NEW FAIL`
    /// for another; then `FIXED <REQ-ID> <case> (…)` for each listed
    /// failure the case no longer has; then, for a failing case, an
    /// indented line with its description (and its own requirement when
    /// that is not the only one blamed).
    pub fn lines_judged(&self, expected: Option<&BTreeSet<Expectation>>) -> Vec<String> {
        let listed = expected.map_or_else(Vec::new, |e| expect::listed_for(e, &self.name));
        let blamed = self.blamed();
        let mut out = Vec::new();
        if self.passed() {
            out.push(format!("PASS {}", self.name));
        }
        for req in &blamed {
            let word = match expected {
                None => "FAIL",
                Some(_) if listed.contains(req) => "XFAIL",
                Some(_) => "NEW FAIL",
            };
            let mine: Vec<&Finding> = self.findings.iter().filter(|f| f.req == *req).collect();
            let more = match mine.len() {
                0 | 1 => String::new(),
                n => format!(" (+{} more)", n - 1),
            };
            let first = mine.first().map(|f| f.diff.to_string()).unwrap_or_default();
            out.push(format!("{word} {req} {}: {first}{more}", self.name));
        }
        for req in listed.iter().filter(|l| !blamed.contains(l)) {
            out.push(format!(
                "FIXED {req} {} (remove it from the expectations)",
                self.name
            ));
        }
        if !self.passed() {
            out.push(format!("    {}", self.context()));
        }
        out
    }

    /// `case: <description>`, naming the case's own requirement when the
    /// blame is not (only) on it.
    pub fn context(&self) -> String {
        let description = if self.description.is_empty() {
            "(no description)"
        } else {
            self.description.as_str()
        };
        if self.blamed() == [self.req.as_str()] {
            format!("case: {description}")
        } else {
            format!("case {}: {description}", self.req)
        }
    }
}

/// The corpus cases found in `dir`, in name order (`README.md` and other
/// files skipped): the top-level cases for the decode direction, those of
/// `encode/` for the encode direction.
// REQ-CONF-1
fn corpus_cases(dir: &Path, direction: Direction) -> Result<Vec<CaseSpec>, Error> {
    let owned;
    let dir = match direction {
        Direction::Decode => dir,
        Direction::Encode => {
            owned = dir.join(enc::ENCODE_DIR);
            owned.as_path()
        }
    };
    let entries =
        fs::read_dir(dir).map_err(|e| Error::io(format!("listing corpus {}", dir.display()), e))?;
    let mut cases = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(format!("listing corpus {}", dir.display()), e))?;
        let kind = entry
            .file_type()
            .map_err(|e| Error::io(format!("inspecting {}", entry.path().display()), e))?;
        if !kind.is_dir() {
            continue;
        }
        let name = entry.file_name().to_string_lossy().into_owned();
        if corpus::KEPT.contains(&name.as_str())
            || (direction == Direction::Decode && name == enc::ENCODE_DIR)
        {
            continue;
        }
        let (req, slug) = split_case_name(&name)
            .map(|(r, s)| (r.to_string(), s.to_string()))
            .unwrap_or_else(|| ("REQ-CONF-1".to_string(), name.clone()));
        let description = fs::read(entry.path().join(corpus::DESCRIPTION_FILE))
            .map(|b| show_bytes(b.trim_ascii()))
            .unwrap_or_default();
        cases.push(CaseSpec {
            name,
            req,
            slug,
            description,
            source: Source::Corpus(entry.path()),
        });
    }
    cases.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(cases)
}

// REQ-CONF-6
fn generated_cases(opts: &ConformOptions) -> Vec<CaseSpec> {
    (0..opts.generated)
        .map(|index| {
            let slug = format!(
                "generated-{}-seed{}-{index}",
                opts.profile.name(),
                opts.seed
            );
            CaseSpec {
                name: format!("{GENERATED_REQ}-{slug}"),
                req: GENERATED_REQ.to_string(),
                slug,
                description: format!(
                    "generated snapshot {index} of seed {} ({} profile), expected to decode as sqsdump decodes it",
                    opts.seed,
                    opts.profile.name()
                ),
                source: Source::Generated { index },
            }
        })
        .collect()
}

/// A decode case's input: a `.fsm` stream, or a node data directory as
/// relative path → bytes (REQ-NODE-5), copied into the scratch directory
/// as `input/` and passed as `{input}`.
enum CaseInput {
    Fsm(Vec<u8>),
    Dir(BTreeMap<String, Vec<u8>>),
}

impl CaseInput {
    /// Put the input into `scratch`; its path is what `{input}` names.
    fn write(&self, scratch: &Path) -> io::Result<PathBuf> {
        match self {
            CaseInput::Fsm(bytes) => {
                let path = scratch.join(INPUT_FILE);
                fs::write(&path, bytes)?;
                Ok(path)
            }
            CaseInput::Dir(files) => {
                let root = scratch.join(INPUT_DIR);
                fs::create_dir_all(&root)?;
                for (rel, bytes) in files {
                    let path = root.join(rel);
                    if let Some(parent) = path.parent() {
                        fs::create_dir_all(parent)?;
                    }
                    fs::write(&path, bytes)?;
                }
                Ok(root)
            }
        }
    }
}

/// Every file under `root`, relative path (`/`-separated) → bytes.
fn read_dir_files(root: &Path) -> io::Result<BTreeMap<String, Vec<u8>>> {
    let mut out = BTreeMap::new();
    let mut todo = vec![(root.to_path_buf(), String::new())];
    while let Some((dir, prefix)) = todo.pop() {
        for entry in fs::read_dir(&dir)? {
            let entry = entry?;
            let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
            if entry.file_type()?.is_dir() {
                todo.push((entry.path(), format!("{name}/")));
            } else {
                out.insert(name, fs::read(entry.path())?);
            }
        }
    }
    Ok(out)
}

/// Read a corpus case: input, flags, expectation.
// REQ-CONF-1, REQ-CONF-4
fn load_corpus_case(dir: &Path) -> Result<(CaseInput, Vec<String>, Expected), Difference> {
    let read = |name: &str| {
        let path = dir.join(name);
        fs::read(&path).map_err(|e| {
            Difference::new(format!("corpus case unreadable: {}: {e}", path.display()))
        })
    };
    let input_dir = dir.join(INPUT_DIR);
    let input = if input_dir.is_dir() {
        CaseInput::Dir(read_dir_files(&input_dir).map_err(|e| {
            Difference::new(format!(
                "corpus case unreadable: {}: {e}",
                input_dir.display()
            ))
        })?)
    } else {
        CaseInput::Fsm(read(INPUT_FILE)?)
    };
    let flags: Vec<String> = String::from_utf8_lossy(&read(FLAGS_FILE)?)
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    let expected_dir = dir.join(EXPECTED_DIR);
    let expected = if fs::symlink_metadata(&expected_dir).is_ok() {
        let tree = verify::load_tree(&expected_dir)
            .map_err(|e| Difference::new(format!("corpus case unreadable: {e}")))?;
        if let Some(p) = tree.problems.first() {
            return Err(Difference::new(format!(
                "corpus case unreadable: expected/ has {p}"
            )));
        }
        Expected::Tree(tree.model.files)
    } else {
        let class = String::from_utf8_lossy(&read(EXPECTED_ERROR_FILE)?)
            .trim()
            .to_string();
        Expected::Error(class, expected_stderr(dir))
    };
    Ok((input, flags, expected))
}

/// sqsdump's own error line for an error case, when the corpus has it.
fn expected_stderr(dir: &Path) -> Option<String> {
    let bytes = fs::read(dir.join(corpus::EXPECTED_STDERR_FILE)).ok()?;
    let line = show_bytes(bytes.trim_ascii());
    (!line.is_empty()).then_some(line)
}

/// What an error case expects, for a run that succeeded: the class, and
/// sqsdump's own line when known.
fn expected_error_text(class: &str, line: Option<&str>) -> String {
    match line {
        Some(l) if l.starts_with(&format!("error[{class}]:")) => l.to_string(),
        Some(l) => format!("error[{class}] (sqsdump prints `{l}`)"),
        None => format!("error[{class}]"),
    }
}

/// What a rejected run printed, for a difference.
fn printed(run: &RunClass) -> String {
    match run {
        RunClass::Rejection(Some(class)) => format!("printed error[{class}]"),
        RunClass::Rejection(None) => "printed no error[<class>] line".to_string(),
        RunClass::MalformedErrorLine(line) => format!("printed `{line}`"),
        _ => "did not reject cleanly".to_string(),
    }
}

/// A generated case: the snapshot, its flags, and sqsdump's own decode.
// REQ-CONF-6
fn load_generated_case(opts: &ConformOptions, index: u64) -> (Vec<u8>, Vec<String>, Expected) {
    let (input, flags) = generated_input(opts.seed, index, opts.profile);
    let expected = match corpus::options_from_flags(&flags) {
        Ok(o) => match corpus::expected_outcome(&input, o) {
            Ok(model) => Expected::Tree(model.files),
            Err(e) => Expected::Error(
                e.class().to_string(),
                Some(show_bytes(format!("error[{}]: {e}", e.class()).as_bytes())),
            ),
        },
        Err(e) => Expected::Error(e, None),
    };
    (input, flags, expected)
}

/// The generated snapshot `index` of `seed` and its decode flags, from the
/// shared generator model behind `sqsdump gen`
/// ([`crate::testkit::seeded::write_snapshot`]).
///
/// Each index gets its own generator seed, size (1-4 queues, 0-40
/// messages) and flags, all derived from (`seed`, `index`). `mixed`
/// alternates the generator's profiles: valid, mixed (mostly valid with a
/// few adversarial entries) and adversarial (every part exercises an error
/// path).
// REQ-CONF-6
#[cfg(feature = "testkit")]
pub fn generated_input(seed: u64, index: u64, profile: Profile) -> (Vec<u8>, Vec<String>) {
    use crate::testkit::seeded::{write_snapshot, GenOptions, SplitMix};
    use crate::testkit::snapshot::Profile as GenProfile;

    let mut rng = SplitMix(seed ^ index.wrapping_mul(0xD1B5_4A32_D192_ED03));
    let gen_profile = match (profile, index % 3) {
        (Profile::Shared, _) => GenProfile::Shared,
        (Profile::Valid, _) | (Profile::Mixed, 0) => GenProfile::Valid,
        (Profile::Mixed, 1) => GenProfile::Mixed,
        (Profile::Mixed, _) => GenProfile::Adversarial,
    };
    let opts = GenOptions {
        seed: rng.next(),
        profile: gen_profile,
        queues: 1 + (rng.next() % 4) as usize,
        messages: rng.next() % 41,
    };
    // Shared snapshots alternate the two flag sets a differential run
    // needs: none, then both.
    let bits = match profile {
        Profile::Shared if index % 2 == 0 => 0,
        Profile::Shared => 3,
        _ => rng.next(),
    };
    let mut flags = Vec::new();
    if bits & 1 == 1 {
        flags.push(corpus::PRESERVE.to_string());
    }
    if bits & 2 == 2 {
        flags.push(corpus::SIDE.to_string());
    }
    let mut bytes = Vec::new();
    // Writing to a Vec cannot fail; a generator error leaves a prefix,
    // which is still a deterministic input with a deterministic outcome.
    let _ = write_snapshot(opts, &mut bytes);
    (bytes, flags)
}

/// Without the `testkit` feature there is no generator model ([`run`]
/// refuses `--generated`).
#[cfg(not(feature = "testkit"))]
pub fn generated_input(_seed: u64, _index: u64, _profile: Profile) -> (Vec<u8>, Vec<String>) {
    (Vec::new(), Vec::new())
}

// ---------------------------------------------------------------------------
// Running one case

/// How the implementation's process ended.
#[derive(Debug)]
struct RunOutcome {
    status: Option<ExitStatus>,
    timed_out: bool,
    stderr: String,
    /// `stderr`'s bytes in the gate's escaping convention, lines kept.
    stderr_shown: String,
}

/// Run the command in its own process group, with a deadline.
// REQ-CONF-3
fn run_command(script: &str, dir: &Path, timeout: Duration) -> Result<RunOutcome, Error> {
    let stdout_path = dir.join("stdout");
    let stderr_path = dir.join("stderr");
    let stdout = File::create(&stdout_path)
        .map_err(|e| Error::io(format!("creating {}", stdout_path.display()), e))?;
    let stderr = File::create(&stderr_path)
        .map_err(|e| Error::io(format!("creating {}", stderr_path.display()), e))?;
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(script)
        .env(
            crate::manifest::SOURCE_DATE_EPOCH,
            corpus::CORPUS_EPOCH.to_string(),
        )
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr);
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| Error::io("starting sh -c for the implementation".to_string(), e))?;
    // A waiter thread reports the exit at once; the deadline is a
    // channel timeout.
    let pgid = child.id();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait());
    });
    let (status, timed_out) = match rx.recv_timeout(timeout) {
        Ok(Ok(status)) => (Some(status), false),
        Ok(Err(e)) => return Err(Error::io("waiting for the implementation".to_string(), e)),
        Err(mpsc::RecvTimeoutError::Timeout) => {
            kill_group(pgid);
            // The group is gone; collect the status (bounded, in case the
            // kill could not be delivered).
            let _ = rx.recv_timeout(Duration::from_secs(10));
            (None, true)
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => (None, false),
    };
    // Descendants may linger (a command that backgrounds work); the group
    // is ours, so end it in every case.
    kill_group(pgid);
    let mut stderr = String::new();
    let mut stderr_shown = String::new();
    if let Ok(f) = File::open(&stderr_path) {
        let mut head = Vec::new();
        let _ = f.take(STDERR_CAP as u64).read_to_end(&mut head);
        stderr = String::from_utf8_lossy(&head).into_owned();
        stderr_shown = show_lines(&head);
    }
    Ok(RunOutcome {
        status,
        timed_out,
        stderr,
        stderr_shown,
    })
}

impl RunOutcome {
    /// The run's class (a timeout is handled before this is asked).
    fn class(&self) -> RunClass {
        let code = self.status.and_then(|s| s.code());
        #[cfg(unix)]
        let signal = {
            use std::os::unix::process::ExitStatusExt;
            self.status.and_then(|s| s.signal())
        };
        #[cfg(not(unix))]
        let signal = None;
        classify(code, signal, &self.stderr)
    }
}

/// What a case's run tells beyond its findings.
#[derive(Debug, Default)]
struct Note {
    without_class: bool,
    could_not_run: Option<String>,
    stderr: String,
}

impl Note {
    /// Classify the run, remembering whether it could not run at all.
    fn class(&mut self, run: &RunOutcome) -> RunClass {
        let class = run.class();
        self.stderr = run.stderr_shown.clone();
        if let RunClass::CouldNotRun(why) = &class {
            self.could_not_run = Some(why.clone());
        }
        class
    }

    /// The findings of an expected error's verdict.
    fn error_verdict(&mut self, verdict: ErrorVerdict, found: &mut Vec<Finding>) {
        match verdict {
            ErrorVerdict::Pass => {}
            ErrorVerdict::PassWithoutClass => self.without_class = true,
            ErrorVerdict::Fail(f) => found.push(f),
        }
    }
}

/// Kill the process group `pgid` (the child was made its leader).
// REQ-CONF-3
fn kill_group(pgid: u32) {
    #[cfg(unix)]
    {
        let _ = Command::new("kill")
            .args(["-s", "KILL", "--", &format!("-{pgid}")])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
    #[cfg(not(unix))]
    let _ = pgid;
}

fn describe_status(status: Option<ExitStatus>) -> String {
    match status {
        Some(s) => match s.code() {
            Some(c) => format!("exit status {c}"),
            None => {
                #[cfg(unix)]
                {
                    use std::os::unix::process::ExitStatusExt;
                    if let Some(sig) = s.signal() {
                        return format!("killed by signal {sig}");
                    }
                }
                "no exit status".to_string()
            }
        },
        None => "no exit status".to_string(),
    }
}

/// Run one case in `scratch` and judge it.
fn run_case(opts: &ConformOptions, spec: &CaseSpec, scratch: &Path) -> CaseResult {
    let own = |d: Difference| {
        vec![Finding {
            req: spec.req.clone(),
            diff: d,
        }]
    };
    let mut note = Note::default();
    let findings = match opts.direction {
        Direction::Decode => judge_case(opts, spec, scratch, &mut note).unwrap_or_else(own),
        Direction::Encode => judge_encode_case(opts, spec, scratch, &mut note).unwrap_or_else(own),
    };
    CaseResult {
        name: spec.name.clone(),
        req: spec.req.clone(),
        slug: spec.slug.clone(),
        findings,
        without_class: note.without_class,
        could_not_run: note.could_not_run,
        description: spec.description.clone(),
        stderr: note.stderr,
    }
}

/// Every blamed difference of one case. `Err` is a difference that ends
/// the case early (it could not run, or failed where a tree was
/// expected); it is blamed on the case's own requirement.
// REQ-CONF-4, REQ-CONF-5
fn judge_case(
    opts: &ConformOptions,
    spec: &CaseSpec,
    scratch: &Path,
    note: &mut Note,
) -> Result<Vec<Finding>, Difference> {
    let (input, flags, expected) = match &spec.source {
        Source::Corpus(dir) => load_corpus_case(dir)?,
        Source::Generated { index } => {
            let (input, flags, expected) = load_generated_case(opts, *index);
            (CaseInput::Fsm(input), flags, expected)
        }
    };
    let setup = |e: io::Error| Difference::new(format!("could not prepare the case: {e}"));
    fs::create_dir_all(scratch).map_err(setup)?;
    let input_path = input.write(scratch).map_err(setup)?;
    let output = scratch.join("output");
    let script = opts.template.render(&input_path, &output, &flags);
    let run = run_command(&script, scratch, opts.timeout)
        .map_err(|e| Difference::new(format!("could not run the implementation: {e}")))?;
    if run.timed_out {
        return Err(Difference::new(format!(
            "timed out after {} s (process group killed)",
            opts.timeout.as_secs_f64()
        )));
    }
    let success = run.status.is_some_and(|s| s.success());
    let class_of_run = note.class(&run);
    match expected {
        Expected::Error(class, line) => {
            if success {
                return Err(Difference::new(format!(
                    "exit status 0 (the input was accepted), expected {}",
                    expected_error_text(&class, line.as_deref())
                )));
            }
            let mut found = Vec::new();
            if let Ok(meta) = fs::symlink_metadata(&output) {
                let kind = if meta.is_dir() {
                    "a directory"
                } else {
                    "a file"
                };
                found.push(Finding {
                    req: governing(Subject::Leftovers).to_string(),
                    diff: Difference::new(format!(
                        "rejected the input ({}, {}) but left {kind} at the output path",
                        describe_status(run.status),
                        printed(&class_of_run)
                    )),
                });
            }
            let verdict = judge_error(
                &class_of_run,
                &class,
                opts.error_classes,
                Subject::ErrorClass,
                &spec.req,
            );
            note.error_verdict(verdict, &mut found);
            Ok(found)
        }
        Expected::Tree(files) => {
            if !success {
                if let Some(crash) = crash_finding(&class_of_run) {
                    return Ok(vec![crash]);
                }
                return Err(Difference::new(format!(
                    "{}, expected success: {}",
                    describe_status(run.status),
                    stderr_hint(&run.stderr)
                )));
            }
            let tree = verify::load_tree(&output)
                .map_err(|e| Difference::new(format!("no dump at the output path: {e}")))?;
            Ok(blame_trees(&files, &tree, &spec.req, opts.compare))
        }
    }
}

// ---------------------------------------------------------------------------
// The encode direction (REQ-CONF-10)

/// What an encode case expects.
enum EncodeExpected {
    Snapshot(Vec<u8>),
    /// The class, and sqsdump's own error line when the corpus has it.
    Error(String, Option<String>),
}

/// An encode case read from the corpus.
struct EncodeCaseFiles {
    /// The input dump tree.
    input: BTreeMap<String, Vec<u8>>,
    /// Symlinks to make in the input: path → target.
    symlinks: BTreeMap<String, String>,
    flags: Vec<String>,
    expected: EncodeExpected,
}

/// Read an encode case: the input dump tree, flags, expectation.
// REQ-CONF-10
fn load_encode_case(dir: &Path) -> Result<EncodeCaseFiles, Difference> {
    let unreadable = |what: String| Difference::new(format!("corpus case unreadable: {what}"));
    let read = |name: &str| {
        let path = dir.join(name);
        fs::read(&path).map_err(|e| unreadable(format!("{}: {e}", path.display())))
    };
    let tree =
        verify::load_tree(&dir.join(enc::INPUT_DIR)).map_err(|e| unreadable(e.to_string()))?;
    if let Some(p) = tree.problems.first() {
        return Err(unreadable(format!("input/ has {p}")));
    }
    let flags = read_flags(&read(FLAGS_FILE)?);
    let expected = match fs::read(dir.join(enc::EXPECTED_FSM)) {
        Ok(bytes) => EncodeExpected::Snapshot(bytes),
        Err(_) => EncodeExpected::Error(
            String::from_utf8_lossy(&read(EXPECTED_ERROR_FILE)?)
                .trim()
                .to_string(),
            expected_stderr(dir),
        ),
    };
    let mut symlinks = BTreeMap::new();
    if let Ok(list) = fs::read(dir.join(enc::SYMLINKS_FILE)) {
        for line in String::from_utf8_lossy(&list).lines() {
            let (path, target) = line.split_once('\t').ok_or_else(|| {
                unreadable(format!(
                    "bad symlinks line `{}`",
                    show_bytes(line.as_bytes())
                ))
            })?;
            if path
                .split('/')
                .any(|c| c.is_empty() || c == "." || c == "..")
            {
                return Err(unreadable(format!(
                    "unsafe symlink path `{}`",
                    show_bytes(path.as_bytes())
                )));
            }
            symlinks.insert(path.to_string(), target.to_string());
        }
    }
    Ok(EncodeCaseFiles {
        input: tree.model.files,
        symlinks,
        flags,
        expected,
    })
}

fn read_flags(bytes: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(bytes)
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

/// Run one encode case in `scratch`: the input dump is copied to
/// `scratch/input`, the output is `scratch/out/restored.fsm`. Files the
/// implementation writes beside the snapshot in `scratch/out` are not
/// judged; a changed input or anything written elsewhere in `scratch` is.
// REQ-CONF-10
fn judge_encode_case(
    opts: &ConformOptions,
    spec: &CaseSpec,
    scratch: &Path,
    note: &mut Note,
) -> Result<Vec<Finding>, Difference> {
    let Source::Corpus(dir) = &spec.source else {
        return Err(Difference::new("generated cases are decode cases"));
    };
    let EncodeCaseFiles {
        input,
        symlinks,
        flags,
        expected,
    } = load_encode_case(dir)?;
    let setup = |e: io::Error| Difference::new(format!("could not prepare the case: {e}"));
    let input_dir = scratch.join(enc::INPUT_DIR);
    let out_dir = scratch.join("out");
    fs::create_dir_all(&out_dir).map_err(setup)?;
    for (path, bytes) in &input {
        let p = input_dir.join(path);
        if let Some(parent) = p.parent() {
            fs::create_dir_all(parent).map_err(setup)?;
        }
        fs::write(&p, bytes).map_err(setup)?;
    }
    for (path, target) in &symlinks {
        let p = input_dir.join(path);
        if let Some(parent) = p.parent() {
            fs::create_dir_all(parent).map_err(setup)?;
        }
        make_symlink(target, &p).map_err(setup)?;
    }
    let output = out_dir.join("restored.fsm");
    let script = opts.template.render(&input_dir, &output, &flags);
    let run = run_command(&script, scratch, opts.timeout)
        .map_err(|e| Difference::new(format!("could not run the implementation: {e}")))?;
    if run.timed_out {
        return Err(Difference::new(format!(
            "timed out after {} s (process group killed)",
            opts.timeout.as_secs_f64()
        )));
    }
    let success = run.status.is_some_and(|s| s.success());
    let class_of_run = note.class(&run);
    let mut found = Vec::new();
    let stray = |what: String| Finding {
        req: governing(Subject::EncodeLeftovers).to_string(),
        diff: Difference::new(what),
    };
    match verify::load_tree(&input_dir) {
        Ok(t)
            if t.model.files == input && t.problems.iter().map(|p| &p.path).eq(symlinks.keys()) => {
        }
        _ => found.push(stray("the input dump was changed".to_string())),
    }
    if let Ok(entries) = fs::read_dir(scratch) {
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if !["input", "out", "stdout", "stderr"].contains(&name.as_str()) {
                found.push(stray(format!(
                    "wrote {name} outside the output's directory"
                )));
            }
        }
    }
    match expected {
        EncodeExpected::Error(class, line) => {
            if success {
                return Err(Difference::new(format!(
                    "exit status 0 (the input was accepted), expected {}",
                    expected_error_text(&class, line.as_deref())
                )));
            }
            if fs::symlink_metadata(&output).is_ok() {
                found.push(stray(format!(
                    "rejected the input ({}, {}) but left a file at the output path",
                    describe_status(run.status),
                    printed(&class_of_run)
                )));
            }
            let verdict = judge_error(
                &class_of_run,
                &class,
                opts.error_classes,
                Subject::EncodeErrorClass,
                &spec.req,
            );
            note.error_verdict(verdict, &mut found);
        }
        EncodeExpected::Snapshot(want) => {
            if !success {
                if let Some(crash) = crash_finding(&class_of_run) {
                    found.push(crash);
                    return Ok(found);
                }
                return Err(Difference::new(format!(
                    "{}, expected success: {}",
                    describe_status(run.status),
                    stderr_hint(&run.stderr)
                )));
            }
            let got = fs::read(&output)
                .map_err(|e| Difference::new(format!("no snapshot at the output path: {e}")))?;
            found.extend(blame_snapshots(&want, &got, &spec.req));
        }
    }
    Ok(found)
}

#[cfg(unix)]
fn make_symlink(target: &str, link: &Path) -> io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}

#[cfg(not(unix))]
fn make_symlink(_target: &str, _link: &Path) -> io::Result<()> {
    Err(io::Error::other("symlinks are not supported here"))
}

// ---------------------------------------------------------------------------
// Running everything

/// A mistake in how the gate was set up, found before any case runs: the
/// CLI prints it as `conform: …` and exits 2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetupError(pub String);

impl fmt::Display for SetupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether `spec` is selected by one `--filter` item: its whole name, its
/// requirement ID or its requirement's area (`REQ-DEC`).
fn filter_selects(item: &str, spec: &CaseSpec) -> bool {
    item == spec.name
        || item == spec.req
        || spec
            .req
            .rsplit_once('-')
            .is_some_and(|(area, _)| area == item)
}

/// The cases a run would judge, before `--filter`: the corpus's cases of
/// the direction, then the generated ones. A missing corpus is a setup
/// mistake naming `--corpus`.
fn all_cases(opts: &ConformOptions) -> Result<Vec<CaseSpec>, SetupError> {
    let mut specs = match &opts.corpus {
        Some(dir) if !dir.is_dir() => {
            return Err(SetupError(format!(
                "no corpus at {}: pass --corpus DIR (the conformance/ directory of sqsdump's sources), or --builtin-corpus for the corpus built into sqsdump",
                dir.display()
            )))
        }
        Some(dir) => corpus_cases(dir, opts.direction).map_err(|e| {
            SetupError(format!("{e} (pass --corpus DIR to name the corpus)"))
        })?,
        None => Vec::new(),
    };
    if opts.generated > 0 && opts.direction == Direction::Encode {
        return Err(SetupError(
            "--generated works with --direction decode only".to_string(),
        ));
    }
    if opts.generated > 0 && cfg!(not(feature = "testkit")) {
        return Err(SetupError(
            "--generated needs sqsdump built with the testkit feature".to_string(),
        ));
    }
    specs.extend(generated_cases(opts));
    Ok(specs)
}

/// The names of the cases a run would judge, before `--filter`.
pub fn case_names(opts: &ConformOptions) -> Result<BTreeSet<String>, SetupError> {
    Ok(all_cases(opts)?.into_iter().map(|s| s.name).collect())
}

/// How many of the cases a run would judge pass flags.
pub fn cases_with_flags(opts: &ConformOptions) -> Result<usize, SetupError> {
    let mut n = 0;
    for spec in select(opts)? {
        let has = match &spec.source {
            Source::Corpus(dir) => fs::read(dir.join(FLAGS_FILE))
                .map(|b| !read_flags(&b).is_empty())
                .unwrap_or(false),
            Source::Generated { index } => !generated_input(opts.seed, *index, opts.profile)
                .1
                .is_empty(),
        };
        n += usize::from(has);
    }
    Ok(n)
}

/// The cases `--filter` selects. An item that selects nothing is a setup
/// mistake.
fn select(opts: &ConformOptions) -> Result<Vec<CaseSpec>, SetupError> {
    let mut specs = all_cases(opts)?;
    if let Some(f) = &opts.filter {
        let items: Vec<&str> = f
            .split(',')
            .map(str::trim)
            .filter(|i| !i.is_empty())
            .collect();
        for item in &items {
            if !specs.iter().any(|s| filter_selects(item, s)) {
                return Err(SetupError(format!(
                    "--filter {item} selects no case (give whole case names, requirement IDs such as REQ-DEC-5 or areas such as REQ-DEC, comma-separated)"
                )));
            }
        }
        specs.retain(|s| items.iter().any(|i| filter_selects(i, s)));
    }
    Ok(specs)
}

/// Remove a case's scratch directory, or with `--keep`, move it to
/// `<keep>/<case>` when the case failed.
fn finish_case(opts: &ConformOptions, result: &CaseResult, dir: &Path) {
    if let Some(keep) = &opts.keep {
        if !result.passed() {
            let to = keep.join(&result.name);
            if fs::rename(dir, &to).is_err() {
                let _ = copy_tree(dir, &to);
            }
        }
    }
    let _ = fs::remove_dir_all(dir);
}

/// Copy a directory tree; symlinks are copied as symlinks.
fn copy_tree(from: &Path, to: &Path) -> io::Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        let kind = entry.file_type()?;
        if kind.is_dir() {
            copy_tree(&src, &dst)?;
        } else if kind.is_symlink() {
            make_symlink(&fs::read_link(&src)?.to_string_lossy(), &dst)?;
        } else {
            fs::copy(&src, &dst)?;
        }
    }
    Ok(())
}

/// Run every case, calling `each` with each result in case order as soon
/// as it and all earlier ones are done. Returns all results.
pub fn run(
    opts: &ConformOptions,
    each: &mut dyn FnMut(&CaseResult),
) -> Result<Vec<CaseResult>, Error> {
    let specs = select(opts)
        .map_err(|e| Error::io("selecting cases".to_string(), io::Error::other(e.0)))?;
    if let Some(keep) = &opts.keep {
        fs::create_dir_all(keep)
            .map_err(|e| Error::io(format!("creating {}", keep.display()), e))?;
    }
    let scratch = tempfile::Builder::new()
        .prefix("sqsdump-conform-")
        .tempdir()
        .map_err(|e| Error::io("creating a scratch directory".to_string(), e))?;
    let mut results: Vec<Option<CaseResult>> = vec![None; specs.len()];
    // The first case runs alone: a command that cannot run at all stops
    // the run with one diagnosis instead of one failure per case.
    let mut printed = 0;
    if let Some(first) = specs.first() {
        let dir = scratch.path().join("first");
        let result = run_case(opts, first, &dir);
        finish_case(opts, &result, &dir);
        if let Some(why) = &result.could_not_run {
            return Err(could_not_run(&opts.template, why));
        }
        each(&result);
        printed = 1;
        if let Some(slot) = results.first_mut() {
            *slot = Some(result);
        }
    }
    let next = AtomicUsize::new(printed);
    let jobs = opts.jobs.clamp(1, specs.len().max(1));
    let (tx, rx) = mpsc::channel::<(usize, CaseResult)>();
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            let tx = tx.clone();
            let (specs, next, root) = (&specs, &next, scratch.path());
            scope.spawn(move || loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(spec) = specs.get(i) else { break };
                let dir = root.join(format!("{i:05}"));
                let result = run_case(opts, spec, &dir);
                finish_case(opts, &result, &dir);
                if tx.send((i, result)).is_err() {
                    break;
                }
            });
        }
        drop(tx);
        for (i, result) in rx {
            if let Some(slot) = results.get_mut(i) {
                *slot = Some(result);
            }
            while let Some(Some(r)) = results.get(printed) {
                each(r);
                printed += 1;
            }
        }
    });
    Ok(results.into_iter().flatten().collect())
}

/// The error of a run whose first case could not start the command.
fn could_not_run(template: &Template, why: &str) -> Error {
    Error::io(
        format!("running the implementation `{template}`"),
        io::Error::other(format!(
            "the command could not run ({why}); no case was judged"
        )),
    )
}

/// `(area, number)` of a requirement ID, for ordering REQ-DEC-2 before
/// REQ-DEC-10.
pub fn req_order(id: &str) -> (String, u64, String) {
    match id.rsplit_once('-') {
        Some((head, n)) => (head.to_string(), n.parse().unwrap_or(0), id.to_string()),
        None => (id.to_string(), 0, id.to_string()),
    }
}

/// The last line of a run.
/// `N passed, M failed`, or `N passed (K without an error class), M
/// failed` when error cases passed without naming their class.
pub fn totals_line(results: &[CaseResult]) -> String {
    let passed = results.iter().filter(|r| r.passed()).count();
    let failed = results.len() - passed;
    match results.iter().filter(|r| r.passed_without_class()).count() {
        0 => format!("{passed} passed, {failed} failed"),
        k => format!("{passed} passed ({k} without an error class), {failed} failed"),
    }
}

/// The last line of a run judged by `verdict`: [`totals_line`], and with
/// expectations `(X expected, Y new), Z fixed`.
// REQ-CONF-11
pub fn verdict_totals(results: &[CaseResult], verdict: &Verdict) -> String {
    use expect::Status;
    let base = totals_line(results);
    if !verdict.expect {
        return base;
    }
    format!(
        "{base} ({} expected, {} new), {} fixed",
        verdict.count(Status::XFail),
        verdict.count(Status::NewFail),
        verdict.count(Status::Fixed)
    )
}

// ---------------------------------------------------------------------------
// `sqsdump conform`

const AFTER_HELP: &str = "\
The command runs under `sh -c` once per case. Placeholders are replaced by
shell-quoted values: {input} is a file named input.fsm (or, for the cases
holding a node data directory, that directory, named input), {output} a
path that does not exist yet, {flags} the case's decode flags. Any other
{word} is refused; without {flags} the gate warns how many cases pass flags.

The corpus is --corpus DIR; without it ./conformance when that directory
exists, otherwise (or with --builtin-corpus) the corpus built into this
binary, the one `sqsdump corpus` writes, so an installed binary gates
without a checkout.

With --direction encode the cases are those of <corpus>/encode/: {input} is
a copy of a dump tree, {output} a path for the .fsm in an empty directory,
{flags} the case's encode flags (--last-commit-ts=N).

Examples:
  sqsdump conform --impl './mydecoder --input {input} --output {output} {flags}'
  sqsdump conform --impl '/tmp/ekv-decode --adapter sqs --input {input} --output {output} {flags}' \\
      --generated 100 --seed 7 --profile mixed --compare json --report report.json
  sqsdump conform --direction encode --impl './myencoder --input {input} --output {output} {flags}'
  sqsdump conform --impl './mydecoder --input {input} --output {output} {flags}' \\
      --filter REQ-DEC-5,REQ-JSON --keep failed-cases --expect known-failures.txt

An error case passes on a clean rejection: exit status 1 or 2, nothing at the
output path, and a line `error[<class>]: <message>` on stderr naming the
expected class (`--error-classes optional` also accepts a rejection without
such a line; a line starting `error[` in another form fails as malformed). A
crash (a signal, a panic or a runtime's crash report) fails every case,
blamed on REQ-ERR-2; exit status 126 or 127 on the first case stops the run.

Output, one case after another:
  PASS <case>
  FAIL <REQ-ID> <case>: <difference>      one line per blamed requirement
      case: <description>                 (case <REQ-ID>: … when the blame
                                           is not only on the case's own)
With --expect, FAIL becomes XFAIL (listed) or NEW FAIL (not listed), and a
listed failure that is gone prints FIXED <REQ-ID> <case>. Then one line per
failing requirement and last `N passed, M failed` (`N passed (K without an
error class), M failed` in the optional mode; with --expect followed by
`(X expected, Y new), Z fixed`).

Values are text with JSON escapes for control characters (\\n, \\u0000) and
\\xHH for bytes that are not UTF-8. The console shows values of more than 100
characters with the middle elided; --report and --junit carry them whole
(up to 64 KiB), with each failing case's stderr.

Exit status: 0 when no case failed, or with --expect when every failure is
listed (and with --strict-expect nothing listed is fixed); 1 otherwise or
when the gate could not run; 2 for a setup mistake. The gate's own errors
are printed as `conform: <message>`, never as `error[…]`. --report, --junit
and --summary-md state the same verdict.";

fn parse_template(s: &str) -> Result<Template, String> {
    Template::parse(s)
}

fn parse_timeout(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v < 1e9 => Ok(v),
        _ => Err("a positive number of seconds".to_string()),
    }
}

/// Arguments of `sqsdump conform`.
#[derive(Debug, Clone, Args)]
#[command(after_help = AFTER_HELP)]
pub struct ConformArgs {
    /// The implementation's command template, with `{input}`, `{output}`
    /// and `{flags}`. Example:
    /// `--impl 'mydecoder --input {input} --output {output} {flags}'`.
    #[arg(long = "impl", value_name = "CMD", value_parser = parse_template)]
    pub implementation: Template,

    /// The conformance corpus. Without it: `conformance` when that
    /// directory exists, otherwise the corpus built into this binary.
    /// Example: `--corpus conformance`.
    #[arg(long, value_name = "DIR", conflicts_with = "builtin_corpus")]
    pub corpus: Option<PathBuf>,

    /// Use the corpus built into this binary (the cases `sqsdump corpus`
    /// writes, generated into a temporary directory), whatever the
    /// current directory holds. Example: `--builtin-corpus`.
    #[arg(long)]
    pub builtin_corpus: bool,

    /// Also run N generated snapshots, expecting sqsdump's own decode.
    /// Example: `--generated 100`.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub generated: u64,

    /// Seed of the generated snapshots. Example: `--seed 7`.
    #[arg(long, value_name = "S", default_value_t = 0)]
    pub seed: u64,

    /// Generated snapshots that all decode (`valid`) or also damaged ones
    /// that must fail (`mixed`).
    #[arg(long, value_enum, default_value_t = Profile::Valid)]
    pub profile: Profile,

    /// Compare files byte for byte, or JSON as parsed values (decode
    /// direction; snapshots are always compared entry by entry).
    #[arg(long, value_enum, default_value_t = Compare::Bytes)]
    pub compare: Compare,

    /// Seconds per case before the implementation is killed and the case
    /// fails. Example: `--timeout 10`.
    #[arg(long, value_name = "SECS", default_value = "60", value_parser = parse_timeout)]
    pub timeout: f64,

    /// Write the results as JSON: the verdict, every case with its status,
    /// and the differences grouped by requirement, values and stderr whole.
    /// Example: `--report conform.json`.
    #[arg(long, value_name = "FILE.json")]
    pub report: Option<PathBuf>,

    /// Write JUnit XML: one test case per case (named after it, classed by
    /// its own requirement), blamed requirements as properties; expected
    /// failures are skipped tests. Example: `--junit conform.xml`.
    #[arg(long, value_name = "FILE.xml")]
    pub junit: Option<PathBuf>,

    /// Write a short Markdown summary for a pull-request comment: the
    /// verdict, the totals line, the failing requirements (new and
    /// expected failures apart). Example: `--summary-md conform.md`.
    #[arg(long, value_name = "FILE.md")]
    pub summary_md: Option<PathBuf>,

    /// Known failures, one `<REQ-ID> <case>` per line (`#` comments): the
    /// exit status is 0 when every failure is listed. Example:
    /// `--expect conformance/expectations/upstream-head.txt`.
    #[arg(long, value_name = "FILE")]
    pub expect: Option<PathBuf>,

    /// With `--expect`, also fail when a listed failure now passes.
    #[arg(long, requires = "expect")]
    pub strict_expect: bool,

    /// Write this run's failures as an expectations file. Example:
    /// `--write-expect expectations.txt`.
    #[arg(long, value_name = "FILE")]
    pub write_expect: Option<PathBuf>,

    /// Cases run at once (default: the number of CPUs).
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,

    /// Only run these cases: comma-separated whole case names,
    /// requirement IDs or areas, matched against each case's own
    /// requirement (not substrings). Example:
    /// `--filter REQ-DEC-5,REQ-JSON,REQ-FSM-1-header-only`.
    #[arg(long, value_name = "CASES")]
    pub filter: Option<String>,

    /// Keep each failing case's scratch directory (input, output, stdout,
    /// stderr) as `DIR/<case>`; DIR must be absent or empty. Example:
    /// `--keep failed`.
    #[arg(long, value_name = "DIR")]
    pub keep: Option<PathBuf>,

    /// Judge a decoder (`.fsm` → dump, the default) or an encoder (dump →
    /// `.fsm`, the cases of `<corpus>/encode/`). Example:
    /// `--direction encode --impl 'myencoder --input {input} --output {output} {flags}'`.
    #[arg(long, value_enum, default_value_t = Direction::Decode)]
    pub direction: Direction,

    /// Whether an error case must print the expected `error[<class>]:`
    /// line (`required`), or may be a clean rejection without one
    /// (`optional`: exit status 1 or 2 with a message on stderr, counted
    /// apart in the totals). Example: `--error-classes optional`.
    #[arg(long, value_enum, value_name = "MODE", default_value_t = ErrorClasses::Required)]
    pub error_classes: ErrorClasses,
}

/// The corpus directory used when `--corpus` is not given, if it exists.
pub const DEFAULT_CORPUS: &str = "conformance";

impl ConformArgs {
    /// The corpus directory named by `--corpus`, or `conformance` when
    /// that exists; `None` when the run uses the built-in corpus.
    // REQ-CONF-20
    pub fn corpus_dir(&self) -> Option<PathBuf> {
        match &self.corpus {
            Some(dir) => Some(dir.clone()),
            None if !self.builtin_corpus && Path::new(DEFAULT_CORPUS).is_dir() => {
                Some(PathBuf::from(DEFAULT_CORPUS))
            }
            None => None,
        }
    }

    /// The run's options; `corpus` is `None` when the run uses the
    /// built-in corpus ([`run_cli`] writes it and sets the directory).
    pub fn options(&self) -> ConformOptions {
        ConformOptions {
            template: self.implementation.clone(),
            corpus: self.corpus_dir(),
            generated: self.generated,
            seed: self.seed,
            profile: self.profile,
            compare: self.compare,
            timeout: Duration::from_secs_f64(self.timeout),
            jobs: self
                .jobs
                .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())),
            filter: self.filter.clone(),
            direction: self.direction,
            error_classes: self.error_classes,
            keep: self.keep.clone(),
        }
    }
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    fs::write(path, bytes).map_err(|e| Error::io(format!("writing {}", path.display()), e))
}

/// Everything checked before the first case runs: the expectations
/// (well formed, naming existing cases and requirements), the corpus, the
/// filter and `--keep`. Prints a warning when the template has no
/// `{flags}` but selected cases pass flags.
// REQ-CONF-12
fn prepare(
    args: &ConformArgs,
    opts: &ConformOptions,
) -> Result<Option<BTreeSet<Expectation>>, SetupError> {
    let names = case_names(opts)?;
    cases_with_flags(opts).map(|n| {
        if n > 0 && !opts.template.has_flags() {
            eprintln!(
                "conform: warning: the command template has no {{flags}}, and {n} of the selected cases pass flags: they fail unless the command adds them"
            );
        }
    })?;
    if let Some(keep) = &args.keep {
        let empty = match fs::read_dir(keep) {
            Ok(mut d) => d.next().is_none(),
            Err(e) => e.kind() == io::ErrorKind::NotFound,
        };
        if !empty {
            return Err(SetupError(format!(
                "--keep {}: must be absent or an empty directory",
                keep.display()
            )));
        }
    }
    let Some(path) = &args.expect else {
        return Ok(None);
    };
    let text = fs::read_to_string(path)
        .map_err(|e| SetupError(format!("reading {}: {e}", path.display())))?;
    let parsed =
        expect::parse(&text).map_err(|e| SetupError(format!("{}: {e}", path.display())))?;
    let reqs: BTreeSet<String> = report::requirements().into_keys().collect();
    let unknown = expect::unknown(&parsed, &names, &reqs);
    if let Some(first) = unknown.first() {
        let more = match unknown.len() {
            1 => String::new(),
            n => format!(" (and {} more)", n - 1),
        };
        return Err(SetupError(format!("{}: {first}{more}", path.display())));
    }
    Ok(Some(parsed))
}

/// Run `sqsdump conform` and exit with [`status`].
pub fn exit(args: &ConformArgs) -> ! {
    let code = status(args);
    let _ = io::stdout().flush();
    std::process::exit(code)
}

/// Run `sqsdump conform`: 0 when the verdict passes, 1 when it fails or
/// the gate could not run, 2 on a setup mistake. The gate's own errors
/// are printed as `conform: <message>`.
pub fn status(args: &ConformArgs) -> i32 {
    let mut opts = args.options();
    // Kept until the end of the run: dropping it removes the directory.
    let builtin = match opts.corpus {
        Some(_) => None,
        None => match corpus::BuiltinCorpus::write() {
            Ok(b) => Some(b),
            Err(e) => {
                eprintln!("conform: {e}");
                return 1;
            }
        },
    };
    if let Some(b) = &builtin {
        eprintln!(
            "conform: using the corpus built into sqsdump {}{}",
            env!("CARGO_PKG_VERSION"),
            if args.builtin_corpus {
                ""
            } else {
                " (no --corpus, and no ./conformance)"
            }
        );
        opts.corpus = Some(b.path());
    }
    match prepare(args, &opts) {
        Err(e) => {
            eprintln!("conform: {e}");
            2
        }
        Ok(expected) => match run_cli(args, &opts, expected.as_ref(), builtin.is_some()) {
            Ok(true) => 0,
            Ok(false) => 1,
            Err(e) => {
                eprintln!("conform: {e}");
                1
            }
        },
    }
}

/// Run the cases and write the reports. `Ok(false)` when the verdict
/// fails: a case failed, or with expectations, a failure is not listed
/// (or, with `--strict-expect`, a listed one is fixed). `builtin`: the
/// corpus is the built-in one, named so in the report.
fn run_cli(
    args: &ConformArgs,
    opts: &ConformOptions,
    expected: Option<&BTreeSet<Expectation>>,
    builtin: bool,
) -> Result<bool, Error> {
    let stdout = io::stdout();
    let results = run(opts, &mut |r| {
        let mut out = stdout.lock();
        for line in r.lines_judged(expected) {
            let _ = writeln!(out, "{line}");
        }
        let _ = out.flush();
    })?;
    let verdict = Verdict::new(&results, expected, args.strict_expect);
    let summary = report::summary_lines(&results);
    if !summary.is_empty() {
        crate::cli::out(format_args!(""));
        crate::cli::out(format_args!("Failing requirements:"));
        for line in &summary {
            crate::cli::out(format_args!("{line}"));
        }
    }
    if let Some(expected) = expected {
        let judgement = expect::judge(&results, expected);
        let listed = expect::failures(&results).len() - judgement.new.len();
        crate::cli::out(format_args!(
            "expectations: {listed} expected failures, {} new, {} fixed{}",
            judgement.new.len(),
            judgement.fixed.len(),
            if args.strict_expect && !judgement.fixed.is_empty() {
                " (--strict-expect: fixed ones fail the run)"
            } else {
                ""
            }
        ));
    }
    if let Some(path) = &args.report {
        // The report names the built-in corpus, not its temporary directory.
        let shown = match builtin {
            true => ConformOptions {
                corpus: Some(PathBuf::from(format!(
                    "builtin:sqsdump-{}",
                    env!("CARGO_PKG_VERSION")
                ))),
                ..opts.clone()
            },
            false => opts.clone(),
        };
        let mut bytes = serde_json::to_vec_pretty(&report::report_json(&shown, &results, &verdict))
            .unwrap_or_default();
        bytes.push(b'\n');
        write_file(path, &bytes)?;
    }
    if let Some(path) = &args.junit {
        write_file(path, report::junit_xml(&results, &verdict).as_bytes())?;
    }
    if let Some(path) = &args.summary_md {
        write_file(path, report::summary_md(&results, &verdict).as_bytes())?;
    }
    if let Some(path) = &args.write_expect {
        let header = format!(
            "Known failures of: {}\nWritten by `sqsdump conform --write-expect`; one `<REQ-ID> <case>` per line.",
            opts.template
        );
        write_file(path, expect::render(&results, &header).as_bytes())?;
    }
    crate::cli::out(format_args!("{}", verdict_totals(&results, &verdict)));
    Ok(verdict.ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gate::outcome::error_class;

    // REQ-CONF-3
    #[test]
    fn templates_quote_every_substitution_once() {
        let t = Template::parse("impl -i {input} -o {output} {flags} ${HOME} {").unwrap();
        let s = t.render(
            Path::new("/tmp/a b/input.fsm"),
            Path::new("/tmp/it's/out"),
            &["--x".to_string(), "{input}".to_string()],
        );
        assert_eq!(
            s,
            r#"impl -i '/tmp/a b/input.fsm' -o '/tmp/it'\''s/out' '--x' '{input}' ${HOME} {"#
        );
        assert!(Template::parse("impl {input}").is_err());
        assert_eq!(
            Template::parse("x {input} {output}").unwrap().render(
                Path::new("i"),
                Path::new("o"),
                &[]
            ),
            "x 'i' 'o'"
        );
    }

    // REQ-CONF-12
    #[test]
    fn unknown_placeholders_are_refused_and_shell_variables_are_not_placeholders() {
        for (t, bad) in [
            ("d {input} {output} {flag}", "{flag}"),
            ("d {in} {input} {output}", "{in}"),
            ("d {input} {output} {_x1}", "{_x1}"),
        ] {
            let e = Template::parse(t).unwrap_err();
            assert!(e.starts_with(&format!("unknown placeholder {bad} ")), "{e}");
        }
        for ok in [
            "d {input} {output} ${HOME} ${x}",
            "d {input} {output} { } {1} {-x} awk '{print}'x",
        ] {
            // `{print}` follows a quote: it is a word, so refused; the
            // others are not words.
            let r = Template::parse(ok);
            assert_eq!(r.is_err(), ok.contains("{print}"), "{ok}: {r:?}");
        }
        assert!(!Template::parse("d {input} {output}").unwrap().has_flags());
        assert!(Template::parse("d {input} {output} {flags}")
            .unwrap()
            .has_flags());
    }

    // REQ-CONF-4
    #[test]
    fn sqsdump_error_lines_give_the_class() {
        assert_eq!(
            error_class("warn\nerror[short_key]: short key at offset 16\n"),
            Some("short_key")
        );
        assert_eq!(error_class("panic: boom"), None);
    }

    // REQ-CONF-6
    #[test]
    fn generated_snapshots_are_deterministic_and_valid_ones_decode() {
        for i in 0..20 {
            let (a, fa) = generated_input(5, i, Profile::Valid);
            let (b, fb) = generated_input(5, i, Profile::Valid);
            assert_eq!((&a, &fa), (&b, &fb));
            let opts = corpus::options_from_flags(&fa).unwrap();
            if let Err(e) = corpus::expected_outcome(&a, opts) {
                panic!("generated valid snapshot {i} does not decode: {e}");
            }
        }
    }
}

#[cfg(test)]
#[path = "conform_tests.rs"]
mod judging_tests;
