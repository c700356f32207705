//! Live values: queue meta, message and gen records as the cluster writes
//! them, their Go-quirk spellings that must read the same, and invalid
//! spellings that must be rejected (REQ-VAL-*, REQ-JSON-*).
//!
//! [`LiveQueueMeta`] and [`LiveMessage`] mirror the upstream Go structs
//! field for field, in declaration order, including the fields sqsdump
//! ignores, so [`LiveQueueMeta::value`] is byte-identical to what
//! `json.Marshal` stores behind the magic.
//!
//! This Go-style writer is a deliberate independent copy of the live
//! records that [`crate::schema::LIVE_QUEUE`] and
//! [`crate::schema::LIVE_MESSAGE`] declare (and that `encode::rows` writes
//! from them): it is written from upstream's Go structs, so that the
//! reader in `value` and the row builder are tested against Go's layout
//! rather than against themselves. The unit test
//! `schema::tests::the_live_tables_match_the_testkit_go_writer_and_the_value_reader`
//! compares its field names and order with the declaration.

use std::collections::BTreeMap;

use arbitrary::{Arbitrary, Result, Unstructured};

use super::gowrite::{self, bool_lit, bytes_lit, int_lit, str_lit, Field, Kind};
use crate::value::{Message, QueueMeta, MESSAGE_MAGIC, QUEUE_META_MAGIC};

/// Pick a small, mostly-plausible i64 (seconds, millis, counters).
fn plausible_i64(u: &mut Unstructured<'_>) -> Result<i64> {
    Ok(match u.int_in_range(0..=7u8)? {
        0 => 0,
        1 => i64::from(u.int_in_range(0..=900u16)?),
        2 => 1_700_000_000_000 + i64::from(u.int_in_range(0..=u32::MAX)?),
        3 => i64::MAX,
        4 => i64::MIN,
        5 => -i64::from(u.int_in_range(1..=1000u16)?),
        _ => i64::arbitrary(u)?,
    })
}

/// A short printable string, sometimes with characters Go escapes.
pub fn text(u: &mut Unstructured<'_>) -> Result<String> {
    Ok(match u.int_in_range(0..=9u8)? {
        0..=2 => String::new(),
        3 => u.choose(TRICKY_TEXT)?.to_string(),
        4..=6 => {
            let n = u.int_in_range(1..=24usize)?;
            (0..n)
                .map(|_| Ok(char::from(*u.choose(b"abcXYZ019-_:./ ")?)))
                .collect::<Result<String>>()?
        }
        _ => String::arbitrary(u)?,
    })
}

/// Strings that stress Go's escaping and our readers.
pub const TRICKY_TEXT: &[&str] = &[
    "<a&b>",
    "\u{2028}\u{2029}",
    "line\nbreak\ttab\r",
    "quote\"back\\slash",
    "\u{0}\u{1f}\u{7f}",
    "é ſ K",
    "{\"json\":[1,2]}",
    "\u{1F600}",
    "/slash/",
    "\u{feff}bom",
];

/// `sqsQueueThrottle`: floats sqsdump ignores.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Throttle {
    /// Each field's JSON spelling as Go writes it (`10`, `2.5`, `1e+21`),
    /// or `None` when zero (omitted).
    pub fields: [Option<&'static str>; 6],
}

const THROTTLE_NAMES: [&str; 6] = [
    "send_capacity",
    "send_refill_per_second",
    "recv_capacity",
    "recv_refill_per_second",
    "default_capacity",
    "default_refill_per_second",
];

impl<'a> Arbitrary<'a> for Throttle {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let mut fields = [None; 6];
        for f in &mut fields {
            if u.ratio(1, 2)? {
                *f = Some(*u.choose(&["10", "2.5", "0.125", "1e+21", "100000", "1e-7"])?);
            }
        }
        Ok(Throttle { fields })
    }
}

/// The live `sqsQueueMeta` record (upstream `adapter/sqs_catalog.go`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LiveQueueMeta {
    /// `name`.
    pub name: String,
    /// `generation` (ignored by sqsdump).
    pub generation: u64,
    /// `created_at_hlc,omitempty` (ignored).
    pub created_at_hlc: u64,
    /// `is_fifo,omitempty`.
    pub is_fifo: bool,
    /// `content_based_dedup,omitempty`.
    pub content_based_dedup: bool,
    /// `visibility_timeout_seconds`.
    pub visibility_timeout_seconds: i64,
    /// `message_retention_seconds`.
    pub message_retention_seconds: i64,
    /// `delay_seconds`.
    pub delay_seconds: i64,
    /// `receive_message_wait_seconds`.
    pub receive_message_wait_seconds: i64,
    /// `maximum_message_size`.
    pub maximum_message_size: i64,
    /// `redrive_policy,omitempty`.
    pub redrive_policy: String,
    /// `redrive_allow_policy,omitempty`.
    pub redrive_allow_policy: String,
    /// `tags,omitempty`.
    pub tags: BTreeMap<String, String>,
    /// `last_purged_at_millis,omitempty` (ignored).
    pub last_purged_at_millis: i64,
    /// `created_at_millis,omitempty` (ignored).
    pub created_at_millis: i64,
    /// `last_modified_at_millis,omitempty` (ignored).
    pub last_modified_at_millis: i64,
    /// `throttle,omitempty` (ignored).
    pub throttle: Option<Throttle>,
    /// `partition_count,omitempty`.
    pub partition_count: u32,
    /// `fifo_throughput_limit,omitempty`.
    pub fifo_throughput_limit: String,
    /// `deduplication_scope,omitempty`.
    pub deduplication_scope: String,
}

