// REQ-ARC-4, REQ-ARC-5, REQ-ARC-6, REQ-ERR-2: any archive either unpacks into a checked tree of plain files or fails with a known class and leaves nothing
#![no_main]
libfuzzer_sys::fuzz_target!(|d: &[u8]| -> libfuzzer_sys::Corpus { if sqsdump::fuzzing::archive_unpack(d) { libfuzzer_sys::Corpus::Keep } else { libfuzzer_sys::Corpus::Reject } });
