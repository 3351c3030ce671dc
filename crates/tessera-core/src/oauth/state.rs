//! The OAuth state Better Auth keeps between sign-in and callback: a `verification` row
//! `auth-state:<state>` whose value is this JSON, in this key order, with undefined keys left out:
//! `{…additionalData, callbackURL, codeVerifier, errorURL?, newUserURL?, link?, expiresAt,
//! requestSignUp?, idTokenNonce?, oauthState}`.

use serde_json::{Map, Value};

/// Lifetime of the state row and of `expiresAt` inside it (10 minutes).
pub const STATE_TTL_SECS: i64 = 600;
/// Max-Age of the signed `state` cookie.
pub const STATE_COOKIE_MAX_AGE: i64 = 300;

/// `auth-state:<state>`.
#[must_use]
pub fn identifier(state: &str) -> String {
    format!("auth-state:{state}")
}

/// A link-social flow: the user the provider account is linked to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub user_id: String,
    pub email: String,
    /// The starting session's token, encrypted with the `oauth-link-session-token` purpose key.
    pub encrypted_session_token: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StateData {
    /// Client-supplied `additionalData`: kept and returned, never trusted.
    pub additional: Map<String, Value>,
    pub callback_url: String,
    pub code_verifier: String,
    pub error_url: Option<String>,
    pub new_user_url: Option<String>,
    pub link: Option<Link>,
    /// Epoch milliseconds.
    pub expires_at: i64,
    pub request_sign_up: Option<bool>,
    pub id_token_nonce: Option<String>,
    pub oauth_state: Option<String>,
}

const INTERNAL_KEYS: [&str; 10] = [
    "callbackURL",
    "codeVerifier",
    "errorURL",
    "newUserURL",
    "link",
    "serverContext",
    "expiresAt",
    "requestSignUp",
    "idTokenNonce",
    "oauthState",
];

impl StateData {
    #[must_use]
    pub fn to_json(&self) -> String {
        let mut m: Map<String, Value> = self
            .additional
            .iter()
            .filter(|(k, _)| !INTERNAL_KEYS.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        m.insert("callbackURL".into(), self.callback_url.clone().into());
        m.insert("codeVerifier".into(), self.code_verifier.clone().into());
        if let Some(v) = &self.error_url {
            m.insert("errorURL".into(), v.clone().into());
        }
        if let Some(v) = &self.new_user_url {
            m.insert("newUserURL".into(), v.clone().into());
        }
        if let Some(link) = &self.link {
            let mut l = Map::new();
            l.insert("userId".into(), link.user_id.clone().into());
            l.insert("email".into(), link.email.clone().into());
            if let Some(t) = &link.encrypted_session_token {
                l.insert("encryptedSessionToken".into(), t.clone().into());
            }
            m.insert("link".into(), Value::Object(l));
        }
        m.insert("expiresAt".into(), self.expires_at.into());
        if let Some(v) = self.request_sign_up {
            m.insert("requestSignUp".into(), v.into());
        }
        if let Some(v) = &self.id_token_nonce {
            m.insert("idTokenNonce".into(), v.clone().into());
        }
        if let Some(v) = &self.oauth_state {
            m.insert("oauthState".into(), v.clone().into());
        }
        Value::Object(m).to_string()
    }

    /// Reads a stored value as Better Auth's state schema does; `None` when it does not fit.
    #[must_use]
    pub fn parse(json: &str) -> Option<StateData> {
        let Value::Object(mut m) = serde_json::from_str::<Value>(json).ok()? else {
            return None;
        };
        let string = |m: &Map<String, Value>, k: &str| -> Result<Option<String>, ()> {
            match m.get(k) {
                None => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(()),
            }
        };
        let callback_url = string(&m, "callbackURL").ok()??;
        let code_verifier = string(&m, "codeVerifier").ok()??;
        let error_url = string(&m, "errorURL").ok()?;
        let new_user_url = string(&m, "newUserURL").ok()?;
        let id_token_nonce = string(&m, "idTokenNonce").ok()?;
        let oauth_state = string(&m, "oauthState").ok()?;
        let expires_at = m.get("expiresAt")?.as_f64()? as i64;
        let request_sign_up = match m.get("requestSignUp") {
            None => None,
            Some(Value::Bool(b)) => Some(*b),
            Some(_) => return None,
        };
        let link = match m.get("link") {
            None => None,
            Some(Value::Object(l)) => Some(Link {
                email: l.get("email")?.as_str()?.to_owned(),
                // zod coerces the user id to a string.
                user_id: match l.get("userId")? {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                },
                encrypted_session_token: match l.get("encryptedSessionToken") {
                    None => None,
                    Some(Value::String(s)) => Some(s.clone()),
                    Some(_) => return None,
                },
            }),
            Some(_) => return None,
        };
        for k in INTERNAL_KEYS {
            m.remove(k);
        }
        Some(StateData {
            additional: m,
            callback_url,
            code_verifier,
            error_url,
            new_user_url,
            link,
            expires_at,
            request_sign_up,
            id_token_nonce,
            oauth_state,
        })
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

    fn sample() -> StateData {
        let mut additional = Map::new();
        additional.insert("plan".into(), "pro".into());
        StateData {
            additional,
            callback_url: "/dashboard".into(),
            code_verifier: "v".repeat(128),
            error_url: Some("/oops".into()),
            new_user_url: None,
            link: None,
            expires_at: 1_795_808_600_000,
            request_sign_up: None,
            id_token_nonce: None,
            oauth_state: Some("s".repeat(32)),
        }
    }

    #[test]
    fn serialises_in_better_auths_key_order_without_undefined_keys() {
        let json = sample().to_json();
        assert_eq!(
            json,
            format!(
                r#"{{"plan":"pro","callbackURL":"/dashboard","codeVerifier":"{}","errorURL":"/oops","expiresAt":1795808600000,"oauthState":"{}"}}"#,
                "v".repeat(128),
                "s".repeat(32)
            )
        );
        assert_eq!(StateData::parse(&json), Some(sample()));
    }

    #[test]
    fn links_round_trip_and_client_data_cannot_override_internal_keys() {
        let mut s = sample();
        s.additional
            .insert("callbackURL".into(), "https://evil".into());
        s.link = Some(Link {
            user_id: "u1".into(),
            email: "a@b.co".into(),
            encrypted_session_token: Some("abcd".into()),
        });
        let parsed = StateData::parse(&s.to_json()).unwrap();
        assert_eq!(parsed.callback_url, "/dashboard");
        assert_eq!(parsed.link, s.link);
        assert!(!parsed.additional.contains_key("callbackURL"));
    }

    #[test]
    fn refuses_what_the_schema_refuses() {
        assert_eq!(StateData::parse("[]"), None);
        assert_eq!(
            StateData::parse(r#"{"callbackURL":"/","expiresAt":1}"#),
            None
        );
        assert_eq!(
            StateData::parse(r#"{"callbackURL":"/","codeVerifier":"x","expiresAt":"1"}"#),
            None
        );
    }
}
