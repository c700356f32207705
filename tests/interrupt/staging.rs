//! Staging directories of killed runs, `sqsdump clean`, SIGXFSZ and the
//! parent directories a failed run created (REQ-CLI-5, REQ-CLI-14,
//! REQ-ENG-5).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use sqsdump::cli::decode::{ENTRY_DELAY_ENV, SPILL_AFTER_ENV};

use crate::common::run::{bin, gen_file, kill, names, wait_for};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Start a slow decode of `fsm` into `out` that spills early.
fn slow_decode(fsm: &Path, out: &Path) -> Child {
    bin()
        .args(["decode", "--input"])
        .arg(fsm)
        .arg("--output")
        .arg(out)
        .env(ENTRY_DELAY_ENV, "2000")
        .env(SPILL_AFTER_ENV, "4000")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// The bytes of the files under `dir`.
fn bytes_in(dir: &Path) -> u64 {
    fs::read_dir(dir).map_or(0, |d| {
        d.map(|e| {
            let p = e.unwrap().path();
            if p.is_dir() {
                bytes_in(&p)
            } else {
                p.metadata().map_or(0, |m| m.len())
            }
        })
        .sum()
    })
}

/// Wait (bounded) until `dir` holds a directory named with `prefix` and
/// this child's pid with file bytes in it; return its path.
fn wait_for_staging(dir: &Path, prefix: &str, child: &Child) -> PathBuf {
    let want = format!("{prefix}{}-", child.id());
    wait_for(dir, &want, |p| bytes_in(p) > 0)
        .unwrap_or_else(|| panic!("no {want}* appeared in {dir:?}"))
}

fn clean(dir: &Path, flags: &[&str]) -> String {
    let o = bin().arg("clean").args(flags).arg(dir).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    text(&o.stdout)
}

// REQ-CLI-14: a decode killed with SIGKILL leaves its staging directory,
// named with its pid; the next run beside it reports it as one warning
// with its path and size; `clean --dry-run` lists it and removes nothing;
// `clean` removes it and keeps the staging directory of a run that is
// still going.
#[test]
fn a_killed_decode_is_reported_by_the_next_run_and_removed_by_clean() {
    let tmp = tempfile::tempdir().unwrap();
    let fsm = gen_file(tmp.path(), 3000);
    let mut killed = slow_decode(&fsm, &tmp.path().join("out"));
    let stale = wait_for_staging(tmp.path(), ".sqsdump-staging-", &killed);
    kill("-KILL", &killed);
    assert_eq!(killed.wait().unwrap().code(), None);
    assert!(stale.is_dir());
    let stale_name = stale.file_name().unwrap().to_string_lossy().into_owned();

    // The next run reports it, once, and succeeds.
    let o = bin()
        .args(["decode", "--input"])
        .arg(&fsm)
        .arg("--output")
        .arg(tmp.path().join("out2"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let stderr = text(&o.stderr);
    let reports: Vec<serde_json::Value> = stderr
        .lines()
        .filter(|l| l.contains("stale_staging_directory"))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(reports.len(), 1, "{stderr}");
    assert_eq!(reports[0]["event"], "stale_staging_directory");
    assert!(reports[0]["path"].as_str().unwrap().ends_with(&stale_name));
    assert!(reports[0]["bytes"].as_u64().unwrap() > 0);
    assert_eq!(reports[0]["owner_pid"], killed.id());
    assert!(stale.is_dir(), "a run only reports");

    // A run that is still going, beside it.
    let mut live = slow_decode(&fsm, &tmp.path().join("out3"));
    let live_dir = wait_for_staging(tmp.path(), ".sqsdump-staging-", &live);

    let dry = clean(tmp.path(), &["--dry-run"]);
    assert!(
        dry.contains(&format!("would remove {}", stale.display())),
        "{dry}"
    );
    assert!(
        dry.contains(&format!("kept {}", live_dir.display())),
        "{dry}"
    );
    assert!(stale.is_dir() && live_dir.is_dir());

    let done = clean(tmp.path(), &[]);
    assert!(
        done.contains(&format!("removed {}", stale.display())),
        "{done}"
    );
    assert!(!stale.exists());
    assert!(live_dir.is_dir(), "a live run's directory is kept");

    kill("-TERM", &live);
    assert_eq!(live.wait().unwrap().code(), Some(143));
    assert_eq!(names(tmp.path()), ["out2", "snap.fsm"]);
    assert!(clean(tmp.path(), &[]).contains("nothing to clean"));
}

// REQ-CLI-14: the same for an encode killed with SIGKILL.
#[test]
fn a_killed_encode_is_reported_and_removed_by_clean() {
    let tmp = tempfile::tempdir().unwrap();
    let fsm = gen_file(tmp.path(), 3000);
    let dump = tmp.path().join("dump");
    let o = bin()
        .args(["decode", "--input"])
        .arg(&fsm)
        .arg("--output")
        .arg(&dump)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let mut killed = bin()
        .args(["encode", "--input"])
        .arg(&dump)
        .arg("--output")
        .arg(tmp.path().join("out.fsm"))
        .env(ENTRY_DELAY_ENV, "2000")
        .env(SPILL_AFTER_ENV, "4000")
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stale = wait_for_staging(tmp.path(), ".sqsdump-encode-", &killed);
    kill("-KILL", &killed);
    killed.wait().unwrap();
    assert!(stale.is_dir());

    let o = bin()
        .args(["encode", "--input"])
        .arg(&dump)
        .arg("--output")
        .arg(tmp.path().join("other.fsm"))
        .output()
        .unwrap();
    let stderr = text(&o.stderr);
    let line = stderr
        .lines()
        .find(|l| l.contains("stale_staging_directory"))
        .unwrap_or_else(|| panic!("{stderr}"));
    assert!(line.contains(&*stale.file_name().unwrap().to_string_lossy()));

    let done = clean(tmp.path(), &[]);
    assert!(
        done.contains(&format!("removed {}", stale.display())),
        "{done}"
    );
    assert!(!stale.exists());
}

// REQ-CLI-14: `clean` of a directory that does not exist is an I/O error
// naming it; a directory with no staging directories has nothing to do.
#[test]
fn clean_names_a_missing_directory_and_says_when_there_is_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let o = bin()
        .arg("clean")
        .arg(tmp.path().join("nope"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).starts_with("error[io]"),
        "{}",
        text(&o.stderr)
    );
    assert!(text(&o.stderr).contains("nope"));
    // A name that only looks like ours (no owner) is left alone.
    fs::create_dir(tmp.path().join(".sqsdump-staging-AbCdEf")).unwrap();
    assert!(clean(tmp.path(), &[]).contains("nothing to clean"));
    assert!(tmp.path().join(".sqsdump-staging-AbCdEf").is_dir());
}

/// Run `sqsdump ARGS` under `ulimit -f BLOCKS` in a child shell, in `dir`.
fn under_file_limit(dir: &Path, blocks: u32, args: &str) -> Output {
    Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -f {blocks} && exec \"$0\" {args}",))
        .arg(env!("CARGO_BIN_EXE_sqsdump"))
        .current_dir(dir)
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .output()
        .unwrap()
}

