//! PrintStash in the test process: `server::serve` on a loopback listener
//! with a temp data dir (SQLite file), stopped through its shutdown signal so
//! tests can check that it stops cleanly. It boots with the test admin of
//! `support::TEST_AUTH_ENV`.

use std::time::Duration;

use app::backend::config::Settings;

/// A running in-process server.
pub struct InProcess {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    _dir: tempfile::TempDir,
}

/// Boots a fresh vault and serves it on a free loopback port.
pub async fn start() -> InProcess {
    let dir = tempfile::tempdir().expect("temp dir");
    let data_dir = dir.path().to_string_lossy().into_owned();
    let settings = Settings::from_lookup(|k| match k {
        "VAULT_DATA_DIR" => Some(data_dir.clone()),
        "VAULT_BIND" => Some("127.0.0.1:0".into()),
        _ => crate::support::TEST_AUTH_ENV
            .iter()
            .find(|(name, _)| *name == k)
            .map(|(_, v)| (*v).to_owned()),
    })
    .expect("settings");
    let state = server::boot::build_state(settings).await.expect("boot");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(server::serve(listener, state, async {
        rx.await.ok();
    }));
    InProcess {
        base,
        stop: Some(tx),
        task,
        _dir: dir,
    }
}

impl InProcess {
    /// Sends the shutdown signal and waits for `serve` to return `Ok`.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.stop.take() {
            tx.send(()).ok();
        }
        tokio::time::timeout(Duration::from_secs(10), self.task)
            .await
            .expect("server stops within 10 s of the shutdown signal")
            .expect("join")
            .expect("serve returned Ok");
    }
}
