//! The importer's batch write: one transaction per batch, multi-row inserts as large as the dialect's
//! bind-parameter limit allows, `ON CONFLICT DO NOTHING` so that a rerun writes only what is missing.
//!
//! A user skipped because its id, email, username or phone number is taken keeps its accounts and
//! twoFactor row out too: they would otherwise attach to the existing user (or break its foreign key).
//! Rows for users outside the batch are inserted as given.

use std::collections::HashSet;

use tessera_core::model::{Account, TwoFactor, User};
use tessera_core::schema::Column;

use crate::db::{Shape, Tx};
use crate::queries::{TableSql, insert};
use crate::record;
use crate::sql_store::SqlStore;
use crate::value::{Cell, Value};
use crate::{BatchOutcome, Dialect, StoreError, StoreResult, postgres, sqlite};

pub(crate) async fn insert_batch(
    store: &SqlStore,
    users: &[User],
    accounts: &[Account],
    two_factors: &[TwoFactor],
) -> StoreResult<BatchOutcome> {
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
    for chunk in users.chunks(rows_per_statement(max_variables, &q.user)) {
        let sql = format!(
            r#"{} ON CONFLICT DO NOTHING RETURNING "id""#,
            insert(q.dialect, q.user.name, &q.user.insert_columns, chunk.len())
        );
        let args = flat_values(chunk.iter(), &q.user, record::user_value)?;
        let shape = Shape {
            table: q.user.name,
            columns: &[Column::string("id")],
        };
        for row in tx.fetch_all(&sql, args, shape).await? {
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

    Ok(BatchOutcome {
        inserted_user_ids: users
            .iter()
            .filter(|u| inserted.contains(&u.id))
            .map(|u| u.id.clone())
            .collect(),
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
    value: fn(&T, &str) -> Option<Value>,
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
    value: fn(&T, &str) -> Option<Value>,
) -> StoreResult<u64> {
    let mut inserted = 0;
    for chunk in rows.chunks(rows_per_statement(max_variables, table)) {
        let sql = format!(
            "{} ON CONFLICT DO NOTHING",
            insert(dialect, table.name, &table.insert_columns, chunk.len())
        );
        let args = flat_values(chunk.iter().copied(), table, value)?;
        inserted += tx.execute(&sql, args).await?;
    }
    Ok(inserted)
}
