//! Every Engine.IO check against the Node reference server (npm `engine.io`, pinned in
//! `tests/peer/package-lock.json`), so the checks themselves are proven against the reference.
//!
//! Needs `node` and `tests/peer/node_modules` (`npm ci --prefix tests/peer`); without them the
//! test prints why and passes, unless `REQUIRE_ALL=1`, where it fails.

mod common;

use std::time::Duration;

use conformance::eio;
use conformance::target::Target;

/// Checks the reference server itself fails, and why. Each is a place where Node deviates from
/// what protocol.md (or RFC-level HTTP hygiene) requires; ours must pass them.
const NODE_DEVIATIONS: &[(&str, &str)] = &[
    (
        "polling.post-over-max-payload-closes",
        "engine.io answers 413 but keeps the session open",
    ),
    (
        "close.websocket",
        "engine.io ignores a close packet on WebSocket (the test suite passes by ping timeout)",
    ),
    (
        "close.polling-concurrent-post-first",
        "engine.io closes the session as soon as it reads the close POST: a GET it reads after \
         that gets 400 code 1 instead of the noop (the test suite's fetch sends the GET on the \
         kept-alive connection, so Node reads it first and passes)",
    ),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_engineio_check_passes_against_the_node_reference_server() {
    if let Some(why) = common::missing_node("engine.io") {
        return common::skip_or_fail("eio_node_peer", &why);
    }
    let (peer, port) = match common::start_peer("echo.js") {
        Ok(started) => started,
        Err(why) => panic!("{why}"),
    };
    let target = match Target::parse(&format!("http://127.0.0.1:{port}/engine.io/")) {
        Ok(target) => target,
        Err(e) => panic!("{e}"),
    };
    let mut config = eio::Config::new(target);
    config.cors = true;
    config.forbidden_query = Some("forbidden=1".to_string());
    config.slow_header_limit = Duration::from_secs(8);
    config.ping_timeout = common::PEER_PING_TIMEOUT;

    let report = eio::run(config, &eio::checks()).await;
    drop(peer);

    common::assert_only_known_deviations(&report, NODE_DEVIATIONS);
}
