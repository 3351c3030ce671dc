//! The organization plugin over HTTP, on SQLite and (when `TESSERA_TEST_POSTGRES_URL` is set)
//! PostgreSQL: its tables and the session's `activeOrganizationId` / `activeTeamId`, its routes,
//! and what must hold under concurrent requests (one member per accepted invitation, no team
//! past its seats). The wire contract route by route is `compat/test/plugin-organization.test.mjs`,
//! which the real client runs against Tessera and Better Auth alike.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use serde_json::{Value, json};
use support::{Browser, for_each_store, for_each_store_adjusted};
use tessera_core::plugins::Plugins;
use tessera_store::{Row, Where};

const ORGANIZATION: Plugins = Plugins {
    organization: true,
    ..Plugins::NONE
};
const PASSWORD: &str = "correct horse battery";

#[tokio::test]
async fn get_session_carries_the_active_organization() {
    for_each_store(ORGANIZATION, |app| async move {
        let b = Browser::new(&app);
        let token = b.sign_up("ada@example.com", PASSWORD).await;
        let r = b.get("/api/auth/get-session").await;
        assert_eq!(r.status, 200, "{}", r.text());
        let session = &r.json()["session"];
        assert_eq!(session["activeOrganizationId"], Value::Null, "{session}");
        assert!(session.get("activeTeamId").is_none(), "no teams: {session}");
        for table in ["organization", "member", "invitation"] {
            assert_eq!(
                app.store.count_rows(table, &[]).await.unwrap(),
                0,
                "{table}"
            );
        }

        // What set-active will write, through the row API.
        app.store
            .update_row(
                "session",
                &[Where::eq("token", token.as_str())],
                &Row::new().with("activeOrganizationId", "org-1"),
            )
            .await
            .unwrap()
            .unwrap();
        let r = b.get("/api/auth/get-session").await;
        assert_eq!(r.json()["session"]["activeOrganizationId"], "org-1");
        let list = b.get("/api/auth/list-sessions").await;
        assert_eq!(list.json()[0]["activeOrganizationId"], "org-1");
    })
    .await;
}

#[tokio::test]
async fn teams_and_dynamic_access_control_add_their_tables_and_the_active_team() {
    let with_options = |c: &mut tessera_core::config::Config| {
        c.organization.teams.enabled = true;
        c.organization.dynamic_access_control.enabled = true;
    };
    for_each_store_adjusted(ORGANIZATION, with_options, |app| async move {
        let b = Browser::new(&app);
        b.sign_up("ada@example.com", PASSWORD).await;
        let r = b.get("/api/auth/get-session").await;
        let session = &r.json()["session"];
        assert_eq!(session["activeOrganizationId"], Value::Null, "{session}");
        assert_eq!(session["activeTeamId"], Value::Null, "{session}");
        for table in ["team", "teamMember", "organizationRole"] {
            assert_eq!(
                app.store.count_rows(table, &[]).await.unwrap(),
                0,
                "{table}"
            );
        }
    })
    .await;
}

