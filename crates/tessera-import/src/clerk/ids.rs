//! Row ids derived from the Clerk user, so that a rerun produces the same ids and the store's
//! "skip what is already there" finds every row written before a crash.
//!
//! Users keep their Clerk id. Account and twoFactor ids are a keyed hash of what identifies the
//! row, rendered the way Better Auth renders its own ids (32 characters of `[A-Za-z0-9]`), so an
//! imported row looks like a native one.

use sha2::{Digest, Sha256};

const ALPHABET: &[u8; 62] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const LENGTH: usize = 32;
/// Changing this changes every derived id, which would make a rerun duplicate rows: never do it.
const DOMAIN: &[u8] = b"tessera-import/clerk/v1";

/// The credential account (`providerId = "credential"`) of a Clerk user.
pub fn credential_account(clerk_id: &str) -> String {
    derive(&["account", clerk_id, "credential"])
}

/// The account of one OAuth identity of a Clerk user.
pub fn oauth_account(clerk_id: &str, provider_id: &str, provider_user_id: &str) -> String {
    derive(&["account", clerk_id, provider_id, provider_user_id])
}

/// The twoFactor row of a Clerk user (Better Auth keeps at most one per user).
pub fn two_factor(clerk_id: &str) -> String {
    derive(&["two-factor", clerk_id])
}

/// The `organizationRole` row of a custom role in an organization.
pub fn organization_role(organization_id: &str, role: &str) -> String {
    derive(&["organization-role", organization_id, role])
}

fn derive(parts: &[&str]) -> String {
    let mut id = String::with_capacity(LENGTH);
    let mut block: u32 = 0;
    while id.len() < LENGTH {
        let mut hash = Sha256::new();
        hash.update(DOMAIN);
        for part in parts {
            // Length-prefixed, so ("ab","c") and ("a","bc") never hash alike.
            hash.update((part.len() as u64).to_be_bytes());
            hash.update(part.as_bytes());
        }
        hash.update(block.to_be_bytes());
        // Rejection sampling like Better Auth's generateId: bytes >= 248 would bias `% 62`.
        for byte in hash.finalize() {
            if byte < 248
                && id.len() < LENGTH
                && let Some(&c) = ALPHABET.get(usize::from(byte % 62))
            {
                id.push(char::from(c));
            }
        }
        block += 1;
    }
    id
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
    fn ids_look_like_better_auth_ids() {
        let id = credential_account("user_2YDryYFVMM1W1plDDKz7Gzf4we6");
        assert_eq!(id.len(), 32);
        assert!(id.bytes().all(|b| b.is_ascii_alphanumeric()), "{id}");
    }

    #[test]
    fn the_same_row_always_gets_the_same_id() {
        assert_eq!(two_factor("user_a"), two_factor("user_a"));
        assert_eq!(
            oauth_account("user_a", "google", "123"),
            oauth_account("user_a", "google", "123")
        );
    }

    #[test]
    fn different_rows_get_different_ids() {
        let ids = [
            credential_account("user_a"),
            credential_account("user_A"),
            two_factor("user_a"),
            oauth_account("user_a", "google", "123"),
            oauth_account("user_a", "google", "1234"),
            oauth_account("user_a", "github", "123"),
            oauth_account("user_a", "google1", "23"),
        ];
        for (i, a) in ids.iter().enumerate() {
            for b in ids.iter().skip(i + 1) {
                assert_ne!(a, b);
            }
        }
    }
}
