//! A plugin that exists only in this test: invite-only sign-up. It is registered from here with
//! `AppState::with_plugins`, without a line under `src/`, and so proves that a plugin is one unit:
//! its table is migrated and used through the store's row API (no new `Store` method), its column
//! on `user` is migrated, written by its hook, refused as input and returned, its routes are
//! served, its sign-up hook runs on the one path that creates users, its error code is answered as
//! Better Auth answers a plugin's `$ERROR_CODES`, and its rate-limit rule applies.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use std::sync::{Arc, LazyLock};

use async_trait::async_trait;
use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use http::StatusCode;
use serde_json::{Map, Value, json};
use support::{Browser, for_each_store_with_own_plugins};
use tessera_core::model::User;
use tessera_core::plugins::Plugins;
use tessera_core::schema::{Column, ColumnDefault, Table};
use tessera_server::AppState;
use tessera_server::error::ApiError;
use tessera_server::plugins::{Plugin, SignUpRoute};
use tessera_server::rate_limit::Rule;
use tessera_store::{Row, Where};

const INVITE: &str = "OPEN-SESAME";
const TABLE: &str = "testInvite";

/// `user.invitedWith`: the code a user signed up with. Set by the plugin's hook only
/// (`input: false`), returned with the user.
static INVITED_WITH: LazyLock<Arc<Column>> =
    LazyLock::new(|| Arc::new(Column::string("invitedWith").no_input().in_fields()));

/// `testInvite`: an invite code and how many sign-ups it still admits.
fn invite_table() -> Table {
    Table {
        name: TABLE,
        order: None,
        columns: vec![
            Column::id(),
            Column::string("code").required().unique(),
            Column::number("usesLeft").required(),
            Column::date("createdAt")
                .required()
                .default(ColumnDefault::Now),
        ],
    }
}

fn invalid_invite_code() -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "INVALID_INVITE_CODE",
        "Invalid invite code",
    )
}

fn store_error(e: tessera_store::StoreError) -> ApiError {
    ApiError::from(e)
}

async fn create_invite(
    State(state): State<AppState>,
    Json(body): Json<Value>,
) -> Result<Json<Value>, ApiError> {
    let code = body["code"].as_str().ok_or_else(invalid_invite_code)?;
    let uses = body["uses"].as_i64().ok_or_else(invalid_invite_code)?;
    let row = Row::new()
        .with("id", tessera_core::crypto::random::generate_id(32))
        .with("code", code)
        .with("usesLeft", uses);
    state
        .store
        .create_row(TABLE, &row)
        .await
        .map_err(store_error)?;
    Ok(Json(json!({ "code": code, "usesLeft": uses })))
}

async fn check_invite(
    State(state): State<AppState>,
    Json(body): Json<Value>,
) -> Result<Json<Value>, ApiError> {
    let code = body["code"].as_str().ok_or_else(invalid_invite_code)?;
    let row = state
        .store
        .find_row(TABLE, &[Where::eq("code", code)])
        .await
        .map_err(store_error)?
        .filter(|row| row.int("usesLeft").unwrap_or(0) > 0)
        .ok_or_else(invalid_invite_code)?;
    Ok(Json(
        json!({ "valid": true, "usesLeft": row.int("usesLeft") }),
    ))
}

/// Takes one use of the code, by compare-and-set so concurrent sign-ups never share the last one.
async fn spend_invite(state: &AppState, code: Option<&Value>) -> Result<String, ApiError> {
    let code = code
        .and_then(Value::as_str)
        .ok_or_else(invalid_invite_code)?;
    let by_code = [Where::eq("code", code)];
    loop {
        let row = state
            .store
            .find_row(TABLE, &by_code)
            .await
            .map_err(store_error)?;
        let left = row.and_then(|r| r.int("usesLeft")).unwrap_or(0);
        if left <= 0 {
            return Err(invalid_invite_code());
        }
        let spent = state
            .store
            .compare_and_set(
                TABLE,
                &by_code,
                "usesLeft",
                &left.into(),
                &(left - 1).into(),
            )
            .await
            .map_err(store_error)?;
        if spent {
            return Ok(code.to_owned());
        }
    }
}

