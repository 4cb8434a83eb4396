//! Driving the real `server` binary from tests: a throw-away vault (data dir
//! plus a SQLite file or a throw-away PostgreSQL database), the server process
//! on a free loopback port (killed when dropped), hand-built multipart bodies,
//! job polling, and small generated inputs.
//!
//! PostgreSQL tests use `VAULT_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`) to create a database per
//! test and drop it afterwards. When no PostgreSQL answers they skip with a
//! message — except under `CI=true`, where they fail.

#![allow(dead_code, reason = "each test binary uses a different subset")]

/// Runs each scenario once per engine, as `<scenario>::sqlite` and
/// `<scenario>::postgres` (test files declare `#[macro_use] mod support;`).
#[allow(unused_macros)]
macro_rules! on_both_engines {
    ($($scenario:ident),* $(,)?) => {$(
        mod $scenario {
            use super::Engine;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$scenario(Engine::Sqlite).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$scenario(Engine::Postgres).await;
            }
        }
    )*};
}

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, DatabaseConnection};
use serde_json::Value;

/// The admin every test vault boots with (`VAULT_ADMIN_*`).
pub const ADMIN_USER: &str = "admin";
/// That admin's password.
pub const ADMIN_PASSWORD: &str = "admin-test-password";
/// Settings every test server gets: the admin, and cheap argon2 parameters
/// so the many sign-ins of the tests stay fast (a test may override them).
pub const TEST_AUTH_ENV: &[(&str, &str)] = &[
    ("VAULT_ADMIN_USERNAME", ADMIN_USER),
    ("VAULT_ADMIN_PASSWORD", ADMIN_PASSWORD),
    ("VAULT_ARGON2_MEMORY_KIB", "8192"),
    ("VAULT_ARGON2_ITERATIONS", "1"),
];

/// Signs in over REST; the session cookie's secret, or the refusal.
pub async fn sign_in(
    client: &reqwest::Client,
    base: &str,
    username: &str,
    password: &str,
) -> Result<String, (StatusCode, Value)> {
    let res = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({ "username": username, "password": password }))
        .send()
        .await
        .expect("POST /auth/login");
    let status = res.status();
    let cookie = res
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("printstash_session="))
        .and_then(|v| v.split(';').next())
        .map(str::to_owned);
    let body: Value = res.json().await.unwrap_or(Value::Null);
    match (status.is_success(), cookie) {
        (true, Some(secret)) if !secret.is_empty() => Ok(secret),
        _ => Err((status, body)),
    }
}

/// Makes an API token with a session (as the settings page would).
pub async fn make_token(client: &reqwest::Client, base: &str, session: &str) -> String {
    let res = client
        .post(format!("{base}/api/v1/auth/tokens"))
        .header(
            reqwest::header::COOKIE,
            format!("printstash_session={session}"),
        )
        .header(reqwest::header::ORIGIN, base)
        .json(&serde_json::json!({ "name": "tests" }))
        .send()
        .await
        .expect("POST /auth/tokens");
    assert_eq!(res.status(), StatusCode::CREATED, "token creation");
    let body: Value = res.json().await.expect("token json");
    body["token"].as_str().expect("token").to_owned()
}

/// Hang guard for anything that waits on the server (boot, a job, a file).
pub const HANG_GUARD: Duration = Duration::from_secs(90);

/// Which engine a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

fn unique_name() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    format!(
        "ps_srv_test_{}_{}_{}",
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
        Duration::from_secs(2),
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

/// A throw-away PostgreSQL database, dropped (`WITH (FORCE)`) when this is dropped.
struct PgDatabase {
    admin_url: String,
    name: String,
}

impl PgDatabase {
    async fn create() -> Option<(Self, String)> {
        let admin_url = postgres_admin_url()?;
        let name = unique_name();
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
        Some((Self { admin_url, name }, url))
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        // Drop runs in sync context (possibly while panicking inside a tokio
        // test), so the cleanup gets its own thread and runtime.
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        let cleanup = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("cleanup runtime");
            runtime.block_on(async {
                let admin = app::backend::db::connect(&admin_url).await?;
                admin
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    .await?;
                admin.close().await
            })
        });
        match cleanup.join() {
            Ok(Ok(())) => {}
            Ok(Err(err)) => eprintln!("could not drop throw-away database {}: {err}", self.name),
            Err(_) => eprintln!("dropping throw-away database {} panicked", self.name),
        }
    }
}

