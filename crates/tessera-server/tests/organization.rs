//! The organization plugin's groundwork over HTTP: with the plugin on, the store holds its
//! tables and every session answer carries `activeOrganizationId` (and `activeTeamId` with
//! teams), as Better Auth's get-session does; on SQLite and (when `TESSERA_TEST_POSTGRES_URL` is
//! set) PostgreSQL. Its routes come later.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use serde_json::Value;
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
