//! `SocketIo::instrument`: puts the Admin UI's namespace on a server (Node admin-ui's
//! `instrument(io, options)`), and the task that sends `server_stats` every 2 s.

use super::actions::{self, FEATURES};
use super::config::{AdminConfig, AdminConfigError, AdminMode};
use super::hooks::{emitter, Instrumentation};
use super::login::{Login, NewSession};
use super::serialize::serialize;
use super::time::{iso8601, unix_ms};
use crate::runtime::io::{IoInner, RoomWatch};
use crate::runtime::{FetchedSocket, Namespace, Observer, SocketInfo, SocketIo};
use serde_json::{json, Value};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant, SystemTime};

impl SocketIo {
    /// Serves the official Socket.IO Admin UI (npm `@socket.io/admin-ui` 0.5) on this server,
    /// as Node's `instrument(io, options)` does: the admin namespace with its login, the
    /// dashboard's statistics every 2 s, every socket and event in development mode, and the
    /// UI's actions unless read-only. Returns the admin namespace.
    ///
    /// Call it once, from within the tokio runtime (it starts the statistics task), before the
    /// server takes connections: connections opened earlier are not counted. The UI runs in a
    /// browser on another origin: allow it in the engine's CORS settings, with credentials
    /// (`EngineConfig::cors`).
    ///
    /// ```no_run
    /// # fn demo(io: &socketio::runtime::SocketIo) -> Result<(), socketio::admin::AdminConfigError> {
    /// use socketio::admin::{AdminAuth, AdminConfig};
    /// // A bcrypt hash, e.g. from `bcryptjs` (`require("bcryptjs").hashSync("changeit", 10)`).
    /// let hash = "$2a$10$...";
    /// io.instrument(AdminConfig::new(AdminAuth::basic("admin", hash)))?;
    /// # Ok(()) }
    /// ```
    pub fn instrument(&self, config: AdminConfig) -> Result<Arc<Namespace>, AdminConfigError> {
        let basic = config.validate()?;
        let inner = self.inner().clone();
        if inner.observer.get().is_some() {
            return Err(AdminConfigError::AlreadyInstrumented);
        }
        let admin = self.of(&config.namespace);
        let development = config.mode == AdminMode::Development;
        let (instrumentation, told) = Instrumentation::new(admin.clone(), development);
        let observer: Arc<dyn Observer> = instrumentation.clone();
        if inner.observer.set(observer).is_err() {
            return Err(AdminConfigError::AlreadyInstrumented);
        }
        tokio::spawn(emitter(admin.clone(), told));
        if development {
            watch_rooms(&inner, &instrumentation);
        }
        if let Some((username, hash)) = basic {
            let login = Arc::new(Login::new(username, hash));
            admin.use_check(move |ctx| login.clone().check(ctx));
        }
        let mut features: Vec<&str> = match config.read_only {
            true => Vec::new(),
            false => FEATURES.to_vec(),
        };
        features.push("AGGREGATED_EVENTS");
        if development {
            features.push("ALL_EVENTS");
        }
        let config_event = json!({ "supportedFeatures": features });
        let (weak, read_only) = (Arc::downgrade(&inner), config.read_only);
        admin.on_connection(move |socket| {
            let Some(io) = weak.upgrade() else {
                return;
            };
            if let Some(session) = socket.data::<NewSession>() {
                let _ = socket.emit("session", session.0.as_str());
            }
            if !read_only {
                actions::register(&io, &socket);
            }
            let _ = socket.emit("config", &config_event);
            if development {
                tokio::spawn(async move {
                    let sockets = all_sockets(&io).await;
                    let _ = socket.emit("all_sockets", Value::Array(sockets));
                });
            }
        });
        let server = ServerInfo::new(config.server_id);
        tokio::spawn(stats_task(
            Arc::downgrade(&inner),
            Arc::downgrade(&instrumentation),
            server,
        ));
        Ok(admin)
    }
}

/// Tells the instrumentation about the room changes of every namespace, those made later too.
fn watch_rooms(inner: &Arc<IoInner>, instrumentation: &Arc<Instrumentation>) {
    let weak = Arc::downgrade(instrumentation);
    let watch: RoomWatch = Arc::new(move |ns: &Arc<Namespace>| {
        let (weak, name) = (weak.clone(), ns.name().to_owned());
        ns.adapter()
            .set_room_hook(Arc::new(move |room, id, change| {
                if let Some(instrumentation) = weak.upgrade() {
                    instrumentation.room_changed(&name, room, id, change);
                }
            }));
    });
    // Set first: a namespace made meanwhile gets the hook one way or the other (it is set once).
    let _ = inner.room_watch.set(watch.clone());
    for ns in inner.all_namespaces() {
        watch(&ns);
    }
}

/// Every socket of every namespace, of every node when there is a cluster (Node's
/// `fetchSockets` per namespace); a node that does not answer leaves its sockets out.
async fn all_sockets(io: &Arc<IoInner>) -> Vec<Value> {
    let mut out = Vec::new();
    for ns in io.all_namespaces() {
        if ns.adapter().cluster().get().is_none() {
            out.extend(ns.sockets().iter().map(serialize));
            continue;
        }
        let op = ns.broadcast().timeout(Duration::from_secs(2));
        match op.fetch_all_sockets().await {
            Ok(sockets) => out.extend(sockets.iter().map(|s| match s {
                FetchedSocket::Local(socket) => serialize(socket),
                FetchedSocket::Remote(remote) => serialize_remote(&ns, &remote.info),
            })),
            Err(_) => out.extend(ns.sockets().iter().map(serialize)),
        }
    }
    out
}

