//! The `.fsm` stream reader (REQ-FSM-1..6, REQ-FSM-10).

use std::io::{self, Read};

use sqsdump::fsm::{
    encode_entry, encode_header, encode_key, encode_raw_entry, encode_value, is_operational_key,
    Entry, Reader, Version, HEADER_LEN, MAX_KEY_LEN, MAX_VALUE_LEN,
};
use sqsdump::snapshot::resolve_snapshot;
use sqsdump::Error;

/// Read every entry of `bytes`.
fn read_all<R: Read>(input: R) -> Result<(u64, Vec<Entry>), Error> {
    let mut reader = Reader::new(input)?;
    let mut entries = Vec::new();
    while let Some(entry) = reader.next_entry()? {
        entries.push(entry);
    }
    Ok((reader.last_commit_ts(), entries))
}

/// Assert that reading `bytes` fails with exactly this class and text.
#[track_caller]
fn assert_err(bytes: &[u8], class: &str, text: &str) {
    match read_all(bytes) {
        Ok(v) => panic!("expected {class} error, got {v:?}"),
        Err(e) => {
            assert_eq!(e.class(), class, "class of {e}");
            assert_eq!(e.to_string(), text);
        }
    }
}

fn version(user_key: &[u8], commit_ts: u64, tombstone: bool, expire_at: u64, body: &[u8]) -> Entry {
    Entry::Version(Version {
        user_key: user_key.to_vec(),
        commit_ts,
        tombstone,
        expire_at,
        body: body.to_vec(),
    })
}

// REQ-FSM-1
#[test]
fn header_is_magic_then_le_last_commit_ts() {
    let header = encode_header(0x0102_0304_0506_0708);
    assert_eq!(header, b"EKVPBBL1\x08\x07\x06\x05\x04\x03\x02\x01".to_vec());
    let reader = Reader::new(&header[..]).unwrap();
    assert_eq!(reader.last_commit_ts(), 0x0102_0304_0506_0708);
    assert_eq!(reader.bytes_read(), 16);
    assert_eq!(
        read_all(&header[..]).unwrap(),
        (0x0102_0304_0506_0708, vec![])
    );
}

// REQ-FSM-1
#[test]
fn bad_magic_is_rejected() {
    assert_err(
        b"NOTASNAP\x01\x00\x00\x00\x00\x00\x00\x00",
        "bad_magic",
        "bad magic: expected \"EKVPBBL1\", found \"NOTASNAP\"",
    );
    // Lowercase magic, and the MVCC streaming format, are not ours either.
    assert_err(
        b"ekvpbbl1\x01\x00\x00\x00\x00\x00\x00\x00",
        "bad_magic",
        "bad magic: expected \"EKVPBBL1\", found \"ekvpbbl1\"",
    );
    assert_err(
        b"EKVMVCC2\x01\x00\x00\x00\x00\x00\x00\x00",
        "bad_magic",
        "bad magic: expected \"EKVPBBL1\", found \"EKVMVCC2\"",
    );
    // A short stream that is not a prefix of a magic is a bad magic too,
    // with non-printable bytes escaped.
    assert_err(
        b"\x00\xffab",
        "bad_magic",
        "bad magic: expected \"EKVPBBL1\", found \"\\x00\\xffab\"",
    );
}

// REQ-FSM-1
#[test]
fn sst_ingest_magic_has_its_own_error() {
    let mut bytes = b"EKVSSTI1".to_vec();
    bytes.extend_from_slice(&[0u8; 64]);
    assert_err(
        &bytes,
        "unsupported_format",
        "unsupported format: EKVSSTI1 (sst-ingest transfer) is not a pebble snapshot stream",
    );
    // Just the 8 magic bytes are enough to tell.
    assert_err(
        b"EKVSSTI1",
        "unsupported_format",
        "unsupported format: EKVSSTI1 (sst-ingest transfer) is not a pebble snapshot stream",
    );
}

