//! The chat demo: a Socket.IO server with JWT authentication, a login route and a page, on one port.
//!
//! ```text
//! cargo run --release -p socketio --example chat -- --port 3000 --static demo
//! ```
//!
//! (`scripts/demo.sh` runs `npm ci` in `demo/` first: the page loads the official browser client
//! from `demo/node_modules/socket.io-client/dist/socket.io.min.js`.)
//!
//! Flags: `--host H` (default `127.0.0.1`), `--port N` (default 3000), `--static DIR` (default
//! `demo`), `--token-ttl-s N` (default 60, short so that expiry is visible), `--secret S` (or the
//! environment variable `CHAT_JWT_SECRET`; at least 32 bytes; default: 32 random bytes read from
//! `/dev/urandom` at start, so tokens die with the process), `--admin` (the Socket.IO Admin UI on
//! `/admin`, user `admin`, a random password printed at start; needs `--features admin`, which
//! `scripts/demo.sh` turns on) with `--admin-origin O` (where the UI is served from, allowed by
//! CORS with credentials; default `https://admin.socket.io`, the hosted UI).
//!
//! HTTP routes (everything outside `/socket.io/`):
//!
//! | route                    | answer                                                                |
//! |--------------------------|-----------------------------------------------------------------------|
//! | `GET /`                  | `index.html`; also `/app.js`, `/style.css`, `/socket.io.min.js`: a fixed list of files, nothing else of the folder is reachable |
//! | `POST /login`            | `{"user":"alice"}` (`^[a-z0-9_]{1,20}$`, no password: a demo) → `{"token":<HS256 JWT>,"expires_in":N}` with `sub`, `name`, `iss: "chat-demo"`, `aud: "chat"`, `iat`, `exp` |
//! | `POST /refresh`          | `Authorization: Bearer <a token still valid>` → a fresh token for the same user (checked by the same verifier as the sockets) |
//!
//! Socket.IO, namespace `/`: a JWT is required (the CONNECT auth payload `{"token":...}` or the
//! `Authorization: Bearer` header of the handshake; issuer and audience checked; in-band refresh
//! on: emitting `authenticate` with a fresh token extends the connection). When the token expires
//! the server emits `unauthorized` (`jwt expired`) and disconnects the namespace.
//!
//! | event (client → server) | arguments            | the server                                                  |
//! |-------------------------|----------------------|-------------------------------------------------------------|
//! | `join`                  | room (ack)           | joins `room` (`^[a-z0-9_-]{1,30}$`), acks `{"ok":true,"rooms":[..]}` or `{"ok":false,"error":..}` |
//! | `leave`                 | room (ack)           | leaves `room` (not `lobby`), acks likewise                 |
//! | `message`               | `{room, text}` (ack) | if the socket is in `room` and `text` has 1..=1000 characters: emits `message` `{room, from, text, at}` to the room, then acks `{"ok":true}` |
//!
//! Events the server emits: `welcome` `{user, rooms, exp}` on connection, `online` (the sorted
//! list of users with at least one connected socket) whenever it changes, `message`.
// An application of the tokio runtime, not the core: it may read the clock and spawn tasks.
#![allow(clippy::disallowed_methods)]

use jwt_auth::{Algorithm, Claims, Header, Key, SigningKey, SystemRandom, Validation, Verifier};
use socketio::engineio::runtime::{Cors, HttpRequest, HttpResponse, Server};
use socketio::proto::{
    AuthMode, AuthPolicies, AuthPolicy, JwtPolicy, Payload, RecoveryConfig, TokenSource,
};
use socketio::runtime::{AckSender, Namespace, Socket, SocketIo, SocketIoConfig};
use std::io::Read;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const ISSUER: &str = "chat-demo";
const AUDIENCE: &str = "chat";
const LOBBY: &str = "lobby";
const USER_ROOM_PREFIX: &str = "user:";
const MAX_TEXT_CHARS: usize = 1000;
const MAX_ROOMS_PER_SOCKET: usize = 20;

