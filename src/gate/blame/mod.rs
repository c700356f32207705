//! Blame: every difference between an implementation's result and the
//! expected one, each attributed to the requirement that governs what
//! differs (REQ-CONF-5), not to the case that happened to show it.
//!
//! [`GOVERNS`] is the one table from subjects (a file, a field, an
//! ordering, a spelling, a snapshot record) to requirements, for both
//! directions; SPEC.md repeats it as the `Governs:` line of each
//! requirement, and `tests/spec_coverage.rs` keeps the two equal. This
//! module holds the table, the collector of findings, the member-by-member
//! comparison of JSON objects and the display of values; the comparisons
//! themselves are by direction:
//!
//! - [`decode`]: dump trees, the result of decoding a snapshot
//!   ([`blame_trees`]).
//! - [`encode`]: `.fsm` snapshots, the result of encoding a dump
//!   ([`blame_snapshots`]).

use serde_json::Value;

use super::conform::{Compare, Difference};
use super::span;

pub mod decode;
pub mod encode;

pub use decode::blame_trees;
pub use encode::blame_snapshots;

// ---------------------------------------------------------------------------
// The table

/// What a difference is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Subject {
    /// A file present on one side only, or something that is not a
    /// regular file.
    FileSet,
    /// `messages.jsonl` of a queue whose expected dump has none.
    EmptyQueueMessages,
    /// The same file under another queue directory name.
    DirName,
    /// The directory of a queue named `.` or `..`.
    DotDirName,
    /// A file of an orphan directory: side records and no `_queue.json`,
    /// under `<encoded>.orphan/` or its hash fallback.
    OrphanDir,
    /// `side_records.jsonl`: which records.
    SideRecordSet,
    /// `side_records.jsonl`: the order of the records both sides have.
    SideRecordOrder,
    /// A `!sqs|queue|seq|` side record.
    SeqSideRecord,
    /// The fields of a side-record line.
    SideRecordLine,
    /// The order of message lines.
    MessageOrder,
    /// A message line repeated for one message id.
    DuplicateVersion,
    /// A message of another `queue_generation` than the queue's.
    StaleGeneration,
    /// A message line's other fields, their order, compactness and final
    /// newline.
    MessageField,
    /// `visible_at_millis`, `receive_count`, `first_receive_millis` and
    /// the presence of `current_receipt_token`.
    Visibility,
    /// `partition`.
    Partition,
    /// The value of `body` (string or base64 envelope).
    Body,
    /// The HTML escapes of `body`.
    BodyEscaping,
    /// The escapes of other strings.
    StringEscaping,
    /// `message_attributes`.
    Attributes,
    /// Invalid UTF-8 inside a `message_attributes` value.
    AttributeUtf8,
    /// The spelling of a present `current_receipt_token`.
    ReceiptToken,
    /// `name` in `_queue.json`.
    QueueName,
    /// Other `_queue.json` fields and their order.
    QueueField,
    /// `tags` in `_queue.json`.
    Tags,
    /// `_queue.json` layout: indent, HTML escapes, final newline.
    QueueLayout,
    /// A JSON file or line that does not parse.
    InvalidJson,
    /// `MANIFEST.json` fields shared with upstream.
    ManifestField,
    /// `MANIFEST.json` fields of sqsdump's reproducible shape.
    ManifestShape,
    /// `snapshot_index` in `MANIFEST.json`.
    SnapshotIndex,
    /// `wall_time_iso`.
    WallTime,
    /// `CHECKSUMS` that does not describe its tree.
    Checksums,
    /// Output left behind by a failed run.
    Leftovers,
    /// The class named in an `error[<class>]:` line.
    ErrorClass,
    /// Encode direction: the snapshot's header, framing, and each entry's
    /// commit timestamp.
    SnapshotStream,
    /// Encode direction: a restored meta, gen or message record (its key,
    /// value header and value fields without a rule of their own).
    RestoredRecord,
    /// Encode direction: `message_attributes` in a restored message.
    RestoredAttributes,
    /// Encode direction: `tags` in a restored queue meta.
    RestoredTags,
    /// Encode direction: a vis, byage, dedup, seq or group row.
    DerivedRow,
    /// Encode direction: the order of the entries, and a key written
    /// twice.
    EntryOrder,
    /// Encode direction: anything at the output path after an error, a
    /// changed input dump, or a file written outside the output's
    /// directory.
    EncodeLeftovers,
    /// Encode direction: the class of an `error[<class>]:` line.
    EncodeErrorClass,
}

