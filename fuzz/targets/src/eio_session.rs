//! `eio_session`: an Engine.IO [`Session`] driven through arbitrary sequences of requests,
//! WebSocket frames, application commands and clock ticks, checked after every step.
//!
//! Input: a [`Setup`] (transport, limits and timers), then [`Op`]s until the bytes run out.
//! Request and WebSocket ids are unique, as the runtime makes them: a new GET, POST or WebSocket
//! takes a fresh id, and the other inputs name one of those (or one the session never saw). As in
//! the runtime, each POST ends with exactly one body, size error or abort.
//!
//! Invariants, checked after each step once every output is drained:
//!
//! - never two parked GETs: at most one GET is unanswered, and it is the one
//!   [`Session::has_parked_get`] reports; once the session is closed, no GET is left unanswered;
//! - every GET gets at most one reply (a POST may get a second only after its head was refused:
//!   the runtime still reads the body, then drops the second answer), and every reply body is a
//!   valid polling payload;
//! - `buffered() <= max_buffered_packets + 2`: messages are refused once the outbox holds
//!   `max_buffered_packets` packets, and the session itself adds at most one ping (the next is
//!   only scheduled by a pong) and one close packet; a noop is only queued into an empty outbox;
//! - the send budget: a message is admitted exactly when the budget's rule
//!   ([`engineio::proto::budget::admits`]) and the packet bound allow it, and the session's own
//!   bytes ([`Session::buffered_bytes`]) never pass the budget (`max_buffered_bytes`, 1 KiB here)
//!   or the largest message, whichever is more (one message alone always goes);
//! - exactly one `Event::Closed`, carrying the reason [`Session::close_reason`] reports; no
//!   message or upgrade event after it; the session is closed exactly when it has been sent;
//! - `poll_timeout()` is `None` only when closed, and after `handle_timeout(now)` it lies after
//!   `now` (the runtime never spins);
//! - frames go only to WebSockets the session was given, and text frames are valid packets;
//! - nothing panics.

use crate::reader::{Reader, Writer};
use bytes::Bytes;
use engineio::proto::websocket_frame::WsFault;
use engineio::proto::{
    budget, payload, CloseReason, Config, Data, Event, Input, Output, Packet, PollReply, RequestId,
    SendError, Session, Text, Transport, WsFrame, WsId,
};
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

/// How the session starts and what limits it has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Setup {
    /// Opened by a WebSocket handshake (else by a polling one).
    pub websocket: bool,
    /// `max_buffered_packets - 1` (0..=7).
    pub buffered: u8,
    /// `ping_interval` in ms, minus 1.
    pub ping_interval: u8,
    /// `ping_timeout` in ms, minus 1.
    pub ping_timeout: u8,
    /// `upgrade_timeout` in ms, minus 1.
    pub upgrade_timeout: u8,
    /// `max_payload` in bytes, minus 1.
    pub max_payload: u8,
}

impl Setup {
    fn read(r: &mut Reader<'_>) -> Self {
        Self {
            websocket: r.bool(),
            buffered: r.u8() % 8,
            ping_interval: r.u8(),
            ping_timeout: r.u8(),
            upgrade_timeout: r.u8(),
            max_payload: r.u8(),
        }
    }

    fn write(&self, w: Writer) -> Writer {
        w.u8(u8::from(self.websocket))
            .u8(self.buffered)
            .u8(self.ping_interval)
            .u8(self.ping_timeout)
            .u8(self.upgrade_timeout)
            .u8(self.max_payload)
    }

    fn config(&self) -> Config {
        let ms = |v: u8| Duration::from_millis(1 + u64::from(v));
        Config {
            ping_interval: ms(self.ping_interval),
            ping_timeout: ms(self.ping_timeout),
            upgrade_timeout: ms(self.upgrade_timeout),
            max_payload: 1 + usize::from(self.max_payload),
            max_buffered_packets: 1 + usize::from(self.buffered),
            max_buffered_bytes: BUDGET,
            send_buffer_grace: Duration::from_millis(100),
            ..Config::default()
        }
    }
}

