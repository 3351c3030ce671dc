//! Passwords: verified BY FORMAT, hashed in one native format.
//!
//! A stored hash says what it is ([`identify`]): Better Auth's scrypt `salt:key`, argon2 PHC
//! strings, bcrypt and its variants, and the rest of Clerk's hashers (clerk-export.md §3.2), so
//! one credential table can hold native and imported hashes side by side and [`verify`] picks
//! the algorithm per row. New hashes are written in the configured [`NativeFormat`]; after a
//! successful sign-in with any other format, [`needs_rehash`] tells the caller to re-hash the
//! password it just verified (reference §8: a deliberate superset of Better Auth, which has no
//! per-hash dispatch).
//!
//! A stored string that names a format but does not parse, or whose cost is over the caps in
//! [`parse`], is a [`PasswordError`], not `false`: Better Auth answers an unparseable hash with
//! HTTP 500 and so should the caller.
//!
//! Everything here is CPU-bound and synchronous: call it from a blocking pool.

mod argon2_phc;
mod ba_scrypt;
mod bcrypt_family;
pub mod clerk;
mod digest;
pub mod parse;
mod pbkdf2_family;
mod phpass;
pub mod policy;
mod scrypt_firebase;
mod scrypt_werkzeug;
mod symfony;

use std::fmt;

use unicode_normalization::UnicodeNormalization;
use zeroize::Zeroizing;

pub use digest::SaltOrder;
pub use policy::{LengthError, MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, check_length};
pub use scrypt_firebase::FirebaseParams;

/// Every format [`verify`] understands. Names follow Clerk's `password_hasher` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PasswordFormat {
    /// Better Auth's native `<salt32hex>:<key128hex>` scrypt (reference §5.1).
    BetterAuthScrypt,
    Argon2id,
    Argon2i,
    Bcrypt,
    BcryptPeppered,
    BcryptSha256Django,
    /// `pbkdf2_sha256$…`, both Clerk's generic (base64 salt) and Django (text salt) readings.
    Pbkdf2Sha256,
    Pbkdf2Sha1,
    Pbkdf2Sha512,
    Pbkdf2Sha512Hex,
    ScryptFirebase,
    ScryptWerkzeug,
    Phpass,
    Md5Phpass,
    LdapSsha,
    Md5,
    /// Stored tagged: `md5_salted$<salt>$<hex>` (see [`clerk::stored_digest`]).
    Md5Salted,
    Sha256,
    /// Stored tagged: `sha256_salted$<salt>$<hex>`.
    Sha256Salted,
    Sha512Symfony,
}

impl PasswordFormat {
    /// The Clerk `password_hasher` name, or `better_auth_scrypt`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            PasswordFormat::BetterAuthScrypt => "better_auth_scrypt",
            PasswordFormat::Argon2id => "argon2id",
            PasswordFormat::Argon2i => "argon2i",
            PasswordFormat::Bcrypt => "bcrypt",
            PasswordFormat::BcryptPeppered => "bcrypt_peppered",
            PasswordFormat::BcryptSha256Django => "bcrypt_sha256_django",
            PasswordFormat::Pbkdf2Sha256 => "pbkdf2_sha256",
            PasswordFormat::Pbkdf2Sha1 => "pbkdf2_sha1",
            PasswordFormat::Pbkdf2Sha512 => "pbkdf2_sha512",
            PasswordFormat::Pbkdf2Sha512Hex => "pbkdf2_sha512_hex",
            PasswordFormat::ScryptFirebase => "scrypt_firebase",
            PasswordFormat::ScryptWerkzeug => "scrypt_werkzeug",
            PasswordFormat::Phpass => "phpass",
            PasswordFormat::Md5Phpass => "md5_phpass",
            PasswordFormat::LdapSsha => "ldap_ssha",
            PasswordFormat::Md5 => "md5",
            PasswordFormat::Md5Salted => "md5_salted",
            PasswordFormat::Sha256 => "sha256",
            PasswordFormat::Sha256Salted => "sha256_salted",
            PasswordFormat::Sha512Symfony => "sha512_symfony",
        }
    }
}

impl fmt::Display for PasswordFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The format new hashes are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NativeFormat {
    /// Better Auth's scrypt: a Node Better Auth sharing the database can verify it.
    #[default]
    BetterAuthScrypt,
    /// argon2id, m = 19456 KiB, t = 2, p = 1: stronger, but Node Better Auth cannot verify it
    /// without a custom verifier.
    Argon2id,
}

/// Configuration some imported formats need at verification time.
#[derive(Debug, Clone, Default)]
pub struct VerifyContext {
    /// Firebase project parameters, for `scrypt_firebase` digests that leave them empty.
    pub firebase: Option<FirebaseParams>,
    /// Concatenation order of `md5_salted` / `sha256_salted` (undocumented by Clerk).
    pub salt_order: SaltOrder,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    /// The stored string matches no known format.
    #[error("stored password hash is in no known format")]
    Unrecognized,
    /// The stored string names a format but cannot be used (shape, or a cost over the caps).
    #[error("stored {format} password hash cannot be used: {reason}")]
    Malformed {
        format: PasswordFormat,
        reason: parse::Reason,
    },
    /// Hashing a new password failed (never expected with valid parameters).
    #[error("password hashing failed: {0}")]
    Hashing(parse::Reason),
}

