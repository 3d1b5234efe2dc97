//! The Socket.IO connection of one Engine.IO session, run inside the session's own task (one task
//! per connection): feeds the [`Connection`] core with the session's messages, the application's
//! commands and the time, and carries out what it outputs.

use super::cluster::ClusterSession;
use super::command::{
    AckReply, Checked, ClusterRestored, ConnCommand, ConnHandle, EmitWithAck, OWN_LANE,
};
use super::connect::{AuthCheck, ConnectCheck, ConnectContext, ConnectError, DataMap};
use super::error::emit_error;
use super::error::AckError;
use super::io::IoInner;
use super::lane::OpenLane;
use super::observer::ConnectionProbe;
use super::recovery::Recovery;
use super::socket::{AckSender, HandlerCache, Origin, Socket};
use crate::proto::{
    self, AppClaims, AuthPolicy, Connection, Encoded, HandshakeCredentials, Identity, Input, Kept,
    KeptSession, Output, RawJson, Restored, Wire,
};
use engineio::proto::TextBuf;
use engineio::proto::{Data as EngineData, Event as EngineEvent};
use engineio::runtime::{AppContext, Handshake, NewSession, SessionApp};
use std::sync::Arc;
use std::time::Instant;

/// What the connection's calls get to reach their session.
type Cx<'a, 'b> = &'a mut AppContext<'b, ConnCommand>;

pub(crate) struct ConnectionApp {
    io: Arc<IoInner>,
    engine: ConnHandle,
    handshake: Arc<Handshake>,
    /// The core; it keeps each acknowledgement's reply with the acknowledgement.
    conn: Connection<AckReply>,
    /// The joined namespaces' sockets (one or two: a `Vec` is smaller and faster than a table).
    /// Each with the connection's copy of its handlers.
    sockets: Vec<(proto::Namespace, Socket, HandlerCache)>,
    /// Accepted joins whose socket is not made yet (the event mode waits for the token).
    /// (A `Vec`: one or two at a time, and no table kept once they are joined.)
    pending: Vec<(proto::Namespace, ConnectContext)>,
    /// Kept sessions found for CONNECTs that ask to restore them, until the core decides
    /// (connection state recovery; empty otherwise).
    resuming: Vec<(proto::Namespace, Restored<DataMap>)>,
    /// A namespace was joined in this call: give back what the connect burst grew.
    settled: bool,
    /// The server's observer (the Admin UI), if it has one: checked once per event, not shared.
    probe: Option<ConnectionProbe>,
    /// Where this connection's acknowledgements are written, one after another in the same
    /// memory once the earlier ones went out (see [`TextBuf`]). Only this connection's texts:
    /// they go to one queue in order, so what it holds is bounded by what the session holds.
    texts: TextBuf,
}

impl ConnectionApp {
    pub(crate) fn new(io: Arc<IoInner>, session: NewSession<ConnCommand>) -> Self {
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
        let mut conn = Connection::with_auth(
            session.now,
            io.config.connection,
            io.config.auth.clone(),
            credentials,
            unix_now,
        );
        if io.config.connection.recovery.is_some() {
            conn = conn.with_private_id(&io.sids.next_sid());
        }
        // Engine.IO v3 clients (socket.io-client 2.x) speak Socket.IO revision 4.
        if handshake.is_eio3() {
            let engine_sid = session.handle.sid().into();
            conn = conn.with_protocol(proto::Protocol::V4 { engine_sid });
        }
        let probe = ConnectionProbe::open(io.observer.get(), &session.handshake);
        Self {
            probe,
            engine: session.handle,
            handshake: session.handshake,
            conn,
            io,
            sockets: Vec::new(),
            pending: Vec::new(),
            resuming: Vec::new(),
            settled: false,
            texts: TextBuf::new(),
        }
    }

