//! `tessera import clerk`: one command from a Clerk export to users who sign in on Tessera.
//! Every step is a `tessera_import::clerk` call; this file only reads flags, draws progress and
//! maps the outcome to the exit code (0 all imported, 1 some rows rejected, 2 usage or refusal).
//!
//! Before writing, the export is planned once under the config to see what it would lose
//! (usernames, phones, TOTP, bans, organizations, users left with no way in); a loss not accepted
//! with `--allow-loss` refuses the import, which then writes nothing.

use std::collections::BTreeSet;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::Instant;

use tessera_core::config::Config;
use tessera_import::clerk::access::Access;
use tessera_import::clerk::api::{ApiOptions, fetch_organizations, fetch_snapshot};
use tessera_import::clerk::apply::{self, ImportOptions, Progress};
use tessera_import::clerk::join::Sources;
use tessera_import::clerk::loss::{Loss, LossKind, losses};
use tessera_import::clerk::org_plan::OrgOptions;
use tessera_import::clerk::org_snapshot::organizations_path;
use tessera_import::clerk::plan::PlanOptions;
use tessera_import::clerk::report::Summary;
use tessera_import::clerk::verify;

#[derive(clap::Args, Debug)]
pub struct ClerkArgs {
    /// The dashboard export (`exported_users.csv`) or a legacy support export (CSV or JSON).
    #[arg(long)]
    pub csv: PathBuf,
    /// A saved Backend API listing (JSON array of user objects), read as a stream.
    #[arg(long, conflicts_with = "clerk_secret_key")]
    pub snapshot: Option<PathBuf>,
    /// Read the Backend API live; what it returns is saved as a snapshot for reruns.
    #[arg(long, env = "CLERK_SECRET_KEY", hide_env_values = true)]
    pub clerk_secret_key: Option<String>,
    /// Overrides Clerk's API address (tests, proxies).
    #[arg(long)]
    pub clerk_api_url: Option<String>,
    /// Where the live API's users are saved (default: next to the CSV, `clerk-snapshot.json`).
    #[arg(long)]
    pub save_snapshot: Option<PathBuf>,
    /// Print the plan (counts, rejects and warnings by kind, ways in, and what this config would
    /// lose) and write nothing. Exit code 2 when the import would refuse.
    #[arg(long, conflicts_with = "verify")]
    pub dry_run: bool,
    /// Reconcile the source with the database and print what differs; writes nothing. A user
    /// also differs when a way in it had at Clerk is not offered by this config (its password
    /// while password sign-in is off, an OAuth provider not in `[social.*]`, or its only
    /// emailed or texted code).
    #[arg(long)]
    pub verify: bool,
    /// Import although this config loses these, comma-separated: `usernames` (plugin username
    /// off), `phones` (phone-number off), `totp` (two-factor off), `bans` (admin off: banned
    /// users are left out), `organizations` (organization off), `no-way-in` (users left with
    /// nothing to sign in with). Without it, an import that would lose any of them refuses
    /// (exit code 2), lists each loss with its count and the config that keeps it, and writes
    /// nothing.
    #[arg(long, value_delimiter = ',', value_name = "KIND,…")]
    pub allow_loss: Vec<LossKind>,
    /// Every reject and warning by Clerk id with its reason (`.csv` for CSV, else JSON).
    #[arg(long)]
    pub report: Option<PathBuf>,
    /// What Better Auth's tables cannot hold (external_id, metadata, extra emails and phones),
    /// one JSON object per line. Default: next to the CSV, `clerk-extras.ndjson`.
    #[arg(long)]
    pub extras: Option<PathBuf>,
    /// Users per transaction (default: 50,000 on SQLite, 10,000 on PostgreSQL).
    #[arg(long)]
    pub batch_size: Option<usize>,
    /// Import even when the snapshot's users do not look like the CSV's.
    #[arg(long)]
    pub allow_snapshot_mismatch: bool,
    /// Leave Clerk's organizations out: neither fetched with `--clerk-secret-key` nor imported
    /// from the snapshot's side file (`<snapshot>.organizations.ndjson`).
    #[arg(long)]
    pub no_organizations: bool,
}

impl ClerkArgs {
    /// The bundled example export in `dir` (CSV and snapshot), report and extras in `.tessera/`.
    pub fn example(dir: &std::path::Path) -> ClerkArgs {
        ClerkArgs {
            csv: dir.join("exported_users.csv"),
            snapshot: Some(dir.join("users.json")),
            clerk_secret_key: None,
            clerk_api_url: None,
            save_snapshot: None,
            dry_run: false,
            verify: false,
            report: Some(PathBuf::from(".tessera/example-import-report.json")),
            extras: Some(PathBuf::from(".tessera/example-import-extras.ndjson")),
            batch_size: None,
            allow_snapshot_mismatch: false,
            no_organizations: false,
            allow_loss: Vec::new(),
        }
    }
}

