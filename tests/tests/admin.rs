//! The Admin UI's namespace (`SocketIo::instrument`, feature `admin`) over real sockets, spoken
//! as the UI speaks it: the login (a wrong password, the session id, the attempt limit), what a
//! development-mode admin is told (sockets, rooms, events, disconnects, stats), its actions,
//! read-only and production modes.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use conformance::target::Target;
use conformance::transcript::Transcript;
use conformance::ws::{Event, Opening, WebSocket};
use engineio::runtime::{RunningServer, Server};
use serde_json::{json, Value};
use socketio::admin::{AdminAuth, AdminConfig, AdminMode};
use socketio::proto::RecoveryConfig;
use socketio::runtime::{SocketIo, SocketIoConfig};
use std::time::Duration;

/// How long a reply may take.
const LIMIT: Duration = Duration::from_secs(10);
/// `bcryptjs.hashSync("s3cret", 4)`: a hash of the Node package's kind.
const HASH: &str = "$2a$04$4Rl8UW0A3dfw7egmQlqhCONU05WP6/m1EyAP5Jd/6bENaGSfmKjC2";

struct Fixture {
    target: Target,
    _server: RunningServer,
    _io: SocketIo,
}

async fn start(config: AdminConfig) -> Fixture {
    start_with(SocketIoConfig::default(), config).await
}

async fn start_with(io_config: SocketIoConfig, config: AdminConfig) -> Fixture {
    let io = SocketIo::new(io_config);
    io.instrument(config).unwrap();
    io.of("/").on_connection(|socket| {
        socket.on("ping-me", |socket, args, _| {
            let _ = socket.emit("pong-you", args);
        });
    });
    let server = Server::new(([127, 0, 0, 1], 0).into())
        .engine(io.engine())
        .start()
        .await
        .unwrap();
    Fixture {
        target: Target::parse(&format!("http://{}/socket.io/", server.local_addr())).unwrap(),
        _server: server,
        _io: io,
    }
}

/// A Socket.IO client on a raw WebSocket: connects one namespace, reads events.
struct Client {
    ws: WebSocket,
}

impl Client {
    async fn open(target: &Target, query: &str) -> Client {
        let log = Transcript::new();
        let query = format!("?EIO=4&transport=websocket{query}");
        let Opening::Open(mut ws) = WebSocket::connect(target, &query, &log).await.unwrap() else {
            panic!("the upgrade was refused");
        };
        let open = text(ws.recv(LIMIT).await.unwrap());
        assert!(open.starts_with("0{"), "{open}");
        Client { ws }
    }

    /// Sends a CONNECT to `nsp` with `auth`; the reply (`40...` or `44...`).
    async fn connect(&mut self, nsp: &str, auth: Value) -> String {
        let nsp = if nsp == "/" {
            String::new()
        } else {
            format!("{nsp},")
        };
        self.send(&format!("40{nsp}{auth}")).await;
        let (ok, refused) = (format!("40{nsp}"), format!("44{nsp}"));
        self.next_matching(|t| t.starts_with(&ok) || t.starts_with(&refused))
            .await
    }

    async fn send(&mut self, text: &str) {
        self.ws.send_text(text).await.unwrap();
    }

    async fn next_matching(&mut self, wanted: impl Fn(&str) -> bool) -> String {
        loop {
            let t = text(self.ws.recv(LIMIT).await.unwrap());
            if t == "2" {
                self.send("3").await;
            } else if wanted(&t) {
                return t;
            }
        }
    }

    /// The arguments of the next event `name` on `nsp` (others are skipped).
    async fn event(&mut self, nsp: &str, name: &str) -> Vec<Value> {
        let prefix = if nsp == "/" {
            "42".to_owned()
        } else {
            format!("42{nsp},")
        };
        loop {
            let t = self.next_matching(|t| t.starts_with(&prefix)).await;
            let mut array: Vec<Value> = serde_json::from_str(&t[prefix.len()..]).unwrap();
            if array.first() == Some(&json!(name)) {
                array.remove(0);
                return array;
            }
        }
    }