// REQ-ENG-5: SIGXFSZ is ignored, so a write beyond `ulimit -f` is an
// `error[io]` line, and the run cleans up as after any error: no staging
// directory, no output, not even the parent directories it created.
#[test]
fn a_write_beyond_the_file_size_limit_is_an_io_error_that_leaves_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    gen_file(tmp.path(), 3000);
    for engine in ["stream", "plain"] {
        let o = under_file_limit(
            tmp.path(),
            100,
            &format!("decode --engine {engine} --input snap.fsm --output a/b/out"),
        );
        let stderr = text(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{engine}: {stderr}");
        let last = stderr.lines().last().unwrap_or_default();
        assert!(last.starts_with("error[io]:"), "{engine}: {last}");
        assert!(last.contains("File too large"), "{engine}: {last}");
        assert_eq!(names(tmp.path()), ["snap.fsm"], "{engine}");
    }

    let o = bin()
        .args(["decode", "--input", "snap.fsm", "--output", "dump"])
        .current_dir(tmp.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    let o = under_file_limit(tmp.path(), 100, "encode --input dump --output out.fsm");
    let stderr = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("error[io]:") && stderr.contains("File too large"),
        "{stderr}"
    );
    assert_eq!(names(tmp.path()), ["dump", "snap.fsm"]);
}

// REQ-CLI-5: a failed decode removes the parent directories it created
// for --output, and only those.
#[test]
fn a_failed_decode_removes_the_parent_directories_it_created() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("bad.fsm");
    fs::write(&bad, b"not a snapshot").unwrap();
    fs::create_dir(tmp.path().join("kept")).unwrap();
    for out in ["a/b/c/out", "kept/x/y/out"] {
        let o = bin()
            .args(["decode", "--input"])
            .arg(&bad)
            .arg("--output")
            .arg(tmp.path().join(out))
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    }
    assert_eq!(names(tmp.path()), ["bad.fsm", "kept"]);
    assert!(names(&tmp.path().join("kept")).is_empty());
}
