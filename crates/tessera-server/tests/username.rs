//! The username plugin over HTTP (reference §3.4): usernames on sign-up and update-user,
//! `POST /sign-in/username` and `POST /is-username-available`, on SQLite and (when
//! `TESSERA_TEST_POSTGRES_URL` is set) PostgreSQL.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use std::sync::Arc;
use tessera_core::plugins::accessors::*;
use tessera_core::plugins::admin;

use serde_json::{Value, json};
use support::{Browser, Response, TestApp, for_each_store};
use tessera_core::model::{User, UserPatch};
use tessera_core::plugins::Plugins;

const PASSWORD: &str = "correct horse battery";

fn username_only() -> Plugins {
    Plugins {
        username: true,
        ..Plugins::NONE
    }
}

async fn sign_up(b: &Browser, email: &str, extra: Value) -> Response {
    let mut body = json!({"name": "Someone", "email": email, "password": PASSWORD});
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    b.post("/api/auth/sign-up/email", body).await
}

fn error(r: &Response) -> (u16, Value, Value) {
    let body = r.json();
    (r.status, body["code"].clone(), body["message"].clone())
}

async fn user_by_email(app: &TestApp, email: &str) -> User {
    app.store.find_user_by_email(email).await.unwrap().unwrap()
}

#[tokio::test]
async fn sign_up_stores_the_username_lowercased_and_the_display_username_as_typed() {
    for_each_store(username_only(), |app| async move {
        let r = sign_up(
            &Browser::new(&app),
            "ada@example.com",
            json!({"username": "Ada.Lovelace_1"}),
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.json()["user"]["username"], "ada.lovelace_1");
        assert_eq!(r.json()["user"]["displayUsername"], "Ada.Lovelace_1");
        let user = user_by_email(&app, "ada@example.com").await;
        assert_eq!(user.username(), Some("ada.lovelace_1"));
        assert_eq!(user.display_username(), Some("Ada.Lovelace_1"));

        let r = sign_up(
            &Browser::new(&app),
            "bob@example.com",
            json!({"username": "Bob", "displayUsername": "Bobby Tables ✓"}),
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.text());
        let user = user_by_email(&app, "bob@example.com").await;
        assert_eq!(user.username(), Some("bob"));
        assert_eq!(
            user.display_username(),
            Some("Bobby Tables ✓"),
            "displayUsername is free text"
        );

        let r = sign_up(&Browser::new(&app), "cy@example.com", json!({})).await;
        assert_eq!(r.status, 200);
        assert_eq!(
            (
                r.json()["user"]["username"].clone(),
                r.json()["user"]["displayUsername"].clone()
            ),
            (Value::Null, Value::Null)
        );
    })
    .await;
}

#[tokio::test]
async fn a_lone_display_username_becomes_the_username_when_it_would_pass_as_one() {
    for_each_store(username_only(), |app| async move {
        let r = sign_up(
            &Browser::new(&app),
            "dee@example.com",
            json!({"displayUsername": "DeeDee"}),
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.text());
        let user = user_by_email(&app, "dee@example.com").await;
        assert_eq!(
            (user.username(), user.display_username()),
            (Some("deedee"), Some("DeeDee"))
        );

        let r = sign_up(
            &Browser::new(&app),
            "eve@example.com",
            json!({"displayUsername": "Eve Online"}),
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.text());
        let user = user_by_email(&app, "eve@example.com").await;
        assert_eq!(
            (user.username(), user.display_username()),
            (None, Some("Eve Online"))
        );

        // Derived from the display name, still subject to the taken check.
        let r = sign_up(
            &Browser::new(&app),
            "dee2@example.com",
            json!({"displayUsername": "DEEDEE"}),
        )
        .await;
        assert_eq!(error(&r).1, "USERNAME_IS_ALREADY_TAKEN");
    })
    .await;
}

