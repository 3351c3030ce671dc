//! The organization plugin's registration. Its tables and session fields are in
//! the core schema (`tessera_core::plugins::organization`), so neither `Plugin::tables` nor
//! `Plugin::session_fields` repeats them: declaring them twice would make the store refuse the
//! schema ("table organization is declared twice").

use std::sync::Arc;

use async_trait::async_trait;
use axum::Router;
use tessera_core::config::Config;

use super::member_counts::MemberCounts;

use crate::plugins::Plugin;
use crate::state::AppState;

pub const ID: &str = tessera_core::plugins::ORGANIZATION;

pub struct OrganizationPlugin;

#[async_trait]
impl Plugin for OrganizationPlugin {
    fn id(&self) -> &'static str {
        ID
    }

    fn router(&self) -> Router<AppState> {
        super::router()
    }

    fn state(&self, _config: &Config, extensions: &mut axum::http::Extensions) {
        extensions.insert(Arc::new(MemberCounts::default()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn its_id_is_better_auths() {
        assert_eq!(OrganizationPlugin.id(), "organization");
        assert!(OrganizationPlugin.tables().is_empty());
        assert!(OrganizationPlugin.session_fields().is_empty());
    }
}
