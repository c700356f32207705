//! End to end: the `sqsdump` binary on built `.fsm` files, with the whole
//! output tree (paths and bytes, MANIFEST and CHECKSUMS included) as
//! golden files.

use crate::common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::sample::sample_fsm;
use common::*;
use sqsdump::fsm::{encode_entry, encode_header};

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_sqsdump")
}

fn run(args: &[&str]) -> Output {
    Command::new(bin())
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .args(args)
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Every regular file under `root`, as `=== path` + bytes, sorted. Fails
/// on anything that is neither a file nor a directory.
fn render_tree(root: &Path) -> String {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        for e in fs::read_dir(dir).unwrap() {
            let e = e.unwrap();
            let t = e.file_type().unwrap();
            let p = e.path();
            if t.is_dir() {
                walk(root, &p, out);
            } else {
                assert!(t.is_file(), "{} is not a regular file", p.display());
                let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
                out.push((rel, fs::read(&p).unwrap()));
            }
        }
    }
    let mut files = Vec::new();
    walk(root, root, &mut files);
    files.sort();
    let mut s = String::new();
    for (path, bytes) in files {
        s.push_str(&format!(
            "=== {path}\n{}",
            String::from_utf8(bytes).unwrap()
        ));
        if !s.ends_with('\n') {
            s.push_str("\n[no trailing newline]\n");
        }
    }
    s
}

/// A temp dir holding `input.fsm` with `bytes`, and the output path.
fn setup(bytes: &[u8]) -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("input.fsm");
    fs::write(&input, bytes).unwrap();
    let out = dir.path().join("out");
    (dir, input, out)
}

