//! Corpus cases for Snapshot stream (REQ-FSM).

#[allow(unused_imports)]
use super::*;

pub(super) fn fsm_cases(c: &mut Cases) {
    c.add(
        "REQ-FSM-1-header-only",
        "a header and no entries decode to a dump with only MANIFEST.json and CHECKSUMS",
        &[],
        Snap::new().bytes(),
        vec![files(&[])],
    );
    let mut bad = b"NOTASNAP".to_vec();
    bad.extend_from_slice(&LAST.to_le_bytes());
    c.add(
        "REQ-FSM-1-bad-magic",
        "a stream that does not start with EKVPBBL1 is bad_magic",
        &[],
        bad,
        vec![error("bad_magic")],
    );
    let mut sst = b"EKVSSTI1".to_vec();
    sst.extend_from_slice(&LAST.to_le_bytes());
    c.add(
        "REQ-FSM-1-sst-ingest-format",
        "the SST-ingest transfer format (EKVSSTI1) is unsupported_format, not bad_magic",
        &[],
        sst,
        vec![error("unsupported_format")],
    );
    c.add(
        "REQ-FSM-1-short-header",
        "a stream shorter than the 16-byte header is truncated",
        &[],
        b"EKVPBBL1\xe8\x03".to_vec(),
        vec![error("truncated")],
    );
    c.add(
        "REQ-FSM-2-truncated-length-prefix",
        "end of input inside a key length prefix is truncated, even after complete entries",
        &[],
        orders().tail(&[5, 0, 0]).bytes(),
        vec![error("truncated")],
    );
    let mut cut = orders().bytes();
    encode_raw_entry(&mut cut, &encode_key(b"!sqs|queue|gen|eg", 10), b"");
    // Declare a 40-byte value and deliver 10 of them.
    let n = cut.len();
    cut[n - 8..].copy_from_slice(&40u64.to_le_bytes());
    cut.extend_from_slice(&encode_value(0, 0, b"1"));
    c.add(
        "REQ-FSM-2-truncated-value",
        "end of input inside a value is truncated",
        &[],
        cut,
        vec![error("truncated")],
    );
    c.add(
        "REQ-FSM-3-short-key",
        "an entry key shorter than its 8-byte commit-ts suffix is short_key",
        &[],
        orders().raw(b"!sqs|ab", &encode_value(0, 0, b"")).bytes(),
        vec![error("short_key")],
    );
    c.add(
        "REQ-FSM-3-short-value",
        "a value shorter than the 9-byte flags + expire_at header is short_value",
        &[],
        orders()
            .raw(
                &encode_key(&gen_key(b"orders"), 20),
                &[0, 0, 0, 0, 0, 0, 0, 0],
            )
            .bytes(),
        vec![error("short_value")],
    );
    let mut huge_key = orders().bytes();
    huge_key.extend_from_slice(&(MAX_KEY_LEN + 1).to_le_bytes());
    c.add(
        "REQ-FSM-4-key-too-large",
        "a key length prefix over 1 MiB + 8 is key_too_large before anything is allocated",
        &[],
        huge_key,
        vec![error("key_too_large")],
    );
    let mut huge_value = orders().bytes();
    let k = encode_key(&gen_key(b"zz"), 20);
    huge_value.extend_from_slice(&(k.len() as u64).to_le_bytes());
    huge_value.extend_from_slice(&k);
    huge_value.extend_from_slice(&(MAX_VALUE_LEN + 1).to_le_bytes());
    c.add(
        "REQ-FSM-4-value-too-large",
        "a value length prefix over 256 MiB + 43 is value_too_large before anything is allocated",
        &[],
        huge_value,
        vec![error("value_too_large")],
    );
    let mut s = orders();
    s.flagged(
        &data_key(b"orders", 1, b"o-3"),
        120,
        FLAG_TOMBSTONE,
        0,
        &msg("o-3", b"tombstoned", T0 + 5, 1, ""),
    );
    c.add(
        "REQ-FSM-5-tombstone-bit",
        "flag bit 0 marks a tombstone: the key is absent even though the value carries a body",
        &[],
        s.bytes(),
        vec![ids(&q_path("orders", "messages.jsonl"), &["o-1", "o-2"])],
    );
    for (slug, flags, class, what) in [
        (
            "encrypted-entry",
            0b010u8,
            "encrypted_entry",
            "encryption state 1 is encrypted_entry",
        ),
        (
            "reserved-state-2",
            0b100,
            "reserved_flags",
            "encryption state 2 is reserved_flags",
        ),
        (
            "reserved-state-3",
            0b110,
            "reserved_flags",
            "encryption state 3 is reserved_flags",
        ),
        (
            "reserved-bits",
            0b1000_0000,
            "reserved_flags",
            "a set bit among flag bits 3-7 is reserved_flags",
        ),
    ] {
        let mut s = orders();
        s.flagged(
            &data_key(b"orders", 1, b"o-9"),
            130,
            flags,
            0,
            &msg("o-9", b"x", T0 + 9, 1, ""),
        );
        c.add(
            &format!("REQ-FSM-5-{slug}"),
            &format!("{what}: fail closed, no dump"),
            &[],
            s.bytes(),
            vec![error(class)],
        );
    }

    // Operational keys: 8-byte values that would be short_value if read as
    // MVCC entries.
    let mut s = orders();
    for k in crate::fsm::OPERATIONAL_KEYS {
        s.raw(k, &LAST.to_le_bytes());
    }
    let mut registry = b"!encryption|writers|".to_vec();
    registry.extend_from_slice(&[0, 0, 0, 7, b'|', 0, 3]);
    s.raw(&registry, b"\x01\x02");
    c.add(
        "REQ-FSM-6-operational-keys",
        "[Decision] the four raw _meta_* keys and an !encryption|writers| row are skipped (upstream fails on them)",
        &[],
        s.bytes(),
        vec![ids(&q_path("orders", "messages.jsonl"), &["o-1", "o-2"])],
    );
    c.add(
        "REQ-FSM-6-near-miss-is-an-entry",
        "a raw key that only resembles an operational key is an ordinary entry: its 8-byte value is short_value",
        &[],
        orders().raw(b"_meta_last_commit_tsX", &LAST.to_le_bytes()).bytes(),
        vec![error("short_value")],
    );

    // MVCC.
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
    c.add(
        "REQ-FSM-7-newest-version-wins",
        "[Decision] three versions of one message give one line, the newest (upstream writes all three)",
        &[PRESERVE],
        s.bytes(),
        vec![
            lines(&q_path("orders", "messages.jsonl"), 1),
            has(&q_path("orders", "messages.jsonl"), r#""receive_count":3"#),
        ],
    );
    let mut s = orders();
    let k = data_key(b"orders", 1, b"o-0");
    s.put(&k, 90, &msg("o-0", b"deleted", T0 - 1, 1, ""));
    s.del(&k, 400);
    c.add(
        "REQ-FSM-7-tombstone-hides-older-version",
        "[Decision] a message deleted by a newer tombstone stays deleted (upstream resurrects the older live version)",
        &[],
        s.bytes(),
        vec![ids(&q_path("orders", "messages.jsonl"), &["o-1", "o-2"])],
    );
    let mut s = orders();
    let k = data_key(b"orders", 1, b"o-0");
    s.put(&k, 90, &msg("o-0", b"live", T0 - 1, 1, ""));
    s.expiring(&k, 95, 900, &msg("o-0", b"expired", T0 - 1, 1, ""));
    s.expiring(
        &data_key(b"orders", 1, b"o-3"),
        96,
        1001,
        &msg("o-3", b"expires after the snapshot", T0 + 3, 1, ""),
    );
    c.add(
        "REQ-FSM-7-expired-version-hides-older",
        "[Decision] a newest version that expired at or before last_commit_ts hides the key; one expiring later is visible",
        &[],
        s.bytes(),
        vec![ids(&q_path("orders", "messages.jsonl"), &["o-1", "o-2", "o-3"])],
    );
    let mut s = Snap::new();
    s.put(&meta_key(b"orders"), 10, &meta("orders", ""));
    let k = data_key(b"orders", 1, b"o-1");
    s.put(&k, 100, &msg("o-1", b"x", T0, 1, r#","receive_count":1"#));
    s.put(&k, 100, &msg("o-1", b"x", T0, 1, r#","receive_count":2"#));
    c.add(
        "REQ-FSM-7-equal-commit-ts-later-entry-wins",
        "[Decision] two versions with the same commit_ts: the later one in the stream wins (upstream writes both)",
        &[PRESERVE],
        s.bytes(),
        vec![
            lines(&q_path("orders", "messages.jsonl"), 1),
            has(&q_path("orders", "messages.jsonl"), r#""receive_count":2"#),
        ],
    );
    let mut s = orders();
    s.put(
        &meta_key(b"orders"),
        1500,
        &meta("orders", r#","visibility_timeout_seconds":999"#),
    );
    let k = data_key(b"orders", 1, b"o-1");
    s.put(&k, 1200, &msg("o-1", b"CHANGED AFTER HEADER", T0, 1, ""));
    s.put(
        &data_key(b"orders", 1, b"o-3"),
        1001,
        &msg("o-3", b"sent after header", T0 + 3, 1, ""),
    );
    c.add(
        "REQ-FSM-8-version-after-header",
        "[Decision] versions with commit_ts > last_commit_ts are ignored (with a warning on stderr)",
        &[],
        s.bytes(),
        vec![
            ids(&q_path("orders", "messages.jsonl"), &["o-1", "o-2"]),
            lacks(&q_path("orders", "messages.jsonl"), "CHANGED"),
            lacks(&q_path("orders", "_queue.json"), "999"),
        ],
    );
    // b64("q") = "cQ" is a prefix of b64("q\0") = "cQA". The versions are
    // those of a message, so an implementation that keeps both shows a
    // second line for one id (REQ-FSM-7's subject, also a Decision).
    let mut s = Snap::new();
    s.put(&meta_key(b"q"), 10, &meta("q", ""));
    s.put(
        &data_key(b"q", 1, b"m"),
        30,
        &msg("m", b"newest", T0, 1, ""),
    );
    s.put(&meta_key(b"q\0"), 15, &meta("q-nul", ""));
    s.put(
        &data_key(b"q\0", 1, b"n"),
        15,
        &msg("n", b"other queue", T0, 1, ""),
    );
    s.put(&data_key(b"q", 1, b"m"), 20, &msg("m", b"older", T0, 1, ""));
    s.keep_order();
    c.add(
        "REQ-FSM-9-versions-not-adjacent",
        "versions of one key separated by a key it is a prefix of are still one key: the newest version wins",
        &[],
        s.bytes(),
        vec![
            has(&q_path("q", "messages.jsonl"), r#""body":"newest""#),
            lacks(&q_path("q", "messages.jsonl"), "older"),
            lines(&q_path("q", "messages.jsonl"), 1),
            files(&[
                "sqs/q/_queue.json",
                "sqs/q/messages.jsonl",
                "sqs/q%00/_queue.json",
                "sqs/q%00/messages.jsonl",
            ]),
        ],
    );
    let mut s = orders();
    s.put(b"!redis|str|greeting", 50, b"hello");
    s.put(b"!ddb|item|t|k", 50, b"\x00\x01");
    s.put(b"zz-other", 50, b"");
    c.add(
        "REQ-FSM-10-other-keyspaces",
        "entries of other keyspaces are read and counted, not dumped",
        &[],
        s.bytes(),
        vec![files(&[
            "sqs/orders/_queue.json",
            "sqs/orders/messages.jsonl",
        ])],
    );

    // Node files (fsm-snap/<index>.fsm): the payload and a CRC-32C footer.
    let payload = orders().bytes();
    let mut node = payload.clone();
    append_footer(&mut node);
    let crc = format!(r#""fsm_crc32c": "{:08x}""#, crc32c(&payload));
    c.add(
        "REQ-FSM-11-node-file",
        "[Decision] a node file (payload + big-endian CRC-32C footer) decodes like its payload and records the checksum (upstream fails on the footer)",
        &[],
        node.clone(),
        vec![
            ids(&q_path("orders", "messages.jsonl"), &["o-1", "o-2"]),
            files(&["sqs/orders/_queue.json", "sqs/orders/messages.jsonl"]),
            has(manifest::MANIFEST_FILE, &crc),
        ],
    );
    let mut bad = node.clone();
    if let Some(b) = bad.get_mut(40) {
        *b ^= 0x01;
    }
    c.add(
        "REQ-FSM-11-bad-crc",
        "a node file whose footer does not match its payload (one payload bit flipped) is crc_mismatch",
        &[],
        bad,
        vec![error("crc_mismatch")],
    );
    let cut = node.get(..node.len() - 2).unwrap_or_default().to_vec();
    c.add(
        "REQ-FSM-11-truncated-node-file",
        "a node file cut inside its footer (2 of 4 bytes left) is truncated",
        &[],
        cut,
        vec![error("truncated")],
    );
    c.add(
        "REQ-FSM-12-bare-payload-refused",
        "with --require-footer a payload without the node file's footer is missing_footer",
        &[REQUIRE_FOOTER],
        payload,
        vec![error("missing_footer")],
    );
}
