//! A JSON scanner that keeps raw spans: JSON text is checked and walked
//! without building values, so that the exact bytes of every member stay
//! available (attribute values are verbatim copies of live input, which a
//! value parser would normalise). [`verify`](super::verify) checks
//! spellings with it, and [`blame`](super::blame) compares members by
//! their raw bytes.
//!
//! The scanner is iterative (no recursion depth to exhaust) and checks
//! every index, so no input makes it panic.

/// One member of an object: its unescaped key and raw spans.
#[derive(Debug)]
pub struct Member<'a> {
    pub key: String,
    pub raw_key: &'a [u8],
    pub value: &'a [u8],
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

pub fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while b.get(i).copied().is_some_and(is_ws) {
        i += 1;
    }
    i
}

fn expect(b: &[u8], i: usize, c: u8) -> Result<usize, String> {
    match b.get(i) {
        Some(&x) if x == c => Ok(i + 1),
        Some(&x) => Err(format!(
            "expected '{}' at byte {i}, found '{}'",
            char::from(c),
            x.escape_ascii()
        )),
        None => Err(format!(
            "expected '{}' at byte {i}, found the end",
            char::from(c)
        )),
    }
}

/// `b[i]` must open a string; returns the index after its closing
/// quote. Checks escapes and rejects raw control bytes.
pub fn skip_string(b: &[u8], i: usize) -> Result<usize, String> {
    let mut j = expect(b, i, b'"')?;
    loop {
        match b.get(j) {
            None => return Err(format!("unterminated string starting at byte {i}")),
            Some(b'"') => return Ok(j + 1),
            Some(b'\\') => match b.get(j + 1) {
                Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => j += 2,
                Some(b'u') => {
                    let hex = b.get(j + 2..j + 6).unwrap_or_default();
                    if hex.len() != 4 || !hex.iter().all(u8::is_ascii_hexdigit) {
                        return Err(format!("bad \\u escape at byte {j}"));
                    }
                    j += 6;
                }
                _ => return Err(format!("bad escape at byte {j}")),
            },
            Some(&c) if c < 0x20 => {
                return Err(format!(
                    "raw control byte 0x{c:02x} in a string at byte {j}"
                ))
            }
            Some(_) => j += 1,
        }
    }
}

fn digits(b: &[u8], mut i: usize) -> usize {
    while b.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    i
}

/// RFC 8259 number grammar.
fn skip_number(b: &[u8], i: usize) -> Result<usize, String> {
    let mut j = i;
    if b.get(j) == Some(&b'-') {
        j += 1;
    }
    match b.get(j) {
        Some(b'0') => j += 1,
        Some(c) if c.is_ascii_digit() => j = digits(b, j),
        _ => return Err(format!("bad number at byte {i}")),
    }
    if b.get(j) == Some(&b'.') {
        let k = digits(b, j + 1);
        if k == j + 1 {
            return Err(format!("bad number at byte {i}"));
        }
        j = k;
    }
    if matches!(b.get(j), Some(b'e' | b'E')) {
        j += 1;
        if matches!(b.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        let k = digits(b, j);
        if k == j {
            return Err(format!("bad number at byte {i}"));
        }
        j = k;
    }
    Ok(j)
}

fn skip_literal(b: &[u8], i: usize, lit: &[u8]) -> Result<usize, String> {
    if b.get(i..i + lit.len()) == Some(lit) {
        Ok(i + lit.len())
    } else {
        Err(format!("bad literal at byte {i}"))
    }
}

/// Skip one JSON value starting at `i` (after white space); returns
/// the index after it. Iterative: any nesting depth is fine.
pub fn skip_value(b: &[u8], i: usize) -> Result<usize, String> {
    let mut stack: Vec<u8> = Vec::new();
    let mut i = skip_ws(b, i);
    loop {
        // A value starts at `i`.
        let mut closed = true;
        match b.get(i) {
            Some(b'{') => {
                i = skip_ws(b, i + 1);
                if b.get(i) == Some(&b'}') {
                    i += 1;
                } else {
                    stack.push(b'{');
                    i = skip_string(b, i)?;
                    i = expect(b, skip_ws(b, i), b':')?;
                    i = skip_ws(b, i);
                    closed = false;
                }
            }
            Some(b'[') => {
                i = skip_ws(b, i + 1);
                if b.get(i) == Some(&b']') {
                    i += 1;
                } else {
                    stack.push(b'[');
                    closed = false;
                }
            }
            Some(b'"') => i = skip_string(b, i)?,
            Some(b't') => i = skip_literal(b, i, b"true")?,
            Some(b'f') => i = skip_literal(b, i, b"false")?,
            Some(b'n') => i = skip_literal(b, i, b"null")?,
            Some(b'-' | b'0'..=b'9') => i = skip_number(b, i)?,
            Some(c) => return Err(format!("unexpected '{}' at byte {i}", c.escape_ascii())),
            None => return Err(format!("expected a value at byte {i}, found the end")),
        }
        if !closed {
            continue;
        }
        // A value ended at `i`: close containers or move to the next
        // element.
        loop {
            let Some(&top) = stack.last() else {
                return Ok(i);
            };
            i = skip_ws(b, i);
            match b.get(i) {
                Some(b',') => {
                    i = skip_ws(b, i + 1);
                    if top == b'{' {
                        i = skip_string(b, i)?;
                        i = expect(b, skip_ws(b, i), b':')?;
                        i = skip_ws(b, i);
                    }
                    break;
                }
                Some(b'}') if top == b'{' => {
                    stack.pop();
                    i += 1;
                }
                Some(b']') if top == b'[' => {
                    stack.pop();
                    i += 1;
                }
                _ => return Err(format!("expected ',' or a closing bracket at byte {i}")),
            }
        }
    }
}

/// The whole of `b` must be one JSON value (white space around it is
/// allowed).
pub fn is_valid(b: &[u8]) -> Result<(), String> {
    let end = skip_value(b, 0)?;
    if skip_ws(b, end) != b.len() {
        return Err(format!("trailing data at byte {end}"));
    }
    Ok(())
}

/// The whole of `b` must be one JSON object; returns its members in
/// order (duplicates included).
pub fn object(b: &[u8]) -> Result<Vec<Member<'_>>, String> {
    let mut members = Vec::new();
    let mut i = expect(b, skip_ws(b, 0), b'{')?;
    i = skip_ws(b, i);
    if b.get(i) == Some(&b'}') {
        i += 1;
    } else {
        loop {
            let key_end = skip_string(b, i)?;
            let raw_key = b.get(i..key_end).unwrap_or_default();
            let key = decode_string(raw_key)?;
            i = expect(b, skip_ws(b, key_end), b':')?;
            let start = skip_ws(b, i);
            let end = skip_value(b, start)?;
            members.push(Member {
                key,
                raw_key,
                value: b.get(start..end).unwrap_or_default(),
            });
            i = skip_ws(b, end);
            match b.get(i) {
                Some(b',') => i = skip_ws(b, i + 1),
                Some(b'}') => {
                    i += 1;
                    break;
                }
                _ => return Err(format!("expected ',' or '}}' at byte {i}")),
            }
        }
    }
    if skip_ws(b, i) != b.len() {
        return Err(format!("trailing data at byte {i}"));
    }
    Ok(members)
}

