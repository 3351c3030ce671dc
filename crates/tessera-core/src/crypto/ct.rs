//! Constant-time equality, the one comparison used for every secret (security requirement A5).
//!
//! A plain `==` on bytes returns at the first differing byte, which lets a remote caller learn a
//! token or signature prefix by timing. `subtle` compares every byte.

use subtle::ConstantTimeEq;

/// True when `a` and `b` are the same bytes. The running time depends on the lengths only, never
/// on where the inputs differ; a length mismatch answers `false` (lengths are not secret here:
/// every caller compares fixed-size digests, codes or encodings).
#[must_use]
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

#[cfg(test)]
mod tests {
    use super::constant_time_eq;

    #[test]
    fn equal_bytes_are_equal() {
        assert!(constant_time_eq(b"signature", b"signature"));
        assert!(constant_time_eq(b"", b""));
    }

    #[test]
    fn any_difference_is_unequal() {
        assert!(!constant_time_eq(b"signature", b"signaturE"));
        assert!(!constant_time_eq(b"Signature", b"signature"));
    }

    #[test]
    fn prefix_is_not_equal() {
        assert!(!constant_time_eq(b"sign", b"signature"));
        assert!(!constant_time_eq(b"signature", b""));
    }
}
