//! A fresh database per test: a SQLite file in a temporary directory always, and a PostgreSQL
//! database of its own (created with a random name, dropped afterwards) when
//! `TESSERA_TEST_POSTGRES_URL` is set. Tests never see each other's rows.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};
use tessera_core::plugins::accessors::*;

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Connection, Executor, PgConnection, SqliteConnection};
use tessera_core::model::{Account, Session, TwoFactor, User, Verification};
use tessera_core::plugins::Plugins;
use tessera_core::schema::Table;
use tessera_store::{Dialect, ImportBatch, OpenOptions, Store};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

/// Runs the body once per available database, with `$db: &TestDb`.
macro_rules! db_test {
    ($(async fn $name:ident($db:ident) $body:block)*) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            for test_db in support::databases().await {
                let $db = &test_db;
                eprintln!("{} on {:?}", stringify!($name), $db.dialect);
                $body
            }
        }
    )*};
}

pub struct TestDb {
    pub dialect: Dialect,
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    postgres: Option<Dropper>,
}

struct Dropper {
    admin_url: String,
    name: String,
}

pub async fn databases() -> Vec<TestDb> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tessera.db");
    let mut dbs = vec![TestDb {
        dialect: Dialect::Sqlite,
        url: format!("sqlite://{}", path.display()),
        _dir: Some(dir),
        postgres: None,
    }];
    if let Ok(admin_url) = std::env::var("TESSERA_TEST_POSTGRES_URL") {
        dbs.push(fresh_postgres(&admin_url).await);
    }
    dbs
}

async fn fresh_postgres(admin_url: &str) -> TestDb {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let name = format!(
        "tessera_test_{}_{}_{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    let mut admin = PgConnection::connect(admin_url).await.unwrap();
    admin
        .execute(format!("CREATE DATABASE {name}").as_str())
        .await
        .unwrap();
    admin.close().await.unwrap();
    let mut url = url::Url::parse(admin_url).unwrap();
    url.set_path(&name);
    TestDb {
        dialect: Dialect::Postgres,
        url: url.to_string(),
        _dir: None,
        postgres: Some(Dropper {
            admin_url: admin_url.to_owned(),
            name,
        }),
    }
}

impl Drop for Dropper {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        // Drop runs inside the test's runtime, which cannot be blocked on: use a thread of our own.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                let mut admin = PgConnection::connect(&admin_url).await.unwrap();
                admin
                    .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
                    .await
                    .unwrap();
            });
        })
        .join();
        if dropped.is_err() {
            eprintln!("could not drop test database {}", self.name);
        }
    }
}

impl TestDb {
    /// Migrates for `plugins` and opens the store.
    pub async fn store(&self, plugins: Plugins) -> Arc<dyn Store> {
        tessera_store::migrate(&self.url, plugins).await.unwrap();
        self.open(plugins).await
    }

    /// Migrates for `plugins` and a plugin's own `extra_tables`, and opens the store with them.
    pub async fn store_with(&self, plugins: Plugins, extra_tables: &[Table]) -> Arc<dyn Store> {
        tessera_store::migrate_with(&self.url, plugins, extra_tables)
            .await
            .unwrap();
        let options = OpenOptions {
            extra_tables: extra_tables.to_vec(),
            ..OpenOptions::default()
        };
        tessera_store::open(&self.url, plugins, options)
            .await
            .unwrap()
    }

    pub async fn open(&self, plugins: Plugins) -> Arc<dyn Store> {
        tessera_store::open(&self.url, plugins, OpenOptions::default())
            .await
            .unwrap()
    }

    /// Runs raw SQL (several statements allowed), the way another tool would.
    pub async fn exec(&self, sql: &str) {
        match self.dialect {
            Dialect::Sqlite => {
                let options = SqliteConnectOptions::from_str(&self.url)
                    .unwrap()
                    .create_if_missing(true);
                let mut c = SqliteConnection::connect_with(&options).await.unwrap();
                sqlx::raw_sql(sql).execute(&mut c).await.unwrap();
                c.close().await.unwrap();
            }
            Dialect::Postgres => {
                let mut c = PgConnection::connect(&self.url).await.unwrap();
                sqlx::raw_sql(sql).execute(&mut c).await.unwrap();
                c.close().await.unwrap();
            }
        }
    }

