//! Who may do what: Better Auth's default access control for the admin plugin.
//!
//! A user's `role` column holds one or more role names joined by `,`. A request (resource →
//! actions) is allowed when any one of those roles grants every action it names on every resource
//! it names (Better Auth's `authorize` with its default `AND` connector). There is no admin account
//! by default: an admin is a user whose `role` names `admin`.

/// One role's grants: resource → actions.
type Statements = &'static [(&'static str, &'static [&'static str])];

/// Better Auth's `adminAc`. `impersonate-admins` exists as an action but no default role has it.
const ADMIN: Statements = &[
    (
        "user",
        &[
            "create",
            "list",
            "set-role",
            "ban",
            "impersonate",
            "delete",
            "set-password",
            "set-email",
            "set-phone",
            "get",
            "update",
        ],
    ),
    ("session", &["list", "revoke", "delete"]),
];

/// Better Auth's `userAc`: knows both resources, grants nothing.
const USER: Statements = &[("user", &[]), ("session", &[])];

/// The role a user without one has (Better Auth `defaultRole`).
pub const DEFAULT_ROLE: &str = "user";

/// Roles whose holders cannot be impersonated without `impersonate-admins` (`adminRoles`).
const ADMIN_ROLES: &[&str] = &["admin"];

fn statements(role: &str) -> Option<Statements> {
    match role {
        "admin" => Some(ADMIN),
        "user" => Some(USER),
        _ => None,
    }
}

/// The role names in a `role` column; absent or empty means the default role. Names are taken
/// verbatim (no trimming), as Better Auth splits them.
fn roles(role: Option<&str>) -> impl Iterator<Item = &str> {
    role.filter(|r| !r.is_empty())
        .unwrap_or(DEFAULT_ROLE)
        .split(',')
}

/// `authorize` with the `AND` connector: an empty request, an unknown resource, or a resource
/// asked with no actions is refused.
fn authorize<R, A>(statements: Statements, request: &[(R, Vec<A>)]) -> bool
where
    R: AsRef<str>,
    A: AsRef<str>,
{
    !request.is_empty()
        && request.iter().all(|(resource, actions)| {
            let Some((_, allowed)) = statements.iter().find(|(r, _)| *r == resource.as_ref())
            else {
                return false;
            };
            !actions.is_empty() && actions.iter().all(|a| allowed.contains(&a.as_ref()))
        })
}

/// Better Auth's `hasPermission` for a user's `role` column.
pub fn has_permission<R, A>(role: Option<&str>, request: &[(R, Vec<A>)]) -> bool
where
    R: AsRef<str>,
    A: AsRef<str>,
{
    roles(role).any(|name| statements(name).is_some_and(|s| authorize(s, request)))
}

/// One action on one resource, the check every admin route makes.
pub fn can(role: Option<&str>, resource: &str, action: &str) -> bool {
    has_permission(role, &[(resource, vec![action])])
}

/// Whether a user with this `role` column counts as an admin for impersonation.
pub fn is_admin_role(role: Option<&str>) -> bool {
    roles(role).any(|name| ADMIN_ROLES.contains(&name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_admin_role_grants_every_default_action_but_impersonating_admins() {
        for action in [
            "create",
            "list",
            "set-role",
            "ban",
            "impersonate",
            "delete",
            "set-password",
            "set-email",
            "set-phone",
            "get",
            "update",
        ] {
            assert!(can(Some("admin"), "user", action), "{action}");
        }
        for action in ["list", "revoke", "delete"] {
            assert!(can(Some("admin"), "session", action), "{action}");
        }
        assert!(!can(Some("admin"), "user", "impersonate-admins"));
    }

    #[test]
    fn users_unknown_roles_and_no_role_get_nothing() {
        for role in [Some("user"), Some("editor"), Some(""), None] {
            assert!(!can(role, "user", "list"), "{role:?}");
        }
    }

    #[test]
    fn any_one_of_several_comma_joined_roles_suffices_without_trimming() {
        assert!(can(Some("user,admin"), "user", "ban"));
        assert!(can(Some("editor,admin"), "session", "revoke"));
        assert!(!can(Some("user, admin"), "user", "ban"));
    }

    #[test]
    fn a_request_needs_every_action_on_every_resource() {
        let ok = [("user", vec!["list", "ban"]), ("session", vec!["revoke"])];
        assert!(has_permission(Some("admin"), &ok));
        let one_unknown_action = [("user", vec!["list", "nope"])];
        assert!(!has_permission(Some("admin"), &one_unknown_action));
        let unknown_resource = [("organization", vec!["create"])];
        assert!(!has_permission(Some("admin"), &unknown_resource));
        let no_actions = [("user", vec!["list"]), ("session", Vec::new())];
        assert!(!has_permission(Some("admin"), &no_actions));
        let empty: [(&str, Vec<&str>); 0] = [];
        assert!(!has_permission(Some("admin"), &empty));
    }

    #[test]
    fn admins_are_recognised_among_several_roles() {
        assert!(is_admin_role(Some("admin")));
        assert!(is_admin_role(Some("user,admin")));
        assert!(!is_admin_role(Some("user")));
        assert!(!is_admin_role(None));
    }
}