/// Subject → governing requirement → what SPEC.md's `Governs:` line says.
/// The single source of the blame map.
pub const GOVERNS: &[(Subject, &str, &str)] = &[
    (Subject::FileSet, "REQ-OUT-1", "a missing or extra file"),
    (
        Subject::EmptyQueueMessages,
        "REQ-DEC-12",
        "`messages.jsonl` of a queue without surviving messages",
    ),
    (
        Subject::DirName,
        "REQ-OUT-2",
        "the name of a queue directory whose contents are the same",
    ),
    (
        Subject::DotDirName,
        "REQ-OUT-3",
        "the directory of a queue named `.` or `..`",
    ),
    (
        Subject::OrphanDir,
        "REQ-DEC-3",
        "the files of an orphan directory (a queue directory with side records and no `_queue.json`), whatever its name",
    ),
    (
        Subject::SideRecordSet,
        "REQ-DEC-8",
        "which side records are written",
    ),
    (
        Subject::SideRecordOrder,
        "REQ-DEC-14",
        "the order of side-record lines",
    ),
    (
        Subject::SeqSideRecord,
        "REQ-DEC-9",
        "`!sqs|queue|seq|` side records",
    ),
    (
        Subject::SideRecordLine,
        "REQ-OUT-7",
        "the fields of a side-record line",
    ),
    (
        Subject::MessageOrder,
        "REQ-DEC-7",
        "the order of message lines",
    ),
    (
        Subject::DuplicateVersion,
        "REQ-FSM-7",
        "a second message line for one message id",
    ),
    (
        Subject::StaleGeneration,
        "REQ-DEC-4",
        "a message line of another `queue_generation`",
    ),
    (
        Subject::MessageField,
        "REQ-OUT-5",
        "message fields without a rule of their own, field order, compactness and final newlines",
    ),
    (
        Subject::Visibility,
        "REQ-DEC-5",
        "`visible_at_millis`, `receive_count`, `first_receive_millis`, and whether `current_receipt_token` is there",
    ),
    (Subject::Partition, "REQ-DEC-6", "`partition`"),
    (
        Subject::Body,
        "REQ-OUT-6",
        "the value of `body` (string or base64 envelope)",
    ),
    (
        Subject::BodyEscaping,
        "REQ-JSON-12",
        "the HTML escapes of `body`",
    ),
    (
        Subject::StringEscaping,
        "REQ-JSON-11",
        "other escapes in strings of equal value",
    ),
    (Subject::Attributes, "REQ-JSON-13", "`message_attributes`"),
    (
        Subject::AttributeUtf8,
        "REQ-JSON-16",
        "invalid UTF-8 inside a `message_attributes` value",
    ),
    (
        Subject::ReceiptToken,
        "REQ-JSON-14",
        "the spelling of a present `current_receipt_token`",
    ),
    (Subject::QueueName, "REQ-DEC-1", "`name` in `_queue.json`"),
    (
        Subject::QueueField,
        "REQ-OUT-4",
        "other `_queue.json` fields and their order",
    ),
    (Subject::Tags, "REQ-VAL-4", "`tags` in `_queue.json`"),
    (
        Subject::QueueLayout,
        "REQ-JSON-15",
        "`_queue.json` indent, HTML escapes and final newline",
    ),
    (
        Subject::InvalidJson,
        "REQ-OUT-9",
        "a JSON file or line that does not parse",
    ),
    (
        Subject::ManifestField,
        "REQ-CLI-8",
        "`MANIFEST.json` fields upstream writes too (`cluster_id` and `source.fsm_crc32c` among them)",
    ),
    (
        Subject::SnapshotIndex,
        "REQ-CLI-13",
        "`snapshot_index` in `MANIFEST.json`",
    ),
    (
        Subject::ManifestShape,
        "REQ-CLI-12",
        "`source`, `adapters.sqs` and any other `MANIFEST.json` field",
    ),
    (
        Subject::WallTime,
        "REQ-CLI-9",
        "whether `wall_time_iso` is there and RFC 3339 (not its value)",
    ),
    (
        Subject::Checksums,
        "REQ-CLI-8",
        "a `CHECKSUMS` that `sha256sum -c` would fail",
    ),
    (
        Subject::Leftovers,
        "REQ-CLI-5",
        "anything left at the output path after an error",
    ),
    (
        Subject::ErrorClass,
        "REQ-ERR-1",
        "the class of an `error[<class>]:` line",
    ),
    (
        Subject::SnapshotStream,
        "REQ-ENC-1",
        "a restored snapshot's header, framing and each entry's commit timestamp",
    ),
    (
        Subject::RestoredRecord,
        "REQ-ENC-1",
        "the key, value header and fields of a restored meta, gen or message record",
    ),
    (
        Subject::RestoredAttributes,
        "REQ-ENC-7",
        "`message_attributes` in a restored message",
    ),
    (
        Subject::RestoredTags,
        "REQ-ENC-9",
        "`tags` in a restored queue meta",
    ),
    (
        Subject::DerivedRow,
        "REQ-ENC-8",
        "a restored vis, byage, dedup, seq or group row",
    ),
    (
        Subject::EntryOrder,
        "REQ-ENC-10",
        "the order of a restored snapshot's entries, and a key written twice",
    ),
    (
        Subject::EncodeLeftovers,
        "REQ-ENC-11",
        "anything at the output path after a failed encode, a changed input, a file written outside the output's directory",
    ),
    (
        Subject::EncodeErrorClass,
        "REQ-ENC-5",
        "the class of an encoder's `error[<class>]:` line",
    ),
];

