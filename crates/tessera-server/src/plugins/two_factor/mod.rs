//! The `two-factor` plugin (reference §3.3, §5.3, §5.4): TOTP, emailed/texted OTP and backup
//! codes; the sign-in challenge that replaces a session with the signed `two_factor` cookie; the
//! trust-device cookie; attempt caps per challenge and per account.
//!
//! Beyond Better Auth (security requirement M1): a TOTP code is accepted once. The last accepted
//! time step per user lives in a verification row with a fixed id, raised atomically, so a replay
//! inside the ±1-step window is refused without any new table or column.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use serde_json::{Value, json};
use tessera_core::crypto::random::{self, Alphabet};
use tessera_core::crypto::totp::TotpSecret;
use tessera_core::crypto::{backup_codes, signed};
use tessera_core::model::{Session, TwoFactor, User, UserPatch, Verification};
use tessera_core::plugins::two_factor as spec;
use tessera_core::plugins::two_factor::{TWO_FACTOR_ENABLED, TwoFactorUser};
use tessera_core::timefmt::{now_ms, to_epoch_ms};
use time::{Duration, OffsetDateTime};

use crate::body::{Body, Validator};
use crate::cookies;
use crate::delivery::Message;
use crate::error::{ApiError, codes};
use crate::flows::credential::check_credential;
use crate::plugins::Gate;
use crate::reply::Reply;
use crate::session::{self, Lookup};
use crate::state::AppState;
use crate::wire;

/// `twoFactorCookieMaxAge`: how long a sign-in challenge lives.
const CHALLENGE_SECS: i64 = 600;
/// `trustDeviceMaxAge`.
const TRUST_DEVICE_SECS: i64 = 30 * 86_400;
/// `otpOptions.period`: 3 minutes.
const OTP_SECS: i64 = 180;
/// `otpOptions.allowedAttempts`, and the per-challenge cap on TOTP/backup-code guesses.
const ATTEMPTS_PER_CODE: u32 = 5;
/// `accountLockout`: consecutive failures before the account's second factor locks, and for how long.
const FAILURES_BEFORE_LOCK: i64 = 10;
const LOCK_SECS: i64 = 900;
/// The replay guard keeps the last accepted step for longer than any window.
const REPLAY_GUARD_SECS: i64 = 86_400;

mod hooks;

pub use hooks::{ID, TwoFactorPlugin};

fn router() -> Router<AppState> {
    Router::new()
        .route("/two-factor/enable", post(enable))
        .route("/two-factor/disable", post(disable))
        .route("/two-factor/get-totp-uri", post(get_totp_uri))
        .route("/two-factor/verify-totp", post(verify_totp))
        .route("/two-factor/send-otp", post(send_otp))
        .route("/two-factor/verify-otp", post(verify_otp))
        .route("/two-factor/verify-backup-code", post(verify_backup_code))
        .route(
            "/two-factor/generate-backup-codes",
            post(generate_backup_codes),
        )
}

fn invalid_two_factor_cookie() -> ApiError {
    ApiError::coded(StatusCode::UNAUTHORIZED, spec::INVALID_TWO_FACTOR_COOKIE)
}

fn invalid_code() -> ApiError {
    ApiError::coded(StatusCode::UNAUTHORIZED, spec::INVALID_CODE)
}

fn too_many_attempts() -> ApiError {
    ApiError::coded(
        StatusCode::BAD_REQUEST,
        spec::TOO_MANY_ATTEMPTS_REQUEST_NEW_CODE,
    )
}

fn internal(
    what: &'static str,
) -> impl FnOnce(tessera_core::crypto::symmetric::SymmetricError) -> ApiError {
    move |e| {
        tracing::error!(error = %e, "{what}");
        ApiError::internal()
    }
}

// ---------------------------------------------------------------- the sign-in gate

