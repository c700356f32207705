//! Unit tests of the gate's case handling: options, generated cases, and
//! whole runs over a small corpus in a temporary directory with `sh`
//! scripts as the implementation (the mutation runs of
//! `scripts/mutants --quick` select them).

use super::*;
use sha2::{Digest, Sha256};

fn options(corpus: Option<&Path>, template: &str) -> ConformOptions {
    ConformOptions {
        template: Template::parse(template).unwrap(),
        corpus: corpus.map(Path::to_path_buf),
        generated: 0,
        seed: 7,
        profile: Profile::Valid,
        compare: Compare::Bytes,
        timeout: Duration::from_secs(30),
        jobs: 2,
        filter: None,
        direction: Direction::Decode,
        error_classes: ErrorClasses::Required,
        keep: None,
    }
}

fn write(path: &Path, bytes: &[u8]) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, bytes).unwrap();
}

/// The FAIL and PASS lines of a run, without each failing case's
/// indented description line.
fn lines(results: &[CaseResult]) -> Vec<String> {
    results
        .iter()
        .flat_map(CaseResult::lines)
        .filter(|l| !l.starts_with("    "))
        .collect()
}

fn run_all(opts: &ConformOptions) -> Vec<CaseResult> {
    let mut seen = Vec::new();
    let results = run(opts, &mut |r| seen.push(r.name.clone())).unwrap();
    assert_eq!(
        seen,
        results.iter().map(|r| r.name.clone()).collect::<Vec<_>>()
    );
    results
}

/// A decode corpus: a tree case with a node data directory as input, an
/// error case with an `.fsm` input, a case whose name is not a
/// requirement's, and entries a run skips.
fn decode_corpus(root: &Path) {
    let tree = root.join("REQ-OUT-1-copy");
    write(&tree.join("input/sqs/q/_queue.json"), b"{}");
    write(&tree.join("input/sqs/q/sub/x"), b"1");
    write(&tree.join("expected/sqs/q/_queue.json"), b"{}");
    write(&tree.join("expected/sqs/q/sub/x"), b"1");
    write(&tree.join("flags"), b"  --a  \n\n--b\n");
    let err = root.join("REQ-ERR-1-reject");
    write(&err.join("input.fsm"), b"junk");
    write(&err.join("flags"), b"");
    write(&err.join("expected-error"), b"bad_magic\n");
    let plain = root.join("odd-name");
    write(&plain.join("input/f"), b"2");
    write(&plain.join("expected/f"), b"2");
    write(&plain.join("flags"), b"");
    write(&root.join("README.md"), b"not a case");
    write(&root.join("expectations/x.txt"), b"");
    write(&root.join("encode/REQ-ENC-1-x/flags"), b"");
}

/// Copies a directory input, rejects an `.fsm` input with `bad_magic`;
/// `extra` runs after the copy.
fn copier(extra: &str) -> String {
    format!(
        "if [ -d {{input}} ]; then cp -R {{input}} {{output}}; {extra} else echo 'error[bad_magic]: no' >&2; exit 1; fi"
    )
}

// REQ-CONF-3
#[test]
fn a_corpus_run_judges_each_case_against_its_expectation() {
    let tmp = tempfile::tempdir().unwrap();
    decode_corpus(tmp.path());
    let opts = options(
        Some(tmp.path()),
        &copier("printf '%s' {flags} > /dev/null;"),
    );
    let results = run_all(&opts);
    assert_eq!(
        lines(&results),
        [
            "PASS REQ-ERR-1-reject",
            "PASS REQ-OUT-1-copy",
            "PASS odd-name"
        ]
    );
    assert_eq!(results[2].req, "REQ-CONF-1");
    assert_eq!(results[1].slug, "copy");
    assert_eq!(totals_line(&results), "3 passed, 0 failed");
    // The case's flags reach the command, trimmed, blank lines left out.
    let opts = options(
        Some(tmp.path()),
        &copier("[ \"$(echo {flags})\" = '--a --b' ] || exit 3;"),
    );
    let results = run_all(&opts);
    assert_eq!(
        lines(&results),
        [
            "PASS REQ-ERR-1-reject".to_string(),
            "PASS REQ-OUT-1-copy".to_string(),
            format!(
                "FAIL REQ-CONF-1 odd-name: exit status 3, expected success: {}",
                stderr_hint("")
            )
        ]
    );
    // A filter keeps the cases it names whole, never a substring.
    let mut opts = options(Some(tmp.path()), &copier(""));
    opts.filter = Some("REQ-OUT-1-copy".into());
    assert_eq!(lines(&run_all(&opts)), ["PASS REQ-OUT-1-copy"]);
}

