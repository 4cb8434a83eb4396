//! The printer hub: one supervised task per enabled printer that keeps a
//! session open (reconnecting with backoff and jitter), the live status of
//! every printer in memory, a broadcast of what changed for the websocket,
//! and a coarse snapshot row per printer in the database. A printer that
//! fails — even a driver that panics — never affects the others.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use sea_orm::DatabaseConnection;
use tokio::sync::{broadcast, watch};
use tracing::Instrument;

use super::driver::{PrinterDriver, StatusSink};
use crate::views::printers::{ConnectionState, LiveMessage, PrinterStatus};

/// What changed in the hub, for live subscribers.
#[derive(Debug, Clone, PartialEq)]
pub enum HubEvent {
    /// Some fields of a printer's status changed (a merge patch).
    Changed {
        /// Which printer.
        printer_id: i32,
        /// The changed fields.
        changes: serde_json::Map<String, serde_json::Value>,
        /// The full status after the change.
        status: Box<PrinterStatus>,
        /// The live-socket message, serialised once for every subscriber.
        wire: Arc<str>,
    },
    /// A printer was removed from the hub.
    Removed {
        /// Which printer.
        printer_id: i32,
        /// The live-socket message.
        wire: Arc<str>,
    },
}

fn wire(message: &LiveMessage) -> Arc<str> {
    serde_json::to_string(message).unwrap_or_default().into()
}

/// Events kept for slow subscribers before they lag (they then get a fresh snapshot).
const EVENT_BUFFER: usize = 4096;
/// A session that lasted this long resets the backoff.
const STABLE_SESSION: Duration = Duration::from_secs(60);
/// Longest wait between reconnection attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

struct Running {
    stop: watch::Sender<bool>,
    driver: Arc<dyn PrinterDriver>,
    task: tokio::task::JoinHandle<()>,
}

struct Inner {
    statuses: RwLock<HashMap<i32, PrinterStatus>>,
    running: Mutex<HashMap<i32, Running>>,
    events: broadcast::Sender<HubEvent>,
    closing: watch::Sender<bool>,
}

/// The hub (cheap to clone; all clones share it).
#[derive(Clone)]
pub struct PrinterHub {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for PrinterHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrinterHub").finish_non_exhaustive()
    }
}

impl Default for PrinterHub {
    fn default() -> Self {
        Self::new()
    }
}

/// The JSON fields of `next` that differ from `previous` (all of them when
/// there is no previous status).
pub fn changed_fields(
    previous: Option<&PrinterStatus>,
    next: &PrinterStatus,
) -> serde_json::Map<String, serde_json::Value> {
    let next = match serde_json::to_value(next) {
        Ok(serde_json::Value::Object(map)) => map,
        _ => return serde_json::Map::new(),
    };
    let before = previous.and_then(|p| match serde_json::to_value(p) {
        Ok(serde_json::Value::Object(map)) => Some(map),
        _ => None,
    });
    next.into_iter()
        .filter(|(key, value)| before.as_ref().and_then(|b| b.get(key)) != Some(value))
        .collect()
}

/// Reports from one printer's session into the hub.
struct Sink {
    hub: PrinterHub,
    printer_id: i32,
}

impl StatusSink for Sink {
    fn publish(&self, mut status: PrinterStatus) {
        status.printer_id = self.printer_id;
        status.last_seen_at =
            Some(chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
        self.hub.set_status(status);
    }
}

/// Wait before reconnection attempt `attempt` (0-based): 1 s doubling to a
/// minute, times a random factor in [0.5, 1.5) so printers that dropped
/// together do not reconnect together.
pub fn backoff(attempt: u32, random: u32) -> Duration {
    let base = Duration::from_secs(1)
        .saturating_mul(1u32 << attempt.min(6))
        .min(MAX_BACKOFF);
    let factor = 0.5 + f64::from(random % 1000) / 1000.0;
    base.mul_f64(factor)
}

fn random_u32() -> u32 {
    let mut bytes = [0u8; 4];
    // Jitter only; a failing random source just means no jitter.
    let _ = getrandom::fill(&mut bytes);
    u32::from_le_bytes(bytes)
}

impl PrinterHub {
    /// An empty hub.
    pub fn new() -> Self {
        let (events, _) = broadcast::channel(EVENT_BUFFER);
        let (closing, _) = watch::channel(false);
        Self {
            inner: Arc::new(Inner {
                statuses: RwLock::new(HashMap::new()),
                running: Mutex::new(HashMap::new()),
                events,
                closing,
            }),
        }
    }

