//! Origin and CSRF checks (reference §6.2): a cookie-bearing state change must come from a trusted
//! origin; callback URLs must point at one (or be a safe root-relative path).

use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use url::Url;

use crate::cookies;
use crate::error::{ApiError, codes};
use crate::state::AppState;

/// The trusted origin patterns: the base URL's origin plus configured ones, and the base URL that
/// relative values resolve against.
#[derive(Debug, Clone)]
pub struct TrustedOrigins {
    patterns: Vec<String>,
    base: Option<Url>,
}

/// Schemes that run or embed content instead of navigating; no pattern can admit them.
const NEVER_NAVIGABLE_SCHEMES: [&str; 6] =
    ["javascript", "data", "vbscript", "file", "blob", "about"];

impl TrustedOrigins {
    pub fn new(base_origin: String, extra: &[String]) -> TrustedOrigins {
        let base = Url::parse(&base_origin).ok();
        let mut patterns = vec![base_origin];
        // `https://app.example/` means the origin; `myapp://` is a scheme prefix and keeps its slashes.
        patterns.extend(extra.iter().map(|p| {
            if p.ends_with("://") {
                p.clone()
            } else {
                p.trim_end_matches('/').to_owned()
            }
        }));
        TrustedOrigins { patterns, base }
    }

    /// Whether a full URL (or bare origin, as in an `Origin` header) belongs to a trusted origin.
    pub fn is_trusted(&self, url: &str) -> bool {
        !url.starts_with('/') && self.check_absolute(url).is_some()
    }

    /// The one decision on every client-supplied URL (`callbackURL`, `redirectTo`, …): `Some` with
    /// the value to use from here on, `None` when it must be refused.
    ///
    /// A root-relative value must pass Better Auth's rule (`isTrustedOrigin` with
    /// `allowRelativePaths`), and also resolve, as a browser resolves it, onto the base origin; it
    /// comes back unchanged so that relative stays relative in answers. Anything else is parsed
    /// with the WHATWG rules browsers use (which drop tabs and newlines, trim C0 controls and read
    /// `\` as `/` in web URLs) and must land on a trusted origin; it comes back as the raw string
    /// only when that string literally starts with the origin that was checked, else as the
    /// parser's serialization, so no later reader can see a different host than this check did.
    pub fn check_url(&self, raw: &str) -> Option<String> {
        if raw.starts_with('/') {
            return self.check_relative(raw);
        }
        self.check_absolute(raw)
    }

    fn check_relative(&self, raw: &str) -> Option<String> {
        if !matches_relative_rule(raw) {
            return None;
        }
        let base = self.base.as_ref()?;
        let resolved = base.join(raw).ok()?;
        (resolved.origin() == base.origin()).then(|| raw.to_owned())
    }

    fn check_absolute(&self, raw: &str) -> Option<String> {
        let mut parsed = Url::parse(raw).ok()?;
        if NEVER_NAVIGABLE_SCHEMES.contains(&parsed.scheme()) {
            return None;
        }
        match parsed.origin() {
            url::Origin::Tuple(..) => {
                let origin = parsed.origin().ascii_serialization();
                let host = host_with_port(&parsed)?;
                let is_ipv4 = matches!(parsed.host(), Some(url::Host::Ipv4(_)));
                let trusted = self
                    .patterns
                    .iter()
                    .any(|pattern| web_pattern_matches(pattern, &origin, &host, is_ipv4));
                trusted.then(|| {
                    if is_plain_uri(raw) && starts_with_origin(raw, &origin) {
                        raw.to_owned()
                    } else {
                        // Credentials in a redirect only serve to make a link look like another site's.
                        let _ = parsed.set_username("");
                        let _ = parsed.set_password(None);
                        parsed.to_string()
                    }
                })
            }
            // Custom schemes (`myapp://…`): handed to the OS as written, so only a string with
            // nothing a parser could drop or reinterpret is judged, on the string itself.
            url::Origin::Opaque(_) => {
                let trusted = is_plain_uri(raw)
                    && self
                        .patterns
                        .iter()
                        .any(|pattern| custom_pattern_matches(pattern, raw));
                trusted.then(|| raw.to_owned())
            }
        }
    }
}

