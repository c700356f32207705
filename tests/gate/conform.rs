//! The conformance gate, demonstrated: `sqsdump conform` passes sqsdump
//! itself, and blames every broken implementation on exactly the
//! requirement it breaks.
//!
//! A broken implementation is a small `sh` script that runs sqsdump and
//! then damages its output in exactly one way (with `sed`, `tac`, `perl`
//! or `mv`), rewriting CHECKSUMS so that it stays consistent with the
//! damaged tree, as a self-consistent implementation would.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::gate::{self, bin, corpus_dir, count_cases, fails_blaming_only};

fn case_count() -> usize {
    count_cases(&corpus_dir())
}

fn conform(impl_cmd: &str, extra: &[&str]) -> (Output, String) {
    gate::conform(&[], impl_cmd, extra)
}

/// The command template of sqsdump itself.
fn ours() -> String {
    gate::ours("decode")
}

/// Recompute CHECKSUMS, as a self-consistent implementation would.
const RECHECKSUM: &str = r#"if [ -d "$out" ]; then
(cd "$out" && find . -type f ! -name CHECKSUMS | sed 's|^\./||' | LC_ALL=C sort |
  tr '\n' '\0' | xargs -0 -r sha256sum) > "$out.sums" && mv "$out.sums" "$out/CHECKSUMS"
fi"#;

/// A broken implementation: sqsdump, then `post` damages the dump at
/// `$out` (with `each NAME CMD…` rewriting every file called NAME through
/// CMD), then CHECKSUMS is rewritten. `on_error` runs when sqsdump fails
/// (its stderr is in `$err`). Perl programs are given as `(name, code)`
/// and called as `perl "$dir/name.pl"`.
struct Broken<'a> {
    name: &'a str,
    post: &'a str,
    on_error: &'a str,
    perl: &'a [(&'a str, &'a str)],
}

impl Broken<'_> {
    fn script(&self, dir: &Path) -> String {
        for (name, code) in self.perl {
            fs::write(dir.join(format!("{name}.pl")), code).unwrap();
        }
        let on_error = if self.on_error.is_empty() {
            "cat \"$err\" >&2; rm -f \"$err\"; exit $status"
        } else {
            self.on_error
        };
        let script = format!(
            r#"#!/bin/sh
# usage: {name}.sh INPUT OUTPUT [FLAGS...]
in=$1; out=$2; shift 2
dir='{dir}'
err="$out.err"
each() {{
  name=$1; shift
  find "$out" -name "$name" -type f | while IFS= read -r f; do
    "$@" < "$f" > "$f.tmp" && mv "$f.tmp" "$f"
  done
}}
'{bin}' decode --input "$in" --output "$out" "$@" 2>"$err"
status=$?
if [ $status -ne 0 ]; then
{on_error}
fi
rm -f "$err"
{post}
{RECHECKSUM}
"#,
            name = self.name,
            dir = dir.display(),
            bin = bin(),
            post = self.post,
        );
        let path = dir.join(format!("{}.sh", self.name));
        fs::write(&path, script).unwrap();
        format!("sh '{}' {{input}} {{output}} {{flags}}", path.display())
    }
}

/// Run a broken implementation over the whole corpus and assert that it
/// is caught and that every FAIL line blames exactly `req`, one of them
/// containing `needle`. Returns stdout.
#[track_caller]
fn assert_blames_only(b: Broken<'_>, req: &str, needle: &str) -> String {
    let tmp = tempfile::tempdir().unwrap();
    let (out, stdout) = conform(&b.script(tmp.path()), &[]);
    let fails = fails_blaming_only(b.name, &out, &stdout, req, needle);
    let failed_cases: BTreeSet<&str> = fails
        .iter()
        .map(|l| l.split(' ').nth(2).unwrap().trim_end_matches(':'))
        .collect();
    let last = stdout.lines().last().unwrap();
    assert_eq!(
        last,
        format!(
            "{} passed, {} failed",
            case_count() - failed_cases.len(),
            failed_cases.len()
        )
    );
    // The summary names the requirement once.
    assert_eq!(
        stdout
            .lines()
            .filter(|l| l.starts_with(&format!("{req} ")))
            .count(),
        1,
        "{stdout}"
    );
    stdout
}

fn post<'a>(name: &'a str, post: &'a str) -> Broken<'a> {
    Broken {
        name,
        post,
        on_error: "",
        perl: &[],
    }
}

