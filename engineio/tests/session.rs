//! The Session state machine on a virtual clock: no sockets, no sleeping.
#![allow(clippy::unwrap_used, missing_docs)]
// `Instant` has no constructor but the clock: one reading is the origin the test advances by hand.
#![allow(clippy::disallowed_methods)]

use bytes::Bytes;
use engineio::proto::websocket_frame::{close_code, WsFault};
use engineio::proto::{
    CloseReason, Config, Data, Event, Input, Output, Packet, PollReply, RequestError, SendError,
    Session, Text, TransportFault, WsFrame,
};
use std::time::{Duration, Instant};

fn config() -> Config {
    Config {
        ping_interval: Duration::from_millis(300),
        ping_timeout: Duration::from_millis(200),
        upgrade_timeout: Duration::from_millis(1000),
        max_payload: 100,
        max_buffered_packets: 4,
        ..Config::default()
    }
}

struct Harness {
    t0: Instant,
    s: Session,
}

impl Harness {
    fn polling() -> Self {
        let t0 = Instant::now();
        let mut s = Session::new_polling(t0, "sid1".into(), config(), 0);
        let open = s.poll_output().unwrap();
        match open {
            Output::Reply {
                request: 0,
                reply: PollReply::Payload(body),
            } => {
                assert!(body.starts_with(b"0{\"sid\":\"sid1\""), "{body:?}")
            }
            other => panic!("unexpected {other:?}"),
        }
        Self { t0, s }
    }

    fn at(&self, ms: u64) -> Instant {
        self.t0 + Duration::from_millis(ms)
    }

    fn handle(&mut self, ms: u64, input: Input) -> Vec<Output> {
        let now = self.at(ms);
        self.s.handle(now, input);
        self.drain()
    }

    fn tick(&mut self, ms: u64) -> Vec<Output> {
        let now = self.at(ms);
        self.s.handle_timeout(now);
        self.drain()
    }

    fn drain(&mut self) -> Vec<Output> {
        std::iter::from_fn(|| self.s.poll_output()).collect()
    }
}

fn payload(request: u64, body: &str) -> Output {
    Output::Reply {
        request,
        reply: PollReply::Payload(Bytes::from(body.to_owned())),
    }
}

fn text_frame(ws: u64, s: &str) -> Output {
    // A message packet is output as its text, for the runtime to prefix with `4`.
    let frame = match s.strip_prefix('4') {
        Some(text) => WsFrame::Packet {
            kind: b'4',
            data: Text::from(text),
        },
        None => WsFrame::Text(Text::from(s)),
    };
    Output::WsSend { ws, frame }
}

#[test]
fn ping_schedule_and_pong() {
    let mut h = Harness::polling();
    assert_eq!(h.s.poll_timeout(), Some(h.at(300)));
    assert!(h.handle(10, Input::PollGet(1)).is_empty(), "GET parks");
    assert!(h.tick(299).is_empty());
    assert_eq!(h.tick(300), vec![payload(1, "2")]);
    assert_eq!(h.s.poll_timeout(), Some(h.at(500)), "pong deadline");
    h.handle(310, Input::PostStarted(2));
    assert_eq!(
        h.handle(310, Input::PostBody(2, Bytes::from("3"))),
        vec![Output::Reply {
            request: 2,
            reply: PollReply::Ok
        }]
    );
    assert_eq!(
        h.s.poll_timeout(),
        Some(h.at(610)),
        "next ping pingInterval after the pong"
    );
    assert!(h.tick(500).is_empty(), "no timeout after the pong");
    assert!(!h.s.is_closed());
}

#[test]
fn pong_timeout_closes_and_releases_parked_get() {
    let mut h = Harness::polling();
    h.tick(300); // ping queued, no GET parked
    h.handle(320, Input::PollGet(1)); // takes the ping
    h.handle(330, Input::PollGet(2)); // parks
    let out = h.tick(500);
    assert_eq!(
        out,
        vec![
            payload(2, "1"),
            Output::Event(Event::Closed(CloseReason::PingTimeout))
        ]
    );
    assert!(h.s.is_closed());
    assert_eq!(h.s.poll_timeout(), None);
    assert_eq!(
        h.handle(600, Input::PollGet(3)),
        vec![Output::Reply {
            request: 3,
            reply: PollReply::Error(RequestError::UnknownSid)
        }]
    );
}

#[test]
fn messages_both_ways_and_batching() {
    let mut h = Harness::polling();
    h.s.send(Data::Text("a".into())).unwrap();
    h.s.send(Data::Binary(Bytes::from_static(&[1, 2, 3])))
        .unwrap();
    assert_eq!(
        h.handle(5, Input::PollGet(1)),
        vec![payload(1, "4a\x1ebAQID")]
    );
    h.handle(6, Input::PostStarted(2));
    let out = h.handle(6, Input::PostBody(2, Bytes::from("4x\x1ebAA==")));
    assert_eq!(
        out,
        vec![
            Output::Reply {
                request: 2,
                reply: PollReply::Ok
            },
            Output::Event(Event::Message(Data::Text("x".into()))),
            Output::Event(Event::Message(Data::Binary(Bytes::from_static(&[0])))),
        ]
    );
}

