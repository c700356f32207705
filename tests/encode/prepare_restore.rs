//! The checks upstream's `elastickv-snapshot-prepare-restore`
//! (`cmd/elastickv-snapshot-prepare-restore/main.go` at d9a031d0) runs on
//! an encoded payload and its ENCODE_INFO sidecar before it builds a raft
//! data directory, restated in Rust so that tests can check what
//! `sqsdump encode` writes against them (REQ-ENC-18). The order of the
//! checks is upstream's: read the sidecar, read the payload, check the
//! sidecar against the payload and the flags, then the HLC ceiling.
//!
//! The sidecar is read as Go's `encoding/json` reads it into upstream's
//! `EncodeInfo` struct, with the crate's Go-semantics reader
//! ([`sqsdump::gojson`]): keys matched case-insensitively, unknown fields
//! ignored, wrong types refused. Two simplifications: `adapters_enabled`
//! is skipped unchecked (no rule reads it), and repeated `self_test` keys
//! that differ only in case are merged in key order rather than document
//! order.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use sha2::{Digest, Sha256};
use sqsdump::fsm::{Entry, Reader};
use sqsdump::gojson::{self, Slot, Target};

/// `maxEncodeInfoBytes`.
pub const MAX_SIDECAR_BYTES: u64 = 1 << 20;
/// `backup.EncodeInfoFormatVersion`.
pub const ENCODE_INFO_FORMAT_VERSION: u32 = 1;
/// `backup.CurrentFormatVersion`.
pub const CURRENT_FORMAT_VERSION: u32 = 1;
/// The largest physical millisecond of an HLC timestamp (48 bits).
const MAX_HLC_PHYSICAL_MS: u64 = (1 << 48) - 1;

/// The restore flags that the checks read.
#[derive(Debug, Clone, Default)]
pub struct Flags {
    /// `--target-cluster-id`.
    pub target_cluster_id: String,
    /// `--fresh-cluster`.
    pub fresh_cluster: bool,
    /// `--allow-missing-cluster-id`.
    pub allow_missing_cluster_id: bool,
    /// `--allow-unverified-self-test`.
    pub allow_unverified_self_test: bool,
}

/// Why the restore tool refuses, one variant per upstream sentinel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The sidecar or payload cannot be opened, is a symlink or is not a
    /// regular file.
    Unreadable(String),
    /// `errRestoreEncodeInfoTooLarge`.
    SidecarTooLarge,
    /// `ErrUnsupportedEncodeInfoFormatVersion`.
    UnsupportedFormatVersion(u32),
    /// `errRestoreEncodeInfoMalformed`.
    Malformed(String),
    /// The payload does not read as a snapshot.
    BadPayload(String),
    /// `errRestoreSnapshotTimestampCeiling`.
    TimestampCeiling {
        /// The largest entry commit_ts.
        max_entry: u64,
        /// The header's last_commit_ts.
        header: u64,
    },
    /// `errRestoreSHA256Missing`.
    Sha256Missing,
    /// `errRestoreSHA256Mismatch`.
    Sha256Mismatch,
    /// `errRestoreKeyFormatMismatch`.
    KeyFormatMismatch(u32),
    /// `errRestoreSelfTestMissing`.
    SelfTestMissing,
    /// `errRestoreClusterIDMissing`.
    ClusterIdMissing,
    /// `errRestoreClusterIDMismatch`.
    ClusterIdMismatch,
    /// `errRestoreHLCCeilingOverflow`.
    HlcCeilingOverflow,
}

/// The sidecar fields the checks read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Info {
    pub format_version: u32,
    pub encoder_version: String,
    pub encoder_key_format_version: u32,
    pub wall_time_iso: String,
    pub input_root: String,
    pub output_fsm_path: String,
    pub output_fsm_sha256: String,
    pub last_commit_ts: u64,
    pub last_commit_ts_overridden: bool,
    pub manifest_last_commit_ts: u64,
    pub manifest_cluster_id: String,
    pub self_test_ran: bool,
    pub self_test_matched: bool,
}

struct Probe(u32);