// REQ-CONF-3
#[test]
fn differences_and_wrong_outcomes_fail_their_case() {
    let tmp = tempfile::tempdir().unwrap();
    decode_corpus(tmp.path());
    let extra = copier("echo 1 > {output}/extra;");
    let results = run_all(&options(Some(tmp.path()), &extra));
    assert_eq!(
        lines(&results),
        [
            "PASS REQ-ERR-1-reject",
            "FAIL REQ-OUT-1 REQ-OUT-1-copy: extra: unexpected file",
            "FAIL REQ-OUT-1 odd-name: extra: unexpected file",
        ]
    );
    assert_eq!(totals_line(&results), "1 passed, 2 failed");
    // Success where an error is expected; an error where a tree is.
    let results = run_all(&options(
        Some(tmp.path()),
        "if [ -d {input} ]; then exit 1; else : > {output}; fi",
    ));
    assert_eq!(
        lines(&results)[0],
        "FAIL REQ-ERR-1 REQ-ERR-1-reject: exit status 0 (the input was accepted), expected error[bad_magic]"
    );
    assert!(
        lines(&results)[1]
            .starts_with("FAIL REQ-OUT-1 REQ-OUT-1-copy: exit status 1, expected success"),
        "{:?}",
        lines(&results)
    );
    // An error that leaves its output behind, or names another class.
    let results = run_all(&options(
        Some(tmp.path()),
        ": {input}; mkdir {output}; echo 'error[other]: x' >&2; exit 1",
    ));
    let got = lines(&results);
    assert!(
        got[0].starts_with("FAIL REQ-CLI-5 REQ-ERR-1-reject: rejected the input (exit status 1, printed error[other]) but left a directory at the output path"),
        "{got:?}"
    );
    assert!(
        got.iter()
            .any(|l| l.starts_with("FAIL REQ-ERR-1 REQ-ERR-1-reject: ")),
        "{got:?}"
    );
    let results = run_all(&options(
        Some(tmp.path()),
        ": {input}; : > {output}; echo 'error[bad_magic]: x' >&2; exit 1",
    ));
    assert_eq!(
        lines(&results)[0],
        "FAIL REQ-CLI-5 REQ-ERR-1-reject: rejected the input (exit status 1, printed error[bad_magic]) but left a file at the output path"
    );
    // Without an error line: passes only with optional classes, counted
    // apart.
    let mut opts = options(Some(tmp.path()), ": {input} {output}; echo no >&2; exit 1");
    opts.filter = Some("REQ-ERR-1".into());
    let results = run_all(&opts);
    assert!(!results[0].passed());
    opts.error_classes = ErrorClasses::Optional;
    let results = run_all(&opts);
    assert!(results[0].passed() && results[0].passed_without_class());
    assert_eq!(
        totals_line(&results),
        "1 passed (1 without an error class), 0 failed"
    );
    // Past the timeout the case fails.
    let mut opts = options(Some(tmp.path()), ": {input} {output}; sleep 5");
    opts.timeout = Duration::from_millis(300);
    opts.filter = Some("odd-name".into());
    assert_eq!(
        lines(&run_all(&opts)),
        ["FAIL REQ-CONF-1 odd-name: timed out after 0.3 s (process group killed)"]
    );
    // A command that cannot run stops the run.
    let opts = options(Some(tmp.path()), "/nonexistent/impl {input} {output}");
    let err = run(&opts, &mut |_| {}).unwrap_err().to_string();
    assert!(err.contains("the command could not run"), "{err}");
    assert!(err.contains("/nonexistent/impl"), "{err}");
}

