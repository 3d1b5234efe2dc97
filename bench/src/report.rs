//! The markdown report: medians per workload and server, ratios of ours to each peer, and the
//! issue's targets with whether they are met.

use crate::servers::Kind;
use crate::stats::median;
use crate::workload::{Measurement, Plan, Workload};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// The medians of the repeats of one workload on one server.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    /// Repeats that produced a measurement.
    pub runs: usize,
    /// Operations per second.
    pub rate: f64,
    /// Median latency, microseconds.
    pub p50_us: f64,
    /// 99th percentile latency, microseconds.
    pub p99_us: f64,
    /// Server CPU microseconds per operation.
    pub cpu_us: f64,
    /// Server RSS growth per connection, KiB.
    pub rss_kib: f64,
    /// Failed operations over all repeats.
    pub errors: u64,
    /// Repeats that failed to run, with why.
    pub failures: Vec<String>,
}

impl Summary {
    /// The medians of some runs.
    pub fn of(runs: &mut [Measurement], failures: Vec<String>) -> Self {
        let pick = |f: &dyn Fn(&Measurement) -> f64, runs: &[Measurement]| {
            median(&runs.iter().map(f).collect::<Vec<_>>())
        };
        let p50: Vec<f64> = runs
            .iter_mut()
            .map(|m| m.latencies.quantile_us(0.5))
            .collect();
        let p99: Vec<f64> = runs
            .iter_mut()
            .map(|m| m.latencies.quantile_us(0.99))
            .collect();
        Self {
            runs: runs.len(),
            rate: pick(&|m| m.rate(), runs),
            p50_us: median(&p50),
            p99_us: median(&p99),
            cpu_us: pick(&|m| m.cpu_us_per_op(), runs),
            rss_kib: pick(&|m| m.rss_per_conn_kib.unwrap_or(f64::NAN), runs),
            errors: runs.iter().map(|m| m.errors).sum(),
            failures,
        }
    }
}

/// A metric of a summary, for one table row.
type Pick = fn(&Summary) -> f64;

/// Every summary of a comparison.
pub type Results = BTreeMap<(Workload, Kind), Summary>;

/// The same runs with the servers on more CPUs (`loadgen compare --scale-cpus`).
#[derive(Clone, Copy, Debug)]
pub struct Scaling<'a> {
    /// The CPUs of the main results (`--cpus`, one worker when one CPU).
    pub base: &'a str,
    /// The CPUs of these (`--scale-cpus`).
    pub scaled: &'a str,
    /// Their summaries.
    pub results: &'a Results,
}

/// Growth of CPU per operation of `k` on `w` from the base CPUs to the scaled ones, in percent.
fn growth(results: &Results, scaling: &Scaling, w: Workload, k: Kind) -> f64 {
    match (get(results, w, k), get(scaling.results, w, k)) {
        (Some(base), Some(scaled)) => (scaled.cpu_us / base.cpu_us - 1.0) * 100.0,
        _ => f64::NAN,
    }
}

/// One of the targets.
struct Check {
    what: String,
    measured: f64,
    unit: &'static str,
    limit: f64,
    /// Met when `measured <= limit` (else when `measured >= limit`).
    at_most: bool,
    /// What a measurement below zero means, where one can be (a difference of two medians).
    below_zero: Option<&'static str>,
}

fn get(results: &Results, w: Workload, k: Kind) -> Option<&Summary> {
    results.get(&(w, k)).filter(|s| s.runs > 0)
}

fn ratio(results: &Results, w: Workload, peer: Kind, f: Pick) -> f64 {
    match (get(results, w, Kind::Ours), get(results, w, peer)) {
        (Some(ours), Some(theirs)) => f(ours) / f(theirs),
        _ => f64::NAN,
    }
}

/// The JWT's server CPU per connection: auth churn minus plain churn.
fn jwt_cost(results: &Results, k: Kind) -> f64 {
    match (
        get(results, Workload::AuthChurn, k),
        get(results, Workload::Churn, k),
    ) {
        (Some(auth), Some(plain)) => auth.cpu_us - plain.cpu_us,
        _ => f64::NAN,
    }
}