impl LiveQueueMeta {
    /// A meta record named `name` with arbitrary settings.
    pub fn arbitrary_named(u: &mut Unstructured<'_>, name: String) -> Result<Self> {
        let is_fifo = name.ends_with(".fifo") || u.ratio(1, 8)?;
        let partitioned = is_fifo && u.ratio(1, 3)?;
        let mut tags = BTreeMap::new();
        for _ in 0..u.int_in_range(0..=3u8)? {
            tags.insert(text(u)?, text(u)?);
        }
        Ok(LiveQueueMeta {
            name,
            generation: u.int_in_range(0..=20u64)?,
            created_at_hlc: if u.ratio(1, 2)? {
                u64::arbitrary(u)?
            } else {
                0
            },
            is_fifo,
            content_based_dedup: is_fifo && bool::arbitrary(u)?,
            visibility_timeout_seconds: plausible_i64(u)?,
            message_retention_seconds: plausible_i64(u)?,
            delay_seconds: plausible_i64(u)?,
            receive_message_wait_seconds: plausible_i64(u)?,
            maximum_message_size: plausible_i64(u)?,
            redrive_policy: text(u)?,
            redrive_allow_policy: text(u)?,
            tags,
            last_purged_at_millis: plausible_i64(u)?,
            created_at_millis: plausible_i64(u)?,
            last_modified_at_millis: plausible_i64(u)?,
            throttle: Option::<Throttle>::arbitrary(u)?,
            partition_count: if partitioned {
                1 << u.int_in_range(0..=5u32)?
            } else if u.ratio(1, 16)? {
                u32::arbitrary(u)?
            } else {
                0
            },
            fifo_throughput_limit: if partitioned {
                u.choose(&["perMessageGroupId", "perQueue"])?.to_string()
            } else {
                String::new()
            },
            deduplication_scope: if partitioned {
                u.choose(&["messageGroup", "queue"])?.to_string()
            } else {
                String::new()
            },
        })
    }

    /// The struct fields as `json.Marshal` writes them, in order.
    pub fn fields(&self) -> Vec<Field> {
        let mut f = vec![
            Field::new("name", Kind::Str, str_lit(&self.name)),
            Field::new("generation", Kind::Ignored, int_lit(self.generation)),
        ];
        if self.created_at_hlc != 0 {
            f.push(Field::new(
                "created_at_hlc",
                Kind::Ignored,
                int_lit(self.created_at_hlc),
            ));
        }
        if self.is_fifo {
            f.push(Field::new("is_fifo", Kind::Bool, bool_lit(true)));
        }
        if self.content_based_dedup {
            f.push(Field::new(
                "content_based_dedup",
                Kind::Bool,
                bool_lit(true),
            ));
        }
        for (n, v) in [
            (
                "visibility_timeout_seconds",
                self.visibility_timeout_seconds,
            ),
            ("message_retention_seconds", self.message_retention_seconds),
            ("delay_seconds", self.delay_seconds),
            (
                "receive_message_wait_seconds",
                self.receive_message_wait_seconds,
            ),
            ("maximum_message_size", self.maximum_message_size),
        ] {
            f.push(Field::new(n, Kind::Int, int_lit(v)));
        }
        for (n, v) in [
            ("redrive_policy", &self.redrive_policy),
            ("redrive_allow_policy", &self.redrive_allow_policy),
        ] {
            if !v.is_empty() {
                f.push(Field::new(n, Kind::Str, str_lit(v)));
            }
        }
        if !self.tags.is_empty() {
            let members = self
                .tags
                .iter()
                .map(|(k, v)| (k.clone(), str_lit(v)))
                .collect();
            f.push(Field::map("tags", members));
        }
        for (n, v) in [
            ("last_purged_at_millis", self.last_purged_at_millis),
            ("created_at_millis", self.created_at_millis),
            ("last_modified_at_millis", self.last_modified_at_millis),
        ] {
            if v != 0 {
                f.push(Field::new(n, Kind::Ignored, int_lit(v)));
            }
        }
        if let Some(t) = &self.throttle {
            let members: Vec<(String, Vec<u8>)> = THROTTLE_NAMES
                .iter()
                .zip(t.fields)
                .filter_map(|(n, v)| v.map(|v| (n.to_string(), v.as_bytes().to_vec())))
                .collect();
            f.push(Field::new(
                "throttle",
                Kind::Ignored,
                gowrite::object(&members),
            ));
        }
        if self.partition_count != 0 {
            let mut p = Field::new("partition_count", Kind::Uint, int_lit(self.partition_count));
            p.u32 = true;
            f.push(p);
        }
        for (n, v) in [
            ("fifo_throughput_limit", &self.fifo_throughput_limit),
            ("deduplication_scope", &self.deduplication_scope),
        ] {
            if !v.is_empty() {
                f.push(Field::new(n, Kind::Str, str_lit(v)));
            }
        }
        f
    }

    /// `json.Marshal` output.
    pub fn go_json(&self) -> Vec<u8> {
        gowrite::render(&self.fields())
    }

    /// The stored value: magic + JSON.
    pub fn value(&self) -> Vec<u8> {
        with_magic(&QUEUE_META_MAGIC, &self.go_json())
    }

    /// What sqsdump's reader must produce for [`Self::value`].
    pub fn expected(&self) -> QueueMeta {
        QueueMeta {
            name: self.name.clone(),
            is_fifo: self.is_fifo,
            content_based_dedup: self.content_based_dedup,
            visibility_timeout_seconds: self.visibility_timeout_seconds,
            message_retention_seconds: self.message_retention_seconds,
            delay_seconds: self.delay_seconds,
            receive_message_wait_seconds: self.receive_message_wait_seconds,
            maximum_message_size: self.maximum_message_size,
            redrive_policy: self.redrive_policy.clone(),
            redrive_allow_policy: self.redrive_allow_policy.clone(),
            partition_count: self.partition_count,
            fifo_throughput_limit: self.fifo_throughput_limit.clone(),
            deduplication_scope: self.deduplication_scope.clone(),
            tags: self.tags.clone(),
        }
    }
}

/// `sqsMessageAttributeValue`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveAttr {
    /// `DataType`.
    pub data_type: String,
    /// `StringValue,omitempty`.
    pub string_value: String,
    /// `BinaryValue,omitempty`.
    pub binary_value: Vec<u8>,
}

impl<'a> Arbitrary<'a> for LiveAttr {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let binary = u.ratio(1, 3)?;
        Ok(LiveAttr {
            data_type: if binary {
                "Binary".into()
            } else {
                u.choose(&["String", "Number", "String.custom"])?
                    .to_string()
            },
            string_value: if binary { String::new() } else { text(u)? },
            binary_value: if binary {
                Vec::arbitrary(u)?
            } else {
                Vec::new()
            },
        })
    }
}

impl LiveAttr {
    /// `json.Marshal` of the attribute struct (compact, HTML-escaped).
    pub fn go_json(&self) -> Vec<u8> {
        let mut m = vec![("DataType".to_string(), str_lit(&self.data_type))];
        if !self.string_value.is_empty() {
            m.push(("StringValue".into(), str_lit(&self.string_value)));
        }
        if !self.binary_value.is_empty() {
            m.push(("BinaryValue".into(), bytes_lit(Some(&self.binary_value))));
        }
        gowrite::object(&m)
    }
}

