//! Better Auth's native password hash (reference §5.1; `@better-auth/utils/password`).
//!
//! scrypt with N = 16384, r = 16, p = 1, dkLen = 64 over the NFKC-normalised password. The salt
//! is 16 random bytes written as 32 lowercase hex characters, and it is the ASCII of that hex
//! string, not the bytes it spells, that goes into scrypt. Stored `"<salt32hex>:<key128hex>"`.
//! Verification reproduces Better Auth's string comparison of lowercase hex.

use zeroize::Zeroizing;

use super::nfkc;
use super::parse::{Reason, scrypt_params};
use crate::crypto::ct::constant_time_eq;
use crate::crypto::random::random_bytes;

const N: u64 = 16_384;
const R: u32 = 16;
const P: u32 = 1;
const KEY_LEN: usize = 64;

fn derive(password: &str, salt: &str) -> Result<Zeroizing<[u8; KEY_LEN]>, Reason> {
    let params = scrypt_params(N, R, P, KEY_LEN)?;
    let normalized = nfkc(password);
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    scrypt::scrypt(
        normalized.as_bytes(),
        salt.as_bytes(),
        &params,
        key.as_mut(),
    )
    .map_err(|_| "scrypt failed")?;
    Ok(key)
}

pub fn hash(password: &str) -> Result<String, Reason> {
    let salt = hex::encode(random_bytes::<16>());
    hash_with_salt(password, &salt)
}

fn hash_with_salt(password: &str, salt: &str) -> Result<String, Reason> {
    let key = derive(password, salt)?;
    Ok(format!("{salt}:{}", hex::encode(key.as_ref())))
}

/// The two fields Better Auth reads: `hash.split(":")`, first and second piece, both non-empty.
fn fields(stored: &str) -> Option<(&str, &str)> {
    let mut parts = stored.split(':');
    let salt = parts.next().filter(|s| !s.is_empty())?;
    let key = parts.next().filter(|s| !s.is_empty())?;
    Some((salt, key))
}

pub fn looks_like(stored: &str) -> bool {
    fields(stored).is_some()
}

pub fn verify(stored: &str, password: &str) -> Result<bool, Reason> {
    // Better Auth throws "Invalid password hash" here, which sign-in answers with HTTP 500.
    let (salt, key) = fields(stored).ok_or("expected <salt>:<key>")?;
    // Better Auth compares against lowercase hex; any other key can never match, so skip the work.
    if key.len() != KEY_LEN * 2 {
        return Ok(false);
    }
    let derived = Zeroizing::new(hex::encode(derive(password, salt)?.as_ref()));
    Ok(constant_time_eq(derived.as_bytes(), key.as_bytes()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// `hashPassword(password)` in Better Auth 1.7.25 (testdata/gen-vectors.mjs).
    const BA_HASHES: [(&str, &str); 4] = [
        (
            "password",
            "de32d4ab03944e50ab0d1c23f14c3244:d2c62e303418a14c606535f4d83c8132d3038795ccd35d465da040ec977d0b1cb3dba7a95ead51d3a092020727c4514d624e57261cf2d70f7d736f171729aa78",
        ),
        (
            "correct horse battery staple",
            "2f99133bf1c4a28c7e52409377590239:13242fb7910867afe707e427aec37e0e34f9fec59c0cd9bf84ecda13c45e8f2e49fca97c8b6a1d74f4b9a7d0b28a4efaa7edf3d8be0d7766e44b860338770664",
        ),
        (
            "caf\u{e9} \u{fb01}nance \u{2460}",
            "fa974e037966e436f1bfd2a43ff99a49:119da47d0492cebd95dd64b630be172b41cb632a2e3d5c76e8b59d009798eb98205981bbae40b98cb59932d52b484413226fc2bec58da11ba8b7061a03688282",
        ),
        (
            "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
            "1f2ae9207bab2311f0d6efacce1ef151:1811ac30e2aa1937c086365ded817d300964d316445eb382fc7c58d8ccfcccb99d9e6afad6d16f72f6d7a738dbdb07514cb9af487698b6d1922b0eb8b1f7e7fd",
        ),
    ];

    #[test]
    fn better_auth_hashes_verify() {
        for (password, stored) in BA_HASHES {
            assert!(verify(stored, password).unwrap(), "{password}");
        }
    }

    #[test]
    fn hashing_with_better_auths_salt_reproduces_its_string() {
        let (password, stored) = BA_HASHES[2];
        let (salt, _) = stored.split_once(':').unwrap();
        assert_eq!(hash_with_salt(password, salt).unwrap(), stored);
    }

    #[test]
    fn wrong_passwords_do_not_verify() {
        let (_, stored) = BA_HASHES[0];
        assert!(!verify(stored, "Password").unwrap());
        assert!(!verify(stored, "password ").unwrap());
        let (_, long) = BA_HASHES[3];
        assert!(!verify(long, &"x".repeat(127)).unwrap(), "no truncation");
    }

    #[test]
    fn the_password_is_nfkc_normalised() {
        // "café ﬁnance ①" hashed by Better Auth; its NFKC form and a decomposed é match too.
        let (_, stored) = BA_HASHES[2];
        assert!(verify(stored, "cafe\u{301} \u{fb01}nance \u{2460}").unwrap());
        assert!(verify(stored, "caf\u{e9} finance 1").unwrap());
        assert!(!verify(stored, "cafe finance 1").unwrap());
    }

    #[test]
    fn new_hashes_have_better_auths_shape() {
        let stored = hash("password").unwrap();
        let (salt, key) = stored.split_once(':').unwrap();
        assert_eq!((stored.len(), salt.len(), key.len()), (161, 32, 128));
        assert!(
            stored
                .bytes()
                .all(|b| b == b':' || b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        );
        assert!(verify(&stored, "password").unwrap());
        assert_ne!(hash("password").unwrap(), stored, "fresh salt");
    }

    #[test]
    fn better_auth_parse_errors_are_errors_and_odd_keys_just_fail() {
        assert!(verify("nocolon", "x").is_err());
        assert!(verify(":abc", "x").is_err());
        assert!(verify("abc:", "x").is_err());
        // Better Auth compares lowercase hex strings, so an uppercased key never matches.
        let (salt, key) = BA_HASHES[0].1.split_once(':').unwrap();
        let upper = format!("{salt}:{}", key.to_uppercase());
        assert!(!verify(&upper, "password").unwrap());
    }
}
