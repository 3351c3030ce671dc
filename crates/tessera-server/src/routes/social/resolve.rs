//! From a provider's user to a local one (Better Auth's `handleOAuthUserInfo` and
//! `linkOAuthAccount`): the account by (providerId, accountId), else implicit linking by email
//! under Better Auth's rules, else sign-up; or, for link-social, the account added to the user
//! who started the flow.

use axum::http::HeaderMap;
use tessera_core::crypto::random;
use tessera_core::model::{Account, User, UserPatch};
use tessera_core::oauth::state::Link;
use tessera_core::oauth::{merge_scopes, tokens};
use tessera_core::timefmt::now_ms;
use time::OffsetDateTime;

use crate::error::ApiError;
use crate::flows::users::{self, NewUser};
use crate::plugins::SignUpRoute;
use crate::routes::social::flow;
use crate::session::{self, Created};
use crate::social::{Tokens, UserInfo};
use crate::state::AppState;

/// The account row a flow writes, before tokens are sealed.
pub struct AccountData {
    pub provider_id: String,
    pub account_id: String,
    pub tokens: Tokens,
    /// Comma-joined granted scopes.
    pub scope: Option<String>,
}

// Built once per callback and consumed at once; boxing would only add an allocation.
#[allow(clippy::large_enum_variant)]
pub enum Outcome {
    SignedIn {
        user: Box<User>,
        created: Created,
        is_register: bool,
    },
    /// Better Auth's error string, spaces already turned into underscores.
    Refused(&'static str),
}

fn seal(app: &AppState, token: Option<&str>) -> Result<Option<String>, ApiError> {
    tokens::seal(&app.secrets, app.config.account.encrypt_oauth_tokens, token).map_err(|e| {
        tracing::error!(error = %e, "token encryption failed");
        ApiError::internal()
    })
}

fn new_account(app: &AppState, user_id: &str, data: &AccountData) -> Result<Account, ApiError> {
    let now = now_ms();
    Ok(Account {
        id: random::generate_id(32),
        account_id: data.account_id.clone(),
        provider_id: data.provider_id.clone(),
        user_id: user_id.to_owned(),
        access_token: seal(app, data.tokens.access_token.as_deref())?,
        refresh_token: seal(app, data.tokens.refresh_token.as_deref())?,
        id_token: data.tokens.id_token.clone(),
        access_token_expires_at: data.tokens.access_token_expires_at,
        refresh_token_expires_at: data.tokens.refresh_token_expires_at,
        scope: data.scope.clone().filter(|s| !s.is_empty()),
        password: None,
        created_at: now,
        updated_at: now,
    })
}

/// Overwrites what the provider sent this time; what it left out stays (Better Auth filters
/// undefined values out of the update).
fn refresh_tokens(app: &AppState, existing: &Account, t: &Tokens) -> Result<Account, ApiError> {
    let mut a = existing.clone();
    if t.id_token.is_some() {
        a.id_token.clone_from(&t.id_token);
    }
    if let Some(v) = seal(app, t.access_token.as_deref())? {
        a.access_token = Some(v);
    }
    if let Some(v) = seal(app, t.refresh_token.as_deref())? {
        a.refresh_token = Some(v);
    }
    if t.access_token_expires_at.is_some() {
        a.access_token_expires_at = t.access_token_expires_at;
    }
    if t.refresh_token_expires_at.is_some() {
        a.refresh_token_expires_at = t.refresh_token_expires_at;
    }
    a.updated_at = now_ms();
    Ok(a)
}

async fn mark_email_verified(
    app: &AppState,
    user: &mut User,
    info: &UserInfo,
    email: &str,
) -> Result<(), ApiError> {
    if info.email_verified && !user.email_verified && email == user.email {
        let patch = UserPatch {
            email_verified: Some(true),
            ..UserPatch::default()
        };
        if let Some(updated) = app.store.update_user(&user.id, &patch, now_ms()).await? {
            *user = updated;
        }
    }
    Ok(())
}

/// `overrideUserInfoOnSignIn`: a returning user takes the provider's name, image and email.
async fn override_user_info(app: &AppState, user: &mut User, info: &UserInfo, email: &str) {
    let patch = UserPatch {
        name: Some(info.name.clone()),
        image: info.image.clone().map(Some),
        email: Some(email.to_owned()),
        email_verified: Some(if email == user.email {
            user.email_verified || info.email_verified
        } else {
            info.email_verified
        }),
        ..UserPatch::default()
    };
    match app.store.update_user(&user.id, &patch, now_ms()).await {
        Ok(Some(updated)) => *user = updated,
        // Better Auth keeps the user it has when the update fails (an email taken, …).
        Ok(None) | Err(_) => {
            tracing::warn!(user_id = %user.id, "could not update user info during OAuth sign-in");
        }
    }
}

/// Sign-in, implicit link or sign-up, then a session. `email` is the provider's, lowercased.
#[allow(clippy::too_many_arguments)]
pub async fn sign_in(
    app: &AppState,
    headers: &HeaderMap,
    info: &UserInfo,
    email: &str,
    account: &AccountData,
    disable_sign_up: bool,
    override_user: bool,
) -> Result<Outcome, ApiError> {
    let linking = &app.config.account;
    let owned = app
        .store
        .find_account_by_provider(&account.provider_id, &account.account_id)
        .await?;
    let (user, is_register) = if let Some(existing) = owned {
        let Some(mut user) = app.store.find_user_by_id(&existing.user_id).await? else {
            tracing::error!(account = %existing.id, "OAuth account references a missing user");
            return Ok(Outcome::Refused("unable_to_link_account"));
        };
        if linking.update_account_on_sign_in {
            let updated = refresh_tokens(app, &existing, &account.tokens)?;
            if !app.store.update_account_tokens(&updated).await? {
                return Ok(Outcome::Refused("unable_to_update_account"));
            }
        }
        mark_email_verified(app, &mut user, info, email).await?;
        if override_user {
            override_user_info(app, &mut user, info, email).await;
        }
        (user, false)
    } else if let Some(mut user) = app.store.find_user_by_email(email).await? {
        let trusted = linking.trusted_providers.contains(&account.provider_id);
        if (!trusted && !info.email_verified)
            || (linking.require_local_email_verified && !user.email_verified)
            || !linking.linking_enabled
            || linking.disable_implicit_linking
        {
            tracing::info!(provider = %account.provider_id, "implicit link refused");
            return Ok(Outcome::Refused("account_not_linked"));
        }
        let row = new_account(app, &user.id, account)?;
        if let Err(e) = app.store.create_account(&row).await {
            tracing::error!(error = %e, "unable to link account");
            return Ok(Outcome::Refused("unable_to_link_account"));
        }
        tracing::info!(user_id = %user.id, provider = %account.provider_id, "account linked by verified email");
        mark_email_verified(app, &mut user, info, email).await?;
        if override_user {
            override_user_info(app, &mut user, info, email).await;
        }
        (user, false)
    } else {
        if disable_sign_up {
            return Ok(Outcome::Refused("signup_disabled"));
        }
        let mut user = users::draft(app, info.name.clone(), email.to_owned(), info.image.clone());
        user.email_verified = info.email_verified;
        let row = new_account(app, &user.id, account)?;
        let new = NewUser {
            route: SignUpRoute::Social,
            body: &serde_json::Map::new(),
            password: None,
            accounts: vec![row],
            email_taken: crate::error::codes::user_already_exists_use_another_email,
        };
        if let Err(e) = users::create(app, &mut user, new).await {
            tracing::error!(error = ?e.code(), "unable to create OAuth user");
            return Ok(Outcome::Refused("unable_to_create_user"));
        }
        tracing::info!(user_id = %user.id, provider = %account.provider_id, "sign-up by social provider");
        (user, true)
    };
    let created = session::create(app, &user, false, headers).await?;
    Ok(Outcome::SignedIn {
        user: Box::new(user),
        created,
        is_register,
    })
}

/// `isLinkSessionLive`: the session that started a link must still be the linking user's.
async fn link_session_live(app: &AppState, link: &Link) -> Result<bool, ApiError> {
    let Some(encrypted) = &link.encrypted_session_token else {
        return Ok(true);
    };
    let secrets = flow::purpose_secrets(app, "oauth-link-session-token")?;
    let Ok(token) = secrets.decrypt(encrypted) else {
        return Ok(false);
    };
    let Some((session, _)) = app.store.find_session_and_user(&token).await? else {
        return Ok(false);
    };
    Ok(session.user_id == link.user_id && session.expires_at > OffsetDateTime::now_utc())
}

/// `linkOAuthAccount`: `Ok(None)` when linked, else the error code to redirect with.
pub async fn link(
    app: &AppState,
    link: &Link,
    info: &UserInfo,
    account: &AccountData,
) -> Result<Option<&'static str>, ApiError> {
    let linking = &app.config.account;
    if !link_session_live(app, link).await? {
        return Ok(Some("unable_to_link_account"));
    }
    let trusted = linking.trusted_providers.contains(&account.provider_id);
    if (!trusted && !info.email_verified) || !linking.linking_enabled {
        return Ok(Some("unable_to_link_account"));
    }
    let same_email = info
        .email
        .as_deref()
        .is_some_and(|e| e.to_lowercase() == link.email.to_lowercase());
    if !same_email && !linking.allow_different_emails {
        return Ok(Some("email_does_not_match"));
    }
    match app
        .store
        .find_account_by_provider(&account.provider_id, &account.account_id)
        .await?
    {
        Some(existing) if existing.user_id != link.user_id => {
            Ok(Some("account_already_linked_to_different_user"))
        }
        Some(existing) => {
            let mut updated = refresh_tokens(app, &existing, &account.tokens)?;
            let merged = merge_scopes(existing.scope.as_deref(), &account.tokens.scopes);
            if !merged.is_empty() {
                updated.scope = Some(merged);
            }
            app.store.update_account_tokens(&updated).await?;
            Ok(None)
        }
        None => {
            let row = new_account(app, &link.user_id, account)?;
            match app.store.create_account(&row).await {
                Ok(()) => {
                    tracing::info!(user_id = %link.user_id, provider = %account.provider_id, "account linked");
                    Ok(None)
                }
                Err(e) => {
                    tracing::error!(error = %e, "unable to link account");
                    Ok(Some("unable_to_link_account"))
                }
            }
        }
    }
}
