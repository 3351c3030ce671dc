//! `tessera dev`: the newcomer's one command. A development secret is generated once and kept in
//! `.tessera/dev-secret` (so sessions survive restarts), the SQLite database is migrated, the
//! bundled example Clerk export (`examples/clerk-export/`, passwords in `known_passwords.csv`
//! beside it) is imported — a rerun changes nothing — and the server starts.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;

const DEV_DIR: &str = ".tessera";
const EXAMPLE_EXPORT: &str = "examples/clerk-export";

fn dev_secret() -> anyhow::Result<String> {
    let path = Path::new(DEV_DIR).join("dev-secret");
    if let Ok(existing) = std::fs::read_to_string(&path) {
        let existing = existing.trim().to_owned();
        if existing.len() >= 32 {
            return Ok(existing);
        }
    }
    std::fs::create_dir_all(DEV_DIR).context("cannot create .tessera/")?;
    let secret = tessera_core::crypto::random::generate_secret_hex();
    std::fs::write(&path, &secret).context("cannot write .tessera/dev-secret")?;
    Ok(secret)
}

pub async fn run(config_path: Option<&Path>) -> anyhow::Result<ExitCode> {
    let defaults = vec![
        ("BETTER_AUTH_SECRET".to_owned(), dev_secret()?),
        (
            "TESSERA_DATABASE_URL".to_owned(),
            format!("sqlite://{DEV_DIR}/tessera.db"),
        ),
        (
            "TESSERA_PLUGINS".to_owned(),
            "admin,two-factor,username,phone-number".to_owned(),
        ),
    ];
    let cfg = crate::config::load(config_path, &defaults)?;
    if cfg.production {
        anyhow::bail!("`tessera dev` is for development; use `tessera serve` in production");
    }
    crate::serve::migrate(&cfg).await?;
    let example = Path::new(EXAMPLE_EXPORT);
    if example.join("exported_users.csv").exists() {
        let args = crate::import::ClerkArgs::example(example);
        let code = crate::import::clerk(&cfg, args).await?;
        eprintln!(
            "imported the example Clerk export ({code:?}); sign in as any user of {}/known_passwords.csv",
            example.display()
        );
    } else {
        eprintln!(
            "no {EXAMPLE_EXPORT}/ here: run from the repository root to import the example users"
        );
    }
    crate::serve::serve(cfg).await?;
    Ok(ExitCode::SUCCESS)
}
