//! Compact keys for the import's big sets (ids seen, emails and usernames taken, snapshot index):
//! a 128-bit keyed hash instead of the string, so a million users cost a few dozen megabytes and
//! no allocation per entry. Two different strings share a fingerprint with probability about
//! n²/2¹²⁹ (≈ 10⁻²⁷ for a million), far below any other failure; the keys are random per run, so
//! a crafted export cannot aim for a collision either.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};

pub type Fingerprint = u128;

/// Fingerprints strings; every fingerprint compared must come from the same instance.
pub struct Fingerprinter {
    high: RandomState,
    low: RandomState,
}

impl Fingerprinter {
    pub fn new() -> Fingerprinter {
        Fingerprinter {
            high: RandomState::new(),
            low: RandomState::new(),
        }
    }

    pub fn of(&self, value: &str) -> Fingerprint {
        (u128::from(self.high.hash_one(value)) << 64) | u128::from(self.low.hash_one(value))
    }
}

impl Default for Fingerprinter {
    fn default() -> Fingerprinter {
        Fingerprinter::new()
    }
}

/// A fingerprint is already a good hash: maps keyed by one use its low bits as they are.
#[derive(Default)]
pub struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only u128 keys are hashed with this; fold anything else in rather than ignore it.
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u128(&mut self, value: u128) {
        // Truncation intended: the low half of a keyed hash is a keyed hash.
        self.0 = value as u64;
    }
}

pub type BuildPrehashed = BuildHasherDefault<Prehashed>;
pub type FingerprintMap<V> = std::collections::HashMap<Fingerprint, V, BuildPrehashed>;
pub type FingerprintSet = std::collections::HashSet<Fingerprint, BuildPrehashed>;

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
    fn equal_strings_share_a_fingerprint_and_different_ones_do_not() {
        let f = Fingerprinter::new();
        assert_eq!(f.of("user_a"), f.of("user_a"));
        let mut set = FingerprintSet::default();
        for i in 0..100_000 {
            assert!(set.insert(f.of(&format!("user_{i}"))));
        }
        assert!(!set.insert(f.of("user_7")));
    }

    #[test]
    fn keys_differ_between_runs() {
        assert_ne!(
            Fingerprinter::new().of("user_a"),
            Fingerprinter::new().of("user_a")
        );
    }
}