/// The requirement that governs `subject`.
// REQ-CONF-5
pub fn governing(subject: Subject) -> &'static str {
    GOVERNS
        .iter()
        .find(|(s, _, _)| *s == subject)
        .map_or("REQ-CONF-5", |(_, req, _)| req)
}

/// Subjects that are only about spelling: `--compare json` ignores them.
fn bytes_only(subject: Subject) -> bool {
    matches!(
        subject,
        Subject::BodyEscaping | Subject::StringEscaping | Subject::QueueLayout
    )
}

/// One blamed difference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The requirement blamed.
    pub req: String,
    /// What differs.
    pub diff: Difference,
}

/// Collects findings for one case.
pub(super) struct Blame<'a> {
    pub(super) case_req: &'a str,
    pub(super) mode: Compare,
    pub(super) found: Vec<Finding>,
}

impl Blame<'_> {
    pub(super) fn add(&mut self, subject: Subject, diff: Difference) {
        if self.mode == Compare::Json && bytes_only(subject) {
            return;
        }
        self.found.push(Finding {
            req: governing(subject).to_string(),
            diff,
        });
    }

    /// A difference no rule explains: the case's own requirement.
    pub(super) fn unexplained(&mut self, diff: Difference) {
        self.found.push(Finding {
            req: self.case_req.to_string(),
            diff,
        });
    }
}

// ---------------------------------------------------------------------------
// Values and spellings

/// Both raw JSON values parsed: `Some(true)` when equal, `None` when one
/// does not parse.
fn same_value(e: &[u8], a: &[u8]) -> Option<bool> {
    let e: Value = serde_json::from_slice(e).ok()?;
    let a: Value = serde_json::from_slice(a).ok()?;
    Some(e == a)
}

/// The raw text with `<`, `>` and `&` escapes spelled raw.
fn without_html_escapes(raw: &[u8]) -> Vec<u8> {
    String::from_utf8_lossy(raw)
        .replace("\\u003c", "<")
        .replace("\\u003e", ">")
        .replace("\\u0026", "&")
        .into_bytes()
}

/// The raw text with white space outside strings removed.
fn compact(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    crate::jsonout::write_compact_raw(&mut out, raw);
    out
}

pub(super) fn shown(raw: &[u8]) -> String {
    let s = show_bytes(raw);
    if s.chars().count() <= VALUE_CAP {
        s
    } else {
        elide(&s, None, VALUE_CAP)
    }
}

/// The subject of a field, from its name and both raw values (empty when
/// absent).
pub(super) type FieldRule<'a> = dyn Fn(&str, &[u8], &[u8]) -> Subject + 'a;

