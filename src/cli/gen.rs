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

use crate::fsm::FooterWriter;
use crate::run::{Staging, StagingKind};
use crate::testkit::seeded::{write_snapshot, GenOptions};
use crate::testkit::snapshot::Profile;
use crate::Error;

const AFTER_HELP: &str = "\
Examples:
  sqsdump gen --seed 1 --output snap.fsm
  sqsdump gen --seed 7 --profile adversarial --queues 5 --messages 200 --output bad.fsm
  sqsdump gen --seed 42 --queues 8 --messages 1000000 --output bench.fsm
  sqsdump gen --seed 3 --profile shared --queues 4 --messages 40 --output diff.fsm
  sqsdump gen --seed 1 --queues 10 --messages 1000000 --upstream pebble --output up.fsm
  sqsdump gen --seed 1 --footer --output 0000000000000064.fsm
  sqsdump gen --seed 1 --output - | sqsdump decode --input - --output ./dump
  sqsdump gen --seed 1 --output snap.fsm --force

`--footer` appends the 4-byte big-endian CRC-32C a node writes after the
snapshot in its fsm-snap/<index>.fsm files, so the output is a node file.

Profiles: `valid` decodes without error (MVCC histories, stale
generations, orphans, side records, operational and foreign keys);
`mixed` is mostly valid with about 1% adversarial entries;
`adversarial` exercises error paths (malformed keys and values, bad
flags, damaged streams); `shared` decodes without error and touches no
SPEC Decision (one version per key, no operational keys, no orphans, no
tags, no seq records, no `.`/`..` or over-long names, sorted entries),
so upstream's decoder must write the same `sqs/` tree (it is built in
memory before it is written). The dumps of `valid` and `shared`
snapshots restore: their HT-FIFO settings and partitions follow the live
rules, which `mixed` (on some queues) and `adversarial` break.

`--upstream pebble|shuffled` rewrites the snapshot so that upstream's
decoder can read it (for benchmarks): only the visible SQS records, one
version per key at `last_commit_ts`, no operational keys, in Pebble
order or shuffled. `pebble` sorts in bounded memory, through a scratch
file beside the output (in the working directory for `--output -`);
`shuffled` holds the whole snapshot in memory.

The output must not exist unless --force is given; `--output -` writes
the snapshot to standard output.";

/// Entry order of an `--upstream` snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum UpstreamOrder {
    /// Sorted by encoded key, as Pebble iterates.
    Pebble,
    /// A seeded shuffle of the entries.
    Shuffled,
}

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
    #[arg(long, default_value_t = 3, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub queues: usize,

    /// Messages in all, spread evenly over the queues.
    #[arg(long, default_value_t = 100)]
    pub messages: u64,

    /// Write an upstream-decodable snapshot (one version per key, no
    /// operational keys) in this order.
    #[arg(long, value_enum, value_name = "ORDER")]
    pub upstream: Option<UpstreamOrder>,

    /// Append a node file's footer: the big-endian CRC-32C (Castagnoli)
    /// of everything before it.
    #[arg(long)]
    pub footer: bool,

    /// The `.fsm` file to write, which must not exist unless `--force`
    /// is given; `-` writes to standard output. Example: `--output snap.fsm`.
    #[arg(short, long, value_name = "FILE.fsm|-")]
    pub output: PathBuf,

    /// Replace the output file if it exists.
    #[arg(long)]
    pub force: bool,
}

