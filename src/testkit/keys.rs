//! SQS keys: valid components for every family (legacy and partitioned)
//! and adversarial keys with what the parsers must make of them
//! (REQ-KEY-*).

use arbitrary::{Arbitrary, Result, Unstructured};

use crate::error::KeyProblem;
use crate::key::{self, build, is_b64url_byte, Family, KeyParts};

/// The live queue-name alphabet (AWS: `[A-Za-z0-9_-]{1,80}`, optional
/// `.fifo`, 80 bytes in all).
pub const LIVE_ALPHABET: &[u8] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";

/// A queue name the live cluster accepts.
pub fn live_queue_name(u: &mut Unstructured<'_>) -> Result<String> {
    let fifo = u.ratio(1, 3)?;
    let max = if fifo { 75 } else { 80 };
    let len = if u.ratio(1, 8)? {
        max
    } else {
        u.int_in_range(1..=12usize)?
    };
    let mut s = String::with_capacity(len + 5);
    for _ in 0..len {
        s.push(char::from(*u.choose(LIVE_ALPHABET)?));
    }
    if fifo {
        s.push_str(".fifo");
    }
    Ok(s)
}

/// Names that stress output paths and key parsing: `.`, `..`, slashes,
/// fallback look-alikes, `b64.`, `x.orphan`, over-long names, U+2028,
/// HTML characters, white space.
pub fn tricky_queue_name(u: &mut Unstructured<'_>) -> Result<String> {
    Ok(match u.int_in_range(0..=19u8)? {
        0 => ".".into(),
        1 => "..".into(),
        2 => "...".into(),
        3 => "a/b".into(),
        4 => "../../etc".into(),
        5 => "x.orphan".into(),
        6 => "%2E".into(),
        7 => "b64.abc".into(),
        8 => "0123456789abcdef0123456789ABCDEF__x".into(),
        9 => "a".repeat(241),
        10 => "é".repeat(150),
        11 => "<a&b>".into(),
        12 => "\u{2028}".into(),
        13 => " ".into(),
        14 => "\\".into(),
        15 => "/".into(),
        16 => "q".into(),
        17 => "%".repeat(81),
        _ => {
            let s = String::arbitrary(u)?;
            if s.is_empty() {
                "\u{0}".into()
            } else {
                s
            }
        }
    })
}

/// A non-empty queue name as valid UTF-8 (it appears in meta JSON).
pub fn queue_name(u: &mut Unstructured<'_>) -> Result<String> {
    if u.ratio(3, 4)? {
        live_queue_name(u)
    } else {
        tricky_queue_name(u)
    }
}

/// Pieces of names that only the key can hold: invalid UTF-8 (bad lead
/// bytes, cut sequences, overlong forms, surrogates), control characters
/// and non-ASCII text.
const KEY_ONLY_PIECES: &[&[u8]] = &[
    b"\xff",
    b"\x80",
    b"\xe2\x82",
    b"\xc0\xaf",
    b"\xed\xa0\x80",
    b"\xf4\x90\x80\x80",
    b"\x00",
    b"\x01\x1f",
    b"\t\n\r",
    b"\x7f",
    "\u{e9}t\u{e9}".as_bytes(),
    "\u{30ad}\u{30e5}\u{30fc}".as_bytes(),
    "\u{2028}\u{2029}".as_bytes(),
    "\u{1f600}".as_bytes(),
    "\u{fffd}".as_bytes(),
    b"<&>",
    b" ",
];