/// Members of two objects compared one by one. `subject_of` names the
/// subject of a field whose value differs; `spelling` the subject of a
/// field whose value is equal but spelt differently.
#[allow(clippy::too_many_arguments)]
pub(super) fn compare_members(
    b: &mut Blame<'_>,
    path: &str,
    line: Option<usize>,
    e: &[span::Member<'_>],
    a: &[span::Member<'_>],
    subject_of: &FieldRule<'_>,
    spelling: &FieldRule<'_>,
    order: Subject,
) {
    let find = |ms: &'_ [span::Member<'_>], k: &str| ms.iter().position(|m| m.key == k);
    for m in e {
        match find(a, &m.key) {
            None => b.add(
                subject_of(&m.key, m.value, b""),
                Difference::in_file(path, line, format!("missing field {}", m.key))
                    .values(shown(m.value), "<missing>".into()),
            ),
            Some(i) => {
                let av = a[i].value;
                if m.value == av {
                    continue;
                }
                let what = format!("field {}", m.key);
                let d = Difference::in_file(path, line, what).values(shown(m.value), shown(av));
                if same_value(m.value, av) == Some(true) {
                    b.add(spelling(&m.key, m.value, av), d);
                } else {
                    b.add(subject_of(&m.key, m.value, av), d);
                }
            }
        }
    }
    for m in a {
        if find(e, &m.key).is_none() {
            b.add(
                subject_of(&m.key, b"", m.value),
                Difference::in_file(path, line, format!("unexpected field {}", m.key))
                    .values("<missing>".into(), shown(m.value)),
            );
        }
    }
    let keys = |ms: &[span::Member<'_>]| ms.iter().map(|m| m.key.clone()).collect::<Vec<_>>();
    if b.mode == Compare::Json {
        return;
    }
    let (ek, ak) = (keys(e), keys(a));
    let common_e: Vec<&String> = ek.iter().filter(|k| ak.contains(k)).collect();
    let common_a: Vec<&String> = ak.iter().filter(|k| ek.contains(k)).collect();
    if common_e != common_a {
        b.add(
            order,
            Difference::in_file(path, line, "field order").values(ek.join(","), ak.join(",")),
        );
    }
}

/// The spelling subject of a string (or value) whose parsed value is
/// equal: HTML escapes or other escapes.
fn escape_subject(e: &[u8], a: &[u8], html: Subject) -> Subject {
    if without_html_escapes(e) == without_html_escapes(a) {
        html
    } else {
        Subject::StringEscaping
    }
}
// ---------------------------------------------------------------------------
// Lines and display

/// Lines of a file, and whether it ends in `\n` (the empty piece after a
/// final `\n` is not a line).
pub fn split_lines(b: &[u8]) -> (Vec<&[u8]>, bool) {
    match b.strip_suffix(b"\n") {
        Some(body) => (body.split(|&c| c == b'\n').collect(), true),
        None if b.is_empty() => (Vec::new(), false),
        None => (b.split(|&c| c == b'\n').collect(), false),
    }
}

/// The first differing line of two files, or `None` when equal.
// REQ-CONF-4
pub fn compare_bytes(path: &str, expected: &[u8], actual: &[u8]) -> Option<Difference> {
    if expected == actual {
        return None;
    }
    let (e, e_nl) = split_lines(expected);
    let (a, a_nl) = split_lines(actual);
    for (i, (x, y)) in e.iter().zip(a.iter()).enumerate() {
        if x != y {
            return Some(
                Difference::in_file(path, Some(i + 1), "line differs").values(shown(x), shown(y)),
            );
        }
    }
    let show = |l: Option<&&[u8]>| l.map_or("<end of file>".to_string(), |l| shown(l));
    if e.len() != a.len() {
        let i = e.len().min(a.len());
        let (es, as_) = (show(e.get(i)), show(a.get(i)));
        let what = if e.len() > a.len() {
            "file ends early"
        } else {
            "extra content"
        };
        return Some(Difference::in_file(path, Some(i + 1), what).values(es, as_));
    }
    let what = if e_nl && !a_nl {
        "missing final newline"
    } else if a_nl && !e_nl {
        "unexpected final newline"
    } else {
        "bytes differ"
    };
    Some(Difference::in_file(path, Some(e.len().max(1)), what))
}

/// Longest value a difference carries, in characters: longer values keep
/// both ends and elide the middle.
pub const VALUE_CAP: usize = 64 * 1024;

/// Longest value shown on the console, in characters.
pub const CONSOLE: usize = 100;

/// Bytes as text, the gate's one escaping convention: valid UTF-8 as is,
/// control characters as JSON escapes (`\n`, `\t`, `\u0000`, `\u007f`),
/// each byte that is not UTF-8 as `\xHH`.
// REQ-CONF-13
pub fn show_bytes(raw: &[u8]) -> String {
    let mut out = String::with_capacity(raw.len());
    for chunk in raw.utf8_chunks() {
        for c in chunk.valid().chars() {
            push_char(&mut out, c);
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02X}"));
        }
    }
    out
}

/// Multi-line text (an implementation's stderr) as [`show_bytes`] shows
/// it, except that line feeds and tabs stay as they are.
pub fn show_lines(raw: &[u8]) -> String {
    let mut out = String::with_capacity(raw.len());
    for chunk in raw.utf8_chunks() {
        for c in chunk.valid().chars() {
            if c == '\n' || c == '\t' {
                out.push(c);
            } else {
                push_char(&mut out, c);
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02X}"));
        }
    }
    out
}

fn push_char(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\u{8}' => out.push_str("\\b"),
        '\u{c}' => out.push_str("\\f"),
        c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
        c => out.push(c),
    }
}

