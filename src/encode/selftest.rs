//! `encode --self-test` (REQ-ENC-19): decode the staged snapshot with the
//! crate's own streaming decoder into a scratch directory and compare the
//! decoded `sqs/` tree with the input dump's under the round trip's
//! normalisation (REQ-ENC-13, [`normalise_line`]).
//!
//! The decode runs under its own [`Control`], so that the encode's staging
//! directory stays the one a signal thread removes; a watcher thread
//! passes an interrupt on to it, and the decode stops at its next check.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::error::EncodeError;
use super::tree::{join, DiskSource, Kind, Source, MESSAGES_FILE, QUEUE_FILE, SQS_DIR};
use super::{read_limited, EncodeOptions, MAX_LINE_BYTES, MAX_QUEUE_FILE_BYTES};
use crate::engine::stream;
use crate::manifest::ManifestInfo;
use crate::run::{Control, Staging, StagingKind};
use crate::Error;

/// The name of the top-level field the round trip normalises.
const GENERATION_FIELD: &[u8] = b"\"queue_generation\":";
/// The end of a line whose `partition` of 0 the round trip drops on a
/// queue without partitions.
const PARTITION_ZERO_END: &[u8] = b",\"partition\":0}\n";

/// One `messages.jsonl` line (with its `\n`) under REQ-ENC-13's
/// normalisation, as the round trip and the self-test (REQ-ENC-19) apply it: the value of the top-level `queue_generation` becomes
/// `1`, and on a queue without partitions (`partitioned` false) a final
/// `"partition":0` member is dropped.
///
/// The top-level `queue_generation` is its last occurrence in the line:
/// inside strings every quote is escaped, and the attribute objects come
/// before it.
pub fn normalise_line(line: &[u8], partitioned: bool) -> Cow<'_, [u8]> {
    let mut out = Cow::Borrowed(line);
    let at = line
        .windows(GENERATION_FIELD.len())
        .rposition(|w| w == GENERATION_FIELD);
    if let Some(at) = at {
        let start = at + GENERATION_FIELD.len();
        let rest = line.get(start..).unwrap_or_default();
        let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        if rest.get(..digits) != Some(b"1".as_slice()) {
            let mut v = Vec::with_capacity(line.len());
            v.extend_from_slice(line.get(..start).unwrap_or_default());
            v.push(b'1');
            v.extend_from_slice(rest.get(digits..).unwrap_or_default());
            out = Cow::Owned(v);
        }
    }
    if !partitioned {
        if let Some(stripped) = out.strip_suffix(PARTITION_ZERO_END) {
            let mut v = Vec::with_capacity(stripped.len() + 2);
            v.extend_from_slice(stripped);
            v.extend_from_slice(b"}\n");
            out = Cow::Owned(v);
        }
    }
    out
}

/// The first difference between an input dump and the decode of its
/// snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// The file, relative to the dump root (`sqs/orders/messages.jsonl`),
    /// or `the snapshot` when it does not decode.
    pub path: String,
    /// What differs.
    pub reason: String,
}

impl Mismatch {
    fn into_error(self) -> Error {
        EncodeError::SelfTestMismatch {
            path: self.path,
            reason: self.reason,
        }
        .into()
    }
}

/// Decode `fsm` into a scratch directory created in `scratch_base` and
/// compare it with `input` (REQ-ENC-19). The scratch directory is removed
/// before returning, whatever the outcome. A mismatch, or a snapshot that
/// does not decode or has another header timestamp than `commit_ts`, is
/// [`EncodeError::SelfTestMismatch`].
pub(crate) fn run(
    fsm: &Path,
    input: &dyn Source,
    commit_ts: u64,
    opts: &EncodeOptions,
    scratch_base: &Path,
    ctl: &Control,
) -> Result<(), Error> {
    let scratch =
        Staging::try_create_in(scratch_base, StagingKind::SelfTest, None).map_err(|e| {
            Error::io(
                format!(
                    "creating a self-test directory in {}",
                    scratch_base.display()
                ),
                e,
            )
        })?;
    run_in(fsm, input, commit_ts, opts, scratch.path(), ctl)
}

