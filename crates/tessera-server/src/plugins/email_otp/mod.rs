//! The `email-otp` plugin as Better Auth 1.7.25 has it: codes mailed for email verification,
//! sign-in, a forgotten password and a change of address, kept in `verification` as
//! `"<code as stored>:<attempts>"` under `<type>-otp-<email>` so that a code issued by either
//! server is redeemed on the other. Options: `[email_otp]`.
//!
//! Neither a code nor an address is ever logged; events name the user id only.

use async_trait::async_trait;
use axum::Router;
use axum::http::StatusCode;
use axum::routing::post;
use tessera_core::config::StoreOtp;
use tessera_core::crypto::ct::constant_time_eq;
use tessera_core::crypto::key_hash::key_hash;
use tessera_core::crypto::random::{self, Alphabet};
use tessera_core::model::User;
use tessera_core::plugins::email_otp::{self as spec, OtpType};

use crate::delivery::{DeliveryError, Message};
use crate::error::ApiError;
use crate::flows::otp;
use crate::plugins::Plugin;
use crate::rate_limit::Rule;
use crate::state::AppState;

mod routes;

pub const ID: &str = tessera_core::plugins::EMAIL_OTP;

pub struct EmailOtpPlugin;

#[async_trait]
impl Plugin for EmailOtpPlugin {
    fn id(&self) -> &'static str {
        ID
    }

    fn router(&self) -> Router<AppState> {
        Router::new()
            .route(
                "/email-otp/send-verification-otp",
                post(routes::send_verification_otp),
            )
            .route(
                "/email-otp/check-verification-otp",
                post(routes::check_verification_otp),
            )
            .route("/email-otp/verify-email", post(routes::verify_email))
            .route("/sign-in/email-otp", post(routes::sign_in))
            .route(
                "/email-otp/request-password-reset",
                post(routes::request_password_reset),
            )
            .route(
                "/forget-password/email-otp",
                post(routes::request_password_reset),
            )
            .route("/email-otp/reset-password", post(routes::reset_password))
            .route(
                "/email-otp/request-email-change",
                post(routes::request_email_change),
            )
            .route("/email-otp/change-email", post(routes::change_email))
    }

    /// Better Auth's: three a minute on each of the plugin's routes.
    fn rate_limit_rule(&self, route: &str) -> Option<Rule> {
        const ROUTES: [&str; 9] = [
            "/email-otp/send-verification-otp",
            "/email-otp/check-verification-otp",
            "/email-otp/verify-email",
            "/sign-in/email-otp",
            "/email-otp/request-password-reset",
            "/email-otp/reset-password",
            "/forget-password/email-otp",
            "/email-otp/request-email-change",
            "/email-otp/change-email",
        ];
        ROUTES
            .contains(&route)
            .then_some(Rule { window: 60, max: 3 })
    }

    /// `sendVerificationOnSignUp` (unless the core's verification email is already a code).
    async fn after_sign_up(&self, state: &AppState, user: &User) {
        let options = &state.config.email_otp;
        if !options.send_verification_on_sign_up || options.override_default_email_verification {
            return;
        }
        if let Err(e) = send_new_code(state, OtpType::EmailVerification, &user.email).await {
            tracing::error!(user_id = %user.id, error = %e, "email verification code after sign-up failed");
        }
    }

    /// `overrideDefaultEmailVerification`: every verification email is a code, not a link.
    async fn send_verification_email(
        &self,
        state: &AppState,
        user: &User,
    ) -> Option<Result<(), DeliveryError>> {
        if !state.config.email_otp.override_default_email_verification {
            return None;
        }
        let email = user.email.to_lowercase();
        Some(
            match send_new_code(state, OtpType::EmailVerification, &email).await {
                Ok(()) => Ok(()),
                Err(SendError::Delivery(e)) => Err(e),
                Err(e @ SendError::Store(_)) => {
                    tracing::error!(user_id = %user.id, error = %e, "verification code not sent");
                    Ok(())
                }
            },
        )
    }
}

