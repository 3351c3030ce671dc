//! From a Clerk export's `(password_hasher, password_digest)` to the string kept in
//! `account.password` (clerk-export.md §3).
//!
//! The digest is stored as exported, because every documented Clerk format already says what it
//! is, with two exceptions: `md5_salted` and `sha256_salted` are exported as `<salt>$<hex>`,
//! which nothing distinguishes from other `$`-separated strings, so they are stored as
//! `md5_salted$<salt>$<hex>` and `sha256_salted$<salt>$<hex>`. A `scrypt_firebase` digest whose
//! project fields are empty is completed from the configured [`FirebaseParams`].
//!
//! Checking here, at import time, means a row that could never verify is reported in the import
//! plan instead of surfacing as HTTP 500 at the user's first sign-in.

use super::parse::{self, Reason};
use super::{
    FirebaseParams, PasswordFormat, VerifyContext, argon2_phc, bcrypt_family, digest, identify,
    pbkdf2_family, phpass, scrypt_firebase, scrypt_werkzeug, symfony,
};

/// Why a row's password cannot be imported; the text is for the import report.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClerkDigestReject {
    #[error("unknown password hasher {0:?}")]
    UnknownHasher(String),
    #[error("password hasher {hasher} is not supported: {reason}")]
    Unsupported {
        hasher: &'static str,
        reason: &'static str,
    },
    #[error("password digest does not parse as {hasher}: {reason}")]
    DoesNotParse {
        hasher: &'static str,
        reason: Reason,
    },
    #[error("password digest for {hasher} is over the cost caps: {reason}")]
    OverCap {
        hasher: &'static str,
        reason: Reason,
    },
}

/// [`stored_digest_with`] without configuration.
pub fn stored_digest(hasher: &str, digest: &str) -> Result<String, ClerkDigestReject> {
    stored_digest_with(hasher, digest, &VerifyContext::default())
}

