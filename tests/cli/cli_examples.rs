//! Every example in README.md and in each `--help` runs (REQ-CLI-1).
//!
//! Examples are taken from the text itself: the lines under `Example:` /
//! `Examples:` in each command's help, and the `sh` code blocks of the
//! README. Each runs in a fresh directory with `sh -e`, after these
//! substitutions, and must exit 0:
//!
//! - `sqsdump`, `target/release/sqsdump` and `cargo run --release --` name
//!   the binary under test;
//! - absolute paths become relative ones inside the directory:
//!   `/data/fsm-snap/` → `data/fsm-snap/`, `--data-dir /data` →
//!   `--data-dir data`, `/tmp/` → `tmp/`, `/var/tmp` →
//!   `vartmp`, `/backups` → `backups`, `/restore` → `restore`;
//! - `--messages 1000000` becomes `--messages 1000` (the same command on
//!   a snapshot that a debug build writes in a moment, not in minutes).
//!
//! The directory holds `snap.fsm`, `0000000000000064.fsm` and
//! `fsm-snap/0000000000000064.fsm` (node files, with the footer; not for
//! `gen` examples, which write them), `data/` (a node's data directory
//! holding `snap.fsm` at index 100), `examples/sample.fsm`, empty `tmp/`,
//! `vartmp/` and `backups/`, `conformance` (a link to the repository's
//! corpus, for `conform` examples), and a decoded `dump/` unless the example writes one (`decode`, `gen`).
//!
//! Examples that need something else are listed in [`SKIPPED`] with the
//! reason; the test fails on an example that neither runs nor is listed,
//! and on a listed one that no longer exists.

use std::path::Path;
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_sqsdump");

/// Examples not run, each with why: the start of its text.
const SKIPPED: &[(&str, &str)] = &[
    ("cargo test", "runs the whole test suite"),
    ("cargo install --path .", "installs the binary"),
    (
        "cargo install --locked --git <SQSDUMP-GIT-URL>",
        "installs the binary from a repository URL the adopter fills in",
    ),
    (
        "cargo run --example node_dir",
        "builds and runs an example program; tests/cli/data_dir_cli.rs decodes the same layout",
    ),
    (
        "cargo build --release",
        "builds the project, then runs upstream's decoder (scripts/upstream-check)",
    ),
    (
        "scripts/replay-sqs ",
        "needs the AWS CLI and an SQS endpoint",
    ),
    (
        "dir=/tmp/sqsdump-out/sqs/payments.fifo",
        "needs jq, the AWS CLI and an SQS endpoint",
    ),
    (
        "elastickv-snapshot-prepare-restore ",
        "upstream's restore tool; tests/encode/restore_runbook.rs applies its checks",
    ),
    (
        "sqsdump conform --direction encode --impl '/path/to/elastickv-snapshot-encode",
        "needs upstream's encoder",
    ),
    (
        "sqsdump conform --impl './mydecoder",
        "needs another decoder",
    ),
    (
        "sqsdump conform --impl '/tmp/ekv-decode",
        "needs upstream's decoder",
    ),
    (
        "sqsdump conform --direction encode --impl './myencoder",
        "needs another encoder",
    ),
];

/// The help's examples: lines under `Example(s):` up to a blank line,
/// continuation lines (`\` at the end) joined.
fn help_examples(help: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut inside = false;
    for line in help.lines() {
        if line == "Examples:" || line == "Example:" {
            inside = true;
            continue;
        }
        if inside && line.trim().is_empty() {
            inside = false;
        }
        if inside {
            out.push(line.trim().to_string());
        }
    }
    join_continuations(&out)
}

fn join_continuations(lines: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut open = false;
    for line in lines {
        let (text, cont) = match line.trim_end().strip_suffix('\\') {
            Some(t) => (t.trim_end().to_string(), true),
            None => (line.trim_end().to_string(), false),
        };
        match out.last_mut() {
            Some(last) if open => {
                last.push(' ');
                last.push_str(text.trim_start());
            }
            _ => out.push(text),
        }
        open = cont;
    }
    out
}

/// The README's `sh` code blocks, each as one script (lines joined).
fn readme_blocks(readme: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<Vec<String>> = None;
    for line in readme.lines() {
        if let Some(lang) = line.strip_prefix("```") {
            match current.take() {
                Some(block) => blocks.push(block.join("\n")),
                None if lang == "sh" || lang == "bash" => current = Some(Vec::new()),
                None => current = Some(vec!["<not sh>".to_string()]),
            }
            continue;
        }
        if let Some(block) = current.as_mut() {
            block.push(line.to_string());
        }
    }
    blocks.retain(|b| !b.starts_with("<not sh>"));
    blocks
}

