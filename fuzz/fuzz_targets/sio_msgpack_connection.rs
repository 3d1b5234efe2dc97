#![no_main]
// The body and its invariants live in fuzz/targets/src/sio_msgpack_connection.rs, shared with the corpus replay test.
libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_targets::sio_msgpack_connection::run(data));
