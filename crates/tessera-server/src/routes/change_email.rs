//! `POST /change-email` (reference §3.2), Better Auth's three ways: an unverified user with
//! `updateEmailWithoutVerification` moves at once; a verified user with
//! `sendChangeEmailConfirmation` first confirms from the current address; otherwise the new
//! address gets a link whose `updateTo` claim moves the user (`verify-email` finishes both).

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use serde_json::json;
use tessera_core::model::UserPatch;
use tessera_core::timefmt::now_ms;

use crate::body::{Body, Validator, is_valid_email};
use crate::delivery::Message;
use crate::error::{ApiError, codes};
use crate::flows::links::{deliver, send_verification, verification_token, verification_url};
use crate::origin;
use crate::reply::Reply;
use crate::session;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/change-email", post(change_email))
}

async fn change_email(
    State(state): State<AppState>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Reply, ApiError> {
    let current = session::require(&state, &headers).await?;
    let mut v = Validator::new(&body);
    let new_email = v.string("newEmail");
    let callback = v.opt_string("callbackURL");
    if let Some(e) = &new_email
        && !is_valid_email(e)
    {
        v.error("newEmail", "Invalid email address");
    }
    v.finish()?;
    let callback = origin::check_callback(
        &state.trusted,
        callback.as_deref(),
        codes::invalid_callback_url,
    )?;
    let options = &state.config.lifecycle.change_email;
    if !options.enabled {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "CHANGE_EMAIL_DISABLED",
            "Change email is disabled",
        ));
    }
    let new_email = new_email.ok_or_else(ApiError::internal)?.to_lowercase();
    let user = current.user;
    if new_email == user.email {
        return Err(ApiError::message_only(
            StatusCode::BAD_REQUEST,
            "Email is the same",
        ));
    }
    let without_verification = !user.email_verified && options.update_email_without_verification;
    let sender = state.sender.clone();
    let confirmation =
        sender.is_some() && user.email_verified && options.send_change_email_confirmation;
    // Checked before the address is looked up, so that a taken and a free address cannot be told
    // apart by this error.
    if !without_verification && sender.is_none() {
        return Err(ApiError::message_only(
            StatusCode::BAD_REQUEST,
            "Verification email isn't enabled",
        ));
    }
    if state.store.find_user_by_email(&new_email).await?.is_some() {
        // Enumeration resistance (§6.4): the same answer, and nothing changes or is sent. The
        // token Better Auth signs here only evens out the timing.
        let _ = verification_token(&state, &user.email, Some(&new_email), None, &user.id);
        tracing::info!(user_id = %user.id, outcome = "address-taken", "change of email refused");
        return Ok(Reply::json(json!({"status": true})));
    }
    if without_verification {
        let patch = UserPatch {
            email: Some(new_email.clone()),
            ..UserPatch::default()
        };
        let updated = match state.store.update_user(&user.id, &patch, now_ms()).await {
            Ok(Some(updated)) => updated,
            Ok(None) => return Err(ApiError::internal()),
            // Taken between the check and the write: the same silent answer.
            Err(tessera_store::StoreError::Conflict(_)) => {
                return Ok(Reply::json(json!({"status": true})));
            }
            Err(e) => return Err(e.into()),
        };
        tracing::info!(user_id = %user.id, "email changed without verification");
        let _ = send_verification(&state, &updated, callback.as_deref()).await;
        let cookies =
            session::session_cookies(&state, &current.session.token, current.dont_remember);
        return Ok(Reply::json(json!({"status": true})).cookies(cookies));
    }
    let Some(sender) = sender else {
        return Err(ApiError::internal());
    };
    let (request_type, kind, to) = if confirmation {
        (
            "change-email-confirmation",
            "change-email-confirmation",
            user.email.clone(),
        )
    } else {
        (
            "change-email-verification",
            "verify-email",
            new_email.clone(),
        )
    };
    let token = verification_token(
        &state,
        &user.email,
        Some(&new_email),
        Some(request_type),
        &user.id,
    );
    let mut message = Message::new(kind, to)
        .field("url", verification_url(&state, &token, callback.as_deref()))
        .field("token", token);
    if confirmation {
        message = message.field("newEmail", new_email);
    }
    // Better Auth logs a failed send here and answers as usual.
    let _ = deliver(&sender, message, &user.id).await;
    tracing::info!(user_id = %user.id, request_type, "change of email requested");
    Ok(Reply::json(json!({"status": true})))
}
