//! The `username` plugin's routes and hooks (reference §3.4). Registered only when the plugin is on.

use axum::Router;
use serde_json::{Map, Value};
use tessera_core::model::{User, UserPatch};

use crate::error::ApiError;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
}

/// Sign-up hook: validates and normalises `username` / `displayUsername` from the body onto the
/// new user, refusing a taken username.
pub async fn on_sign_up(
    _state: &AppState,
    _body: &Map<String, Value>,
    _user: &mut User,
) -> Result<(), ApiError> {
    Ok(())
}

/// update-user hook: the same rules for a change of username; returns whether it set anything.
pub async fn on_update_user(
    _state: &AppState,
    _body: &Map<String, Value>,
    _current: &User,
    _patch: &mut UserPatch,
) -> Result<bool, ApiError> {
    Ok(false)
}
