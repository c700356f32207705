//! One verdict everywhere: the console, the exit status, `--junit`,
//! `--summary-md` and `--report` agree in every `--expect` situation (a
//! new failure, an expected failure, a fixed case with and without
//! `--strict-expect`), the JUnit XML has what CI systems read, and the
//! gate's setup mistakes are caught before any case runs.
//!
//! The stand-in implementation is a shell script around `sqsdump decode`
//! that breaks exactly one case: it writes the messages of the queue
//! `ord.fifo` in reverse order (REQ-DEC-7-message-order).

use std::fs;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::common::gate::{self, bin, corpus_dir};

const BROKEN: &str = "REQ-DEC-7-message-order";
const FILTER: &str = "REQ-DEC-7,REQ-FSM-1";

/// sqsdump, then the messages of `ord.fifo` reversed and CHECKSUMS
/// rewritten, as a self-consistent implementation would.
fn stand_in(dir: &Path) -> String {
    let path = dir.join("standin.sh");
    fs::write(
        &path,
        format!(
            r#"#!/bin/sh
in=$1; out=$2; shift 2
'{bin}' decode --input "$in" --output "$out" "$@" || exit $?
f="$out/sqs/ord.fifo/messages.jsonl"
if [ -f "$f" ]; then
  tac "$f" > "$f.tmp" && mv "$f.tmp" "$f"
  (cd "$out" && find . -type f ! -name CHECKSUMS | sed 's|^\./||' | LC_ALL=C sort |
    tr '\n' '\0' | xargs -0 -r sha256sum) > "$out.sums" && mv "$out.sums" "$out/CHECKSUMS"
fi
"#,
            bin = bin()
        ),
    )
    .unwrap();
    format!("sh '{}' {{input}} {{output}} {{flags}}", path.display())
}

fn ours() -> String {
    gate::ours("decode")
}

/// A run with every report.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    junit: String,
    md: String,
    json: Value,
}

fn gate(dir: &Path, cmd: &str, extra: &[&str]) -> Run {
    let (junit, md, json) = (dir.join("r.xml"), dir.join("r.md"), dir.join("r.json"));
    for f in [&junit, &md, &json] {
        let _ = fs::remove_file(f);
    }
    let paths = [&junit, &md, &json].map(|p| p.to_str().unwrap());
    let (out, stdout) = gate::conform(
        &[
            "--filter",
            FILTER,
            "--junit",
            paths[0],
            "--summary-md",
            paths[1],
            "--report",
            paths[2],
        ],
        cmd,
        extra,
    );
    Run {
        code: out.status.code(),
        stdout,
        stderr: String::from_utf8(out.stderr).unwrap(),
        junit: fs::read_to_string(&junit).unwrap(),
        md: fs::read_to_string(&md).unwrap(),
        json: serde_json::from_slice(&fs::read(&json).unwrap()).unwrap(),
    }
}

