//! Imports a generated export directory into a database and prints the summary and timing:
//! `cargo run --release -p tessera-import --example clerk_import -- <dir> <database-url> [--dry-run | --verify] [--batch N]`.
//! The database schema is created if missing. The auth secret comes from `BETTER_AUTH_SECRET`.

use std::path::Path;
use std::time::Instant;
use tessera_core::crypto::symmetric::Secrets;
use tessera_core::plugins::Plugins;
use tessera_import::clerk::apply::{ImportOptions, apply, dry_run};
use tessera_import::clerk::generate::{CSV_FILE, SNAPSHOT_FILE};
use tessera_import::clerk::join::Sources;
use tessera_import::clerk::plan::PlanOptions;
use tessera_import::clerk::verify::verify;
use tessera_store::OpenOptions;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = Path::new(args.first().map_or("clerk-export", String::as_str));
    let url = args
        .get(1)
        .map_or("sqlite://import-bench.db", String::as_str);
    let secret = std::env::var("BETTER_AUTH_SECRET")
        .unwrap_or_else(|_| "a-benchmark-secret-that-is-long-enough-0123".to_owned());
    let sources = Sources {
        export: dir.join(CSV_FILE),
        snapshot: Some(dir.join(SNAPSHOT_FILE)),
    };
    let mut options = ImportOptions::new(PlanOptions::new(Plugins::ALL));
    options.report = Some(dir.join("report.json"));
    options.extras = Some(dir.join("extras.ndjson"));
    if let Some(size) = args
        .iter()
        .position(|a| a == "--batch")
        .and_then(|i| args.get(i + 1))
    {
        options.batch_size = Some(size.parse()?);
    }
    let started = Instant::now();
    let summary = if args.iter().any(|a| a == "--dry-run") {
        dry_run(&sources, &options, Secrets::single(secret), &|_| {})?
    } else if args.iter().any(|a| a == "--verify") {
        let store = tessera_store::open(url, Plugins::ALL, OpenOptions::default()).await?;
        let summary = verify(
            &*store,
            &sources,
            &options,
            Secrets::single(secret),
            &|_| {},
        )
        .await?;
        println!("{summary}");
        println!("wall {:.2?}", started.elapsed());
        return Ok(());
    } else {
        let store = tessera_store::open(
            url,
            Plugins::ALL,
            OpenOptions {
                migrate: true,
                ..OpenOptions::default()
            },
        )
        .await?;
        apply(
            &*store,
            &sources,
            &options,
            Secrets::single(secret),
            &|_| {},
        )
        .await?
    };
    println!("{summary}");
    println!("wall {:.2?}", started.elapsed());
    Ok(())
}
