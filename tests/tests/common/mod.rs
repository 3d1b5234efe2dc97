//! What the tests that run the checks share: starting a Node reference server (a peer)
//! from `tests/peer/`, skipping (or failing under `REQUIRE_ALL=1`) without Node, and judging a
//! report against the peer's known deviations.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use conformance::check::{Outcome, Report};

/// Kills the peer when the test ends, however it ends.
pub struct Peer(Child);

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Why `test` cannot run: skipped with the reason, or a failure when `REQUIRE_ALL=1`.
pub fn skip_or_fail(test: &str, why: &str) {
    if std::env::var("REQUIRE_ALL").is_ok_and(|v| v == "1") {
        panic!("REQUIRE_ALL=1 but {why}");
    }
    eprintln!("SKIPPED {test}: {why}");
}

/// `tests/peer/`.
pub fn peer_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("peer")
}

/// Why the Node peer with `package` cannot run here, if it cannot.
pub fn missing_node(package: &str) -> Option<String> {
    if Command::new("node").arg("--version").output().is_err() {
        return Some("`node` is not installed".into());
    }
    if !peer_dir().join("node_modules").join(package).is_dir() {
        return Some(format!(
            "tests/peer/node_modules/{package} is missing (run `npm ci --prefix tests/peer`)"
        ));
    }
    None
}

/// The pingTimeout the Node peers run with here: after a pause of the process (a busy machine)
/// Node runs its timers before it reads a pong that arrived in time, so 200 ms would close
/// sessions whose client answered at once. Below the Socket.IO peer's connectTimeout (1000 ms)
/// less its pingInterval (300 ms), so the engine checks on `/socket.io/` still see the ping
/// timeout first.
pub const PEER_PING_TIMEOUT: Duration = Duration::from_millis(600);

/// Starts `node <script> --port 0 --ping-timeout` [`PEER_PING_TIMEOUT`] in `tests/peer/` and
/// returns it with the port it printed.
pub fn start_peer(script: &str) -> Result<(Peer, u16), String> {
    start_peer_with(script, &[])
}

/// [`start_peer`] with more flags for the script (e.g. `--allow-eio3`, `--parser msgpack`).
pub fn start_peer_with(script: &str, flags: &[&str]) -> Result<(Peer, u16), String> {
    let ping_timeout = PEER_PING_TIMEOUT.as_millis().to_string();
    let mut child = Command::new("node")
        .arg(script)
        .args(["--port", "0", "--ping-timeout", &ping_timeout])
        .args(flags)
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

/// Prints the report and asserts that the server failed no check but its known `deviations`
/// (name, why), and skipped none.
pub fn assert_only_known_deviations(report: &Report, deviations: &[(&str, &str)]) {
    let mut summary = Vec::new();
    let _ = report.write_summary(&mut summary);
    println!("{}", String::from_utf8_lossy(&summary));
    let unexpected: Vec<&str> = report
        .failures()
        .into_iter()
        .filter(|name| !deviations.iter().any(|(d, _)| d == name))
        .collect();
    if !unexpected.is_empty() {
        let mut transcripts = Vec::new();
        let _ = report.write_transcripts(&mut transcripts, |o| matches!(o, Outcome::Failed(_)));
        println!("{}", String::from_utf8_lossy(&transcripts));
    }
    for (name, why) in deviations {
        let failed = report.failures().contains(name);
        let state = if failed {
            "fails as expected"
        } else {
            "now passes"
        };
        println!("known failure {name}: {state} ({why})");
    }
    assert_eq!(
        unexpected,
        Vec::<&str>::new(),
        "checks failed that are not known failures of this server"
    );
    assert_eq!(
        report.skipped(),
        0,
        "every check should run against this server"
    );
}

/// A WebSocket client of `target` past the Engine.IO handshake (its open packet read). The
/// conformance crate's client: it reads only when asked, so a test can leave what the server
/// sends unread.
pub async fn websocket(target: &conformance::target::Target) -> conformance::ws::WebSocket {
    use conformance::ws::{Event, Opening, WebSocket};
    let log = conformance::transcript::Transcript::new();
    let Opening::Open(mut ws) = WebSocket::connect(target, "?EIO=4&transport=websocket", &log)
        .await
        .expect("the WebSocket connects")
    else {
        panic!("the upgrade was refused");
    };
    match ws
        .recv(Duration::from_secs(10))
        .await
        .expect("an open packet")
    {
        Event::Text(open) if open.starts_with("0{") => ws,
        other => panic!("not an open packet: {other:?}"),
    }
}
