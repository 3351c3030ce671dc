//! Writing the plan into the database, and the dry run that only plans.
//!
//! One thread reads and plans (CSV, snapshot, crypto); the caller's task writes batches through
//! [`Store::insert_import_batch`], one transaction each; a bounded channel between them keeps
//! memory flat and both cores busy. No per-user query on the write path: users a batch did not
//! insert are looked up in bulk ([`Store::existing_user_ids`]), and only those that are not there
//! at all (they hold a value another user has: a conflict) are explained one by one.
//!
//! Idempotent and resumable: users keep their Clerk ids and every other row id is derived from the
//! Clerk id ([`super::ids`]); the store skips rows that exist and, in the same transaction, the
//! rows of users it skipped. So a rerun inserts nothing, and a rerun after a crash at any point
//! inserts exactly what the crash lost: a batch is written entirely or not at all.

use super::access::{Access, Reach, WaysInCounts};
use super::extras::{Extras, ExtrasWriter};
use super::fingerprint::{FingerprintSet, Fingerprinter};
use super::issue::{Issue, IssueKind, Location};
use super::join::{JoinError, Planner, Sources, Step};
use super::org_plan::OrgOptions;
use super::plan::{PlanOptions, UserPlan};
use super::report::{ExitStatus, ReportWriter, Summary};
use futures::StreamExt;
use std::collections::{HashMap, HashSet};
use std::io;
use std::path::PathBuf;
use std::time::Instant;
use tessera_core::crypto::symmetric::Secrets;
use tessera_core::model::{CREDENTIAL_PROVIDER, User};
use tessera_core::plugins::phone_number::PHONE_NUMBER;
use tessera_core::plugins::phone_number::PhoneNumberUser;
use tessera_core::plugins::username::USERNAME;
use tessera_core::plugins::username::UsernameUser;
use tessera_store::{BatchOutcome, Dialect, ImportBatch, Store, StoreError};

/// Users per transaction on SQLite. A commit writes every page the batch touched to the WAL, and
/// the unique indexes (id, email, username, phone) take their keys in random order, so a batch of
/// 10,000 users out of a million touches half of each index's pages: fewer, larger commits write
/// far less (measured on 1M users: 32 s at 10,000, 26 s at 50,000).
pub const SQLITE_BATCH_SIZE: usize = 50_000;
/// Users per transaction on PostgreSQL, whose commit does not rewrite index pages.
pub const POSTGRES_BATCH_SIZE: usize = 10_000;
const FIRST_BATCH_SIZE: usize = 1_000;
/// Planned users waiting for the writer, in whole batches (at least one): about 1.6 KB each, so
/// this bounds what the queue holds whatever the batch size.
const USERS_AHEAD: usize = 40_000;
/// Concurrent lookups when explaining users a batch did not insert.
const LOOKUPS_IN_FLIGHT: usize = 16;

#[derive(Debug, Clone)]
pub struct ImportOptions {
    pub plan: PlanOptions,
    /// Import even if the snapshot seems to belong to another Clerk instance.
    pub allow_snapshot_mismatch: bool,
    /// Users per transaction; `None` picks the store's ([`SQLITE_BATCH_SIZE`],
    /// [`POSTGRES_BATCH_SIZE`]).
    pub batch_size: Option<usize>,
    /// Report file (`.csv` or JSON) listing every reject and warning.
    pub report: Option<PathBuf>,
    /// Side file of what Better Auth cannot hold (see [`super::extras`]). Not written by a dry run.
    pub extras: Option<PathBuf>,
    /// The organizations to import after the users (see [`super::org_apply`]); written only when
    /// `plan.plugins.organization` is on, else reported as not imported.
    pub organizations: Option<OrgOptions>,
    /// What the config offers to sign in with: when given, every planned user's ways in are
    /// counted ([`Summary::ways_in`]) and those without one reported; `verify` also checks that
    /// no way in the user had at Clerk is missing.
    pub access: Option<Access>,
}

impl ImportOptions {
    pub fn new(plan: PlanOptions) -> ImportOptions {
        ImportOptions {
            plan,
            allow_snapshot_mismatch: false,
            batch_size: None,
            report: None,
            extras: None,
            organizations: None,
            access: None,
        }
    }

