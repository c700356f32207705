//! Phase 1: the `.fsm` snapshot stream → framed entries (REQ-FSM-1..6,
//! REQ-FSM-10..12).
//!
//! The stream is the live store's native Pebble snapshot:
//!
//! ```text
//! "EKVPBBL1"  last_commit_ts: u64 LE
//! ( key_len: u64 LE  key  value_len: u64 LE  value )*   until a clean EOF
//! [ crc32c: u32 BE ]                                    node files only
//! ```
//!
//! A node's `fsm-snap/<index>.fsm` file is that payload followed by a
//! 4-byte big-endian CRC-32C (Castagnoli) of every payload byte, header
//! included (REQ-FSM-11). The reader tells the two apart by what is left
//! after the last complete entry: nothing is a bare payload, exactly 4
//! bytes are a footer, which must match. The checksum is computed while
//! the bytes stream past ([`Tail`]), so the input is read once and may be
//! a pipe. [`FooterPolicy::Require`] makes a bare payload an error
//! (REQ-FSM-12); [`Reader::footer`] gives the verified value.
//!
//! An MVCC key is `user_key ++ be64(!commit_ts)`; an MVCC value is
//! `flags ++ le64(expire_at) ++ body`. A few raw Pebble bookkeeping keys
//! travel in the same stream without that framing; they are reported as
//! [`Entry::Operational`] and never parsed as versions.
//!
//! [`Reader`] pulls one entry at a time from any [`Read`] through a
//! [`BufReader`]; it never holds more than one entry in memory. Every length
//! prefix is compared with its limit before a byte is allocated, and every
//! slice and offset computation is checked, so no input can make it panic
//! or abort on allocation.
//!
//! Offsets in errors: [`Error::Truncated`] carries the offset where the
//! truncated field *starts* (the magic at 0, `last_commit_ts` at 8, a key
//! length prefix at the entry's offset, and so on), and `what` names the
//! field. [`Error::ShortKey`] and [`Error::KeyTooLarge`] carry the offset of
//! the entry, i.e. of its key length prefix.
//!
//! Order of checks in an entry: key length limit, key bytes, operational
//! key match, short key, value length limit, short value (judged on the
//! declared length, before its bytes are read), the 9-byte value header,
//! flags, then the body.
//!
//! The encoder half ([`encode_header`], [`encode_entry`],
//! [`encode_raw_entry`]) writes the same format, for tests, generators and
//! the bundled sample.

use std::io::{self, BufReader, Read};

use crate::error::Escaped;
use crate::Error;

/// First 8 bytes of a native Pebble snapshot stream.
pub const MAGIC: &[u8; 8] = b"EKVPBBL1";
/// First 8 bytes of the SST-ingest transfer format, which sqsdump does not
/// read (REQ-FSM-1).
pub const SST_INGEST_MAGIC: &[u8; 8] = b"EKVSSTI1";
/// Bytes of the header: magic + LE u64 `last_commit_ts`.
pub const HEADER_LEN: usize = 16;
/// Bytes of the bit-inverted big-endian commit timestamp that ends every
/// MVCC key.
pub const TS_SUFFIX_LEN: usize = 8;
/// Bytes of the value header: one flags byte + LE u64 `expire_at`.
pub const VALUE_HEADER_LEN: usize = 9;
/// Largest encoded key accepted: 1 MiB of user key + the 8-byte suffix
/// (REQ-FSM-4).
pub const MAX_KEY_LEN: u64 = (1 << 20) + 8;
/// Largest encoded value accepted: 256 MiB of body + the 9-byte value
/// header + the 34-byte encryption envelope overhead (REQ-FSM-4).
pub const MAX_VALUE_LEN: u64 = (256 << 20) + 9 + 34;

/// Flags bit 0: the version is a tombstone.
pub const FLAG_TOMBSTONE: u8 = 0b0000_0001;
/// Flags bits 1-2: the encryption state (0 cleartext, 1 encrypted,
/// 2 and 3 reserved).
pub const FLAG_ENC_STATE_MASK: u8 = 0b0000_0110;
/// Flags bits 3-7: reserved, must be zero.
pub const FLAG_RESERVED_MASK: u8 = 0b1111_1000;

