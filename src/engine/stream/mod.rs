//! The streaming engine (`--engine stream`, the default): the plain
//! engine's output with bounded memory, on two threads (REQ-ENG-1..5).
//!
//! ```text
//! reader thread:  .fsm bytes → fsm::Reader → resolve (MVCC, key order)
//!                   │ batches of records (bounded channel)
//! parser thread:  route keys, parse values, render message lines
//!                   │ batches of parsed records (bounded channel)
//! main thread:    per-queue buffers (key order) → sorted runs in
//!                 <staging>/spill-N-messages/ → k-way merge → <staging>/dump/
//! ```
//!
//! - The first pass assumes Pebble order ([`resolve::Mode::Sorted`]). If a
//!   key arrives out of order, everything of that pass is thrown away and
//!   a second pass reads the input again in [`resolve::Mode::General`],
//!   which sorts versions through spill files. A file is simply reopened;
//!   standard input is copied to a spool file in the staging directory as
//!   it is read, so it can be read again.
//! - Errors keep the plain engine's precedence: a framing error anywhere in
//!   the stream wins over a record error (the plain engine reads the whole
//!   stream before decoding), and of the record errors the first in
//!   user-key order wins.
//! - Everything temporary lives in the staging directory beside the
//!   output, which is removed on error and on interruption; the dump is
//!   renamed into place only by [`Prepared::commit`].

mod decoder;
mod out;
mod resolve;

use std::fs::{self, File};
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::mpsc::sync_channel;
use std::sync::Mutex;
use std::time::Duration;

use tempfile::TempDir;

use crate::decode::Options;
use crate::manifest::ManifestInfo;
use crate::snapshot::Summary;
use crate::warning::Warning;
use crate::{write, Error};

use crate::engine::spill::SpillDir;
use decoder::{Parsed, StreamDecoder};
use out::Tree;
use resolve::{Mode, Outcome};

/// Default of `--memory-limit`: 256 MiB.
pub const DEFAULT_MEMORY_LIMIT: u64 = 256 << 20;
/// The smallest budget accepted (below it the fixed buffers dominate).
pub const MIN_MEMORY_LIMIT: u64 = 128 << 20;
/// Memory set aside from `--memory-limit` for what does not grow with
/// the input.
pub(crate) const FIXED_OVERHEAD: u64 = 80 << 20;

/// Records per batch sent from the reader thread to the decoder thread.
const BATCH_RECORDS: usize = 4096;
/// Bytes per batch.
const BATCH_BYTES: usize = 1 << 20;
/// Batches in flight between the threads.
const CHANNEL_BATCHES: usize = 4;

/// Streaming-engine settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// Decode flags.
    pub opts: Options,
    /// The memory budget in bytes (`--memory-limit`).
    pub memory_limit: u64,
    /// Sync every dump file to disk before the rename (always on in the
    /// CLI; tests and fuzzing turn it off for speed).
    pub sync_files: bool,
    /// Tests only: spill as soon as a buffer holds this many bytes,
    /// whatever `memory_limit` says, so small inputs exercise the runs and
    /// the merge.
    pub spill_after: Option<usize>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            opts: Options::default(),
            memory_limit: DEFAULT_MEMORY_LIMIT,
            sync_files: true,
            spill_after: None,
        }
    }
}

impl Config {
    /// Bytes the resolver may buffer before spilling (general mode only),
    /// and bytes all queue buffers of the decoder may hold. First
    /// [`FIXED_OVERHEAD`] is set aside for what does not scale with the
    /// input (the program, thread stacks, the channels, read, merge and
    /// write buffers, the allocator's slack); of the rest the resolver gets
    /// a quarter and the decoder half, so the peak RSS stays below the
    /// limit.
    fn budgets(&self) -> (usize, usize) {
        if let Some(n) = self.spill_after {
            return (n, n);
        }
        let limit = self.memory_limit.max(MIN_MEMORY_LIMIT);
        let avail = limit.saturating_sub(FIXED_OVERHEAD);
        let quarter = usize::try_from(avail / 4).unwrap_or(usize::MAX);
        (quarter, quarter.saturating_mul(2))
    }
}

