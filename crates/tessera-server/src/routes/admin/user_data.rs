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
use crate::routes::admin::codes;
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

/// The username plugin's rule, shared with sign-up and update-user.
fn check_username(username: &str) -> Result<(), ApiError> {
    crate::routes::username::check_for_write(username)
}

/// The plugins' database hooks, on the patch about to be written for user `target`.
pub async fn apply_plugin_rules(
    state: &AppState,
    patch: &mut UserPatch,
    creating: bool,
    target: &str,
) -> Result<(), ApiError> {
    let plugins = state.plugins();
    if plugins.username
        && let Some(Some(raw)) = patch.username.clone()
        && !raw.is_empty()
    {
        check_username(&raw)?;
        let normalized = raw.to_lowercase();
        if let Some(holder) = state.store.find_user_by_username(&normalized).await?
            && holder.id != target
        {
            return Err(codes::username_is_already_taken());
        }
        patch.username = Some(Some(normalized));
        let display_given = matches!(&patch.display_username, Some(Some(d)) if !d.is_empty());
        if creating && !display_given {
            patch.display_username = Some(Some(raw));
        }
    }
    if plugins.phone_number {
        let verified = patch.phone_number_verified == Some(Some(true));
        match &patch.phone_number {
            // Creating with an unverified number: the phone-number plugin drops it.
            Some(Some(_)) if creating && !verified => {
                patch.phone_number = Some(None);
                patch.phone_number_verified = Some(Some(false));
            }
            Some(None) => patch.phone_number_verified = Some(Some(false)),
            _ => {}
        }
    }
    Ok(())
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

/// Maps a unique-constraint refusal of a user write to Better Auth's answer for it.
pub fn conflict(column: &str) -> ApiError {
    match column {
        "email" => codes::user_already_exists_use_another_email(),
        "username" => codes::username_is_already_taken(),
        other => {
            tracing::error!(
                column = other,
                "admin user write refused by a unique constraint"
            );
            ApiError::internal()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(result: Result<(), ApiError>) -> Option<String> {
        result.err().and_then(|e| e.code().map(str::to_owned))
    }

    #[test]
    fn usernames_follow_the_plugins_default_rule() {
        assert_eq!(
            code(check_username("ab")).as_deref(),
            Some("USERNAME_TOO_SHORT")
        );
        assert_eq!(code(check_username(&"a".repeat(30))), None);
        assert_eq!(
            code(check_username(&"a".repeat(31))).as_deref(),
            Some("USERNAME_TOO_LONG")
        );
        assert_eq!(
            code(check_username("al ice")).as_deref(),
            Some("INVALID_USERNAME")
        );
        assert_eq!(code(check_username("Alice_99.x")), None);
    }
}
