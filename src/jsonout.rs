//! Output bytes written the way upstream's Go code writes them
//! (REQ-JSON-11..REQ-JSON-15, REQ-OUT-4..REQ-OUT-7).
//!
//! Two escaping modes exist because upstream uses two Go entry points:
//! `messages.jsonl` lines come from a `json.Encoder` with HTML escaping
//! off, while the `body` string (marshalled on its own by `json.Marshal`)
//! and `_queue.json` (`json.MarshalIndent`) are HTML-escaped.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;

use std::collections::BTreeMap;

use crate::schema::{self, MessageField, Omit, QueueField};
use crate::value::{Message, QueueMeta};

/// Whether `<`, `>` and `&` are escaped as `\u003c`, `\u003e`, `\u0026`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Html {
    /// `json.Marshal` / `json.MarshalIndent`.
    Escape,
    /// `json.Encoder` with `SetEscapeHTML(false)`.
    Raw,
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Append `s` as a JSON string the way Go's encoder writes it
/// (REQ-JSON-11). Same output as [`write_str_plain`], but copies runs of
/// bytes that need no escape in one go; the profile of a large decode
/// showed the per-character version as its top cost.
pub fn write_str(out: &mut Vec<u8>, s: &str, html: Html) {
    out.reserve(s.len() + 2);
    out.push(b'"');
    write_str_body(out, s, html);
    out.push(b'"');
}

/// Append raw bytes as a JSON string the way Go's encoder writes a Go
/// string holding them (REQ-JSON-11): valid UTF-8 as [`write_str`] writes
/// it, and each byte that does not start a valid UTF-8 sequence as the
/// six characters `\ufffd` (`json.Marshal("a\xffb")` is `"a\ufffdb"`),
/// while a real U+FFFD stays raw. Queue names taken from keys are the only
/// output strings that can hold such bytes; strings read from JSON were
/// already made valid by the reader (REQ-JSON-7).
pub fn write_go_bytes(out: &mut Vec<u8>, bytes: &[u8], html: Html) {
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    // Every byte of an invalid chunk is one Go replacement: the chunk is
    // a lead byte and continuation bytes, and no continuation byte starts
    // a sequence (the per-byte rule of REQ-JSON-7).
    for chunk in bytes.utf8_chunks() {
        write_str_body(out, chunk.valid(), html);
        for _ in chunk.invalid() {
            out.extend_from_slice(b"\\ufffd");
        }
    }
    out.push(b'"');
}

/// Whether `b` may need an escape in [`write_str_body`]: a control byte,
/// `"`, `\\`, 0xE2 (U+2028 and U+2029 start with it), and `<>&` in
/// [`Html::Escape`] mode. Branch-free for [`crate::scan::plain_prefix`]; a
/// false alarm only costs the byte-by-byte check.
fn needs_look(b: u8, html: Html) -> bool {
    let html = html == Html::Escape;
    (b < 0x20)
        | (b == b'"')
        | (b == b'\\')
        | (b == 0xe2)
        | (html & ((b == b'<') | (b == b'>') | (b == b'&')))
}

/// The escapes of [`write_str`] without the quotes.
fn write_str_body(out: &mut Vec<u8>, s: &str, html: Html) {
    let bytes = s.as_bytes();
    let mut run_start = 0;
    let mut i = 0;
    while i < bytes.len() {
        // Skip blocks in which no byte needs a look.
        i += match html {
            Html::Escape => crate::scan::plain_prefix(bytes.get(i..).unwrap_or_default(), |b| {
                needs_look(b, Html::Escape)
            }),
            Html::Raw => crate::scan::plain_prefix(bytes.get(i..).unwrap_or_default(), |b| {
                needs_look(b, Html::Raw)
            }),
        };
        // Then single bytes up to the next one that needs a look.
        while bytes.get(i).is_some_and(|&b| !needs_look(b, html)) {
            i += 1;
        }
        let Some(&b) = bytes.get(i) else { break };
        let needs_escape = b < 0x20
            || b == b'"'
            || b == b'\\'
            || (html == Html::Escape && matches!(b, b'<' | b'>' | b'&'))
            // U+2028 and U+2029 are E2 80 A8 and E2 80 A9.
            || (b == 0xe2 && bytes.get(i + 1) == Some(&0x80) && matches!(bytes.get(i + 2), Some(0xa8 | 0xa9)));
        if !needs_escape {
            i += 1;
            continue;
        }
        out.extend_from_slice(&bytes[run_start..i]);
        let len = if b == 0xe2 { 3 } else { 1 };
        // The escaped unit is one whole character, so this slice is valid.
        write_str_plain_inner(out, s.get(i..i + len).unwrap_or_default(), html);
        i += len;
        run_start = i;
    }
    out.extend_from_slice(&bytes[run_start..]);
}

