//! The open packet's JSON: what the server tells a new client.

use super::config::{Config, Protocol, Transport};
use super::packet::Text;
use std::fmt::Write;

/// Builds the JSON body of the open packet for a session.
///
/// `upgrades` lists `websocket` only for a polling session on an endpoint that allows WebSocket.
/// Engine.IO v3 has no `maxPayload` field (Node's server sends it to v3 clients too; they ignore
/// it).
pub fn open_json(sid: &str, transport: Transport, config: &Config, protocol: Protocol) -> Text {
    let upgrades = if transport == Transport::Polling && config.allow_websocket {
        r#"["websocket"]"#
    } else {
        "[]"
    };
    // Written by hand to keep the key order of the Node reference server.
    let mut out = String::with_capacity(128 + sid.len());
    out.push_str(r#"{"sid":"#);
    if sid
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        // Generated ids are URL-safe base64: nothing to escape.
        out.push('"');
        out.push_str(sid);
        out.push('"');
    } else {
        out.push_str(&serde_json::Value::from(sid).to_string());
    }
    out.push_str(r#","upgrades":"#);
    out.push_str(upgrades);
    let _ = write!(
        out,
        r#","pingInterval":{},"pingTimeout":{}"#,
        duration_ms(config.ping_interval),
        duration_ms(config.ping_timeout),
    );
    if protocol == Protocol::V4 {
        let _ = write!(out, r#","maxPayload":{}"#, config.max_payload);
    }
    out.push('}');
    Text::from(out)
}

fn duration_ms(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn open_packet_fields() {
        let json = open_json("abc", Transport::Polling, &Config::default(), Protocol::V4);
        assert_eq!(
            json.as_str(),
            r#"{"sid":"abc","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#
        );
        let json = open_json(
            "abc",
            Transport::WebSocket,
            &Config::default(),
            Protocol::V4,
        );
        assert!(json.as_str().contains(r#""upgrades":[]"#));
        let v3 = Protocol::V3 {
            supports_binary: true,
        };
        let json = open_json("abc", Transport::Polling, &Config::default(), v3);
        assert_eq!(
            json.as_str(),
            r#"{"sid":"abc","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000}"#
        );
    }
}
