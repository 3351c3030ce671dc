//! ID tokens (OpenID Connect Core §3.1.3.7): a compact JWS verified against the provider's JWKS
//! (RS256 or ES256, the algorithms allowed by configuration, never by the token), then its claims:
//! `iss`, `aud`, `exp`, `iat` (and `nbf`, `sub`), with 30 s of clock tolerance, and the `nonce`
//! when one is expected. The rules are jose's `jwtVerify` as Better Auth calls it.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

/// `ID_TOKEN_CLOCK_TOLERANCE_SECONDS`.
pub const CLOCK_TOLERANCE_SECS: i64 = 30;
/// RSA keys shorter than this are refused (jose's rule for RS*).
const MIN_RSA_BITS: usize = 2048;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdTokenError {
    #[error("not a compact JWS")]
    Malformed,
    #[error("algorithm {0} is not allowed")]
    Algorithm(String),
    #[error("no key of the provider's set fits the token")]
    NoKey,
    #[error("signature does not verify")]
    Signature,
    #[error("claim {0} is missing or wrong")]
    Claim(&'static str),
    #[error("the token has expired")]
    Expired,
    #[error("nonce does not match")]
    Nonce,
}

/// What the relying party expects of the token.
#[derive(Debug, Clone)]
pub struct Expected<'a> {
    /// Accepted `iss` values (Google has two).
    pub issuers: &'a [String],
    /// Accepted audiences: the client id(s).
    pub audiences: &'a [String],
    pub algorithms: &'a [&'a str],
    pub nonce: Option<&'a str>,
    /// Oldest acceptable `iat`, as an age in seconds (Google: 1 h).
    pub max_age_secs: Option<i64>,
    /// Unix seconds.
    pub now: i64,
}

/// The signing algorithms supported here.
pub const SUPPORTED_ALGORITHMS: [&str; 2] = ["RS256", "ES256"];

/// The token's header and claims, without checking anything (Better Auth's `decodeJwt`, used on
/// a token that just came from the provider's token endpoint over TLS).
#[must_use]
pub fn decode_unverified(token: &str) -> Option<(Map<String, Value>, Map<String, Value>)> {
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    Some((json_part(h)?, json_part(p)?))
}

fn json_part(b64: &str) -> Option<Map<String, Value>> {
    let bytes = URL_SAFE_NO_PAD.decode(b64).ok()?;
    match serde_json::from_slice(&bytes).ok()? {
        Value::Object(m) => Some(m),
        _ => None,
    }
}

/// Verifies the token and returns its claims.
pub fn verify(
    token: &str,
    jwks: &Value,
    expected: &Expected<'_>,
) -> Result<Map<String, Value>, IdTokenError> {
    let (header, claims) = decode_unverified(token).ok_or(IdTokenError::Malformed)?;
    let (signing_input, signature_b64) = token.rsplit_once('.').ok_or(IdTokenError::Malformed)?;
    let signature = URL_SAFE_NO_PAD
        .decode(signature_b64)
        .map_err(|_| IdTokenError::Malformed)?;
    let alg = header
        .get("alg")
        .and_then(Value::as_str)
        .ok_or(IdTokenError::Malformed)?;
    if !expected.algorithms.contains(&alg) || !SUPPORTED_ALGORITHMS.contains(&alg) {
        return Err(IdTokenError::Algorithm(alg.to_owned()));
    }
    if header.get("crit").is_some() {
        return Err(IdTokenError::Malformed);
    }
    let kid = header.get("kid").and_then(Value::as_str);
    let candidates: Vec<&Map<String, Value>> = jwks
        .get("keys")
        .and_then(Value::as_array)
        .map(|keys| keys.iter().filter_map(Value::as_object).collect())
        .unwrap_or_default();
    let candidates: Vec<&Map<String, Value>> = candidates
        .into_iter()
        .filter(|k| key_fits(k, alg, kid))
        .collect();
    if candidates.is_empty() {
        return Err(IdTokenError::NoKey);
    }
    let verified = candidates
        .iter()
        .any(|k| verify_with(k, alg, signing_input.as_bytes(), &signature));
    if !verified {
        return Err(IdTokenError::Signature);
    }
    check_claims(&claims, expected)?;
    Ok(claims)
}

fn key_fits(key: &Map<String, Value>, alg: &str, kid: Option<&str>) -> bool {
    let s = |k: &str| key.get(k).and_then(Value::as_str);
    let kty_ok = match alg {
        "RS256" => s("kty") == Some("RSA"),
        "ES256" => s("kty") == Some("EC") && s("crv") == Some("P-256"),
        _ => false,
    };
    kty_ok
        && kid.is_none_or(|kid| s("kid") == Some(kid))
        && s("alg").is_none_or(|a| a == alg)
        && s("use").is_none_or(|u| u == "sig")
}

