//! The ENCODE_INFO sidecar `encode` writes beside every snapshot
//! (REQ-ENC-18): `<output>.encode_info.json`, in the schema of upstream's
//! `internal/backup/encode_info.go`, which upstream's restore tool
//! (`elastickv-snapshot-prepare-restore`) reads before it accepts a
//! payload.

use std::path::{Path, PathBuf};

use crate::jsonout::{write_go_bytes, write_indented, write_str, Html, Indented};

/// `format_version` of the sidecar schema.
pub const FORMAT_VERSION: u32 = 1;
/// `encoder_key_format_version`: upstream's `CurrentFormatVersion`, the
/// key format the restore tool requires.
pub const KEY_FORMAT_VERSION: u32 = 1;
/// Appended to the output path to name the sidecar.
pub const SIDECAR_SUFFIX: &str = ".encode_info.json";

/// `<output>.encode_info.json`: the output path with
/// [`SIDECAR_SUFFIX`] appended.
pub fn sidecar_path(output: &Path) -> PathBuf {
    let mut s = output.as_os_str().to_os_string();
    s.push(SIDECAR_SUFFIX);
    PathBuf::from(s)
}

/// `encoder_version`: `sqsdump <crate version>`.
pub fn encoder_version() -> String {
    format!("sqsdump {}", env!("CARGO_PKG_VERSION"))
}

/// `self_test`: whether the round-trip self-test ran and matched
/// (REQ-ENC-19).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SelfTest {
    /// `ran`: `--self-test` was given.
    pub ran: bool,
    /// `matched`: it ran and the decoded snapshot equals the input.
    pub matched: bool,
}

/// The sidecar's fields, in upstream's declaration order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodeInfo {
    /// `encoder_version`.
    pub encoder_version: String,
    /// `wall_time_iso`: when the snapshot was encoded, as Go's
    /// `time.RFC3339Nano` writes a UTC time ([`go_rfc3339_nano`]).
    pub wall_time_iso: String,
    /// `input_root`: `--input` as given.
    pub input_root: PathBuf,
    /// `output_fsm_path`: `--output` as given.
    pub output_fsm_path: PathBuf,
    /// `output_fsm_sha256`: lowercase hex SHA-256 of the snapshot.
    pub output_fsm_sha256: String,
    /// `last_commit_ts`: the timestamp stamped into the snapshot.
    pub last_commit_ts: u64,
    /// `last_commit_ts_overridden`: `--last-commit-ts` was given.
    pub last_commit_ts_overridden: bool,
    /// `manifest_last_commit_ts`: the dump manifest's `last_commit_ts`.
    pub manifest_last_commit_ts: u64,
    /// `manifest_cluster_id`: the manifest's `cluster_id`; the field is
    /// left out when empty.
    pub manifest_cluster_id: String,
    /// `self_test`.
    pub self_test: SelfTest,
}

/// A path as Go holds it in a string: its bytes, written by
/// [`write_go_bytes`] (invalid UTF-8 as `\ufffd` per byte).
fn path_json(p: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        write_go_bytes(&mut out, p.as_os_str().as_bytes(), Html::Escape);
    }
    #[cfg(not(unix))]
    write_go_bytes(
        &mut out,
        p.as_os_str().to_string_lossy().as_bytes(),
        Html::Escape,
    );
    out
}

fn string_json(s: &str) -> Indented {
    let mut out = Vec::new();
    write_str(&mut out, s, Html::Escape);
    Indented::Scalar(out)
}

fn num(n: impl itoa::Integer) -> Indented {
    Indented::Scalar(itoa::Buffer::new().format(n).as_bytes().to_vec())
}

fn boolean(b: bool) -> Indented {
    Indented::Scalar(if b {
        b"true".to_vec()
    } else {
        b"false".to_vec()
    })
}

