//! What an event's handlers send to their own connection (its own lane, `socketio/src/runtime/
//! lane.rs`) over a real WebSocket: it reaches the client in the order the handlers sent it,
//! whatever the road (an emit, a broadcast reaching the sender, the acknowledgement, a
//! disconnect), after what the connection handler sent; and it is held to the client's send
//! budget like anything else sent to it: a handler flooding a client that does not read gets
//! `Full`, and the client is disconnected with `send buffer full` after the grace.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use conformance::target::Target;
use conformance::ws::Event;
use engineio::runtime::{RunningServer, Server};
use socketio::proto::DisconnectReason;
use socketio::runtime::{EmitError, SocketIo, SocketIoConfig};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;

/// How long a reply may take.
const LIMIT: Duration = Duration::from_secs(10);

async fn serve(io: &SocketIo) -> (RunningServer, Target) {
    let server = Server::new(([127, 0, 0, 1], 0).into())
        .engine(io.engine())
        .start()
        .await
        .unwrap();
    let target = Target::parse(&format!("http://{}/socket.io/", server.local_addr())).unwrap();
    (server, target)
}

fn text(event: Event) -> String {
    match event {
        Event::Text(text) => text,
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handlers_sends_to_its_own_connection_keep_their_order() {
    let io = SocketIo::new(SocketIoConfig::default());
    io.of("/").on_connection(|socket| {
        socket.join("room");
        socket.emit("welcome", ()).unwrap();
        socket.on("go", |socket, _args, ack| {
            socket.emit("a", serde_json::json!(1)).unwrap();
            // A broadcast reaching the sender too.
            let report = socket
                .namespace()
                .to("room")
                .emit("b", serde_json::json!(2));
            assert_eq!(report.unwrap().sent, 1);
            ack.unwrap().send("c").unwrap();
            socket.emit("d", serde_json::json!(4)).unwrap();
            socket.disconnect(false);
            // Refused by the connection: the namespace was left just before.
            socket.emit("after", ()).unwrap();
        });
    });
    let (_server, target) = serve(&io).await;
    for _ in 0..20 {
        let mut ws = common::websocket(&target).await;
        // The CONNECT and the event in one burst: read and handled in one go.
        ws.send_text("40").await.unwrap();
        ws.send_text("421[\"go\"]").await.unwrap();
        assert!(text(ws.recv(LIMIT).await.unwrap()).starts_with("40{"));
        let mut got = Vec::new();
        while got.last().map(String::as_str) != Some("41") {
            got.push(text(ws.recv(LIMIT).await.unwrap()));
        }
        assert_eq!(
            got,
            [
                "42[\"welcome\"]",
                "42[\"a\",1]",
                "42[\"b\",2]",
                "431[\"c\"]",
                "42[\"d\",4]",
                "41"
            ]
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handler_flooding_its_own_client_is_held_to_the_budget() {
    // The kernel takes megabytes from a client that does not read before the session holds
    // any: the budget and the emits are large, so that the client is soon at its budget.
    const BUDGET: usize = 4 << 20;
    const SIZE: usize = 1 << 20;
    let mut config = SocketIoConfig::default();
    config.engine = (config.engine).send_budget(BUDGET, Duration::from_millis(500));
    let io = SocketIo::new(config);
    // Per event: the emits taken before the first refusal, and whether one was refused.
    let floods = Arc::new(Mutex::new(Vec::<(usize, bool)>::new()));
    let (tx, mut disconnects) = mpsc::unbounded_channel();
    {
        let floods = floods.clone();
        io.of("/").on_connection(move |socket| {
            let tx = tx.clone();
            socket.on_disconnect(move |_, reason| {
                let _ = tx.send(reason);
            });
            let floods = floods.clone();
            socket.on("flood", move |socket, _args, _ack| {
                let big = serde_json::Value::String("x".repeat(SIZE));
                let mut taken = 0;
                let mut refused = false;
                for _ in 0..16 {
                    match socket.emit("big", &big) {
                        Ok(()) => taken += 1,
                        Err(EmitError::Full) => {
                            refused = true;
                            break;
                        }
                        Err(e) => panic!("{e:?}"),
                    }
                }
                floods.lock().unwrap().push((taken, refused));
            });
        });
    }
    let (_server, target) = serve(&io).await;
    let mut ws = common::websocket(&target).await;
    ws.send_text("40").await.unwrap();
    assert!(text(ws.recv(LIMIT).await.unwrap()).starts_with("40{"));
    // Asks for floods and never reads them; spaced, so that the session writes out what it
    // took between them until the kernel stops taking it.
    for _ in 0..40 {
        ws.send_text("42[\"flood\"]").await.unwrap();
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let reason = tokio::time::timeout(LIMIT, disconnects.recv()).await;
    let Ok(Some(reason)) = reason else {
        panic!("not disconnected; per event: {:?}", floods.lock().unwrap());
    };
    assert_eq!(reason, DisconnectReason::SendBufferFull);
    let floods = floods.lock().unwrap().clone();
    println!("per event (taken, refused): {floods:?}");
    assert!(!floods.is_empty());
    // One event's emits: at most the budget (a message alone may pass it when nothing is held).
    for &(taken, _) in &floods {
        assert!(taken * SIZE <= BUDGET + SIZE, "{floods:?}");
    }
    assert!(floods.iter().any(|&(_, refused)| refused), "{floods:?}");
    drop(ws);
}

/// Acknowledgements are written by their connection into one buffer of short texts, one after
/// another in the same memory once the earlier ones went out (`engineio::proto::TextBuf`): many
/// in a row, of every size (some too long for the buffer), some answered from another task
/// (through the session's queue), each reaches the client whole, with its own id.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledgements_in_a_row_each_arrive_whole() {
    const EVENTS: u64 = 300;
    let io = SocketIo::new(SocketIoConfig::default());
    io.of("/").on_connection(|socket| {
        socket.on("echo", |_socket, args, ack| {
            let ack = ack.unwrap();
            if ack.id() % 3 == 0 {
                tokio::spawn(async move {
                    tokio::task::yield_now().await;
                    ack.send(args).unwrap();
                });
            } else {
                ack.send(args).unwrap();
            }
        });
    });
    let (_server, target) = serve(&io).await;
    let mut ws = common::websocket(&target).await;
    ws.send_text("40").await.unwrap();
    assert!(text(ws.recv(LIMIT).await.unwrap()).starts_with("40{"));
    let mut expected = std::collections::HashMap::new();
    for id in 1..=EVENTS {
        // 0 to 399 characters, a two-byte one among them now and then.
        let mut arg = "x".repeat((id as usize * 7) % 400);
        if id % 5 == 0 {
            arg.push('é');
        }
        ws.send_text(&format!("42{id}[\"echo\",\"{arg}\"]"))
            .await
            .unwrap();
        expected.insert(id, format!("43{id}[\"{arg}\"]"));
    }
    while !expected.is_empty() {
        let got = text(ws.recv(LIMIT).await.unwrap());
        let id: u64 = got
            .get(2..)
            .and_then(|rest| rest.split('[').next())
            .and_then(|digits| digits.parse().ok())
            .unwrap_or_else(|| panic!("not an acknowledgement: {got:?}"));
        let want = expected.remove(&id);
        assert_eq!(Some(got), want, "acknowledgement {id}");
    }
}
