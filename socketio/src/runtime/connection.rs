//! The Socket.IO connection of one Engine.IO session, run inside the session's own task (one task
//! per connection): feeds the [`Connection`] core with the session's messages, the application's
//! commands and the time, and carries out what it outputs.

use super::error::AckError;
use super::namespace::{AuthCheck, ConnectCheck, ConnectContext, ConnectError};
use super::server::IoInner;
use super::socket::{AckSender, Socket};
use crate::proto::{
    AppClaims, AuthPolicy, Connection, Encoded, HandshakeCredentials, Identity, Input,
    Namespace as Nsp, Output, Payload, RawJson,
};
use bytes::Bytes;
use engineio::proto::{Data as EngineData, Event as EngineEvent, SendError, Text};
use engineio::runtime::{AppContext, AppMessage, Handshake, NewSession, SessionApp, SocketHandle};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// What sockets and checks ask of their connection (sent as an [`AppMessage`] through the
/// session's [`SocketHandle`], so it keeps its place among the socket's emits).
pub(crate) enum ConnCommand {
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

/// An encoded packet made ready for sessions once, however many receive it.
#[derive(Clone)]
pub(crate) struct Outgoing {
    text: Text,
    attachments: Vec<Bytes>,
}

impl Outgoing {
    pub(crate) fn new(packet: Encoded) -> Self {
        let (text, attachments) = packet.into_message();
        Self { text, attachments }
    }

    /// Sends the text and its attachments to one session, giving them away (no clone: a clone
    /// of a fresh `Bytes` allocates its shared header).
    pub(crate) fn send_once(self, engine: &SocketHandle) -> Result<(), SendError> {
        if self.attachments.is_empty() {
            return engine.send(EngineData::Text(self.text));
        }
        let mut all = Vec::with_capacity(1 + self.attachments.len());
        all.push(EngineData::Text(self.text));
        all.extend(self.attachments.into_iter().map(EngineData::Binary));
        engine.send_all(all)
    }

    /// Sends the text and its attachments together to one of many sessions (shared buffers:
    /// the clone copies no bytes).
    pub(crate) fn send_to(&self, engine: &SocketHandle) -> Result<(), SendError> {
        self.clone().send_once(engine)
    }
}

pub(crate) struct ConnectionApp {
    io: Arc<IoInner>,
    engine: SocketHandle,
    handshake: Arc<Handshake>,
    conn: Connection,
    /// The joined namespaces' sockets (one or two: a `Vec` is smaller and faster than a table).
    sockets: Vec<(Nsp, Socket)>,
    /// Accepted joins whose socket is not made yet (the event mode waits for the token).
    /// (A `Vec`: one or two at a time, and no table kept once they are joined.)
    pending: Vec<(Nsp, ConnectContext)>,
    acks: HashMap<(Nsp, u64), oneshot::Sender<Result<Payload, AckError>>>,
    /// A namespace was joined in this call: give back what the connect burst grew.
    settled: bool,
}

impl ConnectionApp {
    pub(crate) fn new(io: Arc<IoInner>, session: NewSession) -> Self {
        let handshake = &session.handshake;
        let credentials = HandshakeCredentials::from_request(
            |name| handshake.header(name),
            &handshake.query,
            &io.config.token_cookie,
        );
        // Read together with the session's `now`, so the core can turn a token's `exp` into an
        // exact instant.
        let unix_now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        let conn = Connection::with_auth(
            session.now,
            io.config.connection,
            io.config.auth.clone(),
            credentials,
            unix_now,
        );
        Self {
            engine: session.handle,
            handshake: session.handshake,
            conn,
            io,
            sockets: Vec::new(),
            pending: Vec::new(),
            acks: HashMap::new(),
            settled: false,
        }
    }

