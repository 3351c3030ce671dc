//! Rows of any table, in the shape of Better Auth's database adapter (`create`, `findOne`,
//! `findMany`, `count`, `update`, `updateMany`, `delete`, `deleteMany`): what a plugin uses for a
//! table of its own, so that a new table needs no new [`Store`](crate::Store) method, model struct
//! or query.
//!
//! A [`Row`] is column names and values in order; the store checks every name against the schema
//! it was opened with and every value against its column's [`FieldType`], and writes each value
//! the way Better Auth does on that dialect.
//!
//! [`FieldType`]: tessera_core::schema::FieldType

use time::OffsetDateTime;

use crate::FilterOperator;

/// A column's value, typed like the column: `Text` for a string, `Bool` for a boolean, `Int` (or
/// `Real`, for a fraction) for a number, `Date` for a date, `Json` for a json field.
#[derive(Debug, Clone, PartialEq)]
pub enum RowValue {
    Null,
    Text(String),
    Bool(bool),
    Int(i64),
    Real(f64),
    Date(OffsetDateTime),
    Json(serde_json::Value),
}

impl RowValue {
    pub fn is_null(&self) -> bool {
        matches!(self, RowValue::Null)
    }

    /// What kind of value this is, for error messages.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            RowValue::Null => "NULL",
            RowValue::Text(_) => "text",
            RowValue::Bool(_) => "a boolean",
            RowValue::Int(_) | RowValue::Real(_) => "a number",
            RowValue::Date(_) => "a date",
            RowValue::Json(_) => "JSON",
        }
    }
}

impl From<&str> for RowValue {
    fn from(s: &str) -> RowValue {
        RowValue::Text(s.to_owned())
    }
}
impl From<String> for RowValue {
    fn from(s: String) -> RowValue {
        RowValue::Text(s)
    }
}
impl From<&String> for RowValue {
    fn from(s: &String) -> RowValue {
        RowValue::Text(s.clone())
    }
}
impl From<bool> for RowValue {
    fn from(b: bool) -> RowValue {
        RowValue::Bool(b)
    }
}
impl From<i64> for RowValue {
    fn from(n: i64) -> RowValue {
        RowValue::Int(n)
    }
}
impl From<i32> for RowValue {
    fn from(n: i32) -> RowValue {
        RowValue::Int(i64::from(n))
    }
}
impl From<OffsetDateTime> for RowValue {
    fn from(t: OffsetDateTime) -> RowValue {
        RowValue::Date(t)
    }
}
impl<T: Into<RowValue>> From<Option<T>> for RowValue {
    fn from(value: Option<T>) -> RowValue {
        value.map_or(RowValue::Null, Into::into)
    }
}

/// Column names and their values, in order; a column appears at most once.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Row {
    fields: Vec<(String, RowValue)>,
}

impl Row {
    pub fn new() -> Row {
        Row::default()
    }

    /// This row with `column` set to `value`.
    #[must_use]
    pub fn with(mut self, column: &str, value: impl Into<RowValue>) -> Row {
        self.set(column, value);
        self
    }

    /// Sets `column`, replacing its value if it is already there (keeping its place).
    pub fn set(&mut self, column: &str, value: impl Into<RowValue>) {
        let value = value.into();
        match self.fields.iter_mut().find(|(name, _)| name == column) {
            Some((_, slot)) => *slot = value,
            None => self.fields.push((column.to_owned(), value)),
        }
    }

    pub fn get(&self, column: &str) -> Option<&RowValue> {
        self.fields
            .iter()
            .find(|(name, _)| name == column)
            .map(|(_, value)| value)
    }

    /// The column's text; `None` if it is absent, NULL or not text.
    pub fn text(&self, column: &str) -> Option<&str> {
        match self.get(column)? {
            RowValue::Text(s) => Some(s),
            _ => None,
        }
    }