/// After a right password: a user with two-factor on gets a challenge instead of a session,
/// unless this browser holds a valid trust-device cookie (which is then rotated).
pub(crate) async fn sign_in_gate(
    state: &AppState,
    user: &User,
    dont_remember: bool,
    headers: &HeaderMap,
) -> Result<Gate, ApiError> {
    if user.two_factor_enabled() != Some(true) {
        return Ok(Gate::Proceed(Vec::new()));
    }
    // Better Auth's ban check runs before its two-factor hook: a banned user learns only that
    // they are banned, never that the password was right (an expired ban lifts here).
    state.registry.before_session_create(state, user).await?;
    if let Some(trust_cookie) = trusted_device(state, user, headers).await? {
        return Ok(Gate::Proceed(trust_cookie));
    }

    let identifier = format!(
        "2fa-{}",
        random::generate_random_string(
            20,
            &[
                Alphabet::Lower,
                Alphabet::Upper,
                Alphabet::Digits,
                Alphabet::DashUnderscore
            ]
        )
    );
    let now = now_ms();
    let expires = now + Duration::seconds(CHALLENGE_SECS);
    let store = &state.store;
    store
        .create_verification(&verification(&identifier, &user.id, expires, now))
        .await?;
    store
        .create_verification(&verification(
            &attempts_identifier(&identifier),
            "0",
            expires,
            now,
        ))
        .await?;

    let mut methods = Vec::new();
    if store
        .find_two_factor(&user.id)
        .await?
        .is_some_and(|t| t.verified != Some(false))
    {
        methods.push("totp");
    }
    if state.sender.is_some() {
        methods.push("otp");
    }
    let names = &state.cookies;
    let mut cookies = vec![
        names.expire(&names.session_token),
        names.expire(&names.session_data),
        names.set(
            &names.two_factor,
            &signed::sign_and_encode(&state.config.secret, &identifier),
            Some(CHALLENGE_SECS),
        ),
    ];
    if dont_remember {
        cookies.push(names.set(
            &names.dont_remember,
            &signed::sign_and_encode(&state.config.secret, "true"),
            None,
        ));
    }
    tracing::info!(user_id = %user.id, "sign-in needs a second factor");
    Ok(Gate::Challenge(
        Reply::json(json!({"twoFactorRedirect": true, "twoFactorMethods": methods}))
            .cookies(cookies),
    ))
}

fn verification(
    identifier: &str,
    value: &str,
    expires: OffsetDateTime,
    now: OffsetDateTime,
) -> Verification {
    Verification {
        id: random::generate_id(32),
        identifier: identifier.to_owned(),
        value: value.to_owned(),
        expires_at: expires,
        created_at: now,
        updated_at: now,
    }
}

fn attempts_identifier(challenge: &str) -> String {
    format!("2fa-attempts-{challenge}")
}

/// `<HMAC(secret, userId!trustId) base64url>!<trustId>`, signed like every cookie.
fn trust_value(state: &AppState, user_id: &str, trust_id: &str) -> String {
    let mac = signed::hmac_sha256_base64url(&state.config.secret, &format!("{user_id}!{trust_id}"));
    format!("{mac}!{trust_id}")
}

/// A valid trust-device cookie for this user: consumed and replaced (the new cookie returned).
async fn trusted_device(
    state: &AppState,
    user: &User,
    headers: &HeaderMap,
) -> Result<Option<Vec<String>>, ApiError> {
    let Some(value) = cookies::read(headers, &state.cookies.trust_device)
        .and_then(|raw| signed::verify(&state.config.secret, raw))
    else {
        return Ok(None);
    };
    let Some((_, trust_id)) = value.split_once('!') else {
        return Ok(None);
    };
    let expected = trust_value(state, &user.id, trust_id);
    if !tessera_core::crypto::ct::constant_time_eq(expected.as_bytes(), value.as_bytes()) {
        return Ok(None);
    }
    let Some(row) = state.store.consume_verification(trust_id).await? else {
        return Ok(None);
    };
    if row.value != user.id || row.expires_at <= OffsetDateTime::now_utc() {
        return Ok(None);
    }
    Ok(Some(new_trust_device(state, &user.id).await?))
}

async fn new_trust_device(state: &AppState, user_id: &str) -> Result<Vec<String>, ApiError> {
    // The id names the verification row itself, prefix included, as Better Auth keeps it.
    let trust_id = format!("trust-device-{}", random::generate_id(32));
    let now = now_ms();
    state
        .store
        .create_verification(&verification(
            &trust_id,
            user_id,
            now + Duration::seconds(TRUST_DEVICE_SECS),
            now,
        ))
        .await?;
    let names = &state.cookies;
    Ok(vec![names.set(
        &names.trust_device,
        &signed::sign_and_encode(
            &state.config.secret,
            &trust_value(state, user_id, trust_id.as_str()),
        ),
        Some(TRUST_DEVICE_SECS),
    )])
}

// ---------------------------------------------------------------- who is verifying

/// A verification call comes from a signed-in user (session mode) or from a sign-in challenge.
enum Mode {
    Session(session::Current),
    SignIn(Challenge),
}

