//! `sqsdump clean DIR` (REQ-CLI-14): remove the staging directories that
//! killed runs left in DIR, never one whose owner is still running.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;

use crate::run::staging::{self, Cleaned};
use crate::Error;

const AFTER_HELP: &str = "\
Examples:
  sqsdump clean --dry-run .
  sqsdump clean /backups

A decode or encode builds its result in a hidden staging directory
(.sqsdump-staging-*, .sqsdump-encode-*, .sqsdump-selftest-*) beside its
output and removes it on success, on error and on SIGINT, SIGTERM or
SIGHUP. A run killed with SIGKILL (or by a crash or power loss) cannot,
and the next run writing in the same directory reports what it left as a
stale_staging_directory warning. The directory's name records the process
that made it (pid and start time); clean removes those whose process is
gone and keeps those of runs still going. It prints one line per
directory: `removed PATH (N bytes)`, or `would remove` with --dry-run,
or `kept PATH: its run is still going`.";

/// Arguments of `sqsdump clean`.
#[derive(Debug, Clone, Args)]
#[command(after_help = AFTER_HELP)]
pub struct CleanArgs {
    /// The directory to clean: the one that holds (or held) the output of
    /// the killed run. Example: `sqsdump clean /backups`.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,

    /// Print what would be removed, and remove nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// Run `sqsdump clean`.
// REQ-CLI-14
pub fn run(args: &CleanArgs) -> Result<(), Error> {
    let done = staging::clean(&args.dir, args.dry_run)
        .map_err(|e| Error::io(format!("cleaning {}", args.dir.display()), e))?;
    let mut out = std::io::stdout().lock();
    let verb = if args.dry_run {
        "would remove"
    } else {
        "removed"
    };
    for d in &done {
        let _ = match d {
            Cleaned::Removed(s) => writeln!(out, "{verb} {} ({} bytes)", s.path.display(), s.bytes),
            Cleaned::Live(p) => writeln!(out, "kept {}: its run is still going", p.display()),
        };
    }
    if done.is_empty() {
        let _ = writeln!(out, "nothing to clean in {}", args.dir.display());
    }
    Ok(())
}
