//! Echo with acknowledgements over WebSocket: every client keeps `in_flight` `echo` events
//! asking for an ack outstanding, and sends the next as soon as one is answered (new events of
//! one read batch go out in one write).
//!
//! Against the raw WebSocket echo (`raw`), the same frames are sent without the Engine.IO and
//! Socket.IO handshakes, and the echoed frame stands for the ack. `wire` says which parser's
//! frames (text, or one binary frame per packet for MessagePack).

use super::{bounded, measure_clients, ClientReport, Measurement, Phase, Plan, Target, MEASURE};
use super::{STOP, WARMUP};
use crate::sio::{self, Wire};
use crate::ws::{Frame, WsClient};
use std::io;
use std::time::{Duration, Instant};

/// The argument of every `echo` (a short JSON string, as a chat message would be).
pub const ARG: &str = "\"bench payload 0123456789abcdef\"";

/// The same argument as a MessagePack string's text.
pub const MSGPACK_ARG: &str = "bench payload 0123456789abcdef";

/// Runs the echo workload.
pub async fn run(
    target: Target,
    plan: &Plan,
    in_flight: usize,
    raw: bool,
    wire: Wire,
) -> io::Result<Measurement> {
    let clients = connect(target, plan, raw, wire).await?;
    let phase = Phase::default();
    let tasks = clients
        .into_iter()
        .map(|ws| tokio::spawn(client(ws, in_flight.max(1), phase.clone(), wire)))
        .collect();
    Ok(measure_clients(target, plan, &phase, tasks, Duration::from_secs(2)).await)
}

/// Connects the plan's echo clients (`plan.connectors` at a time): WebSockets to the raw echo, or
/// Socket.IO clients of the main namespace.
pub(super) async fn connect(
    target: Target,
    plan: &Plan,
    raw: bool,
    wire: Wire,
) -> io::Result<Vec<WsClient>> {
    let addr = target.addr;
    bounded(plan.clients, plan.connectors, move |_| async move {
        if raw {
            WsClient::connect(addr, "/").await
        } else {
            sio::connect_with(addr, None, wire).await
        }
    })
    .await
    .into_iter()
    .collect()
}

async fn client(mut ws: WsClient, in_flight: usize, phase: Phase, wire: Wire) -> ClientReport {
    let mut report = ClientReport::default();
    let mut pending: Vec<(u64, Instant)> = Vec::with_capacity(in_flight);
    let mut next_id = 0u64;
    let mut frame = Vec::with_capacity(64);
    let mut send = |ws: &mut WsClient, pending: &mut Vec<(u64, Instant)>| {
        queue_echo(ws, wire, &mut frame, next_id, pending);
        next_id += 1;
    };
    for _ in 0..in_flight {
        send(&mut ws, &mut pending);
    }
    loop {
        if !ws.has_frame() && ws.flush().await.is_err() {
            report.errors += 1;
            return report;
        }
        let next = ws.next().await;
        match on_read(&mut ws, next, wire, &mut pending, &phase, &mut report) {
            Read::Acked => send(&mut ws, &mut pending),
            Read::Other => {}
            Read::End => return report,
        }
    }
}

/// Queues the `echo` event `id` (asking for an acknowledgement), built in `frame`, and records
/// it as pending from now.
pub(super) fn queue_echo(
    ws: &mut WsClient,
    wire: Wire,
    frame: &mut Vec<u8>,
    id: u64,
    pending: &mut Vec<(u64, Instant)>,
) {
    frame.clear();
    let arg = if wire == Wire::MsgPack {
        MSGPACK_ARG
    } else {
        ARG
    };
    wire.event(frame, Some(id), "echo", arg);
    wire.queue(ws, frame);
    pending.push((id, Instant::now()));
}

/// What a frame read by an echo client came to.
pub(super) enum Read {
    /// The acknowledgement of one of its pending events (counted when in the window).
    Acked,
    /// Anything else (a ping, answered; a frame for no pending event).
    Other,
    /// The client is done: the server closed (an error unless the run has stopped), or the
    /// window ended.
    End,
}

/// Handles what [`WsClient::next`] returned to an echo client: answers a ping, and matches an
/// acknowledgement to its pending event, recording its latency in the window.
pub(super) fn on_read(
    ws: &mut WsClient,
    next: io::Result<Option<Frame>>,
    wire: Wire,
    pending: &mut Vec<(u64, Instant)>,
    phase: &Phase,
    report: &mut ClientReport,
) -> Read {
    let frame = match next {
        Ok(Some(frame)) => frame,
        Ok(None) | Err(_) => {
            if phase.get() != STOP {
                report.errors += 1;
            }
            return Read::End;
        }
    };
    let payload = ws.payload(&frame);
    if !wire.carries(&frame) {
        if payload == b"2" {
            ws.queue_text(b"3");
        }
        return Read::Other;
    }
    let Some(id) = wire.ack_id(payload) else {
        return Read::Other;
    };
    let Some(at) = pending.iter().position(|(i, _)| *i == id) else {
        return Read::Other;
    };
    let (_, sent) = pending.swap_remove(at);
    match phase.get() {
        WARMUP => Read::Acked,
        MEASURE => {
            report.ops += 1;
            report.latencies.record(sent.elapsed().as_nanos() as u64);
            Read::Acked
        }
        _ => Read::End,
    }
}
