//! The front door a server binary serves through (`--front builtin|axum`): our own HTTP/1.1
//! listener, or the endpoints' tower services in an axum `Router` on hyper, as an application
//! that mounts them would run it. Both serve the same endpoints with the same behaviour.

use crate::listen::Listen;
use axum::extract::ConnectInfo;
use axum::Router;
use engineio::runtime::{Engine, RunningServer, Server, ServerConfig, TlsConfig};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Which front door.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Front {
    /// `engineio::runtime::Server`.
    #[default]
    Builtin,
    /// An axum `Router` with each endpoint's `service()` mounted on its path, served by hyper.
    Axum,
}

impl Front {
    /// Takes `--front builtin|axum` (`Ok(false)`: another flag).
    pub fn parse_flag(&mut self, flag: &str, value: Option<&str>) -> io::Result<bool> {
        match (flag, value) {
            ("--front", Some("builtin")) => *self = Front::Builtin,
            ("--front", Some("axum")) => *self = Front::Axum,
            ("--front", v) => {
                return Err(crate::listen::bad(&format!(
                    "--front takes builtin or axum, not {v:?}"
                )))
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Its name, for the start line.
    pub fn name(self) -> &'static str {
        match self {
            Front::Builtin => "built-in server",
            Front::Axum => "axum",
        }
    }
}

/// The endpoints mounted in an axum `Router`: each on its path, with and without the trailing
/// slash, the client's address from axum's `ConnectInfo`.
pub fn router(engines: &[Engine]) -> Router {
    let mut router = Router::new();
    for engine in engines {
        let service = engine.service().remote_addr(|parts| {
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0)
        });
        let base = engine.config().base_path().to_owned();
        router = router
            .route_service(&format!("{base}/"), service.clone())
            .route_service(&base, service);
    }
    router
}

/// A server started through either front door.
#[derive(Debug)]
pub enum Running {
    /// The built-in server.
    Builtin(RunningServer),
    /// The axum one.
    Axum(AxumServer),
}

/// An axum `Router` served by hyper on a listener of its own.
#[derive(Debug)]
pub struct AxumServer {
    local_addr: SocketAddr,
    engines: Vec<Engine>,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
    grace: Duration,
}

impl Running {
    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        match self {
            Running::Builtin(server) => server.local_addr(),
            Running::Axum(server) => server.local_addr,
        }
    }

    /// Closes every session (queued messages and a close packet first), then stops listening.
    pub async fn shutdown(self) {
        match self {
            Running::Builtin(server) => server.shutdown().await,
            Running::Axum(server) => {
                for engine in &server.engines {
                    engine.close(server.grace).await;
                }
                let _ = server.stop.send(true);
                let _ = server.task.await;
            }
        }
    }

    /// Runs until the server stops.
    pub async fn wait(self) {
        match self {
            Running::Builtin(server) => server.wait().await,
            Running::Axum(server) => {
                let _ = server.task.await;
            }
        }
    }
}

/// Starts `engines` as `listen` says, with the HTTP limits of `http` (for axum: hyper's header
/// timeout and head size; the other limits are the endpoints' own, the same on both).
pub async fn start(
    listen: &Listen,
    engines: Vec<Engine>,
    http: ServerConfig,
) -> io::Result<Running> {
    match listen.front {
        Front::Builtin => {
            let mut server = engines
                .into_iter()
                .fold(Server::new(listen.addr()).config(http), Server::engine);
            if let Some((cert, key)) = &listen.tls {
                server = server.tls(TlsConfig::from_pem_files(cert, key)?);
            }
            Ok(Running::Builtin(server.start().await?))
        }
        Front::Axum if listen.tls.is_some() => Err(crate::listen::bad(
            "--tls-cert/--tls-key are for the built-in server: behind axum, TLS is the application's",
        )),
        Front::Axum => {
            let listener = TcpListener::bind(listen.addr()).await?;
            let local_addr = listener.local_addr()?;
            let router = router(&engines);
            let (stop, stopped) = watch::channel(false);
            let grace = http.shutdown_grace;
            let task = tokio::spawn(serve_axum(listener, router, http, stopped));
            Ok(Running::Axum(AxumServer {
                local_addr,
                engines,
                stop,
                task,
                grace,
            }))
        }
    }
}

/// Accepts connections and serves `router` on each with hyper (HTTP/1.1, upgrades allowed).
async fn serve_axum(
    listener: TcpListener,
    router: Router,
    http: ServerConfig,
    mut stop: watch::Receiver<bool>,
) {
    let mut make = router.into_make_service_with_connect_info::<SocketAddr>();
    loop {
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            },
            _ = stop.changed() => return,
        };
        let _ = stream.set_nodelay(true);
        let Ok(service) = tower::Service::call(&mut make, remote).await;
        let service = TowerToHyperService::new(service);
        let mut builder = auto::Builder::new(TokioExecutor::new());
        builder
            .http1()
            .timer(TokioTimer::new())
            .header_read_timeout(http.header_timeout)
            // hyper's smallest read buffer is 8 KiB: a head over it is answered 431.
            .max_buf_size(http.max_head_bytes.max(8192));
        tokio::spawn(async move {
            let _ = builder
                .serve_connection_with_upgrades(TokioIo::new(stream), service)
                .await;
        });
    }
}
