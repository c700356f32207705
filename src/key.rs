//! SQS user keys: families, parsing and building (REQ-KEY-*).
//!
//! Two parsers live here, on purpose:
//!
//! - [`route`] is what the decoder uses. It follows upstream's rules for
//!   finding the queue segment (and, for message data, the gen and message
//!   id), made strict about base64url (REQ-KEY-6). Side-record trailers are
//!   opaque to it, exactly as upstream treats them.
//! - [`parse`] reads every component of every family. It is the inverse
//!   of [`build`] and is what round-trip properties and fuzz targets check.
//!
//! Layouts (`b64` = canonical unpadded base64url, `u32be`/`u64be` =
//! fixed-width big endian):
//!
//! | family | legacy | partitioned (`p|` after the prefix) |
//! |---|---|---|
//! | meta, gen, seq | b64(queue) | — |
//! | tombstone | b64(queue) u64be(gen) | — |
//! | data | b64(queue) gen b64(msg_id) | b64(queue) `|` u32be(part) gen b64(msg_id) |
//! | vis | b64(queue) gen u64be(visible_at) b64(msg_id) | … `|` part gen visible_at b64(msg_id) |
//! | byage | b64(queue) gen u64be(send_ts) b64(msg_id) | … `|` part gen send_ts b64(msg_id) |
//! | dedup | b64(queue) gen b64(dedup_id) | … `|` part gen b64(group) `|` b64(dedup_id) |
//! | group | b64(queue) gen b64(group) | … `|` part gen b64(group) |

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

use crate::error::{Escaped, KeyProblem};

/// Prefix shared by every SQS key.
pub const SQS_PREFIX: &[u8] = b"!sqs|";

/// True when a user key belongs to the SQS keyspace.
pub fn is_sqs_key(user_key: &[u8]) -> bool {
    user_key.starts_with(SQS_PREFIX)
}

/// Discriminator that marks a partitioned (HT-FIFO) key.
const PARTITIONED: &[u8] = b"p|";
/// Width of a u64be field.
const U64: usize = 8;
/// Width of a u32be field.
const U32: usize = 4;

/// The SQS key families (REQ-KEY-1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "testkit", derive(arbitrary::Arbitrary))]
pub enum Family {
    /// `!sqs|queue|meta|`: the queue's catalog record.
    QueueMeta,
    /// `!sqs|queue|gen|`: the queue's active generation.
    QueueGen,
    /// `!sqs|queue|seq|`: the FIFO sequence counter.
    QueueSeq,
    /// `!sqs|queue|tombstone|`: a deleted generation.
    QueueTombstone,
    /// `!sqs|msg|data|`: a message.
    MsgData,
    /// `!sqs|msg|vis|`: visibility index.
    MsgVis,
    /// `!sqs|msg|byage|`: send-age index.
    MsgByAge,
    /// `!sqs|msg|dedup|`: FIFO deduplication record.
    MsgDedup,
    /// `!sqs|msg|group|`: FIFO group lock.
    MsgGroup,
}

impl Family {
    /// Every family, in prefix order.
    pub const ALL: [Family; 9] = [
        Family::MsgByAge,
        Family::MsgData,
        Family::MsgDedup,
        Family::MsgGroup,
        Family::MsgVis,
        Family::QueueGen,
        Family::QueueMeta,
        Family::QueueSeq,
        Family::QueueTombstone,
    ];

