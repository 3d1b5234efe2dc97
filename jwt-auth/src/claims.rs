//! The claims set: a JSON object with typed accessors for the registered claims (RFC 7519 §4.1).

use std::fmt;
use std::sync::OnceLock;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::error::Error;

/// A JWT claims set: a JSON object, read through typed accessors, raw, or as the caller's type.
///
/// Verified claims come inside [`crate::Verified`]; the same type builds claims for [`crate::sign`].
/// Claims from a token keep the verified JSON text and build the JSON map only when first asked
/// for it, so verifying allocates one string; [`Claims::deserialize`] reads the text directly.
#[derive(Clone, Default)]
pub struct Claims {
    /// Verified payload JSON (strict: an object, no repeated names, bounded depth), if the
    /// claims came from a token and have not been changed since.
    json: Option<Box<str>>,
    /// The object; built from `json` on first use when that is set.
    map: OnceLock<Map<String, Value>>,
}

fn parse_verified(json: &str) -> Map<String, Value> {
    // The text passed the strict scan, so this cannot fail; an empty map is the safe fallback.
    serde_json::from_str(json).unwrap_or_default()
}

impl Claims {
    /// An empty claims set.
    pub fn new() -> Self {
        Claims::default()
    }

    /// Wraps a JSON object.
    pub fn from_map(map: Map<String, Value>) -> Self {
        Claims {
            json: None,
            map: OnceLock::from(map),
        }
    }

    pub(crate) fn from_verified_json(json: Box<str>) -> Self {
        Claims {
            json: Some(json),
            map: OnceLock::new(),
        }
    }

    fn map(&self) -> &Map<String, Value> {
        self.map
            .get_or_init(|| self.json.as_deref().map(parse_verified).unwrap_or_default())
    }

    fn take_map(&mut self) -> Map<String, Value> {
        let json = self.json.take();
        self.map
            .take()
            .unwrap_or_else(|| json.as_deref().map(parse_verified).unwrap_or_default())
    }

    /// Sets a claim (builder style).
    #[must_use]
    pub fn with(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.insert(name, value);
        self
    }

    /// Sets a claim, returning the previous value.
    pub fn insert(&mut self, name: impl Into<String>, value: impl Into<Value>) -> Option<Value> {
        let mut map = self.take_map();
        let previous = map.insert(name.into(), value.into());
        self.map = OnceLock::from(map);
        previous
    }

    /// Any claim, raw.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.map().get(name)
    }

    /// Any claim, if it is a string.
    pub fn get_str(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(Value::as_str)
    }

    /// `exp` as seconds since the epoch, if present and a number (a NumericDate: fractions round
    /// up, values outside `0..2^64` saturate, as the verifier reads it).
    pub fn exp(&self) -> Option<u64> {
        self.get("exp").and_then(numeric_date)
    }

    /// `nbf` as seconds since the epoch, if present and a number (a NumericDate: fractions round
    /// up, values outside `0..2^64` saturate, as the verifier reads it).
    pub fn nbf(&self) -> Option<u64> {
        self.get("nbf").and_then(numeric_date)
    }

    /// `iat` as seconds since the epoch, if present and a number (a NumericDate: fractions round
    /// up, values outside `0..2^64` saturate, as the verifier reads it).
    pub fn iat(&self) -> Option<u64> {
        self.get("iat").and_then(numeric_date)
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
        let (one, many) = match self.get("aud") {
            Some(Value::String(s)) => (Some(s.as_str()), None),
            Some(Value::Array(items)) => (None, Some(items.iter().filter_map(Value::as_str))),
            _ => (None, None),
        };
        one.into_iter().chain(many.into_iter().flatten())
    }

    /// The whole object.
    pub fn as_map(&self) -> &Map<String, Value> {
        self.map()
    }

    /// The whole object, owned.
    pub fn into_map(mut self) -> Map<String, Value> {
        self.take_map()
    }

    /// The verified JSON text, for claims that came from a token.
    pub fn json(&self) -> Option<&str> {
        self.json.as_deref()
    }

    /// Deserialises the claims into the caller's type.
    pub fn deserialize<T: DeserializeOwned>(&self) -> Result<T, Error> {
        let result = match &self.json {
            Some(json) => serde_json::from_str(json),
            None => T::deserialize(self.map()),
        };
        result.map_err(|e| Error::ClaimsShape {
            detail: e.to_string(),
        })
    }
}

