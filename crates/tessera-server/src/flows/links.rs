//! Emailed links and their delivery: the verification link (an HS256 JWT, as Better Auth signs it),
//! the sender call that logs a failure without the message, and the redirects a link answers with.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};
use tessera_core::crypto::jwt;
use tessera_core::model::User;
use time::OffsetDateTime;

use crate::delivery::{DeliveryError, Message, Sender};
use crate::error::ApiError;
use crate::state::AppState;

/// `${baseURL}${basePath}`, where Better Auth's links point.
pub(crate) fn api_url(state: &AppState) -> String {
    format!("{}{}", state.config.base_url, state.config.base_path)
}

pub(crate) fn redirect(location: &str) -> Response {
    let mut response = StatusCode::FOUND.into_response();
    if let Ok(v) = header::HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    response
}

/// `url` with `name=value` appended to its query.
pub(crate) fn with_query(url: &str, name: &str, value: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!(
        "{url}{separator}{name}={}",
        tessera_core::crypto::uri::encode_uri_component(value)
    )
}

/// Sends one message; a failure is logged (with the user id, never the message) and returned.
pub(crate) async fn deliver(
    sender: &std::sync::Arc<dyn Sender>,
    message: Message,
    user_id: &str,
) -> Result<(), DeliveryError> {
    let kind = message.kind;
    match sender.send(message).await {
        Ok(()) => Ok(()),
        Err(e) => {
            tracing::error!(user_id = %user_id, kind, error = %e, "message not delivered");
            Err(e)
        }
    }
}

/// A 302 that also sets or clears cookies.
pub(crate) fn redirect_with(location: &str, cookies: Vec<String>) -> Response {
    let mut response = redirect(location);
    for cookie in cookies {
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    response
}

pub(crate) fn verification_url(state: &AppState, token: &str, callback: Option<&str>) -> String {
    format!(
        "{}/verify-email?token={token}&callbackURL={}",
        api_url(state),
        tessera_core::crypto::uri::encode_uri_component(callback.unwrap_or("/"))
    )
}

/// Better Auth's email-verification token: an HS256 JWT of
/// `{email, updateTo?, requestType?, userId}` for `emailVerification.expiresIn`.
pub(crate) fn verification_token(
    state: &AppState,
    email: &str,
    update_to: Option<&str>,
    request_type: Option<&str>,
    user_id: &str,
) -> String {
    let mut claims = Map::new();
    claims.insert("email".into(), Value::String(email.to_lowercase()));
    if let Some(u) = update_to {
        claims.insert("updateTo".into(), Value::String(u.to_lowercase()));
    }
    if let Some(r) = request_type {
        claims.insert("requestType".into(), Value::String(r.to_owned()));
    }
    claims.insert("userId".into(), Value::String(user_id.to_owned()));
    let now = u64::try_from(OffsetDateTime::now_utc().unix_timestamp()).unwrap_or(0);
    let expires_in = state.config.lifecycle.email_verification.expires_in;
    jwt::sign_hs256(&state.config.secret, claims, now, expires_in)
}

/// Mails a verification link for `user`'s current address (or what a plugin sends instead). `Ok` without a sender (callers that
/// need one check first).
pub(crate) async fn send_verification(
    state: &AppState,
    user: &User,
    callback: Option<&str>,
) -> Result<(), DeliveryError> {
    let Some(sender) = state.sender.clone() else {
        return Ok(());
    };
    if let Some(outcome) = state.registry.send_verification_email(state, user).await {
        return outcome;
    }
    let token = verification_token(state, &user.email, None, None, &user.id);
    let message = Message::new("verify-email", user.email.clone())
        .field("url", verification_url(state, &token, callback))
        .field("token", token);
    deliver(&sender, message, &user.id).await
}

/// `requireEmailVerification` at password sign-in: an unverified user is refused with 403
/// `EMAIL_NOT_VERIFIED`, after a fresh link is mailed when `sendOnSignIn` is on.
pub(crate) async fn require_verified_email(
    state: &AppState,
    user: &User,
    callback: Option<&str>,
) -> Result<(), ApiError> {
    if !state.config.lifecycle.require_email_verification || user.email_verified {
        return Ok(());
    }
    if state.sender.is_some() && state.config.lifecycle.email_verification.send_on_sign_in {
        // Better Auth logs a failed send here and still answers 403.
        let _ = send_verification(state, user, callback).await;
    }
    tracing::info!(user_id = %user.id, outcome = "email-not-verified", "sign-in refused");
    Err(ApiError::new(
        StatusCode::FORBIDDEN,
        "EMAIL_NOT_VERIFIED",
        "Email not verified",
    ))
}
