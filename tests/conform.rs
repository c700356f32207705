//! The conformance gate, demonstrated: `sqsdump conform` passes sqsdump
//! itself, and catches implementations that break the output in typical
//! ways, attributing each breakage to the requirement it violates.
//!
//! A broken implementation is a small `sh` script that runs sqsdump and
//! then damages its input or output with `sed`, `awk`, `tac` and
//! `base64`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use serde_json::Value;

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_sqsdump")
}

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("conformance")
}

fn case_count() -> usize {
    fs::read_dir(corpus_dir())
        .unwrap()
        .filter(|e| e.as_ref().unwrap().file_type().unwrap().is_dir())
        .count()
}

fn conform(impl_cmd: &str, extra: &[&str]) -> (Output, String) {
    let out = Command::new(bin())
        .arg("conform")
        .arg("--impl")
        .arg(impl_cmd)
        .arg("--corpus")
        .arg(corpus_dir())
        .args(extra)
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout.clone()).unwrap();
    (out, stdout)
}

/// The command template of sqsdump itself.
fn ours() -> String {
    format!(
        "'{}' decode --input {{input}} --output {{output}} {{flags}}",
        bin()
    )
}

/// A wrapper around sqsdump: `pre` may change `$in` or the flags (`set --
/// "$@" …`), `post` damages the dump at `$out`. CHECKSUMS is left as
/// sqsdump wrote it: conform compares content files first, so the
/// reported difference is the damage, not the stale checksum.
fn wrapper(dir: &Path, name: &str, pre: &str, post: &str) -> String {
    let script = format!(
        r#"#!/bin/sh
# usage: {name}.sh INPUT OUTPUT [FLAGS...]
in=$1; out=$2; shift 2
{pre}
'{bin}' decode --input "$in" --output "$out" "$@" || exit $?
{post}
"#,
        bin = bin()
    );
    let path = dir.join(format!("{name}.sh"));
    fs::write(&path, script).unwrap();
    format!("sh '{}' {{input}} {{output}} {{flags}}", path.display())
}

/// Recompute CHECKSUMS, as a self-consistent implementation would.
const RECHECKSUM: &str = r#"(cd "$out" && find . -type f ! -name CHECKSUMS | sed 's|^\./||' | LC_ALL=C sort |
  tr '\n' '\0' | xargs -0 sha256sum) > "$out.sums" && mv "$out.sums" "$out/CHECKSUMS""#;

/// Rewrite every messages.jsonl below `$out` through a filter reading
/// stdin.
fn each_messages_file(filter: &str) -> String {
    format!(
        r#"find "$out" -name messages.jsonl | while IFS= read -r f; do
  {filter} < "$f" > "$f.tmp" && mv "$f.tmp" "$f"
done"#
    )
}

fn fail_lines(stdout: &str) -> Vec<&str> {
    stdout.lines().filter(|l| l.starts_with("FAIL ")).collect()
}

/// Run a broken wrapper over the corpus; assert that it is caught, that
/// the given case fails with a difference mentioning `needle`, and that
/// the run was not simply broken everywhere.
#[track_caller]
fn assert_caught(impl_cmd: &str, req: &str, slug: &str, needle: &str) -> String {
    let (out, stdout) = conform(impl_cmd, &[]);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let prefix = format!("FAIL {req} {slug}: ");
    let line = stdout
        .lines()
        .find(|l| l.starts_with(&prefix))
        .unwrap_or_else(|| panic!("no `{prefix}` line:\n{stdout}"));
    assert!(line.contains(needle), "{line}");
    let last = stdout.lines().last().unwrap();
    let failed = fail_lines(&stdout).len();
    assert_eq!(
        last,
        format!("{} passed, {failed} failed", case_count() - failed)
    );
    assert!(
        stdout.lines().any(|l| l.starts_with("PASS ")),
        "every case failed:\n{stdout}"
    );
    stdout
}

