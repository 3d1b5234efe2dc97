//! Codec tables: every packet type, exact bytes, attachments, and malformed input with its reason.
#![allow(clippy::unwrap_used)]

use bytes::Bytes;
use socketio::proto::{
    decode_text, encode, encode_ack, encode_event, DecodeError, Decoded, JsonError, Limits,
    Namespace, Packet, PacketType, Payload, RawJson,
};

fn limits() -> Limits {
    Limits::default()
}

/// Decodes a text message and its attachments into a packet.
fn decode_all(text: &str, attachments: &[&[u8]]) -> Result<Packet, DecodeError> {
    let mut state = decode_text(text, &limits())?;
    for a in attachments {
        state = match state {
            Decoded::Partial(p) => p.push(Bytes::copy_from_slice(a))?,
            Decoded::Complete(_) => panic!("attachment after a complete packet"),
        };
    }
    match state {
        Decoded::Complete(p) => Ok(p),
        Decoded::Partial(p) => panic!("still missing {} attachments", p.missing()),
    }
}

fn raw(s: &str) -> RawJson {
    RawJson::parse(s).unwrap()
}

fn nsp(s: &str) -> Namespace {
    Namespace::new(s).unwrap()
}

fn ph(n: u64) -> String {
    format!("{{\"_placeholder\":true,\"num\":{n}}}")
}

