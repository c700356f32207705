//! A JSON reader with the semantics of Go's `encoding/json` v1 (REQ-JSON-*).
//!
//! Queue meta and message records are JSON written by the live cluster.
//! Upstream's backup decoder (`internal/backup/sqs.go`) reads them with
//! `json.Unmarshal` from Go's `encoding/json` into structs with snake_case
//! `json:"..."` tags. This module reads a JSON document into such a
//! "struct" exactly the way that call does, so that sqsdump accepts what Go
//! accepts and rejects what Go rejects:
//!
//! - The whole document is validated first, as Go's scanner does. Any syntax
//!   error anywhere (also inside an ignored field) is an error, and it wins
//!   over a type error earlier in the document (REQ-JSON-4, REQ-JSON-6).
//! - Keys match field names exactly, else case-insensitively with Go's
//!   folding (REQ-JSON-1). The last matching key wins (REQ-JSON-2).
//! - Strings are unescaped the way Go unescapes them, replacing invalid
//!   UTF-8 and lone surrogates with U+FFFD (REQ-JSON-7, REQ-JSON-8).
//! - Each target type ([`Slot`]) follows Go's rules for that Go type,
//!   including `null` (REQ-JSON-3), numbers (REQ-JSON-5), `[]byte`
//!   (REQ-JSON-9) and `map[string]json.RawMessage` (REQ-JSON-10).
//!
//! The reader is a single left-to-right pass over the bytes. Type errors are
//! remembered and the pass continues, so that a later syntax error is still
//! reported first, as Go reports it. Values that are not decoded into a
//! field are skipped by an iterative scanner, so nesting up to Go's limit of
//! 10000 levels needs no recursion.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

/// Go's `maxNestingDepth`: the 10001st nested `[` or `{` is a syntax error.
/// The top-level object counts as level 1 (REQ-JSON-6).
pub const MAX_DEPTH: usize = 10_000;

/// Why a document was rejected. Offsets count bytes of the JSON text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JsonError {
    /// The text ended inside a value, e.g. `{"a":1`.
    UnexpectedEnd {
        /// The length of the text.
        offset: usize,
    },
    /// A byte that the grammar does not allow here, e.g. the `x` in
    /// `{"a":x}`.
    InvalidByte {
        /// Where the byte is.
        offset: usize,
        /// The byte.
        byte: u8,
        /// What the scanner was looking for, in Go's words, e.g.
        /// `looking for beginning of value`.
        context: &'static str,
    },
    /// The text starts with a UTF-8 byte-order mark (`ef bb bf`).
    ByteOrderMark {
        /// Where the mark is.
        offset: usize,
    },
    /// A raw byte below 0x20 inside a string, e.g. a literal newline.
    ControlByte {
        /// Where the byte is.
        offset: usize,
        /// The byte.
        byte: u8,
    },
    /// The 10001st nested `[` or `{`.
    TooDeep {
        /// Where the bracket is.
        offset: usize,
    },
    /// Non-space data after the top-level value, e.g. `{} x`.
    TrailingData {
        /// Where the data starts.
        offset: usize,
    },
    /// A value of the wrong JSON type or out of range for its field, e.g.
    /// `{"send_timestamp_millis":1.5}`.
    Type {
        /// What was found: `string`, `bool`, `object`, `array` or
        /// `number <literal>`.
        found: String,
        /// Where it was meant to go, e.g. `int64 field send_timestamp_millis`.
        target: String,
    },
    /// A `[]byte` field holds a string that is not padded standard base64.
    Base64 {
        /// The field name.
        field: &'static str,
        /// Offset of the offending byte in the unescaped string.
        at: usize,
    },
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JsonError::UnexpectedEnd { offset } => {
                write!(f, "json: unexpected end of input at offset {offset}")
            }
            JsonError::InvalidByte {
                offset,
                byte,
                context,
            } => {
                if byte.is_ascii_graphic() {
                    write!(
                        f,
                        "json: invalid character '{}' {context} at offset {offset}",
                        char::from(*byte)
                    )
                } else {
                    write!(
                        f,
                        "json: invalid byte 0x{byte:02x} {context} at offset {offset}"
                    )
                }
            }
            JsonError::ByteOrderMark { offset } => {
                write!(f, "json: byte-order mark at offset {offset}")
            }
            JsonError::ControlByte { offset, byte } => write!(
                f,
                "json: control byte 0x{byte:02x} in string literal at offset {offset}"
            ),
            JsonError::TooDeep { offset } => write!(
                f,
                "json: nesting deeper than {MAX_DEPTH} levels at offset {offset}"
            ),
            JsonError::TrailingData { offset } => {
                write!(f, "json: trailing data at offset {offset}")
            }
            JsonError::Type { found, target } => {
                write!(f, "json: cannot read {found} into {target}")
            }
            JsonError::Base64 { field, at } => write!(
                f,
                "json: illegal base64 data at byte {at} of []byte field {field}"
            ),
        }
    }
}

impl std::error::Error for JsonError {}

