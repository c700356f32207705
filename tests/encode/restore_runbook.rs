//! Every valid backup enters elastickv's restore runbook
//! (`docs/operations/snapshot_restore.md` upstream): the dump `decode
//! --cluster-id` writes from any `valid` or `shared` snapshot encodes with
//! `--self-test`, its payload and ENCODE_INFO sidecar pass the checks of
//! upstream's `elastickv-snapshot-prepare-restore` (restated in
//! `prepare_restore`) for the cluster it came from, and the restored
//! snapshot decodes to the first dump after the round trip's
//! normalisation, bare and as the node file prepare-restore writes
//! (`fsm-snap/<index>.fsm`: the payload and its big-endian CRC-32C).
//!
//! The property drives the library functions the CLI calls (the stream
//! engine's `prepare`/`commit` for `decode`, `encode_to_file_with` for
//! `encode`); the other tests run the commands themselves, the README's
//! included. 64 cases per property by default; `PROPTEST_CASES`
//! overrides.

use crate::prepare_restore;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use proptest::prelude::*;

use prepare_restore::{Flags, Refusal};
use sqsdump::decode::Options;
use sqsdump::encode::check::{decode_sqs, normalised};
use sqsdump::encode::info::sidecar_path;
use sqsdump::encode::{encode_to_file_with, EncodeOptions, FileOptions};
use sqsdump::engine::stream::{self, Control};
use sqsdump::fsm::append_footer;
use sqsdump::manifest::{wall_time, ManifestInfo};
use sqsdump::snapshot::decode_snapshot;
use sqsdump::testkit::seeded::{write_snapshot, GenOptions};
use sqsdump::testkit::snapshot::{Profile, SharedSnapshot, ValidSnapshot};

use crate::common::model;

const EPOCH: u64 = 1_700_000_000;

fn config() -> ProptestConfig {
    let mut c = ProptestConfig::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        c.cases = 64;
    }
    c
}

/// The files under `root/sqs`, keyed by their path relative to `root`
/// (`sqs/<queue>/messages.jsonl`).
fn sqs_tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let Ok(queues) = fs::read_dir(root.join("sqs")) else {
        return files;
    };
    for q in queues {
        let q = q.unwrap();
        for f in fs::read_dir(q.path()).unwrap() {
            let f = f.unwrap();
            files.insert(
                format!(
                    "sqs/{}/{}",
                    q.file_name().to_string_lossy(),
                    f.file_name().to_string_lossy()
                ),
                fs::read(f.path()).unwrap(),
            );
        }
    }
    files
}

/// The `sqs/` files of a decode of the node file `node` with
/// `--require-footer`.
fn decode_node_file(node: &[u8]) -> Result<BTreeMap<String, Vec<u8>>, sqsdump::Error> {
    let opts = Options {
        require_footer: true,
        ..Options::default()
    };
    let (model, _) = decode_snapshot(node, opts, &mut |_| {})?;
    Ok(model
        .files
        .into_iter()
        .filter(|(p, _)| p.starts_with("sqs/"))
        .collect())
}

/// `fsm` (a bare payload or a node file) through the runbook with the
/// library functions the CLI calls: `decode --cluster-id CLUSTER`, then
/// `encode --self-test`, then prepare-restore's checks with
/// `--target-cluster-id CLUSTER`, then decode of the restored payload and
/// of its node file. Returns the number of queues restored.
fn through_the_runbook(fsm: &[u8], cluster: &str, footer: bool) -> Result<u64, String> {
    let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let dump = tmp.path().join("dump");
    let ctl = Control::default();
    let cfg = stream::Config {
        opts: Options {
            require_footer: footer,
            ..Options::default()
        },
        sync_files: false,
        ..stream::Config::default()
    };
    let info = ManifestInfo {
        source_name: "snapshot.fsm".to_string(),
        wall_time: wall_time(Some(EPOCH)),
        cluster_id: Some(cluster.to_string()),
        ..ManifestInfo::default()
    };
    stream::prepare(stream::Source::Bytes(fsm), &dump, &cfg, &info, &ctl)
        .and_then(|p| p.commit(&dump, &ctl))
        .map_err(|e| format!("decode: {e}"))?;
    let first = sqs_tree(&dump);

    let out = tmp.path().join("restore.fsm");
    let file = FileOptions {
        self_test: true,
        scratch_root: None,
        source_date_epoch: Some(EPOCH),
    };
    let r = encode_to_file_with(
        &dump,
        &out,
        &EncodeOptions::default(),
        &file,
        &Control::default(),
    )
    .map_err(|e| format!("encode --self-test: {e}"))?;
    if !(r.info.self_test.ran && r.info.self_test.matched) || r.sidecar != sidecar_path(&out) {
        return Err(format!(
            "self-test {:?}, sidecar {:?}",
            r.info.self_test, r.sidecar
        ));
    }

    let target = Flags {
        target_cluster_id: cluster.to_string(),
        ..Flags::default()
    };
    let seen = prepare_restore::check(&out, None, &target)
        .map_err(|e| format!("prepare-restore refuses: {e:?}"))?;
    if seen.manifest_cluster_id != cluster || !seen.self_test_ran || !seen.self_test_matched {
        return Err(format!("the sidecar as prepare-restore reads it: {seen:?}"));
    }
    let other = Flags {
        target_cluster_id: format!("{cluster}-other"),
        ..Flags::default()
    };
    match prepare_restore::check(&out, None, &other) {
        Err(Refusal::ClusterIdMismatch) => {}
        got => return Err(format!("another cluster's restore: {got:?}")),
    }

    let payload = fs::read(&out).map_err(|e| e.to_string())?;
    let restored = decode_sqs(&payload).map_err(|e| format!("decode of the restore: {e}"))?;
    let want = normalised(&first);
    if restored != want {
        let path = want
            .iter()
            .find(|(p, b)| restored.get(*p) != Some(*b))
            .map(|(p, _)| p.clone());
        return Err(format!(
            "the restore decodes to another dump (first difference {path:?}; {} vs {} files)",
            restored.len(),
            want.len()
        ));
    }

    let mut node = payload;
    append_footer(&mut node);
    let from_node = decode_node_file(&node).map_err(|e| format!("decode --require-footer: {e}"))?;
    if from_node != want {
        return Err("the node file decodes to another dump".to_string());
    }
    Ok(r.summary.queues)
}