/// The send budget of every fuzzed session: small, so that inputs reach it.
const BUDGET: usize = 1024;

/// One step. `pick` fields choose among the ids issued so far; a value past the end means an id
/// the session has never seen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    /// A new long-poll GET.
    PollGet,
    /// A new POST's head.
    PostStarted,
    /// The body of a POST.
    PostBody {
        /// Which POST.
        pick: u8,
        /// The body.
        body: Vec<u8>,
    },
    /// A POST over `maxPayload`.
    PostTooLarge {
        /// Which POST.
        pick: u8,
    },
    /// A GET or POST whose connection closed.
    RequestAborted {
        /// Which request (GETs and POSTs together).
        pick: u8,
    },
    /// A new WebSocket for the session.
    WsOpened,
    /// A text frame.
    WsText {
        /// Which WebSocket.
        pick: u8,
        /// The frame.
        text: Vec<u8>,
    },
    /// A binary frame.
    WsBinary {
        /// Which WebSocket.
        pick: u8,
        /// The frame.
        bytes: Vec<u8>,
    },
    /// A WebSocket closed (`error`: it failed).
    WsClosed {
        /// Which WebSocket.
        pick: u8,
        /// Whether it failed.
        error: bool,
    },
    /// A new POST whose body came with its head (one input).
    Post {
        /// The body.
        body: Vec<u8>,
    },
    /// The client broke the WebSocket protocol on a WebSocket.
    WsFault {
        /// Which WebSocket.
        pick: u8,
        /// Which fault (modulo 3).
        fault: u8,
    },
    /// The runtime wrote everything sent on a WebSocket.
    WsWritten {
        /// Which WebSocket.
        pick: u8,
    },
    /// The runtime reports what its command queue holds (bytes, scaled) and whether it refused.
    Backlog {
        /// Bytes / 8.
        eighths: u8,
        /// Whether a send was refused.
        refused: bool,
    },
    /// The application sends a text message (invalid UTF-8 replaced).
    SendText(Vec<u8>),
    /// The application sends a binary message.
    SendBinary(Vec<u8>),
    /// The application closes the session.
    Close,
    /// Time passes, then `handle_timeout`.
    Advance {
        /// Milliseconds.
        ms: u16,
    },
    /// The clock jumps to `poll_timeout()`, then `handle_timeout`.
    Fire,
}

const OPS: u8 = 18;

impl Op {
    fn read(r: &mut Reader<'_>) -> Self {
        match r.u8() % OPS {
            0 => Op::PollGet,
            1 => Op::PostStarted,
            2 => Op::PostBody {
                pick: r.u8(),
                body: r.bytes().to_vec(),
            },
            3 => Op::PostTooLarge { pick: r.u8() },
            4 => Op::RequestAborted { pick: r.u8() },
            5 => Op::WsOpened,
            6 => Op::WsText {
                pick: r.u8(),
                text: r.bytes().to_vec(),
            },
            7 => Op::WsBinary {
                pick: r.u8(),
                bytes: r.bytes().to_vec(),
            },
            8 => Op::WsClosed {
                pick: r.u8(),
                error: r.bool(),
            },
            9 => Op::SendText(r.bytes().to_vec()),
            10 => Op::SendBinary(r.bytes().to_vec()),
            11 => Op::Close,
            12 => Op::Advance { ms: r.u16() },
            13 => Op::Fire,
            14 => Op::WsFault {
                pick: r.u8(),
                fault: r.u8(),
            },
            15 => Op::WsWritten { pick: r.u8() },
            17 => Op::Post {
                body: r.bytes().to_vec(),
            },
            _ => Op::Backlog {
                eighths: r.u8(),
                refused: r.bool(),
            },
        }
    }

