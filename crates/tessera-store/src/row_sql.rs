//! The SQL of the row API ([`crate::row`]): Better Auth's adapter operations turned into one
//! statement over one schema [`Table`], for either dialect. Pure: no I/O, so every rule is unit
//! tested here.
//!
//! Every table and column name is looked up in the schema before it is quoted into SQL, and every
//! value is bound, converted to its column's type with the dialect's encoding (SQLite dates are
//! compared as epoch milliseconds, since other adapters may have stored them as integers, as
//! `list-users` does).

use tessera_core::schema::{Column, ColumnDefault, FieldType, Table};
use tessera_core::timefmt;
use time::OffsetDateTime;

use crate::ddl::quote;
use crate::list_users::like_pattern;
use crate::queries::{date_as_epoch_ms, select_list};
use crate::row::{Connector, Row, RowValue, SortBy, SortDirection, Where, WhereValue};
use crate::value::Value;
use crate::{Dialect, FilterOperator, StoreError, StoreResult, TextOperator};

/// One SQL text and its arguments, in placeholder order.
#[derive(Debug, PartialEq)]
pub(crate) struct Statement {
    pub sql: String,
    pub args: Vec<Value>,
}

/// The table named `name` among those the store knows.
pub(crate) fn table<'a>(tables: &'a [Table], name: &str) -> StoreResult<&'a Table> {
    tables.iter().find(|t| t.name == name).ok_or_else(|| {
        StoreError::Schema(format!(
            "no table {name:?} in the schema this store was opened with"
        ))
    })
}

fn column<'a>(table: &'a Table, name: &str) -> StoreResult<&'a Column> {
    table
        .column(name)
        .ok_or_else(|| StoreError::Schema(format!("table {} has no column {name:?}", table.name)))
}

