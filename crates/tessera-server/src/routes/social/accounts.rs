//! The user's accounts (reference §3.1, §3.7 point 7): `list-accounts`, `unlink-account`, and the
//! provider tokens behind them: `get-access-token`, `refresh-token`, `account-info`.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Map, Value, json};
use tessera_core::model::Account;
use tessera_core::oauth::{stored_scopes, tokens};
use tessera_core::timefmt::{now_ms, to_iso_ms};
use time::Duration;

use crate::body::{Body, Validator};
use crate::error::ApiError;
use crate::reply::Reply;
use crate::session;
use crate::social::Provider;
use crate::state::AppState;

fn account_not_found() -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "ACCOUNT_NOT_FOUND",
        "Account not found",
    )
}

fn bad_request(code: &'static str, message: String) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, code, message)
}

/// An access token this close to expiry is refreshed first (`getValidAccessToken`).
const REFRESH_MARGIN_MS: i64 = 5_000;

pub async fn list(State(app): State<AppState>, headers: HeaderMap) -> Result<Reply, ApiError> {
    let current = session::require(&app, &headers).await?;
    let accounts = app.store.list_accounts(&current.user.id).await?;
    let out: Vec<Value> = accounts
        .iter()
        .map(|a| {
            json!({
                "accountId": a.account_id,
                "providerId": a.provider_id,
                "userId": a.user_id,
                "createdAt": to_iso_ms(a.created_at),
                "updatedAt": to_iso_ms(a.updated_at),
                "id": a.id,
                "scopes": stored_scopes(a.scope.as_deref()),
            })
        })
        .collect();
    Ok(Reply::json(Value::Array(out)))
}

pub async fn unlink(
    State(app): State<AppState>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Reply, ApiError> {
    let current = session::require(&app, &headers).await?;
    session::require_fresh(&app, &current)?;
    let mut v = Validator::new(&body);
    let account_id = v.string("accountId");
    v.finish()?;
    let account_id = account_id.ok_or_else(ApiError::internal)?;
    let accounts = app.store.list_accounts(&current.user.id).await?;
    if accounts.len() == 1 && !app.config.account.allow_unlinking_all {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "FAILED_TO_UNLINK_LAST_ACCOUNT",
            "You can't unlink your last account",
        ));
    }
    let account = accounts
        .iter()
        .find(|a| a.id == account_id)
        .ok_or_else(account_not_found)?;
    app.store.delete_account(&account.id).await?;
    tracing::info!(user_id = %current.user.id, provider = %account.provider_id, "account unlinked");
    Ok(Reply::json(json!({"status": true})))
}

/// `{accountId, userId?}`, strictly: other keys are refused, as zod's strict object does.
fn selection(v: &mut Validator<'_>, source: &Map<String, Value>) -> Option<String> {
    let account_id = v.string("accountId");
    let _ = v.opt_string("userId");
    for key in source.keys() {
        if key != "accountId" && key != "userId" {
            v.error(key, "Unrecognized key");
        }
    }
    account_id
}

/// The caller's account with this row id; the session's user always wins over a `userId`.
async fn resolve(
    app: &AppState,
    headers: &HeaderMap,
    account_id: &str,
) -> Result<Account, ApiError> {
    let current = session::require(app, headers).await?;
    app.store
        .list_accounts(&current.user.id)
        .await?
        .into_iter()
        .find(|a| a.id == account_id)
        .ok_or_else(account_not_found)
}

fn provider_of(app: &AppState, account: &Account) -> Result<std::sync::Arc<Provider>, ApiError> {
    app.social.get(&account.provider_id).ok_or_else(|| {
        bad_request(
            "PROVIDER_NOT_SUPPORTED",
            format!("Provider {} is not supported.", account.provider_id),
        )
    })
}

fn open(app: &AppState, stored: &str) -> Result<String, ()> {
    tokens::open(
        &app.secrets,
        app.config.account.encrypt_oauth_tokens,
        stored,
    )
    .map_err(|_| ())
}

fn seal(app: &AppState, token: Option<&str>) -> Result<Option<String>, ()> {
    tokens::seal(&app.secrets, app.config.account.encrypt_oauth_tokens, token).map_err(|_| ())
}

/// A currently valid access token, refreshed and stored first when it is (nearly) expired.
async fn valid_access_token(
    app: &AppState,
    provider: &Provider,
    account: &Account,
) -> Result<Map<String, Value>, ()> {
    let expired = account
        .access_token_expires_at
        .is_some_and(|at| at - now_ms() < Duration::milliseconds(REFRESH_MARGIN_MS));
    let mut out = Map::new();
    let (access, expires_at, id_token) = match (&account.refresh_token, expired) {
        (Some(stored_refresh), true) => {
            let refresh = open(app, stored_refresh)?;
            let fresh = provider.refresh(&refresh).await.map_err(|e| {
                tracing::warn!(provider = %provider.id(), error = %e, "token refresh failed");
            })?;
            let mut updated = account.clone();
            updated.access_token = seal(app, fresh.access_token.as_deref())?;
            updated.access_token_expires_at = fresh.access_token_expires_at;
            if fresh.refresh_token.is_some() {
                updated.refresh_token = seal(app, fresh.refresh_token.as_deref())?;
            }
            if fresh.refresh_token_expires_at.is_some() {
                updated.refresh_token_expires_at = fresh.refresh_token_expires_at;
            }
            if fresh.id_token.is_some() {
                updated.id_token.clone_from(&fresh.id_token);
            }
            updated.updated_at = now_ms();
            app.store
                .update_account_tokens(&updated)
                .await
                .map_err(|_| ())?;
            (
                fresh.access_token.unwrap_or_default(),
                fresh
                    .access_token_expires_at
                    .or(account.access_token_expires_at),
                fresh.id_token.or_else(|| account.id_token.clone()),
            )
        }
        _ => (
            open(app, account.access_token.as_deref().unwrap_or_default())?,
            account.access_token_expires_at,
            account.id_token.clone(),
        ),
    };
    out.insert("accessToken".into(), access.into());
    if let Some(at) = expires_at {
        out.insert("accessTokenExpiresAt".into(), to_iso_ms(at).into());
    }
    out.insert(
        "scopes".into(),
        json!(stored_scopes(account.scope.as_deref())),
    );
    if let Some(t) = id_token {
        out.insert("idToken".into(), t.into());
    }
    Ok(out)
}

