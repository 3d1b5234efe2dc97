//! The `Connection` state machine on a virtual clock, written as wire conversations.
#![allow(clippy::unwrap_used)]
// `Instant` has no constructor but the clock: one reading is the origin the test advances by hand.
#![allow(clippy::disallowed_methods)]

use std::time::{Duration, Instant};

use bytes::Bytes;
use socketio::proto::{
    connect_error, ApiMisuse, CloseReason, Config, Connection, DecodeError, DisconnectReason,
    Event, NamespaceState, Output, PacketType, Payload, PeerMisbehaved, RawJson,
};

const CONNECT_TIMEOUT: Duration = Duration::from_millis(1000);

struct Harness {
    t0: Instant,
    now: Instant,
    conn: Connection,
}

impl Harness {
    fn new() -> Self {
        let t0 = Instant::now();
        let config = Config {
            connect_timeout: CONNECT_TIMEOUT,
            ..Config::default()
        };
        Self {
            t0,
            now: t0,
            conn: Connection::new(t0, config),
        }
    }

    fn text(&mut self, text: &str) -> Vec<Output> {
        self.conn.handle_text(self.now, text);
        self.drain()
    }

    fn binary(&mut self, data: &'static [u8]) -> Vec<Output> {
        self.conn.handle_binary(self.now, Bytes::from_static(data));
        self.drain()
    }

    fn advance_to(&mut self, ms: u64) -> Vec<Output> {
        self.now = self.t0 + Duration::from_millis(ms);
        self.conn.handle_timeout(self.now);
        self.drain()
    }

    fn drain(&mut self) -> Vec<Output> {
        std::iter::from_fn(|| self.conn.poll_output()).collect()
    }

    /// CONNECT + accept for `nsp`, checking the wire reply.
    fn join(&mut self, nsp: &str, sid: &str) {
        let connect = if nsp == "/" {
            "0".to_string()
        } else {
            format!("0{nsp},")
        };
        let out = self.text(&connect);
        assert!(
            matches!(&out[..], [Output::ConnectRequest { nsp: n, auth: None, .. }] if n.as_str() == nsp),
            "{out:?}"
        );
        self.conn.accept(nsp, sid).unwrap();
        let prefix = if nsp == "/" {
            String::new()
        } else {
            format!("{nsp},")
        };
        assert_eq!(
            wire(&self.drain()),
            vec![format!("0{prefix}{{\"sid\":\"{sid}\"}}")]
        );
    }
}

/// The texts of the `Transmit` outputs.
fn wire(outputs: &[Output]) -> Vec<String> {
    outputs
        .iter()
        .filter_map(|o| match o {
            Output::Transmit(e) => Some(e.as_str().to_owned()),
            _ => None,
        })
        .collect()
}

fn ph(n: u64) -> String {
    format!("{{\"_placeholder\":true,\"num\":{n}}}")
}

fn closed_by(outputs: &[Output]) -> &CloseReason {
    match outputs.last() {
        Some(Output::Close(reason)) => reason,
        other => panic!("expected Close last, got {other:?}"),
    }
}

#[test]
fn connect_timeout_closes_a_connection_that_joins_nothing() {
    let mut h = Harness::new();
    assert_eq!(h.conn.poll_timeout(), Some(h.t0 + CONNECT_TIMEOUT));
    assert!(h.advance_to(999).is_empty());
    let out = h.advance_to(1000);
    assert_eq!(out, vec![Output::Close(CloseReason::ConnectTimeout)]);
    assert!(h.conn.is_closed());
    assert_eq!(h.conn.poll_timeout(), None);
    // a CONNECT after the close is ignored
    assert!(h.text("0").is_empty());
    assert_eq!(h.conn.accept("/", "x"), Err(ApiMisuse::ConnectionClosed));
}

