//! One configured provider: where its endpoints are (fixed for a named provider, discovered for
//! an OpenID Connect one), and each step of the flow against it.

use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};
use tessera_core::oauth::{self, id_token};
use tessera_core::social::{ProviderKind, SocialProviderConfig};
use time::OffsetDateTime;
use tokio::sync::{Mutex, OnceCell};

use super::http::{Http, HttpError};
use super::named::{self, Mapped, MicrosoftTenant, Named, Profile};

/// How long a fetched key set is trusted before it is fetched again (Better Auth: 5 minutes),
/// and the least time between two refetches for a key the set lacks.
const JWKS_TTL: Duration = Duration::from_secs(300);
const JWKS_REFETCH_COOLDOWN: Duration = Duration::from_secs(30);
/// Authorization parameters the framework sets; `additionalParams` may not override them.
pub const RESERVED_PARAMS: [&str; 8] = [
    "state",
    "client_id",
    "redirect_uri",
    "response_type",
    "code_challenge",
    "code_challenge_method",
    "nonce",
    "scope",
];

#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// The provider could not be reached, or its discovery document is unusable.
    #[error("provider unavailable: {0}")]
    Unavailable(String),
    /// The provider answered, and refused.
    #[error("provider refused: {0}")]
    Refused(String),
}

impl From<HttpError> for ProviderError {
    fn from(e: HttpError) -> ProviderError {
        match e {
            HttpError::Transport(m) => ProviderError::Unavailable(m),
            HttpError::Status { status, body } => {
                let error = body.get("error").and_then(Value::as_str).unwrap_or("");
                ProviderError::Refused(format!("status {status} {error}"))
            }
            HttpError::NotJson => ProviderError::Refused("not JSON".into()),
            HttpError::TooLarge => ProviderError::Refused("answer too large".into()),
        }
    }
}

/// `getOAuth2Tokens`.
#[derive(Debug, Clone, Default)]
pub struct Tokens {
    pub token_type: Option<String>,
    pub access_token: Option<String>,
    pub refresh_token: Option<String>,
    pub access_token_expires_at: Option<OffsetDateTime>,
    pub refresh_token_expires_at: Option<OffsetDateTime>,
    pub scopes: Vec<String>,
    pub id_token: Option<String>,
}

/// The longest token lifetime believed: ten years. Anything longer is a broken or hostile
/// provider, and a date that far out is not worth the overflow it risks.
const MAX_EXPIRES_IN_SECS: u64 = 10 * 365 * 86_400;

/// When a token answered with `expires_in` (or `refresh_token_expires_in`) = `value` expires.
/// Better Auth reads a missing or zero value as "no expiry"; a whole number of seconds, as a JSON
/// number or a decimal string, is one; anything else (negative, fractional, huge, not a number)
/// is an error, never a date that overflows.
fn expiry_from(
    field: &str,
    value: Option<&Value>,
    now: OffsetDateTime,
) -> Result<Option<OffsetDateTime>, ProviderError> {
    let secs = match value {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
            s.parse::<u64>().ok()
        }
        Some(_) => None,
    };
    let secs = secs
        .filter(|s| *s <= MAX_EXPIRES_IN_SECS)
        .and_then(|s| i64::try_from(s).ok())
        .ok_or_else(|| ProviderError::Refused(format!("{field} is out of range")))?;
    if secs == 0 {
        return Ok(None);
    }
    now.checked_add(time::Duration::seconds(secs))
        .map(Some)
        .ok_or_else(|| ProviderError::Refused(format!("{field} is out of range")))
}

impl Tokens {
    fn from_json(data: &Value) -> Result<Tokens, ProviderError> {
        let string = |k: &str| data.get(k).and_then(Value::as_str).map(str::to_owned);
        let now = tessera_core::timefmt::now_ms();
        Ok(Tokens {
            token_type: string("token_type"),
            access_token: string("access_token"),
            refresh_token: string("refresh_token"),
            access_token_expires_at: expiry_from("expires_in", data.get("expires_in"), now)?,
            refresh_token_expires_at: expiry_from(
                "refresh_token_expires_in",
                data.get("refresh_token_expires_in"),
                now,
            )?,
            scopes: oauth::parse_scope_field(data.get("scope")),
            id_token: string("id_token"),
        })
    }
}

/// The user as the provider describes them, with the account id.
#[derive(Debug, Clone)]
pub struct UserInfo {
    pub subject: String,
    pub name: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub image: Option<String>,
    /// The raw profile (account-info returns it as `data`).
    pub data: Value,
}

