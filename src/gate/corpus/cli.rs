//! Corpus cases for errors, warnings and the command line (REQ-ERR, REQ-CLI).

use super::*;
use Input::Fsm;

pub(super) const CASES: &[Row] = &[
    Row {
        name: "REQ-CLI-5-late-error-leaves-nothing",
        note: "[Decision] an error after several good queues fails the whole decode: exit non-zero, nothing at the output path",
        flags: &[],
        input: Fsm(late_error),
        expect: || vec![error("invalid_message")],
    },
    Row {
        name: "REQ-ERR-2-garbage-after-header",
        note: "random bytes after a valid header fail with a typed error, never a crash",
        flags: &[],
        input: Fsm(|| Snap::new().tail(&garbage()).bytes()),
        expect: || vec![Expect::AnyError],
    },
    Row {
        name: "REQ-CLI-1-both-flags",
        note: "--preserve-visibility and --include-sqs-side-records together",
        flags: &[PRESERVE, SIDE],
        input: Fsm(|| {
            let mut s = Snap::new();
            std_queue(&mut s, "both", &[("m-1", b"x"), ("m-2", b"y")]);
            s.put(&vis_key(b"both", None, 1, 9, b"m-1"), 100, b"")
                .bytes()
        }),
        expect: || {
            vec![
                has("sqs/both/messages.jsonl", r#""receive_count":1"#),
                lines("sqs/both/_internals/side_records.jsonl", 1),
            ]
        },
    },
    Row {
        name: "REQ-CLI-6-path-traversal-names",
        note: "queue names with /, .. and \\ stay single directory names below sqs/",
        flags: &[],
        input: Fsm(|| {
            let mut s = Snap::new();
            for name in [&b"../../etc"[..], b"a/../../b", b"/abs", b"back\\slash"] {
                s.put(&meta_key(name), 10, &meta("", ""));
            }
            s.bytes()
        }),
        expect: || {
            vec![files(&[
                "sqs/%2Fabs/_queue.json",
                "sqs/..%2F..%2Fetc/_queue.json",
                "sqs/a%2F..%2F..%2Fb/_queue.json",
                "sqs/back%5Cslash/_queue.json",
            ])]
        },
    },
    Row {
        name: "REQ-CLI-8-manifest",
        note: "MANIFEST.json records last_commit_ts, wall_time_iso and the flags; CHECKSUMS covers every file",
        flags: &[PRESERVE, SIDE],
        input: Fsm(three_names),
        expect: || {
            vec![
                has("MANIFEST.json", r#""last_commit_ts": 123456"#),
                has("MANIFEST.json", r#""wall_time_iso": "2023-11-14T22:13:20.000Z""#),
                has("MANIFEST.json", r#""preserve_sqs_visibility": true"#),
                has("MANIFEST.json", r#""include_sqs_side_records": true"#),
                lines("CHECKSUMS", 4),
            ]
        },
    },
    Row {
        name: "REQ-CLI-12-manifest-shape",
        note: "[Decision] MANIFEST.json records the input's file name (not its path), its size and the sorted queue names, and no elastickv_version",
        flags: &[],
        input: Fsm(three_names),
        expect: || {
            vec![
                has("MANIFEST.json", "\"queues\": [\n        \"Zeta Display\",\n        \"alpha\",\n        \"mid\"\n      ]"),
                has("MANIFEST.json", r#""fsm_path": "input.fsm""#),
                has("MANIFEST.json", r#""fsm_size_bytes": "#),
                lacks("MANIFEST.json", "elastickv_version"),
            ]
        },
    },
    Row {
        name: "REQ-FSM-6-bundled-sample",
        note: "[Decision] the bundled examples/sample.fsm (REQ-CLI-11): operational keys, MVCC history, versions after the header, an orphan",
        flags: &[],
        input: Fsm(|| include_bytes!("../../../examples/sample.fsm").to_vec()),
        expect: || vec![lines("sqs/orders/messages.jsonl", 2)],
    },
];

/// Three good queues, then a queue whose message does not decode.
fn late_error() -> Vec<u8> {
    let mut s = Snap::new();
    for name in ["a1", "a2", "a3"] {
        std_queue(&mut s, name, &[("m", b"x")]);
    }
    s.put(&meta_key(b"zz"), 10, &meta("zz", ""))
        .put(
            &data_key(b"zz", 1, b"bad"),
            100,
            &msg_raw(br#"{"message_id":"bad","receive_count":1.5}"#),
        )
        .bytes()
}

/// 256 bytes of xorshift output.
fn garbage() -> Vec<u8> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut garbage = Vec::new();
    for _ in 0..256 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        garbage.push((x >> 24) as u8);
    }
    garbage
}

/// Three queues whose live names sort differently from their keys, at
/// last_commit_ts 123456.
fn three_names() -> Vec<u8> {
    Snap::at(123_456)
        .put(&meta_key(b"zeta"), 10, &meta("Zeta Display", ""))
        .put(&meta_key(b"alpha"), 10, &meta("alpha", ""))
        .put(&meta_key(b"mid"), 10, &meta("", ""))
        .bytes()
}
