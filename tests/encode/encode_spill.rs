//! `sqsdump encode` within a memory budget (REQ-ENC-17): rows and message
//! ids spilled as sorted runs and merged give the bytes (and the errors)
//! of the in-memory encode; spill files stay inside the staging directory
//! and are gone after success, error and interruption.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;

use sqsdump::cli::decode::{ENTRY_DELAY_ENV, SPILL_AFTER_ENV};
use sqsdump::encode::check::{decode_sqs, source_of};
use sqsdump::encode::model::{parse_queue, partition_for};
use sqsdump::encode::tree::MemSource;
use sqsdump::encode::{encode, encode_to_vec, EncodeOptions, EncodeSummary};
use sqsdump::engine::stream::Control;
use sqsdump::testkit::seeded::from_seed;
use sqsdump::testkit::snapshot::{RawHtFifoSnapshot, SnapshotModel, ValidSnapshot};

use crate::common::model;
use crate::common::run::{kill, names, wait_for};

const TS: u64 = 0x0006_1a2b_3c4d_5e6f;

const STD_QUEUE: &str = r#"{"format_version":1,"name":"orders","visibility_timeout_seconds":30,"message_retention_seconds":345600,"delay_seconds":0}"#;
const FIFO_QUEUE: &str = r#"{"format_version":1,"name":"jobs.fifo","fifo":true,"content_based_deduplication":true,"visibility_timeout_seconds":30,"message_retention_seconds":60,"delay_seconds":0}"#;
const HT_QUEUE: &str = r#"{"format_version":1,"name":"ht.fifo","fifo":true,"visibility_timeout_seconds":1,"message_retention_seconds":2,"delay_seconds":0,"partition_count":4,"fifo_throughput_limit":"perMessageGroupId","deduplication_scope":"messageGroup"}"#;

