//! The Socket.IO conformance server (see `test_servers::conformance`), with the authentication flags.

use test_servers::listen::{bad, Listen};

const USAGE: &str = "usage: socketio-conformance [--port N] [--host ADDR] [--front builtin|axum] [--jwt-secret S] \
[--jwt-public-key FILE] [--jwks FILE] [--jwt-algorithms LIST] [--jwt-issuer S] [--jwt-audience S]... \
[--jwt-leeway-s N] [--token-sources auth,header,query,cookie] [--auth-mode handshake|event] \
[--auth-timeout-ms N] [--jwt-refresh] [--recovery-ms N] [--parser json|msgpack] [--allow-eio3] \
[--admin-password P] [--ping-interval-ms N --ping-timeout-ms N (default 300, 200)]";

fn main() -> std::io::Result<()> {
    let mut listen = Listen::default();
    let mut auth = test_servers::auth_options::AuthOptions::default();
    let mut extras = test_servers::conformance::Extras::default();
    let (mut ping_interval, mut ping_timeout) = (None, None);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--jwt-refresh" {
            auth.refresh = true;
            continue;
        }
        if arg == "--allow-eio3" {
            listen.allow_eio3 = true;
            continue;
        }
        let value = args.next();
        let (flag, value) = (arg.as_str(), value.as_deref());
        if flag == "--admin-password" {
            extras.admin_password = Some(value.ok_or_else(|| bad(USAGE))?.to_owned());
            continue;
        }
        if flag == "--ping-interval-ms" || flag == "--ping-timeout-ms" {
            let ms: u64 = value
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| bad(USAGE))?;
            let slot = match flag {
                "--ping-interval-ms" => &mut ping_interval,
                _ => &mut ping_timeout,
            };
            *slot = Some(std::time::Duration::from_millis(ms));
            continue;
        }
        if flag == "--recovery-ms" {
            let ms: u64 = value
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| bad(USAGE))?;
            extras.recovery = Some(socketio::proto::RecoveryConfig {
                max_disconnection_duration: std::time::Duration::from_millis(ms),
                ..Default::default()
            });
            continue;
        }
        if flag == "--parser" {
            extras.parser = match value {
                Some("json") => socketio::proto::Parser::Json,
                Some("msgpack") => socketio::proto::Parser::MsgPack,
                other => return Err(bad(&format!("invalid --parser {other:?} (json|msgpack)"))),
            };
            continue;
        }
        if !listen.parse_flag(flag, value)? && !auth.parse_flag(flag, value).map_err(|e| bad(&e))? {
            return Err(bad(USAGE));
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        if ping_interval.is_some() || ping_timeout.is_some() {
            let interval = ping_interval.unwrap_or(std::time::Duration::from_millis(300));
            let timeout = ping_timeout.unwrap_or(std::time::Duration::from_millis(200));
            extras.heartbeat = Some((interval, timeout));
        }
        let server = test_servers::conformance::start_on(&listen, &auth, &extras).await?;
        let addr = server.local_addr();
        let mode = if auth.enabled() { "with JWT authentication" } else { "without authentication" };
        let front = listen.front.name();
        let parser = extras.parser;
        println!("socket.io conformance server on http://{addr}/socket.io/ {mode} (engine.io echo on /engine.io/; {front}; {parser:?} parser)");
        if extras.admin_password.is_some() {
            println!("admin UI namespace /admin (user admin) on http://{addr}");
        }
        tokio::signal::ctrl_c().await?;
        server.shutdown().await;
        Ok(())
    })
}
