//! Echo with acknowledgements at a fixed offered rate (open loop): every client sends its share of
//! [`Plan::rate`] `echo` events per second, on a 1 ms tick, whatever the server answers.
//!
//! The closed-loop echoes (`echo1`, `echo8`) send as fast as the answers come, so the load they
//! put on a server, and the load generator's own CPU, grow with the server's speed. Here both stay
//! the same from one server setup to another: one worker against two under the same load is a fair
//! comparison even where the second worker shares its core with the load generator. An event whose
//! client already has [`MAX_PENDING`] unanswered is not sent and counts as an error (the server fell
//! behind the rate), so a run without errors carried the whole load.

use super::echo::{connect, on_read, queue_echo, Read};
use super::{measure_clients, ClientReport, Measurement, Phase, Plan, Target, STOP};
use crate::sio::Wire;
use crate::ws::WsClient;
use std::io;
use std::time::{Duration, Instant};
use tokio::time::MissedTickBehavior;

/// Unanswered events a client holds before it counts the next ones as not carried.
pub const MAX_PENDING: usize = 256;

/// Runs the paced echo workload.
pub async fn run(target: Target, plan: &Plan, raw: bool, wire: Wire) -> io::Result<Measurement> {
    let clients = connect(target, plan, raw, wire).await?;
    let per_client = plan.rate as f64 / clients.len().max(1) as f64;
    let phase = Phase::default();
    let tasks = clients
        .into_iter()
        .map(|ws| tokio::spawn(client(ws, per_client, phase.clone(), wire)))
        .collect();
    Ok(measure_clients(target, plan, &phase, tasks, Duration::from_secs(2)).await)
}

async fn client(mut ws: WsClient, per_second: f64, phase: Phase, wire: Wire) -> ClientReport {
    let mut report = ClientReport::default();
    let mut pending: Vec<(u64, Instant)> = Vec::with_capacity(MAX_PENDING);
    let mut next_id = 0u64;
    let mut frame = Vec::with_capacity(64);
    let mut tick = tokio::time::interval(Duration::from_millis(1));
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let start = tokio::time::Instant::now();
    loop {
        if !ws.has_frame() && ws.flush().await.is_err() {
            report.errors += 1;
            return report;
        }
        tokio::select! {
            biased;
            next = ws.next() => {
                if let Read::End = on_read(&mut ws, next, wire, &mut pending, &phase, &mut report) {
                    return report;
                }
            }
            now = tick.tick() => {
                if phase.get() == STOP {
                    return report;
                }
                // Everything due since the start, so the rate holds whatever the ticks' jitter.
                let due = ((now - start).as_secs_f64() * per_second) as u64;
                while next_id < due {
                    if pending.len() >= MAX_PENDING {
                        report.errors += due - next_id;
                        next_id = due;
                        break;
                    }
                    queue_echo(&mut ws, wire, &mut frame, next_id, &mut pending);
                    next_id += 1;
                }
            }
        }
    }
}
