//! Shared parsing for stored digests, with the caps that keep a hostile import file from turning
//! one sign-in into minutes of CPU or gigabytes of memory.
//!
//! Every limit sits well above what the source systems write by default (PBKDF2 ≤ 1,000,000
//! iterations in practice, Werkzeug scrypt 32 MiB, Firebase 16 MiB, argon2 64 MiB in Clerk's own
//! examples), and a digest over a limit is refused as unparseable rather than computed.

use base64::Engine;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

/// Most PBKDF2 (and iterated-digest) rounds we will compute for one verification.
pub const MAX_ITERATIONS: u32 = 10_000_000;
/// Most memory one scrypt verification may claim (128 · r · N bytes).
pub const MAX_SCRYPT_MEMORY_BYTES: u64 = 128 * 1024 * 1024;
/// Most scrypt parallelism (each lane repeats the full memory-hard pass).
pub const MAX_SCRYPT_P: u32 = 16;
/// Most memory one argon2 verification may claim, in KiB (256 MiB).
pub const MAX_ARGON2_MEMORY_KIB: u32 = 256 * 1024;
/// Most argon2 passes.
pub const MAX_ARGON2_ITERATIONS: u32 = 16;
/// Most argon2 lanes.
pub const MAX_ARGON2_PARALLELISM: u32 = 16;
/// Highest bcrypt cost (2^15 rounds); Clerk's CLI checks the same bound.
pub const MAX_BCRYPT_COST: u32 = 15;
/// Highest phpass log2 iteration count.
pub const MAX_PHPASS_LOG2: u32 = 24;
/// Fewest digest bytes we accept for key-derivation formats: a truncated digest would let
/// unrelated passwords match by chance.
pub const MIN_DIGEST_LEN: usize = 16;
/// Most digest bytes for PBKDF2 (its cost grows with every extra output block).
pub const MAX_PBKDF2_DIGEST_LEN: usize = 128;

/// The cost caps in force. Production always runs at the constants above; only the fuzzer narrows
/// them (see [`with_caps`]), so that each of its millions of inputs costs microseconds while every
/// parser and cap check still runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caps {
    pub iterations: u32,
    pub scrypt_memory_bytes: u64,
    pub argon2_memory_kib: u32,
    pub argon2_iterations: u32,
    pub bcrypt_cost: u32,
    pub phpass_log2: u32,
}

impl Caps {
    pub const STANDARD: Caps = Caps {
        iterations: MAX_ITERATIONS,
        scrypt_memory_bytes: MAX_SCRYPT_MEMORY_BYTES,
        argon2_memory_kib: MAX_ARGON2_MEMORY_KIB,
        argon2_iterations: MAX_ARGON2_ITERATIONS,
        bcrypt_cost: MAX_BCRYPT_COST,
        phpass_log2: MAX_PHPASS_LOG2,
    };
}

thread_local! {
    static CAPS: std::cell::Cell<Caps> = const { std::cell::Cell::new(Caps::STANDARD) };
}

/// The caps for this thread: [`Caps::STANDARD`] unless inside [`with_caps`].
pub(super) fn caps() -> Caps {
    CAPS.with(std::cell::Cell::get)
}

/// Runs `work` with tighter caps on this thread (each field the lower of `caps` and the
/// standard), then restores them. For fuzzing; never looser than production.
#[doc(hidden)]
pub fn with_caps<T>(caps: Caps, work: impl FnOnce() -> T) -> T {
    let tighter = Caps {
        iterations: caps.iterations.min(MAX_ITERATIONS),
        scrypt_memory_bytes: caps.scrypt_memory_bytes.min(MAX_SCRYPT_MEMORY_BYTES),
        argon2_memory_kib: caps.argon2_memory_kib.min(MAX_ARGON2_MEMORY_KIB),
        argon2_iterations: caps.argon2_iterations.min(MAX_ARGON2_ITERATIONS),
        bcrypt_cost: caps.bcrypt_cost.min(MAX_BCRYPT_COST),
        phpass_log2: caps.phpass_log2.min(MAX_PHPASS_LOG2),
    };
    let before = CAPS.with(|c| c.replace(tighter));
    // Restored on unwind too, so a panicking fuzz input cannot leave the thread narrowed.
    struct Restore(Caps);
    impl Drop for Restore {
        fn drop(&mut self) {
            CAPS.with(|c| c.set(self.0));
        }
    }
    let _restore = Restore(before);
    work()
}

/// Why a stored digest cannot be read; shown to operators, never containing the digest.
pub type Reason = &'static str;

// The reasons that mean "well-formed, but over a cost cap"; the importer reports them apart.
pub const OVER_ITERATIONS: Reason = "iteration count over the 10,000,000 cap";
pub const OVER_SCRYPT_MEMORY: Reason = "scrypt memory (128·r·N) over the 128 MiB cap";
pub const OVER_SCRYPT_P: Reason = "scrypt parallelism over the cap of 16";
pub const OVER_ARGON2_MEMORY: Reason = "argon2 memory over the 256 MiB cap";
pub const OVER_ARGON2_ITERATIONS: Reason = "argon2 iterations over the cap of 16";
pub const OVER_ARGON2_PARALLELISM: Reason = "argon2 parallelism over the cap of 16";
pub const OVER_BCRYPT_COST: Reason = "bcrypt cost over the cap of 15";
pub const OVER_PHPASS_ROUNDS: Reason = "phpass round count over the 2^24 cap";

