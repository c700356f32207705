//! The deterministic seeded driver behind `sqsdump gen` and the fuzz seed
//! corpora: a SplitMix64 stream seeded from a `u64` fills buffers that the
//! generator model reads through [`arbitrary::Unstructured`]. SplitMix64
//! is fixed by its definition, needs no dependency (so the crate keeps its
//! `rust-version`), and its output never changes between releases.
//!
//! [`write_snapshot`] streams entries straight to a writer, so a
//! snapshot of a million messages needs memory for one message at a time
//! (plus one small record per queue).

use std::collections::BTreeSet;
use std::io::{self, Write};

use arbitrary::{Arbitrary, Unstructured};

use super::frame;
use super::keys;
use super::snapshot::{
    push_shared_foreign, push_side, restorable_meta, route, BadEntry, ForeignRecord, MessageModel,
    Order, OrphanModel, Profile, QueueModel, RawRecord, SideModel, SnapshotModel, StreamDamage,
    Version,
};
use crate::key::build;

/// SplitMix64: a tiny deterministic generator for shuffles.
#[derive(Debug, Clone)]
pub struct SplitMix(pub u64);

impl SplitMix {
    /// The next 64 random bits.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Fill `buf` with the next bytes of the stream.
    pub fn fill_bytes(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let n = self.next().to_le_bytes();
            chunk.copy_from_slice(&n[..chunk.len()]);
        }
    }
}

/// `len` bytes of the stream seeded with `seed`.
pub fn seeded_bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut rng = SplitMix(seed);
    let mut buf = vec![0u8; len];
    rng.fill_bytes(&mut buf);
    buf
}

/// Build a `T` from `len` seeded bytes.
pub fn from_seed<T: for<'a> Arbitrary<'a>>(seed: u64, len: usize) -> arbitrary::Result<T> {
    let buf = seeded_bytes(seed, len);
    T::arbitrary_take_rest(Unstructured::new(&buf))
}

/// What `sqsdump gen` should write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GenOptions {
    /// The seed: same seed and options, same bytes.
    pub seed: u64,
    /// Which profile.
    pub profile: Profile,
    /// Queues with meta records.
    pub queues: usize,
    /// Messages in all, spread evenly over the queues.
    pub messages: u64,
}

/// What [`write_snapshot`] wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GenSummary {
    /// Entries written (MVCC versions and raw entries).
    pub entries: u64,
    /// Bytes written.
    pub bytes: u64,
    /// Message records written (each may have several versions).
    pub messages: u64,
}

/// Buffer sizes read per unit of the model.
const QUEUE_BYTES: usize = 2048;
const MESSAGE_BYTES: usize = 384;

struct EntryWriter<'w, W: Write> {
    w: &'w mut W,
    buf: Vec<u8>,
    summary: GenSummary,
}

impl<W: Write> EntryWriter<'_, W> {
    fn raw(&mut self, key: &[u8], value: &[u8]) -> io::Result<()> {
        self.buf.clear();
        frame::raw_entry(&mut self.buf, key, value);
        self.flush_buf()
    }

    fn record(&mut self, user_key: &[u8], versions: &[Version]) -> io::Result<()> {
        for v in versions {
            self.buf.clear();
            frame::entry(
                &mut self.buf,
                user_key,
                v.commit_ts,
                v.tombstone,
                v.expire_at,
                &v.body,
            );
            self.flush_buf()?;
        }
        Ok(())
    }

    fn flush_buf(&mut self) -> io::Result<()> {
        self.w.write_all(&self.buf)?;
        self.summary.entries += 1;
        self.summary.bytes += self.buf.len() as u64;
        Ok(())
    }
}