fn b64_field(key: &Map<String, Value>, name: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD
        .decode(key.get(name)?.as_str()?.trim_end_matches('='))
        .ok()
}

fn verify_with(key: &Map<String, Value>, alg: &str, message: &[u8], signature: &[u8]) -> bool {
    match alg {
        "RS256" => verify_rs256(key, message, signature).unwrap_or(false),
        "ES256" => verify_es256(key, message, signature).unwrap_or(false),
        _ => false,
    }
}

fn verify_rs256(key: &Map<String, Value>, message: &[u8], signature: &[u8]) -> Option<bool> {
    use rsa::pkcs1v15::{Signature, VerifyingKey};
    use rsa::signature::Verifier;
    use rsa::traits::PublicKeyParts;
    let n = rsa::BigUint::from_bytes_be(&b64_field(key, "n")?);
    let e = rsa::BigUint::from_bytes_be(&b64_field(key, "e")?);
    let public = rsa::RsaPublicKey::new(n, e).ok()?;
    if public.size() * 8 < MIN_RSA_BITS {
        return Some(false);
    }
    let verifying = VerifyingKey::<sha2::Sha256>::new(public);
    let signature = Signature::try_from(signature).ok()?;
    Some(verifying.verify(message, &signature).is_ok())
}

fn verify_es256(key: &Map<String, Value>, message: &[u8], signature: &[u8]) -> Option<bool> {
    use p256::ecdsa::signature::Verifier;
    use p256::ecdsa::{Signature, VerifyingKey};
    let x = b64_field(key, "x")?;
    let y = b64_field(key, "y")?;
    if x.len() != 32 || y.len() != 32 {
        return Some(false);
    }
    let point = p256::EncodedPoint::from_affine_coordinates(
        p256::FieldBytes::from_slice(&x),
        p256::FieldBytes::from_slice(&y),
        false,
    );
    let verifying = VerifyingKey::from_encoded_point(&point).ok()?;
    // JWS carries ECDSA signatures as raw r || s (RFC 7518 §3.4), 64 bytes for P-256.
    let signature = Signature::from_slice(signature).ok()?;
    Some(verifying.verify(message, &signature).is_ok())
}

fn number(claims: &Map<String, Value>, name: &'static str) -> Result<Option<i64>, IdTokenError> {
    match claims.get(name) {
        None => Ok(None),
        Some(v) => v
            .as_f64()
            .map(|f| Some(f as i64))
            .ok_or(IdTokenError::Claim(name)),
    }
}

fn check_claims(claims: &Map<String, Value>, expected: &Expected<'_>) -> Result<(), IdTokenError> {
    let now = expected.now;
    let tol = CLOCK_TOLERANCE_SECS;
    let iss = claims.get("iss").and_then(Value::as_str);
    if !iss.is_some_and(|iss| expected.issuers.iter().any(|i| i == iss)) {
        return Err(IdTokenError::Claim("iss"));
    }
    if claims
        .get("sub")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        return Err(IdTokenError::Claim("sub"));
    }
    let aud_ok = match claims.get("aud") {
        Some(Value::String(a)) => expected.audiences.iter().any(|e| e == a),
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(Value::as_str)
            .any(|a| expected.audiences.iter().any(|e| e == a)),
        _ => false,
    };
    if expected.audiences.is_empty() || !aud_ok {
        return Err(IdTokenError::Claim("aud"));
    }
    let exp = number(claims, "exp")?.ok_or(IdTokenError::Claim("exp"))?;
    if exp <= now - tol {
        return Err(IdTokenError::Expired);
    }
    let iat = number(claims, "iat")?.ok_or(IdTokenError::Claim("iat"))?;
    if let Some(nbf) = number(claims, "nbf")?
        && nbf > now + tol
    {
        return Err(IdTokenError::Claim("nbf"));
    }
    if let Some(max_age) = expected.max_age_secs
        && now - iat > max_age + tol
    {
        return Err(IdTokenError::Expired);
    }
    if let Some(nonce) = expected.nonce
        && claims.get("nonce").and_then(Value::as_str) != Some(nonce)
    {
        return Err(IdTokenError::Nonce);
    }
    Ok(())
}

