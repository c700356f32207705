//! sqsdump: the reference decoder for the SQS part of elastickv's offline
//! logical backup.
//!
//! [`Decoder`] reads an elastickv FSM snapshot (`.fsm`) and writes every
//! SQS queue as a plain dump tree: `sqs/<queue>/_queue.json` and
//! `messages.jsonl`, with `MANIFEST.json` and `CHECKSUMS` at the root.
//! [`encode()`] turns such a tree back into a snapshot the live store
//! restores. Both stage their output beside the destination and rename
//! it into place only when complete. Decode the bundled sample:
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let tmp = tempfile::tempdir()?;
//! let out = tmp.path().join("dump");
//! let summary = sqsdump::Decoder::new(sqsdump::DecodeOptions::default())
//!     .decode("examples/sample.fsm", &out)?;
//! println!("{} queues, {} messages", summary.queues, summary.messages_written);
//! assert!(out.join("sqs/orders/messages.jsonl").is_file());
//! assert!(out.join("CHECKSUMS").is_file());
//! # Ok(())
//! # }
//! ```
//!
//! [`encode()`] restores such a tree; [`Decoder::decode_with_warnings`]
//! also hands over the warnings the command line prints.
//!
//! Errors are [`Error`]; [`Error::class`] names the class the command
//! line prints (`error[<class>]: …`).
//!
//! # How the code is laid out
//!
//! Data flows one way, and each phase has its own module (internal: they
//! are reachable, undocumented, through the `testkit` feature, which the
//! tests, the fuzz crate and the examples use):
//!
//! 1. `fsm`: `.fsm` snapshot bytes → framed entries (header, key/value
//!    framing, MVCC key suffix, value flags, operational keys).
//! 2. `mvcc`: entries → the records visible at the snapshot's
//!    `last_commit_ts` (one per user key, tombstones and expired versions
//!    removed).
//! 3. `key` and `value`: SQS user keys → typed key components; values →
//!    typed queue meta, message and generation records. `gojson` reads
//!    the JSON exactly as Go's `encoding/json` v1 does.
//! 4. `decode`: the per-queue state machine that turns records into a
//!    `dump::DumpModel`, an in-memory tree of relative paths and file
//!    bytes plus the warnings. `segment` names directories, `jsonout`
//!    writes bytes the way Go writes them.
//! 5. `manifest` adds MANIFEST.json and CHECKSUMS to a model, and `write`
//!    puts a model on disk atomically.
//!
//! The restore direction runs the other way: `encode` reads a dump tree
//! back into an `.fsm` snapshot. `node` finds, in a node's raft data
//! directory, the `.fsm` file the node would restore, without changing
//! anything there. `snapshot` chains phases 1–4 for a reader.
//!
//! Two engines run these phases ([`Engine`]): `engine::plain`,
//! deliberately plain and in memory, is the oracle; `engine::stream` is
//! the default, in bounded memory, and is tested equal to it. What a run
//! needs besides an engine (its cancel flag, staging directory, spill
//! files and memory budget) is in `run`.
//!
//! The conformance gate sits beside the pipeline, in `gate`: `corpus`
//! defines the conformance cases and writes `conformance/`, `conform`
//! runs another implementation over them and blames every difference on
//! the requirement that governs it, and `verify` checks any dump tree
//! against SPEC.md's structural rules. `cli` is the command line; clap,
//! indicatif and signal-hook are used there only.
//!
//! Every requirement cited in comments (`REQ-…`) is defined in SPEC.md.
#![forbid(unsafe_code)]
// Without `testkit` the internal modules are private, and the parts of
// them that only tests, fuzzing and `gen` use are unused.
#![cfg_attr(not(feature = "testkit"), allow(dead_code, unused_imports))]

/// Declares the internal modules private to the crate, for builds
/// without the `testkit` feature. With it, the same modules are declared
/// below, public but hidden from the docs (for the integration tests, the
/// fuzz crate and the examples). Those declarations are written out, not
/// made by a macro, because rustfmt and cargo-mutants find a module's
/// file only from a `mod` item in the source and do not expand macros;
/// this macro's declarations are the second of each pair, so every file
/// is found once. The modules' docs are written for `cargo doc
/// --document-private-items` and link to private items.
macro_rules! private_without_testkit {
    ($($name:ident;)*) => {$(
        #[cfg(not(feature = "testkit"))]
        mod $name;
    )*};
}