// REQ-CONF-6
#[test]
fn generated_cases_are_named_by_profile_seed_and_index() {
    let mut opts = options(None, "exit 1 {input} {output}");
    opts.generated = 2;
    opts.profile = Profile::Mixed;
    let results = run_all(&opts);
    assert_eq!(
        results.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(),
        [
            "REQ-CONF-6-generated-mixed-seed7-0",
            "REQ-CONF-6-generated-mixed-seed7-1"
        ]
    );
    assert!(results
        .iter()
        .all(|r| r.req == GENERATED_REQ && !r.passed()));
    assert_eq!(results[1].slug, "generated-mixed-seed7-1");
    assert_eq!(Profile::Valid.name(), "valid");
    assert_eq!(Profile::Mixed.name(), "mixed");
    assert_eq!(Profile::Shared.name(), "shared");
    // Generated snapshots are decode cases only.
    opts.direction = Direction::Encode;
    assert!(run(&opts, &mut |_| {}).is_err());
}

/// The first bytes of the SHA-256 of a generated input and its flags.
fn digest(seed: u64, index: u64, profile: Profile) -> String {
    let (bytes, flags) = generated_input(seed, index, profile);
    let mut h = Sha256::new();
    h.update(&bytes);
    h.update(flags.join(" "));
    hex::encode(h.finalize())
        .get(..12)
        .unwrap_or_default()
        .to_string()
}

// REQ-CONF-6
#[test]
fn a_seed_names_the_same_generated_snapshots_in_every_version() {
    let got: Vec<String> = [
        (0x5eed, 0, Profile::Valid),
        (0x5eed, 1, Profile::Valid),
        (0x5eed, 0, Profile::Mixed),
        (0x5eed, 1, Profile::Mixed),
        (0x5eed, 2, Profile::Mixed),
        (0x5eed, 0, Profile::Shared),
        (0x5eed, 1, Profile::Shared),
        (3, 5, Profile::Valid),
    ]
    .into_iter()
    .map(|(s, i, p)| digest(s, i, p))
    .collect();
    assert_eq!(got, GOLDEN);
    // Shared snapshots alternate no flags and both.
    assert_eq!(
        generated_input(1, 0, Profile::Shared).1,
        Vec::<String>::new()
    );
    assert_eq!(
        generated_input(1, 1, Profile::Shared).1,
        [corpus::PRESERVE, corpus::SIDE]
    );
}

const GOLDEN: [&str; 8] = [
    "dc2ffea7fb1d",
    "7eeb2d590365",
    "dc2ffea7fb1d",
    "4d9347a09a0d",
    "d3a73c761273",
    "53e3653fbcf9",
    "9c5ef7c8e300",
    "ddb70bad0059",
];

// REQ-CONF-3
#[test]
fn options_and_totals() {
    assert_eq!(parse_timeout("1.5"), Ok(1.5));
    for bad in ["0", "-1", "1e9", "inf", "NaN", "x"] {
        assert!(parse_timeout(bad).is_err(), "{bad}");
    }
    assert_eq!(parse_timeout("999999999"), Ok(999_999_999.0));
    assert_eq!(
        req_order("REQ-DEC-10"),
        ("REQ-DEC".to_string(), 10, "REQ-DEC-10".to_string())
    );
    assert!(req_order("REQ-DEC-2") < req_order("REQ-DEC-10"));
    assert_eq!(
        req_order("plain"),
        ("plain".to_string(), 0, "plain".to_string())
    );
    assert_eq!(
        Template::parse("a {output}").unwrap_err(),
        "the command template must contain {input}"
    );
    assert_eq!(
        parse_template("x {input} {output}").unwrap().to_string(),
        "x {input} {output}"
    );
    assert_eq!(read_flags(b" --a \n\n--b"), ["--a", "--b"]);
    let d = Difference::in_file("f", Some(3), "what").values("e".into(), "a".into());
    assert_eq!(d.to_string(), "f:3: what: expected e got a");
    let finding = |req: &str, what: &str| Finding {
        req: req.into(),
        diff: Difference::new(what),
    };
    let r = CaseResult {
        name: "c".into(),
        findings: vec![
            finding("REQ-DEC-10", "x"),
            finding("REQ-DEC-2", "y"),
            finding("REQ-DEC-10", "z"),
            finding("REQ-DEC-10", "w"),
        ],
        ..CaseResult::default()
    };
    assert_eq!(r.blamed(), ["REQ-DEC-2", "REQ-DEC-10"]);
    assert_eq!(
        r.lines(),
        [
            "FAIL REQ-DEC-2 c: y",
            "FAIL REQ-DEC-10 c: x (+2 more)",
            "    case : (no description)"
        ]
    );
    assert!(!r.passed() && !r.passed_without_class());
    let ok = CaseResult {
        name: "d".into(),
        without_class: true,
        ..CaseResult::default()
    };
    assert!(ok.passed() && ok.passed_without_class());
    assert_eq!(ok.lines(), ["PASS d"]);
    assert_eq!(
        totals_line(&[r, ok]),
        "1 passed (1 without an error class), 1 failed"
    );
}

