//! This node's side of a cluster: linking a namespace to the attached [`Cluster`], carrying out
//! the work the other nodes hand it through its [`LocalNode`], and the namespace's server-side
//! emits. Nothing here runs until a cluster is attached.

use super::broadcast::deliver;
use super::cluster::{
    Cluster, ClusterBroadcast, ClusterError, ClusterOp, ClusterSession, LocalNode, ServerAck,
    SocketInfo,
};
use super::namespace::Namespace;
use super::room::{Room, Selector};
use super::socket::Socket;
use crate::proto::Payload;
use std::any::Any;
use std::sync::{Arc, Weak};
use std::time::Duration;
use tokio::sync::mpsc;

/// Links a namespace to `cluster` (once), so its broadcasts reach the other nodes and theirs
/// reach it.
pub(crate) fn join_cluster(namespace: &Arc<Namespace>, cluster: &Arc<dyn Cluster>) {
    if namespace.adapter().cluster().set(cluster.clone()) {
        cluster.add_namespace(LocalNode::new(namespace));
    }
}

impl LocalNode {
    fn new(namespace: &Arc<Namespace>) -> Self {
        let erased: Weak<dyn Any + Send + Sync> = Arc::<Namespace>::downgrade(namespace);
        Self {
            name: Arc::from(namespace.name()),
            namespace: erased,
        }
    }

    /// The namespace, unless the server is gone.
    fn upgrade(&self) -> Option<Arc<Namespace>> {
        self.namespace.upgrade()?.downcast::<Namespace>().ok()
    }

    /// Delivers a broadcast to the local sockets it selects (the packet is encoded once).
    /// Returns how many sockets it was queued for.
    pub fn broadcast(&self, broadcast: &ClusterBroadcast) -> usize {
        let Some(ns) = self.upgrade() else {
            return 0;
        };
        let (selector, volatile) = (&broadcast.selector, broadcast.volatile);
        deliver(&ns, selector, volatile, &broadcast.event, &broadcast.args)
            .map_or(0, |report| report.sent)
    }

    /// Delivers a broadcast asking each local client for an acknowledgement: returns how many
    /// clients were asked, and a channel giving each answer as it arrives (until `timeout`).
    pub fn broadcast_with_ack(
        &self,
        broadcast: &ClusterBroadcast,
        timeout: Duration,
    ) -> (usize, mpsc::UnboundedReceiver<Payload>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let Some(ns) = self.upgrade() else {
            return (0, rx);
        };
        let sockets = ns.adapter().select(&broadcast.selector);
        for socket in &sockets {
            let (socket, tx) = (socket.clone(), tx.clone());
            let (event, args) = (broadcast.event.clone(), broadcast.args.clone());
            tokio::spawn(async move {
                if let Ok(answer) = socket.emit_with_ack(&event, args, timeout).await {
                    let _ = tx.send(answer);
                }
            });
        }
        (sockets.len(), rx)
    }

    /// The local sockets `selector` reaches, described for another node.
    pub fn sockets(&self, selector: &Selector) -> Vec<SocketInfo> {
        let Some(ns) = self.upgrade() else {
            return Vec::new();
        };
        ns.adapter()
            .select(selector)
            .iter()
            .map(socket_info)
            .collect()
    }

    /// The rooms that have local members.
    pub fn rooms(&self) -> Vec<Room> {
        self.upgrade()
            .map(|ns| ns.adapter().room_names())
            .unwrap_or_default()
    }

    /// Applies `op` to the local sockets `selector` reaches.
    pub fn apply(&self, selector: &Selector, op: &ClusterOp) {
        let Some(ns) = self.upgrade() else {
            return;
        };
        apply_local(&ns, selector, op);
    }

