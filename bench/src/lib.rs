//! Side-by-side benchmarks of our Socket.IO server against Node `socket.io`, `socketioxide` and a
//! raw tungstenite WebSocket echo.
//!
//! The load generator speaks raw Engine.IO/Socket.IO frames over a minimal WebSocket client
//! ([`ws`], [`sio`]) and over HTTP long-polling ([`polling`]); the [`workload`]s drive one
//! running server each and read its CPU time and memory from `/proc` ([`procfs`]); [`servers`]
//! starts a fresh server per run pinned to its core, and [`report`] writes the table of medians
//! with ratios. The `loadgen` binary ties them together (`loadgen compare`), and `bench/compare.sh`
//! builds everything and runs it.
#![forbid(unsafe_code)]

pub mod ours;
pub mod polling;
pub mod procfs;
pub mod report;
pub mod servers;
pub mod sio;
pub mod sio_msgpack;
pub mod stats;
pub mod token;
pub mod workload;
pub mod ws;
