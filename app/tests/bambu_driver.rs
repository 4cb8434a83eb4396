//! The Bambu Lab driver against the simulator (real mosquitto over TLS, a fake
//! printer, implicit FTPS with TLS session reuse): status, upload, printing,
//! control, the file list, garbage, broker restarts and a wrong access code.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use app::backend::printers::bambu::Bambu;
use app::backend::printers::driver::{DriverError, PrinterDriver, StatusSink};
use app::params::printers::PrintAction;
use app::views::printers::{PrintState, PrinterStatus};
use sha2::{Digest, Sha256};
use simulators::bambu::{BambuSim, BambuSimConfig};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Generous: nothing here should take long, but CI machines can be slow.
const WAIT: Duration = Duration::from_secs(30);

async fn sim(print_seconds: f64) -> BambuSim {
    sim_reporting(print_seconds, 10.0).await
}

async fn sim_reporting(print_seconds: f64, reports_per_second: f64) -> BambuSim {
    // RUST_LOG=app=debug,simulators=debug shows both sides of a failing test.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
    BambuSim::start(BambuSimConfig {
        print_seconds,
        prepare_seconds: 1.0,
        reports_per_second,
        ..BambuSimConfig::default()
    })
    .await
    .expect("simulator starts")
}

fn driver_for(sim: &BambuSim, access_code: &str) -> Arc<Bambu> {
    Arc::new(
        Bambu::new(
            "127.0.0.1",
            Some(sim.mqtt_port()),
            sim.serial(),
            access_code,
        )
        .expect("driver")
        .with_ftps_port(sim.ftps_port()),
    )
}

/// Every status a session published, in order.
struct Collector {
    seen: watch::Sender<Vec<PrinterStatus>>,
}

impl StatusSink for Collector {
    fn publish(&self, status: PrinterStatus) {
        self.seen.send_modify(|all| all.push(status));
    }
}

/// A running session and what it reported.
struct Session {
    seen: watch::Receiver<Vec<PrinterStatus>>,
    stop: watch::Sender<bool>,
    task: JoinHandle<Result<(), DriverError>>,
}

impl Session {
    fn start(driver: &Arc<Bambu>) -> Self {
        let (tx, seen) = watch::channel(Vec::new());
        let (stop, stop_rx) = watch::channel(false);
        let driver = Arc::clone(driver);
        let task = tokio::spawn(async move {
            let sink = Collector { seen: tx };
            driver.session(&sink, stop_rx).await
        });
        Self { seen, stop, task }
    }

    fn count(&self) -> usize {
        self.seen.borrow().len()
    }

    /// The first status from index `from` on for which `pred` holds.
    async fn wait_for(
        &mut self,
        from: usize,
        what: &str,
        pred: impl Fn(&PrinterStatus) -> bool,
    ) -> PrinterStatus {
        let mut seen = self.seen.clone();
        let found =
            tokio::time::timeout(WAIT, seen.wait_for(|all| all.iter().skip(from).any(&pred))).await;
        let Ok(found) = found else {
            panic!(
                "no status {what} in time; last: {:?}",
                self.seen.borrow().last()
            );
        };
        found
            .expect("session alive")
            .iter()
            .skip(from)
            .find(|s| pred(s))
            .cloned()
            .expect("found")
    }

    async fn wait_state(&mut self, from: usize, state: PrintState) -> PrinterStatus {
        self.wait_for(from, state.label(), |s| s.state == state)
            .await
    }

