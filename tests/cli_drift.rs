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
    for code in ["0 on success", "1 on a data", "2 on a usage", "129", "130", "143"] {
        assert!(help.contains(code), "{code} missing from:\n{help}");
    }
    assert!(help.contains("sqsdump clean"), "{help}");
}
