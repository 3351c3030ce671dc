//! A SQLite value read as the column's type, shared by both SQLite readers (sqlx's and the inline
//! rusqlite one): its storage class, then the decoding Better Auth's and Drizzle's encodings need.

use tessera_core::schema::FieldType;
use tessera_core::timefmt;

use crate::value::{Cell, parse_bool_text};

/// A column value as SQLite stores it (its storage class), whichever driver read it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Stored<'a> {
    Null,
    Integer(i64),
    Real(f64),
    Text(&'a str),
    Blob,
}

/// Reads a stored value as the type the schema declares for its column.
pub(crate) fn decode_cell(value: Stored<'_>, ty: FieldType) -> Result<Cell, String> {
    match (ty, value) {
        (_, Stored::Null) => Ok(Cell::Null),
        (FieldType::String, Stored::Text(s)) => Ok(Cell::Text(s.to_owned())),
        // A numeric id written by another tool reads as its decimal text.
        (FieldType::String, Stored::Integer(n)) => Ok(Cell::Text(n.to_string())),
        (FieldType::Boolean, Stored::Integer(0)) => Ok(Cell::Bool(false)),
        (FieldType::Boolean, Stored::Integer(1)) => Ok(Cell::Bool(true)),
        (FieldType::Boolean, Stored::Integer(n)) => Err(format!("boolean stored as {n}")),
        (FieldType::Boolean, Stored::Text(s)) => parse_bool_text(s)
            .map(Cell::Bool)
            .ok_or_else(|| format!("boolean stored as {s:?}")),
        (FieldType::Date, Stored::Text(s)) => timefmt::parse_date(s)
            .map(Cell::Date)
            .ok_or_else(|| format!("date stored as {s:?}")),
        (FieldType::Date, Stored::Integer(ms)) => timefmt::from_epoch_ms(ms)
            .map(Cell::Date)
            .ok_or_else(|| format!("date stored as {ms}")),
        (FieldType::Number | FieldType::BigNumber, Stored::Integer(n)) => Ok(Cell::Int(n)),
        // A JavaScript number with a fraction, stored by SQLite's affinity rules as REAL.
        (FieldType::Number, Stored::Real(n)) => Ok(Cell::Real(n)),
        // Text that is not JSON is kept as a JSON string rather than refused: another writer may
        // have stored a bare string.
        (FieldType::Json, Stored::Text(s)) => {
            Ok(Cell::Json(serde_json::from_str(s).unwrap_or_else(|_| {
                serde_json::Value::String(s.to_owned())
            })))
        }
        (FieldType::Json, Stored::Integer(n)) => Ok(Cell::Json(n.into())),
        (ty, Stored::Text(_)) => Err(format!("{ty:?} stored as TEXT")),
        (ty, Stored::Real(_)) => Err(format!("{ty:?} stored as REAL")),
        (ty, Stored::Blob) => Err(format!("{ty:?} stored as BLOB")),
    }
}
