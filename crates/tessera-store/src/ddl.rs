//! Schema descriptions ([`tessera_core::schema`]) turned into the DDL Better Auth 1.7.25 emits through
//! Kysely (reference §1.2): same statements, same order, same spelling, byte for byte.
//!
//! Kysely prints a column as `"name" type [default …] [not null] [primary key] [unique]
//! [references "t" ("c") on delete cascade]`. A created table gets `unique` inline and a separate
//! `<table>_<column>_idx` for indexed columns; a column added to an existing table gets a unique index
//! `<table>_<column>_uidx` instead, and its static default (`default 0`, `default false`), so that
//! existing rows get a value.

use tessera_core::model::FieldValue;
use tessera_core::schema::{Column, ColumnDefault, FieldType, OnDelete, QueryIndex, Schema, Table};

use crate::Dialect;

/// What `npx auth generate` writes for an empty database: Better Auth's `compileMigrations()`, i.e.
/// the statements joined by `";\n\n"` with a final `;` and no trailing newline.
pub fn generate(dialect: Dialect, schema: impl Into<Schema>) -> String {
    generate_tables(dialect, &schema.into().tables())
}

/// [`generate`] for a list of tables, e.g. [`crate::all_tables`] with plugins' own tables.
pub fn generate_tables(dialect: Dialect, tables: &[Table]) -> String {
    join_like_better_auth(&create_table_statements(dialect, tables))
}

/// Joins statements the way Better Auth's `compileMigrations()` does.
pub fn join_like_better_auth(statements: &[String]) -> String {
    if statements.is_empty() {
        return String::new();
    }
    format!("{};", statements.join(";\n\n"))
}

/// The statements (without `;`) that create every table of the schema on an empty database: the
/// tables in order, then their indexes.
pub fn create_statements(dialect: Dialect, schema: impl Into<Schema>) -> Vec<String> {
    create_table_statements(dialect, &schema.into().tables())
}

/// [`create_statements`] for a list of tables.
pub fn create_table_statements(dialect: Dialect, tables: &[Table]) -> Vec<String> {
    let mut statements: Vec<String> = tables.iter().map(|t| create_table(dialect, t)).collect();
    statements.extend(
        tables
            .iter()
            .flat_map(created_table_indexes)
            .map(|index| index.sql),
    );
    statements
}

/// `create table "t" (…)` without its indexes (see [`created_table_indexes`]).
pub fn create_table(dialect: Dialect, table: &Table) -> String {
    let columns: Vec<String> = table
        .columns
        .iter()
        .map(|c| column_definition(dialect, c, Context::CreateTable))
        .collect();
    format!(
        "create table {} ({})",
        quote(table.name),
        columns.join(", ")
    )
}

/// The `create index` statements that follow a `create table`: one per indexed, non-unique column
/// (unique columns are covered by their inline `unique`).
pub fn created_table_indexes(table: &Table) -> Vec<Index> {
    table
        .columns
        .iter()
        .filter(|c| c.index && !c.unique && !c.primary_key)
        .map(|c| Index::on(table.name, c))
        .collect()
}

/// `alter table "t" add column …`, with the static default that fills existing rows.
pub fn add_column(dialect: Dialect, table: &str, column: &Column) -> String {
    format!(
        "alter table {} add column {}",
        quote(table),
        column_definition(dialect, column, Context::AddColumn)
    )
}

/// The index an added column needs, if any: `<t>_<c>_uidx` (unique) or `<t>_<c>_idx`.
pub fn added_column_index(table: &str, column: &Column) -> Option<Index> {
    (column.index || column.unique).then(|| Index::on(table, column))
}

/// A single-column index: its name and its `create index` statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Index {
    pub name: String,
    pub sql: String,
}

impl Index {
    pub fn on(table: &str, column: &Column) -> Index {
        Index {
            name: index_name(table, column),
            sql: create_index(table, column),
        }
    }
}

impl Index {
    /// One of Tessera's own multi-column indexes. On SQLite a date column is indexed as the
    /// expression sorts and conditions compare it with ([`crate::queries::date_as_epoch_ms`]), so
    /// that `ORDER BY` on it can walk the index.
    pub fn query(dialect: Dialect, index: &QueryIndex, table: &Table) -> Index {
        let columns: Vec<String> = index
            .columns
            .iter()
            .map(|name| match (dialect, table.column(name).map(|c| c.ty)) {
                (Dialect::Sqlite, Some(FieldType::Date)) => crate::queries::date_as_epoch_ms(name),
                _ => quote(name),
            })
            .collect();
        Index {
            name: index.name.to_owned(),
            sql: format!(
                "create index {} on {} ({})",
                quote(index.name),
                quote(index.table),
                columns.join(", ")
            ),
        }
    }
}

/// `create [unique] index "<t>_<c>_[u]idx" on "t" ("c")`.
pub fn create_index(table: &str, column: &Column) -> String {
    let unique = if column.unique { "unique " } else { "" };
    format!(
        "create {unique}index {} on {} ({})",
        quote(&index_name(table, column)),
        quote(table),
        quote(&column.name)
    )
}

/// Better Auth's `getDatabaseFieldIndexName`: `<t>_<c>_idx`, or `<t>_<c>_uidx` when unique. (It
/// hashes names longer than 63 bytes; none of ours come close.)
pub fn index_name(table: &str, column: &Column) -> String {
    let suffix = if column.unique { "uidx" } else { "idx" };
    format!("{table}_{}_{suffix}", column.name)
}

