//! Property tests over the testkit generator model (REQ IDs above each).
//!
//! Every strategy is the same `arbitrary` model the fuzz targets and
//! `sqsdump gen` use, read from a random byte vector: proptest shrinks the
//! vector, which shrinks the model. 256 cases per property by default;
//! `PROPTEST_CASES` overrides. Failures persist in
//! `proptest-regressions/properties.txt` (committed).

use arbitrary::Unstructured;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;

use sqsdump::decode::Options;
use sqsdump::dump::DumpModel;
use sqsdump::key::{build, parse};
use sqsdump::testkit::check;
use sqsdump::testkit::keys::{self, AdversarialKey, ValidKey};
use sqsdump::testkit::snapshot::{Order, SnapshotModel, ValidSnapshot};
use sqsdump::testkit::values::{self, GenCase, InvalidCase, QuirkCase};
use sqsdump::value;

use crate::common::model;

/// 256 cases unless `PROPTEST_CASES` says otherwise.
fn config() -> ProptestConfig {
    let mut c = ProptestConfig::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        c.cases = 256;
    }
    c.failure_persistence = Some(Box::new(FileFailurePersistence::Direct(
        "proptest-regressions/properties.txt",
    )));
    c
}

fn decode(fsm: &[u8], opts: Options) -> Result<DumpModel, sqsdump::Error> {
    sqsdump::snapshot::decode_snapshot(fsm, opts, &mut |_| {}).map(|(m, _)| m)
}

/// Decode a clean model and check the dump against its expected output.
fn decode_and_check(model: &SnapshotModel, opts: Options) -> Result<DumpModel, String> {
    let expected = model.expected(opts.include_side_records);
    match decode(&model.to_fsm_bytes(), opts) {
        Ok(dump) => {
            check::check_dump(&expected, opts, &dump)?;
            Ok(dump)
        }
        Err(e) if expected.collision && e.class() == "path_collision" => Ok(DumpModel::new()),
        Err(e) => Err(format!("decode failed: {e}")),
    }
}

