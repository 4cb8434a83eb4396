//! End-to-end benchmark of the real `server` binary on 127.0.0.1: start-up
//! time and idle memory, small-STL ingest throughput, 64 concurrent uploads,
//! one 1 M-triangle STL, `server seed` of 100 k models, and browse/search
//! latency at that size, printed as a table against the targets.
//!
//! `cargo bench -p server --bench vault_bench` (builds the release binary).
//! SQLite in a temp dir by default; `VAULT_BENCH_DATABASE_URL` points it at an
//! empty throw-away PostgreSQL database instead. Other knobs:
//! `VAULT_BENCH_MODELS` (models to seed, default 100000), `VAULT_BENCH_LOG`
//! (the server's `VAULT_LOG`, default `warn`; its output goes to
//! `server.log` in the data dir) and `VAULT_BENCH_KEEP=1` (keep the data dir).
//! Every request has a timeout and the whole run is cut off after 10 minutes.

use std::fs::OpenOptions;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::Value;

/// The release binary under test.
const SERVER: &str = env!("CARGO_BIN_EXE_server");
/// The whole run is aborted after this long.
const TIME_LIMIT: Duration = Duration::from_secs(600);
/// Default timeout of one request.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// Multipart boundary; the payloads are float data, which cannot plausibly spell it.
const BOUNDARY: &str = "----printstash-bench-0f3c9a7e51d24b8c";

/// The server process currently running (for the watchdog).
static SERVER_PID: AtomicU32 = AtomicU32::new(0);

fn main() {
    std::thread::spawn(|| {
        std::thread::sleep(TIME_LIMIT);
        eprintln!(
            "vault_bench: time limit of {} s reached; aborting",
            TIME_LIMIT.as_secs()
        );
        let pid = SERVER_PID.load(Ordering::SeqCst);
        if pid != 0 {
            let _ = Command::new("kill")
                .arg("-KILL")
                .arg(pid.to_string())
                .status();
        }
        std::process::exit(1);
    });
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("vault_bench: cannot start tokio: {err}");
            std::process::exit(1);
        }
    };
    if let Err(err) = runtime.block_on(run()) {
        eprintln!("vault_bench: {err:#}");
        std::process::exit(1);
    }
}

// ---------------------------------------------------------------------------
// Environment and server process

/// The admin the bench's server boots with; every call after start-up
/// carries one of its API tokens (the path real clients take).
const BENCH_ADMIN: (&str, &str) = ("bench", "bench-admin-password");

/// Signs the bench admin in and returns a client that sends an API token.
async fn authorised_client(plain: &reqwest::Client, base: &str) -> anyhow::Result<reqwest::Client> {
    let res = plain
        .post(format!("{base}/auth/login"))
        .json(&serde_json::json!({ "username": BENCH_ADMIN.0, "password": BENCH_ADMIN.1 }))
        .send()
        .await?;
    let cookie = res
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| {
            v.split(';')
                .next()
                .filter(|c| c.starts_with("printstash_session="))
        })
        .map(str::to_owned)
        .context("sign-in set no session cookie")?;
    let origin = base.trim_end_matches("/api/v1");
    let created: Value = plain
        .post(format!("{base}/auth/tokens"))
        .header(reqwest::header::COOKIE, cookie)
        .header(reqwest::header::ORIGIN, origin)
        .json(&serde_json::json!({ "name": "vault_bench" }))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let token = created["token"]
        .as_str()
        .context("no token in the answer")?;
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {token}").parse()?,
    );
    Ok(reqwest::Client::builder()
        .timeout(REQUEST_TIMEOUT)
        .connect_timeout(Duration::from_secs(5))
        .pool_max_idle_per_host(64)
        .default_headers(headers)
        .build()?)
}

struct Bench {
    dir: PathBuf,
    database_url: Option<String>,
    log_filter: String,
    client: reqwest::Client,
}