// REQ-FSM-1
#[test]
fn truncated_header_is_truncated() {
    assert_err(b"", "truncated", "truncated at offset 0: header magic");
    assert_err(b"EKVP", "truncated", "truncated at offset 0: header magic");
    assert_err(b"EKVSS", "truncated", "truncated at offset 0: header magic");
    assert_err(
        b"EKVPBBL1",
        "truncated",
        "truncated at offset 8: header last_commit_ts",
    );
    assert_err(
        b"EKVPBBL1\x01\x02\x03",
        "truncated",
        "truncated at offset 8: header last_commit_ts",
    );
}

/// Header + two entries; returns the bytes and the entry boundaries.
fn two_entry_stream() -> (Vec<u8>, usize) {
    let mut s = encode_header(100);
    encode_entry(&mut s, b"!sqs|queue|meta|cQ", 7, false, 0, b"hello");
    let boundary = s.len();
    encode_entry(&mut s, b"other", 8, true, 5, b"");
    (s, boundary)
}

// REQ-FSM-2
#[test]
fn entries_are_read_until_clean_eof() {
    let (s, boundary) = two_entry_stream();
    let (ts, entries) = read_all(&s[..]).unwrap();
    assert_eq!(ts, 100);
    assert_eq!(
        entries,
        vec![
            version(b"!sqs|queue|meta|cQ", 7, false, 0, b"hello"),
            version(b"other", 8, true, 5, b""),
        ]
    );
    // A clean EOF at the entry boundary is the end of a shorter stream.
    let (_, first) = read_all(&s[..boundary]).unwrap();
    assert_eq!(
        first,
        vec![version(b"!sqs|queue|meta|cQ", 7, false, 0, b"hello")]
    );
    // The reader also works as an iterator.
    let reader = Reader::new(&s[..]).unwrap();
    let all: Result<Vec<Entry>, _> = reader.collect();
    assert_eq!(all.unwrap().len(), 2);
}

// REQ-FSM-2
#[test]
fn entry_framing_is_le_lengths_and_bit_inverted_be_ts() {
    let mut s = Vec::new();
    encode_entry(&mut s, b"ab", 1, true, 0x0203, b"z");
    let mut want = Vec::new();
    want.extend_from_slice(&10u64.to_le_bytes());
    want.extend_from_slice(b"ab");
    want.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe]);
    want.extend_from_slice(&10u64.to_le_bytes());
    want.extend_from_slice(&[0x01, 0x03, 0x02, 0, 0, 0, 0, 0, 0]);
    want.push(b'z');
    assert_eq!(s, want);
}

// REQ-FSM-2, REQ-FSM-11
#[test]
fn truncation_at_every_position_inside_an_entry_is_truncated() {
    let (s, boundary) = two_entry_stream();
    let key_len = "!sqs|queue|meta|cQ".len() + 8;
    let value_len = 9 + "hello".len();
    let e0 = 16; // first entry
    for cut in 17..s.len() {
        if cut == boundary {
            continue;
        }
        let err = read_all(&s[..cut]).unwrap_err();
        if cut == e0 + 4 || cut == boundary + 4 {
            // Exactly 4 bytes after an entry boundary read as a footer
            // that does not match.
            assert_eq!(err.class(), "crc_mismatch", "cut at {cut}: {err}");
            continue;
        }
        assert_eq!(err.class(), "truncated", "cut at {cut}: {err}");
        // The error names the field whose bytes ran out, at its start.
        let e = if cut < boundary { e0 } else { boundary };
        let (klen, vlen) = if cut < boundary {
            (key_len, value_len)
        } else {
            ("other".len() + 8, 9)
        };
        let want = if cut < e + 8 {
            format!("truncated at offset {e}: key length")
        } else if cut < e + 8 + klen {
            format!("truncated at offset {}: key", e + 8)
        } else if cut < e + 16 + klen {
            format!("truncated at offset {}: value length", e + 8 + klen)
        } else {
            assert!(cut < e + 16 + klen + vlen);
            format!("truncated at offset {}: value", e + 16 + klen)
        };
        assert_eq!(err.to_string(), want, "cut at {cut}");
    }
    // One position pinned literally.
    assert_err(&s[..21], "truncated", "truncated at offset 16: key length");
}

