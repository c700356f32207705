//! The two engines behave as one (REQ-ENG-1): the same dump bytes, the
//! same warnings in the same order, the same summary and the same error
//! on every input; the stream engine also when it spills every record
//! (REQ-ENG-3) and when the input is not in Pebble order (REQ-ENG-2).

use std::fs;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;

use sqsdump::decode::Options;
use sqsdump::engine::stream::{Control, Progress};
use sqsdump::engine::{compare_engines, observe_plain, observe_stream, stream_passes};
use sqsdump::fsm::{encode_entry, encode_header};
use sqsdump::testkit::seeded::{write_snapshot, GenOptions};
use sqsdump::testkit::snapshot::{Order, Profile, SnapshotModel, ValidSnapshot};

use crate::common::files as tree;
use crate::common::model;
use crate::common::run::{bin, gen_file, kill, names, wait_for};
use crate::common::{gen_bytes, valid};

/// 64 cases unless `PROPTEST_CASES` says otherwise (each case decodes
/// four times and writes to disk).
fn config() -> ProptestConfig {
    let mut c = ProptestConfig::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        c.cases = 64;
    }
    c.failure_persistence = Some(Box::new(FileFailurePersistence::Direct(
        "proptest-regressions/engines.txt",
    )));
    c
}

/// No forced spill, a spill after every record, and a spill every few.
fn spill_modes() -> [Option<usize>; 3] {
    [None, Some(1), Some(700)]
}

proptest! {
    #![proptest_config(config())]

    // REQ-ENG-1, REQ-ENG-2, REQ-ENG-3: any generated snapshot (adversarial
    // ones included), sorted or shuffled, with any flags: both engines give
    // the same dump, warnings, summary or error, with and without spilling.
    #[test]
    fn engines_agree_on_generated_snapshots(
        m in model::<SnapshotModel>(4096),
        seed in any::<u64>(),
        opts in model::<Options>(2),
    ) {
        for order in [Order::Sorted, Order::Shuffled(seed)] {
            let fsm = SnapshotModel { order, ..m.clone() }.to_fsm_bytes();
            for spill in spill_modes() {
                prop_assert_eq!(compare_engines(&fsm, opts, spill), Ok(()), "{:?} spill {:?}", order, spill);
            }
            // REQ-ENG-2: Pebble order is resolved in one pass.
            if order == Order::Sorted {
                if let Ok(passes) = stream_passes(&fsm, opts) {
                    prop_assert_eq!(passes, 1);
                }
            }
        }
    }

    // REQ-ENG-1, REQ-ENG-2: valid snapshots with MVCC histories (tombstones,
    // expiry, after-header versions, stale generations), sorted and
    // shuffled, decode to identical dumps and warnings.
    #[test]
    fn engines_agree_on_valid_histories(
        ValidSnapshot(m) in model::<ValidSnapshot>(4096),
        seed in any::<u64>(),
        opts in model::<Options>(2),
    ) {
        for order in [Order::Sorted, Order::Shuffled(seed)] {
            let fsm = SnapshotModel { order, ..m.clone() }.to_fsm_bytes();
            let spill = if seed % 2 == 0 { Some(1) } else { None };
            prop_assert_eq!(compare_engines(&fsm, opts, spill), Ok(()));
            let plain = observe_plain(&fsm, opts);
            prop_assert!(plain.is_ok(), "valid snapshot failed: {:?}", plain.err());
        }
    }
}

/// The conformance case directories.
fn cases() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("conformance");
    let mut out: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("input.fsm").is_file())
        .collect();
    out.sort();
    out
}

/// Decode flags from a case's `flags` file (upstream's spelling).
fn case_flags(case: &std::path::Path) -> Options {
    let text = fs::read_to_string(case.join("flags")).unwrap_or_default();
    let mut opts = Options::default();
    for flag in text.split_whitespace() {
        match flag {
            "--preserve-sqs-visibility" | "--preserve-visibility" => {
                opts.preserve_visibility = true
            }
            "--include-sqs-side-records" => opts.include_side_records = true,
            "--require-footer" => opts.require_footer = true,
            other => panic!("{}: unknown flag {other}", case.display()),
        }
    }
    opts
}

// REQ-ENG-1: every conformance case decodes identically with both engines,
// with and without spilling.
#[test]
fn engines_agree_on_every_conformance_case() {
    let cases = cases();
    assert!(cases.len() > 50, "corpus not found: {} cases", cases.len());
    for case in cases {
        let fsm = fs::read(case.join("input.fsm")).unwrap();
        let opts = case_flags(&case);
        for spill in spill_modes() {
            assert_eq!(
                compare_engines(&fsm, opts, spill),
                Ok(()),
                "{} spill {spill:?}",
                case.display()
            );
        }
    }
}

// REQ-ENG-1, REQ-ENG-3: larger seeded snapshots (thousands of messages,
// every profile), forced to spill into many runs (more than the merge
// fan-in, so runs are merged down in passes).
#[test]
fn engines_agree_on_seeded_snapshots_with_many_runs() {
    for seed in 0..6u64 {
        for profile in [Profile::Valid, Profile::Mixed, Profile::Adversarial] {
            let mut fsm = Vec::new();
            write_snapshot(
                GenOptions {
                    seed,
                    profile,
                    queues: 1 + seed as usize % 3,
                    messages: 400 + seed * 300,
                },
                &mut fsm,
            )
            .unwrap();
            for opts in [
                Options::default(),
                Options {
                    preserve_visibility: true,
                    include_side_records: true,
                    require_footer: false,
                },
            ] {
                for spill in [None, Some(2_000)] {
                    assert_eq!(
                        compare_engines(&fsm, opts, spill),
                        Ok(()),
                        "seed {seed} {profile:?} {opts:?} spill {spill:?}"
                    );
                }
            }
        }
    }
}

