//! The HTTP surface, in-process: every test builds the real router over a real database (a fresh
//! SQLite file always; a fresh PostgreSQL database too when `TESSERA_TEST_POSTGRES_URL` is set)
//! and drives it as a browser would.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use serde_json::{Value, json};
use support::{Browser, TestApp, for_each_store, for_each_store_configured};
use tessera_core::model::FieldValue;
use tessera_core::plugins::Plugins;
use tessera_core::plugins::accessors::*;
use tessera_core::plugins::admin;

const PASSWORD: &str = "correct horse battery";

#[tokio::test]
async fn ok_answers_true_and_unknown_paths_are_empty_404s() {
    for_each_store(Plugins::NONE, |app| async move {
        let b = Browser::new(&app);
        let r = b.get("/api/auth/ok").await;
        assert_eq!((r.status, r.json()), (200, json!({"ok": true})));
        for path in [
            "/api/auth/nope",
            "/api/auth/ok/",
            "/elsewhere",
            "/api/auth//ok",
        ] {
            let r = b.get(path).await;
            assert_eq!(r.status, 404, "{path}");
            assert!(r.body.is_empty(), "{path}");
            assert!(r.header("content-type").is_none(), "{path}");
        }
        let r = b.post("/api/auth/ok", json!({})).await;
        assert_eq!(
            r.status, 404,
            "wrong method is an unknown route, as in Better Auth"
        );
    })
    .await;
}

