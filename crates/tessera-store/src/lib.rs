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
mod sql_store;
mod sqlite;
mod sqlite_import;
mod sqlite_inline;
mod store;
mod value;

pub use list_users::{
    FilterOperator, FilterValue, ListUsersQuery, SearchField, TextOperator, UserFilter, UserSearch,
    UserSort,
};
pub use migrate::{MigrationReport, migrate};
pub use store::{BatchOutcome, Dialect, ImportBatch, ImportedRows, Store, StoreError, StoreResult};

use std::sync::Arc;
use std::time::Duration;

use tessera_core::schema::{self, Schema};

use crate::db::Db;
use crate::introspect::LiveSchema;
use crate::queries::Queries;
use crate::sql_store::SqlStore;

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
}

impl Default for OpenOptions {
    fn default() -> OpenOptions {
        OpenOptions {
            pool_size: None,
            acquire_timeout: Duration::from_secs(30),
            busy_timeout: Duration::from_secs(5),
            migrate: false,
        }
    }
}

/// Opens `sqlite://path` (the file is created if missing; WAL, `busy_timeout`, foreign keys on) or
/// `postgres://…`. Refuses a database that lacks a table or column the schema needs (the enabled
/// plugins' and the configured additional fields'), naming it, so that a missing `tessera migrate`
/// shows at start-up rather than on the first request.
pub async fn open(
    url: &str,
    schema: impl Into<Schema>,
    options: OpenOptions,
) -> StoreResult<Arc<dyn Store>> {
    let schema = schema.into();
    let db = Db::connect(url, &options).await?;
    match prepare(&db, &schema, &options).await {
        Ok(queries) => Ok(Arc::new(SqlStore { db, q: queries })),
        Err(e) => {
            db.close().await;
            Err(e)
        }
    }
}

async fn prepare(db: &Db, schema: &Schema, options: &OpenOptions) -> StoreResult<Queries> {
    if options.migrate {
        let report = migrate::run(db, schema, true).await?;
        if !report.is_up_to_date() {
            tracing::info!(%report, "migrated the database schema");
        }
    }
    let live = introspect::introspect(db).await?;
    check_schema(&live, schema)?;
    let issuer = live
        .column(schema::ACCOUNT, schema::LEGACY_ACCOUNT_ISSUER)
        .is_some();
    Queries::new(db.dialect(), schema, issuer)
}

fn check_schema(live: &LiveSchema, schema: &Schema) -> StoreResult<()> {
    let mut missing = vec![];
    for table in schema.tables() {
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
