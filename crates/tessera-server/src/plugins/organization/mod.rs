//! The `organization` plugin (reference part 2, §1): organizations, members, invitations, and
//! with options teams and dynamic access control.
//!
//! Its tables and the session's `activeOrganizationId` / `activeTeamId` are declared in
//! `tessera_core::plugins::organization` (so that `generate`, `migrate` and the store see them from
//! config alone), its options are the config's `[organization]` table
//! (`tessera_core::config::OrganizationConfig`), and its roles and permission rule are
//! `tessera_core::plugins::organization_access`. Every table is read and written through the
//! store's generic row API only.
//!
//! Routed: every endpoint of reference §1.6. Team routes answer 404 without `teams.enabled` and
//! role routes without dynamic access control, as Better Auth has them unrouted.

mod access;
mod active;
mod hooks;
mod invitations;
mod member_counts;
mod members;
mod membership;
mod organizations;
mod roles;
mod team_seats;
mod teams;
mod wire;

use axum::Router;
use axum::routing::{get, post};
use tessera_core::plugins::organization::{MEMBER, ORGANIZATION};
use tessera_core::plugins::organization_access::Roles;
use tessera_store::{FindMany, Row, Where};

use crate::error::ApiError;
use crate::state::AppState;

pub use hooks::{ID, OrganizationPlugin};
pub use membership::{AddMemberError, add_member};

fn router() -> Router<AppState> {
    Router::new()
        .route("/organization/create", post(organizations::create))
        .route("/organization/check-slug", post(organizations::check_slug))
        .route("/organization/list", get(organizations::list))
        .route(
            "/organization/get-full-organization",
            get(organizations::get_full_organization),
        )
        .route("/organization/update", post(organizations::update))
        .route("/organization/delete", post(organizations::delete))
        .route("/organization/set-active", post(active::set_active))
        .route(
            "/organization/get-active-member",
            get(active::get_active_member),
        )
        .route("/organization/has-permission", post(access::has_permission))
        .route("/organization/list-members", get(members::list_members))
        .route(
            "/organization/get-organization",
            get(organizations::get_organization),
        )
        .route(
            "/organization/remove-member",
            post(membership::remove_member),
        )
        .route(
            "/organization/update-member-role",
            post(membership::update_member_role),
        )
        .route("/organization/leave", post(membership::leave))
        .route(
            "/organization/get-active-member-role",
            get(membership::get_active_member_role),
        )
        .route(
            "/organization/invite-member",
            post(invitations::invite_member),
        )
        .route(
            "/organization/accept-invitation",
            post(invitations::accept_invitation),
        )
        .route(
            "/organization/reject-invitation",
            post(invitations::reject_invitation),
        )
        .route(
            "/organization/cancel-invitation",
            post(invitations::cancel_invitation),
        )
        .route(
            "/organization/get-invitation",
            get(invitations::get_invitation),
        )
        .route(
            "/organization/list-invitations",
            get(invitations::list_invitations),
        )
        .route(
            "/organization/list-user-invitations",
            get(invitations::list_user_invitations),
        )
        .route("/organization/create-team", post(teams::create_team))
        .route("/organization/list-teams", get(teams::list_teams))
        .route("/organization/update-team", post(teams::update_team))
        .route("/organization/remove-team", post(teams::remove_team))
        .route(
            "/organization/set-active-team",
            post(teams::set_active_team),
        )
        .route("/organization/list-user-teams", get(teams::list_user_teams))
        .route(
            "/organization/list-team-members",
            get(teams::list_team_members),
        )
        .route(
            "/organization/add-team-member",
            post(teams::add_team_member),
        )
        .route(
            "/organization/remove-team-member",
            post(teams::remove_team_member),
        )
        .route("/organization/create-role", post(roles::create_role))
        .route("/organization/list-roles", get(roles::list_roles))
        .route("/organization/get-role", get(roles::get_role))
        .route("/organization/update-role", post(roles::update_role))
        .route("/organization/delete-role", post(roles::delete_role))
}

/// This server's member counts (list-members' totals), when the plugin put them in the state.
fn member_counts(state: &AppState) -> Option<&std::sync::Arc<member_counts::MemberCounts>> {
    state
        .extensions
        .get::<std::sync::Arc<member_counts::MemberCounts>>()
}

/// An organization's members were added, removed or given new roles through this server: its
/// cached totals are dropped at once.
fn members_changed(state: &AppState, organization_id: &str) {
    if let Some(counts) = member_counts(state) {
        counts.forget(organization_id);
    }
}

/// The static roles (defaults plus the configured ones).
fn roles(state: &AppState) -> Roles {
    Roles::new(&state.config.organization.roles)
}

async fn organization_by_id(state: &AppState, id: &str) -> Result<Option<Row>, ApiError> {
    Ok(state
        .store
        .find_row(ORGANIZATION, &[Where::eq("id", id)])
        .await?)
}

async fn organization_by_slug(state: &AppState, slug: &str) -> Result<Option<Row>, ApiError> {
    Ok(state
        .store
        .find_row(ORGANIZATION, &[Where::eq("slug", slug)])
        .await?)
}

/// The user's membership row in the organization, if any.
async fn membership(
    state: &AppState,
    user_id: &str,
    organization_id: &str,
) -> Result<Option<Row>, ApiError> {
    Ok(state
        .store
        .find_row(
            MEMBER,
            &[
                Where::eq("userId", user_id),
                Where::eq("organizationId", organization_id),
            ],
        )
        .await?)
}

/// Writes the session's active organization in the store. Better Auth re-issues the cookie only
/// from set-active; every other caller changes the row alone.
async fn set_active_organization(
    state: &AppState,
    session_id: &str,
    organization_id: Option<&str>,
) -> Result<(), ApiError> {
    state
        .store
        .update_row(
            tessera_core::schema::SESSION,
            &[Where::eq("id", session_id)],
            &Row::new().with("activeOrganizationId", organization_id),
        )
        .await?;
    Ok(())
}

/// The `user` rows of these members, in one query.
async fn users_of(state: &AppState, members: &[Row]) -> Result<Vec<Row>, ApiError> {
    let ids: Vec<&str> = members.iter().filter_map(|m| m.text("userId")).collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let query = FindMany {
        limit: Some(ids.len() as u64),
        ..FindMany::filter(vec![Where::is_in("id", ids)])
    };
    Ok(state
        .store
        .find_rows(tessera_core::schema::USER, &query)
        .await?)
}

/// Members with their users, as list-members and get-full-organization answer them. A member
/// whose user row is gone (a race with a user deletion) is left out rather than answered half.
async fn members_with_users(
    state: &AppState,
    members: &[Row],
) -> Result<Vec<serde_json::Value>, ApiError> {
    let users = users_of(state, members).await?;
    Ok(members
        .iter()
        .filter_map(|m| {
            let user = users.iter().find(|u| u.text("id") == m.text("userId"))?;
            Some(wire::member(m, Some(user)))
        })
        .collect())
}
