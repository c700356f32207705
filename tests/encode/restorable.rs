//! decode, verify and encode agree on what restores (REQ-OUT-10): over
//! generated snapshots of the `mixed` and `adversarial` profiles, decode's
//! `sqs_queue_not_restorable` warnings, verify's REQ-OUT-10 findings and
//! encode's refusals name the same queues and faults.
//!
//! The relation is exact but for the faults decode cannot see in bounded
//! memory: a `message_id` repeated within a queue (`duplicate_message_id`)
//! and a restored record over the snapshot format's limits
//! (`entry_too_large`). So, for every dump D that decode writes without
//! flags, with W its warnings:
//!
//! - encode(D) fails with `invalid_queue_file`, `directory_mismatch`,
//!   `invalid_message_line` or `invalid_partition` exactly when W names a
//!   kind of that class: those four classes ⇔ W not empty, once the two
//!   unseen classes are set aside;
//! - W not empty ⇒ encode(D) fails (with the class of one of W's kinds,
//!   or, when a queue before it has one, with an unseen class);
//! - W empty ⇒ encode(D) succeeds or fails with an unseen class;
//! - verify's REQ-OUT-10 findings on D, duplicate ids set aside, are W.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use sqsdump::testkit::snapshot::SnapshotModel;

use sqsdump::decode::Options;
use sqsdump::encode::check::source_of;
use sqsdump::encode::restorable::Kind;
use sqsdump::encode::{encode_to_vec, EncodeOptions};
use sqsdump::gate::verify::verify_model;
use sqsdump::testkit::seeded::{write_snapshot, GenOptions, SplitMix};
use sqsdump::testkit::snapshot::Profile;
use sqsdump::warning::Warning;

use crate::common::model;

/// The classes encode fails with on a fault decode does not warn about.
const UNSEEN: [&str; 2] = ["duplicate_message_id", "entry_too_large"];

/// Generated snapshots per profile: `PROPTEST_CASES`, else 150.
fn cases() -> u64 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(150)
}

/// (queue name, kind, messages) of each warning.
fn warned(warnings: &[Warning]) -> BTreeSet<(String, Kind, u64)> {
    warnings
        .iter()
        .filter_map(|w| match w {
            Warning::NotRestorable {
                queue,
                kind,
                messages,
            } => Some((queue.clone(), *kind, *messages)),
            _ => None,
        })
        .collect()
}

/// (queue name, kind name) of each restorability finding of verify but
/// duplicate ids.
fn found(files: &BTreeMap<String, Vec<u8>>) -> BTreeSet<(String, String)> {
    let mut model = sqsdump::dump::DumpModel::new();
    model.files = files.clone();
    verify_model(&model)
        .into_iter()
        .filter(|v| v.req == "REQ-OUT-10")
        .filter_map(|v| {
            let kind = v.what.split_once(": ")?.0.to_string();
            if kind == "duplicate_message_id" {
                return None;
            }
            let dir = v.path.split('/').nth(1)?;
            let q: serde_json::Value =
                serde_json::from_slice(files.get(&format!("sqs/{dir}/_queue.json"))?).ok()?;
            Some((q["name"].as_str()?.to_string(), kind))
        })
        .collect()
}

/// What one dump showed.
#[derive(Debug, Default)]
struct Tally {
    decoded: u64,
    warned: u64,
    accepted: u64,
    refused: BTreeMap<&'static str, u64>,
    kinds: BTreeSet<Kind>,
}

