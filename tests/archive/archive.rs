//! `sqsdump archive pack|unpack` (REQ-ARC-*): round trips, reproducible
//! bytes, upstream's entry order, and one test per refusal, each checking
//! the error class, that the entry is named, and that nothing is left.

use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output};

use proptest::prelude::*;
use sqsdump::archive::{self, Budget, Compression, PackOptions};
use sqsdump::decode::Options;
use sqsdump::manifest::{add_manifest, ManifestInfo};

use crate::common::run::names;
use crate::common::{gen_bytes, tree, valid};

const BIN: &str = env!("CARGO_BIN_EXE_sqsdump");
const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/sample.fsm");
const WALL: u64 = 1_700_000_000;

fn run(args: &[&str], envs: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.args(args).env_remove("SOURCE_DATE_EPOCH");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.output().expect("run sqsdump")
}

fn ok(out: &Output) {
    assert!(
        out.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The error line's class, asserting exit 1.
fn class_of(out: &Output) -> String {
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    let line = err
        .lines()
        .find(|l| l.starts_with("error["))
        .unwrap_or_else(|| panic!("no error line: {err}"));
    line["error[".len()..line.find(']').unwrap()].to_string()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Decode the bundled sample into `dir` with a fixed wall time.
fn sample_dump(dir: &Path) {
    ok(&run(
        &[
            "decode",
            "--input",
            SAMPLE,
            "--output",
            dir.to_str().unwrap(),
            "--include-sqs-side-records",
        ],
        &[("SOURCE_DATE_EPOCH", "1700000000")],
    ));
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

// REQ-ARC-3 REQ-ARC-6 REQ-ARC-7: pack then unpack gives the original tree
// back, with either compression, chosen by suffix or flag; unpack finds
// the compression from the content, whatever the name says.
#[test]
fn pack_then_unpack_gives_the_same_tree_with_either_compression() {
    let tmp = tempfile::tempdir().unwrap();
    let dump = tmp.path().join("dump");
    sample_dump(&dump);
    let want = tree(&dump);
    for (name, flag, zstd) in [
        ("a.tar", None, false),
        ("a.tar.zst", None, true),
        ("b.tar", Some("zstd"), true),
        ("b.tar.zst", Some("none"), false),
    ] {
        let arc = tmp.path().join(name);
        let mut args = vec!["archive", "pack", "-i", s(&dump), "-o", s(&arc)];
        if let Some(f) = flag {
            args.extend(["--compression", f]);
        }
        ok(&run(&args, &[]));
        let bytes = fs::read(&arc).unwrap();
        assert_eq!(bytes.starts_with(&archive::ZSTD_MAGIC), zstd, "{name}");
        let back = tmp.path().join(format!("back-{name}"));
        ok(&run(
            &["archive", "unpack", "-i", s(&arc), "-o", s(&back)],
            &[],
        ));
        assert_eq!(tree(&back), want, "{name}");
    }
    // Standard input, and an empty directory as the output.
    let back = tmp.path().join("from-stdin");
    fs::create_dir(&back).unwrap();
    let out = Command::new(BIN)
        .args(["archive", "unpack", "-i", "-", "-o", s(&back)])
        .stdin(fs::File::open(tmp.path().join("a.tar.zst")).unwrap())
        .output()
        .unwrap();
    ok(&out);
    assert_eq!(tree(&back), want);
}

/// (name, type, mode, uid, gid, uname, gname, mtime) of every entry.
type Meta = (String, u8, u32, u64, u64, Vec<u8>, Vec<u8>, u64);

fn headers(tar_bytes: &[u8]) -> Vec<Meta> {
    let mut a = tar::Archive::new(tar_bytes);
    a.entries()
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let h = e.header();
            (
                String::from_utf8(e.path_bytes().into_owned()).unwrap(),
                h.entry_type().as_byte(),
                h.mode().unwrap(),
                h.uid().unwrap(),
                h.gid().unwrap(),
                h.username_bytes().unwrap_or_default().to_vec(),
                h.groupname_bytes().unwrap_or_default().to_vec(),
                h.mtime().unwrap(),
            )
        })
        .collect()
}

// REQ-ARC-2: entries in upstream's order (every directory and file,
// sorted bytewise, directories without a trailing `/`), uid and gid 0, no
// owner names, fixed modes, the manifest's wall time as every mtime.
#[test]
fn entries_are_sorted_with_fixed_owners_modes_and_mtime() {
    let tmp = tempfile::tempdir().unwrap();
    let dump = tmp.path().join("dump");
    sample_dump(&dump);
    let arc = tmp.path().join("a.tar");
    ok(&run(
        &["archive", "pack", "-i", s(&dump), "-o", s(&arc)],
        &[],
    ));
    let hs = headers(&fs::read(&arc).unwrap());
    let names: Vec<&str> = hs.iter().map(|h| h.0.as_str()).collect();
    let mut want: Vec<String> = tree(&dump).into_iter().map(|(p, _)| p).collect();
    want.sort();
    assert_eq!(names, want);
    assert!(names.contains(&"sqs") && names.contains(&"sqs/orders"));
    for (name, kind, mode, uid, gid, uname, gname, mtime) in &hs {
        let dir = *kind == b'5';
        assert!(dir || *kind == b'0', "{name}");
        assert_eq!(*mode, if dir { 0o755 } else { 0o644 }, "{name}");
        assert_eq!((*uid, *gid), (0, 0), "{name}");
        assert!(uname.is_empty() && gname.is_empty(), "{name}");
        assert_eq!(*mtime, WALL, "{name}");
    }
    // SOURCE_DATE_EPOCH sets the mtime instead.
    let arc2 = tmp.path().join("b.tar");
    ok(&run(
        &["archive", "pack", "-i", s(&dump), "-o", s(&arc2)],
        &[("SOURCE_DATE_EPOCH", "86400")],
    ));
    assert!(headers(&fs::read(&arc2).unwrap())
        .iter()
        .all(|h| h.7 == 86400));
}

fn set_mtime(path: &Path, secs: &str) {
    assert!(Command::new("touch")
        .args(["-h", "-d", secs, s(path)])
        .status()
        .unwrap()
        .success());
}

// REQ-ARC-2: two copies of a dump with different mtimes, modes and owners
// on disk, packed at different times, give identical bytes (both
// compressions).
#[test]
fn the_same_dump_packs_to_the_same_bytes_whatever_the_disk_says() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a");
    let b = tmp.path().join("b");
    sample_dump(&a);
    std::thread::sleep(std::time::Duration::from_millis(1100));
    sample_dump(&b);
    for (rel, _) in tree(&b) {
        let p = b.join(&rel);
        let dir = p.is_dir();
        fs::set_permissions(
            &p,
            fs::Permissions::from_mode(if dir { 0o700 } else { 0o600 }),
        )
        .unwrap();
        set_mtime(&p, "2001-02-03 04:05:06");
        // Another owner where this process may give one (root).
        let _ = std::os::unix::fs::chown(&p, Some(4242), Some(4343));
    }
    for ext in ["tar", "tar.zst"] {
        let pa = tmp.path().join(format!("a.{ext}"));
        let pb = tmp.path().join(format!("b.{ext}"));
        ok(&run(&["archive", "pack", "-i", s(&a), "-o", s(&pa)], &[]));
        ok(&run(&["archive", "pack", "-i", s(&b), "-o", s(&pb)], &[]));
        assert_eq!(fs::read(&pa).unwrap(), fs::read(&pb).unwrap(), "{ext}");
    }
}

// REQ-ARC-1: pack refuses a tree with a symlink, a hard link, a FIFO or a
// file CHECKSUMS does not list, a changed file or a bad manifest, naming
// the file; nothing is written.
#[test]
fn pack_refuses_unsafe_or_unchecked_trees_and_writes_nothing() {
    type Spoil = fn(&Path);
    let cases: [(&str, Spoil, &str, &str); 7] = [
        (
            "symlink",
            |d| std::os::unix::fs::symlink("_queue.json", d.join("sqs/orders/link")).unwrap(),
            "archive_non_regular",
            "sqs/orders/link",
        ),
        (
            "hard link",
            |d| fs::hard_link(d.join("sqs/orders/_queue.json"), d.join("extra")).unwrap(),
            "archive_non_regular",
            "extra",
        ),
        (
            "fifo",
            |d| {
                assert!(Command::new("mkfifo")
                    .arg(d.join("sqs/pipe"))
                    .status()
                    .unwrap()
                    .success())
            },
            "archive_non_regular",
            "sqs/pipe",
        ),
        (
            "unlisted",
            |d| fs::write(d.join("sqs/orders/notes.txt"), b"x").unwrap(),
            "archive_unlisted_file",
            "sqs/orders/notes.txt",
        ),
        (
            "changed",
            |d| {
                let mut f = fs::OpenOptions::new()
                    .append(true)
                    .open(d.join("sqs/orders/messages.jsonl"))
                    .unwrap();
                f.write_all(b"{}\n").unwrap();
            },
            "checksum_mismatch",
            "sqs/orders/messages.jsonl",
        ),
        (
            "format 2",
            |d| {
                let m = fs::read_to_string(d.join("MANIFEST.json")).unwrap();
                fs::write(
                    d.join("MANIFEST.json"),
                    m.replace("\"format_version\": 1", "\"format_version\": 2"),
                )
                .unwrap();
            },
            "invalid_manifest",
            "MANIFEST.json",
        ),
        (
            "no checksums",
            |d| fs::remove_file(d.join("CHECKSUMS")).unwrap(),
            "invalid_checksums",
            "CHECKSUMS",
        ),
    ];
    for (what, spoil, class, named) in cases {
        let tmp = tempfile::tempdir().unwrap();
        let dump = tmp.path().join("dump");
        sample_dump(&dump);
        spoil(&dump);
        let out_dir = tmp.path().join("out");
        fs::create_dir(&out_dir).unwrap();
        let r = run(
            &[
                "archive",
                "pack",
                "-i",
                s(&dump),
                "-o",
                s(&out_dir.join("a.tar.zst")),
            ],
            &[],
        );
        assert_eq!(class_of(&r), class, "{what}: {}", stderr(&r));
        assert!(stderr(&r).contains(named), "{what}: {}", stderr(&r));
        assert!(names(&out_dir).is_empty(), "{what}");
    }
}

// REQ-ARC-3: an existing output is never replaced, and an output inside
// the tree being packed is refused.
#[test]
fn pack_never_replaces_a_file_or_writes_inside_the_tree() {
    let tmp = tempfile::tempdir().unwrap();
    let dump = tmp.path().join("dump");
    sample_dump(&dump);
    let there = tmp.path().join("there.tar");
    fs::write(&there, b"keep").unwrap();
    let r = run(&["archive", "pack", "-i", s(&dump), "-o", s(&there)], &[]);
    assert_eq!(class_of(&r), "unsafe_output");
    assert_eq!(fs::read(&there).unwrap(), b"keep");
    let inside = dump.join("sqs/a.tar");
    let r = run(&["archive", "pack", "-i", s(&dump), "-o", s(&inside)], &[]);
    assert_eq!(class_of(&r), "unsafe_output");
    assert!(!inside.exists());
    assert_eq!(names(tmp.path()), ["dump", "there.tar"]);
}

/// One tar entry with its name written verbatim into the header.
fn raw_entry(out: &mut Vec<u8>, name: &[u8], kind: u8, data: &[u8]) {
    let mut h = tar::Header::new_ustar();
    h.as_old_mut().name[..name.len()].copy_from_slice(name);
    h.set_entry_type(tar::EntryType::new(kind));
    h.set_mode(0o644);
    h.set_size(data.len() as u64);
    if kind == b'2' || kind == b'1' {
        h.set_link_name("MANIFEST.json").unwrap();
    }
    h.set_cksum();
    out.extend_from_slice(h.as_bytes());
    out.extend_from_slice(data);
    out.resize(out.len().div_ceil(512) * 512, 0);
}

/// A valid archive of the sample dump, as plain tar.
fn sample_tar(tmp: &Path) -> Vec<u8> {
    let dump = tmp.join("src-dump");
    sample_dump(&dump);
    let arc = tmp.join("src.tar");
    ok(&run(
        &["archive", "pack", "-i", s(&dump), "-o", s(&arc)],
        &[],
    ));
    fs::read(&arc).unwrap()
}

/// `tar` with `extra` inserted before its end-of-archive blocks.
fn with_entry(tar_bytes: &[u8], extra: &[u8]) -> Vec<u8> {
    let mut v = tar_bytes[..tar_bytes.len() - 1024].to_vec();
    v.extend_from_slice(extra);
    v.extend_from_slice(&[0u8; 1024]);
    v
}

fn unpack_fails(arc: &[u8], extra_args: &[&str]) -> (String, String) {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in.tar");
    fs::write(&input, arc).unwrap();
    let parent = tmp.path().join("p");
    fs::create_dir(&parent).unwrap();
    let out = parent.join("out");
    let mut args = vec!["archive", "unpack", "-i", s(&input), "-o", s(&out)];
    args.extend_from_slice(extra_args);
    let r = run(&args, &[]);
    let class = class_of(&r);
    assert!(
        names(&parent).is_empty(),
        "left behind: {:?}",
        names(&parent)
    );
    (class, stderr(&r))
}

// REQ-ARC-4: unpack refuses, naming the entry, absolute and `..` names,
// empty and duplicate names, symlinks, hard links, devices and FIFOs;
// nothing is left behind.
#[test]
fn unpack_refuses_each_unsafe_entry_and_leaves_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let good = sample_tar(tmp.path());
    let cases: [(&[u8], u8, &str, &str); 11] = [
        (b"/etc/evil", b'0', "archive_unsafe_path", "/etc/evil"),
        (b"../evil", b'0', "archive_unsafe_path", "../evil"),
        (
            b"sqs/../../evil",
            b'0',
            "archive_unsafe_path",
            "sqs/../../evil",
        ),
        (b"", b'0', "archive_unsafe_path", "empty"),
        (b"sqs//x", b'0', "archive_unsafe_path", "sqs//x"),
        (b"CHECKSUMS", b'0', "archive_duplicate_entry", "CHECKSUMS"),
        (b"sqs/orders", b'5', "archive_duplicate_entry", "sqs/orders"),
        (b"sqs/link", b'2', "archive_non_regular", "symlink"),
        (b"sqs/hard", b'1', "archive_non_regular", "hard link"),
        (b"sqs/dev", b'3', "archive_non_regular", "character device"),
        (b"sqs/fifo", b'6', "archive_non_regular", "FIFO"),
    ];
    for (name, kind, class, named) in cases {
        let mut extra = Vec::new();
        raw_entry(&mut extra, name, kind, b"");
        let (got, err) = unpack_fails(&with_entry(&good, &extra), &[]);
        assert_eq!(got, class, "{}: {err}", name.escape_ascii());
        assert!(err.contains(named), "{}: {err}", name.escape_ascii());
    }
    // A block device and a file below a file, too.
    let mut extra = Vec::new();
    raw_entry(&mut extra, b"sqs/blk", b'4', b"");
    assert_eq!(
        unpack_fails(&with_entry(&good, &extra), &[]).0,
        "archive_non_regular"
    );
    let mut extra = Vec::new();
    raw_entry(&mut extra, b"MANIFEST.json/x", b'0', b"");
    assert_eq!(
        unpack_fails(&with_entry(&good, &extra), &[]).0,
        "archive_duplicate_entry"
    );
}