pub async fn clerk(cfg: &Config, args: ClerkArgs) -> anyhow::Result<ExitCode> {
    let outcome = clerk_outcome(cfg, args).await?;
    Ok(ExitCode::from(outcome.exit_code))
}

/// What one `tessera import clerk` did, for callers that say it in their own words (`tessera dev`).
pub struct Outcome {
    /// 0 all imported, 1 some rows rejected, 2 usage or refusal.
    pub exit_code: u8,
    /// The counts of an import that ran (neither a dry run, nor `--verify`, nor a refusal).
    pub imported: Option<Summary>,
}

pub async fn clerk_outcome(cfg: &Config, args: ClerkArgs) -> anyhow::Result<Outcome> {
    let secrets = cfg.encryption_secrets()?;
    let beside_csv = |name: &str| {
        args.csv
            .parent()
            .map(|p| p.join(name))
            .unwrap_or_else(|| PathBuf::from(name))
    };
    let snapshot = match (&args.snapshot, &args.clerk_secret_key) {
        (Some(path), _) => Some(path.clone()),
        (None, Some(key)) => {
            let out = args
                .save_snapshot
                .clone()
                .unwrap_or_else(|| beside_csv("clerk-snapshot.json"));
            let mut options = ApiOptions::for_key(key);
            if let Some(url) = &args.clerk_api_url {
                options.base_url = url.clone();
            }
            let fetched = fetch_snapshot(key, &options, &out, &|n| {
                eprint!("\rfetched {n} users from the Clerk API");
            })
            .await;
            eprintln!();
            match fetched {
                Ok(summary) => eprintln!("{summary}"),
                Err(e) => {
                    eprintln!("error: the Clerk API: {e}");
                    return Ok(Outcome {
                        exit_code: 2,
                        imported: None,
                    });
                }
            }
            if !args.no_organizations {
                let orgs_out = organizations_path(&out);
                let fetched = fetch_organizations(key, &options, &orgs_out, &|n| {
                    eprint!("\rfetched {n} organizations from the Clerk API");
                })
                .await;
                eprintln!();
                match fetched {
                    Ok(summary) => eprintln!("{summary}"),
                    Err(e) => {
                        eprintln!(
                            "error: the Clerk API, listing organizations: {e}\n\
                             (the users are saved in {}: rerun with `--snapshot` to retry, \
                             adding `--no-organizations` to import the users alone)",
                            out.display()
                        );
                        return Ok(Outcome {
                            exit_code: 2,
                            imported: None,
                        });
                    }
                }
            }
            Some(out)
        }
        (None, None) => None,
    };
    // Organizations fetched with the users (now or on an earlier run) sit beside the snapshot; a
    // snapshot without them imports users only.
    let organizations = snapshot
        .as_deref()
        .filter(|_| !args.no_organizations)
        .map(organizations_path)
        .filter(|path| path.exists())
        .map(|path| OrgOptions::from_config(path, &cfg.organization));
    let sources = Sources {
        export: args.csv.clone(),
        snapshot,
    };
    let mut plan = PlanOptions::new(cfg.plugins);
    plan.passwords = cfg.verify_context();
    let mut options = ImportOptions::new(plan);
    options.batch_size = args.batch_size;
    options.report = args.report.clone();
    options.allow_snapshot_mismatch = args.allow_snapshot_mismatch;
    options.organizations = organizations;
    options.access = Some(Access::from_config(cfg));
    let allowed: BTreeSet<LossKind> = args.allow_loss.iter().copied().collect();
    if !args.dry_run && !args.verify {
        options.extras = Some(
            args.extras
                .clone()
                .unwrap_or_else(|| beside_csv("clerk-extras.ndjson")),
        );
    }
    let progress = ProgressLine::new();
    let report = |p: Progress| progress.show(p);
    let mut imported = None;

    let code = if args.dry_run {
        match apply::dry_run(&sources, &options, secrets, &report) {
            Ok(summary) => {
                progress.finish();
                println!("dry run: nothing was written\n{summary}");
                if print_losses(&losses(&summary), &allowed) {
                    2
                } else {
                    summary.exit_status().code()
                }
            }
            Err(e) => {
                progress.finish();
                eprintln!("error: {e}");
                2
            }
        }
    } else if !args.verify
        && let Some(code) = refuse_losses(cfg, &sources, &options, &allowed, &progress)?
    {
        code
    } else {
        let store = crate::serve::open_store(cfg).await?;
        if args.verify {
            match verify::verify(&*store, &sources, &options, secrets, &report).await {
                Ok(summary) => {
                    progress.finish();
                    println!("{summary}");
                    summary.exit_status().code()
                }
                Err(e) => {
                    progress.finish();
                    eprintln!("error: {e}");
                    2
                }
            }
        } else {
            match apply::apply(&*store, &sources, &options, secrets, &report).await {
                Ok(summary) => {
                    progress.finish();
                    println!("{summary}");
                    print_losses(&losses(&summary), &allowed);
                    let code = summary.exit_status().code();
                    imported = Some(summary);
                    code
                }
                Err(e) => {
                    progress.finish();
                    eprintln!("error: {e}");
                    2
                }
            }
        }
    };
    Ok(Outcome {
        exit_code: u8::try_from(code).unwrap_or(2),
        imported,
    })
}