    fn on_command(&mut self, cx: Cx, command: ConnCommand) {
        let now = cx.now();
        match command {
            // Refused when the namespace was left meanwhile: dropped, as Node drops a packet for
            // a socket that is gone.
            ConnCommand::Send { nsp, packet } => {
                if let Ok(Some(packet)) = self.conn.send_now(nsp.as_str(), packet) {
                    self.transmit(cx, packet);
                }
            }
            ConnCommand::Ack { nsp, id, args } => {
                // Nothing queued before it in the core: written in place, into the socket's
                // output if the session takes it there (no `Text` made), else split off the
                // buffer and sent as usual. (The general road, `encode_ack_in` then `transmit`,
                // which also writes a lone text in place, costs 138 instructions more per
                // acknowledgement: the core's send, the split's shared count, the output.)
                let first = matches!(self.conn.may_transmit_text_now(nsp.as_str()), Ok(true));
                if first && proto::write_ack_in(&nsp, id, &args, &mut self.texts) {
                    if let Some(probe) = &self.probe {
                        probe.on_transmit_text(self.texts.len());
                    }
                    let _ = cx.send_text_buf(&mut self.texts);
                    return;
                }
                // Where `write_ack_in` was tried, the buffer refused the text (binary, or long).
                let packet = match first {
                    true => proto::encode_ack(&nsp, id, &args),
                    false => proto::encode_ack_in(&nsp, id, &args, &mut self.texts),
                };
                if let Ok(Some(packet)) = self.conn.send_now(nsp.as_str(), packet) {
                    self.transmit(cx, packet);
                }
            }
            ConnCommand::EmitWithAck(emit) => {
                let EmitWithAck {
                    nsp,
                    name,
                    args,
                    timeout,
                    reply,
                } = *emit;
                let timeout = Some(timeout);
                let sent =
                    (self.conn).emit_with_ack(now, nsp.as_str(), &name, &args, timeout, reply);
                if let Err((e, reply)) = sent {
                    let _ = reply.send(Err(AckError::Emit(emit_error(e))));
                }
            }
            ConnCommand::Disconnect { nsp } => {
                let _ = self.conn.disconnect(nsp.as_str());
            }
            ConnCommand::DisconnectAll => {
                let _ = self.conn.disconnect_all();
            }
            ConnCommand::ClusterRestored(restored) => {
                let ClusterRestored { nsp, session, auth } = *restored;
                let restored = session.map(|s| from_cluster(&nsp, s));
                self.resume(cx, nsp, restored, auth);
            }
            ConnCommand::Checked(checked) => {
                let Checked { nsp, ctx, result } = *checked;
                match result {
                    Ok(claims) => self.accept(nsp, ctx, claims),
                    Err(e) => {
                        self.remove_resuming(&nsp);
                        let _ = self.conn.reject(nsp.as_str(), e.to_json());
                    }
                }
            }
        }
    }

