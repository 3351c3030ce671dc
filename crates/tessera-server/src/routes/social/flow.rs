//! What every OAuth flow shares: the state (a verification row plus its signed cookie), the
//! callback URL, Better Auth's redirects to the error page, and the purpose keys of its OAuth
//! ciphertexts.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tessera_core::crypto::signed;
use tessera_core::crypto::symmetric::Secrets;
use tessera_core::model::Verification;
use tessera_core::oauth::state::{self, StateData};
use tessera_core::oauth::{self, purpose_key};
use tessera_core::timefmt::{now_ms, to_epoch_ms};
use time::Duration;

use crate::cookies;
use crate::error::ApiError;
use crate::state::AppState;

/// `${baseURL}${basePath}`.
pub fn api_url(state: &AppState) -> String {
    format!("{}{}", state.config.base_url, state.config.base_path)
}

/// `redirect_uri` of a provider: `${baseURL}${basePath}/callback/<id>`.
pub fn redirect_uri(state: &AppState, provider_id: &str) -> String {
    format!("{}/callback/{provider_id}", api_url(state))
}

/// Better Auth's error page, where failures land without an `errorCallbackURL`.
pub fn default_error_url(state: &AppState) -> String {
    format!("{}/error", api_url(state))
}

/// A URL read back from the OAuth state (a row or a sealed cookie): it was checked when the flow
/// started, and is checked again before it reaches a `Location`, falling back when it fails.
pub fn stored_url(app: &AppState, url: Option<&str>, fallback: String) -> String {
    url.and_then(|u| app.trusted.check_url(u))
        .unwrap_or(fallback)
}

/// A 302 as Better Auth's redirect endpoints send it (JSON content type, empty body).
pub fn redirect(location: &str, cookies: Vec<String>) -> Response {
    let mut response = StatusCode::FOUND.into_response();
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(location) {
        headers.insert(header::LOCATION, v);
    }
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    for c in cookies {
        if let Ok(v) = HeaderValue::from_str(&c) {
            headers.append(header::SET_COOKIE, v);
        }
    }
    response
}

/// `appendQueryParams`: the pairs form-encoded after the URL's query (before a fragment), for
/// absolute and root-relative URLs alike.
pub fn append_query(url: &str, pairs: &[(&str, &str)]) -> String {
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    if query.is_empty() {
        return url.to_owned();
    }
    let (before_fragment, fragment) = match url.split_once('#') {
        Some((b, f)) => (b, Some(f)),
        None => (url, None),
    };
    let joined = match before_fragment.split_once('?') {
        Some((_, "")) => format!("{before_fragment}{query}"),
        Some((_, q)) if q.ends_with('&') => format!("{before_fragment}{query}"),
        Some(_) => format!("{before_fragment}&{query}"),
        None => format!("{before_fragment}?{query}"),
    };
    match fragment {
        Some(f) => format!("{joined}#{f}"),
        None => joined,
    }
}

/// A redirect to `error_url` with `?error=<code>[&error_description=…]`.
pub fn redirect_error(error_url: &str, code: &str, description: Option<&str>) -> Response {
    let mut pairs = vec![("error", code)];
    if let Some(d) = description {
        pairs.push(("error_description", d));
    }
    redirect(&append_query(error_url, &pairs), Vec::new())
}

/// Keys derived for one OAuth purpose, keeping rotation versions (`derivePurposeKey`).
pub fn purpose_secrets(state: &AppState, purpose: &str) -> Result<Secrets, ApiError> {
    let c = &state.config;
    if c.secrets.is_empty() {
        return Ok(Secrets::single(purpose_key(&c.secret, purpose)));
    }
    let keys = c
        .secrets
        .iter()
        .map(|(v, s)| (u64::from(*v), purpose_key(s, purpose)))
        .collect();
    let legacy = c.legacy_secret.as_deref().map(|s| purpose_key(s, purpose));
    Secrets::versioned(keys, legacy).map_err(|_| ApiError::internal())
}

/// `derivePurposeKey` purpose of the state cookie (`storeStateStrategy: "cookie"`), and its
/// lifetime in seconds.
const STATE_COOKIE_PURPOSE: &str = "oauth-state-cookie";
const STATE_IN_COOKIE_MAX_AGE: i64 = 600;

/// The cookie a flow's state rides in, expired once the callback has read it.
pub fn state_cookie_name(app: &AppState) -> &str {
    if app.config.account.store_state_in_cookie {
        &app.cookies.oauth_state
    } else {
        &app.cookies.state
    }
}

/// What a new flow carries besides the callback URLs.
pub struct NewState {
    pub callback_url: String,
    pub error_url: Option<String>,
    pub new_user_url: Option<String>,
    pub link: Option<state::Link>,
    pub request_sign_up: Option<bool>,
    pub id_token_nonce: Option<String>,
    pub additional: serde_json::Map<String, serde_json::Value>,
}