/// An encode corpus: one case expecting a snapshot (its input holds a
/// symlink), one expecting an error.
fn encode_corpus(root: &Path) {
    let ok = root.join("encode/REQ-ENC-1-copy");
    write(&ok.join("input/snap"), b"EKVPBBL");
    write(&ok.join("input/sqs/q/_queue.json"), b"{}");
    write(&ok.join("flags"), b"--last-commit-ts=7\n");
    write(&ok.join("expected.fsm"), b"EKVPBBL");
    write(&ok.join("symlinks"), b"sqs/link\t../snap\n");
    let err = root.join("encode/REQ-ENC-5-reject");
    write(&err.join("input/sqs/q/_queue.json"), b"{}");
    write(&err.join("flags"), b"");
    write(&err.join("expected-error"), b"bad_dump\n");
}

fn encoder(extra: &str) -> String {
    format!(
        "if [ -f {{input}}/snap ]; then cat {{input}}/snap > {{output}}; {extra} else echo 'error[bad_dump]: no' >&2; exit 2; fi"
    )
}

// REQ-CONF-10
#[test]
fn an_encode_run_judges_snapshots_inputs_and_strays() {
    let tmp = tempfile::tempdir().unwrap();
    encode_corpus(tmp.path());
    let mut opts = options(Some(tmp.path()), &encoder(""));
    opts.direction = Direction::Encode;
    assert_eq!(
        lines(&run_all(&opts)),
        ["PASS REQ-ENC-1-copy", "PASS REQ-ENC-5-reject"]
    );
    opts.template = Template::parse(&encoder("echo x > {input}/more;")).unwrap();
    assert_eq!(
        lines(&run_all(&opts))[0],
        "FAIL REQ-ENC-11 REQ-ENC-1-copy: the input dump was changed"
    );
    opts.template = Template::parse(&encoder("rm {input}/sqs/link;")).unwrap();
    assert_eq!(
        lines(&run_all(&opts))[0],
        "FAIL REQ-ENC-11 REQ-ENC-1-copy: the input dump was changed"
    );
    opts.template =
        Template::parse(&encoder("echo x > \"$(dirname {output})\"/../stray;")).unwrap();
    assert_eq!(
        lines(&run_all(&opts))[0],
        "FAIL REQ-ENC-11 REQ-ENC-1-copy: wrote stray outside the output's directory"
    );
    opts.template = Template::parse(&encoder("printf x >> {output};")).unwrap();
    let got = lines(&run_all(&opts));
    assert!(
        got[0].starts_with("FAIL REQ-ENC-1 REQ-ENC-1-copy: "),
        "{got:?}"
    );
    // An error case that succeeds, or leaves a file behind.
    opts.template = Template::parse(": > {output} {input}").unwrap();
    assert_eq!(
        lines(&run_all(&opts))[1],
        "FAIL REQ-ENC-5 REQ-ENC-5-reject: exit status 0 (the input was accepted), expected error[bad_dump]"
    );
    opts.template =
        Template::parse(": > {output}; echo 'error[bad_dump]: x' >&2; exit 2 {input}").unwrap();
    assert_eq!(
        lines(&run_all(&opts))[1],
        "FAIL REQ-ENC-11 REQ-ENC-5-reject: rejected the input (exit status 2, printed error[bad_dump]) but left a file at the output path"
    );
}

// REQ-CONF-10
#[test]
fn encode_cases_with_unsafe_symlinks_are_unreadable() {
    for bad in [
        "a/../b\tx\n",
        "/a\tx\n",
        "a//b\tx\n",
        "./a\tx\n",
        "no tab\n",
    ] {
        let tmp = tempfile::tempdir().unwrap();
        encode_corpus(tmp.path());
        write(
            &tmp.path().join("encode/REQ-ENC-1-copy/symlinks"),
            bad.as_bytes(),
        );
        let mut opts = options(Some(tmp.path()), &encoder(""));
        opts.direction = Direction::Encode;
        opts.filter = Some("REQ-ENC-1-copy".into());
        let got = lines(&run_all(&opts));
        assert!(
            got[0].starts_with("FAIL REQ-ENC-1 REQ-ENC-1-copy: corpus case unreadable: "),
            "{bad:?}: {got:?}"
        );
    }
}

