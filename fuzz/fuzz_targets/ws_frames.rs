#![no_main]
// The body and its invariants live in fuzz/targets/src/ws_frames.rs, shared with the corpus replay test.
libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_targets::ws_frames::run(data));