proptest! {
    #![proptest_config(config())]

    // REQ-KEY-7: build→parse reproduces the components of every family,
    // legacy and partitioned, and route agrees with parse.
    #[test]
    fn key_round_trip(ValidKey(parts) in model::<ValidKey>(256)) {
        prop_assert!(keys::round_trips(&parts));
        let k = build(&parts);
        prop_assert_eq!(parse(&k), Ok(parts.clone()), "key {}", k.escape_ascii());
        prop_assert_eq!(keys::check_key_consistency(&k), Ok(()));
    }

    // REQ-ERR-2, REQ-KEY-6: every adversarial key gives a typed error or
    // its documented result, never a panic, and parse/route/build stay
    // consistent.
    #[test]
    fn adversarial_keys_are_total(a in model::<AdversarialKey>(256)) {
        prop_assert_eq!(keys::check_adversarial(&a), Ok(()));
    }

    // REQ-ERR-2, REQ-KEY-7: on arbitrary bytes after a real prefix,
    // parse(k) = Ok(p) implies build(p) = k.
    #[test]
    fn any_key_bytes_are_consistent(family in 0usize..9, tail in vec(any::<u8>(), 0..64)) {
        let mut k = sqsdump::key::Family::ALL[family].prefix().as_bytes().to_vec();
        k.extend_from_slice(&tail);
        prop_assert_eq!(keys::check_key_consistency(&k), Ok(()));
    }

    // REQ-VAL-3, REQ-VAL-5, REQ-JSON-1, REQ-JSON-2, REQ-JSON-3, REQ-JSON-4, REQ-JSON-9, REQ-JSON-10:
    // live records written as Go's json.Marshal writes them read back to
    // the model, and so do their Go-quirk spellings (case folding with
    // ſ/K, duplicates, nulls, escaped names, CR/LF in base64, integer
    // arrays, split maps, unknown members, white space).
    #[test]
    fn values_read_like_go(case in model::<QuirkCase>(1024)) {
        prop_assert_eq!(case.live.check_reads_as_expected(&case.live.value()), Ok(()));
        prop_assert_eq!(case.live.check_reads_as_expected(&case.live.quirky_value(&case.quirks)), Ok(()));
    }

    // REQ-ERR-2, REQ-VAL-1, REQ-VAL-2, REQ-JSON-5, REQ-JSON-6, REQ-JSON-8:
    // floats for ints, out-of-range and negative unsigned numbers, leading
    // zeros, wrong types, trailing garbage, a BOM, bad magic, raw control
    // bytes, truncation and bad []byte spellings are all rejected.
    #[test]
    fn invalid_values_are_rejected(case in model::<InvalidCase>(1024)) {
        let v = case.value();
        prop_assert!(case.live.rejects(&v), "accepted {:?}", String::from_utf8_lossy(&v));
    }

    // REQ-VAL-5: one reused MessageReader (the stream engine's parser
    // threads keep one) reads every value of a sequence exactly as
    // decode_message reads it alone: nothing of one value leaks into the
    // next, whether the one before was valid, quirky or rejected.
    #[test]
    fn a_reused_message_reader_reads_each_value_alone(
        good in vec(model::<QuirkCase>(1024), 1..6),
        bad in vec(model::<InvalidCase>(1024), 0..4),
    ) {
        let mut seq = Vec::new();
        for (i, case) in good.iter().enumerate() {
            seq.push(case.live.quirky_value(&case.quirks));
            if let Some(b) = bad.get(i) {
                seq.push(b.value());
            }
            seq.push(case.live.value());
        }
        let mut reader = value::MessageReader::default();
        for v in &seq {
            let reused = reader.read(v).map(|m| m.clone());
            prop_assert_eq!(reused, value::decode_message(v));
        }
    }

    // REQ-VAL-6: gen values read as strconv.ParseUint(strings.TrimSpace(v), 10, 64).
    #[test]
    fn gen_values_parse_like_parse_uint(GenCase(g) in model::<GenCase>(64), raw in vec(any::<u8>(), 0..24)) {
        prop_assert_eq!(value::decode_gen(&g.bytes), g.value, "{:?}", String::from_utf8_lossy(&g.bytes));
        prop_assert_eq!(values::gen_oracle(&g.bytes), g.value);
        prop_assert_eq!(value::decode_gen(&raw), values::gen_oracle(&raw));
    }

    // REQ-DEC-7, REQ-DEC-2, REQ-DEC-3, REQ-DEC-8, REQ-DEC-12, REQ-OUT-1, REQ-OUT-4, REQ-OUT-5:
    // each messages.jsonl is sorted by (send ts, sequence, id bytes) and
    // is a permutation of the queue's visible, active-generation messages;
    // orphans, side records and queue files are as the model says.
    #[test]
    fn messages_are_a_sorted_permutation_of_the_visible_set(
        ValidSnapshot(m) in model::<ValidSnapshot>(4096),
        opts in model::<Options>(2),
    ) {
        prop_assert_eq!(decode_and_check(&m, opts).map(|_| ()), Ok(()));
    }

    // REQ-DEC-4: exactly the active generation's messages survive (all of
    // them when there is no gen record or it is 0), and the warning's
    // `dropped` is the difference.
    #[test]
    fn generation_filter_keeps_exactly_the_active_generation(ValidSnapshot(m) in model::<ValidSnapshot>(4096)) {
        let opts = Options::default();
        let dump = decode_and_check(&m, opts);
        prop_assert!(dump.is_ok(), "{:?}", dump.err());
        let dump = dump.unwrap_or_default();
        let expected = m.expected(false);
        let dropped: usize = expected.queues.values().map(|q| q.dropped).sum();
        let kept: usize = expected.queues.values().map(|q| q.kept.len()).sum();
        prop_assert_eq!(dump.stats.stale_dropped, dropped as u64);
        prop_assert_eq!(dump.stats.messages_written, kept as u64);
    }

    // REQ-OUT-6, REQ-JSON-12: a UTF-8 body is a JSON string, any other body
    // the {"base64":…} envelope, and reading back gives the original bytes.
    #[test]
    fn bodies_read_back_to_their_bytes(body in prop_oneof![
        vec(any::<u8>(), 0..64),
        any::<String>().prop_map(String::into_bytes),
        Just("<a&b>\u{2028}".as_bytes().to_vec()),
    ]) {
        let msg = value::Message { message_id: "m".into(), body: body.clone(), ..value::Message::default() };
        let line = sqsdump::jsonout::message_line(&msg, None);
        let v: serde_json::Value = serde_json::from_slice(&line).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let b = &v["body"];
        prop_assert_eq!(check::read_body(b), Ok(body.clone()));
        prop_assert_eq!(b.is_string(), std::str::from_utf8(&body).is_ok());
    }

    // REQ-DEC-5: visibility state is zeroed (token cleared) unless
    // --preserve-visibility, which keeps the live values.
    #[test]
    fn visibility_is_zeroed_unless_preserved(ValidSnapshot(m) in model::<ValidSnapshot>(4096)) {
        for preserve_visibility in [false, true] {
            let opts = Options { preserve_visibility, include_side_records: false, require_footer: false };
            prop_assert_eq!(decode_and_check(&m, opts).map(|_| ()), Ok(()));
        }
    }

    // REQ-FSM-7, REQ-FSM-8, REQ-FSM-9: decoding a snapshot with histories
    // (updates, deletes, expiry, versions after the header, interleaved
    // keys) equals decoding its latest visible state written with no
    // history, apart from the after-header warnings.
    #[test]
    fn mvcc_history_decodes_like_its_latest_visible_state(
        ValidSnapshot(m) in model::<ValidSnapshot>(4096),
        opts in model::<Options>(2),
    ) {
        let full = decode(&m.to_fsm_bytes(), opts);
        let flat = decode(&m.flat_fsm_bytes(), opts);
        match (full, flat) {
            (Ok(a), Ok(b)) => prop_assert_eq!(check::same_output(&a, &b), Ok(())),
            (a, b) => prop_assert!(false, "history: {:?} flat: {:?}", a.err(), b.err()),
        }
    }

    // REQ-DEC-11: the same input gives the same bytes, and reordering
    // entries with different user keys does not change the output.
    #[test]
    fn output_is_deterministic_and_order_independent(
        ValidSnapshot(m) in model::<ValidSnapshot>(4096),
        seed in any::<u64>(),
        opts in model::<Options>(2),
    ) {
        let sorted = SnapshotModel { order: Order::Sorted, ..m.clone() };
        let shuffled = SnapshotModel { order: Order::Shuffled(seed), ..m };
        let a = decode(&sorted.to_fsm_bytes(), opts).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let b = decode(&sorted.to_fsm_bytes(), opts).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let c = decode(&shuffled.to_fsm_bytes(), opts).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&a, &b);
        prop_assert_eq!(check::same_output(&a, &c), Ok(()));
        prop_assert_eq!(&a.warnings, &c.warnings);
    }

    // REQ-OUT-8, REQ-OUT-3, REQ-ERR-2: no output path escapes sqs/ (names
    // like `.`, `..`, `a/b`, over-long ones included), and two queue
    // states never share a directory without the path_collision error.
    // Any snapshot, adversarial ones included, decodes or fails with a
    // typed error of the classes its damage allows, never a panic.
    #[test]
    fn paths_stay_inside_sqs_and_collisions_fail(m in model::<SnapshotModel>(4096), opts in model::<Options>(2)) {
        let (classes, must_fail) = m.error_classes();
        let expected = m.expected(opts.include_side_records);
        match decode(&m.to_fsm_bytes(), opts) {
            Ok(dump) => {
                prop_assert!(!must_fail, "decoded although {:?} must fail", m.bad);
                prop_assert_eq!(check::check_paths(&dump), Ok(()));
                if m.is_clean() {
                    prop_assert_eq!(check::check_dump(&expected, opts, &dump), Ok(()));
                }
            }
            Err(e) => {
                let class = e.class();
                let allowed = classes.contains(class) || (expected.collision && class == "path_collision");
                prop_assert!(allowed, "error {} ({}) not allowed by {:?} / collision={}", e, class, classes, expected.collision);
                if m.is_clean() && !expected.collision {
                    prop_assert!(false, "clean model failed: {}", e);
                }
            }
        }
    }
}

