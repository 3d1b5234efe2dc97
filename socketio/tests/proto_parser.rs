//! A `Connection` configured with `Parser::MsgPack`: every packet in and out is one binary
//! message in the `socket.io-msgpack-parser` format. The client side of each conversation is
//! written with the codec (`encode_msgpack` / `decode_msgpack`), which has its own wire tests
//! against bytes the npm parser produced.
#![allow(clippy::unwrap_used)]
#![allow(clippy::disallowed_methods)]

use std::time::Instant;

use bytes::Bytes;
use socketio::proto::{
    connect_error, decode_msgpack, encode_emit, encode_msgpack, ApiMisuse, CloseReason, Config,
    Connection, DecodeError, Encoded, Event, Limits, MsgPackError, Namespace, Output, Packet,
    Parser, Payload, PeerMisbehaved, RawJson, Wire,
};

fn msgpack_conn() -> (Instant, Connection) {
    let now = Instant::now();
    let config = Config {
        parser: Parser::MsgPack,
        ..Config::default()
    };
    (now, Connection::new(now, config))
}

fn drain(conn: &mut Connection) -> Vec<Output> {
    std::iter::from_fn(|| conn.poll_output()).collect()
}

/// The packet a transmit carries, as the client's msgpack parser reads it.
fn sent(output: &Output) -> Packet {
    let Output::Transmit(encoded) = output else {
        panic!("not a transmit: {output:?}");
    };
    let Wire::Binary(message) = encoded.wire() else {
        panic!("not one binary message: {encoded:?}");
    };
    decode_msgpack(message, &Limits::default()).unwrap()
}

fn from_client(conn: &mut Connection, now: Instant, packet: &Packet) -> Vec<Output> {
    conn.handle_binary(now, encode_msgpack(packet));
    drain(conn)
}

fn json(text: &str) -> RawJson {
    RawJson::parse(text).unwrap()
}

