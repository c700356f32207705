// REQ-NODE-1, REQ-ERR-2: etcd snap files parse or fail with a snap file class; byte-built files read back; a changed byte is a crc mismatch
#![no_main]
libfuzzer_sys::fuzz_target!(|d: &[u8]| -> libfuzzer_sys::Corpus { if sqsdump::fuzzing::snap_file(d) { libfuzzer_sys::Corpus::Keep } else { libfuzzer_sys::Corpus::Reject } });