/// A meta record and `n` messages of queue `q`, versions as given.
fn message_entry(out: &mut Vec<u8>, id: &str, ts: u64, send: i64) {
    let key = sqsdump::key::build(&sqsdump::key::KeyParts::MsgData {
        queue: b"q".to_vec(),
        partition: None,
        gen: 1,
        message_id: id.as_bytes().to_vec(),
    });
    let mut body = sqsdump::value::MESSAGE_MAGIC.to_vec();
    body.extend_from_slice(
        format!(r#"{{"message_id":"{id}","body":"aGk=","send_timestamp_millis":{send},"queue_generation":1}}"#)
            .as_bytes(),
    );
    encode_entry(out, &key, ts, false, 0, &body);
}

/// The user key and value of queue `q`'s meta record.
fn meta() -> (Vec<u8>, Vec<u8>) {
    let key = sqsdump::key::build(&sqsdump::key::KeyParts::QueueMeta {
        queue: b"q".to_vec(),
    });
    let mut body = sqsdump::value::QUEUE_META_MAGIC.to_vec();
    body.extend_from_slice(br#"{"name":"q","visibility_timeout_seconds":30}"#);
    (key, body)
}

fn meta_entry(out: &mut Vec<u8>) {
    let (key, body) = meta();
    encode_entry(out, &key, 5, false, 0, &body);
}

// REQ-ENG-2: a key that goes back in the stream (here a newer version of
// an early message after later keys) makes the sorted pass give up and the
// general pass decode it; the newer version wins, as in the plain engine.
#[test]
fn out_of_order_versions_are_resolved_like_the_plain_engine() {
    let mut fsm = encode_header(100);
    message_entry(&mut fsm, "a", 10, 3);
    message_entry(&mut fsm, "b", 10, 2);
    meta_entry(&mut fsm);
    // Back to message "a": a newer version with another send timestamp.
    message_entry(&mut fsm, "a", 20, 1);
    for spill in spill_modes() {
        assert_eq!(compare_engines(&fsm, Options::default(), spill), Ok(()));
    }
    let s = observe_stream(&fsm, Options::default(), None).unwrap();
    let lines = String::from_utf8(s.files["sqs/q/messages.jsonl"].clone()).unwrap();
    let ids: Vec<&str> = lines
        .lines()
        .map(|l| l.split('"').nth(3).unwrap())
        .collect();
    assert_eq!(ids, ["a", "b"], "{lines}");
    assert_eq!(s.summary.mvcc.superseded_versions, 1);
}

/// `entries` (user key, commit ts, body) framed in encoded-key order, as
/// Pebble iterates: a key comes after the keys it is a prefix of.
/// A stream-engine control that records every progress report.
fn recording_control() -> (Control, Arc<Mutex<Vec<Progress>>>) {
    let events: Arc<Mutex<Vec<Progress>>> = Arc::default();
    let record = Arc::clone(&events);
    let ctl = Control {
        progress: Some(Box::new(move |p| record.lock().unwrap().push(p))),
        ..Control::default()
    };
    (ctl, events)
}

/// The manifest facts of a run on `input.fsm` at time 0.
fn manifest_info() -> sqsdump::manifest::ManifestInfo {
    sqsdump::manifest::ManifestInfo {
        last_commit_ts: 0,
        source_name: "input.fsm".to_string(),
        source_size: 0,
        preserve_visibility: false,
        include_side_records: false,
        wall_time: sqsdump::manifest::wall_time(Some(0)),
        ..Default::default()
    }
}

fn pebble_snapshot(mut entries: Vec<(Vec<u8>, u64, Vec<u8>)>) -> Vec<u8> {
    entries.sort_by(|a, b| {
        let ka = [a.0.as_slice(), &(!a.1).to_be_bytes()].concat();
        let kb = [b.0.as_slice(), &(!b.1).to_be_bytes()].concat();
        ka.cmp(&kb)
    });
    let mut fsm = encode_header(100);
    for (key, ts, body) in &entries {
        encode_entry(&mut fsm, key, *ts, false, 0, body);
    }
    fsm
}

fn message(id: &str, gen: u64, send: i64) -> (Vec<u8>, Vec<u8>) {
    let key = sqsdump::key::build(&sqsdump::key::KeyParts::MsgData {
        queue: b"q".to_vec(),
        partition: None,
        gen,
        message_id: id.as_bytes().to_vec(),
    });
    let mut body = sqsdump::value::MESSAGE_MAGIC.to_vec();
    // The value's id is "same" for every message, so that all of them tie
    // on (timestamp, sequence, id) and only the key orders them. The body
    // is the id (base64 in the value, text in the dump).
    let b64 = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, id);
    body.extend_from_slice(
        format!(r#"{{"message_id":"same","body":"{b64}","send_timestamp_millis":{send},"queue_generation":{gen}}}"#)
            .as_bytes(),
    );
    (key, body)
}

// REQ-ENG-2, REQ-DEC-7, REQ-DEC-14: a Pebble-ordered stream where keys are
// prefixes of other keys (message ids `m1`, `m10`, `m100`; side records
// likewise) is resolved in one pass, and gives the plain engine's dump:
// ties are broken by user key and side records come in user-key order,
// though the stream has the longer keys first.
#[test]
fn pebble_order_with_prefix_keys_takes_one_pass() {
    let mut entries = Vec::new();
    for (i, id) in ["m1", "m10", "m100", "m2"].iter().enumerate() {
        let (key, body) = message(id, 1, 7);
        entries.push((key.clone(), 10 + i as u64, body.clone()));
        // An older version of each key too.
        entries.push((key, 5, body));
        for send_ts in [3u64, 30] {
            let side = sqsdump::key::build(&sqsdump::key::KeyParts::MsgByAge {
                queue: b"q".to_vec(),
                partition: None,
                gen: 1,
                send_ts,
                message_id: id.as_bytes().to_vec(),
            });
            entries.push((side, 9, b"x".to_vec()));
        }
    }
    let (meta_key, meta) = meta();
    entries.push((meta_key, 5, meta));
    let fsm = pebble_snapshot(entries);
    let opts = Options {
        include_side_records: true,
        ..Options::default()
    };
    assert_eq!(stream_passes(&fsm, opts).unwrap(), 1);
    for spill in spill_modes() {
        assert_eq!(
            compare_engines(&fsm, opts, spill),
            Ok(()),
            "spill {spill:?}"
        );
    }
    let s = observe_stream(&fsm, opts, None).unwrap();
    let lines = String::from_utf8(s.files["sqs/q/messages.jsonl"].clone()).unwrap();
    let bodies: Vec<&str> = lines
        .lines()
        .map(|l| l.split('"').nth(7).unwrap())
        .collect();
    assert_eq!(bodies, ["m1", "m10", "m100", "m2"], "{lines}");
    assert_eq!(s.summary.mvcc.superseded_versions, 4);
}

// REQ-ENG-2: a key that comes back after keys it is a prefix of (its
// versions not adjacent) is not Pebble order; the general pass decodes it.
#[test]
fn a_prefix_key_that_comes_back_takes_the_general_pass() {
    let (short, body) = message("m1", 1, 7);
    let (long, long_body) = message("m10", 1, 7);
    let mut fsm = encode_header(100);
    encode_entry(&mut fsm, &short, 20, false, 0, &body);
    encode_entry(&mut fsm, &long, 10, false, 0, &long_body);
    encode_entry(&mut fsm, &short, 10, false, 0, &body);
    assert_eq!(stream_passes(&fsm, Options::default()).unwrap(), 2);
    assert_eq!(compare_engines(&fsm, Options::default(), None), Ok(()));
}

// REQ-ENG-3: a sorted pass that met disorder removes its spill files
// before the general pass starts, so the two passes never hold their runs
// on disk at once (on a big snapshot both would be the size of the input).
#[test]
fn the_spill_files_of_a_pass_that_met_disorder_are_gone_before_the_second_pass() {
    use sqsdump::engine::stream::{self, Source};
    // Many messages in key order, spilled every few bytes, then a key that
    // comes back: the sorted pass spills runs, then gives up.
    let mut fsm = encode_header(1000);
    let mut ids: Vec<String> = (0..200).map(|i| format!("m{i:04}")).collect();
    ids.sort();
    for id in &ids {
        let (key, body) = message(id, 1, 7);
        encode_entry(&mut fsm, &key, 10, false, 0, &body);
    }
    let (first, body) = message(&ids[0], 1, 7);
    encode_entry(&mut fsm, &first, 5, false, 0, &body);
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let parent = tmp.path().to_path_buf();
    // At the restart: the spill directories left in the staging directory.
    let seen: Arc<Mutex<Option<Vec<String>>>> = Arc::default();
    let record = Arc::clone(&seen);
    let ctl = Control {
        progress: Some(Box::new(move |p| {
            if p == Progress::Restart {
                let mut dirs = Vec::new();
                for staging in fs::read_dir(&parent).unwrap().flatten() {
                    for e in fs::read_dir(staging.path()).unwrap().flatten() {
                        dirs.push(e.file_name().to_string_lossy().into_owned());
                    }
                }
                *record.lock().unwrap() = Some(dirs);
            }
        })),
        ..Control::default()
    };
    let cfg = stream::Config {
        spill_after: Some(64),
        sync_files: false,
        ..stream::Config::default()
    };
    let info = manifest_info();
    let prepared = stream::prepare(Source::Bytes(&fsm), &out, &cfg, &info, &ctl).unwrap();
    let at_restart = seen
        .lock()
        .unwrap()
        .clone()
        .expect("the sorted pass met disorder");
    assert!(
        !at_restart.iter().any(|d| d.starts_with("spill-0-")),
        "first pass's spill files still there at the restart: {at_restart:?}"
    );
    // The second pass did spill (the check above is not vacuous).
    prepared.commit(&out, &ctl).unwrap();
    assert_eq!(compare_engines(&fsm, Options::default(), Some(64)), Ok(()));
}

// REQ-ENG-3, REQ-ENG-1: after-header and key/value mismatch warnings are spilled as
// sorted runs and merged back; the warnings (content and order) are the
// plain engine's, in Pebble order and shuffled.
#[test]
fn many_warnings_spill_and_come_back_in_order() {
    let mut entries = Vec::new();
    for i in 0..300u64 {
        // The key says gen 1, the value says gen 2, and the ids differ: two
        // mismatch warnings.
        let (key, mut body) = message(&format!("m{i}"), 1, 7);
        let text = String::from_utf8(body.split_off(sqsdump::value::MESSAGE_MAGIC.len())).unwrap();
        body.extend_from_slice(
            text.replace(r#""queue_generation":1"#, r#""queue_generation":2"#)
                .as_bytes(),
        );
        entries.push((key.clone(), 50, body.clone()));
        // Versions after the header (100): warned about and ignored.
        entries.push((key.clone(), 200 + i % 3, body.clone()));
        entries.push((key, 300, body));
    }
    let fsm = pebble_snapshot(entries.clone());
    let plain = observe_plain(&fsm, Options::default()).unwrap();
    // 600 after the header, 2 mismatches per message (generation and id),
    // and one orphan queue (no meta record).
    assert_eq!(plain.warnings.len(), 1201);
    for spill in [Some(1), Some(500), None] {
        assert_eq!(
            compare_engines(&fsm, Options::default(), spill),
            Ok(()),
            "spill {spill:?}"
        );
    }
    // Reversed: user keys descending, so neither order holds.
    let mut fsm = encode_header(100);
    for (key, ts, body) in entries.iter().rev() {
        encode_entry(&mut fsm, key, *ts, false, 0, body);
    }
    assert_eq!(compare_engines(&fsm, Options::default(), Some(1)), Ok(()));
}

// REQ-ENG-1: with a record error and a framing error later in the stream,
// both engines report the framing error (the plain engine reads the whole
// stream before decoding).
#[test]
fn a_framing_error_wins_over_an_earlier_record_error() {
    let mut fsm = encode_header(100);
    let key = sqsdump::key::build(&sqsdump::key::KeyParts::QueueMeta {
        queue: b"q".to_vec(),
    });
    encode_entry(&mut fsm, &key, 5, false, 0, b"not a meta value");
    fsm.extend_from_slice(&[1, 2, 3]);
    assert_eq!(compare_engines(&fsm, Options::default(), None), Ok(()));
    let err = observe_stream(&fsm, Options::default(), None).unwrap_err();
    assert_eq!(err.class(), "truncated");
}

// ---- command line ----

// REQ-ENG-4: the library's `Decoder` writes, with either engine and the
// same options, the tree and the warnings of `sqsdump decode`; an output
// that is not empty is refused and left alone.
#[test]
fn the_library_decoder_writes_the_command_lines_tree_with_either_engine() {
    use sqsdump::{DecodeOptions, Decoder, Engine};
    let tmp = tempfile::tempdir().unwrap();
    let sample = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/sample.fsm");
    let cli_out = tmp.path().join("cli");
    let cli = bin()
        .args(["decode", "--include-sqs-side-records", "--input"])
        .arg(&sample)
        .arg("--output")
        .arg(&cli_out)
        .output()
        .unwrap();
    assert!(cli.status.success(), "{cli:?}");
    let cli_warnings: Vec<String> = String::from_utf8(cli.stderr)
        .unwrap()
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(str::to_string)
        .collect();
    assert!(!cli_warnings.is_empty());
    for engine in [Engine::Plain, Engine::Stream] {
        let mut options = DecodeOptions::default();
        options.engine = engine;
        options.include_side_records = true;
        options.wall_time = Some(1_700_000_000);
        let out = tmp.path().join(format!("{engine:?}"));
        let mut warnings = Vec::new();
        let summary = Decoder::new(options.clone())
            .decode_with_warnings(&sample, &out, &mut |w| warnings.push(w.to_json_line()))
            .unwrap();
        assert_eq!(tree(&out), tree(&cli_out), "{engine:?}");
        assert_eq!(warnings, cli_warnings, "{engine:?}");
        assert_eq!(summary.queues, 5);
        let err = Decoder::new(options).decode(&sample, &out).unwrap_err();
        assert_eq!(err.class(), "unsafe_output");
        assert_eq!(tree(&out), tree(&cli_out));
    }
}

// REQ-ENG-4: `--engine plain`, `--engine stream` and the default write the
// same tree; the generated snapshot is not in Pebble order, so the stream
// engine takes its second pass, also from standard input (spooled).
// `--memory-limit` takes suffixes and refuses tiny or malformed budgets.
#[test]
fn engine_flag_selects_equal_engines_also_on_stdin() {
    let tmp = tempfile::tempdir().unwrap();
    let fsm = gen_file(tmp.path(), 500);
    let run = |args: &[&str], out: &str, stdin: bool| {
        let mut cmd = bin();
        cmd.arg("decode")
            .args(args)
            .arg("--output")
            .arg(tmp.path().join(out));
        if stdin {
            cmd.args(["--input", "-"])
                .stdin(fs::File::open(&fsm).unwrap());
        } else {
            cmd.arg("--input").arg(&fsm);
        }
        let o = cmd.output().unwrap();
        assert!(
            o.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let stderr = String::from_utf8(o.stderr).unwrap();
        stderr
            .lines()
            .filter(|l| !l.starts_with("sqsdump: wrote"))
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    let e_plain = run(&["--engine", "plain"], "plain", false);
    let e_stream = run(
        &["--engine", "stream", "--memory-limit", "128MiB"],
        "stream",
        false,
    );
    let e_default = run(&[], "default", false);
    assert_eq!(e_plain, e_stream);
    assert_eq!(e_plain, e_default);
    let plain = tree(&tmp.path().join("plain"));
    assert!(plain.len() > 3);
    assert_eq!(plain, tree(&tmp.path().join("stream")));
    assert_eq!(plain, tree(&tmp.path().join("default")));

    let s_plain = run(&["--engine", "plain"], "stdin-plain", true);
    let s_stream = run(&["--include-sqs-side-records"], "stdin-stream-side", true);
    let s_stream2 = run(&[], "stdin-stream", true);
    assert_eq!(s_plain, s_stream2);
    assert!(s_stream.len() >= s_stream2.len());
    assert_eq!(
        tree(&tmp.path().join("stdin-plain")),
        tree(&tmp.path().join("stdin-stream"))
    );
    // Nothing but the outputs is left beside them.
    let mut names: Vec<String> = fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "default",
            "plain",
            "snap.fsm",
            "stdin-plain",
            "stdin-stream",
            "stdin-stream-side",
            "stream"
        ]
    );

    for bad in ["64MiB", "12", "lots", "5T"] {
        let o = bin()
            .args(["decode", "--input"])
            .arg(&fsm)
            .arg("--output")
            .arg(tmp.path().join("x"))
            .args(["--memory-limit", bad])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{bad}");
    }
    assert_eq!(sqsdump::cli::decode::parse_size("1GiB"), Ok(1 << 30));
    assert_eq!(sqsdump::cli::decode::parse_size("300M"), Ok(300 << 20));
    assert_eq!(
        sqsdump::cli::decode::parse_size("200000000"),
        Ok(200_000_000)
    );
}

/// Start a slow decode that spills after every few records, wait until
/// it has written spill files, send `signal`, and return the exit code
/// and what is left in the directory.
fn interrupt_run(signal: &str) -> (Option<i32>, Vec<String>, String) {
    interrupt_engine(signal, "stream", "2000")
}

/// Run `decode --engine ENGINE` slowly (`delay_us` per entry read or file
/// written), interrupt it with `signal` once its staging directory holds
/// files, and return the exit code, what is left beside the input, and
/// stderr.
fn interrupt_engine(
    signal: &str,
    engine: &str,
    delay_us: &str,
) -> (Option<i32>, Vec<String>, String) {
    let tmp = tempfile::tempdir().unwrap();
    let fsm = gen_file(tmp.path(), 3000);
    // Stderr goes to a file, not a pipe that nobody reads while the run
    // is watched (the plain engine prints its warnings before it writes).
    let log = tempfile::NamedTempFile::new().unwrap();
    let mut child = bin()
        .args(["decode", "--engine", engine, "--input"])
        .arg(&fsm)
        .arg("--output")
        .arg(tmp.path().join("out"))
        .env(sqsdump::cli::decode::ENTRY_DELAY_ENV, delay_us)
        .env(sqsdump::cli::decode::SPILL_AFTER_ENV, "4000")
        .stderr(log.reopen().unwrap())
        .spawn()
        .unwrap();
    // Wait (bounded) until the run has spill files in its staging dir.
    let spilled = wait_for(tmp.path(), ".sqsdump-staging-", |p| {
        fs::read_dir(p).is_ok_and(|mut d| {
            d.any(|s| fs::read_dir(s.unwrap().path()).is_ok_and(|mut f| f.next().is_some()))
        })
    })
    .is_some();
    if !spilled {
        let status = child.wait().unwrap();
        panic!(
            "no file appeared in the staging directory: {status:?} {}",
            fs::read_to_string(log.path()).unwrap_or_default()
        );
    }
    kill(signal, &child);
    let status = child.wait().unwrap();
    let left = names(tmp.path());
    (
        status.code(),
        left,
        fs::read_to_string(log.path()).unwrap_or_default(),
    )
}

// REQ-ENG-5: the plain engine interrupted while it writes its staging
// directory removes it and exits 143, leaving no output.
#[test]
fn plain_engine_interrupted_while_writing_leaves_nothing_behind() {
    let (code, left, stderr) = interrupt_engine("-TERM", "plain", "200000");
    assert_eq!(code, Some(143), "{stderr}");
    assert_eq!(left, ["snap.fsm"]);
    assert!(stderr.contains("error[interrupted]"), "{stderr}");
}

// REQ-ENG-5: SIGINT mid-run (spill files on disk) exits 130 and leaves
// only the input: no staging directory, no spill file, no output.
#[test]
fn sigint_leaves_nothing_behind_and_exits_130() {
    let (code, left, stderr) = interrupt_run("-INT");
    assert_eq!(code, Some(130), "{stderr}");
    assert_eq!(left, ["snap.fsm"]);
    assert!(stderr.contains("error[interrupted]"), "{stderr}");
}

// REQ-ENG-5: the same for SIGTERM, exit 143.
#[test]
fn sigterm_leaves_nothing_behind_and_exits_143() {
    let (code, left, stderr) = interrupt_run("-TERM");
    assert_eq!(code, Some(143), "{stderr}");
    assert_eq!(left, ["snap.fsm"]);
}

// REQ-ENG-5: the same for SIGHUP (a closed terminal or SSH session),
// exit 129 with the error line.
#[test]
fn sighup_leaves_nothing_behind_and_exits_129() {
    let (code, left, stderr) = interrupt_run("-HUP");
    assert_eq!(code, Some(129), "{stderr}");
    assert_eq!(left, ["snap.fsm"]);
    assert!(stderr.contains("error[interrupted]"), "{stderr}");
}

// REQ-ENG-5: SIGHUP stops the plain engine too.
#[test]
fn plain_engine_stopped_by_sighup_leaves_nothing_behind() {
    let (code, left, stderr) = interrupt_engine("-HUP", "plain", "200000");
    assert_eq!(code, Some(129), "{stderr}");
    assert_eq!(left, ["snap.fsm"]);
    assert!(stderr.contains("error[interrupted]"), "{stderr}");
}

// REQ-ENG-1: the comparison the engine tests rely on reports every kind
// of difference (a missing, changed or extra file, warnings, summary,
// errors), so equal results are not equal by accident.
#[test]
fn the_engine_comparison_reports_every_kind_of_difference() {
    use sqsdump::engine::compare_observed;
    let fsm = gen_bytes(valid(3, 3, 200));
    let base = observe_plain(&fsm, Options::default()).unwrap();
    assert!(!base.warnings.is_empty() && base.files.len() > 2);
    let ok = |o: &sqsdump::engine::Observed| Ok::<_, sqsdump::Error>(o.clone());
    assert_eq!(compare_observed(ok(&base), ok(&base)), Ok(()));

    let (first, _) = base.files.iter().next().unwrap();
    let mut missing = base.clone();
    missing.files.remove(first);
    let err = compare_observed(ok(&base), ok(&missing)).unwrap_err();
    assert!(err.contains("lacks"), "{err}");
    let err = compare_observed(ok(&missing), ok(&base)).unwrap_err();
    assert!(err.contains("extra file"), "{err}");

    let mut changed = base.clone();
    changed.files.values_mut().next().unwrap().push(b'x');
    let err = compare_observed(ok(&base), ok(&changed)).unwrap_err();
    assert!(err.contains("differs"), "{err}");

    let mut warnings = base.clone();
    warnings.warnings.reverse();
    warnings.warnings.pop();
    let err = compare_observed(ok(&base), ok(&warnings)).unwrap_err();
    assert!(err.contains("warnings differ"), "{err}");

    let mut summary = base.clone();
    summary.summary.messages_written += 1;
    let err = compare_observed(ok(&base), ok(&summary)).unwrap_err();
    assert!(err.contains("summaries differ"), "{err}");

    let bad = |text: &[u8]| observe_plain(text, Options::default()).unwrap_err();
    assert_eq!(compare_observed(Err(bad(b"x")), Err(bad(b"x"))), Ok(()));
    let err = compare_observed(Err(bad(b"x")), Err(bad(b"EKVPBBL1"))).unwrap_err();
    assert!(err.contains("errors differ"), "{err}");
    let err = compare_observed(ok(&base), Err(bad(b"x"))).unwrap_err();
    assert!(err.contains("only the stream engine failed"), "{err}");
    let err = compare_observed(Err(bad(b"x")), ok(&base)).unwrap_err();
    assert!(err.contains("only the plain engine failed"), "{err}");
}

// REQ-ENG-5, REQ-CLI-5: a run stages its dump beside the output, where
// the signal thread finds it through the control; it reports the bytes it
// has read up to the input's size and the messages it has merged up to
// their total; a run that fails leaves no staging directory and forgets
// it.
#[test]
fn a_run_names_its_staging_directory_and_reports_progress() {
    use sqsdump::engine::stream::{self, Source};
    let mut fsm = encode_header(1000);
    for i in 0..20 {
        let (key, body) = message(&format!("m{i:02}"), 1, 7);
        encode_entry(&mut fsm, &key, 10, false, 0, &body);
    }
    let tmp = tempfile::tempdir().unwrap();
    let parent = tmp.path().join("dumps");
    let out = parent.join("out");
    let (ctl, events) = recording_control();
    let cfg = stream::Config {
        sync_files: false,
        ..stream::Config::default()
    };
    let info = manifest_info();
    let prepared = stream::prepare(Source::Bytes(&fsm), &out, &cfg, &info, &ctl).unwrap();
    let staging = ctl.staging.lock().unwrap().clone().expect("staging named");
    assert_eq!(staging.parent(), Some(parent.as_path()));
    let name = staging.file_name().unwrap().to_string_lossy().into_owned();
    assert!(name.starts_with(sqsdump::write::STAGING_PREFIX), "{name}");
    assert!(staging.is_dir());
    let seen = events.lock().unwrap().clone();
    // Bytes read grow within a pass (a second pass starts again at 0).
    let last_pass = seen
        .iter()
        .rposition(|p| *p == Progress::Restart)
        .map_or(0, |i| i + 1);
    let read: Vec<u64> = seen[last_pass..]
        .iter()
        .filter_map(|p| match p {
            Progress::Read(n) => Some(*n),
            _ => None,
        })
        .collect();
    assert!(read.windows(2).all(|w| w[0] <= w[1]), "{seen:?}");
    assert_eq!(read.last(), Some(&(fsm.len() as u64)));
    let merged = seen.iter().rev().find_map(|p| match p {
        Progress::Merge(done, total) => Some((*done, *total)),
        _ => None,
    });
    assert_eq!(merged, Some((20, 20)));
    prepared.commit(&out, &ctl).unwrap();
    let top: Vec<_> = fs::read_dir(&out)
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert!(!top.is_empty(), "the dump is in place");
    assert!(!staging.exists(), "staging removed");

    // A run that fails: nothing staged is left, and the control forgets it.
    let failed = parent.join("failed");
    let ctl = Control::default();
    assert!(stream::prepare(Source::Bytes(b"not a snapshot"), &failed, &cfg, &info, &ctl).is_err());
    assert_eq!(*ctl.staging.lock().unwrap(), None);
    let left: Vec<_> = fs::read_dir(&parent)
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(left, vec![std::ffi::OsString::from("out")]);
}

// REQ-ENG-1: of several records that fail, both engines report the one
// with the least user key: in plain key order, and in Pebble order, which
// brings a key (`m10`) before its prefix (`m1`).
#[test]
fn of_several_bad_records_the_least_key_is_reported() {
    let bad = |id: &str| {
        let (key, _) = message(id, 1, 7);
        (
            key,
            10,
            [sqsdump::value::MESSAGE_MAGIC.as_slice(), b"{"].concat(),
        )
    };
    let error = |fsm: &[u8]| match observe_stream(fsm, Options::default(), None) {
        Ok(_) => panic!("decoded a snapshot with a bad record"),
        Err(e) => e.to_string(),
    };
    for (first, second) in [("m1", "m10"), ("a", "b")] {
        let only_first = error(&pebble_snapshot(vec![bad(first)]));
        assert_ne!(only_first, error(&pebble_snapshot(vec![bad(second)])));
        let both = pebble_snapshot(vec![bad(first), bad(second)]);
        assert_eq!(error(&both), only_first, "{first} and {second}");
        for spill in spill_modes() {
            assert_eq!(compare_engines(&both, Options::default(), spill), Ok(()));
        }
    }
}

// REQ-ENG-5: a long merge reports its progress, and looks for an
// interruption, every 65,536 messages: a queue of 70,000 spilled messages
// reports 0, 65,536 and then all of them, in that order.
#[test]
fn a_long_merge_reports_progress_every_65536_messages() {
    use sqsdump::engine::stream::{self, Source};
    const N: u64 = 70_000;
    let mut entries: Vec<_> = (0..N)
        .map(|i| {
            let (key, body) = message(&format!("m{i:05}"), 1, 7);
            (key, 10, body)
        })
        .collect();
    let (meta_key, meta) = meta();
    entries.push((meta_key, 5, meta));
    let fsm = pebble_snapshot(entries);
    let (ctl, events) = recording_control();
    let cfg = stream::Config {
        sync_files: false,
        spill_after: Some(1 << 20),
        ..stream::Config::default()
    };
    let info = manifest_info();
    let tmp = tempfile::tempdir().unwrap();
    let prepared = stream::prepare(
        Source::Bytes(&fsm),
        &tmp.path().join("out"),
        &cfg,
        &info,
        &ctl,
    )
    .unwrap();
    assert_eq!(prepared.summary.messages_written, N);
    let merged: Vec<(u64, u64)> = events
        .lock()
        .unwrap()
        .iter()
        .filter_map(|p| match p {
            Progress::Merge(done, total) => Some((*done, *total)),
            _ => None,
        })
        .collect();
    assert_eq!(merged, [(0, N), (65_536, N), (N, N)]);
}

/// A queue's meta record, `json` the live record's fields after its name.
fn ht_meta(queue: &str, name: &str, json: &str) -> (Vec<u8>, u64, Vec<u8>) {
    let key = sqsdump::key::build(&sqsdump::key::KeyParts::QueueMeta {
        queue: queue.as_bytes().to_vec(),
    });
    let mut body = sqsdump::value::QUEUE_META_MAGIC.to_vec();
    body.extend_from_slice(format!(r#"{{"name":"{name}"{json}}}"#).as_bytes());
    (key, 5, body)
}

/// A message of `queue` under key id `id` (value id `value_id`), in
/// `group`, on `partition` (a partitioned key) or a classic key.
fn ht_message(
    queue: &str,
    partition: Option<u32>,
    gen: u64,
    id: &str,
    value_id: &str,
    group: &str,
) -> (Vec<u8>, u64, Vec<u8>) {
    let key = sqsdump::key::build(&sqsdump::key::KeyParts::MsgData {
        queue: queue.as_bytes().to_vec(),
        partition,
        gen,
        message_id: id.as_bytes().to_vec(),
    });
    let mut body = sqsdump::value::MESSAGE_MAGIC.to_vec();
    body.extend_from_slice(
        format!(r#"{{"message_id":"{value_id}","body":"aGk=","send_timestamp_millis":1,"queue_generation":{gen},"message_group_id":"{group}"}}"#)
            .as_bytes(),
    );
    (key, 5, body)
}

// REQ-OUT-10, REQ-ERR-3, REQ-ENG-1: a snapshot with a queue for every
// kind of fault `encode` refuses gives one `sqs_queue_not_restorable`
// warning per queue and kind, with the number of messages written that
// have it (stale generations dropped first), last and in queue order, the
// same on both engines, spilled or not. The decode still succeeds.
#[test]
fn every_restore_fault_is_warned_once_per_queue_and_kind_by_both_engines() {
    use sqsdump::encode::restorable::{group_hash, lane, QueueRules};
    use sqsdump::warning::Warning;
    let ht = QueueRules {
        fifo: true,
        partition_count: 4,
        fifo_throughput_limit: "perMessageGroupId",
        deduplication_scope: "",
    };
    let right = lane(ht, group_hash("g"));
    let wrong = (right + 1) % 4;
    let fifo4 =
        r#","is_fifo":true,"partition_count":4,"fifo_throughput_limit":"perMessageGroupId""#;
    let mut e = vec![
        ht_meta("a-pc3", "a-pc3", r#","is_fifo":true,"partition_count":3"#),
        ht_message("a-pc3", Some(0), 1, "m1", "m1", "g"),
        ht_message("a-pc3", Some(1), 1, "m2", "m2", "g"),
        ht_meta(
            "b-pc64",
            "b-pc64",
            r#","is_fifo":true,"partition_count":64"#,
        ),
        ht_meta("c-std", "c-std", r#","partition_count":4"#),
        ht_message("c-std", Some(2), 1, "m1", "m1", ""),
        ht_meta(
            "d-scope",
            "d-scope",
            r#","is_fifo":true,"partition_count":4,"deduplication_scope":"queue""#,
        ),
        ht_meta(
            "e-pergroup",
            "e-pergroup",
            r#","is_fifo":true,"fifo_throughput_limit":"perMessageGroupId""#,
        ),
        ht_meta(
            "f-limit",
            "f-limit",
            r#","is_fifo":true,"fifo_throughput_limit":"fast""#,
        ),
        ht_meta(
            "g-scope",
            "g-scope",
            r#","is_fifo":true,"deduplication_scope":"group""#,
        ),
        ht_meta("h-named", "someone else", ""),
        ht_message("h-named", None, 1, "m1", "m1", ""),
        ht_meta("i-lanes", "i-lanes", fifo4),
        ht_message("i-lanes", Some(right), 1, "ok", "ok", "g"),
        ht_message("i-lanes", Some(wrong), 1, "w1", "w1", "g"),
        ht_message("i-lanes", Some(wrong), 1, "w2", "w2", "g"),
        ht_message("i-lanes", None, 1, "legacy", "legacy", "g"),
        ht_message("i-lanes", Some(7), 1, "far", "far", "g"),
        ht_message("i-lanes", Some(right), 1, "e", "", "g"),
        // Dropped by the generation filter: not in the dump, not counted.
        ht_message("i-lanes", Some(wrong), 2, "old", "old", "g"),
        ht_meta(
            "j-perqueue",
            "j-perqueue",
            r#","is_fifo":true,"partition_count":4,"fifo_throughput_limit":"perQueue""#,
        ),
        ht_message("j-perqueue", Some(0), 1, "ok", "ok", "g"),
        ht_message("j-perqueue", Some(1), 1, "off", "off", "g"),
        ht_meta("k-classic", "k-classic", ""),
        ht_message("k-classic", Some(0), 1, "zero", "zero", ""),
        ht_message("k-classic", Some(2), 1, "two", "two", ""),
        ht_meta("l-fine", "l-fine", fifo4),
        ht_message("l-fine", Some(right), 1, "ok", "ok", "g"),
    ];
    let gen_key = sqsdump::key::build(&sqsdump::key::KeyParts::QueueGen {
        queue: b"i-lanes".to_vec(),
    });
    e.push((gen_key, 5, b"1".to_vec()));
    let fsm = pebble_snapshot(e);
    for spill in spill_modes() {
        assert_eq!(compare_engines(&fsm, Options::default(), spill), Ok(()));
    }
    let plain = observe_plain(&fsm, Options::default()).unwrap();
    let got: Vec<(String, &str, u64)> = plain
        .warnings
        .iter()
        .skip_while(|w| !matches!(w, Warning::NotRestorable { .. }))
        .map(|w| match w {
            Warning::NotRestorable {
                queue,
                kind,
                messages,
            } => (queue.clone(), kind.as_str(), *messages),
            other => panic!("{other:?} after the restore warnings"),
        })
        .collect();
    let want: Vec<(&str, &str, u64)> = vec![
        ("a-pc3", "partition_count_not_power_of_two", 2),
        ("b-pc64", "partition_count_too_large", 0),
        ("c-std", "ht_fifo_on_standard_queue", 1),
        ("d-scope", "dedup_scope_incompatible", 0),
        ("e-pergroup", "per_group_throughput_without_partitions", 0),
        ("f-limit", "fifo_throughput_limit_unknown", 0),
        ("g-scope", "deduplication_scope_unknown", 0),
        ("someone else", "queue_name_not_directory", 1),
        ("i-lanes", "message_id_empty", 1),
        ("i-lanes", "partition_missing", 1),
        ("i-lanes", "partition_out_of_range", 1),
        ("i-lanes", "partition_not_group_lane", 2),
        ("j-perqueue", "partition_not_zero_on_per_queue", 1),
        ("k-classic", "partition_on_unpartitioned_queue", 1),
    ];
    let got: Vec<(&str, &str, u64)> = got.iter().map(|(q, k, n)| (q.as_str(), *k, *n)).collect();
    assert_eq!(got, want);
    assert_eq!(plain.summary.messages_written, 15);
}

/// A message of `queue` (generation `gen`) with matching key and value.
fn queue_message(queue: &str, id: &str, gen: u64) -> (Vec<u8>, Vec<u8>) {
    let key = sqsdump::key::build(&sqsdump::key::KeyParts::MsgData {
        queue: queue.as_bytes().to_vec(),
        partition: None,
        gen,
        message_id: id.as_bytes().to_vec(),
    });
    let mut body = sqsdump::value::MESSAGE_MAGIC.to_vec();
    body.extend_from_slice(
        format!(r#"{{"message_id":"{id}","body":"aGk=","send_timestamp_millis":7,"queue_generation":{gen}}}"#)
            .as_bytes(),
    );
    (key, body)
}

/// Queue `q` at generation 2 with 30 live messages, each with two
/// versions after the header (60 `snapshot_version_after_header`), and 5
/// messages of generation 1 (one `sqs_stale_generation_messages_dropped`);
/// queue `o` without a meta record holding 12 messages (one
/// `sqs_orphan_messages`).
fn warning_snapshot() -> Vec<u8> {
    let mut entries = Vec::new();
    let (key, body) = meta();
    entries.push((key, 5, body));
    let gen_key = sqsdump::key::build(&sqsdump::key::KeyParts::QueueGen {
        queue: b"q".to_vec(),
    });
    entries.push((gen_key, 5, b"2".to_vec()));
    for i in 0..30 {
        let (key, body) = queue_message("q", &format!("m{i:02}"), 2);
        entries.push((key.clone(), 10, body.clone()));
        entries.push((key.clone(), 150, body.clone()));
        entries.push((key, 160, body));
    }
    for i in 0..5 {
        let (key, body) = queue_message("q", &format!("s{i}"), 1);
        entries.push((key, 10, body));
    }
    for i in 0..12 {
        let (key, body) = queue_message("o", &format!("o{i:02}"), 1);
        entries.push((key, 10, body));
    }
    pebble_snapshot(entries)
}

// REQ-ENG-1: both engines count the messages dropped as orphans and as
// stale generations alike.
#[test]
fn both_engines_count_orphan_and_stale_messages_dropped() {
    let fsm = warning_snapshot();
    let plain = observe_plain(&fsm, Options::default()).unwrap();
    assert_eq!(
        (
            plain.summary.orphans,
            plain.summary.orphan_messages,
            plain.summary.stale_dropped,
            plain.summary.messages_written
        ),
        (1, 12, 5, 30)
    );
    assert_eq!(plain.warnings.len(), 62);
    for spill in spill_modes() {
        assert_eq!(compare_engines(&fsm, Options::default(), spill), Ok(()));
        let stream = observe_stream(&fsm, Options::default(), spill).unwrap();
        assert_eq!(stream.summary, plain.summary, "spill {spill:?}");
    }
}

// REQ-ERR-3, REQ-CLI-3, REQ-ENG-1: both engines (the stream engine
// spilling its warnings) print the same stderr: at most --max-warnings
// lines per kind, then one `warnings_suppressed` line per kind, then the
// summary with the count of each kind and the messages dropped; and
// `--warnings FILE` holds every warning, in the order of
// `--max-warnings all`, byte for byte the same from both engines.
#[test]
fn both_engines_rate_limit_stderr_and_write_the_same_warnings_file() {
    let tmp = tempfile::tempdir().unwrap();
    fs::write(tmp.path().join("snap.fsm"), warning_snapshot()).unwrap();
    // Each run in its own directory with relative paths, so that whole
    // stderr texts compare equal.
    let run = |engine: &str, dir: &str, flags: &[&str]| {
        let cwd = tmp.path().join(dir);
        fs::create_dir(&cwd).unwrap();
        let o = bin()
            .current_dir(&cwd)
            .args(["decode", "--input", "../snap.fsm", "--output", "out"])
            .args(["--engine", engine])
            .args(flags)
            .env(sqsdump::cli::decode::SPILL_AFTER_ENV, "1")
            .output()
            .unwrap();
        let stderr = String::from_utf8(o.stderr).unwrap();
        assert!(o.status.success(), "{engine} {flags:?}: {stderr}");
        (cwd, stderr)
    };
    let json_lines = |stderr: &str| -> Vec<serde_json::Value> {
        stderr
            .lines()
            .take_while(|l| l.starts_with('{'))
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };
    let mut seen = Vec::new();
    for (name, flags) in [
        ("default", vec![]),
        ("three", vec!["--max-warnings", "3"]),
        ("none", vec!["--max-warnings", "0"]),
        ("all", vec!["--max-warnings", "all"]),
        ("file", vec!["--warnings", "w.jsonl"]),
    ] {
        let (p_dir, plain) = run("plain", &format!("{name}-plain"), &flags);
        let (s_dir, stream) = run("stream", &format!("{name}-stream"), &flags);
        assert_eq!(plain, stream, "{flags:?}");
        assert_eq!(tree(&p_dir.join("out")), tree(&s_dir.join("out")));
        assert!(
            plain.contains(
                "warnings by kind: snapshot_version_after_header 60, sqs_orphan_messages 1, \
                 sqs_stale_generation_messages_dropped 1\n"
            ),
            "{plain}"
        );
        assert!(
            plain.contains("messages dropped: 5 of stale generations, 12 of orphan queues\n"),
            "{plain}"
        );
        let lines = json_lines(&plain);
        let suppressed: Vec<(String, u64, u64)> = lines
            .iter()
            .filter(|v| v["event"] == "warnings_suppressed")
            .map(|v| {
                (
                    v["kind"].as_str().unwrap().to_string(),
                    v["count"].as_u64().unwrap(),
                    v["shown"].as_u64().unwrap(),
                )
            })
            .collect();
        let after = "snapshot_version_after_header".to_string();
        let shown = lines.len() - suppressed.len();
        match name {
            "default" | "file" => {
                assert_eq!(suppressed, [(after, 50, 10)]);
                assert_eq!(shown, 12);
            }
            "three" => {
                assert_eq!(suppressed, [(after, 57, 3)]);
                assert_eq!(shown, 5);
            }
            "none" => {
                assert_eq!(
                    suppressed,
                    [
                        (after, 60, 0),
                        ("sqs_orphan_messages".into(), 1, 0),
                        ("sqs_stale_generation_messages_dropped".into(), 1, 0)
                    ]
                );
                assert_eq!(shown, 0);
            }
            _ => {
                assert!(suppressed.is_empty());
                assert_eq!(shown, 62);
            }
        }
        // The suppressed lines come last, after every warning shown.
        assert!(lines
            .iter()
            .skip(shown)
            .all(|v| v["event"] == "warnings_suppressed"));
        seen.push((name, plain, p_dir, s_dir));
    }
    let all = &seen[3].1;
    let every: String = all
        .lines()
        .take_while(|l| l.starts_with('{'))
        .map(|l| format!("{l}\n"))
        .collect();
    let (_, file_stderr, p_dir, s_dir) = &seen[4];
    let p_file = fs::read_to_string(p_dir.join("w.jsonl")).unwrap();
    assert_eq!(p_file, every);
    assert_eq!(p_file, fs::read_to_string(s_dir.join("w.jsonl")).unwrap());
    assert_eq!(p_file.lines().count(), 62);
    assert!(
        file_stderr.contains("every warning is in w.jsonl\n"),
        "{file_stderr}"
    );
    // Only the output and the warnings file are left: no staging file.
    for dir in [p_dir, s_dir] {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["out", "w.jsonl"]);
    }
}