// REQ-FSM-3
#[test]
fn key_shorter_than_ts_suffix_is_short_key() {
    let mut s = encode_header(1);
    encode_raw_entry(&mut s, b"1234567", &encode_value(0, 0, b"v"));
    assert_err(
        &s,
        "short_key",
        "short key at offset 16: 7 bytes, need at least 8",
    );
    let mut s = encode_header(1);
    encode_raw_entry(&mut s, b"", &encode_value(0, 0, b"v"));
    assert_err(
        &s,
        "short_key",
        "short key at offset 16: 0 bytes, need at least 8",
    );
    // Exactly 8 bytes is an empty user key, which is fine.
    let mut s = encode_header(1);
    encode_raw_entry(&mut s, &encode_key(b"", 1), &encode_value(0, 0, b"v"));
    assert_eq!(
        read_all(&s[..]).unwrap().1,
        vec![version(b"", 1, false, 0, b"v")]
    );
}

// REQ-FSM-3
#[test]
fn value_shorter_than_header_is_short_value() {
    let mut s = encode_header(1);
    encode_raw_entry(&mut s, &encode_key(b"k", 1), &[0u8; 8]);
    assert_err(
        &s,
        "short_value",
        "short value for key \"k\": 8 bytes, need at least 9",
    );
    let mut s = encode_header(1);
    encode_raw_entry(&mut s, &encode_key(b"k\n", 1), b"");
    assert_err(
        &s,
        "short_value",
        "short value for key \"k\\n\": 0 bytes, need at least 9",
    );
    // Exactly 9 bytes is an empty body.
    let mut s = encode_header(1);
    encode_raw_entry(&mut s, &encode_key(b"k", 1), &[0u8; 9]);
    assert_eq!(
        read_all(&s[..]).unwrap().1,
        vec![version(b"k", 1, false, 0, b"")]
    );
}

// REQ-FSM-4
#[test]
fn key_length_over_limit_is_rejected_before_allocation() {
    assert_eq!(MAX_KEY_LEN, 1_048_584);
    let mut s = encode_header(1);
    s.extend_from_slice(&(MAX_KEY_LEN + 1).to_le_bytes());
    assert_err(
        &s,
        "key_too_large",
        "key too large at offset 16: 1048585 bytes, limit 1048584",
    );
    // An all-ones prefix neither aborts on allocation nor panics.
    let mut s = encode_header(1);
    s.extend_from_slice(&[0xff; 8]);
    s.extend_from_slice(b"a few bytes");
    assert_err(
        &s,
        "key_too_large",
        "key too large at offset 16: 18446744073709551615 bytes, limit 1048584",
    );
    // The limit itself is allowed: with too few bytes it is a truncation.
    let mut s = encode_header(1);
    s.extend_from_slice(&MAX_KEY_LEN.to_le_bytes());
    s.extend_from_slice(b"abc");
    assert_err(&s, "truncated", "truncated at offset 24: key");
}

