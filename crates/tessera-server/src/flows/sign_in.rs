//! The end of every password sign-in (email, username, phone number): the plugins' gate after the
//! first factor, then a session.

use axum::http::{HeaderMap, header};
use serde_json::{Map, Value};
use tessera_core::model::User;

use crate::error::ApiError;
use crate::plugins::Gate;
use crate::reply::Reply;
use crate::session::{self, Created};
use crate::state::AppState;
use crate::wire;

/// A right first factor leads to one of these.
// Built once per sign-in and consumed at once; boxing would only add an allocation.
#[allow(clippy::large_enum_variant)]
pub enum Opened {
    /// A plugin answers instead of a session (e.g. a two-factor challenge).
    Challenge(Reply),
    /// A new session, its cookies first and then the plugins' (a rotated trust-device cookie).
    Session {
        created: Created,
        cookies: Vec<String>,
    },
}

/// The plugins' gate after the first factor, then a session unless a plugin answered instead.
pub async fn open_session(
    state: &AppState,
    user: &User,
    dont_remember: bool,
    headers: &HeaderMap,
) -> Result<Opened, ApiError> {
    let extra_cookies = match state
        .registry
        .after_first_factor(state, user, dont_remember, headers)
        .await?
    {
        Gate::Challenge(reply) => return Ok(Opened::Challenge(reply)),
        Gate::Proceed(cookies) => cookies,
    };
    let mut created = session::create(state, user, dont_remember, headers).await?;
    let mut cookies = std::mem::take(&mut created.cookies);
    cookies.extend(extra_cookies);
    Ok(Opened::Session { created, cookies })
}

/// What every password sign-in by email or username does once the password is right: the
/// plugins' gate, then a session, and Better Auth's `{redirect, token, url?, user}`.
pub async fn finish_sign_in(
    state: &AppState,
    user: &User,
    remember_me: Option<bool>,
    callback_url: Option<String>,
    headers: &HeaderMap,
) -> Result<Reply, ApiError> {
    let dont_remember = remember_me == Some(false);
    let (created, cookies) = match open_session(state, user, dont_remember, headers).await? {
        Opened::Challenge(reply) => return Ok(reply),
        Opened::Session { created, cookies } => (created, cookies),
    };
    let mut out = Map::new();
    out.insert("redirect".into(), Value::Bool(callback_url.is_some()));
    out.insert("token".into(), Value::String(created.session.token.clone()));
    if let Some(url) = &callback_url {
        out.insert("url".into(), Value::String(url.clone()));
    }
    out.insert("user".into(), wire::user(user));
    let mut reply = Reply::json(Value::Object(out)).cookies(cookies);
    if let Some(url) = callback_url {
        reply = reply.header(header::LOCATION, url);
    }
    Ok(reply)
}
