//! The `phone-number` plugin's routes and hooks (reference §3.5), as Better Auth 1.7.25 has them
//! with Tessera's settings: 6-digit OTPs valid 300 s with 3 tries, delivered through the
//! configured sender, and sign-up on verification with a placeholder email. Registered only when
//! the plugin is on.
//!
//! Phone numbers are taken verbatim (Better Auth has no validator by default). Neither an OTP
//! nor a phone number is ever logged; events name the user id only.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use serde_json::{Map, Value, json};
use tessera_core::crypto::ct::constant_time_eq;
use tessera_core::crypto::random::{self, Alphabet};
use tessera_core::model::{User, UserPatch};
use tessera_core::plugins::phone_number as spec;
use tessera_core::plugins::phone_number::{PHONE_NUMBER, PHONE_NUMBER_VERIFIED, PhoneNumberUser};
use tessera_core::timefmt::now_ms;
use tessera_store::StoreError;

use crate::body::is_truthy;
use crate::body::{Body, Validator};
use crate::delivery::Message;
use crate::error::{ApiError, codes};
use crate::flows::credential::{check_credential, check_password_length, set_password};
use crate::flows::otp;
use crate::flows::sign_in::{Opened, open_session};
use crate::flows::users::{self, NewUser};
use crate::plugins::SignUpRoute;
use crate::reply::Reply;
use crate::session::{self, Lookup};
use crate::state::AppState;
use crate::timing_floor::Floor;
use crate::wire;

/// Better Auth's `otpLength`, `expiresIn` and `allowedAttempts` defaults.
const OTP_LENGTH: usize = 6;
const OTP_LIFETIME_SECS: i64 = 300;
const ALLOWED_ATTEMPTS: u64 = 3;

/// Users created by verification get `<their id, lowercased>@` this domain, like the importer's
/// placeholders for users without an email (an id-derived local part at a `.invalid` domain,
/// which RFC 6761 keeps from ever being a mailbox). The random id keeps it unique without putting
/// the phone number in the email column.
const PLACEHOLDER_EMAIL_DOMAIN: &str = "phone.tessera.invalid";

mod hooks;

pub use hooks::{ID, PhoneNumberPlugin};

fn router() -> Router<AppState> {
    Router::new()
        .route("/sign-in/phone-number", post(sign_in))
        .route("/phone-number/send-otp", post(send_otp))
        .route("/phone-number/verify", post(verify))
        .route(
            "/phone-number/request-password-reset",
            post(request_password_reset),
        )
        .route("/phone-number/reset-password", post(reset_password))
}

fn phone_number_exists() -> ApiError {
    ApiError::coded(StatusCode::BAD_REQUEST, spec::PHONE_NUMBER_EXIST)
}

fn invalid_phone_number_or_password() -> ApiError {
    ApiError::coded(
        StatusCode::UNAUTHORIZED,
        spec::INVALID_PHONE_NUMBER_OR_PASSWORD,
    )
}

fn otp_identifier(phone_number: &str) -> String {
    format!("phone-number-otp-{phone_number}")
}

fn reset_identifier(phone_number: &str) -> String {
    format!("phone-number-reset-{phone_number}")
}

/// The phone number is set only through OTP verification: sign-up refuses it.
fn on_sign_up(body: &Map<String, Value>) -> Result<(), ApiError> {
    if body.get("phoneNumber").is_some_and(is_truthy) {
        return Err(ApiError::coded(
            StatusCode::BAD_REQUEST,
            spec::PHONE_NUMBER_CANNOT_BE_SET,
        ));
    }
    Ok(())
}

