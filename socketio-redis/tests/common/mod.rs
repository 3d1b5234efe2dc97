//! What the cluster tests share: a `redis-server` on a free loopback port, nodes (our server
//! with the Redis adapter, in this process), and a raw Socket.IO client over WebSocket.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use futures_util::{SinkExt, StreamExt};
use socketio::engineio::runtime::{RunningServer, Server};
use socketio::proto::{decode_text, encode, Data, Decoded, Limits, Namespace, Packet, Payload};
use socketio::runtime::{SocketIo, SocketIoConfig};
use socketio_redis::{RedisAdapter, RedisAdapterConfig};
use std::collections::VecDeque;
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::time::{timeout, Instant};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

/// The bound on waits for something that will happen (a subscription confirmed, a message
/// delivered): generous, because a loaded CI machine can be slow, and a wait that succeeds
/// ends as soon as the event comes, so a passing run never spends it.
pub const READY: Duration = Duration::from_secs(30);

/// Waits until `channel` has at least `subscribers` subscribers, by Redis's own count
/// (PUBSUB NUMSUB), at most [`READY`].
pub async fn wait_numsub(
    client: &socketio_redis::redis::Client,
    channel: &str,
    subscribers: usize,
) {
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let deadline = Instant::now() + READY;
    loop {
        let (_, n): (String, usize) = socketio_redis::redis::cmd("PUBSUB")
            .arg("NUMSUB")
            .arg(channel)
            .query_async(&mut conn)
            .await
            .unwrap();
        if n >= subscribers {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{channel}: {n} subscribers, want {subscribers}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Polls `done` until it holds, at most [`READY`]; the failure says `what()`.
pub async fn eventually(mut done: impl FnMut() -> bool, what: impl Fn() -> String) {
    let deadline = Instant::now() + READY;
    while !done() {
        assert!(Instant::now() < deadline, "{}", what());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A `redis-server` of our own (no persistence), stopped on drop.
pub struct Redis {
    child: Option<Child>,
    pub port: u16,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Redis {
    /// A fresh server, or `None` (after saying why) when there is no `redis-server` binary;
    /// with `REQUIRE_ALL=1` a missing binary fails the test instead.
    pub fn start() -> Option<Self> {
        let found = Command::new("redis-server")
            .arg("--version")
            .stdout(Stdio::null())
            .status()
            .is_ok();
        if !found {
            if std::env::var("REQUIRE_ALL").as_deref() == Ok("1") {
                panic!("redis-server is not installed (required because REQUIRE_ALL=1)");
            }
            eprintln!("SKIP: redis-server is not installed (apt-get install redis-server)");
            return None;
        }
        let mut redis = Self {
            child: None,
            port: free_port(),
        };
        redis.restart();
        Some(redis)
    }

    /// Starts it (again) on its port.
    pub fn restart(&mut self) {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string()])
            .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server starts");
        self.child = Some(child);
        let deadline = std::time::Instant::now() + READY;
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "redis-server did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Kills it (its clients see their connections drop).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.kill();
    }
}

/// One of our servers with the Redis adapter.
pub struct Node {
    pub io: SocketIo,
    pub adapter: Arc<RedisAdapter>,
    pub port: u16,
    server: RunningServer,
}

impl Node {
    pub async fn start(redis: &Redis) -> Self {
        let io = SocketIo::new(SocketIoConfig::default());
        let client = socketio_redis::redis::Client::open(redis.url()).unwrap();
        let adapter = RedisAdapter::new(client, RedisAdapterConfig::default());
        io.attach_cluster(adapter.clone());
        io.of("/").on_connection(|socket| {
            socket.on("join", |socket, args, ack| {
                let room: String = args.args()[0].deserialize().unwrap();
                socket.join(&room);
                if let Some(ack) = ack {
                    let _ = ack.send(());
                }
            });
        });
        let server = Server::new(([127, 0, 0, 1], 0).into())
            .engine(io.engine())
            .start()
            .await
            .unwrap();
        // Confirmed by Redis (SUBSCRIBE answers), so the other nodes' messages reach it.
        assert!(
            adapter.wait_subscribed(READY).await,
            "the node subscribed to Redis"
        );
        let port = server.local_addr().port();
        Self {
            io,
            adapter,
            port,
            server,
        }
    }

    pub async fn stop(self) {
        self.server.shutdown().await;
    }
}

/// An event a client received.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub name: String,
    pub args: Vec<Data>,
}

/// A raw Socket.IO client on `/` over WebSocket. Answers pings; acks every server event that
/// asks for one with `ack_with` (when set).
pub struct Client {
    ws: WebSocketStream<TcpStream>,
    pub sid: String,
    events: VecDeque<Event>,
    acks: VecDeque<(u64, Vec<Data>)>,
    partial: Option<socketio::proto::PartialPacket>,
    pub ack_with: Option<serde_json::Value>,
    next_id: u64,
    pub disconnected: bool,
}

impl Client {
    pub async fn connect(port: u16) -> Self {
        let stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        let url = format!("ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket");
        let (ws, _) = tokio_tungstenite::client_async(url, stream).await.unwrap();
        let mut client = Self {
            ws,
            sid: String::new(),
            events: VecDeque::new(),
            acks: VecDeque::new(),
            partial: None,
            ack_with: None,
            next_id: 1,
            disconnected: false,
        };
        let open = client.next_text().await.expect("an OPEN packet");
        assert!(open.starts_with('0'), "{open}");
        client.send_text("40".into()).await;
        let deadline = Instant::now() + READY;
        while client.sid.is_empty() {
            assert!(Instant::now() < deadline, "no CONNECT answer");
            client.pump(Duration::from_millis(100)).await;
        }
        client
    }

    async fn send_text(&mut self, text: String) {
        self.ws.send(Message::text(text)).await.unwrap();
    }

    async fn next_text(&mut self) -> Option<String> {
        loop {
            match timeout(READY, self.ws.next()).await.ok()?? {
                Ok(Message::Text(t)) => return Some(t.to_string()),
                Ok(Message::Close(_)) | Err(_) => return None,
                _ => {}
            }
        }
    }

    /// Reads frames for at most `wait`, filing events and acks.
    pub async fn pump(&mut self, wait: Duration) {
        let deadline = Instant::now() + wait;
        while let Ok(Some(frame)) = tokio::time::timeout_at(deadline, self.ws.next()).await {
            match frame {
                Ok(Message::Text(t)) => self.on_text(t.as_str()).await,
                Ok(Message::Binary(b)) => {
                    if let Some(partial) = self.partial.take() {
                        match partial.push(b) {
                            Ok(Decoded::Complete(p)) => self.on_packet(p).await,
                            Ok(Decoded::Partial(p)) => self.partial = Some(p),
                            Err(e) => panic!("bad attachment: {e}"),
                        }
                    }
                }
                Ok(Message::Close(_)) | Err(_) => {
                    self.disconnected = true;
                    return;
                }
                _ => {}
            }
        }
    }

    async fn on_text(&mut self, text: &str) {
        match text.as_bytes().first() {
            Some(b'2') => self.send_text("3".into()).await,
            Some(b'4') => match decode_text(&text[1..], &Limits::default()).unwrap() {
                Decoded::Complete(p) => self.on_packet(p).await,
                Decoded::Partial(p) => self.partial = Some(p),
            },
            Some(b'1') => self.disconnected = true,
            _ => {}
        }
    }

    async fn on_packet(&mut self, packet: Packet) {
        match packet {
            Packet::Connect { data, .. } => {
                let data: serde_json::Value = data.unwrap().deserialize().unwrap();
                self.sid = data["sid"].as_str().unwrap().to_owned();
            }
            Packet::Event { id, name, args, .. } => {
                if let (Some(id), Some(answer)) = (id, self.ack_with.clone()) {
                    let ack = Packet::Ack {
                        nsp: Namespace::main(),
                        id,
                        args: Payload::from_data(&[Data::from(answer)]),
                    };
                    self.send_packet(&ack).await;
                }
                self.events.push_back(Event {
                    name,
                    args: args.to_data().unwrap(),
                });
            }
            Packet::Ack { id, args, .. } => self.acks.push_back((id, args.to_data().unwrap())),
            Packet::Disconnect { .. } => self.disconnected = true,
            _ => {}
        }
    }

    async fn send_packet(&mut self, packet: &Packet) {
        let (text, attachments) = encode(packet).into_parts();
        let text = format!("4{}", String::from_utf8(text.to_vec()).unwrap());
        self.send_text(text).await;
        for a in attachments {
            self.ws.send(Message::binary(a)).await.unwrap();
        }
    }

    /// Emits an event and waits for its ack.
    pub async fn call(&mut self, name: &str, args: Vec<Data>) -> Vec<Data> {
        let id = self.next_id;
        self.next_id += 1;
        let packet = Packet::Event {
            nsp: Namespace::main(),
            id: Some(id),
            name: name.to_owned(),
            args: Payload::from_data(&args),
        };
        self.send_packet(&packet).await;
        let deadline = Instant::now() + READY;
        loop {
            if let Some(pos) = self.acks.iter().position(|(i, _)| *i == id) {
                return self.acks.remove(pos).unwrap().1;
            }
            assert!(Instant::now() < deadline, "no ack for {name}");
            self.pump(Duration::from_millis(50)).await;
        }
    }

    pub async fn join(&mut self, room: &str) {
        self.call("join", vec![Data::String(room.to_owned())]).await;
    }

    /// The next event named `name` within `wait` (other events stay queued).
    pub async fn expect(&mut self, name: &str, wait: Duration) -> Option<Event> {
        let deadline = Instant::now() + wait;
        loop {
            if let Some(pos) = self.events.iter().position(|e| e.name == name) {
                return self.events.remove(pos);
            }
            if Instant::now() >= deadline || self.disconnected {
                return None;
            }
            self.pump(Duration::from_millis(20)).await;
        }
    }

    /// The next `n` events named `name`, each within `wait`; fails saying how many came.
    pub async fn expect_n(&mut self, name: &str, n: usize, wait: Duration) -> Vec<Event> {
        let mut got = Vec::with_capacity(n);
        while got.len() < n {
            match self.expect(name, wait).await {
                Some(event) => got.push(event),
                None => panic!("{name}: {} of {n} events came", got.len()),
            }
        }
        got
    }

    /// Reads until the server disconnects this client, at most `wait`; returns whether it did.
    pub async fn wait_disconnected(&mut self, wait: Duration) -> bool {
        let deadline = Instant::now() + wait;
        while !self.disconnected && Instant::now() < deadline {
            self.pump(Duration::from_millis(20)).await;
        }
        self.disconnected
    }

    /// Every event named `name` received within `wait`.
    pub async fn collect(&mut self, name: &str, wait: Duration) -> Vec<Event> {
        self.pump(wait).await;
        let (matching, rest): (Vec<Event>, Vec<Event>) =
            self.events.drain(..).partition(|e| e.name == name);
        self.events = rest.into();
        matching
    }
}

pub fn text(s: &str) -> Data {
    Data::String(s.to_owned())
}
