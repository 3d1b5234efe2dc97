//! The workloads: each drives one running server and measures a window of its work.
//!
//! Every workload sets its clients up first, lets them run a warm-up, then measures a window:
//! operations completed in it, their latencies, and the server's CPU time (from `/proc`) over it.

pub mod churn;
pub mod echo;
pub mod fanout;
pub mod idle;
pub mod paced;
pub mod polling;

use crate::procfs;
use crate::stats::Latencies;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The server a workload drives.
#[derive(Clone, Copy, Debug)]
pub struct Target {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its process (for `/proc`).
    pub pid: u32,
}

/// How long a workload warms up and measures, and how big it is.
#[derive(Clone, Debug)]
pub struct Plan {
    /// Warm-up before the window.
    pub warmup: Duration,
    /// The measured window.
    pub window: Duration,
    /// Clients of the echo and polling workloads.
    pub clients: usize,
    /// Receivers of the fan-out.
    pub receivers: usize,
    /// Connections of the idle workload.
    pub idle: usize,
    /// Operations per second the paced workloads offer: the paced echo's messages (all its
    /// clients together), the paced fan-out's deliveries.
    pub rate: u64,
    /// Concurrent connection loops of the churn workloads (and connectors of the idle one).
    pub connectors: usize,
    /// Shell commands run as the window opens and as it closes (e.g. `callgrind_control -z PID`
    /// and `callgrind_control -d PID`, to count the server's instructions in the window only).
    pub hooks: Option<(String, String)>,
}

impl Plan {
    /// The default run.
    pub fn full() -> Self {
        Self {
            warmup: Duration::from_millis(1000),
            window: Duration::from_millis(4000),
            clients: 50,
            receivers: 1000,
            idle: 10_000,
            rate: 40_000,
            connectors: 32,
            hooks: None,
        }
    }

    /// A smoke run of seconds.
    pub fn quick() -> Self {
        Self {
            warmup: Duration::from_millis(150),
            window: Duration::from_millis(400),
            clients: 50,
            receivers: 100,
            idle: 500,
            rate: 10_000,
            connectors: 16,
            hooks: None,
        }
    }
}

/// What one run measured.
#[derive(Clone, Debug, Default)]
pub struct Measurement {
    /// Operations completed in the window (messages, deliveries or connections).
    pub ops: u64,
    /// The window's length.
    pub elapsed: Duration,
    /// Server CPU time (user + system) over the window.
    pub cpu: Duration,
    /// Latencies of the operations.
    pub latencies: Latencies,
    /// Operations that failed.
    pub errors: u64,
    /// Server RSS growth per connection, in KiB (idle workload only).
    pub rss_per_conn_kib: Option<f64>,
}

impl Measurement {
    /// Operations per second.
    pub fn rate(&self) -> f64 {
        self.ops as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// Server CPU microseconds per operation.
    pub fn cpu_us_per_op(&self) -> f64 {
        if self.ops == 0 {
            return f64::NAN;
        }
        self.cpu.as_secs_f64() * 1e6 / self.ops as f64
    }
}

/// Clients warm up.
pub const WARMUP: u8 = 0;
/// Clients count what completes.
pub const MEASURE: u8 = 1;
/// Clients stop.
pub const STOP: u8 = 2;

/// The phase every client of a run reads.
#[derive(Clone, Debug, Default)]
pub struct Phase(Arc<AtomicU8>);

impl Phase {
    /// The current phase.
    pub fn get(&self) -> u8 {
        self.0.load(Ordering::Relaxed)
    }