/// A queue name that only the key holds (its meta record's `name` is
/// empty): invalid UTF-8, control characters, non-ASCII text,
/// mixed with live-alphabet bytes; at most 60 bytes, so it never takes
/// the hash fallback.
pub fn key_only_queue_name(u: &mut Unstructured<'_>) -> Result<Vec<u8>> {
    let mut v = Vec::new();
    for _ in 0..u.int_in_range(1..=4u8)? {
        if u.ratio(1, 2)? {
            for _ in 0..u.int_in_range(1..=4u8)? {
                v.push(*u.choose(LIVE_ALPHABET)?);
            }
        }
        if u.ratio(1, 6)? {
            v.push(u8::arbitrary(u)?);
        } else {
            v.extend_from_slice(u.choose(KEY_ONLY_PIECES)?);
        }
    }
    v.truncate(60);
    Ok(v)
}

/// A queue name for a queue with a meta record, and whether only the key
/// holds it (then the meta's `name` is empty): mostly [`queue_name`],
/// one time in eight [`key_only_queue_name`].
pub fn meta_queue_name(u: &mut Unstructured<'_>) -> Result<(Vec<u8>, bool)> {
    if u.ratio(1, 8)? {
        Ok((key_only_queue_name(u)?, true))
    } else {
        Ok((queue_name(u)?.into_bytes(), false))
    }
}

/// True when a queue name touches no Decision: not empty, not `.` or
/// `..`, and its directory is its plain percent-encoding, not the hash
/// fallback (over-long and look-alike names).
pub fn is_shared_name(name: &[u8]) -> bool {
    !name.is_empty()
        && name != b"."
        && name != b".."
        && crate::segment::encode_segment(name) == crate::segment::percent_encode(name)
}

/// A queue name for the `shared` profile, one time in eight the name of
/// an earlier queue (from `earlier`) plus three live-alphabet bytes, so
/// that its base64url segment extends the earlier one's (the legacy
/// boundary rule must still route each key to its own queue); otherwise
/// [`shared_queue_name`].
pub fn shared_queue_name_after(
    u: &mut Unstructured<'_>,
    earlier: &[Vec<u8>],
) -> Result<(Vec<u8>, bool)> {
    if !earlier.is_empty() && u.ratio(1, 8)? {
        let mut name = u.choose(earlier)?.clone();
        for _ in 0..3 {
            name.push(*u.choose(LIVE_ALPHABET)?);
        }
        if is_shared_name(&name) {
            let key_only = std::str::from_utf8(&name).is_err();
            return Ok((name, key_only));
        }
    }
    shared_queue_name(u)
}

/// A queue name for the `shared` profile: [`meta_queue_name`] until it
/// passes [`is_shared_name`] (a live name once the input runs dry).
pub fn shared_queue_name(u: &mut Unstructured<'_>) -> Result<(Vec<u8>, bool)> {
    for _ in 0..8 {
        let (name, key_only) = meta_queue_name(u)?;
        if is_shared_name(&name) {
            return Ok((name, key_only));
        }
    }
    Ok((b"shared".to_vec(), false))
}

/// Raw queue-name bytes: any non-empty byte string, sometimes one whose
/// base64url starts with `p` (a legacy segment next to the `p|` marker).
pub fn raw_queue_name(u: &mut Unstructured<'_>) -> Result<Vec<u8>> {
    Ok(match u.int_in_range(0..=5u8)? {
        0 => queue_name(u)?.into_bytes(),
        1 => {
            let mut v = vec![0xa4 | u.int_in_range(0..=3u8)?];
            v.extend_from_slice(&Vec::<u8>::arbitrary(u)?);
            v
        }
        _ => {
            let mut v = Vec::<u8>::arbitrary(u)?;
            if v.is_empty() {
                v.push(u8::arbitrary(u)?);
            }
            v
        }
    })
}

/// A legacy generation that round-trips: below 2^56 (first byte 0x00),
/// or any gen whose first byte is outside the base64url alphabet.
pub fn legacy_gen(u: &mut Unstructured<'_>) -> Result<u64> {
    Ok(match u.int_in_range(0..=4u8)? {
        0 => u.int_in_range(0..=3u64)?,
        1 => u.int_in_range(1..=1000u64)?,
        2 => u.int_in_range(0..=(1u64 << 56) - 1)?,
        _ => {
            let first = loop {
                let b = u8::arbitrary(u)?;
                if !is_b64url_byte(b) {
                    break b;
                }
                if u.is_empty() {
                    break 0x00;
                }
            };
            (u64::from(first) << 56) | u.int_in_range(0..=(1u64 << 56) - 1)?
        }
    })
}