/// A perl program that rewrites the `body` string of every line with
/// `fix($body)` (defined by `fix`).
fn body_rewrite(fix: &str) -> String {
    format!(
        r#"use strict; use warnings;
binmode STDIN, ':raw'; binmode STDOUT, ':raw';
{fix}
while (my $l = <STDIN>) {{
  $l =~ s/("body":")((?:[^"\\]|\\.)*)"/$1 . fix($2) . '"'/e;
  print $l;
}}
"#
    )
}

// REQ-CONF-3, REQ-CONF-4, REQ-CONF-5, REQ-CONF-6
#[test]
fn sqsdump_passes_its_own_gate() {
    let tmp = tempfile::tempdir().unwrap();
    let report = tmp.path().join("report.json");
    let junit = tmp.path().join("junit.xml");
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
            "--junit",
            junit.to_str().unwrap(),
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
    assert_eq!(report["requirements"], serde_json::json!({}));
    assert_eq!(report["passing_cases"].as_array().unwrap().len(), total);
    let xml = fs::read_to_string(&junit).unwrap();
    assert!(
        xml.contains(&format!("tests=\"{total}\" failures=\"0\"")),
        "{xml}"
    );
}

// REQ-CONF-4
#[test]
fn sqsdump_passes_with_json_comparison() {
    let (out, stdout) = conform(&ours(), &["--compare", "json", "--filter", "REQ-JSON"]);
    assert!(out.status.success(), "{stdout}");
}

// ---------------------------------------------------------------------------
// Broken decoders, each blamed on exactly one requirement (REQ-CONF-5)

// REQ-CONF-5, REQ-JSON-11
#[test]
fn non_ascii_escaped_as_u_escapes_is_blamed_on_req_json_11() {
    let perl = body_rewrite(
        r#"sub u16 { my $c = shift; if ($c > 0xffff) { $c -= 0x10000;
  return sprintf('\u%04x\u%04x', 0xd800 + ($c >> 10), 0xdc00 + ($c & 0x3ff)); }
  sprintf('\u%04x', $c) }
sub fix { my $s = shift; utf8::decode($s); $s =~ s/([^\x00-\x7f])/u16(ord $1)/ge; utf8::encode($s); $s }"#,
    );
    assert_blames_only(
        Broken {
            name: "nonascii",
            post: r#"each messages.jsonl perl "$dir/p.pl""#,
            on_error: "",
            perl: &[("p", &perl)],
        },
        "REQ-JSON-11",
        r#"FAIL REQ-JSON-11 REQ-JSON-11-encoder-escaping: sqs/j/messages.jsonl:1: field body: expected "naïve € 😀 a/b \u2028" got "na\u00efve \u20ac \ud83d\ude00 a/b \u2028""#,
    );
}

