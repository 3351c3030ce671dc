//! Account lifecycle (reference §3.2, §5.5, §6.4): password reset by emailed link, and email
//! verification by signed link (which also carries the last step of a change of email, and may
//! sign the user in). Messages go through the configured sender; without one, these flows answer
//! as Better Auth does when its callbacks are not configured. Change of email and deletion of the
//! account live in `change_email` and `delete_user`; their routes are merged here.

use std::collections::HashMap;
use std::time::Duration as StdDuration;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use tessera_core::crypto::{jwt, random};
use tessera_core::model::{User, UserPatch, Verification};
use tessera_core::timefmt::now_ms;
use time::{Duration, OffsetDateTime};

use crate::body::{Body, Validator};
use crate::delivery::{DeliveryError, Message, Sender};
use crate::error::{ApiError, codes};
use crate::flows::credential::{check_password_length, set_password};
use crate::flows::links::{
    api_url, deliver, redirect, redirect_with, send_verification, verification_token,
    verification_url, with_query,
};
use crate::origin;
use crate::reply::Reply;
use crate::session::{self, Lookup};
use crate::state::AppState;
use crate::timing_floor::Floor;
use crate::wire;

/// `resetPasswordTokenExpiresIn`.
const RESET_TOKEN_SECS: i64 = 3600;
/// Without a session, send-verification-email always takes at least this long, so its timing says
/// nothing about whether the address exists.
const ANONYMOUS_VERIFICATION_FLOOR: StdDuration = StdDuration::from_millis(500);
const RESET_MESSAGE: &str =
    "If this email exists in our system, check your email for the reset link";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/request-password-reset", post(request_password_reset))
        .route("/reset-password/{token}", get(reset_password_link))
        .route("/reset-password", post(reset_password))
        .route("/send-verification-email", post(send_verification_email))
        .route("/verify-email", get(verify_email))
        .merge(crate::routes::change_email::router())
        .merge(crate::routes::delete_user::router())
}

pub(crate) fn invalid_token(status: StatusCode) -> ApiError {
    ApiError::new(status, "INVALID_TOKEN", "Invalid token")
}

fn reset_identifier(token: &str) -> String {
    format!("reset-password:{token}")
}

async fn request_password_reset(
    State(state): State<AppState>,
    Body(body): Body,
) -> Result<Reply, ApiError> {
    let floor = Floor::start();
    let mut v = Validator::new(&body);
    let email = v.string("email");
    let redirect_to = v.opt_string("redirectTo");
    v.finish()?;
    let Some(sender) = state.sender.clone() else {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "RESET_PASSWORD_DISABLED",
            "Reset password isn't enabled",
        ));
    };
    let redirect_to = origin::check_callback(
        &state.trusted,
        redirect_to.as_deref(),
        origin::invalid_redirect_url,
    )?;
    let email = email.ok_or_else(ApiError::internal)?.to_lowercase();
    let answer = || Reply::json(json!({"status": true, "message": RESET_MESSAGE}));
    // The token is stored and mailed after the answer, and the answer held to a floor, so a known
    // address is answered as fast as an unknown one (security requirement A4); Better Auth too
    // logs a failed `sendResetPassword` and answers as usual.
    if let Some(user) = state.store.find_user_by_email(&email).await? {
        tokio::spawn(send_reset_link(state, sender, user, redirect_to));
    }
    floor.reached().await;
    Ok(answer())
}

async fn send_reset_link(
    state: AppState,
    sender: std::sync::Arc<dyn Sender>,
    user: User,
    redirect_to: Option<String>,
) {
    let token = random::generate_id(24);
    let now = now_ms();
    if let Err(e) = state
        .store
        .create_verification(&Verification::expiring(
            reset_identifier(&token),
            user.id.clone(),
            now,
            Duration::seconds(RESET_TOKEN_SECS),
        ))
        .await
    {
        tracing::error!(user_id = %user.id, error = %e, "password reset token not stored");
        return;
    }
    let url = format!(
        "{}/reset-password/{token}?callbackURL={}",
        api_url(&state),
        tessera_core::crypto::uri::encode_uri_component(redirect_to.as_deref().unwrap_or(""))
    );
    let message = Message::new("reset-password", user.email.clone())
        .field("url", url)
        .field("token", token);
    if deliver(&sender, message, &user.id).await.is_ok() {
        tracing::info!(user_id = %user.id, "password reset requested");
    }
}