struct Challenge {
    identifier: String,
    user: User,
    dont_remember: bool,
}

impl Mode {
    fn user(&self) -> &User {
        match self {
            Mode::Session(c) => &c.user,
            Mode::SignIn(c) => &c.user,
        }
    }
}

async fn mode(state: &AppState, headers: &HeaderMap) -> Result<Mode, ApiError> {
    if let Lookup::Valid(current) = session::lookup(state, headers).await? {
        return Ok(Mode::Session(current));
    }
    let identifier = cookies::read(headers, &state.cookies.two_factor)
        .and_then(|raw| signed::verify(&state.config.secret, raw))
        .ok_or_else(invalid_two_factor_cookie)?;
    let row = state
        .store
        .find_verification(&identifier)
        .await?
        .filter(|r| r.expires_at > OffsetDateTime::now_utc())
        .ok_or_else(invalid_two_factor_cookie)?;
    let user = state
        .store
        .find_user_by_id(&row.value)
        .await?
        .ok_or_else(invalid_two_factor_cookie)?;
    let dont_remember = cookies::read(headers, &state.cookies.dont_remember)
        .and_then(|raw| signed::verify(&state.config.secret, raw))
        .is_some_and(|v| v == "true");
    Ok(Mode::SignIn(Challenge {
        identifier,
        user,
        dont_remember,
    }))
}

/// Counts one guess against the challenge, atomically; past the cap the challenge is void.
async fn spend_challenge_attempt(state: &AppState, challenge: &Challenge) -> Result<(), ApiError> {
    let identifier = attempts_identifier(&challenge.identifier);
    let Some(row) = state.store.find_verification(&identifier).await? else {
        return Err(invalid_two_factor_cookie());
    };
    let used: u32 = row.value.parse().unwrap_or(ATTEMPTS_PER_CODE);
    if used >= ATTEMPTS_PER_CODE {
        state.store.delete_verification(&row.id).await?;
        // A challenge already consumed by a winning guess (whose clean-up of this counter has not
        // landed yet) is answered as consumed, not as exhausted.
        let Some(c) = state.store.find_verification(&challenge.identifier).await? else {
            return Err(invalid_two_factor_cookie());
        };
        state.store.delete_verification(&c.id).await?;
        let names = &state.cookies;
        return Err(too_many_attempts().with_cookies(vec![names.expire(&names.two_factor)]));
    }
    // A guess that loses the race for the counter is not checked at all, as in Better Auth:
    // concurrent guesses can never get more than the cap of codes examined.
    if !state
        .store
        .compare_and_set_verification_value(&row.id, &row.value, &(used + 1).to_string(), now_ms())
        .await?
    {
        return Err(invalid_two_factor_cookie());
    }
    Ok(())
}

/// The caller's twoFactor row (`missing` when there is none); in sign-in mode the account lock is
/// checked and one guess is counted against the challenge before any code is examined.
async fn guarded_two_factor(
    state: &AppState,
    mode: &Mode,
    missing: impl FnOnce() -> ApiError,
) -> Result<TwoFactor, ApiError> {
    let two_factor = state
        .store
        .find_two_factor(&mode.user().id)
        .await?
        .ok_or_else(missing)?;
    if let Mode::SignIn(challenge) = mode {
        check_lock(state, &two_factor).await?;
        spend_challenge_attempt(state, challenge).await?;
    }
    Ok(two_factor)
}

fn account_locked() -> ApiError {
    ApiError::coded(
        StatusCode::TOO_MANY_REQUESTS,
        spec::ACCOUNT_TEMPORARILY_LOCKED,
    )
}

/// The per-account lock: refuses while locked; a lapsed lock is cleared.
async fn check_lock(state: &AppState, two_factor: &TwoFactor) -> Result<(), ApiError> {
    match two_factor.locked_until {
        Some(until) if until > OffsetDateTime::now_utc() => Err(account_locked()),
        Some(_) => {
            state
                .store
                .set_two_factor_lock(&two_factor.user_id, 0, None)
                .await?;
            Ok(())
        }
        None => Ok(()),
    }
}

async fn record_failure(state: &AppState, user_id: &str) -> Result<(), ApiError> {
    let failures = state.store.increment_two_factor_failures(user_id).await?;
    if failures >= FAILURES_BEFORE_LOCK {
        let until = now_ms() + Duration::seconds(LOCK_SECS);
        state
            .store
            .set_two_factor_lock(user_id, 0, Some(until))
            .await?;
        tracing::warn!(user_id, "second factor locked after repeated failures");
    }
    Ok(())
}