/// The live `sqsMessageRecord` (upstream `adapter/sqs_messages.go`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LiveMessage {
    /// `message_id`.
    pub message_id: String,
    /// `body` (`None` = nil slice, written `null`).
    pub body: Option<Vec<u8>>,
    /// `md5_of_body`.
    pub md5_of_body: String,
    /// `md5_of_message_attributes,omitempty`.
    pub md5_of_message_attributes: String,
    /// `message_attributes,omitempty`.
    pub message_attributes: BTreeMap<String, LiveAttr>,
    /// `sender_id,omitempty`.
    pub sender_id: String,
    /// `send_timestamp_millis`.
    pub send_timestamp_millis: i64,
    /// `available_at_millis`.
    pub available_at_millis: i64,
    /// `visible_at_millis`.
    pub visible_at_millis: i64,
    /// `receive_count`.
    pub receive_count: i64,
    /// `first_receive_millis,omitempty`.
    pub first_receive_millis: i64,
    /// `current_receipt_token` (no omitempty: nil is `null`).
    pub current_receipt_token: Option<Vec<u8>>,
    /// `queue_generation`.
    pub queue_generation: u64,
    /// `message_group_id,omitempty`.
    pub message_group_id: String,
    /// `message_deduplication_id,omitempty`.
    pub message_deduplication_id: String,
    /// `sequence_number,omitempty`.
    pub sequence_number: u64,
    /// `dead_letter_source_arn,omitempty`.
    pub dead_letter_source_arn: String,
}

/// Message bodies worth covering: UTF-8, binary, HTML, U+2028, empty.
pub fn body(u: &mut Unstructured<'_>) -> Result<Option<Vec<u8>>> {
    Ok(Some(match u.int_in_range(0..=11u8)? {
        0 => return Ok(None),
        1 => Vec::new(),
        2 => b"<a&b>".to_vec(),
        3 => "x\u{2028}y\u{2029}".as_bytes().to_vec(),
        4 => vec![0xff, 0xfe, 0x00, 0x80],
        5 => b"\xe2\x82A".to_vec(),
        6 => u.choose(TRICKY_TEXT)?.as_bytes().to_vec(),
        7 | 8 => String::arbitrary(u)?.into_bytes(),
        _ => Vec::arbitrary(u)?,
    }))
}

impl LiveMessage {
    /// A message with id `message_id` in generation `gen`.
    pub fn arbitrary_with(
        u: &mut Unstructured<'_>,
        message_id: String,
        gen: u64,
        fifo: bool,
    ) -> Result<Self> {
        let received = u.ratio(1, 3)?;
        let mut attrs = BTreeMap::new();
        for _ in 0..u.int_in_range(0..=2u8)? {
            attrs.insert(text(u)?, LiveAttr::arbitrary(u)?);
        }
        let send = plausible_i64(u)?;
        Ok(LiveMessage {
            message_id,
            body: body(u)?,
            md5_of_body: hex16(u)?,
            md5_of_message_attributes: if attrs.is_empty() {
                String::new()
            } else {
                hex16(u)?
            },
            message_attributes: attrs,
            sender_id: text(u)?,
            send_timestamp_millis: send,
            available_at_millis: send.saturating_add(i64::from(u.int_in_range(0..=900_000u32)?)),
            visible_at_millis: if received { plausible_i64(u)? } else { 0 },
            receive_count: if received {
                i64::from(u.int_in_range(1..=9u8)?)
            } else {
                0
            },
            first_receive_millis: if received { plausible_i64(u)? } else { 0 },
            current_receipt_token: if received { Some(fill(u, 16)?) } else { None },
            queue_generation: gen,
            message_group_id: if fifo { text(u)? } else { String::new() },
            message_deduplication_id: if fifo { text(u)? } else { String::new() },
            sequence_number: if fifo {
                u.int_in_range(0..=1000u64)?
            } else {
                0
            },
            dead_letter_source_arn: if u.ratio(1, 8)? {
                text(u)?
            } else {
                String::new()
            },
        })
    }

    /// The struct fields as `json.Marshal` writes them, in order.
    pub fn fields(&self) -> Vec<Field> {
        let mut f = vec![
            Field::new("message_id", Kind::Str, str_lit(&self.message_id)),
            Field::new("body", Kind::Bytes, bytes_lit(self.body.as_deref())),
            Field::new("md5_of_body", Kind::Str, str_lit(&self.md5_of_body)),
        ];
        if !self.md5_of_message_attributes.is_empty() {
            f.push(Field::new(
                "md5_of_message_attributes",
                Kind::Str,
                str_lit(&self.md5_of_message_attributes),
            ));
        }
        if !self.message_attributes.is_empty() {
            let members = self
                .message_attributes
                .iter()
                .map(|(k, v)| (k.clone(), v.go_json()))
                .collect();
            f.push(Field::map("message_attributes", members));
        }
        if !self.sender_id.is_empty() {
            f.push(Field::new("sender_id", Kind::Str, str_lit(&self.sender_id)));
        }
        for (n, v) in [
            ("send_timestamp_millis", self.send_timestamp_millis),
            ("available_at_millis", self.available_at_millis),
            ("visible_at_millis", self.visible_at_millis),
            ("receive_count", self.receive_count),
        ] {
            f.push(Field::new(n, Kind::Int, int_lit(v)));
        }
        if self.first_receive_millis != 0 {
            f.push(Field::new(
                "first_receive_millis",
                Kind::Int,
                int_lit(self.first_receive_millis),
            ));
        }
        f.push(Field::new(
            "current_receipt_token",
            Kind::Bytes,
            bytes_lit(self.current_receipt_token.as_deref()),
        ));
        f.push(Field::new(
            "queue_generation",
            Kind::Uint,
            int_lit(self.queue_generation),
        ));
        for (n, v) in [
            ("message_group_id", &self.message_group_id),
            ("message_deduplication_id", &self.message_deduplication_id),
        ] {
            if !v.is_empty() {
                f.push(Field::new(n, Kind::Str, str_lit(v)));
            }
        }
        if self.sequence_number != 0 {
            f.push(Field::new(
                "sequence_number",
                Kind::Uint,
                int_lit(self.sequence_number),
            ));
        }
        if !self.dead_letter_source_arn.is_empty() {
            f.push(Field::new(
                "dead_letter_source_arn",
                Kind::Str,
                str_lit(&self.dead_letter_source_arn),
            ));
        }
        f
    }

    /// `json.Marshal` output.
    pub fn go_json(&self) -> Vec<u8> {
        gowrite::render(&self.fields())
    }