    /// Flips when the server shuts down, so live sockets close (graceful
    /// shutdown waits for open connections).
    pub fn closing(&self) -> watch::Receiver<bool> {
        self.inner.closing.subscribe()
    }

    /// Tells live sockets to close.
    pub fn close_live(&self) {
        self.inner.closing.send_replace(true);
    }

    /// Live changes (subscribe before reading [`statuses`](Self::statuses)
    /// so nothing falls between the snapshot and the first change).
    pub fn subscribe(&self) -> broadcast::Receiver<HubEvent> {
        self.inner.events.subscribe()
    }

    /// Every printer's status.
    pub fn statuses(&self) -> Vec<PrinterStatus> {
        let mut all: Vec<PrinterStatus> = self
            .inner
            .statuses
            .read()
            .map(|s| s.values().cloned().collect())
            .unwrap_or_default();
        all.sort_by_key(|s| s.printer_id);
        all
    }

    /// One printer's status.
    pub fn status(&self, printer_id: i32) -> Option<PrinterStatus> {
        self.inner
            .statuses
            .read()
            .ok()
            .and_then(|s| s.get(&printer_id).cloned())
    }

    /// The driver of a running printer (to upload, start or control).
    pub fn driver(&self, printer_id: i32) -> Option<Arc<dyn PrinterDriver>> {
        self.inner
            .running
            .lock()
            .ok()
            .and_then(|r| r.get(&printer_id).map(|p| Arc::clone(&p.driver)))
    }

    /// Records a printer's status and tells subscribers what changed.
    pub fn set_status(&self, status: PrinterStatus) {
        let Ok(mut statuses) = self.inner.statuses.write() else {
            return;
        };
        let changes = changed_fields(statuses.get(&status.printer_id), &status);
        if changes.is_empty() {
            return;
        }
        statuses.insert(status.printer_id, status.clone());
        drop(statuses);
        let message = LiveMessage::Changed {
            printer_id: status.printer_id,
            changes: changes.clone(),
            at_ms: chrono::Utc::now().timestamp_millis(),
        };
        // No subscribers is fine.
        let _ = self.inner.events.send(HubEvent::Changed {
            printer_id: status.printer_id,
            changes,
            status: Box::new(status),
            wire: wire(&message),
        });
    }

    fn update_status(&self, printer_id: i32, change: impl FnOnce(&mut PrinterStatus)) {
        let mut status = self
            .status(printer_id)
            .unwrap_or_else(|| PrinterStatus::unknown(printer_id, ConnectionState::Connecting));
        change(&mut status);
        self.set_status(status);
    }

    /// Starts (or restarts, after an edit) the session task of a printer.
    pub fn start(&self, printer_id: i32, name: &str, driver: Arc<dyn PrinterDriver>) {
        self.stop_task(printer_id);
        self.update_status(printer_id, |s| {
            s.connection = ConnectionState::Connecting;
            s.last_error = None;
        });
        let (stop, stop_rx) = watch::channel(false);
        let hub = self.clone();
        let session_driver = Arc::clone(&driver);
        let span = tracing::info_span!("printer", printer.id = printer_id, printer.name = %name);
        let task = tokio::spawn(
            async move { hub.supervise(printer_id, session_driver, stop_rx).await }
                .instrument(span),
        );
        if let Ok(mut running) = self.inner.running.lock() {
            running.insert(printer_id, Running { stop, driver, task });
        }
    }

    /// Shows a printer that is switched off (no session).
    pub fn disable(&self, printer_id: i32) {
        self.stop_task(printer_id);
        self.update_status(printer_id, |s| {
            *s = PrinterStatus::unknown(printer_id, ConnectionState::Disabled);
        });
    }

    /// Stops a printer's session and forgets it.
    pub fn remove(&self, printer_id: i32) {
        self.stop_task(printer_id);
        if let Ok(mut statuses) = self.inner.statuses.write() {
            statuses.remove(&printer_id);
        }
        let _ = self.inner.events.send(HubEvent::Removed {
            printer_id,
            wire: wire(&LiveMessage::Removed { printer_id }),
        });
    }

