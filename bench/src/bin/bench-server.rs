//! Our bench server: the behaviour every compared server implements the same way.
//!
//! Namespace `/`; `echo` is acknowledged with its argument (or emitted back as `echo` when no
//! acknowledgement is asked); `join` (acknowledged) joins the room named by its argument; `bcast`
//! broadcasts its argument as `bcast` to room `bench`. With `BENCH_JWT_SECRET` set (at least 32
//! bytes), the CONNECT must carry `{"token": <HS256 JWT>}` signed with it and not expired, else a
//! connect error. Listens on 127.0.0.1:`PORT` (default 3000); with `BENCH_FRONT=axum`, through
//! its tower service in an axum `Router` instead of the built-in server; with
//! `BENCH_PARSER=msgpack`, speaking npm `socket.io-msgpack-parser`; with
//! `BENCH_ADMIN=development|production`, instrumented for the Admin UI (`SocketIo::instrument`,
//! no password), to measure what the counters and hooks cost.

use std::net::SocketAddr;
use std::process::ExitCode;

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

async fn serve(addr: SocketAddr) -> Result<(), String> {
    let secret = std::env::var("BENCH_JWT_SECRET").ok();
    let front = match std::env::var("BENCH_FRONT").as_deref() {
        Ok("axum") => test_servers::front::Front::Axum,
        Ok("builtin") | Err(_) => test_servers::front::Front::Builtin,
        Ok(other) => return Err(format!("BENCH_FRONT={other}: builtin or axum")),
    };
    let parser = match std::env::var("BENCH_PARSER").as_deref() {
        Ok("msgpack") => socketio::proto::Parser::MsgPack,
        Ok("json") | Err(_) => socketio::proto::Parser::Json,
        Ok(other) => return Err(format!("BENCH_PARSER={other}: json or msgpack")),
    };
    let admin = match std::env::var("BENCH_ADMIN").as_deref() {
        Ok("development") => Some(socketio::admin::AdminMode::Development),
        Ok("production") => Some(socketio::admin::AdminMode::Production),
        Ok("") | Err(_) => None,
        Ok(other) => return Err(format!("BENCH_ADMIN={other}: development or production")),
    };
    let server = bench::ours::start(addr, secret.as_deref(), front, parser, admin).await?;
    println!("bench-server listening on {}", server.local_addr());
    server.wait().await;
    Ok(())
}
