//! The multi-session plugin's spec: its error code and how its cookies are named. It adds no
//! column and no table; its state lives in the browser, one signed cookie per session.

use super::ErrorCode;

pub const INVALID_SESSION_TOKEN: ErrorCode =
    ErrorCode::new("INVALID_SESSION_TOKEN", "Invalid session token");

/// What makes a cookie a multi-session cookie: Better Auth matches `key.includes("_multi-")`,
/// whatever comes before it.
pub const MARKER: &str = "_multi-";

/// `<session cookie name>_multi-<lower-cased token>`.
#[must_use]
pub fn cookie_name(session_cookie: &str, token: &str) -> String {
    format!("{session_cookie}{MARKER}{}", token.to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_is_named_after_the_lower_cased_token() {
        assert_eq!(
            cookie_name("better-auth.session_token", "AbC123"),
            "better-auth.session_token_multi-abc123"
        );
        assert_eq!(
            cookie_name("__Secure-better-auth.session_token", "XY"),
            "__Secure-better-auth.session_token_multi-xy"
        );
    }
}
