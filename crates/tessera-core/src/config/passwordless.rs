//! `[email_otp]`, `[magic_link]` and `[multi_session]`: the passwordless plugins' options
//! (Better Auth's `emailOTP({…})`, `magicLink({…})` and `multiSession({…})`), with Better Auth's
//! defaults and snake_case keys.
//!
//! ```toml
//! [email_otp]
//! otp_length = 6
//! expires_in = 300                          # seconds
//! allowed_attempts = 3
//! send_verification_on_sign_up = false
//! disable_sign_up = false
//! override_default_email_verification = false
//! store_otp = "plain"                       # "plain", "hashed" or "encrypted"
//! change_email = false                      # Better Auth's `changeEmail.enabled`
//! change_email_verify_current = false       # `changeEmail.verifyCurrentEmail`
//!
//! [magic_link]
//! expires_in = 300                          # seconds
//! disable_sign_up = false
//! store_token = "plain"                     # "plain" or "hashed"
//!
//! [multi_session]
//! maximum_sessions = 5
//! ```
//!
//! Sending again always makes a new code (Better Auth's default `resendStrategy`). Better Auth's
//! function-valued options (`generateOTP`, custom `storeOTP` hashers) need
//! JavaScript and are not offered. Every key is optional; an unknown one is refused.

use serde::Deserialize;

use super::ConfigError;

/// How email-otp keeps a code in the `verification` row (Better Auth's `storeOTP`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StoreOtp {
    #[default]
    Plain,
    /// base64url(SHA-256(code)), unpadded.
    Hashed,
    /// Better Auth's symmetric encryption with the secret.
    Encrypted,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailOtpConfig {
    pub otp_length: usize,
    pub expires_in: i64,
    pub allowed_attempts: u64,
    pub send_verification_on_sign_up: bool,
    pub disable_sign_up: bool,
    pub override_default_email_verification: bool,
    pub store_otp: StoreOtp,
    pub change_email: bool,
    pub change_email_verify_current: bool,
}