impl EncodeInfo {
    /// The sidecar bytes, as upstream's `WriteEncodeInfo` writes them: a
    /// `json.Encoder` with `SetIndent("", "  ")` (two-space indent, HTML
    /// characters escaped, a trailing newline; REQ-ENC-18).
    pub fn to_json(&self) -> Vec<u8> {
        let mut fields: Vec<(&'static str, Indented)> = vec![
            ("format_version", num(FORMAT_VERSION)),
            ("encoder_version", string_json(&self.encoder_version)),
            ("encoder_key_format_version", num(KEY_FORMAT_VERSION)),
            ("wall_time_iso", string_json(&self.wall_time_iso)),
            ("input_root", Indented::Scalar(path_json(&self.input_root))),
            (
                "output_fsm_path",
                Indented::Scalar(path_json(&self.output_fsm_path)),
            ),
            ("output_fsm_sha256", string_json(&self.output_fsm_sha256)),
            ("last_commit_ts", num(self.last_commit_ts)),
            (
                "last_commit_ts_overridden",
                boolean(self.last_commit_ts_overridden),
            ),
            ("manifest_last_commit_ts", num(self.manifest_last_commit_ts)),
        ];
        if !self.manifest_cluster_id.is_empty() {
            fields.push((
                "manifest_cluster_id",
                string_json(&self.manifest_cluster_id),
            ));
        }
        fields.push((
            "adapters_enabled",
            Indented::Array(vec![string_json("sqs")]),
        ));
        fields.push((
            "self_test",
            Indented::Object(vec![
                ("ran", boolean(self.self_test.ran)),
                ("matched", boolean(self.self_test.matched)),
            ]),
        ));
        let mut out = Vec::with_capacity(640);
        write_indented(&mut out, &Indented::Object(fields), 0);
        out.push(b'\n');
        out
    }
}

/// A UTC time the way Go's `t.UTC().Format(time.RFC3339Nano)` writes it:
/// `2006-01-02T15:04:05.999999999Z`, the fraction's trailing zeros
/// trimmed and the dot dropped with them (`2023-11-14T22:13:20Z`).
/// `secs` is capped at 9999-12-31T23:59:59Z.
pub fn go_rfc3339_nano(secs: u64, nanos: u32) -> String {
    let secs = secs.min(crate::manifest::MAX_EPOCH_SECONDS);
    // rfc3339_utc writes `…SS.000Z` for zero milliseconds.
    let base = crate::manifest::rfc3339_utc(secs, 0);
    let whole = base.strip_suffix(".000Z").unwrap_or(&base);
    let frac = format!("{:09}", nanos.min(999_999_999));
    let frac = frac.trim_end_matches('0');
    if frac.is_empty() {
        format!("{whole}Z")
    } else {
        format!("{whole}.{frac}Z")
    }
}

/// `wall_time_iso` of a run: `epoch` (`SOURCE_DATE_EPOCH`, whole seconds)
/// when given, the current time with nanoseconds otherwise.
pub fn wall_time(epoch: Option<u64>) -> String {
    match epoch {
        Some(secs) => go_rfc3339_nano(secs, 0),
        None => {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default();
            go_rfc3339_nano(now.as_secs(), now.subsec_nanos())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // REQ-ENC-18
    #[test]
    fn wall_times_are_written_as_go_writes_rfc3339_nano() {
        assert_eq!(go_rfc3339_nano(1_700_000_000, 0), "2023-11-14T22:13:20Z");
        assert_eq!(
            go_rfc3339_nano(1_700_000_000, 120_000_000),
            "2023-11-14T22:13:20.12Z"
        );
        assert_eq!(
            go_rfc3339_nano(0, 999_999_999),
            "1970-01-01T00:00:00.999999999Z"
        );
        assert_eq!(go_rfc3339_nano(0, 1_000), "1970-01-01T00:00:00.000001Z");
        assert_eq!(go_rfc3339_nano(u64::MAX, 0), "9999-12-31T23:59:59Z");
        assert!(crate::manifest::is_rfc3339(&wall_time(None)));
    }

    // REQ-ENC-18
    #[test]
    fn the_sidecar_path_appends_the_suffix() {
        assert_eq!(
            sidecar_path(Path::new("/b/x.fsm")),
            PathBuf::from("/b/x.fsm.encode_info.json")
        );
        assert_eq!(
            sidecar_path(Path::new("x")),
            PathBuf::from("x.encode_info.json")
        );
    }
}