    /// The key prefix, e.g. `!sqs|msg|data|`.
    pub fn prefix(self) -> &'static str {
        match self {
            Family::QueueMeta => "!sqs|queue|meta|",
            Family::QueueGen => "!sqs|queue|gen|",
            Family::QueueSeq => "!sqs|queue|seq|",
            Family::QueueTombstone => "!sqs|queue|tombstone|",
            Family::MsgData => "!sqs|msg|data|",
            Family::MsgVis => "!sqs|msg|vis|",
            Family::MsgByAge => "!sqs|msg|byage|",
            Family::MsgDedup => "!sqs|msg|dedup|",
            Family::MsgGroup => "!sqs|msg|group|",
        }
    }

    /// Families whose key is only `prefix + b64(queue)`.
    pub fn is_queue_scalar(self) -> bool {
        matches!(
            self,
            Family::QueueMeta | Family::QueueGen | Family::QueueSeq
        )
    }

    /// Families that can have a partitioned layout.
    pub fn can_be_partitioned(self) -> bool {
        matches!(
            self,
            Family::MsgData
                | Family::MsgVis
                | Family::MsgByAge
                | Family::MsgDedup
                | Family::MsgGroup
        )
    }

    /// Side records: kept only with `--include-sqs-side-records`
    /// (REQ-DEC-8, REQ-DEC-9).
    pub fn is_side_record(self) -> bool {
        !matches!(self, Family::QueueMeta | Family::QueueGen | Family::MsgData)
    }

    /// Split a key into its family and the bytes after the prefix.
    // REQ-KEY-1
    pub fn split(key: &[u8]) -> Option<(Family, &[u8])> {
        Family::ALL.into_iter().find_map(|f| {
            key.strip_prefix(f.prefix().as_bytes())
                .map(|rest| (f, rest))
        })
    }
}

/// True for the base64url alphabet `A-Za-z0-9-_`.
pub fn is_b64url_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'-' || c == b'_'
}

/// Canonical unpadded base64url of `raw`.
pub fn b64(raw: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(raw)
}

/// Decode a key segment strictly (REQ-KEY-6): alphabet only, no `=`, no
/// CR/LF, length not 1 mod 4, zero trailing bits. Upstream's decoder
/// accepts nonzero trailing bits, so `cQ` and `cR` would both name `q`.
pub fn decode_b64_strict(segment: &'static str, text: &[u8]) -> Result<Vec<u8>, KeyProblem> {
    URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|_| KeyProblem::BadBase64 {
            segment,
            text: Escaped::of(text),
        })
}

fn read_u64(b: &[u8]) -> Option<u64> {
    let arr: [u8; U64] = b.get(..U64)?.try_into().ok()?;
    Some(u64::from_be_bytes(arr))
}

fn read_u32(b: &[u8]) -> Option<u32> {
    let arr: [u8; U32] = b.get(..U32)?.try_into().ok()?;
    Some(u32::from_be_bytes(arr))
}

/// Message-data components read from the key itself, used for the
/// key/value cross-check (REQ-DEC-10).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataKeyFields {
    /// The 8 gen bytes after the queue segment (or partition).
    pub gen: u64,
    /// The decoded message-id segment.
    pub message_id: Vec<u8>,
}

/// What the decoder needs from a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The key family.
    pub family: Family,
    /// The encoded (base64url) queue segment, as in the key.
    pub encoded_queue: String,
    /// The decoded queue name bytes (never empty).
    pub queue: Vec<u8>,
    /// The partition of a partitioned key.
    pub partition: Option<u32>,
    /// For message data keys: gen and message id.
    pub data: Option<DataKeyFields>,
}

/// Find the queue segment and routing facts of an SQS key
/// (REQ-KEY-2..REQ-KEY-6). Errors are the problems of a malformed key;
/// [`KeyProblem::UnknownFamily`] means the key is not in any known family.
// REQ-KEY-3, REQ-KEY-5, REQ-KEY-9, REQ-KEY-10
pub fn route(key: &[u8]) -> Result<Route, KeyProblem> {
    let (family, rest) = Family::split(key).ok_or(KeyProblem::UnknownFamily)?;
    if family.is_queue_scalar() {
        // REQ-KEY-5: prefix + b64(queue), nothing after.
        let (encoded, queue) = queue_segment(rest)?;
        if encoded.len() != rest.len() {
            return Err(KeyProblem::TrailingBytes);
        }
        return Ok(Route {
            family,
            encoded_queue: encoded,
            queue,
            partition: None,
            data: None,
        });
    }
    if family.can_be_partitioned() {
        if let Some(after) = rest.strip_prefix(PARTITIONED) {
            return route_partitioned(family, after);
        }
    }
    // REQ-KEY-2, REQ-KEY-3: legacy layout; the queue segment ends at the
    // first byte outside the base64url alphabet.
    let (encoded, queue) = queue_segment(rest)?;
    let trailer = &rest[encoded.len()..];
    if trailer.is_empty() {
        return Err(KeyProblem::NoBoundary);
    }
    let data = if family == Family::MsgData {
        Some(data_fields(trailer)?)
    } else {
        None
    };
    Ok(Route {
        family,
        encoded_queue: encoded,
        queue,
        partition: None,
        data,
    })
}

