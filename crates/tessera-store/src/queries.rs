//! Every fixed SQL text the store runs, built once at open from the schema of the enabled plugins, so
//! a query never names a column the database was not migrated to have. One text serves both
//! dialects (`$n` placeholders); the few dialect differences are spelled out where they occur.

use std::sync::Arc;

use tessera_core::schema::{self, Column, Schema, Table};

use crate::ddl::quote;
use crate::{Dialect, StoreError, StoreResult};

/// One table's columns and its single-row insert.
pub(crate) struct TableSql {
    pub name: &'static str,
    /// The columns a `SELECT` of this table returns, in order: the schema's, for these plugins.
    pub columns: Vec<Column>,
    /// `"id", "name", …`, matching `columns`.
    pub select: String,
    /// The columns an insert writes: the schema's, plus legacy columns that must be filled.
    pub insert_columns: Vec<Column>,
    pub insert: String,
    /// The columns held in a row's `FieldValues` (plugins' and configured fields): where each is
    /// in `columns`, and the column that keys its value in a row.
    pub additional: Vec<(usize, Arc<Column>)>,
}

impl TableSql {
    fn new(dialect: Dialect, table: Table, extra_insert_columns: &[Column]) -> TableSql {
        let mut insert_columns = table.columns.clone();
        insert_columns.extend_from_slice(extra_insert_columns);
        let additional = table
            .columns
            .iter()
            .enumerate()
            .filter(|(_, c)| c.additional)
            .map(|(position, c)| (position, Arc::new(c.clone())))
            .collect();
        TableSql {
            name: table.name,
            select: select_list(&table.columns, None),
            insert: insert(dialect, table.name, &names(&insert_columns), 1),
            insert_columns,
            columns: table.columns,
            additional,
        }
    }

    pub(crate) fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// `SELECT <columns> FROM "t" WHERE <condition>`.
    fn select_where(&self, condition: &str) -> String {
        format!(
            "SELECT {} FROM {} WHERE {condition}",
            self.select,
            quote(self.name)
        )
    }
}

pub(crate) struct Queries {
    pub dialect: Dialect,
    pub user: TableSql,
    pub session: TableSql,
    pub account: TableSql,
    pub verification: TableSql,
    pub two_factor: Option<TableSql>,

    pub user_by_id: String,
    pub user_by_email: String,
    /// A user by one of its unique fields beyond the core ones (a plugin's, e.g. `username`).
    pub user_by_field: Vec<(String, String)>,
    /// Children first: Better Auth relies on ON DELETE CASCADE, but a database created by another
    /// adapter may lack the foreign keys.
    pub delete_user: Vec<String>,

    pub credential_account: String,
    pub accounts_of_user: String,
    pub account_by_provider: String,
    pub set_credential_password: String,
    pub replace_password_hash: String,
    pub delete_account: String,
    pub update_account_tokens: String,

    /// Session columns followed by user columns.
    pub session_and_user_columns: Vec<Column>,
    pub session_and_user: String,
    pub update_session_expiry: String,
    pub delete_session_by_token: String,
    pub delete_user_sessions: String,
    pub delete_user_sessions_except: String,
    pub sessions_of_user: String,

    pub verifications_by_identifier: String,
    pub delete_verification: String,
    pub delete_verification_if_value: String,
    pub delete_expired_verifications: String,
    pub compare_and_set_verification: String,
    /// `CAST(value AS INTEGER) < $new`, then an insert that a conflicting id turns into nothing.
    pub raise_verification_counter: String,
    pub insert_verification_if_absent: String,

    pub two_factor_by_user: String,
    /// The columns an upsert overwrites (all but `id` and `userId`), then `userId` as the last
    /// parameter.
    pub update_two_factor_by_user: String,
    pub two_factor_update_columns: Vec<Column>,
    pub delete_two_factor_by_user: String,
    pub compare_and_set_backup_codes: String,
    pub increment_two_factor_failures: String,
    pub set_two_factor_lock: String,
    /// PostgreSQL: serialises concurrent upserts of one user's twoFactor row (there is no unique
    /// constraint on `twoFactor.userId` to conflict on). SQLite has one writer anyway.
    pub lock_user: Option<String>,
}

