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

async fn serve(fake: Fake) -> (String, Shared) {
    let shared = Arc::new(Mutex::new(fake));
    let app = Router::new()
        .route("/v1/users", get(list_users))
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
