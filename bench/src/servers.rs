//! The compared servers: how each is started (a fresh process per run, pinned to one core with
//! `taskset`, on a free port) and stopped.

use crate::workload::Target;
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};

/// A compared server.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// Our server (`bench-server`).
    Ours,
    /// Our server mounted in an axum `Router` (`bench-server` with `BENCH_FRONT=axum`).
    OursAxum,
    /// Node `socket.io` 4.8 (`bench/node/server.js`).
    Node,
    /// `socketioxide` on hyper (`bench/socketioxide`).
    Socketioxide,
    /// A raw tungstenite WebSocket echo (`raw-ws-echo`), for the echo workloads only.
    RawWs,
}

impl Kind {
    /// Every kind, in table order.
    pub const ALL: [Kind; 5] = [
        Kind::Ours,
        Kind::OursAxum,
        Kind::Node,
        Kind::Socketioxide,
        Kind::RawWs,
    ];

    /// The short name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Ours => "ours",
            Kind::OursAxum => "ours-axum",
            Kind::Node => "node",
            Kind::Socketioxide => "socketioxide",
            Kind::RawWs => "raw",
        }
    }

    /// The kind named `name`.
    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The column title.
    pub fn title(self) -> &'static str {
        match self {
            Kind::Ours => "ours",
            Kind::OursAxum => "ours in axum",
            Kind::Node => "Node socket.io",
            Kind::Socketioxide => "socketioxide",
            Kind::RawWs => "raw tungstenite",
        }
    }
}

/// Where the servers are.
#[derive(Clone, Debug)]
pub struct Binaries {
    /// `bench-server`.
    pub ours: PathBuf,
    /// `raw-ws-echo`.
    pub raw: PathBuf,
    /// The folder of `server.js` (with its `node_modules`).
    pub node_dir: PathBuf,
    /// The socketioxide bench server.
    pub socketioxide: PathBuf,
    /// The CPU list the servers are pinned to (`taskset -c`).
    pub cpus: String,
}

/// A running server; killed when dropped.
#[derive(Debug)]
pub struct Spawned {
    child: Child,
    /// Where it listens and its process id.
    pub target: Target,
}

impl Spawned {
    /// Kills it and waits for it to exit.
    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

/// Starts a fresh `kind` server on a free port (with `BENCH_JWT_SECRET` when `jwt_secret` is set,
/// `BENCH_PARSER=msgpack` for the MessagePack wire) and waits until it accepts connections.
pub async fn spawn(
    kind: Kind,
    bins: &Binaries,
    jwt_secret: Option<&str>,
    wire: crate::sio::Wire,
) -> io::Result<Spawned> {
    let port = free_port()?;
    let mut command = Command::new("taskset");
    command.arg("-c").arg(&bins.cpus);
    match kind {
        Kind::Ours => command.arg(&bins.ours).env("BENCH_FRONT", "builtin"),
        Kind::OursAxum => command.arg(&bins.ours).env("BENCH_FRONT", "axum"),
        Kind::RawWs => command.arg(&bins.raw),
        Kind::Socketioxide => command.arg(&bins.socketioxide),
        Kind::Node => command
            .arg("node")
            .arg(bins.node_dir.join("server.js"))
            .current_dir(&bins.node_dir),
    };
    let parser = match wire {
        crate::sio::Wire::Json => "json",
        crate::sio::Wire::MsgPack => "msgpack",
    };
    command
        .env("PORT", port.to_string())
        .env("BENCH_PARSER", parser)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .kill_on_drop(true);
    match jwt_secret {
        Some(secret) => command.env("BENCH_JWT_SECRET", secret),
        None => command.env_remove("BENCH_JWT_SECRET"),
    };
    let mut child = command.spawn()?;
    let pid = child
        .id()
        .ok_or_else(|| io::Error::other("server exited at once"))?;
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            break;
        }
        if let Some(status) = child.try_wait()? {
            return Err(io::Error::other(format!(
                "{} exited: {status}",
                kind.name()
            )));
        }
        if Instant::now() > deadline {
            return Err(io::Error::other(format!(
                "{} did not listen in time",
                kind.name()
            )));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(Spawned {
        child,
        target: Target { addr, pid },
    })
}

fn free_port() -> io::Result<u16> {
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0))?;
    Ok(listener.local_addr()?.port())
}
