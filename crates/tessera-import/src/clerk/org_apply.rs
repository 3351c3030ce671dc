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
use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::BufReader;
use tessera_core::plugins::organization::{INVITATION, MEMBER, ORGANIZATION, ORGANIZATION_ROLE};
use tessera_store::{FindMany, Row, Store, StoreError, Where};

/// Ids per lookup. Small: sqlx binds a SQLite parameter by searching the statement's parameter
/// names, so a statement's cost grows with the square of its parameters.
const CHUNK: usize = 200;

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

/// How many organizations the side file holds (a pass over their lines alone), for what a
/// config without the plugin would leave out.
pub fn count_organizations(options: &OrgOptions) -> Result<u64, ImportError> {
    let mut reader = OrgSnapshotReader::open(&options.source)?.headers_only();
    let mut n = 0;
    while let Some(item) = reader.next_item()? {
        if let OrgItem::Organization(_) = item {
            n += 1;
        }
    }
    Ok(n)
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

/// Which of a round's users are in the database.
async fn users_in_database(
    store: &dyn Store,
    entries: &[OrgEntry],
) -> Result<HashSet<String>, StoreError> {
    let mut ids: Vec<&str> = entries.iter().flat_map(user_ids).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut present = HashSet::new();
    for chunk in ids.chunks(CHUNK) {
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

/// Memberships (and invitations) gathered before a round of bulk reads and writes; an
/// organization larger than this is a round of its own.
const ROUND_ROWS: usize = 5_000;

/// Imports every organization: users must be in the database already. Organizations go in
/// rounds of about [`ROUND_ROWS`] memberships: one lookup of their users, one of their rows per
/// table, then the missing rows.
pub async fn apply_organizations(
    store: &dyn Store,
    options: &OrgOptions,
    summary: &mut super::report::Summary,
    report: &mut ReportWriter,
    extras: &mut ExtrasWriter,
) -> Result<(), ImportError> {
    let mut source = OrgSource::open(options)?;
    summary.organizations.considered = true;
    let mut round: Vec<OrgEntry> = Vec::new();
    let mut rows = 0;
    loop {
        let step = source.next_step()?;
        let end = step.is_none();
        match step {
            Some(OrgStep::Issue(issue)) => {
                summary.count(&issue);
                report.write(&issue)?;
            }
            Some(OrgStep::Entry(entry)) => {
                rows += entry.memberships.len() + entry.invitations.len() + 1;
                round.push(*entry);
            }
            None => {}
        }
        if (end && !round.is_empty()) || rows >= ROUND_ROWS {
            let entries = std::mem::take(&mut round);
            rows = 0;
            write_round(store, &source, entries, summary, report, extras).await?;
        }
        if end {
            return Ok(());
        }
    }
}

async fn write_round(
    store: &dyn Store,
    source: &OrgSource,
    entries: Vec<OrgEntry>,
    summary: &mut super::report::Summary,
    report: &mut ReportWriter,
    extras: &mut ExtrasWriter,
) -> Result<(), ImportError> {
    let present = users_in_database(store, &entries).await?;
    let plans: Vec<OrgPlan> = entries
        .iter()
        .filter_map(|e| source.plan(e, &|id| present.contains(id)))
        .collect();
    drop(entries);

    // Organizations first: those already there, then slugs another organization holds.
    let org_rows: Vec<Row> = plans.iter().map(|p| p.organization.clone()).collect();
    let mut existing: HashSet<String> = HashSet::new();
    for chunk in org_rows.chunks(CHUNK) {
        existing.extend(stored_rows(store, ORGANIZATION, chunk).await?.into_keys());
    }
    let new: Vec<&OrgPlan> = plans.iter().filter(|p| !existing.contains(&p.id)).collect();
    let mut holders: HashMap<String, String> = HashMap::new();
    for chunk in new.chunks(CHUNK) {
        let found = store
            .find_rows(
                ORGANIZATION,
                &FindMany {
                    filter: vec![Where::is_in("slug", chunk.iter().map(|p| p.slug.as_str()))],
                    limit: Some(chunk.len() as u64),
                    ..FindMany::default()
                },
            )
            .await?;
        for row in found {
            if let (Some(slug), Some(id)) = (row.text("slug"), row.text("id")) {
                holders.insert(slug.to_owned(), id.to_owned());
            }
        }
    }
    let mut skipped: HashSet<&str> = HashSet::new();
    let mut to_insert: Vec<Row> = Vec::new();
    for plan in &new {
        match holders.get(&plan.slug).filter(|holder| **holder != plan.id) {
            Some(holder) => {
                skipped.insert(plan.id.as_str());
                let issue = Issue::new(
                    IssueKind::OrganizationSlugTaken,
                    format!(
                        "the database's organization {holder} already has the slug {:?}; this \
                         organization, its members and invitations were not imported",
                        plan.slug
                    ),
                )
                .user(&plan.id)
                .at(Some(Location::database()));
                summary.organizations.organizations_skipped += 1;
                summary.count(&issue);
                report.write(&issue)?;
            }
            None => to_insert.push(plan.organization.clone()),
        }
    }
    summary.organizations.organizations_inserted +=
        insert_missing(store, ORGANIZATION, &to_insert).await?;
    summary.organizations.organizations_already_present += existing.len() as u64;

    let kept: Vec<&OrgPlan> = plans
        .iter()
        .filter(|p| !skipped.contains(p.id.as_str()))
        .collect();
    let roles: Vec<Row> = kept.iter().flat_map(|p| p.roles.iter().cloned()).collect();
    summary.organizations.roles_inserted +=
        insert_missing(store, ORGANIZATION_ROLE, &roles).await?;
    drop(roles);
    let members: Vec<Row> = kept
        .iter()
        .flat_map(|p| p.members.iter().cloned())
        .collect();
    summary.organizations.members_inserted += insert_missing(store, MEMBER, &members).await?;
    drop(members);
    let invitations: Vec<Row> = kept
        .iter()
        .flat_map(|p| p.invitations.iter().cloned())
        .collect();
    summary.organizations.invitations_inserted +=
        insert_missing(store, INVITATION, &invitations).await?;
    for plan in kept {
        count_planned(plan, &mut summary.organizations);
        for issue in &plan.issues {
            summary.count(issue);
            report.write(issue)?;
        }
        for extra in &plan.extras {
            extras.write_line(extra)?;
        }
    }
    Ok(())
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
    if rows.is_empty() {
        return Ok(0);
    }
    store.insert_rows_if_absent(table, rows).await
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
    let mut round: Vec<OrgEntry> = Vec::new();
    let mut rows = 0;
    loop {
        let step = source.next_step()?;
        let end = step.is_none();
        if let Some(OrgStep::Entry(entry)) = step {
            rows += entry.memberships.len() + entry.invitations.len() + 1;
            round.push(*entry);
        }
        if (end && !round.is_empty()) || rows >= ROUND_ROWS {
            let entries = std::mem::take(&mut round);
            rows = 0;
            verify_round(store, &source, entries, &mut counts, report, differences).await?;
        }
        if end {
            return Ok(counts);
        }
    }
}

/// The stored rows of `table` for every planned row, by id, a chunk of ids a query.
async fn stored_by_id(
    store: &dyn Store,
    table: &str,
    planned: &[&Row],
) -> Result<HashMap<String, Row>, StoreError> {
    let mut stored = HashMap::new();
    for chunk in planned.chunks(CHUNK) {
        let chunk: Vec<Row> = chunk.iter().map(|r| (*r).clone()).collect();
        stored.extend(stored_rows(store, table, &chunk).await?);
    }
    Ok(stored)
}

async fn verify_round(
    store: &dyn Store,
    source: &OrgSource,
    entries: Vec<OrgEntry>,
    counts: &mut OrgVerifyCounts,
    report: &mut ReportWriter,
    differences: &mut std::collections::BTreeMap<IssueKind, u64>,
) -> Result<(), ImportError> {
    let present = users_in_database(store, &entries).await?;
    let plans: Vec<OrgPlan> = entries
        .iter()
        .filter_map(|e| source.plan(e, &|id| present.contains(id)))
        .collect();
    drop(entries);
    let of =
        |pick: fn(&OrgPlan) -> Vec<&Row>| -> Vec<&Row> { plans.iter().flat_map(pick).collect() };
    let orgs = stored_by_id(store, ORGANIZATION, &of(|p| vec![&p.organization])).await?;
    let roles = stored_by_id(store, ORGANIZATION_ROLE, &of(|p| p.roles.iter().collect())).await?;
    let members = stored_by_id(store, MEMBER, &of(|p| p.members.iter().collect())).await?;
    let invitations =
        stored_by_id(store, INVITATION, &of(|p| p.invitations.iter().collect())).await?;
    for plan in &plans {
        let mut found: Vec<Issue> = Vec::new();
        compare_rows(
            std::slice::from_ref(&plan.organization),
            &orgs,
            (
                IssueKind::OrganizationMissing,
                IssueKind::OrganizationDiffers,
            ),
            &mut found,
        );
        compare_rows(
            &plan.roles,
            &roles,
            (
                IssueKind::OrganizationRoleMissing,
                IssueKind::OrganizationRoleDiffers,
            ),
            &mut found,
        );
        compare_rows(
            &plan.members,
            &members,
            (IssueKind::MemberMissing, IssueKind::MemberDiffers),
            &mut found,
        );
        compare_rows(
            &plan.invitations,
            &invitations,
            (IssueKind::InvitationMissing, IssueKind::InvitationDiffers),
            &mut found,
        );
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
    Ok(())
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
