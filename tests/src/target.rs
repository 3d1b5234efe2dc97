//! Where the server under test lives: `http://host:port/path/`.

use std::fmt;

/// A server URL split into what a raw client needs: the address to dial and the path to request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Host name or IP address, as written in the URL (brackets stripped from IPv6).
    pub host: String,
    /// TCP port (80 when the URL has none).
    pub port: u16,
    /// Request path, always starting with `/` (e.g. `/engine.io/`).
    pub path: String,
}

/// Why a URL could not be used: the caller wrote something this client does not speak.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TargetError {
    /// Only plain `http://` URLs are supported (no TLS in the raw client).
    UnsupportedScheme(String),
    /// The port is not a number in 0..=65535.
    BadPort(String),
    /// The URL has no host.
    MissingHost,
}

impl fmt::Display for TargetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TargetError::UnsupportedScheme(url) => {
                write!(f, "unsupported URL {url:?}: only http:// is supported")
            }
            TargetError::BadPort(port) => write!(f, "bad port {port:?} in URL"),
            TargetError::MissingHost => write!(f, "URL has no host"),
        }
    }
}

impl std::error::Error for TargetError {}

impl Target {
    /// Parses `http://host[:port][/path]`. A query or fragment in the URL is ignored.
    pub fn parse(url: &str) -> Result<Target, TargetError> {
        let rest = url
            .strip_prefix("http://")
            .ok_or_else(|| TargetError::UnsupportedScheme(url.to_string()))?;
        let rest = rest.split(['?', '#']).next().unwrap_or_default();
        let (authority, path) = match rest.find('/') {
            Some(i) => rest.split_at(i),
            None => (rest, "/"),
        };
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (host, after) = v6.split_once(']').ok_or(TargetError::MissingHost)?;
            (host, after.strip_prefix(':'))
        } else {
            match authority.rsplit_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (authority, None),
            }
        };
        if host.is_empty() {
            return Err(TargetError::MissingHost);
        }
        let port = match port {
            Some(p) => p.parse().map_err(|_| TargetError::BadPort(p.to_string()))?,
            None => 80,
        };
        Ok(Target {
            host: host.to_string(),
            port,
            path: path.to_string(),
        })
    }

    /// The `Host` header value.
    pub fn host_header(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// The request target for `query` (which starts with `?`, or is empty) under this path.
    pub fn request_target(&self, query: &str) -> String {
        format!("{}{}", self.path, query)
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "http://{}{}", self.host_header(), self.path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_host_port_and_path() {
        let t = Target::parse("http://127.0.0.1:3000/engine.io/").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(t.host, "127.0.0.1");
        assert_eq!(t.port, 3000);
        assert_eq!(t.path, "/engine.io/");
        assert_eq!(t.request_target("?EIO=4"), "/engine.io/?EIO=4");
    }

    #[test]
    fn defaults_port_and_path() {
        let t = Target::parse("http://example.com").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((t.port, t.path.as_str()), (80, "/"));
    }

    #[test]
    fn ipv6_host() {
        let t = Target::parse("http://[::1]:8080/x/").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((t.host.as_str(), t.port), ("::1", 8080));
        assert_eq!(t.host_header(), "[::1]:8080");
    }

    #[test]
    fn refuses_what_it_cannot_speak() {
        assert!(matches!(
            Target::parse("https://a/"),
            Err(TargetError::UnsupportedScheme(_))
        ));
        assert!(matches!(
            Target::parse("http://a:99999/"),
            Err(TargetError::BadPort(_))
        ));
        assert!(matches!(
            Target::parse("http://:80/"),
            Err(TargetError::MissingHost)
        ));
    }
}