impl Target for Probe {
    const FIELDS: &'static [&'static str] = &["format_version"];
    fn slot(&mut self, _: usize) -> Option<Slot<'_>> {
        Some(Slot::U32(&mut self.0))
    }
}

#[derive(Default)]
struct InfoTarget {
    info: Info,
    self_test: BTreeMap<String, Vec<u8>>,
}

impl Target for InfoTarget {
    const FIELDS: &'static [&'static str] = &[
        "format_version",
        "encoder_version",
        "encoder_key_format_version",
        "wall_time_iso",
        "input_root",
        "output_fsm_path",
        "output_fsm_sha256",
        "last_commit_ts",
        "last_commit_ts_overridden",
        "manifest_last_commit_ts",
        "manifest_cluster_id",
        "adapters_enabled",
        "self_test",
    ];
    fn slot(&mut self, index: usize) -> Option<Slot<'_>> {
        let i = &mut self.info;
        Some(match index {
            0 => Slot::U32(&mut i.format_version),
            1 => Slot::Str(&mut i.encoder_version),
            2 => Slot::U32(&mut i.encoder_key_format_version),
            3 => Slot::Str(&mut i.wall_time_iso),
            4 => Slot::Str(&mut i.input_root),
            5 => Slot::Str(&mut i.output_fsm_path),
            6 => Slot::Str(&mut i.output_fsm_sha256),
            7 => Slot::U64(&mut i.last_commit_ts),
            8 => Slot::Bool(&mut i.last_commit_ts_overridden),
            9 => Slot::U64(&mut i.manifest_last_commit_ts),
            10 => Slot::Str(&mut i.manifest_cluster_id),
            12 => Slot::RawMap(&mut self.self_test),
            _ => return None,
        })
    }
}

#[derive(Default)]
struct SelfTestTarget {
    ran: bool,
    matched: bool,
}

impl Target for SelfTestTarget {
    const FIELDS: &'static [&'static str] = &["ran", "matched"];
    fn slot(&mut self, index: usize) -> Option<Slot<'_>> {
        match index {
            0 => Some(Slot::Bool(&mut self.ran)),
            1 => Some(Slot::Bool(&mut self.matched)),
            _ => None,
        }
    }
}

/// Open a file the way `openRegularRestoreFile` does: no symlink, a
/// regular file.
fn open_regular(path: &Path, kind: &str) -> Result<std::fs::File, Refusal> {
    let meta = std::fs::symlink_metadata(path)
        .map_err(|e| Refusal::Unreadable(format!("{kind} {}: {e}", path.display())))?;
    if meta.file_type().is_symlink() {
        return Err(Refusal::Unreadable(format!(
            "{kind} {} is a symlink",
            path.display()
        )));
    }
    if !meta.is_file() {
        return Err(Refusal::Unreadable(format!(
            "{kind} {} is not a regular file",
            path.display()
        )));
    }
    std::fs::File::open(path)
        .map_err(|e| Refusal::Unreadable(format!("{kind} {}: {e}", path.display())))
}

/// `readEncodeInfo` + `backup.ReadEncodeInfo`.
pub fn read_sidecar(path: &Path) -> Result<Info, Refusal> {
    let mut body = Vec::new();
    open_regular(path, "encode-info")?
        .take(MAX_SIDECAR_BYTES + 1)
        .read_to_end(&mut body)
        .map_err(|e| Refusal::Unreadable(e.to_string()))?;
    if body.len() as u64 > MAX_SIDECAR_BYTES {
        return Err(Refusal::SidecarTooLarge);
    }
    let mut probe = Probe(0);
    gojson::unmarshal(&body, &mut probe).map_err(|e| Refusal::Malformed(e.to_string()))?;
    if probe.0 != ENCODE_INFO_FORMAT_VERSION {
        return Err(Refusal::UnsupportedFormatVersion(probe.0));
    }
    let mut t = InfoTarget::default();
    gojson::unmarshal(&body, &mut t).map_err(|e| Refusal::Malformed(e.to_string()))?;
    let mut obj = b"{".to_vec();
    for (i, (k, v)) in t.self_test.iter().enumerate() {
        if i > 0 {
            obj.push(b',');
        }
        obj.extend_from_slice(serde_json::to_string(k).unwrap().as_bytes());
        obj.push(b':');
        obj.extend_from_slice(v);
    }
    obj.push(b'}');
    let mut st = SelfTestTarget::default();
    gojson::unmarshal(&obj, &mut st).map_err(|e| Refusal::Malformed(e.to_string()))?;
    t.info.self_test_ran = st.ran;
    t.info.self_test_matched = st.matched;
    Ok(t.info)
}

