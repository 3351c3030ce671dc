//! TOTP as Better Auth's two-factor plugin does it (reference §5.3; RFC 6238 over RFC 4226).
//!
//! HMAC-SHA1, 6 digits, 30-second steps, one step of skew either way. The key is what the
//! decrypted `twoFactor.secret` holds: Better Auth's own secrets are 32 characters whose UTF-8
//! bytes ARE the key (they are never base32-decoded), while secrets imported from elsewhere are
//! stored as `base32:<BASE32>` and decoded. [`TotpSecret::verify`] returns the matched time step so
//! that the caller can refuse a second use of the same code (security requirement M1).

use std::fmt;

use hmac::{Hmac, Mac};
use sha1::Sha1;
use zeroize::Zeroizing;

use super::ct::constant_time_eq;
use super::random::{DEFAULT_ALPHABETS, generate_random_string};
use super::uri::{encode_uri_component, form_urlencode};

/// Code length (`totpOptions.digits`).
pub const DIGITS: u32 = 6;
/// Step length in seconds (`totpOptions.period`).
pub const PERIOD_SECS: u64 = 30;
/// Accepted skew in steps, each way.
pub const WINDOW: u64 = 1;
/// Length of a secret Better Auth generates (`generateRandomString(32)`).
pub const GENERATED_SECRET_LEN: usize = 32;

/// Marks a secret imported from another provider, stored base32 (Better Auth ≥ 1.7.15).
const BASE32_PREFIX: &str = "base32:";
const BASE32_ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// Why a secret could not be read or imported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TotpError {
    #[error("TOTP secret is not valid base32")]
    InvalidBase32,
    #[error("TOTP secret is empty")]
    Empty,
}

/// The HMAC key of a user's TOTP. `Debug` never prints it.
#[derive(Clone, PartialEq, Eq)]
pub struct TotpSecret {
    key: Zeroizing<Vec<u8>>,
}

impl fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TotpSecret(<redacted>)")
    }
}

impl TotpSecret {
    /// A fresh secret in Better Auth's form: the plaintext to encrypt into `twoFactor.secret`.
    #[must_use]
    pub fn generate_plaintext() -> String {
        generate_random_string(GENERATED_SECRET_LEN, &DEFAULT_ALPHABETS)
    }

    /// Better Auth's `decryptTOTPSecret` after decryption: `base32:` → strip, uppercase, decode;
    /// anything else → its UTF-8 bytes.
    pub fn from_plaintext(plaintext: &str) -> Result<Self, TotpError> {
        let key = match plaintext.strip_prefix(BASE32_PREFIX) {
            Some(b32) => base32_decode(&b32.to_ascii_uppercase())?,
            None => plaintext.as_bytes().to_vec(),
        };
        if key.is_empty() {
            return Err(TotpError::Empty);
        }
        Ok(TotpSecret {
            key: Zeroizing::new(key),
        })
    }

