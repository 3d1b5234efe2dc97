//! Long-polling POSTs on the built-in server, over real sockets: a POST alone in its session is
//! answered `ok` without waiting for the session to read its body, but a client that POSTs
//! again before the session read the last body waits for the session's answer (at most one body
//! per session is queued unanswered).
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use common::Conn;
use engineio::proto::Data;
use engineio::runtime::{Engine, EngineConfig, RunningServer, Server};
use std::net::SocketAddr;
use std::time::Duration;

async fn start(engine: Engine) -> (SocketAddr, RunningServer) {
    let server = Server::new(([127, 0, 0, 1], 0).into())
        .engine(engine)
        .start()
        .await
        .unwrap();
    (server.local_addr(), server)
}

async fn post(conn: &mut Conn, sid: &str, body: &str) {
    conn.send(
        "POST",
        &format!("/engine.io/?EIO=4&transport=polling&sid={sid}"),
        body,
    )
    .await;
}

#[tokio::test]
async fn a_lone_post_is_answered_at_once_and_a_second_unread_one_waits() {
    // One event in the application's buffer: a session whose application does not read blocks
    // on its second event.
    let engine = Engine::new(EngineConfig {
        event_buffer: 1,
        ..EngineConfig::default()
    });
    let (addr, _server) = start(engine.clone()).await;
    let mut conn = Conn::open(addr).await;
    conn.send("GET", "/engine.io/?EIO=4&transport=polling", "")
        .await;
    let (status, open) = conn.response().await;
    assert_eq!(status, 200, "{open}");
    let sid = open
        .split("\"sid\":\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let mut socket = engine.accept().await.unwrap();

    post(&mut conn, &sid, "4a\x1e4b\x1e4c").await;
    assert_eq!(conn.response().await, (200, "ok".to_owned()));
    // The session read the body (its first message is here), then blocked on the third.
    assert_eq!(socket.recv().await, Some(Data::Text("a".into())));

    // Alone: queued, answered without the session.
    post(&mut conn, &sid, "4d").await;
    assert_eq!(conn.response().await, (200, "ok".to_owned()));
    // The session has not read `d`: this POST waits for its answer.
    post(&mut conn, &sid, "4e").await;
    assert!(
        tokio::time::timeout(Duration::from_millis(300), conn.response())
            .await
            .is_err(),
        "a POST answered while the session had not read the one before it"
    );
    for text in ["b", "c", "d", "e"] {
        assert_eq!(socket.recv().await, Some(Data::Text(text.into())));
    }
    assert_eq!(conn.response().await, (200, "ok".to_owned()));
}
