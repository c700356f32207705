//! MANIFEST.json and CHECKSUMS (REQ-CLI-8, REQ-CLI-9).
//!
//! `MANIFEST.json` follows the shape of elastickv's logical-backup
//! manifest, with sqsdump filling in the SQS fields. Keys appear in this
//! fixed order:
//!
//! ```text
//! format_version, phase, cluster_id?, snapshot_index?, last_commit_ts,
//! wall_time_iso, source{fsm_path, fsm_crc32c?, fsm_size_bytes},
//! adapters{sqs{queues}}, exclusions{include_incomplete_uploads,
//! include_orphans, preserve_sqs_visibility, include_sqs_side_records},
//! checksum_algorithm, checksum_format, encoded_filename_charset,
//! key_segment_max_bytes, s3_meta_suffix, s3_collision_strategy, dynamodb_layout
//! ```
//!
//! - Only the `sqs` adapter is listed: the others were not dumped.
//! - The non-SQS exclusion flags and the S3/DynamoDB policy fields carry the
//!   upstream phase-0 defaults, so a reader that requires them finds them.
//! - `wall_time_iso` is always written, because upstream's restore tool
//!   refuses a manifest without it. It follows the reproducible-builds
//!   convention: the time given by `SOURCE_DATE_EPOCH` when that is set
//!   (so the dump is a pure function of the input, the flags and that
//!   variable, byte for byte), the clock otherwise.
//! - `source.fsm_path` is the input's final path component (`-` for
//!   stdin), so the dump does not depend on where the file was read from;
//!   `source.fsm_size_bytes` is the number of bytes read.
//! - The fields marked `?` are written only when known, where upstream's
//!   manifest type puts them: `cluster_id` (`--cluster-id`, not empty),
//!   `snapshot_index` (REQ-CLI-13; not zero, as Go's `omitempty` leaves
//!   out a zero) and `source.fsm_crc32c`, the verified node-file footer
//!   as 8 lowercase hex digits (REQ-FSM-11).
//! - Pretty-printed with a 2-space indent and a final newline, like Go's
//!   `json.Encoder` with `SetIndent("", "  ")`.
//!
//! `CHECKSUMS` lists every other file of the dump (`MANIFEST.json`
//! included) as `<sha256 hex>  <path>\n`, sorted by path, so that
//! `sha256sum -c CHECKSUMS` passes from the dump root.

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::dump::{Claims, DumpModel};
use crate::Error;

/// Name of the manifest file at the dump root.
pub const MANIFEST_FILE: &str = "MANIFEST.json";
/// Name of the checksum file at the dump root.
pub const CHECKSUMS_FILE: &str = "CHECKSUMS";
/// The dump format's major version.
pub const FORMAT_VERSION: u32 = 1;
/// The phase of an offline snapshot decode.
pub const PHASE: &str = "phase0-snapshot-decode";
/// The filename charset of [`crate::segment`].
pub const ENCODED_FILENAME_CHARSET: &str = "rfc3986-unreserved-plus-percent";
/// Longest encoded segment before the hash fallback.
pub const KEY_SEGMENT_MAX_BYTES: u32 = 240;
/// Owner name used for the two files in [`DumpModel::add_file`].
const OWNER: &str = "manifest";

/// What the manifest records beyond the model itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ManifestInfo {
    /// The snapshot header's `last_commit_ts`.
    pub last_commit_ts: u64,
    /// The input's file name (final path component), `-` for stdin.
    pub source_name: String,
    /// Bytes read from the input.
    pub source_size: u64,
    /// `--preserve-visibility`.
    pub preserve_visibility: bool,
    /// `--include-sqs-side-records`.
    pub include_side_records: bool,
    /// `wall_time_iso` (see [`wall_time`]).
    pub wall_time: String,
    /// `--cluster-id`; written when not empty.
    pub cluster_id: Option<String>,
    /// The raft index of the snapshot: from the input's file name
    /// ([`snapshot_index_from_name`]) or from whatever located the file;
    /// written when not zero.
    pub snapshot_index: Option<u64>,
    /// The verified node-file footer (REQ-FSM-11).
    pub fsm_crc32c: Option<u32>,
}

