//! The `username` plugin's routes and hooks (reference §3.4), as Better Auth 1.7.25 has them with
//! its default options: usernames of 3–30 characters from `[a-zA-Z0-9_.]`, stored lowercased,
//! with `displayUsername` keeping what the user typed. Registered only when the plugin is on.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use serde_json::{Map, Value, json};
use std::sync::Arc;
use tessera_core::plugins::username as spec;

use tessera_core::model::{FieldValue, User, UserPatch};
use tessera_core::plugins::username::{DISPLAY_USERNAME, USERNAME, UsernameUser};

use crate::body::{Body, Validator};
use crate::error::{ApiError, codes};
use crate::flows::credential::check_credential;
use crate::flows::sign_in::finish_sign_in;
use crate::origin;
use crate::reply::Reply;
use crate::state::AppState;

/// Better Auth's `minUsernameLength` / `maxUsernameLength` defaults.
const MIN_LENGTH: usize = 3;
const MAX_LENGTH: usize = 30;

mod hooks;

pub use hooks::{ID, UsernamePlugin};

fn router() -> Router<AppState> {
    Router::new()
        .route("/sign-in/username", post(sign_in))
        .route("/is-username-available", post(is_username_available))
}

/// Why a username is refused, before anyone looks at the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    TooShort,
    TooLong,
    Invalid,
}

/// Better Auth's `validateUsernameValue` as a 400 (sign-up, update-user, admin writes).
fn check_for_write(username: &str) -> Result<(), ApiError> {
    check(username).map_err(|r| refusal_error(StatusCode::BAD_REQUEST, r))
}

/// Better Auth's `validateUsernameValue`: the length in UTF-16 units (JavaScript's `length`),
/// then `^[a-zA-Z0-9_.]+$`, both on the username as typed.
fn check(username: &str) -> Result<(), Refusal> {
    let length = username.encode_utf16().count();
    if length < MIN_LENGTH {
        return Err(Refusal::TooShort);
    }
    if length > MAX_LENGTH {
        return Err(Refusal::TooLong);
    }
    if !username
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
    {
        return Err(Refusal::Invalid);
    }
    Ok(())
}

/// `usernameNormalization`'s default. Checked usernames are ASCII, where Rust and JavaScript
/// lowercase alike.
fn normalize(username: &str) -> String {
    username.to_lowercase()
}

/// Sign-up and update-user answer a refusal with 400; sign-in/username and
/// is-username-available with 422.
fn refusal_error(status: StatusCode, refusal: Refusal) -> ApiError {
    match refusal {
        Refusal::TooShort => ApiError::coded(status, spec::USERNAME_TOO_SHORT),
        Refusal::TooLong => ApiError::coded(status, spec::USERNAME_TOO_LONG),
        Refusal::Invalid => invalid_username(status),
    }
}

fn invalid_username(status: StatusCode) -> ApiError {
    ApiError::coded(status, spec::INVALID_USERNAME)
}

fn invalid_display_username() -> ApiError {
    ApiError::coded(StatusCode::BAD_REQUEST, spec::INVALID_DISPLAY_USERNAME)
}

/// Also the answer to a unique-constraint violation on `username`, so a lost race between two
/// writers reads the same as a taken name found beforehand.
fn username_taken() -> ApiError {
    ApiError::coded(StatusCode::BAD_REQUEST, spec::USERNAME_IS_ALREADY_TAKEN)
}

fn invalid_username_or_password() -> ApiError {
    ApiError::coded(StatusCode::UNAUTHORIZED, spec::INVALID_USERNAME_OR_PASSWORD)
}

/// A body field that Better Auth reads only when it is a string. `null` means "not given" (or,
/// on update-user, "clear it"). Other types crash Better Auth's normaliser (a 500); Tessera
/// answers them with the plugin's own "invalid" code instead.
enum Field {
    Absent,
    Null,
    Text(String),
}

