//! The `Store` trait: every query the rest of Tessera may ask of the database.

use async_trait::async_trait;

use crate::list_users::ListUsersQuery;
use crate::row::{FindMany, Row, RowValue, Where};
use tessera_core::model::{Account, Session, TwoFactor, User, UserPatch, Verification};
use time::OffsetDateTime;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique constraint refused the write; the string names the column (`email`, `username`, …).
    #[error("unique constraint violated on {0}")]
    Conflict(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// An error of the SQLite paths that do not go through sqlx: point reads (`sqlite_inline`) and
    /// the importer's writer (`sqlite_import`).
    #[error("database error: {0}")]
    Inline(String),
    #[error("schema error: {0}")]
    Schema(String),
    /// A stored value that cannot be read as what Better Auth would have written.
    #[error("corrupt row in {table}: {reason}")]
    Corrupt { table: &'static str, reason: String },
    #[error("unsupported database url: {0}")]
    Url(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// The rows of one import transaction. Owned, so that a store can write them on a thread of its own
/// while the caller goes on; [`BatchOutcome::batch`] hands them back.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImportBatch {
    pub users: Vec<User>,
    pub accounts: Vec<Account>,
    pub two_factors: Vec<TwoFactor>,
}

/// What one import batch wrote. Rows whose primary key (or a unique column) already holds a row are
/// skipped, not overwritten, so a rerun after a crash writes only what is missing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BatchOutcome {
    pub batch: ImportBatch,
    /// Whether each of `batch.users` was inserted, in the same order.
    pub user_inserted: Vec<bool>,
    pub inserted_accounts: u64,
    pub inserted_two_factors: u64,
}

impl BatchOutcome {
    /// The ids of the users this batch inserted, in batch order.
    pub fn inserted_user_ids(&self) -> Vec<&str> {
        self.batch
            .users
            .iter()
            .zip(&self.user_inserted)
            .filter(|(_, inserted)| **inserted)
            .map(|(user, _)| user.id.as_str())
            .collect()
    }
}

/// What [`Store::find_imported_rows`] found, in no particular order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImportedRows {
    pub users: Vec<User>,
    pub accounts: Vec<Account>,
    /// Empty when the two-factor plugin is off.
    pub two_factors: Vec<TwoFactor>,
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    fn dialect(&self) -> Dialect;

    // ---- users
    /// Creates the user and, in the same transaction, its accounts (e.g. the credential account).
    async fn create_user(&self, user: &User, accounts: &[Account]) -> StoreResult<()>;
    async fn find_user_by_id(&self, id: &str) -> StoreResult<Option<User>>;
    /// `email` must already be lowercased.
    async fn find_user_by_email(&self, email: &str) -> StoreResult<Option<User>>;
    /// A user by a unique field beyond the core columns (a plugin's, such as `username`); a
    /// schema error when the schema has no such unique field.
    async fn find_user_by_field(&self, column: &str, value: &str) -> StoreResult<Option<User>>;
    /// Applies the patch and sets `updatedAt`; returns the updated user, `None` if no such user.
    async fn update_user(
        &self,
        id: &str,
        patch: &UserPatch,
        now: OffsetDateTime,
    ) -> StoreResult<Option<User>>;
    /// Deletes the user; sessions, accounts and twoFactor rows go with it (ON DELETE CASCADE).
    async fn delete_user(&self, id: &str) -> StoreResult<bool>;
    /// Admin `list-users`: one page of users and how many match before `limit`/`offset`. A field
    /// the user table does not have (for the enabled plugins) is [`StoreError::Schema`].
    async fn list_users(&self, query: &ListUsersQuery) -> StoreResult<(Vec<User>, u64)>;

    // ---- accounts
    /// The row with `providerId = 'credential' AND accountId = userId AND userId = ?`.
    async fn find_credential_account(&self, user_id: &str) -> StoreResult<Option<Account>>;
    async fn list_accounts(&self, user_id: &str) -> StoreResult<Vec<Account>>;
    async fn find_account_by_provider(
        &self,
        provider_id: &str,
        account_id: &str,
    ) -> StoreResult<Option<Account>>;
    async fn create_account(&self, account: &Account) -> StoreResult<()>;
    /// Sets the credential account's password; returns false if the user has none.
    async fn update_credential_password(
        &self,
        user_id: &str,
        password_hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<bool>;
    /// Replaces `expected_hash` by `new_hash` only if it is still the stored one (rehash on sign-in
    /// must not overwrite a password changed meanwhile).
    async fn replace_password_hash(
        &self,
        account_id: &str,
        expected_hash: &str,
        new_hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<bool>;
    async fn delete_account(&self, id: &str) -> StoreResult<bool>;
    /// Rewrites the row's tokens, their expiries and scope, and sets `updatedAt` (the caller
    /// merges what the provider sent with what was stored); false if there is no such row.
    async fn update_account_tokens(&self, account: &Account) -> StoreResult<bool>;

    // ---- sessions
    async fn create_session(&self, session: &Session) -> StoreResult<()>;
    /// The session with this token and its user, in one round trip (the get-session hot path).
    async fn find_session_and_user(&self, token: &str) -> StoreResult<Option<(Session, User)>>;
    async fn update_session_expiry(
        &self,
        session_id: &str,
        expires_at: OffsetDateTime,
        updated_at: OffsetDateTime,
    ) -> StoreResult<()>;
    async fn delete_session_by_token(&self, token: &str) -> StoreResult<bool>;
    /// Deletes the user's sessions, all of them or all but the one with `keep_token`.
    async fn delete_user_sessions(
        &self,
        user_id: &str,
        keep_token: Option<&str>,
    ) -> StoreResult<u64>;
    /// The user's sessions whose `expiresAt` is after `now`, oldest first.
    async fn list_active_sessions(
        &self,
        user_id: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Vec<Session>>;

    // ---- verification
    async fn create_verification(&self, verification: &Verification) -> StoreResult<()>;
    /// The newest row for the identifier (Better Auth sorts by createdAt desc).
    async fn find_verification(&self, identifier: &str) -> StoreResult<Option<Verification>>;
    /// Deletes the newest row for the identifier and returns it: atomic, so a token is consumed once.
    async fn consume_verification(&self, identifier: &str) -> StoreResult<Option<Verification>>;
    async fn delete_verification(&self, id: &str) -> StoreResult<bool>;
    /// Every row for the identifier, newest first.
    async fn find_verifications(&self, identifier: &str) -> StoreResult<Vec<Verification>>;
    /// Deletes the row only if it still holds `expected`, and says whether it did: the one
    /// write that spends a one-time code, so that of any number of racers exactly one wins.
    async fn delete_verification_if_value(&self, id: &str, expected: &str) -> StoreResult<bool>;
    /// Deletes these rows in one statement; returns how many there were.
    async fn delete_verifications(&self, ids: &[&str]) -> StoreResult<u64>;
    async fn delete_expired_verifications(&self, now: OffsetDateTime) -> StoreResult<u64>;

    /// Sets the row's value only if it still holds `expected` (compare-and-set): concurrent
    /// attempt counters cannot lose an increment.
    async fn compare_and_set_verification_value(
        &self,
        id: &str,
        expected: &str,
        new: &str,
        now: OffsetDateTime,
    ) -> StoreResult<bool>;
    /// A monotonic counter kept in the verification row with this fixed `id`: raises the stored
    /// integer to `value` (creating the row if absent) and returns true, or returns false when the
    /// stored value is already `value` or more. Atomic, so a value is claimed once.
    async fn advance_verification_counter(
        &self,
        id: &str,
        identifier: &str,
        value: i64,
        expires_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> StoreResult<bool>;

    // ---- two-factor
    /// Replaces the stored backup codes only if they are still `expected`: a code is used once.
    async fn compare_and_set_backup_codes(
        &self,
        user_id: &str,
        expected: &str,
        new: &str,
    ) -> StoreResult<bool>;
    /// `failedVerificationCount + 1`, atomically; returns the new count (0 if there is no row).
    async fn increment_two_factor_failures(&self, user_id: &str) -> StoreResult<i64>;
    async fn set_two_factor_lock(
        &self,
        user_id: &str,
        failures: i64,
        locked_until: Option<OffsetDateTime>,
    ) -> StoreResult<()>;
    async fn find_two_factor(&self, user_id: &str) -> StoreResult<Option<TwoFactor>>;
    async fn upsert_two_factor(&self, two_factor: &TwoFactor) -> StoreResult<()>;
    async fn delete_two_factor(&self, user_id: &str) -> StoreResult<bool>;

    // ---- rows of any table, in Better Auth's adapter shape (`crate::row`)
    //
    // `table` is any table of the schema the store was opened with (Better Auth's, and the
    // `OpenOptions::extra_tables` of plugins). An unknown table or column, a value of the wrong
    // type, or NULL into a required column is `StoreError::Schema`; a taken unique value is
    // `StoreError::Conflict` naming the column.

    /// Better Auth's `create`: inserts the row, giving the columns it leaves out their schema
    /// default (`false`, `0`, now); returns the row as stored. Ids are the caller's to generate.
    async fn create_row(&self, table: &str, row: &Row) -> StoreResult<Row>;
    /// Inserts the rows whose `id` is not taken yet, a statement per few hundred rows (each
    /// all-or-nothing), and returns how many it inserted; a taken id is skipped, any other
    /// conflict is an error. For importers: a rerun inserts exactly what is missing.
    async fn insert_rows_if_absent(&self, table: &str, rows: &[Row]) -> StoreResult<u64>;
    /// Better Auth's `findOne`: a row matching `filter`, if any.
    async fn find_row(&self, table: &str, filter: &[Where]) -> StoreResult<Option<Row>>;
    /// Better Auth's `findMany`.
    async fn find_rows(&self, table: &str, query: &FindMany) -> StoreResult<Vec<Row>>;
    /// Better Auth's `count`.
    async fn count_rows(&self, table: &str, filter: &[Where]) -> StoreResult<u64>;
    /// Better Auth's `update`: sets `changes` on the rows matching `filter` (meant to name one)
    /// and returns the updated row; `None` when nothing matched or `filter` is empty.
    async fn update_row(
        &self,
        table: &str,
        filter: &[Where],
        changes: &Row,
    ) -> StoreResult<Option<Row>>;
    /// Better Auth's `updateMany`: how many rows were updated. An empty `filter` updates all.
    async fn update_rows(&self, table: &str, filter: &[Where], changes: &Row) -> StoreResult<u64>;
    /// Better Auth's `delete`: deletes the rows matching `filter` (meant to name one); false when
    /// nothing matched or `filter` is empty.
    async fn delete_row(&self, table: &str, filter: &[Where]) -> StoreResult<bool>;
    /// Better Auth's `deleteMany`: how many rows were deleted. An empty `filter` deletes all.
    async fn delete_rows(&self, table: &str, filter: &[Where]) -> StoreResult<u64>;
    /// Sets `column` to `new` on the rows matching `filter` only where it still holds `expected`
    /// (NULL compares as `IS NULL`); true if a row changed. A counter reads, computes, and retries
    /// on false, so concurrent increments are never lost.
    async fn compare_and_set(
        &self,
        table: &str,
        filter: &[Where],
        column: &str,
        expected: &RowValue,
        new: &RowValue,
    ) -> StoreResult<bool>;

    // ---- import
    /// Writes one batch in one transaction; rows already present are skipped (see [`BatchOutcome`]).
    /// Accounts and twoFactor rows of a user of this batch that was skipped are skipped with it, so
    /// a rerun is safe when each user's rows travel in the same batch as the user.
    async fn insert_import_batch(&self, batch: ImportBatch) -> StoreResult<BatchOutcome>;
    /// Which of these user ids exist: how an import rerun tells present users from conflicts
    /// without a query per user.
    async fn existing_user_ids(&self, ids: &[&str]) -> StoreResult<Vec<String>>;
    /// The users with these ids, their accounts and twoFactor rows, a few queries for the lot
    /// (`import clerk --verify`).
    async fn find_imported_rows(&self, user_ids: &[&str]) -> StoreResult<ImportedRows>;
}
