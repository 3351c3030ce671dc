//! HTTP for Tessera: Better Auth's routes under its base path, with its JSON, status codes and
//! cookies, so that the unmodified `better-auth` client cannot tell the difference.
//!
//! [`app`] builds the whole router from an [`AppState`]; tests call it in-process with
//! `tower::ServiceExt::oneshot`, the binary serves it. [`extract::AuthSession`] gives an embedding
//! axum app the caller's session and user, with the same rules as `/get-session`.

mod body;
mod cookies;
pub mod delivery;
pub mod error;
pub mod extract;
mod fields;
mod flows;
#[doc(hidden)]
pub mod fuzzing;
mod hashing;
mod ip;
pub(crate) mod json_text;
mod middleware;
mod origin;
pub mod plugins;
pub mod rate_limit;
pub mod reply;
mod routes;
mod session;
mod social;
mod state;
mod timing_floor;
mod wire;

use axum::Router;
use axum::http::StatusCode;

pub use state::AppState;

/// The whole HTTP surface: Better Auth's routes under `config.base_path`, everything else 404
/// with an empty body (as Better Auth answers unknown paths).
pub fn app(state: AppState) -> Router {
    let base_path = state.config.base_path.clone();
    let api = routes::router(&state.registry)
        .method_not_allowed_fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            origin::query_callback_guard,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::guard,
        ))
        .layer(axum::middleware::from_fn(body::refuse_declared_oversize))
        .with_state(state);
    Router::new().nest(&base_path, api).fallback(not_found)
}

async fn not_found() -> StatusCode {
    StatusCode::NOT_FOUND
}
