//! The claims set: a JSON object with typed accessors for the registered claims (RFC 7519 §4.1).

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::Error;

/// A JWT claims set: a JSON object, read through typed accessors, raw, or as the caller's type.
///
/// Verified claims come inside [`crate::Verified`]; the same type builds claims for [`crate::sign`].
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Claims(Map<String, Value>);

impl Claims {
    /// An empty claims set.
    pub fn new() -> Self {
        Claims(Map::new())
    }

    /// Wraps a JSON object.
    pub fn from_map(map: Map<String, Value>) -> Self {
        Claims(map)
    }

    /// Sets a claim (builder style).
    #[must_use]
    pub fn with(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.0.insert(name.into(), value.into());
        self
    }

    /// Sets a claim, returning the previous value.
    pub fn insert(&mut self, name: impl Into<String>, value: impl Into<Value>) -> Option<Value> {
        self.0.insert(name.into(), value.into())
    }

    /// Any claim, raw.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.get(name)
    }

    /// Any claim, if it is a string.
    pub fn get_str(&self, name: &str) -> Option<&str> {
        self.0.get(name).and_then(Value::as_str)
    }

    /// `exp` as seconds since the epoch, if present and a valid NumericDate.
    pub fn exp(&self) -> Option<u64> {
        self.0.get("exp").and_then(numeric_date)
    }

    /// `nbf` as seconds since the epoch, if present and a valid NumericDate.
    pub fn nbf(&self) -> Option<u64> {
        self.0.get("nbf").and_then(numeric_date)
    }

    /// `iat` as seconds since the epoch, if present and a valid NumericDate.
    pub fn iat(&self) -> Option<u64> {
        self.0.get("iat").and_then(numeric_date)
    }

    /// `iss`, if a string.
    pub fn iss(&self) -> Option<&str> {
        self.get_str("iss")
    }

    /// `sub`, if a string.
    pub fn sub(&self) -> Option<&str> {
        self.get_str("sub")
    }

    /// `jti`, if a string.
    pub fn jti(&self) -> Option<&str> {
        self.get_str("jti")
    }

    /// The audiences in `aud` (one string or an array of strings; other values are skipped).
    pub fn aud(&self) -> impl Iterator<Item = &str> {
        let (one, many) = match self.0.get("aud") {
            Some(Value::String(s)) => (Some(s.as_str()), None),
            Some(Value::Array(items)) => (None, Some(items.iter().filter_map(Value::as_str))),
            _ => (None, None),
        };
        one.into_iter().chain(many.into_iter().flatten())
    }

    /// The whole object.
    pub fn as_map(&self) -> &Map<String, Value> {
        &self.0
    }

    /// The whole object, owned.
    pub fn into_map(self) -> Map<String, Value> {
        self.0
    }

    /// Deserialises the claims into the caller's type.
    pub fn deserialize<T: DeserializeOwned>(&self) -> Result<T, Error> {
        T::deserialize(&self.0).map_err(|e| Error::ClaimsShape {
            detail: e.to_string(),
        })
    }
}

impl From<Map<String, Value>> for Claims {
    fn from(map: Map<String, Value>) -> Self {
        Claims(map)
    }
}

/// A NumericDate (RFC 7519 §2): a non-negative JSON number of seconds. Fractions are allowed by
/// the RFC; they round up, which is exact for every comparison against a whole-second `now`
/// (`now >= exp` holds iff `now >= ceil(exp)`, and `nbf > now` iff `ceil(nbf) > now`).
/// Negative, out-of-range (>= 2^64) or non-numeric values are not NumericDates.
pub(crate) fn numeric_date(value: &Value) -> Option<u64> {
    let Value::Number(n) = value else { return None };
    if let Some(u) = n.as_u64() {
        return Some(u);
    }
    let f = n.as_f64()?;
    // 2^64 as f64 is exact; anything at or above it does not fit.
    if (0.0..18_446_744_073_709_551_616.0).contains(&f) {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        Some(f.ceil() as u64)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numeric_dates() {
        assert_eq!(numeric_date(&json!(0)), Some(0));
        assert_eq!(numeric_date(&json!(1_700_000_000)), Some(1_700_000_000));
        assert_eq!(numeric_date(&json!(100.2)), Some(101));
        assert_eq!(numeric_date(&json!(u64::MAX)), Some(u64::MAX));
        assert_eq!(numeric_date(&json!(-1)), None);
        assert_eq!(numeric_date(&json!(-0.5)), None);
        assert_eq!(numeric_date(&json!(1.8446744073709552e19)), None);
        assert_eq!(numeric_date(&json!(1e300)), None);
        assert_eq!(numeric_date(&json!("1700000000")), None);
        assert_eq!(numeric_date(&json!(null)), None);
        assert_eq!(numeric_date(&json!([1])), None);
    }

    #[test]
    fn accessors() {
        let c = Claims::new()
            .with("sub", "alice")
            .with("aud", json!(["a", 3, "b"]))
            .with("exp", 10);
        assert_eq!(c.sub(), Some("alice"));
        assert_eq!(c.aud().collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(c.exp(), Some(10));
        assert_eq!(c.iss(), None);
        let one = Claims::new().with("aud", "x");
        assert_eq!(one.aud().collect::<Vec<_>>(), ["x"]);

        #[derive(Deserialize)]
        struct Mine {
            sub: String,
            exp: u64,
        }
        let mine: Result<Mine, _> = c.deserialize();
        assert!(matches!(mine, Ok(Mine { ref sub, exp: 10 }) if sub == "alice"));
        let wrong: Result<Vec<u8>, _> = c.deserialize();
        assert_eq!(wrong.map_err(|e| e.code()).err(), Some("invalid_claims"));
    }
}