// REQ-CONF-3, REQ-CONF-4, REQ-CONF-5, REQ-CONF-6
#[test]
fn sqsdump_passes_its_own_gate() {
    let tmp = tempfile::tempdir().unwrap();
    let report = tmp.path().join("report.json");
    let (out, stdout) = conform(
        &ours(),
        &[
            "--generated",
            "25",
            "--seed",
            "3",
            "--profile",
            "mixed",
            "--report",
            report.to_str().unwrap(),
        ],
    );
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let total = case_count() + 25;
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), total + 1);
    assert!(
        lines[..total].iter().all(|l| l.starts_with("PASS ")),
        "{stdout}"
    );
    assert_eq!(lines[total], format!("{total} passed, 0 failed"));
    assert!(lines.contains(&"PASS REQ-DEC-7-message-order"));
    assert!(lines.contains(&"PASS REQ-CONF-6-generated-mixed-seed3-24"));

    let report: Value = serde_json::from_slice(&fs::read(&report).unwrap()).unwrap();
    assert_eq!(report["passed"], total);
    assert_eq!(report["failed"], 0);
    assert_eq!(report["compare"], "bytes");
    let reqs = report["requirements"].as_object().unwrap();
    assert_eq!(reqs["REQ-CONF-6"]["passed"], 25);
    assert_eq!(reqs["REQ-DEC-4"]["cases"][0]["result"], "pass");
    // Requirement order: REQ-DEC-2 before REQ-DEC-10.
    let keys: Vec<&String> = reqs.keys().collect();
    let pos = |k: &str| keys.iter().position(|x| *x == k).unwrap();
    assert!(pos("REQ-DEC-2") < pos("REQ-DEC-10"));
}

// REQ-CONF-4
#[test]
fn sqsdump_passes_with_json_comparison() {
    let (out, stdout) = conform(&ours(), &["--compare", "json", "--filter", "REQ-JSON-"]);
    assert!(out.status.success(), "{stdout}");
}

// REQ-CONF-5
#[test]
fn reversed_message_order_is_caught_as_req_dec_7() {
    let tmp = tempfile::tempdir().unwrap();
    let w = wrapper(tmp.path(), "reverse", "", &each_messages_file("tac"));
    assert_caught(
        &w,
        "REQ-DEC-7",
        "message-order",
        r#"sqs/ord.fifo/messages.jsonl:1: line differs: expected {"message_id":"g","#,
    );
}

// REQ-CONF-5
#[test]
fn a_base64_text_body_is_caught_as_req_out_6() {
    let tmp = tempfile::tempdir().unwrap();
    // Put every simple text body (no escapes) into the base64 envelope.
    let post = r#"find "$out" -name messages.jsonl | while IFS= read -r f; do
  while IFS= read -r line; do
    body=$(printf '%s\n' "$line" | sed -n 's/.*"body":"\([^"\\]*\)".*/\1/p')
    if [ -n "$body" ]; then
      b64=$(printf '%s' "$body" | base64 | tr -d '\n=' | tr '+/' '-_')
      line=$(printf '%s\n' "$line" | sed 's|"body":"[^"\\]*"|"body":{"base64":"'"$b64"'"}|')
    fi
    printf '%s\n' "$line"
  done < "$f" > "$f.tmp" && mv "$f.tmp" "$f"
done"#;
    let w = wrapper(tmp.path(), "b64body", "", post);
    assert_caught(
        &w,
        "REQ-OUT-6",
        "text-and-binary-bodies",
        r#"expected {"message_id":"t-1","body":"plain text","#,
    );
}

