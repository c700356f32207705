//! How an implementation's run ended (REQ-CONF-4): success, a clean
//! rejection, a crash, or a command that could not run at all, and how an
//! expected error is judged from that.
//!
//! A crash is never "failed as expected": a death by signal, a Rust
//! panic, a Go panic or goroutine dump, a Python traceback or a JVM
//! exception fails every case, error cases included, and is blamed on
//! REQ-ERR-2 (no panics) with the crash signature as the difference.

use clap::ValueEnum;

use super::blame::{governing, shorten, Finding, Subject};
use super::conform::Difference;

/// The requirement a crash is blamed on.
pub const CRASH_REQ: &str = "REQ-ERR-2";

/// Whether an expected error must name its class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum ErrorClasses {
    /// An error case passes only with the expected `error[<class>]:` line.
    #[default]
    Required,
    /// A clean rejection without an `error[<class>]:` line passes too
    /// (counted apart); a line naming another class still fails.
    Optional,
}

impl ErrorClasses {
    /// The mode's name, as `--error-classes` spells it.
    pub fn name(self) -> &'static str {
        match self {
            ErrorClasses::Required => "required",
            ErrorClasses::Optional => "optional",
        }
    }
}

/// The class of one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunClass {
    /// Exit status 0.
    Success,
    /// Exit status 1 or 2 with something on stderr, and no crash
    /// signature: the class of its `error[<class>]:` line, if any.
    Rejection(Option<String>),
    /// A death by signal or a runtime's crash report: its signature.
    Crash(String),
    /// Exit status 126 or 127 (the shell could not find or execute the
    /// command): the status and the shell's message.
    CouldNotRun(String),
    /// Any other failure (another exit status, or nothing on stderr).
    Unclean(String),
    /// A clean rejection whose `error[` line is malformed: the line.
    MalformedErrorLine(String),
}

/// A signal's usual name.
fn signal_name(sig: i32) -> String {
    let name = match sig {
        1 => "SIGHUP",
        2 => "SIGINT",
        3 => "SIGQUIT",
        4 => "SIGILL",
        5 => "SIGTRAP",
        6 => "SIGABRT",
        7 => "SIGBUS",
        8 => "SIGFPE",
        9 => "SIGKILL",
        11 => "SIGSEGV",
        13 => "SIGPIPE",
        15 => "SIGTERM",
        31 => "SIGSYS",
        _ => return format!("signal {sig}"),
    };
    format!("signal {sig} ({name})")
}

/// The first stderr line that a crashing runtime prints, described.
pub fn crash_signature(stderr: &str) -> Option<String> {
    let mut traceback = false;
    let mut last = "";
    for line in stderr.lines() {
        let l = line.trim();
        if l.contains("panicked at") {
            return Some(format!("Rust panic: {}", shorten(l, 0)));
        }
        if l.starts_with("panic: ") || l.starts_with("fatal error: ") || is_goroutine_header(l) {
            return Some(format!("Go panic: {}", shorten(l, 0)));
        }
        if l.starts_with("Exception in thread ") {
            return Some(format!("JVM exception: {}", shorten(l, 0)));
        }
        if l.starts_with("Unhandled exception") || l.starts_with("ERROR: AddressSanitizer") {
            return Some(format!("crash report: {}", shorten(l, 0)));
        }
        if l.starts_with("Traceback (most recent call last)") {
            traceback = true;
        }
        if !l.is_empty() {
            last = l;
        }
    }
    traceback.then(|| format!("Python traceback: {}", shorten(last, 0)))
}

