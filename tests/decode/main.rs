//! Decoding: the `.fsm` reader, MVCC resolution, the value readers, the
//! decoder's Decisions, the written tree and its MANIFEST.json, node
//! files and data directories, golden models and properties over the
//! generator model.

#[path = "../common/mod.rs"]
mod common;

mod decoder;
mod footer;
mod fsm;
mod fuzz_regressions;
mod gojson;
mod golden;
mod manifest;
mod mvcc;
mod node;
mod prop_shared;
mod properties;
mod requirements;
mod sample;
mod values;