/// Better Auth's relative-path rule, `^/(?!/|\\|%2f|%5c)[\w\-.+/@]*(?:\?[\w\-.+/=&%@]*)?$` with
/// `\w` the ASCII word characters. Nothing it admits can leave the origin: no second slash or
/// backslash up front, no whitespace or control character, no `%` before the query.
fn matches_relative_rule(raw: &str) -> bool {
    let Some(rest) = raw.strip_prefix('/') else {
        return false;
    };
    let encoded_slash = |escape: &[u8]| {
        rest.as_bytes()
            .get(..3)
            .is_some_and(|head| head.eq_ignore_ascii_case(escape))
    };
    if rest.starts_with(['/', '\\']) || encoded_slash(b"%2f") || encoded_slash(b"%5c") {
        return false;
    }
    let is_word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let path_byte = |b: u8| is_word(b) || matches!(b, b'-' | b'.' | b'+' | b'/' | b'@');
    let query_byte = |b: u8| path_byte(b) || matches!(b, b'=' | b'&' | b'%');
    match rest.split_once('?') {
        Some((path, query)) => path.bytes().all(path_byte) && query.bytes().all(query_byte),
        None => rest.bytes().all(path_byte),
    }
}

/// Only RFC 3986 characters: nothing a browser strips, maps or percent-encodes on its own.
fn is_plain_uri(raw: &str) -> bool {
    raw.bytes().all(|b| {
        b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'-' | b'.'
                    | b'_'
                    | b'~'
                    | b':'
                    | b'/'
                    | b'?'
                    | b'#'
                    | b'['
                    | b']'
                    | b'@'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
                    | b'%'
            )
    })
}

/// `raw` begins with exactly `origin`, then ends or goes on with a path, query or fragment.
fn starts_with_origin(raw: &str, origin: &str) -> bool {
    raw.strip_prefix(origin)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with(['/', '?', '#']))
}

/// `URL.host` as JavaScript has it: the host, with the port when it is not the scheme's default.
fn host_with_port(url: &Url) -> Option<String> {
    let host = url.host_str()?;
    Some(match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    })
}

fn has_wildcard(pattern: &str) -> bool {
    pattern.contains('*') || pattern.contains('?')
}

/// `192.168.*.*`: digits, dots and wildcards only.
fn is_address_pattern(pattern: &str) -> bool {
    pattern
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'*' | b'?'))
}

/// `matchesOriginPattern` for a web URL: a wildcard pattern with a scheme matches the origin, one
/// without matches the host (`*.example.com`), any other pattern is an origin. Unlike Better
/// Auth, an address pattern (`192.168.*.*`) admits IPv4 addresses only: its `*` would otherwise
/// admit `192.168.1.evil.example`, a name anyone can register.
fn web_pattern_matches(pattern: &str, origin: &str, host: &str, is_ipv4: bool) -> bool {
    if has_wildcard(pattern) {
        if pattern.contains("://") {
            glob(pattern, origin)
        } else if is_address_pattern(pattern) {
            is_ipv4 && glob(pattern, host)
        } else {
            glob(pattern, host)
        }
    } else {
        pattern.eq_ignore_ascii_case(origin)
    }
}

