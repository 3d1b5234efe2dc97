//! The load generator.
//!
//! ```text
//! loadgen compare --ours BIN --raw BIN --node-dir DIR --socketioxide BIN [--cpus 0]
//!                 [--scale-cpus 0,1] [--quick] [--repeats N]
//!                 [--workloads echo1,echo8,fanout,idle,churn,auth,polling,echo-paced,...]
//!                 [--servers ours,node,socketioxide,raw] [--out FILE] [--machine TEXT] [--command TEXT]
//! loadgen run --workload NAME --addr HOST:PORT --pid PID [--raw] [--quick] [--window-ms N]
//!             [--warmup-ms N] [--secret S] [--on-window-open CMD --on-window-close CMD]
//! ```
//!
//! Both take `--window-ms`, `--warmup-ms`, `--clients`, `--receivers`, `--idle`, `--rate` (what
//! the paced workloads offer a second: the echo's messages, the fan-out's deliveries) and
//! `--connectors` to change the plan. With `--on-window-open`/`--on-window-close`, `run` runs
//! those shell commands as the window opens and closes: with `callgrind_control -z PID` and
//! `callgrind_control -d PID` the server's instructions are counted in the window only.
//!
//! `compare` starts a fresh server per run (pinned with `taskset -c CPUS`), runs every workload
//! against every server `--repeats` times (3 by default, 1 with `--quick`), and writes the
//! markdown table of medians to `--out` and stdout. With `--scale-cpus`, every run is made twice,
//! the server pinned to `--cpus` and to `--scale-cpus` (alternated, which first changes with each
//! repeat), and the report adds the growth of CPU per operation from the one to the other. `run`
//! drives one already running server (for profiling it under valgrind, say). Pin the load
//! generator itself to the other core. It runs on one thread; `LOADGEN_THREADS=N` gives it a
//! runtime of N workers (for a machine with cores to spare, as `bench/manycore.sh` does).

