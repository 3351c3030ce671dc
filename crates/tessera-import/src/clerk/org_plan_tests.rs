#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use super::*;
use crate::clerk::org_bapi::{Permission, PublicUserData};

fn header(id: &str, created_at: i64, slug: Option<&str>, name: &str) -> OrgHeader {
    OrgHeader {
        id: id.to_owned(),
        created_at: Some(created_at),
        slug: slug.map(str::to_owned),
        name: Some(name.to_owned()),
    }
}

fn slug_of(assigned: &HashMap<String, AssignedSlug>, id: &str) -> String {
    assigned[id].slug.clone()
}

#[test]
fn slugify_strips_accents_lowers_and_joins_with_dashes() {
    assert_eq!(slugify("Café Crème & Co."), "cafe-creme-co");
    assert_eq!(slugify("  Ärzte  Über  "), "arzte-uber");
    assert_eq!(slugify("Straße_42"), "strasse-42");
    assert_eq!(slugify("日本"), "");
}

#[test]
fn the_oldest_holder_keeps_a_slug_and_the_others_get_numbered_ones() {
    let assigned = assign_slugs(vec![
        header("org_b", 2, Some("acme"), "Acme B"),
        header("org_a", 1, Some("acme"), "Acme A"),
        header("org_c", 3, Some("acme"), "Acme C"),
        // Older than every holder, but with no slug: its name's slug must not take "acme".
        header("org_0", 0, None, "Acme"),
        header("org_e", 5, Some(""), "Élan"),
        header("org_f", 6, None, "!!!"),
    ]);
    assert_eq!(slug_of(&assigned, "org_a"), "acme");
    assert_eq!(assigned["org_a"].changed, None);
    assert_eq!(slug_of(&assigned, "org_0"), "acme-2");
    assert_eq!(assigned["org_0"].changed, Some(SlugChange::Missing));
    assert_eq!(slug_of(&assigned, "org_b"), "acme-3");
    assert_eq!(
        assigned["org_b"].changed,
        Some(SlugChange::TakenBy("org_a".to_owned()))
    );
    assert_eq!(slug_of(&assigned, "org_c"), "acme-4");
    assert_eq!(slug_of(&assigned, "org_e"), "elan");
    assert_eq!(slug_of(&assigned, "org_f"), "org_f");
}

#[test]
fn many_organizations_sharing_a_name_get_consecutive_slugs() {
    let headers: Vec<OrgHeader> = (0..5_000)
        .map(|i| header(&format!("org_{i:05}"), i, None, "Personal"))
        .chain(std::iter::once(header(
            "org_z",
            9_999,
            Some("personal-3"),
            "Z",
        )))
        .collect();
    let assigned = assign_slugs(headers);
    assert_eq!(slug_of(&assigned, "org_00000"), "personal");
    assert_eq!(slug_of(&assigned, "org_00001"), "personal-2");
    assert_eq!(
        slug_of(&assigned, "org_00002"),
        "personal-4",
        "personal-3 is kept by org_z"
    );
    assert_eq!(slug_of(&assigned, "org_04999"), "personal-5001");
    let distinct: HashSet<&String> = assigned.values().map(|a| &a.slug).collect();
    assert_eq!(distinct.len(), 5_001);
}

#[test]
fn same_created_at_is_ordered_by_id() {
    let assigned = assign_slugs(vec![
        header("org_2", 1, Some("x"), "X"),
        header("org_1", 1, Some("x"), "X"),
    ]);
    assert_eq!(slug_of(&assigned, "org_1"), "x");
    assert_eq!(slug_of(&assigned, "org_2"), "x-2");
}

#[test]
fn roles_map_as_decided() {
    assert_eq!(map_role(Some("org:admin")), "admin");
    assert_eq!(map_role(Some("admin")), "admin");
    assert_eq!(map_role(Some("org:member")), "member");
    assert_eq!(map_role(Some("basic_member")), "member");
    assert_eq!(map_role(Some("org:billing")), "billing");
    assert_eq!(map_role(None), "member");
}