impl Default for EmailOtpConfig {
    fn default() -> Self {
        EmailOtpConfig {
            otp_length: 6,
            expires_in: 300,
            allowed_attempts: 3,
            send_verification_on_sign_up: false,
            disable_sign_up: false,
            override_default_email_verification: false,
            store_otp: StoreOtp::Plain,
            change_email: false,
            change_email_verify_current: false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MagicLinkConfig {
    pub expires_in: i64,
    pub disable_sign_up: bool,
    /// `true`: the token is kept as base64url(SHA-256(token)) (Better Auth's `storeToken: "hashed"`).
    pub hash_token: bool,
}

impl Default for MagicLinkConfig {
    fn default() -> Self {
        MagicLinkConfig {
            expires_in: 300,
            disable_sign_up: false,
            hash_token: false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MultiSessionConfig {
    pub maximum_sessions: usize,
}

impl Default for MultiSessionConfig {
    fn default() -> Self {
        MultiSessionConfig {
            maximum_sessions: 5,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct FileEmailOtp {
    pub otp_length: Option<usize>,
    pub expires_in: Option<i64>,
    pub allowed_attempts: Option<u64>,
    pub send_verification_on_sign_up: Option<bool>,
    pub disable_sign_up: Option<bool>,
    pub override_default_email_verification: Option<bool>,
    pub store_otp: Option<String>,
    pub change_email: Option<bool>,
    pub change_email_verify_current: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct FileMagicLink {
    pub expires_in: Option<i64>,
    pub disable_sign_up: Option<bool>,
    pub store_token: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct FileMultiSession {
    pub maximum_sessions: Option<usize>,
}

fn invalid(key: &str, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        key: key.into(),
        reason: reason.into(),
    }
}

fn positive(key: &str, value: i64) -> Result<i64, ConfigError> {
    if value <= 0 {
        return Err(invalid(key, "must be a positive number of seconds"));
    }
    Ok(value)
}

pub fn load_email_otp(file: Option<FileEmailOtp>) -> Result<EmailOtpConfig, ConfigError> {
    let mut c = EmailOtpConfig::default();
    let Some(f) = file else { return Ok(c) };
    if let Some(v) = f.otp_length {
        // Fewer digits make a guessable code; more than a line of them is not a code anyone types.
        if !(4..=32).contains(&v) {
            return Err(invalid("email_otp.otp_length", "must be between 4 and 32"));
        }
        c.otp_length = v;
    }
    if let Some(v) = f.expires_in {
        c.expires_in = positive("email_otp.expires_in", v)?;
    }
    if let Some(v) = f.allowed_attempts {
        // Better Auth's `allowedAttempts || 3`: zero means the default.
        c.allowed_attempts = if v == 0 { 3 } else { v };
    }
    c.send_verification_on_sign_up = f.send_verification_on_sign_up.unwrap_or(false);
    c.disable_sign_up = f.disable_sign_up.unwrap_or(false);
    c.override_default_email_verification = f.override_default_email_verification.unwrap_or(false);
    if let Some(v) = f.store_otp {
        c.store_otp = match v.as_str() {
            "plain" => StoreOtp::Plain,
            "hashed" => StoreOtp::Hashed,
            "encrypted" => StoreOtp::Encrypted,
            _ => {
                return Err(invalid(
                    "email_otp.store_otp",
                    format!("{v:?} (want \"plain\", \"hashed\" or \"encrypted\")"),
                ));
            }
        };
    }
    c.change_email = f.change_email.unwrap_or(false);
    c.change_email_verify_current = f.change_email_verify_current.unwrap_or(false);
    Ok(c)
}

pub fn load_magic_link(file: Option<FileMagicLink>) -> Result<MagicLinkConfig, ConfigError> {
    let mut c = MagicLinkConfig::default();
    let Some(f) = file else { return Ok(c) };
    if let Some(v) = f.expires_in {
        c.expires_in = positive("magic_link.expires_in", v)?;
    }
    c.disable_sign_up = f.disable_sign_up.unwrap_or(false);
    if let Some(v) = f.store_token {
        c.hash_token = match v.as_str() {
            "plain" => false,
            "hashed" => true,
            _ => {
                return Err(invalid(
                    "magic_link.store_token",
                    format!("{v:?} (want \"plain\" or \"hashed\")"),
                ));
            }
        };
    }
    Ok(c)
}

pub fn load_multi_session(
    file: Option<FileMultiSession>,
) -> Result<MultiSessionConfig, ConfigError> {
    let mut c = MultiSessionConfig::default();
    if let Some(v) = file.and_then(|f| f.maximum_sessions) {
        if v == 0 {
            return Err(invalid(
                "multi_session.maximum_sessions",
                "must be at least 1",
            ));
        }
        c.maximum_sessions = v;
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn absent_tables_give_better_auths_defaults() {
        let otp = load_email_otp(None).unwrap();
        assert_eq!(
            (otp.otp_length, otp.expires_in, otp.allowed_attempts),
            (6, 300, 3)
        );
        assert_eq!(otp.store_otp, StoreOtp::Plain);
        assert_eq!(load_magic_link(None).unwrap().expires_in, 300);
        assert_eq!(load_multi_session(None).unwrap().maximum_sessions, 5);
    }

    #[test]
    fn a_bad_value_is_refused_naming_its_key() {
        let bad = FileEmailOtp {
            store_otp: Some("rot13".into()),
            ..FileEmailOtp::default()
        };
        let err = load_email_otp(Some(bad)).unwrap_err().to_string();
        assert!(err.contains("email_otp.store_otp"), "{err}");
        let short = FileEmailOtp {
            otp_length: Some(2),
            ..FileEmailOtp::default()
        };
        assert!(load_email_otp(Some(short)).is_err());
        let never = FileMagicLink {
            expires_in: Some(0),
            ..FileMagicLink::default()
        };
        assert!(load_magic_link(Some(never)).is_err());
        let none = FileMultiSession {
            maximum_sessions: Some(0),
        };
        assert!(load_multi_session(Some(none)).is_err());
    }
}
