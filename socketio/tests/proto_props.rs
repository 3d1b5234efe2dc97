//! Property tests of the codec: round trips, stability of decode -> encode -> decode, agreement
//! with serde_json on what JSON is, and no panic on arbitrary input.
#![allow(clippy::unwrap_used)]
// `Instant` has no constructor but the clock: one reading is the origin the test advances by hand.
#![allow(clippy::disallowed_methods)]

use std::time::{Duration, Instant};

use bytes::Bytes;
use proptest::collection::vec;
use proptest::prelude::*;
use socketio::proto::{
    decode_text, encode, encode_msgpack, is_reserved_event, Config, Connection, Data, Decoded,
    Limits, Namespace, Output, Packet, Parser, Payload, RawJson,
};

fn data(binary: bool) -> impl Strategy<Value = Data> {
    let number = prop_oneof![
        any::<i64>().prop_map(|n| Data::Number(n.into())),
        any::<u64>().prop_map(|n| Data::Number(n.into())),
        any::<f64>()
            .prop_filter_map("finite", serde_json::Number::from_f64)
            .prop_map(Data::Number),
    ];
    let mut leaves = vec![
        Just(Data::Null).boxed(),
        any::<bool>().prop_map(Data::Bool).boxed(),
        number.boxed(),
        any::<String>().prop_map(Data::String).boxed(),
    ];
    if binary {
        leaves.push(
            vec(any::<u8>(), 0..6)
                .prop_map(|v| Data::Binary(Bytes::from(v)))
                .boxed(),
        );
    }
    let leaf = proptest::strategy::Union::new(leaves);
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(Data::Array),
            vec(("[a-z_]{0,6}", inner), 0..4).prop_map(Data::Object),
        ]
    })
}

fn payload() -> impl Strategy<Value = Payload> {
    vec(data(true), 0..4).prop_map(|args| Payload::from_data(&args))
}

fn namespace() -> impl Strategy<Value = Namespace> {
    "/[a-zA-Z0-9/_.~ -]{0,8}".prop_map(|s| Namespace::new(&s).unwrap())
}

fn object() -> impl Strategy<Value = RawJson> {
    vec(("[a-z]{1,4}", data(false)), 0..3).prop_map(|fields| {
        let (args, _) = Payload::from_data(&[Data::Object(fields)]).into_parts();
        args.into_iter().next().unwrap()
    })
}

fn packet() -> impl Strategy<Value = Packet> {
    prop_oneof![
        (namespace(), proptest::option::of(object()))
            .prop_map(|(nsp, data)| Packet::Connect { nsp, data }),
        namespace().prop_map(|nsp| Packet::Disconnect { nsp }),
        (
            namespace(),
            proptest::option::of(any::<u64>()),
            any::<String>().prop_filter("reserved", |n| !is_reserved_event(n)),
            payload()
        )
            .prop_map(|(nsp, id, name, args)| Packet::Event {
                nsp,
                id,
                name,
                args
            }),
        (namespace(), any::<u64>(), payload()).prop_map(|(nsp, id, args)| Packet::Ack {
            nsp,
            id,
            args
        }),
        (
            namespace(),
            prop_oneof![object(), any::<String>().prop_map(|s| RawJson::string(&s))]
        )
            .prop_map(|(nsp, data)| Packet::ConnectError { nsp, data }),
    ]
}

fn roomy() -> Limits {
    Limits {
        max_attachments: 1000,
        max_attachment_bytes: usize::MAX,
        max_depth: 64,
    }
}

fn decode_with(text: &str, attachments: &[Bytes], limits: &Limits) -> Packet {
    let mut state = decode_text(text, limits).unwrap();
    for a in attachments {
        let Decoded::Partial(p) = state else {
            panic!("complete before its attachments")
        };
        state = p.push(a.clone()).unwrap();
    }
    match state {
        Decoded::Complete(p) => p,
        Decoded::Partial(p) => panic!("missing {}", p.missing()),
    }
}

