//! Configuration types. Loading (TOML file, environment) happens at the edge; this module only
//! parses what it is handed, so that the rules (defaults, production refusal) are testable alone.
//!
//! Every option defaults to Better Auth's default unless a comment says why not.

use serde::Deserialize;

pub use crate::config_error::ConfigError;
use crate::crypto::password::{FirebaseParams, VerifyContext};
use crate::plugins::Plugins;

mod client_address;
mod fields;
mod lifecycle;
mod organization;
mod passwordless;
pub use client_address::{
    Cidr, ClientAddressConfig, DEFAULT_TRUSTED_PROXIES, FileAdvanced, canonical,
};
pub use fields::{FileField, FileFields};
pub use lifecycle::{
    ChangeEmailConfig, DeleteUserConfig, EmailVerificationConfig, FileChangeEmail, FileDeleteUser,
    FileEmailVerification, FileSmtp, FileUser, LifecycleConfig, SmtpConfig, SmtpTls,
};
pub use organization::{
    DEFAULT_CREATOR_ROLE, DEFAULT_INVITATION_EXPIRES_IN, DEFAULT_INVITATION_LIMIT,
    DEFAULT_MEMBERSHIP_LIMIT, DynamicAccessControlConfig, FileDynamicAccessControl,
    FileOrganization, FileTeams, InOrder, OrganizationConfig, RoleConfig, TeamsConfig,
};
pub use passwordless::{
    EmailOtpConfig, FileEmailOtp, FileMagicLink, FileMultiSession, MagicLinkConfig,
    MultiSessionConfig, StoreOtp,
};

/// Better Auth's fallback secret: refusing it in production is the point of [`Config::validate`].
pub const DEFAULT_SECRET: &str = "better-auth-secret-12345678901234567890";
/// Better Auth warns under 32 characters; production refuses.
pub const MIN_SECRET_LEN: usize = 32;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NativePasswordFormat {
    /// Better Auth's own scrypt `salt:key`, so that a Node Better Auth can still verify.
    BetterAuthScrypt,
    Argon2id,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub production: bool,
    /// e.g. `http://localhost:3000`; routes live under `base_url + base_path`.
    pub base_url: String,
    pub base_path: String,
    /// Current secret first; older ones (`BETTER_AUTH_SECRETS="2:new,1:old"`) after it, with versions.
    pub secret: String,
    pub secrets: Vec<(u32, String)>,
    /// With `secrets`, the old single `BETTER_AUTH_SECRET`: it still decrypts bare-hex values.
    pub legacy_secret: Option<String>,
    pub trusted_origins: Vec<String>,
    pub database_url: String,
    pub listen: String,
    pub plugins: Plugins,
    /// The plugins as the config names them, in its order: the order hooks run in.
    pub plugin_names: Vec<&'static str>,
    /// `[user.additional_fields.*]`: Better Auth's `user.additionalFields`, in declaration order.
    pub user_fields: Vec<std::sync::Arc<crate::schema::Column>>,
    /// `[session.additional_fields.*]`.
    pub session_fields: Vec<std::sync::Arc<crate::schema::Column>>,
    pub session: SessionConfig,
    pub password: PasswordConfig,
    pub rate_limit: RateLimitConfig,
    /// `[advanced]`: which address is the client's (rate-limit keys, `session.ipAddress`).
    pub client_address: ClientAddressConfig,
    /// How many password hashes may run at once; each Better Auth scrypt holds ~32 MiB.
    pub hashing_concurrency: usize,
    pub app_name: String,
    pub cookie_prefix: String,
    /// Forces `__Secure-` cookies even on http (Better Auth `advanced.useSecureCookies`).
    pub use_secure_cookies: Option<bool>,
    pub outbox_path: Option<String>,
    /// Messages (emails, SMS codes) are POSTed here as JSON when set.
    pub webhook_url: Option<String>,
    /// phone-number plugin `signUpOnVerification`: verifying an unknown number creates a user
    /// (off by default, as in Better Auth).
    pub phone_sign_up_on_verification: bool,
    /// Email verification, change of email, account deletion (all off by default).
    pub lifecycle: LifecycleConfig,
    /// Emails go out over SMTP when set.
    pub smtp: Option<SmtpConfig>,
    /// `[social.<id>]`: the social sign-in providers.
    pub social: Vec<crate::social::SocialProviderConfig>,
    /// Better Auth's `account` options (linking, token encryption).
    pub account: crate::social::AccountConfig,
    /// `[organization]`: the organization plugin's options (read whether or not the plugin is
    /// on; they matter only when it is).
    pub organization: OrganizationConfig,
    /// `[email_otp]`, `[magic_link]`, `[multi_session]`: read whether or not the plugins are on.
    pub email_otp: EmailOtpConfig,
    pub magic_link: MagicLinkConfig,
    pub multi_session: MultiSessionConfig,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionConfig {
    pub expires_in: i64,
    pub update_age: i64,
    pub fresh_age: i64,
    /// Sessions created with `rememberMe: false`.
    pub dont_remember_expires_in: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordConfig {
    pub min_length: usize,
    pub max_length: usize,
    pub native: NativePasswordFormat,
    pub sign_up_enabled: bool,
    pub enabled: bool,
    /// The Firebase project's password-hash parameters, for `scrypt_firebase` digests imported
    /// without them (clerk-export.md §3.2: signer key, salt separator, rounds and mem cost are
    /// project-wide). Used at import, which completes such digests, and at sign-in.
    pub firebase: Option<FirebaseParams>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimitConfig {
    pub enabled: bool,
    pub window: u64,
    pub max: u64,
    /// The in-memory limiter's bound: past it the oldest counters are dropped.
    pub max_entries: usize,
}

/// Each entry is a key of at most a few hundred bytes, so this bounds the limiter to tens of MiB.
pub const DEFAULT_RATE_LIMIT_MAX_ENTRIES: usize = 100_000;

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            expires_in: 604_800,
            update_age: 86_400,
            fresh_age: 86_400,
            dont_remember_expires_in: 86_400,
        }
    }
}

