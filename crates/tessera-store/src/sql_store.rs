//! [`Store`] over SQL, once for both dialects: the SQL texts come from [`Queries`], the rows go
//! through [`record`], and [`Db`] hides which driver runs them.
//!
//! Orderings and date comparisons that may meet dates written by other adapters (SQLite epoch-ms
//! integers next to ISO text) are done in Rust after decoding; the row counts involved (one user's
//! sessions, one identifier's verifications) are small.

use async_trait::async_trait;
use tessera_core::model::{Account, Session, TwoFactor, User, UserPatch, Verification};
use tessera_core::schema::Column;
use tessera_core::timefmt;
use time::OffsetDateTime;

use crate::db::{Shape, Target};
use crate::list_users::{self, ListUsersQuery};
use crate::queries::{TableSql, assignments};
use crate::record::{self, Fields};
use crate::row::{FindMany, Row, RowValue, Where};
use crate::rows;
use crate::sql_handle::SqlStore;
use crate::value::{Cell, Field, Value};
use crate::{BatchOutcome, Dialect, ImportBatch, ImportedRows, Store, StoreError, StoreResult};

type Mapper<T> = fn(&Fields<'_>) -> StoreResult<T>;

fn shape(table: &TableSql) -> Shape<'_> {
    Shape {
        table: table.name,
        columns: &table.columns,
    }
}

fn map_rows<T>(table: &TableSql, rows: &[Vec<Cell>], map: Mapper<T>) -> StoreResult<Vec<T>> {
    rows.iter()
        .map(|cells| map(&Fields::new(table, cells)))
        .collect()
}

impl SqlStore {
    async fn all<T>(
        &self,
        target: Target,
        table: &TableSql,
        sql: &str,
        args: Vec<Value>,
        map: Mapper<T>,
    ) -> StoreResult<Vec<T>> {
        let rows = self.db.fetch_all(target, sql, args, shape(table)).await?;
        map_rows(table, &rows, map)
    }

    async fn first<T>(
        &self,
        table: &TableSql,
        sql: &str,
        args: Vec<Value>,
        map: Mapper<T>,
    ) -> StoreResult<Option<T>> {
        // A lookup by key: on SQLite on the calling thread (`Db::fetch_rows`).
        let rows = self.db.fetch_rows(sql, args, shape(table)).await?;
        Ok(map_rows(table, &rows, map)?.into_iter().next())
    }

    fn two_factor_table(&self) -> StoreResult<&TableSql> {
        self.q
            .two_factor
            .as_ref()
            .ok_or_else(|| StoreError::Schema("the two-factor plugin is not enabled".to_owned()))
    }

    /// The user's verifications for `identifier`, newest first by `createdAt`.
    async fn verifications_newest_first(
        &self,
        target: Target,
        identifier: &str,
    ) -> StoreResult<Vec<Verification>> {
        let (table, sql) = (&self.q.verification, &self.q.verifications_by_identifier);
        let args = vec![Value::text(identifier)];
        let mut rows = match target {
            // An index walk over the few rows of one identifier: inline on SQLite, like a key read.
            Target::Read => {
                let rows = self.db.fetch_rows(sql, args, shape(table)).await?;
                map_rows(table, &rows, record::verification)?
            }
            Target::Write => {
                self.all(target, table, sql, args, record::verification)
                    .await?
            }
        };
        rows.sort_by_key(|v| std::cmp::Reverse(v.created_at));
        Ok(rows)
    }
}

/// The `SET` list of a user patch; a field the schema does not declare (a disabled plugin's, say) is
/// refused.
fn patch_assignments<'a>(
    user: &'a TableSql,
    patch: &UserPatch,
) -> StoreResult<Vec<(&'a str, Value)>> {
    let mut sets: Vec<(&'a str, Value)> = vec![];
    let mut set = |column: &'a str, value: Option<Value>| {
        if let Some(value) = value {
            sets.push((column, value));
        }
    };
    set("name", patch.name.clone().map(Value::from));
    set("email", patch.email.clone().map(Value::from));
    set("emailVerified", patch.email_verified.map(Value::from));
    set("image", patch.image.clone().map(Value::from));
    for (field, value) in patch.additional.iter() {
        let column = user
            .column(&field.name)
            .filter(|c| c.additional)
            .ok_or_else(|| {
                StoreError::Schema(format!(
                    "user.{} does not exist: its plugin is not enabled, or it is not configured",
                    field.name
                ))
            })?;
        sets.push((column.name.as_str(), Value::from(Field::of(column, value))));
    }
    Ok(sets)
}

