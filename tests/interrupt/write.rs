//! Atomic output of a dump model (REQ-CLI-4..7).

use std::fs;
use std::path::{Path, PathBuf};

use sqsdump::dump::DumpModel;
use sqsdump::write::{check_output, validate_model_path, write_dump, OutputState};

fn model(files: &[(&str, &str)]) -> DumpModel {
    let mut m = DumpModel::new();
    for (path, body) in files {
        m.add_file(path.to_string(), body.as_bytes().to_vec(), "test")
            .unwrap();
    }
    m
}

fn sample() -> DumpModel {
    model(&[
        ("sqs/orders/_queue.json", "{}"),
        ("sqs/orders/messages.jsonl", "{\"message_id\":\"m1\"}\n"),
        ("sqs/b%2Fc/_queue.json", "{\"name\":\"b/c\"}"),
        ("MANIFEST.json", "{}\n"),
    ])
}

/// Every path below `root`, relative, sorted; directories end in `/`.
fn tree(root: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for entry in fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            let path = entry.path();
            let rel = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            if entry.file_type().unwrap().is_dir() {
                out.push(format!("{rel}/"));
                walk(root, &path, out);
            } else {
                out.push(rel);
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out.sort();
    out
}

#[track_caller]
fn assert_unsafe(err: sqsdump::Error, text: &str) {
    assert_eq!(err.class(), "unsafe_output");
    assert_eq!(err.to_string(), text);
}

fn umask() -> u32 {
    let status = fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("Umask:"))
        .and_then(|v| u32::from_str_radix(v.trim(), 8).ok())
        .unwrap_or(0o022)
}

// REQ-CLI-4
#[test]
fn absent_output_is_created_with_every_file() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("a/b/dump");
    assert_eq!(check_output(&out).unwrap(), OutputState::Absent);
    let m = sample();
    write_dump(&m, &out).unwrap();
    assert_eq!(
        tree(&out),
        vec![
            "MANIFEST.json",
            "sqs/",
            "sqs/b%2Fc/",
            "sqs/b%2Fc/_queue.json",
            "sqs/orders/",
            "sqs/orders/_queue.json",
            "sqs/orders/messages.jsonl",
        ]
    );
    for (path, bytes) in &m.files {
        assert_eq!(&fs::read(out.join(path)).unwrap(), bytes, "{path}");
    }
    // Only the dump is left beside it: no staging directory.
    assert_eq!(tree(&tmp.path().join("a/b")).len(), tree(&out).len() + 1);
}

// REQ-CLI-4
#[test]
fn empty_output_directory_is_replaced() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("dump");
    fs::create_dir(&out).unwrap();
    assert_eq!(check_output(&out).unwrap(), OutputState::EmptyDir);
    write_dump(&sample(), &out).unwrap();
    assert_eq!(fs::read(out.join("MANIFEST.json")).unwrap(), b"{}\n");
    assert_eq!(tree(tmp.path()).len(), 1 + tree(&out).len());
}

// REQ-CLI-4
#[test]
fn non_empty_output_directory_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("dump");
    fs::create_dir(&out).unwrap();
    fs::write(out.join("keep.txt"), "precious").unwrap();
    let err = write_dump(&sample(), &out).unwrap_err();
    assert_unsafe(
        err,
        &format!(
            "unsafe output {}: output directory is not empty",
            out.display()
        ),
    );
    assert_eq!(tree(tmp.path()), vec!["dump/", "dump/keep.txt"]);
    assert_eq!(fs::read(out.join("keep.txt")).unwrap(), b"precious");
    // A hidden file counts too.
    let hidden = tmp.path().join("hidden");
    fs::create_dir(&hidden).unwrap();
    fs::write(hidden.join(".x"), "").unwrap();
    assert!(check_output(&hidden).is_err());
}

// REQ-CLI-4
#[test]
fn existing_file_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("dump");
    fs::write(&out, "not a dir").unwrap();
    let err = write_dump(&sample(), &out).unwrap_err();
    assert_unsafe(
        err,
        &format!(
            "unsafe output {}: output path exists and is not a directory",
            out.display()
        ),
    );
    assert_eq!(fs::read(&out).unwrap(), b"not a dir");
    assert_eq!(tree(tmp.path()), vec!["dump"]);
}

