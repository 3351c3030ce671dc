//! Account lifecycle (reference §3.2, §5.5, §6.4): password reset by emailed link, and email
//! verification by signed link. Messages go through the configured sender; without one, these
//! flows answer as Better Auth does when its callbacks are not configured.

use std::collections::HashMap;
use std::time::Duration as StdDuration;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Map, Value, json};
use tessera_core::crypto::{jwt, random};
use tessera_core::model::{Account, UserPatch, Verification};
use tessera_core::timefmt::now_ms;
use time::{Duration, OffsetDateTime};

use crate::body::{Body, Validator};
use crate::delivery::Message;
use crate::error::{ApiError, codes};
use crate::origin;
use crate::reply::Reply;
use crate::routes::email::check_password_length;
use crate::session::{self, Lookup};
use crate::state::AppState;

/// `resetPasswordTokenExpiresIn`.
const RESET_TOKEN_SECS: i64 = 3600;
/// `emailVerification.expiresIn`.
const VERIFICATION_TOKEN_SECS: u64 = 3600;
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
}

fn invalid_token(status: StatusCode) -> ApiError {
    ApiError::new(status, "INVALID_TOKEN", "Invalid token")
}

fn invalid_redirect_url() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "INVALID_REDIRECT_URL",
        "Invalid redirectURL",
    )
}

/// `${baseURL}${basePath}`, where Better Auth's links point.
fn api_url(state: &AppState) -> String {
    format!("{}{}", state.config.base_url, state.config.base_path)
}

fn reset_identifier(token: &str) -> String {
    format!("reset-password:{token}")
}

fn redirect(location: &str) -> Response {
    let mut response = StatusCode::FOUND.into_response();
    if let Ok(v) = header::HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    response
}

/// `url` with `name=value` appended to its query.
fn with_query(url: &str, name: &str, value: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!(
        "{url}{separator}{name}={}",
        tessera_core::crypto::uri::encode_uri_component(value)
    )
}

async fn request_password_reset(
    State(state): State<AppState>,
    Body(body): Body,
) -> Result<Reply, ApiError> {
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
    origin::check_callback(&state.trusted, redirect_to.as_deref(), invalid_redirect_url)?;
    let email = email.ok_or_else(ApiError::internal)?.to_lowercase();
    let answer = || Reply::json(json!({"status": true, "message": RESET_MESSAGE}));
    let Some(user) = state.store.find_user_by_email(&email).await? else {
        // Same answer for an unknown address; the token generation it skips costs microseconds.
        return Ok(answer());
    };
    let token = random::generate_id(24);
    let now = now_ms();
    state
        .store
        .create_verification(&Verification {
            id: random::generate_id(32),
            identifier: reset_identifier(&token),
            value: user.id.clone(),
            expires_at: now + Duration::seconds(RESET_TOKEN_SECS),
            created_at: now,
            updated_at: now,
        })
        .await?;
    let url = format!(
        "{}/reset-password/{token}?callbackURL={}",
        api_url(&state),
        tessera_core::crypto::uri::encode_uri_component(redirect_to.as_deref().unwrap_or(""))
    );
    let message = Message::new("reset-password", user.email.clone())
        .field("url", url)
        .field("token", token);
    if let Err(e) = sender.send(message).await {
        tracing::error!(user_id = %user.id, error = %e, "password reset email not delivered");
    }
    tracing::info!(user_id = %user.id, "password reset requested");
    Ok(answer())
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
    if !state.trusted.is_safe_callback(&callback) {
        return Err(codes::invalid_callback_url());
    }
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
    let now = now_ms();
    if !state
        .store
        .update_credential_password(&user_id, &hash, now)
        .await?
    {
        let account = Account::credential(random::generate_id(32), &user_id, hash, now);
        state.store.create_account(&account).await?;
    }
    // Two-factor stays as it was: a reset never bypasses the second factor (M9).
    tracing::info!(user_id = %user_id, "password reset");
    Ok(Reply::json(json!({"status": true})))
}

fn verification_url(state: &AppState, token: &str, callback: Option<&str>) -> String {
    format!(
        "{}/verify-email?token={token}&callbackURL={}",
        api_url(state),
        tessera_core::crypto::uri::encode_uri_component(callback.unwrap_or("/"))
    )
}

/// Better Auth's email-verification token: an HS256 JWT of `{email}` for an hour.
fn verification_token(state: &AppState, email: &str) -> String {
    let mut claims = Map::new();
    claims.insert("email".into(), Value::String(email.to_lowercase()));
    let now = u64::try_from(OffsetDateTime::now_utc().unix_timestamp()).unwrap_or(0);
    jwt::sign_hs256(&state.config.secret, claims, now, VERIFICATION_TOKEN_SECS)
}

async fn send_verification(
    state: &AppState,
    email: &str,
    callback: Option<&str>,
) -> Result<(), ApiError> {
    let Some(sender) = state.sender.clone() else {
        return Ok(());
    };
    let token = verification_token(state, email);
    let message = Message::new("verify-email", email.to_owned())
        .field("url", verification_url(state, &token, callback))
        .field("token", token);
    if let Err(e) = sender.send(message).await {
        tracing::error!(error = %e, "verification email not delivered");
    }
    Ok(())
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
    origin::check_callback(
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
        send_verification(&state, &email, callback.as_deref()).await?;
        return Ok(Reply::json(json!({"status": true})));
    }
    if let Some(user) = state.store.find_user_by_email(&email).await?
        && !user.email_verified
    {
        send_verification(&state, &email, callback.as_deref()).await?;
    }
    tokio::time::sleep_until(started + ANONYMOUS_VERIFICATION_FLOOR).await;
    Ok(Reply::json(json!({"status": true})))
}

async fn verify_email(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let callback = query.get("callbackURL").filter(|c| !c.is_empty()).cloned();
    if let Some(c) = &callback
        && !state.trusted.is_safe_callback(c)
    {
        return Err(codes::invalid_callback_url());
    }
    let token = query.get("token").cloned().unwrap_or_default();
    let now = u64::try_from(OffsetDateTime::now_utc().unix_timestamp()).unwrap_or(0);
    let claims = match jwt::verify_hs256(&state.config.secret, &token, now) {
        Ok(claims) => claims,
        Err(e) => {
            let code = if matches!(e, jwt::JwtError::Expired) {
                "TOKEN_EXPIRED"
            } else {
                "INVALID_TOKEN"
            };
            return Ok(match callback {
                Some(c) => redirect(&with_query(&c, "error", code)),
                None => {
                    let message = if code == "TOKEN_EXPIRED" {
                        "Token expired"
                    } else {
                        "Invalid token"
                    };
                    ApiError::new(StatusCode::UNAUTHORIZED, code, message).into_response()
                }
            });
        }
    };
    let email = claims
        .get("email")
        .and_then(Value::as_str)
        .map(str::to_lowercase)
        .ok_or_else(|| invalid_token(StatusCode::UNAUTHORIZED))?;
    let user = state
        .store
        .find_user_by_email(&email)
        .await?
        .ok_or_else(|| {
            ApiError::new(StatusCode::UNAUTHORIZED, "USER_NOT_FOUND", "User not found")
        })?;
    if !user.email_verified {
        let patch = UserPatch {
            email_verified: Some(true),
            ..UserPatch::default()
        };
        state.store.update_user(&user.id, &patch, now_ms()).await?;
        tracing::info!(user_id = %user.id, "email verified");
    }
    Ok(match callback {
        Some(c) => redirect(&c),
        None => Reply::json(json!({"status": true, "user": null})).into_response(),
    })
}