/// Valid, round-tripping key components for any family (REQ-KEY-7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidKey(pub KeyParts);

impl<'a> Arbitrary<'a> for ValidKey {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let family = *u.choose(&Family::ALL)?;
        let queue = raw_queue_name(u)?;
        Ok(ValidKey(valid_parts(u, family, queue)?))
    }
}

/// Round-tripping components of `family` for `queue` (non-empty).
pub fn valid_parts(u: &mut Unstructured<'_>, family: Family, queue: Vec<u8>) -> Result<KeyParts> {
    let partitioned = family.can_be_partitioned() && u.ratio(1, 3)?;
    let partition = if partitioned {
        Some(u32::arbitrary(u)?)
    } else {
        None
    };
    let gen = if partitioned {
        u64::arbitrary(u)?
    } else {
        legacy_gen(u)?
    };
    let id = |u: &mut Unstructured<'_>| -> Result<Vec<u8>> {
        let mut v = Vec::<u8>::arbitrary(u)?;
        if v.is_empty() {
            v.push(b'0');
        }
        Ok(v)
    };
    Ok(match family {
        Family::QueueMeta => KeyParts::QueueMeta { queue },
        Family::QueueGen => KeyParts::QueueGen { queue },
        Family::QueueSeq => KeyParts::QueueSeq { queue },
        Family::QueueTombstone => KeyParts::QueueTombstone { queue, gen },
        Family::MsgData => KeyParts::MsgData {
            queue,
            partition,
            gen,
            message_id: id(u)?,
        },
        Family::MsgVis => KeyParts::MsgVis {
            queue,
            partition,
            gen,
            visible_at: u64::arbitrary(u)?,
            message_id: Vec::arbitrary(u)?,
        },
        Family::MsgByAge => KeyParts::MsgByAge {
            queue,
            partition,
            gen,
            send_ts: u64::arbitrary(u)?,
            message_id: Vec::arbitrary(u)?,
        },
        Family::MsgDedup => KeyParts::MsgDedup {
            queue,
            partition: match partition {
                Some(p) => Some((p, Vec::arbitrary(u)?)),
                None => None,
            },
            gen,
            dedup_id: Vec::arbitrary(u)?,
        },
        Family::MsgGroup => KeyParts::MsgGroup {
            queue,
            partition,
            gen,
            group: Vec::arbitrary(u)?,
        },
    })
}

/// The legacy gen of `parts`, if it has one.
fn legacy_gen_of(parts: &KeyParts) -> Option<u64> {
    if parts.partition().is_some() {
        return None;
    }
    match parts {
        KeyParts::QueueTombstone { gen, .. }
        | KeyParts::MsgData { gen, .. }
        | KeyParts::MsgVis { gen, .. }
        | KeyParts::MsgByAge { gen, .. }
        | KeyParts::MsgDedup { gen, .. }
        | KeyParts::MsgGroup { gen, .. } => Some(*gen),
        _ => None,
    }
}

/// True when `parse(build(parts)) == Ok(parts)` must hold: a non-empty
/// queue, a non-empty data message id, and no legacy gen whose first byte
/// is in the base64url alphabet (the documented limit, REQ-KEY-8).
pub fn round_trips(parts: &KeyParts) -> bool {
    if parts.queue().is_empty() {
        return false;
    }
    if let KeyParts::MsgData { message_id, .. } = parts {
        if message_id.is_empty() {
            return false;
        }
    }
    match legacy_gen_of(parts) {
        Some(g) => !is_b64url_byte(g.to_be_bytes()[0]),
        None => true,
    }
}

