//! argon2 PHC strings: Clerk's `argon2i` / `argon2id` digests, and our selectable native format.
//!
//! Native hashes use argon2id with OWASP's minimum (m = 19456 KiB, t = 2, p = 1; security
//! requirement P10) over the NFKC-normalised password, like Better Auth's scrypt. Imported digests
//! were made from the raw password, and both look alike, so verification tries the NFKC form and,
//! when it differs, the raw password too.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use super::nfkc;
use super::parse::{
    MAX_ARGON2_PARALLELISM, MIN_DIGEST_LEN, OVER_ARGON2_ITERATIONS, OVER_ARGON2_MEMORY,
    OVER_ARGON2_PARALLELISM, Reason, caps,
};

/// Native argon2id cost: OWASP's m = 19 MiB, t = 2, p = 1.
pub const NATIVE_M_KIB: u32 = 19_456;
pub const NATIVE_T: u32 = 2;
pub const NATIVE_P: u32 = 1;
const NATIVE_OUTPUT_LEN: usize = 32;
/// The longest salt the argon2 crate decodes (it verifies with a 64-byte buffer).
const MAX_SALT_LEN: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    I,
    Id,
}

pub fn variant(stored: &str) -> Option<Variant> {
    if stored.starts_with("$argon2id$") {
        Some(Variant::Id)
    } else if stored.starts_with("$argon2i$") {
        Some(Variant::I)
    } else {
        None
    }
}

pub fn hash(password: &str) -> Result<String, Reason> {
    let params = Params::new(NATIVE_M_KIB, NATIVE_T, NATIVE_P, Some(NATIVE_OUTPUT_LEN))
        .map_err(|_| "argon2 parameters are invalid")?;
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
    let salt = SaltString::generate(&mut OsRng);
    let normalized = nfkc(password);
    argon
        .hash_password(normalized.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|_| "argon2 hashing failed")
}

/// The checked parameters of a stored argon2 string.
pub struct Parsed<'a> {
    hash: PasswordHash<'a>,
    pub variant: Variant,
    pub params: Params,
}

pub fn parse(stored: &str) -> Result<Parsed<'_>, Reason> {
    let variant = variant(stored).ok_or("not an argon2i/argon2id PHC string")?;
    let hash = PasswordHash::new(stored).map_err(|_| "not a valid PHC string")?;
    // The argon2 crate multiplies `p` by its minimum memory per lane before checking it, which
    // overflows (a panic under overflow checks) for `p` near 2^32: bound it first (found by
    // fuzzing: `$argon2id$v=19$p=4294967295`).
    if hash
        .params
        .get_decimal("p")
        .is_some_and(|p| p > MAX_ARGON2_PARALLELISM)
    {
        return Err(OVER_ARGON2_PARALLELISM);
    }
    let params = Params::try_from(&hash).map_err(|_| "argon2 parameters are invalid")?;
    let caps = caps();
    if params.m_cost() > caps.argon2_memory_kib {
        return Err(OVER_ARGON2_MEMORY);
    }
    if params.t_cost() > caps.argon2_iterations {
        return Err(OVER_ARGON2_ITERATIONS);
    }
    if params.p_cost() > MAX_ARGON2_PARALLELISM {
        return Err(OVER_ARGON2_PARALLELISM);
    }
    match hash.hash {
        Some(output) if output.len() >= MIN_DIGEST_LEN => {}
        Some(_) => return Err("digest shorter than 16 bytes"),
        None => return Err("PHC string has no hash"),
    }
    // What the argon2 crate refuses at verification must be refused here, or the importer would
    // accept a digest whose every sign-in is an HTTP 500 (found by fuzzing: a 5-byte salt).
    let Some(salt) = hash.salt else {
        return Err("PHC string has no salt");
    };
    let mut salt_bytes = [0u8; MAX_SALT_LEN];
    match salt.decode_b64(&mut salt_bytes) {
        Ok(decoded) if decoded.len() >= argon2::MIN_SALT_LEN => {}
        _ => return Err("argon2 salt is not 8 to 64 bytes of base64"),
    }
    if Version::try_from(hash.version.unwrap_or(0x13)).is_err() {
        return Err("argon2 version is neither 0x10 nor 0x13");
    }
    Ok(Parsed {
        hash,
        variant,
        params,
    })
}

pub fn verify(stored: &str, password: &str) -> Result<bool, Reason> {
    let parsed = parse(stored)?;
    let normalized = nfkc(password);
    if check(&parsed.hash, normalized.as_bytes())? {
        return Ok(true);
    }
    if normalized.as_str() != password {
        return check(&parsed.hash, password.as_bytes());
    }
    Ok(false)
}

fn check(hash: &PasswordHash<'_>, password: &[u8]) -> Result<bool, Reason> {
    match Argon2::default().verify_password(password, hash) {
        Ok(()) => Ok(true),
        Err(argon2::password_hash::Error::Password) => Ok(false),
        Err(_) => Err("argon2 parameters are invalid"),
    }
}

