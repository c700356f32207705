//! The corpus judged against upstream (REQ-CONF-9), without upstream: the
//! committed expectations blame only Decisions, name only existing cases,
//! and agree with `conformance/UPSTREAM.md`. `scripts/upstream-check`
//! runs the real binary when it is present.

use std::collections::BTreeMap;
use std::fs;
use std::path::PathBuf;

use sqsdump::gate::{expect, report};

fn corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("conformance")
}

// REQ-CONF-9
#[test]
fn upstream_expectations_blame_only_decisions_of_existing_cases() {
    let text = fs::read_to_string(corpus().join("expectations/upstream-head.txt")).unwrap();
    let expected = expect::parse(&text).unwrap();
    assert!(expected.len() > 100, "{}", expected.len());
    let reqs = report::requirements();
    let mut per_req: BTreeMap<&str, usize> = BTreeMap::new();
    for (req, case) in &expected {
        let r = reqs
            .get(req)
            .unwrap_or_else(|| panic!("{req} is not in SPEC.md"));
        assert!(r.decision, "{req} {case}: {req} is not a [Decision]");
        assert!(
            corpus().join(case).join("input.fsm").is_file(),
            "{case} is not a corpus case"
        );
        *per_req.entry(req).or_default() += 1;
    }
    // UPSTREAM.md has one row per requirement with its case count.
    let table = fs::read_to_string(corpus().join("UPSTREAM.md")).unwrap();
    let rows: BTreeMap<String, usize> = table
        .lines()
        .filter(|l| l.starts_with("| REQ-"))
        .map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            (cells[1].to_string(), cells[3].parse().unwrap())
        })
        .collect();
    let per_req: BTreeMap<String, usize> = per_req
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    assert_eq!(rows, per_req);
}

// REQ-CONF-9
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
        "skipped: no upstream binary (/nonexistent/elastickv-snapshot-decode)\n"
    );
}