/// How a base64url segment is made non-canonical (REQ-KEY-6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Arbitrary)]
pub enum B64Flaw {
    /// Nonzero trailing bits (`cR` for `cQ`).
    TrailingBits,
    /// `=` padding.
    Padding,
    /// CR/LF inside.
    CrLf,
    /// Length 1 mod 4 (one extra alphabet byte).
    LenOneMod4,
    /// The standard alphabet's `+` or `/`.
    StdAlphabet,
}

impl B64Flaw {
    /// Spoil the canonical encoding `seg`.
    pub fn apply(self, seg: &str) -> Vec<u8> {
        let mut v = seg.as_bytes().to_vec();
        match self {
            B64Flaw::TrailingBits => {
                // Only encodings with a partial last group have spare bits.
                if v.len() % 4 == 0 {
                    // Make it 2 chars mod 4: append "AB" (B has bits in the
                    // spare positions of a 1-byte group).
                    v.extend_from_slice(b"AB");
                } else if let Some(last) = v.last_mut() {
                    let idx = b64_index(*last);
                    let spare = if seg.len() % 4 == 2 { 0x0f } else { 0x03 };
                    // A canonical encoding has zero spare bits, so this
                    // always changes the byte.
                    *last = B64_ALPHABET[usize::from(idx | spare)];
                }
            }
            B64Flaw::Padding => {
                v.extend_from_slice(match seg.len() % 4 {
                    2 => b"==",
                    3 => b"=",
                    _ => b"====",
                });
            }
            B64Flaw::CrLf => {
                let at = v.len() / 2;
                v.splice(at..at, *b"\r\n");
            }
            B64Flaw::LenOneMod4 => {
                while v.len() % 4 != 1 {
                    v.push(b'A');
                }
            }
            B64Flaw::StdAlphabet => {
                let at = v.len() / 2;
                v.insert(at, b'+');
                v.insert(at, b'/');
            }
        }
        v
    }
}

const B64_ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn b64_index(c: u8) -> u8 {
    B64_ALPHABET.iter().position(|&a| a == c).unwrap_or(0) as u8
}

/// Keys that must not parse as their components, each with the result
/// the parsers must give (REQ-ERR-2, REQ-KEY-2..REQ-KEY-6, REQ-KEY-8).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdversarialKey {
    /// A valid key with `cut` bytes removed from the end.
    Truncated {
        /// The original components.
        parts: KeyParts,
        /// Bytes removed (at least one).
        cut: usize,
    },
    /// `p|` b64(queue) with no `|` after the queue segment.
    MissingTerminator {
        /// A partitionable family.
        family: Family,
        /// The queue name.
        queue: Vec<u8>,
        /// Bytes after the queue segment (none of them `|`).
        tail: Vec<u8>,
    },
    /// An empty queue segment (legacy or partitioned).
    EmptyQueue {
        /// Which family.
        family: Family,
        /// Use the partitioned layout (`p||...`).
        partitioned: bool,
        /// Bytes after the prefix (a non-alphabet first byte).
        tail: Vec<u8>,
    },
    /// A non-alphabet byte inside the queue (partitioned) or a trailing
    /// id segment.
    ForeignByte {
        /// The original components.
        parts: KeyParts,
        /// Where in the last segment (modulo its length).
        at: usize,
        /// The byte (mapped out of the alphabet).
        byte: u8,
    },
    /// The last base64 segment (or the whole queue segment of a scalar
    /// key) made non-canonical.
    NonCanonical {
        /// The original components.
        parts: KeyParts,
        /// How.
        flaw: B64Flaw,
    },
    /// A legacy key whose gen ≥ 2^56 starts with an alphabet byte.
    HighGen {
        /// The original components (legacy, gen rewritten).
        parts: KeyParts,
    },
    /// Not a known family: `!sqs|msg|bogus|`, `!sqs|queue|`, `!sqs|`,
    /// `!SQS|…`, a family prefix missing its final `|`.
    WrongPrefix {
        /// Which prefix.
        which: u8,
        /// What follows.
        tail: Vec<u8>,
    },
    /// `p|` look-alikes: `P|`, `p` without `|`, `p|` on a family that has
    /// no partitioned layout, `p||`.
    PartitionLookalike {
        /// Which family.
        family: Family,
        /// Which look-alike.
        which: u8,
        /// What follows.
        tail: Vec<u8>,
    },
    /// A very long queue or id segment.
    Oversize {
        /// Which family.
        family: Family,
        /// Segment length in raw bytes.
        len: usize,
    },
    /// Arbitrary bytes after a real family prefix.
    Raw {
        /// Which family.
        family: Family,
        /// The rest.
        tail: Vec<u8>,
    },
}

