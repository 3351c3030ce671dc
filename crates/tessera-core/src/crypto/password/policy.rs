//! Password length policy (security requirements P1–P3).
//!
//! Length is counted in Unicode code points of the NFKC form, the string that is actually hashed,
//! as NIST SP 800-63B asks. Better Auth counts UTF-16 code units of the raw string instead, so an
//! emoji counts 1 here and 2 there; the defaults (8..=128) are Better Auth's.

use unicode_normalization::UnicodeNormalization;

/// Better Auth's `minPasswordLength`.
pub const MIN_PASSWORD_LENGTH: usize = 8;
/// Better Auth's `maxPasswordLength`; also bounds the work a single hash can cost.
pub const MAX_PASSWORD_LENGTH: usize = 128;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LengthError {
    /// Better Auth: `PASSWORD_TOO_SHORT`.
    #[error("password too short")]
    TooShort,
    /// Better Auth: `PASSWORD_TOO_LONG`.
    #[error("password too long")]
    TooLong,
}

/// Code points of the NFKC form of `password`.
#[must_use]
pub fn length(password: &str) -> usize {
    password.nfkc().count()
}

/// `Ok` when `min <= length(password) <= max`.
pub fn check_length(password: &str, min: usize, max: usize) -> Result<(), LengthError> {
    let n = length(password);
    if n < min {
        Err(LengthError::TooShort)
    } else if n > max {
        Err(LengthError::TooLong)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(password: &str) -> Result<(), LengthError> {
        check_length(password, MIN_PASSWORD_LENGTH, MAX_PASSWORD_LENGTH)
    }

    #[test]
    fn bounds_are_inclusive() {
        assert_eq!(check("1234567"), Err(LengthError::TooShort));
        assert_eq!(check("12345678"), Ok(()));
        assert_eq!(check(&"a".repeat(128)), Ok(()));
        assert_eq!(check(&"a".repeat(129)), Err(LengthError::TooLong));
        assert_eq!(
            check_length(&"a".repeat(14), 15, 64),
            Err(LengthError::TooShort)
        );
    }

    #[test]
    fn code_points_not_bytes() {
        // P3: 8 × "é" is 16 UTF-8 bytes but 8 characters.
        assert_eq!(check(&"é".repeat(8)), Ok(()));
        assert_eq!(check(&"😀".repeat(8)), Ok(()));
        assert_eq!(
            check(&"😀".repeat(128)),
            Ok(()),
            "512 bytes, 256 UTF-16 units"
        );
        assert_eq!(check(&"é".repeat(7)), Err(LengthError::TooShort));
    }

    #[test]
    fn counted_after_nfkc() {
        // A decomposed é (e + U+0301) is one character after NFKC.
        assert_eq!(length("cafe\u{301}"), 4);
        // The ligature ﬁ becomes "fi".
        assert_eq!(length("\u{fb01}"), 2);
    }
}
