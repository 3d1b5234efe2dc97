//! One task per Engine.IO session: feeds the [`Connection`] core with the session's messages, the
//! application's commands and the time, and carries out what it outputs.

use super::error::AckError;
use super::namespace::{AuthCheck, ConnectCheck, ConnectContext, ConnectError};
use super::server::IoInner;
use super::socket::{AckSender, Socket};
use crate::proto::{
    AppClaims, AuthPolicy, Config, Connection, DisconnectReason, Encoded, HandshakeCredentials,
    Identity, Namespace as Nsp, Output, Payload, RawJson,
};
use engineio::proto::{CloseReason as EngineClose, Data as EngineData, Event as EngineEvent, Text};
use engineio::runtime::{Handshake, Socket as EngineSocket, SocketHandle};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

/// What sockets and checks ask of their connection's task.
pub(crate) enum ConnCommand {
    /// Send a packet encoded elsewhere (an emit, an ack, a broadcast) on a namespace.
    Send { nsp: Nsp, packet: Encoded },
    /// Emit asking for an acknowledgement.
    EmitWithAck {
        nsp: Nsp,
        name: String,
        args: Payload,
        timeout: Duration,
        reply: oneshot::Sender<Result<Payload, AckError>>,
    },
    /// Leave one namespace.
    Disconnect { nsp: Nsp },
    /// Leave every namespace and close the connection.
    DisconnectAll,
    /// The connect checks of a namespace finished (with the application's claims under
    /// [`AuthPolicy::App`]).
    Checked {
        nsp: Nsp,
        ctx: ConnectContext,
        result: Result<Option<AppClaims>, ConnectError>,
    },
}

pub(crate) struct ConnectionTask {
    io: Arc<IoInner>,
    engine: EngineSocket,
    engine_tx: SocketHandle,
    conn: Connection,
    commands: mpsc::Receiver<ConnCommand>,
    commands_tx: mpsc::Sender<ConnCommand>,
    sockets: HashMap<Nsp, Socket>,
    /// Accepted joins whose socket is not made yet (the event mode waits for the token).
    pending: HashMap<Nsp, ConnectContext>,
    acks: HashMap<(Nsp, u64), oneshot::Sender<Result<Payload, AckError>>>,
}

enum Wake {
    Engine(Option<EngineEvent>),
    Command(Option<ConnCommand>),
    Timeout,
}

impl ConnectionTask {
    pub(crate) fn new(
        io: Arc<IoInner>,
        engine: EngineSocket,
        config: Config,
        buffer: usize,
    ) -> Self {
        let (commands_tx, commands) = mpsc::channel(buffer.max(1));
        let credentials = credentials(engine.handshake(), &io.config.token_cookie);
        // Read together, so the core can turn a token's `exp` into an exact instant.
        let now = Instant::now();
        let unix_now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        let conn =
            Connection::with_auth(now, config, io.config.auth.clone(), credentials, unix_now);
        Self {
            engine_tx: engine.handle(),
            engine,
            conn,
            io,
            commands,
            commands_tx,
            sockets: HashMap::new(),
            pending: HashMap::new(),
            acks: HashMap::new(),
        }
    }

    pub(crate) async fn run(mut self) {
        loop {
            if !self.drain().await {
                break;
            }
            let deadline = self.conn.poll_timeout();
            let wake = tokio::select! {
                event = self.engine.next_event() => Wake::Engine(event),
                command = self.commands.recv() => Wake::Command(command),
                () = sleep_until(deadline) => Wake::Timeout,
            };
            let now = Instant::now();
            self.on_wake(now, wake);
            // Take what is already waiting, so one drain carries a whole burst.
            for _ in 0..MAX_BATCH {
                let wake = if let Ok(command) = self.commands.try_recv() {
                    Wake::Command(Some(command))
                } else if let Some(event) = now_or_never(self.engine.next_event()) {
                    Wake::Engine(event)
                } else {
                    break;
                };
                self.on_wake(now, wake);
                if self.conn.is_closed() {
                    break;
                }
            }
        }
        // Dropping the reply senders tells the waiters the socket disconnected.
        self.acks.clear();
    }

    fn on_wake(&mut self, now: Instant, wake: Wake) {
        match wake {
            Wake::Engine(Some(EngineEvent::Message(EngineData::Text(text)))) => {
                self.conn.handle_text(now, text.as_str())
            }
            Wake::Engine(Some(EngineEvent::Message(EngineData::Binary(bytes)))) => {
                self.conn.handle_binary(now, bytes)
            }
            Wake::Engine(Some(EngineEvent::Upgraded)) => {}
            Wake::Engine(Some(EngineEvent::Closed(reason))) => {
                self.conn.handle_transport_closed(disconnect_reason(reason))
            }
            Wake::Engine(None) => self
                .conn
                .handle_transport_closed(DisconnectReason::TransportClose),
            Wake::Command(Some(command)) => self.on_command(now, command),
            // Unreachable: this task holds a sender.
            Wake::Command(None) => {}
            Wake::Timeout => self.conn.handle_timeout(now),
        }
    }

