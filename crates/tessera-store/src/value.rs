//! The dialect-neutral values that cross the line between the store's logic and sqlx: [`Value`] is
//! what a query binds, [`Cell`] what a result column decodes to. Each dialect module turns them into
//! its own encoding (SQLite ISO text and 0/1, PostgreSQL timestamptz and boolean), so everything
//! above that line is written once.

use std::borrow::Cow;

use tessera_core::model::FieldValue;
use tessera_core::schema::{Column, ColumnDefault, FieldType};
use time::OffsetDateTime;

/// A bound parameter. `None` binds a typed NULL (PostgreSQL checks a NULL's type against its
/// column's, so a NULL for a `jsonb` column must be a JSON NULL).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Text(Option<String>),
    Bool(Option<bool>),
    Date(Option<OffsetDateTime>),
    Int(Option<i64>),
    Real(Option<f64>),
    Json(Option<serde_json::Value>),
}

impl Value {
    pub(crate) fn text(s: &str) -> Value {
        Value::Text(Some(s.to_owned()))
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::Text(Some(s))
    }
}
impl From<Option<String>> for Value {
    fn from(s: Option<String>) -> Value {
        Value::Text(s)
    }
}
impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(Some(b))
    }
}
impl From<Option<bool>> for Value {
    fn from(b: Option<bool>) -> Value {
        Value::Bool(b)
    }
}
impl From<OffsetDateTime> for Value {
    fn from(t: OffsetDateTime) -> Value {
        Value::Date(Some(t))
    }
}
impl From<Option<OffsetDateTime>> for Value {
    fn from(t: Option<OffsetDateTime>) -> Value {
        Value::Date(t)
    }
}
impl From<Option<i64>> for Value {
    fn from(n: Option<i64>) -> Value {
        Value::Int(n)
    }
}

/// A value read off a domain row without copying its text: what the importer's SQLite writer binds
/// (SQLite copies bound text into its own reused buffer). [`Value`] is its owned form.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Field<'a> {
    Text(Option<Cow<'a, str>>),
    Bool(Option<bool>),
    Date(Option<OffsetDateTime>),
    Int(Option<i64>),
    Real(Option<f64>),
    Json(Option<Cow<'a, serde_json::Value>>),
}

impl<'a> Field<'a> {
    pub(crate) fn text(s: &'a str) -> Field<'a> {
        Field::Text(Some(Cow::Borrowed(s)))
    }
    pub(crate) fn opt_text(s: &'a Option<String>) -> Field<'a> {
        Field::Text(s.as_deref().map(Cow::Borrowed))
    }
}

impl<'a> From<&'a Value> for Field<'a> {
    fn from(value: &'a Value) -> Field<'a> {
        match value {
            Value::Text(s) => Field::Text(s.as_deref().map(Cow::Borrowed)),
            Value::Bool(b) => Field::Bool(*b),
            Value::Date(t) => Field::Date(*t),
            Value::Int(n) => Field::Int(*n),
            Value::Real(n) => Field::Real(*n),
            Value::Json(v) => Field::Json(v.as_ref().map(Cow::Borrowed)),
        }
    }
}

impl From<Field<'_>> for Value {
    fn from(field: Field<'_>) -> Value {
        match field {
            Field::Text(s) => Value::Text(s.map(Cow::into_owned)),
            Field::Bool(b) => Value::Bool(b),
            Field::Date(t) => Value::Date(t),
            Field::Int(n) => Value::Int(n),
            Field::Real(n) => Value::Real(n),
            Field::Json(v) => Value::Json(v.map(Cow::into_owned)),
        }
    }
}

impl<'a> Field<'a> {
    /// The NULL of a column of type `ty`.
    pub(crate) fn null(ty: FieldType) -> Field<'a> {
        match ty {
            FieldType::String => Field::Text(None),
            FieldType::Boolean => Field::Bool(None),
            FieldType::Date => Field::Date(None),
            FieldType::Number | FieldType::BigNumber => Field::Int(None),
            FieldType::Json => Field::Json(None),
        }
    }

    /// A schema-described field's value, bound as its column declares. A number that is not a
    /// whole number binds as a float (SQLite stores it as REAL in an `integer` column, as Better
    /// Auth's driver does).
    pub(crate) fn of(column: &Column, value: &'a FieldValue) -> Field<'a> {
        match value {
            FieldValue::Null => Field::null(column.ty),
            FieldValue::String(s) => Field::Text(Some(Cow::Borrowed(s))),
            FieldValue::Number(n) => match n.as_i64() {
                Some(i) => Field::Int(Some(i)),
                None => Field::Real(n.as_f64()),
            },
            FieldValue::Boolean(b) => Field::Bool(Some(*b)),
            FieldValue::Date(t) => Field::Date(Some(*t)),
            FieldValue::Json(v) => Field::Json(Some(Cow::Borrowed(v))),
        }
    }

    /// What an insert writes for a field the row does not carry: the column's configured default
    /// (Better Auth's adapter fills `defaultValue` on every create), else NULL. `now` stands for
    /// "now" (the row's creation time).
    pub(crate) fn default_of(column: &'a Column, now: OffsetDateTime) -> Field<'a> {
        match &column.default {
            ColumnDefault::Value(value) => Field::of(column, value),
            ColumnDefault::Now if column.ty == FieldType::Date => Field::Date(Some(now)),
            ColumnDefault::Bool(b) => Field::Bool(Some(*b)),
            ColumnDefault::Int(n) => Field::Int(Some(*n)),
            _ => Field::null(column.ty),
        }
    }
}

impl From<bool> for Field<'_> {
    fn from(b: bool) -> Self {
        Field::Bool(Some(b))
    }
}
impl From<Option<bool>> for Field<'_> {
    fn from(b: Option<bool>) -> Self {
        Field::Bool(b)
    }
}
impl From<OffsetDateTime> for Field<'_> {
    fn from(t: OffsetDateTime) -> Self {
        Field::Date(Some(t))
    }
}
impl From<Option<OffsetDateTime>> for Field<'_> {
    fn from(t: Option<OffsetDateTime>) -> Self {
        Field::Date(t)
    }
}
impl From<Option<i64>> for Field<'_> {
    fn from(n: Option<i64>) -> Self {
        Field::Int(n)
    }
}

/// A decoded result column, already in the type the schema declares for it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell {
    Null,
    Text(String),
    Bool(bool),
    Date(OffsetDateTime),
    Int(i64),
    /// A number column holding a fraction (SQLite REAL, PostgreSQL float).
    Real(f64),
    Json(serde_json::Value),
}

/// Reads a boolean as any adapter may have stored it: 0/1 (Kysely, Drizzle), or text forms.
pub(crate) fn parse_bool_text(s: &str) -> Option<bool> {
    match s.trim() {
        "1" | "true" | "t" | "TRUE" => Some(true),
        "0" | "false" | "f" | "FALSE" => Some(false),
        _ => None,
    }
}
