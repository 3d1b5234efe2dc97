//! The Socket.IO Admin UI across two of our nodes on one Redis (as Node's admin-ui does with
//! `fetchSockets` and broadcasts to the admin namespace): an admin socket on node A sees both
//! nodes' `server_stats`, node B's sockets in `all_sockets` and as they connect, and its
//! `_disconnect` reaches a socket on B. Skipped, saying why, without a `redis-server` binary.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Client, Redis, READY};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use socketio::admin::{AdminAuth, AdminConfig};
use socketio::engineio::runtime::{RunningServer, Server};
use socketio::runtime::{SocketIo, SocketIoConfig};
use socketio_redis::{RedisAdapter, RedisAdapterConfig};
use std::collections::HashSet;
use tokio::net::TcpStream;
use tokio::time::{timeout_at, Instant};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

/// An instrumented node (server id `id`) on the Redis.
async fn node(redis: &Redis, id: &str) -> (SocketIo, RunningServer) {
    let io = SocketIo::new(SocketIoConfig::default());
    let client = socketio_redis::redis::Client::open(redis.url()).unwrap();
    let adapter = RedisAdapter::new(client, RedisAdapterConfig::default());
    io.attach_cluster(adapter.clone());
    io.instrument(AdminConfig::new(AdminAuth::None).server_id(id))
        .unwrap();
    io.of("/").on_connection(|_| {});
    let server = Server::new(([127, 0, 0, 1], 0).into())
        .engine(io.engine())
        .start()
        .await
        .unwrap();
    assert!(adapter.wait_subscribed(READY).await, "subscribed to Redis");
    (io, server)
}

/// A raw admin socket: connects `/admin`, reads its events.
struct Admin {
    ws: WebSocketStream<TcpStream>,
}

impl Admin {
    async fn connect(port: u16) -> Admin {
        let stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        let url = format!("ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket");
        let (ws, _) = tokio_tungstenite::client_async(url, stream).await.unwrap();
        let mut admin = Admin { ws };
        admin.ws.send(Message::text("40/admin,{}")).await.unwrap();
        admin
    }

    async fn send(&mut self, text: String) {
        self.ws.send(Message::text(text)).await.unwrap();
    }

    /// The next event of the admin namespace that `wanted` accepts (name and arguments).
    async fn until(&mut self, wanted: impl Fn(&str, &[Value]) -> bool) -> Vec<Value> {
        let deadline = Instant::now() + READY;
        loop {
            let frame = timeout_at(deadline, self.ws.next()).await.expect("in time");
            let Some(Ok(Message::Text(text))) = frame else {
                panic!("the admin connection ended: {frame:?}");
            };
            if text.as_str() == "2" {
                self.send("3".into()).await;
                continue;
            }
            let Some(body) = text.as_str().strip_prefix("42/admin,") else {
                continue;
            };
            let mut array: Vec<Value> = serde_json::from_str(body).unwrap();
            let name = array.remove(0);
            if wanted(name.as_str().unwrap_or(""), &array) {
                return array;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_of_one_node_sees_and_acts_on_both() {
    let Some(redis) = Redis::start() else {
        return;
    };
    let (_a, server_a) = node(&redis, "node-a").await;
    let (_b, server_b) = node(&redis, "node-b").await;
    let mut on_b = Client::connect(server_b.local_addr().port()).await;
    let mut admin = Admin::connect(server_a.local_addr().port()).await;

    // Every node's sockets, fetched through the cluster.
    let all = admin.until(|name, _| name == "all_sockets").await;
    let ids: HashSet<&str> = (all[0].as_array().unwrap().iter())
        .filter_map(|s| s["id"].as_str())
        .collect();
    assert!(ids.contains(on_b.sid.as_str()), "{all:?}");

    // Both nodes' stats, each with its server id.
    let mut servers = HashSet::new();
    while servers.len() < 2 {
        let stats = admin.until(|name, _| name == "server_stats").await;
        servers.insert(stats[0]["serverId"].as_str().unwrap().to_owned());
    }
    assert_eq!(servers, HashSet::from(["node-a".into(), "node-b".into()]));

    // A socket connecting on B is told to A's admin.
    let later = Client::connect(server_b.local_addr().port()).await;
    let sid = later.sid.clone();
    admin
        .until(|name, args| name == "socket_connected" && args[0]["id"] == json!(sid))
        .await;

    // The UI's disconnect, on A, reaches the socket on B.
    let target = on_b.sid.clone();
    admin
        .send(format!(r#"42/admin,["_disconnect","/",false,"{target}"]"#))
        .await;
    assert!(
        on_b.wait_disconnected(READY).await,
        "B's socket disconnected"
    );
    admin
        .until(|name, args| name == "socket_disconnected" && args[1] == json!(target))
        .await;
    server_a.shutdown().await;
    server_b.shutdown().await;
}
