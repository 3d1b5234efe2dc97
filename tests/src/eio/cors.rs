//! CORS, for servers that advertise it (`--cors`): preflight and the headers on a handshake.

use super::client::Ctx;
use crate::check::{CheckResult, Failure};
use crate::ensure;
use crate::http::{Request, Response};

const ORIGIN: &str = "http://conformance.example";

fn skip_unless_enabled(c: &Ctx) -> CheckResult {
    if c.config().cors {
        Ok(())
    } else {
        Err(Failure::Skipped("CORS not checked (pass --cors)".into()))
    }
}

fn expect_allow_origin(response: &Response, what: &str) -> CheckResult {
    let allowed = response.header("access-control-allow-origin");
    ensure!(
        matches!(allowed, Some("*") | Some(ORIGIN)),
        "{what}: Access-Control-Allow-Origin is {allowed:?}, expected \"*\" or {ORIGIN:?}"
    );
    Ok(())
}

/// `OPTIONS` with `Origin` and `Access-Control-Request-Method: POST` -> 2xx allowing the origin
/// and POST.
pub async fn preflight(c: Ctx) -> CheckResult {
    skip_unless_enabled(&c)?;
    let request = Request::new("OPTIONS", c.target("?EIO=4&transport=polling"))
        .header("Origin", ORIGIN)
        .header("Access-Control-Request-Method", "POST")
        .header("Access-Control-Request-Headers", "content-type");
    let response = c.request(request).await?;
    ensure!(
        matches!(response.status(), 200 | 204),
        "preflight answered {} {:?}, expected 200 or 204",
        response.status(),
        response.text()
    );
    expect_allow_origin(&response, "preflight")?;
    if let Some(methods) = response.header("access-control-allow-methods") {
        ensure!(
            methods.to_ascii_uppercase().contains("POST"),
            "preflight allows methods {methods:?}, which lacks POST"
        );
    }
    Ok(())
}

/// A handshake and a POST from another origin carry `Access-Control-Allow-Origin`.
pub async fn handshake(c: Ctx) -> CheckResult {
    skip_unless_enabled(&c)?;
    let request =
        Request::new("GET", c.target("?EIO=4&transport=polling")).header("Origin", ORIGIN);
    let response = c.request(request).await?;
    ensure!(
        response.status() == 200,
        "handshake answered {}",
        response.status()
    );
    expect_allow_origin(&response, "handshake")?;
    let sid = super::packet::Open::parse(&response.text())
        .map_err(Failure::Failed)?
        .sid;
    let post = Request::new("POST", c.target(&super::client::polling(&sid)))
        .header("Origin", ORIGIN)
        .body("4cors");
    let response = c.request(post).await?;
    ensure!(
        response.status() == 200,
        "POST answered {}",
        response.status()
    );
    expect_allow_origin(&response, "POST")
}
