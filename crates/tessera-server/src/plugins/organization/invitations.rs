//! Invitations (reference §1.6, §1.7 "invite" and "accept"): invite-member, accept, reject,
//! cancel, get-invitation, list-invitations and list-user-invitations.
//!
//! An invitation's id is the capability to accept it, so it is shown only to its recipient, to
//! members who may invite anyway (`invitation:create`), and in the invitation email.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Map, Value, json};
use tessera_core::crypto::random;
use tessera_core::plugins::organization::{self as spec, INVITATION, MEMBER, OrganizationSession};
use tessera_core::plugins::organization_access::role_names;
use tessera_core::schema::USER;
use tessera_core::timefmt::now_ms;
use tessera_store::{FindMany, Row, RowValue, Where};
use time::{Duration, OffsetDateTime};

use super::access::role_grants;
use super::membership::{role_list, unknown_roles};
use super::wire;
use super::{membership, organization_by_id, set_active_organization};
use crate::body::{Body, Validator, is_valid_email, type_name};
use crate::delivery::Message;
use crate::error::{ApiError, codes as base_codes};
use crate::reply::Reply;
use crate::session::{self, Current};
use crate::state::AppState;

const PENDING: &str = "pending";

fn teams_on(state: &AppState) -> bool {
    state.config.organization.teams.enabled
}

fn is_creator(state: &AppState, role: &str) -> bool {
    let creator = state.config.organization.creator_role.as_str();
    role_names(role).any(|r| r == creator)
}

fn expired(invitation: &Row, now: OffsetDateTime) -> bool {
    invitation.date("expiresAt").is_none_or(|at| at < now)
}

/// `teamId: string | string[]` (optional) as a list.
fn team_list(v: &mut Validator<'_>, value: Option<&Value>) -> Vec<String> {
    match value {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(id)) => vec![id.clone()],
        Some(Value::Array(items)) if items.iter().all(Value::is_string) => items
            .iter()
            .filter_map(|i| i.as_str().map(str::to_owned))
            .collect(),
        Some(other) => {
            v.error(
                "teamId",
                &format!(
                    "Invalid input: expected string, received {}",
                    type_name(other)
                ),
            );
            Vec::new()
        }
    }
}

/// The organization's pending, unexpired invitations (for `email` when given).
async fn pending_invitations(
    state: &AppState,
    organization_id: &str,
    email: Option<&str>,
) -> Result<Vec<Row>, ApiError> {
    let mut filter = vec![
        Where::eq("organizationId", organization_id),
        Where::eq("status", PENDING),
        Where::gt("expiresAt", OffsetDateTime::now_utc()),
    ];
    if let Some(email) = email {
        filter.push(Where::eq("email", email));
    }
    Ok(state
        .store
        .find_rows(INVITATION, &FindMany::filter(filter))
        .await?)
}

/// Whether a user with this (lower-cased) email is a member of the organization.
async fn is_member_by_email(
    state: &AppState,
    email: &str,
    organization_id: &str,
) -> Result<bool, ApiError> {
    let Some(user) = state
        .store
        .find_row(USER, &[Where::eq("email", email)])
        .await?
    else {
        return Ok(false);
    };
    let user_id = user.text("id").unwrap_or_default();
    Ok(membership(state, user_id, organization_id).await?.is_some())
}

/// Mails the invitation through the configured sender, awaited as Better Auth awaits
/// `sendInvitationEmail`. A failed send is logged and the invitation stands, since its id can be
/// shared another way.
async fn send_invitation(
    state: &AppState,
    invitation: &Row,
    organization: &Row,
    inviter: &Current,
) {
    let Some(sender) = state.sender.clone() else {
        return;
    };
    let id = invitation.text("id").unwrap_or_default();
    let mut message = Message::new(
        "organization-invitation",
        invitation.text("email").unwrap_or_default(),
    )
    .field("invitationId", id)
    .field(
        "organizationId",
        organization.text("id").unwrap_or_default(),
    )
    .field(
        "organizationName",
        organization.text("name").unwrap_or_default(),
    )
    .field(
        "organizationSlug",
        organization.text("slug").unwrap_or_default(),
    )
    .field("role", invitation.text("role").unwrap_or_default())
    .field("inviterEmail", inviter.user.email.to_lowercase());
    if let Some(url) = &state.config.organization.invitation_url {
        message = message.field("url", url.replace("{id}", id));
    }
    if let Err(error) = sender.send(message).await {
        tracing::warn!(organization_id = %organization.text("id").unwrap_or_default(), %error, "invitation email not sent");
    }
}

