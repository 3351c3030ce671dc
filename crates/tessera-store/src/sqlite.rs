//! SQLite encoding: dates as Better Auth's ISO-8601 text with milliseconds, booleans as 0/1; reading
//! also accepts integer epoch milliseconds (Drizzle's `timestamp_ms`) and text booleans.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteArguments, SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteRow, SqliteSynchronous, SqliteValueRef,
};
use sqlx::{Decode, Row, Sqlite, TypeInfo, ValueRef};
use tessera_core::schema::Column;
use tessera_core::timefmt;

use crate::sqlite_cells::{Stored, decode_cell};
use crate::sqlite_import::ImportWriter;
use crate::sqlite_inline::InlineReader;
use crate::value::{Cell, Value};
use crate::{OpenOptions, StoreError, StoreResult};

pub(crate) type Query<'q> = sqlx::query::Query<'q, Sqlite, SqliteArguments<'q>>;

/// SQLite's default `SQLITE_MAX_VARIABLE_NUMBER` since 3.32.
pub(crate) const MAX_VARIABLES: usize = 32766;

/// A writer pool of one connection (SQLite has one writer at a time; queuing in the pool is cheaper
/// than busy-waiting in SQLite) and a reader pool, concurrent under WAL.
pub(crate) struct Pools {
    pub read: SqlitePool,
    pub write: SqlitePool,
    /// Reads by a unique key, on the calling thread; `None` for an in-memory database, whose
    /// readers must share the writer's connection.
    pub inline: Option<InlineReader>,
    /// The importer's writer (`sqlite_import`); `None` in memory, like `inline`.
    pub import: Option<Arc<ImportWriter>>,
}

pub(crate) async fn connect(url: &str, options: &OpenOptions) -> StoreResult<Pools> {
    let connect = SqliteConnectOptions::from_str(url)
        .map_err(|e| StoreError::Url(format!("{url}: {e}")))?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // NORMAL is durable under WAL except for the last transactions before a power loss, and is
        // what keeps a million-user import within seconds.
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(options.busy_timeout)
        .foreign_keys(true);
    let in_memory = url.contains(":memory:") || url.contains("mode=memory");
    // A SQLite connection is a file handle that cannot go stale, so the pool's liveness ping
    // before every acquire would only add a round trip to the connection's worker thread (on the
    // get-session hot path, a large share of the request).
    let write = SqlitePoolOptions::new()
        .max_connections(1)
        .test_before_acquire(false)
        .acquire_timeout(options.acquire_timeout)
        // Negative means KiB: 64 MiB of page cache keeps the unique indexes (email, username,
        // phone number, ids) of a large import in memory instead of re-reading them per batch.
        .connect_with(connect.clone().pragma("cache_size", "-65536"))
        .await?;
    // Every in-memory connection is its own database: readers must share the writer's.
    if in_memory {
        return Ok(Pools {
            read: write.clone(),
            write,
            inline: None,
            import: None,
        });
    }
    let read = SqlitePoolOptions::new()
        .max_connections(options.pool_size.unwrap_or(DEFAULT_READERS).max(1))
        .test_before_acquire(false)
        .acquire_timeout(options.acquire_timeout)
        .idle_timeout(Some(Duration::from_secs(600)))
        .connect_with(connect.clone())
        .await?;
    let inline = Some(InlineReader::new(
        connect.get_filename(),
        options.busy_timeout,
    ));
    let import = Some(ImportWriter::new(
        connect.get_filename(),
        options.busy_timeout,
    ));
    Ok(Pools {
        read,
        write,
        inline,
        import,
    })
}

const DEFAULT_READERS: u32 = 4;

pub(crate) fn bind(query: Query<'_>, value: Value) -> Query<'_> {
    match value {
        Value::Text(s) => query.bind(s),
        Value::Bool(b) => query.bind(b),
        Value::Date(t) => query.bind(t.map(timefmt::to_iso_ms)),
        Value::Int(n) => query.bind(n),
        Value::Real(n) => query.bind(n),
        // Better Auth's SQLite adapter has no JSON type: it stores `JSON.stringify(value)`.
        Value::Json(v) => query.bind(v.map(|v| v.to_string())),
    }
}

pub(crate) fn decode_row(row: &SqliteRow, shape: &[Column]) -> Result<Vec<Cell>, String> {
    shape
        .iter()
        .enumerate()
        .map(|(i, column)| {
            let raw = row
                .try_get_raw(i)
                .map_err(|e| format!("{}: {e}", column.name))?;
            stored(raw)
                .and_then(|value| decode_cell(value, column.ty))
                .map_err(|e| format!("{}: {e}", column.name))
        })
        .collect()
}

fn stored(raw: SqliteValueRef<'_>) -> Result<Stored<'_>, String> {
    if raw.is_null() {
        return Ok(Stored::Null);
    }
    let storage = raw.type_info().name().to_owned();
    Ok(match storage.as_str() {
        "INTEGER" => {
            Stored::Integer(<i64 as Decode<Sqlite>>::decode(raw).map_err(|e| e.to_string())?)
        }
        "REAL" => Stored::Real(<f64 as Decode<Sqlite>>::decode(raw).map_err(|e| e.to_string())?),
        "TEXT" => Stored::Text(<&str as Decode<Sqlite>>::decode(raw).map_err(|e| e.to_string())?),
        _ => Stored::Blob,
    })
}

/// `UNIQUE constraint failed: user.email` → `email`.
pub(crate) fn unique_violation_column(message: &str) -> Option<String> {
    let columns = message.split("UNIQUE constraint failed:").nth(1)?;
    let first = columns.split(',').next()?.trim();
    Some(first.rsplit('.').next().unwrap_or(first).to_owned())
}
