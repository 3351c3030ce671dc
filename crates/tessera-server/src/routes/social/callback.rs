//! `GET /callback/:id` (and `POST`, which a `form_post` provider uses: answered with a 302 to the
//! GET URL carrying the same parameters), reference §3.7 point 3–5.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::Value;

use crate::body::FormOrJson;
use crate::error::ApiError;
use crate::routes::social::flow;
use crate::routes::social::resolve::{self, AccountData, Outcome};
use crate::state::AppState;

/// The callback's parameters, in Better Auth's schema order (the POST redirect keeps it).
const PARAMS: [&str; 7] = [
    "code",
    "error",
    "device_id",
    "error_description",
    "state",
    "user",
    "iss",
];

pub async fn post(
    State(app): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    FormOrJson(body): FormOrJson,
) -> Result<Response, ApiError> {
    let mut pairs: Vec<(&str, String)> = Vec::new();
    for name in PARAMS {
        let value = query.get(name).cloned().or_else(|| match body.get(name) {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Bool(b)) => Some(b.to_string()),
            _ => None,
        });
        if let Some(v) = value {
            pairs.push((name, v));
        }
    }
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    let id = tessera_core::crypto::uri::encode_uri_component(&id);
    Ok(flow::redirect(
        &format!("{}/callback/{id}?{query}", flow::api_url(&app)),
        Vec::new(),
    ))
}

pub async fn get(
    State(app): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let default_error_url = flow::default_error_url(&app);
    let param = |k: &str| query.get(k).map(String::as_str);
    let Some(oauth_state) = param("state").filter(|s| !s.is_empty()) else {
        tracing::info!(provider = %id, "OAuth callback without state");
        return Ok(flow::redirect_error(
            &default_error_url,
            "state_not_found",
            None,
        ));
    };
    let data = match flow::consume_state(&app, &headers, oauth_state).await? {
        Ok(data) => data,
        Err(refused) => {
            tracing::info!(provider = %id, code = refused.code, "OAuth state refused");
            let url = flow::stored_url(&app, refused.error_url.as_deref(), default_error_url);
            return Ok(flow::redirect_error(&url, refused.code, None));
        }
    };
    // From here on the state cookie has done its work.
    let expire_state = vec![app.cookies.expire(flow::state_cookie_name(&app))];
    let error_url = flow::stored_url(&app, data.error_url.as_deref(), default_error_url);
    let callback_url =
        flow::stored_url(&app, Some(&data.callback_url), app.config.base_url.clone());
    let fail = |code: &str, description: Option<&str>| {
        let mut r = flow::redirect_error(&error_url, code, description);
        for c in &expire_state {
            if let Ok(v) = axum::http::HeaderValue::from_str(c) {
                r.headers_mut().append(axum::http::header::SET_COOKIE, v);
            }
        }
        r
    };
    if let Some(error) = param("error").filter(|e| !e.is_empty()) {
        return Ok(fail(error, param("error_description")));
    }
    let Some(code) = param("code").filter(|c| !c.is_empty()) else {
        return Ok(fail("no_code", None));
    };
    let Some(provider) = app.social.get(&id) else {
        return Ok(fail("oauth_provider_not_found", None));
    };
    if let Some(iss) = param("iss")
        && let Some(expected) = provider.issuer().await
        && iss != expected
    {
        tracing::warn!(provider = %id, "OAuth issuer mismatch");
        return Ok(fail("issuer_mismatch", None));
    }
    if provider.requires_nonce() && data.id_token_nonce.is_none() {
        return Ok(fail("nonce_binding_missing", None));
    }
    let redirect_uri = flow::redirect_uri(&app, &id);
    let tokens = match provider
        .exchange_code(code, &data.code_verifier, &redirect_uri)
        .await
    {
        Ok(t) => t,
        Err(e) => {
            tracing::warn!(provider = %id, error = %e, "authorization code refused");
            return Ok(fail("invalid_code", None));
        }
    };
    let apple_user: Option<Value> = param("user").and_then(|u| serde_json::from_str(u).ok());
    let info = match provider
        .user_info(&tokens, data.id_token_nonce.as_deref(), apple_user.as_ref())
        .await
    {
        Ok(Some(info)) => info,
        Ok(None) | Err(_) => {
            tracing::warn!(provider = %id, "unable to get user info");
            return Ok(fail("unable_to_get_user_info", None));
        }
    };
    let account = AccountData {
        provider_id: provider.id().to_owned(),
        account_id: info.subject.clone(),
        scope: Some(tokens.scopes.join(",")),
        tokens,
    };
    if let Some(link) = &data.link {
        return Ok(match resolve::link(&app, link, &info, &account).await? {
            None => flow::redirect(&callback_url, expire_state),
            Some(code) => fail(code, None),
        });
    }
    let Some(email) = info.email.clone().filter(|e| !e.is_empty()) else {
        tracing::warn!(provider = %id, "provider did not return an email");
        return Ok(fail("email_not_found", None));
    };
    let cfg = provider.config();
    let disable_sign_up =
        (cfg.disable_implicit_sign_up && data.request_sign_up != Some(true)) || cfg.disable_sign_up;
    let outcome = resolve::sign_in(
        &app,
        &headers,
        &info,
        &email.to_lowercase(),
        &account,
        disable_sign_up,
        cfg.override_user_info_on_sign_in,
    )
    .await;
    match outcome {
        Ok(Outcome::SignedIn {
            created,
            is_register,
            user,
        }) => {
            tracing::info!(user_id = %user.id, provider = %id, is_register, "social sign-in");
            let new_user_url = data
                .new_user_url
                .as_deref()
                .and_then(|u| app.trusted.check_url(u));
            let to = match new_user_url {
                Some(url) if is_register => url,
                _ => callback_url,
            };
            let mut cookies = expire_state;
            cookies.extend(created.cookies);
            Ok(flow::redirect(&to, cookies))
        }
        Ok(Outcome::Refused(code)) => Ok(fail(code, None)),
        Err(e) => match &e.body {
            crate::error::ErrorBody::Coded { code, message } => Ok(fail(code, Some(message))),
            _ => Err(e),
        },
    }
}
