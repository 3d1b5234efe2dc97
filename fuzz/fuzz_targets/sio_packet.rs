#![no_main]
// The body and its invariants live in fuzz/targets/src/sio_packet.rs, shared with the corpus replay test.
libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_targets::sio_packet::run(data));