impl Check {
    /// Met while `measured` is at most `limit`.
    fn at_most(what: impl Into<String>, measured: f64, unit: &'static str, limit: f64) -> Self {
        Self {
            what: what.into(),
            measured,
            unit,
            limit,
            at_most: true,
            below_zero: None,
        }
    }

    /// Says what a measurement below zero means.
    fn below_zero(self, meaning: &'static str) -> Self {
        Self {
            below_zero: Some(meaning),
            ..self
        }
    }

    /// Met while `measured` is at least `limit`.
    fn at_least(what: impl Into<String>, measured: f64, unit: &'static str, limit: f64) -> Self {
        Self {
            at_most: false,
            ..Self::at_most(what, measured, unit, limit)
        }
    }
}

fn cpu(s: &Summary) -> f64 {
    s.cpu_us
}

fn rate(s: &Summary) -> f64 {
    s.rate
}

/// Our RSS per idle connection, KiB.
fn idle_rss(results: &Results) -> f64 {
    get(results, Workload::Idle, Kind::Ours).map_or(f64::NAN, |s| s.rss_kib)
}

fn checks(results: &Results) -> Vec<Check> {
    use Kind::{RawWs, Socketioxide};
    vec![
        Check::at_most(
            "echo (1 in flight): server CPU/msg vs socketioxide",
            ratio(results, Workload::Echo1, Socketioxide, cpu),
            "x",
            0.8,
        ),
        Check::at_most(
            "echo (1 in flight): server CPU/msg vs raw tungstenite echo",
            ratio(results, Workload::Echo1, RawWs, cpu),
            "x",
            1.2,
        ),
        Check::at_most(
            "echo (8 in flight): server CPU/msg vs socketioxide",
            ratio(results, Workload::Echo8, Socketioxide, cpu),
            "x",
            0.5,
        ),
        Check::at_most(
            "fan-out: server CPU/delivery vs socketioxide",
            ratio(results, Workload::Fanout, Socketioxide, cpu),
            "x",
            0.7,
        ),
        Check::at_most(
            "idle: server RSS per connection",
            idle_rss(results),
            " KiB",
            8.0,
        ),
        Check::at_least(
            "auth churn: conns/s vs socketioxide",
            ratio(results, Workload::AuthChurn, Socketioxide, rate),
            "x",
            1.2,
        ),
        Check::at_most(
            "auth churn: JWT server CPU per connection (auth churn - churn)",
            jwt_cost(results, Kind::Ours),
            " us",
            10.0,
        )
        // A difference of two medians of ~70 us: below their run-to-run spread.
        .below_zero("below the noise of the two churn runs"),
        Check::at_least(
            "polling: msgs/s vs socketioxide",
            ratio(results, Workload::Polling, Socketioxide, rate),
            "x",
            1.2,
        ),
    ]
}

/// Issue 18's targets ("closer to the floor"), as ratios against the raw echo (or socketioxide)
/// in the same run; with `scaling`, also the growth of our CPU per operation from one worker to
/// all of them under the same load (the paced echo and fan-out).
fn floor_checks(results: &Results, plan: &Plan, scaling: Option<&Scaling>) -> Vec<Check> {
    use Kind::{RawWs, Socketioxide};
    let mut checks = vec![
        Check::at_most(
            "echo (1 in flight): server CPU/msg vs raw tungstenite echo",
            ratio(results, Workload::Echo1, RawWs, cpu),
            "x",
            1.1,
        ),
        Check::at_most(
            "echo (8 in flight): server CPU/msg vs raw tungstenite echo",
            ratio(results, Workload::Echo8, RawWs, cpu),
            "x",
            1.3,
        ),
        Check::at_most(
            format!(
                "fan-out to {} receivers: server CPU/delivery vs socketioxide",
                plan.receivers
            ),
            ratio(results, Workload::Fanout, Socketioxide, cpu),
            "x",
            0.7,
        ),
        Check::at_most(
            "idle: server RSS per connection",
            idle_rss(results),
            " KiB",
            6.6,
        ),
        Check::at_least(
            "polling: msgs/s vs socketioxide",
            ratio(results, Workload::Polling, Socketioxide, rate),
            "x",
            1.2,
        ),
    ];
    if let Some(scaling) = scaling {
        for (w, name, rate_unit) in [
            (Workload::EchoPaced, "echo", "msgs/s"),
            (Workload::FanoutPaced, "fan-out", "deliveries/s"),
        ] {
            checks.push(Check::at_most(
                format!(
                    "{name} at {} {rate_unit} offered: growth of server CPU/{} from CPUs {} to {}",
                    plan.rate,
                    w.op(),
                    scaling.base,
                    scaling.scaled
                ),
                growth(results, scaling, w, Kind::Ours),
                "%",
                15.0,
            ));
        }
    }
    checks
}