#[tokio::test]
async fn sign_up_refuses_bad_and_taken_usernames_with_400_and_writes_nothing() {
    for_each_store(username_only(), |app| async move {
        let cases = [
            (
                json!({"username": "ab"}),
                "USERNAME_TOO_SHORT",
                "Username is too short",
            ),
            (
                json!({"username": "a".repeat(31)}),
                "USERNAME_TOO_LONG",
                "Username is too long",
            ),
            (
                json!({"username": "no spaces"}),
                "INVALID_USERNAME",
                "Username is invalid",
            ),
            (
                json!({"username": "ab!"}),
                "INVALID_USERNAME",
                "Username is invalid",
            ),
            (
                json!({"username": ""}),
                "USERNAME_TOO_SHORT",
                "Username is too short",
            ),
            (
                json!({"username": 12345}),
                "INVALID_USERNAME",
                "Username is invalid",
            ),
            (
                json!({"username": "fine_name", "displayUsername": 7}),
                "INVALID_DISPLAY_USERNAME",
                "Display username is invalid",
            ),
        ];
        for (extra, code, message) in cases {
            let r = sign_up(&Browser::new(&app), "zed@example.com", extra.clone()).await;
            assert_eq!(error(&r), (400, json!(code), json!(message)), "{extra}");
            assert!(
                app.store
                    .find_user_by_email("zed@example.com")
                    .await
                    .unwrap()
                    .is_none()
            );
        }

        assert_eq!(
            sign_up(
                &Browser::new(&app),
                "first@example.com",
                json!({"username": "Taken"})
            )
            .await
            .status,
            200
        );
        let r = sign_up(
            &Browser::new(&app),
            "second@example.com",
            json!({"username": "TAKEN"}),
        )
        .await;
        assert_eq!(
            error(&r),
            (
                400,
                json!("USERNAME_IS_ALREADY_TAKEN"),
                json!("Username is already taken. Please try another.")
            )
        );
        assert!(
            app.store
                .find_user_by_email("second@example.com")
                .await
                .unwrap()
                .is_none()
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_sign_ups_for_one_username_get_one_account_and_never_a_500() {
    for_each_store(username_only(), |app| async move {
        let tasks: Vec<_> = (0..6)
            .map(|i| {
                let b = Browser::new(&app);
                tokio::spawn(async move {
                    sign_up(
                        &b,
                        &format!("racer{i}@example.com"),
                        json!({"username": "Contested"}),
                    )
                    .await
                })
            })
            .collect();
        let mut statuses = Vec::new();
        for t in tasks {
            let r = t.await.unwrap();
            if r.status != 200 {
                assert_eq!(error(&r).1, "USERNAME_IS_ALREADY_TAKEN", "{}", r.text());
            }
            statuses.push(r.status);
        }
        assert_eq!(
            statuses.iter().filter(|s| **s == 200).count(),
            1,
            "{statuses:?}"
        );
        assert!(
            app.store
                .find_user_by_field("username", "contested")
                .await
                .unwrap()
                .is_some()
        );
    })
    .await;
}

#[tokio::test]
async fn update_user_sets_changes_and_clears_the_username() {
    for_each_store(username_only(), |app| async move {
        let other = Browser::new(&app);
        assert_eq!(
            sign_up(
                &other,
                "other@example.com",
                json!({"username": "other_one"})
            )
            .await
            .status,
            200
        );
        let b = Browser::new(&app);
        assert_eq!(sign_up(&b, "fay@example.com", json!({})).await.status, 200);

        let r = b
            .post("/api/auth/update-user", json!({"username": "Fay.Wray"}))
            .await;
        assert_eq!((r.status, r.json()), (200, json!({"status": true})));
        let user = user_by_email(&app, "fay@example.com").await;
        assert_eq!(
            (user.username(), user.display_username()),
            (Some("fay.wray"), None),
            "update-user does not default displayUsername"
        );

        let r = b
            .post(
                "/api/auth/update-user",
                json!({"username": "FAY.WRAY", "displayUsername": "Fay W."}),
            )
            .await;
        assert_eq!(
            r.status,
            200,
            "keeping one's own username is not a conflict: {}",
            r.text()
        );
        let user = user_by_email(&app, "fay@example.com").await;
        assert_eq!(
            (user.username(), user.display_username()),
            (Some("fay.wray"), Some("Fay W."))
        );

        for (body, code) in [
            (
                json!({"username": "Other_One"}),
                "USERNAME_IS_ALREADY_TAKEN",
            ),
            (json!({"username": "xy"}), "USERNAME_TOO_SHORT"),
            (json!({"username": "b".repeat(31)}), "USERNAME_TOO_LONG"),
            (json!({"username": "semi;colon"}), "INVALID_USERNAME"),
            (
                json!({"displayUsername": ["x"]}),
                "INVALID_DISPLAY_USERNAME",
            ),
        ] {
            let r = b.post("/api/auth/update-user", body.clone()).await;
            assert_eq!((r.status, error(&r).1), (400, json!(code)), "{body}");
        }
        assert_eq!(
            user_by_email(&app, "fay@example.com").await.username(),
            Some("fay.wray")
        );

        let r = b
            .post(
                "/api/auth/update-user",
                json!({"username": null, "displayUsername": null}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
        let user = user_by_email(&app, "fay@example.com").await;
        assert_eq!(
            (
                user.username().map(str::to_owned),
                user.display_username().map(str::to_owned)
            ),
            (None, None)
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_updates_to_one_username_get_one_winner_and_never_a_500() {
    for_each_store(username_only(), |app| async move {
        let mut browsers = Vec::new();
        for i in 0..4 {
            let b = Browser::new(&app);
            assert_eq!(
                sign_up(&b, &format!("upd{i}@example.com"), json!({}))
                    .await
                    .status,
                200
            );
            browsers.push(b);
        }
        let tasks: Vec<_> = browsers
            .into_iter()
            .map(|b| {
                tokio::spawn(async move {
                    b.post("/api/auth/update-user", json!({"username": "the_one"}))
                        .await
                })
            })
            .collect();
        let mut winners = 0;
        for t in tasks {
            let r = t.await.unwrap();
            match r.status {
                200 => winners += 1,
                _ => assert_eq!(error(&r).1, "USERNAME_IS_ALREADY_TAKEN", "{}", r.text()),
            }
        }
        assert_eq!(winners, 1);
    })
    .await;
}

#[tokio::test]
async fn sign_in_by_username_answers_like_sign_in_by_email() {
    for_each_store(username_only(), |app| async move {
        assert_eq!(sign_up(&Browser::new(&app), "gus@example.com", json!({"username": "Gus"})).await.status, 200);

        let by_email = Browser::new(&app)
            .post("/api/auth/sign-in/email", json!({"email": "gus@example.com", "password": PASSWORD}))
            .await;
        let b = Browser::new(&app);
        let r = b.post("/api/auth/sign-in/username", json!({"username": "GUS", "password": PASSWORD})).await;
        assert_eq!(r.status, 200, "{}", r.text());
        let keys = |r: &Response| r.json().as_object().unwrap().keys().cloned().collect::<Vec<_>>();
        assert_eq!(keys(&r), ["redirect", "token", "user"]);
        assert_eq!(keys(&r), keys(&by_email));
        assert_eq!(r.json()["redirect"], false);
        assert_eq!(r.json()["user"], by_email.json()["user"]);
        assert!(r.header("location").is_none());
        let cookie = r.set_cookie("better-auth.session_token").unwrap();
        assert!(cookie.contains("Max-Age=604800"), "{cookie}");

        let session = b.get("/api/auth/get-session").await.json();
        assert_eq!(session["session"]["token"], r.json()["token"]);
        assert_eq!(session["user"]["username"], "gus");

        let r = Browser::new(&app)
            .post(
                "/api/auth/sign-in/username",
                json!({"username": "gus", "password": PASSWORD, "rememberMe": false, "callbackURL": "/dashboard"}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(keys(&r), ["redirect", "token", "url", "user"]);
        assert_eq!((r.json()["redirect"].clone(), r.json()["url"].clone()), (json!(true), json!("/dashboard")));
        assert_eq!(r.header("location").as_deref(), Some("/dashboard"));
        let cookie = r.set_cookie("better-auth.session_token").unwrap();
        assert!(!cookie.contains("Max-Age"), "a browser-session cookie: {cookie}");
        assert!(r.set_cookie("better-auth.dont_remember").is_some());

        let r = Browser::new(&app)
            .post(
                "/api/auth/sign-in/username",
                json!({"username": "gus", "password": PASSWORD, "callbackURL": "https://evil.example"}),
            )
            .await;
        assert_eq!((r.status, error(&r).1), (403, json!("INVALID_CALLBACK_URL")));
    })
    .await;
}

#[tokio::test]
async fn sign_in_by_username_refusals() {
    for_each_store(username_only(), |app| async move {
        assert_eq!(
            sign_up(
                &Browser::new(&app),
                "hal@example.com",
                json!({"username": "hal9000"})
            )
            .await
            .status,
            200
        );
        // A user holding a username but no password (e.g. signed up by phone or OAuth).
        let now = tessera_core::timefmt::now_ms();
        let mut nopass = User::new(
            tessera_core::crypto::random::generate_id(32),
            "No Pass".into(),
            "nopass@example.com".into(),
            true,
            now,
        );
        nopass.set_username(Some("nopass".into()));
        app.store.create_user(&nopass, &[]).await.unwrap();

        let invalid = (
            401,
            json!("INVALID_USERNAME_OR_PASSWORD"),
            json!("Invalid username or password"),
        );
        let post = |body: Value| {
            let b = Browser::new(&app);
            async move { b.post("/api/auth/sign-in/username", body).await }
        };
        for body in [
            json!({"username": "hal9000", "password": "wrong password!"}),
            json!({"username": "nobody_here", "password": PASSWORD}),
            json!({"username": "nopass", "password": PASSWORD}),
            json!({"username": "", "password": PASSWORD}),
            json!({"username": "hal9000", "password": ""}),
        ] {
            let r = post(body.clone()).await;
            assert_eq!(error(&r), invalid, "{body}");
            assert!(r.set_cookie("better-auth.session_token").is_none());
        }
        for (username, code) in [
            ("ab", "USERNAME_TOO_SHORT"),
            (&*"c".repeat(31), "USERNAME_TOO_LONG"),
            ("hal 9000", "INVALID_USERNAME"),
        ] {
            let r = post(json!({"username": username, "password": PASSWORD})).await;
            assert_eq!((r.status, error(&r).1), (422, json!(code)), "{username}");
        }
        let r = post(json!({"username": "hal9000"})).await;
        assert_eq!(
            error(&r),
            (
                400,
                json!("VALIDATION_ERROR"),
                json!("[body.password] Invalid input: expected string, received undefined")
            )
        );
        let r = post(json!({"username": "hal9000", "password": "x".repeat(129)})).await;
        assert_eq!((r.status, error(&r).1), (400, json!("PASSWORD_TOO_LONG")));
    })
    .await;
}

#[tokio::test]
async fn banned_users_cannot_sign_in_by_username() {
    for_each_store(Plugins::ALL, |app| async move {
        assert_eq!(
            sign_up(
                &Browser::new(&app),
                "ivy@example.com",
                json!({"username": "ivy"})
            )
            .await
            .status,
            200
        );
        let user = user_by_email(&app, "ivy@example.com").await;
        let ban = UserPatch::default().with(&admin::BANNED, true);
        app.store
            .update_user(&user.id, &ban, tessera_core::timefmt::now_ms())
            .await
            .unwrap();
        let r = Browser::new(&app)
            .post(
                "/api/auth/sign-in/username",
                json!({"username": "ivy", "password": PASSWORD}),
            )
            .await;
        assert_eq!((r.status, error(&r).1), (403, json!("BANNED_USER")));
        assert!(r.set_cookie("better-auth.session_token").is_none());
    })
    .await;
}

#[tokio::test]
async fn is_username_available_checks_the_normalised_name() {
    for_each_store(username_only(), |app| async move {
        assert_eq!(
            sign_up(
                &Browser::new(&app),
                "jo@example.com",
                json!({"username": "Jo_Jo"})
            )
            .await
            .status,
            200
        );
        let ask = |body: Value| {
            let b = Browser::new(&app);
            async move { b.post("/api/auth/is-username-available", body).await }
        };
        let r = ask(json!({"username": "JO_JO"})).await;
        assert_eq!((r.status, r.json()), (200, json!({"available": false})));
        let r = ask(json!({"username": "jo_jo_2"})).await;
        assert_eq!((r.status, r.json()), (200, json!({"available": true})));
        for (username, code) in [
            ("", "INVALID_USERNAME"),
            ("jo", "USERNAME_TOO_SHORT"),
            (&*"j".repeat(31), "USERNAME_TOO_LONG"),
            ("jo-jo", "INVALID_USERNAME"),
        ] {
            let r = ask(json!({"username": username})).await;
            assert_eq!((r.status, error(&r).1), (422, json!(code)), "{username:?}");
        }
        let r = ask(json!({})).await;
        assert_eq!((r.status, error(&r).1), (400, json!("VALIDATION_ERROR")));
    })
    .await;
}

#[tokio::test]
async fn without_the_plugin_the_routes_do_not_exist_and_usernames_are_ignored() {
    let app = Arc::new(TestApp::sqlite(Plugins::NONE).await);
    for path in [
        "/api/auth/sign-in/username",
        "/api/auth/is-username-available",
    ] {
        let r = Browser::new(&app)
            .post(path, json!({"username": "abc", "password": PASSWORD}))
            .await;
        assert_eq!((r.status, r.body.len()), (404, 0), "{path}");
    }
    let r = sign_up(
        &Browser::new(&app),
        "kit@example.com",
        json!({"username": "x"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.json()["user"].get("username").is_none());
}
