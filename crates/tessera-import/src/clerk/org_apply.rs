//! The organization part of an import, run after the users (members and inviters are users):
//! plan each organization ([`super::org_plan`]) and write it, dry-run it, or verify it.
//!
//! Two passes over the side file: the first reads only organizations (for the slug rule, which
//! needs them all, oldest first) and the roles; the second streams one organization at a time
//! with its memberships, so memory holds one organization's memberships, never all of them.
//!
//! Rerunnable: every row keeps its Clerk id (or a derived one), and each table's rows are written
//! only when no row with that id is there yet, so a rerun after a kill at any point writes exactly
//! what is missing, and a finished import reruns without writing anything.

use super::apply::ImportError;
use super::extras::ExtrasWriter;
use super::issue::{Input, Issue, IssueKind, Location};
use super::org_bapi::Role;
use super::org_plan::{AssignedSlug, OrgHeader, OrgOptions, OrgPlan, assign_slugs, catalog};
use super::org_snapshot::{OrgEntry, OrgItem, OrgSnapshotError, OrgSnapshotReader};
use super::report::{OrgSummary, ReportWriter};
use futures::StreamExt;
use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::BufReader;
use tessera_core::plugins::organization::{INVITATION, MEMBER, ORGANIZATION, ORGANIZATION_ROLE};
use tessera_store::{FindMany, Row, Store, StoreError, Where};

/// Rows looked up or written per round.
const CHUNK: usize = 500;
/// Concurrent single-row inserts (PostgreSQL takes them in parallel; SQLite queues them).
const INSERTS_IN_FLIGHT: usize = 8;

impl From<OrgSnapshotError> for ImportError {
    fn from(e: OrgSnapshotError) -> ImportError {
        match e {
            OrgSnapshotError::Io(e) => ImportError::Output(e),
        }
    }
}

/// Why organizations were not imported although their file was given.
pub fn plugin_off_issue() -> Issue {
    Issue::new(
        IssueKind::OrganizationsNotImported,
        "the organizations were not imported: the organization plugin is off; add \
         \"organization\" to `plugins` in the config (and `[organization.dynamic_access_control] \
         enabled = true` for Clerk's custom roles), run `tessera migrate`, and import again",
    )
}

/// The side file, opened for the second pass, with what the first pass learnt.
pub struct OrgSource {
    reader: OrgSnapshotReader<BufReader<File>>,
    slugs: HashMap<String, AssignedSlug>,
    catalog: HashMap<String, Role>,
    seen: HashSet<String>,
    pub options: OrgOptions,
}

/// What the second pass hands out.
pub enum OrgStep {
    Entry(Box<OrgEntry>),
    Issue(Issue),
}

impl OrgSource {
    pub fn open(options: &OrgOptions) -> Result<OrgSource, ImportError> {
        let mut first = OrgSnapshotReader::open(&options.source)?.headers_only();
        let mut headers: Vec<OrgHeader> = Vec::new();
        let mut roles: Vec<Role> = Vec::new();
        let mut ids: HashSet<String> = HashSet::new();
        while let Some(item) = first.next_item()? {
            match item {
                OrgItem::Organization(entry) => {
                    if ids.insert(entry.organization.id.clone()) {
                        headers.push(OrgHeader::from(&entry.organization));
                    }
                }
                OrgItem::Role(role) => roles.push(role),
                OrgItem::Bad(_) => {}
            }
        }
        Ok(OrgSource {
            reader: OrgSnapshotReader::open(&options.source)?,
            slugs: assign_slugs(headers),
            catalog: catalog(roles),
            seen: HashSet::new(),
            options: options.clone(),
        })
    }

    pub fn next_step(&mut self) -> Result<Option<OrgStep>, ImportError> {
        loop {
            let Some(item) = self.reader.next_item()? else {
                return Ok(None);
            };
            match item {
                OrgItem::Role(_) => {}
                OrgItem::Bad(bad) => {
                    let mut issue = Issue::new(IssueKind::InvalidOrganizationLine, bad.reason)
                        .at(Some(Location::line(Input::Organizations, bad.line)));
                    if let Some(id) = &bad.clerk_id {
                        issue = issue.user(id);
                    }
                    return Ok(Some(OrgStep::Issue(issue)));
                }
                OrgItem::Organization(entry) => {
                    if !self.seen.insert(entry.organization.id.clone()) {
                        return Ok(Some(OrgStep::Issue(
                            Issue::new(
                                IssueKind::InvalidOrganizationLine,
                                "the organization appears more than once; the first is used",
                            )
                            .user(&entry.organization.id)
                            .at(Some(Location::line(Input::Organizations, entry.line))),
                        )));
                    }
                    return Ok(Some(OrgStep::Entry(entry)));
                }
            }
        }
    }

