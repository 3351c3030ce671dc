//! `POST /organization/has-permission`: whether the caller's role in an organization grants a
//! request, by the rule of `tessera_core::plugins::organization_access`.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde_json::json;
use tessera_core::plugins::organization::{self as spec, ORGANIZATION_ROLE, OrganizationSession};
use tessera_core::plugins::organization_access::{Statements, parse_permission, role_names};
use tessera_store::{FindMany, Where};

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
    let success = match plural {
        Some(request) => {
            role_grants(
                &state,
                &organization_id,
                member.text("role").unwrap_or_default(),
                &request,
            )
            .await?
        }
        None => false,
    };
    Ok(Reply::json(json!({ "error": null, "success": success })))
}

/// Whether a member's role string grants `request` in the organization: the static roles, and
/// with dynamic access control the organization's `organizationRole` rows for those names,
/// merged per request as Better Auth does (one indexed read; none without dynamic access control).
pub(super) async fn role_grants(
    state: &AppState,
    organization_id: &str,
    role: &str,
    request: &Statements,
) -> Result<bool, ApiError> {
    let dynamic = dynamic_roles(state, organization_id, role).await?;
    Ok(roles(state).grants_with(role, request, &dynamic))
}

/// The organization's dynamic roles named in `role`, as `(name, statements)`; empty without
/// dynamic access control.
pub(super) async fn dynamic_roles(
    state: &AppState,
    organization_id: &str,
    role: &str,
) -> Result<Vec<(String, Statements)>, ApiError> {
    if !state.config.organization.dynamic_access_control.enabled {
        return Ok(Vec::new());
    }
    let names: Vec<&str> = role_names(role).collect();
    if names.is_empty() {
        return Ok(Vec::new());
    }
    let rows = state
        .store
        .find_rows(
            ORGANIZATION_ROLE,
            &FindMany::filter(vec![
                Where::eq("organizationId", organization_id),
                Where::is_in("role", names),
            ]),
        )
        .await?;
    Ok(rows
        .iter()
        .filter_map(|row| {
            Some((
                row.text("role")?.to_owned(),
                parse_permission(row.text("permission")?),
            ))
        })
        .collect())
}

/// Which of `names` are dynamic roles of the organization; empty without dynamic access control.
pub(super) async fn dynamic_role_names(
    state: &AppState,
    organization_id: &str,
    names: &[String],
) -> Result<Vec<String>, ApiError> {
    if !state.config.organization.dynamic_access_control.enabled || names.is_empty() {
        return Ok(Vec::new());
    }
    let rows = state
        .store
        .find_rows(
            ORGANIZATION_ROLE,
            &FindMany::filter(vec![
                Where::eq("organizationId", organization_id),
                Where::is_in("role", names.iter().map(String::as_str)),
            ]),
        )
        .await?;
    Ok(rows
        .iter()
        .filter_map(|r| r.text("role").map(str::to_owned))
        .collect())
}
