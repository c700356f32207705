//! The library API: decode a snapshot into a dump directory, encode a dump
//! directory back into a snapshot. The command line runs the same steps,
//! adding progress bars, signal handling and node data directories.

use std::fs::File;
use std::path::{Path, PathBuf};

use crate::engine::stream::{self, Source};
use crate::manifest::{self, ManifestInfo};
use crate::run::Control;
use crate::warning::Warning;
use crate::{snapshot, write, Error};

pub use crate::encode::EncodeSummary;
pub use crate::engine::plain::mvcc::MvccStats;
pub use crate::engine::plain::snapshot::Summary;

/// Which engine decodes (REQ-ENG-1). Both write the same dump, the same
/// warnings and the same error on every input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Engine {
    /// The in-memory engine: plain code, the oracle the other is tested
    /// against. Holds the whole snapshot's records in memory.
    Plain,
    /// The streaming engine: bounded memory (see
    /// [`DecodeOptions::memory_limit`]), spill files in the staging
    /// directory.
    #[default]
    Stream,
}

/// How [`Decoder`] decodes. Start from [`DecodeOptions::default`] and set
/// the fields to change:
///
/// ```
/// let mut options = sqsdump::DecodeOptions::default();
/// options.preserve_visibility = true;
/// options.engine = sqsdump::Engine::Plain;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DecodeOptions {
    /// The engine (default [`Engine::Stream`]).
    pub engine: Engine,
    /// Keep each message's live visibility state instead of resetting it
    /// so that every restored message is visible (REQ-OUT-5).
    pub preserve_visibility: bool,
    /// Also write the side records (dedup, group locks, …) as files
    /// (REQ-DEC-8).
    pub include_side_records: bool,
    /// Refuse an input without a node file's CRC-32C footer (REQ-FSM-11).
    /// A footer that is present is verified either way.
    pub require_footer: bool,
    /// The streaming engine's memory budget in bytes, at least
    /// [`crate::MIN_MEMORY_LIMIT`] (smaller values count as it).
    pub memory_limit: u64,
    /// Recorded in MANIFEST.json as `cluster_id`.
    pub cluster_id: Option<String>,
    /// The manifest's `wall_time`, in seconds since the Unix epoch; the
    /// current time when absent.
    pub wall_time: Option<u64>,
}

impl Default for DecodeOptions {
    fn default() -> Self {
        DecodeOptions {
            engine: Engine::default(),
            preserve_visibility: false,
            include_side_records: false,
            require_footer: false,
            memory_limit: crate::run::DEFAULT_MEMORY_LIMIT,
            cluster_id: None,
            wall_time: None,
        }
    }
}

/// Decodes `.fsm` snapshots into dump directories.
///
/// The output directory must not exist or be empty, and must not be a
/// symlink. The dump is built in a hidden staging directory beside it and
/// renamed into place only when complete: on any error nothing is left
/// at the output path.
///
/// ```
/// # fn main() -> Result<(), sqsdump::Error> {
/// let tmp = tempfile::tempdir().unwrap();
/// let out = tmp.path().join("dump");
/// let mut warnings = Vec::new();
/// let summary = sqsdump::Decoder::new(sqsdump::DecodeOptions::default())
///     .decode_with_warnings("examples/sample.fsm", &out, &mut |w| {
///         warnings.push(w.to_json_line())
///     })?;
/// assert_eq!(summary.queues, 5);
/// assert!(out.join("MANIFEST.json").is_file());
/// assert!(!warnings.is_empty());
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Default)]
pub struct Decoder {
    options: DecodeOptions,
}

impl Decoder {
    /// A decoder with `options`.
    pub fn new(options: DecodeOptions) -> Decoder {
        Decoder { options }
    }

    /// Its options.
    pub fn options(&self) -> &DecodeOptions {
        &self.options
    }

    /// Decode the snapshot file `input` into the directory `output`
    /// (MANIFEST.json and CHECKSUMS included), dropping the warnings.
    pub fn decode(
        &self,
        input: impl AsRef<Path>,
        output: impl AsRef<Path>,
    ) -> Result<Summary, Error> {
        self.decode_with_warnings(input, output, &mut |_| {})
    }

