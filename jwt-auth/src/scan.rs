//! One strict pass over a verified payload that checks it is a JSON object under the rules of
//! [`crate::json`] (no repeated names at any depth, bounded depth) and picks out what the claim
//! checks need, without allocating: the registered claims borrow the payload, `aud` is matched
//! against the accepted audiences as it streams by, and required claims are ticked off.

use std::borrow::Cow;
use std::cell::Cell;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::claims::{date_from_f64, date_from_i64};
use crate::json::{JsonError, MAX_DEPTH};

/// A NumericDate claim as found: any JSON number, saturated to whole seconds in `u64` (see
/// [`crate::claims::numeric_date`]); `Invalid` for any other JSON value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Date {
    Absent,
    At(u64),
    Invalid,
}

/// A string claim as found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Text<'a> {
    Absent,
    Is(Cow<'a, str>),
    Invalid,
}

/// `aud` as found, already compared with the accepted audiences.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Audience {
    Absent,
    Present { matched: bool },
    Invalid,
}

/// What the claim checks need from a payload.
#[derive(Debug)]
pub(crate) struct Scanned<'a> {
    pub(crate) exp: Date,
    pub(crate) nbf: Date,
    pub(crate) iat: Date,
    pub(crate) iss: Text<'a>,
    pub(crate) sub: Text<'a>,
    pub(crate) jti: Text<'a>,
    pub(crate) aud: Audience,
    /// Bit `i` set: the `i`-th required claim is present (the first 64 are tracked).
    pub(crate) present: u64,
}

/// Scans `payload`. `audiences` are the accepted audiences, `required` the required claim names.
pub(crate) fn scan<'a, S: AsRef<str>>(
    payload: &'a [u8],
    audiences: &[String],
    required: &[S],
) -> Result<Scanned<'a>, JsonError> {
    let problem = Cell::new(None);
    let context = Context {
        audiences,
        problem: &problem,
    };
    let mut de = serde_json::Deserializer::from_slice(payload);
    let result = (&mut de)
        .deserialize_map(Top { context, required })
        .and_then(|s| de.end().map(|()| s));
    match result {
        Ok(scanned) => Ok(scanned),
        Err(e) if e.is_data() && problem.get().is_none() => Err(JsonError::NotObject),
        Err(_) => Err(problem.get().unwrap_or(JsonError::Syntax)),
    }
}

#[derive(Clone, Copy)]
struct Context<'c> {
    audiences: &'c [String],
    problem: &'c Cell<Option<JsonError>>,
}

impl Context<'_> {
    fn fail<E: de::Error>(&self, problem: JsonError) -> E {
        self.problem.set(Some(problem));
        E::custom("refused")
    }
}

/// A JSON string key that borrows when it has no escapes.
struct Key<'a>(Cow<'a, str>);

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(StrVisitor).map(Key)
    }
}

struct StrVisitor;

impl<'de> Visitor<'de> for StrVisitor {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_owned()))
    }
}

/// The names seen in one object: inline for the usual handful, spilling to the heap after.
struct Seen<'a> {
    inline: [Cow<'a, str>; 12],
    len: usize,
    spill: Vec<Cow<'a, str>>,
}

impl<'a> Seen<'a> {
    fn new() -> Self {
        Seen {
            inline: Default::default(),
            len: 0,
            spill: Vec::new(),
        }
    }

    /// Records `name`; false if it was already there.
    fn insert(&mut self, name: Cow<'a, str>) -> bool {
        let inline = self.inline.get(..self.len).unwrap_or(&[]);
        if inline.contains(&name) || self.spill.contains(&name) {
            return false;
        }
        match self.inline.get_mut(self.len) {
            Some(slot) => {
                *slot = name;
                self.len += 1;
            }
            None => self.spill.push(name),
        }
        true
    }
}

struct Top<'c, 'r, S> {
    context: Context<'c>,
    required: &'r [S],
}

impl<'de, S: AsRef<str>> Visitor<'de> for Top<'_, '_, S> {
    type Value = Scanned<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Scanned<'de>, A::Error> {
        let cx = self.context;
        let mut out = Scanned {
            exp: Date::Absent,
            nbf: Date::Absent,
            iat: Date::Absent,
            iss: Text::Absent,
            sub: Text::Absent,
            jti: Text::Absent,
            aud: Audience::Absent,
            present: 0,
        };
        let mut seen = Seen::new();
        while let Some(Key(name)) = map.next_key::<Key<'de>>()? {
            match name.as_ref() {
                "exp" => out.exp = map.next_value_seed(DateSeed(cx))?,
                "nbf" => out.nbf = map.next_value_seed(DateSeed(cx))?,
                "iat" => out.iat = map.next_value_seed(DateSeed(cx))?,
                "iss" => out.iss = map.next_value_seed(TextSeed(cx))?,
                "sub" => out.sub = map.next_value_seed(TextSeed(cx))?,
                "jti" => out.jti = map.next_value_seed(TextSeed(cx))?,
                "aud" => out.aud = map.next_value_seed(AudienceSeed(cx))?,
                _ => map.next_value_seed(Strict { cx, depth: 1 })?,
            }
            for (i, required) in self.required.iter().take(64).enumerate() {
                if required.as_ref() == name {
                    out.present |= 1 << i;
                }
            }
            if !seen.insert(name) {
                return Err(cx.fail(JsonError::Duplicate));
            }
        }
        Ok(out)
    }
}

