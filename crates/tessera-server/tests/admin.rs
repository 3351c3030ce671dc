//! The admin plugin over HTTP, in-process, on a fresh SQLite file (and a fresh PostgreSQL database
//! when `TESSERA_TEST_POSTGRES_URL` is set): every route, its permission and its errors, bans and
//! their effect on sessions and sign-in, and impersonation there and back. Expected codes, messages
//! and shapes are Better Auth 1.7.25's, read from its dist and observed against it.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use serde_json::{Value, json};
use support::{Browser, Response, TestApp, for_each_store};
use tessera_core::crypto::signed;
use tessera_core::model::UserPatch;
use tessera_core::plugins::Plugins;
use tessera_core::plugins::accessors::*;
use tessera_core::plugins::admin;
use tessera_core::timefmt::now_ms;
use time::Duration;

const ADMIN_ONLY: Plugins = Plugins {
    admin: true,
    ..Plugins::NONE
};
const PASSWORD: &str = "correct horse battery";

async fn user_id(app: &TestApp, email: &str) -> String {
    app.store
        .find_user_by_email(email)
        .await
        .unwrap()
        .unwrap()
        .id
}

async fn set_role(app: &TestApp, id: &str, role: &str) {
    let patch = UserPatch::default().with(&admin::ROLE, role.to_owned());
    app.store
        .update_user(id, &patch, now_ms())
        .await
        .unwrap()
        .unwrap();
}

/// A signed-up user, signed in: their browser, id and session token.
async fn member(app: &TestApp, email: &str) -> (Browser, String, String) {
    let b = Browser::new(app);
    let token = b.sign_up(email, PASSWORD).await;
    let id = user_id(app, email).await;
    (b, id, token)
}

/// A signed-in admin: a user whose `role` column says `admin`, the only way one comes to be.
async fn admin(app: &TestApp) -> (Browser, String, String) {
    let (b, id, token) = member(app, "admin@example.com").await;
    set_role(app, &id, "admin").await;
    (b, id, token)
}

fn assert_error(r: &Response, status: u16, code: &str, message: &str) {
    assert_eq!(r.status, status, "{}", r.text());
    assert_eq!(r.json(), json!({ "message": message, "code": code }));
}

fn assert_validation(r: &Response, message: &str) {
    assert_error(r, 400, "VALIDATION_ERROR", message);
}

