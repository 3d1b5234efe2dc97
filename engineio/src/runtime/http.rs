//! HTTP/1.1 on a connection: reading request heads and bodies into a buffer, writing responses.
//! The bytes themselves are [`crate::proto::http`]'s: this file only moves them.

use crate::proto::http::{
    encode, parse_head, Head, HttpError, HttpRequest, HttpResponse, Layout, Status,
};
use bytes::{Bytes, BytesMut};
use std::net::SocketAddr;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Why no request head came: the peer's fault (answer it), or nobody left to answer.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// The peer sent what the server will not serve.
    Peer(HttpError),
    /// The connection closed (between requests or mid-request) or failed: nothing to report.
    Gone,
}

/// A request head read from a connection: its bytes (split off the read buffer, not copied),
/// where its parts are, and who sent it.
pub(crate) struct RequestHead {
    raw: Bytes,
    layout: Layout,
    remote: SocketAddr,
}

impl RequestHead {
    /// The parsed head, borrowing the bytes kept here (no second parse).
    pub(crate) fn head(&self) -> Head<'_> {
        Head::with_layout(&self.raw, self.layout)
    }

    /// The whole request, every header copied: build it once per request, only where needed.
    pub(crate) fn request(&self) -> HttpRequest {
        self.head().request(self.remote)
    }
}

/// Reads one request head from `stream`, using and refilling `buf` (which may hold pipelined
/// bytes), until [`parse_head`] says it is complete. Its bytes are then split off `buf`; what
/// follows (a body, the next request) stays.
pub(crate) async fn read_head<S: AsyncRead + Unpin>(
    stream: &mut S,
    buf: &mut BytesMut,
    max_head: usize,
    remote: SocketAddr,
) -> Result<RequestHead, ReadError> {
    loop {
        if !buf.is_empty() {
            if let Status::Complete(head, len) =
                parse_head(buf, max_head).map_err(ReadError::Peer)?
            {
                let layout = head.layout();
                let raw = buf.split_to(len).freeze();
                return Ok(RequestHead {
                    raw,
                    layout,
                    remote,
                });
            }
        }
        buf.reserve(1024);
        let n = stream.read_buf(buf).await.map_err(|_| ReadError::Gone)?;
        if n == 0 {
            return Err(ReadError::Gone);
        }
    }
}

fn eof() -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::UnexpectedEof,
        "connection closed mid-request",
    )
}

/// Reads a body of exactly `len` bytes (some may already be in `buf`).
pub(crate) async fn read_body<S: AsyncRead + Unpin>(
    stream: &mut S,
    buf: &mut BytesMut,
    len: usize,
) -> std::io::Result<Bytes> {
    while buf.len() < len {
        buf.reserve(len - buf.len());
        let n = stream.read_buf(buf).await?;
        if n == 0 {
            return Err(eof());
        }
    }
    Ok(buf.split_to(len).freeze())
}

/// Writes a response.
pub(crate) async fn write_response<S: AsyncWrite + Unpin>(
    stream: &mut S,
    response: &HttpResponse,
    keep_alive: bool,
) -> std::io::Result<()> {
    write_response_to(stream, "GET", response, keep_alive).await
}

/// Writes the response to a request with `method`: without the body for `HEAD`.
pub(crate) async fn write_response_to<S: AsyncWrite + Unpin>(
    stream: &mut S,
    method: &str,
    response: &HttpResponse,
    keep_alive: bool,
) -> std::io::Result<()> {
    let bytes = encode(
        response.status,
        &response.headers,
        &response.body,
        keep_alive,
        method == "HEAD",
    );
    write_all(stream, &bytes).await
}

/// Writes encoded bytes (from [`encode`]) and flushes.
pub(crate) async fn write_all<S: AsyncWrite + Unpin>(
    stream: &mut S,
    bytes: &[u8],
) -> std::io::Result<()> {
    stream.write_all(bytes).await?;
    stream.flush().await
}
