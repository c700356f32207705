// REQ-FSM-2, REQ-FSM-7, REQ-ERR-2: the reader re-encodes to its input and the resolver matches an oracle
#![no_main]
libfuzzer_sys::fuzz_target!(|d: &[u8]| -> libfuzzer_sys::Corpus { if sqsdump::fuzzing::fsm_reader(d) { libfuzzer_sys::Corpus::Keep } else { libfuzzer_sys::Corpus::Reject } });