/// One `messages.jsonl` line.
fn line(id: &str, body: &str, send: i64, seq: u64, fifo: Option<(&str, Option<&str>)>) -> String {
    let mut l = format!(
        r#"{{"message_id":"{id}","body":"{body}","send_timestamp_millis":{send},"available_at_millis":{},"visible_at_millis":0,"receive_count":0,"queue_generation":1"#,
        send + 7
    );
    if let Some((group, dedup)) = fifo {
        l.push_str(&format!(r#","message_group_id":"{group}""#));
        if let Some(d) = dedup {
            l.push_str(&format!(r#","message_deduplication_id":"{d}""#));
        }
        l.push_str(&format!(r#","sequence_number":{seq}"#));
    }
    l.push_str("}\n");
    l
}

/// Three queues: a standard one, a content-based FIFO queue whose sends
/// share dedup ids (explicit and by body, with send-time ties), and a
/// partitioned one whose groups share dedup ids.
fn mixed_dump(n: usize) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let std: String = (0..n)
        .map(|i| line(&format!("s{i:05}"), &format!("body {i}"), i as i64, 0, None))
        .collect();
    let fifo: String = (0..n)
        .map(|i| {
            let dedup = format!("d{}", (i / 2) % 5);
            let explicit = (i % 5 != 0).then_some(dedup.as_str());
            let body = format!("b{}", i % 4);
            line(
                &format!("f{i:05}"),
                &body,
                (i / 4) as i64,
                i as u64 + 1,
                Some((&format!("g{}", i % 3), explicit)),
            )
        })
        .collect();
    let ht_cfg = parse_queue(HT_QUEUE.as_bytes()).unwrap();
    let ht: String = (0..n)
        .map(|i| {
            let group = format!("g{}", i % 6);
            let mut l = line(
                &format!("h{i:05}"),
                "x",
                (i / 3) as i64,
                i as u64 + 1,
                Some((&group, Some(&format!("d{}", i % 4)))),
            );
            l.truncate(l.len() - 2);
            l.push_str(&format!(
                r#","partition":{}}}"#,
                partition_for(&ht_cfg, &group)
            ));
            l.push('\n');
            l
        })
        .collect();
    for (dir, queue, lines) in [
        ("orders", STD_QUEUE, std),
        ("jobs.fifo", FIFO_QUEUE, fifo),
        ("ht.fifo", HT_QUEUE, ht),
    ] {
        files.insert(format!("sqs/{dir}/_queue.json"), queue.as_bytes().to_vec());
        files.insert(format!("sqs/{dir}/messages.jsonl"), lines.into_bytes());
    }
    files
}

/// Encode `src` with spilling after `spill_after` bytes into a fresh
/// directory, which must be empty again afterwards.
fn encode_spilled(
    src: &MemSource,
    spill_after: usize,
) -> Result<(Vec<u8>, EncodeSummary), sqsdump::Error> {
    let dir = tempfile::tempdir().unwrap();
    let opts = EncodeOptions {
        spill_after: Some(spill_after),
        ..EncodeOptions::default()
    };
    let mut out = Vec::new();
    let r = encode(src, &opts, Some(dir.path()), &Control::default(), &mut out);
    let left: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
    assert!(left.is_empty(), "spill files left behind: {left:?}");
    r.map(|s| (out, s))
}

fn without_runs(s: EncodeSummary) -> EncodeSummary {
    EncodeSummary {
        row_runs: 0,
        id_runs: 0,
        ..s
    }
}

// REQ-ENC-17, REQ-ENC-8, REQ-ENC-10
/// Spilling after every row (hundreds of runs, so the merge first merges
/// down in passes of 64), after a few rows, or never gives the same bytes
/// over several queues, FIFO dedup rows whose owners are decided across
/// runs, and partitioned queues.
#[test]
fn spilled_runs_merge_to_the_bytes_of_the_in_memory_encode() {
    let src = source_of(&mixed_dump(300), TS);
    let (want, summary) = encode_to_vec(&src, &EncodeOptions::default()).unwrap();
    assert_eq!((summary.row_runs, summary.id_runs), (0, 0));
    assert_eq!(summary.queues, 3);
    // Candidates collapse to one dedup row per key: 5 explicit ids and 4
    // bodies on the FIFO queue, 4 ids per group (6 groups) on the
    // partitioned one.
    let rows = 3 * (2 + 3 * 300) + 2 + (5 + 4) + (6 * 2);
    assert_eq!(summary.entries, rows as u64, "{summary:?}");
    for spill_after in [1, 700, 20_000] {
        let (got, s) = encode_spilled(&src, spill_after).unwrap();
        assert!(
            got == want,
            "bytes differ after spilling every {spill_after} bytes"
        );
        assert_eq!(without_runs(s), summary);
        if spill_after == 1 {
            assert!(s.row_runs > 64 && s.id_runs > 3 * 64, "{s:?}");
        } else {
            assert!(s.row_runs > 1, "{s:?}");
        }
    }
}

// REQ-ENC-17, REQ-ENC-13
/// Restorable generated dumps (every queue kind) encode to the same bytes
/// with and without spilling.
#[test]
fn generated_dumps_encode_alike_with_and_without_spilling() {
    let mut spilled = 0;
    for seed in 0..40u64 {
        let Ok(ValidSnapshot(m)) = from_seed::<ValidSnapshot>(seed, 4096) else {
            continue;
        };
        let files = decode_sqs(&m.to_fsm_bytes()).unwrap();
        let src = source_of(&files, m.last_commit_ts);
        let want = encode_to_vec(&src, &EncodeOptions::default());
        for spill_after in [1, 300] {
            let got = encode_spilled(&src, spill_after);
            match (&want, got) {
                (Ok((w, ws)), Ok((g, gs))) => {
                    assert!(*w == g, "seed {seed}: bytes differ");
                    assert_eq!(without_runs(gs), *ws, "seed {seed}");
                    spilled += usize::from(gs.row_runs > 1);
                }
                (Err(w), Err(g)) => assert_eq!(w.to_string(), g.to_string(), "seed {seed}"),
                (w, g) => panic!("seed {seed}: {w:?} vs {g:?}"),
            }
        }
    }
    assert!(spilled > 30, "{spilled}");
}

fn config() -> ProptestConfig {
    let mut c = ProptestConfig::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        c.cases = 64;
    }
    c.failure_persistence = Some(Box::new(FileFailurePersistence::Direct(
        "proptest-regressions/encode_spill.txt",
    )));
    c
}

proptest! {
    #![proptest_config(config())]

    // REQ-ENC-17
    /// Any generated dump, restorable or not, spilled after any number of
    /// bytes: the bytes of the in-memory encode, or its error.
    #[test]
    fn any_dump_encodes_alike_at_any_spill_size(
        m in prop_oneof![
            model::<ValidSnapshot>(4096).prop_map(|ValidSnapshot(m)| m),
            model::<RawHtFifoSnapshot>(4096).prop_map(|RawHtFifoSnapshot(m)| m),
        ],
        spill_after in 1usize..3000,
    ) {
        let m: SnapshotModel = m;
        let files = decode_sqs(&m.to_fsm_bytes()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let src = source_of(&files, m.last_commit_ts);
        match (encode_to_vec(&src, &EncodeOptions::default()), encode_spilled(&src, spill_after)) {
            (Ok((w, ws)), Ok((g, gs))) => {
                prop_assert!(w == g, "bytes differ");
                prop_assert_eq!(without_runs(gs), ws);
            }
            (Err(w), Err(g)) => prop_assert_eq!(w.to_string(), g.to_string()),
            (w, g) => prop_assert!(false, "{:?} vs {:?}", w.map(|x| x.1), g.map(|x| x.1)),
        }
    }
}

// REQ-ENC-17, REQ-ENC-4, REQ-ENC-5
/// With the message ids spilled, a duplicate id is still reported at the
/// first line that repeats one, before an error of a later line, and an
/// oversized key names the same key.
#[test]
fn errors_are_the_same_when_spilled() {
    let mut lines: Vec<String> = (0..400)
        .map(|i| line(&format!("m{i:04}"), "b", i, 0, None))
        .collect();
    lines[250] = line("m0005", "b", 250, 0, None);
    lines[100] = line("m0020", "b", 100, 0, None);
    let mut bad = lines.clone();
    bad[390] = "{\"message_id\":\"\"}\n".to_string();
    let big = "k".repeat(1 << 20);
    let oversized = vec![line("a", "b", 1, 0, None), line(&big, "b", 2, 0, None)];
    let cases = [
        (
            lines,
            "duplicate_message_id",
            ":101: duplicate message id \"m0020\", first on line 21",
        ),
        (
            bad,
            "duplicate_message_id",
            ":101: duplicate message id \"m0020\", first on line 21",
        ),
        (oversized, "entry_too_large", "!sqs|msg|byage|"),
    ];
    for (lines, class, text) in cases {
        let mut files = BTreeMap::new();
        files.insert(
            "sqs/orders/_queue.json".to_string(),
            STD_QUEUE.as_bytes().to_vec(),
        );
        files.insert(
            "sqs/orders/messages.jsonl".to_string(),
            lines.concat().into_bytes(),
        );
        let src = source_of(&files, TS);
        let want = encode_to_vec(&src, &EncodeOptions::default()).unwrap_err();
        assert_eq!(want.class(), class);
        assert!(want.to_string().contains(text), "{want}");
        for spill_after in [1, 500] {
            let got = encode_spilled(&src, spill_after).unwrap_err();
            assert_eq!(got.to_string(), want.to_string());
        }
    }
    let e = {
        let mut files = BTreeMap::new();
        let lines: Vec<String> = (0..400)
            .map(|i| line(&format!("m{}", i % 399), "b", i, 0, None))
            .collect();
        files.insert(
            "sqs/orders/_queue.json".to_string(),
            STD_QUEUE.as_bytes().to_vec(),
        );
        files.insert(
            "sqs/orders/messages.jsonl".to_string(),
            lines.concat().into_bytes(),
        );
        encode_spilled(&source_of(&files, TS), 1).unwrap_err()
    };
    assert_eq!(
        e.to_string(),
        "sqs/orders/messages.jsonl:400: duplicate message id \"m0\", first on line 1"
    );
}

// ---- command line ----

fn bin() -> std::process::Command {
    std::process::Command::new(env!("CARGO_BIN_EXE_sqsdump"))
}

fn write_dump(dir: &Path, files: &BTreeMap<String, Vec<u8>>) {
    for (path, bytes) in &source_of(files, TS).files {
        let p = dir.join(path);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, bytes).unwrap();
    }
}

// REQ-ENC-17, REQ-ENC-12
/// `--memory-limit` is parsed as decode parses it (minimum 128 MiB); a run
/// forced to spill writes the bytes of one that does not, and leaves only
/// the snapshot beside the dump.
#[test]
fn memory_limit_flag_and_forced_spilling_on_the_command_line() {
    let tmp = tempfile::tempdir().unwrap();
    let dump = tmp.path().join("dump");
    write_dump(&dump, &mixed_dump(200));
    let run = |out: &str, limit: &str, spill: Option<&str>| {
        let mut cmd = bin();
        cmd.args(["encode", "--input"])
            .arg(&dump)
            .arg("--output")
            .arg(tmp.path().join(out))
            .args(["--memory-limit", limit]);
        if let Some(s) = spill {
            cmd.env(SPILL_AFTER_ENV, s);
        }
        cmd.output().unwrap()
    };
    let small = run("small.fsm", "100MiB", None);
    assert_eq!(small.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&small.stderr).contains("below the minimum of 128MiB"));
    let plain = run("plain.fsm", "128MiB", None);
    assert!(plain.status.success(), "{plain:?}");
    let spilled = run("spilled.fsm", "1GiB", Some("100"));
    assert!(spilled.status.success(), "{spilled:?}");
    let a = fs::read(tmp.path().join("plain.fsm")).unwrap();
    let b = fs::read(tmp.path().join("spilled.fsm")).unwrap();
    assert!(a == b && a.len() > 1000);
    assert_eq!(
        names(tmp.path()),
        [
            "dump",
            "plain.fsm",
            "plain.fsm.encode_info.json",
            "spilled.fsm",
            "spilled.fsm.encode_info.json"
        ]
    );
    let help = bin().args(["encode", "--help"]).output().unwrap();
    assert!(String::from_utf8_lossy(&help.stdout).contains("--memory-limit 128MiB"));
}

/// Start a slow encode that spills after every few rows, wait until it
/// has spill files in its staging directory, send `signal`, and return
/// the exit code, what is left beside the dump, and stderr.
fn interrupt_encode(signal: &str) -> (Option<i32>, Vec<String>, String) {
    let tmp = tempfile::tempdir().unwrap();
    let dump = tmp.path().join("dump");
    write_dump(&dump, &mixed_dump(1000));
    let child = bin()
        .args(["encode", "--input"])
        .arg(&dump)
        .arg("--output")
        .arg(tmp.path().join("out.fsm"))
        .env(ENTRY_DELAY_ENV, "2000")
        .env(SPILL_AFTER_ENV, "4000")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let spilled = wait_for(tmp.path(), ".sqsdump-encode-", |p| {
        fs::read_dir(p.join("spill-rows")).is_ok_and(|mut d| d.next().is_some())
    })
    .is_some();
    assert!(spilled, "no spill file appeared");
    kill(signal, &child);
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        names(tmp.path()),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

// REQ-ENC-17: SIGINT mid-run (spill files on disk) exits 130 and leaves
// only the dump: no staging directory, no spill file, no output.
#[test]
fn sigint_stops_an_encode_leaving_nothing_and_exits_130() {
    let (code, left, stderr) = interrupt_encode("-INT");
    assert_eq!(code, Some(130), "{stderr}");
    assert_eq!(left, ["dump"]);
    assert!(stderr.contains("error[interrupted]"), "{stderr}");
}

// REQ-ENC-17: the same for SIGTERM, exit 143.
#[test]
fn sigterm_stops_an_encode_leaving_nothing_and_exits_143() {
    let (code, left, stderr) = interrupt_encode("-TERM");
    assert_eq!(code, Some(143), "{stderr}");
    assert_eq!(left, ["dump"]);
}

// REQ-ENC-17: the same for SIGHUP, exit 129.
#[test]
fn sighup_stops_an_encode_leaving_nothing_and_exits_129() {
    let (code, left, stderr) = interrupt_encode("-HUP");
    assert_eq!(code, Some(129), "{stderr}");
    assert_eq!(left, ["dump"]);
    assert!(stderr.contains("error[interrupted]"), "{stderr}");
}

// REQ-ENC-17
/// The budgets: 80 MiB set aside, then half for rows and a quarter for
/// message ids; limits below 128 MiB count as 128 MiB; the test knob
/// overrides both.
#[test]
fn budgets_split_what_the_limit_leaves() {
    const MIB: usize = 1 << 20;
    let at = |memory_limit: u64, spill_after: Option<usize>| {
        EncodeOptions {
            memory_limit,
            spill_after,
            ..EncodeOptions::default()
        }
        .budgets()
    };
    assert_eq!(EncodeOptions::default().memory_limit, 256 << 20);
    assert_eq!(at(256 << 20, None), (88 * MIB, 44 * MIB));
    assert_eq!(at(128 << 20, None), (24 * MIB, 12 * MIB));
    assert_eq!(at(1, None), (24 * MIB, 12 * MIB));
    assert_eq!(at(256 << 20, Some(5)), (5, 5));
}
