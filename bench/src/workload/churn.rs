//! Connection churn: `connectors` loops each open an Engine.IO WebSocket session, join `/`
//! (with an HS256 token in the CONNECT payload for the auth churn), and close it (a WebSocket
//! close frame, then the TCP connection) as soon as the CONNECT is answered. An operation is one
//! connection; its latency runs from the TCP connect to the CONNECT answer.

use super::{measure_clients, ClientReport, Measurement, Phase, Plan, Target, MEASURE, STOP};
use crate::sio::{self, Joined};
use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Runs the churn workload; with `tokens`, each CONNECT carries the next one.
pub async fn run(
    target: Target,
    plan: &Plan,
    tokens: Option<Vec<String>>,
) -> io::Result<Measurement> {
    let tokens = Arc::new(tokens);
    let phase = Phase::default();
    let tasks = (0..plan.connectors)
        .map(|i| tokio::spawn(connector(target, i, tokens.clone(), phase.clone())))
        .collect();
    Ok(measure_clients(target, plan, &phase, tasks, Duration::from_secs(3)).await)
}

async fn connector(
    target: Target,
    index: usize,
    tokens: Arc<Option<Vec<String>>>,
    phase: Phase,
) -> ClientReport {
    let mut report = ClientReport::default();
    let mut n = index;
    loop {
        let current = phase.get();
        if current == STOP {
            return report;
        }
        let token = tokens
            .as_ref()
            .as_ref()
            .and_then(|t| t.get(n % t.len().max(1)));
        n += 1;
        let start = Instant::now();
        match sio::join(target.addr, token.map(String::as_str)).await {
            Ok(Joined::Connected(mut ws)) => {
                let latency = start.elapsed();
                ws.queue_close();
                let _ = ws.flush().await;
                drop(ws);
                if current == MEASURE && phase.get() == MEASURE {
                    report.ops += 1;
                    report.latencies.record(latency.as_nanos() as u64);
                }
            }
            Ok(Joined::Refused(_)) | Err(_) => {
                report.errors += 1;
                // Do not spin on a refusing server.
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }
    }
}

/// Checks that the server refuses a token signed with another secret (so the auth churn measures
/// a server that verifies).
pub async fn refuses_forged_token(target: Target) -> io::Result<bool> {
    let forged = crate::token::tokens("not-the-bench-secret-0123456789abcdef-0123", 1)
        .map_err(io::Error::other)?;
    let forged = forged.first().map(String::as_str);
    Ok(matches!(
        sio::join(target.addr, forged).await?,
        Joined::Refused(_)
    ))
}