/// `POST /organization/invite-member`.
pub async fn invite_member(
    State(state): State<AppState>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Reply, ApiError> {
    let mut v = Validator::new(&body);
    let email = v.string("email");
    let requested_roles = role_list(body.get("role"));
    if requested_roles.is_none() {
        v.error("role", "Invalid input");
    }
    let organization_id = v.opt_string("organizationId");
    let resend = v.opt_bool("resend").unwrap_or(false);
    let team_ids = team_list(&mut v, body.get("teamId"));
    v.finish()?;
    let (Some(email), Some(requested_roles)) = (email, requested_roles) else {
        return Err(ApiError::internal());
    };
    let current = session::require(&state, &headers).await?;
    let Some(organization_id) = organization_id
        .filter(|id| !id.is_empty())
        .or_else(|| current.session.active_organization_id().map(str::to_owned))
    else {
        return Err(ApiError::coded(
            StatusCode::BAD_REQUEST,
            spec::ORGANIZATION_NOT_FOUND,
        ));
    };
    let email = email.to_lowercase();
    if !is_valid_email(&email) {
        return Err(base_codes::invalid_email());
    }
    let Some(inviter) = membership(&state, &current.user.id, &organization_id).await? else {
        return Err(ApiError::coded(
            StatusCode::BAD_REQUEST,
            spec::MEMBER_NOT_FOUND,
        ));
    };
    let inviter_role = inviter.text("role").unwrap_or_default();
    let invite = vec![("invitation".to_owned(), vec!["create".to_owned()])];
    if !role_grants(&state, &organization_id, inviter_role, &invite).await? {
        return Err(ApiError::coded(
            StatusCode::FORBIDDEN,
            spec::YOU_ARE_NOT_ALLOWED_TO_INVITE_USERS_TO_THIS_ORGANIZATION,
        ));
    }
    if requested_roles.is_empty() {
        return Err(ApiError::coded(
            StatusCode::BAD_REQUEST,
            spec::ROLE_NOT_FOUND,
        ));
    }
    let unknown = unknown_roles(&state, &organization_id, &requested_roles).await?;
    if !unknown.is_empty() {
        // Better Auth's message here carries the names and no code.
        return Err(ApiError::message_only(
            StatusCode::BAD_REQUEST,
            format!("{}: {}", spec::ROLE_NOT_FOUND.code, unknown.join(", ")),
        ));
    }
    let creator_role = state.config.organization.creator_role.clone();
    let inviter_is_creator = is_creator(&state, inviter_role);
    if !inviter_is_creator && requested_roles.contains(&creator_role) {
        return Err(ApiError::coded(
            StatusCode::FORBIDDEN,
            spec::YOU_ARE_NOT_ALLOWED_TO_INVITE_USER_WITH_THIS_ROLE,
        ));
    }
    if is_member_by_email(&state, &email, &organization_id).await? {
        return Err(ApiError::coded(
            StatusCode::BAD_REQUEST,
            spec::USER_IS_ALREADY_A_MEMBER_OF_THIS_ORGANIZATION,
        ));
    }
    let options = &state.config.organization;
    let already = pending_invitations(&state, &organization_id, Some(&email)).await?;
    if !already.is_empty() && !resend && !options.cancel_pending_invitations_on_re_invite {
        return Err(ApiError::coded(
            StatusCode::BAD_REQUEST,
            spec::USER_IS_ALREADY_INVITED_TO_THIS_ORGANIZATION,
        ));
    }
    let Some(organization) = organization_by_id(&state, &organization_id).await? else {
        return Err(ApiError::coded(
            StatusCode::BAD_REQUEST,
            spec::ORGANIZATION_NOT_FOUND,
        ));
    };
    let expires_at = now_ms() + Duration::seconds(options.invitation_expires_in as i64);
    if let Some(existing) = already.first()
        && resend
    {
        // Resend re-arms the same row and keeps its role.
        if !inviter_is_creator && is_creator(&state, existing.text("role").unwrap_or_default()) {
            return Err(ApiError::coded(
                StatusCode::FORBIDDEN,
                spec::YOU_ARE_NOT_ALLOWED_TO_INVITE_USER_WITH_THIS_ROLE,
            ));
        }
        let updated = state
            .store
            .update_row(
                INVITATION,
                &[Where::eq("id", existing.text("id").unwrap_or_default())],
                &Row::new().with("expiresAt", expires_at),
            )
            .await?
            .unwrap_or_else(|| existing.clone().with("expiresAt", expires_at));
        send_invitation(&state, &updated, &organization, &current).await;
        return Ok(Reply::json(wire::invitation(&updated, teams_on(&state))));
    }
    if let Some(existing) = already.first() {
        state
            .store
            .update_row(
                INVITATION,
                &[Where::eq("id", existing.text("id").unwrap_or_default())],
                &Row::new().with("status", "canceled"),
            )
            .await?;
    }
    let pending = state
        .store
        .count_rows(
            INVITATION,
            &[
                Where::eq("organizationId", organization_id.as_str()),
                Where::eq("status", PENDING),
                Where::gt("expiresAt", OffsetDateTime::now_utc()),
            ],
        )
        .await?;
    if pending >= options.invitation_limit {
        return Err(ApiError::coded(
            StatusCode::FORBIDDEN,
            spec::INVITATION_LIMIT_REACHED,
        ));
    }
    let team_id = if teams_on(&state) && !team_ids.is_empty() {
        super::team_seats::check_invited_teams(&state, &organization_id, &team_ids).await?;
        RowValue::Text(team_ids.join(","))
    } else {
        RowValue::Null
    };
    let mut row = Row::new()
        .with("id", random::generate_id(32))
        .with("organizationId", organization_id.as_str())
        .with("email", email.as_str())
        .with("role", requested_roles.join(","))
        .with("status", PENDING)
        .with("expiresAt", expires_at)
        .with("createdAt", now_ms())
        .with("inviterId", current.user.id.as_str());
    if teams_on(&state) {
        row.set("teamId", team_id);
    }
    let invitation = state.store.create_row(INVITATION, &row).await?;
    tracing::info!(organization_id = %organization_id, inviter_id = %current.user.id, "invitation created");
    send_invitation(&state, &invitation, &organization, &current).await;
    Ok(Reply::json(wire::invitation(&invitation, teams_on(&state))))
}

fn invitation_id(body: &Map<String, Value>) -> Result<String, ApiError> {
    let mut v = Validator::new(body);
    let id = v.string("invitationId");
    v.finish()?;
    id.ok_or_else(ApiError::internal)
}

async fn invitation_by_id(state: &AppState, id: &str) -> Result<Option<Row>, ApiError> {
    Ok(state
        .store
        .find_row(INVITATION, &[Where::eq("id", id)])
        .await?)
}

/// The recipient checks shared by accept, reject and get: the email matches (ignoring case) and,
/// when configured, is verified.
fn check_recipient(
    state: &AppState,
    current: &Current,
    invitation: &Row,
    unverified: tessera_core::plugins::ErrorCode,
) -> Result<(), ApiError> {
    let to = invitation.text("email").unwrap_or_default();
    if to.to_lowercase() != current.user.email.to_lowercase() {
        return Err(ApiError::coded(
            StatusCode::FORBIDDEN,
            spec::YOU_ARE_NOT_THE_RECIPIENT_OF_THE_INVITATION,
        ));
    }
    if state
        .config
        .organization
        .require_email_verification_on_invitation
        && !current.user.email_verified
    {
        return Err(ApiError::coded(StatusCode::FORBIDDEN, unverified));
    }
    Ok(())
}

/// Moves the invitation from `from` to `to` only if it still holds `from`; the changed row, or
/// `None` when another request moved it first.
async fn move_status(
    state: &AppState,
    id: &str,
    from: Option<&str>,
    to: &str,
) -> Result<Option<Row>, ApiError> {
    let filter = [Where::eq("id", id)];
    if let Some(from) = from {
        let moved = state
            .store
            .compare_and_set(
                INVITATION,
                &filter,
                "status",
                &RowValue::Text(from.to_owned()),
                &RowValue::Text(to.to_owned()),
            )
            .await?;
        if !moved {
            return Ok(None);
        }
        return invitation_by_id(state, id).await;
    }
    Ok(state
        .store
        .update_row(INVITATION, &filter, &Row::new().with("status", to))
        .await?)
}

/// `POST /organization/accept-invitation`: `{invitation, member}`. The status moves
/// pending → accepted with a compare-and-set, so two accepts make one member; if making the
/// member fails, the invitation goes back to pending.
pub async fn accept_invitation(
    State(state): State<AppState>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Reply, ApiError> {
    let id = invitation_id(&body)?;
    let current = session::require(&state, &headers).await?;
    let now = OffsetDateTime::now_utc();
    let invitation = invitation_by_id(&state, &id)
        .await?
        .filter(|i| !expired(i, now) && i.text("status") == Some(PENDING));
    let Some(invitation) = invitation else {
        return Err(ApiError::coded(
            StatusCode::BAD_REQUEST,
            spec::INVITATION_NOT_FOUND,
        ));
    };
    check_recipient(
        &state,
        &current,
        &invitation,
        spec::EMAIL_VERIFICATION_REQUIRED_BEFORE_ACCEPTING_OR_REJECTING_INVITATION,
    )?;
    let organization_id = invitation
        .text("organizationId")
        .unwrap_or_default()
        .to_owned();
    let members = state
        .store
        .count_rows(
            MEMBER,
            &[Where::eq("organizationId", organization_id.as_str())],
        )
        .await?;
    if organization_by_id(&state, &organization_id)
        .await?
        .is_none()
    {
        return Err(ApiError::coded(
            StatusCode::BAD_REQUEST,
            spec::ORGANIZATION_NOT_FOUND,
        ));
    }
    if members >= state.config.organization.membership_limit {
        return Err(ApiError::coded(
            StatusCode::FORBIDDEN,
            spec::ORGANIZATION_MEMBERSHIP_LIMIT_REACHED,
        ));
    }
    let Some(accepted) = move_status(&state, &id, Some(PENDING), "accepted").await? else {
        return Err(ApiError::coded(
            StatusCode::BAD_REQUEST,
            spec::INVITATION_NOT_FOUND,
        ));
    };
    match join(&state, &current, &accepted, &organization_id).await {
        Ok((member, cookies)) => {
            tracing::info!(organization_id = %organization_id, user_id = %current.user.id, "invitation accepted");
            let answer = json!({
                "invitation": wire::invitation(&accepted, teams_on(&state)),
                "member": wire::member(&member, None),
            });
            Ok(Reply::json(answer).cookies(cookies))
        }
        Err(error) => {
            move_status(&state, &id, Some("accepted"), PENDING).await?;
            Err(error)
        }
    }
}

/// The accepting user's side of an accepted invitation: its teams, the member row, and the
/// session's active organization (and active team, with a fresh cookie, when there is one team).
async fn join(
    state: &AppState,
    current: &Current,
    invitation: &Row,
    organization_id: &str,
) -> Result<(Row, Vec<String>), ApiError> {
    let mut cookies = Vec::new();
    if teams_on(state)
        && let Some(teams) = invitation.text("teamId").filter(|t| !t.is_empty())
    {
        let team_ids: Vec<&str> = teams.split(',').collect();
        for team_id in &team_ids {
            super::team_seats::join_invited_team(state, organization_id, team_id, &current.user.id)
                .await?;
        }
        if let [only] = team_ids.as_slice() {
            super::team_seats::set_active_team(state, &current.session.id, Some(only)).await?;
            cookies =
                session::session_cookies(state, &current.session.token, current.dont_remember);
        }
    }
    let member = state
        .store
        .create_row(
            MEMBER,
            &Row::new()
                .with("id", random::generate_id(32))
                .with("organizationId", organization_id)
                .with("userId", current.user.id.as_str())
                .with(
                    "role",
                    role_names(invitation.text("role").unwrap_or_default())
                        .collect::<Vec<_>>()
                        .join(","),
                )
                .with("createdAt", now_ms()),
        )
        .await?;
    super::members_changed(state, organization_id);
    set_active_organization(state, &current.session.id, Some(organization_id)).await?;
    Ok((member, cookies))
}

/// `POST /organization/reject-invitation`: `{invitation, "member": null}`. Expiry is not
/// checked, as in Better Auth.
pub async fn reject_invitation(
    State(state): State<AppState>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Reply, ApiError> {
    let id = invitation_id(&body)?;
    let current = session::require(&state, &headers).await?;
    let invitation = invitation_by_id(&state, &id)
        .await?
        .filter(|i| i.text("status") == Some(PENDING));
    let Some(invitation) = invitation else {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            spec::INVITATION_NOT_FOUND.code,
            "Invitation not found!",
        ));
    };
    check_recipient(
        &state,
        &current,
        &invitation,
        spec::EMAIL_VERIFICATION_REQUIRED_BEFORE_ACCEPTING_OR_REJECTING_INVITATION,
    )?;
    let organization_id = invitation.text("organizationId").unwrap_or_default();
    if organization_by_id(&state, organization_id).await?.is_none() {
        return Err(ApiError::coded(
            StatusCode::BAD_REQUEST,
            spec::ORGANIZATION_NOT_FOUND,
        ));
    }
    let rejected = move_status(&state, &id, None, "rejected")
        .await?
        .map_or(Value::Null, |r| wire::invitation(&r, teams_on(&state)));
    Ok(Reply::json(
        json!({ "invitation": rejected, "member": null }),
    ))
}

/// `POST /organization/cancel-invitation`: any status becomes `canceled` (an accepted
/// invitation too; the membership stays), for a member whose role grants `invitation:cancel`.
pub async fn cancel_invitation(
    State(state): State<AppState>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Reply, ApiError> {
    let id = invitation_id(&body)?;
    let current = session::require(&state, &headers).await?;
    let Some(invitation) = invitation_by_id(&state, &id).await? else {
        return Err(ApiError::coded(
            StatusCode::BAD_REQUEST,
            spec::INVITATION_NOT_FOUND,
        ));
    };
    let organization_id = invitation.text("organizationId").unwrap_or_default();
    let Some(member) = membership(&state, &current.user.id, organization_id).await? else {
        return Err(ApiError::coded(
            StatusCode::BAD_REQUEST,
            spec::MEMBER_NOT_FOUND,
        ));
    };
    let cancel = vec![("invitation".to_owned(), vec!["cancel".to_owned()])];
    let role = member.text("role").unwrap_or_default();
    if !role_grants(&state, organization_id, role, &cancel).await? {
        return Err(ApiError::coded(
            StatusCode::FORBIDDEN,
            spec::YOU_ARE_NOT_ALLOWED_TO_CANCEL_THIS_INVITATION,
        ));
    }
    if organization_by_id(&state, organization_id).await?.is_none() {
        return Err(ApiError::coded(
            StatusCode::BAD_REQUEST,
            spec::ORGANIZATION_NOT_FOUND,
        ));
    }
    let canceled = move_status(&state, &id, None, "canceled")
        .await?
        .map_or(Value::Null, |r| wire::invitation(&r, teams_on(&state)));
    tracing::info!(organization_id = %organization_id, user_id = %current.user.id, "invitation canceled");
    Ok(Reply::json(canceled))
}

/// `GET /organization/get-invitation?id=`: the pending, unexpired invitation for its recipient,
/// with the organization's name and slug and the inviter's email.
pub async fn get_invitation(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Reply, ApiError> {
    let Some(id) = query.get("id") else {
        return Err(base_codes::validation(
            "[query.id] Invalid input: expected string, received undefined".to_owned(),
        ));
    };
    let Ok(current) = session::require(&state, &headers).await else {
        return Err(ApiError::message_only(
            StatusCode::UNAUTHORIZED,
            "Not authenticated",
        ));
    };
    let now = OffsetDateTime::now_utc();
    let invitation = invitation_by_id(&state, id)
        .await?
        .filter(|i| i.text("status") == Some(PENDING) && !expired(i, now));
    let Some(invitation) = invitation else {
        return Err(ApiError::coded(
            StatusCode::BAD_REQUEST,
            spec::INVITATION_NOT_FOUND,
        ));
    };
    check_recipient(
        &state,
        &current,
        &invitation,
        spec::EMAIL_VERIFICATION_REQUIRED_FOR_INVITATION,
    )?;
    let organization_id = invitation.text("organizationId").unwrap_or_default();
    let Some(organization) = organization_by_id(&state, organization_id).await? else {
        return Err(ApiError::coded(
            StatusCode::BAD_REQUEST,
            spec::ORGANIZATION_NOT_FOUND,
        ));
    };
    let inviter_id = invitation.text("inviterId").unwrap_or_default();
    let inviter = match membership(&state, inviter_id, organization_id).await? {
        Some(_) => {
            state
                .store
                .find_row(USER, &[Where::eq("id", inviter_id)])
                .await?
        }
        None => None,
    };
    let Some(inviter) = inviter else {
        return Err(ApiError::coded(
            StatusCode::BAD_REQUEST,
            spec::INVITER_IS_NO_LONGER_A_MEMBER_OF_THE_ORGANIZATION,
        ));
    };
    let mut answer = wire::invitation(&invitation, teams_on(&state));
    if let Value::Object(m) = &mut answer {
        m.insert("organizationName".into(), json!(organization.text("name")));
        m.insert("organizationSlug".into(), json!(organization.text("slug")));
        m.insert("inviterEmail".into(), json!(inviter.text("email")));
    }
    Ok(Reply::json(answer))
}

/// `GET /organization/list-invitations`: every invitation of the organization, whatever its
/// status, for members who may invite; invitations carrying the creator role only for holders of
/// that role.
pub async fn list_invitations(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Reply, ApiError> {
    let Ok(current) = session::require(&state, &headers).await else {
        return Err(ApiError::message_only(
            StatusCode::UNAUTHORIZED,
            "Not authenticated",
        ));
    };
    let Some(organization_id) = query
        .get("organizationId")
        .filter(|id| !id.is_empty())
        .cloned()
        .or_else(|| current.session.active_organization_id().map(str::to_owned))
    else {
        return Err(ApiError::message_only(
            StatusCode::BAD_REQUEST,
            "Organization ID is required",
        ));
    };
    let Some(member) = membership(&state, &current.user.id, &organization_id).await? else {
        return Err(ApiError::message_only(
            StatusCode::FORBIDDEN,
            "You are not a member of this organization",
        ));
    };
    let Some(visible) = visible_invitations(&state, &member, &organization_id).await? else {
        return Err(ApiError::coded(
            StatusCode::FORBIDDEN,
            spec::YOU_ARE_NOT_ALLOWED_TO_LIST_INVITATIONS,
        ));
    };
    Ok(Reply::json(Value::Array(visible)))
}

/// The organization's invitations as `member` may see them: `None` when its role does not grant
/// `invitation:create` (an invitation id is the accept capability), and invitations carrying the
/// creator role only for holders of that role. Capped at 100 like Better Auth's `findMany`.
pub(super) async fn visible_invitations(
    state: &AppState,
    member: &Row,
    organization_id: &str,
) -> Result<Option<Vec<Value>>, ApiError> {
    let role = member.text("role").unwrap_or_default();
    let invite = vec![("invitation".to_owned(), vec!["create".to_owned()])];
    if !role_grants(state, organization_id, role, &invite).await? {
        return Ok(None);
    }
    let sees_creator = is_creator(state, role);
    let rows = state
        .store
        .find_rows(
            INVITATION,
            &FindMany::filter(vec![Where::eq("organizationId", organization_id)]),
        )
        .await?;
    Ok(Some(
        rows.iter()
            .filter(|i| sees_creator || !is_creator(state, i.text("role").unwrap_or_default()))
            .map(|i| wire::invitation(i, teams_on(state)))
            .collect(),
    ))
}

/// `GET /organization/list-user-invitations`: the caller's pending invitations (expired ones
/// included, as Better Auth filters on status only), each with its organization's name. Needs a
/// verified email whatever the options say.
pub async fn list_user_invitations(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Reply, ApiError> {
    let current = match session::lookup(&state, &headers).await? {
        session::Lookup::Valid(current) => Some(current),
        session::Lookup::NoCookie | session::Lookup::Expired => None,
    };
    if query.get("email").is_some_and(|e| !e.is_empty()) {
        return Err(ApiError::message_only(
            StatusCode::BAD_REQUEST,
            "User email cannot be passed for client side API calls.",
        ));
    }
    let Some(current) = current else {
        return Err(ApiError::message_only(
            StatusCode::BAD_REQUEST,
            "Missing session headers, or email query parameter.",
        ));
    };
    if !current.user.email_verified {
        return Err(ApiError::coded(
            StatusCode::FORBIDDEN,
            spec::EMAIL_VERIFICATION_REQUIRED_FOR_INVITATION,
        ));
    }
    let invitations = state
        .store
        .find_rows(
            INVITATION,
            &FindMany::filter(vec![
                Where::eq("email", current.user.email.to_lowercase()),
                Where::eq("status", PENDING),
            ]),
        )
        .await?;
    let ids: Vec<&str> = invitations
        .iter()
        .filter_map(|i| i.text("organizationId"))
        .collect();
    let organizations = if ids.is_empty() {
        Vec::new()
    } else {
        state
            .store
            .find_rows(
                spec::ORGANIZATION,
                &FindMany::filter(vec![Where::is_in("id", ids)]),
            )
            .await?
    };
    let answer: Vec<Value> = invitations
        .iter()
        .map(|i| {
            let mut value = wire::invitation(i, teams_on(&state));
            let name = organizations
                .iter()
                .find(|o| o.text("id") == i.text("organizationId"))
                .and_then(|o| o.text("name"));
            if let Value::Object(m) = &mut value {
                m.insert("organizationName".into(), json!(name));
            }
            value
        })
        .collect();
    Ok(Reply::json(Value::Array(answer)))
}