    fn write(&self, w: Writer) -> Writer {
        match self {
            Op::PollGet => w.u8(0),
            Op::PostStarted => w.u8(1),
            Op::PostBody { pick, body } => w.u8(2).u8(*pick).bytes(body),
            Op::PostTooLarge { pick } => w.u8(3).u8(*pick),
            Op::RequestAborted { pick } => w.u8(4).u8(*pick),
            Op::WsOpened => w.u8(5),
            Op::WsText { pick, text } => w.u8(6).u8(*pick).bytes(text),
            Op::WsBinary { pick, bytes } => w.u8(7).u8(*pick).bytes(bytes),
            Op::WsClosed { pick, error } => w.u8(8).u8(*pick).u8(u8::from(*error)),
            Op::SendText(t) => w.u8(9).bytes(t),
            Op::SendBinary(b) => w.u8(10).bytes(b),
            Op::Close => w.u8(11),
            Op::Advance { ms } => w.u8(12).u16(*ms),
            Op::Fire => w.u8(13),
            Op::WsFault { pick, fault } => w.u8(14).u8(*pick).u8(*fault),
            Op::WsWritten { pick } => w.u8(15).u8(*pick),
            Op::Backlog { eighths, refused } => w.u8(16).u8(*eighths).u8(u8::from(*refused)),
            Op::Post { body } => w.u8(17).bytes(body),
        }
    }
}

/// Encodes a program (for seed corpora).
pub fn encode(setup: &Setup, ops: &[Op]) -> Vec<u8> {
    let w = setup.write(Writer::new());
    ops.iter().fold(w, |w, op| op.write(w)).finish()
}

/// What the harness knows independently of the session.
struct Model {
    next_id: u64,
    gets: Vec<RequestId>,
    posts: Vec<RequestId>,
    /// POSTs whose head arrived and whose body, size error or abort has not.
    open_posts: Vec<RequestId>,
    wss: Vec<WsId>,
    unanswered_gets: BTreeSet<RequestId>,
    /// Requests answered, and whether the answer was a refusal.
    replied: BTreeMap<RequestId, bool>,
    closed: Option<CloseReason>,
    upgraded: bool,
    app_closed: bool,
    max_buffered: usize,
    /// What the runtime's queue holds, as last reported.
    elsewhere: usize,
    /// The largest message weight admitted.
    largest: usize,
}

