//! Every Socket.IO check against OUR conformance server (`test_servers::conformance`), started
//! in-process, through each front door: the built-in server, and the endpoint's tower service in
//! an axum `Router` on hyper.
//!
//! A failure prints the failing checks' wire conversations: that is the bug report.

mod common;

use conformance::sio;
use conformance::target::Target;
use test_servers::front::Front;
use test_servers::listen::Listen;

/// Checks our server fails today, each a server bug with its fix under way; remove an entry when
/// its fix lands (the test prints "now passes" for it).
const PENDING_SERVER_FIXES: &[(&str, &str)] = &[];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_socketio_check_passes_against_our_conformance_server() {
    every_check_passes(Front::Builtin).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_socketio_check_passes_against_our_conformance_server_in_axum() {
    every_check_passes(Front::Axum).await;
}

async fn every_check_passes(front: Front) {
    let auth = test_servers::auth_options::AuthOptions::default();
    let server = match test_servers::conformance::start_on(
        &Listen::local(front),
        &auth,
        &Default::default(),
    )
    .await
    {
        Ok(server) => server,
        Err(e) => panic!("could not start the conformance server: {e}"),
    };
    let url = format!("http://{}/socket.io/", server.local_addr());
    let target = match Target::parse(&url) {
        Ok(target) => target,
        Err(e) => panic!("{e}"),
    };
    let report = sio::run(sio::Config::new(target), &sio::checks()).await;
    server.shutdown().await;

    common::assert_only_known_deviations(&report, PENDING_SERVER_FIXES);
    assert_eq!(
        report.passed() + report.failed(),
        sio::checks().len(),
        "every check should run"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_msgpack_check_passes_against_our_conformance_server_with_the_msgpack_parser() {
    every_msgpack_check_passes(Front::Builtin).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_msgpack_check_passes_against_our_conformance_server_in_axum_with_the_msgpack_parser()
{
    every_msgpack_check_passes(Front::Axum).await;
}

async fn every_msgpack_check_passes(front: Front) {
    let auth = test_servers::auth_options::AuthOptions::default();
    let extras = test_servers::conformance::Extras {
        parser: socketio::proto::Parser::MsgPack,
        ..Default::default()
    };
    let server = test_servers::conformance::start_on(&Listen::local(front), &auth, &extras)
        .await
        .unwrap_or_else(|e| panic!("could not start the conformance server: {e}"));
    let target = Target::parse(&format!("http://{}/socket.io/", server.local_addr()))
        .unwrap_or_else(|e| panic!("{e}"));
    let mut config = sio::Config::new(target);
    config.parser = sio::Parser::MsgPack;
    let report = sio::run(config, &sio::msgpack_checks()).await;
    server.shutdown().await;
    common::assert_only_known_deviations(&report, &[]);
    assert_eq!(
        report.passed(),
        sio::msgpack_checks().len(),
        "every check should pass"
    );
}

/// The recovery window of the conformance server the `sio.recovery` checks run against.
const RECOVERY_WINDOW: std::time::Duration = std::time::Duration::from_millis(1500);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_recovery_check_passes_against_our_conformance_server_with_recovery_on() {
    every_recovery_check_passes(Front::Builtin).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_recovery_check_passes_against_our_conformance_server_in_axum_with_recovery_on() {
    every_recovery_check_passes(Front::Axum).await;
}

async fn every_recovery_check_passes(front: Front) {
    let extras = test_servers::conformance::Extras {
        recovery: Some(socketio::proto::RecoveryConfig {
            max_disconnection_duration: RECOVERY_WINDOW,
            ..Default::default()
        }),
        ..Default::default()
    };
    let auth = test_servers::auth_options::AuthOptions::default();
    let server = test_servers::conformance::start_on(&Listen::local(front), &auth, &extras)
        .await
        .unwrap_or_else(|e| panic!("could not start the conformance server: {e}"));
    let url = format!("http://{}/socket.io/", server.local_addr());
    let target = Target::parse(&url).unwrap_or_else(|e| panic!("{e}"));
    let mut config = sio::Config::new(target);
    config.recovery = Some(RECOVERY_WINDOW);
    let report = sio::run(config, &sio::recovery_checks()).await;
    server.shutdown().await;
    common::assert_only_known_deviations(&report, &[]);
    assert_eq!(
        report.passed(),
        sio::recovery_checks().len(),
        "every check should pass"
    );
}