    /// The stored value: magic + JSON.
    pub fn value(&self) -> Vec<u8> {
        with_magic(&MESSAGE_MAGIC, &self.go_json())
    }

    /// What sqsdump's reader must produce for [`Self::value`].
    pub fn expected(&self) -> Message {
        Message {
            message_id: self.message_id.clone(),
            body: self.body.clone().unwrap_or_default(),
            md5_of_body: self.md5_of_body.clone(),
            md5_of_message_attributes: self.md5_of_message_attributes.clone(),
            message_attributes: self
                .message_attributes
                .iter()
                .map(|(k, v)| (k.clone(), v.go_json()))
                .collect(),
            sender_id: self.sender_id.clone(),
            send_timestamp_millis: self.send_timestamp_millis,
            available_at_millis: self.available_at_millis,
            visible_at_millis: self.visible_at_millis,
            receive_count: self.receive_count,
            first_receive_millis: self.first_receive_millis,
            current_receipt_token: self.current_receipt_token.clone().unwrap_or_default(),
            queue_generation: self.queue_generation,
            message_group_id: self.message_group_id.clone(),
            message_deduplication_id: self.message_deduplication_id.clone(),
            sequence_number: self.sequence_number,
            dead_letter_source_arn: self.dead_letter_source_arn.clone(),
        }
    }
}

fn hex16(u: &mut Unstructured<'_>) -> Result<String> {
    Ok(hex::encode(fill(u, 16)?))
}

/// `n` bytes from `u`, zeros once it runs dry (never fails).
pub fn fill(u: &mut Unstructured<'_>, n: usize) -> Result<Vec<u8>> {
    (0..n).map(|_| u8::arbitrary(u)).collect()
}

/// `magic ++ json`.
pub fn with_magic(magic: &[u8; 4], json: &[u8]) -> Vec<u8> {
    let mut v = magic.to_vec();
    v.extend_from_slice(json);
    v
}

// ---------------------------------------------------------------------
// Quirks: spellings Go reads exactly like the canonical bytes.

/// One rewrite of a JSON object that Go's decoder reads to the same
/// struct (REQ-JSON-1..REQ-JSON-8). Field indexes wrap around.
#[derive(Debug, Clone, PartialEq, Eq, Arbitrary)]
pub enum Quirk {
    /// Flip the case of ASCII letters of a field name by bit pattern, and
    /// turn `s`/`k` into U+017F/U+212A where the pattern says so.
    CaseFold {
        /// Which field.
        field: u8,
        /// Bit i decides letter i.
        pattern: u64,
    },
    /// Write some characters of a field name as `\u00XX`.
    EscapedName {
        /// Which field.
        field: u8,
        /// Bit i decides character i.
        pattern: u64,
    },
    /// Put an earlier member with the same (possibly case-folded) name
    /// and a different value of the right type: the last one wins.
    DuplicateBefore {
        /// Which field.
        field: u8,
        /// Fold the decoy's name.
        fold: bool,
        /// Picks the decoy value.
        decoy: u8,
    },
    /// `"field": null` after a scalar field (no effect) or before a
    /// `[]byte`/map field (reset, then overwritten).
    Null {
        /// Which field.
        field: u8,
    },
    /// White space around tokens (never inside kept raw values).
    Space {
        /// Bit i decides gap i.
        pattern: u64,
        /// Which white space byte.
        which: u8,
    },
    /// An unknown member of some JSON type.
    Unknown {
        /// Insert before this field.
        at: u8,
        /// Which junk value.
        junk: u8,
    },
    /// `\r\n` escapes inside a `[]byte` field's base64.
    Base64CrLf {
        /// Which field.
        field: u8,
        /// Where (modulo length).
        at: u16,
    },
    /// A `[]byte` field as an array of integers.
    IntArray {
        /// Which field.
        field: u8,
    },
    /// A map field given twice, split in two: the halves are merged.
    SplitMap {
        /// Which field.
        field: u8,
        /// Also duplicate a member in the first half with a decoy value.
        shadow: bool,
    },
    /// Escape map member names as `\u00XX` where ASCII.
    EscapedMapKeys {
        /// Which field.
        field: u8,
    },
}

const JUNK: &[&str] = &[
    "null",
    "true",
    "-1.5e300",
    "\"x\\u0000\"",
    "[1,{\"a\":[]},\"\\ud800\"]",
    "{\"name\":\"shadow\",\"x\":{}}",
    "123456789012345678901234567890",
];

fn pick(fields: &[Field], i: u8) -> usize {
    usize::from(i) % fields.len().max(1)
}

fn fold_name(name: &str, pattern: u64) -> String {
    name.chars()
        .enumerate()
        .map(|(i, c)| {
            let bit = pattern >> (i % 64) & 1 == 1;
            let bit2 = pattern >> ((i + 17) % 64) & 1 == 1;
            match c {
                's' | 'S' if bit && bit2 => '\u{17f}',
                'k' | 'K' if bit && bit2 => '\u{212a}',
                c if bit => {
                    if c.is_ascii_lowercase() {
                        c.to_ascii_uppercase()
                    } else {
                        c.to_ascii_lowercase()
                    }
                }
                c => c,
            }
        })
        .collect()
}

/// A JSON string literal for `name`, escaping characters whose bit is set.
fn escaped_name(name: &str, pattern: u64) -> Vec<u8> {
    let mut out = vec![b'"'];
    for (i, c) in name.chars().enumerate() {
        if pattern >> (i % 64) & 1 == 1 || c == '"' || c == '\\' || (c as u32) < 0x20 {
            let mut buf = [0u16; 2];
            for unit in c.encode_utf16(&mut buf) {
                out.extend_from_slice(format!("\\u{unit:04x}").as_bytes());
            }
        } else {
            let mut b = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut b).as_bytes());
        }
    }
    out.push(b'"');
    out
}

fn decoy_value(f: &Field, d: u8) -> Vec<u8> {
    match f.kind {
        Kind::Str => str_lit(["", "decoy", "<&>"][usize::from(d) % 3]),
        Kind::Int => int_lit([0i64, -5, i64::MAX][usize::from(d) % 3]),
        Kind::Uint => int_lit([0u64, 7, u64::from(u32::MAX)][usize::from(d) % 3]),
        Kind::Bool => bool_lit(d % 2 == 0),
        Kind::Bytes => bytes_lit([None, Some(&b"decoy"[..])][usize::from(d) % 2]),
        // Maps merge, so a decoy may only hold keys the real one overrides.
        Kind::Map => {
            let members: Vec<(String, Vec<u8>)> = f
                .members
                .iter()
                .take(usize::from(d) % (f.members.len() + 1))
                .map(|(k, _)| (k.clone(), str_lit("decoy")))
                .collect();
            gowrite::object(&members)
        }
        Kind::Ignored => JUNK[usize::from(d) % JUNK.len()].as_bytes().to_vec(),
    }
}

