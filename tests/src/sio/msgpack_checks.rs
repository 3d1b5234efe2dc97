//! The conformance server with the MessagePack parser (npm `socket.io-msgpack-parser`; ours:
//! `socketio-conformance --parser msgpack`, Node: `new Server({parser})`): every packet is one
//! binary Engine.IO message holding a map `{type, nsp, data?, id?}`, binary inline, no
//! attachment packets; over polling a binary message is `b<base64>` in the payload. The same
//! conversations as the default parser's checks, and bad MessagePack closes the connection.
//!
//! ```text
//! C> ws binary {type: 0, nsp: "/"}
//! S< ws binary {type: 0, nsp: "/", data: {sid: "k2Xz..."}}
//! S< ws binary {type: 2, nsp: "/", data: ["auth", {}]}
//! C> ws binary {type: 2, nsp: "/", data: ["message", 1, bin[01 02]]}
//! S< ws binary {type: 2, nsp: "/", data: ["message-back", 1, bin[01 02]]}
//! ```

use base64::Engine as _;

use super::client::Ctx;
use super::msgpack::{self, map, s, Mp, Packet, ACK, CONNECT, CONNECT_ERROR, EVENT};
use crate::check::{CheckResult, Failure};
use crate::ws::{Event, WebSocket};
use crate::{ensure, fail};

/// The next packet, which must be a binary message holding a socket.io-msgpack-parser packet.
async fn next_packet(c: &Ctx, ws: &mut WebSocket) -> Result<Packet, Failure> {
    let bytes = c.next_binary(ws).await?;
    let packet = msgpack::read_packet(&bytes).map_err(|e| {
        Failure::Failed(format!(
            "a binary message that is no MessagePack packet ({e}): {bytes:02x?}"
        ))
    })?;
    c.note(format!("decoded {packet}"));
    Ok(packet)
}

/// The next packet must be `want`.
async fn expect_packet(c: &Ctx, ws: &mut WebSocket, want: Packet) -> CheckResult {
    let got = next_packet(c, ws).await?;
    ensure!(got == want, "expected {want}, got {got}");
    Ok(())
}

fn event(nsp: &str, args: Vec<Mp>, id: Option<i64>) -> Packet {
    Packet {
        kind: EVENT,
        nsp: nsp.to_owned(),
        data: Some(Mp::Array(args)),
        id,
    }
}

/// The socket id of a CONNECT reply `{type: 0, nsp, data: {sid}}`.
fn connect_reply(packet: &Packet, nsp: &str) -> Result<String, Failure> {
    let sid = match &packet.data {
        Some(Mp::Map(entries)) => entries.iter().find(|(k, _)| *k == s("sid")),
        _ => None,
    };
    match sid {
        Some((_, Mp::Str(sid))) if packet.kind == CONNECT && packet.nsp == nsp => Ok(sid.clone()),
        _ => fail!(
            "expected the CONNECT reply {{type: 0, nsp: {nsp:?}, data: {{sid}}}}, got {packet}"
        ),
    }
}

/// Sends a CONNECT for `nsp` (with `auth` as its data if any), reads the reply and the `auth`
/// event the conformance server emits with the payload (`{}` without one); returns the socket id.
async fn join(c: &Ctx, ws: &mut WebSocket, nsp: &str, auth: Option<Mp>) -> Result<String, Failure> {
    ws.send_binary(&msgpack::packet(CONNECT, nsp, auth.clone(), None))
        .await?;
    let sid = connect_reply(&next_packet(c, ws).await?, nsp)?;
    let payload = auth.unwrap_or(Mp::Map(vec![]));
    expect_packet(c, ws, event(nsp, vec![s("auth"), payload], None)).await?;
    Ok(sid)
}

/// A WebSocket session joined to `/`.
async fn session(c: &Ctx) -> Result<(WebSocket, String), Failure> {
    let (mut ws, open) = c.engine_session().await?;
    let sid = join(c, &mut ws, "/", None).await?;
    ensure!(
        sid != open.sid,
        "the socket id of / is the Engine.IO sid {sid:?}"
    );
    Ok((ws, sid))
}