/// `matchesOriginPattern` for a custom scheme: the same scheme, the same authority when the
/// pattern names one, and the pattern's path as a whole-segment prefix when it has one. As in
/// Better Auth, a host-less pattern (`myapp://`) trusts every host of its scheme, the scheme
/// registered with the OS being the trust boundary. Host-only wildcards are for web hosts and
/// admit no custom scheme.
fn custom_pattern_matches(pattern: &str, url: &str) -> bool {
    if has_wildcard(pattern) {
        return pattern.contains("://") && glob(pattern, url);
    }
    let (Some(url), Some(pattern)) = (CustomUrl::parse(url), CustomUrl::parse(pattern)) else {
        return false;
    };
    if url.scheme != pattern.scheme {
        return false;
    }
    if !pattern.authority.is_empty() && url.authority != pattern.authority {
        return false;
    }
    pattern.path.is_empty()
        || url.path == pattern.path
        || url
            .path
            .strip_prefix(&pattern.path)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// A custom-scheme URL split as Better Auth's `parseCustomSchemeOrigin` splits it: lower-cased
/// scheme and authority, and the path percent-decoded with `.` and `..` resolved, so traversal
/// cannot escape a path-pinned pattern.
struct CustomUrl {
    scheme: String,
    authority: String,
    path: String,
}

impl CustomUrl {
    fn parse(value: &str) -> Option<CustomUrl> {
        let (scheme, rest) = value.split_once(':')?;
        if scheme.is_empty() {
            return None;
        }
        let (authority, rest) = match rest.strip_prefix("//") {
            Some(after) => match after.find(['/', '?', '#']) {
                Some(end) => after.split_at(end),
                None => (after, ""),
            },
            None => ("", rest),
        };
        let path = rest.split(['?', '#']).next().unwrap_or("");
        Some(CustomUrl {
            scheme: scheme.to_ascii_lowercase(),
            authority: authority.to_ascii_lowercase(),
            path: normalize_path(path),
        })
    }
}

fn normalize_path(path: &str) -> String {
    let decoded = percent_encoding::percent_decode_str(path)
        .decode_utf8()
        .map(|d| d.into_owned())
        .unwrap_or_else(|_| path.to_owned());
    let mut segments: Vec<&str> = Vec::new();
    for segment in decoded.split('/') {
        match segment {
            ".." => {
                segments.pop();
            }
            "." | "" => {}
            s => segments.push(s),
        }
    }
    if segments.is_empty() {
        String::new()
    } else {
        format!("/{}", segments.join("/"))
    }
}

/// Better Auth's wildcard match: `*` is any run and `?` one character, neither crossing `/` or
/// `\`; case-insensitive as hosts are.
fn glob(pattern: &str, text: &str) -> bool {
    let pattern: Vec<char> = pattern.to_ascii_lowercase().chars().collect();
    let text: Vec<char> = text.to_ascii_lowercase().chars().collect();
    let crosses = |c: char| c == '/' || c == '\\';
    // matched[j]: the pattern so far matches text[..j].
    let mut matched = vec![false; text.len() + 1];
    if let Some(first) = matched.first_mut() {
        *first = true;
    }
    for &p in &pattern {
        let mut next = vec![false; text.len() + 1];
        for j in 0..=text.len() {
            let here = matched.get(j).copied().unwrap_or(false);
            let previous_char = j.checked_sub(1).and_then(|i| text.get(i)).copied();
            let before = j
                .checked_sub(1)
                .and_then(|i| matched.get(i))
                .copied()
                .unwrap_or(false);
            let star_before = j
                .checked_sub(1)
                .and_then(|i| next.get(i))
                .copied()
                .unwrap_or(false);
            let value = match (p, previous_char) {
                ('*', Some(c)) => here || (star_before && !crosses(c)),
                ('*', None) => here,
                ('?', Some(c)) => before && !crosses(c),
                (literal, Some(c)) => before && literal == c,
                (_, None) => false,
            };
            if let Some(slot) = next.get_mut(j) {
                *slot = value;
            }
        }
        matched = next;
    }
    matched.last().copied().unwrap_or(false)
}

/// Better Auth's origin middleware also checks a `callbackURL` in the query of any state-changing
/// request, whatever the route; a route checks the fields of its own body.
pub async fn query_callback_guard(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    if !is_safe_method(request.method()) {
        let callback = request.uri().query().and_then(|query| {
            url::form_urlencoded::parse(query.as_bytes())
                .find(|(name, _)| name == "callbackURL")
                .map(|(_, value)| value.into_owned())
        });
        if let Err(refused) = check_callback(
            &state.trusted,
            callback.as_deref(),
            codes::invalid_callback_url,
        ) {
            return refused.into_response();
        }
    }
    next.run(request).await
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

/// `callbackURL` and friends: the checked value to use (see [`TrustedOrigins::check_url`]), or
/// the refusal that names the field. An empty value is no value, as in Better Auth.
pub fn check_callback(
    trusted: &TrustedOrigins,
    url: Option<&str>,
    refuse: fn() -> ApiError,
) -> Result<Option<String>, ApiError> {
    match url {
        None | Some("") => Ok(None),
        Some(u) => trusted.check_url(u).map(Some).ok_or_else(refuse),
    }
}

pub fn invalid_redirect_url() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "INVALID_REDIRECT_URL",
        "Invalid redirectURL",
    )
}

pub fn invalid_error_callback_url() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "INVALID_ERROR_CALLBACK_URL",
        "Invalid errorCallbackURL",
    )
}

