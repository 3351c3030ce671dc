//! The organization rows themselves: create, check-slug, list, get-full-organization, update and
//! delete (reference §1.6, §1.7).

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Map, Value, json};
use tessera_core::crypto::random;
use tessera_core::plugins::organization::{
    self as spec, INVITATION, MEMBER, ORGANIZATION, OrganizationSession, TEAM,
};
use tessera_core::timefmt::now_ms;
use tessera_store::{FindMany, Row, SortBy, Where};

use super::access::role_grants;
use super::invitations::visible_invitations;
use super::team_seats;
use super::wire::{self, Metadata};
use super::{
    members_with_users, membership, organization_by_id, organization_by_slug,
    set_active_organization,
};
use crate::body::{Body, Validator, type_name};
use crate::error::ApiError;
use crate::reply::Reply;
use crate::session;
use crate::state::AppState;

const TOO_SMALL: &str = "Too small: expected string to have >=1 characters";

/// A required non-empty string (zod `z.string().min(1)`).
fn non_empty(v: &mut Validator<'_>, field: &str) -> Option<String> {
    let value = v.string(field)?;
    if value.is_empty() {
        v.error(field, TOO_SMALL);
        return None;
    }
    Some(value)
}

/// `metadata` (zod `z.record(z.string(), z.any()).optional()`) as the JSON text it is stored as.
fn metadata_text(body: &Map<String, Value>, v: &mut Validator<'_>, prefix: &str) -> Option<String> {
    match body.get("metadata") {
        None => None,
        Some(object @ Value::Object(_)) => Some(object.to_string()),
        Some(other) => {
            v.error(
                &format!("{prefix}metadata"),
                &format!(
                    "Invalid input: expected record, received {}",
                    type_name(other)
                ),
            );
            None
        }
    }
}

/// `POST /organization/create`: the organization, its creator as a member with the creator role,
/// and the creator's session made active on it (in the store only: no Set-Cookie, §1.5).
pub async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Reply, ApiError> {
    let mut v = Validator::new(&body);
    let name = non_empty(&mut v, "name");
    let slug = non_empty(&mut v, "slug");
    let logo = v.opt_string("logo");
    let metadata = metadata_text(&body, &mut v, "");
    let keep_current = v.opt_bool("keepCurrentActiveOrganization");
    v.finish()?;
    let (Some(name), Some(slug)) = (name, slug) else {
        return Err(ApiError::internal());
    };
    // Better Auth answers a missing session here with a bare 401.
    let current = session::require(&state, &headers)
        .await
        .map_err(|_| ApiError::empty(StatusCode::UNAUTHORIZED))?;
    let options = &state.config.organization;
    if !options.allow_user_to_create_organization {
        return Err(ApiError::coded(
            StatusCode::FORBIDDEN,
            spec::YOU_ARE_NOT_ALLOWED_TO_CREATE_A_NEW_ORGANIZATION,
        ));
    }
    if let Some(limit) = options.organization_limit {
        // Every membership counts, not only the organizations the user owns.
        let memberships = state
            .store
            .count_rows(MEMBER, &[Where::eq("userId", current.user.id.as_str())])
            .await?;
        if memberships >= limit {
            return Err(ApiError::coded(
                StatusCode::FORBIDDEN,
                spec::YOU_HAVE_REACHED_THE_MAXIMUM_NUMBER_OF_ORGANIZATIONS,
            ));
        }
    }
    if organization_by_slug(&state, &slug).await?.is_some() {
        return Err(ApiError::coded(
            StatusCode::BAD_REQUEST,
            spec::ORGANIZATION_ALREADY_EXISTS,
        ));
    }
    let now = now_ms();
    let organization = state
        .store
        .create_row(
            ORGANIZATION,
            &Row::new()
                .with("id", random::generate_id(32))
                .with("name", name)
                .with("slug", slug)
                .with("logo", logo)
                .with("createdAt", now)
                .with("metadata", metadata),
        )
        .await?;
    let organization_id = organization.text("id").unwrap_or_default().to_owned();
    let member = state
        .store
        .create_row(
            MEMBER,
            &Row::new()
                .with("id", random::generate_id(32))
                .with("organizationId", organization_id.as_str())
                .with("userId", current.user.id.as_str())
                .with("role", options.creator_role.as_str())
                .with("createdAt", now),
        )
        .await?;
    let default_team = if options.teams.enabled && options.teams.default_team {
        Some(team_seats::create_default_team(&state, &organization, &current.user.id).await?)
    } else {
        None
    };
    if !keep_current.unwrap_or(false) {
        set_active_organization(&state, &current.session.id, Some(&organization_id)).await?;
        if let Some(team_id) = &default_team {
            team_seats::set_active_team(&state, &current.session.id, Some(team_id)).await?;
        }
    }
    tracing::info!(organization_id = %organization_id, user_id = %current.user.id, "organization created");
    let mut answer = wire::organization(&organization, Metadata::Object);
    answer.insert("members".into(), json!([wire::member(&member, None)]));
    Ok(Reply::json(Value::Object(answer)))
}