/// The four raw Pebble bookkeeping keys the live store writes into the
/// snapshot stream without MVCC framing (REQ-FSM-6).
pub const OPERATIONAL_KEYS: [&[u8]; 4] = [
    b"_meta_last_commit_ts",
    b"_meta_min_retained_ts",
    b"_meta_pending_min_retained_ts",
    b"_meta_applied_index",
];
/// Prefix of an encryption writer-registry row, a raw (non-MVCC) key
/// (REQ-FSM-6).
pub const WRITER_REGISTRY_PREFIX: &[u8] = b"!encryption|writers|";
/// Bytes after [`WRITER_REGISTRY_PREFIX`] in a registry row:
/// be32 dek_id, `|`, be16 node id.
pub const WRITER_REGISTRY_SUFFIX_LEN: usize = 7;

/// Bytes of a node file's CRC-32C footer (REQ-FSM-11).
pub const FOOTER_LEN: usize = 4;

/// Whether a node-file footer must be present (REQ-FSM-11, REQ-FSM-12).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum FooterPolicy {
    /// Accept a bare payload or a payload with a valid footer.
    #[default]
    Detect,
    /// Accept only a payload with a valid footer; a bare payload is
    /// [`Error::MissingFooter`].
    Require,
}

/// CRC-32C (Castagnoli) of `data`, the checksum of a node file's footer.
pub fn crc32c(data: &[u8]) -> u32 {
    crc32c::crc32c(data)
}

/// Append the node-file footer to a payload: the big-endian CRC-32C of
/// every byte already in `out` (REQ-FSM-11).
pub fn append_footer(out: &mut Vec<u8>) {
    let crc = crc32c(out);
    out.extend_from_slice(&crc.to_be_bytes());
}

/// A [`Write`](io::Write) adapter that keeps the CRC-32C of everything
/// written through it, so a streamed payload can be finished with its
/// node-file footer ([`FooterWriter::finish`]).
#[derive(Debug)]
pub struct FooterWriter<W> {
    inner: W,
    crc: u32,
}

impl<W: io::Write> FooterWriter<W> {
    /// Wrap `inner`.
    pub fn new(inner: W) -> Self {
        FooterWriter { inner, crc: 0 }
    }

    /// The CRC-32C of the bytes written so far.
    pub fn crc(&self) -> u32 {
        self.crc
    }

    /// Write the footer (REQ-FSM-11) and return the inner writer and the
    /// CRC-32C the footer holds.
    pub fn finish(mut self) -> io::Result<(W, u32)> {
        let crc = self.crc;
        self.inner.write_all(&crc.to_be_bytes())?;
        Ok((self.inner, crc))
    }

    /// The inner writer, no footer written.
    pub fn into_inner(self) -> W {
        self.inner
    }
}

impl<W: io::Write> io::Write for FooterWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.crc = crc32c::crc32c_append(self.crc, buf.get(..n).unwrap_or_default());
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// A [`Read`] adapter that passes every byte through and feeds a CRC-32C
/// with all of them but the last [`FOOTER_LEN`] seen so far. At end of
/// input the checksum covers exactly the bytes before the final four,
/// which are the candidate footer.
#[derive(Debug)]
struct Tail<R> {
    inner: R,
    crc: u32,
    held: [u8; FOOTER_LEN],
    held_len: usize,
}

impl<R> Tail<R> {
    fn new(inner: R) -> Self {
        Tail {
            inner,
            crc: 0,
            held: [0; FOOTER_LEN],
            held_len: 0,
        }
    }

    /// Account for `new`, the bytes that just followed those seen before.
    fn absorb(&mut self, new: &[u8]) {
        let total = self.held_len.saturating_add(new.len());
        let Some(hash_len) = total.checked_sub(FOOTER_LEN) else {
            // Still no more than 4 bytes held: keep them all.
            for &b in new {
                if let Some(slot) = self.held.get_mut(self.held_len) {
                    *slot = b;
                    self.held_len += 1;
                }
            }
            return;
        };
        // The oldest held bytes leave the window first, then the new ones.
        let from_held = self.held_len.min(hash_len);
        let from_new = hash_len - from_held;
        self.crc = crc32c::crc32c_append(self.crc, self.held.get(..from_held).unwrap_or_default());
        self.crc = crc32c::crc32c_append(self.crc, new.get(..from_new).unwrap_or_default());
        let mut window = [0u8; FOOTER_LEN];
        let kept = self
            .held
            .get(from_held..self.held_len)
            .unwrap_or_default()
            .iter()
            .chain(new.get(from_new..).unwrap_or_default());
        for (slot, &b) in window.iter_mut().zip(kept) {
            *slot = b;
        }
        self.held = window;
        self.held_len = FOOTER_LEN;
    }
}