/// A vault on disk and in a database that server processes can be started
/// on, one after another (same data dir, database and port each time).
pub struct Vault {
    /// The engine under test.
    pub engine: Engine,
    /// `VAULT_DATABASE_URL` given to every server.
    pub database_url: String,
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    port: u16,
    env: Vec<(String, String)>,
    boots: u32,
    // Field order matters: the database goes before the directory, both after
    // any server (servers are separate values the caller drops first).
    pg: Option<PgDatabase>,
    root: tempfile::TempDir,
}

/// A free loopback port for a server binary, picked below Linux's ephemeral
/// range (32768+): servers that tests start in-process bind port 0 and get
/// ephemeral ports, so they can never take a port a binary was promised
/// between the pick and its bind (which made the binary exit and another
/// test's server answer its health check).
pub fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let seed = std::process::id().wrapping_mul(7919)
        ^ std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
    for _ in 0..1000 {
        let n = seed.wrapping_add(
            NEXT.fetch_add(1, Ordering::Relaxed)
                .wrapping_mul(2654435761),
        );
        let port = 20_000 + (n % 12_000) as u16;
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free loopback port between 20000 and 32000");
}

impl Vault {
    /// A fresh vault on `engine` with extra `VAULT_*` settings; `None` when
    /// PostgreSQL is unavailable outside CI (the test should return).
    pub async fn new(engine: Engine, env: &[(&str, &str)]) -> Option<Self> {
        let root = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir_all(root.path().join("data")).expect("data dir");
        std::fs::create_dir_all(root.path().join("logs")).expect("log dir");
        let (pg, database_url) = match engine {
            Engine::Sqlite => (
                None,
                format!(
                    "sqlite://{}?mode=rwc",
                    root.path().join("data").join("printstash.db").display()
                ),
            ),
            Engine::Postgres => {
                let (pg, url) = PgDatabase::create().await?;
                (Some(pg), url)
            }
        };
        let port = free_port();
        Some(Self {
            engine,
            database_url,
            base: format!("http://127.0.0.1:{port}"),
            port,
            env: env
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            boots: 0,
            pg,
            root,
        })
    }

    /// `VAULT_DATA_DIR`.
    pub fn data_dir(&self) -> PathBuf {
        self.root.path().join("data")
    }

    /// The staging directory (`<data>/tmp`, see `storage/local.rs`).
    pub fn staging_dir(&self) -> PathBuf {
        self.data_dir().join("tmp")
    }

    /// Staged upload temp files (`stage-*.part`) currently on disk.
    pub fn staged_files(&self) -> Vec<PathBuf> {
        let Ok(entries) = std::fs::read_dir(self.staging_dir()) else {
            return Vec::new();
        };
        entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("stage-") && n.ends_with(".part"))
            })
            .collect()
    }

    /// A database connection for inspecting (and, in crash tests, ageing) rows.
    pub async fn connect(&self) -> DatabaseConnection {
        app::backend::db::connect(&self.database_url)
            .await
            .expect("connect to the test database")
    }

    /// Starts a server process and waits until `/api/v1/health` answers 200.
    pub async fn start(&mut self) -> ServerProcess {
        self.boots += 1;
        let log = self
            .root
            .path()
            .join("logs")
            .join(format!("server-{}.log", self.boots));
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_server"));
        for (key, _) in std::env::vars() {
            if key.starts_with("VAULT_") {
                cmd.env_remove(key);
            }
        }
        let out = File::create(&log).expect("log file");
        let err = out.try_clone().expect("log file");
        cmd.env("VAULT_DATA_DIR", self.data_dir())
            .env("VAULT_BIND", format!("127.0.0.1:{}", self.port))
            .env("VAULT_DATABASE_URL", &self.database_url)
            .env("VAULT_LOG", "info,sqlx=warn")
            .envs(TEST_AUTH_ENV.iter().copied())
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err);
        let child = cmd.spawn().expect("spawn the server binary");
        let mut server = ServerProcess {
            child: Some(child),
            base: self.base.clone(),
            log,
        };
        server.wait_healthy().await;
        server
    }
}

