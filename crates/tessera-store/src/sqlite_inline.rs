//! Point reads on SQLite answered on the calling thread, through rusqlite, instead of through sqlx.
//!
//! sqlx runs every SQLite connection on a worker thread of its own: each query is a hand-off to that
//! thread and back, and its pool pings the connection again on every release. For a read by a unique
//! index that costs about 1 µs in SQLite itself, those hand-offs were most of get-session's cost
//! (BENCHMARKS.md, finding 1). Here the read runs in place on a connection taken from a small stack.
//!
//! Only reads by a unique key come here: they are a B-tree descent on cached pages, so running them
//! on an async worker blocks it for microseconds, like any other CPU work of the request. Under WAL
//! a reader never waits for the writer; the busy timeout only covers the rare moments SQLite itself
//! asks a reader to retry (WAL recovery after a crash).

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};
use tessera_core::timefmt::{self, ISO_MS_LEN};

use crate::shape::Shape;
use crate::sqlite_cells::{Stored, decode_cell};
use crate::value::{Cell, Field, Value};
use crate::{StoreError, StoreResult};

/// Enough idle connections for every thread that reads at once on a 2–8 core machine; a burst
/// beyond it opens extra connections and closes them after use.
const MAX_IDLE: usize = 8;
const STATEMENT_CACHE: usize = 32;

pub(crate) struct InlineReader {
    path: PathBuf,
    busy_timeout: Duration,
    idle: Mutex<Vec<Connection>>,
}

impl InlineReader {
    pub(crate) fn new(path: &Path, busy_timeout: Duration) -> InlineReader {
        InlineReader {
            path: path.to_owned(),
            busy_timeout,
            idle: Mutex::new(Vec::new()),
        }
    }

    /// Runs one read and decodes its rows by `shape`; `$n` placeholders bind `args[n - 1]`.
    pub(crate) fn fetch_all(
        &self,
        sql: &str,
        args: &[Value],
        shape: Shape<'_>,
    ) -> StoreResult<Vec<Vec<Cell>>> {
        let conn = match self.take() {
            Some(conn) => conn,
            None => self.open().map_err(sqlite_error)?,
        };
        let result = query(&conn, sql, args, shape);
        // A connection whose statement failed is still sound: SQLite resets statements on error.
        self.give_back(conn);
        result
    }

    fn take(&self) -> Option<Connection> {
        self.idle.lock().ok()?.pop()
    }

    fn give_back(&self, conn: Connection) {
        if let Ok(mut idle) = self.idle.lock()
            && idle.len() < MAX_IDLE
        {
            idle.push(conn);
        }
    }

    fn open(&self) -> rusqlite::Result<Connection> {
        // The writer pool created the file and set WAL; this connection only reads. NO_MUTEX: a
        // connection is used by one thread at a time, guaranteed by the stack above.
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX
                | OpenFlags::SQLITE_OPEN_URI,
        )?;
        conn.busy_timeout(self.busy_timeout)?;
        conn.pragma_update(None, "query_only", true)?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        Ok(conn)
    }
}

fn query(
    conn: &Connection,
    sql: &str,
    args: &[Value],
    shape: Shape<'_>,
) -> StoreResult<Vec<Vec<Cell>>> {
    let mut statement = conn.prepare_cached(sql).map_err(sqlite_error)?;
    for index in 1..=statement.parameter_count() {
        let value = statement
            .parameter_name(index)
            .and_then(placeholder_number)
            .and_then(|n| args.get(n - 1))
            .ok_or_else(|| {
                StoreError::Schema(format!("no argument for parameter {index} of {sql}"))
            })?;
        bind(&mut statement, index, &Field::from(value)).map_err(sqlite_error)?;
    }
    let mut rows = statement.raw_query();
    let mut decoded = Vec::new();
    while let Some(row) = rows.next().map_err(sqlite_error)? {
        let cells = shape
            .columns
            .iter()
            .enumerate()
            .map(|(i, column)| {
                row.get_ref(i)
                    .map_err(|e| e.to_string())
                    .map(stored)
                    .and_then(|value| decode_cell(value, column.ty))
                    .map_err(|reason| StoreError::Corrupt {
                        table: shape.table,
                        reason: format!("{}: {reason}", column.name),
                    })
            })
            .collect::<StoreResult<Vec<Cell>>>()?;
        decoded.push(cells);
    }
    Ok(decoded)
}

/// `$3` → 3, as sqlx numbers SQLite parameters (so one SQL text serves both drivers).
fn placeholder_number(name: &str) -> Option<usize> {
    name.strip_prefix('$')
        .or_else(|| name.strip_prefix('?'))?
        .parse()
        .ok()
        .filter(|n| *n > 0)
}

/// Binds as sqlx-sqlite does: booleans as 0/1, dates as Better Auth's ISO text. Both direct
/// SQLite paths (these reads and the importer's writer) bind through here.
pub(crate) fn bind(
    statement: &mut rusqlite::CachedStatement<'_>,
    index: usize,
    field: &Field<'_>,
) -> rusqlite::Result<()> {
    match field {
        Field::Text(s) => statement.raw_bind_parameter(index, s.as_deref()),
        Field::Bool(b) => statement.raw_bind_parameter(index, b.map(i64::from)),
        Field::Int(n) => statement.raw_bind_parameter(index, n),
        Field::Real(n) => statement.raw_bind_parameter(index, n),
        Field::Json(v) => statement.raw_bind_parameter(index, v.as_ref().map(|v| v.to_string())),
        Field::Date(None) => statement.raw_bind_parameter(index, None::<&str>),
        Field::Date(Some(t)) => {
            let mut text = [0; ISO_MS_LEN];
            match timefmt::write_iso_ms(*t, &mut text) {
                Some(text) => statement.raw_bind_parameter(index, text),
                None => statement.raw_bind_parameter(index, timefmt::to_iso_ms(*t)),
            }
        }
    }
}

fn stored(value: ValueRef<'_>) -> Stored<'_> {
    match value {
        ValueRef::Null => Stored::Null,
        ValueRef::Integer(n) => Stored::Integer(n),
        ValueRef::Real(n) => Stored::Real(n),
        // SQLite text that is not UTF-8 cannot be one of Better Auth's values.
        ValueRef::Text(bytes) => std::str::from_utf8(bytes).map_or(Stored::Blob, Stored::Text),
        ValueRef::Blob(_) => Stored::Blob,
    }
}

fn sqlite_error(error: rusqlite::Error) -> StoreError {
    StoreError::Inline(error.to_string())
}

#[cfg(test)]
mod tests {
    use super::placeholder_number;

    #[test]
    fn placeholders_are_numbered_like_sqlx_numbers_them() {
        assert_eq!(placeholder_number("$1"), Some(1));
        assert_eq!(placeholder_number("?12"), Some(12));
        assert_eq!(placeholder_number("$0"), None);
        assert_eq!(placeholder_number(":name"), None);
    }
}