    /// The plaintext to encrypt for a secret imported from another provider (e.g. Clerk's
    /// `totp_secret`): whitespace and `=` padding removed, uppercased, checked to decode, and
    /// prefixed with `base32:`.
    pub fn import_plaintext(base32_secret: &str) -> Result<String, TotpError> {
        let clean: String = base32_secret
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '=')
            .map(|c| c.to_ascii_uppercase())
            .collect();
        if base32_decode(&clean)?.is_empty() {
            return Err(TotpError::Empty);
        }
        Ok(format!("{BASE32_PREFIX}{clean}"))
    }

    /// RFC 4226 HOTP for `counter`, as a zero-padded 6-digit string.
    #[must_use]
    pub fn hotp(&self, counter: u64) -> String {
        hotp(&self.key, counter, DIGITS)
    }

    /// The code valid during the step containing `unix_secs`.
    #[must_use]
    pub fn code_at(&self, unix_secs: u64) -> String {
        self.hotp(unix_secs / PERIOD_SECS)
    }

    /// The time step whose code equals `code`, looking one step either side of `now_unix`
    /// (seconds). Every candidate is computed and compared in constant time.
    #[must_use]
    pub fn verify(&self, code: &str, now_unix: u64) -> Option<u64> {
        let current = now_unix / PERIOD_SECS;
        let mut matched = None;
        for step in current.saturating_sub(WINDOW)..=current.saturating_add(WINDOW) {
            if constant_time_eq(self.hotp(step).as_bytes(), code.as_bytes()) && matched.is_none() {
                matched = Some(step);
            }
        }
        matched
    }

    /// The key in base32 without padding, as authenticator apps take it.
    #[must_use]
    pub fn base32(&self) -> String {
        base32_encode(&self.key)
    }

    /// The `otpauth://` URI Better Auth's `get-totp-uri` returns (reference §5.3):
    /// `otpauth://totp/<enc(issuer)>:<enc(account)>?secret=…&issuer=<form-enc>&digits=6&period=30`.
    #[must_use]
    pub fn otpauth_uri(&self, issuer: &str, account: &str) -> String {
        format!(
            "otpauth://totp/{}:{}?secret={}&issuer={}&digits={DIGITS}&period={PERIOD_SECS}",
            encode_uri_component(issuer),
            encode_uri_component(account),
            self.base32(),
            form_urlencode(issuer),
        )
    }
}

fn hotp(key: &[u8], counter: u64, digits: u32) -> String {
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(key) else {
        return String::new();
    };
    mac.update(&counter.to_be_bytes());
    let digest: [u8; 20] = mac.finalize().into_bytes().into();
    // RFC 4226 §5.3 dynamic truncation.
    let offset = usize::from(digest[19] & 0x0f);
    let word = digest
        .get(offset..offset + 4)
        .and_then(|w| <[u8; 4]>::try_from(w).ok())
        .map_or(0, u32::from_be_bytes)
        & 0x7fff_ffff;
    let value = word % 10u32.pow(digits);
    format!("{value:0width$}", width = digits as usize)
}

