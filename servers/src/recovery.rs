//! The connection state recovery test server that `tests/interop/recovery` (npm
//! `socket.io-client`) drives: the conformance settings (path `/socket.io/`, pingInterval 300 ms,
//! pingTimeout 200 ms) with recovery on, and events that let one client emit to another while
//! it is away. `tests/interop/recovery/peer-server.js` is the same server on the Node reference.
//!
//! Events a client may emit on `/`:
//!
//! | event      | arguments                 | the server                                                 |
//! |------------|---------------------------|------------------------------------------------------------|
//! | `whoami`   | (ack)                     | acks `{"id","recovered","handlerSawRecovered","rooms","data","sub"}` |
//! | `join`     | room (ack)                | joins the room, acks `true`                                |
//! | `set-data` | value (ack)               | stores the string on the socket, acks `true`               |
//! | `to`       | target, event, args (ack) | emits `event` with `args` to the room or socket id `target`, acks `true` |
//! | `direct`   | event, args (ack)         | emits `event` with `args` to the sender (a direct emit), acks `true` |
//! | `flood`    | target, n (ack)           | emits `m` with `0`, `1`, ... `n-1` to the room or socket id `target`, acks `true` |
//! | `present`  | socket id (ack)           | acks whether that socket is connected to `/` on this server (a test waits for a dropped client's old socket to be gone before it reconnects) |
//!
//! With the JWT flags of [`AuthOptions`], `/` requires a token (handshake mode); with
//! `--jwt-refresh` a connected client may send `authenticate` with a fresh token.

use crate::auth_options::AuthOptions;
use crate::front::{self, Running};
use crate::listen::Listen;
use engineio::runtime::ServerConfig;
use socketio::proto::{Payload, RecoveryConfig};
use socketio::runtime::{AckSender, Socket, SocketIo};
use std::time::Duration;

/// What the socket's connection handler saw (`socket.recovered` there).
struct HandlerSaw(bool);

/// The application data a test stores and expects back after a recovery.
struct Stored(String);

fn string_arg(args: &Payload, i: usize) -> Option<String> {
    args.args().get(i)?.deserialize::<String>().ok()
}

fn ack_true(ack: Option<AckSender>) {
    if let Some(ack) = ack {
        let _ = ack.send(serde_json::Value::Bool(true));
    }
}

fn whoami(socket: &Socket) -> serde_json::Value {
    let mut rooms: Vec<String> = socket.rooms().iter().map(|r| r.to_string()).collect();
    rooms.sort();
    serde_json::json!({
        "id": socket.id(),
        "recovered": socket.recovered(),
        "handlerSawRecovered": socket.data::<HandlerSaw>().is_some_and(|s| s.0),
        "rooms": rooms,
        "data": socket.data::<Stored>().map(|s| s.0.clone()),
        "sub": socket.subject(),
    })
}

fn on_connection(socket: Socket) {
    socket.set_data(HandlerSaw(socket.recovered()));
    socket.on("whoami", |socket, _args, ack| {
        if let Some(ack) = ack {
            let _ = ack.send(whoami(socket));
        }
    });
    socket.on("join", |socket, args, ack| {
        if let Some(room) = string_arg(&args, 0) {
            socket.join(&room);
        }
        ack_true(ack);
    });
    socket.on("set-data", |socket, args, ack| {
        if let Some(value) = string_arg(&args, 0) {
            socket.set_data(Stored(value));
        }
        ack_true(ack);
    });
    socket.on("to", |socket, args, ack| {
        if let (Some(target), Some(event)) = (string_arg(&args, 0), string_arg(&args, 1)) {
            let rest = args.args().get(2..).unwrap_or_default().to_vec();
            let payload = Payload::json(rest).unwrap_or_default();
            let _ = socket.namespace().to(&target).emit(&event, payload);
        }
        ack_true(ack);
    });
    socket.on("flood", |socket, args, ack| {
        let count = args.args().get(1).and_then(|a| a.deserialize::<u32>().ok());
        if let (Some(target), Some(count)) = (string_arg(&args, 0), count) {
            let to = socket.namespace().to(&target);
            for i in 0..count.min(100_000) {
                let _ = to.emit("m", serde_json::Value::from(i));
            }
        }
        ack_true(ack);
    });
    socket.on("present", |socket, args, ack| {
        let id = string_arg(&args, 0).unwrap_or_default();
        let present = socket.namespace().sockets().iter().any(|s| s.id() == id);
        if let Some(ack) = ack {
            let _ = ack.send(serde_json::Value::Bool(present));
        }
    });
    socket.on("direct", |socket, args, ack| {
        if let Some(event) = string_arg(&args, 0) {
            let rest = args.args().get(1..).unwrap_or_default().to_vec();
            let _ = socket.emit(&event, Payload::json(rest).unwrap_or_default());
        }
        ack_true(ack);
    });
}

/// Starts the recovery test server as `listen` says, with a recovery window of `window`,
/// speaking `parser` (socket.io-parser or socket.io-msgpack-parser).
pub async fn start(
    listen: &Listen,
    auth: &AuthOptions,
    window: Duration,
    parser: socketio::proto::Parser,
) -> std::io::Result<(Running, SocketIo)> {
    let policies = auth
        .policies()
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    let recovery = RecoveryConfig {
        max_disconnection_duration: window,
        ..RecoveryConfig::default()
    };
    let config = crate::conformance::config()
        .auth(policies)
        .connection_state_recovery(recovery)
        .parser(parser);
    let io = SocketIo::new(config);
    io.of("/").on_connection(on_connection);
    let http = ServerConfig {
        header_timeout: Duration::from_secs(5),
        ..ServerConfig::default()
    };
    let server = front::start(listen, vec![io.engine()], http).await?;
    Ok((server, io))
}
