//! Corpus cases for Snapshot stream (REQ-FSM).

use super::*;
use Input::Fsm;

const MSGS: &str = "sqs/orders/messages.jsonl";

pub(super) const CASES: &[Row] = &[
    Row {
        name: "REQ-FSM-1-header-only",
        note: "a header and no entries decode to a dump with only MANIFEST.json and CHECKSUMS",
        flags: &[],
        input: Fsm(|| Snap::new().bytes()),
        expect: || vec![files(&[])],
    },
    Row {
        name: "REQ-FSM-1-bad-magic",
        note: "a stream that does not start with EKVPBBL1 is bad_magic",
        flags: &[],
        input: Fsm(|| [&b"NOTASNAP"[..], &LAST.to_le_bytes()].concat()),
        expect: || vec![error("bad_magic")],
    },
    Row {
        name: "REQ-FSM-1-sst-ingest-format",
        note: "the SST-ingest transfer format (EKVSSTI1) is unsupported_format, not bad_magic",
        flags: &[],
        input: Fsm(|| [&b"EKVSSTI1"[..], &LAST.to_le_bytes()].concat()),
        expect: || vec![error("unsupported_format")],
    },
    Row {
        name: "REQ-FSM-1-short-header",
        note: "a stream shorter than the 16-byte header is truncated",
        flags: &[],
        input: Fsm(|| b"EKVPBBL1\xe8\x03".to_vec()),
        expect: || vec![error("truncated")],
    },
    Row {
        name: "REQ-FSM-2-truncated-length-prefix",
        note: "end of input inside a key length prefix is truncated, even after complete entries",
        flags: &[],
        input: Fsm(|| orders().tail(&[5, 0, 0]).bytes()),
        expect: || vec![error("truncated")],
    },
    Row {
        name: "REQ-FSM-2-truncated-value",
        note: "end of input inside a value is truncated",
        flags: &[],
        input: Fsm(truncated_value),
        expect: || vec![error("truncated")],
    },
    Row {
        name: "REQ-FSM-3-short-key",
        note: "an entry key shorter than its 8-byte commit-ts suffix is short_key",
        flags: &[],
        input: Fsm(|| orders().raw(b"!sqs|ab", &encode_value(0, 0, b"")).bytes()),
        expect: || vec![error("short_key")],
    },
    Row {
        name: "REQ-FSM-3-short-value",
        note: "a value shorter than the 9-byte flags + expire_at header is short_value",
        flags: &[],
        input: Fsm(|| {
            orders()
                .raw(&encode_key(&gen_key(b"orders"), 20), &[0; 8])
                .bytes()
        }),
        expect: || vec![error("short_value")],
    },
    Row {
        name: "REQ-FSM-4-key-too-large",
        note: "a key length prefix over 1 MiB + 8 is key_too_large before anything is allocated",
        flags: &[],
        input: Fsm(|| [orders().bytes(), (MAX_KEY_LEN + 1).to_le_bytes().to_vec()].concat()),
        expect: || vec![error("key_too_large")],
    },
    Row {
        name: "REQ-FSM-4-value-too-large",
        note: "a value length prefix over 256 MiB + 43 is value_too_large before anything is allocated",
        flags: &[],
        input: Fsm(value_too_large),
        expect: || vec![error("value_too_large")],
    },
    Row {
        name: "REQ-FSM-5-tombstone-bit",
        note: "flag bit 0 marks a tombstone: the key is absent even though the value carries a body",
        flags: &[],
        input: Fsm(|| {
            orders()
                .flagged(
                    &data_key(b"orders", 1, b"o-3"),
                    120,
                    FLAG_TOMBSTONE,
                    0,
                    &msg("o-3", b"tombstoned", T0 + 5, 1, ""),
                )
                .bytes()
        }),
        expect: || vec![ids(MSGS, &["o-1", "o-2"])],
    },
    Row {
        name: "REQ-FSM-5-encrypted-entry",
        note: "encryption state 1 is encrypted_entry: fail closed, no dump",
        flags: &[],
        input: Fsm(|| flags_byte(0b010)),
        expect: || vec![error("encrypted_entry")],
    },
    Row {
        name: "REQ-FSM-5-reserved-state-2",
        note: "encryption state 2 is reserved_flags: fail closed, no dump",
        flags: &[],
        input: Fsm(|| flags_byte(0b100)),
        expect: || vec![error("reserved_flags")],
    },
    Row {
        name: "REQ-FSM-5-reserved-state-3",
        note: "encryption state 3 is reserved_flags: fail closed, no dump",
        flags: &[],
        input: Fsm(|| flags_byte(0b110)),
        expect: || vec![error("reserved_flags")],
    },
    Row {
        name: "REQ-FSM-5-reserved-bits",
        note: "a set bit among flag bits 3-7 is reserved_flags: fail closed, no dump",
        flags: &[],
        input: Fsm(|| flags_byte(0b1000_0000)),
        expect: || vec![error("reserved_flags")],
    },
    Row {
        name: "REQ-FSM-6-operational-keys",
        note: "[Decision] the four raw _meta_* keys and an !encryption|writers| row are skipped (upstream fails on them)",
        flags: &[],
        input: Fsm(operational_keys),
        expect: || vec![ids(MSGS, &["o-1", "o-2"])],
    },
    Row {
        name: "REQ-FSM-6-near-miss-is-an-entry",
        note: "a raw key that only resembles an operational key is an ordinary entry: its 8-byte value is short_value",
        flags: &[],
        input: Fsm(|| {
            orders()
                .raw(b"_meta_last_commit_tsX", &LAST.to_le_bytes())
                .bytes()
        }),
        expect: || vec![error("short_value")],
    },
    Row {
        name: "REQ-FSM-7-newest-version-wins",
        note: "[Decision] three versions of one message give one line, the newest (upstream writes all three)",
        flags: &[PRESERVE],
        input: Fsm(three_versions),
        expect: || vec![lines(MSGS, 1), has(MSGS, r#""receive_count":3"#)],
    },
    Row {
        name: "REQ-FSM-7-tombstone-hides-older-version",
        note: "[Decision] a message deleted by a newer tombstone stays deleted (upstream resurrects the older live version)",
        flags: &[],
        input: Fsm(|| {
            let k = data_key(b"orders", 1, b"o-0");
            orders()
                .put(&k, 90, &msg("o-0", b"deleted", T0 - 1, 1, ""))
                .del(&k, 400)
                .bytes()
        }),
        expect: || vec![ids(MSGS, &["o-1", "o-2"])],
    },
    Row {
        name: "REQ-FSM-7-expired-version-hides-older",
        note: "[Decision] a newest version that expired at or before last_commit_ts hides the key; one expiring later is visible",
        flags: &[],
        input: Fsm(expired_versions),
        expect: || vec![ids(MSGS, &["o-1", "o-2", "o-3"])],
    },
    Row {
        name: "REQ-FSM-7-equal-commit-ts-later-entry-wins",
        note: "[Decision] two versions with the same commit_ts: the later one in the stream wins (upstream writes both)",
        flags: &[PRESERVE],
        input: Fsm(|| {
            let k = data_key(b"orders", 1, b"o-1");
            Snap::new()
                .put(&meta_key(b"orders"), 10, &meta("orders", ""))
                .put(&k, 100, &msg("o-1", b"x", T0, 1, r#","receive_count":1"#))
                .put(&k, 100, &msg("o-1", b"x", T0, 1, r#","receive_count":2"#))
                .bytes()
        }),
        expect: || vec![lines(MSGS, 1), has(MSGS, r#""receive_count":2"#)],
    },
    Row {
        name: "REQ-FSM-8-version-after-header",
        note: "[Decision] versions with commit_ts > last_commit_ts are ignored (with a warning on stderr)",
        flags: &[],
        input: Fsm(after_header),
        expect: || {
            vec![
                ids(MSGS, &["o-1", "o-2"]),
                lacks(MSGS, "CHANGED"),
                lacks("sqs/orders/_queue.json", "999"),
            ]
        },
    },
    Row {
        name: "REQ-FSM-9-versions-not-adjacent",
        note: "versions of one key separated by a key it is a prefix of are still one key: the newest version wins",
        flags: &[],
        input: Fsm(versions_not_adjacent),
        expect: || {
            vec![
                has("sqs/q/messages.jsonl", r#""body":"newest""#),
                lacks("sqs/q/messages.jsonl", "older"),
                lines("sqs/q/messages.jsonl", 1),
                files(&[
                    "sqs/q/_queue.json",
                    "sqs/q/messages.jsonl",
                    "sqs/q%00/_queue.json",
                    "sqs/q%00/messages.jsonl",
                ]),
            ]
        },
    },
    Row {
        name: "REQ-FSM-10-other-keyspaces",
        note: "entries of other keyspaces are read and counted, not dumped",
        flags: &[],
        input: Fsm(|| {
            orders()
                .put(b"!redis|str|greeting", 50, b"hello")
                .put(b"!ddb|item|t|k", 50, b"\x00\x01")
                .put(b"zz-other", 50, b"")
                .bytes()
        }),
        expect: || vec![files(&["sqs/orders/_queue.json", MSGS])],
    },
    // Node files (fsm-snap/<index>.fsm): the payload and a CRC-32C footer.
    Row {
        name: "REQ-FSM-11-node-file",
        note: "[Decision] a node file (payload + big-endian CRC-32C footer) decodes like its payload and records the checksum (upstream fails on the footer)",
        flags: &[],
        input: Fsm(node_file),
        expect: || {
            let crc = format!(r#""fsm_crc32c": "{:08x}""#, crc32c(&orders().bytes()));
            vec![
                ids(MSGS, &["o-1", "o-2"]),
                files(&["sqs/orders/_queue.json", MSGS]),
                has(manifest::MANIFEST_FILE, &crc),
            ]
        },
    },
    Row {
        name: "REQ-FSM-11-bad-crc",
        note: "a node file whose footer does not match its payload (one payload bit flipped) is crc_mismatch",
        flags: &[],
        input: Fsm(|| {
            let mut bad = node_file();
            if let Some(b) = bad.get_mut(40) {
                *b ^= 0x01;
            }
            bad
        }),
        expect: || vec![error("crc_mismatch")],
    },
    Row {
        name: "REQ-FSM-11-truncated-node-file",
        note: "a node file cut inside its footer (2 of 4 bytes left) is truncated",
        flags: &[],
        input: Fsm(|| {
            let node = node_file();
            node.get(..node.len() - 2).unwrap_or_default().to_vec()
        }),
        expect: || vec![error("truncated")],
    },
    Row {
        name: "REQ-FSM-12-bare-payload-refused",
        note: "with --require-footer a payload without the node file's footer is missing_footer",
        flags: &[REQUIRE_FOOTER],
        input: Fsm(|| orders().bytes()),
        expect: || vec![error("missing_footer")],
    },
];

/// `orders` with one more entry that declares a 40-byte value and
/// delivers 10 of them.
fn truncated_value() -> Vec<u8> {
    let mut cut = orders().bytes();
    encode_raw_entry(&mut cut, &encode_key(b"!sqs|queue|gen|eg", 10), b"");
    let n = cut.len();
    if let Some(len) = cut.get_mut(n.saturating_sub(8)..) {
        len.copy_from_slice(&40u64.to_le_bytes());
    }
    cut.extend_from_slice(&encode_value(0, 0, b"1"));
    cut
}

/// `orders`, then a key and a value length prefix over the limit.
fn value_too_large() -> Vec<u8> {
    let mut out = orders().bytes();
    let k = encode_key(&gen_key(b"zz"), 20);
    out.extend_from_slice(&(k.len() as u64).to_le_bytes());
    out.extend_from_slice(&k);
    out.extend_from_slice(&(MAX_VALUE_LEN + 1).to_le_bytes());
    out
}

/// `orders` with one more message whose value carries this flags byte.
fn flags_byte(flags: u8) -> Vec<u8> {
    orders()
        .flagged(
            &data_key(b"orders", 1, b"o-9"),
            130,
            flags,
            0,
            &msg("o-9", b"x", T0 + 9, 1, ""),
        )
        .bytes()
}

/// Operational keys: 8-byte values that would be short_value if read as
/// MVCC entries.
fn operational_keys() -> Vec<u8> {
    let mut s = orders();
    for k in crate::fsm::OPERATIONAL_KEYS {
        s.raw(k, &LAST.to_le_bytes());
    }
    let mut registry = b"!encryption|writers|".to_vec();
    registry.extend_from_slice(&[0, 0, 0, 7, b'|', 0, 3]);
    s.raw(&registry, b"\x01\x02");
    s.bytes()
}

/// Three versions of one message.
fn three_versions() -> Vec<u8> {
    let mut s = Snap::new();
    s.put(&meta_key(b"orders"), 10, &meta("orders", ""));
    let k = data_key(b"orders", 1, b"o-1");
    for (ts, count) in [(100, 1), (200, 2), (300, 3)] {
        s.put(
            &k,
            ts,
            &msg(
                "o-1",
                b"one message, three versions",
                T0,
                1,
                &format!(r#","receive_count":{count}"#),
            ),
        );
    }
    s.bytes()
}

fn expired_versions() -> Vec<u8> {
    let k = data_key(b"orders", 1, b"o-0");
    orders()
        .put(&k, 90, &msg("o-0", b"live", T0 - 1, 1, ""))
        .expiring(&k, 95, 900, &msg("o-0", b"expired", T0 - 1, 1, ""))
        .expiring(
            &data_key(b"orders", 1, b"o-3"),
            96,
            1001,
            &msg("o-3", b"expires after the snapshot", T0 + 3, 1, ""),
        )
        .bytes()
}

fn after_header() -> Vec<u8> {
    orders()
        .put(
            &meta_key(b"orders"),
            1500,
            &meta("orders", r#","visibility_timeout_seconds":999"#),
        )
        .put(
            &data_key(b"orders", 1, b"o-1"),
            1200,
            &msg("o-1", b"CHANGED AFTER HEADER", T0, 1, ""),
        )
        .put(
            &data_key(b"orders", 1, b"o-3"),
            1001,
            &msg("o-3", b"sent after header", T0 + 3, 1, ""),
        )
        .bytes()
}

/// Two versions of one key with a key it is a prefix of in between.
fn versions_not_adjacent() -> Vec<u8> {
    // b64("q") = "cQ" is a prefix of b64("q\0") = "cQA". The versions are
    // those of a message, so an implementation that keeps both shows a
    // second line for one id (REQ-FSM-7's subject, also a Decision).
    Snap::new()
        .put(&meta_key(b"q"), 10, &meta("q", ""))
        .put(
            &data_key(b"q", 1, b"m"),
            30,
            &msg("m", b"newest", T0, 1, ""),
        )
        .put(&meta_key(b"q\0"), 15, &meta("q-nul", ""))
        .put(
            &data_key(b"q\0", 1, b"n"),
            15,
            &msg("n", b"other queue", T0, 1, ""),
        )
        .put(&data_key(b"q", 1, b"m"), 20, &msg("m", b"older", T0, 1, ""))
        .keep_order()
        .bytes()
}

/// `orders` as a node file: the payload and its CRC-32C footer.
fn node_file() -> Vec<u8> {
    let mut node = orders().bytes();
    append_footer(&mut node);
    node
}