/// NFKC, as Better Auth applies to the password inside its scrypt.
fn nfkc(password: &str) -> Zeroizing<String> {
    Zeroizing::new(password.nfkc().collect())
}

/// The format of a stored hash, by its shape. `None` for anything unknown, including Clerk's
/// untagged `<salt>$<hex>` salted digests (the importer stores those tagged).
#[must_use]
pub fn identify(stored: &str) -> Option<PasswordFormat> {
    use PasswordFormat as F;
    if let Some(v) = argon2_phc::variant(stored) {
        return Some(match v {
            argon2_phc::Variant::Id => F::Argon2id,
            argon2_phc::Variant::I => F::Argon2i,
        });
    }
    if bcrypt_family::is_bcrypt(stored) {
        return Some(F::Bcrypt);
    }
    if bcrypt_family::split_peppered(stored).is_some() {
        return Some(F::BcryptPeppered);
    }
    if bcrypt_family::is_django(stored) {
        return Some(F::BcryptSha256Django);
    }
    if let Some(kind) = pbkdf2_family::Kind::of(stored) {
        return Some(match kind {
            pbkdf2_family::Kind::Sha256 => F::Pbkdf2Sha256,
            pbkdf2_family::Kind::Sha1 => F::Pbkdf2Sha1,
            pbkdf2_family::Kind::Sha512 => F::Pbkdf2Sha512,
            pbkdf2_family::Kind::Sha512Hex => F::Pbkdf2Sha512Hex,
        });
    }
    if scrypt_werkzeug::looks_like(stored) {
        return Some(F::ScryptWerkzeug);
    }
    if symfony::looks_like(stored) {
        return Some(F::Sha512Symfony);
    }
    if let Some(algo) = digest::salted_algo(stored) {
        return Some(match algo {
            digest::Algo::Md5 => F::Md5Salted,
            digest::Algo::Sha256 => F::Sha256Salted,
        });
    }
    if stored.starts_with("$P$") {
        return Some(F::Phpass);
    }
    if stored.starts_with("$H$") {
        return Some(F::Md5Phpass);
    }
    if digest::is_ssha(stored) {
        return Some(F::LdapSsha);
    }
    if let Some(algo) = digest::unsalted(stored) {
        return Some(match algo {
            digest::Algo::Md5 => F::Md5,
            digest::Algo::Sha256 => F::Sha256,
        });
    }
    if scrypt_firebase::looks_like(stored) {
        return Some(F::ScryptFirebase);
    }
    // Last: Better Auth accepts any `salt:key` with both parts non-empty.
    if ba_scrypt::looks_like(stored) {
        return Some(F::BetterAuthScrypt);
    }
    None
}

/// Whether `password` matches `stored`, whatever format `stored` is in.
pub fn verify(stored: &str, password: &str, ctx: &VerifyContext) -> Result<bool, PasswordError> {
    use PasswordFormat as F;
    let format = identify(stored).ok_or(PasswordError::Unrecognized)?;
    let result = match format {
        F::BetterAuthScrypt => ba_scrypt::verify(stored, password),
        F::Argon2id | F::Argon2i => argon2_phc::verify(stored, password),
        F::Bcrypt => bcrypt_family::verify(stored, password),
        F::BcryptPeppered => bcrypt_family::verify_peppered(stored, password),
        F::BcryptSha256Django => bcrypt_family::verify_django(stored, password),
        F::Pbkdf2Sha256 | F::Pbkdf2Sha1 | F::Pbkdf2Sha512 | F::Pbkdf2Sha512Hex => {
            pbkdf2_family::verify(stored, password)
        }
        F::ScryptFirebase => scrypt_firebase::verify(stored, password, ctx.firebase.as_ref()),
        F::ScryptWerkzeug => scrypt_werkzeug::verify(stored, password),
        F::Phpass | F::Md5Phpass => phpass::verify(stored, password),
        F::LdapSsha => digest::verify_ldap_ssha(stored, password),
        F::Md5 => digest::verify_unsalted(stored, password, digest::Algo::Md5),
        F::Sha256 => digest::verify_unsalted(stored, password, digest::Algo::Sha256),
        F::Md5Salted | F::Sha256Salted => digest::verify_salted(stored, password, ctx.salt_order),
        F::Sha512Symfony => symfony::verify(stored, password),
    };
    result.map_err(|reason| PasswordError::Malformed { format, reason })
}

/// A new hash of `password` in the native format.
pub fn hash(password: &str, native: NativeFormat) -> Result<String, PasswordError> {
    match native {
        NativeFormat::BetterAuthScrypt => ba_scrypt::hash(password),
        NativeFormat::Argon2id => argon2_phc::hash(password),
    }
    .map_err(PasswordError::Hashing)
}

/// True unless `stored` is already in the native format at full strength: every imported
/// format, Better Auth scrypt when argon2id is native (and the reverse), argon2 weaker than
/// the native cost, and anything unparseable.
#[must_use]
pub fn needs_rehash(stored: &str, native: NativeFormat) -> bool {
    match (identify(stored), native) {
        (Some(PasswordFormat::BetterAuthScrypt), NativeFormat::BetterAuthScrypt) => false,
        (Some(PasswordFormat::Argon2id), NativeFormat::Argon2id) => {
            argon2_phc::weaker_than_native(stored)
        }
        _ => true,
    }
}

#[cfg(test)]
mod tests;
