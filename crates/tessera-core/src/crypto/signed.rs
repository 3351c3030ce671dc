//! Signed cookie values and the HMACs Better Auth builds on the auth secret (reference §4.2, §3.3).
//!
//! A signed value is `value + "." + base64(HMAC-SHA256(key = UTF-8(secret), msg = value))`, the
//! signature in standard base64 WITH padding (44 characters ending in `=`), and the whole thing
//! passed through `encodeURIComponent` on the wire. Verification follows better-call's
//! `getSignedCookie`: decode, split at the LAST `.`, insist on a 44-character signature ending in
//! `=`, compare in constant time. An unsigned or tampered value reads as "no cookie".

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::ct::constant_time_eq;
use super::uri::{encode_uri_component, try_decode_cookie_value};

/// Length of a padded standard-base64 HMAC-SHA256.
const SIGNATURE_LEN: usize = 44;

/// HMAC-SHA256 keyed with the UTF-8 bytes of `secret`.
#[must_use]
pub fn hmac_sha256(secret: &str, message: &str) -> [u8; 32] {
    // HMAC accepts keys of any length, so `new_from_slice` cannot fail here.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return [0; 32];
    };
    mac.update(message.as_bytes());
    mac.finalize().into_bytes().into()
}

/// The cookie signature: standard base64 with padding.
#[must_use]
pub fn hmac_sha256_base64(secret: &str, message: &str) -> String {
    STANDARD.encode(hmac_sha256(secret, message))
}

/// Base64url without padding, as in the trust-device cookie
/// (`HMAC(secret, userId + "!" + trustId)`) and the compact cookie cache.
#[must_use]
pub fn hmac_sha256_base64url(secret: &str, message: &str) -> String {
    URL_SAFE_NO_PAD.encode(hmac_sha256(secret, message))
}

/// `value.signature`, not yet URL-encoded.
#[must_use]
pub fn sign(secret: &str, value: &str) -> String {
    format!("{value}.{}", hmac_sha256_base64(secret, value))
}

/// The cookie value exactly as better-call's `signCookieValue` writes it into `Set-Cookie`.
#[must_use]
pub fn sign_and_encode(secret: &str, value: &str) -> String {
    encode_uri_component(&sign(secret, value))
}

/// The unsigned value of a signed cookie, given the value as it appears in the `Cookie` header
/// (surrounding quotes already stripped, not yet URL-decoded); `None` when unsigned or forged.
#[must_use]
pub fn verify(secret: &str, raw_cookie_value: &str) -> Option<String> {
    verify_decoded(secret, &try_decode_cookie_value(raw_cookie_value))
}

/// [`verify`] for a value the caller has already URL-decoded (once, as better-call does).
#[must_use]
pub fn verify_decoded(secret: &str, value: &str) -> Option<String> {
    let dot = value.rfind('.')?;
    // better-call refuses an empty value before the dot (`lastIndexOf(".") < 1`).
    if dot < 1 {
        return None;
    }
    let (unsigned, dot_and_signature) = value.split_at(dot);
    let signature = dot_and_signature.get(1..)?;
    if signature.len() != SIGNATURE_LEN || !signature.ends_with('=') {
        return None;
    }
    // Comparing the canonical encodings also rejects the non-canonical spellings of the same
    // bytes that a lenient base64 decoder (JavaScript's `atob`) would let through.
    let expected = hmac_sha256_base64(secret, unsigned);
    constant_time_eq(expected.as_bytes(), signature.as_bytes()).then(|| unsigned.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "tessera-vector-secret-0123456789abcdef";

    /// better-call 1.4.5 `signCookieValue(value, SECRET)` (testdata/gen-vectors.mjs).
    const BA_COOKIES: [(&str, &str); 4] = [
        (
            "VcEAwdYFGtNu2t9pDyjwE8cBwVNo8i8x",
            "VcEAwdYFGtNu2t9pDyjwE8cBwVNo8i8x.8z5y5ijZNePfVJdrsZrnnQun0DuVBXKh1FifgNP8RFk%3D",
        ),
        (
            "true",
            "true.oXyyAy8Ydb5tbG8%2FtirBT7L3wZhJ3Vdw%2F06WAUWotUg%3D",
        ),
        (
            "2fa-abcdefghij0123456789",
            "2fa-abcdefghij0123456789.qjsPVCAMkDG1hNwl5yHnwo5tjcD8O5g2NY5avPdqe5M%3D",
        ),
        (
            "a.b.c",
            "a.b.c.JgrOCE%2FIhBvmB5vDZwYP7tqhd%2B4poSDXarGRNb31vns%3D",
        ),
    ];

    #[test]
    fn signing_matches_better_call_byte_for_byte() {
        for (value, cookie) in BA_COOKIES {
            assert_eq!(sign_and_encode(SECRET, value), cookie);
        }
    }

    #[test]
    fn better_call_cookies_verify_to_their_value() {
        for (value, cookie) in BA_COOKIES {
            assert_eq!(verify(SECRET, cookie).as_deref(), Some(value));
        }
    }

    #[test]
    fn an_already_decoded_value_verifies_too() {
        let signed = sign(SECRET, "a.b.c");
        assert!(signed.ends_with('='));
        assert_eq!(verify(SECRET, &signed).as_deref(), Some("a.b.c"));
        assert_eq!(verify_decoded(SECRET, &signed).as_deref(), Some("a.b.c"));
    }

    #[test]
    fn wrong_secret_or_tampered_value_is_no_cookie() {
        let (_, cookie) = BA_COOKIES[0];
        assert_eq!(verify("another-secret", cookie), None);
        let tampered = cookie.replacen("VcEA", "VcEB", 1);
        assert_eq!(verify(SECRET, &tampered), None);
    }

    #[test]
    fn unsigned_and_misshapen_values_are_no_cookie() {
        let sig = hmac_sha256_base64(SECRET, "");
        assert_eq!(verify(SECRET, "VcEAwdYFGtNu2t9pDyjwE8cBwVNo8i8x"), None);
        assert_eq!(verify(SECRET, &format!(".{sig}")), None, "empty value");
        let no_pad = sign(SECRET, "tok").trim_end_matches('=').to_owned();
        assert_eq!(verify(SECRET, &no_pad), None, "43-char signature");
        assert_eq!(verify(SECRET, ""), None);
    }

    #[test]
    fn a_non_canonical_spelling_of_the_signature_is_refused() {
        // The last base64 character carries 2 unused bits; flipping them leaves the decoded
        // bytes unchanged but the value is not what we issued.
        let signed = sign(SECRET, "true");
        let (head, tail) = signed.split_at(signed.len() - 2);
        let last = tail.chars().next().unwrap_or('A');
        let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let idx = alphabet.find(last).unwrap_or(0);
        let twin = alphabet.chars().nth(idx ^ 1).unwrap_or('A');
        let forged = format!("{head}{twin}=");
        assert_ne!(forged, signed);
        assert_eq!(verify_decoded(SECRET, &forged), None);
        assert_eq!(verify_decoded(SECRET, &signed).as_deref(), Some("true"));
    }

    #[test]
    fn trust_device_hmac_matches_better_auth() {
        // createHMAC("SHA-256", "base64urlnopad").sign(SECRET, message) in Better Auth 1.7.25.
        assert_eq!(
            hmac_sha256_base64url(
                SECRET,
                "user123!trust-device-abcdefghijabcdefghijabcdefghij12"
            ),
            "Ju9knWsh4l_Hh_6wdDMZJiu9kJ9pvzLugLk1VGgjILo"
        );
    }
}
