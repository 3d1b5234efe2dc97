//! The baseline: a raw tungstenite WebSocket echo server (no Engine.IO, no Socket.IO). Every text
//! or binary message is sent back; writes are flushed once per batch of readable messages, as our
//! server does. Listens on 127.0.0.1:`PORT` (default 3000), any path.

use futures_util::{SinkExt, StreamExt};
use std::process::ExitCode;
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;

fn main() -> ExitCode {
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(3000);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("raw-ws-echo: tokio runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let listener = match TcpListener::bind(("127.0.0.1", port)).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!("raw-ws-echo: listen on port {port}: {e}");
                return ExitCode::FAILURE;
            }
        };
        println!("raw-ws-echo listening on 127.0.0.1:{port}");
        loop {
            if let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(echo(stream));
            }
        }
    })
}

async fn echo(stream: TcpStream) {
    let _ = stream.set_nodelay(true);
    // tungstenite's defaults, but a 4 KiB read buffer as our server uses (the default 128 KiB
    // one costs more per read than the whole echo): messages fed are buffered and written out by
    // the flush.
    let config = WebSocketConfig::default().read_buffer_size(4096);
    let Ok(mut ws) = tokio_tungstenite::accept_async_with_config(stream, Some(config)).await else {
        return;
    };
    while let Some(Ok(message)) = ws.next().await {
        let mut batch = Some(message);
        // Echo every message already readable, then flush once.
        while let Some(message) = batch.take() {
            if matches!(message, Message::Text(_) | Message::Binary(_))
                && ws.feed(message).await.is_err()
            {
                return;
            }
            if let Some(Some(Ok(next))) = futures_util::FutureExt::now_or_never(ws.next()) {
                batch = Some(next);
            }
        }
        if ws.flush().await.is_err() {
            return;
        }
    }
}
