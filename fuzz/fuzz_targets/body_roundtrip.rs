// REQ-OUT-6: any body reads back to its bytes
#![no_main]
libfuzzer_sys::fuzz_target!(|d: &[u8]| -> libfuzzer_sys::Corpus { if sqsdump::fuzzing::body_roundtrip(d) { libfuzzer_sys::Corpus::Keep } else { libfuzzer_sys::Corpus::Reject } });
