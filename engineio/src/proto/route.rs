//! Request routing: from a parsed HTTP request to a handshake, a session input, or an error.
//!
//! This is the `verify` step of the Node reference server, without the sockets: the runtime parses
//! the request head, asks [`route`] what it is, and looks the session up through a closure.

use super::config::{Config, Protocol, Transport};
use super::query;
use std::borrow::Cow;
use std::fmt;

/// What an Engine.IO request asks for. The sid is borrowed from the query string unless it had
/// escapes to decode.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Route<'q> {
    /// A CORS preflight (`OPTIONS`).
    Preflight,
    /// A new session over this transport, speaking this protocol revision.
    Handshake(Transport, Protocol),
    /// A long-poll for the session's packets.
    PollGet {
        /// The session id.
        sid: Cow<'q, str>,
    },
    /// Packets from the client.
    PollPost {
        /// The session id.
        sid: Cow<'q, str>,
    },
    /// A WebSocket for an existing session: the upgrade from polling.
    WebSocket {
        /// The session id.
        sid: Cow<'q, str>,
    },
}

/// The Engine.IO error codes, sent as `{"code":N,"message":"..."}`. All are the client's fault.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub enum RequestError {
    /// 0: the `transport` is missing, unknown or not allowed.
    UnknownTransport,
    /// 1: no session has this `sid` (it never existed, or it is closed).
    UnknownSid,
    /// 2: a handshake that is not a `GET`.
    BadHandshakeMethod,
    /// 3: anything else that is wrong with the request.
    BadRequest,
    /// 4: the application refused the handshake.
    Forbidden,
    /// 5: `EIO` is not `4` (nor `3` where Engine.IO v3 is allowed).
    UnsupportedProtocolVersion,
}

impl RequestError {
    /// The numeric code.
    pub fn code(self) -> u8 {
        match self {
            RequestError::UnknownTransport => 0,
            RequestError::UnknownSid => 1,
            RequestError::BadHandshakeMethod => 2,
            RequestError::BadRequest => 3,
            RequestError::Forbidden => 4,
            RequestError::UnsupportedProtocolVersion => 5,
        }
    }

    /// The message the Node reference server sends.
    pub fn message(self) -> &'static str {
        match self {
            RequestError::UnknownTransport => "Transport unknown",
            RequestError::UnknownSid => "Session ID unknown",
            RequestError::BadHandshakeMethod => "Bad handshake method",
            RequestError::BadRequest => "Bad request",
            RequestError::Forbidden => "Forbidden",
            RequestError::UnsupportedProtocolVersion => "Unsupported protocol version",
        }
    }

    /// The HTTP status: 403 for [`RequestError::Forbidden`], 400 for the rest.
    pub fn status(self) -> u16 {
        match self {
            RequestError::Forbidden => 403,
            _ => 400,
        }
    }

    /// The JSON body.
    pub fn body(self) -> String {
        format!(
            r#"{{"code":{},"message":"{}"}}"#,
            self.code(),
            self.message()
        )
    }
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (code {})", self.message(), self.code())
    }
}

impl std::error::Error for RequestError {}