    fn stop_task(&self, printer_id: i32) {
        let previous = self
            .inner
            .running
            .lock()
            .ok()
            .and_then(|mut r| r.remove(&printer_id));
        if let Some(previous) = previous {
            let _ = previous.stop.send(true);
            // A driver that ignores the stop signal is cut off.
            let task = previous.task;
            tokio::spawn(async move {
                let abort = task.abort_handle();
                if tokio::time::timeout(Duration::from_secs(5), task)
                    .await
                    .is_err()
                {
                    abort.abort();
                }
            });
        }
    }

    /// Stops every session (at shutdown).
    pub async fn shutdown(&self) {
        let all: Vec<Running> = self
            .inner
            .running
            .lock()
            .map(|mut r| r.drain().map(|(_, v)| v).collect())
            .unwrap_or_default();
        for running in &all {
            let _ = running.stop.send(true);
        }
        for running in all {
            let abort = running.task.abort_handle();
            if tokio::time::timeout(Duration::from_secs(5), running.task)
                .await
                .is_err()
            {
                abort.abort();
            }
        }
    }

    /// Keeps one printer connected until told to stop.
    async fn supervise(
        &self,
        printer_id: i32,
        driver: Arc<dyn PrinterDriver>,
        mut stop: watch::Receiver<bool>,
    ) {
        let mut attempt = 0u32;
        loop {
            if *stop.borrow() {
                return;
            }
            self.update_status(printer_id, |s| s.connection = ConnectionState::Connecting);
            let started = Instant::now();
            // Each session runs in its own task: a panicking driver ends
            // only this session, and the hub carries on.
            let session = {
                let hub = self.clone();
                let driver = Arc::clone(&driver);
                let stop = stop.clone();
                tokio::spawn(
                    async move {
                        let sink = Sink { hub, printer_id };
                        driver.session(&sink, stop).await
                    }
                    .in_current_span(),
                )
            };
            let reason = match session.await {
                Ok(Ok(())) if *stop.borrow() => return,
                Ok(Ok(())) => "the printer closed the connection".to_owned(),
                Ok(Err(err)) => err.to_string(),
                Err(join) if join.is_panic() => {
                    tracing::error!("printer driver crashed; reconnecting");
                    "the printer driver crashed (see the server log); reconnecting".to_owned()
                }
                Err(_) => return,
            };
            if *stop.borrow() {
                return;
            }
            if started.elapsed() >= STABLE_SESSION {
                attempt = 0;
            }
            let wait = backoff(attempt, random_u32());
            attempt = attempt.saturating_add(1);
            tracing::warn!(%reason, retry_in_ms = wait.as_millis() as u64, "printer session ended");
            self.update_status(printer_id, |s| {
                s.connection = ConnectionState::Offline;
                s.last_error = Some(reason);
            });
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                _ = stop.changed() => return,
            }
        }
    }
}

