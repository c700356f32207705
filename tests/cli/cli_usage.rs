//! The `sqsdump` binary: flags, help, exit codes and the one error line
//! (REQ-CLI-1..3). Runs that reach the SQS decoder are tested elsewhere.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use sqsdump::cli::decode::render_summary;
use sqsdump::cli::warnout::{KindCounts, MaxWarnings, Reported};
use sqsdump::mvcc::MvccStats;
use sqsdump::snapshot::Summary;

fn sqsdump(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sqsdump"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("sqsdump runs")
}

fn sqsdump_stdin(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sqsdump"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sqsdump runs");
    // The process may exit before reading everything; ignore EPIPE.
    let _ = child.stdin.take().unwrap().write_all(stdin);
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

// REQ-CLI-1
#[test]
fn help_documents_decode_and_every_flag_with_examples() {
    let out = sqsdump(&["--help"]);
    assert_eq!(out.status.code(), Some(0));
    let top = text(&out.stdout);
    assert!(top.contains("decode"), "{top}");
    assert!(top.contains("Examples:"), "{top}");

    let out = sqsdump(&["decode", "--help"]);
    assert_eq!(out.status.code(), Some(0));
    let help = text(&out.stdout);
    for flag in [
        "-i, --input <FILE.fsm|->",
        "-o, --output <DIR>",
        "--preserve-visibility",
        "--include-sqs-side-records",
        "--source-date-epoch <SECS>",
        "SOURCE_DATE_EPOCH",
        "Examples:",
        "sqsdump decode --input /data/fsm-snap/0000000000000064.fsm --output ./dump",
        "--input - --output ./dump",
        "sha256sum -c CHECKSUMS",
    ] {
        assert!(help.contains(flag), "missing {flag:?} in\n{help}");
    }
    assert!(out.stderr.is_empty());
}

// REQ-CLI-1
#[test]
fn version_is_printed() {
    let out = sqsdump(&["--version"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        text(&out.stdout),
        format!("sqsdump {}\n", env!("CARGO_PKG_VERSION"))
    );
}

// REQ-CLI-2
#[test]
fn usage_errors_exit_2() {
    for args in [
        &[][..],
        &["decode"][..],
        &["decode", "--input", "x.fsm"][..],
        &["decode", "--output", "dir"][..],
        &["decode", "-i", "x.fsm", "-o", "dir", "--no-such-flag"][..],
        &["frobnicate"][..],
    ] {
        let out = sqsdump(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(!out.stderr.is_empty(), "{args:?}");
    }
}

// REQ-CLI-2
#[test]
fn bad_magic_exits_1_with_one_error_line_and_no_output() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("x.fsm");
    std::fs::write(&input, b"NOTASNAP\0\0\0\0\0\0\0\0").unwrap();
    let output = tmp.path().join("dump");
    let out = sqsdump(&["decode", "--input", p(&input), "--output", p(&output)]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        "error[bad_magic]: bad magic: expected \"EKVPBBL1\", found \"NOTASNAP\"\n"
    );
    assert!(out.stdout.is_empty());
    assert!(!output.exists());
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 1);
}

// REQ-CLI-2
#[test]
fn non_empty_output_is_refused_before_reading_the_input() {
    let tmp = tempfile::tempdir().unwrap();
    let output = tmp.path().join("dump");
    std::fs::create_dir(&output).unwrap();
    std::fs::write(output.join("old.txt"), "keep").unwrap();
    let out = sqsdump(&[
        "decode",
        "--input",
        "/nonexistent/input.fsm",
        "--output",
        p(&output),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        format!(
            "error[unsafe_output]: unsafe output {}: output directory is not empty\n",
            output.display()
        )
    );
    assert_eq!(std::fs::read(output.join("old.txt")).unwrap(), b"keep");
}

// REQ-CLI-2
#[test]
fn missing_input_is_an_io_error() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("missing.fsm");
    let output = tmp.path().join("dump");
    let out = sqsdump(&["decode", "-i", p(&input), "-o", p(&output)]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        format!(
            "error[io]: i/o error: opening {}: No such file or directory (os error 2)\n",
            input.display()
        )
    );
    assert!(!output.exists());
}

// REQ-FSM-10
#[test]
fn dash_reads_the_snapshot_from_stdin() {
    let tmp = tempfile::tempdir().unwrap();
    let output = tmp.path().join("dump");
    let out = sqsdump_stdin(
        &["decode", "--input", "-", "--output", p(&output)],
        b"EKVSSTI1\0\0\0\0\0\0\0\0",
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        "error[unsupported_format]: unsupported format: EKVSSTI1 (sst-ingest transfer) is not a pebble snapshot stream\n"
    );
    let mut truncated = sqsdump::fsm::encode_header(9);
    truncated.extend_from_slice(&[5, 0, 0]);
    let out = sqsdump_stdin(&["decode", "-i", "-", "-o", p(&output)], &truncated);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        "error[truncated]: truncated at offset 16: key length\n"
    );
    assert!(!output.exists());
}

// REQ-CLI-3
#[test]
fn summary_names_every_count() {
    let summary = Summary {
        bytes_read: 4096,
        last_commit_ts: 77,
        fsm_crc32c: None,
        mvcc: MvccStats {
            entries: 40,
            operational_keys: 4,
            other_keyspace_entries: 6,
            sqs_versions: 30,
            versions_after_header: 1,
            superseded_versions: 5,
            tombstoned_keys: 2,
            expired_keys: 3,
            sqs_records: 19,
        },
        queues: 2,
        messages_written: 11,
        stale_dropped: 1,
        orphans: 1,
        orphan_messages: 7,
        side_records_written: 0,
        message_value_bytes: 1234,
    };
    let mut counts = KindCounts::default();
    for kind in [
        "snapshot_version_after_header",
        "sqs_orphan_messages",
        "snapshot_version_after_header",
    ] {
        counts.add(kind);
    }
    let warnings = Reported {
        counts,
        max: MaxWarnings::PerKind(1),
        suppressed: 1,
        file: Some("w.jsonl".into()),
    };
    assert_eq!(
        render_summary(&summary, Path::new("out/dump"), &warnings),
        "sqsdump: wrote out/dump (warnings: 3)\n\
         warnings by kind: snapshot_version_after_header 2, sqs_orphan_messages 1\n\
         warnings left out of stderr: 1 (at most 1 per kind shown); every warning is in w.jsonl\n\
         snapshot: 4096 bytes, last_commit_ts 77\n\
         entries: 40 (4 operational skipped, 6 of other keyspaces)\n\
         sqs versions: 30 (5 superseded, 1 after header ignored)\n\
         sqs keys: 19 visible records, 2 tombstoned, 3 expired\n\
         queues: 2, messages written: 11, orphan queues: 1\n\
         messages dropped: 1 of stale generations, 7 of orphan queues\n\
         side records written: 0\n\
         message values decoded: 1234 bytes\n"
    );
    let quiet = Reported::default();
    assert!(render_summary(&summary, Path::new("d"), &quiet)
        .starts_with("sqsdump: wrote d (warnings: 0)\nsnapshot: 4096 bytes"));
}