// REQ-ARC-5: the entry and byte budgets (flags), and a zstd stream that
// expands beyond what the budget allows, are refused naming the entry.
#[test]
fn unpack_refuses_archives_over_the_budget() {
    let tmp = tempfile::tempdir().unwrap();
    let good = sample_tar(tmp.path());
    let (class, err) = unpack_fails(&good, &["--max-entries", "3"]);
    assert_eq!(class, "archive_budget_exceeded");
    assert!(err.contains("more than 3 entries"), "{err}");
    let (class, err) = unpack_fails(&good, &["--max-bytes", "100"]);
    assert_eq!(class, "archive_budget_exceeded");
    assert!(
        err.contains("MANIFEST.json") || err.contains("CHECKSUMS"),
        "{err}"
    );
    // 64 MiB of zeros after one small entry: the zstd frame is tiny, the
    // stream it expands to is far over a 1 MiB budget.
    let mut bomb = Vec::new();
    raw_entry(&mut bomb, b"MANIFEST.json", b'0', b"{}");
    let mut tar_bytes = bomb.clone();
    let mut big = Vec::new();
    raw_entry(&mut big, b"CHECKSUMS", b'0', &vec![0u8; 64 << 20]);
    tar_bytes.extend_from_slice(&big);
    let z = zstd::encode_all(&tar_bytes[..], 19).unwrap();
    assert!(z.len() < 64 << 10);
    let (class, err) = unpack_fails(&z, &["--max-bytes", "1048576", "--max-entries", "10"]);
    assert_eq!(class, "archive_budget_exceeded", "{err}");
    assert!(err.contains("CHECKSUMS"), "{err}");
}

