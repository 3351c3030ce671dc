//! Better Auth's JSON shapes. Built field by field, in Better Auth's key order, from the domain
//! types: only what Better Auth returns goes out (never a password, token column of an account, or
//! two-factor secret), dates as `YYYY-MM-DDTHH:mm:ss.sssZ`, and nulls explicit.
//!
//! Fields beyond the core columns (plugins' and configured ones) travel with the row, each keyed by
//! its schema column: a field goes out exactly when its column is `returned`, encoded by the
//! column's type.

use serde_json::{Map, Value, json};
use tessera_core::model::{FieldValue, FieldValues, Session, User};
use tessera_core::timefmt::to_iso_ms;
use time::OffsetDateTime;

fn date(t: OffsetDateTime) -> Value {
    Value::String(to_iso_ms(t))
}

fn opt<T: Into<Value>>(v: Option<T>) -> Value {
    v.map(Into::into).unwrap_or(Value::Null)
}

/// A field's value as Better Auth's JSON carries it: dates as ISO strings, JSON as itself.
pub fn field(value: &FieldValue) -> Value {
    match value {
        FieldValue::Null => Value::Null,
        FieldValue::String(s) => Value::String(s.clone()),
        FieldValue::Number(n) => Value::Number(n.clone()),
        FieldValue::Boolean(b) => Value::Bool(*b),
        FieldValue::Date(t) => date(*t),
        FieldValue::Json(v) => v.clone(),
    }
}

/// The `returned` fields beyond the core ones (plugins', then configured), in schema order: the
/// store reads a row by walking the schema, and a new row starts from every schema field's default.
fn additional(m: &mut Map<String, Value>, fields: &FieldValues) {
    for (column, value) in fields.iter() {
        if column.returned {
            m.insert(column.name.to_string(), field(value));
        }
    }
}

/// A user as Better Auth returns it: core fields, each enabled plugin's fields, the configured
/// additional fields, then `id`. No plugin field is named here.
pub fn user(u: &User) -> Value {
    let mut m = Map::with_capacity(16 + u.additional.len());
    m.insert("name".into(), Value::String(u.name.clone()));
    m.insert("email".into(), Value::String(u.email.clone()));
    m.insert("emailVerified".into(), Value::Bool(u.email_verified));
    m.insert("image".into(), opt(u.image.clone()));
    m.insert("createdAt".into(), date(u.created_at));
    m.insert("updatedAt".into(), date(u.updated_at));
    additional(&mut m, &u.additional);
    m.insert("id".into(), Value::String(u.id.clone()));
    Value::Object(m)
}

/// A session as get-session and list-sessions return it (the raw token included, as Better Auth does).
pub fn session(s: &Session) -> Value {
    let mut m = Map::with_capacity(10 + s.additional.len());
    m.insert("expiresAt".into(), date(s.expires_at));
    m.insert("token".into(), Value::String(s.token.clone()));
    m.insert("createdAt".into(), date(s.created_at));
    m.insert("updatedAt".into(), date(s.updated_at));
    m.insert("ipAddress".into(), opt(s.ip_address.clone()));
    m.insert("userAgent".into(), opt(s.user_agent.clone()));
    m.insert("userId".into(), Value::String(s.user_id.clone()));
    additional(&mut m, &s.additional);
    m.insert("id".into(), Value::String(s.id.clone()));
    Value::Object(m)
}

pub fn session_and_user(s: &Session, u: &User) -> Value {
    json!({ "session": session(s), "user": user(u) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use tessera_core::plugins::admin::AdminUser;
    use tessera_core::plugins::{self, Plugins};
    use time::macros::datetime;

    /// A new user as the create path makes it: every enabled plugin's field at its default.
    fn new_user(id: &str, name: &str, email: &str, verified: bool, plugins: Plugins) -> User {
        let t = datetime!(2026-11-27 14:29:52.004 UTC);
        let mut u = User::new(id.into(), name.into(), email.into(), verified, t);
        let columns: Vec<_> = plugins::user_fields(plugins).cloned().collect();
        u.additional = FieldValues::defaults(&columns, t);
        u
    }

    #[test]
    fn a_new_user_with_every_plugin_matches_better_auths_golden_sign_up() {
        let id = "P4JYFuqiGZAHcLr0ZQiZMp0t1ancWZ60";
        let mut u = new_user(id, "Alice", "alice@example.com", false, Plugins::ALL);
        u.set_role(Some("user".into()));
        assert_eq!(
            user(&u).to_string(),
            r#"{"name":"Alice","email":"alice@example.com","emailVerified":false,"image":null,"createdAt":"2026-11-27T14:29:52.004Z","updatedAt":"2026-11-27T14:29:52.004Z","role":"user","banned":false,"banReason":null,"banExpires":null,"twoFactorEnabled":false,"username":null,"displayUsername":null,"phoneNumber":null,"phoneNumberVerified":null,"id":"P4JYFuqiGZAHcLr0ZQiZMp0t1ancWZ60"}"#
        );
        let u = new_user(id, "Alice", "alice@example.com", false, Plugins::NONE);
        assert_eq!(
            user(&u).to_string(),
            r#"{"name":"Alice","email":"alice@example.com","emailVerified":false,"image":null,"createdAt":"2026-11-27T14:29:52.004Z","updatedAt":"2026-11-27T14:29:52.004Z","id":"P4JYFuqiGZAHcLr0ZQiZMp0t1ancWZ60"}"#
        );
    }

    #[test]
    fn additional_fields_follow_the_plugins_and_only_returned_ones_go_out() {
        use tessera_core::schema::{Column, FieldType};
        let t = datetime!(2026-11-27 14:29:52.004 UTC);
        let admin = Plugins {
            admin: true,
            ..Plugins::NONE
        };
        let mut u = new_user("id", "A", "a@example.com", true, admin);
        u.set_role(Some("user".into()));
        u.set_banned(None);
        let column = |name: &str, ty: FieldType, returned: bool| {
            let mut c = Column::additional(name, ty);
            c.returned = returned;
            Arc::new(c)
        };
        let configured: FieldValues = [
            (
                column("prefs", FieldType::Json, true),
                FieldValue::Json(json!({"b": [1, null], "a": "x"})),
            ),
            (
                column("secret", FieldType::String, false),
                FieldValue::String("s".into()),
            ),
            (column("born", FieldType::Date, true), FieldValue::Date(t)),
            (
                column("score", FieldType::Number, true),
                FieldValue::Number(serde_json::Number::from_f64(1.5).unwrap_or(0.into())),
            ),
            (column("nothing", FieldType::String, true), FieldValue::Null),
        ]
        .into_iter()
        .collect();
        for (column, value) in configured {
            u.additional.set(column, value);
        }
        assert_eq!(
            user(&u).to_string(),
            r#"{"name":"A","email":"a@example.com","emailVerified":true,"image":null,"createdAt":"2026-11-27T14:29:52.004Z","updatedAt":"2026-11-27T14:29:52.004Z","role":"user","banned":null,"banReason":null,"banExpires":null,"prefs":{"b":[1,null],"a":"x"},"born":"2026-11-27T14:29:52.004Z","score":1.5,"nothing":null,"id":"id"}"#
        );
    }
}
