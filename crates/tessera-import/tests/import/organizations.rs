//! Clerk organizations into real databases by the decided rules (reference §4.3a): slugs, roles,
//! owners, invitations, custom roles, metadata, missing users; reruns, verify, dry run, and the
//! plugin switched off. SQLite always, PostgreSQL when `TESSERA_TEST_POSTGRES_URL` is set.

use super::support::{self, Db, Export, export_with, secrets};
use crate::{on_every_database, on_every_org_database};
use std::collections::HashMap;
use tessera_core::plugins::Plugins;
use tessera_core::plugins::organization::{INVITATION, MEMBER, ORGANIZATION, ORGANIZATION_ROLE};
use tessera_import::clerk::apply::{ImportOptions, apply, dry_run};
use tessera_import::clerk::generate::GenerateOptions;
use tessera_import::clerk::generate::orgs::MISSING_USER;
use tessera_import::clerk::issue::IssueKind;
use tessera_import::clerk::org_plan::OrgOptions;
use tessera_import::clerk::report::Summary;
use tessera_import::clerk::verify::verify as verify_import;
use tessera_store::{FindMany, Row, Where};

const ACME: &str = "org_2FixtureAcme00000000000000";
const ACME_DUP: &str = "org_2FixtureAcmeDup0000000000";
const NO_SLUG: &str = "org_2FixtureNoSlug00000000000";
const NOBODY: &str = "org_2FixtureNobody0000000000";
const LEGACY: &str = "org_2FixtureLegacy0000000000";

fn org_export() -> Export {
    export_with(GenerateOptions {
        users: 60,
        edge_cases: true,
        faults: false,
        bcrypt_cost: 4,
        bcrypt_pool: 3,
        organizations: 8,
        ..GenerateOptions::bench(60)
    })
}

fn org_options(export: &Export, dac: bool) -> ImportOptions {
    let mut options = export.options();
    options.plan.plugins = Plugins {
        organization: true,
        ..Plugins::ALL
    };
    let source = tessera_import::clerk::org_snapshot::organizations_path(
        export.sources.snapshot.as_ref().unwrap(),
    );
    assert!(source.exists());
    let mut orgs = OrgOptions::new(source);
    orgs.dynamic_access_control = dac;
    options.organizations = Some(orgs);
    options
}

async fn import(db: &Db, export: &Export, options: &ImportOptions) -> Summary {
    apply(&*db.store, &export.sources, options, secrets(), &|_| {})
        .await
        .unwrap()
}

async fn row(db: &Db, table: &str, id: &str) -> Row {
    db.store
        .find_row(table, &[Where::eq("id", id)])
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no {table} {id}"))
}

/// Members of an organization, as (userId, role), oldest first.
async fn members(db: &Db, org: &str) -> Vec<(String, String)> {
    let rows = db
        .store
        .find_rows(
            MEMBER,
            &FindMany {
                filter: vec![Where::eq("organizationId", org)],
                sort_by: Some(tessera_store::SortBy::asc("createdAt")),
                limit: Some(1000),
                ..FindMany::default()
            },
        )
        .await
        .unwrap();
    rows.iter()
        .map(|r| {
            (
                r.text("userId").unwrap().to_owned(),
                r.text("role").unwrap().to_owned(),
            )
        })
        .collect()
}

async fn rows_of(db: &Db, table: &str, org: &str) -> Vec<Row> {
    db.store
        .find_rows(
            table,
            &FindMany {
                filter: vec![Where::eq("organizationId", org)],
                limit: Some(1000),
                ..FindMany::default()
            },
        )
        .await
        .unwrap()
}

fn report_issues(export: &Export) -> Vec<serde_json::Value> {
    let report: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(export.dir.path().join("report.json")).unwrap(),
    )
    .unwrap();
    report["issues"].as_array().unwrap().clone()
}

async fn org_counts(db: &Db) -> (i64, i64, i64, i64) {
    (
        db.count(ORGANIZATION).await,
        db.count(MEMBER).await,
        db.count(INVITATION).await,
        db.count(ORGANIZATION_ROLE).await,
    )
}

fn expected_counts(export: &Export) -> (i64, i64, i64, i64) {
    let o = &export.stats.organizations;
    (
        o.organizations as i64,
        o.expected_members as i64,
        o.expected_invitations as i64,
        o.expected_roles as i64,
    )
}

