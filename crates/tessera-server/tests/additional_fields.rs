//! `[user.additional_fields.*]` and `[session.additional_fields.*]` over HTTP: a field declared only
//! in config is accepted, refused, defaulted and returned as Better Auth 1.7.25 does with the same
//! `additionalFields` (compat/test/additional-fields.test.mjs checks the same against real Better
//! Auth).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use serde_json::{Value, json};
use support::{Browser, for_each_store_adjusted};
use tessera_core::config::Config;
use tessera_core::plugins::Plugins;

const PASSWORD: &str = "correct horse battery";

const FIELDS: &str = r#"
[user.additional_fields.favoriteColor]
required = false
type = "string"
default = "blue"

[user.additional_fields.age]
required = false
type = "number"

[user.additional_fields.newsletter]
type = "boolean"
required = true
default = false
input = false

[user.additional_fields.birthday]
required = false
type = "date"

[user.additional_fields.preferences]
required = false
type = "json"

[user.additional_fields.secretNote]
required = false
type = "string"
returned = false

[user.additional_fields.nickname]
required = false
type = "string"
unique = true

[user.additional_fields.tier]
required = false
type = "string"
input = false

[user.additional_fields.company]
type = "string"
required = true

[session.additional_fields.device]
required = false
type = "string"
default = "web"

[session.additional_fields.hidden]
required = false
type = "string"
returned = false
"#;

const USER_KEYS: [&str; 15] = [
    "name",
    "email",
    "emailVerified",
    "image",
    "createdAt",
    "updatedAt",
    "favoriteColor",
    "age",
    "newsletter",
    "birthday",
    "preferences",
    "nickname",
    "tier",
    "company",
    "id",
];

fn declare(config: &mut Config) {
    let file = toml::from_str(FIELDS).unwrap();
    let declared = tessera_core::config::load(file, &[], 2).unwrap();
    config.user_fields = declared.user_fields;
    config.session_fields = declared.session_fields;
}

fn keys(v: &Value) -> Vec<&str> {
    v.as_object().unwrap().keys().map(String::as_str).collect()
}

async fn sign_up(b: &Browser, n: u32, extra: Value) -> support::Response {
    let mut body = json!({
        "name": format!("User {n}"),
        "email": format!("user{n}@example.com"),
        "password": PASSWORD,
        "company": "Acme",
    });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    b.post("/api/auth/sign-up/email", body).await
}

#[tokio::test]
async fn sign_up_stores_and_returns_declared_fields_in_better_auths_order() {
    for_each_store_adjusted(Plugins::NONE, declare, |app| async move {
        let b = Browser::new(&app);
        let r = sign_up(
            &b,
            1,
            json!({
                "favoriteColor": "green",
                "age": 41,
                "birthday": "2000-01-02T03:04:05.678Z",
                "preferences": {"theme": "dark", "tags": [1, "two", null]},
                "secretNote": "kept back",
                "nickname": "ally",
            }),
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.text());
        let user = r.json()["user"].clone();
        assert_eq!(keys(&user), USER_KEYS);
        assert_eq!(user["favoriteColor"], "green");
        assert_eq!(user["age"], 41);
        assert_eq!(user["newsletter"], false);
        assert_eq!(user["birthday"], "2000-01-02T03:04:05.678Z");
        assert_eq!(
            user["preferences"],
            json!({"theme": "dark", "tags": [1, "two", null]})
        );
        assert_eq!(user["tier"], Value::Null);

        let session = b.get("/api/auth/get-session").await.json();
        assert_eq!(
            session["user"], user,
            "get-session answers what sign-up answered"
        );
        assert_eq!(
            keys(&session["session"]),
            [
                "expiresAt",
                "token",
                "createdAt",
                "updatedAt",
                "ipAddress",
                "userAgent",
                "userId",
                "device",
                "id"
            ]
        );
        assert_eq!(session["session"]["device"], "web");

        let stored = app
            .store
            .find_user_by_email("user1@example.com")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            stored.additional.get("secretNote").and_then(|v| v.as_str()),
            Some("kept back"),
            "returned: false is stored all the same"
        );

        let r = b
            .post(
                "/api/auth/sign-in/email",
                json!({"email": "user1@example.com", "password": PASSWORD}),
            )
            .await;
        assert_eq!(keys(&r.json()["user"]), USER_KEYS);
    })
    .await;
}

#[tokio::test]
async fn defaults_apply_on_create_and_input_false_is_refused_or_reset() {
    for_each_store_adjusted(Plugins::NONE, declare, |app| async move {
        let r = sign_up(&Browser::new(&app), 1, json!({})).await;
        assert_eq!(r.status, 200, "{}", r.text());
        let user = r.json()["user"].clone();
        assert_eq!(user["favoriteColor"], "blue");
        assert_eq!(user["newsletter"], false);
        for key in ["age", "birthday", "preferences", "nickname", "tier"] {
            assert_eq!(user[key], Value::Null, "{key}");
        }

        let r = sign_up(&Browser::new(&app), 2, json!({"tier": "gold"})).await;
        assert_eq!(r.status, 400);
        assert_eq!(
            r.json(),
            json!({"message": "tier is not allowed to be set", "code": "FIELD_NOT_ALLOWED"})
        );
        for (n, falsy) in [
            (3, json!("")),
            (4, json!(false)),
            (5, Value::Null),
            (6, json!(0)),
        ] {
            let r = sign_up(&Browser::new(&app), n, json!({"tier": falsy})).await;
            assert_eq!(r.status, 200, "{falsy}: {}", r.text());
        }

        // A default wins over what the client sent.
        let r = sign_up(&Browser::new(&app), 7, json!({"newsletter": true})).await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.json()["user"]["newsletter"], false);

        let b = Browser::new(&app);
        let r = b
            .post(
                "/api/auth/sign-up/email",
                json!({"name": "N", "email": "nocompany@example.com", "password": PASSWORD}),
            )
            .await;
        assert_eq!(r.status, 400);
        assert_eq!(
            r.json(),
            json!({"message": "company is required", "code": "MISSING_FIELD"})
        );
    })
    .await;
}

#[tokio::test]
async fn update_user_writes_input_fields_and_refuses_the_others() {
    for_each_store_adjusted(Plugins::NONE, declare, |app| async move {
        let b = Browser::new(&app);
        assert_eq!(sign_up(&b, 1, json!({})).await.status, 200);

        let r = b
            .post(
                "/api/auth/update-user",
                json!({"favoriteColor": "red", "age": 7, "preferences": [true, {"nested": 1}]}),
            )
            .await;
        assert_eq!((r.status, r.json()), (200, json!({"status": true})));
        let user = b.get("/api/auth/get-session").await.json()["user"].clone();
        assert_eq!(user["favoriteColor"], "red");
        assert_eq!(user["age"], 7);
        assert_eq!(user["preferences"], json!([true, {"nested": 1}]));
        assert_eq!(user["company"], "Acme", "fields not given are left alone");

        for field in ["newsletter", "tier"] {
            let r = b
                .post("/api/auth/update-user", json!({ field: true }))
                .await;
            assert_eq!(r.status, 400, "{field}");
            assert_eq!(
                r.json(),
                json!({"message": format!("{field} is not allowed to be set"), "code": "FIELD_NOT_ALLOWED"})
            );
        }
        let r = b
            .post("/api/auth/update-user", json!({"newsletter": false}))
            .await;
        assert_eq!(
            (r.status, r.json()),
            (400, json!({"message": "No fields to update"}))
        );
    })
    .await;
}
