//! The phone-number plugin over HTTP (reference §3.5; security requirements M3–M7): OTPs sent
//! through the outbox and spent once, verification and sign-up by phone, password sign-in and
//! reset by phone, on SQLite and (when `TESSERA_TEST_POSTGRES_URL` is set) PostgreSQL.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use std::sync::Arc;
use tessera_core::plugins::accessors::*;
use tessera_core::plugins::{admin, phone_number, two_factor};

use serde_json::{Value, json};
use support::{
    Browser, Outbox, Response, TestApp, for_each_store, for_each_store_configured,
    for_each_store_with_outbox,
};
use tessera_core::model::{User, UserPatch};
use tessera_core::plugins::Plugins;
use tessera_core::timefmt::now_ms;
use time::Duration;

const PASSWORD: &str = "correct horse battery";
const PHONE: &str = "+15550100";

fn phone_only() -> Plugins {
    Plugins {
        phone_number: true,
        ..Plugins::NONE
    }
}

fn error(r: &Response) -> (u16, Value, Value) {
    let body = r.json();
    (r.status, body["code"].clone(), body["message"].clone())
}

fn code_of(r: &Response) -> (u16, Value) {
    (r.status, r.json()["code"].clone())
}

async fn send_otp(app: &TestApp, outbox: &Outbox, phone: &str) -> String {
    let r = Browser::new(app)
        .post(
            "/api/auth/phone-number/send-otp",
            json!({"phoneNumber": phone}),
        )
        .await;
    assert_eq!((r.status, r.json()), (200, json!({"message": "code sent"})));
    outbox.code("phone-otp", phone)
}

async fn verify(b: &Browser, phone: &str, code: &str) -> Response {
    b.post(
        "/api/auth/phone-number/verify",
        json!({"phoneNumber": phone, "code": code}),
    )
    .await
}

/// A code that is certainly not `code`.
fn wrong(code: &str) -> String {
    if code == "000000" {
        "111111".into()
    } else {
        "000000".into()
    }
}

/// A user who signed up by email and whose `phone` is on record (verified or not) by other means
/// (an import, an admin).
async fn user_with_phone(app: &TestApp, email: &str, phone: &str, verified: bool) -> User {
    Browser::new(app).sign_up(email, PASSWORD).await;
    let user = app.store.find_user_by_email(email).await.unwrap().unwrap();
    let patch = UserPatch::default()
        .with(&phone_number::PHONE_NUMBER, phone)
        .with(&phone_number::PHONE_NUMBER_VERIFIED, verified);
    app.store
        .update_user(&user.id, &patch, now_ms())
        .await
        .unwrap()
        .unwrap()
}

