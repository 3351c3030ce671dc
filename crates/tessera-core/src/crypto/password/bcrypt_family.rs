//! bcrypt and the two Clerk hashers built on it (clerk-export.md §3.2).
//!
//! - `bcrypt`: `$2a$|$2b$|$2y$<cost>$<22 salt><31 hash>`, 60 characters.
//! - `bcrypt_peppered`: the same followed by `$<pepper>`; bcrypt over password ‖ pepper (Devise).
//! - `bcrypt_sha256_django`: `bcrypt_sha256$` + a bcrypt string; bcrypt over the 64 lowercase hex
//!   characters of SHA-256(password).
//!
//! bcrypt reads at most 72 bytes of its input. Every system that wrote these digests verified the
//! same way, so longer passwords are verified on their first 72 bytes (the only way the owner can
//! still sign in); the caller then re-hashes the FULL password in the native format, which does
//! not truncate (security requirement P5). The truncation is therefore never true of a password
//! set or changed here.

use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::parse::{OVER_BCRYPT_COST, Reason, caps};

/// bcrypt's own lower bound on the cost.
const MIN_BCRYPT_COST: u32 = 4;
const BCRYPT_LEN: usize = 60;
const DJANGO_PREFIX: &str = "bcrypt_sha256$";
/// bcrypt's radix-64 alphabet.
const BCRYPT_B64: &[u8] = b"./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// `^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$` (Clerk CLI's shape check), without deciding the cost.
fn is_bcrypt_shape(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == BCRYPT_LEN
        && s.starts_with("$2")
        && matches!(b.get(2), Some(b'a' | b'b' | b'y'))
        && b.get(3) == Some(&b'$')
        && b.get(4..6)
            .is_some_and(|c| c.iter().all(u8::is_ascii_digit))
        && b.get(6) == Some(&b'$')
        && b.get(7..)
            .is_some_and(|rest| rest.iter().all(|c| BCRYPT_B64.contains(c)))
}

/// A plain bcrypt string.
pub fn is_bcrypt(stored: &str) -> bool {
    is_bcrypt_shape(stored)
}

/// `<bcrypt>$<pepper>` with a non-empty pepper.
pub fn split_peppered(stored: &str) -> Option<(&str, &str)> {
    let bcrypt = stored.get(..BCRYPT_LEN)?;
    let pepper = stored.get(BCRYPT_LEN..)?.strip_prefix('$')?;
    (is_bcrypt_shape(bcrypt) && !pepper.is_empty()).then_some((bcrypt, pepper))
}

pub fn is_django(stored: &str) -> bool {
    stored.starts_with(DJANGO_PREFIX)
}

fn checked(bcrypt: &str) -> Result<&str, Reason> {
    if !is_bcrypt_shape(bcrypt) {
        return Err("not a $2a$/$2b$/$2y$ bcrypt string");
    }
    let cost: u32 = bcrypt
        .get(4..6)
        .and_then(|c| c.parse().ok())
        .ok_or("bcrypt cost is not a number")?;
    if cost < MIN_BCRYPT_COST {
        return Err("bcrypt cost below 4");
    }
    if cost > caps().bcrypt_cost {
        return Err(OVER_BCRYPT_COST);
    }
    Ok(bcrypt)
}

/// Parses without verifying, for the importer.
pub fn parse(stored: &str) -> Result<(), Reason> {
    checked(stored).map(|_| ())
}

pub fn parse_peppered(stored: &str) -> Result<(), Reason> {
    let (bcrypt, _) = split_peppered(stored).ok_or("expected <bcrypt>$<pepper>")?;
    checked(bcrypt).map(|_| ())
}

pub fn parse_django(stored: &str) -> Result<(), Reason> {
    let bcrypt = stored
        .strip_prefix(DJANGO_PREFIX)
        .ok_or("expected bcrypt_sha256$<bcrypt>")?;
    checked(bcrypt).map(|_| ())
}

fn run(input: &[u8], bcrypt: &str) -> Result<bool, Reason> {
    ::bcrypt::verify(input, checked(bcrypt)?).map_err(|_| "bcrypt string does not decode")
}

pub fn verify(stored: &str, password: &str) -> Result<bool, Reason> {
    run(password.as_bytes(), stored)
}

