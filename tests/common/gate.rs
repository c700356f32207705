//! Running `sqsdump conform` on the committed corpus.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The path of the `sqsdump` binary.
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_sqsdump")
}

/// The committed corpus, `conformance/`.
pub fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("conformance")
}

/// `sqsdump conform ARGS --impl IMPL --corpus conformance/ EXTRA`: the
/// output and its stdout.
pub fn conform(args: &[&str], impl_cmd: &str, extra: &[&str]) -> (Output, String) {
    let out = Command::new(bin())
        .arg("conform")
        .args(args)
        .arg("--impl")
        .arg(impl_cmd)
        .arg("--corpus")
        .arg(corpus_dir())
        .args(extra)
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout.clone()).unwrap();
    (out, stdout)
}

/// The command template of sqsdump itself in `direction` (`decode` or
/// `encode`).
pub fn ours(direction: &str) -> String {
    format!(
        "'{}' {direction} --input {{input}} --output {{output}} {{flags}}",
        bin()
    )
}

/// The FAIL lines of a run's stdout.
pub fn fail_lines(stdout: &str) -> Vec<&str> {
    stdout.lines().filter(|l| l.starts_with("FAIL ")).collect()
}

/// The FAIL lines of a run of the broken implementation `name`, after
/// checking that the run failed (exit 1), that something was caught, that
/// every FAIL line blames exactly `req`, and that one of them contains
/// `needle`.
#[track_caller]
pub fn fails_blaming_only<'a>(
    name: &str,
    out: &Output,
    stdout: &'a str,
    req: &str,
    needle: &str,
) -> Vec<&'a str> {
    assert_eq!(out.status.code(), Some(1), "{name}: {stdout}");
    let fails = fail_lines(stdout);
    assert!(!fails.is_empty(), "{name}: nothing caught");
    let blamed: BTreeSet<&str> = fails.iter().map(|l| l.split(' ').nth(1).unwrap()).collect();
    assert_eq!(
        blamed,
        BTreeSet::from([req]),
        "{name}: blamed {blamed:?}:\n{}",
        fails.join("\n")
    );
    assert!(
        fails.iter().any(|l| l.contains(needle)),
        "{name}: no FAIL line contains {needle:?}:\n{}",
        fails.join("\n")
    );
    fails
}

/// The case directories (`REQ-*`) in `dir`: the corpus or its encode
/// section.
pub fn count_cases(dir: &Path) -> usize {
    fs::read_dir(dir)
        .unwrap()
        .filter(|e| {
            let e = e.as_ref().unwrap();
            e.file_type().unwrap().is_dir() && e.file_name().to_string_lossy().starts_with("REQ-")
        })
        .count()
}
