//! Running `sqsdump conform` on the committed corpus.

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
