//! Configured additional fields in request bodies (sign-up, update-user): Better Auth's
//! `parseInputData`, walking the schema's columns in order.
//!
//! For each declared field: present and `input: false` → on create its default replaces it,
//! otherwise a truthy value is refused with `FIELD_NOT_ALLOWED`; present → taken, converted to the
//! column's type; absent → on create the default, else `MISSING_FIELD` when `required = true`.

use std::sync::Arc;

use axum::http::StatusCode;
use serde_json::{Map, Value};
use tessera_core::model::{FieldValue, FieldValues};
use tessera_core::schema::{Column, FieldType};
use tessera_core::timefmt;
use time::OffsetDateTime;

use crate::body::is_truthy;
use crate::error::{ApiError, codes};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Create,
    Update,
}

/// The additional fields `body` sets, for `columns` (the configured ones of one table): on create,
/// what the body gives and each default for what it does not; on update, only what it gives.
pub fn parse(
    columns: &[Arc<Column>],
    body: &Map<String, Value>,
    action: Action,
    now: OffsetDateTime,
) -> Result<FieldValues, ApiError> {
    let mut fields = FieldValues::new();
    for column in columns {
        let name = column.name.as_str();
        let default = column.default_value(now);
        let Some(given) = body.get(name) else {
            match default {
                Some(value) if action == Action::Create => fields.set(Arc::clone(column), value),
                None if action == Action::Create && column.input_required => {
                    return Err(missing_field(name));
                }
                _ => {}
            }
            continue;
        };
        if !column.input {
            if let Some(value) = default
                && action == Action::Create
            {
                fields.set(Arc::clone(column), value);
                continue;
            }
            if is_truthy(given) {
                return Err(codes::field_not_allowed(name));
            }
            continue;
        }
        let value = value(column, given).ok_or_else(|| refused(action))?;
        fields.set(Arc::clone(column), value);
    }
    Ok(fields)
}

fn missing_field(name: &str) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "MISSING_FIELD",
        format!("{name} is required"),
    )
}

/// What Better Auth answers when its database refuses a value: sign-up `FAILED_TO_CREATE_USER`,
/// update-user an empty 500.
fn refused(action: Action) -> ApiError {
    match action {
        Action::Create => codes::failed_to_create_user(),
        Action::Update => ApiError::internal(),
    }
}

/// A JSON value as the column's type; `None` when it is not one. (Better Auth passes any value
/// through to the database, which refuses most mismatches; Tessera refuses them all, as
/// [`refused`] words it, rather than store a value its column type cannot hold.)
fn value(column: &Column, given: &Value) -> Option<FieldValue> {
    Some(match (column.ty, given) {
        (_, Value::Null) => FieldValue::Null,
        (FieldType::String, Value::String(s)) => FieldValue::String(s.clone()),
        (FieldType::Number | FieldType::BigNumber, Value::Number(n)) => {
            FieldValue::Number(n.clone())
        }
        (FieldType::Boolean, Value::Bool(b)) => FieldValue::Boolean(*b),
        (FieldType::Date, Value::String(s)) => FieldValue::Date(timefmt::parse_date(s)?),
        (FieldType::Json, v) => FieldValue::Json(v.clone()),
        _ => return None,
    })
}
