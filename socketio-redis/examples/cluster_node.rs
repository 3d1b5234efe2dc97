//! One node of a cluster on Redis: what `tests/interop/redis` starts (two of these and one Node
//! server with `@socket.io/redis-adapter`, all on one Redis). `tests/interop/redis/node-server.js`
//! is the same server written for Node, so a test can drive either kind the same way.
//!
//! ```text
//! cargo run -p socketio-redis --example cluster_node -- --port 3001 --redis redis://127.0.0.1:6379/ --name rust-a
//! ```
//!
//! It prints `listening on <port>` once it is subscribed to Redis.
//!
//! Events a client may emit on `/` (each with an ack):
//!
//! | event          | arguments                                   | the server                                                |
//! |----------------|---------------------------------------------|-----------------------------------------------------------|
//! | `whoami`       |                                             | acks `{"node": <name>, "id": <socket id>}`                |
//! | `join`         | room                                        | joins the room, acks the room                             |
//! | `bcast`        | `{rooms, except, event, local}`, args...    | `to(rooms).except(except).emit(event, args...)` (binary kept), acks `true` |
//! | `fetch`        | `{rooms, except, timeout}`                  | fetches the sockets of every node, acks their sorted ids, or `{"error": ..}` |
//! | `sockets-join` | `{rooms, except, room}`                     | makes the selected sockets of every node join `room`, acks `true` |
//! | `disconnect-sockets` | `{rooms, except, close}`              | disconnects the selected sockets of every node, acks `true` |
//! | `ack-all`      | `{rooms, except, event, timeout}`, args...  | emits asking every selected client for an ack, acks `{"answers": [...], "missing": n}` |
//! | `sse`          | name, args...                               | server-side emit to the other nodes, acks their answers, or `{"error": ..}` |
//! | `metrics`      |                                             | acks the adapter's counters                               |
//!
//! Server-side emits named `hello` are answered with `"<name> got <first arg>"`.

use serde_json::{json, Value};
use socketio::engineio::runtime::Server;
use socketio::proto::{Data, Payload};
use socketio::runtime::{BroadcastOperator, Namespace, Socket, SocketIo, SocketIoConfig};
use socketio_redis::{RedisAdapter, RedisAdapterConfig};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

struct Args {
    port: u16,
    redis: String,
    name: String,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        port: 3000,
        redis: "redis://127.0.0.1:6379/".to_owned(),
        name: "rust".to_owned(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or(format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--port" => args.port = value.parse().map_err(|_| "bad --port".to_owned())?,
            "--redis" => args.redis = value,
            "--name" => args.name = value,
            other => return Err(format!("unknown flag {other}")),
        }
    }
    Ok(args)
}