/// `goroutine <N> [<state>]:`, the header of a Go stack dump.
fn is_goroutine_header(line: &str) -> bool {
    line.strip_prefix("goroutine ")
        .and_then(|r| r.split_once(" ["))
        .is_some_and(|(n, _)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// The class in sqsdump's `error[<class>]: …` line, if printed: the
/// first line that starts with `error[` and is well formed (a class of
/// letters, digits, `_` or `-`, then `]:`).
pub fn error_class(stderr: &str) -> Option<&str> {
    stderr
        .lines()
        .find_map(|l| well_formed_class(l.trim_start()))
}

fn well_formed_class(line: &str) -> Option<&str> {
    let (class, _) = line.strip_prefix("error[")?.split_once("]:")?;
    let ok = !class.is_empty()
        && class
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    ok.then_some(class)
}

/// A line that starts with `error[` but is not `error[<class>]: <message>`
/// (`error[bad magic] x`), when stderr has no well-formed one.
pub fn malformed_error_line(stderr: &str) -> Option<&str> {
    if error_class(stderr).is_some() {
        return None;
    }
    stderr
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("error["))
}

/// The most useful line of stderr, shortened.
pub fn stderr_hint(stderr: &str) -> String {
    let line = stderr
        .lines()
        .find(|l| l.trim_start().starts_with("error"))
        .or_else(|| stderr.lines().rev().find(|l| !l.trim().is_empty()))
        .unwrap_or("");
    shorten(line, 0)
}

/// Classify a run from its exit code (`None` when there is none), the
/// signal that ended it (if any) and its stderr. The shell reports a
/// command killed by signal N as exit status 128 + N.
// REQ-CONF-4
pub fn classify(code: Option<i32>, signal: Option<i32>, stderr: &str) -> RunClass {
    if let Some(sig) = signal {
        return RunClass::Crash(format!("killed by {}", signal_name(sig)));
    }
    let Some(code) = code else {
        return RunClass::Unclean("no exit status".to_string());
    };
    if code == 0 {
        return RunClass::Success;
    }
    if let Some(sig) = crash_signature(stderr) {
        return RunClass::Crash(format!("{sig} (exit status {code})"));
    }
    if (129..=192).contains(&code) {
        return RunClass::Crash(format!(
            "killed by {} (exit status {code})",
            signal_name(code - 128)
        ));
    }
    if code == 126 || code == 127 {
        return RunClass::CouldNotRun(format!("exit status {code}: {}", stderr_hint(stderr)));
    }
    let said = !stderr.trim().is_empty();
    if (code == 1 || code == 2) && said {
        if let Some(line) = malformed_error_line(stderr) {
            return RunClass::MalformedErrorLine(shorten(line, 0));
        }
        return RunClass::Rejection(error_class(stderr).map(str::to_string));
    }
    if said {
        RunClass::Unclean(format!("exit status {code}: {}", stderr_hint(stderr)))
    } else {
        RunClass::Unclean(format!("exit status {code} with nothing on stderr"))
    }
}

/// The verdict on a run where an error of `class` is expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorVerdict {
    /// Rejected with the expected class.
    Pass,
    /// Rejected without naming a class (optional mode only).
    PassWithoutClass,
    /// A finding to add (the case fails).
    Fail(Finding),
}

/// Judge a run where an error of `class` is expected. `class_subject` is
/// the direction's error-class subject; `case_req` the case's own
/// requirement (blamed when the run neither rejected nor crashed).
// REQ-CONF-4
pub fn judge_error(
    run: &RunClass,
    class: &str,
    mode: ErrorClasses,
    class_subject: Subject,
    case_req: &str,
) -> ErrorVerdict {
    let fail = |req: &str, diff: Difference| {
        ErrorVerdict::Fail(Finding {
            req: req.to_string(),
            diff,
        })
    };
    match run {
        RunClass::Rejection(Some(got)) if got == class => ErrorVerdict::Pass,
        RunClass::Rejection(Some(got)) => fail(
            governing(class_subject),
            Difference::new("wrong error class").values(class.to_string(), got.clone()),
        ),
        RunClass::Rejection(None) => match mode {
            ErrorClasses::Optional => ErrorVerdict::PassWithoutClass,
            ErrorClasses::Required => fail(
                governing(class_subject),
                Difference::new(format!(
                    "rejected without an error[<class>]: line (expected error[{class}]; --error-classes optional accepts it)"
                )),
            ),
        },
        RunClass::Crash(sig) => fail(
            CRASH_REQ,
            Difference::new(format!("crashed where an error ({class}) is expected: {sig}")),
        ),
        RunClass::Success => fail(
            case_req,
            Difference::new(format!(
                "exit status 0 (the input was accepted), expected error[{class}]"
            )),
        ),
        RunClass::CouldNotRun(why) => fail(
            case_req,
            Difference::new(format!("the command could not run: {why}")),
        ),
        RunClass::MalformedErrorLine(line) => fail(
            governing(class_subject),
            Difference::new(format!(
                "printed a malformed error line `{line}`: expected `error[<class>]: <message>` (here error[{class}]: …)"
            )),
        ),
        RunClass::Unclean(why) => fail(
            case_req,
            Difference::new(format!(
                "{why}, expected a clean rejection (exit status 1 or 2 with error[{class}])"
            )),
        ),
    }
}

