//! Persistence for Tessera.
//!
//! Only this crate writes SQL. [`Store`] is what the server and the importer see; [`open`] returns
//! the SQLite or PostgreSQL implementation for a database URL. Both dialects pass one shared test
//! suite (`tests/`), which runs on SQLite always and on PostgreSQL whenever
//! `TESSERA_TEST_POSTGRES_URL` is set.
//!
//! - [`ddl::generate`]: Better Auth's DDL for the enabled plugins (`tessera generate`).
//! - [`migrate()`]: create what is missing in a live database (`tessera migrate`); [`migrate::plan`]
//!   says what it would do.
//! - [`open`]: the store, with every query built once from the schema of the enabled plugins.
//! - [`row`]: rows of any table in Better Auth's adapter shape ([`Store::create_row`],
//!   [`Store::find_rows`], …), so a plugin's own table needs no new `Store` method. Such a table
//!   is a [`schema::Table`] value given to [`OpenOptions::extra_tables`] and [`migrate_with`].
//!
//! On disk, values are exactly what Better Auth's Kysely adapter writes (reference §1.3): SQLite
//! dates as ISO-8601 text with milliseconds and booleans as 0/1; PostgreSQL timestamptz and boolean.
//! Dates that other adapters wrote as epoch milliseconds are read too. A value that cannot be read
//! is [`StoreError::Corrupt`].

mod availability;
mod db;
pub mod ddl;
mod import;
mod introspect;
mod list_users;
pub mod migrate;
mod postgres;
mod queries;
mod record;
pub mod row;
mod row_sql;
mod rows;
mod shape;
mod sql_handle;
mod sql_store;
mod sqlite;
mod sqlite_cells;
mod sqlite_import;
mod sqlite_inline;
mod store;
mod value;

pub use list_users::{
    FilterOperator, FilterValue, ListUsersQuery, SearchField, TextOperator, UserFilter, UserSearch,
    UserSort,
};
pub use migrate::{MigrationReport, migrate, migrate_with};
pub use row::{
    Connector, DEFAULT_FIND_MANY_LIMIT, FindMany, Row, RowValue, SortBy, SortDirection, Where,
    WhereValue,
};
pub use store::{BatchOutcome, Dialect, ImportBatch, ImportedRows, Store, StoreError, StoreResult};

use std::sync::Arc;
use std::time::Duration;

use tessera_core::schema::{self, Schema, Table};

use crate::db::Db;
use crate::introspect::LiveSchema;
use crate::queries::Queries;
use crate::sql_handle::SqlStore;

#[derive(Debug, Clone)]
pub struct OpenOptions {
    /// PostgreSQL: connections in the pool (default 10). SQLite: reader connections (default 4);
    /// SQLite always writes through a single connection.
    pub pool_size: Option<u32>,
    pub acquire_timeout: Duration,
    /// SQLite: how long a statement waits for another process's lock before failing.
    pub busy_timeout: Duration,
    /// Run [`migrate()`] before opening. Off by default: like Better Auth, schema changes are an
    /// explicit step.
    pub migrate: bool,
    /// Tables beyond Better Auth's for the enabled plugins: a plugin's own (see [`all_tables`]).
    /// The store checks they exist, `migrate` creates them, and the row API reaches them.
    pub extra_tables: Vec<Table>,
}

impl Default for OpenOptions {
    fn default() -> OpenOptions {
        OpenOptions {
            pool_size: None,
            acquire_timeout: Duration::from_secs(30),
            busy_timeout: Duration::from_secs(5),
            migrate: false,
            extra_tables: vec![],
        }
    }
}

/// Opens `sqlite://path` (the file is created if missing; WAL, `busy_timeout`, foreign keys on) or
/// `postgres://…`. Refuses a database that lacks a table or column the schema needs (the enabled
/// plugins', the configured additional fields' and [`OpenOptions::extra_tables`]), naming it, so
/// that a missing `tessera migrate` shows at start-up rather than on the first request.
pub async fn open(
    url: &str,
    schema: impl Into<Schema>,
    options: OpenOptions,
) -> StoreResult<Arc<dyn Store>> {
    let mut schema = schema.into();
    schema
        .extra_tables
        .extend(options.extra_tables.iter().cloned());
    let tables = all_tables(&schema)?;
    let db = Db::connect(url, &options).await?;
    match prepare(&db, &schema, &tables, &options).await {
        Ok(queries) => Ok(Arc::new(SqlStore {
            db,
            q: queries,
            tables,
        })),
        Err(e) => {
            db.close().await;
            Err(e)
        }
    }
}

/// The tables of a store: Better Auth's for the schema, then its `extra_tables` (plugins' own
/// tables) in the order given, which is the order `generate` and `migrate` create them in.
/// Refuses a table declared twice, a column declared twice, and a reference to a table not in the
/// list.
pub fn all_tables(schema: &Schema) -> StoreResult<Vec<Table>> {
    let tables = schema.tables();
    for (i, table) in tables.iter().enumerate() {
        if tables.iter().skip(i + 1).any(|t| t.name == table.name) {
            return Err(StoreError::Schema(format!(
                "table {} is declared twice",
                table.name
            )));
        }
    }
    for table in &tables {
        for (i, column) in table.columns.iter().enumerate() {
            if table
                .columns
                .iter()
                .skip(i + 1)
                .any(|c| c.name == column.name)
            {
                return Err(StoreError::Schema(format!(
                    "column {}.{} is declared twice",
                    table.name, column.name
                )));
            }
            if let Some(reference) = column.references
                && !tables.iter().any(|t| t.name == reference.table)
            {
                return Err(StoreError::Schema(format!(
                    "{}.{} references table {}, which is not in the schema",
                    table.name, column.name, reference.table
                )));
            }
        }
    }
    Ok(tables)
}

async fn prepare(
    db: &Db,
    schema: &Schema,
    tables: &[Table],
    options: &OpenOptions,
) -> StoreResult<Queries> {
    if options.migrate {
        let report = migrate::run(db, tables, &schema.query_indexes(), true).await?;
        if !report.is_up_to_date() {
            tracing::info!(%report, "migrated the database schema");
        }
    }
    let live = introspect::introspect(db).await?;
    check_schema(&live, tables)?;
    let issuer = live
        .column(schema::ACCOUNT, schema::LEGACY_ACCOUNT_ISSUER)
        .is_some();
    Queries::new(db.dialect(), schema, issuer)
}

fn check_schema(live: &LiveSchema, tables: &[Table]) -> StoreResult<()> {
    let mut missing = vec![];
    for table in tables {
        if live.columns(table.name).is_none() {
            missing.push(format!("table {}", table.name));
            continue;
        }
        missing.extend(
            table
                .columns
                .iter()
                .filter(|c| live.column(table.name, &c.name).is_none())
                .map(|c| format!("column {}.{}", table.name, c.name)),
        );
    }
    if missing.is_empty() {
        return Ok(());
    }
    Err(StoreError::Schema(format!(
        "the database lacks {}; run `tessera migrate`",
        missing.join(", ")
    )))
}
