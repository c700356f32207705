//! Golden dump models: paths and exact file bytes, stored under
//! `snapshots/`. Each case also checks the structural invariants in
//! `common::check_invariants`, so a golden file says "right", not only
//! "same as before".

use crate::common;

use common::*;
use sqsdump::decode::Options;
use sqsdump::dump::DumpModel;
use sqsdump::key::{build, KeyParts};

fn golden(name: &str, description: &str, model: &DumpModel) {
    check_invariants(model);
    insta::with_settings!({
        snapshot_path => "../../snapshots",
        prepend_module_to_snapshot => false,
        omit_expression => true,
        description => description,
    }, {
        insta::assert_snapshot!(name, model.render());
    });
}

const PLAIN: Options = Options {
    preserve_visibility: false,
    include_side_records: false,
    require_footer: false,
};

// REQ-OUT-1, REQ-OUT-4, REQ-OUT-5
#[test]
fn golden_standard_queue() {
    let meta = meta_value(
        r#"{"name":"orders","is_fifo":false,"visibility_timeout_seconds":30,"message_retention_seconds":345600,"delay_seconds":0,"receive_message_wait_seconds":0,"maximum_message_size":262144,"redrive_policy":"","generation":1,"created_at_millis":1700000000000}"#,
    );
    let m = decode_sorted(
        PLAIN,
        &[
            (meta_key("orders"), meta),
            (gen_key("orders"), b"1".to_vec()),
            (
                data_key("orders", None, 1, "0b1c"),
                message(
                    "0b1c",
                    &std_b64(b"{\"order\":17}"),
                    1_700_000_000_100,
                    1,
                    r#","md5_of_body":"d41d8cd98f00b204e9800998ecf8427e","sender_id":"AIDA1""#,
                ),
            ),
            (
                data_key("orders", None, 1, "0a9f"),
                message("0a9f", &std_b64(b"first"), 1_700_000_000_000, 1, ""),
            ),
        ],
    )
    .unwrap();
    golden(
        "REQ-OUT-5-standard-queue",
        "a standard queue with two messages",
        &m,
    );
}

