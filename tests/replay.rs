//! `scripts/replay-sqs` against a real SQS-compatible server: runs
//! `scripts/replay-sqs-test` (moto on 127.0.0.1, from a cached venv) on
//! the fixture snapshot and checks what it reports. The test is skipped
//! only when the script says `skipped:` (moto and the AWS CLI could not be
//! installed from PyPI).

use std::path::PathBuf;
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

// REQ-OUT-11
#[test]
fn replay_sqs_restores_the_fixture_into_moto() {
    let dir = tempfile::tempdir().unwrap();
    let snapshot = dir.path().join("fixture.fsm");
    std::fs::write(&snapshot, sqsdump::testkit::replay::fixture_fsm()).unwrap();
    let out = Command::new("bash")
        .arg(root().join("scripts/replay-sqs-test"))
        .arg("--sqsdump")
        .arg(env!("CARGO_BIN_EXE_sqsdump"))
        .arg("--snapshot")
        .arg(&snapshot)
        .env("TMPDIR", dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("{stdout}{stderr}");
    if out.status.success() {
        if let Some(line) = stdout.lines().find(|l| l.starts_with("skipped: ")) {
            eprintln!("replay test {line}");
            return;
        }
    }
    assert!(out.status.success(), "replay-sqs-test failed");
    let lines: Vec<&str> = stdout.lines().collect();
    let has = |want: &str| lines.iter().any(|l| l.starts_with(want));
    // The summary of the first replay: every text message sent; binary
    // bodies and a Binary attribute AWS CLI v1 cannot send are counted.
    assert!(has(
        "queue orders: sent 39 of 40; skipped 1 (binary attribute \"blob\" is not UTF-8 text"
    ));
    assert!(has("queue orders-dlq: sent 2 of 2"));
    assert!(has("queue blobs: sent 3 of 6; skipped 3 (binary body: 3)"));
    assert!(has(
        "queue payments.fifo: sent 30 of 30; notes (dedup_id_from_message_id: 20; repeated_dedup_replaced_by_message_id: 1)"
    ));
    assert!(has(
        "queue events.fifo: sent 20 of 20; notes (repeated_dedup_replaced_by_message_id: 1)"
    ));
    // Messages SQS refuses, whether replay-sqs sees it first or the
    // server rejects them (the whole batch fails, then each is sent
    // alone), and a queue whose name SQS refuses.
    assert!(has("queue limits: sent 2 of 5; skipped 3 (attribute \"empty\" has an empty value: 1; empty body (SQS needs at least one character): 1; rejected by SQS: InvalidParameterValue: 1)"));
    assert!(has(
        "queue bad name!: sent 0 of 2; skipped 2 (queue name not valid in SQS: 2)"
    ));
    // The second replay, binary bodies as base64 text.
    assert!(has("queue blobs: sent 6 of 6; notes (binary_as_base64: 3)"));
    // What came back out of the server, compared with the dump.
    assert!(has(
        "fifo: queues 2, in dump 50, received 50, binary bodies skipped 0, non-UTF-8 binary attributes skipped 0"
    ));
    assert!(has(
        "standard: queues 5, in dump 55, skipped: queue name not valid 2, received 46, binary bodies skipped 3, non-UTF-8 binary attributes skipped 1, refused 3"
    ));
    assert!(has("binary as base64: received 6"));
    let verdict = lines
        .iter()
        .find(|l| l.starts_with("replay-sqs-test: ") && l.ends_with(" failed"))
        .expect("no verdict line");
    assert!(verdict.ends_with(" passed, 0 failed"), "{verdict}");
}
