//! The admin plugin's `list-users` query (reference §3.6): search, filter, sort, limit, offset and the
//! total before paging. Field names are Better Auth's (`email`, `createdAt`, `banned`, …) and are
//! checked against the user table of the enabled plugins before they reach SQL; values are always
//! bound, converted to the type of the column they are compared with.

use tessera_core::schema::{Column, FieldType};
use tessera_core::timefmt;

use crate::ddl::quote;
use crate::queries::{TableSql, date_as_epoch_ms};
use crate::value::Value;
use crate::{Dialect, StoreError, StoreResult};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListUsersQuery {
    pub search: Option<UserSearch>,
    pub filter: Option<UserFilter>,
    /// Without it: `createdAt`, then `id`, ascending.
    pub sort: Option<UserSort>,
    pub limit: Option<u64>,
    pub offset: Option<u64>,
}

/// `searchValue` in `searchField`, with SQL LIKE's case rules (as Better Auth searches).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserSearch {
    pub field: SearchField,
    pub operator: TextOperator,
    pub value: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SearchField {
    #[default]
    Email,
    Name,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TextOperator {
    #[default]
    Contains,
    StartsWith,
    EndsWith,
}

#[derive(Debug, Clone, PartialEq)]
pub struct UserFilter {
    /// A user field, e.g. `role`, `banned`, `createdAt`.
    pub field: String,
    pub operator: FilterOperator,
    pub value: FilterValue,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FilterOperator {
    #[default]
    Eq,
    Ne,
    Lt,
    Lte,
    Gt,
    Gte,
    In,
    NotIn,
    Contains,
    StartsWith,
    EndsWith,
}

/// `filterValue` as JSON gives it: a string, number, boolean or array of those.
#[derive(Debug, Clone, PartialEq)]
pub enum FilterValue {
    Text(String),
    Number(f64),
    Bool(bool),
    List(Vec<FilterValue>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserSort {
    pub field: String,
    pub descending: bool,
}

/// The `WHERE` clause, its arguments, and the two statements that use them.
pub(crate) struct ListUsersSql {
    pub page: String,
    pub count: String,
    pub args: Vec<Value>,
    /// Arguments of `page` beyond `args` (limit, offset).
    pub page_args: Vec<Value>,
}

pub(crate) fn build(
    dialect: Dialect,
    user: &TableSql,
    query: &ListUsersQuery,
) -> StoreResult<ListUsersSql> {
    let mut conditions = vec![];
    let mut args = vec![];
    if let Some(search) = &query.search {
        let column = match search.field {
            SearchField::Email => "email",
            SearchField::Name => "name",
        };
        args.push(Value::Text(Some(like_pattern(
            search.operator,
            &search.value,
        ))));
        let n = args.len();
        // Better Auth 1.7.25 searches with a plain LIKE: case-sensitive on PostgreSQL,
        // ASCII-case-insensitive on SQLite. We match that, but escape `%` and `_` in the value so
        // a search for "a_b" means those three characters.
        conditions.push(format!(r"{} LIKE ${n} ESCAPE '\'", quote(column)));
    }
    if let Some(filter) = &query.filter {
        let column = field(user, &filter.field)?;
        conditions.push(filter_condition(dialect, column, filter, &mut args)?);
    }
    let where_clause = if conditions.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", conditions.join(" AND "))
    };

    let order = match &query.sort {
        Some(sort) => {
            let column = field(user, &sort.field)?;
            let direction = if sort.descending { "DESC" } else { "ASC" };
            format!(r#"{} {direction}, "id" ASC"#, quote(&column.name))
        }
        None => r#""createdAt" ASC, "id" ASC"#.to_owned(),
    };
    let mut page = format!(
        r#"SELECT {} FROM "user"{where_clause} ORDER BY {order}"#,
        user.select
    );
    let mut page_args = vec![];
    // SQLite knows no OFFSET without LIMIT; -1 means "no limit" there, PostgreSQL takes ALL.
    if query.limit.is_some() || query.offset.is_some() {
        let limit = match query.limit {
            Some(limit) => {
                page_args.push(int(limit));
                format!("${}", args.len() + page_args.len())
            }
            None if dialect == Dialect::Sqlite => "-1".to_owned(),
            None => "ALL".to_owned(),
        };
        page_args.push(int(query.offset.unwrap_or(0)));
        page.push_str(&format!(
            " LIMIT {limit} OFFSET ${}",
            args.len() + page_args.len()
        ));
    }
    Ok(ListUsersSql {
        page,
        count: format!(r#"SELECT count(*) FROM "user"{where_clause}"#),
        args,
        page_args,
    })
}

fn int(n: u64) -> Value {
    Value::Int(Some(i64::try_from(n).unwrap_or(i64::MAX)))
}

fn field<'a>(user: &'a TableSql, name: &str) -> StoreResult<&'a Column> {
    user.columns
        .iter()
        .find(|c| c.name == name)
        .ok_or_else(|| StoreError::Schema(format!("user has no field {name:?}")))
}

/// `%value%`, `value%` or `%value`, with the value's own `%`, `_` and `\` taken literally.
pub(crate) fn like_pattern(operator: TextOperator, value: &str) -> String {
    let escaped = value
        .replace('\\', r"\\")
        .replace('%', r"\%")
        .replace('_', r"\_");
    match operator {
        TextOperator::Contains => format!("%{escaped}%"),
        TextOperator::StartsWith => format!("{escaped}%"),
        TextOperator::EndsWith => format!("%{escaped}"),
    }
}

fn filter_condition(
    dialect: Dialect,
    column: &Column,
    filter: &UserFilter,
    args: &mut Vec<Value>,
) -> StoreResult<String> {
    // SQLite dates may be ISO text or epoch-ms integers: compare them as epoch milliseconds.
    let lhs = match (dialect, column.ty) {
        (Dialect::Sqlite, FieldType::Date) => date_as_epoch_ms(&column.name),
        _ => quote(&column.name),
    };
    let comparison = match filter.operator {
        FilterOperator::Eq => Some("="),
        FilterOperator::Ne => Some("<>"),
        FilterOperator::Lt => Some("<"),
        FilterOperator::Lte => Some("<="),
        FilterOperator::Gt => Some(">"),
        FilterOperator::Gte => Some(">="),
        _ => None,
    };
    if let Some(op) = comparison {
        args.push(coerce(dialect, column, &filter.value)?);
        return Ok(format!("{lhs} {op} ${}", args.len()));
    }
    match filter.operator {
        FilterOperator::In | FilterOperator::NotIn => {
            let items = match &filter.value {
                FilterValue::List(items) => items.as_slice(),
                single => std::slice::from_ref(single),
            };
            let negated = filter.operator == FilterOperator::NotIn;
            if items.is_empty() {
                // `x IN ()` is not SQL; nothing is in the empty list.
                return Ok(if negated { "1 = 1" } else { "1 = 0" }.to_owned());
            }
            let mut placeholders = vec![];
            for item in items {
                args.push(coerce(dialect, column, item)?);
                placeholders.push(format!("${}", args.len()));
            }
            let op = if negated { "NOT IN" } else { "IN" };
            Ok(format!("{lhs} {op} ({})", placeholders.join(", ")))
        }
        FilterOperator::Contains | FilterOperator::StartsWith | FilterOperator::EndsWith => {
            if column.ty != FieldType::String {
                return Err(StoreError::Schema(format!(
                    "{} is not text: it cannot be matched with a pattern",
                    column.name
                )));
            }
            let operator = match filter.operator {
                FilterOperator::StartsWith => TextOperator::StartsWith,
                FilterOperator::EndsWith => TextOperator::EndsWith,
                _ => TextOperator::Contains,
            };
            let FilterValue::Text(text) = &filter.value else {
                return Err(StoreError::Schema(
                    "a pattern filter needs a text value".to_owned(),
                ));
            };
            args.push(Value::Text(Some(like_pattern(operator, text))));
            Ok(format!(r"{lhs} LIKE ${} ESCAPE '\'", args.len()))
        }
        // Handled above.
        _ => Err(StoreError::Schema("unsupported filter operator".to_owned())),
    }
}

/// A filter value as the column's type, the way Better Auth's adapters would compare it.
fn coerce(dialect: Dialect, column: &Column, value: &FilterValue) -> StoreResult<Value> {
    let mismatch = || {
        StoreError::Schema(format!(
            "{value:?} cannot be compared with {} ({:?})",
            column.name, column.ty
        ))
    };
    Ok(match (column.ty, value) {
        (FieldType::String, FilterValue::Text(s)) => Value::Text(Some(s.clone())),
        (FieldType::String, FilterValue::Number(n)) => Value::Text(Some(n.to_string())),
        (FieldType::String, FilterValue::Bool(b)) => Value::Text(Some(b.to_string())),
        (FieldType::Boolean, FilterValue::Bool(b)) => Value::Bool(Some(*b)),
        (FieldType::Boolean, FilterValue::Text(s)) => match s.as_str() {
            "true" => Value::Bool(Some(true)),
            "false" => Value::Bool(Some(false)),
            _ => return Err(mismatch()),
        },
        (FieldType::Date, FilterValue::Text(s)) => {
            let date = timefmt::parse_date(s).ok_or_else(mismatch)?;
            date_value(dialect, date)
        }
        (FieldType::Date, FilterValue::Number(ms)) if ms.fract() == 0.0 => {
            let date = timefmt::from_epoch_ms(*ms as i64).ok_or_else(mismatch)?;
            date_value(dialect, date)
        }
        (FieldType::Number | FieldType::BigNumber, FilterValue::Number(n)) if n.fract() == 0.0 => {
            Value::Int(Some(*n as i64))
        }
        _ => return Err(mismatch()),
    })
}

fn date_value(dialect: Dialect, date: time::OffsetDateTime) -> Value {
    match dialect {
        Dialect::Sqlite => Value::Int(Some(timefmt::to_epoch_ms(date))),
        Dialect::Postgres => Value::Date(Some(date)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_take_wildcards_in_the_value_literally() {
        assert_eq!(like_pattern(TextOperator::Contains, "a_b%"), r"%a\_b\%%");
        assert_eq!(like_pattern(TextOperator::StartsWith, "x"), "x%");
        assert_eq!(
            like_pattern(TextOperator::EndsWith, "@example.com"),
            "%@example.com"
        );
    }
}
