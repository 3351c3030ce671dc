//! The `magic-link` plugin as Better Auth 1.7.25 has it: a 32-letter token mailed as a link,
//! kept in `verification` as `magic-link:<token>` (or its key hash) with the value
//! `{"type":"magic-link","email","name"}`, spent by the first visit. Options: `[magic_link]`.
//!
//! Every URL a client names (`callbackURL`, `newUserCallbackURL`, `errorCallbackURL`) goes through
//! the one origin check, on the request and again on the link, so a link can only ever land on a
//! trusted origin. Neither a token nor an address is logged.

use std::collections::HashMap;

use async_trait::async_trait;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Map, Value, json};
use tessera_core::crypto::key_hash::key_hash;
use tessera_core::crypto::random::{self, Alphabet};
use tessera_core::model::Verification;
use tessera_core::timefmt::now_ms;
use time::Duration;
use url::Url;

use crate::body::{FormOrJson, Validator, is_valid_email};
use crate::delivery::Message;
use crate::error::{ApiError, codes};
use crate::flows::links::{api_url, redirect_with};
use crate::flows::passwordless::{Newcomer, Proven, user_for_proven_email};
use crate::origin;
use crate::plugins::Plugin;
use crate::rate_limit::Rule;
use crate::reply::Reply;
use crate::session;
use crate::state::AppState;
use crate::wire;

pub const ID: &str = tessera_core::plugins::MAGIC_LINK;

/// Better Auth's token: 32 letters, upper and lower case.
const TOKEN_LENGTH: usize = 32;

pub struct MagicLinkPlugin;

#[async_trait]
impl Plugin for MagicLinkPlugin {
    fn id(&self) -> &'static str {
        ID
    }

    fn router(&self) -> Router<AppState> {
        Router::new()
            .route("/sign-in/magic-link", post(sign_in))
            .route("/magic-link/verify", get(verify))
    }

    /// Better Auth's: five a minute on the request and on the link.
    fn rate_limit_rule(&self, route: &str) -> Option<Rule> {
        (route.starts_with("/sign-in/magic-link") || route.starts_with("/magic-link/verify"))
            .then_some(Rule { window: 60, max: 5 })
    }
}

fn identifier(state: &AppState, token: &str) -> String {
    if state.config.magic_link.hash_token {
        format!("magic-link:{}", key_hash(token))
    } else {
        format!("magic-link:{token}")
    }
}

/// `POST /sign-in/magic-link`: mails a link to any address (whether it may sign up is decided
/// when the link is used, so the answer never says whether the address has an account).
async fn sign_in(
    State(state): State<AppState>,
    headers: HeaderMap,
    FormOrJson(body): FormOrJson,
) -> Result<Reply, ApiError> {
    origin::check_login_csrf(&state.trusted, &headers)?;
    let mut v = Validator::new(&body);
    let email = v.string("email");
    let name = v.opt_string("name");
    let callback_url = v.opt_string("callbackURL");
    let new_user_callback_url = v.opt_string("newUserCallbackURL");
    let error_callback_url = v.opt_string("errorCallbackURL");
    if let Some(e) = &email
        && !is_valid_email(e)
    {
        v.error("email", "Invalid email address");
    }
    v.finish()?;
    let email = email.ok_or_else(ApiError::internal)?;
    let trusted = &state.trusted;
    let callback_url = origin::check_callback(
        trusted,
        callback_url.as_deref(),
        codes::invalid_callback_url,
    )?;
    let new_user_callback_url = origin::check_callback(
        trusted,
        new_user_callback_url.as_deref(),
        origin::invalid_new_user_callback_url,
    )?;
    let error_callback_url = origin::check_callback(
        trusted,
        error_callback_url.as_deref(),
        origin::invalid_error_callback_url,
    )?;
    let Some(sender) = state.sender.clone() else {
        tracing::error!("a magic link was requested but no sender is configured");
        return Err(ApiError::message_only(
            StatusCode::BAD_REQUEST,
            "send magic link is not implemented",
        ));
    };

    let token = random::generate_random_string(TOKEN_LENGTH, &[Alphabet::Lower, Alphabet::Upper]);
    let mut record = Map::new();
    record.insert("type".into(), json!("magic-link"));
    record.insert("email".into(), json!(email));
    if let Some(name) = name {
        record.insert("name".into(), json!(name));
    }
    state
        .store
        .create_verification(&Verification::expiring(
            identifier(&state, &token),
            Value::Object(record).to_string(),
            now_ms(),
            Duration::seconds(state.config.magic_link.expires_in),
        ))
        .await?;

    let mut link = format!("{}/magic-link/verify", api_url(&state));
    {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        query.append_pair("token", &token);
        query.append_pair("callbackURL", callback_url.as_deref().unwrap_or("/"));
        if let Some(url) = &new_user_callback_url {
            query.append_pair("newUserCallbackURL", url);
        }
        if let Some(url) = &error_callback_url {
            query.append_pair("errorCallbackURL", url);
        }
        link.push('?');
        link.push_str(&query.finish());
    }
    let message = Message::new("magic-link", email)
        .field("url", link)
        .field("token", token);
    sender.send(message).await.map_err(|e| {
        tracing::error!(error = %e, "magic link delivery failed");
        ApiError::internal()
    })?;
    Ok(Reply::json(json!({ "status": true })))
}

