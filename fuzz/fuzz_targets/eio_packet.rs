#![no_main]
// The body and its invariants live in fuzz/targets/src/eio_packet.rs, shared with the corpus replay test.
libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_targets::eio_packet::run(data));