// REQ-FSM-4
#[test]
fn value_length_over_limit_is_rejected_before_allocation() {
    assert_eq!(MAX_VALUE_LEN, 268_435_499);
    let key = encode_key(b"k", 1);
    let mut s = encode_header(1);
    s.extend_from_slice(&(key.len() as u64).to_le_bytes());
    s.extend_from_slice(&key);
    let prefix = s.clone();
    s.extend_from_slice(&(MAX_VALUE_LEN + 1).to_le_bytes());
    assert_err(
        &s,
        "value_too_large",
        "value too large for key \"k\": 268435500 bytes, limit 268435499",
    );
    let mut s = prefix.clone();
    s.extend_from_slice(&u64::MAX.to_le_bytes());
    assert_err(
        &s,
        "value_too_large",
        "value too large for key \"k\": 18446744073709551615 bytes, limit 268435499",
    );
    // Operational keys obey the same limit.
    let mut s = encode_header(1);
    s.extend_from_slice(&20u64.to_le_bytes());
    s.extend_from_slice(b"_meta_last_commit_ts");
    s.extend_from_slice(&u64::MAX.to_le_bytes());
    assert_err(
        &s,
        "value_too_large",
        "value too large for key \"_meta_last_commit_ts\": 18446744073709551615 bytes, limit 268435499",
    );
    // The limit itself is allowed: with too few bytes it is a truncation.
    let mut s = prefix;
    s.extend_from_slice(&MAX_VALUE_LEN.to_le_bytes());
    s.extend_from_slice(&[0u8; 12]);
    assert_err(&s, "truncated", "truncated at offset 41: value");
}

fn with_flags(flags: u8) -> Result<(u64, Vec<Entry>), Error> {
    let mut s = encode_header(1);
    encode_raw_entry(
        &mut s,
        &encode_key(b"k", 1),
        &encode_value(flags, 0, b"body"),
    );
    read_all(&s[..])
}

// REQ-FSM-5
#[test]
fn flags_bit0_is_tombstone() {
    assert_eq!(
        with_flags(0).unwrap().1,
        vec![version(b"k", 1, false, 0, b"body")]
    );
    assert_eq!(
        with_flags(1).unwrap().1,
        vec![version(b"k", 1, true, 0, b"body")]
    );
}

// REQ-FSM-5
#[test]
fn encryption_state_1_is_encrypted_entry() {
    for flags in [0b010, 0b011] {
        let e = with_flags(flags).unwrap_err();
        assert_eq!(e.class(), "encrypted_entry");
        assert_eq!(
            e.to_string(),
            "encrypted entry for key \"k\": encrypted snapshots cannot be decoded"
        );
    }
}

// REQ-FSM-5
#[test]
fn reserved_encryption_states_and_bits_are_reserved_flags() {
    for flags in [0b100u8, 0b101, 0b110, 0b111] {
        let e = with_flags(flags).unwrap_err();
        assert_eq!(e.class(), "reserved_flags", "flags {flags:#x}");
        assert_eq!(
            e.to_string(),
            format!("reserved value flags 0x{flags:02x} for key \"k\"")
        );
    }
    for bit in 3..8 {
        let flags = 1u8 << bit;
        let e = with_flags(flags).unwrap_err();
        assert_eq!(e.class(), "reserved_flags", "flags {flags:#x}");
        assert_eq!(
            e.to_string(),
            format!("reserved value flags 0x{flags:02x} for key \"k\"")
        );
    }
    // Reserved bits are checked before the encryption state.
    let e = with_flags(0x0a).unwrap_err();
    assert_eq!(e.to_string(), "reserved value flags 0x0a for key \"k\"");
}

/// The five shapes of operational keys.
fn operational_keys() -> Vec<Vec<u8>> {
    let mut registry = b"!encryption|writers|".to_vec();
    registry.extend_from_slice(&[0x00, 0x00, 0x00, 0x01, b'|', 0x00, 0x42]);
    vec![
        b"_meta_last_commit_ts".to_vec(),
        b"_meta_min_retained_ts".to_vec(),
        b"_meta_pending_min_retained_ts".to_vec(),
        b"_meta_applied_index".to_vec(),
        registry,
    ]
}

