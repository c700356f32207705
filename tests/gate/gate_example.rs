//! `.github/workflows/gate-example.yml`, run as an adopter would run it
//! after copying it into another implementation's repository: its steps'
//! `run:` blocks are read from the YAML, their `${{ … }}` expressions
//! rendered, and run by bash as GitHub's runner does (`bash -e -o
//! pipefail`), with the workflow's and the step's `env:`.
//!
//! The implementation under test is `tests/gate/gate_example/stand-in-decoder`,
//! a wrapper of `sqsdump decode` that breaks one case on demand. The
//! workspace has no `conformance/` directory: the gate uses the corpus
//! built into the binary. The step that gets sqsdump runs with stand-ins
//! for `gh` (serving a fake release) and `cargo` (recording how it was
//! called).

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

#[derive(Debug, Deserialize)]
struct Workflow {
    env: BTreeMap<String, String>,
    jobs: BTreeMap<String, Job>,
}

#[derive(Debug, Deserialize)]
struct Job {
    steps: Vec<Step>,
}

#[derive(Debug, Deserialize)]
struct Step {
    name: Option<String>,
    run: Option<String>,
    #[serde(default)]
    env: BTreeMap<String, String>,
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn workflow_text() -> String {
    fs::read_to_string(root().join(".github/workflows/gate-example.yml")).unwrap()
}

fn workflow() -> Workflow {
    serde_yaml_ng::from_str(&workflow_text()).unwrap()
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn write_script(path: &Path, text: &str) {
    fs::write(path, text).unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).unwrap();
}

/// A runner's job: a workspace, a temp directory and the files GitHub's
/// runner provides, as in a repository that is not sqsdump.
struct Runner {
    _dir: tempfile::TempDir,
    workspace: PathBuf,
    temp: PathBuf,
    /// Directories put first on PATH.
    path: Vec<PathBuf>,
    /// Extra environment, over the workflow's and the step's.
    env: BTreeMap<String, String>,
}

impl Runner {
    fn new() -> Runner {
        let dir = tempfile::tempdir().unwrap();
        let workspace = dir.path().join("workspace");
        let temp = dir.path().join("runner-temp");
        fs::create_dir_all(workspace.join("impl/.github")).unwrap();
        fs::create_dir_all(&temp).unwrap();
        Runner {
            _dir: dir,
            workspace,
            temp,
            path: Vec::new(),
            env: BTreeMap::new(),
        }
    }

    fn github_path(&self) -> PathBuf {
        self.temp.join("github_path")
    }

    fn step_summary(&self) -> PathBuf {
        self.temp.join("step_summary.md")
    }

    /// `${{ … }}` replaced as GitHub would, for the expressions the
    /// example uses; any other expression fails the test.
    fn render(&self, text: &str) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${{") {
            out.push_str(&rest[..start]);
            let end = rest[start..].find("}}").expect("unclosed ${{") + start;
            let expr = rest[start + 3..end].trim();
            let value = match expr {
                "github.workspace" => self.workspace.display().to_string(),
                "runner.temp" => self.temp.display().to_string(),
                "github.token" => "test-token".to_string(),
                other => panic!("gate-example.yml uses ${{{{ {other} }}}}, unknown to this test"),
            };
            out.push_str(&value);
            rest = &rest[end + 2..];
        }
        out.push_str(rest);
        out
    }

    /// Run the step named `name` in the workspace.
    fn run_step(&self, name: &str) -> Output {
        let wf = workflow();
        let step = wf
            .jobs
            .values()
            .flat_map(|j| j.steps.iter())
            .find(|s| s.name.as_deref() == Some(name))
            .unwrap_or_else(|| panic!("no step named {name:?}"));
        let script = self.temp.join("step.sh");
        fs::write(&script, self.render(step.run.as_deref().unwrap())).unwrap();
        let mut cmd = Command::new("bash");
        cmd.args(["--noprofile", "--norc", "-e", "-o", "pipefail"])
            .arg(&script)
            .current_dir(&self.workspace);
        for (k, v) in wf.env.iter().chain(step.env.iter()) {
            cmd.env(k, self.render(v));
        }
        let mut path: Vec<PathBuf> = self.path.clone();
        path.extend(std::env::split_paths(&std::env::var_os("PATH").unwrap()));
        cmd.env("PATH", std::env::join_paths(path).unwrap())
            .env("RUNNER_TEMP", &self.temp)
            .env("GITHUB_WORKSPACE", &self.workspace)
            .env("GITHUB_PATH", self.github_path())
            .env("GITHUB_STEP_SUMMARY", self.step_summary())
            .env("GITHUB_SERVER_URL", "https://github.invalid")
            .env_remove("CARGO_TARGET_DIR");
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    }

