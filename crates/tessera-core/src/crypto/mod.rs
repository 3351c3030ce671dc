//! Cryptography, byte-compatible with Better Auth 1.7.25 (reference §1.5, §4.2, §5).
