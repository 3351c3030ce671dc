//! The three URL encodings that Better Auth's signed values and URIs depend on, each exactly as
//! JavaScript does it: `encodeURIComponent`, `decodeURIComponent` (as better-call's `tryDecode`
//! applies it to cookie values) and `URLSearchParams` serialisation.
//!
//! A generic "URL-encode" is not enough: the signature inside a cookie is compared byte for byte
//! after decoding, and the otpauth URI is scanned by authenticator apps, so the escaped set must be
//! JavaScript's, character for character.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Everything `encodeURIComponent` escapes: all but `A-Z a-z 0-9 - _ . ! ~ * ' ( )`.
const URI_COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'!')
    .remove(b'~')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')');

/// JavaScript's `encodeURIComponent`: UTF-8 bytes, uppercase `%XX`.
#[must_use]
pub fn encode_uri_component(s: &str) -> String {
    utf8_percent_encode(s, URI_COMPONENT).to_string()
}

/// JavaScript's `decodeURIComponent`, which throws where this returns `None`: on a `%` not
/// followed by two hex digits, or escapes that do not decode to UTF-8. `+` stays `+`.
#[must_use]
pub fn decode_uri_component(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hi = bytes.get(i + 1).copied().and_then(hex_value)?;
            let lo = bytes.get(i + 2).copied().and_then(hex_value)?;
            out.push(hi << 4 | lo);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// better-call's `tryDecode` for cookie values: decode only when a `%` is present, and keep the
/// raw value when decoding fails.
#[must_use]
pub fn try_decode_cookie_value(s: &str) -> String {
    if s.contains('%') {
        decode_uri_component(s).unwrap_or_else(|| s.to_owned())
    } else {
        s.to_owned()
    }
}

/// `URLSearchParams` value serialisation (application/x-www-form-urlencoded): space becomes `+`,
/// only `A-Z a-z 0-9 * - . _` stay literal.
#[must_use]
pub fn form_urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_uri_component_keeps_javascripts_unreserved_set() {
        // Expected strings are what Node 20 prints for encodeURIComponent(...) of the same input.
        assert_eq!(encode_uri_component("AZaz09-_.!~*'()"), "AZaz09-_.!~*'()");
        assert_eq!(
            encode_uri_component("a+b/c=d e@f:g;h,i?j#k&l$"),
            "a%2Bb%2Fc%3Dd%20e%40f%3Ag%3Bh%2Ci%3Fj%23k%26l%24"
        );
        assert_eq!(encode_uri_component("é😀"), "%C3%A9%F0%9F%98%80");
    }

    #[test]
    fn decode_uri_component_inverts_encoding() {
        for s in ["a+b/c=d e", "é😀", "x.sig%3D", "%"] {
            assert_eq!(
                decode_uri_component(&encode_uri_component(s)).as_deref(),
                Some(s)
            );
        }
        assert_eq!(decode_uri_component("a%2bb").as_deref(), Some("a+b"));
        assert_eq!(decode_uri_component("a+b").as_deref(), Some("a+b"));
    }

    #[test]
    fn decode_uri_component_rejects_what_javascript_throws_on() {
        assert_eq!(decode_uri_component("100%"), None);
        assert_eq!(decode_uri_component("%zz"), None);
        assert_eq!(decode_uri_component("%4"), None);
        assert_eq!(decode_uri_component("%C3"), None);
        assert_eq!(decode_uri_component("%ED%A0%80"), None); // a lone surrogate
    }

    #[test]
    fn cookie_values_fall_back_to_raw_when_undecodable() {
        assert_eq!(try_decode_cookie_value("tok.sig%3D"), "tok.sig=");
        assert_eq!(try_decode_cookie_value("tok.sig="), "tok.sig=");
        assert_eq!(try_decode_cookie_value("bad%zz%3D"), "bad%zz%3D");
    }

    #[test]
    fn form_urlencode_matches_url_search_params() {
        // new URLSearchParams({issuer: ...}).toString() in Node 20.
        assert_eq!(form_urlencode("My App & Co"), "My+App+%26+Co");
        assert_eq!(form_urlencode("*-._~!'()"), "*-._%7E%21%27%28%29");
        assert_eq!(form_urlencode("é"), "%C3%A9");
    }
}
