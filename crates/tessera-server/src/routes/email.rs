//! `POST /sign-up/email` and `POST /sign-in/email` (reference §3.2).

use axum::extract::State;
use axum::http::{HeaderMap, header};
use serde_json::{Map, Value, json};
use tessera_core::crypto::password::{LengthError, check_length};
use tessera_core::crypto::random;
use tessera_core::model::{Account, FieldValues, User};
use tessera_core::timefmt::now_ms;
use tessera_store::StoreError;

use crate::body::{FormOrJson, Validator, is_valid_email};
use crate::error::{ApiError, codes};
use crate::fields;
use crate::origin;
use crate::reply::Reply;
use crate::routes::lifecycle;
use crate::routes::two_factor::{self, Gate};
use crate::session;
use crate::state::AppState;
use crate::wire;

/// Length policy in code points after NFKC (NIST), with Better Auth's codes.
pub fn check_password_length(state: &AppState, password: &str) -> Result<(), ApiError> {
    let p = &state.config.password;
    match check_length(password, p.min_length, p.max_length) {
        Ok(()) => Ok(()),
        Err(LengthError::TooShort) => Err(codes::password_too_short()),
        Err(LengthError::TooLong) => Err(codes::password_too_long()),
    }
}

/// User fields a client may never set. Better Auth refuses a truthy value for those without a
/// default, and silently resets those with one (they are simply not read here).
fn refuse_protected_fields(state: &AppState, body: &Map<String, Value>) -> Result<(), ApiError> {
    let plugins = state.plugins();
    let mut protected: Vec<&str> = Vec::new();
    if plugins.admin {
        protected.extend(["role", "banReason", "banExpires"]);
    }
    if plugins.phone_number {
        protected.push("phoneNumberVerified");
    }
    for field in protected {
        if body.get(field).is_some_and(is_truthy) {
            return Err(codes::field_not_allowed(field));
        }
    }
    Ok(())
}

/// JavaScript truthiness of a JSON value.
pub fn is_truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0 && !f.is_nan()),
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

/// A new user as Better Auth's sign-up writes it, with each enabled plugin's defaults and every
/// configured additional field at its default.
pub(crate) fn new_user(
    state: &AppState,
    name: String,
    email: String,
    image: Option<String>,
) -> User {
    let plugins = state.plugins();
    let mut user = User::new(random::generate_id(32), name, email, false, now_ms());
    user.image = image;
    user.additional = FieldValues::defaults(&state.config.user_fields, user.created_at);
    if plugins.admin {
        user.role = Some("user".to_owned());
        user.banned = Some(false);
    }
    if plugins.two_factor {
        user.two_factor_enabled = Some(false);
    }
    user
}

/// The body's additional fields over the new user's defaults.
fn overlay(user: &mut User, given: FieldValues) {
    for (column, value) in given.into_iter() {
        user.additional.set(column, value);
    }
}