impl Queries {
    /// `account_issuer`: the database carries Better Auth 1.7.0–1.7.2's `account.issuer`.
    pub(crate) fn new(
        dialect: Dialect,
        schema: &Schema,
        account_issuer: bool,
    ) -> StoreResult<Queries> {
        let plugins = schema.plugins;
        let tables = schema.tables();
        let table = |name: &str| {
            tables
                .iter()
                .find(|t| t.name == name)
                .cloned()
                .ok_or_else(|| StoreError::Schema(format!("no table {name} in the schema")))
        };
        let issuer: Vec<Column> = if account_issuer {
            vec![Column::string(schema::LEGACY_ACCOUNT_ISSUER)]
        } else {
            vec![]
        };
        let user = TableSql::new(dialect, table(schema::USER)?, &[]);
        let session = TableSql::new(dialect, table(schema::SESSION)?, &[]);
        let account = TableSql::new(dialect, table(schema::ACCOUNT)?, &issuer);
        let verification = TableSql::new(dialect, table(schema::VERIFICATION)?, &[]);
        let two_factor = if plugins.two_factor {
            Some(TableSql::new(dialect, table(schema::TWO_FACTOR)?, &[]))
        } else {
            None
        };

        let mut session_and_user_columns = session.columns.clone();
        session_and_user_columns.extend(user.columns.iter().cloned());
        let session_and_user = format!(
            r#"SELECT {}, {} FROM "session" AS s INNER JOIN "user" AS u ON u."id" = s."userId" WHERE s."token" = $1"#,
            select_list(&session.columns, Some("s")),
            select_list(&user.columns, Some("u")),
        );

        let mut delete_user = vec![
            r#"DELETE FROM "session" WHERE "userId" = $1"#.to_owned(),
            r#"DELETE FROM "account" WHERE "userId" = $1"#.to_owned(),
        ];
        if two_factor.is_some() {
            delete_user.push(r#"DELETE FROM "twoFactor" WHERE "userId" = $1"#.to_owned());
        }
        delete_user.push(r#"DELETE FROM "user" WHERE "id" = $1"#.to_owned());

        let credential = format!(
            r#""providerId" = '{}' AND "accountId" = $1 AND "userId" = $1"#,
            tessera_core::model::CREDENTIAL_PROVIDER
        );

        let expires_at = match dialect {
            Dialect::Sqlite => date_as_epoch_ms("expiresAt"),
            Dialect::Postgres => quote("expiresAt"),
        };

        let two_factor_update_columns: Vec<Column> = two_factor
            .iter()
            .flat_map(|t| t.insert_columns.iter().cloned())
            .filter(|c| c.name != "id" && c.name != "userId")
            .collect();

        Ok(Queries {
            dialect,
            user_by_id: user.select_where(r#""id" = $1"#),
            user_by_email: user.select_where(r#""email" = $1"#),
            user_by_field: user
                .columns
                .iter()
                .filter(|c| c.additional && c.unique)
                .map(|c| {
                    let sql = user.select_where(&format!("{} = $1", quote(&c.name)));
                    (c.name.to_string(), sql)
                })
                .collect(),
            delete_user,

            credential_account: account.select_where(&credential),
            accounts_of_user: account.select_where(r#""userId" = $1"#),
            account_by_provider: format!(
                "{} LIMIT 1",
                account.select_where(r#""providerId" = $1 AND "accountId" = $2"#)
            ),
            set_credential_password: format!(
                r#"UPDATE "account" SET "password" = $2, "updatedAt" = $3 WHERE {}"#,
                credential
            ),
            replace_password_hash: r#"UPDATE "account" SET "password" = $3, "updatedAt" = $4 WHERE "id" = $1 AND "password" = $2"#.to_owned(),
            delete_account: r#"DELETE FROM "account" WHERE "id" = $1"#.to_owned(),
            update_account_tokens: r#"UPDATE "account" SET "accessToken" = $2, "refreshToken" = $3, "idToken" = $4, "accessTokenExpiresAt" = $5, "refreshTokenExpiresAt" = $6, "scope" = $7, "updatedAt" = $8 WHERE "id" = $1"#.to_owned(),

            session_and_user,
            session_and_user_columns,
            update_session_expiry: r#"UPDATE "session" SET "expiresAt" = $2, "updatedAt" = $3 WHERE "id" = $1"#.to_owned(),
            delete_session_by_token: r#"DELETE FROM "session" WHERE "token" = $1"#.to_owned(),
            delete_user_sessions: r#"DELETE FROM "session" WHERE "userId" = $1"#.to_owned(),
            delete_user_sessions_except: r#"DELETE FROM "session" WHERE "userId" = $1 AND "token" <> $2"#.to_owned(),
            sessions_of_user: session.select_where(r#""userId" = $1"#),

            verifications_by_identifier: verification.select_where(r#""identifier" = $1"#),
            delete_verification: r#"DELETE FROM "verification" WHERE "id" = $1"#.to_owned(),
            delete_verification_if_value: r#"DELETE FROM "verification" WHERE "id" = $1 AND "value" = $2"#.to_owned(),
            compare_and_set_verification: r#"UPDATE "verification" SET "value" = $3, "updatedAt" = $4 WHERE "id" = $1 AND "value" = $2"#.to_owned(),
            raise_verification_counter: r#"UPDATE "verification" SET "value" = $2, "expiresAt" = $3, "updatedAt" = $4 WHERE "id" = $1 AND CAST("value" AS BIGINT) < CAST($2 AS BIGINT)"#.to_owned(),
            insert_verification_if_absent: format!(
                "{} ON CONFLICT (\"id\") DO NOTHING",
                verification.insert
            ),
            delete_expired_verifications: format!(
                r#"DELETE FROM "verification" WHERE {expires_at} < $1"#
            ),

            two_factor_by_user: two_factor
                .as_ref()
                .map(|t| t.select_where(r#""userId" = $1"#))
                .unwrap_or_default(),
            update_two_factor_by_user: format!(
                r#"UPDATE "twoFactor" SET {} WHERE "userId" = ${}"#,
                assignments(&names(&two_factor_update_columns), 1),
                two_factor_update_columns.len() + 1
            ),
            two_factor_update_columns,
            delete_two_factor_by_user: r#"DELETE FROM "twoFactor" WHERE "userId" = $1"#.to_owned(),
            compare_and_set_backup_codes: r#"UPDATE "twoFactor" SET "backupCodes" = $3 WHERE "userId" = $1 AND "backupCodes" = $2"#.to_owned(),
            increment_two_factor_failures: r#"UPDATE "twoFactor" SET "failedVerificationCount" = COALESCE("failedVerificationCount", 0) + 1 WHERE "userId" = $1 RETURNING "failedVerificationCount""#.to_owned(),
            set_two_factor_lock: r#"UPDATE "twoFactor" SET "failedVerificationCount" = $2, "lockedUntil" = $3 WHERE "userId" = $1"#.to_owned(),
            lock_user: (dialect == Dialect::Postgres)
                .then(|| r#"SELECT "id" FROM "user" WHERE "id" = $1 FOR UPDATE"#.to_owned()),

            user,
            session,
            account,
            verification,
            two_factor,
        })
    }
}

/// SQLite: a date column as epoch milliseconds, whether it holds Better Auth's ISO text or another
/// adapter's epoch-ms integer (compared directly, integers sort before any text). Unparsable text
/// gives NULL, which no comparison matches.
pub(crate) fn date_as_epoch_ms(column: &str) -> String {
    let c = quote(column);
    format!(
        "(CASE WHEN typeof({c}) = 'integer' THEN {c} \
         ELSE CAST(round((julianday({c}) - 2440587.5) * 86400000.0) AS INTEGER) END)"
    )
}

/// `"a", "b"`, or `s."a", s."b"` with an alias.
pub(crate) fn select_list(columns: &[Column], alias: Option<&str>) -> String {
    let prefix = alias.map(|a| format!("{a}.")).unwrap_or_default();
    columns
        .iter()
        .map(|c| format!("{prefix}{}", quote(&c.name)))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(crate) fn names(columns: &[Column]) -> Vec<&str> {
    columns.iter().map(|c| c.name.as_str()).collect()
}

/// `"a" = $n, "b" = $n+1, …`.
pub(crate) fn assignments(columns: &[&str], first: usize) -> String {
    columns
        .iter()
        .enumerate()
        .map(|(i, c)| format!("{} = ${}", quote(c), first + i))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `INSERT INTO "t" ("a", "b") VALUES ($1, $2), ($3, $4), …` for `rows` rows.
///
/// On SQLite the placeholders are anonymous `?`: SQLite looks numbered and named parameters up in
/// a list, once per parameter when parsing and again when binding, which turns a statement with
/// thousands of them quadratic (seconds per import batch). Anonymous ones bind by position.
pub(crate) fn insert(dialect: Dialect, table: &str, columns: &[&str], rows: usize) -> String {
    let names: Vec<String> = columns.iter().map(|c| quote(c)).collect();
    let width = columns.len();
    let mut sql = format!(
        "INSERT INTO {} ({}) VALUES ",
        quote(table),
        names.join(", ")
    );
    for row in 0..rows {
        if row > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for col in 0..width {
            if col > 0 {
                sql.push_str(", ");
            }
            match dialect {
                Dialect::Sqlite => sql.push('?'),
                Dialect::Postgres => {
                    sql.push('$');
                    sql.push_str(&(row * width + col + 1).to_string());
                }
            }
        }
        sql.push(')');
    }
    sql
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use tessera_core::plugins::Plugins;

    #[test]
    fn multi_row_insert_numbers_placeholders_row_by_row() {
        assert_eq!(
            insert(Dialect::Postgres, "user", &["id", "name"], 2),
            r#"INSERT INTO "user" ("id", "name") VALUES ($1, $2), ($3, $4)"#
        );
        assert_eq!(
            insert(Dialect::Sqlite, "user", &["id", "name"], 2),
            r#"INSERT INTO "user" ("id", "name") VALUES (?, ?), (?, ?)"#
        );
    }

    #[test]
    fn queries_name_only_enabled_plugin_columns() {
        let core = Queries::new(Dialect::Sqlite, &Plugins::NONE.into(), false).unwrap();
        assert!(!core.session_and_user.contains("impersonatedBy"));
        assert!(!core.session_and_user.contains("role"));
        assert!(core.user_by_field.is_empty());
        let all = Queries::new(Dialect::Postgres, &Plugins::ALL.into(), true).unwrap();
        assert!(all.session_and_user.contains(r#"s."impersonatedBy""#));
        assert!(all.session_and_user.contains(r#"u."phoneNumberVerified""#));
        assert!(all.account.insert.contains(r#""issuer""#));
        assert_eq!(
            all.update_two_factor_by_user,
            r#"UPDATE "twoFactor" SET "secret" = $1, "backupCodes" = $2, "verified" = $3, "failedVerificationCount" = $4, "lockedUntil" = $5 WHERE "userId" = $6"#
        );
    }
}
