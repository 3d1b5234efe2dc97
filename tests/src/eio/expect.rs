//! Expectations shared by the checks; each failure message says what came and what should have.

use super::packet::{parse_error, Open, ERROR_MESSAGES};
use super::Config;
use crate::check::CheckResult;
use crate::http::Response;
use crate::ws::Event;
use crate::{ensure, fail};

/// `200` with exactly `body`.
pub fn expect_body(response: &Response, body: &str) -> CheckResult {
    ensure!(
        response.status() == 200 && response.body == body.as_bytes(),
        "expected 200 {body:?}, got {} {:?}",
        response.status(),
        response.text()
    );
    Ok(())
}

/// Exactly these packets (pings already set aside), in this order.
pub fn expect_packets(got: &[String], want: &[&str]) -> CheckResult {
    ensure!(got == want, "expected packets {want:?}, got {got:?}");
    Ok(())
}

/// `status` with the JSON body `{"code":code,"message":<the reference message>}`.
pub fn expect_error(response: &Response, status: u16, code: u64) -> CheckResult {
    let message = ERROR_MESSAGES
        .get(code as usize)
        .copied()
        .unwrap_or_default();
    let want = format!("{status} {{\"code\":{code},\"message\":\"{message}\"}}");
    ensure!(
        response.status() == status,
        "expected {want}, got {} {:?}",
        response.status(),
        response.text()
    );
    let (got_code, got_message) = match parse_error(&response.body) {
        Ok(parsed) => parsed,
        Err(why) => fail!("expected {want}: {why}"),
    };
    ensure!(
        got_code == code && got_message == message,
        "expected {want}, got {} {:?}",
        response.status(),
        response.text()
    );
    let content_type = response.header("content-type").unwrap_or_default();
    ensure!(
        content_type.starts_with("application/json"),
        "error {code} body must be sent as Content-Type: application/json, got {content_type:?}"
    );
    Ok(())
}

/// The handshake values match the configuration and `upgrades` is exactly `upgrades`.
pub fn expect_open_fields(config: &Config, open: &Open, upgrades: &[&str]) -> CheckResult {
    ensure!(
        open.upgrades == upgrades,
        "open packet upgrades {:?}, expected {upgrades:?}",
        open.upgrades
    );
    let interval = config.ping_interval.as_millis() as u64;
    let timeout = config.ping_timeout.as_millis() as u64;
    ensure!(
        open.ping_interval == interval,
        "open packet pingInterval {}, expected {interval}",
        open.ping_interval
    );
    ensure!(
        open.ping_timeout == timeout,
        "open packet pingTimeout {}, expected {timeout}",
        open.ping_timeout
    );
    ensure!(
        open.max_payload == config.max_payload,
        "open packet maxPayload {}, expected {}",
        open.max_payload,
        config.max_payload
    );
    Ok(())
}

/// The WebSocket ended (close frame or connection end) instead of carrying on.
pub fn expect_closed(event: &Event, after: &str) -> CheckResult {
    match event {
        Event::Close(_) | Event::Ended => Ok(()),
        other => fail!("after {after}, expected the server to close the WebSocket, got {other:?}"),
    }
}
