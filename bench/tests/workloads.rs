//! Every workload of the load generator against our bench server, in-process and tiny: the load
//! generator speaks the protocol right (each workload completes operations without errors), the
//! server verifies tokens, and `/proc` is read.

use bench::token::SECRET;
use bench::workload::{Plan, Target, Workload};
use std::time::Duration;

fn tiny() -> Plan {
    Plan {
        warmup: Duration::from_millis(50),
        window: Duration::from_millis(200),
        clients: 4,
        receivers: 8,
        idle: 20,
        rate: 2_000,
        connectors: 4,
        hooks: None,
    }
}

async fn run(workload: Workload) -> bench::workload::Measurement {
    run_plan(workload, &tiny()).await
}

async fn run_plan(workload: Workload, plan: &Plan) -> bench::workload::Measurement {
    let secret = workload.needs_jwt().then_some(SECRET);
    let parser = match workload.wire() {
        bench::sio::Wire::Json => socketio::proto::Parser::Json,
        bench::sio::Wire::MsgPack => socketio::proto::Parser::MsgPack,
    };
    let server = bench::ours::start(
        ([127, 0, 0, 1], 0).into(),
        secret,
        Default::default(),
        parser,
        None,
    )
    .await
    .unwrap_or_else(|e| panic!("start: {e}"));
    let target = Target {
        addr: server.local_addr(),
        pid: std::process::id(),
    };
    let m = workload
        .run(target, plan, false, SECRET)
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", workload.name()));
    server.shutdown().await;
    m
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_workload_completes_operations_without_errors() {
    for workload in Workload::ALL {
        let mut m = run(workload).await;
        assert!(m.ops > 0, "{}: no operation completed", workload.name());
        assert_eq!(m.errors, 0, "{}: {} errors", workload.name(), m.errors);
        assert!(m.latencies.quantile_us(0.5) > 0.0, "{}", workload.name());
        if workload == Workload::Idle {
            assert_eq!(m.ops, 20);
            assert!(m.rss_per_conn_kib.is_some());
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_paced_workloads_offer_their_rate_whatever_the_answers() {
    let plan = Plan {
        window: Duration::from_millis(500),
        rate: 4_000,
        ..tiny()
    };
    for workload in [Workload::EchoPaced, Workload::FanoutPaced] {
        let m = run_plan(workload, &plan).await;
        let name = workload.name();
        assert_eq!(m.errors, 0, "{name}");
        // 4 000 operations a second over 0.5 s: about 2 000 in the window (the band is wide: the
        // ticks of a loaded machine come late, and what is due is sent when they come).
        let expected = plan.rate as f64 * m.elapsed.as_secs_f64();
        let ops = m.ops as f64;
        assert!(
            ops > expected * 0.6 && ops < expected * 1.4,
            "{name}: {ops} done, {expected} offered"
        );
    }
}