/// Signs up and creates an organization; answers the organization's id.
async fn owner_of(b: &Browser, email: &str, slug: &str) -> String {
    b.sign_up(email, PASSWORD).await;
    let r = b
        .post(
            "/api/auth/organization/create",
            json!({"name": "Acme", "slug": slug}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["id"].as_str().unwrap().to_owned()
}

fn keys(v: &Value) -> Vec<&str> {
    v.as_object().unwrap().keys().map(String::as_str).collect()
}

#[tokio::test]
async fn create_answers_the_organization_with_its_owner_and_makes_it_active_without_a_cookie() {
    for_each_store(ORGANIZATION, |app| async move {
        let b = Browser::new(&app);
        b.sign_up("ada@example.com", PASSWORD).await;
        let r = b
            .post(
                "/api/auth/organization/create",
                json!({"name": "Acme", "slug": "acme", "logo": "https://img.example/a.png",
                       "metadata": {"plan": "pro", "seats": 5}}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert!(r.set_cookie("better-auth.session_token").is_none());
        let org = r.json();
        assert_eq!(
            keys(&org),
            [
                "name",
                "slug",
                "logo",
                "createdAt",
                "metadata",
                "id",
                "members"
            ]
        );
        assert_eq!(org["metadata"], json!({"plan": "pro", "seats": 5}));
        let member = &org["members"][0];
        assert_eq!(
            keys(member),
            ["organizationId", "userId", "role", "createdAt", "id"]
        );
        assert_eq!(member["role"], "owner");
        let session = b.get("/api/auth/get-session").await.json();
        assert_eq!(session["session"]["activeOrganizationId"], org["id"]);

        // Stored as JSON text; read back as text.
        let list = b.get("/api/auth/organization/list").await.json();
        assert_eq!(list[0]["metadata"], r#"{"plan":"pro","seats":5}"#);

        let bare = b
            .post(
                "/api/auth/organization/create",
                json!({"name": "Bare", "slug": "bare", "keepCurrentActiveOrganization": true}),
            )
            .await
            .json();
        assert_eq!(bare["logo"], Value::Null);
        assert!(bare.get("metadata").is_none(), "{bare}");
        let session = b.get("/api/auth/get-session").await.json();
        assert_eq!(session["session"]["activeOrganizationId"], org["id"]);
    })
    .await;
}

#[tokio::test]
async fn create_refuses_taken_slugs_empty_names_and_anonymous_callers() {
    for_each_store(ORGANIZATION, |app| async move {
        let b = Browser::new(&app);
        owner_of(&b, "ada@example.com", "acme").await;
        let r = b
            .post(
                "/api/auth/organization/create",
                json!({"name": "A", "slug": "acme"}),
            )
            .await;
        assert_eq!(
            (r.status, r.json()["code"].clone()),
            (400, json!("ORGANIZATION_ALREADY_EXISTS"))
        );
        let r = b
            .post(
                "/api/auth/organization/create",
                json!({"name": "A", "slug": "ACME"}),
            )
            .await;
        assert_eq!(r.status, 200, "slugs are case-sensitive: {}", r.text());
        let r = b
            .post(
                "/api/auth/organization/create",
                json!({"name": "", "slug": "x"}),
            )
            .await;
        assert_eq!(r.status, 400);
        assert_eq!(
            r.json()["message"],
            "[body.name] Too small: expected string to have >=1 characters"
        );
        let anonymous = Browser::new(&app);
        let r = anonymous
            .post(
                "/api/auth/organization/create",
                json!({"name": "A", "slug": "y"}),
            )
            .await;
        assert_eq!((r.status, r.text()), (401, String::new()));

        let r = b
            .post("/api/auth/organization/check-slug", json!({"slug": "acme"}))
            .await;
        assert_eq!(r.json()["code"], "ORGANIZATION_SLUG_ALREADY_TAKEN");
        let r = b
            .post("/api/auth/organization/check-slug", json!({"slug": "free"}))
            .await;
        assert_eq!(r.json(), json!({"status": true}));
    })
    .await;
}

#[tokio::test]
async fn organization_limit_and_allow_user_to_create_organization_refuse_creation() {
    for_each_store_adjusted(
        ORGANIZATION,
        |c: &mut tessera_core::config::Config| c.organization.organization_limit = Some(1),
        |app| async move {
            let b = Browser::new(&app);
            owner_of(&b, "ada@example.com", "acme").await;
            let r = b
                .post(
                    "/api/auth/organization/create",
                    json!({"name": "B", "slug": "b"}),
                )
                .await;
            assert_eq!(r.status, 403);
            assert_eq!(
                r.json()["code"],
                "YOU_HAVE_REACHED_THE_MAXIMUM_NUMBER_OF_ORGANIZATIONS"
            );
        },
    )
    .await;
    for_each_store_adjusted(
        ORGANIZATION,
        |c: &mut tessera_core::config::Config| {
            c.organization.allow_user_to_create_organization = false;
        },
        |app| async move {
            let b = Browser::new(&app);
            b.sign_up("ada@example.com", PASSWORD).await;
            let r = b
                .post(
                    "/api/auth/organization/create",
                    json!({"name": "B", "slug": "b"}),
                )
                .await;
            assert_eq!(r.status, 403);
            assert_eq!(
                r.json()["code"],
                "YOU_ARE_NOT_ALLOWED_TO_CREATE_A_NEW_ORGANIZATION"
            );
            assert_eq!(app.store.count_rows("organization", &[]).await.unwrap(), 0);
        },
    )
    .await;
}

/// Makes `email` a member of `organization_id` with `role`, through the row API (invitations
/// come later).
async fn add_member(
    app: &support::TestApp,
    b: &Browser,
    email: &str,
    organization_id: &str,
    role: &str,
) {
    b.sign_up(email, PASSWORD).await;
    let user = app
        .store
        .find_row("user", &[Where::eq("email", email)])
        .await
        .unwrap()
        .unwrap();
    app.store
        .create_row(
            "member",
            &Row::new()
                .with("id", format!("m-{email}"))
                .with("organizationId", organization_id)
                .with("userId", user.text("id").unwrap())
                .with("role", role)
                .with("createdAt", time::OffsetDateTime::now_utc()),
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn get_full_organization_set_active_and_the_active_member() {
    for_each_store(ORGANIZATION, |app| async move {
        let owner = Browser::new(&app);
        let id = owner_of(&owner, "ada@example.com", "acme").await;
        let full = owner
            .get("/api/auth/organization/get-full-organization")
            .await
            .json();
        assert_eq!(
            keys(&full),
            [
                "name",
                "slug",
                "logo",
                "createdAt",
                "metadata",
                "id",
                "invitations",
                "members"
            ]
        );
        assert_eq!(full["members"][0]["user"]["email"], "ada@example.com");
        assert_eq!(
            keys(&full["members"][0]["user"]),
            ["id", "name", "email", "image"]
        );
        let by_slug = owner
            .get("/api/auth/organization/get-full-organization?organizationSlug=acme")
            .await
            .json();
        assert_eq!(by_slug["id"], id.as_str());

        let other = Browser::new(&app);
        add_member(&app, &other, "bob@example.com", &id, "member").await;
        let none = other
            .get("/api/auth/organization/get-full-organization")
            .await;
        assert_eq!((none.status, none.text()), (200, "null".to_owned()));
        let limited = owner
            .get("/api/auth/organization/get-full-organization?membersLimit=1")
            .await
            .json();
        assert_eq!(limited["members"].as_array().unwrap().len(), 1);

        let r = other
            .post(
                "/api/auth/organization/set-active",
                json!({"organizationSlug": "acme"}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert!(r.set_cookie("better-auth.session_token").is_some());
        assert_eq!(r.json()["metadata"], Value::Null);
        let me = other
            .get("/api/auth/organization/get-active-member")
            .await
            .json();
        assert_eq!(me["role"], "member");
        assert_eq!(me["user"]["email"], "bob@example.com");

        // A stranger: 403, and whatever was active is cleared.
        let stranger = Browser::new(&app);
        owner_of(&stranger, "eve@example.com", "eve").await;
        let r = stranger
            .post(
                "/api/auth/organization/set-active",
                json!({"organizationId": id}),
            )
            .await;
        assert_eq!(
            (r.status, r.json()["code"].clone()),
            (403, json!("USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION"))
        );
        let session = stranger.get("/api/auth/get-session").await.json();
        assert_eq!(session["session"]["activeOrganizationId"], Value::Null);
        let r = stranger
            .get("/api/auth/organization/get-active-member")
            .await;
        assert_eq!(r.json()["code"], "NO_ACTIVE_ORGANIZATION");

        let r = other
            .post(
                "/api/auth/organization/set-active",
                json!({"organizationId": null}),
            )
            .await;
        assert_eq!(r.text(), "null");
        let r = other
            .post(
                "/api/auth/organization/set-active",
                json!({"organizationSlug": "nope"}),
            )
            .await;
        assert_eq!(r.json()["code"], "ORGANIZATION_NOT_FOUND");
    })
    .await;
}

#[tokio::test]
async fn update_and_delete_follow_the_roles() {
    for_each_store(ORGANIZATION, |app| async move {
        let owner = Browser::new(&app);
        let id = owner_of(&owner, "ada@example.com", "acme").await;
        let admin = Browser::new(&app);
        add_member(&app, &admin, "bob@example.com", &id, "admin").await;
        let member = Browser::new(&app);
        add_member(&app, &member, "cy@example.com", &id, "member").await;
        owner_of(&Browser::new(&app), "eve@example.com", "taken").await;

        let r = owner
            .post(
                "/api/auth/organization/update",
                json!({"data": {"name": "Acme2"}}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert!(r.json().get("metadata").is_none(), "no metadata, no key");
        let r = admin
            .post(
                "/api/auth/organization/update",
                json!({"organizationId": id, "data": {"metadata": {"a": 1}}}),
            )
            .await;
        assert_eq!(r.json()["metadata"], json!({"a": 1}));
        let r = member
            .post(
                "/api/auth/organization/update",
                json!({"organizationId": id, "data": {"name": "X"}}),
            )
            .await;
        assert_eq!(
            (r.status, r.json()["code"].clone()),
            (
                403,
                json!("YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_ORGANIZATION")
            )
        );
        let r = owner
            .post(
                "/api/auth/organization/update",
                json!({"data": {"slug": "taken"}}),
            )
            .await;
        assert_eq!(r.json()["code"], "ORGANIZATION_SLUG_ALREADY_TAKEN");
        let r = Browser::new(&app)
            .post(
                "/api/auth/organization/update",
                json!({"data": {"name": "X"}}),
            )
            .await;
        assert_eq!(
            (r.status, r.json()),
            (401, json!({"message": "User not found"}))
        );

        let r = admin
            .post(
                "/api/auth/organization/delete",
                json!({"organizationId": id}),
            )
            .await;
        assert_eq!(
            (r.status, r.json()["code"].clone()),
            (
                403,
                json!("YOU_ARE_NOT_ALLOWED_TO_DELETE_THIS_ORGANIZATION")
            )
        );
        let r = owner
            .post(
                "/api/auth/organization/delete",
                json!({"organizationId": id}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.json()["metadata"], r#"{"a":1}"#);
        assert_eq!(
            app.store
                .count_rows("member", &[Where::eq("organizationId", id.as_str())])
                .await
                .unwrap(),
            0
        );
        let session = owner.get("/api/auth/get-session").await.json();
        assert_eq!(session["session"]["activeOrganizationId"], Value::Null);
    })
    .await;
}

#[tokio::test]
async fn deletion_can_be_disabled_before_any_session_check() {
    for_each_store_adjusted(
        ORGANIZATION,
        |c: &mut tessera_core::config::Config| c.organization.disable_organization_deletion = true,
        |app| async move {
            let r = Browser::new(&app)
                .post("/api/auth/organization/delete", json!({}))
                .await;
            assert_eq!(r.status, 404);
            assert_eq!(
                r.json(),
                json!({"message": "Organization deletion is disabled", "code": "ORGANIZATION_DELETION_DISABLED"})
            );
        },
    )
    .await;
}

async fn ask(b: &Browser, body: Value) -> support::Response {
    b.post("/api/auth/organization/has-permission", body).await
}

#[tokio::test]
async fn has_permission_uses_the_members_roles() {
    for_each_store(ORGANIZATION, |app| async move {
        let owner = Browser::new(&app);
        let id = owner_of(&owner, "ada@example.com", "acme").await;
        let admin = Browser::new(&app);
        add_member(&app, &admin, "bob@example.com", &id, "admin,member").await;
        let delete = json!({"organizationId": id, "permissions": {"organization": ["delete"]}});
        assert_eq!(ask(&owner, delete.clone()).await.json(), json!({"error": null, "success": true}));
        assert_eq!(ask(&admin, delete).await.json()["success"], false);
        let update = json!({"organizationId": id, "permissions": {"organization": ["update"], "member": ["create"]}});
        assert_eq!(ask(&admin, update).await.json()["success"], true);
        let deprecated = json!({"organizationId": id, "permission": {"organization": ["update"]}});
        assert_eq!(ask(&owner, deprecated).await.json()["success"], false);

        let stranger = Browser::new(&app);
        stranger.sign_up("eve@example.com", PASSWORD).await;
        let r = ask(&stranger, json!({"organizationId": id, "permissions": {"ac": ["read"]}})).await;
        assert_eq!((r.status, r.json()["code"].clone()), (401, json!("USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION")));
        let r = ask(&stranger, json!({"permissions": {"ac": ["read"]}})).await;
        assert_eq!(r.json()["code"], "NO_ACTIVE_ORGANIZATION");
    })
    .await;
}

#[tokio::test]
async fn list_members_pages_sorts_and_filters_with_a_total() {
    for_each_store(ORGANIZATION, |app| async move {
        let owner = Browser::new(&app);
        let id = owner_of(&owner, "ada@example.com", "acme").await;
        for (email, role) in [("bob@example.com", "admin"), ("cy@example.com", "member"), ("di@example.com", "member")] {
            add_member(&app, &Browser::new(&app), email, &id, role).await;
        }
        let all = owner.get("/api/auth/organization/list-members").await.json();
        assert_eq!(all["total"], 4);
        assert_eq!(keys(&all["members"][0]), ["organizationId", "userId", "role", "createdAt", "id", "user"]);
        let page = owner
            .get("/api/auth/organization/list-members?limit=2&offset=1&sortBy=role&sortDirection=desc")
            .await
            .json();
        assert_eq!(page["total"], 4);
        let roles: Vec<&str> = page["members"].as_array().unwrap().iter().map(|m| m["role"].as_str().unwrap()).collect();
        assert_eq!(roles, ["member", "member"]);
        let filtered = owner
            .get("/api/auth/organization/list-members?filterField=role&filterValue=member")
            .await
            .json();
        assert_eq!(filtered["total"], 2);
        let r = owner.get("/api/auth/organization/list-members?filterField=nope&filterValue=x").await;
        assert_eq!(r.status, 500);

        let stranger = Browser::new(&app);
        stranger.sign_up("eve@example.com", PASSWORD).await;
        let r = stranger.get(&format!("/api/auth/organization/list-members?organizationId={id}")).await;
        assert_eq!((r.status, r.json()["code"].clone()), (403, json!("YOU_ARE_NOT_A_MEMBER_OF_THIS_ORGANIZATION")));
    })
    .await;
}

/// Signs up `email` in a new browser and invites it into `organization_id` as `role`; answers
/// the browser and the invitation id.
async fn invited(
    app: &support::TestApp,
    owner: &Browser,
    email: &str,
    organization_id: &str,
    role: &str,
) -> (Browser, String) {
    let b = Browser::new(app);
    b.sign_up(email, PASSWORD).await;
    let r = owner
        .post(
            "/api/auth/organization/invite-member",
            json!({"email": email, "role": role, "organizationId": organization_id}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    (b, r.json()["id"].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn an_invitation_is_mailed_with_its_link_and_accepting_it_makes_one_member() {
    fn with_link(c: &mut tessera_core::config::Config) {
        c.plugins.organization = true;
        c.organization.invitation_url = Some("https://app.example.com/join/{id}".into());
    }
    support::for_each_store_configured(ORGANIZATION, with_link, |app, outbox| async move {
        let owner = Browser::new(&app);
        let id = owner_of(&owner, "ada@example.com", "acme").await;
        let (bob, invitation) = invited(&app, &owner, "bob@example.com", &id, "admin").await;
        let mail = outbox
            .wait_for("organization-invitation", "bob@example.com")
            .await;
        assert_eq!(mail["invitationId"], invitation.as_str());
        assert_eq!(mail["organizationSlug"], "acme");
        assert_eq!(mail["inviterEmail"], "ada@example.com");
        assert_eq!(
            mail["url"],
            format!("https://app.example.com/join/{invitation}").as_str()
        );

        // The same user accepting from two sessions at once: the status moves once, so one
        // request makes the member and the other finds no pending invitation.
        let second = Browser::new(&app);
        second.sign_in("bob@example.com", PASSWORD).await;
        let body = json!({"invitationId": invitation});
        let (a, b) = tokio::join!(
            bob.post("/api/auth/organization/accept-invitation", body.clone()),
            second.post("/api/auth/organization/accept-invitation", body.clone()),
        );
        let mut statuses = [a.status, b.status];
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 400], "{} / {}", a.text(), b.text());
        let members = app
            .store
            .count_rows("member", &[Where::eq("organizationId", id.as_str())])
            .await
            .unwrap();
        assert_eq!(members, 2, "the owner and bob, once");
        let row = app
            .store
            .find_row("invitation", &[Where::eq("id", invitation.as_str())])
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.text("status"), Some("accepted"));
    })
    .await;
}

#[tokio::test]
async fn a_full_team_takes_no_more_members_however_many_ask_at_once() {
    let with_teams = |c: &mut tessera_core::config::Config| {
        c.organization.teams.enabled = true;
        c.organization.teams.maximum_members_per_team = Some(2);
    };
    for_each_store_adjusted(ORGANIZATION, with_teams, |app| async move {
        let owner = Browser::new(&app);
        let id = owner_of(&owner, "ada@example.com", "acme").await;
        let team = owner
            .post(
                "/api/auth/organization/create-team",
                json!({"name": "Pair"}),
            )
            .await;
        assert_eq!(team.status, 200, "{}", team.text());
        let team_id = team.json()["id"].as_str().unwrap().to_owned();
        let mut users = Vec::new();
        for n in 0..5 {
            let email = format!("user{n}@example.com");
            add_member(&app, &Browser::new(&app), &email, &id, "member").await;
            let user = app
                .store
                .find_row("user", &[Where::eq("email", email.as_str())])
                .await
                .unwrap()
                .unwrap();
            users.push(user.text("id").unwrap().to_owned());
        }
        let asks = users.iter().map(|user_id| {
            owner.post(
                "/api/auth/organization/add-team-member",
                json!({"teamId": team_id, "userId": user_id}),
            )
        });
        let answers = futures::future::join_all(asks).await;
        let added = answers.iter().filter(|r| r.status == 200).count();
        let full = answers
            .iter()
            .filter(|r| r.status == 403 && r.json()["code"] == "TEAM_MEMBER_LIMIT_REACHED")
            .count();
        assert_eq!((added, full), (2, 3));
        let rows = app
            .store
            .count_rows("teamMember", &[Where::eq("teamId", team_id.as_str())])
            .await
            .unwrap();
        let counter = app
            .store
            .find_row("team", &[Where::eq("id", team_id.as_str())])
            .await
            .unwrap()
            .unwrap()
            .int("memberCount");
        assert_eq!((rows, counter), (2, Some(2)));
    })
    .await;
}

#[tokio::test]
async fn the_last_owner_can_neither_leave_nor_be_removed_nor_step_down() {
    for_each_store(ORGANIZATION, |app| async move {
        let owner = Browser::new(&app);
        let id = owner_of(&owner, "ada@example.com", "acme").await;
        let (admin, invitation) = invited(&app, &owner, "bob@example.com", &id, "admin").await;
        let r = admin
            .post(
                "/api/auth/organization/accept-invitation",
                json!({"invitationId": invitation}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
        let owner_member = owner
            .get("/api/auth/organization/get-active-member")
            .await
            .json();
        let owner_member_id = owner_member["id"].as_str().unwrap();

        let leave = owner
            .post(
                "/api/auth/organization/leave",
                json!({"organizationId": id}),
            )
            .await;
        assert_eq!(
            leave.json()["code"],
            "YOU_CANNOT_LEAVE_THE_ORGANIZATION_AS_THE_ONLY_OWNER"
        );
        let removed = admin
            .post(
                "/api/auth/organization/remove-member",
                json!({"memberIdOrEmail": owner_member_id}),
            )
            .await;
        assert_eq!(removed.status, 400, "{}", removed.text());
        let demoted = owner
            .post(
                "/api/auth/organization/update-member-role",
                json!({"memberId": owner_member_id, "role": "admin"}),
            )
            .await;
        assert_eq!(
            demoted.json()["code"],
            "YOU_CANNOT_LEAVE_THE_ORGANIZATION_WITHOUT_AN_OWNER"
        );
        let unknown = owner
            .post(
                "/api/auth/organization/update-member-role",
                json!({"memberId": owner_member_id, "role": ["owner", "ghost"]}),
            )
            .await;
        // This refusal is the one built code-first.
        assert_eq!(
            unknown.text(),
            r#"{"code":"ROLE_NOT_FOUND","message":"ROLE_NOT_FOUND: ghost"}"#
        );
        // The admin leaves; the owner's role row stands.
        let left = admin
            .post(
                "/api/auth/organization/leave",
                json!({"organizationId": id}),
            )
            .await;
        assert_eq!(left.status, 200, "{}", left.text());
        assert_eq!(left.json()["user"]["email"], "bob@example.com");
        let role = owner
            .get("/api/auth/organization/get-active-member-role")
            .await;
        assert_eq!(role.json(), json!({"role": "owner"}));
    })
    .await;
}
