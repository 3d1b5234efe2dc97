//! Idle connections: `idle` clients connect (Engine.IO over WebSocket, then a Socket.IO CONNECT to
//! `/`) with `connectors` at a time and stay connected. Reports the connect rate, each connect's
//! latency, and the server's CPU time and RSS growth per connection (VmRSS before the first
//! connection and after the last, once the server had a moment to settle).

use super::{bounded, Measurement, Plan, Target};
use crate::{procfs, sio};
use std::io;
use std::time::{Duration, Instant};

/// Runs the idle-connections workload.
pub async fn run(target: Target, plan: &Plan) -> io::Result<Measurement> {
    let addr = target.addr;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let rss0 = procfs::rss_kib(target.pid).unwrap_or(0);
    let cpu0 = procfs::cpu_time(target.pid).unwrap_or_default();
    let t0 = Instant::now();
    let results = bounded(plan.idle, plan.connectors, move |_| async move {
        let start = Instant::now();
        let ws = sio::connect(addr, None).await;
        (ws, start.elapsed())
    })
    .await;
    let elapsed = t0.elapsed();
    let cpu = procfs::cpu_time(target.pid)
        .unwrap_or_default()
        .saturating_sub(cpu0);
    let mut m = Measurement {
        elapsed,
        cpu,
        ..Measurement::default()
    };
    let mut held = Vec::with_capacity(results.len());
    for (ws, latency) in results {
        match ws {
            Ok(ws) => {
                m.ops += 1;
                m.latencies.record(latency.as_nanos() as u64);
                held.push(ws);
            }
            Err(_) => m.errors += 1,
        }
    }
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let rss1 = procfs::rss_kib(target.pid).unwrap_or(0);
    if m.ops > 0 {
        m.rss_per_conn_kib = Some(rss1.saturating_sub(rss0) as f64 / m.ops as f64);
    }
    drop(held);
    Ok(m)
}