    fn set(&self, phase: u8) {
        self.0.store(phase, Ordering::Relaxed);
    }
}

/// Runs the warm-up and the window: returns the window's length and the server CPU time in it.
pub async fn window(target: Target, phase: &Phase, plan: &Plan) -> (Duration, Duration) {
    tokio::time::sleep(plan.warmup).await;
    if let Some((open, _)) = &plan.hooks {
        hook(open);
    }
    let cpu0 = procfs::cpu_time(target.pid).unwrap_or_default();
    let t0 = Instant::now();
    phase.set(MEASURE);
    tokio::time::sleep(plan.window).await;
    phase.set(STOP);
    let elapsed = t0.elapsed();
    let cpu1 = procfs::cpu_time(target.pid).unwrap_or_default();
    if let Some((_, close)) = &plan.hooks {
        hook(close);
    }
    (elapsed, cpu1.saturating_sub(cpu0))
}

fn hook(command: &str) {
    match std::process::Command::new("sh")
        .arg("-c")
        .arg(command)
        .status()
    {
        Ok(status) if status.success() => {}
        Ok(status) => eprintln!("hook `{command}`: {status}"),
        Err(e) => eprintln!("hook `{command}`: {e}"),
    }
}

/// What one client task reports.
#[derive(Debug, Default)]
pub struct ClientReport {
    /// Operations completed in the window.
    pub ops: u64,
    /// Their latencies.
    pub latencies: Latencies,
    /// Failures.
    pub errors: u64,
}

/// Measures the window over running client tasks, then sums their reports (waiting at most
/// `grace` for them): the measurement of a workload whose clients do all the work.
pub async fn measure_clients(
    target: Target,
    plan: &Plan,
    phase: &Phase,
    tasks: Vec<tokio::task::JoinHandle<ClientReport>>,
    grace: Duration,
) -> Measurement {
    let (elapsed, cpu) = window(target, phase, plan).await;
    let total = collect(tasks, grace).await;
    Measurement {
        ops: total.ops,
        elapsed,
        cpu,
        latencies: total.latencies,
        errors: total.errors,
        rss_per_conn_kib: None,
    }
}

/// Waits for client tasks (at most `grace`, then they are aborted) and adds up their reports.
pub async fn collect(
    tasks: Vec<tokio::task::JoinHandle<ClientReport>>,
    grace: Duration,
) -> ClientReport {
    let deadline = tokio::time::Instant::now() + grace;
    let mut total = ClientReport::default();
    for task in tasks {
        let abort = task.abort_handle();
        match tokio::time::timeout_at(deadline, task).await {
            Ok(Ok(report)) => {
                total.ops += report.ops;
                total.errors += report.errors;
                total.latencies.merge(report.latencies);
            }
            Ok(Err(_)) => total.errors += 1,
            Err(_) => abort.abort(),
        }
    }
    total
}

/// Runs `f` for `0..count` with at most `concurrency` at once, collecting the results in order.
pub async fn bounded<T, F, Fut>(count: usize, concurrency: usize, f: F) -> Vec<T>
where
    T: Send + 'static,
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = T> + Send + 'static,
{
    let f = Arc::new(f);
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut workers = Vec::new();
    for _ in 0..concurrency.max(1) {
        let (f, next) = (f.clone(), next.clone());
        workers.push(tokio::spawn(async move {
            let mut out = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= count {
                    return out;
                }
                out.push((i, f(i).await));
            }
        }));
    }
    let mut all = Vec::with_capacity(count);
    for w in workers {
        if let Ok(out) = w.await {
            all.extend(out);
        }
    }
    all.sort_by_key(|(i, _)| *i);
    all.into_iter().map(|(_, t)| t).collect()
}

/// The workloads of the comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Workload {
    /// Echo with ack, 1 in flight per client.
    Echo1,
    /// Echo with ack, 8 in flight per client.
    Echo8,
    /// Broadcast fan-out to a room.
    Fanout,
    /// Idle connections.
    Idle,
    /// Connect then close.
    Churn,
    /// Connect with a JWT then close.
    AuthChurn,
    /// Echo with ack over long-polling.
    Polling,
    /// [`Workload::Echo1`] with the MessagePack parser (`socket.io-msgpack-parser`).
    Echo1MsgPack,
    /// [`Workload::Echo8`] with the MessagePack parser.
    Echo8MsgPack,
    /// [`Workload::Fanout`] with the MessagePack parser.
    FanoutMsgPack,
    /// Echo with ack at a fixed offered rate ([`Plan::rate`]), whatever the server's speed.
    EchoPaced,
    /// [`Workload::Fanout`] at a fixed offered rate of deliveries ([`Plan::rate`]).
    FanoutPaced,
}

impl Workload {
    /// Every workload, in table order.
    pub const ALL: [Workload; 12] = [
        Workload::Echo1,
        Workload::Echo8,
        Workload::Fanout,
        Workload::Idle,
        Workload::Churn,
        Workload::AuthChurn,
        Workload::Polling,
        Workload::Echo1MsgPack,
        Workload::Echo8MsgPack,
        Workload::FanoutMsgPack,
        Workload::EchoPaced,
        Workload::FanoutPaced,
    ];

