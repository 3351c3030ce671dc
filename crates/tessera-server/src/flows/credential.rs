//! The password rules every route shares: the length policy, and the check of a user's password
//! against the stored hash (rehashed to the native format when it was imported or weaker).

use tessera_core::crypto::password::{LengthError, check_length};
use tessera_core::crypto::random;
use tessera_core::model::{Account, User};
use tessera_core::timefmt::now_ms;

use crate::error::{ApiError, codes};
use crate::state::AppState;

/// Length policy in code points after NFKC (NIST), with Better Auth's codes.
pub fn check_password_length(state: &AppState, password: &str) -> Result<(), ApiError> {
    let p = &state.config.password;
    match check_length(password, p.min_length, p.max_length) {
        Ok(()) => Ok(()),
        Err(LengthError::TooShort) => Err(codes::password_too_short()),
        Err(LengthError::TooLong) => Err(codes::password_too_long()),
    }
}

/// Sets `user_id`'s password to `hash`, making the credential account when the user has none (a
/// user who signed up by a social provider or a code): Better Auth's `resetCredentialPassword`,
/// shared by every reset and by admin's set-user-password.
pub async fn set_password(state: &AppState, user_id: &str, hash: String) -> Result<(), ApiError> {
    let now = now_ms();
    if !state
        .store
        .update_credential_password(user_id, &hash, now)
        .await?
    {
        let account = Account::credential(random::generate_id(32), user_id, hash, now);
        state.store.create_account(&account).await?;
    }
    Ok(())
}

/// The password check every sign-in method shares: the user's credential account, verified by
/// the stored hash's format, rehashed to the native format when it was imported or weaker.
/// `None` for any failure a client may learn about; an unknown user costs a dummy hash.
pub async fn authenticate(
    state: &AppState,
    email: &str,
    password: String,
) -> Result<Option<User>, ApiError> {
    let Some(user) = state.store.find_user_by_email(email).await? else {
        state.hasher.verify_dummy(password).await?;
        tracing::info!(outcome = "unknown-user", "sign-in refused");
        return Ok(None);
    };
    check_credential(state, &user, password)
        .await
        .map(|ok| ok.then_some(user))
}

/// Whether `password` is the user's; rehashes on success when the stored format is not native.
pub async fn check_credential(
    state: &AppState,
    user: &User,
    password: String,
) -> Result<bool, ApiError> {
    let account = state.store.find_credential_account(&user.id).await?;
    let Some((account_id, stored)) = account.and_then(|a| a.password.map(|p| (a.id, p))) else {
        state.hasher.verify_dummy(password).await?;
        tracing::info!(user_id = %user.id, outcome = "no-credential", "password check refused");
        return Ok(false);
    };
    let verified = state
        .hasher
        .verify(stored.clone(), password.clone())
        .await?;
    if !verified {
        tracing::info!(user_id = %user.id, outcome = "wrong-password", "password check refused");
        return Ok(false);
    }
    if state.hasher.needs_rehash(&stored) {
        let new_hash = state.hasher.hash(password).await?;
        let replaced = state
            .store
            .replace_password_hash(&account_id, &stored, &new_hash, now_ms())
            .await?;
        tracing::info!(user_id = %user.id, replaced, "password rehashed to the native format");
    }
    Ok(true)
}
