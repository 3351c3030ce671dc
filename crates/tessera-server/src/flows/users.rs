//! The one path that creates a user, whichever route asks (sign-up by email, by phone number, by
//! a social provider, an admin). It applies every plugin's defaults, runs their sign-up hooks,
//! hashes the password into the credential account, writes the user with its accounts in one
//! transaction, and answers a unique-constraint conflict with the owning plugin's error.

use serde_json::{Map, Value};
use tessera_core::crypto::random;
use tessera_core::model::{Account, FieldValues, User};
use tessera_core::timefmt::now_ms;
use tessera_store::StoreError;

use crate::error::{ApiError, codes};
use crate::plugins::SignUpRoute;
use crate::state::AppState;

/// A new user as Better Auth's sign-up writes it: a fresh id, unverified, with each enabled
/// plugin's defaults and every configured additional field at its default. Nothing is written yet.
pub(crate) fn draft(state: &AppState, name: String, email: String, image: Option<String>) -> User {
    let mut user = User::new(random::generate_id(32), name, email, false, now_ms());
    user.image = image;
    user.additional = FieldValues::defaults(&state.config.user_columns(), user.created_at);
    state.registry.user_defaults(&mut user);
    user
}

/// The additional fields a request gave, over the new user's defaults.
pub(crate) fn overlay(user: &mut User, given: FieldValues) {
    for (column, value) in given.into_iter() {
        user.additional.set(column, value);
    }
}

/// How one route creates a user.
pub(crate) struct NewUser<'a> {
    pub route: SignUpRoute,
    /// The request body the plugins' sign-up hooks read their fields from.
    pub body: &'a Map<String, Value>,
    /// Hashed to the native format into a credential account; `None` for a user without one.
    pub password: Option<String>,
    /// Other accounts created with the user (a social provider's).
    pub accounts: Vec<Account>,
    /// The route's answer when the email is taken (the statuses differ by route, as in Better
    /// Auth).
    pub email_taken: fn() -> ApiError,
}

/// Runs the plugins' sign-up hooks on `user`, then writes it with its accounts.
pub(crate) async fn create(
    state: &AppState,
    user: &mut User,
    new: NewUser<'_>,
) -> Result<(), ApiError> {
    state
        .registry
        .before_sign_up(state, new.route, new.body, user)
        .await?;
    let mut accounts = new.accounts;
    if let Some(password) = new.password {
        let hash = state.hasher.hash(password).await?;
        accounts.insert(
            0,
            Account::credential(random::generate_id(32), &user.id, hash, user.created_at),
        );
    }
    match state.store.create_user(user, &accounts).await {
        Ok(()) => Ok(()),
        Err(StoreError::Conflict(column)) => Err(conflict(state, &column, new.email_taken)),
        // A constraint refused the row (e.g. NULL for a configured NOT NULL field): Better Auth's
        // insert fails, and it answers as for any failed insert.
        Err(e @ StoreError::Database(_)) if !e.is_unavailable() => {
            tracing::info!(error = %e, "user insert refused");
            Err(codes::failed_to_create_user())
        }
        Err(e) => Err(e.into()),
    }
}

/// A unique-constraint refusal: the email's answer, a plugin's for its column, Better Auth's
/// failed insert for a configured unique field, else a logged 500.
pub(crate) fn conflict(state: &AppState, column: &str, email_taken: fn() -> ApiError) -> ApiError {
    if column == "email" {
        return email_taken();
    }
    if state.config.user_fields.iter().any(|c| c.name == column) {
        return codes::failed_to_create_user();
    }
    match state.registry.conflict_error(column) {
        Some(plugin_error) => plugin_error,
        None => {
            tracing::error!(column, "user write refused by a unique constraint");
            ApiError::internal()
        }
    }
}