    fn on_command(&mut self, now: Instant, command: ConnCommand) {
        match command {
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

    fn on_app_message(&mut self, now: Instant, message: AppMessage) {
        if let Ok(command) = message.downcast::<ConnCommand>() {
            self.on_command(now, *command);
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
            self.remove_pending(&nsp);
            self.pending.push((nsp, ctx));
        } else {
            let _ = self
                .conn
                .reject(nsp.as_str(), ConnectError::new("Not authorized").to_json());
        }
    }

    /// A namespace is joined: make the application's socket and hand it to the connection handler.
    fn on_connected(&mut self, cx: &mut AppContext<'_>, nsp: Nsp, sid: String, identity: Identity) {
        let (Some(namespace), Some(ctx)) =
            (self.io.namespace(nsp.as_str()), self.remove_pending(&nsp))
        else {
            return;
        };
        let socket = Socket::new(
            Arc::from(sid),
            namespace.clone(),
            self.engine.clone(),
            ctx.handshake.clone(),
            ctx.auth.clone(),
            identity.clone(),
            ctx.take_data(),
        );
        namespace.adapter().add(socket.clone());
        if let (Some(prefix), Some(sub)) = (namespace.user_room_prefix(), identity.subject()) {
            socket.join(&format!("{prefix}{sub}"));
        }
        self.remove_socket(&nsp);
        self.sockets.push((nsp, socket.clone()));
        self.settled = true;
        // The CONNECT reply went to the session before this output; what the handler emits is
        // queued behind it.
        if let Some(handler) = namespace.connection_handler() {
            handler(socket);
            self.run_queued(cx);
        }
    }

    /// Carries out what a handler just asked for (its emits, its ack, its disconnect), so that it
    /// goes out in the order the handler ran, before the next input is looked at — as in the
    /// Node server.
    fn run_queued(&mut self, cx: &mut AppContext<'_>) {
        while let Some(message) = cx.next_message() {
            self.on_app_message(cx.now(), message);
        }
    }

    fn socket(&self, nsp: &Nsp) -> Option<&Socket> {
        self.sockets.iter().find(|(n, _)| n == nsp).map(|(_, s)| s)
    }

    fn remove_socket(&mut self, nsp: &Nsp) -> Option<Socket> {
        let index = self.sockets.iter().position(|(n, _)| n == nsp)?;
        Some(self.sockets.swap_remove(index).1)
    }

    fn remove_pending(&mut self, nsp: &Nsp) -> Option<ConnectContext> {
        let index = self.pending.iter().position(|(n, _)| n == nsp)?;
        let (_, ctx) = self.pending.swap_remove(index);
        if self.pending.is_empty() {
            self.pending = Vec::new();
        }
        Some(ctx)
    }

    /// Carries out every pending output; once a namespace is joined, gives back the memory the
    /// connect burst grew (an idle connection keeps only what it needs).
    fn drain(&mut self, cx: &mut AppContext<'_>) {
        self.drain_outputs(cx);
        if std::mem::take(&mut self.settled) {
            self.conn.release_memory();
            if self.acks.is_empty() {
                self.acks = HashMap::new();
            }
            cx.release_memory();
        }
    }

    fn drain_outputs(&mut self, cx: &mut AppContext<'_>) {
        while let Some(output) = self.conn.poll_output() {
            match output {
                Output::Transmit(packet) => {
                    let (text, attachments) = packet.into_message();
                    if cx.send(EngineData::Text(text)).is_err() {
                        continue;
                    }
                    for bytes in attachments {
                        let _ = cx.send(EngineData::Binary(bytes));
                    }
                }
                Output::ConnectRequest {
                    nsp,
                    auth,
                    identity,
                } => self.on_connect_request(nsp, auth, identity),
                Output::Connected { nsp, sid, identity } => {
                    self.on_connected(cx, nsp, sid, identity)
                }
                Output::Reauthenticated { nsp, identity } => {
                    if let Some(socket) = self.socket(&nsp) {
                        socket.set_identity(identity);
                    }
                }
                Output::AuthFailed { nsp, .. } => {
                    self.remove_pending(&nsp);
                }
                Output::Event(event) => {
                    let Some(socket) = self.socket(&event.nsp).cloned() else {
                        continue;
                    };
                    let ack = event
                        .ack_id
                        .map(|id| AckSender::new(self.engine.clone(), event.nsp.clone(), id));
                    socket.dispatch(&event.name, event.args, ack);
                    self.run_queued(cx);
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
                    if let Some(socket) = self.remove_socket(&nsp) {
                        socket.dispatch_disconnect(reason);
                    }
                }
                Output::Close(_) => cx.close(),
            }
        }
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
            self.handshake.clone(),
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
        let engine = self.engine.clone();
        tokio::spawn(async move {
            let result = run_checks(checks, app_auth, ctx.clone()).await;
            let checked = ConnCommand::Checked { nsp, ctx, result };
            let _ = engine.send_app_wait(Box::new(checked)).await;
        });
    }
}

impl SessionApp for ConnectionApp {
    fn on_event(&mut self, event: EngineEvent, cx: &mut AppContext<'_>) {
        let now = cx.now();
        match event {
            EngineEvent::Message(EngineData::Text(text)) => {
                self.conn.handle(now, Input::Text(text.as_str()))
            }
            EngineEvent::Message(EngineData::Binary(bytes)) => {
                self.conn.handle(now, Input::Binary(bytes))
            }
            EngineEvent::Upgraded => {}
            EngineEvent::Closed(reason) => {
                self.conn.handle(now, Input::TransportClosed(reason.into()))
            }
        }
        self.drain(cx);
        if self.conn.is_closed() {
            // Dropping the reply senders tells the waiters the socket disconnected.
            self.acks.clear();
        }
    }

    fn on_message(&mut self, message: AppMessage, cx: &mut AppContext<'_>) {
        self.on_app_message(cx.now(), message);
        self.drain(cx);
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.conn.poll_timeout()
    }

    fn on_timeout(&mut self, cx: &mut AppContext<'_>) {
        self.conn.handle_timeout(cx.now());
        self.drain(cx);
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