fn field(
    body: &Map<String, Value>,
    name: &str,
    refuse: impl FnOnce() -> ApiError,
) -> Result<Field, ApiError> {
    match body.get(name) {
        None => Ok(Field::Absent),
        Some(Value::Null) => Ok(Field::Null),
        Some(Value::String(s)) => Ok(Field::Text(s.clone())),
        Some(_) => Err(refuse()),
    }
}

/// The checks every write of a username runs: the value, then whether another user holds it.
/// Returns the normalised username.
async fn claimable(
    state: &AppState,
    username: &str,
    current_user_id: Option<&str>,
) -> Result<String, ApiError> {
    check(username).map_err(|r| refusal_error(StatusCode::BAD_REQUEST, r))?;
    let normalized = normalize(username);
    if let Some(holder) = state
        .store
        .find_user_by_field(&USERNAME.name, &normalized)
        .await?
        && Some(holder.id.as_str()) != current_user_id
    {
        return Err(username_taken());
    }
    Ok(normalized)
}

/// Puts `username` / `displayUsername` from a create body onto a new user. `from_display` is
/// sign-up's extra rule: a lone `displayUsername` that would pass as a username becomes it.
async fn fill_new_user(
    state: &AppState,
    body: &Map<String, Value>,
    user: &mut User,
    from_display: bool,
) -> Result<(), ApiError> {
    let display = match field(body, "displayUsername", invalid_display_username)? {
        Field::Text(d) => Some(d),
        Field::Absent | Field::Null => None,
    };
    let username = match field(body, "username", || {
        invalid_username(StatusCode::BAD_REQUEST)
    })? {
        Field::Text(u) => Some(u),
        Field::Null => None,
        Field::Absent if from_display => display.clone().filter(|d| check(d).is_ok()),
        Field::Absent => None,
    };
    match username {
        Some(raw) => {
            user.set_username(Some(claimable(state, &raw, None).await?));
            // An empty displayUsername is falsy to Better Auth and so falls back too.
            user.set_display_username(Some(display.filter(|d| !d.is_empty()).unwrap_or(raw)));
        }
        None => user.set_display_username(display),
    }
    Ok(())
}

/// Sign-up hook: validates and normalises `username` / `displayUsername` from the body onto the
/// new user, refusing a taken username.
async fn on_sign_up(
    state: &AppState,
    body: &Map<String, Value>,
    user: &mut User,
) -> Result<(), ApiError> {
    fill_new_user(state, body, user, true).await
}

/// The same rules for a user created by phone-number verification, minus sign-up's
/// displayUsername-to-username rule (Better Auth applies that on `/sign-up/email` only).
async fn on_phone_sign_up(
    state: &AppState,
    body: &Map<String, Value>,
    user: &mut User,
) -> Result<(), ApiError> {
    fill_new_user(state, body, user, false).await
}

/// update-user hook: the same rules for a change of username; returns whether it set anything.
/// `null` clears a field, as in Better Auth; a username change leaves displayUsername alone.
async fn on_update_user(
    state: &AppState,
    body: &Map<String, Value>,
    current: &User,
    patch: &mut UserPatch,
) -> Result<bool, ApiError> {
    let mut changed = false;
    match field(body, "username", || {
        invalid_username(StatusCode::BAD_REQUEST)
    })? {
        Field::Absent => {}
        Field::Null => {
            patch
                .additional
                .set(Arc::clone(&USERNAME), FieldValue::Null);
            changed = true;
        }
        Field::Text(raw) => {
            let username = claimable(state, &raw, Some(&current.id)).await?;
            patch.additional.set(Arc::clone(&USERNAME), username.into());
            changed = true;
        }
    }
    match field(body, "displayUsername", invalid_display_username)? {
        Field::Absent => {}
        Field::Null => {
            patch
                .additional
                .set(Arc::clone(&DISPLAY_USERNAME), FieldValue::Null);
            changed = true;
        }
        Field::Text(display) => {
            patch
                .additional
                .set(Arc::clone(&DISPLAY_USERNAME), display.into());
            changed = true;
        }
    }
    Ok(changed)
}