fn failed_to_get_access_token() -> ApiError {
    bad_request(
        "FAILED_TO_GET_ACCESS_TOKEN",
        "Failed to get a valid access token".into(),
    )
}

pub async fn get_access_token(
    State(app): State<AppState>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Reply, ApiError> {
    let mut v = Validator::new(&body);
    let account_id = selection(&mut v, &body);
    v.finish()?;
    let account = resolve(&app, &headers, &account_id.unwrap_or_default()).await?;
    let provider = provider_of(&app, &account)?;
    let tokens = valid_access_token(&app, &provider, &account)
        .await
        .map_err(|()| failed_to_get_access_token())?;
    Ok(Reply::json(Value::Object(tokens)))
}

pub async fn refresh_token(
    State(app): State<AppState>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Reply, ApiError> {
    let mut v = Validator::new(&body);
    let account_id = selection(&mut v, &body);
    v.finish()?;
    let account = resolve(&app, &headers, &account_id.unwrap_or_default()).await?;
    let provider = provider_of(&app, &account)?;
    let Some(stored_refresh) = account.refresh_token.clone() else {
        return Err(bad_request(
            "REFRESH_TOKEN_NOT_FOUND",
            "Refresh token not found".into(),
        ));
    };
    let failed = || {
        bad_request(
            "FAILED_TO_REFRESH_ACCESS_TOKEN",
            "Failed to refresh access token".into(),
        )
    };
    let refresh = open(&app, &stored_refresh).map_err(|()| failed())?;
    let fresh = provider.refresh(&refresh).await.map_err(|e| {
        tracing::warn!(provider = %provider.id(), error = %e, "token refresh failed");
        failed()
    })?;
    let mut updated = account.clone();
    updated.access_token = seal(&app, fresh.access_token.as_deref()).map_err(|()| failed())?;
    if fresh.refresh_token.is_some() {
        updated.refresh_token =
            seal(&app, fresh.refresh_token.as_deref()).map_err(|()| failed())?;
    }
    updated.access_token_expires_at = fresh.access_token_expires_at;
    if fresh.refresh_token_expires_at.is_some() {
        updated.refresh_token_expires_at = fresh.refresh_token_expires_at;
    }
    if fresh.id_token.is_some() {
        updated.id_token.clone_from(&fresh.id_token);
    }
    updated.updated_at = now_ms();
    app.store.update_account_tokens(&updated).await?;
    let mut out = Map::new();
    if let Some(t) = &fresh.access_token {
        out.insert("accessToken".into(), t.clone().into());
    }
    out.insert(
        "refreshToken".into(),
        fresh.refresh_token.clone().unwrap_or(refresh).into(),
    );
    if let Some(at) = fresh.access_token_expires_at {
        out.insert("accessTokenExpiresAt".into(), to_iso_ms(at).into());
    }
    if let Some(at) = updated.refresh_token_expires_at {
        out.insert("refreshTokenExpiresAt".into(), to_iso_ms(at).into());
    }
    if let Some(scope) = &updated.scope {
        out.insert("scope".into(), scope.clone().into());
    }
    if let Some(t) = &updated.id_token {
        out.insert("idToken".into(), t.clone().into());
    }
    out.insert("providerId".into(), account.provider_id.clone().into());
    out.insert("accountId".into(), account.id.clone().into());
    tracing::info!(provider = %account.provider_id, "access token refreshed");
    Ok(Reply::json(Value::Object(out)))
}

pub async fn account_info(
    State(app): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Reply, ApiError> {
    let source: Map<String, Value> = query
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    let mut v = Validator::new(&source);
    let account_id = selection(&mut v, &source);
    v.finish()?;
    let account = resolve(&app, &headers, &account_id.unwrap_or_default()).await?;
    let provider = app.social.get(&account.provider_id).ok_or_else(|| {
        bad_request(
            "PROVIDER_NOT_CONFIGURED",
            "Account is not associated with a configured social provider.".into(),
        )
    })?;
    let tokens = valid_access_token(&app, &provider, &account)
        .await
        .map_err(|()| failed_to_get_access_token())?;
    let access = tokens
        .get("accessToken")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| bad_request("ACCESS_TOKEN_NOT_FOUND", "Access token not found".into()))?;
    let provider_tokens = crate::social::Tokens {
        access_token: Some(access.to_owned()),
        id_token: tokens
            .get("idToken")
            .and_then(Value::as_str)
            .map(str::to_owned),
        ..crate::social::Tokens::default()
    };
    let info = provider
        .user_info(&provider_tokens, None, None)
        .await
        .ok()
        .flatten()
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "FAILED_TO_GET_USER_INFO",
                "Failed to get user info",
            )
        })?;
    Ok(Reply::json(json!({
        "user": {
            "name": info.name,
            "email": info.email,
            "image": info.image,
            "emailVerified": info.email_verified,
        },
        "data": info.data,
        "account": {
            "id": account.id,
            "providerId": account.provider_id,
            "accountId": account.account_id,
        },
    })))
}