/// Where the snapshot comes from.
#[derive(Debug, Clone)]
pub enum Source<'a> {
    /// A file; reopened if a second pass is needed.
    Path(PathBuf),
    /// Standard input; spooled into the staging directory as it is read.
    Stdin,
    /// Bytes in memory (tests, fuzzing).
    Bytes(&'a [u8]),
}

/// What a run reports while it works.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// Input bytes read so far (in the current pass).
    Read(u64),
    /// A second pass started, because the input is not in Pebble order.
    Restart,
    /// Messages merged into their files so far, of the total.
    Merge(u64, u64),
}

/// Interruption and progress, shared with a signal-handling thread.
#[derive(Default)]
pub struct Control {
    /// A nonzero signal number asks the run to stop (REQ-ENG-5).
    pub interrupt: AtomicI32,
    /// The staging directory of the run, while there is one.
    pub staging: Mutex<Option<PathBuf>>,
    /// A test-only delay per entry read, to make a run slow enough to
    /// interrupt (`SQSDUMP_TEST_ENTRY_DELAY_US`).
    pub entry_delay: Option<Duration>,
    /// Progress callback.
    pub progress: Option<Box<dyn Fn(Progress) + Send + Sync>>,
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
    pub(crate) fn check(&self) -> Result<(), Error> {
        if let Some(d) = self.entry_delay {
            std::thread::sleep(d);
        }
        match self.interrupt.load(Ordering::Relaxed) {
            0 => Ok(()),
            signal => Err(Error::Interrupted { signal }),
        }
    }

    fn report(&self, p: Progress) {
        if let Some(f) = &self.progress {
            f(p);
        }
    }

    pub(crate) fn read_progress(&self, bytes: u64) {
        self.report(Progress::Read(bytes));
    }

    pub(crate) fn merge_progress(&self, done: u64, total: u64) {
        self.report(Progress::Merge(done, total));
    }

    fn set_staging(&self, path: Option<PathBuf>) {
        if let Ok(mut s) = self.staging.lock() {
            *s = path;
        }
    }
}

/// A finished dump inside its staging directory, not yet in place.
#[derive(Debug)]
pub struct Prepared {
    staging: TempDir,
    root: PathBuf,
    /// Every warning, in the plain engine's order.
    pub warnings: Vec<Warning>,
    /// The counts the CLI prints.
    pub summary: Summary,
}

impl Prepared {
    /// Rename the dump onto `out` (REQ-CLI-5): `out` must still be absent
    /// or empty.
    pub fn commit(self, out: &Path, ctl: &Control) -> Result<(), Error> {
        write::check_output(out)?;
        // Hold the lock so that a signal thread cannot remove the staging
        // directory halfway through the rename.
        let guard = ctl.staging.lock();
        ctl.check()?;
        fs::rename(&self.root, out).map_err(|e| {
            Error::io(
                format!("moving the finished dump into place at {}", out.display()),
                e,
            )
        })?;
        if let Ok(mut g) = guard {
            *g = None;
        }
        let _ = self.staging.close();
        if let Some(parent) = out.parent() {
            let parent = if parent.as_os_str().is_empty() {
                Path::new(".")
            } else {
                parent
            };
            if let Ok(dir) = File::open(parent) {
                let _ = dir.sync_all();
            }
        }
        Ok(())
    }
}

/// Decode `source` into a staging directory beside `out`. `info` supplies
/// the manifest fields other than `last_commit_ts` and `source_size`, which
/// are filled in here. On error (or interruption) the staging directory and
/// everything in it is removed.
pub fn prepare(
    source: Source<'_>,
    out: &Path,
    cfg: &Config,
    info: &ManifestInfo,
    ctl: &Control,
) -> Result<Prepared, Error> {
    write::check_output(out)?;
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    crate::write::dir_builder(true)
        .create(&parent)
        .map_err(|e| Error::io(format!("creating {}", parent.display()), e))?;
    let staging = tempfile::Builder::new()
        .prefix(write::STAGING_PREFIX)
        .tempdir_in(&parent)
        .map_err(|e| {
            Error::io(
                format!("creating a staging directory in {}", parent.display()),
                e,
            )
        })?;
    ctl.set_staging(Some(staging.path().to_path_buf()));
    let result = run(source, cfg, info, staging.path(), ctl);
    match result {
        Ok((root, warnings, summary)) => Ok(Prepared {
            staging,
            root,
            warnings,
            summary,
        }),
        Err(e) => {
            ctl.set_staging(None);
            drop(staging);
            Err(e)
        }
    }
}

