//! The `.fsm` snapshot framing, written from the spec (REQ-FSM-*), kept
//! independent of [`crate::fsm`] so that a symmetric bug in the crate's
//! encoder and reader cannot hide itself.
//!
//! Header: `EKVPBBL1` + LE u64 `last_commit_ts`. Entry: LE u64 key length,
//! key, LE u64 value length, value. An MVCC key is the user key followed
//! by the big-endian bit-inverted commit timestamp; an MVCC value is a
//! flags byte (bit 0 = tombstone, bits 1-2 = encryption state), LE u64
//! `expire_at`, then the body.

/// Magic of a Pebble snapshot stream.
pub const MAGIC: &[u8; 8] = b"EKVPBBL1";
/// Magic of the unsupported SST-ingest transfer format.
pub const SST_MAGIC: &[u8; 8] = b"EKVSSTI1";
/// Raw Pebble bookkeeping keys the live store writes without MVCC framing.
pub const OPERATIONAL_KEYS: [&str; 4] = [
    "_meta_last_commit_ts",
    "_meta_min_retained_ts",
    "_meta_pending_min_retained_ts",
    "_meta_applied_index",
];
/// Prefix of the raw encryption writer-registry rows (+ be32 dek id,
/// `|`, be16 node id).
pub const WRITER_PREFIX: &[u8] = b"!encryption|writers|";
/// Longest encoded key accepted: 1 MiB + 8.
pub const MAX_KEY: u64 = (1 << 20) + 8;
/// Longest encoded value accepted: 256 MiB + 9 + 34.
pub const MAX_VALUE: u64 = (256 << 20) + 9 + 34;

/// The stream header.
pub fn header(last_commit_ts: u64) -> Vec<u8> {
    let mut v = MAGIC.to_vec();
    v.extend_from_slice(&last_commit_ts.to_le_bytes());
    v
}

/// One length-prefixed key/value pair, as is.
pub fn raw_entry(out: &mut Vec<u8>, key: &[u8], value: &[u8]) {
    out.extend_from_slice(&(key.len() as u64).to_le_bytes());
    out.extend_from_slice(key);
    out.extend_from_slice(&(value.len() as u64).to_le_bytes());
    out.extend_from_slice(value);
}

/// The MVCC key of `user_key` at `commit_ts`.
pub fn mvcc_key(user_key: &[u8], commit_ts: u64) -> Vec<u8> {
    let mut k = Vec::with_capacity(user_key.len() + 8);
    k.extend_from_slice(user_key);
    k.extend_from_slice(&(!commit_ts).to_be_bytes());
    k
}

/// An MVCC value with explicit flags.
pub fn mvcc_value(flags: u8, expire_at: u64, body: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(body.len() + 9);
    v.push(flags);
    v.extend_from_slice(&expire_at.to_le_bytes());
    v.extend_from_slice(body);
    v
}

/// One MVCC entry (cleartext).
pub fn entry(
    out: &mut Vec<u8>,
    user_key: &[u8],
    commit_ts: u64,
    tombstone: bool,
    expire_at: u64,
    body: &[u8],
) {
    raw_entry(
        out,
        &mvcc_key(user_key, commit_ts),
        &mvcc_value(u8::from(tombstone), expire_at, body),
    );
}
