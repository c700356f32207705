//! A node file's CRC-32C footer (REQ-FSM-11, REQ-FSM-12): detection,
//! verification, the policy that requires it, both engines, and the
//! corruption property.

use std::io::{self, Read};

use proptest::prelude::*;

use sqsdump::decode::Options;
use sqsdump::engine::compare_engines;
use sqsdump::fsm::{
    append_footer, crc32c, encode_entry, encode_header, Entry, FooterPolicy, FooterWriter, Reader,
    FOOTER_LEN,
};
use sqsdump::snapshot::{decode_snapshot, resolve_snapshot_with};
use sqsdump::Error;

use crate::common::{gen_bytes, valid};

/// 64 cases per property unless `PROPTEST_CASES` says otherwise: each
/// case decodes a snapshot once per sampled corruption.
fn config() -> ProptestConfig {
    let mut c = ProptestConfig::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        c.cases = 64;
    }
    c
}

/// A reader that hands out at most `chunk` bytes per call.
struct Chunked<'a> {
    data: &'a [u8],
    chunk: usize,
}

impl Read for Chunked<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.chunk.min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

/// Every entry, the bytes read and the footer.
fn read_all<R: Read>(
    input: R,
    policy: FooterPolicy,
) -> Result<(Vec<Entry>, u64, Option<u32>), Error> {
    let mut r = Reader::with_footer(input, policy)?;
    let mut entries = Vec::new();
    while let Some(e) = r.next_entry()? {
        entries.push(e);
    }
    Ok((entries, r.bytes_read(), r.footer()))
}

fn payload() -> Vec<u8> {
    let mut s = encode_header(1000);
    encode_entry(&mut s, b"!sqs|queue|gen|cQ", 10, false, 0, b"1");
    encode_entry(&mut s, b"other", 11, true, 0, b"");
    s
}

fn node_file(payload: &[u8]) -> Vec<u8> {
    let mut f = payload.to_vec();
    append_footer(&mut f);
    f
}

fn gen(seed: u64, queues: usize, messages: u64, footer: bool) -> Vec<u8> {
    let mut out = gen_bytes(valid(seed, queues, messages));
    if footer {
        append_footer(&mut out);
    }
    out
}

const REQUIRE: Options = Options {
    preserve_visibility: false,
    include_side_records: false,
    require_footer: true,
};

// REQ-FSM-11
#[test]
fn crc32c_is_castagnoli_with_the_standard_check_value() {
    assert_eq!(crc32c(b"123456789"), 0xE306_9283);
    assert_eq!(crc32c(b""), 0);
    let mut f = b"123456789".to_vec();
    append_footer(&mut f);
    assert_eq!(&f[9..], &[0xE3, 0x06, 0x92, 0x83], "big-endian");
    // The writer computes the same value over a payload written in pieces.
    let mut w = FooterWriter::new(Vec::new());
    io::Write::write_all(&mut w, b"1234").unwrap();
    io::Write::write_all(&mut w, b"56789").unwrap();
    assert_eq!(w.crc(), 0xE306_9283);
    let (bytes, crc) = w.finish().unwrap();
    assert_eq!((bytes, crc), (f, 0xE306_9283));
}

// REQ-FSM-11
#[test]
fn a_node_file_reads_like_its_payload_in_any_chunking() {
    let p = payload();
    let f = node_file(&p);
    let (bare, bare_read, bare_footer) = read_all(&p[..], FooterPolicy::Detect).unwrap();
    assert_eq!((bare_read, bare_footer), (p.len() as u64, None));
    let want_crc = crc32c(&p);
    for chunk in [1, 2, 3, 4, 5, 7, 16, 64, 1 << 20] {
        for policy in [FooterPolicy::Detect, FooterPolicy::Require] {
            let (entries, read, footer) = read_all(Chunked { data: &f, chunk }, policy).unwrap();
            assert_eq!(entries, bare, "chunk {chunk}");
            assert_eq!(read, f.len() as u64, "chunk {chunk}");
            assert_eq!(footer, Some(want_crc), "chunk {chunk}");
        }
    }
    // A header-only node file is valid too.
    let h = node_file(&encode_header(7));
    let (entries, _, footer) = read_all(&h[..], FooterPolicy::Require).unwrap();
    assert!(entries.is_empty());
    assert_eq!(footer, Some(crc32c(&encode_header(7))));
}