impl Default for PasswordConfig {
    fn default() -> Self {
        PasswordConfig {
            min_length: 8,
            max_length: 128,
            native: NativePasswordFormat::BetterAuthScrypt,
            sign_up_enabled: true,
            enabled: true,
            firebase: None,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            production: false,
            base_url: "http://localhost:3000".to_owned(),
            base_path: "/api/auth".to_owned(),
            secret: DEFAULT_SECRET.to_owned(),
            secrets: Vec::new(),
            legacy_secret: None,
            trusted_origins: Vec::new(),
            database_url: "sqlite://tessera.db".to_owned(),
            listen: "127.0.0.1:3000".to_owned(),
            plugins: Plugins::NONE,
            plugin_names: Vec::new(),
            user_fields: Vec::new(),
            session_fields: Vec::new(),
            session: SessionConfig::default(),
            password: PasswordConfig::default(),
            // Better Auth turns its limiter on only in production; so do we (see `finish`).
            rate_limit: RateLimitConfig {
                enabled: false,
                window: 10,
                max: 100,
                max_entries: DEFAULT_RATE_LIMIT_MAX_ENTRIES,
            },
            client_address: ClientAddressConfig::default(),
            hashing_concurrency: 2,
            app_name: "Better Auth".to_owned(),
            cookie_prefix: "better-auth".to_owned(),
            use_secure_cookies: None,
            outbox_path: None,
            webhook_url: None,
            phone_sign_up_on_verification: false,
            lifecycle: LifecycleConfig::default(),
            smtp: None,
            social: Vec::new(),
            account: crate::social::AccountConfig::default(),
            organization: OrganizationConfig::default(),
            email_otp: EmailOtpConfig::default(),
            magic_link: MagicLinkConfig::default(),
            multi_session: MultiSessionConfig::default(),
        }
    }
}

