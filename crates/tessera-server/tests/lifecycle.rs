//! The account lifecycle: password reset, email verification (and requiring it), change of
//! email, deletion of the account; each message read back from the outbox as a person would read
//! their mail.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use serde_json::{Value, json};
use support::{
    Browser, TestApp, for_each_store, for_each_store_configured, for_each_store_with_outbox,
};
use tessera_core::config::Config;
use tessera_core::crypto::jwt;
use tessera_core::plugins::Plugins;
use tessera_core::plugins::two_factor;

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
        let mail = outbox.wait_for("reset-password", "rita@example.com").await;
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
        let patch =
            tessera_core::model::UserPatch::default().with(&two_factor::TWO_FACTOR_ENABLED, true);
        app.store
            .update_user(&user.id, &patch, tessera_core::timefmt::now_ms())
            .await
            .unwrap();
        let sent = outbox.messages().len();
        Browser::new(&app)
            .post(
                "/api/auth/request-password-reset",
                json!({"email": "rita@example.com"}),
            )
            .await;
        outbox.wait_for_count(sent + 1).await;
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

// ---- requireEmailVerification, autoSignInAfterVerification, verification tokens

fn require_verification(c: &mut Config) {
    c.lifecycle.require_email_verification = true;
    c.lifecycle.email_verification.send_on_sign_in = true;
}

fn path_of(url: &Value) -> String {
    url.as_str()
        .unwrap()
        .strip_prefix("http://localhost:3000")
        .unwrap()
        .to_owned()
}

async fn user_count(app: &TestApp) -> u64 {
    app.store.list_users(&Default::default()).await.unwrap().1
}

#[tokio::test]
async fn with_verification_required_sign_up_opens_no_session_and_sign_in_waits_for_the_link() {
    for_each_store_configured(
        Plugins::NONE,
        require_verification,
        |app, outbox| async move {
            let b = Browser::new(&app);
            let r = b
                .post(
                    "/api/auth/sign-up/email",
                    json!({"name": "Una", "email": "Una@example.com", "password": PASSWORD}),
                )
                .await;
            assert_eq!(r.status, 200);
            assert_eq!(r.json()["token"], Value::Null);
            assert_eq!(r.json()["user"]["email"], "una@example.com");
            assert!(r.header("set-cookie").is_none(), "no session cookie");
            assert_eq!(
                outbox.wait_for_count(1).await.len(),
                1,
                "sendOnSignUp follows the requirement"
            );

            let r = b
                .post(
                    "/api/auth/sign-in/email",
                    json!({"email": "una@example.com", "password": PASSWORD}),
                )
                .await;
            assert_eq!(
                (r.status, r.json()),
                (
                    403,
                    json!({"message": "Email not verified", "code": "EMAIL_NOT_VERIFIED"})
                )
            );
            assert!(r.header("set-cookie").is_none());
            assert_eq!(
                outbox.messages().len(),
                2,
                "sendOnSignIn mails a fresh link"
            );
            let wrong = b
                .post(
                    "/api/auth/sign-in/email",
                    json!({"email": "una@example.com", "password": "not the password"}),
                )
                .await;
            assert_eq!(wrong.status, 401, "the password is checked first");
            assert_eq!(outbox.messages().len(), 2);

            let mail = outbox.last("verify-email", "una@example.com").unwrap();
            let r = Browser::new(&app).get(&path_of(&mail["url"])).await;
            assert_eq!(r.status, 302);
            b.sign_in("una@example.com", PASSWORD).await;
        },
    )
    .await;
}

#[tokio::test]
async fn with_verification_required_a_taken_address_gets_a_made_up_user_and_nothing_is_written() {
    for_each_store_configured(
        Plugins::ALL,
        require_verification,
        |app, outbox| async move {
            let body = json!({"name": "Ned", "email": "ned@example.com", "password": PASSWORD});
            let first = Browser::new(&app)
                .post("/api/auth/sign-up/email", body.clone())
                .await;
            let again = Browser::new(&app)
                .post("/api/auth/sign-up/email", body)
                .await;
            assert_eq!(again.status, 200);
            let (a, b) = (first.json(), again.json());
            assert_eq!(b["token"], Value::Null);
            assert_ne!(a["user"]["id"], b["user"]["id"]);
            let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
            assert_eq!(keys(&a["user"]), keys(&b["user"]), "the same shape");
            assert_eq!(user_count(&app).await, 1);
            assert_eq!(
                outbox.wait_for_count(1).await.len(),
                1,
                "no mail for the second sign-up"
            );
        },
    )
    .await;
}

