//! What a conformance run tells its readers (REQ-CONF-5): a summary line
//! per failing requirement, the `--report` JSON, `--junit` XML for CI
//! systems and a `--summary-md` table for a pull-request comment. Every
//! form groups the same findings by the requirement they blame.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::{json, Value};

use super::conform::{req_order, verdict_totals, CaseResult, Compare, ConformOptions, Direction};
use super::expect::{Status, Verdict};

/// SPEC.md, for requirement titles and `[Decision]` marks.
const SPEC: &str = include_str!("../../SPEC.md");

/// A requirement's title and whether SPEC.md marks it `[Decision]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    /// The heading's title, without the ID and the mark.
    pub title: String,
    /// Marked **\[Decision\]**: a deliberate difference from upstream.
    pub decision: bool,
}

/// Every requirement of SPEC.md, from its `### REQ-…: title` headings.
pub fn requirements() -> BTreeMap<String, Requirement> {
    let mut out = BTreeMap::new();
    for line in SPEC.lines() {
        let Some(rest) = line.strip_prefix("### ") else {
            continue;
        };
        let Some((id, title)) = rest.split_once(": ") else {
            continue;
        };
        if !id.starts_with("REQ-") {
            continue;
        }
        // Tags after the title: the conformance class and `[Decision]`.
        let mut title = title.trim_end();
        let mut decision = false;
        while let Some(open) = title.strip_suffix(']').and_then(|t| t.rfind(" [")) {
            decision |= title.get(open..) == Some(" [Decision]");
            title = title.get(..open).unwrap_or_default().trim_end();
        }
        let title = title.to_string();
        out.insert(id.to_string(), Requirement { title, decision });
    }
    out
}

/// Failing requirement → the names of the cases that blame it, in
/// requirement order.
pub fn failing(results: &[CaseResult]) -> Vec<(String, Vec<String>)> {
    let mut groups: BTreeMap<(String, u64, String), Vec<String>> = BTreeMap::new();
    for r in results {
        for req in r.blamed() {
            groups
                .entry(req_order(req))
                .or_default()
                .push(r.name.clone());
        }
    }
    groups
        .into_iter()
        .map(|((_, _, id), cases)| (id, cases))
        .collect()
}

/// One line per failing requirement:
/// `REQ-ID  <n> cases  <title>  [Decision]`.
pub fn summary_lines(results: &[CaseResult]) -> Vec<String> {
    let reqs = requirements();
    failing(results)
        .into_iter()
        .map(|(id, cases)| {
            let (title, decision) = reqs.get(&id).map_or(("(not in SPEC.md)", false), |r| {
                (r.title.as_str(), r.decision)
            });
            let n = cases.len();
            let unit = if n == 1 { "case " } else { "cases" };
            let mark = if decision { "  [Decision]" } else { "" };
            format!("{id:<12} {n:>4} {unit}  {title}{mark}")
        })
        .collect()
}

/// The differences of `r` blamed on `req`, whole.
fn differences(r: &CaseResult, req: Option<&str>) -> Vec<Value> {
    r.findings
        .iter()
        .filter(|f| req.map_or(true, |q| f.req == q))
        .map(|f| {
            json!({
                "requirement": f.req,
                "file": f.diff.file,
                "line": f.diff.line,
                "what": f.diff.what,
                "expected": f.diff.expected,
                "actual": f.diff.actual,
                "message": f.diff.full(),
            })
        })
        .collect()
}