/// The config file (TOML in the binary), every key optional. Unknown keys are errors, so a typo
/// is not silently ignored.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct FileConfig {
    pub production: Option<bool>,
    pub base_url: Option<String>,
    pub base_path: Option<String>,
    pub secret: Option<String>,
    pub trusted_origins: Option<Vec<String>>,
    pub database_url: Option<String>,
    pub listen: Option<String>,
    pub plugins: Option<Vec<String>>,
    pub app_name: Option<String>,
    pub cookie_prefix: Option<String>,
    pub use_secure_cookies: Option<bool>,
    pub hashing_concurrency: Option<usize>,
    pub outbox_path: Option<String>,
    pub webhook_url: Option<String>,
    pub phone_sign_up_on_verification: Option<bool>,
    pub session: Option<FileSession>,
    pub password: Option<FilePassword>,
    pub rate_limit: Option<FileRateLimit>,
    pub advanced: Option<FileAdvanced>,
    pub email_verification: Option<FileEmailVerification>,
    pub user: Option<FileUser>,
    pub smtp: Option<FileSmtp>,
    pub social: Option<std::collections::BTreeMap<String, crate::social::FileSocialProvider>>,
    pub account: Option<crate::social::FileAccount>,
    pub organization: Option<FileOrganization>,
    pub email_otp: Option<FileEmailOtp>,
    pub magic_link: Option<FileMagicLink>,
    pub multi_session: Option<FileMultiSession>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct FileSession {
    pub expires_in: Option<i64>,
    pub update_age: Option<i64>,
    pub fresh_age: Option<i64>,
    pub additional_fields: Option<FileFields>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct FilePassword {
    pub min_length: Option<usize>,
    pub max_length: Option<usize>,
    pub native: Option<String>,
    pub sign_up_enabled: Option<bool>,
    pub enabled: Option<bool>,
    pub require_email_verification: Option<bool>,
    pub firebase: Option<FileFirebase>,
}

/// `[password.firebase]`: the values the Firebase console shows under "Password hash parameters".
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct FileFirebase {
    /// Base64, as shown (`base64_signer_key`).
    pub signer_key: Option<String>,
    /// Base64, as shown (`base64_salt_separator`).
    pub salt_separator: Option<String>,
    pub rounds: Option<u32>,
    pub mem_cost: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct FileRateLimit {
    pub enabled: Option<bool>,
    pub window: Option<u64>,
    pub max: Option<u64>,
    pub max_entries: Option<usize>,
}

/// Builds the configuration from the file's contents and the process environment (passed in as
/// pairs, so tests need not touch the real environment). Environment wins over the file.
pub fn load(
    mut file: FileConfig,
    env: &[(String, String)],
    available_cores: usize,
) -> Result<Config, ConfigError> {
    let mut c = Config {
        hashing_concurrency: available_cores.max(1),
        user_fields: fields::load(
            crate::schema::USER,
            file.user.as_mut().and_then(|u| u.additional_fields.take()),
        )?,
        session_fields: fields::load(
            crate::schema::SESSION,
            file.session
                .as_mut()
                .and_then(|s| s.additional_fields.take()),
        )?,
        ..Config::default()
    };
    let mut rate_limit_enabled: Option<bool> = None;
    let mut firebase = FirebaseSettings::default();

    if let Some(v) = file.production {
        c.production = v;
    }
    if let Some(v) = file.base_url {
        c.base_url = v;
    }
    if let Some(v) = file.base_path {
        c.base_path = v;
    }
    if let Some(v) = file.secret {
        c.secret = v;
    }
    if let Some(v) = file.trusted_origins {
        c.trusted_origins = v;
    }
    if let Some(v) = file.database_url {
        c.database_url = v;
    }
    if let Some(v) = file.listen {
        c.listen = v;
    }
    if let Some(v) = file.plugins {
        (c.plugins, c.plugin_names) = plugins_from(v.iter().map(String::as_str))?;
    }
    if let Some(v) = file.app_name {
        c.app_name = v;
    }
    if let Some(v) = file.cookie_prefix {
        c.cookie_prefix = v;
    }
    c.use_secure_cookies = file.use_secure_cookies;
    if let Some(v) = file.hashing_concurrency {
        c.hashing_concurrency = v;
    }
    c.outbox_path = file.outbox_path;
    c.webhook_url = file.webhook_url;
    c.phone_sign_up_on_verification = file.phone_sign_up_on_verification.unwrap_or(false);
    if let Some(s) = file.session {
        if let Some(v) = s.expires_in {
            c.session.expires_in = v;
        }
        if let Some(v) = s.update_age {
            c.session.update_age = v;
        }
        if let Some(v) = s.fresh_age {
            c.session.fresh_age = v;
        }
    }
    let require_email_verification = file
        .password
        .as_ref()
        .and_then(|p| p.require_email_verification);
    if let Some(p) = file.password {
        if let Some(v) = p.min_length {
            c.password.min_length = v;
        }
        if let Some(v) = p.max_length {
            c.password.max_length = v;
        }
        if let Some(v) = p.native {
            c.password.native = native_from(&v)?;
        }
        if let Some(v) = p.sign_up_enabled {
            c.password.sign_up_enabled = v;
        }
        if let Some(v) = p.enabled {
            c.password.enabled = v;
        }
        if let Some(f) = p.firebase {
            firebase.signer_key = f.signer_key;
            firebase.salt_separator = f.salt_separator;
            firebase.rounds = f.rounds.map(|n| n.to_string());
            firebase.mem_cost = f.mem_cost.map(|n| n.to_string());
        }
    }
    if let Some(social) = file.social {
        c.social = crate::social::providers_from(social)?;
    }
    if let Some(account) = file.account {
        c.account = crate::social::account_from(account);
    }
    c.organization = organization::load(file.organization)?;
    c.email_otp = passwordless::load_email_otp(file.email_otp)?;
    c.magic_link = passwordless::load_magic_link(file.magic_link)?;
    c.multi_session = passwordless::load_multi_session(file.multi_session)?;
    if let Some(r) = file.rate_limit {
        rate_limit_enabled = r.enabled;
        if let Some(v) = r.window {
            c.rate_limit.window = v;
        }
        if let Some(v) = r.max {
            c.rate_limit.max = v;
        }
        if let Some(v) = r.max_entries {
            c.rate_limit.max_entries = v;
        }
    }

    let get = |key: &str| {
        env.iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .filter(|v| !v.is_empty())
    };
    if let Some(v) = get("TESSERA_ENV").or_else(|| get("NODE_ENV")) {
        c.production = v == "production";
    }
    if let Some(v) = get("TESSERA_PRODUCTION") {
        c.production = parse_bool("TESSERA_PRODUCTION", &v)?;
    }
    if let Some(v) = get("TESSERA_BASE_URL").or_else(|| get("BETTER_AUTH_URL")) {
        c.base_url = v;
    }
    if let Some(v) = get("TESSERA_BASE_PATH") {
        c.base_path = v;
    }
    if let Some(v) = get("TESSERA_SECRET")
        .or_else(|| get("BETTER_AUTH_SECRET"))
        .or_else(|| get("AUTH_SECRET"))
    {
        c.secret = v;
    }
    if let Some(v) = get("BETTER_AUTH_SECRETS") {
        c.secrets = parse_versioned_secrets(&v)?;
    }
    for key in ["TESSERA_TRUSTED_ORIGINS", "BETTER_AUTH_TRUSTED_ORIGINS"] {
        if let Some(v) = get(key) {
            c.trusted_origins.extend(
                v.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned),
            );
        }
    }
    if let Some(v) = get("TESSERA_DATABASE_URL").or_else(|| get("DATABASE_URL")) {
        c.database_url = v;
    }
    if let Some(v) = get("TESSERA_LISTEN") {
        c.listen = v;
    }
    if let Some(v) = get("TESSERA_PLUGINS") {
        (c.plugins, c.plugin_names) = plugins_from(v.split(','))?;
    }
    if let Some(v) = get("TESSERA_RATE_LIMIT") {
        rate_limit_enabled = Some(parse_bool("TESSERA_RATE_LIMIT", &v)?);
    }
    if let Some(v) = get("TESSERA_RATE_LIMIT_MAX_ENTRIES") {
        c.rate_limit.max_entries = v.parse().map_err(|_| ConfigError::Invalid {
            key: "TESSERA_RATE_LIMIT_MAX_ENTRIES".into(),
            reason: "expected a whole number".into(),
        })?;
    }
    c.client_address = client_address::load(file.advanced, &get)?;
    if let Some(v) = get("TESSERA_HASHING_CONCURRENCY") {
        c.hashing_concurrency = v.parse().map_err(|_| ConfigError::Invalid {
            key: "TESSERA_HASHING_CONCURRENCY".into(),
            reason: "expected a whole number".into(),
        })?;
    }
    if let Some(v) = get("TESSERA_PASSWORD_FORMAT") {
        c.password.native = native_from(&v)?;
    }
    if let Some(v) = get("TESSERA_OUTBOX") {
        c.outbox_path = Some(v);
    }
    if let Some(v) = get("TESSERA_PHONE_SIGN_UP_ON_VERIFICATION") {
        c.phone_sign_up_on_verification = parse_bool("TESSERA_PHONE_SIGN_UP_ON_VERIFICATION", &v)?;
    }
    if let Some(v) = get("TESSERA_WEBHOOK_URL") {
        c.webhook_url = Some(v);
    }
    c.lifecycle = lifecycle::load(
        require_email_verification,
        file.email_verification,
        file.user,
        &get,
    )?;
    c.smtp = lifecycle::load_smtp(file.smtp, &get)?;
    for (key, field) in [
        ("TESSERA_FIREBASE_SIGNER_KEY", &mut firebase.signer_key),
        (
            "TESSERA_FIREBASE_SALT_SEPARATOR",
            &mut firebase.salt_separator,
        ),
        ("TESSERA_FIREBASE_ROUNDS", &mut firebase.rounds),
        ("TESSERA_FIREBASE_MEM_COST", &mut firebase.mem_cost),
    ] {
        if let Some(v) = get(key) {
            *field = Some(v);
        }
    }
    c.password.firebase = firebase.params()?;
    crate::social::merge_env(&mut c.social, get)?;
    c.rate_limit.enabled = rate_limit_enabled.unwrap_or(c.production);
    if let Some((_, current)) = c.secrets.first() {
        if c.secret != DEFAULT_SECRET {
            c.legacy_secret = Some(c.secret.clone());
        }
        c.secret = current.clone();
    }
    c.hashing_concurrency = c.hashing_concurrency.max(1);
    c.base_url = c.base_url.trim_end_matches('/').to_owned();
    c.validate()?;
    Ok(c)
}

impl Config {
    /// The fields a user row carries beyond the core columns: the enabled plugins', then the
    /// configured ones, in schema order.
    pub fn user_columns(&self) -> Vec<std::sync::Arc<crate::schema::Column>> {
        crate::plugins::user_fields(self.plugins)
            .cloned()
            .chain(self.user_fields.iter().cloned())
            .collect()
    }

    /// The same for a session row.
    pub fn session_columns(&self) -> Vec<std::sync::Arc<crate::schema::Column>> {
        crate::plugins::session_fields(self.plugins, self.organization.schema_options())
            .cloned()
            .chain(self.session_fields.iter().cloned())
            .collect()
    }

    /// The database schema this configuration describes: the enabled plugins' tables and columns
    /// and the configured additional fields.
    pub fn schema(&self) -> crate::schema::Schema {
        crate::schema::Schema {
            plugins: self.plugins,
            user_fields: self.user_fields.clone(),
            session_fields: self.session_fields.clone(),
            extra_tables: Vec::new(),
            organization: self.organization.schema_options(),
        }
    }

    /// The checks that make a configuration safe to serve with.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if url::Url::parse(&self.base_url).is_err() {
            return Err(ConfigError::Invalid {
                key: "base_url".into(),
                reason: format!("not an absolute URL: {}", self.base_url),
            });
        }
        if !self.base_path.starts_with('/') || self.base_path.ends_with('/') {
            return Err(ConfigError::Invalid {
                key: "base_path".into(),
                reason: "must start with '/' and not end with one".into(),
            });
        }
        if self.password.min_length == 0 || self.password.min_length > self.password.max_length {
            return Err(ConfigError::Invalid {
                key: "password".into(),
                reason: "min_length must be at least 1 and at most max_length".into(),
            });
        }
        if self.rate_limit.max_entries == 0 {
            return Err(ConfigError::Invalid {
                key: "rate_limit.max_entries".into(),
                reason: "must be at least 1".into(),
            });
        }
        if self.production {
            if self.secret == DEFAULT_SECRET {
                return Err(ConfigError::WeakSecret("the default secret"));
            }
            if self.secret.chars().count() < MIN_SECRET_LEN {
                return Err(ConfigError::WeakSecret(
                    "a secret shorter than 32 characters",
                ));
            }
        }
        Ok(())
    }

    /// The keys for symmetric encryption (two-factor secrets, backup codes): the versioned
    /// `BETTER_AUTH_SECRETS` when set (the legacy single secret still reads bare values), else the
    /// one secret.
    pub fn encryption_secrets(&self) -> Result<crate::crypto::symmetric::Secrets, ConfigError> {
        use crate::crypto::symmetric::Secrets;
        if self.secrets.is_empty() {
            return Ok(Secrets::single(self.secret.clone()));
        }
        let keys = self
            .secrets
            .iter()
            .map(|(v, s)| (u64::from(*v), s.clone()))
            .collect();
        Secrets::versioned(keys, self.legacy_secret.clone()).map_err(|e| ConfigError::Invalid {
            key: "BETTER_AUTH_SECRETS".into(),
            reason: e.to_string(),
        })
    }

    /// What verifying imported password formats needs from the configuration.
    pub fn verify_context(&self) -> VerifyContext {
        VerifyContext {
            firebase: self.password.firebase.clone(),
            ..VerifyContext::default()
        }
    }

    /// The origin of `base_url` (`scheme://host[:port]`), always trusted.
    pub fn base_origin(&self) -> String {
        url::Url::parse(&self.base_url)
            .map(|u| u.origin().ascii_serialization())
            .unwrap_or_else(|_| self.base_url.clone())
    }

    /// The enabled plugins' ids in hook order: as the config names them, then any enabled another
    /// way (a test or an embedding app setting `plugins` directly) in the reference order.
    pub fn plugin_order(&self) -> Vec<&'static str> {
        let enabled: Vec<&'static str> = self.plugins.enabled_ids().collect();
        let mut order: Vec<&'static str> = self
            .plugin_names
            .iter()
            .copied()
            .filter(|id| enabled.contains(id))
            .collect();
        for id in enabled {
            if !order.contains(&id) {
                order.push(id);
            }
        }
        order
    }

    /// `__Secure-` cookies: forced by config, else exactly when the base URL is https. (Better
    /// Auth consults production mode only when it has no base URL, which Tessera always has.)
    pub fn secure_cookies(&self) -> bool {
        self.use_secure_cookies
            .unwrap_or(self.base_url.starts_with("https://"))
    }
}

