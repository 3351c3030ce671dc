//! update-user, change-password, verify-password (reference §3.2).

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Value, json};
use tessera_core::model::UserPatch;
use tessera_core::timefmt::now_ms;

use crate::body::{Body, Validator};
use crate::error::{ApiError, codes};
use crate::fields;
use crate::flows::credential::{check_credential, check_password_length};
use crate::reply::Reply;
use crate::session;
use crate::state::AppState;
use crate::wire;

pub async fn update_user(
    State(state): State<AppState>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Reply, ApiError> {
    let current = session::require(&state, &headers).await?;
    if body.contains_key("email") {
        return Err(codes::email_can_not_be_updated());
    }
    // Configured fields first: Better Auth checks them before the plugins' fields.
    let additional = fields::parse(
        &state.config.user_fields,
        &body,
        fields::Action::Update,
        now_ms(),
    )?;
    // `emailVerified` is silently ignored, as Better Auth does; plugin fields without a default
    // are refused.
    state.registry.refuse_protected_fields(&body)?;
    let mut v = Validator::new(&body);
    let name = v.opt_string("name");
    let image = match body.get("image") {
        None => None,
        Some(Value::Null) => Some(None),
        Some(_) => v.opt_string("image").map(Some),
    };
    v.finish()?;
    let mut patch = UserPatch {
        name,
        image,
        additional,
        ..UserPatch::default()
    };
    let plugin_changed = state
        .registry
        .before_update_user(&state, &body, &current.user, &mut patch)
        .await?;
    if patch.name.is_none()
        && patch.image.is_none()
        && patch.additional.is_empty()
        && !plugin_changed
    {
        return Err(ApiError::message_only(
            StatusCode::BAD_REQUEST,
            "No fields to update",
        ));
    }
    match state
        .store
        .update_user(&current.user.id, &patch, now_ms())
        .await
    {
        Ok(Some(_)) => {}
        Ok(None) => return Err(ApiError::internal()),
        // Two users racing for one username: the loser hears what the pre-check would have said.
        Err(tessera_store::StoreError::Conflict(column)) => {
            return Err(match state.registry.conflict_error(&column) {
                Some(plugin_error) => plugin_error,
                None => tessera_store::StoreError::Conflict(column).into(),
            });
        }
        Err(e) => return Err(e.into()),
    }
    // Better Auth re-sets the session cookie so a cookie cache would carry the new user.
    let cookies = session::session_cookies(&state, &current.session.token, current.dont_remember);
    Ok(Reply::json(json!({ "status": true })).cookies(cookies))
}

pub async fn change_password(
    State(state): State<AppState>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Reply, ApiError> {
    let current = session::require(&state, &headers).await?;
    let mut v = Validator::new(&body);
    let current_password = v.string("currentPassword");
    let new_password = v.string("newPassword");
    let revoke_other_sessions = v.opt_bool("revokeOtherSessions");
    v.finish()?;
    let (Some(current_password), Some(new_password)) = (current_password, new_password) else {
        return Err(ApiError::internal());
    };
    check_password_length(&state, &new_password)?;
    if current_password.chars().count() > state.config.password.max_length {
        return Err(codes::password_too_long());
    }
    let user = current.user;
    if state
        .store
        .find_credential_account(&user.id)
        .await?
        .and_then(|a| a.password)
        .is_none()
    {
        return Err(codes::credential_account_not_found());
    }
    if !check_credential(&state, &user, current_password).await? {
        return Err(codes::invalid_password());
    }
    let hash = state.hasher.hash(new_password).await?;
    state
        .store
        .update_credential_password(&user.id, &hash, now_ms())
        .await?;
    tracing::info!(user_id = %user.id, "password changed");

    if revoke_other_sessions == Some(true) {
        state.store.delete_user_sessions(&user.id, None).await?;
        let created = session::create(&state, &user, current.dont_remember, &headers).await?;
        return Ok(Reply::json(json!({
            "token": created.session.token,
            "user": wire::user(&user),
        }))
        .cookies(created.cookies));
    }
    Ok(Reply::json(
        json!({ "token": null, "user": wire::user(&user) }),
    ))
}

pub async fn verify_password(
    State(state): State<AppState>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Reply, ApiError> {
    let current = session::require(&state, &headers).await?;
    let mut v = Validator::new(&body);
    let password = v.string("password");
    v.finish()?;
    let Some(password) = password else {
        return Err(ApiError::internal());
    };
    if !check_credential(&state, &current.user, password).await? {
        return Err(codes::invalid_password());
    }
    Ok(Reply::json(json!({ "status": true })))
}