#[async_trait]
impl Store for SqlStore {
    fn dialect(&self) -> Dialect {
        self.db.dialect()
    }

    async fn create_user(&self, user: &User, accounts: &[Account]) -> StoreResult<()> {
        let q = &self.q;
        let mut tx = self.db.begin().await?;
        let args = record::values(user, &q.user.insert_columns, record::user_value)?;
        tx.execute(&q.user.insert, args).await?;
        for account in accounts {
            let args = record::values(account, &q.account.insert_columns, record::account_value)?;
            tx.execute(&q.account.insert, args).await?;
        }
        tx.commit().await
    }

    async fn find_user_by_id(&self, id: &str) -> StoreResult<Option<User>> {
        let q = &self.q;
        self.first(&q.user, &q.user_by_id, vec![Value::text(id)], record::user)
            .await
    }

    async fn find_user_by_email(&self, email: &str) -> StoreResult<Option<User>> {
        let q = &self.q;
        self.first(
            &q.user,
            &q.user_by_email,
            vec![Value::text(email)],
            record::user,
        )
        .await
    }

    async fn find_user_by_field(&self, column: &str, value: &str) -> StoreResult<Option<User>> {
        let sql = self
            .q
            .user_by_field
            .iter()
            .find(|(name, _)| name == column)
            .map(|(_, sql)| sql.as_str())
            .ok_or_else(|| StoreError::Schema(format!("user.{column} is not a unique field")))?;
        self.first(&self.q.user, sql, vec![Value::text(value)], record::user)
            .await
    }

    async fn update_user(
        &self,
        id: &str,
        patch: &UserPatch,
        now: OffsetDateTime,
    ) -> StoreResult<Option<User>> {
        let user = &self.q.user;
        let mut sets = patch_assignments(user, patch)?;
        sets.push(("updatedAt", now.into()));
        let columns: Vec<&str> = sets.iter().map(|(c, _)| *c).collect();
        let sql = format!(
            r#"UPDATE "user" SET {} WHERE "id" = ${} RETURNING {}"#,
            assignments(&columns, 1),
            sets.len() + 1,
            user.select
        );
        let mut args: Vec<Value> = sets.into_iter().map(|(_, v)| v).collect();
        args.push(Value::text(id));
        let rows = self
            .all(Target::Write, user, &sql, args, record::user)
            .await?;
        Ok(rows.into_iter().next())
    }

    async fn delete_user(&self, id: &str) -> StoreResult<bool> {
        let mut tx = self.db.begin().await?;
        let mut deleted = 0;
        for sql in &self.q.delete_user {
            deleted = tx.execute(sql, vec![Value::text(id)]).await?;
        }
        tx.commit().await?;
        Ok(deleted > 0)
    }

    async fn list_users(&self, query: &ListUsersQuery) -> StoreResult<(Vec<User>, u64)> {
        let user = &self.q.user;
        let sql = list_users::build(self.dialect(), user, query)?;
        let count_shape = Shape {
            table: user.name,
            columns: &[Column::big_number("count")],
        };
        let total = match self
            .db
            .fetch_optional(Target::Read, &sql.count, sql.args.clone(), count_shape)
            .await?
            .as_deref()
        {
            Some([Cell::Int(n)]) => u64::try_from(*n).unwrap_or_default(),
            _ => 0,
        };
        let mut args = sql.args;
        args.extend(sql.page_args);
        let users = self
            .all(Target::Read, user, &sql.page, args, record::user)
            .await?;
        Ok((users, total))
    }

    async fn find_credential_account(&self, user_id: &str) -> StoreResult<Option<Account>> {
        let q = &self.q;
        self.first(
            &q.account,
            &q.credential_account,
            vec![Value::text(user_id)],
            record::account,
        )
        .await
    }

    async fn list_accounts(&self, user_id: &str) -> StoreResult<Vec<Account>> {
        let q = &self.q;
        let mut accounts = self
            .all(
                Target::Read,
                &q.account,
                &q.accounts_of_user,
                vec![Value::text(user_id)],
                record::account,
            )
            .await?;
        accounts.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        Ok(accounts)
    }

    async fn find_account_by_provider(
        &self,
        provider_id: &str,
        account_id: &str,
    ) -> StoreResult<Option<Account>> {
        let q = &self.q;
        self.first(
            &q.account,
            &q.account_by_provider,
            vec![Value::text(provider_id), Value::text(account_id)],
            record::account,
        )
        .await
    }

