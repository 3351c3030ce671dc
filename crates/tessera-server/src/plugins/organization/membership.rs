//! One member's place in an organization: remove-member, update-member-role, leave,
//! get-active-member-role, and the server-only add-member (`tessera org add-member`), with the
//! owner rules of reference §1.4.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Value, json};
use tessera_core::crypto::random;
use tessera_core::plugins::organization::{self as spec, MEMBER, OrganizationSession};
use tessera_core::plugins::organization_access::role_names;
use tessera_core::schema::USER;
use tessera_core::timefmt::now_ms;
use tessera_store::{Row, Where};

use super::access::{dynamic_role_names, role_grants};
use super::{
    members_with_users, membership, organization_by_id, organization_by_slug,
    set_active_organization, team_seats, wire,
};
use crate::body::{Body, Validator};
use crate::error::ApiError;
use crate::reply::Reply;
use crate::session;
use crate::state::AppState;

fn holds(role: &str, name: &str) -> bool {
    role_names(role).any(|r| r == name)
}

/// How many members of the organization hold the creator role. Only rows whose role text
/// mentions it are read, then their role lists are checked exactly.
async fn creators(state: &AppState, organization_id: &str) -> Result<usize, ApiError> {
    let creator = state.config.organization.creator_role.as_str();
    let rows = state
        .store
        .find_rows(
            MEMBER,
            &tessera_store::FindMany {
                limit: None,
                ..tessera_store::FindMany::filter(vec![
                    Where::eq("organizationId", organization_id),
                    Where::contains("role", creator),
                ])
            },
        )
        .await?;
    Ok(rows
        .iter()
        .filter(|m| holds(m.text("role").unwrap_or_default(), creator))
        .count())
}

/// Deletes a member row and the user's seats in the organization's teams.
async fn delete_member(state: &AppState, member: &Row) -> Result<(), ApiError> {
    let organization_id = member.text("organizationId").unwrap_or_default();
    let user_id = member.text("userId").unwrap_or_default();
    state
        .store
        .delete_row(
            MEMBER,
            &[Where::eq("id", member.text("id").unwrap_or_default())],
        )
        .await?;
    super::members_changed(state, organization_id);
    team_seats::leave_teams(state, organization_id, user_id).await
}

/// The names in `requested` that are neither static roles nor (with dynamic access control) the
/// organization's own roles.
pub(super) async fn unknown_roles(
    state: &AppState,
    organization_id: &str,
    requested: &[String],
) -> Result<Vec<String>, ApiError> {
    let roles = super::roles(state);
    let unknown: Vec<String> = requested
        .iter()
        .filter(|r| !roles.contains(r))
        .cloned()
        .collect();
    if unknown.is_empty() {
        return Ok(unknown);
    }
    let dynamic = dynamic_role_names(state, organization_id, &unknown).await?;
    Ok(unknown
        .into_iter()
        .filter(|r| !dynamic.contains(r))
        .collect())
}

/// `role: string | string[]` as Better Auth's `parseRoleList` makes it (split on commas,
/// trimmed, empties dropped); `None` when the value is neither shape.
pub(super) fn role_list(value: Option<&Value>) -> Option<Vec<String>> {
    let names = |text: &str| role_names(text).map(str::to_owned).collect::<Vec<_>>();
    match value? {
        Value::String(text) => Some(names(text)),
        Value::Array(items) => {
            let mut list = Vec::new();
            for item in items {
                list.extend(names(item.as_str()?));
            }
            Some(list)
        }
        _ => None,
    }
}