/// A record of Better Auth's exact shape, else nothing (a row of another kind or a tampered one
/// is never read as a link).
fn parse_record(value: &str) -> Option<(String, Option<String>)> {
    let Value::Object(record) = serde_json::from_str::<Value>(value).ok()? else {
        return None;
    };
    if record
        .keys()
        .any(|k| !["type", "email", "name"].contains(&k.as_str()))
        || record.get("type")? != "magic-link"
    {
        return None;
    }
    let email = record.get("email")?.as_str()?.to_owned();
    if !is_valid_email(&email) {
        return None;
    }
    let name = match record.get("name") {
        None => None,
        Some(Value::String(name)) => Some(name.clone()),
        Some(_) => return None,
    };
    Some((email, name))
}

/// `url` resolved against the API's URL, as Better Auth's `new URL(url, baseURL)` does.
fn absolute(state: &AppState, url: &str) -> String {
    Url::parse(&api_url(state))
        .and_then(|base| base.join(url))
        .map(String::from)
        .unwrap_or_else(|_| url.to_owned())
}

/// `url` with `error` set in its query (replacing one already there).
fn with_error(url: &str, error: &str) -> String {
    let Ok(mut parsed) = Url::parse(url) else {
        return url.to_owned();
    };
    let kept: Vec<(String, String)> = parsed
        .query_pairs()
        .filter(|(k, _)| k != "error")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    parsed
        .query_pairs_mut()
        .clear()
        .extend_pairs(kept)
        .append_pair("error", error);
    parsed.into()
}

/// `GET /magic-link/verify`: spends the token and signs its address in, making the user unless
/// `disableSignUp`; redirects to `newUserCallbackURL` or `callbackURL`, or answers
/// `{token, user, session}` without one. Failures redirect to `errorCallbackURL` (else the
/// callback) with `?error=`.
async fn verify(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let given = |name: &str| {
        query
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    };
    // Checked before the token is touched: a foreign URL gets 403 and the link still works.
    for name in ["callbackURL", "newUserCallbackURL", "errorCallbackURL"] {
        origin::check_callback(&state.trusted, given(name), codes::invalid_callback_url)?;
    }
    let Some(token) = query.get("token") else {
        return Err(codes::validation(
            "[query.token] Invalid input: expected string, received undefined".into(),
        ));
    };
    let callback = absolute(&state, given("callbackURL").unwrap_or("/"));
    let error_callback = given("errorCallbackURL")
        .map(|url| absolute(&state, url))
        .unwrap_or_else(|| callback.clone());
    let new_user_callback = given("newUserCallbackURL")
        .map(|url| absolute(&state, url))
        .unwrap_or_else(|| callback.clone());
    let fail = |error: &str| {
        Ok(redirect_with(
            &with_error(&error_callback, error),
            Vec::new(),
        ))
    };

    let Some(row) = state
        .store
        .consume_verification(&identifier(&state, token))
        .await?
    else {
        return fail("INVALID_TOKEN");
    };
    if row.expires_at < now_ms() {
        return fail("INVALID_TOKEN");
    }
    let Some((email, name)) = parse_record(&row.value) else {
        return fail("INVALID_TOKEN");
    };
    let no_fields = Map::new();
    let proven = user_for_proven_email(
        &state,
        &email.to_lowercase(),
        !state.config.magic_link.disable_sign_up,
        Newcomer {
            name,
            image: None,
            body: &no_fields,
        },
    )
    .await;
    let (user, new) = match proven {
        Ok(Proven::Existing(user)) => (user, false),
        Ok(Proven::New(user)) => (user, true),
        Ok(Proven::Nobody) => return fail("new_user_signup_disabled"),
        Err(e) => match e.code() {
            Some(code) if e.status != StatusCode::INTERNAL_SERVER_ERROR => {
                let code = code.to_owned();
                return fail(&code);
            }
            _ => return Err(e),
        },
    };
    let created = session::create(&state, &user, false, &headers).await?;
    tracing::info!(user_id = %user.id, method = "magic-link", new_user = new, "sign-in");
    if given("callbackURL").is_none() {
        return Ok(Reply::json(json!({
            "token": created.session.token,
            "user": wire::user(&user),
            "session": wire::session(&created.session),
        }))
        .cookies(created.cookies)
        .into_response());
    }
    let target = if new { &new_user_callback } else { &callback };
    Ok(redirect_with(target, created.cookies))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_record_of_better_auths_shape_is_a_link() {
        assert_eq!(
            parse_record(r#"{"type":"magic-link","email":"a@example.com","name":"Ada"}"#),
            Some(("a@example.com".into(), Some("Ada".into())))
        );
        assert_eq!(
            parse_record(r#"{"type":"magic-link","email":"a@example.com"}"#),
            Some(("a@example.com".into(), None))
        );
        for bad in [
            r#"{"type":"sign-in","email":"a@example.com"}"#,
            r#"{"type":"magic-link","email":"not an email"}"#,
            r#"{"type":"magic-link","email":"a@example.com","admin":true}"#,
            r#"{"type":"magic-link","email":"a@example.com","name":7}"#,
            r#"["magic-link"]"#,
            "user-id-123",
        ] {
            assert_eq!(parse_record(bad), None, "{bad}");
        }
    }

    #[test]
    fn an_error_replaces_any_error_already_in_the_query() {
        assert_eq!(
            with_error("http://h/err?x=1&error=old", "INVALID_TOKEN"),
            "http://h/err?x=1&error=INVALID_TOKEN"
        );
        assert_eq!(
            with_error("http://h/", "new_user_signup_disabled"),
            "http://h/?error=new_user_signup_disabled"
        );
    }
}