/// Better Auth's `nonceComparison: "exact-or-sha256"` (Apple): the claim is the nonce, or the
/// lowercase hex SHA-256 of it (native Apple sign-in hashes the nonce it sends).
#[must_use]
pub fn nonce_matches_exact_or_sha256(claims: &Map<String, Value>, nonce: &str) -> bool {
    use sha2::{Digest, Sha256};
    match claims.get("nonce").and_then(Value::as_str) {
        Some(claim) => claim == nonce || claim == hex::encode(Sha256::digest(nonce.as_bytes())),
        None => false,
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
    use p256::ecdsa::signature::Signer;
    use serde_json::json;

    /// A P-256 key made on the spot: the test signs, `verify` checks with the public JWK only.
    struct Issuer {
        key: p256::ecdsa::SigningKey,
    }

    impl Issuer {
        fn new() -> Issuer {
            Issuer {
                key: p256::ecdsa::SigningKey::random(&mut rand_core::OsRng),
            }
        }
        fn jwks(&self) -> Value {
            let point = self.key.verifying_key().to_encoded_point(false);
            json!({"keys": [{
                "kty": "EC", "crv": "P-256", "kid": "k1", "use": "sig",
                "x": URL_SAFE_NO_PAD.encode(point.x().unwrap()),
                "y": URL_SAFE_NO_PAD.encode(point.y().unwrap()),
            }]})
        }
        fn sign(&self, claims: &Value) -> String {
            let input = format!(
                "{}.{}",
                URL_SAFE_NO_PAD.encode(json!({"alg": "ES256", "kid": "k1"}).to_string()),
                URL_SAFE_NO_PAD.encode(claims.to_string())
            );
            let sig: p256::ecdsa::Signature = self.key.sign(input.as_bytes());
            format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig.to_bytes()))
        }
    }

    const NOW: i64 = 1_800_000_000;

    fn claims() -> Value {
        json!({"iss": "https://idp.test", "sub": "u1", "aud": "client", "exp": NOW + 600,
               "iat": NOW, "nonce": "n1", "email": "a@b.co"})
    }

    fn check(
        token: &str,
        jwks: &Value,
        nonce: Option<&str>,
    ) -> Result<Map<String, Value>, IdTokenError> {
        let issuers = ["https://idp.test".to_owned()];
        let audiences = ["client".to_owned()];
        verify(
            token,
            jwks,
            &Expected {
                issuers: &issuers,
                audiences: &audiences,
                algorithms: &["RS256", "ES256"],
                nonce,
                max_age_secs: None,
                now: NOW,
            },
        )
    }

    #[test]
    fn a_good_token_verifies() {
        let idp = Issuer::new();
        let token = idp.sign(&claims());
        let c = check(&token, &idp.jwks(), Some("n1")).unwrap();
        assert_eq!(c["email"], "a@b.co");
    }

    #[test]
    fn tampering_another_key_and_wrong_claims_are_refused() {
        let idp = Issuer::new();
        let token = idp.sign(&claims());
        // A changed payload keeps the old signature.
        let (h, rest) = token.split_once('.').unwrap();
        let (_, sig) = rest.split_once('.').unwrap();
        let mut forged = claims();
        forged["sub"] = json!("admin");
        let forged = format!("{h}.{}.{sig}", URL_SAFE_NO_PAD.encode(forged.to_string()));
        assert_eq!(
            check(&forged, &idp.jwks(), None),
            Err(IdTokenError::Signature)
        );
        assert_eq!(
            check(&token, &Issuer::new().jwks(), None),
            Err(IdTokenError::Signature)
        );
        assert_eq!(
            check(&token, &idp.jwks(), Some("other")),
            Err(IdTokenError::Nonce)
        );
        for (field, value, err) in [
            ("aud", json!("someone-else"), IdTokenError::Claim("aud")),
            (
                "iss",
                json!("https://evil.test"),
                IdTokenError::Claim("iss"),
            ),
            ("exp", json!(NOW - 31), IdTokenError::Expired),
        ] {
            let mut c = claims();
            c[field] = value;
            assert_eq!(check(&idp.sign(&c), &idp.jwks(), None), Err(err), "{field}");
        }
        let mut c = claims();
        c["exp"] = json!(NOW - 29);
        assert!(
            check(&idp.sign(&c), &idp.jwks(), None).is_ok(),
            "within tolerance"
        );
    }

    #[test]
    fn the_algorithm_comes_from_configuration_not_the_token() {
        let idp = Issuer::new();
        let none = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#),
            URL_SAFE_NO_PAD.encode(claims().to_string())
        );
        assert_eq!(
            check(&none, &idp.jwks(), None),
            Err(IdTokenError::Algorithm("none".into()))
        );
        assert_eq!(
            check("a.b", &idp.jwks(), None),
            Err(IdTokenError::Malformed)
        );
    }

    #[test]
    fn apples_nonce_may_be_the_sha256_of_the_one_sent() {
        let claims = |n: &str| json!({"nonce": n}).as_object().unwrap().clone();
        let hashed = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
        assert!(nonce_matches_exact_or_sha256(&claims("test"), "test"));
        assert!(nonce_matches_exact_or_sha256(&claims(hashed), "test"));
        assert!(!nonce_matches_exact_or_sha256(&claims(hashed), "other"));
        assert!(!nonce_matches_exact_or_sha256(&Map::new(), "test"));
    }
}
