//! `sqsdump archive pack|unpack` (REQ-ARC-*): move a dump as one tar or
//! tar.zst file, interchangeable with `elastickv-snapshot-archive`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::{Args, Subcommand};

use super::signal;
use crate::archive::{self, Budget, Compression, PackOptions};
use crate::manifest;
use crate::run::{Control, TestKnobs};
use crate::Error;

/// Arguments of `sqsdump archive`.
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  sqsdump archive pack --input ./dump --output dump.tar.zst
  sqsdump archive pack -i ./dump -o d.tar.zst && sqsdump archive unpack -i d.tar.zst -o ./restored")]
pub struct ArchiveArgs {
    /// Pack or unpack.
    #[command(subcommand)]
    pub command: ArchiveCommand,
}

/// The archive subcommands.
#[derive(Debug, Subcommand)]
pub enum ArchiveCommand {
    /// Check a dump tree (MANIFEST.json, every CHECKSUMS digest) and pack
    /// it into a reproducible tar or tar.zst file.
    Pack(PackArgs),
    /// Unpack a tar or tar.zst archive into a new dump directory, checking
    /// every entry and then the whole tree before it is put in place.
    Unpack(UnpackArgs),
}

/// Arguments of `sqsdump archive pack`.
#[derive(Debug, Args)]
#[command(after_help = "\
Every entry gets uid and gid 0, no owner names, mode 0755 (directories) or
0644 (files), and the manifest's wall_time_iso as its mtime
(SOURCE_DATE_EPOCH instead when set), so the same dump always packs to the
same bytes. The output is written beside its final name and renamed into
place; an existing file is never replaced.

Examples:
  sqsdump archive pack --input ./dump --output dump.tar.zst
  sqsdump archive pack -i ./dump -o dump.tar --compression none")]
pub struct PackArgs {
    /// The dump directory. Example: `--input ./dump`.
    #[arg(short, long, value_name = "DIR")]
    pub input: PathBuf,

    /// The archive to write (must not exist). Example: `--output dump.tar.zst`.
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,

    /// `zstd` or `none`; by default zstd when the output name ends in
    /// `.zst`, none otherwise. Example: `--compression zstd`.
    #[arg(long, value_enum, value_name = "KIND")]
    pub compression: Option<Compression>,

    /// The mtime of every entry, in seconds since the Unix epoch, instead
    /// of the manifest's wall_time_iso. Example: `SOURCE_DATE_EPOCH=1700000000`.
    #[arg(long, env = "SOURCE_DATE_EPOCH", value_name = "SECS", value_parser = manifest::parse_epoch)]
    pub source_date_epoch: Option<u64>,
}

/// Arguments of `sqsdump archive unpack`.
#[derive(Debug, Args)]
#[command(after_help = "\
Compression is detected from the content (the zstd magic number). Refused,
naming the entry: absolute paths, `..`, empty or duplicate names, symlinks,
hard links, devices, FIFOs, and archives over the entry or byte budget.
Nothing is left behind on any error.

Examples:
  sqsdump archive pack -i ./dump -o d.tar.zst && sqsdump archive unpack --input d.tar.zst --output ./restored
  sqsdump archive pack -i ./dump -o d.tar && cat d.tar | sqsdump archive unpack --input - --output ./restored")]
pub struct UnpackArgs {
    /// The archive (`-`: standard input). Example: `--input dump.tar.zst`.
    #[arg(short, long, value_name = "FILE|-")]
    pub input: PathBuf,

    /// The dump directory to create (absent or empty). Example:
    /// `--output ./restored`.
    #[arg(short, long, value_name = "DIR")]
    pub output: PathBuf,

    /// Most entries accepted (extension headers included). Example:
    /// `--max-entries 1000000`.
    #[arg(long, value_name = "N", default_value_t = archive::DEFAULT_MAX_ENTRIES)]
    pub max_entries: u64,

    /// Most bytes of entry data accepted (1 TiB by default). Example:
    /// `--max-bytes 1099511627776`.
    #[arg(long, value_name = "BYTES", default_value_t = archive::DEFAULT_MAX_BYTES)]
    pub max_bytes: u64,
}