/// The files the page needs: URL path, file under the static folder, content type. Nothing else
/// is served from disk, so no request path ever becomes a file path.
const STATIC_FILES: &[(&str, &str, &str)] = &[
    ("/", "index.html", "text/html; charset=UTF-8"),
    ("/index.html", "index.html", "text/html; charset=UTF-8"),
    ("/app.js", "app.js", "text/javascript; charset=UTF-8"),
    ("/style.css", "style.css", "text/css; charset=UTF-8"),
    (
        "/socket.io.min.js",
        "node_modules/socket.io-client/dist/socket.io.min.js",
        "text/javascript; charset=UTF-8",
    ),
    (
        "/socket.io.min.js.map",
        "node_modules/socket.io-client/dist/socket.io.min.js.map",
        "application/json",
    ),
];

// ----- command line -----

#[derive(Debug)]
struct Options {
    host: IpAddr,
    port: u16,
    static_dir: PathBuf,
    token_ttl_s: u64,
    secret: Option<String>,
    /// `--front axum`: the same app as an axum `Router` (needs `--features tower`).
    axum: bool,
    /// `--admin`: the Socket.IO Admin UI on `/admin` (needs `--features admin`).
    admin: bool,
    /// `--admin-origin`: the origin the Admin UI is served from.
    admin_origin: String,
}

fn parse_args() -> Result<Options, String> {
    let mut options = Options {
        host: IpAddr::from([127, 0, 0, 1]),
        port: 3000,
        static_dir: PathBuf::from("demo"),
        token_ttl_s: 60,
        secret: std::env::var("CHAT_JWT_SECRET")
            .ok()
            .filter(|s| !s.is_empty()),
        axum: false,
        admin: false,
        admin_origin: "https://admin.socket.io".to_owned(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        if flag == "--help" || flag == "-h" {
            return Err(String::new());
        }
        if flag == "--admin" {
            options.admin = true;
            continue;
        }
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--host" => options.host = value.parse().map_err(|_| format!("bad --host {value}"))?,
            "--port" => options.port = value.parse().map_err(|_| format!("bad --port {value}"))?,
            "--static" => options.static_dir = PathBuf::from(value),
            "--token-ttl-s" => {
                options.token_ttl_s = value
                    .parse()
                    .ok()
                    .filter(|ttl| (1..=86_400).contains(ttl))
                    .ok_or_else(|| format!("bad --token-ttl-s {value} (1..=86400)"))?
            }
            "--secret" => options.secret = Some(value),
            "--admin-origin" => options.admin_origin = value,
            "--front" => {
                options.axum = match value.as_str() {
                    "builtin" => false,
                    "axum" => true,
                    _ => return Err(format!("bad --front {value} (builtin or axum)")),
                }
            }
            other => return Err(format!("unknown flag {other}")),
        }
    }
    Ok(options)
}

const USAGE: &str = "usage: chat [--host 127.0.0.1] [--port 3000] [--static demo] \
[--front builtin|axum (axum: --features tower)] [--token-ttl-s 60] [--secret S (>= 32 bytes; or env CHAT_JWT_SECRET; default random)] \
[--admin (--features admin) [--admin-origin https://admin.socket.io]]";

/// Turns the Socket.IO Admin UI on (user `admin`, development mode); gives its random password.
#[cfg(feature = "admin")]
fn instrument_admin(io: &SocketIo) -> Result<String, String> {
    use socketio::admin::{AdminAuth, AdminConfig};
    let random = random_secret().map_err(|e| format!("reading /dev/urandom: {e}"))?;
    let password: String = random[..12].iter().map(|b| format!("{b:02x}")).collect();
    // bcryptjs' default cost: the hash takes a moment, once, at start.
    let auth = AdminAuth::basic_with_password("admin", &password, 10).map_err(|e| e.to_string())?;
    io.instrument(AdminConfig::new(auth).server_id("chat-demo"))
        .map_err(|e| e.to_string())?;
    Ok(password)
}

/// Without the `admin` feature there is no Admin UI to turn on.
#[cfg(not(feature = "admin"))]
fn instrument_admin(_io: &SocketIo) -> Result<String, String> {
    Err(
        "--admin needs the admin feature: cargo run -p socketio --features admin --example chat"
            .into(),
    )
}