#[derive(Debug, Clone)]
struct Endpoints {
    issuer: Option<String>,
    authorization: String,
    token: String,
    userinfo: Option<String>,
    jwks_uri: Option<String>,
    id_token_algorithms: Vec<String>,
}

pub struct Provider {
    cfg: SocialProviderConfig,
    named: Option<Named>,
    microsoft: Option<MicrosoftTenant>,
    http: Http,
    discovered: OnceCell<Endpoints>,
    jwks: Mutex<Option<(Instant, Value)>>,
}

impl Provider {
    pub(super) fn new(cfg: SocialProviderConfig, http: Http) -> Result<Provider, String> {
        let named = match cfg.kind {
            ProviderKind::Named => Some(
                named::definition(&cfg.id)
                    .ok_or_else(|| format!("social.{}: not a provider Tessera knows", cfg.id))?,
            ),
            _ => None,
        };
        let microsoft = (named.is_some() && cfg.id == "microsoft")
            .then(|| MicrosoftTenant::new(cfg.tenant_id.as_deref(), cfg.authority.as_deref()));
        Ok(Provider {
            cfg,
            named,
            microsoft,
            http,
            discovered: OnceCell::new(),
            jwks: Mutex::new(None),
        })
    }

    pub fn id(&self) -> &str {
        &self.cfg.id
    }

    pub fn config(&self) -> &SocialProviderConfig {
        &self.cfg
    }

    fn uses_discovery(&self) -> bool {
        self.cfg.issuer.is_some() || self.cfg.discovery_url.is_some()
    }

    fn is_generic_oidc(&self) -> bool {
        self.cfg.kind == ProviderKind::Oidc
    }

    /// Generic OpenID Connect providers bind the ID token to the redirect with a nonce
    /// (`requiresIdTokenNonce`); named ones do not.
    pub fn requires_nonce(&self) -> bool {
        self.is_generic_oidc()
    }

    /// The provider's endpoints: discovered (once, then cached) or fixed, config overrides last.
    async fn endpoints(&self) -> Result<Endpoints, ProviderError> {
        let mut e = if self.uses_discovery() {
            self.discovered
                .get_or_try_init(|| self.discover())
                .await?
                .clone()
        } else if let Some(n) = &self.named {
            Endpoints {
                issuer: None,
                authorization: n.authorization.to_owned(),
                token: n.token.to_owned(),
                userinfo: None,
                jwks_uri: n.id_token.map(|r| r.jwks_uri.to_owned()),
                id_token_algorithms: n
                    .id_token
                    .map(|r| r.algorithms.iter().map(|a| (*a).to_owned()).collect())
                    .unwrap_or_default(),
            }
        } else {
            Endpoints {
                issuer: None,
                authorization: String::new(),
                token: String::new(),
                userinfo: None,
                jwks_uri: None,
                id_token_algorithms: Vec::new(),
            }
        };
        if let (Some(ms), false) = (&self.microsoft, self.uses_discovery()) {
            e.authorization = ms.authorization();
            e.token = ms.token();
            e.jwks_uri = Some(ms.jwks_uri());
        }
        let c = &self.cfg;
        if let Some(v) = &c.authorization_endpoint {
            e.authorization.clone_from(v);
        }
        if let Some(v) = &c.token_endpoint {
            e.token.clone_from(v);
        }
        if let Some(v) = &c.userinfo_endpoint {
            e.userinfo = Some(v.clone());
        }
        if let Some(v) = &c.jwks_uri {
            e.jwks_uri = Some(v.clone());
        }
        if e.authorization.is_empty() || e.token.is_empty() {
            return Err(ProviderError::Unavailable(
                "no authorization or token endpoint".into(),
            ));
        }
        Ok(e)
    }

    async fn discover(&self) -> Result<Endpoints, ProviderError> {
        let url = match (&self.cfg.discovery_url, &self.cfg.issuer) {
            (Some(u), _) => u.clone(),
            (None, Some(issuer)) => format!("{issuer}/.well-known/openid-configuration"),
            (None, None) => return Err(ProviderError::Unavailable("no discovery".into())),
        };
        let doc = self.http.get_json(&url, None, &[]).await?;
        let s = |k: &str| doc.get(k).and_then(Value::as_str).map(str::to_owned);
        let issuer = s("issuer");
        if let (Some(found), Some(configured)) = (&issuer, &self.cfg.issuer)
            && found.trim_end_matches('/') != configured
        {
            return Err(ProviderError::Unavailable(format!(
                "discovery names issuer {found}, configured {configured}"
            )));
        }
        let algorithms: Vec<String> = doc
            .get("id_token_signing_alg_values_supported")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_else(|| vec!["RS256".to_owned()]);
        Ok(Endpoints {
            issuer,
            authorization: s("authorization_endpoint").unwrap_or_default(),
            token: s("token_endpoint").unwrap_or_default(),
            userinfo: s("userinfo_endpoint"),
            jwks_uri: s("jwks_uri"),
            id_token_algorithms: algorithms,
        })
    }

