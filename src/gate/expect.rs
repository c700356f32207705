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