    async fn end(self) -> Result<(), DriverError> {
        tokio::time::timeout(WAIT, self.task)
            .await
            .expect("session ends in time")
            .expect("session did not panic")
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A made-up sliced 3MF: the simulator cares about its name and bytes only.
fn fake_3mf(size: usize) -> Vec<u8> {
    (0..size).map(|i| (i * 31 % 251) as u8).collect()
}

#[tokio::test]
async fn a_session_reports_uploads_prints_and_is_controlled() {
    let sim = sim(6.0).await;
    let driver = driver_for(&sim, sim.access_code());
    assert_eq!(
        driver.control(PrintAction::Pause).await,
        Err(DriverError::NotConnected),
        "commands need a session"
    );

    let mut session = Session::start(&driver);
    let idle = session.wait_state(0, PrintState::Idle).await;
    assert!(idle.nozzle.is_some() && idle.bed.is_some(), "{idle:?}");
    assert_eq!(idle.job_name, None);

    // Upload with progress; the printer stores the exact bytes.
    let bytes = fake_3mf(300 * 1024 + 17);
    let dir = tempfile::tempdir().expect("temp dir");
    let local = dir.path().join("upload.bin");
    std::fs::write(&local, &bytes).expect("write");
    let calls: Arc<Mutex<Vec<(u64, u64)>>> = Arc::default();
    let record = Arc::clone(&calls);
    let stored = driver
        .upload(
            &local,
            "cube_20mm.gcode.3mf",
            &sha256_hex(&bytes),
            Arc::new(move |sent, total| record.lock().expect("lock").push((sent, total))),
        )
        .await
        .expect("upload");
    assert_eq!(stored, "cube_20mm.gcode.3mf");
    let calls = calls.lock().expect("lock").clone();
    let total = bytes.len() as u64;
    assert!(calls.len() >= 5, "64 KiB chunks: {calls:?}");
    assert!(
        calls
            .windows(2)
            .all(|w| w[0].0 <= w[1].0 && w[1].1 == total)
    );
    assert_eq!(calls.last(), Some(&(total, total)));
    let on_printer = sim.uploaded();
    let file = on_printer
        .iter()
        .find(|f| f.name == "cube_20mm.gcode.3mf")
        .expect("uploaded");
    assert_eq!(file.path, "/cube_20mm.gcode.3mf");
    assert_eq!(file.sha256, sha256_hex(&bytes));

    let files = driver.list_files().await.expect("list");
    let listed = files
        .iter()
        .find(|f| f.name == "cube_20mm.gcode.3mf")
        .expect("listed");
    assert_eq!(listed.size, Some(total as i64));

    // Print it: PREPARE → RUNNING with rising progress → FINISH.
    let mark = session.count();
    driver
        .start_print("cube_20mm.gcode.3mf")
        .await
        .expect("print starts");
    let preparing = session.wait_state(mark, PrintState::Preparing).await;
    assert_eq!(
        preparing.job_name.as_deref(),
        Some("cube_20mm.gcode.3mf"),
        "the job follower matches the upload by this name"
    );
    session.wait_state(mark, PrintState::Printing).await;
    let done = session.wait_state(mark, PrintState::Complete).await;
    assert_eq!(done.progress, Some(1.0));
    let progress: Vec<f64> = session
        .seen
        .borrow()
        .iter()
        .skip(mark)
        .filter(|s| s.state == PrintState::Printing)
        .filter_map(|s| s.progress)
        .collect();
    assert!(
        progress.windows(2).all(|w| w[0] <= w[1]),
        "progress never goes back: {progress:?}"
    );
    assert!(
        progress.iter().any(|p| *p > 0.0 && *p < 1.0),
        "progress in between: {progress:?}"
    );
    assert!(
        session
            .seen
            .borrow()
            .iter()
            .skip(mark)
            .any(|s| s.state == PrintState::Printing && s.remaining_s.is_some()),
        "remaining time while printing"
    );

    // Refusals carry the printer's reason.
    match driver.control(PrintAction::Pause).await {
        Err(DriverError::Refused(reason)) => assert!(reason.contains("nothing is printing")),
        other => panic!("pause while idle: {other:?}"),
    }
    match driver.start_print("missing.gcode.3mf").await {
        Err(DriverError::Refused(reason)) => assert!(reason.contains("not found"), "{reason}"),
        other => panic!("missing file: {other:?}"),
    }

    // Pause, resume, stop.
    let mark = session.count();
    driver
        .start_print("cube_20mm.gcode.3mf")
        .await
        .expect("second print");
    session.wait_state(mark, PrintState::Printing).await;
    driver.control(PrintAction::Pause).await.expect("pause");
    session.wait_state(mark, PrintState::Paused).await;
    assert_eq!(sim.state(), "PAUSE");
    let mark = session.count();
    driver.control(PrintAction::Resume).await.expect("resume");
    session.wait_state(mark, PrintState::Printing).await;
    driver.control(PrintAction::Cancel).await.expect("stop");
    let cancelled = session.wait_state(mark, PrintState::Cancelled).await;
    assert_eq!(cancelled.message.as_deref(), Some("print_error 0300_400C"));
    assert_eq!(sim.state(), "FAILED");

    // Garbage on the report topic is ignored; reports keep coming.
    sim.publish_malformed().await.expect("garbage published");
    let mark = session.count();
    let after = session
        .wait_for(mark, "after garbage", |s| s.nozzle.is_some())
        .await;
    assert_eq!(
        after.state,
        PrintState::Cancelled,
        "the cache is not poisoned"
    );
    assert_eq!(after.progress, cancelled.progress);
    assert!(
        !session.task.is_finished(),
        "garbage does not end the session"
    );

    // A broker restart ends the session with an error; a new one works.
    sim.disconnect_clients().await.expect("broker restarted");
    match session.end().await {
        Err(DriverError::Unreachable(_)) => {}
        other => panic!("a dropped connection is an error: {other:?}"),
    }
    assert_eq!(
        driver.control(PrintAction::Pause).await,
        Err(DriverError::NotConnected)
    );
    let mut again = Session::start(&driver);
    again.wait_state(0, PrintState::Cancelled).await;
    match driver.control(PrintAction::Resume).await {
        Err(DriverError::Refused(_)) => {}
        other => panic!("commands work on the new session: {other:?}"),
    }
    again.stop.send_replace(true);
    assert_eq!(again.end().await, Ok(()), "stopping is no error");
    sim.shutdown().await;
}

#[tokio::test]
async fn a_wrong_access_code_is_unauthorized_everywhere() {
    let sim = sim(5.0).await;
    let driver = driver_for(&sim, "87654321");
    let session = Session::start(&driver);
    match session.end().await {
        Err(DriverError::Unauthorized(_)) => {}
        other => panic!("MQTT with a wrong code: {other:?}"),
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let local = dir.path().join("part.gcode");
    std::fs::write(&local, b"G28\n").expect("write");
    match driver
        .upload(&local, "part.gcode", "", Arc::new(|_, _| {}))
        .await
    {
        Err(DriverError::Unauthorized(_)) => {}
        other => panic!("FTPS with a wrong code: {other:?}"),
    }
    assert!(matches!(
        driver.list_files().await,
        Err(DriverError::Unauthorized(_))
    ));
    assert!(sim.uploaded().is_empty());
    sim.shutdown().await;
}

#[tokio::test]
async fn plain_gcode_prints_by_path() {
    let sim = sim(2.0).await;
    let driver = driver_for(&sim, sim.access_code());
    let mut session = Session::start(&driver);
    session.wait_state(0, PrintState::Idle).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let local = dir.path().join("part.gcode");
    std::fs::write(&local, b"G28\nG1 X10 Y10\n").expect("write");
    let stored = driver
        .upload(&local, "part.gcode", "", Arc::new(|_, _| {}))
        .await
        .expect("upload");
    let mark = session.count();
    driver.start_print(&stored).await.expect("print starts");
    let done = session.wait_state(mark, PrintState::Complete).await;
    assert_eq!(done.job_name.as_deref(), Some("part.gcode"));
    session.stop.send_replace(true);
    assert_eq!(session.end().await, Ok(()));
    sim.shutdown().await;
}

#[tokio::test]
async fn a_silent_printer_ends_the_session_after_the_watchdog() {
    // One incremental report every 100 s: after the answer to `pushall`, silence.
    let sim = sim_reporting(5.0, 0.01).await;
    let driver = Arc::new(
        Bambu::new(
            "127.0.0.1",
            Some(sim.mqtt_port()),
            sim.serial(),
            sim.access_code(),
        )
        .expect("driver")
        .with_ftps_port(sim.ftps_port())
        .with_watchdog(Duration::from_secs(2)),
    );
    let mut session = Session::start(&driver);
    session.wait_state(0, PrintState::Idle).await;
    let started = std::time::Instant::now();
    match session.end().await {
        Err(DriverError::Timeout(reason)) => assert!(reason.contains("no report"), "{reason}"),
        other => panic!("silence is an error: {other:?}"),
    }
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(
        driver.control(PrintAction::Pause).await,
        Err(DriverError::NotConnected)
    );
    sim.shutdown().await;
}
