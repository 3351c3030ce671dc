//! The only place that knows there are two sqlx drivers: [`Db`] and [`Tx`] run one SQL text (with
//! `$n` placeholders, which SQLite accepts too) on either, binding [`Value`]s and decoding rows into
//! [`Cell`]s by the schema column each result column stands for.

use sqlx::error::ErrorKind;
use sqlx::postgres::{PgDatabaseError, PgPool};
use sqlx::{Postgres, Sqlite, Transaction};
use tessera_core::schema::Column;

pub(crate) use crate::shape::Shape;
use crate::value::{Cell, Value};
use crate::{Dialect, OpenOptions, StoreError, StoreResult, postgres, sqlite};

/// Reads may go to SQLite's reader pool; anything that writes, or must see its own writes, goes to the
/// writer.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    Read,
    Write,
}

pub(crate) enum Db {
    Sqlite(sqlite::Pools),
    Postgres(PgPool),
}

pub(crate) enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

impl Db {
    pub(crate) async fn connect(url: &str, options: &OpenOptions) -> StoreResult<Db> {
        match dialect_of(url)? {
            Dialect::Sqlite => Ok(Db::Sqlite(sqlite::connect(url, options).await?)),
            Dialect::Postgres => Ok(Db::Postgres(postgres::connect(url, options).await?)),
        }
    }

    pub(crate) fn dialect(&self) -> Dialect {
        match self {
            Db::Sqlite(_) => Dialect::Sqlite,
            Db::Postgres(_) => Dialect::Postgres,
        }
    }

    pub(crate) async fn fetch_all(
        &self,
        target: Target,
        sql: &str,
        args: Vec<Value>,
        shape: Shape<'_>,
    ) -> StoreResult<Vec<Vec<Cell>>> {
        match self {
            Db::Sqlite(pools) => {
                let pool = match target {
                    Target::Read => &pools.read,
                    Target::Write => &pools.write,
                };
                let rows = sqlite_query(sql, args)
                    .fetch_all(pool)
                    .await
                    .map_err(map_error)?;
                decode(&rows, shape, sqlite::decode_row)
            }
            Db::Postgres(pool) => {
                let rows = postgres_query(sql, args)
                    .fetch_all(pool)
                    .await
                    .map_err(map_error)?;
                decode(&rows, shape, postgres::decode_row)
            }
        }
    }

    pub(crate) async fn fetch_optional(
        &self,
        target: Target,
        sql: &str,
        args: Vec<Value>,
        shape: Shape<'_>,
    ) -> StoreResult<Option<Vec<Cell>>> {
        let rows = self.fetch_all(target, sql, args, shape).await?;
        Ok(rows.into_iter().next())
    }

    /// A read by a unique key (at most one row, found through an index). SQLite answers it on the
    /// calling thread (`sqlite_inline`); PostgreSQL as any other read.
    pub(crate) async fn fetch_by_key(
        &self,
        sql: &str,
        args: Vec<Value>,
        shape: Shape<'_>,
    ) -> StoreResult<Option<Vec<Cell>>> {
        let rows = match self {
            Db::Sqlite(sqlite::Pools {
                inline: Some(inline),
                ..
            }) => inline.fetch_all(sql, &args, shape)?,
            _ => self.fetch_all(Target::Read, sql, args, shape).await?,
        };
        Ok(rows.into_iter().next())
    }

    /// A read of the row API: on SQLite on the calling thread like [`Db::fetch_by_key`] (a page
    /// or count walks one index; sqlx's hand-off to its connection thread per row cost more than
    /// the read), elsewhere as any other read.
    pub(crate) async fn fetch_rows(
        &self,
        sql: &str,
        args: Vec<Value>,
        shape: Shape<'_>,
    ) -> StoreResult<Vec<Vec<Cell>>> {
        match self {
            Db::Sqlite(sqlite::Pools {
                inline: Some(inline),
                ..
            }) => inline.fetch_all(sql, &args, shape),
            _ => self.fetch_all(Target::Read, sql, args, shape).await,
        }
    }

