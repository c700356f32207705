//! Round-trip properties of `encode` over the testkit generator model
//! (REQ-ENC-13). 128 cases per property by default; `PROPTEST_CASES`
//! overrides. Failures persist in `proptest-regressions/encode_props.txt`.

use std::fmt::Debug;

use arbitrary::{Arbitrary, Unstructured};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;

use sqsdump::encode::check::{decode_sqs, make_restorable, round_trip};
use sqsdump::testkit::snapshot::ValidSnapshot;

fn config() -> ProptestConfig {
    let mut c = ProptestConfig::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        c.cases = 128;
    }
    c.failure_persistence = Some(Box::new(FileFailurePersistence::Direct(
        "proptest-regressions/encode_props.txt",
    )));
    c
}

fn model<T: for<'a> Arbitrary<'a> + Debug>(max: usize) -> impl Strategy<Value = T> {
    vec(any::<u8>(), 0..max)
        .prop_filter_map("model", |b| T::arbitrary(&mut Unstructured::new(&b)).ok())
}

proptest! {
    #![proptest_config(config())]

    // REQ-ENC-13, REQ-ENC-1, REQ-ENC-10, REQ-ENC-19
    /// decode(encode(D)) == D after normalisation, and
    /// encode(decode(encode(D))) == encode(D), for every dump D that
    /// decode writes from a restorable generated snapshot; encode must
    /// accept every such dump.
    #[test]
    fn restorable_dumps_round_trip(ValidSnapshot(mut m) in model::<ValidSnapshot>(4096)) {
        make_restorable(&mut m);
        let files = decode_sqs(&m.to_fsm_bytes()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        match round_trip(&files, m.last_commit_ts) {
            Ok(Some(_)) => {}
            Ok(None) => prop_assert!(false, "encode rejected a restorable dump"),
            Err(e) => prop_assert!(false, "{}", e),
        }
    }

    // REQ-ENC-13, REQ-ENC-4, REQ-ERR-2
    /// Any generated dump, restorable or not: a typed error or a round
    /// trip.
    #[test]
    fn generated_dumps_round_trip_or_fail_typed(ValidSnapshot(m) in model::<ValidSnapshot>(4096)) {
        let files = decode_sqs(&m.to_fsm_bytes()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        if let Err(e) = round_trip(&files, m.last_commit_ts) {
            prop_assert!(false, "{}", e);
        }
    }
}

// REQ-ENC-13, REQ-ERR-2
#[test]
fn the_encode_fuzz_target_holds_on_seeded_inputs() {
    let mut kept = 0;
    for seed in 0..150u64 {
        let len = 64 + (seed as usize * 97) % 3000;
        if sqsdump::fuzzing::encode(&sqsdump::testkit::seeded::seeded_bytes(seed, len)) {
            kept += 1;
        }
    }
    assert!(kept > 100, "kept {kept}");
}

// REQ-ENC-13
/// The restorable property is not vacuous: seeded models restore queues
/// and messages of every kind.
#[test]
fn restorable_models_restore_messages_of_every_queue_kind() {
    use sqsdump::testkit::seeded::from_seed;
    let (mut queues, mut messages, mut partitioned, mut fifo) = (0, 0, 0, 0);
    for seed in 0..200u64 {
        let Ok(ValidSnapshot(mut m)) = from_seed::<ValidSnapshot>(seed, 4096) else {
            continue;
        };
        make_restorable(&mut m);
        partitioned += m
            .queues
            .iter()
            .filter(|q| q.meta.partition_count > 1)
            .count();
        fifo += m.queues.iter().filter(|q| q.meta.is_fifo).count();
        let files = decode_sqs(&m.to_fsm_bytes()).unwrap();
        let s = round_trip(&files, m.last_commit_ts)
            .unwrap()
            .expect("accepted");
        queues += s.queues;
        messages += s.messages;
    }
    assert!(
        queues > 200 && messages > 400 && partitioned > 10 && fifo > 40,
        "{queues} {messages} {partitioned} {fifo}"
    );
}