/// REQ-CLI-13: the raft index a node file's name carries. The node names
/// its snapshot files `%016x.fsm`, so exactly 16 hex digits (either case)
/// and `.fsm` give the index, read as hexadecimal; any other name gives
/// none.
pub fn snapshot_index_from_name(name: &str) -> Option<u64> {
    let stem = name.strip_suffix(".fsm")?;
    if stem.len() != 16 || !stem.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u64::from_str_radix(stem, 16).ok()
}

/// Add `MANIFEST.json` and `CHECKSUMS` to the model. Either name already
/// present is a [`Error::PathCollision`]; a path that `sha256sum` could not
/// read back verbatim (newline, carriage return or backslash) is
/// [`Error::UnsafeOutput`].
/// On error the model is left unchanged.
// REQ-OUT-1
pub fn add_manifest(model: &mut DumpModel, info: &ManifestInfo) -> Result<(), Error> {
    check_free(&model.claims, OWNER)?;
    let manifest = manifest_json(model, info);
    let sums = checksum_lines(
        model
            .files
            .iter()
            .map(|(p, b)| (p.as_str(), b.as_slice()))
            .chain([(MANIFEST_FILE, manifest.as_slice())]),
    )?;
    model.add_file(MANIFEST_FILE.to_string(), manifest, OWNER)?;
    model.add_file(CHECKSUMS_FILE.to_string(), sums, OWNER)
}

/// Refuse a tree that already holds `MANIFEST.json` or `CHECKSUMS`
/// ([`Error::PathCollision`] naming the first owner), for `owner`'s
/// manifest.
pub(crate) fn check_free(claims: &Claims, owner: &str) -> Result<(), Error> {
    for name in [MANIFEST_FILE, CHECKSUMS_FILE] {
        claims.check_free(name, owner)?;
    }
    Ok(())
}

/// The bytes of `MANIFEST.json` for this model.
// REQ-CLI-12
pub fn manifest_json(model: &DumpModel, info: &ManifestInfo) -> Vec<u8> {
    let mut queues = model.queues.clone();
    queues.sort();
    queues.dedup();

    let mut m = serde_json::Map::new();
    m.insert("format_version".into(), json!(FORMAT_VERSION));
    m.insert("phase".into(), json!(PHASE));
    if let Some(id) = info.cluster_id.as_deref().filter(|id| !id.is_empty()) {
        m.insert("cluster_id".into(), json!(id));
    }
    if let Some(index) = info.snapshot_index.filter(|&i| i != 0) {
        m.insert("snapshot_index".into(), json!(index));
    }
    m.insert("last_commit_ts".into(), json!(info.last_commit_ts));
    m.insert("wall_time_iso".into(), json!(info.wall_time));
    let mut source = serde_json::Map::new();
    source.insert("fsm_path".into(), json!(info.source_name));
    if let Some(crc) = info.fsm_crc32c {
        source.insert("fsm_crc32c".into(), json!(format!("{crc:08x}")));
    }
    source.insert("fsm_size_bytes".into(), json!(info.source_size));
    m.insert("source".into(), Value::Object(source));
    m.insert("adapters".into(), json!({ "sqs": { "queues": queues } }));
    m.insert(
        "exclusions".into(),
        json!({
            "include_incomplete_uploads": false,
            "include_orphans": false,
            "preserve_sqs_visibility": info.preserve_visibility,
            "include_sqs_side_records": info.include_side_records,
        }),
    );
    m.insert("checksum_algorithm".into(), json!("sha256"));
    m.insert("checksum_format".into(), json!("sha256sum"));
    m.insert(
        "encoded_filename_charset".into(),
        json!(ENCODED_FILENAME_CHARSET),
    );
    m.insert("key_segment_max_bytes".into(), json!(KEY_SEGMENT_MAX_BYTES));
    m.insert("s3_meta_suffix".into(), json!(".elastickv-meta.json"));
    m.insert("s3_collision_strategy".into(), json!("leaf-data-suffix"));
    m.insert("dynamodb_layout".into(), json!("per-item"));

    // Serialising a Value built from strings and integers cannot fail.
    let mut out = serde_json::to_vec_pretty(&Value::Object(m)).unwrap_or_default();
    out.push(b'\n');
    out
}

