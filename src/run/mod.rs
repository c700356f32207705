//! What every run shares, whichever command it serves: both decode
//! engines, `encode`, `gen` and `corpus` (REQ-ENG-3, REQ-ENG-5,
//! REQ-CLI-5, REQ-CLI-14).
//!
//! - [`Control`]: the cancel flag a signal thread sets, the staging
//!   directory it removes, and the progress callback.
//! - [`staging`]: the one staging type, [`staging::Staging`]: a hidden
//!   directory beside the output whose name records its owner, registered
//!   with the run's [`Control`] while it exists, committed by rename and
//!   removed on drop or error.
//! - [`spill`]: sorted runs inside the staging directory and their k-way
//!   merge (the stream engine's lines and versions, `encode`'s rows and
//!   message ids).
//! - The memory budget: [`DEFAULT_MEMORY_LIMIT`], [`MIN_MEMORY_LIMIT`] and
//!   the share set aside for what does not grow with the input.
//! - [`TestKnobs`]: the hooks end-to-end tests use to slow a run down or
//!   force it to spill; read from the environment only in builds with the
//!   `testkit` feature.

pub(crate) mod spill;
pub mod staging;

use std::path::PathBuf;
use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use crate::Error;

pub use staging::{Staging, StagingKind};

/// Default of `--memory-limit`: 256 MiB.
pub const DEFAULT_MEMORY_LIMIT: u64 = 256 << 20;
/// The smallest budget accepted (below it the fixed buffers dominate).
pub const MIN_MEMORY_LIMIT: u64 = 128 << 20;
/// Memory set aside from `--memory-limit` for what does not grow with
/// the input (the program, read, merge and write buffers).
pub(crate) const FIXED_OVERHEAD: u64 = 80 << 20;

/// What a run reports while it works.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Progress {
    /// Input bytes read so far (in the current pass).
    Read(u64),
    /// A second pass started, because the input is not in Pebble order.
    Restart,
    /// Messages merged into their files so far, of the total.
    Merge(u64, u64),
}

/// The progress callback of a [`Control`].
pub type ProgressFn = Box<dyn Fn(Progress) + Send + Sync>;

/// Interruption and progress, shared with a signal-handling thread.
#[derive(Default)]
pub struct Control {
    /// A nonzero signal number asks the run to stop (REQ-ENG-5).
    pub interrupt: AtomicI32,
    /// The staging directory of the run, while there is one
    /// ([`Staging`] keeps it up to date). A signal thread removes it
    /// while holding the lock; a commit holds the lock while it renames.
    pub staging: Mutex<Option<PathBuf>>,
    /// A test-only delay per entry read, to make a run slow enough to
    /// interrupt ([`TestKnobs::entry_delay`]).
    pub entry_delay: Option<Duration>,
    /// Progress callback.
    pub progress: Option<ProgressFn>,
    /// Input bytes read so far, for runs that read many files (encode).
    pub read_so_far: AtomicU64,
}

impl std::fmt::Debug for Control {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Control")
            .field("interrupt", &self.interrupt)
            .field("entry_delay", &self.entry_delay)
            .finish_non_exhaustive()
    }
}

impl Control {
    /// Stop with [`Error::Interrupted`] if a signal arrived.
    pub(crate) fn checkpoint(&self) -> Result<(), Error> {
        if let Some(d) = self.entry_delay {
            std::thread::sleep(d);
        }
        self.interrupted()
    }

    /// [`Error::Interrupted`] if a signal arrived, without the test delay.
    pub(crate) fn interrupted(&self) -> Result<(), Error> {
        match self.interrupt.load(Ordering::Relaxed) {
            0 => Ok(()),
            signal => Err(Error::Interrupted { signal }),
        }
    }

    pub(crate) fn report(&self, p: Progress) {
        if let Some(f) = &self.progress {
            f(p);
        }
    }

    pub(crate) fn read_progress(&self, bytes: u64) {
        self.report(Progress::Read(bytes));
    }

    /// Count `bytes` more read and report the total as [`Progress::Read`].
    pub(crate) fn add_read(&self, bytes: u64) {
        if self.progress.is_some() {
            let total = self.read_so_far.fetch_add(bytes, Ordering::Relaxed) + bytes;
            self.report(Progress::Read(total));
        }
    }

    pub(crate) fn merge_progress(&self, done: u64, total: u64) {
        self.report(Progress::Merge(done, total));
    }

    pub(crate) fn set_staging(&self, path: Option<PathBuf>) {
        if let Ok(mut s) = self.staging.lock() {
            *s = path;
        }
    }
}

/// Environment variable: sleep this many microseconds per entry read
/// (stream engine, encode) or per file written (plain engine), so an
/// end-to-end test can interrupt a run reliably. Read only by test builds
/// (the `testkit` feature and debug assertions): a release build ignores
/// it.
#[cfg(feature = "testkit")]
pub const ENTRY_DELAY_ENV: &str = "SQSDUMP_TEST_ENTRY_DELAY_US";
/// Environment variable: spill buffers after this many bytes (see
/// [`crate::engine::stream::Config::spill_after`]). Read only by test
/// builds (the `testkit` feature and debug assertions): a release build
/// ignores it.
#[cfg(feature = "testkit")]
pub const SPILL_AFTER_ENV: &str = "SQSDUMP_TEST_SPILL_AFTER";

/// Test hooks of the command line: none in a release build or a build
/// without the `testkit` feature, whatever the environment says.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TestKnobs {
    /// Sleep this long per entry read (stream engine, encode) or per file
    /// written (plain engine).
    pub entry_delay: Option<Duration>,
    /// Spill as soon as a buffer holds this many bytes.
    pub spill_after: Option<usize>,
}

impl TestKnobs {
    /// The knobs set in the environment ([`ENTRY_DELAY_ENV`],
    /// [`SPILL_AFTER_ENV`]).
    #[cfg(all(feature = "testkit", debug_assertions))]
    pub fn from_env() -> TestKnobs {
        TestKnobs {
            entry_delay: std::env::var(ENTRY_DELAY_ENV)
                .ok()
                .and_then(|v| v.parse::<u64>().ok())
                .map(Duration::from_micros),
            spill_after: std::env::var(SPILL_AFTER_ENV)
                .ok()
                .and_then(|v| v.parse().ok()),
        }
    }

    /// No knobs: this is not a test build.
    #[cfg(not(all(feature = "testkit", debug_assertions)))]
    pub fn from_env() -> TestKnobs {
        TestKnobs::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // A control prints its state, not its callback.
    #[test]
    fn a_control_debug_prints_its_interrupt_and_delay() {
        let ctl = Control {
            entry_delay: Some(Duration::from_micros(5)),
            progress: Some(Box::new(|_| {})),
            ..Control::default()
        };
        ctl.interrupt.store(2, Ordering::Relaxed);
        assert_eq!(
            format!("{ctl:?}"),
            "Control { interrupt: 2, entry_delay: Some(5µs), .. }"
        );
    }
}
