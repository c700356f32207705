//! What the help and the README promise, checked against what the binary
//! does (REQ-CLI-1, REQ-CLI-2, REQ-CLI-10, REQ-CONF).

use std::process::{Command, Output, Stdio};

fn sqsdump(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sqsdump"))
        .args(args)
        .env_remove("SOURCE_DATE_EPOCH")
        .stdin(Stdio::null())
        .output()
        .expect("sqsdump runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

// REQ-CLI-2: the top-level help lists every exit code.
#[test]
fn help_lists_every_exit_code() {
    let help = text(&sqsdump(&["--help"]).stdout);
    for code in [
        "0 on success",
        "1 on a data",
        "2 on a usage",
        "129",
        "130",
        "143",
    ] {
        assert!(help.contains(code), "{code} missing from:\n{help}");
    }
    assert!(help.contains("sqsdump clean"), "{help}");
}

fn gen_to(dir: &std::path::Path, name: &str, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sqsdump"))
        .args(["gen", "--seed", "1", "--messages", "20", "--output", name])
        .args(extra)
        .current_dir(dir)
        .output()
        .unwrap()
}

// REQ-CLI-10: `--output -` writes the snapshot to stdout (the same bytes
// as a file), `--queues 0` is a usage error, and an existing file is
// replaced only with --force.
#[test]
fn gen_writes_stdout_for_dash_refuses_zero_queues_and_overwrites_only_with_force() {
    let tmp = tempfile::tempdir().unwrap();
    let o = gen_to(tmp.path(), "a.fsm", &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let file = std::fs::read(tmp.path().join("a.fsm")).unwrap();
    let o = gen_to(tmp.path(), "-", &[]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(o.stdout, file);
    assert!(!tmp.path().join("-").exists());

    std::fs::write(tmp.path().join("a.fsm"), b"keep").unwrap();
    let o = gen_to(tmp.path(), "a.fsm", &[]);
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(
        err.starts_with("error[io]:") && err.contains("--force"),
        "{err}"
    );
    assert_eq!(std::fs::read(tmp.path().join("a.fsm")).unwrap(), b"keep");
    let o = gen_to(tmp.path(), "a.fsm", &["--force"]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(std::fs::read(tmp.path().join("a.fsm")).unwrap(), file);

    let o = gen_to(tmp.path(), "q.fsm", &["--queues", "0"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(!tmp.path().join("q.fsm").exists());
}

// REQ-CLI-10: the help says which --upstream order holds the snapshot in
// memory.
#[test]
fn gen_help_says_only_shuffled_holds_the_snapshot_in_memory() {
    let help = text(&sqsdump(&["gen", "--help"]).stdout);
    assert!(
        help.contains("`pebble` sorts in bounded memory")
            && help.contains("`shuffled` holds the whole snapshot in memory"),
        "{help}"
    );
    assert!(!help.contains("This holds the whole snapshot in memory"));
}

fn decode_with(dir: &std::path::Path, out: &str, flags: &[&str], sde: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sqsdump"));
    cmd.args(["decode", "--input", "a.fsm", "--output", out])
        .args(flags)
        .current_dir(dir)
        .env_remove("SOURCE_DATE_EPOCH");
    if let Some(v) = sde {
        cmd.env("SOURCE_DATE_EPOCH", v);
    }
    cmd.output().unwrap()
}

fn wall_time_of(dir: &std::path::Path) -> String {
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("MANIFEST.json")).unwrap()).unwrap();
    m["wall_time_iso"].as_str().unwrap().to_string()
}

// REQ-CLI-1: `--wall-time TIME` is recorded (before SOURCE_DATE_EPOCH), a
// bare `--wall-time` is accepted and ignored, an impossible date is a
// usage error, and an empty SOURCE_DATE_EPOCH counts as unset.
#[test]
fn wall_time_is_recorded_or_ignored_and_an_empty_source_date_epoch_is_unset() {
    let tmp = tempfile::tempdir().unwrap();
    assert!(gen_to(tmp.path(), "a.fsm", &[]).status.success());
    let d = tmp.path();

    let o = decode_with(d, "w1", &["--wall-time", "2020-01-01T00:00:00Z"], None);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(wall_time_of(&d.join("w1")), "2020-01-01T00:00:00.000Z");

    let o = decode_with(d, "w2", &["--wall-time=2024-02-29T23:59:59Z"], Some("5"));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(wall_time_of(&d.join("w2")), "2024-02-29T23:59:59.000Z");

    let o = decode_with(d, "w3", &["--wall-time"], Some("1700000000"));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(wall_time_of(&d.join("w3")), "2023-11-14T22:13:20.000Z");

    for bad in [
        "2023-02-29T00:00:00Z",
        "2020-01-01 00:00:00",
        "1700000000",
        "2020-01-01T24:00:00Z",
    ] {
        let o = decode_with(d, "bad", &["--wall-time", bad], None);
        assert_eq!(o.status.code(), Some(2), "{bad}: {}", text(&o.stderr));
        assert!(!d.join("bad").exists());
    }

    let o = decode_with(d, "e1", &[], Some(""));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(sqsdump::manifest::is_rfc3339(&wall_time_of(&d.join("e1"))));
    let o = Command::new(env!("CARGO_BIN_EXE_sqsdump"))
        .args(["encode", "--input", "e1", "--output", "e1.fsm"])
        .current_dir(d)
        .env("SOURCE_DATE_EPOCH", "")
        .output()
        .unwrap();
    assert!(
        !text(&o.stderr).contains("source-date-epoch"),
        "{}",
        text(&o.stderr)
    );
}

// REQ-CLI-1: `verify --input DIR` checks DIR, as `verify DIR` does.
#[test]
fn verify_takes_input_like_every_other_command() {
    let tmp = tempfile::tempdir().unwrap();
    assert!(gen_to(tmp.path(), "a.fsm", &[]).status.success());
    assert!(decode_with(tmp.path(), "dump", &[], Some("1"))
        .status
        .success());
    let dump = tmp.path().join("dump");
    let by_flag = sqsdump(&["verify", "--input", dump.to_str().unwrap()]);
    let by_position = sqsdump(&["verify", dump.to_str().unwrap()]);
    assert_eq!(by_flag.status.code(), Some(0), "{}", text(&by_flag.stdout));
    assert_eq!(by_flag.stdout, by_position.stdout);
    assert!(text(&by_flag.stdout).contains("no violations"));
    assert_eq!(sqsdump(&["verify"]).status.code(), Some(2));
}

// REQ-CLI-1: --wall-time's parser is the inverse of the manifest's
// formatter, leap days and the ends of the range included.
#[test]
fn wall_time_parsing_inverts_the_manifest_formatter() {
    use sqsdump::manifest::{parse_wall_time, rfc3339_utc, MAX_EPOCH_SECONDS};
    let mut secs = 0u64;
    while secs <= MAX_EPOCH_SECONDS {
        let text = rfc3339_utc(secs, 0).replace(".000Z", "Z");
        assert_eq!(parse_wall_time(&text), Ok(secs), "{text}");
        secs = secs * 3 + 86_399;
    }
    assert_eq!(
        parse_wall_time("9999-12-31T23:59:59Z"),
        Ok(MAX_EPOCH_SECONDS)
    );
    assert_eq!(parse_wall_time("1970-01-01T00:00:00Z"), Ok(0));
    assert_eq!(parse_wall_time("2000-02-29T00:00:00Z"), Ok(951_782_400));
    for bad in [
        "1900-02-29T00:00:00Z",
        "1969-12-31T23:59:59Z",
        "2020-01-01T00:00:00.5Z",
        "",
        "2020-13-01T00:00:00Z",
    ] {
        assert!(parse_wall_time(bad).is_err(), "{bad}");
    }
}

/// Run `sqsdump ARGS` in `dir` with a terminal as stderr (through
/// util-linux `script`), slowed down so that the bar draws; return what
/// the terminal showed.
fn on_a_terminal(dir: &std::path::Path, args: &str) -> String {
    let o = Command::new("script")
        .args([
            "-qec",
            &format!("\"{}\" {args}", env!("CARGO_BIN_EXE_sqsdump")),
            "/dev/null",
        ])
        .current_dir(dir)
        .env("SQSDUMP_TEST_ENTRY_DELAY_US", "300")
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .stdin(Stdio::null())
        .output()
        .expect("util-linux script runs");
    assert!(o.status.success(), "{}", text(&o.stdout));
    text(&o.stdout)
}

/// Every rate shown: the word before each `B/s`, `KiB/s`, `MiB/s`,
/// `GiB/s` or `msg/s`.
fn rates(screen: &str) -> Vec<String> {
    let words: Vec<&str> = screen
        .split(|c: char| c.is_whitespace() || c == '\r')
        .collect();
    words
        .windows(2)
        .filter(|w| ["B/s", "KiB/s", "MiB/s", "GiB/s", "msg/s"].contains(&w[1]))
        .map(|w| w[0].to_string())
        .collect()
}

// REQ-CLI-3: on a terminal, decode and encode both draw a bar; its rates
// are whole numbers with a unit and its ETA is `--` until known, never
// hours on the first tick.
#[test]
fn decode_and_encode_show_progress_with_whole_rates_on_a_terminal() {
    let tmp = tempfile::tempdir().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_sqsdump"))
        .args([
            "gen",
            "--seed",
            "1",
            "--messages",
            "2000",
            "--output",
            "a.fsm",
        ])
        .current_dir(tmp.path())
        .output()
        .unwrap();
    assert!(o.status.success());
    let decode = on_a_terminal(tmp.path(), "decode --input a.fsm --output dump");
    let encode = on_a_terminal(tmp.path(), "encode --input dump --output out.fsm");
    assert!(decode.contains("reading "), "{decode}");
    assert!(encode.contains("encoding "), "{encode}");
    for screen in [&decode, &encode] {
        let rates = rates(screen);
        assert!(!rates.is_empty(), "{screen}");
        for r in rates {
            assert!(
                !r.is_empty() && r.chars().all(|c| c.is_ascii_digit() || c == ','),
                "rate {r:?} in {screen}"
            );
        }
        let etas: Vec<&str> = screen
            .split("eta ")
            .skip(1)
            .filter_map(|t| t.split_whitespace().next())
            .collect();
        assert_eq!(etas.first(), Some(&"--"), "{screen}");
        // This run takes seconds: no ETA in hours, ever.
        for eta in etas {
            assert!(eta == "--" || eta.ends_with('s'), "eta {eta:?} in {screen}");
        }
    }
}

/// A generated snapshot `a.fsm` and its dump `dump` in a new directory.
fn dumped() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    assert!(gen_to(tmp.path(), "a.fsm", &[]).status.success());
    assert!(decode_with(tmp.path(), "dump", &[], Some("1"))
        .status
        .success());
    tmp
}

fn in_dir(dir: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sqsdump"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

fn first_queue(dump: &std::path::Path) -> std::path::PathBuf {
    let mut queues: Vec<_> = std::fs::read_dir(dump.join("sqs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("messages.jsonl").is_file())
        .collect();
    queues.sort();
    queues.remove(0)
}

// REQ-ENC-5: error texts name the path, carry one line number (none for a
// whole file), and say plainly what a symlink or directory input is.
#[test]
fn error_texts_name_the_path_and_one_line_number() {
    let tmp = dumped();
    let d = tmp.path();

    // decode of a directory names it.
    let o = in_dir(d, &["decode", "--input", "dump", "--output", "x"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        text(&o.stderr).trim_end(),
        "error[data_dir_invalid]: dump: the input is a directory but not a node data directory \
         (it holds neither snap/ nor fsm-snap/): give a .fsm file, `-` or a node's data directory"
    );

    // encode of a symlink to a dump says so, and names the target.
    std::os::unix::fs::symlink("dump", d.join("link")).unwrap();
    let o = in_dir(d, &["encode", "--input", "link", "--output", "x.fsm"]);
    assert_eq!(
        text(&o.stderr).trim_end(),
        "error[unexpected_entry]: link: the input is a symlink to dump, which is never followed: give the dump directory itself"
    );
    let o = in_dir(d, &["encode", "--input", "a.fsm", "--output", "x.fsm"]);
    assert_eq!(
        text(&o.stderr).trim_end(),
        "error[unexpected_entry]: a.fsm: the input must be a dump directory, found a file"
    );

    // A bad JSON line: the file's line number, and serde's column only.
    let bad = tmp.path().join("bad");
    Command::new("cp")
        .args(["-r"])
        .arg(d.join("dump"))
        .arg(&bad)
        .status()
        .unwrap();
    let q = first_queue(&bad);
    let jsonl = q.join("messages.jsonl");
    let mut bytes = std::fs::read(&jsonl).unwrap();
    bytes.extend_from_slice(b"{oops}\n");
    let lines = bytes.iter().filter(|&&b| b == b'\n').count();
    std::fs::write(&jsonl, bytes).unwrap();
    // Without CHECKSUMS: no line number. Then with CHECKSUMS rewritten,
    // so that the bad line is the only fault.
    std::fs::remove_file(bad.join("CHECKSUMS")).unwrap();
    let o = in_dir(d, &["encode", "--input", "bad", "--output", "x.fsm"]);
    assert_eq!(
        text(&o.stderr).trim_end(),
        "error[invalid_checksums]: CHECKSUMS: invalid checksums: the file is missing"
    );
    let o = Command::new("sh")
        .arg("-c")
        .arg("find . -type f ! -name CHECKSUMS ! -name MANIFEST.json | sed 's|^\\./||' | LC_ALL=C sort | xargs sha256sum > ../sums.body && sha256sum MANIFEST.json > CHECKSUMS && cat ../sums.body >> CHECKSUMS")
        .current_dir(&bad)
        .status()
        .unwrap();
    assert!(o.success());
    let o = in_dir(d, &["encode", "--input", "bad", "--output", "x.fsm"]);
    let err = text(&o.stderr);
    assert!(
        err.contains(&format!(
            "messages.jsonl:{lines}: invalid message: key must be a string at column 2"
        )),
        "{err}"
    );
    assert!(!err.contains("line 1"), "{err}");

    // verify says plainly what is wrong with a queue file's layout.
    let q = first_queue(&d.join("dump"));
    let mut qf = std::fs::read(q.join("_queue.json")).unwrap();
    qf.push(b'\n');
    std::fs::write(q.join("_queue.json"), qf).unwrap();
    let o = in_dir(d, &["verify", "--input", "dump"]);
    let out = text(&o.stdout);
    assert!(
        out.contains("the file ends with a newline, which json.MarshalIndent's layout"),
        "{out}"
    );
    assert!(!out.contains("<end of file>"), "{out}");
}