/// Any value, checked strictly and dropped. `depth` is the depth of its container.
#[derive(Clone, Copy)]
struct Strict<'c> {
    cx: Context<'c>,
    depth: usize,
}

impl<'c> Strict<'c> {
    fn nested<E: de::Error>(self) -> Result<Strict<'c>, E> {
        if self.depth >= MAX_DEPTH {
            return Err(self.cx.fail(JsonError::TooDeep));
        }
        Ok(Strict {
            depth: self.depth + 1,
            ..self
        })
    }
}

impl<'de> DeserializeSeed<'de> for Strict<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Strict<'_> {
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
        while seq.next_element_seed(inner)?.is_some() {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let inner = self.nested()?;
        let mut seen = Seen::new();
        while let Some(Key(name)) = map.next_key::<Key<'de>>()? {
            map.next_value_seed(inner)?;
            if !seen.insert(name) {
                return Err(self.cx.fail(JsonError::Duplicate));
            }
        }
        Ok(())
    }
}

/// Forwards the visitor methods every "anything but my type is invalid" seed shares: scalars of
/// the wrong type give `$invalid`; arrays and objects are still checked strictly first.
macro_rules! wrong_types_are {
    ($invalid:expr) => {
        fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
            Ok($invalid)
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok($invalid)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
            Strict {
                cx: self.0,
                depth: 1,
            }
            .visit_seq(seq)?;
            Ok($invalid)
        }
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            Strict {
                cx: self.0,
                depth: 1,
            }
            .visit_map(map)?;
            Ok($invalid)
        }
    };
}

struct DateSeed<'c>(Context<'c>);

impl<'de> DeserializeSeed<'de> for DateSeed<'_> {
    type Value = Date;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Date, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for DateSeed<'_> {
    type Value = Date;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a NumericDate")
    }

    fn visit_u64<E>(self, v: u64) -> Result<Date, E> {
        Ok(Date::At(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Date, E> {
        Ok(Date::At(date_from_i64(v)))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Date, E> {
        Ok(Date::At(date_from_f64(v)))
    }

    fn visit_str<E>(self, _: &str) -> Result<Date, E> {
        Ok(Date::Invalid)
    }

    wrong_types_are!(Date::Invalid);
}

struct TextSeed<'c>(Context<'c>);

impl<'de> DeserializeSeed<'de> for TextSeed<'_> {
    type Value = Text<'de>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Text<'de>, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for TextSeed<'_> {
    type Value = Text<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Text<'de>, E> {
        Ok(Text::Is(Cow::Borrowed(v)))
    }

    fn visit_str<E>(self, v: &str) -> Result<Text<'de>, E> {
        Ok(Text::Is(Cow::Owned(v.to_owned())))
    }

    fn visit_u64<E>(self, _: u64) -> Result<Text<'de>, E> {
        Ok(Text::Invalid)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Text<'de>, E> {
        Ok(Text::Invalid)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Text<'de>, E> {
        Ok(Text::Invalid)
    }

    wrong_types_are!(Text::Invalid);
}

struct AudienceSeed<'c>(Context<'c>);

