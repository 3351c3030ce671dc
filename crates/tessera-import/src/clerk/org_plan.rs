//! One Clerk organization → Better Auth's `organization`, `member`, `invitation` and (with
//! dynamic access control) `organizationRole` rows, by the decided rules of the Better Auth
//! reference §4.3a. Pure: which users were imported is asked of the caller.
//!
//! - Ids are kept (`org_…`, `orgmem_…`, `orginv_…`); an `organizationRole` row's id derives from
//!   the organization and role ([`super::ids::organization_role`]), so reruns find every row.
//! - Slugs ([`assign_slugs`]): organizations oldest first by (`created_at`, `id`); the first holder
//!   of a non-empty Clerk slug keeps it, every other one gets `base`, `base-2`, … (base: its Clerk
//!   slug, else its name slugified, else its id).
//! - Roles ([`map_role`]): `org:admin`/`admin` → `admin`, `org:member`/`basic_member` → `member`,
//!   `org:<key>` → `<key>`.
//! - Exactly one owner per organization with imported members ([`choose_owner`]).
//! - Pending invitations only, email lower-cased, Clerk's expiry kept, the owner as inviter.

use super::extras::Extras;
use super::ids;
use super::issue::{Input, Issue, IssueKind, Location};
use super::org_bapi::{Invitation, Membership, Organization, Role};
use super::org_snapshot::OrgEntry;
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, HashSet};
use tessera_core::config::RoleConfig;
use tessera_core::plugins::organization_access::Roles;
use tessera_core::timefmt;
use tessera_store::Row;
use time::OffsetDateTime;

/// What the organization part of an import needs from the configuration.
#[derive(Debug, Clone)]
pub struct OrgOptions {
    /// The organizations side file ([`super::org_snapshot`]).
    pub source: std::path::PathBuf,
    /// `[organization.dynamic_access_control] enabled`: custom roles become `organizationRole`
    /// rows.
    pub dynamic_access_control: bool,
    /// `[organization.roles.*]`: static roles a custom Clerk role may already match.
    pub roles: Vec<RoleConfig>,
    /// `invitation_expires_in`, for an invitation Clerk gives no expiry.
    pub invitation_expires_in: u64,
    pub now: OffsetDateTime,
}

impl OrgOptions {
    pub fn new(source: std::path::PathBuf) -> OrgOptions {
        OrgOptions {
            source,
            dynamic_access_control: false,
            roles: Vec::new(),
            invitation_expires_in: tessera_core::config::DEFAULT_INVITATION_EXPIRES_IN,
            now: timefmt::now_ms(),
        }
    }

    /// From the server's configuration.
    pub fn from_config(
        source: std::path::PathBuf,
        config: &tessera_core::config::OrganizationConfig,
    ) -> OrgOptions {
        OrgOptions {
            dynamic_access_control: config.dynamic_access_control.enabled,
            roles: config.roles.clone(),
            invitation_expires_in: config.invitation_expires_in,
            ..OrgOptions::new(source)
        }
    }
}

/// Better Auth's role name for a Clerk role key.
pub fn map_role(clerk: Option<&str>) -> String {
    match clerk.map(str::trim).unwrap_or("") {
        "" | "org:member" | "basic_member" => "member".to_owned(),
        "org:admin" | "admin" => "admin".to_owned(),
        other => other.strip_prefix("org:").unwrap_or(other).to_lowercase(),
    }
}

fn is_builtin(role: &str) -> bool {
    matches!(role, "admin" | "member" | "owner")
}

/// Accents stripped (Latin letters), lower case, every run of other characters one `-`.
pub fn slugify(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut dash = false;
    for c in text.chars() {
        let folded = fold(c);
        let mut pushed = false;
        for f in folded.chars() {
            if f.is_ascii_alphanumeric() {
                if dash && !out.is_empty() {
                    out.push('-');
                }
                dash = false;
                out.push(f.to_ascii_lowercase());
                pushed = true;
            }
        }
        if !pushed {
            dash = true;
        }
    }
    out
}

