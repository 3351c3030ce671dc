//! Switches of the account lifecycle and of email delivery, named after Better Auth's options
//! (`emailAndPassword.requireEmailVerification`, `emailVerification.*`, `user.changeEmail.*`,
//! `user.deleteUser.*`), each off by default as in Better Auth; and the SMTP transport.

use serde::Deserialize;

use super::{ConfigError, parse_bool};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LifecycleConfig {
    /// `emailAndPassword.requireEmailVerification`: unverified users cannot sign in, and sign-up
    /// answers without a session.
    pub require_email_verification: bool,
    pub email_verification: EmailVerificationConfig,
    pub change_email: ChangeEmailConfig,
    pub delete_user: DeleteUserConfig,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailVerificationConfig {
    /// `sendOnSignUp`; unset means "when email verification is required", as in Better Auth.
    pub send_on_sign_up: Option<bool>,
    pub send_on_sign_in: bool,
    pub auto_sign_in_after_verification: bool,
    /// `expiresIn` of the verification JWT, seconds.
    pub expires_in: u64,
}

impl Default for EmailVerificationConfig {
    fn default() -> Self {
        EmailVerificationConfig {
            send_on_sign_up: None,
            send_on_sign_in: false,
            auto_sign_in_after_verification: false,
            expires_in: 3600,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangeEmailConfig {
    pub enabled: bool,
    /// `updateEmailWithoutVerification`: an unverified user's address changes at once.
    pub update_email_without_verification: bool,
    /// `sendChangeEmailConfirmation`: a verified user first confirms from the current address.
    pub send_change_email_confirmation: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteUserConfig {
    pub enabled: bool,
    /// `sendDeleteAccountVerification`: deletion waits for the emailed link.
    pub send_delete_account_verification: bool,
    /// `deleteTokenExpiresIn`, seconds.
    pub delete_token_expires_in: u64,
}

impl Default for DeleteUserConfig {
    fn default() -> Self {
        DeleteUserConfig {
            enabled: false,
            send_delete_account_verification: false,
            delete_token_expires_in: 86_400,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    /// `STARTTLS` on a plain connection, required (port 587).
    StartTls,
    /// TLS from the first byte (port 465).
    Implicit,
    /// No encryption: for a relay on localhost during development only.
    None,
}

#[derive(Clone, PartialEq, Eq)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    pub username: Option<String>,
    pub password: Option<String>,
    /// `From:` of every message, e.g. `Example <no-reply@example.com>`.
    pub from: String,
    /// A whole delivery (connect, greeting, auth, data) ends within this many milliseconds.
    pub timeout_ms: u64,
    /// Extra trusted root certificate (PEM file) for a relay with a private CA.
    pub ca_cert: Option<String>,
}

// The password never reaches a log through `{:?}` of the config.
impl std::fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("from", &self.from)
            .field("timeout_ms", &self.timeout_ms)
            .field("ca_cert", &self.ca_cert)
            .finish()
    }
}

pub const DEFAULT_SMTP_TIMEOUT_MS: u64 = 10_000;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct FileEmailVerification {
    pub send_on_sign_up: Option<bool>,
    pub send_on_sign_in: Option<bool>,
    pub auto_sign_in_after_verification: Option<bool>,
    pub expires_in: Option<u64>,
}

/// `[user.change_email]` and `[user.delete_user]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct FileUser {
    pub change_email: Option<FileChangeEmail>,
    pub delete_user: Option<FileDeleteUser>,
    /// Read by `config::fields`, which takes it out before the rest is loaded here.
    pub additional_fields: Option<super::FileFields>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct FileChangeEmail {
    pub enabled: Option<bool>,
    pub update_email_without_verification: Option<bool>,
    pub send_change_email_confirmation: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct FileDeleteUser {
    pub enabled: Option<bool>,
    pub send_delete_account_verification: Option<bool>,
    pub delete_token_expires_in: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct FileSmtp {
    pub host: Option<String>,
    pub port: Option<u16>,
    /// `starttls` (default), `implicit` or `none`.
    pub tls: Option<String>,
    pub username: Option<String>,
    pub password: Option<String>,
    pub from: Option<String>,
    pub timeout_ms: Option<u64>,
    pub ca_cert: Option<String>,
}

/// The file's lifecycle tables, then the environment over them.
pub(super) fn load(
    require_email_verification: Option<bool>,
    verification: Option<FileEmailVerification>,
    user: Option<FileUser>,
    get: &dyn Fn(&str) -> Option<String>,
) -> Result<LifecycleConfig, ConfigError> {
    let mut c = LifecycleConfig {
        require_email_verification: require_email_verification.unwrap_or(false),
        ..LifecycleConfig::default()
    };
    if let Some(v) = verification {
        c.email_verification.send_on_sign_up = v.send_on_sign_up;
        if let Some(x) = v.send_on_sign_in {
            c.email_verification.send_on_sign_in = x;
        }
        if let Some(x) = v.auto_sign_in_after_verification {
            c.email_verification.auto_sign_in_after_verification = x;
        }
        if let Some(x) = v.expires_in {
            c.email_verification.expires_in = x;
        }
    }
    if let Some(u) = user {
        if let Some(ce) = u.change_email {
            c.change_email.enabled = ce.enabled.unwrap_or(false);
            c.change_email.update_email_without_verification =
                ce.update_email_without_verification.unwrap_or(false);
            c.change_email.send_change_email_confirmation =
                ce.send_change_email_confirmation.unwrap_or(false);
        }
        if let Some(du) = u.delete_user {
            c.delete_user.enabled = du.enabled.unwrap_or(false);
            c.delete_user.send_delete_account_verification =
                du.send_delete_account_verification.unwrap_or(false);
            if let Some(x) = du.delete_token_expires_in {
                c.delete_user.delete_token_expires_in = x;
            }
        }
    }
    let flag = |key: &str| get(key).map(|v| parse_bool(key, &v)).transpose();
    if let Some(v) = flag("TESSERA_REQUIRE_EMAIL_VERIFICATION")? {
        c.require_email_verification = v;
    }
    if let Some(v) = flag("TESSERA_SEND_ON_SIGN_UP")? {
        c.email_verification.send_on_sign_up = Some(v);
    }
    if let Some(v) = flag("TESSERA_SEND_ON_SIGN_IN")? {
        c.email_verification.send_on_sign_in = v;
    }
    if let Some(v) = flag("TESSERA_AUTO_SIGN_IN_AFTER_VERIFICATION")? {
        c.email_verification.auto_sign_in_after_verification = v;
    }
    if let Some(v) = flag("TESSERA_CHANGE_EMAIL")? {
        c.change_email.enabled = v;
    }
    if let Some(v) = flag("TESSERA_CHANGE_EMAIL_WITHOUT_VERIFICATION")? {
        c.change_email.update_email_without_verification = v;
    }
    if let Some(v) = flag("TESSERA_CHANGE_EMAIL_CONFIRMATION")? {
        c.change_email.send_change_email_confirmation = v;
    }
    if let Some(v) = flag("TESSERA_DELETE_USER")? {
        c.delete_user.enabled = v;
    }
    if let Some(v) = flag("TESSERA_DELETE_USER_VERIFICATION")? {
        c.delete_user.send_delete_account_verification = v;
    }
    Ok(c)
}

fn smtp_tls(key: &str, v: &str) -> Result<SmtpTls, ConfigError> {
    match v.to_ascii_lowercase().as_str() {
        "starttls" => Ok(SmtpTls::StartTls),
        "implicit" | "tls" | "smtps" => Ok(SmtpTls::Implicit),
        "none" | "plain" => Ok(SmtpTls::None),
        other => Err(ConfigError::Invalid {
            key: key.into(),
            reason: format!("unknown TLS mode {other:?} (known: starttls, implicit, none)"),
        }),
    }
}

fn number<T: std::str::FromStr>(key: &str, v: &str) -> Result<T, ConfigError> {
    v.parse().map_err(|_| ConfigError::Invalid {
        key: key.into(),
        reason: "expected a whole number".into(),
    })
}

/// SMTP from `[smtp]` and `TESSERA_SMTP_*`; `None` without a host.
pub(super) fn load_smtp(
    file: Option<FileSmtp>,
    get: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<SmtpConfig>, ConfigError> {
    let f = file.unwrap_or_default();
    let Some(host) = get("TESSERA_SMTP_HOST").or(f.host) else {
        return Ok(None);
    };
    let tls = match get("TESSERA_SMTP_TLS") {
        Some(v) => smtp_tls("TESSERA_SMTP_TLS", &v)?,
        None => match f.tls {
            Some(v) => smtp_tls("smtp.tls", &v)?,
            None => SmtpTls::StartTls,
        },
    };
    let port = match get("TESSERA_SMTP_PORT") {
        Some(v) => number("TESSERA_SMTP_PORT", &v)?,
        None => f.port.unwrap_or(match tls {
            SmtpTls::StartTls => 587,
            SmtpTls::Implicit => 465,
            SmtpTls::None => 25,
        }),
    };
    let timeout_ms = match get("TESSERA_SMTP_TIMEOUT_MS") {
        Some(v) => number("TESSERA_SMTP_TIMEOUT_MS", &v)?,
        None => f.timeout_ms.unwrap_or(DEFAULT_SMTP_TIMEOUT_MS),
    };
    let from = get("TESSERA_SMTP_FROM")
        .or(f.from)
        .ok_or_else(|| ConfigError::Invalid {
            key: "smtp.from".into(),
            reason: "an SMTP host needs a From address".into(),
        })?;
    Ok(Some(SmtpConfig {
        host,
        port,
        tls,
        username: get("TESSERA_SMTP_USERNAME").or(f.username),
        password: get("TESSERA_SMTP_PASSWORD").or(f.password),
        from,
        timeout_ms: timeout_ms.max(1),
        ca_cert: get("TESSERA_SMTP_CA_CERT").or(f.ca_cert),
    }))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn everything_is_off_by_default_as_in_better_auth() {
        let c = load(None, None, None, &|_| None).unwrap();
        assert_eq!(c, LifecycleConfig::default());
        assert!(!c.require_email_verification);
        assert!(!c.change_email.enabled && !c.delete_user.enabled);
        assert_eq!(c.email_verification.expires_in, 3600);
        assert_eq!(c.delete_user.delete_token_expires_in, 86_400);
        assert!(load_smtp(None, &|_| None).unwrap().is_none());
    }

    #[test]
    fn smtp_defaults_its_port_by_tls_mode_and_hides_the_password() {
        let env = |k: &str| match k {
            "TESSERA_SMTP_HOST" => Some("mail.example.com".to_owned()),
            "TESSERA_SMTP_TLS" => Some("implicit".to_owned()),
            "TESSERA_SMTP_FROM" => Some("no-reply@example.com".to_owned()),
            "TESSERA_SMTP_PASSWORD" => Some("hunter2-secret".to_owned()),
            _ => None,
        };
        let smtp = load_smtp(None, &env).unwrap().unwrap();
        assert_eq!((smtp.port, smtp.tls), (465, SmtpTls::Implicit));
        assert!(!format!("{smtp:?}").contains("hunter2"));
        let no_from = |k: &str| (k == "TESSERA_SMTP_HOST").then(|| "h".to_owned());
        assert!(load_smtp(None, &no_from).is_err());
    }
}