impl<'de> DeserializeSeed<'de> for AudienceSeed<'_> {
    type Value = Audience;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Audience, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for AudienceSeed<'_> {
    type Value = Audience;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string or an array of strings")
    }

    fn visit_str<E>(self, v: &str) -> Result<Audience, E> {
        Ok(Audience::Present {
            matched: self.0.audiences.iter().any(|a| a == v),
        })
    }

    fn visit_u64<E>(self, _: u64) -> Result<Audience, E> {
        Ok(Audience::Invalid)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Audience, E> {
        Ok(Audience::Invalid)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Audience, E> {
        Ok(Audience::Invalid)
    }

    fn visit_bool<E>(self, _: bool) -> Result<Audience, E> {
        Ok(Audience::Invalid)
    }

    fn visit_unit<E>(self) -> Result<Audience, E> {
        Ok(Audience::Invalid)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Audience, A::Error> {
        let mut matched = false;
        let mut valid = true;
        while let Some(item) = seq.next_element_seed(AudienceItem(self.0))? {
            match item {
                Some(m) => matched |= m,
                None => valid = false,
            }
        }
        Ok(if valid {
            Audience::Present { matched }
        } else {
            Audience::Invalid
        })
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Audience, A::Error> {
        Strict {
            cx: self.0,
            depth: 1,
        }
        .visit_map(map)?;
        Ok(Audience::Invalid)
    }
}

/// One element of an `aud` array: `Some(matched)` for a string, `None` for anything else.
struct AudienceItem<'c>(Context<'c>);

impl<'de> DeserializeSeed<'de> for AudienceItem<'_> {
    type Value = Option<bool>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Option<bool>, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for AudienceItem<'_> {
    type Value = Option<bool>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E>(self, v: &str) -> Result<Option<bool>, E> {
        Ok(Some(self.0.audiences.iter().any(|a| a == v)))
    }

    fn visit_u64<E>(self, _: u64) -> Result<Option<bool>, E> {
        Ok(None)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Option<bool>, E> {
        Ok(None)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Option<bool>, E> {
        Ok(None)
    }

    fn visit_bool<E>(self, _: bool) -> Result<Option<bool>, E> {
        Ok(None)
    }

    fn visit_unit<E>(self) -> Result<Option<bool>, E> {
        Ok(None)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Option<bool>, A::Error> {
        Strict {
            cx: self.0,
            depth: 2,
        }
        .visit_seq(seq)?;
        Ok(None)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Option<bool>, A::Error> {
        Strict {
            cx: self.0,
            depth: 2,
        }
        .visit_map(map)?;
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(json: &str) -> Result<Scanned<'_>, JsonError> {
        scan(json.as_bytes(), &["a".to_owned()], &["exp", "sub"])
    }

    #[test]
    fn picks_out_registered_claims() {
        let s = run(
            r#"{"exp":10,"nbf":1.5,"iat":-1,"iss":"x","sub":"a\"b","jti":7,"aud":["b","a"],"z":{"q":[1,{"r":null}]}}"#,
        );
        let s = s.unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(
            (s.exp, s.nbf, s.iat),
            (Date::At(10), Date::At(2), Date::At(0))
        );
        let far = run(r#"{"exp":1e300,"nbf":-1e300,"iat":"1"}"#);
        let far = far.unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(
            (far.exp, far.nbf, far.iat),
            (Date::At(u64::MAX), Date::At(0), Date::Invalid)
        );
        assert_eq!(s.iss, Text::Is(Cow::Borrowed("x")));
        assert_eq!(s.sub, Text::Is(Cow::Owned("a\"b".into())));
        assert_eq!(s.jti, Text::Invalid);
        assert_eq!(s.aud, Audience::Present { matched: true });
        assert_eq!(s.present, 0b11);
    }

    #[test]
    fn audience_shapes() {
        let aud = |json: &str| run(json).map(|s| s.aud);
        assert_eq!(
            aud(r#"{"aud":"b"}"#),
            Ok(Audience::Present { matched: false })
        );
        assert_eq!(
            aud(r#"{"aud":[]}"#),
            Ok(Audience::Present { matched: false })
        );
        assert_eq!(aud(r#"{"aud":["a",1]}"#), Ok(Audience::Invalid));
        assert_eq!(aud(r#"{"aud":[["a"]]}"#), Ok(Audience::Invalid));
        assert_eq!(aud(r#"{"aud":{"a":1}}"#), Ok(Audience::Invalid));
        assert_eq!(aud(r#"{"aud":null}"#), Ok(Audience::Invalid));
        assert_eq!(aud(r#"{}"#), Ok(Audience::Absent));
    }

    #[test]
    fn strictness() {
        assert_eq!(run(r#"{"a":1,"a":1}"#).err(), Some(JsonError::Duplicate));
        assert_eq!(
            run(r#"{"exp":1,"e\u0078p":1}"#).err(),
            Some(JsonError::Duplicate)
        );
        assert_eq!(
            run(r#"{"x":{"a":1,"a":1}}"#).err(),
            Some(JsonError::Duplicate)
        );
        assert_eq!(
            run(r#"{"aud":{"a":1,"a":1}}"#).err(),
            Some(JsonError::Duplicate)
        );
        assert_eq!(
            run(r#"{"exp":[{"a":1,"a":1}]}"#).err(),
            Some(JsonError::Duplicate)
        );
        let many: String = (0..40).map(|i| format!("\"k{i}\":1,")).collect();
        assert!(run(&format!("{{{many}\"k0\":2}}")).is_err());
        assert!(run(&format!("{{{many}\"last\":2}}")).is_ok());
        assert_eq!(run("[]").err(), Some(JsonError::NotObject));
        assert_eq!(run("\"x\"").err(), Some(JsonError::NotObject));
        assert_eq!(run("{} {}").err(), Some(JsonError::Syntax));
        assert_eq!(run(r#"{"a":1e400}"#).err(), Some(JsonError::Syntax));
        let deep = format!(
            "{{\"a\":{}1{}}}",
            "[".repeat(MAX_DEPTH),
            "]".repeat(MAX_DEPTH)
        );
        assert_eq!(run(&deep).err(), Some(JsonError::TooDeep));
        let ok = format!(
            "{{\"a\":{}1{}}}",
            "[".repeat(MAX_DEPTH - 1),
            "]".repeat(MAX_DEPTH - 1)
        );
        assert!(run(&ok).is_ok());
    }
}
