//! The PBKDF2 digests of Clerk's hashers (clerk-export.md §3.2). All are `$`-separated with the
//! iteration count second; they differ in hash function and in how salt and digest are spelled:
//!
//! | prefix | salt | digest |
//! |---|---|---|
//! | `pbkdf2_sha256` | base64 (generic hasher) OR raw text (Django) | base64 |
//! | `pbkdf2_sha1` | hex-decoded when valid hex, else raw text | hex, optional `$<keylen>` |
//! | `pbkdf2_sha512` | raw text | hex |
//! | `pbkdf2_sha512_hex` | hex | hex |
//!
//! Clerk's `pbkdf2_sha256` and `pbkdf2_sha256_django` write the same prefix, so the stored string
//! alone cannot say which salt reading applies: verification tries the base64 reading (when the
//! salt decodes) and then the text reading. The output length is the stored digest's length.

use hmac::Hmac;
use sha1::Sha1;
use sha2::{Sha256, Sha512};
use zeroize::Zeroizing;

use super::parse::{self, MAX_PBKDF2_DIGEST_LEN, Reason};
use crate::crypto::ct::constant_time_eq;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Sha256,
    Sha1,
    Sha512,
    Sha512Hex,
}

impl Kind {
    pub fn of(stored: &str) -> Option<Kind> {
        // Longest prefix first: `pbkdf2_sha512_hex$` also starts with `pbkdf2_sha512`.
        if stored.starts_with("pbkdf2_sha512_hex$") {
            Some(Kind::Sha512Hex)
        } else if stored.starts_with("pbkdf2_sha512$") {
            Some(Kind::Sha512)
        } else if stored.starts_with("pbkdf2_sha256$") {
            Some(Kind::Sha256)
        } else if stored.starts_with("pbkdf2_sha1$") {
            Some(Kind::Sha1)
        } else {
            None
        }
    }
}

/// Which reading of a `pbkdf2_sha256` salt the caller asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaltReading {
    Base64,
    Text,
}

struct Parsed {
    kind: Kind,
    iterations: u32,
    /// Candidate salts, tried in order.
    salts: Vec<Vec<u8>>,
    digest: Vec<u8>,
}

fn parse_with(stored: &str, only: Option<SaltReading>) -> Result<Parsed, Reason> {
    let kind = Kind::of(stored).ok_or("not a pbkdf2_* digest")?;
    let mut parts = stored.split('$').skip(1);
    let iterations = parse::iterations(parts.next().ok_or("missing iteration count")?)?;
    let salt = parts.next().ok_or("missing salt")?;
    let digest = parts.next().ok_or("missing digest")?;
    let keylen = parts.next();
    if parts.next().is_some() || (keylen.is_some() && kind != Kind::Sha1) {
        return Err("too many $-separated fields");
    }
    if salt.is_empty() {
        return Err("empty salt");
    }
    let digest = match kind {
        Kind::Sha256 => parse::base64(digest)?,
        Kind::Sha1 | Kind::Sha512 | Kind::Sha512Hex => parse::hex(digest)?,
    };
    parse::digest_len(digest.len(), MAX_PBKDF2_DIGEST_LEN)?;
    if let Some(keylen) = keylen {
        let keylen = parse::decimal(keylen).ok_or("key length is not a number")?;
        if usize::try_from(keylen).ok() != Some(digest.len()) {
            return Err("key length does not match the digest");
        }
    }
    let salts = match kind {
        Kind::Sha256 => {
            let mut salts = Vec::new();
            if only != Some(SaltReading::Text) {
                if let Ok(decoded) = parse::base64(salt) {
                    salts.push(decoded);
                } else if only == Some(SaltReading::Base64) {
                    return Err("salt is not base64");
                }
            }
            if only != Some(SaltReading::Base64) {
                salts.push(salt.as_bytes().to_vec());
            }
            salts
        }
        // Clerk: "salt is hex-decoded if valid hex, else raw bytes", even when it was meant as
        // text that happens to be hex.
        Kind::Sha1 => vec![parse::hex(salt).unwrap_or_else(|_| salt.as_bytes().to_vec())],
        Kind::Sha512 => vec![salt.as_bytes().to_vec()],
        Kind::Sha512Hex => vec![parse::hex(salt)?],
    };
    Ok(Parsed {
        kind,
        iterations,
        salts,
        digest,
    })
}

/// Parses without verifying; `reading` pins the `pbkdf2_sha256` salt reading for the importer.
pub fn parse(stored: &str, reading: Option<SaltReading>) -> Result<(), Reason> {
    parse_with(stored, reading).map(|_| ())
}