    /// sqsdump on PATH, as the "Get sqsdump" step leaves it.
    fn with_sqsdump_on_path(&mut self) {
        let bin = self.temp.join("sqsdump/bin");
        fs::create_dir_all(&bin).unwrap();
        std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_sqsdump"), bin.join("sqsdump")).unwrap();
        self.path.push(bin);
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn show(out: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status.code(),
        text(&out.stdout),
        text(&out.stderr)
    )
}

// REQ-CONF-21
#[test]
fn the_example_names_where_sqsdump_comes_from_in_one_place() {
    let wf = workflow();
    let raw = workflow_text();
    for key in ["SQSDUMP_REPOSITORY", "SQSDUMP_VERSION", "SQSDUMP_SHA256"] {
        assert!(wf.env.contains_key(key), "env has no {key}");
    }
    assert_eq!(wf.env["SQSDUMP_REPOSITORY"], "OWNER/sqsdump");
    // The adopter's own repository is never taken for sqsdump's, and no
    // step checks sqsdump out or names it otherwise.
    assert!(!raw.contains("github.repository"), "{raw}");
    assert!(!raw.contains("repository:"), "{raw}");
    let steps: Vec<&Step> = wf.jobs.values().flat_map(|j| j.steps.iter()).collect();
    for s in &steps {
        for v in s.env.values() {
            assert!(!v.contains("sqsdump"), "step env names sqsdump: {v}");
        }
    }
    // The gate uses the corpus built into the binary, not a checkout.
    let gate = steps
        .iter()
        .find(|s| s.name.as_deref() == Some("sqsdump conform"))
        .unwrap();
    assert!(gate.run.as_deref().unwrap().contains("--builtin-corpus"));
}

/// The first case, in name order, that expects a tree and whose input no
/// other case shares: the one the stand-in breaks. Its input's SHA-256.
fn case_to_break() -> (String, String) {
    let corpus = root().join("conformance");
    let mut names: Vec<String> = fs::read_dir(&corpus)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with("REQ-"))
        .collect();
    names.sort();
    let mut by_hash: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for n in &names {
        if let Ok(bytes) = fs::read(corpus.join(n).join("input.fsm")) {
            by_hash
                .entry(sha256_hex(&bytes))
                .or_default()
                .push(n.clone());
        }
    }
    let (hash, case) = by_hash
        .iter()
        .filter(|(_, cases)| cases.len() == 1)
        .map(|(h, cases)| (h.clone(), cases[0].clone()))
        .filter(|(_, c)| corpus.join(c).join("expected").is_dir())
        .min_by(|a, b| a.1.cmp(&b.1))
        .unwrap();
    (case, hash)
}

/// The gate step's reports, read back.
struct Reports {
    junit: String,
    summary: String,
    report: Value,
    expect_now: String,
}

fn reports(r: &Runner) -> Reports {
    let dir = r.temp.join("conform");
    let read =
        |f: &str| fs::read_to_string(dir.join(f)).unwrap_or_else(|e| panic!("conform/{f}: {e}"));
    Reports {
        junit: read("junit.xml"),
        summary: read("summary.md"),
        report: serde_json::from_str(&read("report.json")).unwrap(),
        expect_now: read("expect-now.txt"),
    }
}

/// The verdict every report states: the exit status, JSON's `verdict`
/// and `exit_status`, JUnit's `verdict` property and `failures` count, and
/// the Markdown summary's heading all say the same thing (REQ-CONF-11).
/// `failing`: the cases that fail the run; `skipped`: expected failures.
fn reports_agree(out: &Output, rep: &Reports, failing: u64, skipped: u64) {
    let code = out.status.code().unwrap();
    let (verdict, word) = match code {
        0 => ("pass", "passed"),
        _ => ("fail", "failed"),
    };
    assert_eq!(code == 0, failing == 0, "{}", show(out));
    assert_eq!(rep.report["verdict"], verdict, "{}", rep.report["totals"]);
    assert_eq!(rep.report["exit_status"], code, "{}", rep.report["totals"]);
    let junit = roxmltree::Document::parse(&rep.junit).unwrap();
    let suite = junit
        .descendants()
        .find(|n| n.has_tag_name("testsuite"))
        .unwrap();
    assert_eq!(
        suite.attribute("failures"),
        Some(failing.to_string().as_str())
    );
    assert_eq!(
        suite.attribute("skipped"),
        Some(skipped.to_string().as_str())
    );
    let verdict_property = suite
        .descendants()
        .find(|n| n.has_tag_name("property") && n.attribute("name") == Some("verdict"))
        .and_then(|n| n.attribute("value"));
    assert_eq!(verdict_property, Some(verdict), "{}", rep.junit);
    let cases_failing = junit
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .filter(|n| n.children().any(|c| c.has_tag_name("failure")))
        .count() as u64;
    assert_eq!(cases_failing, failing, "{}", rep.junit);
    assert!(
        rep.summary
            .starts_with(&format!("### sqsdump conform: {word}\n")),
        "{}",
        rep.summary
    );
}

/// The failures `<REQ-ID> <case>` an expectations file lists.
fn listed(expect: &str) -> Vec<String> {
    expect
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}

// REQ-CONF-21
#[test]
fn the_rendered_gate_command_judges_a_stand_in_implementation_with_and_without_expectations() {
    let (broken, hash) = case_to_break();
    let mut r = Runner::new();
    r.with_sqsdump_on_path();
    assert!(!r.workspace.join("conformance").exists());
    // "Build the implementation under test", as the adopter replaces it.
    let impl_bin = r.workspace.join("impl-bin");
    fs::create_dir_all(&impl_bin).unwrap();
    fs::copy(
        root().join("tests/gate/gate_example/stand-in-decoder"),
        impl_bin.join("decoder"),
    )
    .unwrap();
    let expect_file = r.workspace.join("impl/.github/conform-expect.txt");
    let total = |rep: &Value| rep["passed"].as_u64().unwrap() + rep["failed"].as_u64().unwrap();

    // 1. A new failure: nothing expected, one case broken.
    fs::write(&expect_file, "").unwrap();
    r.env.insert("STANDIN_BREAK".into(), hash.clone());
    let out = r.run_step("sqsdump conform");
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(
        text(&out.stderr).contains("using the corpus built into sqsdump"),
        "{}",
        show(&out)
    );
    assert!(stdout.contains("NEW FAIL "), "{stdout}");
    let rep = reports(&r);
    let failures = listed(&rep.expect_now);
    assert!(!failures.is_empty(), "{}", rep.expect_now);
    for f in &failures {
        assert!(
            f.ends_with(&format!(" {broken}")),
            "{f} is not about {broken}"
        );
        assert!(stdout.contains(&format!("NEW FAIL {f}:")), "{stdout}");
    }
    assert_eq!(rep.report["failed"], 1, "{}", rep.report);
    assert_eq!(rep.report["corpus"], "builtin:sqsdump-0.1.0");
    assert!(total(&rep.report) > 100, "{}", rep.report);
    assert!(rep.report.to_string().contains(&broken));
    assert!(!rep.junit.contains("failures=\"0\""), "{}", rep.junit);
    assert!(rep.junit.contains(&broken), "{}", rep.junit);
    assert!(
        rep.summary.contains("1 failed (0 expected, 1 new)"),
        "{}",
        rep.summary
    );
    assert_eq!(rep.report["expectations"]["new_failures"], 1);
    reports_agree(&out, &rep, 1, 0);
    // The Summary step appends the Markdown to the job's summary.
    let out = r.run_step("Summary");
    assert!(out.status.success(), "{}", show(&out));
    assert_eq!(fs::read_to_string(r.step_summary()).unwrap(), rep.summary);

    // 2. An expected failure: the same failures, listed.
    fs::write(&expect_file, &rep.expect_now).unwrap();
    let out = r.run_step("sqsdump conform");
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert!(
        text(&out.stdout).contains(&format!(
            "expectations: {} expected failures, 0 new, 0 fixed",
            failures.len()
        )),
        "{}",
        show(&out)
    );
    let rep2 = reports(&r);
    assert_eq!(listed(&rep2.expect_now), failures);
    assert!(rep2.report.to_string().contains(&broken));
    assert!(text(&out.stdout).contains(&format!("XFAIL {}:", failures[0])));
    assert!(
        rep2.junit.contains("<skipped message=\"expected failure: "),
        "{}",
        rep2.junit
    );
    assert!(
        rep2.summary.contains("1 failed (1 expected, 0 new)"),
        "{}",
        rep2.summary
    );
    assert_eq!(rep2.report["expectations"]["expected_failures"], 1);
    reports_agree(&out, &rep2, 0, 1);

    // 3. Fixed: the stand-in no longer breaks the case; the listed
    // failures are reported FIXED and, without --strict-expect, pass.
    r.env.insert("STANDIN_BREAK".into(), String::new());
    let out = r.run_step("sqsdump conform");
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    for f in &failures {
        assert!(
            text(&out.stdout).contains(&format!("FIXED {f} (remove it")),
            "{}",
            show(&out)
        );
    }
    let rep3 = reports(&r);
    assert!(listed(&rep3.expect_now).is_empty(), "{}", rep3.expect_now);
    assert_eq!(rep3.report["failed"], 0, "{}", rep3.report);
    assert_eq!(rep3.report["expectations"]["fixed"], 1);
    assert!(rep3.summary.contains(" 0 failed"), "{}", rep3.summary);
    reports_agree(&out, &rep3, 0, 0);
    // Fixed under STRICT_EXPECT: the fixed case fails the run, everywhere.
    r.env.insert("STRICT_EXPECT".into(), "1".into());
    let out = r.run_step("sqsdump conform");
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let rep3s = reports(&r);
    assert!(rep3s.junit.contains("type=\"fixed\""), "{}", rep3s.junit);
    reports_agree(&out, &rep3s, 1, 0);
    r.env.remove("STRICT_EXPECT");

    // 4. No expectations file (EXPECT empty): every failure fails.
    r.env.insert("STANDIN_BREAK".into(), hash);
    r.env.insert("EXPECT".into(), String::new());
    let out = r.run_step("sqsdump conform");
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(
        !text(&out.stdout).contains("expectations:"),
        "{}",
        show(&out)
    );
    assert_eq!(listed(&reports(&r).expect_now), failures);
}

/// Stand-ins for `gh` (serving releases from `$FAKE_RELEASES/<owner>/<name>/<tag>/`)
/// and `cargo` (recording its arguments, installing sqsdump into `--root`).
fn with_fake_tools(r: &mut Runner) -> PathBuf {
    let fake = r.temp.join("fake-bin");
    fs::create_dir_all(&fake).unwrap();
    write_script(
        &fake.join("gh"),
        r#"#!/bin/sh
[ "$1 $2" = "release download" ] || { echo "fake gh: $*" >&2; exit 2; }
tag=$3; shift 3
repo= dir=. patterns=
while [ $# -gt 0 ]; do
    case "$1" in
        --repo) repo=$2; shift 2 ;;
        --dir) dir=$2; shift 2 ;;
        --pattern) patterns="$patterns $2"; shift 2 ;;
        *) echo "fake gh: unknown $1" >&2; exit 2 ;;
    esac
