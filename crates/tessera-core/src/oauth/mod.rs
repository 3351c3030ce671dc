//! Social sign-in's pure rules (reference §3.7): PKCE and the OAuth state as Better Auth writes
//! them, the purpose keys of its OAuth ciphertexts, tokens as stored on account rows, scopes, and
//! ID-token verification (signature, issuer, audience, lifetime, nonce).

pub mod id_token;
pub mod state;
pub mod tokens;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::crypto::random::{self, Alphabet};

/// `state` is `generateRandomString(32)`; the PKCE verifier `generateRandomString(128)`, both in
/// the default alphabet `a-z0-9A-Z-_`.
pub const STATE_LENGTH: usize = 32;
pub const CODE_VERIFIER_LENGTH: usize = 128;
/// The OIDC nonce of flows that bind the ID token to the redirect (`generateRandomString(32)`).
pub const NONCE_LENGTH: usize = 32;

const DEFAULT: [Alphabet; 0] = [];

#[must_use]
pub fn generate_state() -> String {
    random::generate_random_string(STATE_LENGTH, &DEFAULT)
}

#[must_use]
pub fn generate_code_verifier() -> String {
    random::generate_random_string(CODE_VERIFIER_LENGTH, &DEFAULT)
}

#[must_use]
pub fn generate_nonce() -> String {
    random::generate_random_string(NONCE_LENGTH, &DEFAULT)
}

/// PKCE S256: `base64url-nopad(SHA-256(verifier))` (RFC 7636 §4.2).
#[must_use]
pub fn code_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// Better Auth's `derivePurposeKey`: `hex(HKDF-SHA256(ikm = secret, salt =
/// "better-auth:oauth-encryption:v1", info = "better-auth:<purpose>:v1", 32 bytes))`, used as the
/// key string of `symmetricEncrypt` (which SHA-256s it again).
#[must_use]
pub fn purpose_key(secret: &str, purpose: &str) -> String {
    const SALT: &[u8] = b"better-auth:oauth-encryption:v1";
    // HKDF-Extract, then one block of HKDF-Expand: 32 bytes are exactly one SHA-256 output.
    let prk = hmac_sha256(SALT, secret.as_bytes());
    let info = format!("better-auth:{purpose}:v1");
    let mut block = info.into_bytes();
    block.push(1);
    hex::encode(hmac_sha256(&prk, &block))
}

fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
        // HMAC takes keys of any length; this branch cannot be reached.
        return [0; 32];
    };
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// A provider's `scope` token-response field: a space-separated string (RFC 6749 §3.3) or, from
/// some providers, an array.
#[must_use]
pub fn parse_scope_field(scope: Option<&serde_json::Value>) -> Vec<String> {
    match scope {
        Some(serde_json::Value::String(s)) => s.split_whitespace().map(str::to_owned).collect(),
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str())
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

/// The stored (comma-joined) scopes as a list, as list-accounts answers them.
#[must_use]
pub fn stored_scopes(scope: Option<&str>) -> Vec<String> {
    scope
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The union of stored and new scopes, stored order first, without duplicates (`mergeScopes`).
#[must_use]
pub fn merge_scopes(stored: Option<&str>, incoming: &[String]) -> String {
    let mut out: Vec<String> = Vec::new();
    for s in stored_scopes(stored)
        .into_iter()
        .chain(incoming.iter().map(|s| s.trim().to_owned()))
    {
        if !s.is_empty() && !out.contains(&s) {
            out.push(s);
        }
    }
    out.join(",")
}

/// `parseStringBoolean`: `true`/`false` or their exact string forms; anything else is unknown.
#[must_use]
pub fn parse_string_boolean(v: Option<&serde_json::Value>) -> Option<bool> {
    match v {
        Some(serde_json::Value::Bool(b)) => Some(*b),
        Some(serde_json::Value::String(s)) if s == "true" => Some(true),
        Some(serde_json::Value::String(s)) if s == "false" => Some(false),
        _ => None,
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

    #[test]
    fn pkce_challenge_matches_rfc_7636_appendix_b() {
        assert_eq!(
            code_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn generated_values_have_better_auths_lengths_and_alphabet() {
        let ok = |s: &str| {
            s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        };
        let state = generate_state();
        let verifier = generate_code_verifier();
        assert_eq!(state.len(), 32);
        assert_eq!(verifier.len(), 128);
        assert!(ok(&state) && ok(&verifier));
    }

    #[test]
    fn purpose_key_is_rfc_5869_hkdf() {
        // RFC 5869 test case 1 uses binary inputs; this checks our one-block expand against an
        // independent two-step computation with the same primitives.
        let prk = hmac_sha256(b"better-auth:oauth-encryption:v1", b"secret");
        let okm = hmac_sha256(&prk, b"better-auth:oauth-state-cookie:v1\x01");
        assert_eq!(
            purpose_key("secret", "oauth-state-cookie"),
            hex::encode(okm)
        );
        assert_eq!(purpose_key("secret", "oauth-state-cookie").len(), 64);
        assert_ne!(
            purpose_key("secret", "oauth-state-cookie"),
            purpose_key("secret", "oauth-link-session-token")
        );
    }

    #[test]
    fn scopes_parse_store_and_merge_like_better_auth() {
        let v = serde_json::json!("read:user  user:email");
        assert_eq!(parse_scope_field(Some(&v)), vec!["read:user", "user:email"]);
        let a = serde_json::json!(["a", " b ", 3, ""]);
        assert_eq!(parse_scope_field(Some(&a)), vec!["a", "b"]);
        assert_eq!(stored_scopes(Some("a, b,,c")), vec!["a", "b", "c"]);
        assert_eq!(
            merge_scopes(Some("a,b"), &["b".into(), "c".into()]),
            "a,b,c"
        );
        assert_eq!(merge_scopes(None, &[]), "");
    }
}