/// Writes each printer's coarse status to `printer_snapshots` at most every
/// `every`, until the hub's senders are gone or `stop` resolves.
pub async fn persist_snapshots(
    hub: PrinterHub,
    db: DatabaseConnection,
    every: Duration,
    stop: impl std::future::Future<Output = ()>,
) {
    let mut events = hub.subscribe();
    let mut dirty: HashMap<i32, PrinterStatus> = HashMap::new();
    let mut tick = tokio::time::interval(every);
    tokio::pin!(stop);
    loop {
        tokio::select! {
            event = events.recv() => match event {
                Ok(HubEvent::Changed { printer_id, status, .. }) => { dirty.insert(printer_id, *status); }
                Ok(HubEvent::Removed { printer_id, .. }) => { dirty.remove(&printer_id); }
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    for status in hub.statuses() { dirty.insert(status.printer_id, status); }
                }
                Err(broadcast::error::RecvError::Closed) => break,
            },
            _ = tick.tick() => {
                for (_, status) in dirty.drain() {
                    if let Err(err) = super::snapshots::save(&db, &status).await {
                        tracing::warn!(error = %err, printer.id = status.printer_id, "could not save the printer snapshot");
                    }
                }
            }
            () = &mut stop => break,
        }
    }
    for (_, status) in dirty.drain() {
        let _ = super::snapshots::save(&db, &status).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::printers::driver::{BoxFuture, DriverError, RemoteFile};
    use crate::params::printers::PrintAction;
    use crate::views::printers::PrintState;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[test]
    fn backoff_grows_to_a_minute_with_jitter() {
        assert_eq!(backoff(0, 500), Duration::from_secs(1));
        assert_eq!(backoff(3, 500), Duration::from_secs(8));
        assert_eq!(backoff(30, 500), Duration::from_secs(60));
        assert_eq!(backoff(2, 0), Duration::from_secs(2));
        assert!(backoff(2, 999) < Duration::from_secs(6));
    }

    #[test]
    fn only_changed_fields_are_sent() {
        let mut a = PrinterStatus::unknown(1, ConnectionState::Online);
        a.progress = Some(0.25);
        let mut b = a.clone();
        b.progress = Some(0.5);
        let changes = changed_fields(Some(&a), &b);
        assert_eq!(changes.len(), 1);
        assert_eq!(changes["progress"], serde_json::json!(0.5));
        assert_eq!(
            changed_fields(None, &b).len(),
            serde_json::to_value(&b)
                .map(|v| v.as_object().map_or(0, |o| o.len()))
                .unwrap_or(0)
        );
    }

    /// A driver whose sessions fail (or panic) right away, counting attempts.
    struct Flaky {
        attempts: AtomicU32,
        panic: bool,
    }

    impl PrinterDriver for Flaky {
        fn session<'a>(
            &'a self,
            sink: &'a dyn StatusSink,
            _stop: watch::Receiver<bool>,
        ) -> BoxFuture<'a, Result<(), DriverError>> {
            Box::pin(async move {
                let n = self.attempts.fetch_add(1, Ordering::SeqCst);
                let mut status = PrinterStatus::unknown(0, ConnectionState::Online);
                status.state = PrintState::Idle;
                sink.publish(status);
                if self.panic {
                    panic!("driver bug #{n}");
                }
                Err(DriverError::Unreachable(format!("attempt {n}")))
            })
        }
        fn upload<'a>(
            &'a self,
            _: &'a std::path::Path,
            _: &'a str,
            _: &'a str,
            _: super::super::driver::Progress,
        ) -> BoxFuture<'a, Result<String, DriverError>> {
            Box::pin(async { Err(DriverError::NotConnected) })
        }
        fn start_print<'a>(&'a self, _: &'a str) -> BoxFuture<'a, Result<(), DriverError>> {
            Box::pin(async { Err(DriverError::NotConnected) })
        }
        fn control(&self, _: PrintAction) -> BoxFuture<'_, Result<(), DriverError>> {
            Box::pin(async { Err(DriverError::NotConnected) })
        }
        fn list_files(&self) -> BoxFuture<'_, Result<Vec<RemoteFile>, DriverError>> {
            Box::pin(async { Ok(Vec::new()) })
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_failing_or_panicking_printer_is_retried_and_others_carry_on() {
        let hub = PrinterHub::new();
        let failing = Arc::new(Flaky {
            attempts: AtomicU32::new(0),
            panic: false,
        });
        let crashing = Arc::new(Flaky {
            attempts: AtomicU32::new(0),
            panic: true,
        });
        hub.start(1, "failing", failing.clone());
        hub.start(2, "crashing", crashing.clone());
        tokio::time::sleep(Duration::from_secs(30)).await;
        assert!(
            failing.attempts.load(Ordering::SeqCst) >= 4,
            "retried with backoff"
        );
        assert!(
            crashing.attempts.load(Ordering::SeqCst) >= 4,
            "a panic is a failed session"
        );
        let one = hub.status(1).expect("status");
        assert_eq!(one.connection, ConnectionState::Offline);
        assert!(
            one.last_error
                .as_deref()
                .is_some_and(|e| e.contains("cannot reach"))
        );
        let two = hub.status(2).expect("status");
        assert!(
            two.last_error
                .as_deref()
                .is_some_and(|e| e.contains("crashed"))
        );
        hub.remove(1);
        assert!(hub.status(1).is_none());
        hub.shutdown().await;
    }
}
