//! The bundled sample snapshot and the whole pipeline on it.

use crate::common;

use std::path::PathBuf;

use common::sample::{sample_fsm, LAST_COMMIT_TS};
use sqsdump::decode::Options;
use sqsdump::snapshot::decode_snapshot;

fn sample_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/sample.fsm")
}

// REQ-CLI-11
#[test]
fn bundled_sample_matches_its_builder() {
    let built = sample_fsm();
    if std::env::var_os("SAMPLE_UPDATE").is_some() {
        std::fs::write(sample_path(), &built).unwrap();
    }
    let committed =
        std::fs::read(sample_path()).expect("examples/sample.fsm (SAMPLE_UPDATE=1 writes it)");
    assert!(
        committed == built,
        "examples/sample.fsm differs from its builder; rerun with SAMPLE_UPDATE=1"
    );
}

fn golden_decode(name: &str, opts: Options) {
    let (model, summary) = decode_snapshot(&sample_fsm()[..], opts, &mut |_| {}).unwrap();
    common::check_invariants(&model);
    assert_eq!(summary.last_commit_ts, LAST_COMMIT_TS);
    insta::with_settings!({
        snapshot_path => "../../snapshots",
        prepend_module_to_snapshot => false,
        omit_expression => true,
    }, {
        insta::assert_snapshot!(name, format!("{}=== summary\n{summary:#?}\n", model.render()));
    });
}

// REQ-FSM-7, REQ-FSM-8, REQ-FSM-6, REQ-DEC-4, REQ-DEC-2
#[test]
fn sample_decodes_to_its_golden_tree() {
    golden_decode("REQ-FSM-7-sample-default", Options::default());
}

// REQ-DEC-8, REQ-DEC-9, REQ-DEC-3
#[test]
fn sample_with_side_records_decodes_to_its_golden_tree() {
    golden_decode(
        "REQ-DEC-8-sample-side-records",
        Options {
            preserve_visibility: true,
            include_side_records: true,
            require_footer: false,
        },
    );
}