/// Decode `fsm` without flags; if it decodes, check the relation of the
/// module doc on its dump and count what was seen. `Err` names a breach.
fn check(fsm: &[u8], what: &str, t: &mut Tally) -> Result<(), String> {
    let Ok((model, summary)) =
        sqsdump::snapshot::decode_snapshot(fsm, Options::default(), &mut |_| {})
    else {
        return Ok(());
    };
    t.decoded += 1;
    let w = warned(&model.warnings);
    let what = format!("{what}: warnings {w:?}");
    let src = source_of(&model.files, summary.last_commit_ts);
    let outcome = encode_to_vec(&src, &EncodeOptions::default());
    let warned_classes: BTreeSet<&str> = w.iter().map(|(_, k, _)| k.encode_class()).collect();
    match &outcome {
        Ok(_) if !w.is_empty() => return Err(format!("{what}: warned but encode accepted")),
        Ok(_) => t.accepted += 1,
        Err(e) => {
            let class = e.class();
            *t.refused.entry(class).or_default() += 1;
            // A fault decode cannot see says nothing of W.
            if !UNSEEN.contains(&class) && !warned_classes.contains(class) {
                return Err(format!(
                    "{what}: encode failed with {class} ({e}) but decode did not warn of it"
                ));
            }
        }
    }
    if !w.is_empty() {
        t.warned += 1;
    }
    t.kinds.extend(w.iter().map(|(_, k, _)| *k));
    let names: BTreeSet<(String, String)> = w
        .iter()
        .map(|(q, k, _)| (q.clone(), k.as_str().to_string()))
        .collect();
    let f = found(&model.files);
    if f != names {
        return Err(format!("{what}: verify found {f:?}"));
    }
    Ok(())
}

// REQ-OUT-10, REQ-ERR-3, REQ-CONF-7
#[test]
fn decode_warns_verify_finds_and_encode_refuses_the_same_dumps() {
    let mut rng = SplitMix(0x5eed_0010);
    let mut t = Tally::default();
    // At least 600 snapshots per profile: the generators put a partitioned
    // message off its group's lane in about one snapshot in 300, and every
    // kind below must be met.
    let n = cases().max(600);
    for profile in [Profile::Mixed, Profile::Adversarial] {
        for i in 0..n {
            let opts = GenOptions {
                seed: rng.next(),
                profile,
                queues: 1 + (rng.next() % 4) as usize,
                messages: rng.next() % 41,
            };
            let mut fsm = Vec::new();
            let _ = write_snapshot(opts, &mut fsm);
            if let Err(e) = check(&fsm, &format!("{profile:?} case {i} {opts:?}"), &mut t) {
                panic!("{e}");
            }
        }
    }
    eprintln!("{t:?}");
    assert!(t.decoded > n / 2, "{t:?}");
    assert!(t.warned > n / 8 && t.accepted > n / 8, "{t:?}");
    // Every fault the generators make is met (they make no empty or
    // repeated ids and no names other than their keys').
    for kind in [
        Kind::PartitionCountNotPowerOfTwo,
        Kind::DedupScopeIncompatible,
        Kind::PartitionOnUnpartitionedQueue,
        Kind::PartitionNotGroupLane,
    ] {
        assert!(t.kinds.contains(&kind), "{kind:?} never met: {t:?}");
    }
}

proptest! {
    // REQ-OUT-10
    /// The same relation over the arbitrary generator model (adversarial
    /// parts included), sorted or not.
    #[test]
    fn the_relation_holds_on_arbitrary_snapshot_models(m in model::<SnapshotModel>(4096)) {
        let mut t = Tally::default();
        if let Err(e) = check(&m.to_fsm_bytes(), "model", &mut t) {
            prop_assert!(false, "{}", e);
        }
    }
}

