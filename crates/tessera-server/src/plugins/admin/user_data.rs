//! The `data` record of admin create-user and update-user: the user columns of the enabled
//! plugins and the configured fields, each read as its column's type, then the plugins' database-hook rules that Better Auth
//! also runs on admin writes (username checked and lowercased, a phone number kept only when
//! marked verified). Keys that name no column are ignored, as Better Auth's adapter drops them.
//!
//! Better Auth hands `data` to the database unchecked; a value of the wrong type is refused here
//! with a validation error instead of whatever the database would make of it.

use serde_json::{Map, Value};
use tessera_core::model::{FieldValue, User, UserPatch};
use tessera_core::plugins::admin::ROLE;
use tessera_core::schema::{Column, FieldType};
use tessera_core::timefmt;
use time::OffsetDateTime;

use crate::body::type_name;
use crate::error::{ApiError, codes as base_codes};
use crate::state::AppState;

/// What `data` sets, beyond the fields each route reads itself (`email`, `role`).
#[derive(Debug, Default)]
pub struct Fields {
    /// Honoured on create only: Better Auth lets an admin choose the id.
    pub id: Option<String>,
    /// Honoured on create only: `UserPatch` has no timestamps.
    pub created_at: Option<OffsetDateTime>,
    pub updated_at: Option<OffsetDateTime>,
    pub patch: UserPatch,
}

struct Reader<'a> {
    data: &'a Map<String, Value>,
    errors: Vec<String>,
}

impl Reader<'_> {
    fn mismatch(&mut self, key: &str, expected: &str, got: &Value) {
        self.errors.push(format!(
            "[body.data.{key}] Invalid input: expected {expected}, received {}",
            type_name(got)
        ));
    }

    /// Absent → `None`; `null` → `Some(None)` for a nullable column.
    fn read<T>(
        &mut self,
        key: &str,
        nullable: bool,
        expected: &str,
        convert: impl Fn(&Value) -> Option<T>,
    ) -> Option<Option<T>> {
        let value = self.data.get(key)?;
        if value.is_null() && nullable {
            return Some(None);
        }
        match convert(value) {
            Some(v) => Some(Some(v)),
            None => {
                self.mismatch(key, expected, value);
                None
            }
        }
    }

    fn text(&mut self, key: &str, nullable: bool) -> Option<Option<String>> {
        self.read(key, nullable, "string", |v| v.as_str().map(str::to_owned))
    }

    fn flag(&mut self, key: &str, nullable: bool) -> Option<Option<bool>> {
        self.read(key, nullable, "boolean", Value::as_bool)
    }

    /// A field of `column`'s type; `null` is NULL.
    fn field(&mut self, column: &Column) -> Option<FieldValue> {
        let key = column.name.as_str();
        let value = match column.ty {
            FieldType::String => self.text(key, true)?.into(),
            FieldType::Boolean => self.flag(key, true)?.into(),
            FieldType::Date => self.date(key, true)?.into(),
            FieldType::Number | FieldType::BigNumber => self
                .read(key, true, "number", |v| v.as_number().cloned())?
                .map_or(FieldValue::Null, FieldValue::Number),
            FieldType::Json => match self.data.get(key)? {
                Value::Null => FieldValue::Null,
                v => FieldValue::Json(v.clone()),
            },
        };
        Some(value)
    }

    /// An ISO date string or epoch milliseconds, as `new Date(value)` would take either.
    fn date(&mut self, key: &str, nullable: bool) -> Option<Option<OffsetDateTime>> {
        self.read(key, nullable, "date", |v| match v {
            Value::String(s) => timefmt::parse_date(s).map(timefmt::truncate_ms),
            Value::Number(n) => n.as_i64().and_then(timefmt::from_epoch_ms),
            _ => None,
        })
    }
}

/// Reads the columns `data` may set for the enabled plugins.
pub fn read(state: &AppState, data: &Map<String, Value>) -> Result<Fields, ApiError> {
    let mut r = Reader {
        data,
        errors: Vec::new(),
    };
    let mut fields = Fields {
        id: r.text("id", false).flatten(),
        created_at: r.date("createdAt", false).flatten(),
        updated_at: r.date("updatedAt", false).flatten(),
        patch: UserPatch {
            name: r.text("name", false).flatten(),
            email_verified: r.flag("emailVerified", false).flatten(),
            image: r.text("image", true),
            ..UserPatch::default()
        },
    };
    // Every field beyond the core columns, by its schema type: the plugins' and the configured
    // ones. `role` is the route's own.
    for column in state.config.user_columns() {
        if column.name == ROLE.name {
            continue;
        }
        if let Some(value) = r.field(&column) {
            fields.patch.additional.set(column, value);
        }
    }
    if r.errors.is_empty() {
        Ok(fields)
    } else {
        Err(base_codes::validation(r.errors.join("; ")))
    }
}

/// A new user's columns set from a patch (create-user builds the user, then lays `data` over it).
pub fn apply_to_new_user(fields: Fields, user: &mut User) {
    let Fields {
        id,
        created_at,
        updated_at,
        patch,
    } = fields;
    if let Some(id) = id {
        user.id = id;
    }
    if let Some(t) = created_at {
        user.created_at = t;
    }
    if let Some(t) = updated_at {
        user.updated_at = t;
    }
    if let Some(v) = patch.name {
        user.name = v;
    }
    if let Some(v) = patch.email {
        user.email = v;
    }
    if let Some(v) = patch.email_verified {
        user.email_verified = v;
    }
    if let Some(v) = patch.image {
        user.image = v;
    }
    for (column, value) in patch.additional {
        user.additional.set(column, value);
    }
}