/// The JUnit XML's structure, as the widely read schema (Jenkins'
/// junit-10.xsd, which GitLab, GitHub reporters and others follow)
/// requires it: a `testsuites` root of `testsuite` elements with `name`
/// and a numeric `tests`; `failures`, `errors` and `skipped` numeric when
/// present; `testcase` elements with `name` and `classname`; a test case
/// holds at most one `skipped`, `failure` elements with a `message`,
/// `system-out` and `system-err` text, and `properties` of `property`
/// elements with `name` and `value`. The counts must match the cases.
/// Returns (tests, failures, skipped) of the one suite.
#[track_caller]
fn check_junit(xml: &str) -> (usize, usize, usize) {
    let doc = roxmltree::Document::parse(xml).expect("well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    let suites: Vec<_> = root.children().filter(|n| n.is_element()).collect();
    assert_eq!(suites.len(), 1);
    let suite = suites[0];
    assert_eq!(suite.tag_name().name(), "testsuite");
    assert!(suite.attribute("name").is_some());
    let num = |n: roxmltree::Node<'_, '_>, a: &str| -> usize {
        n.attribute(a)
            .unwrap_or_else(|| panic!("{a} missing"))
            .parse()
            .unwrap_or_else(|_| panic!("{a} not a number"))
    };
    let (tests, failures, errors, skipped) = (
        num(suite, "tests"),
        num(suite, "failures"),
        num(suite, "errors"),
        num(suite, "skipped"),
    );
    let check_properties = |n: roxmltree::Node<'_, '_>| {
        for p in n.children().filter(|c| c.is_element()) {
            assert_eq!(p.tag_name().name(), "property");
            assert!(p.attribute("name").is_some() && p.attribute("value").is_some());
        }
    };
    let (mut n_cases, mut n_fail, mut n_skip) = (0, 0, 0);
    for child in suite.children().filter(|c| c.is_element()) {
        match child.tag_name().name() {
            "properties" => check_properties(child),
            "testcase" => {
                n_cases += 1;
                assert!(child.attribute("name").is_some());
                assert!(child.attribute("classname").is_some());
                let mut skips = 0;
                let mut fails = 0;
                for e in child.children().filter(|c| c.is_element()) {
                    match e.tag_name().name() {
                        "properties" => check_properties(e),
                        "skipped" => skips += 1,
                        "failure" => {
                            assert!(e.attribute("message").is_some());
                            fails += 1;
                        }
                        "system-out" | "system-err" => {
                            assert!(e.children().all(|c| c.is_text()));
                        }
                        other => panic!("unexpected <{other}> in a testcase"),
                    }
                }
                assert!(skips <= 1 && !(skips == 1 && fails > 0));
                n_fail += usize::from(fails > 0);
                n_skip += skips;
            }
            other => panic!("unexpected <{other}> in a testsuite"),
        }
    }
    assert_eq!(
        (tests, failures, errors, skipped),
        (n_cases, n_fail, 0, n_skip)
    );
    assert_eq!(num(root, "tests"), tests);
    assert_eq!(num(root, "failures"), failures);
    (tests, failures, skipped)
}

/// Every form states the same verdict as the exit status.
#[track_caller]
fn assert_agree(run: &Run, pass: bool) {
    let all = format!("{}\n{}\n{}\n{}", run.stdout, run.stderr, run.md, run.junit);
    assert_eq!(run.code, Some(if pass { 0 } else { 1 }), "{all}");
    let (tests, failures, _) = check_junit(&run.junit);
    assert_eq!(tests, 5, "{all}");
    assert_eq!(failures == 0, pass, "{all}");
    let word = if pass { "passed" } else { "failed" };
    assert!(
        run.md
            .starts_with(&format!("### sqsdump conform: {word}\n")),
        "{all}"
    );
    assert_eq!(run.json["verdict"], if pass { "pass" } else { "fail" });
    assert_eq!(run.json["exit_status"], if pass { 0 } else { 1 });
    // The totals line is the same everywhere.
    let totals = run.stdout.lines().last().unwrap();
    assert_eq!(run.json["totals"], totals);
    assert!(run.md.contains(totals), "{all}");
    assert!(
        run.junit
            .contains(&format!("<property name=\"totals\" value=\"{totals}\"/>")),
        "{all}"
    );
}

fn status_of<'a>(json: &'a Value, case: &str) -> &'a str {
    json["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["case"] == case)
        .unwrap()["status"]
        .as_str()
        .unwrap()
}

/// The `<testcase>` element of `case`.
fn testcase<'a>(xml: &'a str, case: &str) -> &'a str {
    let start = xml
        .find(&format!("name=\"{case}\">"))
        .unwrap_or_else(|| panic!("no testcase {case}"));
    let end = start + xml[start..].find("</testcase>").unwrap();
    &xml[start..end]
}