impl<R: Read> Read for Tail<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.absorb(buf.get(..n).unwrap_or_default());
        Ok(n)
    }
}

/// Size of the read buffer.
const READ_BUFFER: usize = 64 * 1024;
/// Largest buffer allocated up front for a key or value. A longer field
/// grows as its bytes actually arrive, so a truncated stream that declares
/// a huge (but legal) length costs only the bytes present.
const EAGER_ALLOC: u64 = 1 << 20;

/// One MVCC version of a user key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    /// The user key (the encoded key without its 8-byte suffix).
    pub user_key: Vec<u8>,
    /// The commit timestamp (the suffix, bit-inverted back).
    pub commit_ts: u64,
    /// Flags bit 0.
    pub tombstone: bool,
    /// The expiry timestamp; 0 means none.
    pub expire_at: u64,
    /// The value after the 9-byte header.
    pub body: Vec<u8>,
}

/// One framed entry of the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// A raw Pebble bookkeeping key or an encryption writer-registry row,
    /// skipped by the decoder (REQ-FSM-6). The value is read and dropped.
    Operational {
        /// The raw key.
        key: Vec<u8>,
    },
    /// An MVCC version.
    Version(Version),
}

/// True when a raw key is one of the live store's operational keys
/// (REQ-FSM-6): exactly one of [`OPERATIONAL_KEYS`], or exactly
/// `!encryption|writers|` + be32 dek_id + `|` + be16 node id.
///
/// The separator check follows the live store, which recognises registry
/// rows by that full shape; a key of the same length without the `|` is an
/// ordinary MVCC key.
pub fn is_operational_key(raw_key: &[u8]) -> bool {
    if OPERATIONAL_KEYS.contains(&raw_key) {
        return true;
    }
    match raw_key.strip_prefix(WRITER_REGISTRY_PREFIX) {
        Some(rest) => rest.len() == WRITER_REGISTRY_SUFFIX_LEN && rest.get(4) == Some(&b'|'),
        None => false,
    }
}

/// Streaming reader of a `.fsm` snapshot.
#[derive(Debug)]
pub struct Reader<R> {
    inner: BufReader<Tail<R>>,
    offset: u64,
    last_commit_ts: u64,
    policy: FooterPolicy,
    /// The verified footer, once the stream has ended with one.
    footer: Option<u32>,
    /// Set once the iterator has returned an error or reached EOF.
    done: bool,
    /// The largest value of an SQS version that is read into memory
    /// ([`Reader::with_record_budget`]); `None` for [`MAX_VALUE_LEN`] only.
    budget: Option<RecordBudget>,
}

/// The largest value an SQS version that may be kept can have, from a
/// memory limit (REQ-ENG-6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordBudget {
    /// Largest value, in bytes (value header included).
    pub max_value: u64,
    /// The memory limit it comes from, for the error message.
    pub memory_limit: u64,
}

/// Outcome of reading a fixed-size field.
enum Fill {
    /// All bytes read.
    Full,
    /// EOF before the first byte.
    Eof,
    /// EOF after some but not all bytes.
    Partial(usize),
}

impl<R: Read> Reader<R> {
    /// Read the 16-byte header (REQ-FSM-1).
    ///
    /// Fewer than 8 bytes that are a prefix of a known magic are a
    /// truncated header; anything else that is not `EKVPBBL1` is a bad magic,
    /// except `EKVSSTI1`, which is [`Error::SstIngestUnsupported`].
    /// A node-file footer is accepted when present ([`FooterPolicy::Detect`]).
    pub fn new(input: R) -> Result<Self, Error> {
        Self::with_footer(input, FooterPolicy::Detect)
    }

