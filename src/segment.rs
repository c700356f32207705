//! Output path segments: raw queue-name bytes → one safe directory name
//! (REQ-OUT-2, REQ-OUT-3).
//!
//! Bytes `[A-Za-z0-9._-]` pass through and every other byte becomes `%HH`
//! (uppercase hex). Long names, and names whose encoding would be mistaken
//! for a hash fallback or a `b64.` binary segment, take the hash fallback.

use sha2::{Digest, Sha256};

/// Longest encoded segment before the hash fallback takes over.
pub const MAX_SEGMENT_BYTES: usize = 240;
/// Hex characters of SHA-256 at the start of a fallback segment.
const FALLBACK_HEX_CHARS: usize = 32;
/// Raw bytes kept (percent-encoded) after the `__` of a fallback.
const FALLBACK_KEPT_BYTES: usize = 64;
/// Longest file name most file systems accept.
pub const NAME_MAX: usize = 255;

/// True for the bytes that pass through unescaped: `[A-Za-z0-9._-]`.
pub fn is_unreserved(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'-' || c == b'.' || c == b'_'
}

/// Every byte outside [`is_unreserved`] as `%HH` (uppercase hex).
pub fn percent_encode(raw: &[u8]) -> String {
    let mut out = String::with_capacity(raw.len());
    for &c in raw {
        if is_unreserved(c) {
            out.push(char::from(c));
        } else {
            out.push_str(&format!("%{c:02X}"));
        }
    }
    out
}

/// `<first 32 hex of sha256(raw)>__<percent-encoded first 64 raw bytes>`.
pub fn hash_fallback(raw: &[u8]) -> String {
    let digest = hex::encode(Sha256::digest(raw));
    let kept = &raw[..raw.len().min(FALLBACK_KEPT_BYTES)];
    format!(
        "{}__{}",
        &digest[..FALLBACK_HEX_CHARS],
        percent_encode(kept)
    )
}

/// True when `seg` has the shape of a hash fallback: 32 hex digits (either
/// case) followed by `__`.
pub fn looks_like_fallback(seg: &str) -> bool {
    let b = seg.as_bytes();
    b.len() >= FALLBACK_HEX_CHARS + 2
        && b[..FALLBACK_HEX_CHARS].iter().all(u8::is_ascii_hexdigit)
        && &b[FALLBACK_HEX_CHARS..FALLBACK_HEX_CHARS + 2] == b"__"
}

/// The raw bytes of a percent-encoded segment ([`percent_encode`]'s
/// inverse): unreserved bytes pass, `%HH` (either case) is one byte.
pub fn percent_decode(s: &str) -> Result<Vec<u8>, String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        if c == b'%' {
            let hex = b.get(i + 1..i + 3).unwrap_or_default();
            let v = std::str::from_utf8(hex)
                .ok()
                .filter(|h| h.len() == 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| format!("bad percent escape at byte {i}"))?;
            out.push(v);
            i += 3;
        } else if is_unreserved(c) {
            out.push(c);
            i += 1;
        } else {
            return Err(format!(
                "byte '{}' is neither unreserved nor percent-encoded",
                c.escape_ascii()
            ));
        }
    }
    Ok(out)
}

/// Encode raw queue-name bytes as one directory name.
///
/// REQ-OUT-2: percent-encoding with the hash fallback for raw or encoded
/// lengths over 240 and for encodings that look like a fallback or start
/// with `b64.`. REQ-OUT-3 (a deliberate difference from upstream): `.` and
/// `..` become `%2E` and `%2E%2E`, so no name can address the parent or
/// the directory itself. An empty name is rejected before this point
/// (REQ-KEY-2); this function maps it to the fallback rather than to "".
pub fn encode_segment(raw: &[u8]) -> String {
    if raw == b"." {
        return "%2E".to_string();
    }
    if raw == b".." {
        return "%2E%2E".to_string();
    }
    if raw.is_empty() || raw.len() > MAX_SEGMENT_BYTES {
        return hash_fallback(raw);
    }
    let encoded = percent_encode(raw);
    if encoded.len() > MAX_SEGMENT_BYTES
        || looks_like_fallback(&encoded)
        || encoded.starts_with("b64.")
    {
        return hash_fallback(raw);
    }
    encoded
}

