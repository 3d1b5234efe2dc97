//! Helpers shared by the integration tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use jwt_auth::{Key, SigningKey, SystemRandom};

/// A fixed clock for tests.
pub const NOW: u64 = 1_700_000_000;

/// A test key file from `tests/keys/`.
pub fn key_file(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/keys")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub fn signing_key(name: &str) -> SigningKey {
    SigningKey::from_pem(&key_file(name), &SystemRandom::new())
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

pub fn public_key(name: &str) -> Key {
    Key::from_pem(&key_file(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The shared vectors folder, or `None` (after printing why) when it is absent and
/// `REQUIRE_ALL` is not set. With `REQUIRE_ALL=1` a missing folder fails the test.
pub fn vectors_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os("JWT_VECTORS_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/vectors"),
    };
    if dir.is_dir() {
        return Some(dir);
    }
    let why = format!(
        "vectors folder {} is absent (set JWT_VECTORS_DIR to another folder)",
        dir.display()
    );
    if std::env::var("REQUIRE_ALL").is_ok_and(|v| v == "1" || v == "true") {
        panic!("REQUIRE_ALL is set and {why}");
    }
    // Written to the process's stderr directly so the test harness does not swallow it.
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "SKIPPED: {why}");
    None
}

pub fn read_json(path: PathBuf) -> serde_json::Value {
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex"))
        .collect()
}
