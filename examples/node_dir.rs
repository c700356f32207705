//! Lay out a node data directory to try `sqsdump decode --data-dir` on:
//! `cargo run --example node_dir -- DIR [PAYLOAD.fsm]`.
//!
//! DIR gets `snap/`, `fsm-snap/` and an empty `wal/` as an elastickv node
//! writes them: `fsm-snap/0000000000000064.fsm` (the payload, default
//! `examples/sample.fsm`, followed by its CRC-32C) and the snap file of
//! term 2, index 100 (0x64) whose token names it.

use std::path::PathBuf;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args_os().skip(1);
    let Some(dir) = args.next().map(PathBuf::from) else {
        eprintln!("usage: node_dir DIR [PAYLOAD.fsm]");
        std::process::exit(2);
    };
    let payload = match args.next() {
        Some(path) => std::fs::read(path)?,
        None => include_bytes!("sample.fsm").to_vec(),
    };
    let node = sqsdump::testkit::node::NodeDir::create(&dir)?;
    let snap = node.add_snapshot(2, 100, &payload)?;
    println!("{}", snap.snap.display());
    println!("{}", snap.fsm.display());
    Ok(())
}
