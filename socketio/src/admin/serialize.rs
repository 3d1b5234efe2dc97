//! A socket as the Admin UI reads it (Node admin-ui's `serialize`): id, client id, transport,
//! namespace, data, handshake and rooms. Credentials never leave: the CONNECT payload is not
//! sent at all, and the `authorization` and `cookie` headers and a `token` query parameter are
//! redacted; an authenticated socket shows its JWT `sub` instead.

use super::time::{iso8601, unix_ms};
use crate::runtime::Socket;
use engineio::proto::query::{decoded, pairs};
use engineio::proto::Transport;
use serde_json::{json, Map, Value};
use std::sync::atomic::{AtomicBool, Ordering};

/// What the admin keeps on each socket it saw connect: whether its connection is on WebSocket
/// now (stored with `Socket::set_data`).
#[derive(Debug)]
pub(crate) struct TransportState(AtomicBool);

impl TransportState {
    /// The state of a socket whose connection is on `transport`.
    pub(crate) fn new(transport: Transport) -> Self {
        Self(AtomicBool::new(transport == Transport::WebSocket))
    }

    /// The connection moved to WebSocket.
    pub(crate) fn upgraded(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    fn name(&self) -> &'static str {
        transport_name(self.0.load(Ordering::Relaxed))
    }
}

/// The Engine.IO name of a transport.
pub(crate) fn transport_name(websocket: bool) -> &'static str {
    if websocket {
        "websocket"
    } else {
        "polling"
    }
}

/// Header values replaced by this.
const REDACTED: &str = "[redacted]";

/// The socket as the UI's `SerializedSocket`.
pub(crate) fn serialize(socket: &Socket) -> Value {
    let handshake = socket.handshake();
    let transport = match socket.data::<TransportState>() {
        Some(state) => state.name(),
        None => transport_name(handshake.transport == Transport::WebSocket),
    };
    let mut headers = Map::new();
    for (name, value) in &handshake.headers {
        let value = match name.as_str() {
            "authorization" | "cookie" => REDACTED.to_owned(),
            _ => value.clone(),
        };
        match headers.get_mut(name) {
            // Node joins repeated headers with ", ".
            Some(Value::String(existing)) => {
                existing.push_str(", ");
                existing.push_str(&value);
            }
            _ => {
                headers.insert(name.clone(), Value::String(value));
            }
        }
    }
    let address = (handshake.header("cf-connecting-ip"))
        .or_else(|| handshake.header("x-forwarded-for"))
        .map_or_else(|| handshake.remote.ip().to_string(), str::to_owned);
    let query = query_object(&handshake.query);
    let url = match query_string_without_token(&handshake.query) {
        q if q.is_empty() => handshake.path.clone(),
        q => format!("{}?{q}", handshake.path),
    };
    let issued = socket.issued();
    let sub = socket.subject();
    let mut shake = json!({
        "address": address,
        "headers": headers,
        "query": query,
        "issued": unix_ms(issued),
        "secure": handshake.header("x-forwarded-proto") == Some("https"),
        "time": iso8601(issued),
        "url": url,
        "xdomain": handshake.header("origin").is_some(),
    });
    if let (Some(sub), Some(object)) = (sub, shake.as_object_mut()) {
        object.insert("sub".to_owned(), Value::String(sub));
    }
    let client_id: String = socket.engine_sid().chars().take(12).collect();
    json!({
        "id": socket.id(),
        "clientId": client_id,
        "transport": transport,
        "nsp": socket.nsp(),
        "data": socket_data(socket),
        "handshake": shake,
        "rooms": socket.rooms().iter().map(|r| r.to_string()).collect::<Vec<_>>(),
    })
}

/// What the UI shows as the socket's data: the JWT `sub` of an authenticated socket (the
/// application's own data is typed, not JSON, and stays out).
pub(crate) fn socket_data(socket: &Socket) -> Value {
    let mut data = Map::new();
    if let Some(sub) = socket.subject() {
        data.insert("sub".to_owned(), Value::String(sub));
    }
    Value::Object(data)
}

/// The query string as an object (Node's `handshake.query`), without `token`.
fn query_object(query: &str) -> Map<String, Value> {
    let mut object = Map::new();
    for (name, value) in pairs(query) {
        if name != "token" {
            object.insert(name, Value::String(value));
        }
    }
    object
}

/// The raw query string without its `token` parameters.
fn query_string_without_token(query: &str) -> String {
    (query.split('&'))
        .filter(|pair| !pair.is_empty() && decoded(pair.split('=').next().unwrap_or("")) != "token")
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_decode_and_lose_their_token() {
        let q = "EIO=4&transport=polling&token=secret&name=a%20b+c&t=%zz&x";
        let object = query_object(q);
        assert_eq!(object.get("name"), Some(&json!("a b c")));
        assert_eq!(object.get("t"), Some(&json!("%zz")));
        assert_eq!(object.get("x"), Some(&json!("")));
        assert!(object.get("token").is_none());
        assert_eq!(
            query_string_without_token(q),
            "EIO=4&transport=polling&name=a%20b+c&t=%zz&x"
        );
        assert_eq!(decoded("%41%"), "A%");
        assert_eq!(decoded("%4"), "%4");
    }

    proptest::proptest! {
        /// Bad input never panics: any query string decodes, and never shows a `token` parameter.
        #[test]
        fn any_query_decodes(query in "[a-z=&%+0-9A-F]{0,30}|.{0,30}") {
            let object = query_object(&query);
            proptest::prop_assert!(object.get("token").is_none());
            let rest = query_string_without_token(&query);
            proptest::prop_assert!(query_object(&rest).get("token").is_none());
        }
    }
}