    /// Runs a statement on the writer; returns the number of rows it touched.
    pub(crate) async fn execute(&self, sql: &str, args: Vec<Value>) -> StoreResult<u64> {
        let result = match self {
            Db::Sqlite(pools) => sqlite_query(sql, args)
                .execute(&pools.write)
                .await
                .map(|r| r.rows_affected()),
            Db::Postgres(pool) => postgres_query(sql, args)
                .execute(pool)
                .await
                .map(|r| r.rows_affected()),
        };
        result.map_err(map_error)
    }

    pub(crate) async fn begin(&self) -> StoreResult<Tx> {
        Ok(match self {
            Db::Sqlite(pools) => Tx::Sqlite(pools.write.begin().await.map_err(map_error)?),
            Db::Postgres(pool) => Tx::Postgres(pool.begin().await.map_err(map_error)?),
        })
    }

    pub(crate) async fn close(&self) {
        match self {
            Db::Sqlite(pools) => {
                pools.read.close().await;
                pools.write.close().await;
            }
            Db::Postgres(pool) => pool.close().await,
        }
    }
}

impl Tx {
    pub(crate) async fn fetch_all(
        &mut self,
        sql: &str,
        args: Vec<Value>,
        shape: Shape<'_>,
    ) -> StoreResult<Vec<Vec<Cell>>> {
        match self {
            Tx::Sqlite(tx) => {
                let rows = sqlite_query(sql, args)
                    .fetch_all(&mut **tx)
                    .await
                    .map_err(map_error)?;
                decode(&rows, shape, sqlite::decode_row)
            }
            Tx::Postgres(tx) => {
                let rows = postgres_query(sql, args)
                    .fetch_all(&mut **tx)
                    .await
                    .map_err(map_error)?;
                decode(&rows, shape, postgres::decode_row)
            }
        }
    }

    pub(crate) async fn execute(&mut self, sql: &str, args: Vec<Value>) -> StoreResult<u64> {
        let result = match self {
            Tx::Sqlite(tx) => sqlite_query(sql, args)
                .execute(&mut **tx)
                .await
                .map(|r| r.rows_affected()),
            Tx::Postgres(tx) => postgres_query(sql, args)
                .execute(&mut **tx)
                .await
                .map(|r| r.rows_affected()),
        };
        result.map_err(map_error)
    }

    pub(crate) async fn commit(self) -> StoreResult<()> {
        match self {
            Tx::Sqlite(tx) => tx.commit().await,
            Tx::Postgres(tx) => tx.commit().await,
        }
        .map_err(map_error)
    }
}

pub(crate) fn dialect_of(url: &str) -> StoreResult<Dialect> {
    if url.starts_with("sqlite:") {
        Ok(Dialect::Sqlite)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Dialect::Postgres)
    } else {
        // Never echo the whole URL: it may carry a password.
        let scheme = url.split(':').next().unwrap_or_default();
        Err(StoreError::Url(format!(
            "expected sqlite:// or postgres://, got {scheme}:"
        )))
    }
}

fn sqlite_query(sql: &str, args: Vec<Value>) -> sqlite::Query<'_> {
    args.into_iter().fold(sqlx::query(sql), sqlite::bind)
}

fn postgres_query(sql: &str, args: Vec<Value>) -> postgres::Query<'_> {
    args.into_iter().fold(sqlx::query(sql), postgres::bind)
}

fn decode<R>(
    rows: &[R],
    shape: Shape<'_>,
    decode_row: fn(&R, &[Column]) -> Result<Vec<Cell>, String>,
) -> StoreResult<Vec<Vec<Cell>>> {
    rows.iter()
        .map(|row| {
            decode_row(row, shape.columns).map_err(|reason| StoreError::Corrupt {
                table: shape.table,
                reason,
            })
        })
        .collect()
}

/// Unique violations become [`StoreError::Conflict`] naming the column; everything else stays a
/// database error.
pub(crate) fn map_error(error: sqlx::Error) -> StoreError {
    if let Some(db) = error.as_database_error()
        && db.kind() == ErrorKind::UniqueViolation
    {
        let column = db
            .try_downcast_ref::<PgDatabaseError>()
            .and_then(postgres::unique_violation_column)
            .or_else(|| sqlite::unique_violation_column(db.message()))
            .unwrap_or_else(|| "unknown".to_owned());
        return StoreError::Conflict(column);
    }
    StoreError::Database(error)
}
