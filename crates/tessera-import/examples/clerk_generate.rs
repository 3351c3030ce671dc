//! Generates a Clerk export and reports how long it took:
//! `cargo run --release -p tessera-import --example clerk_generate -- <users> <dir> [--hostile]`.
//! `--hostile` makes the kind of export the crash soak imports (`bench/import-crash-soak.sh`, which
//! uses `tessera example clerk-export --hostile`): every edge case and fault kind, spread through
//! the file, saved with a BOM and CRLF.

use std::time::Instant;
use tessera_import::clerk::generate::{GenerateOptions, generate_to_dir};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let hostile = args.iter().any(|a| a == "--hostile");
    let mut positional = args.iter().filter(|a| !a.starts_with("--"));
    let users: u64 = positional.next().map_or("1000", String::as_str).parse()?;
    let dir = positional.next().map_or("clerk-export", String::as_str);
    let options = if hostile {
        GenerateOptions::hostile(users)
    } else {
        GenerateOptions::bench(users)
    };
    let started = Instant::now();
    let (paths, stats) = generate_to_dir(&options, dir.as_ref())?;
    println!(
        "{} export records, {} snapshot users in {:.2?} ({})",
        stats.export_records,
        stats.snapshot_users,
        started.elapsed(),
        paths.csv.display()
    );
    println!(
        "expected: {} users, {} rejects, {} password accounts, {} OAuth accounts, {} two-factor",
        stats.expected_users,
        stats.expected_rejects,
        stats.expected_credential_accounts,
        stats.expected_oauth_accounts,
        stats.expected_two_factors
    );
    Ok(())
}
