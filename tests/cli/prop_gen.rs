//! `sqsdump gen` (REQ-CLI-10): deterministic bytes, and `valid` snapshots
//! decode, through the library and through the binary.

use std::process::Command;

use sqsdump::decode::Options;
use sqsdump::testkit::seeded::GenOptions;
use sqsdump::testkit::snapshot::Profile;

use crate::common::gen_bytes;

// REQ-CLI-10: the same seed and options give identical bytes; `valid`
// snapshots decode with every flag combination; `adversarial` ones reach
// error paths.
#[test]
fn generated_snapshots_are_deterministic_and_valid_ones_decode() {
    let mut adversarial_errors = 0;
    for seed in 0..24u64 {
        for profile in [Profile::Valid, Profile::Mixed, Profile::Adversarial] {
            let opts = GenOptions {
                seed,
                profile,
                queues: 1 + (seed as usize % 4),
                messages: seed * 7,
            };
            let a = gen_bytes(opts);
            assert_eq!(
                a,
                gen_bytes(opts),
                "seed {seed} {profile:?} not deterministic"
            );
            for (preserve_visibility, include_side_records) in
                [(false, false), (true, true), (false, true)]
            {
                let flags = Options {
                    preserve_visibility,
                    include_side_records,
                    require_footer: false,
                };
                let r = sqsdump::snapshot::decode_snapshot(&a[..], flags, &mut |_| {});
                match (profile, r) {
                    (Profile::Valid, Err(e)) => panic!("valid seed {seed} failed: {e}"),
                    (Profile::Valid, Ok((dump, _))) => {
                        assert_eq!(sqsdump::testkit::check::check_paths(&dump), Ok(()));
                    }
                    (Profile::Adversarial, Err(_)) => adversarial_errors += 1,
                    _ => {}
                }
            }
        }
    }
    assert!(
        adversarial_errors > 24,
        "adversarial profile rarely fails: {adversarial_errors}"
    );
}

// REQ-CLI-10: the binary writes the same bytes for the same flags, and
// `decode` accepts a `valid` snapshot.
#[test]
fn gen_command_is_deterministic_and_decodable() {
    let bin = env!("CARGO_BIN_EXE_sqsdump");
    let dir = tempfile::tempdir().expect("tempdir");
    let run = |name: &str, seed: &str| {
        let path = dir.path().join(name);
        let status = Command::new(bin)
            .args(["gen", "--seed", seed, "--profile", "valid", "--queues", "3"])
            .args(["--messages", "250", "--output"])
            .arg(&path)
            .status()
            .expect("run gen");
        assert!(status.success());
        std::fs::read(path).expect("read")
    };
    let a = run("a.fsm", "11");
    assert_eq!(a, run("b.fsm", "11"));
    assert_ne!(a, run("c.fsm", "12"));
    let out = dir.path().join("dump");
    let status = Command::new(bin)
        .arg("decode")
        .arg("--input")
        .arg(dir.path().join("a.fsm"))
        .arg("--output")
        .arg(&out)
        .arg("--include-sqs-side-records")
        .stderr(std::process::Stdio::null())
        .status()
        .expect("run decode");
    assert!(status.success());
    assert!(out.join("MANIFEST.json").exists());
}

/// Run `scripts/encode-diff` on `seeds` seeds with `upstream` as the other
/// encoder; its success and stdout.
fn encode_diff(upstream: &std::path::Path, seeds: &str, profiles: &str) -> (bool, String) {
    let out = Command::new("bash")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/encode-diff"))
        .args([seeds, "1"])
        .env("SQSDUMP", env!("CARGO_BIN_EXE_sqsdump"))
        .env("UPSTREAM_ENCODER", upstream)
        .env("PROFILES", profiles)
        .env("MESSAGES", "12")
        .output()
        .expect("run scripts/encode-diff");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// A stand-in for upstream's encoder: a shell script running `body` with
/// upstream's arguments (`--input DIR --output FILE`) in `$@`.
fn encoder_stand_in(dir: &std::path::Path, name: &str, body: &str) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).expect("write stand-in");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    path
}

// REQ-CLI-10: the encode differential counts how many generated
// valid/shared dumps the other encoder accepts, fails on any refusal of
// one, and skips when there is no upstream encoder.
#[test]
fn encode_diff_script_counts_acceptances_and_fails_on_a_refusal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (ok, out) = encode_diff(&dir.path().join("absent"), "3", "valid shared pebble");
    assert!(ok, "{out}");
    assert!(out.starts_with("skipped: no upstream encoder"), "{out}");

    let same = encoder_stand_in(
        dir.path(),
        "same",
        &format!("exec {} encode \"$@\"", env!("CARGO_BIN_EXE_sqsdump")),
    );
    let (ok, out) = encode_diff(&same, "6", "valid shared pebble");
    assert!(ok, "{out}");
    assert!(
        out.contains("upstream's encoder accepted 6 of 6, sqsdump's 6 of 6"),
        "{out}"
    );
    assert!(out.ends_with("6 passed, 0 failed\n"), "{out}");

    let refuses = encoder_stand_in(dir.path(), "refuses", "echo 'err=no' >&2; exit 2");
    let (ok, out) = encode_diff(&refuses, "2", "valid shared");
    assert!(!ok, "{out}");
    assert!(
        out.contains("FAIL seed 1 (shared): only_upstream_reject: err=no"),
        "{out}"
    );
    assert!(out.contains("accepted 0 of 2, sqsdump's 2 of 2"), "{out}");
    assert!(out.ends_with("0 passed, 2 failed\n"), "{out}");

    // Under `mixed`, refusals are fine when both encoders refuse.
    let (ok, out) = encode_diff(&same, "4", "mixed adversarial");
    assert!(ok, "{out}");
    assert!(!out.contains("restorable dumps"), "{out}");
}