    async fn create_account(&self, account: &Account) -> StoreResult<()> {
        let q = &self.q;
        let args = record::values(account, &q.account.insert_columns, record::account_value)?;
        self.db.execute(&q.account.insert, args).await.map(drop)
    }

    async fn update_credential_password(
        &self,
        user_id: &str,
        password_hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<bool> {
        let args = vec![Value::text(user_id), Value::text(password_hash), now.into()];
        Ok(self
            .db
            .execute(&self.q.set_credential_password, args)
            .await?
            > 0)
    }

    async fn replace_password_hash(
        &self,
        account_id: &str,
        expected_hash: &str,
        new_hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<bool> {
        let args = vec![
            Value::text(account_id),
            Value::text(expected_hash),
            Value::text(new_hash),
            now.into(),
        ];
        Ok(self.db.execute(&self.q.replace_password_hash, args).await? > 0)
    }

    async fn delete_account(&self, id: &str) -> StoreResult<bool> {
        Ok(self
            .db
            .execute(&self.q.delete_account, vec![Value::text(id)])
            .await?
            > 0)
    }

    async fn update_account_tokens(&self, a: &Account) -> StoreResult<bool> {
        let args = vec![
            Value::text(&a.id),
            a.access_token.clone().into(),
            a.refresh_token.clone().into(),
            a.id_token.clone().into(),
            a.access_token_expires_at.into(),
            a.refresh_token_expires_at.into(),
            a.scope.clone().into(),
            a.updated_at.into(),
        ];
        Ok(self.db.execute(&self.q.update_account_tokens, args).await? > 0)
    }

    async fn create_session(&self, session: &Session) -> StoreResult<()> {
        let q = &self.q;
        let args = record::values(session, &q.session.insert_columns, record::session_value)?;
        self.db.execute(&q.session.insert, args).await.map(drop)
    }

    async fn find_session_and_user(&self, token: &str) -> StoreResult<Option<(Session, User)>> {
        let q = &self.q;
        let shape = Shape {
            table: q.session.name,
            columns: &q.session_and_user_columns,
        };
        let Some(cells) = self
            .db
            .fetch_by_key(&q.session_and_user, vec![Value::text(token)], shape)
            .await?
        else {
            return Ok(None);
        };
        let (session_cells, user_cells) = cells
            .split_at_checked(q.session.columns.len())
            .ok_or_else(|| StoreError::Corrupt {
                table: q.session.name,
                reason: "short joined row".to_owned(),
            })?;
        let session = record::session(&Fields::new(&q.session, session_cells))?;
        let user = record::user(&Fields::new(&q.user, user_cells))?;
        Ok(Some((session, user)))
    }

    async fn update_session_expiry(
        &self,
        session_id: &str,
        expires_at: OffsetDateTime,
        updated_at: OffsetDateTime,
    ) -> StoreResult<()> {
        let args = vec![
            Value::text(session_id),
            expires_at.into(),
            updated_at.into(),
        ];
        self.db
            .execute(&self.q.update_session_expiry, args)
            .await
            .map(drop)
    }

    async fn delete_session_by_token(&self, token: &str) -> StoreResult<bool> {
        Ok(self
            .db
            .execute(&self.q.delete_session_by_token, vec![Value::text(token)])
            .await?
            > 0)
    }

    async fn delete_user_sessions(
        &self,
        user_id: &str,
        keep_token: Option<&str>,
    ) -> StoreResult<u64> {
        match keep_token {
            None => {
                self.db
                    .execute(&self.q.delete_user_sessions, vec![Value::text(user_id)])
                    .await
            }
            Some(keep) => {
                let args = vec![Value::text(user_id), Value::text(keep)];
                self.db
                    .execute(&self.q.delete_user_sessions_except, args)
                    .await
            }
        }
    }

    async fn list_active_sessions(
        &self,
        user_id: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Vec<Session>> {
        let q = &self.q;
        let mut sessions = self
            .all(
                Target::Read,
                &q.session,
                &q.sessions_of_user,
                vec![Value::text(user_id)],
                record::session,
            )
            .await?;
        sessions.retain(|s| s.expires_at > now);
        sessions.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        Ok(sessions)
    }

    async fn create_verification(&self, verification: &Verification) -> StoreResult<()> {
        let q = &self.q;
        let args = record::values(
            verification,
            &q.verification.insert_columns,
            record::verification_value,
        )?;
        self.db
            .execute(&q.verification.insert, args)
            .await
            .map(drop)
    }

    async fn find_verification(&self, identifier: &str) -> StoreResult<Option<Verification>> {
        let rows = self
            .verifications_newest_first(Target::Read, identifier)
            .await?;
        Ok(rows.into_iter().next())
    }

    async fn consume_verification(&self, identifier: &str) -> StoreResult<Option<Verification>> {
        let rows = self
            .verifications_newest_first(Target::Write, identifier)
            .await?;
        let Some(newest) = rows.into_iter().next() else {
            return Ok(None);
        };
        // Whoever deletes the row owns it: a concurrent consumer deletes nothing and gets None.
        let deleted = self
            .db
            .execute(&self.q.delete_verification, vec![Value::text(&newest.id)])
            .await?;
        Ok((deleted == 1).then_some(newest))
    }

    async fn delete_verification(&self, id: &str) -> StoreResult<bool> {
        Ok(self
            .db
            .execute(&self.q.delete_verification, vec![Value::text(id)])
            .await?
            > 0)
    }

    async fn find_verifications(&self, identifier: &str) -> StoreResult<Vec<Verification>> {
        self.verifications_newest_first(Target::Read, identifier)
            .await
    }

    async fn delete_verification_if_value(&self, id: &str, expected: &str) -> StoreResult<bool> {
        Ok(self
            .db
            .execute(
                &self.q.delete_verification_if_value,
                vec![Value::text(id), Value::text(expected)],
            )
            .await?
            == 1)
    }

    async fn delete_verifications(&self, ids: &[&str]) -> StoreResult<u64> {
        if ids.is_empty() {
            return Ok(0);
        }
        let placeholders: Vec<String> = (1..=ids.len()).map(|n| format!("${n}")).collect();
        let sql = format!(
            r#"DELETE FROM "verification" WHERE "id" IN ({})"#,
            placeholders.join(", ")
        );
        self.db
            .execute(&sql, ids.iter().map(|id| Value::text(id)).collect())
            .await
    }

    async fn delete_expired_verifications(&self, now: OffsetDateTime) -> StoreResult<u64> {
        let now = match self.dialect() {
            Dialect::Sqlite => Value::Int(Some(timefmt::to_epoch_ms(now))),
            Dialect::Postgres => now.into(),
        };
        self.db
            .execute(&self.q.delete_expired_verifications, vec![now])
            .await
    }

    async fn compare_and_set_verification_value(
        &self,
        id: &str,
        expected: &str,
        new: &str,
        now: OffsetDateTime,
    ) -> StoreResult<bool> {
        let args = vec![
            Value::text(id),
            Value::text(expected),
            Value::text(new),
            now.into(),
        ];
        Ok(self
            .db
            .execute(&self.q.compare_and_set_verification, args)
            .await?
            == 1)
    }

    async fn advance_verification_counter(
        &self,
        id: &str,
        identifier: &str,
        value: i64,
        expires_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> StoreResult<bool> {
        let text = value.to_string();
        let raise = vec![
            Value::text(id),
            Value::text(&text),
            expires_at.into(),
            now.into(),
        ];
        if self
            .db
            .execute(&self.q.raise_verification_counter, raise)
            .await?
            == 1
        {
            return Ok(true);
        }
        let row = Verification {
            id: id.to_owned(),
            identifier: identifier.to_owned(),
            value: text,
            expires_at,
            created_at: now,
            updated_at: now,
        };
        let args = record::values(
            &row,
            &self.q.verification.insert_columns,
            record::verification_value,
        )?;
        // Inserted: the first claim. Not inserted: the row exists and already holds as much, or a
        // concurrent claim raced us to create it; either way this value was not ours to claim.
        Ok(self
            .db
            .execute(&self.q.insert_verification_if_absent, args)
            .await?
            == 1)
    }

    async fn compare_and_set_backup_codes(
        &self,
        user_id: &str,
        expected: &str,
        new: &str,
    ) -> StoreResult<bool> {
        self.two_factor_table()?;
        let args = vec![
            Value::text(user_id),
            Value::text(expected),
            Value::text(new),
        ];
        Ok(self
            .db
            .execute(&self.q.compare_and_set_backup_codes, args)
            .await?
            == 1)
    }

    async fn increment_two_factor_failures(&self, user_id: &str) -> StoreResult<i64> {
        let table = self.two_factor_table()?;
        let shape = Shape {
            table: table.name,
            columns: &[Column::number("failedVerificationCount")],
        };
        let row = self
            .db
            .fetch_optional(
                Target::Write,
                &self.q.increment_two_factor_failures,
                vec![Value::text(user_id)],
                shape,
            )
            .await?;
        Ok(match row.as_deref() {
            Some([Cell::Int(n)]) => *n,
            _ => 0,
        })
    }

    async fn set_two_factor_lock(
        &self,
        user_id: &str,
        failures: i64,
        locked_until: Option<OffsetDateTime>,
    ) -> StoreResult<()> {
        self.two_factor_table()?;
        let args = vec![
            Value::text(user_id),
            Value::Int(Some(failures)),
            locked_until.into(),
        ];
        self.db.execute(&self.q.set_two_factor_lock, args).await?;
        Ok(())
    }

    async fn find_two_factor(&self, user_id: &str) -> StoreResult<Option<TwoFactor>> {
        let table = self.two_factor_table()?;
        self.first(
            table,
            &self.q.two_factor_by_user,
            vec![Value::text(user_id)],
            record::two_factor,
        )
        .await
    }

    async fn upsert_two_factor(&self, two_factor: &TwoFactor) -> StoreResult<()> {
        let table = self.two_factor_table()?;
        let q = &self.q;
        let mut tx = self.db.begin().await?;
        if let Some(lock) = &q.lock_user {
            let shape = Shape {
                table: q.user.name,
                columns: &[Column::string("id")],
            };
            tx.fetch_all(lock, vec![Value::text(&two_factor.user_id)], shape)
                .await?;
        }
        let mut args = record::values(
            two_factor,
            &q.two_factor_update_columns,
            record::two_factor_value,
        )?;
        args.push(Value::text(&two_factor.user_id));
        if tx.execute(&q.update_two_factor_by_user, args).await? == 0 {
            let args = record::values(two_factor, &table.insert_columns, record::two_factor_value)?;
            tx.execute(&table.insert, args).await?;
        }
        tx.commit().await
    }

    async fn delete_two_factor(&self, user_id: &str) -> StoreResult<bool> {
        self.two_factor_table()?;
        Ok(self
            .db
            .execute(
                &self.q.delete_two_factor_by_user,
                vec![Value::text(user_id)],
            )
            .await?
            > 0)
    }

    async fn create_row(&self, table: &str, row: &Row) -> StoreResult<Row> {
        rows::create(self, table, row).await
    }

    async fn insert_rows_if_absent(&self, table: &str, rows: &[Row]) -> StoreResult<u64> {
        rows::create_many_if_absent(self, table, rows).await
    }

    async fn find_row(&self, table: &str, filter: &[Where]) -> StoreResult<Option<Row>> {
        rows::find_one(self, table, filter).await
    }

    async fn find_rows(&self, table: &str, query: &FindMany) -> StoreResult<Vec<Row>> {
        rows::find_many(self, table, query).await
    }

    async fn count_rows(&self, table: &str, filter: &[Where]) -> StoreResult<u64> {
        rows::count(self, table, filter).await
    }

    async fn update_row(
        &self,
        table: &str,
        filter: &[Where],
        changes: &Row,
    ) -> StoreResult<Option<Row>> {
        rows::update_one(self, table, filter, changes).await
    }

    async fn update_rows(&self, table: &str, filter: &[Where], changes: &Row) -> StoreResult<u64> {
        rows::update_many(self, table, filter, changes).await
    }

    async fn delete_row(&self, table: &str, filter: &[Where]) -> StoreResult<bool> {
        rows::delete_one(self, table, filter).await
    }

    async fn delete_rows(&self, table: &str, filter: &[Where]) -> StoreResult<u64> {
        rows::delete_many(self, table, filter).await
    }

    async fn compare_and_set(
        &self,
        table: &str,
        filter: &[Where],
        column: &str,
        expected: &RowValue,
        new: &RowValue,
    ) -> StoreResult<bool> {
        rows::compare_and_set(self, table, filter, column, expected, new).await
    }

    async fn insert_import_batch(&self, batch: ImportBatch) -> StoreResult<BatchOutcome> {
        crate::import::insert_batch(self, batch).await
    }

    async fn existing_user_ids(&self, ids: &[&str]) -> StoreResult<Vec<String>> {
        crate::import::existing_user_ids(self, ids).await
    }

    async fn find_imported_rows(&self, user_ids: &[&str]) -> StoreResult<ImportedRows> {
        crate::import::find_rows(self, user_ids).await
    }
}