fn set_cookie_lines(r: &Response) -> Vec<String> {
    r.headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

async fn session_of(b: &Browser) -> Value {
    let r = b.get("/api/auth/get-session").await;
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()
}

fn close_to(iso: &str, expected: time::OffsetDateTime) {
    let t = support::parse_iso(iso);
    assert!(
        (t - expected).abs() < Duration::seconds(5),
        "{iso} is not close to {expected}"
    );
}

/// Every admin route with a body that passes validation.
fn every_route(target: &str) -> Vec<(&'static str, String, Option<Value>)> {
    vec![
        (
            "POST",
            "/admin/create-user".into(),
            Some(json!({"email": "new@example.com", "name": "New"})),
        ),
        ("GET", "/admin/list-users".into(), None),
        ("GET", format!("/admin/get-user?id={target}"), None),
        (
            "POST",
            "/admin/update-user".into(),
            Some(json!({"userId": target, "data": {"name": "X"}})),
        ),
        (
            "POST",
            "/admin/set-role".into(),
            Some(json!({"userId": target, "role": "admin"})),
        ),
        (
            "POST",
            "/admin/ban-user".into(),
            Some(json!({"userId": target})),
        ),
        (
            "POST",
            "/admin/unban-user".into(),
            Some(json!({"userId": target})),
        ),
        (
            "POST",
            "/admin/list-user-sessions".into(),
            Some(json!({"userId": target})),
        ),
        (
            "POST",
            "/admin/impersonate-user".into(),
            Some(json!({"userId": target})),
        ),
        (
            "POST",
            "/admin/revoke-user-session".into(),
            Some(json!({"sessionToken": "whatever"})),
        ),
        (
            "POST",
            "/admin/revoke-user-sessions".into(),
            Some(json!({"userId": target})),
        ),
        (
            "POST",
            "/admin/remove-user".into(),
            Some(json!({"userId": target})),
        ),
        (
            "POST",
            "/admin/set-user-password".into(),
            Some(json!({"userId": target, "newPassword": "another password"})),
        ),
    ]
}

async fn send(b: &Browser, method: &str, path: &str, body: Option<Value>) -> Response {
    let path = format!("/api/auth{path}");
    match (method, body) {
        ("GET", _) => b.get(&path).await,
        (_, Some(body)) => b.post(&path, body).await,
        (_, None) => b.post_raw(&path, "application/json", "").await,
    }
}

#[tokio::test]
async fn without_a_session_every_admin_route_answers_401_with_an_empty_body() {
    for_each_store(ADMIN_ONLY, |app| async move {
        let (_, bob, _) = member(&app, "bob@example.com").await;
        let anonymous = Browser::new(&app);
        let mut routes = every_route(&bob);
        routes.push((
            "POST",
            "/admin/has-permission".into(),
            Some(json!({"permissions": {"user": ["list"]}})),
        ));
        routes.push(("POST", "/admin/stop-impersonating".into(), None));
        for (method, path, body) in routes {
            let r = send(&anonymous, method, &path, body).await;
            assert_eq!(r.status, 401, "{path}: {}", r.text());
            assert!(r.body.is_empty(), "{path}: {}", r.text());
        }
        let user = app.store.find_user_by_id(&bob).await.unwrap().unwrap();
        assert_eq!(
            (user.name.as_str(), user.banned()),
            ("Bob", Some(false)),
            "nothing changed"
        );
    })
    .await;
}

#[tokio::test]
async fn the_body_is_checked_before_the_session() {
    for_each_store(ADMIN_ONLY, |app| async move {
        let anonymous = Browser::new(&app);
        let r = anonymous
            .post("/api/auth/admin/ban-user", json!({"banExpiresIn": "soon"}))
            .await;
        assert_validation(
            &r,
            "[body.userId] Invalid input: expected nonoptional, received undefined; \
             [body.banExpiresIn] Invalid input: expected number, received string",
        );
        let r = anonymous
            .post("/api/auth/admin/create-user", json!({}))
            .await;
        assert_validation(
            &r,
            "[body.email] Invalid input: expected string, received undefined; \
             [body.name] Invalid input: expected string, received undefined",
        );
    })
    .await;
}

#[tokio::test]
async fn users_without_the_admin_role_are_refused_with_better_auths_403s() {
    for_each_store(ADMIN_ONLY, |app| async move {
        let (_, admin_id, _) = admin(&app).await;
        let (bob, _, _) = member(&app, "bob@example.com").await;
        let expected = [
            ("YOU_ARE_NOT_ALLOWED_TO_CREATE_USERS", "You are not allowed to create users"),
            ("YOU_ARE_NOT_ALLOWED_TO_LIST_USERS", "You are not allowed to list users"),
            ("YOU_ARE_NOT_ALLOWED_TO_GET_USER", "You are not allowed to get user"),
            ("YOU_ARE_NOT_ALLOWED_TO_UPDATE_USERS", "You are not allowed to update users"),
            ("YOU_ARE_NOT_ALLOWED_TO_CHANGE_USERS_ROLE", "You are not allowed to change users role"),
            ("YOU_ARE_NOT_ALLOWED_TO_BAN_USERS", "You are not allowed to ban users"),
            ("YOU_ARE_NOT_ALLOWED_TO_BAN_USERS", "You are not allowed to ban users"),
            ("YOU_ARE_NOT_ALLOWED_TO_LIST_USERS_SESSIONS", "You are not allowed to list users sessions"),
            ("YOU_ARE_NOT_ALLOWED_TO_IMPERSONATE_USERS", "You are not allowed to impersonate users"),
            ("YOU_ARE_NOT_ALLOWED_TO_REVOKE_USERS_SESSIONS", "You are not allowed to revoke users sessions"),
            ("YOU_ARE_NOT_ALLOWED_TO_REVOKE_USERS_SESSIONS", "You are not allowed to revoke users sessions"),
            ("YOU_ARE_NOT_ALLOWED_TO_DELETE_USERS", "You are not allowed to delete users"),
            ("YOU_ARE_NOT_ALLOWED_TO_SET_USERS_PASSWORD", "You are not allowed to set users password"),
        ];
        let routes = every_route(&admin_id);
        assert_eq!(routes.len(), expected.len());
        for ((method, path, body), (code, message)) in routes.into_iter().zip(expected) {
            let r = send(&bob, method, &path, body).await;
            assert_eq!(r.status, 403, "{path}: {}", r.text());
            assert_eq!(r.json(), json!({"message": message, "code": code}), "{path}");
        }
        let r = bob.get("/api/auth/admin/list-users").await;
        assert_eq!(
            r.text(),
            r#"{"message":"You are not allowed to list users","code":"YOU_ARE_NOT_ALLOWED_TO_LIST_USERS"}"#,
            "Better Auth's key order"
        );
        let admin_row = app.store.find_user_by_id(&admin_id).await.unwrap().unwrap();
        assert_eq!((admin_row.role(), admin_row.banned()), (Some("admin"), Some(false)));
    })
    .await;
}

#[tokio::test]
async fn any_one_of_several_comma_joined_roles_grants_its_permissions() {
    for_each_store(ADMIN_ONLY, |app| async move {
        let (carol, carol_id, _) = member(&app, "carol@example.com").await;
        set_role(&app, &carol_id, "editor,admin").await;
        let r = carol.get("/api/auth/admin/list-users").await;
        assert_eq!(r.status, 200, "{}", r.text());
        set_role(&app, &carol_id, "editor, admin").await;
        let r = carol.get("/api/auth/admin/list-users").await;
        assert_eq!(r.status, 403, "role names are not trimmed");
    })
    .await;
}

#[tokio::test]
async fn a_fresh_database_holds_no_user_and_so_no_admin() {
    for_each_store(ADMIN_ONLY, |app| async move {
        let (users, total) = app.store.list_users(&Default::default()).await.unwrap();
        assert_eq!((users.len(), total), (0, 0));
    })
    .await;
}

#[tokio::test]
async fn admin_routes_do_not_exist_without_the_plugin() {
    for_each_store(Plugins::NONE, |app| async move {
        let b = Browser::new(&app);
        assert_eq!(b.get("/api/auth/admin/list-users").await.status, 404);
        let r = b
            .post("/api/auth/admin/has-permission", json!({"permissions": {}}))
            .await;
        assert_eq!(r.status, 404);
    })
    .await;
}

#[tokio::test]
async fn has_permission_answers_for_the_callers_own_role() {
    for_each_store(ADMIN_ONLY, |app| async move {
        let (admin, _, _) = admin(&app).await;
        let (bob, _, _) = member(&app, "bob@example.com").await;
        async fn ask(b: &Browser, body: Value) -> Response {
            b.post("/api/auth/admin/has-permission", body).await
        }

        let r = ask(
            &admin,
            json!({"permissions": {"user": ["list", "ban"], "session": ["revoke"]}}),
        )
        .await;
        assert_eq!(
            (r.status, r.text()),
            (200, r#"{"error":null,"success":true}"#.to_owned())
        );
        for denied in [
            json!({"user": ["impersonate-admins"]}),
            json!({"user": ["list", "fly"]}),
            json!({"organization": ["create"]}),
            json!({"user": []}),
            json!({}),
        ] {
            let r = ask(&admin, json!({ "permissions": denied })).await;
            assert_eq!(
                r.json(),
                json!({"error": null, "success": false}),
                "{denied}"
            );
        }
        let r = ask(
            &bob,
            json!({"permissions": {"user": ["list"]}, "role": "admin"}),
        )
        .await;
        assert_eq!(
            r.json(),
            json!({"error": null, "success": false}),
            "the session wins over `role`"
        );

        let r = ask(&bob, json!({"permission": {"user": ["list"]}})).await;
        assert_eq!(r.status, 400);
        assert_eq!(
            r.text(),
            r#"{"message":"invalid permission check. no permission(s) were passed."}"#
        );
        let r = ask(
            &bob,
            json!({"permission": {"user": []}, "permissions": {"user": ["list"]}}),
        )
        .await;
        assert_validation(&r, "[body] Invalid input: more than one option matched");
        let r = ask(&bob, json!({"permissions": {"user": "list"}})).await;
        assert_validation(&r, "[body] Invalid input");
        let r = ask(&bob, json!({"permissions": {"user": ["list"]}, "role": 5})).await;
        assert_validation(
            &r,
            "[body.role] Invalid input: expected string, received number",
        );
    })
    .await;
}

#[tokio::test]
async fn create_user_writes_the_user_and_a_credential_only_with_a_password() {
    for_each_store(ADMIN_ONLY, |app| async move {
        let (admin, _, _) = admin(&app).await;
        let r = admin
            .post(
                "/api/auth/admin/create-user",
                json!({
                    "email": "Carol@Example.COM", "name": "Carol", "password": PASSWORD,
                    "role": ["user", "editor"],
                    "data": {"emailVerified": true, "image": "https://img.example/c.png", "name": "Ignored", "unknown": 1}
                }),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
        let user = &r.json()["user"];
        let keys: Vec<&str> = user.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            ["name", "email", "emailVerified", "image", "createdAt", "updatedAt", "role", "banned", "banReason", "banExpires", "id"]
        );
        assert_eq!(user["name"], "Carol");
        assert_eq!(user["email"], "carol@example.com");
        assert_eq!(user["emailVerified"], true);
        assert_eq!(user["image"], "https://img.example/c.png");
        assert_eq!(user["role"], "user,editor");
        assert_eq!(user["banned"], false);
        let carol = Browser::new(&app);
        carol.sign_in("carol@example.com", PASSWORD).await;
        assert_eq!(session_of(&carol).await["user"]["id"], user["id"]);

        let r = admin
            .post(
                "/api/auth/admin/create-user",
                json!({"email": "dave@example.com", "name": "Dave", "password": ""}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.json()["user"]["role"], "user");
        let dave = r.json()["user"]["id"].as_str().unwrap().to_owned();
        assert!(app.store.find_credential_account(&dave).await.unwrap().is_none());

        let r = admin
            .post(
                "/api/auth/admin/create-user",
                json!({"email": "erin@example.com", "name": "Erin", "data": {
                    "id": "erin-chosen-id", "createdAt": "2020-01-02T03:04:05.678Z",
                    "banned": true, "banReason": "spam", "banExpires": "2031-01-01T00:00:00.000Z", "role": "viewer"
                }}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
        let erin = &r.json()["user"];
        assert_eq!(erin["id"], "erin-chosen-id");
        assert_eq!(erin["createdAt"], "2020-01-02T03:04:05.678Z");
        assert_eq!((erin["banned"].clone(), erin["banReason"].clone()), (json!(true), json!("spam")));
        assert_eq!(erin["banExpires"], "2031-01-01T00:00:00.000Z");
        assert_eq!(erin["role"], "viewer");
        let stored = app.store.find_user_by_id("erin-chosen-id").await.unwrap().unwrap();
        assert_eq!(stored.ban_reason(), Some("spam"));
    })
    .await;
}

#[tokio::test]
async fn create_user_refusals() {
    for_each_store(ADMIN_ONLY, |app| async move {
        let (admin, _, _) = admin(&app).await;
        let create = |body: Value| {
            let admin = &admin;
            async move { admin.post("/api/auth/admin/create-user", body).await }
        };
        let r = create(json!({"email": "ADMIN@example.com", "name": "Again"})).await;
        assert_error(
            &r,
            400,
            "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL",
            "User already exists. Use another email.",
        );
        let r = create(json!({"email": "not-an-email", "name": "X"})).await;
        assert_error(&r, 400, "INVALID_EMAIL", "Invalid email");
        let r = create(json!({"email": "x@example.com", "name": "X", "password": "p".repeat(129)}))
            .await;
        assert_error(&r, 400, "PASSWORD_TOO_LONG", "Password too long");
        let r = create(json!({"email": "x@example.com", "name": "X", "data": {"role": 5}})).await;
        assert_error(&r, 400, "INVALID_ROLE_TYPE", "Invalid role type");
        let r = create(json!({"email": "x@example.com", "name": "X", "role": 5})).await;
        assert_validation(&r, "[body.role] Invalid input");
        let r = create(json!({"email": "x@example.com", "name": "X", "data": [1]})).await;
        assert_validation(
            &r,
            "[body.data] Invalid input: expected record, received array",
        );
        let r = create(
            json!({"email": "x@example.com", "name": "X", "data": {"emailVerified": "yes"}}),
        )
        .await;
        assert_validation(
            &r,
            "[body.data.emailVerified] Invalid input: expected boolean, received string",
        );
        assert!(
            app.store
                .find_user_by_email("x@example.com")
                .await
                .unwrap()
                .is_none()
        );
    })
    .await;
}

async fn seed_people(app: &TestApp, admin: &Browser) {
    for (email, name) in [
        ("alice@example.com", "Alice"),
        ("bob@example.org", "Bob"),
        ("carol@example.com", "Carol"),
    ] {
        let r = admin
            .post(
                "/api/auth/admin/create-user",
                json!({"email": email, "name": name}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
    }
    assert_eq!(
        app.store.list_users(&Default::default()).await.unwrap().1,
        4
    );
}

fn emails(r: &Response) -> Vec<String> {
    r.json()["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn list_users_pages_sorts_searches_and_filters() {
    for_each_store(ADMIN_ONLY, |app| async move {
        let (admin, _, _) = admin(&app).await;
        seed_people(&app, &admin).await;
        let list = |query: &str| {
            let admin = &admin;
            let path = format!("/api/auth/admin/list-users{query}");
            async move {
                let r = admin.get(&path).await;
                assert_eq!(r.status, 200, "{path}: {}", r.text());
                r
            }
        };

        let r = list("").await;
        let body = r.json();
        let keys: Vec<&str> = body.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, ["users", "total"], "no limit or offset when none was asked");
        assert_eq!((emails(&r).len(), body["total"].clone()), (4, json!(4)));

        let r = list("?limit=2&offset=0").await;
        assert_eq!((r.json()["total"].clone(), r.json()["limit"].clone()), (json!(4), json!(2)));
        assert!(r.json().get("offset").is_none(), "offset 0 is omitted");
        assert_eq!(emails(&r).len(), 2);

        let r = list("?sortBy=email&sortDirection=desc&limit=2&offset=1").await;
        assert_eq!(emails(&r), ["bob@example.org", "alice@example.com"]);
        assert_eq!((r.json()["limit"].clone(), r.json()["offset"].clone()), (json!(2), json!(1)));

        let r = list("?searchValue=Ca&searchField=name").await;
        assert_eq!(emails(&r), ["carol@example.com"]);
        let r = list("?searchValue=example.org&searchOperator=ends_with").await;
        assert_eq!((emails(&r), r.json()["total"].clone()), (vec!["bob@example.org".to_owned()], json!(1)));

        let r = list("?filterField=role&filterValue=admin").await;
        assert_eq!(emails(&r), ["admin@example.com"]);
        let r = list("?filterField=email&filterOperator=in&filterValue=alice@example.com&filterValue=carol@example.com&sortBy=email").await;
        assert_eq!(emails(&r), ["alice@example.com", "carol@example.com"]);
        let r = list("?filterField=banned&filterValue=false").await;
        assert_eq!(r.json()["total"], 4);

        let r = list("?limit=abc").await;
        assert_eq!((emails(&r).len(), r.json().get("limit").cloned()), (4, None), "NaN is no limit");
        for refused in ["?sortBy=nope", "?filterField=nope&filterValue=x", "?limit=-1", "?limit=1.5"] {
            let r = list(refused).await;
            assert_eq!(r.text(), r#"{"users":[],"total":0}"#, "{refused}");
        }

        let r = admin.get("/api/auth/admin/list-users?sortDirection=up&searchField=phone").await;
        assert_validation(
            &r,
            "[query.searchField] Invalid option: expected one of \"email\"|\"name\"; \
             [query.sortDirection] Invalid option: expected one of \"asc\"|\"desc\"",
        );
        let r = admin.get("/api/auth/admin/list-users?limit=1&limit=2").await;
        assert_validation(&r, "[query.limit] Invalid input");
    })
    .await;
}

#[tokio::test]
async fn get_user_answers_the_bare_user() {
    for_each_store(ADMIN_ONLY, |app| async move {
        let (admin, _, _) = admin(&app).await;
        let (bob, bob_id, _) = member(&app, "bob@example.com").await;
        let r = admin
            .get(&format!("/api/auth/admin/get-user?id={bob_id}"))
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.json(), session_of(&bob).await["user"]);
        let r = admin.get("/api/auth/admin/get-user").await;
        assert_validation(
            &r,
            "[query.id] Invalid input: expected string, received undefined",
        );
        let r = admin.get("/api/auth/admin/get-user?id=nobody").await;
        assert_error(&r, 404, "USER_NOT_FOUND", "User not found");
    })
    .await;
}

#[tokio::test]
async fn update_user_changes_fields_and_answers_the_bare_user() {
    for_each_store(ADMIN_ONLY, |app| async move {
        let (admin, admin_id, _) = admin(&app).await;
        let (bob, bob_id, _) = member(&app, "bob@example.com").await;
        let update = |user: &str, data: Value| {
            let admin = &admin;
            let body = json!({"userId": user, "data": data});
            async move { admin.post("/api/auth/admin/update-user", body).await }
        };

        let r = update(&bob_id, json!({"name": "Robert", "email": "Robert@Example.com", "emailVerified": true, "role": ["user", "editor"], "unknown": 1})).await;
        assert_eq!(r.status, 200, "{}", r.text());
        let user = r.json();
        assert_eq!(user["id"], bob_id.as_str(), "the bare user, not {{user}}");
        assert_eq!(user["name"], "Robert");
        assert_eq!(user["email"], "robert@example.com");
        assert_eq!(user["emailVerified"], true);
        assert_eq!(user["role"], "user,editor");
        assert_eq!(session_of(&bob).await["user"], user, "the session still stands");

        assert_error(&update(&bob_id, json!({})).await, 400, "NO_DATA_TO_UPDATE", "No data to update");
        assert_error(
            &update(&bob_id, json!({"password": "x"})).await,
            400,
            "PASSWORD_CANNOT_BE_UPDATED_VIA_UPDATE_USER",
            "Password cannot be updated through update-user. Use the set-user-password endpoint instead",
        );
        assert_error(&update(&bob_id, json!({"id": "x"})).await, 400, "USER_ID_CANNOT_BE_UPDATED", "User id cannot be updated");
        assert_error(&update(&bob_id, json!({"role": [1]})).await, 400, "INVALID_ROLE_TYPE", "Invalid role type");
        assert_error(
            &update(&bob_id, json!({"email": "ADMIN@example.com"})).await,
            400,
            "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL",
            "User already exists. Use another email.",
        );
        assert_error(&update(&bob_id, json!({"email": "nope"})).await, 400, "INVALID_EMAIL", "Invalid email");
        assert_error(&update(&admin_id, json!({"banned": true})).await, 400, "YOU_CANNOT_BAN_YOURSELF", "You cannot ban yourself");
        assert_error(&update("nobody", json!({"name": "X"})).await, 404, "USER_NOT_FOUND", "User not found");
        let r = admin.post("/api/auth/admin/update-user", json!({"userId": bob_id})).await;
        assert_validation(&r, "[body.data] Invalid input: expected record, received undefined");
        let r = update(&bob_id, json!({"banExpires": "someday"})).await;
        assert_validation(&r, "[body.data.banExpires] Invalid input: expected date, received string");

        let r = update(&bob_id, json!({"banned": true, "banReason": "abuse"})).await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!((r.json()["banned"].clone(), r.json()["banReason"].clone()), (json!(true), json!("abuse")));
        assert_eq!(session_of(&bob).await, Value::Null, "banning through update-user ends the sessions");
    })
    .await;
}

#[tokio::test]
async fn set_role_takes_one_role_or_several() {
    for_each_store(ADMIN_ONLY, |app| async move {
        let (admin, _, _) = admin(&app).await;
        let (bob, bob_id, _) = member(&app, "bob@example.com").await;
        let r = admin.post("/api/auth/admin/set-role", json!({"userId": bob_id, "role": ["user", "admin"]})).await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.json()["user"]["role"], "user,admin");
        assert_eq!(bob.get("/api/auth/admin/list-users").await.status, 200, "bob is an admin now");
        let r = admin.post("/api/auth/admin/set-role", json!({"userId": bob_id, "role": "user"})).await;
        assert_eq!(r.json()["user"]["role"], "user");
        assert_eq!(bob.get("/api/auth/admin/list-users").await.status, 403);

        let r = admin.post("/api/auth/admin/set-role", json!({"userId": "nobody", "role": "user"})).await;
        assert_error(&r, 404, "USER_NOT_FOUND", "User not found");
        let r = admin.post("/api/auth/admin/set-role", json!({})).await;
        assert_validation(
            &r,
            "[body.userId] Invalid input: expected nonoptional, received undefined; [body.role] Invalid input",
        );
    })
    .await;
}

#[tokio::test]
async fn a_ban_ends_every_session_and_refuses_sign_in_until_unbanned() {
    for_each_store(ADMIN_ONLY, |app| async move {
        let (admin, admin_id, _) = admin(&app).await;
        let (bob, bob_id, _) = member(&app, "bob@example.com").await;
        let bob_elsewhere = Browser::new(&app);
        bob_elsewhere.sign_in("bob@example.com", PASSWORD).await;

        let r = admin
            .post("/api/auth/admin/ban-user", json!({"userId": bob_id, "banReason": "", "banExpiresIn": 60}))
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
        let user = &r.json()["user"];
        assert_eq!((user["banned"].clone(), user["banReason"].clone()), (json!(true), json!("No reason")));
        close_to(user["banExpires"].as_str().unwrap(), now_ms() + Duration::seconds(60));

        assert_eq!(session_of(&bob).await, Value::Null);
        assert_eq!(session_of(&bob_elsewhere).await, Value::Null);
        assert!(app.store.list_active_sessions(&bob_id, now_ms()).await.unwrap().is_empty());
        let r = Browser::new(&app)
            .post("/api/auth/sign-in/email", json!({"email": "bob@example.com", "password": PASSWORD}))
            .await;
        assert_eq!(
            r.text(),
            r#"{"message":"You have been banned from this application. Please contact support if you believe this is an error.","code":"BANNED_USER"}"#
        );
        assert_eq!(r.status, 403);

        let r = admin.post("/api/auth/admin/ban-user", json!({"userId": admin_id})).await;
        assert_error(&r, 400, "YOU_CANNOT_BAN_YOURSELF", "You cannot ban yourself");
        let r = admin.post("/api/auth/admin/ban-user", json!({"userId": "nobody"})).await;
        assert_error(&r, 404, "USER_NOT_FOUND", "User not found");

        let r = admin.post("/api/auth/admin/ban-user", json!({"userId": bob_id, "banReason": "spam"})).await;
        assert_eq!((r.json()["user"]["banReason"].clone(), r.json()["user"]["banExpires"].clone()), (json!("spam"), Value::Null));

        let r = admin.post("/api/auth/admin/unban-user", json!({"userId": bob_id})).await;
        assert_eq!(r.status, 200, "{}", r.text());
        let user = &r.json()["user"];
        assert_eq!(
            (user["banned"].clone(), user["banReason"].clone(), user["banExpires"].clone()),
            (json!(false), Value::Null, Value::Null)
        );
        Browser::new(&app).sign_in("bob@example.com", PASSWORD).await;
    })
    .await;
}

#[tokio::test]
async fn an_expired_ban_lifts_itself_at_the_next_sign_in() {
    for_each_store(ADMIN_ONLY, |app| async move {
        let (admin, _, _) = admin(&app).await;
        let (_, bob_id, _) = member(&app, "bob@example.com").await;
        let r = admin
            .post(
                "/api/auth/admin/ban-user",
                json!({"userId": bob_id, "banExpiresIn": 3600}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
        // An hour passes.
        let patch = UserPatch::default().with(&admin::BAN_EXPIRES, now_ms() - Duration::seconds(1));
        app.store
            .update_user(&bob_id, &patch, now_ms())
            .await
            .unwrap();

        let bob = Browser::new(&app);
        bob.sign_in("bob@example.com", PASSWORD).await;
        let user = app.store.find_user_by_id(&bob_id).await.unwrap().unwrap();
        assert_eq!(
            (
                user.banned(),
                user.ban_reason().map(str::to_owned),
                user.ban_expires()
            ),
            (Some(false), None, None)
        );
    })
    .await;
}

#[tokio::test]
async fn admins_list_and_revoke_other_users_sessions() {
    for_each_store(ADMIN_ONLY, |app| async move {
        let (admin, _, _) = admin(&app).await;
        let (bob, bob_id, bob_token) = member(&app, "bob@example.com").await;
        let bob_elsewhere = Browser::new(&app);
        let other_token = bob_elsewhere.sign_in("bob@example.com", PASSWORD).await;

        let r = admin
            .post(
                "/api/auth/admin/list-user-sessions",
                json!({"userId": bob_id}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
        let sessions = r.json()["sessions"].as_array().unwrap().clone();
        let mut tokens: Vec<&str> = sessions
            .iter()
            .map(|s| s["token"].as_str().unwrap())
            .collect();
        tokens.sort_unstable();
        let mut expected = vec![bob_token.as_str(), other_token.as_str()];
        expected.sort_unstable();
        assert_eq!(tokens, expected);
        let keys: Vec<&str> = sessions[0]
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
                "impersonatedBy",
                "id"
            ]
        );
        let r = admin
            .post(
                "/api/auth/admin/list-user-sessions",
                json!({"userId": "nobody"}),
            )
            .await;
        assert_eq!(r.json(), json!({"sessions": []}));

        let r = admin
            .post(
                "/api/auth/admin/revoke-user-session",
                json!({"sessionToken": bob_token}),
            )
            .await;
        assert_eq!((r.status, r.json()), (200, json!({"success": true})));
        assert_eq!(session_of(&bob).await, Value::Null);
        assert_eq!(
            session_of(&bob_elsewhere).await["session"]["token"],
            other_token.as_str()
        );
        let r = admin
            .post(
                "/api/auth/admin/revoke-user-session",
                json!({"sessionToken": "gone"}),
            )
            .await;
        assert_eq!(r.json(), json!({"success": true}));

        let r = admin
            .post(
                "/api/auth/admin/revoke-user-sessions",
                json!({"userId": bob_id}),
            )
            .await;
        assert_eq!((r.status, r.json()), (200, json!({"success": true})));
        assert_eq!(session_of(&bob_elsewhere).await, Value::Null);
        assert!(
            session_of(&admin).await.is_object(),
            "the admin's own session is untouched"
        );
    })
    .await;
}

#[tokio::test]
async fn impersonation_there_and_back() {
    for_each_store(ADMIN_ONLY, |app| async move {
        let (admin, admin_id, admin_token) = admin(&app).await;
        let (_, bob_id, bob_token) = member(&app, "bob@example.com").await;

        let r = admin
            .post(
                "/api/auth/admin/impersonate-user",
                json!({"userId": bob_id}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
        let body = r.json();
        let session = &body["session"];
        assert_eq!(session["userId"], bob_id.as_str());
        assert_eq!(session["impersonatedBy"], admin_id.as_str());
        let lifetime = support::parse_iso(session["expiresAt"].as_str().unwrap())
            - support::parse_iso(session["createdAt"].as_str().unwrap());
        assert_eq!(lifetime, Duration::hours(1));
        assert_eq!(body["user"]["email"], "bob@example.com");
        let impersonation_token = session["token"].as_str().unwrap().to_owned();

        let lines = set_cookie_lines(&r);
        assert_eq!(lines.len(), 6, "{lines:#?}");
        for (line, name) in lines
            .iter()
            .zip(["session_token", "session_data", "dont_remember"])
        {
            assert_eq!(
                line,
                &format!("better-auth.{name}=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax")
            );
        }
        let admin_cookie = &lines[3];
        assert!(
            admin_cookie.starts_with(&format!("better-auth.admin_session={admin_token}%3A.")),
            "{admin_cookie}"
        );
        assert!(
            admin_cookie.ends_with("; Max-Age=604800; Path=/; HttpOnly; SameSite=Lax"),
            "{admin_cookie}"
        );
        let raw = admin_cookie
            .split(';')
            .next()
            .unwrap()
            .split_once('=')
            .unwrap()
            .1;
        assert_eq!(
            signed::verify(support::SECRET, raw).as_deref(),
            Some(format!("{admin_token}:").as_str())
        );
        assert!(lines[4].starts_with(&format!("better-auth.session_token={impersonation_token}.")));
        assert!(
            lines[4].ends_with("; Path=/; HttpOnly; SameSite=Lax") && !lines[4].contains("Max-Age"),
            "a browser-session cookie"
        );
        assert!(lines[5].starts_with("better-auth.dont_remember=true."));

        let now_bob = session_of(&admin).await;
        assert_eq!(now_bob["user"]["id"], bob_id.as_str());
        assert_eq!(now_bob["session"]["impersonatedBy"], admin_id.as_str());
        let r = admin.get("/api/auth/list-sessions").await;
        let listed: Vec<String> = r
            .json()
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["token"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(
            listed,
            [bob_token],
            "bob's own list hides the impersonation"
        );
        let r = admin.get("/api/auth/admin/list-users").await;
        assert_eq!(
            r.status, 403,
            "an impersonating admin has the user's rights"
        );

        let r = admin
            .post_raw("/api/auth/admin/stop-impersonating", "application/json", "")
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.json()["session"]["token"], admin_token.as_str());
        assert_eq!(r.json()["user"]["id"], admin_id.as_str());
        let lines = set_cookie_lines(&r);
        assert_eq!(lines.len(), 3, "{lines:#?}");
        assert!(lines[0].starts_with(&format!("better-auth.session_token={admin_token}.")));
        assert!(
            lines[0].ends_with("; Max-Age=604800; Path=/; HttpOnly; SameSite=Lax"),
            "remembered again"
        );
        assert_eq!(
            lines[1],
            "better-auth.dont_remember=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax"
        );
        assert_eq!(
            lines[2],
            "better-auth.admin_session=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax"
        );

        assert!(
            app.store
                .find_session_and_user(&impersonation_token)
                .await
                .unwrap()
                .is_none()
        );
        assert_eq!(session_of(&admin).await["user"]["id"], admin_id.as_str());
        assert_eq!(admin.get("/api/auth/admin/list-users").await.status, 200);
    })
    .await;
}

#[tokio::test]
async fn an_admin_who_chose_not_to_be_remembered_gets_that_session_back() {
    for_each_store(ADMIN_ONLY, |app| async move {
        let (_, admin_id, _) = admin(&app).await;
        let (_, bob_id, _) = member(&app, "bob@example.com").await;
        let admin = Browser::new(&app);
        let r = admin
            .post(
                "/api/auth/sign-in/email",
                json!({"email": "admin@example.com", "password": PASSWORD, "rememberMe": false}),
            )
            .await;
        let admin_token = r.json()["token"].as_str().unwrap().to_owned();

        let r = admin
            .post(
                "/api/auth/admin/impersonate-user",
                json!({"userId": bob_id}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
        let cookie = r.set_cookie("better-auth.admin_session").unwrap();
        assert!(
            cookie.starts_with(&format!("better-auth.admin_session={admin_token}%3Atrue.")),
            "{cookie}"
        );

        let r = admin
            .post("/api/auth/admin/stop-impersonating", json!({}))
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
        let lines = set_cookie_lines(&r);
        assert!(lines[0].starts_with(&format!("better-auth.session_token={admin_token}.")));
        assert!(!lines[0].contains("Max-Age"), "{}", lines[0]);
        assert!(
            lines[1].starts_with("better-auth.dont_remember=true."),
            "{}",
            lines[1]
        );
        assert_eq!(session_of(&admin).await["user"]["id"], admin_id.as_str());
    })
    .await;
}

#[tokio::test]
async fn impersonation_refusals() {
    for_each_store(ADMIN_ONLY, |app| async move {
        let (admin, _, _) = admin(&app).await;
        let (_, other_admin, _) = member(&app, "root@example.com").await;
        set_role(&app, &other_admin, "admin").await;
        let (_, half_admin, _) = member(&app, "half@example.com").await;
        set_role(&app, &half_admin, "user,admin").await;
        let (bob, bob_id, _) = member(&app, "bob@example.com").await;
        let impersonate = |user: &str| {
            let admin = &admin;
            let body = json!({"userId": user});
            async move { admin.post("/api/auth/admin/impersonate-user", body).await }
        };

        for target in [&other_admin, &half_admin] {
            let r = impersonate(target).await;
            assert_error(
                &r,
                403,
                "YOU_CANNOT_IMPERSONATE_ADMINS",
                "You cannot impersonate admins",
            );
        }
        assert_error(
            &impersonate("nobody").await,
            404,
            "USER_NOT_FOUND",
            "User not found",
        );

        // The impersonation cookie alone, without the admin_session cookie that leads back.
        let r = impersonate(&bob_id).await;
        assert_eq!(r.status, 200, "{}", r.text());
        let stranded = Browser::new(&app).with_cookie(
            "better-auth.session_token",
            &admin.cookie_value("better-auth.session_token").unwrap(),
        );
        let r = stranded
            .post("/api/auth/admin/stop-impersonating", json!({}))
            .await;
        assert_eq!(
            (r.status, r.text()),
            (
                500,
                r#"{"message":"Failed to find admin session"}"#.to_owned()
            )
        );
        let r = admin
            .post("/api/auth/admin/stop-impersonating", json!({}))
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
        let r = admin
            .post("/api/auth/admin/ban-user", json!({"userId": bob_id}))
            .await;
        assert_eq!(r.status, 200);
        let r = impersonate(&bob_id).await;
        assert_eq!(r.status, 403, "{}", r.text());
        assert_eq!(r.json()["code"], "BANNED_USER");
        assert!(r.headers.get("set-cookie").is_none());
        assert!(
            session_of(&admin).await.is_object(),
            "the admin is still themselves"
        );

        let r = admin
            .post("/api/auth/admin/stop-impersonating", json!({}))
            .await;
        assert_eq!(
            (r.status, r.text()),
            (
                400,
                r#"{"message":"You are not impersonating anyone"}"#.to_owned()
            )
        );
        let r = bob
            .post("/api/auth/admin/stop-impersonating", json!({}))
            .await;
        assert_eq!(
            (r.status, r.body.is_empty()),
            (401, true),
            "bob's session ended with the ban"
        );
        let r = admin
            .post_raw(
                "/api/auth/admin/stop-impersonating",
                "application/json",
                "{oops",
            )
            .await;
        assert_error(&r, 400, "BAD_REQUEST", "Invalid JSON in request body");
    })
    .await;
}

#[tokio::test]
async fn remove_user_deletes_the_user_their_sessions_and_accounts() {
    for_each_store(ADMIN_ONLY, |app| async move {
        let (admin, admin_id, _) = admin(&app).await;
        let (bob, bob_id, _) = member(&app, "bob@example.com").await;
        let r = admin
            .post("/api/auth/admin/remove-user", json!({"userId": admin_id}))
            .await;
        assert_error(
            &r,
            400,
            "YOU_CANNOT_REMOVE_YOURSELF",
            "You cannot remove yourself",
        );
        let r = admin
            .post("/api/auth/admin/remove-user", json!({"userId": "nobody"}))
            .await;
        assert_error(&r, 404, "USER_NOT_FOUND", "User not found");

        let r = admin
            .post("/api/auth/admin/remove-user", json!({"userId": bob_id}))
            .await;
        assert_eq!((r.status, r.json()), (200, json!({"success": true})));
        assert_eq!(session_of(&bob).await, Value::Null);
        assert!(app.store.find_user_by_id(&bob_id).await.unwrap().is_none());
        assert!(app.store.list_accounts(&bob_id).await.unwrap().is_empty());
        assert!(session_of(&admin).await.is_object());
    })
    .await;
}

#[tokio::test]
async fn set_user_password_replaces_or_creates_the_credential_and_keeps_sessions() {
    for_each_store(ADMIN_ONLY, |app| async move {
        let (admin, _, _) = admin(&app).await;
        let (bob, bob_id, _) = member(&app, "bob@example.com").await;
        let set = |user: &str, password: &str| {
            let admin = &admin;
            let body = json!({"userId": user, "newPassword": password});
            async move { admin.post("/api/auth/admin/set-user-password", body).await }
        };
        assert_error(
            &set(&bob_id, "short").await,
            400,
            "PASSWORD_TOO_SHORT",
            "Password too short",
        );
        assert_error(
            &set(&bob_id, &"p".repeat(129)).await,
            400,
            "PASSWORD_TOO_LONG",
            "Password too long",
        );
        assert_error(
            &set("nobody", "a long enough password").await,
            404,
            "USER_NOT_FOUND",
            "User not found",
        );
        assert_validation(
            &set("", "").await,
            "[body.newPassword] newPassword cannot be empty; [body.userId] userId cannot be empty",
        );

        let r = set(&bob_id, "a brand new password").await;
        assert_eq!((r.status, r.json()), (200, json!({"status": true})));
        assert!(
            session_of(&bob).await.is_object(),
            "sessions are not revoked"
        );
        let r = Browser::new(&app)
            .post(
                "/api/auth/sign-in/email",
                json!({"email": "bob@example.com", "password": PASSWORD}),
            )
            .await;
        assert_eq!(r.status, 401);
        Browser::new(&app)
            .sign_in("bob@example.com", "a brand new password")
            .await;

        let r = admin
            .post(
                "/api/auth/admin/create-user",
                json!({"email": "nopass@example.com", "name": "Nopass"}),
            )
            .await;
        let id = r.json()["user"]["id"].as_str().unwrap().to_owned();
        assert!(
            app.store
                .find_credential_account(&id)
                .await
                .unwrap()
                .is_none()
        );
        assert_eq!(set(&id, "finally a password").await.status, 200);
        let account = app
            .store
            .find_credential_account(&id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (account.account_id.as_str(), account.provider_id.as_str()),
            (id.as_str(), "credential")
        );
        Browser::new(&app)
            .sign_in("nopass@example.com", "finally a password")
            .await;
    })
    .await;
}

#[tokio::test]
async fn admin_writes_follow_the_username_and_phone_number_rules() {
    let plugins = Plugins {
        admin: true,
        username: true,
        phone_number: true,
        ..Plugins::NONE
    };
    for_each_store(plugins, |app| async move {
        let (admin, _, _) = admin(&app).await;
        let create = |email: &str, data: Value| {
            let admin = &admin;
            let body = json!({"email": email, "name": "Someone", "data": data});
            async move { admin.post("/api/auth/admin/create-user", body).await }
        };

        let r = create(
            "alice@example.com",
            json!({"username": "Alice_1", "phoneNumber": "+15550100"}),
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.text());
        let alice = r.json()["user"].clone();
        assert_eq!(alice["username"], "alice_1");
        assert_eq!(alice["displayUsername"], "Alice_1");
        assert_eq!(
            (
                alice["phoneNumber"].clone(),
                alice["phoneNumberVerified"].clone()
            ),
            (Value::Null, json!(false)),
            "an unverified number is dropped"
        );

        let r = create(
            "bob@example.com",
            json!({"phoneNumber": "+15550101", "phoneNumberVerified": true}),
        )
        .await;
        assert_eq!(r.json()["user"]["phoneNumber"], "+15550101");
        let bob_id = r.json()["user"]["id"].as_str().unwrap().to_owned();

        let r = create("carol@example.com", json!({"username": "ALICE_1"})).await;
        assert_error(
            &r,
            400,
            "USERNAME_IS_ALREADY_TAKEN",
            "Username is already taken. Please try another.",
        );
        let r = create("carol@example.com", json!({"username": "al"})).await;
        assert_error(&r, 400, "USERNAME_TOO_SHORT", "Username is too short");
        let r = create("carol@example.com", json!({"username": "al ice"})).await;
        assert_error(&r, 400, "INVALID_USERNAME", "Username is invalid");

        let update = |data: Value| {
            let admin = &admin;
            let body = json!({"userId": bob_id, "data": data});
            async move { admin.post("/api/auth/admin/update-user", body).await }
        };
        let r = update(json!({"username": "Bobby"})).await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.json()["username"], "bobby");
        let r = update(json!({"username": "Alice_1"})).await;
        assert_eq!(r.json()["code"], "USERNAME_IS_ALREADY_TAKEN");
        let r = update(json!({"phoneNumber": null})).await;
        assert_eq!(
            (
                r.json()["phoneNumber"].clone(),
                r.json()["phoneNumberVerified"].clone()
            ),
            (Value::Null, json!(false))
        );
    })
    .await;
}
