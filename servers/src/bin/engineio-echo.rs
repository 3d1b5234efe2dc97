//! The Engine.IO echo server: `engineio-echo [--port 3000] [--host 127.0.0.1]`.

use std::net::{IpAddr, SocketAddr};

fn main() -> std::io::Result<()> {
    let mut port: u16 = 3000;
    let mut host: IpAddr = IpAddr::from([127, 0, 0, 1]);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args.next();
        match (arg.as_str(), value.as_deref()) {
            ("--port", Some(v)) => {
                port = v.parse().map_err(|_| bad(&format!("invalid --port {v}")))?
            }
            ("--host", Some(v)) => {
                host = v.parse().map_err(|_| bad(&format!("invalid --host {v}")))?
            }
            _ => return Err(bad("usage: engineio-echo [--port N] [--host ADDR]")),
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let server = test_servers::echo::start(SocketAddr::new(host, port)).await?;
        println!(
            "engine.io echo listening on http://{}/engine.io/",
            server.local_addr()
        );
        tokio::signal::ctrl_c().await?;
        server.shutdown().await;
        Ok(())
    })
}

fn bad(msg: &str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidInput, msg.to_owned())
}
