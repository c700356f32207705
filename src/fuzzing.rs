//! Fuzz target bodies. Each `fuzz/fuzz_targets/<name>.rs` is one line
//! calling the function of the same name here, so unit tests and
//! regression tests run exactly the code the fuzzer runs.
//!
//! Every function checks properties, not just the absence of panics, and
//! panics only on a genuine violation, with the input in the message. The
//! return value says whether the input is worth keeping in the corpus
//! (`false` maps to `Corpus::Reject`).

use arbitrary::{Arbitrary, Unstructured};
use serde_json::Value;

use crate::decode::{Options, SqsDecoder};
use crate::dump::DumpModel;
use crate::fsm::{Entry, FooterPolicy, Reader};
use crate::key::{self, build, Family, KeyParts};
use crate::mvcc::Resolver;
use crate::testkit::keys::{self, AdversarialKey, ValidKey};
use crate::testkit::snapshot::{Order, SnapshotModel};
use crate::testkit::values::{self, InvalidCase, QuirkCase};
use crate::testkit::{check, frame};
use crate::value;

/// Fail with the violation and the input that caused it.
fn violation(what: impl std::fmt::Display, data: &[u8]) -> ! {
    panic!(
        "property violated: {what}\ninput ({} bytes): \"{}\"",
        data.len(),
        data.escape_ascii()
    )
}

fn ensure(r: Result<(), String>, data: &[u8]) {
    if let Err(e) = r {
        violation(e, data);
    }
}

/// `key_parse`: keys of every family. Mode byte 0: raw bytes after a
/// family prefix (or none); 1: valid components must round-trip; 2: an
/// adversarial key must give its documented result. Always:
/// `parse(k) = Ok(p)` implies `build(p) = k`, and `route` agrees
/// (REQ-KEY-7, REQ-ERR-2).
pub fn key_parse(data: &[u8]) -> bool {
    let Some((&mode, rest)) = data.split_first() else {
        return false;
    };
    match mode % 3 {
        0 => {
            let Some((&fam, tail)) = rest.split_first() else {
                return false;
            };
            let mut k = Family::ALL
                .get(usize::from(fam) % 10)
                .map(|f| f.prefix().as_bytes().to_vec())
                .unwrap_or_default();
            k.extend_from_slice(tail);
            ensure(keys::check_key_consistency(&k), data);
        }
        1 => {
            let Ok(ValidKey(parts)) = ValidKey::arbitrary_take_rest(Unstructured::new(rest)) else {
                return false;
            };
            let k = build(&parts);
            if key::parse(&k) != Ok(parts.clone()) {
                violation(
                    format!("valid key {parts:?} parses as {:?}", key::parse(&k)),
                    data,
                );
            }
            ensure(keys::check_key_consistency(&k), data);
        }
        _ => {
            let Ok(a) = AdversarialKey::arbitrary_take_rest(Unstructured::new(rest)) else {
                return false;
            };
            ensure(keys::check_adversarial(&a), data);
        }
    }
    true
}

/// A value that was read (`read`), written again by the Go-style writer
/// (`rewrite`), reads back (`read_again`) as the same value.
fn rewrites_the_same<T: PartialEq + std::fmt::Debug, E: std::fmt::Debug>(
    what: &str,
    read: Result<T, E>,
    rewrite: impl Fn(&T) -> Vec<u8>,
    read_again: impl Fn(&[u8]) -> Result<T, E>,
    data: &[u8],
) {
    let Ok(value) = read else {
        return;
    };
    let again = rewrite(&value);
    match read_again(&again) {
        Ok(v) if v == value => {}
        other => violation(
            format!(
                "{what} {value:?} rewritten as {:?} reads as {other:?}",
                String::from_utf8_lossy(&again)
            ),
            data,
        ),
    }
}

/// `value_decode`: queue meta, message and gen values. Mode byte 0/1:
/// raw meta/message bytes — whatever is accepted must survive being
/// written back the way Go writes it and read again unchanged; 2: raw
/// gen bytes against the ParseUint oracle; 3: a Go-written record and its
/// quirk spellings read as the model says; 4: a broken record is
/// rejected (REQ-VAL-*, REQ-JSON-*, REQ-ERR-2).
pub fn value_decode(data: &[u8]) -> bool {
    let Some((&mode, rest)) = data.split_first() else {
        return false;
    };
    match mode % 5 {
        0 => rewrites_the_same(
            "meta",
            value::decode_queue_meta(rest),
            values::remarshal_meta,
            value::decode_queue_meta,
            data,
        ),
        1 => rewrites_the_same(
            "message",
            value::decode_message(rest),
            values::remarshal_message,
            value::decode_message,
            data,
        ),
        2 => {
            let got = value::decode_gen(rest);
            let want = values::gen_oracle(rest);
            if got != want {
                violation(
                    format!("gen value read as {got:?}, expected {want:?}"),
                    data,
                );
            }
        }
        3 => {
            let Ok(case) = QuirkCase::arbitrary_take_rest(Unstructured::new(rest)) else {
                return false;
            };
            ensure(case.live.check_reads_as_expected(&case.live.value()), data);
            ensure(
                case.live
                    .check_reads_as_expected(&case.live.quirky_value(&case.quirks)),
                data,
            );
        }
        _ => {
            let Ok(case) = InvalidCase::arbitrary_take_rest(Unstructured::new(rest)) else {
                return false;
            };
            let v = case.value();
            if !case.live.rejects(&v) {
                violation(
                    format!("{case:?} accepted: {:?}", String::from_utf8_lossy(&v)),
                    data,
                );
            }
        }
    }
    true
}