    /// Takes the session `pid` that this node keeps (connection state recovery), with the
    /// packets it missed after `offset`, for the node its client came back to
    /// ([`Cluster::restore_session`]). `None` if this node does not keep it, or cannot give
    /// everything it missed; either way this node forgets it.
    pub fn take_session(&self, pid: &str, offset: &str) -> Option<ClusterSession> {
        let ns = self.upgrade()?;
        let restored = ns.recovery()?.restore(pid, offset)?;
        let session = restored.session;
        let missed = (restored.missed.into_iter())
            .map(|packet| {
                let (text, attachments) = packet.into_parts();
                (String::from_utf8_lossy(&text).into_owned(), attachments)
            })
            .collect();
        Some(ClusterSession {
            sid: session.kept.sid.into(),
            pid: session.kept.pid.into(),
            rooms: session.rooms,
            claims: session.kept.identity.claims().cloned(),
            expires_at: session.kept.expires_at.map(epoch_seconds),
            missed,
        })
    }

    /// Runs this node's server-side handler of `data[0]` with the rest of `data`. Returns false
    /// when there is none (the acknowledgement is then dropped, as Node does).
    pub fn server_side_emit(&self, data: Vec<serde_json::Value>, ack: Option<ServerAck>) -> bool {
        let Some(ns) = self.upgrade() else {
            return false;
        };
        let mut data = data.into_iter();
        let Some(serde_json::Value::String(name)) = data.next() else {
            return false;
        };
        match ns.adapter().cluster().handler(&name) {
            Some(handler) => {
                handler(data.collect(), ack);
                true
            }
            None => false,
        }
    }
}