done
src="$FAKE_RELEASES/$repo/$tag"
[ -d "$src" ] || { echo "release not found" >&2; exit 1; }
n=0
for p in $patterns; do
    if [ -f "$src/$p" ]; then cp "$src/$p" "$dir/"; n=$((n + 1)); fi
done
[ "$n" -gt 0 ] || { echo "no assets match the file pattern" >&2; exit 1; }
"#,
    );
    write_script(
        &fake.join("cargo"),
        &format!(
            r#"#!/bin/sh
echo "$*" >> "$FAKE_CARGO_LOG"
root=
prev=
for a in "$@"; do
    [ "$prev" = --root ] && root=$a
    prev=$a
done
mkdir -p "$root/bin"
ln -sf '{}' "$root/bin/sqsdump"
"#,
            env!("CARGO_BIN_EXE_sqsdump")
        ),
    );
    r.path.push(fake);
    let releases = r.temp.join("releases");
    r.env
        .insert("FAKE_RELEASES".into(), releases.display().to_string());
    r.env.insert(
        "FAKE_CARGO_LOG".into(),
        r.temp.join("cargo.log").display().to_string(),
    );
    releases
}

const ASSET: &str = "sqsdump-x86_64-unknown-linux-musl";

/// Publish a fake release `owner/sqsdump` `tag` holding a copy of the
/// sqsdump binary and a `.sha256` file with `sha` (the real one if None).
fn publish(releases: &Path, tag: &str, sha: Option<&str>) -> Vec<u8> {
    let dir = releases.join("acme/sqsdump").join(tag);
    fs::create_dir_all(&dir).unwrap();
    let bytes = fs::read(env!("CARGO_BIN_EXE_sqsdump")).unwrap();
    fs::write(dir.join(ASSET), &bytes).unwrap();
    let sha = sha.map_or_else(|| sha256_hex(&bytes), str::to_string);
    fs::write(
        dir.join(format!("{ASSET}.sha256")),
        format!("{sha}  {ASSET}\n"),
    )
    .unwrap();
    bytes
}

