#![no_main]
// The body and its invariants live in fuzz/targets/src/http_head.rs, shared with the corpus replay test.
libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_targets::http_head::run(data));
