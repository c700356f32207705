//! `sqsdump gen` (REQ-CLI-10): write a deterministic `.fsm` snapshot from
//! the testkit generator model ([`crate::testkit::seeded::write_snapshot`]).
//!
//! The same seed and flags give identical bytes on every run and
//! platform. Entries are streamed to the file, so `--messages 1000000`
//! needs memory for one message at a time.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use crate::testkit::seeded::{write_snapshot, GenOptions};
use crate::testkit::snapshot::Profile;
use crate::Error;

const AFTER_HELP: &str = "\
Examples:
  sqsdump gen --seed 1 --output snap.fsm
  sqsdump gen --seed 7 --profile adversarial --queues 5 --messages 200 --output bad.fsm
  sqsdump gen --seed 42 --queues 8 --messages 1000000 --output bench.fsm
  sqsdump gen --seed 3 --profile shared --queues 4 --messages 40 --output diff.fsm

Profiles: `valid` decodes without error (MVCC histories, stale
generations, orphans, side records, operational and foreign keys);
`mixed` is mostly valid with about 1% adversarial entries;
`adversarial` exercises error paths (malformed keys and values, bad
flags, damaged streams); `shared` decodes without error and touches no
SPEC Decision (one version per key, no operational keys, no orphans, no
tags, no seq records, no `.`/`..` or over-long names, sorted entries),
so upstream's decoder must write the same `sqs/` tree (it is built in
memory before it is written).";

/// Which kind of snapshot to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProfileArg {
    /// Decodes without error.
    Valid,
    /// Mostly valid, a few adversarial entries.
    Mixed,
    /// Exercises error paths.
    Adversarial,
    /// Touches no SPEC Decision: a differential oracle against upstream.
    Shared,
}

impl From<ProfileArg> for Profile {
    fn from(p: ProfileArg) -> Profile {
        match p {
            ProfileArg::Valid => Profile::Valid,
            ProfileArg::Mixed => Profile::Mixed,
            ProfileArg::Adversarial => Profile::Adversarial,
            ProfileArg::Shared => Profile::Shared,
        }
    }
}

/// Arguments of `sqsdump gen`.
#[derive(Debug, Clone, Args)]
#[command(after_help = AFTER_HELP)]
pub struct GenArgs {
    /// The seed. Example: `--seed 42`.
    #[arg(long)]
    pub seed: u64,

    /// What the snapshot exercises.
    #[arg(long, value_enum, default_value = "valid")]
    pub profile: ProfileArg,

    /// Queues with a meta record (at least 1).
    #[arg(long, default_value_t = 3)]
    pub queues: usize,

    /// Messages in all, spread evenly over the queues.
    #[arg(long, default_value_t = 100)]
    pub messages: u64,

    /// The `.fsm` file to write (replaced if it exists).
    #[arg(short, long, value_name = "FILE.fsm")]
    pub output: PathBuf,
}

/// Run `sqsdump gen`.
pub fn run(args: &GenArgs) -> Result<(), Error> {
    let opts = GenOptions {
        seed: args.seed,
        profile: args.profile.into(),
        queues: args.queues,
        messages: args.messages,
    };
    let out = args.output.display().to_string();
    let file = File::create(&args.output).map_err(|e| Error::io(format!("create {out}"), e))?;
    let mut w = BufWriter::with_capacity(1 << 20, file);
    let summary = write_snapshot(opts, &mut w).map_err(|e| Error::io(format!("write {out}"), e))?;
    w.flush()
        .map_err(|e| Error::io(format!("write {out}"), e))?;
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(
        stderr,
        "wrote {out}: {} bytes, {} entries, {} messages (seed {}, profile {:?})",
        summary.bytes, summary.entries, summary.messages, args.seed, args.profile
    );
    Ok(())
}
