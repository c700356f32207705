//! The corpus judged against upstream (REQ-CONF-9, and REQ-CONF-10 for
//! the encoder), without upstream: the committed expectations blame only
//! Decisions, name only existing cases, and agree with
//! `conformance/UPSTREAM.md`. `scripts/upstream-check` runs the real
//! binaries when they are present.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use sqsdump::gate::{expect, report};

fn corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("conformance")
}

/// Heading of UPSTREAM.md's encode section; the decode table is above it.
const ENCODE_HEADING: &str = "## The encode direction";

/// The failures listed in `expectations/<file>`: each blames a Decision
/// and names a case (a directory holding `marker`) of `cases`. Returns
/// the count per requirement.
fn checked_expectations(file: &str, cases: &Path, marker: &str) -> BTreeMap<String, usize> {
    let text = fs::read_to_string(corpus().join("expectations").join(file)).unwrap();
    let expected = expect::parse(&text).unwrap();
    let reqs = report::requirements();
    let mut per_req: BTreeMap<String, usize> = BTreeMap::new();
    for (req, case) in &expected {
        let r = reqs
            .get(req)
            .unwrap_or_else(|| panic!("{req} is not in SPEC.md"));
        assert!(r.decision, "{req} {case}: {req} is not a [Decision]");
        assert!(
            cases.join(case).join(marker).exists(),
            "{case} is not a case of {}",
            cases.display()
        );
        *per_req.entry(req.clone()).or_default() += 1;
    }
    per_req
}

/// UPSTREAM.md's table rows (requirement → case count) of one section.
fn table_rows(section: &str) -> BTreeMap<String, usize> {
    section
        .lines()
        .filter(|l| l.starts_with("| REQ-"))
        .map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            (cells[1].to_string(), cells[3].parse().unwrap())
        })
        .collect()
}

fn upstream_md() -> (String, String) {
    let text = fs::read_to_string(corpus().join("UPSTREAM.md")).unwrap();
    let (decode, encode) = text
        .split_once(ENCODE_HEADING)
        .unwrap_or_else(|| panic!("UPSTREAM.md has no {ENCODE_HEADING:?} section"));
    (decode.to_string(), encode.to_string())
}

// REQ-CONF-9
#[test]
fn upstream_expectations_blame_only_decisions_of_existing_cases() {
    // `description`: a case holds `input.fsm` or a data directory `input/`.
    let per_req = checked_expectations("upstream-head.txt", &corpus(), "description");
    assert!(per_req.values().sum::<usize>() > 100, "{per_req:?}");
    // UPSTREAM.md has one row per requirement with its case count.
    assert_eq!(table_rows(&upstream_md().0), per_req);
}

// REQ-CONF-10
#[test]
fn upstream_encode_expectations_blame_only_decisions_of_existing_cases() {
    let per_req = checked_expectations(
        "upstream-encode-head.txt",
        &corpus().join("encode"),
        "input/MANIFEST.json",
    );
    assert!(per_req.values().sum::<usize>() > 5, "{per_req:?}");
    assert_eq!(table_rows(&upstream_md().1), per_req);
}

// REQ-CONF-9, REQ-CONF-10, REQ-ARC-8
#[test]
fn the_check_script_skips_without_the_binary() {
    let out = std::process::Command::new("bash")
        .arg(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/upstream-check"))
        .arg("/nonexistent/elastickv-snapshot-decode")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "skipped: no upstream binary (/nonexistent/elastickv-snapshot-decode)\n\
         skipped: no upstream archive tool (/nonexistent/elastickv-snapshot-archive-head)\n\
         skipped: no upstream encoder (/nonexistent/elastickv-snapshot-encode-head)\n"
    );
}