struct InviteOnly;

#[async_trait]
impl Plugin for InviteOnly {
    fn id(&self) -> &'static str {
        "invite-only"
    }

    fn tables(&self) -> Vec<Table> {
        vec![invite_table()]
    }

    fn user_fields(&self) -> Vec<Arc<Column>> {
        vec![Arc::clone(&INVITED_WITH)]
    }

    fn router(&self) -> Router<AppState> {
        Router::new()
            .route("/invite/create", post(create_invite))
            .route("/invite/check", post(check_invite))
    }

    async fn before_sign_up(
        &self,
        state: &AppState,
        route: SignUpRoute,
        body: &Map<String, Value>,
        user: &mut User,
    ) -> Result<(), ApiError> {
        if route != SignUpRoute::Email {
            return Ok(());
        }
        let code = spend_invite(state, body.get("inviteCode")).await?;
        user.additional.set(Arc::clone(&INVITED_WITH), code.into());
        Ok(())
    }

    fn rate_limit_rule(&self, route: &str) -> Option<Rule> {
        route
            .starts_with("/invite/check")
            .then_some(Rule { window: 60, max: 2 })
    }
}

fn invite_only() -> Vec<Arc<dyn Plugin>> {
    vec![Arc::new(InviteOnly)]
}

fn username_plugin() -> Plugins {
    Plugins {
        username: true,
        ..Plugins::NONE
    }
}

