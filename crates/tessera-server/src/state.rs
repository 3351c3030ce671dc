//! What every handler shares: config, store, hasher, cookie names, trusted origins, rate limiter.

use std::sync::Arc;

use tessera_core::config::Config;
use tessera_core::crypto::symmetric::Secrets;
use tessera_core::plugins::Plugins;
use tessera_store::Store;

use crate::cookies::CookieNames;
use crate::delivery::Sender;
use crate::hashing::Hasher;
use crate::origin::TrustedOrigins;
use crate::plugins::{Plugin, Registry};
use crate::rate_limit::{MemoryRateLimit, RateLimitStore, Rule};

#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub config: Config,
    pub store: Arc<dyn Store>,
    pub hasher: Hasher,
    pub cookies: CookieNames,
    pub trusted: TrustedOrigins,
    pub rate_limit: Arc<dyn RateLimitStore>,
    pub default_rule: Rule,
    /// Where OTPs and emails go; `None` when nothing is configured (flows that need it say so).
    pub sender: Option<Arc<dyn Sender>>,
    /// The auth secret(s) for symmetric encryption (two-factor secrets, backup codes).
    pub secrets: Secrets,
    /// The configured social sign-in providers.
    pub social: crate::social::Registry,
    /// The enabled plugins, in config order: what every flow's hook points call.
    pub registry: Registry,
    /// The plugins' own state, by type ([`crate::plugins::Plugin::state`]).
    pub extensions: axum::http::Extensions,
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    /// Builds the state with the in-memory rate limiter.
    pub fn new(config: Config, store: Arc<dyn Store>) -> Result<AppState, String> {
        let limiter = MemoryRateLimit::with_capacity(config.rate_limit.max_entries);
        AppState::with_rate_limit(config, store, Arc::new(limiter))
    }

    /// Builds the state with plugins of the caller's own after the configured ones (an embedding
    /// app's, or a test's): each is one `Plugin` value, and nothing under `src/` names it.
    /// Their columns on `user` and `session` must be in the schema `store` was opened with
    /// ([`Registry::adopt_fields`] on the config first).
    pub fn with_plugins(
        mut config: Config,
        store: Arc<dyn Store>,
        plugins: Vec<Arc<dyn Plugin>>,
    ) -> Result<AppState, String> {
        Registry::adopt_fields(&mut config, &plugins);
        let limiter = MemoryRateLimit::with_capacity(config.rate_limit.max_entries);
        AppState::build(config, store, Arc::new(limiter), plugins)
    }

    pub fn with_rate_limit(
        config: Config,
        store: Arc<dyn Store>,
        rate_limit: Arc<dyn RateLimitStore>,
    ) -> Result<AppState, String> {
        AppState::build(config, store, rate_limit, Vec::new())
    }

    fn build(
        config: Config,
        store: Arc<dyn Store>,
        rate_limit: Arc<dyn RateLimitStore>,
        own_plugins: Vec<Arc<dyn Plugin>>,
    ) -> Result<AppState, String> {
        let hasher = Hasher::new(config.hashing_concurrency, &config.password.native)?
            .with_verify_context(config.verify_context());
        let cookies = CookieNames::new(&config.cookie_prefix, config.secure_cookies());
        let trusted = TrustedOrigins::new(config.base_origin(), &config.trusted_origins);
        let sender = crate::delivery::from_config(&config)?;
        let secrets = config.encryption_secrets().map_err(|e| e.to_string())?;
        let social = crate::social::Registry::from_config(&config)?;
        let registry = own_plugins
            .into_iter()
            .fold(Registry::from_config(&config), Registry::with);
        let extensions = registry.extensions(&config);
        let default_rule = Rule {
            window: config.rate_limit.window,
            max: config.rate_limit.max,
        };
        Ok(AppState(Arc::new(Inner {
            config,
            store,
            hasher,
            cookies,
            trusted,
            rate_limit,
            default_rule,
            sender,
            secrets,
            social,
            registry,
            extensions,
        })))
    }

    pub fn plugins(&self) -> Plugins {
        self.config.plugins
    }
}
