//! Phase 2: framed entries → the SQS records visible at the snapshot's
//! `last_commit_ts` (REQ-FSM-7..9).
//!
//! The live store reads a key at `last_commit_ts` by taking its newest
//! version with `commit_ts <= last_commit_ts`; the key is visible only if
//! that version is not a tombstone and has not expired
//! (`expire_at == 0 || expire_at > last_commit_ts`). [`Resolver`] does the
//! same over the whole stream:
//!
//! - Versions are grouped by *exact* user key in a hash map (sorted once
//!   at the end; faster and leaner than a B-tree on 1M-message snapshots),
//!   never by position:
//!   versions of one key need not be adjacent, and one user key can be a
//!   byte prefix of another.
//! - Two versions of one key with the same `commit_ts` cannot come from the
//!   live store; if a stream holds them anyway, the one that comes *later*
//!   in the stream wins.
//! - Versions newer than the header are ignored, each with a
//!   [`Warning::VersionAfterHeader`] (REQ-FSM-8), reported in order of
//!   (user key, commit_ts) whatever the stream order (REQ-DEC-11).
//! - Only SQS keys ([`key::is_sqs_key`]) are kept. Entries of other
//!   keyspaces are counted and dropped at once, so the statistics about
//!   tombstones, expiry, superseded and after-header versions are about
//!   SQS keys only.
//! - Memory: per key, only the current best version is stored, and its
//!   body only while that version is visible; keys and bodies are boxed
//!   slices of exactly their length.
//!
//! [`Resolver::finish`] yields the visible records in user-key order, the
//! order in which the live store iterates them.

use std::collections::hash_map::{self, HashMap};

use crate::fsm::{Entry, Version};
use crate::key;
use crate::warning::Warning;

/// A visible SQS record: a user key and its value body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The user key (starts with `!sqs|`).
    pub user_key: Vec<u8>,
    /// The value body (flags and expiry stripped).
    pub body: Vec<u8>,
}

/// Counts kept while resolving.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MvccStats {
    /// Every entry read, operational ones included.
    pub entries: u64,
    /// Operational entries skipped (REQ-FSM-6).
    pub operational_keys: u64,
    /// Versions of keys outside the SQS keyspace (counted, not kept).
    pub other_keyspace_entries: u64,
    /// Versions of SQS keys.
    pub sqs_versions: u64,
    /// SQS versions newer than the header, ignored (REQ-FSM-8).
    pub versions_after_header: u64,
    /// SQS versions that lost to a newer (or later, at equal `commit_ts`)
    /// version of the same key.
    pub superseded_versions: u64,
    /// SQS keys whose winning version is a tombstone.
    pub tombstoned_keys: u64,
    /// SQS keys whose winning version has expired.
    pub expired_keys: u64,
    /// SQS keys whose winning version is visible: the records yielded.
    pub sqs_records: u64,
}

/// The state of a key's best version.
#[derive(Debug)]
enum State {
    Visible(Box<[u8]>),
    Tombstone,
    Expired,
}

#[derive(Debug)]
struct Best {
    commit_ts: u64,
    state: State,
}

/// Resolves MVCC versions to the records visible at `last_commit_ts`.
#[derive(Debug)]
pub struct Resolver {
    last_commit_ts: u64,
    best: HashMap<Box<[u8]>, Best>,
    stats: MvccStats,
    warnings: Vec<Warning>,
}

impl Resolver {
    /// A resolver reading at `last_commit_ts` (the snapshot header's).
    pub fn new(last_commit_ts: u64) -> Self {
        Resolver {
            last_commit_ts,
            best: HashMap::new(),
            stats: MvccStats::default(),
            warnings: Vec::new(),
        }
    }

    /// Feed one entry from the stream.
    pub fn push_entry(&mut self, entry: Entry) {
        match entry {
            Entry::Operational { .. } => {
                self.stats.entries += 1;
                self.stats.operational_keys += 1;
            }
            Entry::Version(v) => self.push_version(v),
        }
    }

