//! The open packet's JSON: what the server tells a new client.

use super::config::{Config, Transport};
use super::packet::Text;

/// Builds the JSON body of the open packet for a session.
///
/// `upgrades` lists `websocket` only for a polling session on an endpoint that allows WebSocket.
pub fn open_json(sid: &str, transport: Transport, config: &Config) -> Text {
    let upgrades = if transport == Transport::Polling && config.allow_websocket {
        vec!["websocket"]
    } else {
        Vec::new()
    };
    let value = serde_json::json!({
        "sid": sid,
        "upgrades": upgrades,
        "pingInterval": duration_ms(config.ping_interval),
        "pingTimeout": duration_ms(config.ping_timeout),
        "maxPayload": config.max_payload,
    });
    Text::from(value.to_string())
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
        let json = open_json("abc", Transport::Polling, &Config::default());
        assert_eq!(
            json.as_str(),
            r#"{"sid":"abc","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#
        );
        let json = open_json("abc", Transport::WebSocket, &Config::default());
        assert!(json.as_str().contains(r#""upgrades":[]"#));
    }
}
