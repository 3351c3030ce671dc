//! Organizations for a generated export: the side file `users.organizations.ndjson`
//! ([`crate::clerk::org_snapshot`]), as the API client writes it, with the counts an import must
//! produce (every plugin on, dynamic access control on).
//!
//! With edge cases: fixed organizations for each rule of the reference §4.3a (a kept slug and its
//! newer duplicate, a null slug with an accented name, a creator who left, legacy roles, a custom
//! role with system and custom permissions, a membership of a user not in the export, an
//! organization none of whose members is imported, pending and revoked invitations). Then
//! `organizations` random ones. Deterministic: everything derives from the seed.

use super::rng::Rng;
use crate::clerk::org_bapi::{
    Invitation, Membership, Organization, Permission, PublicUserData, Role,
};
use crate::clerk::org_plan::map_role;
use crate::clerk::org_snapshot::{LineKind, OrgSnapshotWriter};
use serde::Serialize;
use serde_json::json;
use std::collections::BTreeSet;
use std::io;

const ID: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const DAY_MS: i64 = 86_400_000;
/// A user id no export holds: its memberships must be skipped and reported.
pub const MISSING_USER: &str = "user_2NotInTheExport000000000";

/// What an import of the organizations must produce.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct OrgStats {
    pub organizations: u64,
    pub expected_members: u64,
    /// Memberships of users not imported.
    pub expected_members_skipped: u64,
    pub expected_invitations: u64,
    /// Pending invitations of organizations without an owner.
    pub expected_invitations_skipped: u64,
    /// `organizationRole` rows with dynamic access control.
    pub expected_roles: u64,
    /// Organizations without an imported member.
    pub expected_without_owner: u64,
}

/// The instance's roles, as `/organization_roles` lists them.
pub fn roles() -> Vec<Role> {
    let role = |key: &str, permissions: &[&str]| Role {
        key: key.to_owned(),
        permissions: permissions
            .iter()
            .map(|p| Permission {
                key: (*p).to_owned(),
            })
            .collect(),
    };
    vec![
        role(
            "org:admin",
            &[
                "org:sys_profile:manage",
                "org:sys_profile:delete",
                "org:sys_memberships:manage",
                "org:sys_memberships:read",
            ],
        ),
        role("org:member", &["org:sys_memberships:read"]),
        role(
            "org:billing",
            &[
                "org:sys_memberships:read",
                "org:invoices:read",
                "org:invoices:manage",
            ],
        ),
        role(
            "org:support",
            &["org:sys_memberships:read", "org:tickets:reply"],
        ),
    ]
}

fn permissions_of(role: &str) -> Vec<String> {
    roles()
        .into_iter()
        .find(|r| r.key == role)
        .map(|r| r.permissions.into_iter().map(|p| p.key).collect())
        .unwrap_or_default()
}

fn membership(rng: &mut Rng, user: &str, role: &str, at: i64) -> Membership {
    Membership {
        id: format!("orgmem_{}", rng.string(ID, 27)),
        role: Some(role.to_owned()),
        permissions: permissions_of(role),
        public_user_data: Some(PublicUserData {
            user_id: Some(user.to_owned()),
        }),
        created_at: Some(at),
    }
}

fn invitation(rng: &mut Rng, email: &str, role: &str, status: &str, at: i64) -> Invitation {
    Invitation {
        id: format!("orginv_{}", rng.string(ID, 27)),
        email_address: Some(email.to_owned()),
        role: Some(role.to_owned()),
        status: Some(status.to_owned()),
        inviter_id: None,
        public_inviter_data: None,
        created_at: Some(at),
        expires_at: Some(at + 30 * DAY_MS),
    }
}

struct Org {
    org: Organization,
    memberships: Vec<Membership>,
    invitations: Vec<Invitation>,
}

/// Counts what the importer makes of `org`, by the rules, simply.
fn tally(org: &Org, imported: &dyn Fn(&str) -> bool, stats: &mut OrgStats) {
    stats.organizations += 1;
    let mut users = BTreeSet::new();
    let mut custom = BTreeSet::new();
    for m in &org.memberships {
        let Some(user) = m.user_id() else { continue };
        if imported(user) && users.insert(user.to_owned()) {
            stats.expected_members += 1;
            let role = map_role(m.role.as_deref());
            if !matches!(role.as_str(), "admin" | "member") {
                custom.insert(role);
            }
        } else {
            stats.expected_members_skipped += 1;
        }
    }
    let pending: Vec<&Invitation> = org
        .invitations
        .iter()
        .filter(|i| i.status.as_deref() == Some("pending"))
        .collect();
    if users.is_empty() {
        stats.expected_without_owner += 1;
        stats.expected_invitations_skipped += pending.len() as u64;
    } else {
        stats.expected_invitations += pending.len() as u64;
        for i in pending {
            let role = map_role(i.role.as_deref());
            if !matches!(role.as_str(), "admin" | "member") {
                custom.insert(role);
            }
        }
    }
    stats.expected_roles += custom.len() as u64;
}