// REQ-ARC-6: an archive whose entries are safe but whose tree fails the
// dump checks (a changed file, a file CHECKSUMS does not list, no
// manifest) or that is not a tar stream is refused after extraction, and
// the staged tree is removed: nothing is left.
#[test]
fn unpack_checks_the_whole_tree_before_it_is_put_in_place() {
    let tmp = tempfile::tempdir().unwrap();
    let good = sample_tar(tmp.path());
    let mut extra = Vec::new();
    raw_entry(&mut extra, b"sqs/orders/notes.txt", b'0', b"x");
    let (class, err) = unpack_fails(&with_entry(&good, &extra), &[]);
    assert_eq!(class, "archive_unlisted_file");
    assert!(err.contains("sqs/orders/notes.txt"), "{err}");

    // One byte of a message file changed inside the archive.
    let mut changed = good.clone();
    let at = changed
        .windows(12)
        .position(|w| w == b"\"message_id\"")
        .unwrap();
    changed[at + 1] = b'M';
    let (class, err) = unpack_fails(&changed, &[]);
    assert_eq!(class, "checksum_mismatch");
    assert!(err.contains("messages.jsonl"), "{err}");

    let mut only = Vec::new();
    raw_entry(&mut only, b"sqs/x", b'0', b"x");
    only.extend_from_slice(&[0u8; 1024]);
    assert_eq!(unpack_fails(&only, &[]).0, "invalid_manifest");

    assert_eq!(unpack_fails(b"not a tar at all", &[]).0, "archive_invalid");
    assert_eq!(
        unpack_fails(&good[..good.len() / 2], &[]).0,
        "archive_invalid"
    );
    let z = zstd::encode_all(&good[..], 3).unwrap();
    assert_eq!(unpack_fails(&z[..z.len() / 2], &[]).0, "archive_invalid");
    // An existing, non-empty output is refused and left as it was.
    let out = tmp.path().join("busy");
    fs::create_dir(&out).unwrap();
    fs::write(out.join("f"), b"x").unwrap();
    let input = tmp.path().join("good.tar");
    fs::write(&input, &good).unwrap();
    let r = run(&["archive", "unpack", "-i", s(&input), "-o", s(&out)], &[]);
    assert_eq!(class_of(&r), "unsafe_output");
    assert_eq!(names(&out), ["f"]);
}