fn policy(state: &AppState) -> otp::Policy {
    otp::Policy {
        allowed_attempts: state.config.email_otp.allowed_attempts,
        invalid: spec::INVALID_OTP,
        expired: spec::OTP_EXPIRED,
        too_many_attempts: spec::TOO_MANY_ATTEMPTS,
        // Better Auth's atomic consume finds nothing and answers as for a wrong code.
        missing: spec::INVALID_OTP,
    }
}

fn invalid_otp() -> ApiError {
    ApiError::coded(StatusCode::BAD_REQUEST, spec::INVALID_OTP)
}

/// A fresh code of the configured length.
fn generate(state: &AppState) -> String {
    random::generate_random_string(state.config.email_otp.otp_length, &[Alphabet::Digits])
}

/// The code as `storeOTP` keeps it.
fn stored_form(state: &AppState, code: &str) -> Result<String, ApiError> {
    Ok(match state.config.email_otp.store_otp {
        StoreOtp::Plain => code.to_owned(),
        StoreOtp::Hashed => key_hash(code),
        StoreOtp::Encrypted => state.secrets.encrypt(code).map_err(|e| {
            tracing::error!(error = %e, "encrypting a code failed");
            ApiError::internal()
        })?,
    })
}

/// Whether `given` is the code kept as `stored`, compared in constant time.
fn matches(state: &AppState, stored: &str, given: &str) -> bool {
    match state.config.email_otp.store_otp {
        StoreOtp::Plain => constant_time_eq(stored.as_bytes(), given.as_bytes()),
        StoreOtp::Hashed => constant_time_eq(stored.as_bytes(), key_hash(given).as_bytes()),
        StoreOtp::Encrypted => state
            .secrets
            .decrypt(stored)
            .is_ok_and(|code| constant_time_eq(code.as_bytes(), given.as_bytes())),
    }
}

/// Stores a new code of `kind` for `subject` (see [`OtpType::identifier`]) and returns it.
async fn issue(state: &AppState, kind: OtpType, subject: &str) -> Result<String, ApiError> {
    let code = generate(state);
    let stored = stored_form(state, &code)?;
    otp::issue(
        state,
        kind.identifier(subject),
        &stored,
        state.config.email_otp.expires_in,
    )
    .await?;
    Ok(code)
}

/// Checks `given` against the code of `kind` for `subject`.
async fn check(
    state: &AppState,
    kind: OtpType,
    subject: &str,
    given: &str,
    on_success: otp::OnSuccess,
) -> Result<(), ApiError> {
    otp::check(
        state,
        &kind.identifier(subject),
        &policy(state),
        on_success,
        |stored| matches(state, stored, given),
    )
    .await
}

enum SendError {
    Store(ApiError),
    Delivery(DeliveryError),
}

impl std::fmt::Display for SendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SendError::Store(e) => write!(f, "storing the code failed ({})", e.status),
            SendError::Delivery(e) => write!(f, "{e}"),
        }
    }
}

/// Issues a code and mails it to `email`.
async fn send_new_code(state: &AppState, kind: OtpType, email: &str) -> Result<(), SendError> {
    let code = issue(state, kind, email).await.map_err(SendError::Store)?;
    let Some(sender) = state.sender.clone() else {
        return Ok(());
    };
    sender
        .send(message(kind, email, code))
        .await
        .map_err(SendError::Delivery)
}

fn message(kind: OtpType, email: &str, code: String) -> Message {
    Message::new(kind.message_kind(), email)
        .field("code", code)
        .field("otpType", kind.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_of_the_plugin_allows_three_a_minute() {
        let plugin = EmailOtpPlugin;
        for route in [
            "/email-otp/send-verification-otp",
            "/sign-in/email-otp",
            "/forget-password/email-otp",
            "/email-otp/change-email",
        ] {
            assert_eq!(
                plugin.rate_limit_rule(route),
                Some(Rule { window: 60, max: 3 }),
                "{route}"
            );
        }
        assert_eq!(plugin.rate_limit_rule("/sign-in/email"), None);
    }
}