/// The subcommands named in the top-level help.
fn subcommands() -> Vec<String> {
    let help = run_help(&["--help"]);
    let mut inside = false;
    let mut out = Vec::new();
    for line in help.lines() {
        if line == "Commands:" {
            inside = true;
            continue;
        }
        if inside && !line.starts_with("  ") {
            break;
        }
        if inside {
            if let Some(name) = line.split_whitespace().next() {
                if name != "help" {
                    out.push(name.to_string());
                }
            }
        }
    }
    out
}

fn run_help(args: &[&str]) -> String {
    let o = Command::new(BIN).args(args).output().unwrap();
    assert!(o.status.success());
    String::from_utf8(o.stdout).unwrap()
}

/// The example with the binary and paths substituted.
fn substitute(example: &str) -> String {
    let bin = format!("\"{BIN}\" ");
    let mut s = example
        .replace("cargo run --release -- ", &bin)
        .replace("target/release/sqsdump ", &bin)
        .replace("/data/fsm-snap/", "data/fsm-snap/")
        .replace("--data-dir /data ", "--data-dir data ")
        .replace("/var/tmp", "vartmp")
        .replace("/tmp/", "tmp/")
        .replace("/backups", "backups")
        .replace(" /restore/", " restore/")
        .replace(" /restore\n", " restore\n")
        .replace("--messages 1000000", "--messages 1000");
    // `sqsdump ` as a command word: at the start, or after a space, `|`,
    // `(` or `=` (an environment assignment ends with a space first).
    let mut out = String::new();
    while let Some(i) = s.find("sqsdump ") {
        let before = s.get(..i).unwrap_or_default();
        let word_start = before.is_empty()
            || before.ends_with([' ', '|', '(', '\n', '\'']) && !before.ends_with('/');
        out.push_str(before);
        out.push_str(if word_start { &bin } else { "sqsdump " });
        s = s
            .get(i + "sqsdump ".len()..)
            .unwrap_or_default()
            .to_string();
    }
    out.push_str(&s);
    out
}

/// The example on one line, `target/release/sqsdump` written `sqsdump`,
/// for matching against [`SKIPPED`].
fn normal(example: &str) -> String {
    let lines: Vec<String> = example.lines().map(str::to_string).collect();
    join_continuations(&lines)
        .join("\n")
        .trim_start()
        .replace("target/release/sqsdump", "sqsdump")
}

fn skip_reason(example: &str) -> Option<&'static str> {
    let normal = normal(example);
    SKIPPED
        .iter()
        .find(|(start, _)| normal.starts_with(start))
        .map(|(_, why)| *why)
}

fn sqsdump(dir: &Path, args: &[&str]) {
    let o = Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// A fresh directory with the files the examples name.
fn fixture(with_dump: bool, with_snapshots: bool) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    for dir in ["tmp", "vartmp", "backups", "fsm-snap", "examples"] {
        std::fs::create_dir(d.join(dir)).unwrap();
    }
    if !with_snapshots {
        return tmp;
    }
    sqsdump(
        d,
        &[
            "gen",
            "--seed",
            "1",
            "--messages",
            "50",
            "--output",
            "snap.fsm",
        ],
    );
    let node = [
        "gen",
        "--seed",
        "1",
        "--messages",
        "50",
        "--footer",
        "--output",
    ];
    sqsdump(d, &[&node[..], &["0000000000000064.fsm"]].concat());
    sqsdump(d, &[&node[..], &["fsm-snap/0000000000000064.fsm"]].concat());
    // A node's data directory, for the `--data-dir /data` examples.
    let payload = std::fs::read(d.join("snap.fsm")).unwrap();
    sqsdump::testkit::node::NodeDir::create(d.join("data"))
        .unwrap()
        .add_snapshot(2, 100, &payload)
        .unwrap();
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/sample.fsm");
    std::fs::copy(sample, d.join("examples/sample.fsm")).unwrap();
    if with_dump {
        sqsdump(d, &["decode", "--input", "snap.fsm", "--output", "dump"]);
    }
    tmp
}

/// Run one example (a line or a script) in a fresh fixture; an error
/// message if it fails.
fn run_example(example: &str) -> Result<(), String> {
    let writes_dump = example.contains(" decode ") || example.contains(" gen ");
    let reads_dump = example.contains("./dump") && !writes_dump;
    // `gen` examples write the snapshots the others read.
    let is_gen = example.trim_start().starts_with("sqsdump gen ");
    let dir = fixture(reads_dump || !writes_dump, !is_gen);
    if example.contains("sqsdump conform ") {
        // The corpus, for `conform` run as from the repository.
        let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("conformance");
        std::os::unix::fs::symlink(corpus, dir.path().join("conformance")).unwrap();
    }
    let script = substitute(example);
    let o = Command::new("sh")
        .arg("-ec")
        .arg(&script)
        .current_dir(dir.path())
        .env_remove("SOURCE_DATE_EPOCH")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    if o.status.success() {
        Ok(())
    } else {
        Err(format!(
            "example failed ({:?}):\n{example}\nran as:\n{script}\nstderr:\n{}",
            o.status.code(),
            String::from_utf8_lossy(&o.stderr)
        ))
    }
}

