//! `tessera migrate`: bring a live database up to the schema of the enabled plugins, the way Better
//! Auth's `getMigrations` does (reference §1.2, "Migration algorithm"), and nothing more destructive.
//!
//! Better Auth keeps no migrations table, and neither do we: every run compares the schema
//! description with what the database holds. Statements come in Better Auth's order (added columns,
//! created tables, then indexes) and run in one transaction, so a refused or failed step leaves the
//! database as it was. Unlike Better Auth, a missing non-unique index on an existing column is
//! created too (databases written by other adapters often lack them).
//!
//! Columns the schema does not know are left alone. The one Better Auth itself once required,
//! `account.issuer` (1.7.0–1.7.2), is filled on every account insert when present (see
//! [`tessera_core::schema::legacy_account_issuer`]).

use std::fmt;

use tessera_core::schema::{self, Column, FieldType, QueryIndex, Schema, Table};

use crate::db::Db;
use crate::ddl::{self, Index};
use crate::introspect::{self, LiveColumn, LiveSchema};
use crate::{Dialect, OpenOptions, StoreError, StoreResult};

/// What a migration did (or, from [`plan`], would do).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationReport {
    pub dialect: Dialect,
    /// Tables created, e.g. `twoFactor`.
    pub created_tables: Vec<String>,
    /// Columns added to existing tables, as `table.column`.
    pub added_columns: Vec<String>,
    pub created_indexes: Vec<String>,
    /// Every statement, in execution order, without the final `;`.
    pub statements: Vec<String>,
    /// Things left as they are that an operator may want to know: extra columns, type drift,
    /// missing unique indexes.
    pub notes: Vec<String>,
    /// False for a [`plan`].
    pub applied: bool,
}

impl MigrationReport {
    pub fn is_up_to_date(&self) -> bool {
        self.statements.is_empty()
    }
}

impl fmt::Display for MigrationReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_up_to_date() {
            writeln!(f, "database schema is up to date; nothing to do")?;
        }
        let verb = |done: &'static str, todo: &'static str| if self.applied { done } else { todo };
        for table in &self.created_tables {
            writeln!(f, "{} table {table}", verb("created", "would create"))?;
        }
        for column in &self.added_columns {
            writeln!(f, "{} column {column}", verb("added", "would add"))?;
        }
        for index in &self.created_indexes {
            writeln!(f, "{} index {index}", verb("created", "would create"))?;
        }
        for note in &self.notes {
            writeln!(f, "note: {note}")?;
        }
        Ok(())
    }
}

/// Migrates the database at `url` to `schema` (the enabled plugins, the configured additional
/// fields, and plugins' own tables). Running it again finds nothing to do.
pub async fn migrate(url: &str, schema: impl Into<Schema>) -> StoreResult<MigrationReport> {
    connect_and_run(url, schema.into(), true).await
}

/// [`migrate`], with tables of plugins' own besides (see [`crate::all_tables`]).
pub async fn migrate_with(
    url: &str,
    schema: impl Into<Schema>,
    extra_tables: &[Table],
) -> StoreResult<MigrationReport> {
    let mut schema = schema.into();
    schema.extra_tables.extend(extra_tables.iter().cloned());
    connect_and_run(url, schema, true).await
}

/// What [`migrate`] would do, without doing it.
pub async fn plan(url: &str, schema: impl Into<Schema>) -> StoreResult<MigrationReport> {
    connect_and_run(url, schema.into(), false).await
}

/// What [`migrate_with`] would do, without doing it.
pub async fn plan_with(
    url: &str,
    schema: impl Into<Schema>,
    extra_tables: &[Table],
) -> StoreResult<MigrationReport> {
    let mut schema = schema.into();
    schema.extra_tables.extend(extra_tables.iter().cloned());
    connect_and_run(url, schema, false).await
}

async fn connect_and_run(url: &str, schema: Schema, apply: bool) -> StoreResult<MigrationReport> {
    let tables = crate::all_tables(&schema)?;
    let db = Db::connect(url, &OpenOptions::default()).await?;
    let report = run(&db, &tables, &schema.query_indexes(), apply).await;
    db.close().await;
    report
}

pub(crate) async fn run(
    db: &Db,
    tables: &[Table],
    query_indexes: &[QueryIndex],
    apply: bool,
) -> StoreResult<MigrationReport> {
    let dialect = db.dialect();
    let live = introspect::introspect(db).await?;
    let mut report = MigrationReport {
        dialect,
        created_tables: vec![],
        added_columns: vec![],
        created_indexes: vec![],
        statements: vec![],
        notes: vec![],
        applied: apply,
    };
    let mut added = vec![];
    let mut created = vec![];
    let mut added_indexes = vec![];
    let mut created_indexes = vec![];
    let mut existing_indexes = vec![];

    for table in tables {
        let Some(live_columns) = live.columns(table.name) else {
            created.push(ddl::create_table(dialect, table));
            created_indexes.extend(ddl::created_table_indexes(table));
            report.created_tables.push(table.name.to_owned());
            continue;
        };
        for column in &table.columns {
            match live_columns.iter().find(|c| c.name == column.name.as_str()) {
                None => {
                    check_addable(db, dialect, table, column).await?;
                    added.push(ddl::add_column(dialect, table.name, column));
                    added_indexes.extend(ddl::added_column_index(table.name, column));
                    report
                        .added_columns
                        .push(format!("{}.{}", table.name, column.name));
                }
                Some(live_column) => {
                    note_drift(&mut report, dialect, table, column, live_column);
                    existing_indexes.extend(missing_index(&mut report, &live, table, column));
                }
            }
        }
        note_extra_columns(&mut report, table, live_columns);
    }

    // Tessera's own indexes go last, so that their tables and columns exist by then.
    let own = query_indexes.iter().filter_map(|index| {
        let table = tables.iter().find(|t| t.name == index.table)?;
        live.index_named(index.name)
            .is_none()
            .then(|| Index::query(dialect, index, table))
    });
    let indexes: Vec<Index> = added_indexes
        .into_iter()
        .chain(created_indexes)
        .chain(existing_indexes)
        .chain(own)
        .collect();
    report.created_indexes = indexes.iter().map(|index| index.name.clone()).collect();
    report.statements = added
        .into_iter()
        .chain(created)
        .chain(indexes.into_iter().map(|index| index.sql))
        .collect();

    if apply && !report.statements.is_empty() {
        let mut tx = db.begin().await?;
        for statement in &report.statements {
            tx.execute(statement, vec![]).await?;
        }
        tx.commit().await?;
    }
    Ok(report)
}

