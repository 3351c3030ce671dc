//! The importer's batch write: one transaction per batch, `ON CONFLICT DO NOTHING` so that a rerun
//! writes only what is missing.
//!
//! A user skipped because its id, email, username or phone number is taken keeps its accounts and
//! twoFactor row out too: they would otherwise attach to the existing user (or break its foreign key).
//! Rows for users outside the batch are inserted as given.
//!
//! A SQLite file is written through rusqlite on a blocking thread ([`crate::sqlite_import`]).
//! PostgreSQL (and in-memory SQLite, whose one connection is sqlx's) takes multi-row inserts as
//! large as the bind-parameter limit allows; the arguments of the next statement are built while the
//! database runs the current one, so the caller's thread and the database's overlap.

use std::collections::HashSet;

use tessera_core::model::{Account, TwoFactor, User};
use tessera_core::schema::Column;

use crate::db::{Db, Shape, Target, Tx};
use crate::ddl::quote;
use crate::queries::{TableSql, insert, names};
use crate::record::{self, Fields};
use crate::sql_handle::SqlStore;
use crate::sqlite_import::Inserts;
use crate::value::{Cell, Value};
use crate::{
    BatchOutcome, Dialect, ImportBatch, ImportedRows, StoreError, StoreResult, postgres, sqlite,
};

pub(crate) async fn insert_batch(
    store: &SqlStore,
    batch: ImportBatch,
) -> StoreResult<BatchOutcome> {
    let Db::Sqlite(sqlite::Pools {
        write,
        import: Some(writer),
        ..
    }) = &store.db
    else {
        return write_batch(store, batch).await;
    };
    let q = &store.q;
    let inserts = Inserts::new(&q.user, &q.account, q.two_factor.as_ref());
    // Held for the batch: this process's other writes wait for the pool instead of for SQLite's lock.
    let _writer_turn = write.acquire().await?;
    let writer = writer.clone();
    tokio::task::spawn_blocking(move || writer.write(&inserts, batch))
        .await
        .map_err(|e| StoreError::Inline(format!("the import writer thread failed: {e}")))?
}

async fn write_batch(store: &SqlStore, batch: ImportBatch) -> StoreResult<BatchOutcome> {
    let (users, accounts, two_factors) = (&batch.users, &batch.accounts, &batch.two_factors);
    let q = &store.q;
    let max_variables = match q.dialect {
        Dialect::Sqlite => sqlite::MAX_VARIABLES,
        Dialect::Postgres => postgres::MAX_VARIABLES,
    };
    let two_factor_table = if two_factors.is_empty() {
        None
    } else {
        Some(store_two_factor(store)?)
    };

    let mut tx = store.db.begin().await?;
    let mut inserted = HashSet::new();
    let mut chunks = users.chunks(rows_per_statement(max_variables, &q.user));
    let build = |chunk: Option<&[User]>| {
        chunk
            .map(|c| {
                Ok::<_, StoreError>((c.len(), flat_values(c.iter(), &q.user, record::user_value)?))
            })
            .transpose()
    };
    let mut next = build(chunks.next())?;
    while let Some((rows, args)) = next.take() {
        let sql = format!(
            r#"{} ON CONFLICT DO NOTHING RETURNING "id""#,
            insert(q.dialect, q.user.name, &names(&q.user.insert_columns), rows)
        );
        let shape = Shape {
            table: q.user.name,
            columns: &[Column::string("id")],
        };
        let (returned, built) = futures::join!(tx.fetch_all(&sql, args, shape), async {
            build(chunks.next())
        });
        next = built?;
        for row in returned? {
            if let Some(Cell::Text(id)) = row.into_iter().next() {
                inserted.insert(id);
            }
        }
    }

    let in_batch: HashSet<&str> = users.iter().map(|u| u.id.as_str()).collect();
    let belongs = |user_id: &str| !in_batch.contains(user_id) || inserted.contains(user_id);

    let accounts: Vec<&Account> = accounts.iter().filter(|a| belongs(&a.user_id)).collect();
    let inserted_accounts = insert_ignoring_conflicts(
        &mut tx,
        q.dialect,
        max_variables,
        &q.account,
        &accounts,
        record::account_value,
    )
    .await?;
    let mut inserted_two_factors = 0;
    if let Some(table) = two_factor_table {
        let rows: Vec<&TwoFactor> = two_factors.iter().filter(|t| belongs(&t.user_id)).collect();
        inserted_two_factors = insert_ignoring_conflicts(
            &mut tx,
            q.dialect,
            max_variables,
            table,
            &rows,
            record::two_factor_value,
        )
        .await?;
    }
    tx.commit().await?;

    let user_inserted = users.iter().map(|u| inserted.contains(&u.id)).collect();
    Ok(BatchOutcome {
        batch,
        user_inserted,
        inserted_accounts,
        inserted_two_factors,
    })
}

