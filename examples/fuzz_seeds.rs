//! Write generator-made seed corpora for every fuzz target:
//! `cargo run --example fuzz_seeds -- <corpus-dir> [count]` writes
//! `<corpus-dir>/<target>/seed-<sha-prefix>` files (see `scripts/fuzz-seeds`).

use std::path::PathBuf;

use sha2::{Digest, Sha256};

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().unwrap_or_else(|| "fuzz/corpus".into()));
    let count: u64 = args.next().and_then(|c| c.parse().ok()).unwrap_or(64);
    for target in sqsdump::fuzzing::TARGETS {
        let out = dir.join(target);
        std::fs::create_dir_all(&out)?;
        let seeds = sqsdump::fuzzing::seeds(target, count);
        for s in &seeds {
            let name = format!("seed-{}", &hex::encode(Sha256::digest(s))[..16]);
            std::fs::write(out.join(name), s)?;
        }
        println!("{target}: {} seeds in {}", seeds.len(), out.display());
    }
    Ok(())
}