/// A socket of another node as the UI reads it: what the cluster reported (its CONNECT payload
/// left out). A Node node instrumented by admin-ui reports the client id and transport in
/// `data._admin` (taken out of the data shown, as Node does); for ours the client id is the socket
/// id and the transport `websocket`: the cluster does not carry them.
fn serialize_remote(ns: &Namespace, info: &SocketInfo) -> Value {
    let mut handshake = info.handshake.clone();
    if let Some(object) = handshake.as_object_mut() {
        object.remove("auth");
        let issued = object.get("issued").and_then(Value::as_u64).unwrap_or(0);
        object.entry("issued").or_insert(Value::from(issued));
        let time = iso8601(std::time::UNIX_EPOCH + Duration::from_millis(issued));
        object.entry("time").or_insert(Value::from(time));
    }
    let mut data = info.data.clone();
    let admin = data.as_object_mut().and_then(|d| d.remove("_admin"));
    let from_admin = |key: &str| {
        let value = admin.as_ref()?.get(key)?.as_str()?;
        Some(value.to_owned())
    };
    let client_id = from_admin("clientId").unwrap_or_else(|| info.id.chars().take(12).collect());
    let transport = from_admin("transport").unwrap_or_else(|| "websocket".to_owned());
    json!({
        "id": info.id,
        "clientId": client_id,
        "transport": transport,
        "nsp": ns.name(),
        "data": data,
        "handshake": handshake,
        "rooms": info.rooms.iter().map(|r| r.to_string()).collect::<Vec<_>>(),
    })
}

/// What `server_stats` says of this server besides its counters.
struct ServerInfo {
    server_id: String,
    hostname: String,
    started: Instant,
}

impl ServerInfo {
    fn new(server_id: Option<String>) -> Self {
        let hostname = hostname();
        Self {
            server_id: server_id.unwrap_or_else(|| hostname.clone()),
            hostname,
            started: Instant::now(),
        }
    }
}

/// The host name (Linux: the kernel's; else `HOSTNAME`; else `localhost`).
fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "localhost".to_owned())
}

/// Once a second: moves the packet counters into their second; every other second (the first
/// at once): `server_stats` to the admin namespace. Ends with the server.
async fn stats_task(io: Weak<IoInner>, instrumentation: Weak<Instrumentation>, server: ServerInfo) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    for n in 0u64.. {
        tick.tick().await;
        let (Some(io), Some(instrumentation)) = (io.upgrade(), instrumentation.upgrade()) else {
            return;
        };
        instrumentation.stats.roll(unix_ms(SystemTime::now()));
        if n % 2 == 0 {
            let stats = server_stats(&io, &instrumentation, &server);
            instrumentation.tell("server_stats", || vec![(&stats).into()]);
        }
    }
}

fn server_stats(io: &IoInner, instrumentation: &Instrumentation, server: &ServerInfo) -> Value {
    let (clients, polling) = instrumentation.stats.clients();
    let mut namespaces: Vec<Value> = (io.all_namespaces().iter())
        .map(|ns| json!({"name": ns.name(), "socketsCount": ns.socket_count()}))
        .collect();
    namespaces.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    json!({
        "serverId": server.server_id,
        "hostname": server.hostname,
        "pid": std::process::id(),
        "uptime": server.started.elapsed().as_secs_f64(),
        "clientsCount": clients,
        "pollingClientsCount": polling,
        "aggregatedEvents": instrumentation.stats.take_aggregated(),
        "namespaces": namespaces,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::Room;

    #[test]
    fn remote_sockets_as_the_ui_reads_them() {
        let ns = Namespace::new(crate::proto::Namespace::main(), crate::proto::Parser::Json);
        let info = SocketInfo {
            id: "abcdefghijklmnop".into(),
            rooms: vec![Room::from("abcdefghijklmnop"), Room::from("red")],
            handshake: json!({"address": "10.0.0.1", "auth": {"user": "x"}, "issued": 1000}),
            data: json!({"_admin": {"clientId": "c1", "transport": "polling"}, "n": 1}),
        };
        let shown = serialize_remote(&ns, &info);
        assert_eq!(shown["clientId"], json!("c1"));
        assert_eq!(shown["transport"], json!("polling"));
        assert_eq!(shown["data"], json!({"n": 1}));
        assert_eq!(shown["handshake"]["auth"], Value::Null);
        assert_eq!(
            shown["handshake"]["time"],
            json!("1970-01-01T00:00:01.000Z")
        );
        assert_eq!(shown["rooms"], json!(["abcdefghijklmnop", "red"]));
        // One of ours: no `_admin`, no `issued` from an older node.
        let info = SocketInfo {
            handshake: Value::Null,
            data: Value::Null,
            ..info
        };
        let shown = serialize_remote(&ns, &info);
        assert_eq!(shown["clientId"], json!("abcdefghijkl"));
        assert_eq!(shown["transport"], json!("websocket"));
    }
}
