//! Black-box HTTP tests against the real router on a real loopback listener
//! with a real SQLite file.

use std::time::Duration;

use app::backend::config::Settings;
use leptos::server_fn::ServerFn;
use serde_json::Value;

struct Running {
    base: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    _dir: tempfile::TempDir,
}

async fn start() -> Running {
    let dir = tempfile::tempdir().expect("temp dir");
    let data_dir = dir.path().to_string_lossy().into_owned();
    let settings = Settings::from_lookup(|k| match k {
        "VAULT_DATA_DIR" => Some(data_dir.clone()),
        "VAULT_BIND" => Some("127.0.0.1:0".into()),
        _ => None,
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
    Running {
        base,
        stop: Some(tx),
        task,
        _dir: dir,
    }
}

impl Running {
    async fn shutdown(mut self) {
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

#[tokio::test]
async fn health_reports_version_database_and_status() {
    let server = start().await;
    let res = reqwest::get(format!("{}/api/v1/health", server.base))
        .await
        .expect("GET");
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["status"], "ok");
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(body["database"], "sqlite");
    assert!(
        body["checked_at"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z'))
    );
    server.shutdown().await;
}

#[tokio::test]
async fn unknown_api_paths_get_the_json_error_envelope() {
    let server = start().await;
    let res = reqwest::get(format!("{}/api/v1/nope", server.base))
        .await
        .expect("GET");
    assert_eq!(res.status(), 404);
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["error"]["code"], "not_found");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );
    server.shutdown().await;
}

#[tokio::test]
async fn pages_render_the_layout_and_footer_on_the_server() {
    let server = start().await;
    for path in ["/", "/collections", "/printers", "/trash", "/settings"] {
        let res = reqwest::get(format!("{}{path}", server.base))
            .await
            .expect("GET");
        assert_eq!(res.status(), 200, "{path}");
        let html = res.text().await.expect("text").replace("<!>", "");
        for label in ["Library", "Collections", "Printers", "Trash", "Settings"] {
            assert!(html.contains(label), "{path} lacks nav entry {label}");
        }
        assert!(
            html.contains("data-database=\"SQLite\""),
            "{path} footer lacks the database kind"
        );
        assert!(
            html.contains("/pkg/printstash.css"),
            "{path} lacks the stylesheet"
        );
    }
    server.shutdown().await;
}

#[tokio::test]
async fn server_functions_answer_with_views() {
    let server = start().await;
    let client = reqwest::Client::new();
    let res = client
        .post(format!(
            "{}{}",
            server.base,
            app::api::system::GetServerInfo::PATH
        ))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("")
        .send()
        .await
        .expect("POST");
    assert_eq!(res.status(), 200);
    let info: app::views::system::ServerInfo = res.json().await.expect("ServerInfo json");
    assert_eq!(info.version, env!("CARGO_PKG_VERSION"));
    assert_eq!(info.database, app::views::system::DatabaseKind::Sqlite);
    server.shutdown().await;
}

#[tokio::test]
async fn requests_complete_and_shutdown_returns_cleanly() {
    let server = start().await;
    // A request in flight right before shutdown still completes.
    let pending = tokio::spawn(reqwest::get(format!("{}/api/v1/health", server.base)));
    let res = pending.await.expect("join").expect("GET");
    assert_eq!(res.status(), 200);
    server.shutdown().await;
}