    pub fn plan(&self, entry: &OrgEntry, imported: &dyn Fn(&str) -> bool) -> Option<OrgPlan> {
        let slug = self.slugs.get(&entry.organization.id)?;
        Some(super::org_plan::plan_organization(
            entry,
            slug,
            &self.catalog,
            &self.options,
            imported,
        ))
    }
}

/// The user ids an organization's plan asks about.
fn user_ids(entry: &OrgEntry) -> Vec<&str> {
    let mut ids: Vec<&str> = entry
        .memberships
        .iter()
        .filter_map(|m| m.user_id())
        .chain(entry.organization.created_by.as_deref())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// Which of an organization's users are in the database.
async fn users_in_database(
    store: &dyn Store,
    entry: &OrgEntry,
) -> Result<HashSet<String>, StoreError> {
    let mut present = HashSet::new();
    for chunk in user_ids(entry).chunks(CHUNK) {
        present.extend(store.existing_user_ids(chunk).await?);
    }
    Ok(present)
}

fn count_planned(plan: &OrgPlan, summary: &mut OrgSummary) {
    summary.organizations_planned += 1;
    summary.members_planned += plan.members.len() as u64;
    summary.members_skipped += plan.members_skipped;
    summary.invitations_planned += plan.invitations.len() as u64;
    summary.invitations_skipped += plan.invitations_skipped;
    summary.roles_planned += plan.roles.len() as u64;
}

/// Plans every organization against the users `planned` says the import holds; writes only the
/// report.
pub fn dry_run_organizations(
    options: &OrgOptions,
    planned: &dyn Fn(&str) -> bool,
    summary: &mut super::report::Summary,
    report: &mut ReportWriter,
) -> Result<(), ImportError> {
    let mut source = OrgSource::open(options)?;
    summary.organizations.considered = true;
    while let Some(step) = source.next_step()? {
        match step {
            OrgStep::Issue(issue) => {
                summary.count(&issue);
                report.write(&issue)?;
            }
            OrgStep::Entry(entry) => {
                let Some(plan) = source.plan(&entry, planned) else {
                    continue;
                };
                count_planned(&plan, &mut summary.organizations);
                for issue in &plan.issues {
                    summary.count(issue);
                    report.write(issue)?;
                }
            }
        }
    }
    Ok(())
}

/// Imports every organization: users must be in the database already.
pub async fn apply_organizations(
    store: &dyn Store,
    options: &OrgOptions,
    summary: &mut super::report::Summary,
    report: &mut ReportWriter,
    extras: &mut ExtrasWriter,
) -> Result<(), ImportError> {
    let mut source = OrgSource::open(options)?;
    summary.organizations.considered = true;
    while let Some(step) = source.next_step()? {
        let entry = match step {
            OrgStep::Issue(issue) => {
                summary.count(&issue);
                report.write(&issue)?;
                continue;
            }
            OrgStep::Entry(entry) => entry,
        };
        let present = users_in_database(store, &entry).await?;
        let Some(plan) = source.plan(&entry, &|id| present.contains(id)) else {
            continue;
        };
        drop(entry);
        match write_plan(store, &plan, &mut summary.organizations).await? {
            Some(conflict) => {
                summary.organizations.organizations_skipped += 1;
                summary.count(&conflict);
                report.write(&conflict)?;
            }
            None => {
                count_planned(&plan, &mut summary.organizations);
                for issue in &plan.issues {
                    summary.count(issue);
                    report.write(issue)?;
                }
                for extra in &plan.extras {
                    extras.write_line(extra)?;
                }
            }
        }
    }
    Ok(())
}

/// Writes what of the plan is missing. `Some(issue)`: another organization of the database holds
/// the slug, and nothing was written.
async fn write_plan(
    store: &dyn Store,
    plan: &OrgPlan,
    summary: &mut OrgSummary,
) -> Result<Option<Issue>, StoreError> {
    let existing = store
        .find_row(ORGANIZATION, &[Where::eq("id", plan.id.as_str())])
        .await?;
    if existing.is_some() {
        summary.organizations_already_present += 1;
    } else {
        if let Some(holder) = store
            .find_row(ORGANIZATION, &[Where::eq("slug", plan.slug.as_str())])
            .await?
        {
            let holder = holder.text("id").unwrap_or_default().to_owned();
            return Ok(Some(
                Issue::new(
                    IssueKind::OrganizationSlugTaken,
                    format!(
                        "the database's organization {holder} already has the slug {:?}; this \
                         organization, its members and invitations were not imported",
                        plan.slug
                    ),
                )
                .user(&plan.id)
                .at(Some(Location::database())),
            ));
        }
        store.create_row(ORGANIZATION, &plan.organization).await?;
        summary.organizations_inserted += 1;
    }
    summary.roles_inserted += insert_missing(store, ORGANIZATION_ROLE, &plan.roles).await?;
    summary.members_inserted += insert_missing(store, MEMBER, &plan.members).await?;
    summary.invitations_inserted += insert_missing(store, INVITATION, &plan.invitations).await?;
    Ok(None)
}

/// The stored rows of `table` with these ids, by id.
async fn stored_rows(
    store: &dyn Store,
    table: &str,
    rows: &[Row],
) -> Result<HashMap<String, Row>, StoreError> {
    let ids: Vec<&str> = rows.iter().filter_map(|r| r.text("id")).collect();
    let found = store
        .find_rows(
            table,
            &FindMany {
                filter: vec![Where::is_in("id", ids)],
                limit: Some(rows.len() as u64),
                ..FindMany::default()
            },
        )
        .await?;
    Ok(found
        .into_iter()
        .filter_map(|r| r.text("id").map(str::to_owned).map(|id| (id, r)))
        .collect())
}

/// Inserts the rows whose id is not in `table` yet; returns how many.
async fn insert_missing(store: &dyn Store, table: &str, rows: &[Row]) -> Result<u64, StoreError> {
    let mut inserted = 0;
    for chunk in rows.chunks(CHUNK) {
        let present = stored_rows(store, table, chunk).await?;
        let missing: Vec<&Row> = chunk
            .iter()
            .filter(|r| r.text("id").is_some_and(|id| !present.contains_key(id)))
            .collect();
        let results: Vec<Result<Row, StoreError>> = futures::stream::iter(missing)
            .map(|row| store.create_row(table, row))
            .buffer_unordered(INSERTS_IN_FLIGHT)
            .collect()
            .await;
        for result in results {
            result?;
            inserted += 1;
        }
    }
    Ok(inserted)
}

/// What `--verify` found for the organizations.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct OrgVerifyCounts {
    pub organizations_checked: u64,
    pub organizations_matching: u64,
    pub organizations_differing: u64,
}

