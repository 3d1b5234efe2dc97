//! The socketioxide bench server: the behaviour every compared server implements the same way.
//!
//! Namespace `/`; `echo` is acknowledged with its argument (or emitted back as `echo` when no
//! acknowledgement is asked); `join` (acknowledged) joins the room named by its argument; `bcast`
//! broadcasts its argument as `bcast` to room `bench`. With `BENCH_JWT_SECRET` set, the CONNECT
//! must carry `{"token": <HS256 JWT>}` signed with it and not expired, else a connect error.
//! socketioxide on plain hyper (no axum); listens on 127.0.0.1:`PORT` (default 3000). With
//! `BENCH_PARSER=msgpack` it speaks socket.io-msgpack-parser (socketioxide's `msgpack` feature).

use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use jsonwebtoken::{decode, Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use socketioxide::adapter::Adapter;
use socketioxide::extract::{AckSender, Data, SocketRef, TryData};
use socketioxide::handler::{ConnectHandler, FromMessageParts, Value};
use socketioxide::socket::Socket;
use socketioxide::{ParserConfig, SocketIo};
use std::convert::Infallible;
use std::sync::{Arc, OnceLock};
use tokio::net::TcpListener;

static KEY: OnceLock<DecodingKey> = OnceLock::new();

/// Whether the client asked for an acknowledgement (socketioxide's `AckSender` does not say).
struct AckAsked(bool);

impl<A: Adapter> FromMessageParts<A> for AckAsked {
    type Error = Infallible;
    fn from_message_parts(
        _: &Arc<Socket<A>>,
        _: &mut Value,
        ack_id: &Option<i64>,
    ) -> Result<Self, Infallible> {
        Ok(AckAsked(ack_id.is_some()))
    }
}

#[derive(Deserialize)]
struct ConnectAuth {
    token: String,
}

#[derive(Deserialize)]
struct Claims {
    #[allow(dead_code)]
    exp: u64,
}

#[derive(Debug)]
struct AuthError(String);

impl std::fmt::Display for AuthError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

async fn authenticate(TryData(auth): TryData<ConnectAuth>) -> Result<(), AuthError> {
    let auth = auth.map_err(|_| AuthError("credentials_required".into()))?;
    let key = KEY.get().ok_or_else(|| AuthError("no key".into()))?;
    decode::<Claims>(&auth.token, key, &Validation::new(Algorithm::HS256))
        .map(|_| ())
        .map_err(|e| AuthError(e.to_string()))
}

async fn on_connect(socket: SocketRef) {
    socket.on(
        "echo",
        async |socket: SocketRef, Data::<serde_json::Value>(data), AckAsked(asked), ack: AckSender| {
            if asked {
                let _ = ack.send(&data);
            } else {
                let _ = socket.emit("echo", &data);
            }
        },
    );
    socket.on(
        "join",
        async |socket: SocketRef, Data::<String>(room), ack: AckSender| {
            socket.join(room);
            let _ = ack.send(&());
        },
    );
    socket.on(
        "bcast",
        async |io: SocketIo, Data::<serde_json::Value>(data)| {
            let _ = io.to("bench").emit("bcast", &data).await;
        },
    );
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let port: u16 = std::env::var("PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(3000);
    let (svc, io) = match std::env::var("BENCH_PARSER").as_deref() {
        Ok("msgpack") => SocketIo::builder()
            .with_parser(ParserConfig::msgpack())
            .build_svc(),
        _ => SocketIo::new_svc(),
    };
    match std::env::var("BENCH_JWT_SECRET") {
        Ok(secret) => {
            let _ = KEY.set(DecodingKey::from_secret(secret.as_bytes()));
            io.ns("/", on_connect.with(authenticate));
        }
        Err(_) => io.ns("/", on_connect),
    }
    let listener = TcpListener::bind(("127.0.0.1", port)).await?;
    println!("socketioxide bench server listening on 127.0.0.1:{port}");
    loop {
        let (stream, _) = listener.accept().await?;
        let _ = stream.set_nodelay(true);
        let svc = svc.clone();
        tokio::spawn(async move {
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), svc)
                .with_upgrades()
                .await;
        });
    }
}
