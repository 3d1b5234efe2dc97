//! A table of named checks, the runner that runs them concurrently, and the report.
//!
//! A check is an `async fn(Ctx) -> CheckResult`: `Ok(())` when the server behaved,
//! `Err(Failure::Failed(why))` when it did not, `Err(Failure::Skipped(why))` when the check does
//! not apply to this server (an optional feature it was not asked to test).

use std::fmt;
use std::future::Future;
use std::io::{self, Write};
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

use crate::http::WireError;
use crate::transcript::Transcript;

/// Why a check did not pass.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Failure {
    /// The server did something the protocol does not allow (or nothing when it should have).
    Failed(String),
    /// The check does not apply to this server; the reason says which option would enable it.
    Skipped(String),
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Failed(why) => write!(f, "{why}"),
            Failure::Skipped(why) => write!(f, "skipped: {why}"),
        }
    }
}

impl From<WireError> for Failure {
    fn from(e: WireError) -> Self {
        Failure::Failed(e.to_string())
    }
}

/// What a check returns.
pub type CheckResult = Result<(), Failure>;

/// A running check.
pub type CheckFuture = Pin<Box<dyn Future<Output = CheckResult> + Send>>;

/// Returns early with [`Failure::Failed`] and a formatted message.
#[macro_export]
macro_rules! fail {
    ($($arg:tt)*) => {
        return Err($crate::check::Failure::Failed(format!($($arg)*)))
    };
}

/// Fails with a formatted message unless `cond` holds.
#[macro_export]
macro_rules! ensure {
    ($cond:expr, $($arg:tt)*) => {
        if !$cond {
            $crate::fail!($($arg)*);
        }
    };
}

/// One named check over a context `C` (the protocol's client).
pub struct Check<C> {
    /// A stable kebab-case name, `group.behaviour` (used by `--only` and in the report).
    pub name: &'static str,
    /// Runs the check.
    pub run: fn(C) -> CheckFuture,
    /// A check that mostly waits (seconds): it starts at once, outside the concurrency limit.
    pub long: bool,
}

impl<C> Clone for Check<C> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<C> Copy for Check<C> {}

impl<C> fmt::Debug for Check<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Check").field("name", &self.name).finish()
    }
}

/// How one check ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The server behaved.
    Passed,
    /// The server misbehaved; why.
    Failed(String),
    /// The check did not apply; why.
    Skipped(String),
}

/// One line of the report, with the wire conversation behind it.
#[derive(Debug, Clone)]
pub struct CheckReport {
    /// The check's name.
    pub name: &'static str,
    /// How it ended.
    pub outcome: Outcome,
    /// How long it took.
    pub elapsed: Duration,
    /// Every byte exchanged, as transcript lines.
    pub transcript: Vec<String>,
}

/// The results of a run, in table order.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// One entry per check that ran.
    pub checks: Vec<CheckReport>,
}

impl Report {
    /// How many checks passed.
    pub fn passed(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Passed))
    }

    /// How many checks failed.
    pub fn failed(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Failed(_)))
    }

    /// How many checks were skipped.
    pub fn skipped(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Skipped(_)))
    }

    /// The names of the failed checks.
    pub fn failures(&self) -> Vec<&'static str> {
        self.checks
            .iter()
            .filter(|c| matches!(c.outcome, Outcome::Failed(_)))
            .map(|c| c.name)
            .collect()
    }

    fn count(&self, pred: impl Fn(&Outcome) -> bool) -> usize {
        self.checks.iter().filter(|c| pred(&c.outcome)).count()
    }

    /// Appends another report (another protocol's checks).
    pub fn extend(&mut self, other: Report) {
        self.checks.extend(other.checks);
    }

    /// One line per check (`ok   name`, `FAIL name: reason`, `skip name: reason`), then
    /// `N passed, N failed`.
    pub fn write_summary(&self, out: &mut impl Write) -> io::Result<()> {
        for check in &self.checks {
            match &check.outcome {
                Outcome::Passed => writeln!(out, "ok   {}", check.name)?,
                Outcome::Failed(why) => writeln!(out, "FAIL {}: {why}", check.name)?,
                Outcome::Skipped(why) => writeln!(out, "skip {}: {why}", check.name)?,
            }
        }
        writeln!(out, "{} passed, {} failed", self.passed(), self.failed())
    }

    /// The wire conversation of every check whose outcome `pred` selects.
    pub fn write_transcripts(
        &self,
        out: &mut impl Write,
        pred: impl Fn(&Outcome) -> bool,
    ) -> io::Result<()> {
        for check in self.checks.iter().filter(|c| pred(&c.outcome)) {
            writeln!(
                out,
                "--- {} ({:?}, {} ms)",
                check.name,
                check.outcome,
                check.elapsed.as_millis()
            )?;
            for line in &check.transcript {
                writeln!(out, "{line}")?;
            }
        }
        Ok(())
    }
}