/// The model of a `shared` snapshot: `opts.queues` queues (at least 1)
/// holding `opts.messages` messages in all, with side records and a few
/// foreign records, drawn from the seeded stream like [`write_snapshot`]
/// draws the other profiles. It passes [`SnapshotModel::is_shared`].
pub fn shared_model(opts: GenOptions) -> arbitrary::Result<SnapshotModel> {
    let mut rng = SplitMix(opts.seed);
    let mut qbuf = vec![0u8; QUEUE_BYTES];
    let mut mbuf = vec![0u8; MESSAGE_BYTES];
    rng.fill_bytes(&mut qbuf);
    let mut u = Unstructured::new(&qbuf);
    let last_commit_ts = u.int_in_range((1u64 << 20)..=(1u64 << 50))?;
    let mut names = BTreeSet::new();
    let queues = opts.queues.max(1);
    let per = opts.messages / queues as u64;
    let extra = opts.messages % queues as u64;
    let mut model = SnapshotModel {
        last_commit_ts,
        queues: Vec::with_capacity(queues),
        orphans: Vec::new(),
        foreign: Vec::new(),
        raw: Vec::new(),
        bad: Vec::new(),
        damage: None,
        order: Order::Sorted,
    };
    for qi in 0..queues {
        rng.fill_bytes(&mut qbuf);
        let mut u = Unstructured::new(&qbuf);
        let earlier: Vec<Vec<u8>> = model.queues.iter().map(|q| q.name.clone()).collect();
        let (mut name, key_only) = keys::shared_queue_name_after(&mut u, &earlier)?;
        if !names.insert(name.clone()) {
            name.extend_from_slice(format!("-{qi}").as_bytes());
            if !keys::is_shared_name(&name) {
                name = format!("q-{qi}").into_bytes();
            }
            names.insert(name.clone());
        }
        let (mut q, active) = QueueModel::shared_skeleton(&mut u, name, key_only)?;
        let count = per + u64::from((qi as u64) < extra);
        for i in 0..count {
            rng.fill_bytes(&mut mbuf);
            let mut mu = Unstructured::new(&mbuf);
            let gen = QueueModel::message_gen(&mut mu, active)?;
            q.messages
                .push(MessageModel::shared_for(&mut mu, i, gen, &q.meta)?);
        }
        for _ in 0..u.int_in_range(0..=4u8)? {
            let s = SideModel::shared_for(&mut u, &q.name)?;
            // REQ-DEC-14: side records whose user keys extend one another
            // come in another order from upstream (a Decision), so shared
            // snapshots have none.
            let key = build(&s.parts);
            let related = q.side.iter().any(|o| {
                let other = build(&o.parts);
                other != key && (other.starts_with(&key) || key.starts_with(&other))
            });
            if !related {
                push_side(&mut q.side, s);
            }
        }
        q.make_restorable();
        model.queues.push(q);
    }
    rng.fill_bytes(&mut qbuf);
    let mut u = Unstructured::new(&qbuf);
    for _ in 0..u.int_in_range(0..=3u8)? {
        push_shared_foreign(&mut model.foreign, ForeignRecord::arbitrary(&mut u)?);
    }
    Ok(model)
}

