//! Verify throughput per algorithm. Run in release mode:
//!
//! ```text
//! cargo run --release -p jwt-auth --example verify_bench
//! ```
//!
//! Each case verifies one typical token (about 300 bytes for HS256) in a loop and prints the
//! mean time per verification, plus the allocations per verification counted by a wrapping
//! global allocator (the claims map and its strings are the only ones expected).
#![allow(clippy::unwrap_used)]
// A benchmark: it measures real time.
#![allow(clippy::disallowed_methods)]

use std::alloc::System;
use std::hint::black_box;
use std::time::Instant;

use jwt_auth::{Algorithm, Claims, Header, SigningKey, SystemRandom, Validation, Verifier};
use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const NOW: u64 = 1_700_000_000;

fn key(name: &str, rng: &SystemRandom) -> SigningKey {
    let path = format!("{}/tests/keys/{name}", env!("CARGO_MANIFEST_DIR"));
    SigningKey::from_pem(&std::fs::read_to_string(path).unwrap(), rng).unwrap()
}

fn main() {
    let rng = SystemRandom::new();
    let claims = Claims::new()
        .with("sub", "user-1234567890")
        .with("name", "Alice Example")
        .with("iss", "https://auth.example.com/")
        .with("aud", "chat-api")
        .with("iat", NOW - 60)
        .with("exp", NOW + 3600)
        .with("roles", serde_json::json!(["user", "admin"]));
    let cases = [
        (
            Algorithm::HS256,
            SigningKey::hmac([42u8; 32]).unwrap(),
            200_000,
        ),
        (Algorithm::RS256, key("rsa2048.pkcs8.pem", &rng), 5_000),
        (Algorithm::PS256, key("rsa2048.pkcs8.pem", &rng), 5_000),
        (Algorithm::ES256, key("p256.pkcs8.pem", &rng), 5_000),
        (Algorithm::EdDSA, key("ed25519.pkcs8.pem", &rng), 10_000),
    ];
    println!(
        "{:<7} {:>6} {:>12} {:>14}",
        "alg", "bytes", "verify", "allocs/verify"
    );
    for (alg, signing, iterations) in cases {
        let token = jwt_auth::sign(&Header::new(alg), &claims, &signing, &rng).unwrap();
        let validation = Validation::new()
            .issuer("https://auth.example.com/")
            .audience("chat-api");
        let verifier = Verifier::new(signing.verifying_key(), validation);
        for _ in 0..iterations / 10 {
            black_box(verifier.verify(black_box(&token), NOW).unwrap());
        }
        let region = Region::new(GLOBAL);
        let start = Instant::now();
        for _ in 0..iterations {
            black_box(verifier.verify(black_box(&token), NOW).unwrap());
        }
        let elapsed = start.elapsed();
        let allocations = region.change().allocations;
        let per = elapsed / iterations;
        let per_text = if per.as_micros() >= 10 {
            format!("{:.1} us", per.as_nanos() as f64 / 1000.0)
        } else {
            format!("{} ns", per.as_nanos())
        };
        println!(
            "{:<7} {:>6} {:>12} {:>14.1}",
            alg.name(),
            token.len(),
            per_text,
            allocations as f64 / f64::from(iterations)
        );
    }
}