/// The unaccented form of a Latin letter (NFD's base letter for the common ones).
fn fold(c: char) -> std::borrow::Cow<'static, str> {
    let s = match c {
        'À'..='Å' | 'à'..='å' | 'Ā' | 'ā' | 'Ă' | 'ă' | 'Ą' | 'ą' => "a",
        'Æ' | 'æ' => "ae",
        'Ç' | 'ç' | 'Ć' | 'ć' | 'Č' | 'č' => "c",
        'Ď' | 'ď' | 'Đ' | 'đ' | 'Ð' | 'ð' => "d",
        'È'..='Ë' | 'è'..='ë' | 'Ē' | 'ē' | 'Ę' | 'ę' | 'Ě' | 'ě' => "e",
        'Ğ' | 'ğ' => "g",
        'Ì'..='Ï' | 'ì'..='ï' | 'Ī' | 'ī' | 'İ' | 'ı' => "i",
        'Ł' | 'ł' | 'Ľ' | 'ľ' => "l",
        'Ñ' | 'ñ' | 'Ń' | 'ń' | 'Ň' | 'ň' => "n",
        'Ò'..='Ö' | 'Ø' | 'ò'..='ö' | 'ø' | 'Ō' | 'ō' | 'Ő' | 'ő' => "o",
        'Œ' | 'œ' => "oe",
        'Ř' | 'ř' => "r",
        'Ś' | 'ś' | 'Š' | 'š' | 'Ş' | 'ş' => "s",
        'ß' => "ss",
        'Ť' | 'ť' | 'Ţ' | 'ţ' => "t",
        'Ù'..='Ü' | 'ù'..='ü' | 'Ū' | 'ū' | 'Ů' | 'ů' | 'Ű' | 'ű' => "u",
        'Ý' | 'ý' | 'ÿ' | 'Ÿ' => "y",
        'Ź' | 'ź' | 'Ż' | 'ż' | 'Ž' | 'ž' => "z",
        'Þ' | 'þ' => "th",
        _ => return std::borrow::Cow::Owned(c.to_string()),
    };
    std::borrow::Cow::Borrowed(s)
}

/// What the slug rule needs of an organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgHeader {
    pub id: String,
    pub created_at: Option<i64>,
    pub slug: Option<String>,
    pub name: Option<String>,
}

impl From<&Organization> for OrgHeader {
    fn from(org: &Organization) -> OrgHeader {
        OrgHeader {
            id: org.id.clone(),
            created_at: org.created_at,
            slug: org.slug.clone(),
            name: org.name.clone(),
        }
    }
}

/// The slug an organization gets, and why it is not its Clerk slug.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssignedSlug {
    pub slug: String,
    /// `None`: the Clerk slug, kept.
    pub changed: Option<SlugChange>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SlugChange {
    /// Clerk had no slug (null or empty).
    Missing,
    /// An older organization holds the Clerk slug.
    TakenBy(String),
}

/// Every organization's slug, oldest first by (`created_at`, `id`) (an organization Clerk does
/// not date comes last).
pub fn assign_slugs(mut headers: Vec<OrgHeader>) -> HashMap<String, AssignedSlug> {
    headers.sort_by(|a, b| {
        (a.created_at.unwrap_or(i64::MAX), &a.id).cmp(&(b.created_at.unwrap_or(i64::MAX), &b.id))
    });
    let mut holders: HashMap<&str, &str> = HashMap::new();
    let mut assigned = HashMap::with_capacity(headers.len());
    let mut used: HashSet<String> = HashSet::new();
    let mut next_suffix: HashMap<String, u64> = HashMap::new();
    for h in &headers {
        if let Some(slug) = h.slug.as_deref().filter(|s| !s.trim().is_empty())
            && !holders.contains_key(slug)
        {
            holders.insert(slug, &h.id);
            used.insert(slug.to_owned());
            assigned.insert(
                h.id.clone(),
                AssignedSlug {
                    slug: slug.to_owned(),
                    changed: None,
                },
            );
        }
    }
    for h in &headers {
        if assigned.contains_key(&h.id) {
            continue;
        }
        let clerk = h.slug.as_deref().filter(|s| !s.trim().is_empty());
        let base = clerk
            .map(str::to_owned)
            .or_else(|| h.name.as_deref().map(slugify).filter(|s| !s.is_empty()))
            .unwrap_or_else(|| h.id.clone());
        // The next suffix to try per base, so a name a thousand organizations share costs a
        // thousand lookups, not half a million.
        let next = next_suffix.entry(base.clone()).or_insert(2u64);
        let mut slug = base.clone();
        while used.contains(&slug) {
            slug = format!("{base}-{next}");
            *next += 1;
        }
        used.insert(slug.clone());
        let changed = match clerk.and_then(|s| holders.get(s)) {
            Some(holder) => SlugChange::TakenBy((*holder).to_owned()),
            None => SlugChange::Missing,
        };
        assigned.insert(
            h.id.clone(),
            AssignedSlug {
                slug,
                changed: Some(changed),
            },
        );
    }
    assigned
}

/// Why an owner was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnerReason {
    Creator,
    OldestAdmin,
    OldestMember,
}

