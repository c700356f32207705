//! Write the snapshot that `scripts/replay-sqs-test` replays:
//! `cargo run --example replay_fixture -- FILE.fsm`.

fn main() -> std::io::Result<()> {
    let Some(path) = std::env::args_os().nth(1) else {
        eprintln!("usage: replay_fixture FILE.fsm");
        std::process::exit(2);
    };
    std::fs::write(path, sqsdump::testkit::replay::fixture_fsm())
}