/// Append `s` as a JSON string the way Go's encoder writes it, one
/// character at a time. This is the readable statement of the rule and the
/// oracle [`write_str`] is tested against (REQ-JSON-11): short escapes `\b \f \n \r \t \" \\`, other control
/// bytes as `\u00xx` (lowercase hex), U+2028/U+2029 as `\u2028`/`\u2029`,
/// `/` and 0x7f raw, `<>&` escaped only with [`Html::Escape`].
pub fn write_str_plain(out: &mut Vec<u8>, s: &str, html: Html) {
    out.push(b'"');
    write_str_plain_inner(out, s, html);
    out.push(b'"');
}

/// The escapes of [`write_str_plain`] without the quotes.
fn write_str_plain_inner(out: &mut Vec<u8>, s: &str, html: Html) {
    for ch in s.chars() {
        match ch {
            '"' => out.extend_from_slice(b"\\\""),
            '\\' => out.extend_from_slice(b"\\\\"),
            '\n' => out.extend_from_slice(b"\\n"),
            '\r' => out.extend_from_slice(b"\\r"),
            '\t' => out.extend_from_slice(b"\\t"),
            '\u{8}' => out.extend_from_slice(b"\\b"),
            '\u{c}' => out.extend_from_slice(b"\\f"),
            '<' | '>' | '&' if html == Html::Escape => {
                out.extend_from_slice(b"\\u00");
                let b = ch as u8;
                out.push(HEX[usize::from(b >> 4)]);
                out.push(HEX[usize::from(b & 0xf)]);
            }
            c if (c as u32) < 0x20 => {
                let b = c as u8;
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(b >> 4)]);
                out.push(HEX[usize::from(b & 0xf)]);
            }
            '\u{2028}' => out.extend_from_slice(b"\\u2028"),
            '\u{2029}' => out.extend_from_slice(b"\\u2029"),
            c => {
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
}

/// Replace every byte that does not start a valid UTF-8 sequence with
/// U+FFFD, one replacement per such byte (Go's rule, REQ-JSON-7; the same
/// function the reader uses). Unlike `String::from_utf8_lossy`, `e2 82 41`
/// gives two replacements then `A`.
pub fn utf8_per_byte_lossy(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    crate::gojson::push_utf8_go(&mut out, bytes);
    out
}

/// Append a raw JSON value compacted: white space outside strings
/// removed, every other byte verbatim (REQ-JSON-13). Invalid UTF-8 is
/// replaced per byte with U+FFFD, so the output is valid UTF-8 (a
/// deliberate difference: upstream passes the raw bytes through).
// REQ-JSON-16
pub fn write_compact_raw(out: &mut Vec<u8>, raw: &[u8]) {
    let text = utf8_per_byte_lossy(raw);
    let mut in_string = false;
    let mut escaped = false;
    for &b in text.as_bytes() {
        if in_string {
            out.push(b);
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
        } else if b == b'"' {
            in_string = true;
            out.push(b);
        } else if !matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
            out.push(b);
        }
    }
}

