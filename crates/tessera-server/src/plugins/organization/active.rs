//! The session's active organization: set-active and get-active-member.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde_json::Value;
use tessera_core::plugins::organization::{self as spec, OrganizationSession};
use tessera_store::Row;

use super::wire::{self, Metadata};
use super::{
    membership, organization_by_id, organization_by_slug, set_active_organization, users_of,
};
use crate::body::{Body, Validator, type_name};
use crate::error::ApiError;
use crate::reply::Reply;
use crate::session;
use crate::state::AppState;

/// `POST /organization/set-active`: `organizationId` (a string, or `null` to unset) or
/// `organizationSlug`; `{}` re-checks the current one. Answers the organization (metadata as
/// text) or `null`, and re-issues the session cookie whenever it writes the session, as Better
/// Auth's `setSessionCookie` does. A caller who is not a member loses the active organization
/// (membership is checked before the organization is looked up, so an unknown id is the same 403).
pub async fn set_active(
    State(state): State<AppState>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Reply, ApiError> {
    let mut v = Validator::new(&body);
    // `organizationId: z.string().nullable().optional()`: null is a value here, not absence.
    let unset = matches!(body.get("organizationId"), Some(Value::Null));
    let organization_id = match body.get("organizationId") {
        None | Some(Value::Null) => None,
        Some(Value::String(id)) => Some(id.clone()),
        Some(other) => {
            v.error(
                "organizationId",
                &format!(
                    "Invalid input: expected string, received {}",
                    type_name(other)
                ),
            );
            None
        }
    };
    let organization_slug = v.opt_string("organizationSlug");
    v.finish()?;
    let current = session::require(&state, &headers).await?;
    let cookies =
        || session::session_cookies(&state, &current.session.token, current.dont_remember);
    if unset {
        if current.session.active_organization_id().is_none() {
            return Ok(Reply::json(Value::Null));
        }
        set_active_organization(&state, &current.session.id, None).await?;
        return Ok(Reply::json(Value::Null).cookies(cookies()));
    }
    let organization_id = match (organization_id, organization_slug) {
        (Some(id), _) => id,
        (None, Some(slug)) => match organization_by_slug(&state, &slug).await? {
            Some(organization) => organization.text("id").unwrap_or_default().to_owned(),
            None => {
                return Err(ApiError::coded(
                    StatusCode::BAD_REQUEST,
                    spec::ORGANIZATION_NOT_FOUND,
                ));
            }
        },
        (None, None) => match current.session.active_organization_id() {
            Some(active) => active.to_owned(),
            None => return Ok(Reply::json(Value::Null)),
        },
    };
    if organization_id.is_empty() {
        return Err(ApiError::coded(
            StatusCode::BAD_REQUEST,
            spec::ORGANIZATION_NOT_FOUND,
        ));
    }
    if membership(&state, &current.user.id, &organization_id)
        .await?
        .is_none()
    {
        set_active_organization(&state, &current.session.id, None).await?;
        return Err(ApiError::coded(
            StatusCode::FORBIDDEN,
            spec::USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION,
        ));
    }
    let Some(organization) = organization_by_id(&state, &organization_id).await? else {
        return Err(ApiError::coded(
            StatusCode::BAD_REQUEST,
            spec::ORGANIZATION_NOT_FOUND,
        ));
    };
    set_active_organization(&state, &current.session.id, Some(&organization_id)).await?;
    Ok(Reply::json(Value::Object(wire::organization(
        &organization,
        Metadata::Text,
    )))
    .cookies(cookies()))
}

/// `GET /organization/get-active-member`: the caller's member row in the active organization,
/// with its user.
pub async fn get_active_member(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Reply, ApiError> {
    let current = session::require(&state, &headers).await?;
    let Some(organization_id) = current.session.active_organization_id() else {
        return Err(ApiError::coded(
            StatusCode::BAD_REQUEST,
            spec::NO_ACTIVE_ORGANIZATION,
        ));
    };
    let Some(member) = membership(&state, &current.user.id, organization_id).await? else {
        return Err(ApiError::coded(
            StatusCode::BAD_REQUEST,
            spec::MEMBER_NOT_FOUND,
        ));
    };
    let members: [Row; 1] = [member];
    let users = users_of(&state, &members).await?;
    let [member] = members;
    let Some(user) = users.first() else {
        return Err(ApiError::coded(
            StatusCode::BAD_REQUEST,
            spec::MEMBER_NOT_FOUND,
        ));
    };
    Ok(Reply::json(wire::member(&member, Some(user))))
}