/// REQ-KEY-4: `p|` b64(queue) `|` then a trailer of at least part + gen
/// (and, for data keys, a non-empty message id).
// REQ-KEY-9
fn route_partitioned(family: Family, after: &[u8]) -> Result<Route, KeyProblem> {
    let bar = after
        .iter()
        .position(|&c| c == b'|')
        .ok_or(KeyProblem::NoPartitionTerminator)?;
    let encoded_bytes = &after[..bar];
    if encoded_bytes.is_empty() {
        return Err(KeyProblem::EmptyQueue);
    }
    let queue = decode_b64_strict("queue", encoded_bytes)?;
    let trailer = &after[bar + 1..];
    if trailer.len() < U32 + U64 {
        return Err(KeyProblem::ShortTrailer {
            got: trailer.len(),
            need: U32 + U64,
        });
    }
    let partition = read_u32(trailer);
    let data = if family == Family::MsgData {
        Some(data_fields(&trailer[U32..])?)
    } else {
        None
    };
    Ok(Route {
        family,
        encoded_queue: String::from_utf8_lossy(encoded_bytes).into_owned(),
        queue,
        partition,
        data,
    })
}

/// The leading base64url run of `rest`, which must be non-empty and
/// decode strictly to a non-empty name.
// REQ-KEY-9
fn queue_segment(rest: &[u8]) -> Result<(String, Vec<u8>), KeyProblem> {
    let end = rest
        .iter()
        .position(|&c| !is_b64url_byte(c))
        .unwrap_or(rest.len());
    let encoded = &rest[..end];
    if encoded.is_empty() {
        return Err(KeyProblem::EmptyQueue);
    }
    let queue = decode_b64_strict("queue", encoded)?;
    // Alphabet bytes only, so this is ASCII.
    Ok((String::from_utf8_lossy(encoded).into_owned(), queue))
}

/// gen (8 bytes) then a non-empty, strictly decoded message id.
fn data_fields(trailer: &[u8]) -> Result<DataKeyFields, KeyProblem> {
    let gen = read_u64(trailer).ok_or(KeyProblem::ShortTrailer {
        got: trailer.len(),
        need: U64 + 1,
    })?;
    let id = &trailer[U64..];
    if id.is_empty() {
        return Err(KeyProblem::EmptyMessageId);
    }
    Ok(DataKeyFields {
        gen,
        message_id: decode_b64_strict("message id", id)?,
    })
}

