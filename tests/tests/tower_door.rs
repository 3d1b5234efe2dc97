//! What only the tower front door (`Engine::service`) can meet: a request that an HTTP server
//! drops while its body comes (an aborted HTTP/2 stream, a timeout layer): the session ends at once
//! with `RequestAborted`, as on the built-in server when a POST's connection closes, rather than
//! waiting for a body that never comes and blaming the client's next POST; and a WebSocket request
//! that hyper cannot upgrade. The conformance suites cover everything else through axum.

// A test of the tokio runtime: it reads the clock.
#![allow(clippy::disallowed_methods)]

use bytes::Bytes;
use engineio::proto::{CloseReason, TransportFault};
use engineio::runtime::{Engine, EngineConfig};
use http_body::{Body, Frame};
use std::io::{Read, Write};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tower_service::Service;

/// A request body: `first`, then its end, or (`stalls`) nothing more, ever: the client is gone
/// and the server does not know yet.
struct TestBody {
    first: Option<Bytes>,
    stalls: bool,
}

impl TestBody {
    fn whole(bytes: &'static [u8]) -> Self {
        Self {
            first: Some(Bytes::from_static(bytes)).filter(|b| !b.is_empty()),
            stalls: false,
        }
    }

    fn stalled(first: &'static [u8]) -> Self {
        Self {
            first: Some(Bytes::from_static(first)),
            stalls: true,
        }
    }
}

impl Body for TestBody {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        match this.first.take() {
            Some(first) => Poll::Ready(Some(Ok(Frame::data(first)))),
            None if this.stalls => Poll::Pending,
            None => Poll::Ready(None),
        }
    }
}

fn request<B>(method: &str, uri: &str, body: B) -> http::Request<B> {
    let mut req = http::Request::new(body);
    *req.method_mut() = method.parse().unwrap_or(http::Method::GET);
    *req.uri_mut() = uri.parse().unwrap_or_default();
    req
}

async fn text(response: http::Response<engineio::runtime::EngineBody>) -> (u16, String) {
    let status = response.status().as_u16();
    let mut body = response.into_body();
    let mut out = Vec::new();
    while let Some(Ok(frame)) = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await
    {
        if let Ok(data) = frame.into_data() {
            out.extend_from_slice(&data);
        }
    }
    (status, String::from_utf8_lossy(&out).into_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_post_dropped_while_its_body_comes_ends_the_session_as_an_aborted_request() {
    let engine = Engine::new(EngineConfig::default().path("/engine.io/"));
    let mut service = engine.service();
    let open = service
        .call(request(
            "GET",
            "/engine.io/?EIO=4&transport=polling",
            TestBody::whole(b""),
        ))
        .await
        .unwrap_or_else(|e| match e {});
    let (status, body) = text(open).await;
    assert_eq!(status, 200, "{body}");
    let open: serde_json::Value =
        serde_json::from_str(body.trim_start_matches('0')).unwrap_or_default();
    let sid = open["sid"].as_str().unwrap_or_default().to_owned();
    let uri = format!("/engine.io/?EIO=4&transport=polling&sid={sid}");
    let mut socket = engine
        .accept()
        .await
        .unwrap_or_else(|| panic!("no session"));

    // The POST's body never finishes; the server (a timeout layer, say) drops the request.
    let stalled = service.call(request("POST", &uri, TestBody::stalled(b"4he")));
    assert!(tokio::time::timeout(Duration::from_millis(200), stalled)
        .await
        .is_err());

    // The session ends at once, the request aborted (not later, for an "overlapping" POST).
    let ended = tokio::time::timeout(Duration::from_secs(2), socket.recv()).await;
    assert!(
        matches!(ended, Ok(None)),
        "the session did not end: {ended:?}"
    );
    assert_eq!(
        socket.close_reason(),
        Some(CloseReason::TransportError(TransportFault::RequestAborted))
    );
    engine.close(Duration::from_secs(1)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_websocket_request_hyper_cannot_upgrade_gets_a_400_not_a_101() {
    let listen = test_servers::listen::Listen::local(test_servers::front::Front::Axum);
    let server = test_servers::echo::start_on(&listen)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let addr = server.local_addr();
    let head = tokio::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(addr).unwrap_or_else(|e| panic!("{e}"));
        let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
        let request = "GET /engine.io/?EIO=4&transport=websocket HTTP/1.0\r\nHost: x\r\n\
                       Upgrade: websocket\r\nConnection: Upgrade\r\n\
                       Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
        let _ = stream.write_all(request.as_bytes());
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
        String::from_utf8_lossy(&answer).into_owned()
    })
    .await
    .unwrap_or_default();
    assert!(head.starts_with("HTTP/1.0 400"), "{head}");
    assert!(
        head.to_ascii_lowercase().contains("x-upgrade-error"),
        "{head}"
    );
    server.shutdown().await;
}
