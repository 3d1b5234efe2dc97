//! Echo over HTTP long-polling: `clients` polling clients, each with one `echo` asking for an
//! ack in flight. A client keeps a GET parked, POSTs the event, and reads the ack from the parked
//! GET, which it re-parks at once.

use super::{bounded, measure_clients, ClientReport, Measurement, Phase, Plan, Target};
use super::{MEASURE, STOP};
use crate::polling::{packets, PollingClient};
use crate::sio;
use std::io;
use std::time::{Duration, Instant};

/// Runs the polling echo workload.
pub async fn run(target: Target, plan: &Plan) -> io::Result<Measurement> {
    let addr = target.addr;
    let clients = bounded(plan.clients, plan.connectors, move |_| {
        PollingClient::connect(addr)
    })
    .await
    .into_iter()
    .collect::<io::Result<Vec<_>>>()?;
    let phase = Phase::default();
    let tasks = clients
        .into_iter()
        .map(|c| tokio::spawn(client(c, phase.clone())))
        .collect();
    Ok(measure_clients(target, plan, &phase, tasks, Duration::from_secs(2)).await)
}

async fn client(mut c: PollingClient, phase: Phase) -> ClientReport {
    let mut report = ClientReport::default();
    match echo_loop(&mut c, &phase, &mut report).await {
        Ok(()) => {}
        Err(_) if phase.get() == STOP => {}
        Err(_) => report.errors += 1,
    }
    report
}

async fn echo_loop(
    c: &mut PollingClient,
    phase: &Phase,
    report: &mut ClientReport,
) -> io::Result<()> {
    let mut body = Vec::with_capacity(64);
    c.get.get(&c.path).await?;
    for id in 0u64.. {
        body.clear();
        sio::event(&mut body, Some(id), "echo", super::echo::ARG);
        let sent = Instant::now();
        c.send(&body).await?;
        let mut answered = false;
        while !answered {
            let (status, reply) = c.get.response().await?;
            if status != 200 {
                return Err(io::Error::other(format!("GET answered {status}")));
            }
            c.get.get(&c.path).await?;
            let mut ping = false;
            for packet in packets(&reply) {
                if packet == b"2" {
                    ping = true;
                } else if sio::ack_id(packet) == Some(id) {
                    answered = true;
                }
            }
            if ping {
                c.send(b"3").await?;
            }
        }
        match phase.get() {
            MEASURE => {
                report.ops += 1;
                report.latencies.record(sent.elapsed().as_nanos() as u64);
            }
            STOP => return Ok(()),
            _ => {}
        }
    }
    Ok(())
}
