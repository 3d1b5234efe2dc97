//! Engine.IO v4 conformance: one check per behaviour of the protocol and of the reference server.
//!
//! The checks cover everything the public test suite (`socketio/engine.io-protocol`,
//! `test-suite/test-suite.js`) checks, with the same expectations, plus what real clients rely on
//! where the spec is silent (the Node reference server `engine.io` is the standard there), plus
//! bad input. The server under test is expected to be an echo server: every message it receives
//! is sent back, text as text and binary as binary (the test suite's server).

mod bad_input;
mod client;
pub(crate) mod close;
mod cors;
pub(crate) mod errors;
mod expect;
pub(crate) mod handshake;
pub(crate) mod heartbeat;
pub mod packet;
mod polling;
mod upgrade;
mod websocket;
mod ws_close;

use std::sync::Arc;
use std::time::Duration;

pub use client::{polling, websocket_for, Ctx, Pending};

use crate::check::{check, run_all, Check, Report};
use crate::target::Target;

/// How late a server may act on one of its timers (a ping, a ping timeout, a connect timeout).
/// Generous on purpose: on a loaded CI machine a server (or this client) can be descheduled for
/// hundreds of milliseconds, and what the checks establish is that the timer fires, at about the
/// right time; a timer firing at the wrong order of magnitude (or never) still fails. That it does
/// not fire early is checked separately, against [`EARLY_TOLERANCE`].
pub const DEFAULT_SLACK: Duration = Duration::from_secs(3);

/// How much earlier than its configured time a server timer may appear to fire. Lower bounds are
/// measured from before the request that starts the server's timer and up to when its effect is
/// seen here, so scheduling delays on either side only make the measured time longer; what is
/// left is timer granularity (Node rounds its timers to the millisecond).
pub const EARLY_TOLERANCE: Duration = Duration::from_millis(50);

/// How long a server has to act on something that it must act on at once (close a socket after a
/// bad frame, answer a probe): no timer is involved, so this only has to outlast a loaded
/// machine, and a server that never acts still fails.
pub const ACT_WITHIN: Duration = Duration::from_secs(5);

/// How many times a check starts over when its outcome shows a race between this client and the
/// server's own timers that it cannot rule out beforehand (a ping answered the GET the check had
/// parked; the session timed out while the check had to stay silent). A server that misbehaves
/// does so every time, so it still fails; a race needs this many stalls in a row.
pub const RACE_ATTEMPTS: usize = 3;

/// What the server under test is configured with, and how patient the checks are.
#[derive(Debug, Clone)]
pub struct Config {
    /// The Engine.IO endpoint, e.g. `http://127.0.0.1:3000/engine.io/`.
    pub target: Target,
    /// The `pingInterval` the server must advertise (the test suite uses 300 ms).
    pub ping_interval: Duration,
    /// The `pingTimeout` the server must advertise (the test suite uses 200 ms).
    pub ping_timeout: Duration,
    /// The `maxPayload` the server must advertise (the test suite uses 1000000).
    pub max_payload: u64,
    /// How late the server may act on one of its timers (see [`DEFAULT_SLACK`]).
    pub slack: Duration,
    /// How long a client sending its headers one byte per second may stay connected.
    pub slow_header_limit: Duration,
    /// Whether the server is expected to answer CORS (any origin, preflight).
    pub cors: bool,
    /// A query (e.g. `forbidden=1`) that makes the server refuse a handshake with error code 4;
    /// without one the Forbidden check is skipped.
    pub forbidden_query: Option<String>,
}

impl Config {
    /// The test-suite configuration (300 / 200 / 1000000) for `target`, CORS not checked.
    pub fn new(target: Target) -> Config {
        Config {
            target,
            ping_interval: Duration::from_millis(300),
            ping_timeout: Duration::from_millis(200),
            max_payload: 1_000_000,
            slack: DEFAULT_SLACK,
            slow_header_limit: Duration::from_secs(15),
            cors: false,
            forbidden_query: None,
        }
    }
}