fn run_in(
    fsm: &Path,
    input: &dyn Source,
    commit_ts: u64,
    opts: &EncodeOptions,
    scratch: &Path,
    ctl: &Control,
) -> Result<(), Error> {
    let dump = scratch.join("dump");
    let cfg = stream::Config {
        opts: crate::decode::Options::default(),
        memory_limit: opts.memory_limit,
        sync_files: false,
        spill_after: opts.spill_after,
    };
    let info = ManifestInfo {
        last_commit_ts: 0,
        source_name: "self-test".to_string(),
        source_size: 0,
        preserve_visibility: false,
        include_side_records: false,
        wall_time: crate::manifest::rfc3339_utc(0, 0),
        cluster_id: None,
        snapshot_index: None,
        fsm_crc32c: None,
    };
    let child = Control {
        entry_delay: ctl.entry_delay,
        ..Control::default()
    };
    let done = AtomicBool::new(false);
    let decoded = std::thread::scope(|s| {
        s.spawn(|| {
            while !done.load(Ordering::Relaxed) {
                let signal = ctl.interrupt.load(Ordering::Relaxed);
                if signal != 0 {
                    child.interrupt.store(signal, Ordering::Relaxed);
                    break;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        });
        let r = stream::prepare(
            stream::Source::Path(fsm.to_path_buf()),
            &dump,
            &cfg,
            &info,
            &child,
        )
        .and_then(|p| {
            let summary = p.summary;
            p.commit(&dump, &child).map(|()| summary)
        });
        done.store(true, Ordering::Relaxed);
        r
    });
    ctl.checkpoint()?;
    let summary = match decoded {
        Ok(s) => s,
        Err(e @ (Error::Interrupted { .. } | Error::Io { .. })) => return Err(e),
        Err(e) => {
            return Err(Mismatch {
                path: "the snapshot".to_string(),
                reason: format!("it does not decode: error[{}]: {e}", e.class()),
            }
            .into_error())
        }
    };
    if summary.last_commit_ts != commit_ts {
        return Err(Mismatch {
            path: "the snapshot".to_string(),
            reason: format!(
                "its header last_commit_ts is {}, expected {commit_ts}",
                summary.last_commit_ts
            ),
        }
        .into_error());
    }
    let decoded = DiskSource::new(&dump)?;
    match compare(input, &decoded, ctl)? {
        None => Ok(()),
        Some(m) => Err(m.into_error()),
    }
}

/// Every entry of the `sqs/` subtree: `sqs/<dir>/<file>` → its kind, and
/// each queue directory `sqs/<dir>` → [`Kind::Dir`] (so an empty one is
/// seen too).
fn sqs_entries(src: &dyn Source) -> Result<BTreeMap<String, Kind>, Error> {
    let mut out = BTreeMap::new();
    let has_sqs = src
        .list("")?
        .into_iter()
        .any(|(name, kind)| name == SQS_DIR && kind == Kind::Dir);
    if !has_sqs {
        return Ok(out);
    }
    for (dir, kind) in src.list(SQS_DIR)? {
        let path = join(SQS_DIR, &dir);
        if kind == Kind::Dir {
            for (file, kind) in src.list(&path)? {
                out.insert(join(&path, &file), kind);
            }
        }
        out.insert(path, kind);
    }
    Ok(out)
}

/// Compare the `sqs/` trees of an input dump and of the decode of its
/// snapshot, in path order; the first difference, if any (REQ-ENC-19). `_queue.json`
/// files must be equal byte for byte, `messages.jsonl` lines after
/// [`normalise_line`] of the input's.
pub fn compare(
    input: &dyn Source,
    decoded: &dyn Source,
    ctl: &Control,
) -> Result<Option<Mismatch>, Error> {
    let want = sqs_entries(input)?;
    let got = sqs_entries(decoded)?;
    let mut paths: Vec<&String> = want.keys().chain(got.keys()).collect();
    paths.sort();
    paths.dedup();
    for path in paths {
        ctl.checkpoint()?;
        let mismatch = |reason: &str| {
            Ok(Some(Mismatch {
                path: path.clone(),
                reason: reason.to_string(),
            }))
        };
        let (w, g) = match (want.get(path), got.get(path)) {
            (Some(w), Some(g)) => (*w, *g),
            (Some(_), None) => return mismatch("in the input, not in the decoded snapshot"),
            (None, _) => return mismatch("in the decoded snapshot, not in the input"),
        };
        if w != g {
            return mismatch("a file on one side, a directory on the other");
        }
        if w == Kind::Dir {
            continue;
        }
        let diff = if path.ends_with(&format!("/{MESSAGES_FILE}")) {
            let queue = path
                .strip_suffix(MESSAGES_FILE)
                .map(|dir| format!("{dir}{QUEUE_FILE}"))
                .unwrap_or_default();
            let partitioned = read_limited(input, &queue, MAX_QUEUE_FILE_BYTES)
                .ok()
                .and_then(|b| super::model::parse_queue(&b).ok())
                .is_some_and(|q| q.is_partitioned());
            compare_lines(
                input.open(path)?,
                decoded.open(path)?,
                partitioned,
                path,
                ctl,
            )?
        } else {
            compare_bytes(input.open(path)?, decoded.open(path)?, path)?
        };
        if let Some(reason) = diff {
            return mismatch(&reason);
        }
    }
    Ok(None)
}

/// One line of at most [`MAX_LINE_BYTES`] and its `\n`; empty at the end.
fn next_line(r: &mut dyn BufRead, buf: &mut Vec<u8>, path: &str) -> Result<(), Error> {
    buf.clear();
    r.take(MAX_LINE_BYTES + 1)
        .read_until(b'\n', buf)
        .map_err(|e| Error::io(format!("reading {path}"), e))?;
    Ok(())
}

fn compare_lines(
    want: Box<dyn Read + '_>,
    got: Box<dyn Read + '_>,
    partitioned: bool,
    path: &str,
    ctl: &Control,
) -> Result<Option<String>, Error> {
    let mut want = BufReader::with_capacity(256 * 1024, want);
    let mut got = BufReader::with_capacity(256 * 1024, got);
    let (mut a, mut b) = (Vec::new(), Vec::new());
    let mut line = 0u64;
    loop {
        line += 1;
        if line % 4096 == 0 {
            ctl.checkpoint()?;
        }
        next_line(&mut want, &mut a, path)?;
        next_line(&mut got, &mut b, path)?;
        match (a.is_empty(), b.is_empty()) {
            (true, true) => return Ok(None),
            (false, true) => {
                return Ok(Some(format!(
                    "line {line} is in the input, not in the decoded snapshot"
                )))
            }
            (true, false) => {
                return Ok(Some(format!(
                    "line {line} is in the decoded snapshot, not in the input"
                )))
            }
            (false, false) => {}
        }
        if *normalise_line(&a, partitioned) != *b {
            return Ok(Some(format!(
                "line {line} differs: the input has {}, the decoded snapshot {}",
                shorten(&a),
                shorten(&b)
            )));
        }
    }
}

/// A line for an error message: at most 200 bytes, lossy UTF-8, without
/// its newline.
fn shorten(line: &[u8]) -> String {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    match line.get(..200) {
        Some(head) if line.len() > 200 => format!("{}…", String::from_utf8_lossy(head)),
        _ => String::from_utf8_lossy(line).into_owned(),
    }
}

fn compare_bytes(
    mut want: Box<dyn Read + '_>,
    mut got: Box<dyn Read + '_>,
    path: &str,
) -> Result<Option<String>, Error> {
    let mut a = vec![0u8; 64 * 1024];
    let mut b = vec![0u8; 64 * 1024];
    let mut offset = 0u64;
    loop {
        let n = fill(&mut want, &mut a, path)?;
        let m = fill(&mut got, &mut b, path)?;
        if a.get(..n) != b.get(..m) {
            let at = a
                .iter()
                .zip(&b)
                .take(n.min(m))
                .take_while(|(x, y)| x == y)
                .count();
            return Ok(Some(format!(
                "the bytes differ at offset {}",
                offset + at as u64
            )));
        }
        if n == 0 {
            return Ok(None);
        }
        offset += n as u64;
    }
}

/// Read until `buf` is full or the end; the count.
fn fill(r: &mut dyn Read, buf: &mut [u8], path: &str) -> Result<usize, Error> {
    let mut n = 0;
    while let Some(rest) = buf.get_mut(n..) {
        if rest.is_empty() {
            break;
        }
        match r.read(rest) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Error::io(format!("reading {path}"), e)),
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    // REQ-ENC-13, REQ-ENC-19
    #[test]
    fn lines_are_normalised_as_the_round_trip_says() {
        let n =
            |l: &str, p| String::from_utf8(normalise_line(l.as_bytes(), p).into_owned()).unwrap();
        assert_eq!(
            n(
                "{\"a\":\"\\\"queue_generation\\\":7\",\"queue_generation\":42}\n",
                false
            ),
            "{\"a\":\"\\\"queue_generation\\\":7\",\"queue_generation\":1}\n"
        );
        assert_eq!(
            n("{\"queue_generation\":3,\"partition\":0}\n", false),
            "{\"queue_generation\":1}\n"
        );
        assert_eq!(
            n("{\"queue_generation\":3,\"partition\":0}\n", true),
            "{\"queue_generation\":1,\"partition\":0}\n"
        );
        assert_eq!(n("{\"partition\":0}", false), "{\"partition\":0}");
        assert!(matches!(
            normalise_line(b"{\"queue_generation\":1}\n", false),
            Cow::Borrowed(_)
        ));
    }
}