/// The `body` value (REQ-OUT-6): valid UTF-8 → a JSON string escaped the
/// way `json.Marshal` escapes it (HTML on, REQ-JSON-12); anything else →
/// `{"base64":"<unpadded base64url>"}`.
pub fn write_body(out: &mut Vec<u8>, body: &[u8]) {
    match crate::gojson::valid_utf8(body) {
        Some(s) => write_str(out, s, Html::Escape),
        None => {
            out.extend_from_slice(b"{\"base64\":\"");
            out.extend_from_slice(URL_SAFE_NO_PAD.encode(body).as_bytes());
            out.extend_from_slice(b"\"}");
        }
    }
}

/// Compact object writer: `{"k":v,...}`, keys and strings escaped as Go
/// escapes them in `html` mode (the message writers here use
/// [`Html::Raw`], the restore direction's `json.Marshal` [`Html::Escape`]).
pub(crate) struct Obj<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
    html: Html,
}

impl<'a> Obj<'a> {
    pub(crate) fn new(out: &'a mut Vec<u8>, html: Html) -> Self {
        out.push(b'{');
        Obj {
            out,
            first: true,
            html,
        }
    }
    pub(crate) fn key(&mut self, k: &str) -> &mut Vec<u8> {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        write_str(self.out, k, self.html);
        self.out.push(b':');
        self.out
    }
    pub(crate) fn str(&mut self, k: &str, v: &str) {
        let html = self.html;
        let out = self.key(k);
        write_str(out, v, html);
    }
    pub(crate) fn num(&mut self, k: &str, v: impl itoa::Integer) {
        let out = self.key(k);
        out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
    }
    pub(crate) fn end(self) {
        self.out.push(b'}');
    }
}

