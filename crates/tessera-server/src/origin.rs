//! Origin and CSRF checks (reference §6.2): a cookie-bearing state change must come from a trusted
//! origin; callback URLs must point at one (or be a safe root-relative path).

use axum::http::{HeaderMap, Method, header};

use crate::cookies;
use crate::error::{ApiError, codes};

/// The trusted origin patterns: the base URL's origin plus configured ones.
#[derive(Debug, Clone)]
pub struct TrustedOrigins {
    patterns: Vec<String>,
}

impl TrustedOrigins {
    pub fn new(base_origin: String, extra: &[String]) -> TrustedOrigins {
        let mut patterns = vec![base_origin];
        // `https://app.example/` means the origin; `myapp://` is a scheme prefix and keeps its slashes.
        patterns.extend(extra.iter().map(|p| {
            if p.ends_with("://") {
                p.clone()
            } else {
                p.trim_end_matches('/').to_owned()
            }
        }));
        TrustedOrigins { patterns }
    }

    /// Whether a full URL (or bare origin) belongs to a trusted origin.
    pub fn is_trusted(&self, url: &str) -> bool {
        let Some(origin) = origin_of(url) else {
            return self.patterns.iter().any(|p| custom_scheme_match(p, url));
        };
        self.patterns.iter().any(|pattern| {
            if pattern.contains('*') || pattern.contains('?') {
                let host_only = !pattern.contains("://");
                if host_only {
                    host_of(&origin).is_some_and(|h| glob(pattern, &h))
                } else {
                    glob(pattern, &origin)
                }
            } else if pattern.contains("://") && !pattern.starts_with("http") {
                custom_scheme_match(pattern, url)
            } else {
                pattern.eq_ignore_ascii_case(&origin)
            }
        })
    }

    /// A callback URL is acceptable when it is a root-relative path (`/dashboard`, not `//evil`)
    /// or an absolute URL on a trusted origin.
    pub fn is_safe_callback(&self, url: &str) -> bool {
        if url.starts_with('/') {
            return !url.starts_with("//") && !url.starts_with("/\\") && !url.contains("://");
        }
        self.is_trusted(url)
    }
}

fn origin_of(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    match parsed.origin() {
        url::Origin::Tuple(..) => Some(parsed.origin().ascii_serialization()),
        url::Origin::Opaque(_) => None,
    }
}

fn host_of(origin: &str) -> Option<String> {
    url::Url::parse(origin)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
}

fn custom_scheme_match(pattern: &str, url: &str) -> bool {
    !pattern.starts_with("http") && pattern.contains("://") && url.starts_with(pattern)
}

/// `*` matches any run of characters, `?` one character; case-insensitive as hosts are.
fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.to_ascii_lowercase().chars().collect();
    let t: Vec<char> = text.to_ascii_lowercase().chars().collect();
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(&c) if c == '?' || Some(&c) == t.get(ti) => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p.get(pi..)
        .is_some_and(|rest| rest.iter().all(|&c| c == '*'))
}

fn is_safe_method(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The origin check every endpoint runs: a non-GET request that carries cookies must name a
/// trusted `Origin` (or `Referer`).
pub fn check_request_origin(
    trusted: &TrustedOrigins,
    method: &Method,
    headers: &HeaderMap,
) -> Result<(), ApiError> {
    if is_safe_method(method) || !cookies::has_cookie_header(headers) {
        return Ok(());
    }
    check_origin_header(trusted, headers)
}

fn check_origin_header(trusted: &TrustedOrigins, headers: &HeaderMap) -> Result<(), ApiError> {
    let origin = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty() && *v != "null");
    match origin {
        None => Err(codes::missing_or_null_origin()),
        Some(o) if trusted.is_trusted(o) => Ok(()),
        Some(_) => Err(codes::invalid_origin()),
    }
}

/// The sign-in/sign-up form rule: without cookies, a cross-site top-level navigation is refused,
/// and any request that says where it comes from must come from a trusted origin.
pub fn check_login_csrf(trusted: &TrustedOrigins, headers: &HeaderMap) -> Result<(), ApiError> {
    if cookies::has_cookie_header(headers) {
        return Ok(()); // already covered by check_request_origin
    }
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if get("sec-fetch-site") == Some("cross-site") && get("sec-fetch-mode") == Some("navigate") {
        return Err(codes::cross_site_navigation_login_blocked());
    }
    let says_where_from = ["sec-fetch-site", "sec-fetch-mode", "sec-fetch-dest"]
        .iter()
        .any(|h| headers.contains_key(*h))
        || headers.contains_key(header::ORIGIN)
        || headers.contains_key(header::REFERER);
    if says_where_from {
        return check_origin_header(trusted, headers);
    }
    Ok(())
}

