//! Better Auth's `symmetricEncrypt` / `symmetricDecrypt` (reference §5.2): how TOTP secrets, backup
//! codes and OAuth state are kept at rest.
//!
//! key = SHA-256(UTF-8 key string); XChaCha20-Poly1305 with a random 24-byte nonce and no AAD;
//! output = lowercase hex(nonce ‖ ciphertext ‖ tag). A ciphertext written by Node Better Auth
//! decrypts here and the reverse, which the tests pin down with vectors Better Auth produced.
//! [`Secrets`] adds the versioned `$ba$<version>$<hex>` envelope of `BETTER_AUTH_SECRETS`.

mod secrets;

pub use secrets::{Secrets, SecretsError};

use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::random::random_bytes;

const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;

/// Why a value could not be encrypted or decrypted. Better Auth throws in each of these cases,
/// which its endpoints turn into HTTP 500.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SymmetricError {
    /// The stored value is not even-length hex.
    #[error("ciphertext is not hex")]
    NotHex,
    /// Shorter than a nonce plus a tag.
    #[error("ciphertext is too short")]
    TooShort,
    /// Wrong key, or the ciphertext was altered.
    #[error("ciphertext does not authenticate under this key")]
    Unauthentic,
    /// A `$ba$<v>$` envelope names a version that is not (or no longer) configured.
    #[error("secret version {0} is not configured")]
    UnknownVersion(u64),
    /// A bare-hex (pre-rotation) value, but no legacy secret is configured to read it.
    #[error("bare-hex ciphertext needs the legacy secret, which is not configured")]
    NoLegacySecret,
    /// The plaintext is larger than XChaCha20-Poly1305 can encrypt.
    #[error("plaintext too large")]
    TooLarge,
}

fn derive_key(key: &str) -> Zeroizing<[u8; 32]> {
    Zeroizing::new(Sha256::digest(key.as_bytes()).into())
}

fn cipher(key: &str) -> XChaCha20Poly1305 {
    let key = derive_key(key);
    XChaCha20Poly1305::new(key.as_ref().into())
}

/// `symmetricEncrypt({key: <string>, data})`: bare lowercase hex, no envelope.
pub fn encrypt(key: &str, plaintext: &str) -> Result<String, SymmetricError> {
    encrypt_with_nonce(key, plaintext, &random_bytes::<NONCE_LEN>())
}

fn encrypt_with_nonce(
    key: &str,
    plaintext: &str,
    nonce: &[u8; NONCE_LEN],
) -> Result<String, SymmetricError> {
    let sealed = cipher(key)
        .encrypt(XNonce::from_slice(nonce), plaintext.as_bytes())
        .map_err(|_| SymmetricError::TooLarge)?;
    let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
    out.extend_from_slice(nonce);
    out.extend_from_slice(&sealed);
    Ok(hex::encode(out))
}

/// `symmetricDecrypt({key: <string>, data})` of bare hex. Invalid UTF-8 in the plaintext is
/// replaced by U+FFFD, as JavaScript's `TextDecoder` does.
pub fn decrypt(key: &str, ciphertext_hex: &str) -> Result<String, SymmetricError> {
    let data = hex::decode(ciphertext_hex).map_err(|_| SymmetricError::NotHex)?;
    if data.len() < NONCE_LEN + TAG_LEN {
        return Err(SymmetricError::TooShort);
    }
    let (nonce, sealed) = data.split_at(NONCE_LEN);
    let plain = Zeroizing::new(
        cipher(key)
            .decrypt(XNonce::from_slice(nonce), sealed)
            .map_err(|_| SymmetricError::Unauthentic)?,
    );
    Ok(String::from_utf8_lossy(&plain).into_owned())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const KEY: &str = "tessera-vector-secret-0123456789abcdef";

    /// `symmetricEncrypt({key: KEY, data})` in Better Auth 1.7.25 (testdata/gen-vectors.mjs).
    const BA_VECTORS: [(&str, &str); 4] = [
        (
            "hello",
            "b76395524a8d2bbee83e1e7e98608d26df7e23ac219dd72c08b0c9a6aabb7a9b2db51cf33e73ef60de5010c68a",
        ),
        (
            "JBSWY3DPEHPK3PXP",
            "35c356d9f072f69f460a2219de358fb8b260553581793a9ed31656428039698c3a906dc6f0038994bf163b19dda9cf07ebb62b94ff62feb3",
        ),
        (
            r#"["WGHer-sebd4","a1b2c-D3e4F"]"#,
            "8d7e56561b9c7389c90c9dae5069bc38e325b7e4b5afcee1e98b828e4b4e2e1a421ff75042f7739b3663990af2d4dc8ec32d807a42b1f02c683ad10d49a1f799f61041a1c3",
        ),
        (
            "é😀",
            "df0a0a8e9291481aa1e240ec4f1b6e4e7cde82666393d52009e1d71e8e58ad479cb738d27c3f067f811ba1e2b4ad",
        ),
    ];

    #[test]
    fn better_auth_ciphertexts_decrypt() {
        for (plain, hex) in BA_VECTORS {
            assert_eq!(decrypt(KEY, hex).unwrap(), plain);
        }
    }

    #[test]
    fn same_nonce_gives_better_auths_exact_bytes() {
        for (plain, hex) in BA_VECTORS {
            let nonce: [u8; NONCE_LEN] = hex::decode(&hex[..NONCE_LEN * 2])
                .unwrap()
                .try_into()
                .unwrap();
            assert_eq!(encrypt_with_nonce(KEY, plain, &nonce).unwrap(), hex);
        }
    }

    #[test]
    fn hello_is_90_hex_chars_and_round_trips() {
        let c = encrypt(KEY, "hello").unwrap();
        assert_eq!(c.len(), 90);
        assert!(
            c.bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
        assert_eq!(decrypt(KEY, &c).unwrap(), "hello");
        assert_ne!(encrypt(KEY, "hello").unwrap(), c, "nonce must be fresh");
    }

    #[test]
    fn wrong_key_or_tampering_is_unauthentic() {
        let (_, hex) = BA_VECTORS[0];
        assert_eq!(
            decrypt("another-key", hex),
            Err(SymmetricError::Unauthentic)
        );
        let mut tampered = hex.to_owned();
        tampered.replace_range(60..61, if &hex[60..61] == "0" { "1" } else { "0" });
        assert_eq!(decrypt(KEY, &tampered), Err(SymmetricError::Unauthentic));
    }

    #[test]
    fn malformed_ciphertexts_are_typed_errors() {
        assert_eq!(decrypt(KEY, "xyz"), Err(SymmetricError::NotHex));
        assert_eq!(decrypt(KEY, "abc"), Err(SymmetricError::NotHex));
        assert_eq!(
            decrypt(KEY, &"00".repeat(39)),
            Err(SymmetricError::TooShort)
        );
        // A raw Clerk TOTP secret stored without encryption (reference §5.3).
        assert_eq!(
            decrypt(KEY, "JBSWY3DPEHPK3PXP"),
            Err(SymmetricError::NotHex)
        );
    }
}