/// One field's value as the object writers here write it (the JSON type
/// is the declared [`crate::schema::Type`]).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Val<'a> {
    /// No value: the field is left out (`partition` of a legacy key).
    Absent,
    /// `null`.
    Null,
    /// A string.
    Str(&'a str),
    /// A string holding bytes that may not be UTF-8, written as Go writes
    /// a string holding them ([`write_go_bytes`]).
    GoBytes(&'a [u8]),
    /// `true` or `false`.
    Bool(bool),
    /// A signed integer.
    Int(i64),
    /// An unsigned integer.
    Uint(u64),
    /// A message body as the dump holds it ([`write_body`]).
    Body(&'a [u8]),
    /// Bytes as Go writes a `[]byte`: padded standard base64 (REQ-JSON-14).
    Base64(&'a [u8]),
    /// An object of raw JSON values, compacted ([`write_compact_raw`]).
    Raw(&'a BTreeMap<String, Vec<u8>>),
    /// An object of strings.
    Strs(&'a BTreeMap<String, String>),
}

impl Val<'_> {
    /// Whether a field declared with `omit` is left out holding this value.
    pub(crate) fn omitted(&self, omit: Omit) -> bool {
        match (omit, self) {
            (_, Val::Absent) => true,
            (Omit::Never | Omit::NoValue, _) => false,
            (Omit::Zero, v) => v.is_zero(),
        }
    }

    /// Go's zero value of the type (what `omitempty` leaves out).
    fn is_zero(&self) -> bool {
        match *self {
            Val::Absent | Val::Null => true,
            Val::Str(s) => s.is_empty(),
            Val::GoBytes(b) | Val::Body(b) | Val::Base64(b) => b.is_empty(),
            Val::Bool(b) => !b,
            Val::Int(n) => n == 0,
            Val::Uint(n) => n == 0,
            Val::Raw(m) => m.is_empty(),
            Val::Strs(m) => m.is_empty(),
        }
    }

    /// Append the value compactly, strings escaped in `html` mode (a
    /// body is always escaped as `json.Marshal` escapes it, REQ-JSON-12).
    pub(crate) fn write(&self, out: &mut Vec<u8>, html: Html) {
        match *self {
            Val::Absent => {}
            Val::Null => out.extend_from_slice(b"null"),
            Val::Str(s) => write_str(out, s, html),
            Val::GoBytes(b) => write_go_bytes(out, b, html),
            Val::Bool(b) => out.extend_from_slice(if b { b"true" } else { b"false" }),
            Val::Int(n) => out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes()),
            Val::Uint(n) => out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes()),
            Val::Body(b) => write_body(out, b),
            Val::Base64(b) => {
                out.push(b'"');
                out.extend_from_slice(STANDARD.encode(b).as_bytes());
                out.push(b'"');
            }
            Val::Raw(m) => {
                let mut o = Obj::new(out, html);
                // BTreeMap<String, _> iterates in byte order of the keys,
                // which is the order Go sorts map keys in.
                for (k, raw) in m {
                    write_compact_raw(o.key(k), raw);
                }
                o.end();
            }
            Val::Strs(m) => {
                let mut o = Obj::new(out, html);
                for (k, v) in m {
                    o.str(k, v);
                }
                o.end();
            }
        }
    }
}

/// One `messages.jsonl` line including its `\n` (REQ-OUT-5). Field order
/// and omissions follow upstream's dump record; `partition` is present
/// only for messages read from partitioned keys (REQ-DEC-6).
pub fn message_line(m: &Message, partition: Option<u32>) -> Vec<u8> {
    let mut out = Vec::with_capacity(128 + m.body.len() * 2);
    write_message_line(&mut out, m, partition);
    out
}

/// The value of message field `id` of `m` (REQ-OUT-5).
// REQ-JSON-14
fn message_value(m: &Message, partition: Option<u32>, id: MessageField) -> Val<'_> {
    use MessageField as F;
    match id {
        F::MessageId => Val::Str(&m.message_id),
        F::Body => Val::Body(&m.body),
        F::Md5OfBody => Val::Str(&m.md5_of_body),
        F::Md5OfMessageAttributes => Val::Str(&m.md5_of_message_attributes),
        F::MessageAttributes => Val::Raw(&m.message_attributes),
        F::SenderId => Val::Str(&m.sender_id),
        F::SendTimestampMillis => Val::Int(m.send_timestamp_millis),
        F::AvailableAtMillis => Val::Int(m.available_at_millis),
        F::VisibleAtMillis => Val::Int(m.visible_at_millis),
        F::ReceiveCount => Val::Int(m.receive_count),
        F::FirstReceiveMillis => Val::Int(m.first_receive_millis),
        F::CurrentReceiptToken => Val::Base64(&m.current_receipt_token),
        F::QueueGeneration => Val::Uint(m.queue_generation),
        F::MessageGroupId => Val::Str(&m.message_group_id),
        F::MessageDeduplicationId => Val::Str(&m.message_deduplication_id),
        F::SequenceNumber => Val::Uint(m.sequence_number),
        F::DeadLetterSourceArn => Val::Str(&m.dead_letter_source_arn),
        F::Partition => partition.map_or(Val::Absent, |p| Val::Uint(u64::from(p))),
    }
}

/// Append one `messages.jsonl` line, as [`message_line`] returns it: the
/// fields of [`schema::MESSAGE`] in order, each left out as it declares.
pub fn write_message_line(out: &mut Vec<u8>, m: &Message, partition: Option<u32>) {
    let mut o = Obj::new(out, Html::Raw);
    for f in &schema::MESSAGE {
        let v = message_value(m, partition, f.id);
        if !v.omitted(f.omit) {
            v.write(o.key(f.name), Html::Raw);
        }
    }
    o.end();
    out.push(b'\n');
}

/// One `side_records.jsonl` line including its `\n` (REQ-OUT-7).
pub fn side_record_line(prefix: &str, user_key: &[u8], value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + user_key.len() * 2 + value.len() * 2);
    let mut o = Obj::new(&mut out, Html::Raw);
    o.str("prefix", prefix);
    o.str("key_hex", &hex::encode(user_key));
    o.str("value_b64", &URL_SAFE_NO_PAD.encode(value));
    o.end();
    out.push(b'\n');
    out
}