/// A rendered member: name literal and value text.
type Member = (Vec<u8>, Vec<u8>);

fn member(name: &str, raw: Vec<u8>) -> Member {
    (str_lit(name), raw)
}

/// Apply `quirks` to `fields` and render the object. Go reads the result
/// to the same struct as [`gowrite::render`] of the unmodified fields.
pub fn render_with_quirks(fields: &[Field], quirks: &[Quirk]) -> Vec<u8> {
    let mut fields = fields.to_vec();
    // Members before/after each field, and name spellings.
    let n = fields.len();
    let mut names: Vec<Vec<u8>> = fields.iter().map(|f| str_lit(&f.name)).collect();
    // Members before each field, with a rank: resets (null) first, then
    // decoys, then the first half of a split map, so that whatever comes
    // later still restores the canonical value.
    let mut before: Vec<Vec<(u8, Member)>> = vec![Vec::new(); n + 1];
    let mut after: Vec<Vec<Member>> = vec![Vec::new(); n];
    let mut space: Option<(u64, u8)> = None;
    for q in quirks {
        if n == 0 {
            break;
        }
        match *q {
            Quirk::CaseFold { field, pattern } => {
                let i = pick(&fields, field);
                names[i] = str_lit(&fold_name(&fields[i].name, pattern));
            }
            Quirk::EscapedName { field, pattern } => {
                let i = pick(&fields, field);
                names[i] = escaped_name(&fields[i].name, pattern);
            }
            Quirk::DuplicateBefore { field, fold, decoy } => {
                let i = pick(&fields, field);
                let f = &fields[i];
                let name = if fold {
                    fold_name(
                        &f.name,
                        u64::from(decoy).wrapping_mul(0x9e37_79b9_7f4a_7c15),
                    )
                } else {
                    f.name.clone()
                };
                before[i].push((1, member(&name, decoy_value(f, decoy))));
            }
            Quirk::Null { field } => {
                let i = pick(&fields, field);
                let f = &fields[i];
                match f.kind {
                    Kind::Bytes | Kind::Map => {
                        before[i].push((0, member(&f.name, b"null".to_vec())))
                    }
                    _ => after[i].push(member(&f.name, b"null".to_vec())),
                }
            }
            Quirk::Space { pattern, which } => space = Some((pattern, which)),
            Quirk::Unknown { at, junk } => {
                let i = usize::from(at) % (n + 1);
                let name = ["x_unknown", "messageid", "Name_", "tag"][usize::from(junk) % 4];
                let junk = JUNK[usize::from(junk) % JUNK.len()].as_bytes().to_vec();
                before[i].push((1, member(name, junk)));
            }
            Quirk::Base64CrLf { field, at } => {
                let i = pick(&fields, field);
                let f = &mut fields[i];
                if f.kind == Kind::Bytes && f.raw.len() > 2 && f.raw[0] == b'"' {
                    let inner = f.raw.len() - 2;
                    let mut pos = 1 + usize::from(at) % (inner + 1);
                    // Never split an escape an earlier quirk inserted (the
                    // only backslashes in base64 text are those escapes).
                    if f.raw[pos - 1] == b'\\' {
                        pos += 1;
                    }
                    let esc: &[u8] =
                        [&b"\\r\\n"[..], b"\\n", b"\\r", b"\\n\\n\\r"][usize::from(at) % 4];
                    f.raw.splice(pos..pos, esc.iter().copied());
                }
            }
            Quirk::IntArray { field } => {
                let i = pick(&fields, field);
                let f = &mut fields[i];
                if f.kind == Kind::Bytes && f.raw.first() == Some(&b'"') {
                    let text = &f.raw[1..f.raw.len() - 1];
                    if let Ok(bytes) =
                        base64::Engine::decode(&base64::engine::general_purpose::STANDARD, text)
                    {
                        let items: Vec<String> = bytes.iter().map(u8::to_string).collect();
                        f.raw = format!("[{}]", items.join(",")).into_bytes();
                    }
                }
            }
            Quirk::SplitMap { field, shadow } => {
                let i = pick(&fields, field);
                let f = &fields[i];
                if f.kind == Kind::Map && !f.members.is_empty() {
                    let half = f.members.len() / 2;
                    let mut first: Vec<(String, Vec<u8>)> = f.members[..half].to_vec();
                    if shadow {
                        // A later duplicate within one map wins.
                        let (k, v) = &f.members[f.members.len() - 1];
                        first.push((k.clone(), str_lit("shadow")));
                        first.push((k.clone(), v.clone()));
                    }
                    let second = f.members[half..].to_vec();
                    before[i].push((2, member(&f.name, gowrite::object(&first))));
                    fields[i].raw = gowrite::object(&second);
                }
            }
            Quirk::EscapedMapKeys { field } => {
                let i = pick(&fields, field);
                let f = &mut fields[i];
                if f.kind == Kind::Map {
                    let mut out = vec![b'{'];
                    for (j, (k, v)) in f.members.iter().enumerate() {
                        if j > 0 {
                            out.push(b',');
                        }
                        out.extend_from_slice(&escaped_name(k, u64::MAX));
                        out.push(b':');
                        out.extend_from_slice(v);
                    }
                    out.push(b'}');
                    f.raw = out;
                }
            }
        }
    }
    let mut members: Vec<Member> = Vec::new();
    let ranked = |b: &mut Vec<(u8, Member)>, members: &mut Vec<Member>| {
        b.sort_by_key(|(rank, _)| *rank);
        members.extend(b.drain(..).map(|(_, m)| m));
    };
    for i in 0..n {
        ranked(&mut before[i], &mut members);
        members.push((names[i].clone(), fields[i].raw.clone()));
        members.append(&mut after[i]);
    }
    ranked(&mut before[n], &mut members);
    let ws = |gap: usize| -> &'static [u8] {
        match space {
            Some((p, which)) if p >> (gap % 64) & 1 == 1 => {
                [&b" "[..], b"\t", b"\n", b"\r\n", b"  \t "][usize::from(which) % 5]
            }
            _ => b"",
        }
    };
    let mut out = Vec::new();
    let mut gap = 0usize;
    let mut push_ws = |out: &mut Vec<u8>| {
        out.extend_from_slice(ws(gap));
        gap += 1;
    };
    push_ws(&mut out);
    out.push(b'{');
    for (i, (k, v)) in members.iter().enumerate() {
        if i > 0 {
            push_ws(&mut out);
            out.push(b',');
        }
        push_ws(&mut out);
        out.extend_from_slice(k);
        push_ws(&mut out);
        out.push(b':');
        push_ws(&mut out);
        out.extend_from_slice(v);
    }
    push_ws(&mut out);
    out.push(b'}');
    push_ws(&mut out);
    out
}