// REQ-FSM-6
#[test]
fn operational_keys_are_recognised_skipped_and_counted() {
    let mut s = encode_header(50);
    for (i, key) in operational_keys().iter().enumerate() {
        // Values are raw: 8-byte LE u64s and 12-byte registry rows, both
        // too short or meaningless as MVCC values.
        let value = if i == 4 {
            vec![7u8; 12]
        } else {
            42u64.to_le_bytes().to_vec()
        };
        encode_raw_entry(&mut s, key, &value);
        encode_entry(&mut s, b"!sqs|queue|gen|cQ", 10 + i as u64, false, 0, b"1");
    }
    let (_, entries) = read_all(&s[..]).unwrap();
    let ops: Vec<Vec<u8>> = entries
        .iter()
        .filter_map(|e| match e {
            Entry::Operational { key } => Some(key.clone()),
            Entry::Version(_) => None,
        })
        .collect();
    assert_eq!(ops, operational_keys());
    assert_eq!(entries.len(), 10);

    let (resolved, bytes) = resolve_snapshot(&s[..], &mut |_| {}).unwrap();
    assert_eq!(bytes, s.len() as u64);
    assert_eq!(resolved.stats.operational_keys, 5);
    assert_eq!(resolved.stats.entries, 10);
    assert_eq!(resolved.stats.sqs_versions, 5);
    let records: Vec<_> = resolved.records.collect();
    assert_eq!(records.len(), 1);
}

// REQ-FSM-6, REQ-FSM-10
#[test]
fn a_truncated_operational_value_is_truncated_at_the_value() {
    let key = b"_meta_applied_index";
    let mut s = encode_header(50);
    s.extend_from_slice(&(key.len() as u64).to_le_bytes());
    s.extend_from_slice(key);
    s.extend_from_slice(&8u64.to_le_bytes());
    let value_at = s.len();
    s.extend_from_slice(&[1, 2, 3]);
    let e = read_all(&s[..]).unwrap_err();
    assert_eq!(e.class(), "truncated");
    assert_eq!(
        e.to_string(),
        format!("truncated at offset {value_at}: value")
    );
    // All 8 bytes present: one operational entry, then a clean end.
    s.extend_from_slice(&[4, 5, 6, 7, 8]);
    let (_, entries) = read_all(&s[..]).unwrap();
    assert_eq!(entries, vec![Entry::Operational { key: key.to_vec() }]);
}

// REQ-ERR-1
#[test]
fn debug_output_of_an_error_escapes_its_key_as_the_message_does() {
    // `{:?}` is what `unwrap` and logs print: the key is as readable there.
    let mut s = encode_header(50);
    encode_raw_entry(&mut s, &encode_key(b"k\x00\xff\n", 1), &[0x08; 9]);
    let e = read_all(&s[..]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "reserved value flags 0x08 for key \"k\\x00\\xff\\n\""
    );
    assert_eq!(
        format!("{e:?}"),
        "ReservedFlags { key: \"k\\x00\\xff\\n\", flags: 8 }"
    );
}

// REQ-FSM-6
#[test]
fn operational_near_misses_are_mvcc_keys() {
    for key in operational_keys() {
        assert!(is_operational_key(&key), "{key:?}");
    }
    let registry = |suffix: &[u8]| {
        let mut k = b"!encryption|writers|".to_vec();
        k.extend_from_slice(suffix);
        k
    };
    let near_misses: Vec<Vec<u8>> = vec![
        b"_meta_last_commit_tsX".to_vec(),
        b"_meta_last_commit_t".to_vec(),
        b"x_meta_applied_index".to_vec(),
        b"_META_APPLIED_INDEX".to_vec(),
        b"_meta_applied_index\x00".to_vec(),
        registry(&[0, 0, 0, 1, b'|', 0]),
        registry(&[0, 0, 0, 1, b'|', 0, 0x42, 0]),
        registry(&[0, 0, 0, 1, b'#', 0, 0x42]),
        b"!encryption|writers".to_vec(),
        b"!encryption|writers|".to_vec(),
    ];
    for key in &near_misses {
        assert!(!is_operational_key(key), "{key:?}");
        // In a stream they are MVCC entries: key minus the 8-byte suffix.
        let mut s = encode_header(1 << 40);
        encode_raw_entry(&mut s, key, &encode_value(0, 0, b"v"));
        let (_, entries) = read_all(&s[..]).unwrap();
        let split = key.len() - 8;
        let ts = !u64::from_be_bytes(key[split..].try_into().unwrap());
        assert_eq!(entries, vec![version(&key[..split], ts, false, 0, b"v")]);
    }
}

