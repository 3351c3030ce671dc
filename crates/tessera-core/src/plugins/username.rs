//! The username plugin's spec: its fields on `user`, with typed accessors.

use std::sync::{Arc, LazyLock};

use super::ErrorCode;
use crate::model::User;
use crate::schema::Column;

pub static USERNAME: LazyLock<Arc<Column>> =
    LazyLock::new(|| Arc::new(Column::string("username").unique().sortable().in_fields()));
pub static DISPLAY_USERNAME: LazyLock<Arc<Column>> =
    LazyLock::new(|| Arc::new(Column::string("displayUsername").in_fields()));

pub fn user_fields() -> [&'static Arc<Column>; 2] {
    [&USERNAME, &DISPLAY_USERNAME]
}

pub trait UsernameUser {
    /// The normalized (lower-case) username.
    fn username(&self) -> Option<&str>;
    /// The username as the user typed it.
    fn display_username(&self) -> Option<&str>;
    fn set_username(&mut self, username: Option<String>);
    fn set_display_username(&mut self, display: Option<String>);
}

impl UsernameUser for User {
    fn username(&self) -> Option<&str> {
        self.additional.text(&USERNAME.name)
    }
    fn display_username(&self) -> Option<&str> {
        self.additional.text(&DISPLAY_USERNAME.name)
    }
    fn set_username(&mut self, username: Option<String>) {
        self.additional.set(Arc::clone(&USERNAME), username.into());
    }
    fn set_display_username(&mut self, display: Option<String>) {
        self.additional
            .set(Arc::clone(&DISPLAY_USERNAME), display.into());
    }
}

/// The plugin's `$ERROR_CODES`: each code with Better Auth 1.7.25's message. The status is the
/// route's, as Better Auth chooses it per use.
pub const USERNAME_TOO_SHORT: ErrorCode =
    ErrorCode::new("USERNAME_TOO_SHORT", "Username is too short");
pub const USERNAME_TOO_LONG: ErrorCode =
    ErrorCode::new("USERNAME_TOO_LONG", "Username is too long");
pub const INVALID_USERNAME: ErrorCode = ErrorCode::new("INVALID_USERNAME", "Username is invalid");
pub const INVALID_DISPLAY_USERNAME: ErrorCode =
    ErrorCode::new("INVALID_DISPLAY_USERNAME", "Display username is invalid");
pub const USERNAME_IS_ALREADY_TAKEN: ErrorCode = ErrorCode::new(
    "USERNAME_IS_ALREADY_TAKEN",
    "Username is already taken. Please try another.",
);
pub const INVALID_USERNAME_OR_PASSWORD: ErrorCode = ErrorCode::new(
    "INVALID_USERNAME_OR_PASSWORD",
    "Invalid username or password",
);

/// Every error code above, in one list (Better Auth's `$ERROR_CODES` object).
pub const ERROR_CODES: &[ErrorCode] = &[
    USERNAME_TOO_SHORT,
    USERNAME_TOO_LONG,
    INVALID_USERNAME,
    INVALID_DISPLAY_USERNAME,
    USERNAME_IS_ALREADY_TAKEN,
    INVALID_USERNAME_OR_PASSWORD,
];