// ---------------------------------------------------------------------
// Invalid spellings: Go rejects them, so sqsdump must too.

/// One change that makes a value unreadable (REQ-JSON-9, REQ-VAL-2).
#[derive(Debug, Clone, PartialEq, Eq, Arbitrary)]
pub enum Invalid {
    /// A fraction or exponent for an integer field (`30.0`, `3e1`).
    FloatForInt {
        /// Which integer field.
        field: u8,
        /// Which spelling.
        form: u8,
    },
    /// An integer out of range (or negative, `-0` included, for unsigned).
    OutOfRange {
        /// Which integer field.
        field: u8,
        /// Which spelling.
        form: u8,
    },
    /// A string for a number field.
    StringForNumber {
        /// Which integer field.
        field: u8,
    },
    /// A number for a bool field (or `"true"` for one).
    WrongForBool {
        /// Which spelling.
        form: u8,
    },
    /// A leading zero (`01`, `-01`).
    LeadingZero {
        /// Which integer field.
        field: u8,
    },
    /// Non-space bytes after the object.
    TrailingGarbage {
        /// Which garbage.
        junk: u8,
    },
    /// A UTF-8 byte-order mark before the object.
    Bom,
    /// A missing or wrong magic prefix.
    BadMagic {
        /// Which wrong magic.
        form: u8,
    },
    /// A raw control byte inside a string.
    RawControl {
        /// Which byte below 0x20.
        byte: u8,
    },
    /// The JSON cut short.
    Truncated {
        /// Where (modulo length).
        at: u16,
    },
    /// A `[]byte` field given a number, an object, a stray byte in its
    /// base64, or an array element outside 0..=255 (messages only).
    BadBytes {
        /// Which spelling.
        form: u8,
    },
    /// `message_attributes` or `tags` not an object.
    MapNotObject {
        /// Which spelling.
        form: u8,
    },
    /// Not an object at all (`[]`, `1`, `"x"`).
    NotObject {
        /// Which spelling.
        form: u8,
    },
}

fn set_or_add(fields: &mut Vec<Field>, name: &str, kind: Kind, raw: Vec<u8>) {
    if let Some(f) = fields.iter_mut().find(|f| f.name == name) {
        f.raw = raw;
    } else {
        fields.push(Field::new(name, kind, raw));
    }
}

/// Render `fields` (of a record with `magic`) broken by `inv`. The result
/// is a whole stored value, magic included; every reader must reject it.
pub fn render_invalid(magic: &[u8; 4], fields: &[Field], inv: &Invalid) -> Vec<u8> {
    let mut fields = fields.to_vec();
    let ints: Vec<usize> = fields
        .iter()
        .enumerate()
        .filter(|(_, f)| matches!(f.kind, Kind::Int | Kind::Uint))
        .map(|(i, _)| i)
        .collect();
    let int_at = |i: u8| ints[usize::from(i) % ints.len()];
    let is_message = magic == &MESSAGE_MAGIC;
    let mut prefix: Vec<u8> = magic.to_vec();
    let mut suffix: Vec<u8> = Vec::new();
    match *inv {
        Invalid::FloatForInt { field, form } => {
            let i = int_at(field);
            fields[i].raw = [&b"30.0"[..], b"3e1", b"1E2", b"0.5", b"1e0", b"-0.0"]
                [usize::from(form) % 6]
                .to_vec();
        }
        Invalid::OutOfRange { field, form } => {
            let i = int_at(field);
            let f = &mut fields[i];
            f.raw = match (f.kind, f.u32) {
                (Kind::Int, _) => [
                    &b"9223372036854775808"[..],
                    b"-9223372036854775809",
                    b"99999999999999999999",
                ][usize::from(form) % 3]
                    .to_vec(),
                (_, true) => [&b"4294967296"[..], b"-1", b"-0"][usize::from(form) % 3].to_vec(),
                _ => [&b"18446744073709551616"[..], b"-1", b"-0"][usize::from(form) % 3].to_vec(),
            };
        }
        Invalid::StringForNumber { field } => {
            let i = int_at(field);
            fields[i].raw = b"\"1\"".to_vec();
        }
        Invalid::WrongForBool { form } => {
            let raw = [&b"1"[..], b"0", b"\"true\"", b"[]"][usize::from(form) % 4].to_vec();
            if is_message {
                // Messages have no bool; break an int instead.
                let i = int_at(form);
                fields[i].raw = b"true".to_vec();
            } else {
                set_or_add(&mut fields, "is_fifo", Kind::Bool, raw);
            }
        }
        Invalid::LeadingZero { field } => {
            let i = int_at(field);
            fields[i].raw = if fields[i].kind == Kind::Int && field % 2 == 1 {
                b"-01".to_vec()
            } else {
                b"01".to_vec()
            };
        }
        Invalid::TrailingGarbage { junk } => {
            suffix = [&b"x"[..], b" {}", b"]", b",", b"\x00", b"}", b"null"][usize::from(junk) % 7]
                .to_vec();
        }
        Invalid::Bom => prefix.extend_from_slice(b"\xef\xbb\xbf"),
        Invalid::BadMagic { form } => {
            prefix = match form % 5 {
                0 => Vec::new(),
                1 => magic[..3].to_vec(),
                2 => {
                    let mut m = magic.to_vec();
                    m[3] = 0x02;
                    m
                }
                3 => {
                    // The other record's magic.
                    if is_message {
                        QUEUE_META_MAGIC.to_vec()
                    } else {
                        MESSAGE_MAGIC.to_vec()
                    }
                }
                _ => b" \x00SQ\x01".to_vec(),
            };
        }
        Invalid::RawControl { byte } => {
            let c = byte % 0x20;
            let raw = vec![b'"', b'a', c, b'"'];
            let name = if is_message { "message_id" } else { "name" };
            set_or_add(&mut fields, name, Kind::Str, raw);
        }
        Invalid::Truncated { .. } => {}
        Invalid::BadBytes { form } => {
            let raw = [
                &b"12"[..],
                b"{}",
                b"\"aGk=!\"",
                b"[256]",
                b"[-1]",
                b"\"aGk\"",
                b"true",
                b"\"-_8=\"",
            ][usize::from(form) % 8]
                .to_vec();
            if is_message {
                set_or_add(&mut fields, "body", Kind::Bytes, raw);
            } else {
                // Meta has no []byte: break tags instead.
                set_or_add(&mut fields, "tags", Kind::Map, b"{\"a\":1}".to_vec());
            }
        }
        Invalid::MapNotObject { form } => {
            let raw = [&b"[]"[..], b"\"x\"", b"1", b"true"][usize::from(form) % 4].to_vec();
            let name = if is_message {
                "message_attributes"
            } else {
                "tags"
            };
            set_or_add(&mut fields, name, Kind::Map, raw);
        }
        Invalid::NotObject { form } => {
            let body = [&b"[]"[..], b"1", b"\"x\"", b"", b"{"][usize::from(form) % 5];
            let mut v = prefix;
            v.extend_from_slice(body);
            return v;
        }
    }
    let mut json = gowrite::render(&fields);
    if let Invalid::Truncated { at } = *inv {
        let cut = usize::from(at) % json.len().max(1);
        json.truncate(cut);
    }
    let mut v = prefix;
    v.extend_from_slice(&json);
    v.extend_from_slice(&suffix);
    v
}