/// A JSON value laid out by [`write_indented`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Indented {
    /// A scalar, already written (a string by [`write_str`] or
    /// [`write_go_bytes`], a number, `true`, `false`, `null`).
    Scalar(Vec<u8>),
    /// An array.
    Array(Vec<Indented>),
    /// An object: its keys in the order given (Go writes struct fields in
    /// declaration order).
    Object(Vec<(&'static str, Indented)>),
}

/// Append `v` at nesting `depth` the way Go's `json.MarshalIndent(v, "",
/// "  ")` (and a `json.Encoder` with `SetIndent("", "  ")`, before its
/// trailing newline) lays it out: one member per line indented two spaces
/// per level, `"key": value`, the closing bracket on its own line at the
/// parent's indent, and empty arrays and objects as `[]` and `{}`. Keys
/// are HTML-escaped, as `json.Marshal` writes them. The ENCODE_INFO
/// sidecar is written with it (REQ-ENC-18).
pub fn write_indented(out: &mut Vec<u8>, v: &Indented, depth: usize) {
    let indent = |out: &mut Vec<u8>, n: usize| {
        out.push(b'\n');
        for _ in 0..n {
            out.extend_from_slice(b"  ");
        }
    };
    match v {
        Indented::Scalar(bytes) => out.extend_from_slice(bytes),
        Indented::Array(items) if items.is_empty() => out.extend_from_slice(b"[]"),
        Indented::Object(fields) if fields.is_empty() => out.extend_from_slice(b"{}"),
        Indented::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                indent(out, depth + 1);
                write_indented(out, item, depth + 1);
            }
            indent(out, depth);
            out.push(b']');
        }
        Indented::Object(fields) => {
            out.push(b'{');
            for (i, (k, item)) in fields.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                indent(out, depth + 1);
                write_str(out, k, Html::Escape);
                out.extend_from_slice(b": ");
                write_indented(out, item, depth + 1);
            }
            indent(out, depth);
            out.push(b'}');
        }
    }
}

/// The value of `_queue.json` field `id` (REQ-OUT-4): `name` is the live
/// record's name, or the raw `key_name` when that is empty.
fn queue_value<'a>(meta: &'a QueueMeta, key_name: &'a [u8], id: QueueField) -> Val<'a> {
    use QueueField as F;
    match id {
        F::FormatVersion => Val::Int(1),
        F::Name if meta.name.is_empty() => Val::GoBytes(key_name),
        F::Name => Val::Str(&meta.name),
        F::Fifo => Val::Bool(meta.is_fifo),
        F::ContentBasedDeduplication => Val::Bool(meta.content_based_dedup),
        F::VisibilityTimeoutSeconds => Val::Int(meta.visibility_timeout_seconds),
        F::MessageRetentionSeconds => Val::Int(meta.message_retention_seconds),
        F::DelaySeconds => Val::Int(meta.delay_seconds),
        F::ReceiveMessageWaitSeconds => Val::Int(meta.receive_message_wait_seconds),
        F::MaximumMessageSize => Val::Int(meta.maximum_message_size),
        F::RedrivePolicy => Val::Str(&meta.redrive_policy),
        F::RedriveAllowPolicy => Val::Str(&meta.redrive_allow_policy),
        F::PartitionCount => Val::Uint(u64::from(meta.partition_count)),
        F::FifoThroughputLimit => Val::Str(&meta.fifo_throughput_limit),
        F::DeduplicationScope => Val::Str(&meta.deduplication_scope),
        F::Tags => Val::Strs(&meta.tags),
    }
}