impl PartialEq for Claims {
    fn eq(&self, other: &Self) -> bool {
        self.map() == other.map()
    }
}

impl Eq for Claims {}

impl fmt::Debug for Claims {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Claims").field(self.map()).finish()
    }
}

impl Serialize for Claims {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.map().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Claims {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Map::deserialize(deserializer).map(Claims::from_map)
    }
}

impl From<Map<String, Value>> for Claims {
    fn from(map: Map<String, Value>) -> Self {
        Claims::from_map(map)
    }
}

/// A NumericDate (RFC 7519 §2) as whole seconds since the epoch, by one rule for `exp`, `nbf` and
/// `iat`: any JSON number is a NumericDate, as in Node's `jsonwebtoken` (which compares them as
/// plain numbers). Fractions round up, which is exact for every comparison against a whole-second
/// `now` (`now >= exp` holds iff `now >= ceil(exp)`, and `nbf > now` iff `ceil(nbf) > now`).
/// Values outside `0..2^64` saturate: negative ones to 0 (the epoch, long past), larger ones
/// (`1e300`) to `u64::MAX` (never reached), so the answer is the one the exact value would get for
/// any `now` later than the leeway. Anything but a number (a string, `null`, ...) is not a
/// NumericDate.
pub(crate) fn numeric_date(value: &Value) -> Option<u64> {
    let Value::Number(n) = value else { return None };
    if let Some(u) = n.as_u64() {
        return Some(u);
    }
    if let Some(i) = n.as_i64() {
        return Some(date_from_i64(i));
    }
    n.as_f64().map(date_from_f64)
}

/// The negative-integer case of [`numeric_date`]: before the epoch saturates to it.
pub(crate) fn date_from_i64(i: i64) -> u64 {
    u64::try_from(i).unwrap_or(0)
}

/// The float case of [`numeric_date`].
pub(crate) fn date_from_f64(f: f64) -> u64 {
    // A float-to-integer `as` saturates (and maps NaN, which JSON cannot spell, to 0): exactly the
    // rule above, after rounding up.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let seconds = f.ceil() as u64;
    seconds
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
        assert_eq!(numeric_date(&json!(i64::MAX)), Some(i64::MAX as u64));
        assert_eq!(numeric_date(&json!(u64::MAX)), Some(u64::MAX));
        // Out of range: saturates, one rule for integers and floats.
        assert_eq!(numeric_date(&json!(-1)), Some(0));
        assert_eq!(numeric_date(&json!(i64::MIN)), Some(0));
        assert_eq!(numeric_date(&json!(-0.5)), Some(0));
        assert_eq!(numeric_date(&json!(-1e300)), Some(0));
        assert_eq!(numeric_date(&json!(1.8446744073709552e19)), Some(u64::MAX));
        assert_eq!(numeric_date(&json!(1e300)), Some(u64::MAX));
        assert_eq!(numeric_date(&json!(f64::MAX)), Some(u64::MAX));
        // Not numbers.
        assert_eq!(numeric_date(&json!("1700000000")), None);
        assert_eq!(numeric_date(&json!(null)), None);
        assert_eq!(numeric_date(&json!([1])), None);
        assert_eq!(numeric_date(&json!(true)), None);
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

        #[derive(serde::Deserialize)]
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

#[cfg(test)]
mod repr_tests {
    use super::*;

    #[test]
    fn verified_json_is_parsed_lazily_and_converts_on_write() {
        let mut c = Claims::from_verified_json(r#"{"sub":"a","exp":5}"#.into());
        assert_eq!(c.json(), Some(r#"{"sub":"a","exp":5}"#));
        assert_eq!(c.sub(), Some("a"));
        assert_eq!(c, Claims::new().with("exp", 5).with("sub", "a"));
        c.insert("x", 1);
        assert_eq!(c.json(), None);
        assert_eq!(c.as_map().len(), 3);
        let owned = Claims::from_verified_json(r#"{"a":1}"#.into()).into_map();
        assert_eq!(owned.get("a"), Some(&Value::from(1)));
        let text = serde_json::to_string(&Claims::from_verified_json(r#"{"a":[1]}"#.into()));
        assert_eq!(text.ok().as_deref(), Some(r#"{"a":[1]}"#));
    }
}
