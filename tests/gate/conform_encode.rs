//! The encode direction of the conformance gate (REQ-CONF-10):
//! `sqsdump conform --direction encode` passes sqsdump's own encoder, and
//! blames each deliberately broken encoder on exactly the requirement it
//! breaks.
//!
//! A broken encoder is a small `sh` script around `sqsdump encode`: it
//! may prepare a copy of the input (inside the output's directory, where
//! the gate does not look), and it may rewrite the snapshot with a Perl
//! program that reads the `.fsm` framing, edits the entries and writes
//! them back.

use std::fs;
use std::path::Path;
use std::process::Output;

use crate::common::gate::{self, bin, corpus_dir, count_cases, fails_blaming_only};

fn encode_case_count() -> usize {
    count_cases(&corpus_dir().join("encode"))
}

fn conform(impl_cmd: &str, extra: &[&str]) -> (Output, String) {
    gate::conform(&["--direction", "encode"], impl_cmd, extra)
}

fn ours() -> String {
    gate::ours("encode")
}

/// Reads the snapshot on stdin into `$h` (header) and `@e` (`[key,
/// value]` pairs), runs the transform, and writes the snapshot back.
const PERL_FRAME: &str = r#"binmode STDIN; binmode STDOUT; local $/; my $d = <STDIN>;
my $h = substr($d, 0, 16); my $p = 16; my @e;
while ($p < length $d) {
  my $kl = unpack("Q<", substr($d, $p, 8)); $p += 8; my $k = substr($d, $p, $kl); $p += $kl;
  my $vl = unpack("Q<", substr($d, $p, 8)); $p += 8; my $v = substr($d, $p, $vl); $p += $vl;
  push @e, [$k, $v];
}
TRANSFORM
print $h;
for (@e) { print pack("Q<", length $_->[0]), $_->[0], pack("Q<", length $_->[1]), $_->[1]; }
"#;

/// A broken encoder: `pre` runs first (with `$in`, `$out`, `$work` = a
/// scratch directory beside the output); the encode reads `$src`
/// (default `$in`); a non-empty `perl` transform rewrites the snapshot;
/// `on_error` runs when the encode fails.
struct Broken<'a> {
    name: &'a str,
    pre: &'a str,
    perl: &'a str,
    on_error: &'a str,
}

impl Broken<'_> {
    fn script(&self, dir: &Path) -> String {
        let rewrite = if self.perl.is_empty() {
            String::new()
        } else {
            let pl = dir.join(format!("{}.pl", self.name));
            fs::write(&pl, PERL_FRAME.replace("TRANSFORM", self.perl)).unwrap();
            format!(
                "perl '{}' < \"$out\" > \"$work/fsm\" && mv \"$work/fsm\" \"$out\"",
                pl.display()
            )
        };
        let on_error = if self.on_error.is_empty() {
            "cat \"$work/err\" >&2; rm -rf \"$work\"; exit $status"
        } else {
            self.on_error
        };
        let script = format!(
            r#"#!/bin/sh
in=$1; out=$2; shift 2
work="$(dirname "$out")/work"; mkdir -p "$work"
src="$in"
{pre}
'{bin}' encode --input "$src" --output "$out" "$@" 2>"$work/err"
status=$?
if [ $status -ne 0 ]; then
{on_error}
fi
{rewrite}
rm -rf "$work"
"#,
            pre = self.pre,
            bin = bin(),
        );
        let path = dir.join(format!("{}.sh", self.name));
        fs::write(&path, script).unwrap();
        format!("sh '{}' {{input}} {{output}} {{flags}}", path.display())
    }
}

fn broken<'a>(name: &'a str, perl: &'a str) -> Broken<'a> {
    Broken {
        name,
        pre: "",
        perl,
        on_error: "",
    }
}

/// Run a broken encoder over the encode cases and assert that every FAIL
/// line blames exactly `req`, one of them containing `needle`.
#[track_caller]
fn assert_blames_only(b: Broken<'_>, req: &str, needle: &str) -> String {
    let tmp = tempfile::tempdir().unwrap();
    let (out, stdout) = conform(&b.script(tmp.path()), &[]);
    fails_blaming_only(b.name, &out, &stdout, req, needle);
    stdout
}

// REQ-CONF-10
#[test]
fn sqsdump_passes_every_encode_case() {
    let (out, stdout) = conform(&ours(), &[]);
    let n = encode_case_count();
    assert!(n > 20, "{n}");
    assert!(out.status.success(), "{stdout}");
    assert!(
        stdout.ends_with(&format!("{n} passed, 0 failed\n")),
        "{stdout}"
    );
    assert_eq!(stdout.lines().filter(|l| l.starts_with("PASS ")).count(), n);
}

// REQ-CONF-10, REQ-ENC-1
#[test]
fn a_changed_header_timestamp_is_blamed_on_req_enc_1() {
    assert_blames_only(
        broken(
            "header",
            r#"substr($h, 8, 8) = pack("Q<", unpack("Q<", substr($h, 8, 8)) + 1);"#,
        ),
        "REQ-ENC-1",
        "header last_commit_ts: expected 1000 got 1001",
    );
}

// REQ-CONF-10, REQ-ENC-7
#[test]
fn re_escaped_attribute_values_are_blamed_on_req_enc_7() {
    assert_blames_only(
        broken(
            "attributes",
            r#"for (@e) { $_->[1] =~ s/</\\u003c/g if $_->[0] =~ /^!sqs\|msg\|data\|/; }"#,
        ),
        "REQ-ENC-7",
        "REQ-ENC-7-raw-attribute-values: !sqs|msg|data|YQ",
    );
}

