//! Socket.IO inside an axum application: the app keeps its own routes, login and middleware;
//! Socket.IO is one more route, and reuses what the app decided.
//!
//! ```text
//! cargo run -p socketio --features tower --example axum -- --port 3000
//! ```
//!
//! - `POST /login {"user": "ann"}` answers `{"token": <HS256 JWT, sub ann, 10 min>}` and sets the
//!   cookie `session=ann` (a demo: no password).
//! - Namespace `/`: JWT required, from the CONNECT auth payload `{token}` or an
//!   `Authorization: Bearer` header. Each socket joins `user:<sub>`; on connect the server emits
//!   `hello` with `{sub, via}` (`via`: the user the app's middleware found on the handshake
//!   request, or null). Event `dm` `(to, text)` reaches every socket of user `to` as
//!   `dm {from, text}`, acked with `true`.
//! - Namespace `/session`: no token; the app's middleware decides. It resolves the `session`
//!   cookie to a `User` extension on the request; the namespace's `AuthPolicy::App` check reads
//!   it from the handshake, and refuses a connection without one (`not logged in`).
// An application of the tokio runtime: it may read the clock and spawn tasks.
#![allow(clippy::disallowed_methods)]

use axum::extract::{ConnectInfo, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::post;
use axum::{Json, Router};
use jwt_auth::{Algorithm, Claims, Header, Key, SigningKey, SystemRandom, Validation, Verifier};
use socketio::proto::{AppClaims, AuthError, AuthPolicies, AuthPolicy, JwtPolicy, Payload};
use socketio::runtime::{Socket, SocketIo, SocketIoConfig};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The user the app's middleware found (here from a cookie; in a real app, its session store).
#[derive(Clone, Debug)]
struct User(String);

/// The app's own middleware: `session=<name>` becomes a `User` on the request.
async fn resolve_user(mut req: Request, next: Next) -> Response {
    let cookies = req.headers().get("cookie").and_then(|v| v.to_str().ok());
    let user = cookies
        .into_iter()
        .flat_map(|c| c.split(';'))
        .find_map(|c| {
            c.trim()
                .strip_prefix("session=")
                .map(|u| User(u.to_owned()))
        });
    if let Some(user) = user {
        req.extensions_mut().insert(user);
    }
    next.run(req).await
}

struct Signer {
    key: SigningKey,
    rng: SystemRandom,
}

#[derive(serde::Deserialize)]
struct Login {
    user: String,
}

async fn login(State(signer): State<Arc<Signer>>, Json(login): Json<Login>) -> Response {
    let user = login.user;
    if user.is_empty() || user.len() > 20 || !user.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return (StatusCode::BAD_REQUEST, "user: 1 to 20 letters or digits").into_response_();
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let claims = Claims::new()
        .with("sub", user.as_str())
        .with("exp", now + 600);
    match jwt_auth::sign(
        &Header::new(Algorithm::HS256),
        &claims,
        &signer.key,
        &signer.rng,
    ) {
        Ok(token) => (
            [("set-cookie", format!("session={user}; Path=/; HttpOnly"))],
            Json(serde_json::json!({ "token": token })),
        )
            .into_response_(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response_(),
    }
}

/// `axum::response::IntoResponse::into_response`, named apart from the example's own items.
trait IntoResponseExt {
    fn into_response_(self) -> Response;
}

impl<T: axum::response::IntoResponse> IntoResponseExt for T {
    fn into_response_(self) -> Response {
        self.into_response()
    }
}

fn on_connection(socket: Socket) {
    let sub = socket
        .claims()
        .and_then(|c| c.get("sub")?.as_str().map(str::to_owned));
    let via = socket
        .handshake()
        .extensions()
        .get::<User>()
        .map(|u| u.0.clone());
    let _ = socket.emit("hello", serde_json::json!({ "sub": sub, "via": via }));
    socket.on("dm", |socket, args: Payload, ack| {
        let arg = |i: usize| args.args().get(i)?.deserialize::<String>().ok();
        let (Some(to), Some(text)) = (arg(0), arg(1)) else {
            return;
        };
        let from = socket
            .claims()
            .and_then(|c| c.get("sub")?.as_str().map(str::to_owned));
        let message = serde_json::json!({ "from": from, "text": text });
        let _ = socket.to(&format!("user:{to}")).emit("dm", message);
        if let Some(ack) = ack {
            let _ = ack.send(serde_json::Value::Bool(true));
        }
    });
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let port = std::env::args()
        .skip_while(|a| a != "--port")
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(3000u16);
    let secret = b"an example secret of at least 32 bytes!";
    let bad = |e: jwt_auth::Error| std::io::Error::new(std::io::ErrorKind::InvalidInput, e);
    let verifier = Verifier::new(Key::hmac(secret).map_err(bad)?, Validation::new());
    let signer = Arc::new(Signer {
        key: SigningKey::hmac(secret).map_err(bad)?,
        rng: SystemRandom::new(),
    });

    // Socket.IO: a JWT on `/`, the app's own login on `/session`.
    let io = SocketIo::new(SocketIoConfig::default().auth(AuthPolicies {
        default: AuthPolicy::Jwt(Arc::new(JwtPolicy::new(verifier))),
        namespaces: vec![(
            "/session".into(),
            AuthPolicy::App {
                timeout: Duration::from_secs(5),
            },
        )],
    }));
    io.of("/").join_user_rooms("user:");
    io.of("/").on_connection(on_connection);
    let session = io.of("/session");
    session.set_auth_check(|ctx| async move {
        match ctx.handshake.extensions().get::<User>() {
            Some(User(name)) => {
                let mut claims = serde_json::Map::new();
                claims.insert("sub".into(), name.as_str().into());
                Ok(AppClaims {
                    claims,
                    expires_at: None,
                })
            }
            None => Err(AuthError::new("credentials_required", "not logged in")),
        }
    });
    session.on_connection(on_connection);

    // The app: its routes, Socket.IO mounted as one of them, its middleware around both.
    let app = Router::new()
        .route("/login", post(login))
        .with_state(signer)
        .route_service(
            "/socket.io/",
            io.service()
                .remote_addr(|p| p.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0)),
        )
        .layer(middleware::from_fn(resolve_user));

    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!("axum example on http://{}", listener.local_addr()?);
    let make = app.into_make_service_with_connect_info::<SocketAddr>();
    // On Ctrl-C, Socket.IO closes its sessions first (a parked poll carries the close packet),
    // then axum stops.
    let closing = io.clone();
    axum::serve(listener, make)
        .with_graceful_shutdown(async move {
            let _ = tokio::signal::ctrl_c().await;
            closing.close(Duration::from_secs(5)).await;
        })
        .await?;
    Ok(())
}