// REQ-ARC-4: a GNU tar archive (`./` entries, owner names, real modes and
// mtimes) unpacks, as upstream's does.
#[test]
fn a_gnu_tar_archive_with_dot_slash_entries_unpacks() {
    let tmp = tempfile::tempdir().unwrap();
    let dump = tmp.path().join("dump");
    sample_dump(&dump);
    let arc = tmp.path().join("gnu.tar");
    let st = Command::new("tar")
        .args(["-C", s(&dump), "-cf", s(&arc), "."])
        .status();
    let Ok(st) = st else {
        eprintln!("skipped: no tar command");
        return;
    };
    assert!(st.success());
    let back = tmp.path().join("back");
    ok(&run(
        &["archive", "unpack", "-i", s(&arc), "-o", s(&back)],
        &[],
    ));
    assert_eq!(tree(&back), tree(&dump));
}

/// A dump of a generated snapshot, written to `dir`.
fn generated_dump(dir: &Path, seed: u64, queues: usize, messages: u64, side: bool) {
    let fsm = gen_bytes(valid(seed, queues, messages));
    let opts = Options {
        preserve_visibility: false,
        include_side_records: side,
        require_footer: false,
    };
    let (mut model, summary) =
        sqsdump::snapshot::decode_snapshot(&fsm[..], opts, &mut |_| {}).unwrap();
    let _ = summary;
    add_manifest(
        &mut model,
        &ManifestInfo {
            source_name: "gen.fsm".to_string(),
            source_size: fsm.len() as u64,
            include_side_records: side,
            wall_time: "2023-11-14T22:13:20.123Z".to_string(),
            ..ManifestInfo::default()
        },
    )
    .unwrap();
    sqsdump::write::write_dump(&model, dir).unwrap();
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(24)
    ))]

    // REQ-ARC-6: for generated dumps, pack then unpack (library) gives
    // the original tree, with either compression, and packing twice
    // gives the same bytes.
    #[test]
    fn pack_then_unpack_round_trips_generated_dumps(
        seed in 0u64..10_000, queues in 1usize..4, messages in 0u64..40,
        side in any::<bool>(), zstd in any::<bool>(),
    ) {
        let tmp = tempfile::tempdir().unwrap();
        let dump = tmp.path().join("dump");
        generated_dump(&dump, seed, queues, messages, side);
        let opts = PackOptions {
            compression: if zstd { Compression::Zstd } else { Compression::None },
            source_date_epoch: None,
        };
        let a = tmp.path().join("a");
        let b = tmp.path().join("b");
        archive::pack(&dump, &a, &opts, None).unwrap();
        archive::pack(&dump, &b, &opts, None).unwrap();
        prop_assert_eq!(fs::read(&a).unwrap(), fs::read(&b).unwrap());
        let back = tmp.path().join("back");
        let r = archive::unpack(&a, &back, Budget::default(), None).unwrap();
        prop_assert_eq!(r.compression, opts.compression);
        prop_assert_eq!(tree(&back), tree(&dump));
    }

    // REQ-ARC-4: an archive of a generated dump with one unsafe entry
    // inserted anywhere is refused, and nothing is left beside the
    // output.
    #[test]
    fn one_unsafe_entry_anywhere_is_refused_and_leaves_nothing(
        seed in 0u64..10_000, at in any::<prop::sample::Index>(),
        which in 0usize..8, zstd in any::<bool>(),
    ) {
        let tmp = tempfile::tempdir().unwrap();
        let dump = tmp.path().join("dump");
        generated_dump(&dump, seed, 2, 6, false);
        let arc = tmp.path().join("a.tar");
        archive::pack(&dump, &arc, &PackOptions {
            compression: Compression::None, source_date_epoch: None,
        }, None).unwrap();
        let good = fs::read(&arc).unwrap();
        // Entry boundaries: every header of the packed archive.
        let mut starts = Vec::new();
        let mut ar = tar::Archive::new(&good[..]);
        for e in ar.entries().unwrap() {
            starts.push(e.unwrap().raw_header_position() as usize);
        }
        starts.push(good.len() - 1024);
        let pos = starts[at.index(starts.len())];
        let bad: [(&[u8], u8); 8] = [
            (b"/abs", b'0'), (b"../up", b'0'), (b"sqs/../../up", b'0'), (b"", b'0'),
            (b"MANIFEST.json", b'0'), (b"sqs/l", b'2'), (b"sqs/h", b'1'), (b"sqs/f", b'6'),
        ];
        let (name, kind) = bad[which];
        let mut extra = Vec::new();
        raw_entry(&mut extra, name, kind, b"");
        let mut v = good[..pos].to_vec();
        v.extend_from_slice(&extra);
        v.extend_from_slice(&good[pos..]);
        if zstd {
            v = zstd::encode_all(&v[..], 1).unwrap();
        }
        let parent = tmp.path().join("p");
        fs::create_dir(&parent).unwrap();
        let r = archive::unpack_reader(&v[..], &parent.join("out"), Budget::default(), None);
        prop_assert!(r.is_err());
        let class = r.unwrap_err().class();
        prop_assert!(class.starts_with("archive_"), "{}", class);
        prop_assert!(names(&parent).is_empty());
    }
}