fn check(fsm: &[u8], cluster: &str, footer: bool) -> Result<(), TestCaseError> {
    through_the_runbook(fsm, cluster, footer)
        .map(|_| ())
        .map_err(TestCaseError::fail)
}

/// Cluster ids: plain names, and any printable text (HTML characters and
/// non-ASCII included, which the sidecar escapes).
fn cluster_id() -> impl Strategy<Value = String> {
    prop_oneof!["[a-z][a-z0-9-]{0,15}", "\\PC{1,12}"]
}

proptest! {
    #![proptest_config(config())]

    // REQ-ENC-13, REQ-ENC-18, REQ-ENC-19
    /// Every `valid` snapshot's backup enters the runbook and restores.
    #[test]
    fn valid_backups_pass_the_restore_runbook(
        ValidSnapshot(m) in model::<ValidSnapshot>(4096),
        cluster in cluster_id(),
    ) {
        check(&m.to_fsm_bytes(), &cluster, false)?;
    }

    // REQ-ENC-13, REQ-ENC-18, REQ-ENC-19
    /// Every `shared` snapshot's backup too.
    #[test]
    fn shared_backups_pass_the_restore_runbook(
        SharedSnapshot(m) in model::<SharedSnapshot>(4096),
        cluster in cluster_id(),
    ) {
        check(&m.to_fsm_bytes(), &cluster, false)?;
    }

    // REQ-ENC-13, REQ-ENC-18, REQ-ENC-19, REQ-FSM-11
    /// The snapshots `sqsdump gen` writes (`valid` and `shared`, with
    /// `--footer` or without), any seed and size; with the footer the
    /// first decode requires it, as `decode --require-footer` does.
    #[test]
    fn generated_backups_pass_the_restore_runbook(
        seed in any::<u64>(),
        shared in any::<bool>(),
        footer in any::<bool>(),
        queues in 1usize..5,
        messages in 0u64..60,
        cluster in cluster_id(),
    ) {
        let profile = if shared { Profile::Shared } else { Profile::Valid };
        let mut fsm = Vec::new();
        write_snapshot(GenOptions { seed, profile, queues, messages }, &mut fsm)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        if footer {
            append_footer(&mut fsm);
        }
        check(&fsm, &cluster, footer)?;
    }
}

// REQ-ENC-13
/// The property is not vacuous: the seeded backups it sees restore
/// queues of every profile.
#[test]
fn the_runbook_property_restores_queues() {
    let mut queues = 0;
    for seed in 0..8u64 {
        let mut fsm = Vec::new();
        let profile = if seed % 2 == 0 {
            Profile::Valid
        } else {
            Profile::Shared
        };
        write_snapshot(
            GenOptions {
                seed,
                profile,
                queues: 3,
                messages: 30,
            },
            &mut fsm,
        )
        .unwrap();
        queues += through_the_runbook(&fsm, "prod", false).unwrap();
    }
    assert!(queues >= 16, "{queues}");
}

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sqsdump"))
}

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/sample.fsm")
}

