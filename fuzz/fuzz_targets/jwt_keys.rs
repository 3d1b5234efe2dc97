#![no_main]
// The body and its invariants live in fuzz/targets/src/jwt_keys.rs, shared with the corpus replay test.
libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_targets::jwt_keys::run(data));
