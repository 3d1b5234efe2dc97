//! Events and acknowledgements on the main namespace, text and binary: what the conformance
//! server sends back, byte for byte where the bytes are determined, by meaning where they are not.

use super::client::Ctx;
use super::packet::{placeholder, reconstruct, split_json};
use crate::check::CheckResult;
use crate::{ensure, fail};

/// `42["message",1,"2",{"3":[true]}]` -> `42["message-back",1,"2",{"3":[true]}]` (test suite).
pub async fn echo(c: Ctx) -> CheckResult {
    let mut s = c.session().await?;
    s.ws.send_text(r#"42["message",1,"2",{"3":[true]}]"#)
        .await?;
    c.expect_text(&mut s.ws, r#"42["message-back",1,"2",{"3":[true]}]"#)
        .await
}

/// Compact JSON comes back byte for byte: key order (not sorted), UTF-8 as is, escapes, numbers.
pub async fn exact_json(c: Ctx) -> CheckResult {
    let mut s = c.session().await?;
    // What JSON.stringify writes: no spaces, keys as given, non-ASCII raw, only `"`, `\\` and
    // control characters escaped.
    let args = r#"{"z":1,"a":{"y":[],"b":null},"m":"hé € 😀 \"q\" \\ \n \u0001","n":[-1.5,0,123456789,true,false]}"#;
    c.expect_echo(&mut s.ws, args).await
}

/// Five events sent back to back are answered in order.
pub async fn in_order(c: Ctx) -> CheckResult {
    let mut s = c.session().await?;
    for i in 0..5 {
        s.ws.send_text(&format!("42[\"message\",{i}]")).await?;
    }
    for i in 0..5 {
        c.expect_text(&mut s.ws, &format!("42[\"message-back\",{i}]"))
            .await?;
    }
    Ok(())
}

/// `452-["message",<ph 0>,<ph 1>]` + 01 02 03 + 04 05 06 -> `452-["message-back",<ph 0>,<ph 1>]`
/// + the same two frames, in order (test suite).
pub async fn binary(c: Ctx) -> CheckResult {
    let mut s = c.session().await?;
    let (p0, p1) = (placeholder(0), placeholder(1));
    s.ws.send_text(&format!("452-[\"message\",{p0},{p1}]"))
        .await?;
    s.ws.send_binary(&[1, 2, 3]).await?;
    s.ws.send_binary(&[4, 5, 6]).await?;
    c.expect_text(&mut s.ws, &format!("452-[\"message-back\",{p0},{p1}]"))
        .await?;
    c.expect_binary(&mut s.ws, &[1, 2, 3]).await?;
    c.expect_binary(&mut s.ws, &[4, 5, 6]).await
}

/// `42456["message-with-ack",1,"2",{"3":[false]}]` -> `43456[1,"2",{"3":[false]}]` (test suite).
pub async fn ack(c: Ctx) -> CheckResult {
    let mut s = c.session().await?;
    s.ws.send_text(r#"42456["message-with-ack",1,"2",{"3":[false]}]"#)
        .await?;
    c.expect_text(&mut s.ws, r#"43456[1,"2",{"3":[false]}]"#)
        .await
}

/// An ack with no arguments is the empty array: `4212["message-with-ack"]` -> `4312[]`.
pub async fn ack_without_arguments(c: Ctx) -> CheckResult {
    let mut s = c.session().await?;
    s.ws.send_text(r#"4212["message-with-ack"]"#).await?;
    c.expect_text(&mut s.ws, "4312[]").await
}

/// Ack id 0 is an ack id like any other: `420["message-with-ack","zero"]` -> `430["zero"]`.
pub async fn ack_id_zero(c: Ctx) -> CheckResult {
    let mut s = c.session().await?;
    s.ws.send_text(r#"420["message-with-ack","zero"]"#).await?;
    c.expect_text(&mut s.ws, r#"430["zero"]"#).await
}

/// `452-789["message-with-ack",<ph 0>,<ph 1>]` + two frames -> `462-789[<ph 0>,<ph 1>]` + the
/// same two frames (test suite).
pub async fn binary_ack(c: Ctx) -> CheckResult {
    let mut s = c.session().await?;
    let (p0, p1) = (placeholder(0), placeholder(1));
    s.ws.send_text(&format!("452-789[\"message-with-ack\",{p0},{p1}]"))
        .await?;
    s.ws.send_binary(&[1, 2, 3]).await?;
    s.ws.send_binary(&[4, 5, 6]).await?;
    c.expect_text(&mut s.ws, &format!("462-789[{p0},{p1}]"))
        .await?;
    c.expect_binary(&mut s.ws, &[1, 2, 3]).await?;
    c.expect_binary(&mut s.ws, &[4, 5, 6]).await
}

/// Placeholders deep inside objects and arrays, numbered in document order, come back in place
/// with their frames in order.
pub async fn nested_placeholders(c: Ctx) -> CheckResult {
    let mut s = c.session().await?;
    let args = format!(
        "{{\"a\":{},\"b\":[1,{{\"c\":{}}}],\"d\":[[{}]]}}",
        placeholder(0),
        placeholder(1),
        placeholder(2)
    );
    s.ws.send_text(&format!("453-[\"message\",{args}]")).await?;
    for frame in [&[0xaa][..], &[0xbb, 0xbb], &[0xcc, 0xcc, 0xcc]] {
        s.ws.send_binary(frame).await?;
    }
    c.expect_text(&mut s.ws, &format!("453-[\"message-back\",{args}]"))
        .await?;
    c.expect_binary(&mut s.ws, &[0xaa]).await?;
    c.expect_binary(&mut s.ws, &[0xbb, 0xbb]).await?;
    c.expect_binary(&mut s.ws, &[0xcc, 0xcc, 0xcc]).await
}

/// Placeholders numbered out of document order (`num` 1 before `num` 0): the answer means the
/// same arguments, whatever numbering the server chooses.
pub async fn placeholders_out_of_order(c: Ctx) -> CheckResult {
    let mut s = c.session().await?;
    let sent = format!(
        "[\"message\",{},{{\"x\":{}}}]",
        placeholder(1),
        placeholder(0)
    );
    s.ws.send_text(&format!("452-{sent}")).await?;
    s.ws.send_binary(&[0x0a]).await?;
    s.ws.send_binary(&[0x0b, 0x0b]).await?;
    let reply = c.next_text(&mut s.ws).await?;
    let (head, json) = split_json(&reply);
    ensure!(
        head == "452-",
        "expected a BINARY_EVENT with 2 attachments (`452-[...]`), got {reply:?}"
    );
    let first = c.next_binary(&mut s.ws).await?;
    let second = c.next_binary(&mut s.ws).await?;
    let got = reconstruct(json, &[first, second]).map_err(crate::check::Failure::Failed)?;
    let sent_back = sent.replacen("\"message\"", "\"message-back\"", 1);
    let want = reconstruct(&sent_back, &[vec![0x0a], vec![0x0b, 0x0b]])
        .map_err(crate::check::Failure::Failed)?;
    ensure!(
        got == want,
        "the answer means {got}, expected {want} (attachments put back in place)"
    );
    Ok(())
}

/// A 100 KiB attachment comes back whole.
pub async fn large_binary(c: Ctx) -> CheckResult {
    let mut s = c.session().await?;
    let big: Vec<u8> = (0..100 * 1024).map(|i| (i % 251) as u8).collect();
    let p0 = placeholder(0);
    s.ws.send_text(&format!("451-[\"message\",{p0}]")).await?;
    s.ws.send_binary(&big).await?;
    c.expect_text(&mut s.ws, &format!("451-[\"message-back\",{p0}]"))
        .await?;
    match c.next_binary(&mut s.ws).await? {
        got if got == big => Ok(()),
        got => fail!(
            "the 100 KiB attachment came back as {} different bytes",
            got.len()
        ),
    }
}

/// The ack id of a server EVENT asking for an ack: `42<id>["emit-with-ack",...]` (or
/// `45<n>-<id>[...]`) after `prefix` (`42` or `452-`); the server picks the id.
fn server_ack_id<'a>(packet: &'a str, prefix: &str) -> Option<&'a str> {
    let rest = packet.strip_prefix(prefix)?;
    let digits = rest.find('[').map(|at| &rest[..at])?;
    (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())).then_some(digits)
}

/// The server asks for an ack (socketioxide's port of the test suite): `42["emit-with-ack",
/// 1,"2",{"3":[true]}]` -> `42<id>["emit-with-ack",1,"2",{"3":[true]}]`; the client acks
/// `43<id>["acked",{"n":2}]` -> `42["emit-with-ack","acked",{"n":2}]` (the ack's arguments).
pub async fn emit_with_ack(c: Ctx) -> CheckResult {
    let mut s = c.session().await?;
    let args = r#"1,"2",{"3":[true]}"#;
    s.ws.send_text(&format!("42[\"emit-with-ack\",{args}]"))
        .await?;
    let asked = c.next_text(&mut s.ws).await?;
    let Some(id) = server_ack_id(&asked, "42") else {
        fail!("expected 42<ack id>[\"emit-with-ack\",{args}], got {asked:?}");
    };
    let want = format!("42{id}[\"emit-with-ack\",{args}]");
    ensure!(asked == want, "expected {want:?}, got {asked:?}");
    s.ws.send_text(&format!("43{id}[\"acked\",{{\"n\":2}}]"))
        .await?;
    c.expect_text(&mut s.ws, r#"42["emit-with-ack","acked",{"n":2}]"#)
        .await
}

/// The same with attachments both ways: `452-["emit-with-ack",<ph 0>,<ph 1>,"test"]` + two
/// frames -> `452-<id>[...]` + the same frames; the binary ack `462-<id>[<ph 0>,"acked",<ph 1>]`
/// + two frames -> `452-["emit-with-ack",<ph 0>,"acked",<ph 1>]` + those frames.
pub async fn emit_with_binary_ack(c: Ctx) -> CheckResult {
    let mut s = c.session().await?;
    let (p0, p1) = (placeholder(0), placeholder(1));
    let args = format!("{p0},{p1},\"test\"");
    s.ws.send_text(&format!("452-[\"emit-with-ack\",{args}]"))
        .await?;
    s.ws.send_binary(&[1, 2, 3]).await?;
    s.ws.send_binary(&[4, 5, 6]).await?;
    let asked = c.next_text(&mut s.ws).await?;
    let Some(id) = server_ack_id(&asked, "452-") else {
        fail!("expected 452-<ack id>[\"emit-with-ack\",{args}], got {asked:?}");
    };
    let want = format!("452-{id}[\"emit-with-ack\",{args}]");
    ensure!(asked == want, "expected {want:?}, got {asked:?}");
    c.expect_binary(&mut s.ws, &[1, 2, 3]).await?;
    c.expect_binary(&mut s.ws, &[4, 5, 6]).await?;
    s.ws.send_text(&format!("462-{id}[{p0},\"acked\",{p1}]"))
        .await?;
    s.ws.send_binary(&[7, 8]).await?;
    s.ws.send_binary(&[9]).await?;
    c.expect_text(
        &mut s.ws,
        &format!("452-[\"emit-with-ack\",{p0},\"acked\",{p1}]"),
    )
    .await?;
    c.expect_binary(&mut s.ws, &[7, 8]).await?;
    c.expect_binary(&mut s.ws, &[9]).await
}
