//! Test databases: a real SQLite file in a temp dir, or a throw-away database
//! on the real PostgreSQL server (`VAULT_TEST_POSTGRES_URL`, default
//! `postgres://postgres@127.0.0.1:5432/postgres`). When no PostgreSQL answers,
//! PostgreSQL tests skip with a message — except under `CI=true`, where they fail.
//! [`TestVault`] builds a whole `AppState` (migrated database, local storage in
//! a temp dir, built-in admin) on top, for tests that call the services.

#![allow(dead_code, reason = "each test binary uses a different subset")]

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use app::backend::auth::Actor;
use app::backend::auth::limiter::LoginLimiter;
use app::backend::config::Settings;
use app::backend::db::write::WriteGate;
use app::backend::error::ServiceError;
use app::backend::ingest::submit::{IngestRequest, ingest_now};
use app::backend::ingest::{IngestTarget, Upload};
use app::backend::jobs::worker::Background;
use app::backend::state::AppState;
use app::backend::storage::LocalStore;
use app::views::models::IngestOutcome;
use bytes::Bytes;
use leptos::config::LeptosOptions;
use migration::{Migrator, MigratorTrait};
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

/// A migrated vault on a throw-away database with local storage in a temp
/// dir: the `AppState` that `server/src/boot.rs` would build, for service
/// tests. Call [`TestVault::finish`] at the end (drops the PostgreSQL database).
pub struct TestVault {
    /// The context every service takes.
    pub state: AppState,
    /// The built-in admin (may do everything).
    pub actor: Actor,
    test: TestDb,
    _data: tempfile::TempDir,
}

impl TestVault {
    /// A fresh, migrated vault on `engine`; `None` when the engine is
    /// unavailable outside CI.
    pub async fn new(engine: Engine) -> Option<Self> {
        Some(Self::from_db(TestDb::empty(engine).await?).await)
    }

    /// A vault on an existing test database, migrated to the latest schema
    /// first (so a test can prepare data under an older schema).
    pub async fn from_db(test: TestDb) -> Self {
        Migrator::up(&test.db, None).await.expect("migrate up");
        let data = tempfile::tempdir().expect("temp data dir");
        let data_dir = data.path().to_string_lossy().into_owned();
        let database_url = test.url.clone();
        let settings = Settings::from_lookup(|name| match name {
            "VAULT_DATA_DIR" => Some(data_dir.clone()),
            "VAULT_DATABASE_URL" => Some(database_url.clone()),
            _ => None,
        })
        .expect("test settings");
        let store = LocalStore::open(settings.data_dir.clone())
            .await
            .expect("open local storage");
        let admin = app::backend::auth::Actor::system();
        let login_limiter = Arc::new(LoginLimiter::new(&settings.auth));
        let state = AppState {
            db: test.db.clone(),
            write_gate: WriteGate::for_kind(settings.database_kind()),
            settings: Arc::new(settings),
            leptos_options: LeptosOptions::builder().output_name("printstash").build(),
            system: admin.clone(),
            login_limiter,
            storage: Arc::new(store),
            background: Background::new(2),
            secrets: app::backend::crypto::SecretBox::from_key_bytes(&[7u8; 32]).expect("test key"),
            printers: app::backend::printers::hub::PrinterHub::new(),
        };
        Self {
            state,
            actor: admin,
            test,
            _data: data,
        }
    }

    /// Stores `bytes` as `filename` through `ingest_now` (the synchronous
    /// upload path), with `tags` applied to a newly created model.
    pub async fn ingest(
        &self,
        target: IngestTarget,
        tags: &[&str],
        filename: &str,
        bytes: impl Into<Bytes>,
    ) -> Result<IngestOutcome, ServiceError> {
        let staged = self
            .state
            .storage
            .staging()
            .stage_bytes(bytes.into(), u64::MAX)
            .await
            .expect("stage the upload");
        let request = IngestRequest {
            target,
            tags: tags.iter().map(|t| (*t).to_owned()).collect(),
            upload: Upload {
                staged,
                filename: filename.to_owned(),
            },
        };
        ingest_now(&self.state, &self.actor, request).await
    }

    /// Uploads `bytes` as a new model named after `filename`; returns the outcome.
    pub async fn upload(&self, filename: &str, bytes: impl Into<Bytes>) -> IngestOutcome {
        self.ingest(
            IngestTarget::NewModel {
                name: None,
                collection_id: None,
            },
            &[],
            filename,
            bytes,
        )
        .await
        .unwrap_or_else(|err| panic!("upload {filename}: {err}"))
    }

    /// Uploads a new model and returns its id (panics unless one was created).
    pub async fn new_model(&self, filename: &str, bytes: impl Into<Bytes>) -> i32 {
        match self.upload(filename, bytes).await {
            IngestOutcome::Created { model_id, .. } => model_id,
            other => panic!("upload {filename}: expected a new model, got {other:?}"),
        }
    }

    /// Adds `bytes` as another artifact (e.g. a G-code revision) of `model_id`.
    pub async fn attach(
        &self,
        model_id: i32,
        filename: &str,
        bytes: impl Into<Bytes>,
    ) -> IngestOutcome {
        self.ingest(IngestTarget::Existing(model_id), &[], filename, bytes)
            .await
            .unwrap_or_else(|err| panic!("attach {filename} to model {model_id}: {err}"))
    }

    /// Which engine this vault runs on.
    pub fn engine(&self) -> Engine {
        self.test.engine
    }

    /// Closes the pool and drops the throw-away PostgreSQL database.
    pub async fn finish(self) {
        self.test.finish().await;
    }
}

/// A binary STL of an axis-aligned box `x` × `y` × `z` mm (12 triangles).
/// Boxes of different sizes are different meshes, so each upload of a new
/// size becomes a new model instead of a duplicate.
pub fn box_stl(x: f32, y: f32, z: f32) -> Vec<u8> {
    let v = |i: usize| {
        [
            if i & 1 == 0 { 0.0 } else { x },
            if i & 2 == 0 { 0.0 } else { y },
            if i & 4 == 0 { 0.0 } else { z },
        ]
    };
    // Two triangles per face, wound outwards.
    const FACES: [[usize; 4]; 6] = [
        [0, 2, 3, 1],
        [4, 5, 7, 6],
        [0, 1, 5, 4],
        [2, 6, 7, 3],
        [0, 4, 6, 2],
        [1, 3, 7, 5],
    ];
    let mut out = vec![0u8; 80];
    out.extend_from_slice(&12u32.to_le_bytes());
    for [a, b, c, d] in FACES {
        for tri in [[a, b, c], [a, c, d]] {
            out.extend_from_slice(&[0u8; 12]);
            for corner in tri {
                for coord in v(corner) {
                    out.extend_from_slice(&coord.to_le_bytes());
                }
            }
            out.extend_from_slice(&[0u8; 2]);
        }
    }
    out
}

/// The bytes of a file under `app/tests/fixtures/`.
pub fn fixture(path: &str) -> Vec<u8> {
    let full = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(path);
    std::fs::read(&full).unwrap_or_else(|err| panic!("read {}: {err}", full.display()))
}
