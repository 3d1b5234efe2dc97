//! The `--port N` and `--host ADDR` flags the server binaries share.

use std::io;
use std::net::{IpAddr, SocketAddr};

/// Where a server binary listens: `127.0.0.1:3000` unless its flags say otherwise.
#[derive(Debug, Clone, Copy)]
pub struct Listen {
    /// `--port N`.
    pub port: u16,
    /// `--host ADDR`.
    pub host: IpAddr,
}

impl Default for Listen {
    fn default() -> Self {
        Self {
            port: 3000,
            host: IpAddr::from([127, 0, 0, 1]),
        }
    }
}

impl Listen {
    /// Takes `flag` with its `value` if it is `--port` or `--host` (`Ok(false)`: another flag).
    pub fn parse_flag(&mut self, flag: &str, value: Option<&str>) -> io::Result<bool> {
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
