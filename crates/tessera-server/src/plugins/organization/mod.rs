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
//! Routed so far: create, check-slug, list, get-full-organization, update, delete, set-active,
//! get-active-member, has-permission and list-members.

mod access;
mod active;
mod hooks;
mod members;
mod organizations;
mod wire;

use axum::Router;
use axum::routing::{get, post};
use tessera_core::plugins::organization::{MEMBER, ORGANIZATION};
use tessera_core::plugins::organization_access::Roles;
use tessera_store::{FindMany, Row, Where};

use crate::error::ApiError;
use crate::state::AppState;

pub use hooks::{ID, OrganizationPlugin};

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