/// `_queue.json` bytes (REQ-OUT-4, REQ-JSON-15): the fields of
/// [`schema::QUEUE`] in order, each left out as it declares, laid out as
/// `json.MarshalIndent` with a two-space indent lays them out, HTML
/// escaping on, no trailing newline. `name` is the live record's name, or
/// the raw `key_name` when that is empty (written as [`write_go_bytes`]
/// writes it). `tags` is an extension of the upstream format (REQ-VAL-4).
pub fn queue_json(meta: &QueueMeta, key_name: &[u8]) -> Vec<u8> {
    let mut fields = Vec::with_capacity(schema::QUEUE.len());
    for f in &schema::QUEUE {
        let v = queue_value(meta, key_name, f.id);
        if v.omitted(f.omit) {
            continue;
        }
        let mut b = Vec::new();
        match v {
            // The one nested object, one level deep.
            Val::Strs(tags) => {
                b.push(b'{');
                for (i, (k, v)) in tags.iter().enumerate() {
                    if i > 0 {
                        b.push(b',');
                    }
                    b.extend_from_slice(b"\n    ");
                    write_str(&mut b, k, Html::Escape);
                    b.extend_from_slice(b": ");
                    write_str(&mut b, v, Html::Escape);
                }
                b.extend_from_slice(b"\n  }");
            }
            v => v.write(&mut b, Html::Escape),
        }
        fields.push((f.name, Indented::Scalar(b)));
    }
    let mut out = Vec::new();
    write_indented(&mut out, &Indented::Object(fields), 0);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(s: &str, html: Html) -> String {
        let mut out = Vec::new();
        write_str(&mut out, s, html);
        String::from_utf8(out).unwrap()
    }

    // REQ-JSON-11, REQ-OUT-9
    #[test]
    fn invalid_bytes_are_written_as_escaped_replacements_like_go() {
        let go = |b: &[u8], html| {
            let mut out = Vec::new();
            write_go_bytes(&mut out, b, html);
            String::from_utf8(out).unwrap()
        };
        // json.Marshal("a\xffb") == `"a\ufffdb"`; one escape per byte of
        // an incomplete sequence; a real U+FFFD stays raw.
        assert_eq!(go(b"a\xffb", Html::Escape), r#""a\ufffdb""#);
        assert_eq!(go(b"\xe2\x82A", Html::Raw), r#""\ufffd\ufffdA""#);
        assert_eq!(go(b"\xed\xa0\x80", Html::Raw), r#""\ufffd\ufffd\ufffd""#);
        assert_eq!(
            go("\u{fffd}<\n".as_bytes(), Html::Escape),
            "\"\u{fffd}\\u003c\\n\""
        );
        assert_eq!(go("\u{fffd}<".as_bytes(), Html::Raw), "\"\u{fffd}<\"");
    }

    proptest::proptest! {
        // REQ-JSON-11
        #[test]
        fn valid_utf8_bytes_are_written_as_strings_are(s in "\\PC{0,20}") {
            let mut a = Vec::new();
            write_go_bytes(&mut a, s.as_bytes(), Html::Escape);
            proptest::prop_assert_eq!(a, enc(&s, Html::Escape).into_bytes());
        }
    }

    // REQ-JSON-11
    #[test]
    fn encoder_string_escapes_match_go() {
        assert_eq!(enc("<a&b>", Html::Raw), r#""<a&b>""#);
        assert_eq!(enc("\u{2028}\u{2029}", Html::Raw), r#""\u2028\u2029""#);
        assert_eq!(
            enc("\u{8}\u{c}\n\r\t\"\\", Html::Raw),
            r#""\b\f\n\r\t\"\\""#
        );
        assert_eq!(
            enc("\u{0}\u{1f}\u{1b}", Html::Raw),
            r#""\u0000\u001f\u001b""#
        );
        assert_eq!(enc("/\u{7f}é\u{fffd}", Html::Raw), "\"/\u{7f}é\u{fffd}\"");
        // A space is the first byte that is not a control: raw in both
        // writers.
        let mut plain = Vec::new();
        write_str_plain(&mut plain, " a b ", Html::Raw);
        assert_eq!(plain, b"\" a b \"");
        assert_eq!(enc(" a b ", Html::Raw), "\" a b \"");
        // Only U+2028 and U+2029 are escaped, not the characters that share
        // their lead byte (E2) or their last two bytes (80 A8, 80 A9).
        for c in [
            '\u{2020}', '€', '\u{1028}', '\u{3028}', '\u{3029}', '\u{f029}',
        ] {
            let s = format!("a{c}b");
            assert_eq!(enc(&s, Html::Raw), format!("\"{s}\""), "U+{:04X}", c as u32);
        }
    }

    // REQ-JSON-11, REQ-JSON-12: long strings (bodies) are skipped in
    // blocks; every character that may need an escape is still seen in
    // every position of every block, in both modes.
    #[test]
    fn fast_string_writer_sees_every_special_character_in_long_strings() {
        let mut specials: Vec<char> = (0u8..0x20).map(char::from).collect();
        specials.extend([
            '"', '\\', '<', '>', '&', '\u{2028}', '\u{2029}', '\u{2020}', 'é', '\u{7f}',
        ]);
        for html in [Html::Escape, Html::Raw] {
            for &c in &specials {
                for at in 0..100 {
                    let mut s: String = "a".repeat(100);
                    s.insert(at, c);
                    let mut fast = Vec::new();
                    write_str(&mut fast, &s, html);
                    let mut plain = Vec::new();
                    write_str_plain(&mut plain, &s, html);
                    assert_eq!(fast, plain, "{c:?} at {at}, {html:?}");
                }
            }
        }
    }

    proptest::proptest! {
        // REQ-JSON-11, REQ-JSON-12
        #[test]
        fn fast_string_writer_matches_the_plain_oracle(
            s in proptest::string::string_regex("([a-z <>&\"\\\\/\u{0}-\u{1f}\u{7f}\u{2027}-\u{202a}é€😀\u{fffd}]){0,40}|[a-z]{20,80}[<\"\u{0}-\u{1f}\u{2028}][a-z]{0,80}").unwrap(),
            html in proptest::bool::ANY,
        ) {
            let html = if html { Html::Escape } else { Html::Raw };
            let mut fast = Vec::new();
            write_str(&mut fast, &s, html);
            let mut plain = Vec::new();
            write_str_plain(&mut plain, &s, html);
            proptest::prop_assert_eq!(fast, plain);
        }
    }

    // REQ-JSON-12
    #[test]
    fn html_mode_escapes_angle_brackets_and_ampersand() {
        assert_eq!(enc("<a&b>", Html::Escape), r#""\u003ca\u0026b\u003e""#);
        assert_eq!(enc("\u{2028}", Html::Escape), r#""\u2028""#);
    }

    // REQ-JSON-7
    #[test]
    fn per_byte_replacement_differs_from_maximal_subparts() {
        assert_eq!(utf8_per_byte_lossy(b"\xe2\x82A"), "\u{fffd}\u{fffd}A");
        assert_eq!(
            utf8_per_byte_lossy(b"\xed\xa0\x80"),
            "\u{fffd}\u{fffd}\u{fffd}"
        );
        assert_eq!(utf8_per_byte_lossy("ok€".as_bytes()), "ok€");
        assert_eq!(String::from_utf8_lossy(b"\xe2\x82A"), "\u{fffd}A");
    }

    // REQ-JSON-13
    #[test]
    fn raw_values_are_compacted_verbatim() {
        let mut out = Vec::new();
        write_compact_raw(
            &mut out,
            b"{ \"DataType\" : \"String\",\n \"v\": [1.50, \"a b\\\" <&>\", \"\\u0041\\/\"] }",
        );
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"DataType":"String","v":[1.50,"a b\" <&>","\u0041\/"]}"#
        );
        let mut bad = Vec::new();
        write_compact_raw(&mut bad, b"\"\xff\xe2\x80\xa8\"");
        assert_eq!(String::from_utf8(bad).unwrap(), "\"\u{fffd}\u{2028}\"");
    }

    // REQ-OUT-6
    #[test]
    fn body_is_text_or_envelope() {
        let mut t = Vec::new();
        write_body(&mut t, b"hi <b>");
        assert_eq!(t, br#""hi \u003cb\u003e""#);
        let mut b = Vec::new();
        write_body(&mut b, b"\xff\x00");
        assert_eq!(b, br#"{"base64":"_wA"}"#);
        let mut e = Vec::new();
        write_body(&mut e, b"");
        assert_eq!(e, br#""""#);
    }
}