// REQ-FSM-11
#[test]
fn a_wrong_footer_is_crc_mismatch_naming_both_values() {
    let p = payload();
    let mut f = node_file(&p);
    let n = f.len();
    f[n - 1] ^= 0x01;
    let stored = u32::from_be_bytes(f[n - 4..].try_into().unwrap());
    let computed = crc32c(&p);
    for policy in [FooterPolicy::Detect, FooterPolicy::Require] {
        let e = read_all(&f[..], policy).unwrap_err();
        assert_eq!(e.class(), "crc_mismatch");
        assert_eq!(
            e.to_string(),
            format!(
                "crc mismatch at offset {}: footer 0x{stored:08x}, crc-32c of the {} bytes before it 0x{computed:08x} (the file is corrupt, or it is a payload truncated 4 bytes into a key length)",
                p.len(),
                p.len()
            )
        );
    }
    // A flipped payload bit is caught too.
    let mut g = node_file(&p);
    g[27] ^= 0x80; // inside the first key
    assert_eq!(
        read_all(&g[..], FooterPolicy::Detect).unwrap_err().class(),
        "crc_mismatch"
    );
}

// REQ-FSM-11
#[test]
fn other_leftover_byte_counts_stay_truncated() {
    let p = payload();
    for extra in [1usize, 2, 3, 5, 6, 7] {
        let mut f = p.clone();
        f.extend(std::iter::repeat(0xAB).take(extra));
        let e = read_all(&f[..], FooterPolicy::Detect).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("truncated at offset {}: key length", p.len()),
            "{extra} bytes"
        );
    }
    // A node file cut inside its footer is truncated as well.
    let f = node_file(&p);
    for cut in 1..FOOTER_LEN {
        let e = read_all(&f[..f.len() - cut], FooterPolicy::Detect).unwrap_err();
        assert_eq!(e.class(), "truncated", "cut {cut}");
    }
}

// REQ-FSM-12
#[test]
fn require_footer_refuses_a_bare_payload() {
    let p = payload();
    let e = read_all(&p[..], FooterPolicy::Require).unwrap_err();
    assert_eq!(e.class(), "missing_footer");
    assert_eq!(
        e.to_string(),
        format!(
            "missing footer: the stream ends at offset {} on an entry boundary without the 4-byte crc-32c footer of a node file (--require-footer)",
            p.len()
        )
    );
    let h = encode_header(1);
    assert_eq!(
        read_all(&h[..], FooterPolicy::Require).unwrap_err().class(),
        "missing_footer"
    );
    // The same through the decoder's entry point.
    let (_, end) =
        resolve_snapshot_with(&node_file(&p)[..], FooterPolicy::Require, &mut |_| {}).unwrap();
    assert_eq!(end.footer, Some(crc32c(&p)));
    assert_eq!(
        decode_snapshot(&p[..], REQUIRE, &mut |_| {})
            .unwrap_err()
            .class(),
        "missing_footer"
    );
}

// REQ-FSM-11, REQ-ENG-1: a node file decodes exactly like its payload
// (apart from the manifest's source size and checksum), and both engines
// agree on node files, bad footers and missing footers.
#[test]
fn node_files_decode_like_their_payload_with_both_engines() {
    for seed in 0..6u64 {
        let bare = gen(seed, 2, 12, false);
        let node = gen(seed, 2, 12, true);
        let (a, sa) = decode_snapshot(&bare[..], Options::default(), &mut |_| {}).unwrap();
        let (b, sb) = decode_snapshot(&node[..], REQUIRE, &mut |_| {}).unwrap();
        assert_eq!(a.files, b.files, "seed {seed}");
        assert_eq!(a.warnings, b.warnings, "seed {seed}");
        assert_eq!(sb.fsm_crc32c, Some(crc32c(&bare)));
        assert_eq!(sa.fsm_crc32c, None);
        assert_eq!(sb.bytes_read, sa.bytes_read + 4);
        let mut bad = node.clone();
        let n = bad.len();
        bad[n / 2] ^= 0x10;
        let cut = &node[..n - 2];
        for (fsm, opts) in [
            (&node[..], REQUIRE),
            (&node[..], Options::default()),
            (&bare[..], REQUIRE),
            (&bad[..], REQUIRE),
            (&bad[..], Options::default()),
            (cut, REQUIRE),
        ] {
            for spill in [None, Some(2_000)] {
                assert_eq!(
                    compare_engines(fsm, opts, spill),
                    Ok(()),
                    "seed {seed} {opts:?} spill {spill:?}"
                );
            }
        }
    }
}

/// The decode of a corrupted node file with the footer required.
fn decode_required(fsm: &[u8]) -> Result<(), Error> {
    decode_snapshot(fsm, REQUIRE, &mut |_| {}).map(|_| ())
}

