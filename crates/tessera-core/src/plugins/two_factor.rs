//! The two-factor plugin's spec: its field on `user`, with a typed accessor. (Its own table is
//! declared in [`crate::schema`].)

use std::sync::{Arc, LazyLock};

use super::ErrorCode;
use crate::model::User;
use crate::schema::{Column, ColumnDefault};

pub static TWO_FACTOR_ENABLED: LazyLock<Arc<Column>> = LazyLock::new(|| {
    Arc::new(
        Column::boolean("twoFactorEnabled")
            .default(ColumnDefault::Bool(false))
            .no_input()
            .in_fields(),
    )
});

pub fn user_fields() -> [&'static Arc<Column>; 1] {
    [&TWO_FACTOR_ENABLED]
}

pub trait TwoFactorUser {
    fn two_factor_enabled(&self) -> Option<bool>;
    fn set_two_factor_enabled(&mut self, enabled: Option<bool>);
}

impl TwoFactorUser for User {
    fn two_factor_enabled(&self) -> Option<bool> {
        self.additional.boolean(&TWO_FACTOR_ENABLED.name)
    }
    fn set_two_factor_enabled(&mut self, enabled: Option<bool>) {
        self.additional
            .set(Arc::clone(&TWO_FACTOR_ENABLED), enabled.into());
    }
}

/// The plugin's `$ERROR_CODES`: each code with Better Auth 1.7.25's message. The status is the
/// route's, as Better Auth chooses it per use.
pub const INVALID_TWO_FACTOR_COOKIE: ErrorCode =
    ErrorCode::new("INVALID_TWO_FACTOR_COOKIE", "Invalid two factor cookie");
pub const INVALID_CODE: ErrorCode = ErrorCode::new("INVALID_CODE", "Invalid code");
pub const TOO_MANY_ATTEMPTS_REQUEST_NEW_CODE: ErrorCode = ErrorCode::new(
    "TOO_MANY_ATTEMPTS_REQUEST_NEW_CODE",
    "Too many attempts. Please request a new code.",
);
pub const ACCOUNT_TEMPORARILY_LOCKED: ErrorCode = ErrorCode::new(
    "ACCOUNT_TEMPORARILY_LOCKED",
    "Too many failed verification attempts. Your account is temporarily locked. Please try again later.",
);
pub const OTP_NOT_CONFIGURED: ErrorCode =
    ErrorCode::new("OTP_NOT_CONFIGURED", "OTP is not available");
pub const TOTP_ALREADY_ENABLED: ErrorCode =
    ErrorCode::new("TOTP_ALREADY_ENABLED", "TOTP is already enabled");
pub const TOTP_NOT_ENABLED: ErrorCode = ErrorCode::new("TOTP_NOT_ENABLED", "TOTP not enabled");
pub const OTP_HAS_EXPIRED: ErrorCode = ErrorCode::new("OTP_HAS_EXPIRED", "OTP has expired");
pub const BACKUP_CODES_NOT_ENABLED: ErrorCode =
    ErrorCode::new("BACKUP_CODES_NOT_ENABLED", "Backup codes aren't enabled");
pub const INVALID_BACKUP_CODE: ErrorCode =
    ErrorCode::new("INVALID_BACKUP_CODE", "Invalid backup code");
pub const TWO_FACTOR_NOT_ENABLED: ErrorCode =
    ErrorCode::new("TWO_FACTOR_NOT_ENABLED", "Two factor isn't enabled");

/// Every error code above, in one list (Better Auth's `$ERROR_CODES` object).
pub const ERROR_CODES: &[ErrorCode] = &[
    INVALID_TWO_FACTOR_COOKIE,
    INVALID_CODE,
    TOO_MANY_ATTEMPTS_REQUEST_NEW_CODE,
    ACCOUNT_TEMPORARILY_LOCKED,
    OTP_NOT_CONFIGURED,
    TOTP_ALREADY_ENABLED,
    TOTP_NOT_ENABLED,
    OTP_HAS_EXPIRED,
    BACKUP_CODES_NOT_ENABLED,
    INVALID_BACKUP_CODE,
    TWO_FACTOR_NOT_ENABLED,
];