/// The bytes of `CHECKSUMS` for a model that already holds
/// `MANIFEST.json`: one `<sha256 hex>  <path>` line per file other than
/// `CHECKSUMS` itself, in path order.
pub fn checksums(model: &DumpModel) -> Result<Vec<u8>, Error> {
    checksum_lines(model.files.iter().map(|(p, b)| (p.as_str(), b.as_slice())))
}

/// `sha256sum` lines for the given files, sorted by path (byte order),
/// skipping `CHECKSUMS`.
fn checksum_lines<'a>(files: impl Iterator<Item = (&'a str, &'a [u8])>) -> Result<Vec<u8>, Error> {
    let sums: BTreeMap<&str, String> = files
        .filter(|(p, _)| *p != CHECKSUMS_FILE)
        .map(|(p, b)| (p, hex::encode(Sha256::digest(b))))
        .collect();
    sha256sum_lines(sums.iter().map(|(p, s)| (*p, s.as_str())))
}

/// The bytes of `CHECKSUMS` from each file's SHA-256 (lowercase hex), in
/// the order given (path order): one `<sha256 hex>  <path>` line per file.
/// A path that `sha256sum` could not read back verbatim (newline, carriage
/// return or backslash) is [`Error::UnsafeOutput`].
pub(crate) fn sha256sum_lines<'a>(
    sums: impl Iterator<Item = (&'a str, &'a str)>,
) -> Result<Vec<u8>, Error> {
    let mut out = Vec::new();
    for (path, sum) in sums {
        if path.contains(['\n', '\r', '\\']) {
            return Err(Error::UnsafeOutput {
                path: path.escape_debug().to_string(),
                reason: "path cannot be listed verbatim in CHECKSUMS".to_string(),
            });
        }
        out.extend_from_slice(sum.as_bytes());
        out.extend_from_slice(b"  ");
        out.extend_from_slice(path.as_bytes());
        out.push(b'\n');
    }
    Ok(out)
}

/// The environment variable of the reproducible-builds convention.
pub const SOURCE_DATE_EPOCH: &str = "SOURCE_DATE_EPOCH";

/// The last second RFC 3339 can spell (9999-12-31T23:59:59Z).
pub const MAX_EPOCH_SECONDS: u64 = 253_402_300_799;

/// `wall_time_iso`: `epoch` (seconds since the Unix epoch, from
/// `SOURCE_DATE_EPOCH`) when given, the current time otherwise.
pub fn wall_time(epoch: Option<u64>) -> String {
    match epoch {
        Some(secs) => rfc3339_utc(secs.min(MAX_EPOCH_SECONDS), 0),
        None => wall_time_now(),
    }
}

/// Parse a `SOURCE_DATE_EPOCH` value: decimal seconds since the Unix
/// epoch, at most [`MAX_EPOCH_SECONDS`].
pub fn parse_epoch(s: &str) -> Result<u64, String> {
    match s.parse::<u64>() {
        Ok(v) if v <= MAX_EPOCH_SECONDS && s.bytes().all(|b| b.is_ascii_digit()) => Ok(v),
        _ => Err(format!(
            "seconds since the Unix epoch, from 0 to {MAX_EPOCH_SECONDS}"
        )),
    }
}

