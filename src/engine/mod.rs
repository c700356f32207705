//! The two decode engines (REQ-ENG-1).
//!
//! - [`plain`]: the in-memory oracle, exactly the original decoder.
//! - [`stream`]: the default engine; bounded memory, both cores, spill
//!   files inside the staging directory.
//! - `spill`: the sorted runs and k-way merge both the stream engine
//!   and `encode` (REQ-ENC-17) sort through.
//!
//! Both produce the same dump tree, the same warnings in the same order and
//! the same error class on every input.

mod harness;
pub mod plain;
pub(crate) mod spill;
pub mod stream;

pub use harness::{
    compare_engines, compare_observed, observe_plain, observe_stream, stream_passes, Observed,
};

/// Which engine `sqsdump decode` runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Engine {
    /// The in-memory oracle.
    Plain,
    /// The bounded-memory streaming engine.
    #[default]
    Stream,
}