    /// [`Reader::new`] with the given footer policy (REQ-FSM-11,
    /// REQ-FSM-12).
    pub fn with_footer(input: R, policy: FooterPolicy) -> Result<Self, Error> {
        let mut reader = Reader {
            inner: BufReader::with_capacity(READ_BUFFER, Tail::new(input)),
            offset: 0,
            last_commit_ts: 0,
            policy,
            footer: None,
            done: false,
            budget: None,
        };
        let mut magic = [0u8; 8];
        match reader.fill(&mut magic)? {
            Fill::Full => {}
            Fill::Eof => return Err(truncated(0, "header magic")),
            Fill::Partial(n) => {
                let got = magic.get(..n).unwrap_or_default();
                if MAGIC.starts_with(got) || SST_INGEST_MAGIC.starts_with(got) {
                    return Err(truncated(0, "header magic"));
                }
                return Err(Error::BadMagic {
                    found: Escaped::of(got),
                });
            }
        }
        if &magic == SST_INGEST_MAGIC {
            return Err(Error::SstIngestUnsupported);
        }
        if &magic != MAGIC {
            return Err(Error::BadMagic {
                found: Escaped::of(&magic),
            });
        }
        let mut ts = [0u8; 8];
        match reader.fill(&mut ts)? {
            Fill::Full => {}
            Fill::Eof | Fill::Partial(_) => return Err(truncated(8, "header last_commit_ts")),
        }
        reader.last_commit_ts = u64::from_le_bytes(ts);
        Ok(reader)
    }

    /// Refuse, with [`Error::RecordOverBudget`], the value of an SQS
    /// version longer than `budget.max_value` that could be kept (not a
    /// tombstone, not expired, not newer than the header), after reading
    /// its bytes through without holding them (REQ-ENG-6); any other long
    /// value is passed through with an empty body, which nothing reads. A
    /// value within the budget is read into one buffer of its exact size.
    pub fn with_record_budget(mut self, budget: RecordBudget) -> Self {
        self.budget = Some(budget);
        self
    }

    /// The header's `last_commit_ts`.
    pub fn last_commit_ts(&self) -> u64 {
        self.last_commit_ts
    }

    /// Bytes consumed from the input so far (a footer included).
    pub fn bytes_read(&self) -> u64 {
        self.offset
    }

    /// The footer's CRC-32C, once [`Reader::next_entry`] has returned
    /// `None` on a stream that ended with a footer (which was verified);
    /// `None` for a bare payload or before the end.
    pub fn footer(&self) -> Option<u32> {
        self.footer
    }

    /// The next entry, or `None` at a clean EOF on an entry boundary
    /// (REQ-FSM-2), with or without a footer (REQ-FSM-11).
    // REQ-FSM-3, REQ-FSM-4
    pub fn next_entry(&mut self) -> Result<Option<Entry>, Error> {
        let entry_offset = self.offset;

        // Key length; EOF before its first byte ends the stream, and EOF
        // after exactly 4 of its bytes is a footer.
        let mut len = [0u8; 8];
        match self.fill(&mut len)? {
            Fill::Full => {}
            Fill::Eof if self.policy == FooterPolicy::Require && self.footer.is_none() => {
                return Err(Error::MissingFooter {
                    offset: entry_offset,
                })
            }
            Fill::Eof => return Ok(None),
            Fill::Partial(FOOTER_LEN) => return self.check_footer(&len, entry_offset),
            Fill::Partial(_) => return Err(truncated(entry_offset, "key length")),
        }
        let key_len = u64::from_le_bytes(len);
        if key_len > MAX_KEY_LEN {
            return Err(Error::KeyTooLarge {
                offset: entry_offset,
                len: key_len,
                limit: MAX_KEY_LEN,
            });
        }
        let key_offset = self.offset;
        let key = self.read_vec(key_len, "key", key_offset)?;

        if is_operational_key(&key) {
            let value_len = self.read_value_len(&key)?;
            self.skip(value_len, "value")?;
            return Ok(Some(Entry::Operational { key }));
        }

        // REQ-FSM-3: the key must hold its 8-byte commit-ts suffix.
        let Some(split) = key.len().checked_sub(TS_SUFFIX_LEN) else {
            return Err(Error::ShortKey {
                offset: entry_offset,
                len: key_len,
            });
        };
        let mut suffix = [0u8; TS_SUFFIX_LEN];
        suffix.copy_from_slice(key.get(split..).unwrap_or(&[0; TS_SUFFIX_LEN]));
        // REQ-FSM-2: the suffix is the big-endian, bit-inverted commit ts.
        let commit_ts = !u64::from_be_bytes(suffix);
        let mut user_key = key;
        user_key.truncate(split);

        let value_len = self.read_value_len(&user_key)?;
        if value_len < VALUE_HEADER_LEN as u64 {
            return Err(Error::ShortValue {
                key: Escaped::of(&user_key),
                len: value_len,
            });
        }
        let mut header = [0u8; VALUE_HEADER_LEN];
        let value_offset = self.offset;
        match self.fill(&mut header)? {
            Fill::Full => {}
            Fill::Eof | Fill::Partial(_) => return Err(truncated(value_offset, "value")),
        }
        let [flags, expire @ ..] = header;
        check_flags(flags, &user_key)?;
        let body_len = value_len.saturating_sub(VALUE_HEADER_LEN as u64);
        let expire_at = u64::from_le_bytes(expire);
        let tombstone = flags & FLAG_TOMBSTONE != 0;
        let body = match self.budget {
            Some(b) if value_len > b.max_value => {
                // REQ-ENG-6: read through, never held; a truncation is
                // still reported as one.
                self.skip_from(body_len, "value", value_offset)?;
                let kept = crate::key::is_sqs_key(&user_key)
                    && !tombstone
                    && (expire_at == 0 || expire_at > self.last_commit_ts)
                    && commit_ts <= self.last_commit_ts;
                if kept {
                    return Err(Error::RecordOverBudget {
                        key: Escaped::of(&user_key),
                        len: value_len,
                        limit: b.max_value,
                        memory_limit: b.memory_limit,
                    });
                }
                Vec::new()
            }
            _ => self.read_vec(body_len, "value", value_offset)?,
        };
        user_key.shrink_to_fit();
        Ok(Some(Entry::Version(Version {
            user_key,
            commit_ts,
            tombstone,
            expire_at,
            body,
        })))
    }