// REQ-DEC-7
#[test]
fn golden_fifo_interleaved_groups() {
    let q = "pay.fifo";
    let meta = meta_value(
        r#"{"name":"pay.fifo","is_fifo":true,"content_based_dedup":true,"visibility_timeout_seconds":30,"message_retention_seconds":3600,"delay_seconds":0}"#,
    );
    let mut records = vec![(meta_key(q), meta)];
    let sends = [
        ("a1", "A", 1, 100),
        ("b1", "B", 2, 100),
        ("a2", "A", 3, 101),
        ("b2", "B", 4, 101),
        ("a3", "A", 5, 102),
    ];
    for (id, group, seq, ts) in sends {
        records.push((
            data_key(q, None, 1, id),
            message(
                id,
                &std_b64(format!("{group}-{seq}").as_bytes()),
                ts,
                1,
                &format!(r#","message_group_id":"{group}","message_deduplication_id":"dd-{id}","sequence_number":{seq}"#),
            ),
        ));
    }
    let m = decode_sorted(PLAIN, &records).unwrap();
    golden(
        "REQ-DEC-7-fifo-interleaved-groups",
        "a FIFO queue whose groups interleave in send order",
        &m,
    );
}

// REQ-VAL-3, REQ-VAL-4, REQ-DEC-6
#[test]
fn golden_partitioned_fifo_with_tags() {
    let q = "ht.fifo";
    let meta = meta_value(
        r#"{"name":"ht.fifo","is_fifo":true,"visibility_timeout_seconds":30,"message_retention_seconds":600,"delay_seconds":0,"partition_count":4,"fifo_throughput_limit":"perMessageGroupId","deduplication_scope":"messageGroup","tags":{"team":"payments","cost-center":"42"},"throttle":{"send":10}}"#,
    );
    let m = decode_sorted(
        PLAIN,
        &[
            (meta_key(q), meta),
            (
                data_key(q, Some(2), 1, "p2"),
                message(
                    "p2",
                    &std_b64(b"two"),
                    10,
                    1,
                    r#","message_group_id":"g2","sequence_number":2"#,
                ),
            ),
            (
                data_key(q, Some(0), 1, "p0"),
                message(
                    "p0",
                    &std_b64(b"zero"),
                    10,
                    1,
                    r#","message_group_id":"g0","sequence_number":1"#,
                ),
            ),
        ],
    )
    .unwrap();
    golden(
        "REQ-DEC-6-partitioned-fifo-tags",
        "an HT-FIFO queue with partitioned keys and tags",
        &m,
    );
}

// REQ-OUT-6, REQ-JSON-11, REQ-JSON-12
#[test]
fn golden_binary_and_html_bodies() {
    let bodies: [(&str, &[u8]); 5] = [
        ("html", b"<script>alert('x&y')</script>"),
        ("binary", b"\x00\xff\xfe\x80"),
        ("separators", "line\u{2028}para\u{2029}end".as_bytes()),
        ("controls", b"tab\tnl\nbell\x07quote\"slash/\\"),
        ("empty", b""),
    ];
    let mut records = vec![(meta_key("bodies"), meta_value(r#"{"name":"bodies"}"#))];
    for (i, (id, body)) in bodies.iter().enumerate() {
        records.push((
            data_key("bodies", None, 1, id),
            message(id, &std_b64(body), i as i64, 1, r#","sender_id":"<&>""#),
        ));
    }
    let m = decode_sorted(PLAIN, &records).unwrap();
    golden(
        "REQ-OUT-6-binary-and-html-bodies",
        "text, HTML-bearing, binary and empty bodies",
        &m,
    );
}

// REQ-DEC-5
#[test]
fn golden_preserve_visibility() {
    let opts = Options {
        preserve_visibility: true,
        include_side_records: false,
        require_footer: false,
    };
    let m = decode_sorted(
        opts,
        &[
            (
                meta_key("inflight"),
                meta_value(r#"{"name":"inflight","visibility_timeout_seconds":60}"#),
            ),
            (
                data_key("inflight", None, 1, "m"),
                message("m", &std_b64(b"busy"), 5000, 1, ""),
            ),
        ],
    )
    .unwrap();
    golden(
        "REQ-DEC-5-preserve-visibility",
        "--preserve-visibility keeps receipt state",
        &m,
    );
}

// REQ-DEC-3, REQ-DEC-8, REQ-OUT-7
#[test]
fn golden_side_records_with_orphan() {
    let opts = Options {
        preserve_visibility: false,
        include_side_records: true,
        require_footer: false,
    };
    let vis = build(&KeyParts::MsgVis {
        queue: b"live".to_vec(),
        partition: None,
        gen: 1,
        visible_at: 99,
        message_id: b"m".to_vec(),
    });
    let tomb = build(&KeyParts::QueueTombstone {
        queue: b"dead".to_vec(),
        gen: 3,
    });
    let dedup = build(&KeyParts::MsgDedup {
        queue: b"dead".to_vec(),
        partition: None,
        gen: 3,
        dedup_id: b"d-1".to_vec(),
    });
    let m = decode_sorted(
        opts,
        &[
            (meta_key("live"), meta_value(r#"{"name":"live"}"#)),
            (
                data_key("live", None, 1, "m"),
                message("m", &std_b64(b"hello"), 1, 1, ""),
            ),
            (vis, b"m".to_vec()),
            (tomb, b"".to_vec()),
            (dedup, b"{\"message_id\":\"x\"}".to_vec()),
            (
                data_key("dead", None, 3, "lost"),
                message("lost", "", 1, 3, ""),
            ),
        ],
    )
    .unwrap();
    golden(
        "REQ-DEC-3-side-records-with-orphan",
        "side records of a live queue and of an orphan",
        &m,
    );
}

// REQ-DEC-4
#[test]
fn golden_stale_generation() {
    let m = decode_sorted(
        PLAIN,
        &[
            (meta_key("purged"), meta_value(r#"{"name":"purged"}"#)),
            (gen_key("purged"), b"5".to_vec()),
            (
                data_key("purged", None, 4, "old-1"),
                message("old-1", &std_b64(b"old"), 1, 4, ""),
            ),
            (
                data_key("purged", None, 4, "old-2"),
                message("old-2", &std_b64(b"old"), 2, 4, ""),
            ),
            (
                data_key("purged", None, 5, "new"),
                message("new", &std_b64(b"new"), 3, 5, ""),
            ),
        ],
    )
    .unwrap();
    golden(
        "REQ-DEC-4-stale-generation",
        "messages of generation 4 after a purge to generation 5",
        &m,
    );
}