impl OwnerReason {
    fn said(self) -> &'static str {
        match self {
            OwnerReason::Creator => "its creator",
            OwnerReason::OldestAdmin => "its oldest admin (the creator is not an imported member)",
            OwnerReason::OldestMember => {
                "its oldest member (the creator is not an imported member and no admin is)"
            }
        }
    }
}

fn age(m: &Membership) -> (i64, &str) {
    (m.created_at.unwrap_or(i64::MAX), m.id.as_str())
}

/// The owner among imported memberships: the creator if one of them, else the oldest admin, else
/// the oldest membership. Returns its index.
pub fn choose_owner(
    memberships: &[&Membership],
    created_by: Option<&str>,
) -> Option<(usize, OwnerReason)> {
    if let Some(creator) = created_by
        && let Some(i) = memberships
            .iter()
            .position(|m| m.user_id() == Some(creator))
    {
        return Some((i, OwnerReason::Creator));
    }
    let oldest = |admin: bool| {
        memberships
            .iter()
            .enumerate()
            .filter(|(_, m)| !admin || map_role(m.role.as_deref()) == "admin")
            .min_by(|(_, a), (_, b)| age(a).cmp(&age(b)))
            .map(|(i, _)| i)
    };
    if let Some(i) = oldest(true) {
        return Some((i, OwnerReason::OldestAdmin));
    }
    oldest(false).map(|i| (i, OwnerReason::OldestMember))
}

/// A Clerk permission key as Better Auth statements (reference §4.2).
pub fn permission_statements(key: &str) -> Vec<(&'static str, Vec<&'static str>)> {
    match key {
        "org:sys_profile:manage" => vec![("organization", vec!["update"])],
        "org:sys_profile:delete" => vec![("organization", vec!["delete"])],
        "org:sys_memberships:manage" => vec![
            ("member", vec!["create", "update", "delete"]),
            ("invitation", vec!["create", "cancel"]),
        ],
        _ => Vec::new(),
    }
}

/// The `organizationRole.permission` statements of a Clerk role's permission keys: `org:sys_*`
/// mapped (§4.2), `org:<resource>:<action>` kept as `{"<resource>":["<action>"]}`.
pub fn role_permission(keys: &[String]) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut add = |resource: &str, action: &str| {
        let actions = out.entry(resource.to_owned()).or_default();
        if !actions.iter().any(|a| a == action) {
            actions.push(action.to_owned());
        }
    };
    for key in keys {
        if key.starts_with("org:sys_") {
            for (resource, actions) in permission_statements(key) {
                for action in actions {
                    add(resource, action);
                }
            }
            continue;
        }
        let mut parts = key.splitn(3, ':');
        if let (Some("org"), Some(resource), Some(action)) =
            (parts.next(), parts.next(), parts.next())
            && !resource.is_empty()
            && !action.is_empty()
        {
            add(resource, action);
        }
    }
    out
}

/// A line of the extras file for an organization or invitation.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct OrgExtras {
    pub clerk_id: String,
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub private_metadata: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_allowed_memberships: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub admin_delete_enabled: Option<bool>,
    /// The Clerk user who sent the invitation (Better Auth's `inviterId` is the owner).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inviter_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_inviter_data: Option<Value>,
}

/// An organization's rows, its issues and extras.
#[derive(Debug, Clone, Default)]
pub struct OrgPlan {
    pub id: String,
    pub slug: String,
    pub organization: Row,
    pub roles: Vec<Row>,
    pub members: Vec<Row>,
    pub invitations: Vec<Row>,
    pub issues: Vec<Issue>,
    pub extras: Vec<OrgExtras>,
    pub members_skipped: u64,
    pub invitations_skipped: u64,
    /// Whether the organization got an owner (it has imported members).
    pub owner: Option<String>,
}

