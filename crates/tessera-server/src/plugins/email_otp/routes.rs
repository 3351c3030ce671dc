//! The email-otp routes, each as Better Auth 1.7.25's `routes.ts` answers it.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Map, Value, json};
use tessera_core::model::UserPatch;
use tessera_core::plugins::email_otp::OtpType;
use tessera_core::timefmt::now_ms;
use tessera_store::StoreError;

use super::{check, invalid_otp, issue, message};
use crate::body::{Body, Validator, is_valid_email};
use crate::error::{ApiError, codes};
use crate::flows::credential::{check_password_length, set_password};
use crate::flows::otp::{self, OnSuccess};
use crate::flows::passwordless::{Newcomer, Proven, user_for_proven_email};
use crate::origin;
use crate::reply::Reply;
use crate::session;
use crate::state::AppState;
use crate::timing_floor::Floor;
use crate::wire;

const TYPES: &str = r#""email-verification"|"sign-in"|"forget-password"|"change-email""#;

fn user_not_found() -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "USER_NOT_FOUND", "User not found")
}

fn success() -> Reply {
    Reply::json(json!({ "success": true }))
}

/// The body's `email`, lower-cased and checked as Better Auth's `z.email()` does.
fn email_of(email: Option<String>) -> Result<String, ApiError> {
    let email = email.ok_or_else(ApiError::internal)?.to_lowercase();
    if !is_valid_email(&email) {
        return Err(codes::invalid_email());
    }
    Ok(email)
}

/// `type`, one of Better Auth's four (zod's enum error otherwise).
fn otp_type(v: &mut Validator<'_>) -> Option<OtpType> {
    let raw = v.string("type")?;
    let parsed = OtpType::parse(&raw);
    if parsed.is_none() {
        v.error("type", &format!("Invalid option: expected one of {TYPES}"));
    }
    parsed
}

/// Mails `code` after the answer, so that whether mail goes out does not show in its timing; a
/// failed delivery is logged, never answered (a 500 only for known addresses would tell them
/// apart too).
fn send_later(state: &AppState, kind: OtpType, email: String, code: String) {
    let Some(sender) = state.sender.clone() else {
        return;
    };
    tokio::spawn(async move {
        if let Err(e) = sender.send(message(kind, &email, code)).await {
            tracing::error!(error = %e, otp_type = kind.as_str(), "email code delivery failed");
        }
    });
}

/// Issues a code for `email` and mails it when `deliver`; otherwise takes it back. Better Auth
/// stores the code before it knows whether the address has an account, so a known address and an
/// unknown one cost the same writes.
async fn issue_and_send(
    state: &AppState,
    kind: OtpType,
    email: String,
    deliver: bool,
) -> Result<(), ApiError> {
    let code = issue(state, kind, &email).await?;
    if deliver {
        send_later(state, kind, email, code);
    } else {
        otp::delete_all(state, &kind.identifier(&email)).await?;
    }
    Ok(())
}

fn no_sender() -> ApiError {
    tracing::error!("an email code was requested but no sender is configured");
    ApiError::message_only(
        StatusCode::BAD_REQUEST,
        "send email verification is not implemented",
    )
}

