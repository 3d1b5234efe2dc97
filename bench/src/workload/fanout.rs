//! Broadcast fan-out: `receivers` clients join room `bench` (with an acknowledged `join`), one
//! more client emits `bcast` with its send time inside the argument, and the server broadcasts
//! it to the room. The emitter keeps at most [`WINDOW`] broadcasts undelivered; paced (`fanout-paced`)
//! it instead emits at a fixed rate whatever the deliveries, on a 1 ms tick, and a broadcast due
//! while [`PACED_BEHIND`] are undelivered is not sent and counts as an error. An operation is one
//! delivery; its latency runs from the emit to the receiver's read. `wire` says which parser's
//! frames every client speaks.

use super::{bounded, collect, window, ClientReport, Measurement, Phase, Plan, Target};
use super::{MEASURE, STOP};
use crate::sio::{self, Wire};
use crate::ws::WsClient;
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// Broadcasts the emitter may have sent beyond those fully delivered.
pub const WINDOW: u64 = 4;

/// Paced: broadcasts undelivered before the next due one is counted as not carried.
pub const PACED_BEHIND: u64 = 64;

struct Shared {
    base: Instant,
    delivered: AtomicU64,
    /// Deliveries the emitter waits for.
    wanted: AtomicU64,
    wake: Notify,
}

/// Runs the fan-out workload; with `paced`, the emitter offers [`Plan::rate`] deliveries per
/// second (that divided by the receivers in broadcasts) instead of keeping [`WINDOW`] in flight.
pub async fn run(target: Target, plan: &Plan, wire: Wire, paced: bool) -> io::Result<Measurement> {
    let addr = target.addr;
    let receivers = bounded(plan.receivers, plan.connectors, move |_| async move {
        let mut ws = sio::connect_with(addr, None, wire).await?;
        let mut join = Vec::new();
        let room = if wire == Wire::MsgPack {
            "bench"
        } else {
            "\"bench\""
        };
        wire.event(&mut join, Some(0), "join", room);
        wire.queue(&mut ws, &join);
        ws.flush().await?;
        loop {
            let Some(frame) = ws.next().await? else {
                return Err(io::Error::other("closed before the join ack"));
            };
            let payload = ws.payload(&frame);
            let acked = match wire {
                Wire::Json => payload.starts_with(b"430"),
                Wire::MsgPack => {
                    wire.carries(&frame)
                        && crate::sio_msgpack::type_and_id(payload) == Some((3, Some(0)))
                }
            };
            if acked {
                return Ok(ws);
            }
        }
    })
    .await
    .into_iter()
    .collect::<io::Result<Vec<_>>>()?;
    let emitter = sio::connect_with(addr, None, wire).await?;
    let shared = Arc::new(Shared {
        base: Instant::now(),
        delivered: AtomicU64::new(0),
        wanted: AtomicU64::new(u64::MAX),
        wake: Notify::new(),
    });
    let phase = Phase::default();
    let count = receivers.len() as u64;
    let (stop_tx, stop) = tokio::sync::watch::channel(false);
    let tasks = receivers
        .into_iter()
        .map(|ws| {
            let receiver = receiver(ws, shared.clone(), phase.clone(), stop.clone(), wire);
            tokio::spawn(receiver)
        })
        .collect();
    let per_second = paced.then(|| plan.rate as f64 / count.max(1) as f64);
    let emit = tokio::spawn(emit(
        emitter,
        count,
        shared.clone(),
        phase.clone(),
        wire,
        per_second,
    ));
    let (elapsed, cpu) = window(target, &phase, plan).await;
    // Unblock an emitter waiting for deliveries that will not come, and receivers waiting for
    // broadcasts that will not be sent.
    let _ = stop_tx.send(true);
    shared.wanted.store(0, Ordering::Relaxed);
    shared.wake.notify_one();
    let total = collect(tasks, Duration::from_millis(500)).await;
    let not_sent = match tokio::time::timeout(Duration::from_secs(1), emit).await {
        Ok(Ok(Ok(skipped))) => skipped,
        _ => 1,
    };
    Ok(Measurement {
        ops: total.ops,
        elapsed,
        cpu,
        latencies: total.latencies,
        errors: total.errors + not_sent,
        rss_per_conn_kib: None,
    })
}