/// What the parsers must do with an adversarial key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expect {
    /// `parse` and `route` both fail.
    Err,
    /// `parse` fails with exactly this problem.
    Problem(KeyProblem),
    /// `parse` fails or gives components other than these (the key was
    /// damaged, but the damage may still spell a valid key).
    NotThese(KeyParts),
    /// `parse` gives exactly these components (a valid key in disguise).
    These(KeyParts),
    /// No constraint beyond totality and consistency.
    Anything,
}

fn last_segment_start(parts: &KeyParts, key: &[u8]) -> usize {
    let tail_len = match parts {
        KeyParts::QueueMeta { queue }
        | KeyParts::QueueGen { queue }
        | KeyParts::QueueSeq { queue } => key::b64(queue).len(),
        KeyParts::QueueTombstone { .. } => 0,
        KeyParts::MsgData { message_id, .. }
        | KeyParts::MsgVis { message_id, .. }
        | KeyParts::MsgByAge { message_id, .. } => key::b64(message_id).len(),
        KeyParts::MsgDedup { dedup_id, .. } => key::b64(dedup_id).len(),
        KeyParts::MsgGroup { group, .. } => key::b64(group).len(),
    };
    key.len() - tail_len
}

impl AdversarialKey {
    /// The key bytes.
    pub fn bytes(&self) -> Vec<u8> {
        match self {
            AdversarialKey::Truncated { parts, cut } => {
                let mut k = build(parts);
                let keep = k.len().saturating_sub(*cut);
                k.truncate(keep);
                k
            }
            AdversarialKey::MissingTerminator {
                family,
                queue,
                tail,
            } => {
                let mut k = family.prefix().as_bytes().to_vec();
                k.extend_from_slice(b"p|");
                k.extend_from_slice(key::b64(queue).as_bytes());
                k.extend(tail.iter().filter(|&&b| b != b'|'));
                k
            }
            AdversarialKey::EmptyQueue {
                family,
                partitioned,
                tail,
            } => {
                let mut k = family.prefix().as_bytes().to_vec();
                if *partitioned && family.can_be_partitioned() {
                    k.extend_from_slice(b"p||");
                    k.extend_from_slice(tail);
                } else if let Some(first) = tail.first() {
                    k.push(if is_b64url_byte(*first) { 0 } else { *first });
                    k.extend_from_slice(&tail[1..]);
                }
                k
            }
            AdversarialKey::ForeignByte { parts, at, byte } => {
                let mut k = build(parts);
                let start = last_segment_start(parts, &k);
                let seg_len = k.len() - start;
                let b = foreign(*byte);
                if seg_len == 0 {
                    k.push(b);
                } else {
                    let pos = start + at % seg_len;
                    k.insert(pos, b);
                }
                k
            }
            AdversarialKey::NonCanonical { parts, flaw } => {
                let mut k = build(parts);
                let start = last_segment_start(parts, &k);
                let seg = String::from_utf8_lossy(&k[start..]).into_owned();
                k.truncate(start);
                k.extend_from_slice(&flaw.apply(&seg));
                k
            }
            AdversarialKey::HighGen { parts } => build(parts),
            AdversarialKey::WrongPrefix { which, tail } => {
                let prefix: &[u8] = match which % 8 {
                    0 => b"!sqs|msg|bogus|",
                    1 => b"!sqs|queue|",
                    2 => b"!sqs|",
                    3 => b"!SQS|queue|meta|",
                    4 => b"!sqs|msg|data",
                    5 => b"!sqs|queue|metadata|",
                    6 => b"!sqs|msg|visible|",
                    _ => b"sqs|queue|meta|",
                };
                let mut k = prefix.to_vec();
                k.extend_from_slice(tail);
                k
            }
            AdversarialKey::PartitionLookalike {
                family,
                which,
                tail,
            } => {
                let mut k = family.prefix().as_bytes().to_vec();
                let look: &[u8] = match which % 4 {
                    0 => b"P|",
                    1 => b"p",
                    2 => b"p|",
                    _ => b"p||",
                };
                k.extend_from_slice(look);
                k.extend_from_slice(tail);
                k
            }
            AdversarialKey::Oversize { family, len } => {
                let queue = vec![b'q'; *len];
                let parts = KeyParts::QueueMeta {
                    queue: queue.clone(),
                };
                let parts = match family {
                    Family::MsgData => KeyParts::MsgData {
                        queue,
                        partition: None,
                        gen: 1,
                        message_id: vec![b'm'; *len],
                    },
                    _ => parts,
                };
                build(&parts)
            }
            AdversarialKey::Raw { family, tail } => {
                let mut k = family.prefix().as_bytes().to_vec();
                k.extend_from_slice(tail);
                k
            }
        }
    }