/// `POST /email-otp/send-verification-otp`: `{success: true}` whether or not the address has an
/// account. A sign-in code goes to any address while sign-up is open; the others only to an
/// account's address.
pub async fn send_verification_otp(
    State(state): State<AppState>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Reply, ApiError> {
    let floor = Floor::start();
    origin::check_login_csrf(&state.trusted, &headers)?;
    let mut v = Validator::new(&body);
    let email = v.string("email");
    let kind = otp_type(&mut v);
    v.finish()?;
    if state.sender.is_none() {
        return Err(no_sender());
    }
    let email = email_of(email)?;
    let kind = kind.ok_or_else(ApiError::internal)?;
    if kind == OtpType::ChangeEmail {
        return Err(ApiError::message_only(
            StatusCode::BAD_REQUEST,
            "Invalid OTP type",
        ));
    }
    if kind == OtpType::SignIn && !state.config.email_otp.disable_sign_up {
        // Every address gets a code here, known or not: the work is the same whoever asks, so
        // there is nothing for the answer's timing to give away, and no floor to wait out.
        issue_and_send(&state, kind, email, true).await?;
        return Ok(success());
    }
    let known = state.store.find_user_by_email(&email).await?.is_some();
    issue_and_send(&state, kind, email, known).await?;
    floor.reached().await;
    Ok(success())
}

/// `POST /email-otp/check-verification-otp`: whether the code is right, leaving it in place for
/// the call that spends it (a wrong guess still counts).
pub async fn check_verification_otp(
    State(state): State<AppState>,
    Body(body): Body,
) -> Result<Reply, ApiError> {
    let mut v = Validator::new(&body);
    let email = v.string("email");
    let kind = otp_type(&mut v);
    let code = v.string("otp");
    v.finish()?;
    let email = email_of(email)?;
    let (Some(kind), Some(code)) = (kind, code) else {
        return Err(ApiError::internal());
    };
    check(&state, kind, &email, &code, OnSuccess::Keep).await?;
    // Safe to say: whoever asks holds the code mailed to the address.
    if state.store.find_user_by_email(&email).await?.is_none() {
        return Err(user_not_found());
    }
    Ok(success())
}

/// `POST /email-otp/verify-email`: spends an email-verification code and marks the address
/// verified; signs in when `autoSignInAfterVerification`.
pub async fn verify_email(
    State(state): State<AppState>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Reply, ApiError> {
    let mut v = Validator::new(&body);
    let email = v.string("email");
    let code = v.string("otp");
    v.finish()?;
    let email = email_of(email)?;
    let code = code.ok_or_else(ApiError::internal)?;
    check(
        &state,
        OtpType::EmailVerification,
        &email,
        &code,
        OnSuccess::Spend,
    )
    .await?;
    let Some(user) = state.store.find_user_by_email(&email).await? else {
        return Err(user_not_found());
    };
    let patch = UserPatch {
        email: Some(email),
        email_verified: Some(true),
        ..UserPatch::default()
    };
    let user = state
        .store
        .update_user(&user.id, &patch, now_ms())
        .await?
        .ok_or_else(ApiError::internal)?;
    tracing::info!(user_id = %user.id, "email verified by code");
    if state
        .config
        .lifecycle
        .email_verification
        .auto_sign_in_after_verification
    {
        let created = session::create(&state, &user, false, &headers).await?;
        return Ok(Reply::json(json!({
            "status": true,
            "token": created.session.token,
            "user": wire::user(&user),
        }))
        .cookies(created.cookies));
    }
    Ok(Reply::json(json!({
        "status": true,
        "token": null,
        "user": wire::user(&user),
    })))
}

/// `POST /sign-in/email-otp`: spends a sign-in code, then signs the address's user in, making
/// one unless `disableSignUp`. No second factor is asked (Better Auth's two-factor hook covers
/// password sign-ins only); a banned user is refused when the session is made.
pub async fn sign_in(
    State(state): State<AppState>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Reply, ApiError> {
    let mut v = Validator::new(&body);
    let email = v.string("email");
    let code = v.string("otp");
    let name = v.opt_string("name");
    let image = v.opt_string("image");
    v.finish()?;
    let (Some(email), Some(code)) = (email, code) else {
        return Err(ApiError::internal());
    };
    let email = email.to_lowercase();
    check(&state, OtpType::SignIn, &email, &code, OnSuccess::Spend).await?;
    let rest: Map<String, Value> = body
        .iter()
        .filter(|(k, _)| !["email", "otp", "name", "image"].contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let proven = user_for_proven_email(
        &state,
        &email,
        !state.config.email_otp.disable_sign_up,
        Newcomer {
            name,
            image,
            body: &rest,
        },
    )
    .await?;
    let user = match proven {
        Proven::Existing(user) | Proven::New(user) => user,
        Proven::Nobody => return Err(invalid_otp()),
    };
    let created = session::create(&state, &user, false, &headers).await?;
    tracing::info!(user_id = %user.id, method = "email-otp", "sign-in");
    Ok(Reply::json(json!({
        "token": created.session.token,
        "user": wire::user(&user),
    }))
    .cookies(created.cookies))
}

/// `POST /email-otp/request-password-reset` and its deprecated twin
/// `POST /forget-password/email-otp`: `{success: true}` either way; mailed to an account only.
pub async fn request_password_reset(
    State(state): State<AppState>,
    Body(body): Body,
) -> Result<Reply, ApiError> {
    let floor = Floor::start();
    let mut v = Validator::new(&body);
    let email = v.string("email");
    v.finish()?;
    let email = email_of(email)?;
    let known = state.store.find_user_by_email(&email).await?.is_some();
    issue_and_send(&state, OtpType::ForgetPassword, email, known).await?;
    floor.reached().await;
    Ok(success())
}

/// `POST /email-otp/reset-password`: a forget-password code sets a new password (making the
/// credential account if there was none) and marks the address verified, since the code proved
/// it.
pub async fn reset_password(
    State(state): State<AppState>,
    Body(body): Body,
) -> Result<Reply, ApiError> {
    let mut v = Validator::new(&body);
    let email = v.string("email");
    let code = v.string("otp");
    let password = v.string("password");
    v.finish()?;
    let email = email_of(email)?;
    let (Some(code), Some(password)) = (code, password) else {
        return Err(ApiError::internal());
    };
    check_password_length(&state, &password)?;
    // Checked before the slow hash and spent after it, as Better Auth does, so that a request
    // that fails in between leaves the code usable.
    let kind = OtpType::ForgetPassword;
    check(&state, kind, &email, &code, OnSuccess::Keep).await?;
    let Some(user) = state.store.find_user_by_email(&email).await? else {
        return Err(user_not_found());
    };
    let hash = state.hasher.hash(password).await?;
    check(&state, kind, &email, &code, OnSuccess::Spend).await?;
    set_password(&state, &user.id, hash).await?;
    if !user.email_verified {
        let patch = UserPatch {
            email_verified: Some(true),
            ..UserPatch::default()
        };
        state.store.update_user(&user.id, &patch, now_ms()).await?;
    }
    tracing::info!(user_id = %user.id, "password reset by email code");
    Ok(success())
}

fn change_email_disabled() -> ApiError {
    tracing::info!("change of email by code refused: [email_otp] change_email is off");
    ApiError::message_only(StatusCode::BAD_REQUEST, "Change email with OTP is disabled")
}

/// The new address of a change-email request, checked: valid and not the current one.
fn new_email_for(current: &str, new_email: Option<String>) -> Result<String, ApiError> {
    let new_email = email_of(new_email)?;
    if new_email == current.to_lowercase() {
        return Err(ApiError::message_only(
            StatusCode::BAD_REQUEST,
            "Email is the same",
        ));
    }
    Ok(new_email)
}

/// `POST /email-otp/request-email-change` (signed in): a change-email code to the new address,
/// keyed to the user, after a code from the current address when `change_email_verify_current`.
/// A taken address is answered the same and gets nothing.
pub async fn request_email_change(
    State(state): State<AppState>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Reply, ApiError> {
    let current = session::require(&state, &headers).await?;
    let mut v = Validator::new(&body);
    let new_email = v.string("newEmail");
    let code = v.opt_string("otp");
    v.finish()?;
    let options = &state.config.email_otp;
    if !options.change_email {
        return Err(change_email_disabled());
    }
    let email = current.user.email.to_lowercase();
    let new_email = new_email_for(&email, new_email)?;
    if options.change_email_verify_current {
        let Some(code) = code else {
            return Err(ApiError::message_only(
                StatusCode::BAD_REQUEST,
                "OTP is required to verify current email",
            ));
        };
        check(
            &state,
            OtpType::EmailVerification,
            &email,
            &code,
            OnSuccess::Spend,
        )
        .await?;
    }
    let subject = format!("{}:{new_email}", current.user.id);
    let kind = OtpType::ChangeEmail;
    let code = issue(&state, kind, &subject).await?;
    if state.store.find_user_by_email(&new_email).await?.is_some() {
        otp::delete_all(&state, &kind.identifier(&subject)).await?;
    } else {
        send_later(&state, kind, new_email, code);
    }
    Ok(success())
}

/// `POST /email-otp/change-email` (signed in): spends the change-email code and moves the
/// account to the new, now verified, address.
pub async fn change_email(
    State(state): State<AppState>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Reply, ApiError> {
    let current = session::require(&state, &headers).await?;
    let mut v = Validator::new(&body);
    let new_email = v.string("newEmail");
    let code = v.string("otp");
    v.finish()?;
    if !state.config.email_otp.change_email {
        return Err(change_email_disabled());
    }
    let new_email = new_email_for(&current.user.email, new_email)?;
    let code = code.ok_or_else(ApiError::internal)?;
    let subject = format!("{}:{new_email}", current.user.id);
    check(
        &state,
        OtpType::ChangeEmail,
        &subject,
        &code,
        OnSuccess::Spend,
    )
    .await?;
    let email_in_use = || ApiError::message_only(StatusCode::BAD_REQUEST, "Email already in use");
    if state.store.find_user_by_email(&new_email).await?.is_some() {
        return Err(email_in_use());
    }
    let patch = UserPatch {
        email: Some(new_email),
        email_verified: Some(true),
        ..UserPatch::default()
    };
    match state
        .store
        .update_user(&current.user.id, &patch, now_ms())
        .await
    {
        Ok(Some(_)) => {}
        Ok(None) => return Err(user_not_found()),
        Err(StoreError::Conflict(column)) if column == "email" => return Err(email_in_use()),
        Err(e) => return Err(e.into()),
    }
    tracing::info!(user_id = %current.user.id, "email changed by code");
    // As update-user: Better Auth sets the session cookie again, so a cookie cache carries the
    // new address.
    let cookies = session::session_cookies(&state, &current.session.token, current.dont_remember);
    Ok(success().cookies(cookies))
}