const CAP_REASONS: [Reason; 8] = [
    OVER_ITERATIONS,
    OVER_SCRYPT_MEMORY,
    OVER_SCRYPT_P,
    OVER_ARGON2_MEMORY,
    OVER_ARGON2_ITERATIONS,
    OVER_ARGON2_PARALLELISM,
    OVER_BCRYPT_COST,
    OVER_PHPASS_ROUNDS,
];

/// True when `reason` is one of the cost caps rather than a shape error.
pub fn is_over_cap(reason: Reason) -> bool {
    CAP_REASONS.contains(&reason)
}

/// Standard base64, padding optional (Django pads, PHC and some exporters do not).
pub(super) const BASE64_LENIENT: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

pub(super) fn base64(s: &str) -> Result<Vec<u8>, Reason> {
    BASE64_LENIENT.decode(s).map_err(|_| "not valid base64")
}

/// Hex in either case (reference: "treat hex comparisons case-insensitively").
pub(super) fn hex(s: &str) -> Result<Vec<u8>, Reason> {
    ::hex::decode(s).map_err(|_| "not valid hex")
}

pub(super) fn iterations(s: &str) -> Result<u32, Reason> {
    let n = decimal(s).ok_or("iteration count is not a number")?;
    if n == 0 {
        return Err("iteration count is zero");
    }
    if n > caps().iterations {
        return Err(OVER_ITERATIONS);
    }
    Ok(n)
}

/// A plain non-negative decimal without sign or spaces.
pub(super) fn decimal(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

pub(super) fn digest_len(len: usize, max: usize) -> Result<(), Reason> {
    if len < MIN_DIGEST_LEN {
        return Err("digest shorter than 16 bytes");
    }
    if len > max {
        return Err("digest longer than the format allows");
    }
    Ok(())
}

/// scrypt parameters after the memory and parallelism caps; `n` must be a power of two.
pub(super) fn scrypt_params(n: u64, r: u32, p: u32, len: usize) -> Result<scrypt::Params, Reason> {
    if n < 2 || !n.is_power_of_two() {
        return Err("scrypt N is not a power of two ≥ 2");
    }
    if r == 0 || p == 0 {
        return Err("scrypt r and p must be positive");
    }
    if p > MAX_SCRYPT_P {
        return Err(OVER_SCRYPT_P);
    }
    let memory = 128u64.saturating_mul(u64::from(r)).saturating_mul(n);
    if memory > caps().scrypt_memory_bytes {
        return Err(OVER_SCRYPT_MEMORY);
    }
    let log_n = u8::try_from(n.trailing_zeros()).map_err(|_| "scrypt N too large")?;
    scrypt::Params::new(log_n, r, p, len).map_err(|_| "scrypt parameters are invalid")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iteration_caps() {
        assert_eq!(iterations("10000"), Ok(10_000));
        assert_eq!(iterations("10000000"), Ok(MAX_ITERATIONS));
        assert_eq!(iterations("10000001"), Err(OVER_ITERATIONS));
        assert!(is_over_cap(OVER_ITERATIONS));
        assert!(!is_over_cap("iteration count is zero"));
        assert!(iterations("0").is_err());
        assert!(iterations("-5").is_err());
        assert!(iterations("+5").is_err());
        assert!(iterations("99999999999999999999").is_err());
    }

    #[test]
    fn scrypt_caps() {
        assert!(
            scrypt_params(16384, 16, 1, 64).is_ok(),
            "Better Auth: 32 MiB"
        );
        assert!(
            scrypt_params(32768, 8, 1, 64).is_ok(),
            "Werkzeug default: 32 MiB"
        );
        assert!(scrypt_params(1 << 17, 8, 1, 64).is_ok(), "128 MiB");
        assert_eq!(
            scrypt_params(1 << 18, 8, 1, 64).err(),
            Some(OVER_SCRYPT_MEMORY)
        );
        assert_eq!(scrypt_params(16384, 8, 17, 64).err(), Some(OVER_SCRYPT_P));
        assert!(scrypt_params(1000, 8, 1, 64).is_err());
        assert!(scrypt_params(16384, 0, 1, 64).is_err());
    }

    #[test]
    fn fuzzing_caps_only_tighten_and_end_with_the_closure() {
        let looser = Caps {
            iterations: u32::MAX,
            scrypt_memory_bytes: u64::MAX,
            ..Caps::STANDARD
        };
        with_caps(looser, || assert_eq!(caps(), Caps::STANDARD));
        let tight = Caps {
            iterations: 5,
            ..Caps::STANDARD
        };
        with_caps(tight, || assert_eq!(iterations("6"), Err(OVER_ITERATIONS)));
        assert_eq!(iterations("6"), Ok(6));
        assert_eq!(caps(), Caps::STANDARD);
    }

    #[test]
    fn base64_padding_is_optional() {
        assert_eq!(base64("c2FsdA==").ok(), base64("c2FsdA").ok());
        assert!(base64("c2F!dA").is_err());
    }

    #[test]
    fn hex_is_case_insensitive() {
        assert_eq!(hex("ABcd").ok(), Some(vec![0xab, 0xcd]));
        assert!(hex("abc").is_err());
    }
}
