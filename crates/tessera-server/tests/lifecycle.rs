//! Password reset and email verification, with the message read back from the outbox as a
//! person would read their mail.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use serde_json::json;
use support::{Browser, for_each_store, for_each_store_with_outbox};
use tessera_core::plugins::Plugins;

const PASSWORD: &str = "correct horse battery";

#[tokio::test]
async fn a_reset_link_sets_a_new_password_once_and_keeps_two_factor_required() {
    for_each_store_with_outbox(Plugins::ALL, |app, outbox| async move {
        let owner = Browser::new(&app);
        owner.sign_up("rita@example.com", PASSWORD).await;
        let r = Browser::new(&app)
            .post(
                "/api/auth/request-password-reset",
                json!({"email": "RITA@example.com", "redirectTo": "/reset"}),
            )
            .await;
        assert_eq!(r.status, 200);
        let unknown = Browser::new(&app)
            .post(
                "/api/auth/request-password-reset",
                json!({"email": "nobody@example.com", "redirectTo": "/reset"}),
            )
            .await;
        assert_eq!(
            unknown.text(),
            r.text(),
            "the same answer for an unknown address"
        );
        let mail = outbox.last("reset-password", "rita@example.com").unwrap();
        let token = mail["token"].as_str().unwrap().to_owned();
        assert_eq!(token.len(), 24);
        assert_eq!(
            mail["url"],
            format!("http://localhost:3000/api/auth/reset-password/{token}?callbackURL=%2Freset")
        );
        let link = Browser::new(&app)
            .get(&format!(
                "/api/auth/reset-password/{token}?callbackURL=%2Freset"
            ))
            .await;
        assert_eq!(link.status, 302);
        assert_eq!(
            link.header("location").unwrap(),
            format!("http://localhost:3000/reset?token={token}")
        );

        let r = Browser::new(&app)
            .post(
                "/api/auth/reset-password",
                json!({"token": token, "newPassword": "brand new password"}),
            )
            .await;
        assert_eq!((r.status, r.json()), (200, json!({"status": true})));
        let again = Browser::new(&app)
            .post(
                "/api/auth/reset-password",
                json!({"token": token, "newPassword": "another new one"}),
            )
            .await;
        assert_eq!(
            (again.status, again.json()["code"].clone()),
            (400, json!("INVALID_TOKEN"))
        );
        assert_ne!(
            owner.get("/api/auth/get-session").await.text(),
            "null",
            "sessions survive by default"
        );
        Browser::new(&app)
            .sign_in("rita@example.com", "brand new password")
            .await;

        // A user with two-factor on still meets the challenge after a reset (M9).
        let user = app
            .store
            .find_user_by_email("rita@example.com")
            .await
            .unwrap()
            .unwrap();
        let patch = tessera_core::model::UserPatch {
            two_factor_enabled: Some(Some(true)),
            ..Default::default()
        };
        app.store
            .update_user(&user.id, &patch, tessera_core::timefmt::now_ms())
            .await
            .unwrap();
        Browser::new(&app)
            .post(
                "/api/auth/request-password-reset",
                json!({"email": "rita@example.com"}),
            )
            .await;
        let token = outbox.last("reset-password", "rita@example.com").unwrap()["token"]
            .as_str()
            .unwrap()
            .to_owned();
        Browser::new(&app)
            .post(
                "/api/auth/reset-password",
                json!({"token": token, "newPassword": "post reset password"}),
            )
            .await;
        let r = Browser::new(&app)
            .post(
                "/api/auth/sign-in/email",
                json!({"email": "rita@example.com", "password": "post reset password"}),
            )
            .await;
        assert_eq!(r.json()["twoFactorRedirect"], true);
    })
    .await;
}

#[tokio::test]
async fn reset_answers_for_bad_tokens_and_foreign_redirects() {
    for_each_store_with_outbox(Plugins::NONE, |app, _outbox| async move {
        Browser::new(&app)
            .sign_up("sam@example.com", PASSWORD)
            .await;
        let b = Browser::new(&app);
        let r = b
            .post(
                "/api/auth/request-password-reset",
                json!({"email": "sam@example.com", "redirectTo": "https://evil.example/x"}),
            )
            .await;
        assert_eq!(
            (r.status, r.json()["code"].clone()),
            (403, json!("INVALID_REDIRECT_URL"))
        );
        let link = b
            .get("/api/auth/reset-password/not-a-real-token?callbackURL=%2Freset")
            .await;
        assert_eq!(
            link.header("location").unwrap(),
            "http://localhost:3000/reset?error=INVALID_TOKEN"
        );
        let r = b
            .post(
                "/api/auth/reset-password",
                json!({"token": "not-a-real-token", "newPassword": "whatever 1234"}),
            )
            .await;
        assert_eq!(
            (r.status, r.json()["code"].clone()),
            (400, json!("INVALID_TOKEN"))
        );
    })
    .await;
}

#[tokio::test]
async fn without_a_sender_the_mail_flows_say_they_are_not_enabled() {
    for_each_store(Plugins::NONE, |app| async move {
        let b = Browser::new(&app);
        let r = b
            .post(
                "/api/auth/request-password-reset",
                json!({"email": "x@example.com"}),
            )
            .await;
        assert_eq!(
            (r.status, r.json()["code"].clone()),
            (400, json!("RESET_PASSWORD_DISABLED"))
        );
        let r = b
            .post(
                "/api/auth/send-verification-email",
                json!({"email": "x@example.com"}),
            )
            .await;
        assert_eq!(
            (r.status, r.json()["code"].clone()),
            (400, json!("VERIFICATION_EMAIL_NOT_ENABLED"))
        );
    })
    .await;
}

#[tokio::test]
async fn a_verification_link_verifies_the_email() {
    for_each_store_with_outbox(Plugins::NONE, |app, outbox| async move {
        let b = Browser::new(&app);
        b.sign_up("vic@example.com", PASSWORD).await;
        let r = b
            .post(
                "/api/auth/send-verification-email",
                json!({"email": "someone@example.com"}),
            )
            .await;
        assert_eq!(
            (r.status, r.json()["code"].clone()),
            (400, json!("EMAIL_MISMATCH"))
        );
        let r = b
            .post(
                "/api/auth/send-verification-email",
                json!({"email": "vic@example.com", "callbackURL": "/welcome"}),
            )
            .await;
        assert_eq!(r.json(), json!({"status": true}));
        let mail = outbox.last("verify-email", "vic@example.com").unwrap();
        let url = mail["url"].as_str().unwrap();
        let path = url.strip_prefix("http://localhost:3000").unwrap();
        let r = Browser::new(&app).get(path).await;
        assert_eq!(
            (r.status, r.header("location")),
            (302, Some("/welcome".to_owned()))
        );
        assert_eq!(
            b.get("/api/auth/get-session").await.json()["user"]["emailVerified"],
            true
        );
        let r = b
            .post(
                "/api/auth/send-verification-email",
                json!({"email": "vic@example.com"}),
            )
            .await;
        assert_eq!(
            (r.status, r.json()["code"].clone()),
            (400, json!("EMAIL_ALREADY_VERIFIED"))
        );

        let r = Browser::new(&app)
            .get("/api/auth/verify-email?token=forged.jwt.value")
            .await;
        assert_eq!(
            (r.status, r.json()["code"].clone()),
            (401, json!("INVALID_TOKEN"))
        );
        let r = Browser::new(&app)
            .get("/api/auth/verify-email?token=forged&callbackURL=%2Fdone")
            .await;
        assert_eq!(
            r.header("location").as_deref(),
            Some("/done?error=INVALID_TOKEN")
        );
    })
    .await;
}