#[tokio::test]
async fn sign_up_creates_user_credential_and_session() {
    for_each_store(Plugins::ALL, |app| async move {
        let b = Browser::new(&app);
        let r = b
            .post(
                "/api/auth/sign-up/email",
                json!({"name": "Alice", "email": "Alice@Example.COM", "password": PASSWORD}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
        let body = r.json();
        let token = body["token"].as_str().unwrap();
        assert_eq!(token.len(), 32);
        let user = &body["user"];
        assert_eq!(user["email"], "alice@example.com");
        assert_eq!(user["emailVerified"], false);
        assert_eq!(user["image"], Value::Null);
        assert_eq!(user["role"], "user");
        assert_eq!(user["banned"], false);
        assert_eq!(user["twoFactorEnabled"], false);
        assert_eq!(user["phoneNumberVerified"], Value::Null);
        let keys: Vec<&str> = user
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            [
                "name",
                "email",
                "emailVerified",
                "image",
                "createdAt",
                "updatedAt",
                "role",
                "banned",
                "banReason",
                "banExpires",
                "twoFactorEnabled",
                "username",
                "displayUsername",
                "phoneNumber",
                "phoneNumberVerified",
                "id"
            ]
        );
        support::assert_iso_ms(user["createdAt"].as_str().unwrap());

        let cookie = r.set_cookie("better-auth.session_token").unwrap();
        assert!(cookie.starts_with(&format!("better-auth.session_token={token}.")));
        assert!(
            cookie.ends_with("%3D; Max-Age=604800; Path=/; HttpOnly; SameSite=Lax"),
            "{cookie}"
        );

        let user_id = user["id"].as_str().unwrap();
        let account = app
            .store
            .find_credential_account(user_id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(account.account_id, user_id);
        let hash = account.password.unwrap();
        let (salt, key) = hash.split_once(':').unwrap();
        assert_eq!(
            (salt.len(), key.len()),
            (32, 128),
            "Better Auth's scrypt salt:key"
        );
    })
    .await;
}

#[tokio::test]
async fn duplicate_sign_up_is_422_and_writes_nothing() {
    for_each_store(Plugins::NONE, |app| async move {
        let b = Browser::new(&app);
        b.sign_up("bob@example.com", PASSWORD).await;
        let other = Browser::new(&app);
        let r = other
            .post(
                "/api/auth/sign-up/email",
                json!({"name": "Bob 2", "email": "BOB@example.com", "password": "another password"}),
            )
            .await;
        assert_eq!(r.status, 422);
        assert_eq!(
            r.text(),
            r#"{"message":"User already exists. Use another email.","code":"USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL"}"#
        );
        assert!(r.set_cookie("better-auth.session_token").is_none());
        let user = app.store.find_user_by_email("bob@example.com").await.unwrap().unwrap();
        assert_eq!(user.name, "Bob");
    })
    .await;
}

#[tokio::test]
async fn sign_up_validation_errors_are_better_auths() {
    for_each_store(Plugins::ALL, |app| async move {
        let b = Browser::new(&app);
        let cases = [
            (
                json!({"email": "a@example.com", "password": PASSWORD}),
                400,
                "VALIDATION_ERROR",
                Some("[body.name] Invalid input: expected string, received undefined"),
            ),
            (
                json!({"name": "A", "email": "not-an-email", "password": PASSWORD}),
                400,
                "VALIDATION_ERROR",
                Some("[body.email] Invalid email address"),
            ),
            (
                json!({"name": 7, "email": "a@example.com", "password": PASSWORD}),
                400,
                "VALIDATION_ERROR",
                Some("[body.name] Invalid input: expected string, received number"),
            ),
            (json!({"name": "A", "email": "a@example.com", "password": "short"}), 400, "PASSWORD_TOO_SHORT", None),
            (
                json!({"name": "A", "email": "a@example.com", "password": "x".repeat(129)}),
                400,
                "PASSWORD_TOO_LONG",
                None,
            ),
            (
                json!({"name": "A", "email": "a@example.com", "password": PASSWORD, "role": "admin"}),
                400,
                "FIELD_NOT_ALLOWED",
                Some("role is not allowed to be set"),
            ),
        ];
        for (body, status, code, message) in cases {
            let r = b.post("/api/auth/sign-up/email", body.clone()).await;
            assert_eq!(r.status, status, "{body}: {}", r.text());
            assert_eq!(r.json()["code"], code, "{body}");
            if let Some(m) = message {
                assert_eq!(r.json()["message"], m);
            }
        }
        assert!(app.store.find_user_by_email("a@example.com").await.unwrap().is_none());
    })
    .await;
}

#[tokio::test]
async fn password_length_counts_code_points_after_nfkc() {
    for_each_store(Plugins::NONE, |app| async move {
        let b = Browser::new(&app);
        // 8 × "é" decomposed is 16 UTF-16 units but 8 code points after NFKC: accepted.
        let decomposed = "e\u{301}".repeat(8);
        let r = b
            .post(
                "/api/auth/sign-up/email",
                json!({"name": "E", "email": "e@example.com", "password": decomposed}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
        // Composed and decomposed forms are the same password.
        let composed = "\u{e9}".repeat(8);
        let r = Browser::new(&app)
            .post(
                "/api/auth/sign-in/email",
                json!({"email": "e@example.com", "password": composed}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
        // 64 emoji are 64 code points: within 128.
        let emoji = "\u{1F600}".repeat(64);
        let r = Browser::new(&app)
            .post(
                "/api/auth/sign-up/email",
                json!({"name": "F", "email": "f@example.com", "password": emoji}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
    })
    .await;
}

#[tokio::test]
async fn sign_in_right_wrong_and_unknown() {
    for_each_store(Plugins::NONE, |app| async move {
        Browser::new(&app).sign_up("carol@example.com", PASSWORD).await;
        let b = Browser::new(&app);
        let wrong = b
            .post("/api/auth/sign-in/email", json!({"email": "carol@example.com", "password": "wrong password"}))
            .await;
        let unknown = b
            .post("/api/auth/sign-in/email", json!({"email": "nobody@example.com", "password": "wrong password"}))
            .await;
        for r in [&wrong, &unknown] {
            assert_eq!(r.status, 401);
            assert_eq!(
                r.text(),
                r#"{"message":"Invalid email or password","code":"INVALID_EMAIL_OR_PASSWORD"}"#
            );
        }
        let bad = b.post("/api/auth/sign-in/email", json!({"email": "nope", "password": PASSWORD})).await;
        assert_eq!((bad.status, bad.json()["code"].clone()), (400, json!("INVALID_EMAIL")));

        let r = b
            .post("/api/auth/sign-in/email", json!({"email": "CAROL@example.com", "password": PASSWORD}))
            .await;
        assert_eq!(r.status, 200);
        let body = r.json();
        let keys: Vec<&str> = body.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, ["redirect", "token", "user"]);
        assert_eq!(body["redirect"], false);

        let r = b
            .post(
                "/api/auth/sign-in/email",
                json!({"email": "carol@example.com", "password": PASSWORD, "callbackURL": "/dashboard"}),
            )
            .await;
        assert_eq!(r.json()["redirect"], true);
        assert_eq!(r.json()["url"], "/dashboard");
        assert_eq!(r.header("location").as_deref(), Some("/dashboard"));
        let r = b
            .post(
                "/api/auth/sign-in/email",
                json!({"email": "carol@example.com", "password": PASSWORD, "callbackURL": "https://evil.example/"}),
            )
            .await;
        assert_eq!((r.status, r.json()["code"].clone()), (403, json!("INVALID_CALLBACK_URL")));
    })
    .await;
}

#[tokio::test]
async fn remember_me_false_makes_a_browser_session_cookie_of_one_day() {
    for_each_store(Plugins::NONE, |app| async move {
        Browser::new(&app)
            .sign_up("dan@example.com", PASSWORD)
            .await;
        let b = Browser::new(&app);
        let r = b
            .post(
                "/api/auth/sign-in/email",
                json!({"email": "dan@example.com", "password": PASSWORD, "rememberMe": false}),
            )
            .await;
        assert_eq!(r.status, 200);
        let cookie = r.set_cookie("better-auth.session_token").unwrap();
        assert!(!cookie.contains("Max-Age"), "{cookie}");
        let dont = r.set_cookie("better-auth.dont_remember").unwrap();
        assert!(
            dont.starts_with("better-auth.dont_remember=true."),
            "{dont}"
        );
        let s = b.get("/api/auth/get-session").await.json();
        let expires = support::parse_iso(s["session"]["expiresAt"].as_str().unwrap());
        let created = support::parse_iso(s["session"]["createdAt"].as_str().unwrap());
        assert_eq!((expires - created).whole_seconds(), 86_400);
    })
    .await;
}

#[tokio::test]
async fn get_session_answers_null_without_a_valid_cookie() {
    for_each_store(Plugins::NONE, |app| async move {
        let b = Browser::new(&app);
        let r = b.get("/api/auth/get-session").await;
        assert_eq!((r.status, r.text()), (200, "null".to_owned()));
        assert_eq!(r.header("cache-control").as_deref(), Some("no-store"));
        assert_eq!(
            r.header("content-type").as_deref(),
            Some("application/json")
        );

        let token = b.sign_up("erin@example.com", PASSWORD).await;
        let forged = [
            token.clone(),                                                     // unsigned raw token
            format!("{token}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA%3D"), // wrong signature
            format!("{token}.abc"), // truncated signature
            "%%%".to_owned(),
        ];
        for value in forged {
            let other = Browser::new(&app).with_cookie("better-auth.session_token", &value);
            let r = other.get("/api/auth/get-session").await;
            assert_eq!(r.text(), "null", "{value}");
        }
        let r = b.get("/api/auth/get-session").await;
        let body = r.json();
        assert_eq!(body["session"]["token"], token.as_str());
        let keys: Vec<&str> = body["session"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            [
                "expiresAt",
                "token",
                "createdAt",
                "updatedAt",
                "ipAddress",
                "userAgent",
                "userId",
                "id"
            ]
        );
        let r = b.post("/api/auth/get-session", json!({})).await;
        assert_eq!(
            (r.status, r.json()["code"].clone()),
            (405, json!("METHOD_NOT_ALLOWED_DEFER_SESSION_REQUIRED"))
        );
    })
    .await;
}

#[tokio::test]
async fn get_session_slides_the_expiry_once_a_day() {
    for_each_store(Plugins::NONE, |app| async move {
        let b = Browser::new(&app);
        let token = b.sign_up("fay@example.com", PASSWORD).await;
        let r = b.get("/api/auth/get-session").await;
        assert!(
            r.set_cookie("better-auth.session_token").is_none(),
            "fresh sessions are not refreshed"
        );

        let (session, _) = app
            .store
            .find_session_and_user(&token)
            .await
            .unwrap()
            .unwrap();
        let two_days_ago = session.expires_at - time::Duration::days(2);
        app.store
            .update_session_expiry(&session.id, two_days_ago, session.updated_at)
            .await
            .unwrap();
        let r = b.get("/api/auth/get-session").await;
        let cookie = r.set_cookie("better-auth.session_token").unwrap();
        assert!(cookie.contains("Max-Age=604800"));
        let (refreshed, _) = app
            .store
            .find_session_and_user(&token)
            .await
            .unwrap()
            .unwrap();
        assert!(refreshed.expires_at > session.expires_at - time::Duration::minutes(1));
        assert_eq!(
            r.json()["session"]["expiresAt"],
            tessera_core::timefmt::to_iso_ms(refreshed.expires_at)
        );

        app.store
            .update_session_expiry(&session.id, two_days_ago, session.updated_at)
            .await
            .unwrap();
        let r = b.get("/api/auth/get-session?disableRefresh=false").await;
        assert!(
            r.set_cookie("better-auth.session_token").is_none(),
            "any non-empty value disables refresh"
        );
    })
    .await;
}

#[tokio::test]
async fn an_expired_session_is_deleted_and_its_cookies_cleared() {
    for_each_store(Plugins::NONE, |app| async move {
        let b = Browser::new(&app);
        let token = b.sign_up("gus@example.com", PASSWORD).await;
        let (session, _) = app
            .store
            .find_session_and_user(&token)
            .await
            .unwrap()
            .unwrap();
        let past = tessera_core::timefmt::now_ms() - time::Duration::seconds(1);
        app.store
            .update_session_expiry(&session.id, past, past)
            .await
            .unwrap();
        let r = b.get("/api/auth/get-session").await;
        assert_eq!(r.text(), "null");
        assert_eq!(
            r.set_cookie("better-auth.session_token").as_deref(),
            Some("better-auth.session_token=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax")
        );
        assert!(
            app.store
                .find_session_and_user(&token)
                .await
                .unwrap()
                .is_none()
        );
    })
    .await;
}

#[tokio::test]
async fn sign_out_kills_the_session_for_good() {
    for_each_store(Plugins::NONE, |app| async move {
        let b = Browser::new(&app);
        let token = b.sign_up("hal@example.com", PASSWORD).await;
        let stolen = b.cookie_value("better-auth.session_token").unwrap();
        let r = b.post("/api/auth/sign-out", json!({})).await;
        assert_eq!((r.status, r.json()), (200, json!({"success": true})));
        assert!(r.set_cookie("better-auth.dont_remember").is_some());
        let replay = Browser::new(&app).with_cookie("better-auth.session_token", &stolen);
        assert_eq!(replay.get("/api/auth/get-session").await.text(), "null");
        assert!(
            app.store
                .find_session_and_user(&token)
                .await
                .unwrap()
                .is_none()
        );
        let r = replay
            .post("/api/auth/update-user", json!({"name": "x"}))
            .await;
        assert_eq!(
            (r.status, r.json()["code"].clone()),
            (401, json!("UNAUTHORIZED"))
        );
    })
    .await;
}

#[tokio::test]
async fn sessions_are_listed_and_revoked_by_their_owner_only() {
    for_each_store(Plugins::ALL, |app| async move {
        let laptop = Browser::new(&app);
        let t1 = laptop.sign_up("ivy@example.com", PASSWORD).await;
        let phone = Browser::new(&app);
        let t2 = phone.sign_in("ivy@example.com", PASSWORD).await;
        let tablet = Browser::new(&app);
        let t3 = tablet.sign_in("ivy@example.com", PASSWORD).await;
        let mallory = Browser::new(&app);
        mallory.sign_up("mallory@example.com", PASSWORD).await;

        let list = laptop.get("/api/auth/list-sessions").await.json();
        let tokens: Vec<&str> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["token"].as_str().unwrap())
            .collect();
        assert_eq!(tokens.len(), 3);
        assert!(
            tokens.contains(&t1.as_str())
                && tokens.contains(&t2.as_str())
                && tokens.contains(&t3.as_str())
        );
        assert_eq!(list[0]["impersonatedBy"], Value::Null);

        let r = mallory
            .post("/api/auth/revoke-session", json!({"token": t2}))
            .await;
        assert_eq!(r.json(), json!({"status": true}));
        assert!(
            app.store
                .find_session_and_user(&t2)
                .await
                .unwrap()
                .is_some(),
            "not mallory's to revoke"
        );

        laptop
            .post("/api/auth/revoke-session", json!({"token": t2}))
            .await;
        assert_eq!(phone.get("/api/auth/get-session").await.text(), "null");

        let r = laptop
            .post("/api/auth/revoke-other-sessions", json!({}))
            .await;
        assert_eq!(r.json(), json!({"status": true}));
        assert_eq!(tablet.get("/api/auth/get-session").await.text(), "null");
        assert_ne!(laptop.get("/api/auth/get-session").await.text(), "null");

        let r = laptop.post("/api/auth/revoke-sessions", json!({})).await;
        assert_eq!(r.json(), json!({"status": true}));
        assert!(
            r.set_cookie("better-auth.session_token")
                .unwrap()
                .contains("Max-Age=0")
        );
        assert!(
            app.store
                .find_session_and_user(&t1)
                .await
                .unwrap()
                .is_none()
        );
        assert_ne!(mallory.get("/api/auth/get-session").await.text(), "null");
    })
    .await;
}

#[tokio::test]
async fn update_user_changes_name_and_image_only() {
    for_each_store(Plugins::ALL, |app| async move {
        let b = Browser::new(&app);
        b.sign_up("jay@example.com", PASSWORD).await;
        let r = b
            .post(
                "/api/auth/update-user",
                json!({"name": "Jay", "image": "https://img.example/j.png"}),
            )
            .await;
        assert_eq!((r.status, r.json()), (200, json!({"status": true})));
        let s = b.get("/api/auth/get-session").await.json();
        assert_eq!(
            (s["user"]["name"].clone(), s["user"]["image"].clone()),
            (json!("Jay"), json!("https://img.example/j.png"))
        );

        let cases = [
            (
                json!({"email": "new@example.com"}),
                400,
                Some("EMAIL_CAN_NOT_BE_UPDATED"),
            ),
            (json!({}), 400, None),
            (json!({"role": "admin"}), 400, Some("FIELD_NOT_ALLOWED")),
            (json!({"emailVerified": true}), 400, None),
            (json!({"name": 5}), 400, Some("VALIDATION_ERROR")),
        ];
        for (body, status, code) in cases {
            let r = b.post("/api/auth/update-user", body.clone()).await;
            assert_eq!(r.status, status, "{body}");
            match code {
                Some(c) => assert_eq!(r.json()["code"], c, "{body}"),
                None => assert_eq!(r.text(), r#"{"message":"No fields to update"}"#),
            }
        }
        let user = app
            .store
            .find_user_by_email("jay@example.com")
            .await
            .unwrap()
            .unwrap();
        assert_eq!((user.role(), user.email_verified), (Some("user"), false));
    })
    .await;
}

#[tokio::test]
async fn change_password_checks_the_current_one_and_can_revoke_other_sessions() {
    for_each_store(Plugins::NONE, |app| async move {
        let b = Browser::new(&app);
        let old_token = b.sign_up("kim@example.com", PASSWORD).await;
        let other = Browser::new(&app);
        other.sign_in("kim@example.com", PASSWORD).await;

        let r = b
            .post("/api/auth/change-password", json!({"currentPassword": "not it at all", "newPassword": "new password 1"}))
            .await;
        assert_eq!((r.status, r.json()["code"].clone()), (400, json!("INVALID_PASSWORD")));
        let r = b
            .post("/api/auth/change-password", json!({"currentPassword": PASSWORD, "newPassword": "short"}))
            .await;
        assert_eq!((r.status, r.json()["code"].clone()), (400, json!("PASSWORD_TOO_SHORT")));

        let r = b
            .post("/api/auth/change-password", json!({"currentPassword": PASSWORD, "newPassword": "new password 1"}))
            .await;
        assert_eq!(r.status, 200);
        assert_eq!(r.json()["token"], Value::Null);
        assert_ne!(other.get("/api/auth/get-session").await.text(), "null", "others kept by default");

        let r = b
            .post(
                "/api/auth/change-password",
                json!({"currentPassword": "new password 1", "newPassword": "new password 2", "revokeOtherSessions": true}),
            )
            .await;
        assert_eq!(r.status, 200);
        let new_token = r.json()["token"].as_str().unwrap().to_owned();
        assert_ne!(new_token, old_token);
        assert_eq!(other.get("/api/auth/get-session").await.text(), "null");
        assert_eq!(b.get("/api/auth/get-session").await.json()["session"]["token"], new_token.as_str());

        let fresh = Browser::new(&app);
        let r = fresh.post("/api/auth/sign-in/email", json!({"email": "kim@example.com", "password": PASSWORD})).await;
        assert_eq!(r.status, 401);
        fresh.sign_in("kim@example.com", "new password 2").await;
        let r = fresh.post("/api/auth/verify-password", json!({"password": "new password 2"})).await;
        assert_eq!(r.json(), json!({"status": true}));
        let r = fresh.post("/api/auth/verify-password", json!({"password": "new password 1"})).await;
        assert_eq!((r.status, r.json()["code"].clone()), (400, json!("INVALID_PASSWORD")));
    })
    .await;
}

#[tokio::test]
async fn cookie_bearing_posts_need_a_trusted_origin_and_write_nothing_otherwise() {
    for_each_store(Plugins::NONE, |app| async move {
        let b = Browser::new(&app);
        b.sign_up("lee@example.com", PASSWORD).await;
        let r = b
            .without_origin()
            .post("/api/auth/update-user", json!({"name": "Hacked"}))
            .await;
        assert_eq!(r.status, 403);
        assert_eq!(
            r.text(),
            r#"{"message":"Missing or null Origin","code":"MISSING_OR_NULL_ORIGIN"}"#
        );
        let r = b
            .with_origin("https://evil.example")
            .post("/api/auth/update-user", json!({"name": "Hacked"}))
            .await;
        assert_eq!(
            (r.status, r.json()["code"].clone()),
            (403, json!("INVALID_ORIGIN"))
        );
        let user = app
            .store
            .find_user_by_email("lee@example.com")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(user.name, "Lee");
    })
    .await;
}

#[tokio::test]
async fn malformed_bodies_get_better_auths_answers() {
    for_each_store(Plugins::NONE, |app| async move {
        let b = Browser::new(&app);
        let r = b
            .post_raw("/api/auth/sign-up/email", "application/json", "{not json")
            .await;
        assert_eq!(
            r.text(),
            r#"{"message":"Invalid JSON in request body","code":"BAD_REQUEST"}"#
        );
        assert_eq!(r.status, 400);
        let r = b
            .post_raw("/api/auth/sign-in/email", "text/plain", "hello")
            .await;
        assert_eq!(
            (r.status, r.json()["code"].clone()),
            (415, json!("UNSUPPORTED_MEDIA_TYPE"))
        );
        let huge = format!("{{\"name\":\"{}\"}}", "a".repeat(2 * 1024 * 1024));
        let r = b
            .post_raw("/api/auth/sign-up/email", "application/json", &huge)
            .await;
        assert_eq!(r.status, 413);
        let r = b
            .post_raw("/api/auth/sign-up/email", "application/json", "[1,2]")
            .await;
        assert_eq!(
            (r.status, r.json()["code"].clone()),
            (400, json!("VALIDATION_ERROR"))
        );
        let r = b
            .post_raw(
                "/api/auth/sign-up/email",
                "application/x-www-form-urlencoded",
                "name=Form&email=form%40example.com&password=form+password+1",
            )
            .await;
        assert_eq!(
            r.status,
            200,
            "sign-up also takes HTML form posts: {}",
            r.text()
        );
        let r = b
            .post_raw(
                "/api/auth/update-user",
                "application/x-www-form-urlencoded",
                "name=x",
            )
            .await;
        assert_eq!(r.status, 415, "other routes take JSON only");
        assert!(
            app.store
                .find_user_by_email("form@example.com")
                .await
                .unwrap()
                .is_some()
        );
    })
    .await;
}

#[tokio::test]
async fn the_fourth_sign_in_within_ten_seconds_is_rate_limited() {
    let app = TestApp::sqlite_with(Plugins::NONE, |c| c.rate_limit.enabled = true).await;
    Browser::new(&app)
        .from_ip("198.51.100.1")
        .sign_up("max@example.com", PASSWORD)
        .await;
    let b = Browser::new(&app).from_ip("198.51.100.2");
    for _ in 0..3 {
        let r = b
            .post(
                "/api/auth/sign-in/email",
                json!({"email": "max@example.com", "password": "wrong wrong"}),
            )
            .await;
        assert_eq!(r.status, 401);
    }
    let r = b
        .post(
            "/api/auth/sign-in/email",
            json!({"email": "max@example.com", "password": PASSWORD}),
        )
        .await;
    assert_eq!(r.status, 429);
    assert_eq!(
        r.text(),
        r#"{"message":"Too many requests. Please try again later."}"#
    );
    let retry: u64 = r.header("x-retry-after").unwrap().parse().unwrap();
    assert!((1..=10).contains(&retry));
    let other = Browser::new(&app).from_ip("198.51.100.3");
    assert_eq!(
        other
            .post(
                "/api/auth/sign-in/email",
                json!({"email": "max@example.com", "password": PASSWORD})
            )
            .await
            .status,
        200
    );
}

/// Three wrong passwords then a fourth attempt: the statuses the server answered.
async fn four_sign_ins(browsers: [&Browser; 4]) -> Vec<u16> {
    let mut statuses = Vec::new();
    for b in browsers {
        let r = b
            .post(
                "/api/auth/sign-in/email",
                json!({"email": "max@example.com", "password": "wrong wrong"}),
            )
            .await;
        statuses.push(r.status);
    }
    statuses
}

#[tokio::test]
async fn a_fresh_forwarded_address_on_every_request_does_not_escape_the_limit() {
    let app = TestApp::sqlite_with(Plugins::NONE, |c| c.rate_limit.enabled = true).await;
    Browser::new(&app)
        .sign_up("max@example.com", PASSWORD)
        .await;
    let public_peer = "203.0.113.50:51000";
    let forged: Vec<Browser> = (1..=4)
        .map(|n| {
            Browser::new(&app)
                .from_peer(public_peer)
                .from_ip(&format!("198.51.100.{n}"))
        })
        .collect();
    let statuses = four_sign_ins([&forged[0], &forged[1], &forged[2], &forged[3]]).await;
    assert_eq!(
        statuses,
        [401, 401, 401, 429],
        "the forged header is ignored"
    );
    let elsewhere = Browser::new(&app).from_peer("203.0.113.51:51000");
    let r = elsewhere
        .post(
            "/api/auth/sign-in/email",
            json!({"email": "max@example.com", "password": PASSWORD}),
        )
        .await;
    assert_eq!(r.status, 200, "another public client is counted apart");
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_client_is_limited_apart() {
    let app = TestApp::sqlite_with(Plugins::NONE, |c| c.rate_limit.enabled = true).await;
    Browser::new(&app)
        .sign_up("max@example.com", PASSWORD)
        .await;
    let proxy = "10.0.0.2:443";
    let client = |xff: &str| Browser::new(&app).from_peer(proxy).from_ip(xff);
    let first = client("198.51.100.1");
    // The client may forge hops to the left of what the proxy appended; they do not count.
    let forging = client("6.6.6.6, 198.51.100.1");
    let statuses = four_sign_ins([&first, &first, &forging, &first]).await;
    assert_eq!(statuses, [401, 401, 401, 429]);
    let second = client("198.51.100.2");
    let r = second
        .post(
            "/api/auth/sign-in/email",
            json!({"email": "max@example.com", "password": PASSWORD}),
        )
        .await;
    assert_eq!(
        r.status, 200,
        "a second forwarded client keeps its own counter"
    );
}

#[tokio::test]
async fn with_no_trusted_proxy_even_loopback_is_the_client() {
    let app = TestApp::sqlite_with(Plugins::NONE, |c| {
        c.rate_limit.enabled = true;
        c.client_address.trusted_proxies.clear();
        c.client_address.trusted_proxies_configured = true;
    })
    .await;
    Browser::new(&app)
        .sign_up("max@example.com", PASSWORD)
        .await;
    let forged: Vec<Browser> = (1..=4)
        .map(|n| Browser::new(&app).from_ip(&format!("198.51.100.{n}")))
        .collect();
    let statuses = four_sign_ins([&forged[0], &forged[1], &forged[2], &forged[3]]).await;
    assert_eq!(statuses, [401, 401, 401, 429]);
}

#[tokio::test]
async fn every_token_of_a_parameterised_route_counts_against_the_route() {
    let app = TestApp::sqlite_with(Plugins::NONE, |c| {
        c.rate_limit.enabled = true;
        c.rate_limit.max = 3;
    })
    .await;
    let b = Browser::new(&app).from_peer("203.0.113.60:1");
    let mut statuses = Vec::new();
    for token in ["one", "two", "three", "four"] {
        statuses.push(
            b.get(&format!("/api/auth/reset-password/{token}"))
                .await
                .status,
        );
    }
    assert!(!statuses[..3].contains(&429), "{statuses:?}");
    assert_eq!(statuses[3], 429, "{statuses:?}");
}

#[tokio::test]
async fn a_public_peer_is_recorded_as_itself_and_disabled_tracking_records_nothing() {
    let app = TestApp::sqlite(Plugins::NONE).await;
    Browser::new(&app)
        .sign_up("max@example.com", PASSWORD)
        .await;
    let token = Browser::new(&app)
        .from_peer("203.0.113.70:9")
        .from_ip("198.51.100.1")
        .sign_in("max@example.com", PASSWORD)
        .await;
    let session = app
        .store
        .find_session_and_user(&token)
        .await
        .unwrap()
        .unwrap()
        .0;
    assert_eq!(session.ip_address.as_deref(), Some("203.0.113.70"));

    let untracked = TestApp::sqlite_with(Plugins::NONE, |c| {
        c.rate_limit.enabled = true;
        c.client_address.disable_ip_tracking = true;
    })
    .await;
    let b = Browser::new(&untracked).from_peer("203.0.113.70:9");
    b.sign_up("max@example.com", PASSWORD).await;
    let statuses = four_sign_ins([&b, &b, &b, &b]).await;
    assert_eq!(
        statuses,
        [401, 401, 401, 401],
        "Better Auth does not limit when it tracks no address"
    );
    let token = b.sign_in("max@example.com", PASSWORD).await;
    let session = untracked
        .store
        .find_session_and_user(&token)
        .await
        .unwrap()
        .unwrap()
        .0;
    assert_eq!(session.ip_address.as_deref(), Some(""));
}

#[tokio::test]
async fn banned_users_cannot_sign_in_until_the_ban_expires() {
    for_each_store(Plugins::ALL, |app| async move {
        let b = Browser::new(&app);
        b.sign_up("ned@example.com", PASSWORD).await;
        let user = app
            .store
            .find_user_by_email("ned@example.com")
            .await
            .unwrap()
            .unwrap();
        let ban = |expires: Option<time::OffsetDateTime>| {
            tessera_core::model::UserPatch::default()
                .with(&admin::BANNED, true)
                .with(&admin::BAN_REASON, "spam")
                .with(&admin::BAN_EXPIRES, FieldValue::from(expires))
        };
        let now = tessera_core::timefmt::now_ms();
        app.store
            .update_user(&user.id, &ban(None), now)
            .await
            .unwrap();
        let r = Browser::new(&app)
            .post(
                "/api/auth/sign-in/email",
                json!({"email": "ned@example.com", "password": PASSWORD}),
            )
            .await;
        assert_eq!(
            (r.status, r.json()["code"].clone()),
            (403, json!("BANNED_USER"))
        );
        assert!(r.set_cookie("better-auth.session_token").is_none());

        app.store
            .update_user(&user.id, &ban(Some(now - time::Duration::minutes(1))), now)
            .await
            .unwrap();
        let r = Browser::new(&app)
            .post(
                "/api/auth/sign-in/email",
                json!({"email": "ned@example.com", "password": PASSWORD}),
            )
            .await;
        assert_eq!(r.status, 200, "an expired ban lifts itself");
        let user = app
            .store
            .find_user_by_email("ned@example.com")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (user.banned(), user.ban_reason().map(str::to_owned)),
            (Some(false), None)
        );
    })
    .await;
}

/// A Firebase digest as Firebase exports it: hash and salt only, the project's signer key,
/// separator, rounds and mem cost configured (the firebase/scrypt README vector,
/// clerk-export.md §3.3).
#[tokio::test]
async fn an_imported_firebase_password_signs_in_with_the_configured_project_parameters() {
    const BARE: &str = "lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ==$42xEC+ixf3L2lw==$$$$";
    fn firebase_project(config: &mut tessera_core::config::Config) {
        config.password.firebase = Some(
            tessera_core::crypto::password::FirebaseParams::from_base64(
                "jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==",
                "Bw==",
                8,
                14,
            )
            .unwrap(),
        );
    }
    for_each_store_configured(Plugins::NONE, firebase_project, |app, _| async move {
        let user_id = app
            .insert_user_with_password("firebase@example.com", BARE)
            .await;
        let app_ref = &*app;
        let sign_in = |password: &'static str| async move {
            Browser::new(app_ref)
                .post(
                    "/api/auth/sign-in/email",
                    json!({"email": "firebase@example.com", "password": password}),
                )
                .await
        };
        assert_eq!(sign_in("user1Password").await.status, 401);
        let r = sign_in("user1password").await;
        assert_eq!(r.status, 200, "{}", r.text());
        let stored = app
            .store
            .find_credential_account(&user_id)
            .await
            .unwrap()
            .unwrap()
            .password
            .unwrap();
        assert_ne!(stored, BARE, "rehashed to the native format");
        assert_eq!(sign_in("user1password").await.status, 200);
    })
    .await;
}

#[tokio::test]
async fn without_the_project_parameters_a_bare_firebase_digest_is_a_server_error() {
    for_each_store(Plugins::NONE, |app| async move {
        app.insert_user_with_password(
            "firebase@example.com",
            "lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ==$42xEC+ixf3L2lw==$$$$",
        )
        .await;
        let r = Browser::new(&app)
            .post(
                "/api/auth/sign-in/email",
                json!({"email": "firebase@example.com", "password": "user1password"}),
            )
            .await;
        assert_eq!(r.status, 500, "{}", r.text());
    })
    .await;
}

#[tokio::test]
async fn an_imported_bcrypt_password_signs_in_and_is_rehashed_to_scrypt() {
    for_each_store(Plugins::NONE, |app| async move {
        // bcrypt("password") as Clerk exports it (reference clerk-export.md §3.3).
        let digest = "$2a$10$fgPOubgdJs90F1GK2u.Qye7Xyyi2ajrQJoB5LDG5bnITEvFR/xhZ.";
        let user_id = app
            .insert_user_with_password("imported@example.com", digest)
            .await;
        let r = Browser::new(&app)
            .post(
                "/api/auth/sign-in/email",
                json!({"email": "imported@example.com", "password": "password"}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
        let stored = app
            .store
            .find_credential_account(&user_id)
            .await
            .unwrap()
            .unwrap()
            .password
            .unwrap();
        assert!(!stored.starts_with("$2a$"), "rehashed");
        assert_eq!(stored.len(), 161);
        let r = Browser::new(&app)
            .post(
                "/api/auth/sign-in/email",
                json!({"email": "imported@example.com", "password": "password"}),
            )
            .await;
        assert_eq!(r.status, 200, "the new hash verifies");
    })
    .await;
}

// ---------------------------------------------------------------- oversize uploads on a real socket

/// Serves the app on a loopback port, as `tessera serve` does.
async fn serve(app: &TestApp) -> (std::net::SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let service = app
        .router
        .clone()
        .into_make_service_with_connect_info::<std::net::SocketAddr>();
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, service).await;
    });
    (addr, task)
}

/// What a client that writes its whole upload while reading the answer gets: the result of its
/// writes, and the answer's head and body.
async fn upload(
    addr: std::net::SocketAddr,
    declared: bool,
    body_len: usize,
) -> (std::io::Result<()>, String, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let framing = if declared {
        format!("Content-Length: {body_len}")
    } else {
        "Transfer-Encoding: chunked".to_owned()
    };
    let head = format!(
        "POST /api/auth/sign-up/email HTTP/1.1\r\nHost: localhost:3000\r\nContent-Type: application/json\r\n{framing}\r\n\r\n"
    );
    // The write half is handed back rather than dropped: dropping it would half-close the
    // socket, and hyper takes a half-close for a client that left.
    let writing = tokio::spawn(async move {
        let written = write_upload(&mut writer, head, declared, body_len).await;
        (written, writer)
    });
    async fn write_upload(
        writer: &mut tokio::net::tcp::OwnedWriteHalf,
        head: String,
        declared: bool,
        body_len: usize,
    ) -> std::io::Result<()> {
        writer.write_all(head.as_bytes()).await?;
        let chunk = vec![b'a'; 64 * 1024];
        let mut sent = 0;
        while sent < body_len {
            let n = chunk.len().min(body_len - sent);
            if declared {
                writer.write_all(&chunk[..n]).await?;
            } else {
                writer.write_all(format!("{n:x}\r\n").as_bytes()).await?;
                writer.write_all(&chunk[..n]).await?;
                writer.write_all(b"\r\n").await?;
            }
            sent += n;
        }
        if !declared {
            writer.write_all(b"0\r\n\r\n").await?;
        }
        writer.flush().await
    }
    // Reads one whole answer: the head, then as many bytes as its Content-Length says.
    let reading = async {
        let mut received = Vec::new();
        let mut buf = [0u8; 8192];
        loop {
            let text = String::from_utf8_lossy(&received).into_owned();
            if let Some((head, body)) = text.split_once("\r\n\r\n") {
                let length = head
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().parse::<usize>().unwrap())
                    })
                    .unwrap();
                if body.len() >= length {
                    return (head.to_owned(), body.to_owned());
                }
            }
            let n = reader.read(&mut buf).await.expect("the answer is readable");
            assert!(n > 0, "connection closed before a whole answer: {text:?}");
            received.extend_from_slice(&buf[..n]);
        }
    };
    let (head, body) = tokio::time::timeout(std::time::Duration::from_secs(20), reading)
        .await
        .expect("an answer in time");
    let (written, writer) = tokio::time::timeout(std::time::Duration::from_secs(20), writing)
        .await
        .expect("the upload completes in time")
        .unwrap();
    drop(writer);
    (written, head, body)
}

const TOO_LARGE: &str = r#"{"message":"Request body is too large","code":"PAYLOAD_TOO_LARGE"}"#;

#[tokio::test]
async fn a_two_mib_upload_with_content_length_reads_the_413_instead_of_a_reset() {
    for_each_store(Plugins::NONE, |app| async move {
        let (addr, server) = serve(&app).await;
        let (written, head, body) = upload(addr, true, 2 * 1024 * 1024).await;
        assert!(head.starts_with("HTTP/1.1 413 "), "{head}");
        assert!(
            head.to_ascii_lowercase().contains("connection: close"),
            "{head}"
        );
        assert_eq!(body, TOO_LARGE);
        written.expect("every byte of the upload was taken, no EPIPE");
        server.abort();
    })
    .await;
}

#[tokio::test]
async fn a_two_mib_chunked_upload_reads_the_413_too() {
    for_each_store(Plugins::NONE, |app| async move {
        let (addr, server) = serve(&app).await;
        let (written, head, body) = upload(addr, false, 2 * 1024 * 1024).await;
        assert!(head.starts_with("HTTP/1.1 413 "), "{head}");
        assert_eq!(body, TOO_LARGE);
        written.expect("every byte of the upload was taken, no EPIPE");
        server.abort();
    })
    .await;
}

#[tokio::test]
async fn a_body_just_under_the_limit_is_still_read_and_parsed() {
    for_each_store(Plugins::NONE, |app| async move {
        let (addr, server) = serve(&app).await;
        // A megabyte of `a` is not JSON: parsed (400), not refused for its size.
        let (written, head, body) = upload(addr, true, 1024 * 1024).await;
        assert!(head.starts_with("HTTP/1.1 400 "), "{head}");
        assert_eq!(
            body,
            r#"{"message":"Invalid JSON in request body","code":"BAD_REQUEST"}"#
        );
        written.unwrap();
        server.abort();
    })
    .await;
}
