//! Provider tokens as Better Auth stores them on the account row: plain by default, or with
//! `account.encryptOAuthTokens` as `symmetricEncrypt(secret, token)` (the same hex, or
//! `$ba$<version>$<hex>` envelope, as every other ciphertext).

use crate::crypto::symmetric::{Secrets, SymmetricError};

/// The value to write for a token.
pub fn seal(
    secrets: &Secrets,
    encrypt: bool,
    token: Option<&str>,
) -> Result<Option<String>, SymmetricError> {
    match token {
        Some(t) if encrypt && !t.is_empty() => secrets.encrypt(t).map(Some),
        other => Ok(other.map(str::to_owned)),
    }
}

/// The token a stored value holds. With encryption on, a value that does not look encrypted is
/// taken as written before encryption was switched on (Better Auth's `isLikelyEncrypted` rule).
pub fn open(secrets: &Secrets, encrypt: bool, stored: &str) -> Result<String, SymmetricError> {
    if encrypt && is_likely_encrypted(stored) {
        secrets.decrypt(stored)
    } else {
        Ok(stored.to_owned())
    }
}

fn is_likely_encrypted(token: &str) -> bool {
    token.starts_with("$ba$")
        || (token.len().is_multiple_of(2)
            && !token.is_empty()
            && token.bytes().all(|b| b.is_ascii_hexdigit()))
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

    #[test]
    fn plain_unless_encryption_is_on() {
        let s = Secrets::single("a-secret-that-is-long-enough-for-tests");
        assert_eq!(
            seal(&s, false, Some("tok")).unwrap().as_deref(),
            Some("tok")
        );
        let sealed = seal(&s, true, Some("tok")).unwrap().unwrap();
        assert_ne!(sealed, "tok");
        assert_eq!(sealed.len(), 2 * (24 + 3 + 16));
        assert_eq!(open(&s, true, &sealed).unwrap(), "tok");
        assert_eq!(open(&s, true, "not-hex-token").unwrap(), "not-hex-token");
        assert_eq!(open(&s, false, &sealed).unwrap(), sealed);
        assert_eq!(seal(&s, true, None).unwrap(), None);
    }
}
