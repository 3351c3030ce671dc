//! PostgreSQL encoding: timestamptz and boolean, as Better Auth's Kysely adapter writes them; reading
//! also accepts the other column types Better Auth's migrator tolerates (timestamp, date, int2/int4).

use std::str::FromStr;

use sqlx::postgres::{
    PgArguments, PgConnectOptions, PgDatabaseError, PgPool, PgPoolOptions, PgRow, PgValueRef,
};
use sqlx::{Decode, Postgres, Row, TypeInfo, ValueRef};
use tessera_core::schema::{Column, FieldType};
use time::{OffsetDateTime, PrimitiveDateTime};

use crate::value::{Cell, Value};
use crate::{OpenOptions, StoreError, StoreResult};

pub(crate) type Query<'q> = sqlx::query::Query<'q, Postgres, PgArguments>;

/// The wire protocol carries the parameter count in 16 bits: at most 65535 per statement.
pub(crate) const MAX_VARIABLES: usize = 65535;

const DEFAULT_POOL_SIZE: u32 = 10;

pub(crate) async fn connect(url: &str, options: &OpenOptions) -> StoreResult<PgPool> {
    let connect = PgConnectOptions::from_str(url).map_err(|e| StoreError::Url(format!("{e}")))?;
    Ok(PgPoolOptions::new()
        .max_connections(options.pool_size.unwrap_or(DEFAULT_POOL_SIZE).max(1))
        .acquire_timeout(options.acquire_timeout)
        .connect_with(connect)
        .await?)
}

pub(crate) fn bind(query: Query<'_>, value: Value) -> Query<'_> {
    match value {
        Value::Text(s) => query.bind(s),
        Value::Bool(b) => query.bind(b),
        Value::Date(t) => query.bind(t),
        Value::Int(n) => query.bind(n),
        Value::Real(n) => query.bind(n),
        // JSONB, as Better Auth's PostgreSQL adapter declares `json` fields.
        Value::Json(v) => query.bind(v),
    }
}

pub(crate) fn decode_row(row: &PgRow, shape: &[Column]) -> Result<Vec<Cell>, String> {
    shape
        .iter()
        .enumerate()
        .map(|(i, column)| {
            let raw = row
                .try_get_raw(i)
                .map_err(|e| format!("{}: {e}", column.name))?;
            decode_cell(raw, column.ty).map_err(|e| format!("{}: {e}", column.name))
        })
        .collect()
}

fn decode_cell(raw: PgValueRef<'_>, ty: FieldType) -> Result<Cell, String> {
    if raw.is_null() {
        return Ok(Cell::Null);
    }
    let pg_type = raw.type_info().name().to_owned();
    let cell = match (ty, pg_type.as_str()) {
        (FieldType::String, "TEXT" | "VARCHAR" | "BPCHAR" | "NAME" | "CHAR") => {
            Cell::Text(decode::<String>(raw)?)
        }
        (FieldType::Boolean, "BOOL") => Cell::Bool(decode::<bool>(raw)?),
        (FieldType::Date, "TIMESTAMPTZ") => Cell::Date(decode::<OffsetDateTime>(raw)?),
        // Better Auth's migrator accepts `timestamp` and `date` columns; both hold UTC.
        (FieldType::Date, "TIMESTAMP") => {
            Cell::Date(decode::<PrimitiveDateTime>(raw)?.assume_utc())
        }
        (FieldType::Date, "DATE") => Cell::Date(decode::<time::Date>(raw)?.midnight().assume_utc()),
        (FieldType::Number | FieldType::BigNumber, "INT8") => Cell::Int(decode::<i64>(raw)?),
        (FieldType::Number | FieldType::BigNumber, "INT4") => {
            Cell::Int(i64::from(decode::<i32>(raw)?))
        }
        (FieldType::Number | FieldType::BigNumber, "INT2") => {
            Cell::Int(i64::from(decode::<i16>(raw)?))
        }
        (FieldType::Number, "FLOAT8") => Cell::Real(decode::<f64>(raw)?),
        (FieldType::Number, "FLOAT4") => Cell::Real(f64::from(decode::<f32>(raw)?)),
        (FieldType::Json, "JSONB" | "JSON") => Cell::Json(decode::<serde_json::Value>(raw)?),
        // Better Auth's migrator also accepts a text column for JSON on SQLite-like setups.
        (FieldType::Json, "TEXT" | "VARCHAR") => {
            let text = decode::<String>(raw)?;
            Cell::Json(serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)))
        }
        (_, other) => return Err(format!("{ty:?} stored as {other}")),
    };
    Ok(cell)
}

fn decode<'r, T: Decode<'r, Postgres>>(raw: PgValueRef<'r>) -> Result<T, String> {
    T::decode(raw).map_err(|e| e.to_string())
}

/// The column a unique violation names: from `Key (email)=(…) already exists.`, else from the
/// constraint name (`user_email_key`, `user_username_uidx`, `user_pkey`).
pub(crate) fn unique_violation_column(error: &PgDatabaseError) -> Option<String> {
    if let Some(detail) = error.detail()
        && let Some(rest) = detail.strip_prefix("Key (")
        && let Some((columns, _)) = rest.split_once(")=")
    {
        let first = columns.split(',').next().unwrap_or(columns).trim();
        return Some(first.trim_matches('"').to_owned());
    }
    let constraint = error.constraint()?;
    if constraint.ends_with("_pkey") {
        return Some("id".to_owned());
    }
    let (rest, _) = constraint.rsplit_once('_')?;
    let (_, column) = rest.split_once('_')?;
    Some(column.to_owned())
}
