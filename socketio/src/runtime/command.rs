//! What sockets, broadcasts and connect checks ask of their connection: typed messages sent
//! through the Engine.IO session's [`SocketHandle`], so that they keep their order, and carried
//! out by the connection's [`Connection`](crate::proto::Connection) core in the session's task.
//! A packet is encoded on the sender's side (once for every receiver of a broadcast), an
//! acknowledgement by the connection (into its buffer of short texts), and goes to the wire only
//! through the core.

use super::connect::{ConnectContext, ConnectError};
use super::error::{AckError, EmitError};
use super::lane::{self, Lane};
use crate::proto::{AppClaims, Encoded, Namespace, Payload};
use engineio::proto::{budget, SendError};
use engineio::runtime::SocketHandle;
use std::time::Duration;
use tokio::sync::oneshot;

/// Where the answer to an emit with acknowledgement goes; the core keeps it with the pending
/// acknowledgement and drops it if the namespace is left first (the waiter then sees
/// [`AckError::Disconnected`]).
pub(crate) type AckReply = oneshot::Sender<Result<Payload, AckError>>;

/// A handle to a connection's session, for its typed commands.
pub(crate) type ConnHandle = SocketHandle<ConnCommand>;

thread_local! {
    /// The lane of this thread for a connection's own commands (see [`super::lane`]).
    pub(crate) static OWN_LANE: Lane<ConnCommand> = const { Lane::new() };
}

/// A command for a connection.
pub(crate) enum ConnCommand {
    /// Send a packet encoded by the sender (an emit, an acknowledgement, one receiver's share of
    /// a broadcast) on a namespace.
    Send { nsp: Namespace, packet: Encoded },
    /// Acknowledge the client's event `id` with `args` (no attachments, socket.io-parser): encoded
    /// by the connection, into its buffer of short texts, where the answer to one event after
    /// another is written into the same memory (`ConnectionApp::on_command`).
    Ack {
        nsp: Namespace,
        id: u64,
        args: Payload,
    },
    /// Emit asking for an acknowledgement (encoded by the core, which allocates its id).
    EmitWithAck(Box<EmitWithAck>),
    /// Leave one namespace.
    Disconnect { nsp: Namespace },
    /// Leave every namespace and close the connection.
    DisconnectAll,
    /// The connect checks of a namespace finished (with the application's claims under
    /// [`crate::proto::AuthPolicy::App`]).
    Checked(Box<Checked>),
    /// Another node of the cluster answered whether it kept the session a CONNECT asks to
    /// restore (connection state recovery across nodes).
    ClusterRestored(Box<ClusterRestored>),
}

// The rare commands are boxed: a command is moved through the session's queue, and the common
// one (`Send`) stays small enough to move without a `memcpy` call.

/// An emit asking for an acknowledgement.
pub(crate) struct EmitWithAck {
    pub(crate) nsp: Namespace,
    pub(crate) name: String,
    pub(crate) args: Payload,
    pub(crate) timeout: Duration,
    pub(crate) reply: AckReply,
}

/// A session another node kept, or none, for a CONNECT that asked to restore it.
pub(crate) struct ClusterRestored {
    pub(crate) nsp: Namespace,
    pub(crate) session: Option<super::cluster::ClusterSession>,
    pub(crate) auth: Option<crate::proto::RawJson>,
}

/// The outcome of a namespace's connect checks.
pub(crate) struct Checked {
    pub(crate) nsp: Namespace,
    pub(crate) ctx: ConnectContext,
    pub(crate) result: Result<Option<AppClaims>, ConnectError>,
}

/// Emits asking for an acknowledgement, through the connection (which encodes it with the id it
/// allocates). Admitted under the client's send budget by the size of the name and arguments.
pub(crate) fn send_emit_with_ack(
    engine: &ConnHandle,
    nsp: Namespace,
    name: &str,
    args: Payload,
    timeout: Duration,
    reply: AckReply,
) -> Result<(), EmitError> {
    let text = (args.args().iter()).fold(name.len() + nsp.as_str().len() + 16, |sum, a| {
        sum.saturating_add(a.as_str().len() + 1)
    });
    let bytes = budget::weight_of_group(text, args.attachments());
    let command = ConnCommand::EmitWithAck(Box::new(EmitWithAck {
        nsp,
        name: name.to_owned(),
        args,
        timeout,
        reply,
    }));
    submit(engine, command, bytes).map_err(|e| match e {
        SendError::Full => EmitError::Full,
        _ => EmitError::Disconnected,
    })
}

/// Sends a packet to a connection. It is admitted under the client's send budget by its size
/// (the text and each attachment, as the session counts them once queued): over it, the packet
/// is refused with [`EmitError::Full`] (or dropped without error when `volatile`).
pub(crate) fn send_packet(
    engine: &ConnHandle,
    nsp: Namespace,
    packet: Encoded,
    volatile: bool,
) -> Result<(), EmitError> {
    let (_, bytes) = packet.messages_and_weight();
    let sent = submit(engine, ConnCommand::Send { nsp, packet }, bytes);
    packet_sent(sent, volatile)
}

/// Sends an acknowledgement for the connection to encode (see [`ConnCommand::Ack`]), admitted
/// as [`send_packet`] admits a packet, by the size its text will have with an id of 20 digits (at
/// most 19 bytes over its size: its weight is only held while it waits for its connection).
pub(crate) fn send_ack(
    engine: &ConnHandle,
    nsp: Namespace,
    id: u64,
    args: Payload,
) -> Result<(), EmitError> {
    let bytes = budget::weight_of_group(crate::proto::ack_len_bound(&nsp, &args), &[]);
    let sent = submit(engine, ConnCommand::Ack { nsp, id, args }, bytes);
    packet_sent(sent, false)
}

/// [`send_packet`] of a broadcast's packet (cloned for this receiver) to a connection known not
/// to be the one whose lane is open on this thread ([`lane_owner`], read once for all the
/// receivers): through its queue, without a look at the lane.
pub(crate) fn send_shared_queued(
    engine: &ConnHandle,
    nsp: Namespace,
    shared: &Encoded,
    volatile: bool,
) -> Result<(), EmitError> {
    let (_, bytes) = shared.messages_and_weight();
    let command = ConnCommand::Send {
        nsp,
        packet: shared.clone(),
    };
    packet_sent(engine.send_app_weighted(command, bytes), volatile)
}

/// What a packet's send gives its sender.
fn packet_sent(sent: Result<(), SendError>, volatile: bool) -> Result<(), EmitError> {
    match sent {
        Ok(()) => Ok(()),
        Err(SendError::Full) if volatile => Ok(()),
        Err(SendError::Full) => Err(EmitError::Full),
        Err(_) => Err(EmitError::Disconnected),
    }
}

/// The session key of the connection whose lane is open on this thread, if one is.
pub(crate) fn lane_owner() -> Option<usize> {
    lane::owner(&OWN_LANE)
}

/// Queues `command`, which stands for `bytes` bytes towards the client, for a connection: in
/// the connection's own lane when one of its handlers sends it while the connection runs them
/// (see [`super::lane`]), else through its session's command queue. Refused with
/// [`SendError::Full`] over the client's send budget either way.
#[inline]
pub(crate) fn submit(
    engine: &ConnHandle,
    command: ConnCommand,
    bytes: usize,
) -> Result<(), SendError> {
    match lane::submit(&OWN_LANE, engine.session_key(), command, bytes) {
        Ok(admitted) => admitted,
        Err(command) => engine.send_app_weighted(command, bytes),
    }
}