/// Every component of an SQS key. [`build`] writes it; [`parse`] reads it
/// back (REQ-KEY-7).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "testkit", derive(arbitrary::Arbitrary))]
pub enum KeyParts {
    /// `!sqs|queue|meta|` b64(queue)
    QueueMeta {
        /// Queue name bytes.
        queue: Vec<u8>,
    },
    /// `!sqs|queue|gen|` b64(queue)
    QueueGen {
        /// Queue name bytes.
        queue: Vec<u8>,
    },
    /// `!sqs|queue|seq|` b64(queue)
    QueueSeq {
        /// Queue name bytes.
        queue: Vec<u8>,
    },
    /// `!sqs|queue|tombstone|` b64(queue) gen
    QueueTombstone {
        /// Queue name bytes.
        queue: Vec<u8>,
        /// Deleted generation.
        gen: u64,
    },
    /// `!sqs|msg|data|` …
    MsgData {
        /// Queue name bytes.
        queue: Vec<u8>,
        /// Partition, for the partitioned layout.
        partition: Option<u32>,
        /// Queue generation.
        gen: u64,
        /// Message id bytes.
        message_id: Vec<u8>,
    },
    /// `!sqs|msg|vis|` …
    MsgVis {
        /// Queue name bytes.
        queue: Vec<u8>,
        /// Partition, for the partitioned layout.
        partition: Option<u32>,
        /// Queue generation.
        gen: u64,
        /// When the message becomes visible (millis).
        visible_at: u64,
        /// Message id bytes.
        message_id: Vec<u8>,
    },
    /// `!sqs|msg|byage|` …
    MsgByAge {
        /// Queue name bytes.
        queue: Vec<u8>,
        /// Partition, for the partitioned layout.
        partition: Option<u32>,
        /// Queue generation.
        gen: u64,
        /// Send timestamp (millis).
        send_ts: u64,
        /// Message id bytes.
        message_id: Vec<u8>,
    },
    /// `!sqs|msg|dedup|` …
    MsgDedup {
        /// Queue name bytes.
        queue: Vec<u8>,
        /// Partition and group id, for the partitioned layout.
        partition: Option<(u32, Vec<u8>)>,
        /// Queue generation.
        gen: u64,
        /// Deduplication id bytes.
        dedup_id: Vec<u8>,
    },
    /// `!sqs|msg|group|` …
    MsgGroup {
        /// Queue name bytes.
        queue: Vec<u8>,
        /// Partition, for the partitioned layout.
        partition: Option<u32>,
        /// Queue generation.
        gen: u64,
        /// Group id bytes.
        group: Vec<u8>,
    },
}

impl KeyParts {
    /// The family of these parts.
    pub fn family(&self) -> Family {
        match self {
            KeyParts::QueueMeta { .. } => Family::QueueMeta,
            KeyParts::QueueGen { .. } => Family::QueueGen,
            KeyParts::QueueSeq { .. } => Family::QueueSeq,
            KeyParts::QueueTombstone { .. } => Family::QueueTombstone,
            KeyParts::MsgData { .. } => Family::MsgData,
            KeyParts::MsgVis { .. } => Family::MsgVis,
            KeyParts::MsgByAge { .. } => Family::MsgByAge,
            KeyParts::MsgDedup { .. } => Family::MsgDedup,
            KeyParts::MsgGroup { .. } => Family::MsgGroup,
        }
    }

    /// The queue name bytes.
    pub fn queue(&self) -> &[u8] {
        match self {
            KeyParts::QueueMeta { queue }
            | KeyParts::QueueGen { queue }
            | KeyParts::QueueSeq { queue }
            | KeyParts::QueueTombstone { queue, .. }
            | KeyParts::MsgData { queue, .. }
            | KeyParts::MsgVis { queue, .. }
            | KeyParts::MsgByAge { queue, .. }
            | KeyParts::MsgDedup { queue, .. }
            | KeyParts::MsgGroup { queue, .. } => queue,
        }
    }

    /// The partition, if the layout is partitioned.
    pub fn partition(&self) -> Option<u32> {
        match self {
            KeyParts::MsgData { partition, .. }
            | KeyParts::MsgVis { partition, .. }
            | KeyParts::MsgByAge { partition, .. }
            | KeyParts::MsgGroup { partition, .. } => *partition,
            KeyParts::MsgDedup { partition, .. } => partition.as_ref().map(|(p, _)| *p),
            _ => None,
        }
    }
}