// REQ-CONF-10, REQ-ENC-8
#[test]
fn dropped_dedup_rows_are_blamed_on_req_enc_8() {
    let stdout = assert_blames_only(
        broken(
            "dedup",
            r#"@e = grep { $_->[0] !~ /^!sqs\|msg\|dedup\|/ } @e;"#,
        ),
        "REQ-ENC-8",
        "missing key !sqs|msg|dedup|",
    );
    // Every FIFO case shows it, the HT-FIFO one included.
    assert!(
        stdout.contains("FAIL REQ-ENC-8 REQ-ENC-1-partitioned-queue:"),
        "{stdout}"
    );
}

// REQ-CONF-10, REQ-ENC-9
#[test]
fn dropped_tags_are_blamed_on_req_enc_9() {
    assert_blames_only(
        broken(
            "tags",
            r#"for (@e) { $_->[1] =~ s/,"tags":\{[^}]*\}// if $_->[0] =~ /^!sqs\|queue\|meta\|/; }"#,
        ),
        "REQ-ENC-9",
        "missing field tags",
    );
}

// REQ-CONF-10, REQ-ENC-10
#[test]
fn entries_out_of_order_are_blamed_on_req_enc_10() {
    assert_blames_only(
        broken("reversed", "@e = reverse @e;"),
        "REQ-ENC-10",
        "out of key order",
    );
}

// REQ-CONF-10, REQ-ENC-3
#[test]
fn an_encoder_that_ignores_checksums_is_blamed_on_req_enc_3() {
    // Rewrites CHECKSUMS in a copy of the input, so any tampering passes.
    let pre = r#"cp -R "$in" "$work/dump"; src="$work/dump"
(cd "$src" && find . -type f ! -name CHECKSUMS | sed 's|^\./||' | LC_ALL=C sort |
  tr '\n' '\0' | xargs -0 -r sha256sum) > "$work/sums" && mv "$work/sums" "$src/CHECKSUMS""#;
    let stdout = assert_blames_only(
        Broken {
            name: "checksums",
            pre,
            perl: "",
            on_error: "",
        },
        "REQ-ENC-3",
        "exit status 0 (the input was accepted), expected error[checksum_mismatch]: ",
    );
    let n = encode_case_count();
    assert!(
        stdout.ends_with(&format!("{} passed, 4 failed\n", n - 4)),
        "{stdout}"
    );
}

// REQ-CONF-10, REQ-ENC-11
#[test]
fn output_left_after_an_error_and_a_changed_input_are_blamed_on_req_enc_11() {
    assert_blames_only(
        Broken {
            name: "leftover",
            pre: "",
            perl: "",
            on_error: r#"cat "$work/err" >&2; rm -rf "$work"; echo partial > "$out"; exit 1"#,
        },
        "REQ-ENC-11",
        "left a file at the output path",
    );
    assert_blames_only(
        Broken {
            name: "scribbler",
            pre: r#"echo x > "$in/../stray.txt""#,
            perl: "",
            on_error: "",
        },
        "REQ-ENC-11",
        "wrote stray.txt outside the output's directory",
    );
}

// REQ-CONF-10, REQ-ENC-5
#[test]
fn a_wrong_error_class_is_blamed_on_req_enc_5() {
    assert_blames_only(
        Broken {
            name: "class",
            pre: "",
            perl: "",
            on_error: r#"rm -rf "$work"; echo "error[bad_dump]: no" >&2; exit 2"#,
        },
        "REQ-ENC-5",
        "wrong error class: expected",
    );
}

// REQ-CONF-10, REQ-CONF-8
#[test]
fn encode_expectations_and_reports_work_as_in_the_decode_direction() {
    let tmp = tempfile::tempdir().unwrap();
    let b = broken("reversed", "@e = reverse @e;");
    let cmd = b.script(tmp.path());
    let expect = tmp.path().join("expect.txt");
    let report = tmp.path().join("report.json");
    let junit = tmp.path().join("junit.xml");
    let md = tmp.path().join("summary.md");
    let (out, _) = conform(
        &cmd,
        &[
            "--write-expect",
            expect.to_str().unwrap(),
            "--report",
            report.to_str().unwrap(),
            "--junit",
            junit.to_str().unwrap(),
            "--summary-md",
            md.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let listed = fs::read_to_string(&expect).unwrap();
    assert!(
        listed.contains("REQ-ENC-10 REQ-ENC-1-standard-queue\n"),
        "{listed}"
    );
    let report: serde_json::Value = serde_json::from_slice(&fs::read(&report).unwrap()).unwrap();
    assert_eq!(report["direction"], "encode");
    assert_eq!(
        report["requirements"]["REQ-ENC-10"]["title"],
        "Pebble order"
    );
    assert!(fs::read_to_string(&junit).unwrap().contains("REQ-ENC-10"));
    assert!(fs::read_to_string(&md).unwrap().contains("REQ-ENC-10"));
    // With the expectations the run passes; sqsdump itself then fixes
    // every listed failure, which fails only under --strict-expect.
    let (out, stdout) = conform(&cmd, &["--expect", expect.to_str().unwrap()]);
    assert!(out.status.success(), "{stdout}");
    let (out, stdout) = conform(&ours(), &["--expect", expect.to_str().unwrap()]);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("FIXED REQ-ENC-10 "), "{stdout}");
    let (out, _) = conform(
        &ours(),
        &["--expect", expect.to_str().unwrap(), "--strict-expect"],
    );
    assert_eq!(out.status.code(), Some(1));
    // Generated snapshots are decode cases only: a setup mistake.
    let (out, _) = conform(&ours(), &["--generated", "1"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "conform: --generated works with --direction decode only\n"
    );
}
