//! The interop server (see `test_servers::interop`): `socketio-interop [--port 3000]
//! [--host 127.0.0.1] [--front builtin|axum] [--tls-cert FILE --tls-key FILE]
//! [--parser json|msgpack] [--allow-eio3]` (`--allow-eio3`: socket.io-client 2.x may connect).

use socketio::proto::Parser;
use test_servers::listen::{bad, Listen};

const USAGE: &str = "usage: socketio-interop [--port N] [--host ADDR] [--front builtin|axum] \
     [--tls-cert FILE --tls-key FILE] [--parser json|msgpack] [--allow-eio3]";

fn main() -> std::io::Result<()> {
    let mut listen = Listen::default();
    let mut parser = Parser::Json;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--allow-eio3" {
            listen.allow_eio3 = true;
            continue;
        }
        let value = args.next();
        match (arg.as_str(), value.as_deref()) {
            ("--parser", Some("json")) => parser = Parser::Json,
            ("--parser", Some("msgpack")) => parser = Parser::MsgPack,
            ("--parser", other) => {
                return Err(bad(&format!("invalid --parser {other:?} (json|msgpack)")))
            }
            _ if listen.parse_flag(&arg, value.as_deref())? => {}
            _ => return Err(bad(USAGE)),
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let server = test_servers::interop::start_with(&listen, parser).await?;
        println!(
            "socket.io interop server on {}://{}/socket.io/ ({}, {parser:?} parser)",
            listen.scheme(),
            server.local_addr(),
            listen.front.name()
        );
        tokio::signal::ctrl_c().await?;
        server.shutdown().await;
        Ok(())
    })
}
