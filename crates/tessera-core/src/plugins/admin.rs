//! The admin plugin's spec: its fields on `user` and `session`, with typed accessors.

use std::sync::{Arc, LazyLock};

use time::OffsetDateTime;

use super::ErrorCode;
use crate::model::{FieldValue, Session, User, UserPatch};
use crate::schema::{Column, ColumnDefault};

pub static ROLE: LazyLock<Arc<Column>> =
    LazyLock::new(|| Arc::new(Column::string("role").no_input().in_fields()));
pub static BANNED: LazyLock<Arc<Column>> = LazyLock::new(|| {
    Arc::new(
        Column::boolean("banned")
            .default(ColumnDefault::Bool(false))
            .no_input()
            .in_fields(),
    )
});
pub static BAN_REASON: LazyLock<Arc<Column>> =
    LazyLock::new(|| Arc::new(Column::string("banReason").no_input().in_fields()));
pub static BAN_EXPIRES: LazyLock<Arc<Column>> =
    LazyLock::new(|| Arc::new(Column::date("banExpires").no_input().in_fields()));
pub static IMPERSONATED_BY: LazyLock<Arc<Column>> =
    LazyLock::new(|| Arc::new(Column::string("impersonatedBy").in_fields()));

pub fn user_fields() -> [&'static Arc<Column>; 4] {
    [&ROLE, &BANNED, &BAN_REASON, &BAN_EXPIRES]
}

pub fn session_fields() -> [&'static Arc<Column>; 1] {
    [&IMPERSONATED_BY]
}

/// The patch that lifts a ban: not banned, no reason, no expiry.
pub fn lifted_ban() -> UserPatch {
    UserPatch::default()
        .with(&BANNED, false)
        .with(&BAN_REASON, FieldValue::Null)
        .with(&BAN_EXPIRES, FieldValue::Null)
}

/// The admin fields of a user.
pub trait AdminUser {
    fn role(&self) -> Option<&str>;
    fn banned(&self) -> Option<bool>;
    fn ban_reason(&self) -> Option<&str>;
    fn ban_expires(&self) -> Option<OffsetDateTime>;
    fn set_role(&mut self, role: Option<String>);
    fn set_banned(&mut self, banned: Option<bool>);
    fn set_ban_reason(&mut self, reason: Option<String>);
    fn set_ban_expires(&mut self, expires: Option<OffsetDateTime>);
}

impl AdminUser for User {
    fn role(&self) -> Option<&str> {
        self.additional.text(&ROLE.name)
    }
    fn banned(&self) -> Option<bool> {
        self.additional.boolean(&BANNED.name)
    }
    fn ban_reason(&self) -> Option<&str> {
        self.additional.text(&BAN_REASON.name)
    }
    fn ban_expires(&self) -> Option<OffsetDateTime> {
        self.additional.date(&BAN_EXPIRES.name)
    }
    fn set_role(&mut self, role: Option<String>) {
        self.additional.set(Arc::clone(&ROLE), role.into());
    }
    fn set_banned(&mut self, banned: Option<bool>) {
        self.additional.set(Arc::clone(&BANNED), banned.into());
    }
    fn set_ban_reason(&mut self, reason: Option<String>) {
        self.additional.set(Arc::clone(&BAN_REASON), reason.into());
    }
    fn set_ban_expires(&mut self, expires: Option<OffsetDateTime>) {
        self.additional
            .set(Arc::clone(&BAN_EXPIRES), expires.into());
    }
}

/// The admin field of a session.
pub trait AdminSession {
    fn impersonated_by(&self) -> Option<&str>;
    fn set_impersonated_by(&mut self, admin_id: Option<String>);
}

impl AdminSession for Session {
    fn impersonated_by(&self) -> Option<&str> {
        self.additional.text(&IMPERSONATED_BY.name)
    }
    fn set_impersonated_by(&mut self, admin_id: Option<String>) {
        self.additional
            .set(Arc::clone(&IMPERSONATED_BY), admin_id.into());
    }
}