fn plugins_from<'a>(
    names: impl IntoIterator<Item = &'a str>,
) -> Result<(Plugins, Vec<&'static str>), ConfigError> {
    let ids = crate::plugins::ids_in_order(names).map_err(|name| ConfigError::Invalid {
        key: "plugins".into(),
        reason: format!(
            "unknown plugin {name:?} (known: admin, two-factor, username, phone-number, organization, email-otp, magic-link, multi-session)"
        ),
    })?;
    let plugins =
        Plugins::from_names(ids.iter().copied()).map_err(|name| ConfigError::Invalid {
            key: "plugins".into(),
            reason: format!("unknown plugin {name:?}"),
        })?;
    Ok((plugins, ids))
}

/// The Firebase parameters as given (file, then environment), checked together: all or nothing.
#[derive(Default)]
struct FirebaseSettings {
    signer_key: Option<String>,
    salt_separator: Option<String>,
    rounds: Option<String>,
    mem_cost: Option<String>,
}

impl FirebaseSettings {
    fn params(self) -> Result<Option<FirebaseParams>, ConfigError> {
        let invalid = |reason: String| ConfigError::Invalid {
            key: "password.firebase".into(),
            reason,
        };
        let FirebaseSettings {
            signer_key,
            salt_separator,
            rounds,
            mem_cost,
        } = self;
        let (signer_key, rounds, mem_cost) = match (signer_key, rounds, mem_cost) {
            (None, None, None) if salt_separator.is_none() => return Ok(None),
            (Some(k), Some(r), Some(m)) => (k, r, m),
            _ => {
                return Err(invalid(
                    "signer_key, rounds and mem_cost are all needed (salt_separator may be empty)"
                        .into(),
                ));
            }
        };
        let number = |name: &str, v: &str| {
            v.trim()
                .parse::<u32>()
                .map_err(|_| invalid(format!("{name} must be a whole number")))
        };
        let (rounds, mem_cost) = (number("rounds", &rounds)?, number("mem_cost", &mem_cost)?);
        FirebaseParams::from_base64(
            &signer_key,
            salt_separator.as_deref().unwrap_or(""),
            rounds,
            mem_cost,
        )
        .map(Some)
        .map_err(|reason| invalid(format!("signer_key or salt_separator: {reason}")))
    }
}

