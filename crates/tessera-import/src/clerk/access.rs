//! Ways in: how each imported user can sign in under the current config, and what the config
//! lacks for those who cannot (issue #14). A user's [`Reach`] is what it brought from Clerk,
//! whatever the config; [`Access`] is what the config offers; [`ways_in`] crosses the two.
//!
//! What counts as a way in:
//! - a password: a usable digest was imported and email-and-password sign-in is on;
//! - a social provider: an OAuth account of a provider configured in `[social.<id>]`;
//! - an emailed code or link: a verified, real email, with email-otp or magic-link on and a sender
//!   (SMTP, webhook or outbox);
//! - a texted code: a verified phone, with phone-number on and a sender that carries SMS (webhook
//!   or outbox; SMTP sends mail only).

use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use tessera_core::config::Config;

/// What a user brought from Clerk that Better Auth can sign it in with, whatever the config.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reach {
    /// A usable password digest was planned (a credential account).
    pub password: bool,
    /// The Better Auth ids of the providers of its planned OAuth accounts (mapped, verified).
    pub oauth: Vec<String>,
    /// The primary email is verified and real (a placeholder is never verified).
    pub verified_email: bool,
    /// The primary phone is verified, whether or not the phone-number plugin keeps it.
    pub verified_phone: bool,
}

impl Reach {
    /// Any way in at all at Clerk (passkeys, web3 wallets and SAML are not migratable and do not
    /// count).
    pub fn any(&self) -> bool {
        self.password || !self.oauth.is_empty() || self.verified_email || self.verified_phone
    }
}

/// What the config offers to sign in with.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Access {
    /// Email-and-password sign-in is on (`[password] enabled`).
    pub password: bool,
    /// The configured `[social.<id>]` providers.
    pub social: BTreeSet<String>,
    /// email-otp or magic-link is on.
    pub email_plugin: bool,
    /// Something sends mail: SMTP, webhook or outbox.
    pub email_sender: bool,
    /// phone-number is on.
    pub phone_plugin: bool,
    /// Something sends SMS codes: webhook or outbox.
    pub sms_sender: bool,
}

impl Access {
    pub fn from_config(cfg: &Config) -> Access {
        let webhook_or_outbox = cfg.webhook_url.is_some() || cfg.outbox_path.is_some();
        Access {
            password: cfg.password.enabled,
            social: cfg.social.iter().map(|s| s.id.clone()).collect(),
            email_plugin: cfg.plugins.email_otp || cfg.plugins.magic_link,
            email_sender: webhook_or_outbox || cfg.smtp.is_some(),
            phone_plugin: cfg.plugins.phone_number,
            sms_sender: webhook_or_outbox,
        }
    }

    fn email_code(&self) -> bool {
        self.email_plugin && self.email_sender
    }

    fn phone_code(&self) -> bool {
        self.phone_plugin && self.sms_sender
    }
}

/// The ways in one user has under a config.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WaysIn {
    pub password: bool,
    pub social: bool,
    pub email_code: bool,
    pub phone_code: bool,
}

impl WaysIn {
    pub fn any(self) -> bool {
        self.password || self.social || self.email_code || self.phone_code
    }
}

pub fn ways_in(reach: &Reach, access: &Access) -> WaysIn {
    WaysIn {
        password: reach.password && access.password,
        social: reach.oauth.iter().any(|p| access.social.contains(p)),
        email_code: reach.verified_email && access.email_code(),
        phone_code: reach.verified_phone && access.phone_code(),
    }
}

/// Why a user has no way in, named by what would give it one. A user is counted under the
/// first cause that applies, in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NoWayIn {
    /// It has a password, but email-and-password sign-in is off.
    PasswordOff,
    /// Its OAuth accounts are of providers the config does not have.
    SocialNotConfigured,
    /// Only a verified email.
    VerifiedEmailOnly,
    /// Only a verified phone.
    VerifiedPhoneOnly,
    /// Nothing Better Auth signs in with: no password, OAuth account, verified email or phone.
    Nothing,
}

impl NoWayIn {
    /// The report's detail for one user (no personal data).
    pub fn detail(self) -> &'static str {
        match self {
            NoWayIn::PasswordOff => {
                "no way to sign in under this config: has a password, but password sign-in is off"
            }
            NoWayIn::SocialNotConfigured => {
                "no way to sign in under this config: its OAuth providers are not configured"
            }
            NoWayIn::VerifiedEmailOnly => {
                "no way to sign in under this config: only a verified email, and no email-otp or \
                 magic-link with a sender"
            }
            NoWayIn::VerifiedPhoneOnly => {
                "no way to sign in under this config: only a verified phone, and no phone-number \
                 with a sender of SMS codes"
            }
            NoWayIn::Nothing => {
                "no way to sign in: no password, OAuth account, verified email or verified phone"
            }
        }
    }
}