// REQ-CONF-11, REQ-CONF-8
#[test]
fn every_report_agrees_with_the_exit_status_in_each_expect_situation() {
    let tmp = tempfile::tempdir().unwrap();
    let broken = stand_in(tmp.path());
    let expect = tmp.path().join("expect.txt");

    // Without expectations: a failure fails everywhere.
    let run = gate(tmp.path(), &broken, &[]);
    assert_agree(&run, false);
    assert!(run.stdout.contains(&format!("FAIL REQ-DEC-7 {BROKEN}: ")));
    assert_eq!(status_of(&run.json, BROKEN), "fail");
    assert_eq!(run.stdout.lines().last().unwrap(), "4 passed, 1 failed");

    // A new failure: not listed.
    fs::write(&expect, "# nothing known\n").unwrap();
    let e = ["--expect", expect.to_str().unwrap()];
    let run = gate(tmp.path(), &broken, &e);
    assert_agree(&run, false);
    assert!(run
        .stdout
        .contains(&format!("NEW FAIL REQ-DEC-7 {BROKEN}: ")));
    assert_eq!(status_of(&run.json, BROKEN), "new_failure");
    assert_eq!(run.json["expectations"]["new_failures"], 1);
    assert!(testcase(&run.junit, BROKEN).contains("<failure message=\"REQ-DEC-7: "));
    assert!(run.md.contains(&format!("New failures:\n\n- `{BROKEN}`")));
    assert_eq!(
        run.stdout.lines().last().unwrap(),
        "4 passed, 1 failed (0 expected, 1 new), 0 fixed"
    );

    // An expected failure: listed. XFAIL, skipped, counted apart.
    fs::write(&expect, format!("REQ-DEC-7 {BROKEN}\n")).unwrap();
    for strict in [false, true] {
        let args: Vec<&str> = if strict {
            vec![e[0], e[1], "--strict-expect"]
        } else {
            e.to_vec()
        };
        let run = gate(tmp.path(), &broken, &args);
        assert_agree(&run, true);
        assert!(
            run.stdout.contains(&format!("XFAIL REQ-DEC-7 {BROKEN}: ")),
            "{}",
            run.stdout
        );
        assert!(!run.stdout.contains("\nFAIL "), "{}", run.stdout);
        assert_eq!(status_of(&run.json, BROKEN), "expected_failure");
        assert_eq!(run.json["expectations"]["expected_failures"], 1);
        assert_eq!(check_junit(&run.junit), (5, 0, 1));
        assert!(testcase(&run.junit, BROKEN)
            .contains("<skipped message=\"expected failure: REQ-DEC-7: sqs/ord.fifo/messages.jsonl:1: lines in another order"));
        assert!(run.md.contains("| REQ-DEC-7 | 0 | 1 |"), "{}", run.md);
        assert_eq!(
            run.stdout.lines().last().unwrap(),
            "4 passed, 1 failed (1 expected, 0 new), 0 fixed"
        );
    }

    // Fixed: sqsdump itself passes the listed case. A pass, unless
    // --strict-expect, and then a failure everywhere.
    let run = gate(tmp.path(), &ours(), &e);
    assert_agree(&run, true);
    assert!(run.stdout.contains(&format!(
        "FIXED REQ-DEC-7 {BROKEN} (remove it from the expectations)"
    )));
    assert_eq!(status_of(&run.json, BROKEN), "fixed");
    assert!(testcase(&run.junit, BROKEN).contains("<system-out>fixed: "));
    assert!(run.md.contains(&format!(
        "Fixed (remove from the expectations):\n\n- `{BROKEN}`"
    )));
    let run = gate(tmp.path(), &ours(), &[e[0], e[1], "--strict-expect"]);
    assert_agree(&run, false);
    assert!(testcase(&run.junit, BROKEN).contains("<failure message=\"fixed: "));
    assert_eq!(run.json["expectations"]["fixed"], 1);
    assert_eq!(
        run.stdout.lines().last().unwrap(),
        "5 passed, 0 failed (0 expected, 0 new), 1 fixed"
    );

    // A JUnit test keeps its identity whether it passes or fails: named
    // after the case, classed by the case's own requirement.
    for xml in [&run.junit, &gate(tmp.path(), &broken, &[]).junit] {
        assert!(xml.contains(&format!(
            "<testcase classname=\"REQ-DEC-7\" name=\"{BROKEN}\">"
        )));
    }
}