// REQ-CLI-1: every example of every `--help` and of the README runs.
#[test]
fn every_example_in_the_help_and_the_readme_runs() {
    let mut examples: Vec<(String, String)> = help_examples(&run_help(&["--help"]))
        .into_iter()
        .map(|e| ("sqsdump --help".to_string(), e))
        .collect();
    let commands = subcommands();
    for must in [
        "decode", "encode", "gen", "corpus", "conform", "verify", "clean",
    ] {
        assert!(commands.iter().any(|c| c == must), "{must} in {commands:?}");
    }
    for cmd in &commands {
        let found = help_examples(&run_help(&[cmd, "--help"]));
        assert!(!found.is_empty(), "`sqsdump {cmd} --help` has no example");
        examples.extend(
            found
                .into_iter()
                .map(|e| (format!("sqsdump {cmd} --help"), e)),
        );
    }
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    examples.extend(
        readme_blocks(&readme)
            .into_iter()
            .map(|b| ("README.md".to_string(), b)),
    );
    assert!(examples.len() > 30, "{}", examples.len());

    let mut failures = Vec::new();
    let mut used = vec![false; SKIPPED.len()];
    let mut ran = 0;
    for (origin, example) in &examples {
        if skip_reason(example).is_some() {
            for (i, (start, _)) in SKIPPED.iter().enumerate() {
                if normal(example).starts_with(start) {
                    used[i] = true;
                }
            }
            continue;
        }
        if !example.contains("sqsdump") {
            failures.push(format!(
                "{origin}: runs no sqsdump and is not listed as skipped:\n{example}"
            ));
            continue;
        }
        ran += 1;
        if let Err(e) = run_example(example) {
            failures.push(format!("{origin}: {e}"));
        }
    }
    for (i, (start, _)) in SKIPPED.iter().enumerate() {
        if !used[i] {
            failures.push(format!(
                "skip list names an example that no longer exists: {start}"
            ));
        }
    }
    assert!(ran > 25, "only {ran} examples ran");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

// REQ-CLI-1: the extraction the test above relies on.
#[test]
fn examples_are_extracted_with_continuations_joined_and_substituted() {
    let help = "Usage\n\nExamples:\n  sqsdump a \\\n      --b c\n  cat x | sqsdump d\n\nmore\n";
    assert_eq!(
        help_examples(help),
        ["sqsdump a --b c", "cat x | sqsdump d"]
    );
    let s = substitute("cat /tmp/x | SOURCE_DATE_EPOCH=1 sqsdump decode -o /tmp/sqsdump-out");
    assert_eq!(
        s,
        format!("cat tmp/x | SOURCE_DATE_EPOCH=1 \"{BIN}\" decode -o tmp/sqsdump-out")
    );
    let readme = "x\n```sh\nsqsdump a \\\n  b\n```\n```json\n{}\n```\n";
    assert_eq!(readme_blocks(readme), ["sqsdump a \\\n  b"]);
}

// REQ-CLI-1: the README's library example is the crate-root doc example
// (its visible lines, in order), which `cargo test` runs as a doc test.
#[test]
fn the_readme_library_example_is_the_crate_root_doc_test() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let lib = std::fs::read_to_string(root.join("src/lib.rs")).unwrap();
    let section = readme
        .split("## Use as a library")
        .nth(1)
        .expect("README has a \"Use as a library\" section");
    let example: Vec<&str> = section
        .split("```rust\n")
        .nth(1)
        .and_then(|rest| rest.split("\n```").next())
        .expect("the section has a rust code block")
        .lines()
        .collect();
    // The first doc test of the crate doc, without its hidden lines.
    let doc: Vec<&str> = lib
        .lines()
        .map_while(|l| l.strip_prefix("//!"))
        .map(|l| l.strip_prefix(' ').unwrap_or(l))
        .skip_while(|l| *l != "```")
        .skip(1)
        .take_while(|l| *l != "```")
        .filter(|l| !l.starts_with("# ") && *l != "#")
        .collect();
    assert!(example.len() >= 3, "{example:?}");
    assert_eq!(example, doc);
}