// REQ-ARC-9: `decode --output X.tar[.zst]` writes the archive that
// `decode` followed by `archive pack` writes, byte for byte, and leaves
// nothing else; a failed decode leaves nothing at all.
#[test]
fn decode_straight_to_an_archive_equals_decode_then_pack() {
    let tmp = tempfile::tempdir().unwrap();
    let dump = tmp.path().join("dump");
    sample_dump(&dump);
    let epoch = [("SOURCE_DATE_EPOCH", "1700000000")];
    for ext in ["tar", "tar.zst"] {
        let packed = tmp.path().join(format!("packed.{ext}"));
        ok(&run(
            &["archive", "pack", "-i", s(&dump), "-o", s(&packed)],
            &[],
        ));
        let out_dir = tmp.path().join(format!("direct-{ext}"));
        fs::create_dir(&out_dir).unwrap();
        let direct = out_dir.join(format!("dump.{ext}"));
        ok(&run(
            &[
                "decode",
                "--input",
                SAMPLE,
                "--output",
                s(&direct),
                "--include-sqs-side-records",
            ],
            &epoch,
        ));
        assert_eq!(
            fs::read(&direct).unwrap(),
            fs::read(&packed).unwrap(),
            "{ext}"
        );
        assert_eq!(names(&out_dir), [format!("dump.{ext}")]);
    }
    let bad = tmp.path().join("bad.fsm");
    fs::write(&bad, b"NOTASNAPSHOT").unwrap();
    let out_dir = tmp.path().join("failed");
    fs::create_dir(&out_dir).unwrap();
    let r = run(
        &[
            "decode",
            "--input",
            s(&bad),
            "--output",
            s(&out_dir.join("d.tar.zst")),
        ],
        &epoch,
    );
    assert_eq!(class_of(&r), "bad_magic");
    assert!(names(&out_dir).is_empty());
    // An existing archive is never replaced.
    let there = tmp.path().join("packed.tar");
    let before = fs::read(&there).unwrap();
    let r = run(
        &["decode", "--input", SAMPLE, "--output", s(&there)],
        &epoch,
    );
    assert_eq!(class_of(&r), "unsafe_output");
    assert_eq!(fs::read(&there).unwrap(), before);
}

/// The sample dump as `encode` accepts it (no side records), with a fixed
/// wall time.
fn sample_restorable(dir: &Path) {
    ok(&run(
        &[
            "decode",
            "--input",
            SAMPLE,
            "--output",
            dir.to_str().unwrap(),
        ],
        &[("SOURCE_DATE_EPOCH", "1700000000")],
    ));
}

/// `encode --input <input> --output <dir>/<name>` with a fixed sidecar
/// time; the snapshot's bytes.
fn encode_into(input: &Path, dir: &Path, name: &str, self_test: bool) -> Vec<u8> {
    let out = dir.join(name);
    let mut args = vec!["encode", "--input", s(input), "--output", s(&out)];
    if self_test {
        args.push("--self-test");
    }
    ok(&run(&args, &[("SOURCE_DATE_EPOCH", "1700000000")]));
    fs::read(&out).unwrap()
}

