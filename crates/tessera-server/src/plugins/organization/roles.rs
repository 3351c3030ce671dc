//! Dynamic access control (reference §1.6, with `dynamic_access_control.enabled`; 404 otherwise):
//! an organization's own roles in `organizationRole`, created, listed, read, updated and deleted
//! by its members under the `ac` statement. A member may only grant what it holds itself.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Map, Value, json};
use tessera_core::crypto::random;
use tessera_core::plugins::ErrorCode;
use tessera_core::plugins::organization::{
    self as spec, MEMBER, ORGANIZATION_ROLE, OrganizationSession,
};
use tessera_core::plugins::organization_access::{Statements, role_names};
use tessera_core::timefmt::{now_ms, to_iso_ms};
use tessera_store::{FindMany, Row, Where};

use super::access::dynamic_roles;
use super::{membership, roles};
use crate::body::{Body, Validator, permission_request, type_name};
use crate::error::ApiError;
use crate::reply::Reply;
use crate::session::{self, Current};
use crate::state::AppState;

fn enabled(state: &AppState) -> Result<(), ApiError> {
    if state.config.organization.dynamic_access_control.enabled {
        Ok(())
    } else {
        Err(ApiError::not_found())
    }
}

/// A role as the routes answer it: `organizationId, role, permission (object), createdAt,
/// updatedAt, id`.
fn role_json(row: &Row) -> Value {
    let text = |c: &str| {
        row.text(c)
            .map_or(Value::Null, |s| Value::String(s.to_owned()))
    };
    let date = |c: &str| {
        row.date(c)
            .map_or(Value::Null, |t| Value::String(to_iso_ms(t)))
    };
    let permission = row
        .text("permission")
        .and_then(|p| serde_json::from_str::<Value>(p).ok())
        .unwrap_or(Value::Null);
    let mut m = Map::new();
    m.insert("organizationId".into(), text("organizationId"));
    m.insert("role".into(), text("role"));
    m.insert("permission".into(), permission);
    m.insert("createdAt".into(), date("createdAt"));
    m.insert("updatedAt".into(), date("updatedAt"));
    m.insert("id".into(), text("id"));
    Value::Object(m)
}

fn statements_json(statements: &Statements) -> Value {
    let mut m = Map::new();
    for (resource, actions) in statements {
        m.insert(resource.clone(), json!(actions));
    }
    Value::Object(m)
}

/// The caller and its member row in the named or active organization; `no_organization` is
/// the error when there is neither.
async fn caller_in(
    state: &AppState,
    headers: &HeaderMap,
    explicit: Option<String>,
    no_organization: ErrorCode,
) -> Result<(Current, String, Row), ApiError> {
    let current = session::require(state, headers).await?;
    let Some(organization_id) = explicit
        .filter(|id| !id.is_empty())
        .or_else(|| current.session.active_organization_id().map(str::to_owned))
    else {
        return Err(ApiError::coded(StatusCode::BAD_REQUEST, no_organization));
    };
    let Some(member) = membership(state, &current.user.id, &organization_id).await? else {
        return Err(ApiError::coded(
            StatusCode::FORBIDDEN,
            spec::YOU_ARE_NOT_A_MEMBER_OF_THIS_ORGANIZATION,
        ));
    };
    Ok((current, organization_id, member))
}

/// Whether the member's role grants `ac:<action>`.
async fn may(
    state: &AppState,
    organization_id: &str,
    member: &Row,
    action: &str,
) -> Result<bool, ApiError> {
    let role = member.text("role").unwrap_or_default();
    let dynamic = dynamic_roles(state, organization_id, role).await?;
    Ok(roles(state).grants_with(
        role,
        &[("ac".to_owned(), vec![action.to_owned()])],
        &dynamic,
    ))
}

/// A role name taken by a static role (the defaults and the configured ones).
fn taken_by_static(state: &AppState, name: &str) -> Result<(), ApiError> {
    if roles(state).contains(name) {
        return Err(ApiError::coded(
            StatusCode::BAD_REQUEST,
            spec::ROLE_NAME_IS_ALREADY_TAKEN,
        ));
    }
    Ok(())
}

async fn find_role(
    state: &AppState,
    organization_id: &str,
    by: &RoleKey,
) -> Result<Option<Row>, ApiError> {
    let (column, value) = by.column();
    Ok(state
        .store
        .find_row(
            ORGANIZATION_ROLE,
            &[
                Where::eq("organizationId", organization_id),
                Where::eq(column, value),
            ],
        )
        .await?)
}

