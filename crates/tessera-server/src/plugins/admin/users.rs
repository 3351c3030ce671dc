//! Admin user management: create-user, get-user, update-user, set-role, remove-user,
//! set-user-password.

use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use serde_json::{Map, Value, json};
use std::sync::Arc;
use tessera_core::crypto::password::{LengthError, check_length};

use tessera_core::model::{User, UserPatch};
use tessera_core::plugins::admin::{AdminUser, ROLE};
use tessera_core::timefmt::now_ms;
use tessera_store::StoreError;

use super::input::{self, QueryCheck};
use super::{access, admin, codes, find_user, require, user_data};
use crate::body::{Body, Validator, is_valid_email};
use crate::error::{ApiError, codes as base_codes};
use crate::flows::credential::{check_password_length, set_password};
use crate::flows::users::{self, NewUser};
use crate::plugins::SignUpRoute;
use crate::reply::Reply;
use crate::state::AppState;
use crate::wire;

const BAN_FIELDS: [&str; 3] = ["banned", "banReason", "banExpires"];

/// `POST /admin/create-user`: a user with the given role (default `user`) and, only when a
/// password is given, a credential account. As in Better Auth, only the maximum length is
/// enforced on that password.
pub async fn create_user(
    State(state): State<AppState>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Reply, ApiError> {
    let mut v = Validator::new(&body);
    let email = v.string("email");
    let password = v.opt_string("password");
    let name = v.string("name");
    let role = input::roles(&mut v, &body, "role", false);
    let data = input::record(&mut v, &body, "data", false);
    v.finish()?;
    let (Some(email), Some(name)) = (email, name) else {
        return Err(ApiError::internal());
    };
    let current = admin(
        &state,
        &headers,
        "user",
        "create",
        codes::not_allowed_to_create_users,
    )
    .await?;
    let empty = Map::new();
    let data = data.unwrap_or(&empty);
    let data_role = data.get("role");
    let role = if role.is_some() || data_role.is_some() {
        require(
            &current,
            "user",
            "set-role",
            codes::not_allowed_to_change_users_role,
        )?;
        match role {
            Some(role) => role,
            None => data_role
                .and_then(input::join_roles)
                .ok_or_else(codes::invalid_role_type)?,
        }
    } else {
        access::DEFAULT_ROLE.to_owned()
    };
    if BAN_FIELDS.iter().any(|k| data.contains_key(*k)) {
        require(&current, "user", "ban", codes::not_allowed_to_ban_users)?;
    }
    let mut fields = user_data::read(&state, data)?;
    // The body's name and email win over `data`'s.
    fields.patch.name = None;
    fields.patch.email = None;

    let email = email.to_lowercase();
    if !is_valid_email(&email) {
        return Err(base_codes::invalid_email());
    }
    let password = password.filter(|p| !p.is_empty());
    if let Some(p) = &password
        && check_length(p, 0, state.config.password.max_length) == Err(LengthError::TooLong)
    {
        return Err(base_codes::password_too_long());
    }
    if state.store.find_user_by_email(&email).await?.is_some() {
        return Err(codes::user_already_exists_use_another_email());
    }

    let mut user = users::draft(&state, name, email, None);
    user.set_role(Some(role));
    let id = fields.id.clone().unwrap_or_else(|| user.id.clone());
    state
        .registry
        .before_user_write(&state, &mut fields.patch, true, &id)
        .await?;
    user_data::apply_to_new_user(fields, &mut user);
    users::create(
        &state,
        &mut user,
        NewUser {
            route: SignUpRoute::Admin,
            body: &body,
            password,
            accounts: Vec::new(),
            email_taken: codes::user_already_exists_use_another_email,
        },
    )
    .await?;
    tracing::info!(admin_id = %current.user.id, user_id = %user.id, "admin: user created");
    Ok(Reply::json(json!({ "user": wire::user(&user) })))
}

/// `GET /admin/get-user?id=…`: the bare user.
pub async fn get_user(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Reply, ApiError> {
    let query = input::parse_query(raw.as_deref());
    let mut q = QueryCheck::new(&query);
    let id = q.string("id");
    q.finish()?;
    let Some(id) = id else {
        return Err(ApiError::internal());
    };
    admin(
        &state,
        &headers,
        "user",
        "get",
        codes::not_allowed_to_get_user,
    )
    .await?;
    let user = find_user(&state, &id).await?;
    Ok(Reply::json(wire::user(&user)))
}

/// `POST /admin/update-user`: `data` laid over the user, each sensitive field behind its own
/// permission; banning this way also ends the user's sessions. Answers the bare user.
pub async fn update_user(
    State(state): State<AppState>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Reply, ApiError> {
    let mut v = Validator::new(&body);
    let user_id = input::coerce_string(&mut v, &body, "userId");
    let data = input::record(&mut v, &body, "data", true);
    v.finish()?;
    let (Some(user_id), Some(data)) = (user_id, data) else {
        return Err(ApiError::internal());
    };
    let current = admin(
        &state,
        &headers,
        "user",
        "update",
        codes::not_allowed_to_update_users,
    )
    .await?;
    if data.is_empty() {
        return Err(codes::no_data_to_update());
    }
    if data.contains_key("password") {
        return Err(codes::password_cannot_be_updated_via_update_user());
    }
    if data.contains_key("id") {
        return Err(codes::user_id_cannot_be_updated());
    }
    let mut role = None;
    if let Some(value) = data.get("role") {
        require(
            &current,
            "user",
            "set-role",
            codes::not_allowed_to_change_users_role,
        )?;
        role = Some(input::join_roles(value).ok_or_else(codes::invalid_role_type)?);
    }
    let bans = data.get("banned") == Some(&Value::Bool(true));
    if BAN_FIELDS.iter().any(|k| data.contains_key(*k)) {
        require(&current, "user", "ban", codes::not_allowed_to_ban_users)?;
        if bans && user_id == current.user.id {
            return Err(codes::cannot_ban_yourself());
        }
    }
    let mut email = None;
    if data.contains_key("email") || data.contains_key("emailVerified") {
        require(
            &current,
            "user",
            "set-email",
            codes::not_allowed_to_set_users_email,
        )?;
        if let Some(value) = data.get("email") {
            let new_email = input::js_string(value).to_lowercase();
            if !is_valid_email(&new_email) {
                return Err(base_codes::invalid_email());
            }
            if let Some(holder) = state.store.find_user_by_email(&new_email).await?
                && holder.id != user_id
            {
                return Err(codes::user_already_exists_use_another_email());
            }
            email = Some(new_email);
        }
    }
    if data.contains_key("phoneNumber") || data.contains_key("phoneNumberVerified") {
        require(
            &current,
            "user",
            "set-phone",
            codes::not_allowed_to_set_users_phone_number,
        )?;
    }
    let fields = user_data::read(&state, data)?;
    find_user(&state, &user_id).await?;
    let mut patch = fields.patch;
    patch.email = email;
    if let Some(role) = role {
        patch.additional.set(Arc::clone(&ROLE), role.into());
    }
    state
        .registry
        .before_user_write(&state, &mut patch, false, &user_id)
        .await?;
    let updated = write(&state, &user_id, &patch).await?;
    if bans {
        state.store.delete_user_sessions(&user_id, None).await?;
    }
    tracing::info!(admin_id = %current.user.id, user_id = %user_id, banned = bans, "admin: user updated");
    Ok(Reply::json(wire::user(&updated)))
}

/// Applies a patch to an existing user, with Better Auth's answers for a taken email or username.
pub(super) async fn write(
    state: &AppState,
    user_id: &str,
    patch: &UserPatch,
) -> Result<User, ApiError> {
    match state.store.update_user(user_id, patch, now_ms()).await {
        Ok(Some(user)) => Ok(user),
        Ok(None) => Err(codes::user_not_found()),
        Err(StoreError::Conflict(column)) => Err(users::conflict(
            state,
            &column,
            codes::user_already_exists_use_another_email,
        )),
        Err(e) => Err(e.into()),
    }
}

/// `POST /admin/set-role`: one role or several (stored joined by `,`).
pub async fn set_role(
    State(state): State<AppState>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Reply, ApiError> {
    let mut v = Validator::new(&body);
    let user_id = input::coerce_string(&mut v, &body, "userId");
    let role = input::roles(&mut v, &body, "role", true);
    v.finish()?;
    let (Some(user_id), Some(role)) = (user_id, role) else {
        return Err(ApiError::internal());
    };
    let current = admin(
        &state,
        &headers,
        "user",
        "set-role",
        codes::not_allowed_to_change_users_role,
    )
    .await?;
    find_user(&state, &user_id).await?;
    let patch = UserPatch::default().with(&ROLE, role);
    let user = write(&state, &user_id, &patch).await?;
    tracing::info!(admin_id = %current.user.id, user_id = %user_id, "admin: role set");
    Ok(Reply::json(json!({ "user": wire::user(&user) })))
}

/// `POST /admin/remove-user`: the user's sessions, then the user (accounts go with it).
pub async fn remove_user(
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
        "user",
        "delete",
        codes::not_allowed_to_delete_users,
    )
    .await?;
    if user_id == current.user.id {
        return Err(codes::cannot_remove_yourself());
    }
    find_user(&state, &user_id).await?;
    state.store.delete_user_sessions(&user_id, None).await?;
    state.store.delete_user(&user_id).await?;
    tracing::info!(admin_id = %current.user.id, user_id = %user_id, "admin: user removed");
    Ok(Reply::json(json!({ "success": true })))
}

/// `POST /admin/set-user-password`: sets (or creates) the credential password under the length
/// policy. The user's sessions are left alone, as in Better Auth.
pub async fn set_user_password(
    State(state): State<AppState>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Reply, ApiError> {
    let mut v = Validator::new(&body);
    let new_password = v.string("newPassword");
    if new_password.as_deref() == Some("") {
        v.error("newPassword", "newPassword cannot be empty");
    }
    let user_id = input::coerce_string(&mut v, &body, "userId");
    if user_id.as_deref() == Some("") {
        v.error("userId", "userId cannot be empty");
    }
    v.finish()?;
    let (Some(new_password), Some(user_id)) = (new_password, user_id) else {
        return Err(ApiError::internal());
    };
    let current = admin(
        &state,
        &headers,
        "user",
        "set-password",
        codes::not_allowed_to_set_users_password,
    )
    .await?;
    check_password_length(&state, &new_password)?;
    let user = find_user(&state, &user_id).await?;
    let hash = state.hasher.hash(new_password).await?;
    set_password(&state, &user.id, hash).await?;
    tracing::info!(admin_id = %current.user.id, user_id = %user.id, "admin: password set");
    Ok(Reply::json(json!({ "status": true })))
}