// REQ-CONF-5
#[test]
fn an_html_unescaped_body_is_caught_as_req_json_12() {
    let tmp = tempfile::tempdir().unwrap();
    let w = wrapper(
        tmp.path(),
        "unescape",
        "",
        &each_messages_file(r"sed 's/\\u003c/</g; s/\\u003e/>/g; s/\\u0026/\&/g'"),
    );
    let stdout = assert_caught(
        &w,
        "REQ-JSON-12",
        "body-html-escaping",
        r#"got {"message_id":"j-1","body":"<p>Tom & Jerry</p>""#,
    );
    assert!(stdout.contains("expected …") || stdout.contains(r#"\u003cp\u003eTom"#));
}

// REQ-CONF-5
#[test]
fn dropped_visibility_zeroing_is_caught_as_req_dec_5() {
    let tmp = tempfile::tempdir().unwrap();
    // Always keep the live visibility state, but record the flags asked
    // for in MANIFEST.json, as an implementation that forgets to zero
    // would.
    let pre = r#"asked=no
case " $* " in *" --preserve-sqs-visibility "*) asked=yes ;; *) set -- "$@" --preserve-sqs-visibility ;; esac"#;
    let post = r#"if [ "$asked" = no ]; then
  sed 's/"preserve_sqs_visibility": true/"preserve_sqs_visibility": false/' "$out/MANIFEST.json" > "$out.m" && mv "$out.m" "$out/MANIFEST.json"
fi"#;
    let w = wrapper(tmp.path(), "novis", pre, post);
    let stdout = assert_caught(
        &w,
        "REQ-DEC-5",
        "visibility-zeroed",
        r#""visible_at_millis":1700000030000,"receive_count":3,"first_receive_millis""#,
    );
    assert!(
        stdout.contains("PASS REQ-DEC-5-preserve-visibility"),
        "{stdout}"
    );
}

// REQ-CONF-5
#[test]
fn a_missing_queue_file_is_caught_as_req_out_1() {
    let tmp = tempfile::tempdir().unwrap();
    let w = wrapper(
        tmp.path(),
        "noqueue",
        "",
        r#"find "$out" -name _queue.json -exec rm -f {} +"#,
    );
    assert_caught(
        &w,
        "REQ-OUT-1",
        "layout",
        "sqs/alpha/_queue.json: missing file",
    );
}

// REQ-CONF-5
#[test]
fn an_extra_file_is_caught_as_req_out_1() {
    let tmp = tempfile::tempdir().unwrap();
    let w = wrapper(
        tmp.path(),
        "extra",
        "",
        r#"printf 'dumped by x\n' > "$out/NOTES.txt""#,
    );
    assert_caught(&w, "REQ-OUT-1", "layout", "NOTES.txt: unexpected file");
}

// REQ-CONF-5
#[test]
fn a_duplicated_old_mvcc_version_is_caught_as_req_fsm_7() {
    let tmp = tempfile::tempdir().unwrap();
    // Emit the first message twice, as upstream does when it hands an
    // older version of the key to the encoder too.
    let w = wrapper(
        tmp.path(),
        "dupversion",
        "",
        &each_messages_file("awk 'NR == 1 { print } { print }'"),
    );
    assert_caught(
        &w,
        "REQ-FSM-7",
        "newest-version-wins",
        r#"sqs/orders/messages.jsonl:2: extra content: expected <end of file> got {"message_id":"o-1""#,
    );
}

// REQ-CONF-5
#[test]
fn a_kept_stale_generation_message_is_caught_as_req_dec_4() {
    let tmp = tempfile::tempdir().unwrap();
    // Hide the gen records (same length, so the framing stays valid): the
    // generation filter then has nothing to filter with.
    let pre = r#"work=$(mktemp -d)
LC_ALL=C sed 's/!sqs|queue|gen|/!sqs|queue|geX|/g' "$in" > "$work/input.fsm"
in=$work/input.fsm"#;
    let w = wrapper(tmp.path(), "nogen", pre, r#"rm -rf "$work""#);
    assert_caught(
        &w,
        "REQ-DEC-4",
        "stale-generation",
        r#"sqs/purged/messages.jsonl:1: line differs: expected {"message_id":"p-3""#,
    );
}

// REQ-CONF-3
#[test]
fn a_hanging_implementation_is_killed_at_the_timeout() {
    let tmp = tempfile::tempdir().unwrap();
    let marker = tmp.path().join("survived");
    let script = tmp.path().join("hang.sh");
    // A child that outlives sh unless the whole group is killed.
    fs::write(
        &script,
        format!("(sleep 1; touch '{}') &\nsleep 30\n", marker.display()),
    )
    .unwrap();
    let start = Instant::now();
    let (out, stdout) = conform(
        &format!("sh '{}' {{input}} {{output}}", script.display()),
        &["--timeout", "0.5", "--filter", "REQ-FSM-1-header-only"],
    );
    assert!(start.elapsed() < Duration::from_secs(10));
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stdout,
        "FAIL REQ-FSM-1 header-only: timed out after 0.5 s (process group killed)\n0 passed, 1 failed\n"
    );
    std::thread::sleep(Duration::from_millis(1500));
    assert!(
        !marker.exists(),
        "a child of the killed implementation kept running"
    );
}