pub fn verify(stored: &str, password: &str) -> Result<bool, Reason> {
    let parsed = parse_with(stored, None)?;
    let mut out = Zeroizing::new(vec![0u8; parsed.digest.len()]);
    for salt in &parsed.salts {
        derive(
            parsed.kind,
            password.as_bytes(),
            salt,
            parsed.iterations,
            &mut out,
        )?;
        if constant_time_eq(&out, &parsed.digest) {
            return Ok(true);
        }
    }
    Ok(false)
}

fn derive(kind: Kind, pw: &[u8], salt: &[u8], rounds: u32, out: &mut [u8]) -> Result<(), Reason> {
    let result = match kind {
        Kind::Sha256 => pbkdf2::pbkdf2::<Hmac<Sha256>>(pw, salt, rounds, out),
        Kind::Sha1 => pbkdf2::pbkdf2::<Hmac<Sha1>>(pw, salt, rounds, out),
        Kind::Sha512 | Kind::Sha512Hex => pbkdf2::pbkdf2::<Hmac<Sha512>>(pw, salt, rounds, out),
    };
    result.map_err(|_| "PBKDF2 failed")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use base64::Engine;

    // clerk-export.md §3.3, password "password".
    const DJANGO: &str = "pbkdf2_sha256$10000$seasalt$p2Nf8SH5q1HFJUvFvVd4Nj71pVA5fI7cpL2WDbb86bc=";
    const SHA256_B64_SALT: &str =
        "pbkdf2_sha256$10000$c2FsdHNhbHRzYWx0c2FsdA==$/HBtt7Z/7p0CzRvSN1B+KXrKNskvRts1UWw61zKTFUo=";
    const SHA1_TEXT: &str = "pbkdf2_sha1$10000$seasalt$3335a9869b4302f0042c257d15afdb22c3dfa256dee2a0a915543fee1b682d72";
    const SHA1_HEX_KEYLEN: &str =
        "pbkdf2_sha1$10000$a1b2c3d4e5f60718$2bfadb94a49cb74905004438ffad5ce1e38753f3$20";
    const SHA512: &str = "pbkdf2_sha512$10000$seasalt$8fd9319dd7aca7ea4f6009a0b3e0412702b4e9344e51dd1ad44dd8cb11bfb751aa817f2be973af02a84a0d179449cce58323b44a36ee85234f83a7cc3feb7c35";
    const SHA512_HEX: &str = "pbkdf2_sha512_hex$10000$00112233445566778899aabbccddeeff$8aad5d7d1163900c9f11bc74fbbc2cb8076650cb798c50f1373c7559a267fc8b8fd2c4cac24589a67c4140224919bf0f5df042dbaff132fdc06afdd7e6818489";

    #[test]
    fn clerk_vectors_verify_and_reject_wrong_passwords() {
        for stored in [
            DJANGO,
            SHA256_B64_SALT,
            SHA1_TEXT,
            SHA1_HEX_KEYLEN,
            SHA512,
            SHA512_HEX,
        ] {
            assert!(verify(stored, "password").unwrap(), "{stored}");
            assert!(!verify(stored, "password!").unwrap(), "{stored}");
        }
    }

    #[test]
    fn both_sha256_salt_readings_are_tried() {
        // "seasalt" is not valid base64 (7 chars), so only the text reading exists; the generic
        // vector's salt decodes, and its base64 reading is the one that matches.
        assert!(parse(DJANGO, Some(SaltReading::Base64)).is_err());
        assert!(parse(DJANGO, Some(SaltReading::Text)).is_ok());
        assert!(parse(SHA256_B64_SALT, Some(SaltReading::Base64)).is_ok());
        // A Django salt that happens to be valid base64 still verifies through the text reading.
        let mut out = [0u8; 32];
        derive(Kind::Sha256, b"password", b"abcd", 1000, &mut out).unwrap();
        let stored = format!(
            "pbkdf2_sha256$1000$abcd${}",
            parse::BASE64_LENIENT.encode(out)
        );
        assert!(verify(&stored, "password").unwrap());
    }

    #[test]
    fn iteration_cap_and_field_errors_are_parse_errors() {
        let over = SHA512.replacen("$10000$", "$10000001$", 1);
        assert!(verify(&over, "password").is_err());
        assert!(verify("pbkdf2_sha256$10000$seasalt", "password").is_err());
        assert!(verify("pbkdf2_sha512$10000$seasalt$zz", "password").is_err());
        assert!(
            verify(&format!("{SHA512}$64"), "password").is_err(),
            "keylen is sha1-only"
        );
        assert!(verify(&SHA1_HEX_KEYLEN.replace("$20", "$32"), "password").is_err());
        assert!(
            verify("pbkdf2_sha1$10000$seasalt$3335a986", "password").is_err(),
            "4-byte digest"
        );
        assert!(
            verify(
                "pbkdf2_sha1$10000$$3335a9869b4302f0042c257d15afdb22",
                "password"
            )
            .is_err()
        );
    }
}
