//! SPEC.md stays honest (see its introduction).
//!
//! A check verifies a requirement when a comment line naming the
//! requirement's ID stands directly above it:
//! - a function in `src/`, `tests/` or `fuzz/` (attributes and other
//!   comment lines may stand between), listed as `path::fn`;
//! - a fuzz target file (`fuzz/fuzz_targets/T.rs`, any comment line),
//!   listed as `fuzz:T`;
//! - a conformance case directory `conformance/<ID>-<slug>`, listed as
//!   `corpus:<ID>-<slug>`, or `conformance/encode/<ID>-<slug>`, listed as
//!   `corpus:encode/<ID>-<slug>`.
//!
//! The test fails when a requirement has no check, when SPEC.md's
//! `Verified by:` line differs from the checks found, or when code cites an
//! ID that SPEC.md does not define. `SPEC_UPDATE=1` rewrites the lines.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

const VERIFIED: &str = "Verified by:";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every requirement ID (`REQ-AREA-N`) in `text`, in order.
fn ids_in(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(pos) = rest.find("REQ-") {
        let after = &rest[pos + 4..];
        let area: String = after
            .chars()
            .take_while(|c| c.is_ascii_uppercase())
            .collect();
        let tail = &after[area.len()..];
        let num: String = tail
            .strip_prefix('-')
            .map(|t| t.chars().take_while(|c| c.is_ascii_digit()).collect())
            .unwrap_or_default();
        if !area.is_empty() && !num.is_empty() {
            out.push(format!("REQ-{area}-{num}"));
        }
        rest = after;
    }
    out
}

fn rs_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        let name = e.file_name();
        // fuzz/corpus and fuzz/artifacts hold inputs, not code.
        let fuzz_data = (name == "corpus" || name == "artifacts")
            && p.parent().and_then(Path::file_name) == Some("fuzz".as_ref());
        if name == "target" || fuzz_data {
            continue;
        }
        if p.is_dir() {
            rs_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The function name declared on `line`, if any.
fn fn_name(line: &str) -> Option<String> {
    let t = line.trim_start();
    let t = t.strip_prefix("pub ").unwrap_or(t);
    let t = t.strip_prefix("pub(crate) ").unwrap_or(t);
    let t = t.strip_prefix("async ").unwrap_or(t);
    let t = t.strip_prefix("fn ")?;
    let name: String = t
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    (!name.is_empty()).then_some(name)
}

struct Found {
    /// requirement → checks
    checks: BTreeMap<String, BTreeSet<String>>,
    /// every ID cited anywhere in code, with where
    cited: BTreeMap<String, String>,
}

fn scan() -> Found {
    let root = root();
    let mut files = Vec::new();
    for d in ["src", "tests", "fuzz"] {
        rs_files(&root.join(d), &mut files);
    }
    files.sort();
    let mut checks: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut cited = BTreeMap::new();
    for f in &files {
        let rel = f
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        if rel == "tests/spec_coverage.rs" {
            continue;
        }
        let text = fs::read_to_string(f).unwrap();
        let target = rel
            .strip_prefix("fuzz/fuzz_targets/")
            .and_then(|t| t.strip_suffix(".rs"))
            .map(str::to_string);
        let mut pending: Vec<String> = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let t = line.trim_start();
            let ids = ids_in(line);
            for id in &ids {
                cited
                    .entry(id.clone())
                    .or_insert_with(|| format!("{rel}:{}", n + 1));
            }
            if t.starts_with("//") {
                if let Some(target) = &target {
                    for id in &ids {
                        checks
                            .entry(id.clone())
                            .or_default()
                            .insert(format!("fuzz:{target}"));
                    }
                }
                pending.extend(ids);
                continue;
            }
            if t.starts_with("#[") || t.starts_with("#![") {
                continue;
            }
            if let Some(name) = fn_name(line) {
                for id in pending.drain(..) {
                    checks
                        .entry(id)
                        .or_default()
                        .insert(format!("{rel}::{name}"));
                }
            }
            pending.clear();
        }
    }
    // Decode cases at the top of the corpus, encode cases in encode/.
    for section in ["", "encode/"] {
        let Ok(entries) = fs::read_dir(root.join("conformance").join(section)) else {
            continue;
        };
        for e in entries.flatten() {
            if !e.path().is_dir() {
                continue;
            }
            let name = e.file_name().to_string_lossy().into_owned();
            if let Some(id) = ids_in(&name).first() {
                if name.starts_with(id.as_str()) {
                    checks
                        .entry(id.clone())
                        .or_default()
                        .insert(format!("corpus:{section}{name}"));
                    cited
                        .entry(id.clone())
                        .or_insert_with(|| format!("conformance/{section}{name}"));
                }
            }
        }
    }
    Found { checks, cited }
}

