//! Single-pass digests: Clerk hashers `md5`, `sha256`, `md5_salted`, `sha256_salted` and
//! `ldap_ssha` (clerk-export.md §3.2). All are weak; they exist only to let imported users sign
//! in once, after which the caller re-hashes natively.
//!
//! Clerk exports the salted ones as `<salt>$<hex>`, which nothing else distinguishes from an
//! unrelated `$`-separated string. The importer therefore stores them TAGGED, as
//! `md5_salted$<salt>$<hex>` and `sha256_salted$<salt>$<hex>` (the salt may itself contain `$`;
//! the hex is after the last one). Clerk does not document the concatenation order, so both are
//! tried unless the configuration names one.

use base64::Engine;
use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256};

use super::parse::{self, Reason};
use crate::crypto::ct::constant_time_eq;

pub const MD5_SALTED_TAG: &str = "md5_salted$";
pub const SHA256_SALTED_TAG: &str = "sha256_salted$";
const SSHA_PREFIX: &str = "{SSHA}";
const SHA1_LEN: usize = 20;

/// How a salted digest joined salt and password.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SaltOrder {
    /// Try salt ‖ password, then password ‖ salt.
    #[default]
    Either,
    SaltFirst,
    PasswordFirst,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algo {
    Md5,
    Sha256,
}

impl Algo {
    fn hex_len(self) -> usize {
        match self {
            Algo::Md5 => 32,
            Algo::Sha256 => 64,
        }
    }

    fn digest(self, parts: &[&[u8]]) -> Vec<u8> {
        match self {
            Algo::Md5 => parts
                .iter()
                .fold(Md5::new(), |h, p| h.chain_update(p))
                .finalize()
                .to_vec(),
            Algo::Sha256 => parts
                .iter()
                .fold(Sha256::new(), |h, p| h.chain_update(p))
                .finalize()
                .to_vec(),
        }
    }
}