/// `POST /organization/check-slug`: `{"status":true}` when no organization has the slug.
pub async fn check_slug(
    State(state): State<AppState>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Reply, ApiError> {
    let mut v = Validator::new(&body);
    let slug = v.string("slug");
    v.finish()?;
    session::require(&state, &headers).await?;
    let Some(slug) = slug else {
        return Err(ApiError::internal());
    };
    if organization_by_slug(&state, &slug).await?.is_some() {
        return Err(ApiError::coded(
            StatusCode::BAD_REQUEST,
            spec::ORGANIZATION_SLUG_ALREADY_TAKEN,
        ));
    }
    Ok(Reply::json(json!({ "status": true })))
}

/// `GET /organization/list`: the caller's organizations (metadata as stored text), capped like
/// Better Auth's `findMany` at 100 memberships.
pub async fn list(State(state): State<AppState>, headers: HeaderMap) -> Result<Reply, ApiError> {
    let current = session::require(&state, &headers).await?;
    let memberships = state
        .store
        .find_rows(
            MEMBER,
            &FindMany::filter(vec![Where::eq("userId", current.user.id.as_str())]),
        )
        .await?;
    let ids: Vec<&str> = memberships
        .iter()
        .filter_map(|m| m.text("organizationId"))
        .collect();
    if ids.is_empty() {
        return Ok(Reply::json(json!([])));
    }
    let organizations = state
        .store
        .find_rows(
            ORGANIZATION,
            &FindMany::filter(vec![Where::is_in("id", ids)]),
        )
        .await?;
    let answer: Vec<Value> = organizations
        .iter()
        .map(|o| Value::Object(wire::organization(o, Metadata::Text)))
        .collect();
    Ok(Reply::json(Value::Array(answer)))
}

/// `GET /organization/get-full-organization`: the organization named by `organizationSlug`,
/// `organizationId` or the session (in that order of preference), with its members (and their
/// users), its invitations when the caller may create them, and its teams when teams are on.
/// Nothing named and nothing active is `null`; a non-member is refused and, as in Better Auth,
/// loses the session's active organization whichever organization was asked for.
pub async fn get_full_organization(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Reply, ApiError> {
    let current = session::require(&state, &headers).await?;
    let options = &state.config.organization;
    let organization = if let Some(slug) = query.get("organizationSlug") {
        organization_by_slug(&state, slug).await?
    } else if let Some(id) = query
        .get("organizationId")
        .map(String::as_str)
        .or(current.session.active_organization_id())
    {
        organization_by_id(&state, id).await?
    } else {
        return Ok(Reply::json(Value::Null));
    };
    let Some(organization) = organization else {
        return Err(ApiError::coded(
            StatusCode::BAD_REQUEST,
            spec::ORGANIZATION_NOT_FOUND,
        ));
    };
    let organization_id = organization.text("id").unwrap_or_default().to_owned();
    let Some(caller) = membership(&state, &current.user.id, &organization_id).await? else {
        set_active_organization(&state, &current.session.id, None).await?;
        return Err(ApiError::coded(
            StatusCode::FORBIDDEN,
            spec::USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION,
        ));
    };
    // `membersLimit` is `z.number().or(z.string().transform(parseInt))`: a number-ish prefix.
    let members_limit = query
        .get("membersLimit")
        .and_then(|l| leading_int(l))
        .unwrap_or(options.membership_limit);
    let members = state
        .store
        .find_rows(
            MEMBER,
            &FindMany {
                sort_by: Some(SortBy::asc("createdAt")),
                limit: Some(members_limit),
                ..FindMany::filter(vec![Where::eq("organizationId", organization_id.as_str())])
            },
        )
        .await?;
    let members = members_with_users(&state, &members).await?;
    let invitations = visible_invitations(&state, &caller, &organization_id)
        .await?
        .unwrap_or_default();
    let mut answer = wire::organization(&organization, Metadata::Text);
    answer.insert("invitations".into(), Value::Array(invitations));
    answer.insert("members".into(), Value::Array(members));
    if options.teams.enabled {
        let teams = state
            .store
            .find_rows(
                TEAM,
                &FindMany::filter(vec![Where::eq("organizationId", organization_id.as_str())]),
            )
            .await?;
        answer.insert(
            "teams".into(),
            Value::Array(teams.iter().map(wire::full_team).collect()),
        );
    }
    Ok(Reply::json(Value::Object(answer)))
}

/// `GET /organization/get-organization`: the organization named by `organizationSlug`,
/// `organizationId` or the session, without members; `null` when none is named or active. A
/// non-member is refused and loses the session's active organization.
pub async fn get_organization(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Reply, ApiError> {
    let current = session::require(&state, &headers).await?;
    let organization = if let Some(slug) = query.get("organizationSlug").filter(|s| !s.is_empty()) {
        organization_by_slug(&state, slug).await?
    } else if let Some(id) = query
        .get("organizationId")
        .map(String::as_str)
        .filter(|id| !id.is_empty())
        .or(current.session.active_organization_id())
    {
        organization_by_id(&state, id).await?
    } else {
        return Ok(Reply::json(Value::Null));
    };
    let Some(organization) = organization else {
        return Err(ApiError::coded(
            StatusCode::BAD_REQUEST,
            spec::ORGANIZATION_NOT_FOUND,
        ));
    };
    let organization_id = organization.text("id").unwrap_or_default();
    if membership(&state, &current.user.id, organization_id)
        .await?
        .is_none()
    {
        set_active_organization(&state, &current.session.id, None).await?;
        return Err(ApiError::coded(
            StatusCode::FORBIDDEN,
            spec::USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION,
        ));
    }
    Ok(Reply::json(Value::Object(wire::organization(
        &organization,
        Metadata::Text,
    ))))
}

/// JavaScript's `parseInt` for a limit: the leading digits, if any.
fn leading_int(text: &str) -> Option<u64> {
    let digits: String = text
        .trim_start()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// `POST /organization/update`: `data.{name, slug, logo, metadata}` of the named or active
/// organization, for a member whose role grants `organization:update`. The answer has
/// `metadata` as an object (left out when there is none).
pub async fn update(
    State(state): State<AppState>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Reply, ApiError> {
    let mut v = Validator::new(&body);
    let organization_id = v.opt_string("organizationId");
    let data = v.object("data");
    let mut d = Validator::new(data);
    let name = d.opt_string("name");
    let slug = d.opt_string("slug");
    let logo = d.opt_string("logo");
    let metadata = metadata_text(data, &mut d, "data.");
    d.finish()?;
    v.finish()?;
    // Better Auth's update answers a missing session with this message and no code.
    let Ok(current) = session::require(&state, &headers).await else {
        return Err(ApiError::message_only(
            StatusCode::UNAUTHORIZED,
            "User not found",
        ));
    };
    let Some(organization_id) =
        organization_id.or_else(|| current.session.active_organization_id().map(str::to_owned))
    else {
        return Err(ApiError::coded(
            StatusCode::BAD_REQUEST,
            spec::ORGANIZATION_NOT_FOUND,
        ));
    };
    let Some(caller) = membership(&state, &current.user.id, &organization_id).await? else {
        return Err(ApiError::coded(
            StatusCode::BAD_REQUEST,
            spec::USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION,
        ));
    };
    let request = vec![("organization".to_owned(), vec!["update".to_owned()])];
    let role = caller.text("role").unwrap_or_default();
    if !role_grants(&state, &organization_id, role, &request).await? {
        return Err(ApiError::coded(
            StatusCode::FORBIDDEN,
            spec::YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_ORGANIZATION,
        ));
    }
    if let Some(slug) = &slug
        && let Some(other) = organization_by_slug(&state, slug).await?
        && other.text("id") != Some(organization_id.as_str())
    {
        return Err(ApiError::coded(
            StatusCode::BAD_REQUEST,
            spec::ORGANIZATION_SLUG_ALREADY_TAKEN,
        ));
    }
    let mut changes = Row::new();
    if let Some(name) = name {
        changes.set("name", name);
    }
    if let Some(slug) = slug {
        changes.set("slug", slug);
    }
    if let Some(logo) = logo {
        changes.set("logo", logo);
    }
    if let Some(metadata) = metadata {
        changes.set("metadata", metadata);
    }
    let filter = [Where::eq("id", organization_id.as_str())];
    let updated = if changes.is_empty() {
        state.store.find_row(ORGANIZATION, &filter).await?
    } else {
        state
            .store
            .update_row(ORGANIZATION, &filter, &changes)
            .await?
    };
    let Some(updated) = updated else {
        return Err(ApiError::coded(
            StatusCode::BAD_REQUEST,
            spec::ORGANIZATION_NOT_FOUND,
        ));
    };
    Ok(Reply::json(Value::Object(wire::organization(
        &updated,
        Metadata::Object,
    ))))
}

/// `POST /organization/delete`: for a member whose role grants `organization:delete`. Members
/// and invitations go explicitly, teams, team members and roles by the foreign keys' cascade;
/// only the caller's session loses the active organization (others keep a dangling id, §1.7).
pub async fn delete(
    State(state): State<AppState>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Reply, ApiError> {
    // Checked before the body and the session, as Better Auth does.
    if state.config.organization.disable_organization_deletion {
        return Err(ApiError::coded(
            StatusCode::NOT_FOUND,
            spec::ORGANIZATION_DELETION_DISABLED,
        ));
    }
    let mut v = Validator::new(&body);
    let organization_id = v.string("organizationId");
    v.finish()?;
    let current = session::require(&state, &headers).await?;
    let Some(organization_id) = organization_id.filter(|id| !id.is_empty()) else {
        return Err(ApiError::coded(
            StatusCode::BAD_REQUEST,
            spec::ORGANIZATION_NOT_FOUND,
        ));
    };
    let Some(caller) = membership(&state, &current.user.id, &organization_id).await? else {
        return Err(ApiError::coded(
            StatusCode::BAD_REQUEST,
            spec::USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION,
        ));
    };
    let request = vec![("organization".to_owned(), vec!["delete".to_owned()])];
    let role = caller.text("role").unwrap_or_default();
    if !role_grants(&state, &organization_id, role, &request).await? {
        return Err(ApiError::coded(
            StatusCode::FORBIDDEN,
            spec::YOU_ARE_NOT_ALLOWED_TO_DELETE_THIS_ORGANIZATION,
        ));
    }
    let Some(organization) = organization_by_id(&state, &organization_id).await? else {
        return Err(ApiError::empty(StatusCode::BAD_REQUEST));
    };
    let in_org = [Where::eq("organizationId", organization_id.as_str())];
    state.store.delete_rows(MEMBER, &in_org).await?;
    super::members_changed(&state, &organization_id);
    state.store.delete_rows(INVITATION, &in_org).await?;
    state
        .store
        .delete_row(ORGANIZATION, &[Where::eq("id", organization_id.as_str())])
        .await?;
    if current.session.active_organization_id() == Some(organization_id.as_str()) {
        set_active_organization(&state, &current.session.id, None).await?;
    }
    tracing::info!(organization_id = %organization_id, user_id = %current.user.id, "organization deleted");
    Ok(Reply::json(Value::Object(wire::organization(
        &organization,
        Metadata::Text,
    ))))
}