/// 32 random bytes from the operating system.
fn random_secret() -> std::io::Result<Vec<u8>> {
    let mut secret = vec![0u8; 32];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut secret)?;
    Ok(secret)
}

fn now_s() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

// ----- tokens -----

/// Mints the demo's tokens and checks them with the same verifier the sockets use.
struct Tokens {
    signing_key: SigningKey,
    rng: SystemRandom,
    policy: Arc<JwtPolicy>,
    ttl_s: u64,
}

impl Tokens {
    fn new(secret: &[u8], ttl_s: u64) -> Result<Self, jwt_auth::Error> {
        let key = Key::hmac(secret)?.with_algorithm(Algorithm::HS256)?;
        // Leeway 0: the session ends exactly at `exp`, and an expired token does not refresh.
        let validation = Validation::new()
            .algorithms(Algorithm::HS256)
            .issuer(ISSUER)
            .audience(AUDIENCE)
            .required_claims(["sub"])
            .leeway(0);
        let policy = JwtPolicy {
            verifier: Verifier::new(key, validation),
            sources: vec![TokenSource::AuthPayload, TokenSource::Header],
            mode: AuthMode::Handshake,
            refresh: true,
            timeout: Duration::from_secs(10),
        };
        Ok(Self {
            signing_key: SigningKey::hmac(secret)?.with_algorithm(Algorithm::HS256)?,
            rng: SystemRandom::new(),
            policy: Arc::new(policy),
            ttl_s,
        })
    }

    /// `{"token":..,"expires_in":..}` for `user`.
    fn issue(&self, user: &str) -> Result<serde_json::Value, jwt_auth::Error> {
        let iat = now_s();
        let claims = Claims::new()
            .with("sub", user)
            .with("name", user)
            .with("iss", ISSUER)
            .with("aud", AUDIENCE)
            .with("iat", iat)
            .with("exp", iat + self.ttl_s);
        let token = jwt_auth::sign(
            &Header::new(Algorithm::HS256),
            &claims,
            &self.signing_key,
            &self.rng,
        )?;
        Ok(serde_json::json!({ "token": token, "expires_in": self.ttl_s }))
    }
}

// ----- HTTP: pages, login, refresh -----

fn json_error(status: u16, code: &str, message: &str) -> HttpResponse {
    let body = serde_json::json!({ "error": message, "code": code });
    no_store(HttpResponse::json(status, body.to_string()))
}

fn no_store(response: HttpResponse) -> HttpResponse {
    response
        .header("Cache-Control", "no-store")
        .header("X-Content-Type-Options", "nosniff")
}