/// Every Engine.IO check, in report order.
pub fn checks() -> Vec<Check<Ctx>> {
    vec![
        check!("handshake.polling", handshake::polling),
        check!("handshake.websocket", handshake::websocket),
        check!("handshake.unique-sids", handshake::unique_sids),
        check!("error.0-transport-unknown", errors::transport_unknown),
        check!("error.1-session-id-unknown", errors::session_id_unknown),
        check!("error.2-bad-handshake-method", errors::bad_handshake_method),
        check!("error.3-bad-request", errors::bad_request),
        check!("error.4-forbidden", errors::forbidden),
        check!(
            "error.5-unsupported-protocol-version",
            errors::unsupported_protocol_version
        ),
        check!("error.missing-eio", errors::missing_eio),
        check!("error.websocket-bad-query", errors::websocket_bad_query),
        check!("polling.echo-text", polling::echo_text),
        check!("polling.batch", polling::batch),
        check!("polling.text-and-binary", polling::text_and_binary),
        check!("polling.utf8", polling::utf8),
        check!("polling.parked-get-released", polling::parked_get_released),
        check!(
            "polling.invalid-packet-closes",
            polling::invalid_packet_closes
        ),
        check!("polling.duplicate-get", polling::duplicate_get),
        check!("polling.concurrent-post", polling::concurrent_post),
        check!(
            "polling.post-over-max-payload",
            polling::post_over_max_payload
        ),
        check!(
            "polling.post-over-max-payload-closes",
            polling::post_over_max_payload_closes
        ),
        check!(
            "polling.post-over-max-payload-empty-body",
            polling::post_over_max_payload_empty_body
        ),
        check!("heartbeat.polling-ping-pong", heartbeat::polling_ping_pong),
        check!(
            "heartbeat.polling-ping-timeout",
            heartbeat::polling_ping_timeout
        ),
        check!(
            "heartbeat.polling-stays-open",
            heartbeat::polling_stays_open
        ),
        check!(
            "heartbeat.websocket-ping-pong",
            heartbeat::websocket_ping_pong
        ),
        check!(
            "heartbeat.websocket-ping-timeout",
            heartbeat::websocket_ping_timeout
        ),
        check!(
            "heartbeat.websocket-stays-open",
            heartbeat::websocket_stays_open
        ),
        check!("close.polling", close::polling),
        check!("close.polling-concurrent", close::polling_concurrent),
        check!(
            "close.polling-concurrent-post-first",
            close::polling_concurrent_post_first
        ),
        check!("close.websocket", close::websocket),
        check!("websocket.echo-text", websocket::echo_text),
        check!("websocket.echo-binary", websocket::echo_binary),
        check!("websocket.base64-binary", websocket::base64_binary),
        check!("websocket.in-order", websocket::in_order),
        check!("websocket.ping-answered", websocket::ping_answered),
        check!(
            "websocket.fragmented-message",
            websocket::fragmented_message
        ),
        check!(
            "websocket.invalid-packet-closes",
            websocket::invalid_packet_closes
        ),
        check!(
            "websocket.over-max-payload-closes",
            websocket::over_max_payload_closes
        ),
        check!(
            "websocket.unmasked-frame-closes",
            websocket::unmasked_frame_closes
        ),
        check!(
            "websocket.reserved-opcode-closes",
            websocket::reserved_opcode_closes
        ),
        check!(
            "websocket-close.echoes-client-close",
            ws_close::echoes_client_close
        ),
        check!(
            "websocket-close.frame-on-ping-timeout",
            ws_close::frame_on_ping_timeout
        ),
        check!(
            "websocket-close.frame-on-invalid-packet",
            ws_close::frame_on_invalid_packet
        ),
        check!(
            "websocket-close.1009-over-max-payload",
            ws_close::code_1009_over_max_payload
        ),
        check!(
            "websocket-close.1007-invalid-utf8",
            ws_close::code_1007_invalid_utf8
        ),
        check!(
            "websocket-close.1002-unmasked-frame",
            ws_close::code_1002_unmasked_frame
        ),
        check!(
            "websocket-close.1002-reserved-close-code",
            ws_close::code_1002_reserved_close_code
        ),
        check!(
            "websocket-close.1002-reserved-opcode",
            ws_close::code_1002_reserved_opcode
        ),
        check!(
            "upgrade.polling-to-websocket",
            upgrade::polling_to_websocket
        ),
        check!("upgrade.parked-get-released", upgrade::parked_get_released),
        check!(
            "upgrade.polling-refused-after-upgrade",
            upgrade::polling_refused_after_upgrade
        ),
        check!(
            "upgrade.second-websocket-closed",
            upgrade::second_websocket_closed
        ),
        check!(
            "upgrade.second-websocket-during-upgrade",
            upgrade::second_websocket_during_upgrade
        ),
        check!(
            "upgrade.nothing-lost-or-reordered",
            upgrade::nothing_lost_or_reordered
        ),
        check!("cors.preflight", cors::preflight),
        check!("cors.handshake", cors::handshake),
        check!(
            "bad.malformed-request-line",
            bad_input::malformed_request_line
        ),
        check!("bad.oversized-headers", bad_input::oversized_headers),
        check!("bad.garbage-packets", bad_input::garbage_packets),
        check!(
            "bad.wrong-method-with-sid",
            bad_input::wrong_method_with_sid
        ),
        check!("bad.slow-headers", bad_input::slow_headers, long),
        check!("bad.chunked-post", bad_input::chunked_post),
        check!(
            "bad.invalid-content-length",
            bad_input::invalid_content_length
        ),
        check!("bad.truncated-body", bad_input::truncated_body),
        check!("bad.random-bytes", bad_input::random_bytes),
    ]
}

/// The checks whose name contains one of `filters` (all of them when `filters` is empty).
pub fn select(filters: &[String]) -> Vec<Check<Ctx>> {
    checks()
        .into_iter()
        .filter(|c| filters.is_empty() || filters.iter().any(|f| c.name.contains(f.as_str())))
        .collect()
}

/// How many checks run at once by default.
pub const DEFAULT_PARALLEL: usize = 8;

/// Runs `checks` against the server `config` describes, [`DEFAULT_PARALLEL`] at a time.
pub async fn run(config: Config, checks: &[Check<Ctx>]) -> Report {
    run_with(config, checks, DEFAULT_PARALLEL).await
}

/// Runs `checks` against the server `config` describes, `parallel` at a time.
pub async fn run_with(config: Config, checks: &[Check<Ctx>], parallel: usize) -> Report {
    // Long enough for the slowest check (slow headers) plus a margin, short enough to end a hang.
    let limit = config.slow_header_limit + Duration::from_secs(20);
    let config = Arc::new(config);
    run_all(checks, |log| Ctx::new(config.clone(), log), limit, parallel).await
}