#[test]
fn send_buffer_is_bounded() {
    let mut h = Harness::polling();
    for _ in 0..4 {
        h.s.send(Data::Text("m".into())).unwrap();
    }
    assert_eq!(h.s.send(Data::Text("m".into())), Err(SendError::Full));
    assert_eq!(
        h.handle(1, Input::PollGet(1)),
        vec![payload(1, "4m\x1e4m\x1e4m\x1e4m")]
    );
    h.s.send(Data::Text("m".into())).unwrap();
}

#[test]
fn duplicate_get_closes_with_400() {
    let mut h = Harness::polling();
    assert!(h.handle(1, Input::PollGet(1)).is_empty());
    assert!(h.s.has_parked_get());
    let out = h.handle(2, Input::PollGet(2));
    assert_eq!(
        out,
        vec![
            Output::Reply {
                request: 2,
                reply: PollReply::Error(RequestError::BadRequest)
            },
            payload(1, "1"),
            Output::Event(Event::Closed(CloseReason::TransportError(
                TransportFault::OverlappingGet
            ))),
        ]
    );
}

#[test]
fn a_post_with_its_body_in_one_input() {
    let mut h = Harness::polling();
    let out = h.handle(1, Input::Post(1, Bytes::from("4a\x1e4b")));
    assert_eq!(
        out,
        vec![
            Output::Reply {
                request: 1,
                reply: PollReply::Ok
            },
            Output::Event(Event::Message(Data::Text("a".into()))),
            Output::Event(Event::Message(Data::Text("b".into()))),
        ]
    );
    // The POST is over: another one is not an overlap.
    assert_eq!(h.handle(2, Input::Post(2, Bytes::from("4c"))).len(), 2);
    assert!(!h.s.is_closed());

    // Beside a POST still waiting for its body: 400 (one answer), the session closes.
    let mut h = Harness::polling();
    h.handle(1, Input::PostStarted(1));
    let out = h.handle(2, Input::Post(2, Bytes::from("4late")));
    let replies: Vec<_> = out
        .iter()
        .filter(|o| matches!(o, Output::Reply { request: 2, .. }))
        .collect();
    assert_eq!(
        replies,
        vec![&Output::Reply {
            request: 2,
            reply: PollReply::Error(RequestError::BadRequest)
        }]
    );
    assert!(h.s.is_closed());
    assert!(!out.contains(&Output::Event(Event::Message(Data::Text("late".into())))));
}

#[test]
fn concurrent_post_closes_with_400() {
    let mut h = Harness::polling();
    h.handle(1, Input::PostStarted(1));
    let out = h.handle(2, Input::PostStarted(2));
    assert_eq!(
        out[0],
        Output::Reply {
            request: 2,
            reply: PollReply::Error(RequestError::BadRequest)
        }
    );
    assert!(h.s.is_closed());
}

#[test]
fn post_too_large_and_garbage() {
    let mut h = Harness::polling();
    h.handle(1, Input::PostStarted(1));
    let out = h.handle(1, Input::PostTooLarge(1));
    assert_eq!(
        out[0],
        Output::Reply {
            request: 1,
            reply: PollReply::TooLarge
        }
    );
    assert_eq!(
        h.s.close_reason(),
        Some(CloseReason::TransportError(TransportFault::PayloadTooLarge))
    );

    let mut h = Harness::polling();
    h.handle(1, Input::PostStarted(1));
    let out = h.handle(1, Input::PostBody(1, Bytes::from("9garbage")));
    // Answered `ok` as Node's engine.io answers it; the session closes for the parse error.
    assert_eq!(
        out[0],
        Output::Reply {
            request: 1,
            reply: PollReply::Ok
        }
    );
    assert!(matches!(
        h.s.close_reason(),
        Some(CloseReason::ParseError(_))
    ));
}

#[test]
fn client_close_packet() {
    let mut h = Harness::polling();
    h.handle(1, Input::PollGet(1));
    h.handle(2, Input::PostStarted(2));
    let out = h.handle(2, Input::PostBody(2, Bytes::from("1")));
    assert!(
        out.contains(&payload(1, "6")),
        "the parked GET is released with a noop: {out:?}"
    );
    assert_eq!(h.s.close_reason(), Some(CloseReason::TransportClose));
}