struct Tee<R> {
    inner: R,
    hash: Sha256,
}

impl<R: Read> Read for Tee<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hash.update(&buf[..n]);
        Ok(n)
    }
}

/// `validatePayload`: the header's last_commit_ts and the lowercase hex
/// SHA-256 of the bytes read.
pub fn read_payload(path: &Path) -> Result<(u64, String), Refusal> {
    let file = open_regular(path, "payload")?;
    let mut tee = Tee {
        inner: file,
        hash: Sha256::new(),
    };
    let (header, max_entry) = {
        let mut r = Reader::new(&mut tee).map_err(|e| Refusal::BadPayload(e.to_string()))?;
        let mut max_entry = 0u64;
        while let Some(e) = r
            .next_entry()
            .map_err(|e| Refusal::BadPayload(e.to_string()))?
        {
            match e {
                Entry::Version(v) => max_entry = max_entry.max(v.commit_ts),
                // Upstream's reader frames every entry as an MVCC version;
                // a raw operational key has an 8-byte value, which it
                // refuses as a short value.
                Entry::Operational { key } => {
                    return Err(Refusal::BadPayload(format!("raw key {key:?}")))
                }
            }
        }
        (r.last_commit_ts(), max_entry)
    };
    if max_entry > header {
        return Err(Refusal::TimestampCeiling { max_entry, header });
    }
    Ok((header, hex::encode(tee.hash.finalize())))
}

/// `validateEncodeInfo` + `validateClusterID`.
fn check_info(info: &Info, sha: &str, flags: &Flags) -> Result<(), Refusal> {
    if info.output_fsm_sha256.is_empty() {
        return Err(Refusal::Sha256Missing);
    }
    // strings.EqualFold on hex digits is an ASCII case-insensitive compare.
    if !info.output_fsm_sha256.eq_ignore_ascii_case(sha) {
        return Err(Refusal::Sha256Mismatch);
    }
    if info.encoder_key_format_version != CURRENT_FORMAT_VERSION {
        return Err(Refusal::KeyFormatMismatch(info.encoder_key_format_version));
    }
    if !flags.allow_unverified_self_test && (!info.self_test_ran || !info.self_test_matched) {
        return Err(Refusal::SelfTestMissing);
    }
    let source = info.manifest_cluster_id.as_str();
    match () {
        _ if source.is_empty() && flags.allow_missing_cluster_id => Ok(()),
        _ if source.is_empty() => Err(Refusal::ClusterIdMissing),
        _ if flags.fresh_cluster => Ok(()),
        _ if flags.target_cluster_id.is_empty() => Err(Refusal::ClusterIdMissing),
        _ if source != flags.target_cluster_id => Err(Refusal::ClusterIdMismatch),
        _ => Ok(()),
    }
}

/// Every check of `prepare` before the data directory is written, on
/// `payload` and its sidecar (`<payload>.encode_info.json` unless given).
/// The sidecar's fields when all pass.
pub fn check(payload: &Path, sidecar: Option<&Path>, flags: &Flags) -> Result<Info, Refusal> {
    let default = {
        let mut s = payload.as_os_str().to_os_string();
        s.push(".encode_info.json");
        std::path::PathBuf::from(s)
    };
    let info = read_sidecar(sidecar.unwrap_or(&default))?;
    let (header, sha) = read_payload(payload)?;
    check_info(&info, &sha, flags)?;
    if header != 0 && header >> 16 == MAX_HLC_PHYSICAL_MS {
        return Err(Refusal::HlcCeilingOverflow);
    }
    Ok(info)
}
