//! An admin's view of other users' sessions: list-user-sessions, revoke-user-session,
//! revoke-user-sessions.

use axum::extract::State;
use axum::http::HeaderMap;
use serde_json::{Value, json};
use time::{OffsetDateTime, PrimitiveDateTime};

use super::{admin, codes, input};
use crate::body::{Body, Validator};
use crate::error::ApiError;
use crate::reply::Reply;
use crate::state::AppState;
use crate::wire;

/// Better Auth's `listSessions` without `onlyActiveSessions` lists expired rows too: every session
/// is "active" after the earliest representable instant.
const EVERY_SESSION: OffsetDateTime = PrimitiveDateTime::MIN.assume_utc();

/// `POST /admin/list-user-sessions`: `{sessions}`, impersonation sessions included. An unknown user
/// simply has none.
pub async fn list_user_sessions(
    State(state): State<AppState>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Reply, ApiError> {
    let mut v = Validator::new(&body);
    let user_id = input::coerce_string(&mut v, &body, "userId");
    v.finish()?;
    let Some(user_id) = user_id else {
        return Err(ApiError::internal());
    };
    admin(
        &state,
        &headers,
        "session",
        "list",
        codes::not_allowed_to_list_users_sessions,
    )
    .await?;
    let sessions: Vec<Value> = state
        .store
        .list_active_sessions(&user_id, EVERY_SESSION)
        .await?
        .iter()
        .map(wire::session)
        .collect();
    Ok(Reply::json(json!({ "sessions": sessions })))
}

/// `POST /admin/revoke-user-session`: `{sessionToken}`; succeeds whether or not it existed.
pub async fn revoke_user_session(
    State(state): State<AppState>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Reply, ApiError> {
    let mut v = Validator::new(&body);
    let token = v.string("sessionToken");
    v.finish()?;
    let Some(token) = token else {
        return Err(ApiError::internal());
    };
    let current = admin(
        &state,
        &headers,
        "session",
        "revoke",
        codes::not_allowed_to_revoke_users_sessions,
    )
    .await?;
    let revoked = state.store.delete_session_by_token(&token).await?;
    tracing::info!(admin_id = %current.user.id, revoked, "admin: session revoked");
    Ok(Reply::json(json!({ "success": true })))
}

/// `POST /admin/revoke-user-sessions`: every session of `userId`.
pub async fn revoke_user_sessions(
    State(state): State<AppState>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Reply, ApiError> {
    let mut v = Validator::new(&body);
    let user_id = input::coerce_string(&mut v, &body, "userId");
    v.finish()?;
    let Some(user_id) = user_id else {
        return Err(ApiError::internal());
    };
    let current = admin(
        &state,
        &headers,
        "session",
        "revoke",
        codes::not_allowed_to_revoke_users_sessions,
    )
    .await?;
    let revoked = state.store.delete_user_sessions(&user_id, None).await?;
    tracing::info!(admin_id = %current.user.id, user_id = %user_id, revoked, "admin: sessions revoked");
    Ok(Reply::json(json!({ "success": true })))
}