    /// The first column of the first row, as text (`::text` on PostgreSQL is the caller's job).
    pub async fn scalar(&self, sql: &str) -> Option<String> {
        match self.dialect {
            Dialect::Sqlite => {
                let mut c = SqliteConnection::connect(&self.url).await.unwrap();
                let v: Option<String> = sqlx::query_scalar(sql).fetch_one(&mut c).await.unwrap();
                c.close().await.unwrap();
                v
            }
            Dialect::Postgres => {
                let mut c = PgConnection::connect(&self.url).await.unwrap();
                let v: Option<String> = sqlx::query_scalar(sql).fetch_one(&mut c).await.unwrap();
                c.close().await.unwrap();
                v
            }
        }
    }

    /// The database's own DDL of the four plugins, from reference §1.2.
    pub fn reference_ddl(&self) -> &'static str {
        match self.dialect {
            Dialect::Sqlite => SQLITE_ALL,
            Dialect::Postgres => POSTGRES_ALL,
        }
    }
}

/// Reference §1.2, SQLite, verbatim.
pub const SQLITE_ALL: &str = r#"create table "user" ("id" text not null primary key, "name" text not null, "email" text not null unique, "emailVerified" integer not null, "image" text, "createdAt" date not null, "updatedAt" date not null, "role" text, "banned" integer, "banReason" text, "banExpires" date, "twoFactorEnabled" integer, "username" text unique, "displayUsername" text, "phoneNumber" text unique, "phoneNumberVerified" integer);
create table "session" ("id" text not null primary key, "expiresAt" date not null, "token" text not null unique, "createdAt" date not null, "updatedAt" date not null, "ipAddress" text, "userAgent" text, "userId" text not null references "user" ("id") on delete cascade, "impersonatedBy" text);
create table "account" ("id" text not null primary key, "accountId" text not null, "providerId" text not null, "userId" text not null references "user" ("id") on delete cascade, "accessToken" text, "refreshToken" text, "idToken" text, "accessTokenExpiresAt" date, "refreshTokenExpiresAt" date, "scope" text, "password" text, "createdAt" date not null, "updatedAt" date not null);
create table "verification" ("id" text not null primary key, "identifier" text not null, "value" text not null, "expiresAt" date not null, "createdAt" date not null, "updatedAt" date not null);
create table "twoFactor" ("id" text not null primary key, "secret" text not null, "backupCodes" text not null, "userId" text not null references "user" ("id") on delete cascade, "verified" integer, "failedVerificationCount" integer, "lockedUntil" date);
create index "session_userId_idx" on "session" ("userId");
create index "account_userId_idx" on "account" ("userId");
create index "verification_identifier_idx" on "verification" ("identifier");
create index "twoFactor_secret_idx" on "twoFactor" ("secret");
create index "twoFactor_userId_idx" on "twoFactor" ("userId");
"#;

/// Reference §1.2, PostgreSQL tables verbatim, followed by "the same index statements".
pub const POSTGRES_ALL: &str = r#"create table "user" ("id" text not null primary key, "name" text not null, "email" text not null unique, "emailVerified" boolean not null, "image" text, "createdAt" timestamptz default CURRENT_TIMESTAMP not null, "updatedAt" timestamptz default CURRENT_TIMESTAMP not null, "role" text, "banned" boolean, "banReason" text, "banExpires" timestamptz, "twoFactorEnabled" boolean, "username" text unique, "displayUsername" text, "phoneNumber" text unique, "phoneNumberVerified" boolean);
create table "session" ("id" text not null primary key, "expiresAt" timestamptz not null, "token" text not null unique, "createdAt" timestamptz default CURRENT_TIMESTAMP not null, "updatedAt" timestamptz not null, "ipAddress" text, "userAgent" text, "userId" text not null references "user" ("id") on delete cascade, "impersonatedBy" text);
create table "account" ("id" text not null primary key, "accountId" text not null, "providerId" text not null, "userId" text not null references "user" ("id") on delete cascade, "accessToken" text, "refreshToken" text, "idToken" text, "accessTokenExpiresAt" timestamptz, "refreshTokenExpiresAt" timestamptz, "scope" text, "password" text, "createdAt" timestamptz default CURRENT_TIMESTAMP not null, "updatedAt" timestamptz not null);
create table "verification" ("id" text not null primary key, "identifier" text not null, "value" text not null, "expiresAt" timestamptz not null, "createdAt" timestamptz default CURRENT_TIMESTAMP not null, "updatedAt" timestamptz default CURRENT_TIMESTAMP not null);
create table "twoFactor" ("id" text not null primary key, "secret" text not null, "backupCodes" text not null, "userId" text not null references "user" ("id") on delete cascade, "verified" boolean, "failedVerificationCount" integer, "lockedUntil" timestamptz);
create index "session_userId_idx" on "session" ("userId");
create index "account_userId_idx" on "account" ("userId");
create index "verification_identifier_idx" on "verification" ("identifier");
create index "twoFactor_secret_idx" on "twoFactor" ("secret");
create index "twoFactor_userId_idx" on "twoFactor" ("userId");
"#;

