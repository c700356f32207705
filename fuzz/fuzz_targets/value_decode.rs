// REQ-VAL-3, REQ-VAL-5, REQ-VAL-6, REQ-JSON-2, REQ-ERR-2: values read like Go and survive a rewrite
#![no_main]
libfuzzer_sys::fuzz_target!(|d: &[u8]| -> libfuzzer_sys::Corpus { if sqsdump::fuzzing::value_decode(d) { libfuzzer_sys::Corpus::Keep } else { libfuzzer_sys::Corpus::Reject } });
