//! get-session, sign-out, and the user's own session list and revocations (reference §3.2).

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderName, header};
use serde_json::{Value, json};
use tessera_core::timefmt::now_ms;
use time::Duration;

use crate::body::{Body, Validator};
use crate::error::{ApiError, codes};
use crate::reply::Reply;
use crate::session::{self, Lookup};
use crate::state::AppState;
use crate::wire;

fn no_store(reply: Reply) -> Reply {
    reply
        .header(header::CACHE_CONTROL, "no-store")
        .header(HeaderName::from_static("pragma"), "no-cache")
}

/// Query booleans follow JavaScript: any non-empty value, even "false", is true.
fn query_flag(query: &HashMap<String, String>, name: &str) -> bool {
    query.get(name).is_some_and(|v| !v.is_empty())
}

pub async fn get_session(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Result<Reply, ApiError> {
    let current = match session::lookup(&state, &headers).await? {
        Lookup::Valid(current) => current,
        Lookup::NoCookie => return Ok(no_store(Reply::json(Value::Null))),
        Lookup::Expired => {
            return Ok(no_store(
                Reply::json(Value::Null).cookies(state.cookies.expire_session()),
            ));
        }
    };
    let session::Current {
        mut session,
        user,
        dont_remember,
    } = current;
    let mut cookies = Vec::new();
    let now = now_ms();
    if !dont_remember
        && !query_flag(&query, "disableRefresh")
        && session::needs_refresh(&state, &session, now)
    {
        let expires_at = now + Duration::seconds(state.config.session.expires_in);
        state
            .store
            .update_session_expiry(&session.id, expires_at, now)
            .await?;
        session.expires_at = expires_at;
        session.updated_at = now;
        cookies = session::session_cookies(&state, &session.token, false);
    }
    Ok(no_store(
        Reply::json(wire::session_and_user(&session, &user)).cookies(cookies),
    ))
}

/// POST is only for deferred refresh, which Tessera does not offer: Better Auth's 405.
pub async fn get_session_post() -> ApiError {
    let mut e = codes::method_not_allowed_defer_session_required();
    e.headers.push(("cache-control", "no-store".to_owned()));
    e.headers.push(("pragma", "no-cache".to_owned()));
    e
}

pub async fn sign_out(
    State(state): State<AppState>,
    headers: HeaderMap,
    Body(_body): Body,
) -> Result<Reply, ApiError> {
    if let Some(token) = session::token_from_cookie(&state, &headers) {
        state.store.delete_session_by_token(&token).await?;
    }
    let mut cookies = state.cookies.expire_session();
    cookies.extend(state.registry.on_sign_out(&state, &headers).await?);
    Ok(Reply::json(json!({ "success": true })).cookies(cookies))
}

pub async fn list_sessions(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Reply, ApiError> {
    let current = session::require(&state, &headers).await?;
    session::require_fresh(&state, &current)?;
    let sessions = state
        .store
        .list_active_sessions(&current.user.id, now_ms())
        .await?;
    let list: Vec<Value> = sessions
        .iter()
        .filter(|s| state.registry.lists_session(s))
        .map(wire::session)
        .collect();
    Ok(Reply::json(Value::Array(list)))
}

pub async fn revoke_session(
    State(state): State<AppState>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Reply, ApiError> {
    let current = session::require(&state, &headers).await?;
    let mut v = Validator::new(&body);
    let token = v.string("token");
    v.finish()?;
    let Some(token) = token else {
        return Err(ApiError::internal());
    };
    let owned = state
        .store
        .list_active_sessions(&current.user.id, now_ms())
        .await?
        .into_iter()
        .any(|s| s.token == token);
    let mut cookies = Vec::new();
    if owned {
        state.store.delete_session_by_token(&token).await?;
        if token == current.session.token {
            cookies = state.cookies.expire_session();
        }
    }
    Ok(Reply::json(json!({ "status": true })).cookies(cookies))
}

pub async fn revoke_sessions(
    State(state): State<AppState>,
    headers: HeaderMap,
    Body(_body): Body,
) -> Result<Reply, ApiError> {
    let current = session::require(&state, &headers).await?;
    state
        .store
        .delete_user_sessions(&current.user.id, None)
        .await?;
    Ok(Reply::json(json!({ "status": true })).cookies(state.cookies.expire_session()))
}

pub async fn revoke_other_sessions(
    State(state): State<AppState>,
    headers: HeaderMap,
    Body(_body): Body,
) -> Result<Reply, ApiError> {
    let current = session::require(&state, &headers).await?;
    state
        .store
        .delete_user_sessions(&current.user.id, Some(&current.session.token))
        .await?;
    Ok(Reply::json(json!({ "status": true })))
}