    /// The issuer a callback's `iss` must match, when the provider has one (RFC 9207).
    pub async fn issuer(&self) -> Option<String> {
        if !self.uses_discovery() {
            return None;
        }
        self.endpoints().await.ok().and_then(|e| e.issuer)
    }

    /// Whether the provider can be used at all right now (a generic provider whose discovery
    /// fails is, for Better Auth, not configured).
    pub async fn is_available(&self) -> bool {
        self.endpoints().await.is_ok()
    }

    fn scopes(&self, requested: &[String]) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        if let Some(n) = &self.named {
            if !self.cfg.disable_default_scope {
                out.extend(n.scopes.iter().map(|s| (*s).to_owned()));
            }
            out.extend(self.cfg.scopes.iter().cloned());
            out.extend(requested.iter().cloned());
        } else {
            out.extend(requested.iter().cloned());
            out.extend(self.cfg.scopes.iter().cloned());
            if self.is_generic_oidc() && !out.iter().any(|s| s == "openid") {
                out.insert(0, "openid".to_owned());
            }
        }
        out
    }

    /// `createAuthorizationURL`.
    #[allow(clippy::too_many_arguments)]
    pub async fn authorization_url(
        &self,
        state: &str,
        code_verifier: &str,
        nonce: Option<&str>,
        requested_scopes: &[String],
        login_hint: Option<&str>,
        additional: &Map<String, Value>,
        redirect_uri: &str,
    ) -> Result<String, ProviderError> {
        let e = self.endpoints().await?;
        let mut url = url::Url::parse(&e.authorization)
            .map_err(|_| ProviderError::Unavailable("bad authorization endpoint".into()))?;
        let n = self.named;
        let scopes = self.scopes(requested_scopes);
        let joiner = n.map_or(" ", |n| n.scope_joiner);
        let mut params: Vec<(&str, String)> = Vec::new();
        params.push((
            "response_type",
            n.and_then(|n| n.response_type).unwrap_or("code").to_owned(),
        ));
        let client_param = if n.is_some_and(|n| n.client_key) {
            "client_key"
        } else {
            "client_id"
        };
        params.push((client_param, self.cfg.client_id.clone()));
        params.push(("state", state.to_owned()));
        if !scopes.is_empty() {
            params.push(("scope", scopes.join(joiner)));
        }
        params.push(("redirect_uri", redirect_uri.to_owned()));
        if let Some(h) = login_hint {
            params.push(("login_hint", h.to_owned()));
        }
        if let Some(nonce) = nonce {
            params.push(("nonce", nonce.to_owned()));
        }
        // `prompt` and `access_type` reach the URL only where Better Auth's provider passes them.
        let id = self.cfg.id.as_str();
        let prompt = match (n, id) {
            (None, _) | (Some(_), "atlassian" | "github" | "google" | "microsoft") => {
                self.cfg.prompt.clone()
            }
            (Some(_), "discord") => Some(self.cfg.prompt.clone().unwrap_or_else(|| "none".into())),
            (Some(_), _) => None,
        };
        if let Some(p) = prompt {
            params.push(("prompt", p));
        }
        let access_type = match (n, id) {
            (None, _) | (Some(_), "google") => Some("access_type"),
            (Some(_), "dropbox") => Some("token_access_type"),
            (Some(_), _) => None,
        };
        if let (Some(name), Some(a)) = (access_type, &self.cfg.access_type) {
            params.push((name, a.clone()));
        }
        if let Some(m) = n.and_then(|n| n.response_mode) {
            params.push(("response_mode", m.to_owned()));
        }
        if self.cfg.pkce && !n.is_some_and(|n| n.client_key) {
            params.push(("code_challenge_method", "S256".to_owned()));
            params.push(("code_challenge", oauth::code_challenge(code_verifier)));
        }
        for (k, v) in n.map_or(&[][..], |n| n.auth_params) {
            params.push((k, (*v).to_owned()));
        }
        for (k, v) in additional {
            if let Some(v) = v.as_str()
                && !RESERVED_PARAMS.contains(&k.as_str())
            {
                params.retain(|(name, _)| name != k);
                params.push((k.as_str(), v.to_owned()));
            }
        }
        {
            let names: Vec<&str> = params.iter().map(|(k, _)| *k).collect();
            let kept: Vec<(String, String)> = url
                .query_pairs()
                .filter(|(k, _)| !names.contains(&k.as_ref()))
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            let mut q = url.query_pairs_mut();
            q.clear();
            for (k, v) in &kept {
                q.append_pair(k, v);
            }
            for (k, v) in &params {
                q.append_pair(k, v);
            }
        }
        Ok(url.into())
    }

    fn client_auth(&self, form: &mut Vec<(&'static str, String)>) {
        let key = if self.named.is_some_and(|n| n.client_key) {
            "client_key"
        } else {
            "client_id"
        };
        form.push((key, self.cfg.client_id.clone()));
        if let Some(secret) = &self.cfg.client_secret {
            form.push(("client_secret", secret.clone()));
        }
    }

    /// `validateAuthorizationCode`: the code for tokens at the token endpoint.
    pub async fn exchange_code(
        &self,
        code: &str,
        code_verifier: &str,
        redirect_uri: &str,
    ) -> Result<Tokens, ProviderError> {
        let e = self.endpoints().await?;
        let mut form: Vec<(&'static str, String)> = vec![
            ("grant_type", "authorization_code".to_owned()),
            ("code", code.to_owned()),
        ];
        if self.cfg.pkce {
            form.push(("code_verifier", code_verifier.to_owned()));
        }
        form.push(("redirect_uri", redirect_uri.to_owned()));
        self.client_auth(&mut form);
        let data = self.http.post_form(&e.token, &form, &[]).await?;
        if data.get("error").is_some() {
            return Err(ProviderError::Refused(
                "token endpoint answered an error".into(),
            ));
        }
        Tokens::from_json(&data)
    }

    /// `refreshAccessToken`.
    pub async fn refresh(&self, refresh_token: &str) -> Result<Tokens, ProviderError> {
        let e = self.endpoints().await?;
        let mut form: Vec<(&'static str, String)> = vec![
            ("grant_type", "refresh_token".to_owned()),
            ("refresh_token", refresh_token.to_owned()),
        ];
        self.client_auth(&mut form);
        let data = self.http.post_form(&e.token, &form, &[]).await?;
        if data
            .get("access_token")
            .and_then(Value::as_str)
            .is_none_or(str::is_empty)
        {
            return Err(ProviderError::Refused(
                "no access token in the refresh answer".into(),
            ));
        }
        Tokens::from_json(&data)
    }

    /// The rules an ID token of this provider is checked by, when there is key material.
    async fn id_token_rules(&self) -> Option<(Vec<String>, String, Vec<String>, Option<i64>)> {
        let e = self.endpoints().await.ok()?;
        let jwks_uri = e.jwks_uri.clone()?;
        let rules = self.named.and_then(|n| n.id_token);
        let issuers: Vec<String> = match (&e.issuer, rules) {
            (Some(i), _) => vec![i.clone()],
            (None, Some(r)) => r.issuers.iter().map(|s| (*s).to_owned()).collect(),
            (None, None) => return None,
        };
        let algorithms: Vec<String> = e
            .id_token_algorithms
            .iter()
            .filter(|a| id_token::SUPPORTED_ALGORITHMS.contains(&a.as_str()))
            .cloned()
            .collect();
        Some((
            issuers,
            jwks_uri,
            algorithms,
            rules.and_then(|r| r.max_age_secs),
        ))
    }

    /// Facebook's `allowOpaqueToken`: a client token that is not a JWT passes verification; the
    /// profile step then proves it (Graph `debug_token`) with the access token.
    pub fn allows_opaque_id_token(&self) -> bool {
        self.named.is_some() && self.cfg.id == "facebook"
    }

    /// `verifyFacebookAccessToken`: the user id an access token was issued for, when Graph's
    /// `debug_token` says it is valid and was issued to this app.
    async fn facebook_token_user(&self, access: &str) -> Option<String> {
        let secret = self.cfg.client_secret.as_deref()?;
        let base = self
            .cfg
            .api_base
            .as_deref()
            .unwrap_or("https://graph.facebook.com");
        let mut url = url::Url::parse(&format!("{base}/debug_token")).ok()?;
        url.query_pairs_mut()
            .append_pair("input_token", access)
            .append_pair("access_token", &format!("{}|{secret}", self.cfg.client_id));
        let answer = self.http.get_json(url.as_str(), None, &[]).await.ok()?;
        let data = answer.get("data")?;
        let app_id = data.get("app_id").map(value_string);
        let user_id = data
            .get("user_id")
            .map(value_string)
            .filter(|u| !u.is_empty());
        (data.get("is_valid") == Some(&Value::Bool(true))
            && app_id.as_deref() == Some(self.cfg.client_id.as_str()))
        .then_some(user_id)
        .flatten()
    }

    /// Whether a client may sign in with an ID token of this provider (`supportsIdTokenSignIn`).
    pub async fn supports_id_token(&self) -> bool {
        !self.cfg.disable_id_token_sign_in
            && (self.is_line() || self.id_token_rules().await.is_some())
    }

    /// LINE verifies ID tokens at its own endpoint instead of by keys.
    fn is_line(&self) -> bool {
        self.named.is_some() && self.cfg.id == "line" && !self.uses_discovery()
    }

    /// LINE's `idToken.verify`: its verify endpoint accepts the token for this client (and the
    /// nonce, when it reports one); the claims are then the token's own.
    async fn verify_line_id_token(
        &self,
        token: &str,
        nonce: Option<&str>,
    ) -> Option<Map<String, Value>> {
        let base = self
            .cfg
            .api_base
            .as_deref()
            .unwrap_or("https://api.line.me");
        let mut form: Vec<(&'static str, String)> = vec![
            ("id_token", token.to_owned()),
            ("client_id", self.cfg.client_id.clone()),
        ];
        if let Some(n) = nonce {
            form.push(("nonce", n.to_owned()));
        }
        let data = self
            .http
            .post_form(&format!("{base}/oauth2/v2.1/verify"), &form, &[])
            .await
            .ok()?;
        if data.get("aud").and_then(Value::as_str) != Some(self.cfg.client_id.as_str()) {
            return None;
        }
        if let Some(claimed) = data.get("nonce").and_then(Value::as_str)
            && Some(claimed) != nonce
        {
            return None;
        }
        Some(
            id_token::decode_unverified(token)
                .map(|(_, c)| c)
                .unwrap_or_default(),
        )
    }

    async fn key_set(&self, force: bool, jwks_uri: &str) -> Result<Value, ProviderError> {
        let mut cached = self.jwks.lock().await;
        if let Some((at, set)) = cached.as_ref() {
            let age = at.elapsed();
            if age < JWKS_TTL && !(force && age >= JWKS_REFETCH_COOLDOWN) {
                return Ok(set.clone());
            }
        }
        let set = self.http.get_json(jwks_uri, None, &[]).await?;
        *cached = Some((Instant::now(), set.clone()));
        Ok(set)
    }

    /// Verifies an ID token (signature against the provider's keys, `iss`, `aud` = client id,
    /// `exp`, and `nonce` when given); the claims, or `None`.
    pub async fn verify_id_token(
        &self,
        token: &str,
        nonce: Option<&str>,
    ) -> Option<Map<String, Value>> {
        if self.is_line() {
            return self.verify_line_id_token(token, nonce).await;
        }
        let (mut issuers, jwks_uri, algorithms, max_age) = self.id_token_rules().await?;
        let microsoft = self.microsoft.as_ref().filter(|_| !self.uses_discovery());
        if let Some(ms) = microsoft {
            let (_, unverified) = id_token::decode_unverified(token)?;
            issuers = vec![ms.issuer_for(&unverified)?];
        }
        let audiences = [self.cfg.client_id.clone()];
        let algs: Vec<&str> = algorithms.iter().map(String::as_str).collect();
        // Apple compares the nonce exactly or as its SHA-256, after the other checks.
        let apple = self.named.is_some() && self.cfg.id == "apple";
        let expected = id_token::Expected {
            issuers: &issuers,
            audiences: &audiences,
            algorithms: &algs,
            nonce: nonce.filter(|_| !apple),
            max_age_secs: max_age,
            now: OffsetDateTime::now_utc().unix_timestamp(),
        };
        let set = self.key_set(false, &jwks_uri).await.ok()?;
        let claims = match id_token::verify(token, &set, &expected) {
            Ok(claims) => claims,
            Err(id_token::IdTokenError::NoKey | id_token::IdTokenError::Signature) => {
                // A key rotated in since the set was fetched: fetch once more (rate-limited).
                let set = self.key_set(true, &jwks_uri).await.ok()?;
                id_token::verify(token, &set, &expected).ok()?
            }
            Err(e) => {
                tracing::info!(provider = %self.cfg.id, reason = %e, "ID token refused");
                return None;
            }
        };
        if apple
            && let Some(n) = nonce
            && !id_token::nonce_matches_exact_or_sha256(&claims, n)
        {
            tracing::info!(provider = %self.cfg.id, "ID token nonce does not match");
            return None;
        }
        if microsoft.is_some_and(|ms| !ms.claims_allowed(&claims)) {
            tracing::info!(provider = %self.cfg.id, "ID token of a tenant not allowed");
            return None;
        }
        Some(claims)
    }

    /// `getUserInfo` after a code exchange. `Ok(None)` is Better Auth's "unable to get user
    /// info"; `apple_user` is the `user` form field Apple posts on first consent.
    pub async fn user_info(
        &self,
        tokens: &Tokens,
        expected_nonce: Option<&str>,
        apple_user: Option<&Value>,
    ) -> Result<Option<UserInfo>, ProviderError> {
        // An ID token from the token endpoint is verified whenever the provider has keys: the
        // generic OIDC rule, applied to named OIDC providers too.
        let verified_claims = match &tokens.id_token {
            Some(t) if self.id_token_rules().await.is_some() => {
                match self.verify_id_token(t, expected_nonce).await {
                    Some(c) => Some(c),
                    None => return Ok(None),
                }
            }
            _ => None,
        };
        if self.requires_nonce() && tokens.id_token.is_none() && expected_nonce.is_some() {
            // Nonce-bound flow without an ID token: nothing proves the binding.
            return Ok(None);
        }
        match self.named {
            None => self.generic_user_info(tokens, verified_claims).await,
            Some(n) => self.named_user_info(n, tokens, apple_user).await,
        }
    }

    /// `getUserInfoFromIdToken`/`getUserInfo({idToken})` for ID-token sign-in, after the token
    /// was verified.
    pub async fn user_info_from_id_token(
        &self,
        claims: Map<String, Value>,
        id_token: &str,
        access_token: Option<&str>,
        apple_user: Option<&Value>,
    ) -> Result<Option<UserInfo>, ProviderError> {
        let tokens = Tokens {
            id_token: Some(id_token.to_owned()),
            access_token: access_token.map(str::to_owned),
            ..Tokens::default()
        };
        match self.named {
            None => {
                // Generic: the claims alone, as Better Auth reads them (no userinfo call).
                let tokens = Tokens {
                    id_token: Some(id_token.to_owned()),
                    ..Tokens::default()
                };
                self.generic_user_info(&tokens, Some(claims)).await
            }
            Some(n) => self.named_user_info(n, &tokens, apple_user).await,
        }
    }

    async fn generic_user_info(
        &self,
        tokens: &Tokens,
        claims: Option<Map<String, Value>>,
    ) -> Result<Option<UserInfo>, ProviderError> {
        let claims_value = claims.clone().map(Value::Object);
        if let Some(c) = &claims_value
            && c.get("sub").is_some()
            && c.get("email").is_some()
        {
            return Ok(to_user_info(named::oidc_claims(c), c.clone()));
        }
        let e = self.endpoints().await?;
        let (Some(url), Some(access)) = (&e.userinfo, &tokens.access_token) else {
            return Ok(None);
        };
        let profile = self.http.get_json(url, Some(access), &[]).await?;
        if let Some(c) = &claims_value
            && profile.get("sub").map(value_string) != c.get("sub").map(value_string)
        {
            return Ok(None);
        }
        let mut mapped = named::oidc_claims(&profile);
        if let (Some(m), Some(c)) = (mapped.as_mut(), &claims_value) {
            m.subject = c.get("sub").map(value_string);
        }
        Ok(to_user_info(mapped, profile))
    }

    async fn named_user_info(
        &self,
        n: Named,
        tokens: &Tokens,
        apple_user: Option<&Value>,
    ) -> Result<Option<UserInfo>, ProviderError> {
        let access = tokens.access_token.as_deref();
        let headers: Vec<(&str, String)> = n
            .profile_headers
            .iter()
            .map(|(k, v)| (*k, (*v).to_owned()))
            .collect();
        let api = |default: &str| -> String {
            match (&self.cfg.userinfo_endpoint, &self.cfg.api_base) {
                (Some(u), _) => u.clone(),
                (None, Some(base)) => match url::Url::parse(default) {
                    Ok(u) => format!(
                        "{base}{}{}",
                        u.path(),
                        u.query().map(|q| format!("?{q}")).unwrap_or_default()
                    ),
                    Err(_) => default.to_owned(),
                },
                (None, None) => default.to_owned(),
            }
        };
        match n.profile {
            Profile::IdToken(map) => {
                let Some(token) = &tokens.id_token else {
                    return Ok(None);
                };
                let Some((_, claims)) = id_token::decode_unverified(token) else {
                    return Ok(None);
                };
                let mut data = Value::Object(claims);
                let mut mapped = map(&data);
                if self.cfg.id == "apple"
                    && let (Some(m), Some(user)) = (mapped.as_mut(), apple_user)
                    && let Some(name) = user.get("name")
                {
                    let part = |k: &str| name.get(k).and_then(Value::as_str).unwrap_or("");
                    m.name = format!("{} {}", part("firstName"), part("lastName"))
                        .trim()
                        .to_owned();
                    if let Some(obj) = data.as_object_mut() {
                        obj.insert("name".into(), Value::String(m.name.clone()));
                    }
                }
                Ok(to_user_info(mapped, data))
            }
            Profile::IdTokenOrGet(claims_map, _, _)
                if tokens
                    .id_token
                    .as_deref()
                    .is_some_and(|t| t.split('.').count() == 3) =>
            {
                let Some((_, claims)) = tokens
                    .id_token
                    .as_deref()
                    .and_then(id_token::decode_unverified)
                else {
                    return Ok(None);
                };
                let data = Value::Object(claims);
                Ok(to_user_info(claims_map(&data), data))
            }
            Profile::Get(url, map) | Profile::IdTokenOrGet(_, url, map) => {
                let Some(access) = access else {
                    return Ok(None);
                };
                // Graph's `/me` answers any app's token: bind it to this app first.
                let bound_user = if self.allows_opaque_id_token() {
                    match self.facebook_token_user(access).await {
                        Some(user) => Some(user),
                        None => return Ok(None),
                    }
                } else {
                    None
                };
                let profile = self
                    .http
                    .get_json(&api(url), Some(access), &headers)
                    .await?;
                if bound_user.is_some_and(|u| profile.get("id").map(value_string) != Some(u)) {
                    return Ok(None);
                }
                Ok(to_user_info(map(&profile), profile))
            }
            Profile::PostEmpty(url, map) => {
                let Some(access) = access else {
                    return Ok(None);
                };
                let profile = self.http.post_json(&api(url), access, None).await?;
                Ok(to_user_info(map(&profile), profile))
            }
            Profile::GitHub => {
                let Some(access) = access else {
                    return Ok(None);
                };
                let base = self
                    .cfg
                    .api_base
                    .as_deref()
                    .unwrap_or("https://api.github.com");
                let mut profile = self
                    .http
                    .get_json(&format!("{base}/user"), Some(access), &[])
                    .await?;
                let emails = self
                    .http
                    .get_json(&format!("{base}/user/emails"), Some(access), &[])
                    .await
                    .ok()
                    .and_then(|v| v.as_array().cloned())
                    .unwrap_or_default();
                let addr = |e: &Value| e.get("email").and_then(Value::as_str).map(str::to_owned);
                let mut email = profile
                    .get("email")
                    .and_then(Value::as_str)
                    .map(str::to_owned);
                if email.is_none() {
                    email = emails
                        .iter()
                        .find(|e| e.get("primary").and_then(Value::as_bool) == Some(true))
                        .or_else(|| emails.first())
                        .and_then(addr);
                    if let (Some(e), Some(obj)) = (&email, profile.as_object_mut()) {
                        obj.insert("email".into(), Value::String(e.clone()));
                    }
                }
                let email_verified = emails
                    .iter()
                    .find(|e| addr(e).is_some() && addr(e) == email)
                    .and_then(|e| e.get("verified").and_then(Value::as_bool))
                    .unwrap_or(false);
                let s = |k: &str| profile.get(k).and_then(Value::as_str).map(str::to_owned);
                let mapped = Mapped {
                    subject: profile.get("id").filter(|v| !v.is_null()).map(value_string),
                    name: s("name")
                        .filter(|n| !n.is_empty())
                        .or_else(|| s("login"))
                        .unwrap_or_default(),
                    email,
                    email_verified,
                    image: s("avatar_url"),
                };
                Ok(to_user_info(Some(mapped), profile))
            }
            Profile::Linear => {
                let Some(access) = access else {
                    return Ok(None);
                };
                let query = json!({"query": "query { viewer { id name email avatarUrl active createdAt updatedAt } }"});
                let profile = self
                    .http
                    .post_json(&api("https://api.linear.app/graphql"), access, Some(&query))
                    .await?;
                let Some(viewer) = profile.get("data").and_then(|d| d.get("viewer")).cloned()
                else {
                    return Ok(None);
                };
                let s = |k: &str| viewer.get(k).and_then(Value::as_str).map(str::to_owned);
                let mapped = Mapped {
                    subject: viewer.get("id").map(value_string),
                    name: s("name").unwrap_or_default(),
                    email: s("email"),
                    email_verified: false,
                    image: s("avatarUrl"),
                };
                Ok(to_user_info(Some(mapped), viewer))
            }
            Profile::Twitter => {
                let Some(access) = access else {
                    return Ok(None);
                };
                let mut profile = self
                    .http
                    .get_json(
                        &api("https://api.x.com/2/users/me?user.fields=profile_image_url"),
                        Some(access),
                        &[],
                    )
                    .await?;
                let confirmed = self
                    .http
                    .get_json(
                        &api("https://api.x.com/2/users/me?user.fields=confirmed_email"),
                        Some(access),
                        &[],
                    )
                    .await
                    .ok()
                    .and_then(|v| {
                        v.get("data")?
                            .get("confirmed_email")?
                            .as_str()
                            .map(str::to_owned)
                    });
                let Some(data) = profile.get_mut("data") else {
                    return Ok(None);
                };
                if let (Some(e), Some(obj)) = (&confirmed, data.as_object_mut()) {
                    obj.insert("email".into(), Value::String(e.clone()));
                }
                let s = |k: &str| data.get(k).and_then(Value::as_str).map(str::to_owned);
                let id = data.get("id").map(value_string);
                let mapped = Mapped {
                    email: s("email").or_else(|| {
                        id.as_ref()
                            .map(|id| named::placeholder_email(id, "twitter"))
                    }),
                    subject: id,
                    name: s("name").unwrap_or_default(),
                    email_verified: confirmed.is_some(),
                    image: s("profile_image_url"),
                };
                Ok(to_user_info(Some(mapped), profile))
            }
        }
    }
}