/// Identifiers are always double-quoted, as Kysely does; `"user"` is reserved on PostgreSQL.
pub fn quote(identifier: &str) -> String {
    format!("\"{}\"", identifier.replace('"', "\"\""))
}

pub(crate) fn column_type(dialect: Dialect, ty: FieldType) -> &'static str {
    match (dialect, ty) {
        (_, FieldType::String) => "text",
        (Dialect::Sqlite, FieldType::Boolean) => "integer",
        (Dialect::Postgres, FieldType::Boolean) => "boolean",
        (Dialect::Sqlite, FieldType::Date) => "date",
        (Dialect::Postgres, FieldType::Date) => "timestamptz",
        (_, FieldType::Number) => "integer",
        (_, FieldType::BigNumber) => "bigint",
        (Dialect::Sqlite, FieldType::Json) => "text",
        (Dialect::Postgres, FieldType::Json) => "jsonb",
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Context {
    CreateTable,
    AddColumn,
}

fn column_definition(dialect: Dialect, column: &Column, context: Context) -> String {
    let mut sql = format!(
        "{} {}",
        quote(&column.name),
        column_type(dialect, column.ty)
    );
    if let Some(default) = sql_default(dialect, column, context) {
        sql.push_str(" default ");
        sql.push_str(&default);
    }
    if column.required {
        sql.push_str(" not null");
    }
    if column.primary_key {
        sql.push_str(" primary key");
    }
    if column.unique && context == Context::CreateTable {
        sql.push_str(" unique");
    }
    if let Some(reference) = column.references {
        let on_delete = match reference.on_delete {
            OnDelete::Cascade => "cascade",
        };
        sql.push_str(&format!(
            " references {} ({}) on delete {on_delete}",
            quote(reference.table),
            quote(reference.column)
        ));
    }
    sql
}

fn sql_default(dialect: Dialect, column: &Column, context: Context) -> Option<String> {
    if column.defaults_to_now() && dialect == Dialect::Postgres {
        return Some("CURRENT_TIMESTAMP".to_owned());
    }
    // Better Auth skips static defaults on optional unique columns: every existing row would get
    // the same value and the unique index would fail.
    if context == Context::CreateTable || (column.unique && !column.required) {
        return None;
    }
    match (&column.default, dialect) {
        (ColumnDefault::Bool(b), Dialect::Sqlite)
        | (ColumnDefault::Value(FieldValue::Boolean(b)), Dialect::Sqlite) => {
            Some(u8::from(*b).to_string())
        }
        (ColumnDefault::Bool(b), Dialect::Postgres)
        | (ColumnDefault::Value(FieldValue::Boolean(b)), Dialect::Postgres) => Some(b.to_string()),
        (ColumnDefault::Int(n), _) => Some(n.to_string()),
        (ColumnDefault::Value(FieldValue::Number(n)), _) => Some(n.to_string()),
        (ColumnDefault::Value(FieldValue::String(s)), _) => Some(sql_string(s)),
        _ => None,
    }
}

/// A SQL string literal, as Kysely writes a default value: single quotes, doubled inside.
fn sql_string(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Whether `alter table … add column` can give existing rows a value for this column.
pub(crate) fn has_add_column_default(dialect: Dialect, column: &Column) -> bool {
    !column.required || sql_default(dialect, column, Context::AddColumn).is_some()
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use super::*;
    use tessera_core::plugins::Plugins;
    use tessera_core::schema;

    #[test]
    fn added_columns_carry_the_defaults_better_auth_emits() {
        let user = schema::table(Plugins::ALL, schema::USER).expect("user");
        let banned = user.column("banned").expect("banned");
        assert_eq!(
            add_column(Dialect::Sqlite, "user", banned),
            r#"alter table "user" add column "banned" integer default 0"#
        );
        assert_eq!(
            add_column(Dialect::Postgres, "user", banned),
            r#"alter table "user" add column "banned" boolean default false"#
        );
        let verified = user.column("emailVerified").expect("emailVerified");
        assert_eq!(
            add_column(Dialect::Postgres, "user", verified),
            r#"alter table "user" add column "emailVerified" boolean default false not null"#
        );
        let username = user.column("username").expect("username");
        assert_eq!(
            add_column(Dialect::Sqlite, "user", username),
            r#"alter table "user" add column "username" text"#
        );
        assert_eq!(
            added_column_index("user", username)
                .map(|i| i.sql)
                .as_deref(),
            Some(r#"create unique index "user_username_uidx" on "user" ("username")"#)
        );
        let created_at = user.column("createdAt").expect("createdAt");
        assert_eq!(
            add_column(Dialect::Postgres, "user", created_at),
            r#"alter table "user" add column "createdAt" timestamptz default CURRENT_TIMESTAMP not null"#
        );
        assert!(!has_add_column_default(Dialect::Sqlite, created_at));
        assert!(has_add_column_default(Dialect::Postgres, created_at));
    }

    #[test]
    fn rate_limit_table_matches_better_auth() {
        let table = schema::rate_limit_table();
        let expected = r#"create table "rateLimit" ("id" text not null primary key, "key" text not null unique, "count" integer not null, "lastRequest" bigint not null)"#;
        assert_eq!(create_table(Dialect::Sqlite, &table), expected);
        assert_eq!(create_table(Dialect::Postgres, &table), expected);
    }
}
