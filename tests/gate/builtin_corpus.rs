//! `sqsdump conform` without a checkout: an installed binary carries the
//! corpus (the cases `sqsdump corpus` writes) and uses it when `--corpus`
//! is not given and there is no `./conformance`, or with
//! `--builtin-corpus`.

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use crate::common::gate::{bin, corpus_dir as committed, count_cases, ours};

/// `sqsdump conform ARGS` in `cwd`, with TMPDIR set to `tmp`.
fn conform(cwd: &Path, tmp: &Path, args: &[&str]) -> Output {
    Command::new(bin())
        .arg("conform")
        .args(args)
        .current_dir(cwd)
        .env("TMPDIR", tmp)
        .output()
        .unwrap()
}

fn show(out: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn decoder() -> String {
    ours("decode")
}

fn encoder() -> String {
    ours("encode")
}

// REQ-CONF-20
#[test]
fn without_a_checkout_conform_uses_the_built_in_corpus_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (cwd, tmp) = (dir.path().join("cwd"), dir.path().join("tmp"));
    fs::create_dir_all(&cwd).unwrap();
    fs::create_dir_all(&tmp).unwrap();
    let report = cwd.join("report.json");
    let out = conform(
        &cwd,
        &tmp,
        &["--impl", &decoder(), "--report", report.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", show(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let cases = count_cases(&committed());
    assert!(
        stdout.ends_with(&format!("\n{cases} passed, 0 failed\n")),
        "{}",
        show(&out)
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(
            "conform: using the corpus built into sqsdump 0.1.0 (no --corpus, and no ./conformance)"
        ),
        "{}",
        show(&out)
    );
    let json: serde_json::Value = serde_json::from_slice(&fs::read(&report).unwrap()).unwrap();
    assert_eq!(json["corpus"], "builtin:sqsdump-0.1.0");
    // The corpus and the scratch directories were temporary.
    assert_eq!(fs::read_dir(&tmp).unwrap().count(), 0);
    let names: Vec<_> = fs::read_dir(&cwd)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec!["report.json"]);

    // The encode direction has its cases too.
    let out = conform(&cwd, &tmp, &["--direction", "encode", "--impl", &encoder()]);
    assert!(out.status.success(), "{}", show(&out));
    let cases = count_cases(&committed().join("encode"));
    assert!(
        String::from_utf8_lossy(&out.stdout).ends_with(&format!("\n{cases} passed, 0 failed\n")),
        "{}",
        show(&out)
    );
    assert_eq!(fs::read_dir(&tmp).unwrap().count(), 0);
}

/// A `conformance/` holding one copied case.
fn one_case_corpus(cwd: &Path, case: &str) {
    let to = cwd.join("conformance");
    fs::create_dir_all(&to).unwrap();
    let status = Command::new("cp")
        .arg("-R")
        .arg(committed().join(case))
        .arg(&to)
        .status()
        .unwrap();
    assert!(status.success());
}

// REQ-CONF-20
#[test]
fn a_conformance_directory_or_corpus_flag_wins_unless_builtin_is_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let (cwd, tmp) = (dir.path().join("cwd"), dir.path().join("tmp"));
    fs::create_dir_all(&tmp).unwrap();
    one_case_corpus(&cwd, "REQ-VAL-6-gen-empty");
    let filter = ["--filter", "REQ-VAL-6"];

    // ./conformance is the default when it exists.
    let out = conform(&cwd, &tmp, &[&["--impl", &decoder()][..], &filter].concat());
    assert!(out.status.success(), "{}", show(&out));
    assert!(String::from_utf8_lossy(&out.stdout).ends_with("\n1 passed, 0 failed\n"));
    assert!(out.stderr.is_empty(), "{}", show(&out));

    // --builtin-corpus ignores it: the built-in corpus has every
    // REQ-VAL-6 case.
    let builtin: usize = fs::read_dir(committed())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with("REQ-VAL-6-")
        })
        .count();
    assert!(builtin > 1);
    let out = conform(
        &cwd,
        &tmp,
        &[&["--builtin-corpus", "--impl", &decoder()][..], &filter].concat(),
    );
    assert!(out.status.success(), "{}", show(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).ends_with(&format!("\n{builtin} passed, 0 failed\n")),
        "{}",
        show(&out)
    );
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("conform: using the corpus built into sqsdump 0.1.0\n"));

    // --corpus names a directory, which must exist (a setup mistake, exit 2).
    let out = conform(
        &tmp,
        &tmp,
        &[
            "--corpus",
            cwd.join("conformance").to_str().unwrap(),
            "--impl",
            &decoder(),
        ],
    );
    assert!(out.status.success(), "{}", show(&out));
    assert!(String::from_utf8_lossy(&out.stdout).ends_with("\n1 passed, 0 failed\n"));
    let out = conform(&tmp, &tmp, &["--corpus", "missing", "--impl", &decoder()]);
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing"));

    // Both at once is a usage error.
    let out = conform(
        &cwd,
        &tmp,
        &[
            "--corpus",
            "conformance",
            "--builtin-corpus",
            "--impl",
            &decoder(),
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    assert!(out.stdout.is_empty());
}