// REQ-CONF-5, REQ-JSON-11
#[test]
fn an_escaped_slash_is_blamed_on_req_json_11() {
    let perl = body_rewrite(r#"sub fix { my $s = shift; $s =~ s{/}{\\/}g; $s }"#);
    assert_blames_only(
        Broken {
            name: "slash",
            post: r#"each messages.jsonl perl "$dir/p.pl""#,
            on_error: "",
            perl: &[("p", &perl)],
        },
        "REQ-JSON-11",
        r#"a\/b"#,
    );
}

// REQ-CONF-5, REQ-JSON-11
#[test]
fn an_escaped_slash_in_a_message_id_is_blamed_on_req_json_11() {
    // Lines pair by the parsed value of message_id: `a\/b` is `a/b`.
    assert_blames_only(
        post(
            "idslash",
            r#"each messages.jsonl perl -pe 's{("message_id":")([^"]*)"}{my ($k, $v) = ($1, $2); $v =~ s|/|\\/|g; "$k$v\""}e'"#,
        ),
        "REQ-JSON-11",
        r#"REQ-KEY-2-legacy-data-key: sqs/orders/messages.jsonl:1: field message_id"#,
    );
}

// REQ-CONF-5, REQ-DEC-4
#[test]
fn a_queue_without_surviving_messages_given_stale_ones_is_blamed_on_req_dec_4() {
    // A decoder without the generation filter: the messages of an older
    // generation of a queue with none left are written.
    let stdout = assert_blames_only(
        Broken {
            name: "nogenfilter",
            post: r#"if [ -d "$out/sqs/empty" ] && [ ! -e "$out/sqs/empty/messages.jsonl" ]; then
  printf '%s\n' '{"message_id":"old","body":"x","send_timestamp_millis":1700000000000,"available_at_millis":1700000000000,"visible_at_millis":0,"receive_count":0,"queue_generation":1}' > "$out/sqs/empty/messages.jsonl"
fi"#,
            on_error: "",
            perl: &[],
        },
        "REQ-DEC-4",
        "REQ-DEC-12-queue-without-messages: sqs/empty/messages.jsonl: unexpected file",
    );
    assert!(!stdout.contains("REQ-DEC-12 "), "{stdout}");
}

// REQ-CONF-5, REQ-JSON-11
#[test]
fn a_raw_line_separator_is_blamed_on_req_json_11() {
    let perl = body_rewrite(r#"sub fix { my $s = shift; $s =~ s/\\u2028/\xe2\x80\xa8/g; $s }"#);
    assert_blames_only(
        Broken {
            name: "u2028",
            post: r#"each messages.jsonl perl "$dir/p.pl""#,
            on_error: "",
            perl: &[("p", &perl)],
        },
        "REQ-JSON-11",
        "REQ-JSON-11-encoder-escaping: sqs/j/messages.jsonl:1: field body",
    );
}

// REQ-CONF-5, REQ-JSON-12
#[test]
fn an_html_unescaped_body_is_blamed_on_req_json_12() {
    let perl = body_rewrite(
        r#"sub fix { my $s = shift; $s =~ s/\\u003c/</g; $s =~ s/\\u003e/>/g; $s =~ s/\\u0026/&/g; $s }"#,
    );
    assert_blames_only(
        Broken {
            name: "unescape",
            post: r#"each messages.jsonl perl "$dir/p.pl""#,
            on_error: "",
            perl: &[("p", &perl)],
        },
        "REQ-JSON-12",
        r#"REQ-JSON-12-body-html-escaping: sqs/j/messages.jsonl:1: field body: expected "\u003cp\u003eTom \u0026 Jerry\u003c/p\u003e" got "<p>Tom & Jerry</p>""#,
    );
}

// REQ-CONF-5, REQ-DEC-7
#[test]
fn reversed_message_order_is_blamed_on_req_dec_7() {
    assert_blames_only(
        post("reverse", "each messages.jsonl tac"),
        "REQ-DEC-7",
        r#"FAIL REQ-DEC-7 REQ-DEC-7-message-order: sqs/ord.fifo/messages.jsonl:1: lines in another order: expected {"message_id":"g","#,
    );
}

// REQ-CONF-5, REQ-DEC-5
#[test]
fn a_kept_visibility_deadline_is_blamed_on_req_dec_5() {
    assert_blames_only(
        post(
            "visible",
            r#"each messages.jsonl sed 's/"visible_at_millis":0,/"visible_at_millis":1,/'"#,
        ),
        "REQ-DEC-5",
        "field visible_at_millis: expected 0 got 1",
    );
}

// REQ-CONF-5, REQ-DEC-5
#[test]
fn a_kept_receive_count_is_blamed_on_req_dec_5() {
    assert_blames_only(
        post(
            "receives",
            r#"each messages.jsonl sed 's/"receive_count":0,/"receive_count":1,/'"#,
        ),
        "REQ-DEC-5",
        "field receive_count: expected 0 got 1",
    );
}

// REQ-CONF-5, REQ-DEC-5
#[test]
fn a_kept_first_receive_time_is_blamed_on_req_dec_5() {
    assert_blames_only(
        post(
            "firstrecv",
            r#"each messages.jsonl perl -pe 's/("receive_count":\d+,)(?!"first_receive_millis")/$1"first_receive_millis":5,/'"#,
        ),
        "REQ-DEC-5",
        "unexpected field first_receive_millis: expected <missing> got 5",
    );
}

// REQ-CONF-5, REQ-DEC-5
#[test]
fn a_kept_receipt_token_is_blamed_on_req_dec_5() {
    assert_blames_only(
        post(
            "token",
            r#"each messages.jsonl perl -pe 's/("queue_generation")/"current_receipt_token":"dG9r",$1/ unless /"current_receipt_token"/'"#,
        ),
        "REQ-DEC-5",
        "unexpected field current_receipt_token",
    );
}

// REQ-CONF-5, REQ-DEC-6
#[test]
fn a_dropped_partition_is_blamed_on_req_dec_6() {
    assert_blames_only(
        post(
            "nopartition",
            r#"each messages.jsonl sed 's/,"partition":[0-9]*//'"#,
        ),
        "REQ-DEC-6",
        "missing field partition",
    );
}

// REQ-CONF-5, REQ-VAL-4
#[test]
fn dropped_tags_are_blamed_on_req_val_4() {
    assert_blames_only(
        post(
            "notags",
            r#"each _queue.json perl -0777 -pe 's/,\n  "tags": \{.*?\n  \}//s'"#,
        ),
        "REQ-VAL-4",
        "missing field tags",
    );
}

// REQ-CONF-5, REQ-OUT-6
#[test]
fn a_base64_text_body_is_blamed_on_req_out_6() {
    assert_blames_only(
        post(
            "b64body",
            r#"each messages.jsonl perl -MMIME::Base64 -pe 's{"body":"([A-Za-z0-9 ._-]+)"}{my $b = encode_base64($1, ""); $b =~ tr{+/=}{-_}d; qq("body":{"base64":"$b"})}e'"#,
        ),
        "REQ-OUT-6",
        r#"field body: expected "plain text" got {"base64":"cGxhaW4gdGV4dA"}"#,
    );
}

// REQ-CONF-5, REQ-OUT-2
#[test]
fn lowercase_percent_escapes_in_directory_names_are_blamed_on_req_out_2() {
    assert_blames_only(
        post(
            "lowerpct",
            r#"for d in "$out"/sqs/*%*; do
  [ -d "$d" ] || continue
  b=$(basename "$d")
  case "$b" in %2E|%2E%2E|*.orphan) continue ;; esac
  n=$(printf '%s' "$b" | perl -pe 's/%([0-9A-F]{2})/"%" . lc($1)/ge')
  [ "$n" = "$b" ] || mv "$d" "$out/sqs/$n"
done"#,
        ),
        "REQ-OUT-2",
        "written under another name",
    );
}

// REQ-CONF-5, REQ-OUT-3
#[test]
fn dot_queues_written_outside_their_directory_are_blamed_on_req_out_3() {
    assert_blames_only(
        post(
            "dotdot",
            r#"for d in %2E%2E:"$out" %2E:"$out/sqs"; do
  src="$out/sqs/${d%%:*}"; dst=${d#*:}
  [ -d "$src" ] || continue
  for f in "$src"/*; do mv "$f" "$dst/"; done
  rmdir "$src"
done"#,
        ),
        "REQ-OUT-3",
        "REQ-OUT-3-dot-names: sqs/%2E%2E/_queue.json: written under another name",
    );
}

// REQ-CONF-5, REQ-JSON-15
#[test]
fn a_final_newline_in_queue_json_is_blamed_on_req_json_15() {
    assert_blames_only(
        post("qnewline", r#"each _queue.json sed '$a\'"#),
        "REQ-JSON-15",
        "_queue.json:",
    );
}

// REQ-CONF-5, REQ-DEC-12
#[test]
fn an_empty_messages_file_is_blamed_on_req_dec_12() {
    assert_blames_only(
        post(
            "emptyq",
            r#"for q in "$out"/sqs/*/; do
  [ -f "$q/_queue.json" ] && [ ! -e "$q/messages.jsonl" ] && : > "$q/messages.jsonl"
done"#,
        ),
        "REQ-DEC-12",
        "REQ-DEC-12-queue-without-messages: sqs/empty/messages.jsonl: unexpected file",
    );
}

// REQ-CONF-5, REQ-CLI-8
#[test]
fn a_wrong_manifest_phase_is_blamed_on_req_cli_8() {
    assert_blames_only(
        post(
            "phase",
            r#"each MANIFEST.json sed 's/"phase": "phase0-snapshot-decode"/"phase": "phase0"/'"#,
        ),
        "REQ-CLI-8",
        r#"MANIFEST.json: field phase: expected "phase0-snapshot-decode" got "phase0""#,
    );
}

// REQ-CONF-5, REQ-CLI-8, REQ-FSM-11
#[test]
fn a_missing_footer_checksum_is_blamed_on_req_cli_8() {
    assert_blames_only(
        post("nocrc", r#"each MANIFEST.json sed '/"fsm_crc32c"/d'"#),
        "REQ-CLI-8",
        "REQ-FSM-11-node-file: MANIFEST.json: field source.fsm_crc32c",
    );
}

// REQ-CONF-5, REQ-CLI-13
#[test]
fn a_snapshot_index_not_from_the_file_name_is_blamed_on_req_cli_13() {
    assert_blames_only(
        post(
            "index",
            r#"each MANIFEST.json sed 's/^  "last_commit_ts"/  "snapshot_index": 7,\n  "last_commit_ts"/'"#,
        ),
        "REQ-CLI-13",
        "MANIFEST.json: field snapshot_index",
    );
}

// REQ-CONF-5, REQ-CLI-9
#[test]
fn a_missing_wall_time_is_blamed_on_req_cli_9() {
    assert_blames_only(
        post("nowall", r#"each MANIFEST.json sed '/"wall_time_iso"/d'"#),
        "REQ-CLI-9",
        "MANIFEST.json: wall_time_iso must be an RFC 3339 time: expected an RFC 3339 time got <missing>",
    );
}

// REQ-CONF-5, REQ-CLI-12
#[test]
fn an_absolute_source_path_is_blamed_on_req_cli_12() {
    assert_blames_only(
        post(
            "abspath",
            r#"each MANIFEST.json sed "s|\"fsm_path\": \"input.fsm\"|\"fsm_path\": \"$in\"|""#,
        ),
        "REQ-CLI-12",
        r#"MANIFEST.json: field source.fsm_path: expected "input.fsm" got "/"#,
    );
}

// REQ-CONF-5, REQ-CLI-5
#[test]
fn output_left_behind_after_an_error_is_blamed_on_req_cli_5() {
    assert_blames_only(
        Broken {
            name: "leftovers",
            post: "",
            on_error: r#"mkdir -p "$out/sqs"; cat "$err" >&2; rm -f "$err"; exit 1"#,
            perl: &[],
        },
        "REQ-CLI-5",
        "REQ-FSM-3-short-key: rejected the input (exit status 1, printed error[short_key]) but left a directory at the output path",
    );
}

// REQ-CONF-5, REQ-ERR-1
#[test]
fn a_wrong_error_class_is_blamed_on_req_err_1() {
    assert_blames_only(
        Broken {
            name: "class",
            post: "",
            on_error: r#"sed 's/^error\[[a-z_]*\]/error[io]/' "$err" >&2; rm -f "$err"; exit 1"#,
            perl: &[],
        },
        "REQ-ERR-1",
        "REQ-FSM-3-short-key: wrong error class: expected short_key got io",
    );
}

// REQ-CONF-5, REQ-FSM-7
#[test]
fn a_duplicated_old_version_is_blamed_on_req_fsm_7() {
    assert_blames_only(
        post(
            "dupversion",
            "each messages.jsonl awk 'NR == 1 { print } { print }'",
        ),
        "REQ-FSM-7",
        r#"REQ-FSM-7-newest-version-wins: sqs/orders/messages.jsonl:2: another line for one message id"#,
    );
}

// REQ-CONF-5, REQ-DEC-8
#[test]
fn a_dropped_side_record_is_blamed_on_req_dec_8() {
    assert_blames_only(
        post(
            "noside",
            r#"each side_records.jsonl perl -ne 'if (!$done && !/queue\|seq/) { $done = 1; next } print'"#,
        ),
        "REQ-DEC-8",
        "missing side record",
    );
}

// REQ-CONF-5, REQ-DEC-9
#[test]
fn dropped_seq_side_records_are_blamed_on_req_dec_9() {
    assert_blames_only(
        post(
            "noseq",
            r#"each side_records.jsonl perl -ne 'print unless /"prefix":"!sqs\|queue\|seq\|"/'"#,
        ),
        "REQ-DEC-9",
        "missing side record",
    );
}

// REQ-CONF-13, REQ-DEC-3
#[test]
fn dropped_orphan_directories_are_blamed_on_req_dec_3_whatever_their_name() {
    // Both the `<encoded>.orphan` directory and the hash fallback of a
    // long one: queue directories with side records and no _queue.json.
    let stdout = assert_blames_only(
        post(
            "noorphans",
            r#"for d in "$out"/sqs/*/; do [ -e "$d/_queue.json" ] || rm -rf "$d"; done; rmdir "$out/sqs" 2>/dev/null || true"#,
        ),
        "REQ-DEC-3",
        "REQ-DEC-3-long-orphan-name: sqs/d821329805ee31dde1e9321ee3d98400__",
    );
    assert!(
        stdout.contains("FAIL REQ-DEC-3 REQ-DEC-3-orphan-side-records: sqs/Z29uZQ.orphan/"),
        "{stdout}"
    );
}

// ---------------------------------------------------------------------------
// Reporting, expectations and the runner

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
        "FAIL REQ-FSM-1 REQ-FSM-1-header-only: timed out after 0.5 s (process group killed)\n    \
         case: a header and no entries decode to a dump with only MANIFEST.json and CHECKSUMS\n\
         \n\
         Failing requirements:\n\
         REQ-FSM-1       1 case   header\n\
         0 passed, 1 failed\n"
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
    let run = |name: &str, body: &str| {
        let path = tmp.path().join(name);
        fs::write(&path, body).unwrap();
        conform(
            &format!("sh '{}' {{input}} {{output}}", path.display()),
            &filter,
        )
    };
    let (_, stdout) = run(
        "both.sh",
        "mkdir -p \"$2\"\necho 'error[bad_magic]: nope' >&2\nexit 1\n",
    );
    assert!(stdout.starts_with(
        "FAIL REQ-CLI-5 REQ-FSM-3-short-key: rejected the input (exit status 1, printed error[bad_magic]) but left a directory at the output path\n\
         FAIL REQ-ERR-1 REQ-FSM-3-short-key: wrong error class: expected short_key got bad_magic\n"
    ), "{stdout}");

    let (out, stdout) = run("silent.sh", "exit 3\n");
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.starts_with(
        "FAIL REQ-FSM-3 REQ-FSM-3-short-key: exit status 3 with nothing on stderr, expected a clean rejection (exit status 1 or 2 with error[short_key])\n"
    ), "{stdout}");

    let (out, stdout) = run("classless.sh", "echo 'mydecoder: short key' >&2\nexit 1\n");
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.starts_with(
        "FAIL REQ-ERR-1 REQ-FSM-3-short-key: rejected without an error[<class>]: line (expected error[short_key]; --error-classes optional accepts it)\n"
    ), "{stdout}");
    let path = tmp.path().join("classless.sh");
    let (out, stdout) = conform(
        &format!("sh '{}' {{input}} {{output}}", path.display()),
        &[&filter[..], &["--error-classes", "optional"]].concat(),
    );
    assert!(out.status.success(), "{stdout}");
    assert!(
        stdout.ends_with("1 passed (1 without an error class), 0 failed\n"),
        "{stdout}"
    );

    let (_, stdout) = run("ok.sh", "mkdir -p \"$2\"\n");
    assert!(
        stdout.starts_with(
            "FAIL REQ-FSM-3 REQ-FSM-3-short-key: exit status 0 (the input was accepted), expected error[short_key]: short key at offset 16: 7 bytes, need at least 8\n"
        ),
        "{stdout}"
    );
}

// REQ-CONF-4
#[test]
fn json_comparison_ignores_spacing_that_bytes_comparison_catches() {
    let tmp = tempfile::tempdir().unwrap();
    let w = post(
        "spaced",
        r#"each messages.jsonl sed 's/"receive_count":0/"receive_count": 0/'"#,
    )
    .script(tmp.path());
    let filter = ["--filter", "REQ-DEC-5-visibility-zeroed"];
    let (out, stdout) = conform(&w, &filter);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.starts_with("FAIL REQ-OUT-5 REQ-DEC-5-visibility-zeroed: sqs/"),
        "{stdout}"
    );
    let (out, stdout) = conform(&w, &[filter[0], filter[1], "--compare", "json"]);
    assert!(out.status.success(), "{stdout}");
}