// REQ-CLI-4
#[cfg(unix)]
#[test]
fn symlink_output_is_refused_and_not_followed() {
    let tmp = tempfile::tempdir().unwrap();
    let target = tmp.path().join("target");
    fs::create_dir(&target).unwrap();
    let out = tmp.path().join("dump");
    std::os::unix::fs::symlink(&target, &out).unwrap();
    let err = write_dump(&sample(), &out).unwrap_err();
    assert_unsafe(
        err,
        &format!("unsafe output {}: output path is a symlink", out.display()),
    );
    // The (empty) target directory was not written through the link.
    assert!(tree(&target).is_empty());
    // A dangling symlink is refused as well.
    let dangling = tmp.path().join("dangling");
    std::os::unix::fs::symlink(tmp.path().join("nowhere"), &dangling).unwrap();
    let err = write_dump(&sample(), &dangling).unwrap_err();
    assert_unsafe(
        err,
        &format!(
            "unsafe output {}: output path is a symlink",
            dangling.display()
        ),
    );
    assert!(!tmp.path().join("nowhere").exists());
}

// REQ-CLI-4
#[test]
fn output_without_a_final_name_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("x/..");
    let err = write_dump(&sample(), &out).unwrap_err();
    assert_unsafe(
        err,
        &format!(
            "unsafe output {}: output path has no final name component",
            out.display()
        ),
    );
    assert!(tree(tmp.path()).is_empty());
}

/// A model whose writing fails half-way: the name of the second file is
/// longer than any file system allows.
fn failing_model() -> DumpModel {
    let long = "x".repeat(300);
    model(&[
        ("a/first.json", "1"),
        (&format!("b/{long}"), "2"),
        ("c/third.json", "3"),
    ])
}

// REQ-CLI-5
#[test]
fn error_while_writing_leaves_nothing_behind() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("dump");
    let err = write_dump(&failing_model(), &out).unwrap_err();
    assert_eq!(err.class(), "io");
    assert!(
        err.to_string()
            .starts_with(&format!("i/o error: creating b/{}: ", "x".repeat(300))),
        "{err}"
    );
    assert!(!out.exists());
    // The staging directory is gone too.
    assert!(tree(tmp.path()).is_empty(), "{:?}", tree(tmp.path()));
}

// REQ-CLI-5
#[test]
fn error_while_writing_keeps_an_empty_output_directory_empty() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("dump");
    fs::create_dir(&out).unwrap();
    let err = write_dump(&failing_model(), &out).unwrap_err();
    assert_eq!(err.class(), "io");
    assert_eq!(tree(tmp.path()), vec!["dump/"]);
}

// REQ-CLI-6
#[test]
fn unsafe_model_paths_are_rejected() {
    let cases: &[(&str, &str)] = &[
        ("", "unsafe output : unsafe path in dump model: empty path"),
        (
            "/etc/passwd",
            "unsafe output /etc/passwd: unsafe path in dump model: absolute path",
        ),
        (
            "../escape",
            "unsafe output ../escape: unsafe path in dump model: '..' component",
        ),
        (
            "sqs/../../escape",
            "unsafe output sqs/../../escape: unsafe path in dump model: '..' component",
        ),
        (
            "sqs/..",
            "unsafe output sqs/..: unsafe path in dump model: '..' component",
        ),
        (
            "./x",
            "unsafe output ./x: unsafe path in dump model: '.' component",
        ),
        (
            "sqs/./x",
            "unsafe output sqs/./x: unsafe path in dump model: '.' component",
        ),
        (
            "sqs//x",
            "unsafe output sqs//x: unsafe path in dump model: empty component",
        ),
        (
            "sqs/x/",
            "unsafe output sqs/x/: unsafe path in dump model: empty component",
        ),
        (
            "sqs\\..\\x",
            "unsafe output sqs\\\\..\\\\x: unsafe path in dump model: backslash",
        ),
        (
            "sqs/a\0b",
            "unsafe output sqs/a\\0b: unsafe path in dump model: NUL byte",
        ),
    ];
    for (path, text) in cases {
        assert_unsafe(validate_model_path(path).unwrap_err(), text);
    }
    for ok in [
        "MANIFEST.json",
        "sqs/q/_queue.json",
        "sqs/%2E%2E/x",
        "sqs/..x/.y",
    ] {
        validate_model_path(ok).unwrap();
    }
}