/// Routes a request on the Engine.IO path.
///
/// `websocket_upgrade` says whether the request carries `Upgrade: websocket`. `session_transport`
/// looks a sid up and gives the transport its session is on now, or `None` if there is no such
/// session.
///
/// A handshake with `EIO=3` is taken when [`Config::allow_eio3`] is set (`b64` with a value asks
/// for binary as base64 text); a JSONP handshake (`j=`, Engine.IO v3 only) is refused with code 3
/// (bad request): this server does not serve JSONP polling.
pub fn route<'q>(
    method: &str,
    query_string: &'q str,
    websocket_upgrade: bool,
    config: &Config,
    session_transport: impl FnOnce(&str) -> Option<Transport>,
) -> Result<Route<'q>, RequestError> {
    if method == "OPTIONS" {
        return Ok(Route::Preflight);
    }
    let mut transport = None;
    let mut sid = None;
    let mut eio = None;
    let (mut b64, mut jsonp) = (false, false);
    for (key, value) in query::borrowed_pairs(query_string) {
        match &*key {
            "transport" if transport.is_none() => transport = Some(value),
            "sid" if sid.is_none() => sid = Some(value),
            "EIO" if eio.is_none() => eio = Some(value),
            // As Node reads them: any non-empty value counts.
            "b64" => b64 |= !value.is_empty(),
            "j" => jsonp = true,
            _ => {}
        }
    }
    let transport = transport
        .as_deref()
        .and_then(Transport::from_name)
        .filter(|t| config.allows(*t))
        .ok_or(RequestError::UnknownTransport)?;
    if transport == Transport::WebSocket && !websocket_upgrade {
        return Err(RequestError::BadRequest);
    }
    let Some(sid) = sid else {
        if method != "GET" {
            return Err(RequestError::BadHandshakeMethod);
        }
        let protocol = match eio.as_deref() {
            Some("4") => Protocol::V4,
            Some("3") if config.allow_eio3 => Protocol::V3 {
                supports_binary: !b64,
            },
            _ => return Err(RequestError::UnsupportedProtocolVersion),
        };
        if jsonp {
            return Err(RequestError::BadRequest);
        }
        return Ok(Route::Handshake(transport, protocol));
    };
    let current = session_transport(&sid).ok_or(RequestError::UnknownSid)?;
    match (transport, method) {
        // Also for a session that already upgraded: the WebSocket handshake completes, then
        // the session closes the second WebSocket (as Node's engine.io does; a `400` here is an
        // error event in the `ws` client).
        (Transport::WebSocket, "GET") => Ok(Route::WebSocket { sid }),
        (Transport::Polling, "GET") if current == Transport::Polling => Ok(Route::PollGet { sid }),
        (Transport::Polling, "POST") if current == Transport::Polling => {
            Ok(Route::PollPost { sid })
        }
        _ => Err(RequestError::BadRequest),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r<'q>(method: &str, q: &'q str, ws: bool) -> Result<Route<'q>, RequestError> {
        route(method, q, ws, &Config::default(), |sid| match sid {
            "poll" => Some(Transport::Polling),
            "ws" => Some(Transport::WebSocket),
            _ => None,
        })
    }

    #[test]
    fn routes() {
        use RequestError::*;
        assert_eq!(
            r("GET", "EIO=4&transport=polling", false),
            Ok(Route::Handshake(Transport::Polling, Protocol::V4))
        );
        assert_eq!(
            r("GET", "EIO=4&transport=websocket", true),
            Ok(Route::Handshake(Transport::WebSocket, Protocol::V4))
        );
        assert_eq!(
            r("GET", "EIO=4&transport=websocket", false),
            Err(BadRequest)
        );
        assert_eq!(r("GET", "EIO=4", false), Err(UnknownTransport));
        assert_eq!(
            r("GET", "EIO=4&transport=flash", false),
            Err(UnknownTransport)
        );
        assert_eq!(
            r("GET", "transport=polling", false),
            Err(UnsupportedProtocolVersion)
        );
        assert_eq!(
            r("GET", "EIO=3&transport=polling", false),
            Err(UnsupportedProtocolVersion)
        );
        assert_eq!(
            r("POST", "EIO=4&transport=polling", false),
            Err(BadHandshakeMethod)
        );
        assert_eq!(
            r("GET", "EIO=4&transport=polling&sid=nope", false),
            Err(UnknownSid)
        );
        assert_eq!(
            r("GET", "EIO=4&transport=polling&sid=poll", false),
            Ok(Route::PollGet { sid: "poll".into() })
        );
        assert_eq!(
            r("POST", "EIO=4&transport=polling&sid=poll", false),
            Ok(Route::PollPost { sid: "poll".into() })
        );
        assert_eq!(
            r("PUT", "EIO=4&transport=polling&sid=poll", false),
            Err(BadRequest)
        );
        assert_eq!(
            r("GET", "EIO=4&transport=websocket&sid=poll", true),
            Ok(Route::WebSocket { sid: "poll".into() })
        );
        assert_eq!(
            r("GET", "EIO=4&transport=polling&sid=ws", false),
            Err(BadRequest)
        );
        assert_eq!(
            r("GET", "EIO=4&transport=websocket&sid=ws", true),
            Ok(Route::WebSocket { sid: "ws".into() })
        );
        assert_eq!(r("OPTIONS", "", false), Ok(Route::Preflight));
        // The sid is decoded like every query value; the first of each key counts.
        assert_eq!(
            r("POST", "EIO=4&transport=polling&sid=p%6Fll&sid=ws", false),
            Ok(Route::PollPost { sid: "poll".into() })
        );
        assert_eq!(
            r(
                "GET",
                "transport=polling&EIO=4&transport=websocket&sid=poll&",
                false
            ),
            Ok(Route::PollGet { sid: "poll".into() })
        );
    }

    #[test]
    fn eio3_only_when_allowed() {
        let config = Config {
            allow_eio3: true,
            ..Config::default()
        };
        let r = |q| route("GET", q, false, &config, |_| None);
        let v3 = |supports_binary| {
            Route::Handshake(Transport::Polling, Protocol::V3 { supports_binary })
        };
        assert_eq!(r("EIO=3&transport=polling"), Ok(v3(true)));
        assert_eq!(r("EIO=3&transport=polling&b64=1"), Ok(v3(false)));
        assert_eq!(r("EIO=3&transport=polling&b64="), Ok(v3(true)));
        assert_eq!(
            r("EIO=3&transport=polling&j=0"),
            Err(RequestError::BadRequest)
        );
        assert_eq!(
            r("EIO=2&transport=polling"),
            Err(RequestError::UnsupportedProtocolVersion)
        );
        assert_eq!(
            r("EIO=4&transport=polling&b64=1"),
            Ok(Route::Handshake(Transport::Polling, Protocol::V4))
        );
    }

    #[test]
    fn error_bodies() {
        assert_eq!(
            RequestError::UnknownSid.body(),
            r#"{"code":1,"message":"Session ID unknown"}"#
        );
        assert_eq!(RequestError::Forbidden.status(), 403);
    }
}
