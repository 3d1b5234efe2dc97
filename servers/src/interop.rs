//! The Socket.IO interop test server: what `tests/interop/socketio` (npm `socket.io-client`) and
//! `tests/interop/python` (`python-socketio`) drive. `tests/interop/socketio/peer-server.js` is
//! the same server written with the Node reference `socket.io`, so every test is first proven
//! against the reference.
//!
//! ```text
//! cargo run -p test-servers --bin socketio-interop -- --port 3000 [--host 127.0.0.1]
//!     [--front builtin|axum] [--tls-cert FILE --tls-key FILE] [--parser json|msgpack]
//! ```
//!
//! `--parser msgpack` makes the server speak npm `socket.io-msgpack-parser` (every packet one
//! binary message) instead of the default socket.io-parser; clients must use the same parser.
//!
//! Settings: path `/socket.io/`, pingInterval 300 ms, pingTimeout 200 ms, connectTimeout 1000 ms,
//! maxPayload 1000000, CORS any origin. Namespaces `/` and `/admin` behave the same; any other
//! namespace is refused with `Invalid namespace`.
//!
//! Events a client may emit (on either namespace):
//!
//! | event           | arguments       | the server                                                  |
//! |-----------------|-----------------|-------------------------------------------------------------|
//! | `whoami`        | (ack)           | acks `{"id":..,"nsp":..,"auth":<CONNECT payload or {}>}`    |
//! | `echo`          | any             | emits `echo` back with the same arguments (binary included) |
//! | `ack-echo`      | any (ack)       | acks with the same arguments                                |
//! | `server-ack`    | any             | emits `ping-me` with the same arguments asking for an ack (2 s); then emits `server-ack-result` with the client's ack arguments, or `server-ack-error` with the error text |
//! | `join`          | room (ack)      | joins the room, acks with the room                          |
//! | `leave`         | room (ack)      | leaves the room, acks with the room                         |
//! | `to-room`       | room, msg (ack) | emits `room-msg` (room, msg, sender id) to the room's sockets but the sender, then acks `true` |
//! | `to-all`        | msg (ack)       | emits `all-msg` (msg, sender id) to every socket of the namespace, sender included, then acks `true` |
//! | `kick-me`       | [{"close":b}]   | disconnects the socket from the server side (`close`: the whole connection) |
//! | `binary-nested` | (ack)           | acks `<bytes 1,2,3>, {"nested":{"bin":<bytes 4,5,6>,"list":[<bytes 7>,"text",<no bytes>]}}` |
use crate::front::{self, Running};
use crate::listen::Listen;
use socketio::engineio::runtime::ServerConfig;
use socketio::proto::{Data, Parser, Payload};
use socketio::runtime::{Socket, SocketIo, SocketIoConfig};
use std::time::Duration;

/// The server's settings: the conformance server's (the table at the top of this file).
pub fn config() -> SocketIoConfig {
    crate::conformance::config()
}

/// The first argument as a string, if it is one.
fn first_string(args: &Payload) -> Option<String> {
    args.args().first()?.deserialize::<String>().ok()
}

/// The arguments as trees (binary in place); an undecodable payload gives none.
fn data(args: &Payload) -> Vec<Data> {
    args.to_data().unwrap_or_default()
}

fn string(s: &str) -> Data {
    Data::String(s.to_owned())
}

fn bin(b: &[u8]) -> Data {
    Data::Binary(bytes::Bytes::copy_from_slice(b))
}

fn object(fields: Vec<(&str, Data)>) -> Data {
    Data::Object(fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}

fn on_connection(socket: Socket) {
    socket.on("whoami", |socket, _args, ack| {
        let auth = serde_json::from_str::<Data>(socket.auth().as_str()).unwrap_or(Data::Null);
        if let Some(ack) = ack {
            let _ = ack.send(object(vec![
                ("id", string(socket.id())),
                ("nsp", string(socket.nsp())),
                ("auth", auth),
            ]));
        }
    });
    socket.on("echo", |socket, args, _ack| {
        let _ = socket.emit("echo", args);
    });
    socket.on("ack-echo", |_socket, args, ack| {
        if let Some(ack) = ack {
            let _ = ack.send(args);
        }
    });
    socket.on("server-ack", |socket, args, _ack| {
        let socket = socket.clone();
        tokio::spawn(async move {
            match socket
                .emit_with_ack("ping-me", args, Duration::from_secs(2))
                .await
            {
                Ok(answer) => {
                    let _ = socket.emit("server-ack-result", answer);
                }
                Err(e) => {
                    let _ = socket.emit("server-ack-error", e.to_string().as_str());
                }
            }
        });
    });
    socket.on("join", |socket, args, ack| {
        if let Some(room) = first_string(&args) {
            socket.join(&room);
            if let Some(ack) = ack {
                let _ = ack.send(room.as_str());
            }
        }
    });
    socket.on("leave", |socket, args, ack| {
        if let Some(room) = first_string(&args) {
            socket.leave(&room);
            if let Some(ack) = ack {
                let _ = ack.send(room.as_str());
            }
        }
    });
    socket.on("to-room", |socket, args, ack| {
        let mut items = data(&args).into_iter();
        let (Some(Data::String(room)), Some(msg)) = (items.next(), items.next()) else {
            return;
        };
        let _ = socket.to(&room).emit(
            "room-msg",
            vec![Data::String(room.clone()), msg, string(socket.id())],
        );
        if let Some(ack) = ack {
            let _ = ack.send(serde_json::Value::Bool(true));
        }
    });
    socket.on("to-all", |socket, args, ack| {
        let msg = data(&args).into_iter().next().unwrap_or(Data::Null);
        let _ = socket
            .namespace()
            .broadcast()
            .emit("all-msg", vec![msg, string(socket.id())]);
        if let Some(ack) = ack {
            let _ = ack.send(serde_json::Value::Bool(true));
        }
    });
    socket.on("kick-me", |socket, args, _ack| {
        let close = matches!(
            args.args().first().map(|a| a.deserialize::<serde_json::Value>()),
            Some(Ok(serde_json::Value::Object(o))) if o.get("close") == Some(&serde_json::Value::Bool(true))
        );
        socket.disconnect(close);
    });
    socket.on("binary-nested", |_socket, _args, ack| {
        if let Some(ack) = ack {
            let _ = ack.send(vec![
                bin(&[1, 2, 3]),
                object(vec![(
                    "nested",
                    object(vec![
                        ("bin", bin(&[4, 5, 6])),
                        (
                            "list",
                            Data::Array(vec![bin(&[7]), string("text"), bin(&[])]),
                        ),
                    ]),
                )]),
            ]);
        }
    });
}

/// Starts the interop server as `listen` says: namespaces `/` and `/admin`.
pub async fn start_on(listen: &Listen) -> std::io::Result<Running> {
    start_with(listen, Parser::Json).await
}

/// Starts the interop server as `listen` says, speaking `parser`.
pub async fn start_with(listen: &Listen, parser: Parser) -> std::io::Result<Running> {
    let io = SocketIo::new(config().parser(parser).allow_eio3(listen.allow_eio3));
    io.of("/").on_connection(on_connection);
    io.of("/admin").on_connection(on_connection);
    let http = ServerConfig {
        header_timeout: Duration::from_secs(5),
        ..ServerConfig::default()
    };
    front::start(listen, vec![io.engine()], http).await
}