/// Run `sqsdump archive`. The parent directories of the output that the
/// run creates are removed again if it fails (REQ-ARC-3, REQ-ARC-6), as
/// decode removes its own (REQ-CLI-5).
pub fn run(args: &ArchiveArgs) -> Result<(), Error> {
    let ctl = Arc::new(Control {
        entry_delay: TestKnobs::from_env().entry_delay,
        ..Control::default()
    });
    signal::install(&ctl, signal::GRACE)?;
    let output = match &args.command {
        ArchiveCommand::Pack(a) => &a.output,
        ArchiveCommand::Unpack(a) => &a.output,
    };
    let parent = crate::run::staging::parent_dir(output);
    crate::run::staging::create_parents(&parent)
        .map_err(|e| Error::io(format!("creating {}", parent.display()), e))?;
    let result = run_command(args, &ctl);
    if result.is_err() {
        crate::run::staging::remove_created_parents();
    }
    result
}

fn run_command(args: &ArchiveArgs, ctl: &Control) -> Result<(), Error> {
    match &args.command {
        ArchiveCommand::Pack(a) => {
            let opts = PackOptions {
                compression: a
                    .compression
                    .unwrap_or_else(|| Compression::from_name(&a.output)),
                source_date_epoch: a.source_date_epoch,
            };
            let r = archive::pack(&a.input, &a.output, &opts, Some(ctl))?;
            eprintln!(
                "sqsdump: packed {} entries into {} ({} bytes, {})",
                r.entries,
                a.output.display(),
                r.archive_bytes,
                match opts.compression {
                    Compression::None => "tar",
                    Compression::Zstd => "tar+zstd",
                }
            );
        }
        ArchiveCommand::Unpack(a) => {
            let budget = Budget {
                max_entries: a.max_entries,
                max_bytes: a.max_bytes,
            };
            let r = archive::unpack(&a.input, &a.output, budget, Some(ctl))?;
            eprintln!(
                "sqsdump: unpacked {} files ({} bytes, {}) into {}",
                r.files,
                r.bytes,
                match r.compression {
                    Compression::None => "tar",
                    Compression::Zstd => "tar+zstd",
                },
                a.output.display()
            );
        }
    }
    Ok(())
}

/// `sqsdump decode --output FILE.tar[.zst]`: decode into a
/// scratch directory beside the archive, then pack it as `archive pack`
/// would, so the bytes are those of `decode` followed by `archive pack`.
/// The scratch directory, in which the archive is staged too, is
/// registered for the signal guard and removed whatever happens; on an
/// error no archive is written, and the parent directories the run
/// created are removed again.
// REQ-ARC-9
pub fn decode_to_archive(args: &super::decode::DecodeArgs) -> Result<(), Error> {
    use crate::run::{Staging, StagingKind};
    if args.output.file_name().is_none() || std::fs::symlink_metadata(&args.output).is_ok() {
        return Err(Error::UnsafeOutput {
            path: args.output.display().to_string(),
            reason: "the output exists (an archive is never overwritten)".to_string(),
        });
    }
    let ctl = Arc::new(Control::default());
    signal::install(&ctl, signal::GRACE)?;
    let parent = crate::run::staging::parent_dir(&args.output);
    // The decode run inside forgets the parents registered here when it
    // fails, so they are also listed here to be removed after the scratch
    // directory in them is gone.
    let missing: Vec<PathBuf> = parent
        .ancestors()
        .take_while(|d| !d.as_os_str().is_empty() && std::fs::symlink_metadata(d).is_err())
        .map(Path::to_path_buf)
        .collect();
    crate::run::staging::create_parents(&parent)
        .map_err(|e| Error::io(format!("creating {}", parent.display()), e))?;
    let result = (|| {
        let scratch = Staging::create_in(&parent, StagingKind::Dump, Some(&ctl))?;
        let mut inner = args.clone();
        inner.output = scratch.path().join("dump");
        super::decode::run(&inner)?;
        let opts = PackOptions {
            compression: Compression::from_name(&args.output),
            source_date_epoch: args.source_date_epoch,
        };
        archive::pack_in(&inner.output, &args.output, &opts, Some(&ctl), scratch)
    })();
    if result.is_err() {
        crate::run::staging::remove_created_parents();
        for dir in &missing {
            let _ = std::fs::remove_dir(dir);
        }
    }
    let r = result?;
    eprintln!(
        "sqsdump: packed {} entries into {} ({} bytes)",
        r.entries,
        args.output.display(),
        r.archive_bytes
    );
    Ok(())
}