/// A reader that hands out at most one byte per call, and is interrupted
/// before every byte.
struct Trickle<'a> {
    data: &'a [u8],
    interrupt: bool,
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.interrupt = !self.interrupt;
        if self.interrupt {
            return Err(io::Error::new(io::ErrorKind::Interrupted, "again"));
        }
        match (self.data.split_first(), buf.first_mut()) {
            (Some((b, rest)), Some(slot)) => {
                *slot = *b;
                self.data = rest;
                Ok(1)
            }
            _ => Ok(0),
        }
    }
}

// REQ-FSM-10
#[test]
fn one_byte_at_a_time_reader_gives_the_same_entries() {
    let (s, boundary) = two_entry_stream();
    let whole = read_all(&s[..]).unwrap();
    let trickled = read_all(Trickle {
        data: &s,
        interrupt: false,
    })
    .unwrap();
    assert_eq!(whole, trickled);
    // Truncation is reported the same way.
    let e = read_all(Trickle {
        data: &s[..boundary + 3],
        interrupt: false,
    })
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("truncated at offset {boundary}: key length")
    );
}

// REQ-FSM-10
#[test]
fn reader_streams_from_a_file() {
    let (s, _) = two_entry_stream();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("snap.fsm");
    std::fs::write(&path, &s).unwrap();
    let file = std::fs::File::open(&path).unwrap();
    let mut reader = Reader::new(file).unwrap();
    let mut n = 0;
    while reader.next_entry().unwrap().is_some() {
        n += 1;
    }
    assert_eq!(n, 2);
    assert_eq!(reader.bytes_read(), s.len() as u64);
}

/// A reader that fails with a real I/O error after some bytes.
struct Failing<'a>(&'a [u8]);

impl Read for Failing<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.0.is_empty() {
            return Err(io::Error::other("disk on fire"));
        }
        let n = self.0.len().min(buf.len());
        buf[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

// REQ-FSM-10
#[test]
fn read_errors_are_io_errors() {
    let (s, _) = two_entry_stream();
    let e = read_all(Failing(&s[..30])).unwrap_err();
    assert_eq!(e.class(), "io");
    assert_eq!(e.to_string(), "i/o error: reading snapshot: disk on fire");
}

/// A reader that hands out `first` bytes, then fails once with `kind`,
/// then hands out the rest: a transient fault in the middle of a length
/// prefix or header, where a retry would succeed.
struct FailsOnce<'a> {
    data: &'a [u8],
    first: usize,
    kind: Option<io::ErrorKind>,
}

impl Read for FailsOnce<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.first == 0 {
            if let Some(kind) = self.kind.take() {
                return Err(io::Error::new(kind, "transient fault"));
            }
        }
        let n = self.data.len().min(buf.len()).min(if self.first > 0 {
            self.first
        } else {
            usize::MAX
        });
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        self.first -= n.min(self.first);
        Ok(n)
    }
}

// REQ-FSM-10
#[test]
fn a_real_read_error_inside_a_fixed_field_is_not_retried_but_an_interrupt_is() {
    let (s, boundary) = two_entry_stream();
    // Inside the header (after 4 bytes of the magic), inside the first
    // key length prefix (byte 20), and inside the second entry's value
    // length prefix.
    let second_value_len = boundary + 8 + b"other".len() + 8 + 3;
    for first in [4, 20, second_value_len] {
        let e = read_all(FailsOnce {
            data: &s,
            first,
            kind: Some(io::ErrorKind::Other),
        })
        .unwrap_err();
        assert_eq!(e.class(), "io", "fault after {first} bytes");
        assert_eq!(
            e.to_string(),
            "i/o error: reading snapshot: transient fault"
        );
        // ErrorKind::Interrupted means "try again": the same fault is
        // invisible.
        let retried = read_all(FailsOnce {
            data: &s,
            first,
            kind: Some(io::ErrorKind::Interrupted),
        })
        .unwrap();
        assert_eq!(
            retried,
            read_all(&s[..]).unwrap(),
            "fault after {first} bytes"
        );
    }
}