    pub fn bool(&self, column: &str) -> Option<bool> {
        match self.get(column)? {
            RowValue::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn int(&self, column: &str) -> Option<i64> {
        match self.get(column)? {
            RowValue::Int(n) => Some(*n),
            _ => None,
        }
    }

    pub fn date(&self, column: &str) -> Option<OffsetDateTime> {
        match self.get(column)? {
            RowValue::Date(t) => Some(*t),
            _ => None,
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &RowValue)> {
        self.fields
            .iter()
            .map(|(name, value)| (name.as_str(), value))
    }

    pub fn len(&self) -> usize {
        self.fields.len()
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }
}

impl<S: Into<String>> FromIterator<(S, RowValue)> for Row {
    fn from_iter<I: IntoIterator<Item = (S, RowValue)>>(iter: I) -> Row {
        let iter = iter.into_iter();
        let mut row = Row {
            fields: Vec::with_capacity(iter.size_hint().0),
        };
        for (column, value) in iter {
            let column: String = column.into();
            // The owned name moves in: decoding a page of rows allocates each name once.
            match row.fields.iter_mut().find(|(name, _)| *name == column) {
                Some((_, slot)) => *slot = value,
                None => row.fields.push((column, value)),
            }
        }
        row
    }
}

/// How a condition joins the others. As in Better Auth, the `And` conditions and the `Or`
/// conditions form two groups: a row matches when it matches every `And` condition and, if there
/// are `Or` conditions, at least one of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Connector {
    #[default]
    And,
    Or,
}

/// The right-hand side of a condition: one value, or a list for `In`/`NotIn` (a single value
/// there is a list of one).
#[derive(Debug, Clone, PartialEq)]
pub enum WhereValue {
    One(RowValue),
    List(Vec<RowValue>),
}

impl From<RowValue> for WhereValue {
    fn from(value: RowValue) -> WhereValue {
        WhereValue::One(value)
    }
}
impl From<Vec<RowValue>> for WhereValue {
    fn from(values: Vec<RowValue>) -> WhereValue {
        WhereValue::List(values)
    }
}

/// One condition of Better Auth's `Where[]`: `{ field, operator, value, connector }`.
///
/// `Eq`/`Ne` with [`RowValue::Null`] mean `IS NULL`/`IS NOT NULL`; `In` with an empty list
/// matches nothing and `NotIn` with one matches everything; `Contains`, `StartsWith` and
/// `EndsWith` take the value's `%` and `_` literally, with SQL LIKE's case rules (case-sensitive on
/// PostgreSQL, ASCII-case-insensitive on SQLite), as Better Auth's Kysely adapter.
#[derive(Debug, Clone, PartialEq)]
pub struct Where {
    pub field: String,
    pub operator: FilterOperator,
    pub value: WhereValue,
    pub connector: Connector,
}

impl Where {
    pub fn new(field: &str, operator: FilterOperator, value: impl Into<WhereValue>) -> Where {
        Where {
            field: field.to_owned(),
            operator,
            value: value.into(),
            connector: Connector::And,
        }
    }

    pub fn eq(field: &str, value: impl Into<RowValue>) -> Where {
        Where::new(field, FilterOperator::Eq, value.into())
    }

    pub fn ne(field: &str, value: impl Into<RowValue>) -> Where {
        Where::new(field, FilterOperator::Ne, value.into())
    }

    pub fn lt(field: &str, value: impl Into<RowValue>) -> Where {
        Where::new(field, FilterOperator::Lt, value.into())
    }

    pub fn lte(field: &str, value: impl Into<RowValue>) -> Where {
        Where::new(field, FilterOperator::Lte, value.into())
    }

    pub fn gt(field: &str, value: impl Into<RowValue>) -> Where {
        Where::new(field, FilterOperator::Gt, value.into())
    }

    pub fn gte(field: &str, value: impl Into<RowValue>) -> Where {
        Where::new(field, FilterOperator::Gte, value.into())
    }

    pub fn is_in<V: Into<RowValue>>(field: &str, values: impl IntoIterator<Item = V>) -> Where {
        let list = values.into_iter().map(Into::into).collect();
        Where::new(field, FilterOperator::In, WhereValue::List(list))
    }

    pub fn not_in<V: Into<RowValue>>(field: &str, values: impl IntoIterator<Item = V>) -> Where {
        let list = values.into_iter().map(Into::into).collect();
        Where::new(field, FilterOperator::NotIn, WhereValue::List(list))
    }

    pub fn contains(field: &str, text: &str) -> Where {
        Where::new(field, FilterOperator::Contains, RowValue::from(text))
    }

    pub fn starts_with(field: &str, text: &str) -> Where {
        Where::new(field, FilterOperator::StartsWith, RowValue::from(text))
    }

    pub fn ends_with(field: &str, text: &str) -> Where {
        Where::new(field, FilterOperator::EndsWith, RowValue::from(text))
    }

    /// This condition in the `Or` group.
    #[must_use]
    pub fn or(self) -> Where {
        Where {
            connector: Connector::Or,
            ..self
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortDirection {
    #[default]
    Asc,
    Desc,
}

/// Better Auth's `sortBy: { field, direction }`. Rows that tie are ordered by `id`, so pages
/// neither repeat nor skip one; NULLs sort where the database puts them (first on SQLite, last on
/// PostgreSQL, when ascending), as with Better Auth.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SortBy {
    pub field: String,
    pub direction: SortDirection,
}

impl SortBy {
    pub fn asc(field: &str) -> SortBy {
        SortBy {
            field: field.to_owned(),
            direction: SortDirection::Asc,
        }
    }

    pub fn desc(field: &str) -> SortBy {
        SortBy {
            field: field.to_owned(),
            direction: SortDirection::Desc,
        }
    }
}

/// How many rows `findMany` returns when the caller gives no limit: Better Auth's
/// `defaultFindManyLimit`.
pub const DEFAULT_FIND_MANY_LIMIT: u64 = 100;

/// Better Auth's `findMany` arguments (`where`, `sortBy`, `limit`, `offset`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FindMany {
    pub filter: Vec<Where>,
    pub sort_by: Option<SortBy>,
    /// Without it, [`DEFAULT_FIND_MANY_LIMIT`].
    pub limit: Option<u64>,
    pub offset: Option<u64>,
}

impl FindMany {
    pub fn filter(filter: Vec<Where>) -> FindMany {
        FindMany {
            filter,
            ..FindMany::default()
        }
    }
}