/// Write a deterministic snapshot to `w`.
///
/// `valid`, `mixed` and `adversarial` are written entry by entry: each
/// queue's messages, then its meta, gen and side records, then orphans,
/// foreign and operational entries. Entries are not globally sorted (the
/// decoder must not depend on order, REQ-DEC-11). Queues get restorable
/// HT-FIFO settings and partitions as [`Profile::restorable_queue`] says.
/// `shared` is [`shared_model`] written in sorted (Pebble) order; it is
/// built in memory first, so it needs memory for the whole snapshot.
pub fn write_snapshot<W: Write>(opts: GenOptions, w: &mut W) -> io::Result<GenSummary> {
    if opts.profile == Profile::Shared {
        let model = shared_model(opts).map_err(|e| io::Error::other(format!("generator: {e}")))?;
        let bytes = model.to_fsm_bytes();
        w.write_all(&bytes)?;
        w.flush()?;
        return Ok(GenSummary {
            entries: model.records().iter().map(|(_, v)| v.len() as u64).sum(),
            bytes: bytes.len() as u64,
            messages: model.queues.iter().map(|q| q.messages.len() as u64).sum(),
        });
    }
    let mut rng = SplitMix(opts.seed);
    let mut qbuf = vec![0u8; QUEUE_BYTES];
    let mut mbuf = vec![0u8; MESSAGE_BYTES];
    let err = |e: arbitrary::Error| io::Error::other(format!("generator: {e}"));

    rng.fill_bytes(&mut qbuf);
    let mut u = Unstructured::new(&qbuf);
    let last = u.int_in_range((1u64 << 20)..=(1u64 << 50)).map_err(err)?;
    let damage = match opts.profile {
        Profile::Valid | Profile::Mixed | Profile::Shared => None,
        Profile::Adversarial => {
            if u.ratio(1, 3).map_err(err)? {
                Some(StreamDamage::arbitrary(&mut u).map_err(err)?)
            } else {
                None
            }
        }
    };
    let mut head = frame::header(last);
    if let Some(d @ (StreamDamage::BadMagic | StreamDamage::SstMagic)) = damage {
        d.apply(&mut head);
    }
    w.write_all(&head)?;
    let mut writer = EntryWriter {
        w,
        buf: Vec::with_capacity(4096),
        summary: GenSummary {
            bytes: head.len() as u64,
            ..GenSummary::default()
        },
    };
    // Chance (per million) that a message slot holds a bad entry.
    let bad_ppm: u32 = match opts.profile {
        Profile::Valid | Profile::Shared => 0,
        Profile::Mixed => 10_000,
        Profile::Adversarial => 200_000,
    };
    let mut names = BTreeSet::new();
    let queues = opts.queues.max(1);
    let per = opts.messages / queues as u64;
    let extra = opts.messages % queues as u64;
    for qi in 0..queues {
        rng.fill_bytes(&mut qbuf);
        let mut u = Unstructured::new(&qbuf);
        let (mut name, key_only) = keys::meta_queue_name(&mut u).map_err(err)?;
        if !names.insert(name.clone()) {
            name.extend_from_slice(format!("-{qi}").as_bytes());
            names.insert(name.clone());
        }
        let (mut q, active) = QueueModel::skeleton_bytes(&mut u, name, key_only).map_err(err)?;
        // Messages are drawn against the meta as drawn and routed by the
        // restorable one, which the queue gets after them: the same model
        // as `QueueModel::make_restorable` on the whole queue.
        let restorable = opts.profile.restorable_queue(&mut u).map_err(err)?;
        let mut lanes = q.meta.clone();
        restorable_meta(&mut lanes);
        let count = per + u64::from((qi as u64) < extra);
        for i in 0..count {
            rng.fill_bytes(&mut mbuf);
            let mut mu = Unstructured::new(&mbuf);
            let roll: u32 = mu.int_in_range(0..=999_999).map_err(err)?;
            if roll < bad_ppm {
                let near = crate::jsonout::utf8_per_byte_lossy(&q.name);
                let b = BadEntry::arbitrary_near(&mut mu, &near).map_err(err)?;
                let (k, v) = b.raw(last);
                writer.raw(&k, &v)?;
                continue;
            }
            let gen = QueueModel::message_gen(&mut mu, active).map_err(err)?;
            let mut m = MessageModel::arbitrary_for(&mut mu, i, gen, Some(&q.meta)).map_err(err)?;
            if restorable {
                route(&lanes, &mut m);
            }
            writer.record(&m.key(&q.name), &m.versions(last))?;
            writer.summary.messages += 1;
        }
        for _ in 0..u.int_in_range(0..=3u8).map_err(err)? {
            let s = SideModel::arbitrary_for(&mut u, &q.name).map_err(err)?;
            push_side(&mut q.side, s);
        }
        if restorable {
            q.meta = lanes;
        }
        for (k, versions) in q.queue_records(last) {
            writer.record(&k, &versions)?;
        }
    }
    rng.fill_bytes(&mut qbuf);
    let mut u = Unstructured::new(&qbuf);
    for _ in 0..u.int_in_range(0..=2u8).map_err(err)? {
        let name = keys::raw_queue_name(&mut u).map_err(err)?;
        if names.contains(&name) {
            continue;
        }
        let mut o = OrphanModel {
            name,
            messages: Vec::new(),
            side: Vec::new(),
        };
        for i in 0..u.int_in_range(0..=3u8).map_err(err)? {
            o.messages
                .push(MessageModel::arbitrary_for(&mut u, u64::from(i), 1, None).map_err(err)?);
        }
        for _ in 0..u.int_in_range(0..=2u8).map_err(err)? {
            o.side
                .push(SideModel::arbitrary_for(&mut u, &o.name).map_err(err)?);
        }
        for m in &o.messages {
            writer.record(&m.key(&o.name), &m.versions(last))?;
        }
        for s in &o.side {
            writer.record(&build(&s.parts), &s.versions(last))?;
        }
    }
    for _ in 0..u.int_in_range(0..=3u8).map_err(err)? {
        let f = ForeignRecord::arbitrary(&mut u).map_err(err)?;
        writer.record(&f.key, &f.history.versions(last, &f.body, &|i| vec![i]))?;
    }
    for _ in 0..u.int_in_range(0..=4u8).map_err(err)? {
        let r = RawRecord::arbitrary(&mut u).map_err(err)?;
        writer.raw(&r.key, &r.value)?;
    }
    if let Some(d) = damage {
        if !matches!(d, StreamDamage::BadMagic | StreamDamage::SstMagic) {
            let mut tail = Vec::new();
            d.apply(&mut tail);
            writer.w.write_all(&tail)?;
            writer.summary.bytes += tail.len() as u64;
        }
    }
    writer.w.flush()?;
    Ok(writer.summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_bytes_other_seed_other_bytes() {
        let opts = GenOptions {
            seed: 7,
            profile: Profile::Mixed,
            queues: 3,
            messages: 50,
        };
        let mut a = Vec::new();
        let mut b = Vec::new();
        let mut c = Vec::new();
        write_snapshot(opts, &mut a).unwrap();
        write_snapshot(opts, &mut b).unwrap();
        write_snapshot(GenOptions { seed: 8, ..opts }, &mut c).unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(&a[..8], frame::MAGIC);
    }
}
