// REQ-KEY-7, REQ-KEY-6, REQ-ERR-2: keys of every family round-trip; adversarial keys give their documented result
#![no_main]
libfuzzer_sys::fuzz_target!(|d: &[u8]| -> libfuzzer_sys::Corpus { if sqsdump::fuzzing::key_parse(d) { libfuzzer_sys::Corpus::Keep } else { libfuzzer_sys::Corpus::Reject } });
