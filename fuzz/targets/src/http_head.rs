//! `http_head`: an HTTP request head through `proto::http::parse_head`, the facts it finds, the
//! request built from it, then Engine.IO routing and the WebSocket handshake, as the runtime does
//! for every request. Only `engineio::proto` is used: no runtime.
//!
//! Input: one byte choosing the head limit, then the bytes on the wire.
//!
//! Invariants: nothing panics; a complete head is no longer than the input nor the limit, and
//! parses the same from exactly its own bytes (what follows it cannot change it); an incomplete
//! head is shorter than the limit; the facts the head finds in its one pass (method, path, query,
//! keep-alive, upgrade, body length, origin) are those of the request built from its headers;
//! every error maps to a status the runtime can send (400, 408, 411, 413, 431 for the head and
//! body, 400/403 for routing); an accepted upgrade yields a 28-character `Sec-WebSocket-Accept`.

use engineio::proto::http::{parse_head, Head, HttpError, HttpRequest, Status};
use engineio::proto::websocket_handshake::{accept, wants_websocket};
use engineio::proto::{route, Config, Route, Transport};
use std::net::SocketAddr;

/// Statuses a request error may be answered with.
const HTTP_ERROR_STATUSES: [u16; 5] = [400, 408, 411, 413, 431];

/// Runs one input.
pub fn run(data: &[u8]) {
    let Some((&limit, wire)) = data.split_first() else {
        return;
    };
    // 0..=255 maps to 16..=8176 bytes: small limits are where the edge cases are.
    let max_head = 16 + usize::from(limit) * 32;
    let remote: SocketAddr = ([127, 0, 0, 1], 4242).into();
    match parse_head(wire, max_head) {
        Ok(Status::Partial) => assert!(
            wire.len() < max_head,
            "an incomplete head of {} bytes is not refused at the limit {max_head}",
            wire.len()
        ),
        Ok(Status::Complete(head, len)) => {
            assert!(
                len <= wire.len(),
                "head length {len} > input {}",
                wire.len()
            );
            assert!(len <= max_head, "head length {len} > limit {max_head}");
            let again = wire.get(..len).map(|own| parse_head(own, max_head));
            let request = head.request(remote);
            match again {
                Some(Ok(Status::Complete(same, same_len))) => {
                    assert_eq!(same_len, len, "the head's own bytes give another length");
                    assert_same_request(&request, &same.request(remote));
                }
                other => panic!("the head's own {len} bytes do not parse again: {other:?}"),
            }
            check_facts(&head, &request);
            check_request(&request);
        }
        Err(e) => check_error(&e),
    }
}

fn check_error(e: &HttpError) {
    assert!(
        matches!(e, HttpError::Malformed(_) | HttpError::HeadTooLarge),
        "parse_head gave an error that belongs to reading a body: {e:?}"
    );
    assert!(
        HTTP_ERROR_STATUSES.contains(&e.status()),
        "{e:?} maps to status {}",
        e.status()
    );
}

/// The facts the parse found in its one pass are those the request's headers give.
fn check_facts(head: &Head<'_>, request: &HttpRequest) {
    assert_eq!(head.method(), request.method);
    assert_eq!(head.path(), request.path);
    assert_eq!(head.query(), request.query);
    assert_eq!(head.http11(), request.http11);
    assert_eq!(head.keep_alive(), request.keep_alive(), "keep-alive");
    assert_eq!(
        head.wants_websocket(),
        wants_websocket(|name| request.header(name)),
        "Upgrade: websocket"
    );
    assert_eq!(
        format!("{:?}", head.content_length()),
        format!("{:?}", request.content_length()),
        "body length"
    );
    assert_eq!(
        head.origin().map(|o| o.into_owned()),
        request.header("origin"),
        "origin"
    );
}

fn assert_same_request(a: &HttpRequest, b: &HttpRequest) {
    assert_eq!(a.method, b.method);
    assert_eq!(a.path, b.path);
    assert_eq!(a.query, b.query);
    assert_eq!(a.headers, b.headers);
    assert_eq!(a.http11, b.http11);
}

fn check_request(request: &HttpRequest) {
    assert!(
        !request.method.is_empty(),
        "a complete head without a method"
    );
    assert!(!request.path.contains('?'), "the path keeps its query");
    for (name, _) in &request.headers {
        assert_eq!(
            *name,
            name.to_ascii_lowercase(),
            "header names are lower case"
        );
    }
    if let Err(e) = request.content_length() {
        check_body_error(&e);
    }
    let _ = request.keep_alive();

    let header = |name: &str| request.header(name);
    let upgrade = wants_websocket(header);
    let lookup = |sid: &str| match sid {
        "p" => Some(Transport::Polling),
        "w" => Some(Transport::WebSocket),
        _ => None,
    };
    match route(
        &request.method,
        &request.query,
        upgrade,
        &Config::default(),
        lookup,
    ) {
        Ok(Route::Handshake(transport, _)) => {
            assert_eq!(request.method, "GET", "a handshake that is not a GET");
            assert!(
                transport != Transport::WebSocket || upgrade,
                "a WebSocket handshake without Upgrade: websocket"
            );
        }
        Ok(Route::WebSocket { sid }) => {
            assert!(upgrade, "a WebSocket route without Upgrade: websocket");
            // Also for a session already on WebSocket: the handshake completes, then the session
            // closes the second WebSocket (see `proto::route`).
            assert!(
                matches!(&*sid, "p" | "w"),
                "a WebSocket for an unknown session {sid}"
            );
            assert_eq!(request.method, "GET", "a WebSocket that is not a GET");
        }
        Ok(Route::PollGet { sid } | Route::PollPost { sid }) => {
            assert_eq!(sid, "p", "a poll for a session that is not polling");
        }
        Ok(Route::Preflight) => assert_eq!(request.method, "OPTIONS"),
        Err(e) => assert!(
            matches!(e.status(), 400 | 403),
            "routing error {e:?} has status {}",
            e.status()
        ),
    }
    if let Ok(accept_value) = accept(&request.method, header) {
        assert_eq!(
            accept_value.len(),
            28,
            "Sec-WebSocket-Accept is base64 of 20 bytes"
        );
        assert!(upgrade, "an upgrade accepted without Upgrade: websocket");
    }
}

fn check_body_error(e: &HttpError) {
    assert!(
        matches!(e, HttpError::BadContentLength | HttpError::ChunkedBody),
        "content_length gave {e:?}"
    );
    assert!(
        HTTP_ERROR_STATUSES.contains(&e.status()),
        "{e:?} maps to status {}",
        e.status()
    );
}