// REQ-OUT-10: the fault decode does not see. Two generations of one
// message id with no gen record both survive the decode (no generation
// filter without one), so the dump repeats the id: decode warns of
// nothing, verify finds `duplicate_message_id`, and encode refuses it
// with that class.
#[test]
fn a_repeated_message_id_is_found_by_verify_and_refused_by_encode_only() {
    use sqsdump::fsm::{encode_entry, encode_header};
    use sqsdump::key::{build, KeyParts};
    let mut fsm = encode_header(100);
    let mut meta = sqsdump::value::QUEUE_META_MAGIC.to_vec();
    meta.extend_from_slice(br#"{"name":"q"}"#);
    for gen in [1u64, 2] {
        let key = build(&KeyParts::MsgData {
            queue: b"q".to_vec(),
            partition: None,
            gen,
            message_id: b"m".to_vec(),
        });
        let mut v = sqsdump::value::MESSAGE_MAGIC.to_vec();
        v.extend_from_slice(
            format!(r#"{{"message_id":"m","body":"aGk=","send_timestamp_millis":{gen},"queue_generation":{gen}}}"#)
                .as_bytes(),
        );
        encode_entry(&mut fsm, &key, 5, false, 0, &v);
    }
    encode_entry(
        &mut fsm,
        &build(&KeyParts::QueueMeta {
            queue: b"q".to_vec(),
        }),
        5,
        false,
        0,
        &meta,
    );
    let (model, summary) =
        sqsdump::snapshot::decode_snapshot(fsm.as_slice(), Options::default(), &mut |_| {})
            .unwrap();
    assert!(warned(&model.warnings).is_empty());
    let src = source_of(&model.files, summary.last_commit_ts);
    let err = encode_to_vec(&src, &EncodeOptions::default()).unwrap_err();
    assert_eq!(err.class(), "duplicate_message_id");
    let mut m = sqsdump::dump::DumpModel::new();
    m.files = model.files.clone();
    let v: Vec<String> = verify_model(&m)
        .into_iter()
        .filter(|v| v.req == "REQ-OUT-10")
        .map(|v| v.to_string())
        .collect();
    assert_eq!(
        v,
        ["REQ-OUT-10 sqs/q/messages.jsonl:2: duplicate_message_id: encode refuses 1 message(s) of the queue: duplicate message id \"m\", first on line 1"]
    );
}

// REQ-OUT-10: queue names the directory rule has to get right, each
// under the relation: a long name (hash-fallback directory), a key name
// that is not UTF-8 with an empty live name (restored from the
// directory, REQ-ENC-14) or a live name of its own, a live name other
// than the key's, and `..`.
#[test]
fn hard_queue_names_are_warned_exactly_when_encode_refuses_them() {
    use sqsdump::fsm::{encode_entry, encode_header};
    use sqsdump::key::{build, KeyParts};
    let long = "q".repeat(300);
    let cases: [(&[u8], &str, bool); 7] = [
        (long.as_bytes(), "", false),
        (long.as_bytes(), &long, false),
        (b"q\xff", "", false),
        (b"q\xff", "q\u{fffd}", false),
        (b"q\xff", "other", true),
        (b"orders", "other", true),
        (b"..", "", false),
    ];
    for (key_name, live_name, refused) in cases {
        let mut fsm = encode_header(100);
        let key = build(&KeyParts::MsgData {
            queue: key_name.to_vec(),
            partition: None,
            gen: 1,
            message_id: b"m".to_vec(),
        });
        let mut v = sqsdump::value::MESSAGE_MAGIC.to_vec();
        v.extend_from_slice(
            br#"{"message_id":"m","body":"aGk=","send_timestamp_millis":1,"queue_generation":1}"#,
        );
        encode_entry(&mut fsm, &key, 5, false, 0, &v);
        let mut meta = sqsdump::value::QUEUE_META_MAGIC.to_vec();
        meta.extend_from_slice(format!(r#"{{"name":"{live_name}"}}"#).as_bytes());
        let meta_key = build(&KeyParts::QueueMeta {
            queue: key_name.to_vec(),
        });
        encode_entry(&mut fsm, &meta_key, 5, false, 0, &meta);
        let what = format!("{key_name:?} named {live_name:?}");
        let mut t = Tally::default();
        check(&fsm, &what, &mut t).unwrap();
        assert_eq!(t.decoded, 1, "{what}");
        assert_eq!(t.warned, u64::from(refused), "{what}");
        assert_eq!(t.accepted, u64::from(!refused), "{what}: {t:?}");
    }
}