fn valid_user(name: &str) -> bool {
    (1..=20).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

fn valid_room(name: &str) -> bool {
    (1..=30).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

fn is_json(req: &HttpRequest) -> bool {
    req.header("content-type").is_some_and(|t| {
        t.split(';')
            .next()
            .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
    })
}

fn login(tokens: &Tokens, req: &HttpRequest) -> HttpResponse {
    if req.method != "POST" {
        return json_error(
            405,
            "method_not_allowed",
            "POST a JSON body {\"user\": name}",
        )
        .header("Allow", "POST");
    }
    if !is_json(req) {
        return json_error(415, "bad_request", "send Content-Type: application/json");
    }
    let user = serde_json::from_slice::<serde_json::Value>(&req.body)
        .ok()
        .and_then(|v| v.get("user")?.as_str().map(str::to_owned));
    let Some(user) = user.filter(|u| valid_user(u)) else {
        return json_error(
            400,
            "bad_user",
            "user names are 1 to 20 characters from a-z, 0-9 and _",
        );
    };
    match tokens.issue(&user) {
        Ok(body) => {
            println!("login: {user}");
            no_store(HttpResponse::json(200, body.to_string()))
        }
        Err(e) => json_error(500, "signing_failed", &e.to_string()),
    }
}

fn refresh(tokens: &Tokens, req: &HttpRequest) -> HttpResponse {
    if req.method != "POST" {
        return json_error(405, "method_not_allowed", "POST with Authorization: Bearer")
            .header("Allow", "POST");
    }
    let header = req.header("authorization").unwrap_or_default();
    let Some(token) = header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
    else {
        return json_error(
            401,
            "credentials_required",
            "Format is Authorization: Bearer [token]",
        )
        .header("WWW-Authenticate", "Bearer");
    };
    let verified = match tokens.policy.verifier.verify(token.trim(), now_s()) {
        Ok(verified) => verified,
        Err(e) => {
            return json_error(401, "invalid_token", &e.to_string())
                .header("WWW-Authenticate", "Bearer error=\"invalid_token\"")
        }
    };
    let Some(user) = verified.claims().sub().filter(|u| valid_user(u)) else {
        return json_error(401, "invalid_token", "the token has no valid sub");
    };
    match tokens.issue(user) {
        Ok(body) => no_store(HttpResponse::json(200, body.to_string())),
        Err(e) => json_error(500, "signing_failed", &e.to_string()),
    }
}

async fn static_file(dir: &Path, path: &str) -> Option<HttpResponse> {
    let (_, file, content_type) = STATIC_FILES.iter().find(|(url, _, _)| *url == path)?;
    let full = dir.join(file);
    let response = match tokio::fs::read(&full).await {
        Ok(body) => HttpResponse::new(200)
            .header("Content-Type", *content_type)
            .header(
                "Content-Security-Policy",
                "default-src 'self'; connect-src 'self'; img-src 'self' data:; \
                 frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
            )
            .header("Referrer-Policy", "no-referrer")
            .body(body),
        Err(e) => HttpResponse::text(
            500,
            format!(
                "{} is missing ({e}): run `npm ci` in the demo folder (scripts/demo.sh does)\n",
                full.display()
            ),
        ),
    };
    Some(no_store(response))
}

async fn route(tokens: Arc<Tokens>, dir: Arc<PathBuf>, req: HttpRequest) -> HttpResponse {
    match req.path.as_str() {
        "/login" => login(&tokens, &req),
        "/refresh" => refresh(&tokens, &req),
        path if req.method == "GET" => static_file(&dir, path)
            .await
            .unwrap_or_else(HttpResponse::not_found),
        // The answer to a HEAD carries no body (the server writes whatever body it is given).
        path if req.method == "HEAD" => match static_file(&dir, path).await {
            Some(response) => response.body(bytes::Bytes::new()),
            None => HttpResponse::new(404),
        },
        _ => HttpResponse::not_found(),
    }
}

// ----- Socket.IO: rooms, presence, messages -----

/// The users with at least one connected socket, sorted (several tabs count once).
fn online_users(ns: &Arc<Namespace>) -> Vec<String> {
    let mut users: Vec<String> = ns
        .broadcast()
        .fetch_sockets()
        .iter()
        .filter_map(Socket::subject)
        .collect();
    users.sort();
    users.dedup();
    users
}

fn broadcast_presence(ns: &Arc<Namespace>) {
    let users = online_users(ns);
    let _ = ns.broadcast().emit("online", serde_json::json!(users));
}

/// The chat rooms the socket is in (not its own id nor its user room), sorted.
fn chat_rooms(socket: &Socket) -> Vec<String> {
    let mut rooms: Vec<String> = socket
        .rooms()
        .iter()
        .map(|r| r.to_string())
        .filter(|r| r != socket.id() && !r.starts_with(USER_ROOM_PREFIX))
        .collect();
    rooms.sort();
    rooms
}

fn reply(ack: Option<AckSender>, value: serde_json::Value) {
    if let Some(ack) = ack {
        let _ = ack.send(value);
    }
}

fn refuse(ack: Option<AckSender>, error: &str) {
    reply(ack, serde_json::json!({ "ok": false, "error": error }));
}

fn first_arg<T: serde::de::DeserializeOwned>(args: &Payload) -> Option<T> {
    args.args().first()?.deserialize::<T>().ok()
}

#[derive(serde::Deserialize)]
struct Outgoing {
    room: String,
    text: String,
}

fn on_join(socket: &Socket, args: Payload, ack: Option<AckSender>) {
    let Some(room) = first_arg::<String>(&args).filter(|r| valid_room(r)) else {
        return refuse(
            ack,
            "room names are 1 to 30 characters from a-z, 0-9, _ and -",
        );
    };
    let rooms = chat_rooms(socket);
    if !rooms.contains(&room) && rooms.len() >= MAX_ROOMS_PER_SOCKET {
        return refuse(ack, "too many rooms");
    }
    socket.join(&room);
    reply(
        ack,
        serde_json::json!({ "ok": true, "room": room, "rooms": chat_rooms(socket) }),
    );
}

fn on_leave(socket: &Socket, args: Payload, ack: Option<AckSender>) {
    let Some(room) = first_arg::<String>(&args).filter(|r| valid_room(r)) else {
        return refuse(ack, "not a room name");
    };
    if room == LOBBY {
        return refuse(ack, "everyone stays in the lobby");
    }
    socket.leave(&room);
    reply(
        ack,
        serde_json::json!({ "ok": true, "room": room, "rooms": chat_rooms(socket) }),
    );
}

fn on_message(socket: &Socket, args: Payload, ack: Option<AckSender>) {
    let Some(Outgoing { room, text }) = first_arg::<Outgoing>(&args) else {
        return refuse(ack, "send {room, text}");
    };
    let length = text.chars().count();
    if text.trim().is_empty() {
        return refuse(ack, "empty message");
    }
    if length > MAX_TEXT_CHARS {
        return refuse(ack, "messages are at most 1000 characters");
    }
    if !valid_room(&room) || !chat_rooms(socket).contains(&room) {
        return refuse(ack, "join the room first");
    }
    let Some(from) = socket.subject() else {
        return refuse(ack, "not authenticated");
    };
    let message = serde_json::json!({ "room": room, "from": from, "text": text, "at": now_ms() });
    let _ = socket.namespace().to(&room).emit("message", message);
    reply(ack, serde_json::json!({ "ok": true }));
}

fn on_connection(socket: Socket) {
    socket.join(LOBBY);
    let user = socket.subject().unwrap_or_default();
    let exp = socket.identity().expires_at();
    println!("connected: {user} ({})", socket.id());
    let _ = socket.emit(
        "welcome",
        serde_json::json!({ "user": user, "rooms": chat_rooms(&socket), "exp": exp }),
    );
    broadcast_presence(socket.namespace());
    socket.on("join", on_join);
    socket.on("leave", on_leave);
    socket.on("message", on_message);
    socket.on_disconnect(|socket, reason| {
        println!(
            "disconnected: {} ({}): {reason:?}",
            socket.subject().unwrap_or_default(),
            socket.id()
        );
        broadcast_presence(socket.namespace());
    });
}

// ----- main -----

#[tokio::main]
async fn main() {
    let options = match parse_args() {
        Ok(options) => options,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("chat: {e}");
            }
            eprintln!("{USAGE}");
            std::process::exit(2);
        }
    };
    if let Err(e) = run(options).await {
        eprintln!("chat: {e}");
        std::process::exit(1);
    }
}