// REQ-FSM-12: every truncation point and every single-bit flip of a small
// node file, exhaustively, is an error.
#[test]
fn every_truncation_and_bit_flip_of_a_small_node_file_is_an_error() {
    let f = node_file(&payload());
    decode_required(&f).unwrap();
    for cut in 0..f.len() {
        assert!(decode_required(&f[..cut]).is_err(), "cut at {cut}");
    }
    for byte in 0..f.len() {
        for bit in 0..8 {
            let mut g = f.clone();
            g[byte] ^= 1 << bit;
            assert!(decode_required(&g).is_err(), "bit {bit} of byte {byte}");
        }
    }
}

proptest! {
    #![proptest_config(config())]

    // REQ-FSM-12: generated node files decoded with the footer required:
    // the file decodes, and each of 48 sampled truncation points and 48
    // sampled single-bit flips (plus the cuts inside the footer and at the
    // payload's end) is an error.
    #[test]
    fn truncated_or_bit_flipped_node_files_are_errors(
        seed in any::<u64>(),
        queues in 1usize..4,
        messages in 0u64..12,
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 48),
        flips in prop::collection::vec((any::<prop::sample::Index>(), 0u8..8), 48),
    ) {
        let f = gen(seed, queues, messages, true);
        prop_assert!(decode_required(&f).is_ok());
        let n = f.len();
        let fixed = [n - 1, n - 2, n - 3, n - 4, n - 5, n - 8];
        for cut in cuts.iter().map(|i| i.index(n)).chain(fixed) {
            prop_assert!(decode_required(&f[..cut]).is_err(), "cut at {}", cut);
        }
        for (i, bit) in flips {
            let at = i.index(n);
            let mut g = f.clone();
            g[at] ^= 1 << bit;
            prop_assert!(decode_required(&g).is_err(), "bit {} of byte {}", bit, at);
        }
    }
}

// ---------------------------------------------------------------------------
// The command line

fn sqsdump(args: &[&str], stdin: Option<&[u8]>) -> std::process::Output {
    use std::io::Write as _;
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_sqsdump"))
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut pipe = child.stdin.take().unwrap();
    if let Some(bytes) = stdin {
        let _ = pipe.write_all(bytes);
    }
    drop(pipe);
    child.wait_with_output().unwrap()
}

fn manifest_of(dir: &std::path::Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(dir.join("MANIFEST.json")).unwrap()).unwrap()
}

/// Every file under `root` but MANIFEST.json and CHECKSUMS.
fn sqs_tree(root: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    fn walk(root: &std::path::Path, dir: &std::path::Path, out: &mut Vec<(String, Vec<u8>)>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
                out.push((rel, std::fs::read(&p).unwrap()));
            }
        }
    }
    let mut out = Vec::new();
    walk(root, &root.join("sqs"), &mut out);
    out.sort();
    out
}

// REQ-CLI-10, REQ-FSM-11: `gen --footer` writes the same payload followed
// by its big-endian CRC-32C.
#[test]
fn gen_footer_appends_the_checksum_to_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let bare = dir.path().join("bare.fsm");
    let node = dir.path().join("node.fsm");
    for (path, extra) in [(&bare, None), (&node, Some("--footer"))] {
        let mut args = vec!["gen", "--seed", "5", "--messages", "20"];
        args.extend(extra);
        args.extend(["--output", path.to_str().unwrap()]);
        let o = sqsdump(&args, None);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let (bare, node) = (std::fs::read(bare).unwrap(), std::fs::read(node).unwrap());
    assert_eq!(node.len(), bare.len() + FOOTER_LEN);
    assert_eq!(&node[..bare.len()], &bare[..]);
    assert_eq!(&node[bare.len()..], &crc32c(&bare).to_be_bytes());
}

