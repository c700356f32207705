//! The command line (REQ-CLI-*).
//!
//! [`Cli`] is the clap parser; each subcommand is one variant of
//! [`Command`] holding its own argument struct, implemented in its own file
//! under `src/cli/` (`decode.rs`, …). A new subcommand adds a module, a
//! variant and one arm in [`run`].
//!
//! Exit codes: 0 on success, 1 on a data or I/O error (printed as one line
//! `error[<class>]: <message>`), 2 on a usage error (clap's own handling),
//! 129, 130 or 143 when SIGHUP, SIGINT or SIGTERM stopped a decode or an
//! encode.

use std::io::Write;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::gate::{conform, corpus, verify};
use crate::Error;

pub mod archive;
pub mod clean;
pub mod decode;
pub mod encode;
#[cfg(feature = "testkit")]
pub mod gen;
pub mod progress;
mod signal;
pub mod warnout;

/// Top-level help epilogue.
const AFTER_HELP: &str = "\
Examples:
  sqsdump decode --input 0000000000000064.fsm --output ./dump
  cat snap.fsm | sqsdump decode --input - --output ./dump --include-sqs-side-records
  sqsdump encode --input ./dump --output restored.fsm

Exit status: 0 on success, 1 on a data or I/O error, 2 on a usage error,
129, 130 or 143 when SIGHUP, SIGINT or SIGTERM stopped a decode or encode
(nothing is left behind). A run killed otherwise (SIGKILL) leaves a hidden
staging directory beside its output: `sqsdump clean DIR` removes it.";

/// sqsdump: decode the SQS part of an elastickv FSM snapshot into a logical
/// dump that `cat`, `jq` and the AWS CLI can restore from.
#[derive(Debug, Parser)]
#[command(name = "sqsdump", version, about, after_help = AFTER_HELP)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Decode a `.fsm` snapshot into a dump directory.
    Decode(decode::DecodeArgs),
    /// Encode a dump directory back into a `.fsm` snapshot (restore).
    Encode(encode::EncodeArgs),
    /// Write a deterministic snapshot from the generator model.
    #[cfg(feature = "testkit")]
    Gen(gen::GenArgs),
    /// Regenerate the conformance corpus from its case definitions.
    Corpus(corpus::CorpusArgs),
    /// Run another implementation over the conformance corpus (and
    /// generated snapshots) and compare its dumps with the expected ones.
    Conform(conform::ConformArgs),
    /// Check a dump tree against SPEC.md's structural rules.
    Verify(verify::VerifyArgs),
    /// Remove the staging directories that killed runs left in a directory.
    Clean(clean::CleanArgs),
    /// Pack a dump into a tar or tar.zst file, or unpack one.
    Archive(archive::ArchiveArgs),
}

/// Run a parsed command line.
pub fn run(cli: Cli) -> Result<(), Error> {
    match cli.command {
        Command::Decode(args) => decode::run(&args),
        Command::Encode(args) => encode::run(&args),
        #[cfg(feature = "testkit")]
        Command::Gen(args) => gen::run(&args),
        Command::Corpus(args) => exit_unless(corpus::run_cli(&args)?),
        Command::Conform(args) => conform::exit(&args),
        Command::Verify(args) => exit_unless(verify::run_cli(&args)?),
        Command::Clean(args) => clean::run(&args),
        Command::Archive(args) => archive::run(&args),
    }
}

/// For the checking subcommands: they print their own findings, so a
/// failed check exits 1 without an `error[...]` line.
fn exit_unless(passed: bool) -> Result<(), Error> {
    if !passed {
        let _ = std::io::stdout().flush();
        std::process::exit(1);
    }
    Ok(())
}

/// Print one line on stdout. A reader that has gone away (`sqsdump
/// verify DIR | head -1`) closes the pipe: the line is dropped rather than
/// panicking, and the exit status still says what the command found
/// (REQ-ERR-2).
pub(crate) fn out(line: std::fmt::Arguments<'_>) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stdout().lock(), "{line}");
}

/// The one line printed for a failed run (REQ-CLI-2), without a newline.
pub fn error_line(err: &Error) -> String {
    format!("error[{}]: {}", err.class(), err)
}

/// Parse the process arguments, run, and map the outcome to an exit code.
/// Usage errors exit 2 inside clap.
pub fn main() -> ExitCode {
    // The reproducible-builds convention: an empty SOURCE_DATE_EPOCH is
    // unset. Done before any thread exists.
    if std::env::var_os("SOURCE_DATE_EPOCH").is_some_and(|v| v.is_empty()) {
        std::env::remove_var("SOURCE_DATE_EPOCH");
    }
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            let mut stderr = std::io::stderr().lock();
            let _ = writeln!(stderr, "{}", error_line(&err));
            match err {
                // REQ-ENG-5: 129 for SIGHUP, 130 for SIGINT, 143 for SIGTERM.
                Error::Interrupted { signal } => {
                    ExitCode::from(u8::try_from(128 + signal.clamp(0, 127)).unwrap_or(1))
                }
                _ => ExitCode::from(1),
            }
        }
    }
}