/// `INSERT … RETURNING` every column. A column `row` leaves out gets its schema default (`false`,
/// `0`, `now`), as Better Auth's `create` fills them in, or else NULL. `legacy` are columns outside
/// the schema that the database requires (`account.issuer`), written as given.
pub(crate) fn insert(
    table: &Table,
    row: &Row,
    now: OffsetDateTime,
    legacy: Vec<(&'static str, Value)>,
) -> StoreResult<Statement> {
    check_columns(table, row)?;
    let mut names = vec![];
    let mut args = vec![];
    for column in &table.columns {
        let value = match row.get(&column.name) {
            Some(value) => value.clone(),
            None => default_of(column, now),
        };
        if value.is_null() && column.required {
            return Err(StoreError::Schema(format!(
                "{}.{} is required: give it a value",
                table.name, column.name
            )));
        }
        args.push(typed(table, column, &value)?);
        names.push(column.name.as_str());
    }
    for (name, value) in legacy {
        names.push(name);
        args.push(value);
    }
    let quoted: Vec<String> = names.iter().map(|n| quote(n)).collect();
    let placeholders: Vec<String> = (1..=args.len()).map(|n| format!("${n}")).collect();
    Ok(Statement {
        sql: format!(
            "INSERT INTO {} ({}) VALUES ({}) RETURNING {}",
            quote(table.name),
            quoted.join(", "),
            placeholders.join(", "),
            select_list(&table.columns, None)
        ),
        args,
    })
}

/// `INSERT … VALUES (…), (…) ON CONFLICT ("id") DO NOTHING RETURNING` every column: the rows
/// whose id is already taken are skipped (any other unique conflict is still an error), and the
/// rows returned are those inserted. Defaults as [`insert`]; tables with legacy columns
/// (`account`) are not for this.
pub(crate) fn insert_many_if_absent(
    table: &Table,
    rows: &[Row],
    now: OffsetDateTime,
) -> StoreResult<Statement> {
    if !table.columns.iter().any(|c| c.name == "id") {
        return Err(StoreError::Schema(format!(
            "table {} has no id",
            table.name
        )));
    }
    let mut args = vec![];
    let mut tuples = Vec::with_capacity(rows.len());
    for row in rows {
        check_columns(table, row)?;
        let mut placeholders = Vec::with_capacity(table.columns.len());
        for column in &table.columns {
            let value = match row.get(&column.name) {
                Some(value) => value.clone(),
                None => default_of(column, now),
            };
            if value.is_null() && column.required {
                return Err(StoreError::Schema(format!(
                    "{}.{} is required: give it a value",
                    table.name, column.name
                )));
            }
            args.push(typed(table, column, &value)?);
            placeholders.push(format!("${}", args.len()));
        }
        tuples.push(format!("({})", placeholders.join(", ")));
    }
    let quoted: Vec<String> = table.columns.iter().map(|c| quote(&c.name)).collect();
    Ok(Statement {
        sql: format!(
            "INSERT INTO {} ({}) VALUES {} ON CONFLICT ({}) DO NOTHING RETURNING {}",
            quote(table.name),
            quoted.join(", "),
            tuples.join(", "),
            quote("id"),
            select_list(&table.columns, None)
        ),
        args,
    })
}

/// `SELECT` every column of the rows matching `filter`, sorted, one page.
pub(crate) fn select(
    dialect: Dialect,
    table: &Table,
    filter: &[Where],
    sort_by: Option<&SortBy>,
    limit: u64,
    offset: u64,
) -> StoreResult<Statement> {
    let mut args = vec![];
    let mut sql = format!(
        "SELECT {} FROM {}{}",
        select_list(&table.columns, None),
        quote(table.name),
        where_clause(dialect, table, filter, &mut args)?
    );
    if let Some(sort_by) = sort_by {
        let column = column(table, &sort_by.field)?;
        let direction = match sort_by.direction {
            SortDirection::Asc => "ASC",
            SortDirection::Desc => "DESC",
        };
        sql.push_str(&format!(
            " ORDER BY {} {direction}",
            compared_column(dialect, column)
        ));
        // Ties in the sort column would otherwise come back in any order, and pages could repeat
        // or skip a row.
        if column.name != "id" && table.column("id").is_some() {
            sql.push_str(r#", "id" ASC"#);
        }
    }
    args.push(count_value(limit));
    let limit_placeholder = args.len();
    args.push(count_value(offset));
    sql.push_str(&format!(
        " LIMIT ${limit_placeholder} OFFSET ${}",
        args.len()
    ));
    Ok(Statement { sql, args })
}

/// `SELECT count(*)` of the rows matching `filter`.
pub(crate) fn count(dialect: Dialect, table: &Table, filter: &[Where]) -> StoreResult<Statement> {
    let mut args = vec![];
    let sql = format!(
        "SELECT count(*) FROM {}{}",
        quote(table.name),
        where_clause(dialect, table, filter, &mut args)?
    );
    Ok(Statement { sql, args })
}

/// `UPDATE … SET` the columns of `changes` on the rows matching `filter`, returning every column of
/// the updated rows when `returning`.
pub(crate) fn update(
    dialect: Dialect,
    table: &Table,
    filter: &[Where],
    changes: &Row,
    returning: bool,
) -> StoreResult<Statement> {
    check_columns(table, changes)?;
    if changes.is_empty() {
        return Err(StoreError::Schema(format!(
            "an update of {} needs at least one column to set",
            table.name
        )));
    }
    let mut args = vec![];
    let mut assignments = vec![];
    for (name, value) in changes.iter() {
        let column = column(table, name)?;
        if value.is_null() && column.required {
            return Err(StoreError::Schema(format!(
                "{}.{} is required: it cannot be set to NULL",
                table.name, column.name
            )));
        }
        args.push(typed(table, column, value)?);
        assignments.push(format!("{} = ${}", quote(&column.name), args.len()));
    }
    let mut sql = format!(
        "UPDATE {} SET {}{}",
        quote(table.name),
        assignments.join(", "),
        where_clause(dialect, table, filter, &mut args)?
    );
    if returning {
        sql.push_str(" RETURNING ");
        sql.push_str(&select_list(&table.columns, None));
    }
    Ok(Statement { sql, args })
}

/// `UPDATE … SET column = new` on the rows matching `filter` whose `column` still holds
/// `expected`: the compare-and-set a counter retries on.
pub(crate) fn compare_and_set(
    dialect: Dialect,
    table: &Table,
    filter: &[Where],
    column: &str,
    expected: &RowValue,
    new: &RowValue,
) -> StoreResult<Statement> {
    let mut guarded = filter.to_vec();
    guarded.push(Where::eq(column, expected.clone()));
    update(
        dialect,
        table,
        &guarded,
        &Row::new().with(column, new.clone()),
        false,
    )
}

/// `DELETE` the rows matching `filter`.
pub(crate) fn delete(dialect: Dialect, table: &Table, filter: &[Where]) -> StoreResult<Statement> {
    let mut args = vec![];
    let sql = format!(
        "DELETE FROM {}{}",
        quote(table.name),
        where_clause(dialect, table, filter, &mut args)?
    );
    Ok(Statement { sql, args })
}

fn check_columns(table: &Table, row: &Row) -> StoreResult<()> {
    row.iter()
        .try_for_each(|(name, _)| column(table, name).map(drop))
}

/// Better Auth's `defaultValue`, for a column a created row leaves out.
fn default_of(column: &Column, now: OffsetDateTime) -> RowValue {
    match &column.default {
        ColumnDefault::Bool(b) => RowValue::Bool(*b),
        ColumnDefault::Int(n) => RowValue::Int(*n),
        ColumnDefault::Now => RowValue::Date(now),
        ColumnDefault::Value(value) => from_config_value(value),
        ColumnDefault::None | ColumnDefault::Computed => RowValue::Null,
    }
}

/// A default declared in config, as a row value.
fn from_config_value(value: &tessera_core::model::FieldValue) -> RowValue {
    use tessera_core::model::FieldValue as Config;
    match value {
        Config::Null => RowValue::Null,
        Config::String(s) => RowValue::Text(s.clone()),
        Config::Boolean(b) => RowValue::Bool(*b),
        Config::Date(t) => RowValue::Date(*t),
        Config::Number(n) => match n.as_i64() {
            Some(i) => RowValue::Int(i),
            None => RowValue::Real(n.as_f64().unwrap_or_default()),
        },
        Config::Json(v) => RowValue::Json(v.clone()),
    }
}

/// `value` as the bound parameter of `column`'s type; NULL is typed too, which PostgreSQL needs.
/// Dates keep Better Auth's millisecond precision, so both dialects store the same instant.
fn typed(table: &Table, column: &Column, value: &RowValue) -> StoreResult<Value> {
    Ok(match (column.ty, value) {
        (FieldType::String, RowValue::Null) => Value::Text(None),
        (FieldType::Boolean, RowValue::Null) => Value::Bool(None),
        (FieldType::Date, RowValue::Null) => Value::Date(None),
        (FieldType::Number | FieldType::BigNumber, RowValue::Null) => Value::Int(None),
        (FieldType::String, RowValue::Text(s)) => Value::Text(Some(s.clone())),
        (FieldType::Boolean, RowValue::Bool(b)) => Value::Bool(Some(*b)),
        (FieldType::Date, RowValue::Date(t)) => Value::Date(Some(timefmt::truncate_ms(*t))),
        (FieldType::Number | FieldType::BigNumber, RowValue::Int(n)) => Value::Int(Some(*n)),
        (FieldType::Number, RowValue::Real(x)) => Value::Real(Some(*x)),
        (FieldType::Json, RowValue::Null) => Value::Json(None),
        (FieldType::Json, RowValue::Json(v)) => Value::Json(Some(v.clone())),
        (ty, other) => {
            return Err(StoreError::Schema(format!(
                "{}.{} holds {}, not {}",
                table.name,
                column.name,
                type_name(ty),
                other.kind()
            )));
        }
    })
}

fn type_name(ty: FieldType) -> &'static str {
    match ty {
        FieldType::String => "text",
        FieldType::Boolean => "a boolean",
        FieldType::Date => "a date",
        FieldType::Number | FieldType::BigNumber => "a number",
        FieldType::Json => "JSON",
    }
}

/// The column as conditions and sorts see it: on SQLite a date as epoch milliseconds.
fn compared_column(dialect: Dialect, column: &Column) -> String {
    match (dialect, column.ty) {
        (Dialect::Sqlite, FieldType::Date) => date_as_epoch_ms(&column.name),
        _ => quote(&column.name),
    }
}

/// A value a condition compares `column` with, in the form [`compared_column`] gives the column.
fn compared_value(
    dialect: Dialect,
    table: &Table,
    column: &Column,
    value: &RowValue,
) -> StoreResult<Value> {
    if value.is_null() {
        return Err(StoreError::Schema(format!(
            "{}.{} cannot be compared with NULL: use eq or ne with NULL",
            table.name, column.name
        )));
    }
    Ok(match (dialect, typed(table, column, value)?) {
        (Dialect::Sqlite, Value::Date(Some(t))) => Value::Int(Some(timefmt::to_epoch_ms(t))),
        (_, value) => value,
    })
}

fn count_value(n: u64) -> Value {
    Value::Int(Some(i64::try_from(n).unwrap_or(i64::MAX)))
}

/// ` WHERE (and…) AND (or…)`, or nothing for no conditions: Better Auth's two groups.
fn where_clause(
    dialect: Dialect,
    table: &Table,
    filter: &[Where],
    args: &mut Vec<Value>,
) -> StoreResult<String> {
    let mut all = vec![];
    let mut any = vec![];
    for condition in filter {
        let sql = condition_sql(dialect, table, condition, args)?;
        match condition.connector {
            Connector::And => all.push(sql),
            Connector::Or => any.push(sql),
        }
    }
    let mut groups = vec![];
    if !all.is_empty() {
        groups.push(format!("({})", all.join(" AND ")));
    }
    if !any.is_empty() {
        groups.push(format!("({})", any.join(" OR ")));
    }
    if groups.is_empty() {
        return Ok(String::new());
    }
    Ok(format!(" WHERE {}", groups.join(" AND ")))
}

fn condition_sql(
    dialect: Dialect,
    table: &Table,
    condition: &Where,
    args: &mut Vec<Value>,
) -> StoreResult<String> {
    let column = column(table, &condition.field)?;
    let lhs = compared_column(dialect, column);
    let single = || match &condition.value {
        WhereValue::One(value) => Ok(value),
        WhereValue::List(_) => Err(StoreError::Schema(format!(
            "{:?} on {}.{} takes one value, not a list",
            condition.operator, table.name, column.name
        ))),
    };
    let comparison = match condition.operator {
        FilterOperator::Eq => "=",
        FilterOperator::Ne => "<>",
        FilterOperator::Lt => "<",
        FilterOperator::Lte => "<=",
        FilterOperator::Gt => ">",
        FilterOperator::Gte => ">=",
        FilterOperator::In | FilterOperator::NotIn => {
            let values = match &condition.value {
                WhereValue::One(value) => std::slice::from_ref(value),
                WhereValue::List(values) => values.as_slice(),
            };
            let negated = condition.operator == FilterOperator::NotIn;
            if values.is_empty() {
                // `x IN ()` is not SQL; nothing is in the empty list.
                return Ok(if negated { "1 = 1" } else { "1 = 0" }.to_owned());
            }
            let placeholders = values
                .iter()
                .map(|value| bind(dialect, table, column, value, args))
                .collect::<StoreResult<Vec<_>>>()?;
            let operator = if negated { "NOT IN" } else { "IN" };
            return Ok(format!("{lhs} {operator} ({})", placeholders.join(", ")));
        }
        FilterOperator::Contains | FilterOperator::StartsWith | FilterOperator::EndsWith => {
            let RowValue::Text(text) = single()? else {
                return Err(StoreError::Schema(format!(
                    "{:?} on {}.{} needs a text value",
                    condition.operator, table.name, column.name
                )));
            };
            if column.ty != FieldType::String {
                return Err(StoreError::Schema(format!(
                    "{}.{} is not text: it cannot be matched with {:?}",
                    table.name, column.name, condition.operator
                )));
            }
            let shape = match condition.operator {
                FilterOperator::StartsWith => TextOperator::StartsWith,
                FilterOperator::EndsWith => TextOperator::EndsWith,
                _ => TextOperator::Contains,
            };
            args.push(Value::Text(Some(like_pattern(shape, text))));
            return Ok(format!(r"{lhs} LIKE ${} ESCAPE '\'", args.len()));
        }
    };
    let value = single()?;
    match (condition.operator, value.is_null()) {
        (FilterOperator::Eq, true) => Ok(format!("{} IS NULL", quote(&column.name))),
        (FilterOperator::Ne, true) => Ok(format!("{} IS NOT NULL", quote(&column.name))),
        _ => {
            let placeholder = bind(dialect, table, column, value, args)?;
            Ok(format!("{lhs} {comparison} {placeholder}"))
        }
    }
}

/// Binds a compared value; returns its placeholder.
fn bind(
    dialect: Dialect,
    table: &Table,
    column: &Column,
    value: &RowValue,
    args: &mut Vec<Value>,
) -> StoreResult<String> {
    args.push(compared_value(dialect, table, column, value)?);
    Ok(format!("${}", args.len()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use time::macros::datetime;

    use super::*;

    fn note() -> Table {
        Table {
            name: "testNote",
            order: None,
            columns: vec![
                Column::id(),
                Column::user_id(),
                Column::string("text").required(),
                Column::string("slug").unique(),
                Column::number("count")
                    .required()
                    .default(ColumnDefault::Int(0)),
                Column::boolean("pinned").default(ColumnDefault::Bool(false)),
                Column::date("createdAt")
                    .required()
                    .default(ColumnDefault::Now),
                Column::date("dueAt"),
            ],
        }
    }

    const T: OffsetDateTime = datetime!(2026-11-27 14:29:52.004 UTC);

    fn schema_error(result: StoreResult<Statement>) -> String {
        match result {
            Err(StoreError::Schema(message)) => message,
            other => panic!("expected a schema error, got {other:?}"),
        }
    }

    fn where_sql(dialect: Dialect, filter: &[Where]) -> (String, Vec<Value>) {
        let statement = count(dialect, &note(), filter).unwrap();
        let sql = statement
            .sql
            .strip_prefix(r#"SELECT count(*) FROM "testNote""#)
            .unwrap()
            .to_owned();
        (sql, statement.args)
    }

    #[test]
    fn insert_fills_schema_defaults_and_returns_every_column() {
        let row = Row::new()
            .with("id", "n1")
            .with("userId", "u1")
            .with("text", "hello");
        let statement = insert(&note(), &row, T, vec![]).unwrap();
        assert_eq!(
            statement.sql,
            r#"INSERT INTO "testNote" ("id", "userId", "text", "slug", "count", "pinned", "createdAt", "dueAt") VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING "id", "userId", "text", "slug", "count", "pinned", "createdAt", "dueAt""#
        );
        assert_eq!(
            statement.args,
            [
                Value::text("n1"),
                Value::text("u1"),
                Value::text("hello"),
                Value::Text(None),
                Value::Int(Some(0)),
                Value::Bool(Some(false)),
                Value::Date(Some(T)),
                Value::Date(None),
            ]
        );
    }

    #[test]
    fn insert_refuses_a_missing_required_value_a_wrong_type_and_an_unknown_column() {
        let base = Row::new().with("id", "n1").with("userId", "u1");
        let message = schema_error(insert(&note(), &base, T, vec![]));
        assert!(message.contains("testNote.text is required"), "{message}");

        let wrong = base.clone().with("text", "x").with("count", "three");
        let message = schema_error(insert(&note(), &wrong, T, vec![]));
        assert_eq!(message, "testNote.count holds a number, not text");

        let unknown = base.with("text", "x").with("colour", "red");
        let message = schema_error(insert(&note(), &unknown, T, vec![]));
        assert!(message.contains(r#"no column "colour""#), "{message}");
    }

    #[test]
    fn and_conditions_and_or_conditions_form_two_groups_as_in_better_auth() {
        let filter = [
            Where::eq("userId", "u1"),
            Where::eq("pinned", true).or(),
            Where::gt("count", 3).or(),
            Where::ne("text", "x"),
        ];
        let (sql, args) = where_sql(Dialect::Postgres, &filter);
        assert_eq!(
            sql,
            r#" WHERE ("userId" = $1 AND "text" <> $4) AND ("pinned" = $2 OR "count" > $3)"#
        );
        assert_eq!(
            args,
            [
                Value::text("u1"),
                Value::Bool(Some(true)),
                Value::Int(Some(3)),
                Value::text("x")
            ]
        );
    }

    #[test]
    fn null_means_is_null_and_an_empty_in_matches_nothing() {
        let filter = [
            Where::eq("slug", RowValue::Null),
            Where::ne("dueAt", RowValue::Null),
            Where::is_in("text", Vec::<String>::new()),
            Where::not_in("id", Vec::<String>::new()),
            Where::is_in("count", [1, 2]),
        ];
        let (sql, args) = where_sql(Dialect::Postgres, &filter);
        assert_eq!(
            sql,
            r#" WHERE ("slug" IS NULL AND "dueAt" IS NOT NULL AND 1 = 0 AND 1 = 1 AND "count" IN ($1, $2))"#
        );
        assert_eq!(args, [Value::Int(Some(1)), Value::Int(Some(2))]);
        let message = schema_error(count(
            Dialect::Postgres,
            &note(),
            &[Where::lt("count", RowValue::Null)],
        ));
        assert!(
            message.contains("cannot be compared with NULL"),
            "{message}"
        );
    }

    #[test]
    fn patterns_escape_wildcards_and_apply_to_text_only() {
        let (sql, args) = where_sql(
            Dialect::Sqlite,
            &[
                Where::contains("text", "50%_off"),
                Where::starts_with("slug", "a"),
            ],
        );
        assert_eq!(
            sql,
            r#" WHERE ("text" LIKE $1 ESCAPE '\' AND "slug" LIKE $2 ESCAPE '\')"#
        );
        assert_eq!(args, [Value::text(r"%50\%\_off%"), Value::text("a%")]);
        let message = schema_error(count(
            Dialect::Sqlite,
            &note(),
            &[Where::ends_with("count", "1")],
        ));
        assert!(message.contains("not text"), "{message}");
    }

    #[test]
    fn sqlite_compares_and_sorts_dates_as_epoch_milliseconds() {
        let (sql, args) = where_sql(Dialect::Sqlite, &[Where::lt("dueAt", T)]);
        assert!(
            sql.starts_with(r#" WHERE ((CASE WHEN typeof("dueAt") = 'integer'"#),
            "{sql}"
        );
        assert_eq!(args, [Value::Int(Some(timefmt::to_epoch_ms(T)))]);
        let (sql, args) = where_sql(Dialect::Postgres, &[Where::lt("dueAt", T)]);
        assert_eq!(sql, r#" WHERE ("dueAt" < $1)"#);
        assert_eq!(args, [Value::Date(Some(T))]);

        let page = select(
            Dialect::Sqlite,
            &note(),
            &[],
            Some(&SortBy::desc("createdAt")),
            10,
            20,
        )
        .unwrap();
        assert!(
            page.sql
                .contains(r#"ORDER BY (CASE WHEN typeof("createdAt")"#)
        );
        assert!(page.sql.ends_with(r#" DESC, "id" ASC LIMIT $1 OFFSET $2"#));
        assert_eq!(page.args, [Value::Int(Some(10)), Value::Int(Some(20))]);
    }

    #[test]
    fn update_sets_then_filters_and_compare_and_set_guards_the_column() {
        let statement = compare_and_set(
            Dialect::Postgres,
            &note(),
            &[Where::eq("id", "n1")],
            "count",
            &RowValue::Int(4),
            &RowValue::Int(5),
        )
        .unwrap();
        assert_eq!(
            statement.sql,
            r#"UPDATE "testNote" SET "count" = $1 WHERE ("id" = $2 AND "count" = $3)"#
        );
        assert_eq!(
            statement.args,
            [Value::Int(Some(5)), Value::text("n1"), Value::Int(Some(4))]
        );
        let message = schema_error(update(
            Dialect::Postgres,
            &note(),
            &[],
            &Row::new().with("text", RowValue::Null),
            false,
        ));
        assert!(message.contains("cannot be set to NULL"), "{message}");
    }

    #[test]
    fn an_unknown_table_is_named() {
        let tables = [note()];
        let Err(StoreError::Schema(message)) = table(&tables, "organization") else {
            panic!("expected a schema error");
        };
        assert!(message.contains(r#""organization""#), "{message}");
    }
}