    /// Users per batch: as given, or the store's default.
    fn batch_size_for(&self, dialect: Option<Dialect>) -> usize {
        let default = match dialect {
            Some(Dialect::Postgres) => POSTGRES_BATCH_SIZE,
            Some(Dialect::Sqlite) | None => SQLITE_BATCH_SIZE,
        };
        self.batch_size.unwrap_or(default).max(1)
    }
}

/// Where the run is, for a progress bar: users and issues so far, and bytes of the export read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    pub users: u64,
    pub issues: u64,
    pub bytes_read: u64,
    pub bytes_total: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    Sources(#[from] JoinError),
    #[error("writing the report or extras file failed: {0}")]
    Output(#[from] io::Error),
    #[error("database: {0}")]
    Store(#[from] StoreError),
    #[error("the planning thread failed: {0}")]
    Planner(String),
}

impl ImportError {
    /// Every error stops the run before or between batches; the CLI exits with 2. What was
    /// committed stays, and a rerun finishes the job.
    pub fn exit_status(&self) -> ExitStatus {
        ExitStatus::Refused
    }
}

/// Planned users and issues, `batch_size` users at a time.
pub(crate) struct Batch {
    pub(crate) users: Vec<UserPlan>,
    pub(crate) issues: Vec<Issue>,
    pub(crate) bytes_read: u64,
    pub(crate) bytes_total: u64,
}

fn next_batch(planner: &mut Planner, size: usize) -> Result<Option<Batch>, JoinError> {
    let mut batch = Batch {
        users: Vec::with_capacity(size),
        issues: Vec::new(),
        bytes_read: 0,
        bytes_total: 0,
    };
    while batch.users.len() < size {
        match planner.next_step()? {
            Some(Step::User(plan)) => batch.users.push(*plan),
            Some(Step::Issue(issue)) => batch.issues.push(*issue),
            None => break,
        }
    }
    (batch.bytes_read, batch.bytes_total) = planner.progress();
    Ok((!batch.users.is_empty() || !batch.issues.is_empty()).then_some(batch))
}

/// What a planned user adds to the "planned" counts.
#[derive(Debug, Clone, Copy)]
struct PlanCounts {
    credential: u64,
    oauth: u64,
    two_factor: bool,
}

impl PlanCounts {
    fn of(plan: &UserPlan) -> PlanCounts {
        let credential = plan
            .accounts
            .iter()
            .filter(|a| a.provider_id == CREDENTIAL_PROVIDER)
            .count() as u64;
        PlanCounts {
            credential,
            oauth: plan.accounts.len() as u64 - credential,
            two_factor: plan.two_factor.is_some(),
        }
    }

    fn add_to(self, summary: &mut Summary) {
        summary.users_planned += 1;
        summary.credential_accounts_planned += self.credential;
        summary.oauth_accounts_planned += self.oauth;
        summary.two_factors_planned += u64::from(self.two_factor);
    }
}

fn progress_of(summary: &Summary, (bytes_read, bytes_total): (u64, u64)) -> Progress {
    Progress {
        users: summary.users_planned + summary.users_rejected,
        issues: summary.users_rejected + summary.warnings_total(),
        bytes_read,
        bytes_total,
    }
}

/// The planning thread: opens the inputs (indexing the snapshot, checking the files belong
/// together) before returning, so a refusal happens before anything is created; then plans in the
/// background, [`USERS_AHEAD`] users ahead of the consumer.
pub(crate) async fn spawn_planner(
    sources: &Sources,
    options: &ImportOptions,
    batch_size: usize,
    secrets: Secrets,
) -> Result<Planning, ImportError> {
    let (sources, plan, allow) = (
        sources.clone(),
        options.plan.clone(),
        options.allow_snapshot_mismatch,
    );
    let mut planner =
        tokio::task::spawn_blocking(move || Planner::open(&sources, plan, secrets, allow))
            .await
            .map_err(|e| ImportError::Planner(e.to_string()))??;
    let depth = (USERS_AHEAD / batch_size).max(1);
    let (tx, batches) = tokio::sync::mpsc::channel::<Batch>(depth);
    let handle = tokio::task::spawn_blocking(move || -> Result<(), JoinError> {
        // Batches start small and double up to the full size: the writer starts within
        // milliseconds instead of waiting for a whole batch to be planned.
        let mut size = batch_size.min(FIRST_BATCH_SIZE);
        while let Some(batch) = next_batch(&mut planner, size)? {
            size = size.saturating_mul(2).min(batch_size);
            if tx.blocking_send(batch).is_err() {
                // The consumer stopped (on an error it reports); nothing more to do.
                break;
            }
        }
        Ok(())
    });
    Ok(Planning { batches, handle })
}

pub(crate) struct Planning {
    pub(crate) batches: tokio::sync::mpsc::Receiver<Batch>,
    handle: tokio::task::JoinHandle<Result<(), JoinError>>,
}

impl Planning {
    /// Stops receiving and returns how planning ended.
    pub(crate) async fn finish(self) -> Result<(), ImportError> {
        drop(self.batches);
        self.handle
            .await
            .map_err(|e| ImportError::Planner(e.to_string()))??;
        Ok(())
    }
}

/// Plans everything and writes only the report: what an import would do.
pub fn dry_run(
    sources: &Sources,
    options: &ImportOptions,
    secrets: Secrets,
    progress: &dyn Fn(Progress),
) -> Result<Summary, ImportError> {
    let started = Instant::now();
    let mut planner = Planner::open(
        sources,
        options.plan.clone(),
        secrets,
        options.allow_snapshot_mismatch,
    )?;
    let mut report = ReportWriter::create(options.report.as_deref())?;
    let mut summary = Summary {
        dry_run: true,
        ways_in: options
            .access
            .as_ref()
            .map(WaysInCounts::new)
            .unwrap_or_default(),
        ..Summary::default()
    };
    // The users the import would hold, for the organizations' memberships.
    let fingerprints = Fingerprinter::new();
    let mut planned = FingerprintSet::default();
    let orgs = options.organizations.is_some() && options.plan.plugins.organization;
    while let Some(batch) = next_batch(&mut planner, options.batch_size_for(None))? {
        for issue in &batch.issues {
            summary.count(issue);
            report.write(issue)?;
        }
        for plan in &batch.users {
            if orgs {
                planned.insert(fingerprints.of(&plan.user.id));
            }
            PlanCounts::of(plan).add_to(&mut summary);
            for warning in &plan.warnings {
                summary.count(warning);
                report.write(warning)?;
            }
            if let Some(issue) = count_ways_in(
                &mut summary,
                options.access.as_ref(),
                &plan.reach,
                &plan.clerk_id,
                plan.location,
            ) {
                summary.count(&issue);
                report.write(&issue)?;
            }
        }
        progress(progress_of(&summary, (batch.bytes_read, batch.bytes_total)));
    }
    if let Some(org_options) = &options.organizations {
        if orgs {
            super::org_apply::dry_run_organizations(
                org_options,
                &|id| planned.contains(&fingerprints.of(id)),
                &mut summary,
                &mut report,
            )?;
        } else {
            org_plugin_off(org_options, &mut summary, &mut report)?;
        }
    }
    summary.elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    report.finish(&summary)?;
    Ok(summary)
}

/// One planned user's ways in, counted; the issue to report when it has none.
fn count_ways_in(
    summary: &mut Summary,
    access: Option<&Access>,
    reach: &Reach,
    clerk_id: &str,
    location: Option<Location>,
) -> Option<Issue> {
    let cause = summary.ways_in.count(reach, access?)?;
    Some(
        Issue::new(IssueKind::NoWayIn, cause.detail())
            .user(clerk_id)
            .at(location),
    )
}

/// Organizations were given but the plugin is off: said once in the report and the summary,
/// with how many there are (what `--allow-loss organizations` accepts).
fn org_plugin_off(
    org_options: &OrgOptions,
    summary: &mut Summary,
    report: &mut ReportWriter,
) -> Result<(), ImportError> {
    let issue = super::org_apply::plugin_off_issue();
    summary.organizations.considered = true;
    summary.organizations.plugin_off = true;
    summary.organizations.organizations_not_imported =
        super::org_apply::count_organizations(org_options)?;
    summary.count(&issue);
    report.write(&issue)?;
    Ok(())
}

/// Imports into the database. Must run inside a Tokio runtime (planning runs on its blocking pool).
///
/// A two-stage pipeline behind the planner: while the store writes batch k+1, batch k's outcome is
/// counted and reported, so the database never waits for the report.
pub async fn apply(
    store: &dyn Store,
    sources: &Sources,
    options: &ImportOptions,
    secrets: Secrets,
    progress: &(dyn Fn(Progress) + Send + Sync),
) -> Result<Summary, ImportError> {
    let started = Instant::now();
    let batch_size = options.batch_size_for(Some(store.dialect()));
    let mut planning = spawn_planner(sources, options, batch_size, secrets).await?;
    let mut report = ReportWriter::create(options.report.as_deref())?;
    let mut extras = ExtrasWriter::create(options.extras.as_deref())?;
    let mut summary = Summary {
        ways_in: options
            .access
            .as_ref()
            .map(WaysInCounts::new)
            .unwrap_or_default(),
        ..Summary::default()
    };
    let mut written = Ok(());
    let mut previous: Option<Written> = None;
    let mut outputs = Outputs {
        summary: &mut summary,
        report: &mut report,
        extras: &mut extras,
        progress,
        access: options.access.as_ref(),
    };
    while let Some(batch) = planning.batches.recv().await {
        let (rows, pending) = split_batch(batch);
        let (outcome, finished) = futures::join!(store.insert_import_batch(rows), async {
            match previous.take() {
                Some(done) => finish_batch(store, done, &mut outputs).await,
                None => Ok(()),
            }
        });
        match (outcome, finished) {
            (Ok(outcome), Ok(())) => previous = Some(Written { outcome, pending }),
            (Err(e), _) => {
                written = Err(e.into());
                break;
            }
            (Ok(_), Err(e)) => {
                // This batch is committed but will not be reported: a rerun finds it present.
                written = Err(e);
                break;
            }
        }
    }
    if let Some(done) = previous.take()
        && written.is_ok()
    {
        written = finish_batch(store, done, &mut outputs).await;
    }
    let planned = planning.finish().await;
    written?;
    planned?;
    if let Some(org_options) = &options.organizations {
        if options.plan.plugins.organization {
            super::org_apply::apply_organizations(
                store,
                org_options,
                &mut summary,
                &mut report,
                &mut extras,
            )
            .await?;
        } else {
            org_plugin_off(org_options, &mut summary, &mut report)?;
        }
    }
    summary.elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    report.finish(&summary)?;
    extras.finish()?;
    Ok(summary)
}

/// Why the database did not take a planned user.
enum Fate {
    AlreadyPresent,
    Conflict(Issue),
}

/// A planned user whose rows went to the store: what is left to count and report.
struct Sent {
    counts: PlanCounts,
    warnings: Vec<Issue>,
    extras: Extras,
    reach: Reach,
    location: Option<Location>,
}

/// What a batch leaves behind while its rows are in the store: its issues, and the rest of each
/// plan, waiting for the outcome.
struct Pending {
    issues: Vec<Issue>,
    sent: Vec<Sent>,
    bytes: (u64, u64),
}

/// A batch the store has committed, with what is left to count and report.
struct Written {
    outcome: BatchOutcome,
    pending: Pending,
}

/// The rows go to the store; the rest of each plan waits for the outcome.
fn split_batch(batch: Batch) -> (ImportBatch, Pending) {
    let size = batch.users.len();
    let mut rows = ImportBatch {
        users: Vec::with_capacity(size),
        accounts: Vec::with_capacity(size),
        two_factors: Vec::new(),
    };
    let mut sent = Vec::with_capacity(size);
    for plan in batch.users {
        let counts = PlanCounts::of(&plan);
        rows.users.push(plan.user);
        rows.accounts.extend(plan.accounts);
        rows.two_factors.extend(plan.two_factor);
        sent.push(Sent {
            counts,
            warnings: plan.warnings,
            extras: plan.extras,
            reach: plan.reach,
            location: plan.location,
        });
    }
    let pending = Pending {
        issues: batch.issues,
        sent,
        bytes: (batch.bytes_read, batch.bytes_total),
    };
    (rows, pending)
}

/// Where a committed batch is counted and reported.
struct Outputs<'a> {
    summary: &'a mut Summary,
    report: &'a mut ReportWriter,
    extras: &'a mut ExtrasWriter,
    progress: &'a (dyn Fn(Progress) + Send + Sync),
    access: Option<&'a Access>,
}

async fn finish_batch(
    store: &dyn Store,
    written: Written,
    outputs: &mut Outputs<'_>,
) -> Result<(), ImportError> {
    let Written { outcome, pending } = written;
    let Outputs {
        summary,
        report,
        extras,
        progress,
        access,
    } = outputs;
    for issue in &pending.issues {
        summary.count(issue);
        report.write(issue)?;
    }
    let inserted = &outcome.user_inserted;
    summary.users_inserted += inserted.iter().filter(|i| **i).count() as u64;
    summary.accounts_inserted += outcome.inserted_accounts;
    summary.two_factors_inserted += outcome.inserted_two_factors;

    let users = &outcome.batch.users;
    let skipped: Vec<(usize, &User)> = users
        .iter()
        .enumerate()
        .filter(|(i, _)| !inserted.get(*i).copied().unwrap_or(false))
        .collect();
    let mut fates: HashMap<usize, Fate> = HashMap::new();
    if !skipped.is_empty() {
        let ids: Vec<&str> = skipped.iter().map(|(_, u)| u.id.as_str()).collect();
        let present: HashSet<String> = store.existing_user_ids(&ids).await?.into_iter().collect();
        let (present, absent): (Vec<_>, Vec<_>) = skipped
            .into_iter()
            .partition(|(_, u)| present.contains(&u.id));
        fates.extend(present.into_iter().map(|(i, _)| (i, Fate::AlreadyPresent)));
        let conflicts: Vec<(usize, Fate)> = futures::stream::iter(absent)
            .map(|(i, user)| async move { explain_conflict(store, user).await.map(|f| (i, f)) })
            .buffer_unordered(LOOKUPS_IN_FLIGHT)
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .collect::<Result<_, StoreError>>()?;
        fates.extend(conflicts);
    }

    for (i, (user, sent)) in users.iter().zip(pending.sent).enumerate() {
        match fates.remove(&i) {
            Some(Fate::Conflict(issue)) => {
                let issue = issue.user(&user.id);
                summary.count(&issue);
                report.write(&issue)?;
                continue;
            }
            Some(Fate::AlreadyPresent) => summary.users_already_present += 1,
            None => {}
        }
        sent.counts.add_to(summary);
        for warning in &sent.warnings {
            summary.count(warning);
            report.write(warning)?;
        }
        if let Some(issue) = count_ways_in(summary, *access, &sent.reach, &user.id, sent.location) {
            summary.count(&issue);
            report.write(&issue)?;
        }
        extras.write(&sent.extras)?;
    }
    progress(progress_of(summary, pending.bytes));
    Ok(())
}

/// Why the store skipped a user that is not in the database: another user holds one of its
/// unique values, which is a conflict to report, never a merge.
async fn explain_conflict(store: &dyn Store, user: &User) -> Result<Fate, StoreError> {
    let holder = |found: Option<User>, what: &str| {
        found.map(|other| {
            Issue::new(
                IssueKind::ExistingConflict,
                format!(
                    "the database already has user {} with this {what}; not merged",
                    other.id
                ),
            )
            .at(Some(Location::database()))
        })
    };
    if let Some(issue) = holder(
        store.find_user_by_email(&user.email).await?,
        "email address",
    ) {
        return Ok(Fate::Conflict(issue));
    }
    if let Some(username) = user.username()
        && let Some(issue) = holder(
            store.find_user_by_field(&USERNAME.name, username).await?,
            "username",
        )
    {
        return Ok(Fate::Conflict(issue));
    }
    if let Some(phone) = user.phone_number()
        && let Some(issue) = holder(
            store.find_user_by_field(&PHONE_NUMBER.name, phone).await?,
            "phone number",
        )
    {
        return Ok(Fate::Conflict(issue));
    }
    // Skipped, yet nothing holds its values: a concurrent writer, or a store bug. Never silent.
    Ok(Fate::Conflict(
        Issue::new(
            IssueKind::ExistingConflict,
            "the database did not take this user and no conflicting user was found; rerun the import",
        )
        .at(Some(Location::database())),
    ))
}
