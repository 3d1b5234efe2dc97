//! The JOSE header: parsed without allocating (strings borrow the decoded bytes unless escaped),
//! with repeated names, `crit` and `b64: false` refused. `jwk`, `jku`, `x5u`, `x5c` and every other
//! parameter are skipped unread: nothing in a token ever chooses or supplies a key.

use std::borrow::Cow;
use std::cell::Cell;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};

use crate::algorithm::Algorithm;
use crate::error::{Error, Malformed};
use crate::json::Skip;

/// The most header parameters accepted in one token.
const MAX_PARAMS: usize = 16;

/// The header parameters this crate acts on. A resolver sees it; [`crate::sign`] writes it.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header<'a> {
    /// `alg`: the signature algorithm.
    pub alg: Algorithm,
    /// `kid`: which key signed (a hint for finding the key, never a key itself).
    pub kid: Option<Cow<'a, str>>,
    /// `typ`: the media type of the whole token (`JWT`, `at+jwt`, ...).
    pub typ: Option<Cow<'a, str>>,
    /// `cty`: the media type of the payload.
    pub cty: Option<Cow<'a, str>>,
}

impl Header<'static> {
    /// A header for signing: `{"alg": alg, "typ": "JWT"}`, as Node and PyJWT write it.
    pub fn new(alg: Algorithm) -> Self {
        Header {
            alg,
            kid: None,
            typ: Some(Cow::Borrowed("JWT")),
            cty: None,
        }
    }
}

impl<'a> Header<'a> {
    /// Sets `kid`.
    #[must_use]
    pub fn with_kid(mut self, kid: impl Into<Cow<'a, str>>) -> Self {
        self.kid = Some(kid.into());
        self
    }

    /// Sets `typ`, or removes it with `None`.
    #[must_use]
    pub fn with_typ(mut self, typ: Option<impl Into<Cow<'a, str>>>) -> Self {
        self.typ = typ.map(Into::into);
        self
    }

    /// Sets `cty`.
    #[must_use]
    pub fn with_cty(mut self, cty: impl Into<Cow<'a, str>>) -> Self {
        self.cty = Some(cty.into());
        self
    }

    /// `kid` as a plain `&str`.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    pub(crate) fn to_json(&self) -> Result<Vec<u8>, Error> {
        #[derive(Serialize)]
        struct Out<'h> {
            alg: &'h str,
            #[serde(skip_serializing_if = "Option::is_none")]
            typ: Option<&'h str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            kid: Option<&'h str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            cty: Option<&'h str>,
        }
        serde_json::to_vec(&Out {
            alg: self.alg.name(),
            typ: self.typ.as_deref(),
            kid: self.kid.as_deref(),
            cty: self.cty.as_deref(),
        })
        .map_err(|_| Error::malformed(Malformed::Header))
    }
}

/// A header as found in a token, before its `alg` name is judged.
#[derive(Debug)]
pub(crate) struct RawHeader<'a> {
    pub(crate) alg: Cow<'a, str>,
    pub(crate) kid: Option<Cow<'a, str>>,
    pub(crate) typ: Option<Cow<'a, str>>,
    pub(crate) cty: Option<Cow<'a, str>>,
}

impl<'a> RawHeader<'a> {
    /// Parses decoded header bytes.
    pub(crate) fn parse(bytes: &'a [u8]) -> Result<Self, Error> {
        // RFC 7515 §4: the header is UTF-8 JSON; check it all, including skipped values.
        if std::str::from_utf8(bytes).is_err() {
            return Err(Error::malformed(Malformed::Header));
        }
        let problem = Cell::new(None);
        let mut de = serde_json::Deserializer::from_slice(bytes);
        let parsed = HeaderSeed { problem: &problem }
            .deserialize(&mut de)
            .and_then(|h| de.end().map(|()| h));
        let fields = match parsed {
            Ok(fields) => fields,
            Err(_) => return Err(Error::malformed(problem.get().unwrap_or(Malformed::Header))),
        };
        if fields.crit {
            return Err(Error::malformed(Malformed::Critical));
        }
        if fields.b64 == Some(false) {
            return Err(Error::malformed(Malformed::UnencodedPayload));
        }
        if let Some(cty) = &fields.cty {
            let cty = cty.strip_prefix("application/").unwrap_or(cty);
            if cty.eq_ignore_ascii_case("jwt") {
                return Err(Error::malformed(Malformed::NestedToken));
            }
        }
        let alg = fields
            .alg
            .ok_or(Error::malformed(Malformed::MissingAlgorithm))?;
        Ok(RawHeader {
            alg,
            kid: fields.kid,
            typ: fields.typ,
            cty: fields.cty,
        })
    }