/// The ways in a user had at Clerk that this config does not offer, for `--verify`. A password
/// and each OAuth provider are ways the user chose, so each one missing counts; an emailed or
/// texted code counts only when nothing else is left, since whether Clerk offered codes is an
/// instance setting the export does not carry.
pub fn not_offered(reach: &Reach, access: &Access) -> Vec<String> {
    let mut missing = Vec::new();
    if reach.password && !access.password {
        missing.push("password".to_owned());
    }
    for provider in &reach.oauth {
        if !access.social.contains(provider) {
            missing.push(format!("{provider} sign-in"));
        }
    }
    if !ways_in(reach, access).any() {
        if reach.verified_email {
            missing.push("an emailed code or link".to_owned());
        }
        if reach.verified_phone {
            missing.push("a texted code".to_owned());
        }
    }
    missing
}

/// `None` when the user has a way in.
pub fn no_way_in(reach: &Reach, access: &Access) -> Option<NoWayIn> {
    if ways_in(reach, access).any() {
        return None;
    }
    Some(if reach.password {
        NoWayIn::PasswordOff
    } else if !reach.oauth.is_empty() {
        NoWayIn::SocialNotConfigured
    } else if reach.verified_email {
        NoWayIn::VerifiedEmailOnly
    } else if reach.verified_phone {
        NoWayIn::VerifiedPhoneOnly
    } else {
        NoWayIn::Nothing
    })
}

/// The ways-in counts of a run. Safe to print: numbers and provider ids only.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct WaysInCounts {
    /// Ways in were worked out (the caller gave the config's [`Access`]).
    pub considered: bool,
    pub password: u64,
    pub social: u64,
    pub email_code: u64,
    pub phone_code: u64,
    /// Users with no way in, by cause.
    pub no_way_in: BTreeMap<NoWayIn, u64>,
    /// Providers of OAuth accounts of users without a way in that the config lacks.
    pub social_missing: BTreeSet<String>,
    /// Copied from [`Access`], so the advice says "configure a sender" rather than "enable".
    pub email_plugin: bool,
    pub phone_plugin: bool,
}

impl WaysInCounts {
    pub fn new(access: &Access) -> WaysInCounts {
        WaysInCounts {
            considered: true,
            email_plugin: access.email_plugin,
            phone_plugin: access.phone_plugin,
            ..WaysInCounts::default()
        }
    }

    /// Counts one user; returns its cause when it has no way in.
    pub fn count(&mut self, reach: &Reach, access: &Access) -> Option<NoWayIn> {
        let ways = ways_in(reach, access);
        self.password += u64::from(ways.password);
        self.social += u64::from(ways.social);
        self.email_code += u64::from(ways.email_code);
        self.phone_code += u64::from(ways.phone_code);
        let cause = no_way_in(reach, access)?;
        *self.no_way_in.entry(cause).or_insert(0) += 1;
        if cause == NoWayIn::SocialNotConfigured {
            self.social_missing.extend(reach.oauth.iter().cloned());
        }
        Some(cause)
    }

    pub fn without_way_in(&self) -> u64 {
        self.no_way_in.values().sum()
    }

    /// One line per cause: "1,204 users have only a verified email: enable email-otp or
    /// magic-link".
    pub fn advice(&self) -> Vec<String> {
        self.no_way_in
            .iter()
            .map(|(cause, n)| format!("{} {}", users(*n), self.cause_said(*cause, *n == 1)))
            .collect()
    }

    fn cause_said(&self, cause: NoWayIn, one: bool) -> String {
        let have = if one { "has" } else { "have" };
        match cause {
            NoWayIn::PasswordOff => format!(
                "{have} a password, but password sign-in is off: set `[password] enabled = true`"
            ),
            NoWayIn::SocialNotConfigured => {
                let providers: Vec<String> = self
                    .social_missing
                    .iter()
                    .map(|p| format!("[social.{p}]"))
                    .collect();
                format!(
                    "{have} only OAuth accounts of providers not configured here: configure {} \
                     with the OAuth client Clerk used",
                    providers.join(", ")
                )
            }
            NoWayIn::VerifiedEmailOnly if self.email_plugin => format!(
                "{have} only a verified email: configure a sender for email-otp or magic-link \
                 (`[smtp]`, `webhook_url` or `outbox_path`)"
            ),
            NoWayIn::VerifiedEmailOnly => {
                format!("{have} only a verified email: enable email-otp or magic-link")
            }
            NoWayIn::VerifiedPhoneOnly if self.phone_plugin => format!(
                "{have} only a verified phone: configure a sender for SMS codes (`webhook_url` or \
                 `outbox_path`)"
            ),
            NoWayIn::VerifiedPhoneOnly => {
                format!("{have} only a verified phone: enable phone-number")
            }
            NoWayIn::Nothing => format!(
                "{have} no password, OAuth account, verified email or verified phone: no config \
                 brings them in; only a password reset by email can"
            ),
        }
    }
}

