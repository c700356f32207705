// REQ-FSM-11, REQ-FSM-12, REQ-ERR-2: node-file footers are verified in any read size, required when asked, and every accepted node file fails on a bit flip or a cut
#![no_main]
libfuzzer_sys::fuzz_target!(|d: &[u8]| -> libfuzzer_sys::Corpus { if sqsdump::fuzzing::fsm_footer(d) { libfuzzer_sys::Corpus::Keep } else { libfuzzer_sys::Corpus::Reject } });