/// The version a correct resolver keeps for one key: the largest
/// `commit_ts <= last`, the later entry winning a tie (REQ-FSM-7).
#[derive(Clone)]
struct Best {
    commit_ts: u64,
    visible: Option<Vec<u8>>,
}

/// `fsm_reader`: the `.fsm` reader and the MVCC resolver on raw bytes.
/// A stream read to a clean EOF must have been consumed exactly, and
/// re-encoding its versions (and a verified footer) must give the input
/// back; errors are typed;
/// the resolver's records equal an independent resolution of the same
/// versions (REQ-FSM-1..REQ-FSM-9, REQ-ERR-2).
pub fn fsm_reader(data: &[u8]) -> bool {
    let mut reader = match Reader::new(data) {
        Ok(r) => r,
        Err(e) => {
            if !["bad_magic", "unsupported_format", "truncated"].contains(&e.class()) {
                violation(format!("header error of class {}: {e}", e.class()), data);
            }
            return data.len() >= 8;
        }
    };
    let last = reader.last_commit_ts();
    let mut resolver = Resolver::new(last);
    let mut reencoded = frame::header(last);
    let mut all_versions = true;
    let mut oracle: std::collections::BTreeMap<Vec<u8>, Best> = Default::default();
    let clean = loop {
        match reader.next_entry() {
            Ok(None) => break true,
            Ok(Some(entry)) => {
                match &entry {
                    Entry::Operational { key } => {
                        all_versions = false;
                        if !crate::fsm::is_operational_key(key) {
                            violation(format!("{key:?} read as operational"), data);
                        }
                    }
                    Entry::Version(v) => {
                        frame::entry(
                            &mut reencoded,
                            &v.user_key,
                            v.commit_ts,
                            v.tombstone,
                            v.expire_at,
                            &v.body,
                        );
                        if key::is_sqs_key(&v.user_key) && v.commit_ts <= last {
                            let visible = (!v.tombstone
                                && (v.expire_at == 0 || v.expire_at > last))
                                .then(|| v.body.clone());
                            let e = oracle.entry(v.user_key.clone()).or_insert(Best {
                                commit_ts: v.commit_ts,
                                visible: visible.clone(),
                            });
                            if v.commit_ts >= e.commit_ts {
                                *e = Best {
                                    commit_ts: v.commit_ts,
                                    visible,
                                };
                            }
                        }
                    }
                }
                resolver.push_entry(entry);
            }
            Err(e) => {
                let allowed = [
                    "truncated",
                    "crc_mismatch",
                    "short_key",
                    "short_value",
                    "key_too_large",
                    "value_too_large",
                    "encrypted_entry",
                    "reserved_flags",
                    "io",
                ];
                if !allowed.contains(&e.class()) {
                    violation(format!("entry error of class {}: {e}", e.class()), data);
                }
                break false;
            }
        }
    };
    if reader.bytes_read() > data.len() as u64 {
        violation("reader claims more bytes than the input has", data);
    }
    if clean {
        if reader.bytes_read() != data.len() as u64 {
            violation(
                format!(
                    "clean EOF after {} of {} bytes",
                    reader.bytes_read(),
                    data.len()
                ),
                data,
            );
        }
        if let Some(crc) = reader.footer() {
            reencoded.extend_from_slice(&crc.to_be_bytes());
        }
        if all_versions && reencoded != data {
            violation(
                "re-encoding the versions does not give the input back",
                data,
            );
        }
        let got: Vec<(Vec<u8>, Vec<u8>)> = resolver
            .finish()
            .records
            .map(|r| (r.user_key, r.body))
            .collect();
        let want: Vec<(Vec<u8>, Vec<u8>)> = oracle
            .into_iter()
            .filter_map(|(k, b)| b.visible.map(|v| (k, v)))
            .collect();
        if got != want {
            violation(format!("resolver gave {got:?}, expected {want:?}"), data);
        }
    }
    true
}

fn decode(fsm: &[u8], opts: Options) -> Result<DumpModel, crate::Error> {
    crate::snapshot::decode_snapshot(fsm, opts, &mut |_| {}).map(|(m, _)| m)
}