// REQ-ARC-10: `encode --input X.tar[.zst]` writes the snapshot that
// `archive unpack` followed by `encode` writes, byte for byte, with and
// without --self-test, whatever the archive's name says, and leaves
// nothing but the snapshot and its sidecar; `-` is a usage error.
#[test]
fn encode_from_an_archive_equals_unpack_then_encode() {
    let tmp = tempfile::tempdir().unwrap();
    let dump = tmp.path().join("dump");
    sample_restorable(&dump);
    for (name, compression) in [("d.tar", "none"), ("d.tar.zst", "zstd"), ("d.bin", "zstd")] {
        let arc = tmp.path().join(name);
        ok(&run(
            &[
                "archive",
                "pack",
                "-i",
                s(&dump),
                "-o",
                s(&arc),
                "--compression",
                compression,
            ],
            &[],
        ));
        let unpacked = tmp.path().join(format!("unpacked-{name}"));
        ok(&run(
            &["archive", "unpack", "-i", s(&arc), "-o", s(&unpacked)],
            &[],
        ));
        for self_test in [false, true] {
            let want_dir = tmp.path().join(format!("want-{name}-{self_test}"));
            let got_dir = tmp.path().join(format!("got-{name}-{self_test}"));
            fs::create_dir(&want_dir).unwrap();
            fs::create_dir(&got_dir).unwrap();
            let want = encode_into(&unpacked, &want_dir, "r.fsm", self_test);
            let got = encode_into(&arc, &got_dir, "r.fsm", self_test);
            assert!(!want.is_empty());
            assert_eq!(got, want, "{name} self-test {self_test}");
            assert_eq!(names(&got_dir), ["r.fsm", "r.fsm.encode_info.json"]);
            let info: serde_json::Value =
                serde_json::from_slice(&fs::read(got_dir.join("r.fsm.encode_info.json")).unwrap())
                    .unwrap();
            assert_eq!(info["input_root"], s(&arc));
            assert_eq!(info["self_test"]["matched"], self_test);
        }
    }
    let r = run(
        &[
            "encode",
            "--input",
            "-",
            "--output",
            s(&tmp.path().join("x.fsm")),
        ],
        &[],
    );
    assert_eq!(r.status.code(), Some(2));
    assert!(
        stderr(&r).contains("standard input is not supported"),
        "{}",
        stderr(&r)
    );
}

/// Add `sqs/<name>` to the restorable dump at `dump`: a copy of the queue
/// `orders` under that name, listed in the manifest and in CHECKSUMS.
fn add_copy_of_orders(dump: &Path, name: &str) {
    use sha2::{Digest, Sha256};
    let from = dump.join("sqs/orders");
    let to = dump.join("sqs").join(name);
    fs::create_dir(&to).unwrap();
    let q = fs::read_to_string(from.join("_queue.json"))
        .unwrap()
        .replace("\"name\": \"orders\"", &format!("\"name\": \"{name}\""));
    fs::write(to.join("_queue.json"), q).unwrap();
    fs::copy(from.join("messages.jsonl"), to.join("messages.jsonl")).unwrap();
    let mpath = dump.join("MANIFEST.json");
    let mut m: serde_json::Value = serde_json::from_slice(&fs::read(&mpath).unwrap()).unwrap();
    let queues = m["adapters"]["sqs"]["queues"].as_array_mut().unwrap();
    queues.push(name.into());
    fs::write(&mpath, serde_json::to_vec_pretty(&m).unwrap()).unwrap();
    let mut sums = String::new();
    let mut files: Vec<String> = tree(dump)
        .into_iter()
        .filter(|(p, b)| b.is_some() && p != "CHECKSUMS")
        .map(|(p, _)| p)
        .collect();
    files.sort();
    for f in files {
        let digest = hex::encode(Sha256::digest(fs::read(dump.join(&f)).unwrap()));
        sums.push_str(&format!("{digest}  {f}\n"));
    }
    fs::write(dump.join("CHECKSUMS"), sums).unwrap();
}

/// A plain tar of `dump` with its entries in the reverse of upstream's
/// order (files before their directories), as another tool may write.
fn reversed_tar(dump: &Path) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    let mut entries = tree(dump);
    entries.reverse();
    for (rel, bytes) in entries {
        let mut h = tar::Header::new_gnu();
        match bytes {
            None => {
                h.set_entry_type(tar::EntryType::Directory);
                h.set_mode(0o755);
                h.set_size(0);
                b.append_data(&mut h, format!("{rel}/"), std::io::empty())
                    .unwrap();
            }
            Some(data) => {
                h.set_entry_type(tar::EntryType::Regular);
                h.set_mode(0o644);
                h.set_size(data.len() as u64);
                b.append_data(&mut h, &rel, &data[..]).unwrap();
            }
        }
    }
    b.into_inner().unwrap()
}