/// `POST /organization/remove-member`: `{memberIdOrEmail, organizationId?}` (an `@` means an
/// email). Answers `{"member": …}`, with the user when found by email, as Better Auth does.
pub async fn remove_member(
    State(state): State<AppState>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Reply, ApiError> {
    let mut v = Validator::new(&body);
    let target = v.string("memberIdOrEmail");
    let organization_id = v.opt_string("organizationId");
    v.finish()?;
    let Some(target) = target else {
        return Err(ApiError::internal());
    };
    let current = session::require(&state, &headers).await?;
    let Some(organization_id) = organization_id
        .filter(|id| !id.is_empty())
        .or_else(|| current.session.active_organization_id().map(str::to_owned))
    else {
        return Err(ApiError::coded(
            StatusCode::BAD_REQUEST,
            spec::NO_ACTIVE_ORGANIZATION,
        ));
    };
    let Some(caller) = membership(&state, &current.user.id, &organization_id).await? else {
        return Err(ApiError::coded(
            StatusCode::BAD_REQUEST,
            spec::MEMBER_NOT_FOUND,
        ));
    };
    let by_email = target.contains('@');
    let removed = if by_email {
        match state
            .store
            .find_row(USER, &[Where::eq("email", target.to_lowercase())])
            .await?
        {
            Some(user) => {
                membership(
                    &state,
                    user.text("id").unwrap_or_default(),
                    &organization_id,
                )
                .await?
            }
            None => None,
        }
    } else {
        state
            .store
            .find_row(MEMBER, &[Where::eq("id", target.as_str())])
            .await?
    };
    let Some(removed) = removed else {
        return Err(ApiError::coded(
            StatusCode::BAD_REQUEST,
            spec::MEMBER_NOT_FOUND,
        ));
    };
    let creator = state.config.organization.creator_role.clone();
    let caller_role = caller.text("role").unwrap_or_default();
    // The owner rule is checked before the target's organization, counting the caller's
    // organization's owners, as Better Auth does.
    if holds(removed.text("role").unwrap_or_default(), &creator)
        && (!holds(caller_role, &creator) || creators(&state, &organization_id).await? <= 1)
    {
        return Err(ApiError::coded(
            StatusCode::BAD_REQUEST,
            spec::YOU_CANNOT_LEAVE_THE_ORGANIZATION_AS_THE_ONLY_OWNER,
        ));
    }
    let delete = vec![("member".to_owned(), vec!["delete".to_owned()])];
    if !role_grants(&state, &organization_id, caller_role, &delete).await? {
        return Err(ApiError::coded(
            StatusCode::UNAUTHORIZED,
            spec::YOU_ARE_NOT_ALLOWED_TO_DELETE_THIS_MEMBER,
        ));
    }
    if removed.text("organizationId") != Some(organization_id.as_str()) {
        return Err(ApiError::coded(
            StatusCode::BAD_REQUEST,
            spec::MEMBER_NOT_FOUND,
        ));
    }
    if organization_by_id(&state, &organization_id)
        .await?
        .is_none()
    {
        return Err(ApiError::coded(
            StatusCode::BAD_REQUEST,
            spec::ORGANIZATION_NOT_FOUND,
        ));
    }
    let with_user = members_with_users(&state, std::slice::from_ref(&removed)).await?;
    let Some(answer) = with_user.into_iter().next() else {
        return Err(ApiError::message_only(
            StatusCode::BAD_REQUEST,
            "User not found",
        ));
    };
    delete_member(&state, &removed).await?;
    let removed_user = removed.text("userId").unwrap_or_default();
    if removed_user == current.user.id
        && current.session.active_organization_id() == Some(organization_id.as_str())
    {
        set_active_organization(&state, &current.session.id, None).await?;
    }
    tracing::info!(organization_id = %organization_id, user_id = %current.user.id, member_id = %removed.text("id").unwrap_or_default(), "member removed");
    let member = if by_email {
        answer
    } else {
        wire::member(&removed, None)
    };
    Ok(Reply::json(json!({ "member": member })))
}

/// `POST /organization/update-member-role`: `{memberId, role, organizationId?}`; answers the bare
/// member with the normalized role.
pub async fn update_member_role(
    State(state): State<AppState>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Reply, ApiError> {
    let mut v = Validator::new(&body);
    let roles = role_list(body.get("role"));
    if roles.is_none() {
        v.error("role", "Invalid input");
    }
    let member_id = v.string("memberId");
    let organization_id = v.opt_string("organizationId");
    v.finish()?;
    let (Some(roles), Some(member_id)) = (roles, member_id) else {
        return Err(ApiError::internal());
    };
    let current = session::require(&state, &headers).await?;
    // `if (!ctx.body.role)`: an empty string is a bare 400, as is a list that parses to nothing.
    if roles.is_empty() {
        return Err(ApiError::empty(StatusCode::BAD_REQUEST));
    }
    let Some(organization_id) = organization_id
        .filter(|id| !id.is_empty())
        .or_else(|| current.session.active_organization_id().map(str::to_owned))
    else {
        return Err(ApiError::coded(
            StatusCode::BAD_REQUEST,
            spec::NO_ACTIVE_ORGANIZATION,
        ));
    };
    let Some(caller) = membership(&state, &current.user.id, &organization_id).await? else {
        return Err(ApiError::coded(
            StatusCode::BAD_REQUEST,
            spec::MEMBER_NOT_FOUND,
        ));
    };
    let target = if caller.text("id") == Some(member_id.as_str()) {
        Some(caller.clone())
    } else {
        state
            .store
            .find_row(MEMBER, &[Where::eq("id", member_id.as_str())])
            .await?
    };
    let Some(target) = target else {
        return Err(ApiError::coded(
            StatusCode::BAD_REQUEST,
            spec::MEMBER_NOT_FOUND,
        ));
    };
    let not_allowed = || {
        ApiError::coded(
            StatusCode::FORBIDDEN,
            spec::YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_MEMBER,
        )
    };
    if target.text("organizationId") != Some(organization_id.as_str()) {
        return Err(not_allowed());
    }
    let creator = state.config.organization.creator_role.clone();
    let caller_role = caller.text("role").unwrap_or_default();
    let caller_is_creator = holds(caller_role, &creator);
    let setting_creator = roles.contains(&creator);
    if (holds(target.text("role").unwrap_or_default(), &creator) || setting_creator)
        && !caller_is_creator
    {
        return Err(not_allowed());
    }
    if caller_is_creator
        && caller.text("id") == target.text("id")
        && !setting_creator
        && creators(&state, &organization_id).await? <= 1
    {
        return Err(ApiError::coded(
            StatusCode::BAD_REQUEST,
            spec::YOU_CANNOT_LEAVE_THE_ORGANIZATION_WITHOUT_AN_OWNER,
        ));
    }
    // The creator role may always change roles here (`allowCreatorAllPermissions`).
    let update = vec![("member".to_owned(), vec!["update".to_owned()])];
    if !caller_is_creator && !role_grants(&state, &organization_id, caller_role, &update).await? {
        return Err(not_allowed());
    }
    let unknown = unknown_roles(&state, &organization_id, &roles).await?;
    if !unknown.is_empty() {
        // This one answers with the code first (Better Auth builds the object by hand here).
        let mut body = serde_json::Map::new();
        body.insert("code".into(), json!(spec::ROLE_NOT_FOUND.code));
        body.insert(
            "message".into(),
            json!(format!(
                "{}: {}",
                spec::ROLE_NOT_FOUND.code,
                unknown.join(", ")
            )),
        );
        return Err(ApiError::object(StatusCode::BAD_REQUEST, body));
    }
    if organization_by_id(&state, &organization_id)
        .await?
        .is_none()
    {
        return Err(ApiError::coded(
            StatusCode::BAD_REQUEST,
            spec::ORGANIZATION_NOT_FOUND,
        ));
    }
    let updated = state
        .store
        .update_row(
            MEMBER,
            &[Where::eq("id", member_id.as_str())],
            &Row::new().with("role", roles.join(",")),
        )
        .await?;
    let Some(updated) = updated else {
        return Err(ApiError::coded(
            StatusCode::BAD_REQUEST,
            spec::MEMBER_NOT_FOUND,
        ));
    };
    super::members_changed(&state, &organization_id);
    tracing::info!(organization_id = %organization_id, user_id = %current.user.id, member_id = %member_id, "member role updated");
    Ok(Reply::json(wire::member(&updated, None)))
}

/// `POST /organization/leave`: `{organizationId}`; the last holder of the creator role cannot
/// leave. Answers the removed member with its user.
pub async fn leave(
    State(state): State<AppState>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Reply, ApiError> {
    let mut v = Validator::new(&body);
    let organization_id = v.string("organizationId");
    v.finish()?;
    let Some(organization_id) = organization_id else {
        return Err(ApiError::internal());
    };
    let current = session::require(&state, &headers).await?;
    let Some(member) = membership(&state, &current.user.id, &organization_id).await? else {
        return Err(ApiError::coded(
            StatusCode::BAD_REQUEST,
            spec::MEMBER_NOT_FOUND,
        ));
    };
    let creator = state.config.organization.creator_role.as_str();
    if holds(member.text("role").unwrap_or_default(), creator)
        && creators(&state, &organization_id).await? <= 1
    {
        return Err(ApiError::coded(
            StatusCode::BAD_REQUEST,
            spec::YOU_CANNOT_LEAVE_THE_ORGANIZATION_AS_THE_ONLY_OWNER,
        ));
    }
    let answer = members_with_users(&state, std::slice::from_ref(&member))
        .await?
        .into_iter()
        .next()
        .unwrap_or_else(|| wire::member(&member, None));
    delete_member(&state, &member).await?;
    if current.session.active_organization_id() == Some(organization_id.as_str()) {
        set_active_organization(&state, &current.session.id, None).await?;
    }
    tracing::info!(organization_id = %organization_id, user_id = %current.user.id, "member left");
    Ok(Reply::json(answer))
}

/// `GET /organization/get-active-member-role`: `{"role": …}` of the caller, or of `?userId`, in
/// the named or active organization.
pub async fn get_active_member_role(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Reply, ApiError> {
    let current = session::require(&state, &headers).await?;
    let mut organization_id = query
        .get("organizationId")
        .filter(|id| !id.is_empty())
        .cloned()
        .or_else(|| current.session.active_organization_id().map(str::to_owned));
    if let Some(slug) = query.get("organizationSlug").filter(|s| !s.is_empty()) {
        let Some(organization) = organization_by_slug(&state, slug).await? else {
            return Err(ApiError::coded(
                StatusCode::BAD_REQUEST,
                spec::ORGANIZATION_NOT_FOUND,
            ));
        };
        organization_id = organization.text("id").map(str::to_owned);
    }
    let Some(organization_id) = organization_id else {
        return Err(ApiError::coded(
            StatusCode::BAD_REQUEST,
            spec::NO_ACTIVE_ORGANIZATION,
        ));
    };
    let not_member = || {
        ApiError::coded(
            StatusCode::FORBIDDEN,
            spec::YOU_ARE_NOT_A_MEMBER_OF_THIS_ORGANIZATION,
        )
    };
    let Some(caller) = membership(&state, &current.user.id, &organization_id).await? else {
        return Err(not_member());
    };
    let member = match query.get("userId").filter(|u| !u.is_empty()) {
        None => caller,
        Some(user_id) => membership(&state, user_id, &organization_id)
            .await?
            .ok_or_else(not_member)?,
    };
    Ok(Reply::json(json!({ "role": member.text("role") })))
}

/// Why Better Auth's server-only `addMember` refused.
#[derive(Debug)]
pub enum AddMemberError {
    UserNotFound,
    OrganizationNotFound,
    AlreadyMember,
    UnknownRoles(Vec<String>),
    TeamsDisabled,
    TeamNotFound,
    TeamFull,
    MembershipLimitReached,
    Store(ApiError),
}

impl From<ApiError> for AddMemberError {
    fn from(error: ApiError) -> Self {
        AddMemberError::Store(error)
    }
}

impl std::fmt::Display for AddMemberError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AddMemberError::UserNotFound => f.write_str("no user has this id"),
            AddMemberError::OrganizationNotFound => f.write_str("no organization has this id"),
            AddMemberError::AlreadyMember => {
                f.write_str("the user is already a member of this organization")
            }
            AddMemberError::UnknownRoles(names) => {
                write!(f, "unknown role(s): {}", names.join(", "))
            }
            AddMemberError::TeamsDisabled => f.write_str("teams are not enabled"),
            AddMemberError::TeamNotFound => f.write_str("no team of this organization has this id"),
            AddMemberError::TeamFull => f.write_str("the team is full (maximum_members_per_team)"),
            AddMemberError::MembershipLimitReached => {
                f.write_str("the organization is full (membership_limit)")
            }
            AddMemberError::Store(error) => write!(f, "store error ({})", error.status),
        }
    }
}

/// Better Auth's server-only `auth.api.addMember` (not routed over HTTP): makes the user a member
/// with `roles`, and puts them in `team_id` when given. Unlike Better Auth, role names are
/// checked, so an operator cannot store a role that grants nothing by a typo.
pub async fn add_member(
    state: &AppState,
    organization_id: &str,
    user_id: &str,
    roles: &[String],
    team_id: Option<&str>,
) -> Result<Row, AddMemberError> {
    if team_id.is_some() && !state.config.organization.teams.enabled {
        return Err(AddMemberError::TeamsDisabled);
    }
    if state
        .store
        .find_row(USER, &[Where::eq("id", user_id)])
        .await
        .map_err(ApiError::from)?
        .is_none()
    {
        return Err(AddMemberError::UserNotFound);
    }
    if organization_by_id(state, organization_id).await?.is_none() {
        return Err(AddMemberError::OrganizationNotFound);
    }
    if membership(state, user_id, organization_id).await?.is_some() {
        return Err(AddMemberError::AlreadyMember);
    }
    let unknown = unknown_roles(state, organization_id, roles).await?;
    if !unknown.is_empty() || roles.is_empty() {
        return Err(AddMemberError::UnknownRoles(unknown));
    }
    if let Some(team_id) = team_id
        && team_seats::team_in(state, team_id, organization_id)
            .await?
            .is_none()
    {
        return Err(AddMemberError::TeamNotFound);
    }
    let count = state
        .store
        .count_rows(MEMBER, &[Where::eq("organizationId", organization_id)])
        .await
        .map_err(ApiError::from)?;
    if count >= state.config.organization.membership_limit {
        return Err(AddMemberError::MembershipLimitReached);
    }
    let member = state
        .store
        .create_row(
            MEMBER,
            &Row::new()
                .with("id", random::generate_id(32))
                .with("organizationId", organization_id)
                .with("userId", user_id)
                .with("role", roles.join(","))
                .with("createdAt", now_ms()),
        )
        .await
        .map_err(ApiError::from)?;
    super::members_changed(state, organization_id);
    if let Some(team_id) = team_id {
        let joined = team_seats::add_team_member(state, team_id, user_id).await;
        if !matches!(joined, Ok(team_seats::Joined::Added(_))) {
            delete_member(state, &member).await?;
            return Err(match joined {
                Err(error) => AddMemberError::Store(error),
                Ok(_) => AddMemberError::TeamFull,
            });
        }
    }
    Ok(member)
}