use bench::report::{self, Results, Scaling, Summary};
use bench::servers::{self, Binaries, Kind};
use bench::token::SECRET;
use bench::workload::{Measurement, Plan, Target, Workload};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // One thread unless LOADGEN_THREADS asks for more (the many-core check gives the load
    // generator several cores; on 2 cores it has one, and a current-thread runtime suits it).
    let threads = std::env::var("LOADGEN_THREADS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(1);
    let mut builder = match threads {
        0 | 1 => tokio::runtime::Builder::new_current_thread(),
        n => {
            let mut b = tokio::runtime::Builder::new_multi_thread();
            b.worker_threads(n);
            b
        }
    };
    let runtime = match builder.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("loadgen: tokio runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = match args.first().map(String::as_str) {
        Some("compare") => runtime.block_on(compare(&args[1..])),
        Some("run") => runtime.block_on(run_one(&args[1..])),
        _ => Err("usage: loadgen compare ... | loadgen run ... (see the crate docs)".to_owned()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("loadgen: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `--name value` flags and bare `--switch`es.
struct Flags(BTreeMap<String, Option<String>>);

impl Flags {
    fn parse(args: &[String], switches: &[&str]) -> Result<Self, String> {
        let mut map = BTreeMap::new();
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            let Some(name) = arg.strip_prefix("--") else {
                return Err(format!("unexpected argument {arg}"));
            };
            if switches.contains(&name) {
                map.insert(name.to_owned(), None);
            } else {
                let value = it.next().ok_or_else(|| format!("--{name} needs a value"))?;
                map.insert(name.to_owned(), Some(value.clone()));
            }
        }
        Ok(Self(map))
    }

    fn has(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).and_then(|v| v.as_deref())
    }

    fn need(&self, name: &str) -> Result<&str, String> {
        self.get(name)
            .ok_or_else(|| format!("--{name} is required"))
    }

    fn number(&self, name: &str) -> Result<Option<u64>, String> {
        self.get(name)
            .map(|v| v.parse().map_err(|_| format!("--{name}: not a number")))
            .transpose()
    }
}

fn plan(flags: &Flags) -> Result<Plan, String> {
    let mut plan = if flags.has("quick") {
        Plan::quick()
    } else {
        Plan::full()
    };
    if let Some(ms) = flags.number("window-ms")? {
        plan.window = Duration::from_millis(ms);
    }
    if let Some(ms) = flags.number("warmup-ms")? {
        plan.warmup = Duration::from_millis(ms);
    }
    if let Some(n) = flags.number("idle")? {
        plan.idle = n as usize;
    }
    if let Some(n) = flags.number("receivers")? {
        plan.receivers = n as usize;
    }
    if let Some(n) = flags.number("rate")? {
        plan.rate = n;
    }
    if let Some(n) = flags.number("clients")? {
        plan.clients = n as usize;
    }
    if let Some(n) = flags.number("connectors")? {
        plan.connectors = n as usize;
    }
    if let (Some(open), Some(close)) = (flags.get("on-window-open"), flags.get("on-window-close")) {
        plan.hooks = Some((open.to_owned(), close.to_owned()));
    }
    Ok(plan)
}

fn list<T>(
    flags: &Flags,
    name: &str,
    all: &[T],
    parse: fn(&str) -> Option<T>,
) -> Result<Vec<T>, String>
where
    T: Copy,
{
    match flags.get(name) {
        None => Ok(all.to_vec()),
        Some(text) => text
            .split(',')
            .map(|n| parse(n.trim()).ok_or_else(|| format!("--{name}: unknown {n}")))
            .collect(),
    }
}

fn describe(m: &mut Measurement, op: &str) -> String {
    format!(
        "{:.0} {}/s, p50 {:.0} us, p99 {:.0} us, server CPU {:.2} us/{op}{}{}",
        m.rate(),
        if op == "delivery" {
            "deliveries".to_owned()
        } else {
            format!("{op}s")
        },
        m.latencies.quantile_us(0.5),
        m.latencies.quantile_us(0.99),
        m.cpu_us_per_op(),
        m.rss_per_conn_kib
            .map(|k| format!(", RSS {k:.2} KiB/conn"))
            .unwrap_or_default(),
        if m.errors > 0 {
            format!(", {} errors", m.errors)
        } else {
            String::new()
        }
    )
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

async fn compare(args: &[String]) -> Result<(), String> {
    let flags = Flags::parse(args, &["quick"])?;
    let plan = plan(&flags)?;
    let bins = Binaries {
        ours: PathBuf::from(flags.need("ours")?),
        raw: PathBuf::from(flags.need("raw")?),
        node_dir: std::fs::canonicalize(flags.need("node-dir")?)
            .map_err(|e| format!("--node-dir: {e}"))?,
        socketioxide: PathBuf::from(flags.need("socketioxide")?),
        cpus: flags.get("cpus").unwrap_or("0").to_owned(),
    };
    let default_repeats = if flags.has("quick") { 1 } else { 3 };
    let repeats = flags.number("repeats")?.unwrap_or(default_repeats).max(1) as usize;
    let workloads = list(&flags, "workloads", &Workload::ALL, Workload::from_name)?;
    let kinds = list(&flags, "servers", &Kind::ALL, Kind::from_name)?;
    let scale_cpus = flags.get("scale-cpus").map(str::to_owned);
    let load_before = loadavg();
    let started = std::time::Instant::now();
    let mut runs: Runs = BTreeMap::new();
    let mut scaled_runs: Runs = BTreeMap::new();
    for &w in &workloads {
        for rep in 0..repeats {
            for &k in &kinds {
                if k == Kind::RawWs && !w.raw_applies() {
                    continue;
                }
                let Some(scale) = &scale_cpus else {
                    one_run(w, k, rep, &bins, &plan, &mut runs, "").await;
                    continue;
                };
                // Alternated, so that a slow minute does not fall on one side only.
                let scaled_bins = Binaries {
                    cpus: scale.clone(),
                    ..bins.clone()
                };
                let label = format!(" (CPUs {scale})");
                if rep % 2 == 0 {
                    one_run(w, k, rep, &bins, &plan, &mut runs, "").await;
                    one_run(w, k, rep, &scaled_bins, &plan, &mut scaled_runs, &label).await;
                } else {
                    one_run(w, k, rep, &scaled_bins, &plan, &mut scaled_runs, &label).await;
                    one_run(w, k, rep, &bins, &plan, &mut runs, "").await;
                }
            }
        }
    }
    let summarize = |runs: Runs| -> Results {
        runs.into_iter()
            .map(|(key, (mut ms, failures))| (key, Summary::of(&mut ms, failures)))
            .collect()
    };
    let results = summarize(runs);
    let scaled = summarize(scaled_runs);
    let mut context = Vec::new();
    if let Some(machine) = flags.get("machine") {
        context.push(("machine", machine.to_owned()));
    }
    if let Some(command) = flags.get("command") {
        context.push(("command", format!("`{command}`")));
    }
    context.push(("server CPUs (taskset -c)", bins.cpus.clone()));
    context.push((
        "load average (1/5/15 min) before / after",
        format!("{load_before} / {}", loadavg()),
    ));
    context.push((
        "duration",
        format!("{:.0} s", started.elapsed().as_secs_f64()),
    ));
    let scaling = scale_cpus.as_deref().map(|cpus| Scaling {
        base: &bins.cpus,
        scaled: cpus,
        results: &scaled,
    });
    let markdown = report::markdown(&results, &plan, repeats, &context, scaling.as_ref());
    println!("{markdown}");
    if let Some(out) = flags.get("out") {
        std::fs::write(out, &markdown).map_err(|e| format!("{out}: {e}"))?;
    }
    Ok(())
}

/// The measurements of each workload on each server, and why the failed runs failed.
type Runs = BTreeMap<(Workload, Kind), (Vec<Measurement>, Vec<String>)>;

/// One run of `w` on a fresh `k` server, logged and added to `runs`.
async fn one_run(
    w: Workload,
    k: Kind,
    rep: usize,
    bins: &Binaries,
    plan: &Plan,
    runs: &mut Runs,
    label: &str,
) {
    let secret = w.needs_jwt().then_some(SECRET);
    let entry = runs.entry((w, k)).or_default();
    let outcome = match servers::spawn(k, bins, secret, w.wire()).await {
        Ok(server) => {
            let result = w.run(server.target, plan, k == Kind::RawWs, SECRET).await;
            server.stop().await;
            result.map_err(|e| e.to_string())
        }
        Err(e) => Err(format!("start: {e}")),
    };
    match outcome {
        Ok(mut m) => {
            eprintln!(
                "{} {}{label} #{}: {}",
                w.name(),
                k.name(),
                rep + 1,
                describe(&mut m, w.op())
            );
            entry.0.push(m);
        }
        Err(e) => {
            eprintln!("{} {}{label} #{}: FAILED: {e}", w.name(), k.name(), rep + 1);
            entry.1.push(e);
        }
    }
    // Let the kernel finish closing the last run's sockets.
    tokio::time::sleep(Duration::from_millis(200)).await;
}

async fn run_one(args: &[String]) -> Result<(), String> {
    let flags = Flags::parse(args, &["quick", "raw"])?;
    let plan = plan(&flags)?;
    let workload = Workload::from_name(flags.need("workload")?)
        .ok_or_else(|| "--workload: unknown workload".to_owned())?;
    let addr = flags
        .need("addr")?
        .parse()
        .map_err(|_| "--addr: not HOST:PORT".to_owned())?;
    let pid = flags
        .number("pid")?
        .ok_or_else(|| "--pid is required".to_owned())? as u32;
    let secret = flags.get("secret").unwrap_or(SECRET);
    let mut m = workload
        .run(Target { addr, pid }, &plan, flags.has("raw"), secret)
        .await
        .map_err(|e| e.to_string())?;
    let (ops, secs) = (m.ops, m.elapsed.as_secs_f64());
    println!(
        "{ops} ops in {secs:.3} s: {}",
        describe(&mut m, workload.op())
    );
    Ok(())
}
