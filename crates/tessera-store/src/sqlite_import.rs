//! The importer's batch write on SQLite, through one rusqlite connection kept for the whole import
//! and driven from a blocking thread.
//!
//! Through sqlx, every statement was a hand-off to its connection's worker thread, and a multi-row
//! `INSERT` of 32,766 bound values was parsed anew and its arguments copied twice. Here each table
//! has one prepared single-row `INSERT … ON CONFLICT DO NOTHING`, bound in place, and
//! `sqlite3_changes` says whether the row went in, so no `RETURNING` rows come back either. The
//! connection lives as long as the store: the index pages a batch loaded stay in its cache for the
//! next batch.
//!
//! One writer per process still holds: the caller keeps the sqlx writer connection checked out for
//! the batch ([`crate::import`]), so the server's own writes queue behind it instead of meeting
//! `SQLITE_BUSY`. Another process is waited for by `BEGIN IMMEDIATE` and the busy timeout.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::{CachedStatement, Connection, OpenFlags, TransactionBehavior};
use tessera_core::model::{Account, TwoFactor, User};
use tessera_core::schema::Column;

use crate::queries::TableSql;
use crate::record;
use crate::sqlite_inline::bind;
use crate::value::Field;
use crate::{BatchOutcome, ImportBatch, StoreError, StoreResult};

/// Settings of the import connection; durability is the server's (`synchronous` NORMAL under WAL:
/// consistent on power loss, and a killed process loses nothing it committed).
/// - `temp_store`: the statement journal SQLite keeps inside a transaction costs no file writes.
/// - `wal_autocheckpoint`: a checkpoint copies every page the WAL holds back into the database and
///   fsyncs, on this thread. Every 1000 pages (SQLite's default) the same index pages are copied
///   again and again; 200 MB between checkpoints copies each far less often (measured on 1M users:
///   36 s at 40 MB, 28–31 s at 120–240 MB).
/// - `cache_size`: the unique indexes (email, username, phone, account id) take inserts in random
///   order; past a few hundred thousand users they outgrow 64 MiB and pages are read again (35 s
///   at 64 MiB against 28–31 s at 128 MiB; 256 MiB was no faster and costs 150 MB more RSS).
const PRAGMAS: [(&str, &str); 5] = [
    ("synchronous", "NORMAL"),
    ("foreign_keys", "ON"),
    ("temp_store", "MEMORY"),
    ("wal_autocheckpoint", "50000"),
    ("cache_size", "-131072"),
];

/// The connection, opened on first use and kept for the life of the store.
pub(crate) struct ImportWriter {
    path: PathBuf,
    busy_timeout: Duration,
    connection: Mutex<Option<Connection>>,
}

/// One table's single-row insert: the statement, its columns in order, and how a row gives the
/// value of each.
pub(crate) struct RowInsert<T> {
    sql: String,
    columns: Vec<Column>,
    field: for<'a> fn(&'a T, &'a Column) -> Option<Field<'a>>,
}

impl<T> RowInsert<T> {
    pub(crate) fn new(
        table: &TableSql,
        field: for<'a> fn(&'a T, &'a Column) -> Option<Field<'a>>,
    ) -> RowInsert<T> {
        RowInsert {
            sql: format!("{} ON CONFLICT DO NOTHING", table.insert),
            columns: table.insert_columns.clone(),
            field,
        }
    }

    /// The statement, prepared once per batch and run once per row.
    fn prepare<'c>(&'c self, conn: &'c Connection) -> StoreResult<Prepared<'c, T>> {
        Ok(Prepared {
            statement: conn.prepare_cached(&self.sql).map_err(sqlite_error)?,
            insert: self,
        })
    }
}

struct Prepared<'c, T> {
    statement: CachedStatement<'c>,
    insert: &'c RowInsert<T>,
}

impl<T> Prepared<'_, T> {
    /// Inserts `row` unless a row with one of its unique values exists; true if it went in.
    fn run(&mut self, row: &T) -> StoreResult<bool> {
        for (i, column) in self.insert.columns.iter().enumerate() {
            let field = (self.insert.field)(row, column).ok_or_else(|| {
                StoreError::Schema(format!("no value for column {}", column.name))
            })?;
            bind(&mut self.statement, i + 1, &field).map_err(sqlite_error)?;
        }
        Ok(self.statement.raw_execute().map_err(sqlite_error)? > 0)
    }
}

