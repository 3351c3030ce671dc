//! Random ids, tokens and secrets, character for character the way Better Auth draws them
//! (reference §1.5; `@better-auth/utils/random` `createRandomStringGenerator`).
//!
//! Better Auth maps each CSPRNG byte onto the character set with `byte % len`, throwing away bytes
//! at or above the largest multiple of `len` that fits in 256, so every character is equally likely.
//! The same byte stream therefore gives the same string here and in Node, which the tests check
//! against strings Better Auth produced from a fixed byte stream.

use rand_core::{OsRng, RngCore};

/// Better Auth's default id length (`generateId(size || 32)`): primary keys and session tokens.
pub const ID_LENGTH: usize = 32;

/// The character ranges Better Auth's `generateRandomString` accepts, by their Better Auth names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alphabet {
    /// `"a-z"`
    Lower,
    /// `"A-Z"`
    Upper,
    /// `"0-9"`
    Digits,
    /// `"-_"`
    DashUnderscore,
}

impl Alphabet {
    fn chars(self) -> &'static [u8] {
        match self {
            Alphabet::Lower => b"abcdefghijklmnopqrstuvwxyz",
            Alphabet::Upper => b"ABCDEFGHIJKLMNOPQRSTUVWXYZ",
            Alphabet::Digits => b"0123456789",
            Alphabet::DashUnderscore => b"-_",
        }
    }
}

/// `generateRandomString` with no alphabet argument: `a-z`, `0-9`, `A-Z`, `-_` in that order
/// (64 characters, so no byte is ever rejected). Used for TOTP secrets and 2FA identifiers.
pub const DEFAULT_ALPHABETS: [Alphabet; 4] = [
    Alphabet::Lower,
    Alphabet::Digits,
    Alphabet::Upper,
    Alphabet::DashUnderscore,
];

/// `generateId`'s alphabet: `a-z`, `A-Z`, `0-9` (62 characters, bytes ≥ 248 rejected).
const ID_ALPHABETS: [Alphabet; 3] = [Alphabet::Lower, Alphabet::Upper, Alphabet::Digits];

/// Better Auth `generateId(len)`: `len` characters from `a-zA-Z0-9`. With [`ID_LENGTH`] this is
/// ≈190 bits, the session-token strength of security requirement S1.
#[must_use]
pub fn generate_id(len: usize) -> String {
    generate_random_string(len, &ID_ALPHABETS)
}

/// Better Auth `generateRandomString(len, ...alphabets)`; an empty `alphabets` means
/// [`DEFAULT_ALPHABETS`]. The character set is the alphabets concatenated in the given order,
/// which matters: the same bytes give different strings for `a-z,0-9` and `0-9,a-z`.
#[must_use]
pub fn generate_random_string(len: usize, alphabets: &[Alphabet]) -> String {
    let alphabets = if alphabets.is_empty() {
        &DEFAULT_ALPHABETS[..]
    } else {
        alphabets
    };
    let charset: Vec<u8> = alphabets.iter().flat_map(|a| a.chars()).copied().collect();
    // Better Auth draws `2 * len` bytes per refill; the refill size does not change the output.
    let mut buf = vec![0u8; len.saturating_mul(2).max(1)];
    let mut pos = buf.len();
    let next_byte = || {
        if pos >= buf.len() {
            OsRng.fill_bytes(&mut buf);
            pos = 0;
        }
        let byte = buf.get(pos).copied().unwrap_or_default();
        pos += 1;
        byte
    };
    string_from_bytes(len, &charset, next_byte)
}

/// The mapping itself, separated from the randomness so that a fixed byte stream can be checked
/// against Better Auth's output.
fn string_from_bytes(len: usize, charset: &[u8], mut next_byte: impl FnMut() -> u8) -> String {
    let mut out = String::with_capacity(len);
    let set_len = charset.len();
    if set_len == 0 || set_len > 256 {
        return out;
    }
    let max_valid = (256 / set_len) * set_len;
    while out.len() < len {
        let byte = usize::from(next_byte());
        if byte < max_valid
            && let Some(&c) = charset.get(byte % set_len)
        {
            out.push(char::from(c));
        }
    }
    out
}

