//! Opening a session: the `open` packet and its fields, on both transports.

use super::client::Ctx;
use super::expect::expect_open_fields;
use crate::check::CheckResult;
use crate::ensure;

/// `GET ?EIO=4&transport=polling` -> `200 0{"sid":..,"upgrades":["websocket"],..}`.
pub async fn polling(c: Ctx) -> CheckResult {
    let open = c.handshake().await?;
    expect_open_fields(c.config(), &open, &["websocket"])
}

/// `GET ?EIO=4&transport=websocket` (upgrade) -> 101, first frame `0{..,"upgrades":[],..}`.
pub async fn websocket(c: Ctx) -> CheckResult {
    let (mut ws, open) = c.websocket_session().await?;
    expect_open_fields(c.config(), &open, &[])?;
    ws.close().await?;
    Ok(())
}

/// Two handshakes get two different session ids.
pub async fn unique_sids(c: Ctx) -> CheckResult {
    let first = c.handshake().await?;
    let second = c.handshake().await?;
    ensure!(
        first.sid != second.sid,
        "two handshakes got the same sid {:?}",
        first.sid
    );
    Ok(())
}
