//! The organization plugin's spec (reference §1.2, §1.3): its tables `organization`, `member`,
//! `invitation`, with teams `team` and `teamMember`, with dynamic access control
//! `organizationRole`, and its fields on `session`, with a typed accessor.
//!
//! Every declaration copies Better Auth 1.7.25's `organization()` schema
//! (`better-auth/dist/plugins/organization/organization.mjs`) field by field: order, `required`,
//! `unique`, `index`, `sortable`, `references` (always `on delete cascade`), `defaultValue`,
//! `input` and `returned`. Only two defaults become SQL (`organizationRole.createdAt`,
//! `invitation.createdAt`: "now", so `default CURRENT_TIMESTAMP` on PostgreSQL); the string and
//! number defaults (`member.role`, `invitation.status`, `team.memberCount`) stay application-side,
//! as Better Auth emits none on `create table`.

use std::sync::{Arc, LazyLock};

use serde::{Deserialize, Serialize};

use crate::model::{FieldValue, Session};
use crate::schema::{Column, ColumnDefault, Table};

pub const ORGANIZATION: &str = "organization";
pub const ORGANIZATION_ROLE: &str = "organizationRole";
pub const TEAM: &str = "team";
pub const TEAM_MEMBER: &str = "teamMember";
pub const MEMBER: &str = "member";
pub const INVITATION: &str = "invitation";

/// The organization plugin's options that change the schema: teams add `team`, `teamMember`,
/// `invitation.teamId` and `session.activeTeamId`; dynamic access control adds
/// `organizationRole`. Every other option is behaviour only (see
/// [`OrganizationConfig`](crate::config::OrganizationConfig)).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganizationOptions {
    pub teams: bool,
    pub dynamic_access_control: bool,
}

impl OrganizationOptions {
    /// Both switches on: every table and column the plugin can have.
    pub const ALL: OrganizationOptions = OrganizationOptions {
        teams: true,
        dynamic_access_control: true,
    };
}

/// `session.activeOrganizationId`: `input: false`, no foreign key (Better Auth lets it dangle
/// after the organization is deleted).
pub static ACTIVE_ORGANIZATION_ID: LazyLock<Arc<Column>> = LazyLock::new(|| {
    Arc::new(
        Column::string("activeOrganizationId")
            .no_input()
            .in_fields(),
    )
});
/// `session.activeTeamId`, with teams only: `input: false`, no foreign key.
pub static ACTIVE_TEAM_ID: LazyLock<Arc<Column>> =
    LazyLock::new(|| Arc::new(Column::string("activeTeamId").no_input().in_fields()));

/// The plugin's columns on `session`, in Better Auth's order.
pub fn session_fields(options: OrganizationOptions) -> Vec<&'static Arc<Column>> {
    let mut fields = vec![&*ACTIVE_ORGANIZATION_ID];
    if options.teams {
        fields.push(&ACTIVE_TEAM_ID);
    }
    fields
}

/// The plugin's tables in Better Auth's creation order: organization, organizationRole (dynamic
/// access control), team and teamMember (teams), member, invitation.
pub fn tables(options: OrganizationOptions) -> Vec<Table> {
    let mut tables = vec![organization()];
    if options.dynamic_access_control {
        tables.push(organization_role());
    }
    if options.teams {
        tables.push(team());
        tables.push(team_member());
    }
    tables.push(member());
    tables.push(invitation(options.teams));
    tables
}

/// `organizationId`: required, indexed, `references "organization" ("id") on delete cascade`.
const fn organization_id() -> Column {
    Column::string("organizationId")
        .required()
        .indexed()
        .references(ORGANIZATION)
}

/// A string default (`defaultValue: "member"`), application-side only.
fn text_default(value: &str) -> ColumnDefault {
    ColumnDefault::Value(FieldValue::String(value.to_owned()))
}

fn organization() -> Table {
    Table {
        name: ORGANIZATION,
        order: None,
        columns: vec![
            Column::id(),
            Column::string("name").required().sortable(),
            // `index: true` as well, but the inline `unique` is its only index (reference §1.3).
            Column::string("slug")
                .required()
                .unique()
                .sortable()
                .indexed(),
            Column::string("logo"),
            // No `defaultValue`: the create route sets it, and Better Auth emits no SQL default.
            Column::date("createdAt").required(),
            // JSON as text, on PostgreSQL too (`type: "string"`, not `json`).
            Column::string("metadata"),
        ],
    }
}

fn organization_role() -> Table {
    Table {
        name: ORGANIZATION_ROLE,
        order: None,
        columns: vec![
            Column::id(),
            organization_id(),
            Column::string("role").required().indexed(),
            // JSON text: `{"resource":["action",…]}`.
            Column::string("permission").required(),
            Column::date("createdAt")
                .required()
                .default(ColumnDefault::Now),
            Column::date("updatedAt"),
        ],
    }
}

fn team() -> Table {
    Table {
        name: TEAM,
        order: None,
        columns: vec![
            Column::id(),
            Column::string("name").required(),
            // The seat counter behind `maximumMembersPerTeam`, written by the plugin only.
            Column::number("memberCount")
                .required()
                .default(ColumnDefault::Int(0))
                .no_input()
                .not_returned(),
            organization_id(),
            Column::date("createdAt").required(),
            Column::date("updatedAt"),
        ],
    }
}

fn team_member() -> Table {
    Table {
        name: TEAM_MEMBER,
        order: None,
        columns: vec![
            Column::id(),
            Column::string("teamId")
                .required()
                .indexed()
                .references(TEAM),
            Column::user_id(),
            // base64url(SHA-256(JSON [teamId, userId])): one row per (team, user), enforced by
            // the database rather than by a composite index Better Auth does not create.
            Column::string("membershipKey")
                .unique()
                .no_input()
                .not_returned(),
            Column::date("createdAt"),
        ],
    }
}