/// Run `sqsdump gen`.
// REQ-CLI-10
pub fn run(args: &GenArgs) -> Result<(), Error> {
    let opts = GenOptions {
        seed: args.seed,
        profile: args.profile.into(),
        queues: args.queues,
        messages: args.messages,
    };
    let to_stdout = args.output.as_os_str() == "-";
    let out = if to_stdout {
        "standard output".to_string()
    } else {
        args.output.display().to_string()
    };
    let file: Box<dyn Write> = if to_stdout {
        Box::new(std::io::stdout().lock())
    } else {
        let mut open = std::fs::OpenOptions::new();
        open.write(true);
        if args.force {
            open.create(true).truncate(true);
        } else {
            open.create_new(true);
        }
        Box::new(open.open(&args.output).map_err(|e| {
            let hint = if e.kind() == std::io::ErrorKind::AlreadyExists {
                " (pass --force to replace it)"
            } else {
                ""
            };
            Error::io(format!("create {out}{hint}"), e)
        })?)
    };
    let mut w = FooterWriter::new(BufWriter::with_capacity(1 << 20, file));
    let mut summary = match args.upstream {
        None => write_snapshot(opts, &mut w).map_err(|e| Error::io(format!("write {out}"), e))?,
        Some(UpstreamOrder::Pebble) => pebble_layout(opts, &args.output, &mut w)?,
        Some(order) => {
            let mut raw = Vec::new();
            write_snapshot(opts, &mut raw).map_err(|e| Error::io("generate", e))?;
            let mut s = upstream_layout(&raw, order, args.seed)?;
            w.write_all(&s.0)
                .map_err(|e| Error::io(format!("write {out}"), e))?;
            s.1.bytes = s.0.len() as u64;
            s.1
        }
    };
    let mut w = if args.footer {
        summary.bytes += crate::fsm::FOOTER_LEN as u64;
        w.finish()
            .map_err(|e| Error::io(format!("write {out}"), e))?
            .0
    } else {
        w.into_inner()
    };
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

/// The Pebble-ordered upstream layout in bounded memory, for snapshots
/// larger than memory: the raw snapshot goes to a scratch file in a
/// staging directory beside the output, the stream engine's general pass resolves it into records in
/// user-key order, and a stack turns that into encoded-key order (a key
/// after the keys it is a prefix of). Each entry written is checked to be
/// above the one before, so the result is the fully sorted layout that
/// [`upstream_layout`] would write.
fn pebble_layout(
    opts: GenOptions,
    output: &std::path::Path,
    w: &mut impl Write,
) -> Result<crate::testkit::seeded::GenSummary, Error> {
    use crate::fsm::{encode_header, encode_key, encode_raw_entry, encode_value};
    let staging = Staging::beside(output, StagingKind::Dump, None)?;
    let raw = tempfile::NamedTempFile::new_in(staging.path()).map_err(|e| {
        Error::io(
            format!("creating a scratch file in {}", staging.path().display()),
            e,
        )
    })?;
    {
        let mut rw = BufWriter::with_capacity(1 << 20, raw.as_file());
        write_snapshot(opts, &mut rw).map_err(|e| Error::io("generate", e))?;
        rw.flush().map_err(|e| Error::io("generate", e))?;
    }
    let last =
        crate::fsm::Reader::new(File::open(raw.path()).map_err(|e| Error::io("generate", e))?)?
            .last_commit_ts();
    let header = encode_header(last);
    w.write_all(&header).map_err(|e| Error::io("write", e))?;
    let mut summary = crate::testkit::seeded::GenSummary {
        bytes: header.len() as u64,
        ..Default::default()
    };
    let mut stack: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    let mut prev: Vec<u8> = Vec::new();
    let mut buf = Vec::new();
    let mut emit = |key: Vec<u8>, value: Vec<u8>, prev: &mut Vec<u8>| -> Result<(), Error> {
        if key <= *prev {
            return Err(Error::io(
                "generate",
                std::io::Error::other("records cannot be put in Pebble order"),
            ));
        }
        if key.starts_with(b"!sqs|msg|data|") {
            summary.messages += 1;
        }
        buf.clear();
        encode_raw_entry(&mut buf, &key, &value);
        w.write_all(&buf).map_err(|e| Error::io("write", e))?;
        summary.entries += 1;
        summary.bytes += buf.len() as u64;
        *prev = key;
        Ok(())
    };
    crate::engine::for_each_resolved(raw.path(), staging.path(), &mut |user_key, body| {
        let key = encode_key(&user_key, last);
        // Everything on the stack above `key` in encoded order goes first.
        while stack.last().is_some_and(|(top, _)| *top < key) {
            if let Some((k, v)) = stack.pop() {
                emit(k, v, &mut prev)?;
            }
        }
        stack.push((key, encode_value(0, 0, &body)));
        Ok(())
    })?;
    while let Some((k, v)) = stack.pop() {
        emit(k, v, &mut prev)?;
    }
    Ok(summary)
}

/// Resolve `raw` (MVCC, as the decoder reads it) and write the visible SQS
/// records, one version each at `last_commit_ts`, in `order`.
fn upstream_layout(
    raw: &[u8],
    order: UpstreamOrder,
    seed: u64,
) -> Result<(Vec<u8>, crate::testkit::seeded::GenSummary), Error> {
    use crate::fsm::{encode_header, encode_key, encode_raw_entry, encode_value};
    let (resolved, _) = crate::snapshot::resolve_snapshot(raw, &mut |_| {})?;
    let last = resolved.last_commit_ts;
    let mut entries: Vec<(Vec<u8>, Vec<u8>)> = resolved
        .records
        .map(|r| (encode_key(&r.user_key, last), encode_value(0, 0, &r.body)))
        .collect();
    match order {
        UpstreamOrder::Pebble => entries.sort_unstable_by(|a, b| a.0.cmp(&b.0)),
        UpstreamOrder::Shuffled => {
            // Fisher-Yates with SplitMix64.
            let mut state = seed;
            let mut next = || {
                state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
                let mut z = state;
                z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
                z ^ (z >> 31)
            };
            for i in (1..entries.len()).rev() {
                let j = (next() % (i as u64 + 1)) as usize;
                entries.swap(i, j);
            }
        }
    }
    let mut out = encode_header(last);
    let mut summary = crate::testkit::seeded::GenSummary::default();
    for (k, v) in &entries {
        if k.starts_with(b"!sqs|msg|data|") {
            summary.messages += 1;
        }
        encode_raw_entry(&mut out, k, v);
        summary.entries += 1;
    }
    Ok((out, summary))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::snapshot::Profile;

    // The bounded-memory Pebble layout writes the same bytes as sorting
    // the whole resolved snapshot in memory, on every profile (prefix keys
    // and MVCC histories included).
    #[test]
    fn pebble_layout_matches_the_in_memory_sort() {
        let dir = tempfile::tempdir().unwrap();
        for (seed, profile) in [
            (1, Profile::Valid),
            (2, Profile::Valid),
            (3, Profile::Shared),
        ] {
            let opts = GenOptions {
                seed,
                profile,
                queues: 4,
                messages: 300,
            };
            let mut raw = Vec::new();
            write_snapshot(opts, &mut raw).unwrap();
            let (expected, sorted) = upstream_layout(&raw, UpstreamOrder::Pebble, seed).unwrap();
            let mut got = Vec::new();
            let summary = pebble_layout(opts, &dir.path().join("out.fsm"), &mut got).unwrap();
            assert_eq!(got, expected, "seed {seed}");
            assert_eq!(summary.entries, sorted.entries);
            assert_eq!(summary.messages, sorted.messages);
            assert_eq!(summary.bytes, got.len() as u64);
            assert!(summary.messages > 0);
        }
        // Only the input's directory was used, and the scratch is gone.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