fn installed(r: &Runner) -> PathBuf {
    r.temp.join("sqsdump/bin/sqsdump")
}

fn cargo_log(r: &Runner) -> String {
    fs::read_to_string(r.temp.join("cargo.log")).unwrap_or_default()
}

// REQ-CONF-21
#[test]
fn getting_sqsdump_downloads_a_release_checks_its_sha256_or_installs_with_cargo() {
    let repo = |r: &mut Runner, v: &str| {
        r.env
            .insert("SQSDUMP_REPOSITORY".into(), "acme/sqsdump".into());
        r.env.insert("SQSDUMP_VERSION".into(), v.into());
    };

    // A release: downloaded, checked against its .sha256, put on PATH.
    let mut r = Runner::new();
    let releases = with_fake_tools(&mut r);
    let bytes = publish(&releases, "v1.2.3", None);
    repo(&mut r, "v1.2.3");
    let out = r.run_step("Get sqsdump");
    assert!(out.status.success(), "{}", show(&out));
    assert_eq!(fs::read(installed(&r)).unwrap(), bytes);
    assert!(
        text(&out.stdout).contains("sqsdump 0.1.0"),
        "{}",
        show(&out)
    );
    assert_eq!(
        fs::read_to_string(r.github_path()).unwrap(),
        format!("{}\n", r.temp.join("sqsdump/bin").display())
    );
    assert_eq!(cargo_log(&r), "");

    // The same, pinned by SQSDUMP_SHA256 in the workflow.
    let mut r = Runner::new();
    let releases = with_fake_tools(&mut r);
    let bytes = publish(&releases, "v1.2.3", Some(&"0".repeat(64)));
    repo(&mut r, "v1.2.3");
    r.env.insert("SQSDUMP_SHA256".into(), sha256_hex(&bytes));
    let out = r.run_step("Get sqsdump");
    assert!(out.status.success(), "{}", show(&out));
    assert!(installed(&r).exists());

    // A checksum that does not match, from the release or the pin: the
    // step fails, installs nothing, and does not fall back to cargo.
    for (file_sha, pin) in [(Some("0".repeat(64)), None), (None, Some("1".repeat(64)))] {
        let mut r = Runner::new();
        let releases = with_fake_tools(&mut r);
        publish(&releases, "v1.2.3", file_sha.as_deref());
        repo(&mut r, "v1.2.3");
        if let Some(pin) = pin {
            r.env.insert("SQSDUMP_SHA256".into(), pin);
        }
        let out = r.run_step("Get sqsdump");
        assert!(!out.status.success(), "{}", show(&out));
        assert!(
            text(&out.stdout).contains("::error::SHA-256 of sqsdump-x86_64-unknown-linux-musl"),
            "{}",
            show(&out)
        );
        assert!(!installed(&r).exists());
        assert!(!r.github_path().exists());
        assert_eq!(cargo_log(&r), "");
    }

    // No release: cargo install from the repository, by tag or by commit.
    let commit = "0123456789abcdef0123456789abcdef01234567";
    for (version, flag) in [("v9.9.9", "--tag"), (commit, "--rev")] {
        let mut r = Runner::new();
        with_fake_tools(&mut r);
        repo(&mut r, version);
        let out = r.run_step("Get sqsdump");
        assert!(out.status.success(), "{}", show(&out));
        assert_eq!(
            cargo_log(&r),
            format!(
                "install --locked --root {} --git https://github.invalid/acme/sqsdump {flag} {version} sqsdump\n",
                r.temp.join("sqsdump").display()
            )
        );
        assert!(installed(&r).exists());
    }

    // Left as copied: the placeholder is refused with what to set.
    let mut r = Runner::new();
    with_fake_tools(&mut r);
    let out = r.run_step("Get sqsdump");
    assert!(!out.status.success(), "{}", show(&out));
    assert!(
        text(&out.stdout).contains("::error::set SQSDUMP_REPOSITORY"),
        "{}",
        show(&out)
    );
    assert_eq!(cargo_log(&r), "");

    // In sqsdump's own repository: built from the checkout.
    let mut r = Runner::new();
    with_fake_tools(&mut r);
    fs::copy(
        root().join("Cargo.toml"),
        r.workspace.join("impl/Cargo.toml"),
    )
    .unwrap();
    let out = r.run_step("Get sqsdump");
    assert!(out.status.success(), "{}", show(&out));
    assert_eq!(
        cargo_log(&r),
        format!(
            "install --locked --path impl --root {}\n",
            r.temp.join("sqsdump").display()
        )
    );
}
