//! The rows Better Auth keeps, as domain types. These never go to the wire directly: the server has
//! its own wire types, so a field cannot leak by accident.
//!
//! `User` and `Session` hold Better Auth's core columns as struct fields. Every other column (a
//! plugin's, or one declared in config) is not a struct field: it travels in [`FieldValues`], an
//! ordered map whose keys and types the schema describes (see [`crate::schema::Column::additional`]).
//! Each plugin's spec (`crate::plugins::<name>`) has typed accessors for its own fields; an absent
//! field reads as `None`, as does a NULL one, which Better Auth treats the same way.

use std::sync::Arc;

use time::OffsetDateTime;

use crate::schema::Column;

/// The value of one schema-described field, in the type its column declares. `Null` is SQL NULL
/// (JSON `null` on the wire).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldValue {
    Null,
    String(String),
    /// A JSON number as Better Auth holds it (a JavaScript number); integers stay integers.
    Number(serde_json::Number),
    Boolean(bool),
    Date(OffsetDateTime),
    /// Any JSON value (Better Auth's `json` type).
    Json(serde_json::Value),
}

impl FieldValue {
    pub fn is_null(&self) -> bool {
        matches!(self, FieldValue::Null)
    }
    pub fn as_str(&self) -> Option<&str> {
        match self {
            FieldValue::String(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            FieldValue::Boolean(b) => Some(*b),
            _ => None,
        }
    }
    pub fn as_date(&self) -> Option<OffsetDateTime> {
        match self {
            FieldValue::Date(t) => Some(*t),
            _ => None,
        }
    }
}

impl From<String> for FieldValue {
    fn from(s: String) -> FieldValue {
        FieldValue::String(s)
    }
}
impl From<&str> for FieldValue {
    fn from(s: &str) -> FieldValue {
        FieldValue::String(s.to_owned())
    }
}
impl From<bool> for FieldValue {
    fn from(b: bool) -> FieldValue {
        FieldValue::Boolean(b)
    }
}
impl From<OffsetDateTime> for FieldValue {
    fn from(t: OffsetDateTime) -> FieldValue {
        FieldValue::Date(t)
    }
}
/// `None` is NULL.
impl<T: Into<FieldValue>> From<Option<T>> for FieldValue {
    fn from(value: Option<T>) -> FieldValue {
        value.map_or(FieldValue::Null, Into::into)
    }
}

/// The schema-described fields of one row, in schema order. Each value is keyed by its schema
/// column, shared with the schema (so a row costs no allocation for it): what the field is called,
/// its type, and whether answers carry it (`returned`) travel with the value. A field the row does
/// not carry is absent.
#[derive(Debug, Clone, Default)]
pub struct FieldValues(Vec<(Arc<Column>, FieldValue)>);

/// Two rows' fields are equal when every field reads the same: order aside, and an absent field
/// reading as NULL (as every accessor reads it).
impl PartialEq for FieldValues {
    fn eq(&self, other: &FieldValues) -> bool {
        let reads_same = |a: &FieldValues, b: &FieldValues| {
            a.0.iter()
                .all(|(c, v)| b.get(&c.name).unwrap_or(&FieldValue::Null) == v)
        };
        reads_same(self, other) && reads_same(other, self)
    }
}
impl Eq for FieldValues {}

impl FieldValues {
    pub fn new() -> FieldValues {
        FieldValues(Vec::new())
    }
    pub fn with_capacity(n: usize) -> FieldValues {
        FieldValues(Vec::with_capacity(n))
    }