/// `snapshot_model`: whole snapshots from the generator model (any
/// profile). Errors must be of the classes the model's damage allows (and
/// must happen when it requires); a clean model must decode to exactly
/// its expected output, equal the decode of its latest visible state, and
/// not depend on entry order; no path leaves `sqs/`; the stream engine
/// gives the same dump, warnings and error as the plain one, also when
/// forced to spill (REQ-DEC-*, REQ-OUT-*, REQ-FSM-7, REQ-ERR-2, REQ-ENG-1).
pub fn snapshot_model(data: &[u8]) -> bool {
    let mut u = Unstructured::new(data);
    let (Ok(model), Ok(opts)) = (SnapshotModel::arbitrary(&mut u), Options::arbitrary(&mut u))
    else {
        return false;
    };
    let spill = u.arbitrary::<Option<u16>>().unwrap_or(None);
    let fsm = model.to_fsm_bytes();
    ensure(
        crate::engine::compare_engines(&fsm, opts, spill.map(usize::from)),
        data,
    );
    let (classes, must_fail) = model.error_classes();
    let expected = model.expected(opts.include_side_records);
    match decode(&fsm, opts) {
        Ok(dump) => {
            if must_fail {
                violation(format!("decoded although {:?} must fail", model.bad), data);
            }
            ensure(check::check_paths(&dump), data);
            if model.is_clean() {
                ensure(check::check_dump(&expected, opts, &dump), data);
                match decode(&model.flat_fsm_bytes(), opts) {
                    Ok(flat) => ensure(check::same_output(&dump, &flat), data),
                    Err(e) => violation(format!("latest visible state failed: {e}"), data),
                }
                let other = SnapshotModel {
                    order: match model.order {
                        Order::Sorted => Order::Shuffled(fsm.len() as u64),
                        Order::Shuffled(_) => Order::Sorted,
                    },
                    ..model.clone()
                };
                match decode(&other.to_fsm_bytes(), opts) {
                    Ok(d) => ensure(check::same_output(&dump, &d), data),
                    Err(e) => violation(format!("reordered entries failed: {e}"), data),
                }
            }
        }
        Err(e) => {
            let class = e.class();
            let collision = expected.collision && class == "path_collision";
            if !classes.contains(class) && !collision {
                violation(
                    format!("error {e} ({class}) not allowed by {classes:?}"),
                    data,
                );
            }
            if model.is_clean() && !collision {
                violation(format!("clean model failed: {e}"), data);
            }
        }
    }
    true
}

/// `snapshot_raw`: the whole pipeline on raw bytes (mode byte: bit 0 adds
/// a valid header, bits 1-2 pick the flags, bit 3 forces the stream engine
/// to spill after `(mode >> 4) * 64` bytes). It may fail only with a
/// typed error; a dump it produces keeps every path under `sqs/`, holds
/// valid UTF-8 and decodes the same way twice; the stream engine agrees
/// with the plain one, also when forced to spill (REQ-ERR-2, REQ-OUT-8,
/// REQ-OUT-9, REQ-DEC-11, REQ-ENG-1).
pub fn snapshot_raw(data: &[u8]) -> bool {
    let Some((&mode, rest)) = data.split_first() else {
        return false;
    };
    let opts = Options {
        preserve_visibility: mode & 2 != 0,
        include_side_records: mode & 4 != 0,
        require_footer: false,
    };
    let mut fsm = Vec::new();
    if mode & 1 != 0 {
        fsm.extend_from_slice(&frame::header(1 << 40));
    }
    fsm.extend_from_slice(rest);
    let spill = (mode & 8 != 0).then_some(usize::from(mode >> 4) * 64);
    ensure(crate::engine::compare_engines(&fsm, opts, spill), data);
    if let Ok(dump) = decode(&fsm, opts) {
        ensure(check::check_paths(&dump), data);
        match decode(&fsm, opts) {
            Ok(again) if again == dump => {}
            _ => violation("a second decode of the same input differs", data),
        }
    }
    true
}

/// `body_roundtrip`: any byte string as a message body. The message line
/// holds it as a string exactly when it is UTF-8 (else the base64url
/// envelope) and reads back to the same bytes, both from the line writer
/// and through the decoder (REQ-OUT-6, REQ-JSON-12).
pub fn body_roundtrip(data: &[u8]) -> bool {
    let msg = value::Message {
        message_id: "m".into(),
        body: data.to_vec(),
        queue_generation: 1,
        ..value::Message::default()
    };
    let line = crate::jsonout::message_line(&msg, None);
    check_body_line(&line, data);

    let mut dec = SqsDecoder::new(Options::default());
    let meta = values::LiveQueueMeta {
        name: "q".into(),
        ..values::LiveQueueMeta::default()
    };
    let data_key = build(&KeyParts::MsgData {
        queue: b"q".to_vec(),
        partition: None,
        gen: 1,
        message_id: b"m".to_vec(),
    });
    let pushed = dec
        .push(
            &build(&KeyParts::QueueMeta {
                queue: b"q".to_vec(),
            }),
            &meta.value(),
        )
        .and_then(|()| dec.push(&data_key, &values::remarshal_message(&msg)));
    match pushed.and_then(|()| dec.finish()) {
        Ok(dump) => match dump.files.get("sqs/q/messages.jsonl") {
            Some(lines) => check_body_line(lines, data),
            None => violation("no messages.jsonl", data),
        },
        Err(e) => violation(format!("decode failed: {e}"), data),
    }
    true
}