#[test]
fn server_close_during_parked_get_and_without() {
    let mut h = Harness::polling();
    assert!(h.handle(1, Input::PollGet(1)).is_empty());
    h.s.send(Data::Text("hi".into())).unwrap();
    assert_eq!(h.drain(), vec![payload(1, "4hi")]);
    h.handle(2, Input::PollGet(2));
    h.s.close(h.at(3));
    assert_eq!(
        h.drain(),
        vec![
            payload(2, "1"),
            Output::Event(Event::Closed(CloseReason::ServerClose))
        ]
    );

    // No GET parked: what is queued goes out on the next GET, and the close packet on its own on
    // the one after (a client may act on a close before the messages of the same payload).
    let mut h = Harness::polling();
    h.s.send(Data::Text("bye".into())).unwrap();
    h.s.close(h.at(1));
    assert!(h.drain().is_empty());
    assert!(!h.s.is_closed());
    assert_eq!(h.s.send(Data::Text("late".into())), Err(SendError::Closed));
    assert_eq!(h.handle(5, Input::PollGet(1)), vec![payload(1, "4bye")]);
    assert!(!h.s.is_closed());
    let out = h.handle(6, Input::PollGet(2));
    assert_eq!(
        out,
        vec![
            payload(2, "1"),
            Output::Event(Event::Closed(CloseReason::ServerClose))
        ]
    );

    // ... or for the closing deadline.
    let mut h = Harness::polling();
    h.s.close(h.at(1));
    assert_eq!(
        h.tick(201),
        vec![Output::Event(Event::Closed(CloseReason::ServerClose))]
    );
}

#[test]
fn upgrade_sequence_keeps_order() {
    let mut h = Harness::polling();
    h.s.send(Data::Text("m1".into())).unwrap();
    assert_eq!(h.handle(1, Input::PollGet(1)), vec![payload(1, "4m1")]);
    h.handle(2, Input::PollGet(2)); // parked
    assert!(h.handle(3, Input::WsOpened(7)).is_empty());
    let out = h.handle(4, Input::WsFrame(7, WsFrame::Text(Text::from("2probe"))));
    assert_eq!(
        out,
        vec![text_frame(7, "3probe"), payload(2, "6")],
        "probe answered, parked GET released"
    );
    // Sent while upgrading, with no GET parked: waits.
    h.s.send(Data::Text("m2".into())).unwrap();
    h.s.send(Data::Binary(Bytes::from_static(&[9]))).unwrap();
    assert!(h.drain().is_empty());
    let out = h.handle(5, Input::WsFrame(7, WsFrame::Text(Text::from("5"))));
    assert_eq!(
        out,
        vec![
            Output::Event(Event::Upgraded),
            text_frame(7, "4m2"),
            Output::WsSend {
                ws: 7,
                frame: WsFrame::Binary(Bytes::from_static(&[9]))
            },
        ]
    );
    h.s.send(Data::Text("m3".into())).unwrap();
    assert_eq!(h.drain(), vec![text_frame(7, "4m3")]);
    // A GET after the upgrade is a bad request; the session stays.
    assert_eq!(
        h.handle(6, Input::PollGet(3)),
        vec![Output::Reply {
            request: 3,
            reply: PollReply::Error(RequestError::BadRequest)
        }]
    );
    assert!(!h.s.is_closed());
    // Messages from the WebSocket.
    assert_eq!(
        h.handle(7, Input::WsFrame(7, WsFrame::Text(Text::from("4hi")))),
        vec![Output::Event(Event::Message(Data::Text("hi".into())))]
    );
    // Heartbeat goes over the WebSocket now.
    assert_eq!(h.tick(300), vec![text_frame(7, "2")]);
    h.handle(310, Input::WsFrame(7, WsFrame::Text(Text::from("3"))));
    assert!(h.tick(500).is_empty());
}

#[test]
fn parked_get_during_upgrade_gets_the_queued_messages() {
    let mut h = Harness::polling();
    h.handle(1, Input::PollGet(1)); // parked
    h.handle(2, Input::WsOpened(7));
    h.s.send(Data::Text("during".into())).unwrap();
    assert_eq!(
        h.drain(),
        vec![payload(1, "4during")],
        "polling still carries traffic before the probe"
    );
    let out = h.handle(3, Input::WsFrame(7, WsFrame::Text(Text::from("2probe"))));
    assert_eq!(out, vec![text_frame(7, "3probe")]);
    assert_eq!(
        h.handle(4, Input::PollGet(2)),
        vec![payload(2, "6")],
        "a GET after the probe is released at once"
    );
}

