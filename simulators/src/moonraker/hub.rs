//! The simulator's shared state (printer, files, websocket connections) and
//! everything that pushes to clients: the update tick with per-subscriber
//! diffs, notifications, Klippy restarts and misbehaviour.
//!
//! Ordering invariant: every message to a connection is queued while holding
//! the one state lock, and the printer only changes under that lock, so a
//! client sees responses and notifications in the order the state changed.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};
use tokio::sync::{mpsc, watch};
use tracing::{debug, warn};

use super::config::{MoonrakerSimConfig, sane_updates_per_second};
use super::files::FileStore;
use super::objects::{self, ObjectSpec};
use super::printer::Printer;

/// Queue length per websocket; a client this far behind is dropped.
const OUTBOX_CAPACITY: usize = 4096;
/// Longest simulated step per tick, seconds: a stalled runtime slows the print
/// down instead of letting it jump past whole phases in one update.
const MAX_STEP_S: f64 = 0.5;
/// Klipper's monotonic clock starts well above zero; mimic that.
const EVENTTIME_BASE: f64 = 1000.0;

/// A live websocket connection.
#[derive(Debug)]
pub(crate) struct Conn {
    /// Text frames to send. Removing the `Conn` closes the channel, which ends the session.
    outbox: mpsc::Sender<String>,
    /// `server.connection.identify` succeeded.
    pub identified: bool,
    /// Allowed to call methods (no API key configured, a valid key at upgrade, or identify).
    pub authorized: bool,
    pub subscription: Option<Subscription>,
}

/// A connection's subscription and the values it has been told so far.
#[derive(Debug)]
pub(crate) struct Subscription {
    pub spec: ObjectSpec,
    pub sent: Map<String, Value>,
}

/// Everything behind the state lock.
#[derive(Debug)]
pub(crate) struct Inner {
    pub printer: Printer,
    pub files: FileStore,
    pub conns: HashMap<u64, Conn>,
    next_conn_id: u64,
    pub updates_per_second: f64,
    /// Bumped by each Klippy restart so an older restart's "ready" is ignored.
    restart_generation: u64,
}

impl Inner {
    /// Queues `text` for one connection; drops the connection if it cannot keep up.
    pub(crate) fn send(&mut self, conn_id: u64, text: String) {
        let Some(conn) = self.conns.get(&conn_id) else {
            return;
        };
        if conn.outbox.try_send(text).is_err() {
            warn!(
                conn.id = conn_id,
                "websocket client too slow or gone; dropping it"
            );
            self.conns.remove(&conn_id);
        }
    }

    /// Queues `text` for every connection.
    pub(crate) fn broadcast(&mut self, text: &str) {
        let ids: Vec<u64> = self.conns.keys().copied().collect();
        for id in ids {
            self.send(id, text.to_owned());
        }
    }

    /// Sends a JSON-RPC notification to every connection.
    pub(crate) fn notify_all(&mut self, method: &str, params: Option<Value>) {
        self.broadcast(&notification(method, params));
    }

    /// `notify_filelist_changed` for one file.
    pub(crate) fn notify_filelist(&mut self, action: &str, item: Value) {
        self.notify_all(
            "notify_filelist_changed",
            Some(json!([{"action": action, "item": item}])),
        );
    }

    /// `notify_history_changed`.
    pub(crate) fn notify_history(&mut self, action: &str, job: Value) {
        self.notify_all(
            "notify_history_changed",
            Some(json!([{"action": action, "job": job}])),
        );
    }

    /// Drops every websocket connection (their sessions end without a close frame).
    pub(crate) fn drop_connections(&mut self) {
        self.conns.clear();
    }

    /// Klippy goes to `startup`: jobs abort, every subscription is forgotten,
    /// clients get `notify_klippy_disconnected`. Returns the restart generation.
    pub(crate) fn begin_restart(&mut self) -> u64 {
        self.restart_generation += 1;
        if let Some(job) = self.printer.restart() {
            self.notify_history("finished", job);
        }
        for conn in self.conns.values_mut() {
            conn.subscription = None;
        }
        self.notify_all("notify_klippy_disconnected", None);
        self.restart_generation
    }

    /// Klippy reaches `ready` unless a newer restart superseded `generation`.
    pub(crate) fn finish_restart(&mut self, generation: u64) {
        if generation == self.restart_generation {
            self.printer.ready();
            self.notify_all("notify_klippy_ready", None);
        }
    }

    /// Emergency stop: Klippy shuts down and clients get `notify_klippy_shutdown`.
    pub(crate) fn emergency_stop(&mut self) {
        self.restart_generation += 1;
        let job = self.printer.emergency_stop();
        self.notify_all("notify_klippy_shutdown", None);
        if let Some(job) = job {
            self.notify_history("finished", job);
        }
    }
}

/// State shared by the HTTP handlers, websocket sessions, the ticker and the handle.
#[derive(Debug)]
pub(crate) struct Shared {
    pub config: MoonrakerSimConfig,
    inner: Mutex<Inner>,
    started: Instant,
    /// HTTP requests still to fail with 503 (`fail_next_http`).
    pub fail_http: AtomicUsize,
    /// Static objects, rendered once.
    configfile: Value,
    toolhead: Value,
    /// Flips to `true` when the simulator shuts down.
    pub shutdown: watch::Sender<bool>,
}

