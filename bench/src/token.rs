//! HS256 tokens for the auth churn workload, signed with our own `jwt-auth`.

use jwt_auth::{sign, Algorithm, Claims, Header, SigningKey, SystemRandom};

/// The secret the comparison gives every server in `BENCH_JWT_SECRET` (HMAC keys need 32 bytes).
pub const SECRET: &str = "bench-secret-0123456789abcdef-0123456789abcdef";

/// `count` tokens for distinct subjects, valid for an hour, signed with `secret`.
pub fn tokens(secret: &str, count: usize) -> Result<Vec<String>, String> {
    let key = SigningKey::hmac(secret.as_bytes()).map_err(|e| e.to_string())?;
    let rng = SystemRandom::new();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|e| e.to_string())?
        .as_secs();
    (0..count)
        .map(|i| {
            let claims = Claims::new()
                .with("sub", format!("user-{i}"))
                .with("iat", now)
                .with("exp", now + 3600);
            sign(&Header::new(Algorithm::HS256), &claims, &key, &rng).map_err(|e| e.to_string())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_verify_with_the_secret_only() {
        let tokens = tokens(SECRET, 2).unwrap_or_default();
        assert_eq!(tokens.len(), 2);
        let verify = |secret: &str| {
            let key = jwt_auth::Key::hmac(secret.as_bytes()).ok()?;
            let verifier = jwt_auth::Verifier::new(key, jwt_auth::Validation::new());
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .ok()?
                .as_secs();
            verifier.verify(&tokens[0], now).ok()
        };
        assert!(verify(SECRET).is_some());
        assert!(verify("another-secret-0123456789abcdef-0123456789").is_none());
    }
}