/// The fixed organizations; `u` are importable user ids (at least 8), oldest first.
fn fixtures(rng: &mut Rng, u: &[String], epoch: i64) -> Vec<Org> {
    let user = |i: usize| u.get(i).cloned().unwrap_or_default();
    let at = |days: i64| epoch + days * DAY_MS;
    let mut orgs = Vec::new();
    // The oldest holder of "acme": keeps it. Its creator is a member; a custom role; a membership
    // of a user not in the export; metadata of all kinds; an image; a pending and a revoked
    // invitation (the pending one with an upper-case email).
    orgs.push(Org {
        org: Organization {
            id: "org_2FixtureAcme00000000000000".into(),
            name: Some("Acme Inc".into()),
            slug: Some("acme".into()),
            image_url: Some("https://img.clerk.com/acme.png".into()),
            has_image: true,
            max_allowed_memberships: Some(50),
            admin_delete_enabled: Some(true),
            public_metadata: Some(json!({"plan": "pro"})),
            private_metadata: Some(json!({"crm_id": "crm-42"})),
            created_by: Some(user(0)),
            created_at: Some(at(1)),
        },
        memberships: vec![
            membership(rng, &user(0), "org:admin", at(1)),
            membership(rng, &user(1), "org:member", at(2)),
            membership(rng, &user(2), "org:billing", at(3)),
            membership(rng, MISSING_USER, "org:member", at(4)),
        ],
        invitations: vec![
            invitation(rng, "New.Hire@Example.COM", "org:member", "pending", at(5)),
            invitation(rng, "gone@example.com", "org:member", "revoked", at(5)),
        ],
    });
    // A newer organization with the same Clerk slug: gets "acme-2". Its creator left: the oldest
    // admin becomes owner (an older plain member does not).
    orgs.push(Org {
        org: Organization {
            id: "org_2FixtureAcmeDup0000000000".into(),
            name: Some("Acme (EU)".into()),
            slug: Some("acme".into()),
            image_url: Some("https://img.clerk.com/default-logo".into()),
            has_image: false,
            created_by: Some(MISSING_USER.into()),
            created_at: Some(at(2)),
            ..Organization::default()
        },
        memberships: vec![
            membership(rng, &user(3), "org:member", at(2)),
            membership(rng, &user(4), "org:admin", at(3)),
            membership(rng, &user(1), "org:support", at(4)),
        ],
        invitations: vec![invitation(
            rng,
            "eu@example.com",
            "org:admin",
            "pending",
            at(4),
        )],
    });
    // No slug, an accented name: "cafe-creme". No creator and no admin: the oldest member owns it.
    orgs.push(Org {
        org: Organization {
            id: "org_2FixtureNoSlug00000000000".into(),
            name: Some("Café Crème".into()),
            slug: None,
            created_at: Some(at(3)),
            ..Organization::default()
        },
        memberships: vec![
            membership(rng, &user(6), "org:member", at(4)),
            membership(rng, &user(5), "org:member", at(3)),
        ],
        invitations: vec![invitation(
            rng,
            "barista@example.com",
            "org:billing",
            "pending",
            at(5),
        )],
    });
    // None of its members is imported: no owner, its pending invitation is skipped.
    orgs.push(Org {
        org: Organization {
            id: "org_2FixtureNobody0000000000".into(),
            name: Some("Ghost Town".into()),
            slug: Some("".into()),
            created_by: Some(MISSING_USER.into()),
            created_at: Some(at(4)),
            ..Organization::default()
        },
        memberships: vec![membership(rng, MISSING_USER, "org:admin", at(4))],
        invitations: vec![invitation(
            rng,
            "nobody@example.com",
            "org:member",
            "pending",
            at(5),
        )],
    });
    // Roles from before December 2023: `admin` and `basic_member`.
    orgs.push(Org {
        org: Organization {
            id: "org_2FixtureLegacy0000000000".into(),
            name: Some("Legacy Roles".into()),
            slug: Some("legacy".into()),
            created_by: Some(user(7)),
            created_at: Some(at(5)),
            ..Organization::default()
        },
        memberships: vec![
            membership(rng, &user(7), "admin", at(5)),
            membership(rng, &user(0), "basic_member", at(6)),
        ],
        invitations: Vec::new(),
    });
    orgs
}

const WORDS: &[&str] = &[
    "North", "Blue", "Quantum", "Maple", "Orbit", "Harbor", "Cedar", "Nova", "Pixel", "Summit",
];

