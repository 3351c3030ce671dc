//! `[organization]`: the organization plugin's options (Better Auth's `organization({…})`,
//! reference §1.1), with snake_case keys as `compat/lib/server.mjs` writes them.
//!
//! ```toml
//! [organization]
//! allow_user_to_create_organization = true
//! organization_limit = 5                  # omitted: no limit
//! creator_role = "owner"
//! membership_limit = 100
//! invitation_limit = 100
//! invitation_expires_in = 172800          # seconds
//! cancel_pending_invitations_on_re_invite = false
//! require_email_verification_on_invitation = false
//! disable_organization_deletion = false
//! # Where the invitation email points; `{id}` becomes the invitation id (the accept capability).
//! # Omitted: the email carries the id alone and the app builds its own link.
//! invitation_url = "https://app.example.com/accept-invitation/{id}"
//!
//! [organization.teams]
//! enabled = false
//! maximum_teams = 10                      # omitted: no limit
//! maximum_members_per_team = 50           # omitted: no limit
//! allow_removing_all_teams = false
//! default_team = true                     # Better Auth's `defaultTeam.enabled`
//!
//! [organization.dynamic_access_control]
//! enabled = false
//! maximum_roles_per_organization = 20     # omitted: no limit
//!
//! [organization.roles.billing]            # a static role besides owner, admin and member
//! billing = ["read", "write"]
//! ```
//!
//! Only Better Auth's number-or-value options are offered (its function forms need JavaScript).
//! Every key is optional; an unknown one is refused, naming it.

use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};

use super::ConfigError;
use crate::plugins::organization::OrganizationOptions;

/// Better Auth's `invitationExpiresIn`: 48 hours.
pub const DEFAULT_INVITATION_EXPIRES_IN: u64 = 48 * 60 * 60;
/// Better Auth's `membershipLimit || 100`, also list-members' default page size.
pub const DEFAULT_MEMBERSHIP_LIMIT: u64 = 100;
/// Better Auth's `invitationLimit` default.
pub const DEFAULT_INVITATION_LIMIT: u64 = 100;
/// Better Auth's `creatorRole` default.
pub const DEFAULT_CREATOR_ROLE: &str = "owner";

/// The organization plugin's options, with Better Auth's defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganizationConfig {
    pub allow_user_to_create_organization: bool,
    /// How many organizations a user may belong to before create is refused; `None`: no limit.
    pub organization_limit: Option<u64>,
    /// The role the creator of an organization gets, and the one the owner rules protect.
    pub creator_role: String,
    pub membership_limit: u64,
    /// Pending, unexpired invitations an organization may hold.
    pub invitation_limit: u64,
    /// Seconds an invitation stays acceptable.
    pub invitation_expires_in: u64,
    pub cancel_pending_invitations_on_re_invite: bool,
    /// Better Auth turns this on by itself only for guessable ids (`generateId`), which Tessera
    /// never uses, so its default here is plain `false`.
    pub require_email_verification_on_invitation: bool,
    pub disable_organization_deletion: bool,
    /// The accept link put into invitation emails, `{id}` standing for the invitation id
    /// (Better Auth leaves the link to the app's `sendInvitationEmail`).
    pub invitation_url: Option<String>,
    pub teams: TeamsConfig,
    pub dynamic_access_control: DynamicAccessControlConfig,
    /// Static roles beyond owner, admin and member, in file order: `(name, [(resource,
    /// [action, …]), …])`. A configured role with a default role's name replaces it.
    pub roles: Vec<RoleConfig>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamsConfig {
    pub enabled: bool,
    /// Teams an organization may hold (the default team counts); `None`: no limit.
    pub maximum_teams: Option<u64>,
    /// Members a team may hold; `None`: no limit.
    pub maximum_members_per_team: Option<u64>,
    pub allow_removing_all_teams: bool,
    /// Better Auth's `defaultTeam.enabled` (on unless set to false): create makes a team named
    /// after the organization.
    pub default_team: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DynamicAccessControlConfig {
    pub enabled: bool,
    /// `None`: no limit (Better Auth's default is infinite).
    pub maximum_roles_per_organization: Option<u64>,
}

/// `[organization.roles.<name>]`: a role's statements, `<resource> = ["action", …]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleConfig {
    pub name: String,
    pub permissions: Vec<(String, Vec<String>)>,
}