    /// REQ-FSM-11: the last 4 bytes, read at `offset` as the start of a
    /// key length, are a footer; they must equal the big-endian CRC-32C of
    /// the `offset` bytes before them.
    fn check_footer(&mut self, bytes: &[u8; 8], offset: u64) -> Result<Option<Entry>, Error> {
        let mut stored = [0u8; FOOTER_LEN];
        stored.copy_from_slice(bytes.get(..FOOTER_LEN).unwrap_or(&[0; FOOTER_LEN]));
        let stored = u32::from_be_bytes(stored);
        let tail = self.inner.get_ref();
        let computed = tail.crc;
        if tail.held_len != FOOTER_LEN || stored != computed {
            return Err(Error::CrcMismatch {
                offset,
                stored,
                computed,
            });
        }
        self.footer = Some(stored);
        Ok(None)
    }

    /// Read a value length prefix and check it against [`MAX_VALUE_LEN`].
    // REQ-FSM-4
    fn read_value_len(&mut self, key: &[u8]) -> Result<u64, Error> {
        let at = self.offset;
        let mut len = [0u8; 8];
        match self.fill(&mut len)? {
            Fill::Full => {}
            Fill::Eof | Fill::Partial(_) => return Err(truncated(at, "value length")),
        }
        let value_len = u64::from_le_bytes(len);
        if value_len > MAX_VALUE_LEN {
            return Err(Error::ValueTooLarge {
                key: Escaped::of(key),
                len: value_len,
                limit: MAX_VALUE_LEN,
            });
        }
        Ok(value_len)
    }

    /// Fill `buf` completely, or report how far EOF let it get.
    fn fill(&mut self, buf: &mut [u8]) -> Result<Fill, Error> {
        let mut n = 0;
        while n < buf.len() {
            let rest = buf.get_mut(n..).unwrap_or_default();
            match self.inner.read(rest) {
                Ok(0) => break,
                Ok(k) => {
                    n = n.saturating_add(k);
                    self.offset = self.offset.saturating_add(k as u64);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Error::io("reading snapshot", e)),
            }
        }
        Ok(if n == buf.len() {
            Fill::Full
        } else if n == 0 {
            Fill::Eof
        } else {
            Fill::Partial(n)
        })
    }

    /// Read exactly `len` bytes (already checked against a limit) into a
    /// new vector. EOF first is [`Error::Truncated`] at `start`, the offset
    /// of the field these bytes belong to.
    fn read_vec(&mut self, len: u64, what: &'static str, start: u64) -> Result<Vec<u8>, Error> {
        // Within a record budget the length is one the caller is
        // prepared to hold: one exact allocation, no doubling growth.
        let eager = match self.budget {
            Some(b) if len <= b.max_value => usize::try_from(len).unwrap_or(0),
            _ => usize::try_from(len.min(EAGER_ALLOC)).unwrap_or(0),
        };
        let mut buf = Vec::with_capacity(eager);
        let got = (&mut self.inner)
            .take(len)
            .read_to_end(&mut buf)
            .map_err(|e| Error::io("reading snapshot", e))?;
        self.offset = self.offset.saturating_add(got as u64);
        if (got as u64) < len {
            return Err(truncated(start, what));
        }
        buf.shrink_to_fit();
        Ok(buf)
    }

