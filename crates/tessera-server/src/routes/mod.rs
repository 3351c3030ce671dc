//! Better Auth's routes, by feature. Each handler checks input, asks core for the rule and the
//! store for the rows, and answers in Better Auth's shapes.

pub mod admin;
pub mod change_email;
pub mod delete_user;
pub mod email;
pub mod lifecycle;
pub mod meta;
pub mod phone_number;
pub mod sessions;
pub mod social;
pub mod two_factor;
pub mod user;
pub mod username;

use axum::Router;
use axum::routing::{get, post};

use tessera_core::plugins::Plugins;

use crate::state::AppState;

/// Routes relative to the base path: the core ones, then each enabled plugin's.
pub fn router(plugins: Plugins) -> Router<AppState> {
    let mut router = core_router()
        .merge(lifecycle::router())
        .merge(social::router());
    if plugins.admin {
        router = router.merge(admin::router());
    }
    if plugins.two_factor {
        router = router.merge(two_factor::router());
    }
    if plugins.username {
        router = router.merge(username::router());
    }
    if plugins.phone_number {
        router = router.merge(phone_number::router());
    }
    router
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