impl Default for OrganizationConfig {
    fn default() -> Self {
        OrganizationConfig {
            allow_user_to_create_organization: true,
            organization_limit: None,
            creator_role: DEFAULT_CREATOR_ROLE.to_owned(),
            membership_limit: DEFAULT_MEMBERSHIP_LIMIT,
            invitation_limit: DEFAULT_INVITATION_LIMIT,
            invitation_expires_in: DEFAULT_INVITATION_EXPIRES_IN,
            cancel_pending_invitations_on_re_invite: false,
            require_email_verification_on_invitation: false,
            disable_organization_deletion: false,
            invitation_url: None,
            teams: TeamsConfig::default(),
            dynamic_access_control: DynamicAccessControlConfig::default(),
            roles: Vec::new(),
        }
    }
}

impl Default for TeamsConfig {
    fn default() -> Self {
        TeamsConfig {
            enabled: false,
            maximum_teams: None,
            maximum_members_per_team: None,
            allow_removing_all_teams: false,
            default_team: true,
        }
    }
}

impl OrganizationConfig {
    /// The options that change the schema.
    pub fn schema_options(&self) -> OrganizationOptions {
        OrganizationOptions {
            teams: self.teams.enabled,
            dynamic_access_control: self.dynamic_access_control.enabled,
        }
    }
}

