//! Better Auth's cookies (reference §4.1–4.2): names, `Set-Cookie` lines in Better Auth's attribute
//! order, and reading the `Cookie` header the way Better Auth does (first occurrence wins).

use axum::http::HeaderMap;
use axum::http::header::COOKIE;

/// Cookie names and attributes for one configuration.
#[derive(Debug, Clone)]
pub struct CookieNames {
    pub session_token: String,
    pub session_data: String,
    pub dont_remember: String,
    pub two_factor: String,
    pub trust_device: String,
    pub admin_session: String,
    /// The signed OAuth `state` of a social sign-in in flight.
    pub state: String,
    /// The encrypted OAuth state, with `account.storeStateStrategy = "cookie"`.
    pub oauth_state: String,
    pub secure: bool,
}

impl CookieNames {
    pub fn new(prefix: &str, secure: bool) -> CookieNames {
        let name = |n: &str| {
            if secure {
                format!("__Secure-{prefix}.{n}")
            } else {
                format!("{prefix}.{n}")
            }
        };
        CookieNames {
            session_token: name("session_token"),
            session_data: name("session_data"),
            dont_remember: name("dont_remember"),
            two_factor: name("two_factor"),
            trust_device: name("trust_device"),
            admin_session: name("admin_session"),
            state: name("state"),
            oauth_state: name("oauth_state"),
            secure,
        }
    }

    /// `name=value; Max-Age=N; Path=/; HttpOnly; Secure; SameSite=Lax`, Better Auth's order.
    /// `max_age: None` makes a browser-session cookie.
    pub fn set(&self, name: &str, value: &str, max_age: Option<i64>) -> String {
        let mut line = format!("{name}={value}");
        if let Some(age) = max_age {
            line.push_str(&format!("; Max-Age={age}"));
        }
        line.push_str("; Path=/; HttpOnly");
        if self.secure {
            line.push_str("; Secure");
        }
        line.push_str("; SameSite=Lax");
        line
    }

    /// Deletion: empty value and `Max-Age=0`.
    pub fn expire(&self, name: &str) -> String {
        self.set(name, "", Some(0))
    }

    /// What sign-out, revoke-sessions and a dead session send: every session cookie expired.
    pub fn expire_session(&self) -> Vec<String> {
        vec![
            self.expire(&self.session_token),
            self.expire(&self.session_data),
            self.expire(&self.dont_remember),
        ]
    }
}

/// The raw value of the first cookie with this name, surrounding quotes stripped.
pub fn read<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| {
            let (k, v) = pair.split_once('=')?;
            (k.trim() == name).then(|| {
                let v = v.trim();
                v.strip_prefix('"')
                    .and_then(|v| v.strip_suffix('"'))
                    .unwrap_or(v)
            })
        })
        .next()
}

pub fn has_cookie_header(headers: &HeaderMap) -> bool {
    headers.contains_key(COOKIE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn names_gain_the_secure_prefix_on_https() {
        assert_eq!(
            CookieNames::new("better-auth", false).session_token,
            "better-auth.session_token"
        );
        assert_eq!(
            CookieNames::new("better-auth", true).session_token,
            "__Secure-better-auth.session_token"
        );
    }

    #[test]
    fn set_cookie_lines_follow_better_auths_attribute_order() {
        let plain = CookieNames::new("better-auth", false);
        assert_eq!(
            plain.set("better-auth.session_token", "a.b%3D", Some(604800)),
            "better-auth.session_token=a.b%3D; Max-Age=604800; Path=/; HttpOnly; SameSite=Lax"
        );
        assert_eq!(
            plain.expire("better-auth.dont_remember"),
            "better-auth.dont_remember=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax"
        );
        let secure = CookieNames::new("better-auth", true);
        assert_eq!(
            secure.set("x", "v", None),
            "x=v; Path=/; HttpOnly; Secure; SameSite=Lax"
        );
    }

    #[test]
    fn reading_takes_the_first_occurrence_and_strips_quotes() {
        let mut headers = HeaderMap::new();
        headers.append(
            COOKIE,
            HeaderValue::from_static("other=1; a=\"first\"; a=second"),
        );
        headers.append(COOKIE, HeaderValue::from_static("b=2"));
        assert_eq!(read(&headers, "a"), Some("first"));
        assert_eq!(read(&headers, "b"), Some("2"));
        assert_eq!(read(&headers, "c"), None);
    }
}
