//! A plugin that exists only in this test: invite-only sign-up. It is registered from here with
//! `AppState::with_plugins`, without a line under `src/`, and so proves that a plugin is one unit:
//! its route is served, its sign-up hook runs on the one path that creates users, its error code
//! is answered as Better Auth answers a plugin's `$ERROR_CODES`, and its rate-limit rule applies.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use std::sync::Arc;

use async_trait::async_trait;
use axum::routing::post;
use axum::{Json, Router};
use http::StatusCode;
use serde_json::{Map, Value, json};
use support::{Browser, for_each_store_with_own_plugins};
use tessera_core::model::User;
use tessera_core::plugins::Plugins;
use tessera_server::AppState;
use tessera_server::error::ApiError;
use tessera_server::plugins::{Plugin, SignUpRoute};
use tessera_server::rate_limit::Rule;

const INVITE: &str = "OPEN-SESAME";

fn invalid_invite_code() -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "INVALID_INVITE_CODE",
        "Invalid invite code",
    )
}

fn check(code: Option<&Value>) -> Result<(), ApiError> {
    match code.and_then(Value::as_str) {
        Some(INVITE) => Ok(()),
        _ => Err(invalid_invite_code()),
    }
}

async fn check_invite(Json(body): Json<Value>) -> Result<Json<Value>, ApiError> {
    check(body.get("code"))?;
    Ok(Json(json!({ "valid": true })))
}

struct InviteOnly;

#[async_trait]
impl Plugin for InviteOnly {
    fn id(&self) -> &'static str {
        "invite-only"
    }

    fn router(&self) -> Router<AppState> {
        Router::new().route("/invite/check", post(check_invite))
    }

    async fn before_sign_up(
        &self,
        _state: &AppState,
        route: SignUpRoute,
        body: &Map<String, Value>,
        _user: &mut User,
    ) -> Result<(), ApiError> {
        match route {
            SignUpRoute::Email => check(body.get("inviteCode")),
            _ => Ok(()),
        }
    }

    fn rate_limit_rule(&self, route: &str) -> Option<Rule> {
        route
            .starts_with("/invite/")
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

#[tokio::test]
async fn the_plugins_route_is_served_with_its_error_code() {
    for_each_store_with_own_plugins(
        Plugins::NONE,
        |_| {},
        invite_only,
        |app| async move {
            let b = Browser::new(&app);
            let r = b
                .post("/api/auth/invite/check", json!({"code": INVITE}))
                .await;
            assert_eq!(r.status, 200, "{}", r.text());
            assert_eq!(r.json(), json!({"valid": true}));

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

        let body = json!({
            "name": "Ada", "email": "ada@example.com", "password": "correct horse battery",
            "inviteCode": INVITE,
        });
        let r = b.post("/api/auth/sign-up/email", body).await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert!(app.store.find_user_by_email("ada@example.com").await.unwrap().is_some());
    })
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