/// The plugin's `$ERROR_CODES`: each code with Better Auth 1.7.25's message. The status is the
/// route's, as Better Auth chooses it per use.
pub const YOU_ARE_NOT_ALLOWED_TO_CREATE_USERS: ErrorCode = ErrorCode::new(
    "YOU_ARE_NOT_ALLOWED_TO_CREATE_USERS",
    "You are not allowed to create users",
);
pub const YOU_ARE_NOT_ALLOWED_TO_LIST_USERS: ErrorCode = ErrorCode::new(
    "YOU_ARE_NOT_ALLOWED_TO_LIST_USERS",
    "You are not allowed to list users",
);
pub const YOU_ARE_NOT_ALLOWED_TO_GET_USER: ErrorCode = ErrorCode::new(
    "YOU_ARE_NOT_ALLOWED_TO_GET_USER",
    "You are not allowed to get user",
);
pub const YOU_ARE_NOT_ALLOWED_TO_UPDATE_USERS: ErrorCode = ErrorCode::new(
    "YOU_ARE_NOT_ALLOWED_TO_UPDATE_USERS",
    "You are not allowed to update users",
);
pub const YOU_ARE_NOT_ALLOWED_TO_CHANGE_USERS_ROLE: ErrorCode = ErrorCode::new(
    "YOU_ARE_NOT_ALLOWED_TO_CHANGE_USERS_ROLE",
    "You are not allowed to change users role",
);
pub const YOU_ARE_NOT_ALLOWED_TO_BAN_USERS: ErrorCode = ErrorCode::new(
    "YOU_ARE_NOT_ALLOWED_TO_BAN_USERS",
    "You are not allowed to ban users",
);
pub const YOU_ARE_NOT_ALLOWED_TO_IMPERSONATE_USERS: ErrorCode = ErrorCode::new(
    "YOU_ARE_NOT_ALLOWED_TO_IMPERSONATE_USERS",
    "You are not allowed to impersonate users",
);
pub const YOU_ARE_NOT_ALLOWED_TO_LIST_USERS_SESSIONS: ErrorCode = ErrorCode::new(
    "YOU_ARE_NOT_ALLOWED_TO_LIST_USERS_SESSIONS",
    "You are not allowed to list users sessions",
);
pub const YOU_ARE_NOT_ALLOWED_TO_REVOKE_USERS_SESSIONS: ErrorCode = ErrorCode::new(
    "YOU_ARE_NOT_ALLOWED_TO_REVOKE_USERS_SESSIONS",
    "You are not allowed to revoke users sessions",
);
pub const YOU_ARE_NOT_ALLOWED_TO_DELETE_USERS: ErrorCode = ErrorCode::new(
    "YOU_ARE_NOT_ALLOWED_TO_DELETE_USERS",
    "You are not allowed to delete users",
);
pub const YOU_ARE_NOT_ALLOWED_TO_SET_USERS_PASSWORD: ErrorCode = ErrorCode::new(
    "YOU_ARE_NOT_ALLOWED_TO_SET_USERS_PASSWORD",
    "You are not allowed to set users password",
);
pub const YOU_ARE_NOT_ALLOWED_TO_SET_USERS_EMAIL: ErrorCode = ErrorCode::new(
    "YOU_ARE_NOT_ALLOWED_TO_SET_USERS_EMAIL",
    "You are not allowed to update users email",
);
pub const YOU_ARE_NOT_ALLOWED_TO_SET_USERS_PHONE_NUMBER: ErrorCode = ErrorCode::new(
    "YOU_ARE_NOT_ALLOWED_TO_SET_USERS_PHONE_NUMBER",
    "You are not allowed to update users phone number",
);
pub const YOU_CANNOT_IMPERSONATE_ADMINS: ErrorCode = ErrorCode::new(
    "YOU_CANNOT_IMPERSONATE_ADMINS",
    "You cannot impersonate admins",
);
pub const YOU_CANNOT_BAN_YOURSELF: ErrorCode =
    ErrorCode::new("YOU_CANNOT_BAN_YOURSELF", "You cannot ban yourself");
pub const YOU_CANNOT_REMOVE_YOURSELF: ErrorCode =
    ErrorCode::new("YOU_CANNOT_REMOVE_YOURSELF", "You cannot remove yourself");
pub const NO_DATA_TO_UPDATE: ErrorCode = ErrorCode::new("NO_DATA_TO_UPDATE", "No data to update");
pub const PASSWORD_CANNOT_BE_UPDATED_VIA_UPDATE_USER: ErrorCode = ErrorCode::new(
    "PASSWORD_CANNOT_BE_UPDATED_VIA_UPDATE_USER",
    "Password cannot be updated through update-user. Use the set-user-password endpoint instead",
);
pub const USER_ID_CANNOT_BE_UPDATED: ErrorCode =
    ErrorCode::new("USER_ID_CANNOT_BE_UPDATED", "User id cannot be updated");
pub const INVALID_ROLE_TYPE: ErrorCode = ErrorCode::new("INVALID_ROLE_TYPE", "Invalid role type");
pub const USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL: ErrorCode = ErrorCode::new(
    "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL",
    "User already exists. Use another email.",
);
pub const USER_NOT_FOUND: ErrorCode = ErrorCode::new("USER_NOT_FOUND", "User not found");

/// Every error code above, in one list (Better Auth's `$ERROR_CODES` object).
pub const ERROR_CODES: &[ErrorCode] = &[
    YOU_ARE_NOT_ALLOWED_TO_CREATE_USERS,
    YOU_ARE_NOT_ALLOWED_TO_LIST_USERS,
    YOU_ARE_NOT_ALLOWED_TO_GET_USER,
    YOU_ARE_NOT_ALLOWED_TO_UPDATE_USERS,
    YOU_ARE_NOT_ALLOWED_TO_CHANGE_USERS_ROLE,
    YOU_ARE_NOT_ALLOWED_TO_BAN_USERS,
    YOU_ARE_NOT_ALLOWED_TO_IMPERSONATE_USERS,
    YOU_ARE_NOT_ALLOWED_TO_LIST_USERS_SESSIONS,
    YOU_ARE_NOT_ALLOWED_TO_REVOKE_USERS_SESSIONS,
    YOU_ARE_NOT_ALLOWED_TO_DELETE_USERS,
    YOU_ARE_NOT_ALLOWED_TO_SET_USERS_PASSWORD,
    YOU_ARE_NOT_ALLOWED_TO_SET_USERS_EMAIL,
    YOU_ARE_NOT_ALLOWED_TO_SET_USERS_PHONE_NUMBER,
    YOU_CANNOT_IMPERSONATE_ADMINS,
    YOU_CANNOT_BAN_YOURSELF,
    YOU_CANNOT_REMOVE_YOURSELF,
    NO_DATA_TO_UPDATE,
    PASSWORD_CANNOT_BE_UPDATED_VIA_UPDATE_USER,
    USER_ID_CANNOT_BE_UPDATED,
    INVALID_ROLE_TYPE,
    USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL,
    USER_NOT_FOUND,
];