// ---------------------------------------------------------------- the lock of OTP-only users

/// A user whose only second factor is the emailed OTP has no twoFactor row to hold the account
/// lock, so the count lives in a verification row with this fixed id (Better Auth ignores it):
/// in the database, it holds whatever address or connection the guesses come from.
fn otp_lock_id(user_id: &str) -> String {
    format!("tessera-2fa-lock-{user_id}")
}

/// How long a count below the cap is kept: failures are forgotten only by a success, as in the
/// twoFactor row, or after this long without one.
const OTP_FAILURES_KEPT_SECS: i64 = 30 * 86_400;
/// Enough rounds for every other guess of a burst to claim its slot first; past them, refuse.
const RESERVE_ROUNDS: usize = 64;

/// The stored failure count, and whether it is a lock still in force.
fn otp_lock_state(row: &Verification, now: OffsetDateTime) -> (i64, bool) {
    // An unreadable count is treated as a full one: it locks, and lifts when the row lapses.
    let failures = row.value.parse::<i64>().unwrap_or(FAILURES_BEFORE_LOCK);
    (
        failures,
        failures >= FAILURES_BEFORE_LOCK && row.expires_at > now,
    )
}

/// Refuses while an OTP-only user's account is locked (read-only; the guess is counted later).
async fn check_otp_lock(state: &AppState, user_id: &str) -> Result<(), ApiError> {
    match state.store.find_verification(&otp_lock_id(user_id)).await? {
        Some(row) if otp_lock_state(&row, OffsetDateTime::now_utc()).1 => Err(account_locked()),
        _ => Ok(()),
    }
}

/// Counts one guess against an OTP-only account BEFORE its code is examined, so a burst of
/// concurrent guesses gets at most `FAILURES_BEFORE_LOCK` codes checked: each guess must claim
/// the next count with an atomic raise, and the guess that claims the last one starts the lock.
/// A right code gives the count back ([`release_otp_guess`]). A lapsed lock starts again at 0.
async fn reserve_otp_guess(state: &AppState, user_id: &str) -> Result<(), ApiError> {
    let id = otp_lock_id(user_id);
    for _ in 0..RESERVE_ROUNDS {
        let now = now_ms();
        let row = state.store.find_verification(&id).await?;
        let failures = match &row {
            Some(row) => {
                let (failures, locked) = otp_lock_state(row, now);
                if locked {
                    return Err(account_locked());
                }
                if failures >= FAILURES_BEFORE_LOCK {
                    // Whoever loses this reset finds the row changed and reads it again.
                    state
                        .store
                        .compare_and_set_verification_value(&row.id, &row.value, "0", now)
                        .await?;
                    continue;
                }
                failures.max(0)
            }
            None => 0,
        };
        let claimed = failures + 1;
        let keep = if claimed >= FAILURES_BEFORE_LOCK {
            LOCK_SECS
        } else {
            OTP_FAILURES_KEPT_SECS
        };
        if state
            .store
            .advance_verification_counter(&id, &id, claimed, now + Duration::seconds(keep), now)
            .await?
        {
            if claimed >= FAILURES_BEFORE_LOCK {
                tracing::warn!(user_id, "second factor locked after repeated failures");
            }
            return Ok(());
        }
    }
    Err(account_locked())
}

/// A right code clears the account's count, as a success resets the twoFactor row's.
async fn release_otp_guess(state: &AppState, user_id: &str) -> Result<(), ApiError> {
    state
        .store
        .delete_verification(&otp_lock_id(user_id))
        .await?;
    Ok(())
}

async fn record_success(state: &AppState, two_factor: &TwoFactor) -> Result<(), ApiError> {
    if two_factor.failed_verification_count.unwrap_or(0) != 0 || two_factor.locked_until.is_some() {
        state
            .store
            .set_two_factor_lock(&two_factor.user_id, 0, None)
            .await?;
    }
    Ok(())
}

