#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

//! The client against a local stand-in for Clerk's `GET /v1/users`.

use super::*;
use crate::clerk::snapshot::SnapshotReader;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router, routing::get};
use serde_json::Value;
use serde_json::json;
use std::collections::{HashMap, VecDeque};
use std::io::BufReader;
use std::sync::{Arc, Mutex};

const KEY: &str = "sk_test_the-right-key";

/// What the stand-in does with `starting_after`.
#[derive(Debug, Default, Clone, Copy)]
enum Cursor {
    #[default]
    Honoured,
    /// 422, as an instance without the cursor answers.
    Refused,
    /// The first page again, as an API that drops parameters it does not know answers.
    Ignored,
}

#[derive(Default)]
struct Fake {
    users: Vec<Value>,
    cursor: Cursor,
    /// Statuses to answer before serving anything (with `Retry-After: 0` on 429).
    failures: VecDeque<u16>,
    /// Repeat the previous page's last user at the top of the next page (a page boundary moved).
    repeat_last: bool,
    requests: Vec<HashMap<String, String>>,
    /// Organizations, each with its memberships and invitations (every status).
    orgs: Vec<(Value, Vec<Value>, Vec<Value>)>,
    /// `None`: `/organization_roles` answers 404.
    roles: Option<Vec<Value>>,
    /// Statuses the organization endpoints answer before serving anything.
    org_failures: VecDeque<u16>,
    org_requests: Vec<(String, HashMap<String, String>)>,
}

type Shared = Arc<Mutex<Fake>>;

async fn list_users(
    State(fake): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let mut fake = fake.lock().unwrap();
    fake.requests.push(q.clone());
    let auth = headers.get("authorization").and_then(|v| v.to_str().ok());
    if auth != Some(&format!("Bearer {KEY}")) {
        let body = json!({"errors":[{"message":"invalid","code":"authentication_invalid"}],"clerk_trace_id":"trace-42"});
        return (StatusCode::UNAUTHORIZED, Json(body)).into_response();
    }
    if let Some(status) = fake.failures.pop_front() {
        let status = StatusCode::from_u16(status).unwrap();
        return (
            status,
            [("retry-after", "0")],
            Json(json!({"errors":[{"code":"too_many"}]})),
        )
            .into_response();
    }
    assert_eq!(q.get("order_by").map(String::as_str), Some("+created_at"));
    let limit: usize = q["limit"].parse().unwrap();
    let start = match (q.get("starting_after"), q.get("offset"), fake.cursor) {
        (Some(_), _, Cursor::Refused) => {
            return (
                StatusCode::UNPROCESSABLE_ENTITY,
                Json(json!({"errors":[{"code":"form_param_unknown"}]})),
            )
                .into_response();
        }
        (Some(_), _, Cursor::Ignored) => 0,
        (Some(after), _, Cursor::Honoured) => {
            let at = fake
                .users
                .iter()
                .position(|u| u["id"] == after.as_str())
                .unwrap();
            if fake.repeat_last { at } else { at + 1 }
        }
        (None, Some(offset), _) => offset.parse().unwrap(),
        (None, None, _) => 0,
    };
    let page: Vec<Value> = fake.users.iter().skip(start).take(limit).cloned().collect();
    Json(page).into_response()
}

/// `{data, total_count}` page of `all` by `limit`/`offset`.
fn data_page(all: &[Value], q: &HashMap<String, String>) -> Response {
    let limit: usize = q["limit"].parse().unwrap();
    let offset: usize = q.get("offset").map_or(0, |o| o.parse().unwrap());
    let data: Vec<Value> = all.iter().skip(offset).take(limit).cloned().collect();
    Json(json!({"data": data, "total_count": all.len()})).into_response()
}