/// …and so does update-user.
fn on_update_user(body: &Map<String, Value>) -> Result<(), ApiError> {
    if body.get("phoneNumber").is_some_and(|v| !v.is_null()) {
        return Err(ApiError::coded(
            StatusCode::BAD_REQUEST,
            spec::PHONE_NUMBER_CANNOT_BE_UPDATED,
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------- one-time codes

const POLICY: otp::Policy = otp::Policy {
    allowed_attempts: ALLOWED_ATTEMPTS,
    invalid: spec::INVALID_OTP,
    expired: spec::OTP_EXPIRED,
    too_many_attempts: spec::TOO_MANY_ATTEMPTS,
    missing: spec::OTP_NOT_FOUND,
};

/// Stores a fresh code under `identifier` and returns it.
async fn issue_otp(state: &AppState, identifier: String) -> Result<String, ApiError> {
    let code = random::generate_random_string(OTP_LENGTH, &[Alphabet::Digits]);
    otp::issue(state, identifier, &code, OTP_LIFETIME_SECS).await?;
    Ok(code)
}

/// Checks `code` against the newest row for `identifier` and spends it on success.
async fn spend_otp(state: &AppState, identifier: &str, code: &str) -> Result<(), ApiError> {
    otp::check(
        state,
        identifier,
        &POLICY,
        otp::OnSuccess::Spend,
        |stored| constant_time_eq(stored.as_bytes(), code.as_bytes()),
    )
    .await
}

// ---------------------------------------------------------------- routes

/// `POST /phone-number/send-otp`.
pub async fn send_otp(State(state): State<AppState>, Body(body): Body) -> Result<Reply, ApiError> {
    let mut v = Validator::new(&body);
    let phone_number = v.string("phoneNumber");
    v.finish()?;
    let Some(phone_number) = phone_number else {
        return Err(ApiError::internal());
    };
    let Some(sender) = state.sender.clone() else {
        tracing::warn!("phone-number OTP requested but no sender is configured");
        return Err(ApiError::coded(
            StatusCode::NOT_IMPLEMENTED,
            spec::SEND_OTP_NOT_IMPLEMENTED,
        ));
    };
    let code = issue_otp(&state, otp_identifier(&phone_number)).await?;
    sender
        .send(Message::new("phone-otp", phone_number).field("code", code))
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "phone-number OTP delivery failed");
            ApiError::internal()
        })?;
    Ok(Reply::json(json!({ "message": "code sent" })))
}

/// `POST /phone-number/verify`: spends the code, then sets the caller's number
/// (`updatePhoneNumber`), or marks the number's user verified, or signs a new user up.
pub async fn verify(
    State(state): State<AppState>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Reply, ApiError> {
    let mut v = Validator::new(&body);
    let phone_number = v.string("phoneNumber");
    let code = v.string("code");
    let disable_session = v.opt_bool("disableSession");
    let update_phone_number = v.opt_bool("updatePhoneNumber");
    v.finish()?;
    let (Some(phone_number), Some(code)) = (phone_number, code) else {
        return Err(ApiError::internal());
    };
    spend_otp(&state, &otp_identifier(&phone_number), &code).await?;

    if update_phone_number == Some(true) {
        return set_callers_number(&state, &headers, phone_number).await;
    }

    let user = match state
        .store
        .find_user_by_field(&PHONE_NUMBER.name, &phone_number)
        .await?
    {
        Some(user) => {
            let patch = UserPatch::default().with(&PHONE_NUMBER_VERIFIED, true);
            let user = state
                .store
                .update_user(&user.id, &patch, now_ms())
                .await?
                .ok_or_else(ApiError::internal)?;
            tracing::info!(user_id = %user.id, "phone number verified");
            user
        }
        None if state.config.phone_sign_up_on_verification => {
            sign_up_by_phone(&state, &body, phone_number).await?
        }
        // Better Auth without signUpOnVerification: the update of a user that does not exist fails.
        None => {
            return Err(ApiError::coded(
                StatusCode::INTERNAL_SERVER_ERROR,
                spec::FAILED_TO_UPDATE_USER,
            ));
        }
    };

    if disable_session == Some(true) {
        return Ok(Reply::json(json!({
            "status": true,
            "token": null,
            "user": wire::user(&user),
        })));
    }
    let created = session::create(&state, &user, false, &headers).await?;
    Ok(Reply::json(json!({
        "status": true,
        "token": created.session.token,
        "user": wire::user(&user),
    }))
    .cookies(created.cookies))
}

/// `updatePhoneNumber: true`: the signed-in caller takes the verified number, unless anyone
/// (the caller included) already has it. The session stays as it is.
async fn set_callers_number(
    state: &AppState,
    headers: &HeaderMap,
    phone_number: String,
) -> Result<Reply, ApiError> {
    let Lookup::Valid(current) = session::lookup(state, headers).await? else {
        return Err(ApiError::coded(
            StatusCode::UNAUTHORIZED,
            spec::USER_NOT_FOUND,
        ));
    };
    if state
        .store
        .find_user_by_field(&PHONE_NUMBER.name, &phone_number)
        .await?
        .is_some()
    {
        return Err(phone_number_exists());
    }
    let patch = UserPatch::default()
        .with(&PHONE_NUMBER, phone_number)
        .with(&PHONE_NUMBER_VERIFIED, true);
    let user = match state
        .store
        .update_user(&current.user.id, &patch, now_ms())
        .await
    {
        Ok(Some(user)) => user,
        Ok(None) => return Err(ApiError::internal()),
        Err(StoreError::Conflict(column)) if column == "phoneNumber" => {
            return Err(phone_number_exists());
        }
        Err(e) => return Err(e.into()),
    };
    tracing::info!(user_id = %user.id, "phone number changed");
    Ok(Reply::json(json!({
        "status": true,
        "token": current.session.token,
        "user": wire::user(&user),
    })))
}

/// Better Auth's `signUpOnVerification` (config `phone_sign_up_on_verification`): a user named after the number, with a
/// placeholder email and the number verified. Other plugin fields of the body apply as they
/// would on sign-up (a username; no role, ban or verification flag).
async fn sign_up_by_phone(
    state: &AppState,
    body: &Map<String, Value>,
    phone_number: String,
) -> Result<User, ApiError> {
    state.registry.refuse_protected_fields(body)?;
    let mut user = users::draft(state, phone_number.clone(), String::new(), None);
    user.email = format!("{}@{PLACEHOLDER_EMAIL_DOMAIN}", user.id.to_lowercase());
    user.set_phone_number(Some(phone_number));
    user.set_phone_number_verified(Some(true));
    users::create(
        state,
        &mut user,
        NewUser {
            route: SignUpRoute::PhoneNumberVerification,
            body,
            password: None,
            accounts: Vec::new(),
            email_taken: codes::user_already_exists_use_another_email,
        },
    )
    .await?;
    tracing::info!(user_id = %user.id, "sign-up by phone number");
    Ok(user)
}

/// `POST /sign-in/phone-number`: password sign-in by number, answered `{token, user}`.
/// Better Auth's `requireVerification` is off by default, so an unverified number signs in.
pub async fn sign_in(
    State(state): State<AppState>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Reply, ApiError> {
    let mut v = Validator::new(&body);
    let phone_number = v.string("phoneNumber");
    let password = v.string("password");
    let remember_me = v.opt_bool("rememberMe");
    v.finish()?;
    let (Some(phone_number), Some(password)) = (phone_number, password) else {
        return Err(ApiError::internal());
    };
    if password.chars().count() > state.config.password.max_length {
        return Err(codes::password_too_long());
    }
    let Some(user) = state
        .store
        .find_user_by_field(&PHONE_NUMBER.name, &phone_number)
        .await?
    else {
        // Better Auth answers at once here; the dummy hash keeps an unknown number as slow as a
        // wrong password (security requirement A4).
        state.hasher.verify_dummy(password).await?;
        tracing::info!(
            outcome = "unknown-user",
            method = "phone-number",
            "sign-in refused"
        );
        return Err(invalid_phone_number_or_password());
    };
    if state
        .store
        .find_credential_account(&user.id)
        .await?
        .is_some_and(|a| a.password.is_none())
    {
        tracing::info!(user_id = %user.id, outcome = "no-password", "sign-in refused");
        return Err(ApiError::coded(
            StatusCode::UNAUTHORIZED,
            spec::UNEXPECTED_ERROR,
        ));
    }
    if !check_credential(&state, &user, password).await? {
        return Err(invalid_phone_number_or_password());
    }
    tracing::info!(user_id = %user.id, method = "phone-number", "sign-in");

    let dont_remember = remember_me == Some(false);
    match open_session(&state, &user, dont_remember, &headers).await? {
        Opened::Challenge(reply) => Ok(reply),
        Opened::Session { created, cookies } => Ok(Reply::json(json!({
            "token": created.session.token,
            "user": wire::user(&user),
        }))
        .cookies(cookies)),
    }
}

/// `POST /phone-number/request-password-reset`: the same answer whether or not the number is
/// known; a code is stored either way and sent only to a known number.
pub async fn request_password_reset(
    State(state): State<AppState>,
    Body(body): Body,
) -> Result<Reply, ApiError> {
    let floor = Floor::start();
    let mut v = Validator::new(&body);
    let phone_number = v.string("phoneNumber");
    v.finish()?;
    let Some(phone_number) = phone_number else {
        return Err(ApiError::internal());
    };
    let user = state
        .store
        .find_user_by_field(&PHONE_NUMBER.name, &phone_number)
        .await?;
    let code = issue_otp(&state, reset_identifier(&phone_number)).await?;
    if let (Some(user), Some(sender)) = (user, state.sender.clone()) {
        // Sent after the answer, so that a known number is answered as fast as an unknown one;
        // a failed delivery is logged, never answered (a 500 only for known numbers would tell
        // them apart too).
        tokio::spawn(async move {
            match sender
                .send(Message::new("phone-reset-otp", phone_number).field("code", code))
                .await
            {
                Ok(()) => tracing::info!(user_id = %user.id, "password reset code sent"),
                Err(e) => {
                    tracing::error!(user_id = %user.id, error = %e, "password reset code delivery failed");
                }
            }
        });
    }
    floor.reached().await;
    Ok(Reply::json(json!({ "status": true })))
}

/// `POST /phone-number/reset-password`: spends the reset code, then sets the password, creating
/// the credential account if the user had none.
pub async fn reset_password(
    State(state): State<AppState>,
    Body(body): Body,
) -> Result<Reply, ApiError> {
    let mut v = Validator::new(&body);
    let otp = v.string("otp");
    let phone_number = v.string("phoneNumber");
    let new_password = v.string("newPassword");
    v.finish()?;
    let (Some(otp), Some(phone_number), Some(new_password)) = (otp, phone_number, new_password)
    else {
        return Err(ApiError::internal());
    };
    check_password_length(&state, &new_password)?;
    spend_otp(&state, &reset_identifier(&phone_number), &otp).await?;
    let Some(user) = state
        .store
        .find_user_by_field(&PHONE_NUMBER.name, &phone_number)
        .await?
    else {
        return Err(ApiError::coded(
            StatusCode::BAD_REQUEST,
            spec::UNEXPECTED_ERROR,
        ));
    };
    let hash = state.hasher.hash(new_password).await?;
    set_password(&state, &user.id, hash).await?;
    tracing::info!(user_id = %user.id, "password reset by phone number");
    Ok(Reply::json(json!({ "status": true })))
}