// REQ-FSM-10
#[test]
fn a_read_error_surfaces_at_the_field_that_needs_the_bytes() {
    // The source fails right after the header: the header is complete, so
    // opening succeeds and reports the timestamp; the first entry fails.
    let (s, _) = two_entry_stream();
    let mut reader = Reader::new(FailsOnce {
        data: &s,
        first: HEADER_LEN,
        kind: Some(io::ErrorKind::Other),
    })
    .unwrap();
    assert_eq!(reader.last_commit_ts(), 100);
    assert_eq!(reader.bytes_read(), HEADER_LEN as u64);
    let e = reader.next_entry().unwrap_err();
    assert_eq!(
        e.to_string(),
        "i/o error: reading snapshot: transient fault"
    );
}

// REQ-FSM-10
#[test]
fn progress_reports_bytes_read() {
    let (s, boundary) = two_entry_stream();
    let mut seen = Vec::new();
    resolve_snapshot(&s[..], &mut |n| seen.push(n)).unwrap();
    assert_eq!(seen, vec![16, boundary as u64, s.len() as u64]);
}

// REQ-FSM-2
#[test]
fn the_iterator_stops_after_the_first_error() {
    let (s, boundary) = two_entry_stream();
    let mut reader = Reader::new(&s[..boundary + 3]).unwrap();
    assert!(matches!(reader.next(), Some(Ok(_))));
    assert!(matches!(reader.next(), Some(Err(_))));
    assert!(reader.next().is_none());
    assert!(reader.next().is_none());
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    fn arb_version() -> impl Strategy<Value = Version> {
        (
            proptest::collection::vec(any::<u8>(), 0..40),
            any::<u64>(),
            any::<bool>(),
            any::<u64>(),
            proptest::collection::vec(any::<u8>(), 0..64),
        )
            .prop_map(
                |(user_key, commit_ts, tombstone, expire_at, body)| Version {
                    user_key,
                    commit_ts,
                    tombstone,
                    expire_at,
                    body,
                },
            )
    }

    proptest! {
        // REQ-FSM-2
        #[test]
        fn encode_then_read_gives_back_the_versions(
            ts in any::<u64>(),
            versions in proptest::collection::vec(arb_version(), 0..8),
        ) {
            let mut s = encode_header(ts);
            for v in &versions {
                encode_entry(&mut s, &v.user_key, v.commit_ts, v.tombstone, v.expire_at, &v.body);
            }
            let (got_ts, entries) = read_all(&s[..]).unwrap();
            prop_assert_eq!(got_ts, ts);
            let want: Vec<Entry> = versions
                .into_iter()
                .map(|v| {
                    let mut raw = v.user_key.clone();
                    raw.extend_from_slice(&(!v.commit_ts).to_be_bytes());
                    if is_operational_key(&raw) {
                        Entry::Operational { key: raw }
                    } else {
                        Entry::Version(v)
                    }
                })
                .collect();
            prop_assert_eq!(entries, want);
        }

        // REQ-FSM-4, REQ-ERR-2
        #[test]
        fn arbitrary_bytes_after_a_header_never_panic(
            tail in proptest::collection::vec(any::<u8>(), 0..256),
        ) {
            let mut s = encode_header(7);
            s.extend_from_slice(&tail);
            // Any result is fine; reaching here means no panic or abort.
            let _ = read_all(&s[..]);
            let _ = resolve_snapshot(&s[..], &mut |_| {});
        }

        // REQ-FSM-4, REQ-ERR-2
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = read_all(&bytes[..]);
        }
    }
}
