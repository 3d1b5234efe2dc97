//! Socket.IO v5 conformance: one check per behaviour of the protocol and of the reference server.
//!
//! The checks cover everything the "Socket.IO protocol" part of the public test suite
//! (`socketio/socket.io-protocol`, `test-suite/test-suite.js`) checks, with the same expectations
//! (over Engine.IO v4 only), plus what real clients rely on where the spec is silent (the Node
//! reference server `socket.io` is the standard there), plus bad input.
//!
//! The server under test is the test suite's server:
//!
//! ```text
//! path /socket.io/, pingInterval 300 ms, pingTimeout 200 ms, connectTimeout 1000 ms,
//! maxPayload 1000000; namespaces / and /custom, any other refused with
//! 44/<nsp>,{"message":"Invalid namespace"}; on connect each emits `auth` with the CONNECT
//! payload ({} when none); on /, `message` is answered `message-back` with the same arguments
//! (binary included) and `message-with-ack` is acknowledged with the same arguments.
//! ```
//!
//! A check reads as a conversation (Engine.IO `4` prefix included):
//!
//! ```text
//! C> ws text "40"
//! S< ws text "40{\"sid\":\"k2Xz...\"}"
//! S< ws text "42[\"auth\",{}]"
//! C> ws text "42[\"message\",1,\"2\",{\"3\":[true]}]"
//! S< ws text "42[\"message-back\",1,\"2\",{\"3\":[true]}]"
//! ```

mod bad_input;
mod client;
mod connect;
mod engine;
mod event;
pub mod msgpack;
mod msgpack_checks;
mod namespace;
pub mod packet;
mod polling;
mod recovery;

use std::sync::Arc;
use std::time::Duration;

pub use client::{
    is_close, polling, websocket_for, Ctx, Frame, Heard, Session, CLOSE_WITHIN, QUIET_FOR,
};

use crate::check::{check, run_all, Check, Report};
use crate::eio;
use crate::target::Target;

/// What the server under test is configured with, and how patient the checks are.
#[derive(Debug, Clone)]
pub struct Config {
    /// The Socket.IO endpoint, e.g. `http://127.0.0.1:3000/socket.io/`.
    pub target: Target,
    /// How long the server waits for a first CONNECT (the test suite's server: 1000 ms).
    pub connect_timeout: Duration,
    /// The Engine.IO `pingInterval` the server advertises (300 ms).
    pub ping_interval: Duration,
    /// The Engine.IO `pingTimeout` the server advertises (200 ms).
    pub ping_timeout: Duration,
    /// The Engine.IO `maxPayload` the server advertises (1000000).
    pub max_payload: u64,
    /// How late the server may act on one of its timers (see [`crate::eio::DEFAULT_SLACK`]).
    pub slack: Duration,
    /// The server has connection state recovery on with this window: run
    /// [`recovery_checks`] (instead of [`checks`], whose exact bytes an offset changes).
    pub recovery: Option<Duration>,
    /// The server speaks npm `socket.io-msgpack-parser`: run [`msgpack_checks`] (instead of
    /// [`checks`], which speak the default parser).
    pub parser: Parser,
}

/// The Socket.IO parser the server under test speaks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Parser {
    /// socket.io-parser (JSON text, binary attachments): every client's default.
    #[default]
    Json,
    /// socket.io-msgpack-parser (one MessagePack map per packet, one binary message).
    MsgPack,
}

impl Config {
    /// The test-suite configuration for `target`.
    pub fn new(target: Target) -> Config {
        Config {
            target,
            connect_timeout: Duration::from_millis(1000),
            ping_interval: Duration::from_millis(300),
            ping_timeout: Duration::from_millis(200),
            max_payload: 1_000_000,
            slack: eio::DEFAULT_SLACK,
            recovery: None,
            parser: Parser::Json,
        }
    }

    /// The Engine.IO view of the same server (for the Engine.IO client underneath).
    fn engine(&self) -> eio::Config {
        let mut config = eio::Config::new(self.target.clone());
        config.ping_interval = self.ping_interval;
        config.ping_timeout = self.ping_timeout;
        config.max_payload = self.max_payload;
        config.slack = self.slack;
        config
    }
}

