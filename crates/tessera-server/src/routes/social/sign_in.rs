//! `POST /sign-in/social` and `POST /link-social` (reference §3.7 points 1, 2, 6): the redirect
//! flow's authorization URL, or, with `idToken`, a sign-in (or link) on the spot.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use serde_json::{Map, Value, json};
use tessera_core::oauth::state::Link;

use crate::body::{Body, Validator, type_name};
use crate::error::{ApiError, codes};
use crate::origin;
use crate::reply::Reply;
use crate::routes::social::flow::{self, NewState};
use crate::routes::social::resolve::{self, AccountData, Outcome};
use crate::session;
use crate::social::{Provider, RESERVED_PARAMS, Tokens};
use crate::state::AppState;
use crate::wire;

fn provider_not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "PROVIDER_NOT_FOUND",
        "Provider not found",
    )
}

fn id_token_not_supported() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "ID_TOKEN_NOT_SUPPORTED",
        "id_token not supported",
    )
}

fn invalid_token() -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, "INVALID_TOKEN", "Invalid token")
}

fn failed_to_get_user_info() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "FAILED_TO_GET_USER_INFO",
        "Failed to get user info",
    )
}

fn user_email_not_found() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "USER_EMAIL_NOT_FOUND",
        "User email not found",
    )
}

/// The body both endpoints share.
struct Request {
    provider: String,
    callback_url: Option<String>,
    new_user_callback_url: Option<String>,
    error_callback_url: Option<String>,
    disable_redirect: bool,
    id_token: Option<Map<String, Value>>,
    scopes: Vec<String>,
    request_sign_up: Option<bool>,
    login_hint: Option<String>,
    additional_params: Map<String, Value>,
    additional_data: Map<String, Value>,
}

fn parse(body: &Map<String, Value>) -> Result<Request, ApiError> {
    let mut v = Validator::new(body);
    let provider = v.string("provider");
    let callback_url = v.opt_string("callbackURL");
    let new_user_callback_url = v.opt_string("newUserCallbackURL");
    let error_callback_url = v.opt_string("errorCallbackURL");
    let disable_redirect = v.opt_bool("disableRedirect");
    let request_sign_up = v.opt_bool("requestSignUp");
    let login_hint = v.opt_string("loginHint");
    let object = |v: &mut Validator, field: &str| match body.get(field) {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(other) => {
            v.error(
                field,
                &format!(
                    "Invalid input: expected record, received {}",
                    type_name(other)
                ),
            );
            Map::new()
        }
    };
    let additional_params = object(&mut v, "additionalParams");
    let additional_data = object(&mut v, "additionalData");
    let id_token = match body.get("idToken") {
        None | Some(Value::Null) => None,
        Some(Value::Object(m)) => {
            if !matches!(m.get("token"), Some(Value::String(_))) {
                v.error(
                    "idToken.token",
                    &format!(
                        "Invalid input: expected string, received {}",
                        m.get("token").map_or("undefined", type_name)
                    ),
                );
            }
            Some(m.clone())
        }
        Some(other) => {
            v.error(
                "idToken",
                &format!(
                    "Invalid input: expected object, received {}",
                    type_name(other)
                ),
            );
            None
        }
    };
    let scopes = match body.get("scopes") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) if items.iter().all(Value::is_string) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        Some(other) => {
            v.error(
                "scopes",
                &format!(
                    "Invalid input: expected array, received {}",
                    type_name(other)
                ),
            );
            Vec::new()
        }
    };
    if additional_params.values().any(|x| !x.is_string()) {
        v.error("additionalParams", "Invalid input: expected string");
    }
    if additional_params
        .keys()
        .any(|k| RESERVED_PARAMS.contains(&k.as_str()))
    {
        v.error(
            "additionalParams",
            &format!(
                "additionalParams cannot include reserved OAuth parameters: {}",
                RESERVED_PARAMS.join(", ")
            ),
        );
    }
    v.finish()?;
    Ok(Request {
        provider: provider.ok_or_else(ApiError::internal)?,
        callback_url,
        new_user_callback_url,
        error_callback_url,
        disable_redirect: disable_redirect == Some(true),
        id_token,
        scopes,
        request_sign_up,
        login_hint,
        additional_params,
        additional_data,
    })
}

