//! `conformance`: runs the protocol checks against a server and prints one line per check.
//!
//! ```text
//! cargo run -p conformance -- --eio-url http://127.0.0.1:3000/engine.io/
//! cargo run -p conformance -- --sio-url http://127.0.0.1:3000/socket.io/
//! ```
//!
//! Both URLs may be given: each runs its own checks, and one total ends the report.
//! `--list` prints the check names, `--only` selects checks by name, `--junit FILE` also writes
//! the report as JUnit XML.
//!
//! Exit status: 0 when every check that ran passed (and `--list`), 1 when one failed, 2 on a
//! usage error or when the report could not be written.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use conformance::check::{Outcome, Report};
use conformance::eio;
use conformance::eio3;
use conformance::junit;
use conformance::sio;
use conformance::target::Target;

const USAGE: &str = "\
usage: conformance [--eio-url URL] [--sio-url URL] [options]

  --eio-url URL             Engine.IO echo endpoint, e.g. http://127.0.0.1:3000/engine.io/
  --sio-url URL             Socket.IO conformance endpoint, e.g. http://127.0.0.1:3000/socket.io/
  --connect-timeout MS      Socket.IO connectTimeout of the server (default 1000)
  --only PATTERN            run only checks whose name contains PATTERN (repeatable;
                            a comma-separated list counts as several)
  --list                    print the check names (after --only), one per line, and exit
  --junit FILE              also write the report as JUnit XML to FILE
  --ping-interval MS        pingInterval the server must advertise (default 300)
  --ping-timeout MS         pingTimeout the server must advertise (default 200)
  --max-payload BYTES       maxPayload the server must advertise (default 1000000)
  --slack MS                how late the server may act on a timer (default 3000)
  --slow-header-limit SECS  how long a one-byte-per-second client may stay (default 15)
  --cors                    check CORS (any origin, preflight)
  --forbidden-query QUERY   a query the server refuses with code 4 (e.g. forbidden=1)
  --parallel N              how many checks run at once (default 8)
  --transcripts             print the wire conversation of failed checks on stderr
  --all-transcripts         print the wire conversation of every check on stderr
  --recovery-ms MS          the server has connection state recovery on with this window: run
                            the sio.recovery checks instead of the other Socket.IO checks
  --parser json|msgpack     the parser the server speaks (default json); msgpack (npm
                            socket.io-msgpack-parser) runs the sio.msgpack checks instead
  --eio 3                   the server takes Engine.IO v3 clients (socket.io-client 2.x; Node's
                            allowEIO3): run the eio3 checks against --sio-url instead of the
                            Socket.IO checks (--list then lists them in their place)
";

