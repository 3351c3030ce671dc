//! Symfony's `MessageDigestPasswordHasher` with SHA-512, Clerk hasher `sha512_symfony`
//! (clerk-export.md §3.2): `sha512_symfony$<iterations>$<salt>$<base64 hash>`.
//!
//! salted = password ‖ `{` ‖ salt ‖ `}` (the password alone when the salt is empty);
//! d = SHA-512(salted); then iterations − 1 times d = SHA-512(d ‖ salted).

use base64::Engine;
use sha2::{Digest, Sha512};
use zeroize::Zeroizing;

use super::parse::{self, Reason};
use crate::crypto::ct::constant_time_eq;

const PREFIX: &str = "sha512_symfony$";
const DIGEST_LEN: usize = 64;

pub fn looks_like(stored: &str) -> bool {
    stored.starts_with(PREFIX)
}

fn parse_inner(stored: &str) -> Result<(u32, &str, Vec<u8>), Reason> {
    let rest = stored
        .strip_prefix(PREFIX)
        .ok_or("expected sha512_symfony$…")?;
    let (iterations, rest) = rest.split_once('$').ok_or("missing iteration count")?;
    // The salt may contain `$`; the base64 hash never does.
    let (salt, hash) = rest.rsplit_once('$').ok_or("missing salt or hash")?;
    let iterations = parse::iterations(iterations)?;
    // Symfony refuses salts with braces: they would make `{salt}` ambiguous.
    if salt.contains(['{', '}']) {
        return Err("salt contains { or }");
    }
    let hash = parse::BASE64_LENIENT
        .decode(hash)
        .map_err(|_| "hash is not base64")?;
    if hash.len() != DIGEST_LEN {
        return Err("hash is not 64 bytes");
    }
    Ok((iterations, salt, hash))
}

pub fn parse(stored: &str) -> Result<(), Reason> {
    parse_inner(stored).map(|_| ())
}

pub fn verify(stored: &str, password: &str) -> Result<bool, Reason> {
    let (iterations, salt, expected) = parse_inner(stored)?;
    let salted = Zeroizing::new(if salt.is_empty() {
        password.to_owned()
    } else {
        format!("{password}{{{salt}}}")
    });
    let mut digest = Sha512::digest(salted.as_bytes());
    for _ in 1..iterations {
        digest = Sha512::new()
            .chain_update(digest)
            .chain_update(salted.as_bytes())
            .finalize();
    }
    Ok(constant_time_eq(&digest, &expected))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// clerk-export.md §3.3, computed per Symfony's source.
    const VECTOR: &str = "sha512_symfony$5000$salt$iKw+yyYDAaIE9cknw6XdfjaVtHJ7Gqh+o/GYWoVpWN1wNDQcSjc8uqXSBC+yj0KOMwA7RpCKH9weKfJT+7AEHQ==";

    #[test]
    fn clerk_vector_verifies() {
        assert!(verify(VECTOR, "password").unwrap());
        assert!(!verify(VECTOR, "password{salt}").unwrap());
        assert!(!verify(&VECTOR.replacen("$5000$", "$4999$", 1), "password").unwrap());
    }

    #[test]
    fn malformed_and_over_cap_digests_are_parse_errors() {
        assert!(verify("sha512_symfony$5000$salt", "password").is_err());
        assert!(verify("sha512_symfony$0$salt$iKw+", "password").is_err());
        assert!(verify(&VECTOR.replacen("$5000$", "$10000001$", 1), "password").is_err());
        assert!(verify(&VECTOR.replacen("$salt$", "$s{a}lt$", 1), "password").is_err());
        assert!(verify("sha512_symfony$5000$salt$c2hvcnQ=", "password").is_err());
    }
}