/// The request with each URL replaced by its checked value, or the refusal naming the field.
fn check_urls(app: &AppState, r: Request) -> Result<Request, ApiError> {
    let t = &app.trusted;
    Ok(Request {
        callback_url: origin::check_callback(
            t,
            r.callback_url.as_deref(),
            codes::invalid_callback_url,
        )?,
        new_user_callback_url: origin::check_callback(
            t,
            r.new_user_callback_url.as_deref(),
            origin::invalid_new_user_callback_url,
        )?,
        error_callback_url: origin::check_callback(
            t,
            r.error_callback_url.as_deref(),
            origin::invalid_error_callback_url,
        )?,
        ..r
    })
}

/// A provider that is configured and reachable enough to be used.
async fn find_provider(app: &AppState, id: &str) -> Result<Arc<Provider>, ApiError> {
    let provider = app.social.get(id).ok_or_else(provider_not_found)?;
    if !provider.is_available().await {
        tracing::warn!(provider = %id, "provider unavailable (discovery failed)");
        return Err(provider_not_found());
    }
    Ok(provider)
}

/// The redirect flow: a state, then the provider's authorization URL.
async fn start(
    app: &AppState,
    provider: &Provider,
    r: Request,
    link: Option<Link>,
) -> Result<Reply, ApiError> {
    let nonce = provider
        .requires_nonce()
        .then(tessera_core::oauth::generate_nonce);
    let callback_url = r
        .callback_url
        .clone()
        .unwrap_or_else(|| app.config.base_url.clone());
    let (oauth_state, verifier, cookie) = flow::create_state(
        app,
        NewState {
            callback_url,
            error_url: r.error_callback_url.clone(),
            new_user_url: r.new_user_callback_url.clone(),
            link,
            request_sign_up: r.request_sign_up,
            id_token_nonce: nonce.clone(),
            additional: r.additional_data.clone(),
        },
    )
    .await?;
    let url = provider
        .authorization_url(
            &oauth_state,
            &verifier,
            nonce.as_deref(),
            &r.scopes,
            r.login_hint.as_deref(),
            &r.additional_params,
            &flow::redirect_uri(app, provider.id()),
        )
        .await
        .map_err(|e| {
            tracing::error!(provider = %provider.id(), error = %e, "authorization URL");
            ApiError::internal()
        })?;
    let mut reply =
        Reply::json(json!({"url": url, "redirect": !r.disable_redirect})).cookies([cookie]);
    if !r.disable_redirect {
        reply = reply.header(header::LOCATION, url);
    }
    Ok(reply)
}

/// A client-submitted ID token, verified: the provider's user, or Better Auth's error.
async fn from_id_token(
    provider: &Provider,
    id_token: &Map<String, Value>,
) -> Result<
    (
        crate::social::UserInfo,
        String,
        Option<String>,
        Option<String>,
    ),
    ApiError,
> {
    if !provider.supports_id_token().await {
        return Err(id_token_not_supported());
    }
    let s = |k: &str| id_token.get(k).and_then(Value::as_str).map(str::to_owned);
    let token = s("token").ok_or_else(invalid_token)?;
    let nonce = s("nonce");
    let claims = if provider.allows_opaque_id_token() && token.split('.').count() != 3 {
        Map::new()
    } else {
        let Some(claims) = provider.verify_id_token(&token, nonce.as_deref()).await else {
            tracing::info!(provider = %provider.id(), "invalid id token");
            return Err(invalid_token());
        };
        claims
    };
    let info = provider
        .user_info_from_id_token(
            claims,
            &token,
            s("accessToken").as_deref(),
            id_token.get("user"),
        )
        .await
        .ok()
        .flatten()
        .ok_or_else(failed_to_get_user_info)?;
    if info.email.as_deref().is_none_or(str::is_empty) {
        return Err(user_email_not_found());
    }
    Ok((info, token, s("accessToken"), s("refreshToken")))
}