// ---------------------------------------------------------------------
// Gen values.

/// A gen value spelling and what Go's
/// `strconv.ParseUint(strings.TrimSpace(v), 10, 64)` makes of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenText {
    /// The stored bytes.
    pub bytes: Vec<u8>,
    /// The parsed generation, or `None` when invalid.
    pub value: Option<u64>,
}

const SPACES: &[&str] = &[
    " ", "\t", "\n", "\r", "\u{b}", "\u{c}", "\u{85}", "\u{a0}", "\u{2028}", "\u{3000}", "\u{feff}",
];

impl GenText {
    /// A valid spelling of `n`: leading zeros, surrounding Unicode space.
    pub fn valid(u: &mut Unstructured<'_>, n: u64) -> Result<Self> {
        let mut s = String::new();
        // U+FEFF is not white space for Go's TrimSpace.
        let spaces = &SPACES[..SPACES.len() - 1];
        if u.ratio(1, 4)? {
            s.push_str(u.choose(spaces)?);
        }
        for _ in 0..u.int_in_range(0..=2u8)? {
            if u.ratio(1, 3)? {
                s.push('0');
            }
        }
        s.push_str(&n.to_string());
        if u.ratio(1, 4)? {
            s.push_str(u.choose(spaces)?);
        }
        Ok(GenText {
            bytes: s.into_bytes(),
            value: Some(n),
        })
    }

    /// An invalid spelling.
    pub fn invalid(u: &mut Unstructured<'_>) -> Result<Self> {
        let s: &[u8] = match u.int_in_range(0..=11u8)? {
            0 => b"",
            1 => b"-1",
            2 => b"+1",
            3 => b"1_000",
            4 => b"18446744073709551616",
            5 => b"0x10",
            6 => b"1 2",
            7 => "\u{feff}7".as_bytes(),
            8 => "\u{661}".as_bytes(),
            9 => b"\xff1",
            10 => b"1.0",
            _ => b" ",
        };
        Ok(GenText {
            bytes: s.to_vec(),
            value: None,
        })
    }
}

/// The reference reading of a gen value, written from the rule in the
/// spec (REQ-VAL-6), for checking `value::decode_gen` on any bytes.
pub fn gen_oracle(v: &[u8]) -> Option<u64> {
    let s = std::str::from_utf8(v).ok()?;
    let t = s.trim_matches(|c: char| c.is_whitespace());
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    t.parse::<u64>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_json_matches_go_marshal_field_order() {
        let m = LiveMessage {
            message_id: "m1".into(),
            body: Some(b"hi".to_vec()),
            md5_of_body: "d".into(),
            md5_of_message_attributes: String::new(),
            message_attributes: BTreeMap::new(),
            sender_id: String::new(),
            send_timestamp_millis: 5,
            available_at_millis: 6,
            visible_at_millis: 0,
            receive_count: 0,
            first_receive_millis: 0,
            current_receipt_token: None,
            queue_generation: 1,
            message_group_id: String::new(),
            message_deduplication_id: String::new(),
            sequence_number: 0,
            dead_letter_source_arn: String::new(),
        };
        assert_eq!(
            String::from_utf8(m.go_json()).unwrap(),
            r#"{"message_id":"m1","body":"aGk=","md5_of_body":"d","send_timestamp_millis":5,"available_at_millis":6,"visible_at_millis":0,"receive_count":0,"current_receipt_token":null,"queue_generation":1}"#
        );
    }

    #[test]
    fn gen_oracle_follows_parse_uint_of_trim_space() {
        assert_eq!(gen_oracle(b" 007\n"), Some(7));
        assert_eq!(gen_oracle("\u{85}3\u{3000}".as_bytes()), Some(3));
        assert_eq!(gen_oracle(b"+1"), None);
        assert_eq!(gen_oracle("\u{feff}1".as_bytes()), None);
        assert_eq!(gen_oracle(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(gen_oracle(b"18446744073709551616"), None);
    }

    #[test]
    fn case_fold_uses_long_s_and_kelvin() {
        assert_eq!(fold_name("sk", u64::MAX), "\u{17f}\u{212a}");
        assert_eq!(fold_name("name", 0b0101), "NaMe");
    }
}

// ---------------------------------------------------------------------
// Cases: one value plus the spellings to try, for properties and fuzzing.

/// A live record of either kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Live {
    /// A queue meta record.
    Meta(LiveQueueMeta),
    /// A message record.
    Message(LiveMessage),
}

impl<'a> Arbitrary<'a> for Live {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(if bool::arbitrary(u)? {
            let name = super::keys::queue_name(u)?;
            Live::Meta(LiveQueueMeta::arbitrary_named(u, name)?)
        } else {
            let id = text(u)?;
            let gen = u64::arbitrary(u)?;
            let fifo = bool::arbitrary(u)?;
            Live::Message(LiveMessage::arbitrary_with(u, id, gen, fifo)?)
        })
    }
}