async fn run(options: Options) -> Result<(), String> {
    let (secret, secret_origin) = match &options.secret {
        Some(s) => (s.as_bytes().to_vec(), "given"),
        None => (
            random_secret().map_err(|e| format!("reading /dev/urandom: {e}"))?,
            "random, new at each start",
        ),
    };
    let tokens = Tokens::new(&secret, options.token_ttl_s)
        .map_err(|e| format!("the JWT secret: {e} (give at least 32 bytes)"))?;
    let index = options.static_dir.join("index.html");
    if !index.is_file() {
        return Err(format!(
            "{} not found: pass --static <the demo folder>",
            index.display()
        ));
    }
    if !options
        .static_dir
        .join("node_modules/socket.io-client/dist/socket.io.min.js")
        .is_file()
    {
        eprintln!(
            "chat: warning: {}/node_modules/socket.io-client is missing: run `npm ci` there",
            options.static_dir.display()
        );
    }

    // Connection state recovery: a page whose network blips gets its socket, rooms and every
    // message it missed back (its token is verified again on the way).
    // The Admin UI's namespace has its own login (not the chat's JWT), and the UI runs on its
    // own origin.
    let admin_namespaces = match options.admin {
        true => vec![("/admin".to_owned(), AuthPolicy::None)],
        false => Vec::new(),
    };
    let mut config = SocketIoConfig::default()
        .connection_state_recovery(RecoveryConfig::default())
        .auth(AuthPolicies {
            default: AuthPolicy::Jwt(tokens.policy.clone()),
            namespaces: admin_namespaces,
        });
    if options.admin {
        config.engine = config
            .engine
            .cors(Cors::origins([options.admin_origin.clone()]));
    }
    let io = SocketIo::new(config);
    if options.admin {
        let password = instrument_admin(&io)?;
        println!(
            "chat demo: Admin UI on namespace /admin for {}: user admin, password {password}",
            options.admin_origin
        );
    }
    let ns = io.of("/");
    ns.join_user_rooms(USER_ROOM_PREFIX);
    ns.on_connection(on_connection);

    let tokens = Arc::new(tokens);
    let dir = Arc::new(options.static_dir.clone());
    let addr = SocketAddr::new(options.host, options.port);
    if options.axum {
        return serve_axum(io, tokens, dir, addr, options.token_ttl_s).await;
    }
    let server = Server::new(addr)
        .engine(io.engine())
        .fallback(move |req| route(tokens.clone(), dir.clone(), req))
        .start()
        .await
        .map_err(|e| format!("listening on {addr}: {e}"))?;
    println!(
        "chat demo: http://{} (tokens live {} s; JWT secret {secret_origin}; Ctrl-C stops)",
        server.local_addr(),
        options.token_ttl_s
    );
    let _ = tokio::signal::ctrl_c().await;
    server.shutdown().await;
    Ok(())
}

