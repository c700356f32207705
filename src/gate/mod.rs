//! The conformance gate: everything that judges a dump, ours or another
//! implementation's, against SPEC.md. It sits beside the decoder pipeline
//! and only reads its results.
//!
//! - [`corpus`]: the case definitions (one file per SPEC area) and the
//!   generator of `conformance/`.
//! - [`conform`]: runs another implementation over the corpus and
//!   generated snapshots and reports every difference.
//! - [`blame`]: differences of dump trees (decode direction) and of
//!   `.fsm` snapshots (encode direction), each blamed on the requirement
//!   that governs it.
//! - [`outcome`]: how a run ended (success, rejection, crash, could not
//!   run) and how an expected error is judged from it.
//! - [`span`]: the JSON scanner that keeps raw spans, which `verify` and
//!   `blame` read JSON with.
//! - [`verify`]: checks any dump tree against SPEC.md's structural rules,
//!   without an expected tree.

pub mod blame;
pub mod conform;
pub mod corpus;
pub mod expect;
pub mod outcome;
pub mod report;
pub(crate) mod span;
pub mod verify;
