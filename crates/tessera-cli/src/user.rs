//! `tessera user …`: administrative changes that must not need an HTTP admin (there is none until
//! one is made: no default admin account exists after `migrate`).

use std::process::ExitCode;

use anyhow::Context;
use tessera_core::config::Config;
use tessera_core::model::UserPatch;
use tessera_core::plugins::admin::ROLE;

/// Sets a user's role (e.g. `admin`), found by email.
pub async fn set_role(cfg: &Config, email: &str, role: &str) -> anyhow::Result<ExitCode> {
    if !cfg.plugins.admin {
        anyhow::bail!("roles belong to the admin plugin: enable it (plugins = [\"admin\", …])");
    }
    let store = crate::serve::open_store(cfg).await?;
    let Some(user) = store
        .find_user_by_email(&email.to_lowercase())
        .await
        .context("cannot read users")?
    else {
        eprintln!("no user with that email");
        return Ok(ExitCode::from(1));
    };
    let patch = UserPatch::default().with(&ROLE, role);
    store
        .update_user(&user.id, &patch, tessera_core::timefmt::now_ms())
        .await
        .context("cannot update the user")?;
    eprintln!("user {} now has role {role}", user.id);
    Ok(ExitCode::SUCCESS)
}