#[test]
fn upgrade_timeout_and_failed_probe_keep_polling() {
    let mut h = Harness::polling();
    h.handle(1, Input::WsOpened(7));
    assert_eq!(h.s.poll_timeout(), Some(h.at(300)));
    h.handle(100, Input::PollGet(1));
    h.tick(300);
    h.handle(301, Input::PostStarted(2));
    h.handle(301, Input::PostBody(2, Bytes::from("3")));
    assert_eq!(
        h.tick(1001),
        vec![Output::WsClose {
            ws: 7,
            code: close_code::NORMAL
        }]
    );
    assert!(!h.s.is_closed());
    // A bad packet on a probe closes only the probe.
    h.handle(1002, Input::WsOpened(8));
    assert_eq!(
        h.handle(1003, Input::WsFrame(8, WsFrame::Text(Text::from("4x")))),
        vec![Output::WsClose {
            ws: 8,
            code: close_code::NORMAL
        }]
    );
    assert!(!h.s.is_closed());
    // A probe that goes away: polling continues.
    h.handle(1004, Input::WsOpened(9));
    assert!(h
        .handle(
            1005,
            Input::WsClosed {
                ws: 9,
                error: false
            }
        )
        .is_empty());
    assert!(!h.s.is_closed());
}

#[test]
fn server_close_during_the_upgrade_waits_for_the_websocket() {
    let mut h = Harness::polling();
    h.handle(1, Input::PollGet(1)); // parked
    h.handle(2, Input::WsOpened(7));
    h.handle(3, Input::WsFrame(7, WsFrame::Text(Text::from("2probe")))); // GET 1 released with a noop
                                                                         // The application says goodbye and closes while the client pauses polling.
    h.s.send(Data::Text("41".into())).unwrap();
    h.s.close(h.at(4));
    assert!(
        h.drain().is_empty(),
        "nothing is lost on the paused polling transport"
    );
    assert_eq!(h.s.send(Data::Text("late".into())), Err(SendError::Closed));
    let out = h.handle(5, Input::WsFrame(7, WsFrame::Text(Text::from("5"))));
    assert_eq!(
        out,
        vec![
            Output::Event(Event::Upgraded),
            text_frame(7, "441"),
            text_frame(7, "1"),
            Output::WsClose {
                ws: 7,
                code: close_code::NORMAL
            },
            Output::Event(Event::Closed(CloseReason::ServerClose)),
        ]
    );

    // If the probe fails instead, polling delivers the rest, then the close.
    let mut h = Harness::polling();
    h.handle(1, Input::WsOpened(7));
    h.s.send(Data::Text("41".into())).unwrap();
    h.s.close(h.at(2));
    assert_eq!(h.handle(3, Input::WsClosed { ws: 7, error: true }), vec![]);
    assert_eq!(h.handle(4, Input::PollGet(1)), vec![payload(1, "441")]);
    assert_eq!(
        h.handle(5, Input::PollGet(2)),
        vec![
            payload(2, "1"),
            Output::Event(Event::Closed(CloseReason::ServerClose))
        ]
    );
}

#[test]
fn second_websocket_is_closed() {
    let mut h = Harness::polling();
    h.handle(1, Input::WsOpened(7));
    assert_eq!(
        h.handle(2, Input::WsOpened(8)),
        vec![Output::WsClose {
            ws: 8,
            code: close_code::NORMAL
        }]
    );
    h.handle(3, Input::WsFrame(7, WsFrame::Text(Text::from("2probe"))));
    h.handle(4, Input::WsFrame(7, WsFrame::Text(Text::from("5"))));
    assert_eq!(
        h.handle(5, Input::WsOpened(9)),
        vec![Output::WsClose {
            ws: 9,
            code: close_code::NORMAL
        }]
    );
    assert!(!h.s.is_closed());
}

#[test]
fn websocket_session() {
    let t0 = Instant::now();
    let mut s = Session::new_websocket(t0, "w".into(), config(), 3);
    match s.poll_output() {
        Some(Output::WsSend {
            ws: 3,
            frame: WsFrame::Text(b),
        }) => assert!(b.as_str().starts_with("0{\"sid\":\"w\",\"upgrades\":[]")),
        other => panic!("{other:?}"),
    }
    s.handle(
        t0,
        Input::WsFrame(3, WsFrame::Binary(Bytes::from_static(&[1]))),
    );
    assert_eq!(
        s.poll_output(),
        Some(Output::Event(Event::Message(Data::Binary(
            Bytes::from_static(&[1])
        ))))
    );
    s.handle(t0, Input::WsFrame(3, WsFrame::Text(Text::from("x"))));
    assert_eq!(
        s.poll_output(),
        Some(Output::WsClose {
            ws: 3,
            code: close_code::PROTOCOL_ERROR
        })
    );
    assert!(matches!(s.close_reason(), Some(CloseReason::ParseError(_))));

    let mut s = Session::new_websocket(t0, "w".into(), config(), 3);
    s.poll_output();
    s.close(t0);
    let out: Vec<_> = std::iter::from_fn(|| s.poll_output()).collect();
    assert_eq!(
        out,
        vec![
            Output::WsSend {
                ws: 3,
                frame: WsFrame::Text(Packet::Close.to_text())
            },
            Output::WsClose {
                ws: 3,
                code: close_code::NORMAL
            },
            Output::Event(Event::Closed(CloseReason::ServerClose)),
        ]
    );
}