/// The `--report` document: the run's settings, its verdict and totals
/// (the same as the console's and the exit status), every case with its
/// status, and the findings grouped by the requirement they blame (in
/// requirement order). Values and stderr are whole (up to the caps).
// REQ-CONF-11
pub fn report_json(opts: &ConformOptions, results: &[CaseResult], verdict: &Verdict) -> Value {
    let reqs = requirements();
    let mut requirements = serde_json::Map::new();
    for (id, cases) in failing(results) {
        let list: Vec<Value> = results
            .iter()
            .enumerate()
            .filter(|(_, r)| cases.contains(&r.name))
            .map(|(i, r)| {
                json!({
                    "case": r.name,
                    "status": verdict.of(i).name(),
                    "differences": differences(r, Some(&id)),
                })
            })
            .collect();
        let (title, decision) = reqs
            .get(&id)
            .map_or((String::new(), false), |r| (r.title.clone(), r.decision));
        requirements.insert(
            id,
            json!({ "title": title, "decision": decision, "failed": list.len(), "cases": list }),
        );
    }
    let passed: Vec<&str> = results
        .iter()
        .filter(|r| r.passed())
        .map(|r| r.name.as_str())
        .collect();
    let cases: Vec<Value> = results
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let mut c = json!({
                "case": r.name,
                "requirement": r.req,
                "description": r.description,
                "status": verdict.of(i).name(),
                "blamed": r.blamed(),
            });
            if !r.passed() {
                c["differences"] = Value::from(differences(r, None));
                c["stderr"] = Value::from(r.stderr.as_str());
            }
            c
        })
        .collect();
    let expectations = verdict.expect.then(|| {
        json!({
            "strict": verdict.strict,
            "expected_failures": verdict.count(Status::XFail),
            "new_failures": verdict.count(Status::NewFail),
            "fixed": verdict.count(Status::Fixed),
        })
    });
    json!({
        "implementation": opts.template.to_string(),
        "direction": match opts.direction { Direction::Decode => "decode", Direction::Encode => "encode" },
        "compare": match opts.compare { Compare::Bytes => "bytes", Compare::Json => "json" },
        "corpus": opts.corpus.as_ref().map(|p| p.display().to_string()),
        "generated": { "count": opts.generated, "seed": opts.seed, "profile": opts.profile.name() },
        "error_classes": opts.error_classes.name(),
        "verdict": if verdict.ok() { "pass" } else { "fail" },
        "exit_status": if verdict.ok() { 0 } else { 1 },
        "totals": verdict_totals(results, verdict),
        "passed": passed.len(),
        "passed_without_error_class": without_class(results),
        "failed": results.len() - passed.len(),
        "expectations": expectations,
        "requirements": requirements,
        "cases": cases,
        "passing_cases": passed,
        "passing_cases_without_error_class": results
            .iter()
            .filter(|r| r.passed_without_class())
            .map(|r| r.name.as_str())
            .collect::<Vec<_>>(),
    })
}

/// How many cases passed without an `error[<class>]:` line.
fn without_class(results: &[CaseResult]) -> usize {
    results.iter().filter(|r| r.passed_without_class()).count()
}

/// Text for XML 1.0: markup characters as entities, control characters
/// it cannot carry as the gate's JSON escapes.
fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            '\u{fffe}' | '\u{ffff}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// One JUnit attribute value (also escapes new lines, which attribute
/// normalisation would turn into spaces).
fn xml_attr(s: &str) -> String {
    xml_escape(s).replace('\n', "&#10;")
}

/// JUnit XML, one test case per case: named after the case and classed
/// by its own requirement (both stable whether it passes or fails), the
/// blamed requirements as properties and in the message. Without
/// expectations a failing case is a `<failure>`; with them an expected
/// failure is `<skipped message="expected failure: …">`, a new failure a
/// `<failure>`, and a fixed case a `<failure>` under `--strict-expect`
/// (else a pass with a note). The counts agree with the exit status:
/// `failures` is the number of cases that fail the run.
// REQ-CONF-11
pub fn junit_xml(results: &[CaseResult], verdict: &Verdict) -> String {
    let mut cases = String::new();
    for (i, r) in results.iter().enumerate() {
        let status = verdict.of(i);
        let _ = writeln!(
            cases,
            "    <testcase classname=\"{}\" name=\"{}\">",
            xml_attr(&r.req),
            xml_attr(&r.name)
        );
        let blamed = r.blamed();
        let mut props = vec![
            ("requirement", r.req.clone()),
            ("description", r.description.clone()),
            ("status", status.name().to_string()),
        ];
        props.extend(blamed.iter().map(|b| ("blamed", b.to_string())));
        cases.push_str("      <properties>\n");
        for (k, v) in props {
            let _ = writeln!(
                cases,
                "        <property name=\"{k}\" value=\"{}\"/>",
                xml_attr(&v)
            );
        }
        cases.push_str("      </properties>\n");
        let first: Vec<String> = blamed
            .iter()
            .filter_map(|req| {
                r.findings
                    .iter()
                    .find(|f| f.req == *req)
                    .map(|f| format!("{req}: {}", f.diff))
            })
            .collect();
        let body: Vec<String> = r
            .findings
            .iter()
            .map(|f| format!("{}: {}", f.req, f.diff.full()))
            .collect();
        let mut body = body.join("\n");
        if !r.passed() {
            let _ = write!(body, "\n{}", r.context());
        }
        let fixed_note = format!(
            "fixed: listed in the expectations but passing on {}; remove it from the expectations",
            r.name
        );
        match status {
            Status::Pass if r.passed_without_class() => {
                cases.push_str("      <system-out>passed without an error class</system-out>\n");
            }
            Status::Pass => {}
            Status::XFail => {
                let _ = writeln!(
                    cases,
                    "      <skipped message=\"expected failure: {}\">{}</skipped>",
                    xml_attr(&first.join("; ")),
                    xml_escape(&body)
                );
            }
            Status::Fail | Status::NewFail => {
                let kind = if status == Status::NewFail {
                    "new failure"
                } else {
                    "failure"
                };
                let _ = writeln!(
                    cases,
                    "      <failure message=\"{}\" type=\"{kind}\">{}</failure>",
                    xml_attr(&first.join("; ")),
                    xml_escape(&body)
                );
            }
            Status::Fixed if verdict.strict => {
                let _ = writeln!(
                    cases,
                    "      <failure message=\"{}\" type=\"fixed\">{}</failure>",
                    xml_attr(&fixed_note),
                    xml_escape(&body)
                );
            }
            Status::Fixed => {
                let _ = writeln!(
                    cases,
                    "      <system-out>{}</system-out>",
                    xml_escape(&fixed_note)
                );
            }
        }
        if !r.passed() && !r.stderr.is_empty() {
            let _ = writeln!(
                cases,
                "      <system-err>{}</system-err>",
                xml_escape(&r.stderr)
            );
        }
        cases.push_str("    </testcase>\n");
    }
    let skipped = verdict.count(Status::XFail);
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"sqsdump conform\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\">\n  <testsuite name=\"sqsdump conform\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\">\n    <properties>\n      <property name=\"verdict\" value=\"{}\"/>\n      <property name=\"totals\" value=\"{}\"/>\n      <property name=\"passed_without_error_class\" value=\"{}\"/>\n    </properties>\n{cases}  </testsuite>\n</testsuites>\n",
        if verdict.ok() { "pass" } else { "fail" },
        xml_attr(&verdict_totals(results, verdict)),
        without_class(results),
        tests = results.len(),
        failures = verdict.failing(),
    )
}

