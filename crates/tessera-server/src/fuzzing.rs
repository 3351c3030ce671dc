//! Entry points shared by the fuzz targets in `fuzz/` and the tests that replay their kept corpus,
//! so that both run exactly the server's own parsing. Not an API: nothing else should call these.
//!
//! Each returns `Err` with a description when the target's property does not hold; a panic
//! anywhere below is a finding by itself.

use axum::http::header::COOKIE;
use axum::http::{HeaderMap, HeaderValue};
use tessera_core::crypto::symmetric::Secrets;
use tessera_core::crypto::{signed, uri};

use crate::body;
use crate::cookies::{self, CookieNames};
use crate::origin::TrustedOrigins;

const SECRET: &str = "tessera-fuzz-secret-0123456789abcdef";

/// Target `cookie`. Each input line is one `Cookie` header; the session, dont-remember and
/// OAuth-state cookies are read from them, and each value goes through signed-value
/// verification and the sealed-state decryption. Property: whatever value was read, signing
/// its decoded form and verifying that gives the value back.
pub fn cookie(data: &[u8]) -> Result<(), String> {
    let mut headers = HeaderMap::new();
    for line in data.split(|&b| b == b'\n') {
        if let Ok(value) = HeaderValue::from_bytes(line) {
            headers.append(COOKIE, value);
        }
    }
    let names = CookieNames::new("better-auth", false);
    let secrets = Secrets::single(SECRET);
    for name in [
        names.session_token.as_str(),
        names.dont_remember.as_str(),
        names.oauth_state.as_str(),
    ] {
        let Some(raw) = cookies::read(&headers, name) else {
            continue;
        };
        let _ = signed::verify(SECRET, raw);
        let _ = secrets.decrypt(raw);
        let plain = uri::try_decode_cookie_value(raw);
        if !plain.is_empty() {
            let resigned = signed::sign_and_encode(SECRET, &plain);
            if signed::verify(SECRET, &resigned).as_deref() != Some(plain.as_str()) {
                return Err(format!("{name}: a value signed here does not verify"));
            }
        }
    }
    Ok(())
}

/// Target `request_body`. The first input line is the `Content-Type` (empty: none), the rest the
/// body, parsed as the JSON-only and the form-or-JSON extractors do, then read by the validator
/// as sign-in reads it. Property: a form post to a form-accepting route always parses.
pub fn request_body(data: &[u8]) -> Result<(), String> {
    let (content_type, bytes) = match data.iter().position(|&b| b == b'\n') {
        Some(at) => (
            data.get(..at).unwrap_or_default(),
            data.get(at + 1..).unwrap_or_default(),
        ),
        None => (data, &[] as &[u8]),
    };
    let content_type = String::from_utf8_lossy(content_type);
    let content_type = (!content_type.is_empty()).then_some(content_type.as_ref());
    for allow_form in [false, true] {
        match body::parse(content_type, bytes, allow_form) {
            Ok(map) => {
                let mut fields = body::Validator::new(&map);
                if let Some(email) = fields.string("email") {
                    let _ = body::is_valid_email(&email);
                }
                let _ = fields.opt_string("callbackURL");
                let _ = fields.opt_bool("rememberMe");
                let _ = fields.finish();
            }
            Err(_) if allow_form && is_form(content_type) => {
                return Err("a form body was refused".to_owned());
            }
            Err(_) => {}
        }
    }
    Ok(())
}

fn is_form(content_type: Option<&str>) -> bool {
    content_type
        .and_then(|ct| ct.split(';').next())
        .is_some_and(|essence| {
            essence
                .trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

/// The base URL and trusted origins the redirect target runs with: one exact origin, one
/// host wildcard and one custom scheme, the three kinds of rule.
const BASE_URL: &str = "http://localhost:3000";
const EXACT: &str = "https://app.example.com";
const WILDCARD_SUFFIX: &str = ".trusted.example";
const CUSTOM_SCHEME: &str = "myapp";
const CUSTOM_HOST: &str = "app";

fn trusted_origins() -> TrustedOrigins {
    TrustedOrigins::new(
        BASE_URL.to_owned(),
        &[
            EXACT.to_owned(),
            format!("*{WILDCARD_SUFFIX}"),
            format!("{CUSTOM_SCHEME}://{CUSTOM_HOST}"),
        ],
    )
}

/// The one decision under test: whether a client-supplied redirect target is accepted, by the
/// function every route calls (issue #11 §1).
fn accepts_redirect(trusted: &TrustedOrigins, url: &str) -> bool {
    trusted.check_url(url).is_some()
}

/// Target `redirect_target`. The input (lossy UTF-8) is a `callbackURL`. Property: if accepted,
/// the URL a browser would follow, resolved by the `url` crate (WHATWG rules) against the base
/// URL, is on the base origin or a trusted one, checked here independently of the code under test.
pub fn redirect_target(data: &[u8]) -> Result<(), String> {
    let url = String::from_utf8_lossy(data);
    if !accepts_redirect(&trusted_origins(), &url) {
        return Ok(());
    }
    let base = url::Url::parse(BASE_URL).map_err(|e| e.to_string())?;
    let resolved = base
        .join(&url)
        .map_err(|e| format!("accepted {url:?}, which a browser cannot resolve: {e}"))?;
    let origin = resolved.origin().ascii_serialization();
    let trusted = origin == BASE_URL
        || origin == EXACT
        || (matches!(resolved.scheme(), "http" | "https")
            && resolved
                .host_str()
                .is_some_and(|h| h.ends_with(WILDCARD_SUFFIX)))
        || (resolved.scheme() == CUSTOM_SCHEME && resolved.host_str() == Some(CUSTOM_HOST));
    if trusted {
        Ok(())
    } else {
        Err(format!(
            "accepted {url:?}, which a browser resolves to {resolved} (origin {origin})"
        ))
    }
}

#[cfg(test)]
mod tests {
    use tessera_core::fuzzing::replay_corpus;

    #[test]
    fn cookie_corpus_replays_clean() {
        assert_eq!(
            replay_corpus("cookie", super::cookie).map(|n| n > 0),
            Ok(true)
        );
    }

    #[test]
    fn request_body_corpus_replays_clean() {
        assert_eq!(
            replay_corpus("request_body", super::request_body).map(|n| n > 0),
            Ok(true)
        );
    }

    /// The corpus keeps the inputs that moved a redirect off the origin before the rewrite
    /// (`/\t/evil.example` and friends), so this fails if the hole reopens.
    #[test]
    fn redirect_target_corpus_replays_clean() {
        assert_eq!(
            replay_corpus("redirect_target", super::redirect_target).map(|n| n > 0),
            Ok(true)
        );
    }
}