// REQ-DEC-11: `snapshot_version_after_header` warnings do not follow
// stream order. Found by `output_is_deterministic_and_order_independent`
// (mvcc emitted them in stream order; fixed in mvcc.rs, which now orders
// them by user key).
#[test]
fn after_header_warnings_do_not_depend_on_entry_order() {
    use sqsdump::testkit::snapshot::{Fate, History, QueueModel};
    let mut u = Unstructured::new(&[]);
    let mut queues = Vec::new();
    for name in ["a", "b"] {
        let (mut q, _) = QueueModel::skeleton(&mut u, name.to_string()).expect("skeleton");
        q.meta_history = History {
            fate: Fate::Visible,
            older: 0,
            newer: 1,
            expire_later: false,
            back: 0,
        };
        queues.push(q);
    }
    let m = SnapshotModel {
        last_commit_ts: 1 << 20,
        queues,
        orphans: Vec::new(),
        foreign: Vec::new(),
        raw: Vec::new(),
        bad: Vec::new(),
        damage: None,
        order: Order::Sorted,
    };
    let reversed = |fsm: Vec<u8>| -> Vec<u8> {
        // Re-frame the entries in reverse order.
        let mut entries = Vec::new();
        let mut at = 16;
        while at < fsm.len() {
            let kl = u64::from_le_bytes(fsm[at..at + 8].try_into().expect("len")) as usize;
            let k = fsm[at + 8..at + 8 + kl].to_vec();
            at += 8 + kl;
            let vl = u64::from_le_bytes(fsm[at..at + 8].try_into().expect("len")) as usize;
            let v = fsm[at + 8..at + 8 + vl].to_vec();
            at += 8 + vl;
            entries.push((k, v));
        }
        let mut out = fsm[..16].to_vec();
        for (k, v) in entries.into_iter().rev() {
            sqsdump::testkit::frame::raw_entry(&mut out, &k, &v);
        }
        out
    };
    let a = decode(&m.to_fsm_bytes(), Options::default()).expect("decode");
    let b = decode(&reversed(m.to_fsm_bytes()), Options::default()).expect("decode");
    assert_eq!(a.warnings, b.warnings);
}
