//! impersonate-user and stop-impersonating.
//!
//! While an admin acts as someone else their own session stays alive: its token rides in the
//! signed `admin_session` cookie as `<adminToken>:<"true" if the admin's browser held
//! dont_remember, else empty>`, and comes back when they stop. The impersonation session itself
//! lasts an hour, is never refreshed (it is a "don't remember" session), carries the admin's id in
//! `impersonatedBy`, and is hidden from the user's own list-sessions.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::{CONTENT_TYPE, USER_AGENT};
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Value, json};
use tessera_core::crypto::{random, signed};
use tessera_core::model::Session;
use tessera_core::plugins::admin::{AdminSession, AdminUser};
use tessera_core::timefmt::now_ms;
use time::Duration;

use super::{access, admin, caller, codes, find_user, input};
use crate::body::{Body, Validator};
use crate::cookies;
use crate::error::{ApiError, codes as base_codes};
use crate::ip;
use crate::reply::Reply;
use crate::session;
use crate::state::AppState;
use crate::wire;

/// Better Auth's `impersonationSessionDuration` default.
const IMPERSONATION_SECONDS: i64 = 3600;

/// `POST /admin/impersonate-user`: a session as `userId`, admins excepted unless the caller may
/// `impersonate-admins` (no default role may). A banned target is refused like any sign-in.
pub async fn impersonate_user(
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
        "impersonate",
        codes::not_allowed_to_impersonate_users,
    )
    .await?;
    let target = find_user(&state, &user_id).await?;
    if access::is_admin_role(target.role())
        && !access::can(current.user.role(), "user", "impersonate-admins")
    {
        return Err(codes::cannot_impersonate_admins());
    }
    // The impersonation session is created here, not by `session::create`, so it runs the same
    // hooks itself (the ban check among them).
    state
        .registry
        .before_session_create(&state, &target)
        .await?;

    let now = now_ms();
    let mut impersonation = Session {
        id: random::generate_id(32),
        expires_at: now + Duration::seconds(IMPERSONATION_SECONDS),
        token: random::generate_id(32),
        created_at: now,
        updated_at: now,
        ip_address: Some(ip::session_ip(&headers)),
        user_agent: Some(
            headers
                .get(USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned(),
        ),
        user_id: target.id.clone(),
        additional: tessera_core::model::FieldValues::defaults(
            &state.config.session_columns(),
            now,
        ),
    };
    impersonation.set_impersonated_by(Some(current.user.id.clone()));
    state.store.create_session(&impersonation).await?;

    // Better Auth's order: the admin's cookies expired, admin_session set, then the new session.
    let names = &state.cookies;
    let mut set_cookies = names.expire_session();
    let remembered = if current.dont_remember { "true" } else { "" };
    let admin_value = format!("{}:{remembered}", current.session.token);
    set_cookies.push(names.set(
        &names.admin_session,
        &signed::sign_and_encode(&state.config.secret, &admin_value),
        Some(state.config.session.expires_in),
    ));
    set_cookies.extend(session::session_cookies(&state, &impersonation.token, true));
    set_cookies.extend(
        state
            .registry
            .after_session_created(&state, &impersonation, &target, &headers)
            .await?,
    );
    tracing::info!(
        admin_id = %current.user.id,
        user_id = %target.id,
        "admin: impersonation started"
    );
    Ok(Reply::json(json!({
        "session": wire::session(&impersonation),
        "user": wire::user(&target),
    }))
    .cookies(set_cookies))
}

fn admin_session_missing() -> ApiError {
    ApiError::message_only(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Failed to find admin session",
    )
}

/// stop-impersonating declares no body, but better-call still parses one when sent: refuse what
/// it would refuse (a body of another type, malformed JSON) and ignore the rest.
fn check_optional_body(headers: &HeaderMap, bytes: &Bytes) -> Result<(), ApiError> {
    if bytes.is_empty() {
        return Ok(());
    }
    let content_type = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok());
    let essence = content_type.map(|ct| {
        ct.split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase()
    });
    match essence.as_deref() {
        None | Some("application/json") => {}
        Some(other) if other.ends_with("+json") => {}
        Some(_) => {
            return Err(base_codes::unsupported_media_type(
                content_type.unwrap_or_default(),
            ));
        }
    }
    serde_json::from_slice::<Value>(bytes)
        .map(|_| ())
        .map_err(|_| base_codes::invalid_json())
}

/// `POST /admin/stop-impersonating`: ends the impersonation session and gives the admin's own
/// session back (with its original "remember me" choice).
pub async fn stop_impersonating(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Reply, ApiError> {
    check_optional_body(&headers, &body)?;
    let current = caller(&state, &headers).await?;
    let Some(admin_id) = current.session.impersonated_by().map(str::to_owned) else {
        return Err(ApiError::message_only(
            StatusCode::BAD_REQUEST,
            "You are not impersonating anyone",
        ));
    };
    let Some(admin_user) = state.store.find_user_by_id(&admin_id).await? else {
        return Err(ApiError::message_only(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Failed to find user",
        ));
    };
    let names = &state.cookies;
    let value = cookies::read(&headers, &names.admin_session)
        .and_then(|raw| signed::verify(&state.config.secret, raw))
        .ok_or_else(admin_session_missing)?;
    let mut parts = value.split(':');
    let admin_token = parts.next().unwrap_or_default();
    let dont_remember = parts.next().is_some_and(|p| !p.is_empty());
    // Like Better Auth's findSession, this does not look at the admin session's expiry: a dead
    // session restored here is refused by the next request that reads it.
    let (admin_session, admin_session_user) = state
        .store
        .find_session_and_user(admin_token)
        .await?
        .filter(|(s, _)| s.user_id == admin_user.id)
        .ok_or_else(admin_session_missing)?;
    state
        .store
        .delete_session_by_token(&current.session.token)
        .await?;

    let mut set_cookies = session::session_cookies(&state, &admin_session.token, dont_remember);
    if !dont_remember && current.dont_remember {
        set_cookies.push(names.expire(&names.dont_remember));
    }
    set_cookies.push(names.expire(&names.admin_session));
    tracing::info!(
        admin_id = %admin_user.id,
        user_id = %current.user.id,
        "admin: impersonation stopped"
    );
    Ok(Reply::json(json!({
        "session": wire::session(&admin_session),
        "user": wire::user(&admin_session_user),
    }))
    .cookies(set_cookies))
}
