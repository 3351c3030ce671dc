//! `--verify`: plans the import again and compares every planned row with the database, reporting
//! what differs by Clerk id and by column name (never values). Read-only. The database rows of a
//! batch are read in a few queries ([`Store::find_imported_rows`]), never one query per user.
//!
//! With the config's [`Access`](super::access::Access) given, a user also differs when a way in it
//! had at Clerk is not offered here ([`not_offered`]): its password while password sign-in is
//! off, an OAuth provider not configured, or its only emailed or texted code.
//!
//! Users in the database that the export does not mention are not looked for: the store offers no
//! listing, and a database that already served sign-ups legitimately has such users.

use super::access::{Access, not_offered};
use super::apply::{ImportError, ImportOptions, Progress, spawn_planner};
use super::issue::{Issue, IssueKind, Location, Severity};
use super::join::Sources;
use super::plan::UserPlan;
use super::report::{ExitStatus, ReportWriter, Summary};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::time::Instant;
use tessera_core::crypto::symmetric::Secrets;
use tessera_core::model::{Account, TwoFactor, User};
use tessera_core::plugins::admin::AdminUser;
use tessera_core::plugins::phone_number::PhoneNumberUser;
use tessera_core::plugins::two_factor::TwoFactorUser;
use tessera_core::plugins::username::UsernameUser;
use tessera_store::{ImportedRows, Store};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct VerifySummary {
    pub users_checked: u64,
    pub users_matching: u64,
    pub users_differing: u64,
    /// Users the plan itself rejects (so they are rightly absent); see the report.
    pub plan_rejects: u64,
    pub differences: BTreeMap<IssueKind, u64>,
    /// Organizations compared (when their file was given and the plugin is on).
    pub organizations: super::org_apply::OrgVerifyCounts,
    pub elapsed_ms: u64,
}

impl VerifySummary {
    pub fn exit_status(&self) -> ExitStatus {
        if self.users_differing > 0 || self.organizations.organizations_differing > 0 {
            ExitStatus::Rejected
        } else {
            ExitStatus::Success
        }
    }
}

impl fmt::Display for VerifySummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Verification (source vs database):")?;
        writeln!(f, "  users checked        {:>10}", self.users_checked)?;
        writeln!(f, "    as planned         {:>10}", self.users_matching)?;
        writeln!(f, "    differing          {:>10}", self.users_differing)?;
        writeln!(f, "  rejected by the plan {:>10}", self.plan_rejects)?;
        let o = &self.organizations;
        if o.organizations_checked > 0 {
            writeln!(f, "  organizations checked{:>10}", o.organizations_checked)?;
            writeln!(f, "    as planned         {:>10}", o.organizations_matching)?;
            writeln!(
                f,
                "    differing          {:>10}",
                o.organizations_differing
            )?;
        }
        if !self.differences.is_empty() {
            writeln!(f, "Differences by kind:")?;
            for (kind, n) in &self.differences {
                writeln!(f, "  {:<34} {:>10}", kind.name(), n)?;
            }
        }
        write!(f, "Took {:.1} s.", self.elapsed_ms as f64 / 1000.0)
    }
}

/// Users compared per round of bulk reads.
const VERIFY_BATCH_SIZE: usize = 10_000;

/// Compares the planned import with the database.
pub async fn verify(
    store: &dyn Store,
    sources: &Sources,
    options: &ImportOptions,
    secrets: Secrets,
    progress: &(dyn Fn(Progress) + Send + Sync),
) -> Result<VerifySummary, ImportError> {
    let started = Instant::now();
    let two_factor = options.plan.plugins.two_factor;
    let batch_size = options.batch_size.unwrap_or(VERIFY_BATCH_SIZE).max(1);
    let mut planning = spawn_planner(sources, options, batch_size, secrets).await?;
    let mut report = ReportWriter::create(options.report.as_deref())?;
    let mut summary = VerifySummary::default();
    let mut outcome = Ok(());
    while let Some(batch) = planning.batches.recv().await {
        for issue in batch.issues.iter().filter(|i| i.is_reject()) {
            summary.plan_rejects += 1;
            report.write(issue)?;
        }
        let ids: Vec<&str> = batch.users.iter().map(|p| p.clerk_id.as_str()).collect();
        let stored = match store.find_imported_rows(&ids).await {
            Ok(rows) => Stored::index(rows),
            Err(e) => {
                outcome = Err(ImportError::Store(e));
                break;
            }
        };
        for plan in &batch.users {
            let mut differences = compare(&stored, plan, two_factor);
            if let Some(access) = &options.access {
                differences.extend(way_in_not_offered(plan, access));
            }
            summary.users_checked += 1;
            if differences.is_empty() {
                summary.users_matching += 1;
            } else {
                summary.users_differing += 1;
            }
            for issue in &differences {
                *summary.differences.entry(issue.kind).or_insert(0) += 1;
                report.write(issue)?;
            }
        }
        progress(Progress {
            users: summary.users_checked + summary.plan_rejects,
            issues: summary.users_differing,
            bytes_read: batch.bytes_read,
            bytes_total: batch.bytes_total,
        });
    }
    let planned = planning.finish().await;
    outcome?;
    planned?;
    if let Some(org_options) = &options.organizations
        && options.plan.plugins.organization
    {
        summary.organizations = super::org_apply::verify_organizations(
            store,
            org_options,
            &mut report,
            &mut summary.differences,
        )
        .await?;
    }
    summary.elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    // The JSON report's summary block is the import summary's shape; differences count as warnings.
    let mut as_import = Summary {
        dry_run: true,
        users_planned: summary.users_checked,
        users_rejected: summary.plan_rejects,
        elapsed_ms: summary.elapsed_ms,
        ..Summary::default()
    };
    as_import.warnings = summary.differences.clone();
    report.finish(&as_import)?;
    Ok(summary)
}

