//! The byte stream under a session's WebSocket: a plain TCP connection (the common case, kept
//! unboxed), or any other stream (TLS, a connection hyper upgraded) behind a box.

use std::io::IoSlice;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// A byte stream a WebSocket can run on.
pub(crate) trait Io: AsyncRead + AsyncWrite + Send + Unpin + 'static {}

impl<T: AsyncRead + AsyncWrite + Send + Unpin + 'static> Io for T {}

/// The stream under a WebSocket.
pub(crate) enum WsIo {
    /// Our own listener's connection.
    Tcp(TcpStream),
    /// Another stream: TLS, or a connection upgraded by another HTTP server.
    #[cfg(any(feature = "tower", feature = "tls"))]
    Other(Box<dyn Io>),
}

/// A connection that a request can turn into a WebSocket.
pub(crate) trait IntoWsIo: Io {
    /// The stream, for the WebSocket.
    fn into_ws_io(self) -> WsIo;
}

impl IntoWsIo for TcpStream {
    fn into_ws_io(self) -> WsIo {
        WsIo::Tcp(self)
    }
}

impl AsyncRead for WsIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            WsIo::Tcp(s) => Pin::new(s).poll_read(cx, buf),
            #[cfg(any(feature = "tower", feature = "tls"))]
            WsIo::Other(s) => Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for WsIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            WsIo::Tcp(s) => Pin::new(s).poll_write(cx, buf),
            #[cfg(any(feature = "tower", feature = "tls"))]
            WsIo::Other(s) => Pin::new(s).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            WsIo::Tcp(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            #[cfg(any(feature = "tower", feature = "tls"))]
            WsIo::Other(s) => Pin::new(s).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            WsIo::Tcp(s) => s.is_write_vectored(),
            #[cfg(any(feature = "tower", feature = "tls"))]
            WsIo::Other(s) => s.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            WsIo::Tcp(s) => Pin::new(s).poll_flush(cx),
            #[cfg(any(feature = "tower", feature = "tls"))]
            WsIo::Other(s) => Pin::new(s).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            WsIo::Tcp(s) => Pin::new(s).poll_shutdown(cx),
            #[cfg(any(feature = "tower", feature = "tls"))]
            WsIo::Other(s) => Pin::new(s).poll_shutdown(cx),
        }
    }
}