/// Plans one organization. `imported(user_id)` says whether the user is (or will be) in the
/// database; `catalog` is the instance's roles by key.
pub fn plan_organization(
    entry: &OrgEntry,
    slug: &AssignedSlug,
    catalog: &HashMap<String, Role>,
    options: &OrgOptions,
    imported: &dyn Fn(&str) -> bool,
) -> OrgPlan {
    let org = &entry.organization;
    let location = Some(Location::line(Input::Organizations, entry.line));
    let issue =
        |kind: IssueKind, id: &str, detail: String| Issue::new(kind, detail).user(id).at(location);
    let mut plan = OrgPlan {
        id: org.id.clone(),
        slug: slug.slug.clone(),
        ..OrgPlan::default()
    };
    match &slug.changed {
        None => {}
        Some(SlugChange::Missing) => plan.issues.push(issue(
            IssueKind::OrganizationSlugGenerated,
            &org.id,
            format!(
                "Clerk has no slug for this organization; stored as {:?}",
                slug.slug
            ),
        )),
        Some(SlugChange::TakenBy(holder)) => plan.issues.push(issue(
            IssueKind::OrganizationSlugGenerated,
            &org.id,
            format!(
                "its Clerk slug belongs to the older organization {holder}; stored as {:?}",
                slug.slug
            ),
        )),
    }
    let created_at = timestamp(org.created_at).unwrap_or(options.now);
    let name = org
        .name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_owned);
    let name = name.unwrap_or_else(|| {
        plan.issues.push(issue(
            IssueKind::OrganizationNameMissing,
            &org.id,
            "Clerk has no name for this organization; its slug is its name".to_owned(),
        ));
        slug.slug.clone()
    });
    let metadata = Extras::metadata(org.public_metadata.as_ref()).map(|v| v.to_string());
    let logo = org
        .image_url
        .as_deref()
        .filter(|u| org.has_image && !u.is_empty());
    plan.organization = Row::new()
        .with("id", org.id.as_str())
        .with("name", name)
        .with("slug", slug.slug.as_str())
        .with("logo", logo)
        .with("createdAt", created_at)
        .with("metadata", metadata);
    let extras = OrgExtras {
        clerk_id: org.id.clone(),
        kind: "organization",
        private_metadata: Extras::metadata(org.private_metadata.as_ref()),
        max_allowed_memberships: org.max_allowed_memberships,
        admin_delete_enabled: org.admin_delete_enabled,
        ..OrgExtras::default()
    };
    if extras.private_metadata.is_some()
        || extras.max_allowed_memberships.is_some()
        || extras.admin_delete_enabled.is_some()
    {
        plan.extras.push(extras);
    }

    // Memberships: those of imported users, oldest first, one per user.
    let mut memberships: Vec<&Membership> = entry.memberships.iter().collect();
    memberships.sort_by(|a, b| age(a).cmp(&age(b)));
    let mut kept: Vec<&Membership> = Vec::with_capacity(memberships.len());
    let mut users: HashSet<&str> = HashSet::new();
    for m in memberships {
        match m.user_id() {
            None => {
                plan.members_skipped += 1;
                plan.issues.push(issue(
                    IssueKind::MembershipUserNotImported,
                    &m.id,
                    format!(
                        "membership of organization {} names no user; skipped",
                        org.id
                    ),
                ));
            }
            Some(user) if !imported(user) => {
                plan.members_skipped += 1;
                plan.issues.push(issue(
                    IssueKind::MembershipUserNotImported,
                    &m.id,
                    format!(
                        "user {user} of organization {} was not imported; membership skipped",
                        org.id
                    ),
                ));
            }
            Some(user) if !users.insert(user) => {
                plan.members_skipped += 1;
                plan.issues.push(issue(
                    IssueKind::DuplicateMembership,
                    &m.id,
                    format!(
                        "user {user} already has an older membership of organization {}; skipped",
                        org.id
                    ),
                ));
            }
            Some(_) => kept.push(m),
        }
    }
    let owner = choose_owner(&kept, org.created_by.as_deref());
    let static_roles = Roles::new(&options.roles);
    let mut custom: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (i, m) in kept.iter().enumerate() {
        let Some(user) = m.user_id() else { continue };
        let mapped = map_role(m.role.as_deref());
        let is_owner = owner.is_some_and(|(o, _)| o == i);
        if !is_builtin(&mapped) {
            let permissions = custom.entry(mapped.clone()).or_default();
            for p in &m.permissions {
                if !permissions.contains(p) {
                    permissions.push(p.clone());
                }
            }
            if !options.dynamic_access_control && !static_roles.contains(&mapped) && !is_owner {
                plan.issues.push(issue(
                    IssueKind::RoleGrantsNothing,
                    &m.id,
                    format!(
                        "user {user} has the custom role {mapped:?}, which grants nothing without \
                         dynamic access control: set `[organization.dynamic_access_control] \
                         enabled = true` (or declare `[organization.roles.{mapped}]`) and import again"
                    ),
                ));
            }
        }
        let role = match (is_owner, is_builtin(&mapped)) {
            (false, _) => mapped,
            (true, true) => "owner".to_owned(),
            (true, false) => format!("owner,{mapped}"),
        };
        if let Some((_, reason)) = owner.filter(|(o, _)| *o == i) {
            plan.owner = Some(user.to_owned());
            plan.issues.push(issue(
                IssueKind::OrganizationOwnerChosen,
                &org.id,
                format!(
                    "owner: user {user}, {} (membership {})",
                    reason.said(),
                    m.id
                ),
            ));
        }
        plan.members.push(
            Row::new()
                .with("id", m.id.as_str())
                .with("organizationId", org.id.as_str())
                .with("userId", user)
                .with("role", role)
                .with("createdAt", timestamp(m.created_at).unwrap_or(options.now)),
        );
    }
    if owner.is_none() {
        plan.issues.push(issue(
            IssueKind::OrganizationWithoutOwner,
            &org.id,
            "none of its members was imported: the organization has no owner".to_owned(),
        ));
    }

    // Invitations: pending ones, with the owner as inviter.
    let mut invitation_roles: BTreeMap<String, ()> = BTreeMap::new();
    let pending: Vec<&Invitation> = entry
        .invitations
        .iter()
        .filter(|i| i.status.as_deref().is_none_or(|s| s == "pending"))
        .collect();
    // Accepted or revoked ones (in a hand-made file: the API client asks for pending only) are
    // history, not skipped invitations.
    match &plan.owner {
        None if !pending.is_empty() => {
            plan.invitations_skipped += pending.len() as u64;
            plan.issues.push(issue(
                IssueKind::InvitationsWithoutOwner,
                &org.id,
                format!(
                    "{} pending invitation(s) skipped: the organization has no owner to invite as",
                    pending.len()
                ),
            ));
        }
        None => {}
        Some(owner) => {
            for inv in pending {
                let Some(email) = inv
                    .email_address
                    .as_deref()
                    .map(str::trim)
                    .filter(|e| e.contains('@'))
                else {
                    plan.invitations_skipped += 1;
                    plan.issues.push(issue(
                        IssueKind::InvitationWithoutEmail,
                        &inv.id,
                        format!(
                            "invitation to organization {} has no email; skipped",
                            org.id
                        ),
                    ));
                    continue;
                };
                let role = map_role(inv.role.as_deref());
                if !is_builtin(&role) {
                    invitation_roles.insert(role.clone(), ());
                }
                let created = timestamp(inv.created_at).unwrap_or(options.now);
                let expires = timestamp(inv.expires_at).unwrap_or_else(|| {
                    created
                        + time::Duration::seconds(
                            i64::try_from(options.invitation_expires_in).unwrap_or(i64::MAX / 2),
                        )
                });
                plan.invitations.push(
                    Row::new()
                        .with("id", inv.id.as_str())
                        .with("organizationId", org.id.as_str())
                        .with("email", email.to_lowercase())
                        .with("role", role)
                        .with("status", "pending")
                        .with("expiresAt", expires)
                        .with("createdAt", created)
                        .with("inviterId", owner.as_str()),
                );
                if inv.inviter_id.is_some() || inv.public_inviter_data.is_some() {
                    plan.extras.push(OrgExtras {
                        clerk_id: inv.id.clone(),
                        kind: "invitation",
                        organization_id: Some(org.id.clone()),
                        inviter_id: inv.inviter_id.clone(),
                        public_inviter_data: inv.public_inviter_data.clone(),
                        ..OrgExtras::default()
                    });
                }
            }
        }
    }

    // Custom roles in use, as organizationRole rows (dynamic access control only).
    if options.dynamic_access_control {
        for role in invitation_roles.into_keys() {
            custom.entry(role).or_default();
        }
        for (role, seen) in custom {
            let keys: Vec<String> = match catalog.get(&role) {
                Some(r) => r.permissions.iter().map(|p| p.key.clone()).collect(),
                None => seen,
            };
            let permission = role_permission(&keys);
            let text = serde_json::to_string(&permission).unwrap_or_else(|_| "{}".to_owned());
            plan.roles.push(
                Row::new()
                    .with("id", ids::organization_role(&org.id, &role))
                    .with("organizationId", org.id.as_str())
                    .with("role", role)
                    .with("permission", text)
                    .with("createdAt", created_at)
                    .with("updatedAt", Option::<OffsetDateTime>::None),
            );
        }
    }
    plan
}

/// A Clerk millisecond timestamp, when it is a plausible date.
fn timestamp(ms: Option<i64>) -> Option<OffsetDateTime> {
    let t = timefmt::from_epoch_ms(ms?)?;
    (t.year() >= 1990 && t.year() <= 9999).then_some(t)
}

/// The catalog key of a Better Auth role name (the inverse of [`map_role`] for custom roles).
pub fn catalog(roles: Vec<Role>) -> HashMap<String, Role> {
    roles
        .into_iter()
        .map(|r| (map_role(Some(&r.key)), r))
        .collect()
}

#[cfg(test)]
#[path = "org_plan_tests.rs"]
mod tests;