/// The organization endpoints, one handler: `path` is what follows `/v1/`.
fn org_endpoint(fake: &mut Fake, path: &str, q: HashMap<String, String>) -> Response {
    fake.org_requests.push((path.to_owned(), q.clone()));
    if let Some(status) = fake.org_failures.pop_front() {
        return (
            StatusCode::from_u16(status).unwrap(),
            [("retry-after", "0")],
            Json(json!({"errors":[{"code":"too_many"}]})),
        )
            .into_response();
    }
    let parts: Vec<&str> = path.split('/').collect();
    match parts.as_slice() {
        ["organization_roles"] => match &fake.roles {
            Some(roles) => data_page(roles, &q),
            None => (
                StatusCode::NOT_FOUND,
                Json(json!({"errors":[{"code":"resource_not_found"}]})),
            )
                .into_response(),
        },
        ["organizations"] => {
            assert_eq!(q.get("order_by").map(String::as_str), Some("+created_at"));
            let orgs: Vec<Value> = fake.orgs.iter().map(|o| o.0.clone()).collect();
            data_page(&orgs, &q)
        }
        ["organizations", id, what] => {
            let (_, memberships, invitations) =
                fake.orgs.iter().find(|o| o.0["id"] == *id).unwrap();
            if *what == "memberships" {
                data_page(memberships, &q)
            } else {
                let status = q.get("status").cloned();
                let listed: Vec<Value> = invitations
                    .iter()
                    .filter(|i| status.as_deref().is_none_or(|s| i["status"] == s))
                    .cloned()
                    .collect();
                data_page(&listed, &q)
            }
        }
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn orgs_handler(
    State(fake): State<Shared>,
    axum::extract::Path(path): axum::extract::Path<String>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let auth = headers.get("authorization").and_then(|v| v.to_str().ok());
    if auth != Some(&format!("Bearer {KEY}")) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    org_endpoint(&mut fake.lock().unwrap(), &path, q)
}

async fn serve(fake: Fake) -> (String, Shared) {
    let shared = Arc::new(Mutex::new(fake));
    let app = Router::new()
        .route("/v1/users", get(list_users))
        .route("/v1/{*path}", get(orgs_handler))
        .with_state(shared.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/v1"), shared)
}

fn users(n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| json!({"id": format!("user_{i:05}"), "object": "user", "created_at": 1_700_000_000_000u64 + i as u64, "extra_field": {"kept": true}}))
        .collect()
}

fn options(base_url: String) -> ApiOptions {
    ApiOptions {
        base_url,
        page_size: 100,
        requests_per_window: 1000,
        window: Duration::from_secs(1),
        max_retries: 3,
        default_retry_after: Duration::from_millis(10),
        max_wait: Duration::from_millis(50),
        timeout: Duration::from_secs(5),
    }
}

fn snapshot_ids(path: &Path) -> Vec<String> {
    SnapshotReader::new(BufReader::new(File::open(path).unwrap()))
        .map(|u| u.unwrap().unwrap().user.id)
        .collect()
}

#[tokio::test]
async fn lists_every_user_once_with_the_cursor() {
    let (url, fake) = serve(Fake {
        users: users(250),
        ..Fake::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("users.json");
    let summary = fetch_snapshot(KEY, &options(url), &out, &|_| {})
        .await
        .unwrap();
    assert_eq!(summary.users, 250);
    assert!(!summary.used_offset);
    assert_eq!(summary.requests, 3, "a short page ends the listing");
    let ids = snapshot_ids(&out);
    assert_eq!(ids.len(), 250);
    assert_eq!(ids[0], "user_00000");
    let requests = &fake.lock().unwrap().requests;
    assert_eq!(
        requests[1].get("starting_after").map(String::as_str),
        Some("user_00099")
    );
    assert!(
        std::fs::read_to_string(&out)
            .unwrap()
            .contains("extra_field"),
        "fields we do not model are kept"
    );
    assert!(!partial_path(&out).exists());
}

#[tokio::test]
async fn falls_back_to_offset_when_the_cursor_is_refused() {
    let (url, _) = serve(Fake {
        users: users(230),
        cursor: Cursor::Refused,
        ..Fake::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("users.json");
    let summary = fetch_snapshot(KEY, &options(url), &out, &|_| {})
        .await
        .unwrap();
    assert!(summary.used_offset);
    assert_eq!(
        snapshot_ids(&out),
        users(230)
            .iter()
            .map(|u| u["id"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn keeps_going_by_offset_when_the_cursor_is_ignored() {
    let (url, fake) = serve(Fake {
        users: users(230),
        cursor: Cursor::Ignored,
        ..Fake::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("users.json");
    let summary = fetch_snapshot(KEY, &options(url), &out, &|_| {})
        .await
        .unwrap();
    assert!(summary.used_offset && summary.cursor_ignored, "{summary:?}");
    assert_eq!(summary.users, 230);
    assert_eq!(
        summary.duplicates, 0,
        "the page answered again is not users listed twice"
    );
    let requests = &fake.lock().unwrap().requests;
    let offsets: Vec<Option<&str>> = requests
        .iter()
        .map(|q| q.get("offset").map(String::as_str))
        .collect();
    assert_eq!(offsets, [None, None, Some("100"), Some("200")]);
    let said = summary.to_string();
    assert!(
        said.contains("ignored the starting_after cursor") && said.contains("by offset"),
        "{said}"
    );
}

/// Whatever the instance does with `starting_after`, the snapshot holds every user once, in order.
#[tokio::test]
async fn every_user_is_listed_once_whether_the_cursor_is_honoured_refused_or_ignored() {
    let all: Vec<String> = users(1234)
        .iter()
        .map(|u| u["id"].as_str().unwrap().to_owned())
        .collect();
    for cursor in [Cursor::Honoured, Cursor::Refused, Cursor::Ignored] {
        let (url, _) = serve(Fake {
            users: users(1234),
            cursor,
            ..Fake::default()
        })
        .await;
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("users.json");
        let summary = fetch_snapshot(KEY, &options(url), &out, &|_| {})
            .await
            .unwrap_or_else(|e| panic!("{cursor:?}: {e}"));
        assert_eq!(summary.users, 1234, "{cursor:?}: {summary:?}");
        assert_eq!(snapshot_ids(&out), all, "{cursor:?}");
        assert_eq!(
            summary.used_offset,
            !matches!(cursor, Cursor::Honoured),
            "{cursor:?}"
        );
        assert_eq!(
            summary.cursor_ignored,
            matches!(cursor, Cursor::Ignored),
            "{cursor:?}"
        );
    }
}

#[tokio::test]
async fn a_user_listed_twice_is_written_once() {
    let (url, _) = serve(Fake {
        users: users(250),
        repeat_last: true,
        ..Fake::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("users.json");
    let summary = fetch_snapshot(KEY, &options(url), &out, &|_| {})
        .await
        .unwrap();
    assert!(summary.duplicates >= 2, "{summary:?}");
    assert_eq!(snapshot_ids(&out).len(), 250);
}

#[tokio::test]
async fn waits_out_429_and_5xx_then_goes_on() {
    let failures = VecDeque::from([429, 503, 429]);
    let (url, _) = serve(Fake {
        users: users(120),
        failures,
        ..Fake::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("users.json");
    let summary = fetch_snapshot(KEY, &options(url), &out, &|_| {})
        .await
        .unwrap();
    assert_eq!(summary.retries, 3);
    assert_eq!(summary.users, 120);
}

#[tokio::test]
async fn gives_up_after_the_retry_budget_and_leaves_no_snapshot() {
    let failures = VecDeque::from([500, 500, 500, 500, 500, 500]);
    let (url, _) = serve(Fake {
        users: users(10),
        failures,
        ..Fake::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("users.json");
    let err = fetch_snapshot(KEY, &options(url), &out, &|_| {})
        .await
        .unwrap_err();
    assert!(matches!(err, ApiError::GaveUp { attempts: 4, .. }), "{err}");
    assert!(!out.exists());
    assert!(!partial_path(&out).exists());
}

#[tokio::test]
async fn a_wrong_key_is_named_as_such_without_showing_it() {
    let (url, _) = serve(Fake {
        users: users(10),
        ..Fake::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("users.json");
    let err = fetch_snapshot("sk_live_wrong-secret", &options(url), &out, &|_| {})
        .await
        .unwrap_err();
    assert!(
        matches!(err, ApiError::Unauthorized { status: 401, .. }),
        "{err}"
    );
    let message = err.to_string();
    assert!(
        message.contains("authentication_invalid") && message.contains("trace-42"),
        "{message}"
    );
    assert!(!message.contains("wrong-secret"), "{message}");
    assert!(!out.exists());
}

#[test]
fn production_keys_get_the_production_budget() {
    assert_eq!(ApiOptions::for_key("sk_live_x").requests_per_window, 800);
    assert_eq!(ApiOptions::for_key("sk_test_x").requests_per_window, 80);
}

// ---- organizations

fn org(i: usize, members: usize, invitations: usize) -> (Value, Vec<Value>, Vec<Value>) {
    let id = format!("org_{i:04}");
    let memberships = (0..members)
        .map(|m| {
            json!({"id": format!("orgmem_{i:04}_{m:04}"), "object": "organization_membership",
            "role": if m == 0 { "org:admin" } else { "org:member" },
            "public_user_data": {"user_id": format!("user_{m:05}"), "identifier": "x@example.com"},
            "created_at": 1_700_000_000_000u64 + m as u64})
        })
        .collect();
    let invitations = (0..invitations)
        .map(|n| {
            json!({"id": format!("orginv_{i:04}_{n:02}"), "email_address": "A@Example.com",
            "role": "org:member", "status": if n % 2 == 0 { "pending" } else { "revoked" },
            "created_at": 1, "expires_at": 2})
        })
        .collect();
    (
        json!({"object": "organization", "id": id, "name": format!("Org {i}"), "slug": null,
               "created_at": 1_700_000_000_000u64 + i as u64}),
        memberships,
        invitations,
    )
}

fn read_org_file(path: &Path) -> Vec<crate::clerk::org_snapshot::OrgItem> {
    let mut reader = crate::clerk::org_snapshot::OrgSnapshotReader::open(path).unwrap();
    let mut items = Vec::new();
    while let Some(item) = reader.next_item().unwrap() {
        items.push(item);
    }
    items
}

#[tokio::test]
async fn lists_organizations_with_their_memberships_pending_invitations_and_roles() {
    use crate::clerk::org_snapshot::OrgItem;
    let orgs: Vec<_> = (0..230)
        .map(|i| org(i, if i == 3 { 250 } else { 2 }, 3))
        .collect();
    let roles = vec![json!({"key":"org:billing","permissions":[{"key":"org:invoices:read"}]})];
    let (url, fake) = serve(Fake {
        orgs,
        roles: Some(roles),
        org_failures: VecDeque::from([429, 503]),
        ..Fake::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("users.organizations.ndjson");
    let summary = fetch_organizations(KEY, &options(url), &out, &|_| {})
        .await
        .unwrap();
    assert_eq!(summary.organizations, 230);
    assert_eq!(summary.memberships, 229 * 2 + 250);
    assert_eq!(summary.invitations, 230 * 2, "pending only");
    assert_eq!(summary.roles, 1);
    assert_eq!(summary.retries, 2);
    assert!(!summary.roles_unavailable);
    let items = read_org_file(&out);
    assert!(matches!(&items[0], OrgItem::Role(r) if r.key == "org:billing"));
    let entries: Vec<_> = items
        .iter()
        .filter_map(|i| match i {
            OrgItem::Organization(e) => Some(e),
            _ => None,
        })
        .collect();
    assert_eq!(entries.len(), 230);
    assert_eq!(entries[3].memberships.len(), 250);
    assert!(entries.iter().all(|e| e.invitations.len() == 2));
    assert!(
        entries[0]
            .invitations
            .iter()
            .all(|i| i.status.as_deref() == Some("pending"))
    );
    let requests = &fake.lock().unwrap().org_requests;
    assert!(
        requests
            .iter()
            .any(|(p, q)| p == "organizations/org_0003/memberships"
                && q.get("offset").map(String::as_str) == Some("200"))
    );
    assert!(!partial_path(&out).exists());
}

#[tokio::test]
async fn an_instance_without_a_role_listing_still_lists_its_organizations() {
    let (url, _) = serve(Fake {
        orgs: vec![org(0, 1, 0)],
        roles: None,
        ..Fake::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("o.ndjson");
    let summary = fetch_organizations(KEY, &options(url), &out, &|_| {})
        .await
        .unwrap();
    assert!(summary.roles_unavailable);
    assert_eq!((summary.organizations, summary.memberships), (1, 1));
    assert!(summary.to_string().contains("no role listing"));
}

#[tokio::test]
async fn an_organization_listing_that_keeps_failing_leaves_no_file() {
    let (url, _) = serve(Fake {
        orgs: vec![org(0, 1, 0)],
        roles: Some(vec![]),
        org_failures: VecDeque::from([500, 500, 500, 500, 500]),
        ..Fake::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("o.ndjson");
    let err = fetch_organizations(KEY, &options(url), &out, &|_| {})
        .await
        .unwrap_err();
    assert!(matches!(err, ApiError::GaveUp { .. }), "{err}");
    assert!(!out.exists() && !partial_path(&out).exists());
}
