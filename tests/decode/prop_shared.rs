//! The `shared` generator profile (issue 8, item 7): snapshots that touch
//! no SPEC Decision, so that upstream's decoder must write the same `sqs/`
//! tree as sqsdump. Checked here without upstream: they decode to the
//! model's expected output, they are deterministic, neither the model nor
//! the stream holds an excluded feature, and over a few dozen seeds they
//! still cover everything else. `scripts/upstream-diff` runs the
//! differential itself when upstream's binary is present.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use arbitrary::Unstructured;
use proptest::prelude::*;

use sqsdump::decode::Options;
use sqsdump::fsm::{Entry, Reader};
use sqsdump::key::{self, Family, KeyParts};
use sqsdump::testkit::check;
use sqsdump::testkit::seeded::{seeded_bytes, shared_model, GenOptions};
use sqsdump::testkit::snapshot::{Profile, Size, SnapshotModel};

use crate::common::gen_bytes;

const FLAG_SETS: [Options; 3] = [
    Options {
        preserve_visibility: false,
        include_side_records: false,
        require_footer: false,
    },
    Options {
        preserve_visibility: true,
        include_side_records: true,
        require_footer: false,
    },
    Options {
        preserve_visibility: false,
        include_side_records: true,
        require_footer: false,
    },
];

fn opts(seed: u64) -> GenOptions {
    GenOptions {
        seed,
        profile: Profile::Shared,
        queues: 1 + (seed as usize % 5),
        messages: (seed * 13) % 50,
    }
}

/// The stream-level promise, read back from the bytes alone: no
/// operational keys, one live version per user key at or before the
/// header, entries in sorted order, every SQS key canonical (it parses
/// and rebuilds to itself), no seq keys, no unknown SQS families.
fn stream_is_shared(fsm: &[u8]) -> Result<(), String> {
    let mut r = Reader::new(fsm).map_err(|e| e.to_string())?;
    let last = r.last_commit_ts();
    let mut seen = BTreeSet::new();
    let mut prev: Option<Vec<u8>> = None;
    while let Some(e) = r.next_entry().map_err(|e| e.to_string())? {
        let v = match e {
            Entry::Operational { key } => {
                return Err(format!("operational key {}", key.escape_ascii()))
            }
            Entry::Version(v) => v,
        };
        let k = v.user_key.clone();
        let shown = k.escape_ascii().to_string();
        // Pebble's order: the encoded key (user key, inverted commit ts).
        let encoded = sqsdump::fsm::encode_key(&k, v.commit_ts);
        if v.tombstone || v.expire_at != 0 || v.commit_ts > last {
            return Err(format!("{shown}: not a plain live version"));
        }
        if !seen.insert(k.clone()) {
            return Err(format!("{shown}: more than one version"));
        }
        if prev.as_ref().is_some_and(|p| p > &encoded) {
            return Err(format!("{shown}: entries not sorted"));
        }
        prev = Some(encoded);
        if key::is_sqs_key(&k) {
            let parts = key::parse(&k).map_err(|e| format!("{shown}: {e:?}"))?;
            if key::build(&parts) != k {
                return Err(format!("{shown}: does not rebuild to itself"));
            }
            if parts.family() == Family::QueueSeq {
                return Err(format!("{shown}: a seq record"));
            }
        }
    }
    Ok(())
}

fn decode(fsm: &[u8], o: Options) -> sqsdump::dump::DumpModel {
    sqsdump::snapshot::decode_snapshot(fsm, o, &mut |_| {})
        .map(|(d, _)| d)
        .unwrap_or_else(|e| panic!("shared snapshot failed to decode: {e}"))
}

fn check_model(m: &SnapshotModel, fsm: &[u8]) {
    assert_eq!(m.is_shared(), Ok(()));
    assert_eq!(stream_is_shared(fsm), Ok(()));
    for o in FLAG_SETS {
        let dump = decode(fsm, o);
        assert_eq!(
            check::check_dump(&m.expected(o.include_side_records), o, &dump),
            Ok(()),
            "flags {o:?}"
        );
    }
}

