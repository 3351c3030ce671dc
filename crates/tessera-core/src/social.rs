//! Configuration of social sign-in: one `[social.<id>]` table per provider, and Better Auth's
//! `account` options (linking, token encryption). Named providers (`google`, `github`, …, see
//! [`crate::providers`]) need only a client id and secret; any other id is a generic OpenID
//! Connect provider (`type = "oidc"`, found by discovery) or, with explicit endpoints, OAuth 2.0.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::config_error::ConfigError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProviderKind {
    /// A provider Better Auth has built in (`crate::providers::NAMED_PROVIDERS`).
    Named,
    /// Better Auth's generic OAuth plugin with `discoveryUrl`: OpenID Connect by discovery.
    Oidc,
    /// Better Auth's generic OAuth plugin with explicit endpoints.
    OAuth2,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SocialProviderConfig {
    pub id: String,
    pub kind: ProviderKind,
    pub client_id: String,
    pub client_secret: Option<String>,
    /// OIDC: the issuer (discovery at `<issuer>/.well-known/openid-configuration`) or the
    /// discovery document's URL. For a named OIDC provider (Google, …) they replace its public
    /// endpoints, e.g. to point at a test provider.
    pub issuer: Option<String>,
    pub discovery_url: Option<String>,
    pub authorization_endpoint: Option<String>,
    pub token_endpoint: Option<String>,
    pub userinfo_endpoint: Option<String>,
    pub jwks_uri: Option<String>,
    /// Extra scopes after the provider's defaults.
    pub scopes: Vec<String>,
    pub disable_default_scope: bool,
    pub disable_sign_up: bool,
    pub disable_implicit_sign_up: bool,
    pub disable_id_token_sign_in: bool,
    pub prompt: Option<String>,
    pub access_type: Option<String>,
    /// Generic providers: PKCE on (Better Auth's default).
    pub pkce: bool,
    /// Named providers whose API base differs in tests (GitHub's `api.github.com`, …).
    pub api_base: Option<String>,
    /// Microsoft: `tenantId` (default `common`) and `authority` (default
    /// `https://login.microsoftonline.com`), as Better Auth's microsoft provider options.
    pub tenant_id: Option<String>,
    pub authority: Option<String>,
    /// `overrideUserInfoOnSignIn`: a returning user's name, image and email are replaced by the
    /// provider's on every redirect sign-in.
    pub override_user_info_on_sign_in: bool,
}

/// Better Auth's `account` options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountConfig {
    /// `account.encryptOAuthTokens`: access and refresh tokens encrypted with the secret.
    pub encrypt_oauth_tokens: bool,
    /// `accountLinking.enabled` (default true).
    pub linking_enabled: bool,
    /// `accountLinking.trustedProviders`: linked by email even when the provider does not say
    /// the email is verified.
    pub trusted_providers: Vec<String>,
    pub allow_different_emails: bool,
    /// `accountLinking.requireLocalEmailVerified` (default true).
    pub require_local_email_verified: bool,
    pub disable_implicit_linking: bool,
    pub allow_unlinking_all: bool,
    /// `account.updateAccountOnSignIn` (default true).
    pub update_account_on_sign_in: bool,
    /// `account.skipStateCookieCheck`.
    pub skip_state_cookie_check: bool,
    /// `account.storeStateStrategy = "cookie"`: the OAuth state travels encrypted in the
    /// `oauth_state` cookie instead of a verification row.
    pub store_state_in_cookie: bool,
}