fn value_string(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A profile becomes a user only with a usable account id (`resolveOAuthAccountKey`).
fn to_user_info(mapped: Option<Mapped>, data: Value) -> Option<UserInfo> {
    let m = mapped?;
    let subject = m
        .subject
        .filter(|s| !s.trim().is_empty() && s != "undefined" && s != "null")?;
    Some(UserInfo {
        subject,
        name: m.name,
        email: m.email,
        email_verified: m.email_verified,
        image: m.image,
        data,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use serde_json::json;
    use time::macros::datetime;

    use super::*;

    const NOW: OffsetDateTime = datetime!(2026-12-07 12:00:00 UTC);

    #[test]
    fn whole_seconds_as_number_or_string_set_the_expiry() {
        let hour = Some(NOW + time::Duration::hours(1));
        assert_eq!(
            expiry_from("expires_in", Some(&json!(3600)), NOW).unwrap(),
            hour
        );
        assert_eq!(
            expiry_from("expires_in", Some(&json!("3600")), NOW).unwrap(),
            hour
        );
    }

    #[test]
    fn missing_null_or_zero_means_no_expiry_as_in_better_auth() {
        for v in [None, Some(json!(null)), Some(json!(0)), Some(json!("0"))] {
            assert_eq!(
                expiry_from("expires_in", v.as_ref(), NOW).unwrap(),
                None,
                "{v:?}"
            );
        }
    }

    #[test]
    fn out_of_range_or_malformed_values_are_errors() {
        for v in [
            json!(-1),
            json!(-3600),
            json!(1.5),
            json!(1e30),
            json!(u64::MAX),
            json!(i64::MAX),
            json!(MAX_EXPIRES_IN_SECS + 1),
            json!("-1"),
            json!("1e9"),
            json!("3600.5"),
            json!(""),
            json!("soon"),
            json!("99999999999999999999999999"),
            json!(true),
            json!([3600]),
            json!({"s": 3600}),
        ] {
            let e = expiry_from("expires_in", Some(&v), NOW).unwrap_err();
            assert!(
                e.to_string().contains("expires_in is out of range"),
                "{v}: {e}"
            );
        }
    }

    #[test]
    fn a_token_answer_with_a_bad_refresh_lifetime_is_refused_whole() {
        let answer = json!({"access_token": "a", "expires_in": 60, "refresh_token_expires_in": -5});
        assert!(Tokens::from_json(&answer).is_err());
        let answer = json!({"access_token": "a", "expires_in": 60});
        let tokens = Tokens::from_json(&answer).unwrap();
        assert!(tokens.access_token_expires_at.is_some());
    }
}
