//! The Engine.IO v3 checks (`conformance --eio 3`, socket.io-client 2.x) against OUR conformance
//! server with `allow_eio3`, and against the Node reference server with `allowEIO3: true`
//! (`tests/peer/sio-server.js --allow-eio3`), so the checks themselves are proven against the
//! reference. Without `allow_eio3` our server still refuses `EIO=3` with `400` code 5 (the
//! `unsupported-protocol-version` check, run here against a server without it).

mod common;

use conformance::target::Target;
use conformance::{eio, eio3, sio};
use test_servers::front::Front;
use test_servers::listen::Listen;

fn engine_config(url: &str) -> eio::Config {
    let target = match Target::parse(url) {
        Ok(target) => target,
        Err(e) => panic!("{e}"),
    };
    eio::Config::new(target)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_eio3_check_passes_against_our_conformance_server_with_allow_eio3() {
    for front in [Front::Builtin, Front::Axum] {
        let auth = test_servers::auth_options::AuthOptions::default();
        let mut listen = Listen::local(front);
        listen.allow_eio3 = true;
        let server =
            match test_servers::conformance::start_on(&listen, &auth, &Default::default()).await {
                Ok(server) => server,
                Err(e) => panic!("could not start the conformance server: {e}"),
            };
        let config = engine_config(&format!("http://{}/socket.io/", server.local_addr()));
        let report = eio3::run_with(config, &eio3::checks(), eio::DEFAULT_PARALLEL).await;
        server.shutdown().await;
        common::assert_only_known_deviations(&report, &[]);
        assert_eq!(
            report.passed(),
            eio3::checks().len(),
            "every check should run"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eio3_is_refused_with_code_5_without_allow_eio3() {
    let auth = test_servers::auth_options::AuthOptions::default();
    let server = match test_servers::conformance::start_on(
        &Listen::local(Front::Builtin),
        &auth,
        &Default::default(),
    )
    .await
    {
        Ok(server) => server,
        Err(e) => panic!("could not start the conformance server: {e}"),
    };
    let url = format!("http://{}/socket.io/", server.local_addr());
    let checks = sio::select(&["sio.engine.invalid-eio".to_owned()]);
    let report = sio::run(
        sio::Config::new(Target::parse(&url).unwrap_or_else(|e| panic!("{e}"))),
        &checks,
    )
    .await;
    // And a v3 check fails: the handshake is refused.
    let v3 = eio3::run_with(
        engine_config(&url),
        &eio3::select(&["eio3.handshake-polling".to_owned()]),
        1,
    )
    .await;
    server.shutdown().await;
    common::assert_only_known_deviations(&report, &[]);
    assert_eq!(report.passed(), 1);
    assert_eq!(
        v3.failed(),
        1,
        "a server without allow_eio3 must refuse EIO=3"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_eio3_check_passes_against_the_node_reference_server_with_allow_eio3() {
    if let Some(why) = common::missing_node("socket.io") {
        return common::skip_or_fail("eio3_checks", &why);
    }
    let (peer, port) = match common::start_peer_with("sio-server.js", &["--allow-eio3"]) {
        Ok(started) => started,
        Err(why) => panic!("{why}"),
    };
    let mut config = engine_config(&format!("http://127.0.0.1:{port}/socket.io/"));
    config.ping_timeout = common::PEER_PING_TIMEOUT;
    let report = eio3::run_with(config, &eio3::checks(), eio::DEFAULT_PARALLEL).await;
    drop(peer);
    common::assert_only_known_deviations(&report, &[]);
}
