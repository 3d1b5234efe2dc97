//! Engine.IO v3 / Socket.IO protocol 4 conformance (socket.io-client 2.x), for a server that takes
//! such clients (Node's `allowEIO3`; ours with `--allow-eio3`): `conformance --eio 3 --sio-url
//! URL`. The server is the Socket.IO conformance server (see [`crate::sio`]): its pingInterval
//! and pingTimeout, `/` and `/custom` emitting `auth` on connect, `message` answered
//! `message-back`.
//!
//! What v3 changes, and these checks hold a server to: the length-prefixed text payload and
//! the binary payload, `b64=1`, binary WebSocket frames with a type byte, the client pinging and
//! the server answering (and closing a client that stops after pingInterval + pingTimeout), the
//! open packet's fields; and, in Socket.IO, the join of `/` without a CONNECT and the namespace
//! query. A server that does not take v3 answers `EIO=3` with `400` code 5: the Engine.IO checks
//! `eio.errors.unsupported-protocol-version` and `sio.engine.invalid-eio` hold it to that.

mod checks;
pub mod payload;

use crate::check::{check, Check, Report};
use crate::eio::{self, Ctx};

/// Every v3 check, in report order.
pub fn checks() -> Vec<Check<Ctx>> {
    vec![
        check!("eio3.handshake-polling", checks::handshake_polling),
        check!("eio3.handshake-websocket", checks::handshake_websocket),
        check!("eio3.sio-implicit-connect", checks::sio_implicit_connect),
        check!("eio3.sio-namespace-connect", checks::sio_namespace_connect),
        check!("eio3.polling-ping-pong", checks::polling_ping_pong),
        check!(
            "eio3.websocket-client-pings",
            checks::websocket_client_pings,
            long
        ),
        check!("eio3.ping-timeout", checks::ping_timeout, long),
        check!("eio3.payload-framing", checks::payload_framing),
        check!("eio3.binary-payload", checks::binary_payload),
        check!("eio3.binary-b64", checks::binary_b64),
        check!("eio3.websocket-binary", checks::websocket_binary),
        check!("eio3.malformed-payload", checks::malformed_payload),
    ]
}

/// The v3 checks whose name contains one of `filters` (all of them when `filters` is empty).
pub fn select(filters: &[String]) -> Vec<Check<Ctx>> {
    checks()
        .into_iter()
        .filter(|c| filters.is_empty() || filters.iter().any(|f| c.name.contains(f.as_str())))
        .collect()
}

/// Runs `checks` against the server `config` describes (its Socket.IO endpoint), `parallel` at a
/// time.
pub async fn run_with(config: eio::Config, checks: &[Check<Ctx>], parallel: usize) -> Report {
    eio::run_with(config, checks, parallel).await
}
