//! The multi-session plugin's hooks over HTTP: a server without the plugin sets no multi cookie,
//! a flood of made-up multi cookies costs a bounded amount and changes nothing, and sign-out ends
//! every session the browser holds. (The routes' full behaviour is checked against real Better
//! Auth by `compat/test/plugin-multi-session.test.mjs`.)

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use serde_json::json;
use support::{Browser, Response, TestApp, for_each_store};
use tessera_core::plugins::Plugins;

const PASSWORD: &str = "correct horse battery";
const SESSION: &str = "better-auth.session_token";

fn multi_session() -> Plugins {
    Plugins {
        multi_session: true,
        ..Plugins::NONE
    }
}

fn multi_cookie_lines(r: &Response) -> Vec<String> {
    r.headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter(|line| line.contains("_multi-"))
        .map(str::to_owned)
        .collect()
}

async fn exists(app: &TestApp, token: &str) -> bool {
    app.store
        .find_session_and_user(token)
        .await
        .unwrap()
        .is_some()
}

#[tokio::test]
async fn without_the_plugin_no_multi_cookie_is_set_and_no_route_answers() {
    for_each_store(Plugins::NONE, |app| async move {
        let b = Browser::new(&app);
        let r = b
            .post(
                "/api/auth/sign-up/email",
                json!({"name": "Ada", "email": "ada@example.com", "password": PASSWORD}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert!(multi_cookie_lines(&r).is_empty());
        let r = b.get("/api/auth/multi-session/list-device-sessions").await;
        assert_eq!(r.status, 404);
    })
    .await;
}

#[tokio::test]
async fn each_new_session_gets_a_multi_cookie_named_after_its_token() {
    for_each_store(multi_session(), |app| async move {
        let b = Browser::new(&app);
        let token = b.sign_up("ada@example.com", PASSWORD).await;
        let name = format!("{SESSION}_multi-{}", token.to_lowercase());
        assert_eq!(
            b.cookie_value(&name),
            b.cookie_value(SESSION),
            "the multi cookie carries the same signed value as the session cookie"
        );
    })
    .await;
}

#[tokio::test]
async fn a_flood_of_made_up_multi_cookies_is_bounded_and_changes_nothing() {
    for_each_store(multi_session(), |app| async move {
        let other = Browser::new(&app);
        let victim = other.sign_up("victim@example.com", PASSWORD).await;
        let mut b = Browser::new(&app);
        for i in 0..500 {
            // Unsigned, and one carrying a real token with a forged signature.
            b = b.with_cookie(&format!("{SESSION}_multi-x{i}"), "junk");
        }
        b = b.with_cookie(
            &format!("{SESSION}_multi-{}", victim.to_lowercase()),
            &format!("{victim}.{}%3D", "A".repeat(43)),
        );
        let r = b
            .post(
                "/api/auth/sign-up/email",
                json!({"name": "Ada", "email": "ada@example.com", "password": PASSWORD}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
        // Better Auth's count: 501 cookies already, far past maximumSessions, so none is added.
        assert!(multi_cookie_lines(&r).is_empty());
        let r = b.get("/api/auth/multi-session/list-device-sessions").await;
        assert_eq!(r.status, 200);
        assert_eq!(r.json(), json!([]));
        let r = b.post("/api/auth/sign-out", json!({})).await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert!(multi_cookie_lines(&r).is_empty());
        assert!(exists(&app, &victim).await);
    })
    .await;
}

#[tokio::test]
async fn signing_in_again_replaces_the_earlier_session_and_sign_out_ends_them_all() {
    for_each_store(multi_session(), |app| async move {
        let b = Browser::new(&app);
        let ada = b.sign_up("ada@example.com", PASSWORD).await;
        let bob = b.sign_up("bob@example.com", PASSWORD).await;
        let again = b.sign_in("ada@example.com", PASSWORD).await;
        assert!(!exists(&app, &ada).await);
        assert!(exists(&app, &bob).await && exists(&app, &again).await);
        let elsewhere = Browser::new(&app)
            .sign_in("bob@example.com", PASSWORD)
            .await;

        let r = b.post("/api/auth/sign-out", json!({})).await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(multi_cookie_lines(&r).len(), 2);
        assert!(!exists(&app, &bob).await && !exists(&app, &again).await);
        assert!(exists(&app, &elsewhere).await);
    })
    .await;
}
