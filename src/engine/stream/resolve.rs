//! Phases 1–2 of the streaming engine: framed entries → the records
//! visible at `last_commit_ts`, in user-key order, with bounded memory
//! (REQ-ENG-2, REQ-ENG-3).
//!
//! Two modes, the same result as [`crate::mvcc::Resolver`]:
//!
//! - [`Mode::Sorted`]: the versions of a user key are adjacent and user
//!   keys never go back, as in Pebble order. Only the current key's best
//!   version is held; a key is final when a greater key arrives. The first
//!   version that breaks this order stops the pass with
//!   [`Outcome::Disorder`]; the caller then restarts in general mode.
//! - [`Mode::General`]: any order. Versions are buffered up to a budget,
//!   reduced to the best version per key (with a count of the versions
//!   seen), sorted by key and spilled as runs; the runs are k-way merged
//!   and the best version of each key wins.
//!
//! "Best" is the plain engine's rule: the largest `commit_ts`, and at equal
//! `commit_ts` the later entry in the stream. After-header versions are
//! warned about and ignored; their warnings are sorted by (user key,
//! commit_ts) exactly as the plain engine sorts them.

use std::cmp::Ordering;
use std::io::{self, Read, Write};
use std::path::PathBuf;

use super::warnlog::{AfterHeader, Log, Sealed};
use crate::fsm::{Entry, FooterPolicy, Reader, Version};
use crate::key;
use crate::mvcc::MvccStats;
use crate::run::spill::{self, Merge, RunItem, SpillDir};
use crate::run::Control;
use crate::warning::Warning;
use crate::Error;

/// How the pass reads the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Expect Pebble order; give up on the first out-of-order key.
    Sorted,
    /// Any order; sort through spill files.
    General,
}

/// How a pass ended.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// Every record was emitted.
    Done(Resolution),
    /// [`Mode::Sorted`] met a key out of order; nothing it emitted counts.
    Disorder,
}

/// What a finished pass knows besides the records.
#[derive(Debug)]
pub(crate) struct Resolution {
    pub(crate) last_commit_ts: u64,
    pub(crate) bytes_read: u64,
    /// The verified node-file footer, if any (REQ-FSM-11).
    pub(crate) footer: Option<u32>,
    pub(crate) stats: MvccStats,
    /// After-header warnings, in (user key, commit_ts) order.
    pub(crate) warnings: Sealed<AfterHeader>,
}

/// Where resolved records go: in user-key order from the general pass; in
/// the input's order from the sorted pass, which is user-key order or
/// encoded-key (Pebble) order.
pub(crate) trait RecordSink {
    /// One visible record.
    fn record(&mut self, user_key: Vec<u8>, body: Vec<u8>) -> Result<(), Error>;
}

/// The state of a key's best version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum VState {
    #[default]
    Visible,
    Tombstone,
    Expired,
}

impl VState {
    fn code(self) -> u8 {
        match self {
            VState::Visible => 0,
            VState::Tombstone => 1,
            VState::Expired => 2,
        }
    }
    fn from_code(c: u8) -> Option<Self> {
        match c {
            0 => Some(VState::Visible),
            1 => Some(VState::Tombstone),
            2 => Some(VState::Expired),
            _ => None,
        }
    }
}

/// The best version of one key seen so far.
#[derive(Debug, Default)]
struct Best {
    key: Vec<u8>,
    commit_ts: u64,
    /// Position in the stream (breaks `commit_ts` ties: later wins).
    seq: u64,
    /// Versions of this key folded into it.
    versions: u64,
    state: VState,
    /// The body, only while visible.
    body: Vec<u8>,
}

impl Best {
    /// Whether `other` beats `self` as the version read at the header.
    fn loses_to(&self, commit_ts: u64, seq: u64) -> bool {
        (commit_ts, seq) > (self.commit_ts, self.seq)
    }

    fn fold(&mut self, other: Best) {
        let versions = self.versions.saturating_add(other.versions);
        if self.loses_to(other.commit_ts, other.seq) {
            *self = other;
        }
        self.versions = versions;
    }
}