fn check_body_line(line: &[u8], data: &[u8]) {
    let v: Value = match serde_json::from_slice(line) {
        Ok(v) => v,
        Err(e) => violation(
            format!("line {:?} is not JSON: {e}", String::from_utf8_lossy(line)),
            data,
        ),
    };
    let body = &v["body"];
    match check::read_body(body) {
        Ok(b) if b == data => {}
        other => violation(format!("body {body} reads back as {other:?}"), data),
    }
    if body.is_string() != std::str::from_utf8(data).is_ok() {
        violation(format!("body form {body} wrong"), data);
    }
}

/// `encode`: dump trees, generated (restorable, possibly damaged in one
/// file) or arbitrary; each encodes to a snapshot that decodes and
/// re-encodes to the same bytes, or fails with a typed error (REQ-ENC-13,
/// REQ-ERR-2). The body is [`crate::encode::check::fuzz`].
pub fn encode(data: &[u8]) -> bool {
    crate::encode::check::fuzz(data)
}

/// A reader that hands out at most `chunk` bytes per call.
struct Chunked<'a> {
    data: &'a [u8],
    chunk: usize,
}

impl std::io::Read for Chunked<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.chunk.min(buf.len()).min(self.data.len());
        let (head, rest) = self.data.split_at(n);
        if let Some(dst) = buf.get_mut(..n) {
            dst.copy_from_slice(head);
        }
        self.data = rest;
        Ok(n)
    }
}

/// How a read ended: entries (as framed again), then the footer or the
/// error text.
type ReadOutcome = (Vec<Vec<u8>>, Result<(u64, Option<u32>), String>);

/// Read `input` to the end with `policy`.
fn read_footer<R: std::io::Read>(input: R, policy: FooterPolicy) -> ReadOutcome {
    let mut reader = match Reader::with_footer(input, policy) {
        Ok(r) => r,
        Err(e) => return (Vec::new(), Err(format!("{}: {e}", e.class()))),
    };
    let mut entries = Vec::new();
    loop {
        match reader.next_entry() {
            Ok(None) => return (entries, Ok((reader.bytes_read(), reader.footer()))),
            Ok(Some(Entry::Operational { key })) => entries.push(key),
            Ok(Some(Entry::Version(v))) => {
                let mut out = Vec::new();
                frame::entry(
                    &mut out,
                    &v.user_key,
                    v.commit_ts,
                    v.tombstone,
                    v.expire_at,
                    &v.body,
                );
                entries.push(out);
            }
            Err(e) => return (entries, Err(format!("{}: {e}", e.class()))),
        }
    }
}

