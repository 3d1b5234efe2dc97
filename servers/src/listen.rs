//! The `--port N`, `--host ADDR` and `--front builtin|axum` flags the server binaries share.

use crate::front::Front;
use std::io;
use std::net::{IpAddr, SocketAddr};

/// Where a server binary listens: `127.0.0.1:3000` unless its flags say otherwise.
#[derive(Debug, Clone, Copy)]
pub struct Listen {
    /// `--port N`.
    pub port: u16,
    /// `--host ADDR`.
    pub host: IpAddr,
    /// `--front builtin|axum`: the built-in server, or an axum `Router` on hyper.
    pub front: Front,
}

impl Default for Listen {
    fn default() -> Self {
        Self {
            port: 3000,
            host: IpAddr::from([127, 0, 0, 1]),
            front: Front::Builtin,
        }
    }
}

impl Listen {
    /// Takes `flag` with its `value` if it is `--port`, `--host` or `--front` (`Ok(false)`:
    /// another flag).
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
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// The address to bind.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::new(self.host, self.port)
    }
}

/// A usage error of a server binary.
pub fn bad(msg: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg.to_owned())
}
