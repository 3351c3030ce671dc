//! What every import test needs: a generated export, a fresh database, the options to import one
//! into the other, and a way to count rows.

use sqlx::Connection;
use std::path::PathBuf;
use std::sync::Arc;
use tessera_core::crypto::symmetric::Secrets;
use tessera_core::plugins::Plugins;
use tessera_core::plugins::organization::OrganizationOptions;
use tessera_core::schema::Schema;
use tessera_import::clerk::apply::ImportOptions;
use tessera_import::clerk::generate::{GenerateOptions, GenerateStats, generate_to_dir};
use tessera_import::clerk::join::Sources;
use tessera_import::clerk::plan::PlanOptions;
use tessera_store::{OpenOptions, Store};

pub const SECRET: &str = "an-import-test-secret-of-enough-length-0123456789";

pub fn secrets() -> Secrets {
    Secrets::single(SECRET)
}

pub struct Export {
    pub dir: tempfile::TempDir,
    pub sources: Sources,
    pub stats: GenerateStats,
    pub passwords: PathBuf,
}

impl Export {
    pub fn options(&self) -> ImportOptions {
        let mut options = ImportOptions::new(PlanOptions::new(Plugins::ALL));
        options.batch_size = Some(100);
        options.report = Some(self.dir.path().join("report.json"));
        options.extras = Some(self.dir.path().join("extras.ndjson"));
        options
    }
}

/// `users` random users plus every fixture, and every fault when `faults`.
pub fn export(users: u64, faults: bool) -> Export {
    export_with(GenerateOptions {
        users,
        edge_cases: true,
        faults,
        bcrypt_cost: 4,
        bcrypt_pool: 3,
        ..GenerateOptions::bench(users)
    })
}

pub fn export_with(options: GenerateOptions) -> Export {
    let dir = tempfile::tempdir().expect("tempdir");
    let (paths, stats) = generate_to_dir(&options, dir.path()).expect("generate");
    Export {
        sources: Sources {
            export: paths.csv,
            snapshot: Some(paths.snapshot),
        },
        passwords: paths.passwords,
        stats,
        dir,
    }
}

pub struct Db {
    pub store: Arc<dyn Store>,
    url: String,
    _sqlite_dir: Option<tempfile::TempDir>,
    _postgres: Option<FreshDatabase>,
}

impl Db {
    /// Rows in a table, counted directly: the proof that nothing was written twice.
    pub async fn count(&self, table: &str) -> i64 {
        let sql = format!("SELECT COUNT(*) FROM \"{table}\"");
        if self.url.starts_with("postgres") {
            let mut conn = sqlx::PgConnection::connect(&self.url)
                .await
                .expect("connect");
            sqlx::query_scalar(&sql)
                .fetch_one(&mut conn)
                .await
                .expect("count")
        } else {
            let mut conn = sqlx::SqliteConnection::connect(&self.url)
                .await
                .expect("connect");
            sqlx::query_scalar(&sql)
                .fetch_one(&mut conn)
                .await
                .expect("count")
        }
    }
}

fn open_options() -> OpenOptions {
    OpenOptions {
        migrate: true,
        ..OpenOptions::default()
    }
}

pub async fn sqlite() -> Db {
    sqlite_with(Plugins::ALL.into()).await
}

/// The four plugins, the organization plugin, and its dynamic access control when `dac`.
pub fn org_schema(dac: bool) -> Schema {
    Schema {
        organization: OrganizationOptions {
            teams: false,
            dynamic_access_control: dac,
        },
        ..Schema::from(Plugins {
            organization: true,
            ..Plugins::ALL
        })
    }
}

pub async fn sqlite_with(schema: Schema) -> Db {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("tessera.db").display());
    let store = tessera_store::open(&url, schema, open_options())
        .await
        .expect("open sqlite");
    Db {
        store,
        url,
        _sqlite_dir: Some(dir),
        _postgres: None,
    }
}

/// A fresh database on `TESSERA_TEST_POSTGRES_URL`, or `None` when it is not set.
pub async fn postgres() -> Option<Db> {
    postgres_with(Plugins::ALL.into()).await
}

pub async fn postgres_with(schema: Schema) -> Option<Db> {
    let base = std::env::var("TESSERA_TEST_POSTGRES_URL")
        .ok()
        .filter(|s| !s.is_empty())?;
    let fresh = FreshDatabase::create(&base).await;
    let store = tessera_store::open(&fresh.url, schema, open_options())
        .await
        .expect("open postgres");
    Some(Db {
        store,
        url: fresh.url.clone(),
        _sqlite_dir: None,
        _postgres: Some(fresh),
    })
}

struct FreshDatabase {
    url: String,
    admin_url: String,
    name: String,
}

impl FreshDatabase {
    async fn create(base: &str) -> FreshDatabase {
        let name = format!(
            "tessera_import_{}",
            tessera_core::crypto::random::generate_id(12).to_lowercase()
        );
        let mut conn = sqlx::PgConnection::connect(base)
            .await
            .expect("connect to postgres");
        sqlx::query(&format!("CREATE DATABASE \"{name}\""))
            .execute(&mut conn)
            .await
            .expect("create database");
        let mut url = url::Url::parse(base).expect("postgres url");
        url.set_path(&format!("/{name}"));
        FreshDatabase {
            url: url.to_string(),
            admin_url: base.to_owned(),
            name,
        }
    }
}

impl Drop for FreshDatabase {
    fn drop(&mut self) {
        let (admin, name) = (self.admin_url.clone(), self.name.clone());
        // Drop runs inside the test's runtime: a thread with its own runtime avoids blocking it.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                if let Ok(mut conn) = sqlx::PgConnection::connect(&admin).await {
                    let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                    let _ = sqlx::query(&sql).execute(&mut conn).await;
                }
            });
        })
        .join();
    }
}

/// Runs an `async fn(Db)` test on SQLite, and on PostgreSQL when configured.
#[macro_export]
macro_rules! on_every_database {
    ($test:ident) => {
        mod $test {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$test(super::support::sqlite().await).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(db) = super::support::postgres().await {
                    super::$test(db).await;
                }
            }
        }
    };
}

/// Runs an `async fn(Db)` test on SQLite, and on PostgreSQL when configured, with the
/// organization plugin's tables (dynamic access control on).
#[macro_export]
macro_rules! on_every_org_database {
    ($test:ident) => {
        mod $test {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$test(super::support::sqlite_with(super::support::org_schema(true)).await)
                    .await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(db) =
                    super::support::postgres_with(super::support::org_schema(true)).await
                {
                    super::$test(db).await;
                }
            }
        }
    };
}
