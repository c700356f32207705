//! What a conformance run tells its readers (REQ-CONF-5): a summary line
//! per failing requirement, the `--report` JSON, `--junit` XML for CI
//! systems and a `--summary-md` table for a pull-request comment. Every
//! form groups the same findings by the requirement they blame.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::{json, Value};

use super::conform::{req_order, totals_line, CaseResult, Compare, ConformOptions, Direction};

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

/// The `--report` document: the run's settings, totals, and the findings
/// grouped by the requirement they blame (in requirement order), with the
/// cases that passed listed apart.
pub fn report_json(opts: &ConformOptions, results: &[CaseResult]) -> Value {
    let reqs = requirements();
    let mut requirements = serde_json::Map::new();
    for (id, cases) in failing(results) {
        let list: Vec<Value> = results
            .iter()
            .filter(|r| cases.contains(&r.name))
            .map(|r| {
                let diffs: Vec<Value> = r
                    .findings
                    .iter()
                    .filter(|f| f.req == id)
                    .map(|f| {
                        json!({
                            "file": f.diff.file,
                            "line": f.diff.line,
                            "what": f.diff.what,
                            "expected": f.diff.expected,
                            "actual": f.diff.actual,
                            "message": f.diff.to_string(),
                        })
                    })
                    .collect();
                json!({ "case": r.name, "differences": diffs })
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
    json!({
        "implementation": opts.template.to_string(),
        "direction": match opts.direction { Direction::Decode => "decode", Direction::Encode => "encode" },
        "compare": match opts.compare { Compare::Bytes => "bytes", Compare::Json => "json" },
        "corpus": opts.corpus.as_ref().map(|p| p.display().to_string()),
        "generated": { "count": opts.generated, "seed": opts.seed, "profile": opts.profile.name() },
        "error_classes": opts.error_classes.name(),
        "passed": passed.len(),
        "passed_without_error_class": without_class(results),
        "failed": results.len() - passed.len(),
        "requirements": requirements,
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

fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 cannot carry other control characters at all.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// JUnit XML: one test case per passing case, and one per (failing case,
/// blamed requirement), classed by requirement, so any CI system shows
/// the gate natively.
pub fn junit_xml(results: &[CaseResult]) -> String {
    let mut cases = String::new();
    let (mut tests, mut failures) = (0usize, 0usize);
    for r in results {
        if r.passed_without_class() {
            tests += 1;
            let _ = writeln!(
                cases,
                "    <testcase classname=\"{}\" name=\"{}\">\n      <system-out>passed without an error class</system-out>\n    </testcase>",
                xml_escape(&r.req),
                xml_escape(&r.name)
            );
            continue;
        }
        if r.passed() {
            tests += 1;
            let _ = writeln!(
                cases,
                "    <testcase classname=\"{}\" name=\"{}\"/>",
                xml_escape(&r.req),
                xml_escape(&r.name)
            );
            continue;
        }
        for req in r.blamed() {
            tests += 1;
            failures += 1;
            let body: Vec<String> = r
                .findings
                .iter()
                .filter(|f| f.req == req)
                .map(|f| f.diff.to_string())
                .collect();
            let first = body.first().cloned().unwrap_or_default();
            let _ = writeln!(
                cases,
                "    <testcase classname=\"{}\" name=\"{}\">\n      <failure message=\"{}\">{}</failure>\n    </testcase>",
                xml_escape(req),
                xml_escape(&r.name),
                xml_escape(&first),
                xml_escape(&body.join("\n"))
            );
        }
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n  <testsuite name=\"sqsdump conform\" tests=\"{tests}\" failures=\"{failures}\">\n    <properties>\n      <property name=\"passed_without_error_class\" value=\"{}\"/>\n    </properties>\n{cases}  </testsuite>\n</testsuites>\n",
        without_class(results)
    )
}

/// A short Markdown table for a pull-request comment.
pub fn summary_md(results: &[CaseResult]) -> String {
    let reqs = requirements();
    let mut out = format!("### sqsdump conform\n\n{}\n", totals_line(results));
    let failing = failing(results);
    if failing.is_empty() {
        return out;
    }
    out.push_str("\n| requirement | cases | title | Decision |\n|---|---:|---|---|\n");
    for (id, cases) in failing {
        let (title, decision) = reqs
            .get(&id)
            .map_or(("", false), |r| (r.title.as_str(), r.decision));
        let title = title.replace('|', "\\|");
        let mark = if decision { "yes" } else { "" };
        let _ = writeln!(out, "| {id} | {} | {title} | {mark} |", cases.len());
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
            ]
        );
        let xml = junit_xml(&results);
        assert!(xml.contains("tests=\"4\" failures=\"3\""), "{xml}");
        assert!(xml.contains(
            "<testcase classname=\"REQ-DEC-3\" name=\"REQ-OUT-1-c\">\n      <failure message=\"sqs/q/&lt;a&gt;.json:2: field &quot;x&quot;\">"
        ));
        assert!(xml.contains("<testcase classname=\"REQ-OUT-1\" name=\"REQ-OUT-1-b\"/>"));
        let md = summary_md(&results);
        assert!(md.contains("1 passed, 2 failed"), "{md}");
        assert!(
            md.contains("| REQ-DEC-3 | 2 | orphan side records | yes |"),
            "{md}"
        );
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
