//! Connection state recovery across the nodes of a cluster, over real sockets: a client whose
//! transport to node A drops comes back to node B, which asks the cluster
//! (`Cluster::restore_session`); A hands the session over (`LocalNode::take_session`) with what
//! the client missed, and B restores it: same socket id, its rooms, the missed broadcast. The
//! cluster is an in-memory mesh of the two nodes (what an adapter such as a Redis Streams one
//! would carry between processes); without session sharing, B gives a fresh socket. Both parsers:
//! with socket.io-msgpack-parser the missed packet crosses as one binary message.

// A test of the tokio runtime: it reads the clock.
#![allow(clippy::disallowed_methods)]

use socketio::engineio::runtime::{RunningServer, Server};
use socketio::proto::{
    decode_msgpack, decode_text, encode, encode_msgpack, Decoded, Limits, Namespace, Packet,
    Parser, RawJson, RecoveryConfig,
};
use socketio::runtime::{
    Cluster, ClusterBroadcast, ClusterError, ClusterFuture, ClusterOp, ClusterSession, LocalNode,
    RemoteAcks, Selector, SocketInfo, SocketIo, SocketIoConfig,
};
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tungstenite::{Message, WebSocket};

/// The nodes' namespaces, shared by every member of the mesh.
#[derive(Default)]
struct Mesh {
    nodes: Mutex<Vec<(usize, LocalNode)>>,
    share_sessions: bool,
}

/// One node's view of the mesh.
struct Member {
    mesh: Arc<Mesh>,
    me: usize,
}

impl Member {
    fn others(&self, nsp: &str) -> Vec<LocalNode> {
        let nodes = self.mesh.nodes.lock().unwrap_or_else(|e| e.into_inner());
        (nodes.iter())
            .filter(|(node, local)| *node != self.me && local.nsp() == nsp)
            .map(|(_, local)| local.clone())
            .collect()
    }
}

impl Cluster for Member {
    fn add_namespace(&self, node: LocalNode) {
        let mut nodes = self.mesh.nodes.lock().unwrap_or_else(|e| e.into_inner());
        nodes.push((self.me, node));
    }

    fn broadcast(&self, nsp: &str, broadcast: &ClusterBroadcast) {
        for node in self.others(nsp) {
            node.broadcast(broadcast);
        }
    }

    fn broadcast_with_ack(
        &self,
        _: &str,
        _: &ClusterBroadcast,
        _: Duration,
    ) -> ClusterFuture<Result<RemoteAcks, ClusterError>> {
        Box::pin(async { Ok(RemoteAcks::default()) })
    }

    fn fetch_sockets(
        &self,
        _: &str,
        _: &Selector,
        _: Duration,
    ) -> ClusterFuture<Result<Vec<SocketInfo>, ClusterError>> {
        Box::pin(async { Ok(Vec::new()) })
    }

    fn apply(&self, _: &str, _: &Selector, _: &ClusterOp) {}

    fn server_side_emit(&self, _: &str, _: &[serde_json::Value]) {}

    fn server_side_emit_with_ack(
        &self,
        _: &str,
        _: &[serde_json::Value],
        _: Duration,
    ) -> ClusterFuture<Result<Vec<serde_json::Value>, ClusterError>> {
        Box::pin(async { Ok(Vec::new()) })
    }

    fn restore_session(
        &self,
        nsp: &str,
        pid: &str,
        offset: &str,
        _: Duration,
    ) -> ClusterFuture<Option<ClusterSession>> {
        let found = if self.mesh.share_sessions {
            (self.others(nsp).iter()).find_map(|node| node.take_session(pid, offset))
        } else {
            None
        };
        Box::pin(async move { found })
    }
}

async fn node(mesh: &Arc<Mesh>, me: usize, parser: Parser) -> (SocketIo, RunningServer) {
    let recovery = RecoveryConfig {
        max_disconnection_duration: Duration::from_secs(10),
        ..RecoveryConfig::default()
    };
    let config = SocketIoConfig::default()
        .connection_state_recovery(recovery)
        .parser(parser);
    let io = SocketIo::new(config);
    io.of("/").on_connection(|socket| {
        if !socket.recovered() {
            socket.join("red");
            let _ = socket.emit("hello", ());
        }
    });
    io.attach_cluster(Arc::new(Member {
        mesh: mesh.clone(),
        me,
    }));
    let server = Server::new(([127, 0, 0, 1], 0).into())
        .engine(io.engine())
        .start()
        .await
        .unwrap_or_else(|e| panic!("node {me}: {e}"));
    (io, server)
}

/// A WebSocket Engine.IO session with the open packet read, speaking `parser`.
struct Client {
    ws: WebSocket<TcpStream>,
    parser: Parser,
}

fn open(addr: SocketAddr, parser: Parser) -> Client {
    let stream = TcpStream::connect(addr).unwrap_or_else(|e| panic!("connect: {e}"));
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let url = format!("ws://{addr}/socket.io/?EIO=4&transport=websocket");
    let (ws, _) = tungstenite::client(url, stream).unwrap_or_else(|e| panic!("{e}"));
    let mut client = Client { ws, parser };
    match client.ws.read().unwrap_or_else(|e| panic!("read: {e}")) {
        Message::Text(first) => assert!(first.starts_with("0{"), "open packet: {first}"),
        other => panic!("open packet: {other:?}"),
    }
    client
}