impl RunItem for Best {
    fn write(&self, w: &mut impl Write) -> io::Result<()> {
        spill::put_bytes(w, &self.key)?;
        spill::put_u64(w, self.commit_ts)?;
        spill::put_u64(w, self.seq)?;
        spill::put_u64(w, self.versions)?;
        w.write_all(&[self.state.code()])?;
        spill::put_bytes(w, &self.body)
    }

    fn read(&mut self, r: &mut impl Read) -> io::Result<bool> {
        let Some(key_len) = spill::get_u64_or_eof(r)? else {
            return Ok(false);
        };
        if key_len > crate::fsm::MAX_KEY_LEN {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "spill key too long",
            ));
        }
        self.key.clear();
        let got = r.take(key_len).read_to_end(&mut self.key)?;
        if (got as u64) < key_len {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "short spill key",
            ));
        }
        self.commit_ts = spill::get_u64(r)?;
        self.seq = spill::get_u64(r)?;
        self.versions = spill::get_u64(r)?;
        let mut state = [0u8];
        r.read_exact(&mut state)?;
        self.state = VState::from_code(state[0])
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "bad spill state"))?;
        spill::get_bytes(r, &mut self.body)?;
        Ok(true)
    }

    /// Key ascending, then the winner first: `commit_ts` and stream
    /// position descending.
    fn order(&self, other: &Self) -> Ordering {
        self.key
            .cmp(&other.key)
            .then_with(|| (other.commit_ts, other.seq).cmp(&(self.commit_ts, self.seq)))
    }
}

/// Run one pass over `input`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn resolve<R: Read>(
    input: R,
    footer: FooterPolicy,
    record: Option<crate::fsm::RecordBudget>,
    mode: Mode,
    spill: &mut SpillDir,
    budget: usize,
    warnings: Log<AfterHeader>,
    ctl: &Control,
    sink: &mut dyn RecordSink,
) -> Result<Outcome, Error> {
    let mut reader = Reader::with_footer(input, footer)?;
    if let Some(b) = record {
        reader = reader.with_record_budget(b);
    }
    let last = reader.last_commit_ts();
    let mut p = Pass {
        last,
        stats: MvccStats::default(),
        warnings,
        seq: 0,
    };
    ctl.read_progress(reader.bytes_read());
    let outcome = match mode {
        Mode::Sorted => sorted_pass(&mut reader, &mut p, ctl, sink)?,
        Mode::General => general_pass(&mut reader, &mut p, spill, budget, ctl, sink)?,
    };
    if !outcome {
        p.warnings.discard();
        return Ok(Outcome::Disorder);
    }
    // REQ-DEC-11: as the plain engine, (user key, commit_ts), stable.
    Ok(Outcome::Done(Resolution {
        last_commit_ts: last,
        bytes_read: reader.bytes_read(),
        footer: reader.footer(),
        stats: p.stats,
        warnings: p.warnings.seal()?,
    }))
}

/// Counters shared by both modes.
struct Pass {
    last: u64,
    stats: MvccStats,
    warnings: Log<AfterHeader>,
    seq: u64,
}

impl Pass {
    /// Count an entry; return the SQS version to resolve, if any.
    // REQ-FSM-8, REQ-FSM-10
    fn admit(&mut self, entry: Entry) -> Result<Option<Best>, Error> {
        self.stats.entries += 1;
        self.seq += 1;
        let v: Version = match entry {
            Entry::Operational { .. } => {
                self.stats.operational_keys += 1;
                return Ok(None);
            }
            Entry::Version(v) => v,
        };
        if !key::is_sqs_key(&v.user_key) {
            self.stats.other_keyspace_entries += 1;
            return Ok(None);
        }
        self.stats.sqs_versions += 1;
        if v.commit_ts > self.last {
            self.stats.versions_after_header += 1;
            self.warnings.push(Warning::VersionAfterHeader {
                key_hex: hex::encode(&v.user_key),
                commit_ts: v.commit_ts,
                last_commit_ts: self.last,
            })?;
            return Ok(None);
        }
        let (state, body) = if v.tombstone {
            (VState::Tombstone, Vec::new())
        } else if v.expire_at != 0 && v.expire_at <= self.last {
            (VState::Expired, Vec::new())
        } else {
            (VState::Visible, v.body)
        };
        Ok(Some(Best {
            key: v.user_key,
            commit_ts: v.commit_ts,
            seq: self.seq,
            versions: 1,
            state,
            body,
        }))
    }