async fn taken_in_organization(
    state: &AppState,
    organization_id: &str,
    name: &str,
) -> Result<(), ApiError> {
    if find_role(state, organization_id, &RoleKey::Name(name.to_owned()))
        .await?
        .is_some()
    {
        return Err(ApiError::coded(
            StatusCode::BAD_REQUEST,
            spec::ROLE_NAME_IS_ALREADY_TAKEN,
        ));
    }
    Ok(())
}

/// A granted resource must be one of the `ac` statements (actions are not checked here: an
/// action nobody has is caught by the holding rule).
fn check_resources(state: &AppState, permission: &Statements) -> Result<(), ApiError> {
    let known = roles(state).statements_known();
    if permission
        .iter()
        .any(|(resource, _)| !known.iter().any(|(r, _)| r == resource))
    {
        return Err(ApiError::coded(
            StatusCode::BAD_REQUEST,
            spec::INVALID_RESOURCE,
        ));
    }
    Ok(())
}

/// The member must hold every action it grants; otherwise 403 naming each missing
/// `resource:action`.
async fn check_holds(
    state: &AppState,
    organization_id: &str,
    member: &Row,
    permission: &Statements,
    refused: ErrorCode,
) -> Result<(), ApiError> {
    let role = member.text("role").unwrap_or_default();
    let dynamic = dynamic_roles(state, organization_id, role).await?;
    let static_roles = roles(state);
    let missing: Vec<String> = permission
        .iter()
        .flat_map(|(resource, actions)| actions.iter().map(move |a| (resource, a)))
        .filter(|(resource, action)| {
            !static_roles.grants_with(
                role,
                &[((*resource).clone(), vec![(*action).clone()])],
                &dynamic,
            )
        })
        .map(|(resource, action)| format!("{resource}:{action}"))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let mut body = Map::new();
    body.insert("message".into(), json!(refused.message));
    body.insert("code".into(), json!(refused.code));
    body.insert("missingPermissions".into(), json!(missing));
    Err(ApiError::object(StatusCode::FORBIDDEN, body))
}

/// `permission: z.record(z.string(), z.array(z.string()))`.
fn permission_field(
    v: &mut Validator<'_>,
    value: Option<&Value>,
    field: &str,
) -> Option<Statements> {
    match value {
        None => None,
        Some(value) => match permission_request(value) {
            Some(statements) => Some(statements),
            None => {
                v.error(
                    field,
                    &format!(
                        "Invalid input: expected record, received {}",
                        type_name(value)
                    ),
                );
                None
            }
        },
    }
}

/// `roleName` or `roleId`, whichever the request names (`roleName` first, as Better Auth reads).
enum RoleKey {
    Name(String),
    Id(String),
}

impl RoleKey {
    fn from(name: Option<&String>, id: Option<&String>) -> Option<RoleKey> {
        match (name.filter(|n| !n.is_empty()), id.filter(|i| !i.is_empty())) {
            (Some(name), _) => Some(RoleKey::Name(name.clone())),
            (None, Some(id)) => Some(RoleKey::Id(id.clone())),
            (None, None) => None,
        }
    }

    fn column(&self) -> (&'static str, &str) {
        match self {
            RoleKey::Name(name) => ("role", name),
            RoleKey::Id(id) => ("id", id),
        }
    }
}

fn body_key(body: &Map<String, Value>) -> Option<RoleKey> {
    let text = |k: &str| body.get(k).and_then(Value::as_str).map(str::to_owned);
    RoleKey::from(text("roleName").as_ref(), text("roleId").as_ref())
}

fn role_not_found() -> ApiError {
    ApiError::coded(StatusCode::BAD_REQUEST, spec::ROLE_NOT_FOUND)
}

