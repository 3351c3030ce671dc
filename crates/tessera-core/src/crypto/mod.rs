//! Cryptography, byte-compatible with Better Auth 1.7.25 (reference §1.5, §4.2, §5).
//!
//! Each module reproduces one Better Auth mechanism and is pinned by known-answer tests, most of
//! them produced by real Better Auth (`testdata/gen-vectors.mjs` says how to regenerate them):
//!
//! - [`ct`]: constant-time comparison, used for every secret.
//! - [`random`]: `generateId`, `generateRandomString`, secrets.
//! - [`symmetric`]: `symmetricEncrypt`/`symmetricDecrypt` and the `BETTER_AUTH_SECRETS` envelope.
//! - [`signed`]: signed cookie values and the HMACs on the auth secret.
//! - [`password`]: native hashes and every imported format, verified by format.
//! - [`totp`] and [`backup_codes`]: two-factor secrets, codes and URIs.
//! - [`jwt`]: the HS256 tokens of email verification.
//! - [`uri`]: JavaScript's URL encodings, which signed values and URIs depend on.

pub mod backup_codes;
pub mod ct;
pub mod jwt;
pub mod key_hash;
pub mod password;
pub mod random;
pub mod signed;
pub mod symmetric;
pub mod totp;
pub mod uri;