// REQ-CONF-5
#[test]
fn the_reports_group_failures_by_blamed_requirement() {
    let tmp = tempfile::tempdir().unwrap();
    let w = post("reverse", "each messages.jsonl tac").script(tmp.path());
    let report = tmp.path().join("r.json");
    let junit = tmp.path().join("r.xml");
    let md = tmp.path().join("r.md");
    let (out, stdout) = conform(
        &w,
        &[
            "--filter",
            "REQ-DEC",
            "--report",
            report.to_str().unwrap(),
            "--junit",
            junit.to_str().unwrap(),
            "--summary-md",
            md.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let summary = stdout
        .lines()
        .find(|l| l.starts_with("REQ-DEC-7 "))
        .unwrap();
    assert!(summary.ends_with("cases  message order"), "{summary}");
    let report: Value = serde_json::from_slice(&fs::read(&report).unwrap()).unwrap();
    let reqs = report["requirements"].as_object().unwrap();
    assert_eq!(reqs.keys().collect::<Vec<_>>(), ["REQ-DEC-7"]);
    let dec7 = &reqs["REQ-DEC-7"];
    assert_eq!(dec7["title"], "message order");
    assert_eq!(dec7["decision"], false);
    let case = dec7["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["case"] == "REQ-DEC-7-message-order")
        .unwrap();
    let d = &case["differences"][0];
    assert_eq!(d["file"], "sqs/ord.fifo/messages.jsonl");
    assert_eq!(d["line"], 1);
    assert!(d["expected"]
        .as_str()
        .unwrap()
        .starts_with(r#"{"message_id":"g""#));
    let xml = fs::read_to_string(&junit).unwrap();
    assert!(
        xml.contains("<testcase classname=\"REQ-DEC-7\" name=\"REQ-DEC-7-message-order\">"),
        "{xml}"
    );
    assert!(
        xml.contains(
            "<failure message=\"REQ-DEC-7: sqs/ord.fifo/messages.jsonl:1: lines in another order"
        ),
        "{xml}"
    );
    let md = fs::read_to_string(&md).unwrap();
    assert!(md.contains("| REQ-DEC-7 |"), "{md}");
}

// REQ-CONF-8
#[test]
fn expectations_gate_on_new_failures_only() {
    let tmp = tempfile::tempdir().unwrap();
    let w = post("reverse", "each messages.jsonl tac").script(tmp.path());
    let filter = ["--filter", "REQ-DEC-7"];
    let expect = tmp.path().join("expect.txt");
    // Record the failures, then gate on them: exit 0.
    let (out, _) = conform(
        &w,
        &[
            filter[0],
            filter[1],
            "--write-expect",
            expect.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let written = fs::read_to_string(&expect).unwrap();
    assert!(written.starts_with("# Known failures of: "), "{written}");
    assert!(
        written.contains("\nREQ-DEC-7 REQ-DEC-7-message-order\n"),
        "{written}"
    );
    let (out, stdout) = conform(
        &w,
        &[filter[0], filter[1], "--expect", expect.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("expectations: 1 expected failures, 0 new, 0 fixed"),
        "{stdout}"
    );
    // sqsdump itself passes that case: FIXED, exit 0 unless strict.
    let (out, stdout) = conform(
        &ours(),
        &[filter[0], filter[1], "--expect", expect.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout
            .contains("FIXED REQ-DEC-7 REQ-DEC-7-message-order (remove it from the expectations)"),
        "{stdout}"
    );
    let (out, _) = conform(
        &ours(),
        &[
            filter[0],
            filter[1],
            "--expect",
            expect.to_str().unwrap(),
            "--strict-expect",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    // A failure the file does not list: NEW FAIL, exit 1.
    fs::write(&expect, "# nothing known\n").unwrap();
    let (out, stdout) = conform(
        &w,
        &[filter[0], filter[1], "--expect", expect.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout.contains("NEW FAIL REQ-DEC-7 REQ-DEC-7-message-order: sqs/ord.fifo/messages.jsonl:1: lines in another order"), "{stdout}");
    assert!(
        stdout.contains("expectations: 0 expected failures, 1 new, 0 fixed"),
        "{stdout}"
    );
}

// REQ-CONF-3
#[test]
fn a_template_without_placeholders_is_a_usage_error() {
    let (out, _) = conform("mydecoder --input {input}", &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("must contain {output}"));
}

// REQ-CONF-6
#[test]
fn sqsdump_passes_shared_generated_snapshots_with_both_flag_sets() {
    let (out, stdout) = conform(
        &ours(),
        &[
            "--generated",
            "12",
            "--seed",
            "5",
            "--profile",
            "shared",
            "--filter",
            "REQ-CONF-6",
        ],
    );
    assert!(out.status.success(), "{stdout}");
    assert_eq!(stdout.lines().last().unwrap(), "12 passed, 0 failed");
    assert!(stdout.contains("PASS REQ-CONF-6-generated-shared-seed5-11"));
}