/// JSON text of `d` with `ws` between every two tokens (never inside strings).
fn spaced(d: &Data, ws: &str, out: &mut String) {
    match d {
        Data::Array(items) => {
            out.push('[');
            for (i, x) in items.iter().enumerate() {
                out.push_str(ws);
                if i > 0 {
                    out.push(',');
                    out.push_str(ws);
                }
                spaced(x, ws, out);
            }
            out.push_str(ws);
            out.push(']');
        }
        Data::Object(fields) => {
            out.push('{');
            for (i, (k, x)) in fields.iter().enumerate() {
                out.push_str(ws);
                if i > 0 {
                    out.push(',');
                    out.push_str(ws);
                }
                out.push_str(&serde_json::to_string(k).unwrap());
                out.push_str(ws);
                out.push(':');
                out.push_str(ws);
                spaced(x, ws, out);
            }
            out.push_str(ws);
            out.push('}');
        }
        leaf => {
            let (args, _) = Payload::from_data(std::slice::from_ref(leaf)).into_parts();
            out.push_str(args[0].as_str());
        }
    }
}

/// Tokens that, glued at random, make JSON and near-JSON.
const TOKENS: &[&str] = &[
    "[",
    "]",
    "{",
    "}",
    ":",
    ",",
    "\"a\"",
    "\"\\n\\u0041\"",
    "\"",
    "\\",
    "1",
    "-0.5e3",
    "01",
    "1.",
    "true",
    "false",
    "null",
    "tru",
    " ",
    "\t",
    "\"_placeholder\"",
    "0",
    "-",
    "e",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn decode_inverts_encode(p in packet()) {
        let encoded = encode(&p);
        let back = decode_with(encoded.as_str(), encoded.attachments(), &roomy());
        prop_assert_eq!(back, p);
    }

    #[test]
    fn decode_encode_decode_is_stable(
        ty in prop_oneof![Just("2"), Just("3")],
        id in 0u64..1000,
        args in vec(data(false), 1..4),
        ws in "[ \t\r\n]{0,2}",
    ) {
        let mut json = String::from("[");
        json.push_str(&ws);
        json.push_str("\"ev\"");
        for a in &args {
            json.push(',');
            json.push_str(&ws);
            spaced(a, &ws, &mut json);
        }
        json.push_str(&ws);
        json.push(']');
        let text = format!("{ty}/n,{id}{json}");
        let first = decode_with(&text, &[], &roomy());
        let again = encode(&first);
        let second = decode_with(again.as_str(), &[], &roomy());
        prop_assert_eq!(&first, &second);
        let third = encode(&second);
        prop_assert_eq!(third.as_str(), again.as_str());
    }

    #[test]
    fn arguments_with_binary_survive_to_data(args in vec(data(true), 0..4)) {
        let p = Payload::from_data(&args);
        prop_assert_eq!(p.to_data().unwrap(), normalize(&args));
    }

    #[test]
    fn json_validity_agrees_with_serde(parts in vec(proptest::sample::select(TOKENS), 0..24)) {
        let text: String = parts.concat();
        let ours = RawJson::parse(&text);
        let serde: Result<serde_json::Value, _> = serde_json::from_str(&text);
        prop_assert_eq!(ours.is_ok(), serde.is_ok(), "{:?}", text);
        if let (Ok(ours), Ok(serde)) = (ours, serde) {
            let reparsed: serde_json::Value = serde_json::from_str(ours.as_str()).unwrap();
            prop_assert_eq!(reparsed, serde);
        }
    }

    #[test]
    fn arbitrary_text_never_panics(text in any::<String>()) {
        if let Ok(Decoded::Complete(p)) = decode_text(&text, &Limits::default()) {
            let encoded = encode(&p);
            prop_assert_eq!(decode_with(encoded.as_str(), &[], &roomy()), p);
        }
    }

    #[test]
    fn packet_like_text_never_panics(
        head in "[0-6]{1}[0-9-]{0,3}(/[a-z,]{0,3})?[0-9]{0,3}",
        parts in vec(proptest::sample::select(TOKENS), 0..12),
    ) {
        let text = format!("{head}{}", parts.concat());
        let _ = decode_text(&text, &Limits::default());
    }

    /// Random messages and commands on a virtual clock, with either parser: the connection never
    /// panics, and once it has emitted `Close` it emits nothing more. MessagePack packets come
    /// whole or with one byte changed.
    #[test]
    fn connection_survives_random_input(
        parser in prop_oneof![Just(Parser::Json), Just(Parser::MsgPack)],
        steps in vec(
            prop_oneof![
                packet_text().prop_map(Step::Text),
                vec(any::<u8>(), 0..4).prop_map(Step::Binary),
                (packet(), any::<usize>(), any::<u8>(), any::<bool>()).prop_map(|(p, at, b, mutate)| {
                    let mut bytes = encode_msgpack(&p).to_vec();
                    if mutate && !bytes.is_empty() {
                        let at = at % bytes.len();
                        bytes[at] = b;
                    }
                    Step::Binary(bytes)
                }),
                (0u64..3000).prop_map(Step::Wait),
                Just(Step::AcceptAll),
                Just(Step::EmitWithAck),
            ],
            0..20,
        )
    ) {
        let t0 = Instant::now();
        let mut now = t0;
        let config = Config { connect_timeout: Duration::from_secs(1), parser, ..Config::default() };
        let mut conn = Connection::new(t0, config);
        let mut closed = false;
        let mut pending: Vec<String> = Vec::new();
        for step in steps {
            match step {
                Step::Text(t) => conn.handle_text(now, &t),
                Step::Binary(b) => conn.handle_binary(now, Bytes::from(b)),
                Step::Wait(ms) => {
                    now += Duration::from_millis(ms);
                    conn.handle_timeout(now);
                }
                Step::AcceptAll => {
                    for nsp in pending.drain(..) {
                        let _ = conn.accept(&nsp, "sid");
                    }
                }
                Step::EmitWithAck => {
                    let _ = conn.emit_with_ack(now, "/", "q", &Payload::empty(), Some(Duration::from_millis(500)), ());
                }
            }
            while let Some(out) = conn.poll_output() {
                prop_assert!(!closed, "output after Close: {:?}", out);
                match out {
                    Output::Close(_) => closed = true,
                    Output::ConnectRequest { nsp, .. } => pending.push(nsp.to_string()),
                    _ => {}
                }
            }
            prop_assert_eq!(closed, conn.is_closed());
            if let Some(deadline) = conn.poll_timeout() {
                prop_assert!(!closed);
                prop_assert!(deadline > t0);
            }
        }
    }
}

