//! ban-user and unban-user. A ban ends every session of the user at once; the refusal of new
//! sessions (and the lifting of an expired ban) happens where sessions are created.

use axum::extract::State;
use axum::http::HeaderMap;
use serde_json::{Value, json};
use tessera_core::model::UserPatch;
use tessera_core::plugins::admin::{BAN_EXPIRES, BAN_REASON, BANNED, lifted_ban};
use tessera_core::timefmt::now_ms;
use time::{Duration, OffsetDateTime};

use super::users::write;
use super::{admin, codes, find_user, input};
use crate::body::{Body, Validator, type_name};
use crate::error::ApiError;
use crate::reply::Reply;
use crate::state::AppState;
use crate::wire;

/// Better Auth's reason when none (or an empty one) is given.
const DEFAULT_BAN_REASON: &str = "No reason";

/// `now + seconds`, as `getDate(seconds, "sec")`; 0 (falsy in JavaScript) means no expiry.
fn ban_expiry(
    now: OffsetDateTime,
    seconds: Option<f64>,
) -> Result<Option<OffsetDateTime>, ApiError> {
    let Some(seconds) = seconds.filter(|s| *s != 0.0 && !s.is_nan()) else {
        return Ok(None);
    };
    let millis = (seconds * 1000.0).trunc();
    if !millis.is_finite() || millis.abs() >= 8.64e15 {
        // Beyond JavaScript's dates; Better Auth would fail writing it.
        return Err(ApiError::internal());
    }
    now.checked_add(Duration::milliseconds(millis as i64))
        .map(Some)
        .ok_or_else(ApiError::internal)
}

/// `POST /admin/ban-user`: `{userId, banReason?, banExpiresIn? (seconds)}` → `{user}`.
pub async fn ban_user(
    State(state): State<AppState>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Reply, ApiError> {
    let mut v = Validator::new(&body);
    let user_id = input::coerce_string(&mut v, &body, "userId");
    let reason = v.opt_string("banReason");
    let expires_in = match body.get("banExpiresIn") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => n.as_f64(),
        Some(other) => {
            v.error(
                "banExpiresIn",
                &format!(
                    "Invalid input: expected number, received {}",
                    type_name(other)
                ),
            );
            None
        }
    };
    v.finish()?;
    let Some(user_id) = user_id else {
        return Err(ApiError::internal());
    };
    let current = admin(
        &state,
        &headers,
        "user",
        "ban",
        codes::not_allowed_to_ban_users,
    )
    .await?;
    find_user(&state, &user_id).await?;
    if user_id == current.user.id {
        return Err(codes::cannot_ban_yourself());
    }
    let reason = reason
        .filter(|r| !r.is_empty())
        .unwrap_or_else(|| DEFAULT_BAN_REASON.to_owned());
    let patch = UserPatch::default()
        .with(&BANNED, true)
        .with(&BAN_REASON, reason)
        .with(&BAN_EXPIRES, ban_expiry(now_ms(), expires_in)?);
    let user = write(&state, &user_id, &patch).await?;
    let revoked = state.store.delete_user_sessions(&user_id, None).await?;
    tracing::info!(admin_id = %current.user.id, user_id = %user_id, revoked, "admin: user banned");
    Ok(Reply::json(json!({ "user": wire::user(&user) })))
}

/// `POST /admin/unban-user`: clears the ban, its reason and its expiry.
pub async fn unban_user(
    State(state): State<AppState>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Reply, ApiError> {
    let mut v = Validator::new(&body);
    let user_id = input::coerce_string(&mut v, &body, "userId");
    v.finish()?;
    let Some(user_id) = user_id else {
        return Err(ApiError::internal());
    };
    let current = admin(
        &state,
        &headers,
        "user",
        "ban",
        codes::not_allowed_to_ban_users,
    )
    .await?;
    find_user(&state, &user_id).await?;
    let patch = lifted_ban();
    let user = write(&state, &user_id, &patch).await?;
    tracing::info!(admin_id = %current.user.id, user_id = %user_id, "admin: user unbanned");
    Ok(Reply::json(json!({ "user": wire::user(&user) })))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn expiry_is_now_plus_seconds_and_zero_means_none() {
        let now = datetime!(2026-11-27 12:00:00 UTC);
        assert!(matches!(ban_expiry(now, None), Ok(None)));
        assert!(matches!(ban_expiry(now, Some(0.0)), Ok(None)));
        assert!(
            matches!(ban_expiry(now, Some(60.0)), Ok(Some(t)) if t == datetime!(2026-11-27 12:01:00 UTC))
        );
        assert!(
            matches!(ban_expiry(now, Some(1.5)), Ok(Some(t)) if t == datetime!(2026-11-27 12:00:01.5 UTC))
        );
        assert!(
            matches!(ban_expiry(now, Some(-60.0)), Ok(Some(t)) if t == datetime!(2026-11-27 11:59:00 UTC))
        );
        assert!(ban_expiry(now, Some(1e300)).is_err());
    }
}