impl Drop for Vault {
    /// When a test fails, shows what the servers logged at warn/error level
    /// (the temp dir with the full logs is about to go).
    fn drop(&mut self) {
        if !std::thread::panicking() {
            return;
        }
        for boot in 1..=self.boots {
            let path = self
                .root
                .path()
                .join("logs")
                .join(format!("server-{boot}.log"));
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            let lines: Vec<&str> = text
                .lines()
                .filter(|l| l.contains("ERROR") || l.contains("WARN"))
                .collect();
            if !lines.is_empty() {
                let tail = &lines[lines.len().saturating_sub(20)..];
                eprintln!(
                    "--- server boot {boot} warnings/errors ---\n{}",
                    tail.join("\n")
                );
            }
        }
    }
}

/// A running `server` process; SIGKILLed when dropped.
pub struct ServerProcess {
    child: Option<Child>,
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    log: PathBuf,
}

impl ServerProcess {
    async fn wait_healthy(&mut self) {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .expect("client");
        let deadline = Instant::now() + HANG_GUARD;
        loop {
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().expect("wait"))
            {
                panic!(
                    "server exited during boot ({status}); log:\n{}",
                    self.log_text()
                );
            }
            if let Ok(res) = client
                .get(format!("{}/api/v1/health", self.base))
                .send()
                .await
                && res.status() == StatusCode::OK
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "server not healthy in time; log:\n{}",
                self.log_text()
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    /// Everything the process logged so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGKILL (`Child::kill`) and reap: a crash, not a shutdown.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().ok();
            child.wait().expect("reap the server");
        }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        if std::thread::panicking() {
            // Shown with the failing test's output.
            eprintln!("--- server log ({}) ---\n{}", self.base, self.log_text());
        }
        self.kill();
    }
}

/// A `multipart/form-data` body built by hand (reqwest is used without its
/// `multipart` feature).
pub struct Form {
    boundary: String,
    body: Vec<u8>,
}

impl Default for Form {
    fn default() -> Self {
        Self::new()
    }
}

impl Form {
    /// An empty form.
    pub fn new() -> Self {
        Self {
            boundary: format!("----printstash-test-{}", unique_name()),
            body: Vec::new(),
        }
    }

    /// Adds a text field.
    pub fn text(mut self, name: &str, value: &str) -> Self {
        self.body.extend_from_slice(
            format!(
                "--{}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n",
                self.boundary
            )
            .as_bytes(),
        );
        self
    }

    /// Adds a file part.
    pub fn file(mut self, name: &str, filename: &str, bytes: &[u8]) -> Self {
        self.body.extend_from_slice(
            format!(
                "--{}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n",
                self.boundary
            )
            .as_bytes(),
        );
        self.body.extend_from_slice(bytes);
        self.body.extend_from_slice(b"\r\n");
        self
    }

    /// `(Content-Type header, body)`.
    pub fn finish(mut self) -> (String, Vec<u8>) {
        self.body
            .extend_from_slice(format!("--{}--\r\n", self.boundary).as_bytes());
        (
            format!("multipart/form-data; boundary={}", self.boundary),
            self.body,
        )
    }
}

/// A client for one server address; every call has a hang-guard timeout.
#[derive(Clone)]
pub struct Api {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    /// The HTTP client.
    pub client: reqwest::Client,
    /// The API token it sends, if any.
    pub token: Option<String>,
}

impl Api {
    /// An anonymous client for `base`.
    pub fn new(base: &str) -> Self {
        Self::with_headers(base, reqwest::header::HeaderMap::new())
    }

    fn with_headers(base: &str, headers: reqwest::header::HeaderMap) -> Self {
        let token = headers
            .get(reqwest::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::to_owned);
        Self {
            token,
            base: base.to_owned(),
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .default_headers(headers)
                .build()
                .expect("client"),
        }
    }

