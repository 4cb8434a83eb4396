//! [`MoonrakerSim`], the handle a test holds: starts the server and ticker,
//! exposes the misbehaviour controls, and shuts everything down.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tracing::{info, warn};

use super::UploadedFile;
use super::config::{MoonrakerSimConfig, sane_print_seconds, sane_updates_per_second};
use super::control::set_timing;
use super::files::{self, StoredFile, unix_now};
use super::http::router;
use super::hub::Shared;

/// A running Moonraker simulator. Dropping it stops the server (prefer
/// [`MoonrakerSim::shutdown`] to wait for that).
#[derive(Debug)]
pub struct MoonrakerSim {
    shared: Arc<Shared>,
    addr: SocketAddr,
    server: Option<JoinHandle<()>>,
    ticker: Option<JoinHandle<()>>,
}

impl MoonrakerSim {
    /// Binds `config.bind` and starts serving on the current Tokio runtime.
    pub async fn start(mut config: MoonrakerSimConfig) -> std::io::Result<Self> {
        config.print_seconds = sane_print_seconds(config.print_seconds);
        config.updates_per_second = sane_updates_per_second(config.updates_per_second);
        let listener = TcpListener::bind(config.bind).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::new(config));
        let app = router(Arc::clone(&shared));
        let mut stop = shared.shutdown.subscribe();
        let server = tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async move {
                // An error means the sender is gone: shut down too.
                let _ = stop.wait_for(|stop| *stop).await;
            });
            if let Err(err) = serve.await {
                warn!(error = %err, "moonraker simulator server stopped");
            }
        });
        let ticker = tokio::spawn(Arc::clone(&shared).run_ticker());
        info!(%addr, "moonraker simulator listening");
        Ok(Self {
            shared,
            addr,
            server: Some(server),
            ticker: Some(ticker),
        })
    }

    /// The bound address (the real port when `bind` used port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `ws://127.0.0.1:PORT/websocket`.
    pub fn websocket_url(&self) -> String {
        format!("ws://{}/websocket", self.addr)
    }

    /// Drops every websocket connection now, without a close frame (like a network loss).
    pub fn drop_connections(&self) {
        self.shared.lock().drop_connections();
    }

    /// Restarts Klippy and returns once it is ready again: `startup` and
    /// `notify_klippy_disconnected` (running print aborted, all subscriptions
    /// dropped), then after `klippy_restart_seconds` `ready` and `notify_klippy_ready`.
    pub async fn restart_klippy(&self) {
        Arc::clone(&self.shared).restart_klippy().await;
    }

    /// Emergency stop: Klippy goes to `shutdown` (`notify_klippy_shutdown`);
    /// a running print ends in `error`. [`restart_klippy`](Self::restart_klippy) recovers.
    pub fn emergency_stop(&self) {
        self.shared.lock().emergency_stop();
    }

    /// Sends every websocket client an invalid JSON text frame, then a
    /// `notify_status_update` whose params have the wrong types.
    pub fn send_malformed(&self) {
        self.shared.send_malformed();
    }

    /// Makes the next `n` HTTP requests (anything but `/_sim/*`, the websocket
    /// upgrade included) fail with 503 and the error envelope.
    pub fn fail_next_http(&self, n: usize) {
        self.shared.fail_next_http(n);
    }

    /// Changes how long a print takes; a running print continues at the new speed.
    pub fn set_print_seconds(&self, seconds: f64) {
        set_timing(&self.shared, Some(seconds), None);
    }

    /// Changes how many status batches per second subscribers get.
    pub fn set_updates_per_second(&self, rate: f64) {
        set_timing(&self.shared, None, Some(rate));
    }

    /// Stores a file in the `gcodes` root as if it had been uploaded
    /// (announced with `notify_filelist_changed`).
    pub fn put_file(&self, path: &str, data: impl Into<Bytes>) -> Result<(), String> {
        let path = files::normalize(path).map_err(|e| e.to_string())?;
        if path.is_empty() {
            return Err("empty path".to_owned());
        }
        let file = StoredFile::prepare(&path, data.into(), unix_now());
        let mut inner = self.shared.lock();
        let item = file.item("gcodes", &path);
        inner.files.insert("gcodes", &path, file);
        inner.notify_filelist("create_file", item);
        Ok(())
    }

    /// Every stored file with its size and SHA-256.
    pub fn uploaded(&self) -> Vec<UploadedFile> {
        self.shared.lock().files.uploaded()
    }

    /// `print_stats.state`: `standby`, `printing`, `paused`, `complete`, `cancelled` or `error`.
    pub fn state(&self) -> String {
        self.shared.lock().printer.stats.state.as_str().to_owned()
    }

    /// Klippy's state: `ready`, `startup` or `shutdown`.
    pub fn klippy_state(&self) -> String {
        self.shared.lock().printer.klippy.as_str().to_owned()
    }

    /// Open websocket connections.
    pub fn connection_count(&self) -> usize {
        self.shared.lock().conns.len()
    }

    /// Every printer object with every field, as `printer.objects.query` would return them.
    pub fn status(&self) -> Value {
        let inner = self.shared.lock();
        Value::Object(self.shared.status(&inner))
    }

    /// Stops the server and the ticker, drops websockets, and waits for both tasks.
    pub async fn shutdown(mut self) {
        self.signal_stop();
        for task in [self.server.take(), self.ticker.take()]
            .into_iter()
            .flatten()
        {
            if let Err(err) = task.await {
                warn!(error = %err, "simulator task failed");
            }
        }
    }

    fn signal_stop(&self) {
        self.shared.shutdown.send_replace(true);
        self.shared.lock().drop_connections();
    }
}

impl Drop for MoonrakerSim {
    fn drop(&mut self) {
        self.signal_stop();
    }
}
