//! Broadcast fan-out: `receivers` clients join room `bench` (with an acknowledged `join`), one
//! more client emits `bcast` with its send time inside the argument, and the server broadcasts
//! it to the room. The emitter keeps at most [`WINDOW`] broadcasts undelivered. An operation is
//! one delivery; its latency runs from the emit to the receiver's read.

use super::{bounded, collect, window, ClientReport, Measurement, Phase, Plan, Target};
use super::{MEASURE, STOP};
use crate::sio;
use crate::ws::{WsClient, TEXT};
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// Broadcasts the emitter may have sent beyond those fully delivered.
pub const WINDOW: u64 = 4;

struct Shared {
    base: Instant,
    delivered: AtomicU64,
    /// Deliveries the emitter waits for.
    wanted: AtomicU64,
    wake: Notify,
}

/// Runs the fan-out workload.
pub async fn run(target: Target, plan: &Plan) -> io::Result<Measurement> {
    let addr = target.addr;
    let receivers = bounded(plan.receivers, plan.connectors, move |_| async move {
        let mut ws = sio::connect(addr, None).await?;
        ws.queue_text(b"420[\"join\",\"bench\"]");
        ws.flush().await?;
        loop {
            let Some(frame) = ws.next().await? else {
                return Err(io::Error::other("closed before the join ack"));
            };
            if ws.payload(&frame).starts_with(b"430") {
                return Ok(ws);
            }
        }
    })
    .await
    .into_iter()
    .collect::<io::Result<Vec<_>>>()?;
    let emitter = sio::connect(addr, None).await?;
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
        .map(|ws| tokio::spawn(receiver(ws, shared.clone(), phase.clone(), stop.clone())))
        .collect();
    let emit = tokio::spawn(emit(emitter, count, shared.clone(), phase.clone()));
    let (elapsed, cpu) = window(target, &phase, plan).await;
    // Unblock an emitter waiting for deliveries that will not come, and receivers waiting for
    // broadcasts that will not be sent.
    let _ = stop_tx.send(true);
    shared.wanted.store(0, Ordering::Relaxed);
    shared.wake.notify_one();
    let total = collect(tasks, Duration::from_millis(500)).await;
    let emitted_ok = matches!(
        tokio::time::timeout(Duration::from_secs(1), emit).await,
        Ok(Ok(Ok(())))
    );
    Ok(Measurement {
        ops: total.ops,
        elapsed,
        cpu,
        latencies: total.latencies,
        errors: total.errors + u64::from(!emitted_ok),
        rss_per_conn_kib: None,
    })
}

async fn emit(
    mut ws: WsClient,
    receivers: u64,
    shared: Arc<Shared>,
    phase: Phase,
) -> io::Result<()> {
    let mut frame = Vec::with_capacity(64);
    let mut sent = 0u64;
    while phase.get() != STOP {
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
        frame.clear();
        frame.extend_from_slice(b"42[\"bcast\",\"t:");
        sio::push_u64(&mut frame, shared.base.elapsed().as_nanos() as u64);
        frame.extend_from_slice(b"|\"]");
        ws.queue_text(&frame);
        ws.flush().await?;
        sent += 1;
    }
    Ok(())
}

async fn receiver(
    mut ws: WsClient,
    shared: Arc<Shared>,
    phase: Phase,
    mut stop: tokio::sync::watch::Receiver<bool>,
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
        if frame.opcode != TEXT {
            continue;
        }
        let payload = ws.payload(&frame);
        if payload == b"2" {
            ws.queue_text(b"3");
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
