//! Black-box HTTP tests against the real router on a real loopback listener
//! with a real SQLite file.

mod in_process;
mod support;

use in_process::start;
use leptos::server_fn::ServerFn;
use serde_json::Value;

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