impl fmt::Display for WaysInCounts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Ways in, under this config (a user may have several):")?;
        writeln!(f, "  password             {:>10}", self.password)?;
        writeln!(f, "  social sign-in       {:>10}", self.social)?;
        writeln!(f, "  email code or link   {:>10}", self.email_code)?;
        writeln!(f, "  phone code           {:>10}", self.phone_code)?;
        writeln!(f, "  no way in            {:>10}", self.without_way_in())?;
        for line in self.advice() {
            writeln!(f, "    {line}")?;
        }
        Ok(())
    }
}

/// "1 user", "12,004 users".
pub fn users(n: u64) -> String {
    if n == 1 {
        "1 user".to_owned()
    } else {
        format!("{} users", thousands(n))
    }
}

/// 12004 → "12,004".
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn email_only() -> Reach {
        Reach {
            verified_email: true,
            ..Reach::default()
        }
    }

    fn access() -> Access {
        Access {
            password: true,
            ..Access::default()
        }
    }

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(12_004), "12,004");
        assert_eq!(thousands(1_000_000), "1,000,000");
        assert_eq!(users(1), "1 user");
        assert_eq!(users(1_204), "1,204 users");
    }

    #[test]
    fn an_emailed_code_needs_the_plugin_and_a_sender() {
        let reach = email_only();
        let mut access = access();
        assert_eq!(no_way_in(&reach, &access), Some(NoWayIn::VerifiedEmailOnly));
        access.email_plugin = true;
        assert_eq!(no_way_in(&reach, &access), Some(NoWayIn::VerifiedEmailOnly));
        access.email_sender = true;
        assert_eq!(no_way_in(&reach, &access), None);
        assert!(ways_in(&reach, &access).email_code);
        let unverified = Reach::default();
        assert_eq!(no_way_in(&unverified, &access), Some(NoWayIn::Nothing));
    }

    #[test]
    fn a_social_account_counts_only_when_its_provider_is_configured() {
        let reach = Reach {
            oauth: vec!["github".to_owned()],
            verified_email: true,
            ..Reach::default()
        };
        let mut access = access();
        assert_eq!(
            no_way_in(&reach, &access),
            Some(NoWayIn::SocialNotConfigured)
        );
        access.social.insert("google".to_owned());
        assert!(!ways_in(&reach, &access).social);
        access.social.insert("github".to_owned());
        assert!(ways_in(&reach, &access).social);
    }

    #[test]
    fn a_password_is_no_way_in_when_password_sign_in_is_off() {
        let reach = Reach {
            password: true,
            ..Reach::default()
        };
        assert!(ways_in(&reach, &access()).password);
        let off = Access::default();
        assert_eq!(no_way_in(&reach, &off), Some(NoWayIn::PasswordOff));
    }

    #[test]
    fn a_phone_code_needs_the_plugin_and_a_sender_that_texts() {
        let reach = Reach {
            verified_phone: true,
            ..Reach::default()
        };
        let mut access = access();
        access.phone_plugin = true;
        access.email_sender = true;
        assert_eq!(no_way_in(&reach, &access), Some(NoWayIn::VerifiedPhoneOnly));
        access.sms_sender = true;
        assert!(ways_in(&reach, &access).phone_code);
    }

    #[test]
    fn verify_names_each_chosen_way_missing_and_codes_only_when_nothing_is_left() {
        let reach = Reach {
            password: true,
            oauth: vec!["github".to_owned()],
            verified_email: true,
            verified_phone: false,
        };
        assert_eq!(not_offered(&reach, &access()), ["github sign-in"]);
        assert_eq!(
            not_offered(&reach, &Access::default()),
            ["password", "github sign-in", "an emailed code or link"]
        );
        let mut all = access();
        all.social.insert("github".to_owned());
        assert!(not_offered(&reach, &all).is_empty());
    }

    #[test]
    fn the_counts_say_what_to_enable_by_cause() {
        let access = access();
        let mut counts = WaysInCounts::new(&access);
        for _ in 0..1_204 {
            counts.count(&email_only(), &access);
        }
        counts.count(
            &Reach {
                oauth: vec!["github".to_owned()],
                ..Reach::default()
            },
            &access,
        );
        counts.count(
            &Reach {
                password: true,
                ..Reach::default()
            },
            &access,
        );
        assert_eq!(counts.password, 1);
        assert_eq!(counts.without_way_in(), 1_205);
        let advice = counts.advice();
        assert!(
            advice.contains(
                &"1,204 users have only a verified email: enable email-otp or magic-link"
                    .to_owned()
            ),
            "{advice:?}"
        );
        assert!(
            advice
                .iter()
                .any(|l| l.starts_with("1 user has only OAuth") && l.contains("[social.github]")),
            "{advice:?}"
        );
    }
}