mod api;
#[doc(hidden)]
#[allow(rustdoc::private_intra_doc_links)]
pub mod cli;
pub mod error;
#[cfg(feature = "testkit")]
#[doc(hidden)]
#[allow(rustdoc::private_intra_doc_links)]
pub mod fuzzing;
mod scan;
#[cfg(feature = "testkit")]
#[doc(hidden)]
#[allow(rustdoc::private_intra_doc_links)]
pub mod testkit;

#[cfg(feature = "testkit")]
#[doc(hidden)]
#[allow(rustdoc::private_intra_doc_links)]
pub mod archive;
#[cfg(feature = "testkit")]
#[doc(hidden)]
#[allow(rustdoc::private_intra_doc_links)]
pub mod dump;
#[cfg(feature = "testkit")]
#[doc(hidden)]
#[allow(rustdoc::private_intra_doc_links)]
pub mod encode;
#[cfg(feature = "testkit")]
#[doc(hidden)]
#[allow(rustdoc::private_intra_doc_links)]
pub mod engine;
#[cfg(feature = "testkit")]
#[doc(hidden)]
#[allow(rustdoc::private_intra_doc_links)]
pub mod fsm;
#[cfg(feature = "testkit")]
#[doc(hidden)]
#[allow(rustdoc::private_intra_doc_links)]
pub mod gate;
#[cfg(feature = "testkit")]
#[doc(hidden)]
#[allow(rustdoc::private_intra_doc_links)]
pub mod gojson;
#[cfg(feature = "testkit")]
#[doc(hidden)]
#[allow(rustdoc::private_intra_doc_links)]
pub mod jsonout;
#[cfg(feature = "testkit")]
#[doc(hidden)]
#[allow(rustdoc::private_intra_doc_links)]
pub mod key;
#[cfg(feature = "testkit")]
#[doc(hidden)]
#[allow(rustdoc::private_intra_doc_links)]
pub mod manifest;
#[cfg(feature = "testkit")]
#[doc(hidden)]
#[allow(rustdoc::private_intra_doc_links)]
pub mod node;
#[cfg(feature = "testkit")]
#[doc(hidden)]
#[allow(rustdoc::private_intra_doc_links)]
pub mod run;
#[cfg(feature = "testkit")]
#[doc(hidden)]
#[allow(rustdoc::private_intra_doc_links)]
pub mod schema;
#[cfg(feature = "testkit")]
#[doc(hidden)]
#[allow(rustdoc::private_intra_doc_links)]
pub mod segment;
#[cfg(feature = "testkit")]
#[doc(hidden)]
#[allow(rustdoc::private_intra_doc_links)]
pub mod value;
#[cfg(feature = "testkit")]
#[doc(hidden)]
#[allow(rustdoc::private_intra_doc_links)]
pub mod warning;
#[cfg(feature = "testkit")]
#[doc(hidden)]
#[allow(rustdoc::private_intra_doc_links)]
pub mod write;
private_without_testkit! {
    archive;
    dump;
    encode;
    engine;
    fsm;
    gate;
    gojson;
    jsonout;
    key;
    manifest;
    node;
    run;
    schema;
    segment;
    value;
    warning;
    write;
}

#[cfg(feature = "testkit")]
#[doc(hidden)]
pub use engine::plain::{decode, mvcc, snapshot};
#[cfg(not(feature = "testkit"))]
use engine::plain::{decode, mvcc, snapshot};

pub use api::{
    encode, DecodeOptions, Decoder, EncodeOptions, EncodeSummary, Engine, MvccStats, Summary,
};
pub use encode::EncodeError;
pub use error::Error;
pub use run::{DEFAULT_MEMORY_LIMIT, MIN_MEMORY_LIMIT};
pub use warning::Warning;