    /// The short name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Workload::Echo1 => "echo1",
            Workload::Echo8 => "echo8",
            Workload::Fanout => "fanout",
            Workload::Idle => "idle",
            Workload::Churn => "churn",
            Workload::AuthChurn => "auth",
            Workload::Polling => "polling",
            Workload::Echo1MsgPack => "echo1-msgpack",
            Workload::Echo8MsgPack => "echo8-msgpack",
            Workload::FanoutMsgPack => "fanout-msgpack",
            Workload::EchoPaced => "echo-paced",
            Workload::FanoutPaced => "fanout-paced",
        }
    }

    /// The parser its clients speak (the servers are started speaking it too).
    pub fn wire(self) -> crate::sio::Wire {
        match self {
            Workload::Echo1MsgPack | Workload::Echo8MsgPack | Workload::FanoutMsgPack => {
                crate::sio::Wire::MsgPack
            }
            _ => crate::sio::Wire::Json,
        }
    }

    /// The workload named `name`.
    pub fn from_name(name: &str) -> Option<Workload> {
        Workload::ALL.into_iter().find(|w| w.name() == name)
    }

    /// What it is, for the table.
    pub fn title(self, plan: &Plan) -> String {
        match self {
            Workload::Echo1 => format!("echo + ack, {} clients, 1 in flight", plan.clients),
            Workload::Echo8 => format!("echo + ack, {} clients, 8 in flight", plan.clients),
            Workload::Fanout => format!("fan-out, 1 emitter -> {} receivers", plan.receivers),
            Workload::Idle => format!("{} idle connections", plan.idle),
            Workload::Churn => {
                format!("churn ({} loops: connect, CONNECT, close)", plan.connectors)
            }
            Workload::AuthChurn => format!(
                "auth churn (HS256 JWT in CONNECT, {} loops)",
                plan.connectors
            ),
            Workload::Polling => format!("polling echo + ack, {} clients", plan.clients),
            Workload::Echo1MsgPack => format!(
                "MessagePack echo + ack, {} clients, 1 in flight",
                plan.clients
            ),
            Workload::Echo8MsgPack => format!(
                "MessagePack echo + ack, {} clients, 8 in flight",
                plan.clients
            ),
            Workload::FanoutMsgPack => {
                format!(
                    "MessagePack fan-out, 1 emitter -> {} receivers",
                    plan.receivers
                )
            }
            Workload::EchoPaced => format!(
                "echo + ack, {} clients, {} msgs/s offered",
                plan.clients, plan.rate
            ),
            Workload::FanoutPaced => format!(
                "fan-out, 1 emitter -> {} receivers, {} deliveries/s offered",
                plan.receivers, plan.rate
            ),
        }
    }

    /// What one operation is.
    pub fn op(self) -> &'static str {
        match self {
            Workload::Echo1 | Workload::Echo8 | Workload::Polling | Workload::EchoPaced => "msg",
            Workload::Echo1MsgPack | Workload::Echo8MsgPack => "msg",
            Workload::Fanout | Workload::FanoutMsgPack | Workload::FanoutPaced => "delivery",
            Workload::Idle | Workload::Churn | Workload::AuthChurn => "conn",
        }
    }

    /// Whether the raw WebSocket echo can run it.
    pub fn raw_applies(self) -> bool {
        matches!(
            self,
            Workload::Echo1
                | Workload::Echo8
                | Workload::Echo1MsgPack
                | Workload::Echo8MsgPack
                | Workload::EchoPaced
        )
    }

    /// Whether the server needs `BENCH_JWT_SECRET`.
    pub fn needs_jwt(self) -> bool {
        self == Workload::AuthChurn
    }

    /// Runs it against a running server (`raw`: the server is the raw WebSocket echo).
    pub async fn run(
        self,
        target: Target,
        plan: &Plan,
        raw: bool,
        secret: &str,
    ) -> std::io::Result<Measurement> {
        match self {
            Workload::Echo1 | Workload::Echo1MsgPack => {
                echo::run(target, plan, 1, raw, self.wire()).await
            }
            Workload::Echo8 | Workload::Echo8MsgPack => {
                echo::run(target, plan, 8, raw, self.wire()).await
            }
            Workload::Fanout | Workload::FanoutMsgPack => {
                fanout::run(target, plan, self.wire(), false).await
            }
            Workload::FanoutPaced => fanout::run(target, plan, self.wire(), true).await,
            Workload::Idle => idle::run(target, plan).await,
            Workload::Churn => churn::run(target, plan, None).await,
            Workload::AuthChurn => {
                if !churn::refuses_forged_token(target).await? {
                    return Err(std::io::Error::other(
                        "the server accepted a token signed with another secret",
                    ));
                }
                let tokens = crate::token::tokens(secret, 256).map_err(std::io::Error::other)?;
                churn::run(target, plan, Some(tokens)).await
            }
            Workload::Polling => polling::run(target, plan).await,
            Workload::EchoPaced => paced::run(target, plan, raw, self.wire()).await,
        }
    }
}