/// The link in the email: checks the token and sends the browser to the app's reset page.
async fn reset_password_link(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let callback = query.get("callbackURL").cloned().unwrap_or_default();
    if callback.is_empty() {
        return Err(codes::validation(
            "[query.callbackURL] Invalid input: expected string, received undefined".to_owned(),
        ));
    }
    let callback = state
        .trusted
        .check_url(&callback)
        .ok_or_else(codes::invalid_callback_url)?;
    let absolute = url::Url::parse(&state.config.base_url)
        .and_then(|base| base.join(&callback))
        .map(|u| u.to_string())
        .map_err(|_| codes::invalid_callback_url())?;
    let valid = state
        .store
        .find_verification(&reset_identifier(&token))
        .await?
        .is_some_and(|row| row.expires_at > OffsetDateTime::now_utc());
    Ok(if valid {
        redirect(&with_query(&absolute, "token", &token))
    } else {
        redirect(&with_query(&absolute, "error", "INVALID_TOKEN"))
    })
}

async fn reset_password(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
    Body(body): Body,
) -> Result<Reply, ApiError> {
    let mut v = Validator::new(&body);
    let new_password = v.string("newPassword");
    let token = v
        .opt_string("token")
        .or_else(|| query.get("token").cloned());
    v.finish()?;
    let new_password = new_password.ok_or_else(ApiError::internal)?;
    let Some(token) = token.filter(|t| !t.is_empty()) else {
        return Err(invalid_token(StatusCode::BAD_REQUEST));
    };
    check_password_length(&state, &new_password)?;
    // Consumed atomically: a token resets one password, once.
    let row = state
        .store
        .consume_verification(&reset_identifier(&token))
        .await?
        .filter(|row| row.expires_at > OffsetDateTime::now_utc())
        .ok_or_else(|| invalid_token(StatusCode::BAD_REQUEST))?;
    let user_id = row.value;
    let hash = state.hasher.hash(new_password).await?;
    set_password(&state, &user_id, hash).await?;
    // Two-factor stays as it was: a reset never bypasses the second factor (M9).
    tracing::info!(user_id = %user_id, "password reset");
    Ok(Reply::json(json!({"status": true})))
}

/// Delivery failed where Better Auth lets the sender's exception through: 500, empty body.
fn delivery_failed(_: DeliveryError) -> ApiError {
    ApiError::internal()
}

async fn send_verification_email(
    State(state): State<AppState>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Reply, ApiError> {
    let started = tokio::time::Instant::now();
    let mut v = Validator::new(&body);
    let email = v.string("email");
    let callback = v.opt_string("callbackURL");
    v.finish()?;
    if state.sender.is_none() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "VERIFICATION_EMAIL_NOT_ENABLED",
            "Verification email isn't enabled",
        ));
    }
    let callback = origin::check_callback(
        &state.trusted,
        callback.as_deref(),
        codes::invalid_callback_url,
    )?;
    let email = email.ok_or_else(ApiError::internal)?.to_lowercase();
    if let Lookup::Valid(current) = session::lookup(&state, &headers).await? {
        if current.user.email != email {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "EMAIL_MISMATCH",
                "Email mismatch",
            ));
        }
        if current.user.email_verified {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "EMAIL_ALREADY_VERIFIED",
                "Email is already verified",
            ));
        }
        send_verification(&state, &current.user, callback.as_deref())
            .await
            .map_err(delivery_failed)?;
        return Ok(Reply::json(json!({"status": true})));
    }
    let mut outcome = Ok(());
    if let Some(user) = state.store.find_user_by_email(&email).await?
        && !user.email_verified
    {
        outcome = send_verification(&state, &user, callback.as_deref()).await;
    }
    tokio::time::sleep_until(started + ANONYMOUS_VERIFICATION_FLOOR).await;
    // As Better Auth: the sender's failure surfaces, after the floor.
    outcome.map_err(delivery_failed)?;
    Ok(Reply::json(json!({"status": true})))
}

/// How verify-email reports a bad link: a redirect to the callback with `?error=`, else 401.
fn link_error(callback: Option<&str>, code: &'static str, message: &'static str) -> Response {
    match callback {
        Some(c) => redirect(&with_query(c, "error", code)),
        None => ApiError::new(StatusCode::UNAUTHORIZED, code, message).into_response(),
    }
}

const INVALID_TOKEN: (&str, &str) = ("INVALID_TOKEN", "Invalid token");
const USER_NOT_FOUND: (&str, &str) = ("USER_NOT_FOUND", "User not found");

/// The end of a successful link: to the callback, else JSON; with the cookies the step set.
fn link_done(callback: Option<&str>, body: Value, cookies: Vec<String>) -> Response {
    match callback {
        Some(c) => redirect_with(c, cookies),
        None => Reply::json(body).cookies(cookies).into_response(),
    }
}

