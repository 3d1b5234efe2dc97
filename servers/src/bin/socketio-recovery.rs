//! The connection state recovery test server (see `test_servers::recovery`).

use socketio::proto::Parser;
use std::time::Duration;
use test_servers::listen::{bad, Listen};

const USAGE: &str =
    "usage: socketio-recovery [--port N] [--host ADDR] [--front builtin|axum] [--recovery-ms N] \
[--jwt-secret S] [--jwt-leeway-s N] [--jwt-refresh] [other JWT flags of socketio-conformance] \
[--parser json|msgpack]";

fn main() -> std::io::Result<()> {
    let mut listen = Listen::default();
    let mut auth = test_servers::auth_options::AuthOptions::default();
    let mut window = Duration::from_secs(120);
    let mut parser = Parser::Json;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--jwt-refresh" {
            auth.refresh = true;
            continue;
        }
        let value = args.next();
        let (flag, value) = (arg.as_str(), value.as_deref());
        if flag == "--recovery-ms" {
            let ms = value
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| bad(USAGE))?;
            window = Duration::from_millis(ms);
            continue;
        }
        if flag == "--parser" {
            parser = match value {
                Some("json") => Parser::Json,
                Some("msgpack") => Parser::MsgPack,
                _ => return Err(bad(USAGE)),
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
        let (server, _io) = test_servers::recovery::start(&listen, &auth, window, parser).await?;
        let addr = server.local_addr();
        println!("socket.io recovery server on http://{addr}/socket.io/ (window {window:?})");
        tokio::signal::ctrl_c().await?;
        server.shutdown().await;
        Ok(())
    })
}