pub fn invalid_new_user_callback_url() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "INVALID_NEW_USER_CALLBACK_URL",
        "Invalid newUserCallbackURL",
    )
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
        assert!(!t.is_trusted("/dashboard"), "an Origin is never a path");
    }

    #[test]
    fn better_auths_relative_path_rule_is_the_floor() {
        let t = trusted();
        for ok in [
            "/",
            "/dashboard",
            "/a/b-c_d.e+f@g",
            "/dashboard?tab=1&x=%20y",
            "/reset?",
        ] {
            assert_eq!(
                t.check_url(ok).as_deref(),
                Some(ok),
                "{ok:?} stays as given"
            );
        }
        for refused in [
            "//evil.com/x",
            "/\\evil.com",
            "/%2fevil.com",
            "/%2F%2Fevil.com",
            "/%5cevil.com",
            "/%5Cevil.com",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r\n/evil.example",
            "/dash\tboard",
            "/dashboard ",
            "/dashboard?x=a b",
            "/dashboard#top",
            "/a?b?c",
            "/\u{a0}/evil.com",
            "/\u{ff0f}evil.com",
            "/http://evil.com",
            "/a%2fb",
        ] {
            assert_eq!(t.check_url(refused), None, "{refused:?} is refused");
        }
    }

    #[test]
    fn absolute_urls_are_judged_by_the_host_a_browser_would_see() {
        let t = trusted();
        for refused in [
            "http://localhost:3000@evil.com",
            "https://evil.com\\@localhost:3000",
            "http://evil.com\\localhost:3000",
            "http:evil.com",
            "https:/evil.com",
            "https:\\\\evil.com",
            "\t//evil.com",
            " //evil.com",
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "http://localhost.:3000",
            "http://[::1]:3000",
            "http://localhost:3000\u{3000}@evil.com",
            "dashboard",
            "",
        ] {
            assert_eq!(t.check_url(refused), None, "{refused:?} is refused");
        }
        assert_eq!(
            t.check_url("http://localhost:3000/welcome").as_deref(),
            Some("http://localhost:3000/welcome"),
            "a clean URL on the origin comes back as given"
        );
        assert_eq!(
            t.check_url("HTTP://LocalHost:3000/x").as_deref(),
            Some("http://localhost:3000/x"),
            "anything else comes back as the parser reads it"
        );
        assert_eq!(
            t.check_url(" http://local\thost:3000/a\\b\n").as_deref(),
            Some("http://localhost:3000/a/b")
        );
        assert_eq!(
            t.check_url("http:localhost:3000/x").as_deref(),
            Some("http://localhost:3000/x")
        );
        assert_eq!(
            t.check_url("http://evil.example\u{ff0f}@localhost:3000/x")
                .as_deref(),
            Some("http://localhost:3000/x"),
            "userinfo is dropped, so no link reads like another site"
        );
    }

    #[test]
    fn wildcards_follow_better_auth() {
        let t = TrustedOrigins::new(
            "http://localhost:3000".into(),
            &[
                "https://*.example.com".into(),
                "192.168.*.*".into(),
                "http://?.short.test".into(),
            ],
        );
        assert!(t.check_url("https://a.b.example.com/x").is_some());
        assert!(t.check_url("https://example.com").is_none());
        assert!(t.check_url("https://evil.com/.example.com").is_none());
        assert!(t.check_url("https://evil.com?.example.com").is_none());
        assert!(t.check_url("http://192.168.1.20/x").is_some());
        assert!(
            t.check_url("http://192.168.1.20:8080/x").is_some(),
            "matched against host:port as URL.host reads it, so `*` takes the port as in Better Auth"
        );
        assert!(
            t.check_url("http://192.168.1.evil.example/").is_none(),
            "an address pattern admits addresses only, not names an attacker can register"
        );
        assert!(t.check_url("http://192.168.1.1.example/").is_none());
        assert!(t.check_url("http://10.0.0.1/").is_none());
        assert!(t.check_url("http://a.short.test/").is_some());
        assert!(t.check_url("http://ab.short.test/").is_none());
        assert!(glob("a*c", "abbc") && !glob("a*c", "ab/c") && !glob("a?c", "a\\c"));
    }

    #[test]
    fn custom_schemes_match_scheme_host_and_path_exactly() {
        let t = TrustedOrigins::new(
            "http://localhost:3000".into(),
            &[
                "myapp://app".into(),
                "exp://".into(),
                "pinned://host/cb".into(),
            ],
        );
        assert!(t.check_url("myapp://app").is_some());
        assert!(t.check_url("myapp://app/welcome?x=1").is_some());
        assert!(t.check_url("MyApp://APP/welcome").is_some());
        assert!(t.check_url("myapp://app.evil.com").is_none());
        assert!(t.check_url("myapp://evil.com").is_none());
        assert!(t.check_url("myapp://appevil").is_none());
        assert!(t.check_url("otherapp://app").is_none());
        assert!(
            t.check_url("exp://anything.at.all/path").is_some(),
            "a host-less pattern trusts every host of its scheme, as in Better Auth"
        );
        assert!(t.check_url("pinned://host/cb").is_some());
        assert!(t.check_url("pinned://host/cb/deeper").is_some());
        assert!(t.check_url("pinned://host/cbx").is_none());
        assert!(t.check_url("pinned://host/cb/../evil").is_none());
        assert!(t.check_url("pinned://host/cb/%2e%2e/evil").is_none());
        assert!(
            t.check_url("myapp://app\t").is_none(),
            "nothing a parser would drop"
        );
        assert!(t.check_url("myapp://app/\\evil").is_none());
        assert!(t.check_url("javascript://app/%0aalert(1)").is_none());
    }

    #[test]
    fn an_empty_callback_is_no_callback() {
        let t = trusted();
        let refuse = codes::invalid_callback_url;
        assert_eq!(check_callback(&t, Some(""), refuse).ok(), Some(None));
        assert_eq!(check_callback(&t, None, refuse).ok(), Some(None));
        assert_eq!(
            check_callback(&t, Some("/x"), refuse).ok(),
            Some(Some("/x".to_owned()))
        );
        assert_eq!(
            check_callback(&t, Some("//evil"), refuse)
                .err()
                .and_then(|e| e.code().map(str::to_owned)),
            Some("INVALID_CALLBACK_URL".to_owned())
        );
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

    /// The pieces disguised redirects are made of, and ordinary path characters between them.
    const PIECES: &[&str] = &[
        "/",
        "//",
        "\\",
        "\t",
        "\n",
        "\r",
        "\0",
        "\u{1}",
        "\u{1f}",
        "\u{7f}",
        " ",
        "\u{a0}",
        "\u{3000}",
        "\u{2028}",
        "\u{feff}",
        "\u{ff0f}",
        "\u{ff3c}",
        "%2f",
        "%2F",
        "%5c",
        "%5C",
        "%",
        "@",
        ":",
        "?",
        "#",
        "&",
        "=",
        ".",
        "..",
        "a",
        "Z",
        "_",
        "-",
        "+",
        "~",
        "http:",
        "https:",
        "HTTP:",
        "javascript:",
        "data:",
        "myapp:",
        "evil.com",
        "evil.com.",
        "localhost",
        "LOCALHOST",
        "localhost.",
        ":3000",
        ":80",
        "[::1]",
        "127.0.0.1",
        "0x7f.1",
        "example.com",
        ".example.com",
        "http://localhost:3000",
        "https://shop.example.com",
    ];

    fn disguised() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        proptest::collection::vec(proptest::sample::select(PIECES), 0..12)
            .prop_map(|pieces| pieces.concat())
    }

    /// Where a browser on the app's page would land: the URL resolved against the base URL.
    fn lands_on_trusted_origin(value: &str) -> bool {
        let Ok(resolved) =
            Url::parse("http://localhost:3000/some/page").and_then(|b| b.join(value))
        else {
            return false;
        };
        let origin = resolved.origin().ascii_serialization();
        origin == "http://localhost:3000"
            || (resolved.scheme() == "https"
                && resolved.port().is_none()
                && resolved
                    .host_str()
                    .is_some_and(|h| h.ends_with(".example.com")))
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config {
            cases: 20_000,
            failure_persistence: None,
            // Seeded: the same strings on every run and every machine.
            rng_seed: proptest::test_runner::RngSeed::Fixed(0x7e55_e4a0_0011),
            ..proptest::test_runner::Config::default()
        })]

        #[test]
        fn whatever_is_accepted_lands_on_a_trusted_origin(raw in disguised()) {
            let t = TrustedOrigins::new(
                "http://localhost:3000".into(),
                &["https://*.example.com".into()],
            );
            if let Some(checked) = t.check_url(&raw) {
                proptest::prop_assert!(lands_on_trusted_origin(&checked), "{raw:?} -> {checked:?}");
                proptest::prop_assert!(lands_on_trusted_origin(&raw), "{raw:?} as sent");
            }
        }
    }
}