/// `fsm_footer`: the node-file footer (REQ-FSM-11, REQ-FSM-12). Mode
/// byte: bit 0 puts a valid header before the rest, bit 1 appends the
/// valid footer of what precedes it, bit 2 requires the footer, bits 3-5
/// pick the read size (1 to 8 bytes per read, against one whole read),
/// bits 6 and 7 together also compare the two engines (the slow part, so
/// a quarter of the inputs). Checked: every read size gives the
/// same entries and outcome; errors are typed; a footer is reported only
/// when the last 4 bytes are the big-endian CRC-32C of the rest; a bare
/// payload is accepted only when the footer is not required; a payload
/// that reads cleanly reads the same with its footer appended, under
/// either policy; and with the footer required, a one-bit flip or a cut
/// of a file that was accepted with its footer is an error.
pub fn fsm_footer(data: &[u8]) -> bool {
    let Some((&mode, rest)) = data.split_first() else {
        return false;
    };
    let mut fsm = Vec::new();
    if mode & 1 != 0 {
        fsm.extend_from_slice(&frame::header(1 << 40));
    }
    fsm.extend_from_slice(rest);
    let payload_len = fsm.len();
    if mode & 2 != 0 {
        crate::fsm::append_footer(&mut fsm);
    }
    let policy = if mode & 4 != 0 {
        FooterPolicy::Require
    } else {
        FooterPolicy::Detect
    };
    let chunk = 1 + usize::from((mode >> 3) & 7);
    let whole = read_footer(fsm.as_slice(), policy);
    let chunked = read_footer(Chunked { data: &fsm, chunk }, policy);
    if whole != chunked {
        violation(
            format!("reads of {chunk} bytes differ from one whole read: {chunked:?} vs {whole:?}"),
            data,
        );
    }
    match &whole.1 {
        Err(e) => {
            let allowed = [
                "bad_magic",
                "unsupported_format",
                "truncated",
                "crc_mismatch",
                "missing_footer",
                "short_key",
                "short_value",
                "key_too_large",
                "value_too_large",
                "encrypted_entry",
                "reserved_flags",
            ];
            if !allowed.iter().any(|c| e.starts_with(&format!("{c}: "))) {
                violation(format!("untyped error {e}"), data);
            }
            if e.starts_with("missing_footer") && policy == FooterPolicy::Detect {
                violation("missing_footer without --require-footer", data);
            }
        }
        Ok((read, footer)) => {
            if *read != fsm.len() as u64 {
                violation(
                    format!("clean end after {read} of {} bytes", fsm.len()),
                    data,
                );
            }
            match footer {
                Some(crc) => {
                    let split = fsm.len().saturating_sub(crate::fsm::FOOTER_LEN);
                    let (body, tail) = fsm.split_at(split);
                    if crate::fsm::crc32c(body) != *crc || tail != crc.to_be_bytes() {
                        violation(format!("footer {crc:08x} reported but not stored"), data);
                    }
                    // With the footer required, any one-bit flip and any
                    // cut is an error.
                    let at = usize::try_from(u64::from(*crc) % fsm.len() as u64).unwrap_or(0);
                    let mut flipped = fsm.clone();
                    if let Some(b) = flipped.get_mut(at) {
                        *b ^= 1 << (crc >> 29);
                    }
                    if read_footer(flipped.as_slice(), FooterPolicy::Require)
                        .1
                        .is_ok()
                    {
                        violation(
                            format!("bit {} of byte {at} flipped and accepted", crc >> 29),
                            data,
                        );
                    }
                    let cut = fsm.get(..at).unwrap_or_default();
                    if read_footer(cut, FooterPolicy::Require).1.is_ok() {
                        violation(format!("cut at {at} accepted"), data);
                    }
                }
                None => {
                    if policy == FooterPolicy::Require {
                        violation("a bare payload accepted with the footer required", data);
                    }
                }
            }
        }
    }
    // A payload that reads cleanly without a footer reads the same with
    // its footer, under both policies.
    if mode & 2 != 0 {
        let payload = fsm.get(..payload_len).unwrap_or_default();
        let bare = read_footer(payload, FooterPolicy::Detect);
        if let Ok((_, None)) = bare.1 {
            let want_crc = crate::fsm::crc32c(payload);
            for p in [FooterPolicy::Detect, FooterPolicy::Require] {
                let node = read_footer(fsm.as_slice(), p);
                if node.0 != bare.0 || node.1 != Ok((fsm.len() as u64, Some(want_crc))) {
                    violation(format!("node file read {node:?} under {p:?}"), data);
                }
            }
        }
    }
    if mode & 0xC0 == 0xC0 {
        let opts = Options {
            require_footer: policy == FooterPolicy::Require,
            ..Options::default()
        };
        ensure(crate::engine::compare_engines(&fsm, opts, None), data);
    }
    whole.1.is_ok() || mode & 2 != 0
}

/// `snap_file`: etcd snap files as [`crate::node`] reads them. Mode byte
/// 0: raw bytes either parse, with a non-zero index and term, or fail
/// with `snap_file_invalid` (at an offset inside the file) or
/// `snap_crc_mismatch`; 1: a byte-built file reads back its term, index
/// and data, and a token in it decodes; 2: the same file with one byte of
/// its CRC-covered data changed is a CRC mismatch (REQ-NODE-1,
/// REQ-ERR-2).
pub fn snap_file(data: &[u8]) -> bool {
    use crate::error::NodeError;
    use crate::node::{decode_token, parse_snap_file, Token};
    use crate::testkit::node as kit;
    const PATH: &str = "fuzz.snap";
    let Some((&mode, rest)) = data.split_first() else {
        return false;
    };
    if mode % 3 == 0 {
        match parse_snap_file(PATH, rest) {
            Ok(s) => {
                if s.index == 0 || s.term == 0 {
                    violation(format!("parsed an empty snapshot: {s:?}"), data);
                }
                match decode_token(PATH, &s.data) {
                    Ok(Some(_)) | Err(NodeError::TokenInvalid { .. })
                        if s.data.len() != crate::node::TOKEN_LEN =>
                    {
                        violation("a token that is not 17 bytes", data)
                    }
                    _ => {}
                }
            }
            Err(NodeError::SnapFileInvalid { offset, .. }) if offset <= rest.len() as u64 => {}
            Err(NodeError::SnapCrcMismatch { .. }) => {}
            Err(e) => violation(format!("unexpected error [{}] {e}", e.class()), data),
        }
        return true;
    }
    let mut u = Unstructured::new(rest);
    let (Ok(term), Ok(index), Ok(at), Ok(flip), Ok(as_token)) = (
        u64::arbitrary(&mut u),
        u64::arbitrary(&mut u),
        usize::arbitrary(&mut u),
        u8::arbitrary(&mut u),
        bool::arbitrary(&mut u),
    ) else {
        return false;
    };
    let (term, index) = (term.max(1), index.max(1));
    let crc = (term ^ index) as u32;
    let body = if as_token {
        kit::token(index, crc)
    } else {
        u.take_rest().to_vec()
    };
    let raft = kit::raft_snapshot(term, index, &body);
    let mut file = kit::wrap(&raft);
    if mode % 3 == 1 {
        match parse_snap_file(PATH, &file) {
            Ok(s) if (s.term, s.index) == (term, index) && s.data == body => {
                let want = as_token.then_some(Token { index, crc32c: crc });
                if as_token && decode_token(PATH, &s.data) != Ok(want) {
                    violation("the token does not read back", data);
                }
            }
            other => violation(format!("a byte-built file reads as {other:?}"), data),
        }
    } else {
        let start = file.len() - raft.len();
        let i = start + at % raft.len();
        if let Some(b) = file.get_mut(i) {
            *b ^= flip.max(1);
        }
        match parse_snap_file(PATH, &file) {
            Err(NodeError::SnapCrcMismatch { .. }) => {}
            other => violation(format!("a changed byte at {i} reads as {other:?}"), data),
        }
    }
    true
}

