//! A WebSocket's connection as its driver holds it: the byte stream, what was read from it and
//! not yet framed, and the frame reader of the core ([`FrameReader`]). The frames the server
//! sends are written by the driver, straight into its output.

use super::ws_io::WsIo;
use crate::proto::websocket_frame::WsFault;
use crate::proto::websocket_read::{FrameReader, Incoming};
use bytes::BytesMut;
use std::future::Future;
use std::task::{Context, Poll};
use tokio::io::AsyncReadExt;

/// A WebSocket connection of a session.
pub(crate) struct WsStream {
    io: WsIo,
    /// Bytes read and not yet taken by the reader.
    read: BytesMut,
    reader: FrameReader,
    /// The most read from the socket at once.
    read_size: usize,
}

impl WsStream {
    /// The WebSocket on `io`, whose first bytes (read with the handshake) are `already_read`.
    pub(crate) fn new(
        io: WsIo,
        already_read: Vec<u8>,
        max_message: usize,
        read_size: usize,
    ) -> Self {
        Self {
            io,
            read: BytesMut::from(&already_read[..]),
            reader: FrameReader::new(max_message),
            read_size: read_size.max(64),
        }
    }

    /// The next message, ping or close from the client; `None` once the connection ended (or
    /// failed). A fault ends the reading: the connection is then only answered and closed.
    pub(crate) fn poll_next(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Incoming, WsFault>>> {
        loop {
            match self.reader.read(&mut self.read) {
                Ok(Some(incoming)) => return Poll::Ready(Some(Ok(incoming))),
                Err(fault) => return Poll::Ready(Some(Err(fault))),
                Ok(None) => {}
            }
            self.read.reserve(self.read_size);
            let read = std::pin::pin!(self.io.read_buf(&mut self.read));
            match read.poll(cx) {
                Poll::Ready(Ok(0) | Err(_)) => return Poll::Ready(None),
                Poll::Ready(Ok(_)) => {}
                Poll::Pending => return Poll::Pending,
            }
        }
    }

    /// The byte stream, to write to.
    pub(crate) fn io(&mut self) -> &mut WsIo {
        &mut self.io
    }

    /// Gives back the read buffer when it holds nothing.
    pub(crate) fn release_memory(&mut self) {
        if self.read.is_empty() {
            self.read = BytesMut::new();
        }
    }
}