/// Run `sqsdump ARGS` in `cwd`; it must succeed.
fn sqsdump(cwd: &Path, args: &[&str]) -> String {
    let out = bin()
        .current_dir(cwd)
        .args(args)
        .env("SOURCE_DATE_EPOCH", EPOCH.to_string())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "sqsdump {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

// REQ-CLI-11, REQ-ENC-18, REQ-ENC-19, REQ-FSM-11
/// The bundled sample through the runbook with the real commands:
/// `decode --cluster-id` → `encode --self-test` → prepare-restore's
/// checks pass for that cluster (and for `--fresh-cluster`), refuse
/// another cluster, and refuse the payload once a byte of it changes; the
/// node file prepare-restore would write decodes with `--require-footer`
/// to the same dump.
#[test]
fn the_bundled_sample_enters_the_restore_runbook_from_the_command_line() {
    let tmp = tempfile::tempdir().unwrap();
    let cwd = tmp.path();
    let sample = sample();
    let sample = sample.to_str().unwrap();
    sqsdump(
        cwd,
        &[
            "decode",
            "--input",
            sample,
            "--output",
            "dump",
            "--cluster-id",
            "prod-tokyo",
        ],
    );
    sqsdump(cwd, &["verify", "dump"]);
    let summary = sqsdump(
        cwd,
        &[
            "encode",
            "--input",
            "dump",
            "--output",
            "restore.fsm",
            "--self-test",
        ],
    );
    assert!(
        summary.contains("(ENCODE_INFO restore.fsm.encode_info.json, self-test matched)"),
        "{summary}"
    );
    let payload = cwd.join("restore.fsm");
    let info = prepare_restore::check(
        &payload,
        None,
        &Flags {
            target_cluster_id: "prod-tokyo".to_string(),
            ..Flags::default()
        },
    )
    .unwrap();
    assert_eq!(info.manifest_cluster_id, "prod-tokyo");
    assert!(info.self_test_ran && info.self_test_matched);
    let fresh = Flags {
        fresh_cluster: true,
        ..Flags::default()
    };
    prepare_restore::check(&payload, None, &fresh).unwrap();
    assert_eq!(
        prepare_restore::check(
            &payload,
            None,
            &Flags {
                target_cluster_id: "prod-osaka".to_string(),
                ..Flags::default()
            },
        )
        .unwrap_err(),
        Refusal::ClusterIdMismatch
    );

    // The restore decodes to the first dump, bare and as a node file.
    sqsdump(
        cwd,
        &["decode", "--input", "restore.fsm", "--output", "again"],
    );
    let want = normalised(&sqs_tree(&cwd.join("dump")));
    assert_eq!(want.len(), 10, "{:?}", want.keys());
    assert_eq!(sqs_tree(&cwd.join("again")), want);
    let mut node = fs::read(&payload).unwrap();
    append_footer(&mut node);
    fs::create_dir(cwd.join("fsm-snap")).unwrap();
    fs::write(cwd.join("fsm-snap/0000000000000001.fsm"), &node).unwrap();
    sqsdump(
        cwd,
        &[
            "decode",
            "--input",
            "fsm-snap/0000000000000001.fsm",
            "--output",
            "from-node",
            "--require-footer",
        ],
    );
    assert_eq!(sqs_tree(&cwd.join("from-node")), want);

    // A changed payload no longer matches its sidecar.
    let mut bytes = fs::read(&payload).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    fs::write(&payload, &bytes).unwrap();
    assert_eq!(
        prepare_restore::check(&payload, None, &fresh).unwrap_err(),
        Refusal::Sha256Mismatch
    );
}

// REQ-FSM-11, REQ-ENC-13, REQ-ENC-18
/// A node file from `sqsdump gen --footer` through the runbook with the
/// real commands: `decode --require-footer --cluster-id` → `encode
/// --self-test` → prepare-restore's checks pass; the node file of the
/// restored payload decodes with `--require-footer` to the first dump.
#[test]
fn a_generated_node_file_enters_the_restore_runbook_from_the_command_line() {
    for (seed, profile) in [(3, "valid"), (4, "shared")] {
        let tmp = tempfile::tempdir().unwrap();
        let cwd = tmp.path();
        let seed = seed.to_string();
        sqsdump(
            cwd,
            &[
                "gen",
                "--seed",
                &seed,
                "--profile",
                profile,
                "--queues",
                "3",
                "--messages",
                "40",
                "--footer",
                "--output",
                "0000000000000064.fsm",
            ],
        );
        sqsdump(
            cwd,
            &[
                "decode",
                "--input",
                "0000000000000064.fsm",
                "--output",
                "dump",
                "--require-footer",
                "--cluster-id",
                "c1",
            ],
        );
        let manifest = fs::read_to_string(cwd.join("dump/MANIFEST.json")).unwrap();
        assert!(manifest.contains("\"fsm_crc32c\""), "{manifest}");
        sqsdump(
            cwd,
            &[
                "encode",
                "--input",
                "dump",
                "--output",
                "restore.fsm",
                "--self-test",
            ],
        );
        let payload = cwd.join("restore.fsm");
        let info = prepare_restore::check(
            &payload,
            None,
            &Flags {
                target_cluster_id: "c1".to_string(),
                ..Flags::default()
            },
        )
        .unwrap();
        assert_eq!(info.manifest_cluster_id, "c1");
        let mut node = fs::read(&payload).unwrap();
        append_footer(&mut node);
        fs::write(cwd.join("0000000000000001.fsm"), &node).unwrap();
        sqsdump(
            cwd,
            &[
                "decode",
                "--input",
                "0000000000000001.fsm",
                "--output",
                "again",
                "--require-footer",
            ],
        );
        let want = normalised(&sqs_tree(&cwd.join("dump")));
        assert!(!want.is_empty());
        assert_eq!(sqs_tree(&cwd.join("again")), want, "{profile}");
    }
}

/// The shell blocks of the README section `title`, joined.
fn readme_section_commands(title: &str) -> Vec<String> {
    let readme = fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme
        .find(&format!("\n## {title}\n"))
        .unwrap_or_else(|| panic!("README has no section {title:?}"));
    let body = &readme[start + 1..];
    let end = body[3..].find("\n## ").map_or(body.len(), |i| i + 3);
    let body = &body[..end];
    let mut commands = Vec::new();
    let mut in_sh = false;
    let mut current = String::new();
    for line in body.lines() {
        if line.starts_with("```") {
            in_sh = !in_sh && line.trim() == "```sh";
            continue;
        }
        if !in_sh {
            continue;
        }
        let line = line.trim();
        if let Some(cont) = line.strip_suffix('\\') {
            current.push_str(cont);
            continue;
        }
        current.push_str(line);
        if !current.trim().is_empty() && !current.trim_start().starts_with('#') {
            commands.push(current.split_whitespace().collect::<Vec<_>>().join(" "));
        }
        current.clear();
    }
    commands
}

// REQ-CLI-11, REQ-ENC-18, REQ-ENC-19
/// The README's "Restore with elastickv's runbook" section works as
/// written: its `sqsdump` commands run in order on the bundled sample
/// (the paths under `/backups` and `/restore` moved into a scratch
/// directory), and the payload they leave passes prepare-restore's checks
/// with the section's own `--target-cluster-id` and `--fresh-cluster`.
#[test]
fn the_readme_restore_section_runs_as_written() {
    let commands = readme_section_commands("Restore with elastickv's runbook");
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().to_str().unwrap().to_string();
    let sample = sample();
    let mut ran = Vec::new();
    let mut prepare = Vec::new();
    for cmd in &commands {
        let words: Vec<String> = cmd
            .split(' ')
            .map(|w| {
                if w == "examples/sample.fsm" {
                    sample.to_str().unwrap().to_string()
                } else if ["/backups", "/restore"]
                    .iter()
                    .any(|d| w == *d || w.starts_with(&format!("{d}/")))
                {
                    format!("{root}{w}")
                } else {
                    w.to_string()
                }
            })
            .collect();
        match words.first().map(String::as_str) {
            Some("sqsdump") => {
                let args: Vec<&str> = words[1..].iter().map(String::as_str).collect();
                sqsdump(tmp.path(), &args);
                ran.push(args.first().map(|s| s.to_string()).unwrap_or_default());
            }
            Some("mkdir") if words.get(1).map(String::as_str) == Some("-p") => {
                for dir in &words[2..] {
                    assert!(dir.starts_with(&root), "{cmd}");
                    fs::create_dir_all(dir).unwrap();
                }
            }
            Some("elastickv-snapshot-prepare-restore") => prepare.push(words),
            other => panic!("the section runs {other:?}: {cmd}"),
        }
    }
    assert_eq!(ran, ["decode", "verify", "encode"], "{commands:?}");
    assert_eq!(prepare.len(), 2, "{commands:?}");
    for words in prepare {
        let flag = |name: &str| {
            words
                .iter()
                .position(|w| w == name)
                .and_then(|i| words.get(i + 1))
                .cloned()
        };
        let input = PathBuf::from(flag("--input").expect("--input"));
        let flags = Flags {
            target_cluster_id: flag("--target-cluster-id").unwrap_or_default(),
            fresh_cluster: words.iter().any(|w| w == "--fresh-cluster"),
            ..Flags::default()
        };
        assert!(flags.fresh_cluster || !flags.target_cluster_id.is_empty());
        let info = prepare_restore::check(&input, None, &flags)
            .unwrap_or_else(|e| panic!("{words:?}: {e:?}"));
        assert!(info.self_test_ran && info.self_test_matched);
        assert!(!info.manifest_cluster_id.is_empty());
    }
}