    fn on_command(&mut self, now: Instant, command: ConnCommand) {
        match command {
            ConnCommand::Send { nsp, packet } => {
                let _ = self.conn.send(nsp.as_str(), packet);
            }
            ConnCommand::EmitWithAck {
                nsp,
                name,
                args,
                timeout,
                reply,
            } => {
                match self
                    .conn
                    .emit_with_ack(now, nsp.as_str(), &name, &args, Some(timeout))
                {
                    Ok(id) => {
                        self.acks.insert((nsp, id), reply);
                    }
                    Err(_) => {
                        let _ = reply.send(Err(AckError::Disconnected));
                    }
                }
            }
            ConnCommand::Disconnect { nsp } => {
                let _ = self.conn.disconnect(nsp.as_str());
            }
            ConnCommand::DisconnectAll => {
                let _ = self.conn.disconnect_all();
            }
            ConnCommand::Checked { nsp, ctx, result } => match result {
                Ok(claims) => self.accept(nsp, ctx, claims),
                Err(e) => {
                    let _ = self.conn.reject(nsp.as_str(), e.to_json());
                }
            },
        }
    }

    /// Accepts a join the checks let through; the socket is made on [`Output::Connected`].
    fn accept(&mut self, nsp: Nsp, ctx: ConnectContext, claims: Option<AppClaims>) {
        let sid = self.io.sids.next_sid();
        let accepted = match claims {
            Some(claims) => self.conn.accept_with(nsp.as_str(), &sid, claims),
            None => self.conn.accept(nsp.as_str(), &sid),
        };
        if accepted.is_ok() {
            self.pending.insert(nsp, ctx);
        } else {
            let _ = self
                .conn
                .reject(nsp.as_str(), ConnectError::new("Not authorized").to_json());
        }
    }

    /// A namespace is joined: make the application's socket and hand it to the connection handler.
    fn on_connected(&mut self, nsp: Nsp, sid: String, identity: Identity) {
        let (Some(namespace), Some(ctx)) =
            (self.io.namespace(nsp.as_str()), self.pending.remove(&nsp))
        else {
            return;
        };
        let socket = Socket::new(
            Arc::from(sid),
            namespace.clone(),
            self.commands_tx.clone(),
            ctx.handshake.clone(),
            ctx.auth.clone(),
            identity.clone(),
            ctx.take_data(),
        );
        namespace.adapter().add(socket.clone());
        if let (Some(prefix), Some(sub)) = (namespace.user_room_prefix(), identity.subject()) {
            socket.join(&format!("{prefix}{sub}"));
        }
        self.sockets.insert(nsp, socket.clone());
        // The CONNECT reply was queued before this output; it goes out before anything the handler
        // emits, because the handler's emits come back through this task's command channel.
        if let Some(handler) = namespace.connection_handler() {
            handler(socket);
            self.run_queued_commands();
        }
    }

    /// Carries out what a handler just asked for (its emits, its ack), so that it goes out in the
    /// order the handler ran, before the next input is looked at — as in the Node server.
    fn run_queued_commands(&mut self) {
        let now = Instant::now();
        while let Ok(command) = self.commands.try_recv() {
            self.on_command(now, command);
        }
    }