fn native_from(v: &str) -> Result<NativePasswordFormat, ConfigError> {
    match v {
        "scrypt" | "better-auth" | "better-auth-scrypt" => {
            Ok(NativePasswordFormat::BetterAuthScrypt)
        }
        "argon2id" => Ok(NativePasswordFormat::Argon2id),
        other => Err(ConfigError::Invalid {
            key: "password.native".into(),
            reason: format!("unknown format {other:?} (known: scrypt, argon2id)"),
        }),
    }
}

fn parse_bool(key: &str, v: &str) -> Result<bool, ConfigError> {
    match v.to_ascii_lowercase().as_str() {
        "1" | "true" | "on" | "yes" => Ok(true),
        "0" | "false" | "off" | "no" => Ok(false),
        _ => Err(ConfigError::Invalid {
            key: key.into(),
            reason: format!("expected on/off, got {v:?}"),
        }),
    }
}

/// `BETTER_AUTH_SECRETS="2:newSecret,1:oldSecret"`: first entry is current.
fn parse_versioned_secrets(v: &str) -> Result<Vec<(u32, String)>, ConfigError> {
    v.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|entry| {
            let (version, secret) = entry.split_once(':').ok_or_else(|| ConfigError::Invalid {
                key: "BETTER_AUTH_SECRETS".into(),
                reason: "each entry must be <version>:<secret>".into(),
            })?;
            let version = version.parse().map_err(|_| ConfigError::Invalid {
                key: "BETTER_AUTH_SECRETS".into(),
                reason: "a version must be a whole number".into(),
            })?;
            Ok((version, secret.to_owned()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn defaults_are_better_auths() {
        let c = load(FileConfig::default(), &[], 2).unwrap();
        assert_eq!(c.session, SessionConfig::default());
        assert_eq!(c.session.expires_in, 7 * 86_400);
        assert_eq!((c.password.min_length, c.password.max_length), (8, 128));
        assert!(!c.rate_limit.enabled);
        assert_eq!(c.base_path, "/api/auth");
    }

    #[test]
    fn production_refuses_default_and_short_secrets() {
        let err = load(
            FileConfig::default(),
            &env(&[("TESSERA_ENV", "production")]),
            2,
        )
        .unwrap_err();
        assert_eq!(err, ConfigError::WeakSecret("the default secret"));
        let err = load(
            FileConfig::default(),
            &env(&[("NODE_ENV", "production"), ("BETTER_AUTH_SECRET", "short")]),
            2,
        )
        .unwrap_err();
        assert_eq!(
            err,
            ConfigError::WeakSecret("a secret shorter than 32 characters")
        );
        let ok = load(
            FileConfig::default(),
            &env(&[
                ("NODE_ENV", "production"),
                ("BETTER_AUTH_SECRET", "0123456789abcdef0123456789abcdef"),
            ]),
            2,
        )
        .unwrap();
        assert!(ok.rate_limit.enabled, "production turns the limiter on");
    }

    #[test]
    fn environment_wins_over_file() {
        let file = r#"{"base_url":"http://file.example","plugins":["admin"],"rate_limit":{"enabled":true}}"#;
        let c = load(
            serde_json::from_str(file).unwrap(),
            &env(&[
                ("BETTER_AUTH_URL", "https://env.example/"),
                ("TESSERA_PLUGINS", "two-factor,username"),
                ("TESSERA_RATE_LIMIT", "off"),
            ]),
            2,
        )
        .unwrap();
        assert_eq!(c.base_url, "https://env.example");
        assert!(c.plugins.two_factor && c.plugins.username && !c.plugins.admin);
        assert!(!c.rate_limit.enabled);
        assert!(c.secure_cookies());
    }

    /// The firebase/scrypt README's project (clerk-export.md §3.3).
    const FIREBASE_SIGNER: &str =
        "jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==";

    #[test]
    fn firebase_parameters_come_from_the_file_or_the_environment() {
        let file = format!(
            r#"{{"password":{{"firebase":{{"signer_key":"{FIREBASE_SIGNER}","salt_separator":"Bw==","rounds":8,"mem_cost":14}}}}}}"#
        );
        let c = load(serde_json::from_str(&file).unwrap(), &[], 2).unwrap();
        let expected = FirebaseParams::from_base64(FIREBASE_SIGNER, "Bw==", 8, 14).unwrap();
        assert_eq!(c.password.firebase.as_ref(), Some(&expected));
        assert_eq!(c.verify_context().firebase, Some(expected.clone()));

        let c = load(
            FileConfig::default(),
            &env(&[
                ("TESSERA_FIREBASE_SIGNER_KEY", FIREBASE_SIGNER),
                ("TESSERA_FIREBASE_SALT_SEPARATOR", "Bw=="),
                ("TESSERA_FIREBASE_ROUNDS", "8"),
                ("TESSERA_FIREBASE_MEM_COST", "14"),
            ]),
            2,
        )
        .unwrap();
        assert_eq!(c.password.firebase, Some(expected));
        assert_eq!(
            load(FileConfig::default(), &[], 2)
                .unwrap()
                .password
                .firebase,
            None
        );
    }

    #[test]
    fn partial_or_unreadable_firebase_parameters_are_refused() {
        let partial = load(
            FileConfig::default(),
            &env(&[("TESSERA_FIREBASE_SIGNER_KEY", FIREBASE_SIGNER)]),
            2,
        );
        assert!(
            matches!(partial, Err(ConfigError::Invalid { ref key, .. }) if key == "password.firebase"),
            "{partial:?}"
        );
        let not_base64 = load(
            FileConfig::default(),
            &env(&[
                ("TESSERA_FIREBASE_SIGNER_KEY", "not base64!"),
                ("TESSERA_FIREBASE_ROUNDS", "8"),
                ("TESSERA_FIREBASE_MEM_COST", "14"),
            ]),
            2,
        );
        assert!(not_base64.is_err());
        let not_a_number = load(
            FileConfig::default(),
            &env(&[
                ("TESSERA_FIREBASE_SIGNER_KEY", FIREBASE_SIGNER),
                ("TESSERA_FIREBASE_ROUNDS", "eight"),
                ("TESSERA_FIREBASE_MEM_COST", "14"),
            ]),
            2,
        );
        assert!(not_a_number.is_err());
    }

    #[test]
    fn versioned_secrets_make_the_first_current() {
        let c = load(
            FileConfig::default(),
            &env(&[("BETTER_AUTH_SECRETS", "2:new-secret,1:old-secret")]),
            2,
        )
        .unwrap();
        assert_eq!(c.secret, "new-secret");
        assert_eq!(c.secrets.len(), 2);
    }

    #[test]
    fn unknown_plugin_and_key_are_errors() {
        // `organization` was the unknown name here until the plugin became known; `passkey` is
        // a Better Auth plugin Tessera does not have.
        assert!(
            load(
                FileConfig::default(),
                &env(&[("TESSERA_PLUGINS", "passkey")]),
                2
            )
            .is_err()
        );
        assert!(serde_json::from_str::<FileConfig>(r#"{"bogus":1}"#).is_err());
    }

    #[test]
    fn the_organization_plugin_and_its_table_shape_the_schema() {
        let c = load(
            FileConfig::default(),
            &env(&[("TESSERA_PLUGINS", "admin,organization")]),
            2,
        )
        .unwrap();
        assert!(c.plugins.organization && c.plugins.admin);
        assert_eq!(c.plugin_order(), ["admin", "organization"]);
        let session: Vec<_> = c
            .session_columns()
            .iter()
            .map(|col| col.name.to_string())
            .collect();
        assert_eq!(session, ["impersonatedBy", "activeOrganizationId"]);

        let file = r#"{"plugins":["organization"],"organization":{"teams":{"enabled":true},"dynamic_access_control":{"enabled":true}}}"#;
        let c = load(serde_json::from_str(file).unwrap(), &[], 2).unwrap();
        let schema = c.schema();
        assert_eq!(
            schema.organization,
            crate::plugins::organization::OrganizationOptions::ALL
        );
        let tables: Vec<_> = schema.tables().iter().map(|t| t.name).collect();
        assert_eq!(
            tables,
            [
                "user",
                "session",
                "account",
                "verification",
                "organization",
                "organizationRole",
                "team",
                "teamMember",
                "member",
                "invitation"
            ]
        );
        let session: Vec<_> = c
            .session_columns()
            .iter()
            .map(|col| col.name.to_string())
            .collect();
        assert_eq!(session, ["activeOrganizationId", "activeTeamId"]);

        let err =
            serde_json::from_str::<FileConfig>(r#"{"organization":{"teams":{"enabld":true}}}"#)
                .unwrap_err();
        assert!(err.to_string().contains("enabld"), "{err}");
    }
}