// REQ-CONF-12
#[test]
fn setup_mistakes_are_caught_before_the_run() {
    let tmp = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let out = Command::new(bin())
            .arg("conform")
            .arg("--corpus")
            .arg(corpus_dir())
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    };
    // An unknown placeholder: a usage error.
    let (code, _, err) = run(&["--impl", "d --input {input} --output {output} {flag}"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("unknown placeholder {flag}"), "{err}");

    // No {flags}: a warning naming how many cases pass flags.
    let with_flags = fs::read_dir(corpus_dir())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with("REQ-DEC-5"))
        .filter(|e| {
            !fs::read_to_string(e.path().join("flags"))
                .unwrap()
                .trim()
                .is_empty()
        })
        .count();
    assert!(with_flags > 0);
    let cmd = format!("'{}' decode --input {{input}} --output {{output}}", bin());
    let (_, _, err) = run(&["--impl", &cmd, "--filter", "REQ-DEC-5"]);
    assert!(
        err.starts_with(&format!(
            "conform: warning: the command template has no {{flags}}, and {with_flags} of the selected cases pass flags"
        )),
        "{err}"
    );

    // Expectations must name existing requirements and cases.
    let expect = tmp.path().join("e.txt");
    // (An ID this document does not define, spelt so that the coverage
    // check does not take it for a citation.)
    let undefined = format!("REQ-JSON-{}", 99);
    for (text, why) in [
        (
            format!("{undefined} REQ-JSON-2-duplicates\n"),
            format!("no requirement {undefined} in SPEC.md"),
        ),
        (
            "REQ-JSON-2 REQ-JSON-2-no-such-case\n".to_string(),
            "no case REQ-JSON-2-no-such-case in the corpus".to_string(),
        ),
    ] {
        fs::write(&expect, text).unwrap();
        let (code, out, err) = run(&["--impl", &ours(), "--expect", expect.to_str().unwrap()]);
        assert_eq!(code, Some(2), "{err}");
        assert_eq!(out, "", "no case runs");
        assert!(err.starts_with("conform: ") && err.contains(&why), "{err}");
    }

    // A corpus directory that does not exist: a hint about --corpus.
    let out = Command::new(bin())
        .current_dir(tmp.path())
        .args(["conform", "--impl", &ours(), "--corpus", "nowhere"])
        .output()
        .unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.starts_with("conform: no corpus at nowhere: ")
            && err.contains("--corpus DIR")
            && err.contains("--builtin-corpus"),
        "{err}"
    );

    // --filter matches whole names, requirement IDs or areas.
    let (_, out, _) = run(&["--impl", &ours(), "--filter", "REQ-FSM-1"]);
    assert!(out.contains("PASS REQ-FSM-1-header-only"), "{out}");
    assert!(!out.contains("REQ-FSM-10"), "{out}");
    let (_, out, _) = run(&["--impl", &ours(), "--filter", "REQ-FSM-1-header-only"]);
    assert_eq!(out, "PASS REQ-FSM-1-header-only\n1 passed, 0 failed\n");
    let (code, _, err) = run(&["--impl", &ours(), "--filter", "REQ-FSM-1-header"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.starts_with("conform: --filter REQ-FSM-1-header selects no case"),
        "{err}"
    );

    // --keep must be absent or empty.
    let keep = tmp.path().join("keep");
    fs::create_dir(&keep).unwrap();
    fs::write(keep.join("x"), "").unwrap();
    let (code, _, err) = run(&["--impl", &ours(), "--keep", keep.to_str().unwrap()]);
    assert_eq!(code, Some(2), "{err}");

    // A malformed error line is reported as malformed.
    let script = tmp.path().join("malformed.sh");
    fs::write(&script, "echo 'error[bad-magic] x' >&2\nexit 1\n").unwrap();
    let (code, out, _) = run(&[
        "--impl",
        &format!("sh '{}' {{input}} {{output}}", script.display()),
        "--filter",
        "REQ-FSM-1-bad-magic",
    ]);
    assert_eq!(code, Some(1));
    assert!(out.starts_with(
        "FAIL REQ-ERR-1 REQ-FSM-1-bad-magic: printed a malformed error line `error[bad-magic] x`: expected `error[<class>]: <message>` (here error[bad_magic]: …)\n"
    ), "{out}");
}

