//! The committed conformance corpus (`conformance/`): it equals what the
//! case definitions generate, its case names are SPEC.md requirements, and
//! it covers every requirement, Decision and error class it can.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use sqsdump::gate::corpus::enc::{ENCODE_DIR, EXPECTED_FSM, INPUT_DIR, SYMLINKS_FILE};
use sqsdump::gate::corpus::{self, split_case_name};
use sqsdump::gate::verify::load_tree;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn corpus_dir() -> PathBuf {
    root().join("conformance")
}

const REGENERATE: &str =
    "regenerate with `cargo run -- corpus --output conformance` and review the diff";

/// Requirement sections of SPEC.md: ID → (heading and body text).
fn spec_sections() -> BTreeMap<String, String> {
    let spec = fs::read_to_string(root().join("SPEC.md")).unwrap();
    let mut out = BTreeMap::new();
    let mut current: Option<(String, String)> = None;
    for line in spec.lines() {
        if line.starts_with("## ") || line.starts_with("### ") {
            if let Some((id, text)) = current.take() {
                out.insert(id, text);
            }
        }
        if let Some(h) = line.strip_prefix("### ") {
            if let Some((id, _)) = split_case_name(
                &format!("{} x", h.split(':').next().unwrap_or("")).replace(' ', "-"),
            ) {
                current = Some((id.to_string(), String::new()));
            }
        }
        if let Some((_, text)) = &mut current {
            text.push_str(line);
            text.push('\n');
        }
    }
    if let Some((id, text)) = current {
        out.insert(id, text);
    }
    out
}

/// The case directories of the committed corpus.
fn committed_cases() -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(corpus_dir())
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_dir())
        .map(|e| e.file_name().into_string().unwrap())
        .filter(|n| !corpus::KEPT.contains(&n.as_str()) && n != ENCODE_DIR)
        .collect();
    names.sort();
    names
}

fn encode_dir() -> PathBuf {
    corpus_dir().join(ENCODE_DIR)
}