/// An instant as seconds since the epoch (for another node, whose clock is another's).
fn epoch_seconds(at: std::time::Instant) -> u64 {
    let now = std::time::SystemTime::now();
    let left = at.saturating_duration_since(std::time::Instant::now());
    (now + left)
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

pub(crate) fn apply_local(ns: &Namespace, selector: &Selector, op: &ClusterOp) {
    for socket in ns.adapter().select(selector) {
        match op {
            ClusterOp::Join(rooms) => rooms.iter().for_each(|r| socket.join(r)),
            ClusterOp::Leave(rooms) => rooms.iter().for_each(|r| socket.leave(r)),
            ClusterOp::Disconnect { close } => socket.disconnect(*close),
        }
    }
}

/// A local socket as another node sees it. Credentials (the `authorization` and `cookie`
/// headers, a `token` query parameter and the CONNECT payload's `token`, and the Admin UI's
/// `password` and `sessionId`) stay on this node. `issued` (ms since the epoch) and `time` say when
/// it connected, as in Node's handshake.
pub(crate) fn socket_info(socket: &Socket) -> SocketInfo {
    use serde_json::{Map, Value};
    let hs = socket.handshake();
    let headers: Map<String, Value> = hs
        .headers
        .iter()
        .filter(|(n, _)| n != "authorization" && n != "cookie")
        .map(|(n, v)| (n.clone(), Value::String(v.clone())))
        .collect();
    let query: Map<String, Value> = engineio::proto::query::pairs(&hs.query)
        .filter(|(k, _)| k != "token")
        .map(|(k, v)| (k, Value::String(v)))
        .collect();
    let mut auth = socket.auth().deserialize::<Value>().unwrap_or(Value::Null);
    if let Value::Object(map) = &mut auth {
        for credential in ["token", "password", "sessionId"] {
            map.remove(credential);
        }
    }
    let mut handshake = Map::new();
    handshake.insert("headers".into(), Value::Object(headers));
    handshake.insert("address".into(), Value::String(hs.remote.ip().to_string()));
    handshake.insert("query".into(), Value::Object(query));
    handshake.insert("auth".into(), auth);
    let issued = (socket.issued().duration_since(std::time::UNIX_EPOCH))
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    handshake.insert("issued".into(), Value::from(issued));
    let mut data = Map::new();
    if let Some(claims) = socket.claims() {
        data.insert("claims".into(), Value::Object(claims));
    }
    SocketInfo {
        id: socket.id().to_owned(),
        rooms: socket.rooms(),
        handshake: Value::Object(handshake),
        data: Value::Object(data),
    }
}

/// Server-side emits between nodes (Node's `namespace.serverSideEmit` and `namespace.on`).
impl Namespace {
    /// Registers the handler of server-side emits named `name` from other nodes (replacing an
    /// earlier one). Runs on the adapter's task: keep it short or spawn.
    pub fn on_server_side_emit<F>(&self, name: &str, handler: F)
    where
        F: Fn(Vec<serde_json::Value>, Option<ServerAck>) + Send + Sync + 'static,
    {
        (self.adapter().cluster()).set_handler(name, Arc::new(handler));
    }

    /// Emits an event to the other nodes' server-side handlers (not to clients). Does nothing
    /// without a cluster. Arguments are JSON, as in Node.
    pub fn server_side_emit(&self, name: &str, args: &[serde_json::Value]) {
        if let Some(cluster) = self.adapter().cluster().get() {
            cluster.server_side_emit(self.name(), &event_data(name, args));
        }
    }

    /// Emits to the other nodes' server-side handlers and waits for one answer per node, at
    /// most `timeout`. Without a cluster there is no other node: the answer is empty.
    pub async fn server_side_emit_with_ack(
        &self,
        name: &str,
        args: &[serde_json::Value],
        timeout: Duration,
    ) -> Result<Vec<serde_json::Value>, ClusterError> {
        match self.adapter().cluster().get() {
            Some(cluster) => {
                cluster
                    .server_side_emit_with_ack(self.name(), &event_data(name, args), timeout)
                    .await
            }
            None => Ok(Vec::new()),
        }
    }
}

fn event_data(name: &str, args: &[serde_json::Value]) -> Vec<serde_json::Value> {
    let mut data = Vec::with_capacity(args.len() + 1);
    data.push(serde_json::Value::String(name.to_owned()));
    data.extend_from_slice(args);
    data
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::runtime::cluster::{ClusterFuture, RemoteAcks};
    use crate::runtime::{SocketIo, SocketIoConfig};
    use std::sync::Mutex;

    /// Records what the core hands to the cluster.
    #[derive(Default)]
    struct Recorder {
        calls: Mutex<Vec<String>>,
    }

    impl Recorder {
        fn push(&self, call: String) {
            self.calls.lock().unwrap().push(call);
        }
        fn take(&self) -> Vec<String> {
            std::mem::take(&mut *self.calls.lock().unwrap())
        }
    }

    impl Cluster for Recorder {
        fn add_namespace(&self, node: LocalNode) {
            self.push(format!("add {}", node.nsp()));
        }
        fn broadcast(&self, nsp: &str, b: &ClusterBroadcast) {
            self.push(format!(
                "broadcast {nsp} {} {:?} {:?} volatile={}",
                b.event, b.selector.rooms, b.selector.except, b.volatile
            ));
        }
        fn broadcast_with_ack(
            &self,
            nsp: &str,
            b: &ClusterBroadcast,
            timeout: Duration,
        ) -> ClusterFuture<Result<RemoteAcks, ClusterError>> {
            self.push(format!("ack {nsp} {} {timeout:?}", b.event));
            Box::pin(async {
                Ok(RemoteAcks {
                    acks: vec![Payload::empty()],
                    missing: 1,
                })
            })
        }
        fn fetch_sockets(
            &self,
            nsp: &str,
            selector: &Selector,
            _: Duration,
        ) -> ClusterFuture<Result<Vec<SocketInfo>, ClusterError>> {
            self.push(format!("fetch {nsp} {:?}", selector.rooms));
            Box::pin(async {
                Ok(vec![SocketInfo {
                    id: "remote-1".into(),
                    rooms: vec![Room::from("remote-1")],
                    handshake: serde_json::Value::Null,
                    data: serde_json::Value::Null,
                }])
            })
        }
        fn apply(&self, nsp: &str, selector: &Selector, op: &ClusterOp) {
            self.push(format!("apply {nsp} {:?} {op:?}", selector.rooms));
        }
        fn server_side_emit(&self, nsp: &str, data: &[serde_json::Value]) {
            self.push(format!("sse {nsp} {data:?}"));
        }
        fn server_side_emit_with_ack(
            &self,
            nsp: &str,
            _: &[serde_json::Value],
            _: Duration,
        ) -> ClusterFuture<Result<Vec<serde_json::Value>, ClusterError>> {
            self.push(format!("sse-ack {nsp}"));
            Box::pin(async {
                Err(ClusterError::Timeout {
                    answered: 0,
                    expected: 1,
                })
            })
        }
    }

    #[tokio::test]
    async fn the_core_hands_cluster_work_to_the_attached_cluster() {
        let io = SocketIo::new(SocketIoConfig::default());
        // Without a cluster: nothing to tell, the answers are local.
        let ns = io.of("/");
        assert!(ns.broadcast().fetch_all_sockets().await.unwrap().is_empty());
        assert_eq!(
            ns.server_side_emit_with_ack("x", &[], Duration::from_millis(1))
                .await,
            Ok(vec![])
        );

        let recorder = Arc::new(Recorder::default());
        assert!(io.attach_cluster(recorder.clone()));
        assert!(!io.attach_cluster(recorder.clone()), "one cluster, once");
        io.of("/chat");
        assert_eq!(recorder.take(), ["add /", "add /chat"]);

        ns.to("r").except("x").volatile().emit("ev", ()).unwrap();
        ns.broadcast().local().emit("quiet", ()).unwrap();
        ns.to("r").join("j");
        ns.to("r").local().leave("j");
        ns.broadcast().disconnect_sockets(true);
        ns.server_side_emit("hello", &[serde_json::json!(1)]);
        assert_eq!(
            recorder.take(),
            [
                r#"broadcast / ev ["r"] ["x"] volatile=true"#,
                r#"apply / ["r"] Join(["j"])"#,
                r#"apply / [] Disconnect { close: true }"#,
                r#"sse / [String("hello"), Number(1)]"#,
            ]
        );

        let fetched = ns.to("r").fetch_all_sockets().await.unwrap();
        assert_eq!(fetched.len(), 1);
        assert_eq!(fetched[0].id(), "remote-1");
        assert!(!fetched[0].is_local());
        assert!(ns
            .to("r")
            .local()
            .fetch_all_sockets()
            .await
            .unwrap()
            .is_empty());

        let acks = ns
            .broadcast()
            .timeout(Duration::from_millis(50))
            .emit_with_ack("ask", ())
            .await;
        assert_eq!(
            acks.len(),
            2,
            "one answer and one missing, from the cluster"
        );
        assert!(acks.iter().all(|(id, _)| id.is_empty()));
        assert_eq!(
            ns.server_side_emit_with_ack("x", &[], Duration::from_millis(1))
                .await,
            Err(ClusterError::Timeout {
                answered: 0,
                expected: 1
            })
        );
        assert_eq!(
            recorder.take(),
            [r#"fetch / ["r"]"#, "ack / ask 50ms", "sse-ack /"]
        );
    }

    #[tokio::test]
    async fn server_side_handlers_run_by_name() {
        let io = SocketIo::new(SocketIoConfig::default());
        let ns = io.of("/");
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s = seen.clone();
        ns.on_server_side_emit("hello", move |args, ack| {
            s.lock().unwrap().push(args);
            if let Some(ack) = ack {
                ack.send(serde_json::json!("hi"));
            }
        });
        let node = LocalNode::new(&ns);
        let answer = Arc::new(Mutex::new(None));
        let a = answer.clone();
        let ack = ServerAck::new(move |v| *a.lock().unwrap() = Some(v));
        assert!(node.server_side_emit(vec!["hello".into(), 1.into()], Some(ack)));
        assert!(!node.server_side_emit(vec!["other".into()], None));
        assert!(!node.server_side_emit(vec![], None));
        assert_eq!(*seen.lock().unwrap(), vec![vec![serde_json::json!(1)]]);
        assert_eq!(*answer.lock().unwrap(), Some(serde_json::json!("hi")));
        drop(io);
        drop(ns);
    }
}
