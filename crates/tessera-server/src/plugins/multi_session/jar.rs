//! The multi-session cookies a request carries, read with a bound: the `Cookie` header is the
//! client's to make up, and each cookie read costs an HMAC and, for a valid one, a database read.

use axum::http::HeaderMap;
use axum::http::header::COOKIE;
use std::collections::HashSet;
use tessera_core::crypto::signed;
use tessera_core::plugins::multi_session::MARKER;

/// However large `maximum_sessions` is set, no request gets more multi-session cookies looked at.
pub const HARD_CAP: usize = 64;

/// How many multi-session cookies of a request are verified and looked up. A browser never holds
/// more than `maximum_sessions` of them (the after-hook stops adding past it); one more leaves room
/// for a stale or forged cookie sent ahead of the real ones.
pub fn bound(maximum_sessions: usize) -> usize {
    maximum_sessions.saturating_add(1).min(HARD_CAP)
}

/// The request's multi-session cookies, as Better Auth parses them: one entry per distinct name,
/// in the order the names first appear, the value of the last occurrence.
pub struct Jar<'a> {
    /// How many distinct names there are, all of them counted (Better Auth counts them, signed or
    /// not, against `maximumSessions`); counting costs no more than reading the header.
    pub total: usize,
    /// The first `bound` of them, name and raw value.
    pub first: Vec<(&'a str, &'a str)>,
}

pub fn read(headers: &HeaderMap, bound: usize) -> Jar<'_> {
    let mut seen: HashSet<&str> = HashSet::new();
    let mut first: Vec<(&str, &str)> = Vec::new();
    let pairs = headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| {
            let (k, v) = pair.split_once('=')?;
            let k = k.trim();
            k.contains(MARKER).then(|| {
                let v = v.trim();
                let v = v
                    .strip_prefix('"')
                    .and_then(|v| v.strip_suffix('"'))
                    .unwrap_or(v);
                (k, v)
            })
        });
    for (name, value) in pairs {
        if seen.insert(name) {
            if first.len() < bound {
                first.push((name, value));
            }
        } else if let Some(entry) = first.iter_mut().find(|(n, _)| *n == name) {
            // A repeated name keeps its place and takes the later value, as a JavaScript Map does.
            entry.1 = value;
        }
    }
    Jar {
        total: seen.len(),
        first,
    }
}

impl<'a> Jar<'a> {
    /// The signed cookies among the first `bound`, with the session token each carries; a bad
    /// signature reads as no cookie.
    pub fn verified(&self, secret: &str) -> Vec<(&'a str, String)> {
        self.first
            .iter()
            .filter_map(|(name, raw)| signed::verify(secret, raw).map(|token| (*name, token)))
            .collect()
    }
}

/// The name sign-out expires a cookie under: Better Auth lower-cases the name it read and then puts
/// back the capital of the `__Secure-` prefix (with the default cookie prefix, the same name).
pub fn sign_out_name(name: &str) -> String {
    name.to_lowercase().replacen("__secure-", "__Secure-", 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            if let Ok(v) = HeaderValue::from_str(v) {
                h.append(COOKIE, v);
            }
        }
        h
    }

    #[test]
    fn only_multi_session_cookies_are_read_in_order_with_the_last_value() {
        let h = headers(&[
            "a=1; x.session_token_multi-b=first; x.session_token=s",
            "x.session_token_multi-c=\"q\"; x.session_token_multi-b=second",
        ]);
        let jar = read(&h, 10);
        assert_eq!(jar.total, 2);
        assert_eq!(
            jar.first,
            vec![
                ("x.session_token_multi-b", "second"),
                ("x.session_token_multi-c", "q")
            ]
        );
    }

    #[test]
    fn every_name_is_counted_but_only_the_bound_is_kept() {
        let cookie: Vec<String> = (0..1000).map(|i| format!("k_multi-{i}=v")).collect();
        let h = headers(&[&cookie.join("; ")]);
        let jar = read(&h, bound(5));
        assert_eq!(jar.total, 1000);
        assert_eq!(jar.first.len(), 6);
        assert_eq!(jar.first.first(), Some(&("k_multi-0", "v")));
    }

    #[test]
    fn the_bound_follows_maximum_sessions_up_to_the_hard_cap() {
        assert_eq!(bound(1), 2);
        assert_eq!(bound(5), 6);
        assert_eq!(bound(1_000), HARD_CAP);
        assert_eq!(bound(usize::MAX), HARD_CAP);
    }

    #[test]
    fn only_cookies_signed_with_the_secret_are_verified() {
        let secret = "s".repeat(32);
        let good = signed::sign_and_encode(&secret, "TokenA");
        let forged = signed::sign_and_encode("another secret of enough length!", "TokenB");
        let value = format!("p_multi-tokena={good}; p_multi-tokenb={forged}; p_multi-c=plain");
        let h = headers(&[&value]);
        let jar = read(&h, 10);
        assert_eq!(
            jar.verified(&secret),
            vec![("p_multi-tokena", "TokenA".to_owned())]
        );
    }

    #[test]
    fn sign_out_keeps_the_secure_prefix_capitalised() {
        assert_eq!(
            sign_out_name("__Secure-better-auth.session_token_multi-abc"),
            "__Secure-better-auth.session_token_multi-abc"
        );
        assert_eq!(
            sign_out_name("My.session_token_multi-abc"),
            "my.session_token_multi-abc"
        );
    }
}
