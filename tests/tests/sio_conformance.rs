//! Every Socket.IO check against OUR conformance server (`socketio::conformance`), started
//! in-process.
//!
//! A failure prints the failing checks' wire conversations: that is the bug report.

use std::net::SocketAddr;

use conformance::check::Outcome;
use conformance::sio;
use conformance::target::Target;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_socketio_check_passes_against_our_conformance_server() {
    let addr: SocketAddr = ([127, 0, 0, 1], 0).into();
    let server = match socketio::conformance::start(addr).await {
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

    let mut summary = Vec::new();
    let _ = report.write_summary(&mut summary);
    println!("{}", String::from_utf8_lossy(&summary));
    let mut transcripts = Vec::new();
    let _ = report.write_transcripts(&mut transcripts, |o| matches!(o, Outcome::Failed(_)));
    println!("{}", String::from_utf8_lossy(&transcripts));
    assert_eq!(
        report.failures(),
        Vec::<&str>::new(),
        "checks failed against our conformance server"
    );
    assert_eq!(report.skipped(), 0, "every check should run");
    assert_eq!(
        report.passed(),
        sio::checks().len(),
        "every check should pass"
    );
}
