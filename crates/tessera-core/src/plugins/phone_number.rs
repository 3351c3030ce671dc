//! The phone-number plugin's spec: its fields on `user`, with typed accessors.

use std::sync::{Arc, LazyLock};

use super::ErrorCode;
use crate::model::User;
use crate::schema::Column;

pub static PHONE_NUMBER: LazyLock<Arc<Column>> = LazyLock::new(|| {
    Arc::new(
        Column::string("phoneNumber")
            .unique()
            .sortable()
            .in_fields(),
    )
});
pub static PHONE_NUMBER_VERIFIED: LazyLock<Arc<Column>> = LazyLock::new(|| {
    Arc::new(
        Column::boolean("phoneNumberVerified")
            .no_input()
            .in_fields(),
    )
});

pub fn user_fields() -> [&'static Arc<Column>; 2] {
    [&PHONE_NUMBER, &PHONE_NUMBER_VERIFIED]
}

pub trait PhoneNumberUser {
    fn phone_number(&self) -> Option<&str>;
    fn phone_number_verified(&self) -> Option<bool>;
    fn set_phone_number(&mut self, phone: Option<String>);
    fn set_phone_number_verified(&mut self, verified: Option<bool>);
}

impl PhoneNumberUser for User {
    fn phone_number(&self) -> Option<&str> {
        self.additional.text(&PHONE_NUMBER.name)
    }
    fn phone_number_verified(&self) -> Option<bool> {
        self.additional.boolean(&PHONE_NUMBER_VERIFIED.name)
    }
    fn set_phone_number(&mut self, phone: Option<String>) {
        self.additional.set(Arc::clone(&PHONE_NUMBER), phone.into());
    }
    fn set_phone_number_verified(&mut self, verified: Option<bool>) {
        self.additional
            .set(Arc::clone(&PHONE_NUMBER_VERIFIED), verified.into());
    }
}

/// The plugin's `$ERROR_CODES`: each code with Better Auth 1.7.25's message. The status is the
/// route's, as Better Auth chooses it per use.
pub const INVALID_OTP: ErrorCode = ErrorCode::new("INVALID_OTP", "Invalid OTP");
pub const PHONE_NUMBER_EXIST: ErrorCode =
    ErrorCode::new("PHONE_NUMBER_EXIST", "Phone number already exists");
pub const INVALID_PHONE_NUMBER_OR_PASSWORD: ErrorCode = ErrorCode::new(
    "INVALID_PHONE_NUMBER_OR_PASSWORD",
    "Invalid phone number or password",
);
pub const PHONE_NUMBER_CANNOT_BE_SET: ErrorCode = ErrorCode::new(
    "PHONE_NUMBER_CANNOT_BE_SET",
    "Phone number can only be set by verifying it",
);
pub const PHONE_NUMBER_CANNOT_BE_UPDATED: ErrorCode = ErrorCode::new(
    "PHONE_NUMBER_CANNOT_BE_UPDATED",
    "Phone number cannot be updated",
);
pub const OTP_NOT_FOUND: ErrorCode = ErrorCode::new("OTP_NOT_FOUND", "OTP not found");
pub const OTP_EXPIRED: ErrorCode = ErrorCode::new("OTP_EXPIRED", "OTP expired");
pub const TOO_MANY_ATTEMPTS: ErrorCode = ErrorCode::new("TOO_MANY_ATTEMPTS", "Too many attempts");
pub const SEND_OTP_NOT_IMPLEMENTED: ErrorCode =
    ErrorCode::new("SEND_OTP_NOT_IMPLEMENTED", "sendOTP not implemented");
pub const FAILED_TO_UPDATE_USER: ErrorCode =
    ErrorCode::new("FAILED_TO_UPDATE_USER", "Failed to update user");
pub const USER_NOT_FOUND: ErrorCode = ErrorCode::new("USER_NOT_FOUND", "User not found");
pub const UNEXPECTED_ERROR: ErrorCode = ErrorCode::new("UNEXPECTED_ERROR", "Unexpected error");

/// Every error code above, in one list (Better Auth's `$ERROR_CODES` object).
pub const ERROR_CODES: &[ErrorCode] = &[
    INVALID_OTP,
    PHONE_NUMBER_EXIST,
    INVALID_PHONE_NUMBER_OR_PASSWORD,
    PHONE_NUMBER_CANNOT_BE_SET,
    PHONE_NUMBER_CANNOT_BE_UPDATED,
    OTP_NOT_FOUND,
    OTP_EXPIRED,
    TOO_MANY_ATTEMPTS,
    SEND_OTP_NOT_IMPLEMENTED,
    FAILED_TO_UPDATE_USER,
    USER_NOT_FOUND,
    UNEXPECTED_ERROR,
];
