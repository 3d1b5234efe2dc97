//! The flags the server binaries share: `--port N`, `--host ADDR`, `--front builtin|axum`, and
//! `--tls-cert FILE --tls-key FILE` (PEM; the built-in server then serves `https://`/`wss://`).

use crate::front::Front;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

/// Where and how a server binary listens: `127.0.0.1:3000`, built-in, plain HTTP unless its flags
/// say otherwise.
#[derive(Debug, Clone)]
pub struct Listen {
    /// `--port N`.
    pub port: u16,
    /// `--host ADDR`.
    pub host: IpAddr,
    /// `--front builtin|axum`: the built-in server, or an axum `Router` on hyper.
    pub front: Front,
    /// `--tls-cert FILE` and `--tls-key FILE`: the certificate chain and key (PEM).
    pub tls: Option<(PathBuf, PathBuf)>,
    /// `--allow-eio3` (a flag without value, which the binaries that take it read themselves):
    /// socket.io-client 2.x (Engine.IO v3) may connect too.
    pub allow_eio3: bool,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
}

impl Default for Listen {
    fn default() -> Self {
        Self {
            port: 3000,
            host: IpAddr::from([127, 0, 0, 1]),
            front: Front::Builtin,
            tls: None,
            allow_eio3: false,
            tls_cert: None,
            tls_key: None,
        }
    }
}

impl Listen {
    /// `addr`, built-in, plain HTTP.
    pub fn at(addr: SocketAddr) -> Self {
        Self {
            port: addr.port(),
            host: addr.ip(),
            ..Self::default()
        }
    }

    /// Any free port on 127.0.0.1, through `front`: what in-process tests use.
    pub fn local(front: Front) -> Self {
        Self {
            port: 0,
            front,
            ..Self::default()
        }
    }

    /// Takes `flag` with its `value` if it is one of this file's (`Ok(false)`: another flag).
    pub fn parse_flag(&mut self, flag: &str, value: Option<&str>) -> io::Result<bool> {
        if self.front.parse_flag(flag, value)? {
            return Ok(true);
        }
        match (flag, value) {
            ("--port", Some(v)) => {
                self.port = v.parse().map_err(|_| bad(&format!("invalid --port {v}")))?
            }
            ("--host", Some(v)) => {
                self.host = v.parse().map_err(|_| bad(&format!("invalid --host {v}")))?
            }
            ("--tls-cert", Some(v)) => self.tls_cert = Some(v.into()),
            ("--tls-key", Some(v)) => self.tls_key = Some(v.into()),
            _ => return Ok(false),
        }
        self.tls = match (&self.tls_cert, &self.tls_key) {
            (Some(cert), Some(key)) => Some((cert.clone(), key.clone())),
            _ => None,
        };
        Ok(true)
    }

    /// The address to bind.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::new(self.host, self.port)
    }

    /// `http` or `https`.
    pub fn scheme(&self) -> &'static str {
        if self.tls.is_some() {
            "https"
        } else {
            "http"
        }
    }
}

/// A usage error of a server binary.
pub fn bad(msg: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg.to_owned())
}
