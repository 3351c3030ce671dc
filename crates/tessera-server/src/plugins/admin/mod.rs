//! The `admin` plugin (reference §3.6): user management, bans, sessions and impersonation, each
//! route gated by Better Auth's access control. Registered only when the plugin is on.
//!
//! Every route checks, in Better Auth's order: its input (400), the caller's session (401 with an
//! empty body), the caller's permission (403 `YOU_ARE_NOT_ALLOWED_TO_…`), then its own rules.
//! There is no admin account by default: an operator makes one by setting `role = 'admin'` on a
//! user row. The hook that refuses banned users runs before every session creation
//! ([`hooks`]), since every way of signing in passes there.

mod access;
mod bans;
mod codes;
mod hooks;
mod impersonation;
mod input;
mod list_users;
mod sessions;
mod user_data;
mod users;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use serde_json::json;
use tessera_core::model::User;
use tessera_core::plugins::admin::AdminUser;

use crate::body::{Body, permission_request, type_name};
use crate::error::{ApiError, codes as base_codes};
use crate::reply::Reply;
use crate::session::{self, Current, Lookup};
use crate::state::AppState;

pub use hooks::{AdminPlugin, ID};

fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/create-user", post(users::create_user))
        .route("/admin/list-users", get(list_users::list_users))
        .route("/admin/get-user", get(users::get_user))
        .route("/admin/update-user", post(users::update_user))
        .route("/admin/set-role", post(users::set_role))
        .route("/admin/ban-user", post(bans::ban_user))
        .route("/admin/unban-user", post(bans::unban_user))
        .route(
            "/admin/list-user-sessions",
            post(sessions::list_user_sessions),
        )
        .route(
            "/admin/impersonate-user",
            post(impersonation::impersonate_user),
        )
        .route(
            "/admin/stop-impersonating",
            post(impersonation::stop_impersonating),
        )
        .route(
            "/admin/revoke-user-session",
            post(sessions::revoke_user_session),
        )
        .route(
            "/admin/revoke-user-sessions",
            post(sessions::revoke_user_sessions),
        )
        .route("/admin/remove-user", post(users::remove_user))
        .route("/admin/set-user-password", post(users::set_user_password))
        .route("/admin/has-permission", post(has_permission))
}

/// The caller's session (read from the database, never a cookie cache), or the admin 401.
async fn caller(state: &AppState, headers: &HeaderMap) -> Result<Current, ApiError> {
    match session::lookup(state, headers).await? {
        Lookup::Valid(current) => Ok(current),
        Lookup::NoCookie | Lookup::Expired => Err(codes::no_session()),
    }
}

/// Refuses with `denied` unless the caller's role grants `action` on `resource`.
fn require(
    current: &Current,
    resource: &str,
    action: &str,
    denied: fn() -> ApiError,
) -> Result<(), ApiError> {
    if access::can(current.user.role(), resource, action) {
        Ok(())
    } else {
        tracing::info!(
            user_id = %current.user.id,
            resource,
            action,
            "admin route refused: not permitted"
        );
        Err(denied())
    }
}

/// The session of a caller who may do `action` on `resource`.
async fn admin(
    state: &AppState,
    headers: &HeaderMap,
    resource: &str,
    action: &str,
    denied: fn() -> ApiError,
) -> Result<Current, ApiError> {
    let current = caller(state, headers).await?;
    require(&current, resource, action, denied)?;
    Ok(current)
}

async fn find_user(state: &AppState, id: &str) -> Result<User, ApiError> {
    state
        .store
        .find_user_by_id(id)
        .await?
        .ok_or_else(codes::user_not_found)
}

/// `POST /admin/has-permission`: whether the caller's own role grants `permissions`. The body may
/// name a `userId` or `role`, but over HTTP the caller's session always wins (Better Auth reads
/// them only for server-side calls without a session).
async fn has_permission(
    State(state): State<AppState>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Reply, ApiError> {
    let mut errors = Vec::new();
    if let Some(role) = body.get("role").filter(|r| !r.is_null() && !r.is_string()) {
        errors.push(format!(
            "[body.role] Invalid input: expected string, received {}",
            type_name(role)
        ));
    }
    // zod's `z.xor` of `{permission}` and `{permissions}`: exactly one must be well formed.
    let singular = body.get("permission").and_then(permission_request);
    let plural = body.get("permissions").and_then(permission_request);
    match (&singular, &plural) {
        (Some(_), Some(_)) => {
            errors.push("[body] Invalid input: more than one option matched".to_owned());
        }
        (None, None) => errors.push("[body] Invalid input".to_owned()),
        _ => {}
    }
    if !errors.is_empty() {
        return Err(base_codes::validation(errors.join("; ")));
    }
    let Some(permissions) = plural else {
        return Err(ApiError::message_only(
            StatusCode::BAD_REQUEST,
            "invalid permission check. no permission(s) were passed.",
        ));
    };
    let current = caller(&state, &headers).await?;
    let success = access::has_permission(current.user.role(), &permissions);
    Ok(Reply::json(json!({ "error": null, "success": success })))
}
