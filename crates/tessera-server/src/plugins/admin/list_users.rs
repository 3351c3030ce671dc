//! `GET /admin/list-users`: search, filter, sort and page the users (reference §3.6).
//!
//! The answer is `{users, total, limit?, offset?}`; `limit` and `offset` echo the query only when
//! `Number(x)` is neither 0 nor NaN, as Better Auth's `Number(x) || undefined` does. Anything the
//! database refuses (an unknown field, a value that cannot be compared with its column, a page
//! number SQL cannot take) is answered `{users: [], total: 0}`, as Better Auth's catch-all does.

use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use serde_json::{Map, Value, json};
use tessera_store::{
    FilterOperator, FilterValue, ListUsersQuery, SearchField, TextOperator, UserFilter, UserSearch,
    UserSort,
};

use super::input::{self, QueryCheck};
use super::{admin, codes};
use crate::error::ApiError;
use crate::reply::Reply;
use crate::state::AppState;
use crate::wire;

const WHERE_OPERATORS: &[&str] = &[
    "eq",
    "ne",
    "lt",
    "lte",
    "gt",
    "gte",
    "in",
    "not_in",
    "contains",
    "starts_with",
    "ends_with",
];

/// A `limit` or `offset` after `Number(x)`.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Page {
    /// Absent, 0 or NaN: not applied, not echoed.
    Absent,
    At(u64),
    /// Negative, fractional or infinite: the database refuses it.
    Unusable,
}

/// Beyond this a JavaScript number no longer holds every integer.
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

fn page(raw: Option<&str>) -> Page {
    let Some(raw) = raw else {
        return Page::Absent;
    };
    let n = input::js_number(raw);
    if n.is_nan() || n == 0.0 {
        Page::Absent
    } else if n > 0.0 && n.fract() == 0.0 && n <= MAX_SAFE_INTEGER {
        Page::At(n as u64)
    } else {
        Page::Unusable
    }
}

fn search_operator(name: Option<&str>) -> TextOperator {
    match name {
        Some("starts_with") => TextOperator::StartsWith,
        Some("ends_with") => TextOperator::EndsWith,
        _ => TextOperator::Contains,
    }
}

fn filter_operator(name: Option<&str>) -> FilterOperator {
    match name {
        Some("ne") => FilterOperator::Ne,
        Some("lt") => FilterOperator::Lt,
        Some("lte") => FilterOperator::Lte,
        Some("gt") => FilterOperator::Gt,
        Some("gte") => FilterOperator::Gte,
        Some("in") => FilterOperator::In,
        Some("not_in") => FilterOperator::NotIn,
        Some("contains") => FilterOperator::Contains,
        Some("starts_with") => FilterOperator::StartsWith,
        Some("ends_with") => FilterOperator::EndsWith,
        _ => FilterOperator::Eq,
    }
}

fn nothing() -> Reply {
    Reply::json(json!({ "users": [], "total": 0 }))
}

pub async fn list_users(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Reply, ApiError> {
    let query = input::parse_query(raw.as_deref());
    let mut q = QueryCheck::new(&query);
    let search_value = q.opt_string("searchValue");
    let search_field = q.opt_enum("searchField", &["email", "name"]);
    let search_op = q.opt_enum("searchOperator", &["contains", "starts_with", "ends_with"]);
    let limit = q.opt_string_or_number("limit");
    let offset = q.opt_string_or_number("offset");
    let sort_by = q.opt_string("sortBy");
    let sort_direction = q.opt_enum("sortDirection", &["asc", "desc"]);
    let filter_field = q.opt_string("filterField");
    let filter_value = q.opt_strings("filterValue");
    let filter_op = q.opt_enum("filterOperator", WHERE_OPERATORS);
    q.finish()?;
    admin(
        &state,
        &headers,
        "user",
        "list",
        codes::not_allowed_to_list_users,
    )
    .await?;

    let (limit, offset) = (page(limit.as_deref()), page(offset.as_deref()));
    if limit == Page::Unusable || offset == Page::Unusable {
        return Ok(nothing());
    }
    let at = |p: Page| match p {
        Page::At(n) => Some(n),
        _ => None,
    };
    let list_query = ListUsersQuery {
        search: search_value
            .filter(|s| !s.is_empty())
            .map(|value| UserSearch {
                field: match search_field.as_deref() {
                    Some("name") => SearchField::Name,
                    _ => SearchField::Email,
                },
                operator: search_operator(search_op.as_deref()),
                value,
            }),
        filter: filter_value.map(|mut values| UserFilter {
            field: filter_field.unwrap_or_else(|| "email".to_owned()),
            operator: filter_operator(filter_op.as_deref()),
            value: if values.len() == 1 {
                FilterValue::Text(values.pop().unwrap_or_default())
            } else {
                FilterValue::List(values.into_iter().map(FilterValue::Text).collect())
            },
        }),
        sort: sort_by.map(|field| UserSort {
            field,
            descending: sort_direction.as_deref() == Some("desc"),
        }),
        limit: at(limit),
        offset: at(offset),
    };
    let (users, total) = match state.store.list_users(&list_query).await {
        Ok(found) => found,
        Err(e) => {
            tracing::warn!(error = %e, "list-users: query refused by the database");
            return Ok(nothing());
        }
    };
    let mut out = Map::new();
    out.insert(
        "users".into(),
        Value::Array(users.iter().map(wire::user).collect()),
    );
    out.insert("total".into(), json!(total));
    if let Some(n) = list_query.limit {
        out.insert("limit".into(), json!(n));
    }
    if let Some(n) = list_query.offset {
        out.insert("offset".into(), json!(n));
    }
    Ok(Reply::json(Value::Object(out)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_numbers_follow_number_or_undefined() {
        assert_eq!(page(None), Page::Absent);
        assert_eq!(page(Some("")), Page::Absent);
        assert_eq!(page(Some("0")), Page::Absent);
        assert_eq!(page(Some("abc")), Page::Absent);
        assert_eq!(page(Some(" 10 ")), Page::At(10));
        assert_eq!(page(Some("0x10")), Page::At(16));
        assert_eq!(page(Some("-1")), Page::Unusable);
        assert_eq!(page(Some("1.5")), Page::Unusable);
        assert_eq!(page(Some("Infinity")), Page::Unusable);
    }
}
