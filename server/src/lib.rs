//! The axum side of PrintStash: the router (`router`) and `serve`, exposed as
//! a library so tests start the real server on a real listener.

pub mod account;
pub mod boot;
pub mod cli;
pub mod http;
pub mod seed;
pub mod shutdown;
pub mod telemetry;

use std::future::Future;

use app::backend::state::AppState;
use axum::Router;
use leptos::prelude::provide_context;
use leptos_axum::{LeptosRoutes, generate_route_list};

/// Every route: REST `/api/v1`, server functions, SSR pages and static files.
pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(app::App);
    let context_state = state.clone();
    let shell_options = state.leptos_options.clone();
    Router::new()
        .nest("/api/v1", http::rest::router())
        .leptos_routes_with_context(
            &state,
            routes,
            move || provide_context(context_state.clone()),
            move || app::shell(shell_options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(
            app::shell,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            http::authn::authenticate,
        ))
        .layer(http::compression::layer())
        .layer(http::trace::layer())
        .with_state(state)
}

/// The printer sessions and their two followers (snapshots to the
/// database, print jobs through the live status).
struct PrinterTasks {
    hub: app::backend::printers::hub::PrinterHub,
    stop: tokio::sync::watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl PrinterTasks {
    async fn stop(self) {
        self.hub.shutdown().await;
        let _ = self.stop.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

/// Connects to every configured printer and starts the followers.
fn start_printers(state: &AppState) -> PrinterTasks {
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let until = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|s| *s).await;
    };
    let tasks = vec![
        tokio::spawn(app::backend::printers::hub::persist_snapshots(
            state.printers.clone(),
            state.db.clone(),
            std::time::Duration::from_secs(5),
            until(stopped.clone()),
        )),
        tokio::spawn(app::backend::services::print_jobs::follow_jobs(
            state.clone(),
            state.printers.clone(),
            until(stopped.clone()),
        )),
        {
            let state = state.clone();
            tokio::spawn(async move {
                match app::backend::services::printers::start_all(&state).await {
                    Ok(n) if n > 0 => tracing::info!(printers = n, "connecting to printers"),
                    Ok(_) => {}
                    Err(err) => tracing::error!(error = %err, "could not load the printers"),
                }
            })
        },
    ];
    PrinterTasks {
        hub: state.printers.clone(),
        stop,
        tasks,
    }
}

/// Serves `router(state)` on `listener` until `shutdown` resolves, then
/// finishes in-flight requests.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let addr = listener.local_addr()?;
    tracing::info!(%addr, database = state.settings.database_kind().label(), "PrintStash listening on http://{addr}");
    let (stop_worker, worker_stopped) = tokio::sync::oneshot::channel::<()>();
    let worker = tokio::spawn(app::backend::jobs::worker::run(state.clone(), async {
        let _ = worker_stopped.await;
    }));
    let printers = start_printers(&state);
    let hub = state.printers.clone();
    let app = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            shutdown.await;
            // Live sockets would hold the graceful shutdown open.
            hub.close_live();
        })
        .await;
    let _ = stop_worker.send(());
    if let Err(err) = worker.await {
        tracing::warn!(error = %err, "maintenance worker ended abnormally");
    }
    printers.stop().await;
    served?;
    tracing::info!("PrintStash stopped");
    Ok(())
}