/// Text, integers of several widths, floats, a nested map, and binary at the top and in depth.
fn mixed() -> Vec<Mp> {
    vec![
        s("héllo ✓"),
        Mp::Int(0),
        Mp::Int(-7),
        Mp::Int(300),
        Mp::Int(70000),
        Mp::Int(1 << 40),
        Mp::Float(3.25),
        Mp::Bool(true),
        Mp::Nil,
        map(vec![
            ("a", Mp::Int(1)),
            (
                "b",
                Mp::Array(vec![s("x"), map(vec![("c", Mp::Bool(false))])]),
            ),
        ]),
        Mp::Bin(vec![0, 1, 2, 255]),
        map(vec![
            ("bin", Mp::Bin(vec![9, 8, 7])),
            ("list", Mp::Array(vec![Mp::Bin(vec![]), s("text")])),
        ]),
    ]
}

/// `{type: 0, nsp: "/"}` -> the CONNECT reply with a `sid` (not the Engine.IO sid), then
/// `auth` with `{}`; both binary messages.
pub async fn connect(c: Ctx) -> CheckResult {
    let (mut ws, _) = session(&c).await?;
    let _ = ws.close().await;
    Ok(())
}

/// A CONNECT to `/custom` with a map payload (binary included) -> `auth` with that payload.
pub async fn connect_custom_with_payload(c: Ctx) -> CheckResult {
    let (mut ws, _) = c.engine_session().await?;
    let auth = map(vec![
        ("token", s("123")),
        ("n", Mp::Float(1.5)),
        ("list", Mp::Array(vec![Mp::Int(-1), Mp::Nil])),
    ]);
    join(&c, &mut ws, "/custom", Some(auth)).await?;
    let _ = ws.close().await;
    Ok(())
}

/// A CONNECT payload holding binary is accepted. The `auth` echo gives it back as binary (Node:
/// the handshake's auth holds a Buffer) or as what `JSON.stringify` makes of a Node Buffer,
/// `{type: "Buffer", data: [bytes]}` (a server whose auth payload is JSON, as ours).
pub async fn connect_binary_payload(c: Ctx) -> CheckResult {
    let (mut ws, _) = c.engine_session().await?;
    let auth = map(vec![("token", s("123")), ("bin", Mp::Bin(vec![1, 255]))]);
    ws.send_binary(&msgpack::packet(CONNECT, "/", Some(auth), None))
        .await?;
    connect_reply(&next_packet(&c, &mut ws).await?, "/")?;
    let echoed = next_packet(&c, &mut ws).await?;
    let as_buffer_json = map(vec![
        ("type", s("Buffer")),
        ("data", Mp::Array(vec![Mp::Int(1), Mp::Int(255)])),
    ]);
    let ok = [Mp::Bin(vec![1, 255]), as_buffer_json]
        .into_iter()
        .any(|bin| {
            echoed
                == event(
                    "/",
                    vec![s("auth"), map(vec![("token", s("123")), ("bin", bin)])],
                    None,
                )
        });
    ensure!(
        ok,
        "expected auth with {{token: \"123\", bin: <01 ff>}} (binary or Buffer JSON), got {echoed}"
    );
    let _ = ws.close().await;
    Ok(())
}

/// A CONNECT to a namespace that does not exist -> `{type: 4, nsp, data: {message: "Invalid
/// namespace"}}`; the session stays usable for `/`.
pub async fn unknown_namespace(c: Ctx) -> CheckResult {
    let (mut ws, _) = c.engine_session().await?;
    ws.send_binary(&msgpack::packet(CONNECT, "/random", None, None))
        .await?;
    let want = Packet {
        kind: CONNECT_ERROR,
        nsp: "/random".into(),
        data: Some(map(vec![("message", s("Invalid namespace"))])),
        id: None,
    };
    expect_packet(&c, &mut ws, want).await?;
    join(&c, &mut ws, "/", None).await?;
    let _ = ws.close().await;
    Ok(())
}

