//! `POST /sign-up/email` and `POST /sign-in/email` (reference §3.2).

use axum::extract::State;
use axum::http::HeaderMap;
use serde_json::json;
use tessera_core::timefmt::now_ms;

use crate::body::{FormOrJson, Validator, is_valid_email};
use crate::error::{ApiError, codes};
use crate::fields;
use crate::flows::credential::{authenticate, check_password_length};
use crate::flows::links;
use crate::flows::sign_in::finish_sign_in;
use crate::flows::users::{self, NewUser};
use crate::origin;
use crate::plugins::SignUpRoute;
use crate::reply::Reply;
use crate::session;
use crate::state::AppState;
use crate::wire;

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
    state.registry.refuse_protected_fields(&body)?;

    let email = email.to_lowercase();
    let require_verification = state.config.lifecycle.require_email_verification;
    if state.store.find_user_by_email(&email).await?.is_some() {
        if require_verification {
            // Enumeration resistance (§6.4): a made-up user, no session, and the hash computed
            // anyway so the answer takes as long as a real sign-up.
            state.hasher.hash(password).await?;
            tracing::info!(outcome = "existing-email", "sign-up answered generically");
            let mut synthetic = users::draft(&state, name, email, image);
            users::overlay(&mut synthetic, additional);
            return Ok(Reply::json(json!({
                "token": null,
                "user": wire::user(&synthetic),
            })));
        }
        return Err(codes::user_already_exists_use_another_email());
    }
    let mut user = users::draft(&state, name, email, image);
    users::overlay(&mut user, additional);
    users::create(
        &state,
        &mut user,
        NewUser {
            route: SignUpRoute::Email,
            body: &body,
            password: Some(password),
            accounts: Vec::new(),
            email_taken: codes::user_already_exists_use_another_email,
        },
    )
    .await?;
    tracing::info!(user_id = %user.id, "sign-up");
    let send_on_sign_up = state
        .config
        .lifecycle
        .email_verification
        .send_on_sign_up
        .unwrap_or(require_verification);
    {
        // Mailed after the answer, so a new address is answered as fast as a taken one (whose
        // answer is synthetic); Better Auth logs a failed send after sign-up, the user exists
        // either way.
        let (state, user, callback) = (state.clone(), user.clone(), callback_url.clone());
        tokio::spawn(async move {
            if send_on_sign_up {
                let _ = links::send_verification(&state, &user, callback.as_deref()).await;
            }
            state.registry.after_sign_up(&state, &user).await;
        });
    }
    if require_verification {
        return Ok(Reply::json(json!({
            "token": null,
            "user": wire::user(&user),
        })));
    }

    let dont_remember = remember_me == Some(false);
    let created = session::create(&state, &user, dont_remember, &headers).await?;
    Ok(Reply::json(json!({
        "token": created.session.token,
        "user": wire::user(&user),
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
    links::require_verified_email(&state, &user, callback_url.as_deref()).await?;
    tracing::info!(user_id = %user.id, method = "email", "sign-in");
    finish_sign_in(&state, &user, remember_me, callback_url, &headers).await
}