/// `to(rooms).except(except)` from an options object.
fn select(ns: &Arc<Namespace>, opts: &Value) -> BroadcastOperator {
    let list = |key: &str| -> Vec<String> {
        opts.get(key)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut op = ns.broadcast();
    for room in list("rooms") {
        op = op.to(&room);
    }
    for room in list("except") {
        op = op.except(&room);
    }
    if let Some(ms) = opts.get("timeout").and_then(Value::as_u64) {
        op = op.timeout(Duration::from_millis(ms));
    }
    if opts.get("local").and_then(Value::as_bool) == Some(true) {
        op = op.local();
    }
    op
}

/// The first argument as JSON (`null` if none), and the rest as a payload (binary kept).
fn split(args: &Payload) -> (Value, Payload) {
    let mut data = args.to_data().unwrap_or_default().into_iter();
    let first = args
        .args()
        .first()
        .and_then(|a| a.deserialize::<Value>().ok())
        .unwrap_or(Value::Null);
    data.next();
    (first, Payload::from_data(&data.collect::<Vec<Data>>()))
}

fn on_connection(socket: Socket, name: Arc<str>, adapter: Arc<RedisAdapter>) {
    let n = name.clone();
    socket.on("whoami", move |socket, _, ack| {
        if let Some(ack) = ack {
            let _ = ack.send(json!({"node": &*n, "id": socket.id()}));
        }
    });
    socket.on("join", |socket, args, ack| {
        let room = args
            .args()
            .first()
            .and_then(|a| a.deserialize::<String>().ok())
            .unwrap_or_default();
        socket.join(&room);
        if let Some(ack) = ack {
            let _ = ack.send(Value::String(room));
        }
    });
    socket.on("bcast", |socket, args, ack| {
        let (opts, rest) = split(&args);
        let event = opts.get("event").and_then(Value::as_str).unwrap_or("bcast");
        let _ = select(socket.namespace(), &opts).emit(event, rest);
        if let Some(ack) = ack {
            let _ = ack.send(Value::Bool(true));
        }
    });
    socket.on("fetch", |socket, args, ack| {
        let (opts, _) = split(&args);
        let op = select(socket.namespace(), &opts);
        tokio::spawn(async move {
            let answer = match op.fetch_all_sockets().await {
                Ok(sockets) => {
                    let mut ids: Vec<String> = sockets.iter().map(|s| s.id().to_owned()).collect();
                    ids.sort();
                    json!(ids)
                }
                Err(e) => json!({"error": e.to_string()}),
            };
            if let Some(ack) = ack {
                let _ = ack.send(answer);
            }
        });
    });
    socket.on("sockets-join", |socket, args, ack| {
        let (opts, _) = split(&args);
        let room = opts.get("room").and_then(Value::as_str).unwrap_or_default();
        select(socket.namespace(), &opts).join(room);
        if let Some(ack) = ack {
            let _ = ack.send(Value::Bool(true));
        }
    });
    socket.on("disconnect-sockets", |socket, args, ack| {
        let (opts, _) = split(&args);
        let close = opts.get("close").and_then(Value::as_bool) == Some(true);
        // Ack first: the asking socket may be among the disconnected.
        if let Some(ack) = ack {
            let _ = ack.send(Value::Bool(true));
        }
        select(socket.namespace(), &opts).disconnect_sockets(close);
    });
    socket.on("ack-all", |socket, args, ack| {
        let (opts, rest) = split(&args);
        let event = opts
            .get("event")
            .and_then(Value::as_str)
            .unwrap_or("ask")
            .to_owned();
        let op = select(socket.namespace(), &opts);
        tokio::spawn(async move {
            let results = op.emit_with_ack(&event, rest).await;
            let mut answers = Vec::new();
            let mut missing = 0;
            for (_, result) in results {
                match result {
                    Ok(p) => answers.push(
                        p.args()
                            .first()
                            .and_then(|a| a.deserialize::<Value>().ok())
                            .unwrap_or(Value::Null),
                    ),
                    Err(_) => missing += 1,
                }
            }
            if let Some(ack) = ack {
                let _ = ack.send(json!({"answers": answers, "missing": missing}));
            }
        });
    });
    socket.on("sse", |socket, args, ack| {
        let values: Vec<Value> = args
            .args()
            .iter()
            .filter_map(|a| a.deserialize::<Value>().ok())
            .collect();
        let ns = socket.namespace().clone();
        tokio::spawn(async move {
            let name = values
                .first()
                .and_then(Value::as_str)
                .unwrap_or("hello")
                .to_owned();
            let rest = values.get(1..).unwrap_or_default();
            let answer = match ns
                .server_side_emit_with_ack(&name, rest, Duration::from_secs(2))
                .await
            {
                Ok(mut answers) => {
                    answers.sort_by_key(|a| a.to_string());
                    json!(answers)
                }
                Err(e) => json!({"error": e.to_string()}),
            };
            if let Some(ack) = ack {
                let _ = ack.send(answer);
            }
        });
    });
    socket.on("metrics", move |_, _, ack| {
        let m = adapter.metrics();
        if let Some(ack) = ack {
            let _ = ack.send(json!({
                "published": m.published,
                "sendFailures": m.send_failures,
                "received": m.received,
                "ownIgnored": m.own_ignored,
                "malformed": m.malformed,
                "reconnects": m.reconnects,
            }));
        }
    });
}

#[tokio::main]
async fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("cluster_node: {e}");
            std::process::exit(2);
        }
    };
    let client = match socketio_redis::redis::Client::open(args.redis.as_str()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("cluster_node: bad --redis URL: {e}");
            std::process::exit(2);
        }
    };
    let io = SocketIo::new(SocketIoConfig::default());
    let adapter = RedisAdapter::new(client, RedisAdapterConfig::default());
    io.attach_cluster(adapter.clone());
    let name: Arc<str> = Arc::from(args.name.as_str());
    let ns = io.of("/");
    let node = name.clone();
    ns.on_server_side_emit("hello", move |args, ack| {
        let first = args.first().cloned().unwrap_or(Value::Null);
        if let Some(ack) = ack {
            ack.send(Value::String(format!("{node} got {first}")));
        }
    });
    let a = adapter.clone();
    ns.on_connection(move |socket| on_connection(socket, name.clone(), a.clone()));
    let addr = SocketAddr::from(([127, 0, 0, 1], args.port));
    let server = match Server::new(addr).engine(io.engine()).start().await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("cluster_node: cannot listen on {addr}: {e}");
            std::process::exit(1);
        }
    };
    if !adapter.wait_subscribed(Duration::from_secs(10)).await {
        eprintln!("cluster_node: not subscribed to Redis after 10 s; serving local clients anyway");
    }
    println!("listening on {}", server.local_addr().port());
    server.wait().await;
}