/// Every fuzz target, by name (each has `fuzz/fuzz_targets/<name>.rs`; a
/// test keeps this list and that directory in step).
pub const TARGETS: [&str; 10] = [
    "key_parse",
    "value_decode",
    "fsm_reader",
    "fsm_footer",
    "snapshot_model",
    "snapshot_raw",
    "body_roundtrip",
    "encode",
    "snap_file",
    "archive_unpack",
];

/// A fuzz target body: the input, and whether to keep it in the corpus.
pub type Target = fn(&[u8]) -> bool;

/// The body of the target called `name`.
pub fn by_name(name: &str) -> Option<Target> {
    Some(match name {
        "key_parse" => key_parse,
        "value_decode" => value_decode,
        "fsm_reader" => fsm_reader,
        "snapshot_model" => snapshot_model,
        "snapshot_raw" => snapshot_raw,
        "body_roundtrip" => body_roundtrip,
        "encode" => encode,
        "snap_file" => snap_file,
        "fsm_footer" => fsm_footer,
        "archive_unpack" => archive_unpack,
        _ => return None,
    })
}

/// Seed inputs for `target`, made by the generators (used by
/// `scripts/fuzz-seeds`). Deterministic for a given `count`.
pub fn seeds(target: &str, count: u64) -> Vec<Vec<u8>> {
    use crate::testkit::seeded::{from_seed, seeded_bytes};
    use crate::testkit::values::{GenCase, Live};
    let prefixed = |mode: u8, body: &[u8]| {
        let mut v = vec![mode];
        v.extend_from_slice(body);
        v
    };
    let mut out = Vec::new();
    for seed in 0..count {
        let bytes = seeded_bytes(seed, 64 + (seed as usize * 97) % 2048);
        match target {
            "key_parse" => {
                if let Ok(ValidKey(parts)) = from_seed::<ValidKey>(seed, 128) {
                    let k = build(&parts);
                    let fam = Family::ALL
                        .iter()
                        .position(|f| *f == parts.family())
                        .unwrap_or(9) as u8;
                    let prefix_len = parts.family().prefix().len();
                    let mut v = vec![0, fam];
                    v.extend_from_slice(&k[prefix_len..]);
                    out.push(v);
                }
                out.push(prefixed(1, &bytes[..bytes.len().min(128)]));
                out.push(prefixed(2, &bytes[..bytes.len().min(128)]));
            }
            "value_decode" => {
                if let Ok(live) = from_seed::<Live>(seed, 1024) {
                    let mode = u8::from(matches!(live, values::Live::Message(_)));
                    out.push(prefixed(mode, &live.value()));
                }
                if let Ok(GenCase(g)) = from_seed::<GenCase>(seed, 32) {
                    out.push(prefixed(2, &g.bytes));
                }
                out.push(prefixed(3, &bytes));
                out.push(prefixed(4, &bytes));
            }
            "fsm_reader" | "snapshot_raw" => {
                let Ok(model) = from_seed::<SnapshotModel>(seed, 2048) else {
                    continue;
                };
                let fsm = model.to_fsm_bytes();
                if target == "fsm_reader" {
                    out.push(fsm);
                } else {
                    // Mode bit 0 adds a header: strip the model's.
                    let mode = (seed % 4) as u8 * 2;
                    out.push(prefixed(mode, &fsm));
                    out.push(prefixed(mode | 1, fsm.get(16..).unwrap_or_default()));
                }
            }
            "fsm_footer" => {
                let Ok(model) = from_seed::<SnapshotModel>(seed, 2048) else {
                    continue;
                };
                let fsm = model.to_fsm_bytes();
                // Header added by the mode byte, footer appended; the
                // read size and the policy vary with the seed.
                let mode = 1 | 2 | ((seed % 2) as u8 * 4) | (((seed % 8) as u8) << 3);
                out.push(prefixed(mode, fsm.get(16..).unwrap_or_default()));
                // The same with the engines compared, now and then.
                if seed % 8 == 0 {
                    out.push(prefixed(mode | 0xC0, fsm.get(16..).unwrap_or_default()));
                }
                // A bare payload and a damaged node file.
                out.push(prefixed(0, &fsm));
                let mut node = fsm;
                crate::fsm::append_footer(&mut node);
                let at = seed as usize % node.len().max(1);
                if let Some(b) = node.get_mut(at) {
                    *b ^= 0x20;
                }
                out.push(prefixed(4, &node));
            }
            "snapshot_model" | "encode" => out.push(bytes),
            "body_roundtrip" => {
                let mut u = Unstructured::new(&bytes);
                if let Ok(Some(b)) = values::body(&mut u) {
                    out.push(b);
                }
            }
            "snap_file" => {
                use crate::testkit::node as kit;
                let (term, index) = (seed + 1, seed * 97 + 1);
                let tok = kit::token(index, seed as u32);
                out.push(prefixed(0, &kit::snap_file(term, index, &tok)));
                out.push(prefixed(0, &bytes[..bytes.len().min(64)]));
                out.push(prefixed(1, &bytes[..bytes.len().min(96)]));
                out.push(prefixed(2, &bytes[..bytes.len().min(96)]));
            }
            "archive_unpack" => {
                if let Some(arc) = archive_seed(seed) {
                    out.push(prefixed(0, &arc));
                    let mut cut = arc.clone();
                    cut.truncate(arc.len() / 2);
                    out.push(prefixed(0, &cut));
                    out.push(prefixed(1, &arc));
                }
            }
            _ => {}
        }
    }
    out
}

