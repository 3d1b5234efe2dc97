//! TLS on the built-in server (feature `tls`): rustls with the ring provider (ring is already the
//! crypto of our JWT verifier), a certificate chain and key from PEM or a rustls config of yours.

use super::ws_io::{IntoWsIo, WsIo};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::io;
use std::path::Path;
use std::sync::Arc;
use tokio::net::TcpStream;
use tokio_rustls::server::TlsStream;

/// The TLS settings of a [`super::Server`]: `https://` polling and `wss://` WebSocket on its port.
#[derive(Clone)]
pub struct TlsConfig {
    pub(crate) acceptor: tokio_rustls::TlsAcceptor,
}

impl std::fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsConfig").finish_non_exhaustive()
    }
}

impl TlsConfig {
    /// Your own rustls configuration (its ALPN list should offer `http/1.1`, or be empty).
    pub fn new(config: Arc<rustls::ServerConfig>) -> Self {
        Self {
            acceptor: tokio_rustls::TlsAcceptor::from(config),
        }
    }

    /// A certificate chain and its private key, both PEM (leaf certificate first), with rustls'
    /// safe defaults (TLS 1.2 and 1.3) on the ring provider.
    pub fn from_pem(cert_chain: &[u8], key: &[u8]) -> io::Result<Self> {
        let certs = CertificateDer::pem_slice_iter(cert_chain)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| invalid(format!("certificate chain: {e}")))?;
        if certs.is_empty() {
            return Err(invalid(
                "certificate chain: no CERTIFICATE in the PEM".into(),
            ));
        }
        let key = PrivateKeyDer::from_pem_slice(key).map_err(|e| invalid(format!("key: {e}")))?;
        // rustls 0.23.48 deprecates its ring provider for lacking post-quantum key exchange
        // (that needs aws-lc-rs, a C build): ring is the crypto this project builds on, and an
        // application that wants post-quantum key exchange passes its own config to `new`.
        #[allow(deprecated)]
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| invalid(e.to_string()))?
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .map_err(|e| invalid(format!("certificate and key: {e}")))?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Self::new(Arc::new(config)))
    }

    /// [`Self::from_pem`] from two files.
    pub fn from_pem_files(cert_chain: impl AsRef<Path>, key: impl AsRef<Path>) -> io::Result<Self> {
        Self::from_pem(&std::fs::read(cert_chain)?, &std::fs::read(key)?)
    }
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, message)
}

impl IntoWsIo for TlsStream<TcpStream> {
    fn into_ws_io(self) -> WsIo {
        WsIo::Other(Box::new(self))
    }
}
