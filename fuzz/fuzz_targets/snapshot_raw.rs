// REQ-ERR-2, REQ-OUT-8, REQ-OUT-9: raw snapshots fail with typed errors or stay inside sqs/
#![no_main]
libfuzzer_sys::fuzz_target!(|d: &[u8]| -> libfuzzer_sys::Corpus { if sqsdump::fuzzing::snapshot_raw(d) { libfuzzer_sys::Corpus::Keep } else { libfuzzer_sys::Corpus::Reject } });
