//! Sessions: reading the signed cookie, the DB-authoritative lookup, creating a session (between the
//! plugins' `before_session_create` and `after_session_created` hooks), and the cookies each of
//! these sends.

use axum::http::{HeaderMap, header};
use tessera_core::crypto::{random, signed};
use tessera_core::model::{Session, User};
use tessera_core::timefmt::now_ms;
use time::{Duration, OffsetDateTime};

use crate::cookies;
use crate::error::ApiError;
use crate::ip;
use crate::state::AppState;

/// A valid, unexpired session of the caller.
#[derive(Debug, Clone)]
pub struct Current {
    pub session: Session,
    pub user: User,
    /// The caller's browser holds the signed `dont_remember` cookie: never refresh.
    pub dont_remember: bool,
}

/// What the cookie says, before the database is asked.
pub fn token_from_cookie(state: &AppState, headers: &HeaderMap) -> Option<String> {
    let raw = cookies::read(headers, &state.cookies.session_token)?;
    signed::verify(&state.config.secret, raw)
}

/// The browser holds the signed `dont_remember` cookie.
pub fn has_dont_remember(state: &AppState, headers: &HeaderMap) -> bool {
    cookies::read(headers, &state.cookies.dont_remember)
        .and_then(|raw| signed::verify(&state.config.secret, raw))
        .is_some_and(|v| v == "true")
}

/// Looks the session up. An expired row is deleted and reported as `Expired`, so the caller can
/// clear the browser's cookies.
// Built once per request and consumed at once; boxing would only add an allocation.
#[allow(clippy::large_enum_variant)]
pub enum Lookup {
    Valid(Current),
    NoCookie,
    Expired,
}

pub async fn lookup(state: &AppState, headers: &HeaderMap) -> Result<Lookup, ApiError> {
    let Some(token) = token_from_cookie(state, headers) else {
        return Ok(Lookup::NoCookie);
    };
    let Some((session, user)) = state.store.find_session_and_user(&token).await? else {
        return Ok(Lookup::Expired);
    };
    if session.expires_at <= OffsetDateTime::now_utc() {
        state.store.delete_session_by_token(&token).await?;
        return Ok(Lookup::Expired);
    }
    Ok(Lookup::Valid(Current {
        session,
        user,
        dont_remember: has_dont_remember(state, headers),
    }))
}

/// The session an authenticated endpoint needs, or Better Auth's 401.
pub async fn require(state: &AppState, headers: &HeaderMap) -> Result<Current, ApiError> {
    match lookup(state, headers).await? {
        Lookup::Valid(current) => Ok(current),
        Lookup::NoCookie | Lookup::Expired => Err(crate::error::codes::unauthorized()),
    }
}

/// Sensitive endpoints want a session created recently (`freshAge`; 0 turns the rule off).
pub fn require_fresh(state: &AppState, current: &Current) -> Result<(), ApiError> {
    let fresh_age = state.config.session.fresh_age;
    if fresh_age == 0 {
        return Ok(());
    }
    let age = OffsetDateTime::now_utc() - current.session.created_at;
    if age > Duration::seconds(fresh_age) {
        return Err(crate::error::codes::session_not_fresh());
    }
    Ok(())
}

/// A new session and the cookies that carry it.
pub struct Created {
    pub session: Session,
    pub cookies: Vec<String>,
}

pub async fn create(
    state: &AppState,
    user: &User,
    dont_remember: bool,
    headers: &HeaderMap,
) -> Result<Created, ApiError> {
    state.registry.before_session_create(state, user).await?;
    let now = now_ms();
    let lifetime = if dont_remember {
        state.config.session.dont_remember_expires_in
    } else {
        state.config.session.expires_in
    };
    let session = Session {
        id: random::generate_id(32),
        expires_at: now + Duration::seconds(lifetime),
        token: random::generate_id(32),
        created_at: now,
        updated_at: now,
        ip_address: Some(ip::session_ip(headers)),
        user_agent: Some(
            headers
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned(),
        ),
        user_id: user.id.clone(),
        additional: tessera_core::model::FieldValues::defaults(
            &state.config.session_columns(),
            now,
        ),
    };
    state.store.create_session(&session).await?;
    let mut cookies = session_cookies(state, &session.token, dont_remember);
    cookies.extend(
        state
            .registry
            .after_session_created(state, &session, user, headers)
            .await?,
    );
    Ok(Created { session, cookies })
}

/// `session_token` (a browser-session cookie when "don't remember") and, then, `dont_remember`.
pub fn session_cookies(state: &AppState, token: &str, dont_remember: bool) -> Vec<String> {
    let names = &state.cookies;
    let secret = &state.config.secret;
    let max_age = (!dont_remember).then_some(state.config.session.expires_in);
    let mut out = vec![names.set(
        &names.session_token,
        &signed::sign_and_encode(secret, token),
        max_age,
    )];
    if dont_remember {
        out.push(names.set(
            &names.dont_remember,
            &signed::sign_and_encode(secret, "true"),
            None,
        ));
    }
    out
}

/// The sliding refresh of get-session: once a day (`updateAge`) the expiry moves forward.
pub fn needs_refresh(state: &AppState, session: &Session, now: OffsetDateTime) -> bool {
    let cfg = &state.config.session;
    session.expires_at - Duration::seconds(cfg.expires_in) + Duration::seconds(cfg.update_age)
        <= now
}