/// `s` as a difference carries it: escaped by [`show_bytes`], and past
/// [`VALUE_CAP`] characters cut in the middle (both ends kept). `_from`
/// is kept for callers that know where the values start to differ; the
/// console window is chosen at display time ([`elide`]).
pub fn shorten(s: &str, _from: usize) -> String {
    let shown = show_bytes(s.as_bytes());
    if shown.chars().count() <= VALUE_CAP {
        return shown;
    }
    elide(&shown, None, VALUE_CAP)
}

/// `s` in at most about `width` characters: whole when it fits, else
/// both ends with the middle elided (`…`), and when `at` (the character
/// where two values start to differ) would fall in the elided part, a
/// window around it between the ends.
// REQ-CONF-13
pub fn elide(s: &str, at: Option<usize>, width: usize) -> String {
    let chars: Vec<char> = s.chars().collect();
    let n = chars.len();
    if n <= width {
        return s.to_string();
    }
    let piece = |a: usize, b: usize| -> String {
        chars
            .get(a.min(n)..b.min(n).max(a.min(n)))
            .unwrap_or_default()
            .iter()
            .collect()
    };
    let head = width * 3 / 5;
    let tail = width - head;
    match at {
        Some(at) if at + 10 > head && at < n.saturating_sub(tail) => {
            let (head, tail) = (width / 4, width / 4);
            let start = at.saturating_sub(width / 8).max(head);
            let end = (start + width / 2).min(n - tail);
            let mut out = piece(0, head);
            if start > head {
                out.push('…');
            }
            out.push_str(&piece(start, end));
            if end < n - tail {
                out.push('…');
            }
            out.push_str(&piece(n - tail, n));
            out
        }
        _ => format!("{}…{}", piece(0, head), piece(n - tail, n)),
    }
}

/// The character where two shown values start to differ.
pub fn first_difference(e: &str, a: &str) -> usize {
    e.chars().zip(a.chars()).take_while(|(p, q)| p == q).count()
}

/// Both sides as a difference carries them ([`shorten`]).
// REQ-CONF-13
pub fn show_pair(e: Option<&str>, a: Option<&str>) -> (String, String) {
    let render = |s: Option<&str>| s.map_or("<end of file>".to_string(), |s| shorten(s, 0));
    (render(e), render(a))
}

#[cfg(test)]
mod tests {
    use super::*;

