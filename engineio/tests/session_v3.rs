//! An Engine.IO v3 session (socket.io-client 2.x) on a virtual clock: length-prefixed payloads,
//! binary payloads and frames with a type byte, and the heartbeat the client leads.
#![allow(clippy::unwrap_used, missing_docs)]
// `Instant` has no constructor but the clock: one reading is the origin the test advances by hand.
#![allow(clippy::disallowed_methods)]

use bytes::Bytes;
use engineio::proto::{
    CloseReason, Config, Data, Event, Input, Output, PollReply, Protocol, Session, Text,
    TransportFault, WsFrame,
};
use std::time::{Duration, Instant};

fn config() -> Config {
    Config {
        ping_interval: Duration::from_millis(300),
        ping_timeout: Duration::from_millis(200),
        upgrade_timeout: Duration::from_millis(1000),
        max_payload: 1000,
        allow_eio3: true,
        ..Config::default()
    }
}

const BINARY: Protocol = Protocol::V3 {
    supports_binary: true,
};
const B64: Protocol = Protocol::V3 {
    supports_binary: false,
};

struct Harness {
    t0: Instant,
    s: Session,
}

impl Harness {
    fn polling(protocol: Protocol) -> Self {
        let t0 = Instant::now();
        let mut s = Session::polling(t0, "sid3".into(), config(), protocol, 0);
        let open =
            r#"{"sid":"sid3","upgrades":["websocket"],"pingInterval":300,"pingTimeout":200}"#;
        // The open packet is 1 + 76 UTF-16 code units.
        assert_eq!(
            s.poll_output(),
            Some(reply(0, &format!("{}:0{open}", open.len() + 1)))
        );
        Self { t0, s }
    }

    fn at(&self, ms: u64) -> Instant {
        self.t0 + Duration::from_millis(ms)
    }

    fn handle(&mut self, ms: u64, input: Input) -> Vec<Output> {
        let now = self.at(ms);
        self.s.handle(now, input);
        std::iter::from_fn(|| self.s.poll_output()).collect()
    }

    fn tick(&mut self, ms: u64) -> Vec<Output> {
        let now = self.at(ms);
        self.s.handle_timeout(now);
        std::iter::from_fn(|| self.s.poll_output()).collect()
    }

    fn post(&mut self, ms: u64, request: u64, body: &[u8]) -> Vec<Output> {
        self.handle(ms, Input::PostStarted(request));
        self.handle(ms, Input::PostBody(request, Bytes::copy_from_slice(body)))
    }
}

fn reply(request: u64, body: &str) -> Output {
    Output::Reply {
        request,
        reply: PollReply::Payload(Bytes::from(body.to_owned())),
    }
}

fn ok(request: u64) -> Output {
    Output::Reply {
        request,
        reply: PollReply::Ok,
    }
}

#[test]
fn client_ping_is_answered_and_the_server_never_pings() {
    let mut h = Harness::polling(BINARY);
    // No server ping is due: only the deadline for the client's first ping.
    assert_eq!(h.s.poll_timeout(), Some(h.at(500)));
    assert_eq!(h.handle(10, Input::PollGet(1)), vec![]);
    assert_eq!(h.post(290, 2, b"1:2"), vec![ok(2), reply(1, "1:3")]);
    // The ping moved the deadline: pingInterval + pingTimeout after it.
    assert_eq!(h.s.poll_timeout(), Some(h.at(790)));
    assert_eq!(h.tick(789), vec![]);
    assert_eq!(h.handle(700, Input::PollGet(3)), vec![]);
    assert_eq!(
        h.tick(790),
        vec![
            reply(3, "1:1"),
            Output::Event(Event::Closed(CloseReason::PingTimeout))
        ]
    );
}

#[test]
fn client_that_never_pings_times_out() {
    let mut h = Harness::polling(BINARY);
    assert_eq!(h.tick(499), vec![]);
    assert_eq!(
        h.tick(500),
        vec![Output::Event(Event::Closed(CloseReason::PingTimeout))]
    );
}

#[test]
fn a_pong_from_a_v3_client_is_a_protocol_error() {
    let mut h = Harness::polling(BINARY);
    let out = h.post(10, 1, b"1:3");
    assert_eq!(
        out.last(),
        Some(&Output::Event(Event::Closed(CloseReason::TransportError(
            TransportFault::UnexpectedPacket
        ))))
    );
}

#[test]
fn messages_in_text_and_binary_payloads() {
    let mut h = Harness::polling(BINARY);
    // A text payload from the client, a binary message as `b4` + base64 in it.
    let out = h.post(10, 1, "6:4héllo6:b4AQID".as_bytes());
    assert_eq!(
        out,
        vec![
            ok(1),
            Output::Event(Event::Message(Data::Text(Text::from("héllo")))),
            Output::Event(Event::Message(Data::Binary(Bytes::from_static(&[1, 2, 3])))),
        ]
    );
    // A binary payload from the client (XHR2).
    let out = h.post(20, 2, &[0, 2, 0xff, b'4', b'a', 1, 3, 0xff, 4, 9, 9]);
    assert_eq!(
        out,
        vec![
            ok(2),
            Output::Event(Event::Message(Data::Text(Text::from("a")))),
            Output::Event(Event::Message(Data::Binary(Bytes::from_static(&[9, 9])))),
        ]
    );
    // To the client: a binary payload when a binary message is in it.
    h.s.send(Data::Text(Text::from("x"))).unwrap();
    h.s.send(Data::Binary(Bytes::from_static(&[7]))).unwrap();
    assert_eq!(
        h.handle(30, Input::PollGet(3)),
        vec![Output::Reply {
            request: 3,
            reply: PollReply::BinaryPayload(Bytes::from_static(&[
                0, 2, 0xff, b'4', b'x', 1, 2, 0xff, 4, 7
            ])),
        }]
    );
    // Text only: a text payload, lengths in UTF-16 code units.
    h.s.send(Data::Text(Text::from("😀\u{1e}"))).unwrap();
    assert_eq!(
        h.handle(40, Input::PollGet(4)),
        vec![reply(4, "4:4😀\u{1e}")]
    );
}

