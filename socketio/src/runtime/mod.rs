//! The tokio runtime of Socket.IO: the server, namespaces, sockets, rooms, broadcasts and acks,
//! one task per connection: the [`crate::proto::Connection`] core runs inside the Engine.IO
//! session's own task (an [`engineio::runtime::SessionApp`]).

mod adapter;
mod args;
mod broadcast;
mod cluster;
mod command;
mod connect;
mod connection;
mod error;
mod io;
mod jwks_file;
mod namespace;
mod node;
mod room;
mod server;
mod socket;

pub use args::IntoPayload;
pub use broadcast::{BroadcastOperator, BroadcastReport, FetchedSocket, RemoteSocket};
pub use cluster::{
    Cluster, ClusterBroadcast, ClusterError, ClusterFuture, ClusterOp, LocalNode, RemoteAcks,
    ServerAck, ServerSideHandler, SocketInfo,
};
pub use connect::{AuthCheck, AuthFuture, CheckFuture, ConnectCheck, ConnectContext, ConnectError};
pub use error::{AckError, EmitError};
pub use io::{NamespacePredicate, NamespaceSetup, SocketIoConfig};
pub use jwks_file::JwksFile;
pub use namespace::{ConnectionHandler, Namespace};
pub use room::{Room, Selector};
pub use server::SocketIo;
pub use socket::{AckSender, AnyHandler, DisconnectHandler, EventHandler, Socket};
