//! The phone-number plugin's share of the flows: `phoneNumberVerified` protected, a number set
//! only by verifying it, and the answer to a number already held.

use async_trait::async_trait;
use axum::Router;
use serde_json::{Map, Value};
use std::sync::Arc;

use tessera_core::model::{FieldValue, User, UserPatch};
use tessera_core::plugins::phone_number::{PHONE_NUMBER, PHONE_NUMBER_VERIFIED};

use crate::error::ApiError;
use crate::plugins::{Plugin, SignUpRoute};
use crate::rate_limit::Rule;
use crate::state::AppState;

pub const ID: &str = tessera_core::plugins::PHONE_NUMBER;

pub struct PhoneNumberPlugin;

#[async_trait]
impl Plugin for PhoneNumberPlugin {
    fn id(&self) -> &'static str {
        ID
    }

    fn router(&self) -> Router<AppState> {
        super::router()
    }

    /// Better Auth's phone-number rule: ten a minute on its own routes.
    fn rate_limit_rule(&self, route: &str) -> Option<Rule> {
        route.starts_with("/phone-number").then_some(Rule {
            window: 60,
            max: 10,
        })
    }

    fn protected_user_fields(&self) -> &'static [&'static str] {
        &["phoneNumberVerified"]
    }

    async fn before_sign_up(
        &self,
        _state: &AppState,
        route: SignUpRoute,
        body: &Map<String, Value>,
        _user: &mut User,
    ) -> Result<(), ApiError> {
        match route {
            SignUpRoute::Email => super::on_sign_up(body),
            // Verification sets the number itself; the other routes carry no body number.
            SignUpRoute::PhoneNumberVerification
            | SignUpRoute::Social
            | SignUpRoute::Admin
            | SignUpRoute::Passwordless => Ok(()),
        }
    }

    async fn before_update_user(
        &self,
        _state: &AppState,
        body: &Map<String, Value>,
        _current: &User,
        _patch: &mut UserPatch,
    ) -> Result<bool, ApiError> {
        super::on_update_user(body).map(|()| false)
    }

    /// Better Auth's database hook on admin writes: a new user's unverified number is dropped,
    /// and clearing a number clears its verification.
    async fn before_user_write(
        &self,
        _state: &AppState,
        patch: &mut UserPatch,
        creating: bool,
        _target: &str,
    ) -> Result<(), ApiError> {
        let verified = patch.field(&PHONE_NUMBER_VERIFIED.name) == Some(&FieldValue::Boolean(true));
        let unverified = |patch: &mut UserPatch| {
            patch
                .additional
                .set(Arc::clone(&PHONE_NUMBER_VERIFIED), false.into());
        };
        match patch.field(&PHONE_NUMBER.name) {
            Some(FieldValue::Null) => unverified(patch),
            Some(_) if creating && !verified => {
                patch
                    .additional
                    .set(Arc::clone(&PHONE_NUMBER), FieldValue::Null);
                unverified(patch);
            }
            _ => {}
        }
        Ok(())
    }

    fn conflict_error(&self, column: &str) -> Option<ApiError> {
        (column == "phoneNumber").then(super::phone_number_exists)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_number_routes_allow_ten_a_minute() {
        let plugin = PhoneNumberPlugin;
        assert_eq!(
            plugin.rate_limit_rule("/phone-number/send-otp"),
            Some(Rule {
                window: 60,
                max: 10
            })
        );
        // Password sign-in by number keeps the core sign-in rule.
        assert_eq!(plugin.rate_limit_rule("/sign-in/phone-number"), None);
    }
}
