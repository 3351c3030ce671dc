//! Password digests with known passwords, in the formats of Clerk's hashers.
//!
//! A bcrypt at Clerk's cost takes tens of milliseconds, so a million users cannot each get their
//! own: a small pool is hashed once (with salts from the seed, so the output stays reproducible)
//! and users draw from it. The other hashers use the test vectors of the Clerk contract (§3.3),
//! which were computed with the reference implementations, so an import of generated data also
//! checks our verifiers against them.

use super::rng::Rng;

/// A digest and the password it was made from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownDigest {
    pub hasher: &'static str,
    pub digest: String,
    pub password: String,
}

/// `(hasher, password, digest)` from contract §3.3.
const VECTORS: &[(&str, &str, &str)] = &[
    (
        "bcrypt_peppered",
        "password",
        "$2a$10$abcdefghijklmnopqrstuufsJoadzBoTkmhOCPpb8RqEoE8XJX6Ym$pepper123",
    ),
    (
        "bcrypt_sha256_django",
        "password",
        "bcrypt_sha256$$2b$10$abcdefghijklmnopqrstuuKGtB3q5KWIAYoHKk7ixG3rOFapDVR7a",
    ),
    (
        "argon2i",
        "password",
        "$argon2i$v=19$m=65536,t=2,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG",
    ),
    (
        "argon2id",
        "password",
        "$argon2id$v=19$m=65536,t=2,p=4$c29tZXNhbHQ$GpZ3sK/oH9p7VIiV56G/64Zo/8GaUw434IimaPqxwCo",
    ),
    (
        "pbkdf2_sha256_django",
        "password",
        "pbkdf2_sha256$10000$seasalt$p2Nf8SH5q1HFJUvFvVd4Nj71pVA5fI7cpL2WDbb86bc=",
    ),
    (
        "pbkdf2_sha256",
        "password",
        "pbkdf2_sha256$10000$c2FsdHNhbHRzYWx0c2FsdA==$/HBtt7Z/7p0CzRvSN1B+KXrKNskvRts1UWw61zKTFUo=",
    ),
    (
        "pbkdf2_sha1",
        "password",
        "pbkdf2_sha1$10000$seasalt$3335a9869b4302f0042c257d15afdb22c3dfa256dee2a0a915543fee1b682d72",
    ),
    (
        "pbkdf2_sha1",
        "password",
        "pbkdf2_sha1$10000$a1b2c3d4e5f60718$2bfadb94a49cb74905004438ffad5ce1e38753f3$20",
    ),
    (
        "pbkdf2_sha512",
        "password",
        "pbkdf2_sha512$10000$seasalt$8fd9319dd7aca7ea4f6009a0b3e0412702b4e9344e51dd1ad44dd8cb11bfb751aa817f2be973af02a84a0d179449cce58323b44a36ee85234f83a7cc3feb7c35",
    ),
    (
        "pbkdf2_sha512_hex",
        "password",
        "pbkdf2_sha512_hex$10000$00112233445566778899aabbccddeeff$8aad5d7d1163900c9f11bc74fbbc2cb8076650cb798c50f1373c7559a267fc8b8fd2c4cac24589a67c4140224919bf0f5df042dbaff132fdc06afdd7e6818489",
    ),
    (
        "scrypt_firebase",
        "user1password",
        "lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ==$42xEC+ixf3L2lw==$jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==$Bw==$8$14",
    ),
    (
        "scrypt_werkzeug",
        "password",
        "scrypt:32768:8:1$abcdefghijklmnop$d3cceeab34835ad3e2221bd2c3401369d5e66ce8702f44110c4b102fe5fa5b7ae4d18f2072e865b55f776f95dd7d1436e0ed29789c8be8dc1f6288e21cd7f851",
    ),
    ("phpass", "password", "$P$9abcdefghreUCnbbQX76dJT2aHvsT6."),
    (
        "md5_phpass",
        "password",
        "$H$9abcdefghreUCnbbQX76dJT2aHvsT6.",
    ),
    (
        "ldap_ssha",
        "password",
        "{SSHA}2D7DXcHaxkWxjlTTFhTzbi4Z/sdhYmNk",
    ),
    ("md5", "password", "5f4dcc3b5aa765d61d8327deb882cf99"),
    (
        "sha256",
        "test",
        "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    ),
    (
        "sha512_symfony",
        "password",
        "sha512_symfony$5000$salt$iKw+yyYDAaIE9cknw6XdfjaVtHJ7Gqh+o/GYWoVpWN1wNDQcSjc8uqXSBC+yj0KOMwA7RpCKH9weKfJT+7AEHQ==",
    ),
];

/// The public WorkOS example row's digest: bcrypt of `password` (contract §1.7, §3.3).
pub const WORKOS_BCRYPT: &str = "$2a$10$fgPOubgdJs90F1GK2u.Qye7Xyyi2ajrQJoB5LDG5bnITEvFR/xhZ.";

pub struct DigestPool {
    bcrypt: Vec<KnownDigest>,
    others: Vec<KnownDigest>,
}

impl DigestPool {
    /// Hashes `size` bcrypt digests at `cost` (Clerk uses 10). Errors only on an invalid cost.
    pub fn new(rng: &mut Rng, size: usize, cost: u32) -> Result<DigestPool, bcrypt::BcryptError> {
        let mut bcrypt_pool = Vec::with_capacity(size.max(1));
        for k in 0..size.max(1) {
            let password = format!("Known-Password-{k}");
            let parts = bcrypt::hash_with_salt(&password, cost, rng.bytes::<16>())?;
            bcrypt_pool.push(KnownDigest {
                hasher: "bcrypt",
                digest: parts.format_for_version(bcrypt::Version::TwoA),
                password,
            });
        }
        let others = VECTORS
            .iter()
            .map(|(hasher, password, digest)| KnownDigest {
                hasher,
                digest: (*digest).to_owned(),
                password: (*password).to_owned(),
            })
            .collect();
        Ok(DigestPool {
            bcrypt: bcrypt_pool,
            others,
        })
    }

    /// A bcrypt digest, as most Clerk users have.
    pub fn bcrypt(&self, rng: &mut Rng) -> Option<&KnownDigest> {
        rng.pick(&self.bcrypt)
    }

    /// A digest of one of the other hashers.
    pub fn other(&self, rng: &mut Rng) -> Option<&KnownDigest> {
        rng.pick(&self.others)
    }

    /// Every digest of the pool, so tests can check each format once.
    #[cfg(test)]
    pub fn all(&self) -> impl Iterator<Item = &KnownDigest> {
        self.bcrypt.iter().chain(&self.others)
    }
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
    fn bcrypt_digests_verify_and_repeat_with_the_seed() {
        let a = DigestPool::new(&mut Rng::new(1), 2, 4).unwrap();
        let b = DigestPool::new(&mut Rng::new(1), 2, 4).unwrap();
        let c = DigestPool::new(&mut Rng::new(2), 2, 4).unwrap();
        assert_eq!(a.bcrypt, b.bcrypt);
        assert_ne!(a.bcrypt, c.bcrypt);
        for known in &a.bcrypt {
            assert!(known.digest.starts_with("$2a$04$"));
            assert!(bcrypt::verify(&known.password, &known.digest).unwrap());
        }
    }

    #[test]
    fn the_workos_row_is_bcrypt_of_password() {
        assert!(bcrypt::verify("password", WORKOS_BCRYPT).unwrap());
    }

    #[test]
    fn every_other_clerk_hasher_of_the_contract_is_in_the_pool() {
        let pool = DigestPool::new(&mut Rng::new(1), 1, 4).unwrap();
        let hashers: std::collections::BTreeSet<&str> = pool.all().map(|d| d.hasher).collect();
        assert_eq!(hashers.len(), 18, "{hashers:?}");
    }
}