/// Directory name for the side records of a queue with no meta record:
/// `<encoded>.orphan`, or the hash fallback of those bytes when longer
/// than 255 bytes (REQ-DEC-3).
pub fn orphan_dir(encoded_queue: &str) -> String {
    let name = format!("{encoded_queue}.orphan");
    if name.len() > NAME_MAX {
        hash_fallback(name.as_bytes())
    } else {
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // REQ-OUT-2
    #[test]
    fn unreserved_bytes_pass_and_others_are_uppercase_percent() {
        assert_eq!(encode_segment(b"orders-1.fifo_x"), "orders-1.fifo_x");
        assert_eq!(encode_segment(b"a/b c\xff~"), "a%2Fb%20c%FF%7E");
    }

    // REQ-OUT-2
    #[test]
    fn length_limits_switch_to_fallback_at_241() {
        let ok = vec![b'a'; 240];
        assert_eq!(encode_segment(&ok), "a".repeat(240));
        let long = vec![b'a'; 241];
        let enc = encode_segment(&long);
        assert!(looks_like_fallback(&enc), "{enc}");
        assert_eq!(enc.len(), 32 + 2 + 64);
        // 80 slashes encode to exactly 240 bytes; 81 do not fit.
        assert_eq!(encode_segment(&[b'/'; 80]).len(), 240);
        assert!(looks_like_fallback(&encode_segment(&[b'/'; 81])));
    }

    // REQ-OUT-2
    #[test]
    fn fallback_lookalikes_and_b64_prefix_take_the_fallback() {
        let lookalike = format!("{}__x", "0123456789abcdefABCDEF0123456789");
        let enc = encode_segment(lookalike.as_bytes());
        assert_ne!(enc, lookalike);
        assert!(enc.starts_with(&hex::encode(Sha256::digest(lookalike.as_bytes()))[..32]));
        assert!(looks_like_fallback(&encode_segment(b"b64.abc")));
        assert_eq!(encode_segment(b"b64abc"), "b64abc");
    }

    // REQ-OUT-2
    #[test]
    fn fallback_shape_needs_all_32_hex_digits_then_two_underscores() {
        let hex32 = "0123456789abcdefABCDEF0123456789";
        // Shorter hex runs, with or without a `__`, are ordinary names.
        for n in [30, 31] {
            let name = &hex32[..n];
            assert_eq!(encode_segment(name.as_bytes()), name);
            let name = format!("{name}__");
            assert!(!looks_like_fallback(&name), "{name}");
            assert_eq!(encode_segment(name.as_bytes()), name);
        }
        // 32 hex digits and one `_` (33 bytes), or `_` then another byte,
        // are not the fallback's shape either.
        for name in [format!("{hex32}_"), format!("{hex32}_x"), hex32.to_string()] {
            assert!(!looks_like_fallback(&name), "{name}");
            assert_eq!(encode_segment(name.as_bytes()), name);
        }
        // Exactly 32 hex digits and `__` (34 bytes) is the shape.
        let exact = format!("{hex32}__");
        assert!(looks_like_fallback(&exact));
        assert_ne!(encode_segment(exact.as_bytes()), exact);
        // A non-hex byte anywhere among the 32 breaks the shape.
        let broken = format!("{}g__", &hex32[..31]);
        assert!(!looks_like_fallback(&broken));
    }

    // REQ-OUT-2
    #[test]
    fn an_empty_name_maps_to_the_fallback_not_to_an_empty_segment() {
        let enc = encode_segment(b"");
        assert_eq!(
            enc,
            format!("{}__", &hex::encode(Sha256::digest(b""))[..32])
        );
        assert!(looks_like_fallback(&enc));
    }

    // REQ-OUT-3
    #[test]
    fn dot_and_dotdot_are_escaped() {
        assert_eq!(encode_segment(b"."), "%2E");
        assert_eq!(encode_segment(b".."), "%2E%2E");
        assert_eq!(encode_segment(b"..."), "...");
    }

    // REQ-DEC-3
    #[test]
    fn orphan_dir_names_fall_back_past_255_bytes() {
        assert_eq!(orphan_dir("cQ"), "cQ.orphan");
        let at_limit = "A".repeat(NAME_MAX - ".orphan".len());
        assert_eq!(orphan_dir(&at_limit), format!("{at_limit}.orphan"));
        let over = "A".repeat(NAME_MAX - ".orphan".len() + 1);
        let dir = orphan_dir(&over);
        assert!(looks_like_fallback(&dir));
        assert!(dir.len() <= NAME_MAX);
    }
}
