//! Expectation baselines (REQ-CONF-8), as web-platform-tests keeps them:
//! a file lists the known failures of an implementation, one
//! `<REQ-ID> <case>` per line, `#` starting a comment. A run gated on it
//! fails only on a failure the file does not list.

use std::collections::BTreeSet;

use super::conform::{req_order, CaseResult};

/// One known failure: the requirement blamed and the case.
pub type Expectation = (String, String);

/// Parse an expectations file. Blank lines and `#` comments (whole lines
/// or trailing) are skipped; any other line must be `<REQ-ID> <case>`.
// REQ-CONF-8
pub fn parse(text: &str) -> Result<BTreeSet<Expectation>, String> {
    let mut out = BTreeSet::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or_default().trim();
        if line.is_empty() {
            continue;
        }
        let mut words = line.split_whitespace();
        match (words.next(), words.next(), words.next()) {
            (Some(req), Some(case), None) if req.starts_with("REQ-") => {
                out.insert((req.to_string(), case.to_string()));
            }
            _ => {
                return Err(format!(
                    "line {}: expected `<REQ-ID> <case>`, found {line:?}",
                    i + 1
                ))
            }
        }
    }
    Ok(out)
}

/// The failures of a run, as expectations.
pub fn failures(results: &[CaseResult]) -> BTreeSet<Expectation> {
    results
        .iter()
        .flat_map(|r| {
            r.blamed()
                .into_iter()
                .map(|req| (req.to_string(), r.name.clone()))
        })
        .collect()
}

/// The expectations file for these results, in requirement order.
pub fn render(results: &[CaseResult], header: &str) -> String {
    let mut list: Vec<Expectation> = failures(results).into_iter().collect();
    list.sort_by(|a, b| (req_order(&a.0), &a.1).cmp(&(req_order(&b.0), &b.1)));
    let mut out = String::new();
    for line in header.lines() {
        out.push_str("# ");
        out.push_str(line);
        out.push('\n');
    }
    for (req, case) in list {
        out.push_str(&req);
        out.push(' ');
        out.push_str(&case);
        out.push('\n');
    }
    out
}

/// A run judged against expectations.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Judgement {
    /// Failures the expectations do not list.
    pub new: Vec<Expectation>,
    /// Listed failures of cases that ran and no longer fail that way.
    pub fixed: Vec<Expectation>,
}

impl Judgement {
    /// Exit status 0: no new failure, and with `strict` nothing fixed.
    pub fn ok(&self, strict: bool) -> bool {
        self.new.is_empty() && (!strict || self.fixed.is_empty())
    }
}

/// Compare a run with its expectations. A listed case that did not run
/// (filtered out, or from another corpus) is neither new nor fixed.
// REQ-CONF-8, REQ-CONF-11
pub fn judge(results: &[CaseResult], expected: &BTreeSet<Expectation>) -> Judgement {
    let got = failures(results);
    let ran: BTreeSet<&str> = results.iter().map(|r| r.name.as_str()).collect();
    Judgement {
        new: got.difference(expected).cloned().collect(),
        fixed: expected
            .iter()
            .filter(|e| ran.contains(e.1.as_str()) && !got.contains(*e))
            .cloned()
            .collect(),
    }
}

/// One case's place in the verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Passed, and no expectation lists it.
    Pass,
    /// Failed, run without expectations.
    Fail,
    /// Failed, every blamed requirement listed: an expected failure.
    XFail,
    /// Failed on a requirement the expectations do not list.
    NewFail,
    /// Listed, but no longer failing on (all of) the listed requirements.
    Fixed,
}

impl Status {
    /// The console's word for it.
    pub fn word(self) -> &'static str {
        match self {
            Status::Pass => "PASS",
            Status::Fail => "FAIL",
            Status::XFail => "XFAIL",
            Status::NewFail => "NEW FAIL",
            Status::Fixed => "FIXED",
        }
    }

    /// The name in the JSON report.
    pub fn name(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::XFail => "expected_failure",
            Status::NewFail => "new_failure",
            Status::Fixed => "fixed",
        }
    }

    /// True when this case makes the run fail.
    pub fn fails_run(self, strict: bool) -> bool {
        match self {
            Status::Fail | Status::NewFail => true,
            Status::Fixed => strict,
            Status::Pass | Status::XFail => false,
        }
    }
}

/// The requirements listed for `case`.
pub fn listed_for<'a>(expected: &'a BTreeSet<Expectation>, case: &str) -> Vec<&'a str> {
    expected
        .iter()
        .filter(|(_, c)| c == case)
        .map(|(r, _)| r.as_str())
        .collect()
}