    // REQ-CONF-5
    #[test]
    fn differences_name_file_line_and_both_values() {
        let d = compare_bytes(
            "sqs/q/messages.jsonl",
            b"{\"a\":1}\n{\"b\":2}\n",
            b"{\"a\":1}\n{\"b\":3}\n",
        )
        .unwrap();
        assert_eq!(
            d.to_string(),
            r#"sqs/q/messages.jsonl:2: line differs: expected {"b":2} got {"b":3}"#
        );
        let d = compare_bytes("f", b"x\n", b"x").unwrap();
        assert_eq!(d.to_string(), "f:1: missing final newline");
        let d = compare_bytes("f", b"x\ny\n", b"x\n").unwrap();
        assert_eq!(
            d.to_string(),
            "f:2: file ends early: expected y got <end of file>"
        );
        let d = compare_bytes("f", b"x\n", b"x\nx\n").unwrap();
        assert_eq!(
            d.to_string(),
            "f:2: extra content: expected <end of file> got x"
        );
        let long_e = format!("{}E{}", "a".repeat(300), "z".repeat(300));
        let long_a = format!("{}A{}", "a".repeat(300), "z".repeat(300));
        let d = compare_bytes("f", long_e.as_bytes(), long_a.as_bytes()).unwrap();
        // The difference carries both values whole; the console shows
        // both ends and the place where they differ.
        assert_eq!(d.expected.as_deref(), Some(long_e.as_str()));
        assert_eq!(d.actual.as_deref(), Some(long_a.as_str()));
        assert!(d.full().contains(&long_e) && d.full().contains(&long_a));
        let shown = d.to_string();
        let (e, a) = shown
            .strip_prefix("f:1: line differs: expected ")
            .and_then(|r| r.split_once(" got "))
            .unwrap();
        for v in [e, a] {
            assert!(v.starts_with("aaaa") && v.ends_with("zzzz"), "{v}");
            assert!(v.chars().count() <= CONSOLE + 4, "{v}");
        }
        assert!(e.contains("aEz") && a.contains("aAz"), "{shown}");
    }

    // REQ-CONF-13
    #[test]
    fn values_use_json_escapes_for_text_and_hex_for_bytes_that_are_not_utf8() {
        assert_eq!(
            show_bytes(b"a\n\t\x00\x1f\x7f\\u0000 \xff\xfe \xc3\xa9"),
            "a\\n\\t\\u0000\\u001f\\u007f\\u0000 \\xFF\\xFE \u{e9}"
        );
        // Long values elide their middle, keeping both ends.
        let long = format!("{}{}", "h".repeat(200), "t".repeat(200));
        let e = elide(&long, None, 100);
        assert!(e.starts_with("hhh") && e.ends_with("ttt") && e.contains('…'));
        assert_eq!(e.chars().count(), 101);
        assert_eq!(elide("short", Some(2), 100), "short");
        assert_eq!(show_lines(b"a\n\tb\r\xff\x00"), "a\n\tb\\r\\xFF\\u0000");
        // Values are capped far above the console width.
        let huge = "x".repeat(VALUE_CAP + 10);
        assert_eq!(shorten(&huge, 0).chars().count(), VALUE_CAP + 1);
        assert_eq!(shorten(&"y".repeat(5000), 0), "y".repeat(5000));
    }

    // REQ-CONF-5
    #[test]
    fn every_subject_has_one_rule() {
        use Subject::*;
        let all = [
            FileSet,
            EmptyQueueMessages,
            DirName,
            DotDirName,
            OrphanDir,
            SideRecordSet,
            SideRecordOrder,
            SeqSideRecord,
            SideRecordLine,
            MessageOrder,
            DuplicateVersion,
            StaleGeneration,
            MessageField,
            Visibility,
            Partition,
            Body,
            BodyEscaping,
            StringEscaping,
            Attributes,
            AttributeUtf8,
            ReceiptToken,
            QueueName,
            QueueField,
            Tags,
            QueueLayout,
            InvalidJson,
            ManifestField,
            ManifestShape,
            SnapshotIndex,
            WallTime,
            Checksums,
            Leftovers,
            ErrorClass,
            SnapshotStream,
            RestoredRecord,
            RestoredAttributes,
            RestoredTags,
            DerivedRow,
            EntryOrder,
            EncodeLeftovers,
            EncodeErrorClass,
        ];
        assert_eq!(all.len(), GOVERNS.len());
        for s in all {
            assert_eq!(
                GOVERNS.iter().filter(|(t, _, _)| *t == s).count(),
                1,
                "{s:?}"
            );
            assert_ne!(governing(s), "REQ-CONF-5", "{s:?}");
        }
    }

    // REQ-CONF-5
    #[test]
    fn the_table_names_each_subjects_requirement() {
        for (s, req, _) in GOVERNS {
            assert_eq!(governing(*s), *req, "{s:?}");
        }
        assert_eq!(governing(Subject::Body), "REQ-OUT-6");
        assert_eq!(governing(Subject::FileSet), "REQ-OUT-1");
    }