#[test]
fn connect_timeout_also_covers_an_undecided_or_refused_join() {
    // the application never answers the CONNECT
    let mut h = Harness::new();
    assert_eq!(h.text("0").len(), 1);
    assert_eq!(
        h.advance_to(1000),
        vec![Output::Close(CloseReason::ConnectTimeout)]
    );

    // the only CONNECT was refused
    let mut h = Harness::new();
    h.text("0/admin,");
    h.conn
        .reject("/admin", connect_error("Not authorized", None))
        .unwrap();
    assert_eq!(
        wire(&h.drain()),
        vec![r#"4/admin,{"message":"Not authorized"}"#]
    );
    assert!(!h.conn.is_closed());
    assert!(h.conn.namespace("/admin").is_none());
    assert_eq!(
        h.advance_to(1000),
        vec![Output::Close(CloseReason::ConnectTimeout)]
    );
}

#[test]
fn a_join_within_the_timeout_keeps_the_connection() {
    let mut h = Harness::new();
    h.advance_to(900);
    h.join("/", "s1");
    assert_eq!(h.conn.poll_timeout(), None);
    assert!(h.advance_to(60_000).is_empty());
    // leaving every namespace does not close it either (as in Node)
    assert_eq!(
        h.text("1"),
        vec![Output::Disconnected {
            nsp: socketio::proto::Namespace::main(),
            reason: DisconnectReason::ClientNamespaceDisconnect
        }]
    );
    assert!(h.advance_to(120_000).is_empty());
    assert!(!h.conn.is_closed());
}

#[test]
fn connect_with_auth_payload_then_events_and_acks() {
    let mut h = Harness::new();
    let out = h.text(r#"0{"token":"123"}"#);
    let [Output::ConnectRequest { nsp, auth, .. }] = &out[..] else {
        panic!("{out:?}")
    };
    assert_eq!(nsp.as_str(), "/");
    assert_eq!(auth.as_ref().unwrap().as_str(), r#"{"token":"123"}"#);
    // events are not delivered while the join is undecided: Node closes
    h.conn.accept("/", "abc").unwrap();
    assert_eq!(wire(&h.drain()), vec![r#"0{"sid":"abc"}"#]);
    assert!(
        matches!(h.conn.namespace("/"), Some(NamespaceState::Connected(c)) if c.sid() == "abc")
    );

    // the conformance server's greeting
    h.conn
        .emit(
            "/",
            "auth",
            &Payload::json(vec![auth.clone().unwrap()]).unwrap(),
        )
        .unwrap();
    assert_eq!(
        wire(&h.drain()),
        vec![r#"42["auth",{"token":"123"}]"#[1..].to_string()]
    );

    // an event with an ack id, acknowledged with the same arguments
    let out = h.text(r#"2456["message-with-ack",1,"2",{"3":[false]}]"#);
    let [Output::Event(Event {
        nsp,
        name,
        args,
        ack_id,
    })] = &out[..]
    else {
        panic!("{out:?}")
    };
    assert_eq!(
        (nsp.as_str(), name.as_str(), *ack_id),
        ("/", "message-with-ack", Some(456))
    );
    h.conn.ack("/", 456, args).unwrap();
    assert_eq!(wire(&h.drain()), vec![r#"3456[1,"2",{"3":[false]}]"#]);
}

#[test]
fn unknown_namespace_is_refused_and_others_keep_working() {
    let mut h = Harness::new();
    h.join("/", "a");
    h.text("0/random");
    h.conn
        .reject("/random", connect_error("Invalid namespace", None))
        .unwrap();
    assert_eq!(
        wire(&h.drain()),
        vec![r#"4/random,{"message":"Invalid namespace"}"#]
    );
    // refusing with data, as a middleware error does
    h.text("0/vip,");
    let data = RawJson::parse(r#"{"retry":false}"#).unwrap();
    h.conn
        .reject("/vip", connect_error("Forbidden", Some(&data)))
        .unwrap();
    assert_eq!(
        wire(&h.drain()),
        vec![r#"4/vip,{"message":"Forbidden","data":{"retry":false}}"#]
    );
    let out = h.text(r#"2["still",true]"#);
    assert!(matches!(&out[..], [Output::Event(e)] if e.name == "still"));
}

#[test]
fn disconnect_of_one_namespace_keeps_the_others() {
    let mut h = Harness::new();
    h.join("/", "a");
    h.join("/custom", "b");
    let out = h.text("1/custom");
    assert_eq!(
        out,
        vec![Output::Disconnected {
            nsp: socketio::proto::Namespace::new("/custom").unwrap(),
            reason: DisconnectReason::ClientNamespaceDisconnect
        }]
    );
    assert!(h.conn.namespace("/custom").is_none());
    let out = h.text(r#"2["message","message to main namespace"]"#);
    let [Output::Event(e)] = &out[..] else {
        panic!("{out:?}")
    };
    h.conn.emit("/", "message-back", &e.args).unwrap();
    assert_eq!(
        wire(&h.drain()),
        vec![r#"2["message-back","message to main namespace"]"#]
    );
    // the namespace can be joined again
    h.join("/custom", "c");
}

#[test]
fn server_side_namespace_disconnect() {
    let mut h = Harness::new();
    h.join("/", "a");
    h.join("/admin", "b");
    h.conn.disconnect("/admin").unwrap();
    let out = h.drain();
    assert_eq!(wire(&out), vec!["1/admin,"]);
    assert!(matches!(
        out.last(),
        Some(Output::Disconnected { nsp, reason: DisconnectReason::ServerNamespaceDisconnect }) if nsp.as_str() == "/admin"
    ));
    assert_eq!(
        h.conn.emit("/admin", "x", &Payload::empty()),
        Err(ApiMisuse::NotConnected {
            nsp: "/admin".into()
        })
    );
    assert_eq!(
        h.conn.disconnect("/admin"),
        Err(ApiMisuse::NotConnected {
            nsp: "/admin".into()
        })
    );
    assert!(h.conn.emit("/", "x", &Payload::empty()).is_ok());
}

#[test]
fn disconnect_all_sends_disconnect_everywhere_then_closes() {
    let mut h = Harness::new();
    h.join("/", "a");
    h.join("/b", "b");
    h.conn.disconnect_all().unwrap();
    let out = h.drain();
    assert_eq!(wire(&out), vec!["1", "1/b,"]);
    assert_eq!(
        closed_by(&out),
        &CloseReason::ByServer(DisconnectReason::ServerNamespaceDisconnect)
    );
    assert_eq!(h.conn.disconnect_all(), Err(ApiMisuse::ConnectionClosed));
}

#[test]
fn close_and_transport_close_disconnect_every_namespace() {
    let mut h = Harness::new();
    h.join("/", "a");
    h.join("/b", "b");
    h.conn.close(DisconnectReason::ServerShuttingDown).unwrap();
    let out = h.drain();
    assert!(wire(&out).is_empty());
    let reasons: Vec<_> = out
        .iter()
        .filter_map(|o| match o {
            Output::Disconnected { nsp, reason } => Some((nsp.to_string(), *reason)),
            _ => None,
        })
        .collect();
    assert_eq!(
        reasons,
        vec![
            ("/".to_string(), DisconnectReason::ServerShuttingDown),
            ("/b".to_string(), DisconnectReason::ServerShuttingDown)
        ]
    );
    assert_eq!(
        closed_by(&out),
        &CloseReason::ByServer(DisconnectReason::ServerShuttingDown)
    );

    let mut h = Harness::new();
    h.join("/", "a");
    h.text("0/pending,"); // undecided: not connected, so no Disconnected for it
    h.conn
        .handle_transport_closed(DisconnectReason::PingTimeout);
    assert_eq!(
        h.drain(),
        vec![Output::Disconnected {
            nsp: socketio::proto::Namespace::main(),
            reason: DisconnectReason::PingTimeout
        }]
    );
    assert!(h.conn.is_closed());
    assert_eq!(
        h.conn.accept("/pending", "x"),
        Err(ApiMisuse::ConnectionClosed)
    );
}

#[test]
fn state_violations_close_the_connection_like_node() {
    // before any join: closed, with no namespace to disconnect
    let mut h = Harness::new();
    let out = h.text(r#"2["a"]"#);
    assert_eq!(
        out,
        vec![Output::Close(CloseReason::PeerMisbehaved(
            PeerMisbehaved::NotConnected {
                nsp: "/".into(),
                packet: PacketType::Event,
            }
        ))]
    );

    // after joining "/": "/" is disconnected with Node's reason
    type Case = (&'static str, &'static [&'static str], PeerMisbehaved);
    let cases: Vec<Case> = vec![
        (
            "event on another namespace",
            &[r#"2/other,["a"]"#],
            PeerMisbehaved::NotConnected {
                nsp: "/other".into(),
                packet: PacketType::Event,
            },
        ),
        (
            "event while the join is undecided",
            &["0/wait,", r#"2/wait,["a"]"#],
            PeerMisbehaved::NotConnected {
                nsp: "/wait".into(),
                packet: PacketType::Event,
            },
        ),
        (
            "ack on an unjoined namespace",
            &["3/other,1[]"],
            PeerMisbehaved::NotConnected {
                nsp: "/other".into(),
                packet: PacketType::Ack,
            },
        ),
        (
            "disconnect of an unjoined namespace",
            &["1/other,"],
            PeerMisbehaved::NotConnected {
                nsp: "/other".into(),
                packet: PacketType::Disconnect,
            },
        ),
        (
            "second CONNECT",
            &["0"],
            PeerMisbehaved::DuplicateConnect { nsp: "/".into() },
        ),
        (
            "second CONNECT while undecided",
            &["0/wait,", "0/wait,"],
            PeerMisbehaved::DuplicateConnect {
                nsp: "/wait".into(),
            },
        ),
        (
            "CONNECT_ERROR from a client",
            &[r#"4{"message":"no"}"#],
            PeerMisbehaved::ConnectErrorFromClient { nsp: "/".into() },
        ),
    ];
    for (what, texts, expected) in cases {
        let mut h = Harness::new();
        h.join("/", "a");
        let mut out = Vec::new();
        for t in texts {
            out.extend(h.text(t));
        }
        assert_eq!(
            closed_by(&out),
            &CloseReason::PeerMisbehaved(expected),
            "{what}"
        );
        assert!(
            out.contains(&Output::Disconnected {
                nsp: socketio::proto::Namespace::main(),
                reason: DisconnectReason::ForcedServerClose
            }),
            "{what}: {out:?}"
        );
        assert!(h.conn.is_closed(), "{what}");
        assert!(h.text(r#"2["after"]"#).is_empty(), "{what}");
    }
}

#[test]
fn malformed_packets_close_with_parse_error() {
    for bad in [
        "4abc",
        "abc",
        "2{}",
        r#"2abc["message-with-ack",1]"#,
        r#"2["disconnect"]"#,
        "",
        r#"2["a","#,
    ] {
        let mut h = Harness::new();
        h.join("/", "a");
        let out = h.text(bad);
        assert!(
            matches!(
                closed_by(&out),
                CloseReason::PeerMisbehaved(PeerMisbehaved::Malformed(_))
            ),
            "{bad:?}: {out:?}"
        );
        assert_eq!(
            out.first(),
            Some(&Output::Disconnected {
                nsp: socketio::proto::Namespace::main(),
                reason: DisconnectReason::ParseError
            }),
            "{bad:?}"
        );
        // the reason names the fault
        assert!(closed_by(&out).to_string().starts_with("peer misbehaved"));
    }
}

#[test]
fn hostile_sizes_close_cleanly() {
    let deep = format!("2[\"a\",{}{}]", "[".repeat(100_000), "]".repeat(100_000));
    let long_nsp = format!("0/{},", "n".repeat(100_000));
    let many_args = format!("2[\"a\"{}]", ",0".repeat(100_000));
    let mut h = Harness::new();
    h.join("/", "a");
    let out = h.text(&deep);
    assert!(matches!(
        closed_by(&out),
        CloseReason::PeerMisbehaved(PeerMisbehaved::Malformed(DecodeError::InvalidJson(_)))
    ));
    // long but well-formed input is fine (size is the Engine.IO layer's maxPayload's business)
    let mut h = Harness::new();
    assert_eq!(h.text(&long_nsp).len(), 1);
    h.join("/", "a");
    let out = h.text(&many_args);
    assert!(matches!(&out[..], [Output::Event(e)] if e.args.args().len() == 100_000));
}

#[test]
fn ack_deadlines_on_the_virtual_clock() {
    let mut h = Harness::new();
    h.join("/", "a");
    let args = Payload::json(vec![RawJson::string("q")]).unwrap();
    let slow = h
        .conn
        .emit_with_ack(
            h.now,
            "/",
            "ask",
            &args,
            Some(Duration::from_millis(2000)),
            (),
        )
        .unwrap();
    let fast = h
        .conn
        .emit_with_ack(
            h.now,
            "/",
            "ask",
            &args,
            Some(Duration::from_millis(500)),
            (),
        )
        .unwrap();
    let forever = h
        .conn
        .emit_with_ack(h.now, "/", "ask", &args, None, ())
        .unwrap();
    assert_eq!((slow, fast, forever), (0, 1, 2));
    assert_eq!(
        wire(&h.drain()),
        vec![r#"20["ask","q"]"#, r#"21["ask","q"]"#, r#"22["ask","q"]"#]
    );
    assert_eq!(
        h.conn.poll_timeout(),
        Some(h.t0 + Duration::from_millis(500))
    );
    assert!(h.advance_to(499).is_empty());
    let main = socketio::proto::Namespace::main();
    assert_eq!(
        h.advance_to(500),
        vec![Output::AckTimedOut {
            nsp: main.clone(),
            id: 1,
            waiter: ()
        }]
    );
    // a late ACK, an unknown id: ignored
    assert!(h.text("31[\"late\"]").is_empty());
    assert!(h.text("399[]").is_empty());
    // the slow one arrives in time, as a BINARY_ACK split over two messages
    assert!(h.text(&format!(r#"61-0["ok",{}]"#, ph(0))).is_empty());
    let out = h.binary(b"\x01\x02");
    let [Output::AckReceived {
        nsp, id: 0, args, ..
    }] = &out[..]
    else {
        panic!("{out:?}")
    };
    assert_eq!(nsp, &main);
    assert_eq!(args.attachments(), &[Bytes::from_static(b"\x01\x02")]);
    assert_eq!(args.args()[0].as_str(), "\"ok\"");
    // only the unbounded one is left; it has no deadline
    assert_eq!(h.conn.poll_timeout(), None);
    assert!(h.advance_to(1_000_000).is_empty());
    assert!(h.text("32[]").len() == 1);
    // a second ACK for the same id is ignored
    assert!(h.text("32[]").is_empty());
}

#[test]
fn pending_acks_die_with_their_namespace() {
    let mut h = Harness::new();
    h.join("/", "a");
    h.join("/b", "b");
    h.conn
        .emit_with_ack(
            h.now,
            "/b",
            "x",
            &Payload::empty(),
            Some(Duration::from_secs(1)),
            (),
        )
        .unwrap();
    h.drain();
    assert!(h.conn.poll_timeout().is_some());
    h.text("1/b,");
    assert_eq!(h.conn.poll_timeout(), None);
    assert!(h.advance_to(5000).is_empty());
}

#[test]
fn caller_chosen_ack_ids_for_broadcasts() {
    let mut h = Harness::new();
    h.join("/", "a");
    let shared = socketio::proto::encode_event(
        &socketio::proto::Namespace::main(),
        Some(77),
        "news",
        &Payload::empty(),
    );
    h.conn.send("/", shared.clone()).unwrap();
    h.conn
        .expect_ack(h.now, "/", 77, Some(Duration::from_secs(1)), ())
        .unwrap();
    assert_eq!(
        h.conn.expect_ack(h.now, "/", 77, None, ()),
        Err((
            ApiMisuse::DuplicateAckId {
                nsp: "/".into(),
                id: 77
            },
            ()
        ))
    );
    assert_eq!(wire(&h.drain()), vec![r#"277["news"]"#]);
    assert!(matches!(
        &h.text("377[]")[..],
        [Output::AckReceived { id: 77, .. }]
    ));
    assert_eq!(
        h.conn.send("/nope", shared),
        Err(ApiMisuse::NotConnected {
            nsp: "/nope".into()
        })
    );
}

#[test]
fn send_now_hands_a_packet_back_only_with_nothing_queued_before_it() {
    let mut h = Harness::new();
    h.join("/", "a");
    let event = |name: &str| {
        socketio::proto::encode_event(
            &socketio::proto::Namespace::main(),
            None,
            name,
            &Payload::empty(),
        )
    };
    // Nothing queued: it comes straight back, and nothing is queued.
    let back = h.conn.send_now("/", event("first")).unwrap();
    assert_eq!(
        back.map(|p| p.as_str().to_owned()),
        Some(r#"2["first"]"#.into())
    );
    assert!(h.drain().is_empty());
    // Behind a queued output it is queued too, in order.
    h.conn.send("/", event("queued")).unwrap();
    assert_eq!(h.conn.send_now("/", event("second")).unwrap(), None);
    assert_eq!(wire(&h.drain()), vec![r#"2["queued"]"#, r#"2["second"]"#]);
    // The same checks as `send`.
    assert_eq!(
        h.conn.send_now("/nope", event("x")),
        Err(ApiMisuse::NotConnected {
            nsp: "/nope".into()
        })
    );
}

#[test]
fn handle_now_hands_an_event_back_only_with_nothing_queued_before_it() {
    use socketio::proto::Input;
    let mut h = Harness::new();
    h.join("/", "a");
    // Nothing queued: the event comes straight back, and nothing is queued.
    let back = h.conn.handle_now(h.now, Input::Text(r#"21["first",1]"#));
    let back = back.unwrap();
    assert_eq!(
        (back.name.as_str(), back.ack_id, back.args.args()),
        ("first", Some(1), &[RawJson::parse("1").unwrap()][..])
    );
    assert!(h.drain().is_empty());
    // Behind a queued output it is queued too, after it.
    let main = socketio::proto::Namespace::main();
    h.conn
        .send(
            "/",
            socketio::proto::encode_ack(&main, 1, &Payload::empty()),
        )
        .unwrap();
    assert_eq!(
        h.conn.handle_now(h.now, Input::Text(r#"2["second"]"#)),
        None
    );
    let out = h.drain();
    assert!(
        matches!(&out[..], [Output::Transmit(_), Output::Event(Event { name, .. })] if name == "second"),
        "{out:?}"
    );
    // A binary event completed by its attachment comes back the same way.
    assert_eq!(
        h.conn
            .handle_now(h.now, Input::Text(&format!(r#"51-["bin",{}]"#, ph(0)))),
        None
    );
    let back = h
        .conn
        .handle_now(h.now, Input::Binary(Bytes::from_static(&[7])));
    assert_eq!(back.unwrap().args.attachments(), [Bytes::from_static(&[7])]);
    // What is not an event for the application is queued as `handle` queues it.
    assert_eq!(h.conn.handle_now(h.now, Input::Text("1")), None);
    assert!(matches!(&h.drain()[..], [Output::Disconnected { .. }]));
    // Not connected: the violation closes the connection, nothing comes back.
    assert_eq!(h.conn.handle_now(h.now, Input::Text(r#"2["late"]"#)), None);
    assert!(matches!(&h.drain()[..], [Output::Close(_)]));
}

#[test]
fn binary_event_reassembled_across_messages_and_echoed() {
    let mut h = Harness::new();
    h.join("/", "a");
    let header = format!(r#"52-["message",{},{{"nested":[{}]}}]"#, ph(0), ph(1));
    assert!(h.text(&header).is_empty());
    assert!(h.binary(&[1, 2, 3]).is_empty());
    let out = h.binary(&[4, 5, 6]);
    let [Output::Event(e)] = &out[..] else {
        panic!("{out:?}")
    };
    assert_eq!(e.name, "message");
    assert_eq!(e.args.attachments().len(), 2);
    h.conn.emit("/", "message-back", &e.args).unwrap();
    let out = h.drain();
    let [Output::Transmit(t)] = &out[..] else {
        panic!("{out:?}")
    };
    assert_eq!(
        t.as_str(),
        format!(r#"52-["message-back",{},{{"nested":[{}]}}]"#, ph(0), ph(1))
    );
    assert_eq!(
        t.attachments(),
        &[
            Bytes::from_static(&[1, 2, 3]),
            Bytes::from_static(&[4, 5, 6])
        ]
    );
    // and the connection is back to expecting text
    assert_eq!(h.text(r#"2["next"]"#).len(), 1);
}

#[test]
fn a_name_handed_back_is_written_over_by_the_next_event() {
    let mut h = Harness::new();
    h.join("/", "a");
    // The event itself, not a copy: its name's buffer is what goes back.
    let next_event = |h: &mut Harness, text: &str| {
        let mut out = h.text(text);
        match (out.pop(), out.is_empty()) {
            (Some(Output::Event(e)), true) => e,
            (last, _) => panic!("{out:?} {last:?}"),
        }
    };
    let first = next_event(&mut h, r#"2["a-long-event-name",1]"#);
    assert_eq!(first.name, "a-long-event-name");
    let buffer = first.name.as_ptr();
    h.conn.recycle_name(first.name);
    // The next name takes the buffer handed back, whole and nothing else.
    let second = next_event(&mut h, r#"2["ab",2]"#);
    assert_eq!(second.name, "ab");
    assert_eq!(second.name.as_ptr(), buffer);
    h.conn.recycle_name(second.name);
    // A name with escapes, or a number, is made as before; the spare waits for the next one.
    assert_eq!(next_event(&mut h, r#"2["c\u0064"]"#).name, "cd");
    assert_eq!(next_event(&mut h, "2[42]").name, "42");
    let third = next_event(&mut h, r#"2["longer-than-the-first-one"]"#);
    assert_eq!(third.name, "longer-than-the-first-one");
    // A buffer larger than the connection keeps is dropped, and names still come out whole.
    h.conn.recycle_name("x".repeat(1000));
    assert_eq!(next_event(&mut h, r#"2["after"]"#).name, "after");
}

#[test]
fn binary_protocol_errors_and_limits() {
    let header = format!(r#"52-["up",{},{}]"#, ph(0), ph(1));
    type Case = (
        &'static str,
        Box<dyn Fn(&mut Harness) -> Vec<Output>>,
        DecodeError,
    );
    let h2 = header.clone();
    let h3 = header.clone();
    let cases: Vec<Case> = vec![
        (
            "binary with nothing pending",
            Box::new(|h| h.binary(b"x")),
            DecodeError::UnexpectedBinary,
        ),
        (
            "text while attachments are missing",
            Box::new(move |h| {
                h.text(&h2);
                h.binary(b"x");
                h.text(r#"2["other"]"#)
            }),
            DecodeError::UnexpectedText { missing: 1 },
        ),
        (
            "attachments over the byte limit",
            Box::new(move |h| {
                h.text(&h3);
                h.binary(&[0; 600]);
                h.binary(&[0; 600])
            }),
            DecodeError::AttachmentsTooLarge { max: 1000 },
        ),
        (
            "too many attachments announced",
            Box::new(|h| {
                h.text(&format!(
                    r#"54-["up",{},{},{},{}]"#,
                    ph(0),
                    ph(1),
                    ph(2),
                    ph(3)
                ))
            }),
            DecodeError::TooManyAttachments {
                announced: 4,
                max: 3,
            },
        ),
    ];
    for (what, run, expected) in cases {
        let t0 = Instant::now();
        let config = Config {
            connect_timeout: CONNECT_TIMEOUT,
            limits: socketio::proto::Limits {
                max_attachments: 3,
                max_attachment_bytes: 1000,
                max_depth: 8,
            },
            ..Config::default()
        };
        let mut h = Harness {
            t0,
            now: t0,
            conn: Connection::new(t0, config),
        };
        h.join("/", "a");
        let out = run(&mut h);
        assert_eq!(
            closed_by(&out),
            &CloseReason::PeerMisbehaved(PeerMisbehaved::Malformed(expected)),
            "{what}"
        );
    }
}

#[test]
fn api_misuse_is_refused_without_harm() {
    let mut h = Harness::new();
    assert_eq!(
        h.conn.accept("/", "x"),
        Err(ApiMisuse::NotConnecting { nsp: "/".into() })
    );
    assert_eq!(
        h.conn.reject("/", RawJson::empty_object()),
        Err(ApiMisuse::NotConnecting { nsp: "/".into() })
    );
    h.join("/", "a");
    assert_eq!(
        h.conn.accept("/", "again"),
        Err(ApiMisuse::NotConnecting { nsp: "/".into() })
    );
    for reserved in ["connect", "disconnect", "newListener"] {
        assert_eq!(
            h.conn.emit("/", reserved, &Payload::empty()),
            Err(ApiMisuse::ReservedEventName(reserved.into()))
        );
    }
    assert!(h.drain().is_empty());
    assert!(!h.conn.is_closed());
    // an sid that needs escaping is escaped
    h.text("0/q,");
    h.conn.accept("/q", "a\"b").unwrap();
    assert_eq!(wire(&h.drain()), vec![r#"0/q,{"sid":"a\"b"}"#]);
    // errors name the fault
    assert!(ApiMisuse::ConnectionClosed
        .to_string()
        .starts_with("API misuse"));
}

#[test]
fn huge_timeouts_do_not_overflow_the_clock() {
    let t0 = Instant::now();
    let mut conn = Connection::new(
        t0,
        Config {
            connect_timeout: Duration::MAX,
            ..Config::default()
        },
    );
    assert_eq!(conn.poll_timeout(), None);
    conn.handle_text(t0, "0");
    conn.accept("/", "a").unwrap();
    conn.emit_with_ack(t0, "/", "x", &Payload::empty(), Some(Duration::MAX), ())
        .unwrap();
    assert_eq!(conn.poll_timeout(), None);
}

/// The runtime keeps nothing of its own for an acknowledgement: the waiter it gives with the emit
/// comes back with that acknowledgement's answer or timeout, and is dropped with its namespace.
#[test]
fn waiters_come_back_with_their_ack_and_die_with_their_namespace() {
    use std::rc::Rc;
    let t0 = Instant::now();
    let mut conn: Connection<Rc<&'static str>> = Connection::with_auth(
        t0,
        Config::default(),
        Default::default(),
        Default::default(),
        Duration::ZERO,
    );
    conn.handle_text(t0, "0");
    conn.accept("/", "a").unwrap();
    conn.handle_text(t0, "0/b,");
    conn.accept("/b", "b").unwrap();
    while conn.poll_output().is_some() {}
    let (first, late, orphan) = (Rc::new("first"), Rc::new("late"), Rc::new("orphan"));
    let empty = Payload::empty();
    let second = Some(Duration::from_secs(1));
    assert_eq!(
        conn.emit_with_ack(t0, "/", "q", &empty, None, first.clone()),
        Ok(0)
    );
    assert_eq!(
        conn.emit_with_ack(t0, "/", "q", &empty, second, late.clone()),
        Ok(1)
    );
    assert_eq!(
        conn.emit_with_ack(t0, "/b", "q", &empty, None, orphan.clone()),
        Ok(0)
    );
    // A refused emit gives its waiter back, with the reason.
    let refused = conn.emit_with_ack(t0, "/", "connect", &empty, None, Rc::new("x"));
    assert!(matches!(refused, Err((ApiMisuse::ReservedEventName(_), w)) if *w == "x"));
    while conn.poll_output().is_some() {}
    conn.handle_text(t0, "30[]");
    let Some(Output::AckReceived { id: 0, waiter, .. }) = conn.poll_output() else {
        panic!("no ACK");
    };
    assert!(Rc::ptr_eq(&waiter, &first));
    conn.handle_timeout(t0 + Duration::from_secs(1));
    let Some(Output::AckTimedOut { id: 1, waiter, .. }) = conn.poll_output() else {
        panic!("no timeout");
    };
    assert!(Rc::ptr_eq(&waiter, &late));
    assert_eq!(Rc::strong_count(&orphan), 2);
    conn.handle_text(t0, "1/b,");
    assert_eq!(Rc::strong_count(&orphan), 1, "left with its namespace");
}
