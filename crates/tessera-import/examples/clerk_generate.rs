//! Generates a Clerk export and reports how long it took:
//! `cargo run --release -p tessera-import --example clerk_generate -- <users> <dir>`.

use std::time::Instant;
use tessera_import::clerk::generate::{GenerateOptions, generate_to_dir};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let users: u64 = args.next().as_deref().unwrap_or("1000").parse()?;
    let dir = args.next().unwrap_or_else(|| "clerk-export".to_owned());
    let started = Instant::now();
    let (paths, stats) = generate_to_dir(&GenerateOptions::bench(users), dir.as_ref())?;
    println!(
        "{} export records, {} snapshot users in {:.2?} ({})",
        stats.export_records,
        stats.snapshot_users,
        started.elapsed(),
        paths.csv.display()
    );
    Ok(())
}