/// Every Socket.IO check, in report order.
pub fn checks() -> Vec<Check<Ctx>> {
    vec![
        check!("sio.engine.handshake-polling", engine::handshake_polling),
        check!(
            "sio.engine.handshake-websocket",
            engine::handshake_websocket
        ),
        check!("sio.engine.invalid-eio", engine::invalid_eio),
        check!("sio.engine.invalid-transport", engine::invalid_transport),
        check!("sio.engine.invalid-method", engine::invalid_method),
        check!(
            "sio.engine.websocket-bad-query",
            engine::websocket_bad_query
        ),
        check!("sio.engine.polling-ping-pong", engine::polling_ping_pong),
        check!(
            "sio.engine.polling-ping-timeout",
            engine::polling_ping_timeout
        ),
        check!(
            "sio.engine.websocket-ping-pong",
            engine::websocket_ping_pong
        ),
        check!(
            "sio.engine.websocket-ping-timeout",
            engine::websocket_ping_timeout
        ),
        check!("sio.engine.close-polling", engine::close_polling),
        check!("sio.engine.close-websocket", engine::close_websocket),
        check!("sio.engine.upgrade", engine::upgrade),
        check!(
            "sio.engine.polling-refused-after-upgrade",
            engine::polling_refused_after_upgrade
        ),
        check!(
            "sio.engine.second-websocket-closed",
            engine::second_websocket_closed
        ),
        check!("sio.connect.main", connect::main_namespace),
        check!(
            "sio.connect.main-with-payload",
            connect::main_namespace_with_payload
        ),
        check!("sio.connect.custom", connect::custom_namespace),
        check!(
            "sio.connect.custom-with-payload",
            connect::custom_namespace_with_payload
        ),
        check!(
            "sio.connect.payload-kept-exactly",
            connect::payload_kept_exactly
        ),
        check!("sio.connect.unknown-namespace", connect::unknown_namespace),
        check!(
            "sio.connect.sid-is-not-engine-sid",
            connect::sid_is_not_engine_sid
        ),
        check!("sio.connect.invalid-handshake", connect::invalid_handshake),
        check!(
            "sio.connect.first-packet-not-connect",
            connect::first_packet_not_connect
        ),
        check!("sio.connect.timeout", connect::timeout, long),
        check!(
            "sio.connect.refused-keeps-timeout",
            connect::refused_keeps_timeout,
            long
        ),
        check!(
            "sio.connect.in-time-stays-open",
            connect::in_time_stays_open,
            long
        ),
        check!(
            "sio.connect.polling-timeout",
            connect::polling_timeout,
            long
        ),
        check!("sio.event.echo", event::echo),
        check!("sio.event.exact-json", event::exact_json),
        check!("sio.event.in-order", event::in_order),
        check!("sio.event.binary", event::binary),
        check!("sio.event.ack", event::ack),
        check!(
            "sio.event.ack-without-arguments",
            event::ack_without_arguments
        ),
        check!("sio.event.ack-id-zero", event::ack_id_zero),
        check!("sio.event.binary-ack", event::binary_ack),
        check!("sio.event.emit-with-ack", event::emit_with_ack),
        check!(
            "sio.event.emit-with-binary-ack",
            event::emit_with_binary_ack
        ),
        check!("sio.event.nested-placeholders", event::nested_placeholders),
        check!(
            "sio.event.placeholders-out-of-order",
            event::placeholders_out_of_order
        ),
        check!("sio.event.large-binary", event::large_binary),
        check!("sio.namespace.multiplex", namespace::multiplex),
        check!(
            "sio.namespace.disconnect-keeps-others",
            namespace::disconnect_keeps_others
        ),
        check!(
            "sio.namespace.without-trailing-comma",
            namespace::without_trailing_comma
        ),
        check!(
            "sio.namespace.rejoin-after-disconnect",
            namespace::rejoin_after_disconnect
        ),
        check!("sio.namespace.disconnect-main", namespace::disconnect_main),
        check!(
            "sio.namespace.disconnect-main-keeps-engine",
            namespace::disconnect_main_keeps_engine
        ),
        check!(
            "sio.namespace.leave-main-keep-custom",
            namespace::leave_main_keep_custom
        ),
        check!(
            "sio.namespace.no-implicit-main",
            namespace::no_implicit_main
        ),
        check!("sio.polling.connect", polling::connect),
        check!(
            "sio.polling.connect-custom-with-payload",
            polling::connect_custom_with_payload
        ),
        check!("sio.polling.event", polling::event),
        check!("sio.polling.batch", polling::batch),
        check!("sio.polling.binary", polling::binary),
        check!("sio.polling.binary-ack", polling::binary_ack),
        check!(
            "sio.polling.invalid-packet-closes",
            polling::invalid_packet_closes
        ),
        check!(
            "sio.polling.binary-when-none-expected-closes",
            polling::binary_when_none_expected_closes
        ),
        check!(
            "sio.polling.upgrade-keeps-namespace",
            polling::upgrade_keeps_namespace
        ),
        check!(
            "sio.bad.unknown-packet-type",
            bad_input::unknown_packet_type
        ),
        check!(
            "sio.bad.event-payload-not-array",
            bad_input::event_payload_not_array
        ),
        check!(
            "sio.bad.event-without-payload",
            bad_input::event_without_payload
        ),
        check!("sio.bad.event-empty-array", bad_input::event_empty_array),
        check!(
            "sio.bad.event-name-not-string",
            bad_input::event_name_not_string
        ),
        check!("sio.bad.invalid-ack-id", bad_input::invalid_ack_id),
        check!("sio.bad.ack-id-overflow", bad_input::ack_id_overflow),
        check!(
            "sio.bad.ack-payload-not-array",
            bad_input::ack_payload_not_array
        ),
        check!("sio.bad.trailing-garbage", bad_input::trailing_garbage),
        check!(
            "sio.bad.reserved-event-names",
            bad_input::reserved_event_names
        ),
        check!(
            "sio.bad.event-for-unjoined-namespace",
            bad_input::event_for_unjoined_namespace
        ),
        check!("sio.bad.duplicate-connect", connect::duplicate),
        check!(
            "sio.bad.client-connect-error",
            bad_input::client_connect_error
        ),
        check!(
            "sio.bad.connect-payload-not-object",
            bad_input::connect_payload_not_object
        ),
        check!("sio.bad.attachment-count", bad_input::bad_attachment_count),
        check!(
            "sio.bad.placeholder-out-of-range",
            bad_input::placeholder_out_of_range
        ),
        check!(
            "sio.bad.binary-when-none-expected",
            bad_input::binary_when_none_expected
        ),
        check!(
            "sio.bad.text-while-awaiting-attachments",
            bad_input::text_while_awaiting_attachments
        ),
        check!("sio.bad.deep-json", bad_input::deep_json),
        check!("sio.bad.others-unaffected", bad_input::others_unaffected),
    ]
}

