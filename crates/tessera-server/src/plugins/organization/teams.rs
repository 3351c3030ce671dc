//! The team routes (reference §1.6, with `teams.enabled`; 404 otherwise): create, list, update,
//! remove, set-active, list-user-teams, list-team-members, add and remove a team member. Seats and
//! team membership rows are `team_seats`.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Map, Value, json};
use tessera_core::crypto::random;
use tessera_core::plugins::organization::{
    self as spec, INVITATION, OrganizationSession, TEAM, TEAM_MEMBER,
};
use tessera_core::schema::USER;
use tessera_core::timefmt::now_ms;
use tessera_store::{FindMany, Row, RowValue, Where};
use time::OffsetDateTime;

use super::access::role_grants;
use super::team_seats::{self, Joined, team_in};
use super::{membership, organization_by_id, wire};
use crate::body::{Body, Validator};
use crate::error::ApiError;
use crate::reply::Reply;
use crate::session::{self, Current};
use crate::state::AppState;

/// Team routes are not there without `teams.enabled`, as in Better Auth.
fn enabled(state: &AppState) -> Result<(), ApiError> {
    if state.config.organization.teams.enabled {
        Ok(())
    } else {
        Err(ApiError::not_found())
    }
}

fn request(resource: &str, action: &str) -> Vec<(String, Vec<String>)> {
    vec![(resource.to_owned(), vec![action.to_owned()])]
}

fn organization_or_active(explicit: Option<String>, current: Option<&Current>) -> Option<String> {
    explicit.filter(|id| !id.is_empty()).or_else(|| {
        current
            .and_then(|c| c.session.active_organization_id())
            .map(str::to_owned)
    })
}