const GOVERNS: &str = "Governs:";

/// SPEC.md with each requirement's `Governs:` line (just above its
/// `Verified by:` line) rewritten from the blame table,
/// `sqsdump::gate::blame::GOVERNS`: the subjects whose differences
/// `conform` blames on it.
fn with_governs(spec: &str) -> String {
    let mut by_req: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (_, req, what) in sqsdump::gate::blame::GOVERNS {
        by_req.entry(req).or_default().push(what);
    }
    let mut out = String::new();
    let mut current: Option<String> = None;
    for line in spec.lines() {
        if line.starts_with(GOVERNS) {
            continue;
        }
        if let Some(h) = line.strip_prefix("### ") {
            current = ids_in(h)
                .first()
                .filter(|id| h.starts_with(id.as_str()))
                .cloned();
        }
        if line.starts_with(VERIFIED) {
            if let Some(items) = current.as_deref().and_then(|id| by_req.get(id)) {
                out.push_str(&format!("{GOVERNS} {}.\n", items.join("; ")));
            }
            current = None;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// (ID, line index of its `Verified by:` line) for each requirement.
fn spec_requirements(spec: &str) -> Vec<(String, Option<usize>)> {
    let mut reqs: Vec<(String, Option<usize>)> = Vec::new();
    for (i, line) in spec.lines().enumerate() {
        if let Some(h) = line.strip_prefix("### ") {
            if let Some(id) = ids_in(h).first() {
                if h.starts_with(id.as_str()) {
                    reqs.push((id.clone(), None));
                }
            }
        } else if line.starts_with(VERIFIED) {
            if let Some(last) = reqs.last_mut() {
                if last.1.is_none() {
                    last.1 = Some(i);
                }
            }
        }
    }
    reqs
}

fn verified_line(checks: Option<&BTreeSet<String>>) -> String {
    let items: Vec<String> = checks
        .into_iter()
        .flatten()
        .map(|c| format!("`{c}`"))
        .collect();
    if items.is_empty() {
        VERIFIED.to_string()
    } else {
        format!("{VERIFIED} {}", items.join(", "))
    }
}

#[test]
fn every_requirement_is_verified_and_every_cited_id_exists() {
    let spec_path = root().join("SPEC.md");
    let written = fs::read_to_string(&spec_path).unwrap();
    let spec = with_governs(&written);
    let mut problems = Vec::new();
    if spec != written {
        problems.push("SPEC.md's Governs lines differ from the blame table".to_string());
    }
    let reqs = spec_requirements(&spec);
    assert!(reqs.len() > 50, "SPEC.md lost its requirements");
    let found = scan();

    let mut lines: Vec<String> = spec.lines().map(str::to_string).collect();
    let mut seen = BTreeSet::new();
    for (id, at) in &reqs {
        if !seen.insert(id.clone()) {
            problems.push(format!("{id} is defined twice"));
        }
        let Some(at) = *at else {
            problems.push(format!("{id} has no `{VERIFIED}` line"));
            continue;
        };
        let checks = found.checks.get(id);
        if checks.is_none_or(BTreeSet::is_empty) {
            problems.push(format!("{id} is verified by nothing"));
        }
        let want = verified_line(checks);
        if lines[at] != want {
            problems.push(format!(
                "{id}: SPEC.md says\n  {}\nbut the code says\n  {want}",
                lines[at]
            ));
            lines[at] = want;
        }
    }
    for (_, req, _) in sqsdump::gate::blame::GOVERNS {
        if !seen.contains(*req) {
            problems.push(format!(
                "the blame table names {req}, which SPEC.md does not define"
            ));
        }
    }
    for (id, place) in &found.cited {
        if !seen.contains(id) {
            problems.push(format!("{place} cites {id}, which SPEC.md does not define"));
        }
    }
    if std::env::var_os("SPEC_UPDATE").is_some() {
        let mut text = lines.join("\n");
        text.push('\n');
        fs::write(&spec_path, text).unwrap();
        problems.retain(|p| !p.contains("SPEC.md says") && !p.contains("Governs lines"));
    }
    assert!(
        problems.is_empty(),
        "{} problem(s) (SPEC_UPDATE=1 rewrites the Governs and Verified-by lines):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn id_scanner_reads_ids_and_function_names() {
    assert_eq!(
        ids_in("// REQ-KEY-2, REQ-OUT-13 and REQ-x-1 REQ-A-"),
        vec!["REQ-KEY-2".to_string(), "REQ-OUT-13".to_string()]
    );
    assert_eq!(
        fn_name("    pub fn hello_world(x: u8) {"),
        Some("hello_world".into())
    );
    assert_eq!(fn_name("let f = 1;"), None);
}
