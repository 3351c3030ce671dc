//! The row API of [`Store`](crate::Store) over SQL: look the table up among those the store was
//! opened with, build the statement ([`crate::row_sql`]), run it on either dialect ([`Db`]).
//!
//! Everything goes through sqlx, on SQLite too: these are a plugin's reads and writes, not a hot
//! path like get-session's point read (`sqlite_inline`). Reads go to SQLite's reader pool and
//! writes to its one writer, as every other query.

use tessera_core::schema::{self, Column, Table};
use tessera_core::timefmt;

use crate::db::{Shape, Target};
use crate::row::{DEFAULT_FIND_MANY_LIMIT, FindMany, Row, RowValue, Where};
use crate::row_sql::{self, Statement};
use crate::sql_handle::SqlStore;
use crate::value::{Cell, Value};
use crate::{StoreError, StoreResult};

pub(crate) async fn create(store: &SqlStore, table: &str, row: &Row) -> StoreResult<Row> {
    let table = row_sql::table(&store.tables, table)?;
    let legacy = legacy_columns(store, table, row);
    let statement = row_sql::insert(table, row, timefmt::now_ms(), legacy)?;
    let created = fetch(store, Target::Write, table, statement).await?;
    created
        .into_iter()
        .next()
        .ok_or_else(|| StoreError::Corrupt {
            table: table.name,
            reason: "the insert returned no row".to_owned(),
        })
}

/// Parameters per statement. Far under SQLite's 32,766 and PostgreSQL's 65,535: sqlx binds a
/// SQLite `$n` by looking its name up among all the statement's parameters, so a statement's
/// binding cost grows with the square of its parameters (5,000 a statement spent half the
/// import's time in `sqlite3_bind_parameter_name`).
const PARAMETERS_PER_STATEMENT: usize = 1_000;

pub(crate) async fn create_many_if_absent(
    store: &SqlStore,
    table: &str,
    rows: &[Row],
) -> StoreResult<u64> {
    let table = row_sql::table(&store.tables, table)?;
    let per_statement = (PARAMETERS_PER_STATEMENT / table.columns.len().max(1)).clamp(1, 1_000);
    let mut inserted = 0;
    for chunk in rows.chunks(per_statement) {
        let statement = row_sql::insert_many_if_absent(table, chunk, timefmt::now_ms())?;
        inserted += fetch(store, Target::Write, table, statement).await?.len() as u64;
    }
    Ok(inserted)
}

pub(crate) async fn find_one(
    store: &SqlStore,
    table: &str,
    filter: &[Where],
) -> StoreResult<Option<Row>> {
    let table = row_sql::table(&store.tables, table)?;
    let statement = row_sql::select(store.db.dialect(), table, filter, None, 1, 0)?;
    let rows = fetch(store, Target::Read, table, statement).await?;
    Ok(rows.into_iter().next())
}

pub(crate) async fn find_many(
    store: &SqlStore,
    table: &str,
    query: &FindMany,
) -> StoreResult<Vec<Row>> {
    let table = row_sql::table(&store.tables, table)?;
    let statement = row_sql::select(
        store.db.dialect(),
        table,
        &query.filter,
        query.sort_by.as_ref(),
        query.limit.unwrap_or(DEFAULT_FIND_MANY_LIMIT),
        query.offset.unwrap_or(0),
    )?;
    fetch(store, Target::Read, table, statement).await
}

pub(crate) async fn count(store: &SqlStore, table: &str, filter: &[Where]) -> StoreResult<u64> {
    let table = row_sql::table(&store.tables, table)?;
    let statement = row_sql::count(store.db.dialect(), table, filter)?;
    let shape = Shape {
        table: table.name,
        columns: &[Column::big_number("count")],
    };
    let rows = store
        .db
        .fetch_rows(&statement.sql, statement.args, shape)
        .await?;
    Ok(match rows.first().map(Vec::as_slice) {
        Some([Cell::Int(n)]) => u64::try_from(*n).unwrap_or_default(),
        _ => 0,
    })
}