    /// Accepts a join the checks let through; the socket is made on [`Output::Connected`].
    fn accept(&mut self, nsp: proto::Namespace, ctx: ConnectContext, claims: Option<AppClaims>) {
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
    /// A restored one gets its data and rooms back and, before anything else, what it missed.
    fn on_connected(
        &mut self,
        cx: Cx,
        nsp: proto::Namespace,
        sid: String,
        identity: Identity,
        recovered: bool,
    ) {
        let restored = self.remove_resuming(&nsp).filter(|_| recovered);
        let (Some(namespace), Some(ctx)) =
            (self.io.namespace(nsp.as_str()), self.remove_pending(&nsp))
        else {
            return;
        };
        let recovery = (self.io.config.connection.recovery)
            .map(|c| namespace.recovery_or_init(c, || self.io.sids.next_sid()));
        let mut data = ctx.take_data();
        let mut origin = Origin::default();
        if let Some(restored) = &restored {
            // What the connect checks stored (`skip_middlewares` off) wins over the kept data.
            let mut kept = restored.session.data.clone();
            kept.extend(data);
            data = kept;
            origin = Origin {
                recovered: true,
                since: restored.session.since,
            };
        }
        let make = |origin| {
            let (namespace, engine) = (namespace.clone(), self.engine.clone());
            Socket::new(
                Arc::from(sid),
                namespace,
                engine,
                &ctx,
                identity.clone(),
                data,
                origin,
            )
        };
        let socket = match (recovery, restored) {
            (Some(recovery), Some(restored)) => {
                let socket = make(origin);
                // Under the store's lock: a packet recorded since the lookup is either collected
                // here or sent live once the socket is back in its rooms.
                let late = recovery.with_store(|store| {
                    namespace.adapter().add(socket.clone());
                    for room in &restored.session.rooms {
                        socket.join(room);
                    }
                    store.missed_since(restored.upto, &socket.rooms())
                });
                let Some(late) = late else {
                    // A packet it missed is gone while the connect checks ran: rather than a
                    // recovered socket with a hole, the connection closes (the client comes back
                    // and, its offset too old now, gets a fresh socket).
                    namespace.adapter().remove(socket.id());
                    cx.close();
                    return;
                };
                for packet in restored.missed.into_iter().chain(late) {
                    let _ = self.conn.send(nsp.as_str(), packet);
                }
                socket
            }
            (Some(recovery), None) => recovery.with_store(|store| {
                let socket = make(Origin {
                    recovered: false,
                    since: store.last_offset(),
                });
                namespace.adapter().add(socket.clone());
                socket
            }),
            (None, _) => {
                let socket = make(origin);
                namespace.adapter().add(socket.clone());
                socket
            }
        };
        if let (Some(prefix), Some(sub)) = (namespace.user_room_prefix(), identity.subject()) {
            socket.join(&format!("{prefix}{sub}"));
        }
        self.remove_socket(&nsp);
        // Room for just this one: most connections join one namespace and keep it.
        self.sockets.reserve_exact(1);
        self.sockets
            .push((nsp, socket.clone(), HandlerCache::default()));
        self.settled = true;
        if let Some(probe) = &self.probe {
            probe.socket_connected(&socket);
        }
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
    fn run_queued(&mut self, cx: Cx) {
        while let Some(command) = cx.next_message() {
            self.on_command(cx, command);
        }
    }

    /// Where the socket of `nsp` is in `sockets`.
    fn index_of(&self, nsp: &proto::Namespace) -> Option<usize> {
        self.sockets.iter().position(|(n, ..)| n == nsp)
    }

    fn socket(&self, nsp: &proto::Namespace) -> Option<&Socket> {
        self.index_of(nsp).map(|index| &self.sockets[index].1)
    }

    fn remove_socket(&mut self, nsp: &proto::Namespace) -> Option<Socket> {
        let index = self.index_of(nsp)?;
        Some(self.sockets.swap_remove(index).1)
    }

    fn remove_resuming(&mut self, nsp: &proto::Namespace) -> Option<Restored<DataMap>> {
        let index = self.resuming.iter().position(|(n, _)| n == nsp)?;
        let (_, restored) = self.resuming.swap_remove(index);
        if self.resuming.is_empty() {
            self.resuming = Vec::new();
        }
        Some(restored)
    }

    /// Looks up the session a CONNECT asks to restore, and gives the core its answer: at once
    /// when this node keeps it (or there is no cluster to ask), else once the cluster answered.
    fn on_resume_request(
        &mut self,
        cx: Cx,
        nsp: proto::Namespace,
        pid: &str,
        offset: &str,
        auth: Option<RawJson>,
    ) {
        let namespace = self.io.namespace(nsp.as_str());
        let local = (namespace.as_ref())
            .and_then(|ns| ns.recovery().cloned())
            .and_then(|recovery| recovery.restore(pid, offset));
        let cluster = (namespace.as_ref()).and_then(|ns| ns.adapter().cluster().get().cloned());
        if let (None, Some(cluster)) = (&local, cluster) {
            let timeout = self.io.config.connection.connect_timeout;
            let asked = cluster.restore_session(nsp.as_str(), pid, offset, timeout);
            let engine = self.engine.clone();
            tokio::spawn(async move {
                let session = tokio::time::timeout(timeout, asked).await.ok().flatten();
                let answer = ClusterRestored { nsp, session, auth };
                let _ =
                    (engine.send_app_wait(ConnCommand::ClusterRestored(Box::new(answer)))).await;
            });
            return;
        }
        self.resume(cx, nsp, local, auth);
    }

    /// Gives the core the session found for a CONNECT that asks to restore one (if what it
    /// missed fits the send budget). A restored socket (`skip_middlewares`) gets the context a
    /// connect check would have seen.
    fn resume(
        &mut self,
        cx: Cx,
        nsp: proto::Namespace,
        restored: Option<Restored<DataMap>>,
        auth: Option<RawJson>,
    ) {
        let restored = restored.filter(|restored| replay_fits(&cx, &restored.missed));
        let kept = restored.as_ref().map(|r| r.session.kept.clone());
        self.remove_resuming(&nsp);
        if let Some(restored) = restored {
            let auth = auth.unwrap_or_else(RawJson::empty_object);
            let handshake = self.handshake.clone();
            let mut ctx = ConnectContext::new(nsp.as_str().to_owned(), handshake, auth, None);
            ctx.recovered = true;
            self.remove_pending(&nsp);
            self.pending.push((nsp.clone(), ctx));
            self.resuming.push((nsp.clone(), restored));
        }
        let _ = self.conn.resume(cx.now(), nsp.as_str(), kept);
    }

    /// The session of a socket whose transport dropped, as it is now (its rooms and data with
    /// what the core keeps), to be stored once the socket is gone: see [`Self::drain_outputs`].
    fn session_kept(&self, kept: Kept) -> Option<(Arc<Recovery>, KeptSession<DataMap>)> {
        let socket = self.socket(&kept.nsp)?;
        let recovery = socket.namespace().recovery().cloned()?;
        let session = KeptSession {
            rooms: socket.rooms(),
            data: socket.data_map(),
            since: socket.origin().since,
            kept,
        };
        Some((recovery, session))
    }

    fn remove_pending(&mut self, nsp: &proto::Namespace) -> Option<ConnectContext> {
        let index = self.pending.iter().position(|(n, _)| n == nsp)?;
        let (_, ctx) = self.pending.swap_remove(index);
        if self.pending.is_empty() {
            self.pending = Vec::new();
        }
        Some(ctx)
    }

    /// Carries out every pending output; once a namespace is joined, gives back the memory the
    /// connect burst grew (an idle connection keeps only what it needs).
    fn drain(&mut self, cx: Cx) {
        self.drain_outputs(cx);
        if std::mem::take(&mut self.settled) {
            self.conn.release_memory();
            cx.release_memory();
        }
    }

    fn drain_outputs(&mut self, cx: Cx) {
        // A kept session is stored only after its socket's disconnect handlers ran and it left
        // the adapter: a returning client's new connection (another task) can then never find
        // it while the old socket is still there to be removed after the new one came back.
        let mut kept: Option<Vec<_>> = None;
        while let Some(output) = self.conn.poll_output() {
            match output {
                Output::Transmit(packet) => self.transmit(cx, packet),
                Output::ConnectRequest {
                    nsp,
                    auth,
                    identity,
                    recovered,
                } => self.on_connect_request(nsp, auth, identity, recovered),
                Output::ResumeRequest {
                    nsp,
                    pid,
                    offset,
                    auth,
                } => self.on_resume_request(cx, nsp, &pid, &offset, auth),
                Output::Connected {
                    nsp,
                    sid,
                    identity,
                    recovered,
                } => self.on_connected(cx, nsp, sid, identity, recovered),
                Output::SessionKept(session) => {
                    let session = self.session_kept(session);
                    kept.get_or_insert_with(Vec::new).extend(session)
                }
                Output::Reauthenticated { nsp, identity } => {
                    if let Some(socket) = self.socket(&nsp) {
                        socket.set_identity(identity);
                        if let Some(probe) = &self.probe {
                            probe.identity_changed(socket);
                        }
                    }
                }
                Output::AuthFailed { nsp, .. } => {
                    self.remove_pending(&nsp);
                    self.remove_resuming(&nsp);
                }
                Output::Event(event) => self.on_event(cx, event),
                Output::AckReceived { args, waiter, .. } => {
                    let _ = waiter.send(Ok(args));
                }
                Output::AckTimedOut { waiter, .. } => {
                    let _ = waiter.send(Err(AckError::Timeout));
                }
                // The core dropped the namespace's pending replies: their waiters see
                // `AckError::Disconnected`.
                Output::Disconnected { nsp, reason } => {
                    if let Some(socket) = self.remove_socket(&nsp) {
                        socket.dispatch_disconnect(reason);
                    }
                    if let Some(kept) = &mut kept {
                        if let Some(i) = kept.iter().position(|(_, k)| k.kept.nsp == nsp) {
                            store_session(kept.swap_remove(i));
                        }
                    }
                }
                Output::Close(_) => cx.close(),
            }
        }
        // Most drains keep nothing: no list was made, none is dropped.
        if let Some(kept) = kept {
            kept.into_iter().for_each(store_session);
        }
    }

    /// Runs an event's handlers, then what they sent to this connection.
    fn on_event(&mut self, cx: Cx, event: proto::Event) {
        // Borrowed: the handlers cannot reach this connection (they run in its task, through
        // their socket).
        let parser = self.conn.parser();
        let Some(index) = self.index_of(&event.nsp) else {
            return;
        };
        let (_, socket, handlers) = &mut self.sockets[index];
        let ack = (event.ack_id).map(|id| AckSender::new(socket.clone(), parser, id));
        // What the handlers send to this connection takes its own lane.
        let lane = OpenLane::open(&OWN_LANE, self.engine.session_key(), cx.send_budget());
        socket.dispatch(handlers, &event.name, event.args, ack);
        let own = lane.map(OpenLane::close);
        self.conn.recycle_name(event.name);
        // What the queue held first: the lane's commands are the latest this task sent (earlier
        // ones, sent outside the lane, are in the queue).
        self.run_queued(cx);
        if let Some(mut own) = own {
            if own.refused() {
                cx.note_refused();
            }
            while let Some(command) = own.next_command() {
                self.on_command(cx, command);
            }
        }
    }

    /// Sends a packet the core let out to the session: the text and its attachments go together
    /// or not at all. Refused, the client is over its send budget: its session closes it after
    /// the grace.
    fn transmit(&self, cx: Cx, packet: Encoded) {
        if let Some(probe) = &self.probe {
            probe.on_transmit(&packet);
        }
        let _ = match packet.into_wire() {
            Wire::Text { text, attachments } => cx.send_with_attachments(text, attachments),
            Wire::Binary(message) => cx.send(EngineData::Binary(message)),
        };
    }

    fn on_connect_request(
        &mut self,
        nsp: proto::Namespace,
        auth: Option<RawJson>,
        identity: Option<Identity>,
        recovered: bool,
    ) {
        let Some(namespace) = self.io.namespace(nsp.as_str()) else {
            let _ = self.conn.reject(
                nsp.as_str(),
                ConnectError::new("Invalid namespace").to_json(),
            );
            return;
        };
        let auth = auth.unwrap_or_else(RawJson::empty_object);
        let mut ctx = ConnectContext::new(
            nsp.as_str().to_owned(),
            self.handshake.clone(),
            auth,
            identity,
        );
        ctx.recovered = recovered;
        if !recovered {
            self.remove_resuming(&nsp);
        }
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
            let checked = ConnCommand::Checked(Box::new(Checked { nsp, ctx, result }));
            let _ = engine.send_app_wait(checked).await;
        });
    }
}