    /// [`Decoder::decode`], handing every warning to `on_warning` in the
    /// order the command line prints them.
    pub fn decode_with_warnings(
        &self,
        input: impl AsRef<Path>,
        output: impl AsRef<Path>,
        on_warning: &mut dyn FnMut(&Warning),
    ) -> Result<Summary, Error> {
        let (input, output) = (input.as_ref(), output.as_ref());
        write::check_output(output)?;
        let o = &self.options;
        let opts = crate::decode::Options {
            preserve_visibility: o.preserve_visibility,
            include_side_records: o.include_side_records,
            require_footer: o.require_footer,
        };
        let source_name = input.file_name().map_or_else(
            || input.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        let info = ManifestInfo {
            last_commit_ts: 0,
            snapshot_index: manifest::snapshot_index_from_name(&source_name),
            source_name,
            source_size: 0,
            preserve_visibility: o.preserve_visibility,
            include_side_records: o.include_side_records,
            wall_time: manifest::wall_time(o.wall_time),
            cluster_id: o.cluster_id.clone(),
            fsm_crc32c: None,
        };
        let file =
            File::open(input).map_err(|e| Error::io(format!("opening {}", input.display()), e))?;
        match o.engine {
            Engine::Plain => {
                let (mut model, summary) = snapshot::decode_snapshot(file, opts, &mut |_| {})?;
                model.warnings.iter().for_each(&mut *on_warning);
                let info = ManifestInfo {
                    last_commit_ts: summary.last_commit_ts,
                    source_size: summary.bytes_read,
                    fsm_crc32c: summary.fsm_crc32c,
                    ..info
                };
                manifest::add_manifest(&mut model, &info)?;
                write::write_dump(&model, output)?;
                Ok(summary)
            }
            Engine::Stream => {
                drop(file);
                let cfg = stream::Config {
                    opts,
                    memory_limit: o.memory_limit,
                    ..stream::Config::default()
                };
                let ctl = Control::default();
                let mut prepared =
                    stream::prepare(Source::Path(input.to_path_buf()), output, &cfg, &info, &ctl)?;
                std::mem::take(&mut prepared.warnings).for_each(|w| on_warning(&w))?;
                let summary = prepared.summary;
                prepared.commit(output, &ctl)?;
                Ok(summary)
            }
        }
    }
}

/// How [`encode()`] encodes. Start from [`EncodeOptions::default`] and set
/// the fields to change:
///
/// ```
/// let mut options = sqsdump::EncodeOptions::default();
/// options.self_test = true;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct EncodeOptions {
    /// Stamp this commit timestamp instead of the manifest's
    /// `last_commit_ts`; it must not be lower (REQ-ENC-1).
    pub last_commit_ts: Option<u64>,
    /// The memory budget in bytes, at least
    /// [`crate::MIN_MEMORY_LIMIT`] (REQ-ENC-17).
    pub memory_limit: u64,
    /// Decode the staged snapshot and compare it with the input before
    /// anything is committed (REQ-ENC-19).
    pub self_test: bool,
    /// An existing directory for the self-test's scratch directory; by
    /// default the staging directory beside the output.
    pub scratch_root: Option<PathBuf>,
    /// The sidecar's `wall_time_iso`, in seconds since the Unix epoch; the
    /// current time when absent.
    pub source_date_epoch: Option<u64>,
}

impl Default for EncodeOptions {
    fn default() -> Self {
        EncodeOptions {
            last_commit_ts: None,
            memory_limit: crate::run::DEFAULT_MEMORY_LIMIT,
            self_test: false,
            scratch_root: None,
            source_date_epoch: None,
        }
    }
}

/// Encode the dump directory `input` into the snapshot file `output`, with
/// its ENCODE_INFO sidecar `<output>.encode_info.json` (REQ-ENC-11,
/// REQ-ENC-18). Neither may exist; both are written in a staging directory
/// beside `output` and renamed into place only when complete. Every
/// `CHECKSUMS` digest of the dump is verified before anything is encoded.
///
/// ```
/// # fn main() -> Result<(), sqsdump::Error> {
/// let tmp = tempfile::tempdir().unwrap();
/// let dump = tmp.path().join("dump");
/// sqsdump::Decoder::default().decode("examples/sample.fsm", &dump)?;
/// let restored = tmp.path().join("restored.fsm");
/// let summary = sqsdump::encode(&dump, &restored, &sqsdump::EncodeOptions::default())?;
/// assert_eq!(summary.queues, 5);
/// assert!(restored.is_file());
/// # Ok(())
/// # }
/// ```
pub fn encode(
    input: impl AsRef<Path>,
    output: impl AsRef<Path>,
    options: &EncodeOptions,
) -> Result<EncodeSummary, Error> {
    let opts = crate::encode::EncodeOptions {
        last_commit_ts: options.last_commit_ts,
        memory_limit: options.memory_limit,
        spill_after: None,
    };
    let file = crate::encode::FileOptions {
        self_test: options.self_test,
        scratch_root: options.scratch_root.clone(),
        source_date_epoch: options.source_date_epoch,
    };
    crate::encode::encode_to_file_with(
        input.as_ref(),
        output.as_ref(),
        &opts,
        &file,
        &Control::default(),
    )
    .map(|r| r.summary)
}
