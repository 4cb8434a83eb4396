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
    let app = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await;
    let _ = stop_worker.send(());
    if let Err(err) = worker.await {
        tracing::warn!(error = %err, "maintenance worker ended abnormally");
    }
    served?;
    tracing::info!("PrintStash stopped");
    Ok(())
}