/// The connection state recovery checks, for a server with it on ([`Config::recovery`]).
pub fn recovery_checks() -> Vec<Check<Ctx>> {
    vec![
        check!("sio.recovery.pid", recovery::pid_in_connect_reply),
        check!("sio.recovery.offsets", recovery::offsets),
        check!("sio.recovery.restore", recovery::restore),
        check!("sio.recovery.unknown-pid", recovery::unknown_pid),
        check!("sio.recovery.expiry", recovery::expiry, long),
    ]
}

/// The checks of a server with the MessagePack parser ([`Config::parser`]).
pub fn msgpack_checks() -> Vec<Check<Ctx>> {
    vec![
        check!("sio.msgpack.connect", msgpack_checks::connect),
        check!(
            "sio.msgpack.connect-custom-with-payload",
            msgpack_checks::connect_custom_with_payload
        ),
        check!(
            "sio.msgpack.connect-binary-payload",
            msgpack_checks::connect_binary_payload
        ),
        check!(
            "sio.msgpack.unknown-namespace",
            msgpack_checks::unknown_namespace
        ),
        check!("sio.msgpack.echo", msgpack_checks::echo),
        check!("sio.msgpack.ack", msgpack_checks::ack),
        check!("sio.msgpack.emit-with-ack", msgpack_checks::emit_with_ack),
        check!("sio.msgpack.polling", msgpack_checks::polling),
        check!("sio.msgpack.text-closes", msgpack_checks::text_closes),
        check!("sio.msgpack.bad-input", msgpack_checks::bad_input),
    ]
}

/// The MessagePack checks whose name contains one of `filters` (all when `filters` is empty).
pub fn select_msgpack(filters: &[String]) -> Vec<Check<Ctx>> {
    msgpack_checks()
        .into_iter()
        .filter(|c| filters.is_empty() || filters.iter().any(|f| c.name.contains(f.as_str())))
        .collect()
}

/// The recovery checks whose name contains one of `filters` (all when `filters` is empty).
pub fn select_recovery(filters: &[String]) -> Vec<Check<Ctx>> {
    recovery_checks()
        .into_iter()
        .filter(|c| filters.is_empty() || filters.iter().any(|f| c.name.contains(f.as_str())))
        .collect()
}

/// The checks whose name contains one of `filters` (all of them when `filters` is empty).
pub fn select(filters: &[String]) -> Vec<Check<Ctx>> {
    checks()
        .into_iter()
        .filter(|c| filters.is_empty() || filters.iter().any(|f| c.name.contains(f.as_str())))
        .collect()
}

/// Runs `checks` against the server `config` describes, [`eio::DEFAULT_PARALLEL`] at a time.
pub async fn run(config: Config, checks: &[Check<Ctx>]) -> Report {
    run_with(config, checks, eio::DEFAULT_PARALLEL).await
}

/// Runs `checks` against the server `config` describes, `parallel` at a time.
pub async fn run_with(config: Config, checks: &[Check<Ctx>], parallel: usize) -> Report {
    // The slowest check waits about connectTimeout twice; a hang ends well before a CI timeout.
    let limit = config.connect_timeout * 2 + Duration::from_secs(20);
    let engine = Arc::new(config.engine());
    let config = Arc::new(config);
    run_all(
        checks,
        |log| Ctx::new(config.clone(), engine.clone(), log),
        limit,
        parallel,
    )
    .await
}