    /// What the parsers must make of [`Self::bytes`].
    pub fn expect(&self) -> Expect {
        match self {
            AdversarialKey::Truncated { parts, .. } => Expect::NotThese(parts.clone()),
            AdversarialKey::MissingTerminator { .. } => {
                Expect::Problem(KeyProblem::NoPartitionTerminator)
            }
            AdversarialKey::EmptyQueue { .. } => Expect::Problem(KeyProblem::EmptyQueue),
            AdversarialKey::ForeignByte { parts, .. } => Expect::NotThese(parts.clone()),
            AdversarialKey::NonCanonical { parts, flaw } => match flaw {
                // All-alphabet flaws can never be absorbed by a boundary.
                B64Flaw::TrailingBits | B64Flaw::LenOneMod4 => Expect::Err,
                _ => Expect::NotThese(parts.clone()),
            },
            AdversarialKey::HighGen { parts } => Expect::NotThese(parts.clone()),
            AdversarialKey::WrongPrefix { .. } => {
                // The tail may complete a real prefix (`!sqs|` + `msg|data|`).
                if Family::split(&self.bytes()).is_some() {
                    Expect::Anything
                } else {
                    Expect::Problem(KeyProblem::UnknownFamily)
                }
            }
            AdversarialKey::PartitionLookalike { .. } => Expect::Anything,
            AdversarialKey::Oversize { family, len } => {
                let queue = vec![b'q'; *len];
                Expect::These(match family {
                    Family::MsgData => KeyParts::MsgData {
                        queue,
                        partition: None,
                        gen: 1,
                        message_id: vec![b'm'; *len],
                    },
                    _ => KeyParts::QueueMeta { queue },
                })
            }
            AdversarialKey::Raw { .. } => Expect::Anything,
        }
    }
}

/// Map any byte outside the base64url alphabet (and away from `|`).
fn foreign(b: u8) -> u8 {
    if is_b64url_byte(b) || b == b'|' {
        [0x00, b'=', b'.', 0xff, b'\n', b'+', b'/'][usize::from(b) % 7]
    } else {
        b
    }
}