#[tokio::test]
async fn auto_sign_in_after_verification_gives_the_link_opener_a_session() {
    fn auto(c: &mut Config) {
        c.lifecycle
            .email_verification
            .auto_sign_in_after_verification = true;
    }
    for_each_store_configured(Plugins::NONE, auto, |app, outbox| async move {
        Browser::new(&app)
            .sign_up("ada@example.com", PASSWORD)
            .await;
        Browser::new(&app)
            .post(
                "/api/auth/send-verification-email",
                json!({"email": "ada@example.com"}),
            )
            .await;
        let mail = outbox.last("verify-email", "ada@example.com").unwrap();
        let other_device = Browser::new(&app);
        let r = other_device.get(&path_of(&mail["url"])).await;
        assert_eq!(r.status, 302);
        assert!(r.set_cookie("better-auth.session_token").is_some());
        let session = other_device.get("/api/auth/get-session").await.json();
        assert_eq!(session["user"]["email"], "ada@example.com");
        assert_eq!(session["user"]["emailVerified"], true);
    })
    .await;
}

#[tokio::test]
async fn without_auto_sign_in_the_link_sets_no_cookie() {
    for_each_store_with_outbox(Plugins::NONE, |app, outbox| async move {
        Browser::new(&app).sign_up("bo@example.com", PASSWORD).await;
        Browser::new(&app)
            .post(
                "/api/auth/send-verification-email",
                json!({"email": "bo@example.com"}),
            )
            .await;
        let mail = outbox.last("verify-email", "bo@example.com").unwrap();
        let r = Browser::new(&app).get(&path_of(&mail["url"])).await;
        assert_eq!(r.status, 302);
        assert!(r.header("set-cookie").is_none());
    })
    .await;
}

fn sign(claims: Value, issued_secs_ago: u64, lifetime: u64) -> String {
    let now = u64::try_from(time::OffsetDateTime::now_utc().unix_timestamp()).unwrap();
    jwt::sign_hs256(
        support::SECRET,
        claims.as_object().unwrap().clone(),
        now - issued_secs_ago,
        lifetime,
    )
}

#[tokio::test]
async fn verification_tokens_expired_tampered_or_for_another_user_change_nothing() {
    for_each_store_with_outbox(Plugins::NONE, |app, outbox| async move {
        Browser::new(&app).sign_up("cy@example.com", PASSWORD).await;
        Browser::new(&app)
            .post(
                "/api/auth/send-verification-email",
                json!({"email": "cy@example.com"}),
            )
            .await;
        let mail = outbox.last("verify-email", "cy@example.com").unwrap();
        let token = mail["token"].as_str().unwrap().to_owned();
        let user = app
            .store
            .find_user_by_email("cy@example.com")
            .await
            .unwrap()
            .unwrap();
        let payload = token.split('.').nth(1).unwrap();
        let claims: Value = serde_json::from_slice(
            &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, payload)
                .unwrap(),
        )
        .unwrap();
        let keys: Vec<&String> = claims.as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            ["email", "userId", "iat", "exp"],
            "Better Auth's claims"
        );
        assert_eq!(claims["userId"], user.id.as_str());
        assert_eq!(
            claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(),
            3600
        );

        let expired = sign(
            json!({"email": "cy@example.com", "userId": user.id}),
            7200,
            3600,
        );
        let mut tampered = token.clone();
        tampered.pop();
        tampered.push(if token.ends_with('A') { 'B' } else { 'A' });
        let foreign = sign(
            json!({"email": "cy@example.com", "userId": "someone-else"}),
            0,
            3600,
        );
        for (token, code) in [
            (expired, "TOKEN_EXPIRED"),
            (tampered, "INVALID_TOKEN"),
            (foreign, "INVALID_TOKEN"),
        ] {
            let r = Browser::new(&app)
                .get(&format!("/api/auth/verify-email?token={token}"))
                .await;
            assert_eq!((r.status, r.json()["code"].clone()), (401, json!(code)));
            let r = Browser::new(&app)
                .get(&format!(
                    "/api/auth/verify-email?token={token}&callbackURL=%2Fdone"
                ))
                .await;
            assert_eq!(r.header("location").unwrap(), format!("/done?error={code}"));
        }
        let after = app.store.find_user_by_id(&user.id).await.unwrap().unwrap();
        assert!(!after.email_verified);
    })
    .await;
}

