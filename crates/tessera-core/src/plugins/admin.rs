//! The admin plugin's spec: its fields on `user` and `session`, with typed accessors.

use std::sync::{Arc, LazyLock};

use time::OffsetDateTime;

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