/// The finding for a crash where success is expected (blamed on
/// REQ-ERR-2); `None` for any other run.
pub fn crash_finding(run: &RunClass) -> Option<Finding> {
    match run {
        RunClass::Crash(sig) => Some(Finding {
            req: CRASH_REQ.to_string(),
            diff: Difference::new(format!("crashed where success is expected: {sig}")),
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // REQ-CONF-4
    #[test]
    fn runs_are_classified() {
        assert_eq!(classify(Some(0), None, "panic: x"), RunClass::Success);
        assert_eq!(
            classify(Some(1), None, "error[bad_magic]: x\n"),
            RunClass::Rejection(Some("bad_magic".to_string()))
        );
        assert_eq!(
            classify(Some(2), None, "prog: bad input\n"),
            RunClass::Rejection(None)
        );
        assert_eq!(
            classify(Some(1), None, " \n"),
            RunClass::Unclean("exit status 1 with nothing on stderr".to_string())
        );
        assert_eq!(
            classify(Some(3), None, "error[io]: x"),
            RunClass::Unclean("exit status 3: error[io]: x".to_string())
        );
        assert_eq!(
            classify(None, Some(11), ""),
            RunClass::Crash("killed by signal 11 (SIGSEGV)".to_string())
        );
        assert_eq!(
            classify(None, Some(40), ""),
            RunClass::Crash("killed by signal 40".to_string())
        );
        assert_eq!(
            classify(Some(134), None, ""),
            RunClass::Crash("killed by signal 6 (SIGABRT) (exit status 134)".to_string())
        );
        assert_eq!(
            classify(Some(192), None, ""),
            RunClass::Crash("killed by signal 64 (exit status 192)".to_string())
        );
        assert!(matches!(
            classify(Some(128), None, "x"),
            RunClass::Unclean(_)
        ));
        assert!(matches!(
            classify(Some(193), None, "x"),
            RunClass::Unclean(_)
        ));
        assert_eq!(
            classify(Some(127), None, "sh: 1: /x: not found\n"),
            RunClass::CouldNotRun("exit status 127: sh: 1: /x: not found".to_string())
        );
        assert!(matches!(
            classify(Some(126), None, "denied"),
            RunClass::CouldNotRun(_)
        ));
        assert!(matches!(classify(None, None, ""), RunClass::Unclean(_)));
    }

    // REQ-CONF-4
    #[test]
    fn signals_are_named() {
        let named = [
            (1, "SIGHUP"),
            (2, "SIGINT"),
            (3, "SIGQUIT"),
            (4, "SIGILL"),
            (5, "SIGTRAP"),
            (6, "SIGABRT"),
            (7, "SIGBUS"),
            (8, "SIGFPE"),
            (9, "SIGKILL"),
            (11, "SIGSEGV"),
            (13, "SIGPIPE"),
            (15, "SIGTERM"),
            (31, "SIGSYS"),
        ];
        for (sig, name) in named {
            assert_eq!(signal_name(sig), format!("signal {sig} ({name})"));
        }
        for sig in [0, 10, 12, 14, 16, 30, 32, 64] {
            assert_eq!(signal_name(sig), format!("signal {sig}"));
        }
    }

    // REQ-CONF-4
    #[test]
    fn crash_signatures_of_common_runtimes_are_recognised() {
        let cases = [
            (
                "thread 'main' panicked at src/main.rs:3:5:\nboom\n",
                "Rust panic: thread 'main' panicked at src/main.rs:3:5:",
            ),
            (
                "panic: runtime error: index out of range\n\ngoroutine 1 [running]:\n",
                "Go panic: panic: runtime error: index out of range",
            ),
            (
                "goroutine 17 [running]:\nmain.main()\n",
                "Go panic: goroutine 17 [running]:",
            ),
            (
                "fatal error: runtime: out of memory\n",
                "Go panic: fatal error: runtime: out of memory",
            ),
            (
                "Traceback (most recent call last):\n  File \"x.py\", line 1\nKeyError: 'q'\n\n",
                "Python traceback: KeyError: 'q'",
            ),
            (
                "Exception in thread \"main\" java.lang.NullPointerException\n",
                "JVM exception: Exception in thread \"main\" java.lang.NullPointerException",
            ),
            (
                "Unhandled exception. System.Exception\n",
                "crash report: Unhandled exception. System.Exception",
            ),
            ("==1==ERROR: AddressSanitizer: x\n", ""),
        ];
        for (stderr, want) in cases {
            let got = crash_signature(stderr);
            if want.is_empty() {
                assert_eq!(got, None, "{stderr}");
            } else {
                assert_eq!(got.as_deref(), Some(want), "{stderr}");
            }
        }
        assert_eq!(
            crash_signature("ERROR: AddressSanitizer: heap\n").as_deref(),
            Some("crash report: ERROR: AddressSanitizer: heap")
        );
        assert_eq!(crash_signature("goroutine x [running]:\n"), None);
        assert_eq!(crash_signature("goroutine  [running]:\n"), None);
        assert_eq!(crash_signature("goroutine 1 running\n"), None);
        assert_eq!(crash_signature("error[truncated]: panic: no\n"), None);
        assert_eq!(
            classify(Some(2), None, "panic: boom\n\ngoroutine 1 [running]:\n"),
            RunClass::Crash("Go panic: panic: boom (exit status 2)".to_string())
        );
        assert_eq!(
            classify(Some(101), None, "thread 'main' panicked at a.rs:1:1:\n"),
            RunClass::Crash(
                "Rust panic: thread 'main' panicked at a.rs:1:1: (exit status 101)".to_string()
            )
        );
    }

    // REQ-CONF-4
    #[test]
    fn expected_errors_are_judged_by_run_class_and_mode() {
        use ErrorClasses::{Optional, Required};
        let judge = |run: RunClass, mode| {
            judge_error(&run, "truncated", mode, Subject::ErrorClass, "REQ-FSM-2")
        };
        let class = |c: &str| RunClass::Rejection(Some(c.to_string()));
        let req = |v: ErrorVerdict| match v {
            ErrorVerdict::Fail(f) => f.req,
            other => panic!("{other:?}"),
        };
        for mode in [Required, Optional] {
            assert_eq!(judge(class("truncated"), mode), ErrorVerdict::Pass);
            assert_eq!(req(judge(class("io"), mode)), "REQ-ERR-1");
            assert_eq!(req(judge(RunClass::Crash("x".into()), mode)), "REQ-ERR-2");
            assert_eq!(req(judge(RunClass::Success, mode)), "REQ-FSM-2");
            assert_eq!(
                req(judge(RunClass::CouldNotRun("x".into()), mode)),
                "REQ-FSM-2"
            );
            assert_eq!(req(judge(RunClass::Unclean("x".into()), mode)), "REQ-FSM-2");
        }
        assert_eq!(
            judge(RunClass::Rejection(None), Optional),
            ErrorVerdict::PassWithoutClass
        );
        assert_eq!(req(judge(RunClass::Rejection(None), Required)), "REQ-ERR-1");
        let enc = judge_error(
            &RunClass::Rejection(None),
            "io",
            Required,
            Subject::EncodeErrorClass,
            "REQ-ENC-1",
        );
        assert_eq!(req(enc), "REQ-ENC-5");
        let f = crash_finding(&RunClass::Crash("killed by signal 11 (SIGSEGV)".into())).unwrap();
        assert_eq!(
            (f.req.as_str(), f.diff.what.as_str()),
            (
                "REQ-ERR-2",
                "crashed where success is expected: killed by signal 11 (SIGSEGV)"
            )
        );
        for run in [
            RunClass::Success,
            RunClass::CouldNotRun("x".into()),
            class("io"),
            RunClass::Rejection(None),
            RunClass::Unclean("x".into()),
        ] {
            assert_eq!(crash_finding(&run), None);
        }
        assert_eq!(
            error_class("warn\nerror[short_key]: short key at offset 16\n"),
            Some("short_key")
        );
        assert_eq!(error_class("panic: boom"), None);
        assert_eq!(ErrorClasses::Optional.name(), "optional");
        assert_eq!(ErrorClasses::Required.name(), "required");
    }
}