// REQ-CONF-4
#[test]
fn error_cases_demand_failure_nothing_left_and_the_right_class() {
    let tmp = tempfile::tempdir().unwrap();
    let filter = ["--filter", "REQ-FSM-3-short-key"];
    let leaves = tmp.path().join("leaves.sh");
    fs::write(&leaves, "mkdir -p \"$2\"\nexit 1\n").unwrap();
    let (_, stdout) = conform(
        &format!("sh '{}' {{input}} {{output}}", leaves.display()),
        &filter,
    );
    assert!(stdout.starts_with(
        "FAIL REQ-FSM-3 short-key: failed as expected (short_key) but left a directory at the output path\n"
    ), "{stdout}");

    let wrong = tmp.path().join("wrong.sh");
    fs::write(&wrong, "echo 'error[bad_magic]: nope' >&2\nexit 1\n").unwrap();
    let (_, stdout) = conform(
        &format!("sh '{}' {{input}} {{output}}", wrong.display()),
        &filter,
    );
    assert!(
        stdout.starts_with(
            "FAIL REQ-FSM-3 short-key: wrong error class: expected short_key got bad_magic\n"
        ),
        "{stdout}"
    );

    let silent = tmp.path().join("silent.sh");
    fs::write(&silent, "exit 3\n").unwrap();
    let (out, stdout) = conform(
        &format!("sh '{}' {{input}} {{output}}", silent.display()),
        &filter,
    );
    assert!(out.status.success(), "{stdout}");

    let ok = tmp.path().join("ok.sh");
    fs::write(&ok, "mkdir -p \"$2\"\n").unwrap();
    let (_, stdout) = conform(
        &format!("sh '{}' {{input}} {{output}}", ok.display()),
        &filter,
    );
    assert!(
        stdout.starts_with(
            "FAIL REQ-FSM-3 short-key: exit status 0, expected an error (short_key)\n"
        ),
        "{stdout}"
    );
}

// REQ-CONF-4
#[test]
fn json_comparison_ignores_spacing_that_bytes_comparison_catches() {
    let tmp = tempfile::tempdir().unwrap();
    let w = wrapper(
        tmp.path(),
        "spaced",
        "",
        &format!(
            "{}\n{RECHECKSUM}",
            each_messages_file(r#"sed 's/"receive_count":0/"receive_count": 0/'"#)
        ),
    );
    let filter = ["--filter", "REQ-DEC-5-visibility-zeroed"];
    let (out, stdout) = conform(&w, &filter);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let (out, stdout) = conform(&w, &[filter[0], filter[1], "--compare", "json"]);
    assert!(out.status.success(), "{stdout}");
}

// REQ-CONF-5
#[test]
fn the_report_groups_failures_by_requirement() {
    let tmp = tempfile::tempdir().unwrap();
    let w = wrapper(tmp.path(), "reverse", "", &each_messages_file("tac"));
    let report = tmp.path().join("r.json");
    let (out, _) = conform(
        &w,
        &["--filter", "REQ-DEC-", "--report", report.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&fs::read(&report).unwrap()).unwrap();
    let dec7 = &report["requirements"]["REQ-DEC-7"];
    assert_eq!(dec7["failed"], 1);
    let case = &dec7["cases"][0];
    assert_eq!(case["case"], "REQ-DEC-7-message-order");
    assert_eq!(case["result"], "fail");
    assert_eq!(case["file"], "sqs/ord.fifo/messages.jsonl");
    assert_eq!(case["line"], 1);
    assert!(case["expected"]
        .as_str()
        .unwrap()
        .starts_with(r#"{"message_id":"g""#));
    assert!(case["actual"]
        .as_str()
        .unwrap()
        .starts_with(r#"{"message_id":"a""#));
    assert_eq!(report["requirements"]["REQ-DEC-12"]["failed"], 0);
}

// REQ-CONF-3
#[test]
fn a_template_without_placeholders_is_a_usage_error() {
    let (out, _) = conform("mydecoder --input {input}", &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("must contain {output}"));
}