/// The sign-in completes: the challenge is consumed once, a session is made, cookies set.
async fn complete_sign_in(
    state: &AppState,
    challenge: &Challenge,
    trust_device: bool,
    headers: &HeaderMap,
) -> Result<Reply, ApiError> {
    if state
        .store
        .consume_verification(&challenge.identifier)
        .await?
        .is_none()
    {
        // Someone else completed this challenge first.
        return Err(invalid_two_factor_cookie());
    }
    if let Some(row) = state
        .store
        .find_verification(&attempts_identifier(&challenge.identifier))
        .await?
    {
        state.store.delete_verification(&row.id).await?;
    }
    let user = &challenge.user;
    let created = session::create(state, user, challenge.dont_remember, headers).await?;
    let names = &state.cookies;
    let mut cookies = created.cookies;
    cookies.push(names.expire(&names.two_factor));
    if trust_device {
        cookies.extend(new_trust_device(state, &user.id).await?);
        cookies.push(names.expire(&names.dont_remember));
    }
    tracing::info!(user_id = %user.id, "two-factor sign-in completed");
    Ok(Reply::json(json!({
        "token": created.session.token,
        "user": wire::user(user),
    }))
    .cookies(cookies))
}

/// A new session replaces the current one (enable, disable, first verification).
async fn rotate_session(
    state: &AppState,
    current: &session::Current,
    user: &User,
    headers: &HeaderMap,
) -> Result<(Session, Vec<String>), ApiError> {
    let created = session::create(state, user, current.dont_remember, headers).await?;
    state
        .store
        .delete_session_by_token(&current.session.token)
        .await?;
    Ok((created.session, created.cookies))
}

async fn require_password(state: &AppState, user: &User, password: String) -> Result<(), ApiError> {
    if check_credential(state, user, password).await? {
        Ok(())
    } else {
        Err(codes::invalid_password())
    }
}

fn password_from(body: &serde_json::Map<String, Value>) -> Result<String, ApiError> {
    let mut v = Validator::new(body);
    let password = v.string("password");
    v.finish()?;
    password.ok_or_else(ApiError::internal)
}

fn issuer(state: &AppState, body: &serde_json::Map<String, Value>) -> String {
    body.get("issuer")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .unwrap_or_else(|| state.config.app_name.clone())
}

fn decrypt_secret(state: &AppState, two_factor: &TwoFactor) -> Result<TotpSecret, ApiError> {
    let plaintext = state
        .secrets
        .decrypt(&two_factor.secret)
        .map_err(internal("two-factor secret cannot be decrypted"))?;
    TotpSecret::from_plaintext(&plaintext).map_err(|e| {
        tracing::error!(error = %e, "two-factor secret is not usable");
        ApiError::internal()
    })
}

// ---------------------------------------------------------------- routes

