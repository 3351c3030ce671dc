//! The two-factor plugin over HTTP: enrolment, the sign-in challenge, TOTP / OTP / backup codes,
//! trusted devices, and the caps that hold under concurrent guessing.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use serde_json::{Value, json};
use support::{Browser, Outbox, TestApp, for_each_store, for_each_store_with_outbox};
use tessera_core::crypto::totp::TotpSecret;
use tessera_core::plugins::Plugins;
use tessera_core::plugins::accessors::*;
use tessera_core::plugins::{admin, phone_number, two_factor, username};

const PASSWORD: &str = "correct horse battery";

fn now_secs() -> u64 {
    time::OffsetDateTime::now_utc().unix_timestamp() as u64
}

fn secret_from_uri(uri: &str) -> TotpSecret {
    let query = uri.split_once('?').unwrap().1;
    let b32 = query
        .split('&')
        .find_map(|kv| kv.strip_prefix("secret="))
        .unwrap();
    TotpSecret::from_plaintext(&format!("base32:{b32}")).unwrap()
}

/// Signs up, enrols and confirms TOTP in session mode (using the code of the PREVIOUS step, so
/// that the current and next steps stay free for the test: a step is accepted once).
async fn enrolled(app: &TestApp, email: &str) -> (Browser, TotpSecret, Vec<String>) {
    let b = Browser::new(app);
    b.sign_up(email, PASSWORD).await;
    let r = b
        .post("/api/auth/two-factor/enable", json!({"password": PASSWORD}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let body = r.json();
    let uri = body["totpURI"].as_str().unwrap();
    assert!(
        uri.starts_with(&format!(
            "otpauth://totp/Better%20Auth:{}?secret=",
            email.replace('@', "%40")
        )),
        "{uri}"
    );
    assert!(
        uri.ends_with("&issuer=Better+Auth&digits=6&period=30"),
        "{uri}"
    );
    let codes: Vec<String> = body["backupCodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(codes.len(), 10);
    assert!(
        codes
            .iter()
            .all(|c| c.len() == 11 && c.as_bytes()[5] == b'-')
    );
    let secret = secret_from_uri(uri);
    let user = app.store.find_user_by_email(email).await.unwrap().unwrap();
    assert_eq!(
        user.two_factor_enabled(),
        Some(false),
        "not on until the first code"
    );

    let old_token = b.cookie_value("better-auth.session_token").unwrap();
    let code = secret.code_at(now_secs() - 30);
    let r = b
        .post("/api/auth/two-factor/verify-totp", json!({"code": code}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.json()["user"]["twoFactorEnabled"],
        false,
        "Better Auth's quirk: the body shows the user as before the call"
    );
    assert_ne!(
        b.cookie_value("better-auth.session_token").unwrap(),
        old_token,
        "session rotated"
    );
    let row = app.store.find_two_factor(&user.id).await.unwrap().unwrap();
    assert_eq!(row.verified, Some(true));
    let user = app.store.find_user_by_id(&user.id).await.unwrap().unwrap();
    assert_eq!(user.two_factor_enabled(), Some(true));
    assert!(!row.secret.contains(&secret.base32()), "stored encrypted");
    (b, secret, codes)
}

/// A fresh browser that has passed the password step and holds the challenge cookie.
async fn challenged(app: &TestApp, email: &str) -> Browser {
    let b = Browser::new(app);
    let r = b
        .post(
            "/api/auth/sign-in/email",
            json!({"email": email, "password": PASSWORD}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.json(),
        json!({"twoFactorRedirect": true, "twoFactorMethods": ["totp"]})
    );
    let cookie = r.set_cookie("better-auth.two_factor").unwrap();
    assert!(cookie.contains("Max-Age=600"), "{cookie}");
    assert!(
        r.set_cookie("better-auth.session_token")
            .unwrap()
            .contains("Max-Age=0"),
        "no session (M10)"
    );
    assert!(b.cookie_value("better-auth.session_token").is_none());
    assert_eq!(b.get("/api/auth/get-session").await.text(), "null");
    b
}

#[tokio::test]
async fn totp_enrolment_then_a_challenged_sign_in_completed_by_totp() {
    for_each_store(Plugins::ALL, |app| async move {
        let (_, secret, _) = enrolled(&app, "tess@example.com").await;
        let b = challenged(&app, "tess@example.com").await;
        let challenge_cookie = b.cookie_value("better-auth.two_factor").unwrap();
        let r = b
            .post(
                "/api/auth/two-factor/verify-totp",
                json!({"code": secret.code_at(now_secs())}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
        let token = r.json()["token"].as_str().unwrap().to_owned();
        assert!(
            r.set_cookie("better-auth.two_factor")
                .unwrap()
                .contains("Max-Age=0")
        );
        assert_eq!(
            b.get("/api/auth/get-session").await.json()["session"]["token"],
            token.as_str()
        );

        // The challenge is spent: replaying its cookie gets nowhere.
        let replay = Browser::new(&app).with_cookie("better-auth.two_factor", &challenge_cookie);
        let r = replay
            .without_origin()
            .post(
                "/api/auth/two-factor/verify-totp",
                json!({"code": secret.code_at(now_secs() + 30)}),
            )
            .await;
        assert_eq!(r.status, 403, "cookie-bearing POST without Origin");
        let r = replay
            .post(
                "/api/auth/two-factor/verify-totp",
                json!({"code": secret.code_at(now_secs() + 30)}),
            )
            .await;
        assert_eq!(
            (r.status, r.json()["code"].clone()),
            (401, json!("INVALID_TWO_FACTOR_COOKIE"))
        );
    })
    .await;
}

#[tokio::test]
async fn a_totp_code_is_accepted_once() {
    for_each_store(Plugins::ALL, |app| async move {
        let (_, secret, _) = enrolled(&app, "once@example.com").await;
        let code = secret.code_at(now_secs());
        let first = challenged(&app, "once@example.com").await;
        assert_eq!(
            first
                .post("/api/auth/two-factor/verify-totp", json!({"code": code}))
                .await
                .status,
            200
        );
        let second = challenged(&app, "once@example.com").await;
        let r = second
            .post("/api/auth/two-factor/verify-totp", json!({"code": code}))
            .await;
        assert_eq!(
            (r.status, r.json()["code"].clone()),
            (401, json!("INVALID_CODE")),
            "replay refused (M1)"
        );
        let older = secret.code_at(now_secs() - 30);
        let r = second
            .post("/api/auth/two-factor/verify-totp", json!({"code": older}))
            .await;
        assert_eq!(
            r.status, 401,
            "an earlier step than one already used is refused too"
        );
    })
    .await;
}

#[tokio::test]
async fn wrong_malformed_and_missing_codes() {
    for_each_store(Plugins::ALL, |app| async move {
        let (_, secret, _) = enrolled(&app, "wrong@example.com").await;
        let b = challenged(&app, "wrong@example.com").await;
        let good = secret.code_at(now_secs());
        let wrong = format!("{:06}", (good.parse::<u32>().unwrap() + 1) % 1_000_000);
        for code in [wrong.as_str(), "12345", "abcdef", ""] {
            let r = b
                .post("/api/auth/two-factor/verify-totp", json!({"code": code}))
                .await;
            assert_eq!(
                (r.status, r.json()["code"].clone()),
                (401, json!("INVALID_CODE")),
                "{code:?}"
            );
        }
        let r = b
            .post("/api/auth/two-factor/verify-totp", json!({"code": 123456}))
            .await;
        assert_eq!(
            (r.status, r.json()["code"].clone()),
            (400, json!("VALIDATION_ERROR"))
        );
        let r = Browser::new(&app)
            .post("/api/auth/two-factor/verify-totp", json!({"code": good}))
            .await;
        assert_eq!(
            (r.status, r.json()["code"].clone()),
            (401, json!("INVALID_TWO_FACTOR_COOKIE"))
        );
    })
    .await;
}

#[tokio::test]
async fn a_burst_of_concurrent_guesses_cannot_exceed_the_challenge_cap() {
    for_each_store(Plugins::ALL, |app| async move {
        enrolled(&app, "burst@example.com").await;
        let b = std::sync::Arc::new(challenged(&app, "burst@example.com").await);
        let guesses = (0..12).map(|i| {
            let b = std::sync::Arc::clone(&b);
            async move {
                b.post(
                    "/api/auth/two-factor/verify-totp",
                    json!({"code": format!("{:06}", 100_000 + i)}),
                )
                .await
            }
        });
        let results = futures::future::join_all(guesses).await;
        let tried = results
            .iter()
            .filter(|r| r.json()["code"] == "INVALID_CODE")
            .count();
        let capped = results
            .iter()
            .filter(|r| {
                r.json()["code"] == "TOO_MANY_ATTEMPTS_REQUEST_NEW_CODE"
                    || r.json()["code"] == "INVALID_TWO_FACTOR_COOKIE"
            })
            .count();
        assert!(tried <= 5, "{tried} guesses were checked");
        assert_eq!(tried + capped, 12);
        let r = b
            .post(
                "/api/auth/two-factor/verify-totp",
                json!({"code": "000000"}),
            )
            .await;
        assert!(
            r.status == 400 || r.status == 401,
            "the challenge is void: {}",
            r.text()
        );
    })
    .await;
}

#[tokio::test]
async fn ten_failures_lock_the_second_factor_for_a_while() {
    let app = TestApp::sqlite(Plugins::ALL).await;
    let (_, secret, _) = enrolled(&app, "lock@example.com").await;
    let mut failures = 0;
    while failures < 10 {
        let b = challenged(&app, "lock@example.com").await;
        for _ in 0..4 {
            let r = b
                .post(
                    "/api/auth/two-factor/verify-totp",
                    json!({"code": "000000"}),
                )
                .await;
            if r.json()["code"] == "INVALID_CODE" {
                failures += 1;
            }
            if failures == 10 {
                break;
            }
        }
    }
    let b = challenged(&app, "lock@example.com").await;
    let r = b
        .post(
            "/api/auth/two-factor/verify-totp",
            json!({"code": secret.code_at(now_secs())}),
        )
        .await;
    assert_eq!(
        (r.status, r.json()["code"].clone()),
        (429, json!("ACCOUNT_TEMPORARILY_LOCKED"))
    );
}

#[tokio::test]
async fn backup_codes_complete_a_sign_in_once_each() {
    for_each_store(Plugins::ALL, |app| async move {
        let (owner, _, codes) = enrolled(&app, "backup@example.com").await;
        let b = challenged(&app, "backup@example.com").await;
        let r = b
            .post(
                "/api/auth/two-factor/verify-backup-code",
                json!({"code": codes[0]}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert_ne!(b.get("/api/auth/get-session").await.text(), "null");
        let b = challenged(&app, "backup@example.com").await;
        let r = b
            .post(
                "/api/auth/two-factor/verify-backup-code",
                json!({"code": codes[0]}),
            )
            .await;
        assert_eq!(
            (r.status, r.json()["code"].clone()),
            (401, json!("INVALID_BACKUP_CODE"))
        );
        let r = b
            .post(
                "/api/auth/two-factor/verify-backup-code",
                json!({"code": codes[1]}),
            )
            .await;
        assert_eq!(r.status, 200);

        let r = owner
            .post(
                "/api/auth/two-factor/generate-backup-codes",
                json!({"password": PASSWORD}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
        let fresh = r.json()["backupCodes"].as_array().unwrap().len();
        assert_eq!((r.json()["status"].clone(), fresh), (json!(true), 10));
        let b = challenged(&app, "backup@example.com").await;
        let r = b
            .post(
                "/api/auth/two-factor/verify-backup-code",
                json!({"code": codes[2]}),
            )
            .await;
        assert_eq!(r.status, 401, "old codes are gone after regeneration");
    })
    .await;
}

#[tokio::test]
async fn an_emailed_otp_completes_the_sign_in() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = dir.path().join("outbox.jsonl");
    let outbox_path = outbox.display().to_string();
    let app = TestApp::sqlite_with(Plugins::ALL, |c| c.outbox_path = Some(outbox_path)).await;
    enrolled(&app, "otp@example.com").await;
    let b = Browser::new(&app);
    let r = b
        .post(
            "/api/auth/sign-in/email",
            json!({"email": "otp@example.com", "password": PASSWORD}),
        )
        .await;
    assert_eq!(r.json()["twoFactorMethods"], json!(["totp", "otp"]));
    let r = b.post("/api/auth/two-factor/send-otp", json!({})).await;
    assert_eq!((r.status, r.json()), (200, json!({"status": true})));
    let line: Value = std::fs::read_to_string(&outbox)
        .unwrap()
        .lines()
        .last()
        .map(|l| serde_json::from_str(l).unwrap())
        .unwrap();
    assert_eq!(
        (line["type"].clone(), line["to"].clone()),
        (json!("two-factor-otp"), json!("otp@example.com"))
    );
    let code = line["code"].as_str().unwrap().to_owned();
    assert_eq!(code.len(), 6);
    let r = b
        .post("/api/auth/two-factor/verify-otp", json!({"code": "000000"}))
        .await;
    assert_eq!(
        (r.status, r.json()["code"].clone()),
        (401, json!("INVALID_CODE"))
    );
    let r = b
        .post("/api/auth/two-factor/verify-otp", json!({"code": code}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let again = Browser::new(&app);
    again
        .post(
            "/api/auth/sign-in/email",
            json!({"email": "otp@example.com", "password": PASSWORD}),
        )
        .await;
    let r = again
        .post("/api/auth/two-factor/verify-otp", json!({"code": code}))
        .await;
    assert_eq!(
        (r.status, r.json()["code"].clone()),
        (400, json!("OTP_HAS_EXPIRED")),
        "an OTP is bound to its challenge (M5)"
    );
}

#[tokio::test]
async fn a_trusted_device_skips_the_second_factor() {
    for_each_store(Plugins::ALL, |app| async move {
        let (_, secret, _) = enrolled(&app, "trust@example.com").await;
        let b = challenged(&app, "trust@example.com").await;
        let r = b
            .post(
                "/api/auth/two-factor/verify-totp",
                json!({"code": secret.code_at(now_secs()), "trustDevice": true}),
            )
            .await;
        assert_eq!(r.status, 200);
        let trust = r.set_cookie("better-auth.trust_device").unwrap();
        assert!(trust.contains("Max-Age=2592000"), "{trust}");
        b.post("/api/auth/sign-out", json!({})).await;
        let r = b
            .post(
                "/api/auth/sign-in/email",
                json!({"email": "trust@example.com", "password": PASSWORD}),
            )
            .await;
        assert_eq!(r.status, 200);
        assert!(r.json()["token"].is_string(), "no challenge: {}", r.text());
        assert!(
            r.set_cookie("better-auth.trust_device").is_some(),
            "the trust cookie is rotated"
        );
        let stranger = Browser::new(&app);
        let r = stranger
            .post(
                "/api/auth/sign-in/email",
                json!({"email": "trust@example.com", "password": PASSWORD}),
            )
            .await;
        assert_eq!(
            r.json()["twoFactorRedirect"],
            true,
            "other browsers are still challenged"
        );
    })
    .await;
}

#[tokio::test]
async fn disable_and_the_password_checks_of_enrolment() {
    for_each_store(Plugins::ALL, |app| async move {
        let (owner, secret, _) = enrolled(&app, "off@example.com").await;
        let r = owner
            .post(
                "/api/auth/two-factor/enable",
                json!({"password": "not my password"}),
            )
            .await;
        assert_eq!(
            (r.status, r.json()["code"].clone()),
            (400, json!("INVALID_PASSWORD"))
        );
        let r = owner
            .post("/api/auth/two-factor/enable", json!({"password": PASSWORD}))
            .await;
        assert_eq!(
            (r.status, r.json()["code"].clone()),
            (400, json!("TOTP_ALREADY_ENABLED"))
        );
        let r = owner
            .post(
                "/api/auth/two-factor/get-totp-uri",
                json!({"password": PASSWORD}),
            )
            .await;
        assert_eq!(
            secret_from_uri(r.json()["totpURI"].as_str().unwrap()).base32(),
            secret.base32()
        );
        let r = owner
            .post(
                "/api/auth/two-factor/disable",
                json!({"password": PASSWORD}),
            )
            .await;
        assert_eq!((r.status, r.json()), (200, json!({"status": true})));
        assert_ne!(
            owner.get("/api/auth/get-session").await.text(),
            "null",
            "rotated, still signed in"
        );
        let r = Browser::new(&app)
            .post(
                "/api/auth/sign-in/email",
                json!({"email": "off@example.com", "password": PASSWORD}),
            )
            .await;
        assert!(r.json()["token"].is_string(), "no challenge once disabled");
    })
    .await;
}

#[tokio::test]
async fn an_imported_base32_secret_accepts_the_users_authenticator_codes() {
    for_each_store(Plugins::ALL, |app| async move {
        let b = Browser::new(&app);
        b.sign_up("clerk@example.com", PASSWORD).await;
        let user = app
            .store
            .find_user_by_email("clerk@example.com")
            .await
            .unwrap()
            .unwrap();
        // What the importer writes for a Clerk TOTP secret: "base32:<SECRET>" encrypted with the
        // auth secret, twoFactorEnabled on, verified.
        let clerk_secret = "JBSWY3DPEHPK3PXP";
        let secrets = tessera_core::crypto::symmetric::Secrets::single(support::SECRET);
        let plaintext = TotpSecret::import_plaintext(clerk_secret).unwrap();
        app.store
            .upsert_two_factor(&tessera_core::model::TwoFactor {
                id: "tf-imported".into(),
                secret: secrets.encrypt(&plaintext).unwrap(),
                backup_codes: secrets.encrypt("[]").unwrap(),
                user_id: user.id.clone(),
                verified: Some(true),
                failed_verification_count: None,
                locked_until: None,
            })
            .await
            .unwrap();
        let patch =
            tessera_core::model::UserPatch::default().with(&two_factor::TWO_FACTOR_ENABLED, true);
        app.store
            .update_user(&user.id, &patch, tessera_core::timefmt::now_ms())
            .await
            .unwrap();

        let authenticator = TotpSecret::from_plaintext(&format!("base32:{clerk_secret}")).unwrap();
        let challenge = challenged(&app, "clerk@example.com").await;
        let r = challenge
            .post(
                "/api/auth/two-factor/verify-totp",
                json!({"code": authenticator.code_at(now_secs())}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
    })
    .await;
}

#[tokio::test]
async fn an_unusable_stored_secret_is_a_500_as_in_better_auth() {
    let app = TestApp::sqlite(Plugins::ALL).await;
    let b = Browser::new(&app);
    b.sign_up("raw@example.com", PASSWORD).await;
    let user = app
        .store
        .find_user_by_email("raw@example.com")
        .await
        .unwrap()
        .unwrap();
    app.store
        .upsert_two_factor(&tessera_core::model::TwoFactor {
            id: "tf-raw".into(),
            secret: "JBSWY3DPEHPK3PXP".into(),
            backup_codes: "[]".into(),
            user_id: user.id.clone(),
            verified: Some(true),
            failed_verification_count: None,
            locked_until: None,
        })
        .await
        .unwrap();
    let r = b
        .post(
            "/api/auth/two-factor/get-totp-uri",
            json!({"password": PASSWORD}),
        )
        .await;
    assert_eq!((r.status, r.text()), (500, String::new()));
}

// ---------------------------------------------------------------- banned users

const BANNED: &str = r#"{"message":"You have been banned from this application. Please contact support if you believe this is an error.","code":"BANNED_USER"}"#;

/// An admin's browser: signed up, then given the role as `tessera user set-role` would.
async fn admin_browser(app: &TestApp) -> Browser {
    let b = Browser::new(app);
    b.sign_up("root@example.com", PASSWORD).await;
    let id = app
        .store
        .find_user_by_email("root@example.com")
        .await
        .unwrap()
        .unwrap()
        .id;
    let patch = tessera_core::model::UserPatch::default().with(&admin::ROLE, "admin");
    app.store
        .update_user(&id, &patch, tessera_core::timefmt::now_ms())
        .await
        .unwrap();
    b
}

/// Gives the user a username and a phone number, so each password sign-in can be tried.
async fn reachable_by_every_sign_in(app: &TestApp, user_id: &str, username: &str, phone: &str) {
    let patch = tessera_core::model::UserPatch::default()
        .with(&username::USERNAME, username)
        .with(&username::DISPLAY_USERNAME, username)
        .with(&phone_number::PHONE_NUMBER, phone)
        .with(&phone_number::PHONE_NUMBER_VERIFIED, true);
    app.store
        .update_user(user_id, &patch, tessera_core::timefmt::now_ms())
        .await
        .unwrap();
}

#[tokio::test]
async fn a_banned_user_with_totp_is_refused_at_the_password_step_by_every_sign_in() {
    for_each_store(Plugins::ALL, |app| async move {
        let (_, _, _) = enrolled(&app, "banned@example.com").await;
        let id = app
            .store
            .find_user_by_email("banned@example.com")
            .await
            .unwrap()
            .unwrap()
            .id;
        reachable_by_every_sign_in(&app, &id, "banned_one", "+15550100").await;
        let admin = admin_browser(&app).await;
        let r = admin
            .post(
                "/api/auth/admin/ban-user",
                json!({"userId": id, "banReason": "abuse"}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text());

        let attempts = [
            (
                "/api/auth/sign-in/email",
                json!({"email": "banned@example.com", "password": PASSWORD}),
            ),
            (
                "/api/auth/sign-in/username",
                json!({"username": "banned_one", "password": PASSWORD}),
            ),
            (
                "/api/auth/sign-in/phone-number",
                json!({"phoneNumber": "+15550100", "password": PASSWORD}),
            ),
        ];
        for (path, body) in attempts {
            let b = Browser::new(&app);
            let r = b.post(path, body).await;
            assert_eq!((r.status, r.text()), (403, BANNED.to_owned()), "{path}");
            assert!(
                r.set_cookie("better-auth.two_factor").is_none(),
                "{path}: no challenge, so nothing says the password was right"
            );
            assert!(
                b.cookie_value("better-auth.session_token").is_none(),
                "{path}"
            );
        }
        // A wrong password is still answered as a wrong password, ban or not.
        let r = Browser::new(&app)
            .post(
                "/api/auth/sign-in/email",
                json!({"email": "banned@example.com", "password": "not the password"}),
            )
            .await;
        assert_eq!(
            (r.status, r.json()["code"].clone()),
            (401, json!("INVALID_EMAIL_OR_PASSWORD"))
        );
    })
    .await;
}

#[tokio::test]
async fn an_expired_ban_lifts_and_the_two_factor_challenge_follows_as_usual() {
    for_each_store(Plugins::ALL, |app| async move {
        let (_, secret, _) = enrolled(&app, "paroled@example.com").await;
        let id = app
            .store
            .find_user_by_email("paroled@example.com")
            .await
            .unwrap()
            .unwrap()
            .id;
        let admin = admin_browser(&app).await;
        let r = admin
            .post(
                "/api/auth/admin/ban-user",
                json!({"userId": id, "banExpiresIn": 3600}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
        let r = Browser::new(&app)
            .post(
                "/api/auth/sign-in/email",
                json!({"email": "paroled@example.com", "password": PASSWORD}),
            )
            .await;
        assert_eq!(r.status, 403, "banned for the hour");
        // The hour passes.
        let patch = tessera_core::model::UserPatch::default().with(
            &admin::BAN_EXPIRES,
            tessera_core::timefmt::now_ms() - time::Duration::seconds(1),
        );
        app.store
            .update_user(&id, &patch, tessera_core::timefmt::now_ms())
            .await
            .unwrap();

        let b = challenged(&app, "paroled@example.com").await;
        let user = app.store.find_user_by_id(&id).await.unwrap().unwrap();
        assert_eq!(
            (
                user.banned(),
                user.ban_reason().map(str::to_owned),
                user.ban_expires()
            ),
            (Some(false), None, None),
            "the expired ban is lifted at the password step"
        );
        let r = b
            .post(
                "/api/auth/two-factor/verify-totp",
                json!({"code": secret.code_at(now_secs())}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert!(r.json()["token"].is_string());
    })
    .await;
}

// ---------------------------------------------------------------- the lock of OTP-only users

const LOCKED: &str = r#"{"message":"Too many failed verification attempts. Your account is temporarily locked. Please try again later.","code":"ACCOUNT_TEMPORARILY_LOCKED"}"#;

/// A user whose only second factor is the emailed OTP: enabled by verifying a code in session
/// mode, with no twoFactor row. Returns the user id.
async fn otp_only_user(app: &TestApp, outbox: &Outbox, email: &str) -> String {
    let b = Browser::new(app);
    b.sign_up(email, PASSWORD).await;
    let r = b.post("/api/auth/two-factor/send-otp", json!({})).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let code = outbox.code("two-factor-otp", email);
    let r = b
        .post("/api/auth/two-factor/verify-otp", json!({"code": code}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let user = app.store.find_user_by_email(email).await.unwrap().unwrap();
    assert_eq!(user.two_factor_enabled(), Some(true));
    assert!(app.store.find_two_factor(&user.id).await.unwrap().is_none());
    user.id
}

/// A browser past the password step of an OTP-only user, holding a freshly sent code.
async fn otp_challenged(app: &TestApp, outbox: &Outbox, email: &str) -> (Browser, String) {
    let b = Browser::new(app);
    let r = b
        .post(
            "/api/auth/sign-in/email",
            json!({"email": email, "password": PASSWORD}),
        )
        .await;
    assert_eq!(
        r.json(),
        json!({"twoFactorRedirect": true, "twoFactorMethods": ["otp"]})
    );
    let sent = outbox.messages().len();
    let r = b.post("/api/auth/two-factor/send-otp", json!({})).await;
    assert_eq!(r.status, 200, "{}", r.text());
    outbox.wait_for_count(sent + 1).await;
    let code = outbox.code("two-factor-otp", email);
    (b, code)
}

fn wrong(code: &str) -> String {
    // Any other six digits.
    let n: u32 = code.parse().unwrap();
    format!("{:06}", (n + 1) % 1_000_000)
}

#[tokio::test]
async fn ten_wrong_otps_lock_an_otp_only_account_and_the_lock_lifts_like_the_totp_one() {
    for_each_store_with_outbox(Plugins::ALL, |app, outbox| async move {
        let email = "otponly@example.com";
        let id = otp_only_user(&app, &outbox, email).await;
        let mut failures = 0;
        while failures < 10 {
            // Four guesses per code stay under the per-code cap of five.
            let (b, code) = otp_challenged(&app, &outbox, email).await;
            for _ in 0..4 {
                let r = b
                    .post(
                        "/api/auth/two-factor/verify-otp",
                        json!({"code": wrong(&code)}),
                    )
                    .await;
                assert_eq!(
                    (r.status, r.json()["code"].clone()),
                    (401, json!("INVALID_CODE"))
                );
                failures += 1;
                if failures == 10 {
                    break;
                }
            }
        }
        let (b, code) = otp_challenged(&app, &outbox, email).await;
        let r = b
            .post("/api/auth/two-factor/verify-otp", json!({"code": code}))
            .await;
        assert_eq!(
            (r.status, r.text()),
            (429, LOCKED.to_owned()),
            "the right code is refused while locked, as a TOTP user's is"
        );
        assert!(b.cookie_value("better-auth.session_token").is_none());

        // The 15 minutes pass: the stored lock is made to lapse.
        let lock_id = format!("tessera-2fa-lock-{id}");
        let lock = app
            .store
            .consume_verification(&lock_id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(lock.value, "10");
        let now = tessera_core::timefmt::now_ms();
        app.store
            .create_verification(&tessera_core::model::Verification {
                expires_at: now - time::Duration::seconds(1),
                ..lock
            })
            .await
            .unwrap();
        let r = b
            .post("/api/auth/two-factor/verify-otp", json!({"code": code}))
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert!(r.json()["token"].is_string());
        assert!(
            app.store
                .find_verification(&lock_id)
                .await
                .unwrap()
                .is_none(),
            "a success clears the count"
        );
    })
    .await;
}

#[tokio::test]
async fn a_burst_of_concurrent_wrong_otps_gets_no_more_than_ten_codes_checked() {
    for_each_store_with_outbox(Plugins::ALL, |app, outbox| async move {
        let email = "burst@example.com";
        otp_only_user(&app, &outbox, email).await;
        // Four challenges, each with its own code: five guesses each pass the per-code cap, so
        // only the account's count stands between 20 guesses and 20 codes checked.
        let mut challenges = Vec::new();
        for _ in 0..4 {
            challenges.push(otp_challenged(&app, &outbox, email).await);
        }
        let guesses = challenges.iter().flat_map(|(b, code)| {
            (0..5).map(move |_| {
                b.post(
                    "/api/auth/two-factor/verify-otp",
                    json!({"code": wrong(code)}),
                )
            })
        });
        let answers = futures::future::join_all(guesses).await;
        let checked = answers.iter().filter(|r| r.status == 401).count();
        let locked = answers.iter().filter(|r| r.status == 429).count();
        assert_eq!(
            checked + locked,
            20,
            "{:?}",
            answers.iter().map(|r| r.text()).collect::<Vec<_>>()
        );
        assert_eq!(checked, 10, "exactly the cap of codes was examined");

        let (b, code) = otp_challenged(&app, &outbox, email).await;
        let r = b
            .post("/api/auth/two-factor/verify-otp", json!({"code": code}))
            .await;
        assert_eq!((r.status, r.text()), (429, LOCKED.to_owned()));
    })
    .await;
}