impl Client {
    /// The next Socket.IO packet (pings answered): a text message with socket.io-parser, one
    /// binary message with socket.io-msgpack-parser.
    fn next(&mut self) -> Packet {
        loop {
            match self.ws.read().unwrap_or_else(|e| panic!("read: {e}")) {
                Message::Text(text) if text.as_str() == "2" => {
                    let _ = self.ws.send(Message::text("3"));
                }
                Message::Text(text) if self.parser == Parser::Json => {
                    let body = text.as_str().strip_prefix('4');
                    let body = body.unwrap_or_else(|| panic!("not a message: {text}"));
                    match decode_text(body, &Limits::default()) {
                        Ok(Decoded::Complete(packet)) => return packet,
                        other => panic!("{body}: {other:?}"),
                    }
                }
                Message::Binary(bytes) if self.parser == Parser::MsgPack => {
                    return decode_msgpack(&bytes, &Limits::default())
                        .unwrap_or_else(|e| panic!("msgpack packet: {e}"));
                }
                other => panic!("{:?} parser got {other:?}", self.parser),
            }
        }
    }

    fn send(&mut self, packet: &Packet) {
        let message = match self.parser {
            Parser::Json => Message::text(format!("4{}", encode(packet).as_str())),
            Parser::MsgPack => Message::binary(encode_msgpack(packet)),
        };
        self.ws
            .send(message)
            .unwrap_or_else(|e| panic!("send: {e}"));
    }

    /// CONNECT to `/` with `data`.
    fn connect(&mut self, data: Option<&str>) {
        let data = data.map(|d| RawJson::parse(d).unwrap_or_else(|e| panic!("{e}")));
        let nsp = Namespace::main();
        self.send(&Packet::Connect { nsp, data });
    }
}

/// The sid and pid of a CONNECT reply.
fn connect_reply(packet: &Packet) -> (String, String) {
    let Packet::Connect {
        data: Some(data), ..
    } = packet
    else {
        panic!("CONNECT reply: {packet:?}");
    };
    let value: serde_json::Value = data.deserialize().unwrap_or_default();
    let field = |k: &str| value[k].as_str().unwrap_or_default().to_owned();
    (field("sid"), field("pid"))
}

/// An EVENT's name and arguments.
fn event(packet: &Packet) -> Vec<serde_json::Value> {
    let Packet::Event { name, args, .. } = packet else {
        panic!("EVENT: {packet:?}");
    };
    let args = (args.args().iter()).map(|a| a.deserialize().unwrap_or_default());
    std::iter::once(serde_json::json!(name))
        .chain(args)
        .collect()
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_back_on_another_node_gets_its_session_from_the_cluster() {
    let cases = [true, false].map(|share| [Parser::Json, Parser::MsgPack].map(|p| (share, p)));
    for (share_sessions, parser) in cases.into_iter().flatten() {
        let mesh = Arc::new(Mesh {
            share_sessions,
            ..Mesh::default()
        });
        let (io_a, server_a) = node(&mesh, 0, parser).await;
        let (io_b, server_b) = node(&mesh, 1, parser).await;
        let (a, b) = (server_a.local_addr(), server_b.local_addr());

        // On A: connect, get the pid and an offset (the `hello` on connect).
        let (sid, pid, offset) = blocking(move || {
            let mut ws = open(a, parser);
            ws.connect(None);
            let (sid, pid) = connect_reply(&ws.next());
            let hello = event(&ws.next());
            assert_eq!(hello[0], "hello");
            let offset = hello[1].as_str().unwrap_or_default().to_owned();
            // The transport drops (no close frame): A keeps the session.
            drop(ws);
            (sid, pid, offset)
        })
        .await;
        assert!(!pid.is_empty() && !offset.is_empty());
        tokio::time::sleep(Duration::from_millis(300)).await;
        // Meanwhile, a broadcast to its room (A stores it for the session).
        let _ = io_a.of("/").to("red").emit("news", "missed");

        // Back on B with the pid and offset.
        let resume = format!(r#"{{"pid":"{pid}","offset":"{offset}"}}"#);
        let (sid2, first, ws) = blocking(move || {
            let mut ws = open(b, parser);
            ws.connect(Some(&resume));
            let (sid2, _) = connect_reply(&ws.next());
            let first = event(&ws.next());
            (sid2, first, ws)
        })
        .await;
        if share_sessions {
            assert_eq!(sid2, sid, "B restored the session A kept ({parser:?})");
            assert_eq!(
                first[..2],
                [serde_json::json!("news"), serde_json::json!("missed")]
            );
            // Its rooms came along: a broadcast on B to `red` reaches it.
            let _ = io_b.of("/").to("red").emit("news", "after");
            let after = blocking(move || {
                let mut ws = ws;
                event(&ws.next())
            })
            .await;
            assert_eq!(
                after[..2],
                [serde_json::json!("news"), serde_json::json!("after")]
            );
        } else {
            assert_ne!(sid2, sid, "without session sharing B gives a fresh socket");
            assert_eq!(first[0], "hello");
            drop(ws);
        }
        server_a.shutdown().await;
        server_b.shutdown().await;
    }
}
