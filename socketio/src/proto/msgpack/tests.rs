#![allow(clippy::unwrap_used)]

use bytes::Bytes;

use super::super::{
    DecodeError, JsonError, Limits, MsgPackError, Namespace, Packet, PacketType, Payload, RawJson,
};
use super::{decode_msgpack, encode_msgpack};
use crate::proto::Data;

/// Bytes from hex written with spaces and `|` between the parts.
fn hex(text: &str) -> Vec<u8> {
    let digits: Vec<u8> = text.bytes().filter(u8::is_ascii_hexdigit).collect();
    digits
        .chunks(2)
        .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).unwrap(), 16).unwrap())
        .collect()
}

fn raw(json: &str) -> RawJson {
    RawJson::parse(json).unwrap()
}

fn nsp(name: &str) -> Namespace {
    Namespace::new(name).unwrap()
}

/// An EVENT whose arguments are the elements of the JSON array `args`, each kept as its text
/// (read by the text decoder, as the ACK `30<args>`).
fn event(ns: &str, id: Option<u64>, name: &str, args: &str) -> Packet {
    let decoded = crate::proto::decode_text(&format!("30{args}"), &Limits::default());
    let Ok(crate::proto::Decoded::Complete(Packet::Ack { args, .. })) = decoded else {
        panic!("args must be a JSON array: {args}");
    };
    let args = args.args().to_vec();
    Packet::Event {
        nsp: nsp(ns),
        id,
        name: name.into(),
        args: Payload::json(args).unwrap(),
    }
}

fn decode(bytes: &[u8]) -> Result<Packet, DecodeError> {
    decode_msgpack(bytes, &Limits::default())
}

fn round_trip(packet: &Packet) {
    let bytes = encode_msgpack(packet);
    assert_eq!(decode(&bytes).as_ref(), Ok(packet), "{bytes:02x?}");
}