/// A Go `[]byte` value: its backing array up to the capacity, and its
/// length.
///
/// Go decodes a JSON array into an existing slice in place: elements that
/// are `null` keep whatever the backing array held at that index, even
/// beyond the old length (up to the capacity). To read such documents
/// exactly, the capacity and its contents are modelled too. Only documents
/// with a repeated `[]byte` key can observe this.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GoBytes {
    /// The backing array; `backing.len()` is Go's `cap`.
    backing: Vec<u8>,
    /// Go's `len`; never more than `backing.len()`.
    len: usize,
}

impl GoBytes {
    /// The bytes of the slice (`s[:len]`).
    pub fn as_slice(&self) -> &[u8] {
        self.backing.get(..self.len).unwrap_or(&[])
    }

    /// The bytes of the slice as a vector.
    pub fn into_vec(mut self) -> Vec<u8> {
        self.backing.truncate(self.len);
        self.backing
    }
}

/// Where a JSON value goes: one Go field type per variant.
#[derive(Debug)]
pub enum Slot<'t> {
    /// Go `string`.
    Str(&'t mut String),
    /// Go `bool`.
    Bool(&'t mut bool),
    /// Go `int64`.
    I64(&'t mut i64),
    /// Go `uint64`.
    U64(&'t mut u64),
    /// Go `uint32`.
    U32(&'t mut u32),
    /// Go `[]byte`.
    Bytes(&'t mut GoBytes),
    /// Go `map[string]string`. A nil map and an empty map are both empty.
    StrMap(&'t mut BTreeMap<String, String>),
    /// Go `map[string]json.RawMessage`: each value's exact input bytes.
    RawMap(&'t mut BTreeMap<String, Vec<u8>>),
}

/// A Go struct as seen by `json.Unmarshal`: a list of JSON field names and
/// a way to reach each field.
pub trait Target {
    /// The JSON names of the fields (lowercase ASCII, as in the Go tags),
    /// in declaration order.
    const FIELDS: &'static [&'static str];

    /// The field with index `index` in [`Target::FIELDS`]; `None` makes the
    /// value be skipped.
    fn slot(&mut self, index: usize) -> Option<Slot<'_>>;
}

/// Read `text` into `target` the way Go's `json.Unmarshal(text, &target)`
/// does, and fail whenever Go would return an error.
///
/// `target` keeps the values set before a type error; callers should
/// discard it on error.
pub fn unmarshal<T: Target>(text: &[u8], target: &mut T) -> Result<(), JsonError> {
    let mut parser = Parser::new(text);
    parser.document(target)?;
    match parser.type_error.take() {
        Some(err) => Err(err),
        None => Ok(()),
    }
}

/// Find the field a key names (REQ-JSON-1): an exact match first, else the
/// first field that matches under Go's case folding.
pub fn match_field(fields: &[&str], key: &[u8]) -> Option<usize> {
    fields
        .iter()
        .position(|name| name.as_bytes() == key)
        .or_else(|| fields.iter().position(|name| fold_eq(name.as_bytes(), key)))
}

/// Go's case-insensitive key comparison against an ASCII field name
/// (`encoding/json` fold.go; REQ-JSON-1).
///
/// ASCII letters match either case; other ASCII bytes match only
/// themselves. The only non-ASCII characters that fold onto ASCII letters
/// are U+017F (long s, folds to `s`) and U+212A (Kelvin sign, folds to `k`).
fn fold_eq(name: &[u8], key: &[u8]) -> bool {
    const LONG_S: &[u8] = "\u{17f}".as_bytes();
    const KELVIN: &[u8] = "\u{212a}".as_bytes();
    let mut rest = key;
    for &n in name {
        let Some((&k, tail)) = rest.split_first() else {
            return false;
        };
        if k.is_ascii() {
            if !n.eq_ignore_ascii_case(&k) {
                return false;
            }
            rest = tail;
        } else if n.eq_ignore_ascii_case(&b's') && rest.starts_with(LONG_S) {
            rest = rest.get(LONG_S.len()..).unwrap_or(&[]);
        } else if n.eq_ignore_ascii_case(&b'k') && rest.starts_with(KELVIN) {
            rest = rest.get(KELVIN.len()..).unwrap_or(&[]);
        } else {
            return false;
        }
    }
    rest.is_empty()
}

/// A string token: the bytes between the quotes, and whether any `\`
/// escape occurs in them.
#[derive(Debug, Clone, Copy)]
struct StrToken<'a> {
    raw: &'a [u8],
    escaped: bool,
}

impl<'a> StrToken<'a> {
    /// The string's value, unescaped the way Go does it.
    fn text(self) -> Cow<'a, str> {
        if !self.escaped {
            if let Some(s) = valid_utf8(self.raw) {
                return Cow::Borrowed(s);
            }
        }
        Cow::Owned(unquote(self.raw))
    }
}

/// Unescape the inside of a syntactically valid JSON string exactly as Go's
/// `unquoteBytes` does (REQ-JSON-7):
///
/// - each byte that does not start a valid UTF-8 sequence becomes U+FFFD;
/// - `\uXXXX` pairs that form a surrogate pair become one character; any
///   other surrogate escape becomes U+FFFD, one per escape.
fn unquote(raw: &[u8]) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while !rest.is_empty() {
        let run = rest.iter().position(|&b| b == b'\\').unwrap_or(rest.len());
        let (plain, tail) = rest.split_at(run);
        push_utf8_go(&mut out, plain);
        rest = tail;
        let Some((&b'\\', tail)) = rest.split_first() else {
            break;
        };
        let Some((&esc, tail)) = tail.split_first() else {
            break;
        };
        rest = tail;
        match esc {
            b'b' => out.push('\u{8}'),
            b'f' => out.push('\u{c}'),
            b'n' => out.push('\n'),
            b'r' => out.push('\r'),
            b't' => out.push('\t'),
            b'u' => {
                let Some(first) = hex4(rest) else {
                    break;
                };
                rest = rest.get(4..).unwrap_or(&[]);
                if (0xd800..0xe000).contains(&first) {
                    // A surrogate: only a high one followed by an escaped
                    // low one makes a character.
                    let second = match rest {
                        [b'\\', b'u', tail @ ..] => hex4(tail),
                        _ => None,
                    };
                    match second {
                        Some(low)
                            if (0xd800..0xdc00).contains(&first)
                                && (0xdc00..0xe000).contains(&low) =>
                        {
                            let code = 0x10000 + ((first - 0xd800) << 10) + (low - 0xdc00);
                            out.push(char::from_u32(code).unwrap_or('\u{fffd}'));
                            rest = rest.get(6..).unwrap_or(&[]);
                        }
                        _ => out.push('\u{fffd}'),
                    }
                } else {
                    out.push(char::from_u32(first).unwrap_or('\u{fffd}'));
                }
            }
            // `"`, `\` and `/` stand for themselves.
            other => out.push(char::from(other)),
        }
    }
    out
}

/// Four hex digits at the start of `s`, as a code unit.
fn hex4(s: &[u8]) -> Option<u32> {
    let digits = s.get(..4)?;
    let mut value = 0u32;
    for &d in digits {
        value = value * 16 + char::from(d).to_digit(16)?;
    }
    Some(value)
}

/// `bytes` as text if it is valid UTF-8 (the same answer as
/// `std::str::from_utf8`, checked with SIMD: this check runs on every
/// string and body).
pub(crate) fn valid_utf8(bytes: &[u8]) -> Option<&str> {
    simdutf8::basic::from_utf8(bytes).ok()
}

/// Append `bytes` to `out`, replacing each byte that does not start a
/// valid UTF-8 sequence with one U+FFFD, as Go's `utf8.DecodeRune` loop
/// does. (`String::from_utf8_lossy` differs: it replaces a maximal invalid
/// subpart, such as `e2 82`, with a single U+FFFD.)
pub fn push_utf8_go(out: &mut String, bytes: &[u8]) {
    if let Some(valid) = valid_utf8(bytes) {
        out.push_str(valid);
        return;
    }
    let mut rest = bytes;
    loop {
        match std::str::from_utf8(rest) {
            Ok(valid) => {
                out.push_str(valid);
                return;
            }
            Err(err) => {
                let (valid, bad) = rest.split_at(err.valid_up_to());
                out.push_str(&String::from_utf8_lossy(valid));
                out.push('\u{fffd}');
                rest = bad.get(1..).unwrap_or(&[]);
            }
        }
    }
}

/// Decode standard padded base64 the way Go's `base64.StdEncoding.Decode`
/// does (REQ-JSON-9): `\r` and `\n` are skipped anywhere, padding is
/// required, nonzero trailing bits are accepted, and nothing but newlines
/// may follow the padding. On error, returns the offset of the offending
/// byte (or the length, when the input stops too early).
///
/// Returns the decoded bytes and Go's buffer size, `len(src) / 4 * 3`.
fn decode_base64_go(src: &[u8]) -> Result<GoBytes, usize> {
    let cap = src.len() / 4 * 3;
    let mut out = Vec::with_capacity(cap);
    // Fast path: whole quanta of four alphabet bytes.
    let mut i = 0usize;
    while let Some(&[a, b, c, d]) = src.get(i..i + 4) {
        let q = [
            BASE64_VALUES[usize::from(a)],
            BASE64_VALUES[usize::from(b)],
            BASE64_VALUES[usize::from(c)],
            BASE64_VALUES[usize::from(d)],
        ];
        if q.contains(&INVALID) {
            break;
        }
        push_quantum(&mut out, q, 4);
        i += 4;
    }
    // General path: newlines, padding and errors.
    let mut quantum = [0u8; 4];
    let mut have = 0usize;
    while let Some(&c) = src.get(i) {
        i += 1;
        if c == b'\n' || c == b'\r' {
            continue;
        }
        let v = BASE64_VALUES[usize::from(c)];
        if v != INVALID {
            if let Some(slot) = quantum.get_mut(have) {
                *slot = v;
            }
            have += 1;
            if have == 4 {
                push_quantum(&mut out, quantum, 4);
                have = 0;
            }
            continue;
        }
        if c != b'=' || have < 2 {
            return Err(i - 1);
        }
        if have == 2 {
            // A second `=` must follow, possibly after newlines.
            while matches!(src.get(i), Some(b'\n' | b'\r')) {
                i += 1;
            }
            match src.get(i) {
                Some(b'=') => i += 1,
                Some(_) => return Err(i),
                None => return Err(src.len()),
            }
        }
        while matches!(src.get(i), Some(b'\n' | b'\r')) {
            i += 1;
        }
        if i < src.len() {
            return Err(i);
        }
        push_quantum(&mut out, quantum, have);
        have = 0;
        break;
    }
    if have != 0 {
        return Err(src.len().saturating_sub(have));
    }
    let len = out.len();
    out.resize(cap.max(len), 0);
    Ok(GoBytes { backing: out, len })
}

/// Marks a byte outside the standard base64 alphabet in [`BASE64_VALUES`].
const INVALID: u8 = 0xff;

/// The 6-bit value of each standard base64 alphabet byte, else [`INVALID`].
const BASE64_VALUES: [u8; 256] = {
    let mut table = [INVALID; 256];
    let mut i = 0u8;
    while i < 64 {
        table[BASE64_ALPHABET[i as usize] as usize] = i;
        i += 1;
    }
    table
};

/// The standard base64 alphabet.
const BASE64_ALPHABET: &[u8; 64] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Append the bytes of a quantum of `have` (2, 3 or 4) sextets, ignoring
/// leftover low bits.
fn push_quantum(out: &mut Vec<u8>, q: [u8; 4], have: usize) {
    let [a, b, c, d] = q;
    let bits = (u32::from(a) << 18) | (u32::from(b) << 12) | (u32::from(c) << 6) | u32::from(d);
    let [_, x, y, z] = bits.to_be_bytes();
    out.push(x);
    if have >= 3 {
        out.push(y);
    }
    if have >= 4 {
        out.push(z);
    }
}

/// What a JSON value is, for type error messages.
fn kind_name(first: u8, literal: &[u8]) -> String {
    match first {
        b'"' => "string".to_string(),
        b'{' => "object".to_string(),
        b'[' => "array".to_string(),
        b't' | b'f' => "bool".to_string(),
        b'n' => "null".to_string(),
        _ => format!("number {}", String::from_utf8_lossy(literal)),
    }
}

/// Bits per word of the container-kind stack.
const WORD_BITS: usize = 64;

/// The single-pass reader.
struct Parser<'a> {
    src: &'a [u8],
    pos: usize,
    /// Current nesting depth: the number of open `[` and `{`.
    depth: usize,
    /// Bit `d` is set when the container at depth `d` is an object. Only
    /// the skipper reads it; a fixed array keeps the parser allocation-free.
    objects: [u64; MAX_DEPTH / WORD_BITS + 1],
    /// The first type error, reported if no syntax error follows.
    type_error: Option<JsonError>,
}

impl<'a> Parser<'a> {
    fn new(src: &'a [u8]) -> Self {
        Parser {
            src,
            pos: 0,
            depth: 0,
            objects: [0; MAX_DEPTH / WORD_BITS + 1],
            type_error: None,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.src.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn end(&self) -> JsonError {
        JsonError::UnexpectedEnd {
            offset: self.src.len(),
        }
    }

    /// The syntax error for the byte at the cursor (or the end of input).
    fn unexpected(&self, context: &'static str) -> JsonError {
        match self.peek() {
            Some(byte) => JsonError::InvalidByte {
                offset: self.pos,
                byte,
                context,
            },
            None => self.end(),
        }
    }

    /// Remember a type error; only the first one is reported.
    fn type_mismatch(&mut self, found: String, target: impl FnOnce() -> String) {
        if self.type_error.is_none() {
            self.type_error = Some(JsonError::Type {
                found,
                target: target(),
            });
        }
    }

    /// Consume the `[` or `{` at the cursor and enter a container
    /// (REQ-JSON-6: at most [`MAX_DEPTH`] levels).
    fn open(&mut self, object: bool) -> Result<(), JsonError> {
        if self.depth >= MAX_DEPTH {
            return Err(JsonError::TooDeep { offset: self.pos });
        }
        self.pos += 1;
        self.depth += 1;
        let (word, bit) = (self.depth / WORD_BITS, self.depth % WORD_BITS);
        if let Some(w) = self.objects.get_mut(word) {
            if object {
                *w |= 1 << bit;
            } else {
                *w &= !(1 << bit);
            }
        }
        Ok(())
    }

    fn in_object(&self) -> bool {
        let (word, bit) = (self.depth / WORD_BITS, self.depth % WORD_BITS);
        self.objects.get(word).is_some_and(|w| w & (1 << bit) != 0)
    }

    /// The whole document: one value surrounded by white space
    /// (REQ-JSON-6). Only an object or `null` fits a struct.
    // REQ-JSON-3
    fn document<T: Target>(&mut self, target: &mut T) -> Result<(), JsonError> {
        self.skip_ws();
        if self
            .src
            .get(self.pos..)
            .unwrap_or(&[])
            .starts_with(b"\xef\xbb\xbf")
        {
            return Err(JsonError::ByteOrderMark { offset: self.pos });
        }
        match self.peek() {
            Some(b'{') => self.struct_object(target)?,
            Some(b'n') => self.literal(b"null")?,
            _ => {
                let start = self.pos;
                self.skip_value()?;
                let found = self.found(start);
                self.type_mismatch(found, || "top-level object".to_string());
            }
        }
        self.skip_ws();
        if self.pos < self.src.len() {
            return Err(JsonError::TrailingData { offset: self.pos });
        }
        Ok(())
    }

    /// Describe the value that spans `start..self.pos`.
    fn found(&self, start: usize) -> String {
        let literal = self.src.get(start..self.pos).unwrap_or(&[]);
        kind_name(literal.first().copied().unwrap_or(b'n'), literal)
    }

    /// An object decoded into the fields of `target`.
    fn struct_object<T: Target>(&mut self, target: &mut T) -> Result<(), JsonError> {
        self.members(|p, key| {
            // An unescaped key spelled exactly as a field (ASCII) needs no
            // text conversion; anything else goes the full way.
            let exact = if key.escaped {
                None
            } else {
                T::FIELDS.iter().position(|name| name.as_bytes() == key.raw)
            };
            let field = exact.or_else(|| match_field(T::FIELDS, key.text().as_bytes()));
            match field.and_then(|i| Some((T::FIELDS.get(i)?, target.slot(i)?))) {
                Some((name, slot)) => p.field_value(slot, name),
                None => p.skip_value(),
            }
        })
    }

    /// The members of the object at the cursor, in order: `member` gets
    /// each key with the cursor on its value, and reads the value.
    fn members(
        &mut self,
        mut member: impl FnMut(&mut Self, StrToken<'a>) -> Result<(), JsonError>,
    ) -> Result<(), JsonError> {
        self.open(true)?;
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            self.depth -= 1;
            return Ok(());
        }
        loop {
            let key = self.member_key()?;
            member(self, key)?;
            if !self.object_next()? {
                break;
            }
        }
        self.depth -= 1;
        Ok(())
    }

    /// A member key and its `:`; the cursor ends on the value.
    fn member_key(&mut self) -> Result<StrToken<'a>, JsonError> {
        if self.peek() != Some(b'"') {
            return Err(self.unexpected("looking for beginning of object key string"));
        }
        let key = self.string()?;
        self.skip_ws();
        if self.peek() != Some(b':') {
            return Err(self.unexpected("after object key"));
        }
        self.pos += 1;
        self.skip_ws();
        Ok(key)
    }

    /// After a member value: `true` after a `,` (the cursor is then on the
    /// next key), `false` after the closing `}`.
    fn object_next(&mut self) -> Result<bool, JsonError> {
        self.next_or_close(b'}', "after object key:value pair")
    }

    /// After an array element: `true` after a `,`, `false` after `]`.
    fn array_next(&mut self) -> Result<bool, JsonError> {
        self.next_or_close(b']', "after array element")
    }

    /// After a member or element: `true` after a `,` (whitespace after it
    /// skipped), `false` after `close`; anything else is an error `context`.
    fn next_or_close(&mut self, close: u8, context: &'static str) -> Result<bool, JsonError> {
        self.skip_ws();
        match self.peek() {
            Some(b',') => {
                self.pos += 1;
                self.skip_ws();
                Ok(true)
            }
            Some(c) if c == close => {
                self.pos += 1;
                Ok(false)
            }
            _ => Err(self.unexpected(context)),
        }
    }

    /// A value decoded into a struct field of Go type `slot`.
    // REQ-JSON-3
    fn field_value(&mut self, slot: Slot<'_>, name: &'static str) -> Result<(), JsonError> {
        let start = self.pos;
        let ty = go_type(&slot);
        let mismatch = |p: &mut Self| {
            let found = p.found(start);
            p.type_mismatch(found, || format!("{ty} field {name}"));
        };
        match (self.peek(), slot) {
            // REQ-JSON-3: null resets slices and maps, and leaves scalars.
            (Some(b'n'), slot) => {
                self.literal(b"null")?;
                match slot {
                    Slot::Bytes(b) => *b = GoBytes::default(),
                    Slot::StrMap(m) => m.clear(),
                    Slot::RawMap(m) => m.clear(),
                    _ => {}
                }
            }
            (Some(b't'), Slot::Bool(b)) => {
                self.literal(b"true")?;
                *b = true;
            }
            (Some(b'f'), Slot::Bool(b)) => {
                self.literal(b"false")?;
                *b = false;
            }
            (Some(b'"'), Slot::Str(s)) => {
                // Go replaces the string; the buffer is kept for reuse.
                let text = self.string()?.text();
                s.clear();
                s.push_str(&text);
            }
            // REQ-JSON-9: a string for `[]byte` is padded standard base64.
            (Some(b'"'), Slot::Bytes(b)) => {
                // Without escapes the raw bytes serve: a non-ASCII byte is
                // an error at the same offset as the U+FFFD it would become.
                let token = self.string()?;
                let text = if token.escaped {
                    Cow::Owned(unquote(token.raw).into_bytes())
                } else {
                    Cow::Borrowed(token.raw)
                };
                match decode_base64_go(&text) {
                    Ok(bytes) => *b = bytes,
                    Err(at) => {
                        if self.type_error.is_none() {
                            self.type_error = Some(JsonError::Base64 { field: name, at });
                        }
                    }
                }
            }
            // REQ-JSON-5: integers only, in range, no sign when unsigned.
            (Some(b'-' | b'0'..=b'9'), Slot::I64(v)) => match parse_int(self.number()?) {
                Some(n) => *v = n,
                None => mismatch(self),
            },
            (Some(b'-' | b'0'..=b'9'), Slot::U64(v)) => match parse_int(self.number()?) {
                Some(n) => *v = n,
                None => mismatch(self),
            },
            (Some(b'-' | b'0'..=b'9'), Slot::U32(v)) => match parse_int(self.number()?) {
                Some(n) => *v = n,
                None => mismatch(self),
            },
            (Some(b'{'), Slot::StrMap(m)) => self.str_map(m, name)?,
            (Some(b'{'), Slot::RawMap(m)) => self.raw_map(m)?,
            (Some(b'['), Slot::Bytes(b)) => self.byte_array(b, name)?,
            // Anything else is the wrong JSON type for the field (or a
            // syntax error, which skipping reports).
            _ => {
                self.skip_value()?;
                mismatch(self);
            }
        }
        Ok(())
    }

    /// An object decoded into a Go `map[string]string` (merged into `map`;
    /// REQ-JSON-2). A `null` value stores `""`, as Go stores the zero value.
    fn str_map(
        &mut self,
        map: &mut BTreeMap<String, String>,
        name: &'static str,
    ) -> Result<(), JsonError> {
        self.members(|p, key| {
            let key = key.text().into_owned();
            let start = p.pos;
            match p.peek() {
                Some(b'"') => {
                    let value = p.string()?.text().into_owned();
                    map.insert(key, value);
                }
                Some(b'n') => {
                    p.literal(b"null")?;
                    map.insert(key, String::new());
                }
                _ => {
                    p.skip_value()?;
                    let found = p.found(start);
                    p.type_mismatch(found, || format!("string value of map field {name}"));
                }
            }
            Ok(())
        })
    }

    /// An object decoded into a Go `map[string]json.RawMessage`
    /// (REQ-JSON-10): each value is kept as its exact input bytes.
    fn raw_map(&mut self, map: &mut BTreeMap<String, Vec<u8>>) -> Result<(), JsonError> {
        self.members(|p, key| {
            let key = key.text().into_owned();
            let start = p.pos;
            p.skip_value()?;
            let raw = p.src.get(start..p.pos).unwrap_or(&[]);
            map.insert(key, raw.to_vec());
            Ok(())
        })
    }

    /// An array of integers 0..=255 decoded into a Go `[]byte`
    /// (REQ-JSON-9), in place, as Go's `decodeState.array` does it: the
    /// existing backing array is reused up to its capacity, grown by half
    /// (at least to 4) when full, and a `null` element keeps whatever the
    /// backing array held. An empty array gives a fresh empty slice.
    fn byte_array(&mut self, bytes: &mut GoBytes, name: &'static str) -> Result<(), JsonError> {
        self.open(false)?;
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            self.depth -= 1;
            *bytes = GoBytes::default();
            return Ok(());
        }
        let mut index = 0usize;
        loop {
            let cap = bytes.backing.len();
            if index >= cap {
                bytes.backing.resize((cap + cap / 2).max(4), 0);
            }
            if index >= bytes.len {
                bytes.len = index + 1;
            }
            let start = self.pos;
            match self.peek() {
                Some(b'n') => self.literal(b"null")?,
                Some(b'-' | b'0'..=b'9') => match parse_int::<u8>(self.number()?) {
                    Some(n) => {
                        if let Some(slot) = bytes.backing.get_mut(index) {
                            *slot = n;
                        }
                    }
                    None => {
                        let found = self.found(start);
                        self.type_mismatch(found, || {
                            format!("byte element of []byte field {name}")
                        });
                    }
                },
                _ => {
                    self.skip_value()?;
                    let found = self.found(start);
                    self.type_mismatch(found, || format!("byte element of []byte field {name}"));
                }
            }
            index += 1;
            if !self.array_next()? {
                break;
            }
        }
        bytes.len = bytes.len.min(index);
        self.depth -= 1;
        Ok(())
    }

    /// Skip one value of any type and depth, checking its syntax
    /// (REQ-JSON-4). Iterative: the container kinds live in `objects`.
    fn skip_value(&mut self) -> Result<(), JsonError> {
        let base = self.depth;
        loop {
            // The cursor is on the first byte of a value.
            match self.peek() {
                Some(b'{') => {
                    self.open(true)?;
                    self.skip_ws();
                    if self.peek() == Some(b'}') {
                        self.pos += 1;
                        self.depth -= 1;
                    } else {
                        self.member_key()?;
                        continue;
                    }
                }
                Some(b'[') => {
                    self.open(false)?;
                    self.skip_ws();
                    if self.peek() == Some(b']') {
                        self.pos += 1;
                        self.depth -= 1;
                    } else {
                        continue;
                    }
                }
                Some(b'"') => {
                    self.string()?;
                }
                Some(b'-' | b'0'..=b'9') => {
                    self.number()?;
                }
                Some(b't') => self.literal(b"true")?,
                Some(b'f') => self.literal(b"false")?,
                Some(b'n') => self.literal(b"null")?,
                _ => return Err(self.unexpected("looking for beginning of value")),
            }
            // A value ended: close the containers it completes.
            loop {
                if self.depth <= base {
                    return Ok(());
                }
                let more = if self.in_object() {
                    self.object_next()?
                } else {
                    self.array_next()?
                };
                if more {
                    if self.in_object() {
                        self.member_key()?;
                    }
                    break;
                }
                self.depth -= 1;
            }
        }
    }

    /// A string token; the cursor is on its opening quote (REQ-JSON-8:
    /// raw bytes below 0x20 are errors, 0x7f and above are not).
    fn string(&mut self) -> Result<StrToken<'a>, JsonError> {
        let src = self.src;
        let start = self.pos + 1;
        let mut i = start;
        let mut escaped = false;
        loop {
            // Skip blocks of plain bytes, then single ones up to the next
            // special byte (rescanning its block for each byte before it
            // would cost a block each).
            i += crate::scan::plain_prefix(src.get(i..).unwrap_or_default(), string_special);
            while src.get(i).is_some_and(|&b| !string_special(b)) {
                i += 1;
            }
            let Some(&c) = src.get(i) else {
                return Err(self.end());
            };
            match c {
                b'"' => break,
                b'\\' => {
                    escaped = true;
                    i += 1;
                    match src.get(i) {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => i += 1,
                        Some(b'u') => {
                            i += 1;
                            for _ in 0..4 {
                                match src.get(i) {
                                    Some(h) if h.is_ascii_hexdigit() => i += 1,
                                    Some(&byte) => {
                                        return Err(JsonError::InvalidByte {
                                            offset: i,
                                            byte,
                                            context: "in \\u hexadecimal character escape",
                                        })
                                    }
                                    None => return Err(self.end()),
                                }
                            }
                        }
                        Some(&byte) => {
                            return Err(JsonError::InvalidByte {
                                offset: i,
                                byte,
                                context: "in string escape code",
                            })
                        }
                        None => return Err(self.end()),
                    }
                }
                // The scan above stops only on `"`, `\` and bytes below 0x20.
                _ => return Err(JsonError::ControlByte { offset: i, byte: c }),
            }
        }
        self.pos = i + 1;
        Ok(StrToken {
            raw: src.get(start..i).unwrap_or(&[]),
            escaped,
        })
    }

    /// A number token, `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`;
    /// returns its text (REQ-JSON-5: leading zeros are syntax errors).
    fn number(&mut self) -> Result<&'a [u8], JsonError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(self.unexpected("in numeric literal")),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.unexpected("after decimal point in numeric literal"));
            }
            self.digits();
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.unexpected("in exponent of numeric literal"));
            }
            self.digits();
        }
        Ok(self.src.get(start..self.pos).unwrap_or(&[]))
    }

    fn digits(&mut self) {
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
    }

    /// The literal `word` (`true`, `false` or `null`) at the cursor.
    fn literal(&mut self, word: &'static [u8]) -> Result<(), JsonError> {
        for &expected in word {
            if self.peek() != Some(expected) {
                let context = match word {
                    b"true" => "in literal true",
                    b"false" => "in literal false",
                    _ => "in literal null",
                };
                return Err(self.unexpected(context));
            }
            self.pos += 1;
        }
        Ok(())
    }
}

