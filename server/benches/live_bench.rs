//! Live-status fan-out benchmark: the real `server` binary (release), one
//! simulated Moonraker printer printing with 10 status updates a second, and
//! 1,000 websocket clients on `/api/v1/printers/live`. Prints the delivery
//! latency of the `changed` messages (server send → client receipt, from the
//! message's `at_ms`; same machine, same clock) as p50/p95/p99/max, the
//! message rate, and the server's resident memory idle and with the clients.
//!
//! `cargo bench -p server --bench live_bench`. Knobs: `LIVE_BENCH_CLIENTS`
//! (default 1000), `LIVE_BENCH_SECONDS` (measured window, default 30). The
//! whole run is cut off after 5 minutes. Loopback only.

use std::io::Write as _;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use futures_util::StreamExt;
use serde_json::{Value, json};
use simulators::moonraker::{MoonrakerSim, MoonrakerSimConfig};
use tokio_tungstenite::tungstenite::Message;

/// The release binary under test.
const SERVER: &str = env!("CARGO_BIN_EXE_server");
const TIME_LIMIT: Duration = Duration::from_secs(300);
const ADMIN: (&str, &str) = ("admin", "live-bench-password");

fn main() {
    std::thread::spawn(|| {
        std::thread::sleep(TIME_LIMIT);
        eprintln!("live_bench: time limit reached; aborting");
        std::process::exit(1);
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio");
    if let Err(err) = runtime.block_on(run()) {
        eprintln!("live_bench failed: {err:#}");
        std::process::exit(1);
    }
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The server's resident memory (kB) from /proc.
fn rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

struct Server {
    child: Child,
    base: String,
    _data: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start_server() -> anyhow::Result<Server> {
    let data = tempfile::tempdir()?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let child = Command::new(SERVER)
        .env("VAULT_DATA_DIR", data.path())
        .env("VAULT_BIND", format!("127.0.0.1:{port}"))
        .env("VAULT_LOG", "warn")
        .env("VAULT_ADMIN_USERNAME", ADMIN.0)
        .env("VAULT_ADMIN_PASSWORD", ADMIN.1)
        .env("VAULT_SITE_DIR", data.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("start the server")?;
    let server = Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
        _data: data,
    };
    let client = reqwest::Client::new();
    for _ in 0..300 {
        if client
            .get(format!("{}/api/v1/health", server.base))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return Ok(server);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("the server did not become healthy")
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p / 100.0) * (sorted.len() as f64 - 1.0)).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

async fn run() -> anyhow::Result<()> {
    let clients = env_number("LIVE_BENCH_CLIENTS", 1000) as usize;
    let seconds = env_number("LIVE_BENCH_SECONDS", 30);
    let sim = MoonrakerSim::start(MoonrakerSimConfig {
        print_seconds: 3600.0,
        updates_per_second: 10.0,
        ..Default::default()
    })
    .await?;
    let server = start_server().await?;
    let pid = server.child.id();
    let http = reqwest::Client::new();

    // Sign in (the sockets carry the session cookie, as browsers do).
    let login = http
        .post(format!("{}/api/v1/auth/login", server.base))
        .json(&json!({"username": ADMIN.0, "password": ADMIN.1}))
        .send()
        .await?;
    let cookie = login
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(str::to_owned)
        .context("no session cookie")?;
    let origin = server.base.clone();
    let created: Value = http
        .post(format!("{}/api/v1/printers", server.base))
        .header("cookie", &cookie)
        .header("origin", &origin)
        .json(&json!({"name": "Bench", "provider": "moonraker", "host": "127.0.0.1", "port": sim.addr().port()}))
        .send()
        .await?
        .json()
        .await?;
    if created.get("id").is_none() {
        bail!("could not add the printer: {created}");
    }
    // A long print on the simulator: temperatures and progress change 10×/s.
    sim.put_file("bench.gcode", b"M104 S215\nM140 S60\n".repeat(20_000))
        .map_err(anyhow::Error::msg)?;
    let started = http
        .post(format!("{}/printer/print/start", sim.base_url()))
        .json(&json!({"filename": "bench.gcode"}))
        .send()
        .await?;
    if !started.status().is_success() {
        bail!(
            "the simulator did not start the print: {}",
            started.text().await?
        );
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let idle_rss = rss_kb(pid).unwrap_or(0);

    // Connect the clients (100 at a time).
    let ws_url = format!(
        "{}/api/v1/printers/live",
        server.base.replacen("http", "ws", 1)
    );
    let latencies = Arc::new(std::sync::Mutex::new(Vec::<u64>::with_capacity(
        clients * 10 * seconds as usize,
    )));
    let received = Arc::new(AtomicU64::new(0));
    let measuring = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let connect_started = Instant::now();
    let mut tasks = Vec::with_capacity(clients);
    for batch in 0..clients.div_ceil(100) {
        let mut pending = Vec::new();
        for _ in 0..100.min(clients - batch * 100) {
            let mut request =
                tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(
                    ws_url.as_str(),
                )?;
            request.headers_mut().insert("cookie", cookie.parse()?);
            pending.push(tokio_tungstenite::connect_async(request));
        }
        for result in futures_util::future::join_all(pending).await {
            let (mut socket, _) = result.context("a client could not connect")?;
            let (latencies, received, measuring) = (
                Arc::clone(&latencies),
                Arc::clone(&received),
                Arc::clone(&measuring),
            );
            tasks.push(tokio::spawn(async move {
                let mut mine = Vec::new();
                while let Some(Ok(frame)) = socket.next().await {
                    let Message::Text(text) = frame else { continue };
                    let now = chrono::Utc::now().timestamp_millis();
                    if !measuring.load(Ordering::Relaxed) {
                        continue;
                    }
                    received.fetch_add(1, Ordering::Relaxed);
                    if let Ok(message) = serde_json::from_str::<Value>(text.as_str())
                        && let Some(at) = message["at_ms"].as_i64()
                    {
                        mine.push(u64::try_from(now - at).unwrap_or(0));
                    }
                }
                if let Ok(mut all) = latencies.lock() {
                    all.extend(mine);
                }
            }));
        }
    }
    let connect_time = connect_started.elapsed();
    tokio::time::sleep(Duration::from_secs(2)).await;

    // The measured window.
    measuring.store(true, Ordering::Relaxed);
    let window = Instant::now();
    let mut peak_rss = 0;
    while window.elapsed() < Duration::from_secs(seconds) {
        peak_rss = peak_rss.max(rss_kb(pid).unwrap_or(0));
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    measuring.store(false, Ordering::Relaxed);
    let elapsed = window.elapsed().as_secs_f64();
    drop(server); // closes every socket; the client tasks end
    for task in tasks {
        let _ = tokio::time::timeout(Duration::from_secs(10), task).await;
    }
    let mut all = latencies.lock().map(|l| l.clone()).unwrap_or_default();
    all.sort_unstable();
    let total = received.load(Ordering::Relaxed);
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "live_bench: {clients} websocket clients on /api/v1/printers/live, one simulated printer at 10 updates/s"
    )?;
    writeln!(
        out,
        "  connected all clients in {:.2} s",
        connect_time.as_secs_f64()
    )?;
    writeln!(
        out,
        "  measured {elapsed:.1} s: {total} messages delivered ({:.0}/s in all, {:.2}/s per client)",
        total as f64 / elapsed,
        total as f64 / elapsed / clients as f64
    )?;
    writeln!(
        out,
        "  delivery latency (server send → client receipt): p50 {} ms, p95 {} ms, p99 {} ms, max {} ms over {} messages",
        percentile(&all, 50.0),
        percentile(&all, 95.0),
        percentile(&all, 99.0),
        all.last().copied().unwrap_or(0),
        all.len()
    )?;
    writeln!(
        out,
        "  server RSS: {:.1} MiB idle (printer connected, no clients), {:.1} MiB peak with the clients",
        idle_rss as f64 / 1024.0,
        peak_rss as f64 / 1024.0
    )?;
    drop(out);
    sim.shutdown().await;
    Ok(())
}