/// Plans the whole export without writing, to see what this config would lose. `Some(2)` when
/// a loss is not accepted (the list is printed) or planning fails; `None` to go on and import.
/// Skipped when every kind is accepted: it costs a planning pass.
fn refuse_losses(
    cfg: &Config,
    sources: &Sources,
    options: &ImportOptions,
    allowed: &BTreeSet<LossKind>,
    progress: &ProgressLine,
) -> anyhow::Result<Option<i32>> {
    if LossKind::ALL.iter().all(|k| allowed.contains(k)) {
        return Ok(None);
    }
    let mut survey = options.clone();
    survey.report = None;
    survey.extras = None;
    eprintln!("checking what this config keeps of the export (nothing is written yet)");
    let report = |p: Progress| progress.show(p);
    let summary = match apply::dry_run(sources, &survey, cfg.encryption_secrets()?, &report) {
        Ok(summary) => summary,
        Err(e) => {
            progress.finish();
            eprintln!("error: {e}");
            return Ok(Some(2));
        }
    };
    progress.finish();
    if print_losses(&losses(&summary), allowed) {
        eprintln!(
            "error: refused: this config would lose what is listed above, and nothing was \
             written. Change the config (then `tessera migrate`) or accept the losses with \
             `--allow-loss <kind>,…`."
        );
        return Ok(Some(2));
    }
    Ok(None)
}

/// Prints each loss, accepted or not, with its count and the config that keeps it (numbers and
/// provider ids only). True when one is not accepted.
fn print_losses(found: &[Loss], allowed: &BTreeSet<LossKind>) -> bool {
    let (accepted, refused): (Vec<&Loss>, Vec<&Loss>) =
        found.iter().partition(|l| allowed.contains(&l.kind));
    if !refused.is_empty() {
        println!("Would be lost under this config (not accepted):");
        for loss in &refused {
            println!("  {loss}");
        }
        let kinds: Vec<&str> = refused.iter().map(|l| l.kind.name()).collect();
        println!(
            "To import anyway, accept them: --allow-loss {}",
            kinds.join(",")
        );
    }
    if !accepted.is_empty() {
        println!("Lost under this config (accepted with --allow-loss):");
        for loss in &accepted {
            println!("  {loss}");
        }
    }
    !refused.is_empty()
}

/// A progress bar with rate and ETA on a terminal; a plain line every few seconds otherwise.
struct ProgressLine {
    started: Instant,
    last: Mutex<Option<Instant>>,
    terminal: bool,
}

impl ProgressLine {
    fn new() -> ProgressLine {
        ProgressLine {
            started: Instant::now(),
            last: Mutex::new(None),
            terminal: std::io::stderr().is_terminal(),
        }
    }

    fn show(&self, p: Progress) {
        let every = if self.terminal { 0.1 } else { 5.0 };
        let Ok(mut last) = self.last.lock() else {
            return;
        };
        if last.is_some_and(|t| t.elapsed().as_secs_f64() < every) {
            return;
        }
        *last = Some(Instant::now());
        let elapsed = self.started.elapsed().as_secs_f64().max(0.001);
        let rate = p.users as f64 / elapsed;
        let fraction = if p.bytes_total > 0 {
            (p.bytes_read as f64 / p.bytes_total as f64).min(1.0)
        } else {
            0.0
        };
        let eta = if fraction > 0.0 {
            format!("{:.0}s", elapsed * (1.0 - fraction) / fraction)
        } else {
            "?".to_owned()
        };
        if self.terminal {
            let width = 30usize;
            let filled = ((fraction * width as f64) as usize).min(width);
            eprint!(
                "\r[{}{}] {:>3.0}% {} users, {} issues, {:.0}/s, ETA {eta}   ",
                "#".repeat(filled),
                "-".repeat(width - filled),
                fraction * 100.0,
                p.users,
                p.issues,
                rate
            );
            let _ = std::io::stderr().flush();
        } else {
            eprintln!(
                "progress: {:.0}% {} users, {} issues, {:.0} users/s, ETA {eta}",
                fraction * 100.0,
                p.users,
                p.issues,
                rate
            );
        }
    }

    fn finish(&self) {
        if self.terminal {
            eprintln!();
        }
    }
}
