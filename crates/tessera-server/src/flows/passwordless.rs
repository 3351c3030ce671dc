//! The end of every sign-in by a proven address (an emailed code, a magic link): the user behind
//! the address, made if sign-up is allowed, and stripped of access it gained before the address
//! was proven.

use serde_json::{Map, Value};
use tessera_core::model::{User, UserPatch};
use tessera_core::timefmt::now_ms;

use crate::error::{ApiError, codes};
use crate::fields;
use crate::flows::users::{self, NewUser};
use crate::plugins::SignUpRoute;
use crate::state::AppState;

/// Who a proven address belongs to.
pub(crate) enum Proven {
    /// A user who had the address (now verified).
    Existing(User),
    /// A user made for it just now.
    New(User),
    /// Nobody, and sign-up is off.
    Nobody,
}

/// What a new user is made of: Better Auth's `createUser({...additionalFields, email,
/// emailVerified: true, name: name || "", image})`.
pub(crate) struct Newcomer<'a> {
    pub name: Option<String>,
    pub image: Option<String>,
    /// The request's other fields, read as the configured additional fields of a new user.
    pub body: &'a Map<String, Value>,
}

/// The user behind `email` (lower-cased), proven by the caller's code or link.
pub(crate) async fn user_for_proven_email(
    state: &AppState,
    email: &str,
    sign_up_allowed: bool,
    newcomer: Newcomer<'_>,
) -> Result<Proven, ApiError> {
    if let Some(user) = state.store.find_user_by_email(email).await? {
        if user.email_verified {
            return Ok(Proven::Existing(user));
        }
        return Ok(Proven::Existing(revoke_unproven_access(state, user).await?));
    }
    if !sign_up_allowed {
        return Ok(Proven::Nobody);
    }
    let additional = fields::parse(
        &state.config.user_fields,
        newcomer.body,
        fields::Action::Create,
        now_ms(),
    )?;
    state.registry.refuse_protected_fields(newcomer.body)?;
    let mut user = users::draft(
        state,
        newcomer.name.unwrap_or_default(),
        email.to_owned(),
        newcomer.image,
    );
    users::overlay(&mut user, additional);
    user.email_verified = true;
    users::create(
        state,
        &mut user,
        NewUser {
            route: SignUpRoute::Passwordless,
            body: newcomer.body,
            password: None,
            accounts: Vec::new(),
            email_taken: codes::failed_to_create_user,
        },
    )
    .await?;
    tracing::info!(user_id = %user.id, "sign-up by a proven email address");
    Ok(Proven::New(user))
}

/// Better Auth's `revokeUnprovenAccountAccess`: an unverified account carries no proof that its
/// password, social links or sessions belong to whoever holds the mailbox, so proving the mailbox
/// deletes all of them before the account is marked verified. Without this, someone who signed up
/// with another person's address first would keep a way in after the owner signs in.
async fn revoke_unproven_access(state: &AppState, user: User) -> Result<User, ApiError> {
    for account in state.store.list_accounts(&user.id).await? {
        state.store.delete_account(&account.id).await?;
    }
    state.store.delete_user_sessions(&user.id, None).await?;
    let patch = UserPatch {
        email_verified: Some(true),
        ..UserPatch::default()
    };
    let updated = state
        .store
        .update_user(&user.id, &patch, now_ms())
        .await?
        .ok_or_else(ApiError::internal)?;
    tracing::info!(user_id = %user.id, "unproven access revoked on a first proof of the address");
    Ok(updated)
}