/// `archive_unpack`: an archive, given as is (mode byte even) or wrapped
/// in zstd here (odd), unpacked with a small budget beside a fresh output.
/// Either it unpacks into a tree of directories and regular files only
/// that passes the dump checks, or it fails with an archive, manifest,
/// checksum or I/O class and leaves nothing beside the output
/// (REQ-ARC-4, REQ-ARC-5, REQ-ARC-6).
pub fn archive_unpack(data: &[u8]) -> bool {
    use crate::archive::{tree::check_dump, unpack_reader, Budget};
    let Some((&mode, rest)) = data.split_first() else {
        return false;
    };
    let wrapped;
    let input = if mode % 2 == 1 {
        let Ok(z) = zstd::encode_all(rest, 1) else {
            return false;
        };
        wrapped = z;
        &wrapped[..]
    } else {
        rest
    };
    let Ok(tmp) = tempfile::tempdir() else {
        return false;
    };
    let out = tmp.path().join("out");
    let budget = Budget {
        max_entries: 64,
        max_bytes: 1 << 20,
    };
    match unpack_reader(input, &out, budget, None) {
        Ok(_) => {
            if let Err(e) = check_dump(&out) {
                violation(format!("unpacked a tree that fails its checks: {e}"), data);
            }
            true
        }
        Err(e) => {
            let class = e.class();
            let known = class.starts_with("archive_")
                || matches!(
                    class,
                    "invalid_manifest"
                        | "invalid_checksums"
                        | "checksum_mismatch"
                        | "unexpected_entry"
                        | "io"
                );
            if !known {
                violation(format!("unexpected error [{class}] {e}"), data);
            }
            let left: Vec<_> = std::fs::read_dir(tmp.path())
                .map(|d| d.filter_map(Result::ok).map(|e| e.file_name()).collect())
                .unwrap_or_default();
            if !left.is_empty() {
                violation(format!("a failed unpack left {left:?}"), data);
            }
            class != "io"
        }
    }
}

