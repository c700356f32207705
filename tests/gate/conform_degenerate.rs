//! The gate against implementations broken in the crudest ways, in both
//! directions (REQ-CONF-4, REQ-CONF-5): `false`, `true`, a missing
//! command, a non-executable script, one that copies its input, one that
//! writes an empty result, one that writes the expected result of a fixed
//! other case, one that crashes on every input that should be an error,
//! and one that panics. None of them passes a case it should not, and
//! each gets its diagnosis.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::gate::{self, bin, corpus_dir};

#[derive(Clone, Copy, PartialEq)]
enum Dir {
    Decode,
    Encode,
}

impl Dir {
    fn name(self) -> &'static str {
        match self {
            Dir::Decode => "decode",
            Dir::Encode => "encode",
        }
    }

    fn cases_dir(self) -> PathBuf {
        match self {
            Dir::Decode => corpus_dir(),
            Dir::Encode => corpus_dir().join("encode"),
        }
    }

    /// Every case of the direction, and those that expect an error.
    fn cases(self) -> (BTreeSet<String>, BTreeSet<String>) {
        let (mut all, mut errors) = (BTreeSet::new(), BTreeSet::new());
        for e in fs::read_dir(self.cases_dir()).unwrap() {
            let e = e.unwrap();
            let name = e.file_name().to_string_lossy().into_owned();
            if !e.file_type().unwrap().is_dir() || !name.starts_with("REQ-") {
                continue;
            }
            if e.path().join("expected-error").exists() {
                errors.insert(name.clone());
            }
            all.insert(name);
        }
        (all, errors)
    }
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    fn fails(&self) -> Vec<&str> {
        self.stdout
            .lines()
            .filter(|l| l.starts_with("FAIL "))
            .collect()
    }

    fn passed(&self) -> BTreeSet<&str> {
        self.stdout
            .lines()
            .filter_map(|l| l.strip_prefix("PASS "))
            .collect()
    }

    fn last(&self) -> &str {
        self.stdout.lines().last().unwrap_or("")
    }

    /// The FAIL line of `case` blaming `req`.
    #[track_caller]
    fn line(&self, req: &str, case: &str) -> &str {
        let prefix = format!("FAIL {req} {case}: ");
        self.stdout
            .lines()
            .find(|l| l.starts_with(&prefix))
            .unwrap_or_else(|| panic!("no line {prefix:?} in:\n{}", self.stdout))
    }
}

