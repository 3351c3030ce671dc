//! Team seats and team membership (reference §1.2 `team`/`teamMember`, §1.7 "Concurrency"),
//! shared by create (the default team), invitations, member removal and the team routes.
//!
//! A team member row carries `membershipKey` = base64url(SHA-256(`["<teamId>","<userId>"]`)),
//! unique, so one user is in a team once however many requests race. `team.memberCount` is the
//! seat counter `maximumMembersPerTeam` is checked against: a seat is reserved with a
//! compare-and-set before the row is written and released if the row already existed.

use axum::http::StatusCode;
use tessera_core::crypto::random;
use tessera_core::plugins::organization::{self as spec, TEAM, TEAM_MEMBER};
use tessera_core::schema::SESSION;
use tessera_core::timefmt::now_ms;
use tessera_store::{Row, RowValue, StoreError, Where};

use crate::error::ApiError;
use crate::state::AppState;

pub(super) async fn team_in(
    state: &AppState,
    team_id: &str,
    organization_id: &str,
) -> Result<Option<Row>, ApiError> {
    Ok(state
        .store
        .find_row(
            TEAM,
            &[
                Where::eq("id", team_id),
                Where::eq("organizationId", organization_id),
            ],
        )
        .await?)
}

/// How many seats a team has taken: its counter, never below the rows it holds (rows written by
/// something that did not count, like an import, are counted on the next change).
async fn seats_taken(state: &AppState, team: &Row) -> Result<i64, ApiError> {
    let team_id = team.text("id").unwrap_or_default();
    let counter = team.int("memberCount").unwrap_or(0);
    let rows = state
        .store
        .count_rows(TEAM_MEMBER, &[Where::eq("teamId", team_id)])
        .await? as i64;
    Ok(counter.max(rows))
}

/// Moves the seat counter by `delta` from what it is now, retrying when a concurrent change
/// wins; with `limit`, refuses (false) to go to or past it.
async fn move_seats(
    state: &AppState,
    team_id: &str,
    delta: i64,
    limit: Option<u64>,
) -> Result<bool, ApiError> {
    for _ in 0..64 {
        let Some(team) = state
            .store
            .find_row(TEAM, &[Where::eq("id", team_id)])
            .await?
        else {
            return Ok(false);
        };
        let stored = team.get("memberCount").cloned().unwrap_or(RowValue::Null);
        let taken = seats_taken(state, &team).await?;
        if delta > 0 && limit.is_some_and(|max| taken >= max as i64) {
            return Ok(false);
        }
        let next = (taken + delta).max(0);
        if state
            .store
            .compare_and_set(
                TEAM,
                &[Where::eq("id", team_id)],
                "memberCount",
                &stored,
                &RowValue::Int(next),
            )
            .await?
        {
            return Ok(true);
        }
    }
    Err(ApiError::internal())
}

pub(super) enum Joined {
    Added(Row),
    /// The team is full (`maximumMembersPerTeam`).
    Full,
}

/// Puts the user in the team once: the existing row if there is one (even on a full team), else
/// a new row on a reserved seat.
pub(super) async fn add_team_member(
    state: &AppState,
    team_id: &str,
    user_id: &str,
) -> Result<Joined, ApiError> {
    let key = spec::team_membership_key(team_id, user_id);
    if let Some(existing) = existing_team_member(state, team_id, user_id, &key).await? {
        return Ok(Joined::Added(existing));
    }
    let limit = state.config.organization.teams.maximum_members_per_team;
    if !move_seats(state, team_id, 1, limit).await? {
        return Ok(Joined::Full);
    }
    let row = Row::new()
        .with("id", random::generate_id(32))
        .with("teamId", team_id)
        .with("userId", user_id)
        .with("membershipKey", key.as_str())
        .with("createdAt", now_ms());
    match state.store.create_row(TEAM_MEMBER, &row).await {
        Ok(created) => Ok(Joined::Added(created)),
        Err(StoreError::Conflict(_)) => {
            // A concurrent request added the same user: its row stands, our seat goes back.
            move_seats(state, team_id, -1, None).await?;
            existing_team_member(state, team_id, user_id, &key)
                .await?
                .map(Joined::Added)
                .ok_or_else(ApiError::internal)
        }
        Err(error) => {
            move_seats(state, team_id, -1, None).await?;
            Err(error.into())
        }
    }
}

async fn existing_team_member(
    state: &AppState,
    team_id: &str,
    user_id: &str,
    key: &str,
) -> Result<Option<Row>, ApiError> {
    if let Some(row) = state
        .store
        .find_row(TEAM_MEMBER, &[Where::eq("membershipKey", key)])
        .await?
    {
        return Ok(Some(row));
    }
    Ok(state
        .store
        .find_row(
            TEAM_MEMBER,
            &[Where::eq("teamId", team_id), Where::eq("userId", user_id)],
        )
        .await?)
}