// REQ-ARC-10: encode reads each queue in its listing order (`orders`,
// `orders-dlq`, `orders-dlq-2`), which an archive in upstream's order
// reverses and another tool's archive may shuffle: the files passed on
// the way are spilled into the staging directory, so one walk of the
// archive serves the encode, and the snapshot equals that of the tree.
#[test]
fn encode_from_an_archive_in_any_entry_order_equals_the_tree() {
    use sqsdump::archive::source::ArchiveSource;
    use sqsdump::encode::tree::DiskSource;
    use sqsdump::encode::{encode_to_vec, EncodeOptions};
    let tmp = tempfile::tempdir().unwrap();
    let dump = tmp.path().join("dump");
    sample_restorable(&dump);
    add_copy_of_orders(&dump, "orders-dlq");
    add_copy_of_orders(&dump, "orders-dlq-2");
    let (want, summary) =
        encode_to_vec(&DiskSource::new(&dump).unwrap(), &EncodeOptions::default()).unwrap();
    assert_eq!(summary.queues, 7);
    let upstream_order = tmp.path().join("a.tar.zst");
    archive::pack(
        &dump,
        &upstream_order,
        &PackOptions {
            compression: Compression::Zstd,
            source_date_epoch: None,
        },
        None,
    )
    .unwrap();
    let reversed = tmp.path().join("r.tar");
    fs::write(&reversed, reversed_tar(&dump)).unwrap();
    let ctl = sqsdump::run::Control::default();
    for (arc, spilled) in [(&upstream_order, 2), (&reversed, 6)] {
        let spill = tmp.path().join("spill");
        let src = ArchiveSource::scan(arc, &spill, Budget::default(), &ctl).unwrap();
        let (got, _) = encode_to_vec(&src, &EncodeOptions::default()).unwrap();
        assert_eq!(got, want, "{arc:?}");
        assert_eq!(src.walks(), 1, "{arc:?}");
        assert_eq!(src.spilled(), spilled, "{arc:?}");
        drop(src);
        fs::remove_dir_all(&spill).unwrap();
        // The CLI, with the self-test reading every file a second time.
        let out = tmp.path().join(format!("out-{spilled}"));
        fs::create_dir(&out).unwrap();
        assert_eq!(encode_into(arc, &out, "r.fsm", true), want);
        assert_eq!(names(&out), ["r.fsm", "r.fsm.encode_info.json"]);
    }
}

/// `encode --input <archive>` into a fresh directory: the error class
/// and message, asserting that nothing was left in that directory.
fn encode_fails(arc: &[u8]) -> (String, String) {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in.tar");
    fs::write(&input, arc).unwrap();
    let parent = tmp.path().join("p");
    fs::create_dir(&parent).unwrap();
    let out = parent.join("r.fsm");
    let r = run(&["encode", "-i", s(&input), "-o", s(&out)], &[]);
    let class = class_of(&r);
    assert!(
        names(&parent).is_empty(),
        "left behind: {:?}",
        names(&parent)
    );
    (class, stderr(&r))
}

// REQ-ARC-10 REQ-ENC-11: an archive that `archive unpack` refuses is refused by
// `encode` with the same class, naming the same entry, before anything
// is written (unsafe, duplicate and non-regular entries, unlisted files,
// checksum mismatches, cut or corrupt streams, plain and zstd); a tree
// that unpacks but does not encode fails as encode fails on it; nothing
// is left behind.
#[test]
fn encode_refuses_what_unpack_refuses_with_the_same_class() {
    let tmp = tempfile::tempdir().unwrap();
    let dump = tmp.path().join("dump");
    sample_restorable(&dump);
    let arc = tmp.path().join("good.tar");
    ok(&run(
        &["archive", "pack", "-i", s(&dump), "-o", s(&arc)],
        &[],
    ));
    let good = fs::read(&arc).unwrap();
    let mut changed = good.clone();
    let at = changed
        .windows(12)
        .position(|w| w == b"\"message_id\"")
        .unwrap();
    changed[at + 1] = b'M';
    let mut cases: Vec<(&str, Vec<u8>)> = Vec::new();
    for (what, name, kind) in [
        ("absolute", &b"/etc/x"[..], b'0'),
        ("dotdot", b"sqs/../../x", b'0'),
        ("duplicate", b"MANIFEST.json", b'0'),
        ("symlink", b"sqs/l", b'2'),
        ("hard link", b"sqs/h", b'1'),
        ("fifo", b"sqs/f", b'6'),
        ("unlisted", b"sqs/orders/notes.txt", b'0'),
    ] {
        let mut extra = Vec::new();
        raw_entry(&mut extra, name, kind, b"x");
        cases.push((what, with_entry(&good, &extra)));
    }
    cases.push(("changed", changed));
    cases.push(("cut", good[..good.len() / 2].to_vec()));
    for (what, plain) in cases {
        for zstd in [false, true] {
            let bytes = if zstd {
                zstd::encode_all(&plain[..], 3).unwrap()
            } else {
                plain.clone()
            };
            let (want, want_err) = unpack_fails(&bytes, &[]);
            let (got, got_err) = encode_fails(&bytes);
            assert_eq!(got, want, "{what} zstd {zstd}: {got_err}");
            assert!(
                got.starts_with("archive_") || got == "checksum_mismatch",
                "{got}"
            );
            let named = |e: &str| e.split_once(": ").map(|(_, m)| m.to_string());
            assert_eq!(named(&got_err), named(&want_err), "{what} zstd {zstd}");
        }
    }
    // A tree that unpacks but that encode refuses: side records.
    let side = tmp.path().join("side");
    sample_dump(&side);
    let side_arc = tmp.path().join("side.tar.zst");
    ok(&run(
        &["archive", "pack", "-i", s(&side), "-o", s(&side_arc)],
        &[],
    ));
    let (class, _) = encode_fails(&fs::read(&side_arc).unwrap());
    assert_eq!(class, "unsupported_dump");
}