impl Live {
    /// The magic of its kind.
    pub fn magic(&self) -> &'static [u8; 4] {
        match self {
            Live::Meta(_) => &QUEUE_META_MAGIC,
            Live::Message(_) => &MESSAGE_MAGIC,
        }
    }

    /// Its struct fields as written.
    pub fn fields(&self) -> Vec<Field> {
        match self {
            Live::Meta(m) => m.fields(),
            Live::Message(m) => m.fields(),
        }
    }

    /// The canonical stored value.
    pub fn value(&self) -> Vec<u8> {
        match self {
            Live::Meta(m) => m.value(),
            Live::Message(m) => m.value(),
        }
    }

    /// The value spelled with `quirks`.
    pub fn quirky_value(&self, quirks: &[Quirk]) -> Vec<u8> {
        with_magic(self.magic(), &render_with_quirks(&self.fields(), quirks))
    }

    /// Read `value` with the crate's reader for this kind and compare with
    /// what the model says it holds (`Err` describes the difference).
    pub fn check_reads_as_expected(&self, value: &[u8]) -> std::result::Result<(), String> {
        let show = || String::from_utf8_lossy(value).into_owned();
        match self {
            Live::Meta(m) => match crate::value::decode_queue_meta(value) {
                Ok(got) if got == m.expected() => Ok(()),
                Ok(got) => Err(format!(
                    "meta {} read as {got:?}, expected {:?}",
                    show(),
                    m.expected()
                )),
                Err(e) => Err(format!("meta {} rejected: {e}", show())),
            },
            Live::Message(m) => match crate::value::decode_message(value) {
                Ok(got) if got == m.expected() => Ok(()),
                Ok(got) => Err(format!(
                    "message {} read as {got:?}, expected {:?}",
                    show(),
                    m.expected()
                )),
                Err(e) => Err(format!("message {} rejected: {e}", show())),
            },
        }
    }

    /// Whether the crate's reader for this kind rejects `value`.
    pub fn rejects(&self, value: &[u8]) -> bool {
        match self {
            Live::Meta(_) => crate::value::decode_queue_meta(value).is_err(),
            Live::Message(_) => crate::value::decode_message(value).is_err(),
        }
    }
}

/// A live record and quirks that must not change how it reads
/// (REQ-JSON-1..REQ-JSON-4, REQ-JSON-9).
#[derive(Debug, Clone, PartialEq, Eq, Arbitrary)]
pub struct QuirkCase {
    /// The record.
    pub live: Live,
    /// The rewrites.
    pub quirks: Vec<Quirk>,
}

/// A live record broken so that it must be rejected (REQ-VAL-1,
/// REQ-VAL-2, REQ-JSON-5, REQ-JSON-6, REQ-JSON-8).
#[derive(Debug, Clone, PartialEq, Eq, Arbitrary)]
pub struct InvalidCase {
    /// The record.
    pub live: Live,
    /// The damage.
    pub invalid: Invalid,
}

impl InvalidCase {
    /// The broken stored value.
    pub fn value(&self) -> Vec<u8> {
        render_invalid(self.live.magic(), &self.live.fields(), &self.invalid)
    }
}

/// A gen value spelling, valid or not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenCase(pub GenText);

impl<'a> Arbitrary<'a> for GenCase {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(GenCase(if bool::arbitrary(u)? {
            let n = u64::arbitrary(u)?;
            GenText::valid(u, n)?
        } else {
            GenText::invalid(u)?
        }))
    }
}

// ---------------------------------------------------------------------
// Re-marshalling what the reader produced, for read→write→read checks.

/// Write a read [`QueueMeta`] back as Go would marshal the live record
/// holding those values (ignored fields left out).
pub fn remarshal_meta(m: &QueueMeta) -> Vec<u8> {
    let live = LiveQueueMeta {
        name: m.name.clone(),
        is_fifo: m.is_fifo,
        content_based_dedup: m.content_based_dedup,
        visibility_timeout_seconds: m.visibility_timeout_seconds,
        message_retention_seconds: m.message_retention_seconds,
        delay_seconds: m.delay_seconds,
        receive_message_wait_seconds: m.receive_message_wait_seconds,
        maximum_message_size: m.maximum_message_size,
        redrive_policy: m.redrive_policy.clone(),
        redrive_allow_policy: m.redrive_allow_policy.clone(),
        tags: m.tags.clone(),
        partition_count: m.partition_count,
        fifo_throughput_limit: m.fifo_throughput_limit.clone(),
        deduplication_scope: m.deduplication_scope.clone(),
        ..LiveQueueMeta::default()
    };
    live.value()
}

/// Write a read [`Message`] back: the live field order, attribute values
/// as the raw JSON the reader kept.
pub fn remarshal_message(m: &Message) -> Vec<u8> {
    let mut f = vec![
        Field::new("message_id", Kind::Str, str_lit(&m.message_id)),
        Field::new("body", Kind::Bytes, bytes_lit(Some(&m.body))),
        Field::new("md5_of_body", Kind::Str, str_lit(&m.md5_of_body)),
        Field::new(
            "md5_of_message_attributes",
            Kind::Str,
            str_lit(&m.md5_of_message_attributes),
        ),
    ];
    if !m.message_attributes.is_empty() {
        let members = m
            .message_attributes
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        f.push(Field::map("message_attributes", members));
    }
    f.push(Field::new("sender_id", Kind::Str, str_lit(&m.sender_id)));
    for (n, v) in [
        ("send_timestamp_millis", m.send_timestamp_millis),
        ("available_at_millis", m.available_at_millis),
        ("visible_at_millis", m.visible_at_millis),
        ("receive_count", m.receive_count),
        ("first_receive_millis", m.first_receive_millis),
    ] {
        f.push(Field::new(n, Kind::Int, int_lit(v)));
    }
    f.push(Field::new(
        "current_receipt_token",
        Kind::Bytes,
        bytes_lit(Some(&m.current_receipt_token)),
    ));
    f.push(Field::new(
        "queue_generation",
        Kind::Uint,
        int_lit(m.queue_generation),
    ));
    for (n, v) in [
        ("message_group_id", &m.message_group_id),
        ("message_deduplication_id", &m.message_deduplication_id),
    ] {
        f.push(Field::new(n, Kind::Str, str_lit(v)));
    }
    f.push(Field::new(
        "sequence_number",
        Kind::Uint,
        int_lit(m.sequence_number),
    ));
    f.push(Field::new(
        "dead_letter_source_arn",
        Kind::Str,
        str_lit(&m.dead_letter_source_arn),
    ));
    with_magic(&MESSAGE_MAGIC, &gowrite::render(&f))
}