impl Bench {
    fn engine(&self) -> &'static str {
        match &self.database_url {
            Some(url) if url.starts_with("postgres") => "PostgreSQL",
            _ => "SQLite",
        }
    }

    /// A command for the server binary with exactly our `VAULT_*` settings.
    fn command(&self, bind: Option<&str>) -> anyhow::Result<Command> {
        let mut cmd = Command::new(SERVER);
        for (name, _) in std::env::vars() {
            if name.starts_with("VAULT_") {
                cmd.env_remove(name);
            }
        }
        cmd.env("VAULT_DATA_DIR", &self.dir)
            .env("VAULT_LOG", &self.log_filter)
            .env("VAULT_ADMIN_USERNAME", BENCH_ADMIN.0)
            .env("VAULT_ADMIN_PASSWORD", BENCH_ADMIN.1);
        if let Some(bind) = bind {
            cmd.env("VAULT_BIND", bind);
        }
        if let Some(url) = &self.database_url {
            cmd.env("VAULT_DATABASE_URL", url);
        }
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("server.log"))
            .context("opening server.log")?;
        cmd.stdin(Stdio::null())
            .stderr(log.try_clone()?)
            .stdout(log);
        Ok(cmd)
    }

    /// Starts the server and waits for its first successful health check;
    /// returns it with the time from spawn to that answer.
    async fn start(&self) -> anyhow::Result<(Server, Duration)> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let bind = format!("127.0.0.1:{port}");
        let base = format!("http://{bind}/api/v1");
        let health = format!("{base}/health");
        let mut cmd = self.command(Some(&bind))?;
        let started = Instant::now();
        let child = cmd.spawn().context("spawning the server")?;
        let mut server = Server {
            pid: child.id(),
            child,
            base,
        };
        SERVER_PID.store(server.pid, Ordering::SeqCst);
        loop {
            if let Some(status) = server.child.try_wait()? {
                bail!(
                    "the server exited during start-up ({status}); see {}",
                    self.dir.join("server.log").display()
                );
            }
            if started.elapsed() > Duration::from_secs(60) {
                bail!("the server did not answer /health within 60 s");
            }
            let answer = self
                .client
                .get(&health)
                .timeout(Duration::from_secs(2))
                .send()
                .await;
            if matches!(&answer, Ok(r) if r.status().is_success()) {
                return Ok((server, started.elapsed()));
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }
}

struct Server {
    child: Child,
    pid: u32,
    base: String,
}