fn is_hex_of_len(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A bare 32-hex (MD5) or 64-hex (SHA-256) digest.
pub fn unsalted(stored: &str) -> Option<Algo> {
    [Algo::Md5, Algo::Sha256]
        .into_iter()
        .find(|a| is_hex_of_len(stored, a.hex_len()))
}

pub fn verify_unsalted(stored: &str, password: &str, algo: Algo) -> Result<bool, Reason> {
    let expected = parse::hex(stored)?;
    if expected.len() * 2 != algo.hex_len() {
        return Err("digest has the wrong length");
    }
    Ok(constant_time_eq(
        &algo.digest(&[password.as_bytes()]),
        &expected,
    ))
}

/// Splits Clerk's untagged `<salt>$<hex>`; the salt may contain `$` but must not be empty.
pub fn split_salted(digest: &str, algo: Algo) -> Result<(&str, &str), Reason> {
    let (salt, hex) = digest.rsplit_once('$').ok_or("expected <salt>$<hex>")?;
    if salt.is_empty() {
        return Err("empty salt");
    }
    if !is_hex_of_len(hex, algo.hex_len()) {
        return Err("digest is not hex of the right length");
    }
    Ok((salt, hex))
}

pub fn salted_algo(stored: &str) -> Option<Algo> {
    if stored.starts_with(MD5_SALTED_TAG) {
        Some(Algo::Md5)
    } else if stored.starts_with(SHA256_SALTED_TAG) {
        Some(Algo::Sha256)
    } else {
        None
    }
}

pub fn tag_salted(digest: &str, algo: Algo) -> Result<String, Reason> {
    split_salted(digest, algo)?;
    let tag = match algo {
        Algo::Md5 => MD5_SALTED_TAG,
        Algo::Sha256 => SHA256_SALTED_TAG,
    };
    Ok(format!("{tag}{digest}"))
}

pub fn verify_salted(stored: &str, password: &str, order: SaltOrder) -> Result<bool, Reason> {
    let algo = salted_algo(stored).ok_or("not a tagged salted digest")?;
    let body = stored
        .split_once('$')
        .map(|(_, body)| body)
        .ok_or("not a tagged salted digest")?;
    let (salt, hex) = split_salted(body, algo)?;
    let expected = parse::hex(hex)?;
    let (s, p) = (salt.as_bytes(), password.as_bytes());
    let salt_first = || constant_time_eq(&algo.digest(&[s, p]), &expected);
    let password_first = || constant_time_eq(&algo.digest(&[p, s]), &expected);
    Ok(match order {
        SaltOrder::Either => salt_first() | password_first(),
        SaltOrder::SaltFirst => salt_first(),
        SaltOrder::PasswordFirst => password_first(),
    })
}

pub fn is_ssha(stored: &str) -> bool {
    stored.starts_with(SSHA_PREFIX)
}

fn parse_ssha(stored: &str) -> Result<Vec<u8>, Reason> {
    let b64 = stored
        .strip_prefix(SSHA_PREFIX)
        .ok_or("expected {SSHA}<base64>")?;
    let decoded = parse::BASE64_LENIENT
        .decode(b64)
        .map_err(|_| "not valid base64")?;
    if decoded.len() < SHA1_LEN {
        return Err("shorter than a SHA-1 digest");
    }
    Ok(decoded)
}

pub fn parse_ldap_ssha(stored: &str) -> Result<(), Reason> {
    parse_ssha(stored).map(|_| ())
}

/// RFC 2307 `{SSHA}`: base64(SHA-1(password ‖ salt) ‖ salt).
pub fn verify_ldap_ssha(stored: &str, password: &str) -> Result<bool, Reason> {
    let decoded = parse_ssha(stored)?;
    let (digest, salt) = decoded.split_at(SHA1_LEN);
    let actual = Sha1::new()
        .chain_update(password.as_bytes())
        .chain_update(salt)
        .finalize();
    Ok(constant_time_eq(&actual, digest))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn clerk_docs_examples() {
        let md5 = "5f4dcc3b5aa765d61d8327deb882cf99";
        let sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
        assert_eq!(unsalted(md5), Some(Algo::Md5));
        assert_eq!(unsalted(sha256), Some(Algo::Sha256));
        assert!(verify_unsalted(md5, "password", Algo::Md5).unwrap());
        assert!(!verify_unsalted(md5, "passw0rd", Algo::Md5).unwrap());
        assert!(verify_unsalted(sha256, "test", Algo::Sha256).unwrap());
        assert!(!verify_unsalted(sha256, "Test", Algo::Sha256).unwrap());
        assert!(verify_unsalted(&md5.to_uppercase(), "password", Algo::Md5).unwrap());
    }

    #[test]
    fn ldap_ssha_vector() {
        // clerk-export.md §3.3, salt "abcd".
        let stored = "{SSHA}2D7DXcHaxkWxjlTTFhTzbi4Z/sdhYmNk";
        assert!(verify_ldap_ssha(stored, "password").unwrap());
        assert!(!verify_ldap_ssha(stored, "password1").unwrap());
        assert!(verify_ldap_ssha("{SSHA}AAAA", "x").is_err());
    }

    // Expected digests from Python: hashlib.md5(b"NaClpassword"), hashlib.md5(b"passwordNaCl"),
    // hashlib.sha256(b"a$bpw"), hashlib.sha256(b"pwa$b").
    const MD5_SALT_FIRST: &str = "md5_salted$NaCl$62d19f7e7ddcb5946728776d25e410ed";
    const MD5_PASSWORD_FIRST: &str = "md5_salted$NaCl$f25b019a9470318d44d60e1416631f34";
    const SHA256_SALT_FIRST: &str =
        "a$b$097c561d09e5fedf01076ec991fafb6323cc7bd7536655d0a29802dfc972241a";
    const SHA256_PASSWORD_FIRST: &str =
        "a$b$8034f0ea1f2337f0c08757f44967272c624b8d3cd0360f1c4ba2586054c60885";

    #[test]
    fn salted_digests_accept_either_order_by_default() {
        for stored in [MD5_SALT_FIRST, MD5_PASSWORD_FIRST] {
            assert!(verify_salted(stored, "password", SaltOrder::Either).unwrap());
            assert!(!verify_salted(stored, "wrong", SaltOrder::Either).unwrap());
        }
    }

    #[test]
    fn a_configured_order_is_the_only_one_tried() {
        assert!(verify_salted(MD5_SALT_FIRST, "password", SaltOrder::SaltFirst).unwrap());
        assert!(!verify_salted(MD5_SALT_FIRST, "password", SaltOrder::PasswordFirst).unwrap());
        assert!(verify_salted(MD5_PASSWORD_FIRST, "password", SaltOrder::PasswordFirst).unwrap());
        assert!(!verify_salted(MD5_PASSWORD_FIRST, "password", SaltOrder::SaltFirst).unwrap());
    }

    #[test]
    fn salts_may_contain_dollar_signs() {
        for digest in [SHA256_SALT_FIRST, SHA256_PASSWORD_FIRST] {
            let stored = tag_salted(digest, Algo::Sha256).unwrap();
            assert!(stored.starts_with("sha256_salted$a$b$"));
            assert!(verify_salted(&stored, "pw", SaltOrder::Either).unwrap());
            assert!(!verify_salted(&stored, "pw2", SaltOrder::Either).unwrap());
        }
    }

    #[test]
    fn salted_shape_errors() {
        assert!(tag_salted("$5f4dcc3b5aa765d61d8327deb882cf99", Algo::Md5).is_err());
        assert!(tag_salted("salt$5f4dcc3b", Algo::Md5).is_err());
        assert!(tag_salted("5f4dcc3b5aa765d61d8327deb882cf99", Algo::Md5).is_err());
        assert!(tag_salted("salt$5f4dcc3b5aa765d61d8327deb882cf99", Algo::Sha256).is_err());
    }
}
