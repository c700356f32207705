//! sqsdump: the reference decoder for the SQS part of elastickv's offline
//! logical backup.
//!
//! Data flows one way, and each phase has its own module:
//!
//! 1. [`fsm`]: `.fsm` snapshot bytes → framed entries (header, key/value
//!    framing, MVCC key suffix, value flags, operational keys).
//! 2. [`mvcc`]: entries → the records visible at the snapshot's
//!    `last_commit_ts` (one per user key, tombstones and expired versions
//!    removed).
//! 3. [`key`] and [`value`]: SQS user keys → typed key components; values →
//!    typed queue meta, message and generation records. [`gojson`] reads
//!    the JSON exactly as Go's `encoding/json` v1 does.
//! 4. [`decode`]: the per-queue state machine that turns records into a
//!    [`dump::DumpModel`], an in-memory tree of relative paths and file
//!    bytes plus the warnings. [`segment`] names directories, [`jsonout`]
//!    writes bytes the way Go writes them.
//! 5. [`manifest`] adds MANIFEST.json and CHECKSUMS to a model, and
//!    [`mod@write`] puts a model on disk atomically.
//!
//! The restore direction runs the other way: [`encode`] reads a dump tree
//! back into an `.fsm` snapshot.
//!
//! [`node`] finds, in a node's raft data directory, the `.fsm` file the
//! node would restore, without changing anything there.
//!
//! [`snapshot`] chains phases 1–4 for a reader. The same dump model feeds
//! the on-disk writer, the golden tests and `verify`/`conform`.
//!
//! Two engines run these phases: [`engine::plain`], deliberately plain
//! and in memory, is the oracle; [`engine::stream`] is the default, in
//! bounded memory, and is tested equal to it.
//!
//! The conformance gate sits beside the pipeline, in [`gate`]:
//! [`gate::corpus`] defines the conformance cases and writes
//! `conformance/`, [`gate::conform`] runs another implementation over them
//! and blames every difference on the requirement that governs it, and
//! [`gate::verify`] checks any dump tree against SPEC.md's structural
//! rules.
//!
//! Every requirement cited in comments (`REQ-…`) is defined in SPEC.md.
#![forbid(unsafe_code)]

pub mod archive;
pub mod cli;
pub mod dump;
pub mod encode;
pub mod engine;
pub mod error;
pub mod fsm;
#[cfg(feature = "testkit")]
pub mod fuzzing;
pub mod gate;
pub mod gojson;
pub mod jsonout;
pub mod key;
pub mod manifest;
pub mod node;
pub mod run;
mod scan;
pub mod segment;
#[cfg(feature = "testkit")]
pub mod testkit;
pub mod value;
pub mod warning;
pub mod write;

pub use engine::plain::{decode, mvcc, snapshot};
pub use error::Error;