// REQ-CONF-13
#[test]
fn failing_cases_show_their_cause_whole_in_the_reports_and_kept_on_demand() {
    let tmp = tempfile::tempdir().unwrap();
    // Accepts everything and drops the case's flags: error cases show the
    // expected error line, and every failing case what it is about.
    let script = tmp.path().join("accept.sh");
    fs::write(
        &script,
        format!(
            "'{}' decode --input \"$1\" --output \"$2\" 2>/dev/null || {{ mkdir -p \"$2\"; printf 'long %0300d end\\n' 0 >&2; printf 'bad byte \\377\\n' >&2; }}\nexit 0\n",
            bin()
        ),
    )
    .unwrap();
    let keep = tmp.path().join("kept");
    let report = tmp.path().join("r.json");
    let out = Command::new(bin())
        .arg("conform")
        .arg("--corpus")
        .arg(corpus_dir())
        .args([
            "--impl",
            &format!("sh '{}' {{input}} {{output}} {{flags}}", script.display()),
            "--filter",
            "REQ-CLI-5-late-error-leaves-nothing,REQ-JSON-2-duplicates",
            "--keep",
            keep.to_str().unwrap(),
            "--report",
            report.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let lines: Vec<&str> = stdout.lines().collect();
    let i = lines
        .iter()
        .position(|l| l.starts_with("FAIL REQ-CLI-5 REQ-CLI-5-late-error-leaves-nothing: "))
        .unwrap();
    assert_eq!(
        lines[i],
        "FAIL REQ-CLI-5 REQ-CLI-5-late-error-leaves-nothing: exit status 0 (the input was accepted), expected error[invalid_message]: invalid message for key \"!sqs|msg|data|eno\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x01YmFk\": json: cannot read number 1.5 into int64 field receive_count"
    );
    let description =
        fs::read_to_string(corpus_dir().join("REQ-CLI-5-late-error-leaves-nothing/description"))
            .unwrap();
    assert_eq!(lines[i + 1], format!("    case: {}", description.trim()));
    // Blame by governing requirement, the case's own as context.
    let j = lines
        .iter()
        .position(|l| l.starts_with("FAIL REQ-DEC-5 REQ-JSON-2-duplicates: "))
        .unwrap();
    let context = lines[j..].iter().find(|l| l.starts_with("    ")).unwrap();
    assert!(context.starts_with("    case REQ-JSON-2: "), "{stdout}");

    // The report carries the whole stderr, its lines as they are and
    // non-UTF-8 bytes as \xHH.
    let report: Value = serde_json::from_slice(&fs::read(&report).unwrap()).unwrap();
    let case = report["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["case"] == "REQ-CLI-5-late-error-leaves-nothing")
        .unwrap();
    let stderr = case["stderr"].as_str().unwrap();
    assert!(
        stderr.contains(&format!("long {} end\n", "0".repeat(300))),
        "{stderr}"
    );
    assert!(stderr.contains("bad byte \\xFF\n"), "{stderr}");
    assert_eq!(case["description"], description.trim());
    assert_eq!(case["status"], "fail");

    // --keep: each failing case's input, output and stderr.
    for case in [
        "REQ-CLI-5-late-error-leaves-nothing",
        "REQ-JSON-2-duplicates",
    ] {
        let dir = keep.join(case);
        assert!(dir.join("input.fsm").is_file(), "{}", dir.display());
        assert!(dir.join("output").is_dir(), "{}", dir.display());
        assert!(dir.join("stderr").is_file(), "{}", dir.display());
    }
    assert_eq!(fs::read_dir(&keep).unwrap().count(), 2);
}

// REQ-CONF-11, REQ-CONF-13
#[test]
fn the_help_describes_the_lines_the_gate_prints() {
    let out = Command::new(bin())
        .args(["conform", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    for said in [
        "PASS <case>",
        "FAIL <REQ-ID> <case>: <difference>",
        "case: <description>",
        "XFAIL (listed) or NEW FAIL (not listed)",
        "FIXED <REQ-ID> <case>",
        "`(X expected, Y new), Z fixed`",
        "JSON escapes for control characters (\\n, \\u0000)",
        "\\xHH for bytes that are not UTF-8",
        "`conform: <message>`",
    ] {
        assert!(help.contains(said), "--help does not say {said:?}:\n{help}");
    }
    // And the gate prints those forms (the verdict test checks the rest).
    let tmp = tempfile::tempdir().unwrap();
    let expect = tmp.path().join("e.txt");
    fs::write(&expect, format!("REQ-DEC-7 {BROKEN}\n")).unwrap();
    let run = gate(
        tmp.path(),
        &stand_in(tmp.path()),
        &["--expect", expect.to_str().unwrap()],
    );
    let description = fs::read_to_string(corpus_dir().join(BROKEN).join("description")).unwrap();
    assert!(run
        .stdout
        .contains(&format!("\n    case: {}\n", description.trim())));
    assert!(run.stdout.contains("PASS REQ-FSM-1-header-only\n"));
}
