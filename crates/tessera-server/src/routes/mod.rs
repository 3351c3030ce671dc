//! Better Auth's core routes, by feature. Each handler checks input, asks core for the rule and the
//! store for the rows, and answers in Better Auth's shapes. Plugins' routes live in their folders
//! (`crate::plugins`) and are merged from the registry.

pub mod change_email;
pub mod delete_user;
pub mod email;
pub mod lifecycle;
pub mod meta;
pub mod sessions;
pub mod social;
pub mod user;

use axum::Router;
use axum::routing::{get, post};

use crate::plugins::Registry;
use crate::state::AppState;

/// Routes relative to the base path: the core ones, then each enabled plugin's.
pub fn router(registry: &Registry) -> Router<AppState> {
    core_router()
        .merge(lifecycle::router())
        .merge(social::router())
        .merge(registry.router())
}

fn core_router() -> Router<AppState> {
    Router::new()
        .route("/ok", get(meta::ok))
        .route("/error", get(meta::error_page))
        .route("/sign-up/email", post(email::sign_up))
        .route("/sign-in/email", post(email::sign_in))
        .route(
            "/get-session",
            get(sessions::get_session).post(sessions::get_session_post),
        )
        .route("/sign-out", post(sessions::sign_out))
        .route("/list-sessions", get(sessions::list_sessions))
        .route("/revoke-session", post(sessions::revoke_session))
        .route("/revoke-sessions", post(sessions::revoke_sessions))
        .route(
            "/revoke-other-sessions",
            post(sessions::revoke_other_sessions),
        )
        .route("/update-user", post(user::update_user))
        .route("/change-password", post(user::change_password))
        .route("/verify-password", post(user::verify_password))
}