#[derive(Debug, Clone)]
enum Step {
    Text(String),
    Binary(Vec<u8>),
    Wait(u64),
    AcceptAll,
    EmitWithAck,
}

fn packet_text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("0".to_string()),
        Just("0/a,".to_string()),
        Just("1".to_string()),
        Just("1/a,".to_string()),
        Just(r#"2["x",1]"#.to_string()),
        Just(r#"2/a,7["x"]"#.to_string()),
        Just("30[]".to_string()),
        Just("31[1]".to_string()),
        Just(r#"51-["b",{"_placeholder":true,"num":0}]"#.to_string()),
        Just(r#"62-0[{"_placeholder":true,"num":1},{"_placeholder":true,"num":0}]"#.to_string()),
        Just(r#"4{"message":"x"}"#.to_string()),
        packet().prop_map(|p| encode(&p).as_str().to_owned()),
        any::<String>(),
    ]
}

/// What a tree looks like after a trip through JSON text: numbers re-read by serde_json.
fn normalize(args: &[Data]) -> Vec<Data> {
    args.iter()
        .map(|d| match d {
            Data::Number(n) => Data::Number(serde_json::from_str(&n.to_string()).unwrap()),
            Data::Array(a) => Data::Array(normalize(a)),
            Data::Object(f) => Data::Object(
                f.iter()
                    .map(|(k, v)| (k.clone(), normalize(std::slice::from_ref(v)).remove(0)))
                    .collect(),
            ),
            other => other.clone(),
        })
        .collect()
}
