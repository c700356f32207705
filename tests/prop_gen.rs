//! `sqsdump gen` (REQ-CLI-10): deterministic bytes, and `valid` snapshots
//! decode, through the library and through the binary.

use std::process::Command;

use sqsdump::decode::Options;
use sqsdump::testkit::seeded::{write_snapshot, GenOptions};
use sqsdump::testkit::snapshot::Profile;

fn gen(opts: GenOptions) -> Vec<u8> {
    let mut out = Vec::new();
    write_snapshot(opts, &mut out).expect("generate");
    out
}

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
            let a = gen(opts);
            assert_eq!(a, gen(opts), "seed {seed} {profile:?} not deterministic");
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