/// Compares every planned organization row with the database; differences go to `report` by
/// Clerk id and column name, never values.
pub async fn verify_organizations(
    store: &dyn Store,
    options: &OrgOptions,
    report: &mut ReportWriter,
    differences: &mut std::collections::BTreeMap<IssueKind, u64>,
) -> Result<OrgVerifyCounts, ImportError> {
    let mut source = OrgSource::open(options)?;
    let mut counts = OrgVerifyCounts::default();
    while let Some(step) = source.next_step()? {
        let OrgStep::Entry(entry) = step else {
            continue;
        };
        let present = users_in_database(store, &entry).await?;
        let Some(plan) = source.plan(&entry, &|id| present.contains(id)) else {
            continue;
        };
        let mut found: Vec<Issue> = Vec::new();
        let org = stored_rows(
            store,
            ORGANIZATION,
            std::slice::from_ref(&plan.organization),
        )
        .await?;
        compare_rows(
            std::slice::from_ref(&plan.organization),
            &org,
            (
                IssueKind::OrganizationMissing,
                IssueKind::OrganizationDiffers,
            ),
            &mut found,
        );
        for (table, rows, kinds) in [
            (
                ORGANIZATION_ROLE,
                &plan.roles,
                (
                    IssueKind::OrganizationRoleMissing,
                    IssueKind::OrganizationRoleDiffers,
                ),
            ),
            (
                MEMBER,
                &plan.members,
                (IssueKind::MemberMissing, IssueKind::MemberDiffers),
            ),
            (
                INVITATION,
                &plan.invitations,
                (IssueKind::InvitationMissing, IssueKind::InvitationDiffers),
            ),
        ] {
            for chunk in rows.chunks(CHUNK) {
                let stored = stored_rows(store, table, chunk).await?;
                compare_rows(chunk, &stored, kinds, &mut found);
            }
        }
        counts.organizations_checked += 1;
        if found.is_empty() {
            counts.organizations_matching += 1;
        } else {
            counts.organizations_differing += 1;
        }
        for issue in found {
            *differences.entry(issue.kind).or_insert(0) += 1;
            report.write(&issue)?;
        }
    }
    Ok(counts)
}

fn compare_rows(
    planned: &[Row],
    stored: &HashMap<String, Row>,
    (missing, differs): (IssueKind, IssueKind),
    found: &mut Vec<Issue>,
) {
    for row in planned {
        let Some(id) = row.text("id") else { continue };
        match stored.get(id) {
            None => found.push(
                Issue::new(missing, "planned but not in the database")
                    .user(id)
                    .at(Some(Location::database())),
            ),
            Some(stored) => {
                let columns: Vec<&str> = row
                    .iter()
                    .filter(|(column, value)| {
                        let there = stored.get(column);
                        match (value, there) {
                            (tessera_store::RowValue::Null, None) => false,
                            (value, Some(there)) => *value != there,
                            (_, None) => true,
                        }
                    })
                    .map(|(column, _)| column)
                    .collect();
                if !columns.is_empty() {
                    found.push(
                        Issue::new(differs, format!("differs in {}", columns.join(", ")))
                            .user(id)
                            .at(Some(Location::database())),
                    );
                }
            }
        }
    }
}