fn random_org(
    rng: &mut Rng,
    i: u64,
    pick_user: &mut dyn FnMut(&mut Rng) -> String,
    epoch: i64,
) -> Org {
    let created = epoch + DAY_MS * 10 + i64::try_from(i).unwrap_or(0) * 60_000;
    let name = format!(
        "{} {}",
        rng.pick(WORDS).copied().unwrap_or("Org"),
        rng.pick(WORDS).copied().unwrap_or("Works")
    );
    // Names repeat, so slugs do: the duplicate-slug rule runs throughout.
    let slug = (!rng.chance(0.1)).then(|| crate::clerk::org_plan::slugify(&name));
    let members = 1 + rng.below(6);
    let mut memberships = Vec::new();
    let mut seen = BTreeSet::new();
    for m in 0..members {
        let user = pick_user(rng);
        if !seen.insert(user.clone()) {
            continue;
        }
        let role = if m == 0 {
            "org:admin"
        } else if rng.chance(0.1) {
            "org:billing"
        } else {
            "org:member"
        };
        let at = created + i64::try_from(m).unwrap_or(0) * 1_000;
        memberships.push(membership(rng, &user, role, at));
    }
    let creator = memberships
        .first()
        .and_then(|m| m.user_id())
        .map(str::to_owned);
    let invitations = (0..rng.below(3))
        .map(|k| {
            let email = format!("invitee{i}.{k}@example.com");
            invitation(rng, &email, "org:member", "pending", created + 5_000)
        })
        .collect();
    Org {
        org: Organization {
            id: format!("org_{}", rng.string(ID, 27)),
            name: Some(name),
            slug,
            public_metadata: rng.chance(0.2).then(|| json!({"tier": "gold"})),
            created_by: creator,
            created_at: Some(created),
            ..Organization::default()
        },
        memberships,
        invitations,
    }
}

fn write(out: &mut OrgSnapshotWriter, org: &Org) -> io::Result<()> {
    out.write(LineKind::Organization, &org.org)?;
    for m in &org.memberships {
        out.write(LineKind::Membership, m)?;
    }
    for i in &org.invitations {
        out.write(LineKind::Invitation, i)?;
    }
    Ok(())
}

/// Writes the side file: roles, fixtures (when `importable` has 8 users or more), then `random`
/// organizations whose members `pick_user` chooses.
pub fn generate(
    out: &mut OrgSnapshotWriter,
    rng: &mut Rng,
    importable: &[String],
    fixtures_wanted: bool,
    random: u64,
    pick_user: &mut dyn FnMut(&mut Rng) -> String,
    epoch: i64,
) -> io::Result<OrgStats> {
    // Every member is an importable user but the one made up to be missing.
    let imported = |id: &str| id != MISSING_USER;
    let imported = &imported;
    let mut stats = OrgStats::default();
    for role in roles() {
        out.write(LineKind::Role, &role)?;
    }
    if fixtures_wanted && importable.len() >= 8 {
        for org in fixtures(&mut rng.fork(1), importable, epoch) {
            tally(&org, imported, &mut stats);
            write(out, &org)?;
        }
    }
    let mut random_rng = rng.fork(2);
    for i in 0..random {
        let org = random_org(&mut random_rng, i, pick_user, epoch);
        tally(&org, imported, &mut stats);
        write(out, &org)?;
    }
    Ok(stats)
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
mod tests {
    use crate::clerk::generate::{GenerateOptions, generate_to_dir};

    fn run(seed: u64) -> (Vec<u8>, super::OrgStats) {
        let dir = tempfile::tempdir().unwrap();
        let options = GenerateOptions {
            seed,
            bcrypt_cost: 4,
            bcrypt_pool: 1,
            organizations: 20,
            ..GenerateOptions::example()
        };
        let (paths, stats) = generate_to_dir(&options, dir.path()).unwrap();
        (
            std::fs::read(paths.organizations.unwrap()).unwrap(),
            stats.organizations,
        )
    }

    #[test]
    fn the_same_seed_gives_the_same_organizations() {
        let (a, stats) = run(1);
        assert_eq!(a, run(1).0);
        assert_ne!(a, run(2).0);
        assert_eq!(stats.organizations, 25, "5 fixtures and 20 random");
        assert!(stats.expected_members_skipped >= 2 && stats.expected_without_owner >= 1);
    }

    #[test]
    fn a_bench_export_without_organizations_has_no_side_file() {
        let dir = tempfile::tempdir().unwrap();
        let options = GenerateOptions {
            bcrypt_cost: 4,
            bcrypt_pool: 1,
            ..GenerateOptions::bench(10)
        };
        let (paths, stats) = generate_to_dir(&options, dir.path()).unwrap();
        assert!(paths.organizations.is_none());
        assert_eq!(stats.organizations, super::OrgStats::default());
    }
}