/// `message` with every kind of value -> `message-back` with the same values.
pub async fn echo(c: Ctx) -> CheckResult {
    let (mut ws, _) = session(&c).await?;
    let mut args = vec![s("message")];
    args.extend(mixed());
    ws.send_binary(&msgpack::packet(EVENT, "/", Some(Mp::Array(args)), None))
        .await?;
    let mut back = vec![s("message-back")];
    back.extend(mixed());
    expect_packet(&c, &mut ws, event("/", back, None)).await?;
    let _ = ws.close().await;
    Ok(())
}

/// `message-with-ack` with id 456 -> `{type: 3, nsp: "/", id: 456, data: [same values]}`.
pub async fn ack(c: Ctx) -> CheckResult {
    let (mut ws, _) = session(&c).await?;
    let mut args = vec![s("message-with-ack")];
    args.extend(mixed());
    ws.send_binary(&msgpack::packet(
        EVENT,
        "/",
        Some(Mp::Array(args)),
        Some(456),
    ))
    .await?;
    let want = Packet {
        kind: ACK,
        nsp: "/".into(),
        data: Some(Mp::Array(mixed())),
        id: Some(456),
    };
    expect_packet(&c, &mut ws, want).await?;
    let _ = ws.close().await;
    Ok(())
}

/// `emit-with-ack` -> the server emits it back asking for an ack; the client's ack (binary
/// included) -> the server emits `emit-with-ack` with the ack's arguments.
pub async fn emit_with_ack(c: Ctx) -> CheckResult {
    let (mut ws, _) = session(&c).await?;
    let args = vec![s("emit-with-ack"), Mp::Int(1), s("2")];
    ws.send_binary(&msgpack::packet(
        EVENT,
        "/",
        Some(Mp::Array(args.clone())),
        None,
    ))
    .await?;
    let asked = next_packet(&c, &mut ws).await?;
    let Some(id) = asked.id else {
        fail!("expected emit-with-ack back with an ack id, got {asked}");
    };
    ensure!(
        asked == event("/", args, Some(id)),
        "expected emit-with-ack back with the same arguments, got {asked}"
    );
    let reply = vec![s("x"), Mp::Bin(vec![5, 6])];
    ws.send_binary(&msgpack::packet(ACK, "/", Some(Mp::Array(reply)), Some(id)))
        .await?;
    let want = vec![s("emit-with-ack"), s("x"), Mp::Bin(vec![5, 6])];
    expect_packet(&c, &mut ws, event("/", want, None)).await?;
    let _ = ws.close().await;
    Ok(())
}