/// `callbackURL` and friends: refused with the code that names the field.
pub fn check_callback(
    trusted: &TrustedOrigins,
    url: Option<&str>,
    refuse: fn() -> ApiError,
) -> Result<(), ApiError> {
    match url {
        Some(u) if !trusted.is_safe_callback(u) => Err(refuse()),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn trusted() -> TrustedOrigins {
        TrustedOrigins::new(
            "http://localhost:3000".into(),
            &[
                "https://*.example.com".into(),
                "myapp://".into(),
                "*.app.test".into(),
            ],
        )
    }

    #[test]
    fn exact_wildcard_and_custom_scheme_origins() {
        let t = trusted();
        assert!(t.is_trusted("http://localhost:3000"));
        assert!(t.is_trusted("http://localhost:3000/dashboard?x=1"));
        assert!(!t.is_trusted("http://localhost:3001"));
        assert!(t.is_trusted("https://shop.example.com"));
        assert!(!t.is_trusted("http://shop.example.com"));
        assert!(!t.is_trusted("https://example.com.evil.io"));
        assert!(t.is_trusted("myapp://callback"));
        assert!(t.is_trusted("https://a.app.test"));
        assert!(!t.is_trusted("https://evil.test"));
    }

    #[test]
    fn callbacks_may_be_root_relative_paths_but_not_protocol_relative() {
        let t = trusted();
        assert!(t.is_safe_callback("/dashboard"));
        assert!(!t.is_safe_callback("//evil.com/x"));
        assert!(!t.is_safe_callback("/\\evil.com"));
        assert!(!t.is_safe_callback("https://evil.com/"));
        assert!(t.is_safe_callback("http://localhost:3000/welcome"));
    }

    #[test]
    fn cookie_bearing_posts_need_a_trusted_origin() {
        let t = trusted();
        let mut h = HeaderMap::new();
        assert!(
            check_request_origin(&t, &Method::POST, &h).is_ok(),
            "no cookie, no check"
        );
        h.insert(header::COOKIE, HeaderValue::from_static("a=b"));
        assert_eq!(
            check_request_origin(&t, &Method::POST, &h)
                .err()
                .and_then(|e| e.code().map(str::to_owned)),
            Some("MISSING_OR_NULL_ORIGIN".to_owned())
        );
        assert!(check_request_origin(&t, &Method::GET, &h).is_ok());
        h.insert(header::ORIGIN, HeaderValue::from_static("null"));
        assert!(check_request_origin(&t, &Method::POST, &h).is_err());
        h.insert(header::ORIGIN, HeaderValue::from_static("http://evil.com"));
        assert_eq!(
            check_request_origin(&t, &Method::POST, &h)
                .err()
                .and_then(|e| e.code().map(str::to_owned)),
            Some("INVALID_ORIGIN".to_owned())
        );
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("http://localhost:3000"),
        );
        assert!(check_request_origin(&t, &Method::POST, &h).is_ok());
    }

    #[test]
    fn cross_site_navigation_login_is_blocked() {
        let t = trusted();
        let mut h = HeaderMap::new();
        h.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
        h.insert("sec-fetch-mode", HeaderValue::from_static("navigate"));
        assert_eq!(
            check_login_csrf(&t, &h)
                .err()
                .and_then(|e| e.code().map(str::to_owned)),
            Some("CROSS_SITE_NAVIGATION_LOGIN_BLOCKED".to_owned())
        );
        let mut h = HeaderMap::new();
        h.insert(header::ORIGIN, HeaderValue::from_static("http://evil.com"));
        assert!(check_login_csrf(&t, &h).is_err());
        let mut h = HeaderMap::new();
        h.insert("sec-fetch-site", HeaderValue::from_static("same-origin"));
        assert_eq!(
            check_login_csrf(&t, &h)
                .err()
                .and_then(|e| e.code().map(str::to_owned)),
            Some("MISSING_OR_NULL_ORIGIN".to_owned()),
            "a browser request that names no origin is refused"
        );
        assert!(
            check_login_csrf(&t, &HeaderMap::new()).is_ok(),
            "server-side callers pass"
        );
    }
}
