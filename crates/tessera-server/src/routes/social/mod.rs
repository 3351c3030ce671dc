//! Social sign-in (reference §3.7): OAuth 2.0 and OpenID Connect providers, account linking, and
//! the user's accounts and provider tokens. The provider side (endpoints, tokens, profiles) is
//! `crate::social`; these are the routes and Better Auth's rules around them.

mod accounts;
mod callback;
mod flow;
mod resolve;
mod sign_in;

use axum::Router;
use axum::routing::{get, post};

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/sign-in/social", post(sign_in::sign_in_social))
        .route("/link-social", post(sign_in::link_social))
        .route("/callback/{id}", get(callback::get).post(callback::post))
        .route("/list-accounts", get(accounts::list))
        .route("/unlink-account", post(accounts::unlink))
        .route("/get-access-token", post(accounts::get_access_token))
        .route("/refresh-token", post(accounts::refresh_token))
        .route("/account-info", get(accounts::account_info))
}