#[test]
fn b64_client_gets_binary_as_base64_text() {
    let mut h = Harness::polling(B64);
    h.s.send(Data::Binary(Bytes::from_static(&[1, 2, 3])))
        .unwrap();
    assert_eq!(h.handle(10, Input::PollGet(1)), vec![reply(1, "6:b4AQID")]);
}

#[test]
fn malformed_payload_closes_the_session() {
    let mut h = Harness::polling(BINARY);
    let out = h.post(10, 1, b"5:4a");
    // The POST is answered `ok` (as Node's engine.io answers it); the session is closed.
    assert_eq!(
        out[0],
        Output::Reply {
            request: 1,
            reply: PollReply::Ok
        }
    );
    assert!(h.s.is_closed());
    assert!(matches!(
        h.s.close_reason(),
        Some(engineio::proto::CloseReason::ParseError(_))
    ));
}

#[test]
fn upgrade_and_binary_frames_with_a_type_byte() {
    let mut h = Harness::polling(BINARY);
    assert_eq!(h.handle(10, Input::PollGet(1)), vec![]);
    assert_eq!(h.handle(20, Input::WsOpened(7)), vec![]);
    let probe = |s: &str| WsFrame::Text(Text::from(s));
    assert_eq!(
        h.handle(30, Input::WsFrame(7, probe("2probe"))),
        vec![
            Output::WsSend {
                ws: 7,
                frame: WsFrame::Text(Text::from("3probe"))
            },
            reply(1, "1:6")
        ]
    );
    assert_eq!(
        h.handle(40, Input::WsFrame(7, probe("5"))),
        vec![Output::Event(Event::Upgraded)]
    );
    // A binary frame is the type byte `4` and the bytes, both ways.
    assert_eq!(
        h.handle(
            50,
            Input::WsFrame(7, WsFrame::Binary(Bytes::from_static(&[4, 1, 2])))
        ),
        vec![Output::Event(Event::Message(Data::Binary(
            Bytes::from_static(&[1, 2])
        )))]
    );
    h.s.send(Data::Binary(Bytes::from_static(&[5]))).unwrap();
    assert_eq!(
        std::iter::from_fn(|| h.s.poll_output()).collect::<Vec<_>>(),
        vec![Output::WsSend {
            ws: 7,
            frame: WsFrame::Binary(Bytes::from_static(&[4, 5]))
        }]
    );
    // Pings over the WebSocket are answered there.
    assert_eq!(
        h.handle(60, Input::WsFrame(7, probe("2"))),
        vec![Output::WsSend {
            ws: 7,
            frame: WsFrame::Text(Text::from("3"))
        }]
    );
    // `b4` + base64 in a text frame is a binary message too.
    assert_eq!(
        h.handle(70, Input::WsFrame(7, probe("b4AQ=="))),
        vec![Output::Event(Event::Message(Data::Binary(
            Bytes::from_static(&[1])
        )))]
    );
    // A binary frame of another type closes the session.
    let out = h.handle(
        80,
        Input::WsFrame(7, WsFrame::Binary(Bytes::from_static(&[2]))),
    );
    assert!(matches!(
        out.last(),
        Some(Output::Event(Event::Closed(CloseReason::ParseError(_))))
    ));
}

#[test]
fn websocket_handshake_open_packet_has_no_max_payload() {
    let t0 = Instant::now();
    let mut s = Session::websocket(t0, "w".into(), config(), B64, 1);
    assert_eq!(
        s.take_open_frame().unwrap(),
        Bytes::from(r#"0{"sid":"w","upgrades":[],"pingInterval":300,"pingTimeout":200}"#)
    );
    // b64 over WebSocket: binary goes out as `b4` + base64 text.
    s.send(Data::Binary(Bytes::from_static(&[1, 2, 3])))
        .unwrap();
    assert_eq!(
        s.poll_output(),
        Some(Output::WsSend {
            ws: 1,
            frame: WsFrame::Text(Text::from("b4AQID"))
        })
    );
}

/// A binary message is never written in place on protocol 3 (its frame has a type byte, or is
/// base64 text): it goes through the session, which frames it. A text is framed as on protocol 4.
#[test]
fn a_binary_message_is_never_written_in_place() {
    for protocol in [BINARY, B64] {
        let t0 = Instant::now();
        let mut s = Session::websocket(t0, "w".into(), config(), protocol, 1);
        while s.poll_output().is_some() {}
        assert_eq!(s.send_binary_in_place(3, 10, 1000), Ok(None));
        assert_eq!(s.send_text_in_place(3, 10, 1000), Ok(Some(1)));
    }
}
