//! The engines' test harness: decode one snapshot with each engine and
//! compare everything observable (REQ-ENG-1). Used by
//! tests/engines/engines.rs, the conformance tests and the model-based
//! fuzz targets.

use std::collections::BTreeMap;
use std::path::Path;

use crate::decode::Options;
use crate::manifest::{self, ManifestInfo};
use crate::snapshot::Summary;
use crate::warning::Warning;
use crate::Error;

use super::stream;

/// Everything observable about one decode: the files of the dump tree
/// (MANIFEST.json and CHECKSUMS included), the warnings in order and the
/// summary counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observed {
    /// Relative path → bytes.
    pub files: BTreeMap<String, Vec<u8>>,
    /// Warnings, in emission order.
    pub warnings: Vec<Warning>,
    /// The CLI summary counts.
    pub summary: Summary,
}

/// The manifest information used by [`observe`] (as for an input file
/// named `input.fsm`).
fn test_info(opts: Options) -> ManifestInfo {
    ManifestInfo {
        last_commit_ts: 0,
        source_name: "input.fsm".to_string(),
        source_size: 0,
        preserve_visibility: opts.preserve_visibility,
        include_side_records: opts.include_side_records,
        wall_time: manifest::wall_time(Some(0)),
        ..ManifestInfo::default()
    }
}

/// Decode `fsm` with the plain engine, manifest and checksums included.
pub fn observe_plain(fsm: &[u8], opts: Options) -> Result<Observed, Error> {
    let (mut model, summary) = crate::snapshot::decode_snapshot(fsm, opts, &mut |_| {})?;
    let info = ManifestInfo {
        last_commit_ts: summary.last_commit_ts,
        source_size: summary.bytes_read,
        fsm_crc32c: summary.fsm_crc32c,
        ..test_info(opts)
    };
    manifest::add_manifest(&mut model, &info)?;
    crate::write::validate_model_paths(model.files.keys().map(String::as_str))?;
    Ok(Observed {
        files: model.files,
        warnings: model.warnings,
        summary,
    })
}

/// Decode `fsm` with the stream engine into a temporary directory and read
/// the tree back. `spill_after` forces spilling (see
/// [`stream::Config::spill_after`]). Also checks that nothing but the dump
/// is left beside it.
pub fn observe_stream(
    fsm: &[u8],
    opts: Options,
    spill_after: Option<usize>,
) -> Result<Observed, Error> {
    let tmp = tempfile::tempdir().map_err(|e| Error::io("creating a test directory", e))?;
    let out = tmp.path().join("out");
    let cfg = stream::Config {
        opts,
        spill_after,
        // Contents are what is compared; syncing would only slow tests.
        sync_files: false,
        ..stream::Config::default()
    };
    let ctl = crate::run::Control::default();
    let result = stream::prepare(
        stream::Source::Bytes(fsm),
        &out,
        &cfg,
        &test_info(opts),
        &ctl,
    )
    .and_then(|mut p| {
        let warnings = std::mem::take(&mut p.warnings).collect()?;
        let summary = p.summary;
        p.commit(&out, &ctl)?;
        Ok((warnings, summary))
    });
    let leftovers: Vec<String> = std::fs::read_dir(tmp.path())
        .map_err(|e| Error::io("listing the test directory", e))?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n != "out")
        .collect();
    if !leftovers.is_empty() {
        return Err(Error::io(
            "stream engine",
            std::io::Error::other(format!("left behind: {leftovers:?}")),
        ));
    }
    let (warnings, summary) = result?;
    let mut files = BTreeMap::new();
    read_tree(&out, "", &mut files)?;
    Ok(Observed {
        files,
        warnings,
        summary,
    })
}

/// How many passes the stream engine needs for `fsm`: 1 when the input is
/// in user-key or Pebble order, 2 when the sorted pass met disorder
/// (REQ-ENG-2).
pub fn stream_passes(fsm: &[u8], opts: Options) -> Result<u32, Error> {
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Arc;
    let tmp = tempfile::tempdir().map_err(|e| Error::io("creating a test directory", e))?;
    let out = tmp.path().join("out");
    let cfg = stream::Config {
        opts,
        sync_files: false,
        ..stream::Config::default()
    };
    let passes = Arc::new(AtomicU32::new(1));
    let seen = Arc::clone(&passes);
    let ctl = crate::run::Control {
        progress: Some(Box::new(move |p| {
            if p == crate::run::Progress::Restart {
                seen.fetch_add(1, Ordering::Relaxed);
            }
        })),
        ..crate::run::Control::default()
    };
    stream::prepare(
        stream::Source::Bytes(fsm),
        &out,
        &cfg,
        &test_info(opts),
        &ctl,
    )?;
    Ok(passes.load(Ordering::Relaxed))
}

fn read_tree(dir: &Path, prefix: &str, files: &mut BTreeMap<String, Vec<u8>>) -> Result<(), Error> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io("reading the dump", e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io("reading the dump", e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let rel = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}/{name}")
        };
        let path = entry.path();
        if path.is_dir() {
            read_tree(&path, &rel, files)?;
        } else {
            let bytes = std::fs::read(&path).map_err(|e| Error::io("reading the dump", e))?;
            files.insert(rel, bytes);
        }
    }
    Ok(())
}

/// Decode `fsm` with both engines and describe the first difference:
/// dump files, warnings (content and order), summary, or error class and
/// text (REQ-ENG-1).
pub fn compare_engines(
    fsm: &[u8],
    opts: Options,
    spill_after: Option<usize>,
) -> Result<(), String> {
    compare_observed(
        observe_plain(fsm, opts),
        observe_stream(fsm, opts, spill_after),
    )
}

/// The comparison of [`compare_engines`]: `Ok` when both runs wrote the
/// same files, warnings and summary, or failed with the same error class
/// and text; otherwise the first difference.
pub fn compare_observed(
    plain: Result<Observed, Error>,
    stream: Result<Observed, Error>,
) -> Result<(), String> {
    match (plain, stream) {
        (Ok(p), Ok(s)) => {
            for (path, bytes) in &p.files {
                match s.files.get(path) {
                    None => return Err(format!("stream engine lacks {path}")),
                    Some(b) if b != bytes => {
                        return Err(format!(
                            "{path} differs:\nplain:  {}\nstream: {}",
                            String::from_utf8_lossy(bytes),
                            String::from_utf8_lossy(b)
                        ))
                    }
                    Some(_) => {}
                }
            }
            if let Some(extra) = s.files.keys().find(|k| !p.files.contains_key(*k)) {
                return Err(format!("stream engine wrote extra file {extra}"));
            }
            if p.warnings != s.warnings {
                return Err(format!(
                    "warnings differ:\nplain:  {:?}\nstream: {:?}",
                    p.warnings, s.warnings
                ));
            }
            if p.summary != s.summary {
                return Err(format!(
                    "summaries differ:\nplain:  {:?}\nstream: {:?}",
                    p.summary, s.summary
                ));
            }
            Ok(())
        }
        (Err(p), Err(s)) => {
            if p.class() != s.class() || p.to_string() != s.to_string() {
                return Err(format!("errors differ: plain {p} / stream {s}"));
            }
            Ok(())
        }
        (Ok(_), Err(s)) => Err(format!("only the stream engine failed: {s}")),
        (Err(p), Ok(_)) => Err(format!("only the plain engine failed: {p}")),
    }
}
