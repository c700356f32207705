//! Property tests over the testkit generator model (REQ IDs above each).
//!
//! Every strategy is the same `arbitrary` model the fuzz targets and
//! `sqsdump gen` use, read from a random byte vector: proptest shrinks the
//! vector, which shrinks the model. 256 cases per property by default;
//! `PROPTEST_CASES` overrides. Failures persist in
//! `proptest-regressions/properties.txt` (committed).

use std::fmt::Debug;

use arbitrary::{Arbitrary, Unstructured};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;

use sqsdump::key::{build, parse};
use sqsdump::testkit::keys::{self, AdversarialKey, ValidKey};

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

/// A model of type `T` read from up to `max` random bytes.
fn model<T: for<'a> Arbitrary<'a> + Debug>(max: usize) -> impl Strategy<Value = T> {
    vec(any::<u8>(), 0..max)
        .prop_filter_map("model", |b| T::arbitrary(&mut Unstructured::new(&b)).ok())
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
}
