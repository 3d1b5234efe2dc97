//! Every Socket.IO check against the Node reference server (npm `socket.io`, pinned in
//! `tests/peer/package-lock.json`, run as `tests/peer/sio-server.js`), so the checks themselves
//! are proven against the reference.
//!
//! Needs `node` and `tests/peer/node_modules` (`npm ci --prefix tests/peer`); without them the
//! test prints why and passes, unless `REQUIRE_ALL=1`, where it fails.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use conformance::check::Outcome;
use conformance::sio;
use conformance::target::Target;

/// Checks the reference server itself fails, and why. Each is a place where Node deviates from
/// what the spec (or plain integer arithmetic) requires; ours must pass them.
const NODE_DEVIATIONS: &[(&str, &str)] = &[
    (
        "sio.bad.ack-id-overflow",
        "socket.io-parser reads the ack id as a double: 2^64 is acknowledged as \
         18446744073709552000",
    ),
    (
        "sio.bad.event-without-payload",
        "socket.io-parser validates a payload only when there is one: `42` is dispatched as an \
         event without a name instead of closing (the spec: the payload is mandatory)",
    ),
];

/// Kills the peer when the test ends, however it ends.
struct Peer(Child);

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn skip_or_fail(why: &str) {
    if std::env::var("REQUIRE_ALL").is_ok_and(|v| v == "1") {
        panic!("REQUIRE_ALL=1 but {why}");
    }
    eprintln!("SKIPPED sio_node_peer: {why}");
}

fn peer_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("peer")
}

/// Starts `node sio-server.js --port 0` and returns it with the port it printed.
fn start_peer() -> Result<(Peer, u16), String> {
    let mut child = Command::new("node")
        .arg("sio-server.js")
        .args(["--port", "0"])
        .current_dir(peer_dir())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cannot run node: {e}"))?;
    let stdout = child.stdout.take().ok_or("no stdout from node")?;
    let peer = Peer(child);
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx
        .recv_timeout(Duration::from_secs(15))
        .map_err(|_| "the Node peer did not say where it listens".to_string())?;
    let port = line
        .trim()
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .ok_or_else(|| format!("unexpected first line from the Node peer: {line:?}"))?;
    Ok((peer, port))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_socketio_check_passes_against_the_node_reference_server() {
    if Command::new("node").arg("--version").output().is_err() {
        return skip_or_fail("`node` is not installed");
    }
    if !peer_dir().join("node_modules/socket.io").is_dir() {
        return skip_or_fail(
            "tests/peer/node_modules/socket.io is missing (run `npm ci --prefix tests/peer`)",
        );
    }
    let (peer, port) = match start_peer() {
        Ok(started) => started,
        Err(why) => panic!("{why}"),
    };
    let target = match Target::parse(&format!("http://127.0.0.1:{port}/socket.io/")) {
        Ok(target) => target,
        Err(e) => panic!("{e}"),
    };
    let report = sio::run(sio::Config::new(target), &sio::checks()).await;
    drop(peer);

    let mut summary = Vec::new();
    let _ = report.write_summary(&mut summary);
    println!("{}", String::from_utf8_lossy(&summary));
    let unexpected: Vec<&str> = report
        .failures()
        .into_iter()
        .filter(|name| !NODE_DEVIATIONS.iter().any(|(d, _)| d == name))
        .collect();
    if !unexpected.is_empty() {
        let mut transcripts = Vec::new();
        let _ = report.write_transcripts(&mut transcripts, |o| matches!(o, Outcome::Failed(_)));
        println!("{}", String::from_utf8_lossy(&transcripts));
    }
    for (name, why) in NODE_DEVIATIONS {
        let failed = report.failures().contains(name);
        println!(
            "known Node deviation {name}: {} ({why})",
            if failed {
                "fails as expected"
            } else {
                "now passes"
            }
        );
    }
    assert_eq!(
        unexpected,
        Vec::<&str>::new(),
        "checks failed against the Node reference server"
    );
    assert_eq!(
        report.skipped(),
        0,
        "every check should run against the peer"
    );
}