/// The case directories of the corpus's encode section.
fn committed_encode_cases() -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(encode_dir())
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_dir())
        .map(|e| e.file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

fn case_ids() -> BTreeSet<String> {
    committed_cases()
        .iter()
        .filter_map(|c| split_case_name(c).map(|(id, _)| id.to_string()))
        .collect()
}

// REQ-CONF-2
#[test]
fn committed_corpus_equals_the_generated_one() {
    let generated = corpus::generate().unwrap_or_else(|problems| {
        panic!("the case definitions do not hold:\n{}", problems.join("\n"))
    });
    let tree = load_tree(&corpus_dir()).unwrap();
    assert!(tree.problems.is_empty(), "{:?}", tree.problems);
    let committed = &tree.model.files;
    let missing: Vec<&String> = generated
        .keys()
        .filter(|p| !committed.contains_key(*p))
        .collect();
    let kept = |p: &str| {
        corpus::KEPT
            .iter()
            .any(|k| p == *k || p.starts_with(&format!("{k}/")))
    };
    let extra: Vec<&String> = committed
        .keys()
        .filter(|p| !generated.contains_key(*p) && !kept(p))
        .collect();
    let differ: Vec<&String> = generated
        .iter()
        .filter(|(p, b)| committed.get(*p).is_some_and(|c| c != *b))
        .map(|(p, _)| p)
        .collect();
    assert!(
        missing.is_empty() && extra.is_empty() && differ.is_empty(),
        "conformance/ is stale ({REGENERATE}):\nmissing {missing:?}\nextra {extra:?}\ndiffer {differ:?}"
    );
}

// REQ-CONF-2
#[test]
fn generation_is_deterministic() {
    assert_eq!(corpus::generate().unwrap(), corpus::generate().unwrap());
}

// REQ-CONF-1
#[test]
fn every_case_is_named_after_a_spec_requirement_and_has_the_case_files() {
    let sections = spec_sections();
    assert!(sections.len() > 50, "SPEC.md sections not found");
    for name in committed_cases() {
        let (id, slug) =
            split_case_name(&name).unwrap_or_else(|| panic!("{name}: not <REQ-ID>-<slug>"));
        assert!(
            sections.contains_key(id),
            "{name}: {id} is not defined in SPEC.md"
        );
        assert!(
            slug.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-'),
            "{name}: the slug may hold only letters, digits and '-'"
        );
        let dir = corpus_dir().join(&name);
        let mut entries: Vec<String> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        entries.sort();
        // A data-directory case (REQ-NODE-5) holds `input/` instead.
        let input = if name.starts_with("REQ-NODE-") {
            "input"
        } else {
            "input.fsm"
        };
        let tree = ["description", "expected", "flags", input];
        let error = [
            "description",
            "expected-error",
            "expected-stderr",
            "flags",
            input,
        ];
        assert!(
            entries == tree || entries == error,
            "{name}: holds {entries:?}"
        );
        let flags = fs::read_to_string(dir.join("flags")).unwrap();
        for f in flags.lines() {
            assert!(
                corpus::KNOWN_FLAGS.contains(&f),
                "{name}: unknown flag {f:?}"
            );
        }
        let description = fs::read_to_string(dir.join("description")).unwrap();
        assert!(
            description.ends_with('\n') && description.lines().count() == 1,
            "{name}: description must be one line"
        );
    }
    assert!(corpus_dir().join("README.md").is_file());
}

/// Requirements that no tree or exit status of one decode can show, and
/// why.
const NOT_OBSERVABLE: [(&str, &str); 17] = [
    ("REQ-KEY-7", "builders are a library interface"),
    ("REQ-ERR-1", "shown by every expected-error case; the class is named after the requirement that raises it"),
    ("REQ-ERR-3", "warnings go to stderr, which is not compared"),
    ("REQ-CLI-2", "every expected-error case demands a non-zero exit; the exact code is sqsdump's CLI"),
    ("REQ-CLI-3", "stderr is not compared"),
    ("REQ-CLI-4", "conform always hands out an absent output path"),
    ("REQ-CLI-7", "file modes are not part of a tree"),
    ("REQ-CLI-9", "every case is a reproducibility check"),
    ("REQ-CLI-10", "a command of sqsdump, not of a decoder"),
    ("REQ-CLI-11", "a file of this repository; its decode is the case REQ-FSM-6-bundled-sample"),
    ("REQ-OUT-11", "a script that replays a dump into an SQS server, not a decode"),
    ("REQ-CLI-14", "staging directories of killed runs and `sqsdump clean` are the CLI's own housekeeping, not part of a tree; tests/interrupt/staging.rs shows them"),
    ("REQ-CLI-13", "every case is run on a file named input.fsm, so none can carry a node file's name; tests/decode/footer.rs and tests/decode/manifest.rs show it"),
    ("REQ-CONF-1", "the corpus itself"),
    ("REQ-CONF-2", "the corpus itself"),
    ("REQ-OUT-10", "a warning on stderr, which is not compared; tests/gate/verify.rs checks every expected tree's findings against it"),
    ("REQ-DEC-15", "a warning on stderr, which is not compared; tests/engines/large_records.rs shows it for both engines"),
];

// REQ-CONF-1, REQ-CONF-13
#[test]
fn every_error_case_holds_sqsdumps_own_error_line_without_scratch_paths() {
    let decode = committed_cases().into_iter().map(|c| corpus_dir().join(c));
    let encode = committed_encode_cases()
        .into_iter()
        .map(|c| encode_dir().join(c));
    let mut n = 0;
    for dir in decode.chain(encode) {
        let Ok(class) = fs::read_to_string(dir.join("expected-error")) else {
            continue;
        };
        let line = fs::read_to_string(dir.join("expected-stderr")).unwrap();
        let class = class.trim();
        assert!(
            line.starts_with(&format!("error[{class}]: ")) && line.ends_with('\n'),
            "{}: {line:?}",
            dir.display()
        );
        assert_eq!(line.lines().count(), 1, "{}", dir.display());
        assert!(!line.contains("/.tmp"), "{}: {line}", dir.display());
        n += 1;
    }
    assert!(n > 50, "{n}");
}

// REQ-CONF-1
#[test]
fn every_observable_requirement_has_a_case() {
    let ids = case_ids();
    let exempt: BTreeSet<&str> = NOT_OBSERVABLE.iter().map(|(id, _)| *id).collect();
    let sections = spec_sections();
    let missing: Vec<&String> = sections
        .keys()
        .filter(|id| {
            // REQ-ENG-*: both engines must write the same tree, so no
            // tree can tell them apart; tests/engines/engines.rs covers them.
            !ids.contains(*id)
                && !exempt.contains(id.as_str())
                && !id.starts_with("REQ-CONF-")
                && !id.starts_with("REQ-ENG-")
                // REQ-ENC-*: the restore direction has no decode case.
                && !is_encode_direction(id)
                && !is_data_directory(id)
                && !is_archive(id)
        })
        .collect();
    assert!(
        missing.is_empty(),
        "requirements without a conformance case: {missing:?}"
    );
}

/// The restore direction (REQ-ENC) has no decode case: its cases are the
/// corpus's encode section (checked below).
fn is_encode_direction(id: &str) -> bool {
    id.starts_with("REQ-ENC-")
}

/// Archives (REQ-ARC) are packed from and unpacked into trees, and
/// `decode --output X.tar` writes a file, not a tree: no decode case can
/// show them (`tests/archive/archive.rs`, `tests/archive/archive_upstream.rs` and
/// `fuzz:archive_unpack` do).
fn is_archive(id: &str) -> bool {
    id.starts_with("REQ-ARC-")
}

/// The requirements of node data directories that no data-directory case
/// can show: the cases' snap files are all well-formed (the parser's
/// strictness is `tests/decode/node.rs`'s and `fuzz:snap_file`'s), and whether
/// the input directory changed, or an output inside it is refused, is not
/// part of a tree (`tests/decode/node.rs`, `tests/cli/data_dir_cli.rs`).
fn is_data_directory(id: &str) -> bool {
    ["REQ-NODE-1", "REQ-NODE-4", "REQ-NODE-6"].contains(&id)
}

/// Decisions that no tree or exit status can show (REQ-ERR-3: the
/// `--warnings` file lives outside the dump tree; tests/cli_e2e.rs and
/// tests/engines/engines.rs cover it).
const DECISIONS_NOT_OBSERVABLE: [&str; 5] = [
    "REQ-CLI-4",
    "REQ-CLI-7",
    "REQ-CLI-13",
    "REQ-CLI-14",
    "REQ-ERR-3",
];

// REQ-CONF-1
#[test]
fn every_observable_decision_has_a_case_that_shows_it() {
    let mut missing = Vec::new();
    let reqs = sqsdump::gate::report::requirements();
    for id in spec_sections().into_keys() {
        if !reqs.get(&id).is_some_and(|r| r.decision)
            || DECISIONS_NOT_OBSERVABLE.contains(&id.as_str())
            || is_encode_direction(&id)
            || is_data_directory(&id)
            || is_archive(&id)
        {
            continue;
        }
        let shown = committed_cases().iter().any(|c| {
            split_case_name(c).is_some_and(|(cid, _)| cid == id)
                && fs::read_to_string(corpus_dir().join(c).join("description"))
                    .unwrap()
                    .starts_with("[Decision]")
        });
        if !shown {
            missing.push(id);
        }
    }
    assert!(
        missing.is_empty(),
        "Decisions without a [Decision] case: {missing:?}"
    );
}

// REQ-CONF-1
#[test]
fn every_error_class_a_file_can_cause_has_a_case() {
    let mut classes = BTreeSet::new();
    for name in committed_cases() {
        if let Ok(class) = fs::read_to_string(corpus_dir().join(&name).join("expected-error")) {
            assert!(class.ends_with('\n') && !class.trim().is_empty(), "{name}");
            classes.insert(class.trim().to_string());
        }
    }
    let want: BTreeSet<String> = [
        "bad_magic",
        "unsupported_format",
        "truncated",
        "short_key",
        "short_value",
        "key_too_large",
        "value_too_large",
        "encrypted_entry",
        "reserved_flags",
        "malformed_sqs_key",
        "invalid_queue_meta",
        "invalid_message",
        "invalid_gen_value",
        "path_collision",
        "crc_mismatch",
        "missing_footer",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let missing: Vec<&String> = want.difference(&classes).collect();
    assert!(
        missing.is_empty(),
        "error classes without a case: {missing:?}"
    );
}

fn sqsdump(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_sqsdump"))
        .args(args)
        .output()
        .unwrap()
}

fn tree_files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    load_tree(dir).unwrap().model.files
}

// REQ-CONF-2
#[test]
fn corpus_command_writes_replaces_and_refuses_foreign_directories() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("c");
    let o = sqsdump(&["corpus", "--output", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let first = tree_files(&out);
    assert_eq!(first, corpus::generate().unwrap());
    // An earlier corpus is replaced, stale cases included.
    fs::create_dir(out.join("REQ-DEC-1-stale-case")).unwrap();
    fs::write(out.join("REQ-DEC-1-stale-case/flags"), "").unwrap();
    let o = sqsdump(&["corpus", "--output", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(tree_files(&out), first);
    // A directory holding anything else is refused and left alone.
    let foreign = tmp.path().join("home");
    fs::create_dir(&foreign).unwrap();
    fs::write(foreign.join("notes.txt"), "keep me").unwrap();
    let o = sqsdump(&["corpus", "--output", foreign.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).starts_with("error[unsafe_output]: "));
    assert_eq!(
        fs::read_to_string(foreign.join("notes.txt")).unwrap(),
        "keep me"
    );
    // Nothing is left beside the output.
    let leftovers: Vec<_> = fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

// REQ-CONF-10
#[test]
fn every_encode_case_is_named_after_a_spec_requirement_and_has_the_case_files() {
    let sections = spec_sections();
    let cases = committed_encode_cases();
    assert!(cases.len() > 20, "only {} encode cases", cases.len());
    for name in cases {
        let (id, slug) =
            split_case_name(&name).unwrap_or_else(|| panic!("{name}: not <REQ-ID>-<slug>"));
        assert!(id.starts_with("REQ-ENC-"), "{name}: not a REQ-ENC case");
        assert!(sections.contains_key(id), "{name}: {id} is not in SPEC.md");
        assert!(
            slug.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-'),
            "{name}: the slug may hold only letters, digits and '-'"
        );
        let dir = encode_dir().join(&name);
        let mut entries: Vec<String> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        entries.sort();
        // An optional list of symlinks to make in the input.
        entries.retain(|e| e != SYMLINKS_FILE);
        let snapshot = ["description", EXPECTED_FSM, "flags", INPUT_DIR];
        let error = [
            "description",
            "expected-error",
            "expected-stderr",
            "flags",
            INPUT_DIR,
        ];
        assert!(
            entries == snapshot || entries == error,
            "{name}: holds {entries:?}"
        );
        for f in fs::read_to_string(dir.join("flags")).unwrap().lines() {
            assert!(
                f.strip_prefix("--last-commit-ts=")
                    .is_some_and(|n| n.parse::<u64>().is_ok()),
                "{name}: unknown flag {f:?}"
            );
        }
        let description = fs::read_to_string(dir.join("description")).unwrap();
        assert!(
            description.ends_with('\n') && description.lines().count() == 1,
            "{name}: description must be one line"
        );
        let decision = sqsdump::gate::report::requirements()[id].decision;
        assert!(
            !description.starts_with("[Decision]") || decision,
            "{name}: [Decision] marks only cases of Decisions"
        );
    }
}

/// REQ-ENC requirements that no snapshot or exit status of one encode
/// can show, and why.
const ENCODE_NOT_OBSERVABLE: [(&str, &str); 8] = [
    ("REQ-ENC-5", "every expected-error case names its class"),
    (
        "REQ-ENC-11",
        "every expected-error case demands nothing at the output path",
    ),
    (
        "REQ-ENC-12",
        "the command line of sqsdump, not of an encoder",
    ),
    (
        "REQ-ENC-13",
        "a property of two runs, checked by tests/encode/encode_props.rs",
    ),
    (
        "REQ-ENC-17",
        "memory use, not bytes: tests/encode/encode_spill.rs checks that spilling changes nothing",
    ),
    (
        "REQ-ENC-18",
        "the sidecar beside the output, which the gate does not judge: tests/encode/encode_info.rs checks it with upstream's restore checks",
    ),
    (
        "REQ-ENC-19",
        "sqsdump's --self-test flag; the corpus runs encoders without it",
    ),
    (
        "REQ-ENC-20",
        "memory use at the default limit and lines of megabytes: tests/engines/large_records.rs measures it",
    ),
];

// REQ-CONF-10
#[test]
fn every_observable_encode_requirement_has_a_case() {
    let ids: BTreeSet<String> = committed_encode_cases()
        .iter()
        .filter_map(|c| split_case_name(c).map(|(id, _)| id.to_string()))
        .collect();
    let exempt: BTreeSet<&str> = ENCODE_NOT_OBSERVABLE.iter().map(|(id, _)| *id).collect();
    let missing: Vec<String> = spec_sections()
        .into_keys()
        .filter(|id| is_encode_direction(id) && !ids.contains(id) && !exempt.contains(id.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "REQ-ENC without an encode case: {missing:?}"
    );
}

// REQ-CONF-10
#[test]
fn every_encode_error_class_a_dump_can_cause_has_a_case() {
    let classes: BTreeSet<String> = committed_encode_cases()
        .iter()
        .filter_map(|c| fs::read_to_string(encode_dir().join(c).join("expected-error")).ok())
        .map(|c| c.trim().to_string())
        .collect();
    // Not here: entry_too_large (a key over 1 MiB), duplicate_key (no
    // dump that passes the line checks yields one), unsafe_output and io
    // (the output path and the file system, not the dump), and
    // self_test_mismatch (only under --self-test, REQ-ENC-19).
    let want = [
        "invalid_manifest",
        "unsupported_dump",
        "invalid_checksums",
        "checksum_mismatch",
        "unexpected_entry",
        "invalid_queue_file",
        "directory_mismatch",
        "invalid_message_line",
        "invalid_partition",
        "duplicate_message_id",
        "commit_ts_regression",
    ];
    let missing: Vec<&&str> = want.iter().filter(|c| !classes.contains(**c)).collect();
    assert!(
        missing.is_empty(),
        "encode error classes without a case: {missing:?}"
    );
}