/// A text frame read in place: a message on the session's WebSocket is handed back for the
/// application (nothing queued); one behind a queued event, or anything but a message, or on
/// another WebSocket, is handled as the same frame given as `Input::WsFrame`.
#[test]
fn a_message_read_in_place_goes_to_the_application_in_order() {
    let t0 = Instant::now();
    let mut s = Session::new_websocket(t0, "w".into(), config(), 3);
    s.poll_output();
    assert_eq!(s.ws_message_in_place(t0, 3, "4hi"), Some("hi"));
    assert_eq!(s.ws_message_in_place(t0, 3, "4"), Some(""));
    assert_eq!(s.poll_output(), None);
    // Behind an event not yet taken: queued after it.
    s.handle(
        t0,
        Input::WsFrame(3, WsFrame::Binary(Bytes::from_static(&[1]))),
    );
    assert_eq!(s.ws_message_in_place(t0, 3, "4\u{e9}"), None);
    let out: Vec<_> = std::iter::from_fn(|| s.poll_output()).collect();
    assert_eq!(
        out,
        vec![
            Output::Event(Event::Message(Data::Binary(Bytes::from_static(&[1])))),
            Output::Event(Event::Message(Data::Text(Text::from("\u{e9}")))),
        ]
    );
    // A pong is the session's; its pong deadline is met.
    let ping = s.poll_timeout().unwrap();
    s.handle_timeout(ping);
    assert!(matches!(
        s.poll_output(),
        Some(Output::WsSend { ws: 3, .. })
    ));
    assert_eq!(s.ws_message_in_place(ping, 3, "3"), None);
    assert_eq!(s.poll_output(), None);
    assert_eq!(s.poll_timeout(), Some(ping + config().ping_interval));
    // Another WebSocket's frame is not the session's message.
    assert_eq!(s.ws_message_in_place(ping, 4, "4x"), None);
    assert!(matches!(
        s.poll_output(),
        Some(Output::WsClose { ws: 4, .. })
    ));
    // Not a packet: the session fails, as for the same frame taken out.
    assert_eq!(s.ws_message_in_place(ping, 3, "x"), None);
    assert!(matches!(s.close_reason(), Some(CloseReason::ParseError(_))));
    assert_eq!(s.ws_message_in_place(ping, 3, "4late"), None);
}

#[test]
fn client_ping_on_main_transport_is_refused() {
    let mut h = Harness::polling();
    h.handle(1, Input::PostStarted(1));
    h.handle(1, Input::PostBody(1, Bytes::from("2")));
    assert_eq!(
        h.s.close_reason(),
        Some(CloseReason::TransportError(
            TransportFault::UnexpectedPacket
        ))
    );
}

#[test]
fn aborted_parked_get_closes() {
    let mut h = Harness::polling();
    h.handle(1, Input::PollGet(1));
    let out = h.handle(2, Input::RequestAborted(1));
    assert_eq!(
        out,
        vec![Output::Event(Event::Closed(CloseReason::TransportError(
            TransportFault::RequestAborted
        )))]
    );
}

#[test]
fn pings_do_not_pile_up_for_a_client_that_never_polls() {
    let mut h = Harness::polling();
    for round in 0..5u64 {
        let t = 300 + round * 310;
        h.tick(t);
        h.handle(t + 5, Input::PostStarted(round * 2 + 1));
        h.handle(t + 5, Input::PostBody(round * 2 + 1, Bytes::from("3")));
    }
    assert_eq!(h.s.buffered(), 1, "one ping waits, not five");
}

#[test]
fn closing_schedules_no_ping() {
    let mut h = Harness::polling();
    h.s.close(h.at(1));
    // The ping was due at 300 ms; while closing only the close deadline (1 + 200 ms) remains.
    assert_eq!(h.s.poll_timeout(), Some(h.at(201)));
    assert!(h.tick(150).is_empty());
}

#[test]
fn text_with_the_record_separator_is_refused() {
    let mut h = Harness::polling();
    assert_eq!(
        h.s.send(Data::Text("a\x1e1".into())),
        Err(SendError::RecordSeparator)
    );
    assert_eq!(h.s.buffered(), 0);
    h.s.send(Data::Binary(Bytes::from_static(b"a\x1e1")))
        .unwrap();
}

/// The separator only matters to polling payloads: a WebSocket session (which never goes back to
/// polling) sends such a text in its own frame.
#[test]
fn a_websocket_session_sends_text_with_the_record_separator() {
    let t0 = Instant::now();
    let mut s = Session::new_websocket(t0, "w".into(), config(), 3);
    while s.poll_output().is_some() {}
    s.send(Data::Text("a\x1e1".into())).unwrap();
    match s.poll_output() {
        Some(Output::WsSend {
            ws: 3,
            frame: WsFrame::Packet { kind: b'4', data },
        }) => assert_eq!(data.as_str(), "a\x1e1"),
        other => panic!("{other:?}"),
    }
}