async fn create(b: &Browser, code: &str, uses: i64) {
    let r = b
        .post(
            "/api/auth/invite/create",
            json!({"code": code, "uses": uses}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
}

#[tokio::test]
async fn the_plugins_routes_use_its_own_table_with_its_error_code() {
    for_each_store_with_own_plugins(
        Plugins::NONE,
        |_| {},
        invite_only,
        |app| async move {
            let b = Browser::new(&app);
            create(&b, INVITE, 3).await;
            let r = b
                .post("/api/auth/invite/check", json!({"code": INVITE}))
                .await;
            assert_eq!(r.status, 200, "{}", r.text());
            assert_eq!(r.json(), json!({"valid": true, "usesLeft": 3}));
            // The code is unique: the table's constraint, created by migrate, holds.
            let r = b
                .post(
                    "/api/auth/invite/create",
                    json!({"code": INVITE, "uses": 1}),
                )
                .await;
            assert_eq!(r.status, 500);

            let r = b
                .post("/api/auth/invite/check", json!({"code": "guess"}))
                .await;
            assert_eq!(r.status, 400);
            assert_eq!(r.json()["code"], "INVALID_INVITE_CODE");
            assert_eq!(r.json()["message"], "Invalid invite code");
        },
    )
    .await;
}

#[tokio::test]
async fn sign_up_runs_the_plugins_hook_and_writes_nothing_when_it_refuses() {
    for_each_store_with_own_plugins(Plugins::NONE, |_| {}, invite_only, |app| async move {
        let b = Browser::new(&app);
        let body = json!({"name": "Eve", "email": "eve@example.com", "password": "correct horse battery"});
        let r = b.post("/api/auth/sign-up/email", body).await;
        assert_eq!(r.status, 400, "{}", r.text());
        assert_eq!(r.json()["code"], "INVALID_INVITE_CODE");
        let stored = app.store.find_user_by_email("eve@example.com").await.unwrap();
        assert!(stored.is_none(), "a refused sign-up wrote a user");

        create(&b, INVITE, 1).await;
        let body = json!({
            "name": "Ada", "email": "ada@example.com", "password": "correct horse battery",
            "inviteCode": INVITE,
        });
        let r = b.post("/api/auth/sign-up/email", body).await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert!(app.store.find_user_by_email("ada@example.com").await.unwrap().is_some());
        let left = app
            .store
            .find_row(TABLE, &[Where::eq("code", INVITE)])
            .await
            .unwrap()
            .and_then(|row| row.int("usesLeft"));
        assert_eq!(left, Some(0));
    })
    .await;
}

#[tokio::test]
async fn the_plugins_column_on_user_is_written_by_its_hook_returned_and_refused_as_input() {
    for_each_store_with_own_plugins(Plugins::NONE, |_| {}, invite_only, |app| async move {
        let b = Browser::new(&app);
        create(&b, INVITE, 2).await;
        let forged = json!({
            "name": "Mallory", "email": "mallory@example.com", "password": "correct horse battery",
            "inviteCode": INVITE, "invitedWith": "SOMETHING-ELSE",
        });
        let r = b.post("/api/auth/sign-up/email", forged).await;
        assert_eq!(r.status, 400, "{}", r.text());
        assert_eq!(r.json()["code"], "FIELD_NOT_ALLOWED");

        let body = json!({
            "name": "Ada", "email": "ada@example.com", "password": "correct horse battery",
            "inviteCode": INVITE,
        });
        let r = b.post("/api/auth/sign-up/email", body).await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.json()["user"]["invitedWith"], INVITE);
        let session = b.get("/api/auth/get-session").await;
        assert_eq!(session.json()["user"]["invitedWith"], INVITE);
        // The column is real: migrated onto `user` and read back by the store.
        let stored = app.store.find_user_by_email("ada@example.com").await.unwrap().unwrap();
        assert_eq!(stored.additional.text("invitedWith"), Some(INVITE));
    })
    .await;
}

#[tokio::test]
async fn concurrent_sign_ups_take_an_invites_uses_exactly_once() {
    for_each_store_with_own_plugins(
        Plugins::NONE,
        |_| {},
        invite_only,
        |app| async move {
            create(&Browser::new(&app), INVITE, 3).await;
            let attempts = (0..6).map(|i| {
                let app = Arc::clone(&app);
                async move {
                    let body = json!({
                        "name": "Racer", "email": format!("racer{i}@example.com"),
                        "password": "correct horse battery", "inviteCode": INVITE,
                    });
                    Browser::new(&app)
                        .post("/api/auth/sign-up/email", body)
                        .await
                        .status
                }
            });
            let statuses = futures::future::join_all(attempts).await;
            assert_eq!(
                statuses.iter().filter(|s| **s == 200).count(),
                3,
                "{statuses:?}"
            );
            assert_eq!(
                statuses.iter().filter(|s| **s == 400).count(),
                3,
                "{statuses:?}"
            );
        },
    )
    .await;
}

#[tokio::test]
async fn configured_plugins_hooks_run_before_the_apps_own() {
    for_each_store_with_own_plugins(
        username_plugin(),
        |_| {},
        invite_only,
        |app| async move {
            // Both refuse this body; the username plugin, configured, is asked first.
            let body = json!({
                "name": "Bob", "email": "bob@example.com", "password": "correct horse battery",
                "username": "no spaces allowed",
            });
            let r = Browser::new(&app)
                .post("/api/auth/sign-up/email", body)
                .await;
            assert_eq!(r.status, 400, "{}", r.text());
            assert_eq!(r.json()["code"], "INVALID_USERNAME");
        },
    )
    .await;
}

fn rate_limited(config: &mut tessera_core::config::Config) {
    config.rate_limit.enabled = true;
}

#[tokio::test]
async fn the_plugins_rate_limit_rule_applies_to_its_routes() {
    for_each_store_with_own_plugins(Plugins::NONE, rate_limited, invite_only, |app| async move {
        let b = Browser::new(&app).from_ip("203.0.113.9");
        create(&b, INVITE, 1).await;
        for _ in 0..2 {
            let r = b
                .post("/api/auth/invite/check", json!({"code": INVITE}))
                .await;
            assert_eq!(r.status, 200, "{}", r.text());
        }
        let r = b
            .post("/api/auth/invite/check", json!({"code": INVITE}))
            .await;
        assert_eq!(r.status, 429, "{}", r.text());
    })
    .await;
}

#[tokio::test]
async fn without_the_plugin_its_route_does_not_exist() {
    support::for_each_store(Plugins::NONE, |app| async move {
        let r = Browser::new(&app)
            .post("/api/auth/invite/check", json!({"code": INVITE}))
            .await;
        assert_eq!(r.status, 404);
    })
    .await;
}
