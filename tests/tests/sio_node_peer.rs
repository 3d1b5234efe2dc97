//! Every Socket.IO check against the Node reference server (npm `socket.io`, pinned in
//! `tests/peer/package-lock.json`, run as `tests/peer/sio-server.js`), so the checks themselves
//! are proven against the reference.
//!
//! Needs `node` and `tests/peer/node_modules` (`npm ci --prefix tests/peer`); without them the
//! test prints why and passes, unless `REQUIRE_ALL=1`, where it fails.

mod common;

use conformance::sio;
use conformance::target::Target;

/// Checks the reference server itself fails, and why. Each is a place where Node deviates from
/// what the spec (or plain integer arithmetic) requires; ours must pass them.
const NODE_DEVIATIONS: &[(&str, &str)] = &[
    (
        "sio.engine.close-websocket",
        "engine.io ignores a close packet on WebSocket (the test suite passes by connectTimeout \
         or ping timeout)",
    ),
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

/// Starts the reference server with `flags`; gives it (stopped when dropped) and the runner's
/// configuration for it.
fn start_reference(flags: &[&str]) -> (common::Peer, sio::Config) {
    let (peer, port) = match common::start_peer_with("sio-server.js", flags) {
        Ok(started) => started,
        Err(why) => panic!("{why}"),
    };
    let target = match Target::parse(&format!("http://127.0.0.1:{port}/socket.io/")) {
        Ok(target) => target,
        Err(e) => panic!("{e}"),
    };
    let mut config = sio::Config::new(target);
    config.ping_timeout = common::PEER_PING_TIMEOUT;
    (peer, config)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_socketio_check_passes_against_the_node_reference_server() {
    if let Some(why) = common::missing_node("socket.io") {
        return common::skip_or_fail("sio_node_peer", &why);
    }
    let (peer, config) = start_reference(&[]);
    let report = sio::run(config, &sio::checks()).await;
    drop(peer);

    common::assert_only_known_deviations(&report, NODE_DEVIATIONS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_msgpack_check_passes_against_the_node_reference_server() {
    if let Some(why) = common::missing_node("socket.io-msgpack-parser") {
        return common::skip_or_fail("sio_node_peer msgpack", &why);
    }
    let (peer, mut config) = start_reference(&["--parser", "msgpack"]);
    config.parser = sio::Parser::MsgPack;
    let report = sio::run(config, &sio::msgpack_checks()).await;
    drop(peer);

    common::assert_only_known_deviations(&report, &[]);
    assert_eq!(
        report.passed(),
        sio::msgpack_checks().len(),
        "every check should pass"
    );
}
