//! The end of every password sign-in (email, username, phone number): the plugins' gate after the
//! first factor, then a session, and Better Auth's `{redirect, token, url?, user}`.

use axum::http::{HeaderMap, header};
use serde_json::{Map, Value};
use tessera_core::model::User;

use crate::error::ApiError;
use crate::plugins::Gate;
use crate::reply::Reply;
use crate::session;
use crate::state::AppState;
use crate::wire;

/// What every password sign-in (email, username, phone number) does once the password is right:
/// the plugins' gate (two-factor), then a session, and Better Auth's `{redirect, token, url?, user}`.
pub async fn finish_sign_in(
    state: &AppState,
    user: &User,
    remember_me: Option<bool>,
    callback_url: Option<String>,
    headers: &HeaderMap,
) -> Result<Reply, ApiError> {
    let dont_remember = remember_me == Some(false);
    let extra_cookies = match state
        .registry
        .after_first_factor(state, user, dont_remember, headers)
        .await?
    {
        Gate::Challenge(reply) => return Ok(reply),
        Gate::Proceed(cookies) => cookies,
    };
    let created = session::create(state, user, dont_remember, headers).await?;
    let mut out = Map::new();
    out.insert("redirect".into(), Value::Bool(callback_url.is_some()));
    out.insert("token".into(), Value::String(created.session.token.clone()));
    if let Some(url) = &callback_url {
        out.insert("url".into(), Value::String(url.clone()));
    }
    out.insert("user".into(), wire::user(user, state.plugins()));
    let mut reply = Reply::json(Value::Object(out))
        .cookies(created.cookies)
        .cookies(extra_cookies);
    if let Some(url) = callback_url {
        reply = reply.header(header::LOCATION, url);
    }
    Ok(reply)
}