/// True when a stored argon2 string is weaker than the native cost, or not argon2id v1.3.
pub fn weaker_than_native(stored: &str) -> bool {
    let Ok(parsed) = parse(stored) else {
        return true;
    };
    parsed.variant != Variant::Id
        || parsed.hash.version != Some(0x13)
        || parsed.params.m_cost() < NATIVE_M_KIB
        || parsed.params.t_cost() < NATIVE_T
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn salts_and_versions_the_verifier_refuses_do_not_parse() {
        let with = |salt: &str, version: &str| {
            format!(
                "$argon2id$v={version}$m=16,t=1,p=1${salt}$GpZ3sK/oH9p7VIiV56G/64Zo/8GaUw434IimaPqxwCo"
            )
        };
        assert!(parse(&with("c29tZXNhbHQ", "19")).is_ok(), "8 bytes");
        assert!(parse(&with("c29tZHQ", "19")).is_err(), "5 bytes");
        assert!(parse(&with(&"A".repeat(88), "19")).is_err(), "66 bytes");
        assert!(parse(&with("c29tZXNhbHQ", "20")).is_err(), "version 0x14");
        assert!(verify(&with("c29tZXNhbHQ", "19"), "x").is_ok());
    }

    #[test]
    fn a_parallelism_near_two_to_the_32_is_refused_without_a_panic() {
        for stored in [
            "$argon2id$v=19$p=4294967295",
            "$argon2id$v=19$m=16,t=1,p=4294967295$c29tZXNhbHQ$GpZ3sK/oH9p7VIiV56G/64Zo/8GaUw434IimaPqxwCo",
        ] {
            assert!(parse(stored).is_err(), "{stored}");
        }
    }

    #[test]
    fn phc_reference_vectors_verify() {
        // clerk-export.md §3.3: the phc-winner-argon2 README vector and an argon2-cffi vector.
        let i = "$argon2i$v=19$m=65536,t=2,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG";
        let id = "$argon2id$v=19$m=65536,t=2,p=4$c29tZXNhbHQ$GpZ3sK/oH9p7VIiV56G/64Zo/8GaUw434IimaPqxwCo";
        assert!(verify(i, "password").unwrap());
        assert!(!verify(i, "passw0rd").unwrap());
        assert!(verify(id, "password").unwrap());
        assert!(!verify(id, "Password").unwrap());
    }

    #[test]
    fn native_hashes_are_owasp_argon2id_and_verify() {
        let stored = hash("correct horse").unwrap();
        assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify(&stored, "correct horse").unwrap());
        assert!(!verify(&stored, "correct horsE").unwrap());
        assert!(!weaker_than_native(&stored));
    }

    #[test]
    fn native_hashes_normalise_and_imported_ones_need_not() {
        let stored = hash("caf\u{e9}").unwrap();
        assert!(verify(&stored, "cafe\u{301}").unwrap());
        // An imported digest of the decomposed form (no NFKC at its source) still verifies.
        let params = Params::new(NATIVE_M_KIB, 2, 1, None).unwrap();
        let salt = SaltString::encode_b64(b"fixedsalt123").unwrap();
        let raw = Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password("cafe\u{301}".as_bytes(), &salt)
            .unwrap()
            .to_string();
        assert!(verify(&raw, "cafe\u{301}").unwrap());
    }

    #[test]
    fn over_the_caps_is_a_parse_error() {
        let big_m = "$argon2id$v=19$m=262145,t=2,p=1$c29tZXNhbHQ$GpZ3sK/oH9p7VIiV56G/64Zo/8GaUw434IimaPqxwCo";
        let big_t = "$argon2id$v=19$m=65536,t=17,p=1$c29tZXNhbHQ$GpZ3sK/oH9p7VIiV56G/64Zo/8GaUw434IimaPqxwCo";
        let big_p = "$argon2id$v=19$m=65536,t=2,p=17$c29tZXNhbHQ$GpZ3sK/oH9p7VIiV56G/64Zo/8GaUw434IimaPqxwCo";
        assert_eq!(verify(big_m, "password"), Err(OVER_ARGON2_MEMORY));
        assert_eq!(verify(big_t, "password"), Err(OVER_ARGON2_ITERATIONS));
        assert_eq!(verify(big_p, "password"), Err(OVER_ARGON2_PARALLELISM));
    }

    #[test]
    fn malformed_strings_are_parse_errors() {
        assert!(verify("$argon2id$v=19$m=65536,t=2,p=4$c29tZXNhbHQ", "password").is_err());
        assert!(verify("$argon2id$garbage", "password").is_err());
        assert!(verify("$argon2d$v=19$m=65536,t=2,p=4$c29tZXNhbHQ$GpZ3sK/oH9p7VIiV56G/64Zo/8GaUw434IimaPqxwCo", "password").is_err());
        // 8-byte digest: too short to trust.
        assert!(
            verify(
                "$argon2id$v=19$m=65536,t=2,p=4$c29tZXNhbHQ$GpZ3sK/oH9o",
                "password"
            )
            .is_err()
        );
    }

    #[test]
    fn weaker_argon2_is_flagged_for_rehash() {
        let i = "$argon2i$v=19$m=65536,t=2,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG";
        let id_weak =
            "$argon2id$v=19$m=4096,t=3,p=1$c29tZXNhbHQ$GpZ3sK/oH9p7VIiV56G/64Zo/8GaUw434IimaPqxwCo";
        let id_strong = "$argon2id$v=19$m=65536,t=2,p=4$c29tZXNhbHQ$GpZ3sK/oH9p7VIiV56G/64Zo/8GaUw434IimaPqxwCo";
        assert!(weaker_than_native(i));
        assert!(weaker_than_native(id_weak));
        assert!(!weaker_than_native(id_strong));
    }
}
