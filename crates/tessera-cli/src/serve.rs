//! `tessera serve` and `tessera migrate`.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use tessera_core::config::Config;

/// How long a request waits for a database connection. sqlx keeps retrying a refused connection
/// until this passes, so while the database is down it is also how long a request waits for its
/// 500: short enough that a client gets an answer, long enough that a busy pool never trips it.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

pub async fn open_store(cfg: &Config) -> anyhow::Result<std::sync::Arc<dyn tessera_store::Store>> {
    tessera_store::open(
        &cfg.database_url,
        cfg.schema(),
        tessera_store::OpenOptions {
            acquire_timeout: ACQUIRE_TIMEOUT,
            ..tessera_store::OpenOptions::default()
        },
    )
    .await
    .with_context(|| format!("cannot open the database {}", redact(&cfg.database_url)))
}

pub async fn migrate(cfg: &Config) -> anyhow::Result<()> {
    let report = tessera_store::migrate(&cfg.database_url, cfg.schema())
        .await
        .with_context(|| format!("cannot migrate {}", redact(&cfg.database_url)))?;
    eprintln!("{report}");
    Ok(())
}

pub async fn serve(cfg: Config) -> anyhow::Result<()> {
    let store = open_store(&cfg).await?;
    let listen = cfg.listen.clone();
    let base_url = cfg.base_url.clone();
    let client_rule = client_rule(&cfg);
    let state = tessera_server::AppState::new(cfg, store).map_err(anyhow::Error::msg)?;
    let app = tessera_server::app(state);
    let listener = tokio::net::TcpListener::bind(&listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let local = listener.local_addr()?;
    eprintln!("listening on http://{local} (base URL {base_url})");
    eprintln!("{client_rule}");
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await?;
    Ok(())
}

/// Which address the rate limiter counts, said once at start so that a deployment behind a
/// proxy outside the trusted ranges notices that all its clients share one address.
fn client_rule(cfg: &Config) -> String {
    let limiter = if cfg.rate_limit.enabled {
        format!(
            "rate limiter on (at most {} counters)",
            cfg.rate_limit.max_entries
        )
    } else {
        "rate limiter off".to_owned()
    };
    format!("{limiter}; {}", cfg.client_address.describe())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

/// A database URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_owned(),
    }
}