/// Parse `decode --wall-time TIME`: an RFC 3339 UTC time in whole seconds
/// (`2020-01-01T00:00:00Z`), from 1970 to 9999, into seconds since the
/// Unix epoch.
pub fn parse_wall_time(s: &str) -> Result<u64, String> {
    let bad = || format!("{s:?} is not a UTC time like 2020-01-01T00:00:00Z");
    let b = s.as_bytes();
    if b.len() != 20 || b.get(19) != Some(&b'Z') {
        return Err(bad());
    }
    let num = |r: std::ops::Range<usize>| -> Option<u64> {
        let d = b.get(r)?;
        if !d.iter().all(u8::is_ascii_digit) {
            return None;
        }
        d.iter()
            .try_fold(0u64, |n, &c| Some(n * 10 + u64::from(c - b'0')))
    };
    let seps = [(4, b'-'), (7, b'-'), (10, b'T'), (13, b':'), (16, b':')];
    if seps.iter().any(|&(i, c)| b.get(i) != Some(&c)) {
        return Err(bad());
    }
    let field = |r: std::ops::Range<usize>, lo: u64, hi: u64| {
        num(r).filter(|v| (lo..=hi).contains(v)).ok_or_else(bad)
    };
    let year = field(0..4, 1970, 9999)?;
    let month = field(5..7, 1, 12)?;
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let month_days = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    let day = field(8..10, 1, month_days)?;
    let (hour, min, sec) = (
        field(11..13, 0, 23)?,
        field(14..16, 0, 59)?,
        field(17..19, 0, 59)?,
    );
    Ok(days_from_civil(year, month, day) * 86_400 + hour * 3600 + min * 60 + sec)
}

/// (year ≥ 1970, month, day) → days since 1970-01-01, the inverse of
/// [`civil_from_days`] (H. Hinnant's `days_from_civil`).
fn days_from_civil(year: u64, month: u64, day: u64) -> u64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y / 400;
    let yoe = y % 400;
    let mp = if month > 2 { month - 3 } else { month + 9 };
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    (era * 146_097 + doe).saturating_sub(719_468)
}

/// The current UTC time as RFC 3339 with milliseconds
/// (`2026-04-29T15:42:11.094Z`).
pub fn wall_time_now() -> String {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    rfc3339_utc(since.as_secs(), since.subsec_millis())
}

/// True when `s` is an RFC 3339 date-time (`2026-04-29T15:42:11.094Z`,
/// any number of fraction digits, `Z` or a `±hh:mm` offset), the form of
/// `wall_time_iso` (REQ-CLI-9). Ranges are checked field by field.
pub fn is_rfc3339(s: &str) -> bool {
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>, max: u32| {
        b.get(r).is_some_and(|d| {
            d.iter().all(u8::is_ascii_digit)
                && d.iter().fold(0u32, |n, c| n * 10 + u32::from(c - b'0')) <= max
        })
    };
    let at = |i: usize, c: u8| b.get(i) == Some(&c);
    let date_time = num(0..4, 9999)
        && at(4, b'-')
        && num(5..7, 12)
        && at(7, b'-')
        && num(8..10, 31)
        && matches!(b.get(10), Some(b'T' | b't'))
        && num(11..13, 23)
        && at(13, b':')
        && num(14..16, 59)
        && at(16, b':')
        && num(17..19, 60)
        && !b.get(5..7).is_some_and(|m| m == b"00")
        && !b.get(8..10).is_some_and(|d| d == b"00");
    if !date_time {
        return false;
    }
    let mut i = 19;
    if at(i, b'.') {
        let digits = b
            .get(i + 1..)
            .map_or(0, |r| r.iter().take_while(|c| c.is_ascii_digit()).count());
        if digits == 0 {
            return false;
        }
        i += 1 + digits;
    }
    match b.get(i..) {
        Some(b"Z" | b"z") => true,
        Some(rest) if rest.len() == 6 => {
            matches!(rest[0], b'+' | b'-')
                && num(i + 1..i + 3, 23)
                && at(i + 3, b':')
                && num(i + 4..i + 6, 59)
        }
        _ => false,
    }
}

/// Format seconds since the Unix epoch (plus milliseconds) as RFC 3339 UTC.
pub fn rfc3339_utc(secs: u64, millis: u32) -> String {
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60,
        millis.min(999)
    )
}

/// Days since 1970-01-01 → (year, month, day) in the proleptic Gregorian
/// calendar (H. Hinnant's `civil_from_days`, for non-negative days).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}