/// Better Auth's rule: a required column without a default cannot be added to a table with rows.
/// SQLite refuses `NOT NULL` without a default even on an empty table, so say so before trying.
async fn check_addable(
    db: &Db,
    dialect: Dialect,
    table: &Table,
    column: &Column,
) -> StoreResult<()> {
    if ddl::has_add_column_default(dialect, column) {
        return Ok(());
    }
    let cannot = format!(
        "cannot add required column \"{}\".\"{}\": the schema gives it no default",
        table.name, column.name
    );
    if dialect == Dialect::Sqlite {
        return Err(StoreError::Schema(format!(
            "{cannot}, and SQLite cannot add a NOT NULL column without one; add it as nullable, \
             backfill every row, then recreate the table with NOT NULL"
        )));
    }
    if introspect::has_rows(db, table.name).await? {
        return Err(StoreError::Schema(format!(
            "{cannot}, so the existing rows of \"{}\" would have no value; add it as nullable, \
             backfill every row, then make it NOT NULL",
            table.name
        )));
    }
    Ok(())
}

/// Types Better Auth's migrator accepts for each field type; anything else only earns a note, as it
/// only earns a warning there.
fn compatible(dialect: Dialect, ty: FieldType, data_type: &str) -> bool {
    let data_type = data_type.split('(').next().unwrap_or_default().trim();
    let data_type = data_type.to_ascii_lowercase();
    let accepted: &[&str] = match (dialect, ty) {
        (Dialect::Sqlite, FieldType::String) => &["text"],
        (Dialect::Sqlite, FieldType::Boolean) => &["integer", "boolean"],
        (Dialect::Sqlite, FieldType::Date) => &["date", "integer"],
        (Dialect::Sqlite, FieldType::Number | FieldType::BigNumber) => {
            &["integer", "real", "bigint"]
        }
        (Dialect::Sqlite, FieldType::Json) => &["text"],
        (Dialect::Postgres, FieldType::Json) => &["json", "jsonb"],
        (Dialect::Postgres, FieldType::String) => &["text", "varchar", "character varying", "uuid"],
        (Dialect::Postgres, FieldType::Boolean) => &["bool", "boolean"],
        (Dialect::Postgres, FieldType::Date) => &["timestamptz", "timestamp", "date"],
        (Dialect::Postgres, FieldType::Number | FieldType::BigNumber) => &[
            "int2",
            "int4",
            "int8",
            "smallint",
            "integer",
            "bigint",
            "numeric",
            "real",
            "float4",
            "float8",
            "double precision",
        ],
    };
    accepted.contains(&data_type.as_str())
}

fn note_drift(
    report: &mut MigrationReport,
    dialect: Dialect,
    table: &Table,
    column: &Column,
    live: &LiveColumn,
) {
    if !compatible(dialect, column.ty, &live.data_type) {
        report.notes.push(format!(
            "{}.{} has type {}, where Better Auth expects a {:?} column",
            table.name, column.name, live.data_type, column.ty
        ));
    }
}

fn missing_index(
    report: &mut MigrationReport,
    live: &LiveSchema,
    table: &Table,
    column: &Column,
) -> Option<Index> {
    if column.primary_key {
        return None;
    }
    if column.unique {
        if !live.has_index_on(table.name, &column.name, true) {
            report.notes.push(format!(
                "{}.{} has no unique index; duplicates are possible (left as is: creating one \
                 fails if duplicates already exist)",
                table.name, column.name
            ));
        }
        return None;
    }
    if !column.index || live.has_index_on(table.name, &column.name, false) {
        return None;
    }
    let name = ddl::index_name(table.name, column);
    if live.index_named(&name).is_some() {
        report.notes.push(format!(
            "index {name} exists but does not cover exactly {}.{}; left as is",
            table.name, column.name
        ));
        return None;
    }
    Some(Index::on(table.name, column))
}

fn note_extra_columns(report: &mut MigrationReport, table: &Table, live_columns: &[LiveColumn]) {
    for extra in live_columns
        .iter()
        .filter(|c| table.column(&c.name).is_none())
    {
        let required = extra.not_null && !extra.has_default;
        let note = if table.name == schema::ACCOUNT && extra.name == schema::LEGACY_ACCOUNT_ISSUER {
            "left from Better Auth 1.7.0–1.7.2; Tessera fills it on insert (local:credential, \
             local:oauth:<providerId>)"
                .to_owned()
        } else if required {
            "NOT NULL without a default: Tessera does not know it, so its inserts into this table \
             will fail until it gets a default or becomes nullable"
                .to_owned()
        } else {
            "not part of the schema; left alone".to_owned()
        };
        report.notes.push(format!(
            "extra column {}.{}: {note}",
            table.name, extra.name
        ));
    }
}
