//! MessagePack as `notepack.io` (the Node adapter's parser) writes it, to and from [`Data`]:
//! binary is `bin`, strings are `str`, integers the smallest int type, other numbers `float 64`,
//! and JavaScript's `undefined` (`fixext 1`, type 0) is left out of objects and becomes `null`
//! in arrays, as `JSON.stringify` would do before the packet reaches a client.

use rmpv::Value;
use socketio::proto::Data;

/// Deeper messages are refused: a peer's nesting must not exhaust the stack.
const MAX_DEPTH: usize = 128;

/// Why a MessagePack message could not be read.
#[derive(Debug)]
pub(crate) struct Malformed(pub(crate) String);

/// Reads one MessagePack value (the whole input).
pub(crate) fn decode(bytes: &[u8]) -> Result<Data, Malformed> {
    let mut rd = bytes;
    let value = rmpv::decode::read_value_with_max_depth(&mut rd, MAX_DEPTH)
        .map_err(|e| Malformed(e.to_string()))?;
    if !rd.is_empty() {
        return Err(Malformed(format!("{} trailing bytes", rd.len())));
    }
    Ok(to_data(value))
}

/// Writes one value.
pub(crate) fn encode(data: &Data) -> Vec<u8> {
    let mut out = Vec::new();
    // Writing into a Vec cannot fail.
    let _ = rmpv::encode::write_value(&mut out, &from_data(data));
    out
}

fn is_undefined(v: &Value) -> bool {
    matches!(v, Value::Ext(0, _))
}

fn to_data(value: Value) -> Data {
    match value {
        Value::Nil => Data::Null,
        Value::Boolean(b) => Data::Bool(b),
        Value::Integer(i) => match (i.as_u64(), i.as_i64()) {
            (Some(u), _) => Data::Number(u.into()),
            (None, Some(s)) => Data::Number(s.into()),
            (None, None) => Data::Null,
        },
        Value::F32(f) => number(f64::from(f)),
        Value::F64(f) => number(f),
        Value::String(s) => Data::String(String::from_utf8_lossy(s.as_bytes()).into_owned()),
        Value::Binary(b) => Data::Binary(b.into()),
        Value::Array(items) => Data::Array(
            items
                .into_iter()
                .map(|v| match is_undefined(&v) {
                    true => Data::Null,
                    false => to_data(v),
                })
                .collect(),
        ),
        Value::Map(entries) => Data::Object(
            entries
                .into_iter()
                .filter(|(_, v)| !is_undefined(v))
                .map(|(k, v)| (key(k), to_data(v)))
                .collect(),
        ),
        // notepack's other extension is a Date (type -1); neither carries over as JSON.
        Value::Ext(..) => Data::Null,
    }
}

fn number(f: f64) -> Data {
    serde_json::Number::from_f64(f).map_or(Data::Null, Data::Number)
}

/// JavaScript object keys are strings; a non-string key is written as JavaScript would.
fn key(k: Value) -> String {
    match k {
        Value::String(s) => String::from_utf8_lossy(s.as_bytes()).into_owned(),
        Value::Integer(i) => i.to_string(),
        Value::Boolean(b) => b.to_string(),
        other => other.to_string(),
    }
}

fn from_data(data: &Data) -> Value {
    match data {
        Data::Null => Value::Nil,
        Data::Bool(b) => Value::Boolean(*b),
        Data::Number(n) => {
            if let Some(u) = n.as_u64() {
                Value::from(u)
            } else if let Some(i) = n.as_i64() {
                Value::from(i)
            } else {
                Value::F64(n.as_f64().unwrap_or(0.0))
            }
        }
        Data::String(s) => Value::from(s.as_str()),
        Data::Binary(b) => Value::Binary(b.to_vec()),
        Data::Array(items) => Value::Array(items.iter().map(from_data).collect()),
        Data::Object(fields) => Value::Map(
            fields
                .iter()
                .map(|(k, v)| (Value::from(k.as_str()), from_data(v)))
                .collect(),
        ),
        _ => Value::Nil,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use bytes::Bytes;

    #[test]
    fn notepack_bytes_decode() {
        // notepack.encode(["abc", {type: 2, data: ["ev", Buffer.from([1, 2])], nsp: "/", id: undefined}, 1.5, -3])
        let bytes: &[u8] = &[
            0x94, 0xa3, b'a', b'b', b'c', 0x84, 0xa4, b't', b'y', b'p', b'e', 0x02, 0xa4, b'd',
            b'a', b't', b'a', 0x92, 0xa2, b'e', b'v', 0xc4, 0x02, 0x01, 0x02, 0xa3, b'n', b's',
            b'p', 0xa1, b'/', 0xa2, b'i', b'd', 0xd4, 0x00, 0x00, 0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0,
            0, 0xfd,
        ];
        let data = decode(bytes).unwrap();
        let expected = Data::Array(vec![
            Data::String("abc".into()),
            Data::Object(vec![
                ("type".into(), Data::Number(2u64.into())),
                (
                    "data".into(),
                    Data::Array(vec![
                        Data::String("ev".into()),
                        Data::Binary(Bytes::from_static(&[1, 2])),
                    ]),
                ),
                ("nsp".into(), Data::String("/".into())),
            ]),
            Data::Number(serde_json::Number::from_f64(1.5).unwrap()),
            Data::Number((-3i64).into()),
        ]);
        assert_eq!(data, expected);
        // and back: the same bytes without the undefined field
        let again = encode(&expected);
        assert_eq!(decode(&again).unwrap(), expected);
        assert_eq!(&again[..5], &[0x94, 0xa3, b'a', b'b', b'c']);
        assert!(again.windows(4).any(|w| w == [0xc4, 0x02, 0x01, 0x02]));
    }

    #[test]
    fn hostile_input_is_an_error_not_a_panic() {
        for bytes in [
            &[][..],
            &[0xdd, 0xff, 0xff, 0xff, 0xff][..],
            &[0xc6, 0xff, 0xff, 0xff, 0xff, 0x00][..],
            &[0x91; 1000][..],
            &[0xa3, b'a'][..],
            &[0xc0, 0xc0][..],
        ] {
            assert!(decode(bytes).is_err(), "{bytes:?}");
        }
    }
}
