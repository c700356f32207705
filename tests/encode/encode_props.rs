//! Round-trip properties of `encode` over the testkit generator model
//! (REQ-ENC-13): every `valid` and `shared` snapshot's dump restores
//! (REQ-CLI-10). 128 cases per property by default; `PROPTEST_CASES`
//! overrides. Failures persist in `proptest-regressions/encode_props.txt`.

use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;

use std::collections::BTreeMap;

use sqsdump::encode::check::{decode_sqs, round_trip, source_of};
use sqsdump::encode::{encode_to_vec, EncodeOptions};
use sqsdump::testkit::seeded::{from_seed, GenOptions};
use sqsdump::testkit::snapshot::{
    Profile, RawHtFifoSnapshot, SharedSnapshot, SnapshotModel, ValidSnapshot,
};

use crate::common::gen_bytes;
use crate::common::model;

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

/// decode → encode → decode: the dump decode writes from `m` is accepted
/// by encode and comes back the same after normalisation, and its
/// re-encode is byte-identical.
fn restores(m: &SnapshotModel) -> Result<(), TestCaseError> {
    let files = decode_sqs(&m.to_fsm_bytes()).map_err(|e| TestCaseError::fail(e.to_string()))?;
    match round_trip(&files, m.last_commit_ts) {
        Ok(Some(_)) => Ok(()),
        Ok(None) => {
            let err = encode_to_vec(
                &source_of(&files, m.last_commit_ts),
                &EncodeOptions::default(),
            )
            .err()
            .map(|e| e.to_string());
            Err(TestCaseError::fail(format!(
                "encode refused the dump: {err:?}"
            )))
        }
        Err(e) => Err(TestCaseError::fail(e)),
    }
}

proptest! {
    #![proptest_config(config())]

    // REQ-ENC-13, REQ-ENC-1, REQ-ENC-10, REQ-CLI-10, REQ-ENC-19
    /// decode(encode(D)) == D after normalisation, and
    /// encode(decode(encode(D))) == encode(D), for the dump D that decode
    /// writes from every `valid` snapshot; encode accepts every such dump
    /// as it is.
    #[test]
    fn valid_dumps_round_trip(ValidSnapshot(m) in model::<ValidSnapshot>(4096)) {
        restores(&m)?;
    }

    // REQ-ENC-13, REQ-CLI-10
    /// The same for every `shared` snapshot.
    #[test]
    fn shared_dumps_round_trip(SharedSnapshot(m) in model::<SharedSnapshot>(4096)) {
        restores(&m)?;
    }

    // REQ-ENC-13, REQ-CLI-10
    /// The same for the snapshots `sqsdump gen` writes (its streaming
    /// `valid` writer and its `shared` one), with any seed and size.
    #[test]
    fn gen_valid_and_shared_dumps_round_trip(
        seed in any::<u64>(),
        shared in any::<bool>(),
        queues in 1usize..5,
        messages in 0u64..60,
    ) {
        let profile = if shared { Profile::Shared } else { Profile::Valid };
        let fsm = gen_bytes(GenOptions { seed, profile, queues, messages });
        let files = decode_sqs(&fsm).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let ts = sqsdump::fsm::Reader::new(fsm.as_slice()).map_err(|e| TestCaseError::fail(e.to_string()))?.last_commit_ts();
        match round_trip(&files, ts) {
            Ok(Some(_)) => {}
            Ok(None) => prop_assert!(false, "encode refused seed {} {:?}", seed, profile),
            Err(e) => prop_assert!(false, "{}", e),
        }
    }

    // REQ-ENC-13, REQ-ENC-4, REQ-ERR-2
    /// A dump with the raw HT-FIFO draws, restorable or not: a typed
    /// error or a round trip.
    #[test]
    fn raw_ht_fifo_dumps_round_trip_or_fail_typed(RawHtFifoSnapshot(m) in model::<RawHtFifoSnapshot>(4096)) {
        let files = decode_sqs(&m.to_fsm_bytes()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        if let Err(e) = round_trip(&files, m.last_commit_ts) {
            prop_assert!(false, "{}", e);
        }
    }
}

// REQ-CLI-10, REQ-ENC-4
/// The `adversarial` draws (and the `mixed` queues that keep them) still
/// break the live HT-FIFO rules encode checks: partitions off their
/// group's lane, partition counts that are not powers of two, a `queue`
/// dedup scope with partitions, `perMessageGroupId` without partitions;
/// `valid` ones never do.
#[test]
fn adversarial_and_mixed_draws_still_break_the_routing_rules() {
    let mut reasons: BTreeMap<&str, usize> = BTreeMap::new();
    let mut refusal = |fsm: &[u8], ts: u64| -> Option<String> {
        let files = decode_sqs(fsm).ok()?;
        let err = encode_to_vec(&source_of(&files, ts), &EncodeOptions::default()).err()?;
        let text = err.to_string();
        for (name, needle) in [
            ("off lane", "belongs on partition"),
            ("not a power of two", "must be a power of two"),
            ("queue scope", "is incompatible with partition_count"),
            (
                "perMessageGroupId without partitions",
                "requires partition_count > 1",
            ),
        ] {
            if text.contains(needle) {
                *reasons.entry(name).or_default() += 1;
            }
        }
        Some(err.class().to_string())
    };
    let mut raw_refused = 0;
    for seed in 0..300u64 {
        let RawHtFifoSnapshot(m) = from_seed::<RawHtFifoSnapshot>(seed, 4096).unwrap();
        raw_refused += usize::from(refusal(&m.to_fsm_bytes(), m.last_commit_ts).is_some());
        let ValidSnapshot(v) = from_seed::<ValidSnapshot>(seed, 4096).unwrap();
        assert_eq!(
            refusal(&v.to_fsm_bytes(), v.last_commit_ts),
            None,
            "valid seed {seed}"
        );
    }
    // `sqsdump gen --profile mixed`: the snapshots that decode, a few of
    // them refused for their raw queues.
    let mut mixed_refused = 0;
    for seed in 0..60u64 {
        let opts = GenOptions {
            seed,
            profile: Profile::Mixed,
            queues: 4,
            messages: 40,
        };
        let fsm = gen_bytes(opts);
        let Ok(r) = sqsdump::fsm::Reader::new(fsm.as_slice()) else {
            continue;
        };
        if let Some(class) = refusal(&fsm, r.last_commit_ts()) {
            assert!(
                ["invalid_partition", "invalid_queue_file"].contains(&class.as_str()),
                "{class}"
            );
            mixed_refused += 1;
        }
    }
    assert!(raw_refused > 100, "{raw_refused} of 300 raw dumps refused");
    assert!(
        mixed_refused > 8,
        "{mixed_refused} of 60 mixed dumps refused"
    );
    for reason in [
        "off lane",
        "not a power of two",
        "queue scope",
        "perMessageGroupId without partitions",
    ] {
        assert!(
            reasons.get(reason).copied().unwrap_or(0) > 0,
            "{reason}: {reasons:?}"
        );
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
    let (mut queues, mut messages, mut partitioned, mut fifo) = (0, 0, 0, 0);
    for seed in 0..200u64 {
        let Ok(ValidSnapshot(m)) = from_seed::<ValidSnapshot>(seed, 4096) else {
            continue;
        };
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