// REQ-FSM-11, REQ-CLI-8, REQ-CLI-13: a node file named by its index
// decodes like its payload with either engine, from a file or from
// standard input; the manifest records the checksum, the index (read as
// hex) and the cluster id.
#[test]
fn decoding_a_node_file_records_its_checksum_index_and_cluster() {
    let dir = tempfile::tempdir().unwrap();
    let bare_bytes = gen(9, 3, 30, false);
    let node_bytes = gen(9, 3, 30, true);
    let bare = dir.path().join("bare.fsm");
    let node = dir.path().join("0000000000000064.fsm");
    std::fs::write(&bare, &bare_bytes).unwrap();
    std::fs::write(&node, &node_bytes).unwrap();
    let out_bare = dir.path().join("out-bare");
    let o = sqsdump(
        &[
            "decode",
            "-i",
            bare.to_str().unwrap(),
            "-o",
            out_bare.to_str().unwrap(),
        ],
        None,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let m = manifest_of(&out_bare);
    assert!(m.get("cluster_id").is_none() && m.get("snapshot_index").is_none());
    assert!(m["source"].get("fsm_crc32c").is_none());
    let want_crc = format!("{:08x}", crc32c(&bare_bytes));
    for engine in ["plain", "stream"] {
        let out = dir.path().join(format!("out-{engine}"));
        let o = sqsdump(
            &[
                "decode",
                "-i",
                node.to_str().unwrap(),
                "-o",
                out.to_str().unwrap(),
                "--engine",
                engine,
                "--require-footer",
                "--cluster-id",
                "prod-tokyo",
            ],
            None,
        );
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert!(
            String::from_utf8_lossy(&o.stderr)
                .contains(&format!("footer: crc-32c {want_crc} verified")),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert_eq!(sqs_tree(&out), sqs_tree(&out_bare), "{engine}");
        let m = manifest_of(&out);
        assert_eq!(m["cluster_id"], "prod-tokyo");
        assert_eq!(m["snapshot_index"], 100);
        assert_eq!(m["source"]["fsm_crc32c"], want_crc.as_str());
        assert_eq!(m["source"]["fsm_size_bytes"], node_bytes.len() as u64);
        let keys: Vec<&String> = m.as_object().unwrap().keys().collect();
        assert_eq!(
            keys[..5],
            [
                "format_version",
                "phase",
                "cluster_id",
                "snapshot_index",
                "last_commit_ts"
            ]
        );
        let source: Vec<&String> = m["source"].as_object().unwrap().keys().collect();
        assert_eq!(source, ["fsm_path", "fsm_crc32c", "fsm_size_bytes"]);
        // Standard input: the footer is verified in the same single read.
        let piped = dir.path().join(format!("out-stdin-{engine}"));
        let o = sqsdump(
            &[
                "decode",
                "-i",
                "-",
                "-o",
                piped.to_str().unwrap(),
                "--engine",
                engine,
            ],
            Some(&node_bytes),
        );
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let m = manifest_of(&piped);
        assert_eq!(m["source"]["fsm_crc32c"], want_crc.as_str());
        assert!(m.get("snapshot_index").is_none());
        assert_eq!(sqs_tree(&piped), sqs_tree(&out_bare), "{engine} stdin");
    }
}

// REQ-FSM-12, REQ-CLI-5: with the footer required, a corrupt or bare
// input fails with its class and leaves nothing at the output path.
#[test]
fn corrupt_or_bare_inputs_fail_and_leave_nothing_with_the_footer_required() {
    let dir = tempfile::tempdir().unwrap();
    let node = gen(4, 2, 10, true);
    let bare = gen(4, 2, 10, false);
    let mut flipped = node.clone();
    flipped[node.len() / 3] ^= 0x04;
    let cases: [(&str, &[u8], &str); 4] = [
        ("flipped", &flipped, "crc_mismatch"),
        ("cut", &node[..node.len() - 1], "truncated"),
        ("cut-mid", &node[..node.len() / 2], "truncated"),
        ("bare", &bare, "missing_footer"),
    ];
    for (name, bytes, class) in cases {
        for engine in ["plain", "stream"] {
            let input = dir.path().join(format!("{name}.fsm"));
            std::fs::write(&input, bytes).unwrap();
            let out = dir.path().join(format!("out-{name}-{engine}"));
            let o = sqsdump(
                &[
                    "decode",
                    "-i",
                    input.to_str().unwrap(),
                    "-o",
                    out.to_str().unwrap(),
                    "--engine",
                    engine,
                    "--require-footer",
                ],
                None,
            );
            assert_eq!(o.status.code(), Some(1), "{name} {engine}");
            let stderr = String::from_utf8_lossy(&o.stderr);
            if name != "cut-mid" {
                assert!(
                    stderr.starts_with(&format!("error[{class}]: ")),
                    "{name} {engine}: {stderr}"
                );
            }
            assert!(!out.exists(), "{name} {engine}: output left behind");
        }
    }
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["bare.fsm", "cut-mid.fsm", "cut.fsm", "flipped.fsm"]);
}

// REQ-FSM-12, REQ-CLI-8: `decode --help` documents the new flags with
// examples.
#[test]
fn decode_help_documents_the_footer_and_cluster_flags() {
    let o = sqsdump(&["decode", "--help"], None);
    let help = String::from_utf8_lossy(&o.stdout);
    for needle in [
        "--require-footer",
        "--cluster-id <ID>",
        "sqsdump decode -i /data/fsm-snap/0000000000000064.fsm -o ./dump --require-footer",
        "--cluster-id prod-tokyo",
        "error[crc_mismatch]",
        "error[missing_footer]",
        "snapshot_index",
    ] {
        assert!(help.contains(needle), "help lacks {needle:?}:\n{help}");
    }
}
