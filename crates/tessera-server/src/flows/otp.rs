//! One-time codes kept in `verification` as `"<stored code>:<attempts>"`, the form Better Auth's
//! phone-number and email-otp plugins both write, so that a code issued by either server is
//! redeemed on the other. The plugins differ in how a code is stored (plain, hashed, encrypted),
//! how many tries it has and which error answers a missing row; the checking is the same.

use axum::http::StatusCode;
use tessera_core::model::Verification;
use tessera_core::plugins::ErrorCode;
use tessera_core::timefmt::now_ms;
use time::Duration;

use crate::error::ApiError;
use crate::state::AppState;

/// Racers re-read after a lost compare-and-set; each loss means someone else moved the row on,
/// which can happen at most `allowed_attempts` + 1 times per code, so this bound is never hit in
/// practice.
const MAX_ROUNDS: usize = 16;

/// At most this many superseded rows go in one delete, a bound on the statement's size. Only a
/// client asking far faster than the rate limits allow holds more.
const MAX_SUPERSEDED: usize = 100;

/// A plugin's rules for its codes.
pub(crate) struct Policy {
    pub allowed_attempts: u64,
    pub invalid: ErrorCode,
    pub expired: ErrorCode,
    pub too_many_attempts: ErrorCode,
    /// The answer (400) when no code is stored: phone-number says so, email-otp says "invalid".
    pub missing: ErrorCode,
}

/// What a right code does to the row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OnSuccess {
    /// Spent: it works once.
    Spend,
    /// Left as it is, for a later call that spends it (email-otp's check-verification-otp).
    Keep,
}

/// Stores `stored` (the code as the plugin keeps it) under `identifier` with no attempts used.
pub(crate) async fn issue(
    state: &AppState,
    identifier: String,
    stored: &str,
    lifetime_secs: i64,
) -> Result<(), ApiError> {
    state
        .store
        .create_verification(&Verification::expiring(
            identifier,
            format!("{stored}:0"),
            now_ms(),
            Duration::seconds(lifetime_secs),
        ))
        .await?;
    Ok(())
}

/// `"<code>:<attempts>"`, split at the last colon and read as Better Auth does: a missing or
/// unreadable count is 0.
pub(crate) fn parse_value(value: &str) -> (&str, u64) {
    match value.rsplit_once(':') {
        Some((code, attempts)) => (code, attempts.trim().parse().unwrap_or(0)),
        None => (value, 0),
    }
}

/// Deletes every row for the identifier, as Better Auth does when a code expires or runs out of
/// tries, so that an older code cannot come back to life behind it.
pub(crate) async fn delete_all(state: &AppState, identifier: &str) -> Result<(), ApiError> {
    for _ in 0..64 {
        if state
            .store
            .consume_verification(identifier)
            .await?
            .is_none()
        {
            break;
        }
    }
    Ok(())
}

/// After a win: deletes the rows the spent one superseded (Better Auth's consume deletes rows
/// created no later than the one consumed), leaving any code issued since.
async fn delete_superseded(
    state: &AppState,
    spent: &Verification,
    older: &[Verification],
) -> Result<(), ApiError> {
    // One statement however many there are (a user who asked again and again): each write is a
    // commit, the dearest part of a sign-in by code on SQLite.
    let ids: Vec<&str> = older
        .iter()
        .filter(|row| row.created_at <= spent.created_at)
        .take(MAX_SUPERSEDED)
        .map(|row| row.id.as_str())
        .collect();
    state.store.delete_verifications(&ids).await?;
    Ok(())
}

/// Checks a code against the newest row for `identifier`; `matches` compares the stored form
/// with the code given (in constant time).
///
/// Every answer that depends on the code is decided by one conditional write on the row as it
/// was read: a wrong code must move `"<code>:n"` to `"<code>:n+1"` before it may say "invalid",
/// a right one must delete the row still holding `"<code>:n"` before it may win. Only one request
/// can move the row out of a given state, so however many guesses arrive at once, at most
/// `allowed_attempts` wrong codes are ever judged and at most one request wins; the others
/// re-read and find the row moved on (exhausted or gone). A win costs one write.
pub(crate) async fn check(
    state: &AppState,
    identifier: &str,
    policy: &Policy,
    on_success: OnSuccess,
    matches: impl Fn(&str) -> bool,
) -> Result<(), ApiError> {
    let invalid = || ApiError::coded(StatusCode::BAD_REQUEST, policy.invalid);
    for _ in 0..MAX_ROUNDS {
        let mut rows = state
            .store
            .find_verifications(identifier)
            .await?
            .into_iter();
        let Some(row) = rows.next() else {
            return Err(ApiError::coded(StatusCode::BAD_REQUEST, policy.missing));
        };
        let now = now_ms();
        if row.expires_at < now {
            delete_all(state, identifier).await?;
            return Err(ApiError::coded(StatusCode::BAD_REQUEST, policy.expired));
        }
        let (stored, attempts) = parse_value(&row.value);
        if attempts >= policy.allowed_attempts {
            delete_all(state, identifier).await?;
            return Err(ApiError::coded(
                StatusCode::FORBIDDEN,
                policy.too_many_attempts,
            ));
        }
        if matches(stored) {
            if on_success == OnSuccess::Keep {
                return Ok(());
            }
            if !state
                .store
                .delete_verification_if_value(&row.id, &row.value)
                .await?
            {
                continue;
            }
            let older: Vec<Verification> = rows.collect();
            delete_superseded(state, &row, &older).await?;
            return Ok(());
        }
        let next = format!("{stored}:{}", attempts + 1);
        if state
            .store
            .compare_and_set_verification_value(&row.id, &row.value, &next, now)
            .await?
        {
            return Err(invalid());
        }
    }
    tracing::warn!("OTP verification gave up after repeated concurrent changes");
    Err(invalid())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_read_like_better_auths() {
        assert_eq!(parse_value("123456:0"), ("123456", 0));
        assert_eq!(parse_value("123456:2"), ("123456", 2));
        // Better Auth's phone sign-in with requireVerification stores a bare code.
        assert_eq!(parse_value("123456"), ("123456", 0));
        assert_eq!(parse_value("123456:x"), ("123456", 0));
        assert_eq!(parse_value("123456:-1"), ("123456", 0));
        // A stored form holding a colon keeps it: the count is after the last one.
        assert_eq!(parse_value("a:b:1"), ("a:b", 1));
    }
}
