//! [`Data`]: an argument as a JSON tree with binary leaves, for applications that want the binary
//! in place rather than as placeholders.

use std::fmt;

use bytes::Bytes;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use super::json::write_string;

/// A JSON value whose leaves may also be binary; objects keep their key order.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Data {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A number.
    Number(serde_json::Number),
    /// A string.
    String(String),
    /// An array.
    Array(Vec<Data>),
    /// An object, keys in their original order.
    Object(Vec<(String, Data)>),
    /// Binary data (an attachment on the wire).
    Binary(Bytes),
}

impl Data {
    /// Parses `json` and replaces each placeholder with its attachment.
    pub(crate) fn from_json(json: &str, attachments: &[Bytes]) -> Result<Self, serde_json::Error> {
        let mut data: Data = serde_json::from_str(json)?;
        data.resolve_placeholders(attachments);
        Ok(data)
    }

    fn resolve_placeholders(&mut self, attachments: &[Bytes]) {
        match self {
            Data::Array(items) => items
                .iter_mut()
                .for_each(|d| d.resolve_placeholders(attachments)),
            Data::Object(fields) => {
                if let Some(bin) = placeholder_num(fields).and_then(|n| attachments.get(n)) {
                    *self = Data::Binary(bin.clone());
                } else {
                    fields
                        .iter_mut()
                        .for_each(|(_, d)| d.resolve_placeholders(attachments));
                }
            }
            _ => {}
        }
    }

    /// Compact JSON text; each binary leaf becomes `{"_placeholder":true,"num":k}` and is pushed
    /// onto `attachments`.
    pub(crate) fn to_json_with_placeholders(&self, attachments: &mut Vec<Bytes>) -> String {
        let mut out = String::new();
        self.write(&mut out, attachments);
        out
    }

    fn write(&self, out: &mut String, attachments: &mut Vec<Bytes>) {
        match self {
            Data::Null => out.push_str("null"),
            Data::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Data::Number(n) => out.push_str(&n.to_string()),
            Data::String(s) => write_string(out, s),
            Data::Array(items) => {
                out.push('[');
                for (i, d) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    d.write(out, attachments);
                }
                out.push(']');
            }
            Data::Object(fields) => {
                out.push('{');
                for (i, (k, d)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_string(out, k);
                    out.push(':');
                    d.write(out, attachments);
                }
                out.push('}');
            }
            Data::Binary(b) => {
                out.push_str("{\"_placeholder\":true,\"num\":");
                out.push_str(&attachments.len().to_string());
                out.push('}');
                attachments.push(b.clone());
            }
        }
    }
}

/// `Some(k)` if the fields are exactly `_placeholder: true` and `num: k`.
fn placeholder_num(fields: &[(String, Data)]) -> Option<usize> {
    let [(k1, v1), (k2, v2)] = fields else {
        return None;
    };
    let (flag, num) = match (k1.as_str(), k2.as_str()) {
        ("_placeholder", "num") => (v1, v2),
        ("num", "_placeholder") => (v2, v1),
        _ => return None,
    };
    match (flag, num) {
        (Data::Bool(true), Data::Number(n)) => n.as_u64().and_then(|n| usize::try_from(n).ok()),
        _ => None,
    }
}

impl From<serde_json::Value> for Data {
    fn from(value: serde_json::Value) -> Self {
        use serde_json::Value;
        match value {
            Value::Null => Data::Null,
            Value::Bool(b) => Data::Bool(b),
            Value::Number(n) => Data::Number(n),
            Value::String(s) => Data::String(s),
            Value::Array(a) => Data::Array(a.into_iter().map(Data::from).collect()),
            Value::Object(o) => Data::Object(o.into_iter().map(|(k, v)| (k, v.into())).collect()),
        }
    }
}

impl<'de> Deserialize<'de> for Data {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(DataVisitor)
    }
}

struct DataVisitor;

impl<'de> Visitor<'de> for DataVisitor {
    type Value = Data;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Data, E> {
        Ok(Data::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Data, E> {
        Ok(Data::Number(v.into()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Data, E> {
        Ok(Data::Number(v.into()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Data, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Data::Null, Data::Number))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Data, E> {
        Ok(Data::String(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Data, E> {
        Ok(Data::String(v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Data, E> {
        Ok(Data::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Data, E> {
        Ok(Data::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Data, A::Error> {
        let mut items = Vec::new();
        while let Some(d) = seq.next_element()? {
            items.push(d);
        }
        Ok(Data::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Data, A::Error> {
        let mut fields = Vec::new();
        while let Some((k, v)) = map.next_entry::<String, Data>()? {
            fields.push((k, v));
        }
        Ok(Data::Object(fields))
    }
}