// ---- change-email

fn change_email(c: &mut Config) {
    c.lifecycle.change_email.enabled = true;
}

fn change_email_with_confirmation(c: &mut Config) {
    c.lifecycle.change_email.enabled = true;
    c.lifecycle.change_email.send_change_email_confirmation = true;
}

fn change_email_without_verification(c: &mut Config) {
    c.lifecycle.change_email.enabled = true;
    c.lifecycle.change_email.update_email_without_verification = true;
}

async fn email_of(app: &TestApp, id: &str) -> (String, bool) {
    let u = app.store.find_user_by_id(id).await.unwrap().unwrap();
    (u.email, u.email_verified)
}

async fn verify(app: &TestApp, email: &str) -> String {
    let user = app.store.find_user_by_email(email).await.unwrap().unwrap();
    let patch = tessera_core::model::UserPatch {
        email_verified: Some(true),
        ..Default::default()
    };
    app.store
        .update_user(&user.id, &patch, tessera_core::timefmt::now_ms())
        .await
        .unwrap();
    user.id
}

#[tokio::test]
async fn change_email_is_off_by_default_and_needs_a_session() {
    for_each_store_with_outbox(Plugins::NONE, |app, _outbox| async move {
        let b = Browser::new(&app);
        let r = b
            .post(
                "/api/auth/change-email",
                json!({"newEmail": "x@example.com"}),
            )
            .await;
        assert_eq!(
            (r.status, r.json()["code"].clone()),
            (401, json!("UNAUTHORIZED"))
        );
        b.sign_up("dee@example.com", PASSWORD).await;
        let r = b
            .post(
                "/api/auth/change-email",
                json!({"newEmail": "x@example.com"}),
            )
            .await;
        assert_eq!(
            (r.status, r.json()),
            (
                400,
                json!({"message": "Change email is disabled", "code": "CHANGE_EMAIL_DISABLED"})
            )
        );
    })
    .await;
}

#[tokio::test]
async fn a_link_to_the_new_address_moves_the_email_once() {
    for_each_store_configured(Plugins::NONE, change_email, |app, outbox| async move {
        let b = Browser::new(&app);
        b.sign_up("eve@example.com", PASSWORD).await;
        let id = verify(&app, "eve@example.com").await;
        let r = b
            .post(
                "/api/auth/change-email",
                json!({"newEmail": "eve@example.com"}),
            )
            .await;
        assert_eq!(
            (r.status, r.json()),
            (400, json!({"message": "Email is the same"}))
        );
        let r = b
            .post(
                "/api/auth/change-email",
                json!({"newEmail": "not-an-email"}),
            )
            .await;
        assert_eq!(
            (r.status, r.json()["code"].clone()),
            (400, json!("VALIDATION_ERROR"))
        );
        let r = b
            .post(
                "/api/auth/change-email",
                json!({"newEmail": "Eve.New@example.com", "callbackURL": "/moved"}),
            )
            .await;
        assert_eq!((r.status, r.json()), (200, json!({"status": true})));
        assert_eq!(email_of(&app, &id).await.0, "eve@example.com", "not yet");
        let mail = outbox.last("verify-email", "eve.new@example.com").unwrap();
        let link = path_of(&mail["url"]);
        assert!(link.ends_with("&callbackURL=%2Fmoved"));

        let r = b.get(&link).await;
        assert_eq!(
            (r.status, r.header("location")),
            (302, Some("/moved".into()))
        );
        assert_eq!(
            email_of(&app, &id).await,
            ("eve.new@example.com".into(), true),
            "the verified flag stays as it was"
        );
        let session = b.get("/api/auth/get-session").await.json();
        assert_eq!(session["user"]["email"], "eve.new@example.com");
        Browser::new(&app)
            .sign_in("eve.new@example.com", PASSWORD)
            .await;

        let reused = Browser::new(&app).get(&link).await;
        assert_eq!(
            reused.header("location").unwrap(),
            "/moved?error=INVALID_TOKEN"
        );
        assert_eq!(email_of(&app, &id).await.0, "eve.new@example.com");
    })
    .await;
}