async fn verify_email(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let callback = origin::check_callback(
        &state.trusted,
        query.get("callbackURL").map(String::as_str),
        codes::invalid_callback_url,
    )?;
    let callback = callback.as_deref();
    let fail =
        |(code, message): (&'static str, &'static str)| Ok(link_error(callback, code, message));
    let token = query.get("token").cloned().unwrap_or_default();
    let now = u64::try_from(OffsetDateTime::now_utc().unix_timestamp()).unwrap_or(0);
    let claims = match jwt::verify_hs256(&state.config.secret, &token, now) {
        Ok(claims) => claims,
        Err(jwt::JwtError::Expired) => return fail(("TOKEN_EXPIRED", "Token expired")),
        Err(_) => return fail(INVALID_TOKEN),
    };
    let claim = |name: &str| claims.get(name).and_then(Value::as_str).map(str::to_owned);
    let Some(email) = claim("email").map(|e| e.to_lowercase()) else {
        return fail(INVALID_TOKEN);
    };
    let user_id = claim("userId");
    if let Some(update_to) = claim("updateTo") {
        let Some(user_id) = user_id else {
            return fail(INVALID_TOKEN);
        };
        return change_email_link(
            &state,
            &headers,
            callback,
            ChangeLink {
                email,
                update_to,
                request_type: claim("requestType"),
                user_id,
            },
        )
        .await;
    }
    let Some(user) = state.store.find_user_by_email(&email).await? else {
        return fail(USER_NOT_FOUND);
    };
    if user_id.is_some_and(|id| id != user.id) {
        return fail(INVALID_TOKEN);
    }
    if user.email_verified {
        return Ok(link_done(
            callback,
            json!({"status": true, "user": null}),
            Vec::new(),
        ));
    }
    let patch = UserPatch {
        email_verified: Some(true),
        ..UserPatch::default()
    };
    let user = state
        .store
        .update_user(&user.id, &patch, now_ms())
        .await?
        .ok_or_else(ApiError::internal)?;
    tracing::info!(user_id = %user.id, "email verified");
    let mut cookies = Vec::new();
    if state
        .config
        .lifecycle
        .email_verification
        .auto_sign_in_after_verification
    {
        cookies = match session::lookup(&state, &headers).await? {
            // Already signed in as this address: the cookie is set again, no new session.
            Lookup::Valid(current) if current.user.email == email => {
                session::session_cookies(&state, &current.session.token, current.dont_remember)
            }
            _ => {
                session::create(&state, &user, false, &headers)
                    .await?
                    .cookies
            }
        };
    }
    Ok(link_done(
        callback,
        json!({"status": true, "user": null}),
        cookies,
    ))
}

/// The claims of a change-of-email link.
struct ChangeLink {
    /// The address the user had when the change was asked for.
    email: String,
    update_to: String,
    request_type: Option<String>,
    user_id: String,
}

/// Better Auth's change-of-email steps behind `verify-email`: a confirmation from the current
/// address mails a verification link to the new one; that link (or a legacy one) moves the user.
async fn change_email_link(
    state: &AppState,
    headers: &HeaderMap,
    callback: Option<&str>,
    link: ChangeLink,
) -> Result<Response, ApiError> {
    let fail =
        |(code, message): (&'static str, &'static str)| Ok(link_error(callback, code, message));
    let Some(user) = state.store.find_user_by_id(&link.user_id).await? else {
        return fail(USER_NOT_FOUND);
    };
    // Once the address has moved, the old link no longer matches: a link works once.
    if user.email.to_lowercase() != link.email {
        return fail(INVALID_TOKEN);
    }
    let current = match session::lookup(state, headers).await? {
        Lookup::Valid(current) => Some(current),
        Lookup::NoCookie | Lookup::Expired => None,
    };
    if current.as_ref().is_some_and(|c| c.user.id != user.id) {
        return fail(("INVALID_USER", "Invalid user"));
    }
    let update_to = link.update_to.to_lowercase();
    if link.request_type.as_deref() == Some("change-email-confirmation") {
        let token = verification_token(
            state,
            &link.email,
            Some(&update_to),
            Some("change-email-verification"),
            &user.id,
        );
        if let Some(sender) = state.sender.clone() {
            let message = Message::new("verify-email", update_to.clone())
                .field("url", verification_url(state, &token, callback))
                .field("token", token);
            let _ = deliver(&sender, message, &user.id).await;
        }
        return Ok(link_done(callback, json!({"status": true}), Vec::new()));
    }
    // "change-email-verification" keeps the verified flag as it was, as Better Auth does; a
    // legacy link without a request type moves the address unverified and mails a new link.
    let verified_now =
        link.request_type.as_deref() == Some("change-email-verification") && user.email_verified;
    let patch = UserPatch {
        email: Some(update_to.clone()),
        email_verified: Some(verified_now),
        ..UserPatch::default()
    };
    let updated = state
        .store
        .update_user(&user.id, &patch, now_ms())
        .await?
        .ok_or_else(ApiError::internal)?;
    tracing::info!(user_id = %user.id, "email changed");
    if link.request_type.as_deref() != Some("change-email-verification") {
        let _ = send_verification(state, &updated, callback).await;
    }
    let cookies = current
        .map(|c| session::session_cookies(state, &c.session.token, c.dont_remember))
        .unwrap_or_default();
    Ok(link_done(
        callback,
        json!({"status": true, "user": wire::user(&updated)}),
        cookies,
    ))
}