async fn imports_organizations_by_the_rules(db: Db) {
    let export = org_export();
    let options = org_options(&export, true);
    let summary = import(&db, &export, &options).await;
    let o = &summary.organizations;
    let stats = &export.stats.organizations;
    assert_eq!(o.organizations_inserted, stats.organizations, "{summary}");
    assert_eq!(o.members_inserted, stats.expected_members, "{summary}");
    assert_eq!(o.members_skipped, stats.expected_members_skipped);
    assert_eq!(o.invitations_inserted, stats.expected_invitations);
    assert_eq!(o.invitations_skipped, stats.expected_invitations_skipped);
    assert_eq!(o.roles_inserted, stats.expected_roles);
    assert_eq!(org_counts(&db).await, expected_counts(&export));

    // Slugs: the oldest holder keeps "acme", the newer one gets "acme-2"; no slug: the name.
    let acme = row(&db, ORGANIZATION, ACME).await;
    assert_eq!(acme.text("slug"), Some("acme"));
    assert_eq!(acme.text("name"), Some("Acme Inc"));
    assert_eq!(acme.text("logo"), Some("https://img.clerk.com/acme.png"));
    assert_eq!(acme.text("metadata"), Some(r#"{"plan":"pro"}"#));
    let dup = row(&db, ORGANIZATION, ACME_DUP).await;
    assert_eq!(dup.text("slug"), Some("acme-2"));
    assert!(dup.get("logo").unwrap().is_null(), "no image in Clerk");
    assert!(dup.get("metadata").unwrap().is_null());
    assert_eq!(
        row(&db, ORGANIZATION, NO_SLUG).await.text("slug"),
        Some("cafe-creme")
    );
    assert_eq!(
        row(&db, ORGANIZATION, NOBODY).await.text("slug"),
        Some("ghost-town")
    );

    // Owners and roles.
    let acme_members = members(&db, ACME).await;
    let roles: Vec<&str> = acme_members.iter().map(|(_, r)| r.as_str()).collect();
    assert_eq!(roles, ["owner", "member", "billing"]);
    let acme_owner = acme_members[0].0.clone();
    let dup_members = members(&db, ACME_DUP).await;
    let roles: Vec<&str> = dup_members.iter().map(|(_, r)| r.as_str()).collect();
    assert_eq!(
        roles,
        ["member", "owner", "support"],
        "the oldest admin owns it"
    );
    let no_slug = members(&db, NO_SLUG).await;
    let roles: Vec<&str> = no_slug.iter().map(|(_, r)| r.as_str()).collect();
    assert_eq!(roles, ["owner", "member"], "the oldest member owns it");
    let legacy = members(&db, LEGACY).await;
    let roles: Vec<&str> = legacy.iter().map(|(_, r)| r.as_str()).collect();
    assert_eq!(roles, ["owner", "member"]);
    assert!(members(&db, NOBODY).await.is_empty());
    // Exactly one owner wherever there are members.
    let all = db
        .store
        .find_rows(
            MEMBER,
            &FindMany {
                limit: Some(10_000),
                ..FindMany::default()
            },
        )
        .await
        .unwrap();
    let mut owners: HashMap<String, u32> = HashMap::new();
    for m in &all {
        if m.text("role").unwrap().split(',').any(|r| r == "owner") {
            *owners
                .entry(m.text("organizationId").unwrap().to_owned())
                .or_default() += 1;
        }
        assert_ne!(m.text("userId"), Some(MISSING_USER));
    }
    assert!(owners.values().all(|n| *n == 1), "{owners:?}");
    assert_eq!(
        owners.len() as u64,
        export.stats.organizations.organizations
            - export.stats.organizations.expected_without_owner
    );

    // Invitations: pending only, email lower-cased, the owner as inviter, Clerk's expiry.
    let invitations = rows_of(&db, INVITATION, ACME).await;
    assert_eq!(invitations.len(), 1, "the revoked one is not imported");
    let inv = &invitations[0];
    assert_eq!(inv.text("email"), Some("new.hire@example.com"));
    assert_eq!(inv.text("inviterId"), Some(acme_owner.as_str()));
    assert_eq!(inv.text("status"), Some("pending"));
    assert_eq!(
        inv.date("expiresAt").unwrap() - inv.date("createdAt").unwrap(),
        time::Duration::days(30)
    );
    assert!(rows_of(&db, INVITATION, NOBODY).await.is_empty());

    // Custom roles: one row per role in use, system permissions mapped, custom ones kept.
    let acme_roles = rows_of(&db, ORGANIZATION_ROLE, ACME).await;
    assert_eq!(acme_roles.len(), 1);
    assert_eq!(acme_roles[0].text("role"), Some("billing"));
    assert_eq!(
        acme_roles[0].text("permission"),
        Some(r#"{"invoices":["read","manage"]}"#)
    );
    let no_slug_roles = rows_of(&db, ORGANIZATION_ROLE, NO_SLUG).await;
    assert_eq!(
        no_slug_roles
            .iter()
            .map(|r| r.text("role"))
            .collect::<Vec<_>>(),
        [Some("billing")],
        "a custom role only invited to still gets its row"
    );

    // The report names the chosen owners, skipped memberships and invitations, generated slugs.
    let issues = report_issues(&export);
    let has = |kind: IssueKind, id: &str| {
        issues
            .iter()
            .any(|i| i["kind"] == kind.name() && i["clerk_id"] == id)
    };
    assert!(has(IssueKind::OrganizationOwnerChosen, ACME));
    assert!(has(IssueKind::OrganizationOwnerChosen, ACME_DUP));
    assert!(has(IssueKind::OrganizationSlugGenerated, ACME_DUP));
    assert!(has(IssueKind::OrganizationSlugGenerated, NO_SLUG));
    assert!(has(IssueKind::OrganizationWithoutOwner, NOBODY));
    assert!(has(IssueKind::InvitationsWithoutOwner, NOBODY));
    assert!(
        issues
            .iter()
            .any(|i| i["kind"] == "membership_user_not_imported"
                && i["detail"].as_str().unwrap().contains(MISSING_USER))
    );
    let dup_owner = issues
        .iter()
        .find(|i| i["kind"] == "organization_owner_chosen" && i["clerk_id"] == ACME_DUP)
        .unwrap();
    assert!(
        dup_owner["detail"]
            .as_str()
            .unwrap()
            .contains("oldest admin"),
        "{dup_owner}"
    );

    // Extras: private metadata, the membership cap, admin deletion; no PII on the summary.
    let extras = std::fs::read_to_string(export.dir.path().join("extras.ndjson")).unwrap();
    let acme_extra = extras
        .lines()
        .find(|l| l.contains(ACME) && l.contains("\"organization\""))
        .unwrap();
    let acme_extra: serde_json::Value = serde_json::from_str(acme_extra).unwrap();
    assert_eq!(acme_extra["private_metadata"]["crm_id"], "crm-42");
    assert_eq!(acme_extra["max_allowed_memberships"], 50);
    assert_eq!(acme_extra["admin_delete_enabled"], true);
    let printed = summary.to_string();
    assert!(printed.contains("organizations"), "{printed}");
    assert!(
        !printed.contains('@') && !printed.contains("org_2"),
        "{printed}"
    );
}
on_every_org_database!(imports_organizations_by_the_rules);

/// A rerun writes nothing; a rerun after rows were lost (as a kill between writes leaves them)
/// writes exactly the missing ones; verify then finds nothing.
async fn reruns_write_exactly_what_is_missing(db: Db) {
    let export = org_export();
    let options = org_options(&export, true);
    import(&db, &export, &options).await;
    let expected = expected_counts(&export);
    let again = import(&db, &export, &options).await;
    let o = &again.organizations;
    assert_eq!(
        (
            o.organizations_inserted,
            o.members_inserted,
            o.invitations_inserted,
            o.roles_inserted
        ),
        (0, 0, 0, 0)
    );
    assert_eq!(
        o.organizations_already_present,
        export.stats.organizations.organizations
    );
    assert_eq!(org_counts(&db).await, expected);

    // Lose a whole organization (its rows cascade), a member, an invitation and a role row.
    db.store
        .delete_row(ORGANIZATION, &[Where::eq("id", LEGACY)])
        .await
        .unwrap();
    let acme_members = rows_of(&db, MEMBER, ACME).await;
    db.store
        .delete_row(
            MEMBER,
            &[Where::eq("id", acme_members[1].text("id").unwrap())],
        )
        .await
        .unwrap();
    db.store
        .delete_rows(INVITATION, &[Where::eq("organizationId", ACME)])
        .await
        .unwrap();
    db.store
        .delete_rows(ORGANIZATION_ROLE, &[Where::eq("organizationId", ACME)])
        .await
        .unwrap();
    assert_ne!(org_counts(&db).await, expected);
    let check = verify_import(&*db.store, &export.sources, &options, secrets(), &|_| {})
        .await
        .unwrap();
    assert!(check.organizations.organizations_differing >= 2, "{check}");
    assert!(
        check
            .differences
            .contains_key(&IssueKind::OrganizationMissing)
    );
    assert!(check.differences.contains_key(&IssueKind::MemberMissing));
    assert!(
        check
            .differences
            .contains_key(&IssueKind::InvitationMissing)
    );
    assert!(
        check
            .differences
            .contains_key(&IssueKind::OrganizationRoleMissing)
    );

    let rerun = import(&db, &export, &options).await;
    assert_eq!(rerun.organizations.organizations_inserted, 1);
    assert_eq!(org_counts(&db).await, expected);
    let check = verify_import(&*db.store, &export.sources, &options, secrets(), &|_| {})
        .await
        .unwrap();
    assert_eq!(check.organizations.organizations_differing, 0, "{check}");
    assert_eq!(
        check.organizations.organizations_checked,
        export.stats.organizations.organizations
    );

    // A changed role is a named difference, by column, not value.
    let acme_members = rows_of(&db, MEMBER, ACME).await;
    let member = acme_members
        .iter()
        .find(|m| m.text("role") == Some("owner"))
        .unwrap();
    db.store
        .update_row(
            MEMBER,
            &[Where::eq("id", member.text("id").unwrap())],
            &Row::new().with("role", "admin"),
        )
        .await
        .unwrap();
    let check = verify_import(&*db.store, &export.sources, &options, secrets(), &|_| {})
        .await
        .unwrap();
    assert_eq!(check.organizations.organizations_differing, 1, "{check}");
    assert_eq!(check.differences.get(&IssueKind::MemberDiffers), Some(&1));
}
on_every_org_database!(reruns_write_exactly_what_is_missing);

/// Without dynamic access control: no role rows, and the members whose custom role grants
/// nothing are named with what to enable.
async fn without_dynamic_access_control_custom_roles_are_reported(db: Db) {
    let export = org_export();
    let options = org_options(&export, false);
    let summary = import(&db, &export, &options).await;
    assert_eq!(summary.organizations.roles_planned, 0);
    assert_eq!(
        summary.organizations.members_inserted,
        export.stats.organizations.expected_members
    );
    let issues = report_issues(&export);
    let warned: Vec<&serde_json::Value> = issues
        .iter()
        .filter(|i| i["kind"] == "role_grants_nothing")
        .collect();
    assert!(!warned.is_empty());
    assert!(
        warned[0]["detail"]
            .as_str()
            .unwrap()
            .contains("[organization.dynamic_access_control] enabled = true")
    );
    assert_eq!(members(&db, ACME).await[2].1, "billing", "the role is kept");
}

mod without_dynamic_access_control {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::without_dynamic_access_control_custom_roles_are_reported(
            super::support::sqlite_with(super::support::org_schema(false)).await,
        )
        .await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        if let Some(db) = super::support::postgres_with(super::support::org_schema(false)).await {
            super::without_dynamic_access_control_custom_roles_are_reported(db).await;
        }
    }
}

/// Another organization of the database already holds a slug: that organization is reported
/// and left out whole, the others come in.
async fn a_slug_taken_in_the_database_is_reported(db: Db) {
    let export = org_export();
    let options = org_options(&export, true);
    db.store
        .create_row(
            ORGANIZATION,
            &Row::new()
                .with("id", "org_native")
                .with("name", "Native")
                .with("slug", "legacy")
                .with("createdAt", time::OffsetDateTime::now_utc()),
        )
        .await
        .unwrap();
    let summary = import(&db, &export, &options).await;
    assert_eq!(summary.organizations.organizations_skipped, 1);
    assert!(
        db.store
            .find_row(ORGANIZATION, &[Where::eq("id", LEGACY)])
            .await
            .unwrap()
            .is_none()
    );
    assert!(members(&db, LEGACY).await.is_empty());
    assert!(
        report_issues(&export)
            .iter()
            .any(|i| i["kind"] == "organization_slug_taken" && i["clerk_id"] == LEGACY)
    );
}
on_every_org_database!(a_slug_taken_in_the_database_is_reported);

/// With the plugin off, the users come in and the organizations are reported as not imported.
async fn with_the_plugin_off_organizations_are_reported_not_imported(db: Db) {
    let export = org_export();
    let mut options = org_options(&export, true);
    options.plan.plugins = Plugins::ALL;
    let summary = import(&db, &export, &options).await;
    assert_eq!(summary.users_inserted, export.stats.expected_users);
    assert!(summary.organizations.plugin_off);
    assert_eq!(summary.organizations.organizations_inserted, 0);
    assert!(summary.to_string().contains("organization plugin is off"));
    let issues = report_issues(&export);
    let said = issues
        .iter()
        .find(|i| i["kind"] == "organizations_not_imported")
        .unwrap();
    assert!(said["detail"].as_str().unwrap().contains("plugins"));
}
on_every_database!(with_the_plugin_off_organizations_are_reported_not_imported);

#[test]
fn a_dry_run_plans_the_organizations_and_writes_nothing() {
    let export = org_export();
    let options = org_options(&export, true);
    let summary = dry_run(&export.sources, &options, secrets(), &|_| {}).unwrap();
    let o = &summary.organizations;
    let stats = &export.stats.organizations;
    assert_eq!(o.organizations_planned, stats.organizations);
    assert_eq!(o.members_planned, stats.expected_members);
    assert_eq!(o.members_skipped, stats.expected_members_skipped);
    assert_eq!(o.invitations_planned, stats.expected_invitations);
    assert_eq!(o.roles_planned, stats.expected_roles);
    assert_eq!(o.organizations_inserted, 0);
    assert!(!export.dir.path().join("extras.ndjson").exists());
}
