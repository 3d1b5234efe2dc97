//! The interop server (see `test_servers::interop`): `socketio-interop [--port 3000]
//! [--host 127.0.0.1] [--front builtin|axum] [--tls-cert FILE --tls-key FILE]`.

use test_servers::listen::{bad, Listen};

fn main() -> std::io::Result<()> {
    let mut listen = Listen::default();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args.next();
        if !listen.parse_flag(&arg, value.as_deref())? {
            return Err(bad(
                "usage: socketio-interop [--port N] [--host ADDR] [--front builtin|axum] [--tls-cert FILE --tls-key FILE]",
            ));
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let server = test_servers::interop::start_on(&listen).await?;
        println!(
            "socket.io interop server on {}://{}/socket.io/ ({})",
            listen.scheme(),
            server.local_addr(),
            listen.front.name()
        );
        tokio::signal::ctrl_c().await?;
        server.shutdown().await;
        Ok(())
    })
}
