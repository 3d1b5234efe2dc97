//! The tokio runtime of Socket.IO: the server, namespaces, sockets, rooms, broadcasts and acks,
//! one task per connection: the [`crate::proto::Connection`] core runs inside the Engine.IO
//! session's own task (an [`engineio::runtime::SessionApp`]).

// Layers, each importing only those before it (`scripts/import_cycles.py` keeps it so):
//   room, args, error, connect, jwks_file, lane | cluster, command | adapter, recovery | namespace + socket |
//   broadcast | node | observer | io | connection | server
// namespace.rs and socket.rs import each other, and stay so: a Namespace owns the Adapter of its
// Sockets and each Socket holds its Arc<Namespace>, and both public APIs name the other
// (`Namespace::on_connection` hands a `Socket`, `Socket::namespace` gives the `Namespace`).
// The adapter is kept below the pair by its `Member` trait (implemented by `Socket`).

mod adapter;
mod args;
mod broadcast;
mod cluster;
mod command;
mod connect;
mod connection;
mod error;
pub(crate) mod io;
mod jwks_file;
mod lane;
mod name_hash;
mod namespace;
mod node;
mod observer;
mod recovery;
mod room;
mod server;
mod socket;

// What the Admin UI instrumentation (feature `admin`) builds on.
#[cfg_attr(not(feature = "admin"), allow(unused_imports))]
pub(crate) use adapter::RoomChange;
pub use args::IntoPayload;
pub use broadcast::{BroadcastOperator, BroadcastReport, FetchedSocket, RemoteSocket};
pub use cluster::{
    Cluster, ClusterBroadcast, ClusterError, ClusterFuture, ClusterOp, ClusterSession, LocalNode,
    RemoteAcks, ServerAck, ServerSideHandler, SocketInfo,
};
pub use connect::{AuthCheck, AuthFuture, CheckFuture, ConnectCheck, ConnectContext, ConnectError};
pub use error::{AckError, EmitError};
pub use io::{NamespacePredicate, NamespaceSetup, SocketIoConfig};
pub use jwks_file::JwksFile;
pub use namespace::{ConnectionHandler, Namespace};
#[cfg_attr(not(feature = "admin"), allow(unused_imports))]
pub(crate) use observer::Observer;
pub use room::{Room, Selector};
pub use server::SocketIo;
pub use socket::{AckSender, AnyHandler, DisconnectHandler, EventHandler, Socket};
