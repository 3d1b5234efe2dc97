//! The fuzz targets of the project as plain functions: `fn(&[u8])` that panics when an invariant
//! breaks.
//!
//! Two drivers call them:
//!
//! - the libFuzzer binaries in `fuzz/fuzz_targets/` (one line each: `fuzz_target!(|d| target(d))`),
//!   run with `cargo fuzz run <name>` (see `fuzz/README.md`);
//! - the replay test `tests/replay.rs`, which feeds every file of `fuzz/corpus/<name>/` and
//!   `fuzz/regressions/<name>/` through the same function under a plain `cargo test`, so a
//!   regression is caught without the fuzzer.
//!
//! Every target checks invariants, not only "does not panic": codecs decode, re-encode and decode
//! again to the same value; the state machines are driven through arbitrary sequences of inputs,
//! commands and clock ticks and checked against a model after every step (see each module).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod eio3_payload;
pub mod eio_packet;
pub mod eio_payload;
pub mod eio_session;
pub mod fixtures;
pub mod http_head;
pub mod jwt_keys;
pub mod jwt_verify;
pub mod reader;
pub mod sio_connection;
pub mod sio_msgpack;
pub mod sio_msgpack_connection;
pub mod sio_packet;
pub mod ws_frames;

/// A target's body: panics when an invariant breaks.
pub type Target = fn(&[u8]);

/// Every target by name (the name of its libFuzzer binary and of its corpus folder).
pub const TARGETS: &[(&str, Target)] = &[
    ("http_head", http_head::run),
    ("eio_packet", eio_packet::run),
    ("eio_payload", eio_payload::run),
    ("eio3_payload", eio3_payload::run),
    ("eio_session", eio_session::run),
    ("sio_packet", sio_packet::run),
    ("sio_msgpack", sio_msgpack::run),
    ("sio_connection", sio_connection::run),
    ("sio_msgpack_connection", sio_msgpack_connection::run),
    ("jwt_verify", jwt_verify::run),
    ("jwt_keys", jwt_keys::run),
    ("ws_frames", ws_frames::run),
];
