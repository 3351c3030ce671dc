//! The HS256 JWTs of email verification and change-email links (reference §3.2), as Better Auth
//! signs them with `jose` and checks them with `jwtVerify(token, secret, {algorithms: ["HS256"]})`.
//!
//! Header exactly `{"alg":"HS256"}`, key = UTF-8 bytes of the auth secret, claims followed by
//! `iat` and `exp`. Checks in jose's order: shape, algorithm, signature, then claims, so a forged
//! token is [`JwtError::BadSignature`] even when it is also expired; the server answers
//! [`JwtError::Expired`] with `TOKEN_EXPIRED` and every other error with `INVALID_TOKEN`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde_json::{Map, Value};
use sha2::Sha256;

use super::ct::constant_time_eq;

/// The encoded protected header: `{"alg":"HS256"}`.
const HEADER_B64: &str = "eyJhbGciOiJIUzI1NiJ9";

/// Claims of a JWT: a JSON object, keys in insertion order.
pub type Claims = Map<String, Value>;

/// Why a token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwtError {
    #[error("token is not a compact JWS")]
    Malformed,
    #[error("token is not HS256")]
    UnsupportedAlgorithm,
    #[error("token signature does not verify")]
    BadSignature,
    #[error("token claims are invalid")]
    InvalidClaims,
    #[error("token is not yet valid")]
    NotYetValid,
    #[error("token has expired")]
    Expired,
}

fn mac(secret: &str, signing_input: &str) -> [u8; 32] {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return [0; 32];
    };
    mac.update(signing_input.as_bytes());
    mac.finalize().into_bytes().into()
}

/// Better Auth's `signJWT(claims, secret, expires_in)` at time `now` (Unix seconds): `iat = now`
/// and `exp = now + expires_in` are set after the given claims.
#[must_use]
pub fn sign_hs256(secret: &str, mut claims: Claims, now: u64, expires_in: u64) -> String {
    claims.insert("iat".to_owned(), Value::from(now));
    claims.insert(
        "exp".to_owned(),
        Value::from(now.saturating_add(expires_in)),
    );
    let payload = URL_SAFE_NO_PAD.encode(Value::Object(claims).to_string());
    let signing_input = format!("{HEADER_B64}.{payload}");
    let signature = URL_SAFE_NO_PAD.encode(mac(secret, &signing_input));
    format!("{signing_input}.{signature}")
}

/// The claims of a valid token at time `now` (Unix seconds). `exp` is optional, as in jose; when
/// present the token is expired from the second `exp` on.
pub fn verify_hs256(secret: &str, token: &str, now: u64) -> Result<Claims, JwtError> {
    let mut parts = token.split('.');
    let (Some(header_b64), Some(payload_b64), Some(signature_b64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwtError::Malformed);
    };
    let header = decode_object(header_b64)?;
    if header.get("alg").and_then(Value::as_str) != Some("HS256") {
        return Err(JwtError::UnsupportedAlgorithm);
    }
    // jose refuses critical extensions it does not implement; we implement none.
    if header.contains_key("crit") {
        return Err(JwtError::Malformed);
    }
    let signature = URL_SAFE_NO_PAD
        .decode(signature_b64)
        .map_err(|_| JwtError::Malformed)?;
    let expected = mac(secret, &format!("{header_b64}.{payload_b64}"));
    if !constant_time_eq(&expected, &signature) {
        return Err(JwtError::BadSignature);
    }
    let claims = decode_object(payload_b64)?;
    let now = now as f64;
    let numeric = |name: &str| match claims.get(name) {
        None => Ok(None),
        Some(v) => v.as_f64().map(Some).ok_or(JwtError::InvalidClaims),
    };
    numeric("iat")?;
    if numeric("nbf")?.is_some_and(|nbf| nbf > now) {
        return Err(JwtError::NotYetValid);
    }
    if numeric("exp")?.is_some_and(|exp| exp <= now) {
        return Err(JwtError::Expired);
    }
    Ok(claims)
}

