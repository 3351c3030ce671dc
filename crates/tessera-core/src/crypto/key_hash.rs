//! Better Auth's `defaultKeyHasher`: how its plugins keep a code or token they only need to
//! recognise (email-otp's `storeOTP: "hashed"`, magic-link's `storeToken: "hashed"`).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// base64url(SHA-256(`value`)), unpadded.
pub fn key_hash(value: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(value.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_better_auths_default_key_hasher() {
        // Computed with Node: base64url(sha256("123456")), no padding.
        assert_eq!(
            key_hash("123456"),
            "jZae727K08KaOmKSgOaGzww_XVqGr_PKEgIMkjrcbJI"
        );
    }
}
