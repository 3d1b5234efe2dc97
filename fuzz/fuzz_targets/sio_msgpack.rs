#![no_main]
// The body and its invariants live in fuzz/targets/src/sio_msgpack.rs, shared with the corpus replay test.
libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_targets::sio_msgpack::run(data));