impl SessionApp for ConnectionApp {
    type Message = ConnCommand;

    fn on_event(&mut self, event: EngineEvent, cx: Cx) {
        // A text message (a polling one, or one not read in place) takes the road of one read in
        // place.
        if let EngineEvent::Message(EngineData::Text(text)) = &event {
            return self.on_text(text.as_str(), cx);
        }
        let now = cx.now();
        if let Some(probe) = &mut self.probe {
            probe.on_event(&event, self.sockets.iter().map(|(_, s, _)| s));
        }
        match event {
            // Taken by `on_text` above.
            EngineEvent::Message(EngineData::Text(_)) => {}
            EngineEvent::Message(EngineData::Binary(bytes)) => {
                if let Some(event) = self.conn.handle_now(now, Input::Binary(bytes)) {
                    self.on_event(cx, event);
                }
            }
            EngineEvent::Upgraded => {}
            EngineEvent::Closed(reason) => {
                self.conn.handle(now, Input::TransportClosed(reason.into()))
            }
        }
        self.drain(cx);
    }

    fn on_text(&mut self, text: &str, cx: Cx) {
        if let Some(probe) = &mut self.probe {
            probe.text_in(text.len());
        }
        if let Some(event) = self.conn.handle_now(cx.now(), Input::Text(text)) {
            self.on_event(cx, event);
        }
        self.drain(cx);
    }