/// Takes the user out of the team and frees the seats.
pub(super) async fn remove_team_member(
    state: &AppState,
    team_id: &str,
    user_id: &str,
) -> Result<u64, ApiError> {
    let removed = state
        .store
        .delete_rows(
            TEAM_MEMBER,
            &[Where::eq("teamId", team_id), Where::eq("userId", user_id)],
        )
        .await?;
    if removed > 0 {
        move_seats(state, team_id, -(removed as i64), None).await?;
    }
    Ok(removed)
}

/// Takes the user out of every team of the organization (member removal and leave).
pub(super) async fn leave_teams(
    state: &AppState,
    organization_id: &str,
    user_id: &str,
) -> Result<(), ApiError> {
    if !state.config.organization.teams.enabled {
        return Ok(());
    }
    let teams = state
        .store
        .find_rows(
            TEAM,
            &tessera_store::FindMany::filter(vec![Where::eq("organizationId", organization_id)]),
        )
        .await?;
    for team in &teams {
        remove_team_member(state, team.text("id").unwrap_or_default(), user_id).await?;
    }
    Ok(())
}

/// invite-member's `teamId` checks: no `,` inside an id, every team in the organization, and,
/// with `maximumMembersPerTeam`, room in each.
pub(super) async fn check_invited_teams(
    state: &AppState,
    organization_id: &str,
    team_ids: &[String],
) -> Result<(), ApiError> {
    if team_ids.iter().any(|id| id.contains(',')) {
        return Err(ApiError::coded(
            StatusCode::BAD_REQUEST,
            spec::INVALID_TEAM_ID,
        ));
    }
    let mut teams = Vec::with_capacity(team_ids.len());
    for team_id in team_ids {
        let Some(team) = team_in(state, team_id, organization_id).await? else {
            return Err(ApiError::coded(
                StatusCode::BAD_REQUEST,
                spec::TEAM_NOT_FOUND,
            ));
        };
        teams.push(team);
    }
    if let Some(max) = state.config.organization.teams.maximum_members_per_team {
        for team in &teams {
            let members = state
                .store
                .count_rows(
                    TEAM_MEMBER,
                    &[Where::eq("teamId", team.text("id").unwrap_or_default())],
                )
                .await?;
            if members >= max {
                return Err(ApiError::coded(
                    StatusCode::FORBIDDEN,
                    spec::TEAM_MEMBER_LIMIT_REACHED,
                ));
            }
        }
    }
    Ok(())
}

/// Accepting an invitation with teams: each team must still exist in the organization and have
/// a seat.
pub(super) async fn join_invited_team(
    state: &AppState,
    organization_id: &str,
    team_id: &str,
    user_id: &str,
) -> Result<(), ApiError> {
    if team_in(state, team_id, organization_id).await?.is_none() {
        return Err(ApiError::coded(
            StatusCode::BAD_REQUEST,
            spec::TEAM_NOT_FOUND,
        ));
    }
    match add_team_member(state, team_id, user_id).await? {
        Joined::Added(_) => Ok(()),
        Joined::Full => Err(ApiError::coded(
            StatusCode::FORBIDDEN,
            spec::TEAM_MEMBER_LIMIT_REACHED,
        )),
    }
}

/// Writes the session's active team in the store (the caller re-issues the cookie where Better
/// Auth does).
pub(super) async fn set_active_team(
    state: &AppState,
    session_id: &str,
    team_id: Option<&str>,
) -> Result<(), ApiError> {
    state
        .store
        .update_row(
            SESSION,
            &[Where::eq("id", session_id)],
            &Row::new().with("activeTeamId", team_id),
        )
        .await?;
    Ok(())
}

/// create's default team: named after the organization, `updatedAt` null, with the creator in
/// it. Returns the team id.
pub(super) async fn create_default_team(
    state: &AppState,
    organization: &Row,
    creator_id: &str,
) -> Result<String, ApiError> {
    let team = state
        .store
        .create_row(
            TEAM,
            &Row::new()
                .with("id", random::generate_id(32))
                .with("name", organization.text("name").unwrap_or_default())
                .with("memberCount", 0i64)
                .with(
                    "organizationId",
                    organization.text("id").unwrap_or_default(),
                )
                .with("createdAt", now_ms())
                .with("updatedAt", RowValue::Null),
        )
        .await?;
    let team_id = team.text("id").unwrap_or_default().to_owned();
    add_team_member(state, &team_id, creator_id).await?;
    Ok(team_id)
}