    /// Feed one version.
    // REQ-FSM-8, REQ-FSM-10
    pub fn push_version(&mut self, v: Version) {
        self.stats.entries += 1;
        if !key::is_sqs_key(&v.user_key) {
            self.stats.other_keyspace_entries += 1;
            return;
        }
        self.stats.sqs_versions += 1;
        if v.commit_ts > self.last_commit_ts {
            // REQ-FSM-8: a read at last_commit_ts cannot see it.
            self.stats.versions_after_header += 1;
            self.warnings.push(Warning::VersionAfterHeader {
                key_hex: hex::encode(&v.user_key),
                commit_ts: v.commit_ts,
                last_commit_ts: self.last_commit_ts,
            });
            return;
        }
        let state = if v.tombstone {
            State::Tombstone
        } else if v.expire_at != 0 && v.expire_at <= self.last_commit_ts {
            State::Expired
        } else {
            State::Visible(v.body.into_boxed_slice())
        };
        let new = Best {
            commit_ts: v.commit_ts,
            state,
        };
        match self.best.entry(v.user_key.into_boxed_slice()) {
            hash_map::Entry::Vacant(slot) => {
                count(&mut self.stats, &new.state, true);
                slot.insert(new);
            }
            hash_map::Entry::Occupied(mut slot) => {
                self.stats.superseded_versions += 1;
                // REQ-FSM-7: the newest version wins; at equal commit_ts
                // the later entry in the stream wins.
                if new.commit_ts >= slot.get().commit_ts {
                    count(&mut self.stats, &slot.get().state, false);
                    count(&mut self.stats, &new.state, true);
                    slot.insert(new);
                }
            }
        }
    }

    /// Counts so far.
    pub fn stats(&self) -> &MvccStats {
        &self.stats
    }

    /// The last commit timestamp this resolver reads at.
    pub fn last_commit_ts(&self) -> u64 {
        self.last_commit_ts
    }

    /// Stop feeding; get the visible records, the final counts and the
    /// after-header warnings (in key order).
    pub fn finish(mut self) -> Resolved {
        // REQ-DEC-11: the warnings must not depend on the order of distinct
        // keys in the stream. Lowercase hex sorts like the key bytes.
        self.warnings
            .sort_by(|a, b| warning_order(a).cmp(&warning_order(b)));
        Resolved {
            records: Records {
                // Keys are unique, so an unstable sort is deterministic.
                inner: {
                    let mut all: Vec<(Box<[u8]>, Best)> = self.best.into_iter().collect();
                    all.sort_unstable_by(|a, b| a.0.cmp(&b.0));
                    all.into_iter()
                },
            },
            stats: self.stats,
            warnings: self.warnings,
            last_commit_ts: self.last_commit_ts,
        }
    }
}

/// Sort key of an after-header warning: (user key, commit_ts).
fn warning_order(w: &Warning) -> (&str, u64) {
    match w {
        Warning::VersionAfterHeader {
            key_hex, commit_ts, ..
        } => (key_hex, *commit_ts),
        _ => ("", 0),
    }
}

/// Adjust the per-state key counts when a key's best version changes.
fn count(stats: &mut MvccStats, state: &State, add: bool) {
    let slot = match state {
        State::Visible(_) => &mut stats.sqs_records,
        State::Tombstone => &mut stats.tombstoned_keys,
        State::Expired => &mut stats.expired_keys,
    };
    *slot = if add {
        slot.saturating_add(1)
    } else {
        slot.saturating_sub(1)
    };
}

/// What [`Resolver::finish`] returns.
#[derive(Debug)]
pub struct Resolved {
    /// The visible SQS records, in user-key order.
    pub records: Records,
    /// Final counts.
    pub stats: MvccStats,
    /// One [`Warning::VersionAfterHeader`] per ignored version.
    pub warnings: Vec<Warning>,
    /// The timestamp the records were read at.
    pub last_commit_ts: u64,
}

/// Iterator over the visible records in user-key order. It moves each
/// body out as it goes, so a record's memory can be reused as soon as the
/// decoder has taken it.
#[derive(Debug)]
pub struct Records {
    inner: std::vec::IntoIter<(Box<[u8]>, Best)>,
}

impl Iterator for Records {
    type Item = Record;

    fn next(&mut self) -> Option<Record> {
        for (user_key, best) in self.inner.by_ref() {
            if let State::Visible(body) = best.state {
                return Some(Record {
                    user_key: user_key.into_vec(),
                    body: body.into_vec(),
                });
            }
        }
        None
    }
}