    /// Judges the `alg` name: an implemented algorithm, `none` in any case (refused outright), or
    /// something unknown.
    pub(crate) fn into_header(self) -> Result<Header<'a>, Error> {
        let alg = match Algorithm::from_name(&self.alg) {
            Some(alg) => alg,
            None if self.alg.eq_ignore_ascii_case("none") => return Err(Error::InvalidAlgorithm),
            None => return Err(Error::UnsupportedAlgorithm),
        };
        Ok(Header {
            alg,
            kid: self.kid,
            typ: self.typ,
            cty: self.cty,
        })
    }
}

#[derive(Default)]
struct Fields<'a> {
    alg: Option<Cow<'a, str>>,
    kid: Option<Cow<'a, str>>,
    typ: Option<Cow<'a, str>>,
    cty: Option<Cow<'a, str>>,
    crit: bool,
    b64: Option<bool>,
}

/// A JSON string that borrows from the input when it has no escapes.
struct Text<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor;
        impl<'de> Visitor<'de> for TextVisitor {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(v.to_owned())))
            }
        }
        deserializer.deserialize_str(TextVisitor)
    }
}

struct HeaderSeed<'p> {
    problem: &'p Cell<Option<Malformed>>,
}

impl<'de> DeserializeSeed<'de> for HeaderSeed<'_> {
    type Value = Fields<'de>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Fields<'de>, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for HeaderSeed<'_> {
    type Value = Fields<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JOSE header object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Fields<'de>, A::Error> {
        let mut fields = Fields::default();
        let mut seen: [Cow<'de, str>; MAX_PARAMS] = Default::default();
        let mut count = 0;
        while let Some(Text(name)) = map.next_key::<Text<'de>>()? {
            let already = seen.get(..count).unwrap_or(&[]).contains(&name);
            if already {
                self.problem.set(Some(Malformed::DuplicateKey));
                return Err(de::Error::custom("duplicate header parameter"));
            }
            match name.as_ref() {
                "alg" => fields.alg = Some(map.next_value::<Text<'de>>()?.0),
                "kid" => fields.kid = Some(map.next_value::<Text<'de>>()?.0),
                "typ" => fields.typ = Some(map.next_value::<Text<'de>>()?.0),
                "cty" => fields.cty = Some(map.next_value::<Text<'de>>()?.0),
                "b64" => fields.b64 = Some(map.next_value::<bool>()?),
                "crit" => {
                    map.next_value_seed(Skip { depth: 1 })?;
                    fields.crit = true;
                }
                // jwk, jku, x5u, x5c, x5t, x5t#S256 and private parameters: never used.
                _ => map.next_value_seed(Skip { depth: 1 })?,
            }
            match seen.get_mut(count) {
                Some(slot) => *slot = name,
                None => return Err(de::Error::custom("too many header parameters")),
            }
            count += 1;
        }
        Ok(fields)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<Header<'_>, Error> {
        RawHeader::parse(json.as_bytes()).and_then(RawHeader::into_header)
    }

    #[test]
    fn parses_the_common_header_without_copying() {
        let h = parse(
            r#"{"alg":"RS256","typ":"JWT","kid":"k1","x5u":"https://evil","jwk":{"kty":"oct"}}"#,
        );
        let h = h.unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(h.alg, Algorithm::RS256);
        assert!(matches!(h.kid, Some(Cow::Borrowed("k1"))));
        assert_eq!(h.typ.as_deref(), Some("JWT"));
    }

    #[test]
    fn escaped_strings_are_decoded() {
        let h = parse(r#"{"alg":"HS256","kid":"a\"b\u0041"}"#);
        assert_eq!(
            h.map(|h| h.kid.map(Cow::into_owned)),
            Ok(Some("a\"bA".into()))
        );
    }

    #[test]
    fn refuses_what_it_must() {
        let cases: &[(&str, Error)] = &[
            (
                r#"{"alg":"HS256","alg":"none"}"#,
                Error::malformed(Malformed::DuplicateKey),
            ),
            (
                r#"{"alg":"HS256","\u0061lg":"none"}"#,
                Error::malformed(Malformed::DuplicateKey),
            ),
            (
                r#"{"alg":"HS256","kid":"a","kid":"b"}"#,
                Error::malformed(Malformed::DuplicateKey),
            ),
            (
                r#"{"alg":"HS256","x":1,"x":2}"#,
                Error::malformed(Malformed::DuplicateKey),
            ),
            (
                r#"{"alg":"HS256","crit":["exp"]}"#,
                Error::malformed(Malformed::Critical),
            ),
            (
                r#"{"alg":"HS256","crit":[]}"#,
                Error::malformed(Malformed::Critical),
            ),
            (
                r#"{"alg":"HS256","b64":false,"crit":["b64"]}"#,
                Error::malformed(Malformed::Critical),
            ),
            (
                r#"{"alg":"HS256","b64":false}"#,
                Error::malformed(Malformed::UnencodedPayload),
            ),
            (
                r#"{"alg":"HS256","b64":"false"}"#,
                Error::malformed(Malformed::Header),
            ),
            (
                r#"{"alg":"HS256","cty":"JWT"}"#,
                Error::malformed(Malformed::NestedToken),
            ),
            (
                r#"{"alg":"HS256","cty":"application/jwt"}"#,
                Error::malformed(Malformed::NestedToken),
            ),
            (
                r#"{"typ":"JWT"}"#,
                Error::malformed(Malformed::MissingAlgorithm),
            ),
            (r#"{"alg":256}"#, Error::malformed(Malformed::Header)),
            (r#"{"alg":null}"#, Error::malformed(Malformed::Header)),
            (r#"["alg","HS256"]"#, Error::malformed(Malformed::Header)),
            (r#"{"alg":"HS256"} {}"#, Error::malformed(Malformed::Header)),
            (r#"{"alg":"HS256""#, Error::malformed(Malformed::Header)),
            (r#"{"alg":"none"}"#, Error::InvalidAlgorithm),
            (r#"{"alg":"None"}"#, Error::InvalidAlgorithm),
            (r#"{"alg":"NONE"}"#, Error::InvalidAlgorithm),
            (r#"{"alg":"nOnE"}"#, Error::InvalidAlgorithm),
            (r#"{"alg":"ES512"}"#, Error::UnsupportedAlgorithm),
            (r#"{"alg":"hs256"}"#, Error::UnsupportedAlgorithm),
        ];
        for (json, expected) in cases {
            assert_eq!(parse(json).as_ref().err(), Some(expected), "{json}");
        }
        let many: String = (0..20).map(|i| format!(",\"p{i}\":1")).collect();
        let json = format!("{{\"alg\":\"HS256\"{many}}}");
        assert!(parse(&json).is_err());
        assert!(RawHeader::parse(b"{\"alg\":\"HS256\",\"x\":\"\xff\"}").is_err());
    }

    #[test]
    fn writes_alg_first() {
        let json = Header::new(Algorithm::ES256).with_kid("k").to_json();
        assert_eq!(
            json.ok().as_deref(),
            Some(&br#"{"alg":"ES256","typ":"JWT","kid":"k"}"#[..])
        );
    }
}
