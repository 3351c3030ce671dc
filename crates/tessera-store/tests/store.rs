//! The store's behaviour, on a fresh SQLite file always and on a fresh PostgreSQL database when
//! `TESSERA_TEST_POSTGRES_URL` is set (e.g. `postgres://postgres@127.0.0.1:5432/test`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[macro_use]
mod support;

use std::sync::Arc;
use tessera_core::plugins::accessors::*;
use tessera_core::plugins::{admin, username};

use support::*;
use tessera_core::model::{Account, FieldValue, UserPatch};
use tessera_core::plugins::Plugins;
use tessera_core::schema::{Column, ColumnDefault, Table};
use tessera_core::timefmt;
use tessera_store::ddl;
use tessera_store::{Dialect, FindMany, OpenOptions, Row, RowValue, SortBy, StoreError, Where};

const FIXTURES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/better-auth-1.7.25"
);

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!("{FIXTURES}/{name}")).unwrap()
}

fn dialect_name(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Sqlite => "sqlite",
        Dialect::Postgres => "postgres",
    }
}

// ---- generate

#[test]
fn generate_prints_the_reference_ddl_statement_by_statement() {
    for (dialect, reference) in [
        (Dialect::Sqlite, SQLITE_ALL),
        (Dialect::Postgres, POSTGRES_ALL),
    ] {
        let one_per_line: String = ddl::create_statements(dialect, Plugins::ALL)
            .iter()
            .map(|s| format!("{s};\n"))
            .collect();
        assert_eq!(one_per_line, reference, "{dialect:?}");
    }
}

#[test]
fn generate_is_byte_identical_to_better_auth_output() {
    for dialect in [Dialect::Sqlite, Dialect::Postgres] {
        for (plugins, name) in [(Plugins::NONE, "core"), (Plugins::ALL, "all")] {
            let expected = fixture(&format!("{}-{name}.sql", dialect_name(dialect)));
            assert_eq!(
                ddl::generate(dialect, plugins),
                expected,
                "{dialect:?} {name}"
            );
        }
    }
}