fn store_two_factor(store: &SqlStore) -> StoreResult<&TableSql> {
    store.q.two_factor.as_ref().ok_or_else(|| {
        StoreError::Schema(
            "twoFactor rows given, but the two-factor plugin is not enabled".to_owned(),
        )
    })
}

fn rows_per_statement(max_variables: usize, table: &TableSql) -> usize {
    (max_variables / table.insert_columns.len().max(1)).max(1)
}

/// The insert arguments of `rows`, row after row.
fn flat_values<'a, T: 'a>(
    rows: impl ExactSizeIterator<Item = &'a T>,
    table: &TableSql,
    value: fn(&T, &Column) -> Option<Value>,
) -> StoreResult<Vec<Value>> {
    let mut args = Vec::with_capacity(rows.len() * table.insert_columns.len());
    for row in rows {
        args.extend(record::values(row, &table.insert_columns, value)?);
    }
    Ok(args)
}

async fn insert_ignoring_conflicts<T>(
    tx: &mut Tx,
    dialect: Dialect,
    max_variables: usize,
    table: &TableSql,
    rows: &[&T],
    value: fn(&T, &Column) -> Option<Value>,
) -> StoreResult<u64> {
    let mut inserted = 0;
    let mut chunks = rows.chunks(rows_per_statement(max_variables, table));
    let build = |chunk: Option<&[&T]>| {
        chunk
            .map(|c| Ok::<_, StoreError>((c.len(), flat_values(c.iter().copied(), table, value)?)))
            .transpose()
    };
    let mut next = build(chunks.next())?;
    while let Some((rows, args)) = next.take() {
        let sql = format!(
            "{} ON CONFLICT DO NOTHING",
            insert(dialect, table.name, &names(&table.insert_columns), rows)
        );
        let (executed, built) =
            futures::join!(tx.execute(&sql, args), async { build(chunks.next()) });
        next = built?;
        inserted += executed?;
    }
    Ok(inserted)
}

/// Keys per `IN (…)` list: far under either dialect's bind limit, and short enough to plan fast.
const KEYS_PER_QUERY: usize = 2000;

/// `SELECT <columns> FROM <table> WHERE <column> IN (<n placeholders>)`.
fn select_in(dialect: Dialect, select: &str, table: &str, column: &str, n: usize) -> String {
    let mut sql = format!(
        "SELECT {select} FROM {} WHERE {} IN (",
        quote(table),
        quote(column)
    );
    for i in 0..n {
        if i > 0 {
            sql.push_str(", ");
        }
        match dialect {
            Dialect::Sqlite => sql.push('?'),
            Dialect::Postgres => sql.push_str(&format!("${}", i + 1)),
        }
    }
    sql.push(')');
    sql
}

fn keys(chunk: &[&str]) -> Vec<Value> {
    chunk.iter().map(|k| Value::text(k)).collect()
}

pub(crate) async fn existing_user_ids(store: &SqlStore, ids: &[&str]) -> StoreResult<Vec<String>> {
    let q = &store.q;
    let columns = [Column::string("id")];
    let mut found = Vec::new();
    for chunk in ids.chunks(KEYS_PER_QUERY) {
        let sql = select_in(q.dialect, &quote("id"), q.user.name, "id", chunk.len());
        let shape = Shape {
            table: q.user.name,
            columns: &columns,
        };
        // The writer, so that a rerun sees what the batch before it just committed.
        for row in store
            .db
            .fetch_all(Target::Write, &sql, keys(chunk), shape)
            .await?
        {
            if let Some(Cell::Text(id)) = row.into_iter().next() {
                found.push(id);
            }
        }
    }
    Ok(found)
}

async fn rows_where_in<T>(
    store: &SqlStore,
    table: &TableSql,
    column: &str,
    keys_: &[&str],
    map: fn(&Fields<'_>) -> StoreResult<T>,
) -> StoreResult<Vec<T>> {
    let mut out = Vec::new();
    for chunk in keys_.chunks(KEYS_PER_QUERY) {
        let sql = select_in(
            store.q.dialect,
            &table.select,
            table.name,
            column,
            chunk.len(),
        );
        let shape = Shape {
            table: table.name,
            columns: &table.columns,
        };
        for cells in store
            .db
            .fetch_all(Target::Read, &sql, keys(chunk), shape)
            .await?
        {
            out.push(map(&Fields::new(table, &cells))?);
        }
    }
    Ok(out)
}

pub(crate) async fn find_rows(store: &SqlStore, user_ids: &[&str]) -> StoreResult<ImportedRows> {
    let q = &store.q;
    let users = rows_where_in(store, &q.user, "id", user_ids, record::user).await?;
    let accounts = rows_where_in(store, &q.account, "userId", user_ids, record::account).await?;
    let two_factors = match &q.two_factor {
        Some(table) => rows_where_in(store, table, "userId", user_ids, record::two_factor).await?,
        None => Vec::new(),
    };
    Ok(ImportedRows {
        users,
        accounts,
        two_factors,
    })
}