/// Runs `checks` concurrently, at most `parallel` at a time (long checks start at once, outside
/// that limit), each with its own transcript and a context made by `make_ctx`, each bounded by
/// `limit`. Results come back in table order.
///
/// The limit matters: timing checks measure a server that dozens of simultaneous sessions would
/// slow down.
pub async fn run_all<C>(
    checks: &[Check<C>],
    make_ctx: impl Fn(Transcript) -> C,
    limit: Duration,
    parallel: usize,
) -> Report
where
    C: Send + 'static,
{
    let permits = Arc::new(Semaphore::new(parallel.max(1)));
    let mut running = Vec::new();
    for check in checks {
        let log = Transcript::new();
        let future = (check.run)(make_ctx(log.clone()));
        let permits = permits.clone();
        let long = check.long;
        let handle = tokio::spawn(async move {
            let _permit = if long {
                None
            } else {
                permits.acquire_owned().await.ok()
            };
            let started = Instant::now();
            let result = tokio::time::timeout(limit, future).await;
            (result, started.elapsed())
        });
        running.push((check.name, log, handle));
    }
    let mut report = Report::default();
    for (name, log, handle) in running {
        let (outcome, elapsed) = match handle.await {
            Ok((Ok(Ok(())), elapsed)) => (Outcome::Passed, elapsed),
            Ok((Ok(Err(Failure::Failed(why))), elapsed)) => (Outcome::Failed(why), elapsed),
            Ok((Ok(Err(Failure::Skipped(why))), elapsed)) => (Outcome::Skipped(why), elapsed),
            Ok((Err(_), elapsed)) => (
                Outcome::Failed(format!("did not finish within {} ms", limit.as_millis())),
                elapsed,
            ),
            Err(e) => (
                Outcome::Failed(format!("the check itself crashed: {e}")),
                Duration::ZERO,
            ),
        };
        report.checks.push(CheckReport {
            name,
            outcome,
            elapsed,
            transcript: log.lines(),
        });
    }
    report
}

/// One entry of a check table: `check!("area.name", module::function)`, with `long` for checks
/// that wait on timeouts (run outside the concurrency limit).
macro_rules! check {
    ($name:literal, $f:path) => {
        $crate::check::Check {
            name: $name,
            run: |ctx| Box::pin($f(ctx)),
            long: false,
        }
    };
    ($name:literal, $f:path, long) => {
        $crate::check::Check {
            name: $name,
            run: |ctx| Box::pin($f(ctx)),
            long: true,
        }
    };
}
pub(crate) use check;

#[cfg(test)]
mod tests {
    use super::*;

    fn passes(_: ()) -> CheckFuture {
        Box::pin(async { Ok(()) })
    }

    fn fails(_: ()) -> CheckFuture {
        Box::pin(async {
            fail!("expected {}, got {}", 1, 2);
        })
    }

    fn skips(_: ()) -> CheckFuture {
        Box::pin(async { Err(Failure::Skipped("not configured".into())) })
    }

    fn hangs(_: ()) -> CheckFuture {
        Box::pin(async {
            tokio::time::sleep(Duration::from_secs(60)).await;
            Ok(())
        })
    }

    #[tokio::test]
    async fn report_has_one_line_per_check_and_a_total() {
        let checks = [
            Check {
                name: "a.passes",
                run: passes,
                long: false,
            },
            Check {
                name: "b.fails",
                run: fails,
                long: false,
            },
            Check {
                name: "c.skips",
                run: skips,
                long: false,
            },
            Check {
                name: "d.hangs",
                run: hangs,
                long: true,
            },
        ];
        let report = run_all(&checks, |_| (), Duration::from_millis(50), 1).await;
        let mut out = Vec::new();
        report
            .write_summary(&mut out)
            .unwrap_or_else(|e| panic!("{e}"));
        let text = String::from_utf8(out).unwrap_or_default();
        assert_eq!(
            text,
            "ok   a.passes\nFAIL b.fails: expected 1, got 2\nskip c.skips: not configured\n\
             FAIL d.hangs: did not finish within 50 ms\n1 passed, 2 failed\n"
        );
        assert_eq!(report.failures(), vec!["b.fails", "d.hangs"]);
    }
}