impl<'a> Arbitrary<'a> for AdversarialKey {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let family = *u.choose(&Family::ALL)?;
        let partitionable = *u.choose(&[
            Family::MsgData,
            Family::MsgVis,
            Family::MsgByAge,
            Family::MsgDedup,
            Family::MsgGroup,
        ])?;
        Ok(match u.int_in_range(0..=9u8)? {
            0 => {
                let ValidKey(parts) = ValidKey::arbitrary(u)?;
                let len = build(&parts).len();
                let cut = u.int_in_range(1..=len.max(1))?;
                AdversarialKey::Truncated { parts, cut }
            }
            1 => AdversarialKey::MissingTerminator {
                family: partitionable,
                queue: raw_queue_name(u)?,
                tail: Vec::arbitrary(u)?,
            },
            2 => {
                let mut tail = Vec::<u8>::arbitrary(u)?;
                if tail.is_empty() {
                    tail.push(0);
                }
                AdversarialKey::EmptyQueue {
                    family,
                    partitioned: bool::arbitrary(u)?,
                    tail,
                }
            }
            3 => {
                // Keep the foreign byte away from a legacy boundary: use
                // partitioned layouts or scalar families, where every
                // segment is delimited.
                let queue = raw_queue_name(u)?;
                let parts = valid_parts(u, family, queue)?;
                AdversarialKey::ForeignByte {
                    parts,
                    at: usize::arbitrary(u)?,
                    byte: u8::arbitrary(u)?,
                }
            }
            4 => {
                let queue = raw_queue_name(u)?;
                let mut parts = valid_parts(u, family, queue)?;
                if let KeyParts::QueueTombstone { queue, .. } = &parts {
                    parts = KeyParts::QueueMeta {
                        queue: queue.clone(),
                    };
                }
                AdversarialKey::NonCanonical {
                    parts,
                    flaw: B64Flaw::arbitrary(u)?,
                }
            }
            5 => {
                let queue = raw_queue_name(u)?;
                let fam =
                    *u.choose(&[Family::QueueTombstone, Family::MsgData, Family::MsgGroup])?;
                let first = *u.choose(LIVE_ALPHABET)?;
                let gen = (u64::from(first) << 56) | u.int_in_range(0..=(1u64 << 56) - 1)?;
                let parts = match fam {
                    Family::QueueTombstone => KeyParts::QueueTombstone { queue, gen },
                    Family::MsgData => KeyParts::MsgData {
                        queue,
                        partition: None,
                        gen,
                        message_id: b"m".to_vec(),
                    },
                    _ => KeyParts::MsgGroup {
                        queue,
                        partition: None,
                        gen,
                        group: Vec::arbitrary(u)?,
                    },
                };
                AdversarialKey::HighGen { parts }
            }
            6 => AdversarialKey::WrongPrefix {
                which: u8::arbitrary(u)?,
                tail: Vec::arbitrary(u)?,
            },
            7 => AdversarialKey::PartitionLookalike {
                family,
                which: u8::arbitrary(u)?,
                tail: Vec::arbitrary(u)?,
            },
            8 => AdversarialKey::Oversize {
                family: *u.choose(&[Family::QueueMeta, Family::MsgData])?,
                len: *u.choose(&[241usize, 4096, 70_000])?,
            },
            _ => AdversarialKey::Raw {
                family,
                tail: Vec::arbitrary(u)?,
            },
        })
    }
}