/// `N` bytes from the operating system's CSPRNG.
#[must_use]
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    OsRng.fill_bytes(&mut bytes);
    bytes
}

/// A new auth secret as Better Auth's `auth secret` command prints it: 32 random bytes as 64
/// lowercase hex characters.
#[must_use]
pub fn generate_secret_hex() -> String {
    hex::encode(random_bytes::<32>())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    /// The stream `gen-vectors.mjs` fed to Better Auth's `crypto.getRandomValues`:
    /// byte i = (i * 7 + 3) mod 256.
    fn fixed_stream() -> impl FnMut() -> u8 {
        let mut i: u32 = 0;
        move || {
            let byte = ((i * 7 + 3) % 256) as u8;
            i += 1;
            byte
        }
    }

    fn charset(alphabets: &[Alphabet]) -> Vec<u8> {
        alphabets.iter().flat_map(|a| a.chars()).copied().collect()
    }

    #[test]
    fn generate_id_matches_better_auth_on_a_fixed_stream() {
        let ids = charset(&ID_ALPHABETS);
        assert_eq!(
            string_from_bytes(32, &ids, fixed_stream()),
            "dkryFMT07elszGNU18fmtAHOV29gnuBI"
        );
        // 64 characters consume more than 256 bytes, so rejected bytes (≥ 248) are exercised.
        assert_eq!(
            string_from_bytes(64, &ids, fixed_stream()),
            "dkryFMT07elszGNU18fmtAHOV29gnuBIPW3gnuBIPW3ahovCJQX4bipwDKRY5cjq"
        );
    }

    #[test]
    fn generate_random_string_matches_better_auth_on_a_fixed_stream() {
        let cases: [(&[Alphabet], usize, &str); 4] = [
            (
                &DEFAULT_ALPHABETS,
                40,
                "dkry5CJQXcjqx4BIPWbipw3AHOVahov29GNU_gnu",
            ),
            (&[Alphabet::Digits], 6, "307418"),
            (
                &[Alphabet::Lower, Alphabet::Digits, Alphabet::Upper],
                10,
                "dkry5CJQXe",
            ),
            (
                &[Alphabet::Digits, Alphabet::Lower],
                32,
                "3ahov29gnu18fmt07elsz6dkry5cjqx4",
            ),
        ];
        for (alphabets, len, expected) in cases {
            assert_eq!(
                string_from_bytes(len, &charset(alphabets), fixed_stream()),
                expected
            );
        }
    }

    #[test]
    fn bytes_at_or_above_the_rejection_bound_are_skipped() {
        let mut bytes = [255u8, 248, 61, 0].into_iter();
        let s = string_from_bytes(2, &charset(&ID_ALPHABETS), || bytes.next().unwrap());
        assert_eq!(s, "9a");
    }

    #[test]
    fn ids_have_the_requested_length_and_alphabet() {
        let id = generate_id(ID_LENGTH);
        assert_eq!(id.len(), 32);
        assert!(id.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_ne!(generate_id(ID_LENGTH), id);
    }

    #[test]
    fn random_strings_stay_inside_their_alphabets() {
        let s = generate_random_string(500, &[]);
        assert!(
            s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        let digits = generate_random_string(6, &[Alphabet::Digits]);
        assert_eq!(digits.len(), 6);
        assert!(digits.bytes().all(|b| b.is_ascii_digit()));
        assert_eq!(generate_random_string(0, &[]), "");
    }

    #[test]
    fn secret_hex_is_64_lowercase_hex() {
        let s = generate_secret_hex();
        assert_eq!(s.len(), 64);
        assert!(
            s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        );
        assert_ne!(random_bytes::<16>(), random_bytes::<16>());
    }
}