    /// A key is final: count it and emit it when visible.
    fn finalize(&mut self, best: Best, sink: &mut dyn RecordSink) -> Result<(), Error> {
        self.stats.superseded_versions = self
            .stats
            .superseded_versions
            .saturating_add(best.versions.saturating_sub(1));
        match best.state {
            VState::Visible => {
                self.stats.sqs_records += 1;
                sink.record(best.key, best.body)
            }
            VState::Tombstone => {
                self.stats.tombstoned_keys += 1;
                Ok(())
            }
            VState::Expired => {
                self.stats.expired_keys += 1;
                Ok(())
            }
        }
    }
}

/// Pebble-order pass; `Ok(false)` on disorder.
fn sorted_pass<R: Read>(
    reader: &mut Reader<R>,
    p: &mut Pass,
    ctl: &Control,
    sink: &mut dyn RecordSink,
) -> Result<bool, Error> {
    let mut cur: Option<Best> = None;
    let mut order = OrderCheck::default();
    while let Some(entry) = reader.next_entry()? {
        ctl.checkpoint()?;
        ctl.read_progress(reader.bytes_read());
        let Some(v) = p.admit(entry)? else { continue };
        if !order.version(&v.key, v.commit_ts) {
            return Ok(false);
        }
        match cur.as_mut() {
            None => cur = Some(v),
            Some(c) if c.key == v.key => c.fold(v),
            Some(c) => {
                if !order.next_key(&c.key, &v.key) {
                    return Ok(false);
                }
                if let Some(done) = cur.replace(v) {
                    p.finalize(done, sink)?;
                }
            }
        }
    }
    if let Some(done) = cur {
        p.finalize(done, sink)?;
    }
    Ok(true)
}

/// Most bytes of finished keys [`OrderCheck`] keeps; beyond it the sorted
/// pass gives up (only a chain of keys, each a prefix of the next, fills
/// it).
const MAX_ANCESTOR_BYTES: usize = 16 << 20;

/// Whether a stream can be resolved key by key (REQ-ENG-2): the versions of
/// every user key adjacent, and either every key greater than the one
/// before it (user-key order, versions in any order), or every entry's
/// encoded key (user key, then the inverted commit timestamp) at least the
/// one before it (Pebble order: a key comes after the keys it is a prefix
/// of).
#[derive(Debug)]
struct OrderCheck {
    user_order: bool,
    encoded_order: bool,
    /// The previous entry's encoded key.
    prev: Vec<u8>,
    /// The finished keys that are proper prefixes of the current key,
    /// shortest first. In Pebble order all entries between two versions of
    /// a key start with that key, so a key that comes back is always here.
    ancestors: Vec<Vec<u8>>,
    ancestor_bytes: usize,
}

impl Default for OrderCheck {
    fn default() -> Self {
        OrderCheck {
            user_order: true,
            encoded_order: true,
            prev: Vec::new(),
            ancestors: Vec::new(),
            ancestor_bytes: 0,
        }
    }
}

impl OrderCheck {
    /// A version of `key` at `commit_ts` arrives; `false` if neither order
    /// holds any more.
    fn version(&mut self, key: &[u8], commit_ts: u64) -> bool {
        let suffix = (!commit_ts).to_be_bytes();
        if !self.prev.is_empty() && cmp_encoded(key, &suffix, &self.prev) == Ordering::Less {
            self.encoded_order = false;
        }
        self.prev.clear();
        self.prev.extend_from_slice(key);
        self.prev.extend_from_slice(&suffix);
        self.user_order || self.encoded_order
    }

