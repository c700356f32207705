//! Interoperability with upstream's `elastickv-snapshot-archive`
//! (REQ-ARC-8), run when its binary is present (skipped with a printed
//! reason otherwise): archives cross in both directions, plain and zstd,
//! and give back the input tree.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::common::tree;

const BIN: &str = env!("CARGO_BIN_EXE_sqsdump");
const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/sample.fsm");

fn upstream() -> Option<PathBuf> {
    let p = std::env::var_os("ARCHIVER")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../shared/upstream/elastickv-snapshot-archive-head")
        });
    if p.is_file() {
        Some(p)
    } else {
        eprintln!("skipped: no upstream archive tool ({})", p.display());
        None
    }
}

fn ok(what: &str, out: Output) {
    assert!(
        out.status.success(),
        "{what}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn sqsdump(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .output()
        .unwrap()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

// REQ-ARC-8: the sample (with side records) and generated dumps, packed
// by sqsdump and unpacked by upstream, and packed by upstream and
// unpacked by sqsdump, both compressions: the same tree every time.
#[test]
fn archives_cross_between_sqsdump_and_upstream_both_ways() {
    let Some(up) = upstream() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let mut dumps = Vec::new();
    let sample = tmp.path().join("dump-sample");
    ok(
        "decode sample",
        sqsdump(&[
            "decode",
            "--input",
            SAMPLE,
            "--output",
            s(&sample),
            "--include-sqs-side-records",
        ]),
    );
    dumps.push(sample);
    for seed in ["7", "8"] {
        let fsm = tmp.path().join(format!("g{seed}.fsm"));
        let dump = tmp.path().join(format!("dump-gen{seed}"));
        ok(
            "gen",
            sqsdump(&[
                "gen",
                "--seed",
                seed,
                "--profile",
                "shared",
                "--queues",
                "3",
                "--messages",
                "120",
                "--output",
                s(&fsm),
            ]),
        );
        ok(
            "decode",
            sqsdump(&["decode", "--input", s(&fsm), "--output", s(&dump)]),
        );
        dumps.push(dump);
    }
    for dump in &dumps {
        let want = tree(dump);
        let name = dump.file_name().unwrap().to_str().unwrap();
        for (c, ext) in [("none", "tar"), ("zstd", "tar.zst")] {
            let ours = tmp.path().join(format!("{name}-s.{ext}"));
            ok(
                "sqsdump pack",
                sqsdump(&["archive", "pack", "-i", s(dump), "-o", s(&ours)]),
            );
            let by_up = tmp.path().join(format!("{name}-su-{c}"));
            ok(
                "upstream unpack",
                Command::new(&up)
                    .args(["unpack", "--input", s(&ours), "--output", s(&by_up)])
                    .args(["--compression", c])
                    .output()
                    .unwrap(),
            );
            assert_eq!(tree(&by_up), want, "{name} {c}: sqsdump -> upstream");

            let theirs = tmp.path().join(format!("{name}-u.{ext}"));
            ok(
                "upstream pack",
                Command::new(&up)
                    .args(["pack", "--input", s(dump), "--output", s(&theirs)])
                    .args(["--compression", c])
                    .output()
                    .unwrap(),
            );
            let by_us = tmp.path().join(format!("{name}-us-{c}"));
            ok(
                "sqsdump unpack",
                sqsdump(&["archive", "unpack", "-i", s(&theirs), "-o", s(&by_us)]),
            );
            assert_eq!(tree(&by_us), want, "{name} {c}: upstream -> sqsdump");
        }
    }
}
