//! The conformance gate: the committed corpus, `sqsdump conform` in both
//! directions against sqsdump and broken implementations, its reports,
//! `sqsdump verify`, the upstream expectations and the gate example
//! workflow.

#[path = "../common/mod.rs"]
mod common;

mod builtin_corpus;
mod conform;
mod conform_degenerate;
mod conform_encode;
mod conform_verdict;
mod corpus;
mod gate_example;
mod upstream;
mod verify;