#[test]
fn permissions_map_system_ones_and_keep_custom_ones() {
    let keys: Vec<String> = [
        "org:sys_profile:manage",
        "org:sys_memberships:manage",
        "org:sys_memberships:read",
        "org:sys_domains:manage",
        "org:invoices:read",
        "org:invoices:read",
        "org:invoices:write",
        "garbage",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    let p = role_permission(&keys);
    assert_eq!(
        serde_json::to_string(&p).unwrap(),
        r#"{"invitation":["create","cancel"],"invoices":["read","write"],"member":["create","update","delete"],"organization":["update"]}"#
    );
}

fn membership(id: &str, user: &str, role: &str, at: i64) -> Membership {
    Membership {
        id: id.to_owned(),
        role: Some(role.to_owned()),
        permissions: Vec::new(),
        public_user_data: Some(PublicUserData {
            user_id: Some(user.to_owned()),
        }),
        created_at: Some(at),
    }
}

fn entry(created_by: Option<&str>, memberships: Vec<Membership>) -> OrgEntry {
    OrgEntry {
        organization: Organization {
            id: "org_1".into(),
            name: Some("One".into()),
            slug: Some("one".into()),
            created_by: created_by.map(str::to_owned),
            created_at: Some(1_700_000_000_000),
            ..Organization::default()
        },
        memberships,
        invitations: Vec::new(),
        line: 1,
    }
}

fn kept_slug() -> AssignedSlug {
    AssignedSlug {
        slug: "one".into(),
        changed: None,
    }
}

fn plan(entry: &OrgEntry, dac: bool, imported: &dyn Fn(&str) -> bool) -> OrgPlan {
    let mut options = OrgOptions::new("x".into());
    options.dynamic_access_control = dac;
    plan_organization(entry, &kept_slug(), &HashMap::new(), &options, imported)
}

fn roles_of(plan: &OrgPlan) -> Vec<(String, String)> {
    plan.members
        .iter()
        .map(|r| {
            (
                r.text("userId").unwrap().to_owned(),
                r.text("role").unwrap().to_owned(),
            )
        })
        .collect()
}

fn kinds(plan: &OrgPlan) -> Vec<IssueKind> {
    plan.issues.iter().map(|i| i.kind).collect()
}

#[test]
fn the_creator_is_the_owner_whatever_its_role() {
    let e = entry(
        Some("user_c"),
        vec![
            membership("m1", "user_a", "org:admin", 1),
            membership("m2", "user_c", "org:member", 2),
        ],
    );
    let p = plan(&e, false, &|_| true);
    assert_eq!(
        roles_of(&p),
        [
            ("user_a".to_owned(), "admin".to_owned()),
            ("user_c".to_owned(), "owner".to_owned())
        ]
    );
    let chosen = p
        .issues
        .iter()
        .find(|i| i.kind == IssueKind::OrganizationOwnerChosen)
        .unwrap();
    assert!(chosen.detail.contains("user_c") && chosen.detail.contains("creator"));
}

#[test]
fn without_the_creator_the_oldest_admin_then_the_oldest_member_is_owner() {
    let e = entry(
        Some("user_gone"),
        vec![
            membership("m1", "user_a", "org:member", 1),
            membership("m3", "user_c", "org:admin", 3),
            membership("m2", "user_b", "admin", 2),
            membership("m4", "user_gone", "org:admin", 0),
        ],
    );
    let p = plan(&e, false, &|u| u != "user_gone");
    assert_eq!(p.owner.as_deref(), Some("user_b"));
    assert!(kinds(&p).contains(&IssueKind::MembershipUserNotImported));
    assert_eq!(p.members_skipped, 1);
    assert_eq!(p.members.len(), 3);
    let e = entry(
        None,
        vec![
            membership("m2", "user_b", "org:member", 2),
            membership("m1", "user_a", "org:member", 1),
        ],
    );
    let p = plan(&e, false, &|_| true);
    assert_eq!(p.owner.as_deref(), Some("user_a"));
    assert!(p.issues.iter().any(|i| i.detail.contains("oldest member")));
}

#[test]
fn an_organization_without_imported_members_has_no_owner_and_no_invitations() {
    let mut e = entry(
        Some("user_a"),
        vec![membership("m1", "user_a", "org:admin", 1)],
    );
    e.invitations.push(Invitation {
        id: "inv1".into(),
        email_address: Some("X@Y.dev".into()),
        status: Some("pending".into()),
        ..Invitation::default()
    });
    let p = plan(&e, false, &|_| false);
    assert!(p.members.is_empty() && p.invitations.is_empty());
    assert_eq!(p.owner, None);
    let k = kinds(&p);
    assert!(k.contains(&IssueKind::OrganizationWithoutOwner));
    assert!(k.contains(&IssueKind::InvitationsWithoutOwner));
    assert_eq!(p.invitations_skipped, 1);
}

#[test]
fn pending_invitations_come_with_the_owner_as_inviter_and_the_expiry_kept() {
    let mut e = entry(
        Some("user_a"),
        vec![membership("m1", "user_a", "org:admin", 1)],
    );
    e.invitations = vec![
        Invitation {
            id: "inv1".into(),
            email_address: Some("Someone@Example.COM".into()),
            role: Some("org:admin".into()),
            status: Some("pending".into()),
            inviter_id: Some("user_z".into()),
            created_at: Some(1_700_000_000_000),
            expires_at: Some(1_700_000_600_000),
            ..Invitation::default()
        },
        Invitation {
            id: "inv2".into(),
            email_address: Some("b@example.com".into()),
            status: Some("revoked".into()),
            ..Invitation::default()
        },
    ];
    let p = plan(&e, false, &|_| true);
    assert_eq!(p.invitations.len(), 1);
    let inv = &p.invitations[0];
    assert_eq!(inv.text("email"), Some("someone@example.com"));
    assert_eq!(inv.text("inviterId"), Some("user_a"));
    assert_eq!(inv.text("role"), Some("admin"));
    assert_eq!(inv.text("status"), Some("pending"));
    assert_eq!(
        inv.date("expiresAt"),
        timefmt::from_epoch_ms(1_700_000_600_000)
    );
    let extra = p.extras.iter().find(|x| x.kind == "invitation").unwrap();
    assert_eq!(extra.inviter_id.as_deref(), Some("user_z"));
}

#[test]
fn metadata_goes_public_to_the_row_and_private_to_the_extras() {
    let mut e = entry(None, vec![]);
    e.organization.public_metadata = Some(serde_json::json!({"plan":"pro"}));
    e.organization.private_metadata = Some(serde_json::json!({"crm":"42"}));
    e.organization.max_allowed_memberships = Some(5);
    e.organization.image_url = Some("https://img.clerk.com/default".into());
    let p = plan(&e, false, &|_| true);
    assert_eq!(p.organization.text("metadata"), Some(r#"{"plan":"pro"}"#));
    assert!(p.organization.get("logo").unwrap().is_null(), "no image");
    let x = &p.extras[0];
    assert_eq!(x.private_metadata, Some(serde_json::json!({"crm":"42"})));
    assert_eq!(x.max_allowed_memberships, Some(5));
    e.organization.public_metadata = Some(serde_json::json!({}));
    e.organization.has_image = true;
    let p = plan(&e, false, &|_| true);
    assert!(p.organization.get("metadata").unwrap().is_null());
    assert_eq!(
        p.organization.text("logo"),
        Some("https://img.clerk.com/default")
    );
}

#[test]
fn custom_roles_become_role_rows_with_dynamic_access_control() {
    let mut billing = membership("m2", "user_b", "org:billing", 2);
    billing.permissions = vec![
        "org:sys_memberships:read".into(),
        "org:invoices:read".into(),
    ];
    let e = entry(
        Some("user_a"),
        vec![membership("m1", "user_a", "org:admin", 1), billing],
    );
    let p = plan(&e, true, &|_| true);
    assert_eq!(p.roles.len(), 1);
    assert_eq!(p.roles[0].text("role"), Some("billing"));
    assert_eq!(
        p.roles[0].text("permission"),
        Some(r#"{"invoices":["read"]}"#)
    );
    assert_eq!(
        p.roles[0].text("id"),
        Some(ids::organization_role("org_1", "billing").as_str())
    );
    assert!(!kinds(&p).contains(&IssueKind::RoleGrantsNothing));

    // The catalog wins over what memberships carry.
    let mut options = OrgOptions::new("x".into());
    options.dynamic_access_control = true;
    let catalog = catalog(vec![Role {
        key: "org:billing".into(),
        permissions: vec![Permission {
            key: "org:sys_profile:manage".into(),
        }],
    }]);
    let p = plan_organization(&e, &kept_slug(), &catalog, &options, &|_| true);
    assert_eq!(
        p.roles[0].text("permission"),
        Some(r#"{"organization":["update"]}"#)
    );

    // Without it: no rows, and the member whose role grants nothing is named.
    let p = plan(&e, false, &|_| true);
    assert!(p.roles.is_empty());
    let warned = p
        .issues
        .iter()
        .find(|i| i.kind == IssueKind::RoleGrantsNothing)
        .unwrap();
    assert_eq!(warned.clerk_id.as_deref(), Some("m2"));
    assert!(warned.detail.contains("dynamic_access_control"));
}

#[test]
fn a_custom_role_declared_in_config_grants_without_dynamic_access_control() {
    let e = entry(None, vec![membership("m2", "user_b", "org:billing", 2)]);
    let mut options = OrgOptions::new("x".into());
    options.roles = vec![RoleConfig {
        name: "billing".into(),
        permissions: vec![("invoices".into(), vec!["read".into()])],
    }];
    let p = plan_organization(&e, &kept_slug(), &HashMap::new(), &options, &|_| true);
    assert!(!kinds(&p).contains(&IssueKind::RoleGrantsNothing));
}

#[test]
fn a_creator_with_a_custom_role_keeps_it_beside_owner() {
    let e = entry(
        Some("user_a"),
        vec![membership("m1", "user_a", "org:billing", 1)],
    );
    let p = plan(&e, false, &|_| true);
    assert_eq!(roles_of(&p)[0].1, "owner,billing");
}