// REQ-CONF-4
#[test]
fn the_error_line_is_found_in_the_first_64_kib_of_stderr() {
    let tmp = tempfile::tempdir().unwrap();
    decode_corpus(tmp.path());
    let noisy = |bytes: usize| {
        let mut opts = options(
            Some(tmp.path()),
            &format!(": {{input}} {{output}}; head -c {bytes} /dev/zero | tr '\\0' x >&2; echo >&2; echo 'error[bad_magic]: no' >&2; exit 1"),
        );
        opts.filter = Some("REQ-ERR-1".into());
        run_all(&opts)[0].passed()
    };
    assert!(noisy(4000));
    assert!(!noisy(70_000));
}

// REQ-CONF-3
#[test]
fn what_the_command_leaves_running_is_killed_with_it() {
    let tmp = tempfile::tempdir().unwrap();
    decode_corpus(tmp.path());
    let marker = tmp.path().join("marker");
    let mut opts = options(
        Some(tmp.path()),
        &format!(
            "(sleep 1; : > {}) & {}",
            shell_quote(&marker.to_string_lossy()),
            copier("")
        ),
    );
    opts.filter = Some("REQ-OUT-1-copy".into());
    assert_eq!(lines(&run_all(&opts)), ["PASS REQ-OUT-1-copy"]);
    std::thread::sleep(Duration::from_millis(1500));
    assert!(!marker.exists(), "a background process outlived the case");
}

fn args(corpus: &Path, template: &str, out: &Path) -> ConformArgs {
    ConformArgs {
        implementation: Template::parse(template).unwrap(),
        corpus: Some(corpus.to_path_buf()),
        builtin_corpus: false,
        generated: 0,
        seed: 0,
        profile: Profile::Valid,
        compare: Compare::Bytes,
        timeout: 30.0,
        report: Some(out.join("report.json")),
        junit: Some(out.join("junit.xml")),
        summary_md: Some(out.join("summary.md")),
        expect: None,
        strict_expect: false,
        write_expect: Some(out.join("expect.txt")),
        jobs: Some(2),
        filter: None,
        direction: Direction::Decode,
        error_classes: ErrorClasses::Required,
        keep: None,
    }
}

// REQ-CONF-3
#[test]
fn the_command_line_run_writes_its_files_and_says_whether_the_gate_passed() {
    let tmp = tempfile::tempdir().unwrap();
    let corpus = tmp.path().join("corpus");
    decode_corpus(&corpus);
    let out = tmp.path().join("out");
    fs::create_dir_all(&out).unwrap();
    let good = args(&corpus, &copier(""), &out);
    assert_eq!(good.options().timeout, Duration::from_secs(30));
    assert_eq!(good.options().jobs, 2);
    assert_eq!(status(&good), 0);
    for f in ["report.json", "junit.xml", "summary.md", "expect.txt"] {
        assert!(out.join(f).is_file(), "{f}");
    }
    let bad = args(&corpus, &copier("echo 1 > {output}/extra;"), &out);
    assert_eq!(status(&bad), 1);
    let listed = fs::read_to_string(out.join("expect.txt")).unwrap();
    assert!(listed.contains("REQ-OUT-1 REQ-OUT-1-copy"), "{listed}");
    // Every failure listed: the gate passes; a listed failure that now
    // passes fails it only with --strict-expect.
    let mut expected = args(&corpus, &copier("echo 1 > {output}/extra;"), &out);
    fs::write(tmp.path().join("known.txt"), &listed).unwrap();
    expected.expect = Some(tmp.path().join("known.txt"));
    expected.write_expect = None;
    assert_eq!(status(&expected), 0);
    expected.implementation = Template::parse(&copier("")).unwrap();
    assert_eq!(status(&expected), 0);
    expected.strict_expect = true;
    assert_eq!(status(&expected), 1);
    fs::write(tmp.path().join("known.txt"), "nonsense\n").unwrap();
    assert_eq!(status(&expected), 2);
}
