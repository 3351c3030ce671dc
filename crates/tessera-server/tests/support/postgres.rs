//! A fresh PostgreSQL database per test, dropped afterwards, so tests never see each other's rows.

use sqlx::Connection;

pub fn url_from_env() -> Option<String> {
    std::env::var("TESSERA_TEST_POSTGRES_URL")
        .ok()
        .filter(|s| !s.is_empty())
}

pub struct FreshDatabase {
    pub url: String,
    admin_url: String,
    name: String,
}

impl FreshDatabase {
    pub async fn create(base: &str) -> FreshDatabase {
        let name = format!(
            "tessera_server_{}",
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
        let admin = self.admin_url.clone();
        let name = self.name.clone();
        // Drop runs inside the test's runtime; a dedicated thread with its own runtime avoids
        // blocking it, and WITH (FORCE) closes the pool's leftover connections.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                if let Ok(mut conn) = sqlx::PgConnection::connect(&admin).await {
                    let _ =
                        sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                            .execute(&mut conn)
                            .await;
                }
            });
        })
        .join();
    }
}