/// The table of CPU per operation on the base CPUs against the scaled ones.
fn scaling_table(out: &mut String, results: &Results, scaling: &Scaling) {
    let _ = writeln!(
        out,
        "## Server CPU per operation: CPUs {} against {} (runs alternated)\n",
        scaling.base, scaling.scaled
    );
    let _ = writeln!(
        out,
        "| workload | server | CPU per op, CPUs {} (us) | CPU per op, CPUs {} (us) | growth |",
        scaling.base, scaling.scaled
    );
    let _ = writeln!(out, "|---|---|---:|---:|---:|");
    for w in Workload::ALL {
        for k in Kind::ALL {
            let (Some(base), Some(scaled)) = (get(results, w, k), get(scaling.results, w, k))
            else {
                continue;
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {:+.1}% |",
                w.name(),
                k.title(),
                num(base.cpu_us),
                num(scaled.cpu_us),
                growth(results, scaling, w, k)
            );
        }
    }
    let _ = writeln!(out);
}

/// A line for each summary with failed operations or failed runs.
fn problems_of(results: &Results, label: &str) -> Vec<String> {
    results
        .iter()
        .filter(|(_, s)| s.errors > 0 || !s.failures.is_empty())
        .map(|((w, k), s)| {
            let mut line = format!(
                "{} on {}{label}: {} failed operations",
                w.name(),
                k.name(),
                s.errors
            );
            for f in &s.failures {
                let _ = write!(line, "; run failed: {f}");
            }
            line
        })
        .collect()
}

/// One targets table.
fn targets_table(out: &mut String, title: &str, checks: Vec<Check>) {
    let _ = writeln!(out, "## {title}\n");
    let _ = writeln!(out, "| target | limit | measured | met |");
    let _ = writeln!(out, "|---|---:|---:|:---:|");
    for c in checks {
        let limit = format!(
            "{} {}{}",
            if c.at_most { "<=" } else { ">=" },
            c.limit,
            c.unit
        );
        let measured = if c.measured.is_nan() {
            "-".to_owned()
        } else if let Some(meaning) = c.below_zero.filter(|_| c.measured < 0.0) {
            format!("{:.2}{} ({meaning})", c.measured, c.unit)
        } else {
            format!("{:.2}{}", c.measured, c.unit)
        };
        let verdict = if c.measured.is_nan() {
            "n/a"
        } else if met(&c) {
            "yes"
        } else {
            "**no**"
        };
        let _ = writeln!(out, "| {} | {limit} | {measured} | {verdict} |", c.what);
    }
    let _ = writeln!(out);
}

