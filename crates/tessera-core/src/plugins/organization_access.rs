//! The organization plugin's roles and its permission rule (reference §1.4), with no I/O: the
//! default statements and owner/admin/member roles of Better Auth 1.7.25's
//! `organization/access/statement.mjs`, plus the `[organization.roles.<name>]` roles of the config.
//!
//! The rule (`access.mjs` `role().authorize` with the `AND` connector, OR-ed over the member's
//! roles by `permission.mjs`): a member's comma-joined role string grants a request when **one**
//! of its roles grants **all** of it, i.e. every requested resource is among that role's
//! statements and every listed action is in that statement. An unknown resource, an empty action
//! list or an empty request grant nothing, and a role name that no role has grants nothing.

use crate::config::RoleConfig;

/// `{resource: [action, …]}` in request or statement order.
pub type Statements = Vec<(String, Vec<String>)>;

/// Statements as constants: `(resource, actions)`.
pub type StaticStatements = &'static [(&'static str, &'static [&'static str])];

/// Better Auth's `defaultStatements`.
pub const DEFAULT_STATEMENTS: StaticStatements = &[
    ("organization", &["update", "delete"]),
    ("member", &["create", "update", "delete"]),
    ("invitation", &["create", "cancel"]),
    ("team", &["create", "update", "delete"]),
    ("ac", &["create", "read", "update", "delete"]),
];

const OWNER: StaticStatements = DEFAULT_STATEMENTS;
const ADMIN: StaticStatements = &[
    ("organization", &["update"]),
    ("member", &["create", "update", "delete"]),
    ("invitation", &["create", "cancel"]),
    ("team", &["create", "update", "delete"]),
    ("ac", &["create", "read", "update", "delete"]),
];
const MEMBER: StaticStatements = &[("ac", &["read"])];

/// The default roles, in Better Auth's order.
pub const DEFAULT_ROLES: &[(&str, StaticStatements)] =
    &[("owner", OWNER), ("admin", ADMIN), ("member", MEMBER)];

fn owned(statements: &[(&str, &[&str])]) -> Statements {
    statements
        .iter()
        .map(|(resource, actions)| {
            (
                (*resource).to_owned(),
                actions.iter().map(|a| (*a).to_owned()).collect(),
            )
        })
        .collect()
}

/// The static roles a server knows: the defaults, then the configured ones. A configured role
/// named like a default replaces it (the harness passes `{...defaultRoles, ...configured}`, since
/// Better Auth itself takes `options.roles` instead of the defaults rather than merging).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Roles {
    roles: Vec<(String, Statements)>,
}

impl Roles {
    pub fn new(configured: &[RoleConfig]) -> Roles {
        let mut roles: Vec<(String, Statements)> = DEFAULT_ROLES
            .iter()
            .map(|(name, statements)| ((*name).to_owned(), owned(statements)))
            .collect();
        for role in configured {
            match roles.iter_mut().find(|(name, _)| *name == role.name) {
                Some(existing) => existing.1 = role.permissions.clone(),
                None => roles.push((role.name.clone(), role.permissions.clone())),
            }
        }
        Roles { roles }
    }

    /// Whether `name` is one of the static roles.
    pub fn contains(&self, name: &str) -> bool {
        self.roles.iter().any(|(n, _)| n == name)
    }

    fn statements(&self, name: &str) -> Option<&Statements> {
        self.roles
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, statements)| statements)
    }

    /// Whether the comma-joined `role` string grants the whole `request`.
    pub fn grants(&self, role: &str, request: &[(String, Vec<String>)]) -> bool {
        self.grants_with(role, request, &[])
    }

    /// `grants`, with an organization's dynamic roles (its `organizationRole` rows, as
    /// `(name, statements)`) merged onto the static role of the same name, the union of their
    /// actions, as Better Auth's `hasPermission` merges them per request. A dynamic role named
    /// like no static role starts empty. The rows are not validated against the statements: an
    /// import may write resources that `create-role` would refuse, and they still grant.
    pub fn grants_with(
        &self,
        role: &str,
        request: &[(String, Vec<String>)],
        dynamic: &[(String, Statements)],
    ) -> bool {
        role_names(role).any(|name| {
            let mut rows = dynamic.iter().filter(|(n, _)| n == name).peekable();
            if rows.peek().is_none() {
                return self
                    .statements(name)
                    .is_some_and(|statements| authorizes(statements, request));
            }
            let mut merged = self.statements(name).cloned().unwrap_or_default();
            for (_, statements) in rows {
                union_into(&mut merged, statements);
            }
            authorizes(&merged, request)
        })
    }

    /// The static roles' names, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.roles.iter().map(|(name, _)| name.as_str())
    }

    /// Every resource any static role names, with every action named for it: the `ac`
    /// statements a dynamic role may draw from.
    pub fn statements_known(&self) -> Statements {
        let mut all = owned(DEFAULT_STATEMENTS);
        for (_, statements) in &self.roles {
            union_into(&mut all, statements);
        }
        all
    }
}