/// The `account.password` value for a Clerk row, after checking that the digest parses for the
/// named hasher (the hasher column decides, not the digest's prefix).
pub fn stored_digest_with(
    hasher: &str,
    digest: &str,
    ctx: &VerifyContext,
) -> Result<String, ClerkDigestReject> {
    use PasswordFormat as F;
    let (name, format, checked): (&'static str, PasswordFormat, Result<String, Reason>) =
        match hasher {
            "bcrypt" => (
                "bcrypt",
                F::Bcrypt,
                as_is(digest, bcrypt_family::parse(digest)),
            ),
            "bcrypt_peppered" => (
                "bcrypt_peppered",
                F::BcryptPeppered,
                as_is(digest, bcrypt_family::parse_peppered(digest)),
            ),
            "bcrypt_sha256_django" => (
                "bcrypt_sha256_django",
                F::BcryptSha256Django,
                as_is(digest, bcrypt_family::parse_django(digest)),
            ),
            "argon2i" => (
                "argon2i",
                F::Argon2i,
                as_is(digest, argon2(digest, argon2_phc::Variant::I)),
            ),
            "argon2id" => (
                "argon2id",
                F::Argon2id,
                as_is(digest, argon2(digest, argon2_phc::Variant::Id)),
            ),
            "pbkdf2_sha256" => (
                "pbkdf2_sha256",
                F::Pbkdf2Sha256,
                as_is(
                    digest,
                    pbkdf2_family::parse(digest, Some(pbkdf2_family::SaltReading::Base64)),
                ),
            ),
            "pbkdf2_sha256_django" => (
                "pbkdf2_sha256_django",
                F::Pbkdf2Sha256,
                as_is(
                    digest,
                    pbkdf2_family::parse(digest, Some(pbkdf2_family::SaltReading::Text)),
                ),
            ),
            "pbkdf2_sha1" => (
                "pbkdf2_sha1",
                F::Pbkdf2Sha1,
                as_is(digest, pbkdf2_family::parse(digest, None)),
            ),
            "pbkdf2_sha512" => (
                "pbkdf2_sha512",
                F::Pbkdf2Sha512,
                as_is(digest, pbkdf2_family::parse(digest, None)),
            ),
            "pbkdf2_sha512_hex" => (
                "pbkdf2_sha512_hex",
                F::Pbkdf2Sha512Hex,
                as_is(digest, pbkdf2_family::parse(digest, None)),
            ),
            "scrypt_firebase" => (
                "scrypt_firebase",
                F::ScryptFirebase,
                firebase(digest, ctx.firebase.as_ref()),
            ),
            "scrypt_werkzeug" => (
                "scrypt_werkzeug",
                F::ScryptWerkzeug,
                as_is(digest, scrypt_werkzeug::parse(digest)),
            ),
            // The same algorithm under either prefix; the prefix decides the identified format.
            "phpass" | "md5_phpass" => (
                if hasher == "phpass" {
                    "phpass"
                } else {
                    "md5_phpass"
                },
                if digest.starts_with("$H$") {
                    F::Md5Phpass
                } else {
                    F::Phpass
                },
                as_is(digest, phpass::parse(digest)),
            ),
            "ldap_ssha" => (
                "ldap_ssha",
                F::LdapSsha,
                as_is(digest, digest::parse_ldap_ssha(digest)),
            ),
            "md5" => (
                "md5",
                F::Md5,
                as_is(digest, unsalted(digest, digest::Algo::Md5)),
            ),
            "sha256" => (
                "sha256",
                F::Sha256,
                as_is(digest, unsalted(digest, digest::Algo::Sha256)),
            ),
            "md5_salted" => (
                "md5_salted",
                F::Md5Salted,
                digest::tag_salted(digest, digest::Algo::Md5),
            ),
            "sha256_salted" => (
                "sha256_salted",
                F::Sha256Salted,
                digest::tag_salted(digest, digest::Algo::Sha256),
            ),
            "sha512_symfony" => (
                "sha512_symfony",
                F::Sha512Symfony,
                as_is(digest, symfony::parse(digest)),
            ),
            "hmac_sha256_utf16_b64" => {
                return Err(ClerkDigestReject::Unsupported {
                    hasher: "hmac_sha256_utf16_b64",
                    reason: "Clerk documents no format for it and no sample exists to verify against",
                });
            }
            "awscognito" => {
                return Err(ClerkDigestReject::Unsupported {
                    hasher: "awscognito",
                    reason: "not a hash but a pointer to a live Cognito user pool; the user must reset the password",
                });
            }
            other => return Err(ClerkDigestReject::UnknownHasher(other.to_owned())),
        };
    let stored = checked.map_err(|reason| {
        if parse::is_over_cap(reason) {
            ClerkDigestReject::OverCap {
                hasher: name,
                reason,
            }
        } else {
            ClerkDigestReject::DoesNotParse {
                hasher: name,
                reason,
            }
        }
    })?;
    // The stored string must dispatch back to the hasher's algorithm at sign-in.
    if identify(&stored) != Some(format) {
        return Err(ClerkDigestReject::DoesNotParse {
            hasher: name,
            reason: "digest has the shape of another format",
        });
    }
    Ok(stored)
}

fn as_is(digest: &str, parsed: Result<(), Reason>) -> Result<String, Reason> {
    parsed.map(|()| digest.to_owned())
}

fn argon2(digest: &str, variant: argon2_phc::Variant) -> Result<(), Reason> {
    let parsed = argon2_phc::parse(digest)?;
    if parsed.variant != variant {
        return Err("argon2 variant differs from the hasher");
    }
    Ok(())
}

fn unsalted(digest: &str, algo: digest::Algo) -> Result<(), Reason> {
    if digest::unsalted(digest) == Some(algo) {
        Ok(())
    } else {
        Err("not a hex digest of the hasher's length")
    }
}

fn firebase(digest: &str, project: Option<&FirebaseParams>) -> Result<String, Reason> {
    match project {
        Some(project) => scrypt_firebase::complete(digest, project),
        None => scrypt_firebase::parse(digest, None).map(|()| digest.to_owned()),
    }
}