pub(crate) async fn update_one(
    store: &SqlStore,
    table: &str,
    filter: &[Where],
    changes: &Row,
) -> StoreResult<Option<Row>> {
    let table = row_sql::table(&store.tables, table)?;
    // As Better Auth's `update`: no condition is a mistake, not a request to update every row.
    if filter.is_empty() {
        return Ok(None);
    }
    let statement = row_sql::update(store.db.dialect(), table, filter, changes, true)?;
    let updated = fetch(store, Target::Write, table, statement).await?;
    Ok(updated.into_iter().next())
}

pub(crate) async fn update_many(
    store: &SqlStore,
    table: &str,
    filter: &[Where],
    changes: &Row,
) -> StoreResult<u64> {
    let table = row_sql::table(&store.tables, table)?;
    let statement = row_sql::update(store.db.dialect(), table, filter, changes, false)?;
    store.db.execute(&statement.sql, statement.args).await
}

pub(crate) async fn delete_one(
    store: &SqlStore,
    table: &str,
    filter: &[Where],
) -> StoreResult<bool> {
    let table = row_sql::table(&store.tables, table)?;
    // Like `update_one`: emptying a table takes `delete_many`, said on purpose.
    if filter.is_empty() {
        return Ok(false);
    }
    let statement = row_sql::delete(store.db.dialect(), table, filter)?;
    Ok(store.db.execute(&statement.sql, statement.args).await? > 0)
}

pub(crate) async fn delete_many(
    store: &SqlStore,
    table: &str,
    filter: &[Where],
) -> StoreResult<u64> {
    let table = row_sql::table(&store.tables, table)?;
    let statement = row_sql::delete(store.db.dialect(), table, filter)?;
    store.db.execute(&statement.sql, statement.args).await
}

pub(crate) async fn compare_and_set(
    store: &SqlStore,
    table: &str,
    filter: &[Where],
    column: &str,
    expected: &RowValue,
    new: &RowValue,
) -> StoreResult<bool> {
    let table = row_sql::table(&store.tables, table)?;
    let statement =
        row_sql::compare_and_set(store.db.dialect(), table, filter, column, expected, new)?;
    Ok(store.db.execute(&statement.sql, statement.args).await? > 0)
}

async fn fetch(
    store: &SqlStore,
    target: Target,
    table: &Table,
    statement: Statement,
) -> StoreResult<Vec<Row>> {
    let shape = Shape {
        table: table.name,
        columns: &table.columns,
    };
    let rows = match target {
        Target::Read => {
            store
                .db
                .fetch_rows(&statement.sql, statement.args, shape)
                .await?
        }
        Target::Write => {
            store
                .db
                .fetch_all(target, &statement.sql, statement.args, shape)
                .await?
        }
    };
    Ok(rows
        .into_iter()
        .map(|cells| {
            table
                .columns
                .iter()
                .zip(cells)
                .map(|(column, cell)| (column.name.to_string(), field_value(cell)))
                .collect()
        })
        .collect())
}

fn field_value(cell: Cell) -> RowValue {
    match cell {
        Cell::Null => RowValue::Null,
        Cell::Text(s) => RowValue::Text(s),
        Cell::Bool(b) => RowValue::Bool(b),
        Cell::Int(n) => RowValue::Int(n),
        Cell::Date(t) => RowValue::Date(t),
        Cell::Real(x) => RowValue::Real(x),
        Cell::Json(v) => RowValue::Json(v),
    }
}

/// A database migrated by Better Auth 1.7.0–1.7.2 requires `account.issuer`, which the schema no
/// longer has: an account created here fills it as the named queries do.
fn legacy_columns(store: &SqlStore, table: &Table, row: &Row) -> Vec<(&'static str, Value)> {
    let has_issuer = store
        .q
        .account
        .insert_columns
        .iter()
        .any(|c| c.name == schema::LEGACY_ACCOUNT_ISSUER);
    match row.text("providerId") {
        Some(provider) if table.name == schema::ACCOUNT && has_issuer => vec![(
            schema::LEGACY_ACCOUNT_ISSUER,
            Value::Text(Some(schema::legacy_account_issuer(provider))),
        )],
        _ => vec![],
    }
}