/// The `[organization]` table as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct FileOrganization {
    pub allow_user_to_create_organization: Option<bool>,
    pub organization_limit: Option<u64>,
    pub creator_role: Option<String>,
    pub membership_limit: Option<u64>,
    pub invitation_limit: Option<u64>,
    pub invitation_expires_in: Option<u64>,
    pub cancel_pending_invitations_on_re_invite: Option<bool>,
    pub require_email_verification_on_invitation: Option<bool>,
    pub disable_organization_deletion: Option<bool>,
    pub invitation_url: Option<String>,
    pub teams: Option<FileTeams>,
    pub dynamic_access_control: Option<FileDynamicAccessControl>,
    pub roles: Option<InOrder<InOrder<Vec<String>>>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct FileTeams {
    pub enabled: Option<bool>,
    pub maximum_teams: Option<u64>,
    pub maximum_members_per_team: Option<u64>,
    pub allow_removing_all_teams: Option<bool>,
    pub default_team: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct FileDynamicAccessControl {
    pub enabled: Option<bool>,
    pub maximum_roles_per_organization: Option<u64>,
}

/// A table's entries in the order the file gives them (a map would sort them; Better Auth keeps
/// an object's key order).
#[derive(Debug)]
pub struct InOrder<V>(pub Vec<(String, V)>);

impl<V> Default for InOrder<V> {
    fn default() -> Self {
        InOrder(Vec::new())
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for InOrder<V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<InOrder<V>, D::Error> {
        struct Entries<V>(PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for Entries<V> {
            type Value = InOrder<V>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a table")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<InOrder<V>, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry::<String, V>()? {
                    entries.push(entry);
                }
                Ok(InOrder(entries))
            }
        }
        deserializer.deserialize_map(Entries(PhantomData))
    }
}

/// The checked configuration; `None` keeps Better Auth's defaults.
pub(super) fn load(file: Option<FileOrganization>) -> Result<OrganizationConfig, ConfigError> {
    let mut c = OrganizationConfig::default();
    let Some(f) = file else {
        return Ok(c);
    };
    let invalid = |key: &str, reason: &str| ConfigError::Invalid {
        key: format!("organization.{key}"),
        reason: reason.to_owned(),
    };
    if let Some(v) = f.allow_user_to_create_organization {
        c.allow_user_to_create_organization = v;
    }
    c.organization_limit = f.organization_limit;
    if let Some(v) = f.creator_role {
        if v.trim().is_empty() || v.contains(',') {
            // A member's role is a comma-joined list, so such a name could never be matched.
            return Err(invalid(
                "creator_role",
                "must be a non-empty name without ','",
            ));
        }
        c.creator_role = v;
    }
    if let Some(v) = f.membership_limit {
        c.membership_limit = v;
    }
    if let Some(v) = f.invitation_limit {
        c.invitation_limit = v;
    }
    if let Some(v) = f.invitation_expires_in {
        if v == 0 {
            return Err(invalid(
                "invitation_expires_in",
                "must be at least 1 second (an invitation would expire as it is made)",
            ));
        }
        c.invitation_expires_in = v;
    }
    if let Some(v) = f.cancel_pending_invitations_on_re_invite {
        c.cancel_pending_invitations_on_re_invite = v;
    }
    if let Some(v) = f.require_email_verification_on_invitation {
        c.require_email_verification_on_invitation = v;
    }
    if let Some(v) = f.disable_organization_deletion {
        c.disable_organization_deletion = v;
    }
    if let Some(url) = f.invitation_url {
        if !url.contains("{id}") {
            return Err(invalid(
                "invitation_url",
                "must contain {id}, where the invitation id goes",
            ));
        }
        c.invitation_url = Some(url);
    }
    if let Some(t) = f.teams {
        c.teams = TeamsConfig {
            enabled: t.enabled.unwrap_or(false),
            maximum_teams: t.maximum_teams,
            maximum_members_per_team: t.maximum_members_per_team,
            allow_removing_all_teams: t.allow_removing_all_teams.unwrap_or(false),
            default_team: t.default_team.unwrap_or(true),
        };
    }
    if let Some(d) = f.dynamic_access_control {
        c.dynamic_access_control = DynamicAccessControlConfig {
            enabled: d.enabled.unwrap_or(false),
            maximum_roles_per_organization: d.maximum_roles_per_organization,
        };
    }
    if let Some(InOrder(roles)) = f.roles {
        for (name, InOrder(permissions)) in roles {
            let key = format!("roles.{name}");
            if name.trim().is_empty() || name.contains(',') {
                return Err(invalid(&key, "a role name must be non-empty, without ','"));
            }
            if let Some((resource, _)) = permissions.iter().find(|(r, _)| r.trim().is_empty()) {
                return Err(invalid(
                    &format!("{key}.{resource}"),
                    "a resource name must be non-empty",
                ));
            }
            c.roles.push(RoleConfig { name, permissions });
        }
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn parse(toml_text: &str) -> Result<OrganizationConfig, String> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct File {
            organization: Option<FileOrganization>,
        }
        let file: File = toml::from_str(toml_text).map_err(|e| e.to_string())?;
        load(file.organization).map_err(|e| e.to_string())
    }

    #[test]
    fn defaults_are_better_auths() {
        let c = parse("").unwrap();
        assert_eq!(c, OrganizationConfig::default());
        assert!(c.allow_user_to_create_organization);
        assert_eq!(c.organization_limit, None);
        assert_eq!(c.creator_role, "owner");
        assert_eq!(c.membership_limit, 100);
        assert_eq!(c.invitation_limit, 100);
        assert_eq!(c.invitation_expires_in, 172_800);
        assert!(!c.cancel_pending_invitations_on_re_invite);
        assert!(!c.require_email_verification_on_invitation);
        assert!(!c.disable_organization_deletion);
        assert!(!c.teams.enabled && c.teams.default_team && !c.teams.allow_removing_all_teams);
        assert_eq!(
            (c.teams.maximum_teams, c.teams.maximum_members_per_team),
            (None, None)
        );
        assert!(!c.dynamic_access_control.enabled);
        assert_eq!(
            c.dynamic_access_control.maximum_roles_per_organization,
            None
        );
        assert!(c.roles.is_empty());
        assert_eq!(c.schema_options(), OrganizationOptions::default());
        // An empty table is the defaults too.
        assert_eq!(
            parse("[organization]\n").unwrap(),
            OrganizationConfig::default()
        );
    }

    /// What `compat/lib/server.mjs` `tablesToml` writes for the compat suite's options.
    #[test]
    fn reads_the_table_compat_writes() {
        let c = parse(
            r#"[organization]
organization_limit = 2
membership_limit = 3
invitation_limit = 2
invitation_expires_in = 3600
allow_user_to_create_organization = false
disable_organization_deletion = true
cancel_pending_invitations_on_re_invite = true
require_email_verification_on_invitation = true
creator_role = "founder"

[organization.teams]
enabled = true
maximum_teams = 3
maximum_members_per_team = 2
allow_removing_all_teams = true
default_team = false

[organization.dynamic_access_control]
enabled = true
maximum_roles_per_organization = 4

[organization.roles.billing]
organization = ["update"]
billing = ["read", "write"]

[organization.roles.auditor]
member = ["read"]
"#,
        )
        .unwrap();
        assert_eq!(c.organization_limit, Some(2));
        assert_eq!(
            (
                c.membership_limit,
                c.invitation_limit,
                c.invitation_expires_in
            ),
            (3, 2, 3600)
        );
        assert!(!c.allow_user_to_create_organization);
        assert!(c.disable_organization_deletion);
        assert!(c.cancel_pending_invitations_on_re_invite);
        assert!(c.require_email_verification_on_invitation);
        assert_eq!(c.creator_role, "founder");
        assert_eq!(
            c.teams,
            TeamsConfig {
                enabled: true,
                maximum_teams: Some(3),
                maximum_members_per_team: Some(2),
                allow_removing_all_teams: true,
                default_team: false,
            }
        );
        assert_eq!(
            c.dynamic_access_control,
            DynamicAccessControlConfig {
                enabled: true,
                maximum_roles_per_organization: Some(4),
            }
        );
        assert_eq!(c.schema_options(), OrganizationOptions::ALL);
        let strings = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            c.roles,
            [
                RoleConfig {
                    name: "billing".into(),
                    permissions: vec![
                        ("organization".into(), strings(&["update"])),
                        ("billing".into(), strings(&["read", "write"])),
                    ],
                },
                RoleConfig {
                    name: "auditor".into(),
                    permissions: vec![("member".into(), strings(&["read"]))],
                },
            ],
            "roles and resources keep the file's order"
        );
    }

    #[test]
    fn a_teams_table_keeps_the_other_team_defaults() {
        let c = parse("[organization.teams]\nenabled = true\n").unwrap();
        assert_eq!(
            c.teams,
            TeamsConfig {
                enabled: true,
                ..TeamsConfig::default()
            }
        );
        assert_eq!(
            c.schema_options(),
            OrganizationOptions {
                teams: true,
                dynamic_access_control: false
            }
        );
    }

    #[test]
    fn unknown_keys_are_named() {
        for (text, key) in [
            ("[organization]\nmembership_limt = 3\n", "membership_limt"),
            ("[organization.teams]\nenable = true\n", "enable"),
            (
                "[organization.dynamic_access_control]\nmax_roles = 1\n",
                "max_roles",
            ),
        ] {
            let err = parse(text).unwrap_err();
            assert!(err.contains(key), "{err}");
        }
        let err = parse("[organization]\nmembership_limit = \"3\"\n").unwrap_err();
        assert!(err.contains("membership_limit"), "{err}");
        let err = parse("[organization.roles.billing]\nbilling = \"read\"\n").unwrap_err();
        assert!(err.contains("billing"), "{err}");
    }

    #[test]
    fn unusable_values_are_refused() {
        let err = parse("[organization]\ninvitation_expires_in = 0\n").unwrap_err();
        assert!(err.contains("organization.invitation_expires_in"), "{err}");
        let err = parse("[organization]\ncreator_role = \"a,b\"\n").unwrap_err();
        assert!(err.contains("organization.creator_role"), "{err}");
        let err = parse("[organization.roles.\"a,b\"]\nmember = [\"read\"]\n").unwrap_err();
        assert!(err.contains("organization.roles.a,b"), "{err}");
    }
}
