//! Running the `sqsdump` binary and stopping it: the generated input of
//! the slow runs, waiting for a staging directory to fill, the signal,
//! and what is left in a directory afterwards.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

/// `sqsdump` with a fixed `SOURCE_DATE_EPOCH`.
pub fn bin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sqsdump"));
    cmd.env("SOURCE_DATE_EPOCH", "1700000000");
    cmd
}

/// A generated `valid` snapshot of 3 queues and `messages` messages (seed
/// 3), written as `dir/snap.fsm`.
pub fn gen_file(dir: &Path, messages: u64) -> PathBuf {
    let path = dir.join("snap.fsm");
    fs::write(&path, super::gen_bytes(super::valid(3, 3, messages))).unwrap();
    path
}

/// The names in `dir`, sorted.
pub fn names(dir: &Path) -> Vec<String> {
    let mut left: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    left
}

/// Wait (at most 60 s, polling every 20 ms) until `dir` holds an entry
/// whose name starts with `prefix` and for which `ready` holds; its path,
/// or `None` at the deadline.
pub fn wait_for(dir: &Path, prefix: &str, ready: impl Fn(&Path) -> bool) -> Option<PathBuf> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let found = fs::read_dir(dir).unwrap().find_map(|e| {
            let p = e.unwrap().path();
            let named = p.file_name()?.to_string_lossy().starts_with(prefix);
            (named && ready(&p)).then_some(p)
        });
        if found.is_some() || Instant::now() > deadline {
            return found;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Send `signal` (as `kill` takes it: `-INT`, `-KILL`, ...) to `child`.
pub fn kill(signal: &str, child: &Child) {
    let status = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}