#[tokio::test]
async fn a_verified_user_confirms_from_the_current_address_first() {
    for_each_store_configured(
        Plugins::NONE,
        change_email_with_confirmation,
        |app, outbox| async move {
            let b = Browser::new(&app);
            b.sign_up("fred@example.com", PASSWORD).await;
            let id = verify(&app, "fred@example.com").await;
            let r = b
                .post(
                    "/api/auth/change-email",
                    json!({"newEmail": "fred2@example.com"}),
                )
                .await;
            assert_eq!(r.json(), json!({"status": true}));
            let confirm = outbox
                .last("change-email-confirmation", "fred@example.com")
                .unwrap();
            assert_eq!(confirm["newEmail"], "fred2@example.com");
            assert!(outbox.last("verify-email", "fred2@example.com").is_none());

            let r = Browser::new(&app).get(&path_of(&confirm["url"])).await;
            assert_eq!((r.status, r.header("location")), (302, Some("/".into())));
            assert_eq!(email_of(&app, &id).await.0, "fred@example.com", "not yet");
            let mail = outbox.last("verify-email", "fred2@example.com").unwrap();
            // Without its callbackURL the link answers JSON with the moved user.
            let link = path_of(&mail["url"]).replace("&callbackURL=%2F", "");
            let r = Browser::new(&app).get(&link).await;
            assert_eq!(r.status, 200);
            assert_eq!(r.json()["user"]["email"], "fred2@example.com");
            assert_eq!(
                email_of(&app, &id).await,
                ("fred2@example.com".into(), true)
            );
        },
    )
    .await;
}

#[tokio::test]
async fn an_unverified_user_may_move_at_once_when_allowed() {
    for_each_store_configured(
        Plugins::NONE,
        change_email_without_verification,
        |app, outbox| async move {
            let b = Browser::new(&app);
            b.sign_up("gus@example.com", PASSWORD).await;
            let r = b
                .post(
                    "/api/auth/change-email",
                    json!({"newEmail": "gus2@example.com"}),
                )
                .await;
            assert_eq!(r.json(), json!({"status": true}));
            let session = b.get("/api/auth/get-session").await.json();
            assert_eq!(session["user"]["email"], "gus2@example.com");
            assert_eq!(session["user"]["emailVerified"], false);
            assert!(
                outbox.last("verify-email", "gus2@example.com").is_some(),
                "the new address is asked to verify"
            );
        },
    )
    .await;
}

#[tokio::test]
async fn a_change_to_an_address_another_user_holds_answers_the_same_and_changes_nothing() {
    for_each_store_configured(
        Plugins::NONE,
        change_email_without_verification,
        |app, outbox| async move {
            Browser::new(&app)
                .sign_up("held@example.com", PASSWORD)
                .await;
            let b = Browser::new(&app);
            b.sign_up("hal@example.com", PASSWORD).await;
            let before = outbox.messages().len();
            let r = b
                .post(
                    "/api/auth/change-email",
                    json!({"newEmail": "HELD@example.com"}),
                )
                .await;
            assert_eq!((r.status, r.json()), (200, json!({"status": true})));
            let session = b.get("/api/auth/get-session").await.json();
            assert_eq!(session["user"]["email"], "hal@example.com");
            assert_eq!(outbox.messages().len(), before, "nothing is sent");
        },
    )
    .await;
}

#[tokio::test]
async fn a_change_link_opened_while_signed_in_as_someone_else_is_refused() {
    for_each_store_configured(Plugins::NONE, change_email, |app, outbox| async move {
        let ivy = Browser::new(&app);
        ivy.sign_up("ivy@example.com", PASSWORD).await;
        let id = verify(&app, "ivy@example.com").await;
        ivy.post(
            "/api/auth/change-email",
            json!({"newEmail": "ivy2@example.com"}),
        )
        .await;
        let mail = outbox.last("verify-email", "ivy2@example.com").unwrap();
        let mallory = Browser::new(&app);
        mallory.sign_up("mallory@example.com", PASSWORD).await;
        let r = mallory.get(&path_of(&mail["url"])).await;
        assert_eq!(r.header("location").unwrap(), "/?error=INVALID_USER");
        assert_eq!(email_of(&app, &id).await.0, "ivy@example.com");
        let forged = sign(
            json!({"email": "ivy@example.com", "updateTo": "evil@example.com",
                   "requestType": "change-email-verification", "userId": id}),
            0,
            3600,
        );
        let mut tampered = forged.clone();
        tampered.pop();
        tampered.push(if forged.ends_with('A') { 'B' } else { 'A' });
        let r = Browser::new(&app)
            .get(&format!("/api/auth/verify-email?token={tampered}"))
            .await;
        assert_eq!(
            (r.status, r.json()["code"].clone()),
            (401, json!("INVALID_TOKEN"))
        );
        assert_eq!(email_of(&app, &id).await.0, "ivy@example.com");
    })
    .await;
}