fn gate(dir: Dir, cmd: &str, extra: &[&str]) -> Run {
    let (out, stdout) = gate::conform(&["--direction", dir.name()], cmd, extra);
    Run {
        code: out.status.code(),
        stdout,
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

/// A script in `dir` (executable unless `exec` is false).
fn script(dir: &Path, name: &str, body: &str, exec: bool) -> String {
    let path = dir.join(name);
    fs::write(&path, format!("#!/bin/sh\n{body}")).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = if exec { 0o755 } else { 0o644 };
        fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
    }
    format!("'{}' {{input}} {{output}} {{flags}}", path.display())
}

/// sqsdump's own command for the direction, used by the crashing
/// wrappers.
fn sqsdump(dir: Dir) -> String {
    format!("'{}' {}", bin(), dir.name())
}

/// Asserts that every case failed: the totals line says `0 passed`.
#[track_caller]
fn assert_none_passed(run: &Run, dir: Dir) {
    let (all, _) = dir.cases();
    assert_eq!(run.code, Some(1), "{}{}", run.stdout, run.stderr);
    assert!(run.passed().is_empty(), "{}", run.stdout);
    assert_eq!(
        run.last(),
        format!("0 passed, {} failed", all.len()),
        "{}",
        run.stdout
    );
}

const BAD_MAGIC: &str = "REQ-FSM-1-bad-magic";
const TREE_CASE: &str = "REQ-DEC-7-message-order";
const ENC_ERROR: &str = "REQ-ENC-4-bad-message-line";
const ENC_OK: &str = "REQ-ENC-1-standard-queue";

// REQ-CONF-4
#[test]
fn false_passes_nothing_in_either_direction() {
    let run = gate(Dir::Decode, "false {input} {output} {flags}", &[]);
    assert_none_passed(&run, Dir::Decode);
    assert_eq!(
        run.line("REQ-FSM-1", BAD_MAGIC),
        "FAIL REQ-FSM-1 REQ-FSM-1-bad-magic: exit status 1 with nothing on stderr, expected a clean rejection (exit status 1 or 2 with error[bad_magic])"
    );
    assert_eq!(
        run.line("REQ-DEC-7", TREE_CASE),
        "FAIL REQ-DEC-7 REQ-DEC-7-message-order: exit status 1, expected success: "
    );
    let run = gate(Dir::Encode, "false {input} {output} {flags}", &[]);
    assert_none_passed(&run, Dir::Encode);
    assert!(run.line("REQ-ENC-4", ENC_ERROR).contains(
        "exit status 1 with nothing on stderr, expected a clean rejection (exit status 1 or 2 with error["
    ));
}

// REQ-CONF-4
#[test]
fn true_passes_nothing_in_either_direction() {
    let run = gate(Dir::Decode, "true {input} {output} {flags}", &[]);
    assert_none_passed(&run, Dir::Decode);
    assert_eq!(
        run.line("REQ-FSM-1", BAD_MAGIC),
        "FAIL REQ-FSM-1 REQ-FSM-1-bad-magic: exit status 0 (the input was accepted), expected error[bad_magic]: bad magic: expected \"EKVPBBL1\", found \"NOTASNAP\""
    );
    assert!(run
        .line("REQ-DEC-7", TREE_CASE)
        .contains(": no dump at the output path: "));
    let run = gate(Dir::Encode, "true {input} {output} {flags}", &[]);
    assert_none_passed(&run, Dir::Encode);
    assert!(run
        .line("REQ-ENC-1", ENC_OK)
        .contains(": no snapshot at the output path: "));
}

// REQ-CONF-4
#[test]
fn a_command_that_cannot_run_stops_the_run_with_one_diagnosis() {
    let tmp = tempfile::tempdir().unwrap();
    let noexec = script(tmp.path(), "noexec.sh", "exit 0\n", false);
    let missing = "/nonexistent/decoder {input} {output} {flags}";
    for dir in [Dir::Decode, Dir::Encode] {
        for (cmd, status, why) in [
            (missing, "exit status 127", "not found"),
            (noexec.as_str(), "exit status 126", "Permission denied"),
        ] {
            let run = gate(dir, cmd, &[]);
            assert_eq!(run.code, Some(1), "{}", run.stderr);
            assert_eq!(run.stdout, "", "no case is judged");
            assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
            let head = format!(
                "running the implementation `{cmd}`: the command could not run ({status}: "
            );
            assert!(run.stderr.starts_with("conform: "), "{}", run.stderr);
            assert!(run.stderr.contains(&head), "{}", run.stderr);
            assert!(run.stderr.contains(why), "{}", run.stderr);
            assert!(
                run.stderr.trim_end().ends_with("); no case was judged"),
                "{}",
                run.stderr
            );
        }
    }
}

// REQ-CONF-4
#[test]
fn copying_the_input_passes_nothing() {
    let run = gate(Dir::Decode, "cp {input} {output}", &[]);
    assert_none_passed(&run, Dir::Decode);
    assert!(run
        .line("REQ-DEC-7", TREE_CASE)
        .contains("no dump at the output path"));
    assert_eq!(
        run.line("REQ-FSM-1", BAD_MAGIC),
        "FAIL REQ-FSM-1 REQ-FSM-1-bad-magic: exit status 0 (the input was accepted), expected error[bad_magic]: bad magic: expected \"EKVPBBL1\", found \"NOTASNAP\""
    );
    let run = gate(Dir::Encode, "cp -R {input} {output}", &[]);
    assert_none_passed(&run, Dir::Encode);
    assert!(run
        .line("REQ-ENC-1", ENC_OK)
        .contains("no snapshot at the output path"));
}

// REQ-CONF-4, REQ-CONF-5
#[test]
fn an_empty_result_passes_nothing() {
    let run = gate(Dir::Decode, "mkdir {output} # {input}", &[]);
    assert_none_passed(&run, Dir::Decode);
    assert_eq!(
        run.line("REQ-OUT-1", TREE_CASE),
        "FAIL REQ-OUT-1 REQ-DEC-7-message-order: sqs/ord.fifo/_queue.json: missing file (+1 more)"
    );
    let run = gate(Dir::Encode, ": > {output} # {input}", &[]);
    assert_none_passed(&run, Dir::Encode);
    assert!(run
        .line("REQ-ENC-1", ENC_OK)
        .contains("restored snapshot: not a snapshot: truncated at offset 0"));
}

// REQ-CONF-5
#[test]
fn another_cases_expected_result_passes_only_where_it_is_expected() {
    // The same output whatever the input: it can only pass the cases
    // whose expectation it is.
    let src = corpus_dir().join("REQ-DEC-1-queue-names/expected");
    let run = gate(
        Dir::Decode,
        &format!("cp -R '{}' {{output}} # {{input}}", src.display()),
        &[],
    );
    let (all, _) = Dir::Decode.cases();
    assert_eq!(run.passed(), BTreeSet::from(["REQ-DEC-1-queue-names"]));
    assert_eq!(run.last(), format!("1 passed, {} failed", all.len() - 1));
    assert!(run
        .line("REQ-OUT-1", TREE_CASE)
        .contains("sqs/ord.fifo/_queue.json: missing file"));

    let src = corpus_dir()
        .join("encode")
        .join(ENC_OK)
        .join("expected.fsm");
    let run = gate(
        Dir::Encode,
        &format!("cp '{}' {{output}} # {{input}}", src.display()),
        &[],
    );
    let (all, _) = Dir::Encode.cases();
    let same: BTreeSet<String> = all
        .iter()
        .filter(|c| {
            fs::read(Dir::Encode.cases_dir().join(c).join("expected.fsm")).ok()
                == fs::read(&src).ok()
        })
        .cloned()
        .collect();
    let passed: BTreeSet<String> = run.passed().into_iter().map(String::from).collect();
    assert!(passed.contains(ENC_OK));
    assert_eq!(passed, same, "{}", run.stdout);
    assert_eq!(
        run.last(),
        format!("{} passed, {} failed", same.len(), all.len() - same.len())
    );
}

/// A wrapper that runs sqsdump and kills itself with `signal` when
/// sqsdump fails.
fn crash_on_errors(tmp: &Path, dir: Dir, signal: &str) -> String {
    script(
        tmp,
        &format!("crash-{}-{signal}.sh", dir.name()),
        &format!(
            "in=$1; out=$2; shift 2\n{} --input \"$in\" --output \"$out\" \"$@\" 2>/dev/null || kill -{signal} $$\n",
            sqsdump(dir)
        ),
        true,
    )
}

// REQ-CONF-4, REQ-CONF-5, REQ-ERR-2
#[test]
fn crashing_on_every_error_input_passes_no_error_case() {
    let tmp = tempfile::tempdir().unwrap();
    for (dir, signal, sample) in [
        (Dir::Decode, "SEGV", BAD_MAGIC),
        (Dir::Encode, "ABRT", ENC_ERROR),
    ] {
        let run = gate(dir, &crash_on_errors(tmp.path(), dir, signal), &[]);
        let (all, errors) = dir.cases();
        assert_eq!(run.code, Some(1));
        // Only the cases that expect a dump or snapshot pass; every error
        // case fails, blamed on REQ-ERR-2 alone.
        let passed: BTreeSet<String> = run.passed().into_iter().map(String::from).collect();
        assert!(passed.is_disjoint(&errors), "{}", run.stdout);
        assert_eq!(passed.len(), all.len() - errors.len(), "{}", run.stdout);
        let fails = run.fails();
        assert_eq!(fails.len(), errors.len(), "{}", run.stdout);
        assert!(fails.iter().all(|l| l.starts_with("FAIL REQ-ERR-2 ")));
        let line = run.line("REQ-ERR-2", sample);
        assert!(
            line.contains(": crashed where an error (") && line.contains(&format!("(SIG{signal})")),
            "{line}"
        );
        assert!(run
            .stdout
            .contains(&format!("REQ-ERR-2      {} cases  no panics", errors.len())));
    }
}

// REQ-CONF-4, REQ-CONF-5, REQ-ERR-2
#[test]
fn a_panicking_implementation_passes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let rust = script(
        tmp.path(),
        "rust.sh",
        "echo \"thread 'main' panicked at src/main.rs:7:9:\" >&2\necho 'index out of bounds' >&2\nexit 101\n",
        true,
    );
    for dir in [Dir::Decode, Dir::Encode] {
        let run = gate(dir, &rust, &[]);
        assert_none_passed(&run, dir);
        assert!(
            run.fails().iter().all(|l| l.starts_with("FAIL REQ-ERR-2 ")),
            "{}",
            run.stdout
        );
    }
    let run = gate(Dir::Decode, &rust, &[]);
    assert_eq!(
        run.line("REQ-ERR-2", BAD_MAGIC),
        "FAIL REQ-ERR-2 REQ-FSM-1-bad-magic: crashed where an error (bad_magic) is expected: Rust panic: thread 'main' panicked at src/main.rs:7:9: (exit status 101)"
    );
    assert_eq!(
        run.line("REQ-ERR-2", TREE_CASE),
        "FAIL REQ-ERR-2 REQ-DEC-7-message-order: crashed where success is expected: Rust panic: thread 'main' panicked at src/main.rs:7:9: (exit status 101)"
    );
    // Other runtimes' crash reports, on a few cases.
    let filter = ["--filter", "REQ-FSM-1"];
    for (name, body, signature) in [
        (
            "go.sh",
            "echo 'panic: runtime error: slice bounds out of range' >&2\necho >&2\necho 'goroutine 1 [running]:' >&2\nexit 2\n",
            "Go panic: panic: runtime error: slice bounds out of range (exit status 2)",
        ),
        (
            "py.sh",
            "echo 'Traceback (most recent call last):' >&2\necho '  File \"d.py\", line 3' >&2\necho 'ValueError: bad' >&2\nexit 1\n",
            "Python traceback: ValueError: bad (exit status 1)",
        ),
        (
            "jvm.sh",
            "echo 'Exception in thread \"main\" java.io.EOFException' >&2\nexit 1\n",
            "JVM exception: Exception in thread \"main\" java.io.EOFException (exit status 1)",
        ),
    ] {
        let cmd = script(tmp.path(), name, body, true);
        for mode in ["required", "optional"] {
            let run = gate(Dir::Decode, &cmd, &[&filter[..], &["--error-classes", mode]].concat());
            assert!(run.passed().is_empty(), "{name}: {}", run.stdout);
            assert!(run.last().starts_with("0 passed, "), "{}", run.stdout);
            assert_eq!(
                run.line("REQ-ERR-2", BAD_MAGIC),
                format!("FAIL REQ-ERR-2 REQ-FSM-1-bad-magic: crashed where an error (bad_magic) is expected: {signature}")
            );
        }
    }
}