/// The inserts of the three tables an import writes; `two_factor` is `None` when the plugin is off.
pub(crate) struct Inserts {
    pub(crate) user: RowInsert<User>,
    pub(crate) account: RowInsert<Account>,
    pub(crate) two_factor: Option<RowInsert<TwoFactor>>,
}

impl Inserts {
    pub(crate) fn new(user: &TableSql, account: &TableSql, two_factor: Option<&TableSql>) -> Self {
        Inserts {
            user: RowInsert::new(user, record::user_field),
            account: RowInsert::new(account, record::account_field),
            two_factor: two_factor.map(|t| RowInsert::new(t, record::two_factor_field)),
        }
    }
}

impl ImportWriter {
    pub(crate) fn new(path: &Path, busy_timeout: Duration) -> Arc<ImportWriter> {
        Arc::new(ImportWriter {
            path: path.to_owned(),
            busy_timeout,
            connection: Mutex::new(None),
        })
    }

    /// Writes the batch in one transaction (see [`crate::import`] for which rows are skipped).
    /// Blocks: call it from a blocking thread.
    pub(crate) fn write(&self, inserts: &Inserts, batch: ImportBatch) -> StoreResult<BatchOutcome> {
        let mut slot = self
            .connection
            .lock()
            .map_err(|_| StoreError::Inline("the import connection was poisoned".to_owned()))?;
        let conn = match slot.as_mut() {
            Some(conn) => conn,
            None => slot.insert(self.open().map_err(sqlite_error)?),
        };
        // Dropped without commit on any error: the transaction rolls back and the batch is all or
        // nothing.
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sqlite_error)?;
        // In key order, consecutive inserts land on neighbouring index pages: users by email (the
        // id index is already in order when ids are Clerk's time-ordered ones), accounts by id.
        let mut by_email: Vec<(usize, &User)> = batch.users.iter().enumerate().collect();
        by_email.sort_unstable_by(|(_, a), (_, b)| a.email.cmp(&b.email));
        let mut insert_user = inserts.user.prepare(&tx)?;
        let mut outcomes = Vec::with_capacity(by_email.len());
        for (position, user) in by_email {
            outcomes.push((position, insert_user.run(user)?));
        }
        outcomes.sort_unstable_by_key(|(position, _)| *position);
        let user_inserted: Vec<bool> = outcomes.into_iter().map(|(_, inserted)| inserted).collect();
        drop(insert_user);
        // A user of this batch that was skipped takes its rows with it; rows of users outside the
        // batch are inserted as given. (A first import skips nobody: no lookup is needed.)
        let skipped: HashSet<&str> = batch
            .users
            .iter()
            .zip(&user_inserted)
            .filter(|(_, inserted)| !**inserted)
            .map(|(u, _)| u.id.as_str())
            .collect();
        let belongs = |user_id: &str| skipped.is_empty() || !skipped.contains(user_id);

        let mut accounts: Vec<&Account> = batch
            .accounts
            .iter()
            .filter(|a| belongs(&a.user_id))
            .collect();
        accounts.sort_unstable_by(|a, b| a.id.cmp(&b.id));
        let mut inserted_accounts = 0;
        let mut insert_account = inserts.account.prepare(&tx)?;
        for account in accounts {
            inserted_accounts += u64::from(insert_account.run(account)?);
        }
        drop(insert_account);
        let mut inserted_two_factors = 0;
        if !batch.two_factors.is_empty() {
            let insert = inserts.two_factor.as_ref().ok_or_else(|| {
                StoreError::Schema(
                    "twoFactor rows given, but the two-factor plugin is not enabled".to_owned(),
                )
            })?;
            let mut insert = insert.prepare(&tx)?;
            for two_factor in batch.two_factors.iter().filter(|t| belongs(&t.user_id)) {
                inserted_two_factors += u64::from(insert.run(two_factor)?);
            }
        }
        tx.commit().map_err(sqlite_error)?;
        drop(skipped);
        Ok(BatchOutcome {
            batch,
            user_inserted,
            inserted_accounts,
            inserted_two_factors,
        })
    }

    fn open(&self) -> rusqlite::Result<Connection> {
        // The writer pool created the file and put it in WAL mode. NO_MUTEX: the slot above lets
        // one thread at a time use the connection.
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX
                | OpenFlags::SQLITE_OPEN_URI,
        )?;
        conn.busy_timeout(self.busy_timeout)?;
        for (name, value) in PRAGMAS {
            conn.pragma_update(None, name, value)?;
        }

        Ok(conn)
    }
}

fn sqlite_error(error: rusqlite::Error) -> StoreError {
    StoreError::Inline(error.to_string())
}
