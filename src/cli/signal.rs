//! The signal guard of `decode` and `encode` (REQ-ENG-5, REQ-CLI-5).
//!
//! On SIGINT, SIGTERM or SIGHUP the run's [`Control`] is asked to stop: a
//! run with stopping points (the stream engine, encode) stops at the next
//! one and its [`crate::run::Staging`] removes the staging directory. If
//! it has not exited within the grace period (a read blocked on a pipe),
//! or at once for a run without stopping points (the plain engine), the
//! staging directory registered in the control is removed here and the
//! process exits. Either way the parent directories the run created go
//! too. SIGXFSZ is ignored, so that a write beyond `ulimit -f` fails as an
//! I/O error and the run cleans up as after any error.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::run::Control;
use crate::Error;

/// The grace period of a run that stops by itself.
pub(crate) const GRACE: Duration = Duration::from_secs(5);

/// REQ-ENG-5: install the guard for `ctl`; a signal exits the process
/// after `grace` unless the run has stopped first.
pub(crate) fn install(ctl: &Arc<Control>, grace: Duration) -> Result<(), Error> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM, SIGXFSZ};
    signal_hook::flag::register(SIGXFSZ, Arc::new(AtomicBool::new(false)))
        .map_err(|e| Error::io("installing signal handlers", e))?;
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP])
        .map_err(|e| Error::io("installing signal handlers", e))?;
    let ctl = Arc::clone(ctl);
    std::thread::spawn(move || {
        if let Some(signal) = signals.forever().next() {
            ctl.interrupt.store(signal, Ordering::SeqCst);
            std::thread::sleep(grace);
            if let Ok(staging) = ctl.staging.lock() {
                if let Some(dir) = staging.as_ref() {
                    let _ = std::fs::remove_dir_all(dir);
                }
                crate::run::staging::remove_created_parents();
                let _ = writeln!(
                    std::io::stderr(),
                    "{}",
                    crate::cli::error_line(&Error::Interrupted { signal })
                );
                std::process::exit(128 + signal);
            }
        }
    });
    Ok(())
}