// REQ-CONF-4, REQ-CONF-5
#[test]
fn error_classes_are_required_unless_optional_and_counted_apart() {
    let tmp = tempfile::tempdir().unwrap();
    // sqsdump, with its error lines reworded to carry no class.
    let classless = |dir: Dir| {
        script(
            tmp.path(),
            &format!("classless-{}.sh", dir.name()),
            &format!(
                "in=$1; out=$2; shift 2\n{} --input \"$in\" --output \"$out\" \"$@\" 2>\"$out.err\"\ns=$?\nsed 's/^error\\[[a-z_]*\\]: /mytool: /' \"$out.err\" >&2\nrm -f \"$out.err\"\nexit $s\n",
                sqsdump(dir)
            ),
            true,
        )
    };
    for (dir, class_req, sample) in [
        (Dir::Decode, "REQ-ERR-1", BAD_MAGIC),
        (Dir::Encode, "REQ-ENC-5", ENC_ERROR),
    ] {
        let (all, errors) = dir.cases();
        let cmd = classless(dir);
        let run = gate(dir, &cmd, &[]);
        assert_eq!(run.code, Some(1));
        assert_eq!(run.fails().len(), errors.len(), "{}", run.stdout);
        let line = run.line(class_req, sample);
        assert!(
            line.contains(": rejected without an error[<class>]: line (expected error["),
            "{line}"
        );
        assert_eq!(
            run.last(),
            format!(
                "{} passed, {} failed",
                all.len() - errors.len(),
                errors.len()
            )
        );

        let report = tmp.path().join(format!("{}.json", dir.name()));
        let junit = tmp.path().join(format!("{}.xml", dir.name()));
        let md = tmp.path().join(format!("{}.md", dir.name()));
        let run = gate(
            dir,
            &cmd,
            &[
                "--error-classes",
                "optional",
                "--report",
                report.to_str().unwrap(),
                "--junit",
                junit.to_str().unwrap(),
                "--summary-md",
                md.to_str().unwrap(),
            ],
        );
        assert_eq!(run.code, Some(0), "{}", run.stdout);
        let totals = format!(
            "{} passed ({} without an error class), 0 failed",
            all.len(),
            errors.len()
        );
        assert_eq!(run.last(), totals);
        let report: Value = serde_json::from_slice(&fs::read(&report).unwrap()).unwrap();
        assert_eq!(report["error_classes"], "optional");
        assert_eq!(report["passed"], all.len());
        assert_eq!(report["passed_without_error_class"], errors.len());
        let listed: BTreeSet<String> = report["passing_cases_without_error_class"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect();
        assert_eq!(listed, errors);
        let xml = fs::read_to_string(&junit).unwrap();
        assert!(xml.contains(&format!(
            "<property name=\"passed_without_error_class\" value=\"{}\"/>",
            errors.len()
        )));
        assert_eq!(
            xml.matches("<system-out>passed without an error class</system-out>")
                .count(),
            errors.len()
        );
        assert!(fs::read_to_string(&md).unwrap().contains(&totals));
    }
}
