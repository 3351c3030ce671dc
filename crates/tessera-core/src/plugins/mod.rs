//! The Better Auth plugins Tessera knows, as data: each one's fields on `user` and `session` (with
//! typed accessors) in its own module. A disabled plugin adds no route and no column.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::schema::Column;

pub mod admin;
pub mod email_otp;
pub mod multi_session;
pub mod organization;
pub mod organization_access;
pub mod phone_number;
pub mod two_factor;
pub mod username;

/// One of a plugin's error codes (Better Auth's `$ERROR_CODES`): the code and its message, as
/// data, so the spec says what a plugin can answer and the routes cannot misspell it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorCode {
    pub code: &'static str,
    pub message: &'static str,
}

impl ErrorCode {
    pub const fn new(code: &'static str, message: &'static str) -> ErrorCode {
        ErrorCode { code, message }
    }
}

/// The enabled plugins' columns on `user`, in the order of the reference DDL.
pub fn user_fields(plugins: Plugins) -> impl Iterator<Item = &'static Arc<Column>> {
    let admin = plugins.admin.then(admin::user_fields);
    let two_factor = plugins.two_factor.then(two_factor::user_fields);
    let username = plugins.username.then(username::user_fields);
    let phone = plugins.phone_number.then(phone_number::user_fields);
    admin
        .into_iter()
        .flatten()
        .chain(two_factor.into_iter().flatten())
        .chain(username.into_iter().flatten())
        .chain(phone.into_iter().flatten())
}

/// The enabled plugins' columns on `session`: admin's, then the organization plugin's (whose
/// `activeTeamId` exists only with teams, hence its options).
pub fn session_fields(
    plugins: Plugins,
    organization: organization::OrganizationOptions,
) -> impl Iterator<Item = &'static Arc<Column>> {
    let admin = plugins.admin.then(admin::session_fields);
    let organization = plugins
        .organization
        .then(|| organization::session_fields(organization));
    admin
        .into_iter()
        .flatten()
        .chain(organization.into_iter().flatten())
}

/// Which plugins are switched on. Config names them as Better Auth does: `admin`, `two-factor`,
/// `username`, `phone-number`, `organization`, `email-otp`, `magic-link`, `multi-session`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plugins {
    pub admin: bool,
    pub two_factor: bool,
    pub username: bool,
    pub phone_number: bool,
    /// Its schema options (teams, dynamic access control) live beside the switch, in
    /// [`Schema::organization`](crate::schema::Schema::organization) and the config's
    /// `[organization]` table. Absent from older serialized values, hence the default.
    #[serde(default)]
    pub organization: bool,
    /// The passwordless plugins add no columns; their options live in the config's
    /// `[email_otp]`, `[magic_link]` and `[multi_session]` tables.
    #[serde(default)]
    pub email_otp: bool,
    #[serde(default)]
    pub magic_link: bool,
    #[serde(default)]
    pub multi_session: bool,
}

impl Plugins {
    pub const NONE: Plugins = Plugins {
        admin: false,
        two_factor: false,
        username: false,
        phone_number: false,
        organization: false,
        email_otp: false,
        magic_link: false,
        multi_session: false,
    };
    /// The four plugins of the reference's core DDL (§1.2) and of the Clerk importer: admin,
    /// two-factor, username, phone-number. The organization plugin is left out on purpose: its
    /// tables depend on options, and the fixtures and tests built on `ALL` pin Better Auth's
    /// output for exactly these four. Add it with `Plugins { organization: true, ..Plugins::ALL }`.
    pub const ALL: Plugins = Plugins {
        admin: true,
        two_factor: true,
        username: true,
        phone_number: true,
        organization: false,
        email_otp: false,
        magic_link: false,
        multi_session: false,
    };

    /// Parses Better Auth's plugin names; an unknown name is returned as the error.
    pub fn from_names<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<Plugins, String> {
        let mut plugins = Plugins::NONE;
        for id in ids_in_order(names)? {
            match id {
                ADMIN => plugins.admin = true,
                TWO_FACTOR => plugins.two_factor = true,
                USERNAME => plugins.username = true,
                PHONE_NUMBER => plugins.phone_number = true,
                ORGANIZATION => plugins.organization = true,
                EMAIL_OTP => plugins.email_otp = true,
                MAGIC_LINK => plugins.magic_link = true,
                _ => plugins.multi_session = true,
            }
        }
        Ok(plugins)
    }