// REQ-CLI-6
#[test]
fn nothing_is_written_for_an_unsafe_model() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("inner/dump");
    for bad in [
        "../outside.txt",
        "sqs/../../outside.txt",
        "/tmp/outside.txt",
    ] {
        let mut m = sample();
        m.add_file(bad.to_string(), b"gotcha".to_vec(), "test")
            .unwrap();
        let err = write_dump(&m, &out).unwrap_err();
        assert_eq!(err.class(), "unsafe_output", "{bad}");
        // Validation runs before anything is created, even the parent.
        assert!(tree(tmp.path()).is_empty(), "{bad}: {:?}", tree(tmp.path()));
    }
}

// REQ-CLI-6
#[test]
fn a_path_that_is_both_file_and_directory_is_rejected() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("dump");
    let m = model(&[("sqs/q", "file"), ("sqs/q/_queue.json", "{}")]);
    let err = write_dump(&m, &out).unwrap_err();
    assert_unsafe(
        err,
        "unsafe output sqs/q: unsafe path in dump model: both a file and the directory of sqs/q/_queue.json",
    );
    assert!(tree(tmp.path()).is_empty());
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    fs::symlink_metadata(path).unwrap().permissions().mode() & 0o777
}

// REQ-CLI-7
#[cfg(unix)]
#[test]
fn files_are_0644_and_directories_0755_under_the_umask() {
    let mask = umask();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("dump");
    let m = sample();
    write_dump(&m, &out).unwrap();
    let dirs: Vec<PathBuf> = vec![
        out.clone(),
        out.join("sqs"),
        out.join("sqs/orders"),
        out.join("sqs/b%2Fc"),
    ];
    for dir in &dirs {
        assert_eq!(mode(dir), 0o755 & !mask, "{}", dir.display());
    }
    for path in m.files.keys() {
        assert_eq!(mode(&out.join(path)), 0o644 & !mask, "{path}");
    }
    if mask == 0o022 {
        assert_eq!(mode(&out), 0o755);
        assert_eq!(mode(&out.join("MANIFEST.json")), 0o644);
    }
}

// REQ-CLI-4
#[test]
fn an_output_path_that_cannot_be_inspected_is_an_io_error_not_absent() {
    // Only "not found" means absent. Below a regular file the lookup fails
    // with "not a directory": that is an error, and nothing is written.
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("file");
    fs::write(&file, "x").unwrap();
    let out = file.join("dump");
    let err = check_output(&out).unwrap_err();
    assert_eq!(err.class(), "io");
    assert!(
        err.to_string()
            .starts_with(&format!("i/o error: inspecting {}: ", out.display())),
        "{err}"
    );
    let err = write_dump(&sample(), &out).unwrap_err();
    assert_eq!(err.class(), "io");
    assert_eq!(tree(tmp.path()), vec!["file"]);
}

// REQ-ENG-5, REQ-CLI-5: the plain engine's staging directory is named to
// the signal thread only while it exists: after a finished write and after
// a failed one the name is cleared, so a late signal removes nothing.
#[test]
fn the_staging_name_is_cleared_after_every_write() {
    use sqsdump::run::Control;
    use sqsdump::write::{write_dump_with, WriteHooks};
    let tmp = tempfile::tempdir().unwrap();
    let ctl = Control::default();
    let staging = &ctl.staging;
    *staging.lock().unwrap() = Some(PathBuf::from("stale"));
    let hooks = WriteHooks {
        ctl: Some(&ctl),
        pace: None,
    };
    write_dump_with(&sample(), &tmp.path().join("dump"), &hooks).unwrap();
    assert_eq!(*staging.lock().unwrap(), None, "cleared after success");
    *staging.lock().unwrap() = Some(PathBuf::from("stale"));
    assert!(write_dump_with(&failing_model(), &tmp.path().join("failed"), &hooks).is_err());
    assert_eq!(*staging.lock().unwrap(), None, "cleared after an error");
}