impl Model {
    fn fresh(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// Ends one of the open POSTs (the runtime sends exactly one body, size error or abort per
    /// POST), or picks an id nobody issued.
    fn finish_post(&mut self, pick: u8) -> RequestId {
        let open = self.open_posts.clone();
        let id = self.pick(pick, &open);
        self.open_posts.retain(|&p| p != id);
        id
    }

    /// One of `ids`, or (past the end) an id nobody issued.
    fn pick(&mut self, pick: u8, ids: &[u64]) -> u64 {
        match ids.get(usize::from(pick) % (ids.len() + 1)) {
            Some(&id) => id,
            None => self.fresh(),
        }
    }
}

/// Runs one input.
pub fn run(data: &[u8]) {
    let mut r = Reader::new(data);
    let setup = Setup::read(&mut r);
    let config = setup.config();
    let mut now = Instant::now();
    let mut model = Model {
        next_id: 0,
        gets: vec![0],
        posts: Vec::new(),
        open_posts: Vec::new(),
        wss: Vec::new(),
        unanswered_gets: BTreeSet::new(),
        replied: BTreeMap::new(),
        closed: None,
        upgraded: false,
        app_closed: false,
        max_buffered: config.max_buffered_packets,
        elsewhere: 0,
        largest: 0,
    };
    let mut session = if setup.websocket {
        model.gets.clear();
        model.wss.push(0);
        Session::new_websocket(now, "sid".into(), config, 0)
    } else {
        model.unanswered_gets.insert(0);
        Session::new_polling(now, "sid".into(), config, 0)
    };
    drain(&mut session, &mut model);

    while !r.is_empty() {
        let op = Op::read(&mut r);
        step(&mut session, &mut model, &mut now, op);
        drain(&mut session, &mut model);
    }
}

fn step(session: &mut Session, model: &mut Model, now: &mut Instant, op: Op) {
    let input = match op {
        Op::PollGet => {
            let id = model.fresh();
            model.gets.push(id);
            model.unanswered_gets.insert(id);
            Input::PollGet(id)
        }
        Op::PostStarted => {
            let id = model.fresh();
            model.posts.push(id);
            model.open_posts.push(id);
            Input::PostStarted(id)
        }
        Op::PostBody { pick, body } => Input::PostBody(model.finish_post(pick), Bytes::from(body)),
        Op::Post { body } => {
            let id = model.fresh();
            model.posts.push(id);
            Input::Post(id, Bytes::from(body))
        }
        Op::PostTooLarge { pick } => Input::PostTooLarge(model.finish_post(pick)),
        Op::RequestAborted { pick } => {
            let all: Vec<u64> = model
                .gets
                .iter()
                .chain(&model.open_posts)
                .copied()
                .collect();
            let id = model.pick(pick, &all);
            model.open_posts.retain(|&p| p != id);
            // An aborted request cannot be answered any more.
            model.unanswered_gets.remove(&id);
            Input::RequestAborted(id)
        }
        Op::WsOpened => {
            let id = model.fresh();
            model.wss.push(id);
            Input::WsOpened(id)
        }
        Op::WsText { pick, text } => {
            let wss = model.wss.clone();
            let ws = model.pick(pick, &wss);
            // The runtime's WebSocket reader refuses a text frame that is not UTF-8 (1007).
            match Text::from_utf8(Bytes::from(text)) {
                Ok(text) => Input::WsFrame(ws, WsFrame::Text(text)),
                Err(_) => Input::WsFault {
                    ws,
                    fault: WsFault::InvalidUtf8,
                },
            }
        }
        Op::WsBinary { pick, bytes } => {
            let wss = model.wss.clone();
            Input::WsFrame(model.pick(pick, &wss), WsFrame::Binary(Bytes::from(bytes)))
        }
        Op::WsClosed { pick, error } => {
            let wss = model.wss.clone();
            Input::WsClosed {
                ws: model.pick(pick, &wss),
                error,
            }
        }
        Op::WsFault { pick, fault } => {
            let wss = model.wss.clone();
            let fault = [
                WsFault::Protocol,
                WsFault::InvalidUtf8,
                WsFault::MessageTooBig,
            ][usize::from(fault % 3)];
            Input::WsFault {
                ws: model.pick(pick, &wss),
                fault,
            }
        }
        Op::WsWritten { pick } => {
            let wss = model.wss.clone();
            Input::WsWritten(model.pick(pick, &wss))
        }
        Op::Backlog { eighths, refused } => {
            model.elsewhere = usize::from(eighths) * 8;
            return session.set_queued_elsewhere(*now, model.elsewhere, refused);
        }
        Op::SendText(text) => {
            let text = Text::from(String::from_utf8_lossy(&text).into_owned());
            return send(session, model, Data::Text(text));
        }
        Op::SendBinary(bytes) => {
            return send(session, model, Data::Binary(Bytes::from(bytes)));
        }
        Op::Close => {
            model.app_closed = true;
            return session.close(*now);
        }
        Op::Advance { ms } => {
            *now += Duration::from_millis(u64::from(ms));
            return tick(session, *now);
        }
        Op::Fire => {
            if let Some(deadline) = session.poll_timeout() {
                *now = (*now).max(deadline);
            }
            return tick(session, *now);
        }
    };
    session.handle(*now, input);
}

fn send(session: &mut Session, model: &mut Model, data: Data) {
    let before = session.buffered();
    let weight = budget::weight(&data);
    let fits = budget::admits(session.buffered_bytes() + model.elsewhere, weight, BUDGET);
    // The record separator only matters while payloads may still be framed: a session on a
    // WebSocket for good (`transport()` says so only then) takes any text.
    let framable = match &data {
        Data::Text(text) => {
            !text.as_bytes().contains(&0x1e) || session.transport() == Some(Transport::WebSocket)
        }
        Data::Binary(_) => true,
    };
    match session.send(data) {
        Ok(()) => {
            assert!(
                framable && before < model.max_buffered && fits,
                "a message was queued behind {before} packets (max {}), fitting the budget: {fits}",
                model.max_buffered
            );
            model.largest = model.largest.max(weight);
        }
        Err(SendError::Full) => assert!(
            before >= model.max_buffered || !fits,
            "send refused as full with {before} of {} packets buffered, fitting the budget",
            model.max_buffered
        ),
        Err(SendError::Closed) => assert!(
            session.is_closed() || model.app_closed,
            "send refused as closed by a session that is neither closed nor closing"
        ),
        // Text with the record separator cannot be framed in a polling payload: refused, never
        // queued (it would split into other packets on the client).
        Err(SendError::RecordSeparator) => assert!(!framable, "framable text refused"),
        Err(e) => panic!("unexpected send error {e:?}"),
    }
}

fn tick(session: &mut Session, now: Instant) {
    session.handle_timeout(now);
    if let Some(next) = session.poll_timeout() {
        assert!(
            next > now,
            "after handle_timeout({now:?}) the next deadline {next:?} is due"
        );
    }
}

fn drain(session: &mut Session, model: &mut Model) {
    while let Some(output) = session.poll_output() {
        match output {
            Output::Reply { request, reply } => {
                let refused = matches!(reply, PollReply::Error(_));
                match model.replied.insert(request, refused) {
                    None => {}
                    // The runtime reads the body of a POST whose head the session refused, and
                    // drops the second answer.
                    Some(true) if model.posts.contains(&request) => {}
                    Some(_) => panic!("request {request} answered twice"),
                }
                model.unanswered_gets.remove(&request);
                if let PollReply::Payload(body) = reply {
                    if let Err(e) = payload::decode(body.clone(), usize::MAX) {
                        panic!("reply body {body:?} is not a payload: {e}");
                    }
                }
            }
            Output::WsSend { ws, frame } => {
                assert!(model.wss.contains(&ws), "frame for unknown WebSocket {ws}");
                if let WsFrame::Text(text) = frame {
                    if let Err(e) = Packet::decode_text(text.as_bytes().clone()) {
                        panic!("text frame {text:?} is not a packet: {e}");
                    }
                }
            }
            Output::WsClose { .. } => {}
            Output::Event(event) => {
                if let Some(reason) = model.closed {
                    panic!("{event:?} after Closed({reason:?})");
                }
                match event {
                    Event::Message(_) => {}
                    Event::Upgraded => {
                        assert!(!model.upgraded, "upgraded twice");
                        model.upgraded = true;
                    }
                    Event::Closed(reason) => {
                        assert_eq!(session.close_reason(), Some(reason), "Closed reason");
                        model.closed = Some(reason);
                    }
                }
            }
        }
    }
    check(session, model);
}

fn check(session: &Session, model: &Model) {
    assert!(
        model.unanswered_gets.len() <= 1,
        "two parked GETs: {:?}",
        model.unanswered_gets
    );
    assert_eq!(
        session.has_parked_get(),
        !model.unanswered_gets.is_empty(),
        "the session's parked GET and the unanswered GETs {:?} disagree",
        model.unanswered_gets
    );
    assert!(
        session.buffered_bytes() <= BUDGET.max(model.largest),
        "{} bytes buffered, budget {BUDGET}, largest message {}",
        session.buffered_bytes(),
        model.largest
    );
    let bound = model.max_buffered + 2;
    assert!(
        session.buffered() <= bound,
        "{} packets buffered, bound {bound}",
        session.buffered()
    );
    assert_eq!(
        session.is_closed(),
        model.closed.is_some(),
        "closed without a Closed event, or the reverse"
    );
    if session.is_closed() {
        assert!(
            model.unanswered_gets.is_empty(),
            "a GET left hanging at close"
        );
    }
    if session.is_finished() {
        assert_eq!(
            session.poll_timeout(),
            None,
            "a closed session has a deadline"
        );
        assert_eq!(
            session.transport(),
            None,
            "a closed session has a transport"
        );
    } else {
        assert!(
            session.poll_timeout().is_some(),
            "an open session has no deadline"
        );
    }
}
