//! The application's hooks on the HTTP exchange, over real sockets: headers added to the
//! handshake's response and to every response (Node's `initial_headers` and `headers` events),
//! a handshake check that answers later (Node's `allowRequest` callback), and the `413` body.
#![allow(clippy::unwrap_used, missing_docs)]

use engineio::runtime::{Engine, EngineConfig, RunningServer, Server};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn start(config: EngineConfig) -> (SocketAddr, RunningServer, Engine) {
    let engine = Engine::new(config);
    let server = Server::new(([127, 0, 0, 1], 0).into())
        .engine(engine.clone())
        .start()
        .await
        .unwrap();
    (server.local_addr(), server, engine)
}

/// Sends one request on a new connection; returns the response's head and body.
async fn request(addr: SocketAddr, head: &str, body: &str) -> (String, String) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(format!("{head}\r\n\r\n{body}").as_bytes())
        .await
        .unwrap();
    let mut out = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        // A 101 keeps the connection open: stop once the head is in.
        let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut chunk))
            .await
            .unwrap()
            .unwrap();
        out.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&out);
        if n == 0 || (text.starts_with("HTTP/1.1 101") && text.contains("\r\n\r\n")) {
            break;
        }
    }
    let text = String::from_utf8_lossy(&out).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    (head.to_owned(), body.to_owned())
}

fn get(query: &str, extra: &str) -> String {
    format!("GET /engine.io/?EIO=4&{query} HTTP/1.1\r\nHost: x\r\nConnection: close{extra}")
}

fn sid_of(body: &str) -> String {
    body.split("\"sid\":\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn handshake_and_every_response_carry_the_applications_headers() {
    let config = EngineConfig::default()
        .initial_headers(|req, headers| {
            headers.push(("Set-Cookie".into(), "lb=node-1; Path=/".into()));
            if req.header("x-bad").is_some() {
                headers.push(("X-Split".into(), "a\r\nInjected: yes".into()));
            }
        })
        .headers(|_, headers| headers.push(("X-Served-By".into(), "test".into())));
    let (addr, _server, _engine) = start(config).await;
    let (head, body) = request(addr, &get("transport=polling", "\r\nX-Bad: 1"), "").await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(head.contains("\r\nSet-Cookie: lb=node-1; Path=/"), "{head}");
    assert!(head.contains("\r\nX-Served-By: test"), "{head}");
    assert!(
        !head.contains("Injected"),
        "a header with CR LF is left out: {head}"
    );
    // A later request of the session: `headers` only.
    let sid = sid_of(&body);
    let post = format!(
        "POST /engine.io/?EIO=4&transport=polling&sid={sid} HTTP/1.1\r\nHost: x\r\n\
         Connection: close\r\nContent-Length: 1"
    );
    let (head, body) = request(addr, &post, "6").await;
    assert_eq!(body, "ok");
    assert!(head.contains("\r\nX-Served-By: test"), "{head}");
    assert!(!head.contains("Set-Cookie"), "{head}");
    // The WebSocket handshake's 101 too.
    let ws = get(
        "transport=websocket",
        "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13",
    );
    let (head, _) = request(addr, &ws, "").await;
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    assert!(head.contains("\r\nSet-Cookie: lb=node-1; Path=/"), "{head}");
    assert!(head.contains("\r\nX-Served-By: test"), "{head}");
}

#[tokio::test]
async fn an_async_handshake_check_decides_later() {
    let config = EngineConfig::default().allow_request_async(|req| {
        let key = req.header("x-api-key");
        async move {
            // A lookup elsewhere.
            tokio::time::sleep(Duration::from_millis(50)).await;
            key.as_deref() == Some("good")
        }
    });
    let (addr, _server, engine) = start(config).await;
    let (head, body) = request(addr, &get("transport=polling", "\r\nX-Api-Key: bad"), "").await;
    assert!(head.starts_with("HTTP/1.1 403"), "{head}");
    assert_eq!(body, r#"{"code":4,"message":"Forbidden"}"#);
    let (head, body) = request(addr, &get("transport=polling", "\r\nX-Api-Key: good"), "").await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(body.starts_with("0{"));
    assert!(engine.accept().await.is_some());
}

#[tokio::test]
async fn an_oversized_post_gets_413_with_an_empty_body() {
    let (addr, _server, _engine) = start(EngineConfig::default().max_payload(10)).await;
    let (_, body) = request(addr, &get("transport=polling", ""), "").await;
    let sid = sid_of(&body);
    let post = format!(
        "POST /engine.io/?EIO=4&transport=polling&sid={sid} HTTP/1.1\r\nHost: x\r\n\
         Connection: close\r\nContent-Length: 11"
    );
    let (head, body) = request(addr, &post, "4xxxxxxxxxx").await;
    assert!(head.starts_with("HTTP/1.1 413"), "{head}");
    assert!(head.contains("Content-Length: 0"), "{head}");
    assert_eq!(body, "");
}