    // REQ-CONF-5
    #[test]
    fn lines_split_at_newlines() {
        let s = |b: &'static [u8]| split_lines(b);
        assert_eq!(s(b""), (Vec::<&[u8]>::new(), false));
        assert_eq!(s(b"\n"), (vec![&b""[..]], true));
        assert_eq!(s(b"a\nb\n"), (vec![&b"a"[..], &b"b"[..]], true));
        assert_eq!(s(b"a\nb"), (vec![&b"a"[..], &b"b"[..]], false));
        assert_eq!(
            compare_bytes("f", b"x", b"x\n")
                .map(|d| d.to_string())
                .as_deref(),
            Some("f:1: unexpected final newline")
        );
        assert_eq!(compare_bytes("f", b"x\n", b"x\n"), None);
        assert_eq!(
            compare_bytes("f", b"x\ny\nz\n", b"x\nq\nz\n")
                .map(|d| d.to_string())
                .as_deref(),
            Some("f:2: line differs: expected y got q")
        );
    }

    // REQ-CONF-13
    #[test]
    fn long_values_are_shortened_around_their_difference() {
        // Differences carry values whole up to VALUE_CAP, then both ends.
        let exactly = "a".repeat(VALUE_CAP);
        assert_eq!(shorten(&exactly, 50), exactly);
        let over = format!("{}{}", "b".repeat(VALUE_CAP), "c");
        let cut = shorten(&over, 0);
        assert_eq!(cut.chars().count(), VALUE_CAP + 1);
        assert!(cut.ends_with("bc") && cut.contains('…'), "{cut}");
        // The console elides to about `width`: 3/5 head and 2/5 tail, or a
        // window around the first difference when it would be elided.
        let s: String = (0..200)
            .map(|i| char::from(b'a' + (i % 26) as u8))
            .collect();
        let p = |a: usize, b: usize| &s[a..b];
        let ends = format!("{}…{}", p(0, 60), p(160, 200));
        assert_eq!(elide(&s[..100], Some(99), 100), &s[..100]);
        assert_eq!(elide(&s, None, 100), ends);
        assert_eq!(elide(&s, Some(50), 100), ends);
        assert_eq!(
            elide(&s, Some(51), 100),
            format!("{}…{}…{}", p(0, 25), p(39, 89), p(175, 200))
        );
        assert_eq!(
            elide(&s, Some(120), 100),
            format!("{}…{}…{}", p(0, 25), p(108, 158), p(175, 200))
        );
        assert_eq!(elide(&s, Some(160), 100), ends);
        assert_eq!(
            elide(&s, Some(30), 40),
            format!("{}…{}…{}", p(0, 10), p(25, 45), p(190, 200))
        );
        assert_eq!(shorten("a\nb", 0), "a\\nb");
        assert_eq!(shown(b"x\ty"), "x\\ty");
        assert_eq!(
            show_pair(Some("abc"), Some("abd")),
            ("abc".to_string(), "abd".to_string())
        );
        assert_eq!(
            show_pair(None, Some("x")),
            ("<end of file>".to_string(), "x".to_string())
        );
        assert_eq!(
            show_pair(Some("x"), None),
            ("x".to_string(), "<end of file>".to_string())
        );
        let e = format!("{}E{}", "a".repeat(150), "z".repeat(150));
        let a = format!("{}A{}", "a".repeat(150), "z".repeat(150));
        let (se, sa) = show_pair(Some(&e), Some(&a));
        assert_eq!((se, sa), (e, a));
    }

    // REQ-CONF-5
    #[test]
    fn spelling_helpers() {
        assert_eq!(same_value(b"1", b"1.0"), Some(false));
        assert_eq!(same_value(b"\"a\"", b"\"\\u0061\""), Some(true));
        assert_eq!(same_value(b"x", b"1"), None);
        assert_eq!(same_value(b"1", b"x"), None);
        assert_eq!(without_html_escapes(b"\\u003c\\u003e\\u0026x"), b"<>&x");
        assert_eq!(compact(b"{ \"a\" : [1, 2] }"), b"{\"a\":[1,2]}");
        assert_eq!(
            escape_subject(b"\"<\"", b"\"\\u003c\"", Subject::BodyEscaping),
            Subject::BodyEscaping
        );
        assert_eq!(
            escape_subject(b"\"/\"", b"\"\\/\"", Subject::BodyEscaping),
            Subject::StringEscaping
        );
        assert!(bytes_only(Subject::QueueLayout));
        assert!(!bytes_only(Subject::Body));
    }
}