/// Write the key for `parts` (the builders of REQ-KEY-7).
pub fn build(parts: &KeyParts) -> Vec<u8> {
    let mut k = parts.family().prefix().as_bytes().to_vec();
    let head = |k: &mut Vec<u8>, queue: &[u8], partition: Option<u32>| {
        if let Some(p) = partition {
            k.extend_from_slice(PARTITIONED);
            k.extend_from_slice(b64(queue).as_bytes());
            k.push(b'|');
            k.extend_from_slice(&p.to_be_bytes());
        } else {
            k.extend_from_slice(b64(queue).as_bytes());
        }
    };
    match parts {
        KeyParts::QueueMeta { queue }
        | KeyParts::QueueGen { queue }
        | KeyParts::QueueSeq { queue } => {
            k.extend_from_slice(b64(queue).as_bytes());
        }
        KeyParts::QueueTombstone { queue, gen } => {
            head(&mut k, queue, None);
            k.extend_from_slice(&gen.to_be_bytes());
        }
        KeyParts::MsgData {
            queue,
            partition,
            gen,
            message_id,
        } => {
            head(&mut k, queue, *partition);
            k.extend_from_slice(&gen.to_be_bytes());
            k.extend_from_slice(b64(message_id).as_bytes());
        }
        KeyParts::MsgVis {
            queue,
            partition,
            gen,
            visible_at: ts,
            message_id,
        }
        | KeyParts::MsgByAge {
            queue,
            partition,
            gen,
            send_ts: ts,
            message_id,
        } => {
            head(&mut k, queue, *partition);
            k.extend_from_slice(&gen.to_be_bytes());
            k.extend_from_slice(&ts.to_be_bytes());
            k.extend_from_slice(b64(message_id).as_bytes());
        }
        KeyParts::MsgDedup {
            queue,
            partition,
            gen,
            dedup_id,
        } => {
            head(&mut k, queue, partition.as_ref().map(|(p, _)| *p));
            k.extend_from_slice(&gen.to_be_bytes());
            if let Some((_, group)) = partition {
                k.extend_from_slice(b64(group).as_bytes());
                k.push(b'|');
            }
            k.extend_from_slice(b64(dedup_id).as_bytes());
        }
        KeyParts::MsgGroup {
            queue,
            partition,
            gen,
            group,
        } => {
            head(&mut k, queue, *partition);
            k.extend_from_slice(&gen.to_be_bytes());
            k.extend_from_slice(b64(group).as_bytes());
        }
    }
    k
}