/// CONNECT to `/` and accept it as `sid-1`.
fn joined() -> (Instant, Connection) {
    let (now, mut conn) = msgpack_conn();
    let connect = Packet::Connect {
        nsp: Namespace::main(),
        data: Some(json(r#"{"token":"t"}"#)),
    };
    let out = from_client(&mut conn, now, &connect);
    assert!(
        matches!(&out[..], [Output::ConnectRequest { auth: Some(a), .. }] if a.as_str() == r#"{"token":"t"}"#),
        "{out:?}"
    );
    conn.accept("/", "sid-1").unwrap();
    let out = drain(&mut conn);
    assert_eq!(
        sent(&out[0]),
        Packet::Connect {
            nsp: Namespace::main(),
            data: Some(json(r#"{"sid":"sid-1"}"#)),
        }
    );
    assert!(matches!(out[1], Output::Connected { .. }), "{out:?}");
    (now, conn)
}

#[test]
fn connect_reply_is_one_binary_message() {
    joined();
}

#[test]
fn events_both_ways_with_binary_inline() {
    let (now, mut conn) = joined();
    let args = Payload::new(
        vec![json(r#"{"a":1}"#), json(r#"{"_placeholder":true,"num":0}"#)],
        vec![Bytes::from_static(&[1, 2, 3])],
    )
    .unwrap();
    let event = Packet::Event {
        nsp: Namespace::main(),
        id: Some(7),
        name: "hello".into(),
        args: args.clone(),
    };
    let out = from_client(&mut conn, now, &event);
    assert_eq!(
        out,
        vec![Output::Event(Event {
            nsp: Namespace::main(),
            name: "hello".into(),
            args: args.clone(),
            ack_id: Some(7),
        })]
    );

    conn.ack("/", 7, &args).unwrap();
    conn.emit("/", "back", &args).unwrap();
    let out = drain(&mut conn);
    assert_eq!(
        sent(&out[0]),
        Packet::Ack {
            nsp: Namespace::main(),
            id: 7,
            args: args.clone(),
        }
    );
    assert_eq!(
        sent(&out[1]),
        Packet::Event {
            nsp: Namespace::main(),
            id: None,
            name: "back".into(),
            args,
        }
    );
}

#[test]
fn ack_from_client_reaches_the_waiter() {
    let (now, mut conn) = joined();
    let mut conn = {
        // `Connection<()>`: the waiter is `()`, the id is what matters.
        let id = conn
            .emit_with_ack(now, "/", "ask", &Payload::empty(), None, ())
            .unwrap();
        let out = drain(&mut conn);
        assert!(matches!(sent(&out[0]), Packet::Event { id: Some(i), .. } if i == id));
        let answer = Packet::Ack {
            nsp: Namespace::main(),
            id,
            args: Payload::json(vec![json("42")]).unwrap(),
        };
        let out = from_client(&mut conn, now, &answer);
        assert!(
            matches!(&out[..], [Output::AckReceived { id: i, args, .. }] if *i == id && args.args()[0].as_str() == "42"),
            "{out:?}"
        );
        conn
    };
    assert!(drain(&mut conn).is_empty());
}

#[test]
fn reject_and_disconnect_are_binary() {
    let (now, mut conn) = joined();
    let connect = Packet::Connect {
        nsp: Namespace::new("/admin").unwrap(),
        data: None,
    };
    from_client(&mut conn, now, &connect);
    conn.reject("/admin", connect_error("nope", None)).unwrap();
    let out = drain(&mut conn);
    assert!(
        matches!(sent(&out[0]), Packet::ConnectError { nsp, data } if nsp.as_str() == "/admin" && data.as_str().contains("nope")),
        "{out:?}"
    );
    conn.disconnect("/").unwrap();
    let out = drain(&mut conn);
    assert_eq!(
        sent(&out[0]),
        Packet::Disconnect {
            nsp: Namespace::main()
        }
    );
}

#[test]
fn a_text_message_is_a_protocol_error() {
    let (now, mut conn) = msgpack_conn();
    conn.handle_text(now, "0");
    assert_eq!(
        drain(&mut conn),
        vec![Output::Close(CloseReason::PeerMisbehaved(
            PeerMisbehaved::Malformed(DecodeError::InvalidMsgPack(MsgPackError::TextMessage))
        ))]
    );
}

#[test]
fn garbage_closes_and_never_panics() {
    let good = encode_msgpack(&Packet::Event {
        nsp: Namespace::main(),
        id: Some(1),
        name: "e".into(),
        args: Payload::json(vec![json(r#"[1,{"x":"y"}]"#)]).unwrap(),
    });
    // Every prefix of a valid packet, and a few bytes that are no packet at all.
    let mut inputs: Vec<Bytes> = (0..good.len()).map(|n| good.slice(..n)).collect();
    inputs.extend([&b"\xc1"[..], b"\x80", b"\x90", b"0{}"].map(Bytes::from_static));
    for input in inputs {
        let (now, mut conn) = joined();
        conn.handle_binary(now, input.clone());
        let out = drain(&mut conn);
        assert!(
            matches!(
                out.last(),
                Some(Output::Close(CloseReason::PeerMisbehaved(_)))
            ),
            "{input:?} gave {out:?}"
        );
        assert!(conn.is_closed());
    }
}

#[test]
fn send_refuses_a_packet_of_the_other_parser() {
    let (_, mut conn) = joined();
    let text = encode_emit(&Namespace::main(), None, "e", &Payload::empty()).unwrap();
    assert_eq!(conn.send("/", text), Err(ApiMisuse::WrongParser));
    let binary = Parser::MsgPack
        .encode_emit(&Namespace::main(), None, "e", &Payload::empty())
        .unwrap();
    assert_eq!(conn.send("/", binary), Ok(()));

    let now = Instant::now();
    let mut json_conn = Connection::new(now, Config::default());
    json_conn.handle_text(now, "0");
    drain(&mut json_conn);
    json_conn.accept("/", "s").unwrap();
    drain(&mut json_conn);
    let binary = Parser::MsgPack
        .encode_emit(&Namespace::main(), None, "e", &Payload::empty())
        .unwrap();
    assert_eq!(json_conn.send("/", binary), Err(ApiMisuse::WrongParser));
}

#[test]
fn recovery_offset_is_the_last_argument() {
    let args = Payload::json(vec![json("1")]).unwrap();
    let encoded = Parser::MsgPack
        .encode_emit_with_offset(&Namespace::main(), "e", &args, "abc-1")
        .unwrap();
    let Wire::Binary(message) = encoded.wire() else {
        panic!("{encoded:?}");
    };
    let Packet::Event { args, id: None, .. } = decode_msgpack(message, &Limits::default()).unwrap()
    else {
        panic!();
    };
    let texts: Vec<&str> = args.args().iter().map(RawJson::as_str).collect();
    assert_eq!(texts, ["1", r#""abc-1""#]);
}

#[test]
fn reserved_names_are_refused_in_both_forms() {
    for parser in [Parser::Json, Parser::MsgPack] {
        assert_eq!(
            parser.encode_emit(&Namespace::main(), None, "connect", &Payload::empty()),
            Err(ApiMisuse::ReservedEventName("connect".into()))
        );
    }
}

#[test]
fn binary_form_crosses_a_cluster_as_parts() {
    let encoded = Encoded::binary(Bytes::from_static(b"\x82"));
    let (text, attachments) = encoded.clone().into_parts();
    let back = Encoded::from_wire(String::from_utf8(text.to_vec()).unwrap(), attachments);
    assert_eq!(back, encoded);
    let text = encode_emit(&Namespace::main(), None, "e", &Payload::empty()).unwrap();
    let (t, a) = text.clone().into_parts();
    assert_eq!(
        Encoded::from_wire(String::from_utf8(t.to_vec()).unwrap(), a),
        text
    );
    assert_eq!(encoded.messages_and_weight().0, 1);
}

#[test]
fn json_default_is_unchanged() {
    assert_eq!(Config::default().parser, Parser::Json);
    let (_, weight) = Parser::Json
        .encode(&Packet::Disconnect {
            nsp: Namespace::main(),
        })
        .messages_and_weight();
    assert!(weight > 0);
}

#[test]
fn encoding_from_parts_is_the_codec_s_bytes() {
    let nsp = Namespace::new("/chat").unwrap();
    let args = Payload::new(
        vec![
            json(r#"{"b":[1.5,-2]}"#),
            json(r#"{"_placeholder":true,"num":0}"#),
        ],
        vec![Bytes::from_static(&[7; 40])],
    )
    .unwrap();
    let wire = |encoded: Encoded| match encoded.into_wire() {
        Wire::Binary(message) => message,
        other => panic!("{other:?}"),
    };
    for id in [None, Some(0), Some(300)] {
        let packet = Packet::Event {
            nsp: nsp.clone(),
            id,
            name: "e".into(),
            args: args.clone(),
        };
        let from_parts = Parser::MsgPack.encode_emit(&nsp, id, "e", &args).unwrap();
        assert_eq!(wire(from_parts), encode_msgpack(&packet));
    }
    let ack = Packet::Ack {
        nsp: nsp.clone(),
        id: 9,
        args: args.clone(),
    };
    assert_eq!(
        wire(Parser::MsgPack.encode_ack(&nsp, 9, &args)),
        encode_msgpack(&ack)
    );
    let (list, attachments) = args.clone().into_parts();
    let with_offset = Payload::new(
        list.into_iter().chain([RawJson::string("x-1")]).collect(),
        attachments,
    )
    .unwrap();
    let packet = Packet::Event {
        nsp: nsp.clone(),
        id: None,
        name: "e".into(),
        args: with_offset,
    };
    let from_parts = (Parser::MsgPack)
        .encode_emit_with_offset(&nsp, "e", &args, "x-1")
        .unwrap();
    assert_eq!(wire(from_parts), encode_msgpack(&packet));
}