fn member() -> Table {
    Table {
        name: MEMBER,
        order: None,
        columns: vec![
            Column::id(),
            organization_id(),
            Column::user_id(),
            // Comma-joined role names.
            Column::string("role")
                .required()
                .sortable()
                .default(text_default("member")),
            Column::date("createdAt").required(),
        ],
    }
}

fn invitation(teams: bool) -> Table {
    let mut columns = vec![
        Column::id(),
        organization_id(),
        Column::string("email").required().sortable().indexed(),
        Column::string("role").sortable(),
    ];
    if teams {
        // Comma-joined team ids.
        columns.push(Column::string("teamId").sortable());
    }
    columns.extend([
        Column::string("status")
            .required()
            .sortable()
            .default(text_default("pending")),
        Column::date("expiresAt").required(),
        Column::date("createdAt")
            .required()
            .default(ColumnDefault::Now),
        // A reference to `user` without an index: Better Auth declares none.
        Column::string("inviterId")
            .required()
            .references(crate::schema::USER),
    ]);
    Table {
        name: INVITATION,
        order: None,
        columns,
    }
}

/// The organization fields of a session.
pub trait OrganizationSession {
    fn active_organization_id(&self) -> Option<&str>;
    fn set_active_organization_id(&mut self, organization_id: Option<String>);
    /// Always `None` without teams (the column does not exist).
    fn active_team_id(&self) -> Option<&str>;
    fn set_active_team_id(&mut self, team_id: Option<String>);
}

impl OrganizationSession for Session {
    fn active_organization_id(&self) -> Option<&str> {
        self.additional.text(&ACTIVE_ORGANIZATION_ID.name)
    }
    fn set_active_organization_id(&mut self, organization_id: Option<String>) {
        self.additional
            .set(Arc::clone(&ACTIVE_ORGANIZATION_ID), organization_id.into());
    }
    fn active_team_id(&self) -> Option<&str> {
        self.additional.text(&ACTIVE_TEAM_ID.name)
    }
    fn set_active_team_id(&mut self, team_id: Option<String>) {
        self.additional
            .set(Arc::clone(&ACTIVE_TEAM_ID), team_id.into());
    }
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use super::*;

    fn names(options: OrganizationOptions) -> Vec<&'static str> {
        tables(options).iter().map(|t| t.name).collect()
    }

    #[test]
    fn tables_come_in_better_auths_creation_order() {
        assert_eq!(
            names(OrganizationOptions::default()),
            [ORGANIZATION, MEMBER, INVITATION]
        );
        assert_eq!(
            names(OrganizationOptions::ALL),
            [
                ORGANIZATION,
                ORGANIZATION_ROLE,
                TEAM,
                TEAM_MEMBER,
                MEMBER,
                INVITATION
            ]
        );
        let teams_only = OrganizationOptions {
            teams: true,
            ..OrganizationOptions::default()
        };
        assert_eq!(
            names(teams_only),
            [ORGANIZATION, TEAM, TEAM_MEMBER, MEMBER, INVITATION]
        );
    }

    #[test]
    fn teams_add_the_team_columns() {
        let column_names = |options| {
            let invitation = tables(options)
                .into_iter()
                .find(|t| t.name == INVITATION)
                .expect("invitation");
            invitation
                .columns
                .iter()
                .map(|c| c.name.to_string())
                .collect::<Vec<_>>()
        };
        assert!(!column_names(OrganizationOptions::default()).contains(&"teamId".to_owned()));
        assert_eq!(
            column_names(OrganizationOptions::ALL)
                .get(4..6)
                .expect("columns"),
            ["teamId".to_owned(), "status".to_owned()]
        );
        let session = |options| {
            session_fields(options)
                .iter()
                .map(|c| c.name.to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            session(OrganizationOptions::default()),
            ["activeOrganizationId"]
        );
        assert_eq!(
            session(OrganizationOptions::ALL),
            ["activeOrganizationId", "activeTeamId"]
        );
    }

    #[test]
    fn hidden_and_protected_columns_are_marked() {
        let all = tables(OrganizationOptions::ALL);
        let column = |table: &str, name: &str| {
            all.iter()
                .find(|t| t.name == table)
                .and_then(|t| t.column(name))
                .cloned()
                .expect("column")
        };
        let member_count = column(TEAM, "memberCount");
        assert!(!member_count.returned && !member_count.input);
        let key = column(TEAM_MEMBER, "membershipKey");
        assert!(!key.returned && !key.input && key.unique && !key.required);
        assert!(!ACTIVE_ORGANIZATION_ID.input && ACTIVE_ORGANIZATION_ID.additional);
        assert_eq!(
            column(MEMBER, "role").default,
            ColumnDefault::Value(FieldValue::String("member".into()))
        );
    }

    #[test]
    fn session_accessors_read_and_write_the_fields() {
        let mut session = Session {
            id: "s".into(),
            token: "t".into(),
            user_id: "u".into(),
            expires_at: time::OffsetDateTime::UNIX_EPOCH,
            created_at: time::OffsetDateTime::UNIX_EPOCH,
            updated_at: time::OffsetDateTime::UNIX_EPOCH,
            ip_address: None,
            user_agent: None,
            additional: Default::default(),
        };
        assert_eq!(session.active_organization_id(), None);
        session.set_active_organization_id(Some("org".into()));
        session.set_active_team_id(Some("team".into()));
        assert_eq!(session.active_organization_id(), Some("org"));
        assert_eq!(session.active_team_id(), Some("team"));
        session.set_active_organization_id(None);
        assert_eq!(session.active_organization_id(), None);
    }
}