    /// Consume and drop exactly `len` bytes.
    fn skip(&mut self, len: u64, what: &'static str) -> Result<(), Error> {
        let at = self.offset;
        self.skip_from(len, what, at)
    }

    /// [`Reader::skip`], a truncation reported at `at`, the offset of the
    /// field these bytes belong to.
    fn skip_from(&mut self, len: u64, what: &'static str, at: u64) -> Result<(), Error> {
        let got = io::copy(&mut (&mut self.inner).take(len), &mut io::sink())
            .map_err(|e| Error::io("reading snapshot", e))?;
        self.offset = self.offset.saturating_add(got);
        if got < len {
            return Err(truncated(at, what));
        }
        Ok(())
    }
}

impl<R: Read> std::iter::FusedIterator for Reader<R> {}

impl<R: Read> Iterator for Reader<R> {
    type Item = Result<Entry, Error>;

    /// Entries until a clean EOF or the first error, then `None` for good.
    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let item = self.next_entry().transpose();
        if !matches!(item, Some(Ok(_))) {
            self.done = true;
        }
        item
    }
}

/// REQ-FSM-5: bits 3-7 must be zero (checked first, as the live store
/// does), then the encryption state must be 0 (cleartext). State 1 is an
/// encrypted entry; states 2 and 3 are reserved.
fn check_flags(flags: u8, user_key: &[u8]) -> Result<(), Error> {
    if flags & FLAG_RESERVED_MASK != 0 {
        return Err(Error::ReservedFlags {
            key: Escaped::of(user_key),
            flags,
        });
    }
    match (flags & FLAG_ENC_STATE_MASK) >> 1 {
        0 => Ok(()),
        1 => Err(Error::Encrypted {
            key: Escaped::of(user_key),
        }),
        _ => Err(Error::ReservedFlags {
            key: Escaped::of(user_key),
            flags,
        }),
    }
}

fn truncated(offset: u64, what: &'static str) -> Error {
    Error::Truncated { offset, what }
}

/// The 16-byte header for `last_commit_ts`.
pub fn encode_header(last_commit_ts: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&last_commit_ts.to_le_bytes());
    out
}

/// An MVCC entry key: `user_key ++ be64(!commit_ts)`.
pub fn encode_key(user_key: &[u8], commit_ts: u64) -> Vec<u8> {
    let mut key = Vec::with_capacity(user_key.len().saturating_add(TS_SUFFIX_LEN));
    key.extend_from_slice(user_key);
    key.extend_from_slice(&(!commit_ts).to_be_bytes());
    key
}

/// An MVCC entry value: `flags ++ le64(expire_at) ++ body`. Any flags
/// byte, so tests can build encrypted or reserved values too.
pub fn encode_value(flags: u8, expire_at: u64, body: &[u8]) -> Vec<u8> {
    let mut value = Vec::with_capacity(body.len().saturating_add(VALUE_HEADER_LEN));
    value.push(flags);
    value.extend_from_slice(&expire_at.to_le_bytes());
    value.extend_from_slice(body);
    value
}

/// Append one MVCC version: [`encode_key`] and [`encode_value`] with flags
/// 0 or 1 (tombstone).
pub fn encode_entry(
    out: &mut Vec<u8>,
    user_key: &[u8],
    commit_ts: u64,
    tombstone: bool,
    expire_at: u64,
    body: &[u8],
) {
    let flags = if tombstone { FLAG_TOMBSTONE } else { 0 };
    encode_raw_entry(
        out,
        &encode_key(user_key, commit_ts),
        &encode_value(flags, expire_at, body),
    );
}

/// Append one entry with the given raw key and value bytes, for
/// operational keys and malformed cases.
pub fn encode_raw_entry(out: &mut Vec<u8>, key: &[u8], value: &[u8]) {
    out.extend_from_slice(&(key.len() as u64).to_le_bytes());
    out.extend_from_slice(key);
    out.extend_from_slice(&(value.len() as u64).to_le_bytes());
    out.extend_from_slice(value);
}