/// Adds `more`'s actions to `into`, resource by resource, keeping first-seen order.
pub fn union_into(into: &mut Statements, more: &Statements) {
    for (resource, actions) in more {
        match into.iter_mut().find(|(r, _)| r == resource) {
            Some((_, existing)) => {
                for action in actions {
                    if !existing.contains(action) {
                        existing.push(action.clone());
                    }
                }
            }
            None => into.push((resource.clone(), actions.clone())),
        }
    }
}

/// `organizationRole.permission` (JSON text `{"resource":["action",…]}`) as statements; text
/// that is not such an object grants nothing.
pub fn parse_permission(text: &str) -> Statements {
    let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(text) else {
        return Vec::new();
    };
    map.into_iter()
        .map(|(resource, actions)| {
            let actions = actions
                .as_array()
                .map(|list| {
                    list.iter()
                        .filter_map(|a| a.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            (resource, actions)
        })
        .collect()
}

/// The names in a stored role string: split on `,`, trimmed, empties dropped (`roles.mjs`
/// `parseRoleList`).
pub fn role_names(role: &str) -> impl Iterator<Item = &str> {
    role.split(',')
        .map(str::trim)
        .filter(|name| !name.is_empty())
}

/// One role against a request with the `AND` connector.
fn authorizes(statements: &Statements, request: &[(String, Vec<String>)]) -> bool {
    !request.is_empty()
        && request.iter().all(|(resource, actions)| {
            statements
                .iter()
                .find(|(r, _)| r == resource)
                .is_some_and(|(_, allowed)| {
                    !actions.is_empty() && actions.iter().all(|a| allowed.contains(a))
                })
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(pairs: &[(&str, &[&str])]) -> Statements {
        owned(pairs)
    }

    fn billing() -> RoleConfig {
        RoleConfig {
            name: "billing".into(),
            permissions: request(&[("billing", &["read", "write"])]),
        }
    }

    #[test]
    fn the_default_roles_follow_the_default_statements() {
        let roles = Roles::new(&[]);
        let delete = request(&[("organization", &["delete"])]);
        assert!(roles.grants("owner", &delete));
        assert!(!roles.grants("admin", &delete));
        assert!(roles.grants("admin", &request(&[("organization", &["update"])])));
        assert!(roles.grants("member", &request(&[("ac", &["read"])])));
        assert!(!roles.grants("member", &request(&[("member", &["create"])])));
    }

    #[test]
    fn every_resource_and_action_must_be_granted() {
        let roles = Roles::new(&[]);
        assert!(roles.grants(
            "admin",
            &request(&[("member", &["create", "delete"]), ("team", &["update"])])
        ));
        assert!(!roles.grants(
            "admin",
            &request(&[("member", &["create"]), ("organization", &["delete"])])
        ));
        assert!(!roles.grants("owner", &request(&[("project", &["create"])])));
        assert!(!roles.grants("owner", &request(&[("member", &[])])));
        assert!(!roles.grants("owner", &[]));
        assert!(!roles.grants("ghost", &request(&[("ac", &["read"])])));
    }

    #[test]
    fn roles_of_a_list_are_ored_but_one_must_grant_the_whole_request() {
        let roles = Roles::new(&[billing()]);
        assert!(roles.grants(" member , billing", &request(&[("billing", &["write"])])));
        assert!(roles.grants("admin,member", &request(&[("organization", &["update"])])));
        assert!(!roles.grants(
            "member,billing",
            &request(&[("ac", &["read"]), ("billing", &["write"])])
        ));
        assert!(!roles.grants(",", &request(&[("ac", &["read"])])));
    }

    #[test]
    fn dynamic_rows_extend_their_static_namesake_and_others_start_empty() {
        let roles = Roles::new(&[]);
        let dynamic = vec![
            ("member".to_owned(), request(&[("project", &["read"])])),
            ("sales".to_owned(), request(&[("invitation", &["create"])])),
            ("sales".to_owned(), request(&[("invitation", &["cancel"])])),
        ];
        assert!(roles.grants_with("member", &request(&[("ac", &["read"])]), &dynamic));
        assert!(roles.grants_with("member", &request(&[("project", &["read"])]), &dynamic));
        assert!(!roles.grants("member", &request(&[("project", &["read"])])));
        assert!(roles.grants_with(
            "sales",
            &request(&[("invitation", &["create", "cancel"])]),
            &dynamic
        ));
        assert!(!roles.grants_with("sales", &request(&[("ac", &["read"])]), &dynamic));
    }

    #[test]
    fn a_stored_permission_is_json_text() {
        assert_eq!(
            parse_permission(r#"{"project":["read","write"]}"#),
            request(&[("project", &["read", "write"])])
        );
        assert!(parse_permission("not json").is_empty());
    }

    #[test]
    fn configured_roles_are_added_and_do_not_extend_the_owner() {
        let roles = Roles::new(&[billing()]);
        assert!(roles.contains("billing") && roles.contains("owner"));
        assert!(!roles.grants("owner", &request(&[("billing", &["read"])])));
        let replaced = Roles::new(&[RoleConfig {
            name: "member".into(),
            permissions: request(&[("billing", &["read"])]),
        }]);
        assert!(!replaced.grants("member", &request(&[("ac", &["read"])])));
        assert!(replaced.grants("member", &request(&[("billing", &["read"])])));
    }
}