impl Server {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Stops the server with SIGTERM (graceful), SIGKILL after 10 s.
    async fn stop(mut self) -> anyhow::Result<()> {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.pid.to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.child.try_wait()?.is_none() {
            if Instant::now() > deadline {
                self.child.kill()?;
                self.child.wait()?;
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        SERVER_PID.store(0, Ordering::SeqCst);
        Ok(())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A `/proc/<pid>/status` field in KiB (`VmRSS`, `VmHWM`).
fn proc_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
}

fn mib(kib: Option<u64>) -> f64 {
    kib.map_or(f64::NAN, |k| k as f64 / 1024.0)
}

/// Samples a process's RSS every 10 ms and keeps the maximum.
struct RssSampler {
    stop: Arc<AtomicBool>,
    peak_kib: Arc<AtomicU64>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl RssSampler {
    fn start(pid: u32) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let peak_kib = Arc::new(AtomicU64::new(0));
        let (s, p) = (Arc::clone(&stop), Arc::clone(&peak_kib));
        let thread = std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                if let Some(kib) = proc_kib(pid, "VmRSS") {
                    p.fetch_max(kib, Ordering::Relaxed);
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        });
        Self {
            stop,
            peak_kib,
            thread: Some(thread),
        }
    }

    fn finish(mut self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        self.peak_kib.load(Ordering::Relaxed)
    }
}

// ---------------------------------------------------------------------------
// Generated meshes

type Tri = [[f32; 3]; 3];

fn binary_stl(triangles: impl ExactSizeIterator<Item = Tri>) -> Vec<u8> {
    let mut out = Vec::with_capacity(84 + triangles.len() * 50);
    let mut header = [b' '; 80];
    header[..22].copy_from_slice(b"PrintStash bench mesh ");
    out.extend_from_slice(&header);
    out.extend_from_slice(&(triangles.len() as u32).to_le_bytes());
    for tri in triangles {
        out.extend_from_slice(&[0u8; 12]);
        for vertex in tri {
            for c in vertex {
                out.extend_from_slice(&c.to_le_bytes());
            }
        }
        out.extend_from_slice(&[0u8; 2]);
    }
    out
}

/// A closed box of `w × d × h` mm with every face split into `n × n` quads.
fn tessellated_box(w: f32, d: f32, h: f32, n: usize) -> Vec<Tri> {
    // (origin, u, v) with u × v pointing outwards.
    let faces: [([f32; 3], [f32; 3], [f32; 3]); 6] = [
        ([0., 0., 0.], [0., d, 0.], [w, 0., 0.]),
        ([0., 0., h], [w, 0., 0.], [0., d, 0.]),
        ([0., 0., 0.], [w, 0., 0.], [0., 0., h]),
        ([0., d, 0.], [0., 0., h], [w, 0., 0.]),
        ([0., 0., 0.], [0., 0., h], [0., d, 0.]),
        ([w, 0., 0.], [0., d, 0.], [0., 0., h]),
    ];
    let mut out = Vec::with_capacity(12 * n * n);
    let k = n as f32;
    for (o, u, v) in faces {
        let at = |a: usize, b: usize| -> [f32; 3] {
            let (a, b) = (a as f32 / k, b as f32 / k);
            [
                o[0] + u[0] * a + v[0] * b,
                o[1] + u[1] * a + v[1] * b,
                o[2] + u[2] * a + v[2] * b,
            ]
        };
        for a in 0..n {
            for b in 0..n {
                let (p, q, r, s) = (at(a, b), at(a + 1, b), at(a + 1, b + 1), at(a, b + 1));
                out.push([p, q, r]);
                out.push([p, r, s]);
            }
        }
    }
    out
}

/// Small distinct STL number `i` (192 triangles, 9.6 KB).
fn small_stl(i: usize) -> Vec<u8> {
    let w = 10.0 + (i % 20) as f32 * 0.5;
    let d = 10.0 + (i / 20) as f32 * 0.5;
    let h = 5.0 + (i % 7) as f32;
    binary_stl(tessellated_box(w, d, h, 4).into_iter())
}

/// 1,000,000 triangles: 250,000 tetrahedra (edge 0.5–0.56 mm) on a 1 mm grid
/// of 50 × 50 × 100 cells, so every coordinate differs; ~50 MB as binary STL.
fn million_triangle_stl() -> Vec<u8> {
    let (nx, ny, nz) = (50usize, 50usize, 100usize);
    let tetra = |idx: usize| -> [Tri; 4] {
        let (x, y, z) = (
            (idx % nx) as f32,
            (idx / nx % ny) as f32,
            (idx / (nx * ny)) as f32,
        );
        let s = 0.5 + (idx % 7) as f32 * 0.01;
        let a = [x, y, z];
        let b = [x + s, y, z];
        let c = [x, y + s, z];
        let d = [x, y, z + s];
        [[a, c, b], [a, b, d], [a, d, c], [b, c, d]]
    };
    binary_stl(ExactIter(
        (0..nx * ny * nz).flat_map(tetra),
        nx * ny * nz * 4,
    ))
}

/// An iterator with a known length (for `binary_stl`'s triangle count).
struct ExactIter<I>(I, usize);

impl<I: Iterator<Item = Tri>> Iterator for ExactIter<I> {
    type Item = Tri;
    fn next(&mut self) -> Option<Tri> {
        let item = self.0.next()?;
        self.1 = self.1.saturating_sub(1);
        Some(item)
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.1, Some(self.1))
    }
}

impl<I: Iterator<Item = Tri>> ExactSizeIterator for ExactIter<I> {}

fn multipart(filename: &str, data: &[u8]) -> Vec<u8> {
    let mut body = Vec::with_capacity(data.len() + 256);
    body.extend_from_slice(
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(data);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

// ---------------------------------------------------------------------------
// Uploads and jobs

/// Uploads one file; `Ok(job id)` on 202, `Err(reason)` otherwise.
async fn upload(
    client: &reqwest::Client,
    base: &str,
    filename: &str,
    data: &[u8],
    timeout: Duration,
) -> Result<i64, String> {
    let response = client
        .post(format!("{base}/ingest/model"))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(multipart(filename, data))
        .timeout(timeout)
        .send()
        .await
        .map_err(|err| format!("{filename}: request failed: {err}"))?;
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    if status != reqwest::StatusCode::ACCEPTED {
        return Err(format!("{filename}: HTTP {status}: {body}"));
    }
    body.get("job_id")
        .and_then(Value::as_i64)
        .ok_or_else(|| format!("{filename}: no job_id in {body}"))
}

/// The terminal view of a job: `Ok(view)` when completed as a new model.
async fn wait_job(
    client: &reqwest::Client,
    base: &str,
    job: i64,
    deadline: Instant,
) -> Result<Value, String> {
    let url = format!("{base}/ingest/jobs/{job}");
    loop {
        let view: Value = client
            .get(&url)
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .map_err(|err| format!("job {job}: poll failed: {err}"))?
            .json()
            .await
            .map_err(|err| format!("job {job}: bad poll answer: {err}"))?;
        match view.get("state").and_then(Value::as_str) {
            Some("completed") => {
                let outcome = view
                    .pointer("/result/outcome")
                    .and_then(Value::as_str)
                    .unwrap_or("?");
                return if outcome == "created" {
                    Ok(view)
                } else {
                    Err(format!("job {job}: outcome {outcome}: {}", view["message"]))
                };
            }
            Some("failed") => return Err(format!("job {job} failed: {}", view["error"])),
            _ => {}
        }
        if Instant::now() > deadline {
            return Err(format!("job {job}: not finished in time"));
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Waits for `jobs` in order (they finish roughly in order); returns the errors.
async fn wait_all(
    client: &reqwest::Client,
    base: &str,
    jobs: &[i64],
    limit: Duration,
) -> Vec<String> {
    let deadline = Instant::now() + limit;
    let mut errors = Vec::new();
    for &job in jobs {
        if let Err(err) = wait_job(client, base, job, deadline).await {
            errors.push(err);
        }
    }
    errors
}

fn first_errors(errors: &[String]) -> String {
    errors
        .iter()
        .take(3)
        .cloned()
        .collect::<Vec<_>>()
        .join("; ")
}

// ---------------------------------------------------------------------------
// Latency

struct Latency {
    p50_ms: f64,
    p99_ms: f64,
    per_s: f64,
    errors: usize,
}

async fn measure_get(
    client: &reqwest::Client,
    url: &str,
    n: usize,
    expect_items: usize,
) -> anyhow::Result<Latency> {
    for _ in 0..10 {
        client
            .get(url)
            .timeout(Duration::from_secs(10))
            .send()
            .await?
            .bytes()
            .await?;
    }
    let mut times = Vec::with_capacity(n);
    let mut errors = 0;
    let started = Instant::now();
    for _ in 0..n {
        let t = Instant::now();
        let response = client
            .get(url)
            .timeout(Duration::from_secs(10))
            .send()
            .await?;
        let ok = response.status().is_success();
        let body = response.bytes().await?;
        times.push(t.elapsed());
        if !ok {
            errors += 1;
            continue;
        }
        let items = serde_json::from_slice::<Value>(&body)
            .ok()
            .and_then(|v| v.get("items").and_then(Value::as_array).map(Vec::len))
            .unwrap_or(0);
        if items < expect_items {
            errors += 1;
        }
    }
    let total = started.elapsed();
    times.sort_unstable();
    let at = |q: f64| times[((times.len() as f64 * q).ceil() as usize).clamp(1, times.len()) - 1];
    Ok(Latency {
        p50_ms: ms(at(0.50)),
        p99_ms: ms(at(0.99)),
        per_s: n as f64 / total.as_secs_f64(),
        errors,
    })
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort_unstable();
    values[values.len() / 2]
}

// ---------------------------------------------------------------------------
// The run

struct Row {
    what: String,
    value: String,
    target: String,
    verdict: String,
}

fn row(rows: &mut Vec<Row>, what: &str, value: String, target: &str, met: Option<bool>) {
    rows.push(Row {
        what: what.to_owned(),
        value,
        target: target.to_owned(),
        verdict: match met {
            Some(true) => "met".into(),
            Some(false) => "MISSED".into(),
            None => "".into(),
        },
    });
}

async fn run() -> anyhow::Result<()> {
    let keep = std::env::var("VAULT_BENCH_KEEP").is_ok_and(|v| v == "1");
    let temp = tempfile::Builder::new()
        .prefix("printstash-bench-")
        .tempdir()?;
    let dir = temp.path().to_owned();
    let models: u64 = match std::env::var("VAULT_BENCH_MODELS") {
        Ok(text) => text
            .parse()
            .context("VAULT_BENCH_MODELS must be a whole number")?,
        Err(_) => 100_000,
    };
    let bench = Bench {
        dir: dir.clone(),
        database_url: std::env::var("VAULT_BENCH_DATABASE_URL")
            .ok()
            .filter(|u| !u.is_empty()),
        log_filter: std::env::var("VAULT_BENCH_LOG").unwrap_or_else(|_| "warn".into()),
        client: reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(Duration::from_secs(5))
            .pool_max_idle_per_host(64)
            .build()?,
    };
    let client = &bench.client;
    eprintln!(
        "vault_bench: {} on {}, data dir {}",
        SERVER,
        bench.engine(),
        dir.display()
    );
    let mut rows = Vec::new();
    let bench_started = Instant::now();

    // 1. Start-up and idle memory.
    let (server, cold) = bench.start().await?;
    server.stop().await?;
    let mut warm = Vec::new();
    let mut last = None;
    for i in 0..5 {
        let (server, took) = bench.start().await?;
        warm.push(took);
        if i == 4 {
            last = Some(server);
        } else {
            server.stop().await?;
        }
    }
    let server = last.context("no server")?;
    let authorised = authorised_client(client, &server.base).await?;
    let client = &authorised;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let idle_rss = proc_kib(server.pid, "VmRSS");
    let startup = median(warm.clone());
    eprintln!(
        "vault_bench: start-up cold {:.1} ms, warm {:?}",
        ms(cold),
        warm.iter()
            .map(|d| format!("{:.1}", ms(*d)))
            .collect::<Vec<_>>()
    );
    row(
        &mut rows,
        "start -> first /health 200, median of 5 (ms)",
        format!("{:.1}", ms(startup)),
        "<= 200",
        Some(ms(startup) <= 200.0),
    );
    row(
        &mut rows,
        "  first start on an empty database, with migrations (ms)",
        format!("{:.1}", ms(cold)),
        "",
        None,
    );
    row(
        &mut rows,
        "idle RSS after boot (MiB)",
        format!("{:.1}", mib(idle_rss)),
        "<= 30",
        Some(mib(idle_rss) <= 30.0),
    );

    // 2. 200 small STLs, 8 concurrent clients.
    let files: Vec<(String, Vec<u8>)> = (0..200)
        .map(|i| (format!("bench_part_{i:03}.stl"), small_stl(i)))
        .collect();
    let sampler = RssSampler::start(server.pid);
    let started = Instant::now();
    let files = Arc::new(files);
    let mut workers = Vec::new();
    for w in 0..8 {
        let (files, client) = (Arc::clone(&files), client.clone());
        let base = server.base.clone();
        workers.push(tokio::spawn(async move {
            let mut jobs = Vec::new();
            let mut errors = Vec::new();
            for (name, data) in files.iter().skip(w).step_by(8) {
                match upload(&client, &base, name, data, REQUEST_TIMEOUT).await {
                    Ok(job) => jobs.push(job),
                    Err(err) => errors.push(err),
                }
            }
            (jobs, errors)
        }));
    }
    let mut jobs = Vec::new();
    let mut errors = Vec::new();
    for worker in workers {
        let (j, e) = worker.await?;
        jobs.extend(j);
        errors.extend(e);
    }
    let accepted = started.elapsed();
    jobs.sort_unstable();
    errors.extend(wait_all(client, &server.base, &jobs, Duration::from_secs(180)).await);
    let took = started.elapsed();
    let peak = sampler.finish();
    let rate = 200.0 / took.as_secs_f64();
    eprintln!(
        "vault_bench: 200 small STLs accepted in {:.2} s, done in {:.2} s, {} errors {}",
        accepted.as_secs_f64(),
        took.as_secs_f64(),
        errors.len(),
        first_errors(&errors)
    );
    row(
        &mut rows,
        "200 small STLs (9.6 KB), 8 clients: end to end (files/s)",
        format!("{rate:.1}"),
        ">= 50",
        Some(rate >= 50.0),
    );
    row(
        &mut rows,
        "  all 200 answered 202 after (s) / all jobs done after (s)",
        format!("{:.2} / {:.2}", accepted.as_secs_f64(), took.as_secs_f64()),
        "",
        None,
    );
    row(
        &mut rows,
        "  errors",
        errors.len().to_string(),
        "0",
        Some(errors.is_empty()),
    );
    row(
        &mut rows,
        "  peak RSS during the run (MiB)",
        format!("{:.1}", peak as f64 / 1024.0),
        "",
        None,
    );

    // 3. 64 concurrent uploads.
    let started = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..64 {
        let client = client.clone();
        let base = server.base.clone();
        tasks.push(tokio::spawn(async move {
            let name = format!("bench_burst_{i:02}.stl");
            upload(&client, &base, &name, &small_stl(200 + i), REQUEST_TIMEOUT).await
        }));
    }
    let mut jobs = Vec::new();
    let mut errors = Vec::new();
    for task in tasks {
        match task.await? {
            Ok(job) => jobs.push(job),
            Err(err) => errors.push(err),
        }
    }
    jobs.sort_unstable();
    errors.extend(wait_all(client, &server.base, &jobs, Duration::from_secs(120)).await);
    let took = started.elapsed();
    eprintln!(
        "vault_bench: 64 concurrent uploads done in {:.2} s, {} errors {}",
        took.as_secs_f64(),
        errors.len(),
        first_errors(&errors)
    );
    row(
        &mut rows,
        "64 concurrent uploads: errors",
        errors.len().to_string(),
        "0",
        Some(errors.is_empty()),
    );
    row(
        &mut rows,
        "  all 64 stored after (s)",
        format!("{:.2}", took.as_secs_f64()),
        "",
        None,
    );
    server.stop().await?;

    // 4. One 1 M-triangle STL on a fresh server process (so VmHWM is this upload's).
    let big = million_triangle_stl();
    let big_mb = big.len() as f64 / 1e6;
    let (server, _) = bench.start().await?;
    let rss_before = proc_kib(server.pid, "VmRSS");
    let sampler = RssSampler::start(server.pid);
    let started = Instant::now();
    let job = upload(
        client,
        &server.base,
        "million_tetrahedra.stl",
        &big,
        Duration::from_secs(120),
    )
    .await;
    let uploaded = started.elapsed();
    let outcome = match job {
        Ok(job) => {
            wait_job(
                client,
                &server.base,
                job,
                Instant::now() + Duration::from_secs(180),
            )
            .await
        }
        Err(err) => Err(err),
    };
    let took = started.elapsed();
    let sampled_peak = sampler.finish();
    let hwm = proc_kib(server.pid, "VmHWM");
    let (server_ms, job_err) = match &outcome {
        Ok(view) => (job_server_ms(view), None),
        Err(err) => (None, Some(err.clone())),
    };
    eprintln!(
        "vault_bench: 1M triangles ({big_mb:.1} MB): 202 after {:.0} ms, completed after {:.0} ms (job ran {} ms on the server), VmHWM {:.1} MiB, sampled peak {:.1} MiB, RSS before {:.1} MiB{}",
        ms(uploaded),
        ms(took),
        server_ms.map_or("?".into(), |v| format!("{v:.0}")),
        mib(hwm),
        sampled_peak as f64 / 1024.0,
        mib(rss_before),
        job_err
            .as_ref()
            .map(|e| format!("; ERROR {e}"))
            .unwrap_or_default()
    );
    row(
        &mut rows,
        &format!("1 M-triangle STL ({big_mb:.0} MB): upload start -> job completed (s)"),
        format!("{:.2}", took.as_secs_f64()),
        "<= 1.5",
        Some(job_err.is_none() && took.as_secs_f64() <= 1.5),
    );
    row(
        &mut rows,
        "  upload answered 202 after (s) / job start -> finish on server (s)",
        format!(
            "{:.2} / {}",
            uploaded.as_secs_f64(),
            server_ms.map_or("?".into(), |v| format!("{:.2}", v / 1000.0))
        ),
        "",
        None,
    );
    row(
        &mut rows,
        "  server peak RSS, VmHWM (MiB)",
        format!("{:.1}", mib(hwm)),
        "<= 200",
        Some(mib(hwm) <= 200.0),
    );
    if let Some(err) = job_err {
        row(&mut rows, "  error", err, "", Some(false));
    }
    server.stop().await?;
    drop(big);

    // 5. Seed, then browse with a keep-alive client.
    let started = Instant::now();
    let output = bench
        .command(None)?
        .args(["seed", "--models", &models.to_string()])
        .stdout(Stdio::piped())
        .output()
        .context("running server seed")?;
    let seed_took = started.elapsed();
    let summary = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    if !output.status.success() {
        bail!(
            "server seed failed ({}); see {}",
            output.status,
            dir.join("server.log").display()
        );
    }
    eprintln!("vault_bench: {summary}");
    row(
        &mut rows,
        &format!("server seed --models {models} (s, incl. boot)"),
        format!("{:.1}", seed_took.as_secs_f64()),
        "",
        None,
    );

    let (server, _) = bench.start().await?;
    let tags: Value = client.get(server.url("/tags")).send().await?.json().await?;
    let petg = tags
        .as_array()
        .and_then(|all| all.iter().find(|t| t["name"] == "PETG"))
        .and_then(|t| t["id"].as_i64())
        .context("the seeded tag PETG is missing")?;
    let cases = [
        (
            "list, first page, default sort (newest)",
            "/models?limit=50".to_owned(),
            "<= 10",
            10.0,
        ),
        (
            "list, first page, sorted by name",
            "/models?limit=50&sort=name".to_owned(),
            "<= 10",
            10.0,
        ),
        (
            "list, first page, filtered by tag PETG",
            format!("/models?limit=50&tags={petg}"),
            "<= 10",
            10.0,
        ),
        (
            "search q=mount (common word)",
            "/models?limit=50&q=mount".to_owned(),
            "<= 20",
            20.0,
        ),
        (
            "search q=vor (prefix)",
            "/models?limit=50&q=vor".to_owned(),
            "<= 20",
            20.0,
        ),
    ];
    for (what, path, target, limit) in cases {
        let latency = measure_get(client, &server.url(&path), 300, 50).await?;
        eprintln!(
            "vault_bench: {what}: p50 {:.2} ms, p99 {:.2} ms, {:.0} req/s, {} errors",
            latency.p50_ms, latency.p99_ms, latency.per_s, latency.errors
        );
        row(
            &mut rows,
            &format!("{what} at {models} models: p50 / p99 (ms), req/s"),
            format!(
                "{:.2} / {:.2}, {:.0}",
                latency.p50_ms, latency.p99_ms, latency.per_s
            ),
            &format!("p99 {target}"),
            Some(latency.p99_ms <= limit && latency.errors == 0),
        );
        if latency.errors > 0 {
            row(
                &mut rows,
                "  errors or short pages",
                latency.errors.to_string(),
                "0",
                Some(false),
            );
        }
    }
    server.stop().await?;

    print_table(&bench, &rows, bench_started.elapsed())?;
    if keep {
        let kept = temp.keep();
        eprintln!("vault_bench: kept {}", kept.display());
    }
    Ok(())
}

/// Server-side run time of a job (`started_at` → `finished_at`), in ms.
fn job_server_ms(view: &Value) -> Option<f64> {
    let parse = |key: &str| chrono::DateTime::parse_from_rfc3339(view.get(key)?.as_str()?).ok();
    let (start, end) = (parse("started_at")?, parse("finished_at")?);
    Some((end - start).num_microseconds()? as f64 / 1000.0)
}

fn print_table(bench: &Bench, rows: &[Row], took: Duration) -> anyhow::Result<()> {
    let width = |f: fn(&Row) -> &str, title: &str| {
        rows.iter()
            .map(|r| f(r).chars().count())
            .chain([title.len()])
            .max()
            .unwrap_or(0)
    };
    let (w0, w1, w2) = (
        width(|r| &r.what, "measurement"),
        width(|r| &r.value, "value"),
        width(|r| &r.target, "target"),
    );
    let mut out = std::io::stdout().lock();
    writeln!(out)?;
    writeln!(
        out,
        "PrintStash vault benchmark: {} database, {} CPUs, run took {:.0} s",
        bench.engine(),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        took.as_secs_f64()
    )?;
    writeln!(
        out,
        "{:w0$}  {:>w1$}  {:w2$}  verdict",
        "measurement", "value", "target"
    )?;
    writeln!(out, "{}", "-".repeat(w0 + w1 + w2 + 13))?;
    for r in rows {
        let pad = w0 - r.what.chars().count().min(w0);
        writeln!(
            out,
            "{}{}  {:>w1$}  {:w2$}  {}",
            r.what,
            " ".repeat(pad),
            r.value,
            r.target,
            r.verdict
        )?;
    }
    Ok(())
}