/// A packed archive of a dump decoded from a generated snapshot.
fn archive_seed(seed: u64) -> Option<Vec<u8>> {
    use crate::archive::{pack, Compression, PackOptions};
    let model = crate::testkit::seeded::from_seed::<SnapshotModel>(seed, 2048).ok()?;
    let fsm = model.to_fsm_bytes();
    let (mut dump, _) =
        crate::snapshot::decode_snapshot(&fsm[..], Options::default(), &mut |_| {}).ok()?;
    let info = crate::manifest::ManifestInfo {
        source_name: "seed.fsm".to_string(),
        wall_time: "2023-11-14T22:13:20Z".to_string(),
        ..Default::default()
    };
    crate::manifest::add_manifest(&mut dump, &info).ok()?;
    let tmp = tempfile::tempdir().ok()?;
    let dir = tmp.path().join("dump");
    crate::write::write_dump(&dump, &dir).ok()?;
    let arc = tmp.path().join("a.tar");
    let opts = PackOptions {
        compression: Compression::None,
        source_date_epoch: None,
    };
    pack(&dir, &arc, &opts, None).ok()?;
    std::fs::read(arc).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::seeded::seeded_bytes;

    /// Run a target on seeded inputs of several lengths.
    fn run(target: fn(&[u8]) -> bool, n: u64, max_len: usize) -> usize {
        let mut kept = 0;
        for seed in 0..n {
            let len = (seed as usize * 37) % max_len;
            if target(&seeded_bytes(seed, len)) {
                kept += 1;
            }
        }
        kept
    }

    // REQ-KEY-7, REQ-ERR-2
    #[test]
    fn key_parse_holds_on_seeded_inputs() {
        assert!(run(key_parse, 300, 300) > 250);
        assert!(!key_parse(b""));
    }

    // REQ-JSON-1, REQ-VAL-6, REQ-ERR-2
    #[test]
    fn value_decode_holds_on_seeded_inputs() {
        assert!(run(value_decode, 300, 1500) > 250);
        // Accepted raw values survive a rewrite.
        let mut meta = vec![0u8];
        meta.extend_from_slice(&crate::value::QUEUE_META_MAGIC);
        meta.extend_from_slice(br#"{"NAME":"q","tags":{"a":"<"}}"#);
        assert!(value_decode(&meta));
    }

    // REQ-FSM-2, REQ-FSM-7, REQ-ERR-2
    #[test]
    fn fsm_reader_holds_on_seeded_and_generated_inputs() {
        run(fsm_reader, 200, 400);
        for seed in 0..40 {
            let m: SnapshotModel = crate::testkit::seeded::from_seed(seed, 2048).unwrap();
            assert!(fsm_reader(&m.to_fsm_bytes()));
        }
    }

    // REQ-FSM-11, REQ-FSM-12, REQ-ERR-2
    #[test]
    fn fsm_footer_holds_on_seeded_and_generated_inputs() {
        run(fsm_footer, 200, 400);
        let seeds = seeds("fsm_footer", 24);
        assert!(seeds.len() > 40);
        let kept = seeds.iter().filter(|s| fsm_footer(s)).count();
        assert!(kept > seeds.len() / 2, "{kept} of {}", seeds.len());
        // Valid node files, with both engines compared.
        for seed in 0..8 {
            let m: SnapshotModel = crate::testkit::seeded::from_seed(seed, 2048).unwrap();
            let fsm = m.to_fsm_bytes();
            for mode in [0xC3u8, 0xC7] {
                let mut d = vec![mode];
                d.extend_from_slice(fsm.get(16..).unwrap_or_default());
                assert!(fsm_footer(&d));
            }
        }
    }

    // REQ-DEC-11, REQ-OUT-8, REQ-ERR-2
    #[test]
    fn snapshot_targets_hold_on_seeded_inputs() {
        assert!(run(snapshot_model, 60, 4096) > 50);
        run(snapshot_raw, 200, 600);
    }

    #[test]
    fn target_list_matches_the_fuzz_directory() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fuzz/fuzz_targets");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| {
                e.unwrap()
                    .file_name()
                    .to_string_lossy()
                    .trim_end_matches(".rs")
                    .to_string()
            })
            .collect();
        files.sort();
        let mut targets: Vec<String> = TARGETS.iter().map(|t| t.to_string()).collect();
        targets.sort();
        assert_eq!(files, targets);
        for t in TARGETS {
            let body = std::fs::read_to_string(format!("{dir}/{t}.rs")).unwrap();
            assert!(
                body.contains(&format!("sqsdump::fuzzing::{t}(d)")),
                "{t}.rs must call fuzzing::{t}"
            );
            assert!(!seeds(t, 4).is_empty(), "no seeds for {t}");
        }
    }

    #[test]
    fn seeds_are_accepted_by_their_targets() {
        for t in TARGETS {
            let f = by_name(t).expect("every target has a body");
            for s in seeds(t, 8) {
                f(&s);
            }
        }
    }

    // REQ-NODE-1, REQ-ERR-2
    #[test]
    fn snap_file_holds_on_seeded_inputs() {
        assert!(run(snap_file, 300, 200) > 250);
        assert!(!snap_file(b""));
        for s in seeds("snap_file", 16) {
            assert!(snap_file(&s));
        }
    }

    // REQ-ARC-4, REQ-ARC-6, REQ-ERR-2
    #[test]
    fn archive_unpack_holds_on_seeded_inputs() {
        run(archive_unpack, 40, 2048);
        let seeds = seeds("archive_unpack", 6);
        assert!(seeds.len() >= 6);
        // Whole archives unpack, plain and wrapped in zstd; a cut one does not.
        let kept = seeds.iter().filter(|s| archive_unpack(s)).count();
        assert!(kept >= seeds.len() / 3, "{kept}");
    }

    // REQ-OUT-6
    #[test]
    fn body_roundtrip_holds_on_seeded_inputs() {
        assert_eq!(run(body_roundtrip, 200, 200), 200);
        assert!(body_roundtrip("<a&b>\u{2028}".as_bytes()));
        assert!(body_roundtrip(b"\xe2\x82A"));
    }
}
