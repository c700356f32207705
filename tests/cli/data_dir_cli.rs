//! `sqsdump decode --data-dir DIR` and `--input DIR` end to end
//! (REQ-NODE-5, REQ-NODE-6): the located snapshot is decoded with its
//! footer required and checked against the token, skipped snap files are
//! warned about, the data directory is never changed, and the help's
//! examples run.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use sha2::{Digest, Sha256};
use sqsdump::testkit::node::{fsm_file, snap_file, snap_name, token, NodeDir};

use crate::common::files;

const SAMPLE: &[u8] = include_bytes!("../../examples/sample.fsm");
const ENGINES: [&str; 2] = ["stream", "plain"];

fn sqsdump(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sqsdump"))
        .args(args)
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .stdin(Stdio::null())
        .output()
        .expect("sqsdump runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// Path → (mode, mtime, sha256) of everything under `root`, `root`
/// included.
fn tree_hash(root: &Path) -> BTreeMap<String, (u32, u128, String)> {
    fn walk(root: &Path, path: &Path, out: &mut BTreeMap<String, (u32, u128, String)>) {
        let m = fs::symlink_metadata(path).unwrap();
        let mtime = m
            .modified()
            .unwrap()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let digest = if m.is_file() {
            hex::encode(Sha256::digest(fs::read(path).unwrap()))
        } else {
            String::new()
        };
        let rel = path.strip_prefix(root).unwrap().display().to_string();
        out.insert(rel, (m.permissions().mode(), mtime, digest));
        if m.is_dir() {
            for e in fs::read_dir(path).unwrap() {
                walk(root, &e.unwrap().path(), out);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

fn chmod_tree(path: &Path, writable: bool) {
    let m = fs::symlink_metadata(path).unwrap();
    if m.is_dir() {
        if writable {
            fs::set_permissions(path, fs::Permissions::from_mode(0o755)).unwrap();
        }
        for e in fs::read_dir(path).unwrap() {
            chmod_tree(&e.unwrap().path(), writable);
        }
        if !writable {
            fs::set_permissions(path, fs::Permissions::from_mode(0o555)).unwrap();
        }
    } else {
        let mode = if writable { 0o644 } else { 0o444 };
        fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
    }
}

/// A data directory holding the sample at term 2, index 100, and a newer
/// snap file (term 3, index 200) whose `.fsm` file is missing.
fn data_dir(root: &Path) -> NodeDir {
    let node = NodeDir::create(root).unwrap();
    node.add_snapshot(2, 100, SAMPLE).unwrap();
    let crc = sqsdump::testkit::node::crc32c(SAMPLE);
    node.write_snap(&snap_name(3, 200), &snap_file(3, 200, &token(200, crc)))
        .unwrap();
    node
}

fn error_line(out: &Output) -> String {
    let stderr = text(&out.stderr);
    stderr
        .lines()
        .find(|l| l.starts_with("error["))
        .unwrap_or_default()
        .to_string()
}

// REQ-NODE-5, REQ-ERR-3, REQ-CLI-8
#[test]
fn a_data_dir_decodes_like_its_fsm_file_with_the_skipped_snapshot_warned() {
    let t = tempfile::tempdir().unwrap();
    let node = data_dir(&t.path().join("data"));
    let fsm = node.fsm_path(100);
    for engine in ENGINES {
        let want = t.path().join(format!("want-{engine}"));
        let out = sqsdump(&[
            "decode",
            "--input",
            p(&fsm),
            "--output",
            p(&want),
            "--engine",
            engine,
        ]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        for (i, args) in [["--data-dir", p(node.root())], ["--input", p(node.root())]]
            .iter()
            .enumerate()
        {
            let got = t.path().join(format!("got-{engine}-{i}"));
            let mut argv = vec!["decode", "--output", p(&got), "--engine", engine];
            argv.extend_from_slice(args);
            let out = sqsdump(&argv);
            let stderr = text(&out.stderr);
            assert!(out.status.success(), "{stderr}");
            assert_eq!(files(&got), files(&want), "{engine} {args:?}");
            let manifest = text(&fs::read(got.join("MANIFEST.json")).unwrap());
            assert!(manifest.contains(r#""snapshot_index": 100,"#), "{manifest}");
            assert!(
                manifest.contains(r#""fsm_path": "0000000000000064.fsm","#),
                "{manifest}"
            );
            let crc = format!("{:08x}", sqsdump::testkit::node::crc32c(SAMPLE));
            assert!(
                manifest.contains(&format!(r#""fsm_crc32c": "{crc}","#)),
                "{manifest}"
            );
            // The skipped snapshot is the first warning, and is counted.
            let first = stderr.lines().next().unwrap();
            let v: serde_json::Value = serde_json::from_str(first).unwrap();
            assert_eq!(v["event"], "node_snapshot_skipped", "{stderr}");
            assert_eq!(v["class"], "fsm_not_found");
            assert_eq!(
                v["path"],
                p(&node.root().join("fsm-snap/00000000000000c8.fsm"))
            );
            assert!(v["reason"].as_str().unwrap().contains("not found"));
            assert!(stderr.contains("(warnings: 4)"), "{stderr}");
            assert!(stderr.contains("footer: crc-32c"), "{stderr}");
        }
    }
}

/// A change to a data directory.
type Damage = Box<dyn Fn(&NodeDir)>;

// REQ-NODE-5, REQ-FSM-12
#[test]
fn the_footer_is_required_and_checked_against_the_token() {
    let t = tempfile::tempdir().unwrap();
    let cases: [(&str, Damage); 3] = [
        (
            // The footer agrees with the token; the payload does not.
            "crc_mismatch",
            Box::new(|n: &NodeDir| {
                let mut bytes = fsm_file(SAMPLE);
                bytes[40] ^= 1;
                n.write_fsm(100, &bytes).unwrap();
            }),
        ),
        (
            "token_crc_mismatch",
            Box::new(|n: &NodeDir| {
                let mut bytes = fsm_file(SAMPLE);
                let last = bytes.len() - 1;
                bytes[last] ^= 1;
                n.write_fsm(100, &bytes).unwrap();
            }),
        ),
        (
            "no_usable_snapshot",
            Box::new(|n: &NodeDir| {
                fs::remove_file(n.fsm_path(100)).unwrap();
            }),
        ),
    ];
    for (i, (class, damage)) in cases.iter().enumerate() {
        let node = data_dir(&t.path().join(format!("data{i}")));
        damage(&node);
        for engine in ENGINES {
            let out_dir = t.path().join(format!("out-{i}-{engine}"));
            let out = sqsdump(&[
                "decode",
                "--data-dir",
                p(node.root()),
                "-o",
                p(&out_dir),
                "--engine",
                engine,
            ]);
            assert_eq!(out.status.code(), Some(1), "{class} {engine}");
            assert!(
                error_line(&out).starts_with(&format!("error[{class}]: ")),
                "{class} {engine}: {}",
                text(&out.stderr)
            );
            assert!(!out_dir.exists());
            let leftovers: Vec<_> = fs::read_dir(t.path())
                .unwrap()
                .map(|e| e.unwrap().file_name().into_string().unwrap())
                .filter(|n| n.starts_with('.'))
                .collect();
            assert!(leftovers.is_empty(), "{leftovers:?}");
        }
    }
}

// REQ-NODE-5, REQ-CLI-1
#[test]
fn input_directories_that_are_not_data_dirs_are_refused_and_flags_conflict() {
    let t = tempfile::tempdir().unwrap();
    let plain = t.path().join("plain");
    fs::create_dir(&plain).unwrap();
    fs::write(plain.join("input.fsm"), SAMPLE).unwrap();
    let out_dir = t.path().join("out");
    let out = sqsdump(&["decode", "--input", p(&plain), "--output", p(&out_dir)]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        error_line(&out),
        format!(
            "error[data_dir_invalid]: {}: the input is a directory but not a node data \
             directory (it holds neither snap/ nor fsm-snap/): give a .fsm file, `-` or a \
             node's data directory",
            plain.display()
        )
    );
    assert!(!out_dir.exists());

    // A directory with only one of the two is a data directory missing
    // the other.
    fs::create_dir(plain.join("snap")).unwrap();
    let out = sqsdump(&["decode", "--input", p(&plain), "--output", p(&out_dir)]);
    assert!(
        error_line(&out).starts_with(&format!(
            "error[data_dir_invalid]: {}: missing",
            plain.join("fsm-snap").display()
        )),
        "{}",
        text(&out.stderr)
    );

    let out = sqsdump(&[
        "decode",
        "--input",
        "x.fsm",
        "--data-dir",
        p(&plain),
        "--output",
        p(&out_dir),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("cannot be used with"));
    let out = sqsdump(&["decode", "--output", p(&out_dir)]);
    assert_eq!(out.status.code(), Some(2));
}

// REQ-NODE-6
#[test]
fn a_read_only_data_dir_is_decoded_and_left_identical() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path().join("data");
    let node = data_dir(&root);
    // Files the node would clean up or etcd would rename stay as they are.
    node.write_snap("0000000000000001-0000000000000001.snap.broken", b"x")
        .unwrap();
    fs::write(root.join("fsm-snap/0000000000000099.fsm.tmp"), b"x").unwrap();
    chmod_tree(&root, false);
    let before = tree_hash(&root);
    assert!(before.values().all(|(mode, ..)| mode & 0o222 == 0));
    for engine in ENGINES {
        let out_dir = t.path().join(format!("out-{engine}"));
        let out = sqsdump(&[
            "decode",
            "--data-dir",
            p(&root),
            "--output",
            p(&out_dir),
            "--engine",
            engine,
        ]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert!(out_dir.join("MANIFEST.json").is_file());
    }
    let after = tree_hash(&root);
    chmod_tree(&root, true);
    assert_eq!(after, before, "the data directory changed");
}

// REQ-NODE-6
#[test]
fn an_output_inside_the_data_dir_is_refused() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path().join("data");
    data_dir(&root);
    fs::create_dir(t.path().join("elsewhere")).unwrap();
    let before = tree_hash(&root);
    let inside: [PathBuf; 4] = [
        root.join("backup"),
        root.join("fsm-snap/new/deeper"),
        // Through `..` and a symlink to the data directory.
        t.path().join("elsewhere/../data/backup"),
        t.path().join("link/backup"),
    ];
    std::os::unix::fs::symlink(&root, t.path().join("link")).unwrap();
    for out_dir in &inside {
        for flag in ["--data-dir", "--input"] {
            let out = sqsdump(&["decode", flag, p(&root), "--output", p(out_dir)]);
            assert_eq!(out.status.code(), Some(1), "{}", out_dir.display());
            assert_eq!(
                error_line(&out),
                format!(
                    "error[unsafe_output]: unsafe output {}: inside the node data directory \
                     {}: write the backup elsewhere",
                    out_dir.display(),
                    root.display()
                )
            );
        }
    }
    assert_eq!(tree_hash(&root), before);
    // A sibling whose name merely starts with the data directory's is fine.
    let sibling = t.path().join("data-backup");
    let out = sqsdump(&["decode", "--data-dir", p(&root), "--output", p(&sibling)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
}

// REQ-NODE-5, REQ-CLI-1
#[test]
fn the_help_examples_on_the_node_layout_run() {
    let out = sqsdump(&["decode", "--help"]);
    let help = text(&out.stdout);
    let examples: Vec<&str> = help
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("sqsdump decode") && l.contains("/data"))
        .collect();
    assert_eq!(
        examples,
        [
            "sqsdump decode --input /data/fsm-snap/0000000000000064.fsm --output ./dump",
            "sqsdump decode --data-dir /data --output ./dump",
            "sqsdump decode -i /data/fsm-snap/0000000000000064.fsm -o ./dump --require-footer",
        ]
    );
    let t = tempfile::tempdir().unwrap();
    let root = t.path().join("data");
    let node = NodeDir::create(&root).unwrap();
    node.add_snapshot(2, 100, SAMPLE).unwrap();
    let mut dumps = Vec::new();
    for (i, example) in examples.iter().enumerate() {
        let dump = t.path().join(format!("dump{i}"));
        let line = example
            .replace("/data", p(&root))
            .replace("./dump", p(&dump));
        let argv: Vec<&str> = line.split_whitespace().skip(1).collect();
        let out = sqsdump(&argv);
        assert!(out.status.success(), "{line}: {}", text(&out.stderr));
        dumps.push(files(&dump));
    }
    assert!(dumps.iter().all(|d| *d == dumps[0]));
    let manifest = text(&dumps[0]["MANIFEST.json"]);
    assert!(manifest.contains(r#""snapshot_index": 100,"#), "{manifest}");
}
