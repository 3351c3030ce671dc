//! The `multi-session` plugin, as Better Auth 1.7.25 has it: several accounts signed in in one
//! browser, each session remembered in a signed cookie `<session cookie>_multi-<lower-cased
//! token>`; list them, switch the active one, revoke one. The cookies are set and cleared by the
//! plugin's hooks (see `hooks.rs`): a new session gets one, signing the same user in again ends
//! the earlier session, and sign-out ends every session the browser holds. The plugin has no
//! table; `[multi_session] maximum_sessions` caps how many cookies a browser collects.
//! Registered only when the plugin is on.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use serde_json::{Value, json};
use time::OffsetDateTime;

use tessera_core::plugins::multi_session::{INVALID_SESSION_TOKEN, cookie_name};

use crate::body::{Body, Validator};
use crate::cookies;
use crate::error::ApiError;
use crate::reply::Reply;
use crate::session;
use crate::state::AppState;
use crate::wire;

mod hooks;
mod jar;

pub use hooks::{ID, MultiSessionPlugin};

fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/multi-session/list-device-sessions",
            get(list_device_sessions),
        )
        .route("/multi-session/set-active", post(set_active))
        .route("/multi-session/revoke", post(revoke))
}

fn invalid_session_token() -> ApiError {
    ApiError::coded(StatusCode::UNAUTHORIZED, INVALID_SESSION_TOKEN)
}

/// The tokens of the browser's signed multi-session cookies, in cookie order, bounded.
fn held_tokens(state: &AppState, headers: &HeaderMap) -> Vec<String> {
    let bound = jar::bound(state.config.multi_session.maximum_sessions);
    jar::read(headers, bound)
        .verified(&state.config.secret)
        .into_iter()
        .map(|(_, token)| token)
        .collect()
}

/// The request body's `sessionToken`, and the cookie that would hold it.
fn body_token(state: &AppState, body: &serde_json::Map<String, Value>) -> Result<String, ApiError> {
    let mut v = Validator::new(body);
    let token = v.string("sessionToken");
    v.finish()?;
    token
        .map(|t| cookie_name(&state.cookies.session_token, &t))
        .ok_or_else(ApiError::internal)
}

/// The session token in the browser's signed cookie of that name; `INVALID_SESSION_TOKEN` without.
fn signed_cookie(state: &AppState, headers: &HeaderMap, name: &str) -> Result<String, ApiError> {
    cookies::read(headers, name)
        .and_then(|raw| tessera_core::crypto::signed::verify(&state.config.secret, raw))
        .ok_or_else(invalid_session_token)
}

/// Every unexpired session the browser holds a cookie for, one per user (the first), no session
/// needed.
async fn list_device_sessions(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Reply, ApiError> {
    let now = OffsetDateTime::now_utc();
    let mut tokens = held_tokens(&state, &headers);
    // Better Auth looks each token up once.
    let mut seen = std::collections::HashSet::new();
    tokens.retain(|t| seen.insert(t.clone()));
    let mut list: Vec<Value> = Vec::new();
    let mut users: Vec<String> = Vec::new();
    for token in tokens {
        let Some((session, user)) = state.store.find_session_and_user(&token).await? else {
            continue;
        };
        if session.expires_at <= now || users.contains(&user.id) {
            continue;
        }
        users.push(user.id.clone());
        list.push(wire::session_and_user(&session, &user));
    }
    Ok(Reply::json(Value::Array(list)))
}

/// Makes a session the browser holds the active one: its session cookie is set, as after a sign-in.
async fn set_active(
    State(state): State<AppState>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Reply, ApiError> {
    let name = body_token(&state, &body)?;
    let token = signed_cookie(&state, &headers, &name)?;
    let found = state.store.find_session_and_user(&token).await?;
    let Some((session, user)) = found.filter(|(s, _)| s.expires_at >= OffsetDateTime::now_utc())
    else {
        let mut e = invalid_session_token();
        e.cookies.push(state.cookies.expire(&name));
        return Err(e);
    };
    let cookies = session::session_cookies(
        &state,
        &session.token,
        session::has_dont_remember(&state, &headers),
    );
    Ok(Reply::json(wire::session_and_user(&session, &user)).cookies(cookies))
}

/// Ends one session the browser holds. When it was the active one, the browser switches to the
/// first other live session it holds, or is signed out.
async fn revoke(
    State(state): State<AppState>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Reply, ApiError> {
    // better-call validates the body before the session middleware runs.
    let name = body_token(&state, &body)?;
    let current = session::require(&state, &headers).await?;
    let token = signed_cookie(&state, &headers, &name)?;
    state.store.delete_session_by_token(&token).await?;
    let mut cookies = vec![state.cookies.expire(&name)];
    if current.session.token != token {
        return Ok(Reply::json(json!({ "status": true })).cookies(cookies));
    }
    let now = OffsetDateTime::now_utc();
    let mut next = None;
    for held in held_tokens(&state, &headers) {
        if let Some((session, _)) = state.store.find_session_and_user(&held).await?
            && session.expires_at > now
        {
            next = Some(session);
            break;
        }
    }
    match next {
        Some(session) => cookies.extend(session::session_cookies(
            &state,
            &session.token,
            current.dont_remember,
        )),
        None => cookies.extend(state.cookies.expire_session()),
    }
    Ok(Reply::json(json!({ "status": true })).cookies(cookies))
}
