//! Writes the seed corpus of every target into `fuzz/corpus/<target>/seed-*`.
//!
//! Seeds come from the wire bytes of the conformance scripts (`tests/src/eio`), the public test
//! vectors (`../shared/vectors` next to the project, or `$VECTORS_DIR`) and the jwt-auth test
//! keys. Deterministic except for the ECDSA and RSA-PSS signatures in the `jwt_verify` seeds.
//!
//! Run from `fuzz/targets`: `cargo run --example make_corpus`.
#![allow(clippy::unwrap_used)]

use fuzz_targets::eio_session::{self, Op as E, Setup};
use fuzz_targets::fixtures;
use fuzz_targets::sio_connection::{encode_program, Op as S, Setup as SioSetup};
use jwt_auth::{sign, sign_bytes, Claims, Header, SystemRandom};
use std::fs;
use std::path::{Path, PathBuf};

fn main() {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let root = fuzz.join("..");
    let vectors = std::env::var_os("VECTORS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("../shared/vectors"));
    let mut corpus = Corpus {
        dir: fuzz.join("corpus"),
        count: 0,
    };

    http_head(&mut corpus);
    eio_packet(&mut corpus);
    eio_payload(&mut corpus);
    eio3_payload(&mut corpus);
    eio_session_seeds(&mut corpus);
    sio_packet(&mut corpus);
    sio_connection(&mut corpus);
    sio_msgpack_connection(&mut corpus);
    jwt_verify(&mut corpus, &vectors);
    jwt_keys(&mut corpus, &root.join("jwt-auth/tests/keys"), &vectors);
    println!(
        "wrote {} seeds under {}",
        corpus.count,
        corpus.dir.display()
    );
}

struct Corpus {
    dir: PathBuf,
    count: usize,
}

impl Corpus {
    fn put(&mut self, target: &str, name: &str, data: &[u8]) {
        let dir = self.dir.join(target);
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join(format!("seed-{name}")), data).unwrap();
        self.count += 1;
    }
}

fn with_prefix(prefix: u8, data: &[u8]) -> Vec<u8> {
    let mut out = vec![prefix];
    out.extend_from_slice(data);
    out
}

fn http_head(c: &mut Corpus) {
    let heads: &[(&str, &str)] = &[
        ("handshake", "GET /engine.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: localhost:3000\r\nAccept: */*\r\n\r\n"),
        ("poll", "GET /engine.io/?EIO=4&transport=polling&sid=p&t=Ox1 HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n"),
        ("post", "POST /engine.io/?EIO=4&transport=polling&sid=p HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain;charset=UTF-8\r\nContent-Length: 6\r\n\r\n4hello"),
        ("upgrade", "GET /engine.io/?EIO=4&transport=websocket&sid=p HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"),
        ("ws-handshake", "GET /engine.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA==\r\n\r\n"),
        ("preflight", "OPTIONS /engine.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\nOrigin: http://example.com\r\nAccess-Control-Request-Method: POST\r\n\r\n"),
        ("chunked", "POST /engine.io/?EIO=4&transport=polling&sid=p HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"),
        ("two-lengths", "POST /engine.io/?EIO=4&transport=polling&sid=p HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"),
        ("http10", "GET /engine.io/?EIO=3&transport=polling HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"),
        ("bare-lf", "PUT /engine.io/?EIO=4&transport=polling&sid=w HTTP/1.1\nHost: x\n\n"),
        ("partial", "GET /engine.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n"),
        ("bad-method", "\x01\x02 / HTTP/1.1\r\n\r\n"),
    ];
    for (name, head) in heads {
        c.put("http_head", name, &with_prefix(255, head.as_bytes()));
    }
    c.put(
        "http_head",
        "small-limit",
        &with_prefix(1, heads[0].1.as_bytes()),
    );
}

