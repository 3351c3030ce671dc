//! Talking to social providers: the configured providers (named ones from Better Auth's built-in
//! set, generic OpenID Connect ones by discovery), their authorization URLs, code exchange, token
//! refresh, profiles and ID-token verification, over one rustls HTTP client.

mod http;
mod named;
mod provider;

pub use provider::{Provider, RESERVED_PARAMS, Tokens, UserInfo};

use std::sync::Arc;

use tessera_core::config::Config;

/// Every configured provider, by id.
pub struct Registry {
    providers: Vec<Arc<Provider>>,
}

impl Registry {
    pub fn from_config(config: &Config) -> Result<Registry, String> {
        let http = http::Http::new()?;
        let providers = config
            .social
            .iter()
            .map(|c| Provider::new(c.clone(), http.clone()).map(Arc::new))
            .collect::<Result<Vec<_>, String>>()?;
        Ok(Registry { providers })
    }

    pub fn get(&self, id: &str) -> Option<Arc<Provider>> {
        self.providers.iter().find(|p| p.id() == id).cloned()
    }
}