// ---- deterministic rows

/// A fixed instant with milliseconds, so that what is written equals what is read back.
pub const T0: OffsetDateTime = datetime!(2026-11-27 14:29:52.004 UTC);

pub fn at(ms: i64) -> OffsetDateTime {
    T0 + Duration::milliseconds(ms)
}

/// A 32-character id, as Better Auth generates them, derived from a label and a number.
pub fn id(label: &str, n: u32) -> String {
    format!("{label}{n:0>width$}", width = 32 - label.len())
}

pub fn user(n: u32) -> User {
    let mut user = User::new(
        id("user", n),
        format!("User {n}"),
        format!("user{n}@example.com"),
        n.is_multiple_of(2),
        at(i64::from(n)),
    );
    user.set_role(Some("user".to_owned()));
    user.set_banned(Some(false));
    user.set_two_factor_enabled(Some(false));
    user.set_username(Some(format!("user{n}")));
    user.set_display_username(Some(format!("User{n}")));
    user.set_phone_number(Some(format!("+1555{n:07}")));
    user.set_phone_number_verified(Some(false));
    user
}

/// The user as a store without plugins keeps it.
pub fn core_user(n: u32) -> User {
    User {
        additional: Default::default(),
        ..user(n)
    }
}

pub fn credential(n: u32) -> Account {
    Account::credential(
        id("acct", n),
        &id("user", n),
        format!("{:032x}:{:0128x}", n, n),
        at(i64::from(n)),
    )
}

pub fn github(n: u32) -> Account {
    Account {
        id: id("ghub", n),
        account_id: format!("{}", 4242 + n),
        provider_id: "github".to_owned(),
        user_id: id("user", n),
        access_token: Some(format!("gho_{n}")),
        refresh_token: None,
        id_token: None,
        access_token_expires_at: Some(at(3_600_000)),
        refresh_token_expires_at: None,
        scope: Some("read:user,user:email".to_owned()),
        password: None,
        created_at: at(10),
        updated_at: at(10),
    }
}

pub fn session(user_n: u32, n: u32, expires_in_ms: i64) -> Session {
    Session {
        id: id("sess", n),
        expires_at: at(expires_in_ms),
        token: id("tokn", n),
        created_at: at(i64::from(n)),
        updated_at: at(i64::from(n)),
        ip_address: Some("127.0.0.1".to_owned()),
        user_agent: Some("test".to_owned()),
        user_id: id("user", user_n),
        additional: Default::default(),
    }
}

pub fn verification(identifier: &str, n: u32, created_ms: i64) -> Verification {
    Verification {
        id: id("veri", n),
        identifier: identifier.to_owned(),
        value: format!("value-{n}"),
        expires_at: at(created_ms + 3_600_000),
        created_at: at(created_ms),
        updated_at: at(created_ms),
    }
}

pub fn two_factor(user_n: u32) -> TwoFactor {
    TwoFactor {
        id: id("twof", user_n),
        secret: format!("encrypted-secret-{user_n}"),
        backup_codes: format!("encrypted-codes-{user_n}"),
        user_id: id("user", user_n),
        verified: Some(true),
        failed_verification_count: Some(0),
        locked_until: None,
    }
}

pub fn batch(users: Vec<User>, accounts: Vec<Account>, two_factors: Vec<TwoFactor>) -> ImportBatch {
    ImportBatch {
        users,
        accounts,
        two_factors,
    }
}