/// `POST /sign-in/username`: Better Auth's email sign-in with the user found by username.
pub async fn sign_in(
    State(state): State<AppState>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Reply, ApiError> {
    let mut v = Validator::new(&body);
    let username = v.string("username");
    let password = v.string("password");
    let remember_me = v.opt_bool("rememberMe");
    let callback_url = v.opt_string("callbackURL");
    v.finish()?;
    let (Some(username), Some(password)) = (username, password) else {
        return Err(ApiError::internal());
    };
    if username.is_empty() || password.is_empty() {
        return Err(invalid_username_or_password());
    }
    check(&username).map_err(|r| refusal_error(StatusCode::UNPROCESSABLE_ENTITY, r))?;
    let callback_url = origin::check_callback(
        &state.trusted,
        callback_url.as_deref(),
        codes::invalid_callback_url,
    )?;
    if password.chars().count() > state.config.password.max_length {
        return Err(codes::password_too_long());
    }

    let Some(user) = state
        .store
        .find_user_by_field(&USERNAME.name, &normalize(&username))
        .await?
    else {
        state.hasher.verify_dummy(password).await?;
        tracing::info!(
            outcome = "unknown-user",
            method = "username",
            "sign-in refused"
        );
        return Err(invalid_username_or_password());
    };
    if !check_credential(&state, &user, password).await? {
        return Err(invalid_username_or_password());
    }
    crate::flows::links::require_verified_email(&state, &user, callback_url.as_deref()).await?;
    tracing::info!(user_id = %user.id, method = "username", "sign-in");
    finish_sign_in(&state, &user, remember_me, callback_url, &headers).await
}

/// `POST /is-username-available`.
pub async fn is_username_available(
    State(state): State<AppState>,
    Body(body): Body,
) -> Result<Reply, ApiError> {
    let mut v = Validator::new(&body);
    let username = v.string("username");
    v.finish()?;
    let Some(username) = username else {
        return Err(ApiError::internal());
    };
    if username.is_empty() {
        return Err(invalid_username(StatusCode::UNPROCESSABLE_ENTITY));
    }
    check(&username).map_err(|r| refusal_error(StatusCode::UNPROCESSABLE_ENTITY, r))?;
    let taken = state
        .store
        .find_user_by_field(&USERNAME.name, &normalize(&username))
        .await?
        .is_some();
    Ok(Reply::json(json!({ "available": !taken })))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(result: Result<(), ApiError>) -> Option<String> {
        result.err().and_then(|e| e.code().map(str::to_owned))
    }

    #[test]
    fn writes_follow_the_plugins_default_rule() {
        assert_eq!(
            code(check_for_write("ab")).as_deref(),
            Some("USERNAME_TOO_SHORT")
        );
        assert_eq!(code(check_for_write(&"a".repeat(30))), None);
        assert_eq!(
            code(check_for_write(&"a".repeat(31))).as_deref(),
            Some("USERNAME_TOO_LONG")
        );
        assert_eq!(
            code(check_for_write("al ice")).as_deref(),
            Some("INVALID_USERNAME")
        );
        assert_eq!(code(check_for_write("Alice_99.x")), None);
    }

    #[test]
    fn lengths_count_utf16_units_and_come_before_the_pattern() {
        assert_eq!(check("abc"), Ok(()));
        assert_eq!(check(&"a".repeat(30)), Ok(()));
        assert_eq!(check("ab"), Err(Refusal::TooShort));
        assert_eq!(check(&"a".repeat(31)), Err(Refusal::TooLong));
        // One emoji is two UTF-16 units: too short alone, long enough (and invalid) twice.
        assert_eq!(check("😀"), Err(Refusal::TooShort));
        assert_eq!(check("😀😀"), Err(Refusal::Invalid));
        assert_eq!(check("ab!"), Err(Refusal::Invalid));
        assert_eq!(check("a b"), Err(Refusal::Invalid));
        assert_eq!(check("Jo.hn_Doe9"), Ok(()));
    }
}