// REQ-CLI-10: `shared` snapshots are deterministic, are the model's
// sorted stream, hold none of the excluded features (model and stream),
// and decode to the model's expected output under every flag set.
#[test]
fn shared_snapshots_touch_no_decision_and_decode_as_expected() {
    for seed in 0..40u64 {
        let o = opts(seed);
        let a = gen_bytes(o);
        assert_eq!(a, gen_bytes(o), "seed {seed} not deterministic");
        let m = shared_model(o).expect("model");
        assert_eq!(
            a,
            m.to_fsm_bytes(),
            "seed {seed}: bytes are not the model's"
        );
        assert_eq!(m.queues.len(), o.queues);
        let n: usize = m.queues.iter().map(|q| q.messages.len()).sum();
        assert_eq!(n as u64, o.messages);
        check_model(&m, &a);
    }
    assert_ne!(
        gen_bytes(opts(3)),
        gen_bytes(GenOptions { seed: 4, ..opts(3) })
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    // REQ-CLI-10: models drawn from arbitrary bytes with the `shared`
    // profile keep the same promise.
    #[test]
    fn arbitrary_shared_models_touch_no_decision(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let mut u = Unstructured::new(&bytes);
        let m = SnapshotModel::arbitrary_with(&mut u, Profile::Shared, Size::SMALL)
            .expect("model");
        check_model(&m, &m.to_fsm_bytes());
    }
}

/// Names of the features one model covers.
fn features(m: &SnapshotModel, into: &mut BTreeMap<String, usize>) {
    let mut add = |f: &str| *into.entry(f.to_string()).or_default() += 1;
    let expected = m.expected(true);
    for q in &m.queues {
        let utf8 = std::str::from_utf8(&q.name).ok();
        match utf8 {
            None => add("name: invalid UTF-8"),
            Some(s) if !s.is_ascii() => add("name: non-ASCII"),
            _ => {}
        }
        if q.name.iter().any(|b| b.is_ascii_control()) {
            add("name: control character");
        }
        if sqsdump::segment::percent_encode(&q.name) != q.name.escape_ascii().to_string() {
            add("name: percent-encoded");
        }
        if q.meta.name.is_empty() {
            add("meta: empty name");
            if utf8.is_none() {
                add("meta: empty name, invalid UTF-8 key name");
            }
        }
        if q.meta.partition_count > 1 && !q.meta.fifo_throughput_limit.is_empty() {
            add("meta: HT-FIFO");
        }
        if q.meta.is_fifo {
            add("meta: FIFO");
        }
        match &q.gen {
            None => add("gen: none"),
            Some(g) if g.text.value == Some(0) => add("gen: zero"),
            Some(g) if g.text.bytes != g.text.value.unwrap_or(0).to_string().as_bytes() => {
                add("gen: odd spelling")
            }
            Some(_) => add("gen: plain"),
        }
        let eq = &expected.queues[&sqsdump::segment::encode_segment(&q.name)];
        if eq.dropped > 0 {
            add("stale generation dropped");
        }
        if eq.kept.is_empty() {
            add("queue without messages");
        }
        for quirk in &q.meta_quirks {
            add(&format!("quirk: {}", variant(quirk)));
        }
        for msg in &q.messages {
            if msg.partition.is_some() {
                add("message: partitioned key");
            }
            match &msg.record.body {
                Some(b) if std::str::from_utf8(b).is_err() => add("body: binary"),
                Some(b) if !b.is_empty() => add("body: text"),
                _ => add("body: empty or null"),
            }
            if !msg.record.message_attributes.is_empty() {
                add("message: attributes");
            }
            for quirk in &msg.quirks {
                add(&format!("quirk: {}", variant(quirk)));
            }
        }
        for s in &q.side {
            add(&format!("side: {}", s.parts.family().prefix()));
            if s.parts.partition().is_some() {
                add("side: partitioned key");
            }
        }
        if matches!(
            q.side.first().map(|s| &s.parts),
            Some(KeyParts::MsgDedup { .. })
        ) {
            add("side: dedup first");
        }
    }
    if !m.foreign.is_empty() {
        add("foreign records");
    }
    for a in &m.queues {
        for b in &m.queues {
            let (ka, kb) = (key::b64(&a.name), key::b64(&b.name));
            if ka != kb && kb.starts_with(&ka) {
                add("name: base64 segment extends another queue's");
            }
        }
    }
}

fn variant(q: &impl std::fmt::Debug) -> String {
    let s = format!("{q:?}");
    s.split([' ', '{', '(']).next().unwrap_or("").to_string()
}

// REQ-CLI-10, REQ-DEC-1: over a few dozen seeds the `shared` profile still
// covers everything no Decision governs: partitioned keys, every
// side-record family but seq, HT-FIFO metas, binary and text bodies, odd
// names (percent-encoded, non-ASCII, control characters, invalid UTF-8
// only in the key with an empty meta name, base64 segments that extend
// another queue's), stale generations, empty
// queues, gen spellings, and every Go-quirk spelling.
#[test]
fn shared_snapshots_cover_the_features_no_decision_governs() {
    let mut seen = BTreeMap::new();
    for seed in 0..48u64 {
        let m = shared_model(GenOptions {
            seed,
            profile: Profile::Shared,
            queues: 4,
            messages: if seed % 4 == 0 { 2 } else { 40 },
        })
        .expect("model");
        features(&m, &mut seen);
    }
    let mut want: Vec<String> = [
        "name: invalid UTF-8",
        "name: non-ASCII",
        "name: control character",
        "name: percent-encoded",
        "name: base64 segment extends another queue's",
        "meta: empty name",
        "meta: empty name, invalid UTF-8 key name",
        "meta: HT-FIFO",
        "meta: FIFO",
        "gen: none",
        "gen: zero",
        "gen: odd spelling",
        "gen: plain",
        "stale generation dropped",
        "queue without messages",
        "message: partitioned key",
        "message: attributes",
        "body: binary",
        "body: text",
        "body: empty or null",
        "side: partitioned key",
        "foreign records",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for f in [
        Family::MsgVis,
        Family::MsgByAge,
        Family::MsgDedup,
        Family::MsgGroup,
        Family::QueueTombstone,
    ] {
        want.push(format!("side: {}", f.prefix()));
    }
    for q in [
        "CaseFold",
        "EscapedName",
        "DuplicateBefore",
        "Null",
        "Space",
        "Unknown",
        "Base64CrLf",
        "IntArray",
        "SplitMap",
        "EscapedMapKeys",
    ] {
        want.push(format!("quirk: {q}"));
    }
    let missing: Vec<&String> = want.iter().filter(|f| !seen.contains_key(*f)).collect();
    assert!(
        missing.is_empty(),
        "not covered: {missing:?}\nseen: {seen:?}"
    );
}

// REQ-DEC-1, REQ-OUT-9: the valid and mixed profiles also give queues
// whose name only the key holds (empty meta `name`): invalid UTF-8,
// control characters, non-ASCII text; valid ones decode to the expected
// tree, with the name written per byte as U+FFFD.
#[test]
fn key_only_queue_names_appear_in_the_valid_and_mixed_profiles() {
    let mut invalid = [0usize; 2];
    for seed in 0..200u64 {
        for (i, profile) in [Profile::Valid, Profile::Mixed].into_iter().enumerate() {
            let bytes = seeded_bytes(seed, 4096);
            let mut u = Unstructured::new(&bytes);
            let m = SnapshotModel::arbitrary_with(&mut u, profile, Size::SMALL).expect("model");
            let key_only: Vec<_> = m
                .queues
                .iter()
                .filter(|q| std::str::from_utf8(&q.name).is_err())
                .collect();
            let shown: Vec<_> = key_only
                .iter()
                .filter(|q| q.meta_history.visible())
                .collect();
            for q in &key_only {
                assert!(q.meta.name.is_empty(), "{:?}", q.meta.name);
            }
            invalid[i] += key_only.len();
            if profile == Profile::Valid && !key_only.is_empty() && m.is_clean() {
                let o = FLAG_SETS[0];
                let dump = decode(&m.to_fsm_bytes(), o);
                assert_eq!(check::check_dump(&m.expected(false), o, &dump), Ok(()));
                for q in &shown {
                    let name = sqsdump::jsonout::utf8_per_byte_lossy(&q.name);
                    assert!(name.contains('\u{fffd}'));
                    assert!(dump.queues.contains(&name), "{name:?} in {:?}", dump.queues);
                }
            }
        }
    }
    assert!(invalid.iter().all(|&n| n > 0), "{invalid:?}");
    // The seeded writer behind `sqsdump gen` draws them too.
    let found = (0..64u64).any(|seed| {
        let fsm = gen_bytes(GenOptions {
            seed,
            profile: Profile::Valid,
            queues: 4,
            messages: 4,
        });
        let dump = decode(&fsm, FLAG_SETS[0]);
        dump.queues.iter().any(|n| n.contains('\u{fffd}'))
    });
    assert!(
        found,
        "no invalid UTF-8 queue name in 64 `gen --profile valid` seeds"
    );
}

// REQ-CLI-10: `sqsdump gen --profile shared` writes the library's bytes.
#[test]
fn gen_command_writes_the_shared_profile() {
    let bin = env!("CARGO_BIN_EXE_sqsdump");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("s.fsm");
    let status = Command::new(bin)
        .args(["gen", "--seed", "9", "--profile", "shared", "--queues", "3"])
        .args(["--messages", "30", "--output"])
        .arg(&path)
        .stderr(std::process::Stdio::null())
        .status()
        .expect("run gen");
    assert!(status.success());
    let want = gen_bytes(GenOptions {
        seed: 9,
        profile: Profile::Shared,
        queues: 3,
        messages: 30,
    });
    assert_eq!(std::fs::read(&path).expect("read"), want);
}

/// Run `scripts/upstream-diff` with `upstream` as the other decoder.
fn upstream_diff(upstream: &std::path::Path, seeds: &str) -> (bool, String) {
    let out = Command::new("bash")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/scripts/upstream-diff"
        ))
        .args([seeds, "1"])
        .env("SQSDUMP", env!("CARGO_BIN_EXE_sqsdump"))
        .env("UPSTREAM", upstream)
        .env("QUEUES", "3")
        .env("MESSAGES", "12")
        .output()
        .expect("run scripts/upstream-diff");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// A stand-in for upstream's decoder: sqsdump, taking upstream's flags,
/// then `damage` run in the output directory.
fn stand_in(dir: &std::path::Path, name: &str, damage: &str) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(name);
    let script = format!(
        "#!/bin/sh\nset -e\nout=\nargs=\nwhile [ $# -gt 0 ]; do\n  case \"$1\" in\n    --adapter) shift 2; continue ;;\n    --output) out=\"$2\" ;;\n  esac\n  args=\"$args $1\"; shift\ndone\n# shellcheck disable=SC2086\n{} decode $args\ncd \"$out\"\n{damage}\n",
        env!("CARGO_BIN_EXE_sqsdump")
    );
    std::fs::write(&path, script).expect("write stand-in");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    path
}

// REQ-CLI-10: the differential script finds no difference between two
// equal decoders, reports one that damages its output, and skips when
// there is no upstream binary.
#[test]
fn upstream_diff_script_compares_trees_and_skips_without_a_binary() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (ok, out) = upstream_diff(&dir.path().join("absent"), "3");
    assert!(ok, "{out}");
    assert!(out.starts_with("skipped: no upstream binary"), "{out}");

    let same = stand_in(dir.path(), "same", "true");
    let (ok, out) = upstream_diff(&same, "3");
    assert!(ok, "{out}");
    assert!(out.contains(" 0 differing trees"), "{out}");
    assert!(out.ends_with("6 passed, 0 failed\n"), "{out}");

    let newline = stand_in(
        dir.path(),
        "newline",
        "for f in sqs/*/_queue.json; do echo >> \"$f\"; done",
    );
    let (ok, out) = upstream_diff(&newline, "2");
    assert!(!ok, "{out}");
    assert!(
        out.contains("seed 1 flags none") && out.contains(": other,"),
        "{out}"
    );
    assert!(out.ends_with("0 passed, 4 failed\n"), "{out}");
}