// ---- delete-user

fn delete_user(c: &mut Config) {
    c.lifecycle.delete_user.enabled = true;
}

fn delete_user_by_mail(c: &mut Config) {
    c.lifecycle.delete_user.enabled = true;
    c.lifecycle.delete_user.send_delete_account_verification = true;
}

#[tokio::test]
async fn delete_user_is_off_by_default() {
    for_each_store_with_outbox(Plugins::NONE, |app, _outbox| async move {
        let b = Browser::new(&app);
        b.sign_up("jo@example.com", PASSWORD).await;
        let r = b.post("/api/auth/delete-user", json!({})).await;
        assert_eq!((r.status, r.text()), (404, String::new()));
        let r = b.get("/api/auth/delete-user/callback?token=x").await;
        assert_eq!(
            (r.status, r.json()),
            (404, json!({"message": "Not found", "code": "NOT_FOUND"}))
        );
        assert_eq!(user_count(&app).await, 1);
    })
    .await;
}

#[tokio::test]
async fn delete_user_with_the_password_removes_the_user_sessions_and_accounts() {
    for_each_store_configured(Plugins::ALL, delete_user, |app, _outbox| async move {
        let b = Browser::new(&app);
        b.sign_up("kim@example.com", PASSWORD).await;
        let elsewhere = Browser::new(&app);
        elsewhere.sign_in("kim@example.com", PASSWORD).await;
        let id = app
            .store
            .find_user_by_email("kim@example.com")
            .await
            .unwrap()
            .unwrap()
            .id;
        let r = b
            .post(
                "/api/auth/delete-user",
                json!({"password": "wrong password"}),
            )
            .await;
        assert_eq!(
            (r.status, r.json()),
            (
                400,
                json!({"message": "Invalid password", "code": "INVALID_PASSWORD"})
            )
        );
        assert_eq!(user_count(&app).await, 1);

        let r = b
            .post("/api/auth/delete-user", json!({"password": PASSWORD}))
            .await;
        assert_eq!(
            (r.status, r.json()),
            (200, json!({"success": true, "message": "User deleted"}))
        );
        assert!(
            r.set_cookie("better-auth.session_token")
                .unwrap()
                .contains("Max-Age=0")
        );
        assert_eq!(user_count(&app).await, 0);
        assert!(app.store.list_accounts(&id).await.unwrap().is_empty());
        assert_eq!(elsewhere.get("/api/auth/get-session").await.text(), "null");
    })
    .await;
}

#[tokio::test]
async fn delete_user_without_a_password_needs_a_fresh_session() {
    fn stale_after_a_second(c: &mut Config) {
        c.lifecycle.delete_user.enabled = true;
        c.session.fresh_age = 1;
    }
    for_each_store_configured(
        Plugins::NONE,
        stale_after_a_second,
        |app, _outbox| async move {
            let b = Browser::new(&app);
            b.sign_up("lou@example.com", PASSWORD).await;
            tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
            let r = b.post("/api/auth/delete-user", json!({})).await;
            assert_eq!(
                (r.status, r.json()),
                (
                    400,
                    json!({"message": "Session expired. Re-authenticate to perform this action.",
                       "code": "SESSION_EXPIRED"})
                )
            );
            assert_eq!(user_count(&app).await, 1);
            let fresh = Browser::new(&app);
            fresh.sign_in("lou@example.com", PASSWORD).await;
            let r = fresh.post("/api/auth/delete-user", json!({})).await;
            assert_eq!(r.json()["message"], "User deleted");
            assert_eq!(user_count(&app).await, 0);
        },
    )
    .await;
}