    /// Carries out every pending output. Returns false once the connection is closed.
    async fn drain(&mut self) -> bool {
        while let Some(output) = self.conn.poll_output() {
            match output {
                Output::Transmit(packet) => {
                    let (text, attachments) = packet.into_parts();
                    let Ok(text) = Text::from_utf8(text) else {
                        continue;
                    };
                    if self
                        .engine_tx
                        .send_wait(EngineData::Text(text))
                        .await
                        .is_err()
                    {
                        continue;
                    }
                    for bytes in attachments {
                        let _ = self.engine_tx.send_wait(EngineData::Binary(bytes)).await;
                    }
                }
                Output::ConnectRequest {
                    nsp,
                    auth,
                    identity,
                } => self.on_connect_request(nsp, auth, identity),
                Output::Connected { nsp, sid, identity } => self.on_connected(nsp, sid, identity),
                Output::Reauthenticated { nsp, identity } => {
                    if let Some(socket) = self.sockets.get(&nsp) {
                        socket.set_identity(identity);
                    }
                }
                Output::AuthFailed { nsp, .. } => {
                    self.pending.remove(&nsp);
                }
                Output::Event(event) => {
                    let Some(socket) = self.sockets.get(&event.nsp).cloned() else {
                        continue;
                    };
                    let ack = event
                        .ack_id
                        .map(|id| AckSender::new(self.commands_tx.clone(), event.nsp.clone(), id));
                    socket.dispatch(&event.name, event.args, ack);
                    self.run_queued_commands();
                }
                Output::AckReceived { nsp, id, args } => {
                    if let Some(reply) = self.acks.remove(&(nsp, id)) {
                        let _ = reply.send(Ok(args));
                    }
                }
                Output::AckTimedOut { nsp, id } => {
                    if let Some(reply) = self.acks.remove(&(nsp, id)) {
                        let _ = reply.send(Err(AckError::Timeout));
                    }
                }
                Output::Disconnected { nsp, reason } => {
                    // Dropping the reply senders tells the waiters the socket disconnected.
                    self.acks.retain(|(n, _), _| *n != nsp);
                    if let Some(socket) = self.sockets.remove(&nsp) {
                        socket.dispatch_disconnect(reason);
                    }
                }
                Output::Close(_) => {
                    self.engine_tx.close();
                }
            }
        }
        !self.conn.is_closed()
    }

    fn on_connect_request(&mut self, nsp: Nsp, auth: Option<RawJson>, identity: Option<Identity>) {
        let Some(namespace) = self.io.namespace(nsp.as_str()) else {
            let _ = self.conn.reject(
                nsp.as_str(),
                ConnectError::new("Invalid namespace").to_json(),
            );
            return;
        };
        let auth = auth.unwrap_or_else(RawJson::empty_object);
        let ctx = ConnectContext::new(
            nsp.as_str().to_owned(),
            self.engine.handshake().clone(),
            auth,
            identity,
        );
        let checks = namespace.checks();
        let app_auth = match self.io.config.auth.for_namespace(nsp.as_str()) {
            AuthPolicy::App { .. } => Some(namespace.auth_check()),
            _ => None,
        };
        if checks.is_empty() && app_auth.is_none() {
            self.accept(nsp, ctx, None);
            return;
        }
        let commands = self.commands_tx.clone();
        tokio::spawn(async move {
            let result = run_checks(checks, app_auth, ctx.clone()).await;
            let _ = commands
                .send(ConnCommand::Checked { nsp, ctx, result })
                .await;
        });
    }
}

/// Runs the connect checks in order, then the application's authentication if the policy asks.
async fn run_checks(
    checks: Vec<ConnectCheck>,
    app_auth: Option<Option<AuthCheck>>,
    ctx: ConnectContext,
) -> Result<Option<AppClaims>, ConnectError> {
    for check in checks {
        check(ctx.clone()).await?;
    }
    match app_auth {
        None => Ok(None),
        Some(None) => Err(ConnectError::new("no authentication check is configured")),
        Some(Some(auth)) => match auth(ctx).await {
            Ok(claims) => Ok(Some(claims)),
            Err(e) => Err(ConnectError {
                message: e.message.clone(),
                data: serde_json::from_str(&e.data_json()).ok(),
            }),
        },
    }
}

/// The tokens the Engine.IO handshake request carried.
fn credentials(handshake: &Handshake, cookie_name: &str) -> HandshakeCredentials {
    let cookie_token = handshake.header("cookie").and_then(|cookies| {
        cookies.split(';').find_map(|c| {
            let (name, value) = c.trim().split_once('=')?;
            (name == cookie_name).then(|| engineio::proto::query::decode(value))
        })
    });
    HandshakeCredentials {
        authorization: handshake.header("authorization").map(str::to_owned),
        query_token: handshake.query_param("token"),
        cookie_token,
    }
}

fn disconnect_reason(reason: EngineClose) -> DisconnectReason {
    match reason {
        EngineClose::TransportClose => DisconnectReason::TransportClose,
        EngineClose::PingTimeout => DisconnectReason::PingTimeout,
        EngineClose::ParseError(_) => DisconnectReason::ParseError,
        EngineClose::ServerClose => DisconnectReason::ForcedClose,
        _ => DisconnectReason::TransportError,
    }
}

/// Most inputs taken in one burst before the outputs are carried out.
const MAX_BATCH: usize = 64;

/// Polls a future once, without waiting: its output if it is ready now.
fn now_or_never<F: std::future::Future>(future: F) -> Option<F::Output> {
    let mut future = std::pin::pin!(future);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match future.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(output) => Some(output),
        std::task::Poll::Pending => None,
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(tokio::time::Instant::from_std(d)).await,
        None => std::future::pending().await,
    }
}
