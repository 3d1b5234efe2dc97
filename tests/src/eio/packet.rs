//! The few Engine.IO wire formats a client must read: the `open` packet, polling payloads, and
//! the JSON error body.

use serde_json::Value;

/// The record separator between packets of a polling payload.
pub const SEPARATOR: char = '\x1e';

/// The messages the reference server sends with each error code (index = code).
pub const ERROR_MESSAGES: [&str; 6] = [
    "Transport unknown",
    "Session ID unknown",
    "Bad handshake method",
    "Bad request",
    "Forbidden",
    "Unsupported protocol version",
];

/// The handshake data of an `open` packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Open {
    /// The session id.
    pub sid: String,
    /// The transports this session may upgrade to.
    pub upgrades: Vec<String>,
    /// Milliseconds between server pings.
    pub ping_interval: u64,
    /// Milliseconds the server waits for a pong.
    pub ping_timeout: u64,
    /// The most bytes per payload the server accepts.
    pub max_payload: u64,
}

impl Open {
    /// Parses `0{...}`: exactly one open packet whose JSON has exactly the five spec keys.
    pub fn parse(packet: &str) -> Result<Open, String> {
        let json = packet
            .strip_prefix('0')
            .ok_or_else(|| format!("expected an open packet `0{{...}}`, got {packet:?}"))?;
        let value: Value = serde_json::from_str(json)
            .map_err(|e| format!("open packet JSON does not parse ({e}): {json:?}"))?;
        let object = value
            .as_object()
            .ok_or_else(|| format!("open packet JSON is not an object: {json}"))?;
        let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
        keys.sort_unstable();
        let expected = [
            "maxPayload",
            "pingInterval",
            "pingTimeout",
            "sid",
            "upgrades",
        ];
        if keys != expected {
            return Err(format!(
                "open packet keys are {keys:?}, expected exactly {expected:?}"
            ));
        }
        let number = |key: &str| {
            object
                .get(key)
                .and_then(Value::as_u64)
                .ok_or_else(|| format!("open packet `{key}` is not a non-negative integer: {json}"))
        };
        let sid = object
            .get("sid")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| format!("open packet `sid` is not a non-empty string: {json}"))?;
        let upgrades = object
            .get("upgrades")
            .and_then(Value::as_array)
            .and_then(|a| {
                a.iter()
                    .map(|v| v.as_str().map(str::to_string))
                    .collect::<Option<Vec<_>>>()
            })
            .ok_or_else(|| format!("open packet `upgrades` is not an array of strings: {json}"))?;
        Ok(Open {
            sid: sid.to_string(),
            upgrades,
            ping_interval: number("pingInterval")?,
            ping_timeout: number("pingTimeout")?,
            max_payload: number("maxPayload")?,
        })
    }
}

/// The packets of a polling payload, in order.
pub fn split_payload(body: &str) -> Vec<&str> {
    body.split(SEPARATOR).collect()
}

/// Parses the JSON error body `{"code":N,"message":"..."}` into `(code, message)`.
pub fn parse_error(body: &[u8]) -> Result<(u64, String), String> {
    let text = String::from_utf8_lossy(body);
    let value: Value =
        serde_json::from_str(&text).map_err(|_| format!("error body is not JSON: {text:?}"))?;
    let code = value
        .get("code")
        .and_then(Value::as_u64)
        .ok_or_else(|| format!("error body has no integer `code`: {text}"))?;
    let message = value
        .get("message")
        .and_then(Value::as_str)
        .ok_or_else(|| format!("error body has no string `message`: {text}"))?;
    Ok((code, message.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_packet_parses() {
        let open = Open::parse(
            r#"0{"sid":"abc","upgrades":["websocket"],"pingInterval":300,"pingTimeout":200,"maxPayload":1000000}"#,
        );
        assert_eq!(
            open,
            Ok(Open {
                sid: "abc".into(),
                upgrades: vec!["websocket".into()],
                ping_interval: 300,
                ping_timeout: 200,
                max_payload: 1_000_000,
            })
        );
    }

    #[test]
    fn open_packet_with_extra_or_missing_keys_is_refused() {
        let extra =
            r#"0{"sid":"a","upgrades":[],"pingInterval":1,"pingTimeout":1,"maxPayload":1,"x":1}"#;
        assert!(Open::parse(extra).is_err());
        assert!(Open::parse(r#"0{"sid":"a"}"#).is_err());
        assert!(Open::parse(r#"4{"sid":"a"}"#).is_err());
        let empty_sid =
            r#"0{"sid":"","upgrades":[],"pingInterval":1,"pingTimeout":1,"maxPayload":1}"#;
        assert!(Open::parse(empty_sid).is_err());
    }

    #[test]
    fn error_body_parses() {
        assert_eq!(
            parse_error(br#"{"code":1,"message":"Session ID unknown"}"#),
            Ok((1, "Session ID unknown".to_string()))
        );
        assert!(parse_error(b"Bad Request").is_err());
    }

    #[test]
    fn payload_splits_on_record_separator() {
        assert_eq!(split_payload("4a\x1e2\x1ebAQ=="), vec!["4a", "2", "bAQ=="]);
    }
}