impl Default for AccountConfig {
    fn default() -> Self {
        AccountConfig {
            encrypt_oauth_tokens: false,
            linking_enabled: true,
            trusted_providers: Vec::new(),
            allow_different_emails: false,
            require_local_email_verified: true,
            disable_implicit_linking: false,
            allow_unlinking_all: false,
            update_account_on_sign_in: true,
            skip_state_cookie_check: false,
            store_state_in_cookie: false,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct FileSocialProvider {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub issuer: Option<String>,
    pub discovery_url: Option<String>,
    pub authorization_endpoint: Option<String>,
    pub token_endpoint: Option<String>,
    pub userinfo_endpoint: Option<String>,
    pub jwks_uri: Option<String>,
    pub scopes: Option<Vec<String>>,
    pub disable_default_scope: Option<bool>,
    pub disable_sign_up: Option<bool>,
    pub disable_implicit_sign_up: Option<bool>,
    pub disable_id_token_sign_in: Option<bool>,
    pub prompt: Option<String>,
    pub access_type: Option<String>,
    pub pkce: Option<bool>,
    pub api_base: Option<String>,
    pub tenant_id: Option<String>,
    pub authority: Option<String>,
    pub override_user_info_on_sign_in: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct FileAccount {
    pub encrypt_oauth_tokens: Option<bool>,
    pub linking_enabled: Option<bool>,
    pub trusted_providers: Option<Vec<String>>,
    pub allow_different_emails: Option<bool>,
    pub require_local_email_verified: Option<bool>,
    pub disable_implicit_linking: Option<bool>,
    pub allow_unlinking_all: Option<bool>,
    pub update_account_on_sign_in: Option<bool>,
    pub skip_state_cookie_check: Option<bool>,
    /// `"database"` (default) or `"cookie"`.
    pub store_state_strategy: Option<String>,
}

fn invalid(id: &str, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        key: format!("social.{id}"),
        reason: reason.into(),
    }
}

/// The providers of `[social.<id>]`, checked.
pub fn providers_from(
    file: BTreeMap<String, FileSocialProvider>,
) -> Result<Vec<SocialProviderConfig>, ConfigError> {
    file.into_iter()
        .map(|(id, f)| {
            let kind = match f.kind.as_deref() {
                None if crate::providers::named(&id).is_some() => ProviderKind::Named,
                None | Some("oidc") => ProviderKind::Oidc,
                Some("oauth2") => ProviderKind::OAuth2,
                Some(other) => {
                    return Err(invalid(
                        &id,
                        format!("unknown type {other:?} (oidc, oauth2)"),
                    ));
                }
            };
            if id.is_empty()
                || !id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                return Err(invalid(&id, "a provider id is letters, digits, - and _"));
            }
            let client_id = f
                .client_id
                .filter(|s| !s.is_empty())
                .ok_or_else(|| invalid(&id, "client_id is required"))?;
            match kind {
                ProviderKind::Oidc if f.issuer.is_none() && f.discovery_url.is_none() => {
                    return Err(invalid(
                        &id,
                        "an OpenID Connect provider needs issuer or discovery_url",
                    ));
                }
                ProviderKind::OAuth2
                    if f.authorization_endpoint.is_none() || f.token_endpoint.is_none() =>
                {
                    return Err(invalid(
                        &id,
                        "an OAuth 2.0 provider needs authorization_endpoint and token_endpoint",
                    ));
                }
                _ => {}
            }
            Ok(SocialProviderConfig {
                id,
                kind,
                client_id,
                client_secret: f.client_secret.filter(|s| !s.is_empty()),
                issuer: f.issuer.map(|s| s.trim_end_matches('/').to_owned()),
                discovery_url: f.discovery_url,
                authorization_endpoint: f.authorization_endpoint,
                token_endpoint: f.token_endpoint,
                userinfo_endpoint: f.userinfo_endpoint,
                jwks_uri: f.jwks_uri,
                scopes: f.scopes.unwrap_or_default(),
                disable_default_scope: f.disable_default_scope.unwrap_or(false),
                disable_sign_up: f.disable_sign_up.unwrap_or(false),
                disable_implicit_sign_up: f.disable_implicit_sign_up.unwrap_or(false),
                disable_id_token_sign_in: f.disable_id_token_sign_in.unwrap_or(false),
                prompt: f.prompt,
                access_type: f.access_type,
                pkce: f.pkce.unwrap_or(true),
                api_base: f.api_base.map(|s| s.trim_end_matches('/').to_owned()),
                tenant_id: f.tenant_id.filter(|s| !s.is_empty()),
                authority: f.authority.filter(|s| !s.is_empty()),
                override_user_info_on_sign_in: f.override_user_info_on_sign_in.unwrap_or(false),
            })
        })
        .collect()
}

/// Providers from the environment, for secrets kept out of files: `TESSERA_SOCIAL_PROVIDERS`
/// (comma list of ids) and, per id (upper case, `-` as `_`), `TESSERA_SOCIAL_<ID>_CLIENT_ID`,
/// `_CLIENT_SECRET`, `_TYPE`, `_ISSUER`, `_DISCOVERY_URL`, `_SCOPES` (comma list). A provider
/// named here replaces the file's provider of the same id.
pub fn merge_env(
    providers: &mut Vec<SocialProviderConfig>,
    get: impl Fn(&str) -> Option<String>,
) -> Result<(), ConfigError> {
    let Some(list) = get("TESSERA_SOCIAL_PROVIDERS") else {
        return Ok(());
    };
    let mut file = BTreeMap::new();
    for id in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let key = |field: &str| {
            get(&format!(
                "TESSERA_SOCIAL_{}_{field}",
                id.to_ascii_uppercase().replace('-', "_")
            ))
        };
        file.insert(
            id.to_owned(),
            FileSocialProvider {
                kind: key("TYPE"),
                client_id: key("CLIENT_ID"),
                client_secret: key("CLIENT_SECRET"),
                issuer: key("ISSUER"),
                discovery_url: key("DISCOVERY_URL"),
                scopes: key("SCOPES").map(|s| {
                    s.split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned)
                        .collect()
                }),
                ..FileSocialProvider::default()
            },
        );
    }
    for p in providers_from(file)? {
        providers.retain(|q| q.id != p.id);
        providers.push(p);
    }
    Ok(())
}