/// Whether `b` ends a plain run inside a string: `"`, `\\` or a byte
/// below 0x20 (branch-free for [`crate::scan::plain_prefix`]).
fn string_special(b: u8) -> bool {
    (b == b'"') | (b == b'\\') | (b < 0x20)
}

/// Go's `strconv.ParseInt`/`ParseUint` (base 10) on a valid JSON number,
/// plus the range check of the target type (REQ-JSON-5): a fraction or an
/// exponent fails, as does a sign on an unsigned type (`-0` included).
/// Digits accumulate in an `i128`, which holds every `i64` and `u64`; a
/// longer number overflows it and fails, as it is out of range anyway.
fn parse_int<N: TryFrom<i128>>(literal: &[u8]) -> Option<N> {
    let (negative, digits) = match literal.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, literal),
    };
    // Unsigned types (those that cannot hold -1) take no sign at all.
    if digits.is_empty() || (negative && N::try_from(-1).is_err()) {
        return None;
    }
    let mut n: i128 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(i128::from(d - b'0'))?;
    }
    N::try_from(if negative { -n } else { n }).ok()
}

/// The Go type name of a slot, for error messages.
fn go_type(slot: &Slot<'_>) -> &'static str {
    match slot {
        Slot::Str(_) => "string",
        Slot::Bool(_) => "bool",
        Slot::I64(_) => "int64",
        Slot::U64(_) => "uint64",
        Slot::U32(_) => "uint32",
        Slot::Bytes(_) => "[]byte",
        Slot::StrMap(_) => "map[string]string",
        Slot::RawMap(_) => "map[string]json.RawMessage",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_special_is_exactly_quote_backslash_and_control_bytes() {
        for b in 0..=255u8 {
            assert_eq!(
                string_special(b),
                b == b'"' || b == b'\\' || b < 0x20,
                "{b:#x}"
            );
        }
    }

    #[test]
    fn long_strings_end_at_the_first_special_byte_in_any_position() {
        // Bodies are long: a special byte anywhere in a long run is seen.
        for at in 0..80 {
            let mut doc = vec![b'"'];
            doc.extend(std::iter::repeat(b'a').take(80));
            doc[1 + at] = b'"';
            let mut p = Parser::new(&doc);
            let token = p.string().map(|t| t.raw.len());
            assert_eq!(token.ok(), Some(at), "quote at {at}");
            doc[1 + at] = 0x1f;
            let mut p = Parser::new(&doc);
            assert!(
                matches!(p.string(), Err(JsonError::ControlByte { offset, byte: 0x1f }) if offset == 1 + at),
                "control byte at {at}"
            );
        }
    }

    /// What Rust's own parser says (Go's `ParseInt`/`ParseUint` accept the
    /// same decimal strings, no `+` ever reaching them from JSON).
    fn std_parse<N: std::str::FromStr>(literal: &[u8]) -> Option<N> {
        if literal.iter().any(|&b| matches!(b, b'.' | b'e' | b'E')) {
            return None;
        }
        std::str::from_utf8(literal).ok()?.parse().ok()
    }

    fn same_as_std(literal: &[u8]) {
        let l = String::from_utf8_lossy(literal);
        assert_eq!(
            parse_int::<i64>(literal),
            std_parse::<i64>(literal),
            "i64 {l}"
        );
        assert_eq!(
            parse_int::<u64>(literal),
            std_parse::<u64>(literal),
            "u64 {l}"
        );
        assert_eq!(
            parse_int::<u32>(literal),
            std_parse::<u32>(literal),
            "u32 {l}"
        );
        assert_eq!(parse_int::<u8>(literal), std_parse::<u8>(literal), "u8 {l}");
    }

    // REQ-JSON-5: range limits of every target type, signs, fractions,
    // exponents and numbers too long for any type read as Rust's (and Go's)
    // integer parsers read them.
    #[test]
    fn integers_parse_like_std_at_every_boundary() {
        for literal in [
            "0",
            "-0",
            "1",
            "-1",
            "255",
            "256",
            "-255",
            "4294967295",
            "4294967296",
            "9223372036854775807",
            "9223372036854775808",
            "-9223372036854775808",
            "-9223372036854775809",
            "18446744073709551615",
            "18446744073709551616",
            "-18446744073709551616",
            "170141183460469231731687303715884105727",
            "170141183460469231731687303715884105728",
            "99999999999999999999999999999999999999999",
            "-170141183460469231731687303715884105728",
            "1.5",
            "1e3",
            "1E3",
            "-",
            "",
        ] {
            same_as_std(literal.as_bytes());
        }
    }

    proptest::proptest! {
        #[test]
        fn integers_parse_like_std(literal in "-?(0|[1-9][0-9]{0,45})([.][0-9]{1,3})?([eE][+-]?[0-9]{1,2})?") {
            same_as_std(literal.as_bytes());
        }
    }

    #[test]
    fn base64_capacity_is_gos_decoded_len() {
        let got = decode_base64_go(b"aGk=\n").unwrap_or_default();
        assert_eq!((got.as_slice(), got.backing.len()), (&b"hi"[..], 3));
        let got = decode_base64_go(b"aGVsbG8=").unwrap_or_default();
        assert_eq!((got.as_slice(), got.backing.len()), (&b"hello"[..], 6));
    }

    #[test]
    fn fold_matches_only_ascii_case_long_s_and_kelvin() {
        assert!(fold_eq(b"is_fifo", b"IS_FIFO"));
        assert!(fold_eq(b"is_fifo", "I\u{17f}_fifo".as_bytes()));
        assert!(fold_eq(b"token", "to\u{212a}en".as_bytes()));
        assert!(!fold_eq(b"token", "to\u{17f}en".as_bytes()));
        // The Kelvin sign stands only for k, and only it does.
        assert!(!fold_eq(b"tosen", "to\u{212a}en".as_bytes()));
        assert!(!fold_eq(b"token", "to\u{20ac}en".as_bytes()));
        assert!(!fold_eq(b"is_fifo", "i\u{20ac}_fifo".as_bytes()));
        assert!(!fold_eq(b"is_fifo", "is_fifo\u{17f}".as_bytes()));
        assert!(!fold_eq(b"a_b", b"a\x7fb"));
        assert!(!fold_eq(b"name", b"nam"));
    }
}