fn eio_packet(c: &mut Corpus) {
    let packets: &[(&str, &[u8])] = &[
        ("open", br#"0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#),
        ("close", b"1"),
        ("ping", b"2"),
        ("probe", b"2probe"),
        ("pong", b"3"),
        ("pong-probe", b"3probe"),
        ("message", b"4hello"),
        ("empty-message", b"4"),
        ("utf8", "4h\u{e9}llo \u{20ac} \u{1f600}".as_bytes()),
        ("upgrade", b"5"),
        ("noop", b"6"),
        ("base64", b"bAQIDBA=="),
        ("binary", &[0, 1, 2, 3, 0xff, 0x1e]),
    ];
    for (name, p) in packets {
        c.put("eio_packet", name, p);
    }
}

fn eio_payload(c: &mut Corpus) {
    let bodies: &[(&str, &str)] = &[
        ("one", "4hello"),
        ("batch", "4test1\x1e4test2\x1e4test3"),
        ("binary", "4hello\x1ebAQIDBA=="),
        (
            "utf8",
            "4h\u{e9}llo \u{20ac} \u{1f600}\x1e4\u{4e2d}\u{6587}",
        ),
        ("pong-close", "3\x1e1"),
        ("base64-edges", "b\x1ebAA\x1ebAAE=\x1eb/+8="),
        ("noop", "6"),
        ("bad", "4hello\x1e!!"),
    ];
    for (name, body) in bodies {
        c.put("eio_payload", name, &with_prefix(255, body.as_bytes()));
    }
    c.put("eio_payload", "too-large", &with_prefix(2, b"4hello"));
}

fn eio3_payload(c: &mut Corpus) {
    let bodies: &[(&str, &[u8])] = &[
        ("text", "6:4hello1:2".as_bytes()),
        ("utf16", "5:4\u{e9}\u{20ac}\u{1f600}".as_bytes()),
        ("b64", b"6:b4AQID"),
        ("empty-record", b"0:1:6"),
        ("binary", &[0, 2, 0xff, b'4', b'a', 1, 3, 0xff, 4, 9, 9]),
        ("bad-length", b"5:4ab"),
    ];
    for (name, body) in bodies {
        c.put("eio3_payload", name, &with_prefix(255, body));
    }
    c.put("eio3_payload", "too-large", &with_prefix(2, b"6:4hello"));
}

fn eio_session_seeds(c: &mut Corpus) {
    let polling = Setup {
        websocket: false,
        buffered: 3,
        ping_interval: 50,
        ping_timeout: 40,
        upgrade_timeout: 30,
        max_payload: 100,
    };
    let websocket = Setup {
        websocket: true,
        ..polling
    };
    let text = |s: &str| s.as_bytes().to_vec();
    let programs: Vec<(&str, Setup, Vec<E>)> = vec![
        (
            "echo",
            polling,
            vec![
                E::PollGet,
                E::PostStarted,
                E::PostBody {
                    pick: 0,
                    body: text("4hello\x1ebAQIDBA=="),
                },
                E::SendText(text("hello")),
                E::PollGet,
                E::SendBinary(vec![1, 2, 3]),
            ],
        ),
        (
            "heartbeat",
            polling,
            vec![
                E::PollGet,
                E::Fire,
                E::PostStarted,
                E::PostBody {
                    pick: 0,
                    body: text("3"),
                },
                E::PollGet,
                E::Advance { ms: 60 },
                E::Fire,
                E::Fire,
            ],
        ),
        (
            "upgrade",
            polling,
            vec![
                E::PollGet,
                E::WsOpened,
                E::WsText {
                    pick: 0,
                    text: text("2probe"),
                },
                E::PollGet,
                E::WsText {
                    pick: 0,
                    text: text("5"),
                },
                E::SendText(text("after")),
                E::WsText {
                    pick: 0,
                    text: text("4hi"),
                },
                E::WsClosed {
                    pick: 0,
                    error: false,
                },
            ],
        ),
        (
            "upgrade-timeout",
            polling,
            vec![E::WsOpened, E::PollGet, E::Advance { ms: 40 }, E::Fire],
        ),
        (
            "websocket",
            websocket,
            vec![
                E::WsText {
                    pick: 0,
                    text: text("4hi"),
                },
                E::WsBinary {
                    pick: 0,
                    bytes: vec![0, 1],
                },
                E::Fire,
                E::WsText {
                    pick: 0,
                    text: text("3"),
                },
                E::SendText(text("x")),
                E::Fire,
                E::Fire,
            ],
        ),
        ("overlap", polling, vec![E::PollGet, E::PollGet]),
        (
            "too-large",
            polling,
            vec![E::PostStarted, E::PostTooLarge { pick: 0 }],
        ),
        (
            "abort",
            polling,
            vec![E::PollGet, E::RequestAborted { pick: 1 }],
        ),
        (
            "server-close",
            polling,
            vec![
                E::SendText(text("a")),
                E::SendText(text("b")),
                E::Close,
                E::SendText(text("c")),
                E::PollGet,
            ],
        ),
        ("close-timeout", polling, vec![E::Close, E::Fire]),
        (
            "full",
            polling,
            vec![
                E::SendText(text("1")),
                E::SendText(text("2")),
                E::SendText(text("3")),
                E::SendText(text("4")),
                E::SendText(text("5")),
                E::Fire,
                E::Close,
            ],
        ),
        (
            "client-close",
            websocket,
            vec![
                E::WsText {
                    pick: 0,
                    text: text("1"),
                },
                E::WsOpened,
            ],
        ),
        (
            "post-whole",
            polling,
            vec![
                E::PollGet,
                E::Post {
                    body: text("4a\x1e4b"),
                },
                E::Post { body: text("4c") },
                E::PostStarted,
                E::Post {
                    body: text("4late"),
                },
            ],
        ),
    ];
    for (name, setup, ops) in programs {
        c.put("eio_session", name, &eio_session::encode(&setup, &ops));
    }
}

fn sio_packet(c: &mut Corpus) {
    let packets: &[(&str, &[u8])] = &[
        ("connect", b"0"),
        ("connect-auth", br#"0{"token":"abc"}"#),
        ("connect-nsp", br#"0/admin,{"token":"x"}"#),
        ("disconnect", b"1"),
        ("disconnect-nsp", b"1/admin,"),
        ("event", br#"2["hello",1,{"a":[true,null,1.5e3,"\u00e9"]}]"#),
        ("event-ack", br#"2/chat,12["msg","x"]"#),
        ("numeric-name", b"2[1,2]"),
        ("ack", br#"3/chat,12["ok"]"#),
        ("connect-error", br#"4{"message":"no"}"#),
        ("binary-event", b"51-[\"bin\",{\"_placeholder\":true,\"num\":0}]\xff\x01\x02"),
        ("binary-ack", b"62-/admin,7[{\"_placeholder\":true,\"num\":1},{\"_placeholder\":true,\"num\":0}]\xffab\xffcd"),
        ("whitespace", b"2 [ \"a\" , { \"b\" : 1 } ]"),
    ];
    for (name, p) in packets {
        c.put("sio_packet", name, &with_prefix(255, p));
    }
    c.put(
        "sio_packet",
        "too-big",
        &with_prefix(4, b"51-[\"b\",{\"_placeholder\":true,\"num\":0}]\xff12345"),
    );
}

/// Programs of the `sio_msgpack_connection` target (see its module for the opcodes): packets
/// as socket.io-msgpack-parser writes them, made with `encode_msgpack`.
fn sio_msgpack_connection(c: &mut Corpus) {
    use bytes::Bytes;
    use fuzz_targets::reader::Writer;
    use socketio::proto::{encode_msgpack, Namespace, Packet, Payload, RawJson};
    let json = |t: &str| RawJson::parse(t).unwrap();
    let main = Namespace::main;
    let admin = || Namespace::new("/admin").unwrap();
    let connect = |nsp: Namespace| {
        let data = Some(json(r#"{"token":"t"}"#));
        encode_msgpack(&Packet::Connect { nsp, data })
    };
    let event = |nsp: Namespace, id: Option<u64>| {
        let args = Payload::new(
            vec![
                json(r#"{"a":[1,2.5,"x"]}"#),
                json(r#"{"_placeholder":true,"num":0}"#),
            ],
            vec![Bytes::from_static(&[1, 2, 3])],
        )
        .unwrap();
        let name = "hello".to_owned();
        encode_msgpack(&Packet::Event {
            nsp,
            id,
            name,
            args,
        })
    };
    let ack = |id: u64| {
        let args = Payload::json(vec![json("42")]).unwrap();
        encode_msgpack(&Packet::Ack {
            nsp: main(),
            id,
            args,
        })
    };
    let disconnect = encode_msgpack(&Packet::Disconnect { nsp: main() });
    let binary = |w: Writer, m: &[u8]| w.u8(0).bytes(m);
    let programs: Vec<(&str, Vec<u8>)> = vec![
        (
            "echo-ack",
            binary(
                binary(Writer::new().u8(255), &connect(main())).u8(2),
                &event(main(), Some(3)),
            )
            .u8(3)
            .u8(4)
            .finish(),
        ),
        (
            "server-ack",
            binary(
                binary(
                    binary(Writer::new().u8(255), &connect(main())).u8(2),
                    &event(main(), None),
                )
                .u8(3),
                &ack(0),
            )
            .u8(5)
            .u16(500)
            .finish(),
        ),
        (
            "two-namespaces",
            binary(
                binary(
                    binary(Writer::new().u8(255), &connect(main())),
                    &connect(admin()),
                )
                .u8(2),
                &disconnect,
            )
            .finish(),
        ),
        (
            "text-is-an-error",
            Writer::new().u8(255).u8(1).bytes(b"0").finish(),
        ),
        (
            "connect-timeout",
            binary(Writer::new().u8(255), &connect(main()))
                .u8(5)
                .u16(2000)
                .finish(),
        ),
    ];
    for (name, data) in programs {
        c.put("sio_msgpack_connection", name, &data);
    }
}

fn sio_connection(c: &mut Corpus) {
    let token = fixtures::hs256_token("alice", fixtures::NOW + 3600);
    let other = fixtures::hs256_token("bob", fixtures::NOW + 3600);
    let text = |s: &str| S::Text(s.as_bytes().to_vec());
    let accept = |nsp| S::Answer { nsp, how: 0 };
    let plain = SioSetup {
        connect_timeout: 200,
        limits: 255,
        authorization: 0,
    };
    let header = SioSetup {
        authorization: 1,
        ..plain
    };
    let short = SioSetup {
        authorization: 3,
        ..plain
    };
    let programs: Vec<(&str, SioSetup, Vec<S>)> = vec![
        (
            "main",
            plain,
            vec![
                text("0"),
                accept(0),
                text(r#"2["hi",1]"#),
                text(r#"25["ask"]"#),
                S::Ack { nsp: 0, id: 5 },
                S::Emit {
                    nsp: 0,
                    name: b"news".to_vec(),
                    binary: false,
                },
                S::EmitWithAck { nsp: 0, timeout: 0 },
                text("30[]"),
                S::Disconnect { nsp: 0 },
            ],
        ),
        (
            "admin-token",
            plain,
            vec![
                text(&format!(r#"0/admin,{{"token":"{token}"}}"#)),
                accept(1),
                text(r#"2/admin,["x"]"#),
                S::Emit {
                    nsp: 1,
                    name: b"bin".to_vec(),
                    binary: true,
                },
                S::TransportClosed { reason: 2 },
            ],
        ),
        (
            "admin-header",
            header,
            vec![text("0/admin,"), accept(1), text(r#"2/admin,["x"]"#)],
        ),
        (
            "admin-bad-token",
            plain,
            vec![
                text(r#"0/admin,{"token":"bad"}"#),
                accept(1),
                text(r#"2/admin,["x"]"#),
            ],
        ),
        (
            "admin-expires",
            short,
            vec![
                text("0/admin,"),
                accept(1),
                S::Advance { ms: 1000 },
                S::Fire,
                S::Emit {
                    nsp: 1,
                    name: b"late".to_vec(),
                    binary: false,
                },
            ],
        ),
        (
            "events",
            plain,
            vec![
                text("0/events,"),
                accept(2),
                text(r#"2/events,["early"]"#),
                text(&format!(
                    r#"2/events,["authenticate",{{"token":"{token}"}}]"#
                )),
                text(r#"2/events,["x"]"#),
                text(&format!(
                    r#"2/events,["authenticate",{{"token":"{token}"}}]"#
                )),
                text(&format!(
                    r#"2/events,["authenticate",{{"token":"{other}"}}]"#
                )),
            ],
        ),
        (
            "events-timeout",
            plain,
            vec![text("0/events,"), accept(2), S::Fire],
        ),
        (
            "app",
            plain,
            vec![
                text(r#"0/app,{"user":"x"}"#),
                S::Answer { nsp: 3, how: 1 },
                text(r#"2/app,["x"]"#),
                S::Advance { ms: 1500 },
                S::Fire,
            ],
        ),
        (
            "app-timeout",
            plain,
            vec![text("0/app,"), S::Fire, S::Answer { nsp: 3, how: 1 }],
        ),
        (
            "binary",
            plain,
            vec![
                text("0"),
                accept(0),
                text(r#"51-["b",{"_placeholder":true,"num":0}]"#),
                S::Binary(b"xy".to_vec()),
                text("1"),
            ],
        ),
        ("connect-timeout", plain, vec![S::Fire]),
        (
            "ack-timeout",
            plain,
            vec![
                text("0/chat,"),
                accept(4),
                S::SendWithAck {
                    nsp: 4,
                    id: 9,
                    timeout: 10,
                },
                S::EmitWithAck {
                    nsp: 4,
                    timeout: 20,
                },
                S::Advance { ms: 15 },
                S::Fire,
                S::DisconnectAll,
            ],
        ),
        (
            "reject-close",
            plain,
            vec![
                text("0"),
                S::Answer { nsp: 0, how: 2 },
                text("0/chat,"),
                accept(4),
                S::Close { reason: 8 },
            ],
        ),
        (
            "dynamic",
            plain,
            vec![text("0/room-42,{}"), accept(5), text("2/room-42,[\"x\"]")],
        ),
    ];
    for (name, setup, ops) in programs {
        c.put("sio_connection", name, &encode_program(&setup, &ops));
    }
}

fn jwt_verify(c: &mut Corpus, vectors: &Path) {
    let rng = SystemRandom::new();
    let claims = Claims::new()
        .with("sub", "alice")
        .with("exp", fixtures::NOW + 3600);
    for key in fixtures::signing_keys() {
        let kid = key.kid().unwrap_or("none").to_owned();
        for alg in key.algorithms().iter() {
            let header = Header::new(alg).with_kid(kid.clone());
            let token = sign(&header, &claims, &key, &rng).unwrap();
            c.put(
                "jwt_verify",
                &format!("{}-{kid}", alg.name()),
                &with_prefix(0, token.as_bytes()),
            );
        }
        let alg = key.algorithms().iter().next().unwrap();
        let expired = Claims::new().with("exp", fixtures::NOW - 3600);
        let token = sign(&Header::new(alg), &expired, &key, &rng).unwrap();
        c.put(
            "jwt_verify",
            &format!("expired-{kid}"),
            &with_prefix(0, token.as_bytes()),
        );
        let token = sign_bytes(&Header::new(alg), b"not json", &key, &rng).unwrap();
        c.put(
            "jwt_verify",
            &format!("jws-{kid}"),
            &with_prefix(0, token.as_bytes()),
        );
    }
    for key in 0..4u8 {
        // Sign mode: key, algorithm, kid flag, payload, tampering position and mask.
        let mut seed = vec![1, key, 0, 1, 13];
        seed.extend_from_slice(br#"{"exp":1e10}"#);
        seed.extend_from_slice(&[7, 0, 0x20]);
        c.put("jwt_verify", &format!("sign-{key}"), &seed);
    }
    c.put(
        "jwt_verify",
        "alg-none",
        &with_prefix(0, b"eyJhbGciOiJub25lIn0.eyJleHAiOjF9."),
    );
    let Some(wycheproof) = read_json(&vectors.join("wycheproof/json_web_signature_test.json"))
    else {
        return;
    };
    let tests = wycheproof["testGroups"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|g| g["tests"].as_array().into_iter().flatten());
    for test in tests.step_by(10) {
        if let (Some(id), Some(jws)) = (test["tcId"].as_u64(), test["jws"].as_str()) {
            c.put(
                "jwt_verify",
                &format!("wycheproof-{id}"),
                &with_prefix(0, jws.as_bytes()),
            );
        }
    }
    let cookbook = vectors.join("jose-cookbook/jws");
    for entry in fs::read_dir(&cookbook).into_iter().flatten().flatten() {
        let path = entry.path();
        if let Some(compact) =
            read_json(&path).and_then(|j| j["output"]["compact"].as_str().map(str::to_owned))
        {
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            c.put(
                "jwt_verify",
                &format!("cookbook-{name}"),
                &with_prefix(0, compact.as_bytes()),
            );
        }
    }
}

fn jwt_keys(c: &mut Corpus, keys: &Path, vectors: &Path) {
    for entry in fs::read_dir(keys).unwrap().flatten() {
        let path = entry.path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let Ok(pem) = fs::read_to_string(&path) else {
            continue;
        };
        if !name.ends_with(".pem") {
            continue;
        }
        let private = pem.contains("PRIVATE");
        c.put(
            "jwt_keys",
            &name,
            &with_prefix(if private { 5 } else { 0 }, pem.as_bytes()),
        );
        let der = base64_body(&pem);
        let selector = if private {
            6
        } else if pem.contains("RSA PUBLIC") {
            2
        } else {
            1
        };
        c.put(
            "jwt_keys",
            &format!("{name}.der"),
            &with_prefix(selector, &der),
        );
    }
    c.put(
        "jwt_keys",
        "hmac-base64",
        &with_prefix(8, b"c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA=="),
    );
    if let Some(jwk) = read_json(&vectors.join("jose-cookbook/jwk/3_3.rsa_public_key.json")) {
        c.put(
            "jwt_keys",
            "cookbook-rsa-jwk",
            &with_prefix(3, jwk.to_string().as_bytes()),
        );
    }
    if let Some(jwk) = read_json(&vectors.join("jose-cookbook/jwk/3_1.ec_public_key.json")) {
        c.put(
            "jwt_keys",
            "cookbook-p521-jwk",
            &with_prefix(3, jwk.to_string().as_bytes()),
        );
    }
    let Some(wycheproof) = read_json(&vectors.join("wycheproof/json_web_signature_test.json"))
    else {
        return;
    };
    for (i, group) in wycheproof["testGroups"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        let private = &group["private"];
        if private["keys"].is_array() {
            c.put(
                "jwt_keys",
                &format!("wycheproof-jwks-{i}"),
                &with_prefix(4, private.to_string().as_bytes()),
            );
        } else if private.is_object() {
            c.put(
                "jwt_keys",
                &format!("wycheproof-private-{i}"),
                &with_prefix(7, private.to_string().as_bytes()),
            );
            let public = &group["public"];
            if public.is_object() {
                c.put(
                    "jwt_keys",
                    &format!("wycheproof-public-{i}"),
                    &with_prefix(3, public.to_string().as_bytes()),
                );
            }
        }
    }
}

fn read_json(path: &Path) -> Option<serde_json::Value> {
    match fs::read_to_string(path) {
        Ok(text) => serde_json::from_str(&text).ok(),
        Err(e) => {
            eprintln!("skipping {}: {e}", path.display());
            None
        }
    }
}

fn base64_body(pem: &str) -> Vec<u8> {
    use base64::Engine as _;
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .unwrap()
}