    fn on_message(&mut self, command: ConnCommand, cx: Cx) {
        self.on_command(cx, command);
        self.drain(cx);
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.conn.poll_timeout()
    }

    fn on_timeout(&mut self, cx: Cx) {
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

/// Stores a kept session in its namespace's recovery store.
fn store_session((recovery, session): (Arc<Recovery>, KeptSession<DataMap>)) {
    recovery.with_store(|store| store.keep(Instant::now(), session));
}

/// Whether what a restored socket missed fits the connection's send budget now (as the session
/// counts it, in bytes and in messages): a replay that does not would lose its tail to the budget
/// and leave a recovered socket with a hole, so it is a fresh connection instead, as when the
/// store no longer has what the client missed.
fn replay_fits(cx: &Cx, missed: &[Encoded]) -> bool {
    let (mut weight, mut messages) = (0usize, 0usize);
    for packet in missed {
        let (count, packet_weight) = packet.messages_and_weight();
        weight = weight.saturating_add(packet_weight);
        messages = messages.saturating_add(count);
    }
    cx.has_room_for(messages, weight)
}

/// A session another node kept, as this node restores it. Its claims were verified there: they
/// come back as the application's (a token the client sends again is verified here as usual);
/// its data (typed values of that node's application) stays there.
fn from_cluster(nsp: &proto::Namespace, session: ClusterSession) -> Restored<DataMap> {
    let now_epoch = (std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH))
        .map_or(0, |d| d.as_secs());
    let expires_at = (session.expires_at)
        .map(|at| Instant::now() + std::time::Duration::from_secs(at.saturating_sub(now_epoch)));
    let identity = match session.claims {
        Some(claims) => Identity::App(Arc::new(AppClaims {
            claims,
            expires_at: session.expires_at,
        })),
        None => Identity::Anonymous,
    };
    let missed = (session.missed.into_iter())
        .map(|(text, attachments)| Encoded::from_wire(text, attachments))
        .collect();
    Restored {
        session: KeptSession {
            kept: Kept {
                nsp: nsp.clone(),
                sid: session.sid.into(),
                pid: session.pid.into(),
                identity,
                expires_at,
            },
            rooms: session.rooms,
            data: DataMap::default(),
            // Offsets are per node: what this node sends from now on is all new to it.
            since: 0,
        },
        missed,
        upto: u64::MAX,
    }
}