fn decode_object(segment: &str) -> Result<Claims, JwtError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(segment)
        .map_err(|_| JwtError::Malformed)?;
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(JwtError::Malformed),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use serde_json::json;

    const SECRET: &str = "tessera-vector-secret-0123456789abcdef";
    /// `signJWT({email, userId}, SECRET, 3600)` in Better Auth 1.7.25 (testdata/gen-vectors.mjs).
    const BA_TOKEN: &str = "eyJhbGciOiJIUzI1NiJ9.eyJlbWFpbCI6InVtYUBleGFtcGxlLmNvbSIsInVzZXJJZCI6InVzZXIxMjMiLCJpYXQiOjE3OTU3OTYyMTYsImV4cCI6MTc5NTc5OTgxNn0.GicidKEKMV74bPUKqOp0T6jEOBPObekH2vjT5FLV8NA";
    const BA_IAT: u64 = 1_795_796_216;

    fn claims() -> Claims {
        let mut map = Claims::new();
        map.insert("email".into(), json!("uma@example.com"));
        map.insert("userId".into(), json!("user123"));
        map
    }

    #[test]
    fn a_better_auth_token_verifies() {
        let got = verify_hs256(SECRET, BA_TOKEN, BA_IAT + 1).unwrap();
        assert_eq!(got["email"], "uma@example.com");
        assert_eq!(got["userId"], "user123");
        assert_eq!(got["exp"], BA_IAT + 3600);
    }

    #[test]
    fn signing_reproduces_better_auths_token() {
        assert_eq!(sign_hs256(SECRET, claims(), BA_IAT, 3600), BA_TOKEN);
    }

    #[test]
    fn expiry_is_exclusive_at_exp() {
        let exp = BA_IAT + 3600;
        assert!(verify_hs256(SECRET, BA_TOKEN, exp - 1).is_ok());
        assert_eq!(verify_hs256(SECRET, BA_TOKEN, exp), Err(JwtError::Expired));
    }

    #[test]
    fn signature_is_checked_before_expiry() {
        assert_eq!(
            verify_hs256("another-secret", BA_TOKEN, BA_IAT + 999_999),
            Err(JwtError::BadSignature)
        );
        let mut tampered = BA_TOKEN.to_owned();
        tampered.replace_range(30..31, "A");
        assert!(verify_hs256(SECRET, &tampered, BA_IAT).is_err());
    }

    #[test]
    fn other_algorithms_are_refused() {
        let none_header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#);
        let rest = BA_TOKEN.split_once('.').unwrap().1;
        let token = format!("{none_header}.{rest}");
        assert_eq!(
            verify_hs256(SECRET, &token, BA_IAT),
            Err(JwtError::UnsupportedAlgorithm)
        );
    }

    #[test]
    fn malformed_tokens_are_refused() {
        for token in [
            "",
            "a.b",
            "a.b.c.d",
            "!!!.e30.sig",
            &format!("{HEADER_B64}.e30"),
        ] {
            assert_eq!(
                verify_hs256(SECRET, token, BA_IAT),
                Err(JwtError::Malformed)
            );
        }
    }

    #[test]
    fn nbf_and_non_numeric_claims_are_checked() {
        let mut c = claims();
        c.insert("nbf".to_owned(), json!(BA_IAT + 100));
        let t = sign_hs256(SECRET, c, BA_IAT, 3600);
        assert_eq!(verify_hs256(SECRET, &t, BA_IAT), Err(JwtError::NotYetValid));
        assert!(verify_hs256(SECRET, &t, BA_IAT + 100).is_ok());

        let mut c = claims();
        c.insert("nbf".to_owned(), json!("soon"));
        let t = sign_hs256(SECRET, c, BA_IAT, 3600);
        assert_eq!(
            verify_hs256(SECRET, &t, BA_IAT),
            Err(JwtError::InvalidClaims)
        );
    }
}