/// A short Markdown summary for a pull-request comment: the verdict (as
/// the exit status gives it), the totals line, the failing requirements,
/// and with expectations the new failures and fixed cases by name.
// REQ-CONF-11
pub fn summary_md(results: &[CaseResult], verdict: &Verdict) -> String {
    let reqs = requirements();
    let word = if verdict.ok() { "passed" } else { "failed" };
    let mut out = format!(
        "### sqsdump conform: {word}\n\n{}\n",
        verdict_totals(results, verdict)
    );
    let md = |s: &str| s.replace('|', "\\|");
    let failing = failing(results);
    if !failing.is_empty() {
        if verdict.expect {
            out.push_str(
                "\n| requirement | new | expected | title | Decision |\n|---|---:|---:|---|---|\n",
            );
        } else {
            out.push_str("\n| requirement | cases | title | Decision |\n|---|---:|---|---|\n");
        }
    }
    for (id, cases) in &failing {
        let (title, decision) = reqs
            .get(id)
            .map_or(("", false), |r| (r.title.as_str(), r.decision));
        let mark = if decision { "yes" } else { "" };
        if verdict.expect {
            let (mut new, mut old) = (0, 0);
            for (i, r) in results.iter().enumerate() {
                if cases.contains(&r.name) {
                    match verdict.of(i) {
                        Status::NewFail => new += 1,
                        _ => old += 1,
                    }
                }
            }
            let _ = writeln!(out, "| {id} | {new} | {old} | {} | {mark} |", md(title));
        } else {
            let _ = writeln!(out, "| {id} | {} | {} | {mark} |", cases.len(), md(title));
        }
    }
    if verdict.expect {
        for (status, head) in [
            (Status::NewFail, "New failures"),
            (Status::Fixed, "Fixed (remove from the expectations)"),
        ] {
            let list: Vec<&CaseResult> = results
                .iter()
                .enumerate()
                .filter(|(i, _)| verdict.of(*i) == status)
                .map(|(_, r)| r)
                .collect();
            if list.is_empty() {
                continue;
            }
            let _ = write!(out, "\n{head}:\n\n");
            for r in list {
                let _ = writeln!(out, "- `{}`: {}", r.name, md(&r.description));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gate::blame::Finding;
    use crate::gate::conform::Difference;

    fn failed(name: &str, reqs: &[&str]) -> CaseResult {
        CaseResult {
            name: name.to_string(),
            req: "REQ-OUT-1".to_string(),
            slug: "x".to_string(),
            findings: reqs
                .iter()
                .map(|r| Finding {
                    req: r.to_string(),
                    diff: Difference::in_file("sqs/q/<a>.json", Some(2), "field \"x\""),
                })
                .collect(),
            ..CaseResult::default()
        }
    }

    // REQ-CONF-5
    #[test]
    fn every_form_groups_by_blamed_requirement() {
        let results = vec![
            failed("REQ-OUT-1-a", &["REQ-DEC-14", "REQ-DEC-3", "REQ-DEC-3"]),
            failed("REQ-OUT-1-b", &[]),
            failed("REQ-OUT-1-c", &["REQ-DEC-3"]),
        ];
        assert_eq!(
            summary_lines(&results),
            [
                "REQ-DEC-3       2 cases  orphan side records  [Decision]",
                "REQ-DEC-14      1 case   side-record order  [Decision]",
            ]
        );
        assert_eq!(
            results[0].lines(),
            [
                "FAIL REQ-DEC-3 REQ-OUT-1-a: sqs/q/<a>.json:2: field \"x\" (+1 more)",
                "FAIL REQ-DEC-14 REQ-OUT-1-a: sqs/q/<a>.json:2: field \"x\"",
                "    case REQ-OUT-1: (no description)",
            ]
        );
        let verdict = Verdict::new(&results, None, false);
        let xml = junit_xml(&results, &verdict);
        assert!(xml.contains("tests=\"3\" failures=\"2\""), "{xml}");
        assert!(xml.contains(
            "<testcase classname=\"REQ-OUT-1\" name=\"REQ-OUT-1-c\">\n      <properties>\n        <property name=\"requirement\" value=\"REQ-OUT-1\"/>"
        ), "{xml}");
        assert!(xml.contains("<property name=\"blamed\" value=\"REQ-DEC-3\"/>\n      </properties>\n      <failure message=\"REQ-DEC-3: sqs/q/&lt;a&gt;.json:2: field &quot;x&quot;\" type=\"failure\">"), "{xml}");
        assert!(xml.contains("<testcase classname=\"REQ-OUT-1\" name=\"REQ-OUT-1-b\">"));
        let md = summary_md(&results, &verdict);
        assert!(md.contains("1 passed, 2 failed"), "{md}");
        assert!(md.starts_with("### sqsdump conform: failed\n"), "{md}");
        assert!(
            md.contains("| REQ-DEC-3 | 2 | orphan side records | yes |"),
            "{md}"
        );
    }

    // REQ-CONF-11
    #[test]
    fn every_form_states_the_verdict_of_the_expectations() {
        let results = vec![
            failed("REQ-OUT-1-xfail", &["REQ-DEC-2"]),
            failed("REQ-OUT-1-new", &["REQ-DEC-10"]),
            failed("REQ-OUT-1-fixed", &[]),
            failed("REQ-OUT-1-pass", &[]),
        ];
        let expected =
            crate::gate::expect::parse("REQ-DEC-2 REQ-OUT-1-xfail\nREQ-DEC-2 REQ-OUT-1-fixed\n")
                .unwrap();
        for strict in [false, true] {
            let v = Verdict::new(&results, Some(&expected), strict);
            assert_eq!(
                v.statuses,
                [Status::XFail, Status::NewFail, Status::Fixed, Status::Pass]
            );
            assert!(!v.ok());
            let failures = if strict { 2 } else { 1 };
            let xml = junit_xml(&results, &v);
            assert!(
                xml.contains(&format!(
                    "tests=\"4\" failures=\"{failures}\" errors=\"0\" skipped=\"1\""
                )),
                "{xml}"
            );
            assert!(
                xml.contains("<skipped message=\"expected failure: REQ-DEC-2: "),
                "{xml}"
            );
            assert!(xml.contains("type=\"new failure\""), "{xml}");
            assert_eq!(xml.contains("type=\"fixed\""), strict, "{xml}");
            let md = summary_md(&results, &v);
            assert!(
                md.contains("2 passed, 2 failed (1 expected, 1 new), 1 fixed"),
                "{md}"
            );
            assert!(md.contains("| REQ-DEC-2 | 0 | 1 |"), "{md}");
            assert!(md.contains("New failures:\n\n- `REQ-OUT-1-new`"), "{md}");
        }
        // Only expected failures: every form passes.
        let v = Verdict::new(&results[..1], Some(&expected), true);
        assert!(v.ok());
        let xml = junit_xml(&results[..1], &v);
        assert!(
            xml.contains("failures=\"0\" errors=\"0\" skipped=\"1\""),
            "{xml}"
        );
        assert!(summary_md(&results[..1], &v).starts_with("### sqsdump conform: passed\n"));
    }

    // REQ-CONF-5
    #[test]
    fn spec_titles_and_decisions_are_read() {
        let reqs = requirements();
        assert_eq!(reqs["REQ-OUT-3"].title, "dot names");
        assert!(reqs["REQ-OUT-3"].decision);
        assert!(!reqs["REQ-OUT-1"].decision);
        assert_eq!(reqs["REQ-OUT-1"].title, "layout");
        assert!(reqs.len() > 80);
    }
}
