//! The latency floor for get-session: axum on the same runtime Tessera uses (multi-threaded tokio,
//! one worker per core, `axum::serve`), answering 200 with an empty body and touching nothing.
//! Whatever Tessera's p99 adds on top of this one's is Tessera's own cost.
//!
//! Usage: `empty-axum [ADDR]` (default 127.0.0.1:4300). Prints `listening on http://ADDR`.

use std::process::ExitCode;

async fn empty() {}

fn main() -> ExitCode {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:4300".to_owned());
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("empty-axum: cannot start the runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(serve(&addr)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("empty-axum: {e}");
            ExitCode::from(2)
        }
    }
}

async fn serve(addr: &str) -> std::io::Result<()> {
    let app = axum::Router::new().fallback(empty);
    let listener = tokio::net::TcpListener::bind(addr).await?;
    eprintln!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await
}
