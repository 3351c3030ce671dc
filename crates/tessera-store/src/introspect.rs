//! What a live database holds: tables, columns and single-column indexes. SQLite answers through
//! `pragma_table_info` / `pragma_index_list`; PostgreSQL through `information_schema` and the catalog,
//! in the current schema (`search_path`), as Better Auth's migrator does.

use std::collections::BTreeMap;

use tessera_core::schema::Column;

use crate::db::{Db, Shape, Target};
use crate::value::Cell;
use crate::{Dialect, StoreError, StoreResult};

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LiveColumn {
    pub name: String,
    /// As the database spells it (`TEXT`, `date`, `timestamptz`, `int4`, …).
    pub data_type: String,
    pub not_null: bool,
    pub has_default: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LiveIndex {
    pub name: String,
    pub table: String,
    pub unique: bool,
    /// Key columns in order; an expression column is `None`.
    pub columns: Vec<Option<String>>,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct LiveSchema {
    pub tables: BTreeMap<String, Vec<LiveColumn>>,
    pub indexes: Vec<LiveIndex>,
}

impl LiveSchema {
    pub(crate) fn columns(&self, table: &str) -> Option<&[LiveColumn]> {
        self.tables.get(table).map(Vec::as_slice)
    }

    pub(crate) fn column(&self, table: &str, column: &str) -> Option<&LiveColumn> {
        self.columns(table)?.iter().find(|c| c.name == column)
    }

    /// Whether an index on exactly this one column exists (unique ones count for lookups too).
    pub(crate) fn has_index_on(&self, table: &str, column: &str, unique: bool) -> bool {
        self.indexes.iter().any(|i| {
            i.table == table
                && (i.unique || !unique)
                && matches!(i.columns.as_slice(), [Some(c)] if c == column)
        })
    }

    pub(crate) fn index_named(&self, name: &str) -> Option<&LiveIndex> {
        self.indexes.iter().find(|i| i.name == name)
    }
}

const SQLITE_COLUMNS: &str = r#"SELECT m."name", p."name", p."type", p."notnull", p."dflt_value" IS NOT NULL
FROM "sqlite_master" AS m JOIN pragma_table_info(m."name") AS p
WHERE m."type" = 'table' AND m."name" NOT LIKE 'sqlite\_%' ESCAPE '\'
ORDER BY m."name", p."cid""#;

const SQLITE_INDEXES: &str = r#"SELECT m."name", l."name", i."name", l."unique", i."seqno"
FROM "sqlite_master" AS m JOIN pragma_index_list(m."name") AS l JOIN pragma_index_info(l."name") AS i
WHERE m."type" = 'table' AND l."partial" = 0
ORDER BY m."name", l."name", i."seqno""#;

const POSTGRES_COLUMNS: &str = r#"SELECT c.table_name::text, c.column_name::text, c.udt_name::text,
  c.is_nullable = 'NO', c.column_default IS NOT NULL
FROM information_schema.columns AS c
JOIN information_schema.tables AS t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
ORDER BY c.table_name, c.ordinal_position"#;

const POSTGRES_INDEXES: &str = r#"SELECT tc.relname::text, ic.relname::text, a.attname::text, ix.indisunique, k.ord
FROM pg_class AS tc
JOIN pg_namespace AS n ON n.oid = tc.relnamespace
JOIN pg_index AS ix ON ix.indrelid = tc.oid
JOIN pg_class AS ic ON ic.oid = ix.indexrelid
JOIN LATERAL unnest(ix.indkey) WITH ORDINALITY AS k(attnum, ord) ON TRUE
LEFT JOIN pg_attribute AS a ON a.attrelid = tc.oid AND a.attnum = k.attnum
WHERE n.nspname = current_schema() AND tc.relkind = 'r' AND ix.indpred IS NULL
  AND k.ord <= ix.indnkeyatts
ORDER BY 1, 2, 5"#;

static COLUMN_SHAPE: [Column; 5] = [
    Column::string("table"),
    Column::string("column"),
    Column::string("type"),
    Column::boolean("notNull"),
    Column::boolean("hasDefault"),
];

static INDEX_SHAPE: [Column; 5] = [
    Column::string("table"),
    Column::string("index"),
    Column::string("column"),
    Column::boolean("unique"),
    Column::big_number("position"),
];

pub(crate) async fn introspect(db: &Db) -> StoreResult<LiveSchema> {
    let (columns_sql, indexes_sql) = match db.dialect() {
        Dialect::Sqlite => (SQLITE_COLUMNS, SQLITE_INDEXES),
        Dialect::Postgres => (POSTGRES_COLUMNS, POSTGRES_INDEXES),
    };
    let shape = |columns| Shape {
        table: "(catalog)",
        columns,
    };
    let mut schema = LiveSchema::default();
    for row in db
        .fetch_all(Target::Write, columns_sql, vec![], shape(&COLUMN_SHAPE))
        .await?
    {
        let [table, name, data_type, not_null, has_default] = row.as_slice() else {
            return Err(catalog_error("column row"));
        };
        schema
            .tables
            .entry(text(table)?)
            .or_default()
            .push(LiveColumn {
                name: text(name)?,
                data_type: text(data_type).unwrap_or_default(),
                not_null: matches!(not_null, Cell::Bool(true)),
                has_default: matches!(has_default, Cell::Bool(true)),
            });
    }
    for row in db
        .fetch_all(Target::Write, indexes_sql, vec![], shape(&INDEX_SHAPE))
        .await?
    {
        let [table, name, column, unique, _position] = row.as_slice() else {
            return Err(catalog_error("index row"));
        };
        let (table, name) = (text(table)?, text(name)?);
        let column = text(column).ok();
        match schema.indexes.last_mut() {
            Some(last) if last.table == table && last.name == name => last.columns.push(column),
            _ => schema.indexes.push(LiveIndex {
                name,
                table,
                unique: matches!(unique, Cell::Bool(true)),
                columns: vec![column],
            }),
        }
    }
    Ok(schema)
}

/// Whether the table holds at least one row.
pub(crate) async fn has_rows(db: &Db, table: &str) -> StoreResult<bool> {
    let sql = format!("SELECT 1 FROM {} LIMIT 1", crate::ddl::quote(table));
    let shape = Shape {
        table: "(catalog)",
        columns: &[Column::big_number("present")],
    };
    Ok(db
        .fetch_optional(Target::Write, &sql, vec![], shape)
        .await?
        .is_some())
}

fn text(cell: &Cell) -> StoreResult<String> {
    match cell {
        Cell::Text(s) => Ok(s.clone()),
        _ => Err(catalog_error("a name that is not text")),
    }
}

fn catalog_error(what: &str) -> StoreError {
    StoreError::Schema(format!("unexpected catalog answer: {what}"))
}