fn decode(input: &Path, out: &Path, flags: &[&str]) -> Output {
    let mut args = vec![
        "decode",
        "--input",
        input.to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(flags);
    run(&args)
}

fn snapshot_of(records: &[(Vec<u8>, Vec<u8>)]) -> Vec<u8> {
    let mut out = encode_header(100);
    for (i, (k, v)) in records.iter().enumerate() {
        encode_entry(&mut out, k, i as u64 + 1, false, 0, v);
    }
    out
}

fn golden_tree(name: &str, root: &Path) {
    insta::with_settings!({
        snapshot_path => "../../snapshots",
        prepend_module_to_snapshot => false,
        omit_expression => true,
    }, {
        insta::assert_snapshot!(name, render_tree(root));
    });
}

// REQ-CLI-1, REQ-OUT-1, REQ-CLI-8
#[test]
fn decode_of_the_sample_writes_the_golden_tree() {
    let (_dir, input, out) = setup(&sample_fsm());
    let o = decode(&input, &out, &[]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(
        o.stdout.is_empty(),
        "stdout must stay clean: {}",
        text(&o.stdout)
    );
    golden_tree("REQ-CLI-1-sample-tree-default", &out);
}

// REQ-CLI-1, REQ-DEC-8, REQ-DEC-5
#[test]
fn decode_with_both_flags_writes_the_golden_tree() {
    let (_dir, input, out) = setup(&sample_fsm());
    let o = decode(
        &input,
        &out,
        &["--preserve-visibility", "--include-sqs-side-records"],
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    golden_tree("REQ-CLI-1-sample-tree-all-flags", &out);
}

// REQ-CLI-3, REQ-ERR-3
#[test]
fn warnings_are_json_lines_followed_by_the_summary() {
    let (_dir, input, out) = setup(&sample_fsm());
    let o = decode(&input, &out, &[]);
    let stderr = text(&o.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    let events: Vec<String> = lines
        .iter()
        .take_while(|l| l.starts_with('{'))
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["event"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(
        events,
        [
            "snapshot_version_after_header",
            "sqs_orphan_messages",
            "sqs_stale_generation_messages_dropped",
        ]
    );
    let summary = lines[events.len()..].join("\n");
    for needle in [
        "entries: 37 (3 operational skipped, 1 of other keyspaces)",
        "4 superseded",
        "2 tombstoned",
        "queues: 5, messages written: 12, orphan queues: 1",
        "messages dropped: 1 of stale generations, 1 of orphan queues",
        "warnings by kind: snapshot_version_after_header 1, sqs_orphan_messages 1, \
         sqs_stale_generation_messages_dropped 1",
    ] {
        assert!(summary.contains(needle), "missing {needle:?} in\n{summary}");
    }
}

// REQ-CLI-8
#[test]
fn sha256sum_check_passes_on_a_decoded_dump() {
    let (_dir, input, out) = setup(&sample_fsm());
    assert!(decode(&input, &out, &["--include-sqs-side-records"])
        .status
        .success());
    let check = Command::new("sha256sum")
        .args(["-c", "--strict", "CHECKSUMS"])
        .current_dir(&out)
        .output()
        .unwrap();
    assert!(check.status.success(), "{}", text(&check.stdout));
    assert_eq!(
        text(&check.stdout).lines().count(),
        13,
        "{}",
        text(&check.stdout)
    );
}

// REQ-CLI-9
#[test]
fn two_runs_give_identical_trees() {
    let (_dir, input, out) = setup(&sample_fsm());
    let out2 = out.with_file_name("out2");
    assert!(decode(&input, &out, &[]).status.success());
    assert!(decode(&input, &out2, &[]).status.success());
    assert_eq!(render_tree(&out), render_tree(&out2));
}

fn leftovers(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

// REQ-CLI-5, REQ-FSM-2, REQ-CLI-2
#[test]
fn a_mid_stream_error_leaves_no_output_and_no_staging() {
    let mut bytes = sample_fsm();
    bytes.truncate(bytes.len() - 5);
    let (dir, input, out) = setup(&bytes);
    let o = decode(&input, &out, &[]);
    assert_eq!(o.status.code(), Some(1));
    let stderr = text(&o.stderr);
    assert!(
        stderr.starts_with("error[truncated]: truncated at offset "),
        "{stderr}"
    );
    assert_eq!(leftovers(dir.path()), ["input.fsm"]);
}

// REQ-CLI-5, REQ-OUT-8
#[test]
fn a_path_collision_fails_and_writes_nothing() {
    let vis = sqsdump::key::build(&sqsdump::key::KeyParts::MsgVis {
        queue: b"gone".to_vec(),
        partition: None,
        gen: 1,
        visible_at: 1,
        message_id: b"m".to_vec(),
    });
    let bytes = snapshot_of(&[
        (vis, b"v".to_vec()),
        (meta_key("Z29uZQ.orphan"), meta_value("{}")),
    ]);
    let (dir, input, out) = setup(&bytes);
    let o = decode(&input, &out, &["--include-sqs-side-records"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains("error[path_collision]: path collision: sqs/Z29uZQ.orphan"),
        "{}",
        text(&o.stderr)
    );
    assert_eq!(leftovers(dir.path()), ["input.fsm"]);
}

// REQ-OUT-3, REQ-CLI-6
#[test]
fn a_queue_named_dotdot_stays_inside_the_output() {
    let bytes = snapshot_of(&[
        (meta_key(".."), meta_value(r#"{"name":".."}"#)),
        (meta_key("../../escape"), meta_value("{}")),
        (
            data_key("..", None, 1, "m"),
            message("m", &std_b64(b"x"), 1, 1, ""),
        ),
    ]);
    let (dir, input, out) = setup(&bytes);
    let o = decode(&input, &out, &[]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(leftovers(dir.path()), ["input.fsm", "out"]);
    assert_eq!(leftovers(&out), ["CHECKSUMS", "MANIFEST.json", "sqs"]);
    assert_eq!(leftovers(&out.join("sqs")), ["%2E%2E", "..%2F..%2Fescape"]);
    assert_eq!(
        leftovers(&out.join("sqs/%2E%2E")),
        ["_queue.json", "messages.jsonl"]
    );
}

// REQ-CLI-2, REQ-KEY-6
#[test]
fn a_data_error_names_its_class_and_key_on_one_line() {
    let bytes = snapshot_of(&[(b"!sqs|queue|meta|cR".to_vec(), meta_value("{}"))]);
    let (_dir, input, out) = setup(&bytes);
    let o = decode(&input, &out, &[]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        text(&o.stderr),
        "error[malformed_sqs_key]: malformed sqs key \"!sqs|queue|meta|cR\": queue segment \"cR\" is not canonical base64url\n"
    );
    assert!(!out.exists());
}

// REQ-CLI-9
#[test]
fn wall_time_comes_from_source_date_epoch_or_the_clock() {
    let (_dir, input, out) = setup(&snapshot_of(&[]));
    let manifest = |out: &Path| -> serde_json::Value {
        serde_json::from_slice(&fs::read(out.join("MANIFEST.json")).unwrap()).unwrap()
    };
    // With SOURCE_DATE_EPOCH (set by `run`): that time.
    assert_eq!(decode(&input, &out, &[]).status.code(), Some(0));
    assert_eq!(manifest(&out)["wall_time_iso"], "2023-11-14T22:13:20.000Z");
    // Without it: the clock, still RFC 3339 with milliseconds.
    let out2 = out.with_file_name("out2");
    let status = Command::new(bin())
        .env_remove("SOURCE_DATE_EPOCH")
        .args(["decode", "--input", input.to_str().unwrap()])
        .args(["--output", out2.to_str().unwrap(), "--wall-time"])
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(0));
    let wall = manifest(&out2)["wall_time_iso"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(wall.len(), 24, "{wall}");
    assert!(wall.starts_with("20") && wall.ends_with('Z'), "{wall}");
    assert_ne!(wall, "2023-11-14T22:13:20.000Z");
    // A malformed value is a usage error, and nothing is written.
    let out3 = out.with_file_name("out3");
    let bad = Command::new(bin())
        .env("SOURCE_DATE_EPOCH", "yesterday")
        .args(["decode", "--input", input.to_str().unwrap()])
        .args(["--output", out3.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad.stderr).contains("seconds since the Unix epoch"));
    assert!(!out3.exists());
}

// REQ-CLI-5
#[cfg(target_os = "linux")]
#[test]
fn a_bare_output_name_stages_in_the_working_directory_and_names_it_dot() {
    // `--output dump` stages beside `dump`, in the working directory, which
    // errors call ".". /proc takes no new directories, even from root.
    let (_dir, input, _) = setup(&sample_fsm());
    for engine in ["plain", "stream"] {
        let out = Command::new(bin())
            .current_dir("/proc")
            .env("SOURCE_DATE_EPOCH", "1700000000")
            .args(["decode", "--engine", engine, "--input"])
            .arg(&input)
            .args(["--output", "dump"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{engine}");
        let err = text(&out.stderr);
        assert!(
            err.contains("error[io]: i/o error: creating a staging directory in .: "),
            "{engine}: {err}"
        );
        assert!(
            err.contains("at path \"/proc/./.sqsdump-staging-"),
            "{engine}: {err}"
        );
    }
}

// REQ-ERR-3, REQ-CLI-1: `--warnings FILE` never replaces a file, is
// refused inside the output directory, and a failed decode leaves neither
// the file nor its staging file; a bad `--max-warnings` is a usage error.
#[test]
fn a_warnings_file_is_never_overwritten_nor_left_by_a_failed_run() {
    let (dir, input, out) = setup(&sample_fsm());
    let w = dir.path().join("w.jsonl");
    fs::write(&w, "mine\n").unwrap();
    let o = decode(&input, &out, &["--warnings", w.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).starts_with("error[unsafe_output]: ")
            && text(&o.stderr).contains("never overwritten"),
        "{}",
        text(&o.stderr)
    );
    assert_eq!(fs::read_to_string(&w).unwrap(), "mine\n");
    assert!(!out.exists());
    fs::remove_file(&w).unwrap();

    let inside = out.join("w.jsonl");
    let o = decode(&input, &out, &["--warnings", inside.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains("inside the output directory"),
        "{}",
        text(&o.stderr)
    );
    assert!(!out.exists());

    let mut bad = sample_fsm();
    bad.extend_from_slice(&[9, 0, 0]);
    fs::write(&input, bad).unwrap();
    let o = decode(&input, &out, &["--warnings", w.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).starts_with("error[truncated]"),
        "{}",
        text(&o.stderr)
    );
    let o = decode(
        &input,
        &out,
        &["--engine", "plain", "--warnings", w.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    assert_eq!(leftovers(dir.path()), ["input.fsm"]);

    for bad in ["-1", "many", ""] {
        let o = decode(&input, &out, &["--max-warnings", bad]);
        assert_eq!(o.status.code(), Some(2), "{bad}: {}", text(&o.stderr));
    }
}