/// Better Auth's base32 decoder: stops at the first `=`, rejects characters outside the RFC 4648
/// alphabet, drops trailing bits that do not fill a byte.
fn base32_decode(s: &str) -> Result<Vec<u8>, TotpError> {
    let mut out = Vec::with_capacity(s.len() * 5 / 8);
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for c in s.bytes() {
        if c == b'=' {
            break;
        }
        let value = BASE32_ALPHABET
            .iter()
            .position(|&a| a == c)
            .ok_or(TotpError::InvalidBase32)?;
        buffer = (buffer << 5 | value as u32) & 0xfff;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    Ok(out)
}

fn base32_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let mut buffer: u32 = 0;
    let mut bits = 0;
    let mut push = |v: u32| {
        if let Some(&c) = BASE32_ALPHABET.get((v & 31) as usize) {
            out.push(char::from(c));
        }
    };
    for &b in bytes {
        buffer = (buffer << 8 | u32::from(b)) & 0xfff;
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            push(buffer >> bits);
        }
    }
    if bits > 0 {
        push(buffer << (5 - bits));
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// RFC 6238 Appendix B, SHA-1 rows: the key is the ASCII string "12345678901234567890".
    #[test]
    fn rfc6238_sha1_vectors() {
        let key = b"12345678901234567890";
        let rows = [
            (59u64, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ];
        for (t, code) in rows {
            assert_eq!(hotp(key, t / 30, 8), code, "t = {t}");
        }
        let secret = TotpSecret::from_plaintext("12345678901234567890").unwrap();
        assert_eq!(secret.code_at(59), "287082");
        assert_eq!(secret.code_at(1_111_111_109), "081804");
    }

    /// createOTP(secret).hotp(counter) in Better Auth 1.7.25 (testdata/gen-vectors.mjs).
    #[test]
    fn generated_secrets_use_their_utf8_bytes() {
        let s = TotpSecret::from_plaintext("abcdefghijklmnopqrstuvwxyz012345").unwrap();
        for (counter, code) in [
            (0, "770317"),
            (1, "959162"),
            (56_666_666, "413295"),
            (56_666_667, "053152"),
        ] {
            assert_eq!(s.hotp(counter), code);
        }
        assert_eq!(
            s.otpauth_uri("Better Auth", "uma@example.com"),
            "otpauth://totp/Better%20Auth:uma%40example.com?secret=MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43UOV3HO6DZPIYDCMRTGQ2Q&issuer=Better+Auth&digits=6&period=30"
        );
    }

    #[test]
    fn imported_secrets_are_base32_decoded() {
        let s = TotpSecret::from_plaintext("base32:jbswy3dpehpk3pxp").unwrap();
        for (counter, code) in [(0, "282760"), (1, "996554"), (56_666_666, "324550")] {
            assert_eq!(s.hotp(counter), code);
        }
        assert_eq!(
            s.otpauth_uri("My App & Co", "a+b@example.com"),
            "otpauth://totp/My%20App%20%26%20Co:a%2Bb%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=My+App+%26+Co&digits=6&period=30"
        );
    }

    #[test]
    fn verify_accepts_one_step_of_skew_and_reports_the_step() {
        let s = TotpSecret::from_plaintext("abcdefghijklmnopqrstuvwxyz012345").unwrap();
        let now = 56_666_666 * 30 + 10;
        assert_eq!(s.verify("413295", now), Some(56_666_666));
        assert_eq!(s.verify("053152", now), Some(56_666_667), "next step");
        assert_eq!(
            s.verify(&s.hotp(56_666_665), now),
            Some(56_666_665),
            "previous step"
        );
        assert_eq!(s.verify(&s.hotp(56_666_668), now), None, "two steps ahead");
        assert_eq!(s.verify(&s.hotp(56_666_664), now), None, "two steps behind");
    }

    #[test]
    fn verify_refuses_malformed_codes() {
        let s = TotpSecret::from_plaintext("abcdefghijklmnopqrstuvwxyz012345").unwrap();
        let now = 56_666_666 * 30;
        assert_eq!(s.verify("41329", now), None);
        assert_eq!(s.verify("4132950", now), None);
        assert_eq!(s.verify(" 413295", now), None);
        assert_eq!(s.verify("", now), None);
    }

    #[test]
    fn verify_near_the_epoch_does_not_underflow() {
        let s = TotpSecret::from_plaintext("12345678901234567890").unwrap();
        assert_eq!(s.verify(&s.hotp(0), 5), Some(0));
        assert_eq!(s.verify(&s.hotp(1), 5), Some(1));
    }

    #[test]
    fn import_cleans_and_checks_the_base32() {
        assert_eq!(
            TotpSecret::import_plaintext(" jbsw y3dp ehpk 3pxp== ").unwrap(),
            "base32:JBSWY3DPEHPK3PXP"
        );
        assert_eq!(
            TotpSecret::import_plaintext("JBSW1"),
            Err(TotpError::InvalidBase32)
        );
        assert_eq!(TotpSecret::import_plaintext("  "), Err(TotpError::Empty));
        assert_eq!(
            TotpSecret::from_plaintext("base32:0000"),
            Err(TotpError::InvalidBase32)
        );
        assert_eq!(TotpSecret::from_plaintext(""), Err(TotpError::Empty));
    }

    #[test]
    fn base32_round_trips_every_tail_length() {
        for len in 0..=12usize {
            let bytes: Vec<u8> = (0..len as u8).map(|b| b.wrapping_mul(37)).collect();
            let encoded = base32_encode(&bytes);
            assert!(!encoded.contains('='));
            assert_eq!(base32_decode(&encoded).unwrap(), bytes);
        }
        assert_eq!(base32_encode(b"foobar"), "MZXW6YTBOI");
    }

    #[test]
    fn generated_secrets_have_better_auths_shape() {
        let p = TotpSecret::generate_plaintext();
        assert_eq!(p.len(), GENERATED_SECRET_LEN);
        assert!(!p.contains(':'), "never mistaken for an imported secret");
        assert!(format!("{:?}", TotpSecret::from_plaintext(&p).unwrap()).contains("redacted"));
    }
}