// REQ-ARC-10: the first pass reads the archive within unpack's budget.
#[test]
fn encode_from_an_archive_keeps_to_the_budget() {
    use sqsdump::archive::source::ArchiveSource;
    let tmp = tempfile::tempdir().unwrap();
    let dump = tmp.path().join("dump");
    sample_restorable(&dump);
    let arc = tmp.path().join("a.tar.zst");
    ok(&run(
        &["archive", "pack", "-i", s(&dump), "-o", s(&arc)],
        &[],
    ));
    let ctl = sqsdump::run::Control::default();
    for budget in [
        Budget {
            max_entries: 3,
            ..Budget::default()
        },
        Budget {
            max_bytes: 100,
            ..Budget::default()
        },
    ] {
        let spill = tmp.path().join("spill");
        let e = ArchiveSource::scan(&arc, &spill, budget, &ctl).unwrap_err();
        assert_eq!(e.class(), "archive_budget_exceeded", "{e}");
        let _ = fs::remove_dir_all(&spill);
    }
}

// REQ-ARC-3 REQ-ARC-6 REQ-ARC-9: pack, unpack and decode into an archive
// remove again the parent directories they created for their output when
// they fail.
#[test]
fn pack_and_unpack_remove_the_parents_they_created_on_failure() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("bad.tar");
    fs::write(&bad, [b'x'; 2048]).unwrap();
    let r = run(
        &[
            "archive",
            "unpack",
            "-i",
            s(&bad),
            "-o",
            s(&tmp.path().join("a/b/out")),
        ],
        &[],
    );
    assert_eq!(class_of(&r), "archive_invalid");
    let empty = tmp.path().join("empty");
    fs::create_dir(&empty).unwrap();
    let r = run(
        &[
            "archive",
            "pack",
            "-i",
            s(&empty),
            "-o",
            s(&tmp.path().join("c/d/x.tar")),
        ],
        &[],
    );
    assert_eq!(class_of(&r), "invalid_manifest");
    // So does decode straight into an archive.
    let r = run(
        &[
            "decode",
            "--input",
            s(&bad),
            "--output",
            s(&tmp.path().join("i/j/d.tar.zst")),
        ],
        &[],
    );
    assert_eq!(class_of(&r), "bad_magic");
    assert_eq!(names(tmp.path()), ["bad.tar", "empty"]);
    // On success they stay.
    let dump = tmp.path().join("dump");
    sample_dump(&dump);
    let arc = tmp.path().join("e/f/x.tar");
    ok(&run(
        &["archive", "pack", "-i", s(&dump), "-o", s(&arc)],
        &[],
    ));
    ok(&run(
        &[
            "archive",
            "unpack",
            "-i",
            s(&arc),
            "-o",
            s(&tmp.path().join("g/h/out")),
        ],
        &[],
    ));
    assert_eq!(tree(&tmp.path().join("g/h/out")), tree(&dump));
}

// REQ-ARC-3: SIGINT or SIGTERM during a pack stops it: its staging
// directory is removed, nothing is left at the output, and the exit
// status is 130 or 143.
#[test]
fn an_interrupted_pack_leaves_nothing() {
    use sqsdump::cli::decode::ENTRY_DELAY_ENV;
    let tmp = tempfile::tempdir().unwrap();
    let dump = tmp.path().join("dump");
    generated_dump(&dump, 7, 3, 10, false);
    for (signal, code) in [("-INT", 130), ("-TERM", 143)] {
        let out = tmp.path().join("out");
        fs::create_dir(&out).unwrap();
        let child = Command::new(BIN)
            .args([
                "archive",
                "pack",
                "-i",
                s(&dump),
                "-o",
                s(&out.join("d.tar")),
            ])
            .env(ENTRY_DELAY_ENV, "300000")
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Wait for the staging directory, then signal.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while names(&out).is_empty() {
            assert!(std::time::Instant::now() < deadline, "no staging directory");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        assert!(
            names(&out)[0].starts_with(".sqsdump-staging-"),
            "{:?}",
            names(&out)
        );
        let status = Command::new("kill")
            .args([signal, &child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let r = child.wait_with_output().unwrap();
        assert_eq!(r.status.code(), Some(code), "{}", stderr(&r));
        assert!(stderr(&r).contains("error[interrupted]"), "{}", stderr(&r));
        assert!(names(&out).is_empty(), "left behind: {:?}", names(&out));
        fs::remove_dir(&out).unwrap();
    }
}

// REQ-ARC-10: the second pass checks every message file it reads against
// the first pass's digest: a message body changed in the archive between
// the two passes is `checksum_mismatch`, not a snapshot of other bytes.
#[test]
fn an_archive_changed_between_the_passes_is_a_checksum_mismatch() {
    use sqsdump::archive::source::ArchiveSource;
    use sqsdump::encode::{encode_to_vec, EncodeOptions};
    let tmp = tempfile::tempdir().unwrap();
    let dump = tmp.path().join("dump");
    sample_restorable(&dump);
    let arc = tmp.path().join("a.tar");
    ok(&run(
        &["archive", "pack", "-i", s(&dump), "-o", s(&arc)],
        &[],
    ));
    let ctl = sqsdump::run::Control::default();
    let src =
        ArchiveSource::scan(&arc, &tmp.path().join("spill"), Budget::default(), &ctl).unwrap();
    let mut changed = fs::read(&arc).unwrap();
    let at = changed.windows(3).position(|w| w == b"A-1").unwrap();
    changed[at] = b'B';
    fs::write(&arc, &changed).unwrap();
    let e = encode_to_vec(&src, &EncodeOptions::default()).unwrap_err();
    assert_eq!(e.class(), "checksum_mismatch", "{e}");
    assert!(e.to_string().contains("messages.jsonl"), "{e}");
    assert!(
        e.to_string().contains("changed since it was checked"),
        "{e}"
    );
}
