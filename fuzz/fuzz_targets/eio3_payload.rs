#![no_main]
// The body and its invariants live in fuzz/targets/src/eio3_payload.rs, shared with the corpus replay test.
libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_targets::eio3_payload::run(data));