    /// The key `done` is finished and `next` (another key) starts; `false`
    /// on disorder: no order holds, or `next` was finished before.
    fn next_key(&mut self, done: &[u8], next: &[u8]) -> bool {
        if next < done {
            self.user_order = false;
        }
        while self.ancestors.last().is_some_and(|a| !next.starts_with(a)) {
            if let Some(a) = self.ancestors.pop() {
                self.ancestor_bytes -= a.len();
            }
        }
        if self.ancestors.last().is_some_and(|a| a.as_slice() == next) {
            return false;
        }
        if next.starts_with(done) {
            self.ancestor_bytes += done.len();
            self.ancestors.push(done.to_vec());
        }
        self.ancestor_bytes <= MAX_ANCESTOR_BYTES && (self.user_order || self.encoded_order)
    }
}

/// Compare `key ‖ suffix` with `other`, bytewise.
fn cmp_encoded(key: &[u8], suffix: &[u8], other: &[u8]) -> Ordering {
    let n = key.len().min(other.len());
    let head = key.get(..n).unwrap_or_default();
    head.cmp(other.get(..n).unwrap_or_default()).then_with(|| {
        if key.len() > n {
            // `other` is a proper prefix of `key`.
            Ordering::Greater
        } else {
            suffix.cmp(other.get(n..).unwrap_or_default())
        }
    })
}

/// Any-order pass through sorted runs.
fn general_pass<R: Read>(
    reader: &mut Reader<R>,
    p: &mut Pass,
    spill: &mut SpillDir,
    budget: usize,
    ctl: &Control,
    sink: &mut dyn RecordSink,
) -> Result<bool, Error> {
    let mut buf: Vec<Best> = Vec::new();
    let mut used = 0usize;
    let mut runs: Vec<PathBuf> = Vec::new();
    while let Some(entry) = reader.next_entry()? {
        ctl.checkpoint()?;
        ctl.read_progress(reader.bytes_read());
        let Some(v) = p.admit(entry)? else { continue };
        used = used.saturating_add(v.key.capacity() + v.body.capacity() + 64);
        buf.push(v);
        if used > budget {
            runs.push(spill_versions(spill, &mut buf)?);
            used = 0;
        }
    }
    if runs.is_empty() {
        // Everything fits: no spill file at all.
        sort_and_fold(&mut buf);
        for best in buf {
            ctl.checkpoint()?;
            p.finalize(best, sink)?;
        }
        return Ok(true);
    }
    if !buf.is_empty() {
        runs.push(spill_versions(spill, &mut buf)?);
    }
    drop(buf);
    let runs = spill::reduce_runs::<Best>(spill, "versions", runs)?;
    let mut merge = Merge::<Best>::open(&runs)?;
    let mut cur: Option<Best> = None;
    while let Some(item) = merge.next_item()? {
        ctl.checkpoint()?;
        match cur.as_mut() {
            Some(c) if c.key == item.key => {
                // Runs are ordered winner first, so the first item of a
                // key is its best version; later ones only add counts.
                c.versions = c.versions.saturating_add(item.versions);
            }
            _ => {
                let next = Best {
                    key: item.key.clone(),
                    commit_ts: item.commit_ts,
                    seq: item.seq,
                    versions: item.versions,
                    state: item.state,
                    body: item.body.clone(),
                };
                if let Some(done) = cur.replace(next) {
                    p.finalize(done, sink)?;
                }
            }
        }
    }
    if let Some(done) = cur {
        p.finalize(done, sink)?;
    }
    Ok(true)
}

/// Sort by key (winner first) and fold each key's versions into one.
fn sort_and_fold(buf: &mut Vec<Best>) {
    buf.sort_unstable_by(|a, b| a.order(b));
    // `dedup_by` keeps the first of equal keys, which is the winner.
    buf.dedup_by(|later, first| {
        if later.key == first.key {
            first.versions = first.versions.saturating_add(later.versions);
            true
        } else {
            false
        }
    });
}