/// The checks every key must pass, valid or not (REQ-ERR-2, REQ-KEY-7):
/// `parse` and `route` agree; a parsed key rebuilds to the same bytes;
/// `route` gives a non-empty queue whose encoding is a prefix-free
/// segment of the key. Returns a description of the first violation.
pub fn check_key_consistency(k: &[u8]) -> std::result::Result<(), String> {
    let parsed = key::parse(k);
    let routed = key::route(k);
    if let Ok(parts) = &parsed {
        let rebuilt = build(parts);
        if rebuilt != k {
            return Err(format!(
                "build(parse(k)) != k: k={} rebuilt={} parts={parts:?}",
                k.escape_ascii(),
                rebuilt.escape_ascii()
            ));
        }
        let r = routed
            .as_ref()
            .map_err(|e| format!("parse ok but route failed: {e}"))?;
        if r.family != parts.family()
            || r.queue != parts.queue()
            || r.partition != parts.partition()
        {
            return Err(format!("route {r:?} disagrees with parse {parts:?}"));
        }
    }
    if let Ok(r) = &routed {
        if r.queue.is_empty() {
            return Err(format!(
                "route gave an empty queue for {}",
                k.escape_ascii()
            ));
        }
        if key::b64(&r.queue) != r.encoded_queue {
            return Err(format!("route's encoded queue is not canonical: {r:?}"));
        }
        if let Some(d) = &r.data {
            if let Ok(KeyParts::MsgData {
                gen, message_id, ..
            }) = &parsed
            {
                if d.gen != *gen || d.message_id != *message_id {
                    return Err(format!("route data {d:?} disagrees with parse"));
                }
            }
        }
    }
    // `parse` is `route` plus more checks: a routing error is its error.
    if let Err(e) = &routed {
        if parsed.as_ref().err() != Some(e) {
            return Err(format!("route failed with {e:?} but parse gave {parsed:?}"));
        }
    }
    Ok(())
}

/// Check an adversarial key against its expectation and
/// [`check_key_consistency`].
pub fn check_adversarial(a: &AdversarialKey) -> std::result::Result<(), String> {
    let k = a.bytes();
    check_key_consistency(&k)?;
    let parsed = key::parse(&k);
    let ok = match (a.expect(), &parsed) {
        (Expect::Err, r) => r.is_err(),
        (Expect::Problem(p), r) => r.as_ref().err() == Some(&p),
        (Expect::NotThese(parts), r) => r.as_ref().ok() != Some(&parts),
        (Expect::These(parts), r) => r.as_ref().ok() == Some(&parts),
        (Expect::Anything, _) => true,
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "adversarial key {a:?} (bytes {}) gave {parsed:?}, expected {:?}",
            k.escape_ascii(),
            a.expect()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // REQ-CLI-10: the `shared` profile's names stay clear of the dot-name
    // and hash-fallback Decisions, and key-only names are short, non-empty
    // and mostly not UTF-8-clean ASCII.
    #[test]
    fn shared_names_avoid_dot_and_fallback_names() {
        for bad in [
            &b""[..],
            b".",
            b"..",
            &[b'a'; 241],
            "\u{e9}".repeat(150).as_bytes(),
            &[b'%'; 81],
            b"0123456789abcdef0123456789ABCDEF__x",
            b"b64.abc",
        ] {
            assert!(!is_shared_name(bad), "{}", bad.escape_ascii());
        }
        for good in [
            &b"q"[..],
            b"...",
            b"%2E",
            b"\xff\x00",
            b"x.orphan",
            &[b'a'; 240],
        ] {
            assert!(is_shared_name(good), "{}", good.escape_ascii());
        }
        let mut odd = 0;
        for seed in 0..200u64 {
            let buf = crate::testkit::seeded::seeded_bytes(seed, 256);
            let mut u = Unstructured::new(&buf);
            let name = key_only_queue_name(&mut u).expect("name");
            assert!(!name.is_empty() && name.len() <= 60);
            assert!(is_shared_name(&name), "{}", name.escape_ascii());
            let (shared, _) = shared_queue_name(&mut u).expect("name");
            assert!(is_shared_name(&shared), "{}", shared.escape_ascii());
            if std::str::from_utf8(&name).is_err() || name.iter().any(u8::is_ascii_control) {
                odd += 1;
            }
        }
        assert!(odd > 100, "{odd}");
    }
}
