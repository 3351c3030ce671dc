//! `POST /organization/has-permission`: whether the caller's role in an organization grants a
//! request, by the rule of `tessera_core::plugins::organization_access`.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde_json::json;
use tessera_core::plugins::organization::{self as spec, OrganizationSession};

use super::{membership, roles};
use crate::body::{Body, Validator, permission_request};
use crate::error::{ApiError, codes as base_codes};
use crate::reply::Reply;
use crate::session;
use crate::state::AppState;

pub async fn has_permission(
    State(state): State<AppState>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Reply, ApiError> {
    let mut v = Validator::new(&body);
    let organization_id = v.opt_string("organizationId");
    v.finish()?;
    // zod's `z.xor` of `{permission}` and `{permissions}`: exactly one must be well formed.
    let singular = body.get("permission").and_then(permission_request);
    let plural = body.get("permissions").and_then(permission_request);
    match (&singular, &plural) {
        (Some(_), Some(_)) => {
            return Err(base_codes::validation(
                "[body] Invalid input: more than one option matched".to_owned(),
            ));
        }
        (None, None) => {
            return Err(base_codes::validation("[body] Invalid input".to_owned()));
        }
        _ => {}
    }
    let current = session::require(&state, &headers).await?;
    let Some(organization_id) =
        organization_id.or_else(|| current.session.active_organization_id().map(str::to_owned))
    else {
        return Err(ApiError::coded(
            StatusCode::BAD_REQUEST,
            spec::NO_ACTIVE_ORGANIZATION,
        ));
    };
    let Some(member) = membership(&state, &current.user.id, &organization_id).await? else {
        return Err(ApiError::coded(
            StatusCode::UNAUTHORIZED,
            spec::USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION,
        ));
    };
    // The deprecated `permission` key never succeeds in Better Auth 1.7.25 (its check reads
    // `permissions` only); answering the same keeps clients' behaviour identical.
    let success = plural.is_some_and(|request| {
        roles(&state).grants(member.text("role").unwrap_or_default(), &request)
    });
    Ok(Reply::json(json!({ "error": null, "success": success })))
}