/// Read every component of an SQS key (REQ-KEY-7). Stricter than
/// [`route`]: the whole trailer must have its family's shape.
///
/// Known limit (REQ-KEY-8): in the legacy layout the queue segment ends at
/// the first non-alphabet byte, so a gen ≥ 2^56 whose first byte is in the
/// base64url alphabet is read as part of the queue segment.
pub fn parse(key: &[u8]) -> Result<KeyParts, KeyProblem> {
    let r = route(key)?;
    let family = r.family;
    let queue = r.queue;
    if family.is_queue_scalar() {
        return Ok(match family {
            Family::QueueMeta => KeyParts::QueueMeta { queue },
            Family::QueueGen => KeyParts::QueueGen { queue },
            _ => KeyParts::QueueSeq { queue },
        });
    }
    // The bytes after the queue segment (and after `|` + part, when
    // partitioned); `route` has checked that they exist.
    let (_, rest) = Family::split(key).ok_or(KeyProblem::UnknownFamily)?;
    let skip = match r.partition {
        Some(_) => PARTITIONED.len() + r.encoded_queue.len() + 1 + U32,
        None => r.encoded_queue.len(),
    };
    let t = rest.get(skip..).unwrap_or_default();
    let partition = r.partition;
    let gen = read_u64(t).ok_or(KeyProblem::ShortTrailer {
        got: t.len(),
        need: U64,
    })?;
    let after_gen = &t[U64..];
    let parts = match family {
        Family::QueueTombstone => {
            if !after_gen.is_empty() {
                return Err(KeyProblem::TrailingBytes);
            }
            KeyParts::QueueTombstone { queue, gen }
        }
        Family::MsgData => KeyParts::MsgData {
            queue,
            partition,
            gen,
            message_id: decode_b64_strict("message id", after_gen)?,
        },
        Family::MsgVis | Family::MsgByAge => {
            let ts = read_u64(after_gen).ok_or(KeyProblem::ShortTrailer {
                got: t.len(),
                need: 2 * U64,
            })?;
            let message_id = decode_b64_strict("message id", &after_gen[U64..])?;
            if family == Family::MsgVis {
                KeyParts::MsgVis {
                    queue,
                    partition,
                    gen,
                    visible_at: ts,
                    message_id,
                }
            } else {
                KeyParts::MsgByAge {
                    queue,
                    partition,
                    gen,
                    send_ts: ts,
                    message_id,
                }
            }
        }
        Family::MsgDedup => match partition {
            Some(p) => {
                let bar = after_gen
                    .iter()
                    .position(|&c| c == b'|')
                    .ok_or(KeyProblem::NoPartitionTerminator)?;
                let group = decode_b64_strict("group", &after_gen[..bar])?;
                let dedup_id = decode_b64_strict("dedup id", &after_gen[bar + 1..])?;
                KeyParts::MsgDedup {
                    queue,
                    partition: Some((p, group)),
                    gen,
                    dedup_id,
                }
            }
            None => KeyParts::MsgDedup {
                queue,
                partition: None,
                gen,
                dedup_id: decode_b64_strict("dedup id", after_gen)?,
            },
        },
        Family::MsgGroup => KeyParts::MsgGroup {
            queue,
            partition,
            gen,
            group: decode_b64_strict("group", after_gen)?,
        },
        Family::QueueMeta | Family::QueueGen | Family::QueueSeq => {
            return Err(KeyProblem::UnknownFamily)
        }
    };
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(queue: &[u8], partition: Option<u32>, gen: u64, id: &[u8]) -> Vec<u8> {
        build(&KeyParts::MsgData {
            queue: queue.to_vec(),
            partition,
            gen,
            message_id: id.to_vec(),
        })
    }

    // REQ-KEY-2
    #[test]
    fn legacy_data_key_components_parse() {
        let key = data(b"orders", None, 7, b"m-1");
        let r = route(&key).unwrap();
        assert_eq!(r.family, Family::MsgData);
        assert_eq!(r.encoded_queue, "b3JkZXJz");
        assert_eq!(r.queue, b"orders");
        assert_eq!(r.partition, None);
        assert_eq!(
            r.data,
            Some(DataKeyFields {
                gen: 7,
                message_id: b"m-1".to_vec()
            })
        );
    }

    // REQ-KEY-2
    #[test]
    fn empty_message_id_segment_is_rejected() {
        let mut key = b"!sqs|msg|data|cQ".to_vec();
        key.extend_from_slice(&1u64.to_be_bytes());
        assert_eq!(route(&key), Err(KeyProblem::EmptyMessageId));
    }

    // REQ-KEY-3
    #[test]
    fn side_record_key_without_trailer_is_rejected() {
        assert_eq!(route(b"!sqs|msg|vis|cQ"), Err(KeyProblem::NoBoundary));
        assert_eq!(
            route(b"!sqs|queue|tombstone|cQ"),
            Err(KeyProblem::NoBoundary)
        );
        // One trailer byte is enough for routing; the full parse wants more.
        let r = route(b"!sqs|msg|group|cQ\x00").unwrap();
        assert_eq!(r.queue, b"q");
        assert!(matches!(
            parse(b"!sqs|msg|group|cQ\x00"),
            Err(KeyProblem::ShortTrailer { .. })
        ));
    }

    // REQ-KEY-2, REQ-KEY-3, REQ-KEY-7
    #[test]
    fn short_trailers_name_the_bytes_present_and_needed() {
        let text = |e: KeyProblem| e.to_string();
        // Data key: gen (8) and at least one message-id byte.
        let mut key = b"!sqs|msg|data|cQ\x00".to_vec();
        assert_eq!(
            route(&key).map_err(text),
            Err("trailer has 1 bytes, need at least 9".to_string())
        );
        key.extend_from_slice(&[0u8; 6]);
        assert_eq!(
            route(&key),
            Err(KeyProblem::ShortTrailer { got: 7, need: 9 })
        );
        // Side record: routing takes one trailer byte; the full parse
        // wants the gen, then for vis/byage keys a second u64.
        assert_eq!(
            parse(b"!sqs|msg|group|cQ\x00").map_err(text),
            Err("trailer has 1 bytes, need at least 8".to_string())
        );
        let mut vis = b"!sqs|msg|vis|cQ\x00".to_vec();
        vis.extend_from_slice(&[0u8; 10]);
        assert_eq!(
            parse(&vis).map_err(text),
            Err("trailer has 11 bytes, need at least 16".to_string())
        );
        let mut age = b"!sqs|msg|byage|p|cQ|".to_vec();
        age.extend_from_slice(&[0u8; 4 + 8 + 7]);
        assert_eq!(
            parse(&age),
            Err(KeyProblem::ShortTrailer { got: 15, need: 16 })
        );
    }

    // REQ-KEY-4
    #[test]
    fn partitioned_keys_parse() {
        let key = data(b"q.fifo", Some(3), 9, b"id");
        let r = route(&key).unwrap();
        assert_eq!(r.partition, Some(3));
        assert_eq!(r.queue, b"q.fifo");
        assert_eq!(r.data.unwrap().gen, 9);
        let dedup = KeyParts::MsgDedup {
            queue: b"q".to_vec(),
            partition: Some((2, b"g".to_vec())),
            gen: 1,
            dedup_id: b"d".to_vec(),
        };
        assert_eq!(parse(&build(&dedup)), Ok(dedup));
    }

    // REQ-KEY-4
    #[test]
    fn truncated_partitioned_trailer_is_rejected() {
        let mut key = b"!sqs|msg|vis|p|cQ|".to_vec();
        key.extend_from_slice(&[0u8; 11]);
        assert_eq!(
            route(&key),
            Err(KeyProblem::ShortTrailer { got: 11, need: 12 })
        );
        assert_eq!(
            route(b"!sqs|msg|data|p|cQ"),
            Err(KeyProblem::NoPartitionTerminator)
        );
        let mut no_id = b"!sqs|msg|data|p|cQ|".to_vec();
        no_id.extend_from_slice(&[0u8; 12]);
        assert_eq!(route(&no_id), Err(KeyProblem::EmptyMessageId));
    }

    // REQ-KEY-5, REQ-KEY-10
    #[test]
    fn queue_scalar_keys_take_nothing_after_the_segment() {
        assert_eq!(route(b"!sqs|queue|meta|cQ").unwrap().queue, b"q");
        assert_eq!(
            route(b"!sqs|queue|gen|cQ\x00"),
            Err(KeyProblem::TrailingBytes)
        );
        assert_eq!(route(b"!sqs|queue|meta|"), Err(KeyProblem::EmptyQueue));
    }

    // REQ-KEY-6
    #[test]
    fn non_canonical_base64_is_rejected() {
        for bad in [&b"cR"[..], b"cQ==", b"c", b"cQ\r\n"] {
            let mut key = b"!sqs|queue|meta|".to_vec();
            key.extend_from_slice(bad);
            assert!(route(&key).is_err(), "{}", key.escape_ascii());
        }
    }

    // REQ-KEY-1
    #[test]
    fn wrong_prefix_is_unknown_family() {
        assert_eq!(route(b"!sqs|msg|bogus|cQ"), Err(KeyProblem::UnknownFamily));
        assert_eq!(route(b"!redis|str|x"), Err(KeyProblem::UnknownFamily));
    }

    // REQ-KEY-8
    #[test]
    fn gen_with_alphabet_first_byte_misparses_as_documented() {
        // gen = 0x41.. ('A' first): the boundary moves into the gen.
        let key = data(b"q", None, 0x4100_0000_0000_0001, b"m");
        assert_ne!(route(&key).map(|r| r.queue), Ok(b"q".to_vec()));
    }
}