pub fn account_from(file: FileAccount) -> AccountConfig {
    let d = AccountConfig::default();
    AccountConfig {
        encrypt_oauth_tokens: file.encrypt_oauth_tokens.unwrap_or(d.encrypt_oauth_tokens),
        linking_enabled: file.linking_enabled.unwrap_or(d.linking_enabled),
        trusted_providers: file.trusted_providers.unwrap_or_default(),
        allow_different_emails: file
            .allow_different_emails
            .unwrap_or(d.allow_different_emails),
        require_local_email_verified: file
            .require_local_email_verified
            .unwrap_or(d.require_local_email_verified),
        disable_implicit_linking: file
            .disable_implicit_linking
            .unwrap_or(d.disable_implicit_linking),
        allow_unlinking_all: file.allow_unlinking_all.unwrap_or(d.allow_unlinking_all),
        update_account_on_sign_in: file
            .update_account_on_sign_in
            .unwrap_or(d.update_account_on_sign_in),
        skip_state_cookie_check: file
            .skip_state_cookie_check
            .unwrap_or(d.skip_state_cookie_check),
        store_state_in_cookie: file.store_state_strategy.as_deref() == Some("cookie"),
    }
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

    fn parse(toml_like_json: &str) -> Result<Vec<SocialProviderConfig>, ConfigError> {
        providers_from(serde_json::from_str(toml_like_json).unwrap())
    }

    #[test]
    fn named_providers_need_only_a_client() {
        let p = parse(r#"{"google":{"client_id":"id","client_secret":"s"}}"#).unwrap();
        assert_eq!(p[0].kind, ProviderKind::Named);
        assert!(p[0].pkce);
    }

    #[test]
    fn the_environment_adds_and_replaces_providers() {
        let mut providers =
            parse(r#"{"google":{"client_id":"file","client_secret":"s"}}"#).unwrap();
        let env = [
            ("TESSERA_SOCIAL_PROVIDERS", "google, local-oidc"),
            ("TESSERA_SOCIAL_GOOGLE_CLIENT_ID", "env"),
            ("TESSERA_SOCIAL_LOCAL_OIDC_CLIENT_ID", "c"),
            ("TESSERA_SOCIAL_LOCAL_OIDC_ISSUER", "http://127.0.0.1:1"),
            ("TESSERA_SOCIAL_LOCAL_OIDC_SCOPES", "email,profile"),
        ];
        let get = |k: &str| {
            env.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| (*v).to_owned())
        };
        merge_env(&mut providers, get).unwrap();
        assert_eq!(providers.len(), 2);
        assert_eq!(providers[0].client_id, "env");
        assert_eq!(providers[1].kind, ProviderKind::Oidc);
        assert_eq!(providers[1].scopes, vec!["email", "profile"]);
    }

    #[test]
    fn other_ids_are_oidc_and_need_discovery() {
        assert!(parse(r#"{"corp":{"client_id":"id"}}"#).is_err());
        let p = parse(r#"{"corp":{"client_id":"id","issuer":"https://idp.test/"}}"#).unwrap();
        assert_eq!(p[0].kind, ProviderKind::Oidc);
        assert_eq!(p[0].issuer.as_deref(), Some("https://idp.test"));
        assert!(parse(r#"{"corp":{"type":"oauth2","client_id":"id"}}"#).is_err());
        assert!(parse(r#"{"google":{}}"#).is_err());
        assert!(parse(r#"{"bad id":{"client_id":"x","issuer":"https://i"}}"#).is_err());
    }
}
