//! A WebSocket's connection as its driver holds it: the byte stream, what was read from it and
//! not yet framed, and the frame reader of the core ([`FrameReader`]). The frames the server
//! sends are written by the driver, straight into its output.

use super::ws_io::WsIo;
use crate::proto::websocket_frame::WsFault;
use crate::proto::websocket_read::{Found, FrameReader, InPlace, Incoming};
use bytes::BytesMut;
use std::future::Future;
use std::task::{Context, Poll};
use tokio::io::AsyncReadExt;

/// The largest message whose read buffer is kept for the next read.
const KEPT_INPUT: usize = 16 * 1024;

/// A WebSocket connection of a session.
pub(crate) struct WsStream {
    io: WsIo,
    /// Bytes read and not yet taken by the reader.
    read: BytesMut,
    reader: FrameReader,
    /// The most read from the socket at once.
    read_size: usize,
    /// The client broke the protocol: nothing more is read.
    failed: bool,
    /// A text message read in place and not yet removed from `read` (see [`WsStream::take_read`]).
    lent: Option<InPlace>,
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
            failed: false,
            lent: None,
        }
    }

    /// The next message, ping or close from the client; `None` once the connection ended (or
    /// failed). A fault ends the reading: it is reported once, and the stream stays `Pending`
    /// after it (the connection is then only answered and closed). With `in_place`, a text
    /// message that came in one frame is left in the read buffer ([`Found::InPlace`]): the caller
    /// reads it there, between [`WsStream::take_read`] and [`WsStream::restore_read`], which
    /// removes it.
    pub(crate) fn poll_next(
        &mut self,
        cx: &mut Context<'_>,
        in_place: bool,
    ) -> Poll<Option<Result<Found, WsFault>>> {
        if self.failed {
            return Poll::Pending;
        }
        // Not read by its caller (a bug): never read its frame again, unmasked as it is.
        if let Some(lent) = self.lent.take() {
            lent.consume(&mut self.read);
        }
        loop {
            let found = match in_place {
                true => self.reader.read_in_place(&mut self.read),
                false => (self.reader.read(&mut self.read)).map(|m| m.map(Found::Incoming)),
            };
            match found {
                Ok(Some(Found::Incoming(incoming))) => {
                    // The buffer a large message came in would otherwise be taken back by the
                    // next read and kept for the connection's life.
                    if self.read.is_empty() && message_len(&incoming) > KEPT_INPUT {
                        self.read = BytesMut::new();
                    }
                    return Poll::Ready(Some(Ok(Found::Incoming(incoming))));
                }
                Ok(Some(Found::InPlace(place))) => {
                    self.lent = Some(place);
                    return Poll::Ready(Some(Ok(Found::InPlace(place))));
                }
                Err(fault) => {
                    self.failed = true;
                    return Poll::Ready(Some(Err(fault)));
                }
                Ok(None) => {}
            }
            // What is left of the buffer is read into while it is a fair share of a read: a
            // frame's payload split off the buffer (any but a text read in place) keeps it
            // shared while the message lives, and reserving a whole read each time would then
            // allocate a new buffer per message.
            if self.read.capacity() - self.read.len() < self.read_size / 4 {
                self.read.reserve(self.read_size);
            }
            let read = std::pin::pin!(self.io.read_buf(&mut self.read));
            match read.poll(cx) {
                Poll::Ready(Ok(0) | Err(_)) => return Poll::Ready(None),
                Poll::Ready(Ok(_)) => {}
                Poll::Pending => return Poll::Pending,
            }
        }
    }

    /// The read buffer, holding the text message just read in place, for the caller to read it
    /// there while it has the rest of its session in hand; given back with
    /// [`WsStream::restore_read`]. (The stream reads nothing meanwhile: its buffer is empty.)
    pub(crate) fn take_read(&mut self) -> BytesMut {
        std::mem::take(&mut self.read)
    }

    /// Gives back the buffer of [`WsStream::take_read`], without the message read in place.
    /// `failed`: that message broke the protocol (its text is not UTF-8), and nothing more is
    /// read.
    pub(crate) fn restore_read(&mut self, buf: BytesMut, failed: bool) {
        // Put back first, then changed in place: changed on the stack and then moved, it was
        // stored a word at a time and read back two words at a time, which the CPU cannot
        // forward (perf: two thirds of this function's time on that load).
        self.read = buf;
        if let Some(lent) = self.lent.take() {
            lent.consume(&mut self.read);
            if self.read.is_empty() && lent.len() > KEPT_INPUT {
                self.read = BytesMut::new();
            }
        }
        self.failed |= failed;
    }

    /// Whether the client broke the protocol (nothing more is read).
    pub(crate) fn failed(&self) -> bool {
        self.failed
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

/// The length of a message (0 for a control frame).
fn message_len(incoming: &Incoming) -> usize {
    match incoming {
        Incoming::Text(text) => text.len(),
        Incoming::Binary(bytes) => bytes.len(),
        Incoming::Ping(_) | Incoming::Close(_) => 0,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::future::poll_fn;
    use tokio::io::AsyncWriteExt;
    use tokio::net::{TcpListener, TcpStream};

    /// A masked client frame.
    fn frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
        let mask = [9, 8, 7, 6];
        let mut out = vec![0x80 | opcode, 0x80 | 127];
        out.extend_from_slice(&(payload.len() as u64).to_be_bytes());
        out.extend_from_slice(&mask);
        out.extend(payload.iter().zip(mask.iter().cycle()).map(|(b, m)| b ^ m));
        out
    }

    /// A client's end of a loopback connection, and the server's end as a WebSocket (1 MB
    /// messages, 1 KiB reads).
    async fn connected() -> (TcpStream, WsStream) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (server, _) = listener.accept().await.unwrap();
        let ws = WsStream::new(WsIo::Tcp(server), Vec::new(), 1 << 20, 1024);
        (client, ws)
    }

    #[tokio::test]
    async fn a_large_message_buffer_is_not_kept() {
        let (mut client, mut ws) = connected().await;
        let big = vec![7u8; 200_000];
        client.write_all(&frame(0x2, &big)).await.unwrap();
        match poll_fn(|cx| ws.poll_next(cx, false)).await {
            Some(Ok(Found::Incoming(Incoming::Binary(bytes)))) => {
                assert_eq!(bytes.len(), big.len())
            }
            other => panic!("expected the large binary message, got {other:?}"),
        }
        client.write_all(&frame(0x1, b"4small")).await.unwrap();
        match poll_fn(|cx| ws.poll_next(cx, false)).await {
            Some(Ok(Found::Incoming(Incoming::Text(text)))) => assert_eq!(text.as_str(), "4small"),
            other => panic!("expected the small text message, got {other:?}"),
        }
        assert!(
            ws.read.capacity() < KEPT_INPUT,
            "the read buffer kept {} bytes after a large message",
            ws.read.capacity()
        );
    }

    /// The text of the next message, read in place (and removed once its buffer is back).
    async fn next_in_place(ws: &mut WsStream) -> String {
        match poll_fn(|cx| ws.poll_next(cx, true)).await {
            Some(Ok(Found::InPlace(place))) => {
                let buf = ws.take_read();
                let text = place.text(&buf).unwrap().to_owned();
                ws.restore_read(buf, false);
                text
            }
            other => panic!("expected a text read in place, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn texts_read_in_place_leave_the_buffer_and_a_large_one_its_memory() {
        let (mut client, mut ws) = connected().await;
        let big = format!("4{}", "x".repeat(200_000));
        client.write_all(&frame(0x1, big.as_bytes())).await.unwrap();
        assert_eq!(next_in_place(&mut ws).await, big);
        assert!(
            ws.read.capacity() < KEPT_INPUT,
            "the read buffer kept {} bytes after a large message",
            ws.read.capacity()
        );
        let mut two = frame(0x1, b"4one");
        two.extend(frame(0x1, b"4two"));
        client.write_all(&two).await.unwrap();
        assert_eq!(next_in_place(&mut ws).await, "4one");
        assert_eq!(next_in_place(&mut ws).await, "4two");
        // A text that is not UTF-8 is found when it is read, and ends the reading.
        client.write_all(&frame(0x1, b"4\xff")).await.unwrap();
        client.write_all(&frame(0x1, b"4ok")).await.unwrap();
        match poll_fn(|cx| ws.poll_next(cx, true)).await {
            Some(Ok(Found::InPlace(place))) => {
                let buf = ws.take_read();
                assert_eq!(place.text(&buf), Err(WsFault::InvalidUtf8));
                ws.restore_read(buf, true);
            }
            other => panic!("expected a text read in place, got {other:?}"),
        }
        assert!(ws.failed());
    }

    #[tokio::test]
    async fn a_fault_is_reported_once_and_ends_the_reading() {
        let (mut client, mut ws) = connected().await;
        // Unmasked, then a good frame after it.
        client.write_all(b"\x81\x024x").await.unwrap();
        client.write_all(&frame(0x1, b"4ok")).await.unwrap();
        match poll_fn(|cx| ws.poll_next(cx, false)).await {
            Some(Err(WsFault::Protocol)) => {}
            other => panic!("expected a protocol fault, got {other:?}"),
        }
        assert!(ws.failed());
        let again = tokio::time::timeout(
            std::time::Duration::from_millis(100),
            poll_fn(|cx| ws.poll_next(cx, false)),
        )
        .await;
        assert!(again.is_err(), "read on after the fault: {again:?}");
    }
}
