//! The `two_factor` plugin's routes and hooks (reference §3). Registered only when the plugin is on.

use axum::Router;

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
}