fn num(v: f64) -> String {
    if v.is_nan() {
        "-".to_owned()
    } else if v.abs() >= 1000.0 {
        format!("{v:.0}")
    } else if v.abs() >= 100.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

fn times(v: f64) -> String {
    if v.is_nan() {
        "-".to_owned()
    } else {
        format!("{v:.2}x")
    }
}

/// Whether the targets all hold (`None` when one could not be measured).
pub fn all_targets_met(results: &Results) -> Option<bool> {
    let checks = checks(results);
    if checks.iter().any(|c| c.measured.is_nan()) {
        return None;
    }
    Some(checks.iter().all(met))
}

fn met(c: &Check) -> bool {
    if c.at_most {
        c.measured <= c.limit
    } else {
        c.measured >= c.limit
    }
}

/// The report in markdown.
pub fn markdown(
    results: &Results,
    plan: &Plan,
    repeats: usize,
    context: &[(&str, String)],
    scaling: Option<&Scaling>,
) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Benchmark results\n");
    for (name, value) in context {
        let _ = writeln!(out, "- {name}: {value}");
    }
    let _ = writeln!(
        out,
        "- method: a fresh server per run pinned to its CPUs, the load generator on CPU 1; warm-up {:.1} s, \
         window {:.1} s; each cell is the median of {repeats} run(s); CPU is the server's utime+stime \
         from /proc/<pid>/stat over the window; ratios are ours / peer (for CPU and latency lower is \
         better, for rates higher is better)\n",
        plan.warmup.as_secs_f64(),
        plan.window.as_secs_f64()
    );
    let kinds = Kind::ALL;
    let _ = write!(out, "| workload | metric |");
    for k in kinds {
        let _ = write!(out, " {} |", k.title());
    }
    let _ = writeln!(
        out,
        " ours / Node | ours / socketioxide | ours / raw | ours in axum / ours |"
    );
    let _ = write!(out, "|---|---|");
    for _ in kinds {
        let _ = write!(out, "---:|");
    }
    let _ = writeln!(out, "---:|---:|---:|---:|");
    type Metric = (&'static str, Pick);
    for w in Workload::ALL {
        if !kinds.iter().any(|k| results.contains_key(&(w, *k))) {
            continue;
        }
        let rate_name = match w.op() {
            "msg" => "msgs/s",
            "delivery" => "deliveries/s",
            _ => "conns/s",
        };
        let mut metrics: Vec<(String, Pick)> = Vec::new();
        let base: [Metric; 3] = [
            ("p50 latency (us)", |s| s.p50_us),
            ("p99 latency (us)", |s| s.p99_us),
            ("server CPU (us)", |s| s.cpu_us),
        ];
        metrics.push((rate_name.to_owned(), |s| s.rate));
        for (name, f) in base {
            let name = if name == "server CPU (us)" {
                format!("server CPU per {} (us)", w.op())
            } else {
                name.to_owned()
            };
            metrics.push((name, f));
        }
        if w == Workload::Idle {
            metrics.push(("server RSS per conn (KiB)".to_owned(), |s| s.rss_kib));
        }
        for (i, (name, f)) in metrics.iter().enumerate() {
            let title = if i == 0 { w.title(plan) } else { String::new() };
            let _ = write!(out, "| {title} | {name} |");
            for k in kinds {
                let cell = get(results, w, k).map_or(f64::NAN, f);
                let _ = write!(out, " {} |", num(cell));
            }
            for peer in [Kind::Node, Kind::Socketioxide, Kind::RawWs] {
                let _ = write!(out, " {} |", times(ratio(results, w, peer, *f)));
            }
            let axum = get(results, w, Kind::OursAxum).map_or(f64::NAN, f);
            let ours = get(results, w, Kind::Ours).map_or(f64::NAN, f);
            let _ = write!(out, " {} |", times(axum / ours));
            let _ = writeln!(out);
        }
    }
    let _ = write!(
        out,
        "| JWT cost (auth churn - churn) | server CPU per conn (us) |"
    );
    for k in kinds {
        let _ = write!(out, " {} |", num(jwt_cost(results, k)));
    }
    let _ = writeln!(out, " | | | |\n");

    let mut problems = problems_of(results, "");
    if let Some(scaling) = scaling {
        problems.extend(problems_of(
            scaling.results,
            &format!(" (CPUs {})", scaling.scaled),
        ));
    }
    if !problems.is_empty() {
        let _ = writeln!(out, "Errors:\n");
        for p in problems {
            let _ = writeln!(out, "- {p}");
        }
        let _ = writeln!(out);
    }

    targets_table(&mut out, "Targets (issue 7)", checks(results));
    targets_table(
        &mut out,
        "Targets (issue 18: closer to the floor)",
        floor_checks(results, plan, scaling),
    );
    let p99 = |k| get(results, Workload::Fanout, k).map_or(f64::NAN, |s| s.p99_us / 1000.0);
    let _ = writeln!(
        out,
        "Fan-out p99 delivery latency: ours {} ms, socketioxide {} ms.",
        num(p99(Kind::Ours)),
        num(p99(Kind::Socketioxide))
    );
    match scaling {
        Some(scaling) => {
            let _ = writeln!(out);
            scaling_table(&mut out, results, scaling);
        }
        None => {
            let _ = writeln!(
                out,
                "The growth of CPU per message from one worker to all of them is measured with \
                 `--scale-cpus` (e.g. `--workloads echo-paced --scale-cpus 0,1`)."
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn summary(cpu_us: f64, rate: f64, p99_us: f64, rss_kib: f64) -> Summary {
        Summary {
            runs: 3,
            rate,
            p50_us: p99_us / 2.0,
            p99_us,
            cpu_us,
            rss_kib,
            ..Summary::default()
        }
    }

    /// The line of `table`'s target whose text starts with `what`.
    fn row<'a>(report: &'a str, table: &str, what: &str) -> &'a str {
        let section = report.split(table).nth(1).unwrap();
        section
            .lines()
            .find(|l| l.starts_with(&format!("| {what}")))
            .unwrap()
    }

    #[test]
    fn the_floor_targets_are_ratios_of_the_same_run() {
        let mut results = Results::new();
        results.insert((Workload::Echo1, Kind::Ours), summary(4.0, 1.0, 1.0, 0.0));
        results.insert((Workload::Echo1, Kind::RawWs), summary(3.5, 1.0, 1.0, 0.0));
        results.insert((Workload::Echo8, Kind::Ours), summary(1.2, 1.0, 1.0, 0.0));
        results.insert((Workload::Echo8, Kind::RawWs), summary(1.0, 1.0, 1.0, 0.0));
        results.insert(
            (Workload::Fanout, Kind::Ours),
            summary(1.0, 1.0, 8000.0, 0.0),
        );
        let sxd = summary(1.5, 1.0, 12_000.0, 0.0);
        results.insert((Workload::Fanout, Kind::Socketioxide), sxd);
        results.insert(
            (Workload::Polling, Kind::Ours),
            summary(1.0, 110.0, 1.0, 0.0),
        );
        let sxd = summary(1.0, 100.0, 1.0, 0.0);
        results.insert((Workload::Polling, Kind::Socketioxide), sxd);
        let plan = Plan::full();
        let report = markdown(&results, &plan, 3, &[], None);
        let floor = "Targets (issue 18";
        // 4.0 / 3.5 = 1.14 > 1.1; 1.2 / 1.0 <= 1.3; 1.0 / 1.5 = 0.67 <= 0.7; 1.1 < 1.2.
        assert!(row(&report, floor, "echo (1 in flight)").ends_with("| 1.14x | **no** |"));
        assert!(row(&report, floor, "echo (8 in flight)").ends_with("| 1.20x | yes |"));
        let fanout = row(&report, floor, "fan-out to 1000 receivers");
        assert!(fanout.ends_with("| 0.67x | yes |"), "{fanout}");
        assert!(row(&report, floor, "polling").ends_with("| >= 1.2x | 1.10x | **no** |"));
        // Not measured in this run: not judged.
        assert!(row(&report, floor, "idle").ends_with("| - | n/a |"));
        assert!(
            report.contains("Fan-out p99 delivery latency: ours 8.00 ms, socketioxide 12.00 ms")
        );
        // Issue 7's table is still there, before it.
        assert!(report.find("Targets (issue 7)").unwrap() < report.find(floor).unwrap());
    }

    #[test]
    fn scaled_runs_give_the_growth_of_the_paced_echo() {
        let mut results = Results::new();
        let mut scaled = Results::new();
        results.insert(
            (Workload::EchoPaced, Kind::Ours),
            summary(10.0, 1.0, 1.0, 0.0),
        );
        scaled.insert(
            (Workload::EchoPaced, Kind::Ours),
            summary(11.6, 1.0, 1.0, 0.0),
        );
        results.insert(
            (Workload::EchoPaced, Kind::RawWs),
            summary(8.0, 1.0, 1.0, 0.0),
        );
        scaled.insert(
            (Workload::EchoPaced, Kind::RawWs),
            summary(7.6, 1.0, 1.0, 0.0),
        );
        let plan = Plan::full();
        let scaling = Scaling {
            base: "0",
            scaled: "0,1",
            results: &scaled,
        };
        let report = markdown(&results, &plan, 3, &[], Some(&scaling));
        let check = row(
            &report,
            "Targets (issue 18",
            "echo at 40000 msgs/s offered: growth of server CPU/msg from CPUs 0 to 0,1",
        );
        // 11.6 / 10 = +16% > 15%.
        assert!(check.ends_with("| 16.00% | **no** |"), "{check}");
        let table = "Server CPU per operation: CPUs 0 against 0,1";
        assert!(row(&report, table, "echo-paced | ours").ends_with("| 10.00 | 11.60 | +16.0% |"));
        let raw = row(&report, table, "echo-paced | raw tungstenite");
        assert!(raw.ends_with("| 8.00 | 7.60 | -5.0% |"), "{raw}");
        // A paced fan-out measured on one side only cannot be judged.
        let fanout = row(
            &report,
            "Targets (issue 18",
            "fan-out at 40000 deliveries/s",
        );
        assert!(fanout.ends_with("| - | n/a |"), "{fanout}");
        // What failed on the scaled CPUs is listed with them.
        scaled.insert(
            (Workload::FanoutPaced, Kind::Socketioxide),
            Summary {
                failures: vec!["closed before the join ack".to_owned()],
                ..Summary::default()
            },
        );
        let scaling = Scaling {
            base: "0",
            scaled: "0,1",
            results: &scaled,
        };
        let report = markdown(&results, &plan, 3, &[], Some(&scaling));
        assert!(report.contains(
            "- fanout-paced on socketioxide (CPUs 0,1): 0 failed operations; run failed: closed \
             before the join ack"
        ));
        // Without scaled runs there is no such line.
        let plain = markdown(&results, &plan, 3, &[], None);
        assert!(!plain.contains("growth of server CPU/msg"));
    }

    #[test]
    fn only_the_jwt_cost_reads_a_value_below_zero_as_noise() {
        let mut results = Results::new();
        let mut scaled = Results::new();
        results.insert(
            (Workload::AuthChurn, Kind::Ours),
            summary(70.0, 1.0, 1.0, 0.0),
        );
        results.insert((Workload::Churn, Kind::Ours), summary(72.5, 1.0, 1.0, 0.0));
        results.insert(
            (Workload::EchoPaced, Kind::Ours),
            summary(10.0, 1.0, 1.0, 0.0),
        );
        scaled.insert(
            (Workload::EchoPaced, Kind::Ours),
            summary(9.5, 1.0, 1.0, 0.0),
        );
        let scaling = Scaling {
            base: "0",
            scaled: "0,1",
            results: &scaled,
        };
        let report = markdown(&results, &Plan::full(), 3, &[], Some(&scaling));
        let jwt = row(&report, "Targets (issue 7)", "auth churn: JWT");
        assert!(
            jwt.ends_with("| -2.50 us (below the noise of the two churn runs) | yes |"),
            "{jwt}"
        );
        let growth = row(&report, "Targets (issue 18", "echo at 40000 msgs/s offered");
        assert!(growth.ends_with("| -5.00% | yes |"), "{growth}");
    }
}
