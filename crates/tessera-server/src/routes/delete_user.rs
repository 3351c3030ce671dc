//! `POST /delete-user` and `GET /delete-user/callback` (reference §3.1): deletion by password,
//! by a fresh session, or by the emailed token (`sendDeleteAccountVerification`). The user's
//! sessions, accounts and two-factor rows go with the user; the caller's cookies are cleared.

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;
use tessera_core::crypto::random::{self, Alphabet};
use tessera_core::model::{User, Verification};
use tessera_core::timefmt::now_ms;
use time::{Duration, OffsetDateTime};

use crate::body::{Body, Validator};
use crate::delivery::Message;
use crate::error::{ApiError, codes};
use crate::flows::credential::check_credential;
use crate::flows::links::{api_url, deliver, redirect_with};
use crate::origin;
use crate::reply::Reply;
use crate::session::{self, Lookup};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/delete-user", post(delete_user))
        .route("/delete-user/callback", get(delete_user_callback))
}

fn identifier(token: &str) -> String {
    format!("delete-account-{token}")
}

fn invalid_token() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "INVALID_TOKEN", "Invalid token")
}

fn deleted() -> serde_json::Value {
    json!({"success": true, "message": "User deleted"})
}

/// Deletes the user (sessions, accounts and two-factor rows cascade) and returns the cookies
/// that sign the caller out.
async fn delete_account(state: &AppState, user: &User) -> Result<Vec<String>, ApiError> {
    state.store.delete_user_sessions(&user.id, None).await?;
    state.store.delete_user(&user.id).await?;
    tracing::info!(user_id = %user.id, "user deleted");
    Ok(state.cookies.expire_session())
}

/// Consumes the emailed token, once; it must have been issued to this user. A foreign token is
/// consumed too (as Better Auth does), so it cannot be tried again.
async fn delete_with_token(
    state: &AppState,
    user: &User,
    token: &str,
) -> Result<Vec<String>, ApiError> {
    let row = state
        .store
        .consume_verification(&identifier(token))
        .await?
        .filter(|row| row.expires_at > OffsetDateTime::now_utc());
    match row {
        Some(row) if row.value == user.id => delete_account(state, user).await,
        _ => {
            tracing::info!(user_id = %user.id, outcome = "invalid-token", "deletion refused");
            Err(invalid_token())
        }
    }
}

async fn delete_user(
    State(state): State<AppState>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Reply, ApiError> {
    let current = session::require(&state, &headers).await?;
    let options = &state.config.lifecycle.delete_user;
    if !options.enabled {
        return Err(ApiError::not_found());
    }
    let mut v = Validator::new(&body);
    let callback = v.opt_string("callbackURL");
    let password = v.opt_string("password").filter(|p| !p.is_empty());
    let token = v.opt_string("token").filter(|t| !t.is_empty());
    v.finish()?;
    let callback = origin::check_callback(
        &state.trusted,
        callback.as_deref(),
        codes::invalid_callback_url,
    )?;
    let user = current.user;
    if let Some(password) = &password {
        if password.chars().count() > state.config.password.max_length {
            return Err(codes::password_too_long());
        }
        let has_password = state
            .store
            .find_credential_account(&user.id)
            .await?
            .and_then(|a| a.password)
            .is_some();
        if !has_password {
            return Err(codes::credential_account_not_found());
        }
        if !check_credential(&state, &user, password.clone()).await? {
            return Err(codes::invalid_password());
        }
    }
    if let Some(token) = token {
        let cookies = delete_with_token(&state, &user, &token).await?;
        return Ok(Reply::json(deleted()).cookies(cookies));
    }
    if options.send_delete_account_verification
        && let Some(sender) = state.sender.clone()
    {
        let token = random::generate_random_string(32, &[Alphabet::Digits, Alphabet::Lower]);
        let now = now_ms();
        let expires_in = i64::try_from(options.delete_token_expires_in).unwrap_or(i64::MAX);
        state
            .store
            .create_verification(&Verification::expiring(
                identifier(&token),
                user.id.clone(),
                now,
                Duration::seconds(expires_in),
            ))
            .await?;
        let url = format!(
            "{}/delete-user/callback?token={token}&callbackURL={}",
            api_url(&state),
            tessera_core::crypto::uri::encode_uri_component(callback.as_deref().unwrap_or("/"))
        );
        let message = Message::new("delete-account", user.email.clone())
            .field("url", url)
            .field("token", token);
        // Better Auth logs a failed send here and answers as usual.
        let _ = deliver(&sender, message, &user.id).await;
        tracing::info!(user_id = %user.id, "deletion link sent");
        return Ok(Reply::json(
            json!({"success": true, "message": "Verification email sent"}),
        ));
    }
    let fresh_age = state.config.session.fresh_age;
    if password.is_none() && fresh_age != 0 {
        let age = OffsetDateTime::now_utc() - current.session.created_at;
        if age >= Duration::seconds(fresh_age) {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "SESSION_EXPIRED",
                "Session expired. Re-authenticate to perform this action.",
            ));
        }
    }
    let cookies = delete_account(&state, &user).await?;
    Ok(Reply::json(deleted()).cookies(cookies))
}

/// The link in the deletion email; it works in the browser that is signed in as the user.
async fn delete_user_callback(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let callback = origin::check_callback(
        &state.trusted,
        query.get("callbackURL").map(String::as_str),
        codes::invalid_callback_url,
    )?;
    let Some(token) = query.get("token") else {
        return Err(codes::validation(
            "[query.token] Invalid input: expected string, received undefined".to_owned(),
        ));
    };
    if !state.config.lifecycle.delete_user.enabled {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "Not found",
        ));
    }
    let Lookup::Valid(current) = session::lookup(&state, &headers).await? else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "FAILED_TO_GET_USER_INFO",
            "Failed to get user info",
        ));
    };
    let cookies = delete_with_token(&state, &current.user, token).await?;
    Ok(match callback {
        Some(c) => redirect_with(&c, cookies),
        None => Reply::json(deleted()).cookies(cookies).into_response(),
    })
}