pub fn verify_peppered(stored: &str, password: &str) -> Result<bool, Reason> {
    let (bcrypt, pepper) = split_peppered(stored).ok_or("expected <bcrypt>$<pepper>")?;
    let input = Zeroizing::new(format!("{password}{pepper}"));
    run(input.as_bytes(), bcrypt)
}

pub fn verify_django(stored: &str, password: &str) -> Result<bool, Reason> {
    let bcrypt = stored
        .strip_prefix(DJANGO_PREFIX)
        .ok_or("expected bcrypt_sha256$<bcrypt>")?;
    let prehash = Zeroizing::new(hex::encode(Sha256::digest(password.as_bytes())));
    run(prehash.as_bytes(), bcrypt)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    // clerk-export.md §3.3.
    const WORKOS: &str = "$2a$10$fgPOubgdJs90F1GK2u.Qye7Xyyi2ajrQJoB5LDG5bnITEvFR/xhZ.";
    const CLERK_README: &str = "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy";
    const PEPPERED: &str = "$2a$10$abcdefghijklmnopqrstuufsJoadzBoTkmhOCPpb8RqEoE8XJX6Ym$pepper123";
    const DJANGO: &str =
        "bcrypt_sha256$$2b$10$abcdefghijklmnopqrstuuKGtB3q5KWIAYoHKk7ixG3rOFapDVR7a";
    /// From the `bcrypt` crate's tests: Python `bcrypt.hashpw(b"x" * 100, ...)`.
    const HUNDRED_X: &str = "$2a$05$......................YgIDy4hFBdVlc/6LHnD9mX488r9cLd2";

    #[test]
    fn bcrypt_vectors() {
        assert!(verify(WORKOS, "password").unwrap());
        assert!(!verify(WORKOS, "password1").unwrap());
        // Only a shape: its password is unknown and is not "password".
        assert!(is_bcrypt(CLERK_README));
        assert!(!verify(CLERK_README, "password").unwrap());
    }

    #[test]
    fn the_2b_and_2y_prefixes_are_the_same_algorithm() {
        for prefix in ["$2b$", "$2y$"] {
            let same = WORKOS.replacen("$2a$", prefix, 1);
            assert!(verify(&same, "password").unwrap(), "{prefix}");
        }
        assert!(verify(&WORKOS.replacen("$2a$", "$2x$", 1), "password").is_err());
    }

    #[test]
    fn peppered_vector() {
        assert!(split_peppered(PEPPERED).is_some());
        assert!(verify_peppered(PEPPERED, "password").unwrap());
        assert!(!verify_peppered(PEPPERED, "passwordpepper123").unwrap());
        assert!(!verify_peppered(PEPPERED, "wrong").unwrap());
        // bcrypt("passwordpepper123") is the plain bcrypt inside.
        assert!(verify(&PEPPERED[..60], "passwordpepper123").unwrap());
    }

    #[test]
    fn django_vector() {
        assert!(verify_django(DJANGO, "password").unwrap());
        assert!(!verify_django(DJANGO, "Password").unwrap());
    }

    #[test]
    fn passwords_over_72_bytes_are_compared_on_their_first_72() {
        let hundred = "x".repeat(100);
        assert!(verify(HUNDRED_X, &hundred).unwrap());
        assert!(verify(HUNDRED_X, &"x".repeat(72)).unwrap());
        assert!(verify(HUNDRED_X, &format!("{}tail", "x".repeat(72))).unwrap());
        assert!(!verify(HUNDRED_X, &"x".repeat(71)).unwrap());
    }

    #[test]
    fn cost_caps_and_shape_are_enforced() {
        let cost16 = WORKOS.replacen("$10$", "$16$", 1);
        assert_eq!(parse(&cost16), Err(OVER_BCRYPT_COST));
        assert!(verify(&cost16, "password").is_err());
        assert!(parse(&WORKOS.replacen("$10$", "$03$", 1)).is_err());
        assert!(parse(&WORKOS[..59]).is_err());
        assert!(parse(&format!("{WORKOS}x")).is_err());
        assert!(parse(&WORKOS.replacen('Q', "!", 1)).is_err());
        assert!(
            parse_peppered(&format!("{WORKOS}$")).is_err(),
            "empty pepper"
        );
        assert!(parse_django("bcrypt_sha256$nope").is_err());
    }
}
