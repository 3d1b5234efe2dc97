//! The Engine.IO echo server: `engineio-echo [--port 3000] [--host 127.0.0.1] [--front builtin|axum]`.

use test_servers::listen::{bad, Listen};

fn main() -> std::io::Result<()> {
    let mut listen = Listen::default();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args.next();
        if !listen.parse_flag(&arg, value.as_deref())? {
            return Err(bad(
                "usage: engineio-echo [--port N] [--host ADDR] [--front builtin|axum]",
            ));
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let server = test_servers::echo::start_on(&listen).await?;
        println!(
            "engine.io echo listening on http://{}/engine.io/ ({})",
            server.local_addr(),
            listen.front.name()
        );
        tokio::signal::ctrl_c().await?;
        server.shutdown().await;
        Ok(())
    })
}