struct Options {
    eio: Option<eio::Config>,
    sio: Option<sio::Config>,
    /// `--eio 3`: the v3 checks run against the Socket.IO endpoint.
    eio3: bool,
    parallel: usize,
    only: Vec<String>,
    list: bool,
    junit: Option<PathBuf>,
    transcripts: Transcripts,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Transcripts {
    None,
    Failed,
    All,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut url = None;
    let mut sio_url = None;
    let mut connect_timeout = None;
    let mut only = Vec::new();
    let mut list = false;
    let mut junit = None;
    let mut transcripts = Transcripts::None;
    let mut ping_interval = None;
    let mut ping_timeout = None;
    let mut max_payload = None;
    let mut slack = None;
    let mut slow_header_limit = None;
    let mut cors = false;
    let mut forbidden_query = None;
    let mut recovery = None;
    let mut parser = sio::Parser::Json;
    let mut eio3 = false;
    let mut parallel = eio::DEFAULT_PARALLEL;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        let number = |name: &str, v: String| {
            v.parse::<u64>()
                .map_err(|_| format!("{name} needs a number, got {v:?}"))
        };
        match arg.as_str() {
            "--eio-url" => url = Some(value("--eio-url")?),
            "--sio-url" => sio_url = Some(value("--sio-url")?),
            "--connect-timeout" => connect_timeout = Some(number(arg, value(arg)?)?),
            "--only" => {
                let patterns = value(arg)?;
                only.extend(
                    patterns
                        .split(',')
                        .map(str::trim)
                        .filter(|p| !p.is_empty())
                        .map(str::to_string),
                );
            }
            "--list" => list = true,
            "--junit" => junit = Some(PathBuf::from(value(arg)?)),
            "--ping-interval" => ping_interval = Some(number(arg, value(arg)?)?),
            "--ping-timeout" => ping_timeout = Some(number(arg, value(arg)?)?),
            "--max-payload" => max_payload = Some(number(arg, value(arg)?)?),
            "--slack" => slack = Some(number(arg, value(arg)?)?),
            "--slow-header-limit" => slow_header_limit = Some(number(arg, value(arg)?)?),
            "--cors" => cors = true,
            "--parallel" => parallel = number(arg, value(arg)?)? as usize,
            "--forbidden-query" => forbidden_query = Some(value(arg)?),
            "--recovery-ms" => recovery = Some(number(arg, value(arg)?)?),
            "--parser" => {
                parser = match value(arg)?.as_str() {
                    "json" => sio::Parser::Json,
                    "msgpack" => sio::Parser::MsgPack,
                    other => return Err(format!("--parser json|msgpack, not {other:?}")),
                }
            }
            "--eio" => match value(arg)?.as_str() {
                "3" => eio3 = true,
                "4" => eio3 = false,
                other => return Err(format!("--eio needs 3 or 4, got {other:?}")),
            },
            "--transcripts" => transcripts = Transcripts::Failed,
            "--all-transcripts" => transcripts = Transcripts::All,
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    let eio = match url {
        Some(url) => {
            let target = Target::parse(&url).map_err(|e| e.to_string())?;
            let mut config = eio::Config::new(target);
            if let Some(ms) = ping_interval {
                config.ping_interval = Duration::from_millis(ms);
            }
            if let Some(ms) = ping_timeout {
                config.ping_timeout = Duration::from_millis(ms);
            }
            if let Some(bytes) = max_payload {
                config.max_payload = bytes;
            }
            if let Some(ms) = slack {
                config.slack = Duration::from_millis(ms);
            }
            if let Some(secs) = slow_header_limit {
                config.slow_header_limit = Duration::from_secs(secs);
            }
            config.cors = cors;
            config.forbidden_query = forbidden_query;
            Some(config)
        }
        None => None,
    };
    let sio = match sio_url {
        Some(url) => {
            let target = Target::parse(&url).map_err(|e| e.to_string())?;
            let mut config = sio::Config::new(target);
            if let Some(ms) = connect_timeout {
                config.connect_timeout = Duration::from_millis(ms);
            }
            if let Some(ms) = ping_interval {
                config.ping_interval = Duration::from_millis(ms);
            }
            if let Some(ms) = ping_timeout {
                config.ping_timeout = Duration::from_millis(ms);
            }
            if let Some(bytes) = max_payload {
                config.max_payload = bytes;
            }
            if let Some(ms) = slack {
                config.slack = Duration::from_millis(ms);
            }
            config.recovery = recovery.map(Duration::from_millis);
            config.parser = parser;
            if config.recovery.is_some() && parser == sio::Parser::MsgPack {
                return Err(
                    "--recovery-ms and --parser msgpack select different checks: give one".into(),
                );
            }
            Some(config)
        }
        None => None,
    };
    if eio.is_none() && sio.is_none() && !list {
        return Err("nothing to check: give --eio-url and/or --sio-url".to_string());
    }
    if eio3 && sio.is_none() && !list {
        return Err("--eio 3 needs --sio-url (the checks join Socket.IO namespaces)".to_string());
    }
    Ok(Options {
        eio,
        sio,
        eio3,
        parallel,
        only,
        list,
        junit,
        transcripts,
    })
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let options = match parse(&args) {
        Ok(options) => options,
        Err(why) => {
            if !why.is_empty() {
                eprintln!("conformance: {why}");
            }
            eprint!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    if options.list {
        for check in eio::select(&options.only) {
            println!("{}", check.name);
        }
        // With `--eio 3`, the v3 checks take the place of the Socket.IO checks.
        if options.eio3 {
            for check in eio3::select(&options.only) {
                println!("{}", check.name);
            }
            return ExitCode::SUCCESS;
        }
        for check in sio::select(&options.only) {
            println!("{}", check.name);
        }
        for check in sio::select_recovery(&options.only) {
            println!("{}", check.name);
        }
        for check in sio::select_msgpack(&options.only) {
            println!("{}", check.name);
        }
        return ExitCode::SUCCESS;
    }
    let mut eio_report = Report::default();
    if let Some(config) = options.eio {
        eio_report = eio::run_with(config, &eio::select(&options.only), options.parallel).await;
    }
    let mut sio_report = Report::default();
    if let Some(config) = options.sio.as_ref().filter(|_| options.eio3) {
        let mut engine = eio::Config::new(config.target.clone());
        engine.ping_interval = config.ping_interval;
        engine.ping_timeout = config.ping_timeout;
        engine.slack = config.slack;
        let checks = eio3::select(&options.only);
        sio_report = eio3::run_with(engine, &checks, options.parallel).await;
    } else if let Some(config) = options.sio.clone() {
        let checks = match (config.recovery, config.parser) {
            (Some(_), _) => sio::select_recovery(&options.only),
            (None, sio::Parser::MsgPack) => sio::select_msgpack(&options.only),
            (None, sio::Parser::Json) => sio::select(&options.only),
        };
        sio_report = sio::run_with(config, &checks, options.parallel).await;
    }
    let mut report = eio_report.clone();
    report.extend(sio_report.clone());
    let mut stdout = io::stdout().lock();
    let mut stderr = io::stderr().lock();
    let written = report
        .write_summary(&mut stdout)
        .and_then(|()| stdout.flush());
    let transcripts = match options.transcripts {
        Transcripts::None => Ok(()),
        Transcripts::Failed => {
            report.write_transcripts(&mut stderr, |o| matches!(o, Outcome::Failed(_)))
        }
        Transcripts::All => report.write_transcripts(&mut stderr, |_| true),
    };
    if let Some(path) = &options.junit {
        let suites = [
            junit::Suite {
                name: "engineio",
                report: &eio_report,
            },
            junit::Suite {
                name: "socketio",
                report: &sio_report,
            },
        ];
        if let Err(e) = write_junit(path, &suites) {
            eprintln!("conformance: cannot write {}: {e}", path.display());
            return ExitCode::from(2);
        }
    }
    if written.is_err() || transcripts.is_err() {
        return ExitCode::from(2);
    }
    if report.failed() == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Writes the JUnit XML report to `path` (a suite given no URL has no test cases).
fn write_junit(path: &Path, suites: &[junit::Suite<'_>]) -> io::Result<()> {
    let mut out = BufWriter::new(File::create(path)?);
    junit::write(&mut out, suites)?;
    out.flush()
}
