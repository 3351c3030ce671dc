//! The auth secret(s) and the versioned `$ba$<version>$<hex>` envelope (reference §5.2, §4.2).
//!
//! With `BETTER_AUTH_SECRETS="2:new,1:old"` Better Auth signs with the first (current) secret,
//! encrypts into an envelope naming the current version, and decrypts any configured version; a
//! bare-hex value from before the rotation is read with the legacy `BETTER_AUTH_SECRET`. With a
//! single secret there is no envelope at all, in either direction.

use std::fmt;

use super::{SymmetricError, decrypt, encrypt};

const ENVELOPE_PREFIX: &str = "$ba$";

/// Better Auth's built-in development secret; it is never used as a legacy decryption key.
const DEFAULT_SECRET: &str = "better-auth-secret-12345678901234567890";

/// The configured secret or secrets. `Debug` never prints them.
#[derive(Clone, PartialEq, Eq)]
pub struct Secrets {
    kind: Kind,
}

#[derive(Clone, PartialEq, Eq)]
enum Kind {
    Single(String),
    Versioned {
        /// The first configured entry: it encrypts and signs.
        current: (u64, String),
        /// The other entries, still accepted for decryption.
        older: Vec<(u64, String)>,
        legacy: Option<String>,
    },
}

/// Why `BETTER_AUTH_SECRETS` was refused (Better Auth refuses to start on the same inputs).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretsError {
    #[error("BETTER_AUTH_SECRETS has no entries")]
    Empty,
    #[error("BETTER_AUTH_SECRETS entry {position} is not \"<version>:<secret>\"")]
    MissingColon { position: usize },
    #[error("BETTER_AUTH_SECRETS entry {position} has an invalid version (non-negative integer)")]
    BadVersion { position: usize },
    #[error("BETTER_AUTH_SECRETS entry for version {version} has an empty secret")]
    EmptySecret { version: u64 },
    #[error("BETTER_AUTH_SECRETS names version {version} twice")]
    DuplicateVersion { version: u64 },
}

impl Secrets {
    /// One secret (`BETTER_AUTH_SECRET`): bare-hex ciphertexts, no envelope.
    pub fn single(secret: impl Into<String>) -> Self {
        Secrets {
            kind: Kind::Single(secret.into()),
        }
    }

    /// Versioned secrets, current first. `legacy` is `BETTER_AUTH_SECRET`, used only to read
    /// bare-hex values; Better Auth ignores it when empty or equal to its default secret.
    pub fn versioned(
        keys: Vec<(u64, String)>,
        legacy: Option<String>,
    ) -> Result<Self, SecretsError> {
        let mut seen = std::collections::HashSet::new();
        for (version, value) in &keys {
            if value.is_empty() {
                return Err(SecretsError::EmptySecret { version: *version });
            }
            if !seen.insert(*version) {
                return Err(SecretsError::DuplicateVersion { version: *version });
            }
        }
        let legacy = legacy.filter(|l| !l.is_empty() && l != DEFAULT_SECRET);
        let mut keys = keys.into_iter();
        let current = keys.next().ok_or(SecretsError::Empty)?;
        Ok(Secrets {
            kind: Kind::Versioned {
                current,
                older: keys.collect(),
                legacy,
            },
        })
    }

    /// Parses `BETTER_AUTH_SECRETS` (`"2:new,1:old"`; entries and secrets are trimmed) as Better
    /// Auth does, except that a version must be all digits (Better Auth's `parseInt` would read
    /// `"2x"` as 2).
    pub fn parse_versioned(env: &str, legacy: Option<&str>) -> Result<Self, SecretsError> {
        let mut keys = Vec::new();
        for (index, entry) in env.split(',').enumerate() {
            let position = index + 1;
            let entry = entry.trim();
            let (version, value) = entry
                .split_once(':')
                .ok_or(SecretsError::MissingColon { position })?;
            let version = parse_version(version).ok_or(SecretsError::BadVersion { position })?;
            keys.push((version, value.trim().to_owned()));
        }
        Secrets::versioned(keys, legacy.map(str::to_owned))
    }

    /// The secret that signs cookies, JWTs and HMACs: the single secret, or the first entry.
    #[must_use]
    pub fn current(&self) -> &str {
        match &self.kind {
            Kind::Single(s) => s,
            Kind::Versioned { current, .. } => &current.1,
        }
    }

    /// `symmetricEncrypt({key: secretConfig, data})`.
    pub fn encrypt(&self, plaintext: &str) -> Result<String, SymmetricError> {
        match &self.kind {
            Kind::Single(secret) => encrypt(secret, plaintext),
            Kind::Versioned {
                current: (version, secret),
                ..
            } => Ok(format!(
                "{ENVELOPE_PREFIX}{version}${}",
                encrypt(secret, plaintext)?
            )),
        }
    }

    /// `symmetricDecrypt({key: secretConfig, data})`.
    pub fn decrypt(&self, data: &str) -> Result<String, SymmetricError> {
        match &self.kind {
            Kind::Single(secret) => decrypt(secret, data),
            Kind::Versioned {
                current,
                older,
                legacy,
            } => {
                if let Some((version, hex)) = parse_envelope(data) {
                    let secret = std::iter::once(current)
                        .chain(older)
                        .find(|(v, _)| *v == version)
                        .map(|(_, s)| s)
                        .ok_or(SymmetricError::UnknownVersion(version))?;
                    return decrypt(secret, hex);
                }
                match legacy {
                    Some(secret) => decrypt(secret, data),
                    None => Err(SymmetricError::NoLegacySecret),
                }
            }
        }
    }
}

impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::Single(_) => f.write_str("Secrets::Single(<redacted>)"),
            Kind::Versioned {
                current,
                older,
                legacy,
            } => {
                let versions: Vec<u64> = std::iter::once(current)
                    .chain(older)
                    .map(|(v, _)| *v)
                    .collect();
                f.debug_struct("Secrets::Versioned")
                    .field("versions", &versions)
                    .field("legacy", &legacy.is_some())
                    .finish()
            }
        }
    }
}

fn parse_version(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// `$ba$<version>$<hex>`; anything else is treated as a bare legacy value, as Better Auth does.
fn parse_envelope(data: &str) -> Option<(u64, &str)> {
    let rest = data.strip_prefix(ENVELOPE_PREFIX)?;
    let (version, hex) = rest.split_once('$')?;
    Some((parse_version(version)?, hex))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    // From testdata/gen-vectors.mjs: Better Auth 1.7.25 with these secrets.
    const ENV: &str = "2:new-secret-version-two-0123456789,1:old-secret-version-one-0123456789";
    const LEGACY: &str = "legacy-secret-0123456789abcdef0123";
    const BA_CURRENT: &str = "$ba$2$be91d237d90cb78ded3dde14970389bd8dc088061bd9d465befbfb5edf17d37a394606b149ebfcde0b84ff8e36f106";
    const BA_OLD_VERSION: &str = "$ba$1$735b423540332e1ffe0d70cad4d90cf845675d67b61838e5354d999ac3f640420b569a65ba214fba7b52a4";
    const BA_LEGACY_BARE: &str = "b2b00493343f5671fa57f2d13d79ea41e2612e2ed22f6dc8ae6b46f28cda770090c66419040b3e76fb08a8882aed";

    fn rotated() -> Secrets {
        Secrets::parse_versioned(ENV, Some(LEGACY)).unwrap()
    }

    #[test]
    fn better_auth_envelopes_decrypt_by_version() {
        let s = rotated();
        assert_eq!(s.decrypt(BA_CURRENT).unwrap(), "current");
        assert_eq!(s.decrypt(BA_OLD_VERSION).unwrap(), "old");
    }

    #[test]
    fn bare_hex_falls_back_to_the_legacy_secret() {
        assert_eq!(rotated().decrypt(BA_LEGACY_BARE).unwrap(), "legacy");
        let no_legacy = Secrets::parse_versioned(ENV, None).unwrap();
        assert_eq!(
            no_legacy.decrypt(BA_LEGACY_BARE),
            Err(SymmetricError::NoLegacySecret)
        );
    }

    #[test]
    fn the_default_secret_is_never_a_legacy_key() {
        let s = Secrets::parse_versioned(ENV, Some(DEFAULT_SECRET)).unwrap();
        let bare = encrypt(DEFAULT_SECRET, "x").unwrap();
        assert_eq!(s.decrypt(&bare), Err(SymmetricError::NoLegacySecret));
    }

    #[test]
    fn encrypt_uses_the_current_version() {
        let s = rotated();
        let c = s.encrypt("secret data").unwrap();
        assert!(c.starts_with("$ba$2$"));
        assert_eq!(s.decrypt(&c).unwrap(), "secret data");
        assert_eq!(
            decrypt("new-secret-version-two-0123456789", &c[6..]).unwrap(),
            "secret data"
        );
        assert_eq!(s.current(), "new-secret-version-two-0123456789");
    }

    #[test]
    fn retired_versions_are_refused() {
        let only_new =
            Secrets::parse_versioned("2:new-secret-version-two-0123456789", None).unwrap();
        assert_eq!(
            only_new.decrypt(BA_OLD_VERSION),
            Err(SymmetricError::UnknownVersion(1))
        );
    }

    #[test]
    fn a_single_secret_writes_and_reads_bare_hex() {
        let s = Secrets::single(LEGACY);
        assert_eq!(s.decrypt(BA_LEGACY_BARE).unwrap(), "legacy");
        let c = s.encrypt("x").unwrap();
        assert!(!c.starts_with('$'));
        assert_eq!(s.decrypt(&c).unwrap(), "x");
        // Better Auth in single-secret mode does not understand envelopes either.
        assert_eq!(s.decrypt(BA_CURRENT), Err(SymmetricError::NotHex));
        assert_eq!(s.current(), LEGACY);
    }

    #[test]
    fn malformed_secret_lists_are_refused() {
        assert_eq!(
            Secrets::parse_versioned("2:a,nocolon", None),
            Err(SecretsError::MissingColon { position: 2 })
        );
        assert_eq!(
            Secrets::parse_versioned("-1:a", None),
            Err(SecretsError::BadVersion { position: 1 })
        );
        assert_eq!(
            Secrets::parse_versioned("2x:a", None),
            Err(SecretsError::BadVersion { position: 1 })
        );
        assert_eq!(
            Secrets::parse_versioned("2: ", None),
            Err(SecretsError::EmptySecret { version: 2 })
        );
        assert_eq!(
            Secrets::parse_versioned("2:a,2:b", None),
            Err(SecretsError::DuplicateVersion { version: 2 })
        );
        assert_eq!(Secrets::versioned(vec![], None), Err(SecretsError::Empty));
    }

    #[test]
    fn entries_and_values_are_trimmed() {
        let s = Secrets::parse_versioned(" 3: abc , 1:def", None).unwrap();
        assert_eq!(s.current(), "abc");
    }

    #[test]
    fn debug_output_hides_the_secrets() {
        let shown = format!("{:?} {:?}", rotated(), Secrets::single(LEGACY));
        assert!(!shown.contains("secret-version") && !shown.contains(LEGACY));
    }
}
