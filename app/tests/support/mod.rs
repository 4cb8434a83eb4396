//! Test databases: a real SQLite file in a temp dir, or a throw-away database
//! on the real PostgreSQL server (`VAULT_TEST_POSTGRES_URL`, default
//! `postgres://postgres@127.0.0.1:5432/postgres`). When no PostgreSQL answers,
//! PostgreSQL tests skip with a message — except under `CI=true`, where they fail.

#![allow(dead_code, reason = "each test binary uses a different subset")]

use std::sync::atomic::{AtomicU32, Ordering};

use sea_orm::{ConnectionTrait, DatabaseConnection};

/// Which engine a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// A migrated-or-not database that cleans up after itself via [`TestDb::finish`].
pub struct TestDb {
    pub db: DatabaseConnection,
    pub url: String,
    engine: Engine,
    admin_url: Option<String>,
    name: String,
    _dir: Option<tempfile::TempDir>,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

fn unique_name() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    format!(
        "ps_test_{}_{}_{}",
        std::process::id(),
        nanos,
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// The admin URL of the test PostgreSQL server, or `None` to skip.
pub fn postgres_admin_url() -> Option<String> {
    let url = std::env::var("VAULT_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let in_ci = std::env::var("CI").is_ok_and(|v| v == "true");
    if url == "skip" {
        assert!(!in_ci, "CI=true: PostgreSQL tests must not be skipped");
        eprintln!("SKIPPED: PostgreSQL tests (VAULT_TEST_POSTGRES_URL=skip)");
        return None;
    }
    let reachable = std::net::TcpStream::connect_timeout(
        &"127.0.0.1:5432".parse().expect("valid address"),
        std::time::Duration::from_secs(2),
    )
    .is_ok()
        || !url.contains("127.0.0.1:5432");
    if !reachable {
        assert!(!in_ci, "CI=true but no PostgreSQL answers at {url}");
        eprintln!("SKIPPED: no PostgreSQL reachable at {url}; these tests run in CI");
        return None;
    }
    Some(url)
}

impl TestDb {
    /// A fresh, empty (unmigrated) database on `engine`; `None` when the
    /// engine is unavailable outside CI.
    pub async fn empty(engine: Engine) -> Option<Self> {
        let name = unique_name();
        match engine {
            Engine::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!(
                    "sqlite://{}?mode=rwc",
                    dir.path().join("vault.db").display()
                );
                let db = app::backend::db::connect(&url).await.expect("open SQLite");
                Some(Self {
                    db,
                    url,
                    engine,
                    admin_url: None,
                    name,
                    _dir: Some(dir),
                })
            }
            Engine::Postgres => {
                let admin_url = postgres_admin_url()?;
                let admin = app::backend::db::connect(&admin_url)
                    .await
                    .expect("connect to PostgreSQL");
                admin
                    .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                    .await
                    .expect("create throw-away database");
                admin.close().await.ok();
                let base = admin_url
                    .rsplit_once('/')
                    .map_or(admin_url.as_str(), |(b, _)| b);
                let url = format!("{base}/{name}");
                let db = app::backend::db::connect(&url)
                    .await
                    .expect("connect to throw-away database");
                Some(Self {
                    db,
                    url,
                    engine,
                    admin_url: Some(admin_url),
                    name,
                    _dir: None,
                })
            }
        }
    }

    /// Closes the pool and drops the throw-away PostgreSQL database.
    pub async fn finish(self) {
        self.db.close().await.ok();
        if let (Engine::Postgres, Some(admin_url)) = (self.engine, self.admin_url) {
            let admin = app::backend::db::connect(&admin_url)
                .await
                .expect("reconnect");
            admin
                .execute_unprepared(&format!(
                    "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                    self.name
                ))
                .await
                .expect("drop throw-away database");
            admin.close().await.ok();
        }
    }
}