    /// The next `name` event whose arguments satisfy `wanted`.
    async fn event_where(
        &mut self,
        nsp: &str,
        name: &str,
        wanted: impl Fn(&[Value]) -> bool,
    ) -> Vec<Value> {
        loop {
            let args = self.event(nsp, name).await;
            if wanted(&args) {
                return args;
            }
        }
    }
}

fn text(event: Event) -> String {
    match event {
        Event::Text(text) => text,
        other => panic!("{other:?}"),
    }
}

fn sid_of(reply: &str) -> String {
    let json: Value = serde_json::from_str(&reply[reply.find('{').unwrap()..]).unwrap();
    json["sid"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_is_refused_and_a_good_one_gets_a_session() {
    let f = start(AdminConfig::new(AdminAuth::basic("admin", HASH))).await;
    let mut ui = Client::open(&f.target, "").await;
    let refused = ui
        .connect("/admin", json!({"username": "admin", "password": "wrong"}))
        .await;
    assert_eq!(refused, r#"44/admin,{"message":"invalid credentials"}"#);
    let refused = ui
        .connect("/admin", json!({"username": "root", "password": "s3cret"}))
        .await;
    assert_eq!(refused, r#"44/admin,{"message":"invalid credentials"}"#);
    let accepted = ui
        .connect("/admin", json!({"username": "admin", "password": "s3cret"}))
        .await;
    assert!(accepted.starts_with("40/admin,{\"sid\""), "{accepted}");
    let session = ui.event("/admin", "session").await;
    let session = session[0].as_str().unwrap().to_owned();
    let config = ui.event("/admin", "config").await;
    assert_eq!(
        config[0]["supportedFeatures"],
        json!([
            "EMIT",
            "JOIN",
            "LEAVE",
            "DISCONNECT",
            "MJOIN",
            "MLEAVE",
            "MDISCONNECT",
            "AGGREGATED_EVENTS",
            "ALL_EVENTS"
        ])
    );
    // A reconnection with the session id needs no password (the UI reloaded).
    let mut again = Client::open(&f.target, "").await;
    let accepted = again.connect("/admin", json!({"sessionId": session})).await;
    assert!(accepted.starts_with("40/admin,"), "{accepted}");
    // An unknown session id is no login.
    let mut other = Client::open(&f.target, "").await;
    let refused = other
        .connect("/admin", json!({"sessionId": "made-up"}))
        .await;
    assert_eq!(refused, r#"44/admin,{"message":"invalid credentials"}"#);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_attempts_are_limited_per_address() {
    let f = start(AdminConfig::new(AdminAuth::basic("admin", HASH))).await;
    let mut ui = Client::open(&f.target, "").await;
    let mut replies = Vec::new();
    for _ in 0..5 {
        replies.push(
            ui.connect("/admin", json!({"username": "admin", "password": "x"}))
                .await,
        );
    }
    assert!(
        replies[..3]
            .iter()
            .all(|r| r.contains("invalid credentials")),
        "{replies:?}"
    );
    assert!(
        replies[3..]
            .iter()
            .all(|r| r.contains("too many login attempts")),
        "{replies:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn development_mode_shows_sockets_rooms_events_and_acts() {
    let f = start(AdminConfig::new(AdminAuth::None).server_id("node-a")).await;
    let mut ui = Client::open(&f.target, "").await;
    assert!(ui
        .connect("/admin", json!({}))
        .await
        .starts_with("40/admin,"));
    let all = ui.event("/admin", "all_sockets").await;
    assert!(all[0].is_array());
    // A client whose credentials must not show.
    let mut client = Client::open(&f.target, "&token=SECRET&room=lobby").await;
    let reply = client.connect("/", json!({"token": "SECRET-TOO"})).await;
    let id = sid_of(&reply);
    let connected = ui
        .event_where("/admin", "socket_connected", |a| a[0]["id"] == json!(id))
        .await;
    let socket = &connected[0];
    assert_eq!(socket["nsp"], json!("/"));
    assert_eq!(socket["transport"], json!("websocket"));
    assert_eq!(socket["rooms"], json!([id]));
    assert_eq!(socket["handshake"]["query"]["room"], json!("lobby"));
    assert_eq!(socket["handshake"]["address"], json!("127.0.0.1"));
    assert!(socket["handshake"]["issued"].as_u64().unwrap() > 1_600_000_000_000);
    assert!(!socket.to_string().contains("SECRET"), "{socket}");
    assert!(connected[1].as_str().unwrap().ends_with('Z'));
    // Its events, in and out.
    client.send(r#"42["ping-me",1,{"a":2}]"#).await;
    let received = ui.event("/admin", "event_received").await;
    assert_eq!(
        received[..3],
        [json!("/"), json!(id), json!(["ping-me", 1, {"a": 2}])]
    );
    let sent = ui.event("/admin", "event_sent").await;
    assert_eq!(
        sent[..3],
        [json!("/"), json!(id), json!(["pong-you", 1, {"a": 2}])]
    );
    // The UI's actions: join a room, emit to it, leave it, disconnect.
    ui.send(&format!(r#"42/admin,["join","/","blue","{id}"]"#))
        .await;
    let joined = ui.event("/admin", "room_joined").await;
    assert_eq!(joined[..3], [json!("/"), json!("blue"), json!(id)]);
    ui.send(r#"42/admin,["emit","/","blue","hello",7]"#).await;
    assert_eq!(client.event("/", "hello").await, [json!(7)]);
    // A broadcast reaches the socket's outgoing handlers too.
    let sent = ui.event("/admin", "event_sent").await;
    assert_eq!(sent[..3], [json!("/"), json!(id), json!(["hello", 7])]);
    ui.send(r#"42/admin,["leave","/","blue"]"#).await;
    let left = ui.event("/admin", "room_left").await;
    assert_eq!(left[..3], [json!("/"), json!("blue"), json!(id)]);
    // The stats of this node.
    let stats = ui
        .event_where("/admin", "server_stats", |a| {
            a[0]["clientsCount"] == json!(2)
        })
        .await;
    let stats = &stats[0];
    assert_eq!(stats["serverId"], json!("node-a"));
    assert_eq!(stats["pollingClientsCount"], json!(0));
    assert!(stats["namespaces"]
        .as_array()
        .unwrap()
        .contains(&json!({"name": "/", "socketsCount": 1})));
    assert!(stats["aggregatedEvents"].is_array());
    ui.send(&format!(r#"42/admin,["_disconnect","/",false,"{id}"]"#))
        .await;
    client.next_matching(|t| t == "41").await;
    let gone = ui.event("/admin", "socket_disconnected").await;
    assert_eq!(
        gone[..3],
        [json!("/"), json!(id), json!("server namespace disconnect")]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_refuses_actions_and_production_tells_no_sockets() {
    let config = AdminConfig::new(AdminAuth::None)
        .read_only(true)
        .mode(AdminMode::Production);
    let f = start(config).await;
    let mut ui = Client::open(&f.target, "").await;
    assert!(ui
        .connect("/admin", json!({}))
        .await
        .starts_with("40/admin,"));
    let config = ui.event("/admin", "config").await;
    assert_eq!(config[0]["supportedFeatures"], json!(["AGGREGATED_EVENTS"]));
    let mut client = Client::open(&f.target, "").await;
    let id = sid_of(&client.connect("/", json!({})).await);
    ui.send(&format!(r#"42/admin,["_disconnect","/",false,"{id}"]"#))
        .await;
    // Production: only stats come, and they count the client on `/`. (A stats computed after
    // the client's Engine.IO open but before its CONNECT reached `/` counts 2 clients and no
    // socket on `/`: wait for the one that counts both.)
    let stats = ui
        .event_where("/admin", "server_stats", |a| {
            a[0]["clientsCount"] == json!(2)
                && (a[0]["namespaces"].as_array())
                    .is_some_and(|n| n.contains(&json!({"name": "/", "socketsCount": 1})))
        })
        .await;
    assert_eq!(stats[0]["pollingClientsCount"], json!(0));
    // The `_disconnect` sent above was refused (read-only): the client still answers, well
    // after the UI's packet was handled (the stats above come at most every 2 s).
    client.send(r#"42["ping-me"]"#).await;
    assert!(client.event("/", "pong-you").await.is_empty());
}

/// With connection state recovery on, a socket joins its rooms under the recovery store's lock,
/// the admin namespace's own sockets too: what the admin is told of it must not wait for that
/// lock (the chat demo's setting).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_recovery_on_the_admin_is_told_without_deadlock() {
    let io_config = SocketIoConfig::default().connection_state_recovery(RecoveryConfig::default());
    let f = start_with(io_config, AdminConfig::new(AdminAuth::None)).await;
    let mut ui = Client::open(&f.target, "").await;
    assert!(ui
        .connect("/admin", json!({}))
        .await
        .starts_with("40/admin,"));
    ui.event("/admin", "config").await;
    let mut client = Client::open(&f.target, "").await;
    let id = sid_of(&client.connect("/", json!({})).await);
    ui.event_where("/admin", "socket_connected", |a| a[0]["id"] == json!(id))
        .await;
}

/// A JWT for `sub`, signed with `secret` (HS256), valid for a minute.
fn token(secret: &[u8], sub: &str) -> String {
    use jwt_auth::{Algorithm, Claims, Header, SigningKey, SystemRandom};
    let key = SigningKey::hmac(secret)
        .unwrap()
        .with_algorithm(Algorithm::HS256)
        .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let claims = Claims::new().with("sub", sub).with("exp", now + 60);
    jwt_auth::sign(
        &Header::new(Algorithm::HS256),
        &claims,
        &key,
        &SystemRandom::new(),
    )
    .unwrap()
}

/// The admin namespace behind the server's JWT policy (here with no password of its own), and
/// an authenticated socket shown with its `sub`, never its token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_the_jwt_policy_sockets_show_their_sub_not_their_token() {
    use jwt_auth::{Algorithm, Key, Validation, Verifier};
    use socketio::proto::{AuthPolicies, AuthPolicy, JwtPolicy, TokenSource};
    let secret = b"an HS256 secret of at least 32 bytes!!";
    let key = Key::hmac(secret)
        .unwrap()
        .with_algorithm(Algorithm::HS256)
        .unwrap();
    let mut policy = JwtPolicy::new(Verifier::new(
        key,
        Validation::new().algorithms(Algorithm::HS256),
    ));
    policy.sources = vec![TokenSource::AuthPayload, TokenSource::Query];
    policy.refresh = true;
    let io_config = SocketIoConfig::default().auth(AuthPolicies {
        default: AuthPolicy::Jwt(std::sync::Arc::new(policy)),
        namespaces: Vec::new(),
    });
    let f = start_with(io_config, AdminConfig::new(AdminAuth::None)).await;
    let mut ui = Client::open(&f.target, "").await;
    let refused = ui.connect("/admin", json!({})).await;
    assert!(refused.starts_with("44/admin,"), "{refused}");
    let admin_token = token(secret, "ops");
    let accepted = ui.connect("/admin", json!({ "token": admin_token })).await;
    assert!(accepted.starts_with("40/admin,"), "{accepted}");
    ui.event("/admin", "config").await;
    let alice = token(secret, "alice");
    let mut client = Client::open(&f.target, &format!("&token={alice}")).await;
    let id = sid_of(&client.connect("/", json!({ "token": alice })).await);
    let connected = ui
        .event_where("/admin", "socket_connected", |a| a[0]["id"] == json!(id))
        .await;
    let socket = &connected[0];
    assert_eq!(socket["handshake"]["sub"], json!("alice"));
    assert_eq!(socket["data"]["sub"], json!("alice"));
    assert!(!socket.to_string().contains(&alice), "{socket}");
    // A fresh token sent in-band: the UI is told the socket's data again.
    let fresh = token(secret, "alice");
    client
        .send(&format!(r#"42["authenticate",{{"token":"{fresh}"}}]"#))
        .await;
    let updated = ui.event("/admin", "socket_updated").await;
    assert_eq!(
        updated[0],
        json!({"id": id, "nsp": "/", "data": {"sub": "alice"}})
    );
}
