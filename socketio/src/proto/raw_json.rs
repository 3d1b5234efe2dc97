//! [`RawJson`]: one JSON value kept as its compact text, so key order and number spelling survive.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::error::ApiMisuse;
use super::json::{self, MAX_DEPTH_CAP};

/// One JSON value as compact text (no insignificant whitespace), exactly as it will be written.
///
/// Arguments received from a client are kept this way so that echoing them reproduces the
/// client's key order byte for byte. Build one with [`RawJson::parse`] (validates and compacts),
/// [`RawJson::from_serialize`] (any `serde` value) or [`RawJson::string`]; read one with
/// [`RawJson::as_str`] or [`RawJson::deserialize`].
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct RawJson(Box<str>);

impl RawJson {
    /// Validates `text` as one JSON value and removes insignificant whitespace.
    pub fn parse(text: &str) -> Result<Self, ApiMisuse> {
        let scanned = json::scan(text, MAX_DEPTH_CAP).map_err(ApiMisuse::InvalidJson)?;
        Ok(Self(scanned.text.into_owned().into_boxed_str()))
    }

    /// Serializes `value` with `serde_json` (compact; struct fields keep their declared order).
    pub fn from_serialize<T: Serialize + ?Sized>(value: &T) -> Result<Self, serde_json::Error> {
        serde_json::to_string(value).map(|s| Self(s.into_boxed_str()))
    }

    /// A JSON string literal holding `s`.
    pub fn string(s: &str) -> Self {
        let mut out = String::with_capacity(s.len() + 2);
        json::write_string(&mut out, s);
        Self(out.into_boxed_str())
    }

    /// The empty object `{}`.
    pub fn empty_object() -> Self {
        Self("{}".into())
    }

    /// The compact JSON text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Deserializes the value with `serde_json`.
    pub fn deserialize<'a, T: Deserialize<'a>>(&'a self) -> Result<T, serde_json::Error> {
        serde_json::from_str(&self.0)
    }

    /// Wraps text the codec has already validated and compacted.
    pub(crate) fn from_trusted(text: String) -> Self {
        Self(text.into_boxed_str())
    }
}

impl fmt::Display for RawJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for RawJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RawJson({})", self.0)
    }
}

impl From<&serde_json::Value> for RawJson {
    fn from(value: &serde_json::Value) -> Self {
        // A `Value` always serializes (its map keys are strings).
        Self(value.to_string().into_boxed_str())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn constructors() {
        assert_eq!(
            RawJson::parse(" [1, {\"b\":2,\"a\":3}] ").unwrap().as_str(),
            "[1,{\"b\":2,\"a\":3}]"
        );
        assert!(RawJson::parse("{").is_err());
        assert_eq!(RawJson::string("a\"b").as_str(), "\"a\\\"b\"");
        #[derive(Serialize)]
        struct S {
            z: u8,
            a: &'static str,
        }
        assert_eq!(
            RawJson::from_serialize(&S { z: 1, a: "x" })
                .unwrap()
                .as_str(),
            "{\"z\":1,\"a\":\"x\"}"
        );
        let v: Vec<u8> = RawJson::parse("[1,2]").unwrap().deserialize().unwrap();
        assert_eq!(v, vec![1, 2]);
    }
}
