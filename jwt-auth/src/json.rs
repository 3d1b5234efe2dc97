//! Strict JSON for claims and keys: an object at the top, no repeated member names at any depth
//! (RFC 7515 §5.2 lets us reject them, and parsers that disagree on "first or last wins" are an
//! attack), and nesting no deeper than [`MAX_DEPTH`].

use std::cell::Cell;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// The deepest nesting accepted (the top-level object counts as 1).
pub const MAX_DEPTH: usize = 32;

/// Why a document was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JsonError {
    /// Not JSON, trailing garbage, a number out of range, invalid UTF-8.
    Syntax,
    /// Valid JSON, but not an object.
    NotObject,
    /// A member name repeated in one object.
    Duplicate,
    /// Nested deeper than [`MAX_DEPTH`].
    TooDeep,
}

/// Parses `bytes` as one JSON object under the strict rules.
pub(crate) fn parse_object(bytes: &[u8]) -> Result<Map<String, Value>, JsonError> {
    let problem = Cell::new(None);
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = Strict {
        depth: 0,
        problem: &problem,
    }
    .deserialize(&mut de)
    .and_then(|v| de.end().map(|()| v));
    match value {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(JsonError::NotObject),
        Err(_) => Err(problem.get().unwrap_or(JsonError::Syntax)),
    }
}

struct Strict<'p> {
    depth: usize,
    problem: &'p Cell<Option<JsonError>>,
}

impl<'p> Strict<'p> {
    fn nested<E: de::Error>(&self) -> Result<Strict<'p>, E> {
        if self.depth >= MAX_DEPTH {
            self.problem.set(Some(JsonError::TooDeep));
            return Err(E::custom("nested too deeply"));
        }
        Ok(Strict {
            depth: self.depth + 1,
            problem: self.problem,
        })
    }
}

impl<'de> DeserializeSeed<'de> for Strict<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Strict<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom("non-finite number"))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let inner = self.nested()?;
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(Strict { ..inner })? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let inner = self.nested()?;
        let mut map = Map::new();
        while let Some(key) = access.next_key::<String>()? {
            if map.contains_key(&key) {
                self.problem.set(Some(JsonError::Duplicate));
                return Err(de::Error::custom("duplicate member name"));
            }
            let value = access.next_value_seed(Strict { ..inner })?;
            map.insert(key, value);
        }
        Ok(Value::Object(map))
    }
}

/// Skips one JSON value without keeping it, refusing nesting deeper than [`MAX_DEPTH`] (serde's
/// own `IgnoredAny` has no depth limit). `depth` is the depth of the value's container.
pub(crate) struct Skip {
    pub(crate) depth: usize,
}

impl Skip {
    fn nested<E: de::Error>(&self) -> Result<Skip, E> {
        if self.depth >= MAX_DEPTH {
            return Err(E::custom("nested too deeply"));
        }
        Ok(Skip {
            depth: self.depth + 1,
        })
    }
}

impl<'de> DeserializeSeed<'de> for Skip {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Skip {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let inner = self.nested()?;
        while seq.next_element_seed(Skip { ..inner })?.is_some() {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let inner = self.nested()?;
        while map.next_key::<de::IgnoredAny>()?.is_some() {
            map.next_value_seed(Skip { ..inner })?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_objects() {
        let map = parse_object(br#" {"a": [1, -2, 3.5, "x", null, true, {"b": {}}]} "#);
        assert_eq!(map.map(|m| m.len()), Ok(1));
    }

    #[test]
    fn rejects_duplicates_at_any_depth() {
        assert_eq!(parse_object(br#"{"a":1,"a":2}"#), Err(JsonError::Duplicate));
        assert_eq!(
            parse_object(br#"{"a":1,"\u0061":2}"#),
            Err(JsonError::Duplicate)
        );
        assert_eq!(
            parse_object(br#"{"x":[{"a":1,"a":1}]}"#),
            Err(JsonError::Duplicate)
        );
    }

    #[test]
    fn rejects_non_objects_and_garbage() {
        assert_eq!(parse_object(b"[]"), Err(JsonError::NotObject));
        assert_eq!(parse_object(b"\"x\""), Err(JsonError::NotObject));
        assert_eq!(parse_object(b"{} x"), Err(JsonError::Syntax));
        assert_eq!(parse_object(b"{\"a\":1e400}"), Err(JsonError::Syntax));
        assert_eq!(parse_object(b"{\"a\":\"\xff\"}"), Err(JsonError::Syntax));
        assert_eq!(parse_object(b""), Err(JsonError::Syntax));
    }

    #[test]
    fn limits_depth() {
        let ok = format!(
            "{}{}",
            "{\"a\":".repeat(MAX_DEPTH),
            "1".to_owned() + &"}".repeat(MAX_DEPTH)
        );
        assert!(parse_object(ok.as_bytes()).is_ok());
        let deep = format!(
            "{{\"a\":{}1{}}}",
            "[".repeat(MAX_DEPTH),
            "]".repeat(MAX_DEPTH)
        );
        assert_eq!(parse_object(deep.as_bytes()), Err(JsonError::TooDeep));
        let very_deep = format!("{{\"a\":{}1{}}}", "[".repeat(5000), "]".repeat(5000));
        assert!(parse_object(very_deep.as_bytes()).is_err());
    }
}