async fn enable(
    State(state): State<AppState>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Reply, ApiError> {
    let current = session::require(&state, &headers).await?;
    let password = password_from(&body)?;
    let mut v = Validator::new(&body);
    let method = v.opt_string("method");
    let _ = v.opt_string("issuer");
    v.finish()?;
    require_password(&state, &current.user, password).await?;
    let user = current.user.clone();

    if method.as_deref() == Some("otp") {
        if state.sender.is_none() {
            return Err(ApiError::coded(
                StatusCode::BAD_REQUEST,
                spec::OTP_NOT_CONFIGURED,
            ));
        }
        let updated = set_enabled(&state, &user, true).await?;
        let (_, cookies) = rotate_session(&state, &current, &updated, &headers).await?;
        return Ok(Reply::json(json!({"method": "otp"})).cookies(cookies));
    }

    let existing = state.store.find_two_factor(&user.id).await?;
    if existing.as_ref().is_some_and(|t| t.verified != Some(false))
        && user.two_factor_enabled() == Some(true)
    {
        return Err(ApiError::coded(
            StatusCode::BAD_REQUEST,
            spec::TOTP_ALREADY_ENABLED,
        ));
    }
    let secret = TotpSecret::generate_plaintext();
    let codes = backup_codes::generate(backup_codes::AMOUNT, backup_codes::LENGTH);
    let row = TwoFactor {
        id: existing
            .map(|t| t.id)
            .unwrap_or_else(|| random::generate_id(32)),
        secret: state
            .secrets
            .encrypt(&secret)
            .map_err(internal("cannot encrypt"))?,
        backup_codes: state
            .secrets
            .encrypt(&backup_codes::to_json(&codes))
            .map_err(internal("cannot encrypt"))?,
        user_id: user.id.clone(),
        verified: Some(false),
        failed_verification_count: Some(0),
        locked_until: None,
    };
    state.store.upsert_two_factor(&row).await?;
    let totp = TotpSecret::from_plaintext(&secret).map_err(|_| ApiError::internal())?;
    let uri = totp.otpauth_uri(&issuer(&state, &body), &user.email);
    tracing::info!(user_id = %user.id, "two-factor enrolment started");
    Ok(Reply::json(
        json!({"method": "totp", "totpURI": uri, "backupCodes": codes}),
    ))
}

async fn set_enabled(state: &AppState, user: &User, enabled: bool) -> Result<User, ApiError> {
    let patch = UserPatch::default().with(&TWO_FACTOR_ENABLED, enabled);
    state
        .store
        .update_user(&user.id, &patch, now_ms())
        .await?
        .ok_or_else(ApiError::internal)
}

async fn disable(
    State(state): State<AppState>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Reply, ApiError> {
    let current = session::require(&state, &headers).await?;
    let password = password_from(&body)?;
    require_password(&state, &current.user, password).await?;
    state.store.delete_two_factor(&current.user.id).await?;
    let updated = set_enabled(&state, &current.user, false).await?;
    let (_, mut cookies) = rotate_session(&state, &current, &updated, &headers).await?;
    if let Some(value) = cookies::read(&headers, &state.cookies.trust_device)
        .and_then(|raw| signed::verify(&state.config.secret, raw))
        && let Some((_, trust_id)) = value.split_once('!')
        && let Some(row) = state.store.find_verification(trust_id).await?
    {
        state.store.delete_verification(&row.id).await?;
    }
    cookies.push(state.cookies.expire(&state.cookies.trust_device));
    tracing::info!(user_id = %current.user.id, "two-factor disabled");
    Ok(Reply::json(json!({"status": true})).cookies(cookies))
}

async fn get_totp_uri(
    State(state): State<AppState>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Reply, ApiError> {
    let current = session::require(&state, &headers).await?;
    let password = password_from(&body)?;
    let two_factor = state
        .store
        .find_two_factor(&current.user.id)
        .await?
        .ok_or_else(|| ApiError::coded(StatusCode::BAD_REQUEST, spec::TOTP_NOT_ENABLED))?;
    require_password(&state, &current.user, password).await?;
    let totp = decrypt_secret(&state, &two_factor)?;
    Ok(Reply::json(json!({
        "totpURI": totp.otpauth_uri(&issuer(&state, &body), &current.user.email)
    })))
}

fn code_and_trust(body: &serde_json::Map<String, Value>) -> Result<(String, bool), ApiError> {
    let mut v = Validator::new(body);
    let code = v.string("code");
    let trust = v.opt_bool("trustDevice");
    v.finish()?;
    Ok((code.ok_or_else(ApiError::internal)?, trust == Some(true)))
}

async fn verify_totp(
    State(state): State<AppState>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Reply, ApiError> {
    let (code, trust_device) = code_and_trust(&body)?;
    let mode = mode(&state, &headers).await?;
    let user = mode.user().clone();
    let two_factor = guarded_two_factor(&state, &mode, || {
        ApiError::coded(StatusCode::BAD_REQUEST, spec::TOTP_NOT_ENABLED)
    })
    .await?;
    let totp = decrypt_secret(&state, &two_factor)?;
    let now_secs = u64::try_from(OffsetDateTime::now_utc().unix_timestamp()).unwrap_or(0);
    let accepted = match totp.verify(code.trim(), now_secs) {
        Some(step) => claim_step(&state, &user.id, step).await?,
        None => false,
    };
    if !accepted {
        if matches!(mode, Mode::SignIn(_)) {
            record_failure(&state, &user.id).await?;
        }
        tracing::info!(user_id = %user.id, "two-factor code refused");
        return Err(invalid_code());
    }
    record_success(&state, &two_factor).await?;
    match mode {
        Mode::SignIn(challenge) => {
            complete_sign_in(&state, &challenge, trust_device, &headers).await
        }
        Mode::Session(current) => {
            if two_factor.verified == Some(false) || user.two_factor_enabled() != Some(true) {
                let verified = TwoFactor {
                    verified: Some(true),
                    ..two_factor
                };
                state.store.upsert_two_factor(&verified).await?;
                let updated = set_enabled(&state, &user, true).await?;
                let (_, cookies) = rotate_session(&state, &current, &updated, &headers).await?;
                tracing::info!(user_id = %user.id, "two-factor enabled");
                // Better Auth's quirk: the body still names the session it just replaced, and
                // the user as it was before this call.
                return Ok(Reply::json(json!({
                    "token": current.session.token,
                    "user": wire::user(&user),
                }))
                .cookies(cookies));
            }
            Ok(Reply::json(json!({
                "token": current.session.token,
                "user": wire::user(&user),
            })))
        }
    }
}

/// Raises the user's last accepted TOTP step to `step`; false when `step` was already used.
async fn claim_step(state: &AppState, user_id: &str, step: u64) -> Result<bool, ApiError> {
    let now = now_ms();
    Ok(state
        .store
        .advance_verification_counter(
            &format!("tessera-totp-step-{user_id}"),
            &format!("tessera-totp-step-{user_id}"),
            i64::try_from(step).unwrap_or(i64::MAX),
            now + Duration::seconds(REPLAY_GUARD_SECS),
            now,
        )
        .await?)
}

fn otp_identifier(mode: &Mode) -> String {
    match mode {
        Mode::SignIn(c) => format!("2fa-otp-{}", c.identifier),
        Mode::Session(c) => format!("2fa-otp-{}!{}", c.user.id, c.session.id),
    }
}

async fn send_otp(
    State(state): State<AppState>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Reply, ApiError> {
    let mut v = Validator::new(&body);
    let _ = v.opt_bool("trustDevice");
    v.finish()?;
    let Some(sender) = state.sender.clone() else {
        return Err(ApiError::coded(
            StatusCode::BAD_REQUEST,
            spec::OTP_NOT_CONFIGURED,
        ));
    };
    let mode = mode(&state, &headers).await?;
    let user = mode.user().clone();
    let code = random::generate_random_string(6, &[Alphabet::Digits]);
    let now = now_ms();
    let identifier = otp_identifier(&mode);
    if let Some(old) = state.store.find_verification(&identifier).await? {
        state.store.delete_verification(&old.id).await?;
    }
    state
        .store
        .create_verification(&verification(
            &identifier,
            &format!("{code}:0"),
            now + Duration::seconds(OTP_SECS),
            now,
        ))
        .await?;
    if let Err(e) = sender
        .send(Message::new("two-factor-otp", user.email.clone()).field("code", code))
        .await
    {
        tracing::error!(user_id = %user.id, error = %e, "two-factor OTP not delivered");
        return Err(ApiError::internal());
    }
    Ok(Reply::json(json!({"status": true})))
}

async fn verify_otp(
    State(state): State<AppState>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Reply, ApiError> {
    let (code, trust_device) = code_and_trust(&body)?;
    let mode = mode(&state, &headers).await?;
    let user = mode.user().clone();
    let identifier = otp_identifier(&mode);
    let signing_in = matches!(mode, Mode::SignIn(_));
    let otp_only = if signing_in {
        match state.store.find_two_factor(&user.id).await? {
            Some(two_factor) => {
                check_lock(&state, &two_factor).await?;
                false
            }
            None => {
                check_otp_lock(&state, &user.id).await?;
                true
            }
        }
    } else {
        false
    };
    let expired = || ApiError::coded(StatusCode::BAD_REQUEST, spec::OTP_HAS_EXPIRED);
    // Each guess raises the attempt count in the stored "<otp>:<attempts>" with a compare-and-set,
    // so concurrent guesses cannot exceed the cap.
    let stored_code = loop {
        let row = state
            .store
            .find_verification(&identifier)
            .await?
            .filter(|r| r.expires_at > OffsetDateTime::now_utc())
            .ok_or_else(expired)?;
        let (stored_code, attempts) = row.value.split_once(':').unwrap_or((&row.value, "0"));
        let attempts: u32 = attempts.parse().unwrap_or(ATTEMPTS_PER_CODE);
        if attempts >= ATTEMPTS_PER_CODE {
            state.store.delete_verification(&row.id).await?;
            return Err(too_many_attempts());
        }
        let next = format!("{stored_code}:{}", attempts + 1);
        if state
            .store
            .compare_and_set_verification_value(&row.id, &row.value, &next, now_ms())
            .await?
        {
            break (stored_code.to_owned(), row.id);
        }
    };
    let (stored_code, row_id) = stored_code;
    if otp_only {
        reserve_otp_guess(&state, &user.id).await?;
    }
    if !tessera_core::crypto::ct::constant_time_eq(stored_code.as_bytes(), code.trim().as_bytes()) {
        if signing_in && !otp_only {
            record_failure(&state, &user.id).await?;
        }
        tracing::info!(user_id = %user.id, "two-factor OTP refused");
        return Err(invalid_code());
    }
    if otp_only {
        release_otp_guess(&state, &user.id).await?;
    }
    // Only the request that deletes the code may use it.
    if !state.store.delete_verification(&row_id).await? {
        return Err(expired());
    }
    match mode {
        Mode::SignIn(challenge) => {
            complete_sign_in(&state, &challenge, trust_device, &headers).await
        }
        Mode::Session(current) => {
            let mut user = user;
            let mut cookies = Vec::new();
            if user.two_factor_enabled() != Some(true) {
                user = set_enabled(&state, &user, true).await?;
                let (_, rotated) = rotate_session(&state, &current, &user, &headers).await?;
                cookies = rotated;
            }
            Ok(Reply::json(json!({
                "token": current.session.token,
                "user": wire::user(&user),
            }))
            .cookies(cookies))
        }
    }
}

async fn verify_backup_code(
    State(state): State<AppState>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Reply, ApiError> {
    let (code, trust_device) = code_and_trust(&body)?;
    let mut v = Validator::new(&body);
    let disable_session = v.opt_bool("disableSession");
    v.finish()?;
    let mode = mode(&state, &headers).await?;
    let user = mode.user().clone();
    let two_factor = guarded_two_factor(&state, &mode, || {
        ApiError::coded(StatusCode::BAD_REQUEST, spec::BACKUP_CODES_NOT_ENABLED)
    })
    .await?;
    let plaintext = state
        .secrets
        .decrypt(&two_factor.backup_codes)
        .map_err(internal("backup codes cannot be decrypted"))?;
    let codes = backup_codes::from_json(&plaintext).ok_or_else(ApiError::internal)?;
    let Some(remaining) = backup_codes::consume(&codes, code.trim()) else {
        if matches!(mode, Mode::SignIn(_)) {
            record_failure(&state, &user.id).await?;
        }
        tracing::info!(user_id = %user.id, "backup code refused");
        return Err(ApiError::coded(
            StatusCode::UNAUTHORIZED,
            spec::INVALID_BACKUP_CODE,
        ));
    };
    let new_ciphertext = state
        .secrets
        .encrypt(&backup_codes::to_json(&remaining))
        .map_err(internal("cannot encrypt"))?;
    if !state
        .store
        .compare_and_set_backup_codes(&user.id, &two_factor.backup_codes, &new_ciphertext)
        .await?
    {
        return Err(ApiError::message_only(
            StatusCode::CONFLICT,
            "Failed to verify backup code. Please try again.",
        ));
    }
    record_success(&state, &two_factor).await?;
    tracing::info!(user_id = %user.id, "backup code used");
    match mode {
        Mode::SignIn(challenge) => {
            if disable_session == Some(true) {
                state
                    .store
                    .consume_verification(&challenge.identifier)
                    .await?;
                return Ok(Reply::json(json!({
                    "token": null,
                    "user": wire::user(&user),
                })));
            }
            complete_sign_in(&state, &challenge, trust_device, &headers).await
        }
        Mode::Session(current) => Ok(Reply::json(json!({
            "token": current.session.token,
            "user": wire::user(&user),
        }))),
    }
}

async fn generate_backup_codes(
    State(state): State<AppState>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Reply, ApiError> {
    let current = session::require(&state, &headers).await?;
    let password = password_from(&body)?;
    if current.user.two_factor_enabled() != Some(true) {
        return Err(ApiError::coded(
            StatusCode::BAD_REQUEST,
            spec::TWO_FACTOR_NOT_ENABLED,
        ));
    }
    require_password(&state, &current.user, password).await?;
    let two_factor = state
        .store
        .find_two_factor(&current.user.id)
        .await?
        .ok_or_else(|| ApiError::coded(StatusCode::BAD_REQUEST, spec::TWO_FACTOR_NOT_ENABLED))?;
    let codes = backup_codes::generate(backup_codes::AMOUNT, backup_codes::LENGTH);
    let updated = TwoFactor {
        backup_codes: state
            .secrets
            .encrypt(&backup_codes::to_json(&codes))
            .map_err(internal("cannot encrypt"))?,
        ..two_factor
    };
    state.store.upsert_two_factor(&updated).await?;
    Ok(Reply::json(json!({"status": true, "backupCodes": codes})))
}

/// Unused for now outside this module; keeps the replay guard's clock in one place.
#[allow(dead_code)]
fn epoch_ms_now() -> i64 {
    to_epoch_ms(OffsetDateTime::now_utc())
}