pub async fn sign_in_social(
    State(app): State<AppState>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Reply, ApiError> {
    let r = check_urls(&app, parse(&body)?)?;
    let provider = find_provider(&app, &r.provider).await?;
    let Some(id_token) = r.id_token.clone() else {
        return start(&app, &provider, r, None).await;
    };
    let (info, token, access_token, _) = from_id_token(&provider, &id_token).await?;
    let email = info.email.clone().unwrap_or_default().to_lowercase();
    let account = AccountData {
        provider_id: provider.id().to_owned(),
        account_id: info.subject.clone(),
        tokens: Tokens {
            access_token,
            id_token: Some(token),
            ..Tokens::default()
        },
        scope: None,
    };
    let cfg = provider.config();
    let disable_sign_up =
        (cfg.disable_implicit_sign_up && r.request_sign_up != Some(true)) || cfg.disable_sign_up;
    match resolve::sign_in(
        &app,
        &headers,
        &info,
        &email,
        &account,
        disable_sign_up,
        false,
    )
    .await?
    {
        Outcome::SignedIn { user, created, .. } => {
            tracing::info!(user_id = %user.id, provider = %provider.id(), "sign-in by ID token");
            Ok(Reply::json(json!({
                "redirect": false,
                "token": created.session.token,
                "user": wire::user(&user),
            }))
            .cookies(created.cookies))
        }
        Outcome::Refused(code) => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "OAUTH_LINK_ERROR",
            code.replace('_', " "),
        )),
    }
}

pub async fn link_social(
    State(app): State<AppState>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Reply, ApiError> {
    let current = session::require(&app, &headers).await?;
    let r = check_urls(&app, parse(&body)?)?;
    let provider = find_provider(&app, &r.provider).await?;
    let Some(id_token) = r.id_token.clone() else {
        let secrets = flow::purpose_secrets(&app, "oauth-link-session-token")?;
        let encrypted = secrets
            .encrypt(&current.session.token)
            .map_err(|_| ApiError::internal())?;
        let link = Link {
            user_id: current.user.id.clone(),
            email: current.user.email.clone(),
            encrypted_session_token: Some(encrypted),
        };
        return start(&app, &provider, r, Some(link)).await;
    };
    let (info, token, access_token, refresh_token) = from_id_token(&provider, &id_token).await?;
    let linked = app
        .store
        .find_account_by_provider(provider.id(), &info.subject)
        .await?;
    let tokens = Tokens {
        access_token,
        refresh_token,
        id_token: Some(token),
        ..Tokens::default()
    };
    let account = AccountData {
        provider_id: provider.id().to_owned(),
        account_id: info.subject.clone(),
        tokens,
        scope: None,
    };
    let done = || Reply::json(json!({"url": "", "status": true, "redirect": false}));
    match linked {
        Some(existing) if existing.user_id == current.user.id => {
            let link = Link {
                user_id: current.user.id.clone(),
                email: current.user.email.clone(),
                encrypted_session_token: None,
            };
            resolve::link(&app, &link, &info, &account).await?;
            return Ok(done());
        }
        Some(_) => {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "SOCIAL_ACCOUNT_ALREADY_LINKED",
                "Social account already linked",
            ));
        }
        None => {}
    }
    let linking = &app.config.account;
    let trusted = linking.trusted_providers.iter().any(|p| p == provider.id());
    if (!trusted && !info.email_verified) || !linking.linking_enabled {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "LINKING_NOT_ALLOWED",
            "Account not linked - linking not allowed",
        ));
    }
    let same = info
        .email
        .as_deref()
        .is_some_and(|e| e.to_lowercase() == current.user.email.to_lowercase());
    if !same && !linking.allow_different_emails {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "LINKING_DIFFERENT_EMAILS_NOT_ALLOWED",
            "Account not linked - different emails not allowed",
        ));
    }
    let link = Link {
        user_id: current.user.id.clone(),
        email: current.user.email.clone(),
        encrypted_session_token: None,
    };
    match resolve::link(&app, &link, &info, &account).await? {
        None => Ok(done()),
        Some(_) => Err(ApiError::new(
            StatusCode::EXPECTATION_FAILED,
            "LINKING_FAILED",
            "Account not linked - unable to create account",
        )),
    }
}
