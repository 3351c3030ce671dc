//! The username plugin's share of the flows: `username` / `displayUsername` on sign-up and
//! update-user, its database hook on admin writes, and the answer to a taken username.

use async_trait::async_trait;
use axum::Router;
use serde_json::{Map, Value};
use std::sync::Arc;

use tessera_core::model::{FieldValue, User, UserPatch};
use tessera_core::plugins::username::{DISPLAY_USERNAME, USERNAME};

use crate::error::ApiError;
use crate::plugins::{Plugin, SignUpRoute};
use crate::state::AppState;

pub const ID: &str = tessera_core::plugins::USERNAME;

pub struct UsernamePlugin;

#[async_trait]
impl Plugin for UsernamePlugin {
    fn id(&self) -> &'static str {
        ID
    }

    fn router(&self) -> Router<AppState> {
        super::router()
    }

    async fn before_sign_up(
        &self,
        state: &AppState,
        route: SignUpRoute,
        body: &Map<String, Value>,
        user: &mut User,
    ) -> Result<(), ApiError> {
        match route {
            SignUpRoute::Email => super::on_sign_up(state, body, user).await,
            SignUpRoute::PhoneNumberVerification => {
                super::on_phone_sign_up(state, body, user).await
            }
            // Social sign-up carries no body fields; admin writes go through `before_user_write`.
            SignUpRoute::Social | SignUpRoute::Admin | SignUpRoute::Passwordless => Ok(()),
        }
    }

    async fn before_update_user(
        &self,
        state: &AppState,
        body: &Map<String, Value>,
        current: &User,
        patch: &mut UserPatch,
    ) -> Result<bool, ApiError> {
        super::on_update_user(state, body, current, patch).await
    }

    /// Better Auth's database hook: the username rule and normalisation, and a new user's
    /// displayUsername from the username as typed.
    async fn before_user_write(
        &self,
        state: &AppState,
        patch: &mut UserPatch,
        creating: bool,
        target: &str,
    ) -> Result<(), ApiError> {
        let Some(FieldValue::String(raw)) = patch.field(&USERNAME.name).cloned() else {
            return Ok(());
        };
        if raw.is_empty() {
            return Ok(());
        }
        super::check_for_write(&raw)?;
        let normalized = raw.to_lowercase();
        if let Some(holder) = state
            .store
            .find_user_by_field(&USERNAME.name, &normalized)
            .await?
            && holder.id != target
        {
            return Err(super::username_taken());
        }
        patch
            .additional
            .set(Arc::clone(&USERNAME), normalized.into());
        let display_given = patch
            .field(&DISPLAY_USERNAME.name)
            .and_then(FieldValue::as_str)
            .is_some_and(|d| !d.is_empty());
        if creating && !display_given {
            patch
                .additional
                .set(Arc::clone(&DISPLAY_USERNAME), raw.into());
        }
        Ok(())
    }

    fn conflict_error(&self, column: &str) -> Option<ApiError> {
        (column == "username").then(super::username_taken)
    }
}