#[test]
fn generate_for_one_plugin_adds_only_its_columns() {
    let username = Plugins {
        username: true,
        ..Plugins::NONE
    };
    let sql = ddl::generate(Dialect::Sqlite, username);
    assert!(sql.contains(r#""username" text unique, "displayUsername" text);"#));
    assert!(!sql.contains("role"));
    assert!(!sql.contains("twoFactor"));
    assert!(!sql.contains("impersonatedBy"));
}

// ---- migrate

db_test! {
    async fn migrate_creates_every_table_on_an_empty_database(db) {
        let report = tessera_store::migrate(&db.url, Plugins::ALL).await.unwrap();
        assert_eq!(report.created_tables, ["user", "session", "account", "verification", "twoFactor"]);
        assert_eq!(
            report.created_indexes,
            ["session_userId_idx", "account_userId_idx", "verification_identifier_idx", "twoFactor_secret_idx", "twoFactor_userId_idx"]
        );
        assert_eq!(report.statements, ddl::create_statements(db.dialect, Plugins::ALL));
        assert!(report.applied);
        db.open(Plugins::ALL).await;
    }

    async fn migrate_twice_does_nothing_the_second_time(db) {
        tessera_store::migrate(&db.url, Plugins::ALL).await.unwrap();
        let again = tessera_store::migrate(&db.url, Plugins::ALL).await.unwrap();
        assert!(again.is_up_to_date(), "{again:?}");
        assert!(again.to_string().contains("up to date"));
    }

    async fn plan_says_what_migrate_would_do_without_doing_it(db) {
        let plan = tessera_store::migrate::plan(&db.url, Plugins::ALL).await.unwrap();
        assert!(!plan.applied);
        assert_eq!(plan.created_tables.len(), 5);
        assert!(plan.to_string().contains("would create table user"));
        let err = tessera_store::open(&db.url, Plugins::ALL, OpenOptions::default()).await.err().unwrap();
        assert!(matches!(&err, StoreError::Schema(m) if m.contains("table user") && m.contains("tessera migrate")), "{err}");
    }

    async fn migrate_adds_plugin_columns_to_a_core_database_with_rows(db) {
        let core = db.store(Plugins::NONE).await;
        core.create_user(&core_user(1), &[credential(1)]).await.unwrap();
        drop(core);

        let report = tessera_store::migrate(&db.url, Plugins::ALL).await.unwrap();
        let better_auth = fixture(&format!("{}-core-to-all.sql", dialect_name(db.dialect)));
        assert_eq!(ddl::join_like_better_auth(&report.statements), better_auth);
        assert_eq!(report.created_tables, ["twoFactor"]);
        assert_eq!(report.added_columns.len(), 10);

        let all = db.open(Plugins::ALL).await;
        let user = all.find_user_by_id(&id("user", 1)).await.unwrap().unwrap();
        // The boolean defaults that `add column` carries fill the existing row.
        assert_eq!(user.banned(), Some(false));
        assert_eq!(user.two_factor_enabled(), Some(false));
        assert_eq!(user.role(), None);
        assert_eq!(user.phone_number_verified(), None);
        assert_eq!(user.email, core_user(1).email);
    }

    async fn migrate_refuses_a_required_column_without_default_on_a_table_with_rows(db) {
        db.store(Plugins::NONE).await.create_user(&core_user(1), &[]).await.unwrap();
        let session = session(1, 1, 60_000);
        db.store(Plugins::NONE).await.create_session(&session).await.unwrap();
        // A session table from some older tool, without updatedAt.
        db.exec(r#"alter table "session" drop column "updatedAt""#).await;

        let err = tessera_store::migrate(&db.url, Plugins::NONE).await.unwrap_err();
        assert!(matches!(&err, StoreError::Schema(m) if m.contains(r#""session"."updatedAt""#)), "{err}");
        // Nothing was half-done: the plan is unchanged.
        let err_again = tessera_store::migrate::plan(&db.url, Plugins::NONE).await.unwrap_err();
        assert_eq!(err.to_string(), err_again.to_string());
    }

    async fn migrate_creates_missing_indexes_on_existing_tables(db) {
        tessera_store::migrate(&db.url, Plugins::NONE).await.unwrap();
        db.exec(r#"drop index "session_userId_idx""#).await;
        let report = tessera_store::migrate(&db.url, Plugins::NONE).await.unwrap();
        assert_eq!(report.created_indexes, ["session_userId_idx"]);
        assert_eq!(report.statements, [r#"create index "session_userId_idx" on "session" ("userId")"#]);
    }

    async fn a_better_auth_1_7_2_database_with_account_issuer_keeps_working(db) {
        // Better Auth 1.7.0–1.7.2: account.issuer required, unique with accountId.
        let ddl = db.reference_ddl().replace(
            r#""id" text not null primary key, "accountId" text not null"#,
            r#""id" text not null primary key, "issuer" text not null, "accountId" text not null"#,
        );
        db.exec(&ddl).await;
        db.exec(r#"create unique index "account_issuer_accountId_uidx" on "account" ("issuer", "accountId")"#).await;

        let report = tessera_store::migrate(&db.url, Plugins::ALL).await.unwrap();
        assert!(report.is_up_to_date(), "{report}");
        assert!(report.notes.iter().any(|n| n.contains("account.issuer")), "{report}");

        let store = db.open(Plugins::ALL).await;
        store.create_user(&user(1), &[credential(1)]).await.unwrap();
        store.create_account(&github(1)).await.unwrap();
        store.insert_import_batch(batch(vec![user(2)], vec![credential(2)], vec![])).await.unwrap();

        let issuer = |account_id: String| async move {
            db.scalar(&format!(r#"select "issuer" from "account" where "id" = '{account_id}'"#)).await
        };
        assert_eq!(issuer(id("acct", 1)).await.as_deref(), Some("local:credential"));
        assert_eq!(issuer(id("ghub", 1)).await.as_deref(), Some("local:oauth:github"));
        assert_eq!(issuer(id("acct", 2)).await.as_deref(), Some("local:credential"));
        assert_eq!(store.find_credential_account(&id("user", 1)).await.unwrap(), Some(credential(1)));
    }
}

db_test! {
    async fn open_can_migrate_first(db) {
        let options = OpenOptions { migrate: true, ..OpenOptions::default() };
        let store = tessera_store::open(&db.url, Plugins::ALL, options).await.unwrap();
        store.create_user(&user(1), &[]).await.unwrap();
        assert!(tessera_store::migrate(&db.url, Plugins::ALL).await.unwrap().is_up_to_date());
    }

    async fn a_sqlite_file_is_created_in_wal_mode_with_foreign_keys(db) {
        if db.dialect != Dialect::Sqlite {
            continue;
        }
        let store = db.store(Plugins::ALL).await;
        assert_eq!(db.scalar("pragma journal_mode").await.as_deref(), Some("wal"));
        // The store's own connections enforce foreign keys: a session of no user is refused.
        let orphan = store.create_session(&session(404, 1, 60_000)).await.unwrap_err();
        assert!(matches!(orphan, StoreError::Database(_)), "{orphan}");
    }
}

// ---- users

db_test! {
    async fn users_are_found_by_id_email_username_and_phone(db) {
        let store = db.store(Plugins::ALL).await;
        let alice = user(1);
        store.create_user(&alice, &[credential(1)]).await.unwrap();

        assert_eq!(store.find_user_by_id(&alice.id).await.unwrap(), Some(alice.clone()));
        assert_eq!(store.find_user_by_email("user1@example.com").await.unwrap(), Some(alice.clone()));
        assert_eq!(store.find_user_by_field("username", "user1").await.unwrap(), Some(alice.clone()));
        assert_eq!(store.find_user_by_field("phoneNumber", "+15550000001").await.unwrap(), Some(alice.clone()));
        assert_eq!(store.find_user_by_email("nobody@example.com").await.unwrap(), None);
        assert_eq!(store.find_credential_account(&alice.id).await.unwrap(), Some(credential(1)));
    }

    async fn a_core_only_store_has_no_plugin_columns(db) {
        let store = db.store(Plugins::NONE).await;
        store.create_user(&core_user(1), &[]).await.unwrap();
        assert_eq!(store.find_user_by_id(&id("user", 1)).await.unwrap(), Some(core_user(1)));
        assert!(matches!(store.find_user_by_field("username", "user1").await, Err(StoreError::Schema(_))));
        let patch = UserPatch::default().with(&admin::ROLE, "admin");
        assert!(matches!(store.update_user(&id("user", 1), &patch, at(5)).await, Err(StoreError::Schema(_))));
        assert!(matches!(store.find_two_factor(&id("user", 1)).await, Err(StoreError::Schema(_))));
        let tables = match db.dialect {
            Dialect::Sqlite => r#"select group_concat("name", ',') from (select "name" from "sqlite_master" where "type" = 'table' order by "name")"#,
            Dialect::Postgres => r#"select string_agg(table_name::text, ',' order by table_name) from information_schema.tables where table_schema = current_schema()"#,
        };
        assert_eq!(db.scalar(tables).await.as_deref(), Some("account,session,user,verification"));
    }

    async fn update_user_writes_the_patch_and_updated_at(db) {
        let store = db.store(Plugins::ALL).await;
        store.create_user(&user(1), &[]).await.unwrap();
        let patch = UserPatch { name: Some("Renamed".into()), image: Some(Some("https://example.com/a.png".into())), ..UserPatch::default() }.with(&admin::BANNED, true).with(&admin::BAN_REASON, "spam").with(&admin::BAN_EXPIRES, at(86_400_000)).with(&username::USERNAME, FieldValue::Null);
        let updated = store.update_user(&id("user", 1), &patch, at(1_000)).await.unwrap().unwrap();
        let mut expected = tessera_core::model::User {
            name: "Renamed".into(),
            image: Some("https://example.com/a.png".into()),
            updated_at: at(1_000),
            ..user(1)
        };
        expected.set_banned(Some(true));
        expected.set_ban_reason(Some("spam".into()));
        expected.set_ban_expires(Some(at(86_400_000)));
        expected.set_username(None);
        assert_eq!(updated, expected);
        assert_eq!(store.find_user_by_id(&id("user", 1)).await.unwrap(), Some(expected));
        assert_eq!(store.update_user("missing", &patch, at(1)).await.unwrap(), None);
    }

    async fn duplicate_email_username_and_phone_are_conflicts(db) {
        let store = db.store(Plugins::ALL).await;
        store.create_user(&user(1), &[]).await.unwrap();
        let clash = |f: fn(&mut tessera_core::model::User)| {
            let mut u = user(2);
            f(&mut u);
            u
        };
        let conflict = |r: Result<(), StoreError>| match r {
            Err(StoreError::Conflict(column)) => column,
            other => panic!("expected a conflict, got {other:?}"),
        };
        assert_eq!(conflict(store.create_user(&clash(|u| u.email = user(1).email), &[]).await), "email");
        assert_eq!(conflict(store.create_user(&clash(|u| u.set_username(user(1).username().map(str::to_owned))), &[]).await), "username");
        assert_eq!(conflict(store.create_user(&clash(|u| u.set_phone_number(user(1).phone_number().map(str::to_owned))), &[]).await), "phoneNumber");
        assert_eq!(conflict(store.create_user(&clash(|u| u.id = user(1).id), &[]).await), "id");
        // The failed create left no half-written user behind.
        store.create_user(&user(2), &[credential(2)]).await.unwrap();
        let patch = UserPatch { email: Some(user(1).email), ..UserPatch::default() };
        let err = store.update_user(&id("user", 2), &patch, at(1)).await.unwrap_err();
        assert!(matches!(&err, StoreError::Conflict(c) if c == "email"), "{err}");
    }

    async fn deleting_a_user_deletes_its_sessions_accounts_and_two_factor(db) {
        let store = db.store(Plugins::ALL).await;
        store.create_user(&user(1), &[credential(1), github(1)]).await.unwrap();
        store.create_session(&session(1, 1, 60_000)).await.unwrap();
        store.upsert_two_factor(&two_factor(1)).await.unwrap();

        assert!(store.delete_user(&id("user", 1)).await.unwrap());
        assert!(!store.delete_user(&id("user", 1)).await.unwrap());
        assert_eq!(store.find_session_and_user(&id("tokn", 1)).await.unwrap(), None);
        assert_eq!(store.list_accounts(&id("user", 1)).await.unwrap(), []);
        assert_eq!(store.find_two_factor(&id("user", 1)).await.unwrap(), None);
    }
}

// ---- admin list-users

fn ids(users: &[tessera_core::model::User]) -> Vec<String> {
    users.iter().map(|u| u.id.clone()).collect()
}

/// Twelve users; every third an admin, every fourth banned.
fn crowd() -> Vec<tessera_core::model::User> {
    (1..=12)
        .map(|n| {
            let mut u = user(n);
            if n.is_multiple_of(3) {
                u.set_role(Some("admin".into()));
            }
            if n.is_multiple_of(4) {
                u.set_banned(Some(true));
            }
            u
        })
        .collect()
}

db_test! {
    async fn list_users_searches_like_better_auth_and_counts_before_paging(db) {
        let store = db.store(Plugins::ALL).await;
        let crowd = crowd();
        for u in &crowd {
            store.create_user(u, &[]).await.unwrap();
        }
        let search = |operator, value: &str| tessera_store::ListUsersQuery {
            search: Some(tessera_store::UserSearch { field: tessera_store::SearchField::Email, operator, value: value.into() }),
            ..Default::default()
        };

        let (found, total) = store.list_users(&search(tessera_store::TextOperator::Contains, "user1")).await.unwrap();
        let expected: Vec<_> = crowd.iter().filter(|u| u.email.contains("user1")).cloned().collect();
        assert_eq!((ids(&found), total), (ids(&expected), expected.len() as u64));
        // Better Auth's plain LIKE: ASCII case folds on SQLite, not on PostgreSQL.
        let (_, total) = store.list_users(&search(tessera_store::TextOperator::Contains, "USER1")).await.unwrap();
        let expected_upper = if db.dialect == Dialect::Postgres { 0 } else { expected.len() as u64 };
        assert_eq!(total, expected_upper);

        let (found, _) = store.list_users(&search(tessera_store::TextOperator::StartsWith, "user1@")).await.unwrap();
        assert_eq!(ids(&found), [id("user", 1)]);
        let (_, total) = store.list_users(&search(tessera_store::TextOperator::EndsWith, "@example.com")).await.unwrap();
        assert_eq!(total, 12);
        // A wildcard in the value is a literal character.
        let (_, total) = store.list_users(&search(tessera_store::TextOperator::Contains, "_")).await.unwrap();
        assert_eq!(total, 0);

        let page = tessera_store::ListUsersQuery {
            sort: Some(tessera_store::UserSort { field: "name".into(), descending: true }),
            limit: Some(3),
            offset: Some(2),
            ..Default::default()
        };
        let (found, total) = store.list_users(&page).await.unwrap();
        let mut by_name = crowd.clone();
        by_name.sort_by(|a, b| b.name.cmp(&a.name));
        assert_eq!((ids(&found), total), (ids(&by_name[2..5]), 12));

        let offset_only = tessera_store::ListUsersQuery { offset: Some(10), ..Default::default() };
        assert_eq!(ids(&store.list_users(&offset_only).await.unwrap().0), ids(&crowd[10..]));
    }

    async fn list_users_filters_by_any_field_in_its_own_type(db) {
        use tessera_store::{FilterOperator as Op, FilterValue as V};
        let store = db.store(Plugins::ALL).await;
        let crowd = crowd();
        for u in &crowd {
            store.create_user(u, &[]).await.unwrap();
        }
        let filter = |field: &str, operator, value| tessera_store::ListUsersQuery {
            filter: Some(tessera_store::UserFilter { field: field.into(), operator, value }),
            ..Default::default()
        };
        let matching = |keep: &dyn Fn(&tessera_core::model::User) -> bool| {
            ids(&crowd.iter().filter(|u| keep(u)).cloned().collect::<Vec<_>>())
        };

        let cases: Vec<(tessera_store::ListUsersQuery, Vec<String>)> = vec![
            (filter("role", Op::Eq, V::Text("admin".into())), matching(&|u| u.role() == Some("admin"))),
            (filter("role", Op::Ne, V::Text("admin".into())), matching(&|u| u.role() != Some("admin"))),
            (filter("banned", Op::Eq, V::Bool(true)), matching(&|u| u.banned() == Some(true))),
            (filter("banned", Op::Eq, V::Text("false".into())), matching(&|u| u.banned() == Some(false))),
            (filter("createdAt", Op::Gt, V::Text(timefmt::to_iso_ms(at(9)))), matching(&|u| u.created_at > at(9))),
            (filter("createdAt", Op::Lte, V::Number(timefmt::to_epoch_ms(at(2)) as f64)), matching(&|u| u.created_at <= at(2))),
            (filter("username", Op::In, V::List(vec![V::Text("user2".into()), V::Text("user5".into())])), vec![id("user", 2), id("user", 5)]),
            (filter("username", Op::NotIn, V::List(vec![])), matching(&|_| true)),
            (filter("name", Op::StartsWith, V::Text("User 1".into())), matching(&|u| u.name.starts_with("User 1"))),
        ];
        for (query, expected) in cases {
            let (found, total) = store.list_users(&query).await.unwrap();
            assert_eq!((ids(&found), total), (expected.clone(), expected.len() as u64), "{query:?}");
        }

        for bad in [
            filter("password", Op::Eq, V::Text("x".into())),
            filter("banned", Op::Contains, V::Text("t".into())),
            filter("createdAt", Op::Eq, V::Text("yesterday".into())),
        ] {
            assert!(matches!(store.list_users(&bad).await, Err(StoreError::Schema(_))), "{bad:?}");
        }
        let unknown_sort = tessera_store::ListUsersQuery {
            sort: Some(tessera_store::UserSort { field: "role; drop table user".into(), descending: false }),
            ..Default::default()
        };
        assert!(matches!(store.list_users(&unknown_sort).await, Err(StoreError::Schema(_))));
    }
}

// ---- accounts

db_test! {
    async fn accounts_are_listed_found_and_deleted(db) {
        let store = db.store(Plugins::ALL).await;
        store.create_user(&user(1), &[credential(1)]).await.unwrap();
        store.create_account(&github(1)).await.unwrap();

        assert_eq!(store.list_accounts(&id("user", 1)).await.unwrap(), [credential(1), github(1)]);
        assert_eq!(store.find_account_by_provider("github", "4243").await.unwrap(), Some(github(1)));
        assert_eq!(store.find_account_by_provider("github", "1").await.unwrap(), None);
        assert!(store.delete_account(&id("ghub", 1)).await.unwrap());
        assert_eq!(store.list_accounts(&id("user", 1)).await.unwrap(), [credential(1)]);
    }

    async fn account_tokens_are_rewritten_by_row_id(db) {
        let store = db.store(Plugins::ALL).await;
        store.create_user(&user(1), &[credential(1)]).await.unwrap();
        store.create_account(&github(1)).await.unwrap();
        let mut updated = github(1);
        updated.access_token = Some("gho_new".into());
        updated.refresh_token = None;
        updated.id_token = Some("id.token.sig".into());
        updated.access_token_expires_at = Some(at(20));
        updated.refresh_token_expires_at = Some(at(30));
        updated.scope = Some("read:user,user:email,repo".into());
        updated.updated_at = at(11);
        assert!(store.update_account_tokens(&updated).await.unwrap());
        assert_eq!(store.find_account_by_provider("github", "4243").await.unwrap(), Some(updated));
        assert_eq!(store.list_accounts(&id("user", 1)).await.unwrap()[0], credential(1), "others untouched");
        let mut missing = github(1);
        missing.id = "no-such-row".into();
        assert!(!store.update_account_tokens(&missing).await.unwrap());
    }

    async fn the_credential_account_is_the_one_whose_account_id_is_the_user_id(db) {
        let store = db.store(Plugins::ALL).await;
        let mut stray = credential(1);
        stray.account_id = "something-else".into();
        store.create_user(&user(1), &[stray]).await.unwrap();
        assert_eq!(store.find_credential_account(&id("user", 1)).await.unwrap(), None);
        assert!(!store.update_credential_password(&id("user", 1), "new", at(5)).await.unwrap());
    }

    async fn passwords_are_updated_and_rehashed_only_over_the_expected_hash(db) {
        let store = db.store(Plugins::ALL).await;
        store.create_user(&user(1), &[credential(1)]).await.unwrap();
        let old = credential(1).password.unwrap();

        assert!(store.replace_password_hash(&id("acct", 1), &old, "rehashed", at(7)).await.unwrap());
        assert!(!store.replace_password_hash(&id("acct", 1), &old, "stale", at(8)).await.unwrap());
        let account = store.find_credential_account(&id("user", 1)).await.unwrap().unwrap();
        assert_eq!((account.password.as_deref(), account.updated_at), (Some("rehashed"), at(7)));

        assert!(store.update_credential_password(&id("user", 1), "changed", at(9)).await.unwrap());
        let account = store.find_credential_account(&id("user", 1)).await.unwrap().unwrap();
        assert_eq!((account.password.as_deref(), account.updated_at), (Some("changed"), at(9)));
        assert!(!store.update_credential_password("nobody", "x", at(9)).await.unwrap());
    }
}

// ---- sessions

db_test! {
    async fn a_session_is_found_with_its_user_in_one_query(db) {
        let store = db.store(Plugins::ALL).await;
        store.create_user(&user(1), &[]).await.unwrap();
        let mut s = session(1, 1, 60_000);
        s.set_impersonated_by(Some(id("user", 9)));
        store.create_session(&s).await.unwrap();

        assert_eq!(store.find_session_and_user(&s.token).await.unwrap(), Some((s.clone(), user(1))));
        assert_eq!(store.find_session_and_user("unknown").await.unwrap(), None);

        store.update_session_expiry(&s.id, at(120_000), at(500)).await.unwrap();
        let (found, _) = store.find_session_and_user(&s.token).await.unwrap().unwrap();
        assert_eq!((found.expires_at, found.updated_at), (at(120_000), at(500)));

        assert!(store.delete_session_by_token(&s.token).await.unwrap());
        assert!(!store.delete_session_by_token(&s.token).await.unwrap());
    }

    async fn active_sessions_are_the_unexpired_ones_oldest_first(db) {
        let store = db.store(Plugins::ALL).await;
        store.create_user(&user(1), &[]).await.unwrap();
        store.create_user(&user(2), &[]).await.unwrap();
        for (n, expires) in [(3, 60_000), (1, 60_000), (2, -1), (4, 60_000)] {
            store.create_session(&session(1, n, expires)).await.unwrap();
        }
        store.create_session(&session(2, 5, 60_000)).await.unwrap();

        let active = store.list_active_sessions(&id("user", 1), at(0)).await.unwrap();
        let ids: Vec<_> = active.iter().map(|s| s.id.clone()).collect();
        assert_eq!(ids, [id("sess", 1), id("sess", 3), id("sess", 4)]);

        assert_eq!(store.delete_user_sessions(&id("user", 1), Some(&id("tokn", 3))).await.unwrap(), 3);
        let left = store.list_active_sessions(&id("user", 1), at(0)).await.unwrap();
        assert_eq!(left, [session(1, 3, 60_000)]);
        assert_eq!(store.delete_user_sessions(&id("user", 1), None).await.unwrap(), 1);
        assert_eq!(store.list_active_sessions(&id("user", 2), at(0)).await.unwrap().len(), 1);
    }
}

// ---- verification

db_test! {
    async fn the_newest_verification_for_an_identifier_wins(db) {
        let store = db.store(Plugins::ALL).await;
        store.create_verification(&verification("reset:a", 1, 0)).await.unwrap();
        store.create_verification(&verification("reset:a", 2, 50)).await.unwrap();
        store.create_verification(&verification("reset:b", 3, 100)).await.unwrap();

        assert_eq!(store.find_verification("reset:a").await.unwrap(), Some(verification("reset:a", 2, 50)));
        assert_eq!(store.consume_verification("reset:a").await.unwrap(), Some(verification("reset:a", 2, 50)));
        assert_eq!(store.consume_verification("reset:a").await.unwrap(), Some(verification("reset:a", 1, 0)));
        assert_eq!(store.consume_verification("reset:a").await.unwrap(), None);
        assert!(store.delete_verification(&id("veri", 3)).await.unwrap());
        assert_eq!(store.find_verification("reset:b").await.unwrap(), None);
    }

    async fn a_verification_is_consumed_once_under_concurrency(db) {
        let store = db.store(Plugins::ALL).await;
        store.create_verification(&verification("otp:x", 1, 0)).await.unwrap();
        let tasks: Vec<_> = (0..16)
            .map(|_| {
                let store = Arc::clone(&store);
                tokio::spawn(async move { store.consume_verification("otp:x").await.unwrap() })
            })
            .collect();
        let mut winners = 0;
        for task in tasks {
            winners += usize::from(task.await.unwrap().is_some());
        }
        assert_eq!(winners, 1);
    }

    async fn expired_verifications_are_deleted(db) {
        let store = db.store(Plugins::ALL).await;
        store.create_verification(&verification("a", 1, 0)).await.unwrap(); // expires at(3_600_000)
        store.create_verification(&verification("b", 2, 10_000)).await.unwrap(); // expires at(3_610_000)
        assert_eq!(store.delete_expired_verifications(at(3_605_000)).await.unwrap(), 1);
        assert_eq!(store.find_verification("a").await.unwrap(), None);
        assert!(store.find_verification("b").await.unwrap().is_some());
    }
}

// ---- two-factor

db_test! {
    async fn two_factor_rows_are_upserted_per_user(db) {
        let store = db.store(Plugins::ALL).await;
        store.create_user(&user(1), &[]).await.unwrap();
        assert_eq!(store.find_two_factor(&id("user", 1)).await.unwrap(), None);

        let mut first = two_factor(1);
        first.verified = Some(false);
        store.upsert_two_factor(&first).await.unwrap();
        assert_eq!(store.find_two_factor(&id("user", 1)).await.unwrap(), Some(first.clone()));

        let second = tessera_core::model::TwoFactor {
            id: id("other", 1),
            secret: "rotated".into(),
            verified: Some(true),
            failed_verification_count: Some(3),
            locked_until: Some(at(90_000)),
            ..first.clone()
        };
        store.upsert_two_factor(&second).await.unwrap();
        // Still one row, keeping its id, with the new values.
        let stored = store.find_two_factor(&id("user", 1)).await.unwrap().unwrap();
        assert_eq!(stored, tessera_core::model::TwoFactor { id: first.id.clone(), ..second });
        let count = db.scalar(r#"select count(*) || '' from "twoFactor""#).await;
        assert_eq!(count.as_deref(), Some("1"));

        assert!(store.delete_two_factor(&id("user", 1)).await.unwrap());
        assert!(!store.delete_two_factor(&id("user", 1)).await.unwrap());
    }
}

// ---- on-disk encoding

db_test! {
    async fn values_on_disk_are_what_better_auth_writes(db) {
        let store = db.store(Plugins::ALL).await;
        store.create_user(&user(0), &[]).await.unwrap();
        let column = |sql: &'static str| db.scalar(sql);
        match db.dialect {
            Dialect::Sqlite => {
                assert_eq!(column(r#"select "createdAt" from "user""#).await.as_deref(), Some("2026-11-27T14:29:52.004Z"));
                assert_eq!(column(r#"select typeof("createdAt") from "user""#).await.as_deref(), Some("text"));
                assert_eq!(column(r#"select "emailVerified" || '/' || typeof("emailVerified") from "user""#).await.as_deref(), Some("1/integer"));
                assert_eq!(column(r#"select "banned" || '/' || typeof("banned") from "user""#).await.as_deref(), Some("0/integer"));
            }
            Dialect::Postgres => {
                assert_eq!(column(r#"select pg_typeof("createdAt")::text from "user""#).await.as_deref(), Some("timestamp with time zone"));
                assert_eq!(column(r#"select to_char("createdAt" at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS') from "user""#).await.as_deref(), Some("2026-11-27T14:29:52.004"));
                assert_eq!(column(r#"select pg_typeof("emailVerified")::text || '/' || "emailVerified"::text from "user""#).await.as_deref(), Some("boolean/true"));
            }
        }
    }

    async fn dates_other_adapters_wrote_as_epoch_milliseconds_are_read(db) {
        if db.dialect != Dialect::Sqlite {
            continue; // PostgreSQL columns are typed: there is no integer date to meet.
        }
        let store = db.store(Plugins::ALL).await;
        let ms = timefmt::to_epoch_ms(support::T0);
        db.exec(&format!(
            r#"insert into "user" ("id", "name", "email", "emailVerified", "createdAt", "updatedAt") values ('u1', 'Drizzle', 'd@example.com', 0, {ms}, {ms});
               insert into "verification" ("id", "identifier", "value", "expiresAt", "createdAt", "updatedAt") values ('v1', 'old', 'x', {ms}, {ms}, {ms});"#
        ))
        .await;
        let user = store.find_user_by_id("u1").await.unwrap().unwrap();
        assert_eq!((user.created_at, user.email_verified), (support::T0, false));
        // An integer expiresAt compares as a date, not as "smaller than any text".
        assert_eq!(store.delete_expired_verifications(at(-1)).await.unwrap(), 0);
        assert_eq!(store.delete_expired_verifications(at(1)).await.unwrap(), 1);
    }

    async fn an_unreadable_row_is_corrupt_not_a_panic(db) {
        if db.dialect != Dialect::Sqlite {
            continue; // PostgreSQL's column types refuse such values on write.
        }
        let store = db.store(Plugins::ALL).await;
        db.exec(r#"insert into "user" ("id", "name", "email", "emailVerified", "createdAt", "updatedAt") values ('u1', 'n', 'a@example.com', 0, 'yesterday', '2026-01-01T00:00:00.000Z'), ('u2', 'n', 'b@example.com', 7, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')"#).await;
        let err = store.find_user_by_id("u1").await.unwrap_err();
        assert!(matches!(&err, StoreError::Corrupt { table: "user", reason } if reason.contains("createdAt")), "{err}");
        let err = store.find_user_by_id("u2").await.unwrap_err();
        assert!(matches!(&err, StoreError::Corrupt { table: "user", reason } if reason.contains("emailVerified")), "{err}");
    }

    async fn a_database_written_by_better_auth_is_read(db) {
        // The schema exactly as Better Auth creates it, and rows exactly as its Kysely adapter writes them.
        db.exec(db.reference_ddl()).await;
        let (yes, no) = match db.dialect {
            Dialect::Sqlite => ("1", "0"),
            Dialect::Postgres => ("true", "false"),
        };
        db.exec(&format!(r#"
            insert into "user" ("id", "name", "email", "emailVerified", "image", "createdAt", "updatedAt", "role", "banned", "banReason", "banExpires", "twoFactorEnabled", "username", "displayUsername", "phoneNumber", "phoneNumberVerified")
              values ('Xb2dUqL9rVq0mAhT6nYcK3wZs8PjE1oF', 'Uma', 'uma@example.com', {yes}, null, '2026-11-27T14:29:52.004Z', '2026-11-27T14:30:01.120Z', 'user', {no}, null, null, {yes}, 'uma', 'Uma', null, null);
            insert into "account" ("id", "accountId", "providerId", "userId", "password", "createdAt", "updatedAt")
              values ('a1', 'Xb2dUqL9rVq0mAhT6nYcK3wZs8PjE1oF', 'credential', 'Xb2dUqL9rVq0mAhT6nYcK3wZs8PjE1oF', 'salt:key', '2026-11-27T14:29:52.004Z', '2026-11-27T14:29:52.004Z');
            insert into "session" ("id", "expiresAt", "token", "createdAt", "updatedAt", "ipAddress", "userAgent", "userId", "impersonatedBy")
              values ('s1', '2026-12-04T14:29:52.010Z', 'tok123', '2026-11-27T14:29:52.010Z', '2026-11-27T14:29:52.010Z', '', '', 'Xb2dUqL9rVq0mAhT6nYcK3wZs8PjE1oF', null);
            insert into "twoFactor" ("id", "secret", "backupCodes", "userId", "verified", "failedVerificationCount", "lockedUntil")
              values ('t1', 'enc', 'codes', 'Xb2dUqL9rVq0mAhT6nYcK3wZs8PjE1oF', null, null, null);
            insert into "verification" ("id", "identifier", "value", "expiresAt", "createdAt", "updatedAt")
              values ('v1', 'reset-password:abc', 'Xb2dUqL9rVq0mAhT6nYcK3wZs8PjE1oF', '2026-11-27T15:29:52.004Z', '2026-11-27T14:29:52.004Z', '2026-11-27T14:29:52.004Z');
        "#)).await;

        assert!(tessera_store::migrate(&db.url, Plugins::ALL).await.unwrap().is_up_to_date());
        let store = db.open(Plugins::ALL).await;
        let (session, user) = store.find_session_and_user("tok123").await.unwrap().unwrap();
        assert_eq!(user.email, "uma@example.com");
        assert!(user.email_verified);
        assert_eq!(user.updated_at, timefmt::parse_date("2026-11-27T14:30:01.120Z").unwrap());
        assert_eq!((user.banned(), user.two_factor_enabled(), user.phone_number_verified()), (Some(false), Some(true), None));
        assert_eq!(session.expires_at, timefmt::parse_date("2026-12-04T14:29:52.010Z").unwrap());
        assert_eq!(session.ip_address.as_deref(), Some(""));
        let account = store.find_credential_account(&user.id).await.unwrap().unwrap();
        assert_eq!(account.password.as_deref(), Some("salt:key"));
        let two_factor = store.find_two_factor(&user.id).await.unwrap().unwrap();
        assert_eq!(two_factor.verified, None);
        let verification = store.find_verification("reset-password:abc").await.unwrap().unwrap();
        assert_eq!(verification.value, user.id);
    }
}

// ---- rows of any table

/// A plugin's own table, declared in this test only: the store has no code for it.
fn test_note_table() -> Table {
    Table {
        name: "testNote",
        order: None,
        columns: vec![
            Column::id(),
            Column::user_id(),
            Column::string("text").required(),
            Column::string("slug").unique(),
            Column::number("count")
                .required()
                .default(ColumnDefault::Int(0)),
            Column::boolean("pinned").default(ColumnDefault::Bool(false)),
            Column::date("dueAt"),
            Column::date("createdAt")
                .required()
                .default(ColumnDefault::Now),
        ],
    }
}

const NOTE: &str = "testNote";

/// Note `n` of user `user_n`: count n, pinned when n is even, due n seconds after T0.
fn note(n: u32, user_n: u32) -> Row {
    Row::new()
        .with("id", id("note", n))
        .with("userId", id("user", user_n))
        .with("text", format!("note {n}"))
        .with("slug", format!("slug-{n}"))
        .with("count", i64::from(n))
        .with("pinned", n.is_multiple_of(2))
        .with("dueAt", at(i64::from(n) * 1_000))
        .with("createdAt", at(i64::from(n)))
}

/// A store with `testNote`, users 1 and 2, and notes 1..=count of user 1.
async fn notes_store(db: &TestDb, count: u32) -> Arc<dyn tessera_store::Store> {
    let store = db.store_with(Plugins::ALL, &[test_note_table()]).await;
    store.create_user(&user(1), &[]).await.unwrap();
    store.create_user(&user(2), &[]).await.unwrap();
    for n in 1..=count {
        store.create_row(NOTE, &note(n, 1)).await.unwrap();
    }
    store
}

/// The ids of the notes matching `filter`, in id order.
async fn note_ids(store: &dyn tessera_store::Store, filter: Vec<Where>) -> Vec<String> {
    let query = FindMany {
        filter,
        sort_by: Some(SortBy::asc("id")),
        ..FindMany::default()
    };
    let rows = store.find_rows(NOTE, &query).await.unwrap();
    rows.iter()
        .map(|r| r.text("id").unwrap().to_owned())
        .collect()
}

fn notes(ns: &[u32]) -> Vec<String> {
    ns.iter().map(|n| id("note", *n)).collect()
}

/// Every plugin's columns, and these tables of plugins' own after Better Auth's.
fn all_plugins_and(extra_tables: Vec<tessera_core::schema::Table>) -> tessera_core::schema::Schema {
    tessera_core::schema::Schema {
        plugins: Plugins::ALL,
        extra_tables,
        ..tessera_core::schema::Schema::default()
    }
}

#[test]
fn generate_creates_a_plugin_table_after_better_auths() {
    let tables = tessera_store::all_tables(&all_plugins_and(vec![test_note_table()])).unwrap();
    let sql = ddl::generate_tables(Dialect::Sqlite, &tables);
    let statements = ddl::create_table_statements(Dialect::Sqlite, &tables);
    assert!(statements.contains(&r#"create table "testNote" ("id" text not null primary key, "userId" text not null references "user" ("id") on delete cascade, "text" text not null, "slug" text unique, "count" integer not null, "pinned" integer, "dueAt" date, "createdAt" date not null)"#.to_owned()), "{sql}");
    assert_eq!(
        statements.last().map(String::as_str),
        Some(r#"create index "testNote_userId_idx" on "testNote" ("userId")"#)
    );
    // Without plugin tables, the output is Better Auth's, byte for byte (see the fixtures above).
    assert_eq!(
        ddl::generate_tables(
            Dialect::Postgres,
            &tessera_store::all_tables(&all_plugins_and(vec![])).unwrap()
        ),
        ddl::generate(Dialect::Postgres, Plugins::ALL)
    );

    let twice =
        tessera_store::all_tables(&all_plugins_and(vec![test_note_table(), test_note_table()]));
    assert!(
        matches!(&twice, Err(StoreError::Schema(m)) if m.contains("testNote is declared twice")),
        "{twice:?}"
    );
    let mut orphan = test_note_table();
    orphan.columns.push(Column {
        references: Some(tessera_core::schema::Reference {
            table: "organization",
            column: "id",
            on_delete: tessera_core::schema::OnDelete::Cascade,
        }),
        ..Column::string("organizationId")
    });
    assert!(
        matches!(tessera_store::all_tables(&all_plugins_and(vec![orphan])), Err(StoreError::Schema(m)) if m.contains("organization"))
    );
}

db_test! {
    async fn migrate_creates_a_plugin_table_and_open_requires_it(db) {
        let plan = tessera_store::migrate::plan_with(&db.url, Plugins::ALL, &[test_note_table()]).await.unwrap();
        assert_eq!(plan.created_tables, ["user", "session", "account", "verification", "twoFactor", "testNote"]);
        tessera_store::migrate(&db.url, Plugins::ALL).await.unwrap();
        let options = OpenOptions { extra_tables: vec![test_note_table()], ..OpenOptions::default() };
        let err = tessera_store::open(&db.url, Plugins::ALL, options.clone()).await.err().unwrap();
        assert!(matches!(&err, StoreError::Schema(m) if m.contains("table testNote")), "{err}");

        let report = tessera_store::migrate_with(&db.url, Plugins::ALL, &[test_note_table()]).await.unwrap();
        assert_eq!(report.created_tables, ["testNote"]);
        assert_eq!(report.created_indexes, ["testNote_userId_idx"]);
        assert!(tessera_store::migrate_with(&db.url, Plugins::ALL, &[test_note_table()]).await.unwrap().is_up_to_date());
        let store = tessera_store::open(&db.url, Plugins::ALL, options).await.unwrap();
        assert_eq!(store.count_rows(NOTE, &[]).await.unwrap(), 0);
    }

    async fn a_created_row_gets_its_schema_defaults_and_reads_back_as_stored(db) {
        let store = notes_store(db, 0).await;
        let before = timefmt::now_ms();
        let minimal = Row::new().with("id", "n1").with("userId", id("user", 1)).with("text", "hello");
        let created = store.create_row(NOTE, &minimal).await.unwrap();
        let columns: Vec<_> = created.iter().map(|(c, _)| c).collect();
        assert_eq!(columns, ["id", "userId", "text", "slug", "count", "pinned", "dueAt", "createdAt"]);
        assert_eq!((created.int("count"), created.bool("pinned")), (Some(0), Some(false)));
        assert_eq!((created.get("slug"), created.get("dueAt")), (Some(&RowValue::Null), Some(&RowValue::Null)));
        assert!(created.date("createdAt").unwrap() >= before);
        assert_eq!(store.find_row(NOTE, &[Where::eq("id", "n1")]).await.unwrap(), Some(created));

        let full = store.create_row(NOTE, &note(2, 1)).await.unwrap();
        assert_eq!(full, note(2, 1), "given values are stored as given");
        assert_eq!(store.find_row(NOTE, &[Where::eq("slug", "slug-404")]).await.unwrap(), None);
    }

    async fn insert_rows_if_absent_skips_taken_ids_only(db) {
        let store = notes_store(db, 3).await;
        let rows: Vec<Row> = (2..=5).map(|n| note(n, 1)).collect();
        assert_eq!(store.insert_rows_if_absent(NOTE, &rows).await.unwrap(), 2);
        assert_eq!(store.count_rows(NOTE, &[]).await.unwrap(), 5);
        assert_eq!(store.find_row(NOTE, &[Where::eq("id", id("note", 5))]).await.unwrap(), Some(note(5, 1)));
        assert_eq!(store.insert_rows_if_absent(NOTE, &rows).await.unwrap(), 0, "a rerun inserts nothing");
        let many: Vec<Row> = (10..1_300).map(|n| note(n, 2)).collect();
        assert_eq!(store.insert_rows_if_absent(NOTE, &many).await.unwrap(), 1_290, "in several statements");
        let taken_slug = note(9_000, 1).with("slug", "slug-2");
        assert!(store.insert_rows_if_absent(NOTE, &[taken_slug]).await.is_err(), "another unique conflict is an error");
    }

    async fn find_rows_matches_each_operator(db) {
        let store = notes_store(db, 6).await;
        store.create_row(NOTE, &note(7, 1).with("slug", RowValue::Null)).await.unwrap();
        let all: Vec<u32> = (1..=7).collect();
        let cases: Vec<(Where, Vec<u32>)> = vec![
            (Where::eq("text", "note 3"), vec![3]),
            (Where::ne("count", 3), vec![1, 2, 4, 5, 6, 7]),
            (Where::lt("count", 3), vec![1, 2]),
            (Where::lte("count", 3), vec![1, 2, 3]),
            (Where::gt("count", 5), vec![6, 7]),
            (Where::gte("count", 5), vec![5, 6, 7]),
            (Where::is_in("count", [2, 5, 99]), vec![2, 5]),
            (Where::is_in("count", Vec::<i64>::new()), vec![]),
            (Where::not_in("id", [id("note", 1), id("note", 2)]), vec![3, 4, 5, 6, 7]),
            (Where::not_in("id", Vec::<String>::new()), all.clone()),
            (Where::contains("text", "te 4"), vec![4]),
            (Where::starts_with("slug", "slug-"), vec![1, 2, 3, 4, 5, 6]),
            (Where::ends_with("slug", "-5"), vec![5]),
            // `%` and `_` in the value are the characters themselves.
            (Where::contains("text", "%"), vec![]),
            (Where::contains("slug", "_"), vec![]),
            (Where::eq("pinned", true), vec![2, 4, 6]),
            (Where::lt("dueAt", at(3_500)), vec![1, 2, 3]),
            (Where::eq("createdAt", at(4)), vec![4]),
            (Where::eq("slug", RowValue::Null), vec![7]),
            (Where::ne("slug", RowValue::Null), vec![1, 2, 3, 4, 5, 6]),
        ];
        for (condition, expected) in cases {
            assert_eq!(note_ids(&*store, vec![condition.clone()]).await, notes(&expected), "{condition:?}");
        }
    }

    async fn and_and_or_conditions_combine_as_in_better_auth(db) {
        let store = notes_store(db, 6).await;
        store.create_row(NOTE, &note(8, 2).with("count", 1)).await.unwrap();
        // Every AND condition, and at least one of the OR conditions.
        let mixed = vec![Where::eq("count", 1).or(), Where::eq("userId", id("user", 1)), Where::eq("count", 6).or()];
        assert_eq!(note_ids(&*store, mixed).await, notes(&[1, 6]));
        let only_or = vec![Where::eq("count", 1).or(), Where::eq("count", 2).or()];
        assert_eq!(note_ids(&*store, only_or).await, notes(&[1, 2, 8]));
        let only_and = vec![Where::eq("count", 1), Where::eq("userId", id("user", 2))];
        assert_eq!(note_ids(&*store, only_and).await, notes(&[8]));
        assert_eq!(store.count_rows(NOTE, &[Where::eq("pinned", true).or(), Where::eq("userId", id("user", 2)).or()]).await.unwrap(), 4);
    }

    async fn find_rows_sorts_and_pages(db) {
        let store = notes_store(db, 6).await;
        let page = |sort_by: SortBy, limit, offset| FindMany { sort_by: Some(sort_by), limit, offset, ..FindMany::default() };
        let ids_of = |rows: Vec<Row>| rows.iter().map(|r| r.text("id").unwrap().to_owned()).collect::<Vec<_>>();

        let desc = store.find_rows(NOTE, &page(SortBy::desc("count"), Some(2), Some(1))).await.unwrap();
        assert_eq!(ids_of(desc), notes(&[5, 4]));
        let by_date = store.find_rows(NOTE, &page(SortBy::asc("dueAt"), Some(3), None)).await.unwrap();
        assert_eq!(ids_of(by_date), notes(&[1, 2, 3]));
        let past_the_end = store.find_rows(NOTE, &page(SortBy::asc("id"), Some(10), Some(6))).await.unwrap();
        assert!(past_the_end.is_empty());
        // Ties keep a stable order (by id), so consecutive pages neither repeat nor skip a row.
        let first = store.find_rows(NOTE, &page(SortBy::desc("pinned"), Some(3), Some(0))).await.unwrap();
        let second = store.find_rows(NOTE, &page(SortBy::desc("pinned"), Some(3), Some(3))).await.unwrap();
        assert_eq!([ids_of(first), ids_of(second)].concat(), notes(&[2, 4, 6, 1, 3, 5]));
    }

    async fn find_rows_returns_at_most_better_auths_default_limit(db) {
        let store = notes_store(db, 0).await;
        for n in 1..=105 {
            store.create_row(NOTE, &note(n, 1)).await.unwrap();
        }
        assert_eq!(store.count_rows(NOTE, &[]).await.unwrap(), 105);
        let rows = store.find_rows(NOTE, &FindMany::default()).await.unwrap();
        assert_eq!(rows.len() as u64, tessera_store::DEFAULT_FIND_MANY_LIMIT);
    }

    async fn count_update_and_delete_say_what_they_touched(db) {
        let store = notes_store(db, 6).await;
        assert_eq!(store.count_rows(NOTE, &[]).await.unwrap(), 6);
        assert_eq!(store.count_rows(NOTE, &[Where::eq("pinned", true)]).await.unwrap(), 3);

        let one = [Where::eq("id", id("note", 1))];
        let changes = Row::new().with("text", "edited").with("pinned", true).with("dueAt", RowValue::Null);
        let updated = store.update_row(NOTE, &one, &changes).await.unwrap().unwrap();
        assert_eq!(updated, note(1, 1).with("text", "edited").with("pinned", true).with("dueAt", RowValue::Null));
        assert_eq!(store.find_row(NOTE, &one).await.unwrap(), Some(updated));
        assert_eq!(store.update_row(NOTE, &[Where::eq("id", "missing")], &changes).await.unwrap(), None);
        assert_eq!(store.update_row(NOTE, &[], &changes).await.unwrap(), None, "an empty filter updates nothing");

        let unpin = Row::new().with("pinned", false);
        assert_eq!(store.update_rows(NOTE, &[Where::eq("userId", id("user", 1))], &unpin).await.unwrap(), 6);
        assert_eq!(store.update_rows(NOTE, &[Where::eq("userId", id("user", 2))], &unpin).await.unwrap(), 0);
        assert_eq!(store.count_rows(NOTE, &[Where::eq("pinned", true)]).await.unwrap(), 0);

        let two = [Where::eq("id", id("note", 2))];
        assert!(store.delete_row(NOTE, &two).await.unwrap());
        assert!(!store.delete_row(NOTE, &two).await.unwrap());
        assert!(!store.delete_row(NOTE, &[]).await.unwrap(), "an empty filter deletes nothing");
        assert_eq!(store.delete_rows(NOTE, &[Where::gt("count", 4)]).await.unwrap(), 2);
        assert_eq!(note_ids(&*store, vec![]).await, notes(&[1, 3, 4]));
        // The foreign key cascades: a user's notes go with the user.
        assert!(store.delete_user(&id("user", 1)).await.unwrap());
        assert_eq!(store.count_rows(NOTE, &[]).await.unwrap(), 0);
    }

    async fn compare_and_set_loses_no_concurrent_increment(db) {
        let store = notes_store(db, 0).await;
        store.create_row(NOTE, &note(1, 1).with("count", 0)).await.unwrap();
        const TASKS: i64 = 16;
        let tasks: Vec<_> = (0..TASKS)
            .map(|_| {
                let store = Arc::clone(&store);
                tokio::spawn(async move {
                    let this = [Where::eq("id", id("note", 1))];
                    loop {
                        let row = store.find_row(NOTE, &this).await.unwrap().unwrap();
                        let seen = row.int("count").unwrap();
                        let next = RowValue::Int(seen + 1);
                        if store.compare_and_set(NOTE, &this, "count", &RowValue::Int(seen), &next).await.unwrap() {
                            break;
                        }
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        let this = [Where::eq("id", id("note", 1))];
        let row = store.find_row(NOTE, &this).await.unwrap().unwrap();
        assert_eq!(row.int("count"), Some(TASKS));
        // A stale expectation changes nothing; NULL is expected with IS NULL.
        assert!(!store.compare_and_set(NOTE, &this, "count", &RowValue::Int(0), &RowValue::Int(1)).await.unwrap());
        assert!(store.compare_and_set(NOTE, &this, "slug", &"slug-1".into(), &RowValue::Null).await.unwrap());
        assert!(store.compare_and_set(NOTE, &this, "slug", &RowValue::Null, &"claimed".into()).await.unwrap());
        assert!(!store.compare_and_set(NOTE, &this, "slug", &RowValue::Null, &"again".into()).await.unwrap());
        assert_eq!(store.find_row(NOTE, &this).await.unwrap().unwrap().text("slug"), Some("claimed"));
    }

    async fn a_taken_unique_value_is_a_conflict_naming_its_column(db) {
        let store = notes_store(db, 2).await;
        let conflict = |result: Result<Row, StoreError>| match result {
            Err(StoreError::Conflict(column)) => column,
            other => panic!("expected a conflict, got {other:?}"),
        };
        assert_eq!(conflict(store.create_row(NOTE, &note(3, 1).with("slug", "slug-1")).await), "slug");
        assert_eq!(conflict(store.create_row(NOTE, &note(3, 1).with("id", id("note", 1))).await), "id");
        let err = store.update_row(NOTE, &[Where::eq("id", id("note", 2))], &Row::new().with("slug", "slug-1")).await.unwrap_err();
        assert!(matches!(&err, StoreError::Conflict(c) if c == "slug"), "{err}");
        assert_eq!(store.count_rows(NOTE, &[]).await.unwrap(), 2);
    }

    async fn unknown_names_and_ill_typed_values_are_refused(db) {
        let store = notes_store(db, 1).await;
        let schema_error = |result: Result<(), StoreError>| match result {
            Err(StoreError::Schema(message)) => message,
            other => panic!("expected a schema error, got {other:?}"),
        };
        let one = [Where::eq("id", id("note", 1))];
        let message = schema_error(store.find_row("organization", &one).await.map(drop));
        assert!(message.contains(r#"no table "organization""#), "{message}");
        let message = schema_error(store.find_row(r#"user"; drop table "user"#, &one).await.map(drop));
        assert!(message.contains("no table"), "{message}");
        let message = schema_error(store.count_rows(NOTE, &[Where::eq("colour", "red")]).await.map(drop));
        assert!(message.contains(r#"testNote has no column "colour""#), "{message}");
        let message = schema_error(store.find_rows(NOTE, &FindMany { sort_by: Some(SortBy::asc("id; --")), ..FindMany::default() }).await.map(drop));
        assert!(message.contains("no column"), "{message}");
        let message = schema_error(store.create_row(NOTE, &note(2, 1).with("count", "two")).await.map(drop));
        assert_eq!(message, "testNote.count holds a number, not text");
        let message = schema_error(store.count_rows(NOTE, &[Where::eq("pinned", "yes")]).await.map(drop));
        assert_eq!(message, "testNote.pinned holds a boolean, not text");
        let message = schema_error(store.create_row(NOTE, &Row::new().with("id", "n9").with("userId", id("user", 1))).await.map(drop));
        assert!(message.contains("testNote.text is required"), "{message}");
        let message = schema_error(store.update_rows(NOTE, &one, &Row::new().with("text", RowValue::Null)).await.map(drop));
        assert!(message.contains("testNote.text is required"), "{message}");
        let message = schema_error(store.update_rows(NOTE, &one, &Row::new()).await.map(drop));
        assert!(message.contains("at least one column"), "{message}");
        // A store opened without the plugin's table does not know it either.
        let plain = db.open(Plugins::ALL).await;
        assert!(matches!(plain.count_rows(NOTE, &[]).await, Err(StoreError::Schema(_))));
        assert_eq!(store.count_rows(NOTE, &[]).await.unwrap(), 1, "nothing was written");
    }

    async fn rows_on_disk_are_what_better_auth_writes(db) {
        let store = notes_store(db, 0).await;
        store.create_row(NOTE, &note(1, 1)).await.unwrap();
        let column = |sql: &'static str| db.scalar(sql);
        match db.dialect {
            Dialect::Sqlite => {
                assert_eq!(column(r#"select "createdAt" || '/' || typeof("createdAt") from "testNote""#).await.as_deref(), Some("2026-11-27T14:29:52.005Z/text"));
                assert_eq!(column(r#"select "dueAt" from "testNote""#).await.as_deref(), Some("2026-11-27T14:29:53.004Z"));
                assert_eq!(column(r#"select "pinned" || '/' || typeof("pinned") from "testNote""#).await.as_deref(), Some("0/integer"));
                assert_eq!(column(r#"select "count" || '/' || typeof("count") from "testNote""#).await.as_deref(), Some("1/integer"));
            }
            Dialect::Postgres => {
                assert_eq!(column(r#"select pg_typeof("createdAt")::text || '/' || to_char("createdAt" at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS') from "testNote""#).await.as_deref(), Some("timestamp with time zone/2026-11-27T14:29:52.005"));
                assert_eq!(column(r#"select pg_typeof("pinned")::text || '/' || "pinned"::text from "testNote""#).await.as_deref(), Some("boolean/false"));
                assert_eq!(column(r#"select pg_typeof("count")::text || '/' || "count"::text from "testNote""#).await.as_deref(), Some("integer/1"));
            }
        }
        // Sub-millisecond precision is Better Auth's: dropped, so both dialects store one instant.
        let precise = support::T0 + time::Duration::microseconds(1_999);
        let stored = store.create_row(NOTE, &note(2, 1).with("dueAt", precise)).await.unwrap();
        assert_eq!(stored.date("dueAt"), Some(at(1)));
    }

    async fn the_row_api_reads_and_writes_the_core_tables_too(db) {
        let store = db.store(Plugins::ALL).await;
        store.create_user(&user(1), &[credential(1)]).await.unwrap();
        let found = store.find_row("user", &[Where::eq("email", "user1@example.com")]).await.unwrap().unwrap();
        assert_eq!(found.text("id"), Some(id("user", 1).as_str()));
        assert_eq!((found.text("name"), found.bool("emailVerified")), (Some("User 1"), Some(false)));
        assert_eq!((found.date("createdAt"), found.text("username")), (Some(user(1).created_at), Some("user1")));

        let renamed = Row::new().with("name", "Renamed").with("updatedAt", at(50));
        store.update_row("user", &[Where::eq("id", id("user", 1))], &renamed).await.unwrap().unwrap();
        let user = store.find_user_by_id(&id("user", 1)).await.unwrap().unwrap();
        assert_eq!((user.name.as_str(), user.updated_at), ("Renamed", at(50)));

        let row = Row::new().with("id", "v1").with("identifier", "email-otp:a@example.com").with("value", "123456").with("expiresAt", at(60_000));
        store.create_row("verification", &row).await.unwrap();
        let verification = store.find_verification("email-otp:a@example.com").await.unwrap().unwrap();
        assert_eq!((verification.value.as_str(), verification.expires_at), ("123456", at(60_000)));
        assert_eq!(store.count_rows("account", &[Where::eq("userId", id("user", 1))]).await.unwrap(), 1);
    }
}

// ---- import

db_test! {
    async fn an_import_batch_rerun_inserts_nothing_new(db) {
        let store = db.store(Plugins::ALL).await;
        let users: Vec<_> = (1..=50).map(user).collect();
        let accounts: Vec<Account> = (1..=50).flat_map(|n| [credential(n), github(n)]).collect();
        let two_factors: Vec<_> = (1..=50).filter(|n: &u32| n.is_multiple_of(5)).map(two_factor).collect();

        let rows = batch(users.clone(), accounts, two_factors);
        let first = store.insert_import_batch(rows.clone()).await.unwrap();
        assert_eq!(first.inserted_user_ids(), users.iter().map(|u| u.id.as_str()).collect::<Vec<_>>());
        assert_eq!((first.inserted_accounts, first.inserted_two_factors), (100, 10));
        assert_eq!(first.batch, rows, "the rows come back as given");
        if db.dialect == Dialect::Sqlite {
            // Stored exactly as Better Auth's Kysely adapter writes: ISO text with milliseconds, 0/1.
            let stored = db.scalar(&format!(
                r#"select "createdAt" || '|' || "emailVerified" from "user" where "id" = '{}'"#,
                id("user", 7)
            )).await;
            let expected = format!("{}|{}", timefmt::to_iso_ms(user(7).created_at), i32::from(user(7).email_verified));
            assert_eq!(stored, Some(expected));
        }

        let again = store.insert_import_batch(rows).await.unwrap();
        assert_eq!(again.user_inserted, vec![false; 50]);
        assert_eq!((again.inserted_accounts, again.inserted_two_factors), (0, 0));
        assert_eq!(store.find_user_by_id(&id("user", 7)).await.unwrap(), Some(user(7)));
    }

    async fn an_imported_user_whose_email_is_taken_is_skipped_with_its_rows(db) {
        let store = db.store(Plugins::ALL).await;
        store.create_user(&user(1), &[credential(1)]).await.unwrap();
        let mut twin = user(2);
        twin.email = user(1).email;
        let mut twin_account = credential(2);
        twin_account.user_id = twin.id.clone();

        let outcome = store
            .insert_import_batch(batch(vec![twin, user(3)], vec![twin_account, credential(3)], vec![two_factor(2)]))
            .await
            .unwrap();
        assert_eq!(outcome.inserted_user_ids(), [id("user", 3)]);
        assert_eq!((outcome.inserted_accounts, outcome.inserted_two_factors), (1, 0));
        assert_eq!(store.list_accounts(&id("user", 2)).await.unwrap(), []);
    }

    async fn a_batch_larger_than_the_bind_parameter_limit_is_split(db) {
        let store = db.store(Plugins::ALL).await;
        // 16 columns: SQLite fits 2047 users per statement, PostgreSQL 4095.
        let users: Vec<_> = (0..5_000).map(user).collect();
        let accounts: Vec<_> = (0..5_000).map(credential).collect();
        let outcome = store.insert_import_batch(batch(users, accounts, vec![])).await.unwrap();
        assert_eq!((outcome.inserted_user_ids().len(), outcome.inserted_accounts), (5_000, 5_000));
        assert_eq!(store.find_user_by_id(&id("user", 4_999)).await.unwrap(), Some(user(4_999)));
    }

    async fn a_batch_that_fails_midway_writes_none_of_its_rows(db) {
        let store = db.store(Plugins::ALL).await;
        // The last account belongs to a user that exists nowhere: its foreign key fails the batch
        // after the users and the first account went in.
        let users: Vec<_> = (1..=3).map(user).collect();
        let mut orphan = credential(9);
        orphan.user_id = id("user", 99);
        let accounts = vec![credential(1), credential(2), orphan];

        let failed = store.insert_import_batch(batch(users.clone(), accounts, vec![])).await;
        assert!(failed.is_err(), "{failed:?}");
        for user in &users {
            assert_eq!(store.find_user_by_id(&user.id).await.unwrap(), None);
        }
        assert_eq!(store.find_credential_account(&id("user", 1)).await.unwrap(), None);

        let retried = store.insert_import_batch(batch(users, vec![credential(1)], vec![])).await.unwrap();
        assert_eq!((retried.inserted_user_ids().len(), retried.inserted_accounts), (3, 1));
    }

    async fn the_server_writes_while_an_import_batch_is_written(db) {
        let store = db.store(Plugins::ALL).await;
        let users: Vec<_> = (0..20_000).map(user).collect();
        let accounts: Vec<_> = (0..20_000).map(credential).collect();
        let (server_user, server_account) = (user(50_000), credential(50_000));
        let (imported, created) = tokio::join!(
            store.insert_import_batch(batch(users, accounts, vec![])),
            store.create_user(&server_user, std::slice::from_ref(&server_account)),
        );
        assert_eq!(imported.unwrap().inserted_accounts, 20_000);
        created.unwrap();
        assert_eq!(store.find_user_by_id(&id("user", 50_000)).await.unwrap(), Some(user(50_000)));
    }
}

/// Rough import throughput; run with
/// `cargo test --release -p tessera-store --test store -- --ignored --nocapture import_throughput`
/// (`TESSERA_IMPORT_USERS`, default 1 000 000; `TESSERA_IMPORT_BATCH`, default 5 000).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn import_throughput() {
    let total: u32 =
        std::env::var("TESSERA_IMPORT_USERS").map_or(1_000_000, |v| v.parse().unwrap());
    let batch_size: u32 =
        std::env::var("TESSERA_IMPORT_BATCH").map_or(5_000, |v| v.parse().unwrap());
    for db in support::databases().await {
        let store = db.store(Plugins::ALL).await;
        let started = std::time::Instant::now();
        let mut start = 0;
        while start < total {
            let end = (start + batch_size).min(total);
            let users: Vec<_> = (start..end).map(user).collect();
            let accounts: Vec<_> = (start..end).map(credential).collect();
            let count = users.len();
            let outcome = store
                .insert_import_batch(batch(users, accounts, vec![]))
                .await
                .unwrap();
            assert_eq!(outcome.inserted_user_ids().len(), count);
            start = end;
        }
        let secs = started.elapsed().as_secs_f64();
        eprintln!(
            "{:?}: {total} users + {total} credential accounts in batches of {batch_size}: {secs:.1} s ({:.0} users/s)",
            db.dialect,
            f64::from(total) / secs
        );
    }
}

// ---- additional fields declared in config (`user.additional_fields`, `session.additional_fields`)

/// The declaration real Better Auth generated the `*-additional.sql` fixtures from, read as
/// Tessera's config.
fn declared_schema() -> tessera_core::schema::Schema {
    let file = serde_json::from_str(&fixture("additional-fields.json")).unwrap();
    tessera_core::config::load(file, &[], 2).unwrap().schema()
}

fn with_fields(
    columns: &[Arc<tessera_core::schema::Column>],
    values: &[(&str, tessera_core::model::FieldValue)],
) -> tessera_core::model::FieldValues {
    let mut fields = tessera_core::model::FieldValues::defaults(columns, T0);
    for (name, value) in values {
        let column = columns.iter().find(|c| c.name == *name).unwrap();
        fields.set(Arc::clone(column), value.clone());
    }
    fields
}

#[test]
fn generate_with_additional_fields_is_byte_identical_to_better_auth_output() {
    for dialect in [Dialect::Sqlite, Dialect::Postgres] {
        let expected = fixture(&format!("{}-additional.sql", dialect_name(dialect)));
        assert_eq!(
            ddl::generate(dialect, declared_schema()),
            expected,
            "{dialect:?}"
        );
    }
}

db_test! {
    async fn migrate_adds_declared_fields_to_a_database_with_rows_as_better_auth_does(db) {
        let core = db.store(Plugins::NONE).await;
        core.create_user(&core_user(1), &[]).await.unwrap();
        drop(core);

        let schema = declared_schema();
        let report = tessera_store::migrate(&db.url, schema.clone()).await.unwrap();
        let better_auth = fixture(&format!("{}-core-to-additional.sql", dialect_name(db.dialect)));
        assert_eq!(ddl::join_like_better_auth(&report.statements), better_auth);
        assert!(tessera_store::migrate(&db.url, schema.clone()).await.unwrap().is_up_to_date());

        let store = tessera_store::open(&db.url, schema, OpenOptions::default()).await.unwrap();
        let found = store.find_user_by_id(&id("user", 1)).await.unwrap().unwrap();
        // `add column … default` fills the existing row where Better Auth emits one.
        assert_eq!(found.additional.get("karma"), Some(&FieldValue::Number(10.into())));
        assert_eq!(found.additional.get("newsletter"), Some(&FieldValue::Boolean(false)));
        assert_eq!(found.additional.get("age"), Some(&FieldValue::Null));
    }

    async fn additional_fields_round_trip_through_every_read_and_write(db) {
        let schema = declared_schema();
        tessera_store::migrate(&db.url, schema.clone()).await.unwrap();
        let store = tessera_store::open(&db.url, schema.clone(), OpenOptions::default()).await.unwrap();

        // SQLite keeps a fraction in an `integer` column (REAL); PostgreSQL's `integer` rounds it.
        let age = match db.dialect {
            Dialect::Sqlite => FieldValue::Number(serde_json::Number::from_f64(41.5).unwrap()),
            Dialect::Postgres => FieldValue::Number(41.into()),
        };
        let mut alice = core_user(1);
        alice.additional = with_fields(&schema.user_fields, &[
            ("favoriteColor", FieldValue::String("green".into())),
            ("age", age.clone()),
            ("birthday", FieldValue::Date(at(-86_400_000))),
            ("preferences", FieldValue::Json(serde_json::json!({"theme": "dark", "tags": [1, "two", null]}))),
            ("nickname", FieldValue::String("ally".into())),
        ]);
        store.create_user(&alice, &[credential(1)]).await.unwrap();
        assert_eq!(store.find_user_by_id(&alice.id).await.unwrap(), Some(alice.clone()));
        assert_eq!(store.find_user_by_email(&alice.email).await.unwrap(), Some(alice.clone()));

        let mut s = session(1, 1, 60_000);
        s.additional = with_fields(&schema.session_fields, &[("device", FieldValue::String("cli".into()))]);
        store.create_session(&s).await.unwrap();
        assert_eq!(store.find_session_and_user(&s.token).await.unwrap(), Some((s.clone(), alice.clone())));
        assert_eq!(store.list_active_sessions(&alice.id, at(0)).await.unwrap(), [s.clone()]);

        // A session written without its fields gets each default, as Better Auth's adapter fills it.
        let bare = session(1, 2, 60_000);
        store.create_session(&bare).await.unwrap();
        let (found, _) = store.find_session_and_user(&bare.token).await.unwrap().unwrap();
        assert_eq!(found.additional.get("device"), Some(&FieldValue::String("unknown".into())));

        let patch = UserPatch {
            additional: [("favoriteColor", FieldValue::Null), ("preferences", FieldValue::Json(serde_json::json!([true])))]
                .into_iter()
                .map(|(name, value)| (Arc::clone(schema.user_fields.iter().find(|c| c.name == name).unwrap()), value))
                .collect(),
            ..UserPatch::default()
        };
        let updated = store.update_user(&alice.id, &patch, at(5)).await.unwrap().unwrap();
        let mut expected = alice.clone();
        expected.updated_at = at(5);
        expected.additional = with_fields(&schema.user_fields, &[
            ("favoriteColor", FieldValue::Null),
            ("age", age.clone()),
            ("birthday", FieldValue::Date(at(-86_400_000))),
            ("preferences", FieldValue::Json(serde_json::json!([true]))),
            ("nickname", FieldValue::String("ally".into())),
        ]);
        assert_eq!(updated, expected);

        // The importer writes defaults for what its rows do not carry, and reads everything back.
        store.insert_import_batch(batch(vec![core_user(2)], vec![credential(2)], vec![])).await.unwrap();
        let imported = store.find_imported_rows(&[&id("user", 2)]).await.unwrap();
        let mut bob = core_user(2);
        bob.additional = with_fields(&schema.user_fields, &[]);
        assert_eq!(imported.users, [bob]);

        // A unique field conflicts like the plugins' unique columns do.
        let mut clash = core_user(3);
        clash.additional = with_fields(&schema.user_fields, &[("nickname", FieldValue::String("ally".into()))]);
        match store.create_user(&clash, &[]).await {
            Err(StoreError::Conflict(column)) => assert_eq!(column, "nickname"),
            other => panic!("expected a conflict, got {other:?}"),
        }
    }

    async fn additional_fields_are_stored_as_better_auth_stores_them(db) {
        let schema = declared_schema();
        tessera_store::migrate(&db.url, schema.clone()).await.unwrap();
        let store = tessera_store::open(&db.url, schema.clone(), OpenOptions::default()).await.unwrap();
        let mut alice = core_user(1);
        alice.additional = with_fields(&schema.user_fields, &[
            ("birthday", FieldValue::Date(at(0))),
            ("preferences", FieldValue::Json(serde_json::json!({"a": [1, 2]}))),
        ]);
        store.create_user(&alice, &[]).await.unwrap();
        let cell = |column: &str| {
            let cast = if db.dialect == Dialect::Postgres { "::text" } else { "" };
            format!(r#"select "{column}"{cast} from "user""#)
        };
        let (json, date, boolean) = match db.dialect {
            // SQLite: JSON.stringify, ISO-8601 with milliseconds, 0/1.
            Dialect::Sqlite => (r#"{"a":[1,2]}"#, "2026-11-27T14:29:52.004Z", "0"),
            Dialect::Postgres => (r#"{"a": [1, 2]}"#, "2026-11-27 14:29:52.004+00", "false"),
        };
        assert_eq!(db.scalar(&cell("preferences")).await.as_deref(), Some(json));
        assert_eq!(db.scalar(&cell("birthday")).await.as_deref(), Some(date));
        if db.dialect == Dialect::Sqlite {
            assert_eq!(db.scalar(r#"select cast("newsletter" as text) from "user""#).await.as_deref(), Some(boolean));
            assert_eq!(db.scalar(r#"select typeof("karma") from "user""#).await.as_deref(), Some("integer"));
        } else {
            assert_eq!(db.scalar(&cell("newsletter")).await.as_deref(), Some(boolean));
        }
        assert_eq!(db.scalar(&cell("favoriteColor")).await.as_deref(), Some("blue"));
    }

    async fn rows_written_by_another_writer_are_read_by_type(db) {
        let schema = declared_schema();
        tessera_store::migrate(&db.url, schema.clone()).await.unwrap();
        // As Better Auth writes them: JSON as text (SQLite) or jsonb, a whole number, 1/true.
        let (newsletter, preferences) = match db.dialect {
            Dialect::Sqlite => ("1", r#"'{"x":null}'"#),
            Dialect::Postgres => ("true", r#"'{"x":null}'::jsonb"#),
        };
        let now = match db.dialect {
            Dialect::Sqlite => "'2026-11-27T14:29:52.004Z'",
            Dialect::Postgres => "'2026-11-27T14:29:52.004Z'::timestamptz",
        };
        db.exec(&format!(
            r#"insert into "user" ("id", "name", "email", "emailVerified", "createdAt", "updatedAt", "newsletter", "karma", "preferences", "age")
               values ('u1', 'U', 'u@example.com', {newsletter}, {now}, {now}, {newsletter}, 3, {preferences}, 7)"#
        )).await;
        let store = tessera_store::open(&db.url, schema, OpenOptions::default()).await.unwrap();
        let u = store.find_user_by_id("u1").await.unwrap().unwrap();
        assert_eq!(u.additional.get("newsletter"), Some(&FieldValue::Boolean(true)));
        assert_eq!(u.additional.get("karma"), Some(&FieldValue::Number(3.into())));
        assert_eq!(u.additional.get("age"), Some(&FieldValue::Number(7.into())));
        assert_eq!(u.additional.get("preferences"), Some(&FieldValue::Json(serde_json::json!({"x": null}))));
        assert_eq!(u.additional.get("favoriteColor"), Some(&FieldValue::Null));
        let names: Vec<&str> = u.additional.iter().map(|(c, _)| c.name.as_str()).collect();
        assert_eq!(names, ["favoriteColor", "age", "newsletter", "birthday", "preferences", "nickname", "karma"]);
    }
}

// ---- the organization plugin

use tessera_core::plugins::organization::OrganizationOptions;

/// The organization plugin with `options`, besides `others`.
fn organization_schema(
    options: OrganizationOptions,
    others: Plugins,
) -> tessera_core::schema::Schema {
    tessera_core::schema::Schema {
        plugins: Plugins {
            organization: true,
            ..others
        },
        organization: options,
        ..tessera_core::schema::Schema::default()
    }
}

/// Reference part 2, §1.3, SQLite, verbatim: the plugin's tables and indexes with teams and
/// dynamic access control.
const SQLITE_ORGANIZATION_REFERENCE: &str = r#"create table "organization" ("id" text not null primary key, "name" text not null, "slug" text not null unique, "logo" text, "createdAt" date not null, "metadata" text);
create table "organizationRole" ("id" text not null primary key, "organizationId" text not null references "organization" ("id") on delete cascade, "role" text not null, "permission" text not null, "createdAt" date not null, "updatedAt" date);
create table "team" ("id" text not null primary key, "name" text not null, "memberCount" integer not null, "organizationId" text not null references "organization" ("id") on delete cascade, "createdAt" date not null, "updatedAt" date);
create table "teamMember" ("id" text not null primary key, "teamId" text not null references "team" ("id") on delete cascade, "userId" text not null references "user" ("id") on delete cascade, "membershipKey" text unique, "createdAt" date);
create table "member" ("id" text not null primary key, "organizationId" text not null references "organization" ("id") on delete cascade, "userId" text not null references "user" ("id") on delete cascade, "role" text not null, "createdAt" date not null);
create table "invitation" ("id" text not null primary key, "organizationId" text not null references "organization" ("id") on delete cascade, "email" text not null, "role" text, "teamId" text, "status" text not null, "expiresAt" date not null, "createdAt" date not null, "inviterId" text not null references "user" ("id") on delete cascade);
create index "organizationRole_organizationId_idx" on "organizationRole" ("organizationId");
create index "organizationRole_role_idx" on "organizationRole" ("role");
create index "team_organizationId_idx" on "team" ("organizationId");
create index "teamMember_teamId_idx" on "teamMember" ("teamId");
create index "teamMember_userId_idx" on "teamMember" ("userId");
create index "member_organizationId_idx" on "member" ("organizationId");
create index "member_userId_idx" on "member" ("userId");
create index "invitation_organizationId_idx" on "invitation" ("organizationId");
create index "invitation_email_idx" on "invitation" ("email");
"#;

/// Reference part 2, §1.3, PostgreSQL, verbatim ("same indexes" as SQLite).
const POSTGRES_ORGANIZATION_REFERENCE: &str = r#"create table "organization" ("id" text not null primary key, "name" text not null, "slug" text not null unique, "logo" text, "createdAt" timestamptz not null, "metadata" text);
create table "organizationRole" ("id" text not null primary key, "organizationId" text not null references "organization" ("id") on delete cascade, "role" text not null, "permission" text not null, "createdAt" timestamptz default CURRENT_TIMESTAMP not null, "updatedAt" timestamptz);
create table "team" ("id" text not null primary key, "name" text not null, "memberCount" integer not null, "organizationId" text not null references "organization" ("id") on delete cascade, "createdAt" timestamptz not null, "updatedAt" timestamptz);
create table "teamMember" ("id" text not null primary key, "teamId" text not null references "team" ("id") on delete cascade, "userId" text not null references "user" ("id") on delete cascade, "membershipKey" text unique, "createdAt" timestamptz);
create table "member" ("id" text not null primary key, "organizationId" text not null references "organization" ("id") on delete cascade, "userId" text not null references "user" ("id") on delete cascade, "role" text not null, "createdAt" timestamptz not null);
create table "invitation" ("id" text not null primary key, "organizationId" text not null references "organization" ("id") on delete cascade, "email" text not null, "role" text, "teamId" text, "status" text not null, "expiresAt" timestamptz not null, "createdAt" timestamptz default CURRENT_TIMESTAMP not null, "inviterId" text not null references "user" ("id") on delete cascade);
create index "organizationRole_organizationId_idx" on "organizationRole" ("organizationId");
create index "organizationRole_role_idx" on "organizationRole" ("role");
create index "team_organizationId_idx" on "team" ("organizationId");
create index "teamMember_teamId_idx" on "teamMember" ("teamId");
create index "teamMember_userId_idx" on "teamMember" ("userId");
create index "member_organizationId_idx" on "member" ("organizationId");
create index "member_userId_idx" on "member" ("userId");
create index "invitation_organizationId_idx" on "invitation" ("organizationId");
create index "invitation_email_idx" on "invitation" ("email");
"#;

#[test]
fn generate_with_the_organization_plugin_prints_the_reference_ddl() {
    for (dialect, reference) in [
        (Dialect::Sqlite, SQLITE_ORGANIZATION_REFERENCE),
        (Dialect::Postgres, POSTGRES_ORGANIZATION_REFERENCE),
    ] {
        let statements = ddl::create_statements(
            dialect,
            organization_schema(OrganizationOptions::ALL, Plugins::NONE),
        );
        // Core's four tables come first and core's three indexes follow the tables.
        let organization: String = statements[4..10]
            .iter()
            .chain(&statements[13..])
            .map(|s| format!("{s};\n"))
            .collect();
        assert_eq!(organization, reference, "{dialect:?}");
        let session = &statements[1];
        assert!(session.ends_with(r#""userId" text not null references "user" ("id") on delete cascade, "activeOrganizationId" text, "activeTeamId" text)"#), "{session}");
    }
}

#[test]
fn generate_with_the_organization_plugin_is_byte_identical_to_better_auth_output() {
    for dialect in [Dialect::Sqlite, Dialect::Postgres] {
        for (schema, name) in [
            (
                organization_schema(OrganizationOptions::default(), Plugins::NONE),
                "organization",
            ),
            (
                organization_schema(OrganizationOptions::ALL, Plugins::NONE),
                "organization-teams-dac",
            ),
            (
                organization_schema(OrganizationOptions::ALL, Plugins::ALL),
                "all-organization-teams-dac",
            ),
        ] {
            let expected = fixture(&format!("{}-{name}.sql", dialect_name(dialect)));
            assert_eq!(
                ddl::generate(dialect, schema),
                expected,
                "{dialect:?} {name}"
            );
        }
    }
}

#[test]
fn the_organization_switches_alone_change_nothing() {
    // Teams and dynamic access control without the plugin: Better Auth's four-plugin output.
    let schema = tessera_core::schema::Schema {
        organization: OrganizationOptions::ALL,
        ..tessera_core::schema::Schema::from(Plugins::ALL)
    };
    for dialect in [Dialect::Sqlite, Dialect::Postgres] {
        assert_eq!(
            ddl::generate(dialect, schema.clone()),
            ddl::generate(dialect, Plugins::ALL)
        );
    }
}

/// An organization row as the create route will write it.
fn organization_row(n: u32) -> Row {
    Row::new()
        .with("id", id("org", n))
        .with("name", format!("Org {n}"))
        .with("slug", format!("org-{n}"))
        .with("logo", RowValue::Null)
        .with("createdAt", at(i64::from(n)))
        .with("metadata", r#"{"plan":"pro","seats":5}"#)
}

db_test! {
    async fn migrate_creates_the_organization_tables_as_better_auth_does(db) {
        let schema = organization_schema(OrganizationOptions::ALL, Plugins::NONE);
        let report = tessera_store::migrate(&db.url, schema.clone()).await.unwrap();
        let better_auth = fixture(&format!("{}-organization-teams-dac.sql", dialect_name(db.dialect)));
        // Better Auth's statements, then Tessera's own indexes for list-members' pages and the
        // membership lookup.
        let (theirs, own) = report.statements.split_at(report.statements.len() - 2);
        assert_eq!(ddl::join_like_better_auth(theirs), better_auth);
        let created_at = match db.dialect {
            // SQLite sorts dates by this expression (ISO text or epoch integers alike).
            Dialect::Sqlite => r#"(CASE WHEN typeof("createdAt") = 'integer' THEN "createdAt" ELSE CAST(round((julianday("createdAt") - 2440587.5) * 86400000.0) AS INTEGER) END)"#,
            Dialect::Postgres => r#""createdAt""#,
        };
        assert_eq!(own, [
            format!(r#"create index "member_organizationId_createdAt_idx" on "member" ("organizationId", {created_at}, "id")"#),
            r#"create index "member_userId_organizationId_idx" on "member" ("userId", "organizationId")"#.to_owned(),
        ]);
        assert_eq!(
            report.created_tables,
            ["user", "session", "account", "verification", "organization", "organizationRole", "team", "teamMember", "member", "invitation"]
        );
        let again = tessera_store::migrate(&db.url, schema.clone()).await.unwrap();
        assert!(again.is_up_to_date(), "{again:?}");
        tessera_store::open(&db.url, schema, OpenOptions::default()).await.unwrap();
    }

    async fn migrate_adds_the_organization_plugin_to_a_core_database_with_rows(db) {
        let core = db.store(Plugins::NONE).await;
        core.create_user(&core_user(1), &[]).await.unwrap();
        let old = session(1, 1, 60_000);
        core.create_session(&old).await.unwrap();
        drop(core);

        let schema = organization_schema(OrganizationOptions::ALL, Plugins::NONE);
        let report = tessera_store::migrate(&db.url, schema.clone()).await.unwrap();
        let better_auth = fixture(&format!("{}-core-to-organization-teams-dac.sql", dialect_name(db.dialect)));
        let (theirs, own) = report.statements.split_at(report.statements.len() - 2);
        assert_eq!(ddl::join_like_better_auth(theirs), better_auth);
        assert!(own[0].starts_with(r#"create index "member_organizationId_createdAt_idx""#), "{own:?}");
        assert_eq!(report.added_columns, ["session.activeOrganizationId", "session.activeTeamId"]);

        let store = tessera_store::open(&db.url, schema, OpenOptions::default()).await.unwrap();
        let (found, _) = store.find_session_and_user(&old.token).await.unwrap().unwrap();
        assert_eq!((found.active_organization_id(), found.active_team_id()), (None, None));
    }

    async fn organization_rows_round_trip_through_the_row_api(db) {
        let schema = organization_schema(OrganizationOptions::ALL, Plugins::NONE);
        tessera_store::migrate(&db.url, schema.clone()).await.unwrap();
        let store = tessera_store::open(&db.url, schema, OpenOptions::default()).await.unwrap();
        store.create_user(&core_user(1), &[]).await.unwrap();
        store.create_user(&core_user(2), &[]).await.unwrap();

        let org = store.create_row("organization", &organization_row(1)).await.unwrap();
        assert_eq!(org, organization_row(1), "given values are stored as given");
        assert_eq!(store.find_row("organization", &[Where::eq("slug", "org-1")]).await.unwrap(), Some(org));
        let taken = store.create_row("organization", &organization_row(2).with("slug", "org-1")).await;
        assert!(matches!(&taken, Err(StoreError::Conflict(c)) if c == "slug"), "{taken:?}");

        // `role` defaults to "member", as Better Auth's adapter fills `defaultValue`.
        let member = |n: u32, user_n: u32| {
            Row::new()
                .with("id", id("memb", n))
                .with("organizationId", id("org", 1))
                .with("userId", id("user", user_n))
                .with("createdAt", at(i64::from(n)))
        };
        let owner = store.create_row("member", &member(1, 1).with("role", "owner")).await.unwrap();
        let plain = store.create_row("member", &member(2, 2)).await.unwrap();
        assert_eq!(plain.text("role"), Some("member"));
        let columns: Vec<_> = plain.iter().map(|(c, _)| c).collect();
        assert_eq!(columns, ["id", "organizationId", "userId", "role", "createdAt"]);
        let query = FindMany {
            filter: vec![Where::eq("organizationId", id("org", 1))],
            sort_by: Some(SortBy::asc("createdAt")),
            ..FindMany::default()
        };
        assert_eq!(store.find_rows("member", &query).await.unwrap(), [owner, plain]);

        // `status` defaults to "pending" and `createdAt` to now; `teamId` is comma-joined text.
        let before = timefmt::now_ms();
        let invitation = store
            .create_row(
                "invitation",
                &Row::new()
                    .with("id", id("invi", 1))
                    .with("organizationId", id("org", 1))
                    .with("email", "bob@example.com")
                    .with("role", "admin,member")
                    .with("teamId", RowValue::Null)
                    .with("expiresAt", at(172_800_000))
                    .with("inviterId", id("user", 1)),
            )
            .await
            .unwrap();
        assert_eq!(invitation.text("status"), Some("pending"));
        assert!(invitation.date("createdAt").unwrap() >= before);
        let found = store.find_row("invitation", &[Where::eq("email", "bob@example.com"), Where::eq("status", "pending")]).await.unwrap();
        assert_eq!(found, Some(invitation.clone()));
        let accepted = store
            .update_row("invitation", &[Where::eq("id", id("invi", 1))], &Row::new().with("status", "accepted"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(accepted, invitation.clone().with("status", "accepted"));

        // Teams: the seat counter defaults to 0 and `membershipKey` is unique.
        let team = store
            .create_row(
                "team",
                &Row::new()
                    .with("id", id("team", 1))
                    .with("name", "Org 1")
                    .with("organizationId", id("org", 1))
                    .with("createdAt", at(1)),
            )
            .await
            .unwrap();
        assert_eq!((team.int("memberCount"), team.get("updatedAt")), (Some(0), Some(&RowValue::Null)));
        let team_member = |n: u32| {
            Row::new()
                .with("id", id("tmem", n))
                .with("teamId", id("team", 1))
                .with("userId", id("user", 1))
                .with("membershipKey", "key-team1-user1")
        };
        store.create_row("teamMember", &team_member(1)).await.unwrap();
        let twice = store.create_row("teamMember", &team_member(2)).await;
        assert!(matches!(&twice, Err(StoreError::Conflict(c)) if c == "membershipKey"), "{twice:?}");
        store
            .create_row(
                "organizationRole",
                &Row::new()
                    .with("id", id("role", 1))
                    .with("organizationId", id("org", 1))
                    .with("role", "sales")
                    .with("permission", r#"{"member":["create"]}"#),
            )
            .await
            .unwrap();

        // Deleting the organization takes every row of it along, by the foreign keys' cascade
        // (Better Auth deletes members and invitations itself and relies on it for the rest).
        assert!(store.delete_row("organization", &[Where::eq("id", id("org", 1))]).await.unwrap());
        for table in ["member", "invitation", "team", "teamMember", "organizationRole"] {
            assert_eq!(store.count_rows(table, &[]).await.unwrap(), 0, "{table}");
        }
    }

    async fn a_sessions_active_organization_round_trips(db) {
        let schema = organization_schema(OrganizationOptions::ALL, Plugins::ALL);
        tessera_store::migrate(&db.url, schema.clone()).await.unwrap();
        let store = tessera_store::open(&db.url, schema, OpenOptions::default()).await.unwrap();
        let alice = user(1);
        store.create_user(&alice, &[]).await.unwrap();

        let mut s = session(1, 1, 60_000);
        s.set_impersonated_by(None);
        s.set_active_organization_id(Some(id("org", 1)));
        s.set_active_team_id(Some(id("team", 1)));
        store.create_session(&s).await.unwrap();
        let (found, _) = store.find_session_and_user(&s.token).await.unwrap().unwrap();
        assert_eq!(found, s);
        assert_eq!(found.active_organization_id(), Some(id("org", 1).as_str()));
        assert_eq!(found.active_team_id(), Some(id("team", 1).as_str()));
        assert_eq!(store.list_active_sessions(&alice.id, at(0)).await.unwrap(), [s.clone()]);

        // set-active writes the session row through the row API; no FK, so any id may dangle.
        let changed = store
            .update_row("session", &[Where::eq("token", s.token.as_str())], &Row::new().with("activeOrganizationId", RowValue::Null))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(changed.get("activeOrganizationId"), Some(&RowValue::Null));
        let (found, _) = store.find_session_and_user(&s.token).await.unwrap().unwrap();
        assert_eq!(found.active_organization_id(), None);
        assert_eq!(found.active_team_id(), Some(id("team", 1).as_str()), "activeTeamId is left as it was");

        // A session written without the fields reads them as NULL.
        let bare = session(1, 2, 60_000);
        store.create_session(&bare).await.unwrap();
        let (found, _) = store.find_session_and_user(&bare.token).await.unwrap().unwrap();
        assert_eq!((found.active_organization_id(), found.active_team_id()), (None, None));
    }
}