/// The status of one case, with or without expectations.
// REQ-CONF-8, REQ-CONF-11
pub fn status(r: &CaseResult, expected: Option<&BTreeSet<Expectation>>) -> Status {
    let Some(expected) = expected else {
        return if r.passed() {
            Status::Pass
        } else {
            Status::Fail
        };
    };
    let listed = listed_for(expected, &r.name);
    let blamed = r.blamed();
    if blamed.iter().any(|b| !listed.contains(b)) {
        Status::NewFail
    } else if listed.iter().any(|l| !blamed.contains(l)) {
        Status::Fixed
    } else if blamed.is_empty() {
        Status::Pass
    } else {
        Status::XFail
    }
}

/// The run's one verdict, which the console, the exit status and every
/// report share.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// Each result's status, in result order.
    pub statuses: Vec<Status>,
    /// Judged against expectations.
    pub expect: bool,
    /// `--strict-expect`: a fixed case fails the run.
    pub strict: bool,
}

impl Verdict {
    /// The verdict on `results`, against `expected` when given.
    pub fn new(
        results: &[CaseResult],
        expected: Option<&BTreeSet<Expectation>>,
        strict: bool,
    ) -> Verdict {
        Verdict {
            statuses: results.iter().map(|r| status(r, expected)).collect(),
            expect: expected.is_some(),
            strict,
        }
    }

    /// Exit status 0.
    pub fn ok(&self) -> bool {
        !self.statuses.iter().any(|s| s.fails_run(self.strict))
    }

    /// How many cases have `status`.
    pub fn count(&self, status: Status) -> usize {
        self.statuses.iter().filter(|s| **s == status).count()
    }

    /// How many cases make the run fail.
    pub fn failing(&self) -> usize {
        self.statuses
            .iter()
            .filter(|s| s.fails_run(self.strict))
            .count()
    }

    /// The status of result `i`.
    pub fn of(&self, i: usize) -> Status {
        self.statuses.get(i).copied().unwrap_or(Status::Fail)
    }
}

/// Expectation lines that name no case of the corpus or no requirement of
/// SPEC.md, each as `line: why`.
// REQ-CONF-12
pub fn unknown(
    expected: &BTreeSet<Expectation>,
    cases: &BTreeSet<String>,
    requirements: &BTreeSet<String>,
) -> Vec<String> {
    let mut out = Vec::new();
    for (req, case) in expected {
        if !requirements.contains(req) {
            out.push(format!("{req} {case}: no requirement {req} in SPEC.md"));
        } else if !cases.contains(case) {
            out.push(format!("{req} {case}: no case {case} in the corpus"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gate::blame::Finding;
    use crate::gate::conform::Difference;

    fn result(name: &str, reqs: &[&str]) -> CaseResult {
        CaseResult {
            name: name.to_string(),
            req: "REQ-OUT-1".to_string(),
            slug: String::new(),
            findings: reqs
                .iter()
                .map(|r| Finding {
                    req: r.to_string(),
                    diff: Difference::new("x"),
                })
                .collect(),
            ..CaseResult::default()
        }
    }

    // REQ-CONF-8
    #[test]
    fn new_and_fixed_failures_are_told_apart() {
        let text =
            "# known\nREQ-OUT-3 case-a   # dot names\n\nREQ-CLI-5 case-b\nREQ-CLI-5 not-run\n";
        let expected = parse(text).unwrap();
        assert_eq!(expected.len(), 3);
        let results = vec![
            result("case-a", &["REQ-OUT-3", "REQ-DEC-7"]),
            result("case-b", &[]),
        ];
        let j = judge(&results, &expected);
        assert_eq!(j.new, [("REQ-DEC-7".to_string(), "case-a".to_string())]);
        assert_eq!(j.fixed, [("REQ-CLI-5".to_string(), "case-b".to_string())]);
        assert!(!j.ok(false));
        let only_fixed = judge(&results[1..], &expected);
        assert!(only_fixed.ok(false));
        assert!(!only_fixed.ok(true));
        assert_eq!(
            render(&results, "generated"),
            "# generated\nREQ-DEC-7 case-a\nREQ-OUT-3 case-a\n"
        );
        assert_eq!(parse(&render(&results, "h")).unwrap(), failures(&results));
    }

    // REQ-CONF-8
    #[test]
    fn malformed_lines_are_refused_with_their_number() {
        assert_eq!(
            parse("REQ-OUT-1 a\nREQ-OUT-1\n").unwrap_err(),
            "line 2: expected `<REQ-ID> <case>`, found \"REQ-OUT-1\""
        );
        assert!(parse("OUT-1 a").is_err());
        assert!(parse("REQ-OUT-1 a b").is_err());
    }
}
