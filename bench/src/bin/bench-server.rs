//! Our bench server: the behaviour every compared server implements the same way.
//!
//! Namespace `/`; `echo` is acknowledged with its argument (or emitted back as `echo` when no
//! acknowledgement is asked); `join` (acknowledged) joins the room named by its argument; `bcast`
//! broadcasts its argument as `bcast` to room `bench`. With `BENCH_JWT_SECRET` set (at least 32
//! bytes), the CONNECT must carry `{"token": <HS256 JWT>}` signed with it and not expired, else a
//! connect error. Listens on 127.0.0.1:`PORT` (default 3000).

use engineio::runtime::Server;
use jwt_auth::{Algorithm, Key, Validation, Verifier};
use socketio::proto::{AuthMode, AuthPolicies, AuthPolicy, JwtPolicy, TokenSource};
use socketio::runtime::{SocketIo, SocketIoConfig};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

fn main() -> ExitCode {
    let port: u16 = match std::env::var("PORT").map(|p| p.parse()) {
        Ok(Ok(port)) => port,
        Ok(Err(_)) => {
            eprintln!("bench-server: PORT is not a port number");
            return ExitCode::FAILURE;
        }
        Err(_) => 3000,
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("bench-server: tokio runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(serve(([127, 0, 0, 1], port).into())) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench-server: {e}");
            ExitCode::FAILURE
        }
    }
}

fn config() -> Result<SocketIoConfig, String> {
    let config = SocketIoConfig::default();
    let Ok(secret) = std::env::var("BENCH_JWT_SECRET") else {
        return Ok(config);
    };
    let key = Key::hmac(secret.as_bytes()).map_err(|e| format!("BENCH_JWT_SECRET: {e}"))?;
    let verifier = Verifier::new(key, Validation::new().algorithms(Algorithm::HS256));
    let policy = JwtPolicy {
        verifier,
        sources: vec![TokenSource::AuthPayload],
        mode: AuthMode::Handshake,
        refresh: false,
        timeout: Duration::from_secs(10),
    };
    Ok(config.auth(AuthPolicies {
        default: AuthPolicy::Jwt(Arc::new(policy)),
        namespaces: Vec::new(),
    }))
}

async fn serve(addr: SocketAddr) -> Result<(), String> {
    let io = SocketIo::new(config()?);
    io.of("/").on_connection(|socket| {
        socket.on("echo", |socket, args, ack| match ack {
            Some(ack) => {
                let _ = ack.send(args);
            }
            None => {
                let _ = socket.emit("echo", args);
            }
        });
        socket.on("join", |socket, args, ack| {
            if let Some(Ok(room)) = args.args().first().map(|a| a.deserialize::<String>()) {
                socket.join(&room);
            }
            if let Some(ack) = ack {
                let _ = ack.send(());
            }
        });
        socket.on("bcast", |socket, args, _ack| {
            let _ = socket.namespace().to("bench").emit("bcast", args);
        });
    });
    io.start();
    let server = Server::new(addr)
        .engine(io.engine())
        .start()
        .await
        .map_err(|e| format!("listen on {addr}: {e}"))?;
    println!("bench-server listening on {}", server.local_addr());
    server.wait().await;
    Ok(())
}