/// The packet of a polling payload, `b<base64>`, read back.
fn polled(text: &str) -> Result<Packet, Failure> {
    let Some(b64) = text.strip_prefix('b') else {
        fail!("expected a binary packet (b<base64>) in the polling payload, got {text:?}");
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .map_err(|e| Failure::Failed(format!("bad base64 in {text:?}: {e}")))?;
    msgpack::read_packet(&bytes)
        .map_err(|e| Failure::Failed(format!("no MessagePack packet in {text:?}: {e}")))
}

fn as_polled(bytes: &[u8]) -> String {
    format!(
        "b{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

/// Over polling: a POST of `b<base64 CONNECT>` -> the reply and `auth` as `b<base64>` packets;
/// then an event with binary both ways, two in one POST.
pub async fn polling(c: Ctx) -> CheckResult {
    let sid = c.polling_session().await?;
    c.eio()
        .push(&sid, as_polled(&msgpack::packet(CONNECT, "/", None, None)))
        .await?;
    let packets = c.receive_n(&sid, 2).await?;
    let [reply, auth] = packets.as_slice() else {
        fail!("expected the CONNECT reply and the auth event, got {packets:?}");
    };
    connect_reply(&polled(reply)?, "/")?;
    let auth = polled(auth)?;
    ensure!(
        auth == event("/", vec![s("auth"), Mp::Map(vec![])], None),
        "expected auth with {{}}, got {auth}"
    );
    let first = vec![s("message"), Mp::Bin(vec![1, 2, 3]), Mp::Int(-7)];
    let second = vec![s("message"), map(vec![("k", Mp::Float(0.5))])];
    let body = [first.clone(), second.clone()]
        .map(|args| as_polled(&msgpack::packet(EVENT, "/", Some(Mp::Array(args)), None)))
        .join("\x1e");
    c.eio().push(&sid, body).await?;
    let packets = c.receive_n(&sid, 2).await?;
    for (got, mut want) in packets.iter().zip([first, second]) {
        want[0] = s("message-back");
        let got = polled(got)?;
        ensure!(
            got == event("/", want.clone(), None),
            "expected {}, got {got}",
            event("/", want, None)
        );
    }
    Ok(())
}

/// A text message on a connection whose server speaks MessagePack closes it (the decoder takes
/// binary only), and the server serves a fresh connection.
pub async fn text_closes(c: Ctx) -> CheckResult {
    let (mut ws, _) = session(&c).await?;
    ws.send_text("42[\"message\",1]").await?;
    c.expect_closed(&mut ws, "a text Socket.IO packet").await?;
    still_serving(&c).await
}

/// Bad MessagePack closes the connection: `bytes` sent after joining `/`.
async fn closes_after(c: &Ctx, bytes: &[u8], what: &str) -> CheckResult {
    let (mut ws, _) = session(c).await?;
    ws.send_binary(bytes).await?;
    match c.next_within(&mut ws, super::client::CLOSE_WITHIN).await? {
        Some(Event::Close(_) | Event::Ended) => Ok(()),
        None => fail!("after {what}, the connection was still open"),
        Some(other) => fail!("after {what}, expected a close, got {other:?}"),
    }
}

/// Truncated data, a declared length far beyond the message, a packet that is not a map and one
/// without `nsp` each close the connection; a fresh connection is still served.
pub async fn bad_input(c: Ctx) -> CheckResult {
    let good = msgpack::packet(EVENT, "/", Some(Mp::Array(vec![s("message")])), None);
    closes_after(&c, &good[..good.len() - 3], "a truncated packet").await?;
    closes_after(
        &c,
        &[
            0x81, 0xa4, b'd', b'a', b't', b'a', 0xdd, 0xff, 0xff, 0xff, 0xff,
        ],
        "an array of 2^32-1 items declared in 11 bytes",
    )
    .await?;
    closes_after(
        &c,
        &[0xc6, 0x7f, 0xff, 0xff, 0xff, 0x00],
        "a bin of 2 GiB declared in 6 bytes",
    )
    .await?;
    closes_after(
        &c,
        &msgpack::encode(&Mp::Array(vec![Mp::Int(2), s("/")])),
        "an array instead of a map",
    )
    .await?;
    let no_nsp = msgpack::encode(&map(vec![
        ("type", Mp::Int(EVENT)),
        ("data", Mp::Array(vec![s("message")])),
    ]));
    closes_after(&c, &no_nsp, "a packet without nsp").await?;
    still_serving(&c).await
}

/// A fresh session joined to `/` still echoes.
async fn still_serving(c: &Ctx) -> CheckResult {
    c.note("the server must still serve a fresh connection");
    let fresh = async {
        let (mut ws, _) = session(c).await?;
        let args = vec![s("message"), s("still here")];
        ws.send_binary(&msgpack::packet(EVENT, "/", Some(Mp::Array(args)), None))
            .await?;
        let want = event("/", vec![s("message-back"), s("still here")], None);
        expect_packet(c, &mut ws, want).await?;
        let _ = ws.close().await;
        Ok::<(), Failure>(())
    };
    fresh
        .await
        .map_err(|f| Failure::Failed(format!("afterwards, a fresh connection failed: {f}")))
}