/// The same app served by axum: Socket.IO mounted with its tower service, the pages, login and
/// refresh as the router's fallback (the same `route` as the built-in server's fallback).
#[cfg(feature = "tower")]
async fn serve_axum(
    io: SocketIo,
    tokens: Arc<Tokens>,
    dir: Arc<PathBuf>,
    addr: SocketAddr,
    token_ttl_s: u64,
) -> Result<(), String> {
    use axum::extract::{ConnectInfo, Request};
    let pages = move |ConnectInfo(remote): ConnectInfo<SocketAddr>, req: Request| {
        let (tokens, dir) = (tokens.clone(), dir.clone());
        async move {
            let (parts, body) = req.into_parts();
            let mut req = HttpRequest::from_http(&parts, remote);
            match axum::body::to_bytes(body, 1 << 20).await {
                Ok(body) => req.body = body,
                Err(_) => return to_axum(HttpResponse::text(413, "body too large")),
            }
            to_axum(route(tokens, dir, req).await)
        }
    };
    let service = io
        .service()
        .remote_addr(|p| p.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0));
    let app = axum::Router::new()
        .route_service("/socket.io/", service)
        .fallback(pages);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("listening on {addr}: {e}"))?;
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    println!("chat demo (axum): http://{local} (tokens live {token_ttl_s} s; Ctrl-C stops)");
    let make = app.into_make_service_with_connect_info::<SocketAddr>();
    // On Ctrl-C, Socket.IO closes its sessions first (a parked poll carries the close packet),
    // then axum stops.
    axum::serve(listener, make)
        .with_graceful_shutdown(async move {
            let _ = tokio::signal::ctrl_c().await;
            io.close(Duration::from_secs(5)).await;
        })
        .await
        .map_err(|e| e.to_string())
}

#[cfg(feature = "tower")]
fn to_axum(response: HttpResponse) -> axum::response::Response {
    let (parts, body) = response.into_http().into_parts();
    axum::response::Response::from_parts(parts, axum::body::Body::from(body))
}

#[cfg(not(feature = "tower"))]
async fn serve_axum(
    _: SocketIo,
    _: Arc<Tokens>,
    _: Arc<PathBuf>,
    _: SocketAddr,
    _: u64,
) -> Result<(), String> {
    Err("--front axum needs the tower feature: cargo run -p socketio --features tower --example chat".into())
}