async fn optional_session(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<Current>, ApiError> {
    Ok(match session::lookup(state, headers).await? {
        session::Lookup::Valid(current) => Some(current),
        session::Lookup::NoCookie | session::Lookup::Expired => None,
    })
}

fn no_active_organization() -> ApiError {
    ApiError::coded(StatusCode::BAD_REQUEST, spec::NO_ACTIVE_ORGANIZATION)
}

async fn teams_of(state: &AppState, organization_id: &str) -> Result<Vec<Row>, ApiError> {
    Ok(state
        .store
        .find_rows(
            TEAM,
            &FindMany::filter(vec![Where::eq("organizationId", organization_id)]),
        )
        .await?)
}

/// `POST /organization/create-team`: `{name, organizationId?}`; a created team starts with
/// `updatedAt = createdAt`.
pub async fn create_team(
    State(state): State<AppState>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Reply, ApiError> {
    enabled(&state)?;
    let mut v = Validator::new(&body);
    let name = v.string("name");
    let organization_id = v.opt_string("organizationId");
    v.finish()?;
    let Some(name) = name else {
        return Err(ApiError::internal());
    };
    // A request without a session is a bare 401 here.
    let Some(current) = optional_session(&state, &headers).await? else {
        return Err(ApiError::empty(StatusCode::UNAUTHORIZED));
    };
    let Some(organization_id) = organization_or_active(organization_id, Some(&current)) else {
        return Err(no_active_organization());
    };
    let Some(member) = membership(&state, &current.user.id, &organization_id).await? else {
        return Err(ApiError::coded(
            StatusCode::FORBIDDEN,
            spec::YOU_ARE_NOT_ALLOWED_TO_INVITE_USERS_TO_THIS_ORGANIZATION,
        ));
    };
    let role = member.text("role").unwrap_or_default();
    if !role_grants(&state, &organization_id, role, &request("team", "create")).await? {
        return Err(ApiError::coded(
            StatusCode::FORBIDDEN,
            spec::YOU_ARE_NOT_ALLOWED_TO_CREATE_TEAMS_IN_THIS_ORGANIZATION,
        ));
    }
    if let Some(max) = state.config.organization.teams.maximum_teams {
        let existing = state
            .store
            .count_rows(
                TEAM,
                &[Where::eq("organizationId", organization_id.as_str())],
            )
            .await?;
        if existing >= max {
            return Err(ApiError::coded(
                StatusCode::BAD_REQUEST,
                spec::YOU_HAVE_REACHED_THE_MAXIMUM_NUMBER_OF_TEAMS,
            ));
        }
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
    let now = now_ms();
    let team = state
        .store
        .create_row(
            TEAM,
            &Row::new()
                .with("id", random::generate_id(32))
                .with("name", name)
                .with("memberCount", 0i64)
                .with("organizationId", organization_id.as_str())
                .with("createdAt", now)
                .with("updatedAt", now),
        )
        .await?;
    tracing::info!(organization_id = %organization_id, user_id = %current.user.id, "team created");
    Ok(Reply::json(wire::team(&team)))
}

/// `GET /organization/list-teams`: the organization's teams, for its members.
pub async fn list_teams(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Reply, ApiError> {
    enabled(&state)?;
    let current = session::require(&state, &headers).await?;
    let Some(organization_id) =
        organization_or_active(query.get("organizationId").cloned(), Some(&current))
    else {
        return Err(no_active_organization());
    };
    if membership(&state, &current.user.id, &organization_id)
        .await?
        .is_none()
    {
        return Err(ApiError::coded(
            StatusCode::FORBIDDEN,
            spec::YOU_ARE_NOT_ALLOWED_TO_ACCESS_THIS_ORGANIZATION,
        ));
    }
    let teams = teams_of(&state, &organization_id).await?;
    Ok(Reply::json(Value::Array(
        teams.iter().map(wire::team).collect(),
    )))
}

/// `POST /organization/update-team`: `{teamId, data:{name?, organizationId?}}`.
pub async fn update_team(
    State(state): State<AppState>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Reply, ApiError> {
    enabled(&state)?;
    let mut v = Validator::new(&body);
    let team_id = v.string("teamId");
    let data = v.object("data");
    let mut d = Validator::new(data);
    let name = d.opt_string("name");
    let moved_to = d.opt_string("organizationId");
    if name.as_deref() == Some("") {
        d.error(
            "data.name",
            "Too small: expected string to have >=1 characters",
        );
    }
    d.finish()?;
    v.finish()?;
    let Some(team_id) = team_id else {
        return Err(ApiError::internal());
    };
    let current = session::require(&state, &headers).await?;
    let Some(organization_id) = organization_or_active(moved_to.clone(), Some(&current)) else {
        return Err(no_active_organization());
    };
    let not_allowed = || {
        ApiError::coded(
            StatusCode::FORBIDDEN,
            spec::YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_TEAM,
        )
    };
    let Some(member) = membership(&state, &current.user.id, &organization_id).await? else {
        return Err(not_allowed());
    };
    let role = member.text("role").unwrap_or_default();
    if !role_grants(&state, &organization_id, role, &request("team", "update")).await? {
        return Err(not_allowed());
    }
    if team_in(&state, &team_id, &organization_id).await?.is_none() {
        return Err(ApiError::coded(
            StatusCode::BAD_REQUEST,
            spec::TEAM_NOT_FOUND,
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
    let mut changes = Row::new().with("updatedAt", now_ms());
    if let Some(name) = name {
        changes.set("name", name);
    }
    if let Some(moved_to) = moved_to {
        changes.set("organizationId", moved_to);
    }
    let updated = state
        .store
        .update_row(TEAM, &[Where::eq("id", team_id.as_str())], &changes)
        .await?;
    let Some(updated) = updated else {
        return Err(ApiError::coded(
            StatusCode::BAD_REQUEST,
            spec::TEAM_NOT_FOUND,
        ));
    };
    Ok(Reply::json(wire::team(&updated)))
}

/// `POST /organization/remove-team`: `{teamId, organizationId?}`. Not the caller's active team,
/// not the last one (unless `allowRemovingAllTeams`); pending invitations lose the team id.
pub async fn remove_team(
    State(state): State<AppState>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Reply, ApiError> {
    enabled(&state)?;
    let mut v = Validator::new(&body);
    let team_id = v.string("teamId");
    let organization_id = v.opt_string("organizationId");
    v.finish()?;
    let Some(team_id) = team_id else {
        return Err(ApiError::internal());
    };
    let current = optional_session(&state, &headers).await?;
    // Better Auth looks for an organization before it looks at the session.
    let Some(organization_id) = organization_or_active(organization_id, current.as_ref()) else {
        return Err(no_active_organization());
    };
    let Some(current) = current else {
        return Err(ApiError::empty(StatusCode::UNAUTHORIZED));
    };
    let member = membership(&state, &current.user.id, &organization_id).await?;
    let Some(member) =
        member.filter(|_| current.session.active_team_id() != Some(team_id.as_str()))
    else {
        return Err(ApiError::coded(
            StatusCode::FORBIDDEN,
            spec::YOU_ARE_NOT_ALLOWED_TO_DELETE_THIS_TEAM,
        ));
    };
    let role = member.text("role").unwrap_or_default();
    if !role_grants(&state, &organization_id, role, &request("team", "delete")).await? {
        return Err(ApiError::coded(
            StatusCode::FORBIDDEN,
            spec::YOU_ARE_NOT_ALLOWED_TO_DELETE_TEAMS_IN_THIS_ORGANIZATION,
        ));
    }
    if team_in(&state, &team_id, &organization_id).await?.is_none() {
        return Err(ApiError::coded(
            StatusCode::BAD_REQUEST,
            spec::TEAM_NOT_FOUND,
        ));
    }
    if !state.config.organization.teams.allow_removing_all_teams {
        let teams = state
            .store
            .count_rows(
                TEAM,
                &[Where::eq("organizationId", organization_id.as_str())],
            )
            .await?;
        if teams <= 1 {
            return Err(ApiError::coded(
                StatusCode::BAD_REQUEST,
                spec::UNABLE_TO_REMOVE_LAST_TEAM,
            ));
        }
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
    state
        .store
        .delete_rows(TEAM_MEMBER, &[Where::eq("teamId", team_id.as_str())])
        .await?;
    state
        .store
        .delete_row(TEAM, &[Where::eq("id", team_id.as_str())])
        .await?;
    strip_from_invitations(&state, &organization_id, &team_id).await?;
    tracing::info!(organization_id = %organization_id, user_id = %current.user.id, "team removed");
    Ok(Reply::json(
        json!({ "message": "Team removed successfully." }),
    ))
}

/// Removes a deleted team's id from the organization's pending invitations' comma-joined
/// `teamId` (NULL when none is left).
async fn strip_from_invitations(
    state: &AppState,
    organization_id: &str,
    team_id: &str,
) -> Result<(), ApiError> {
    let pending = state
        .store
        .find_rows(
            INVITATION,
            &FindMany {
                limit: None,
                ..FindMany::filter(vec![
                    Where::eq("organizationId", organization_id),
                    Where::eq("status", "pending"),
                    Where::gt("expiresAt", OffsetDateTime::now_utc()),
                    Where::contains("teamId", team_id),
                ])
            },
        )
        .await?;
    for invitation in &pending {
        let ids: Vec<&str> = invitation
            .text("teamId")
            .unwrap_or_default()
            .split(',')
            .collect();
        if !ids.contains(&team_id) {
            continue;
        }
        let remaining: Vec<&str> = ids.into_iter().filter(|id| *id != team_id).collect();
        let value = if remaining.is_empty() {
            RowValue::Null
        } else {
            RowValue::Text(remaining.join(","))
        };
        state
            .store
            .update_row(
                INVITATION,
                &[Where::eq("id", invitation.text("id").unwrap_or_default())],
                &Row::new().with("teamId", value),
            )
            .await?;
    }
    Ok(())
}

/// `POST /organization/set-active-team`: `{teamId}` (`null` unsets, absent re-checks the
/// current one); answers the team or `null` and re-issues the session cookie when it writes.
pub async fn set_active_team(
    State(state): State<AppState>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Reply, ApiError> {
    enabled(&state)?;
    let mut v = Validator::new(&body);
    let unset = matches!(body.get("teamId"), Some(Value::Null));
    let team_id = v.opt_string("teamId");
    v.finish()?;
    let current = session::require(&state, &headers).await?;
    let cookies =
        || session::session_cookies(&state, &current.session.token, current.dont_remember);
    if unset {
        if current.session.active_team_id().is_none() {
            return Ok(Reply::json(Value::Null));
        }
        team_seats::set_active_team(&state, &current.session.id, None).await?;
        return Ok(Reply::json(Value::Null).cookies(cookies()));
    }
    let team_id = match team_id.filter(|id| !id.is_empty()) {
        Some(id) => id,
        None => match current.session.active_team_id() {
            Some(id) => id.to_owned(),
            None => return Ok(Reply::json(Value::Null)),
        },
    };
    let Some(organization_id) = current.session.active_organization_id() else {
        return Err(no_active_organization());
    };
    let Some(team) = team_in(&state, &team_id, organization_id).await? else {
        return Err(ApiError::coded(
            StatusCode::BAD_REQUEST,
            spec::TEAM_NOT_FOUND,
        ));
    };
    if team_member(&state, &team_id, &current.user.id)
        .await?
        .is_none()
    {
        return Err(ApiError::coded(
            StatusCode::FORBIDDEN,
            spec::USER_IS_NOT_A_MEMBER_OF_THE_TEAM,
        ));
    }
    team_seats::set_active_team(&state, &current.session.id, Some(&team_id)).await?;
    Ok(Reply::json(wire::team(&team)).cookies(cookies()))
}

async fn team_member(
    state: &AppState,
    team_id: &str,
    user_id: &str,
) -> Result<Option<Row>, ApiError> {
    Ok(state
        .store
        .find_row(
            TEAM_MEMBER,
            &[Where::eq("teamId", team_id), Where::eq("userId", user_id)],
        )
        .await?)
}

/// The teams of a user (through its team member rows), optionally of one organization.
async fn teams_of_user(
    state: &AppState,
    user_id: &str,
    organization_id: Option<&str>,
) -> Result<Vec<Row>, ApiError> {
    let rows = state
        .store
        .find_rows(
            TEAM_MEMBER,
            &FindMany::filter(vec![Where::eq("userId", user_id)]),
        )
        .await?;
    let ids: Vec<&str> = rows.iter().filter_map(|r| r.text("teamId")).collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut filter = vec![Where::is_in("id", ids)];
    if let Some(organization_id) = organization_id {
        filter.push(Where::eq("organizationId", organization_id));
    }
    Ok(state
        .store
        .find_rows(TEAM, &FindMany::filter(filter))
        .await?)
}

/// `GET /organization/list-user-teams`: the caller's teams (in organizations it still belongs
/// to), or with `?userId` another member's teams in the organization, for callers with
/// `member:update`.
pub async fn list_user_teams(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Reply, ApiError> {
    enabled(&state)?;
    let current = session::require(&state, &headers).await?;
    let target = query
        .get("userId")
        .filter(|u| !u.is_empty())
        .cloned()
        .unwrap_or_else(|| current.user.id.clone());
    let explicit = query
        .get("organizationId")
        .filter(|o| !o.is_empty())
        .cloned();
    let organization_id = organization_or_active(explicit.clone(), Some(&current));
    let not_member = || {
        ApiError::coded(
            StatusCode::FORBIDDEN,
            spec::YOU_ARE_NOT_A_MEMBER_OF_THIS_ORGANIZATION,
        )
    };
    let answer =
        |teams: Vec<Row>| Reply::json(Value::Array(teams.iter().map(wire::team).collect()));
    if target != current.user.id {
        let Some(organization_id) = organization_id else {
            return Err(no_active_organization());
        };
        let Some(requester) = membership(&state, &current.user.id, &organization_id).await? else {
            return Err(not_member());
        };
        let role = requester.text("role").unwrap_or_default();
        if !role_grants(&state, &organization_id, role, &request("member", "update")).await? {
            return Err(ApiError::coded(
                StatusCode::FORBIDDEN,
                spec::YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_MEMBER,
            ));
        }
        if membership(&state, &target, &organization_id)
            .await?
            .is_none()
        {
            return Err(ApiError::coded(
                StatusCode::BAD_REQUEST,
                spec::USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION,
            ));
        }
        return Ok(answer(
            teams_of_user(&state, &target, Some(&organization_id)).await?,
        ));
    }
    if let Some(organization_id) = explicit {
        if membership(&state, &current.user.id, &organization_id)
            .await?
            .is_none()
        {
            return Err(not_member());
        }
        return Ok(answer(
            teams_of_user(&state, &current.user.id, Some(&organization_id)).await?,
        ));
    }
    let mut teams = teams_of_user(&state, &current.user.id, None).await?;
    let mut still_member = Vec::new();
    for team in &teams {
        let organization_id = team.text("organizationId").unwrap_or_default();
        if !still_member.contains(&organization_id.to_owned())
            && membership(&state, &current.user.id, organization_id)
                .await?
                .is_some()
        {
            still_member.push(organization_id.to_owned());
        }
    }
    teams.retain(|t| {
        still_member
            .iter()
            .any(|o| Some(o.as_str()) == t.text("organizationId"))
    });
    Ok(answer(teams))
}

/// `GET /organization/list-team-members`: `?teamId` (default the active team), for members of
/// that team.
pub async fn list_team_members(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Reply, ApiError> {
    enabled(&state)?;
    let current = session::require(&state, &headers).await?;
    let Some(team_id) = query
        .get("teamId")
        .filter(|t| !t.is_empty())
        .cloned()
        .or_else(|| current.session.active_team_id().map(str::to_owned))
    else {
        return Err(ApiError::coded(
            StatusCode::BAD_REQUEST,
            spec::YOU_DO_NOT_HAVE_AN_ACTIVE_TEAM,
        ));
    };
    let Some(team) = state
        .store
        .find_row(TEAM, &[Where::eq("id", team_id.as_str())])
        .await?
    else {
        return Err(ApiError::coded(
            StatusCode::BAD_REQUEST,
            spec::TEAM_NOT_FOUND,
        ));
    };
    let not_in_team = || {
        ApiError::coded(
            StatusCode::BAD_REQUEST,
            spec::USER_IS_NOT_A_MEMBER_OF_THE_TEAM,
        )
    };
    let organization_id = team.text("organizationId").unwrap_or_default();
    if membership(&state, &current.user.id, organization_id)
        .await?
        .is_none()
        || team_member(&state, &team_id, &current.user.id)
            .await?
            .is_none()
    {
        return Err(not_in_team());
    }
    let members = state
        .store
        .find_rows(
            TEAM_MEMBER,
            &FindMany::filter(vec![Where::eq("teamId", team_id.as_str())]),
        )
        .await?;
    Ok(Reply::json(Value::Array(
        members.iter().map(wire::team_member).collect(),
    )))
}

/// The body of add- and remove-team-member: `{teamId, userId, organizationId?}`, the
/// organization resolved and the caller's membership and permission checked.
async fn team_member_change(
    state: &AppState,
    headers: &HeaderMap,
    body: &Map<String, Value>,
    action: &str,
    refused: tessera_core::plugins::ErrorCode,
) -> Result<(String, String, String), ApiError> {
    let mut v = Validator::new(body);
    let team_id = v.string("teamId");
    // `z.coerce.string()`: a number is taken as its text.
    let user_id = match body.get("userId") {
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => v.string("userId"),
    };
    let organization_id = v.opt_string("organizationId");
    v.finish()?;
    let (Some(team_id), Some(user_id)) = (team_id, user_id) else {
        return Err(ApiError::internal());
    };
    let current = session::require(state, headers).await?;
    let Some(organization_id) = organization_or_active(organization_id, Some(&current)) else {
        return Err(no_active_organization());
    };
    let not_member = || {
        ApiError::coded(
            StatusCode::BAD_REQUEST,
            spec::USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION,
        )
    };
    let Some(caller) = membership(state, &current.user.id, &organization_id).await? else {
        return Err(not_member());
    };
    let role = caller.text("role").unwrap_or_default();
    if !role_grants(state, &organization_id, role, &request("member", action)).await? {
        return Err(ApiError::coded(StatusCode::FORBIDDEN, refused));
    }
    if membership(state, &user_id, &organization_id)
        .await?
        .is_none()
    {
        return Err(not_member());
    }
    if team_in(state, &team_id, &organization_id).await?.is_none() {
        return Err(ApiError::coded(
            StatusCode::BAD_REQUEST,
            spec::TEAM_NOT_FOUND,
        ));
    }
    if organization_by_id(state, &organization_id).await?.is_none() {
        return Err(ApiError::coded(
            StatusCode::BAD_REQUEST,
            spec::ORGANIZATION_NOT_FOUND,
        ));
    }
    if state
        .store
        .find_row(USER, &[Where::eq("id", user_id.as_str())])
        .await?
        .is_none()
    {
        return Err(ApiError::message_only(
            StatusCode::BAD_REQUEST,
            "User not found",
        ));
    }
    Ok((organization_id, team_id, user_id))
}

/// `POST /organization/add-team-member`: the team member row; the same row again when the user
/// is already in the team.
pub async fn add_team_member(
    State(state): State<AppState>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Reply, ApiError> {
    enabled(&state)?;
    let (_, team_id, user_id) = team_member_change(
        &state,
        &headers,
        &body,
        "update",
        spec::YOU_ARE_NOT_ALLOWED_TO_CREATE_A_NEW_TEAM_MEMBER,
    )
    .await?;
    match team_seats::add_team_member(&state, &team_id, &user_id).await? {
        Joined::Added(row) => Ok(Reply::json(wire::team_member(&row))),
        Joined::Full => Err(ApiError::coded(
            StatusCode::FORBIDDEN,
            spec::TEAM_MEMBER_LIMIT_REACHED,
        )),
    }
}

/// `POST /organization/remove-team-member`: frees the seat.
pub async fn remove_team_member(
    State(state): State<AppState>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Reply, ApiError> {
    enabled(&state)?;
    let (_, team_id, user_id) = team_member_change(
        &state,
        &headers,
        &body,
        "delete",
        spec::YOU_ARE_NOT_ALLOWED_TO_REMOVE_A_TEAM_MEMBER,
    )
    .await?;
    if team_seats::remove_team_member(&state, &team_id, &user_id).await? == 0 {
        return Err(ApiError::coded(
            StatusCode::BAD_REQUEST,
            spec::USER_IS_NOT_A_MEMBER_OF_THE_TEAM,
        ));
    }
    Ok(Reply::json(
        json!({ "message": "Team member removed successfully." }),
    ))
}
