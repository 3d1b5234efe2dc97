//! Every Engine.IO check against OUR echo server (`test_servers::echo`), started in-process,
//! through each front door: the built-in server, and the endpoint's tower service in an axum
//! `Router` on hyper.
//!
//! A failure prints the failing checks' wire conversations: that is the bug report.

mod common;

use std::time::Duration;

use conformance::eio;
use conformance::target::Target;
use test_servers::front::Front;
use test_servers::listen::Listen;

/// Checks our server fails today (always, or now and then where the bug is a race), each a
/// server bug with its fix under way; remove an entry when its fix lands (the test prints "now
/// passes" for it).
const PENDING_SERVER_FIXES: &[(&str, &str)] = &[];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_engineio_check_passes_against_our_echo_server() {
    every_check_passes(Front::Builtin).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_engineio_check_passes_against_our_echo_server_in_axum() {
    every_check_passes(Front::Axum).await;
}

async fn every_check_passes(front: Front) {
    let server = match test_servers::echo::start_on(&Listen::local(front)).await {
        Ok(server) => server,
        Err(e) => panic!("could not start the echo server: {e}"),
    };
    let url = format!("http://{}/engine.io/", server.local_addr());
    let target = match Target::parse(&url) {
        Ok(target) => target,
        Err(e) => panic!("{e}"),
    };
    let mut config = eio::Config::new(target);
    config.cors = true;
    config.forbidden_query = Some("forbidden=1".into());
    // The echo server drops a client that is still sending headers after 5 s.
    config.slow_header_limit = Duration::from_secs(8);

    let report = eio::run(config, &eio::checks()).await;
    server.shutdown().await;

    common::assert_only_known_deviations(&report, PENDING_SERVER_FIXES);
    assert!(
        report.passed() > 40,
        "too few checks ran: {}",
        report.passed()
    );
}