/// Unescape a raw JSON string (quotes included, already checked by
/// [`skip_string`]). A surrogate escape that is not part of a valid
/// pair becomes U+FFFD, as Go reads it.
pub fn decode_string(raw: &[u8]) -> Result<String, String> {
    let inner = raw
        .strip_prefix(b"\"")
        .and_then(|r| r.strip_suffix(b"\""))
        .ok_or_else(|| "not a string".to_string())?;
    let mut out: Vec<u8> = Vec::with_capacity(inner.len());
    let mut i = 0;
    let hex4 = |at: usize| -> Option<u32> {
        let h = inner.get(at..at + 4)?;
        u32::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok()
    };
    while let Some(&c) = inner.get(i) {
        if c != b'\\' {
            out.push(c);
            i += 1;
            continue;
        }
        let e = inner.get(i + 1).copied().unwrap_or(0);
        let simple = match e {
            b'"' => Some(b'"'),
            b'\\' => Some(b'\\'),
            b'/' => Some(b'/'),
            b'b' => Some(0x08),
            b'f' => Some(0x0c),
            b'n' => Some(b'\n'),
            b'r' => Some(b'\r'),
            b't' => Some(b'\t'),
            _ => None,
        };
        if let Some(s) = simple {
            out.push(s);
            i += 2;
            continue;
        }
        let u = hex4(i + 2).ok_or_else(|| "bad escape".to_string())?;
        i += 6;
        let ch = if (0xD800..0xDC00).contains(&u) {
            let low = if inner.get(i) == Some(&b'\\') && inner.get(i + 1) == Some(&b'u') {
                hex4(i + 2).filter(|l| (0xDC00..0xE000).contains(l))
            } else {
                None
            };
            match low {
                Some(l) => {
                    i += 6;
                    char::from_u32(0x10000 + ((u - 0xD800) << 10) + (l - 0xDC00))
                        .unwrap_or('\u{fffd}')
                }
                None => '\u{fffd}',
            }
        } else {
            char::from_u32(u).unwrap_or('\u{fffd}')
        };
        let mut buf = [0u8; 4];
        out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// True when `raw` (one valid JSON value) has white space outside its
/// strings.
pub fn has_outer_ws(raw: &[u8]) -> bool {
    let mut in_string = false;
    let mut escaped = false;
    for &c in raw {
        if in_string {
            if escaped {
                escaped = false;
            } else if c == b'\\' {
                escaped = true;
            } else if c == b'"' {
                in_string = false;
            }
        } else if c == b'"' {
            in_string = true;
        } else if is_ws(c) {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    // REQ-CONF-7
    #[test]
    fn scanner_keeps_raw_spans_and_reads_any_depth() {
        let members = object(br#" {"a" : [1, {"b":"\u0041"}] ,"\u0062":-1.5e3} "#).unwrap();
        assert_eq!(members.len(), 2);
        assert_eq!(members[0].key, "a");
        assert_eq!(members[0].value, br#"[1, {"b":"\u0041"}]"#);
        assert_eq!(members[1].key, "b");
        assert_eq!(members[1].raw_key, br#""\u0062""#);
        assert_eq!(members[1].value, b"-1.5e3");
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(is_valid(deep.as_bytes()).is_ok());
        for bad in [
            &b"{"[..],
            b"[1,]",
            b"01",
            b"\"a\x01\"",
            b"{\"a\":1}x",
            b"\"\\x\"",
            b"-",
            b"1.",
        ] {
            assert!(is_valid(bad).is_err(), "{}", bad.escape_ascii());
        }
    }

    // REQ-CONF-7
    #[test]
    fn strings_decode_like_go_with_replacement_for_bad_surrogates() {
        assert_eq!(
            decode_string(br#""a\n\u00e9\ud83d\ude00""#).unwrap(),
            "a\né😀"
        );
        assert_eq!(
            decode_string(br#""\ud800x\udc00""#).unwrap(),
            "\u{fffd}x\u{fffd}"
        );
    }
}