/// (wire text, attachments): every example of the protocol's "Packet encoding" section, plus
/// more. Each decodes, re-encodes to the same bytes, and decodes to the same packet.
#[test]
fn spec_examples_round_trip_byte_for_byte() {
    let p0 = ph(0);
    let p1 = ph(1);
    let table: Vec<(String, Vec<&[u8]>)> = vec![
        ("0".into(), vec![]),
        (r#"0{"sid":"wZX3oN0bSVIhsaknAAAI"}"#.into(), vec![]),
        ("0/admin,".into(), vec![]),
        (r#"0/admin,{"sid":"oSO0OpakMV_3jnilAAAA"}"#.into(), vec![]),
        (r#"4{"message":"Not authorized"}"#.into(), vec![]),
        (r#"4/random,{"message":"Invalid namespace"}"#.into(), vec![]),
        (r#"4"plain string error""#.into(), vec![]),
        (r#"2["foo"]"#.into(), vec![]),
        (r#"2/admin,["bar"]"#.into(), vec![]),
        (format!(r#"51-["baz",{p0}]"#), vec![&[1, 2, 3, 4]]),
        (
            format!(r#"52-/admin,["baz",{p0},{p1}]"#),
            vec![&[1, 2], &[3, 4]],
        ),
        (r#"212["foo"]"#.into(), vec![]),
        ("312[]".into(), vec![]),
        (r#"2/admin,13["foo"]"#.into(), vec![]),
        (r#"3/admin,13["bar"]"#.into(), vec![]),
        (format!(r#"51-14["foo",{p0}]"#), vec![&[1, 2, 3, 4]]),
        (r#"314["bar"]"#.into(), vec![]),
        (format!(r#"61-15["bar",{p0}]"#), vec![&[1, 2, 3, 4]]),
        ("1".into(), vec![]),
        ("1/admin,".into(), vec![]),
        // key order kept, unicode kept, nested placeholders anywhere
        (
            r#"2["ev",{"z":1,"a":{"y":[],"b":null}},"é🎉"]"#.into(),
            vec![],
        ),
        (
            format!(r#"52-/a/b,7["ev",{{"deep":[1,{{"x":{p1}}}]}},[{p0}]]"#),
            vec![b"second", b"first"],
        ),
        (format!(r#"61-0[{p0}]"#), vec![&[]]),
        ("3/admin,18446744073709551615[]".into(), vec![]),
    ];
    for (text, attachments) in table {
        let packet = decode_all(&text, &attachments).unwrap_or_else(|e| panic!("{text}: {e}"));
        let encoded = encode(&packet);
        assert_eq!(encoded.as_str(), text, "re-encoding {text}");
        let sent: Vec<&[u8]> = encoded.attachments().iter().map(|b| &b[..]).collect();
        assert_eq!(sent, attachments, "attachments of {text}");
        assert_eq!(decode_all(&text, &attachments).unwrap(), packet);
    }
}

#[test]
fn decoded_fields() {
    assert_eq!(
        decode_all("0", &[]).unwrap(),
        Packet::Connect {
            nsp: Namespace::main(),
            data: None
        }
    );
    assert_eq!(
        decode_all(r#"0/admin,{"token":"123"}"#, &[]).unwrap(),
        Packet::Connect {
            nsp: nsp("/admin"),
            data: Some(raw(r#"{"token":"123"}"#))
        }
    );
    // Node accepts a namespace that runs to the end of the packet (the conformance suite sends it)
    assert_eq!(
        decode_all("0/custom", &[]).unwrap(),
        Packet::Connect {
            nsp: nsp("/custom"),
            data: None
        }
    );
    assert_eq!(
        decode_all("1/custom", &[]).unwrap(),
        Packet::Disconnect {
            nsp: nsp("/custom")
        }
    );
    let Packet::Event {
        nsp: n,
        id,
        name,
        args,
    } = decode_all(r#"2/chat,42["msg",1,"2",{"3":[true]}]"#, &[]).unwrap()
    else {
        panic!("not an event")
    };
    assert_eq!((n.as_str(), id, name.as_str()), ("/chat", Some(42), "msg"));
    let texts: Vec<&str> = args.args().iter().map(RawJson::as_str).collect();
    assert_eq!(texts, vec!["1", "\"2\"", r#"{"3":[true]}"#]);
    assert!(!args.has_binary());

    // numeric event names are allowed (Node) and become their text; escapes are decoded
    let Packet::Event { name, .. } = decode_all("2[12]", &[]).unwrap() else {
        panic!()
    };
    assert_eq!(name, "12");
    let Packet::Event { name, .. } = decode_all(r#"2["a\"b\u00e9"]"#, &[]).unwrap() else {
        panic!()
    };
    assert_eq!(name, "a\"bé");
}

#[test]
fn whitespace_is_compacted_and_order_kept() {
    let p = decode_all("2[ \"ev\" ,\n { \"z\" : 1 ,\t\"a\" : [ 1 , 2 ] } ]", &[]).unwrap();
    assert_eq!(encode(&p).as_str(), r#"2["ev",{"z":1,"a":[1,2]}]"#);
    // but not inside strings
    let p = decode_all(r#"2["ev", " a , b "]"#, &[]).unwrap();
    assert_eq!(encode(&p).as_str(), r#"2["ev"," a , b "]"#);
}

/// The conformance suite's echo: arguments (binary included) go back unchanged under a new name,
/// and an ACK carries the same arguments.
#[test]
fn echo_of_binary_arguments_is_exact() {
    let text = format!(r#"52-["message",{},{}]"#, ph(0), ph(1));
    let Packet::Event { args, .. } = decode_all(&text, &[&[1, 2, 3], &[4, 5, 6]]).unwrap() else {
        panic!()
    };
    let back = encode_event(&Namespace::main(), None, "message-back", &args);
    assert_eq!(
        back.as_str(),
        format!(r#"52-["message-back",{},{}]"#, ph(0), ph(1))
    );
    assert_eq!(
        back.attachments(),
        &[
            Bytes::from_static(&[1, 2, 3]),
            Bytes::from_static(&[4, 5, 6])
        ]
    );
    let ack = encode_ack(&Namespace::main(), 789, &args);
    assert_eq!(ack.as_str(), format!(r#"62-789[{},{}]"#, ph(0), ph(1)));

    let Packet::Event { args, .. } = decode_all(r#"2["message",1,"2",{"3":[true]}]"#, &[]).unwrap()
    else {
        panic!()
    };
    let back = encode_event(&Namespace::main(), None, "message-back", &args);
    assert_eq!(back.as_str(), r#"2["message-back",1,"2",{"3":[true]}]"#);
}

#[test]
fn encoder_chooses_binary_types_and_omits_main_namespace() {
    let bin = Payload::new(vec![raw(&ph(0))], vec![Bytes::from_static(b"x")]).unwrap();
    let plain = Payload::json(vec![raw("1")]).unwrap();
    let cases = [
        (
            Packet::Event {
                nsp: Namespace::main(),
                id: None,
                name: "e".into(),
                args: bin.clone(),
            },
            PacketType::BinaryEvent,
            format!(r#"51-["e",{}]"#, ph(0)),
        ),
        (
            Packet::Ack {
                nsp: nsp("/n"),
                id: 3,
                args: bin,
            },
            PacketType::BinaryAck,
            format!(r#"61-/n,3[{}]"#, ph(0)),
        ),
        (
            Packet::Ack {
                nsp: nsp("/"),
                id: 0,
                args: plain,
            },
            PacketType::Ack,
            "30[1]".to_string(),
        ),
        (
            Packet::Event {
                nsp: nsp("/"),
                id: None,
                name: "quo\"te\n".into(),
                args: Payload::empty(),
            },
            PacketType::Event,
            r#"2["quo\"te\n"]"#.to_string(),
        ),
    ];
    for (packet, ty, text) in cases {
        assert_eq!(packet.packet_type(), ty);
        assert_eq!(encode(&packet).as_str(), text);
    }
}

#[test]
fn namespace_validation() {
    assert!(Namespace::new("/").unwrap().is_main());
    assert!(Namespace::new("/a/b").is_ok());
    assert!(Namespace::new("").is_err());
    assert!(Namespace::new("admin").is_err());
    assert!(Namespace::new("/a,b").is_err());
}

/// Every class of malformed packet, each with the reason it is refused.
#[test]
fn malformed_packets_are_refused_with_their_reason() {
    use DecodeError as E;
    let p0 = ph(0);
    let deep = format!("2[\"a\",{}{}]", "[".repeat(40), "]".repeat(40));
    let table: Vec<(String, DecodeError)> = vec![
        ("".into(), E::Empty),
        ("abc".into(), E::UnknownPacketType('a')),
        ("7".into(), E::UnknownPacketType('7')),
        ("é".into(), E::UnknownPacketType('é')),
        // attachments
        (r#"5["a"]"#.into(), E::BadAttachmentCount),
        (r#"5-["a"]"#.into(), E::BadAttachmentCount),
        (r#"50-["a"]"#.into(), E::BadAttachmentCount),
        (r#"5x-["a"]"#.into(), E::BadAttachmentCount),
        (
            r#"599999999999999999999999-["a"]"#.into(),
            E::BadAttachmentCount,
        ),
        (
            r#"511-["a"]"#.into(),
            E::TooManyAttachments {
                announced: 11,
                max: 10,
            },
        ),
        // ack ids
        (r#"2184467440737095516150["a"]"#.into(), E::AckIdOverflow),
        ("01{}".into(), E::AckIdNotAllowed(PacketType::Connect)),
        ("11".into(), E::AckIdNotAllowed(PacketType::Disconnect)),
        (
            r#"41{"message":"x"}"#.into(),
            E::AckIdNotAllowed(PacketType::ConnectError),
        ),
        ("3[]".into(), E::AckIdMissing(PacketType::Ack)),
        (format!("61-[{p0}]"), E::AckIdMissing(PacketType::BinaryAck)),
        // payload presence
        ("2".into(), E::PayloadMissing(PacketType::Event)),
        ("2/admin,".into(), E::PayloadMissing(PacketType::Event)),
        (
            r#"2/admin["a"]"#.into(),
            E::PayloadMissing(PacketType::Event),
        ),
        ("31".into(), E::PayloadMissing(PacketType::Ack)),
        ("4".into(), E::PayloadMissing(PacketType::ConnectError)),
        ("1{}".into(), E::PayloadNotAllowed(PacketType::Disconnect)),
        (
            "1/admin,[]".into(),
            E::PayloadNotAllowed(PacketType::Disconnect),
        ),
        // payload shapes
        (
            "2{}".into(),
            E::WrongPayloadType {
                packet: PacketType::Event,
                expected: "an array",
            },
        ),
        (
            r#"2"ev""#.into(),
            E::WrongPayloadType {
                packet: PacketType::Event,
                expected: "an array",
            },
        ),
        (
            "31{}".into(),
            E::WrongPayloadType {
                packet: PacketType::Ack,
                expected: "an array",
            },
        ),
        (
            "0[]".into(),
            E::WrongPayloadType {
                packet: PacketType::Connect,
                expected: "an object",
            },
        ),
        (
            r#"0"token""#.into(),
            E::WrongPayloadType {
                packet: PacketType::Connect,
                expected: "an object",
            },
        ),
        (
            "4[]".into(),
            E::WrongPayloadType {
                packet: PacketType::ConnectError,
                expected: "an object or a string",
            },
        ),
        ("2[]".into(), E::EmptyEvent),
        ("2[null]".into(), E::BadEventName),
        ("2[{}]".into(), E::BadEventName),
        (r#"2[["a"]]"#.into(), E::BadEventName),
        ("2[true]".into(), E::BadEventName),
        (r#"2["\ud800"]"#.into(), E::BadEventName),
        (format!("51-[{p0}]"), E::BadEventName),
        // JSON
        (
            r#"2abc["message-with-ack",1]"#.into(),
            E::InvalidJson(JsonError::Syntax { offset: 0 }),
        ),
        (
            r#"2["a""#.into(),
            E::InvalidJson(JsonError::Syntax { offset: 4 }),
        ),
        (
            r#"2["a"]x"#.into(),
            E::InvalidJson(JsonError::Syntax { offset: 5 }),
        ),
        (
            r#"2["a",]"#.into(),
            E::InvalidJson(JsonError::Syntax { offset: 5 }),
        ),
        (
            r#"2['a']"#.into(),
            E::InvalidJson(JsonError::Syntax { offset: 1 }),
        ),
        (
            r#"0{token:1}"#.into(),
            E::InvalidJson(JsonError::Syntax { offset: 1 }),
        ),
        (deep, E::InvalidJson(JsonError::TooDeep { max: 32 })),
        (
            r#"2["a",{"n":-1e400}]"#.into(),
            E::InvalidJson(JsonError::NumberOutOfRange { offset: 10 }),
        ),
        // placeholders
        (format!(r#"2["a",{p0}]"#), E::PlaceholderWithoutAttachments),
        (format!(r#"31[{p0}]"#), E::PlaceholderWithoutAttachments),
        (r#"51-["a"]"#.into(), E::UnreferencedAttachment(0)),
        (format!(r#"52-["a",{p0}]"#), E::UnreferencedAttachment(1)),
        (
            format!(r#"51-["a",{}]"#, ph(1)),
            E::PlaceholderOutOfRange {
                num: 1,
                attachments: 1,
            },
        ),
        (format!(r#"52-["a",{p0},{p0}]"#), E::DuplicatePlaceholder(0)),
        (
            r#"51-["a",{"_placeholder":true}]"#.into(),
            E::InvalidJson(JsonError::MalformedPlaceholder { offset: 26 }),
        ),
        (
            r#"51-["a",{"_placeholder":true,"num":"0"}]"#.into(),
            E::InvalidJson(JsonError::MalformedPlaceholder { offset: 36 }),
        ),
    ];
    let mut names = Vec::new();
    for (text, expected) in table {
        let got = decode_text(&text, &limits()).map(|_| ()).unwrap_err();
        assert_eq!(got, expected, "decoding {text:?}");
        names.push(got.to_string());
    }
    // every reason reads as a sentence naming the problem
    assert!(names.iter().all(|n| !n.is_empty()));

    for reserved in [
        "connect",
        "connect_error",
        "disconnect",
        "disconnecting",
        "newListener",
        "removeListener",
    ] {
        let text = format!(r#"2["{reserved}",1]"#);
        assert_eq!(
            decode_text(&text, &limits()).unwrap_err(),
            E::ReservedEventName(reserved.into())
        );
    }
}

#[test]
fn attachment_limits() {
    let text = format!(r#"52-["up",{},{}]"#, ph(0), ph(1));
    let small = Limits {
        max_attachment_bytes: 5,
        ..Limits::default()
    };
    let Decoded::Partial(p) = decode_text(&text, &small).unwrap() else {
        panic!()
    };
    assert_eq!(p.missing(), 2);
    assert_eq!(p.nsp().as_str(), "/");
    let Decoded::Partial(p) = p.push(Bytes::from_static(b"abc")).unwrap() else {
        panic!()
    };
    assert_eq!(p.missing(), 1);
    assert_eq!(
        p.clone().push(Bytes::from_static(b"def")).unwrap_err(),
        DecodeError::AttachmentsTooLarge { max: 5 }
    );
    let Decoded::Complete(Packet::Event { args, .. }) = p.push(Bytes::from_static(b"de")).unwrap()
    else {
        panic!()
    };
    assert_eq!(
        args.attachments(),
        &[Bytes::from_static(b"abc"), Bytes::from_static(b"de")]
    );

    let few = Limits {
        max_attachments: 1,
        ..Limits::default()
    };
    assert_eq!(
        decode_text(&text, &few).unwrap_err(),
        DecodeError::TooManyAttachments {
            announced: 2,
            max: 1
        }
    );
}

#[test]
fn arguments_with_binary_for_the_app() {
    use socketio::proto::Data;
    let text = format!(
        r#"52-["up",{{"name":"a.bin","parts":[{},{}]}}]"#,
        ph(1),
        ph(0)
    );
    let p = decode_all(&text, &[b"zero", b"one"]).unwrap();
    let Packet::Event { args, .. } = p else {
        panic!()
    };
    let data = args.to_data().unwrap();
    assert_eq!(
        data,
        vec![Data::Object(vec![
            ("name".into(), Data::String("a.bin".into())),
            (
                "parts".into(),
                Data::Array(vec![
                    Data::Binary(Bytes::from_static(b"one")),
                    Data::Binary(Bytes::from_static(b"zero"))
                ])
            ),
        ])]
    );
    // typed access to plain arguments through serde
    let meta: serde_json::Value = args.args()[0].deserialize().unwrap();
    assert_eq!(meta["name"], "a.bin");
}