impl Shared {
    pub(crate) fn new(config: MoonrakerSimConfig) -> Self {
        let inner = Inner {
            printer: Printer::new(config.print_seconds),
            files: FileStore::default(),
            conns: HashMap::new(),
            next_conn_id: 1,
            updates_per_second: config.updates_per_second,
            restart_generation: 0,
        };
        Self {
            configfile: objects::configfile(&config),
            toolhead: objects::toolhead(&config),
            config,
            inner: Mutex::new(inner),
            started: Instant::now(),
            fail_http: AtomicUsize::new(0),
            shutdown: watch::Sender::new(false),
        }
    }

    /// The state lock. Never held across an `.await`.
    pub(crate) fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Klipper-style monotonic `eventtime`.
    pub(crate) fn eventtime(&self) -> f64 {
        EVENTTIME_BASE + (self.started.elapsed().as_secs_f64() * 1000.0).round() / 1000.0
    }

    /// All objects with all fields, as of now.
    pub(crate) fn status(&self, inner: &Inner) -> Map<String, Value> {
        objects::render(&inner.printer, &self.configfile, &self.toolhead)
    }

    /// Registers a websocket; returns its id and the receiving end of its outbox.
    pub(crate) fn add_conn(&self, authorized: bool) -> (u64, mpsc::Receiver<String>) {
        let (tx, rx) = mpsc::channel(OUTBOX_CAPACITY);
        let mut inner = self.lock();
        let id = inner.next_conn_id;
        inner.next_conn_id += 1;
        let conn = Conn {
            outbox: tx,
            identified: false,
            authorized,
            subscription: None,
        };
        inner.conns.insert(id, conn);
        (id, rx)
    }

    /// Forgets a websocket whose session ended.
    pub(crate) fn remove_conn(&self, id: u64) {
        self.lock().conns.remove(&id);
    }

    /// One update tick: advance the printer by `dt`, then send each subscriber
    /// one `notify_status_update` with everything that changed since its last one.
    pub(crate) fn tick(&self, dt: f64) {
        let mut guard = self.lock();
        let inner = &mut *guard;
        let finished = inner.printer.step(dt);
        let status = self.status(inner);
        let eventtime = self.eventtime();
        let mut updates = Vec::new();
        for (id, conn) in &mut inner.conns {
            let Some(sub) = conn.subscription.as_mut() else {
                continue;
            };
            let current = objects::select(&sub.spec, &status);
            if let Some(changes) = objects::diff(&sub.sent, &current) {
                sub.sent = current;
                updates.push((*id, Value::Object(changes)));
            }
        }
        for (id, changes) in updates {
            inner.send(
                id,
                notification("notify_status_update", Some(json!([changes, eventtime]))),
            );
        }
        if let Some(job) = finished {
            debug!(job.status = %job["status"], "print finished");
            inner.notify_history("finished", job);
        }
    }

    /// Runs the update ticks until shutdown, re-reading the rate every tick.
    pub(crate) async fn run_ticker(self: Arc<Self>) {
        let mut shutdown = self.shutdown.subscribe();
        let mut last = Instant::now();
        let mut next = tokio::time::Instant::now();
        loop {
            let rate = sane_updates_per_second(self.lock().updates_per_second);
            next += Duration::from_secs_f64(1.0 / rate);
            let now = tokio::time::Instant::now();
            if next < now {
                next = now;
            }
            tokio::select! {
                () = tokio::time::sleep_until(next) => {}
                _ = shutdown.wait_for(|stop| *stop) => return,
            }
            let now = Instant::now();
            self.tick(now.duration_since(last).as_secs_f64().min(MAX_STEP_S));
            last = now;
        }
    }

    /// A full Klippy restart: `startup` now, `ready` after the configured delay.
    pub(crate) async fn restart_klippy(self: Arc<Self>) {
        let generation = self.lock().begin_restart();
        let delay = Duration::from_secs_f64(self.config.klippy_restart_seconds.max(0.0));
        let mut shutdown = self.shutdown.subscribe();
        tokio::select! {
            () = tokio::time::sleep(delay) => self.lock().finish_restart(generation),
            _ = shutdown.wait_for(|stop| *stop) => {}
        }
    }

    /// Sends each websocket client an invalid JSON frame and a notification with
    /// wrongly typed params.
    pub(crate) fn send_malformed(&self) {
        let mut inner = self.lock();
        inner.broadcast(r#"{"jsonrpc":"2.0","method":"notify_status_update","params":[{"extruder":{"temperature":21"#);
        inner.broadcast(r#"{"jsonrpc":"2.0","method":"notify_status_update","params":{"extruder":"hot","eventtime":"soon"}}"#);
    }

    /// Makes the next `n` HTTP requests (outside `/_sim`) fail with 503.
    pub(crate) fn fail_next_http(&self, n: usize) {
        self.fail_http.store(n, Ordering::SeqCst);
    }

    /// Takes one pending injected failure, if any.
    pub(crate) fn take_http_failure(&self) -> bool {
        self.fail_http
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
    }
}

/// A JSON-RPC notification frame.
pub(crate) fn notification(method: &str, params: Option<Value>) -> String {
    let value = match params {
        Some(params) => json!({"jsonrpc": "2.0", "method": method, "params": params}),
        None => json!({"jsonrpc": "2.0", "method": method}),
    };
    value.to_string()
}