    /// The enabled plugins' ids, in the order of the reference DDL.
    pub fn enabled_ids(self) -> impl Iterator<Item = &'static str> {
        [
            (self.admin, ADMIN),
            (self.two_factor, TWO_FACTOR),
            (self.username, USERNAME),
            (self.phone_number, PHONE_NUMBER),
            (self.organization, ORGANIZATION),
            (self.email_otp, EMAIL_OTP),
            (self.magic_link, MAGIC_LINK),
            (self.multi_session, MULTI_SESSION),
        ]
        .into_iter()
        .filter_map(|(on, id)| on.then_some(id))
    }
}

pub const ADMIN: &str = "admin";
pub const TWO_FACTOR: &str = "two-factor";
pub const USERNAME: &str = "username";
pub const PHONE_NUMBER: &str = "phone-number";
pub const ORGANIZATION: &str = "organization";
pub const EMAIL_OTP: &str = "email-otp";
pub const MAGIC_LINK: &str = "magic-link";
pub const MULTI_SESSION: &str = "multi-session";

/// Better Auth's plugin names as ids, in the order given, each once; an unknown name is returned
/// as the error.
pub fn ids_in_order<'a>(
    names: impl IntoIterator<Item = &'a str>,
) -> Result<Vec<&'static str>, String> {
    let mut ids = Vec::new();
    for name in names {
        let id = match name.trim() {
            "admin" => ADMIN,
            "two-factor" | "twoFactor" | "two_factor" => TWO_FACTOR,
            "username" => USERNAME,
            "phone-number" | "phoneNumber" | "phone_number" => PHONE_NUMBER,
            "organization" => ORGANIZATION,
            "email-otp" | "emailOTP" | "emailOtp" | "email_otp" => EMAIL_OTP,
            "magic-link" | "magicLink" | "magic_link" => MAGIC_LINK,
            "multi-session" | "multiSession" | "multi_session" => MULTI_SESSION,
            "" => continue,
            other => return Err(other.to_owned()),
        };
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    Ok(ids)
}

/// Every built-in plugin's typed accessors, for code that reads several plugins' fields (the
/// importer, tests).
pub mod accessors {
    pub use super::admin::{AdminSession, AdminUser};
    pub use super::organization::OrganizationSession;
    pub use super::phone_number::PhoneNumberUser;
    pub use super::two_factor::TwoFactorUser;
    pub use super::username::UsernameUser;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_plugins_error_codes_are_distinct_and_say_something() {
        for (plugin, codes) in [
            (ADMIN, admin::ERROR_CODES),
            (TWO_FACTOR, two_factor::ERROR_CODES),
            (USERNAME, username::ERROR_CODES),
            (PHONE_NUMBER, phone_number::ERROR_CODES),
            (ORGANIZATION, organization::ERROR_CODES),
            (EMAIL_OTP, email_otp::ERROR_CODES),
        ] {
            assert!(!codes.is_empty(), "{plugin}");
            for (i, code) in codes.iter().enumerate() {
                assert!(
                    code.code
                        .bytes()
                        .all(|b| b.is_ascii_uppercase() || b == b'_'),
                    "{plugin}: {}",
                    code.code
                );
                assert!(!code.message.is_empty(), "{plugin}: {}", code.code);
                assert!(
                    codes.iter().take(i).all(|c| c.code != code.code),
                    "{plugin}: {} twice",
                    code.code
                );
            }
        }
    }

    #[test]
    fn a_plugins_columns_are_carried_in_the_field_map() {
        let every = Plugins {
            organization: true,
            ..Plugins::ALL
        };
        let sessions = session_fields(every, organization::OrganizationOptions::ALL);
        for column in user_fields(every).chain(sessions) {
            assert!(column.additional, "{}", column.name);
        }
    }
}