/// `POST /organization/create-role`: `{role, permission, organizationId?}`; the name is
/// lower-cased and must be free.
pub async fn create_role(
    State(state): State<AppState>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Reply, ApiError> {
    enabled(&state)?;
    let mut v = Validator::new(&body);
    let organization_id = v.opt_string("organizationId");
    let name = v.string("role");
    let permission = permission_field(&mut v, body.get("permission"), "permission");
    if body.get("permission").is_none() {
        v.error(
            "permission",
            "Invalid input: expected record, received undefined",
        );
    }
    v.finish()?;
    let (Some(name), Some(permission)) = (name, permission) else {
        return Err(ApiError::internal());
    };
    let name = name.to_lowercase();
    let (_, organization_id, member) = caller_in(
        &state,
        &headers,
        organization_id,
        spec::YOU_MUST_BE_IN_AN_ORGANIZATION_TO_CREATE_A_ROLE,
    )
    .await?;
    taken_by_static(&state, &name)?;
    if !may(&state, &organization_id, &member, "create").await? {
        return Err(ApiError::coded(
            StatusCode::FORBIDDEN,
            spec::YOU_ARE_NOT_ALLOWED_TO_CREATE_A_ROLE,
        ));
    }
    if let Some(max) = state
        .config
        .organization
        .dynamic_access_control
        .maximum_roles_per_organization
    {
        let existing = state
            .store
            .count_rows(
                ORGANIZATION_ROLE,
                &[Where::eq("organizationId", organization_id.as_str())],
            )
            .await?;
        if existing >= max {
            return Err(ApiError::coded(
                StatusCode::BAD_REQUEST,
                spec::TOO_MANY_ROLES,
            ));
        }
    }
    check_resources(&state, &permission)?;
    check_holds(
        &state,
        &organization_id,
        &member,
        &permission,
        spec::YOU_ARE_NOT_ALLOWED_TO_CREATE_A_ROLE,
    )
    .await?;
    taken_in_organization(&state, &organization_id, &name).await?;
    let row = state
        .store
        .create_row(
            ORGANIZATION_ROLE,
            &Row::new()
                .with("id", random::generate_id(32))
                .with("organizationId", organization_id.as_str())
                .with("role", name.as_str())
                .with("permission", statements_json(&permission).to_string())
                .with("createdAt", now_ms()),
        )
        .await?;
    tracing::info!(organization_id = %organization_id, "organization role created");
    Ok(Reply::json(json!({
        "success": true,
        "roleData": role_json(&row),
        "statements": statements_json(&permission),
    })))
}

/// `GET /organization/list-roles`: the organization's dynamic roles, for members with
/// `ac:read`.
pub async fn list_roles(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Reply, ApiError> {
    enabled(&state)?;
    let (_, organization_id, member) = caller_in(
        &state,
        &headers,
        query.get("organizationId").cloned(),
        spec::NO_ACTIVE_ORGANIZATION,
    )
    .await?;
    if !may(&state, &organization_id, &member, "read").await? {
        return Err(ApiError::coded(
            StatusCode::FORBIDDEN,
            spec::YOU_ARE_NOT_ALLOWED_TO_LIST_A_ROLE,
        ));
    }
    let rows = state
        .store
        .find_rows(
            ORGANIZATION_ROLE,
            &FindMany::filter(vec![Where::eq("organizationId", organization_id.as_str())]),
        )
        .await?;
    Ok(Reply::json(Value::Array(
        rows.iter().map(role_json).collect(),
    )))
}

/// `GET /organization/get-role`: `?roleName` or `?roleId`.
pub async fn get_role(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Reply, ApiError> {
    enabled(&state)?;
    let (_, organization_id, member) = caller_in(
        &state,
        &headers,
        query.get("organizationId").cloned(),
        spec::NO_ACTIVE_ORGANIZATION,
    )
    .await?;
    if !may(&state, &organization_id, &member, "read").await? {
        return Err(ApiError::coded(
            StatusCode::FORBIDDEN,
            spec::YOU_ARE_NOT_ALLOWED_TO_READ_A_ROLE,
        ));
    }
    let Some(key) = RoleKey::from(query.get("roleName"), query.get("roleId")) else {
        return Err(role_not_found());
    };
    let Some(row) = find_role(&state, &organization_id, &key).await? else {
        return Err(role_not_found());
    };
    Ok(Reply::json(role_json(&row)))
}

/// `POST /organization/update-role`: `{roleName | roleId, data:{permission?, roleName?}}`. A new
/// permission follows the same holding rule as create; a new name is lower-cased and must be
/// free.
pub async fn update_role(
    State(state): State<AppState>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Reply, ApiError> {
    enabled(&state)?;
    let mut v = Validator::new(&body);
    let organization_id = v.opt_string("organizationId");
    let data = v.object("data");
    let mut d = Validator::new(data);
    let permission = permission_field(&mut d, data.get("permission"), "data.permission");
    let new_name = d.opt_string("roleName");
    d.finish()?;
    let key = body_key(&body);
    if key.is_none() {
        v.error("roleName", "Invalid input");
    }
    v.finish()?;
    let (_, organization_id, member) = caller_in(
        &state,
        &headers,
        organization_id,
        spec::NO_ACTIVE_ORGANIZATION,
    )
    .await?;
    if !may(&state, &organization_id, &member, "update").await? {
        return Err(ApiError::coded(
            StatusCode::FORBIDDEN,
            spec::YOU_ARE_NOT_ALLOWED_TO_UPDATE_A_ROLE,
        ));
    }
    let Some(key) = key else {
        return Err(role_not_found());
    };
    let Some(existing) = find_role(&state, &organization_id, &key).await? else {
        return Err(role_not_found());
    };
    let mut changes = Row::new();
    if let Some(permission) = &permission {
        check_resources(&state, permission)?;
        check_holds(
            &state,
            &organization_id,
            &member,
            permission,
            spec::YOU_ARE_NOT_ALLOWED_TO_UPDATE_A_ROLE,
        )
        .await?;
        changes.set("permission", statements_json(permission).to_string());
    }
    if let Some(new_name) = new_name.filter(|n| !n.is_empty()) {
        let new_name = new_name.to_lowercase();
        taken_by_static(&state, &new_name)?;
        taken_in_organization(&state, &organization_id, &new_name).await?;
        changes.set("role", new_name);
    }
    let id = existing.text("id").unwrap_or_default();
    let updated = if changes.is_empty() {
        existing.clone()
    } else {
        changes.set("updatedAt", now_ms());
        state
            .store
            .update_row(ORGANIZATION_ROLE, &[Where::eq("id", id)], &changes)
            .await?
            .unwrap_or_else(|| existing.clone())
    };
    tracing::info!(organization_id = %organization_id, "organization role updated");
    Ok(Reply::json(
        json!({ "success": true, "roleData": role_json(&updated) }),
    ))
}

/// `POST /organization/delete-role`: `{roleName | roleId}`; not a static role, and not while a
/// member holds it.
pub async fn delete_role(
    State(state): State<AppState>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Reply, ApiError> {
    enabled(&state)?;
    let mut v = Validator::new(&body);
    let organization_id = v.opt_string("organizationId");
    let key = body_key(&body);
    if key.is_none() {
        v.error("roleName", "Invalid input");
    }
    v.finish()?;
    let (_, organization_id, member) = caller_in(
        &state,
        &headers,
        organization_id,
        spec::NO_ACTIVE_ORGANIZATION,
    )
    .await?;
    if !may(&state, &organization_id, &member, "delete").await? {
        return Err(ApiError::coded(
            StatusCode::FORBIDDEN,
            spec::YOU_ARE_NOT_ALLOWED_TO_DELETE_A_ROLE,
        ));
    }
    let Some(key) = key else {
        return Err(role_not_found());
    };
    if let RoleKey::Name(name) = &key
        && roles(&state).contains(name)
    {
        return Err(ApiError::coded(
            StatusCode::BAD_REQUEST,
            spec::CANNOT_DELETE_A_PRE_DEFINED_ROLE,
        ));
    }
    let Some(existing) = find_role(&state, &organization_id, &key).await? else {
        return Err(role_not_found());
    };
    let name = existing.text("role").unwrap_or_default();
    let holders = state
        .store
        .find_rows(
            MEMBER,
            &FindMany {
                limit: None,
                ..FindMany::filter(vec![
                    Where::eq("organizationId", organization_id.as_str()),
                    Where::contains("role", name),
                ])
            },
        )
        .await?;
    if holders
        .iter()
        .any(|m| role_names(m.text("role").unwrap_or_default()).any(|r| r == name))
    {
        return Err(ApiError::coded(
            StatusCode::BAD_REQUEST,
            spec::ROLE_IS_ASSIGNED_TO_MEMBERS,
        ));
    }
    state
        .store
        .delete_row(
            ORGANIZATION_ROLE,
            &[Where::eq("id", existing.text("id").unwrap_or_default())],
        )
        .await?;
    tracing::info!(organization_id = %organization_id, "organization role deleted");
    Ok(Reply::json(json!({ "success": true })))
}