#[tokio::test]
async fn send_otp_stores_a_six_digit_code_for_five_minutes_and_delivers_it() {
    for_each_store_with_outbox(phone_only(), |app, outbox| async move {
        let before = now_ms();
        let code = send_otp(&app, &outbox, PHONE).await;
        assert_eq!(code.len(), 6);
        assert!(code.bytes().all(|b| b.is_ascii_digit()), "{code}");
        let message = outbox.last("phone-otp", PHONE).unwrap();
        assert_eq!(
            message.as_object().unwrap().keys().collect::<Vec<_>>(),
            ["type", "to", "code", "at"]
        );

        let row = app
            .store
            .find_verification(&format!("phone-number-otp-{PHONE}"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.value, format!("{code}:0"));
        let lifetime = row.expires_at - before;
        assert!(
            lifetime >= Duration::seconds(299) && lifetime <= Duration::seconds(301),
            "{lifetime}"
        );

        let r = Browser::new(&app)
            .post("/api/auth/phone-number/send-otp", json!({}))
            .await;
        assert_eq!(
            error(&r),
            (
                400,
                json!("VALIDATION_ERROR"),
                json!("[body.phoneNumber] Invalid input: expected string, received undefined")
            )
        );
    })
    .await;
}

#[tokio::test]
async fn without_a_sender_send_otp_is_not_implemented() {
    for_each_store(phone_only(), |app| async move {
        let r = Browser::new(&app)
            .post(
                "/api/auth/phone-number/send-otp",
                json!({"phoneNumber": PHONE}),
            )
            .await;
        assert_eq!(
            error(&r),
            (
                501,
                json!("SEND_OTP_NOT_IMPLEMENTED"),
                json!("sendOTP not implemented")
            )
        );
        assert!(
            app.store
                .find_verification(&format!("phone-number-otp-{PHONE}"))
                .await
                .unwrap()
                .is_none()
        );
    })
    .await;
}

#[tokio::test]
async fn verifying_an_unknown_number_signs_a_new_user_up_with_a_placeholder_email() {
    for_each_store_configured(
        Plugins::ALL,
        sign_up_on_verification,
        |app, outbox| async move {
            let code = send_otp(&app, &outbox, PHONE).await;
            let b = Browser::new(&app);
            let r = verify(&b, PHONE, &code).await;
            assert_eq!(r.status, 200, "{}", r.text());
            let body = r.json();
            assert_eq!(
                body.as_object().unwrap().keys().collect::<Vec<_>>(),
                ["status", "token", "user"]
            );
            assert_eq!(body["status"], true);
            let user = &body["user"];
            assert_eq!(
                (
                    user["phoneNumber"].clone(),
                    user["phoneNumberVerified"].clone()
                ),
                (json!(PHONE), json!(true))
            );
            assert_eq!(
                user["name"], PHONE,
                "Better Auth names the user after the number"
            );
            assert_eq!(
                (
                    user["emailVerified"].clone(),
                    user["role"].clone(),
                    user["banned"].clone()
                ),
                (json!(false), json!("user"), json!(false))
            );
            let id = user["id"].as_str().unwrap();
            assert_eq!(
                user["email"],
                format!("{}@phone.tessera.invalid", id.to_lowercase())
            );

            assert!(
                r.set_cookie("better-auth.session_token")
                    .unwrap()
                    .contains("Max-Age=604800")
            );
            let session = b.get("/api/auth/get-session").await.json();
            assert_eq!(
                (
                    session["session"]["token"].clone(),
                    session["user"]["id"].clone()
                ),
                (body["token"].clone(), json!(id))
            );
            assert!(
                app.store
                    .find_credential_account(id)
                    .await
                    .unwrap()
                    .is_none(),
                "no password yet"
            );
            assert!(
                app.store
                    .find_verification(&format!("phone-number-otp-{PHONE}"))
                    .await
                    .unwrap()
                    .is_none(),
                "the code is spent"
            );
            let again = verify(&Browser::new(&app), PHONE, &code).await;
            assert_eq!(code_of(&again), (400, json!("OTP_NOT_FOUND")));
        },
    )
    .await;
}

#[tokio::test]
async fn verifying_a_known_number_marks_it_verified_and_can_skip_the_session() {
    for_each_store_with_outbox(phone_only(), |app, outbox| async move {
        let user = user_with_phone(&app, "lee@example.com", PHONE, false).await;
        let code = send_otp(&app, &outbox, PHONE).await;
        let r = Browser::new(&app)
            .post(
                "/api/auth/phone-number/verify",
                json!({"phoneNumber": PHONE, "code": code, "disableSession": true}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(
            (r.json()["status"].clone(), r.json()["token"].clone()),
            (json!(true), Value::Null)
        );
        assert_eq!(
            (
                r.json()["user"]["id"].clone(),
                r.json()["user"]["phoneNumberVerified"].clone()
            ),
            (json!(user.id), json!(true))
        );
        assert!(r.set_cookie("better-auth.session_token").is_none());
        let stored = app.store.find_user_by_id(&user.id).await.unwrap().unwrap();
        assert_eq!(stored.phone_number_verified(), Some(true));
        assert!(
            app.store
                .list_active_sessions(&user.id, now_ms())
                .await
                .unwrap()
                .len()
                == 1,
            "only sign-up's session"
        );

        let code = send_otp(&app, &outbox, PHONE).await;
        let r = verify(&Browser::new(&app), PHONE, &code).await;
        assert_eq!(
            (r.status, r.json()["user"]["id"].clone()),
            (200, json!(user.id))
        );
        assert!(r.json()["token"].is_string());
        assert_eq!(
            app.store
                .list_active_sessions(&user.id, now_ms())
                .await
                .unwrap()
                .len(),
            2
        );
    })
    .await;
}

#[tokio::test]
async fn wrong_missing_and_expired_codes() {
    for_each_store_with_outbox(phone_only(), |app, outbox| async move {
        let b = Browser::new(&app);
        let r = verify(&b, PHONE, "123456").await;
        assert_eq!(
            error(&r),
            (400, json!("OTP_NOT_FOUND"), json!("OTP not found"))
        );

        let code = send_otp(&app, &outbox, PHONE).await;
        let identifier = format!("phone-number-otp-{PHONE}");
        for attempt in 1..=3 {
            let r = verify(&b, PHONE, &wrong(&code)).await;
            assert_eq!(
                error(&r),
                (400, json!("INVALID_OTP"), json!("Invalid OTP")),
                "attempt {attempt}"
            );
            let row = app
                .store
                .find_verification(&identifier)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(
                row.value,
                format!("{code}:{attempt}"),
                "the count Better Auth keeps"
            );
        }
        let r = verify(&b, PHONE, &code).await;
        assert_eq!(
            error(&r),
            (403, json!("TOO_MANY_ATTEMPTS"), json!("Too many attempts")),
            "the right code is too late"
        );
        let r = verify(&b, PHONE, &code).await;
        assert_eq!(
            code_of(&r),
            (400, json!("OTP_NOT_FOUND")),
            "an exhausted code is deleted"
        );

        // Expiry: the row is moved 1 s into the past (M4: nothing lives past its 300 s).
        let code = send_otp(&app, &outbox, PHONE).await;
        let mut row = app
            .store
            .consume_verification(&identifier)
            .await
            .unwrap()
            .unwrap();
        row.expires_at = now_ms() - Duration::seconds(1);
        app.store.create_verification(&row).await.unwrap();
        let r = verify(&b, PHONE, &code).await;
        assert_eq!(error(&r), (400, json!("OTP_EXPIRED"), json!("OTP expired")));
        assert!(
            app.store
                .find_verification(&identifier)
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            app.store
                .find_user_by_field("phoneNumber", PHONE)
                .await
                .unwrap()
                .is_none(),
            "nobody was signed up"
        );

        let r = b
            .post(
                "/api/auth/phone-number/verify",
                json!({"phoneNumber": PHONE}),
            )
            .await;
        assert_eq!(
            error(&r),
            (
                400,
                json!("VALIDATION_ERROR"),
                json!("[body.code] Invalid input: expected string, received undefined")
            )
        );
    })
    .await;
}

#[tokio::test]
async fn a_new_code_replaces_the_old_and_exhausting_it_does_not_revive_the_old() {
    for_each_store_with_outbox(phone_only(), |app, outbox| async move {
        let first = send_otp(&app, &outbox, PHONE).await;
        let second = send_otp(&app, &outbox, PHONE).await;
        let b = Browser::new(&app);
        if first != second {
            assert_eq!(
                code_of(&verify(&b, PHONE, &first).await),
                (400, json!("INVALID_OTP")),
                "only the newest code counts"
            );
        }
        for _ in 0..10 {
            if verify(&b, PHONE, &wrong(&second)).await.status != 400 {
                break;
            }
        }
        assert_eq!(
            code_of(&verify(&b, PHONE, &first).await),
            (400, json!("OTP_NOT_FOUND"))
        );
    })
    .await;
}

#[tokio::test]
async fn codes_are_bound_to_their_number_and_their_flow() {
    for_each_store_with_outbox(phone_only(), |app, outbox| async move {
        user_with_phone(&app, "mo@example.com", PHONE, true).await;
        let r = Browser::new(&app)
            .post("/api/auth/phone-number/request-password-reset", json!({"phoneNumber": PHONE}))
            .await;
        assert_eq!((r.status, r.json()), (200, json!({"status": true})));
        let reset_code = outbox.wait_for_code("phone-reset-otp", PHONE).await;
        let r = verify(&Browser::new(&app), PHONE, &reset_code).await;
        assert_eq!(code_of(&r), (400, json!("OTP_NOT_FOUND")), "a reset code does not verify a number");

        let verify_code = send_otp(&app, &outbox, PHONE).await;
        let r = Browser::new(&app)
            .post(
                "/api/auth/phone-number/reset-password",
                json!({"phoneNumber": PHONE, "otp": verify_code, "newPassword": "a brand new password"}),
            )
            .await;
        if verify_code != reset_code {
            assert_eq!(code_of(&r), (400, json!("INVALID_OTP")), "a verification code does not reset a password");
        }
        let r = verify(&Browser::new(&app), "+15550199", &verify_code).await;
        assert_eq!(code_of(&r), (400, json!("OTP_NOT_FOUND")), "nor verifies another number");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_burst_of_wrong_codes_gets_exactly_the_three_tries() {
    for_each_store_with_outbox(phone_only(), |app, outbox| async move {
        let code = send_otp(&app, &outbox, PHONE).await;
        let guesses: Vec<_> = (0..12)
            .map(|i| {
                // Twelve different wrong codes: the real one plus 1..=12, modulo a million.
                let guess = format!("{:06}", (code.parse::<u32>().unwrap() + 1 + i) % 1_000_000);
                let b = Browser::new(&app);
                tokio::spawn(async move { code_of(&verify(&b, PHONE, &guess).await) })
            })
            .collect();
        let mut answers = Vec::new();
        for g in guesses {
            answers.push(g.await.unwrap());
        }
        let count = |a: (u16, Value)| answers.iter().filter(|x| **x == a).count();
        let judged = count((400, json!("INVALID_OTP")));
        let refused = count((403, json!("TOO_MANY_ATTEMPTS")));
        let gone = count((400, json!("OTP_NOT_FOUND")));
        assert_eq!(
            judged, 3,
            "exactly the cap of guesses was judged: {answers:?}"
        );
        assert!(refused >= 1, "{answers:?}");
        assert_eq!(judged + refused + gone, answers.len(), "{answers:?}");

        let r = verify(&Browser::new(&app), PHONE, &code).await;
        assert_ne!(r.status, 200, "the right code comes too late");
        assert!(
            app.store
                .find_user_by_field("phoneNumber", PHONE)
                .await
                .unwrap()
                .is_none()
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_right_codes_mint_exactly_one_session() {
    for_each_store_with_outbox(phone_only(), |app, outbox| async move {
        let user = user_with_phone(&app, "ned@example.com", PHONE, true).await;
        let sessions_before = app
            .store
            .list_active_sessions(&user.id, now_ms())
            .await
            .unwrap()
            .len();
        let code = send_otp(&app, &outbox, PHONE).await;
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let b = Browser::new(&app);
                let code = code.clone();
                tokio::spawn(async move { verify(&b, PHONE, &code).await })
            })
            .collect();
        let mut wins = 0;
        for t in tasks {
            let r = t.await.unwrap();
            if r.status == 200 {
                wins += 1;
            } else {
                let c = code_of(&r);
                assert!(
                    c == (400, json!("INVALID_OTP")) || c == (400, json!("OTP_NOT_FOUND")),
                    "{c:?}"
                );
                assert!(r.set_cookie("better-auth.session_token").is_none());
            }
        }
        assert_eq!(wins, 1);
        let sessions = app
            .store
            .list_active_sessions(&user.id, now_ms())
            .await
            .unwrap()
            .len();
        assert_eq!(sessions, sessions_before + 1);
    })
    .await;
}

#[tokio::test]
async fn update_phone_number_sets_the_callers_number_once_verified() {
    for_each_store_with_outbox(phone_only(), |app, outbox| async move {
        let b = Browser::new(&app);
        let token = b.sign_up("ola@example.com", PASSWORD).await;
        let code = send_otp(&app, &outbox, PHONE).await;
        let r = b
            .post(
                "/api/auth/phone-number/verify",
                json!({"phoneNumber": PHONE, "code": code, "updatePhoneNumber": true}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(
            r.json()["token"],
            token,
            "the caller's session, not a new one"
        );
        assert_eq!(
            (
                r.json()["user"]["email"].clone(),
                r.json()["user"]["phoneNumber"].clone()
            ),
            (json!("ola@example.com"), json!(PHONE))
        );
        let user = app
            .store
            .find_user_by_email("ola@example.com")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (user.phone_number(), user.phone_number_verified()),
            (Some(PHONE), Some(true))
        );

        // Someone else (or the caller again) asking for a number already held.
        let other = Browser::new(&app);
        other.sign_up("pia@example.com", PASSWORD).await;
        for caller in [&other, &b] {
            let code = send_otp(&app, &outbox, PHONE).await;
            let r = caller
                .post(
                    "/api/auth/phone-number/verify",
                    json!({"phoneNumber": PHONE, "code": code, "updatePhoneNumber": true}),
                )
                .await;
            assert_eq!(
                error(&r),
                (
                    400,
                    json!("PHONE_NUMBER_EXIST"),
                    json!("Phone number already exists")
                )
            );
        }

        let code = send_otp(&app, &outbox, "+15550111").await;
        let r = Browser::new(&app)
            .post(
                "/api/auth/phone-number/verify",
                json!({"phoneNumber": "+15550111", "code": code, "updatePhoneNumber": true}),
            )
            .await;
        assert_eq!(
            error(&r),
            (401, json!("USER_NOT_FOUND"), json!("User not found"))
        );
        assert!(
            app.store
                .find_user_by_field("phoneNumber", "+15550111")
                .await
                .unwrap()
                .is_none()
        );
    })
    .await;
}

#[tokio::test]
async fn sign_in_by_phone_number() {
    for_each_store(phone_only(), |app| async move {
        let user = user_with_phone(&app, "quin@example.com", PHONE, false).await;
        let b = Browser::new(&app);
        let r = b
            .post(
                "/api/auth/sign-in/phone-number",
                json!({"phoneNumber": PHONE, "password": PASSWORD}),
            )
            .await;
        assert_eq!(
            r.status,
            200,
            "an unverified number signs in (requireVerification is off): {}",
            r.text()
        );
        assert_eq!(
            r.json().as_object().unwrap().keys().collect::<Vec<_>>(),
            ["token", "user"]
        );
        assert_eq!(r.json()["user"]["id"], user.id);
        assert!(
            r.set_cookie("better-auth.session_token")
                .unwrap()
                .contains("Max-Age=604800")
        );
        assert_eq!(
            b.get("/api/auth/get-session").await.json()["session"]["token"],
            r.json()["token"]
        );

        let r = Browser::new(&app)
            .post(
                "/api/auth/sign-in/phone-number",
                json!({"phoneNumber": PHONE, "password": PASSWORD, "rememberMe": false}),
            )
            .await;
        assert!(
            !r.set_cookie("better-auth.session_token")
                .unwrap()
                .contains("Max-Age")
        );
        assert!(r.set_cookie("better-auth.dont_remember").is_some());

        // A phone user without any password, as verification creates them.
        let now = now_ms();
        let mut nopass = User::new(
            tessera_core::crypto::random::generate_id(32),
            "x".into(),
            "np@example.com".into(),
            false,
            now,
        );
        nopass.set_phone_number(Some("+15550122".into()));
        app.store.create_user(&nopass, &[]).await.unwrap();

        let invalid = (
            401,
            json!("INVALID_PHONE_NUMBER_OR_PASSWORD"),
            json!("Invalid phone number or password"),
        );
        for body in [
            json!({"phoneNumber": PHONE, "password": "not the password"}),
            json!({"phoneNumber": "+15550999", "password": PASSWORD}),
            json!({"phoneNumber": "+15550122", "password": PASSWORD}),
        ] {
            let r = Browser::new(&app)
                .post("/api/auth/sign-in/phone-number", body.clone())
                .await;
            assert_eq!(error(&r), invalid, "{body}");
            assert!(r.set_cookie("better-auth.session_token").is_none());
        }
        let r = Browser::new(&app)
            .post(
                "/api/auth/sign-in/phone-number",
                json!({"phoneNumber": PHONE, "password": "x".repeat(129)}),
            )
            .await;
        assert_eq!(code_of(&r), (400, json!("PASSWORD_TOO_LONG")));
        let r = Browser::new(&app)
            .post(
                "/api/auth/sign-in/phone-number",
                json!({"phoneNumber": PHONE}),
            )
            .await;
        assert_eq!(code_of(&r), (400, json!("VALIDATION_ERROR")));
    })
    .await;
}

#[tokio::test]
async fn banned_and_two_factor_users_get_no_session_from_phone_sign_in() {
    for_each_store(Plugins::ALL, |app| async move {
        let banned = user_with_phone(&app, "rex@example.com", PHONE, true).await;
        let ban = UserPatch::default().with(&admin::BANNED, true);
        app.store
            .update_user(&banned.id, &ban, now_ms())
            .await
            .unwrap();
        let r = Browser::new(&app)
            .post(
                "/api/auth/sign-in/phone-number",
                json!({"phoneNumber": PHONE, "password": PASSWORD}),
            )
            .await;
        assert_eq!(code_of(&r), (403, json!("BANNED_USER")));
        assert!(r.set_cookie("better-auth.session_token").is_none());

        let guarded = user_with_phone(&app, "sue@example.com", "+15550133", true).await;
        let on = UserPatch::default().with(&two_factor::TWO_FACTOR_ENABLED, true);
        app.store
            .update_user(&guarded.id, &on, now_ms())
            .await
            .unwrap();
        let r = Browser::new(&app)
            .post(
                "/api/auth/sign-in/phone-number",
                json!({"phoneNumber": "+15550133", "password": PASSWORD}),
            )
            .await;
        assert_eq!(
            (r.status, r.json()["twoFactorRedirect"].clone()),
            (200, json!(true)),
            "{}",
            r.text()
        );
        assert!(r.json().get("token").is_none());
        let cookie = r.set_cookie("better-auth.session_token");
        assert!(
            cookie.as_ref().is_none_or(|c| c.contains("Max-Age=0")),
            "{cookie:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn password_reset_by_phone_number() {
    for_each_store_with_outbox(phone_only(), |app, outbox| async move {
        let user = user_with_phone(&app, "tom@example.com", PHONE, true).await;
        let request = |phone: &'static str| {
            let b = Browser::new(&app);
            async move {
                b.post(
                    "/api/auth/phone-number/request-password-reset",
                    json!({"phoneNumber": phone}),
                )
                .await
            }
        };
        let r = request("+15550999").await;
        assert_eq!(
            (r.status, r.json()),
            (200, json!({"status": true})),
            "an unknown number is answered alike"
        );
        assert!(
            outbox.last("phone-reset-otp", "+15550999").is_none(),
            "but nothing is sent"
        );

        let r = request(PHONE).await;
        assert_eq!((r.status, r.json()), (200, json!({"status": true})));
        let code = outbox.wait_for_code("phone-reset-otp", PHONE).await;
        let row = app
            .store
            .find_verification(&format!("phone-number-reset-{PHONE}"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.value, format!("{code}:0"));

        let reset = |otp: String, new_password: &'static str| {
            let b = Browser::new(&app);
            async move {
                b.post(
                    "/api/auth/phone-number/reset-password",
                    json!({"otp": otp, "phoneNumber": PHONE, "newPassword": new_password}),
                )
                .await
            }
        };
        assert_eq!(
            code_of(&reset(code.clone(), "short").await),
            (400, json!("PASSWORD_TOO_SHORT"))
        );
        assert_eq!(
            code_of(&reset(wrong(&code), "a brand new password").await),
            (400, json!("INVALID_OTP"))
        );
        let r = reset(code.clone(), "a brand new password").await;
        assert_eq!(
            (r.status, r.json()),
            (200, json!({"status": true})),
            "{}",
            r.text()
        );
        assert_eq!(
            code_of(&reset(code, "another new password").await),
            (400, json!("OTP_NOT_FOUND")),
            "spent once"
        );

        let sign_in = |password: &'static str| {
            let b = Browser::new(&app);
            async move {
                b.post(
                    "/api/auth/sign-in/phone-number",
                    json!({"phoneNumber": PHONE, "password": password}),
                )
                .await
                .status
            }
        };
        assert_eq!(sign_in(PASSWORD).await, 401);
        assert_eq!(sign_in("a brand new password").await, 200);
        assert_eq!(
            app.store
                .list_active_sessions(&user.id, now_ms())
                .await
                .unwrap()
                .len(),
            2,
            "sessions are kept"
        );
    })
    .await;
}

#[tokio::test]
async fn a_user_created_by_phone_gets_a_password_by_reset() {
    for_each_store_configured(
        phone_only(),
        sign_up_on_verification,
        |app, outbox| async move {
            let code = send_otp(&app, &outbox, PHONE).await;
            let r = verify(&Browser::new(&app), PHONE, &code).await;
            let id = r.json()["user"]["id"].as_str().unwrap().to_owned();
            assert!(
                app.store
                    .find_credential_account(&id)
                    .await
                    .unwrap()
                    .is_none()
            );

            Browser::new(&app)
                .post(
                    "/api/auth/phone-number/request-password-reset",
                    json!({"phoneNumber": PHONE}),
                )
                .await;
            let code = outbox.wait_for_code("phone-reset-otp", PHONE).await;
            let r = Browser::new(&app)
                .post(
                    "/api/auth/phone-number/reset-password",
                    json!({"otp": code, "phoneNumber": PHONE, "newPassword": PASSWORD}),
                )
                .await;
            assert_eq!(r.status, 200, "{}", r.text());
            let account = app
                .store
                .find_credential_account(&id)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(account.account_id, id);
            let r = Browser::new(&app)
                .post(
                    "/api/auth/sign-in/phone-number",
                    json!({"phoneNumber": PHONE, "password": PASSWORD}),
                )
                .await;
            assert_eq!(r.status, 200);
        },
    )
    .await;
}

#[tokio::test]
async fn the_number_is_set_only_by_verification() {
    for_each_store(phone_only(), |app| async move {
        let r = Browser::new(&app)
            .post(
                "/api/auth/sign-up/email",
                json!({"name": "Uma", "email": "uma@example.com", "password": PASSWORD, "phoneNumber": PHONE}),
            )
            .await;
        assert_eq!(
            error(&r),
            (400, json!("PHONE_NUMBER_CANNOT_BE_SET"), json!("Phone number can only be set by verifying it"))
        );
        assert!(app.store.find_user_by_email("uma@example.com").await.unwrap().is_none());

        let b = Browser::new(&app);
        b.sign_up("uma@example.com", PASSWORD).await;
        for value in [json!(PHONE), json!(""), json!(5)] {
            let r = b.post("/api/auth/update-user", json!({"phoneNumber": value, "name": "Uma U."})).await;
            assert_eq!(
                error(&r),
                (400, json!("PHONE_NUMBER_CANNOT_BE_UPDATED"), json!("Phone number cannot be updated")),
                "{value}"
            );
        }
        let r = b.post("/api/auth/update-user", json!({"phoneNumberVerified": true})).await;
        assert_eq!(code_of(&r), (400, json!("FIELD_NOT_ALLOWED")));
        let user = app.store.find_user_by_email("uma@example.com").await.unwrap().unwrap();
        assert_eq!((user.name.as_str(), user.phone_number().map(str::to_owned)), ("Uma", None));
    })
    .await;
}

#[tokio::test]
async fn verification_sign_up_refuses_protected_fields_and_takes_a_username() {
    for_each_store_configured(
        Plugins::ALL,
        sign_up_on_verification,
        |app, outbox| async move {
            let code = send_otp(&app, &outbox, PHONE).await;
            let r = Browser::new(&app)
                .post(
                    "/api/auth/phone-number/verify",
                    json!({"phoneNumber": PHONE, "code": code, "role": "admin"}),
                )
                .await;
            assert_eq!(
                error(&r),
                (
                    400,
                    json!("FIELD_NOT_ALLOWED"),
                    json!("role is not allowed to be set")
                )
            );
            assert!(
                app.store
                    .find_user_by_field("phoneNumber", PHONE)
                    .await
                    .unwrap()
                    .is_none()
            );

            let code = send_otp(&app, &outbox, PHONE).await;
            let r = Browser::new(&app)
                .post(
                    "/api/auth/phone-number/verify",
                    json!({"phoneNumber": PHONE, "code": code, "username": "Vic_Phone"}),
                )
                .await;
            assert_eq!(r.status, 200, "{}", r.text());
            assert_eq!(
                (
                    r.json()["user"]["username"].clone(),
                    r.json()["user"]["displayUsername"].clone()
                ),
                (json!("vic_phone"), json!("Vic_Phone"))
            );
        },
    )
    .await;
}

#[tokio::test]
async fn without_the_plugin_the_routes_do_not_exist() {
    let outbox = Outbox::new();
    let app = Arc::new(TestApp::sqlite_with(Plugins::NONE, |c| outbox.configure(c)).await);
    for path in [
        "/api/auth/sign-in/phone-number",
        "/api/auth/phone-number/send-otp",
        "/api/auth/phone-number/verify",
        "/api/auth/phone-number/request-password-reset",
        "/api/auth/phone-number/reset-password",
    ] {
        let r = Browser::new(&app)
            .post(path, json!({"phoneNumber": PHONE}))
            .await;
        assert_eq!((r.status, r.body.len()), (404, 0), "{path}");
    }
}

fn sign_up_on_verification(config: &mut tessera_core::config::Config) {
    config.phone_sign_up_on_verification = true;
}

#[tokio::test]
async fn without_sign_up_on_verification_an_unknown_number_is_refused_and_nothing_created() {
    for_each_store_with_outbox(Plugins::ALL, |app, outbox| async move {
        let code = send_otp(&app, &outbox, PHONE).await;
        let r = verify(&Browser::new(&app), PHONE, &code).await;
        assert_eq!(
            (r.status, r.json()["code"].clone()),
            (500, json!("FAILED_TO_UPDATE_USER")),
            "Better Auth's answer when signUpOnVerification is off"
        );
        assert!(
            app.store
                .find_user_by_field("phoneNumber", PHONE)
                .await
                .unwrap()
                .is_none()
        );
    })
    .await;
}