/// Byte-exact vectors, derived from notepack.io's `lib/encode.js` for the objects the Node server
/// builds (`{type, data, nsp}`, `socket.emit` adds `id` before `nsp`, `socket.ack` builds
/// `{id, type, data}`), and checked against the real `socket.io-msgpack-parser`.
fn golden() -> Vec<(&'static str, Packet, Vec<u8>)> {
    let bin = |b: &'static [u8]| Data::Binary(Bytes::from_static(b));
    vec![
        (
            "client CONNECT to / without auth",
            Packet::Connect {
                nsp: Namespace::main(),
                data: None,
            },
            // fixmap 2 | fixstr 4 "type" | fixint 0 | fixstr 3 "nsp" | fixstr 1 "/"
            hex("82 | a4 74797065 | 00 | a3 6e7370 | a1 2f"),
        ),
        (
            "server CONNECT on /admin",
            Packet::Connect {
                nsp: nsp("/admin"),
                data: Some(raw(r#"{"sid":"abc"}"#)),
            },
            // fixmap 3 | "type" 0 | "data" fixmap 1 { fixstr "sid": fixstr "abc" } | "nsp" "/admin"
            hex("83 | a4 74797065 00 | a4 64617461 81 a3 736964 a3 616263 | a3 6e7370 a6 2f61646d696e"),
        ),
        (
            "DISCONNECT from /chat",
            Packet::Disconnect { nsp: nsp("/chat") },
            // fixmap 2 | "type" 1 | "nsp" "/chat"
            hex("82 | a4 74797065 01 | a3 6e7370 a5 2f63686174"),
        ),
        (
            "EVENT with text and numbers",
            event("/", None, "chat", r#"["hi",1.5,-1,300]"#),
            // fixmap 3 | "type" 2 | "data" fixarray 5 [ "chat", "hi",
            //   float64 1.5 (cb 3ff8000000000000: not an integer), negative fixint -1 (ff),
            //   uint16 300 (cd 012c) ] | "nsp" "/"
            hex(
                "83 | a4 74797065 02 | a4 64617461 95 a4 63686174 a2 6869 \
                 cb 3ff8000000000000 ff cd 012c | a3 6e7370 a1 2f",
            ),
        ),
        (
            "EVENT with an ack id and binary",
            Packet::Event {
                nsp: Namespace::main(),
                id: Some(12),
                name: "file".into(),
                args: Payload::from_data(&[
                    Data::Object(vec![("a".into(), Data::Null)]),
                    bin(&[1, 2]),
                ]),
            },
            // fixmap 4 | "type" 2 | "data" fixarray 3 [ "file", fixmap 1 { "a": nil },
            //   bin8 len 2 0102 ] | "id" 12 | "nsp" "/"
            hex(
                "84 | a4 74797065 02 | a4 64617461 93 a4 66696c65 81 a1 61 c0 c4 02 0102 \
                 | a2 6964 0c | a3 6e7370 a1 2f",
            ),
        ),
        (
            "ACK with binary on /admin",
            Packet::Ack {
                nsp: nsp("/admin"),
                id: 7,
                args: Payload::from_data(&[Data::Null, Data::Bool(true), bin(&[1, 2, 3])]),
            },
            // fixmap 4 | "id" 7 | "type" 3 | "data" fixarray 3 [ nil, true, bin8 len 3 010203 ]
            //   | "nsp" "/admin"
            hex(
                "84 | a2 6964 07 | a4 74797065 03 | a4 64617461 93 c0 c3 c4 03 010203 \
                 | a3 6e7370 a6 2f61646d696e",
            ),
        ),
        (
            "CONNECT_ERROR for an unknown namespace",
            Packet::ConnectError {
                nsp: nsp("/x"),
                data: raw(r#"{"message":"Invalid namespace"}"#),
            },
            // fixmap 3 | "type" 4 | "data" fixmap 1 { fixstr 7 "message": fixstr 17
            //   "Invalid namespace" } | "nsp" "/x"
            hex(
                "83 | a4 74797065 04 | a4 64617461 81 a7 6d657373616765 \
                 b1 496e76616c6964206e616d657370616365 | a3 6e7370 a2 2f78",
            ),
        ),
    ]
}

#[test]
fn golden_vectors_encode_and_decode() {
    for (what, packet, bytes) in golden() {
        assert_eq!(
            encode_msgpack(&packet).as_ref(),
            &bytes[..],
            "{what}: encoded bytes"
        );
        assert_eq!(decode(&bytes), Ok(packet), "{what}: decoded packet");
    }
}

#[test]
fn every_packet_type_round_trips() {
    let packets = [
        Packet::Connect {
            nsp: nsp("/a"),
            data: Some(raw(r#"{"token":"t","n":[1,2],"deep":{"x":null}}"#)),
        },
        Packet::Connect {
            nsp: Namespace::main(),
            data: Some(raw("{}")),
        },
        Packet::Disconnect {
            nsp: Namespace::main(),
        },
        event("/", None, "e", "[]"),
        event(
            "/n",
            Some(0),
            "e",
            r#"[{"z":1,"a":2},[[["deep"]]],"é ☃ 😀",""]"#,
        ),
        event(
            "/",
            Some(u64::MAX),
            "with \"quotes\" and \\",
            r#"["\u0001\n"]"#,
        ),
        Packet::Ack {
            nsp: Namespace::main(),
            id: 0,
            args: Payload::empty(),
        },
        Packet::Ack {
            nsp: nsp("/b"),
            id: 1 << 40,
            args: Payload::json(vec![raw("[1,{}]"), raw("false")]).unwrap(),
        },
        Packet::ConnectError {
            nsp: Namespace::main(),
            data: raw(r#""not authorized""#),
        },
        Packet::ConnectError {
            nsp: nsp("/c"),
            data: raw(r#"{"message":"m","data":{"code":401}}"#),
        },
    ];
    for packet in &packets {
        round_trip(packet);
    }
}

#[test]
fn integers_take_the_smallest_format_and_floats_float64() {
    let cases: &[(&str, &str)] = &[
        ("0", "00"),
        ("127", "7f"),
        ("128", "cc 80"),
        ("255", "cc ff"),
        ("256", "cd 0100"),
        ("65535", "cd ffff"),
        ("65536", "ce 00010000"),
        ("4294967295", "ce ffffffff"),
        ("4294967296", "cf 0000000100000000"),
        ("18446744073709551615", "cf ffffffffffffffff"),
        ("-1", "ff"),
        ("-32", "e0"),
        ("-33", "d0 df"),
        ("-128", "d0 80"),
        ("-129", "d1 ff7f"),
        ("-32768", "d1 8000"),
        ("-32769", "d2 ffff7fff"),
        ("-2147483648", "d2 80000000"),
        ("-2147483649", "d3 ffffffff7fffffff"),
        ("-9223372036854775808", "d3 8000000000000000"),
        ("1.5", "cb 3ff8000000000000"),
        ("-0.25", "cb bfd0000000000000"),
        ("1e+300", "cb 7e37e43c8800759c"),
        ("5e-324", "cb 0000000000000001"),
        // 2^64 is integral but past every integer format: float 64
        ("18446744073709552000", "cb 43f0000000000000"),
        // Past i64::MIN as written, though its float 64 is -2^63: float 64, which reads back as
        // the same text (found by the `sio_msgpack` fuzz target)
        ("-9223372036854776000", "cb c3e0000000000000"),
    ];
    for &(json, bytes) in cases {
        let mut out = Vec::new();
        super::write::json(&mut out, json, &[]);
        assert_eq!(out, hex(bytes), "{json}");
        // and each decodes back to the same JSON text
        round_trip(&event("/", None, "n", &format!("[{json}]")));
    }
    // What `JSON.parse` makes an integer is written as one, as notepack sees it; an integer
    // written past the ranges is not, whatever its float 64
    for (json, bytes) in [
        ("1.0", "01"),
        ("1e2", "64"),
        ("-0", "00"),
        ("-2.0", "fe"),
        ("-9223372036854775809", "cb c3e0000000000000"),
    ] {
        let mut out = Vec::new();
        super::write::json(&mut out, json, &[]);
        assert_eq!(out, hex(bytes), "{json}");
    }
}

#[test]
fn nested_binary_round_trips_in_order() {
    let b = |n: u8| Data::Binary(Bytes::from(vec![n; usize::from(n)]));
    let args = vec![
        Data::Object(vec![
            ("a".into(), Data::Array(vec![Data::Null, b(1)])),
            ("b".into(), Data::Object(vec![("c".into(), b(2))])),
        ]),
        b(3),
        Data::Array(vec![Data::Array(vec![b(4)])]),
    ];
    let packet = Packet::Event {
        nsp: nsp("/bin"),
        id: Some(3),
        name: "up".into(),
        args: Payload::from_data(&args),
    };
    round_trip(&packet);
    let Packet::Event { args: decoded, .. } = decode(&encode_msgpack(&packet)).unwrap() else {
        panic!("not an event");
    };
    assert_eq!(decoded.to_data().unwrap(), args);
    // Large binary takes the 16- and 32-bit forms.
    for len in [255, 256, 65535, 65536] {
        let packet = Packet::Event {
            nsp: Namespace::main(),
            id: None,
            name: "big".into(),
            args: Payload::from_data(&[Data::Binary(Bytes::from(vec![7; len]))]),
        };
        round_trip(&packet);
    }
}

#[test]
fn long_strings_arrays_and_maps_take_the_wider_forms() {
    for len in [31, 32, 255, 256, 65535, 65536] {
        let s = "x".repeat(len);
        round_trip(&event("/", None, &s, &format!(r#"["{s}"]"#)));
    }
    for len in [15, 16, 65535, 65536] {
        let array = format!("[{}]", vec!["1"; len].join(","));
        let map = format!(
            "{{{}}}",
            (0..len)
                .map(|i| format!(r#""k{i}":{i}"#))
                .collect::<Vec<_>>()
                .join(",")
        );
        round_trip(&event("/", None, "e", &format!("[{array},{map}]")));
    }
}

#[test]
fn what_javascript_peers_send_decodes() {
    // socket.io-client: {type, data, options: {compress: true}, id, nsp}; options is ignored.
    let bytes = hex(
        "85 | a4 74797065 02 | a4 64617461 92 a5 68656c6c6f a5 776f726c64 \
         | a7 6f7074696f6e73 81 a8 636f6d7072657373 c3 | a2 6964 05 | a3 6e7370 a1 2f",
    );
    assert_eq!(
        decode(&bytes),
        Ok(event("/", Some(5), "hello", r#"["world"]"#))
    );
    // CONNECT with `data: undefined` (fixext 1, type 0): no auth.
    let bytes = hex("83 | a4 74797065 00 | a4 64617461 d4 00 00 | a3 6e7370 a1 2f");
    assert_eq!(
        decode(&bytes),
        Ok(Packet::Connect {
            nsp: Namespace::main(),
            data: None
        })
    );
    // undefined in an array is null, in a map drops the key; float 32 reads as its double;
    // an ArrayBuffer (ext 8, type 0) is binary; a float 64 that is an integer reads as one.
    let bytes = hex("83 | a4 74797065 02 | a4 64617461 96 a1 65 d4 00 00 \
         82 a1 61 d4 00 00 a1 62 01 ca 3fc00000 c7 02 00 0909 cb 4008000000000000 \
         | a3 6e7370 a1 2f");
    let Ok(Packet::Event { name, args, .. }) = decode(&bytes) else {
        panic!("{:?}", decode(&bytes));
    };
    assert_eq!(name, "e");
    let texts: Vec<&str> = args.args().iter().map(RawJson::as_str).collect();
    assert_eq!(
        texts,
        [
            "null",
            r#"{"b":1}"#,
            "1.5",
            r#"{"_placeholder":true,"num":0}"#,
            "3"
        ]
    );
    assert_eq!(args.attachments(), [Bytes::from_static(&[9, 9])]);
    // keys in another order, a numeric event name (kept as its text, as the text decoder does)
    let bytes = hex("83 | a3 6e7370 a1 2f | a4 64617461 92 2a c0 | a4 74797065 02");
    assert_eq!(decode(&bytes), Ok(event("/", None, "42", "[null]")));
}

#[test]
fn every_truncation_of_a_valid_packet_is_refused() {
    for (what, _, bytes) in golden() {
        for len in 0..bytes.len() {
            assert!(
                decode(&bytes[..len]).is_err(),
                "{what}: prefix of {len} bytes accepted"
            );
        }
        let mut longer = bytes.clone();
        longer.push(0xc0);
        assert_eq!(
            decode(&longer),
            Err(MsgPackError::TrailingBytes {
                offset: bytes.len()
            }
            .into()),
            "{what}"
        );
    }
}

/// A packet `{type: <ty>, data: <data>, nsp: "/"}` with raw MessagePack parts.
fn packet_with(ty: &str, data: &str) -> Vec<u8> {
    hex(&format!(
        "83 | a4 74797065 {ty} | a4 64617461 {data} | a3 6e7370 a1 2f"
    ))
}

#[test]
fn binary_in_a_connect_payload_becomes_nodes_buffer_json() {
    // {b: <bin 00 ff>, s: '{"_placeholder":true,"num":0}'} on /
    let s = r#"{"_placeholder":true,"num":0}"#;
    let data = format!("82 a1 62 c4 02 00ff a1 73 d9 {:02x} {}", s.len(), hex_of(s));
    let packet = decode_msgpack(&packet_with("00", &data), &Limits::default()).unwrap();
    let Packet::Connect {
        data: Some(auth), ..
    } = packet
    else {
        panic!("not a CONNECT with data: {packet:?}");
    };
    assert_eq!(
        auth.as_str(),
        r#"{"b":{"type":"Buffer","data":[0,255]},"s":"{\"_placeholder\":true,\"num\":0}"}"#
    );
}

fn hex_of(text: &str) -> String {
    text.bytes().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn wrong_shapes_are_refused_as_the_peer_fault() {
    use DecodeError as E;
    use MsgPackError as M;
    let event_data = "91 a1 65"; // ["e"]
    let cases: Vec<(Vec<u8>, DecodeError)> = vec![
        (hex(""), M::Truncated { offset: 0 }.into()),
        (hex("92 00 a1 2f"), M::NotAMap.into()),
        (hex("c1"), M::ReservedFormat { offset: 0 }.into()),
        (packet_with("05", event_data), M::BadPacketType.into()),
        (packet_with("ff", event_data), M::BadPacketType.into()),
        (packet_with("a1 32", event_data), M::BadPacketType.into()),
        (packet_with("cb 4000000000000001", event_data), M::BadPacketType.into()),
        // missing type, missing nsp, nsp not a string, not a namespace name
        (hex("82 | a4 64617461 91 a1 65 | a3 6e7370 a1 2f"), M::BadPacketType.into()),
        (hex("82 | a4 74797065 02 | a4 64617461 91 a1 65"), M::BadNamespace.into()),
        (hex("82 | a4 74797065 01 | a3 6e7370 01"), M::BadNamespace.into()),
        (hex("82 | a4 74797065 01 | a3 6e7370 a4 63686174"), M::BadNamespace.into()),
        (hex("82 | a4 74797065 01 | a3 6e7370 a3 2f612c"), M::BadNamespace.into()),
        // ids: a fraction, a string, negative
        (
            hex("84 | a4 74797065 02 | a4 64617461 91 a1 65 | a2 6964 cb 3ff8000000000000 | a3 6e7370 a1 2f"),
            M::BadAckId.into(),
        ),
        (
            hex("84 | a4 74797065 02 | a4 64617461 91 a1 65 | a2 6964 a1 31 | a3 6e7370 a1 2f"),
            M::BadAckId.into(),
        ),
        (
            hex("84 | a4 74797065 02 | a4 64617461 91 a1 65 | a2 6964 ff | a3 6e7370 a1 2f"),
            E::AckIdOverflow,
        ),
        (
            hex("83 | a4 74797065 00 | a2 6964 01 | a3 6e7370 a1 2f"),
            E::AckIdNotAllowed(PacketType::Connect),
        ),
        // payload shapes, checked by the text decoder's rules
        (
            packet_with("00", "90"),
            E::WrongPayloadType { packet: PacketType::Connect, expected: "an object" },
        ),
        (
            packet_with("00", "c0"),
            E::WrongPayloadType { packet: PacketType::Connect, expected: "an object" },
        ),
        (packet_with("01", "80"), E::PayloadNotAllowed(PacketType::Disconnect)),
        (
            packet_with("02", "81 a1 61 01"),
            E::WrongPayloadType { packet: PacketType::Event, expected: "an array" },
        ),
        (packet_with("02", "90"), E::EmptyEvent),
        (packet_with("02", "91 c3"), E::BadEventName),
        (packet_with("02", "91 a7 636f6e6e656374"), E::ReservedEventName("connect".into())),
        (
            hex("83 | a4 74797065 03 | a4 64617461 a1 78 | a2 6964 01"),
            M::BadNamespace.into(),
        ),
        (
            hex("84 | a4 74797065 03 | a4 64617461 a1 78 | a2 6964 01 | a3 6e7370 a1 2f"),
            E::WrongPayloadType { packet: PacketType::Ack, expected: "an array" },
        ),
        (packet_with("03", "90"), E::AckIdMissing(PacketType::Ack)),
        (
            packet_with("04", "90"),
            E::WrongPayloadType { packet: PacketType::ConnectError, expected: "an object or a string" },
        ),
        // values the codec cannot map: non-string keys, Date and other extensions
        (packet_with("02", "91 81 01 02"), M::NonStringKey { offset: 14 }.into()),
        (
            packet_with("02", "92 a1 65 d7 00 0000000000000000"),
            M::UnsupportedExtension { ext_type: 0, offset: 15 }.into(),
        ),
        (
            packet_with("02", "92 a1 65 d5 05 0000"),
            M::UnsupportedExtension { ext_type: 5, offset: 15 }.into(),
        ),
        // a map shaped like a placeholder cannot be told from binary: refused like in text
        (
            packet_with("02", "92 a1 65 82 ac 5f706c616365686f6c646572 c3 a3 6e756d 00"),
            E::PlaceholderWithoutAttachments,
        ),
        (
            packet_with("02", "92 a1 65 81 ac 5f706c616365686f6c646572 c3"),
            E::InvalidJson(JsonError::MalformedPlaceholder { offset: 26 }),
        ),
    ];
    for (bytes, error) in cases {
        assert_eq!(decode(&bytes), Err(error), "{bytes:02x?}");
    }
}

#[test]
fn huge_declared_lengths_fail_fast() {
    // each claims (nearly) 4 GiB or 4 G elements in a message of a few bytes
    for data in [
        "c6 ffffffff",
        "db ffffffff",
        "dd ffffffff",
        "df ffffffff",
        "c9 ffffffff 00",
        "dc ffff",
        "de ffff",
        "91 dd 7fffffff c0",
    ] {
        let bytes = packet_with("02", data);
        assert!(
            matches!(
                decode(&bytes),
                Err(DecodeError::InvalidMsgPack(MsgPackError::Truncated { .. }))
            ),
            "{data}: {:?}",
            decode(&bytes)
        );
    }
    // the packet map itself
    assert_eq!(
        decode(&hex("df ffffffff")),
        Err(MsgPackError::Truncated { offset: 0 }.into())
    );
}

#[test]
fn depth_is_limited_like_json() {
    let limits = Limits::default();
    let nested = |depth: usize| {
        let mut data = "91 a1 65 ".to_owned(); // ["e", ...
        data = data.replace("91", "92");
        data.push_str(&"91 ".repeat(depth.saturating_sub(1)));
        data.push_str("c0");
        packet_with("02", &data)
    };
    assert!(decode(&nested(limits.max_depth)).is_ok());
    assert_eq!(
        decode(&nested(limits.max_depth + 1)),
        Err(MsgPackError::TooDeep {
            max: limits.max_depth
        }
        .into())
    );
    // a bomb: 1 MB of fixarray-of-one headers
    let mut bomb = hex("83 a4 74797065 02 a3 6e7370 a1 2f a4 64617461");
    bomb.extend(std::iter::repeat_n(0x91, 1 << 20));
    bomb.push(0xc0);
    assert_eq!(
        decode(&bomb),
        Err(MsgPackError::TooDeep {
            max: limits.max_depth
        }
        .into())
    );
    // binary is a placeholder object in the text format: one level too
    let tight = Limits {
        max_depth: 1,
        ..Limits::default()
    };
    assert_eq!(
        decode_msgpack(&packet_with("02", "92 a1 65 c4 00"), &tight),
        Err(MsgPackError::TooDeep { max: 1 }.into())
    );
}

#[test]
fn attachment_limits_apply() {
    let limits = Limits {
        max_attachments: 2,
        max_attachment_bytes: 4,
        max_depth: 32,
    };
    assert!(decode_msgpack(
        &packet_with("02", "93 a1 65 c4 02 0000 c4 02 0000"),
        &limits
    )
    .is_ok());
    assert_eq!(
        decode_msgpack(&packet_with("02", "94 a1 65 c4 00 c4 00 c4 00"), &limits),
        Err(DecodeError::TooManyAttachments {
            announced: 3,
            max: 2
        })
    );
    assert_eq!(
        decode_msgpack(
            &packet_with("02", "93 a1 65 c4 02 0000 c4 03 000000"),
            &limits
        ),
        Err(DecodeError::AttachmentsTooLarge { max: 4 })
    );
}

#[test]
fn invalid_utf8_becomes_replacement_characters_as_in_node() {
    let bytes = packet_with("02", "92 a1 65 a2 ff41");
    assert_eq!(decode(&bytes), Ok(event("/", None, "e", "[\"\u{fffd}A\"]")));
}

#[test]
fn escaped_namespaces_extreme_integers_and_invalid_keys_decode() {
    // A namespace whose JSON form has escapes takes the full string reader, not the plain one.
    round_trip(&event("/q\"\\x", Some(7), "e", r#"["a"]"#));
    // Integers written without an intermediate string, at both ends of both ranges.
    let bytes = packet_with(
        "02",
        "95 a1 65 d3 8000000000000000 cf ffffffffffffffff d0 80 00",
    );
    assert_eq!(
        decode(&bytes),
        Ok(event(
            "/",
            None,
            "e",
            "[-9223372036854775808,18446744073709551615,-128,0]"
        ))
    );
    // A map key of invalid UTF-8 inside an argument: U+FFFD, as Node's `buffer.toString()`.
    let bytes = packet_with("02", "92 a1 65 81 a2 ff41 01");
    assert_eq!(
        decode(&bytes),
        Ok(event("/", None, "e", "[{\"\u{fffd}A\":1}]"))
    );
}