pub async fn sign_up(
    State(state): State<AppState>,
    headers: HeaderMap,
    FormOrJson(body): FormOrJson,
) -> Result<Reply, ApiError> {
    origin::check_login_csrf(&state.trusted, &headers)?;
    if !state.config.password.enabled || !state.config.password.sign_up_enabled {
        return Err(codes::email_password_sign_up_disabled());
    }
    let mut v = Validator::new(&body);
    let name = v.string("name");
    let email = v.string("email");
    let password = v.string("password");
    let image = v.opt_string("image");
    let callback_url = v.opt_string("callbackURL");
    let remember_me = v.opt_bool("rememberMe");
    if let Some(e) = &email
        && !is_valid_email(e)
    {
        v.error("email", "Invalid email address");
    }
    v.finish()?;
    let (Some(name), Some(email), Some(password)) = (name, email, password) else {
        return Err(ApiError::internal());
    };
    let callback_url = origin::check_callback(
        &state.trusted,
        callback_url.as_deref(),
        codes::invalid_callback_url,
    )?;
    check_password_length(&state, &password)?;
    // Configured fields first: Better Auth checks them before the plugins' fields.
    let additional = fields::parse(
        &state.config.user_fields,
        &body,
        fields::Action::Create,
        now_ms(),
    )?;
    refuse_protected_fields(&state, &body)?;

    let email = email.to_lowercase();
    let require_verification = state.config.lifecycle.require_email_verification;
    if state.store.find_user_by_email(&email).await?.is_some() {
        if require_verification {
            // Enumeration resistance (§6.4): a made-up user, no session, and the hash computed
            // anyway so the answer takes as long as a real sign-up.
            state.hasher.hash(password).await?;
            tracing::info!(outcome = "existing-email", "sign-up answered generically");
            let mut synthetic = new_user(&state, name, email, image);
            overlay(&mut synthetic, additional);
            return Ok(Reply::json(json!({
                "token": null,
                "user": wire::user(&synthetic, state.plugins()),
            })));
        }
        return Err(codes::user_already_exists_use_another_email());
    }
    let mut user = new_user(&state, name, email, image);
    overlay(&mut user, additional);
    if state.plugins().phone_number {
        crate::routes::phone_number::on_sign_up(&body)?;
    }
    if state.plugins().username {
        crate::routes::username::on_sign_up(&state, &body, &mut user).await?;
    }
    let hash = state.hasher.hash(password).await?;
    let account = Account::credential(random::generate_id(32), &user.id, hash, user.created_at);
    match state
        .store
        .create_user(&user, std::slice::from_ref(&account))
        .await
    {
        Ok(()) => {}
        Err(StoreError::Conflict(column)) if column == "username" => {
            return Err(ApiError::new(
                axum::http::StatusCode::BAD_REQUEST,
                "USERNAME_IS_ALREADY_TAKEN",
                "Username is already taken. Please try another.",
            ));
        }
        // A configured unique field: Better Auth's insert fails, and it answers as for any
        // failed insert.
        Err(StoreError::Conflict(column))
            if state
                .config
                .user_fields
                .iter()
                .any(|c| c.name == column.as_str()) =>
        {
            return Err(codes::failed_to_create_user());
        }
        Err(StoreError::Conflict(_)) => return Err(codes::user_already_exists_use_another_email()),
        // A constraint refused the row (e.g. NULL for a NOT NULL field).
        Err(e @ StoreError::Database(_)) if !e.is_unavailable() => {
            tracing::info!(error = %e, "sign-up insert refused");
            return Err(codes::failed_to_create_user());
        }
        Err(e) => return Err(e.into()),
    }
    tracing::info!(user_id = %user.id, "sign-up");
    let send_on_sign_up = state
        .config
        .lifecycle
        .email_verification
        .send_on_sign_up
        .unwrap_or(require_verification);
    if send_on_sign_up {
        // Mailed after the answer, so a new address is answered as fast as a taken one (whose
        // answer is synthetic); Better Auth logs a failed send after sign-up, the user exists
        // either way.
        let (state, user, callback) = (state.clone(), user.clone(), callback_url.clone());
        tokio::spawn(async move {
            let _ = lifecycle::send_verification(&state, &user, callback.as_deref()).await;
        });
    }
    if require_verification {
        return Ok(Reply::json(json!({
            "token": null,
            "user": wire::user(&user, state.plugins()),
        })));
    }

    let dont_remember = remember_me == Some(false);
    let created = session::create(&state, &user, dont_remember, &headers).await?;
    Ok(Reply::json(json!({
        "token": created.session.token,
        "user": wire::user(&user, state.plugins()),
    }))
    .cookies(created.cookies))
}

pub async fn sign_in(
    State(state): State<AppState>,
    headers: HeaderMap,
    FormOrJson(body): FormOrJson,
) -> Result<Reply, ApiError> {
    origin::check_login_csrf(&state.trusted, &headers)?;
    if !state.config.password.enabled {
        return Err(codes::email_password_disabled());
    }
    let mut v = Validator::new(&body);
    let email = v.string("email");
    let password = v.string("password");
    let callback_url = v.opt_string("callbackURL");
    let remember_me = v.opt_bool("rememberMe");
    v.finish()?;
    let (Some(email), Some(password)) = (email, password) else {
        return Err(ApiError::internal());
    };
    if !is_valid_email(&email) {
        return Err(codes::invalid_email());
    }
    let callback_url = origin::check_callback(
        &state.trusted,
        callback_url.as_deref(),
        codes::invalid_callback_url,
    )?;
    if password.chars().count() > state.config.password.max_length {
        return Err(codes::password_too_long());
    }

    let user = authenticate(&state, &email.to_lowercase(), password)
        .await?
        .ok_or_else(codes::invalid_email_or_password)?;
    lifecycle::require_verified_email(&state, &user, callback_url.as_deref()).await?;
    tracing::info!(user_id = %user.id, method = "email", "sign-in");
    finish_sign_in(&state, &user, remember_me, callback_url, &headers).await
}

/// What every password sign-in (email, username, phone number) does once the password is right:
/// the two-factor gate, then a session, and Better Auth's `{redirect, token, url?, user}`.
pub async fn finish_sign_in(
    state: &AppState,
    user: &User,
    remember_me: Option<bool>,
    callback_url: Option<String>,
    headers: &HeaderMap,
) -> Result<Reply, ApiError> {
    let dont_remember = remember_me == Some(false);
    let extra_cookies = match two_factor::sign_in_gate(state, user, dont_remember, headers).await? {
        Gate::Challenge(reply) => return Ok(reply),
        Gate::Proceed(cookies) => cookies,
    };
    let created = session::create(state, user, dont_remember, headers).await?;
    let mut out = Map::new();
    out.insert("redirect".into(), Value::Bool(callback_url.is_some()));
    out.insert("token".into(), Value::String(created.session.token.clone()));
    if let Some(url) = &callback_url {
        out.insert("url".into(), Value::String(url.clone()));
    }
    out.insert("user".into(), wire::user(user, state.plugins()));
    let mut reply = Reply::json(Value::Object(out))
        .cookies(created.cookies)
        .cookies(extra_cookies);
    if let Some(url) = callback_url {
        reply = reply.header(header::LOCATION, url);
    }
    Ok(reply)
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