fn spill_versions(spill: &mut SpillDir, buf: &mut Vec<Best>) -> Result<PathBuf, Error> {
    sort_and_fold(buf);
    let path = spill::write_run(spill, "versions", buf.iter())?;
    *buf = Vec::new();
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(key: &[u8], ts: u64) -> Vec<u8> {
        [key, &(!ts).to_be_bytes()].concat()
    }

    /// Collects the records a pass hands on.
    #[derive(Debug, Default, PartialEq)]
    struct Records(Vec<(Vec<u8>, Vec<u8>)>);

    impl RecordSink for Records {
        fn record(&mut self, user_key: Vec<u8>, body: Vec<u8>) -> Result<(), Error> {
            self.0.push((user_key, body));
            Ok(())
        }
    }

    /// The general pass over `n` messages (keys of about 30 bytes, bodies
    /// of `b`, in reverse key order) with `budget`: its records and the number of
    /// sorted runs it spilled.
    fn general(n: usize, b: usize, budget: usize) -> (Records, usize) {
        let mut fsm = crate::fsm::encode_header(100);
        for i in (0..n).rev() {
            let key = key::build(&key::KeyParts::MsgData {
                queue: b"q".to_vec(),
                partition: None,
                gen: 1,
                message_id: format!("m{i:03}").into_bytes(),
            });
            crate::fsm::encode_entry(&mut fsm, &key, 10, false, 0, &vec![b'a' + i as u8; b]);
        }
        let tmp = tempfile::tempdir().unwrap();
        let mut spill = SpillDir::create(tmp.path().join("spill")).unwrap();
        let log = Log::new(tmp.path().join("warnings"), 1 << 20);
        let mut sink = Records::default();
        let ctl = Control::default();
        let outcome = resolve(
            fsm.as_slice(),
            FooterPolicy::Detect,
            None,
            Mode::General,
            &mut spill,
            budget,
            log,
            &ctl,
            &mut sink,
        );
        assert!(matches!(outcome, Ok(Outcome::Done(_))), "{outcome:?}");
        let runs = std::fs::read_dir(tmp.path().join("spill")).unwrap().count();
        (sink, runs)
    }

    // REQ-ENG-3: the general pass keeps at most its budget of versions in
    // memory, counting each as its key and body bytes plus 64: it spills a
    // sorted run when they pass the budget, and only then; spilled or not,
    // the records are the same, in key order.
    #[test]
    fn the_general_pass_spills_when_its_versions_pass_the_budget() {
        // Five versions of about 30 + 300 + 64 bytes each: well within
        // 4000 (none spilled), and each alone over 0 (five runs).
        let (kept, none) = general(5, 300, 4000);
        let (spilled, five) = general(5, 300, 0);
        assert_eq!((none, five), (0, 5));
        assert_eq!(kept, spilled);
        let ids: Vec<u8> = kept.0.iter().map(|(_, body)| body[0]).collect();
        assert_eq!(ids, b"abcde");
        // About 400 bytes each: the eighth passes 3000 (one run of eight),
        // and the ninth is spilled at the end.
        assert_eq!(general(9, 300, 3000).1, 2);
    }

    // REQ-ENG-2, REQ-ENG-3: the sorted pass remembers only the prefix keys
    // still open (a bounded stack), so many long prefix keys one after
    // another keep Pebble order acceptable.
    #[test]
    fn the_order_check_forgets_prefix_keys_once_passed() {
        let mut check = OrderCheck::default();
        for i in 1..=40u8 {
            let key = vec![i; 1 << 20];
            let child = [key.as_slice(), b"x"].concat();
            assert!(check.next_key(&key, &child), "key {i} opens");
            assert!(check.next_key(&child, &[i + 1]), "key {i} closes");
            assert_eq!(check.ancestor_bytes, 0);
        }
    }

    // REQ-ENG-3: a version spilled by the general pass reads back whole,
    // with a key as long as the snapshot reader accepts; a longer one (a
    // damaged spill file) is refused before it is read.
    #[test]
    fn a_spilled_version_reads_back_with_a_key_up_to_the_reader_limit() {
        let limit = usize::try_from(crate::fsm::MAX_KEY_LEN).unwrap();
        for len in [0, limit, limit + 1] {
            let best = Best {
                key: vec![b'k'; len],
                commit_ts: 9,
                seq: 3,
                versions: 2,
                state: VState::Expired,
                body: b"body".to_vec(),
            };
            let mut file = Vec::new();
            best.write(&mut file).unwrap();
            let mut back = Best::default();
            let got = back.read(&mut file.as_slice());
            if len > limit {
                assert_eq!(got.unwrap_err().kind(), io::ErrorKind::InvalidData);
                assert!(back.key.is_empty(), "nothing read");
                continue;
            }
            assert!(got.unwrap());
            assert_eq!(
                (
                    &back.key,
                    back.commit_ts,
                    back.seq,
                    back.versions,
                    back.state.code(),
                    &back.body
                ),
                (&best.key, 9, 3, 2, 2, &best.body)
            );
            assert!(!back.read(&mut &file[file.len()..]).unwrap(), "end of run");
            // A run cut inside the key says so.
            if len > 0 {
                let cut = back.read(&mut &file[..8 + len - 1]).unwrap_err();
                assert_eq!(
                    (cut.kind(), cut.to_string()),
                    (io::ErrorKind::UnexpectedEof, "short spill key".to_string())
                );
            }
        }
    }

    // REQ-ENG-2: the comparison is the bytewise order of the framed keys,
    // also where one user key is a prefix of the other.
    #[test]
    fn cmp_encoded_is_the_order_of_the_framed_keys() {
        let keys: [&[u8]; 5] = [b"", b"a", b"ab", b"ab\xff\xff", b"b"];
        for a in keys {
            for b in keys {
                for (ta, tb) in [(1u64, 1u64), (1, 2), (2, 1), (0, u64::MAX)] {
                    let suffix = (!ta).to_be_bytes();
                    assert_eq!(
                        cmp_encoded(a, &suffix, &encoded(b, tb)),
                        encoded(a, ta).cmp(&encoded(b, tb)),
                        "{a:?}@{ta} vs {b:?}@{tb}"
                    );
                }
            }
        }
    }

    // REQ-ENG-2: Pebble order (prefix keys last, newest version first) and
    // user-key order pass; a key that comes back, or an order that is
    // neither, does not.
    #[test]
    fn order_check_accepts_pebble_and_user_key_order_only() {
        let run = |versions: &[(&[u8], u64)]| {
            let mut check = OrderCheck::default();
            let mut cur: Option<&[u8]> = None;
            for &(key, ts) in versions {
                if !check.version(key, ts) {
                    return false;
                }
                if let Some(c) = cur.filter(|c| *c != key) {
                    if !check.next_key(c, key) {
                        return false;
                    }
                }
                cur = Some(key);
            }
            true
        };
        // Pebble order.
        assert!(run(&[
            (b"ab", 2),
            (b"ab", 1),
            (b"a", 5),
            (b"a", 3),
            (b"b", 1)
        ]));
        // User-key order, versions in any order.
        assert!(run(&[(b"a", 3), (b"a", 5), (b"ab", 1), (b"b", 1)]));
        // Neither: descending, not a prefix.
        assert!(!run(&[(b"b", 1), (b"a", 1)]));
        // Pebble order of keys but versions oldest first, and prefix last.
        assert!(!run(&[(b"ab", 1), (b"ab", 2), (b"a", 1)]));
        // A key that comes back after a key it is a prefix of, each entry's
        // framed key above the one before: only the remembered prefix
        // tells.
        let ext: &[u8] = b"a\xff\xff\xff\xff\xff\xff\xff\xfd\x00";
        assert!(run(&[(b"a", 2), (ext, 1)]));
        assert!(!run(&[(b"a", 2), (ext, 1), (b"a", 1)]));
    }
}