/// Writes the state row (`auth-state:<state>`, 10 minutes) and returns the state, the PKCE
/// verifier and the signed `state` cookie (5 minutes).
pub async fn create_state(
    app: &AppState,
    new: NewState,
) -> Result<(String, String, String), ApiError> {
    let oauth_state = oauth::generate_state();
    let code_verifier = oauth::generate_code_verifier();
    let now = now_ms();
    let expires_at = now + Duration::seconds(state::STATE_TTL_SECS);
    let data = StateData {
        additional: new.additional,
        callback_url: new.callback_url,
        code_verifier: code_verifier.clone(),
        error_url: new.error_url,
        new_user_url: new.new_user_url,
        link: new.link,
        expires_at: to_epoch_ms(expires_at),
        request_sign_up: new.request_sign_up,
        id_token_nonce: new.id_token_nonce,
        oauth_state: Some(oauth_state.clone()),
    };
    if app.config.account.store_state_in_cookie {
        let sealed = purpose_secrets(app, STATE_COOKIE_PURPOSE)?
            .encrypt(&data.to_json())
            .map_err(|_| ApiError::internal())?;
        let cookie = app.cookies.set(
            &app.cookies.oauth_state,
            &sealed,
            Some(STATE_IN_COOKIE_MAX_AGE),
        );
        return Ok((oauth_state, code_verifier, cookie));
    }
    app.store
        .create_verification(&Verification::expiring(
            state::identifier(&oauth_state),
            data.to_json(),
            now,
            expires_at - now,
        ))
        .await?;
    let cookie = app.cookies.set(
        &app.cookies.state,
        &signed::sign_and_encode(&app.config.secret, &oauth_state),
        Some(state::STATE_COOKIE_MAX_AGE),
    );
    Ok((oauth_state, code_verifier, cookie))
}

/// Why a callback's state was refused, with the error URL to send the browser to.
pub struct StateRefused {
    pub code: &'static str,
    pub error_url: Option<String>,
}

/// `parseGenericState` with the database strategy: the row is consumed (a state works once),
/// the signed cookie must name the same state, and the flow must not have expired.
pub async fn consume_state(
    app: &AppState,
    headers: &HeaderMap,
    oauth_state: &str,
) -> Result<Result<StateData, StateRefused>, ApiError> {
    let refused = |code, error_url| Ok(Err(StateRefused { code, error_url }));
    if app.config.account.store_state_in_cookie {
        let Some(sealed) = cookies::read(headers, &app.cookies.oauth_state) else {
            return refused("state_mismatch", None);
        };
        let Some(data) = purpose_secrets(app, STATE_COOKIE_PURPOSE)?
            .decrypt(sealed)
            .ok()
            .and_then(|json| StateData::parse(&json))
        else {
            return refused("state_invalid", None);
        };
        if data.oauth_state.as_deref() != Some(oauth_state) {
            return refused("state_mismatch", data.error_url);
        }
        if data.expires_at < to_epoch_ms(now_ms()) {
            return refused("state_mismatch", data.error_url);
        }
        return Ok(Ok(data));
    }
    let Some(row) = app
        .store
        .consume_verification(&state::identifier(oauth_state))
        .await?
    else {
        return refused("state_mismatch", None);
    };
    let Some(data) = StateData::parse(&row.value) else {
        tracing::error!("OAuth state row does not parse");
        return refused("internal_server_error", None);
    };
    if data
        .oauth_state
        .as_deref()
        .is_some_and(|s| s != oauth_state)
    {
        return refused("state_mismatch", data.error_url);
    }
    if !app.config.account.skip_state_cookie_check {
        let cookie = cookies::read(headers, &app.cookies.state)
            .and_then(|raw| signed::verify(&app.config.secret, raw));
        if cookie.as_deref() != Some(oauth_state) {
            return refused("state_mismatch", data.error_url);
        }
    }
    if data.expires_at < to_epoch_ms(now_ms()) || row.expires_at < now_ms() {
        return refused("state_mismatch", data.error_url);
    }
    Ok(Ok(data))
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
mod tests {
    use super::*;

    #[test]
    fn query_params_are_appended_as_better_auth_does() {
        assert_eq!(
            append_query(
                "http://localhost:3000/api/auth/error",
                &[("error", "state_mismatch")]
            ),
            "http://localhost:3000/api/auth/error?error=state_mismatch"
        );
        assert_eq!(
            append_query(
                "/oops?from=x#top",
                &[("error", "a b"), ("error_description", "c&d")]
            ),
            "/oops?from=x&error=a+b&error_description=c%26d#top"
        );
        assert_eq!(append_query("/x?", &[("error", "e")]), "/x?error=e");
    }
}