/// The passes: sorted first, general if the input is out of order.
fn run(
    source: Source<'_>,
    cfg: &Config,
    info: &ManifestInfo,
    staging: &Path,
    ctl: &Control,
) -> Result<(PathBuf, Vec<Warning>, Summary), Error> {
    let spool = staging.join("stdin.spool");
    let mut mode = Mode::Sorted;
    for pass in 0..2u32 {
        let result = match (&source, pass) {
            (Source::Bytes(b), _) => one_pass(*b, mode, cfg, staging, pass, ctl)?,
            (Source::Path(p), _) => {
                let f =
                    File::open(p).map_err(|e| Error::io(format!("opening {}", p.display()), e))?;
                one_pass(f, mode, cfg, staging, pass, ctl)?
            }
            (Source::Stdin, 0) => {
                let file = File::options()
                    .write(true)
                    .create_new(true)
                    .open(&spool)
                    .map_err(|e| Error::io(format!("creating {}", spool.display()), e))?;
                let tee = Tee {
                    inner: io::stdin(),
                    spool: BufWriter::with_capacity(1 << 20, file),
                };
                one_pass(tee, mode, cfg, staging, pass, ctl)?
            }
            (Source::Stdin, _) => {
                let f = File::open(&spool)
                    .map_err(|e| Error::io(format!("opening {}", spool.display()), e))?;
                one_pass(f, mode, cfg, staging, pass, ctl)?
            }
        };
        match result {
            Some((decoder, res)) => {
                let _ = fs::remove_file(&spool);
                return finish(decoder, res, info, staging, cfg.sync_files, ctl);
            }
            None => {
                mode = Mode::General;
                ctl.report(Progress::Restart);
            }
        }
    }
    // A general pass never reports disorder.
    Err(Error::io(
        "decoding",
        io::Error::other("second pass reported disorder"),
    ))
}

/// Copies what it reads into the spool file.
struct Tee<R> {
    inner: R,
    spool: BufWriter<File>,
}

impl<R: Read> Read for Tee<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.spool.write_all(buf.get(..n).unwrap_or_default())?;
        Ok(n)
    }
}

impl<R: Read> Tee<R> {
    /// Spool the rest of the input and flush.
    fn drain(&mut self) -> io::Result<()> {
        io::copy(&mut self.inner, &mut self.spool)?;
        self.spool.flush()
    }
}

/// Something a pass can read from, and finish spooling if needed.
trait PassInput: Read + Send {
    fn drain(&mut self) -> io::Result<()> {
        Ok(())
    }
}
impl PassInput for &[u8] {}
impl PassInput for File {}
impl<R: Read + Send> PassInput for Tee<R> {
    fn drain(&mut self) -> io::Result<()> {
        Tee::drain(self)
    }
}

type Batch = Vec<(Vec<u8>, Vec<u8>)>;

/// Sends records to the decoder thread in batches.
struct BatchSink {
    tx: std::sync::mpsc::SyncSender<Batch>,
    batch: Batch,
    bytes: usize,
}

impl BatchSink {
    fn flush(&mut self) {
        if !self.batch.is_empty() {
            let batch = std::mem::take(&mut self.batch);
            // The decoder drains until the reader is done, so a failed
            // send only happens if it is already gone.
            let _ = self.tx.send(batch);
            self.bytes = 0;
        }
    }
}

impl resolve::Sink for BatchSink {
    fn record(&mut self, user_key: Vec<u8>, body: Vec<u8>) -> Result<(), Error> {
        self.bytes += user_key.len() + body.len();
        self.batch.push((user_key, body));
        if self.batch.len() >= BATCH_RECORDS || self.bytes >= BATCH_BYTES {
            self.flush();
        }
        Ok(())
    }
}

