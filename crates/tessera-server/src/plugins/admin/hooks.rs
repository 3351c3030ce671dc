//! The admin plugin's share of the flows: its user defaults and protected fields, the ban check on
//! every session creation, and impersonation sessions kept out of list-sessions.

use async_trait::async_trait;
use axum::Router;
use axum::http::StatusCode;
use tessera_core::model::{Session, User};
use tessera_core::plugins::admin::{AdminSession, AdminUser, lifted_ban};
use tessera_core::timefmt::now_ms;
use time::OffsetDateTime;

use crate::error::ApiError;
use crate::plugins::Plugin;
use crate::state::AppState;

pub const ID: &str = tessera_core::plugins::ADMIN;

pub struct AdminPlugin;

fn banned_message() -> &'static str {
    "You have been banned from this application. Please contact support if you believe this is an error."
}

#[async_trait]
impl Plugin for AdminPlugin {
    fn id(&self) -> &'static str {
        ID
    }

    fn router(&self) -> Router<AppState> {
        super::router()
    }

    fn protected_user_fields(&self) -> &'static [&'static str] {
        &["role", "banReason", "banExpires"]
    }

    /// The role comes from a hook, as in Better Auth (the column has no default).
    fn user_defaults(&self, user: &mut User) {
        user.set_role(Some("user".to_owned()));
    }

    /// A live ban refuses; an expired one lifts.
    async fn before_session_create(&self, state: &AppState, user: &User) -> Result<(), ApiError> {
        if user.banned() != Some(true) {
            return Ok(());
        }
        let now = OffsetDateTime::now_utc();
        match user.ban_expires() {
            Some(expires) if expires <= now => {
                let patch = lifted_ban();
                state.store.update_user(&user.id, &patch, now_ms()).await?;
                Ok(())
            }
            _ => Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "BANNED_USER",
                banned_message(),
            )),
        }
    }

    /// An admin's impersonation session is not the user's own.
    fn lists_session(&self, session: &Session) -> bool {
        session.impersonated_by().is_none()
    }
}
