//! `GET /organization/list-members`: a page of an organization's members, with their users, and
//! the total, paged and filtered in SQL through the row API.

use std::collections::HashMap;
use std::time::Instant;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use tessera_core::plugins::organization::{self as spec, MEMBER, OrganizationSession};
use tessera_store::{
    FilterOperator, FindMany, Row, RowValue, SortBy, SortDirection, Where, WhereValue,
};

use super::member_counts::Lookup;
use super::{member_counts, membership, organization_by_slug, users_of, wire};
use crate::error::{ApiError, codes as base_codes};
use crate::json_text;
use crate::reply::Reply;
use crate::session;
use crate::state::AppState;

/// Better Auth's `whereOperators`, by their wire names.
const OPERATORS: &[(&str, FilterOperator)] = &[
    ("eq", FilterOperator::Eq),
    ("ne", FilterOperator::Ne),
    ("lt", FilterOperator::Lt),
    ("lte", FilterOperator::Lte),
    ("gt", FilterOperator::Gt),
    ("gte", FilterOperator::Gte),
    ("in", FilterOperator::In),
    ("not_in", FilterOperator::NotIn),
    ("contains", FilterOperator::Contains),
    ("starts_with", FilterOperator::StartsWith),
    ("ends_with", FilterOperator::EndsWith),
];

fn invalid_option(field: &str, options: &[&str]) -> String {
    let expected = options
        .iter()
        .map(|o| format!("\"{o}\""))
        .collect::<Vec<_>>()
        .join("|");
    format!("[query.{field}] Invalid option: expected one of {expected}")
}

/// `limit`/`offset` go through JavaScript's `Number()`: anything not a whole non-negative number
/// is taken as not given (Better Auth then falls back to its default).
fn whole_number(text: Option<&String>) -> Option<u64> {
    text.and_then(|t| t.trim().parse::<u64>().ok())
        .filter(|n| *n > 0)
}

pub async fn list_members(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Reply, ApiError> {
    let direction = match query.get("sortDirection").map(String::as_str) {
        None | Some("asc") => SortDirection::Asc,
        Some("desc") => SortDirection::Desc,
        Some(_) => {
            return Err(base_codes::validation(invalid_option(
                "sortDirection",
                &["asc", "desc"],
            )));
        }
    };
    let operator = match query.get("filterOperator") {
        None => FilterOperator::Eq,
        Some(name) => match OPERATORS.iter().find(|(n, _)| n == name) {
            Some((_, op)) => *op,
            None => {
                let names: Vec<&str> = OPERATORS.iter().map(|(n, _)| *n).collect();
                return Err(base_codes::validation(invalid_option(
                    "filterOperator",
                    &names,
                )));
            }
        },
    };
    let current = session::require(&state, &headers).await?;
    let mut organization_id = query
        .get("organizationId")
        .cloned()
        .or_else(|| current.session.active_organization_id().map(str::to_owned));
    if let Some(slug) = query.get("organizationSlug") {
        let Some(organization) = organization_by_slug(&state, slug).await? else {
            return Err(ApiError::coded(
                StatusCode::BAD_REQUEST,
                spec::ORGANIZATION_NOT_FOUND,
            ));
        };
        organization_id = organization.text("id").map(str::to_owned);
    }
    let Some(organization_id) = organization_id.filter(|id| !id.is_empty()) else {
        return Err(ApiError::coded(
            StatusCode::BAD_REQUEST,
            spec::NO_ACTIVE_ORGANIZATION,
        ));
    };
    if membership(&state, &current.user.id, &organization_id)
        .await?
        .is_none()
    {
        return Err(ApiError::coded(
            StatusCode::FORBIDDEN,
            spec::YOU_ARE_NOT_A_MEMBER_OF_THIS_ORGANIZATION,
        ));
    }
    let mut filter = vec![Where::eq("organizationId", organization_id.as_str())];
    if let Some(field) = query.get("filterField").filter(|f| !f.is_empty()) {
        // The field goes to the store unchecked, as Better Auth passes it to its adapter: an
        // unknown column is the store's error, answered 500 with an empty body like Better Auth.
        let value = query
            .get("filterValue")
            .map_or(RowValue::Null, |v| RowValue::Text(v.clone()));
        let value = match operator {
            FilterOperator::In | FilterOperator::NotIn => WhereValue::List(vec![value]),
            _ => WhereValue::One(value),
        };
        filter.push(Where::new(field, operator, value));
    }
    let page = FindMany {
        filter: filter.clone(),
        sort_by: query
            .get("sortBy")
            .filter(|f| !f.is_empty())
            .map(|field| SortBy {
                field: field.clone(),
                direction,
            }),
        limit: Some(
            whole_number(query.get("limit")).unwrap_or(state.config.organization.membership_limit),
        ),
        offset: whole_number(query.get("offset")),
    };
    let members = state.store.find_rows(MEMBER, &page).await?;
    let total = total(&state, &organization_id, &filter, &query).await?;
    let users = users_of(&state, &members).await?;
    let by_id: HashMap<&str, &Row> = users
        .iter()
        .filter_map(|u| Some((u.text("id")?, u)))
        .collect();
    // Written straight as JSON: a page of 100 members with their users is the largest answer
    // here, and a value tree cost more than the reads (BENCHMARKS.md, issue #13).
    let mut out = Vec::with_capacity(64 + 320 * members.len());
    json_text::Object::open(&mut out)
        .with("members", |out| {
            out.push(b'[');
            let mut first = true;
            // A member whose user row is gone (a race with a user deletion) is left out.
            for (member, user) in members
                .iter()
                .filter_map(|m| Some((m, *by_id.get(m.text("userId")?)?)))
            {
                if !first {
                    out.push(b',');
                }
                first = false;
                wire::write_member_with_user(out, member, user);
            }
            out.push(b']');
        })
        .number("total", total)
        .finish();
    Ok(Reply::json_text(out))
}

/// The organization's member count under the request's filter, reused for a second
/// (`member_counts`).
async fn total(
    state: &AppState,
    organization_id: &str,
    filter: &[Where],
    query: &HashMap<String, String>,
) -> Result<u64, ApiError> {
    let Some(counts) = member_counts(state) else {
        return Ok(state.store.count_rows(MEMBER, filter).await?);
    };
    let part = |name: &str| query.get(name).map_or("", String::as_str);
    let key = if part("filterField").is_empty() {
        String::new()
    } else {
        format!(
            "{}\u{0}{}\u{0}{}",
            part("filterField"),
            part("filterOperator"),
            part("filterValue")
        )
    };
    let now = Instant::now();
    match counts.lookup(organization_id, &key, now) {
        Lookup::Fresh(total) => Ok(total),
        Lookup::Recount(_) | Lookup::Missing => {
            match state.store.count_rows(MEMBER, filter).await {
                Ok(total) => {
                    counts.store(organization_id, &key, total, now);
                    Ok(total)
                }
                Err(error) => {
                    counts.forget(organization_id);
                    Err(error.into())
                }
            }
        }
    }
}
