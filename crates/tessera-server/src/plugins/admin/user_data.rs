//! The `data` record of admin create-user and update-user: the user columns of the enabled
//! plugins, each read as its column's type, then the plugins' database-hook rules that Better Auth
//! also runs on admin writes (username checked and lowercased, a phone number kept only when
//! marked verified). Keys that name no column are ignored, as Better Auth's adapter drops them.
//!
//! Better Auth hands `data` to the database unchecked; a value of the wrong type is refused here
//! with a validation error instead of whatever the database would make of it.

use serde_json::{Map, Value};
use tessera_core::model::{User, UserPatch};
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
    let plugins = state.plugins();
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
            banned: r.flag("banned", true),
            ban_reason: r.text("banReason", true),
            ban_expires: r.date("banExpires", true),
            ..UserPatch::default()
        },
    };
    if plugins.two_factor {
        fields.patch.two_factor_enabled = r.flag("twoFactorEnabled", true);
    }
    if plugins.username {
        fields.patch.username = r.text("username", true);
        fields.patch.display_username = r.text("displayUsername", true);
    }
    if plugins.phone_number {
        fields.patch.phone_number = r.text("phoneNumber", true);
        fields.patch.phone_number_verified = r.flag("phoneNumberVerified", true);
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
    macro_rules! nullable {
        ($($field:ident),*) => {
            $(if let Some(v) = patch.$field { user.$field = v; })*
        };
    }
    nullable!(
        image,
        role,
        banned,
        ban_reason,
        ban_expires,
        two_factor_enabled,
        username,
        display_username,
        phone_number,
        phone_number_verified
    );
}
