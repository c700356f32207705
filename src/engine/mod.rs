//! The two decode engines (REQ-ENG-1).
//!
//! - [`plain`]: deliberately simple and held entirely in memory: the
//!   oracle the stream engine is compared with.
//! - [`stream`]: the default engine; bounded memory, both cores, spill
//!   files inside the staging directory.
//!
//! What a run needs besides an engine (its control, staging directory,
//! spill files and memory budget) is in [`crate::run`].
//!
//! Both produce the same dump tree, the same warnings in the same order and
//! the same error class on every input.

mod harness;
pub mod plain;
pub mod stream;

/// MVCC resolution of a snapshot file in bounded memory, in user-key
/// order (the stream engine's general pass), for `sqsdump gen`.
#[cfg(feature = "testkit")]
pub(crate) use stream::for_each_resolved;

pub use harness::{
    compare_engines, compare_observed, observe_plain, observe_stream, stream_passes, Observed,
};
