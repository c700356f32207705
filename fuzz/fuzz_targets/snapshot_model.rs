// REQ-DEC-4, REQ-DEC-7, REQ-DEC-11, REQ-OUT-8, REQ-FSM-7: generated snapshots decode to their expected output
#![no_main]
libfuzzer_sys::fuzz_target!(|d: &[u8]| -> libfuzzer_sys::Corpus { if sqsdump::fuzzing::snapshot_model(d) { libfuzzer_sys::Corpus::Keep } else { libfuzzer_sys::Corpus::Reject } });
