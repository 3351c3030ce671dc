//! The multi-session plugin's share of the flows: a signed cookie per new session, and sign-out
//! ending every session the browser holds.

use async_trait::async_trait;
use axum::Router;
use axum::http::HeaderMap;
use tessera_core::crypto::signed;
use tessera_core::model::{Session, User};
use tessera_core::plugins::multi_session::cookie_name;

use super::jar;
use crate::cookies;
use crate::error::ApiError;
use crate::plugins::Plugin;
use crate::state::AppState;

pub const ID: &str = tessera_core::plugins::MULTI_SESSION;

pub struct MultiSessionPlugin;

#[async_trait]
impl Plugin for MultiSessionPlugin {
    fn id(&self) -> &'static str {
        ID
    }

    fn router(&self) -> Router<AppState> {
        super::router()
    }

    /// Better Auth's first after-hook: the same user's earlier sessions in this browser are
    /// deleted and their cookies expired, then the new session gets its cookie unless the browser
    /// would hold more than `maximumSessions` (the session itself stands either way).
    async fn after_session_created(
        &self,
        state: &AppState,
        session: &Session,
        user: &User,
        headers: &HeaderMap,
    ) -> Result<Vec<String>, ApiError> {
        let names = &state.cookies;
        let secret = &state.config.secret;
        let name = cookie_name(&names.session_token, &session.token);
        if cookies::read(headers, &name).is_some() {
            return Ok(Vec::new());
        }
        let maximum = state.config.multi_session.maximum_sessions;
        let held = jar::read(headers, jar::bound(maximum));
        let mut out = Vec::new();
        let mut deleted = 0usize;
        for (key, token) in held.verified(secret) {
            let same_user = state
                .store
                .find_session_and_user(&token)
                .await?
                .is_some_and(|(_, held_user)| held_user.id == user.id);
            if same_user {
                state.store.delete_session_by_token(&token).await?;
                deleted += 1;
                out.push(names.expire(key));
            }
        }
        // Better Auth's count: every multi-session cookie sent, less the ones just ended, plus the
        // new session's.
        if held.total.saturating_sub(deleted) + 1 > maximum {
            return Ok(out);
        }
        out.push(names.set(
            &name,
            &signed::sign_and_encode(secret, &session.token),
            Some(state.config.session.expires_in),
        ));
        Ok(out)
    }

    /// Better Auth's after-hook on `/sign-out`: every session whose signed cookie the browser
    /// holds is deleted, whoever it belongs to, and those cookies are expired.
    async fn on_sign_out(
        &self,
        state: &AppState,
        headers: &HeaderMap,
    ) -> Result<Vec<String>, ApiError> {
        let maximum = state.config.multi_session.maximum_sessions;
        let held = jar::read(headers, jar::bound(maximum));
        let mut out = Vec::new();
        for (key, token) in held.verified(&state.config.secret) {
            state.store.delete_session_by_token(&token).await?;
            out.push(state.cookies.expire(&jar::sign_out_name(key)));
        }
        Ok(out)
    }
}