/// A Socket.IO packet and its attachments go into the outbox together or not at all: a full
/// buffer never splits them (the client would pair the next packet's binaries with this one).
#[test]
fn a_packet_and_its_attachments_are_queued_all_or_none() {
    let t0 = Instant::now();
    let mut s = Session::new_polling(t0, "p".into(), budget_config(1000), 0);
    while s.poll_output().is_some() {}
    let attachment = || Bytes::from(vec![7u8; 300]);
    let text = Text::from(r#"51-["a",{"_placeholder":true,"num":0}]"#);
    s.send_group_within(text, vec![attachment(), attachment()], 10, 1000)
        .unwrap();
    assert_eq!(s.buffered(), 3);
    // The text alone would fit in the bytes left, the text and its attachment do not: none goes.
    let refused = s.send_group_within(Text::from("x"), vec![attachment()], 10, 1000);
    assert_eq!(refused, Err(SendError::Full));
    assert_eq!(s.buffered(), 3);
    // The same in messages: three queued, three more would reach the bound of five.
    let small = vec![Bytes::from_static(b"1"), Bytes::from_static(b"2")];
    let refused = s.send_group_within(Text::from("y"), small, 5, usize::MAX);
    assert_eq!(refused, Err(SendError::Full));
    assert_eq!(s.buffered(), 3);
    // A lone message still fits under that bound.
    s.send_within(Data::Text("z".into()), 5, usize::MAX)
        .unwrap();
    assert_eq!(s.buffered(), 4);
}

/// `has_room_within` answers what the sends themselves would do: a group of messages that fits
/// the bounds in messages and in bytes is taken whole, one that does not is not (a replay of
/// missed packets asks it before it is made).
#[test]
fn has_room_within_agrees_with_the_sends() {
    let t0 = Instant::now();
    let mut s = Session::new_polling(t0, "p".into(), budget_config(1000), 0);
    while s.poll_output().is_some() {}
    assert!(s.has_room_within(0, 0, 0, 0));
    s.send_within(msg(300), 10, 1000).unwrap();
    let one = engineio::proto::budget::weight(&msg(300));
    // Bytes: one more such message fits, two do not.
    assert!(s.has_room_within(1, one, 10, 1000));
    assert!(!s.has_room_within(2, 2 * one, 10, 1000));
    // Messages: with one queued, two more reach a bound of three, three more pass it.
    assert!(s.has_room_within(2, 2, 3, usize::MAX));
    assert!(!s.has_room_within(3, 3, 3, usize::MAX));
    // And the sends agree: the message that fits is taken, the next is refused.
    s.send_within(msg(300), 10, 1000).unwrap();
    assert_eq!(s.send_within(msg(300), 10, 1000), Err(SendError::Full));
}

fn budget_config(bytes: usize) -> Config {
    Config {
        max_buffered_packets: 1000,
        max_buffered_bytes: bytes,
        send_buffer_grace: Duration::from_millis(2000),
        // Far apart, so no heartbeat interferes with the budget's timeline.
        ping_interval: Duration::from_secs(3600),
        ..config()
    }
}

fn msg(len: usize) -> Data {
    Data::Text("x".repeat(len).into())
}

#[test]
fn websocket_send_budget_counts_unwritten_bytes_and_closes_a_stalled_client() {
    use engineio::proto::budget::PACKET_OVERHEAD;
    let t0 = Instant::now();
    let at = |ms| t0 + Duration::from_millis(ms);
    let limit = 4 * (100 + PACKET_OVERHEAD);
    let mut s = Session::new_websocket(t0, "w".into(), budget_config(limit), 3);
    s.poll_output();
    for _ in 0..4 {
        s.send(msg(100)).unwrap();
    }
    assert_eq!(
        s.buffered_bytes(),
        limit,
        "handed to the WebSocket, not yet written"
    );
    assert_eq!(s.send(msg(1)), Err(SendError::Full));
    // The runtime writes everything: the budget is free again.
    s.handle(at(10), Input::WsWritten(3));
    assert_eq!(s.buffered_bytes(), 0);
    s.send(msg(100)).unwrap();
    // The runtime's own queue counts too.
    s.set_queued_elsewhere(at(20), limit, false);
    assert_eq!(s.send(msg(1)), Err(SendError::Full));
    s.set_queued_elsewhere(at(30), limit, true);
    assert_eq!(
        s.poll_timeout(),
        Some(at(30 + 2000)),
        "the grace runs from the first refusal the session heard of with the time"
    );
    s.handle_timeout(at(2029));
    assert!(!s.is_closed());
    let _: Vec<_> = std::iter::from_fn(|| s.poll_output()).collect();
    s.handle_timeout(at(2030));
    assert_eq!(s.close_reason(), Some(CloseReason::SendBufferFull));
    let out: Vec<_> = std::iter::from_fn(|| s.poll_output()).collect();
    assert_eq!(
        out,
        vec![
            Output::WsClose {
                ws: 3,
                code: close_code::POLICY_VIOLATION
            },
            Output::Event(Event::Closed(CloseReason::SendBufferFull)),
        ]
    );
}

#[test]
fn a_client_that_reads_half_its_budget_is_not_closed() {
    let t0 = Instant::now();
    let at = |ms| t0 + Duration::from_millis(ms);
    let mut s = Session::new_websocket(t0, "w".into(), budget_config(1000), 3);
    s.poll_output();
    while s.send(msg(100)).is_ok() {}
    s.handle_timeout(at(1));
    assert!(s.poll_timeout().is_some_and(|t| t <= at(2001)));
    s.handle(at(1000), Input::WsWritten(3));
    s.handle_timeout(at(5000));
    assert!(!s.is_closed(), "relieved before the grace ended");
    // One message larger than the whole budget still goes out when nothing waits.
    s.send(msg(5000)).unwrap();
}

#[test]
fn polling_budget_and_one_response_carries_at_most_max_payload() {
    let t0 = Instant::now();
    let at = |ms| t0 + Duration::from_millis(ms);
    let mut s = Session::new_polling(t0, "p".into(), budget_config(1000), 0);
    s.poll_output();
    // max_payload is 100: 30-byte messages, 31 bytes each in a payload with the `4`.
    let mut sent = 0;
    while s.send(msg(30)).is_ok() {
        sent += 1;
    }
    assert_eq!(sent, 1000 / (30 + engineio::proto::budget::PACKET_OVERHEAD));
    let mut received = 0;
    let mut responses = 0;
    for request in 1..20 {
        s.handle(at(request), Input::PollGet(request));
        match s.poll_output() {
            Some(Output::Reply {
                reply: PollReply::Payload(body),
                ..
            }) => {
                assert!(body.len() <= 100, "{} bytes", body.len());
                received += body.split(|b| *b == 0x1e).count();
                responses += 1;
            }
            None => break,
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(received, sent, "nothing lost, in several responses");
    assert!(responses > 1);
    assert_eq!(s.buffered_bytes(), 0);
    // A single message larger than max_payload still goes out, alone (to the parked GET).
    s.send(msg(500)).unwrap();
    assert_eq!(
        s.poll_output(),
        Some(payload(responses + 1, &format!("4{}", "x".repeat(500))))
    );
}

#[test]
fn polling_client_that_never_polls_is_closed_after_the_grace() {
    let t0 = Instant::now();
    let at = |ms| t0 + Duration::from_millis(ms);
    let mut s = Session::new_polling(t0, "p".into(), budget_config(1000), 0);
    s.poll_output();
    while s.send(msg(100)).is_ok() {}
    s.handle_timeout(at(0));
    s.handle_timeout(at(2000));
    assert_eq!(s.close_reason(), Some(CloseReason::SendBufferFull));
}

#[test]
fn force_base64_text_frame_is_a_binary_message() {
    let t0 = Instant::now();
    let mut s = Session::new_websocket(t0, "w".into(), config(), 3);
    s.poll_output();
    s.handle(t0, Input::WsFrame(3, WsFrame::Text(Text::from("bAQID"))));
    assert_eq!(
        s.poll_output(),
        Some(Output::Event(Event::Message(Data::Binary(Bytes::from(
            vec![1u8, 2, 3]
        )))))
    );
    s.handle(t0, Input::WsFrame(3, WsFrame::Text(Text::from("b!!"))));
    assert!(matches!(s.close_reason(), Some(CloseReason::ParseError(_))));
}

#[test]
fn websocket_faults_and_shutdown_close_with_their_codes() {
    let t0 = Instant::now();
    for (fault, code) in [
        (WsFault::Protocol, 1002),
        (WsFault::InvalidUtf8, 1007),
        (WsFault::MessageTooBig, 1009),
    ] {
        let mut s = Session::new_websocket(t0, "w".into(), config(), 3);
        s.poll_output();
        s.handle(t0, Input::WsFault { ws: 3, fault });
        assert_eq!(s.poll_output(), Some(Output::WsClose { ws: 3, code }));
        assert!(s.close_reason().is_some_and(|r| r.is_peer_fault()));
    }
    let mut s = Session::new_websocket(t0, "w".into(), config(), 3);
    s.poll_output();
    s.shutdown(t0);
    let out: Vec<_> = std::iter::from_fn(|| s.poll_output()).collect();
    assert!(out.contains(&Output::WsClose {
        ws: 3,
        code: close_code::GOING_AWAY
    }));
}

#[test]
fn a_get_sent_along_with_the_closing_post_gets_its_noop() {
    // The client sends GET and POST "1" at once on two connections; the POST is read first.
    let mut h = Harness::polling();
    h.handle(1, Input::PostStarted(1));
    let out = h.handle(1, Input::PostBody(1, Bytes::from("1\x1e4after")));
    assert_eq!(
        out,
        vec![
            Output::Reply {
                request: 1,
                reply: PollReply::Ok
            },
            Output::Event(Event::Closed(CloseReason::TransportClose)),
        ],
        "closed for the application at once; nothing after the close packet is read"
    );
    assert!(h.s.is_closed() && !h.s.is_finished());
    assert_eq!(h.s.send(Data::Text("late".into())), Err(SendError::Closed));
    assert_eq!(h.handle(2, Input::PollGet(2)), vec![payload(2, "6")]);
    assert!(h.s.is_finished());
    assert_eq!(
        h.s.transport(),
        None,
        "a later GET is refused: unknown session"
    );

    // Without a GET, it finishes after a short while.
    let mut h = Harness::polling();
    h.handle(1, Input::PostStarted(1));
    h.handle(1, Input::PostBody(1, Bytes::from("1")));
    let deadline = h.s.poll_timeout().unwrap();
    assert!(deadline <= h.at(1001));
    h.s.handle_timeout(deadline);
    assert!(h.s.is_finished());
    assert_eq!(h.s.poll_timeout(), None);
}

/// `send_text_in_place` admits a text as `send_within` admits it, and lets the runtime write it
/// itself only when nothing waits before it: on a WebSocket, with no message in the outbox and no
/// frame among the outputs. The text counts as held until the WebSocket reports it written.
#[test]
fn a_text_goes_in_place_only_ahead_of_nothing() {
    let t0 = Instant::now();
    let mut s = Session::new_websocket(t0, "w".into(), budget_config(1000), 3);
    // The open packet is an output still to be written: the text must wait behind it.
    assert_eq!(s.send_text_in_place(300, 10, 1000), Ok(None));
    while s.poll_output().is_some() {}
    assert_eq!(s.send_text_in_place(300, 10, 1000), Ok(Some(3)));
    let one = engineio::proto::budget::weight_of_group(300, &[]);
    assert_eq!(s.buffered_bytes(), one);
    // The bounds of `send_within`: in bytes (one more such text fits, a third does not) ...
    assert_eq!(s.send_text_in_place(300, 10, 1000), Ok(Some(3)));
    assert_eq!(s.send_text_in_place(300, 10, 1000), Err(SendError::Full));
    assert_eq!(s.send_within(msg(300), 10, 1000), Err(SendError::Full));
    // ... and in messages.
    assert_eq!(s.send_text_in_place(1, 0, 1000), Err(SendError::Full));
    // Written out: nothing held.
    s.handle(t0, Input::WsWritten(3));
    assert_eq!(s.buffered_bytes(), 0);
    // A message sent the usual way is a frame among the outputs: the next text waits behind it.
    s.send_within(msg(10), 10, 1000).unwrap();
    assert_eq!(s.send_text_in_place(10, 10, 1000), Ok(None));
    while s.poll_output().is_some() {}
    assert_eq!(s.send_text_in_place(10, 10, 1000), Ok(Some(3)));
    // Never on long-polling: its messages go into payloads.
    let mut p = Session::new_polling(t0, "p".into(), budget_config(1000), 0);
    while p.poll_output().is_some() {}
    assert_eq!(p.send_text_in_place(10, 10, 1000), Ok(None));
}

/// On protocol 4, a binary message goes in place under the same rule and bounds as a text.
#[test]
fn a_binary_goes_in_place_as_a_text_does() {
    let t0 = Instant::now();
    let mut s = Session::new_websocket(t0, "w".into(), budget_config(1000), 3);
    assert_eq!(s.send_binary_in_place(300, 10, 1000), Ok(None));
    while s.poll_output().is_some() {}
    assert_eq!(s.send_binary_in_place(300, 10, 1000), Ok(Some(3)));
    let one = engineio::proto::budget::weight(&Data::Binary(Bytes::from(vec![0; 300])));
    assert_eq!(s.buffered_bytes(), one);
    assert_eq!(s.send_text_in_place(300, 10, 1000), Ok(Some(3)));
    assert_eq!(s.send_binary_in_place(300, 10, 1000), Err(SendError::Full));
    s.handle(t0, Input::WsWritten(3));
    assert_eq!(s.buffered_bytes(), 0);
    s.send_within(msg(10), 10, 1000).unwrap();
    assert_eq!(s.send_binary_in_place(10, 10, 1000), Ok(None));
}
