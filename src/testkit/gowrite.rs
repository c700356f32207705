//! Bytes written the way Go's `encoding/json` v1 writes them.
//!
//! The live cluster stores queue meta and message records with
//! `json.Marshal`, so the generator must produce exactly those bytes:
//! struct fields in declaration order, `omitempty` honoured, `[]byte` as
//! standard padded base64 (`null` for a nil slice), map keys sorted by
//! bytes, and strings escaped with HTML escaping on (`<` → `\u003c`),
//! U+2028/U+2029 escaped, and each invalid UTF-8 byte written as `\ufffd`.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Append `s` as a JSON string literal, escaped as Go escapes it.
/// `html` selects `json.Marshal` (true) or an encoder with
/// `SetEscapeHTML(false)` (false).
pub fn string(out: &mut Vec<u8>, s: &str, html: bool) {
    string_bytes(out, s.as_bytes(), html);
}

/// Append a Go `string` holding arbitrary bytes. Go decodes it rune by
/// rune; a byte that does not start a valid UTF-8 sequence is one
/// `\ufffd`.
pub fn string_bytes(out: &mut Vec<u8>, b: &[u8], html: bool) {
    out.push(b'"');
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c < 0x80 {
            match c {
                b'"' => out.extend_from_slice(b"\\\""),
                b'\\' => out.extend_from_slice(b"\\\\"),
                b'\n' => out.extend_from_slice(b"\\n"),
                b'\r' => out.extend_from_slice(b"\\r"),
                b'\t' => out.extend_from_slice(b"\\t"),
                0x08 => out.extend_from_slice(b"\\b"),
                0x0c => out.extend_from_slice(b"\\f"),
                b'<' | b'>' | b'&' if html => {
                    out.extend_from_slice(b"\\u00");
                    out.push(HEX[usize::from(c >> 4)]);
                    out.push(HEX[usize::from(c & 0xf)]);
                }
                c if c < 0x20 => {
                    out.extend_from_slice(b"\\u00");
                    out.push(HEX[usize::from(c >> 4)]);
                    out.push(HEX[usize::from(c & 0xf)]);
                }
                c => out.push(c),
            }
            i += 1;
            continue;
        }
        let end = b.len().min(i + 4);
        let ch = match std::str::from_utf8(&b[i..end]) {
            Ok(s) => s.chars().next(),
            Err(e) if e.valid_up_to() > 0 => std::str::from_utf8(&b[i..i + e.valid_up_to()])
                .ok()
                .and_then(|s| s.chars().next()),
            Err(_) => None,
        };
        match ch {
            None => {
                out.extend_from_slice(b"\\ufffd");
                i += 1;
            }
            Some('\u{2028}') => {
                out.extend_from_slice(b"\\u2028");
                i += 3;
            }
            Some('\u{2029}') => {
                out.extend_from_slice(b"\\u2029");
                i += 3;
            }
            Some(ch) => {
                let n = ch.len_utf8();
                out.extend_from_slice(&b[i..i + n]);
                i += n;
            }
        }
    }
    out.push(b'"');
}

/// A Go `string` rendered as a JSON literal (HTML escaping on).
pub fn str_lit(s: &str) -> Vec<u8> {
    let mut v = Vec::new();
    string(&mut v, s, true);
    v
}

/// A Go `[]byte`: `null` when nil, else standard padded base64.
pub fn bytes_lit(b: Option<&[u8]>) -> Vec<u8> {
    match b {
        None => b"null".to_vec(),
        Some(b) => {
            let mut v = b"\"".to_vec();
            v.extend_from_slice(STANDARD.encode(b).as_bytes());
            v.push(b'"');
            v
        }
    }
}

/// A Go integer.
pub fn int_lit(n: impl std::fmt::Display) -> Vec<u8> {
    n.to_string().into_bytes()
}

/// A Go bool.
pub fn bool_lit(b: bool) -> Vec<u8> {
    if b {
        b"true".to_vec()
    } else {
        b"false".to_vec()
    }
}

/// What Go type a struct field has; decides which quirks keep its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `string`.
    Str,
    /// `int64`.
    Int,
    /// `uint64` (or `uint32` when [`Field::u32`] is set).
    Uint,
    /// `bool`.
    Bool,
    /// `[]byte`.
    Bytes,
    /// A map (`map[string]string` or `map[string]T`).
    Map,
    /// A field sqsdump does not read (ignored whatever its type).
    Ignored,
}

/// One `"name": value` member of an object, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// The JSON name (before escaping; ASCII for struct fields).
    pub name: String,
    /// The Go type.
    pub kind: Kind,
    /// The value's JSON text.
    pub raw: Vec<u8>,
    /// For maps: the members, so quirks can split or escape them.
    pub members: Vec<(String, Vec<u8>)>,
    /// For `uint32` fields.
    pub u32: bool,
}

impl Field {
    /// A scalar field.
    pub fn new(name: &str, kind: Kind, raw: Vec<u8>) -> Self {
        Field {
            name: name.to_string(),
            kind,
            raw,
            members: Vec::new(),
            u32: false,
        }
    }

    /// A map field; `members` must already be sorted by key bytes.
    pub fn map(name: &str, members: Vec<(String, Vec<u8>)>) -> Self {
        Field {
            name: name.to_string(),
            kind: Kind::Map,
            raw: object(&members),
            members,
            u32: false,
        }
    }
}

/// Render `members` as a compact object (keys as HTML-escaped strings).
pub fn object(members: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut out = vec![b'{'];
    for (i, (k, v)) in members.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        string(&mut out, k, true);
        out.push(b':');
        out.extend_from_slice(v);
    }
    out.push(b'}');
    out
}

/// Render struct fields as a compact object.
pub fn render(fields: &[Field]) -> Vec<u8> {
    let members: Vec<(String, Vec<u8>)> = fields
        .iter()
        .map(|f| (f.name.clone(), f.raw.clone()))
        .collect();
    object(&members)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(b: &[u8]) -> String {
        let mut v = Vec::new();
        string_bytes(&mut v, b, true);
        String::from_utf8(v).unwrap()
    }

    // REQ-JSON-* (writer side of the generator): outputs observed from Go.
    #[test]
    fn strings_escape_like_go_marshal() {
        assert_eq!(s(b"<a&b>"), r#""\u003ca\u0026b\u003e""#);
        assert_eq!(s("\u{2028}x\u{2029}".as_bytes()), r#""\u2028x\u2029""#);
        assert_eq!(
            s(b"\x00\x08\x0c\n\r\t\x1f\x7f/"),
            "\"\\u0000\\b\\f\\n\\r\\t\\u001f\x7f/\""
        );
        assert_eq!(s(b"\xe2\x82A"), r#""\ufffd\ufffdA""#);
        assert_eq!(s(b"\xed\xa0\x80"), r#""\ufffd\ufffd\ufffd""#);
        assert_eq!(s("é\"\\".as_bytes()), "\"é\\\"\\\\\"");
        let mut plain = Vec::new();
        string(&mut plain, "<&>", false);
        assert_eq!(plain, b"\"<&>\"");
    }

    #[test]
    fn bytes_are_padded_standard_base64_or_null() {
        assert_eq!(bytes_lit(None), b"null");
        assert_eq!(bytes_lit(Some(b"")), b"\"\"");
        assert_eq!(bytes_lit(Some(&[0xfb, 0xff])), b"\"+/8=\"");
    }
}
