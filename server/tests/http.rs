//! Black-box HTTP tests against the real router on a real loopback listener
//! with a real SQLite file.

mod in_process;
mod support;

use in_process::start;
use leptos::server_fn::ServerFn;
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
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

/// Pages are rendered on the server, signed in or not. (Against the real
/// binary: server-side rendering spawns reactive tasks, which belong in one
/// process with one runtime, as in production — not beside other tests'
/// runtimes in this process.)
#[tokio::test]
async fn pages_render_the_layout_and_footer_on_the_server() {
    let Some(mut vault) = support::Vault::new(support::Engine::Sqlite, &[]).await else {
        return;
    };
    let _server = vault.start().await;
    let session = support::sign_in(
        &reqwest::Client::new(),
        &vault.base,
        support::ADMIN_USER,
        support::ADMIN_PASSWORD,
    )
    .await
    .expect("sign in");
    for (signed_in, path, heading) in [
        (false, "/", "Sign in"),
        (true, "/", "Library"),
        (true, "/collections", "Collections"),
        (true, "/printers", "Printers"),
        (true, "/trash", "Trash"),
        (true, "/settings", "Settings"),
    ] {
        let mut request = reqwest::Client::new().get(format!("{}{path}", vault.base));
        if signed_in {
            request = request.header("cookie", format!("printstash_session={session}"));
        }
        let res = request.send().await.expect("GET");
        assert_eq!(res.status(), 200, "{path}");
        let html = res.text().await.expect("text").replace("<!>", "");
        for label in ["Library", "Collections", "Printers", "Trash", "Settings"] {
            assert!(html.contains(label), "{path} lacks nav entry {label}");
        }
        assert!(
            !signed_in || html.contains(&format!("<h1>{heading}</h1>")),
            "{path} renders its page on the server"
        );
        assert!(
            html.contains("data-database=\"SQLite\""),
            "{path} footer lacks the database kind"
        );
        assert!(
            html.contains("/pkg/printstash.css"),
            "{path} lacks the stylesheet"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_complete_and_shutdown_returns_cleanly() {
    let server = start().await;
    // A request in flight right before shutdown still completes.
    let pending = tokio::spawn(reqwest::get(format!("{}/api/v1/health", server.base)));
    let res = pending.await.expect("join").expect("GET");
    assert_eq!(res.status(), 200);
    server.shutdown().await;
}
