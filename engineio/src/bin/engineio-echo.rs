//! Engine.IO echo server (placeholder).
fn main() {}