/// Emits until the phase is [`STOP`]: [`WINDOW`] in flight, or `per_second` broadcasts a second.
/// Returns the paced broadcasts that were due but not sent (the server fell behind).
async fn emit(
    mut ws: WsClient,
    receivers: u64,
    shared: Arc<Shared>,
    phase: Phase,
    wire: Wire,
    per_second: Option<f64>,
) -> io::Result<u64> {
    let mut frame = Vec::with_capacity(64);
    let mut arg = Vec::with_capacity(32);
    let mut sent = 0u64;
    let mut skipped = 0u64;
    let mut tick = tokio::time::interval(Duration::from_millis(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let start = tokio::time::Instant::now();
    while phase.get() != STOP {
        // How many broadcasts to send now.
        let count = if let Some(per_second) = per_second {
            let now = tick.tick().await;
            let due = ((now - start).as_secs_f64() * per_second) as u64;
            let delivered = shared.delivered.load(Ordering::Relaxed) / receivers.max(1);
            let room = PACED_BEHIND.saturating_sub(sent.saturating_sub(delivered));
            let owed = due.saturating_sub(sent + skipped);
            skipped += owed.saturating_sub(room);
            owed.min(room)
        } else {
            if sent >= WINDOW {
                let need = (sent - WINDOW + 1) * receivers;
                shared.wanted.store(need, Ordering::Relaxed);
                loop {
                    let notified = shared.wake.notified();
                    if shared.delivered.load(Ordering::Relaxed) >= need
                        || shared.wanted.load(Ordering::Relaxed) == 0
                    {
                        break;
                    }
                    notified.await;
                }
                if phase.get() == STOP {
                    break;
                }
            }
            1
        };
        for _ in 0..count {
            frame.clear();
            let now = shared.base.elapsed().as_nanos() as u64;
            match wire {
                Wire::Json => {
                    frame.extend_from_slice(b"42[\"bcast\",\"t:");
                    sio::push_u64(&mut frame, now);
                    frame.extend_from_slice(b"|\"]");
                }
                Wire::MsgPack => {
                    arg.clear();
                    arg.extend_from_slice(b"t:");
                    sio::push_u64(&mut arg, now);
                    arg.push(b'|');
                    let arg = std::str::from_utf8(&arg).unwrap_or_default();
                    wire.event(&mut frame, None, "bcast", arg);
                }
            }
            wire.queue(&mut ws, &frame);
            sent += 1;
        }
        ws.flush().await?;
    }
    Ok(skipped)
}

async fn receiver(
    mut ws: WsClient,
    shared: Arc<Shared>,
    phase: Phase,
    mut stop: tokio::sync::watch::Receiver<bool>,
    wire: Wire,
) -> ClientReport {
    let mut report = ClientReport::default();
    let mut batch = 0u64;
    loop {
        if !ws.has_frame() {
            if batch > 0 {
                let total = shared.delivered.fetch_add(batch, Ordering::Relaxed) + batch;
                if total >= shared.wanted.load(Ordering::Relaxed) {
                    shared.wake.notify_one();
                }
                batch = 0;
            }
            if ws.has_queued() && ws.flush().await.is_err() {
                report.errors += 1;
                return report;
            }
        }
        // `next` only changes the client after a read completed, so it may be cancelled.
        let next = tokio::select! {
            biased;
            next = ws.next() => next,
            _ = stop.changed() => return report,
        };
        let frame = match next {
            Ok(Some(frame)) => frame,
            Ok(None) | Err(_) => {
                if phase.get() != STOP {
                    report.errors += 1;
                }
                return report;
            }
        };
        let payload = ws.payload(&frame);
        if !wire.carries(&frame) {
            if payload == b"2" {
                ws.queue_text(b"3");
            }
            continue;
        }
        let Some(sent_ns) = sio::number_after(payload, b"t:") else {
            continue;
        };
        batch += 1;
        match phase.get() {
            MEASURE => {
                report.ops += 1;
                let now = shared.base.elapsed().as_nanos() as u64;
                report.latencies.record(now.saturating_sub(sent_ns));
            }
            STOP => return report,
            _ => {}
        }
    }
}