#[tokio::test]
async fn delete_user_by_emailed_link_works_once_and_only_for_its_user() {
    for_each_store_configured(Plugins::NONE, delete_user_by_mail, |app, outbox| async move {
        let b = Browser::new(&app);
        b.sign_up("max@example.com", PASSWORD).await;
        let other = Browser::new(&app);
        other.sign_up("nia@example.com", PASSWORD).await;
        let r = b
            .post("/api/auth/delete-user", json!({"callbackURL": "/bye"}))
            .await;
        assert_eq!(
            r.json(),
            json!({"success": true, "message": "Verification email sent"})
        );
        let mail = outbox.last("delete-account", "max@example.com").unwrap();
        let token = mail["token"].as_str().unwrap().to_owned();
        assert!(token.len() == 32 && token.bytes().all(|c| c.is_ascii_digit() || c.is_ascii_lowercase()));
        assert_eq!(
            mail["url"],
            format!("http://localhost:3000/api/auth/delete-user/callback?token={token}&callbackURL=%2Fbye")
        );
        let link = path_of(&mail["url"]);

        let r = Browser::new(&app).get(&link).await;
        assert_eq!(
            (r.status, r.json()["code"].clone()),
            (404, json!("FAILED_TO_GET_USER_INFO")),
            "the link needs the user's session"
        );
        let r = other.get(&link).await;
        assert_eq!(
            (r.status, r.json()),
            (404, json!({"message": "Invalid token", "code": "INVALID_TOKEN"})),
            "someone else's token"
        );
        assert_eq!(user_count(&app).await, 2);
        let r = b.get(&link).await;
        assert_eq!(r.status, 404, "a foreign try burns the token, as in Better Auth");

        b.post("/api/auth/delete-user", json!({})).await;
        let mail = outbox.last("delete-account", "max@example.com").unwrap();
        let r = b.get(&path_of(&mail["url"])).await;
        assert_eq!((r.status, r.header("location")), (302, Some("/".into())));
        assert!(r.set_cookie("better-auth.session_token").unwrap().contains("Max-Age=0"));
        assert!(app.store.find_user_by_email("max@example.com").await.unwrap().is_none());
        assert_eq!(user_count(&app).await, 1);
    })
    .await;
}

#[tokio::test]
async fn delete_user_tokens_expired_or_made_up_are_refused() {
    for_each_store_configured(
        Plugins::NONE,
        delete_user_by_mail,
        |app, _outbox| async move {
            let b = Browser::new(&app);
            b.sign_up("oz@example.com", PASSWORD).await;
            let id = app
                .store
                .find_user_by_email("oz@example.com")
                .await
                .unwrap()
                .unwrap()
                .id;
            let past = tessera_core::timefmt::now_ms() - time::Duration::hours(2);
            app.store
                .create_verification(&tessera_core::model::Verification {
                    id: "expired-row".into(),
                    identifier: "delete-account-expiredtoken0000000000000000000000".into(),
                    value: id,
                    expires_at: past + time::Duration::hours(1),
                    created_at: past,
                    updated_at: past,
                })
                .await
                .unwrap();
            for token in ["expiredtoken0000000000000000000000", "madeup"] {
                let r = b
                    .post("/api/auth/delete-user", json!({"token": token}))
                    .await;
                assert_eq!(
                    (r.status, r.json()["code"].clone()),
                    (404, json!("INVALID_TOKEN"))
                );
            }
            assert_eq!(user_count(&app).await, 1);
        },
    )
    .await;
}

#[tokio::test]
async fn change_email_is_rate_limited_like_better_auths_sign_in() {
    fn limited(c: &mut Config) {
        c.lifecycle.change_email.enabled = true;
        c.rate_limit.enabled = true;
    }
    for_each_store_configured(Plugins::NONE, limited, |app, _outbox| async move {
        let b = Browser::new(&app).from_ip("203.0.113.9");
        b.sign_up("pam@example.com", PASSWORD).await;
        for i in 0..3 {
            let r = b
                .post(
                    "/api/auth/change-email",
                    json!({"newEmail": format!("p{i}@example.com")}),
                )
                .await;
            assert_eq!(r.status, 200);
        }
        let r = b
            .post(
                "/api/auth/change-email",
                json!({"newEmail": "p9@example.com"}),
            )
            .await;
        assert_eq!(r.status, 429);
    })
    .await;
}