/// The ways in this user had at Clerk that the config does not offer, as one difference.
fn way_in_not_offered(plan: &UserPlan, access: &Access) -> Option<Issue> {
    let missing = not_offered(&plan.reach, access);
    (!missing.is_empty()).then(|| {
        Issue::new(
            IssueKind::WayInNotOffered,
            format!(
                "had at Clerk, not offered by this config: {}",
                missing.join(", ")
            ),
        )
        .user(&plan.clerk_id)
        .at(plan.location)
    })
}

/// A batch's database rows by user id.
struct Stored {
    users: HashMap<String, User>,
    accounts: HashMap<String, Vec<Account>>,
    two_factors: HashMap<String, TwoFactor>,
}

impl Stored {
    fn index(rows: ImportedRows) -> Stored {
        let mut accounts: HashMap<String, Vec<Account>> = HashMap::new();
        for account in rows.accounts {
            accounts
                .entry(account.user_id.clone())
                .or_default()
                .push(account);
        }
        Stored {
            users: rows.users.into_iter().map(|u| (u.id.clone(), u)).collect(),
            accounts,
            two_factors: rows
                .two_factors
                .into_iter()
                .map(|t| (t.user_id.clone(), t))
                .collect(),
        }
    }
}

/// The differences between one planned user and its rows in the database.
fn compare(stored_rows: &Stored, plan: &UserPlan, two_factor: bool) -> Vec<Issue> {
    let difference = |kind: IssueKind, detail: String| {
        debug_assert_eq!(kind.severity(), Severity::Difference);
        Issue::new(kind, detail)
            .user(&plan.clerk_id)
            .at(Some(Location::database()))
    };
    let Some(stored) = stored_rows.users.get(&plan.clerk_id) else {
        return vec![difference(
            IssueKind::UserMissing,
            "the user is not in the database".to_owned(),
        )];
    };
    let mut differences = Vec::new();
    let columns = differing_columns(&plan.user, stored, plan.dated_by_clerk);
    if !columns.is_empty() {
        differences.push(difference(
            IssueKind::UserDiffers,
            format!("columns differ: {}", columns.join(", ")),
        ));
    }
    let accounts: &[Account] = stored_rows
        .accounts
        .get(&plan.clerk_id)
        .map_or(&[], Vec::as_slice);
    for planned in &plan.accounts {
        match accounts.iter().find(|a| a.id == planned.id) {
            None => differences.push(difference(
                IssueKind::AccountMissing,
                format!("the {} account is not in the database", planned.provider_id),
            )),
            Some(account) => {
                let columns = differing_account_columns(planned, account);
                if !columns.is_empty() {
                    differences.push(difference(
                        IssueKind::AccountDiffers,
                        format!(
                            "the {} account differs: {}",
                            planned.provider_id,
                            columns.join(", ")
                        ),
                    ));
                }
            }
        }
    }
    if two_factor {
        match (
            &plan.two_factor,
            stored_rows.two_factors.get(&plan.clerk_id),
        ) {
            (Some(_), None) => differences.push(difference(
                IssueKind::TwoFactorMissing,
                "the twoFactor row is not in the database".to_owned(),
            )),
            (None, Some(_)) => differences.push(difference(
                IssueKind::TwoFactorUnexpected,
                "the database has a twoFactor row the export does not".to_owned(),
            )),
            _ => {}
        }
    }
    differences
}

fn differing_columns(planned: &User, stored: &User, dated: bool) -> Vec<&'static str> {
    let mut columns = Vec::new();
    let mut check = |name: &'static str, same: bool| {
        if !same {
            columns.push(name);
        }
    };
    check("email", planned.email == stored.email);
    check(
        "emailVerified",
        planned.email_verified == stored.email_verified,
    );
    check("name", planned.name == stored.name);
    check("image", planned.image == stored.image);
    check(
        "createdAt",
        !dated || planned.created_at == stored.created_at,
    );
    check("role", planned.role() == stored.role());
    check("banned", planned.banned() == stored.banned());
    check("banExpires", planned.ban_expires() == stored.ban_expires());
    check(
        "twoFactorEnabled",
        planned.two_factor_enabled() == stored.two_factor_enabled(),
    );
    check("username", planned.username() == stored.username());
    check(
        "displayUsername",
        planned.display_username() == stored.display_username(),
    );
    check(
        "phoneNumber",
        planned.phone_number() == stored.phone_number(),
    );
    check(
        "phoneNumberVerified",
        planned.phone_number_verified() == stored.phone_number_verified(),
    );
    columns
}

fn differing_account_columns(planned: &Account, stored: &Account) -> Vec<&'static str> {
    let mut columns = Vec::new();
    let mut check = |name: &'static str, same: bool| {
        if !same {
            columns.push(name);
        }
    };
    check("userId", planned.user_id == stored.user_id);
    check("providerId", planned.provider_id == stored.provider_id);
    check("accountId", planned.account_id == stored.account_id);
    check("scope", planned.scope == stored.scope);
    // A password that differs was changed, or rehashed at sign-in, after the import.
    check("password", planned.password == stored.password);
    columns
}
