//! Portable phpass (WordPress `$P$`, phpBB `$H$`): Clerk hashers `phpass` and `md5_phpass`.
//!
//! `$P$` + one character giving log2 of the round count + 8 salt characters + 22 characters of
//! checksum, all in the `./0-9A-Za-z` alphabet. hash = MD5(salt ‖ password), then
//! `2^count` times hash = MD5(hash ‖ password); the checksum is phpass's little-endian
//! radix-64 encoding of the 16 bytes. `$H$` is the same algorithm under another prefix.

use md5::{Digest, Md5};

use super::parse::{OVER_PHPASS_ROUNDS, Reason, caps};
use crate::crypto::ct::constant_time_eq;

const ITOA64: &[u8; 64] = b"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const LEN: usize = 34;
/// phpass refuses counts below 2^7.
const MIN_LOG2: u32 = 7;

pub fn looks_like(stored: &str) -> bool {
    stored.starts_with("$P$") || stored.starts_with("$H$")
}

fn parse_inner(stored: &str) -> Result<(u32, &str, &str), Reason> {
    if !looks_like(stored) || stored.len() != LEN || !stored.is_ascii() {
        return Err("expected $P$ or $H$ and 31 characters");
    }
    let count_char = stored.as_bytes().get(3).copied().unwrap_or_default();
    let log2 = ITOA64
        .iter()
        .position(|&c| c == count_char)
        .and_then(|p| u32::try_from(p).ok())
        .ok_or("round count character outside the alphabet")?;
    if log2 < MIN_LOG2 {
        return Err("round count below 2^7");
    }
    if log2 > caps().phpass_log2 {
        return Err(OVER_PHPASS_ROUNDS);
    }
    let salt = stored.get(4..12).ok_or("missing salt")?;
    let checksum = stored.get(12..).ok_or("missing checksum")?;
    Ok((log2, salt, checksum))
}

pub fn parse(stored: &str) -> Result<(), Reason> {
    parse_inner(stored).map(|_| ())
}

pub fn verify(stored: &str, password: &str) -> Result<bool, Reason> {
    let (log2, salt, checksum) = parse_inner(stored)?;
    let mut hash: [u8; 16] = Md5::new()
        .chain_update(salt.as_bytes())
        .chain_update(password.as_bytes())
        .finalize()
        .into();
    for _ in 0..(1u64 << log2) {
        hash = Md5::new()
            .chain_update(hash)
            .chain_update(password.as_bytes())
            .finalize()
            .into();
    }
    Ok(constant_time_eq(
        encode64(&hash).as_bytes(),
        checksum.as_bytes(),
    ))
}

/// phpass `encode64`: 3 bytes → 4 characters, least significant 6 bits first.
fn encode64(input: &[u8]) -> String {
    let mut out = String::with_capacity(22);
    let mut push = |v: u32| {
        if let Some(&c) = ITOA64.get((v & 0x3f) as usize) {
            out.push(char::from(c));
        }
    };
    for chunk in input.chunks(3) {
        let value = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &b)| acc | u32::from(b) << (8 * i));
        push(value);
        push(value >> 6);
        if chunk.len() > 1 {
            push(value >> 12);
        }
        if chunk.len() > 2 {
            push(value >> 18);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    // clerk-export.md §3.3 (passlib, 2^11 rounds).
    const PHPASS: &str = "$P$9abcdefghreUCnbbQX76dJT2aHvsT6.";
    const MD5_PHPASS: &str = "$H$9abcdefghreUCnbbQX76dJT2aHvsT6.";

    #[test]
    fn clerk_vectors_verify() {
        for stored in [PHPASS, MD5_PHPASS] {
            assert!(verify(stored, "password").unwrap(), "{stored}");
            assert!(!verify(stored, "Password").unwrap(), "{stored}");
        }
    }

    #[test]
    fn encode64_of_16_bytes_is_22_characters() {
        assert_eq!(encode64(&[0u8; 16]), "......................");
        assert_eq!(encode64(&[0xff; 16]).len(), 22);
    }

    #[test]
    fn malformed_and_over_cap_digests_are_parse_errors() {
        assert!(verify("$P$9abcdefgh", "password").is_err());
        assert!(
            verify("$P$4abcdefghreUCnbbQX76dJT2aHvsT6.", "password").is_err(),
            "2^6 is under the floor"
        );
        assert_eq!(
            verify("$P$Pabcdefghr4UCnbbQX76dJT2aHvsT6.", "password"),
            Err(OVER_PHPASS_ROUNDS),
            "2^27"
        );
    }
}
