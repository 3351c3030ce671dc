//! The two-factor plugin's share of the flows: `twoFactorEnabled` false on a new user, and the
//! challenge that replaces a session after a right password.

use async_trait::async_trait;
use axum::Router;
use axum::http::HeaderMap;
use tessera_core::model::User;

use crate::error::ApiError;
use crate::plugins::{Gate, Plugin};
use crate::rate_limit::{Rule, STRICT};
use crate::state::AppState;

pub const ID: &str = tessera_core::plugins::TWO_FACTOR;

pub struct TwoFactorPlugin;

#[async_trait]
impl Plugin for TwoFactorPlugin {
    fn id(&self) -> &'static str {
        ID
    }

    fn router(&self) -> Router<AppState> {
        super::router()
    }

    fn rate_limit_rule(&self, route: &str) -> Option<Rule> {
        route.starts_with("/two-factor/").then_some(STRICT)
    }

    async fn after_first_factor(
        &self,
        state: &AppState,
        user: &User,
        dont_remember: bool,
        headers: &HeaderMap,
    ) -> Result<Gate, ApiError> {
        super::sign_in_gate(state, user, dont_remember, headers).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_two_factor_route_is_strictly_limited() {
        let plugin = TwoFactorPlugin;
        assert_eq!(
            plugin.rate_limit_rule("/two-factor/verify-totp"),
            Some(STRICT)
        );
        assert_eq!(plugin.rate_limit_rule("/get-session"), None);
    }
}