    /// A client that sends `token` as `Authorization: Bearer`.
    pub fn with_token(base: &str, token: &str) -> Self {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            reqwest::header::AUTHORIZATION,
            format!("Bearer {token}").parse().expect("header"),
        );
        Self::with_headers(base, headers)
    }

    /// A client that acts with a browser session (cookie plus this site's Origin).
    pub fn with_session(base: &str, session: &str) -> Self {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            reqwest::header::COOKIE,
            format!("printstash_session={session}")
                .parse()
                .expect("header"),
        );
        headers.insert(reqwest::header::ORIGIN, base.parse().expect("header"));
        Self::with_headers(base, headers)
    }

    /// Signs in as `username` and returns a client with an API token of theirs.
    pub async fn as_user(base: &str, username: &str, password: &str) -> Self {
        let client = reqwest::Client::new();
        let session = sign_in(&client, base, username, password)
            .await
            .unwrap_or_else(|e| panic!("sign in as {username}: {e:?}"));
        let token = make_token(&client, base, &session).await;
        Self::with_token(base, &token)
    }

    /// A client acting as the test admin (through an API token).
    pub async fn admin(base: &str) -> Self {
        Self::as_user(base, ADMIN_USER, ADMIN_PASSWORD).await
    }

    /// `http://…/api/v1{path}` (or `http://…{path}` when `path` already starts with `/api/`).
    pub fn url(&self, path: &str) -> String {
        if path.starts_with("/api/") {
            format!("{}{path}", self.base)
        } else {
            format!("{}/api/v1{path}", self.base)
        }
    }

    /// Sends a request and returns status and JSON body (`Null` when empty
    /// or not JSON).
    pub async fn try_send(
        &self,
        request: reqwest::RequestBuilder,
    ) -> reqwest::Result<(StatusCode, Value)> {
        let res = request.send().await?;
        let status = res.status();
        let bytes = res.bytes().await?;
        Ok((
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        ))
    }

    /// `GET` → (status, JSON).
    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.try_send(self.client.get(self.url(path)))
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e}"))
    }

    /// `DELETE` → (status, JSON).
    pub async fn delete(&self, path: &str) -> (StatusCode, Value) {
        self.try_send(self.client.delete(self.url(path)))
            .await
            .unwrap_or_else(|e| panic!("DELETE {path}: {e}"))
    }

    /// `POST` without a body → (status, JSON).
    pub async fn post_empty(&self, path: &str) -> (StatusCode, Value) {
        self.try_send(self.client.post(self.url(path)))
            .await
            .unwrap_or_else(|e| panic!("POST {path}: {e}"))
    }

    /// `POST` JSON → (status, JSON).
    pub async fn post_json(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        self.try_send(self.client.post(self.url(path)).json(body))
            .await
            .unwrap_or_else(|e| panic!("POST {path}: {e}"))
    }

    /// `PUT` JSON → (status, JSON).
    pub async fn put_json(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        self.try_send(self.client.put(self.url(path)).json(body))
            .await
            .unwrap_or_else(|e| panic!("PUT {path}: {e}"))
    }

    /// `PATCH` JSON → (status, JSON).
    pub async fn patch_json(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        self.try_send(self.client.patch(self.url(path)).json(body))
            .await
            .unwrap_or_else(|e| panic!("PATCH {path}: {e}"))
    }

    /// `POST` a multipart form; errors (server gone) are returned.
    pub async fn try_upload(&self, path: &str, form: Form) -> reqwest::Result<(StatusCode, Value)> {
        let (content_type, body) = form.finish();
        self.try_send(
            self.client
                .post(self.url(path))
                .header(reqwest::header::CONTENT_TYPE, content_type)
                .body(body),
        )
        .await
    }

    /// `POST` a multipart form → (status, JSON).
    pub async fn upload(&self, path: &str, form: Form) -> (StatusCode, Value) {
        self.try_upload(path, form)
            .await
            .unwrap_or_else(|e| panic!("upload to {path}: {e}"))
    }

    /// Uploads one file as a new model and returns the accepted job's id.
    pub async fn submit_model(&self, filename: &str, bytes: &[u8], fields: &[(&str, &str)]) -> i64 {
        let mut form = Form::new();
        for (name, value) in fields {
            form = form.text(name, value);
        }
        let (status, job) = self
            .upload("/ingest/model", form.file("file", filename, bytes))
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "upload {filename}: {job}");
        assert_eq!(job["kind"], "ingest", "{job}");
        job["job_id"].as_i64().expect("job_id")
    }

    /// Polls `GET /jobs/{id}` until the job is completed or failed; retries
    /// through connection errors (a server restarting) until the hang guard.
    pub async fn wait_job(&self, job_id: i64) -> Value {
        let deadline = Instant::now() + HANG_GUARD;
        loop {
            if let Ok((StatusCode::OK, job)) = self
                .try_send(self.client.get(self.url(&format!("/jobs/{job_id}"))))
                .await
                && matches!(job["state"].as_str(), Some("completed" | "failed"))
            {
                return job;
            }
            assert!(
                Instant::now() < deadline,
                "job {job_id} did not finish in time"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Uploads a file as a new model, waits for the job and returns its
    /// `result` (the ingest outcome); panics if the job failed.
    pub async fn ingest(&self, filename: &str, bytes: &[u8], fields: &[(&str, &str)]) -> Value {
        let job_id = self.submit_model(filename, bytes, fields).await;
        let job = self.wait_job(job_id).await;
        assert_eq!(job["state"], "completed", "ingest of {filename}: {job}");
        job["result"].clone()
    }
}

/// A fixture file's bytes (`app/tests/fixtures/<path>`).
pub fn fixture(path: &str) -> Vec<u8> {
    let full = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../app/tests/fixtures")
        .join(path);
    std::fs::read(&full).unwrap_or_else(|e| panic!("fixture {}: {e}", full.display()))
}

/// An ASCII STL of a right tetrahedron whose legs depend on `n`, so every
/// `n` is a different mesh (and a different model).
pub fn tetrahedron_stl(n: u32) -> Vec<u8> {
    let a = 5.0 + f64::from(n % 97) * 0.5;
    let b = 7.0 + f64::from(n / 97) * 0.25 + f64::from(n % 13) * 0.125;
    let c = 9.0 + f64::from(n % 7) * 0.75;
    let (o, x, y, z) = ([0.0, 0.0, 0.0], [a, 0.0, 0.0], [0.0, b, 0.0], [0.0, 0.0, c]);
    let faces = [
        ([0.0, 0.0, -1.0], [o, y, x]),
        ([0.0, -1.0, 0.0], [o, x, z]),
        ([-1.0, 0.0, 0.0], [o, z, y]),
        (unit_normal(x, y, z), [x, y, z]),
    ];
    let mut text = format!("solid tetra{n}\n");
    for (normal, vertices) in faces {
        text.push_str(&format!(
            "  facet normal {} {} {}\n    outer loop\n",
            normal[0], normal[1], normal[2]
        ));
        for v in vertices {
            text.push_str(&format!("      vertex {} {} {}\n", v[0], v[1], v[2]));
        }
        text.push_str("    endloop\n  endfacet\n");
    }
    text.push_str(&format!("endsolid tetra{n}\n"));
    text.into_bytes()
}

fn unit_normal(p: [f64; 3], q: [f64; 3], r: [f64; 3]) -> [f64; 3] {
    let u = [q[0] - p[0], q[1] - p[1], q[2] - p[2]];
    let v = [r[0] - p[0], r[1] - p[1], r[2] - p[2]];
    let n = [
        u[1] * v[2] - u[2] * v[1],
        u[2] * v[0] - u[0] * v[2],
        u[0] * v[1] - u[1] * v[0],
    ];
    let len = (n[0] * n[0] + n[1] * n[1] + n[2] * n[2]).sqrt();
    [n[0] / len, n[1] / len, n[2] / len]
}

/// A small plain G-code program, different for every `n`.
pub fn small_gcode(n: u32) -> Vec<u8> {
    let mut text = format!(
        "; generated test revision {n}\n; estimated printing time (normal mode) = 1m {n}s\nG28\nG90\n"
    );
    for i in 0..20 {
        text.push_str(&format!("G1 X{} Y{} F3000\n", 10 + i + n, 20 + i));
    }
    text.push_str("M84\n");
    text.into_bytes()
}

/// SHA-256 of `bytes`, lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// An id in a JSON answer.
pub fn id(value: &Value) -> i64 {
    value
        .as_i64()
        .unwrap_or_else(|| panic!("expected an id, got {value}"))
}

/// Asserts the API error envelope `{"error":{"code","message",…}}`.
pub fn assert_error(body: &Value, code: &str) {
    assert_eq!(body["error"]["code"], code, "error envelope: {body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.trim().is_empty()),
        "error envelope has a message: {body}"
    );
}