/// One pass: `None` if the sorted pass met disorder.
fn one_pass<R: PassInput>(
    mut input: R,
    mode: Mode,
    cfg: &Config,
    staging: &Path,
    pass: u32,
    ctl: &Control,
) -> Result<Option<(StreamDecoder, resolve::Resolution)>, Error> {
    let (resolve_budget, decode_budget) = cfg.budgets();
    let mut rspill = SpillDir::create(staging.join(format!("spill-{pass}-versions")))?;
    let dspill = SpillDir::create(staging.join(format!("spill-{pass}-messages")))?;
    let mut decoder = StreamDecoder::new(cfg.opts, decode_budget, dspill);
    let (tx, rx) = sync_channel::<Batch>(CHANNEL_BATCHES);
    let (ptx, prx) = sync_channel::<Vec<Parsed>>(CHANNEL_BATCHES);
    let opts = cfg.opts;
    let (outcome, decode_err) = std::thread::scope(|s| {
        let reader = s.spawn(|| {
            let mut sink = BatchSink {
                tx,
                batch: Vec::new(),
                bytes: 0,
            };
            let r = resolve::resolve(
                &mut input,
                mode,
                &mut rspill,
                resolve_budget,
                ctl,
                &mut sink,
            );
            sink.flush();
            drop(sink);
            if matches!(r, Ok(Outcome::Disorder)) {
                input
                    .drain()
                    .map_err(|e| Error::io("spooling standard input", e))?;
            }
            r
        });
        // Parser thread: keys routed, values parsed, lines rendered; after
        // the first failure the rest is only drained.
        s.spawn(move || {
            let mut failed = false;
            for batch in rx {
                if failed {
                    continue;
                }
                let mut out = Vec::with_capacity(batch.len());
                for (k, v) in batch {
                    let p = decoder::parse(opts, &k, &v);
                    failed = matches!(p, Parsed::Failed(_));
                    out.push(p);
                    if failed {
                        break;
                    }
                }
                let _ = ptx.send(out);
            }
        });
        let mut err: Option<Error> = None;
        for batch in prx {
            if err.is_some() {
                continue;
            }
            for p in batch {
                if let Err(e) = decoder.apply(p) {
                    err = Some(e);
                    break;
                }
            }
        }
        let outcome = reader.join().unwrap_or_else(|_| {
            Err(Error::io(
                "reading snapshot",
                io::Error::other("reader thread failed"),
            ))
        });
        (outcome, err)
    });
    rspill.remove();
    // A framing error anywhere wins (the plain engine reads the whole
    // stream first); so does an interruption.
    match outcome? {
        Outcome::Disorder => {
            decoder.discard();
            Ok(None)
        }
        Outcome::Done(res) => match decode_err {
            Some(e) => Err(e),
            None => Ok(Some((decoder, res))),
        },
    }
}

/// Merge and write every queue, then the manifest.
fn finish(
    decoder: StreamDecoder,
    res: resolve::Resolution,
    info: &ManifestInfo,
    staging: &Path,
    sync: bool,
    ctl: &Control,
) -> Result<(PathBuf, Vec<Warning>, Summary), Error> {
    let root = staging.join("dump");
    let mut tree = Tree::create(root.clone(), sync)?;
    let (decoder_warnings, stats) = decoder.finish(&mut tree, ctl)?;
    let mut warnings = res.warnings;
    warnings.extend(decoder_warnings);
    let info = ManifestInfo {
        last_commit_ts: res.last_commit_ts,
        source_size: res.bytes_read,
        ..info.clone()
    };
    tree.finish(&info)?;
    let summary = Summary {
        bytes_read: res.bytes_read,
        last_commit_ts: res.last_commit_ts,
        mvcc: res.stats,
        queues: tree.queues.len() as u64,
        messages_written: stats.messages_written,
        stale_dropped: stats.stale_dropped,
        orphans: stats.orphans,
        side_records_written: stats.side_records_written,
        message_value_bytes: stats.message_value_bytes,
    };
    Ok((root, warnings, summary))
}