    /// The fields of a row being created: each column's default (`now` standing for "now"), NULL
    /// where it has none. Every field is present, as in the row Better Auth's adapter returns
    /// after an insert.
    pub fn defaults(columns: &[Arc<Column>], now: OffsetDateTime) -> FieldValues {
        columns
            .iter()
            .map(|column| {
                let value = column.default_value(now).unwrap_or(FieldValue::Null);
                (Arc::clone(column), value)
            })
            .collect()
    }
    pub fn get(&self, name: &str) -> Option<&FieldValue> {
        self.0.iter().find(|(c, _)| c.name == name).map(|(_, v)| v)
    }
    /// The field `name` as text; `None` when absent, NULL or of another type.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(FieldValue::as_str)
    }
    pub fn boolean(&self, name: &str) -> Option<bool> {
        self.get(name).and_then(FieldValue::as_bool)
    }
    pub fn date(&self, name: &str) -> Option<OffsetDateTime> {
        self.get(name).and_then(FieldValue::as_date)
    }
    /// Replaces the value of `column`'s field, or appends it.
    pub fn set(&mut self, column: Arc<Column>, value: FieldValue) {
        match self.0.iter_mut().find(|(c, _)| c.name == column.name) {
            Some((_, v)) => *v = value,
            None => self.0.push((column, value)),
        }
    }
    /// Each field with its column, in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&Column, &FieldValue)> {
        self.0.iter().map(|(c, v)| (c.as_ref(), v))
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl IntoIterator for FieldValues {
    type Item = (Arc<Column>, FieldValue);
    type IntoIter = std::vec::IntoIter<(Arc<Column>, FieldValue)>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl FromIterator<(Arc<Column>, FieldValue)> for FieldValues {
    fn from_iter<I: IntoIterator<Item = (Arc<Column>, FieldValue)>>(iter: I) -> FieldValues {
        FieldValues(iter.into_iter().collect())
    }
}

/// `providerId` of the account row that holds a password.
pub const CREDENTIAL_PROVIDER: &str = "credential";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: String,
    pub name: String,
    pub email: String,
    pub email_verified: bool,
    pub image: Option<String>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    /// Every column beyond the core ones: the enabled plugins' fields, then the configured
    /// additional fields (`user.additional_fields`), in schema order.
    pub additional: FieldValues,
}

impl User {
    /// A user with no field beyond the core ones: on insert, each schema field it does not carry
    /// takes its column's default.
    pub fn new(
        id: String,
        name: String,
        email: String,
        email_verified: bool,
        now: OffsetDateTime,
    ) -> User {
        User {
            id,
            name,
            email,
            email_verified,
            image: None,
            created_at: now,
            updated_at: now,
            additional: FieldValues::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id: String,
    pub expires_at: OffsetDateTime,
    pub token: String,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    pub user_id: String,
    /// Every column beyond the core ones: the enabled plugins' fields, then the configured
    /// additional fields (`session.additional_fields`), in schema order.
    pub additional: FieldValues,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: String,
    pub account_id: String,
    pub provider_id: String,
    pub user_id: String,
    pub access_token: Option<String>,
    pub refresh_token: Option<String>,
    pub id_token: Option<String>,
    pub access_token_expires_at: Option<OffsetDateTime>,
    pub refresh_token_expires_at: Option<OffsetDateTime>,
    pub scope: Option<String>,
    pub password: Option<String>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

impl Account {
    /// The credential account Better Auth requires: `providerId = "credential"` and
    /// `accountId = userId`, or sign-in cannot see it.
    pub fn credential(
        id: String,
        user_id: &str,
        password_hash: String,
        now: OffsetDateTime,
    ) -> Account {
        Account {
            id,
            account_id: user_id.to_owned(),
            provider_id: CREDENTIAL_PROVIDER.to_owned(),
            user_id: user_id.to_owned(),
            access_token: None,
            refresh_token: None,
            id_token: None,
            access_token_expires_at: None,
            refresh_token_expires_at: None,
            scope: None,
            password: Some(password_hash),
            created_at: now,
            updated_at: now,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    pub id: String,
    pub identifier: String,
    pub value: String,
    pub expires_at: OffsetDateTime,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

impl Verification {
    /// A new row, as Better Auth writes one: a fresh 32-character id, created and updated `now`.
    pub fn expiring(
        identifier: String,
        value: String,
        now: OffsetDateTime,
        lifetime: time::Duration,
    ) -> Verification {
        Verification {
            id: crate::crypto::random::generate_id(32),
            identifier,
            value,
            expires_at: now + lifetime,
            created_at: now,
            updated_at: now,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TwoFactor {
    pub id: String,
    /// symmetricEncrypt(auth secret, secret) — never the raw secret.
    pub secret: String,
    /// symmetricEncrypt(auth secret, JSON array of codes).
    pub backup_codes: String,
    pub user_id: String,
    /// NULL on legacy rows, which Better Auth treats as verified.
    pub verified: Option<bool>,
    pub failed_verification_count: Option<i64>,
    pub locked_until: Option<OffsetDateTime>,
}

/// A partial update of a user. `None` leaves a column alone; `Some(None)` writes NULL.
/// `updated_at` is always written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserPatch {
    pub name: Option<String>,
    pub email: Option<String>,
    pub email_verified: Option<bool>,
    pub image: Option<Option<String>>,
    /// Plugin and configured fields to write; a field not in the map is left alone.
    pub additional: FieldValues,
}

impl UserPatch {
    /// The patch with `column`'s field set to `value` as well.
    pub fn with(mut self, column: &Arc<Column>, value: impl Into<FieldValue>) -> UserPatch {
        self.additional.set(Arc::clone(column), value.into());
        self
    }
    /// The value this patch writes to the field `name`, if it writes one.
    pub fn field(&self, name: &str) -> Option<&FieldValue> {
        self.additional.get(name)
    }
}
