//! `tessera dev`: the newcomer's one command. A development secret is generated once and kept in
//! `.tessera/dev-secret` (so sessions survive restarts), the SQLite database is migrated, the
//! bundled example Clerk export (`examples/clerk-export/`, passwords in `known_passwords.csv`
//! beside it) is imported — a rerun changes nothing — and the server starts. Every plugin the
//! example needs is on, and email-otp with the outbox (`.tessera/outbox.jsonl`) as its sender, so
//! the example's users without a password sign in by emailed code: the import loses nothing.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use tessera_import::clerk::report::Summary;

const DEV_DIR: &str = ".tessera";
const EXAMPLE_EXPORT: &str = "examples/clerk-export";
const OUTBOX: &str = "outbox.jsonl";

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

/// One line on what importing the example did, in words a newcomer reads at a glance.
fn example_import_said(
    imported: Option<&Summary>,
    example: &Path,
    report: Option<&Path>,
) -> String {
    let Some(summary) = imported else {
        return "the example Clerk export was not imported (the error is above); the server \
                starts anyway"
            .to_owned();
    };
    let mut said = format!(
        "the example Clerk export: {} imported, {} already there from an earlier run",
        users(summary.users_inserted),
        users(summary.users_already_present)
    );
    if summary.users_rejected > 0 {
        said.push_str(&format!(", {} skipped", users(summary.users_rejected)));
        if let Some(report) = report {
            said.push_str(&format!(" (why: {})", report.display()));
        }
    }
    let o = &summary.organizations;
    if o.plugin_off {
        said.push_str("; its organizations were not imported (the organization plugin is off)");
    } else if o.organizations_inserted + o.organizations_already_present > 0 {
        said.push_str(&format!(
            "; {} organizations ({} new) with {} members",
            o.organizations_inserted + o.organizations_already_present,
            o.organizations_inserted,
            o.members_planned
        ));
    }
    said.push_str(&format!(
        "; sign in as any user of {}/known_passwords.csv",
        example.display()
    ));
    if summary.ways_in.email_code > 0 {
        said.push_str(&format!(
            ", or by a code sent to the email (email-otp; messages go to {DEV_DIR}/{OUTBOX})"
        ));
    }
    said
}

fn users(n: u64) -> String {
    if n == 1 {
        "1 user".to_owned()
    } else {
        format!("{n} users")
    }
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
            "admin,two-factor,username,phone-number,organization,email-otp".to_owned(),
        ),
    ];
    let mut cfg = crate::config::load(config_path, &defaults)?;
    // Without a config file, the example's custom organization roles get what they need.
    if config_path.is_none() && !Path::new("tessera.toml").exists() && cfg.plugins.organization {
        cfg.organization.dynamic_access_control.enabled = true;
    }
    // The example's users without a password sign in by emailed code: with no sender configured,
    // the codes land in the outbox file.
    if cfg.outbox_path.is_none() && cfg.webhook_url.is_none() && cfg.smtp.is_none() {
        cfg.outbox_path = Some(format!("{DEV_DIR}/{OUTBOX}"));
    }
    if cfg.production {
        anyhow::bail!("`tessera dev` is for development; use `tessera serve` in production");
    }
    crate::serve::migrate(&cfg).await?;
    let example = Path::new(EXAMPLE_EXPORT);
    if example.join("exported_users.csv").exists() {
        let args = crate::import::ClerkArgs::example(example);
        let report = args.report.clone();
        let outcome = crate::import::clerk_outcome(&cfg, args).await?;
        eprintln!(
            "{}",
            example_import_said(outcome.imported.as_ref(), example, report.as_deref())
        );
    } else {
        eprintln!(
            "no {EXAMPLE_EXPORT}/ here: run from the repository root to import the example users"
        );
    }
    crate::serve::serve(cfg).await?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn summary(inserted: u64, present: u64, rejected: u64) -> Summary {
        Summary {
            users_inserted: inserted,
            users_already_present: present,
            users_rejected: rejected,
            ..Summary::default()
        }
    }

    const EXAMPLE: &str = "examples/clerk-export";

    #[test]
    fn a_first_run_says_how_many_users_were_imported() {
        let said = example_import_said(Some(&summary(76, 0, 0)), Path::new(EXAMPLE), None);
        assert_eq!(
            said,
            "the example Clerk export: 76 users imported, 0 users already there from an earlier \
             run; sign in as any user of examples/clerk-export/known_passwords.csv"
        );
    }

    #[test]
    fn a_rerun_says_the_users_were_already_there() {
        let said = example_import_said(Some(&summary(0, 76, 0)), Path::new(EXAMPLE), None);
        assert!(
            said.contains("0 users imported, 76 users already there"),
            "{said}"
        );
    }

    #[test]
    fn skipped_users_point_at_the_report() {
        let report = Path::new(".tessera/example-import-report.json");
        let said = example_import_said(Some(&summary(70, 0, 1)), Path::new(EXAMPLE), Some(report));
        assert!(
            said.contains("70 users imported")
                && said.contains("1 user skipped (why: .tessera/example-import-report.json)"),
            "{said}"
        );
    }

    #[test]
    fn the_organizations_are_said_when_there_are_some() {
        let mut s = summary(76, 0, 0);
        s.organizations.organizations_inserted = 11;
        s.organizations.members_planned = 30;
        let said = example_import_said(Some(&s), Path::new(EXAMPLE), None);
        assert!(
            said.contains("76 users imported")
                && said.contains("11 organizations (11 new) with 30 members"),
            "{said}"
        );
        s.organizations.plugin_off = true;
        let said = example_import_said(Some(&s), Path::new(EXAMPLE), None);
        assert!(said.contains("organization plugin is off"), "{said}");
    }

    #[test]
    fn a_failed_import_says_so_and_no_debug_output_leaks() {
        let said = example_import_said(None, Path::new(EXAMPLE), None);
        assert!(said.contains("was not imported"), "{said}");
        for said in [
            said,
            example_import_said(Some(&summary(3, 0, 0)), Path::new(EXAMPLE), None),
        ] {
            assert!(!said.contains("ExitCode("), "{said}");
        }
    }
}
